//! What every request passes through at the edge: a request id and one access-log line,
//! security headers, and the framework's own plain-text rejections (a bad path or query, a
//! wrong method, a body too large) turned into our error shapes — JSON under `/api/`, the
//! Chinese error page elsewhere.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue, Response, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;

use crate::error::ApiError;

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Pages allow only our own scripts, styles and images (no inline script), and no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// What the edge knows of the request being served, for the code that serves it.
struct Current {
    id: String,
    account: Cell<Option<i64>>,
}

tokio::task_local! {
    static CURRENT: Current;
}

/// The id of the request being served (in error bodies and the access log).
pub fn request_id() -> Option<String> {
    CURRENT.try_with(|c| c.id.clone()).ok()
}

/// Notes who is calling, for the access log.
pub(crate) fn note_account(account_id: i64) {
    let _ = CURRENT.try_with(|c| c.account.set(Some(account_id)));
}

fn new_request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    });
    format!(
        "{:08x}-{:06x}",
        start & 0xffff_ffff,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The outermost middleware: id, headers, error shapes and the access log.
pub async fn observe(req: Request, next: Next) -> Response<Body> {
    let started = Instant::now();
    let id = new_request_id();
    let method = req.method().clone();
    // the route's template, never the path or query: they can hold codes, phone numbers or IDs
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".into());
    let api = req.uri().path().starts_with("/api/");
    let current = Current {
        id: id.clone(),
        account: Cell::new(None),
    };
    let (resp, account) = CURRENT
        .scope(current, async move {
            let resp = next.run(req).await;
            let resp = shape_rejection(resp, api).await;
            let account = CURRENT.with(|c| c.account.get());
            (resp, account)
        })
        .await;
    let mut resp = resp;
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(REQUEST_ID_HEADER, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CSP));
    let status = resp.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        target: "zhiyuan::access",
        request_id = %id,
        method = %method,
        route = %route,
        status,
        ms = format_args!("{ms:.1}"),
        account = account.map(|a| a.to_string()).unwrap_or_else(|| "-".into()),
        "request"
    );
    resp
}

/// A plain-text error from the framework (its extractors' rejections, 405, 413) in our shape.
async fn shape_rejection(resp: Response<Body>, api: bool) -> Response<Body> {
    let status = resp.status();
    let plain = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return resp;
    }
    let detail = match axum::body::to_bytes(resp.into_body(), 64 * 1024).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    let (code, message) = rejection_text(status, &detail);
    if api {
        ApiError::new(status, code, message).into_response()
    } else {
        crate::pages::plain_error(status, &message)
    }
}

/// Our code and Chinese message for a framework rejection.
fn rejection_text(status: StatusCode, detail: &str) -> (&'static str, String) {
    let detail = detail.trim();
    let with = |m: &str| {
        if detail.is_empty() {
            m.to_owned()
        } else {
            format!("{m}（{detail}）")
        }
    };
    match status {
        StatusCode::BAD_REQUEST => ("request_invalid", with("请求参数有误")),
        StatusCode::NOT_FOUND => ("not_found", "接口或页面不存在".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "不支持该请求方法".to_owned()),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "请求内容过大".to_owned()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("content_type_invalid", with("请求内容的类型不受支持")),
        StatusCode::UNPROCESSABLE_ENTITY => ("request_invalid", with("请求内容不符合要求")),
        s if s.is_server_error() => ("internal", "服务器内部错误，请稍后重试".to_owned()),
        _ => ("request_invalid", with("请求无法处理")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), b.len());
    }

    #[test]
    fn rejections_get_a_code_and_a_chinese_message() {
        let (code, msg) = rejection_text(StatusCode::BAD_REQUEST, "Invalid URL: Cannot parse `x`");
        assert_eq!(code, "request_invalid");
        assert!(msg.starts_with("请求参数有误"));
        assert_eq!(
            rejection_text(StatusCode::PAYLOAD_TOO_LARGE, "").0,
            "payload_too_large"
        );
    }
}
