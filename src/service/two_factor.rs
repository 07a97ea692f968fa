//! Two-factor sign-in with TOTP (RFC 6238): enrolling (a secret shown once as an `otpauth://`
//! URI and in base32, confirmed with a first code, then ten one-time recovery codes), checking a
//! code (each works once, ±1 step of clock skew, under the password limits) and removing it.
//! The secret is Fernet-encrypted at rest and re-encrypted by the secret-key rotation.

use super::audit::{self, Event, Record};
use super::{failure_variant, identity, random_bytes, Call, Failure, Services};
use crate::core::rate_limit::exceeded;
use crate::core::{hex, totp};
use crate::db::{self, login_attempts, two_factor, users::User};
use sha2::{Digest, Sha256};

/// The issuer authenticator apps show next to the account name.
const ISSUER: &str = "Langflow";

#[derive(Debug)]
pub enum TwoFactorError {
    /// Enrolling again while two-factor is on: remove it first.
    AlreadyEnabled,
    /// Confirming or removing without an enrolment.
    NotEnabled,
    /// Not 6 digits, nor a recovery code's 16 letters and digits.
    CodeMalformed,
    /// Right shape, but not a current, unused code (or recovery code) of this account.
    WrongCode,
    TooManyAttempts {
        retry_after: i64,
    },
    Failed(Failure),
}
failure_variant!(TwoFactorError);

/// What an enrolling person copies into their authenticator app.
pub struct Enrolment {
    /// The secret in base32, for apps that take it typed.
    pub secret: String,
    /// `otpauth://totp/...`, for apps that take a link (or a QR code made from it).
    pub uri: String,
}

/// Where a user stands.
pub enum Status {
    Off,
    /// Started, waiting for the first code.
    Enrolling(Enrolment),
    On {
        recovery_codes_left: i64,
    },
}

fn decrypt_secret(services: &Services, call: &Call, stored: &str) -> Result<Vec<u8>, Failure> {
    let plain = services
        .state
        .fernet
        .decrypt(stored, call.now_secs().max(0) as u64, None)
        .map_err(|_| Failure::Internal("a two-factor secret does not decrypt with LANGFLOW_SECRET_KEY".into()))?;
    let text = String::from_utf8(plain).map_err(|_| Failure::Internal("a two-factor secret is not text".into()))?;
    totp::base32_decode(&text).ok_or_else(|| Failure::Internal("a two-factor secret is not base32".into()))
}

/// The codes of the steps accepted now, with their steps: HOTP over WebCrypto's HMAC-SHA1.
async fn expected_codes(services: &Services, call: &Call, stored: &str) -> Result<Vec<(i64, u32)>, Failure> {
    let secret = decrypt_secret(services, call, stored)?;
    let failed = |_| Failure::Internal("WebCrypto HMAC-SHA1 failed".into());
    let hash = identity::object(&[("name", "HMAC".into()), ("hash", "SHA-1".into())]).map_err(failed)?;
    let usages = js_sys::Array::of1(&"sign".into());
    let raw = js_sys::Uint8Array::from(secret.as_slice());
    let key = identity::subtle("importKey", &["raw".into(), raw.into(), hash, false.into(), usages.into()])
        .await
        .map_err(failed)?;
    let mut expected = Vec::with_capacity(3);
    for (step, message) in totp::candidate_steps(call.now_secs()) {
        let message = js_sys::Uint8Array::from(message.as_slice());
        let digest = identity::subtle("sign", &["HMAC".into(), key.clone(), message.into()]).await.map_err(failed)?;
        expected.push((step, totp::truncate(&js_sys::Uint8Array::new(&digest).to_vec())));
    }
    Ok(expected)
}

fn enrolment(user: &User, secret: &[u8]) -> Enrolment {
    Enrolment { secret: totp::base32_encode(secret), uri: totp::otpauth_uri(ISSUER, &user.username, secret) }
}

/// Whether `user` has two-factor on (a confirmed enrolment).
pub async fn is_enabled(services: &Services, user: &User) -> Result<bool, Failure> {
    Ok(two_factor::find(&services.db, &user.id).await?.is_some_and(|t| t.confirmed()))
}

