//! Residents' needs: service menus, ordering (also by phone with a one-time code), dispatch,
//! acceptance, completion, rating, notices and order figures.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiyuan_app::orders::{
    CompletionInput, DispatchInput, DispatchOptions, MenuItemInput, MenuItemView, MenuView, OfferTask,
    OrderInput, OrderStats, OrderView, PhoneCodeIssued, RatingInput, ReasonInput,
};

use crate::api::{query_enums, CursorPage, Seeking};
use crate::auth::api::LoginOutput;
use zhiyuan_domain::orders::OrderStatus;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiCaller, ApiJson, ClientAddr};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct MenuQuery {
    /// The 12-digit code of the place.
    pub region_code: String,
}

/// The service menu residents order from at a place (public).
#[utoipa::path(get, path = "/api/v1/menu", tag = "orders", params(MenuQuery),
    responses((status = 200, body = MenuView), (status = 422, body = ErrorBody)))]
pub async fn menu_for_region(
    State(s): State<AppState>,
    Query(q): Query<MenuQuery>,
) -> ApiResult<Json<MenuView>> {
    Ok(Json(s.app.orders().menu_for_region(&q.region_code).await?))
}

/// A site's service menu, inactive items included (public).
#[utoipa::path(get, path = "/api/v1/sites/{id}/menu", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = MenuView), (status = 404, body = ErrorBody)))]
pub async fn site_menu(State(s): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<MenuView>> {
    Ok(Json(s.app.orders().site_menu(id).await?))
}

/// Add an item to a site's own menu (the inherited menu is copied first).
#[utoipa::path(post, path = "/api/v1/sites/{id}/menu", tag = "orders", params(("id" = i64, Path)),
    request_body = MenuItemInput, security(("bearer" = [])),
    responses((status = 201, body = MenuItemView), (status = 404, body = ErrorBody)))]
pub async fn add_menu_item(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<MenuItemInput>,
) -> ApiResult<(StatusCode, Json<MenuItemView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.orders().add_menu_item(&c, id, &input).await?),
    ))
}

/// Give a site a menu of its own, copied from the one it uses now.
#[utoipa::path(post, path = "/api/v1/sites/{id}/menu/customize", tag = "orders", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = MenuView), (status = 404, body = ErrorBody)))]
pub async fn customize_menu(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<MenuView>> {
    Ok(Json(s.app.orders().customize_menu(&c, id).await?))
}

/// Change an item of a site's own menu (name, category, skills, on or off the menu).
#[utoipa::path(post, path = "/api/v1/menu-items/{id}", tag = "orders", params(("id" = i64, Path)),
    request_body = MenuItemInput, security(("bearer" = [])),
    responses((status = 200, body = MenuItemView), (status = 404, body = ErrorBody)))]
pub async fn update_menu_item(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<MenuItemInput>,
) -> ApiResult<Json<MenuItemView>> {
    Ok(Json(s.app.orders().update_menu_item(&c, id, &input).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PhoneInput {
    pub phone: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PhoneLoginInput {
    pub phone: String,
    pub code: String,
}

/// Ask for a one-time code to order by phone (demo mode returns the code instead of an SMS).
#[utoipa::path(post, path = "/api/v1/auth/phone-code", tag = "auth", request_body = PhoneInput,
    responses((status = 200, body = PhoneCodeIssued)))]
pub async fn phone_code(
    State(s): State<AppState>,
    ApiJson(input): ApiJson<PhoneInput>,
) -> ApiResult<Json<PhoneCodeIssued>> {
    Ok(Json(s.app.auth().request_phone_code(&input.phone).await?))
}

/// Log in as a resident with a phone number and its one-time code.
#[utoipa::path(post, path = "/api/v1/auth/phone-login", tag = "auth", request_body = PhoneLoginInput,
    responses((status = 200, body = LoginOutput), (status = 429, body = ErrorBody)))]
