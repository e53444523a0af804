-- Foundation: regions, practice network, organizations, accounts, volunteers, audit log (SQLite).
-- Instants are BIGINT milliseconds since the Unix epoch, UTC.

CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('province','prefecture','county','township','village')),
    parent_code TEXT REFERENCES regions(code)
);
CREATE INDEX regions_parent ON regions(parent_code);

CREATE TABLE sites (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    level         TEXT NOT NULL CHECK (level IN ('center','institute','station')),
    region_code   TEXT NOT NULL REFERENCES regions(code),
    parent_id     BIGINT REFERENCES sites(id),
    address       TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL
);
CREATE INDEX sites_region ON sites(region_code);
CREATE INDEX sites_parent ON sites(parent_id);
CREATE UNIQUE INDEX sites_region_name ON sites(region_code, name);

CREATE TABLE organizations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('organization','team')),
    parent_id     BIGINT REFERENCES organizations(id),
    path          TEXT NOT NULL,
    site_id       BIGINT REFERENCES sites(id),
    region_code   TEXT NOT NULL REFERENCES regions(code),
    contact_name  TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL
);
CREATE INDEX organizations_path ON organizations(path);
CREATE INDEX organizations_parent ON organizations(parent_id);
CREATE INDEX organizations_region ON organizations(region_code);
CREATE INDEX organizations_site ON organizations(site_id);

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('city_admin','district_admin','site_admin','team_admin','volunteer','resident')),
    scope_region  TEXT,
    scope_site_id BIGINT REFERENCES sites(id),
    scope_org_id  BIGINT REFERENCES organizations(id),
    volunteer_id  BIGINT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE volunteers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    volunteer_no  TEXT UNIQUE,
    name          TEXT NOT NULL,
    gender        TEXT NOT NULL CHECK (gender IN ('male','female')),
    birth_date    TEXT NOT NULL,
    id_type       TEXT NOT NULL DEFAULT 'resident_id',
    id_cipher     TEXT NOT NULL,
    id_hash       TEXT NOT NULL UNIQUE,
    id_masked     TEXT NOT NULL,
    phone         TEXT NOT NULL,
    region_code   TEXT NOT NULL REFERENCES regions(code),
    skills        TEXT NOT NULL DEFAULT '',
    categories    TEXT NOT NULL DEFAULT '',
    lat           DOUBLE PRECISION,
    lon           DOUBLE PRECISION,
    availability  TEXT NOT NULL DEFAULT '',
    account_id    BIGINT REFERENCES accounts(id),
    created_by    BIGINT REFERENCES accounts(id),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX volunteers_region ON volunteers(region_code);
CREATE INDEX volunteers_name ON volunteers(name);
CREATE INDEX volunteers_phone ON volunteers(phone);

CREATE TABLE memberships (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    volunteer_id    BIGINT NOT NULL REFERENCES volunteers(id),
    organization_id BIGINT NOT NULL REFERENCES organizations(id),
    status          TEXT NOT NULL CHECK (status IN ('pending','approved','declined','left')),
    note            TEXT NOT NULL DEFAULT '',
    requested_at    BIGINT NOT NULL,
    decided_at      BIGINT,
    decided_by      BIGINT REFERENCES accounts(id)
);
CREATE UNIQUE INDEX memberships_active ON memberships(volunteer_id, organization_id)
    WHERE status IN ('pending','approved');
CREATE INDEX memberships_org ON memberships(organization_id, status);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT NOT NULL,
    actor_id    BIGINT,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    region_code TEXT,
    org_path    TEXT,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX audit_log_region ON audit_log(region_code);
CREATE INDEX audit_log_entity ON audit_log(entity_type, entity_id);

-- The audit log is append-only: the database itself refuses to change or remove an entry.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
