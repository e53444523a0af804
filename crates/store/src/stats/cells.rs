//! The roll-up tables that triggers keep beside the orders and the organizations (migration
//! `20261207000100_order_org_cells`): one cell per region level, category and month of
//! submission for orders, per region level and kind for organizations. The dashboard reads whole
//! months from them; verify-stats recounts them from the rows, rebuild-stats rebuilds them.

use crate::{Backend, Conn, Result};

use super::OrderFigures;

/// Every cell recounted from the orders (as the migration backfills them).
fn fresh_orders(backend: Backend) -> String {
    // the month of submission in Beijing time, as `yyyymm`
    let month = match backend {
        Backend::Sqlite => "CAST(strftime('%Y%m', o.submitted_at / 1000 + 28800, 'unixepoch') AS INTEGER)",
        Backend::Postgres => {
            "CAST(to_char(to_timestamp((o.submitted_at + 28800000) / 1000.0) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT)"
        }
    };
    format!(
        "SELECT c.code AS region_code, o.category AS category, {month} AS month, \
            COUNT(*) AS total, \
            SUM(CASE WHEN o.status = 'submitted' THEN 1 ELSE 0 END) AS submitted, \
            SUM(CASE WHEN o.status = 'dispatched' THEN 1 ELSE 0 END) AS dispatched, \
            SUM(CASE WHEN o.status = 'accepted' THEN 1 ELSE 0 END) AS accepted, \
            SUM(CASE WHEN o.status = 'completed' THEN 1 ELSE 0 END) AS completed, \
            SUM(CASE WHEN o.status = 'rated' THEN 1 ELSE 0 END) AS rated, \
            SUM(CASE WHEN o.status = 'rejected' THEN 1 ELSE 0 END) AS rejected, \
            SUM(CASE WHEN o.status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled, \
            SUM(COALESCE(o.dispatched_at - o.submitted_at, 0)) AS dispatch_ms, \
            SUM(CASE WHEN o.dispatched_at IS NOT NULL THEN 1 ELSE 0 END) AS dispatch_n, \
            SUM(COALESCE(o.accepted_at - o.dispatched_at, 0)) AS accept_ms, \
            SUM(CASE WHEN o.accepted_at IS NOT NULL AND o.dispatched_at IS NOT NULL THEN 1 ELSE 0 END) AS accept_n, \
            SUM(COALESCE(o.rating, 0)) AS rating_sum, \
            SUM(CASE WHEN o.rating IS NOT NULL THEN 1 ELSE 0 END) AS rating_n, \
            SUM(CASE WHEN o.rating >= 4 THEN 1 ELSE 0 END) AS rating_good \
        FROM ({}) c JOIN orders o ON o.id = c.id \
        GROUP BY 1, 2, 3",
        at_every_level("orders")
    )
}

/// Each row of `table` once under each enclosing region level's code: (id, code).
fn at_every_level(table: &str) -> String {
    format!(
        "SELECT DISTINCT o.id AS id, substr(o.region_code, 1, l.k) || substr('000000000000', 1, 12 - l.k) AS code \
         FROM {table} o, (SELECT 2 AS k UNION ALL SELECT 4 UNION ALL SELECT 6 UNION ALL SELECT 9 UNION ALL SELECT 12) l"
    )
}

/// Every organization cell recounted from the organizations.
fn fresh_orgs() -> String {
    format!(
        "SELECT c.code AS region_code, o.kind AS kind, SUM(CASE WHEN o.dissolved_at IS NULL THEN 1 ELSE 0 END) AS live \
         FROM ({}) c JOIN organizations o ON o.id = c.id \
         GROUP BY 1, 2",
        at_every_level("organizations")
    )
}

const ORDER_COLS: &str = "region_code, category, month, total, submitted, dispatched, accepted, completed, rated, rejected, cancelled, dispatch_ms, dispatch_n, accept_ms, accept_n, rating_sum, rating_n, rating_good";

