use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiyuan_app::auth::manage::VolunteerLogin;
use zhiyuan_app::people::{
    CloseInput, ContactInput, MembershipView, SelfRegistration, VolunteerInput, VolunteerView,
};
use zhiyuan_domain::auth::MembershipStatus;

use crate::api::{CursorPage, Seeking};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiCaller, ApiJson, ClientAddr};

use crate::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    /// A bearer token for the new account (login name: the phone number).
    pub token: String,
    pub volunteer: VolunteerView,
}

/// Register oneself as a volunteer (real name); creates a login whose name is the phone number.
#[utoipa::path(post, path = "/api/v1/register", tag = "volunteers", request_body = SelfRegistration,
    responses((status = 201, body = Registered), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn register_self(
    State(s): State<AppState>,
    ClientAddr(from): ClientAddr,
    ApiJson(input): ApiJson<SelfRegistration>,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    let (token, volunteer) = s.app.people().register_self_from(&input, from).await?;
    Ok((StatusCode::CREATED, Json(Registered { token, volunteer })))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct VolunteerQuery {
    /// Name (contains), volunteer number or phone (starts with), or a full resident ID.
    pub q: Option<String>,
    /// Only members (or applicants) of this team.
    pub org_id: Option<i64>,
    /// `next_cursor` of the page before.
    pub after: Option<String>,
    /// `prev_cursor` of the page after.
    pub before: Option<String>,
    pub per_page: Option<i64>,
}

/// Volunteers within the caller's scope, newest first; resident IDs masked.
#[utoipa::path(get, path = "/api/v1/volunteers", tag = "volunteers", params(VolunteerQuery), security(("bearer" = [])),
    responses((status = 200, body = CursorPage<VolunteerView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn list_volunteers(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<VolunteerQuery>,
) -> ApiResult<Json<CursorPage<VolunteerView>>> {
    let paging = Seeking {
        after: q.after,
        before: q.before,
        per_page: q.per_page,
    };
    Ok(Json(
        s.app
            .people()
            .search_volunteers(&c, q.q.as_deref(), q.org_id, &paging.request())
            .await?
            .into(),
    ))
}

/// Register a volunteer as an administrator (a team admin names their team).
#[utoipa::path(post, path = "/api/v1/volunteers", tag = "volunteers", request_body = VolunteerInput, security(("bearer" = [])),
    responses((status = 201, body = VolunteerView)))]
pub async fn create_volunteer(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<VolunteerInput>,
) -> ApiResult<(StatusCode, Json<VolunteerView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.people().register_volunteer(&c, &input).await?),
    ))
}

/// One volunteer (the full resident ID only for the volunteer themself).
#[utoipa::path(get, path = "/api/v1/volunteers/{id}", tag = "volunteers", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = VolunteerView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_volunteer(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<VolunteerView>> {
    Ok(Json(s.app.people().volunteer(&c, id).await?))
}

