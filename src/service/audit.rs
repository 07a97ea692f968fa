//! The security audit log: one `record` call per event, written after the answer (`waitUntil`)
//! so no request waits for it, and never failing the request (a failed write is logged, without
//! the row). Nothing secret goes in: no password, token or key, only what happened, to whom, by
//! whom, why it failed (a class such as `WRONG_CREDENTIALS`), from which address and browser.
//!
//! Retention: events older than `LANGFLOW_AUDIT_RETENTION_DAYS` are deleted by the same deferred
//! work, at most once an hour per isolate, so the table stays bounded without a cron trigger.
//!
//! Other features add their events as one line in `events!` and call `record`:
//! `audit::record(services, call, Record::new(Event::TwoFactorEnrolled).by(principal).about(&user))`.

use super::auth::{Principal, Superuser, Via};
use super::{random_bytes, Call, Failure, Services};
use crate::core::audit_query::AuditQuery;
use crate::core::ids::uuid_v4;
use crate::db::users::User;
use crate::db::{self, audit};

use std::cell::Cell;

/// Declares `Event` and its action names and results, one line per event.
macro_rules! events {
    ($($(#[$doc:meta])* $name:ident => $action:literal, $result:literal;)*) => {
        /// Every event the log records. `action` is its name in the log and the API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Event {
            $($(#[$doc])* $name,)*
        }

        impl Event {
            pub const ALL: &'static [Event] = &[$(Event::$name),*];

            /// `auth:login`, `user:create`, ...: the names README lists, also the filter values.
            pub fn action(self) -> &'static str {
                match self {
                    $(Event::$name => $action,)*
                }
            }

            /// `succeeded` or `failed`, as Langflow's audit feed says it.
            pub fn result(self) -> &'static str {
                match self {
                    $(Event::$name => $result,)*
                }
            }
        }
    };
}

events! {
    /// A session started: password sign-in or auto-login (`details.method`).
    SignedIn => "auth:login", "succeeded";
    /// A sign-in was refused; `error_code` says why (never the password).
    SignInFailed => "auth:login", "failed";
    /// Failed sign-ins reached a limit (`error_code`: ACCOUNT_LOCKED or IP_RATE_LIMITED); logged
    /// once per lock, not for each attempt it refuses.
    LockedOut => "auth:lockout", "failed";
    SignedOut => "auth:logout", "succeeded";
    /// An old refresh token was presented again: its session was ended.
    RefreshTokenReused => "auth:refresh_token_reuse", "failed";
    /// A person changed their own password with the current one.
    PasswordChanged => "user:password_change", "succeeded";
    /// A password change was refused (wrong current password, too many attempts).
    PasswordChangeFailed => "user:password_change", "failed";
    /// A superuser set another user's password.
    PasswordReset => "user:password_reset", "succeeded";
    UserCreated => "user:create", "succeeded";
    /// Name, picture or opt-ins changed.
    UserUpdated => "user:update", "succeeded";
    UserActivated => "user:activate", "succeeded";
    UserDeactivated => "user:deactivate", "succeeded";
    UserDeleted => "user:delete", "succeeded";
    SuperuserGranted => "user:superuser_grant", "succeeded";
    SuperuserRevoked => "user:superuser_revoke", "succeeded";
    /// A superuser unlinked a single sign-on identity from an account.
    IdentityUnlinked => "user:identity_unlink", "succeeded";
    /// A person turned two-factor sign-in on (confirmed with a first code).
    TwoFactorEnrolled => "two_factor:enrol", "succeeded";
    /// A person turned two-factor sign-in off (with a code or a recovery code).
    TwoFactorRemoved => "two_factor:remove", "succeeded";
    ApiKeyCreated => "api_key:create", "succeeded";
    ApiKeyDeleted => "api_key:delete", "succeeded";
    /// Stored secrets were re-encrypted under the current secret key.
    SecretKeyRotated => "secret_key:rotate", "succeeded";
    /// A person ended one of their sessions (`/api/v1/sessions`, "Your sessions").
    SessionEnded => "session:end", "succeeded";
    /// Several sessions ended at once: a person's other sessions, or every session of a user
    /// ended by a superuser (`details.count`).
    SessionsEnded => "session:end_all", "succeeded";
}

/// One event, built up before it is recorded.
#[derive(Debug, Clone)]
pub struct Record {
    event: Event,
    error_code: Option<&'static str>,
    actor_type: &'static str,
    actor_id: Option<String>,
    user_id: Option<String>,
    resource_type: &'static str,
    resource_id: Option<String>,
    resource_name: Option<String>,
    /// A JSON object of non-secret facts.
    details: Option<String>,
}

impl Record {
    /// An event by nobody known yet, about nothing yet (add `by`, `about`, `resource`).
    pub fn new(event: Event) -> Record {
        Record {
            event,
            error_code: None,
            actor_type: "anonymous",
            actor_id: None,
            user_id: None,
            resource_type: "user",
            resource_id: None,
            resource_name: None,
            details: None,
        }
    }

    /// Who did it: the signed-in caller (by session or API key).
    pub fn by(self, principal: &Principal) -> Record {
        let actor_type = if principal.via == Via::ApiKey { "api_key" } else { "user" };
        self.by_user(&principal.user, actor_type)
    }

    /// Who did it, when they are not a caller yet (a sign-in).
    pub fn by_user(mut self, user: &User, actor_type: &'static str) -> Record {
        self.actor_type = actor_type;
        self.actor_id = Some(user.id.to_string());
        self
    }

    /// Who did it, by user id alone (a logout names its user by the token's subject).
    pub fn by_id(mut self, user_id: &str) -> Record {
        self.actor_type = "user";
        self.actor_id = Some(user_id.to_string());
        self
    }

    /// The account the event is about (the resource, unless `resource` names another).
    pub fn about(mut self, user: &User) -> Record {
        self.user_id = Some(user.id.to_string());
        self.resource_id = Some(user.id.to_string());
        self.resource_name = Some(user.username.clone());
        self
    }

    /// The account by id alone (it may be gone).
    pub fn about_id(mut self, user_id: &str) -> Record {
        self.user_id = Some(user_id.to_string());
        self.resource_id = Some(user_id.to_string());
        self
    }

    /// What the event is about, when it is not the account itself (a session, a key).
    pub fn resource(mut self, kind: &'static str, id: Option<&str>, name: Option<&str>) -> Record {
        self.resource_type = kind;
        self.resource_id = id.map(str::to_string);
        self.resource_name = name.map(str::to_string);
        self
    }

    /// Why it failed: a class in capitals, never the secret itself.
    pub fn reason(mut self, code: &'static str) -> Record {
        self.error_code = Some(code);
        self
    }

    /// Non-secret facts, as JSON object text. Callers write it from static names, numbers and
    /// ids only (no escaping needed); a `format!` costs far less wasm than `json!`.
    pub fn details(mut self, json_object: String) -> Record {
        self.details = Some(json_object);
        self
    }
}

/// Once an hour at most, per isolate: the last retention clean-up (unix ms).
const PURGE_EVERY_MS: i64 = 3_600_000;

thread_local! {
    static LAST_PURGE_MS: Cell<i64> = const { Cell::new(i64::MIN) };
}

/// Writes `record` after the answer. Never fails the request: problems are logged.
pub fn record(services: &Services, call: &Call, record: Record) {
    let Ok(random) = random_bytes::<16>() else {
        worker::console_error!("audit: no randomness; event {} not recorded", record.event.action());
        return;
    };
    let (db, now_ms) = (services.db.clone(), call.now_ms);
    let (client_ip, user_agent) = (call.client_ip.clone(), call.user_agent.clone());
    let retention_ms = i64::from(services.settings().audit_retention_days) * 86_400_000;
    let purge = LAST_PURGE_MS.with(|last| {
        let due = now_ms.saturating_sub(last.get()) >= PURGE_EVERY_MS;
        if due {
            last.set(now_ms);
        }
        due
    });
    services.defer(async move {
        let id = uuid_v4(random);
        let row = audit::NewEvent {
            id: &id,
            timestamp_ms: now_ms,
            action: record.event.action(),
            result: record.event.result(),
            error_code: record.error_code,
            actor_type: record.actor_type,
            actor_id: record.actor_id.as_deref(),
            user_id: record.user_id.as_deref(),
            resource_type: record.resource_type,
            resource_id: record.resource_id.as_deref(),
            resource_name: record.resource_name.as_deref(),
            client_ip: &client_ip,
            user_agent: &user_agent,
            details: record.details.as_deref(),
        };
        let written = match audit::insert(&db, &row) {
            Ok(insert) => db::run(insert).await.map(|_| ()).map_err(|e| e.to_string()),
            Err(err) => Err(err.0),
        };
        if let Err(err) = written {
            worker::console_error!("audit: event {} not recorded: {err}", row.action);
        }
        if purge {
            let cutoff = now_ms.saturating_sub(retention_ms);
            let purged = match audit::purge_before(&db, cutoff) {
                Ok(statement) => db::run(statement).await.map(|_| ()).map_err(|e| e.to_string()),
                Err(err) => Err(err.0),
            };
            if let Err(err) = purged {
                worker::console_error!("audit: retention clean-up failed: {err}");
            }
        }
    });
}

/// One page of the log, newest first.
pub struct AuditPage {
    /// Each event as a JSON object in the shape of Langflow's audit feed items (`db::audit`).
    pub items: Vec<String>,
    /// Pass as `cursor` for the next (older) page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Every match, when asked for (`include_total`).
    pub total: Option<i64>,
}

/// The events `query` asks for (superusers only).
pub async fn list(services: &Services, _admin: &Superuser<'_>, query: &AuditQuery) -> Result<AuditPage, Failure> {
    // Names and results were checked against the known ones (`audit_query`): no escaping needed.
    let json_list = |values: &[String]| (!values.is_empty()).then(|| format!("[\"{}\"]", values.join("\",\"")));
    let filter = audit::Filter {
        user_id: query.user_id.clone(),
        actor_id: query.actor_id.clone(),
        actions_json: json_list(&query.actions),
        results_json: json_list(&query.results),
        since_ms: query.since_ms,
        until_ms: query.until_ms,
    };
    // One more than asked tells whether there is a next page.
    let mut rows = audit::list(&services.db, &filter, query.cursor, query.offset, query.limit + 1).await?;
    let more = rows.len() as i64 > query.limit;
    rows.truncate(query.limit.max(0) as usize);
    let next_cursor = if more { rows.last().map(|e| e.seq.to_string()) } else { None };
    let items = rows.into_iter().map(|row| row.item).collect();
    let total = if query.include_total { Some(audit::count(&services.db, &filter).await?) } else { None };
    Ok(AuditPage { items, next_cursor, total })
}

/// The event names, for filters and the page's event list (each name once, in `events!` order).
pub fn actions() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for event in Event::ALL {
        if !names.contains(&event.action()) {
            names.push(event.action());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_has_a_name_in_langflow_style_and_a_known_result() {
        for event in Event::ALL {
            let (resource, verb) = event.action().split_once(':').expect("resource:verb");
            assert!(!resource.is_empty() && !verb.is_empty());
            assert!(event.action().chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == ':'));
            assert!(matches!(event.result(), "succeeded" | "failed"), "{event:?}");
        }
        // A success and its failure share the name; the result tells them apart.
        assert_eq!(Event::SignedIn.action(), Event::SignInFailed.action());
        assert_ne!(Event::SignedIn.result(), Event::SignInFailed.result());
        let names = actions();
        assert!(names.contains(&"auth:login") && names.contains(&"session:end_all"));
        assert_eq!(names.iter().filter(|n| **n == "auth:login").count(), 1);
    }

    #[test]
    fn readme_lists_every_event() {
        let readme = include_str!("../../README.md");
        for name in actions() {
            assert!(readme.contains(&format!("`{name}`")), "README's audit table is missing `{name}`");
        }
    }
}
