//! Volunteer projects and their shifts.

use sqlx::FromRow;

use zhiyuan_domain::service::project::ProjectStatus;

use crate::{in_list, like_escape, now_millis, prefix_range, Conn, Page, PageRequest, Result};

#[derive(Clone, Debug, FromRow)]
pub struct ProjectRow {
    pub id: i64,
    pub title: String,
    pub category: String,
    pub description: String,
    pub organization_id: i64,
    pub organization_name: String,
    pub organization_path: String,
    pub organization_region: String,
    pub region_code: String,
    pub region_name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub checkin_radius_m: i64,
    pub person_in_charge: String,
    pub contact_phone: String,
    pub risk_notes: String,
    pub auto_approve: i64,
    #[sqlx(try_from = "String")]
    pub status: ProjectStatus,
    pub created_at: i64,
    pub updated_at: i64,
    /// The earliest shift start, if any.
    pub first_start: Option<i64>,
}

/// What a project says of itself: written when it is created, edited while it recruits.
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectDetails {
    pub title: String,
    pub category: String,
    pub description: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub checkin_radius_m: i64,
    pub person_in_charge: String,
    pub contact_phone: String,
    pub risk_notes: String,
    pub auto_approve: bool,
}

#[derive(Clone, Debug)]
pub struct NewProject {
    pub details: ProjectDetails,
    pub organization_id: i64,
    pub region_code: String,
    pub status: ProjectStatus,
    pub created_by: Option<i64>,
}

