//! `/api/v1/login`, `/auto_login`, `/refresh`, `/logout`, `/session`.

use crate::core::password::{self, Verification};
use crate::core::rate_limit::exceeded;
use crate::core::request_body::form_field;
use crate::core::token::{self, TokenType};
use crate::core::{hex, ids, time};
use crate::db::{self, login_attempts, sessions, users::User};
use crate::edge::auth::{self, Via};
use crate::edge::http::{self, random_bytes, Req, SMALL_BODY_LIMIT};
use crate::edge::schemas::{TokenPair, UserRead};
use crate::edge::{cookies, App};
use crate::error::{ApiError, ApiResult};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use worker::{D1PreparedStatement, Response};

fn refresh_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A new login session: its row, and the token pair that names it.
struct NewSession {
    id: String,
    access: String,
    refresh: String,
    insert: D1PreparedStatement,
}

/// An access and a refresh token for a session. The refresh token carries a random `jti`, so a
/// refresh within the second the old one was issued still yields a different token to rotate to.
fn token_pair(app: &App, user_id: &str, sid: &str, now_secs: i64) -> ApiResult<(String, String)> {
    let (keys, settings) = (&app.state.tokens, &app.state.settings);
    let access = token::issue(keys, user_id, TokenType::Access, sid, now_secs, settings.access_token_expire_secs);
    let jti = hex(&random_bytes::<16>()?);
    let refresh = token::issue_unique(
        keys,
        user_id,
        TokenType::Refresh,
        sid,
        Some(&jti),
        now_secs,
        settings.refresh_token_expire_secs,
    );
    Ok((access, refresh))
}

fn start_session(app: &App, user_id: &str, now_secs: i64) -> ApiResult<NewSession> {
    let settings = &app.state.settings;
    let sid = ids::uuid_v4(random_bytes::<16>()?);
    let (access, refresh) = token_pair(app, user_id, &sid, now_secs)?;
    let insert = sessions::insert(
        &app.db,
        &sid,
        user_id,
        &refresh_hash(&refresh),
        now_secs,
        now_secs + settings.refresh_token_expire_secs,
    )?;
    Ok(NewSession { id: sid, access, refresh, insert })
}

/// A session that was just started or refreshed: whose, which, and its token pair. The API
/// answers with the pair; the pages set the cookies and go on.
pub struct SignedIn {
    pub user: User,
    pub session_id: String,
    pub access: String,
    pub refresh: String,
}

/// How a session got its tokens, which decides Langflow's cookies for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    /// A password login: both cookies with `expires`, and the user's store key.
    Login,
    /// Auto-login: the access cookie for the browser session only, and an empty store key.
    AutoLogin,
    /// A refresh: both cookies with `expires`; the store-key cookie is left alone.
    Refresh,
}

impl SignedIn {
    /// Langflow's cookies for this token pair, in its order (refresh, access, then the store
    /// key); the API's token answers and the pages set the same lines.
    pub fn cookies(&self, app: &App, now_secs: i64, issued: Issued) -> Vec<String> {
        let settings = &app.state.settings;
        let refresh_expires = now_secs + settings.refresh_token_expire_secs;
        let access_expires = (issued != Issued::AutoLogin).then_some(now_secs + settings.access_token_expire_secs);
        let mut lines = vec![
            cookies::refresh(&settings.cookies, &self.refresh, refresh_expires),
            cookies::access(&settings.cookies, &self.access, access_expires),
        ];
        match issued {
            Issued::Login => lines.push(cookies::store_key(&settings.cookies, self.user.store_api_key.as_deref())),
            Issued::AutoLogin => lines.push(cookies::store_key(&settings.cookies, Some(""))),
            Issued::Refresh => {}
        }
        lines
    }

    /// The token pair as JSON plus Langflow's cookies.
    fn response(&self, app: &App, now_secs: i64, issued: Issued) -> ApiResult<Response> {
        let pair = TokenPair { access_token: &self.access, refresh_token: &self.refresh, token_type: "bearer" };
        let mut response = http::json(200, &pair)?;
        for cookie in self.cookies(app, now_secs, issued) {
            http::set_cookie(&mut response, &cookie);
        }
        Ok(response)
    }
}

