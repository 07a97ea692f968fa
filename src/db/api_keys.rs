//! Table `apikey` (Langflow's): the key is stored Fernet-encrypted, and found by the hex SHA-256
//! of its plaintext.

use super::users::{User, COLUMNS};
use super::{statement, text};
use crate::error::ApiResult;
use serde::Deserialize;
use worker::D1Database;

#[derive(Debug, Clone, Deserialize)]
pub struct KeyWithOwner {
    pub key_id: String,
    pub key_is_active: i64,
    pub key_expires_at: Option<String>,
    #[serde(flatten)]
    pub user: User,
}

/// The key (and its owner) whose hash is `hash`; one query.
pub async fn find_by_hash(db: &D1Database, hash: &str) -> ApiResult<Option<KeyWithOwner>> {
    let user_columns: String = COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT k.id AS key_id, k.is_active AS key_is_active, k.expires_at AS key_expires_at, {user_columns} \
         FROM apikey k JOIN \"user\" u ON u.id = k.user_id WHERE k.api_key_hash = ?1"
    );
    Ok(statement(db, &sql, &[text(hash)])?.first(None).await?)
}

/// Usage counters; run after the response is sent (`wait_until`), never on the request's path.
pub async fn record_use(db: &D1Database, key_id: &str, at: &str) -> ApiResult<()> {
    statement(db, "UPDATE apikey SET total_uses = total_uses + 1, last_used_at = ?2 WHERE id = ?1", &[text(key_id), text(at)])?
        .run()
        .await?;
    Ok(())
}