const SELECT: &str = "SELECT p.id, p.title, p.category, p.description, p.organization_id, o.name AS organization_name, \
     o.path AS organization_path, o.region_code AS organization_region, p.region_code, r.name AS region_name, p.address, p.lat, p.lon, p.checkin_radius_m, \
     p.person_in_charge, p.contact_phone, p.risk_notes, p.auto_approve, p.status, p.created_at, p.updated_at, \
     (SELECT MIN(s.starts_at) FROM shifts s WHERE s.project_id = p.id) AS first_start \
     FROM projects p JOIN organizations o ON o.id = p.organization_id JOIN regions r ON r.code = p.region_code";

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<ProjectRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn insert(conn: &mut Conn, p: &NewProject) -> Result<i64> {
    let now = now_millis();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO projects (title, category, description, organization_id, region_code, address, lat, lon, \
         checkin_radius_m, person_in_charge, contact_phone, risk_notes, auto_approve, status, created_by, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING id",
    )
    .bind(&p.details.title)
    .bind(&p.details.category)
    .bind(&p.details.description)
    .bind(p.organization_id)
    .bind(&p.region_code)
    .bind(&p.details.address)
    .bind(p.details.lat)
    .bind(p.details.lon)
    .bind(p.details.checkin_radius_m)
    .bind(&p.details.person_in_charge)
    .bind(&p.details.contact_phone)
    .bind(&p.details.risk_notes)
    .bind(p.details.auto_approve as i64)
    .bind(p.status.as_str())
    .bind(p.created_by)
    .bind(now)
    // Unprepared: sqlx 0.8's Any driver declares a NULL double as float4 but a present one
    // as float8 to PostgreSQL, so a statement prepared with a NULL place refuses a later
    // present one ("incorrect binary data format"); unprepared, each execution declares
    // what it binds. See docs/architecture.md.
    .persistent(false)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Writes a project's details while it is in one of `states`; false when it no longer was.
pub async fn update_details(
    conn: &mut Conn,
    id: i64,
    d: &ProjectDetails,
    states: &[ProjectStatus],
) -> Result<bool> {
    let sql = format!(
        "UPDATE projects SET title = $1, category = $2, description = $3, address = $4, lat = $5, lon = $6, \
         checkin_radius_m = $7, person_in_charge = $8, contact_phone = $9, risk_notes = $10, auto_approve = $11, \
         updated_at = $12 WHERE id = $13 AND status IN ({})",
        in_list(14, states.len())
    );
    let mut q = sqlx::query(&sql)
        .bind(&d.title)
        .bind(&d.category)
        .bind(&d.description)
        .bind(&d.address)
        .bind(d.lat)
        .bind(d.lon)
        .bind(d.checkin_radius_m)
        .bind(&d.person_in_charge)
        .bind(&d.contact_phone)
        .bind(&d.risk_notes)
        .bind(d.auto_approve as i64)
        .bind(now_millis())
        .bind(id);
    for st in states {
        q = q.bind(st.as_str());
    }
    // unprepared, as `insert`: an optional place is bound as a possibly NULL double
    Ok(q.persistent(false).execute(conn).await?.rows_affected() == 1)
}

/// Moves the project from `from` to `to`; false when it was no longer in `from`.
pub async fn set_status(conn: &mut Conn, id: i64, from: ProjectStatus, to: ProjectStatus) -> Result<bool> {
    let n = sqlx::query("UPDATE projects SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
        .bind(to.as_str())
        .bind(now_millis())
        .bind(id)
        .bind(from.as_str())
        .execute(conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// How many of an organization's own projects are in one of `statuses`.
pub async fn count_of_org(conn: &mut Conn, org_id: i64, statuses: &[ProjectStatus]) -> Result<i64> {
    let sql = format!(
        "SELECT COUNT(*) FROM projects WHERE organization_id = $1 AND status IN ({})",
        in_list(2, statuses.len())
    );
    let mut q = sqlx::query_as::<_, (i64,)>(&sql).bind(org_id);
    for s in statuses {
        q = q.bind(s.as_str());
    }
    Ok(q.fetch_one(conn).await?.0)
}

#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    pub region_prefix: Option<String>,
    pub category: Option<String>,
    /// Only these statuses (empty: any).
    pub statuses: Vec<ProjectStatus>,
    /// Only projects with a shift starting on or after this instant …
    pub from: Option<i64>,
    /// … and before this one.
    pub until: Option<i64>,
    pub organization_path: Option<String>,
    pub q: Option<String>,
}

fn filter_sql(f: &ProjectFilter) -> String {
    // the statuses are bound after the eight fixed values
    let statuses = if f.statuses.is_empty() {
        String::new()
    } else {
        format!(" AND p.status IN ({})", in_list(9, f.statuses.len()))
    };
    format!(
        "p.region_code >= $1 AND p.region_code < $2 AND ($3 IS NULL OR p.category = $3) \
         AND ($4 IS NULL OR EXISTS (SELECT 1 FROM shifts s WHERE s.project_id = p.id AND s.starts_at >= $4)) \
         AND ($5 IS NULL OR EXISTS (SELECT 1 FROM shifts s WHERE s.project_id = p.id AND s.starts_at < $5)) \
         AND p.organization_id IN (SELECT o2.id FROM organizations o2 WHERE o2.path >= $6 AND o2.path < $7) \
         AND ($8 IS NULL OR p.title LIKE $8 ESCAPE '\\'){statuses}"
    )
}

pub async fn list(conn: &mut Conn, f: &ProjectFilter, page: PageRequest) -> Result<Page<ProjectRow>> {
    let (rlo, rhi) = prefix_range(f.region_prefix.as_deref().unwrap_or(""));
    let (plo, phi) = prefix_range(f.organization_path.as_deref().unwrap_or(""));
    let q =
        f.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|q| format!("%{}%", like_escape(q)));
    let cond = filter_sql(f);
    let count_sql = format!("SELECT COUNT(*) FROM projects p WHERE {cond}");
    let mut count = sqlx::query_as(&count_sql)
        .bind(&rlo)
        .bind(&rhi)
        .bind(&f.category)
        .bind(f.from)
        .bind(f.until)
        .bind(&plo)
        .bind(&phi)
        .bind(&q);
    for s in &f.statuses {
        count = count.bind(s.as_str());
    }
    let (total,): (i64,) = count.fetch_one(&mut *conn).await?;
    let n = f.statuses.len();
    let list_sql = format!(
        "{SELECT} WHERE {cond} ORDER BY CASE p.status WHEN '{}' THEN 0 WHEN '{}' THEN 1 ELSE 2 END, \
         first_start, p.id DESC LIMIT ${} OFFSET ${}",
        ProjectStatus::Recruiting.as_str(),
        ProjectStatus::Running.as_str(),
        9 + n,
        10 + n
    );
    let mut list = sqlx::query_as(&list_sql)
        .bind(&rlo)
        .bind(&rhi)
        .bind(&f.category)
        .bind(f.from)
        .bind(f.until)
        .bind(&plo)
        .bind(&phi)
        .bind(&q);
    for s in &f.statuses {
        list = list.bind(s.as_str());
    }
    let items = list
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

/// Projects with a location inside a bounding box (for "nearby"; the caller ranks by distance).
pub async fn in_box(
    conn: &mut Conn,
    statuses: &[ProjectStatus],
    lat: (f64, f64),
    lon: (f64, f64),
    limit: i64,
) -> Result<Vec<ProjectRow>> {
    if statuses.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{SELECT} WHERE p.lat >= $1 AND p.lat <= $2 AND p.lon >= $3 AND p.lon <= $4 AND p.status IN ({}) \
         ORDER BY p.id DESC LIMIT $5",
        in_list(6, statuses.len())
    );
    let mut q = sqlx::query_as(&sql)
        .bind(lat.0)
        .bind(lat.1)
        .bind(lon.0)
        .bind(lon.1)
        .bind(limit);
    for s in statuses {
        q = q.bind(s.as_str());
    }
    Ok(q.fetch_all(conn).await?)
}

#[derive(Clone, Debug, FromRow)]
pub struct ShiftRow {
    pub id: i64,
    pub project_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub headcount: i64,
    pub approved_count: i64,
    pub required_skills: String,
    pub min_age: i64,
    pub waitlisted: i64,
}

/// The columns of [`ShiftRow`]; `waitlisted` counts its waitlisted sign-ups.
static SHIFT_SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT s.id, s.project_id, s.starts_at, s.ends_at, s.headcount, s.approved_count, \
     s.required_skills, s.min_age, (SELECT COUNT(*) FROM sign_ups u WHERE u.shift_id = s.id AND u.status = '{}') \
     AS waitlisted FROM shifts s",
        zhiyuan_domain::service::project::SignUpStatus::Waitlisted.as_str()
    )
});

