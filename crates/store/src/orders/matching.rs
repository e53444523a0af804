//! What the matching index needs of each volunteer: position, skills, availability and the
//! ranking figures (rating, active orders, last service).

use sqlx::FromRow;

use crate::{Conn, Result};

#[derive(Clone, Debug, FromRow, PartialEq)]
pub struct MatchRow {
    pub id: i64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Comma-separated, as stored on the volunteer.
    pub skills: String,
    /// 42 hex characters ([`zhiyuan_domain::people::availability::WeeklyAvailability::to_hex`]) or empty.
    pub availability: String,
    pub rating_sum: i64,
    pub rating_count: i64,
    pub active_orders: i64,
    pub last_served_at: Option<i64>,
}

const SELECT: &str = "SELECT id, lat, lon, skills, availability, rating_sum, rating_count, active_orders, \
     last_served_at FROM volunteers";

/// The next `limit` volunteers with a position whose id is above `after_id`, by id: page through
/// all of them with the last id of each page (keyset paging, no long-lived cursor).
pub async fn rows_after(conn: &mut Conn, after_id: i64, limit: i64) -> Result<Vec<MatchRow>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE id > $1 AND lat IS NOT NULL AND lon IS NOT NULL AND closed_at IS NULL ORDER BY id LIMIT $2"
    ))
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// One volunteer's row, with or without a position.
pub async fn row(conn: &mut Conn, id: i64) -> Result<Option<MatchRow>> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE id = $1 AND closed_at IS NULL"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}
