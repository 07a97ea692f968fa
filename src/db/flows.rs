//! Table `flow` (Langflow's). Strictly owner-scoped: every query names the owner, so another
//! user's flow is simply not found (superusers included).

use super::{batch, changes, int, is_unique_violation, opt_text, statement, text};
use super::{DbError, DbResult};
use crate::core::ids::{FlowId, FolderId, UserId};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

/// Declares the `flow` row once: the struct, its column list (`COLUMNS`, in this order) and the
/// values bound for those columns (`values`). A new column is one line here (the importer's
/// `FLOW_COLUMNS` is checked against `COLUMNS` by a test).
macro_rules! flow_row {
    ($($(#[$doc:meta])* $column:ident: $kind:ty),* $(,)?) => {
        #[derive(Debug, Clone, Deserialize)]
        pub struct Flow {
            $($(#[$doc])* pub $column: $kind,)*
        }

        /// Every column of `flow`, in the order `Flow::values` binds them.
        pub const COLUMNS: &[&str] = &[$(stringify!($column)),*];

        impl Flow {
            fn values(&self) -> Vec<JsValue> {
                vec![$(self.$column.to_d1()),*]
            }
        }
    };
}

flow_row! {
    id: FlowId,
    name: String,
    description: Option<String>,
    icon: Option<String>,
    icon_bg_color: Option<String>,
    gradient: Option<String>,
    /// JSON text.
    data: Option<String>,
    is_component: Option<i64>,
    updated_at: Option<String>,
    webhook: Option<i64>,
    endpoint_name: Option<String>,
    /// JSON text (a list).
    tags: Option<String>,
    locked: Option<i64>,
    mcp_enabled: Option<i64>,
    action_name: Option<String>,
    action_description: Option<String>,
    access_type: String,
    flow_type: String,
    a2a_enabled: Option<i64>,
    /// JSON text.
    a2a_card_overrides: Option<String>,
    /// `None` for Langflow's starter flows, which belong to nobody.
    user_id: Option<UserId>,
    folder_id: Option<FolderId>,
    workspace_id: Option<String>,
    version_token: Option<String>,
}

/// A column value as D1 takes it.
trait ToD1 {
    fn to_d1(&self) -> JsValue;
}

impl ToD1 for String {
    fn to_d1(&self) -> JsValue {
        text(self)
    }
}

impl ToD1 for i64 {
    fn to_d1(&self) -> JsValue {
        int(*self)
    }
}

impl<T: ToD1> ToD1 for Option<T> {
    fn to_d1(&self) -> JsValue {
        self.as_ref().map_or(JsValue::NULL, ToD1::to_d1)
    }
}

macro_rules! id_to_d1 {
    ($($id:ty),*) => {$(
        impl ToD1 for $id {
            fn to_d1(&self) -> JsValue {
                text(self.as_str())
            }
        }
    )*};
}
id_to_d1!(FlowId, UserId, FolderId);

/// `SELECT` of every column, with `NULL AS data` for lists that leave the JSON out.
fn select_columns(with_data: bool) -> String {
    // Langflow's flow headers still carry a component's data (it is small, and the UI shows it).
    const COMPONENT_DATA: &str = "CASE WHEN is_component = 1 THEN data END AS data";
    let columns: Vec<&str> =
        COLUMNS.iter().map(|c| if *c == "data" && !with_data { COMPONENT_DATA } else { c }).collect();
    columns.join(", ")
}

#[derive(Debug)]
pub enum FlowWriteError {
    /// Another flow (anyone's) has the id the client chose.
    IdTaken,
    NameTaken,
    EndpointTaken,
    Db(DbError),
}

fn write_error(err: worker::Error) -> FlowWriteError {
    let message = err.to_string();
    if is_unique_violation(&err) && message.contains("flow.id") {
        FlowWriteError::IdTaken
    } else if is_unique_violation(&err) && message.contains("endpoint_name") {
        FlowWriteError::EndpointTaken
    } else if is_unique_violation(&err) {
        FlowWriteError::NameTaken
    } else {
        FlowWriteError::Db(err.into())
    }
}

pub async fn insert(db: &D1Database, flow: &Flow) -> Result<(), FlowWriteError> {
    let placeholders: Vec<String> = (1..=COLUMNS.len()).map(|i| format!("?{i}")).collect();
    let sql = format!("INSERT INTO flow ({}) VALUES ({})", COLUMNS.join(", "), placeholders.join(", "));
    super::run(statement(db, &sql, &flow.values()).map_err(FlowWriteError::Db)?).await.map_err(write_error)?;
    Ok(())
}

/// Writes every column of an owned flow; the owner in the WHERE clause keeps it owner-scoped.
pub async fn update(db: &D1Database, flow: &Flow, owner: &UserId) -> Result<bool, FlowWriteError> {
    // `id` is ?1; the owner is bound after the last column.
    let assignments: Vec<String> =
        COLUMNS.iter().enumerate().skip(1).map(|(i, c)| format!("{c} = ?{}", i + 1)).collect();
    let owner_slot = COLUMNS.len() + 1;
    let sql = format!("UPDATE flow SET {} WHERE id = ?1 AND user_id = ?{owner_slot}", assignments.join(", "));
    let mut values = flow.values();
    values.push(text(owner.as_str()));
    let result = super::run(statement(db, &sql, &values).map_err(FlowWriteError::Db)?).await.map_err(write_error)?;
    Ok(changes(&result) == 1)
}

pub async fn find_owned(db: &D1Database, id: &FlowId, owner: &UserId) -> DbResult<Option<Flow>> {
    let sql = format!("SELECT {} FROM flow WHERE id = ?1 AND user_id = ?2", select_columns(true));
    super::first(statement(db, &sql, &[text(id.as_str()), text(owner.as_str())])?).await
}

/// The owner's flows by name; without the `data` of flows (components keep theirs) when
/// `with_data` is false: lists that show names need not read and decode up to 1.9 MB per flow.
pub async fn list_owned(
    db: &D1Database,
    owner: &UserId,
    folder_id: Option<&FolderId>,
    with_data: bool,
) -> DbResult<Vec<Flow>> {
    let sql = format!(
        "SELECT {} FROM flow WHERE user_id = ?1 AND (?2 IS NULL OR folder_id = ?2) ORDER BY name",
        select_columns(with_data)
    );
    super::all(statement(db, &sql, &[text(owner.as_str()), opt_text(folder_id.map(FolderId::as_str))])?).await
}

/// Which of a project's flows to show, as Langflow's project page asks for them.
pub struct FolderPage<'a> {
    pub folder: &'a FolderId,
    pub components_only: bool,
    pub flows_only: bool,
    /// Part of the name, any ASCII case; empty for all.
    pub search: &'a str,
    pub limit: usize,
    pub offset: usize,
}

/// One page of the owner's flows in a project, newest change first, and how many there are.
pub async fn page_in_folder(db: &D1Database, owner: &UserId, page: &FolderPage<'_>) -> DbResult<(Vec<Flow>, usize)> {
    // instr, not LIKE: D1 caps LIKE patterns at 50 bytes.
    const FILTER: &str = "FROM flow WHERE user_id = ?1 AND folder_id = ?2 \
        AND (?3 = 0 OR coalesce(is_component, 0) = 1) AND (?4 = 0 OR coalesce(is_component, 0) = 0) \
        AND (?5 = '' OR instr(lower(name), lower(?5)) > 0)";
    let filter_args = [
        text(owner.as_str()),
        text(page.folder.as_str()),
        super::boolean(page.components_only),
        super::boolean(page.flows_only),
        text(page.search),
    ];
    let mut page_args = filter_args.to_vec();
    page_args.push(int(i64::try_from(page.limit).unwrap_or(i64::MAX)));
    page_args.push(int(i64::try_from(page.offset).unwrap_or(i64::MAX)));
    let sql = format!("SELECT {} {FILTER} ORDER BY updated_at DESC LIMIT ?6 OFFSET ?7", select_columns(true));
    let results = batch(
        db,
        vec![
            statement(db, &sql, &page_args)?,
            statement(db, &format!("SELECT count(*) AS total {FILTER}"), &filter_args)?,
        ],
    )
    .await?;
    let flows = results.first().map(|r| r.results()).transpose()?.unwrap_or_default();
    let counted: Vec<super::Total> = results.get(1).map(|r| r.results()).transpose()?.unwrap_or_default();
    let total = counted.first().map_or(0, |c| usize::try_from(c.total).unwrap_or(0));
    Ok((flows, total))
}

/// Whether `id` is some user's id (a flow may not take one).
pub async fn is_user_id(db: &D1Database, id: &FlowId) -> DbResult<bool> {
    let found: Option<super::NameRow> =
        super::first(statement(db, "SELECT id AS name FROM \"user\" WHERE id = ?1", &[text(id.as_str())])?).await?;
    Ok(found.is_some())
}

pub async fn delete_owned(db: &D1Database, id: &FlowId, owner: &UserId) -> DbResult<bool> {
    let result = super::run(statement(
        db,
        "DELETE FROM flow WHERE id = ?1 AND user_id = ?2",
        &[text(id.as_str()), text(owner.as_str())],
    )?)
    .await?;
    Ok(changes(&result) == 1)
}

/// The owner's names and endpoint names that could clash with `name` / `endpoint`: the name
/// itself and `name (…)` (for `name (n)`), the endpoint itself and `endpoint-…`.
///
/// Prefixes are matched as ranges (`p (` <= name < `p )`, bytewise), not with LIKE: D1 caps LIKE
/// patterns at 50 bytes ("LIKE or GLOB pattern too complex"), which made longer names a 500.
pub async fn taken_names(
    db: &D1Database,
    owner: &UserId,
    name: &str,
    endpoint: Option<&str>,
) -> DbResult<(Vec<String>, Vec<String>)> {
    let results = batch(
        db,
        vec![
            statement(
                db,
                "SELECT name FROM flow WHERE user_id = ?1 AND (name = ?2 OR (name >= ?3 AND name < ?4))",
                &[text(owner.as_str()), text(name), text(&format!("{name} (")), text(&format!("{name} )"))],
            )?,
            statement(
                db,
                "SELECT endpoint_name AS name FROM flow WHERE user_id = ?1 AND ?2 IS NOT NULL \
                 AND (endpoint_name = ?2 OR (endpoint_name >= ?3 AND endpoint_name < ?4))",
                &[
                    text(owner.as_str()),
                    opt_text(endpoint),
                    opt_text(endpoint.map(|e| format!("{e}-")).as_deref()),
                    opt_text(endpoint.map(|e| format!("{e}.")).as_deref()),
                ],
            )?,
        ],
    )
    .await?;
    let names = |i: usize| -> DbResult<Vec<String>> {
        let rows: Vec<super::NameRow> = results.get(i).map(|r| r.results()).transpose()?.unwrap_or_default();
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
    fn selects_name_every_column() {
        assert_eq!(COLUMNS.first(), Some(&"id"));
        assert_eq!(select_columns(true), COLUMNS.join(", "));
        let without = COLUMNS.join(", ").replace(" data,", " CASE WHEN is_component = 1 THEN data END AS data,");
        assert_eq!(select_columns(false), without);
    }

    /// The importer writes the same columns: its list must match this one.
    #[test]
    fn importer_lists_the_same_columns() {
        let script = include_str!("../../scripts/import-langflow.py");
        let start = script.find("FLOW_COLUMNS = [").expect("FLOW_COLUMNS in the importer");
        let rest = &script[start..];
        let end = rest.find(']').expect("end of FLOW_COLUMNS");
        let listed: Vec<&str> =
            rest[..end].split(['"', '\'']).skip(1).step_by(2).map(str::trim).filter(|c| !c.is_empty()).collect();
        assert_eq!(listed, COLUMNS, "scripts/import-langflow.py FLOW_COLUMNS differs from db::flows::COLUMNS");
    }
}
