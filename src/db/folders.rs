//! Table `folder` (Langflow's projects). Strictly owner-scoped like `flow`: every query names the
//! owner, so another user's project is simply not found.

use super::{batch, changes, is_unique_violation, opt_text, statement, text, DbError, DbResult};
use crate::core::ids::{FlowId, FolderId, UserId};
use serde::Deserialize;
use worker::D1Database;

/// Langflow's name and description for the project every user gets (DEFAULT_FOLDER_NAME).
pub const DEFAULT_NAME: &str = "Starter Project";
pub const DEFAULT_DESCRIPTION: &str = "Manage your own flows. Download and upload projects.";

#[derive(Debug, Clone, Deserialize)]
pub struct Folder {
    pub id: FolderId,
    pub name: String,
    pub description: Option<String>,
    /// JSON text.
    pub auth_settings: Option<String>,
    pub parent_id: Option<FolderId>,
    pub user_id: Option<UserId>,
}

/// The columns a `Folder` is read from, as a literal for `concat!` (no formatting at run time).
macro_rules! select_folder {
    ($rest:literal) => {
        concat!("SELECT id, name, description, auth_settings, parent_id, user_id FROM folder ", $rest)
    };
}

#[derive(Debug)]
pub enum FolderWriteError {
    NameTaken,
    Db(DbError),
}

impl From<DbError> for FolderWriteError {
    fn from(err: DbError) -> Self {
        FolderWriteError::Db(err)
    }
}

fn write_error(err: worker::Error) -> FolderWriteError {
    if is_unique_violation(&err) {
        FolderWriteError::NameTaken
    } else {
        FolderWriteError::Db(err.into())
    }
}

fn values(folder: &Folder, owner: &UserId) -> [wasm_bindgen::JsValue; 6] {
    [
        text(folder.id.as_str()),
        text(&folder.name),
        opt_text(folder.description.as_deref()),
        opt_text(folder.auth_settings.as_deref()),
        opt_text(folder.parent_id.as_ref().map(FolderId::as_str)),
        text(owner.as_str()),
    ]
}

/// The owner's projects, the default one first (as Langflow sorts them), then in creation order.
pub async fn list_owned(db: &D1Database, owner: &UserId) -> DbResult<Vec<Folder>> {
    let sql = select_folder!("WHERE user_id = ?1 ORDER BY name <> ?2, rowid");
    super::all(statement(db, sql, &[text(owner.as_str()), text(DEFAULT_NAME)])?).await
}

pub async fn find_owned(db: &D1Database, id: &FolderId, owner: &UserId) -> DbResult<Option<Folder>> {
    let sql = select_folder!("WHERE id = ?1 AND user_id = ?2");
    super::first(statement(db, sql, &[text(id.as_str()), text(owner.as_str())])?).await
}

/// The project new flows go to: the one named `Starter Project`, else (renamed or deleted) the
/// first by id, as Langflow's get_default_folder_id picks it.
pub async fn default_id(db: &D1Database, owner: &UserId) -> DbResult<Option<FolderId>> {
    let sql = select_folder!("WHERE user_id = ?1 ORDER BY name <> ?2, id LIMIT 1");
    let row: Option<Folder> = super::first(statement(db, sql, &[text(owner.as_str()), text(DEFAULT_NAME)])?).await?;
    Ok(row.map(|r| r.id))
}

