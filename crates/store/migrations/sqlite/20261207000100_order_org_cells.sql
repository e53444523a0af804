-- Roll-ups of the dashboard's order figures and organization counts (issue #10): a city's year of
-- orders or its tens of thousands of teams had been counted row by row on every view. Each region
-- level a row's code lies under (province, city, county, township, community: the first 2, 4, 6,
-- 9 and 12 digits) has one cell per (category, month of submission) for orders and per kind for
-- organizations. Triggers keep them in the transaction that changes the row, whichever code path
-- that is: a change takes back the old row's contribution and adds the new one's. The dashboard
-- reads whole months from the cells and only the days of a partial month from the rows;
-- `zhiyuan verify-stats` recounts the cells from the rows and `zhiyuan rebuild-stats` rebuilds them.

CREATE TABLE order_cells (
    region_code TEXT NOT NULL,
    category    TEXT NOT NULL,
    month       BIGINT NOT NULL,
    total       BIGINT NOT NULL DEFAULT 0,
    submitted   BIGINT NOT NULL DEFAULT 0,
    dispatched  BIGINT NOT NULL DEFAULT 0,
    accepted    BIGINT NOT NULL DEFAULT 0,
    completed   BIGINT NOT NULL DEFAULT 0,
    rated       BIGINT NOT NULL DEFAULT 0,
    rejected    BIGINT NOT NULL DEFAULT 0,
    cancelled   BIGINT NOT NULL DEFAULT 0,
    dispatch_ms BIGINT NOT NULL DEFAULT 0,
    dispatch_n  BIGINT NOT NULL DEFAULT 0,
    accept_ms   BIGINT NOT NULL DEFAULT 0,
    accept_n    BIGINT NOT NULL DEFAULT 0,
    rating_sum  BIGINT NOT NULL DEFAULT 0,
    rating_n    BIGINT NOT NULL DEFAULT 0,
    rating_good BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (region_code, category, month)
);

CREATE TABLE org_cells (
    region_code TEXT NOT NULL,
    kind        TEXT NOT NULL,
    live        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (region_code, kind)
);

CREATE TRIGGER order_cells_insert AFTER INSERT ON orders BEGIN
    INSERT INTO order_cells (region_code, category, month, total, submitted, dispatched, accepted, completed, rated, rejected, cancelled, dispatch_ms, dispatch_n, accept_ms, accept_n, rating_sum, rating_n, rating_good)
    SELECT a.code, NEW.category, CAST(strftime('%Y%m', NEW.submitted_at / 1000 + 28800, 'unixepoch') AS INTEGER),
        1,
        1 * CASE WHEN NEW.status = 'submitted' THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.status = 'dispatched' THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.status = 'accepted' THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.status = 'completed' THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.status = 'rated' THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.status = 'rejected' THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.status = 'cancelled' THEN 1 ELSE 0 END,
        1 * COALESCE(NEW.dispatched_at - NEW.submitted_at, 0),
        1 * CASE WHEN NEW.dispatched_at IS NOT NULL THEN 1 ELSE 0 END,
        1 * COALESCE(NEW.accepted_at - NEW.dispatched_at, 0),
        1 * CASE WHEN NEW.accepted_at IS NOT NULL AND NEW.dispatched_at IS NOT NULL THEN 1 ELSE 0 END,
        1 * COALESCE(NEW.rating, 0),
        1 * CASE WHEN NEW.rating IS NOT NULL THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.rating >= 4 THEN 1 ELSE 0 END
    FROM (SELECT substr(NEW.region_code, 1, 2) || '0000000000' AS code UNION SELECT substr(NEW.region_code, 1, 4) || '00000000' UNION SELECT substr(NEW.region_code, 1, 6) || '000000' UNION SELECT substr(NEW.region_code, 1, 9) || '000' UNION SELECT NEW.region_code) a
    WHERE 1 = 1 ORDER BY a.code
    ON CONFLICT (region_code, category, month) DO UPDATE SET total = total + excluded.total, submitted = submitted + excluded.submitted, dispatched = dispatched + excluded.dispatched, accepted = accepted + excluded.accepted, completed = completed + excluded.completed, rated = rated + excluded.rated, rejected = rejected + excluded.rejected, cancelled = cancelled + excluded.cancelled, dispatch_ms = dispatch_ms + excluded.dispatch_ms, dispatch_n = dispatch_n + excluded.dispatch_n, accept_ms = accept_ms + excluded.accept_ms, accept_n = accept_n + excluded.accept_n, rating_sum = rating_sum + excluded.rating_sum, rating_n = rating_n + excluded.rating_n, rating_good = rating_good + excluded.rating_good;
END;

