//! Projects, shifts, sign-ups, attendance, service records and certificates.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiyuan_app::service::attendance::{AttendanceView, Direction, OfflineEvent, OfflineOutcome, QrView};
use zhiyuan_app::service::certificates::{CertificateRequest, CertificateView, Verification};
use zhiyuan_app::service::projects::ProjectFilter;
use zhiyuan_app::service::projects::{
    ProjectDetailsInput, ProjectInput, ProjectView, ShiftInput, ShiftView, SignUpView,
};
use zhiyuan_app::service::records::{
    BulkDecision, Correction, Declaration, HonorView, HoursSummary, RecordView, TeamEntry,
};

use crate::api::{query_enums, CursorPage, PageOf, Paging, Seeking};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiCaller, ApiJson, MaybeCaller};
use crate::AppState;
use zhiyuan_domain::service::project::ProjectStatus;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ProjectQuery {
    /// Service category code.
    pub category: Option<String>,
    /// Region code prefix.
    pub region: Option<String>,
    /// Only projects with a shift on or after this date (YYYY-MM-DD) …
    pub from: Option<String>,
    /// … and on or before this date.
    pub to: Option<String>,
    /// recruiting / running / finished (comma-separated)
    pub status: Option<String>,
    pub q: Option<String>,
    /// 1-based; values past 100 000 are read as 100 000.
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<i64>,
    /// Items a page, 20 by default; values outside 1–200 are read as the nearest bound.
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

fn day_start(d: &str, plus_days: i64) -> ApiResult<i64> {
    let d = chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "service_date_invalid",
            "日期格式应为 YYYY-MM-DD",
        )
    })?;
    let t = (d + chrono::Duration::days(plus_days))
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    Ok(chrono::TimeZone::from_local_datetime(&zhiyuan_app::TZ, &t)
        .single()
        .map(|t| t.timestamp_millis())
        .unwrap_or(0))
}

/// The project list's filter from its query.
fn project_filter(q: &ProjectQuery) -> ApiResult<ProjectFilter> {
    Ok(ProjectFilter {
        region_prefix: q.region.clone(),
        category: q.category.clone().filter(|c| !c.is_empty()),
        statuses: query_enums(
            "status",
            "status_invalid",
            q.status.as_deref(),
            ProjectStatus::parse,
            &ProjectStatus::ALL.map(ProjectStatus::as_str),
        )?,
        from: q
            .from
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(|d| day_start(d, 0))
            .transpose()?,
        until: q
            .to
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(|d| day_start(d, 1))
            .transpose()?,
        organization_path: None,
        q: q.q.clone(),
    })
}

/// Published volunteer projects (public), filtered by category, region and date.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(ProjectQuery),
    responses((status = 200, body = PageOf<ProjectView>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_projects(
    State(s): State<AppState>,
    Query(q): Query<ProjectQuery>,
) -> ApiResult<Json<PageOf<ProjectView>>> {
    let f = project_filter(&q)?;
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    Ok(Json(s.app.service().projects(&f, paging.request()).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct NearbyQuery {
    #[param(minimum = -90, maximum = 90)]
    pub lat: f64,
    #[param(minimum = -180, maximum = 180)]
    pub lon: f64,
    /// Metres (default 5000).
    #[param(minimum = 1, maximum = 100000)]
    pub radius_m: Option<f64>,
    /// At most this many (default 20); values outside 1–200 are read as the nearest bound.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Projects recruiting or running near a point, nearest first (就近就便).
#[utoipa::path(get, path = "/api/v1/projects/nearby", tag = "projects", params(NearbyQuery),
    responses((status = 200, body = Vec<ProjectView>), (status = 422, body = ErrorBody)))]
pub async fn nearby_projects(
    State(s): State<AppState>,
    Query(q): Query<NearbyQuery>,
) -> ApiResult<Json<Vec<ProjectView>>> {
    Ok(Json(
        s.app
            .service()
            .nearby_projects(q.lat, q.lon, q.radius_m.unwrap_or(5000.0), q.limit.unwrap_or(20))
            .await?,
    ))
}

/// Publish (or draft) a project with its shifts.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = ProjectInput, security(("bearer" = [])),
    responses((status = 201, body = ProjectView)))]
pub async fn create_project(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<ProjectInput>,
) -> ApiResult<(StatusCode, Json<ProjectView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.service().create_project(&c, &input).await?),
    ))
}

