-- Event tallies (活动统计, issue #10 §4): an office's event with its period, posts and metrics,
-- and the daily tallies post leaders enter. A corrected day is a new version of that day's
-- tally that points at the one it replaces; only the current version counts.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    -- the organizing office's region: who sees and manages the event
    region_code TEXT NOT NULL REFERENCES regions(code),
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    created_by  BIGINT REFERENCES accounts(id),
    created_at  BIGINT NOT NULL,
    CHECK (ends_on >= starts_on)
);
CREATE INDEX events_region ON events(region_code);

CREATE TABLE event_metrics (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id BIGINT NOT NULL REFERENCES events(id),
    position BIGINT NOT NULL,
    name     TEXT NOT NULL,
    unit     TEXT NOT NULL
);
CREATE UNIQUE INDEX event_metrics_name ON event_metrics(event_id, name);

CREATE TABLE event_posts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id          BIGINT NOT NULL REFERENCES events(id),
    position          BIGINT NOT NULL,
    name              TEXT NOT NULL,
    region_code       TEXT NOT NULL REFERENCES regions(code),
    -- the post leader (点位负责人) who enters its tallies, besides the offices over the event
    leader_account_id BIGINT REFERENCES accounts(id)
);
CREATE UNIQUE INDEX event_posts_name ON event_posts(event_id, name);
CREATE INDEX event_posts_leader ON event_posts(leader_account_id);

CREATE TABLE event_tallies (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      BIGINT NOT NULL REFERENCES events(id),
    post_id       BIGINT NOT NULL REFERENCES event_posts(id),
    day           TEXT NOT NULL,
    version       BIGINT NOT NULL,
    supersedes    BIGINT REFERENCES event_tallies(id),
    current       BIGINT NOT NULL DEFAULT 1 CHECK (current IN (0, 1)),
    guides        BIGINT NOT NULL CHECK (guides >= 0),
    guide_minutes BIGINT NOT NULL CHECK (guide_minutes >= 0),
    note          TEXT NOT NULL DEFAULT '',
    entered_by    BIGINT REFERENCES accounts(id),
    entered_at    BIGINT NOT NULL
);
-- one current entry per post and day: two first entries of a day cannot both win
CREATE UNIQUE INDEX event_tallies_current ON event_tallies(post_id, day) WHERE current = 1;
CREATE UNIQUE INDEX event_tallies_supersedes ON event_tallies(supersedes);
CREATE INDEX event_tallies_event ON event_tallies(event_id, current);

CREATE TABLE event_tally_values (
    tally_id  BIGINT NOT NULL REFERENCES event_tallies(id),
    metric_id BIGINT NOT NULL REFERENCES event_metrics(id),
    value     BIGINT NOT NULL CHECK (value >= 0),
    PRIMARY KEY (tally_id, metric_id)
);
