//! Login accounts with a role and a scope.

use sqlx::FromRow;
use zhiyuan_domain::auth::Role;

use crate::{now_millis, Conn, Result};

#[derive(Clone, Debug, FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: String,
    pub scope_region: Option<String>,
    pub scope_site_id: Option<i64>,
    pub scope_org_id: Option<i64>,
    pub volunteer_id: Option<i64>,
    pub created_at: i64,
    /// When an administrator disabled (停用) the account; it cannot log in while set.
    pub disabled_at: Option<i64>,
    pub last_login_at: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct NewAccount {
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: String,
    pub scope_region: Option<String>,
    pub scope_site_id: Option<i64>,
    pub scope_org_id: Option<i64>,
    pub volunteer_id: Option<i64>,
}

const SELECT: &str = "SELECT id, username, password_hash, display_name, role, scope_region, \
                      scope_site_id, scope_org_id, volunteer_id, created_at, disabled_at, last_login_at \
                      FROM accounts";

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<AccountRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn by_username(conn: &mut Conn, username: &str) -> Result<Option<AccountRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE username = $1"))
        .bind(username)
        .fetch_optional(conn)
        .await?)
}

pub async fn insert(conn: &mut Conn, new: &NewAccount) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO accounts (username, password_hash, display_name, role, scope_region, \
         scope_site_id, scope_org_id, volunteer_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(&new.username)
    .bind(&new.password_hash)
    .bind(&new.display_name)
    .bind(&new.role)
    .bind(&new.scope_region)
    .bind(new.scope_site_id)
    .bind(new.scope_org_id)
    .bind(new.volunteer_id)
    .bind(now_millis())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn set_volunteer(conn: &mut Conn, account_id: i64, volunteer_id: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET volunteer_id = $1 WHERE id = $2")
        .bind(volunteer_id)
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// An administrator's account with the name of the site or team it administers.
#[derive(Clone, Debug, FromRow)]
pub struct AdminAccountRow {
    #[sqlx(flatten)]
    pub account: AccountRow,
    pub site_name: Option<String>,
    pub org_name: Option<String>,
}

/// Which administrators' accounts a reader sees: those whose place (the region of a city or
/// district admin, the region of a site admin's site, the region of a team admin's team) lies
/// under `region_prefix`, or whose team lies under `org_path`.
#[derive(Clone, Debug, Default)]
pub struct AdminFilter {
    pub region_prefix: Option<String>,
    pub org_path: Option<String>,
}

/// Administrators' accounts within a filter, by place then name (an office has dozens, not
/// thousands: one list).
pub async fn admins(conn: &mut Conn, f: &AdminFilter, limit: i64) -> Result<Vec<AdminAccountRow>> {
    let range = |p: &Option<String>| p.as_deref().map(crate::prefix_range);
    let region = range(&f.region_prefix);
    let path = range(&f.org_path);
    let sql = format!(
        "SELECT a.id, a.username, a.password_hash, a.display_name, a.role, a.scope_region, \
         a.scope_site_id, a.scope_org_id, a.volunteer_id, a.created_at, a.disabled_at, a.last_login_at, \
         s.name AS site_name, o.name AS org_name \
         FROM accounts a LEFT JOIN sites s ON s.id = a.scope_site_id \
         LEFT JOIN organizations o ON o.id = a.scope_org_id \
         WHERE a.role IN ({}) \
         AND (($1 IS NOT NULL AND ((a.scope_region >= $1 AND a.scope_region < $2) \
               OR (s.region_code >= $1 AND s.region_code < $2) OR (o.region_code >= $1 AND o.region_code < $2))) \
           OR ($3 IS NOT NULL AND o.path >= $3 AND o.path < $4)) \
         ORDER BY COALESCE(a.scope_region, s.region_code, o.region_code), a.role, a.username LIMIT $5",
        crate::sql_words(&[
            Role::CityAdmin.as_str(),
            Role::DistrictAdmin.as_str(),
            Role::SiteAdmin.as_str(),
            Role::TeamAdmin.as_str(),
        ])
    );
    Ok(sqlx::query_as(&sql)
        .bind(region.as_ref().map(|r| r.0.clone()))
        .bind(region.map(|r| r.1))
        .bind(path.as_ref().map(|r| r.0.clone()))
        .bind(path.map(|r| r.1))
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

pub async fn touch_login(conn: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET last_login_at = $1 WHERE id = $2")
        .bind(now_millis())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives an account another role and the place it applies to.
pub async fn set_role(
    conn: &mut Conn,
    id: i64,
    role: &str,
    scope_region: Option<&str>,
    scope_site_id: Option<i64>,
    scope_org_id: Option<i64>,
) -> Result<()> {
    sqlx::query("UPDATE accounts SET role = $1, scope_region = $2, scope_site_id = $3, scope_org_id = $4 WHERE id = $5")
        .bind(role)
        .bind(scope_region)
        .bind(scope_site_id)
        .bind(scope_org_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Disables (`Some(now)`) or enables (`None`) an account.
pub async fn set_disabled(conn: &mut Conn, id: i64, at: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE accounts SET disabled_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_password(conn: &mut Conn, id: i64, hash: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_username(conn: &mut Conn, id: i64, username: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET username = $1 WHERE id = $2")
        .bind(username)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
