//! A person's API keys (Langflow §5) and their Langflow Store key. A key's plaintext is shown
//! once, at creation; it is stored Fernet-encrypted and found by its SHA-256.

use super::audit::{self, Event, Record};
use super::auth::{api_key_hash, Principal};
use super::{failure_variant, random_bytes, session_cache, Call, Failure, Services};
use crate::core::ids::ApiKeyId;
use crate::core::{secret_key, time};
use crate::db::{self, api_keys};

pub use crate::db::api_keys::ApiKey;

pub const NAME_MAX_CHARS: usize = 255;

#[derive(Debug)]
pub enum ApiKeyError {
    NameTooLong,
    NotFound,
    StoreKeyEmpty,
    Failed(Failure),
}
failure_variant!(ApiKeyError);

/// A key just made: its id and its plaintext, shown this once.
pub struct CreatedKey {
    pub id: ApiKeyId,
    pub plaintext: String,
    /// As stored: whole seconds, UTC.
    pub expires_at: Option<String>,
}

/// `sk-` + 43 url-safe characters, as Langflow's `"sk-" + secrets.token_urlsafe(32)`.
fn new_plaintext_key() -> Result<String, Failure> {
    Ok(format!("sk-{}", secret_key::generate_secret(random_bytes::<32>()?)))
}

/// Langflow shows the first 8 characters and stars for the rest.
fn masked(plaintext: &str) -> String {
    let shown: String = plaintext.chars().take(8).collect();
    let hidden = plaintext.chars().count().saturating_sub(8);
    format!("{shown}{}", "*".repeat(hidden))
}

pub fn check_name(name: Option<&str>) -> Result<(), ApiKeyError> {
    if name.is_some_and(|n| n.chars().count() > NAME_MAX_CHARS) {
        return Err(ApiKeyError::NameTooLong);
    }
    Ok(())
}

/// A new key for `owner`, expiring at `expires_at` (Unix seconds) if given.
pub async fn create(
    services: &Services,
    call: &Call,
    owner: &Principal,
    name: Option<&str>,
    expires_at: Option<i64>,
) -> Result<CreatedKey, ApiKeyError> {
    check_name(name)?;
    let now = call.now_secs();
    let plaintext = new_plaintext_key()?;
    let id = ApiKeyId::random(random_bytes::<16>()?);
    let expires_at = expires_at.map(time::iso_seconds);
    api_keys::insert(
        &services.db,
        &api_keys::NewApiKey {
            id: &id,
            name,
            created_at: &time::iso_seconds(now),
            expires_at: expires_at.as_deref(),
            ciphertext: &services.state.encrypt(&plaintext, now)?,
            hash: &api_key_hash(&plaintext),
            user_id: &owner.user.id,
        },
    )
    .await?;
    let record = Record::new(Event::ApiKeyCreated).by(owner).about(&owner.user);
    audit::record(services, call, record.resource("api_key", Some(id.as_str()), name));
    Ok(CreatedKey { id, plaintext, expires_at })
}

/// A stored key as listings show it.
pub struct ListedKey {
    pub key: ApiKey,
    /// The first characters and stars; all stars for a key that no longer decrypts (a secret
    /// removed too early), which still lists.
    pub masked: String,
}

pub async fn list(services: &Services, call: &Call, owner: &Principal) -> Result<Vec<ListedKey>, Failure> {
    let keys = api_keys::list_for_user(&services.db, &owner.user.id).await?;
    let now = call.now_secs().max(0) as u64;
    Ok(keys
        .into_iter()
        .map(|key| {
            let shown =
                services.state.fernet.decrypt(&key.api_key, now, None).ok().and_then(|p| String::from_utf8(p).ok());
            let masked = shown.as_deref().map_or_else(|| "*".repeat(46), masked);
            ListedKey { key, masked }
        })
        .collect())
}

/// Someone else's key gets the same answer as an unknown one.
pub async fn delete(services: &Services, call: &Call, owner: &Principal, id: &ApiKeyId) -> Result<(), ApiKeyError> {
    let key = api_keys::delete_for_user(&services.db, id, &owner.user.id).await?.ok_or(ApiKeyError::NotFound)?;
    session_cache::forget_api_key(id);
    let record = Record::new(Event::ApiKeyDeleted).by(owner).about(&owner.user);
    audit::record(services, call, record.resource("api_key", Some(id.as_str()), key.name.as_deref()));
    Ok(())
}

/// Stores the owner's Langflow Store key Fernet-encrypted and returns the stored token.
pub async fn save_store_key(
    services: &Services,
    call: &Call,
    owner: &Principal,
    key: &str,
) -> Result<String, ApiKeyError> {
    if key.is_empty() {
        return Err(ApiKeyError::StoreKeyEmpty);
    }
    let token = services.state.encrypt(key, call.now_secs())?;
    db::batch(&services.db, vec![db::users::set_store_api_key(&services.db, &owner.user.id, &token)?]).await?;
    session_cache::forget_user(&owner.user.id);
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn masks_like_langflow() {
        let key = "sk-_SAZLabcdefghijklmnopqrstuvwxyz0123456789AB";
        assert_eq!(key.len(), 46);
        assert_eq!(masked(key), format!("sk-_SAZL{}", "*".repeat(38)));
    }
}
