//! Event tallies: events, their posts and metrics, and the daily tallies (versioned: a corrected
//! day is a new current version pointing at the one it replaces).

use sqlx::FromRow;

use crate::{prefix_range, Conn, Result};

#[derive(Clone, Debug, FromRow)]
pub struct EventRow {
    pub id: i64,
    pub name: String,
    pub region_code: String,
    pub starts_on: String,
    pub ends_on: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, FromRow)]
pub struct MetricRow {
    pub id: i64,
    pub event_id: i64,
    pub position: i64,
    pub name: String,
    pub unit: String,
}

#[derive(Clone, Debug, FromRow)]
pub struct PostRow {
    pub id: i64,
    pub event_id: i64,
    pub position: i64,
    pub name: String,
    pub region_code: String,
    pub leader_account_id: Option<i64>,
    /// The leader's display name, when there is one.
    pub leader_name: Option<String>,
}

#[derive(Clone, Debug, FromRow)]
pub struct TallyRow {
    pub id: i64,
    pub event_id: i64,
    pub post_id: i64,
    pub day: String,
    pub version: i64,
    pub supersedes: Option<i64>,
    pub guides: i64,
    pub guide_minutes: i64,
    pub note: String,
    pub entered_by: Option<i64>,
    pub entered_by_name: Option<String>,
    pub entered_at: i64,
}

