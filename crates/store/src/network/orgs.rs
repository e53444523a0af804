//! Volunteer organizations and teams. Teams nest: `path` is the materialized chain of ids
//! from the root, e.g. `/3/17/42/`, so a subtree is one prefix range.

use sqlx::FromRow;

use crate::{like_escape, now_millis, prefix_range, Conn, Page, PageRequest, Result};

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<i64>,
    pub path: String,
    pub site_id: Option<i64>,
    pub site_name: Option<String>,
    pub region_code: String,
    pub region_name: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
    pub created_at: i64,
    pub member_count: i64,
    /// When it was dissolved (解散); kept with its history, left out of the directory.
    pub dissolved_at: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct NewOrg {
    pub name: String,
    pub kind: String,
    pub parent_id: Option<i64>,
    /// The parent's path (empty for a root).
    pub parent_path: String,
    pub site_id: Option<i64>,
    pub region_code: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
}

/// The columns of [`OrgRow`]; the member count counts approved memberships.
static SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT o.id, o.name, o.kind, o.parent_id, o.path, o.site_id, s.name AS site_name, \
     o.region_code, r.name AS region_name, o.contact_name, o.contact_phone, o.description, o.created_at, o.dissolved_at, \
     (SELECT COUNT(*) FROM memberships m WHERE m.organization_id = o.id AND m.status = '{}') AS member_count \
     FROM organizations o JOIN regions r ON r.code = o.region_code LEFT JOIN sites s ON s.id = o.site_id",
        zhiyuan_domain::auth::MembershipStatus::Approved.as_str()
    )
});

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<OrgRow>> {
    Ok(sqlx::query_as(&format!("{} WHERE o.id = $1", *SELECT))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The live organizations with exactly this name (an imported file names its team).
pub async fn by_name(conn: &mut Conn, name: &str) -> Result<Vec<OrgRow>> {
    Ok(sqlx::query_as(&format!(
        "{} WHERE o.name = $1 AND o.dissolved_at IS NULL ORDER BY o.id",
        *SELECT
    ))
    .bind(name)
    .fetch_all(conn)
    .await?)
}

/// Only the path of an organization (cheap: no member count).
pub async fn path_of(conn: &mut Conn, id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT path FROM organizations WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0))
}

/// Inserts the organization and sets its path; returns (id, path).
pub async fn insert(conn: &mut Conn, new: &NewOrg) -> Result<(i64, String)> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO organizations (name, kind, parent_id, path, site_id, region_code, contact_name, \
         contact_phone, description, created_at) VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(&new.name)
    .bind(&new.kind)
    .bind(new.parent_id)
    .bind(new.site_id)
    .bind(&new.region_code)
    .bind(&new.contact_name)
    .bind(&new.contact_phone)
    .bind(&new.description)
    .bind(now_millis())
    .fetch_one(&mut *conn)
    .await?;
    let base = if new.parent_path.is_empty() {
        "/".to_owned()
    } else {
        new.parent_path.clone()
    };
    let path = format!("{base}{id}/");
    sqlx::query("UPDATE organizations SET path = $1 WHERE id = $2")
        .bind(&path)
        .bind(id)
        .execute(conn)
        .await?;
    Ok((id, path))
}

#[derive(Clone, Debug, Default)]
pub struct OrgFilter {
    pub region_prefix: Option<String>,
    /// Only this subtree (a path prefix).
    pub path_prefix: Option<String>,
    pub site_id: Option<i64>,
    pub parent_id: Option<i64>,
    /// Only roots (no parent).
    pub roots_only: bool,
    pub q: Option<String>,
}