pub async fn status(services: &Services, call: &Call, user: &User) -> Result<Status, Failure> {
    match two_factor::find(&services.db, &user.id).await? {
        None => Ok(Status::Off),
        Some(row) if row.confirmed() => Ok(Status::On { recovery_codes_left: row.recovery_codes_left }),
        Some(row) => Ok(Status::Enrolling(enrolment(user, &decrypt_secret(services, call, &row.secret)?))),
    }
}

/// Starts an enrolment with a new secret (replacing an unconfirmed one).
pub async fn start(services: &Services, call: &Call, user: &User) -> Result<Enrolment, TwoFactorError> {
    let secret = random_bytes::<{ totp::SECRET_BYTES }>()?;
    let stored = services.state.encrypt(&totp::base32_encode(&secret), call.now_secs())?;
    if !two_factor::start(&services.db, &user.id, &stored, call.now_secs()).await? {
        return Err(TwoFactorError::AlreadyEnabled);
    }
    Ok(enrolment(user, &secret))
}

/// The enrolment a sign-in's required setup shows: the one in progress if this sign-in began it
/// (at or after `since`, when its ticket was issued), else a new one. An enrolment begun earlier,
/// perhaps through a stolen session, is never the one a superuser is asked to confirm.
pub async fn enrolment_since(
    services: &Services,
    call: &Call,
    user: &User,
    since: i64,
) -> Result<Enrolment, TwoFactorError> {
    match two_factor::find(&services.db, &user.id).await? {
        Some(row) if row.confirmed() => Err(TwoFactorError::AlreadyEnabled),
        Some(row) if row.created_at >= since => Ok(enrolment(user, &decrypt_secret(services, call, &row.secret)?)),
        _ => start(services, call, user).await,
    }
}

/// The failed-login counters a code attempt counts against: the same as a password's (deviation
/// 6), so guessing codes is as slow as guessing passwords.
pub(super) fn attempt_keys(services: &Services, call: &Call, username: &str) -> Vec<String> {
    if !services.settings().rate_limits.enabled {
        return Vec::new();
    }
    let account = hex(&Sha256::digest(username.to_ascii_lowercase().as_bytes()));
    vec![format!("ip:{}", call.client_ip), format!("account:{account}")]
}

/// Counts an attempt on `keys` (atomically, before the check), refusing when over a limit.
async fn count_attempt(services: &Services, call: &Call, keys: &[String]) -> Result<(), TwoFactorError> {
    let (db, now, limits) = (&services.db, call.now_secs(), &services.settings().rate_limits);
    let mut statements = Vec::new();
    for key in keys {
        let window = if key.starts_with("ip:") { 60 } else { limits.account_window_secs };
        statements.push(login_attempts::record(db, key, window, now)?);
    }
    let results = db::batch(db, statements).await?;
    for (key, result) in keys.iter().zip(&results) {
        let (limit, window) = if key.starts_with("ip:") {
            (limits.failures_per_ip_per_minute, 60)
        } else {
            (limits.failures_per_account, limits.account_window_secs)
        };
        if let Some(retry_after) = login_attempts::counter_of(result)?.and_then(|c| exceeded(c, limit, window, now)) {
            return Err(TwoFactorError::TooManyAttempts { retry_after });
        }
    }
    Ok(())
}

/// Takes back the attempt `count_attempt` counted, when the code was right.
async fn forgive(services: &Services, keys: &[String]) -> Result<(), Failure> {
    let mut statements = Vec::new();
    for key in keys {
        statements.push(login_attempts::forgive(&services.db, key)?);
    }
    db::batch(&services.db, statements).await?;
    Ok(())
}

/// A typed code: an authenticator's 6 digits, or a recovery code.
enum Typed {
    Totp(u32),
    Recovery(String),
}

fn parse(typed: &str) -> Result<Typed, TwoFactorError> {
    if let Some(code) = totp::parse_code(typed) {
        return Ok(Typed::Totp(code));
    }
    totp::recovery_code_hash(typed).map(Typed::Recovery).ok_or(TwoFactorError::CodeMalformed)
}

