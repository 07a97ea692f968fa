//! `/api/v1/sessions`: the caller's live sessions, and ending them (`service::sessions`). Not a
//! Langflow route (Langflow 1.13 answers 404 here); ours, as the session rows are (deviation 1).

use super::error::ApiResult;
use super::{json, path_id};
use crate::core::ids::SessionId;
use crate::edge::http::{self, Params, Req};
use crate::service::auth::Principal;
use crate::service::sessions;
use crate::service::Services;
use serde::Serialize;
use worker::Response;

#[derive(Serialize)]
struct Ended {
    detail: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended: Option<usize>,
}

/// GET /api/v1/sessions — most recently used first; `current` marks the one asking.
pub async fn list(req: &mut Req, services: &Services, principal: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    let found = sessions::list(services, &req.call(), principal).await?;
    // Each session is a JSON object already (written by SQLite).
    let body = format!(r#"{{"total_count":{},"sessions":[{}]}}"#, found.len(), found.join(","));
    Ok(http::json_response(200, body))
}

/// DELETE /api/v1/sessions — ends every session of the caller except the one asking (all of them
/// when the caller uses an API key).
pub async fn end_others(
    req: &mut Req,
    services: &Services,
    principal: &Principal,
    _: &Params<'_>,
) -> ApiResult<Response> {
    let ended = sessions::end_others(services, &req.call(), principal).await?;
    json(200, &Ended { detail: "Other sessions ended", ended: Some(ended) })
}

/// DELETE /api/v1/sessions/{session_id} — ends one of the caller's sessions.
pub async fn end(
    req: &mut Req,
    services: &Services,
    principal: &Principal,
    params: &Params<'_>,
) -> ApiResult<Response> {
    let id = path_id(params, "session_id", SessionId::parse)?;
    sessions::end(services, &req.call(), principal, &id).await?;
    json(200, &Ended { detail: "Session ended", ended: None })
}
