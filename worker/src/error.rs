//! One error type for the API and its single conversion to a response.
//!
//! Internal failures (storage, bindings) are logged and answered with a generic message: their
//! details never reach the client.

use cairn_core::wire::{ErrorBody, ErrorDetail, ProblemDetail};
use worker::Response;

/// Every way a request can fail.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the body or a parameter is malformed.
    BadRequest {
        code: &'static str,
        message: String,
        path: Option<String>,
    },
    /// 401: missing or unknown credentials.
    Unauthorized(String),
    /// 403: the credentials may not do this.
    Forbidden(String),
    /// 404: no such route or resource.
    NotFound,
    /// 409: a concurrent change won.
    Conflict(String),
    /// 429: over the rate limit; retry after this many seconds.
    RateLimited(u32),
    /// 413: the body is over the limit.
    TooLarge(usize),
    /// 422: well-formed but not acceptable to the engine.
    Unprocessable {
        code: &'static str,
        message: String,
        path: Option<String>,
    },
    /// 422: definitions with problems; every one is listed.
    InvalidDefinitions(Vec<cairn_core::Problem>),
    /// 500: a failure on our side; the detail is logged, not returned.
    Internal(String),
}

impl ApiError {
    pub fn bad(code: &'static str, message: impl Into<String>, path: Option<&str>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
            path: path.map(str::to_owned),
        }
    }

    fn parts(&self) -> (u16, &'static str, String, Option<String>) {
        match self {
            Self::BadRequest {
                code,
                message,
                path,
            } => (400, code, message.clone(), path.clone()),
            Self::Unauthorized(message) => (401, "unauthorized", message.clone(), None),
            Self::Forbidden(message) => (403, "forbidden", message.clone(), None),
            Self::NotFound => (404, "not_found", "no such route".into(), None),
            Self::Conflict(message) => (409, "conflict", message.clone(), None),
            Self::RateLimited(after) => (
                429,
                "rate_limited",
                format!("too many requests; retry in {after} s"),
                None,
            ),
            Self::TooLarge(limit) => (
                413,
                "body_too_large",
                format!("the body must be at most {limit} bytes"),
                None,
            ),
            Self::Unprocessable {
                code,
                message,
                path,
            } => (422, code, message.clone(), path.clone()),
            Self::InvalidDefinitions(problems) => (
                422,
                "invalid_definitions",
                format!("{} problem(s) in the definitions", problems.len()),
                None,
            ),
            Self::Internal(_) => (500, "internal", "internal error; please retry".into(), None),
        }
    }

    /// The response for this error, in the API's one error shape.
    pub fn into_response(self) -> worker::Result<Response> {
        if let Self::Internal(detail) = &self {
            worker::console_error!("internal error: {detail}");
        }
        let (status, code, message, path) = self.parts();
        let retry_after = match self {
            Self::RateLimited(after) => Some(after),
            _ => None,
        };
        let details = match self {
            Self::InvalidDefinitions(problems) => problems
                .into_iter()
                .map(|p| ProblemDetail {
                    path: p.path,
                    message: p.message,
                })
                .collect(),
            _ => Vec::new(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message,
                path,
                details,
            },
        };
        let response = Response::from_json(&body)?.with_status(status);
        if let Some(after) = retry_after {
            let headers = response.headers().clone();
            headers.set("retry-after", &after.to_string())?;
            return Ok(response.with_headers(headers));
        }
        Ok(response)
    }
}

impl ApiError {
    /// This error as the `error` of a rejected event in a batch.
    pub fn detail(&self) -> ErrorDetail {
        let (_, code, message, path) = self.parts();
        ErrorDetail {
            code: code.into(),
            message,
            path,
            details: Vec::new(),
        }
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
