//! `/health` (no I/O: the runtime's floor) and `/health_check` (also asks D1).

use crate::edge::http::{self};
use crate::error::ApiResult;
use serde_json::json;
use worker::{D1Database, Response};

pub fn health() -> ApiResult<Response> {
    http::json(200, &json!({ "status": "ok" }))
}

pub async fn health_check(db: &D1Database) -> ApiResult<Response> {
    let db_ok = crate::db::first::<serde_json::Value>(db.prepare("SELECT 1 AS one")).await.is_ok();
    let status = if db_ok { "ok" } else { "error" };
    http::json(if db_ok { 200 } else { 503 }, &json!({ "status": status, "chat": "ok", "db": status }))
}
