//! Service records: immutable, versioned, hash-chained per volunteer; and certificates.

use sqlx::FromRow;

use zhiyuan_domain::service::{RecordSource, RecordStatus};

use crate::seek::{self, KeyKind, KeyValue, Seek, SeekRequest};
use crate::{Conn, Flag, Result};

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct RecordRow {
    pub id: i64,
    pub volunteer_id: i64,
    pub version: i64,
    pub supersedes: Option<i64>,
    pub organization_id: i64,
    pub project_id: Option<i64>,
    pub shift_id: Option<i64>,
    pub sign_up_id: Option<i64>,
    pub region_code: String,
    pub activity: String,
    pub service_date: String,
    pub place: String,
    pub content: String,
    pub served_minutes: i64,
    pub minutes: i64,
    pub organizer: String,
    pub person_in_charge: String,
    #[sqlx(try_from = "String")]
    pub source: RecordSource,
    #[sqlx(try_from = "String")]
    pub status: RecordStatus,
    /// Entered later than the deadline after the activity (stored 0/1).
    #[sqlx(try_from = "Flag")]
    pub late: bool,
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub chain_seq: i64,
    pub prev_hash: String,
    pub hash: String,
    /// Service category code, fixed when the record was written ('' when none).
    pub category: String,
    /// The recording team's region code and path (who administers the record).
    pub team_region: String,
    pub team_path: String,
}

/// A new row; `chain_seq`, `prev_hash` and `hash` are filled by the caller from [`chain_tip_and_next_id`].
#[derive(Clone, Debug)]
pub struct NewRecord {
    pub volunteer_id: i64,
    pub version: i64,
    pub supersedes: Option<i64>,
    pub organization_id: i64,
    pub project_id: Option<i64>,
    pub shift_id: Option<i64>,
    pub sign_up_id: Option<i64>,
    pub region_code: String,
    pub activity: String,
    pub service_date: String,
    pub place: String,
    pub content: String,
    pub served_minutes: i64,
    pub minutes: i64,
    pub organizer: String,
    pub person_in_charge: String,
    pub source: RecordSource,
    pub status: RecordStatus,
    pub late: bool,
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub chain_seq: i64,
    pub prev_hash: String,
    pub hash: String,
    pub category: String,
}

pub(crate) const COLUMNS: &str = "id, volunteer_id, version, supersedes, organization_id, project_id, shift_id, sign_up_id, \
     region_code, activity, service_date, place, content, served_minutes, minutes, organizer, person_in_charge, source, \
     status, late, reason, created_by, created_at, chain_seq, prev_hash, hash, category, \
     (SELECT o.region_code FROM organizations o WHERE o.id = r.organization_id) AS team_region, \
     (SELECT o.path FROM organizations o WHERE o.id = r.organization_id) AS team_path";

/// Rows not superseded by a later version.
const CURRENT: &str = "NOT EXISTS (SELECT 1 FROM service_records n WHERE n.supersedes = r.id)";

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<RecordRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM service_records r WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Whether the volunteer has a record of this team, day, activity and minutes served (in any
/// version): an imported hours sheet's row that is there already.
pub async fn has_entry(
    conn: &mut Conn,
    volunteer_id: i64,
    organization_id: i64,
    service_date: &str,
    activity: &str,
    served_minutes: i64,
) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM service_records WHERE volunteer_id = $1 AND service_date = $2 \
         AND organization_id = $3 AND activity = $4 AND served_minutes = $5",
    )
    .bind(volunteer_id)
    .bind(service_date)
    .bind(organization_id)
    .bind(activity)
    .bind(served_minutes)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Whether a record has been superseded.
pub async fn is_superseded(conn: &mut Conn, id: i64) -> Result<bool> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM service_records WHERE supersedes = $1")
        .bind(id)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// Where a volunteer's chain ends (sequence number and hash of the last record), if it has
/// begun, and the id reserved for the next record, in one round trip. The id is part of the
/// hashed facts, so it is known before the row is written (rows are never updated).
/// PostgreSQL draws it from the identity sequence; SQLite has a single writer, so the next
/// free id is safe there.
pub async fn chain_tip_and_next_id(
    conn: &mut Conn,
    backend: crate::Backend,
    volunteer_id: i64,
) -> Result<(Option<(i64, String)>, i64)> {
    let next = match backend {
        crate::Backend::Postgres => "nextval(pg_get_serial_sequence('service_records', 'id'))",
        crate::Backend::Sqlite => "(SELECT COALESCE(MAX(id), 0) + 1 FROM service_records)",
    };
    let sql = format!(
        "SELECT {next}, t.chain_seq, t.hash FROM (SELECT 1 AS one) o LEFT JOIN \
         (SELECT chain_seq, hash FROM service_records WHERE volunteer_id = $1 ORDER BY chain_seq DESC LIMIT 1) t \
         ON o.one = 1"
    );
    let (id, seq, hash): (i64, Option<i64>, Option<String>) =
        sqlx::query_as(&sql).bind(volunteer_id).fetch_one(conn).await?;
    Ok((seq.zip(hash), id))
}

