-- Statistics (issue #10): the figures are kept incrementally where records are appended.
--
-- A record's service category, fixed when it is written (the project's category then, or the one
-- the team entry names; '' when neither says). Editing a project later does not move its past
-- records between categories. Backfilled from the projects; the append-only trigger is lifted for
-- that one statement inside this migration's transaction.
ALTER TABLE service_records ADD COLUMN category TEXT NOT NULL DEFAULT '';
DROP TRIGGER service_records_no_update;
UPDATE service_records SET category = COALESCE((SELECT p.category FROM projects p WHERE p.id = service_records.project_id), '');
CREATE TRIGGER service_records_no_update BEFORE UPDATE ON service_records
BEGIN SELECT RAISE(ABORT, 'service_records are append-only'); END;

-- Each volunteer's confirmed minutes over the current versions of their records (star levels),
-- changed in the same transaction as the record that changes it.
ALTER TABLE volunteers ADD COLUMN confirmed_minutes BIGINT NOT NULL DEFAULT 0;
UPDATE volunteers SET confirmed_minutes = COALESCE((SELECT SUM(r.minutes) FROM service_records r
    WHERE r.volunteer_id = volunteers.id AND r.status = 'confirmed'
    AND NOT EXISTS (SELECT 1 FROM service_records n WHERE n.supersedes = r.id)), 0);

-- One row per (place of service, category, month) holding the current confirmed records there:
-- their minutes, their count, and who served (a compressed bitmap of volunteer ids plus how many
-- records each has in the cell, so a correction removes a volunteer only with their last record).
-- Filled by `zhiyuan rebuild-stats` for records written before this migration.
CREATE TABLE stats_cells (
    region_code TEXT NOT NULL,
    category    TEXT NOT NULL,
    month       BIGINT NOT NULL,
    minutes     BIGINT NOT NULL,
    records     BIGINT NOT NULL,
    members     BLOB NOT NULL,
    PRIMARY KEY (region_code, category, month)
);

-- Whether stats_cells has been built from the records (0 until the first rebuild).
CREATE TABLE stats_state (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    built_at BIGINT
);
INSERT INTO stats_state (id, built_at) VALUES (1, NULL);

CREATE INDEX volunteers_created ON volunteers(created_at);
CREATE INDEX certificates_issued ON certificates(issued_at);
