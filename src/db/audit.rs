//! Table `audit_log`: security events (`service::audit`). Rows are only added, read by
//! superusers, and deleted when older than the retention.

use super::DbResult;
use super::{int, opt_text, statement, text};
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

/// A row to add; the edge's facts (time, address, browser) and what the service says happened.
pub struct NewEvent<'a> {
    pub id: &'a str,
    pub timestamp_ms: i64,
    pub action: &'a str,
    pub result: &'a str,
    pub error_code: Option<&'a str>,
    pub actor_type: &'a str,
    pub actor_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub resource_type: &'a str,
    pub resource_id: Option<&'a str>,
    pub resource_name: Option<&'a str>,
    pub client_ip: &'a str,
    pub user_agent: &'a str,
    pub details: Option<&'a str>,
}

pub fn insert(db: &D1Database, e: &NewEvent) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT INTO audit_log (id, timestamp, action, result, error_code, actor_type, actor_id, user_id, \
         resource_type, resource_id, resource_name, client_ip, user_agent, details) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        &[
            text(e.id),
            int(e.timestamp_ms),
            text(e.action),
            text(e.result),
            opt_text(e.error_code),
            text(e.actor_type),
            opt_text(e.actor_id),
            opt_text(e.user_id),
            text(e.resource_type),
            opt_text(e.resource_id),
            opt_text(e.resource_name),
            opt_text(Some(e.client_ip).filter(|s| !s.is_empty())),
            opt_text(Some(e.user_agent).filter(|s| !s.is_empty())),
            opt_text(e.details),
        ],
    )
}

/// A stored event as Langflow 1.13's audit feed item (`AuditFeedItem`), JSON written by SQLite
/// itself, plus `client_ip`, `user_agent` and `actor_name` (the actor's current username).
/// Building the JSON in the query keeps a sixteen-field row type and its serde code out of the
/// wasm: the API passes the text through, the admin page reads it as a `serde_json::Value`.
#[derive(Debug, Clone, Deserialize)]
pub struct FeedRow {
    /// Write order; the page cursor.
    pub seq: i64,
    pub item: String,
}

const ITEM: &str = "json_object('id', a.id, \
     'timestamp', strftime('%Y-%m-%dT%H:%M:%S', a.timestamp / 1000, 'unixepoch') || printf('.%03d000Z', a.timestamp % 1000), \
     'source', 'authz', 'kind', 'action', 'action', a.action, 'resource_type', a.resource_type, \
     'resource_id', a.resource_id, 'resource_name', a.resource_name, 'result', a.result, 'user_id', a.user_id, \
     'actor_type', a.actor_type, 'actor_id', a.actor_id, \
     'actor', json_object('type', a.actor_type, 'id', a.actor_id, 'user_id', a.user_id, 'acting_issuer', NULL, \
       'acting_subject', NULL), \
     'operation', NULL, 'error_code', a.error_code, 'request_id', NULL, 'details', CASE WHEN json_valid(a.details) THEN json(a.details) END, \
     'client_ip', a.client_ip, 'user_agent', a.user_agent, 'actor_name', u.username)";

/// What a listing keeps; `None` keeps everything. Lists are JSON arrays of text (bound as one
/// parameter and read with `json_each`, so the statement stays the same whatever is chosen).
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub user_id: Option<String>,
    pub actor_id: Option<String>,
    pub actions_json: Option<String>,
    pub results_json: Option<String>,
    /// Unix milliseconds, inclusive.
    pub since_ms: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub until_ms: Option<i64>,
}

const WHERE: &str = "WHERE (?1 IS NULL OR a.user_id = ?1) AND (?2 IS NULL OR a.actor_id = ?2) \
     AND (?3 IS NULL OR a.action IN (SELECT value FROM json_each(?3))) \
     AND (?4 IS NULL OR a.result IN (SELECT value FROM json_each(?4))) \
     AND (?5 IS NULL OR a.timestamp >= ?5) AND (?6 IS NULL OR a.timestamp < ?6)";

fn filter_args(filter: &Filter) -> Vec<wasm_bindgen::JsValue> {
    vec![
        opt_text(filter.user_id.as_deref()),
        opt_text(filter.actor_id.as_deref()),
        opt_text(filter.actions_json.as_deref()),
        opt_text(filter.results_json.as_deref()),
        filter.since_ms.map_or(wasm_bindgen::JsValue::NULL, int),
        filter.until_ms.map_or(wasm_bindgen::JsValue::NULL, int),
    ]
}

/// Newest first: `limit` events written before `before_seq` (a cursor), after skipping `offset`.
pub async fn list(
    db: &D1Database,
    filter: &Filter,
    before_seq: Option<i64>,
    offset: i64,
    limit: i64,
) -> DbResult<Vec<FeedRow>> {
    let sql = format!(
        "SELECT a.seq, {ITEM} AS item FROM audit_log a LEFT JOIN \"user\" u ON u.id = a.actor_id \
         {WHERE} AND (?7 IS NULL OR a.seq < ?7) ORDER BY a.seq DESC LIMIT ?8 OFFSET ?9"
    );
    let mut args = filter_args(filter);
    args.extend([before_seq.map_or(wasm_bindgen::JsValue::NULL, int), int(limit), int(offset)]);
    super::all(statement(db, &sql, &args)?).await
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

pub async fn count(db: &D1Database, filter: &Filter) -> DbResult<i64> {
    let sql = format!("SELECT COUNT(*) AS n FROM audit_log a {WHERE}");
    Ok(super::first::<Count>(statement(db, &sql, &filter_args(filter))?).await?.map_or(0, |c| c.n))
}

/// Events written before `cutoff_ms` are past the retention.
pub fn purge_before(db: &D1Database, cutoff_ms: i64) -> DbResult<D1PreparedStatement> {
    statement(db, "DELETE FROM audit_log WHERE timestamp < ?1", &[int(cutoff_ms)])
}