/// Writes a record with the id reserved by [`chain_tip_and_next_id`].
pub async fn insert(conn: &mut Conn, id: i64, r: &NewRecord) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO service_records (id, volunteer_id, version, supersedes, organization_id, project_id, shift_id, \
         sign_up_id, region_code, activity, service_date, place, content, served_minutes, minutes, organizer, \
         person_in_charge, source, status, late, reason, created_by, created_at, chain_seq, prev_hash, hash, category) \
         VALUES ($26, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $27) RETURNING id",
    )
    .bind(r.volunteer_id)
    .bind(r.version)
    .bind(r.supersedes)
    .bind(r.organization_id)
    .bind(r.project_id)
    .bind(r.shift_id)
    .bind(r.sign_up_id)
    .bind(&r.region_code)
    .bind(&r.activity)
    .bind(&r.service_date)
    .bind(&r.place)
    .bind(&r.content)
    .bind(r.served_minutes)
    .bind(r.minutes)
    .bind(&r.organizer)
    .bind(&r.person_in_charge)
    .bind(r.source.as_str())
    .bind(r.status.as_str())
    .bind(r.late as i64)
    .bind(&r.reason)
    .bind(r.created_by)
    .bind(r.created_at)
    .bind(r.chain_seq)
    .bind(&r.prev_hash)
    .bind(&r.hash)
    .bind(id)
    .bind(&r.category)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A page of a volunteer's current records, latest service date first (keyset on the date and
/// the id, served by `service_records_volunteer_date`).
pub async fn current_of(conn: &mut Conn, volunteer_id: i64, page: &SeekRequest) -> Result<Seek<RecordRow>> {
    let plan = seek::plan(page, KeyKind::Date, "r.service_date", "r.id", true, 2)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM service_records r WHERE r.volunteer_id = $1 AND {CURRENT}{}{}",
        plan.cond, plan.order
    );
    let rows: Vec<RecordRow> = plan
        .bind(sqlx::query_as(&sql).bind(volunteer_id))
        .fetch_all(conn)
        .await?;
    Ok(plan.finish(rows, |r| (KeyValue::Text(r.service_date.clone()), r.id)))
}

/// The current version of the record `id` is a version of: following `supersedes` forward.
pub async fn current_version(conn: &mut Conn, id: i64) -> Result<i64> {
    let mut at = id;
    for _ in 0..1000 {
        let newer: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM service_records WHERE supersedes = $1 ORDER BY id LIMIT 1")
                .bind(at)
                .fetch_optional(&mut *conn)
                .await?;
        match newer {
            Some((n,)) => at = n,
            None => break,
        }
    }
    Ok(at)
}

/// Every version of the record `id` is a version of, oldest first, up to the current one
/// (whichever version `id` names).
pub async fn history(conn: &mut Conn, id: i64) -> Result<Vec<RecordRow>> {
    let mut out = Vec::new();
    let mut next = Some(current_version(conn, id).await?);
    while let Some(i) = next {
        let Some(row) = get(conn, i).await? else { break };
        next = row.supersedes;
        out.push(row);
        if out.len() > 1000 {
            break;
        }
    }
    out.reverse();
    Ok(out)
}

