//! Saved responses of writes sent with an `Idempotency-Key`, per caller.
//!
//! A key is first claimed (a row without a status: in flight), then either completed with the
//! response or released when the request failed, so that a retry runs it again.

use sqlx::FromRow;

use crate::{Conn, Result};

/// A claimed key as stored.
#[derive(Clone, Debug, FromRow)]
pub struct KeyRow {
    pub fingerprint: String,
    pub created_at: i64,
    pub status: Option<i64>,
    pub content_type: Option<String>,
    pub body: Option<Vec<u8>>,
}

/// Claims `(actor, key)` for a request; false when somebody holds it already.
pub async fn claim(conn: &mut Conn, actor: &str, key: &str, fingerprint: &str, now: i64) -> Result<bool> {
    let n = sqlx::query(
        "INSERT INTO idempotency_keys (actor, idem_key, fingerprint, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (actor, idem_key) DO NOTHING",
    )
    .bind(actor)
    .bind(key)
    .bind(fingerprint)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn get(conn: &mut Conn, actor: &str, key: &str) -> Result<Option<KeyRow>> {
    Ok(sqlx::query_as(
        "SELECT fingerprint, created_at, status, content_type, body FROM idempotency_keys \
         WHERE actor = $1 AND idem_key = $2",
    )
    .bind(actor)
    .bind(key)
    .fetch_optional(conn)
    .await?)
}

/// Saves the response of a claimed key.
pub async fn complete(
    conn: &mut Conn,
    actor: &str,
    key: &str,
    status: i64,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5 \
         WHERE actor = $1 AND idem_key = $2",
    )
    .bind(actor)
    .bind(key)
    .bind(status)
    .bind(content_type)
    .bind(body.to_vec())
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a key (its request failed and wrote nothing, or the row expired).
pub async fn release(conn: &mut Conn, actor: &str, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE actor = $1 AND idem_key = $2")
        .bind(actor)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes every key claimed before `before`; returns how many.
pub async fn purge_before(conn: &mut Conn, before: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(before)
        .execute(conn)
        .await?
        .rows_affected())
}