pub async fn phone_login(
    State(s): State<AppState>,
    ClientAddr(from): ClientAddr,
    ApiJson(input): ApiJson<PhoneLoginInput>,
) -> ApiResult<Json<LoginOutput>> {
    let (token, account) = s
        .app
        .auth()
        .phone_login_from(&input.phone, &input.code, from)
        .await?;
    Ok(Json(LoginOutput { token, account }))
}

/// 点单: a resident orders an item of the local menu.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = OrderInput, security(("bearer" = [])),
    responses((status = 201, body = OrderView)))]
pub async fn submit_order(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<OrderInput>,
) -> ApiResult<(StatusCode, Json<OrderView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.orders().submit_order(&c, &input).await?),
    ))
}

/// The caller's own orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders/mine", tag = "orders", params(Seeking), security(("bearer" = [])),
    responses((status = 200, body = CursorPage<OrderView>), (status = 400, body = ErrorBody)))]
pub async fn my_orders(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(p): Query<Seeking>,
) -> ApiResult<Json<CursorPage<OrderView>>> {
    Ok(Json(s.app.orders().my_orders(&c, &p.request()).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueQuery {
    /// Comma-separated states (submitted, dispatched, accepted, completed, rated, rejected,
    /// cancelled); all when absent. An unknown state is a 400 `status_invalid`.
    pub status: Option<String>,
    /// `next_cursor` of the page before.
    pub after: Option<String>,
    /// `prev_cursor` of the page after.
    pub before: Option<String>,
    pub per_page: Option<i64>,
}

/// The office's queue: orders in its region that it handles, earliest window first.
#[utoipa::path(get, path = "/api/v1/orders/queue", tag = "orders", params(QueueQuery), security(("bearer" = [])),
    responses((status = 200, body = CursorPage<OrderView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn order_queue(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<QueueQuery>,
) -> ApiResult<Json<CursorPage<OrderView>>> {
    let known = OrderStatus::ALL.map(OrderStatus::as_str);
    let statuses = query_enums(
        "status",
        "status_invalid",
        q.status.as_deref(),
        OrderStatus::parse,
        &known,
    )?;
    let paging = Seeking {
        after: q.after,
        before: q.before,
        per_page: q.per_page,
    };
    Ok(Json(
        s.app
            .orders()
            .order_queue(&c, &statuses, &paging.request())
            .await?
            .into(),
    ))
}

/// Orders dispatched to the caller's teams, site, or to the caller as a volunteer: live offers
/// first, newest first.
#[utoipa::path(get, path = "/api/v1/orders/for-me", tag = "orders", params(Seeking), security(("bearer" = [])),
    responses((status = 200, body = CursorPage<OfferTask>), (status = 400, body = ErrorBody)))]
pub async fn orders_for_me(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(p): Query<Seeking>,
) -> ApiResult<Json<CursorPage<OfferTask>>> {
    Ok(Json(s.app.orders().orders_for_me(&c, &p.request()).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsQuery {
    /// Region code prefix (2, 4, 6, 9 or 12 digits) within the caller's scope; the whole scope when absent.
    pub region: Option<String>,
}

/// Counts per state, average rating and the share rated 4 or more.
#[utoipa::path(get, path = "/api/v1/orders/stats", tag = "orders", params(StatsQuery), security(("bearer" = [])),
    responses((status = 200, body = OrderStats), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn order_stats(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<StatsQuery>,
) -> ApiResult<Json<OrderStats>> {
    Ok(Json(
        s.app
            .orders()
            .order_stats(&c, q.region.as_deref().unwrap_or(""))
            .await?,
    ))
}

/// One order.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = OrderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_order(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.app.orders().order(&c, id).await?))
}

/// The dispatch screen's choices: teams, stations and suggested volunteers.
#[utoipa::path(get, path = "/api/v1/orders/{id}/dispatch", tag = "orders", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 200, body = DispatchOptions), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn dispatch_options(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<DispatchOptions>> {
    Ok(Json(s.app.orders().dispatch_options(&c, id).await?))
}

/// 派单 (or re-dispatch) to teams, a station or volunteers.
#[utoipa::path(post, path = "/api/v1/orders/{id}/dispatch", tag = "orders", params(("id" = i64, Path)),
    request_body = DispatchInput, security(("bearer" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn dispatch_order(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<DispatchInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.app.orders().dispatch_order(&c, id, &input).await?))
}

/// Reject a submitted order with a reason the resident sees.
#[utoipa::path(post, path = "/api/v1/orders/{id}/reject", tag = "orders", params(("id" = i64, Path)),
    request_body = ReasonInput, security(("bearer" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn reject_order(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.app.orders().reject_order(&c, id, &input.reason).await?))
}

/// Cancel an order (its resident, or the office with a reason).
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", params(("id" = i64, Path)),
    request_body = ReasonInput, security(("bearer" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn cancel_order(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.app.orders().cancel_order(&c, id, &input.reason).await?))
}

/// Complete an accepted order: a short report and the minutes each volunteer served.
#[utoipa::path(post, path = "/api/v1/orders/{id}/complete", tag = "orders", params(("id" = i64, Path)),
    request_body = CompletionInput, security(("bearer" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn complete_order(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<CompletionInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.app.orders().complete_order(&c, id, &input).await?))
}

/// 评单: the resident rates a completed order 1–5, once.
#[utoipa::path(post, path = "/api/v1/orders/{id}/rate", tag = "orders", params(("id" = i64, Path)),
    request_body = RatingInput, security(("bearer" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn rate_order(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<RatingInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.app.orders().rate_order(&c, id, &input).await?))
}

/// 接单: accept an offer (a team or site takes the whole order; a volunteer one seat).
#[utoipa::path(post, path = "/api/v1/order-offers/{id}/accept", tag = "orders", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn accept_offer(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.app.orders().accept_offer(&c, id).await?))
}

/// Decline an offer, with an optional reason.
#[utoipa::path(post, path = "/api/v1/order-offers/{id}/decline", tag = "orders", params(("id" = i64, Path)),
    request_body = ReasonInput, security(("bearer" = [])),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn decline_offer(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(s.app.orders().decline_offer(&c, id, &input.reason).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct QueueExportQuery {
    /// Comma-separated states, as the queue's; all when absent.
    pub status: Option<String>,
}

/// The office's queue in the given states (every page) as an Excel workbook, residents' phone
/// numbers masked; recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/orders/queue.xlsx", tag = "orders", params(QueueExportQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The orders as .xlsx"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn export_queue(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<QueueExportQuery>,
) -> ApiResult<axum::response::Response> {
    let known = OrderStatus::ALL.map(OrderStatus::as_str);
    let statuses = query_enums(
        "status",
        "status_invalid",
        q.status.as_deref(),
        OrderStatus::parse,
        &known,
    )?;
    let text = if statuses.is_empty() {
        "全部状态".to_owned()
    } else {
        statuses
            .iter()
            .map(|st| st.label_zh())
            .collect::<Vec<_>>()
            .join("、")
    };
    Ok(crate::api::xlsx_response(
        s.app.orders().export_orders(&c, &statuses, &text).await?,
    ))
}

pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(export_queue))
        .routes(routes!(menu_for_region))
        .routes(routes!(site_menu, add_menu_item))
        .routes(routes!(customize_menu))
        .routes(routes!(update_menu_item))
        .routes(routes!(phone_code))
        .routes(routes!(phone_login))
        .routes(routes!(submit_order))
        .routes(routes!(my_orders))
        .routes(routes!(order_queue))
        .routes(routes!(orders_for_me))
        .routes(routes!(order_stats))
        .routes(routes!(get_order))
        .routes(routes!(dispatch_options, dispatch_order))
        .routes(routes!(reject_order))
        .routes(routes!(cancel_order))
        .routes(routes!(complete_order))
        .routes(routes!(rate_order))
        .routes(routes!(accept_offer))
        .routes(routes!(decline_offer))
}
