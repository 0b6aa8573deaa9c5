//! One error type for the API, its codes, and its single conversion to a response.
//!
//! Every failure is an [`ApiError`]: an [`ErrorCode`] (which carries its HTTP status), a message
//! for people and, where it applies, the offending field. The same value travels from a Durable
//! Object back to the worker over RPC (it is serializable), so an engine's validation error is a
//! 4xx wherever it was found, never a 500. Internal failures (storage, bindings) are logged where
//! they happen and answered with a generic message: their details never reach the client.

use cairn_core::engine::EventError;
use cairn_core::wire::{ErrorBody, ErrorDetail, ProblemDetail};
use serde::{Deserialize, Serialize};
use worker::Response;

/// Every error code the API answers, with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // 400: the request is malformed.
    InvalidBody,
    InvalidEvent,
    InvalidQuery,
    InvalidPath,
    InvalidId,
    InvalidUserId,
    InvalidAccountId,
    InvalidIdempotencyKey,
    InvalidAwardId,
    InvalidMetric,
    InvalidValue,
    InvalidName,
    InvalidOrigin,
    InvalidUrl,
    InvalidEventType,
    BatchTooLarge,
    WebsocketRequired,
    // 401, 403, 404, 405, 409, 413, 429.
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    Gone,
    BodyTooLarge,
    RateLimited,
    // 422: well-formed, but the engine does not accept it.
    UnknownMetric,
    FutureTimestamp,
    UnknownTimeZone,
    UnknownMilestone,
    InvalidDefinitions,
    // 5xx: our side.
    NotConfigured,
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// The HTTP status this code is answered with.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidBody
            | InvalidEvent
            | InvalidQuery
            | InvalidPath
            | InvalidId
            | InvalidUserId
            | InvalidAccountId
            | InvalidIdempotencyKey
            | InvalidAwardId
            | InvalidMetric
            | InvalidValue
            | InvalidName
            | InvalidOrigin
            | InvalidUrl
            | InvalidEventType
            | BatchTooLarge
            | WebsocketRequired => 400,
            Unauthorized => 401,
            Forbidden => 403,
            NotFound => 404,
            MethodNotAllowed => 405,
            Conflict => 409,
            Gone => 410,
            BodyTooLarge => 413,
            UnknownMetric | FutureTimestamp | UnknownTimeZone | UnknownMilestone
            | InvalidDefinitions => 422,
            RateLimited => 429,
            Internal => 500,
            Unavailable | NotConfigured => 503,
        }
    }

    /// The code as the client sees it, e.g. `invalid_body`.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidBody => "invalid_body",
            InvalidEvent => "invalid_event",
            InvalidQuery => "invalid_query",
            InvalidPath => "invalid_path",
            InvalidId => "invalid_id",
            InvalidUserId => "invalid_user_id",
            InvalidAccountId => "invalid_account_id",
            InvalidIdempotencyKey => "invalid_idempotency_key",
            InvalidAwardId => "invalid_award_id",
            InvalidMetric => "invalid_metric",
            InvalidValue => "invalid_value",
            InvalidName => "invalid_name",
            InvalidOrigin => "invalid_origin",
            InvalidUrl => "invalid_url",
            InvalidEventType => "invalid_event_type",
            BatchTooLarge => "batch_too_large",
            WebsocketRequired => "websocket_required",
            Unauthorized => "unauthorized",
            Forbidden => "forbidden",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            Conflict => "conflict",
            Gone => "gone",
            BodyTooLarge => "body_too_large",
            RateLimited => "rate_limited",
            UnknownMetric => "unknown_metric",
            FutureTimestamp => "future_timestamp",
            UnknownTimeZone => "unknown_time_zone",
            UnknownMilestone => "unknown_milestone",
            InvalidDefinitions => "invalid_definitions",
            NotConfigured => "not_configured",
            Unavailable => "unavailable",
            Internal => "internal",
        }
    }
}

/// Every way a request can fail: what the client is told, and nothing it should not be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Every problem, when there are several (invalid definitions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ProblemDetail>,
    /// Seconds to wait, for 429 and 503.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
}

