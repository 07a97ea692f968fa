//! Table `app_secret`: values the worker generates once and every isolate shares: the secret key
//! when `LANGFLOW_SECRET_KEY` is unset (`secret_key`), and the gateway's identity signing key when
//! `LANGFLOW_GATEWAY_PRIVATE_KEY` is unset (`gateway_private_key`, Fernet-encrypted).

use super::{batch, int, statement, text, D1PreparedStatement};
use super::{DbError, DbResult};
use serde::Deserialize;
use worker::D1Database;

#[derive(Deserialize)]
struct Row {
    value: String,
}

/// Stores `candidate` unless a value is already there, and returns the stored one: isolates that
/// race on their first request all end up with the first value written.
pub async fn get_or_insert(db: &D1Database, name: &str, candidate: &str, now_secs: i64) -> DbResult<String> {
    let results = batch(
        db,
        vec![
            statement(
                db,
                "INSERT INTO app_secret (name, value, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
                &[text(name), text(candidate), int(now_secs)],
            )?,
            statement(db, "SELECT value FROM app_secret WHERE name = ?1", &[text(name)])?,
        ],
    )
    .await?;
    let rows: Vec<Row> = results.get(1).map(|r| r.results()).transpose()?.unwrap_or_default();
    rows.into_iter().next().map(|r| r.value).ok_or_else(|| DbError("app_secret row missing after insert".into()))
}

/// The stored value, if any.
pub async fn get(db: &D1Database, name: &str) -> DbResult<Option<String>> {
    let row: Option<Row> =
        super::first(statement(db, "SELECT value FROM app_secret WHERE name = ?1", &[text(name)])?).await?;
    Ok(row.map(|r| r.value))
}

/// The gateway's signing key, the one encrypted value here: (name, ciphertext) for re-encryption.
pub async fn encrypted_page(db: &D1Database, after: &str, limit: i64) -> DbResult<Vec<(String, String)>> {
    #[derive(Deserialize)]
    struct Named {
        name: String,
        value: String,
    }
    let rows: Vec<Named> = super::all(statement(
        db,
        "SELECT name, value FROM app_secret WHERE name > ?1 AND name = 'gateway_private_key' ORDER BY name LIMIT ?2",
        &[text(after), int(limit)],
    )?)
    .await?;
    Ok(rows.into_iter().map(|r| (r.name, r.value)).collect())
}

pub fn replace_value(db: &D1Database, name: &str, old: &str, new: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE app_secret SET value = ?3 WHERE name = ?1 AND value = ?2",
        &[text(name), text(old), text(new)],
    )
}
