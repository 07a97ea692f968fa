//! D1 access, one module per table. Every query is a prepared statement with bound parameters.

pub mod api_keys;
pub mod app_secrets;
pub mod flows;
pub mod login_attempts;
pub mod sessions;
pub mod users;
pub mod variables;

use crate::error::{ApiError, ApiResult};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

pub fn database(env: &Env) -> ApiResult<D1Database> {
    env.d1("DB").map_err(|_| {
        ApiError::internal("the D1 binding `DB` is missing: add [[d1_databases]] binding = \"DB\" to wrangler.toml")
    })
}

pub fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

pub fn opt_text(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// D1 numbers are JS numbers: exact up to 2^53, far beyond any timestamp or counter here.
pub fn int(value: i64) -> JsValue {
    JsValue::from_f64(value as f64)
}

pub fn boolean(value: bool) -> JsValue {
    int(i64::from(value))
}

pub fn statement(db: &D1Database, sql: &str, args: &[JsValue]) -> ApiResult<D1PreparedStatement> {
    Ok(db.prepare(sql).bind(args)?)
}

pub fn is_unique_violation(err: &worker::Error) -> bool {
    err.to_string().contains("UNIQUE constraint failed")
}

pub fn changes(result: &D1Result) -> usize {
    result.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0)
}

/// Runs statements atomically (D1 batches are one transaction).
pub async fn batch(db: &D1Database, statements: Vec<D1PreparedStatement>) -> ApiResult<Vec<D1Result>> {
    db.batch(statements).await.map_err(ApiError::from)
}

/// Runs a batch and returns how many rows it changed in all.
pub async fn batch_changes(db: &D1Database, statements: Vec<D1PreparedStatement>) -> ApiResult<usize> {
    if statements.is_empty() {
        return Ok(0);
    }
    Ok(batch(db, statements).await?.iter().map(changes).sum())
}
