//! Who is calling: Langflow's credential order (Bearer, then the `access_token_lf` cookie, then
//! an API key in the query or header), its 401/403 split, and our session check (deviation 1).

use super::cookies;
use super::http::Req;
use super::App;
use crate::core::time;
use crate::core::token::{self, TokenType};
use crate::db::{api_keys, sessions, users::User};
use crate::error::{ApiError, ApiResult};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Bearer,
    Cookie,
    ApiKey,
}

pub struct Principal {
    pub user: User,
    /// The login session behind a token; `None` for API keys.
    pub session_id: Option<String>,
    pub via: Via,
}

impl Principal {
    pub fn require_superuser(&self) -> ApiResult<()> {
        if self.user.superuser() {
            Ok(())
        } else {
            Err(ApiError::forbidden("The user doesn't have enough privileges")
                .with_header("X-Langflow-Error-Code", "administration_denied"))
        }
    }
}

/// `Authorization: Bearer <token>`; any other scheme, or a bare `Bearer`, counts as absent.
fn bearer_token(req: &Req) -> Option<String> {
    let header = req.header("authorization")?;
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

/// The access token and where it came from, if any.
pub fn access_token(req: &Req) -> Option<(String, Via)> {
    bearer_token(req)
        .map(|t| (t, Via::Bearer))
        .or_else(|| req.cookie(cookies::ACCESS).filter(|t| !t.is_empty()).map(|t| (t, Via::Cookie)))
}

pub fn api_key_hash(plaintext: &str) -> String {
    crate::core::hex(&Sha256::digest(plaintext.as_bytes()))
}

fn presented_api_key(req: &Req) -> Option<String> {
    // An empty `?x-api-key=` does not hide the header (Langflow: `query_param or header_param`).
    req.query_param("x-api-key")
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .or_else(|| req.header("x-api-key").filter(|k| !k.is_empty()))
}

/// Every protected route: an active user, or Langflow's 401/403.
pub async fn current_user(req: &Req, app: &App) -> ApiResult<Principal> {
    let api_key = presented_api_key(req);
    if let Some((token, via)) = access_token(req) {
        // A token found is used exclusively: a bad one is not rescued by an API key. Only a
        // token whose session or user is gone falls through to the key, as in Langflow.
        match user_from_access_token(req, app, &token).await? {
            Some((user, session_id)) => {
                if via == Via::Cookie && req.is_state_changing() && req.is_cross_site() {
                    return Err(ApiError::cross_site());
                }
                return Ok(Principal { user, session_id: Some(session_id), via });
            }
            None if api_key.is_none() => return Err(ApiError::unauthorized("Token authentication failed")),
            None => {}
        }
    }
    if let Some(key) = api_key {
        return user_from_api_key(req, app, &key).await;
    }
    Err(ApiError::forbidden("No authentication credentials provided"))
}

/// Like `current_user` with a token, but any failure is simply "nobody" (`/session`, signup).
pub async fn optional_token_user(req: &Req, app: &App) -> Option<Principal> {
    let (token, via) = access_token(req)?;
    let (user, session_id) = user_from_access_token(req, app, &token).await.ok()??;
    Some(Principal { user, session_id: Some(session_id), via })
}

/// `Ok(None)`: a valid token whose session (and so maybe its user) no longer exists.
async fn user_from_access_token(req: &Req, app: &App, token: &str) -> ApiResult<Option<(User, String)>> {
    let claims = token::verify(&app.state.tokens, token, TokenType::Access, req.now_secs())
        .map_err(|e| ApiError::unauthorized(e.detail()))?;
    let session_id = claims.sid.ok_or_else(|| ApiError::unauthorized("Invalid token"))?;
    let Some(found) = sessions::load_with_user(&app.db, &session_id).await? else {
        return Ok(None);
    };
    if found.session.session_user_id != claims.sub {
        return Err(ApiError::unauthorized("Invalid token"));
    }
    if !found.is_live(req.now_secs()) {
        return Err(ApiError::unauthorized("Token has been revoked"));
    }
    if !found.user.active() {
        return Err(ApiError::unauthorized("User account is inactive"));
    }
    Ok(Some((found.user, session_id)))
}

async fn user_from_api_key(req: &Req, app: &App, key: &str) -> ApiResult<Principal> {
    let invalid = || ApiError::forbidden("Invalid API key");
    let found = api_keys::find_by_hash(&app.db, &api_key_hash(key)).await?.ok_or_else(invalid)?;
    let expired = found
        .key
        .key_expires_at
        .as_deref()
        .and_then(time::parse_datetime)
        .is_some_and(|expires| expires < req.now_secs());
    if found.key.key_is_active == 0 || expired || !found.user.active() {
        return Err(invalid());
    }
    if app.state.settings.track_api_key_usage {
        // Counted after the answer is sent: the request itself does one read and no write.
        let (db, key_id, at) = (app.db.clone(), found.key.key_id.clone(), time::iso_seconds(req.now_secs()));
        app.ctx.wait_until(async move {
            if let Err(err) = api_keys::record_use(&db, &key_id, &at).await {
                worker::console_warn!("could not record API key use: {err:?}");
            }
        });
    }
    Ok(Principal { user: found.user, session_id: None, via: Via::ApiKey })
}
