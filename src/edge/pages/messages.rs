//! The one place where errors become words on a page: a status, a title and a sentence for
//! people. Our own failures are logged and shown as a generic message, never in detail.

use crate::core::oidc::{AccessRefusal, FlowError as OidcFlowError};
use crate::core::request_body::BodyError;
use crate::core::user_rules::Denied;
use crate::edge::http::RequestError;
use crate::service::api_keys::ApiKeyError;
use crate::service::flows::FlowError;
use crate::service::oidc::OidcError;
use crate::service::sessions::SessionError;
use crate::service::sign_in::SignInError;
use crate::service::two_factor::TwoFactorError;
use crate::service::users::UserError;
use crate::service::Failure;
use worker::Response;

pub struct Message {
    pub status: u16,
    pub title: &'static str,
    pub text: String,
}

/// An error on its way to a page.
pub struct PageError(pub Message);

pub type PageResult = Result<Response, PageError>;

fn refused(status: u16, text: impl Into<String>) -> PageError {
    PageError(Message { status, title: "Request refused", text: text.into() })
}

fn not_found() -> PageError {
    PageError(Message {
        status: 404,
        title: "Not found",
        text: "There is nothing here: it may have been deleted.".into(),
    })
}

impl From<Failure> for PageError {
    fn from(err: Failure) -> Self {
        match &err {
            Failure::Config(config) => worker::console_error!("{config}"),
            Failure::Internal(message) => worker::console_error!("page error: {message}"),
        }
        PageError(Message {
            status: 500,
            title: "Something went wrong",
            text: "The server could not complete this request. Try again in a moment.".into(),
        })
    }
}

impl From<crate::db::DbError> for PageError {
    fn from(err: crate::db::DbError) -> Self {
        Failure::from(err).into()
    }
}

impl From<BodyError> for PageError {
    fn from(err: BodyError) -> Self {
        refused(422, err.msg)
    }
}

impl From<RequestError> for PageError {
    fn from(err: RequestError) -> Self {
        match err {
            RequestError::TooLarge { .. } => refused(413, "What you sent is too large."),
            RequestError::Unreadable => refused(400, "Could not read the request body."),
            RequestError::Body(err) => err.into(),
        }
    }
}

/// The admin page's words for a refused change.
pub fn denied_text(denied: Denied) -> &'static str {
    match denied {
        Denied::DeactivateSelf => "You can't deactivate your own account.",
        Denied::DeleteSelf => "You can't delete your own account.",
        other => other.detail(),
    }
}

impl From<Denied> for PageError {
    fn from(denied: Denied) -> Self {
        refused(denied.status(), denied_text(denied))
    }
}

impl From<SignInError> for PageError {
    fn from(err: SignInError) -> Self {
        match err {
            SignInError::Failed(err) => err.into(),
            SignInError::AccountInactive => refused(401, "This account is inactive."),
            SignInError::SecondFactor(err) => err.into(),
            _ => refused(401, "You could not be signed in. Log in again."),
        }
    }
}

/// What a two-factor form shows under its code field, or `None` for our own failure.
pub fn two_factor_code_text(err: &TwoFactorError) -> Option<(u16, String)> {
    Some(match err {
        TwoFactorError::CodeMalformed => {
            (400, "Enter the 6 digits your authenticator app shows (or a recovery code).".into())
        }
        TwoFactorError::WrongCode => (401, "That code is not right, or it was already used. Try the next one.".into()),
        TwoFactorError::TooManyAttempts { retry_after } => {
            (429, format!("Too many attempts. Try again in {retry_after} s."))
        }
        TwoFactorError::AlreadyEnabled => (400, "Two-factor sign-in is already on.".into()),
        TwoFactorError::NotEnabled => (400, "Two-factor sign-in is not set up, or its setup was restarted.".into()),
        TwoFactorError::Failed(_) => return None,
    })
}

impl From<TwoFactorError> for PageError {
    fn from(err: TwoFactorError) -> Self {
        match two_factor_code_text(&err) {
            Some((status, text)) => refused(status, text),
            None => match err {
                TwoFactorError::Failed(err) => err.into(),
                _ => refused(400, "Two-factor sign-in could not be changed."),
            },
        }
    }
}

