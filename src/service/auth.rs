//! Who is calling: the one authentication step. Langflow's credential order (a token — Bearer or
//! the `access_token_lf` cookie — then an API key from the query or header), its 401/403 split,
//! and our session check (deviation 1). What it produces, `Principal`, is what every
//! owner-scoped service takes; admin-only services take a `Superuser`, which only
//! `Principal::as_superuser` makes.

use super::{failure_variant, session_cache, Call, Failure, Services};
use crate::core::ids::SessionId;
use crate::core::token::{self, TokenType};
use crate::core::{hex, time};
use crate::db::{api_keys, sessions, users::User};
use sha2::{Digest, Sha256};

/// How the credential reached us. Cookies matter to the edge (CSRF, deviation 7); API keys may
/// not change their owner's password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Bearer,
    Cookie,
    ApiKey,
}

/// An authenticated, active user.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    /// The login session behind a token; `None` for API keys.
    pub session_id: Option<SessionId>,
    pub via: Via,
}

/// Proof that the caller is a superuser. Services that administer other accounts take one, so a
/// handler that forgot the check would not compile.
#[derive(Debug, Clone, Copy)]
pub struct Superuser<'a>(&'a Principal);

/// The caller is not a superuser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotSuperuser;

impl Principal {
    pub fn as_superuser(&self) -> Result<Superuser<'_>, NotSuperuser> {
        if self.user.superuser() {
            Ok(Superuser(self))
        } else {
            Err(NotSuperuser)
        }
    }
}

impl std::ops::Deref for Superuser<'_> {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        self.0
    }
}

/// What the request presented, as the edge found it.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// An access token, and whether it came as a Bearer header or a cookie.
    pub access_token: Option<(String, Via)>,
    pub api_key: Option<String>,
}

