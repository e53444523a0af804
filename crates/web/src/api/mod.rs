//! The JSON API under `/api/v1`. Routes and the OpenAPI document come from one list.

mod document;

use axum::Router;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Zhiyuan 志愿 API", version = "1", description = "志愿服务与新时代文明实践平台 JSON API。\
        Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}` with a stable English code and a Chinese message."),
    modifiers(&BearerAuth),
    components(schemas(crate::error::ErrorBody))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes and their OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let r = OpenApiRouter::with_openapi(ApiDoc::openapi());
    let r = crate::auth::api::routes(r);
    let r = crate::people::api::routes(r);
    let r = crate::network::api::routes(r);
    let r = crate::audit::api::routes(r);
    let r = crate::service::api::routes(r);
    let r = crate::orders::api::routes(r);
    let r = crate::stats::api::routes(r);
    let r = crate::events::api::routes(r);
    let (router, mut doc) = crate::notices::api::routes(r).split_for_parts();
    document::complete(&mut doc);
    (router, doc)
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    #[schema(minimum = 0)]
    pub total: i64,
    #[schema(minimum = 1, maximum = 100000)]
    pub page: i64,
    #[schema(minimum = 1, maximum = 200)]
    pub per_page: i64,
}

impl<T> From<zhiyuan_app::Page<T>> for PageOf<T> {
    fn from(p: zhiyuan_app::Page<T>) -> Self {
        PageOf {
            items: p.items,
            total: p.total,
            page: p.page,
            per_page: p.per_page,
        }
    }
}

/// A keyset page of a list (seek pagination): pass `next_cursor` as `?after=` for the next
/// page and `prev_cursor` as `?before=` for the previous one. Cursors are opaque; rows added
/// meanwhile never make a row repeat or go missing between pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct CursorPage<T> {
    pub items: Vec<T>,
    pub per_page: i64,
    /// Absent on the last page.
    pub next_cursor: Option<String>,
    /// Absent on the first page.
    pub prev_cursor: Option<String>,
}

impl<T> From<zhiyuan_app::seek::Seek<T>> for CursorPage<T> {
    fn from(p: zhiyuan_app::seek::Seek<T>) -> Self {
        CursorPage {
            items: p.items,
            per_page: p.per_page,
            next_cursor: p.next,
            prev_cursor: p.prev,
        }
    }
}

/// `?after=` or `?before=` a cursor of an earlier page, `&per_page=` (at most 200 a page). A
/// cursor this list did not hand out is a 400 `cursor_invalid`.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct Seeking {
    pub after: Option<String>,
    pub before: Option<String>,
    pub per_page: Option<i64>,
}

impl Seeking {
    pub fn request(&self) -> zhiyuan_app::seek::SeekRequest {
        zhiyuan_app::seek::SeekRequest::new(self.after.clone(), self.before.clone(), self.per_page)
    }
}

/// `?page=&per_page=` (1-based; at most 200 a page).
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct Paging {
    /// 1-based; values past 100 000 are read as 100 000.
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<i64>,
    /// Items a page, 20 by default; values outside 1–200 are read as the nearest bound.
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

impl Paging {
    pub fn request(&self) -> zhiyuan_app::PageRequest {
        zhiyuan_app::PageRequest::new(self.page, self.per_page)
    }
}

/// Reads a comma-separated query parameter of domain enum values (duplicates once, in order);
/// an unknown one is a 400 as in [`query_enum`]; empty or absent is no filter.
pub(crate) fn query_enums<T: PartialEq>(
    field: &'static str,
    code: &'static str,
    raw: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    known: &[&str],
) -> Result<Vec<T>, crate::error::ApiError> {
    let mut out = Vec::new();
    for x in raw.unwrap_or("").split(',') {
        if let Some(v) = query_enum(field, code, Some(x), &parse, known)? {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// Reads a query parameter that names one value of a domain enum. An unknown value is a 400
/// with `code` beside `field`, naming the known values; empty or absent is no filter.
pub(crate) fn query_enum<T>(
    field: &'static str,
    code: &'static str,
    raw: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    known: &[&str],
) -> Result<Option<T>, crate::error::ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    match parse(raw) {
        Some(v) => Ok(Some(v)),
        None => {
            let mut e = crate::error::ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                code,
                format!("未知的取值“{raw}”，可选：{}", known.join("、")),
            );
            e.fields = vec![zhiyuan_app::FieldError::new(field, code, e.message.clone())];
            Err(e)
        }
    }
}

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An Excel file as a download: its Chinese name in RFC 5987 form (with an ASCII fallback),
/// never cached. The body is streamed from the export's temporary file in 64 KiB pieces, so a
/// million-row workbook does not sit in memory; the file goes when the stream ends.
pub(crate) fn xlsx_response(e: zhiyuan_app::exports::Export) -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::IntoResponse;
    use tokio::io::AsyncReadExt;
    let encoded: String = e
        .file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let len = e.len();
    let file = match e.file.reopen() {
        Ok(f) => tokio::fs::File::from_std(f),
        Err(err) => {
            tracing::error!("reopening an export file: {err}");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    // the temporary file lives as long as the stream that reads it
    let stream = futures_util::stream::try_unfold((file, e.file), |(mut f, keep)| async move {
        let mut buf = vec![0u8; 64 * 1024];
        let n = f.read(&mut buf).await?;
        if n == 0 {
            return Ok::<_, std::io::Error>(None);
        }
        buf.truncate(n);
        Ok(Some((axum::body::Bytes::from(buf), (f, keep))))
    });
    let mut r = axum::body::Body::from_stream(stream).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"export.xlsx\"; filename*=UTF-8''{encoded}"
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
