//! A volunteer's membership of a team: requested, then approved or declined by the team.

use sqlx::FromRow;

use zhiyuan_domain::auth::MembershipStatus;

use crate::{now_millis, prefix_range, Conn, Result};

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct MembershipRow {
    pub id: i64,
    pub volunteer_id: i64,
    pub volunteer_name: String,
    pub volunteer_no: Option<String>,
    pub organization_id: i64,
    pub organization_name: String,
    pub organization_path: String,
    pub organization_region: String,
    #[sqlx(try_from = "String")]
    pub status: MembershipStatus,
    pub note: String,
    pub requested_at: i64,
    pub decided_at: Option<i64>,
}

const SELECT: &str = "SELECT m.id, m.volunteer_id, v.name AS volunteer_name, v.volunteer_no, m.organization_id, \
     o.name AS organization_name, o.path AS organization_path, o.region_code AS organization_region, m.status, \
     m.note, m.requested_at, m.decided_at FROM memberships m JOIN volunteers v ON v.id = m.volunteer_id \
     JOIN organizations o ON o.id = m.organization_id";

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<MembershipRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE m.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// A pending or approved membership of the volunteer in the organization, if any.
pub async fn active(conn: &mut Conn, volunteer_id: i64, org_id: i64) -> Result<Option<MembershipRow>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE m.volunteer_id = $1 AND m.organization_id = $2 AND m.status IN ($3, $4)"
    ))
    .bind(volunteer_id)
    .bind(org_id)
    .bind(MembershipStatus::LIVE[0].as_str())
    .bind(MembershipStatus::LIVE[1].as_str())
    .fetch_optional(conn)
    .await?)
}

/// Inserts a membership in the given status; fails on the unique index if an active one exists.
pub async fn insert(
    conn: &mut Conn,
    volunteer_id: i64,
    org_id: i64,
    status: MembershipStatus,
    note: &str,
    decided_by: Option<i64>,
) -> Result<i64> {
    let now = now_millis();
    let decided_at = if status == MembershipStatus::Pending {
        None
    } else {
        Some(now)
    };
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO memberships (volunteer_id, organization_id, status, note, requested_at, decided_at, decided_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(volunteer_id)
    .bind(org_id)
    .bind(status.as_str())
    .bind(note)
    .bind(now)
    .bind(decided_at)
    .bind(decided_by)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Moves a membership from `from` to `to`; returns false when it was not in `from` any more
/// (someone else decided first).
pub async fn decide(
    conn: &mut Conn,
    id: i64,
    from: MembershipStatus,
    to: MembershipStatus,
    by: i64,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE memberships SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(now_millis())
    .bind(by)
    .bind(id)
    .bind(from.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Whose memberships [`end_all`] ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whose {
    /// Every member of an organization (it is dissolved).
    Organization(i64),
    /// Every team of a volunteer (they leave the platform).
    Volunteer(i64),
}

/// Ends every membership of an organization or a volunteer in state `from` by moving it to `to`
/// (members leave, open requests are declined); returns how many moved.
pub async fn end_all(
    conn: &mut Conn,
    whose: Whose,
    from: MembershipStatus,
    to: MembershipStatus,
    by: i64,
) -> Result<u64> {
    let (column, id) = match whose {
        Whose::Organization(id) => ("organization_id", id),
        Whose::Volunteer(id) => ("volunteer_id", id),
    };
    Ok(sqlx::query(&format!(
        "UPDATE memberships SET status = $1, decided_at = $2, decided_by = $3 WHERE {column} = $4 AND status = $5"
    ))
    .bind(to.as_str())
    .bind(now_millis())
    .bind(by)
    .bind(id)
    .bind(from.as_str())
    .execute(conn)
    .await?
    .rows_affected())
}

pub async fn of_volunteer(conn: &mut Conn, volunteer_id: i64) -> Result<Vec<MembershipRow>> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE m.volunteer_id = $1 ORDER BY m.id DESC"))
            .bind(volunteer_id)
            .fetch_all(conn)
            .await?,
    )
}

/// Memberships of organizations in a path subtree (or one organization when `org_id` is set),
/// optionally only in one status.
pub async fn of_orgs(
    conn: &mut Conn,
    path_prefix: &str,
    org_id: Option<i64>,
    status: Option<MembershipStatus>,
    limit: i64,
) -> Result<Vec<MembershipRow>> {
    let (lo, hi) = prefix_range(path_prefix);
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE o.path >= $1 AND o.path < $2 AND ($3 IS NULL OR m.organization_id = $3) \
         AND ($4 IS NULL OR m.status = $4) ORDER BY m.id DESC LIMIT $5"
    ))
    .bind(lo)
    .bind(hi)
    .bind(org_id)
    .bind(status.map(MembershipStatus::as_str))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Pending requests for organizations in a region prefix.
pub async fn pending_in_region(
    conn: &mut Conn,
    region_prefix: &str,
    limit: i64,
) -> Result<Vec<MembershipRow>> {
    let (lo, hi) = prefix_range(region_prefix);
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE o.region_code >= $1 AND o.region_code < $2 AND m.status = $4 ORDER BY m.id LIMIT $3"
    ))
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .bind(MembershipStatus::Pending.as_str())
    .fetch_all(conn)
    .await?)
}