/// One project (drafts only for the organizing team).
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = i64, Path)),
    responses((status = 200, body = ProjectView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_project(
    State(s): State<AppState>,
    MaybeCaller(c): MaybeCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(s.app.service().project(c.as_ref(), id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusInput {
    /// draft / recruiting / running / finished / cancelled
    pub status: String,
}

/// Move a project to another state.
#[utoipa::path(post, path = "/api/v1/projects/{id}/status", tag = "projects", params(("id" = i64, Path)),
    request_body = StatusInput, security(("bearer" = [])),
    responses((status = 200, body = ProjectView), (status = 404, body = ErrorBody)))]
pub async fn set_project_status(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<StatusInput>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(
        s.app.service().set_project_status(&c, id, &input.status).await?,
    ))
}

/// Add a shift.
#[utoipa::path(post, path = "/api/v1/projects/{id}/shifts", tag = "projects", params(("id" = i64, Path)),
    request_body = ShiftInput, security(("bearer" = [])),
    responses((status = 201, body = ShiftView), (status = 404, body = ErrorBody)))]
pub async fn add_shift(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ShiftInput>,
) -> ApiResult<(StatusCode, Json<ShiftView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.service().add_shift(&c, id, &input).await?),
    ))
}

/// 修改项目: a draft or recruiting project's details (not its team or shifts).
#[utoipa::path(put, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = i64, Path)),
    request_body = ProjectDetailsInput, security(("bearer" = [])),
    responses((status = 200, body = ProjectView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn update_project(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ProjectDetailsInput>,
) -> ApiResult<Json<ProjectView>> {
    Ok(Json(s.app.service().update_project(&c, id, &input).await?))
}

/// 修改班次: a shift that has not begun, of a draft or recruiting project. Never fewer seats
/// than approved; more seats promote from the waitlist; a new time is told to those signed up.
#[utoipa::path(put, path = "/api/v1/shifts/{id}", tag = "projects", params(("id" = i64, Path)),
    request_body = ShiftInput, security(("bearer" = [])),
    responses((status = 200, body = ShiftView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn update_shift(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ShiftInput>,
) -> ApiResult<Json<ShiftView>> {
    Ok(Json(s.app.service().update_shift(&c, id, &input).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NoteInput {
    #[serde(default)]
    pub note: String,
}

fn optional_body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "json_malformed",
            "请求内容不是有效的 JSON",
        )
    })
}

/// Sign up for a shift (volunteers).
#[utoipa::path(post, path = "/api/v1/shifts/{id}/sign-ups", tag = "projects", params(("id" = i64, Path)),
    request_body = Option<NoteInput>, security(("bearer" = [])),
    responses((status = 201, body = SignUpView), (status = 404, body = ErrorBody)))]
pub async fn sign_up(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<SignUpView>)> {
    let input: NoteInput = optional_body(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(s.app.service().sign_up(&c, id, &input.note).await?),
    ))
}

/// The roster of a shift (organizing team).
#[utoipa::path(get, path = "/api/v1/shifts/{id}/roster", tag = "attendance", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = Vec<SignUpView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn roster(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<SignUpView>>> {
    Ok(Json(s.app.service().roster(&c, id).await?))
}

/// The shift's current check-in QR token (rotates every two minutes).
#[utoipa::path(get, path = "/api/v1/shifts/{id}/qr", tag = "attendance", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = QrView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn shift_qr(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<QrView>> {
    Ok(Json(s.app.service().shift_qr(&c, id).await?))
}

