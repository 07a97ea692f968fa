//! Accounts: the bootstrap superuser, sign-up and creation by an admin, listing, reading,
//! changes (with the sessions they end), a person's own password change and deletion, with
//! Langflow's rules (`core::user_rules`).

use super::audit::{self, Event, Record};
use super::auth::{Principal, Superuser, Via};
use super::{failure_variant, random_bytes, session_cache, Call, Failure, Services};
use crate::core::ids::UserId;
use crate::core::password::{self, PasswordPolicyError, Verification};
use crate::core::rate_limit::exceeded;
use crate::core::time;
use crate::core::user_rules::{self, Actor, Denied, PatchFields};
use crate::db::users::{User, WriteError};
use crate::db::{self, login_attempts, sessions};
use crate::settings::ConfigError;

/// Langflow's default optins for a new user.
pub const DEFAULT_OPTINS: &str = r#"{"github_starred":false,"dialog_dismissed":false,"discord_clicked":false}"#;

#[derive(Debug)]
pub enum UserError {
    Denied(Denied),
    /// The username breaks a rule; the text says which.
    Username(&'static str),
    Password(PasswordPolicyError),
    UsernameTaken,
    /// The row changed since it was read (optimistic update).
    Conflict,
    NotFound,
    SignupDisabled,
    /// An API key may not change its owner's password.
    NeedsInteractiveSignIn,
    /// Only your own password can be changed with the current one.
    OthersPassword,
    CurrentPasswordWrong,
    PasswordUnchanged,
    TooManyAttempts {
        retry_after: i64,
    },
    Failed(Failure),
}
failure_variant!(UserError);

impl From<Denied> for UserError {
    fn from(denied: Denied) -> Self {
        UserError::Denied(denied)
    }
}

fn write_error(err: WriteError) -> UserError {
    match err {
        WriteError::UsernameTaken => UserError::UsernameTaken,
        WriteError::Conflict => UserError::Conflict,
        WriteError::Db(err) => err.into(),
    }
}

fn actor(principal: &Principal) -> Actor<'_> {
    Actor { id: principal.user.id.as_str(), is_superuser: principal.user.superuser() }
}

/// Creates the bootstrap superuser (`LANGFLOW_SUPERUSER`) if no user of that name exists, as
/// Langflow does at start-up. The password from the environment applies only here.
pub async fn ensure_bootstrap_superuser(services: &Services, now_ms: i64) -> Result<(), Failure> {
    let state = &services.state;
    if state.superuser_ready.get() {
        return Ok(());
    }
    let name = &state.settings.superuser;
    if db::users::find_by_username_ignoring_case(&services.db, name).await?.is_some() {
        state.superuser_ready.set(true);
        return Ok(());
    }
    let password = match &state.settings.superuser_password {
        Some(pw) => {
            password::check_policy(pw).map_err(|e| ConfigError {
                variable: "LANGFLOW_SUPERUSER_PASSWORD",
                problem: format!("is not a usable password ({})", e.message().trim_end_matches('.')),
            })?;
            if pw == "langflow" {
                return Err(ConfigError {
                    variable: "LANGFLOW_SUPERUSER_PASSWORD",
                    problem: "is the legacy default `langflow`, which Langflow refuses; choose another".into(),
                }
                .into());
            }
            pw.clone()
        }
        // Auto-login never asks for this password; nobody needs to know it.
        None => crate::core::secret_key::generate_secret(random_bytes::<32>()?),
    };
    let hash = password::hash_password(&password, random_bytes::<16>()?);
    let user = new_row(name, hash, true, true, None, now_ms)?;
    db::users::insert_if_absent(&services.db, &user).await?;
    state.superuser_ready.set(true);
    Ok(())
}