pub async fn insert_shift(
    conn: &mut Conn,
    project_id: i64,
    starts_at: i64,
    ends_at: i64,
    headcount: i64,
    required_skills: &str,
    min_age: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO shifts (project_id, starts_at, ends_at, headcount, required_skills, min_age, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(project_id)
    .bind(starts_at)
    .bind(ends_at)
    .bind(headcount)
    .bind(required_skills)
    .bind(min_age)
    .bind(now_millis())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A shift's times and needs as edited; false when fewer seats than already approved are
/// asked for (the seats taken stand).
pub async fn update_shift(
    conn: &mut Conn,
    id: i64,
    starts_at: i64,
    ends_at: i64,
    headcount: i64,
    required_skills: &str,
    min_age: i64,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE shifts SET starts_at = $1, ends_at = $2, headcount = $3, required_skills = $4, min_age = $5 \
         WHERE id = $6 AND approved_count <= $3",
    )
    .bind(starts_at)
    .bind(ends_at)
    .bind(headcount)
    .bind(required_skills)
    .bind(min_age)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn shift(conn: &mut Conn, id: i64) -> Result<Option<ShiftRow>> {
    Ok(sqlx::query_as(&format!("{} WHERE s.id = $1", *SHIFT_SELECT))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn shifts_of(conn: &mut Conn, project_id: i64) -> Result<Vec<ShiftRow>> {
    Ok(sqlx::query_as(&format!(
        "{} WHERE s.project_id = $1 ORDER BY s.starts_at, s.id",
        *SHIFT_SELECT
    ))
    .bind(project_id)
    .fetch_all(conn)
    .await?)
}

/// The shifts of several projects in one query (a page of projects), in shift order.
pub async fn shifts_of_projects(conn: &mut Conn, project_ids: &[i64]) -> Result<Vec<ShiftRow>> {
    if project_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{} WHERE s.project_id IN ({}) ORDER BY s.starts_at, s.id",
        *SHIFT_SELECT,
        crate::in_list(1, project_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in project_ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Takes a seat if one is free; false when the shift is full. The CHECK constraint backs this up.
pub async fn take_seat(conn: &mut Conn, shift_id: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE shifts SET approved_count = approved_count + 1 WHERE id = $1 AND approved_count < headcount",
    )
    .bind(shift_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn free_seat(conn: &mut Conn, shift_id: i64) -> Result<()> {
    sqlx::query("UPDATE shifts SET approved_count = approved_count - 1 WHERE id = $1 AND approved_count > 0")
        .bind(shift_id)
        .execute(conn)
        .await?;
    Ok(())
}
