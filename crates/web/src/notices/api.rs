//! Notices (通报) in the JSON API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiyuan_app::notices::NoticeList;

use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiCaller;
use crate::AppState;

pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(notices))
        .routes(routes!(read_notice))
        .routes(routes!(read_all))
}

/// The caller's notices (通报), newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notices", tag = "orders", security(("bearer" = [])),
    responses((status = 200, body = NoticeList)))]
pub async fn notices(State(s): State<AppState>, ApiCaller(c): ApiCaller) -> ApiResult<Json<NoticeList>> {
    Ok(Json(s.app.notices().notices(&c).await?))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReadAll {
    /// How many notices were unread.
    pub read: u64,
}

/// 全部标为已读: mark every notice of the caller read.
#[utoipa::path(post, path = "/api/v1/notices/read-all", tag = "orders", security(("bearer" = [])),
    responses((status = 200, body = ReadAll)))]
pub async fn read_all(State(s): State<AppState>, ApiCaller(c): ApiCaller) -> ApiResult<Json<ReadAll>> {
    Ok(Json(ReadAll {
        read: s.app.notices().read_all(&c).await?,
    }))
}

/// Mark one of the caller's notices read.
#[utoipa::path(post, path = "/api/v1/notices/{id}/read", tag = "orders", params(("id" = i64, Path)),
    security(("bearer" = [])), responses((status = 204, description = "Marked read"), (status = 404, body = ErrorBody)))]
pub async fn read_notice(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    s.app.notices().read_notice(&c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
