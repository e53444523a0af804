//! What imports keep: each unit's corrections to the column mapping of its files.

use crate::{Conn, Result};

/// The unit's remembered mapping for a kind of file: (label key, field code or `none`).
pub async fn remembered(conn: &mut Conn, unit: &str, kind: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT label, field FROM import_mappings WHERE unit = $1 AND kind = $2 ORDER BY label",
    )
    .bind(unit)
    .bind(kind)
    .fetch_all(conn)
    .await?)
}

/// Keeps (or replaces) how the unit's files of a kind map a label.
pub async fn remember(
    conn: &mut Conn,
    unit: &str,
    kind: &str,
    label: &str,
    field: &str,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO import_mappings (unit, kind, label, field, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (unit, kind, label) DO UPDATE SET field = excluded.field, updated_at = excluded.updated_at",
    )
    .bind(unit)
    .bind(kind)
    .bind(label)
    .bind(field)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
