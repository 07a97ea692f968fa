//! Table `oidc_identity` (ours): the provider account (issuer, subject) that signs in as a user.

use super::{first, int, opt_text, statement, text, DbResult};
use crate::core::ids::UserId;
use crate::db::users::User;
use js_sys::Array;
use worker::{D1Database, D1PreparedStatement};

#[derive(Debug, Clone)]
pub struct Identity {
    pub id: String,
    pub user_id: UserId,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub created_at: i64,
    pub last_login_at: i64,
}

const COLUMNS: &str = "id, user_id, issuer, subject, email, created_at, last_login_at";

/// The user an identity signs in as (read as a `User`, whose row decoding exists already).
pub async fn find_user(db: &D1Database, issuer: &str, subject: &str) -> DbResult<Option<User>> {
    first(statement(
        db,
        "SELECT u.* FROM oidc_identity i JOIN \"user\" u ON u.id = i.user_id WHERE i.issuer = ?1 AND i.subject = ?2",
        &[text(issuer), text(subject)],
    )?)
    .await
}

pub fn insert(db: &D1Database, identity: &Identity) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        &format!("INSERT INTO oidc_identity ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        &[
            text(&identity.id),
            text(identity.user_id.as_str()),
            text(&identity.issuer),
            text(&identity.subject),
            opt_text(identity.email.as_deref()),
            int(identity.created_at),
            int(identity.last_login_at),
        ],
    )
}

/// A sign-in through this identity: when, and the email the provider sent this time.
pub fn record_login(
    db: &D1Database,
    issuer: &str,
    subject: &str,
    email: Option<&str>,
    now: i64,
) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE oidc_identity SET last_login_at = ?3, email = ?4 WHERE issuer = ?1 AND subject = ?2",
        &[text(issuer), text(subject), int(now), opt_text(email)],
    )
}

/// The identities of the given users (a page of the admin list).
/// Rows are read as arrays of column values (`raw`), without a decoder generated for this type.
pub async fn for_users(db: &D1Database, user_ids: &[&str]) -> DbResult<Vec<Identity>> {
    let ids = serde_json::to_string(user_ids).unwrap_or_else(|_| "[]".into());
    let rows = statement(
        db,
        &format!("SELECT {COLUMNS} FROM oidc_identity WHERE user_id IN (SELECT value FROM json_each(?1)) ORDER BY created_at"),
        &[text(&ids)],
    )?
    .raw_js_value()
    .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let row = Array::from(row);
            let text = |i: u32| row.get(i).as_string();
            let number = |i: u32| row.get(i).as_f64().unwrap_or_default() as i64;
            Some(Identity {
                id: text(0)?,
                user_id: UserId::parse(&text(1)?)?,
                issuer: text(2)?,
                subject: text(3)?,
                email: text(4),
                created_at: number(5),
                last_login_at: number(6),
            })
        })
        .collect())
}

/// Unlinks one identity of `user_id`; true when it existed.
pub async fn delete(db: &D1Database, user_id: &UserId, id: &str) -> DbResult<bool> {
    let result = super::run(statement(
        db,
        "DELETE FROM oidc_identity WHERE id = ?1 AND user_id = ?2",
        &[text(id), text(user_id.as_str())],
    )?)
    .await?;
    Ok(super::changes(&result) == 1)
}