fn wrong_credentials() -> ApiError {
    ApiError::unauthorized("Incorrect username or password").with_header("WWW-Authenticate", "Bearer")
}

/// Why a password login was refused. The API answers each as Langflow does (`From` below); the
/// login page says it in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    WrongCredentials,
    TooManyAttempts {
        retry_after: i64,
    },
    /// Inactive and never logged in (told only after the right password, deviation 2).
    WaitingForApproval,
    /// Inactive after having logged in before (idem).
    Inactive,
}

pub enum LoginError {
    Refused(LoginRefusal),
    Failed(ApiError),
}

impl From<ApiError> for LoginError {
    fn from(err: ApiError) -> Self {
        LoginError::Failed(err)
    }
}

impl From<worker::Error> for LoginError {
    fn from(err: worker::Error) -> Self {
        LoginError::Failed(err.into())
    }
}

impl From<LoginError> for ApiError {
    fn from(err: LoginError) -> Self {
        match err {
            LoginError::Refused(LoginRefusal::WrongCredentials) => wrong_credentials(),
            LoginError::Refused(LoginRefusal::TooManyAttempts { retry_after }) => {
                ApiError::too_many_requests(retry_after)
            }
            LoginError::Refused(LoginRefusal::WaitingForApproval) => ApiError::bad_request("Waiting for approval"),
            LoginError::Refused(LoginRefusal::Inactive) => ApiError::unauthorized("Inactive user"),
            LoginError::Failed(err) => err,
        }
    }
}

/// POST /api/v1/login — the OAuth2 password form.
pub async fn login(req: &mut Req, app: &App) -> ApiResult<Response> {
    if req.is_cross_site() {
        return Err(ApiError::cross_site());
    }
    let form = req.form_body(SMALL_BODY_LIMIT).await?;
    let username =
        form_field(&form, "username").ok_or_else(|| ApiError::missing_field("body", "username"))?.to_string();
    let password =
        form_field(&form, "password").ok_or_else(|| ApiError::missing_field("body", "password"))?.to_string();
    let signed_in = password_login(req, app, &username, &password).await?;
    signed_in.response(app, req.now_secs(), Issued::Login)
}

/// Checks a username and password under the brute-force limits (deviation 6) and starts a
/// session: the API's login and the login page.
pub async fn password_login(req: &Req, app: &App, username: &str, password: &str) -> Result<SignedIn, LoginError> {
    let now = req.now_secs();
    let limits = &app.state.settings.rate_limits;
    let db = &app.db;
    // Failed attempts leave counters behind too: clean up now and then, on any attempt.
    schedule_housekeeping(app, now);

    // Attempts are counted before the password is checked (atomically, in every isolate), and
    // taken back when it was right: only failures count against the limits. The account key
    // folds ASCII case only, as the username uniqueness rule (SQLite's lower()) does, and is
    // hashed so that long made-up usernames cannot fill D1.
    let counted_keys = if limits.enabled {
        let account = hex(&Sha256::digest(username.to_ascii_lowercase().as_bytes()));
        vec![format!("ip:{}", req.client_ip()), format!("account:{account}")]
    } else {
        Vec::new()
    };
    let user: Option<User> = if limits.enabled {
        let results = db::batch(
            db,
            vec![
                login_attempts::record(db, &counted_keys[0], 60, now)?,
                login_attempts::record(db, &counted_keys[1], limits.account_window_secs, now)?,
                db::users::by_username(db, username)?,
            ],
        )
        .await?;
        let counter = |i: usize| results.get(i).map(login_attempts::counter_of).transpose().map(Option::flatten);
        let by_ip = counter(0)?.and_then(|c| exceeded(c, limits.failures_per_ip_per_minute, 60, now));
        let by_account =
            counter(1)?.and_then(|c| exceeded(c, limits.failures_per_account, limits.account_window_secs, now));
        if let Some(retry_after) = by_ip.max(by_account) {
            return Err(LoginError::Refused(LoginRefusal::TooManyAttempts { retry_after }));
        }
        results.get(2).map(|r| r.results::<User>()).transpose()?.and_then(|rows| rows.into_iter().next())
    } else {
        db::users::find_by_username(db, username).await?
    };

    // Unknown usernames cost the same time as wrong passwords.
    let verification =
        password::verify_password(password, user.as_ref().map_or(password::DUMMY_HASH, |u| u.password.as_str()));
    let (Some(user), Verification::Valid { needs_rehash }) = (user, verification) else {
        return Err(LoginError::Refused(LoginRefusal::WrongCredentials));
    };
    // Langflow refuses the legacy default password for the bootstrap account.
    let superuser_name = &app.state.settings.superuser;
    if password == "langflow" && (user.username == "langflow" || user.username.eq_ignore_ascii_case(superuser_name)) {
        return Err(LoginError::Refused(LoginRefusal::WrongCredentials));
    }
    let mut forgive = Vec::new();
    for key in &counted_keys {
        forgive.push(login_attempts::forgive(db, key)?);
    }
    // Deviation 2: the account's state is told only to whoever knows its password.
    if !user.active() {
        db::batch(db, forgive).await?;
        return Err(LoginError::Refused(match user.last_login_at {
            None => LoginRefusal::WaitingForApproval,
            Some(_) => LoginRefusal::Inactive,
        }));
    }
    let session = start_session(app, &user.id, now)?;
    let upgraded_hash =
        needs_rehash.then(|| random_bytes::<16>().map(|salt| password::hash_password(password, salt))).transpose()?;
    let mut writes = vec![
        session.insert,
        db::users::record_login(db, &user.id, &time::iso_micros(req.now_ms), upgraded_hash.as_deref())?,
    ];
    writes.extend(forgive);
    db::batch(db, writes).await?;
    Ok(SignedIn { user, session_id: session.id, access: session.access, refresh: session.refresh })
}

