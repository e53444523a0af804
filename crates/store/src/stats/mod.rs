//! Statistics: the stored leaves of the roll-up index, what rebuilds it, and the direct counts
//! over the rows that check it (and that the dashboard uses for the figures it keeps no roll-up of).

pub mod cells;

use futures_util::TryStreamExt;
use sqlx::FromRow;

use crate::seek::{self, KeyKind, KeyValue, Seek, SeekRequest};
use crate::service::records::RecordRow;
use crate::{prefix_range, Backend, Conn, Result};

/// Rows not superseded by a later version (as in `service::records`).
const CURRENT: &str = "NOT EXISTS (SELECT 1 FROM service_records n WHERE n.supersedes = r.id)";

/// One stored leaf: a (place of service, category, month) with its figures and who served.
#[derive(Clone, Debug, FromRow)]
pub struct LeafRow {
    pub region_code: String,
    pub category: String,
    pub month: i64,
    pub minutes: i64,
    pub records: i64,
    pub members: Vec<u8>,
}

/// A leaf, locked for this transaction on PostgreSQL (SQLite has one writer).
pub async fn leaf_for_update(
    conn: &mut Conn,
    backend: Backend,
    region: &str,
    category: &str,
    month: i64,
) -> Result<Option<LeafRow>> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    Ok(sqlx::query_as(&format!(
        "SELECT region_code, category, month, minutes, records, members FROM stats_cells \
         WHERE region_code = $1 AND category = $2 AND month = $3{lock}"
    ))
    .bind(region)
    .bind(category)
    .bind(month)
    .fetch_optional(conn)
    .await?)
}

