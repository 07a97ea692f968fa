//! Tables `two_factor` (a user's TOTP secret, Fernet-encrypted, and the last time step accepted)
//! and `two_factor_recovery_code` (hashes of the one-time recovery codes).

use super::{batch, changes, first, int, statement, text, D1PreparedStatement, DbResult};
use crate::core::ids::UserId;
use serde::Deserialize;
use worker::D1Database;

#[derive(Debug, Clone, Deserialize)]
pub struct TwoFactor {
    /// Fernet token of the base32 secret.
    pub secret: String,
    /// `None` while the enrolment waits for its first code.
    pub confirmed_at: Option<i64>,
    pub last_used_step: Option<i64>,
    pub recovery_codes_left: i64,
    /// When the enrolment began (unix seconds; read by `find` only).
    #[serde(default)]
    pub created_at: i64,
}

impl TwoFactor {
    pub fn confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

pub async fn find(db: &D1Database, user_id: &UserId) -> DbResult<Option<TwoFactor>> {
    first(statement(
        db,
        "SELECT secret, confirmed_at, last_used_step, created_at, (SELECT COUNT(*) FROM two_factor_recovery_code r \
         WHERE r.user_id = t.user_id AND r.used_at IS NULL) AS recovery_codes_left FROM two_factor t WHERE t.user_id = ?1",
        &[text(user_id.as_str())],
    )?)
    .await
}

/// The confirmed enrolment of the user with this exact username, as rows of `TwoFactor` (none or
/// one): a statement for the sign-in's first batch.
pub fn confirmed_by_username(db: &D1Database, username: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "SELECT t.secret, t.confirmed_at, t.last_used_step, 0 AS recovery_codes_left FROM two_factor t \
         JOIN \"user\" u ON u.id = t.user_id WHERE u.username = ?1 AND t.confirmed_at IS NOT NULL",
        &[text(username)],
    )
}

/// Starts (or restarts) an enrolment with a new secret; a confirmed one is never replaced here.
pub async fn start(db: &D1Database, user_id: &UserId, secret: &str, now_secs: i64) -> DbResult<bool> {
    let result = super::run(statement(
        db,
        "INSERT INTO two_factor (user_id, secret, created_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, \
         last_used_step = NULL WHERE two_factor.confirmed_at IS NULL",
        &[text(user_id.as_str()), text(secret), int(now_secs)],
    )?)
    .await?;
    Ok(changes(&result) == 1)
}

/// Records `step` as used, only if it is later than the last one: true means this code is the
/// first to use it (two requests racing with the same code: one wins).
pub async fn use_step(db: &D1Database, user_id: &UserId, step: i64) -> DbResult<bool> {
    let result = super::run(statement(
        db,
        "UPDATE two_factor SET last_used_step = ?2 WHERE user_id = ?1 AND (last_used_step IS NULL OR last_used_step < ?2)",
        &[text(user_id.as_str()), int(step)],
    )?)
    .await?;
    Ok(changes(&result) == 1)
}

/// Confirms the enrolment whose secret is `secret` and stores the recovery codes, atomically.
pub async fn confirm(
    db: &D1Database,
    user_id: &UserId,
    secret: &str,
    step: i64,
    code_hashes: &[String],
    now_secs: i64,
) -> DbResult<bool> {
    let id = text(user_id.as_str());
    let mut statements = vec![statement(
        db,
        "UPDATE two_factor SET confirmed_at = ?3, last_used_step = ?4 \
             WHERE user_id = ?1 AND secret = ?2 AND confirmed_at IS NULL",
        &[id.clone(), text(secret), int(now_secs), int(step)],
    )?];
    // Turning two-factor off deletes the codes, so a new confirmation starts with none. Each code
    // is inserted only if the confirmation above took effect (the same batch, one transaction)
    // and while fewer than this batch's codes exist: a second confirmation racing in the same
    // second adds none, and never deletes the codes the first one showed.
    let count = i64::try_from(code_hashes.len()).unwrap_or(i64::MAX);
    for hash in code_hashes {
        statements.push(statement(
            db,
            "INSERT INTO two_factor_recovery_code (code_hash, user_id) \
             SELECT ?2, ?1 WHERE EXISTS (SELECT 1 FROM two_factor WHERE user_id = ?1 AND confirmed_at = ?3) \
             AND (SELECT COUNT(*) FROM two_factor_recovery_code WHERE user_id = ?1) < ?4",
            &[id.clone(), text(hash), int(now_secs), int(count)],
        )?);
    }
    let results = batch(db, statements).await?;
    Ok(results.first().is_some_and(|r| changes(r) == 1))
}

/// Uses a recovery code: true the first time only.
pub async fn use_recovery_code(db: &D1Database, user_id: &UserId, code_hash: &str, now_secs: i64) -> DbResult<bool> {
    let result = super::run(statement(
        db,
        "UPDATE two_factor_recovery_code SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
        &[text(user_id.as_str()), text(code_hash), int(now_secs)],
    )?)
    .await?;
    Ok(changes(&result) == 1)
}

/// Turns two-factor off: the secret and every recovery code go.
pub async fn remove(db: &D1Database, user_id: &UserId) -> DbResult<()> {
    let id = [text(user_id.as_str())];
    batch(
        db,
        vec![
            statement(db, "DELETE FROM two_factor WHERE user_id = ?1", &id)?,
            statement(db, "DELETE FROM two_factor_recovery_code WHERE user_id = ?1", &id)?,
        ],
    )
    .await?;
    Ok(())
}

/// A page of (user id, secret ciphertext) for re-encryption, in id order after `after`.
pub async fn secret_page(db: &D1Database, after: &str, limit: i64) -> DbResult<Vec<(String, String)>> {
    #[derive(Deserialize)]
    struct Row {
        user_id: String,
        secret: String,
    }
    let rows: Vec<Row> = super::all(statement(
        db,
        "SELECT user_id, secret FROM two_factor WHERE user_id > ?1 ORDER BY user_id LIMIT ?2",
        &[text(after), int(limit)],
    )?)
    .await?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.secret)).collect())
}

pub fn replace_secret(db: &D1Database, user_id: &str, old: &str, new: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE two_factor SET secret = ?3 WHERE user_id = ?1 AND secret = ?2",
        &[text(user_id), text(old), text(new)],
    )
}
