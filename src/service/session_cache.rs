//! `LANGFLOW_SESSION_CACHE_SECONDS`: an isolate may answer from a session or API key it verified
//! less than N seconds ago instead of reading D1 again. What this isolate revokes (a logout, a
//! password change, a deactivation, a deletion, a deleted key) it forgets at once; what another
//! isolate revokes holds here within N seconds, because no entry is used after N seconds.
//! With N = 0 (the default) nothing is kept and every request reads D1.

use super::recent::Recent;
use crate::core::ids::{ApiKeyId, SessionId, UserId};
use crate::db::api_keys::KeyWithOwner;
use crate::db::sessions::SessionWithUser;
use std::cell::RefCell;

/// The most callers one isolate keeps; the oldest entry makes room for a new one.
const CAPACITY: usize = 512;

#[derive(Clone)]
struct Entry<T> {
    value: T,
    /// Unix seconds when it was read from D1.
    read_at: i64,
}

#[derive(Default)]
struct Cache {
    sessions: Recent<SessionId, Entry<SessionWithUser>>,
    /// By the key's hash (what a request presents).
    keys: Recent<String, Entry<KeyWithOwner>>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

fn fresh<T: Clone>(entry: Option<&Entry<T>>, now: i64, ttl: u32) -> Option<T> {
    entry.filter(|e| now - e.read_at < i64::from(ttl) && now >= e.read_at).map(|e| e.value.clone())
}

pub fn session(id: &SessionId, now: i64, ttl: u32) -> Option<SessionWithUser> {
    if ttl == 0 {
        return None;
    }
    CACHE.with(|c| fresh(c.borrow().sessions.get(id), now, ttl))
}

pub fn remember_session(id: &SessionId, value: &SessionWithUser, now: i64, ttl: u32) {
    if ttl == 0 {
        return;
    }
    CACHE.with(|c| c.borrow_mut().sessions.insert(id.clone(), Entry { value: value.clone(), read_at: now }, CAPACITY));
}

pub fn api_key(hash: &str, now: i64, ttl: u32) -> Option<KeyWithOwner> {
    if ttl == 0 {
        return None;
    }
    CACHE.with(|c| fresh(c.borrow().keys.get(hash), now, ttl))
}

pub fn remember_api_key(hash: &str, value: &KeyWithOwner, now: i64, ttl: u32) {
    if ttl == 0 {
        return;
    }
    CACHE
        .with(|c| c.borrow_mut().keys.insert(hash.to_string(), Entry { value: value.clone(), read_at: now }, CAPACITY));
}

/// This isolate just recorded the session's use (see `auth`): the entry says so too.
pub fn mark_session_used(id: &SessionId, now: i64) {
    CACHE.with(|c| {
        if let Some(entry) = c.borrow_mut().sessions.get_mut(id) {
            entry.value.session.session_last_used_at = Some(now);
        }
    });
}

/// A session ended here (logout, a reused refresh token).
pub fn forget_session(id: &SessionId) {
    CACHE.with(|c| c.borrow_mut().sessions.retain(|key, _| key != id));
}

/// Anything about a user changed here (password, flags, name, deletion): forget their sessions
/// and keys, so the next request reads the user as it now is.
pub fn forget_user(user: &UserId) {
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        cache.sessions.retain(|_, e| &e.value.user.id != user);
        cache.keys.retain(|_, e| &e.value.user.id != user);
    });
}

pub fn forget_api_key(id: &ApiKeyId) {
    CACHE.with(|c| {
        c.borrow_mut().keys.retain(|_, e| &e.value.key.key_id != id);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_the_ttl_and_never_come_from_the_future() {
        let entry = Some(Entry { value: 7, read_at: 100 });
        assert_eq!(fresh(entry.as_ref(), 100, 5), Some(7));
        assert_eq!(fresh(entry.as_ref(), 104, 5), Some(7));
        assert_eq!(fresh(entry.as_ref(), 105, 5), None);
        assert_eq!(fresh(entry.as_ref(), 99, 5), None);
        assert_eq!(fresh(entry.as_ref(), 100, 0), None);
    }
}
