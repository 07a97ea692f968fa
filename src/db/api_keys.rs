//! Table `apikey` (Langflow's): the key is stored Fernet-encrypted, and found by the hex SHA-256
//! of its plaintext. Every query but the hash lookup is filtered by owner.

use super::users::User;
use super::DbResult;
use super::{int, opt_text, statement, text};
use crate::core::ids::{ApiKeyId, UserId};
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

#[derive(Debug, Clone, Deserialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub total_uses: i64,
    pub is_active: i64,
    pub expires_at: Option<String>,
    /// Fernet token of the plaintext key.
    pub api_key: String,
    pub user_id: UserId,
}

const COLUMNS: &str = "id, name, created_at, last_used_at, total_uses, is_active, expires_at, api_key, user_id";

#[derive(Debug, Clone, Deserialize)]
pub struct KeyState {
    pub key_id: ApiKeyId,
    pub key_is_active: i64,
    pub key_expires_at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct KeyWithOwner {
    pub key: KeyState,
    pub user: User,
}

/// Spelled out rather than built per request; a test checks it against `users::COLUMNS`.
pub(super) const SELECT_WITH_OWNER: &str =
    "SELECT k.id AS key_id, k.is_active AS key_is_active, k.expires_at AS key_expires_at, \
     u.id, u.username, u.password, u.profile_image, u.is_active, u.is_superuser, u.create_at, u.updated_at, \
     u.last_login_at, u.store_api_key, u.optins \
     FROM apikey k JOIN \"user\" u ON u.id = k.user_id WHERE k.api_key_hash = ?1";

/// The key (and its owner) whose hash is `hash`; one query.
pub async fn find_by_hash(db: &D1Database, hash: &str) -> DbResult<Option<KeyWithOwner>> {
    let found = super::first_pair::<KeyState, User>(statement(db, SELECT_WITH_OWNER, &[text(hash)])?).await?;
    Ok(found.map(|(key, user)| KeyWithOwner { key, user }))
}

/// Usage counters; run after the response is sent (`wait_until`), never on the request's path.
pub async fn record_use(db: &D1Database, key_id: &ApiKeyId, at: &str) -> DbResult<()> {
    super::run(statement(
        db,
        "UPDATE apikey SET total_uses = total_uses + 1, last_used_at = ?2 WHERE id = ?1",
        &[text(key_id.as_str()), text(at)],
    )?)
    .await?;
    Ok(())
}

pub struct NewApiKey<'a> {
    pub id: &'a ApiKeyId,
    pub name: Option<&'a str>,
    pub created_at: &'a str,
    pub expires_at: Option<&'a str>,
    pub ciphertext: &'a str,
    pub hash: &'a str,
    pub user_id: &'a UserId,
}

pub async fn insert(db: &D1Database, key: &NewApiKey<'_>) -> DbResult<()> {
    super::run(statement(
        db,
        "INSERT INTO apikey (id, name, created_at, total_uses, is_active, expires_at, api_key, api_key_hash, user_id) \
         VALUES (?1, ?2, ?3, 0, 1, ?4, ?5, ?6, ?7)",
        &[
            text(key.id.as_str()),
            opt_text(key.name),
            text(key.created_at),
            opt_text(key.expires_at),
            text(key.ciphertext),
            text(key.hash),
            text(key.user_id.as_str()),
        ],
    )?)
    .await?;
    Ok(())
}

pub async fn list_for_user(db: &D1Database, user_id: &UserId) -> DbResult<Vec<ApiKey>> {
    super::all(statement(
        db,
        &format!("SELECT {COLUMNS} FROM apikey WHERE user_id = ?1 ORDER BY created_at, id"),
        &[text(user_id.as_str())],
    )?)
    .await
}

/// Deletes the user's key and returns it (the audit log keeps its name); `None` when the user
/// has no such key.
pub async fn delete_for_user(db: &D1Database, id: &ApiKeyId, user_id: &UserId) -> DbResult<Option<ApiKey>> {
    let sql = format!("DELETE FROM apikey WHERE id = ?1 AND user_id = ?2 RETURNING {COLUMNS}");
    super::first(statement(db, &sql, &[text(id.as_str()), text(user_id.as_str())])?).await
}

/// A page of (id, ciphertext) for re-encryption, in id order after `after`.
pub async fn ciphertext_page(db: &D1Database, after: &str, limit: i64) -> DbResult<Vec<(String, String)>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        api_key: String,
    }
    let rows: Vec<Row> = super::all(statement(
        db,
        "SELECT id, api_key FROM apikey WHERE id > ?1 ORDER BY id LIMIT ?2",
        &[text(after), int(limit)],
    )?)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.api_key)).collect())
}

/// Replaces a ciphertext only if it is still the one that was read (safe against a concurrent change).
pub fn replace_ciphertext(db: &D1Database, id: &str, old: &str, new: &str) -> DbResult<D1PreparedStatement> {
    statement(db, "UPDATE apikey SET api_key = ?3 WHERE id = ?1 AND api_key = ?2", &[text(id), text(old), text(new)])
}
