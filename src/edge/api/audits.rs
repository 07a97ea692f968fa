//! `GET /api/v1/audits`: the security audit log for superusers, in the shape of Langflow 1.13's
//! audit feed (`{items, next_cursor, total}`, its item fields, its strict query string), with
//! our events (`service::audit`) as `source: "authz"`, `kind: "action"` items. Each item also
//! carries `client_ip`, `user_agent` and `actor_name`, which Langflow's items do not have.

use super::error::{ApiError, ApiResult};
use crate::core::audit_query;
use crate::edge::http::{self, Params, Req};
use crate::service::audit;
use crate::service::auth::Principal;
use crate::service::Services;
use worker::Response;

/// GET /api/v1/audits — newest first; filters `user_id`, `actor_id`, `action`, `result`, `since`,
/// `until`; pages by `cursor` (or `offset`) and `limit`; `include_total=true` adds a count.
pub async fn list(req: &mut Req, services: &Services, principal: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    let admin = principal.as_superuser()?;
    let query = audit_query::parse(&req.query, &audit::actions()).map_err(ApiError::bad_request)?;
    let page = audit::list(services, &admin, &query).await?;
    // The items are JSON objects already (written by SQLite); the cursor is digits.
    let cursor = page.next_cursor.map_or_else(|| "null".to_string(), |c| format!("\"{c}\""));
    let total = page.total.map_or_else(|| "null".to_string(), |n| n.to_string());
    let body = format!(r#"{{"items":[{}],"next_cursor":{cursor},"total":{total}}}"#, page.items.join(","));
    Ok(http::json_response(200, body))
}
