//! Table `variable` (Langflow's): Credential values are Fernet tokens, Generic values plaintext.
//! Every query names the owner; names are unique per owner.

use super::{changes, int, is_unique_violation, opt_text, statement, text};
use super::{DbError, DbResult};
use crate::core::ids::{UserId, VariableId};
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

pub const CREDENTIAL: &str = "Credential";
pub const GENERIC: &str = "Generic";

#[derive(Debug, Clone, Deserialize)]
pub struct Variable {
    pub id: VariableId,
    pub name: String,
    pub value: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// JSON text (a list of field names).
    pub default_fields: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub user_id: UserId,
}

impl Variable {
    /// Langflow treats an untyped variable as a Credential (the default type).
    pub fn is_credential(&self) -> bool {
        self.kind.as_deref().is_none_or(|k| k == CREDENTIAL)
    }
}

const COLUMNS: &str = "id, name, value, type, default_fields, created_at, updated_at, user_id";

#[derive(Debug)]
pub enum VariableWriteError {
    NameTaken,
    Db(DbError),
}

fn write_error(err: worker::Error) -> VariableWriteError {
    if is_unique_violation(&err) {
        VariableWriteError::NameTaken
    } else {
        VariableWriteError::Db(err.into())
    }
}

pub async fn insert(db: &D1Database, v: &Variable) -> Result<(), VariableWriteError> {
    super::run(
        statement(
            db,
            &format!("INSERT INTO variable ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
            &[
                text(v.id.as_str()),
                text(&v.name),
                text(&v.value),
                opt_text(v.kind.as_deref()),
                opt_text(v.default_fields.as_deref()),
                opt_text(v.created_at.as_deref()),
                opt_text(v.updated_at.as_deref()),
                text(v.user_id.as_str()),
            ],
        )
        .map_err(VariableWriteError::Db)?,
    )
    .await
    .map_err(write_error)?;
    Ok(())
}

pub async fn update_owned(db: &D1Database, v: &Variable) -> Result<bool, VariableWriteError> {
    let result = super::run(statement(
        db,
        "UPDATE variable SET name = ?2, value = ?3, type = ?4, default_fields = ?5, updated_at = ?6 WHERE id = ?1 AND user_id = ?7",
        &[text(v.id.as_str()), text(&v.name), text(&v.value), opt_text(v.kind.as_deref()), opt_text(v.default_fields.as_deref()),
          opt_text(v.updated_at.as_deref()), text(v.user_id.as_str())],
    )
    .map_err(VariableWriteError::Db)?)
    .await
    .map_err(write_error)?;
    Ok(changes(&result) == 1)
}

pub async fn find_owned(db: &D1Database, id: &VariableId, owner: &UserId) -> DbResult<Option<Variable>> {
    super::first(statement(
        db,
        &format!("SELECT {COLUMNS} FROM variable WHERE id = ?1 AND user_id = ?2"),
        &[text(id.as_str()), text(owner.as_str())],
    )?)
    .await
}

pub async fn list_owned(db: &D1Database, owner: &UserId) -> DbResult<Vec<Variable>> {
    super::all(statement(
        db,
        &format!("SELECT {COLUMNS} FROM variable WHERE user_id = ?1 ORDER BY name"),
        &[text(owner.as_str())],
    )?)
    .await
}

pub async fn delete_owned(db: &D1Database, id: &VariableId, owner: &UserId) -> DbResult<bool> {
    let result = super::run(statement(
        db,
        "DELETE FROM variable WHERE id = ?1 AND user_id = ?2",
        &[text(id.as_str()), text(owner.as_str())],
    )?)
    .await?;
    Ok(changes(&result) == 1)
}

/// A page of Credential (id, ciphertext) pairs for re-encryption, in id order after `after`.
pub async fn credential_page(db: &D1Database, after: &str, limit: i64) -> DbResult<Vec<(String, String)>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        value: String,
    }
    let rows: Vec<Row> = super::all(statement(
        db,
        "SELECT id, value FROM variable WHERE id > ?1 AND (type IS NULL OR type = 'Credential') ORDER BY id LIMIT ?2",
        &[text(after), int(limit)],
    )?)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.value)).collect())
}

pub fn replace_ciphertext(db: &D1Database, id: &str, old: &str, new: &str) -> DbResult<D1PreparedStatement> {
    statement(db, "UPDATE variable SET value = ?3 WHERE id = ?1 AND value = ?2", &[text(id), text(old), text(new)])
}
