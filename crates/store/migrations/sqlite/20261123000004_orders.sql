-- Residents' needs (点单·派单·接单·评单): service menus, orders, dispatch offers, the minutes served
-- on an order, one-time codes for ordering by phone, and notices (SQLite).

-- A site's menu of service items; site_id NULL is the default menu every site starts with.
CREATE TABLE menu_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id     BIGINT REFERENCES sites(id),
    category    TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    skills      TEXT NOT NULL DEFAULT '',
    active      BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    position    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX menu_items_site_name ON menu_items(site_id, name);
CREATE UNIQUE INDEX menu_items_default_name ON menu_items(name) WHERE site_id IS NULL;

CREATE TABLE orders (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id             BIGINT NOT NULL REFERENCES menu_items(id),
    item_name           TEXT NOT NULL,
    category            TEXT NOT NULL,
    skills              TEXT NOT NULL DEFAULT '',
    resident_account_id BIGINT NOT NULL REFERENCES accounts(id),
    contact_name        TEXT NOT NULL,
    contact_phone       TEXT NOT NULL,
    region_code         TEXT NOT NULL REFERENCES regions(code),
    address             TEXT NOT NULL,
    lat                 DOUBLE PRECISION,
    lon                 DOUBLE PRECISION,
    window_start        BIGINT NOT NULL,
    window_end          BIGINT NOT NULL,
    people              BIGINT NOT NULL CHECK (people > 0),
    notes               TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL CHECK (status IN ('submitted','dispatched','accepted','completed','rated','rejected','cancelled')),
    -- the office handling the order: the site covering the place, moved up by escalation
    site_id             BIGINT NOT NULL REFERENCES sites(id),
    escalations         BIGINT NOT NULL DEFAULT 0,
    -- act (dispatch or accept) by then, or the order goes one level up; NULL when nothing is awaited
    deadline_at         BIGINT,
    -- dispatch round: offers of earlier rounds are withdrawn
    round               BIGINT NOT NULL DEFAULT 0,
    assignee_kind       TEXT CHECK (assignee_kind IN ('team','site','volunteers')),
    -- who holds the order: the accepting team or site
    team_id             BIGINT REFERENCES organizations(id),
    holder_site_id      BIGINT REFERENCES sites(id),
    -- the organizing unit of the service records made on completion
    organizer_org_id    BIGINT REFERENCES organizations(id),
    organizer_name      TEXT NOT NULL DEFAULT '',
    accepted_count      BIGINT NOT NULL DEFAULT 0,
    reject_reason       TEXT NOT NULL DEFAULT '',
    cancel_reason       TEXT NOT NULL DEFAULT '',
    report              TEXT NOT NULL DEFAULT '',
    rating              BIGINT CHECK (rating BETWEEN 1 AND 5),
    rating_comment      TEXT NOT NULL DEFAULT '',
    submitted_at        BIGINT NOT NULL,
    dispatched_at       BIGINT,
    accepted_at         BIGINT,
    completed_at        BIGINT,
    rated_at            BIGINT,
    closed_at           BIGINT,
    updated_at          BIGINT NOT NULL,
    CHECK (window_end > window_start),
    -- never more takers than people wanted
    CHECK (accepted_count >= 0 AND accepted_count <= people)
);
CREATE INDEX orders_site ON orders(site_id, status);
CREATE INDEX orders_region ON orders(region_code, status);
CREATE INDEX orders_resident ON orders(resident_account_id, id);
CREATE INDEX orders_deadline ON orders(deadline_at) WHERE deadline_at IS NOT NULL;

-- Who an order was dispatched to, one row per team, site or volunteer and round.
CREATE TABLE order_offers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     BIGINT NOT NULL REFERENCES orders(id),
    round        BIGINT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('team','site','volunteer')),
    org_id       BIGINT REFERENCES organizations(id),
    site_id      BIGINT REFERENCES sites(id),
    volunteer_id BIGINT REFERENCES volunteers(id),
    status       TEXT NOT NULL CHECK (status IN ('offered','accepted','declined','withdrawn')),
    note         TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    decided_at   BIGINT,
    decided_by   BIGINT REFERENCES accounts(id)
);
CREATE INDEX order_offers_order ON order_offers(order_id, status);
CREATE INDEX order_offers_org ON order_offers(org_id, status);
CREATE INDEX order_offers_site ON order_offers(site_id, status);
CREATE INDEX order_offers_volunteer ON order_offers(volunteer_id, status);
-- an order is held by at most one team or site
CREATE UNIQUE INDEX order_offers_one_holder ON order_offers(order_id) WHERE status = 'accepted' AND kind IN ('team','site');
-- a volunteer is offered an order once per round
CREATE UNIQUE INDEX order_offers_volunteer_once ON order_offers(order_id, round, volunteer_id) WHERE kind = 'volunteer';

-- The minutes each volunteer served on a completed order and the service record made of them.
CREATE TABLE order_service (
    order_id     BIGINT NOT NULL REFERENCES orders(id),
    volunteer_id BIGINT NOT NULL REFERENCES volunteers(id),
    minutes      BIGINT NOT NULL CHECK (minutes > 0 AND minutes <= 1440),
    record_id    BIGINT NOT NULL REFERENCES service_records(id),
    PRIMARY KEY (order_id, volunteer_id)
);

-- One-time codes for ordering by phone: only a keyed hash is stored.
CREATE TABLE phone_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    phone      TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    used_at    BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX phone_codes_phone ON phone_codes(phone, id);

-- Notices (通报) to a site, a region's administrators, a team, a volunteer or an account.
CREATE TABLE notices (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_kind   TEXT NOT NULL CHECK (recipient_kind IN ('site','region','team','volunteer','account')),
    recipient_id     BIGINT,
    recipient_region TEXT NOT NULL,
    kind             TEXT NOT NULL,
    text             TEXT NOT NULL,
    order_id         BIGINT REFERENCES orders(id),
    created_at       BIGINT NOT NULL,
    read_at          BIGINT
);
CREATE INDEX notices_recipient ON notices(recipient_kind, recipient_id, id);
CREATE INDEX notices_region ON notices(recipient_kind, recipient_region);

-- Ratings of the orders a team held, for its score.
ALTER TABLE organizations ADD COLUMN rating_sum BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN rating_count BIGINT NOT NULL DEFAULT 0;