/// Every new account's row; `password_hash` is a hash, or `password::NO_PASSWORD`.
fn new_row(
    username: &str,
    password_hash: String,
    is_active: bool,
    is_superuser: bool,
    optins: Option<String>,
    now_ms: i64,
) -> Result<User, Failure> {
    let now = time::iso_micros(now_ms);
    Ok(User {
        id: UserId::random(random_bytes::<16>()?),
        username: username.to_string(),
        password: password_hash,
        profile_image: None,
        is_active: i64::from(is_active),
        is_superuser: i64::from(is_superuser),
        create_at: now.clone(),
        updated_at: now,
        last_login_at: None,
        store_api_key: None,
        optins: Some(optins.unwrap_or_else(|| DEFAULT_OPTINS.to_string())),
    })
}

/// A new account's fields.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// JSON text; Langflow's defaults when `None`.
    pub optins: Option<String>,
}

async fn insert(
    services: &Services,
    call: &Call,
    new: NewUser<'_>,
    active: bool,
    superuser: bool,
) -> Result<User, UserError> {
    user_rules::check_username(new.username).map_err(UserError::Username)?;
    password::check_policy(new.password).map_err(UserError::Password)?;
    let hash = password::hash_password(new.password, random_bytes::<16>()?);
    let user = new_row(new.username, hash, active, superuser, new.optins, call.now_ms)?;
    db::users::insert(&services.db, &user).await.map_err(write_error)?;
    give_default_project(services, &user).await?;
    Ok(user)
}

/// Langflow gives every new user their default project at once (in gateway mode projects are the
/// origin's, which makes its own).
async fn give_default_project(services: &Services, user: &User) -> Result<(), Failure> {
    if services.gateway().is_none() {
        let project = crate::core::ids::FolderId::random(super::random_bytes::<16>()?);
        db::folders::insert_default_if_none(&services.db, &project, &user.id).await?;
    }
    Ok(())
}