/// Writes a leaf (an empty one is removed).
pub async fn put_leaf(conn: &mut Conn, leaf: &LeafRow) -> Result<()> {
    if leaf.records == 0 && leaf.minutes == 0 {
        sqlx::query("DELETE FROM stats_cells WHERE region_code = $1 AND category = $2 AND month = $3")
            .bind(&leaf.region_code)
            .bind(&leaf.category)
            .bind(leaf.month)
            .execute(conn)
            .await?;
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO stats_cells (region_code, category, month, minutes, records, members) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (region_code, category, month) \
         DO UPDATE SET minutes = excluded.minutes, records = excluded.records, members = excluded.members",
    )
    .bind(&leaf.region_code)
    .bind(&leaf.category)
    .bind(leaf.month)
    .bind(leaf.minutes)
    .bind(leaf.records)
    .bind(&leaf.members)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every stored leaf, streamed to `each`.
pub async fn each_leaf(conn: &mut Conn, mut each: impl FnMut(LeafRow)) -> Result<()> {
    let mut rows = sqlx::query_as::<_, LeafRow>(
        "SELECT region_code, category, month, minutes, records, members FROM stats_cells",
    )
    .fetch(conn);
    while let Some(row) = rows.try_next().await? {
        each(row);
    }
    Ok(())
}

/// Writes leaves into a table emptied by [`clear_leaves`], a few hundred a statement (a rebuild
/// writes hundreds of thousands). Empty leaves are left out.
pub async fn insert_leaves(conn: &mut Conn, backend: Backend, leaves: &[LeafRow]) -> Result<()> {
    let leaves: Vec<&LeafRow> = leaves
        .iter()
        .filter(|l| l.records != 0 || l.minutes != 0)
        .collect();
    for chunk in leaves.chunks(200) {
        let sql = format!(
            "INSERT INTO stats_cells (region_code, category, month, minutes, records, members) VALUES {}",
            backend.value_rows(chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for l in chunk {
            q = q
                .bind(&l.region_code)
                .bind(&l.category)
                .bind(l.month)
                .bind(l.minutes)
                .bind(l.records)
                .bind(&l.members);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Forgets every stored leaf (before a rebuild).
pub async fn clear_leaves(conn: &mut Conn) -> Result<()> {
    sqlx::query("DELETE FROM stats_cells").execute(conn).await?;
    Ok(())
}

/// When the stored leaves were last built from the records (`None`: never).
pub async fn built_at(conn: &mut Conn) -> Result<Option<i64>> {
    let (at,): (Option<i64>,) = sqlx::query_as("SELECT built_at FROM stats_state WHERE id = 1")
        .fetch_one(conn)
        .await?;
    Ok(at)
}

pub async fn set_built_at(conn: &mut Conn, at: i64) -> Result<()> {
    sqlx::query("UPDATE stats_state SET built_at = $1 WHERE id = 1")
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// A current confirmed record, as the figures see it.
#[derive(Clone, Debug, FromRow)]
pub struct Contribution {
    pub volunteer_id: i64,
    pub region_code: String,
    pub category: String,
    pub service_date: String,
    pub minutes: i64,
}

/// Every current confirmed record, streamed to `each`.
pub async fn each_contribution(conn: &mut Conn, mut each: impl FnMut(Contribution)) -> Result<()> {
    let sql = format!(
        "SELECT r.volunteer_id, r.region_code, r.category, r.service_date, r.minutes FROM service_records r \
         WHERE r.status = 'confirmed' AND {CURRENT}"
    );
    let mut rows = sqlx::query_as::<_, Contribution>(&sql).fetch(conn);
    while let Some(row) = rows.try_next().await? {
        each(row);
    }
    Ok(())
}

/// Current confirmed records in a region and date range (for the partial months of a period).
pub async fn contributions_between(
    conn: &mut Conn,
    region_prefix: &str,
    from: &str,
    to: &str,
) -> Result<Vec<Contribution>> {
    let (lo, hi) = prefix_range(region_prefix);
    Ok(sqlx::query_as(&format!(
        "SELECT r.volunteer_id, r.region_code, r.category, r.service_date, r.minutes FROM service_records r \
         WHERE r.status = 'confirmed' AND {CURRENT} AND r.region_code >= $1 AND r.region_code < $2 \
         AND r.service_date >= $3 AND r.service_date <= $4"
    ))
    .bind(lo)
    .bind(hi)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// What a volunteer counts for by residence.
#[derive(Clone, Debug, FromRow)]
pub struct ResidentRow {
    pub id: i64,
    pub region_code: String,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub confirmed_minutes: i64,
}

const RESIDENT: &str = "SELECT id, region_code, created_at, closed_at, confirmed_minutes FROM volunteers";

pub async fn resident(conn: &mut Conn, id: i64) -> Result<Option<ResidentRow>> {
    Ok(sqlx::query_as(&format!("{RESIDENT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Every volunteer, streamed to `each`.
pub async fn each_resident(conn: &mut Conn, mut each: impl FnMut(ResidentRow)) -> Result<()> {
    let mut rows = sqlx::query_as::<_, ResidentRow>(RESIDENT).fetch(conn);
    while let Some(row) = rows.try_next().await? {
        each(row);
    }
    Ok(())
}

/// When each certificate of a volunteer was issued.
pub async fn certificate_times(conn: &mut Conn, volunteer_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT issued_at FROM certificates WHERE volunteer_id = $1")
        .bind(volunteer_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Every certificate: (volunteer, issued at).
pub async fn each_certificate(conn: &mut Conn, mut each: impl FnMut(i64, i64)) -> Result<()> {
    let mut rows =
        sqlx::query_as::<_, (i64, i64)>("SELECT volunteer_id, issued_at FROM certificates").fetch(conn);
    while let Some((v, at)) = rows.try_next().await? {
        each(v, at);
    }
    Ok(())
}

/// Changes a volunteer's confirmed minutes by `delta` (in the record's transaction).
pub async fn add_confirmed_minutes(conn: &mut Conn, volunteer_id: i64, delta: i64) -> Result<()> {
    if delta != 0 {
        sqlx::query("UPDATE volunteers SET confirmed_minutes = confirmed_minutes + $1 WHERE id = $2")
            .bind(delta)
            .bind(volunteer_id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Sets every volunteer's confirmed minutes from their records (in a rebuild).
pub async fn recount_confirmed_minutes(conn: &mut Conn) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE volunteers SET confirmed_minutes = COALESCE((SELECT SUM(r.minutes) FROM service_records r \
         WHERE r.volunteer_id = volunteers.id AND r.status = 'confirmed' AND {CURRENT}), 0)"
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// Volunteers whose kept confirmed minutes differ from their records: (id, kept, counted).
pub async fn confirmed_minutes_mismatches(conn: &mut Conn, limit: i64) -> Result<Vec<(i64, i64, i64)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT id, confirmed_minutes, counted FROM (SELECT v.id, v.confirmed_minutes, \
         COALESCE((SELECT CAST(SUM(r.minutes) AS BIGINT) FROM service_records r WHERE r.volunteer_id = v.id \
         AND r.status = 'confirmed' AND {CURRENT}), 0) AS counted FROM volunteers v) t \
         WHERE confirmed_minutes <> counted ORDER BY id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Service figures counted straight from the records: minutes, records and distinct volunteers
/// (the plain SQL the roll-ups replace; the checks compare against it).
pub async fn direct_service(
    conn: &mut Conn,
    within: Within<'_>,
    category: Option<&str>,
    from: &str,
    to: &str,
) -> Result<(i64, i64, i64)> {
    let cat = if category.is_some() {
        " AND r.category = $5"
    } else {
        ""
    };
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(r.minutes), 0) AS BIGINT), COUNT(*), COUNT(DISTINCT r.volunteer_id) \
         FROM service_records r WHERE r.status = 'confirmed' AND {CURRENT} AND {} \
         AND r.service_date >= $3 AND r.service_date <= $4{cat}",
        within.condition()
    );
    let mut q = within.bind(sqlx::query_as(&sql)).bind(from).bind(to);
    if let Some(c) = category {
        q = q.bind(c);
    }
    Ok(q.fetch_one(conn).await?)
}

/// Open volunteers living in a region; and of them, those registered in `[from_ms, to_ms)`.
pub async fn direct_residents(
    conn: &mut Conn,
    region_prefix: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<(i64, i64)> {
    let (lo, hi) = prefix_range(region_prefix);
    Ok(sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN created_at >= $3 AND created_at < $4 THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM volunteers WHERE closed_at IS NULL AND region_code >= $1 AND region_code < $2",
    )
    .bind(lo)
    .bind(hi)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_one(conn)
    .await?)
}

/// Open volunteers of a region registered in `[from_ms, to_ms)` (partial months).
pub async fn registrations_between(
    conn: &mut Conn,
    region_prefix: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<i64> {
    let (lo, hi) = prefix_range(region_prefix);
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM volunteers WHERE closed_at IS NULL AND created_at >= $3 AND created_at < $4 \
         AND region_code >= $1 AND region_code < $2",
    )
    .bind(lo)
    .bind(hi)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Certificates issued in `[from_ms, to_ms)` to volunteers living in a region.
pub async fn certificates_between(
    conn: &mut Conn,
    region_prefix: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<i64> {
    let (lo, hi) = prefix_range(region_prefix);
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM certificates c JOIN volunteers v ON v.id = c.volunteer_id \
         WHERE c.issued_at >= $3 AND c.issued_at < $4 AND v.region_code >= $1 AND v.region_code < $2",
    )
    .bind(lo)
    .bind(hi)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Open volunteers of a region by star level, straight from their confirmed minutes (`bounds`
/// are the minutes each star needs, lowest first).
pub async fn direct_stars(conn: &mut Conn, region_prefix: &str, bounds: &[i64; 5]) -> Result<[i64; 5]> {
    let (lo, hi) = prefix_range(region_prefix);
    let mut out = [0; 5];
    for (i, b) in bounds.iter().enumerate() {
        let upper = bounds.get(i + 1).copied().unwrap_or(i64::MAX);
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM volunteers WHERE closed_at IS NULL AND region_code >= $1 AND region_code < $2 \
             AND confirmed_minutes >= $3 AND confirmed_minutes < $4",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(b)
        .bind(upper)
        .fetch_one(&mut *conn)
        .await?;
        out[i] = n;
    }
    Ok(out)
}

/// Teams and organizations (not dissolved) registered in a region: (organizations, teams),
/// counted from the rows (what the cells are checked against).
pub async fn org_counts(conn: &mut Conn, region_prefix: &str) -> Result<(i64, i64)> {
    let (lo, hi) = prefix_range(region_prefix);
    Ok(sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN kind = 'organization' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN kind = 'team' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM organizations WHERE dissolved_at IS NULL AND region_code >= $1 AND region_code < $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_one(conn)
    .await?)
}

/// A shift of a project that is not cancelled, as the project figures see it.
#[derive(Clone, Debug, FromRow)]
pub struct ProjectShift {
    pub project_id: i64,
    pub region_code: String,
    pub category: String,
    pub starts_at: i64,
}

const PROJECT_SHIFTS: &str = "SELECT p.id AS project_id, p.region_code, p.category, s.starts_at \
     FROM projects p JOIN shifts s ON s.project_id = p.id WHERE p.status <> 'cancelled'";

/// Every shift of every project not cancelled, a project's together (loading the figures).
pub async fn each_project_shift(conn: &mut Conn, mut each: impl FnMut(ProjectShift)) -> Result<()> {
    let sql = format!("{PROJECT_SHIFTS} ORDER BY p.id");
    let mut rows = sqlx::query_as::<_, ProjectShift>(&sql).fetch(conn);
    while let Some(row) = rows.try_next().await? {
        each(row);
    }
    Ok(())
}

/// One project's shifts (none when it is cancelled or gone).
pub async fn project_shifts(conn: &mut Conn, project_id: i64) -> Result<Vec<ProjectShift>> {
    Ok(sqlx::query_as(&format!("{PROJECT_SHIFTS} AND p.id = $1"))
        .bind(project_id)
        .fetch_all(conn)
        .await?)
}

/// Projects of a region with shifts starting in `[from_ms, to_ms)`, with how many (the days
/// of a partial month).
pub async fn project_shifts_between(
    conn: &mut Conn,
    region_prefix: &str,
    category: Option<&str>,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<(i64, i64)>> {
    let (lo, hi) = prefix_range(region_prefix);
    let cat = if category.is_some() {
        " AND p.category = $5"
    } else {
        ""
    };
    let sql = format!(
        "SELECT p.id, COUNT(*) FROM shifts s JOIN projects p ON p.id = s.project_id \
         WHERE p.status <> 'cancelled' AND p.region_code >= $1 AND p.region_code < $2 \
         AND s.starts_at >= $3 AND s.starts_at < $4{cat} GROUP BY p.id"
    );
    let mut q = sqlx::query_as(&sql).bind(lo).bind(hi).bind(from_ms).bind(to_ms);
    if let Some(c) = category {
        q = q.bind(c);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Projects of a region with a shift starting in `[from_ms, to_ms)`, and those shifts, counted
/// from the rows (what the project figures are checked against).
pub async fn project_counts(
    conn: &mut Conn,
    region_prefix: &str,
    category: Option<&str>,
    from_ms: i64,
    to_ms: i64,
) -> Result<(i64, i64)> {
    let (lo, hi) = prefix_range(region_prefix);
    let cat = if category.is_some() {
        " AND p.category = $5"
    } else {
        ""
    };
    let sql = format!(
        "SELECT COUNT(DISTINCT p.id), COUNT(s.id) FROM shifts s JOIN projects p ON p.id = s.project_id \
         WHERE p.status <> 'cancelled' AND p.region_code >= $1 AND p.region_code < $2 \
         AND s.starts_at >= $3 AND s.starts_at < $4{cat}"
    );
    let mut q = sqlx::query_as(&sql).bind(lo).bind(hi).bind(from_ms).bind(to_ms);
    if let Some(c) = category {
        q = q.bind(c);
    }
    Ok(q.fetch_one(conn).await?)
}

/// Order figures of a region and period (submitted in `[from_ms, to_ms)`).
#[derive(Clone, Debug, Default, PartialEq, Eq, FromRow)]
pub struct OrderFigures {
    pub total: i64,
    pub submitted: i64,
    pub dispatched: i64,
    pub accepted: i64,
    pub completed: i64,
    pub rated: i64,
    pub rejected: i64,
    pub cancelled: i64,
    /// Sum and count of (dispatched − submitted), in milliseconds.
    pub dispatch_ms: i64,
    pub dispatch_n: i64,
    pub accept_ms: i64,
    pub accept_n: i64,
    pub rating_sum: i64,
    pub rating_n: i64,
    pub rating_good: i64,
}

impl std::ops::AddAssign for OrderFigures {
    fn add_assign(&mut self, o: OrderFigures) {
        self.total += o.total;
        self.submitted += o.submitted;
        self.dispatched += o.dispatched;
        self.accepted += o.accepted;
        self.completed += o.completed;
        self.rated += o.rated;
        self.rejected += o.rejected;
        self.cancelled += o.cancelled;
        self.dispatch_ms += o.dispatch_ms;
        self.dispatch_n += o.dispatch_n;
        self.accept_ms += o.accept_ms;
        self.accept_n += o.accept_n;
        self.rating_sum += o.rating_sum;
        self.rating_n += o.rating_n;
        self.rating_good += o.rating_good;
    }
}

/// Order figures counted from the rows (the days of a partial month; and what the cells are
/// checked against).
pub async fn order_figures(
    conn: &mut Conn,
    region_prefix: &str,
    category: Option<&str>,
    from_ms: i64,
    to_ms: i64,
) -> Result<OrderFigures> {
    let (lo, hi) = prefix_range(region_prefix);
    let cat = if category.is_some() {
        " AND category = $5"
    } else {
        ""
    };
    let n = |s: &str| {
        format!("CAST(COALESCE(SUM(CASE WHEN status = '{s}' THEN 1 ELSE 0 END), 0) AS BIGINT) AS {s}")
    };
    let sql = format!(
        "SELECT COUNT(*) AS total, {}, {}, {}, {}, {}, {}, {}, \
         CAST(COALESCE(SUM(dispatched_at - submitted_at), 0) AS BIGINT) AS dispatch_ms, COUNT(dispatched_at) AS dispatch_n, \
         CAST(COALESCE(SUM(accepted_at - dispatched_at), 0) AS BIGINT) AS accept_ms, \
         CAST(COALESCE(SUM(CASE WHEN accepted_at IS NOT NULL AND dispatched_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS accept_n, \
         CAST(COALESCE(SUM(rating), 0) AS BIGINT) AS rating_sum, COUNT(rating) AS rating_n, \
         CAST(COALESCE(SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS rating_good \
         FROM orders WHERE region_code >= $1 AND region_code < $2 AND submitted_at >= $3 AND submitted_at < $4{cat}",
        n("submitted"),
        n("dispatched"),
        n("accepted"),
        n("completed"),
        n("rated"),
        n("rejected"),
        n("cancelled")
    );
    let mut q = sqlx::query_as(&sql).bind(lo).bind(hi).bind(from_ms).bind(to_ms);
    if let Some(c) = category {
        q = q.bind(c);
    }
    Ok(q.fetch_one(conn).await?)
}

/// The records behind a service figure: current confirmed records of a region, date range and
/// (optionally) category, latest first.
pub async fn records_page(
    conn: &mut Conn,
    within: Within<'_>,
    category: Option<&str>,
    from: &str,
    to: &str,
    page: &SeekRequest,
) -> Result<Seek<RecordRow>> {
    let first = if category.is_some() { 6 } else { 5 };
    let plan = seek::plan(page, KeyKind::Date, "r.service_date", "r.id", true, first)?;
    let cat = if category.is_some() {
        " AND r.category = $5"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {} FROM service_records r WHERE r.status = 'confirmed' AND {CURRENT} AND {} \
         AND r.service_date >= $3 AND r.service_date <= $4{cat}{}{}",
        crate::service::records::COLUMNS,
        within.condition(),
        plan.cond,
        plan.order
    );
    let mut q = within.bind(sqlx::query_as(&sql)).bind(from).bind(to);
    if let Some(c) = category {
        q = q.bind(c);
    }
    let rows: Vec<RecordRow> = plan.bind(q).fetch_all(conn).await?;
    Ok(plan.finish(rows, |r| (KeyValue::Text(r.service_date.clone()), r.id)))
}

/// A volunteer behind an "active volunteers" figure, with their minutes and records there.
#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct ActiveRow {
    pub volunteer_id: i64,
    pub name: String,
    pub volunteer_no: Option<String>,
    pub region_code: String,
    pub minutes: i64,
    pub records: i64,
}

/// The volunteers behind an "active volunteers" figure, most minutes first (at most `limit`).
pub async fn active_volunteers(
    conn: &mut Conn,
    within: Within<'_>,
    category: Option<&str>,
    from: &str,
    to: &str,
    limit: i64,
) -> Result<Vec<ActiveRow>> {
    let cat = if category.is_some() {
        " AND r.category = $6"
    } else {
        ""
    };
    let sql = format!(
        "SELECT v.id AS volunteer_id, v.name, v.volunteer_no, v.region_code, \
         CAST(SUM(r.minutes) AS BIGINT) AS minutes, COUNT(*) AS records \
         FROM service_records r JOIN volunteers v ON v.id = r.volunteer_id \
         WHERE r.status = 'confirmed' AND {CURRENT} AND {} \
         AND r.service_date >= $3 AND r.service_date <= $4{cat} \
         GROUP BY v.id, v.name, v.volunteer_no, v.region_code ORDER BY minutes DESC, v.id LIMIT $5",
        within.condition()
    );
    let mut q = within.bind(sqlx::query_as(&sql)).bind(from).bind(to).bind(limit);
    if let Some(c) = category {
        q = q.bind(c);
    }
    Ok(q.fetch_all(conn).await?)
}

/// A record of an export: the record and who served.
#[derive(Clone, Debug, FromRow)]
pub struct ExportRecordRow {
    pub id: i64,
    pub volunteer_name: String,
    pub volunteer_no: Option<String>,
    pub service_date: String,
    pub activity: String,
    pub category: String,
    pub region_code: String,
    pub place: String,
    pub organizer: String,
    pub person_in_charge: String,
    pub minutes: i64,
    pub version: i64,
}

/// Every current confirmed record of a region, date range and (optionally) category, oldest
/// first, streamed to `each` (an export of any size in constant memory). `each` returning
/// `false` stops the stream.
pub async fn each_record_in(
    conn: &mut Conn,
    within: Within<'_>,
    category: Option<&str>,
    from: &str,
    to: &str,
    mut each: impl FnMut(ExportRecordRow) -> bool,
) -> Result<()> {
    let cat = if category.is_some() {
        " AND r.category = $5"
    } else {
        ""
    };
    let sql = format!(
        "SELECT r.id, v.name AS volunteer_name, v.volunteer_no, r.service_date, r.activity, r.category, r.region_code, \
         r.place, r.organizer, r.person_in_charge, r.minutes, r.version FROM service_records r \
         JOIN volunteers v ON v.id = r.volunteer_id WHERE r.status = 'confirmed' AND {CURRENT} \
         AND {} AND r.service_date >= $3 AND r.service_date <= $4{cat} \
         ORDER BY r.service_date, r.id",
        within.condition()
    );
    let mut q = within
        .bind(sqlx::query_as::<_, ExportRecordRow>(&sql))
        .bind(from)
        .bind(to);
    if let Some(c) = category {
        q = q.bind(c);
    }
    let mut rows = q.fetch(conn);
    while let Some(row) = rows.try_next().await? {
        if !each(row) {
            break;
        }
    }
    Ok(())
}

/// What a team's service figures are grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeamBy {
    /// `YYYY-MM` of the service date.
    Month,
    /// The stored category text.
    Category,
}

/// Which teams' records and members count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Teams<'a> {
    /// A team and its sub-teams (an organization path prefix).
    Subtree(&'a str),
    /// One team alone.
    Only(i64),
}

impl Teams<'_> {
    /// The condition on `o` (organizations) and how many parameters it binds, from `$1`.
    fn condition(self) -> (&'static str, usize) {
        match self {
            Teams::Subtree(_) => ("o.path >= $1 AND o.path < $2", 2),
            Teams::Only(_) => ("o.id = $1", 1),
        }
    }

    fn bind<'q, O>(
        self,
        q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        match self {
            Teams::Subtree(p) => {
                let (lo, hi) = prefix_range(p);
                q.bind(lo).bind(hi)
            }
            Teams::Only(id) => q.bind(id),
        }
    }
}

/// Which records a list or a total covers: those placed in a region (a code prefix), or those
/// some teams organized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Within<'a> {
    Region(&'a str),
    Teams(Teams<'a>),
}

impl Within<'_> {
    /// The condition on `r` (service_records); it binds `$1` and `$2`.
    fn condition(self) -> &'static str {
        match self {
            Within::Region(_) => "r.region_code >= $1 AND r.region_code < $2",
            Within::Teams(Teams::Subtree(_)) => {
                "r.organization_id IN (SELECT o.id FROM organizations o WHERE o.path >= $1 AND o.path < $2)"
            }
            Within::Teams(Teams::Only(_)) => "r.organization_id >= $1 AND r.organization_id <= $2",
        }
    }

    fn bind<'q, O>(
        self,
        q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        match self {
            Within::Region(p) | Within::Teams(Teams::Subtree(p)) => {
                let (lo, hi) = prefix_range(p);
                q.bind(lo).bind(hi)
            }
            Within::Teams(Teams::Only(id)) => q.bind(id).bind(id),
        }
    }
}

/// Minutes, records and distinct volunteers of the current confirmed records organized by some
/// teams with a service date in `[from, to]`, optionally of one category: one row keyed `""`,
/// or one row per month or category. Counted straight from the rows (a team's records are few;
/// see docs/architecture.md).
pub async fn team_service(
    conn: &mut Conn,
    teams: Teams<'_>,
    category: Option<&str>,
    (from, to): (&str, &str),
    by: Option<TeamBy>,
) -> Result<Vec<(String, i64, i64, i64)>> {
    let (cond, n) = teams.condition();
    let cat = if category.is_some() {
        format!(" AND r.category = ${}", n + 3)
    } else {
        String::new()
    };
    let (key, group) = match by {
        None => ("CAST('' AS TEXT)", ""),
        Some(TeamBy::Month) => ("SUBSTR(r.service_date, 1, 7)", " GROUP BY 1 ORDER BY 1"),
        Some(TeamBy::Category) => ("r.category", " GROUP BY 1 ORDER BY 1"),
    };
    let sql = format!(
        "SELECT {key}, CAST(COALESCE(SUM(r.minutes), 0) AS BIGINT), COUNT(*), COUNT(DISTINCT r.volunteer_id) \
         FROM service_records r JOIN organizations o ON o.id = r.organization_id \
         WHERE {cond} AND r.status = 'confirmed' AND {CURRENT} \
         AND r.service_date >= ${} AND r.service_date <= ${}{cat}{group}",
        n + 1,
        n + 2
    );
    let mut q = teams.bind(sqlx::query_as(&sql)).bind(from).bind(to);
    if let Some(c) = category {
        q = q.bind(c);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Open volunteers who are approved members of some teams (each counted once).
pub async fn team_members(conn: &mut Conn, teams: Teams<'_>) -> Result<i64> {
    let (cond, _) = teams.condition();
    let sql = format!(
        "SELECT COUNT(DISTINCT m.volunteer_id) FROM memberships m \
         JOIN organizations o ON o.id = m.organization_id JOIN volunteers v ON v.id = m.volunteer_id \
         WHERE m.status = 'approved' AND v.closed_at IS NULL AND {cond}"
    );
    let (n,): (i64,) = teams.bind(sqlx::query_as(&sql)).fetch_one(conn).await?;
    Ok(n)
}
