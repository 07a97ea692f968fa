//! Table `user` (Langflow's). Usernames are unique ignoring ASCII case (`ix_user_username_lower`)
//! and matched exactly at login, as in Langflow.

use super::{batch, boolean, changes, is_unique_violation, opt_text, statement, text};
use super::{DbError, DbResult};
use crate::core::ids::UserId;
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

pub const COLUMNS: &str =
    "id, username, password, profile_image, is_active, is_superuser, create_at, updated_at, last_login_at, store_api_key, optins";

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    /// The password hash (Langflow's column name).
    pub password: String,
    pub profile_image: Option<String>,
    pub is_active: i64,
    pub is_superuser: i64,
    pub create_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
    pub store_api_key: Option<String>,
    pub optins: Option<String>,
}

impl User {
    pub fn active(&self) -> bool {
        self.is_active != 0
    }

    pub fn superuser(&self) -> bool {
        self.is_superuser != 0
    }
}

pub async fn find_by_id(db: &D1Database, id: &UserId) -> DbResult<Option<User>> {
    super::first(statement(db, &format!("SELECT {COLUMNS} FROM \"user\" WHERE id = ?1"), &[text(id.as_str())])?).await
}

/// Exact (case-sensitive) match, as Langflow's login.
pub fn by_username(db: &D1Database, username: &str) -> DbResult<D1PreparedStatement> {
    statement(db, &format!("SELECT {COLUMNS} FROM \"user\" WHERE username = ?1"), &[text(username)])
}

pub async fn find_by_username(db: &D1Database, username: &str) -> DbResult<Option<User>> {
    super::first(by_username(db, username)?).await
}

/// Case-insensitive match, as the uniqueness rule.
pub async fn find_by_username_ignoring_case(db: &D1Database, username: &str) -> DbResult<Option<User>> {
    super::first(statement(
        db,
        &format!("SELECT {COLUMNS} FROM \"user\" WHERE lower(username) = lower(?1)"),
        &[text(username)],
    )?)
    .await
}

#[derive(Debug)]
pub enum WriteError {
    UsernameTaken,
    /// The row changed (or was deleted) since it was read.
    Conflict,
    Db(DbError),
}

impl From<DbError> for WriteError {
    fn from(err: DbError) -> Self {
        WriteError::Db(err)
    }
}

/// Inserts a new user; a clash with an existing username (any case) is `UsernameTaken`.
pub async fn insert(db: &D1Database, user: &User) -> Result<(), WriteError> {
    insert_with(db, user, Vec::new()).await
}

/// Inserts `user` and runs `then` (rows that belong to it) in the same atomic batch.
pub async fn insert_with(db: &D1Database, user: &User, then: Vec<D1PreparedStatement>) -> Result<(), WriteError> {
    let sql = format!("INSERT INTO \"user\" ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    let mut statements = vec![statement(db, &sql, &row_args(user))?];
    statements.extend(then);
    match super::batch_raw(db, statements).await {
        Ok(_) => Ok(()),
        Err(err) if is_unique_violation(&err) => Err(WriteError::UsernameTaken),
        Err(err) => Err(WriteError::Db(err.into())),
    }
}

/// Superuser rights as a provider's groups decide them at sign-in.
pub fn set_superuser(db: &D1Database, id: &UserId, superuser: bool, updated_at: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE \"user\" SET is_superuser = ?2, updated_at = ?3 WHERE id = ?1",
        &[text(id.as_str()), boolean(superuser), text(updated_at)],
    )
}

/// Inserts unless a user with that name (any case) exists; true when this call created it.
/// Concurrent bootstraps in several isolates create exactly one row.
pub async fn insert_if_absent(db: &D1Database, user: &User) -> DbResult<bool> {
    let result = super::run(statement(
        db,
        &format!("INSERT OR IGNORE INTO \"user\" ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
        &row_args(user),
    )?)
    .await?;
    Ok(changes(&result) == 1)
}

fn row_args(user: &User) -> [wasm_bindgen::JsValue; 11] {
    [
        text(user.id.as_str()),
        text(&user.username),
        text(&user.password),
        opt_text(user.profile_image.as_deref()),
        boolean(user.active()),
        boolean(user.superuser()),
        text(&user.create_at),
        text(&user.updated_at),
        opt_text(user.last_login_at.as_deref()),
        opt_text(user.store_api_key.as_deref()),
        opt_text(user.optins.as_deref()),
    ]
}

/// Writes every mutable column of `user`, which the caller read when its `updated_at` was
/// `read_at` and then changed, and runs `then` (e.g. ending sessions) in the same atomic batch.
/// `Conflict` when the row changed or vanished in between, so a concurrent change (a
/// deactivation, a new password) is never silently written over.
pub async fn update(
    db: &D1Database,
    user: &User,
    read_at: &str,
    then: Vec<D1PreparedStatement>,
) -> Result<(), WriteError> {
    let mut args = row_args(user).to_vec();
    args.push(text(read_at));
    let update = statement(
        db,
        "UPDATE \"user\" SET username = ?2, password = ?3, profile_image = ?4, is_active = ?5, is_superuser = ?6, \
         updated_at = ?8, last_login_at = ?9, store_api_key = ?10, optins = ?11 WHERE id = ?1 AND updated_at = ?12",
        // ?7 (create_at) is bound but not written: creation time never changes.
        &args,
    )?;
    let mut statements = vec![update];
    statements.extend(then);
    match super::batch_raw(db, statements).await {
        Ok(results) if results.first().is_some_and(|r| changes(r) == 1) => Ok(()),
        Ok(_) => Err(WriteError::Conflict),
        Err(err) if is_unique_violation(&err) => Err(WriteError::UsernameTaken),
        Err(err) => Err(WriteError::Db(err.into())),
    }
}

pub fn set_password(db: &D1Database, id: &UserId, hash: &str, updated_at: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE \"user\" SET password = ?2, updated_at = ?3 WHERE id = ?1",
        &[text(id.as_str()), text(hash), text(updated_at)],
    )
}

