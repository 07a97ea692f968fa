//! The one error type of the worker and the one place where errors become HTTP responses.
//! Bodies follow FastAPI/Langflow: `{"detail": ...}`, 422 as a list of `{type, loc, msg}`.

use crate::core::request_body::BodyError;
use crate::core::user_rules::Denied;
use crate::settings::ConfigError;
use serde_json::{json, Value};

#[derive(Debug)]
pub enum ApiError {
    /// An answer the client caused: status, JSON body, extra headers.
    Http { status: u16, body: Value, headers: Vec<(&'static str, String)> },
    /// The deployment is misconfigured; the message names the variable.
    Config(ConfigError),
    /// Our fault (D1 unreachable, a bug). Logged; the client sees a generic 500.
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: u16, detail: impl Into<String>) -> Self {
        ApiError::Http { status, body: json!({ "detail": detail.into() }), headers: Vec::new() }
    }

    pub fn with_body(status: u16, body: Value) -> Self {
        ApiError::Http { status, body, headers: Vec::new() }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, detail)
    }

    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(413, format!("Request body too large: the limit is {limit_bytes} bytes."))
    }

    pub fn too_many_requests(retry_after_secs: i64) -> Self {
        let seconds = retry_after_secs.to_string();
        ApiError::Http {
            status: 429,
            body: json!({ "detail": "Too many requests. Please try again later.", "retry_after": seconds }),
            headers: vec![("Retry-After", seconds)],
        }
    }

    /// A FastAPI-style validation error: 422 `{"detail":[{"type","loc","msg"}]}`.
    pub fn unprocessable(kind: &str, loc: &[&str], msg: impl Into<String>) -> Self {
        Self::with_body(422, json!({ "detail": [{ "type": kind, "loc": loc, "msg": msg.into() }] }))
    }

    pub fn missing_field(location: &str, field: &str) -> Self {
        Self::unprocessable("missing", &[location, field], "Field required")
    }

    pub fn cross_site() -> Self {
        Self::forbidden("Cross-site request refused: this request came from another site.")
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::Internal(message.into())
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        if let ApiError::Http { headers, .. } = &mut self {
            headers.push((name, value.into()));
        }
        self
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::Http { status, .. } => *status,
            ApiError::Config(_) | ApiError::Internal(_) => 500,
        }
    }

    /// Status, body and headers, without touching the runtime (unit-testable).
    pub fn parts(&self) -> (u16, String, &[(&'static str, String)]) {
        match self {
            ApiError::Http { status, body, headers } => (*status, body.to_string(), headers),
            ApiError::Config(err) => (500, json!({ "detail": err.to_string() }).to_string(), &[]),
            ApiError::Internal(_) => (500, json!({ "detail": "Internal server error" }).to_string(), &[]),
        }
    }

    pub fn into_response(self) -> worker::Response {
        match &self {
            ApiError::Internal(message) => worker::console_error!("internal error: {message}"),
            ApiError::Config(err) => worker::console_error!("{err}"),
            ApiError::Http { .. } => {}
        }
        let (status, body, headers) = self.parts();
        let mut response = crate::edge::http::json_response(status, body);
        for (name, value) in headers {
            let _ = response.headers_mut().set(name, value);
        }
        response
    }
}

impl From<ConfigError> for ApiError {
    fn from(err: ConfigError) -> Self {
        ApiError::Config(err)
    }
}

impl From<worker::Error> for ApiError {
    fn from(err: worker::Error) -> Self {
        ApiError::Internal(err.to_string())
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        let err = ApiError::new(denied.status(), denied.detail());
        match denied.error_code() {
            Some(code) => err.with_header("X-Langflow-Error-Code", code),
            None => err,
        }
    }
}

/// A body FastAPI would refuse: 422 with pydantic's `{type, loc, msg}`.
impl From<BodyError> for ApiError {
    fn from(err: BodyError) -> Self {
        ApiError::with_body(422, json!({ "detail": [{ "type": err.kind, "loc": err.loc, "msg": err.msg }] }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_langflow_shapes() {
        let (status, body, _) = ApiError::unauthorized("Invalid token").parts();
        assert_eq!((status, body.as_str()), (401, r#"{"detail":"Invalid token"}"#));
        let (status, body, _) = ApiError::missing_field("body", "username").parts();
        assert_eq!(status, 422);
        assert_eq!(body, r#"{"detail":[{"loc":["body","username"],"msg":"Field required","type":"missing"}]}"#);
        let err = ApiError::too_many_requests(60);
        let (status, body, headers) = err.parts();
        assert_eq!(status, 429);
        assert!(body.contains(r#""retry_after":"60""#));
        assert_eq!(headers, &[("Retry-After", "60".to_string())]);
    }

    #[test]
    fn body_errors_are_fastapi_422s() {
        let err: ApiError = BodyError::missing_field("body", "username").into();
        assert_eq!(err.parts(), ApiError::missing_field("body", "username").parts());
        let err: ApiError = BodyError::new("json_invalid", &["body", "2"], "JSON decode error").into();
        let (status, body, _) = err.parts();
        assert_eq!(status, 422);
        assert_eq!(body, r#"{"detail":[{"loc":["body","2"],"msg":"JSON decode error","type":"json_invalid"}]}"#);
    }

    #[test]
    fn internal_errors_do_not_leak_details() {
        let (status, body, _) = ApiError::internal("D1_ERROR: secret stuff").parts();
        assert_eq!(status, 500);
        assert!(!body.contains("secret"));
    }

    #[test]
    fn denials_carry_langflow_error_codes() {
        let err: ApiError = Denied::NotAdmin.into();
        let (status, _, headers) = err.parts();
        assert_eq!(status, 403);
        assert_eq!(headers, &[("X-Langflow-Error-Code", "administration_denied".to_string())]);
    }
}
