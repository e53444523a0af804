//! Real-name volunteers. The resident ID is stored only encrypted (`id_cipher`), found through
//! a keyed hash (`id_hash`) and shown through its masked form (`id_masked`); this module never
//! sees the clear number. Only the birth year is stored in clear (`birth_year`); the birth date
//! lives inside the encrypted number, so the mask plus what is stored in clear never narrows the
//! number down to a few candidates.

use sqlx::FromRow;
use zhiyuan_domain::auth::MembershipStatus;

use crate::seek::{self, KeyKind, KeyValue, Seek, SeekRequest};
use crate::{in_list, like_escape, now_millis, prefix_range, Conn, Result};

#[derive(Clone, Debug, FromRow)]
pub struct VolunteerRow {
    pub id: i64,
    pub volunteer_no: Option<String>,
    pub name: String,
    pub gender: String,
    pub birth_year: i64,
    pub id_type: String,
    pub id_cipher: String,
    pub id_masked: String,
    pub phone: String,
    pub region_code: String,
    pub region_name: String,
    pub skills: String,
    pub categories: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub availability: String,
    pub account_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The volunteer agreed to show their full name on the honor roll.
    #[sqlx(try_from = "crate::Flag")]
    pub public_name: bool,
    /// When the volunteer left the platform (注销).
    pub closed_at: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct NewVolunteer {
    pub name: String,
    pub gender: String,
    pub birth_year: i64,
    pub id_cipher: String,
    pub id_hash: String,
    pub id_masked: String,
    pub phone: String,
    pub region_code: String,
    pub skills: String,
    pub categories: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub availability: String,
    pub account_id: Option<i64>,
    pub created_by: Option<i64>,
}

/// Who may see which volunteers; the app decides, the store filters.
#[derive(Clone, Debug)]
pub enum Visibility {
    /// Volunteers living in the region prefix or belonging (pending or approved) to a team
    /// whose region is in it.
    RegionPrefix(String),
    /// Volunteers belonging (pending or approved) to a team in this path subtree.
    OrgSubtree(String),
    /// Only this one.
    Only(i64),
    Nothing,
}

const SELECT: &str = "SELECT v.id, v.volunteer_no, v.name, v.gender, v.birth_year, v.id_type, v.id_cipher, \
     v.id_masked, v.phone, v.region_code, r.name AS region_name, v.skills, v.categories, v.lat, v.lon, \
     v.availability, v.account_id, v.created_at, v.updated_at, v.public_name, v.closed_at \
     FROM volunteers v JOIN regions r ON r.code = v.region_code";

/// The membership states that tie a volunteer to a team ([`MembershipStatus::LIVE`]).
fn live_memberships() -> String {
    crate::sql_words(&MembershipStatus::LIVE.map(|s| s.as_str()))
}

/// SQL condition for a visibility, with its parameters starting at `$first`.
fn visibility_sql(vis: &Visibility, first: usize) -> (String, Vec<String>) {
    let (a, b) = (first, first + 1);
    let live = live_memberships();
    match vis {
        Visibility::RegionPrefix(p) => {
            let (lo, hi) = prefix_range(p);
            (
                format!(
                    "((v.region_code >= ${a} AND v.region_code < ${b}) OR EXISTS (SELECT 1 FROM memberships m \
                     JOIN organizations o ON o.id = m.organization_id WHERE m.volunteer_id = v.id \
                     AND m.status IN ({live}) AND o.region_code >= ${a} AND o.region_code < ${b}))"
                ),
                vec![lo, hi],
            )
        }
        Visibility::OrgSubtree(p) => {
            let (lo, hi) = prefix_range(p);
            (
                format!(
                    "EXISTS (SELECT 1 FROM memberships m JOIN organizations o ON o.id = m.organization_id \
                     WHERE m.volunteer_id = v.id AND m.status IN ({live}) \
                     AND o.path >= ${a} AND o.path < ${b})"
                ),
                vec![lo, hi],
            )
        }
        Visibility::Only(id) => (
            format!("(v.id = {id} AND ${a} = ${b})"),
            vec![String::new(), String::new()],
        ),
        Visibility::Nothing => (
            format!("(${a} <> ${b} AND 1 = 0)"),
            vec![String::new(), String::new()],
        ),
    }
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<VolunteerRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE v.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Whether `vis` lets its holder see volunteer `id`.
pub async fn visible(conn: &mut Conn, id: i64, vis: &Visibility) -> Result<bool> {
    let (cond, params) = visibility_sql(vis, 2);
    let sql = format!("SELECT COUNT(*) FROM volunteers v WHERE v.id = $1 AND {cond}");
    let mut q = sqlx::query_as::<_, (i64,)>(&sql).bind(id);
    for p in params {
        q = q.bind(p);
    }
    let (n,) = q.fetch_one(conn).await?;
    Ok(n > 0)
}

/// Of the given volunteers, those `vis` lets its holder see: (id, name, volunteer number), in
/// no particular order.
pub async fn visible_among(
    conn: &mut Conn,
    ids: &[i64],
    vis: &Visibility,
) -> Result<Vec<(i64, String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (cond, params) = visibility_sql(vis, ids.len() + 1);
    let sql = format!(
        "SELECT v.id, v.name, COALESCE(v.volunteer_no, '') FROM volunteers v WHERE v.id IN ({}) AND {cond}",
        in_list(1, ids.len())
    );
    let mut q = sqlx::query_as::<_, (i64, String, String)>(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    for p in params {
        q = q.bind(p);
    }
    Ok(q.fetch_all(conn).await?)
}

/// The ids of (at most `limit`) volunteers the visibility reaches.
pub async fn visible_ids(conn: &mut Conn, vis: &Visibility, limit: i64) -> Result<Vec<i64>> {
    let (cond, params) = visibility_sql(vis, 1);
    let sql = format!("SELECT v.id FROM volunteers v WHERE {cond} ORDER BY v.id LIMIT $3");
    let mut q = sqlx::query_as::<_, (i64,)>(&sql);
    for p in params {
        q = q.bind(p);
    }
    Ok(q.bind(limit)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect())
}

/// The volunteer with this volunteer number (编号), if any.
pub async fn id_by_number(conn: &mut Conn, volunteer_no: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM volunteers WHERE volunteer_no = $1")
        .bind(volunteer_no)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn by_id_hash(conn: &mut Conn, id_hash: &str) -> Result<Option<VolunteerRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE v.id_hash = $1"))
        .bind(id_hash)
        .fetch_optional(conn)
        .await?)
}

pub async fn by_account(conn: &mut Conn, account_id: i64) -> Result<Option<VolunteerRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE v.account_id = $1"))
        .bind(account_id)
        .fetch_optional(conn)
        .await?)
}

