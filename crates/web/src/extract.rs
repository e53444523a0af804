//! Extractors: who is calling (bearer token or session cookie) and JSON bodies whose
//! rejections speak our error format.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;
use zhiyuan_app::{AppError, Caller};

use crate::error::ApiError;
use crate::AppState;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "zy_session";

/// The session token of a request: `Authorization: Bearer …` or the session cookie.
pub fn token_of(headers: &axum::http::HeaderMap) -> Option<String> {
    if let Some(h) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = h.strip_prefix("Bearer ") {
            return Some(t.trim().to_owned());
        }
    }
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
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
        let caller = match token_of(&parts.headers) {
            Some(t) => state.app.authenticate(&t).await?,
            None => None,
        };
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