/// Gives `owner` the default project `id` unless they have a project already, and puts their
/// flows that have none into it. Safe to run twice at once: the second insert does nothing.
pub async fn insert_default_if_none(db: &D1Database, id: &FolderId, owner: &UserId) -> DbResult<()> {
    let (id, owner) = (text(id.as_str()), text(owner.as_str()));
    batch(
        db,
        vec![
            statement(
                db,
                "INSERT OR IGNORE INTO folder (id, name, description, user_id, is_personal) \
                 SELECT ?1, ?2, ?3, ?4, 1 WHERE NOT EXISTS (SELECT 1 FROM folder WHERE user_id = ?4)",
                &[id.clone(), text(DEFAULT_NAME), text(DEFAULT_DESCRIPTION), owner.clone()],
            )?,
            statement(
                db,
                "UPDATE flow SET folder_id = ?1 WHERE user_id = ?2 AND folder_id IS NULL \
                 AND EXISTS (SELECT 1 FROM folder WHERE id = ?1 AND user_id = ?2)",
                &[id, owner],
            )?,
        ],
    )
    .await?;
    Ok(())
}

/// The owner's project names equal to `name` or starting with `name (`.
pub async fn taken_names(db: &D1Database, owner: &UserId, name: &str) -> DbResult<Vec<String>> {
    // A range, not LIKE: D1 caps LIKE patterns at 50 bytes.
    let rows: Vec<super::NameRow> = super::all(statement(
        db,
        "SELECT name FROM folder WHERE user_id = ?1 AND (name = ?2 OR (name >= ?3 AND name < ?4))",
        &[text(owner.as_str()), text(name), text(&format!("{name} (")), text(&format!("{name} )"))],
    )?)
    .await?;
    Ok(rows.into_iter().filter_map(|r| r.name).collect())
}

/// A new project of `owner`'s, moving the owner's flows among `flows` into it, atomically.
pub async fn insert(
    db: &D1Database,
    folder: &Folder,
    owner: &UserId,
    flows: &[FlowId],
) -> Result<(), FolderWriteError> {
    let sql =
        "INSERT INTO folder (id, name, description, auth_settings, parent_id, user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    let mut statements = vec![statement(db, sql, &values(folder, owner))?];
    if !flows.is_empty() {
        statements.push(move_flows(db, &folder.id, owner, flows)?);
    }
    super::batch_raw(db, statements).await.map_err(write_error)?;
    Ok(())
}

/// Moves the owner's flows among `flows` (others' ids are ignored) into `folder`.
fn move_flows(
    db: &D1Database,
    folder: &FolderId,
    owner: &UserId,
    flows: &[FlowId],
) -> DbResult<super::D1PreparedStatement> {
    // UUIDs need no escaping in a JSON string.
    let ids: Vec<&str> = flows.iter().map(FlowId::as_str).collect();
    let ids = ["[\"", &ids.join("\",\""), "\"]"].concat();
    statement(
        db,
        "UPDATE flow SET folder_id = ?1 WHERE user_id = ?2 AND id IN (SELECT value FROM json_each(?3))",
        &[text(folder.as_str()), text(owner.as_str()), text(&ids)],
    )
}

/// Writes name, description, auth settings and parent of an owned project.
pub async fn update(db: &D1Database, folder: &Folder, owner: &UserId) -> Result<bool, FolderWriteError> {
    let result = super::run(statement(
        db,
        "UPDATE folder SET name = ?2, description = ?3, auth_settings = ?4, parent_id = ?5 \
         WHERE id = ?1 AND user_id = ?6",
        &values(folder, owner),
    )?)
    .await
    .map_err(write_error)?;
    Ok(changes(&result) == 1)
}

/// Deletes an owned project and the owner's flows in it, as Langflow does, atomically.
pub async fn delete_owned(db: &D1Database, id: &FolderId, owner: &UserId) -> DbResult<bool> {
    let args = [text(id.as_str()), text(owner.as_str())];
    let results = batch(
        db,
        vec![
            statement(
                db,
                "DELETE FROM flow WHERE folder_id = ?1 AND user_id = ?2 \
                 AND EXISTS (SELECT 1 FROM folder WHERE id = ?1 AND user_id = ?2)",
                &args,
            )?,
            statement(db, "DELETE FROM folder WHERE id = ?1 AND user_id = ?2", &args)?,
        ],
    )
    .await?;
    Ok(results.get(1).map(changes) == Some(1))
}
