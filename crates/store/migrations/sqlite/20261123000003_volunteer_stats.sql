-- Per-volunteer figures the matching engine ranks by, kept on the volunteer row and changed in the
-- same transaction as the order or record that changes them.
ALTER TABLE volunteers ADD COLUMN rating_sum BIGINT NOT NULL DEFAULT 0;
ALTER TABLE volunteers ADD COLUMN rating_count BIGINT NOT NULL DEFAULT 0;
-- Orders accepted and not yet completed or cancelled.
ALTER TABLE volunteers ADD COLUMN active_orders BIGINT NOT NULL DEFAULT 0;
-- When the volunteer last served (end of the latest service record), ms since the epoch.
ALTER TABLE volunteers ADD COLUMN last_served_at BIGINT;