impl From<UserError> for PageError {
    fn from(err: UserError) -> Self {
        match err {
            UserError::NotFound => not_found(),
            UserError::Denied(denied) => denied.into(),
            UserError::Username(text) => refused(400, text),
            UserError::Password(err) => refused(400, err.message()),
            UserError::UsernameTaken => refused(400, "This username is taken."),
            UserError::Conflict => {
                refused(409, "This user was changed by someone else at the same time; reload it and try again.")
            }
            UserError::TooManyAttempts { .. } => refused(429, "Too many attempts. Try again later."),
            UserError::SignupDisabled => refused(403, "Public user registration is disabled."),
            UserError::NeedsInteractiveSignIn => refused(403, "Sign in interactively to change your password."),
            UserError::OthersPassword => refused(403, "You can't change another user's password here."),
            UserError::CurrentPasswordWrong => refused(400, "The current password is incorrect."),
            UserError::PasswordUnchanged => refused(400, "Choose a password other than the current one."),
            UserError::Failed(err) => err.into(),
        }
    }
}

/// What the flows page shows under the name field for a refused name, if it is about the name.
pub fn flow_name_text(err: &FlowError) -> Option<String> {
    match err {
        FlowError::NameEmpty => Some("Enter a name for the flow.".into()),
        FlowError::NameTaken => Some("You already have a flow with this name.".into()),
        FlowError::TooLarge { .. } => Some("What you sent is too large.".into()),
        _ => None,
    }
}

impl From<FlowError> for PageError {
    fn from(err: FlowError) -> Self {
        match err {
            FlowError::NotFound => not_found(),
            FlowError::TooLarge { .. } => refused(413, "What you sent is too large."),
            FlowError::Failed(err) => err.into(),
            other => refused(400, flow_name_text(&other).unwrap_or_else(|| "This name cannot be used.".into())),
        }
    }
}

impl From<ApiKeyError> for PageError {
    fn from(err: ApiKeyError) -> Self {
        match err {
            ApiKeyError::NotFound => not_found(),
            ApiKeyError::NameTooLong => refused(400, "Use at most 255 characters."),
            ApiKeyError::StoreKeyEmpty => refused(400, "API key cannot be empty."),
            ApiKeyError::Failed(err) => err.into(),
        }
    }
}

impl From<SessionError> for PageError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::NotFound => not_found(),
            SessionError::Failed(err) => err.into(),
        }
    }
}

impl From<OidcError> for PageError {
    fn from(err: OidcError) -> Self {
        let sso_refused = |status: u16, text: &str| {
            PageError(Message {
                status,
                title: "Sign-in refused",
                text: format!("{text} Nothing was changed; try signing in again."),
            })
        };
        match err {
            OidcError::NotConfigured => not_found(),
            OidcError::Flow(OidcFlowError::Expired) => sso_refused(400, "This sign-in took too long."),
            OidcError::Flow(_) => sso_refused(
                400,
                "This sign-in was not started in this browser, or its state does not match (the state check failed).",
            ),
            OidcError::ProviderDenied => sso_refused(403, "The sign-in provider did not sign you in."),
            OidcError::CodeRejected => {
                sso_refused(400, "The sign-in provider refused the sign-in code: it was used already or has expired.")
            }
            OidcError::Unavailable(detail) => {
                worker::console_error!("single sign-on: {detail}");
                PageError(Message {
                    status: 502,
                    title: "Sign-in unavailable",
                    text: "The sign-in provider could not be reached or gave an answer that cannot be used. Try again in a moment.".into(),
                })
            }
            OidcError::Token(refusal) => {
                worker::console_warn!("single sign-on refused: {}", refusal.reason());
                sso_refused(401, refusal.reason())
            }
            OidcError::Access(AccessRefusal::Domain) => {
                sso_refused(403, "Your account's email domain is not allowed to sign in here.")
            }
            OidcError::Access(AccessRefusal::Group) => {
                sso_refused(403, "Your account is not in a group allowed to sign in here.")
            }
            OidcError::WaitingForApproval => PageError(Message {
                status: 403,
                title: "Waiting for approval",
                text: "This account is waiting for approval by an administrator.".into(),
            }),
            OidcError::Inactive => {
                PageError(Message { status: 403, title: "Account inactive", text: "This account is inactive.".into() })
            }
            OidcError::Failed(err) => err.into(),
        }
    }
}
