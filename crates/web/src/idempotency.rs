//! `Idempotency-Key` on the API's writes: the first response to a key is saved and a replay
//! of the same request gets it back (with `Idempotent-Replayed: true`) without running the
//! write again; the same key with another request is refused. See `zhiyuan_app::idempotency`.

use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use zhiyuan_app::idempotency::{Claim, IdempotencyKey, SavedResponse};

use crate::error::ApiError;
use crate::extract::token_of;
use crate::AppState;

pub const KEY_HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Responses larger than this are not saved (none of the API's writes answers with that much).
const MAX_SAVED: usize = 1024 * 1024;

pub async fn idempotent(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let write = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let Some(raw) = req.headers().get(KEY_HEADER).filter(|_| write) else {
        return next.run(req).await;
    };
    let key = match raw
        .to_str()
        .map_err(|_| ())
        .and_then(|k| IdempotencyKey::parse(k).map_err(|_| ()))
    {
        Ok(k) => k,
        Err(()) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "idempotency_key_invalid",
                "Idempotency-Key 须为1至200个可见ASCII字符",
            )
            .into_response()
        }
    };
    let token = token_of(req.headers());
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let actor = match actor_of(&s, token, addr).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "请求内容过大")
                .into_response()
        }
    };
    let fingerprint = fingerprint(
        &parts.method,
        parts.uri.path_and_query().map(|p| p.as_str()),
        &bytes,
    );
    match s.app.idempotency().claim_key(&actor, &key, &fingerprint).await {
        Err(e) => ApiError::from(e).into_response(),
        Ok(Claim::Replay(saved)) => replay(saved),
        Ok(Claim::Mismatch) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于另一个不同的请求，请为新请求使用新的键",
        )
        .into_response(),
        Ok(Claim::InFlight) => ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_key_in_flight",
            "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试",
        )
        .into_response(),
        Ok(Claim::Fresh) => {
            let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            settle(&s, &actor, &key, resp).await
        }
    }
}

/// Saves a successful response for replays; releases the key of a failed one (it wrote nothing).
async fn settle(s: &AppState, actor: &str, key: &IdempotencyKey, resp: Response) -> Response {
    let status = resp.status();
    if !status.is_success() {
        if let Err(e) = s.app.idempotency().release_key(actor, key).await {
            crate::error::log_internal(&e);
        }
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_SAVED).await {
        Ok(b) => b,
        Err(_) => {
            // too large to keep: the write happened, so the key stays claimed (a replay is
            // answered as in flight rather than run twice)
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "服务器内部错误，请稍后重试",
            )
            .into_response();
        }
    };
    let saved = SavedResponse {
        status: status.as_u16(),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: bytes.to_vec(),
    };
    if let Err(e) = s.app.idempotency().save_response(actor, key, &saved).await {
        // the write stands; a replay will be told the first request is still in flight
        crate::error::log_internal(&e);
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(saved: SavedResponse) -> Response {
    let status = StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK);
    let mut resp = (status, Bytes::from(saved.body)).into_response();
    let h = resp.headers_mut();
    match saved.content_type.as_deref().map(HeaderValue::from_str) {
        Some(Ok(ct)) => {
            h.insert(header::CONTENT_TYPE, ct);
        }
        _ => {
            h.remove(header::CONTENT_TYPE);
        }
    }
    h.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    resp
}

/// Whose key it is: the logged-in account, or for an anonymous write the client's address.
async fn actor_of(s: &AppState, token: Option<String>, addr: Option<String>) -> Result<String, ApiError> {
    if let Some(t) = token {
        if let Some(c) = s.app.auth().authenticate(&t).await? {
            return Ok(format!("account:{}", c.account_id));
        }
    }
    Ok(format!("anonymous:{}", addr.as_deref().unwrap_or("unknown")))
}

/// What makes two requests the same: method, path with query, and body.
fn fingerprint(method: &Method, path: Option<&str>, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update(b" ");
    h.update(path.unwrap_or("").as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_tell_requests_apart() {
        let a = fingerprint(&Method::POST, Some("/api/v1/x"), b"{\"a\":1}");
        assert_eq!(a, fingerprint(&Method::POST, Some("/api/v1/x"), b"{\"a\":1}"));
        assert_ne!(a, fingerprint(&Method::POST, Some("/api/v1/x"), b"{\"a\":2}"));
        assert_ne!(a, fingerprint(&Method::POST, Some("/api/v1/y"), b"{\"a\":1}"));
        assert_ne!(a, fingerprint(&Method::PUT, Some("/api/v1/x"), b"{\"a\":1}"));
        assert_eq!(a.len(), 64);
    }
}