/// Now and then, on a login attempt, drop sessions and counters that ended over a day ago.
fn schedule_housekeeping(app: &App, now: i64) {
    let Ok(roll) = random_bytes::<1>() else { return };
    if roll[0] >= 8 {
        return; // about one login in 32
    }
    let db = app.db.clone();
    app.ctx.wait_until(async move {
        let cutoff = now - 86_400;
        let statements = [sessions::purge_ended_before(&db, cutoff), login_attempts::purge_older_than(&db, cutoff)];
        if let Ok(statements) = statements.into_iter().collect::<ApiResult<Vec<_>>>() {
            let _ = db::batch(&db, statements).await;
        }
    });
}

/// GET /api/v1/auto_login — tokens for the superuser when auto-login is on (deviation 5).
pub async fn auto_login(req: &mut Req, app: &App) -> ApiResult<Response> {
    if !app.auto_login_for(req) {
        return Err(ApiError::with_body(
            403,
            json!({ "detail": { "message": "Auto login is disabled.", "auto_login": false } }),
        ));
    }
    let signed_in = auto_login_session(req, app).await?;
    signed_in.response(app, req.now_secs(), Issued::AutoLogin)
}

/// A new session for the bootstrap superuser; the caller has checked that auto-login is on.
pub async fn auto_login_session(req: &Req, app: &App) -> ApiResult<SignedIn> {
    let user = db::users::find_by_username_ignoring_case(&app.db, &app.state.settings.superuser)
        .await?
        .ok_or_else(|| ApiError::internal("bootstrap superuser missing"))?;
    // The name alone is not enough: if the bootstrap account was renamed and someone else took
    // the name, auto-login must not sign visitors in as them.
    if !user.superuser() {
        return Err(crate::settings::ConfigError {
            variable: "LANGFLOW_SUPERUSER",
            problem: "names an account that is not a superuser, so auto-login cannot use it; \
                      point it at a superuser or give that account superuser rights"
                .into(),
        }
        .into());
    }
    if !user.active() {
        return Err(ApiError::unauthorized("User account is inactive"));
    }
    let now = req.now_secs();
    let session = start_session(app, &user.id, now)?;
    db::batch(&app.db, vec![session.insert]).await?;
    Ok(SignedIn { user, session_id: session.id, access: session.access, refresh: session.refresh })
}

fn invalid_refresh() -> ApiError {
    ApiError::unauthorized("Invalid refresh token")
}

