-- Statistics (issue #10): see the SQLite migration of the same name for what each part is for.
ALTER TABLE service_records ADD COLUMN category TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE service_records DISABLE TRIGGER service_records_no_change;
UPDATE service_records SET category = COALESCE((SELECT p.category FROM projects p WHERE p.id = service_records.project_id), '');
ALTER TABLE service_records ENABLE TRIGGER service_records_no_change;

ALTER TABLE volunteers ADD COLUMN confirmed_minutes BIGINT NOT NULL DEFAULT 0;
UPDATE volunteers SET confirmed_minutes = COALESCE((SELECT SUM(r.minutes) FROM service_records r
    WHERE r.volunteer_id = volunteers.id AND r.status = 'confirmed'
    AND NOT EXISTS (SELECT 1 FROM service_records n WHERE n.supersedes = r.id)), 0);

CREATE TABLE stats_cells (
    region_code TEXT COLLATE "C" NOT NULL,
    category    TEXT COLLATE "C" NOT NULL,
    month       BIGINT NOT NULL,
    minutes     BIGINT NOT NULL,
    records     BIGINT NOT NULL,
    members     BYTEA NOT NULL,
    PRIMARY KEY (region_code, category, month)
);

CREATE TABLE stats_state (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    built_at BIGINT
);
INSERT INTO stats_state (id, built_at) VALUES (1, NULL);

CREATE INDEX volunteers_created ON volunteers(created_at);
CREATE INDEX certificates_issued ON certificates(issued_at);