/// Approve a sign-up (a full shift waitlists it).
#[utoipa::path(post, path = "/api/v1/sign-ups/{id}/approve", tag = "projects", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = SignUpView), (status = 404, body = ErrorBody)))]
pub async fn approve_sign_up(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<SignUpView>> {
    Ok(Json(s.app.service().approve_sign_up(&c, id).await?))
}

/// Decline a sign-up.
#[utoipa::path(post, path = "/api/v1/sign-ups/{id}/decline", tag = "projects", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = SignUpView), (status = 404, body = ErrorBody)))]
pub async fn decline_sign_up(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<SignUpView>> {
    Ok(Json(s.app.service().decline_sign_up(&c, id).await?))
}

/// Cancel a sign-up (the volunteer or the team); the first on the waitlist moves up.
#[utoipa::path(post, path = "/api/v1/sign-ups/{id}/cancel", tag = "projects", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = SignUpView), (status = 404, body = ErrorBody)))]
pub async fn cancel_sign_up(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<SignUpView>> {
    Ok(Json(s.app.service().cancel_sign_up(&c, id).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AtInput {
    /// When it happened (RFC 3339); now when absent.
    pub at: Option<String>,
}

/// The leader checks a volunteer in from the roster.
#[utoipa::path(post, path = "/api/v1/sign-ups/{id}/check-in", tag = "attendance", params(("id" = i64, Path)),
    request_body = Option<AtInput>, security(("bearer" = [])),
    responses((status = 200, body = AttendanceView), (status = 404, body = ErrorBody)))]
pub async fn roster_check_in(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<AttendanceView>> {
    let input: AtInput = optional_body(&body)?;
    Ok(Json(
        s.app
            .service()
            .roster_attend(&c, id, Direction::In, input.at.as_deref())
            .await?,
    ))
}

/// The leader checks a volunteer out from the roster; makes the service record.
#[utoipa::path(post, path = "/api/v1/sign-ups/{id}/check-out", tag = "attendance", params(("id" = i64, Path)),
    request_body = Option<AtInput>, security(("bearer" = [])),
    responses((status = 200, body = AttendanceView), (status = 404, body = ErrorBody)))]
pub async fn roster_check_out(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<AttendanceView>> {
    let input: AtInput = optional_body(&body)?;
    Ok(Json(
        s.app
            .service()
            .roster_attend(&c, id, Direction::Out, input.at.as_deref())
            .await?,
    ))
}

/// Why a check-out is undone.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UndoCheckOutInput {
    #[schema(min_length = 1, max_length = 200)]
    pub reason: String,
}

/// The organizing team undoes a wrong check-out: the volunteer is checked in again, and the
/// record the check-out made (while unconfirmed) gets a rejected version. Check out again
/// with the right time to write the record's next version.
#[utoipa::path(post, path = "/api/v1/sign-ups/{id}/undo-check-out", tag = "attendance", params(("id" = i64, Path)),
    request_body = UndoCheckOutInput, security(("bearer" = [])),
    responses((status = 200, body = AttendanceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn undo_check_out(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<UndoCheckOutInput>,
) -> ApiResult<Json<AttendanceView>> {
    Ok(Json(s.app.service().undo_check_out(&c, id, &input.reason).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ScanInput {
    pub token: String,
    /// Absent or `in`: check in, or answer 已签到 with the time (a scan never checks out by
    /// itself); `out`: 确认签退, refused as a slip (answered 已签到) before the shift starts or
    /// within the configured minutes after check-in.
    pub direction: Option<Direction>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// The volunteer scanned a shift's QR code.
#[utoipa::path(post, path = "/api/v1/checkin/scan", tag = "attendance", request_body = ScanInput, security(("bearer" = [])),
    responses((status = 200, body = AttendanceView), (status = 404, body = ErrorBody)))]
pub async fn scan(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<ScanInput>,
) -> ApiResult<Json<AttendanceView>> {
    let pos = input.lat.zip(input.lon);
    Ok(Json(
        s.app
            .service()
            .scan(&c, &input.token, input.direction, pos)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchInput {
    pub events: Vec<OfflineEvent>,
}

/// Upload check-ins and check-outs recorded offline; each client key is accepted once.
#[utoipa::path(post, path = "/api/v1/attendance/batch", tag = "attendance", request_body = BatchInput, security(("bearer" = [])),
    responses((status = 200, body = Vec<OfflineOutcome>)))]
pub async fn attendance_batch(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<BatchInput>,
) -> ApiResult<Json<Vec<OfflineOutcome>>> {
    Ok(Json(s.app.service().attendance_batch(&c, &input.events).await?))
}

/// The caller's own sign-ups.
#[utoipa::path(get, path = "/api/v1/my/sign-ups", tag = "projects", security(("bearer" = [])),
    responses((status = 200, body = Vec<SignUpView>)))]
pub async fn my_sign_ups(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Json<Vec<SignUpView>>> {
    Ok(Json(s.app.service().my_sign_ups(&c).await?))
}

/// 团体录入: the organizing team enters records for several volunteers (confirmed at once).
#[utoipa::path(post, path = "/api/v1/records/team-entry", tag = "records", request_body = TeamEntry, security(("bearer" = [])),
    responses((status = 201, body = Vec<RecordView>), (status = 404, body = ErrorBody)))]
pub async fn team_entry(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<TeamEntry>,
) -> ApiResult<(StatusCode, Json<Vec<RecordView>>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.service().enter_records(&c, &input).await?),
    ))
}

/// A volunteer declares service for their team to confirm.
#[utoipa::path(post, path = "/api/v1/records/declare", tag = "records", request_body = Declaration, security(("bearer" = [])),
    responses((status = 201, body = RecordView), (status = 404, body = ErrorBody)))]
