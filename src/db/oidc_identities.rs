//! Table `oidc_identity` (ours): the provider account (issuer, subject) that signs in as a user.

use super::{all, first, int, opt_text, statement, text, DbResult};
use crate::core::ids::UserId;
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

#[derive(Debug, Clone, Deserialize)]
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

pub async fn find(db: &D1Database, issuer: &str, subject: &str) -> DbResult<Option<Identity>> {
    first(statement(
        db,
        &format!("SELECT {COLUMNS} FROM oidc_identity WHERE issuer = ?1 AND subject = ?2"),
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
pub fn record_login(db: &D1Database, id: &str, email: Option<&str>, now: i64) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE oidc_identity SET last_login_at = ?2, email = ?3 WHERE id = ?1",
        &[text(id), int(now), opt_text(email)],
    )
}

/// The identities of the given users (a page of the admin list).
pub async fn for_users(db: &D1Database, user_ids: &[&str]) -> DbResult<Vec<Identity>> {
    let ids = serde_json::to_string(user_ids).unwrap_or_else(|_| "[]".into());
    all(statement(
        db,
        &format!("SELECT {COLUMNS} FROM oidc_identity WHERE user_id IN (SELECT value FROM json_each(?1)) ORDER BY created_at"),
        &[text(&ids)],
    )?)
    .await
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
