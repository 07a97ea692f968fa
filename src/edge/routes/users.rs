//! `/api/v1/users/...`: signup and admin creation, listing, whoami, read, update, password reset
//! and deletion, with Langflow's rules (observed spec §4).

use crate::core::password::{self, Verification};
use crate::core::rate_limit::exceeded;
use crate::core::user_rules::{self, Actor, PatchFields};
use crate::core::{ids, time};
use crate::db::users::{User, WriteError};
use crate::db::{self, login_attempts, sessions};
use crate::edge::auth::{self, Principal, Via};
use crate::edge::http::{self, random_bytes, Req, SMALL_BODY_LIMIT};
use crate::edge::schemas::UserRead;
use crate::edge::state::DEFAULT_OPTINS;
use crate::edge::App;
use crate::error::{ApiError, ApiResult};
use serde_json::json;
use worker::Response;

fn username_taken() -> ApiError {
    ApiError::bad_request("This username is unavailable.")
}

fn user_not_found() -> ApiError {
    ApiError::not_found("User not found")
}

fn write_error(err: WriteError) -> ApiError {
    match err {
        WriteError::UsernameTaken => username_taken(),
        WriteError::Conflict => {
            ApiError::new(409, "This user was changed by someone else at the same time; reload it and try again.")
        }
        WriteError::Db(err) => err,
    }
}

/// A `{user_id}` path segment, as FastAPI validates a UUID.
pub fn path_uuid(segment: &str, name: &str) -> ApiResult<String> {
    ids::parse_uuid(segment)
        .ok_or_else(|| ApiError::unprocessable("uuid_parsing", &["path", name], "Input should be a valid UUID"))
}

fn actor(principal: &Principal) -> Actor<'_> {
    Actor { id: &principal.user.id, is_superuser: principal.user.superuser() }
}

fn check_password_policy(password: &str) -> ApiResult<()> {
    password::check_policy(password).map_err(|e| ApiError::bad_request(e.message()))
}

fn user_json(status: u16, user: &User) -> ApiResult<Response> {
    http::json(status, &UserRead::from(user))
}

/// POST /api/v1/users/ — public signup, or creation by a superuser. Either way the new user is
/// active only if `LANGFLOW_NEW_USER_IS_ACTIVE`, and never a superuser (Langflow).
pub async fn create(req: &mut Req, app: &App) -> ApiResult<Response> {
    let caller = auth::current_user(req, app).await.ok();
    let by_admin = caller.as_ref().is_some_and(|p| p.user.superuser());
    let settings = &app.state.settings;
    if !by_admin && (app.auto_login_for(req) || !settings.enable_signup) {
        return Err(ApiError::forbidden("Public user registration is disabled."));
    }
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let username = body.required_str("username")?.to_string();
    let password = body.required_str("password")?.to_string();
    let optins = body.optional_object("optins")?.map(|o| serde_json::Value::Object(o.clone()).to_string());
    let new_user = NewUser {
        username: &username,
        password: &password,
        is_active: settings.new_user_is_active,
        is_superuser: false,
        optins,
    };
    let user = create_user(app, req.now_ms, new_user).await?;
    let mut response = user_json(201, &user)?;
    let _ = response.headers_mut().set("location", &format!("/api/v1/users/{}", user.id));
    Ok(response)
}

/// A new account. Who may create it, and with which flags, is the caller's decision: the API
/// follows Langflow (see `create`); the admin page lets the admin choose.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub is_active: bool,
    pub is_superuser: bool,
    /// JSON text; Langflow's defaults when `None`.
    pub optins: Option<String>,
}

