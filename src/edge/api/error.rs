//! The JSON API's error, and the one place where service errors become Langflow's status and
//! `detail`. Bodies follow FastAPI/Langflow: `{"detail": ...}`, 422 as a list of
//! `{type, loc, msg}`.

use crate::core::request_body::BodyError;
use crate::core::user_rules::Denied;
use crate::edge::http::RequestError;
use crate::service::api_keys::ApiKeyError;
use crate::service::auth::{AuthError, NotSuperuser};
use crate::service::flows::FlowError;
use crate::service::projects::ProjectError;
use crate::service::sessions::SessionError;
use crate::service::sign_in::SignInError;
use crate::service::two_factor::TwoFactorError;
use crate::service::users::UserError;
use crate::service::variables::VariableError;
use crate::service::Failure;
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
        Self::with_detail(status, detail.into())
    }

    /// `new`'s body, not generic: written once in the wasm, not once per argument type.
    fn with_detail(status: u16, detail: String) -> Self {
        ApiError::Http { status, body: json!({ "detail": detail }), headers: Vec::new() }
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
        Self::validation(kind, loc, msg.into())
    }

    /// `unprocessable`'s body, not generic, for the same reason as `with_detail`.
    fn validation(kind: &str, loc: &[&str], msg: String) -> Self {
        Self::with_body(422, json!({ "detail": [{ "type": kind, "loc": loc, "msg": msg }] }))
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
        let mut response = super::super::http::json_response(status, body);
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

impl From<Failure> for ApiError {
    fn from(err: Failure) -> Self {
        match err {
            Failure::Internal(message) => ApiError::Internal(message),
            Failure::Config(err) => ApiError::Config(err),
        }
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(err: crate::db::DbError) -> Self {
        ApiError::Internal(err.0)
    }
}

impl From<BodyError> for ApiError {
    fn from(err: BodyError) -> Self {
        ApiError::with_body(422, json!({ "detail": [{ "type": err.kind, "loc": err.loc, "msg": err.msg }] }))
    }
}

impl From<RequestError> for ApiError {
    fn from(err: RequestError) -> Self {
        match err {
            RequestError::TooLarge { limit } => ApiError::payload_too_large(limit),
            RequestError::Unreadable => ApiError::bad_request("Could not read the request body."),
            RequestError::Body(err) => err.into(),
        }
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

/// Langflow's answer to a non-superuser on an admin route (`get_current_active_superuser`).
impl From<NotSuperuser> for ApiError {
    fn from(_: NotSuperuser) -> Self {
        ApiError::forbidden("The user doesn't have enough privileges")
            .with_header("X-Langflow-Error-Code", "administration_denied")
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Token(detail) => ApiError::unauthorized(detail),
            AuthError::Revoked => ApiError::unauthorized("Token has been revoked"),
            AuthError::Inactive => ApiError::unauthorized("User account is inactive"),
            AuthError::TokenUnusable => ApiError::unauthorized("Token authentication failed"),
            AuthError::InvalidApiKey => ApiError::forbidden("Invalid API key"),
            AuthError::NoCredentials => ApiError::forbidden("No authentication credentials provided"),
            AuthError::Failed(err) => err.into(),
        }
    }
}

impl From<SignInError> for ApiError {
    fn from(err: SignInError) -> Self {
        match err {
            SignInError::WrongCredentials => {
                ApiError::unauthorized("Incorrect username or password").with_header("WWW-Authenticate", "Bearer")
            }
            SignInError::TooManyAttempts { retry_after } => ApiError::too_many_requests(retry_after),
            SignInError::WaitingForApproval => ApiError::bad_request("Waiting for approval"),
            SignInError::Inactive => ApiError::unauthorized("Inactive user"),
            SignInError::AutoLoginDisabled => ApiError::with_body(
                403,
                json!({ "detail": { "message": "Auto login is disabled.", "auto_login": false } }),
            ),
            SignInError::AccountInactive => ApiError::unauthorized("User account is inactive"),
            SignInError::NoRefreshToken => {
                ApiError::unauthorized("Invalid refresh token").with_header("WWW-Authenticate", "Bearer")
            }
            SignInError::InvalidRefreshToken => ApiError::unauthorized("Invalid refresh token"),
            // The ticket is for browsers (the page's cookie); API clients resend the form with
            // `totp_code`, so nothing of it goes out here.
            SignInError::SecondFactorRequired { .. } => ApiError::unauthorized(
                "Two-factor authentication required: send the 6-digit code from your authenticator app \
                 (or a recovery code) as the form field totp_code with your username and password, \
                 or use an API key.",
            )
            .with_header("WWW-Authenticate", "Bearer")
            .with_header("X-Langflow-Error-Code", "two_factor_required"),
            SignInError::EnrolmentRequired { .. } => ApiError::forbidden(
                "Two-factor authentication is required for superusers: sign in on the /login page to set \
                 it up, then send its code as the form field totp_code.",
            )
            .with_header("X-Langflow-Error-Code", "two_factor_enrolment_required"),
            SignInError::SecondFactor(err) => err.into(),
            SignInError::PendingExpired => {
                ApiError::unauthorized("The sign-in has expired: sign in again with your username and password.")
            }
            SignInError::Failed(err) => err.into(),
        }
    }
}

impl From<TwoFactorError> for ApiError {
    fn from(err: TwoFactorError) -> Self {
        match err {
            TwoFactorError::AlreadyEnabled => ApiError::bad_request("Two-factor authentication is already on."),
            TwoFactorError::NotEnabled => ApiError::bad_request("Two-factor authentication is not on for this account."),
            TwoFactorError::CodeMalformed => ApiError::bad_request(
                "A two-factor code is the 6 digits your authenticator app shows, or a recovery code of 16 letters and digits.",
            ),
            TwoFactorError::WrongCode => ApiError::unauthorized("Invalid two-factor code")
                .with_header("X-Langflow-Error-Code", "two_factor_code_invalid"),
            TwoFactorError::TooManyAttempts { retry_after } => ApiError::too_many_requests(retry_after),
            TwoFactorError::Failed(err) => err.into(),
        }
    }
}

impl From<UserError> for ApiError {
    fn from(err: UserError) -> Self {
        match err {
            UserError::Denied(denied) => denied.into(),
            UserError::Username(message) => ApiError::bad_request(message),
            UserError::Password(err) => ApiError::bad_request(err.message()),
            UserError::UsernameTaken => ApiError::bad_request("This username is unavailable."),
            UserError::Conflict => {
                ApiError::new(409, "This user was changed by someone else at the same time; reload it and try again.")
            }
            UserError::NotFound => ApiError::not_found("User not found"),
            UserError::SignupDisabled => ApiError::forbidden("Public user registration is disabled."),
            UserError::NeedsInteractiveSignIn => ApiError::forbidden("Sign in interactively to change your password"),
            UserError::OthersPassword => ApiError::not_found("You can't change another user's password"),
            UserError::CurrentPasswordWrong => ApiError::bad_request("Current password is incorrect"),
            UserError::PasswordUnchanged => ApiError::bad_request("You can't use your current password"),
            UserError::TooManyAttempts { retry_after } => ApiError::too_many_requests(retry_after),
            UserError::Failed(err) => err.into(),
        }
    }
}

impl From<FlowError> for ApiError {
    fn from(err: FlowError) -> Self {
        match err {
            FlowError::NotFound => ApiError::not_found("Flow not found"),
            FlowError::IdVersion5 => {
                ApiError::bad_request("UUID5 flow IDs are reserved for public execution histories.")
            }
            FlowError::IdIsUserId => ApiError::bad_request("A flow id cannot be a user's id."),
            FlowError::IdTaken => ApiError::bad_request("Id must be unique"),
            FlowError::NameEmpty => ApiError::bad_request("Flow name cannot be empty."),
            FlowError::EndpointName => ApiError::unprocessable(
                "value_error",
                &["body", "endpoint_name"],
                "Endpoint name must contain only letters, numbers, hyphens, and underscores",
            ),
            FlowError::NameTaken => ApiError::bad_request("Flow name must be unique"),
            FlowError::EndpointTaken => ApiError::bad_request("Endpoint name must be unique"),
            FlowError::NoFreeName => ApiError::new(409, "Could not find a free flow name; try again."),
            FlowError::TooLarge { size } => ApiError::new(
                413,
                format!(
                    "Flow too large to store: about {size} bytes, and a flow may take at most {} bytes (one D1 row).",
                    crate::db::flows::MAX_FLOW_ROW_BYTES
                ),
            ),
            FlowError::Failed(err) => err.into(),
        }
    }
}

impl From<ProjectError> for ApiError {
    fn from(err: ProjectError) -> Self {
        match err {
            ProjectError::NotFound => ApiError::not_found("Project not found"),
            ProjectError::NameInvalid(problem) => {
                ApiError::unprocessable("invalid_project_name", &["body", "name"], problem)
            }
            ProjectError::NameTaken => ApiError::new(409, "Project name must be unique"),
            ProjectError::ParentNotFound => ApiError::not_found("Parent project not found"),
            ProjectError::NoFreeName => ApiError::new(409, "Could not find a free project name; try again."),
            ProjectError::Failed(err) => err.into(),
        }
    }
}

impl From<VariableError> for ApiError {
    fn from(err: VariableError) -> Self {
        match err {
            VariableError::NotFound => ApiError::not_found("Variable not found"),
            VariableError::NameTaken => ApiError::bad_request("Variable name already exists"),
            VariableError::NameEmpty => ApiError::bad_request("Variable name cannot be empty"),
            VariableError::NameTooLong => ApiError::bad_request("Variable name must be at most 255 characters long."),
            VariableError::ValueEmpty => ApiError::bad_request("Variable value cannot be empty"),
            VariableError::LooksEncrypted => ApiError::bad_request(
                "A Generic variable's value cannot start with 'gAAAAA' (it looks like an encrypted token); store it as a Credential instead.",
            ),
            VariableError::Failed(err) => err.into(),
        }
    }
}

impl From<ApiKeyError> for ApiError {
    fn from(err: ApiKeyError) -> Self {
        match err {
            ApiKeyError::NameTooLong => ApiError::bad_request("API key name must be at most 255 characters long."),
            ApiKeyError::NotFound => ApiError::bad_request("API Key not found"),
            ApiKeyError::StoreKeyEmpty => ApiError::bad_request("API key cannot be empty."),
            ApiKeyError::Failed(err) => err.into(),
        }
    }
}

impl From<SessionError> for ApiError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::NotFound => ApiError::not_found("Session not found"),
            SessionError::Failed(err) => err.into(),
        }
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
