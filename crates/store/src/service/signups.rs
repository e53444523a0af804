//! Sign-ups for shifts, with the attendance (check-in / check-out) recorded on them.

use sqlx::FromRow;

use zhiyuan_domain::service::project::SignUpStatus;

use crate::{now_millis, Conn, Result};

#[derive(Clone, Debug, FromRow)]
pub struct SignUpRow {
    pub id: i64,
    pub shift_id: i64,
    pub project_id: i64,
    pub volunteer_id: i64,
    pub volunteer_name: String,
    pub volunteer_no: Option<String>,
    pub volunteer_phone: String,
    #[sqlx(try_from = "String")]
    pub status: SignUpStatus,
    pub note: String,
    pub created_at: i64,
    pub checkin_at: Option<i64>,
    pub checkin_method: Option<String>,
    pub checkout_at: Option<i64>,
    pub checkout_method: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub project_title: String,
}

const SELECT: &str = "SELECT u.id, u.shift_id, s.project_id, u.volunteer_id, v.name AS volunteer_name, \
     v.volunteer_no, v.phone AS volunteer_phone, u.status, u.note, u.created_at, u.checkin_at, u.checkin_method, \
     u.checkout_at, u.checkout_method, s.starts_at, s.ends_at, p.title AS project_title \
     FROM sign_ups u JOIN shifts s ON s.id = u.shift_id JOIN projects p ON p.id = s.project_id \
     JOIN volunteers v ON v.id = u.volunteer_id";

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<SignUpRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The volunteer's live (pending, approved or waitlisted) sign-up for a shift.
pub async fn active(conn: &mut Conn, shift_id: i64, volunteer_id: i64) -> Result<Option<SignUpRow>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE u.shift_id = $1 AND u.volunteer_id = $2 AND u.status IN ($3, $4, $5)"
    ))
    .bind(shift_id)
    .bind(volunteer_id)
    .bind(SignUpStatus::LIVE[0].as_str())
    .bind(SignUpStatus::LIVE[1].as_str())
    .bind(SignUpStatus::LIVE[2].as_str())
    .fetch_optional(conn)
    .await?)
}

/// The volunteer's live sign-ups for other shifts that overlap `[starts, ends)`.
pub async fn clashes(
    conn: &mut Conn,
    volunteer_id: i64,
    shift_id: i64,
    starts: i64,
    ends: i64,
) -> Result<Vec<SignUpRow>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE u.volunteer_id = $1 AND u.shift_id <> $2 AND u.status IN ($5, $6, $7) \
         AND s.starts_at < $4 AND s.ends_at > $3"
    ))
    .bind(volunteer_id)
    .bind(shift_id)
    .bind(starts)
    .bind(ends)
    .bind(SignUpStatus::LIVE[0].as_str())
    .bind(SignUpStatus::LIVE[1].as_str())
    .bind(SignUpStatus::LIVE[2].as_str())
    .fetch_all(conn)
    .await?)
}

pub async fn insert(
    conn: &mut Conn,
    shift_id: i64,
    volunteer_id: i64,
    status: SignUpStatus,
    note: &str,
) -> Result<i64> {
    let now = now_millis();
    let decided = if status == SignUpStatus::Pending {
        None
    } else {
        Some(now)
    };
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO sign_ups (shift_id, volunteer_id, status, note, created_at, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(shift_id)
    .bind(volunteer_id)
    .bind(status.as_str())
    .bind(note)
    .bind(now)
    .bind(decided)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Moves a sign-up from `from` to `to`; false when it was no longer in `from`.
pub async fn set_status(
    conn: &mut Conn,
    id: i64,
    from: SignUpStatus,
    to: SignUpStatus,
    by: Option<i64>,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE sign_ups SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4 AND status = $5",
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

/// The first in line on a shift's waitlist.
pub async fn first_waitlisted(conn: &mut Conn, shift_id: i64) -> Result<Option<SignUpRow>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE u.shift_id = $1 AND u.status = $2 ORDER BY u.id LIMIT 1"
    ))
    .bind(shift_id)
    .bind(SignUpStatus::Waitlisted.as_str())
    .fetch_optional(conn)
    .await?)
}

pub async fn of_shift(conn: &mut Conn, shift_id: i64) -> Result<Vec<SignUpRow>> {
    Ok(
        sqlx::query_as(&format!("{SELECT} WHERE u.shift_id = $1 ORDER BY u.id"))
            .bind(shift_id)
            .fetch_all(conn)
            .await?,
    )
}