pub async fn insert_event(
    conn: &mut Conn,
    name: &str,
    region_code: &str,
    starts_on: &str,
    ends_on: &str,
    created_by: i64,
    at: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO events (name, region_code, starts_on, ends_on, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(name)
    .bind(region_code)
    .bind(starts_on)
    .bind(ends_on)
    .bind(created_by)
    .bind(at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn insert_metric(
    conn: &mut Conn,
    event_id: i64,
    position: i64,
    name: &str,
    unit: &str,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO event_metrics (event_id, position, name, unit) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(event_id)
    .bind(position)
    .bind(name)
    .bind(unit)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn insert_post(
    conn: &mut Conn,
    event_id: i64,
    position: i64,
    name: &str,
    region_code: &str,
    leader: Option<i64>,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO event_posts (event_id, position, name, region_code, leader_account_id) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(event_id)
    .bind(position)
    .bind(name)
    .bind(region_code)
    .bind(leader)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

const EVENT: &str = "SELECT id, name, region_code, starts_on, ends_on, created_at FROM events";

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<EventRow>> {
    Ok(sqlx::query_as(&format!("{EVENT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Events organized by an office in a region (or above it, when `within` is false: not used),
/// latest first.
pub async fn in_region(conn: &mut Conn, region_prefix: &str, limit: i64) -> Result<Vec<EventRow>> {
    let (lo, hi) = prefix_range(region_prefix);
    Ok(sqlx::query_as(&format!(
        "{EVENT} WHERE region_code >= $1 AND region_code < $2 ORDER BY starts_on DESC, id DESC LIMIT $3"
    ))
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Events with a post the account leads, latest first.
pub async fn led_by(conn: &mut Conn, account_id: i64) -> Result<Vec<EventRow>> {
    Ok(sqlx::query_as(&format!(
        "{EVENT} WHERE id IN (SELECT event_id FROM event_posts WHERE leader_account_id = $1) \
         ORDER BY starts_on DESC, id DESC"
    ))
    .bind(account_id)
    .fetch_all(conn)
    .await?)
}

pub async fn metrics(conn: &mut Conn, event_id: i64) -> Result<Vec<MetricRow>> {
    Ok(sqlx::query_as(
        "SELECT id, event_id, position, name, unit FROM event_metrics WHERE event_id = $1 ORDER BY position, id",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await?)
}

pub async fn posts(conn: &mut Conn, event_id: i64) -> Result<Vec<PostRow>> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.event_id, p.position, p.name, p.region_code, p.leader_account_id, \
         a.display_name AS leader_name FROM event_posts p LEFT JOIN accounts a ON a.id = p.leader_account_id \
         WHERE p.event_id = $1 ORDER BY p.position, p.id",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await?)
}

const TALLY: &str =
    "SELECT t.id, t.event_id, t.post_id, t.day, t.version, t.supersedes, t.guides, t.guide_minutes, \
     t.note, t.entered_by, a.display_name AS entered_by_name, t.entered_at \
     FROM event_tallies t LEFT JOIN accounts a ON a.id = t.entered_by";

/// The current tally of a post and day, locked for this transaction on PostgreSQL.
pub async fn current_tally(conn: &mut Conn, post_id: i64, day: &str) -> Result<Option<TallyRow>> {
    Ok(sqlx::query_as(&format!(
        "{TALLY} WHERE t.post_id = $1 AND t.day = $2 AND t.current = 1"
    ))
    .bind(post_id)
    .bind(day)
    .fetch_optional(conn)
    .await?)
}

/// Takes a tally out of the current ones (before its correction is written).
pub async fn retire(conn: &mut Conn, id: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE event_tallies SET current = 0 WHERE id = $1 AND current = 1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_tally(
    conn: &mut Conn,
    event_id: i64,
    post_id: i64,
    day: &str,
    version: i64,
    supersedes: Option<i64>,
    guides: i64,
    guide_minutes: i64,
    note: &str,
    entered_by: i64,
    at: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO event_tallies (event_id, post_id, day, version, supersedes, current, guides, guide_minutes, note, \
         entered_by, entered_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(event_id)
    .bind(post_id)
    .bind(day)
    .bind(version)
    .bind(supersedes)
    .bind(guides)
    .bind(guide_minutes)
    .bind(note)
    .bind(entered_by)
    .bind(at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn insert_value(conn: &mut Conn, tally_id: i64, metric_id: i64, value: i64) -> Result<()> {
    sqlx::query("INSERT INTO event_tally_values (tally_id, metric_id, value) VALUES ($1, $2, $3)")
        .bind(tally_id)
        .bind(metric_id)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every current tally of an event, by day then post.
pub async fn current_tallies(conn: &mut Conn, event_id: i64) -> Result<Vec<TallyRow>> {
    Ok(sqlx::query_as(&format!(
        "{TALLY} WHERE t.event_id = $1 AND t.current = 1 ORDER BY t.day, t.post_id"
    ))
    .bind(event_id)
    .fetch_all(conn)
    .await?)
}

/// Every version of one post's day, oldest first (the trail of corrections).
pub async fn trail(conn: &mut Conn, post_id: i64, day: &str) -> Result<Vec<TallyRow>> {
    Ok(sqlx::query_as(&format!(
        "{TALLY} WHERE t.post_id = $1 AND t.day = $2 ORDER BY t.version"
    ))
    .bind(post_id)
    .bind(day)
    .fetch_all(conn)
    .await?)
}

/// The values of the current tallies of an event: (tally, metric, value).
pub async fn current_values(conn: &mut Conn, event_id: i64) -> Result<Vec<(i64, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT v.tally_id, v.metric_id, v.value FROM event_tally_values v JOIN event_tallies t ON t.id = v.tally_id \
         WHERE t.event_id = $1 AND t.current = 1",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await?)
}

/// The values of some tallies: (tally, metric, value).
pub async fn values_of(conn: &mut Conn, tally_ids: &[i64]) -> Result<Vec<(i64, i64, i64)>> {
    let mut out = Vec::new();
    for id in tally_ids {
        let rows: Vec<(i64, i64, i64)> =
            sqlx::query_as("SELECT tally_id, metric_id, value FROM event_tally_values WHERE tally_id = $1")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Per-metric totals of the current tallies, straight from the rows (what the tests compare with).
pub async fn direct_totals(conn: &mut Conn, event_id: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT v.metric_id, CAST(SUM(v.value) AS BIGINT) FROM event_tally_values v \
         JOIN event_tallies t ON t.id = v.tally_id WHERE t.event_id = $1 AND t.current = 1 \
         GROUP BY v.metric_id ORDER BY v.metric_id",
    )
    .bind(event_id)
    .fetch_all(conn)
    .await?)
}
