//! `/api/v1/api_key/...`: the caller's API keys, and their store key (Langflow §5).

use crate::core::{ids, secret_key, time};
use crate::db::{self, api_keys};
use crate::edge::auth::{self, api_key_hash};
use crate::edge::http::{self, random_bytes, Req, SMALL_BODY_LIMIT};
use crate::edge::routes::users::path_uuid;
use crate::edge::{cookies, App};
use crate::error::{ApiError, ApiResult};
use serde_json::json;
use worker::Response;

/// `sk-` + 43 url-safe characters, as Langflow's `"sk-" + secrets.token_urlsafe(32)`.
fn new_plaintext_key() -> ApiResult<String> {
    Ok(format!("sk-{}", secret_key::generate_secret(random_bytes::<32>()?)))
}

/// Langflow shows the first 8 characters and stars for the rest.
fn masked(plaintext: &str) -> String {
    let shown: String = plaintext.chars().take(8).collect();
    let hidden = plaintext.chars().count().saturating_sub(8);
    format!("{shown}{}", "*".repeat(hidden))
}

/// A stored key as listings show it: masked. A key that no longer decrypts (a secret removed
/// too early) still lists, fully masked.
pub fn masked_key(app: &App, key: &api_keys::ApiKey, now_secs: i64) -> String {
    let shown = app
        .state
        .fernet
        .decrypt(&key.api_key, now_secs.max(0) as u64, None)
        .ok()
        .and_then(|p| String::from_utf8(p).ok());
    shown.as_deref().map_or_else(|| "*".repeat(46), masked)
}

pub const NAME_MAX_CHARS: usize = 255;

pub fn check_name(name: Option<&str>) -> ApiResult<()> {
    if name.is_some_and(|n| n.chars().count() > NAME_MAX_CHARS) {
        return Err(ApiError::bad_request("API key name must be at most 255 characters long."));
    }
    Ok(())
}

/// A new key for `user_id` (the API and the API keys page): its id and its plaintext, which is
/// shown once and stored only encrypted and hashed.
pub async fn create_key(
    app: &App,
    user_id: &str,
    name: Option<&str>,
    expires_at: Option<&str>,
    now_secs: i64,
) -> ApiResult<(String, String)> {
    let plaintext = new_plaintext_key()?;
    let id = ids::uuid_v4(random_bytes::<16>()?);
    api_keys::insert(
        &app.db,
        &api_keys::NewApiKey {
            id: &id,
            name,
            created_at: &time::iso_seconds(now_secs),
            expires_at,
            ciphertext: &app.state.encrypt(&plaintext, now_secs)?,
            hash: &api_key_hash(&plaintext),
            user_id,
        },
    )
    .await?;
    Ok((id, plaintext))
}

/// POST /api/v1/api_key/ — 200 (not 201, as Langflow) with the plaintext key, shown only here.
pub async fn create(req: &mut Req, app: &App) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let name = body.optional_str("name")?.map(str::to_string);
    check_name(name.as_deref())?;
    let expires_at = body.optional_datetime("expires_at")?.map(time::iso_seconds);
    let (id, plaintext) =
        create_key(app, &principal.user.id, name.as_deref(), expires_at.as_deref(), req.now_secs()).await?;
    http::json(
        200,
        &json!({
            "id": id, "name": name, "api_key": plaintext, "user_id": principal.user.id, "is_active": true,
            "total_uses": 0, "last_used_at": null, "expires_at": expires_at,
        }),
    )
}

/// GET /api/v1/api_key/ — the caller's keys, masked.
pub async fn list(req: &mut Req, app: &App) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let keys = api_keys::list_for_user(&app.db, &principal.user.id).await?;
    let listed: Vec<_> = keys
        .iter()
        .map(|k| {
            json!({
                "name": k.name, "last_used_at": k.last_used_at, "total_uses": k.total_uses, "is_active": k.is_active != 0,
                "expires_at": k.expires_at, "id": k.id, "api_key": masked_key(app, k, req.now_secs()),
                "user_id": k.user_id, "created_at": k.created_at,
            })
        })
        .collect();
    http::json(200, &json!({ "total_count": listed.len(), "user_id": principal.user.id, "api_keys": listed }))
}

/// DELETE /api/v1/api_key/{id} — someone else's key gets the same answer as an unknown one.
pub async fn delete(req: &mut Req, app: &App, id: &str) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let id = path_uuid(id, "api_key_id")?;
    if !api_keys::delete_for_user(&app.db, &id, &principal.user.id).await? {
        return Err(ApiError::bad_request("API Key not found"));
    }
    http::json(200, &json!({ "detail": "API Key deleted" }))
}

/// POST /api/v1/api_key/store — the user's Langflow Store key, kept Fernet-encrypted.
pub async fn save_store_key(req: &mut Req, app: &App) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let key = body.required_str("api_key")?;
    if key.is_empty() {
        return Err(ApiError::bad_request("API key cannot be empty."));
    }
    let token = app.state.encrypt(key, req.now_secs())?;
    db::batch(&app.db, vec![db::users::set_store_api_key(&app.db, &principal.user.id, &token)?]).await?;
    let mut response = http::json(200, &json!({ "detail": "API Key saved" }))?;
    http::set_cookie(&mut response, &cookies::store_key(&app.state.settings.cookies, Some(&token)));
    Ok(response)
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