pub async fn declare(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<Declaration>,
) -> ApiResult<(StatusCode, Json<RecordView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.service().declare_record(&c, &input).await?),
    ))
}

/// Records waiting for the caller's teams to confirm.
#[utoipa::path(get, path = "/api/v1/records/pending", tag = "records", security(("bearer" = [])),
    responses((status = 200, body = Vec<RecordView>), (status = 403, body = ErrorBody)))]
pub async fn pending_records(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Json<Vec<RecordView>>> {
    Ok(Json(s.app.service().pending_records(&c).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReasonInput {
    /// Required to reject; at most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkDecide {
    /// The pending records to decide (at most 200).
    pub ids: Vec<i64>,
    /// `true` confirms them, `false` rejects them with `reason`.
    pub confirm: bool,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: String,
}

/// 批量确认 / 批量驳回: many pending records at once, each decided on its own; the answer
/// lists those decided and why the others were not.
#[utoipa::path(post, path = "/api/v1/records/decide", tag = "records", request_body = BulkDecide, security(("bearer" = [])),
    responses((status = 200, body = BulkDecision)))]
pub async fn decide_records(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<BulkDecide>,
) -> ApiResult<Json<BulkDecision>> {
    Ok(Json(
        s.app
            .service()
            .decide_records(&c, &input.ids, input.confirm, &input.reason)
            .await?,
    ))
}

/// Confirm a pending record (a new version).
#[utoipa::path(post, path = "/api/v1/records/{id}/confirm", tag = "records", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody)))]
pub async fn confirm_record(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<RecordView>> {
    Ok(Json(s.app.service().decide_record(&c, id, true, "").await?))
}

/// Reject a pending record, with a reason.
#[utoipa::path(post, path = "/api/v1/records/{id}/reject", tag = "records", params(("id" = i64, Path)), request_body = ReasonInput,
    security(("bearer" = [])),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody)))]
pub async fn reject_record(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> ApiResult<Json<RecordView>> {
    Ok(Json(
        s.app
            .service()
            .decide_record(&c, id, false, &input.reason)
            .await?,
    ))
}

/// Correct a record: a new version pointing at the old, with a reason (organizing team only).
#[utoipa::path(post, path = "/api/v1/records/{id}/correct", tag = "records", params(("id" = i64, Path)), request_body = Correction,
    security(("bearer" = [])),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody)))]