CREATE TRIGGER order_cells_update AFTER UPDATE OF status, category, region_code, submitted_at, dispatched_at, accepted_at, rating ON orders BEGIN
    INSERT INTO order_cells (region_code, category, month, total, submitted, dispatched, accepted, completed, rated, rejected, cancelled, dispatch_ms, dispatch_n, accept_ms, accept_n, rating_sum, rating_n, rating_good)
    SELECT a.code, OLD.category, CAST(strftime('%Y%m', OLD.submitted_at / 1000 + 28800, 'unixepoch') AS INTEGER),
        -1,
        -1 * CASE WHEN OLD.status = 'submitted' THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.status = 'dispatched' THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.status = 'accepted' THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.status = 'completed' THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.status = 'rated' THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.status = 'rejected' THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.status = 'cancelled' THEN 1 ELSE 0 END,
        -1 * COALESCE(OLD.dispatched_at - OLD.submitted_at, 0),
        -1 * CASE WHEN OLD.dispatched_at IS NOT NULL THEN 1 ELSE 0 END,
        -1 * COALESCE(OLD.accepted_at - OLD.dispatched_at, 0),
        -1 * CASE WHEN OLD.accepted_at IS NOT NULL AND OLD.dispatched_at IS NOT NULL THEN 1 ELSE 0 END,
        -1 * COALESCE(OLD.rating, 0),
        -1 * CASE WHEN OLD.rating IS NOT NULL THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.rating >= 4 THEN 1 ELSE 0 END
    FROM (SELECT substr(OLD.region_code, 1, 2) || '0000000000' AS code UNION SELECT substr(OLD.region_code, 1, 4) || '00000000' UNION SELECT substr(OLD.region_code, 1, 6) || '000000' UNION SELECT substr(OLD.region_code, 1, 9) || '000' UNION SELECT OLD.region_code) a
    WHERE 1 = 1 ORDER BY a.code
    ON CONFLICT (region_code, category, month) DO UPDATE SET total = total + excluded.total, submitted = submitted + excluded.submitted, dispatched = dispatched + excluded.dispatched, accepted = accepted + excluded.accepted, completed = completed + excluded.completed, rated = rated + excluded.rated, rejected = rejected + excluded.rejected, cancelled = cancelled + excluded.cancelled, dispatch_ms = dispatch_ms + excluded.dispatch_ms, dispatch_n = dispatch_n + excluded.dispatch_n, accept_ms = accept_ms + excluded.accept_ms, accept_n = accept_n + excluded.accept_n, rating_sum = rating_sum + excluded.rating_sum, rating_n = rating_n + excluded.rating_n, rating_good = rating_good + excluded.rating_good;
    INSERT INTO order_cells (region_code, category, month, total, submitted, dispatched, accepted, completed, rated, rejected, cancelled, dispatch_ms, dispatch_n, accept_ms, accept_n, rating_sum, rating_n, rating_good)
    SELECT a.code, NEW.category, CAST(strftime('%Y%m', NEW.submitted_at / 1000 + 28800, 'unixepoch') AS INTEGER),
        1,
        1 * CASE WHEN NEW.status = 'submitted' THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.status = 'dispatched' THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.status = 'accepted' THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.status = 'completed' THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.status = 'rated' THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.status = 'rejected' THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.status = 'cancelled' THEN 1 ELSE 0 END,
        1 * COALESCE(NEW.dispatched_at - NEW.submitted_at, 0),
        1 * CASE WHEN NEW.dispatched_at IS NOT NULL THEN 1 ELSE 0 END,
        1 * COALESCE(NEW.accepted_at - NEW.dispatched_at, 0),
        1 * CASE WHEN NEW.accepted_at IS NOT NULL AND NEW.dispatched_at IS NOT NULL THEN 1 ELSE 0 END,
        1 * COALESCE(NEW.rating, 0),
        1 * CASE WHEN NEW.rating IS NOT NULL THEN 1 ELSE 0 END,
        1 * CASE WHEN NEW.rating >= 4 THEN 1 ELSE 0 END
    FROM (SELECT substr(NEW.region_code, 1, 2) || '0000000000' AS code UNION SELECT substr(NEW.region_code, 1, 4) || '00000000' UNION SELECT substr(NEW.region_code, 1, 6) || '000000' UNION SELECT substr(NEW.region_code, 1, 9) || '000' UNION SELECT NEW.region_code) a
    WHERE 1 = 1 ORDER BY a.code
    ON CONFLICT (region_code, category, month) DO UPDATE SET total = total + excluded.total, submitted = submitted + excluded.submitted, dispatched = dispatched + excluded.dispatched, accepted = accepted + excluded.accepted, completed = completed + excluded.completed, rated = rated + excluded.rated, rejected = rejected + excluded.rejected, cancelled = cancelled + excluded.cancelled, dispatch_ms = dispatch_ms + excluded.dispatch_ms, dispatch_n = dispatch_n + excluded.dispatch_n, accept_ms = accept_ms + excluded.accept_ms, accept_n = accept_n + excluded.accept_n, rating_sum = rating_sum + excluded.rating_sum, rating_n = rating_n + excluded.rating_n, rating_good = rating_good + excluded.rating_good;