pub async fn of_volunteer(conn: &mut Conn, volunteer_id: i64, limit: i64) -> Result<Vec<SignUpRow>> {
    Ok(sqlx::query_as(&format!(
        "{SELECT} WHERE u.volunteer_id = $1 ORDER BY s.starts_at DESC LIMIT $2"
    ))
    .bind(volunteer_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Records a check-in if there is none yet; false when already checked in.
pub async fn check_in(conn: &mut Conn, id: i64, at: i64, method: &str) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE sign_ups SET checkin_at = $1, checkin_method = $2 WHERE id = $3 AND checkin_at IS NULL",
    )
    .bind(at)
    .bind(method)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records a check-out if checked in and not yet out; false otherwise.
pub async fn check_out(conn: &mut Conn, id: i64, at: i64, method: &str) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE sign_ups SET checkout_at = $1, checkout_method = $2 \
         WHERE id = $3 AND checkin_at IS NOT NULL AND checkout_at IS NULL",
    )
    .bind(at)
    .bind(method)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Undoes a check-out (a wrong one, by the organizing team); false when not checked out.
pub async fn undo_check_out(conn: &mut Conn, id: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE sign_ups SET checkout_at = NULL, checkout_method = NULL WHERE id = $1 AND checkout_at IS NOT NULL",
    )
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The outcome stored for an offline event, if this client key was seen before.
pub async fn event_outcome(conn: &mut Conn, client_key: &str) -> Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT outcome FROM attendance_events WHERE client_key = $1")
            .bind(client_key)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|r| r.0))
}

pub async fn record_event(
    conn: &mut Conn,
    client_key: &str,
    sign_up_id: i64,
    kind: &str,
    at: i64,
    outcome: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO attendance_events (client_key, sign_up_id, kind, at, received_at, outcome) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(client_key)
    .bind(sign_up_id)
    .bind(kind)
    .bind(at)
    .bind(now_millis())
    .bind(outcome)
    .execute(conn)
    .await?;
    Ok(())
}

/// Everything a check-in or check-out needs, in one read: the sign-up with its shift, and
/// the project and organizing team.
#[derive(Clone, Debug, FromRow)]
pub struct AttendanceContext {
    #[sqlx(flatten)]
    pub sign_up: SignUpRow,
    pub description: String,
    pub address: String,
    pub person_in_charge: String,
    pub project_region: String,
    pub org_id: i64,
    pub org_name: String,
    pub org_region: String,
    pub org_path: String,
}

pub async fn attendance_context(conn: &mut Conn, sign_up_id: i64) -> Result<Option<AttendanceContext>> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.shift_id, s.project_id, u.volunteer_id, v.name AS volunteer_name, v.volunteer_no, \
         v.phone AS volunteer_phone, u.status, u.note, u.created_at, u.checkin_at, u.checkin_method, u.checkout_at, \
         u.checkout_method, s.starts_at, s.ends_at, p.title AS project_title, p.description, p.address, \
         p.person_in_charge, p.region_code AS project_region, o.id AS org_id, o.name AS org_name, \
         o.region_code AS org_region, o.path AS org_path \
         FROM sign_ups u JOIN shifts s ON s.id = u.shift_id JOIN projects p ON p.id = s.project_id \
         JOIN volunteers v ON v.id = u.volunteer_id JOIN organizations o ON o.id = p.organization_id WHERE u.id = $1",
    )
    .bind(sign_up_id)
    .fetch_optional(conn)
    .await?)
}

/// On SQLite a write transaction begins IMMEDIATE ([`crate::Store::write`]) and so already
/// excludes every other writer; a row lock would only cost a page write.
fn holds_write_lock(conn: &Conn) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// [`lock_volunteer`] for the volunteer of a sign-up.
pub async fn lock_volunteer_of(conn: &mut Conn, sign_up_id: i64) -> Result<()> {
    if holds_write_lock(conn) {
        return Ok(());
    }
    sqlx::query("UPDATE volunteers SET updated_at = updated_at WHERE id = (SELECT volunteer_id FROM sign_ups WHERE id = $1)")
        .bind(sign_up_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes a row lock on the volunteer (a no-op update), so that one volunteer's sign-ups and
/// records are decided one at a time on both backends.
pub async fn lock_volunteer(conn: &mut Conn, volunteer_id: i64) -> Result<()> {
    if holds_write_lock(conn) {
        return Ok(());
    }
    sqlx::query("UPDATE volunteers SET updated_at = updated_at WHERE id = $1")
        .bind(volunteer_id)
        .execute(conn)
        .await?;
    Ok(())
}
