//! The append-only audit log: who did what, when, with the entity before and after.
//! The database refuses UPDATE and DELETE on the table (triggers in the migrations).

use sqlx::FromRow;
use zhiyuan_domain::audit::{AuditAction, Entity};

use crate::seek::{self, KeyKind, KeyValue, Seek, SeekRequest};
use crate::{now_millis, prefix_range, Conn, Result};

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub region_code: Option<String>,
    pub org_path: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewAudit {
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// What was done; the entity type is the action's [`AuditAction::entity`].
    pub action: AuditAction,
    pub entity_id: String,
    /// The region the entity belongs to, for region-scoped reading.
    pub region_code: Option<String>,
    /// The team path the entity belongs to, for team-scoped reading.
    pub org_path: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

pub async fn append(conn: &mut Conn, e: &NewAudit) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, entity_type, entity_id, region_code, org_path, \
         before_json, after_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(now_millis())
    .bind(e.actor_id)
    .bind(&e.actor_name)
    .bind(e.action.as_str())
    .bind(e.action.entity().as_str())
    .bind(&e.entity_id)
    .bind(&e.region_code)
    .bind(&e.org_path)
    .bind(e.before.as_ref().map(|v| v.to_string()))
    .bind(e.after.as_ref().map(|v| v.to_string()))
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Which entries a reader may see.
#[derive(Clone, Debug)]
pub enum AuditScope {
    RegionPrefix(String),
    OrgSubtree(String),
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub entity: Option<Entity>,
    pub entity_id: Option<String>,
    pub action: Option<AuditAction>,
}

/// A keyset page of the entries a reader may see, newest first (the cursor is the entry id).
pub async fn list(
    conn: &mut Conn,
    scope: &AuditScope,
    f: &AuditFilter,
    page: &SeekRequest,
) -> Result<Seek<AuditRow>> {
    let (col, prefix) = match scope {
        AuditScope::RegionPrefix(p) => ("region_code", p),
        AuditScope::OrgSubtree(p) => ("org_path", p),
    };
    let (lo, hi) = prefix_range(prefix);
    let plan = seek::plan(page, KeyKind::Id, "", "id", true, 6)?;
    let sql = format!(
        "SELECT id, at, actor_id, actor_name, action, entity_type, entity_id, region_code, org_path, before_json, \
         after_json FROM audit_log WHERE {col} >= $1 AND {col} < $2 AND ($3 IS NULL OR entity_type = $3) \
         AND ($4 IS NULL OR entity_id = $4) AND ($5 IS NULL OR action = $5){}{}",
        plan.cond, plan.order
    );
    let q = sqlx::query_as(&sql)
        .bind(lo)
        .bind(hi)
        .bind(f.entity.map(Entity::as_str))
        .bind(f.entity_id.clone())
        .bind(f.action.map(AuditAction::as_str));
    let rows: Vec<AuditRow> = plan.bind(q).fetch_all(conn).await?;
    Ok(plan.finish(rows, |r| (KeyValue::Int(r.id), r.id)))
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log")
        .fetch_one(conn)
        .await?;
    Ok(n)
}
