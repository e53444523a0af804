use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiyuan_app::events::{EventInput, EventSummary, EventView, TallyInput, TallyView};

use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiCaller, ApiJson};
use crate::AppState;

/// Events the caller's office organizes, and those with a post the caller leads.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", security(("bearer" = [])),
    responses((status = 200, body = Vec<EventSummary>), (status = 401, body = ErrorBody)))]
pub async fn list(State(s): State<AppState>, ApiCaller(c): ApiCaller) -> ApiResult<Json<Vec<EventSummary>>> {
    Ok(Json(s.app.events().events(&c).await?))
}

/// 新建活动统计: an office defines an event in its region with its posts and metrics.
#[utoipa::path(post, path = "/api/v1/events", tag = "events", request_body = EventInput, security(("bearer" = [])),
    responses((status = 201, body = EventView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<EventInput>,
) -> ApiResult<(StatusCode, Json<EventView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.events().create_event(&c, &input).await?),
    ))
}

/// An event with its totals, by post and by day.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = EventView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<EventView>> {
    Ok(Json(s.app.events().event(&c, id).await?))
}

/// 填报日报数: a post's tally for a day (replaces an earlier entry of that day, which stays in
/// the trail). Send an `Idempotency-Key`: a retried submission counts once.
#[utoipa::path(post, path = "/api/v1/events/{id}/tallies", tag = "events", params(("id" = i64, Path)), request_body = TallyInput,
    security(("bearer" = [])),
    responses((status = 201, body = TallyView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn enter(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<TallyInput>,
) -> ApiResult<(StatusCode, Json<TallyView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.events().enter_tally(&c, id, &input).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TrailQuery {
    pub post_id: i64,
    /// YYYY-MM-DD
    pub day: String,
}

/// Every version of a post's day, oldest first.
#[utoipa::path(get, path = "/api/v1/events/{id}/tallies", tag = "events", params(("id" = i64, Path), TrailQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<TallyView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn trail(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    Query(q): Query<TrailQuery>,
) -> ApiResult<Json<Vec<TallyView>>> {
    Ok(Json(s.app.events().trail(&c, id, q.post_id, q.day.trim()).await?))
}

/// The event's tables (总计, 按点位, 按日期) as an Excel workbook; recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/events/{id}/export.xlsx", tag = "events", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The event's tables as .xlsx"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    Ok(crate::api::xlsx_response(
        s.app.events().export_event(&c, id).await?,
    ))
}

pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(enter, trail))
        .routes(routes!(export))
}
