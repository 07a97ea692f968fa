//! `GET /api/v1/audits`: the security audit log for superusers, in the shape of Langflow 1.13's
//! audit feed (`{items, next_cursor, total}`, its item fields, its strict query string), with
//! our events (`service::audit`) as `source: "authz"`, `kind: "action"` items. Each item also
//! carries `client_ip`, `user_agent` and `actor_name`, which Langflow's items do not have.

use super::error::{ApiError, ApiResult};
use super::{caller, json};
use crate::core::audit_query;
use crate::core::time;
use crate::edge::http::{Params, Req};
use crate::service::audit::{self, AuditEvent};
use crate::service::Services;
use serde_json::{json, Value};
use worker::Response;

fn item(event: &AuditEvent) -> Value {
    let details = event.details.as_deref().and_then(|d| serde_json::from_str::<Value>(d).ok());
    json!({
        "id": event.id, "timestamp": time::iso_micros(event.timestamp), "source": "authz", "kind": "action",
        "action": event.action, "resource_type": event.resource_type, "resource_id": event.resource_id,
        "resource_name": event.resource_name, "result": event.result, "user_id": event.user_id,
        "actor_type": event.actor_type, "actor_id": event.actor_id,
        "actor": {
            "type": event.actor_type, "id": event.actor_id, "user_id": event.user_id,
            "acting_issuer": null, "acting_subject": null,
        },
        "operation": null, "error_code": event.error_code, "request_id": null, "details": details,
        "client_ip": event.client_ip, "user_agent": event.user_agent, "actor_name": event.actor_name,
    })
}

/// GET /api/v1/audits — newest first; filters `user_id`, `actor_id`, `action`, `result`, `since`,
/// `until`; pages by `cursor` (or `offset`) and `limit`; `include_total=true` adds a count.
pub async fn list(req: &mut Req, services: &Services, _: &Params<'_>) -> ApiResult<Response> {
    let principal = caller(req, services).await?;
    let admin = principal.as_superuser()?;
    let query = audit_query::parse(&req.query, &audit::actions()).map_err(ApiError::bad_request)?;
    let page = audit::list(services, &admin, &query).await?;
    let items: Vec<Value> = page.items.iter().map(item).collect();
    json(200, &json!({ "items": items, "next_cursor": page.next_cursor, "total": page.total }))
}
