//! D1 access, one module per table. Every query is a prepared statement with bound parameters.

pub mod api_keys;
pub mod app_secrets;
pub mod audit;
pub mod flows;
pub mod folders;
pub mod login_attempts;
pub mod oidc_identities;
pub mod sessions;
pub mod two_factor;
pub mod users;
pub mod variables;

use serde::de::DeserializeOwned;
use std::cell::Cell;
use wasm_bindgen::JsValue;
pub use worker::D1PreparedStatement;
use worker::{D1Database, D1Result, Env};

/// D1 failed: unreachable, a constraint nobody expected, a bug. The text is for the log only;
/// callers above turn it into a generic 500.
#[derive(Debug)]
pub struct DbError(pub String);

pub type DbResult<T> = Result<T, DbError>;

impl From<worker::Error> for DbError {
    fn from(err: worker::Error) -> Self {
        DbError(err.to_string())
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// D1 work done by this isolate since it started, as D1 reports it (for `make bench`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct D1Stats {
    /// Statements executed (a batch counts each of its statements).
    pub queries: u64,
    pub rows_read: u64,
    pub rows_written: u64,
}

thread_local! {
    static STATS: Cell<D1Stats> = const { Cell::new(D1Stats { queries: 0, rows_read: 0, rows_written: 0 }) };
}

pub fn stats() -> D1Stats {
    STATS.with(Cell::get)
}

fn count(result: &D1Result) {
    let meta = result.meta().ok().flatten();
    let read = meta.as_ref().and_then(|m| m.rows_read).unwrap_or(0) as u64;
    let written = meta.as_ref().and_then(|m| m.rows_written).unwrap_or(0) as u64;
    STATS.with(|s| {
        let mut stats = s.get();
        stats.queries += 1;
        stats.rows_read += read;
        stats.rows_written += written;
        s.set(stats);
    });
}

/// The first row, if any. Every read goes through here, `all` or `batch`, so it is counted.
pub async fn first<T: DeserializeOwned>(statement: D1PreparedStatement) -> DbResult<Option<T>> {
    let result = statement.all().await?;
    count(&result);
    Ok(result.results::<T>()?.into_iter().next())
}

/// The first row read twice, as two types: a joined row (session or key, and its user) without
/// `#[serde(flatten)]`, whose buffering code costs wasm size.
pub async fn first_pair<A: DeserializeOwned, B: DeserializeOwned>(
    statement: D1PreparedStatement,
) -> DbResult<Option<(A, B)>> {
    let result = statement.all().await?;
    count(&result);
    let a = result.results::<A>()?.into_iter().next();
    let b = result.results::<B>()?.into_iter().next();
    Ok(a.zip(b))
}

pub async fn all<T: DeserializeOwned>(statement: D1PreparedStatement) -> DbResult<Vec<T>> {
    let result = statement.all().await?;
    count(&result);
    Ok(result.results::<T>()?)
}

/// Runs a write. The runtime's error is kept so callers can tell a UNIQUE violation.
pub async fn run(statement: D1PreparedStatement) -> worker::Result<D1Result> {
    let result = statement.run().await?;
    count(&result);
    Ok(result)
}

pub fn database(env: &Env) -> DbResult<D1Database> {
    env.d1("DB").map_err(|_| {
        DbError("the D1 binding `DB` is missing: add [[d1_databases]] binding = \"DB\" to wrangler.toml".into())
    })
}

/// A one-column row, `name`: shared by the queries that read one text column (each row type
/// costs wasm for its own deserializer).
#[derive(serde::Deserialize)]
pub struct NameRow {
    pub name: Option<String>,
}

/// A `count(*) AS total` row, shared for the same reason.
#[derive(serde::Deserialize)]
pub struct Total {
    pub total: i64,
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

pub fn statement(db: &D1Database, sql: &str, args: &[JsValue]) -> DbResult<D1PreparedStatement> {
    Ok(db.prepare(sql).bind(args)?)
}

pub fn is_unique_violation(err: &worker::Error) -> bool {
    err.to_string().contains("UNIQUE constraint failed")
}

pub fn changes(result: &D1Result) -> usize {
    result.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0)
}

/// Runs statements atomically (D1 batches are one transaction).
pub async fn batch(db: &D1Database, statements: Vec<D1PreparedStatement>) -> DbResult<Vec<D1Result>> {
    batch_raw(db, statements).await.map_err(DbError::from)
}

/// `batch`, keeping the runtime's error so callers can tell a UNIQUE violation.
pub async fn batch_raw(db: &D1Database, statements: Vec<D1PreparedStatement>) -> worker::Result<Vec<D1Result>> {
    if statements.is_empty() {
        return Ok(Vec::new()); // D1 refuses an empty batch
    }
    let results = db.batch(statements).await?;
    results.iter().for_each(count);
    Ok(results)
}

/// Runs a batch and returns how many rows it changed in all.
pub async fn batch_changes(db: &D1Database, statements: Vec<D1PreparedStatement>) -> DbResult<usize> {
    Ok(batch(db, statements).await?.iter().map(changes).sum())
}