/// Checks and uses up a code of `user`'s confirmed enrolment, without counting the attempt.
async fn use_code(services: &Services, call: &Call, user: &User, typed: &Typed) -> Result<(), TwoFactorError> {
    let row = two_factor::find(&services.db, &user.id).await?.filter(|t| t.confirmed());
    let row = row.ok_or(TwoFactorError::NotEnabled)?;
    let accepted = match typed {
        Typed::Totp(code) => {
            let expected = expected_codes(services, call, &row.secret).await?;
            match totp::matching_step(&expected, *code, row.last_used_step) {
                // The update applies only to a later step than the stored one: a code works once,
                // even when two requests race with it.
                Some(step) => two_factor::use_step(&services.db, &user.id, step).await?,
                None => false,
            }
        }
        Typed::Recovery(hash) => two_factor::use_recovery_code(&services.db, &user.id, hash, call.now_secs()).await?,
    };
    if accepted {
        Ok(())
    } else {
        Err(TwoFactorError::WrongCode)
    }
}

/// The second factor of a sign-in: a code (or recovery code) of `user`, counted against the
/// failed-login limits and taken back when right, unless `counted_by_caller` (the API's
/// one-request sign-in counts it with the password, and takes it back itself).
pub(super) async fn verify(
    services: &Services,
    call: &Call,
    user: &User,
    typed: &str,
    counted_by_caller: bool,
) -> Result<(), TwoFactorError> {
    let typed = parse(typed)?;
    let keys = if counted_by_caller { Vec::new() } else { attempt_keys(services, call, &user.username) };
    count_attempt(services, call, &keys).await?;
    use_code(services, call, user, &typed).await?;
    forgive(services, &keys).await?;
    Ok(())
}

/// Confirms the enrolment in progress with its first code; returns the ten recovery codes, which
/// are shown once and stored only hashed.
pub async fn confirm(
    services: &Services,
    call: &Call,
    user: &User,
    typed: &str,
) -> Result<Vec<String>, TwoFactorError> {
    let code = totp::parse_code(typed).ok_or(TwoFactorError::CodeMalformed)?;
    let row = two_factor::find(&services.db, &user.id).await?.ok_or(TwoFactorError::NotEnabled)?;
    if row.confirmed() {
        return Err(TwoFactorError::AlreadyEnabled);
    }
    let keys = attempt_keys(services, call, &user.username);
    count_attempt(services, call, &keys).await?;
    let expected = expected_codes(services, call, &row.secret).await?;
    let step = totp::matching_step(&expected, code, None).ok_or(TwoFactorError::WrongCode)?;
    let mut codes = Vec::with_capacity(totp::RECOVERY_CODES);
    let mut hashes = Vec::with_capacity(totp::RECOVERY_CODES);
    for _ in 0..totp::RECOVERY_CODES {
        let code = totp::recovery_code(random_bytes::<10>()?);
        hashes.push(totp::recovery_code_hash(&code).ok_or_else(|| Failure::Internal("recovery code".into()))?);
        codes.push(code);
    }
    // The first code's step counts as used: it cannot sign in a second time.
    if !two_factor::confirm(&services.db, &user.id, &row.secret, step, &hashes, call.now_secs()).await? {
        return Err(TwoFactorError::NotEnabled); // another tab restarted or finished it meanwhile
    }
    forgive(services, &keys).await?;
    audit::record(services, call, Record::new(Event::TwoFactorEnrolled).by_user(user, "user").about(user));
    Ok(codes)
}

/// Turns two-factor off, given a current code or an unused recovery code.
pub async fn remove(services: &Services, call: &Call, user: &User, typed: &str) -> Result<(), TwoFactorError> {
    match two_factor::find(&services.db, &user.id).await? {
        Some(row) if row.confirmed() => {}
        // An enrolment that was never confirmed can be dropped without a code.
        Some(_) => return Ok(two_factor::remove(&services.db, &user.id).await?),
        None => return Err(TwoFactorError::NotEnabled),
    }
    verify(services, call, user, typed, false).await?;
    two_factor::remove(&services.db, &user.id).await?;
    audit::record(services, call, Record::new(Event::TwoFactorRemoved).by_user(user, "user").about(user));
    Ok(())
}
