//! One error type for the whole app and the one place that maps it to a status, an HTML
//! page for people and `application/problem+json` for the API. Internal causes go to the
//! log (without request data) and never to the client.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub use crate::field::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("sign in required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("too many attempts; try again in {retry_after} seconds")]
    TooManyAttempts { retry_after: u64 },
    #[error("the request body is too large")]
    TooLarge,
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    #[error("the database is unavailable right now, so nothing was saved; try again in a moment")]
    Unavailable,
    /// A fault on our side. `context` says what was being done; `source` keeps the cause
    /// and its own causes, so the log gets the whole chain once (`log`) instead of a string
    /// flattened wherever the error was made.
    #[error("internal error: {context}")]
    Internal {
        context: String,
        #[source]
        source: Option<BoxError>,
    },
}

/// Any underlying error kept as an internal error's source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl AppError {
    /// An internal error with no underlying cause beyond its description.
    pub fn internal(cause: impl Into<String>) -> Self {
        Self::Internal {
            context: cause.into(),
            source: None,
        }
    }

    /// An internal error caused by `source`, kept whole so its chain reaches the log.
    pub fn caused(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn forbidden() -> Self {
        Self::Forbidden("you do not have access to this".into())
    }

    /// The one mapping from error to status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told. Internal causes stay in the log.
    pub fn detail(&self) -> String {
        match self {
            Self::Invalid(fields) => fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            Self::Internal { .. } => "something went wrong on our side; nothing was saved".into(),
            other => other.to_string(),
        }
    }

    /// Logs an internal error with its whole cause chain, once: called only where the error
    /// becomes a response (a page or a problem), the one place errors are mapped.
    fn log(&self) {
        if let Self::Internal { .. } = self {
            tracing::error!(cause = %self.chain(), "internal error");
        }
    }

    /// "context: cause: its cause: ...", every link of the source chain.
    pub fn chain(&self) -> String {
        let mut out = match self {
            Self::Internal { context, .. } => context.clone(),
            other => other.to_string(),
        };
        let mut next = std::error::Error::source(self);
        while let Some(e) = next {
            out.push_str(": ");
            out.push_str(&e.to_string());
            next = e.source();
        }
        out
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyAttempts { retry_after } => Some(*retry_after),
            Self::Unavailable => Some(RETRY_AFTER_UNAVAILABLE),
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => Self::NotFound,
            other if database_unavailable(&other) => {
                tracing::error!(cause = %other, "database unavailable");
                Self::Unavailable
            }
            other => Self::caused("database", other),
        }
    }
}

/// Whether a database error means the database itself is out of reach or cannot take writes
/// (a restart, a lost connection, a full disk, a read-only failover), rather than a fault in
/// this request: the client is told to come back (503), not that something broke (500).
fn database_unavailable(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    match e {
        E::DatabaseError(K::ClosedConnection | K::ReadOnlyTransaction, _) => true,
        E::DatabaseError(_, info) => {
            let m = info.message().to_ascii_lowercase();
            [
                "database or disk is full",
                "disk i/o error",
                "unable to open database",
                "readonly database",
                "read-only transaction",
                "terminating connection",
                "server closed the connection",
                "no connection to the server",
                "could not connect",
                "the database system is shutting down",
                "the database system is starting up",
                "no space left on device",
                // SQLite rolls a transaction back by itself on a full disk or an I/O error,
                // and diesel then reports its own rollback failing instead of the cause.
                "cannot rollback - no transaction is active",
            ]
            .iter()
            .any(|p| m.contains(p))
        }
        E::BrokenTransactionManager => true,
        E::RollbackErrorOnCommit {
            commit_error,
            rollback_error,
        } => database_unavailable(commit_error) || database_unavailable(rollback_error),
        _ => false,
    }
}

/// How long a client should wait before trying again after a 503.
const RETRY_AFTER_UNAVAILABLE: u64 = 5;

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        tracing::error!(cause = %e, "database pool");
        Self::Unavailable
    }
}

/// Errors of staff and member pages render as an HTML page.
impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let status = self.status();
        let mut res = HttpResponse::build(status);
        if let Some(secs) = self.retry_after() {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if status == StatusCode::UNAUTHORIZED {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login"))
                .finish();
        }
        res.content_type("text/html; charset=utf-8")
            .body(crate::html::error_page(status, &self.detail()).into_string())
    }
}

/// The same error, rendered for the JSON API as RFC 9457 problem details.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        Self(e.into())
    }
}

/// RFC 9457 problem details: the body of every API error. The OpenAPI document takes its
/// schema from this type, so what the document promises is what `problem_response` sends.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    kind: &'static str,
    status: u16,
    title: &'a str,
    /// What went wrong and, for input, which field; never an internal cause.
    detail: String,
    /// One entry per invalid field (422 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<FieldError>>)]
    errors: Option<&'a [FieldError]>,
}

pub fn problem_response(err: &AppError) -> HttpResponse {
    err.log();
    let status = err.status();
    let body = Problem {
        kind: "about:blank",
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error"),
        detail: err.detail(),
        errors: match err {
            AppError::Invalid(fields) => Some(fields),
            _ => None,
        },
    };
    let mut res = HttpResponse::build(status);
    if let Some(secs) = err.retry_after() {
        res.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    res.content_type("application/problem+json")
        .body(serde_json::to_string(&body).unwrap_or_default())
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        problem_response(&self.0)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
pub type PageResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_its_whole_cause_chain() {
        let json = serde_json::from_str::<u8>("\"x\"").expect_err("not a number");
        let io = std::io::Error::other(AppError::caused("stored response", json));
        let outer = AppError::caused("reading a round", io);
        let chain = outer.chain();
        assert!(chain.starts_with("reading a round: "), "{chain}");
        assert!(chain.contains("stored response"), "{chain}");
        assert!(chain.contains("invalid type"), "{chain}");
        // The client is told none of it.
        assert!(!outer.detail().contains("stored response"));
        assert_eq!(outer.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_database_fault_keeps_diesel_s_error_as_its_source() {
        let e: AppError = diesel::result::Error::QueryBuilderError("bad query".into()).into();
        assert!(std::error::Error::source(&e).is_some());
        assert!(e.chain().contains("bad query"), "{}", e.chain());
    }
}