/// Current records of an organization in a status (for the leader's confirmation list).
pub async fn current_of_org(
    conn: &mut Conn,
    org_path: &str,
    status: RecordStatus,
    limit: i64,
) -> Result<Vec<RecordRow>> {
    let (lo, hi) = crate::prefix_range(org_path);
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM service_records r WHERE r.status = $1 AND {CURRENT} AND r.organization_id IN \
         (SELECT o.id FROM organizations o WHERE o.path >= $2 AND o.path < $3) ORDER BY r.id LIMIT $4"
    ))
    .bind(status.as_str())
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Total confirmed minutes of a volunteer (current versions only).
pub async fn confirmed_minutes(conn: &mut Conn, volunteer_id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(&format!(
        "SELECT CAST(COALESCE(SUM(r.minutes), 0) AS BIGINT) FROM service_records r \
         WHERE r.volunteer_id = $1 AND r.status = 'confirmed' AND {CURRENT}"
    ))
    .bind(volunteer_id)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Confirmed records of a volunteer in a date range (YYYY-MM-DD, inclusive), oldest first.
pub async fn confirmed_between(
    conn: &mut Conn,
    volunteer_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<RecordRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM service_records r WHERE r.volunteer_id = $1 AND r.status = '{}' AND {CURRENT} \
         AND r.service_date >= $2 AND r.service_date <= $3 ORDER BY r.service_date, r.id",
        RecordStatus::Confirmed.as_str()
    ))
    .bind(volunteer_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct HonorRow {
    pub volunteer_id: i64,
    pub name: String,
    /// The volunteer agreed to show their full name.
    #[sqlx(try_from = "Flag")]
    pub public_name: bool,
    pub volunteer_no: Option<String>,
    pub region_code: String,
    pub minutes: i64,
}

/// Volunteers ranked by confirmed minutes in a region and date range.
pub async fn honor_roll(
    conn: &mut Conn,
    region_prefix: &str,
    from: &str,
    to: &str,
    limit: i64,
) -> Result<Vec<HonorRow>> {
    let (lo, hi) = crate::prefix_range(region_prefix);
    Ok(sqlx::query_as(&format!(
        "SELECT v.id AS volunteer_id, v.name, v.public_name, v.volunteer_no, v.region_code, \
         CAST(SUM(r.minutes) AS BIGINT) AS minutes FROM service_records r JOIN volunteers v ON v.id = r.volunteer_id \
         WHERE r.status = 'confirmed' AND {CURRENT} AND v.closed_at IS NULL \
         AND r.region_code >= $1 AND r.region_code < $2 \
         AND r.service_date >= $3 AND r.service_date <= $4 \
         GROUP BY v.id, v.name, v.public_name, v.volunteer_no, v.region_code ORDER BY minutes DESC, v.id LIMIT $5"
    ))
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Every row of one volunteer's chain in order (for verification).
pub async fn chain_of(conn: &mut Conn, volunteer_id: i64) -> Result<Vec<RecordRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM service_records r WHERE volunteer_id = $1 ORDER BY chain_seq"
    ))
    .bind(volunteer_id)
    .fetch_all(conn)
    .await?)
}

/// Volunteers that have at least one record.
pub async fn volunteers_with_records(conn: &mut Conn) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT DISTINCT volunteer_id FROM service_records ORDER BY volunteer_id")
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM service_records")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

#[derive(Clone, Debug, FromRow)]
pub struct CertificateRow {
    pub id: i64,
    pub certificate_no: String,
    pub volunteer_id: i64,
    pub payload: String,
    pub signature: String,
    pub issued_at: i64,
}

pub async fn insert_certificate(
    conn: &mut Conn,
    no: &str,
    volunteer_id: i64,
    payload: &str,
    signature: &str,
    at: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO certificates (certificate_no, volunteer_id, payload, signature, issued_at) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id",
    )
    .bind(no)
    .bind(volunteer_id)
    .bind(payload)
    .bind(signature)
    .bind(at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn certificate(conn: &mut Conn, no: &str) -> Result<Option<CertificateRow>> {
    Ok(sqlx::query_as(
        "SELECT id, certificate_no, volunteer_id, payload, signature, issued_at FROM certificates WHERE certificate_no = $1",
    )
    .bind(no)
    .fetch_optional(conn)
    .await?)
}

pub async fn certificates_of(conn: &mut Conn, volunteer_id: i64) -> Result<Vec<CertificateRow>> {
    Ok(sqlx::query_as(
        "SELECT id, certificate_no, volunteer_id, payload, signature, issued_at FROM certificates \
         WHERE volunteer_id = $1 ORDER BY id DESC",
    )
    .bind(volunteer_id)
    .fetch_all(conn)
    .await?)
}

/// The next certificate sequence number.
pub async fn next_certificate_seq(conn: &mut Conn) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) + 1 FROM certificates")
        .fetch_one(conn)
        .await?;
    Ok(n)
}

/// The latest version of the record made from a sign-up's check-out, if any.
pub async fn first_of_sign_up(conn: &mut Conn, sign_up_id: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(&format!(
        "SELECT r.id FROM service_records r WHERE r.sign_up_id = $1 AND {CURRENT} ORDER BY r.id DESC LIMIT 1"
    ))
    .bind(sign_up_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}
