//! The practice network: centers (county), institutes (township), stations (village/community).

use sqlx::FromRow;
use zhiyuan_domain::auth::SiteLevel;

use crate::{like_escape, now_millis, prefix_range, Conn, Page, PageRequest, Result};

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct SiteRow {
    pub id: i64,
    pub name: String,
    pub level: String,
    pub region_code: String,
    pub region_name: String,
    pub parent_id: Option<i64>,
    pub address: String,
    pub contact_phone: String,
    pub contact_name: String,
    pub opening_hours: String,
    pub created_at: i64,
}

#[derive(Clone, Debug)]
pub struct NewSite {
    pub name: String,
    pub level: String,
    pub region_code: String,
    pub parent_id: Option<i64>,
    pub address: String,
    pub contact_phone: String,
    pub contact_name: String,
    pub opening_hours: String,
}

/// The columns of [`SiteRow`], for every query that reads sites.
pub(crate) const SELECT: &str =
    "SELECT s.id, s.name, s.level, s.region_code, r.name AS region_name, s.parent_id, \
                      s.address, s.contact_phone, s.contact_name, s.opening_hours, s.created_at \
                      FROM sites s JOIN regions r ON r.code = s.region_code";

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<SiteRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn insert(conn: &mut Conn, new: &NewSite) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO sites (name, level, region_code, parent_id, address, contact_phone, contact_name, \
         opening_hours, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(&new.name)
    .bind(&new.level)
    .bind(&new.region_code)
    .bind(new.parent_id)
    .bind(&new.address)
    .bind(&new.contact_phone)
    .bind(&new.contact_name)
    .bind(&new.opening_hours)
    .bind(now_millis())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// What a site's office edits about it: its public details. Name, level, region and parent
/// fix where it stands in the network and are not edited.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteDetails {
    pub address: String,
    pub contact_phone: String,
    pub contact_name: String,
    pub opening_hours: String,
}

pub async fn update_details(conn: &mut Conn, id: i64, d: &SiteDetails) -> Result<()> {
    sqlx::query(
        "UPDATE sites SET address = $1, contact_phone = $2, contact_name = $3, opening_hours = $4 \
         WHERE id = $5",
    )
    .bind(&d.address)
    .bind(&d.contact_phone)
    .bind(&d.contact_name)
    .bind(&d.opening_hours)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct SiteFilter {
    /// Only sites whose region code starts with this prefix.
    pub region_prefix: Option<String>,
    pub level: Option<SiteLevel>,
    pub parent_id: Option<i64>,
    pub q: Option<String>,
}

pub async fn list(conn: &mut Conn, f: &SiteFilter, page: PageRequest) -> Result<Page<SiteRow>> {
    let (lo, hi) = prefix_range(f.region_prefix.as_deref().unwrap_or(""));
    let q = f.q.as_deref().map(|q| format!("%{}%", like_escape(q.trim())));
    let cond = "s.region_code >= $1 AND s.region_code < $2 \
                AND ($3 IS NULL OR s.level = $3) \
                AND ($4 IS NULL OR s.parent_id = $4) \
                AND ($5 IS NULL OR s.name LIKE $5 ESCAPE '\\')";
    let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM sites s WHERE {cond}"))
        .bind(&lo)
        .bind(&hi)
        .bind(f.level.map(SiteLevel::as_str))
        .bind(f.parent_id)
        .bind(&q)
        .fetch_one(&mut *conn)
        .await?;
    let items = sqlx::query_as(&format!(
        "{SELECT} WHERE {cond} ORDER BY s.region_code, s.level, s.id LIMIT $6 OFFSET $7"
    ))
    .bind(&lo)
    .bind(&hi)
    .bind(f.level.map(SiteLevel::as_str))
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

pub async fn count(conn: &mut Conn, level: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sites WHERE level = $1")
        .bind(level)
        .fetch_one(conn)
        .await?;
    Ok(n)
}