/// 修改信息: the volunteer's contact details, residence, skills, categories, place and
/// availability, by the volunteer or an administrator who sees them. A blank phone keeps it.
#[utoipa::path(put, path = "/api/v1/volunteers/{id}/contact", tag = "volunteers", params(("id" = i64, Path)),
    request_body = ContactInput, security(("bearer" = [])),
    responses((status = 200, body = VolunteerView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn update_contact(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<Json<VolunteerView>> {
    Ok(Json(s.app.people().update_contact(&c, id, &input).await?))
}

/// 注销: the volunteer leaves the platform — by themself (`password`) or through an office that
/// sees them (`reason`). The login is closed, personal details cleared, teams left and shifts
/// ahead given up; service records stay. 409 `volunteer_busy` while checked in or holding an
/// accepted order, `volunteer_closed` when closed already.
#[utoipa::path(post, path = "/api/v1/volunteers/{id}/close", tag = "volunteers", params(("id" = i64, Path)),
    request_body = CloseInput, security(("bearer" = [])),
    responses((status = 200, body = VolunteerView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn close_volunteer(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<CloseInput>,
) -> ApiResult<Json<VolunteerView>> {
    Ok(Json(s.app.people().close_volunteer(&c, id, &input).await?))
}

/// 开通平台账号: a login for a volunteer registered by an administrator — their phone number
/// and a temporary password, in this answer only.
#[utoipa::path(post, path = "/api/v1/volunteers/{id}/account", tag = "volunteers", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 201, body = VolunteerLogin), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn open_account(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<VolunteerLogin>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.auth().open_volunteer_account(&c, id).await?),
    ))
}

/// A volunteer's teams and requests.
#[utoipa::path(get, path = "/api/v1/volunteers/{id}/memberships", tag = "volunteers", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<MembershipView>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn volunteer_memberships(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<MembershipView>>> {
    Ok(Json(s.app.people().memberships_of(&c, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MemberQuery {
    /// pending / approved / declined / left
    pub status: Option<String>,
}

/// Members and join requests of a team, for its administrators.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/members", tag = "volunteers", params(("id" = i64, Path), MemberQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<MembershipView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn org_members(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    Query(q): Query<MemberQuery>,
) -> ApiResult<Json<Vec<MembershipView>>> {
    Ok(Json(
        s.app
            .people()
            .org_memberships(
                &c,
                id,
                crate::api::query_enum(
                    "status",
                    "membership_status_invalid",
                    q.status.as_deref(),
                    MembershipStatus::parse,
                    &MembershipStatus::ALL.map(MembershipStatus::as_str),
                )?,
            )
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct JoinInput {
    #[serde(default)]
    pub note: String,
}

/// Ask to join a team (volunteers).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/join-requests", tag = "volunteers", params(("id" = i64, Path)),
    request_body = Option<JoinInput>, security(("bearer" = [])),
    responses((status = 201, body = MembershipView), (status = 404, body = ErrorBody)))]
pub async fn request_join(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<MembershipView>)> {
    // The body is optional: an empty one means no note.
    let note = if body.iter().all(u8::is_ascii_whitespace) {
        String::new()
    } else {
        serde_json::from_slice::<JoinInput>(&body)
            .map_err(|_| {
                crate::error::ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "json_malformed",
                    "请求内容不是有效的 JSON",
                )
            })?
            .note
    };
    Ok((
        StatusCode::CREATED,
        Json(s.app.people().request_join(&c, id, &note).await?),
    ))
}

/// Pending join requests the caller can decide.
#[utoipa::path(get, path = "/api/v1/join-requests", tag = "volunteers", security(("bearer" = [])),
    responses((status = 200, body = Vec<MembershipView>), (status = 403, body = ErrorBody)))]
pub async fn pending_requests(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Json<Vec<MembershipView>>> {
    Ok(Json(s.app.people().pending_requests(&c).await?))
}

/// Approve a join request.
#[utoipa::path(post, path = "/api/v1/join-requests/{id}/approve", tag = "volunteers", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = MembershipView), (status = 404, body = ErrorBody)))]
pub async fn approve_request(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<MembershipView>> {
    Ok(Json(s.app.people().decide_join(&c, id, true).await?))
}

/// Decline a join request.
#[utoipa::path(post, path = "/api/v1/join-requests/{id}/decline", tag = "volunteers", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = MembershipView), (status = 404, body = ErrorBody)))]
pub async fn decline_request(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<MembershipView>> {
    Ok(Json(s.app.people().decide_join(&c, id, false).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct VolunteerExportQuery {
    /// As the list's search: name, volunteer number, phone or a full resident ID.
    pub q: Option<String>,
    pub org_id: Option<i64>,
}

/// The volunteers the list shows (every page) as an Excel roster: resident IDs masked, phone
/// numbers masked except for the volunteers' own team administrators; recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/volunteers.xlsx", tag = "volunteers", params(VolunteerExportQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The roster as .xlsx"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn export_volunteers(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<VolunteerExportQuery>,
) -> ApiResult<axum::response::Response> {
    Ok(crate::api::xlsx_response(
        s.app
            .people()
            .export_volunteers(&c, q.q.as_deref(), q.org_id)
            .await?,
    ))
}

pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(export_volunteers))
        .routes(routes!(register_self))
        .routes(routes!(org_members))
        .routes(routes!(request_join))
        .routes(routes!(list_volunteers, create_volunteer))
        .routes(routes!(get_volunteer))
        .routes(routes!(update_contact))
        .routes(routes!(open_account))
        .routes(routes!(close_volunteer))
        .routes(routes!(volunteer_memberships))
        .routes(routes!(pending_requests))
        .routes(routes!(approve_request))
        .routes(routes!(decline_request))
}
