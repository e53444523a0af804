//! Login accounts with a role and a scope.

use sqlx::FromRow;

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
                      scope_site_id, scope_org_id, volunteer_id, created_at FROM accounts";

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