/// POST /api/v1/refresh — rotates the refresh token; a reused one ends its session (deviation 1).
pub async fn refresh(req: &mut Req, app: &App) -> ApiResult<Response> {
    if req.is_cross_site() {
        return Err(ApiError::cross_site());
    }
    let signed_in = refresh_session(req, app).await?;
    signed_in.response(app, req.now_secs(), Issued::Refresh)
}

/// Rotates the request's refresh cookie into a new token pair for the same session (the API's
/// `/refresh`, and the pages when the access cookie has expired).
pub async fn refresh_session(req: &Req, app: &App) -> ApiResult<SignedIn> {
    let Some(presented) = req.cookie(cookies::REFRESH).filter(|t| !t.is_empty()) else {
        return Err(invalid_refresh().with_header("WWW-Authenticate", "Bearer"));
    };
    let now = req.now_secs();
    let claims =
        token::verify(&app.state.tokens, &presented, TokenType::Refresh, now).map_err(|_| invalid_refresh())?;
    let sid = claims.sid.ok_or_else(invalid_refresh)?;
    let found = sessions::load_with_user(&app.db, &sid).await?.ok_or_else(invalid_refresh)?;
    if found.session.session_user_id != claims.sub || !found.is_live(now) {
        return Err(invalid_refresh());
    }
    let presented_hash = refresh_hash(&presented);
    if !bool::from(presented_hash.as_bytes().ct_eq(found.session.refresh_hash.as_bytes())) {
        // An older refresh token of this session: someone kept a copy. End the session.
        db::batch(&app.db, vec![sessions::revoke(&app.db, &sid, now)?]).await?;
        return Err(invalid_refresh());
    }
    if !found.user.active() {
        return Err(ApiError::unauthorized("User account is inactive"));
    }
    let settings = &app.state.settings;
    let (access, refresh) = token_pair(app, &found.user.id, &sid, now)?;
    let rotated = sessions::rotate(
        &app.db,
        &sid,
        &presented_hash,
        &refresh_hash(&refresh),
        now + settings.refresh_token_expire_secs,
    )
    .await?;
    if !rotated {
        db::batch(&app.db, vec![sessions::revoke(&app.db, &sid, now)?]).await?;
        return Err(invalid_refresh());
    }
    Ok(SignedIn { user: found.user, session_id: sid, access, refresh })
}

/// POST /api/v1/logout — always 200; ends the session the request's tokens belong to.
pub async fn logout(req: &mut Req, app: &App) -> ApiResult<Response> {
    if req.is_cross_site() {
        return Err(ApiError::cross_site());
    }
    end_sessions(req, app).await?;
    let mut response = http::json(200, &json!({ "message": "Logout successful" }))?;
    for cookie in cookies::cleared(&app.state.settings.cookies, req.now_secs()) {
        http::set_cookie(&mut response, &cookie);
    }
    Ok(response)
}

/// Revokes the sessions the request's access token and refresh cookie name (the API's logout
/// and the pages').
pub async fn end_sessions(req: &Req, app: &App) -> ApiResult<()> {
    let now = req.now_secs();
    let tokens = &app.state.tokens;
    let from_access = auth::access_token(req).and_then(|(t, _)| token::verify(tokens, &t, TokenType::Access, now).ok());
    let from_refresh =
        req.cookie(cookies::REFRESH).and_then(|t| token::verify(tokens, &t, TokenType::Refresh, now).ok());
    let mut revocations = Vec::new();
    let mut seen = Vec::new();
    for sid in [from_access, from_refresh].into_iter().flatten().filter_map(|c| c.sid) {
        if !seen.contains(&sid) {
            revocations.push(sessions::revoke(&app.db, &sid, now)?);
            seen.push(sid);
        }
    }
    db::batch(&app.db, revocations).await?;
    Ok(())
}

/// GET /api/v1/session — never fails; says whether the token or cookie is good.
pub async fn session(req: &mut Req, app: &App) -> ApiResult<Response> {
    let principal = auth::optional_token_user(req, app).await.filter(|p| p.via != Via::ApiKey);
    match principal {
        Some(p) => http::json(
            200,
            &json!({ "authenticated": true, "user": UserRead::from(&p.user), "store_api_key": p.user.store_api_key }),
        ),
        None => http::json(200, &json!({ "authenticated": false, "user": null, "store_api_key": null })),
    }
}