/// An account made at a first single sign-on: what every new account gets, with no usable
/// password (`password::NO_PASSWORD` never verifies), and `then` (its identity) written in the
/// same atomic batch. `UsernameTaken` when the name is in use.
pub async fn provision(
    services: &Services,
    call: &Call,
    username: &str,
    is_active: bool,
    is_superuser: bool,
    then: impl FnOnce(&User) -> Result<Vec<db::D1PreparedStatement>, Failure>,
) -> Result<User, UserError> {
    user_rules::check_username(username).map_err(UserError::Username)?;
    let user = new_row(username, password::NO_PASSWORD.to_string(), is_active, is_superuser, None, call.now_ms)?;
    let rows = then(&user)?;
    db::users::insert_with(&services.db, &user, rows).await.map_err(write_error)?;
    give_default_project(services, &user).await?;
    audit::record(services, call, Record::new(Event::UserCreated).about(&user).details(r#"{"method":"oidc"}"#.into()));
    Ok(user)
}

/// Langflow's `POST /users/`: public sign-up, or creation by a superuser. Either way the new user
/// is active only if `LANGFLOW_NEW_USER_IS_ACTIVE`, and never a superuser.
pub async fn sign_up(
    services: &Services,
    call: &Call,
    caller: Option<&Principal>,
    new: NewUser<'_>,
) -> Result<User, UserError> {
    check_sign_up(services, call, caller)?;
    let user = insert(services, call, new, services.settings().new_user_is_active, false).await?;
    record_created(services, call, caller, &user);
    Ok(user)
}

fn record_created(services: &Services, call: &Call, caller: Option<&Principal>, user: &User) {
    let record = Record::new(Event::UserCreated).about(user);
    let record = match caller {
        Some(caller) => record.by(caller),
        None => record.details(r#"{"signup":true}"#.into()),
    };
    audit::record(services, call, record);
}

/// Whether `caller` may create an account through sign-up: a superuser always; anyone else only
/// with sign-up enabled and auto-login off. The API asks before it reads the body, as Langflow.
pub fn check_sign_up(services: &Services, call: &Call, caller: Option<&Principal>) -> Result<(), UserError> {
    let by_admin = caller.is_some_and(|p| p.user.superuser());
    if !by_admin && (super::sign_in::auto_login_enabled(services, call) || !services.settings().enable_signup) {
        return Err(UserError::SignupDisabled);
    }
    Ok(())
}

/// Whether `caller` may change the password of `id` with the current one: only their own, and
/// only signed in interactively. The API asks before it reads the body.
pub fn check_own_password_change(caller: &Principal, id: &UserId) -> Result<(), UserError> {
    if caller.via == Via::ApiKey {
        return Err(UserError::NeedsInteractiveSignIn);
    }
    if &caller.user.id != id {
        return Err(UserError::OthersPassword);
    }
    Ok(())
}

/// An account made on the admin page, with the Active and Superuser flags the admin chose.
pub async fn create_as_admin(
    services: &Services,
    call: &Call,
    admin: &Superuser<'_>,
    new: NewUser<'_>,
    is_active: bool,
    is_superuser: bool,
) -> Result<User, UserError> {
    let user = insert(services, call, new, is_active, is_superuser).await?;
    record_created(services, call, Some(admin), &user);
    Ok(user)
}

/// A page of users ordered by username, and how many match.
pub async fn list(
    services: &Services,
    _admin: &Superuser<'_>,
    search: Option<&str>,
    skip: i64,
    limit: i64,
) -> Result<(i64, Vec<User>), Failure> {
    Ok(db::users::list(&services.db, search, skip, limit).await?)
}

/// Yourself, or anyone for a superuser.
pub async fn read(services: &Services, caller: &Principal, id: &UserId) -> Result<User, UserError> {
    user_rules::check_read(actor(caller), id.as_str())?;
    if &caller.user.id == id {
        return Ok(caller.user.clone());
    }
    db::users::find_by_id(&services.db, id).await?.ok_or(UserError::NotFound)
}

/// The fields a change sets; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub username: Option<String>,
    /// `Some(None)` clears the picture.
    pub profile_image: Option<Option<String>>,
    /// JSON text.
    pub optins: Option<String>,
    pub password: Option<String>,
    pub is_active: Option<bool>,
    pub is_superuser: Option<bool>,
}

/// Profile changes for yourself; everything for a superuser (Langflow's PATCH rules). A new
/// password or a deactivation ends every session of the user at once (deviation 1), except the
/// caller's own when the user changes their own password.
pub async fn update(
    services: &Services,
    call: &Call,
    caller: &Principal,
    id: &UserId,
    changes: UserChanges,
) -> Result<User, UserError> {
    let fields = PatchFields {
        sets_password: changes.password.is_some(),
        is_active: changes.is_active,
        is_superuser: changes.is_superuser,
    };
    user_rules::check_patch(actor(caller), id.as_str(), fields)?;
    let is_self = &caller.user.id == id;
    if fields.sets_password && caller.via == Via::ApiKey && is_self {
        return Err(UserError::NeedsInteractiveSignIn);
    }
    let mut user = if is_self {
        caller.user.clone()
    } else {
        db::users::find_by_id(&services.db, id).await?.ok_or(UserError::NotFound)?
    };
    let profile_changed = changes.username.is_some() || changes.profile_image.is_some() || changes.optins.is_some();
    if let Some(username) = changes.username {
        user_rules::check_username(&username).map_err(UserError::Username)?;
        user.username = username;
    }
    if let Some(image) = changes.profile_image {
        user.profile_image = image;
    }
    if let Some(optins) = changes.optins {
        user.optins = Some(optins);
    }
    let (was_active, was_superuser) = (user.active(), user.superuser());
    if let Some(new_password) = &changes.password {
        password::check_policy(new_password).map_err(UserError::Password)?;
        user.password = password::hash_password(new_password, random_bytes::<16>()?);
    }
    if let Some(active) = fields.is_active {
        user.is_active = i64::from(active);
    }
    if let Some(superuser) = fields.is_superuser {
        user.is_superuser = i64::from(superuser);
    }
    let read_at = std::mem::replace(&mut user.updated_at, time::iso_micros(call.now_ms));
    let mut then = Vec::new();
    if fields.sets_password || (was_active && !user.active()) {
        let keep = if is_self { caller.session_id.as_ref() } else { None };
        then.push(sessions::revoke_all_for_user(&services.db, &user.id, keep, call.now_secs())?);
    }
    db::users::update(&services.db, &user, &read_at, then).await.map_err(write_error)?;
    session_cache::forget_user(&user.id);
    let mut events = Vec::new();
    if profile_changed {
        events.push(Event::UserUpdated);
    }
    if fields.sets_password {
        events.push(if is_self { Event::PasswordChanged } else { Event::PasswordReset });
    }
    match (was_active, user.active()) {
        (false, true) => events.push(Event::UserActivated),
        (true, false) => events.push(Event::UserDeactivated),
        _ => {}
    }
    match (was_superuser, user.superuser()) {
        (false, true) => events.push(Event::SuperuserGranted),
        (true, false) => events.push(Event::SuperuserRevoked),
        _ => {}
    }
    for event in events {
        audit::record(services, call, Record::new(event).by(caller).about(&user));
    }
    Ok(user)
}

/// A person's own password change with the current one (Langflow's reset-password). The other
/// sessions end; the one making the change goes on.
pub async fn change_own_password(
    services: &Services,
    call: &Call,
    caller: &Principal,
    id: &UserId,
    current: &str,
    new_password: &str,
) -> Result<User, UserError> {
    check_own_password_change(caller, id)?;
    let now = call.now_secs();
    let limits = &services.settings().rate_limits;
    let failed = |reason| Record::new(Event::PasswordChangeFailed).by(caller).about(&caller.user).reason(reason);
    if limits.enabled {
        let key = format!("reset:{id}");
        let counter = login_attempts::record_one(&services.db, &key, 60, now).await?;
        if let Some(retry_after) = counter.and_then(|c| exceeded(c, limits.resets_per_user_per_minute, 60, now)) {
            // Logged when the limit is first crossed, not for every attempt it then refuses.
            if counter.is_some_and(|c| c.count == i64::from(limits.resets_per_user_per_minute) + 1) {
                audit::record(services, call, failed("TOO_MANY_ATTEMPTS"));
            }
            return Err(UserError::TooManyAttempts { retry_after });
        }
    }
    if password::verify_password(current, &caller.user.password) == Verification::Invalid {
        audit::record(services, call, failed("CURRENT_PASSWORD_WRONG"));
        return Err(UserError::CurrentPasswordWrong);
    }
    if new_password == current {
        return Err(UserError::PasswordUnchanged);
    }
    password::check_policy(new_password).map_err(UserError::Password)?;
    let mut user = caller.user.clone();
    user.password = password::hash_password(new_password, random_bytes::<16>()?);
    user.updated_at = time::iso_micros(call.now_ms);
    db::batch(
        &services.db,
        vec![
            db::users::set_password(&services.db, &user.id, &user.password, &user.updated_at)?,
            sessions::revoke_all_for_user(&services.db, &user.id, caller.session_id.as_ref(), now)?,
        ],
    )
    .await?;
    session_cache::forget_user(&user.id);
    audit::record(services, call, Record::new(Event::PasswordChanged).by(caller).about(&user));
    Ok(user)
}

/// Erases the user and all it owns at once (deviation 8).
pub async fn delete(services: &Services, call: &Call, admin: &Superuser<'_>, id: &UserId) -> Result<(), UserError> {
    user_rules::check_delete(actor(admin), id.as_str())?;
    // The deleted row comes back, so the log keeps the name of the account that is gone.
    let user = db::users::delete_with_everything(&services.db, id).await?.ok_or(UserError::NotFound)?;
    session_cache::forget_user(id);
    audit::record(services, call, Record::new(Event::UserDeleted).by(admin).about(&user));
    Ok(())
}
