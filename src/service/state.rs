//! Per-isolate state: settings, the Fernet key ring and the JWT keys, built on the first request
//! and reused by every later one in the same isolate.

use super::{random_bytes, Failure};
use crate::core::secret_key::{self, Derivation};
use crate::core::{fernet::KeyRing, token::TokenKeys};
use crate::db::app_secrets;
use crate::settings::Settings;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use worker::{console_warn, D1Database, Env};

pub struct AppState {
    pub settings: Settings,
    pub fernet: KeyRing,
    pub tokens: TokenKeys,
    /// Signs the pages' form tokens (`core::csrf::form_token`); derived from the secret key.
    pub form_key: [u8; 32],
    /// Set once the bootstrap superuser is known to exist, so later requests skip the check.
    pub(super) superuser_ready: Cell<bool>,
}

thread_local! {
    static STATE: RefCell<Option<Rc<AppState>>> = const { RefCell::new(None) };
}

fn env_string(env: &Env, name: &str) -> Option<String> {
    js_sys::Reflect::get(env, &name.into()).ok().and_then(|v| v.as_string())
}

/// The state, if an earlier request of this isolate built it.
pub fn loaded() -> Option<Rc<AppState>> {
    STATE.with(|s| s.borrow().clone())
}

pub async fn load(env: &Env, db: &D1Database, now_secs: i64) -> Result<Rc<AppState>, Failure> {
    if let Some(state) = loaded() {
        return Ok(state);
    }
    let settings = Settings::from_lookup(|name| env_string(env, name))?;
    let secret = match &settings.secret_key {
        Some(secret) => secret.clone(),
        None => {
            console_warn!(
                "LANGFLOW_SECRET_KEY is not set: using a key generated once and kept in D1 (table app_secret). \
                 Set your own with `wrangler secret put LANGFLOW_SECRET_KEY`."
            );
            let candidate = secret_key::generate_secret(random_bytes::<32>()?);
            app_secrets::get_or_insert(db, "secret_key", &candidate, now_secs).await?
        }
    };
    let named = std::iter::once(("LANGFLOW_SECRET_KEY", secret.as_str()))
        .chain(settings.secret_key_fallbacks.iter().map(|s| ("LANGFLOW_SECRET_KEY_FALLBACKS", s.as_str())));
    for (variable, value) in named {
        if secret_key::derive(value).derivation == Derivation::Sha256Fallback {
            console_warn!(
                "{variable}: a secret of 32+ characters that is not a url-safe base64 Fernet key (Langflow fails to \
                 encrypt with such a key); deriving the encryption key from it with SHA-256 instead."
            );
        }
    }
    let state = Rc::new(AppState {
        fernet: secret_key::key_ring(&secret, &settings.secret_key_fallbacks),
        tokens: TokenKeys::new(&secret, &settings.secret_key_fallbacks),
        form_key: crate::core::csrf::form_key(&secret),
        settings,
        superuser_ready: Cell::new(false),
    });
    STATE.with(|s| *s.borrow_mut() = Some(state.clone()));
    Ok(state)
}

impl AppState {
    /// A Fernet token of `plaintext` under the current key.
    pub fn encrypt(&self, plaintext: &str, now_secs: i64) -> Result<String, Failure> {
        self.fernet
            .encrypt(plaintext.as_bytes(), now_secs.max(0) as u64, random_bytes::<16>()?)
            .map_err(|e| Failure::Internal(format!("encryption failed: {e}")))
    }
}
