//! Table `flow` (Langflow's). Strictly owner-scoped: every query names the owner, so another
//! user's flow is simply not found (superusers included).

use super::{batch, changes, int, is_unique_violation, opt_text, statement, text};
use crate::error::{ApiError, ApiResult};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

pub const COLUMNS: &str =
    "id, name, description, icon, icon_bg_color, gradient, data, is_component, updated_at, webhook, \
     endpoint_name, tags, locked, mcp_enabled, action_name, action_description, access_type, flow_type, a2a_enabled, \
     a2a_card_overrides, user_id, folder_id, workspace_id, version_token";

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Flow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub icon: Option<String>,
    pub icon_bg_color: Option<String>,
    pub gradient: Option<String>,
    /// JSON text.
    pub data: Option<String>,
    pub is_component: Option<i64>,
    pub updated_at: Option<String>,
    pub webhook: Option<i64>,
    pub endpoint_name: Option<String>,
    /// JSON text (a list).
    pub tags: Option<String>,
    pub locked: Option<i64>,
    pub mcp_enabled: Option<i64>,
    pub action_name: Option<String>,
    pub action_description: Option<String>,
    pub access_type: String,
    pub flow_type: String,
    pub a2a_enabled: Option<i64>,
    /// JSON text.
    pub a2a_card_overrides: Option<String>,
    pub user_id: Option<String>,
    pub folder_id: Option<String>,
    pub workspace_id: Option<String>,
    pub version_token: Option<String>,
}

fn opt_int(value: Option<i64>) -> JsValue {
    value.map_or(JsValue::NULL, int)
}

fn args(flow: &Flow) -> Vec<JsValue> {
    vec![
        text(&flow.id),
        text(&flow.name),
        opt_text(flow.description.as_deref()),
        opt_text(flow.icon.as_deref()),
        opt_text(flow.icon_bg_color.as_deref()),
        opt_text(flow.gradient.as_deref()),
        opt_text(flow.data.as_deref()),
        opt_int(flow.is_component),
        opt_text(flow.updated_at.as_deref()),
        opt_int(flow.webhook),
        opt_text(flow.endpoint_name.as_deref()),
        opt_text(flow.tags.as_deref()),
        opt_int(flow.locked),
        opt_int(flow.mcp_enabled),
        opt_text(flow.action_name.as_deref()),
        opt_text(flow.action_description.as_deref()),
        text(&flow.access_type),
        text(&flow.flow_type),
        opt_int(flow.a2a_enabled),
        opt_text(flow.a2a_card_overrides.as_deref()),
        opt_text(flow.user_id.as_deref()),
        opt_text(flow.folder_id.as_deref()),
        opt_text(flow.workspace_id.as_deref()),
        opt_text(flow.version_token.as_deref()),
    ]
}

fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
}

#[derive(Debug)]
pub enum FlowWriteError {
    NameTaken,
    EndpointTaken,
    Db(ApiError),
}

fn write_error(err: worker::Error) -> FlowWriteError {
    let message = err.to_string();
    if is_unique_violation(&err) && message.contains("endpoint_name") {
        FlowWriteError::EndpointTaken
    } else if is_unique_violation(&err) {
        FlowWriteError::NameTaken
    } else {
        FlowWriteError::Db(err.into())
    }
}

pub async fn insert(db: &D1Database, flow: &Flow) -> Result<(), FlowWriteError> {
    let sql = format!("INSERT INTO flow ({COLUMNS}) VALUES ({})", placeholders(24));
    super::run(statement(db, &sql, &args(flow)).map_err(FlowWriteError::Db)?).await.map_err(write_error)?;
    Ok(())
}

/// Writes every column of an owned flow; the owner in the WHERE clause keeps it owner-scoped.
pub async fn update(db: &D1Database, flow: &Flow, owner: &str) -> Result<bool, FlowWriteError> {
    let assignments: Vec<String> =
        COLUMNS.split(", ").enumerate().skip(1).map(|(i, c)| format!("{c} = ?{}", i + 1)).collect();
    let sql = format!("UPDATE flow SET {} WHERE id = ?1 AND user_id = ?25", assignments.join(", "));
    let mut values = args(flow);
    values.push(text(owner));
    let result = super::run(statement(db, &sql, &values).map_err(FlowWriteError::Db)?).await.map_err(write_error)?;
    Ok(changes(&result) == 1)
}

pub async fn find_owned(db: &D1Database, id: &str, owner: &str) -> ApiResult<Option<Flow>> {
    super::first(statement(
        db,
        &format!("SELECT {COLUMNS} FROM flow WHERE id = ?1 AND user_id = ?2"),
        &[text(id), text(owner)],
    )?)
    .await
}

