-- Keyset pagination (issue #8): each paged list walks an index in its own order and stops after
-- a page, wherever the page is.
-- A volunteer's current records, latest service date first: (volunteer_id, service_date, id).
CREATE INDEX service_records_volunteer_date ON service_records(volunteer_id, service_date, id);
-- An office's queue, earliest window first: (window_start, id). The resident's list uses
-- orders_resident (resident_account_id, id); volunteers page on their primary key.
CREATE INDEX orders_window ON orders(window_start, id);