END;

CREATE TRIGGER order_cells_delete AFTER DELETE ON orders BEGIN
    INSERT INTO order_cells (region_code, category, month, total, submitted, dispatched, accepted, completed, rated, rejected, cancelled, dispatch_ms, dispatch_n, accept_ms, accept_n, rating_sum, rating_n, rating_good)
    SELECT a.code, OLD.category, CAST(strftime('%Y%m', OLD.submitted_at / 1000 + 28800, 'unixepoch') AS INTEGER),
        -1,
        -1 * CASE WHEN OLD.status = 'submitted' THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.status = 'dispatched' THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.status = 'accepted' THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.status = 'completed' THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.status = 'rated' THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.status = 'rejected' THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.status = 'cancelled' THEN 1 ELSE 0 END,
        -1 * COALESCE(OLD.dispatched_at - OLD.submitted_at, 0),
        -1 * CASE WHEN OLD.dispatched_at IS NOT NULL THEN 1 ELSE 0 END,
        -1 * COALESCE(OLD.accepted_at - OLD.dispatched_at, 0),
        -1 * CASE WHEN OLD.accepted_at IS NOT NULL AND OLD.dispatched_at IS NOT NULL THEN 1 ELSE 0 END,
        -1 * COALESCE(OLD.rating, 0),
        -1 * CASE WHEN OLD.rating IS NOT NULL THEN 1 ELSE 0 END,
        -1 * CASE WHEN OLD.rating >= 4 THEN 1 ELSE 0 END
    FROM (SELECT substr(OLD.region_code, 1, 2) || '0000000000' AS code UNION SELECT substr(OLD.region_code, 1, 4) || '00000000' UNION SELECT substr(OLD.region_code, 1, 6) || '000000' UNION SELECT substr(OLD.region_code, 1, 9) || '000' UNION SELECT OLD.region_code) a
    WHERE 1 = 1 ORDER BY a.code
    ON CONFLICT (region_code, category, month) DO UPDATE SET total = total + excluded.total, submitted = submitted + excluded.submitted, dispatched = dispatched + excluded.dispatched, accepted = accepted + excluded.accepted, completed = completed + excluded.completed, rated = rated + excluded.rated, rejected = rejected + excluded.rejected, cancelled = cancelled + excluded.cancelled, dispatch_ms = dispatch_ms + excluded.dispatch_ms, dispatch_n = dispatch_n + excluded.dispatch_n, accept_ms = accept_ms + excluded.accept_ms, accept_n = accept_n + excluded.accept_n, rating_sum = rating_sum + excluded.rating_sum, rating_n = rating_n + excluded.rating_n, rating_good = rating_good + excluded.rating_good;
END;

CREATE TRIGGER org_cells_insert AFTER INSERT ON organizations BEGIN
    INSERT INTO org_cells (region_code, kind, live)
    SELECT a.code, NEW.kind, 1 * CASE WHEN NEW.dissolved_at IS NULL THEN 1 ELSE 0 END
    FROM (SELECT substr(NEW.region_code, 1, 2) || '0000000000' AS code UNION SELECT substr(NEW.region_code, 1, 4) || '00000000' UNION SELECT substr(NEW.region_code, 1, 6) || '000000' UNION SELECT substr(NEW.region_code, 1, 9) || '000' UNION SELECT NEW.region_code) a
    WHERE 1 = 1 ORDER BY a.code
    ON CONFLICT (region_code, kind) DO UPDATE SET live = live + excluded.live;
END;