pub async fn correct_record(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Correction>,
) -> ApiResult<Json<RecordView>> {
    Ok(Json(s.app.service().correct_record(&c, id, &input).await?))
}

/// Every version of a record, oldest first.
#[utoipa::path(get, path = "/api/v1/records/{id}/history", tag = "records", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<RecordView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn record_history(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<RecordView>>> {
    Ok(Json(s.app.service().record_history(&c, id).await?))
}

/// A volunteer's current service records, latest service date first.
#[utoipa::path(get, path = "/api/v1/volunteers/{id}/records", tag = "records", params(("id" = i64, Path), Seeking),
    security(("bearer" = [])), responses((status = 200, body = CursorPage<RecordView>), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn volunteer_records(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    Query(p): Query<Seeking>,
) -> ApiResult<Json<CursorPage<RecordView>>> {
    Ok(Json(
        s.app
            .service()
            .volunteer_records(&c, id, &p.request())
            .await?
            .into(),
    ))
}

/// Confirmed hours and star level.
#[utoipa::path(get, path = "/api/v1/volunteers/{id}/hours", tag = "records", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = HoursSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn hours(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<HoursSummary>> {
    Ok(Json(s.app.service().hours_summary(&c, id).await?))
}

/// Issue a certificate of confirmed service.
#[utoipa::path(post, path = "/api/v1/volunteers/{id}/certificates", tag = "certificates", params(("id" = i64, Path)),
    request_body = Option<CertificateRequest>, security(("bearer" = [])),
    responses((status = 201, body = CertificateView), (status = 404, body = ErrorBody)))]
pub async fn issue_certificate(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<CertificateView>)> {
    let input: CertificateRequest = optional_body(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(s.app.service().issue_certificate(&c, id, &input).await?),
    ))
}

/// A volunteer's certificates.
#[utoipa::path(get, path = "/api/v1/volunteers/{id}/certificates", tag = "certificates", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = Vec<CertificateView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_certificates(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<CertificateView>>> {
    Ok(Json(s.app.service().certificates_of(&c, id).await?))
}

/// The certificate as a PDF (the holder or an administrator in scope).
#[utoipa::path(get, path = "/api/v1/certificates/{no}/pdf", tag = "certificates", params(("no" = String, Path)),
    security(("bearer" = [])), responses((status = 200, content_type = "application/pdf", description = "The certificate as a PDF"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn certificate_pdf(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(no): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let pdf = s.app.service().certificate_pdf(&c, &no).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"certificate-{no}.pdf\""),
            ),
        ],
        pdf,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct VerifyQuery {
    /// The signature fragment from the QR code.
    pub s: Option<String>,
}

/// Whether a certificate is genuine (public).
#[utoipa::path(get, path = "/api/v1/certificates/{no}/verify", tag = "certificates", params(("no" = String, Path), VerifyQuery),
    responses((status = 200, body = Verification)))]
