//! Table `session` (deviation 1): one row per login. Tokens carry its id as `sid`; a token is
//! honoured only while its session is live.

use super::users::User;
use super::DbResult;
use super::{changes, int, opt_text, statement, text};
use crate::core::ids::{SessionId, UserId};
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    pub session_user_id: UserId,
    pub refresh_hash: String,
    pub session_expires_at: i64,
    pub session_revoked_at: Option<i64>,
    /// Unix seconds; written at most every `LAST_USED_EVERY_SECS` (see `touch`).
    pub session_last_used_at: Option<i64>,
}

/// `last_used_at` is rewritten only when the stored value is at least this old: the page shows
/// "last used" to within five minutes, and a busy session costs one D1 write per five minutes,
/// not one per request.
pub const LAST_USED_EVERY_SECS: i64 = 300;

#[derive(Debug, Clone)]
pub struct SessionWithUser {
    pub session: Session,
    pub user: User,
}

impl SessionWithUser {
    pub fn is_live(&self, now_secs: i64) -> bool {
        self.session.session_revoked_at.is_none() && self.session.session_expires_at > now_secs
    }
}

/// Spelled out rather than built per request; a test checks it against `users::COLUMNS`.
const SELECT_WITH_USER: &str =
    "SELECT s.user_id AS session_user_id, s.refresh_hash, s.expires_at AS session_expires_at, \
     s.revoked_at AS session_revoked_at, \
     s.last_used_at AS session_last_used_at, u.id, u.username, u.password, u.profile_image, u.is_active, u.is_superuser, \
     u.create_at, u.updated_at, u.last_login_at, u.store_api_key, u.optins \
     FROM session s JOIN \"user\" u ON u.id = s.user_id WHERE s.id = ?1";

/// A new session's row.
pub struct NewSession<'a> {
    pub id: &'a SessionId,
    pub user_id: &'a UserId,
    pub refresh_hash: &'a str,
    pub now_secs: i64,
    pub expires_at: i64,
    pub client_ip: &'a str,
    pub user_agent: &'a str,
}

pub fn insert(db: &D1Database, new: &NewSession) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "INSERT INTO session (id, user_id, refresh_hash, created_at, expires_at, last_used_at, client_ip, user_agent) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?6, ?7)",
        &[
            text(new.id.as_str()),
            text(new.user_id.as_str()),
            text(new.refresh_hash),
            int(new.now_secs),
            int(new.expires_at),
            opt_text(Some(new.client_ip).filter(|s| !s.is_empty())),
            opt_text(Some(new.user_agent).filter(|s| !s.is_empty())),
        ],
    )
}

/// Records that the session was used now, from this address and browser, unless another request
/// already did within `LAST_USED_EVERY_SECS` (so concurrent isolates write it once).
pub fn touch(
    db: &D1Database,
    id: &SessionId,
    now_secs: i64,
    client_ip: &str,
    user_agent: &str,
) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE session SET last_used_at = ?2, client_ip = ?3, user_agent = ?4 \
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at <= ?2 - ?5)",
        &[
            text(id.as_str()),
            int(now_secs),
            opt_text(Some(client_ip).filter(|s| !s.is_empty())),
            opt_text(Some(user_agent).filter(|s| !s.is_empty())),
            int(LAST_USED_EVERY_SECS),
        ],
    )
}

#[derive(Deserialize)]
struct JsonRow {
    item: String,
}

/// The user's sessions that are neither ended nor expired, most recently used first, each a
/// JSON object `{id, created_at, last_used_at, client_ip, user_agent, current}` (times as
/// `2026-12-01T10:00:00+00:00`; `current`: it is `current`). SQLite writes the JSON, so no row
/// type and its serde code is needed: the API passes it through, the page reads it as a `Value`.
pub async fn list_live(
    db: &D1Database,
    user_id: &UserId,
    current: Option<&SessionId>,
    now_secs: i64,
) -> DbResult<Vec<String>> {
    let rows: Vec<JsonRow> = super::all(statement(
        db,
        "SELECT json_object('id', id, \
           'created_at', strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, 'unixepoch'), \
           'last_used_at', strftime('%Y-%m-%dT%H:%M:%S+00:00', last_used_at, 'unixepoch'), \
           'client_ip', client_ip, 'user_agent', user_agent, \
           'current', CASE WHEN id = ?3 THEN json('true') ELSE json('false') END) AS item \
         FROM session WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 \
         ORDER BY COALESCE(last_used_at, created_at) DESC, created_at DESC LIMIT 200",
        &[text(user_id.as_str()), int(now_secs), opt_text(current.map(SessionId::as_str))],
    )?)
    .await?;
    Ok(rows.into_iter().map(|row| row.item).collect())
}

/// Ends one of the user's sessions; no change when it is not theirs or already ended.
pub fn revoke_for_user(
    db: &D1Database,
    id: &SessionId,
    user_id: &UserId,
    now_secs: i64,
) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE session SET revoked_at = ?3 WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?3",
        &[text(id.as_str()), text(user_id.as_str()), int(now_secs)],
    )
}

/// The session and its user in one query: the only D1 read of an authenticated request.
pub async fn load_with_user(db: &D1Database, session_id: &SessionId) -> DbResult<Option<SessionWithUser>> {
    let found =
        super::first_pair::<Session, User>(statement(db, SELECT_WITH_USER, &[text(session_id.as_str())])?).await?;
    Ok(found.map(|(session, user)| SessionWithUser { session, user }))
}

/// Swaps the refresh token, only if `old_hash` is still the current one; false means someone
/// used it first (a reuse or a race), and the caller revokes the session.
pub async fn rotate(
    db: &D1Database,
    id: &SessionId,
    old_hash: &str,
    new_hash: &str,
    expires_at: i64,
    now_secs: i64,
) -> DbResult<bool> {
    let result = super::run(statement(
        db,
        "UPDATE session SET refresh_hash = ?3, expires_at = ?4, last_used_at = ?5 \
         WHERE id = ?1 AND refresh_hash = ?2 AND revoked_at IS NULL",
        &[text(id.as_str()), text(old_hash), text(new_hash), int(expires_at), int(now_secs)],
    )?)
    .await?;
    Ok(changes(&result) == 1)
}

pub fn revoke(db: &D1Database, id: &SessionId, now_secs: i64) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE session SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        &[text(id.as_str()), int(now_secs)],
    )
}

/// Ends every session of a user, except `keep` (the one changing its own password).
pub fn revoke_all_for_user(
    db: &D1Database,
    user_id: &UserId,
    keep: Option<&SessionId>,
    now_secs: i64,
) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE session SET revoked_at = ?3 WHERE user_id = ?1 AND revoked_at IS NULL AND (?2 IS NULL OR id <> ?2)",
        &[text(user_id.as_str()), opt_text(keep.map(SessionId::as_str)), int(now_secs)],
    )
}

/// Sessions that ended long ago are of no use to anyone.
pub fn purge_ended_before(db: &D1Database, cutoff_secs: i64) -> DbResult<D1PreparedStatement> {
    statement(db, "DELETE FROM session WHERE expires_at < ?1 OR revoked_at < ?1", &[int(cutoff_secs)])
}

#[cfg(test)]
mod tests {
    #[test]
    fn joined_select_reads_every_user_column() {
        let prefixed: Vec<String> = super::super::users::COLUMNS.split(", ").map(|c| format!("u.{c}")).collect();
        assert!(super::SELECT_WITH_USER.contains(&prefixed.join(", ")));
        assert!(super::super::api_keys::SELECT_WITH_OWNER.contains(&prefixed.join(", ")));
    }
}