CREATE TRIGGER org_cells_update AFTER UPDATE OF kind, region_code, dissolved_at ON organizations BEGIN
    INSERT INTO org_cells (region_code, kind, live)
    SELECT a.code, OLD.kind, -1 * CASE WHEN OLD.dissolved_at IS NULL THEN 1 ELSE 0 END
    FROM (SELECT substr(OLD.region_code, 1, 2) || '0000000000' AS code UNION SELECT substr(OLD.region_code, 1, 4) || '00000000' UNION SELECT substr(OLD.region_code, 1, 6) || '000000' UNION SELECT substr(OLD.region_code, 1, 9) || '000' UNION SELECT OLD.region_code) a
    WHERE 1 = 1 ORDER BY a.code
    ON CONFLICT (region_code, kind) DO UPDATE SET live = live + excluded.live;
    INSERT INTO org_cells (region_code, kind, live)
    SELECT a.code, NEW.kind, 1 * CASE WHEN NEW.dissolved_at IS NULL THEN 1 ELSE 0 END
    FROM (SELECT substr(NEW.region_code, 1, 2) || '0000000000' AS code UNION SELECT substr(NEW.region_code, 1, 4) || '00000000' UNION SELECT substr(NEW.region_code, 1, 6) || '000000' UNION SELECT substr(NEW.region_code, 1, 9) || '000' UNION SELECT NEW.region_code) a
    WHERE 1 = 1 ORDER BY a.code
    ON CONFLICT (region_code, kind) DO UPDATE SET live = live + excluded.live;
END;

CREATE TRIGGER org_cells_delete AFTER DELETE ON organizations BEGIN
    INSERT INTO org_cells (region_code, kind, live)
    SELECT a.code, OLD.kind, -1 * CASE WHEN OLD.dissolved_at IS NULL THEN 1 ELSE 0 END
    FROM (SELECT substr(OLD.region_code, 1, 2) || '0000000000' AS code UNION SELECT substr(OLD.region_code, 1, 4) || '00000000' UNION SELECT substr(OLD.region_code, 1, 6) || '000000' UNION SELECT substr(OLD.region_code, 1, 9) || '000' UNION SELECT OLD.region_code) a
    WHERE 1 = 1 ORDER BY a.code
    ON CONFLICT (region_code, kind) DO UPDATE SET live = live + excluded.live;
END;

INSERT INTO order_cells (region_code, category, month, total, submitted, dispatched, accepted, completed, rated, rejected, cancelled, dispatch_ms, dispatch_n, accept_ms, accept_n, rating_sum, rating_n, rating_good)
SELECT c.code AS region_code, o.category AS category, CAST(strftime('%Y%m', o.submitted_at / 1000 + 28800, 'unixepoch') AS INTEGER) AS month,
    COUNT(*) AS total,
    SUM(CASE WHEN o.status = 'submitted' THEN 1 ELSE 0 END) AS submitted,
    SUM(CASE WHEN o.status = 'dispatched' THEN 1 ELSE 0 END) AS dispatched,
    SUM(CASE WHEN o.status = 'accepted' THEN 1 ELSE 0 END) AS accepted,
    SUM(CASE WHEN o.status = 'completed' THEN 1 ELSE 0 END) AS completed,
    SUM(CASE WHEN o.status = 'rated' THEN 1 ELSE 0 END) AS rated,
    SUM(CASE WHEN o.status = 'rejected' THEN 1 ELSE 0 END) AS rejected,
    SUM(CASE WHEN o.status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
    SUM(COALESCE(o.dispatched_at - o.submitted_at, 0)) AS dispatch_ms,
    SUM(CASE WHEN o.dispatched_at IS NOT NULL THEN 1 ELSE 0 END) AS dispatch_n,
    SUM(COALESCE(o.accepted_at - o.dispatched_at, 0)) AS accept_ms,
    SUM(CASE WHEN o.accepted_at IS NOT NULL AND o.dispatched_at IS NOT NULL THEN 1 ELSE 0 END) AS accept_n,
    SUM(COALESCE(o.rating, 0)) AS rating_sum,
    SUM(CASE WHEN o.rating IS NOT NULL THEN 1 ELSE 0 END) AS rating_n,
    SUM(CASE WHEN o.rating >= 4 THEN 1 ELSE 0 END) AS rating_good
FROM (SELECT DISTINCT o.id AS id, substr(o.region_code, 1, l.k) || substr('000000000000', 1, 12 - l.k) AS code
      FROM orders o, (SELECT 2 AS k UNION ALL SELECT 4 UNION ALL SELECT 6 UNION ALL SELECT 9 UNION ALL SELECT 12) l) c
JOIN orders o ON o.id = c.id
GROUP BY 1, 2, 3;

INSERT INTO org_cells (region_code, kind, live)
SELECT c.code AS region_code, o.kind AS kind, SUM(CASE WHEN o.dissolved_at IS NULL THEN 1 ELSE 0 END) AS live
FROM (SELECT DISTINCT o.id AS id, substr(o.region_code, 1, l.k) || substr('000000000000', 1, 12 - l.k) AS code
      FROM organizations o, (SELECT 2 AS k UNION ALL SELECT 4 UNION ALL SELECT 6 UNION ALL SELECT 9 UNION ALL SELECT 12) l) c
JOIN organizations o ON o.id = c.id
GROUP BY 1, 2;
