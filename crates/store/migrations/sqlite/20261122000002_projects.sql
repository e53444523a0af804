-- Volunteer projects, shifts, sign-ups with attendance, and service records (SQLite).

CREATE TABLE projects (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    title             TEXT NOT NULL,
    category          TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    organization_id   BIGINT NOT NULL REFERENCES organizations(id),
    region_code       TEXT NOT NULL REFERENCES regions(code),
    address           TEXT NOT NULL,
    lat               DOUBLE PRECISION,
    lon               DOUBLE PRECISION,
    checkin_radius_m  BIGINT NOT NULL DEFAULT 0,
    person_in_charge  TEXT NOT NULL,
    contact_phone     TEXT NOT NULL DEFAULT '',
    risk_notes        TEXT NOT NULL DEFAULT '',
    auto_approve      BIGINT NOT NULL DEFAULT 0,
    status            TEXT NOT NULL CHECK (status IN ('draft','recruiting','running','finished','cancelled')),
    created_by        BIGINT REFERENCES accounts(id),
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX projects_region ON projects(region_code);
CREATE INDEX projects_org ON projects(organization_id);
CREATE INDEX projects_status ON projects(status);

CREATE TABLE shifts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id      BIGINT NOT NULL REFERENCES projects(id),
    starts_at       BIGINT NOT NULL,
    ends_at         BIGINT NOT NULL,
    headcount       BIGINT NOT NULL CHECK (headcount > 0),
    approved_count  BIGINT NOT NULL DEFAULT 0,
    required_skills TEXT NOT NULL DEFAULT '',
    min_age         BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    CHECK (ends_at > starts_at),
    -- the last line of defence against overbooking
    CHECK (approved_count >= 0 AND approved_count <= headcount)
);
CREATE INDEX shifts_project ON shifts(project_id);
CREATE INDEX shifts_starts ON shifts(starts_at);

CREATE TABLE sign_ups (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    shift_id        BIGINT NOT NULL REFERENCES shifts(id),
    volunteer_id    BIGINT NOT NULL REFERENCES volunteers(id),
    status          TEXT NOT NULL CHECK (status IN ('pending','approved','waitlisted','declined','cancelled')),
    note            TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    decided_at      BIGINT,
    decided_by      BIGINT REFERENCES accounts(id),
    checkin_at      BIGINT,
    checkin_method  TEXT,
    checkout_at     BIGINT,
    checkout_method TEXT
);
CREATE UNIQUE INDEX sign_ups_active ON sign_ups(shift_id, volunteer_id)
    WHERE status IN ('pending','approved','waitlisted');
CREATE INDEX sign_ups_volunteer ON sign_ups(volunteer_id, status);
CREATE INDEX sign_ups_shift ON sign_ups(shift_id, status);

-- Offline attendance batches: each client event is accepted once.
CREATE TABLE attendance_events (
    client_key   TEXT PRIMARY KEY,
    sign_up_id   BIGINT NOT NULL REFERENCES sign_ups(id),
    kind         TEXT NOT NULL CHECK (kind IN ('in','out')),
    at           BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    outcome      TEXT NOT NULL
);

-- Service records are immutable rows: confirming or correcting one appends a new version
-- that supersedes the old. Each volunteer's rows form a hash chain (chain_seq, prev_hash, hash).
CREATE TABLE service_records (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    volunteer_id     BIGINT NOT NULL REFERENCES volunteers(id),
    version          BIGINT NOT NULL,
    supersedes       BIGINT REFERENCES service_records(id),
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    project_id       BIGINT REFERENCES projects(id),
    shift_id         BIGINT REFERENCES shifts(id),
    sign_up_id       BIGINT REFERENCES sign_ups(id),
    region_code      TEXT NOT NULL,
    activity         TEXT NOT NULL,
    service_date     TEXT NOT NULL,
    place            TEXT NOT NULL,
    content          TEXT NOT NULL,
    served_minutes   BIGINT NOT NULL,
    minutes          BIGINT NOT NULL CHECK (minutes >= 0 AND minutes <= 1440),
    organizer        TEXT NOT NULL,
    person_in_charge TEXT NOT NULL,
    source           TEXT NOT NULL CHECK (source IN ('checkin','team','declared')),
    status           TEXT NOT NULL CHECK (status IN ('pending','confirmed','rejected')),
    late             BIGINT NOT NULL DEFAULT 0,
    reason           TEXT NOT NULL DEFAULT '',
    created_by       BIGINT REFERENCES accounts(id),
    created_at       BIGINT NOT NULL,
    chain_seq        BIGINT NOT NULL,
    prev_hash        TEXT NOT NULL,
    hash             TEXT NOT NULL
);
CREATE UNIQUE INDEX service_records_chain ON service_records(volunteer_id, chain_seq);
-- a version is superseded at most once: two concurrent corrections cannot both win
CREATE UNIQUE INDEX service_records_supersedes ON service_records(supersedes);
-- one check-in record per sign-up
CREATE UNIQUE INDEX service_records_sign_up ON service_records(sign_up_id) WHERE version = 1;
CREATE INDEX service_records_volunteer ON service_records(volunteer_id, status);
CREATE INDEX service_records_org ON service_records(organization_id);
CREATE INDEX service_records_region ON service_records(region_code, service_date);

CREATE TABLE certificates (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    certificate_no TEXT NOT NULL UNIQUE,
    volunteer_id   BIGINT NOT NULL REFERENCES volunteers(id),
    payload        TEXT NOT NULL,
    signature      TEXT NOT NULL,
    issued_at      BIGINT NOT NULL
);
CREATE INDEX certificates_volunteer ON certificates(volunteer_id);

CREATE TRIGGER service_records_no_update BEFORE UPDATE ON service_records
BEGIN SELECT RAISE(ABORT, 'service_records are append-only'); END;
CREATE TRIGGER service_records_no_delete BEFORE DELETE ON service_records
BEGIN SELECT RAISE(ABORT, 'service_records are append-only'); END;
