//! "Your sessions": a person's live sessions (created, last used, address, browser), ending one
//! or all the others, and a superuser ending every session of a user. Ending a session works as a
//! logout does: the row is revoked in D1, and this isolate forgets it at once (other isolates
//! within `LANGFLOW_SESSION_CACHE_SECONDS`, 0 by default).

use super::audit::{self, Event, Record};
use super::auth::{Principal, Superuser};
use super::{failure_variant, session_cache, Call, Failure, Services};
use crate::core::ids::{SessionId, UserId};
use crate::db::{self, sessions, users::User};

#[derive(Debug)]
pub enum SessionError {
    /// Not one of the caller's live sessions.
    NotFound,
    Failed(Failure),
}
failure_variant!(SessionError);

/// The caller's live sessions, most recently used first, as JSON objects (`db::sessions::list_live`).
pub async fn list(services: &Services, call: &Call, owner: &Principal) -> Result<Vec<String>, Failure> {
    Ok(sessions::list_live(&services.db, &owner.user.id, owner.session_id.as_ref(), call.now_secs()).await?)
}

/// A user's live sessions, for a superuser (the admin page).
pub async fn list_of(
    services: &Services,
    call: &Call,
    _admin: &Superuser<'_>,
    user: &User,
) -> Result<Vec<String>, Failure> {
    Ok(sessions::list_live(&services.db, &user.id, None, call.now_secs()).await?)
}

/// Ends one of the caller's sessions (their current one included: that is a logout).
pub async fn end(services: &Services, call: &Call, owner: &Principal, id: &SessionId) -> Result<(), SessionError> {
    let revoke = sessions::revoke_for_user(&services.db, id, &owner.user.id, call.now_secs())?;
    if db::batch_changes(&services.db, vec![revoke]).await? == 0 {
        return Err(SessionError::NotFound);
    }
    session_cache::forget_session(id);
    let record = Record::new(Event::SessionEnded).by(owner).about(&owner.user);
    audit::record(services, call, record.resource("session", Some(id.as_str()), None));
    Ok(())
}

/// Ends every session of the caller but the one making the request; with an API key (no
/// session) every session ends. Returns how many ended.
pub async fn end_others(services: &Services, call: &Call, owner: &Principal) -> Result<usize, Failure> {
    end_all_of(services, call, owner, &owner.user, owner.session_id.as_ref()).await
}

/// A superuser ends every session of `user` (their own current one excepted, when it is theirs).
pub async fn end_all_for_user(
    services: &Services,
    call: &Call,
    admin: &Superuser<'_>,
    user: &User,
) -> Result<usize, Failure> {
    let keep = if admin.user.id == user.id { admin.session_id.as_ref() } else { None };
    end_all_of(services, call, admin, user, keep).await
}

async fn end_all_of(
    services: &Services,
    call: &Call,
    actor: &Principal,
    user: &User,
    keep: Option<&SessionId>,
) -> Result<usize, Failure> {
    let revoke = sessions::revoke_all_for_user(&services.db, &user.id, keep, call.now_secs())?;
    let ended = db::batch_changes(&services.db, vec![revoke]).await?;
    forget_user_sessions(&user.id);
    if ended > 0 {
        let record = Record::new(Event::SessionsEnded).by(actor).about(user).details(format!(r#"{{"count":{ended}}}"#));
        audit::record(services, call, record);
    }
    Ok(ended)
}

/// Drops the user's cached sessions (and keys: the cache forgets per user).
fn forget_user_sessions(user: &UserId) {
    session_cache::forget_user(user);
}