/// Seconds a client waits after a 503 before retrying.
const UNAVAILABLE_RETRY_SECS: u32 = 1;

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            path: None,
            details: Vec::new(),
            retry_after: None,
        }
    }

    /// A 400 (or any code) about the field `path`, when there is one.
    pub fn bad(code: ErrorCode, message: impl Into<String>, path: Option<&str>) -> Self {
        Self {
            path: path.map(str::to_owned),
            ..Self::new(code, message)
        }
    }

    /// This error, about the field `path`.
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// 404 for a resource; [`crate::router`] says "no such route" for paths.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("no such {what}"))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            ErrorCode::BodyTooLarge,
            format!("the body must be at most {limit} bytes"),
        )
    }

    pub fn rate_limited(after: u32) -> Self {
        Self {
            retry_after: Some(after),
            ..Self::new(
                ErrorCode::RateLimited,
                format!("too many requests; retry in {after} s"),
            )
        }
    }

    /// 422 with every problem of a definitions document.
    pub fn invalid_definitions(problems: Vec<cairn_core::Problem>) -> Self {
        Self {
            details: problems
                .iter()
                .map(|p| ProblemDetail {
                    path: p.path.clone(),
                    message: p.message.clone(),
                })
                .collect(),
            ..Self::new(
                ErrorCode::InvalidDefinitions,
                format!("{} problem(s) in the definitions", problems.len()),
            )
        }
    }

    /// A failure on our side: `detail` is logged here and never sent to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        worker::console_error!("internal error: {detail}");
        Self::new(ErrorCode::Internal, "internal error; please retry")
    }

    /// A part we depend on (a Durable Object, D1) did not answer: retry shortly. `detail` is
    /// logged, not sent.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        worker::console_error!("unavailable: {detail}");
        Self {
            retry_after: Some(UNAVAILABLE_RETRY_SECS),
            ..Self::new(
                ErrorCode::Unavailable,
                "temporarily unavailable; please retry",
            )
        }
    }

    /// This error as the `error` of a rejected event in a batch, or of an error body.
    pub fn detail(&self) -> ErrorDetail {
        ErrorDetail {
            code: self.code.as_str().into(),
            message: self.message.clone(),
            path: self.path.clone(),
            details: self.details.clone(),
        }
    }

    /// The response for this error, in the API's one error shape.
    pub fn into_response(self) -> worker::Result<Response> {
        let body = ErrorBody {
            error: self.detail(),
        };
        let response = Response::from_json(&body)?.with_status(self.code.status());
        if let Some(after) = self.retry_after {
            let headers = response.headers().clone();
            headers.set("retry-after", &after.to_string())?;
            return Ok(response.with_headers(headers));
        }
        Ok(response)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// The engine's reasons for refusing an event, as API errors.
impl From<&EventError> for ApiError {
    fn from(e: &EventError) -> Self {
        let message = e.to_string();
        let (code, path) = match e {
            EventError::UnknownMetric(_) => (ErrorCode::UnknownMetric, "event"),
            EventError::ZeroValue | EventError::MissingValue(_) => {
                (ErrorCode::InvalidValue, "value")
            }
            EventError::FutureTimestamp(_) => (ErrorCode::FutureTimestamp, "timestamp"),
            EventError::UnknownTimeZone(_) => (ErrorCode::UnknownTimeZone, "user.tz"),
            EventError::UnknownMilestone(_) | EventError::NotCustom(_) => {
                (ErrorCode::UnknownMilestone, "milestone")
            }
        };
        Self::bad(code, message, Some(path))
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        Self::internal(e)
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        Self::internal(e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes read as their JSON names, and every status is an error status.
    #[test]
    fn codes_name_themselves_as_serde_does() {
        use ErrorCode::*;
        for code in [
            InvalidBody,
            InvalidIdempotencyKey,
            BatchTooLarge,
            WebsocketRequired,
            MethodNotAllowed,
            BodyTooLarge,
            UnknownTimeZone,
            InvalidDefinitions,
            Unavailable,
            Internal,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!((400..600).contains(&code.status()), "{code:?}");
        }
    }

    #[test]
    fn engine_errors_are_client_errors() {
        let cases = [
            (EventError::ZeroValue, 400, "value"),
            (EventError::UnknownMetric("x".into()), 422, "event"),
            (
                EventError::UnknownTimeZone("Mars/Base".into()),
                422,
                "user.tz",
            ),
        ];
        for (e, status, path) in cases {
            let api = ApiError::from(&e);
            assert_eq!(api.code.status(), status, "{e:?}");
            assert_eq!(api.path.as_deref(), Some(path));
        }
    }
}
