//! `/api/v1/sessions`: the caller's live sessions, and ending them (`service::sessions`). Not a
//! Langflow route (Langflow 1.13 answers 404 here); ours, as the session rows are (deviation 1).

use super::error::ApiResult;
use super::{caller, json, path_id};
use crate::core::ids::SessionId;
use crate::core::time;
use crate::edge::http::{Params, Req};
use crate::service::sessions;
use crate::service::Services;
use serde_json::json;
use worker::Response;

/// GET /api/v1/sessions — most recently used first; `current` marks the one asking.
pub async fn list(req: &mut Req, services: &Services, _: &Params<'_>) -> ApiResult<Response> {
    let principal = caller(req, services).await?;
    let found = sessions::list(services, &req.call(), &principal).await?;
    let listed: Vec<_> = found
        .iter()
        .map(|s| {
            json!({
                "id": s.id, "created_at": time::iso_seconds(s.created_at),
                "last_used_at": s.last_used_at.map(time::iso_seconds), "client_ip": s.client_ip,
                "user_agent": s.user_agent, "current": principal.session_id.as_ref() == Some(&s.id),
            })
        })
        .collect();
    json(200, &json!({ "total_count": listed.len(), "sessions": listed }))
}

/// DELETE /api/v1/sessions — ends every session of the caller except the one asking (all of them
/// when the caller uses an API key).
pub async fn end_others(req: &mut Req, services: &Services, _: &Params<'_>) -> ApiResult<Response> {
    let principal = caller(req, services).await?;
    let ended = sessions::end_others(services, &req.call(), &principal).await?;
    json(200, &json!({ "detail": "Other sessions ended", "ended": ended }))
}

/// DELETE /api/v1/sessions/{session_id} — ends one of the caller's sessions.
pub async fn end(req: &mut Req, services: &Services, params: &Params<'_>) -> ApiResult<Response> {
    let principal = caller(req, services).await?;
    let id = path_id(params, "session_id", SessionId::parse)?;
    sessions::end(services, &req.call(), &principal, &id).await?;
    json(200, &json!({ "detail": "Session ended" }))
}