/// Order figures of a region (a 12-digit code) over whole months `from..=to` (`yyyymm`), from
/// the cells: a handful of rows however many orders they hold.
pub async fn order_months(
    conn: &mut Conn,
    region: &str,
    category: Option<&str>,
    from: i64,
    to: i64,
) -> Result<OrderFigures> {
    let cat = if category.is_some() {
        " AND category = $4"
    } else {
        ""
    };
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(total), 0) AS BIGINT) AS total,
         CAST(COALESCE(SUM(submitted), 0) AS BIGINT) AS submitted,
         CAST(COALESCE(SUM(dispatched), 0) AS BIGINT) AS dispatched,
         CAST(COALESCE(SUM(accepted), 0) AS BIGINT) AS accepted,
         CAST(COALESCE(SUM(completed), 0) AS BIGINT) AS completed,
         CAST(COALESCE(SUM(rated), 0) AS BIGINT) AS rated,
         CAST(COALESCE(SUM(rejected), 0) AS BIGINT) AS rejected,
         CAST(COALESCE(SUM(cancelled), 0) AS BIGINT) AS cancelled,
         CAST(COALESCE(SUM(dispatch_ms), 0) AS BIGINT) AS dispatch_ms,
         CAST(COALESCE(SUM(dispatch_n), 0) AS BIGINT) AS dispatch_n,
         CAST(COALESCE(SUM(accept_ms), 0) AS BIGINT) AS accept_ms,
         CAST(COALESCE(SUM(accept_n), 0) AS BIGINT) AS accept_n,
         CAST(COALESCE(SUM(rating_sum), 0) AS BIGINT) AS rating_sum,
         CAST(COALESCE(SUM(rating_n), 0) AS BIGINT) AS rating_n,
         CAST(COALESCE(SUM(rating_good), 0) AS BIGINT) AS rating_good \
         FROM order_cells WHERE region_code = $1 AND month >= $2 AND month <= $3{cat}"
    );
    let mut q = sqlx::query_as(&sql).bind(region).bind(from).bind(to);
    if let Some(c) = category {
        q = q.bind(c);
    }
    Ok(q.fetch_one(conn).await?)
}

/// Organizations and teams (not dissolved) registered in a region (a 12-digit code), from the
/// cells.
pub async fn org_cells(conn: &mut Conn, region: &str) -> Result<(i64, i64)> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT kind, live FROM org_cells WHERE region_code = $1")
        .bind(region)
        .fetch_all(conn)
        .await?;
    let of = |k: &str| {
        rows.iter()
            .filter(|(kind, _)| kind == k)
            .map(|(_, n)| *n)
            .sum::<i64>()
    };
    Ok((of("organization"), of("team")))
}

/// Recounts every order and organization cell from the rows.
pub async fn rebuild_cells(conn: &mut Conn, backend: Backend) -> Result<()> {
    sqlx::query("DELETE FROM order_cells").execute(&mut *conn).await?;
    sqlx::query("DELETE FROM org_cells").execute(&mut *conn).await?;
    sqlx::query(&format!(
        "INSERT INTO order_cells ({ORDER_COLS}) {}",
        fresh_orders(backend)
    ))
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO org_cells (region_code, kind, live) {}",
        fresh_orgs()
    ))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Cells whose stored figures differ from a recount of the rows (either way; cells that have
/// come back to zero count as absent): (table, region, category or kind, month or 0).
pub async fn cell_mismatches(
    conn: &mut Conn,
    backend: Backend,
    limit: i64,
) -> Result<Vec<(String, String, String, i64)>> {
    let stored_orders = format!(
        "SELECT {ORDER_COLS} FROM order_cells \
         WHERE ABS(total) + ABS(submitted) + ABS(dispatched) + ABS(accepted) + ABS(completed) + ABS(rated) + ABS(rejected) + ABS(cancelled) + ABS(dispatch_ms) + ABS(dispatch_n) + ABS(accept_ms) + ABS(accept_n) + ABS(rating_sum) + ABS(rating_n) + ABS(rating_good) <> 0"
    );
    let fresh = fresh_orders(backend);
    let orders = format!(
        "WITH fresh AS ({fresh}), stored AS ({stored_orders}) \
         SELECT region_code, category, month FROM (SELECT * FROM fresh EXCEPT SELECT * FROM stored) a \
         UNION SELECT region_code, category, month FROM (SELECT * FROM stored EXCEPT SELECT * FROM fresh) b"
    );
    let mut out: Vec<(String, String, String, i64)> =
        sqlx::query_as::<_, (String, String, i64)>(&format!("{orders} LIMIT {limit}"))
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|(r, c, m)| ("order_cells".to_owned(), r, c, m))
            .collect();
    let stored_orgs = "SELECT region_code, kind, live FROM org_cells WHERE live <> 0";
    let orgs = format!(
        "WITH fresh AS (SELECT * FROM ({}) f WHERE live <> 0), stored AS ({stored_orgs}) \
         SELECT region_code, kind FROM (SELECT * FROM fresh EXCEPT SELECT * FROM stored) a \
         UNION SELECT region_code, kind FROM (SELECT * FROM stored EXCEPT SELECT * FROM fresh) b",
        fresh_orgs()
    );
    out.extend(
        sqlx::query_as::<_, (String, String)>(&format!("{orgs} LIMIT {limit}"))
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|(r, k)| ("org_cells".to_owned(), r, k, 0)),
    );
    Ok(out)
}