/// Why a request is not authenticated, with Langflow's status for each.
#[derive(Debug)]
pub enum AuthError {
    /// 401 with the token check's `detail` (invalid, expired, wrong type).
    Token(&'static str),
    /// 401: the token's session was ended (logout, password change, deactivation).
    Revoked,
    /// 401: the user was deactivated.
    Inactive,
    /// 401: a valid token whose session or user is gone, and no API key to fall back on.
    TokenUnusable,
    /// 403: the API key is unknown, inactive, expired or its owner inactive.
    InvalidApiKey,
    /// 403: nothing presented.
    NoCredentials,
    Failed(Failure),
}
failure_variant!(AuthError);

/// Every protected operation starts here: an active user, or why not.
pub async fn authenticate(services: &Services, call: &Call, credentials: &Credentials) -> Result<Principal, AuthError> {
    if let Some((token, via)) = &credentials.access_token {
        // A token found is used exclusively: a bad one is not rescued by an API key. Only a
        // token whose session or user is gone falls through to the key, as in Langflow.
        match user_from_access_token(services, call, token).await? {
            Some((user, session_id)) => return Ok(Principal { user, session_id: Some(session_id), via: *via }),
            None if credentials.api_key.is_none() => return Err(AuthError::TokenUnusable),
            None => {}
        }
    }
    if let Some(key) = &credentials.api_key {
        return user_from_api_key(services, call, key).await;
    }
    Err(AuthError::NoCredentials)
}

/// The token's user if the token is good, else nobody (`/session`, signup, the pages).
pub async fn token_user(services: &Services, call: &Call, credentials: &Credentials) -> Option<Principal> {
    let (token, via) = credentials.access_token.as_ref()?;
    let (user, session_id) = user_from_access_token(services, call, token).await.ok()??;
    Some(Principal { user, session_id: Some(session_id), via: *via })
}

/// `Ok(None)`: a valid token whose session (and so maybe its user) no longer exists.
async fn user_from_access_token(
    services: &Services,
    call: &Call,
    token: &str,
) -> Result<Option<(User, SessionId)>, AuthError> {
    let now = call.now_secs();
    let claims = token::verify(&services.state.tokens, token, TokenType::Access, now)
        .map_err(|e| AuthError::Token(e.detail()))?;
    let session_id = SessionId::from_claim(claims.sid.ok_or(AuthError::Token("Invalid token"))?);
    let ttl = services.settings().session_cache_secs;
    let (mut found, cached) = match session_cache::session(&session_id, now, ttl) {
        Some(found) => (found, true),
        None => match sessions::load_with_user(&services.db, &session_id).await? {
            Some(found) => (found, false),
            None => return Ok(None),
        },
    };
    let stale = found.session.session_last_used_at.is_none_or(|at| at <= now - sessions::LAST_USED_EVERY_SECS);
    let touch = stale && found.is_live(now) && found.session.session_user_id.as_str() == claims.sub;
    if touch {
        found.session.session_last_used_at = Some(now);
        touch_session(services, call, &session_id);
    }
    if !cached {
        session_cache::remember_session(&session_id, &found, now, ttl);
    } else if touch {
        // Keeps the time it was read from D1, so the entry still expires on time.
        session_cache::mark_session_used(&session_id, now);
    }
    if found.session.session_user_id.as_str() != claims.sub {
        return Err(AuthError::Token("Invalid token"));
    }
    if !found.is_live(now) {
        return Err(AuthError::Revoked);
    }
    if !found.user.active() {
        return Err(AuthError::Inactive);
    }
    Ok(Some((found.user, session_id)))
}

/// "Last used" for the sessions page, written after the answer and only when the stored time is
/// `LAST_USED_EVERY_SECS` old: at most one write per session per five minutes (per isolate; the
/// statement's own condition keeps concurrent isolates from writing it twice).
fn touch_session(services: &Services, call: &Call, id: &SessionId) {
    let (db, id, now) = (services.db.clone(), id.clone(), call.now_secs());
    let (ip, agent) = (call.client_ip.clone(), call.user_agent.clone());
    services.defer(async move {
        let written = match sessions::touch(&db, &id, now, &ip, &agent) {
            Ok(statement) => crate::db::run(statement).await.map(|_| ()).map_err(|e| e.to_string()),
            Err(err) => Err(err.0),
        };
        if let Err(err) = written {
            worker::console_warn!("could not record session use: {err}");
        }
    });
}

/// Keys are found by the hex SHA-256 of their plaintext (Langflow's `api_key_hash` column).
pub fn api_key_hash(plaintext: &str) -> String {
    hex(&Sha256::digest(plaintext.as_bytes()))
}

async fn user_from_api_key(services: &Services, call: &Call, key: &str) -> Result<Principal, AuthError> {
    let (hash, now, ttl) = (api_key_hash(key), call.now_secs(), services.settings().session_cache_secs);
    let found = match session_cache::api_key(&hash, now, ttl) {
        Some(found) => found,
        None => {
            let found = api_keys::find_by_hash(&services.db, &hash).await?.ok_or(AuthError::InvalidApiKey)?;
            session_cache::remember_api_key(&hash, &found, now, ttl);
            found
        }
    };
    let expired = found
        .key
        .key_expires_at
        .as_deref()
        .and_then(time::parse_datetime)
        .is_some_and(|expires| expires < call.now_secs());
    if found.key.key_is_active == 0 || expired || !found.user.active() {
        return Err(AuthError::InvalidApiKey);
    }
    if services.settings().track_api_key_usage {
        // Counted after the answer is sent: the request itself does one read and no write.
        let (db, key_id, at) = (services.db.clone(), found.key.key_id.clone(), time::iso_seconds(call.now_secs()));
        services.defer(async move {
            if let Err(err) = api_keys::record_use(&db, &key_id, &at).await {
                worker::console_warn!("could not record API key use: {err}");
            }
        });
    }
    Ok(Principal { user: found.user, session_id: None, via: Via::ApiKey })
}