/// A successful login: remember when, and swap in an upgraded hash when there is one.
pub fn record_login(db: &D1Database, id: &UserId, at: &str, new_hash: Option<&str>) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE \"user\" SET last_login_at = ?2, password = coalesce(?3, password) WHERE id = ?1",
        &[text(id.as_str()), text(at), opt_text(new_hash)],
    )
}

pub fn set_store_api_key(db: &D1Database, id: &UserId, token: &str) -> DbResult<D1PreparedStatement> {
    statement(db, "UPDATE \"user\" SET store_api_key = ?2 WHERE id = ?1", &[text(id.as_str()), text(token)])
}

/// The largest integer a JS number (and so a D1 binding) holds exactly.
const MAX_EXACT_INT: i64 = (1 << 53) - 1;

/// Page of users ordered by username, with the total that match.
pub async fn list(db: &D1Database, search: Option<&str>, skip: i64, limit: i64) -> DbResult<(i64, Vec<User>)> {
    // A substring match that takes the text literally, folding ASCII case as LIKE did; `instr`
    // has no pattern, so no length limit (D1 refuses LIKE patterns over 50 bytes).
    let filter = "(?1 IS NULL OR instr(lower(username), lower(?1)) > 0)";
    // D1 binds numbers as JS numbers: past 2^53 they stop being integers. Such an offset is past
    // the end of any table anyway.
    let (skip, limit) = (skip.clamp(0, MAX_EXACT_INT), limit.clamp(0, MAX_EXACT_INT));
    let results = batch(
        db,
        vec![
            statement(db, &format!("SELECT count(*) AS total FROM \"user\" WHERE {filter}"), &[opt_text(search)])?,
            statement(
                db,
                &format!("SELECT {COLUMNS} FROM \"user\" WHERE {filter} ORDER BY username LIMIT ?2 OFFSET ?3"),
                &[opt_text(search), super::int(limit), super::int(skip)],
            )?,
        ],
    )
    .await?;
    let total = results
        .first()
        .map(|r| r.results::<super::Total>())
        .transpose()?
        .and_then(|t| t.into_iter().next())
        .map_or(0, |t| t.total);
    let users = results.get(1).map(|r| r.results::<User>()).transpose()?.unwrap_or_default();
    Ok((total, users))
}

/// Deviation 8: the user and everything it owns go in one atomic batch. Returns the deleted user
/// (for the audit log, which keeps its name), or `None` when there was none.
pub async fn delete_with_everything(db: &D1Database, id: &UserId) -> DbResult<Option<User>> {
    let args = [text(id.as_str())];
    let delete_user = format!("DELETE FROM \"user\" WHERE id = ?1 RETURNING {COLUMNS}");
    let results = batch(
        db,
        vec![
            statement(db, "DELETE FROM session WHERE user_id = ?1", &args)?,
            statement(db, "DELETE FROM apikey WHERE user_id = ?1", &args)?,
            statement(db, "DELETE FROM variable WHERE user_id = ?1", &args)?,
            statement(db, "DELETE FROM flow WHERE user_id = ?1", &args)?,
            statement(db, "DELETE FROM folder WHERE user_id = ?1", &args)?,
            statement(db, "DELETE FROM oidc_identity WHERE user_id = ?1", &args)?,
            statement(db, "DELETE FROM two_factor WHERE user_id = ?1", &args)?,
            statement(db, "DELETE FROM two_factor_recovery_code WHERE user_id = ?1", &args)?,
            statement(db, &delete_user, &args)?,
        ],
    )
    .await?;
    Ok(results.last().map(|r| r.results::<User>()).transpose()?.and_then(|rows| rows.into_iter().next()))
}

/// A page of (id, store key ciphertext) for re-encryption, in id order after `after`.
pub async fn store_key_page(db: &D1Database, after: &str, limit: i64) -> DbResult<Vec<(String, String)>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        store_api_key: String,
    }
    let rows: Vec<Row> = super::all(statement(
        db,
        "SELECT id, store_api_key FROM \"user\" WHERE id > ?1 AND store_api_key IS NOT NULL AND store_api_key <> '' ORDER BY id LIMIT ?2",
        &[text(after), super::int(limit)],
    )?).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.store_api_key)).collect())
}

pub fn replace_store_key(db: &D1Database, id: &str, old: &str, new: &str) -> DbResult<D1PreparedStatement> {
    statement(
        db,
        "UPDATE \"user\" SET store_api_key = ?3 WHERE id = ?1 AND store_api_key = ?2",
        &[text(id), text(old), text(new)],
    )
}
