-- A practice site's public details besides its address and phone: the person to contact
-- (联系人) and when it is open (开放时间), both free text edited by the site's office.
ALTER TABLE sites ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE sites ADD COLUMN opening_hours TEXT NOT NULL DEFAULT '';
-- A dissolved organization or team (解散): kept with its history (members, projects, service
-- records), left out of the directory and of dispatch, closed to new members and projects.
ALTER TABLE organizations ADD COLUMN dissolved_at BIGINT;
