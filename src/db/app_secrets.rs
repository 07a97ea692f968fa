//! Table `app_secret`: the secret key generated when `LANGFLOW_SECRET_KEY` is unset.

use super::{batch, int, statement, text};
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
