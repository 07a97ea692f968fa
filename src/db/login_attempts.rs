//! Table `login_attempt`: fixed-window counters shared by every isolate (deviation 6).

use super::DbResult;
use super::{int, statement, text};
use crate::core::rate_limit::Counter;
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

#[derive(Deserialize)]
struct Row {
    window_start: i64,
    count: i64,
}

/// Counts one attempt under `key`, starting a new window when the old one is over, and returns
/// the counter as it is now (`RETURNING`), so the check and the increment are one atomic step.
pub fn record(db: &D1Database, key: &str, window_secs: u32, now_secs: i64) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT INTO login_attempt (key, window_start, count) VALUES (?1, ?2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           count = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE count + 1 END, \
           window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END \
         RETURNING window_start, count",
        &[text(key), int(now_secs), int(i64::from(window_secs))],
    )
}

pub fn counter_of(result: &worker::D1Result) -> DbResult<Option<Counter>> {
    let rows: Vec<Row> = result.results()?;
    Ok(rows.into_iter().next().map(|r| Counter { window_start: r.window_start, count: r.count }))
}

/// Takes back one counted attempt (a login that turned out to be right does not count).
pub fn forgive(db: &D1Database, key: &str) -> DbResult<D1PreparedStatement> {
    statement(db, "UPDATE login_attempt SET count = max(count - 1, 0) WHERE key = ?1", &[text(key)])
}

/// Drops windows that ended long ago, so the table stays small.
pub fn purge_older_than(db: &D1Database, cutoff_secs: i64) -> DbResult<D1PreparedStatement> {
    statement(db, "DELETE FROM login_attempt WHERE window_start < ?1", &[int(cutoff_secs)])
}

/// `record` run on its own: the counter including this attempt.
pub async fn record_one(db: &D1Database, key: &str, window_secs: u32, now_secs: i64) -> DbResult<Option<Counter>> {
    let rows: Vec<Row> = super::all(record(db, key, window_secs, now_secs)?).await?;
    Ok(rows.into_iter().next().map(|r| Counter { window_start: r.window_start, count: r.count }))
}