#[derive(Debug)]
pub enum CreateUserError {
    Username(&'static str),
    Password(password::PasswordPolicyError),
    UsernameTaken,
    Failed(ApiError),
}

impl From<ApiError> for CreateUserError {
    fn from(err: ApiError) -> Self {
        CreateUserError::Failed(err)
    }
}

impl From<CreateUserError> for ApiError {
    fn from(err: CreateUserError) -> Self {
        match err {
            CreateUserError::Username(message) => ApiError::bad_request(message),
            CreateUserError::Password(err) => ApiError::bad_request(err.message()),
            CreateUserError::UsernameTaken => username_taken(),
            CreateUserError::Failed(err) => err,
        }
    }
}

/// Checks the username and password rules, then stores the new user (the API and the admin page).
pub async fn create_user(app: &App, now_ms: i64, new: NewUser<'_>) -> Result<User, CreateUserError> {
    user_rules::check_username(new.username).map_err(CreateUserError::Username)?;
    password::check_policy(new.password).map_err(CreateUserError::Password)?;
    let now = time::iso_micros(now_ms);
    let user = User {
        id: ids::uuid_v4(random_bytes::<16>()?),
        username: new.username.to_string(),
        password: password::hash_password(new.password, random_bytes::<16>()?),
        profile_image: None,
        is_active: i64::from(new.is_active),
        is_superuser: i64::from(new.is_superuser),
        create_at: now.clone(),
        updated_at: now,
        last_login_at: None,
        store_api_key: None,
        optins: Some(new.optins.unwrap_or_else(|| DEFAULT_OPTINS.to_string())),
    };
    db::users::insert(&app.db, &user).await.map_err(|err| match err {
        WriteError::UsernameTaken => CreateUserError::UsernameTaken,
        other => CreateUserError::Failed(write_error(other)),
    })?;
    Ok(user)
}

fn query_int(req: &Req, name: &str, default: i64, min: i64, max: Option<i64>) -> ApiResult<i64> {
    let Some(text) = req.query_param(name) else { return Ok(default) };
    let value: i64 = text.trim().parse().map_err(|_| {
        ApiError::unprocessable(
            "int_parsing",
            &["query", name],
            "Input should be a valid integer, unable to parse string as an integer",
        )
    })?;
    if value < min {
        return Err(ApiError::unprocessable(
            "greater_than_equal",
            &["query", name],
            format!("Input should be greater than or equal to {min}"),
        ));
    }
    if let Some(max) = max.filter(|m| value > *m) {
        return Err(ApiError::unprocessable(
            "less_than_equal",
            &["query", name],
            format!("Input should be less than or equal to {max}"),
        ));
    }
    Ok(value)
}

/// GET /api/v1/users/ — superusers only; ordered by username.
pub async fn list(req: &mut Req, app: &App) -> ApiResult<Response> {
    auth::current_user(req, app).await?.require_superuser()?;
    let skip = query_int(req, "skip", 0, 0, None)?;
    let limit = query_int(req, "limit", 10, 1, Some(200))?;
    let search = req.query_param("search").or_else(|| req.query_param("username")).filter(|s| !s.is_empty());
    let (total, users) = db::users::list(&app.db, search, skip, limit).await?;
    let users: Vec<UserRead> = users.iter().map(UserRead::from).collect();
    http::json(200, &json!({ "total_count": total, "users": users, "deletion_requests": {} }))
}

/// GET /api/v1/users/whoami
pub async fn whoami(req: &mut Req, app: &App) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    user_json(200, &principal.user)
}

/// GET /api/v1/users/{id} — yourself, or anyone for a superuser.
pub async fn read(req: &mut Req, app: &App, id: &str) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let id = path_uuid(id, "user_id")?;
    user_rules::check_read(actor(&principal), &id)?;
    if principal.user.id == id {
        return user_json(200, &principal.user);
    }
    let user = db::users::find_by_id(&app.db, &id).await?.ok_or_else(user_not_found)?;
    user_json(200, &user)
}

/// PATCH /api/v1/users/{id} — profile changes for yourself; everything for a superuser.
pub async fn update(req: &mut Req, app: &App, id: &str) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let id = path_uuid(id, "user_id")?;
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let new_password = body.optional_str("password")?.map(str::to_string);
    let fields = PatchFields {
        sets_password: new_password.is_some(),
        is_active: body.optional_bool("is_active")?,
        is_superuser: body.optional_bool("is_superuser")?,
    };
    user_rules::check_patch(actor(&principal), &id, fields)?;
    if fields.sets_password && principal.via == Via::ApiKey && principal.user.id == id {
        return Err(ApiError::forbidden("Sign in interactively to change your password"));
    }
    let mut user = if principal.user.id == id {
        principal.user.clone()
    } else {
        db::users::find_by_id(&app.db, &id).await?.ok_or_else(user_not_found)?
    };

    if let Some(username) = body.optional_str("username")? {
        user_rules::check_username(username).map_err(ApiError::bad_request)?;
        user.username = username.to_string();
    }
    if body.has("profile_image") {
        user.profile_image = body.optional_str("profile_image")?.map(str::to_string);
    }
    if let Some(optins) = body.optional_object("optins")? {
        user.optins = Some(serde_json::Value::Object(optins.clone()).to_string());
    }
    let was_active = user.active();
    apply_account_changes(&mut user, new_password.as_deref(), fields)?;
    let editor = (principal.user.id.as_str(), principal.session_id.as_deref());
    save_user(app, &mut user, was_active, new_password.is_some(), editor, req.now_ms).await?;
    user_json(200, &user)
}

