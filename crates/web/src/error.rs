//! The one place where application errors become HTTP: a status and
//! `{"error": {"code", "message", "fields"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use zhiyuan_app::{AppError, FieldError};

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable English snake_case code, e.g. `resident_id_invalid`.
    pub code: String,
    /// For people, in Chinese.
    pub message: String,
    /// Every field's problem, when the input was invalid.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// The request's id (also the `x-request-id` header), to quote when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// An error on its way out of a JSON endpoint.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
            fields: Vec::new(),
        }
    }
}

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::Unauthenticated | AppError::LoginFailed => StatusCode::UNAUTHORIZED,
        AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::Store(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        let status = status_of(&e);
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            log_internal(&e);
        }
        ApiError {
            status,
            code: e.code().to_owned(),
            message: e.to_string(),
            fields: e.fields(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                fields: self.fields,
                request_id: crate::edge::request_id(),
            },
        };
        (self.status, Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Logs an internal error by its cause chain (never its user-facing message).
pub fn log_internal(e: &AppError) {
    tracing::error!(
        request_id = crate::edge::request_id().unwrap_or_default(),
        cause = %e.cause(),
        "internal error"
    );
}
