//! What the product does, given plain values: the time, the client's address, the presented
//! credential, typed inputs. No `worker::Request`, no cookies, no HTML, no JSON bodies: the JSON
//! API (`edge::api`) and the pages (`edge::pages`) call the same functions here and turn their
//! answers and errors into Langflow's JSON or into pages, each in one place.
//!
//! Each service has its own error enum; our own failures (D1, randomness, configuration) are a
//! `Failure` inside it.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod flows;
pub mod identity;
pub mod oidc;
pub mod projects;
pub mod recent;
pub mod secrets;
pub mod session_cache;
pub mod sessions;
pub mod sign_in;
pub mod state;
pub mod two_factor;
pub mod users;
pub mod variables;

use crate::db::DbError;
use crate::settings::{ConfigError, Settings};
use state::AppState;
use std::future::Future;
use std::rc::Rc;
use worker::{Context, D1Database};

/// What every service needs: the isolate's settings and keys, the database, and a way to finish
/// work after the answer has gone (`waitUntil`).
pub struct Services {
    pub state: Rc<AppState>,
    /// Shared so deferred work can keep using it after the response.
    pub db: Rc<D1Database>,
    runtime: Context,
}

impl Services {
    pub fn new(state: Rc<AppState>, db: D1Database, runtime: Context) -> Services {
        Services { state, db: Rc::new(db), runtime }
    }

    /// Gateway mode's settings, when `LANGFLOW_ORIGIN_URL` is set.
    pub fn gateway(&self) -> Option<&crate::settings::GatewaySettings> {
        self.state.settings.gateway.as_ref()
    }

    pub fn settings(&self) -> &Settings {
        &self.state.settings
    }

    /// Runs `work` after the response is sent; the request does not wait for it.
    pub fn defer(&self, work: impl Future<Output = ()> + 'static) {
        self.runtime.wait_until(work);
    }
}

/// When, from where and to which host a call came: plain facts the edge read off the request.
#[derive(Debug, Clone)]
pub struct Call {
    pub now_ms: i64,
    /// The address Cloudflare reports (`cf-connecting-ip`); rate limits count per this value.
    pub client_ip: String,
    /// The host the request was sent to (auto-login depends on it, deviation 5).
    pub host: String,
    /// The `User-Agent` as sent, cut to `USER_AGENT_MAX_CHARS` (it is stored with sessions and
    /// audit events); empty when absent.
    pub user_agent: String,
}

/// Longer user agents are cut: they are for people to recognise a browser, not to be kept whole.
pub const USER_AGENT_MAX_CHARS: usize = 256;

/// `text` cut to at most `max` characters (never inside a character).
pub fn truncate_chars(text: &str, max: usize) -> &str {
    text.char_indices().nth(max).map_or(text, |(at, _)| &text[..at])
}

impl Call {
    pub fn now_secs(&self) -> i64 {
        self.now_ms.div_euclid(1000)
    }
}

/// Our side failed; the caller did nothing wrong. The edge logs it and answers 500.
#[derive(Debug)]
pub enum Failure {
    /// D1 unreachable, no randomness, a bug. The text is for the log only.
    Internal(String),
    /// The deployment is misconfigured; the message names the variable and never its value.
    Config(ConfigError),
}

impl From<DbError> for Failure {
    fn from(err: DbError) -> Self {
        Failure::Internal(err.0)
    }
}

impl From<ConfigError> for Failure {
    fn from(err: ConfigError) -> Self {
        Failure::Config(err)
    }
}

impl From<worker::Error> for Failure {
    fn from(err: worker::Error) -> Self {
        Failure::Internal(err.to_string())
    }
}

/// Lets each service error take a `Failure` (and so a `DbError`) with `?`.
macro_rules! failure_variant {
    ($($error:ident),*) => {$(
        impl From<$crate::service::Failure> for $error {
            fn from(err: $crate::service::Failure) -> Self {
                $error::Failed(err)
            }
        }

        impl From<$crate::db::DbError> for $error {
            fn from(err: $crate::db::DbError) -> Self {
                $error::Failed(err.into())
            }
        }
    )*};
}
pub(crate) use failure_variant;

/// `N` bytes from the platform's CSPRNG (crypto.getRandomValues in workerd).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], Failure> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|e| Failure::Internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::truncate_chars;

    #[test]
    fn truncation_counts_characters_and_never_splits_one() {
        assert_eq!(truncate_chars("abc", 5), "abc");
        assert_eq!(truncate_chars("abcdef", 3), "abc");
        assert_eq!(truncate_chars("ééé", 2), "éé");
        assert_eq!(truncate_chars("", 2), "");
    }
}
