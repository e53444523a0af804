//! Login sessions (web cookie and API bearer token alike); only a hash of the token is stored.

use crate::{now_millis, Conn, Result};

pub async fn insert(conn: &mut Conn, token_hash: &str, account_id: i64, expires_at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(now_millis())
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The account of a live session.
pub async fn account_of(conn: &mut Conn, token_hash: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT account_id FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now_millis())
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|r| r.0))
}

pub async fn delete(conn: &mut Conn, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of an account; returns how many.
pub async fn delete_for_account(conn: &mut Conn, account_id: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Ends every session of an account but one (the one in use, by its token hash).
pub async fn delete_for_account_except(conn: &mut Conn, account_id: i64, keep: Option<&str>) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND ($2 IS NULL OR token_hash <> $2)")
            .bind(account_id)
            .bind(keep)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

pub async fn purge_expired(conn: &mut Conn) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now_millis())
        .execute(conn)
        .await?
        .rows_affected())
}
