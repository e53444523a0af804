//! The HTTP edge: JSON API under `/api/v1` (its OpenAPI document at `/api/openapi.json`,
//! generated from the same route list), zh-CN server-rendered pages, embedded assets.

pub mod api;
mod audit;
mod auth;
pub mod edge;
pub mod error;
mod events;
pub mod extract;
pub mod idempotency;
mod imports;
mod network;
mod notices;
mod orders;
pub mod pages;
mod people;
mod service;
mod stats;

use std::net::SocketAddr;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use zhiyuan_app::App;

/// Requests larger than this are refused with 413.
pub const BODY_LIMIT: usize = 256 * 1024;

#[derive(Clone, Debug)]
pub struct AppState {
    pub app: App,
}

/// The whole application as one router.
pub fn router(app: App) -> Router {
    let state = AppState { app };
    let (api, openapi) = api::router();
    let api = api.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        idempotency::idempotent,
    ));
    let openapi_json = serde_json::to_value(&openapi).expect("OpenAPI document serializes");
    Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || async move { Json(openapi_json.clone()) }),
        )
        .merge(pages::router())
        .route("/assets/app.css", get(css))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(api_or_page_not_found)
        .route("/assets/app.js", get(js))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(edge::observe))
        .with_state(state)
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/app.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/app.js"),
    )
}

async fn api_or_page_not_found(uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "接口不存在").into_response()
    } else {
        pages::not_found().into_response()
    }
}

/// Serves until Ctrl-C / SIGTERM.
pub async fn serve(app: App, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
