//! `/health` (no I/O: the runtime's floor) and `/health_check` (also asks D1).

use super::error::ApiResult;
use super::json;
use crate::edge::http::Params;
use crate::edge::http::Req;
use crate::service::Services;
use serde_json::json;
use worker::Response;

pub fn health() -> ApiResult<Response> {
    json(200, &json!({ "status": "ok" }))
}

pub async fn health_check(_: &mut Req, services: &Services, _: &Params<'_>) -> ApiResult<Response> {
    let db_ok = crate::db::first::<serde_json::Value>(services.db.prepare("SELECT 1 AS one")).await.is_ok();
    let status = if db_ok { "ok" } else { "error" };
    json(if db_ok { 200 } else { 503 }, &json!({ "status": status, "chat": "ok", "db": status }))
}