/// Sets a new password (policy checked, then hashed) and the Active/Superuser flags asked for
/// (the API's PATCH and the admin page; permissions are checked before, with `check_patch`).
pub fn apply_account_changes(user: &mut User, new_password: Option<&str>, fields: PatchFields) -> ApiResult<()> {
    if let Some(password) = new_password {
        check_password_policy(password)?;
        user.password = password::hash_password(password, random_bytes::<16>()?);
    }
    if let Some(active) = fields.is_active {
        user.is_active = i64::from(active);
    }
    if let Some(superuser) = fields.is_superuser {
        user.is_superuser = i64::from(superuser);
    }
    Ok(())
}

/// Stores an edited user. A new password or a deactivation ends every session at once
/// (deviation 1), except the one making the change when it is the user's own (as reset-password
/// keeps it). `editor` is the acting user's id and session.
pub async fn save_user(
    app: &App,
    user: &mut User,
    was_active: bool,
    password_changed: bool,
    editor: (&str, Option<&str>),
    now_ms: i64,
) -> ApiResult<()> {
    let read_at = std::mem::replace(&mut user.updated_at, time::iso_micros(now_ms));
    let mut then = Vec::new();
    if password_changed || (was_active && !user.active()) {
        let (editor_id, editor_session) = editor;
        let keep = if editor_id == user.id { editor_session } else { None };
        then.push(sessions::revoke_all_for_user(&app.db, &user.id, keep, now_ms.div_euclid(1000))?);
    }
    db::users::update(&app.db, user, &read_at, then).await.map_err(write_error)
}

/// PATCH /api/v1/users/{id}/reset-password — yourself only, signed in interactively.
pub async fn reset_password(req: &mut Req, app: &App, id: &str) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    if principal.via == Via::ApiKey {
        return Err(ApiError::forbidden("Sign in interactively to change your password"));
    }
    let id = path_uuid(id, "user_id")?;
    if principal.user.id != id {
        return Err(ApiError::not_found("You can't change another user's password"));
    }
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let current = body.required_str("current_password")?;
    let new_password = body.required_str("password")?;
    let now = req.now_secs();
    let limits = &app.state.settings.rate_limits;
    if limits.enabled {
        let key = format!("reset:{id}");
        let counter = login_attempts::record_one(&app.db, &key, 60, now).await?;
        if let Some(retry_after) = counter.and_then(|c| exceeded(c, limits.resets_per_user_per_minute, 60, now)) {
            return Err(ApiError::too_many_requests(retry_after));
        }
    }
    if password::verify_password(current, &principal.user.password) == Verification::Invalid {
        return Err(ApiError::bad_request("Current password is incorrect"));
    }
    if new_password == current {
        return Err(ApiError::bad_request("You can't use your current password"));
    }
    check_password_policy(new_password)?;
    let mut user = principal.user.clone();
    user.password = password::hash_password(new_password, random_bytes::<16>()?);
    user.updated_at = time::iso_micros(req.now_ms);
    // The other sessions end; the one that changed the password goes on.
    db::batch(
        &app.db,
        vec![
            db::users::set_password(&app.db, &user.id, &user.password, &user.updated_at)?,
            sessions::revoke_all_for_user(&app.db, &user.id, principal.session_id.as_deref(), now)?,
        ],
    )
    .await?;
    user_json(200, &user)
}

/// DELETE /api/v1/users/{id} — superusers only; erases the user and all it owns at once
/// (deviation 8), answering with Langflow's 202 shape.
pub async fn delete(req: &mut Req, app: &App, id: &str) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let id = path_uuid(id, "user_id")?;
    user_rules::check_delete(actor(&principal), &id)?;
    if !db::users::delete_with_everything(&app.db, &id).await? {
        return Err(user_not_found());
    }
    http::json(202, &json!({ "detail": "User deletion started", "request_id": ids::uuid_v4(random_bytes::<16>()?) }))
}