/// Inserts the volunteer; the caller then assigns the volunteer number with [`set_number`].
pub async fn insert(conn: &mut Conn, new: &NewVolunteer) -> Result<i64> {
    let now = now_millis();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO volunteers (name, gender, birth_year, id_cipher, id_hash, id_masked, phone, region_code, \
         skills, categories, lat, lon, availability, account_id, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING id",
    )
    .bind(&new.name)
    .bind(&new.gender)
    .bind(new.birth_year)
    .bind(&new.id_cipher)
    .bind(&new.id_hash)
    .bind(&new.id_masked)
    .bind(&new.phone)
    .bind(&new.region_code)
    .bind(&new.skills)
    .bind(&new.categories)
    .bind(new.lat)
    .bind(new.lon)
    .bind(&new.availability)
    .bind(new.account_id)
    .bind(new.created_by)
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

pub async fn set_number(conn: &mut Conn, id: i64, volunteer_no: &str) -> Result<()> {
    sqlx::query("UPDATE volunteers SET volunteer_no = $1 WHERE id = $2")
        .bind(volunteer_no)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A volunteer's contact details, residence, skills, categories, place and availability: what
/// the volunteer (or their team's admin) keeps up to date. Name and ID never change here.
#[derive(Clone, Debug)]
pub struct ContactUpdate {
    pub phone: String,
    pub region_code: String,
    pub skills: String,
    pub categories: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub availability: String,
    /// The volunteer's own consent to their full name on the honor roll; `None` leaves it.
    pub public_name: Option<bool>,
}

pub async fn update_contact(conn: &mut Conn, id: i64, u: &ContactUpdate) -> Result<()> {
    sqlx::query(
        "UPDATE volunteers SET phone = $1, region_code = $2, skills = $3, categories = $4, lat = $5, \
         lon = $6, availability = $7, updated_at = $8, public_name = COALESCE($10, public_name) WHERE id = $9",
    )
    .bind(&u.phone)
    .bind(&u.region_code)
    .bind(&u.skills)
    .bind(&u.categories)
    .bind(u.lat)
    .bind(u.lon)
    .bind(&u.availability)
    .bind(now_millis())
    .bind(id)
    .bind(u.public_name.map(i64::from))
    .execute(conn)
    .await?;
    Ok(())
}

/// 注销: the volunteer is closed and the personal details they gave are cleared (phone, place,
/// skills, categories, availability, honor-roll consent); name, number and the encrypted ID stay
/// with the service records. False when already closed.
pub async fn close(conn: &mut Conn, id: i64) -> Result<bool> {
    let now = now_millis();
    let n = sqlx::query(
        "UPDATE volunteers SET closed_at = $1, updated_at = $1, phone = '', lat = NULL, lon = NULL, skills = '', \
         categories = '', availability = '', public_name = 0 WHERE id = $2 AND closed_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn set_account(conn: &mut Conn, id: i64, account_id: i64) -> Result<()> {
    sqlx::query("UPDATE volunteers SET account_id = $1, updated_at = $2 WHERE id = $3")
        .bind(account_id)
        .bind(now_millis())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct VolunteerSearch {
    /// Matches name (substring), volunteer number or phone (prefix).
    pub q: Option<String>,
    /// Exact keyed hash of a resident ID typed into the search box.
    pub id_hash: Option<String>,
    pub region_prefix: Option<String>,
    pub org_id: Option<i64>,
}

/// The condition of a search and its values (`$1` to `$8`).
fn search_sql(vis: &Visibility, s: &VolunteerSearch) -> (String, Vec<Option<String>>, Option<i64>) {
    let (vcond, vparams) = visibility_sql(vis, 1);
    let live = live_memberships();
    let (rlo, rhi) = prefix_range(s.region_prefix.as_deref().unwrap_or(""));
    let q = s.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let q_sub = q.map(|q| format!("%{}%", like_escape(q)));
    let q_pre = q.map(|q| format!("{}%", like_escape(q)));
    let cond = format!(
        "{vcond} AND v.closed_at IS NULL AND v.region_code >= $3 AND v.region_code < $4 \
         AND ($5 IS NULL OR v.name LIKE $5 ESCAPE '\\' OR v.volunteer_no LIKE $6 ESCAPE '\\' \
              OR v.phone LIKE $6 ESCAPE '\\' OR v.id_hash = $7) \
         AND ($8 IS NULL OR EXISTS (SELECT 1 FROM memberships mm WHERE mm.volunteer_id = v.id \
              AND mm.organization_id = $8 AND mm.status IN ({live})))"
    );
    // When an ID hash is given it is the whole search: empty patterns match no name, number
    // or phone, so only the hash can.
    let (q_sub, q_pre) = if s.id_hash.is_some() {
        (Some(String::new()), Some(String::new()))
    } else {
        (q_sub, q_pre)
    };
    let mut texts: Vec<Option<String>> = vparams.into_iter().map(Some).collect();
    texts.extend([Some(rlo), Some(rhi), q_sub, q_pre, s.id_hash.clone()]);
    (cond, texts, s.org_id)
}

/// A page of the volunteers a search finds, newest first (keyset on the id).
pub async fn search(
    conn: &mut Conn,
    vis: &Visibility,
    s: &VolunteerSearch,
    page: &SeekRequest,
) -> Result<Seek<VolunteerRow>> {
    let (cond, texts, org_id) = search_sql(vis, s);
    let plan = seek::plan(page, KeyKind::Id, "", "v.id", true, 9)?;
    let sql = format!("{SELECT} WHERE {cond}{}{}", plan.cond, plan.order);
    let mut q = sqlx::query_as(&sql);
    for t in texts {
        q = q.bind(t);
    }
    let rows: Vec<VolunteerRow> = plan.bind(q.bind(org_id)).fetch_all(conn).await?;
    Ok(plan.finish(rows, |r| (KeyValue::Int(r.id), r.id)))
}

/// How many volunteers a search finds (for overviews; lists page with [`search`]).
pub async fn count_found(conn: &mut Conn, vis: &Visibility, s: &VolunteerSearch) -> Result<i64> {
    let (cond, texts, org_id) = search_sql(vis, s);
    let sql = format!("SELECT COUNT(*) FROM volunteers v WHERE {cond}");
    let mut q = sqlx::query_as::<_, (i64,)>(&sql);
    for t in texts {
        q = q.bind(t);
    }
    let (n,) = q.bind(org_id).fetch_one(conn).await?;
    Ok(n)
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM volunteers")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// Volunteers per county (first six digits of the residence region), for the overview.
pub async fn count_in_prefix(conn: &mut Conn, prefix: &str) -> Result<i64> {
    let (lo, hi) = prefix_range(prefix);
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM volunteers WHERE region_code >= $1 AND region_code < $2")
            .bind(lo)
            .bind(hi)
            .fetch_one(conn)
            .await?;
    Ok(n)
}
