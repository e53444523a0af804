//! One-time codes for ordering by phone: stored as hashes, with attempts counted.

use sqlx::FromRow;

use crate::{now_millis, Conn, Result};

#[derive(Clone, Debug, FromRow)]
pub struct CodeRow {
    pub id: i64,
    pub phone: String,
    pub code_hash: String,
    pub expires_at: i64,
    pub attempts: i64,
    pub used_at: Option<i64>,
    pub created_at: i64,
}

pub async fn insert_code(conn: &mut Conn, phone: &str, code_hash: &str, expires_at: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO phone_codes (phone, code_hash, expires_at, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(phone)
    .bind(code_hash)
    .bind(expires_at)
    .bind(now_millis())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The newest code issued to a phone.
pub async fn latest_code(conn: &mut Conn, phone: &str) -> Result<Option<CodeRow>> {
    Ok(sqlx::query_as(
        "SELECT id, phone, code_hash, expires_at, attempts, used_at, created_at FROM phone_codes \
         WHERE phone = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(phone)
    .fetch_optional(conn)
    .await?)
}

/// Counts a wrong guess, while the code is unused and below `max` attempts; false otherwise.
pub async fn count_attempt(conn: &mut Conn, id: i64, max: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE phone_codes SET attempts = attempts + 1 WHERE id = $1 AND used_at IS NULL AND attempts < $2",
    )
    .bind(id)
    .bind(max)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Uses a code up, once.
pub async fn use_code(conn: &mut Conn, id: i64, max: i64) -> Result<bool> {
    Ok(
        sqlx::query(
            "UPDATE phone_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND attempts < $3",
        )
        .bind(now_millis())
        .bind(id)
        .bind(max)
        .execute(conn)
        .await?
        .rows_affected()
            == 1,
    )
}
