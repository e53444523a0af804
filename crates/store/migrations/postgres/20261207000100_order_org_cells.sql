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

CREATE FUNCTION order_cells_add(r orders, s BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO order_cells (region_code, category, month, total, submitted, dispatched, accepted, completed, rated, rejected, cancelled, dispatch_ms, dispatch_n, accept_ms, accept_n, rating_sum, rating_n, rating_good)
    SELECT a.code, r.category, CAST(to_char(to_timestamp((r.submitted_at + 28800000) / 1000.0) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT),
        s,
        s * CASE WHEN r.status = 'submitted' THEN 1 ELSE 0 END,
        s * CASE WHEN r.status = 'dispatched' THEN 1 ELSE 0 END,
        s * CASE WHEN r.status = 'accepted' THEN 1 ELSE 0 END,
        s * CASE WHEN r.status = 'completed' THEN 1 ELSE 0 END,
        s * CASE WHEN r.status = 'rated' THEN 1 ELSE 0 END,
        s * CASE WHEN r.status = 'rejected' THEN 1 ELSE 0 END,
        s * CASE WHEN r.status = 'cancelled' THEN 1 ELSE 0 END,
        s * COALESCE(r.dispatched_at - r.submitted_at, 0),
        s * CASE WHEN r.dispatched_at IS NOT NULL THEN 1 ELSE 0 END,
        s * COALESCE(r.accepted_at - r.dispatched_at, 0),
        s * CASE WHEN r.accepted_at IS NOT NULL AND r.dispatched_at IS NOT NULL THEN 1 ELSE 0 END,
        s * COALESCE(r.rating, 0),
        s * CASE WHEN r.rating IS NOT NULL THEN 1 ELSE 0 END,
        s * CASE WHEN r.rating >= 4 THEN 1 ELSE 0 END
    FROM (SELECT substr(r.region_code, 1, 2) || '0000000000' AS code UNION SELECT substr(r.region_code, 1, 4) || '00000000' UNION SELECT substr(r.region_code, 1, 6) || '000000' UNION SELECT substr(r.region_code, 1, 9) || '000' UNION SELECT r.region_code) a
    WHERE 1 = 1 ORDER BY a.code
    ON CONFLICT (region_code, category, month) DO UPDATE SET total = order_cells.total + excluded.total, submitted = order_cells.submitted + excluded.submitted, dispatched = order_cells.dispatched + excluded.dispatched, accepted = order_cells.accepted + excluded.accepted, completed = order_cells.completed + excluded.completed, rated = order_cells.rated + excluded.rated, rejected = order_cells.rejected + excluded.rejected, cancelled = order_cells.cancelled + excluded.cancelled, dispatch_ms = order_cells.dispatch_ms + excluded.dispatch_ms, dispatch_n = order_cells.dispatch_n + excluded.dispatch_n, accept_ms = order_cells.accept_ms + excluded.accept_ms, accept_n = order_cells.accept_n + excluded.accept_n, rating_sum = order_cells.rating_sum + excluded.rating_sum, rating_n = order_cells.rating_n + excluded.rating_n, rating_good = order_cells.rating_good + excluded.rating_good
$$;

CREATE FUNCTION org_cells_add(r organizations, s BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO org_cells (region_code, kind, live)
    SELECT a.code, r.kind, s * CASE WHEN r.dissolved_at IS NULL THEN 1 ELSE 0 END
    FROM (SELECT substr(r.region_code, 1, 2) || '0000000000' AS code UNION SELECT substr(r.region_code, 1, 4) || '00000000' UNION SELECT substr(r.region_code, 1, 6) || '000000' UNION SELECT substr(r.region_code, 1, 9) || '000' UNION SELECT r.region_code) a
    WHERE 1 = 1 ORDER BY a.code
    ON CONFLICT (region_code, kind) DO UPDATE SET live = org_cells.live + excluded.live
$$;

CREATE FUNCTION order_cells_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM order_cells_add(OLD, -1); END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM order_cells_add(NEW, 1); END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION org_cells_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM org_cells_add(OLD, -1); END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM org_cells_add(NEW, 1); END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER order_cells_keep AFTER INSERT OR DELETE OR UPDATE OF status, category, region_code, submitted_at, dispatched_at, accepted_at, rating ON orders
    FOR EACH ROW EXECUTE FUNCTION order_cells_keep();

CREATE TRIGGER org_cells_keep AFTER INSERT OR DELETE OR UPDATE OF kind, region_code, dissolved_at ON organizations
    FOR EACH ROW EXECUTE FUNCTION org_cells_keep();

INSERT INTO order_cells (region_code, category, month, total, submitted, dispatched, accepted, completed, rated, rejected, cancelled, dispatch_ms, dispatch_n, accept_ms, accept_n, rating_sum, rating_n, rating_good)
SELECT c.code AS region_code, o.category AS category, CAST(to_char(to_timestamp((o.submitted_at + 28800000) / 1000.0) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT) AS month,
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
