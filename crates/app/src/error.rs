//! The one error type of the use cases. The web edge maps it once to an HTTP status and the
//! JSON body `{"error": {"code", "message", "fields"}}`; messages are for users, in Chinese.

use zhiyuan_domain::DomainError;
use zhiyuan_store::StoreError;

/// One problem with one input field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
    /// Which item of a list the problem belongs to (0-based), e.g. the second shift of a project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            field,
            code,
            message: message.into(),
            index: None,
        }
    }

    /// The same problem, placed on item `index` of a list.
    pub fn at(self, index: usize) -> FieldError {
        FieldError {
            index: Some(index),
            ..self
        }
    }
}

impl From<DomainError> for FieldError {
    fn from(e: DomainError) -> FieldError {
        FieldError::new(e.field().unwrap_or("input"), e.code(), e.to_string())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that breaks a rule; every field's problem at once.
    #[error("{}", .0.first().map(|f| f.message.as_str()).unwrap_or("输入有误"))]
    Invalid(Vec<FieldError>),
    /// The request conflicts with what is stored (a duplicate, a decision already taken).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        field: Option<&'static str>,
        message: String,
    },
    #[error("{0}不存在")]
    NotFound(&'static str),
    #[error("无权访问：该数据不在您的管理范围内")]
    Forbidden,
    #[error("请先登录")]
    Unauthenticated,
    #[error("用户名或密码错误")]
    LoginFailed,
    /// Too many failed attempts: locked for a while (the message says how long).
    #[error("{0}")]
    Throttled(String),
    /// A request the server cannot read, e.g. a pagination cursor it did not hand out (400).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("服务器内部错误，请稍后重试")]
    Store(#[source] StoreError),
    #[error("服务器内部错误，请稍后重试")]
    Internal(String),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(fields) => fields.first().map(|f| f.code).unwrap_or("invalid"),
            AppError::Conflict { code, .. } => code,
            AppError::NotFound(_) => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::Unauthenticated => "unauthenticated",
            AppError::LoginFailed => "login_failed",
            AppError::Throttled(_) => "too_many_attempts",
            AppError::BadRequest { code, .. } => code,
            AppError::Store(_) | AppError::Internal(_) => "internal",
        }
    }

    pub fn fields(&self) -> Vec<FieldError> {
        match self {
            AppError::Invalid(f) => f.clone(),
            AppError::Conflict {
                code,
                field: Some(field),
                message,
            } => vec![FieldError::new(field, code, message.clone())],
            _ => Vec::new(),
        }
    }

    /// What went wrong inside, for the log: the store error's cause chain or the internal
    /// message, never the user-facing text.
    pub fn cause(&self) -> String {
        let mut chain = match self {
            AppError::Internal(m) => m.clone(),
            _ => String::new(),
        };
        let mut cause: Option<&dyn std::error::Error> = match self {
            AppError::Store(s) => Some(s),
            _ => None,
        };
        while let Some(c) = cause {
            if !chain.is_empty() {
                chain.push_str(": ");
            }
            chain.push_str(&c.to_string());
            cause = c.source();
        }
        if chain.is_empty() {
            format!("{}: {self}", self.code())
        } else {
            chain
        }
    }

    pub fn invalid(field: &'static str, code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, code, message)])
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::CursorInvalid => AppError::BadRequest {
                code: "cursor_invalid",
                message: "分页位置无效或已过期，请从第一页重新浏览".into(),
            },
            e => AppError::Store(e),
        }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> AppError {
        AppError::Invalid(vec![e.into()])
    }
}

pub type AppResult<T> = Result<T, AppError>;
