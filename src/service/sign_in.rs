//! Starting, renewing and ending login sessions: password sign-in under the brute-force limits
//! (deviation 6), auto-login (deviation 5), refresh-token rotation with reuse detection and
//! sign-out (deviation 1). Every way in ends in the same revocable session row.

use super::audit::{self, Event, Record};
use super::two_factor::{self, TwoFactorError};
use super::{failure_variant, random_bytes, session_cache, Call, Failure, Services};
use crate::core::csrf::{self, PendingStep};
use crate::core::ids::{SessionId, UserId};
use crate::core::password::{self, Verification};
use crate::core::rate_limit::exceeded;
use crate::core::token::{self, TokenType};
use crate::core::{hex, time};
use crate::db::{self, login_attempts, sessions, users::User};
use crate::settings::ConfigError;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use worker::D1PreparedStatement;

/// A session that was just started or refreshed: whose, which, and its token pair.
pub struct SignedIn {
    pub user: User,
    pub session_id: SessionId,
    pub access: String,
    pub refresh: String,
}

/// Why a sign-in or refresh was refused.
#[derive(Debug)]
pub enum SignInError {
    WrongCredentials,
    TooManyAttempts {
        retry_after: i64,
    },
    /// Inactive and never signed in (told only after the right password, deviation 2).
    WaitingForApproval,
    /// Inactive after having signed in before (idem).
    Inactive,
    /// Auto-login is off for this host.
    AutoLoginDisabled,
    /// The account behind an auto-login or a refresh token was deactivated.
    AccountInactive,
    /// No refresh token was presented.
    NoRefreshToken,
    /// The refresh token is bad, expired, reused, or its session has ended.
    InvalidRefreshToken,
    /// The password was right and the account has two-factor on: no session yet. The ticket
    /// (for a browser cookie) lets the code complete the sign-in within `PENDING_SECS`.
    SecondFactorRequired {
        ticket: String,
    },
    /// The password was right, but this superuser must enrol first
    /// (`LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS`); the ticket lets them do it on the page.
    EnrolmentRequired {
        ticket: String,
    },
    /// The second factor was refused (wrong, malformed, too many attempts).
    SecondFactor(TwoFactorError),
    /// The pending ticket is missing, expired, forged, or the password changed since.
    PendingExpired,
    Failed(Failure),
}
failure_variant!(SignInError);

fn refresh_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// An access and a refresh token for a session. The refresh token carries a random `jti`, so a
/// refresh within the second the old one was issued still yields a different token to rotate to.
fn token_pair(services: &Services, user_id: &UserId, sid: &SessionId, now: i64) -> Result<(String, String), Failure> {
    let (keys, settings) = (&services.state.tokens, services.settings());
    let (sub, sid) = (user_id.as_str(), sid.as_str());
    let access = token::issue(keys, sub, TokenType::Access, sid, now, settings.access_token_expire_secs);
    let jti = hex(&random_bytes::<16>()?);
    let refresh =
        token::issue_unique(keys, sub, TokenType::Refresh, sid, Some(&jti), now, settings.refresh_token_expire_secs);
    Ok((access, refresh))
}

/// A new session for `user`: its tokens, and the row to insert with the caller's other writes.
/// The row keeps the client's address and browser for "Your sessions".
fn start_session(services: &Services, call: &Call, user: User) -> Result<(SignedIn, D1PreparedStatement), Failure> {
    let now = call.now_secs();
    let session_id = SessionId::random(random_bytes::<16>()?);
    let (access, refresh) = token_pair(services, &user.id, &session_id, now)?;
    let insert = sessions::insert(
        &services.db,
        &sessions::NewSession {
            id: &session_id,
            user_id: &user.id,
            refresh_hash: &refresh_hash(&refresh),
            now_secs: now,
            expires_at: now + services.settings().refresh_token_expire_secs,
            client_ip: &call.client_ip,
            user_agent: &call.user_agent,
        },
    )?;
    Ok((SignedIn { user, session_id, access, refresh }, insert))
}

