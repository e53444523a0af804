//! Extractors: who is calling (bearer token or session cookie) and JSON bodies whose
//! rejections speak our error format.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;
use zhiyuan_app::{AppError, Caller};

use crate::error::ApiError;
use crate::AppState;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "zy_session";

/// The session token of a request: `Authorization: Bearer …` or the session cookie.
pub fn token_of(headers: &axum::http::HeaderMap) -> Option<String> {
    token_and_source(headers).map(|(t, _)| t)
}

/// The token and whether it came from the cookie (which a browser also sends cross-site).
fn token_and_source(headers: &axum::http::HeaderMap) -> Option<(String, bool)> {
    if let Some(h) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = h.strip_prefix("Bearer ") {
            return Some((t.trim().to_owned(), false));
        }
    }
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| (c.value().to_owned(), true))
}

/// Whether the request names this server as its origin: its `Origin` header, or when a browser
/// sent none, its `Referer`. A request with neither is not known to be ours.
pub fn from_own_origin(headers: &axum::http::HeaderMap, authority: Option<&str>) -> bool {
    use axum::http::header;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or(authority);
    let named = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|v| v.to_str().ok());
    let Some(Some(named)) = named else {
        return false;
    };
    let named_host = named
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""));
    matches!((named_host, host), (Some(a), Some(b)) if !a.is_empty() && a.eq_ignore_ascii_case(b))
}

/// A logged-in caller, or nobody.
#[derive(Clone, Debug)]
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(c) = parts.extensions.get::<MaybeCaller>() {
            return Ok(c.clone());
        }
        let caller = match token_and_source(&parts.headers) {
            Some((t, from_cookie)) => {
                let caller = state.app.auth().authenticate(&t).await?;
                // The API takes the session cookie too (pages' scripts may call it), but a
                // browser attaches the cookie to cross-site requests: a cookie-borne API write
                // must come from our own pages.
                let write = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
                if caller.is_some()
                    && from_cookie
                    && write
                    && parts.uri.path().starts_with("/api/")
                    && !from_own_origin(&parts.headers, parts.uri.authority().map(|a| a.as_str()))
                {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "cross_site_refused",
                        "该请求来自其他网站，已被拒绝；接口写操作请使用 Authorization: Bearer 令牌",
                    ));
                }
                caller
            }
            None => None,
        };
        if let Some(c) = &caller {
            crate::edge::note_account(c.account_id);
        }
        let found = MaybeCaller(caller);
        parts.extensions.insert(found.clone());
        Ok(found)
    }
}

/// A logged-in caller; 401 otherwise.
#[derive(Clone, Debug)]
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match MaybeCaller::from_request_parts(parts, state).await?.0 {
            Some(c) => Ok(ApiCaller(c)),
            None => Err(AppError::Unauthenticated.into()),
        }
    }
}

/// `Json<T>` whose rejections (malformed, wrong type, too large) are our JSON errors.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonDataError(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "json_invalid",
            format!("请求内容的字段不符合要求：{}", e.body_text()),
        ),
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "json_malformed",
            "请求内容不是有效的 JSON",
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type_invalid",
            "请求须使用 Content-Type: application/json",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "请求内容过大")
        }
        other => ApiError::new(
            other.status(),
            "request_invalid",
            format!("请求无法读取：{}", other.body_text()),
        ),
    }
}

/// The client's address as the connection shows it (`None` when the server was started without
/// connection info, as in some tests). Behind a reverse proxy this is the proxy.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}
