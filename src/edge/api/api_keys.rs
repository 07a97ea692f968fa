//! `/api/v1/api_key/...`: the caller's API keys, and their store key (Langflow §5).

use super::error::ApiResult;
use super::{json, path_id};
use crate::core::ids::ApiKeyId;
use crate::edge::cookies;
use crate::edge::http::Params;
use crate::edge::http::{self, Req, SMALL_BODY_LIMIT};
use crate::service::api_keys;
use crate::service::auth::Principal;
use crate::service::Services;
use serde_json::json;
use worker::Response;

/// POST /api/v1/api_key/ — 200 (not 201, as Langflow) with the plaintext key, shown only here.
pub async fn create(req: &mut Req, services: &Services, principal: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let name = body.optional_str("name")?;
    api_keys::check_name(name)?;
    let expires_at = body.optional_datetime("expires_at")?;
    let created = api_keys::create(services, &req.call(), principal, name, expires_at).await?;
    json(
        200,
        &json!({
            "id": created.id, "name": name, "api_key": created.plaintext, "user_id": principal.user.id,
            "is_active": true, "total_uses": 0, "last_used_at": null, "expires_at": created.expires_at,
        }),
    )
}

/// GET /api/v1/api_key/ — the caller's keys, masked.
pub async fn list(req: &mut Req, services: &Services, principal: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    let keys = api_keys::list(services, &req.call(), principal).await?;
    let listed: Vec<_> = keys
        .iter()
        .map(|listed| {
            let k = &listed.key;
            json!({
                "name": k.name, "last_used_at": k.last_used_at, "total_uses": k.total_uses, "is_active": k.is_active != 0,
                "expires_at": k.expires_at, "id": k.id, "api_key": listed.masked,
                "user_id": k.user_id, "created_at": k.created_at,
            })
        })
        .collect();
    json(200, &json!({ "total_count": listed.len(), "user_id": principal.user.id, "api_keys": listed }))
}

/// DELETE /api/v1/api_key/{id} — someone else's key gets the same answer as an unknown one.
pub async fn delete(
    req: &mut Req,
    services: &Services,
    principal: &Principal,
    params: &Params<'_>,
) -> ApiResult<Response> {
    let id = path_id(params, "api_key_id", ApiKeyId::parse)?;
    api_keys::delete(services, &req.call(), principal, &id).await?;
    json(200, &json!({ "detail": "API Key deleted" }))
}

/// POST /api/v1/api_key/store — the user's Langflow Store key, kept Fernet-encrypted.
pub async fn save_store_key(
    req: &mut Req,
    services: &Services,
    principal: &Principal,
    _: &Params<'_>,
) -> ApiResult<Response> {
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let token = api_keys::save_store_key(services, &req.call(), principal, body.required_str("api_key")?).await?;
    let mut response = json(200, &json!({ "detail": "API Key saved" }))?;
    http::set_cookie(&mut response, &cookies::store_key(&services.settings().cookies, Some(&token)));
    Ok(response)
}