pub async fn list(conn: &mut Conn, f: &OrgFilter, page: PageRequest) -> Result<Page<OrgRow>> {
    let (rlo, rhi) = prefix_range(f.region_prefix.as_deref().unwrap_or(""));
    let (plo, phi) = prefix_range(f.path_prefix.as_deref().unwrap_or(""));
    let q = f.q.as_deref().map(|q| format!("%{}%", like_escape(q.trim())));
    let cond = format!(
        "o.region_code >= $1 AND o.region_code < $2 AND o.path >= $3 AND o.path < $4 \
         AND ($5 IS NULL OR o.site_id = $5) AND ($6 IS NULL OR o.parent_id = $6) \
         AND ($7 IS NULL OR o.name LIKE $7 ESCAPE '\\') AND o.dissolved_at IS NULL{}",
        if f.roots_only {
            " AND o.parent_id IS NULL"
        } else {
            ""
        }
    );
    let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM organizations o WHERE {cond}"))
        .bind(&rlo)
        .bind(&rhi)
        .bind(&plo)
        .bind(&phi)
        .bind(f.site_id)
        .bind(f.parent_id)
        .bind(&q)
        .fetch_one(&mut *conn)
        .await?;
    // Roots and the children of one parent come in region-code order (the 16 district unions as
    // GB/T 2260 lists the districts); a subtree comes in path order, each under its parent.
    let order = if f.roots_only || f.parent_id.is_some() {
        "o.region_code, o.path"
    } else {
        "o.path"
    };
    let items = sqlx::query_as(&format!(
        "{} WHERE {cond} ORDER BY {order} LIMIT $8 OFFSET $9",
        *SELECT
    ))
    .bind(&rlo)
    .bind(&rhi)
    .bind(&plo)
    .bind(&phi)
    .bind(f.site_id)
    .bind(f.parent_id)
    .bind(&q)
    .bind(page.per_page)
    .bind(page.offset())
    .fetch_all(conn)
    .await?;
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

pub async fn children(conn: &mut Conn, parent_id: i64) -> Result<Vec<OrgRow>> {
    Ok(sqlx::query_as(&format!(
        "{} WHERE o.parent_id = $1 AND o.dissolved_at IS NULL ORDER BY o.region_code, o.id",
        *SELECT
    ))
    .bind(parent_id)
    .fetch_all(conn)
    .await?)
}

/// What an organization's administrators edit about it (its place in the tree moves with
/// [`move_subtree`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgDetails {
    pub name: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
}

pub async fn update_details(conn: &mut Conn, id: i64, d: &OrgDetails) -> Result<()> {
    sqlx::query(
        "UPDATE organizations SET name = $1, contact_name = $2, contact_phone = $3, description = $4 \
         WHERE id = $5",
    )
    .bind(&d.name)
    .bind(&d.contact_name)
    .bind(&d.contact_phone)
    .bind(&d.description)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The ids and paths of a subtree, the organization itself first.
pub async fn subtree(conn: &mut Conn, path: &str) -> Result<Vec<(i64, String)>> {
    let (lo, hi) = prefix_range(path);
    Ok(
        sqlx::query_as("SELECT id, path FROM organizations WHERE path >= $1 AND path < $2 ORDER BY path")
            .bind(&lo)
            .bind(&hi)
            .fetch_all(conn)
            .await?,
    )
}

/// Hangs an organization under another parent (or none): its parent id changes and every path
/// of its subtree trades the old prefix for the new one. Returns the organization's new path.
pub async fn move_subtree(
    conn: &mut Conn,
    id: i64,
    old_path: &str,
    parent: Option<(i64, &str)>,
) -> Result<String> {
    let new_path = format!("{}{id}/", parent.map_or("/", |p| p.1));
    for (oid, path) in subtree(&mut *conn, old_path).await? {
        let moved = format!("{new_path}{}", &path[old_path.len()..]);
        sqlx::query("UPDATE organizations SET path = $1 WHERE id = $2")
            .bind(&moved)
            .bind(oid)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("UPDATE organizations SET parent_id = $1 WHERE id = $2")
        .bind(parent.map(|p| p.0))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(new_path)
}

/// Locks organizations for the rest of the transaction (PostgreSQL row locks; SQLite's writer
/// holds the whole database already), in id order so that two writers never wait on each
/// other: a move, a dissolution and a new child read their rows only after this.
pub async fn lock(conn: &mut Conn, ids: &[i64]) -> Result<()> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        sqlx::query("UPDATE organizations SET path = path WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// How many organizations below this one are not dissolved.
pub async fn live_children(conn: &mut Conn, id: i64) -> Result<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM organizations WHERE parent_id = $1 AND dissolved_at IS NULL")
            .bind(id)
            .fetch_one(conn)
            .await?;
    Ok(n)
}

/// Marks an organization dissolved; false when it already was.
pub async fn dissolve(conn: &mut Conn, id: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE organizations SET dissolved_at = $1 WHERE id = $2 AND dissolved_at IS NULL")
        .bind(now_millis())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organizations")
        .fetch_one(conn)
        .await?;
    Ok(n)
}