pub async fn verify_certificate(
    State(s): State<AppState>,
    Path(no): Path<String>,
    Query(q): Query<VerifyQuery>,
) -> ApiResult<Json<Verification>> {
    Ok(Json(
        s.app.service().verify_certificate(&no, q.s.as_deref()).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct HonorQuery {
    /// Region code prefix (default: all).
    pub region: Option<String>,
    /// YYYY-MM-DD (default: 1 January this year)
    pub from: Option<String>,
    /// YYYY-MM-DD (default: today)
    pub to: Option<String>,
    /// At most this many (default 20); values outside 1–100 are read as the nearest bound.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// 光荣榜: volunteers ranked by confirmed hours in a region and period (public).
#[utoipa::path(get, path = "/api/v1/honor-roll", tag = "records", params(HonorQuery), responses((status = 200, body = Vec<HonorView>), (status = 422, body = ErrorBody)))]
pub async fn honor_roll(
    State(s): State<AppState>,
    Query(q): Query<HonorQuery>,
) -> ApiResult<Json<Vec<HonorView>>> {
    let (from, to) = honor_period(&q);
    Ok(Json(
        s.app
            .service()
            .honor_roll(
                q.region.as_deref().unwrap_or(""),
                &from,
                &to,
                q.limit.unwrap_or(20),
            )
            .await?,
    ))
}

/// The projects the list's filter finds (every page; `page` and `per_page` are ignored) as an
/// Excel workbook, for an administrator; recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/projects.xlsx", tag = "projects", params(ProjectQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The projects as .xlsx"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_projects(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ProjectQuery>,
) -> ApiResult<axum::response::Response> {
    let f = project_filter(&q)?;
    let nonempty = |v: &Option<String>| v.clone().filter(|t| !t.trim().is_empty());
    let text = crate::network::api::filter_text(&[
        nonempty(&q.region).map(|r| format!("区划 {r}")),
        nonempty(&q.category).map(|c| format!("类别 {c}")),
        nonempty(&q.from).map(|d| format!("自 {d}")),
        nonempty(&q.to).map(|d| format!("至 {d}")),
        nonempty(&q.status).map(|st| format!("状态 {st}")),
        nonempty(&q.q).map(|t| format!("名称含“{}”", t.trim())),
    ]);
    Ok(crate::api::xlsx_response(
        s.app.service().export_projects(&c, &f, &text).await?,
    ))
}

/// A shift's sign-ups with their attendance as an Excel workbook, for the organizing team;
/// recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/shifts/{id}/roster.xlsx", tag = "attendance", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The roster as .xlsx"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_roster(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    Ok(crate::api::xlsx_response(
        s.app.service().export_roster(&c, id).await?,
    ))
}

/// The honor roll of a region and period as an Excel sheet, for an administrator; recorded in
/// the audit log.
#[utoipa::path(get, path = "/api/v1/honor-roll.xlsx", tag = "records", params(HonorQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The honor roll as .xlsx"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_honor_roll(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<HonorQuery>,
) -> ApiResult<axum::response::Response> {
    let (from, to) = honor_period(&q);
    Ok(crate::api::xlsx_response(
        s.app
            .service()
            .export_honor_roll(
                &c,
                q.region.as_deref().unwrap_or(""),
                &from,
                &to,
                q.limit.unwrap_or(20),
            )
            .await?,
    ))
}

/// The honor roll's period: 1 January this year to today unless the query says otherwise.
fn honor_period(q: &HonorQuery) -> (String, String) {
    let today = zhiyuan_app::today();
    let from = q
        .from
        .clone()
        .unwrap_or_else(|| format!("{}-01-01", chrono::Datelike::year(&today)));
    let to = q.to.clone().unwrap_or_else(|| today.to_string());
    (from, to)
}

pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(export_projects))
        .routes(routes!(export_roster))
        .routes(routes!(export_honor_roll))
        .routes(routes!(list_projects, create_project))
        .routes(routes!(nearby_projects))
        .routes(routes!(get_project, update_project))
        .routes(routes!(update_shift))
        .routes(routes!(set_project_status))
        .routes(routes!(add_shift))
        .routes(routes!(sign_up))
        .routes(routes!(roster))
        .routes(routes!(shift_qr))
        .routes(routes!(approve_sign_up))
        .routes(routes!(decline_sign_up))
        .routes(routes!(cancel_sign_up))
        .routes(routes!(roster_check_in))
        .routes(routes!(roster_check_out))
        .routes(routes!(undo_check_out))
        .routes(routes!(scan))
        .routes(routes!(attendance_batch))
        .routes(routes!(my_sign_ups))
        .routes(routes!(team_entry))
        .routes(routes!(declare))
        .routes(routes!(pending_records))
        .routes(routes!(decide_records))
        .routes(routes!(confirm_record))
        .routes(routes!(reject_record))
        .routes(routes!(correct_record))
        .routes(routes!(record_history))
        .routes(routes!(volunteer_records))
        .routes(routes!(hours))
        .routes(routes!(issue_certificate, list_certificates))
        .routes(routes!(certificate_pdf))
        .routes(routes!(verify_certificate))
        .routes(routes!(honor_roll))
}