/// The owner's flows by name; without `data` when `with_data` is false (lists that show names
/// need not read and decode up to 1.9 MB per flow).
pub async fn list_owned(
    db: &D1Database,
    owner: &str,
    folder_id: Option<&str>,
    with_data: bool,
) -> ApiResult<Vec<Flow>> {
    let sql = if with_data { LIST_WITH_DATA } else { LIST_WITHOUT_DATA };
    super::all(statement(db, sql, &[text(owner), opt_text(folder_id)])?).await
}

const LIST_WITH_DATA: &str = "SELECT id, name, description, icon, icon_bg_color, gradient, data, is_component, \
     updated_at, webhook, endpoint_name, tags, locked, mcp_enabled, action_name, action_description, access_type, \
     flow_type, a2a_enabled, a2a_card_overrides, user_id, folder_id, workspace_id, version_token \
     FROM flow WHERE user_id = ?1 AND (?2 IS NULL OR folder_id = ?2) ORDER BY name";
const LIST_WITHOUT_DATA: &str = "SELECT id, name, description, icon, icon_bg_color, gradient, NULL AS data, \
     is_component, updated_at, webhook, endpoint_name, tags, locked, mcp_enabled, action_name, action_description, \
     access_type, flow_type, a2a_enabled, a2a_card_overrides, user_id, folder_id, workspace_id, version_token \
     FROM flow WHERE user_id = ?1 AND (?2 IS NULL OR folder_id = ?2) ORDER BY name";

pub async fn delete_owned(db: &D1Database, id: &str, owner: &str) -> ApiResult<bool> {
    let result =
        super::run(statement(db, "DELETE FROM flow WHERE id = ?1 AND user_id = ?2", &[text(id), text(owner)])?).await?;
    Ok(changes(&result) == 1)
}

/// The owner's names and endpoint names that could clash with `name` / `endpoint`: the name
/// itself and `name (…)` (for `name (n)`), the endpoint itself and `endpoint-…`.
///
/// Prefixes are matched as ranges (`p (` <= name < `p )`, bytewise), not with LIKE: D1 caps LIKE
/// patterns at 50 bytes ("LIKE or GLOB pattern too complex"), which made longer names a 500.
pub async fn taken_names(
    db: &D1Database,
    owner: &str,
    name: &str,
    endpoint: Option<&str>,
) -> ApiResult<(Vec<String>, Vec<String>)> {
    #[derive(Deserialize)]
    struct Name {
        name: Option<String>,
    }
    let results = batch(
        db,
        vec![
            statement(
                db,
                "SELECT name FROM flow WHERE user_id = ?1 AND (name = ?2 OR (name >= ?3 AND name < ?4))",
                &[text(owner), text(name), text(&format!("{name} (")), text(&format!("{name} )"))],
            )?,
            statement(
                db,
                "SELECT endpoint_name AS name FROM flow WHERE user_id = ?1 AND ?2 IS NOT NULL \
                 AND (endpoint_name = ?2 OR (endpoint_name >= ?3 AND endpoint_name < ?4))",
                &[
                    text(owner),
                    opt_text(endpoint),
                    opt_text(endpoint.map(|e| format!("{e}-")).as_deref()),
                    opt_text(endpoint.map(|e| format!("{e}.")).as_deref()),
                ],
            )?,
        ],
    )
    .await?;
    let names = |i: usize| -> ApiResult<Vec<String>> {
        let rows: Vec<Name> = results.get(i).map(|r| r.results()).transpose()?.unwrap_or_default();
        Ok(rows.into_iter().filter_map(|r| r.name).collect())
    };
    Ok((names(0)?, names(1)?))
}

/// A flow is stored only if it fits in a D1 row (2,000,000 bytes), with room for its other columns.
pub const MAX_FLOW_ROW_BYTES: usize = 1_900_000;

pub fn row_size(flow: &Flow) -> usize {
    let len = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    flow.name.len()
        + len(&flow.description)
        + len(&flow.data)
        + len(&flow.tags)
        + len(&flow.a2a_card_overrides)
        + len(&flow.action_description)
        + 512
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_queries_read_every_column() {
        let normalize = |sql: &str| sql.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(normalize(LIST_WITH_DATA).starts_with(&format!("SELECT {} FROM", normalize(COLUMNS))));
        let without = normalize(COLUMNS).replace(" data,", " NULL AS data,");
        assert!(normalize(LIST_WITHOUT_DATA).starts_with(&format!("SELECT {without} FROM")));
    }
}