/// The audit record of a session that just started.
fn signed_in_record(signed_in: &SignedIn, method: &'static str) -> Record {
    Record::new(Event::SignedIn)
        .by_user(&signed_in.user, "user")
        .about(&signed_in.user)
        .details(format!(r#"{{"method":"{method}","session_id":"{}"}}"#, signed_in.session_id))
}

/// A refused sign-in, about the account when the username names one (an unknown username is not
/// stored: it may be a password typed into the wrong field).
fn failed_sign_in(services: &Services, call: &Call, user: Option<&User>, event: Event, reason: &'static str) {
    let record = Record::new(event).reason(reason);
    audit::record(
        services,
        call,
        match user {
            Some(user) => record.about(user),
            None => record,
        },
    );
}

/// How long the step between a right password and the second factor may take.
pub const PENDING_SECS: i64 = 300;

/// Checks a username and password under the brute-force limits and starts a session. An
/// account with two-factor on also needs `second_factor` (a code or a recovery code, counted
/// with the password as one attempt); without it the answer is `SecondFactorRequired`.
pub async fn with_password(
    services: &Services,
    call: &Call,
    username: &str,
    password: &str,
    second_factor: Option<&str>,
) -> Result<SignedIn, SignInError> {
    let now = call.now_secs();
    let limits = &services.settings().rate_limits;
    let db = &services.db;
    // Failed attempts leave counters behind too: clean up now and then, on any attempt.
    schedule_housekeeping(services, now);

    // Attempts are counted before the password is checked (atomically, in every isolate), and
    // taken back when it was right: only failures count against the limits. The account key
    // folds ASCII case only, as the username uniqueness rule (SQLite's lower()) does, and is
    // hashed so that long made-up usernames cannot fill D1.
    let counted_keys = if limits.enabled {
        let account = hex(&Sha256::digest(username.to_ascii_lowercase().as_bytes()));
        vec![format!("ip:{}", call.client_ip), format!("account:{account}")]
    } else {
        Vec::new()
    };
    // Whether the account has two-factor on, read in the same batch when there is one (one D1
    // round trip fewer for every sign-in).
    let mut two_factor_on: Option<bool> = None;
    let user: Option<User> = match counted_keys.as_slice() {
        [ip_key, account_key] => {
            let results = db::batch(
                db,
                vec![
                    login_attempts::record(db, ip_key, 60, now)?,
                    login_attempts::record(db, account_key, limits.account_window_secs, now)?,
                    db::users::by_username(db, username)?,
                    db::two_factor::confirmed_by_username(db, username)?,
                ],
            )
            .await?;
            let counter = |i: usize| results.get(i).map(login_attempts::counter_of).transpose().map(Option::flatten);
            let (ip_counter, account_counter) = (counter(0)?, counter(1)?);
            let rows = results.get(2).map(|r| r.results::<User>()).transpose().map_err(Failure::from)?;
            let user = rows.and_then(|rows| rows.into_iter().next());
            let by_ip = ip_counter.and_then(|c| exceeded(c, limits.failures_per_ip_per_minute, 60, now));
            let by_account =
                account_counter.and_then(|c| exceeded(c, limits.failures_per_account, limits.account_window_secs, now));
            if let Some(retry_after) = by_ip.max(by_account) {
                // Logged when a limit is first crossed, not for every attempt it then refuses.
                let just_over = |c: Option<crate::core::rate_limit::Counter>, limit: u32| {
                    c.is_some_and(|c| c.count == i64::from(limit) + 1)
                };
                if by_account.is_some() && just_over(account_counter, limits.failures_per_account) {
                    failed_sign_in(services, call, user.as_ref(), Event::LockedOut, "ACCOUNT_LOCKED");
                } else if by_ip.is_some() && just_over(ip_counter, limits.failures_per_ip_per_minute) {
                    failed_sign_in(services, call, user.as_ref(), Event::LockedOut, "IP_RATE_LIMITED");
                }
                return Err(SignInError::TooManyAttempts { retry_after });
            }
            let two_factor = results.get(3).map(|r| r.results::<db::two_factor::TwoFactor>()).transpose();
            two_factor_on = two_factor.map_err(Failure::from)?.map(|rows| !rows.is_empty());
            user
        }
        _ => db::users::find_by_username(db, username).await?,
    };

    // Every failure costs the same work: unknown name, Argon2id or bcrypt hash, or an account
    // without a password (single sign-on only), which fails as an unknown name does (deviation 2).
    let stored = user.as_ref().map(|u| u.password.as_str()).filter(|hash| !password::is_unusable(hash));
    let (verification, mut hashing) = password::verify_sign_in(password, stored);
    let (Some(user), Verification::Valid { needs_rehash }) = (user.as_ref(), verification) else {
        failed_sign_in(services, call, user.as_ref(), Event::SignInFailed, "WRONG_CREDENTIALS");
        return Err(SignInError::WrongCredentials);
    };
    let user = user.clone();
    // With LANGFLOW_PASSWORD_LOGIN off, only the bootstrap superuser still signs in by password.
    let settings = services.settings();
    let bootstrap = user.superuser() && user.username.eq_ignore_ascii_case(&settings.superuser);
    if !settings.password_login && !bootstrap {
        password::equalise_failure(password, &mut hashing);
        failed_sign_in(services, call, Some(&user), Event::SignInFailed, "PASSWORD_LOGIN_OFF");
        return Err(SignInError::WrongCredentials);
    }
    // Langflow refuses the legacy default password for the bootstrap account.
    if password == "langflow"
        && (user.username == "langflow" || user.username.eq_ignore_ascii_case(&settings.superuser))
    {
        password::equalise_failure(password, &mut hashing);
        failed_sign_in(services, call, Some(&user), Event::SignInFailed, "WRONG_CREDENTIALS");
        return Err(SignInError::WrongCredentials);
    }
    let mut forgive = Vec::new();
    for key in &counted_keys {
        forgive.push(login_attempts::forgive(db, key)?);
    }
    // Deviation 2: the account's state is told only to whoever knows its password.
    if !user.active() {
        db::batch(db, forgive).await?;
        let (error, reason) = match user.last_login_at {
            None => (SignInError::WaitingForApproval, "WAITING_FOR_APPROVAL"),
            Some(_) => (SignInError::Inactive, "INACTIVE"),
        };
        failed_sign_in(services, call, Some(&user), Event::SignInFailed, reason);
        return Err(error);
    }
    let upgraded_hash =
        if needs_rehash { Some(password::hash_password(password, random_bytes::<16>()?)) } else { None };
    let second_factor = second_factor.filter(|code| !code.trim().is_empty());
    let two_factor_on = match two_factor_on {
        Some(on) => on,
        None => two_factor::is_enabled(services, &user).await?,
    };
    let pending = if two_factor_on {
        match second_factor {
            // Counted with the password above: a wrong code leaves that attempt counted.
            Some(code) => {
                if let Err(err) = two_factor::verify(services, call, &user, code, true).await {
                    failed_sign_in(services, call, Some(&user), Event::SignInFailed, "SECOND_FACTOR_REFUSED");
                    return Err(SignInError::SecondFactor(err));
                }
                None
            }
            None => Some(PendingStep::Code),
        }
    } else if user.superuser() && services.settings().require_2fa_for_superusers {
        Some(PendingStep::Enrol)
    } else {
        None
    };
    if let Some(step) = pending {
        // The password was right (its attempt is taken back, as for any right password), but
        // no session starts: only a ticket bound to the password hash, for the next step.
        let mut writes = forgive;
        let binding = upgraded_hash.as_deref().unwrap_or(&user.password).to_string();
        if let Some(hash) = &upgraded_hash {
            writes.push(db::users::set_password(db, &user.id, hash, &time::iso_micros(call.now_ms))?);
        }
        db::batch(db, writes).await?;
        let ticket =
            csrf::pending_ticket(&services.state.form_key, user.id.as_str(), step, now + PENDING_SECS, &binding);
        return Err(match step {
            PendingStep::Code => SignInError::SecondFactorRequired { ticket },
            PendingStep::Enrol => SignInError::EnrolmentRequired { ticket },
        });
    }
    let record_login = db::users::record_login(db, &user.id, &time::iso_micros(call.now_ms), upgraded_hash.as_deref())?;
    let (signed_in, insert) = start_session(services, call, user)?;
    let mut writes = vec![insert, record_login];
    writes.extend(forgive);
    db::batch(db, writes).await?;
    let method = if two_factor_on { "password+totp" } else { "password" };
    audit::record(services, call, signed_in_record(&signed_in, method));
    Ok(signed_in)
}

/// A session for `user`, whom a single sign-on provider vouched for (`service::oidc`), with
/// `writes` (the identity's bookkeeping) in the same batch. Inactive accounts are told apart as
/// after a right password.
pub async fn with_identity(
    services: &Services,
    call: &Call,
    user: User,
    mut writes: Vec<D1PreparedStatement>,
) -> Result<SignedIn, SignInError> {
    if !user.active() {
        let (error, reason) = match user.last_login_at {
            None => (SignInError::WaitingForApproval, "WAITING_FOR_APPROVAL"),
            Some(_) => (SignInError::Inactive, "INACTIVE"),
        };
        failed_sign_in(services, call, Some(&user), Event::SignInFailed, reason);
        return Err(error);
    }
    let db = &services.db;
    let record_login = db::users::record_login(db, &user.id, &time::iso_micros(call.now_ms), None)?;
    let (signed_in, insert) = start_session(services, call, user)?;
    writes.insert(0, record_login);
    writes.insert(0, insert);
    db::batch(db, writes).await?;
    audit::record(services, call, signed_in_record(&signed_in, "oidc"));
    Ok(signed_in)
}

/// The user a pending ticket was issued to, if it is still good for `step`.
pub async fn pending_user(
    services: &Services,
    call: &Call,
    ticket: Option<&str>,
    step: PendingStep,
) -> Result<User, SignInError> {
    let ticket = ticket.ok_or(SignInError::PendingExpired)?;
    let (user_id, found_step, _) = csrf::pending_ticket_parts(ticket).ok_or(SignInError::PendingExpired)?;
    let user_id = UserId::parse(user_id).filter(|_| found_step == step).ok_or(SignInError::PendingExpired)?;
    let user = db::users::find_by_id(&services.db, &user_id).await?.ok_or(SignInError::PendingExpired)?;
    if !csrf::pending_ticket_valid(&services.state.form_key, ticket, &user.password, call.now_secs()) {
        return Err(SignInError::PendingExpired);
    }
    if !user.active() {
        return Err(SignInError::AccountInactive);
    }
    Ok(user)
}

/// Completes a sign-in whose password was right, with the code its ticket asks for: a code of
/// the account's two-factor (`SecondFactorRequired`), or the first code of the enrolment a
/// superuser had to make (`EnrolmentRequired`), which also returns the recovery codes to show once.
pub async fn with_second_factor(
    services: &Services,
    call: &Call,
    ticket: Option<&str>,
    code: &str,
) -> Result<(SignedIn, Option<Vec<String>>), SignInError> {
    let step = ticket.and_then(csrf::pending_ticket_parts).map_or(PendingStep::Code, |(_, step, _)| step);
    let user = pending_user(services, call, ticket, step).await?;
    let checked = match step {
        PendingStep::Code => two_factor::verify(services, call, &user, code, false).await.map(|()| None),
        PendingStep::Enrol => two_factor::confirm(services, call, &user, code).await.map(Some),
    };
    let recovery_codes = match checked {
        Ok(codes) => codes,
        Err(err) => {
            failed_sign_in(services, call, Some(&user), Event::SignInFailed, "SECOND_FACTOR_REFUSED");
            return Err(SignInError::SecondFactor(err));
        }
    };
    let record_login = db::users::record_login(&services.db, &user.id, &time::iso_micros(call.now_ms), None)?;
    let (signed_in, insert) = start_session(services, call, user)?;
    db::batch(&services.db, vec![insert, record_login]).await?;
    audit::record(services, call, signed_in_record(&signed_in, "password+totp"));
    Ok((signed_in, recovery_codes))
}

/// Now and then, on a sign-in attempt, drop sessions and counters that ended over a day ago.
fn schedule_housekeeping(services: &Services, now: i64) {
    let Ok(roll) = random_bytes::<1>() else { return };
    if roll[0] >= 8 {
        return; // about one attempt in 32
    }
    let db = services.db.clone();
    services.defer(async move {
        let cutoff = now - 86_400;
        let statements = [sessions::purge_ended_before(&db, cutoff), login_attempts::purge_older_than(&db, cutoff)];
        if let Ok(statements) = statements.into_iter().collect::<Result<Vec<_>, _>>() {
            let _ = db::batch(&db, statements).await;
        }
    });
}

/// Whether auto-login applies to this call's host (deviation 5).
pub fn auto_login_enabled(services: &Services, call: &Call) -> bool {
    services.settings().auto_login.enabled_for_host(&call.host)
}

/// A new session for the bootstrap superuser, when auto-login is on for this host.
pub async fn auto_login(services: &Services, call: &Call) -> Result<SignedIn, SignInError> {
    if !auto_login_enabled(services, call) {
        return Err(SignInError::AutoLoginDisabled);
    }
    let user = db::users::find_by_username_ignoring_case(&services.db, &services.settings().superuser)
        .await?
        .ok_or_else(|| Failure::Internal("bootstrap superuser missing".into()))?;
    // The name alone is not enough: if the bootstrap account was renamed and someone else took
    // the name, auto-login must not sign visitors in as them.
    if !user.superuser() {
        return Err(Failure::Config(ConfigError {
            variable: "LANGFLOW_SUPERUSER",
            problem: "names an account that is not a superuser, so auto-login cannot use it; \
                      point it at a superuser or give that account superuser rights"
                .into(),
        })
        .into());
    }
    if !user.active() {
        return Err(SignInError::AccountInactive);
    }
    let (signed_in, insert) = start_session(services, call, user)?;
    db::batch(&services.db, vec![insert]).await?;
    audit::record(services, call, signed_in_record(&signed_in, "auto_login"));
    Ok(signed_in)
}

/// Rotates a refresh token into a new token pair for the same session. A token of the session
/// that is not its current one was kept by someone: the session ends.
pub async fn refresh(services: &Services, call: &Call, presented: Option<&str>) -> Result<SignedIn, SignInError> {
    let presented = presented.filter(|t| !t.is_empty()).ok_or(SignInError::NoRefreshToken)?;
    let now = call.now_secs();
    let claims = token::verify(&services.state.tokens, presented, TokenType::Refresh, now)
        .map_err(|_| SignInError::InvalidRefreshToken)?;
    let sid = SessionId::from_claim(claims.sid.ok_or(SignInError::InvalidRefreshToken)?);
    let found = sessions::load_with_user(&services.db, &sid).await?.ok_or(SignInError::InvalidRefreshToken)?;
    if found.session.session_user_id.as_str() != claims.sub || !found.is_live(now) {
        return Err(SignInError::InvalidRefreshToken);
    }
    let presented_hash = refresh_hash(presented);
    if !bool::from(presented_hash.as_bytes().ct_eq(found.session.refresh_hash.as_bytes())) {
        db::batch(&services.db, vec![sessions::revoke(&services.db, &sid, now)?]).await?;
        session_cache::forget_session(&sid);
        let record = Record::new(Event::RefreshTokenReused).reason("REFRESH_TOKEN_REUSED").about(&found.user);
        audit::record(services, call, record.resource("session", Some(sid.as_str()), None));
        return Err(SignInError::InvalidRefreshToken);
    }
    if !found.user.active() {
        return Err(SignInError::AccountInactive);
    }
    let (access, refresh) = token_pair(services, &found.user.id, &sid, now)?;
    let expires_at = now + services.settings().refresh_token_expire_secs;
    let rotated =
        sessions::rotate(&services.db, &sid, &presented_hash, &refresh_hash(&refresh), expires_at, now).await?;
    if !rotated {
        db::batch(&services.db, vec![sessions::revoke(&services.db, &sid, now)?]).await?;
        session_cache::forget_session(&sid);
        return Err(SignInError::InvalidRefreshToken);
    }
    Ok(SignedIn { user: found.user, session_id: sid, access, refresh })
}

/// The sessions the presented tokens name, each once, with their user: the access token's
/// first, then the refresh token's (the access token may have expired). Only tokens that verify
/// count.
pub fn sessions_named(
    services: &Services,
    call: &Call,
    access_token: Option<&str>,
    refresh_token: Option<&str>,
) -> Vec<(SessionId, String)> {
    let (keys, now) = (&services.state.tokens, call.now_secs());
    let from_access = access_token.and_then(|t| token::verify(keys, t, TokenType::Access, now).ok());
    let from_refresh = refresh_token.and_then(|t| token::verify(keys, t, TokenType::Refresh, now).ok());
    let mut named: Vec<(SessionId, String)> = Vec::new();
    for claims in [from_access, from_refresh].into_iter().flatten() {
        let Some(sid) = claims.sid.map(SessionId::from_claim) else { continue };
        if !named.iter().any(|(id, _)| id == &sid) {
            named.push((sid, claims.sub));
        }
    }
    named
}

/// Ends the given sessions (`sessions_named` of a logout request); each one that was still live
/// is logged as a logout.
pub async fn sign_out(services: &Services, call: &Call, sessions: &[(SessionId, String)]) -> Result<(), Failure> {
    let now = call.now_secs();
    let mut revocations = Vec::new();
    for (id, _) in sessions {
        revocations.push(sessions::revoke(&services.db, id, now)?);
        session_cache::forget_session(id);
    }
    let results = db::batch(&services.db, revocations).await?;
    for ((id, user_id), result) in sessions.iter().zip(&results) {
        if db::changes(result) > 0 {
            let record = Record::new(Event::SignedOut).by_id(user_id).about_id(user_id);
            audit::record(services, call, record.resource("session", Some(id.as_str()), None));
        }
    }
    Ok(())
}
