-- Account administration: an account can be disabled (停用) and shows when it last logged in.
ALTER TABLE accounts ADD COLUMN disabled_at BIGINT;
ALTER TABLE accounts ADD COLUMN last_login_at BIGINT;
-- The honor roll shows a volunteer's full name only with their consent (光荣榜显示全名); 0/1.
ALTER TABLE volunteers ADD COLUMN public_name BIGINT NOT NULL DEFAULT 0;
