use axum::extract::Path;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiyuan_app::auth::manage::{AccountInput, AccountView, AdminAccountView, PasswordReset, RoleInput};
use zhiyuan_app::people::VolunteerView;
use zhiyuan_app::Caller;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{token_of, ApiCaller, ApiJson, ClientAddr};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginOutput {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub account: Caller,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub account: Caller,
    /// The caller's own record (full resident ID), for volunteers.
    pub volunteer: Option<VolunteerView>,
}

/// Log in with a password; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginInput,
    responses((status = 200, body = LoginOutput), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    ClientAddr(from): ClientAddr,
    ApiJson(input): ApiJson<LoginInput>,
) -> ApiResult<Json<LoginOutput>> {
    let (token, account) = s
        .app
        .auth()
        .login_from(&input.username, &input.password, from)
        .await?;
    Ok(Json(LoginOutput { token, account }))
}

/// End the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Signed out")))]
pub async fn logout(
    State(s): State<AppState>,
    _c: ApiCaller,
    headers: HeaderMap,
) -> ApiResult<axum::http::StatusCode> {
    if let Some(t) = token_of(&headers) {
        s.app.auth().logout(&t).await?;
    }
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// End every session of the caller's account, on every device ("sign out everywhere").
#[utoipa::path(post, path = "/api/v1/auth/logout-everywhere", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Every session ended")))]
pub async fn logout_everywhere(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<axum::http::StatusCode> {
    s.app.auth().logout_everywhere(&c).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me)))]
pub async fn me(State(s): State<AppState>, ApiCaller(c): ApiCaller) -> ApiResult<Json<Me>> {
    let volunteer = s.app.people().my_volunteer(&c).await?;
    Ok(Json(Me {
        account: c,
        volunteer,
    }))
}

/// Create an account within the caller's scope (never a role above the caller's).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "admin", request_body = AccountInput, security(("bearer" = [])),
    responses((status = 201, body = AccountView)))]
pub async fn create_account(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<AccountInput>,
) -> ApiResult<(StatusCode, Json<AccountView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.auth().create_account(&c, &input).await?),
    ))
}

/// The administrators' accounts the caller oversees, with their last login.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<AdminAccountView>), (status = 403, body = ErrorBody)))]
pub async fn list_accounts(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Json<Vec<AdminAccountView>>> {
    Ok(Json(s.app.auth().admin_accounts(&c).await?))
}

/// 停用: disable an account the caller manages; its sessions end at once.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/disable", tag = "admin", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = AdminAccountView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn disable_account(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AdminAccountView>> {
    Ok(Json(s.app.auth().set_account_disabled(&c, id, true).await?))
}

/// 调整角色: another administrator role (and the place it applies to) for an account the caller
/// manages, within what the caller may grant.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/role", tag = "admin", params(("id" = i64, Path)),
    request_body = RoleInput, security(("bearer" = [])),
    responses((status = 200, body = AdminAccountView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn change_role(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<RoleInput>,
) -> ApiResult<Json<AdminAccountView>> {
    Ok(Json(s.app.auth().change_role(&c, id, &input).await?))
}

/// 启用: enable a disabled account the caller manages.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/enable", tag = "admin", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = AdminAccountView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn enable_account(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<AdminAccountView>> {
    Ok(Json(s.app.auth().set_account_disabled(&c, id, false).await?))
}

/// 重置密码: a temporary password for an account the caller manages, in this answer only.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/reset-password", tag = "admin", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = PasswordReset), (status = 404, body = ErrorBody)))]
pub async fn reset_password(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<PasswordReset>> {
    Ok(Json(s.app.auth().reset_password(&c, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// 修改密码: the caller's own, giving the current one; the account's other sessions end.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    security(("bearer" = [])), responses((status = 204, description = "Changed")))]
pub async fn change_password(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    let token = token_of(&headers);
    s.app
        .auth()
        .change_password(&c, &input.current_password, &input.new_password, token.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(logout_everywhere))
        .routes(routes!(me))
        .routes(routes!(create_account, list_accounts))
        .routes(routes!(disable_account))
        .routes(routes!(enable_account))
        .routes(routes!(change_role))
        .routes(routes!(reset_password))
        .routes(routes!(change_password))
}
