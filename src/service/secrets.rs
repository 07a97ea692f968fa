//! Re-encrypting every stored secret under the current `LANGFLOW_SECRET_KEY`, decrypting with it
//! or any `LANGFLOW_SECRET_KEY_FALLBACKS`.
//!
//! Work goes in pages; each page's updates are one atomic batch, and each update applies only if
//! the row still holds the ciphertext that was read. So a call can be interrupted at any point and
//! repeated: rows already under the current key are skipped.

use super::audit::{self, Event, Record};
use super::auth::Superuser;
use super::{random_bytes, Call, Failure, Services};
use crate::db::{self, api_keys, app_secrets, two_factor, users, variables};
use worker::{D1Database, D1PreparedStatement};

const PAGE_ROWS: i64 = 500;
/// Rows re-encrypted per call, so one call stays well within a Worker's CPU budget; the answer
/// says `complete: false` when more remain. Rows already under the current key cost only an HMAC
/// check and do not count, so each call gets past the work earlier calls did.
const ROTATIONS_PER_CALL: usize = 5_000;

#[derive(Clone, Copy)]
enum EncryptedColumn {
    ApiKeys,
    CredentialVariables,
    StoreKeys,
    GatewayKey,
    TwoFactorSecrets,
}

impl EncryptedColumn {
    fn name(self) -> &'static str {
        match self {
            EncryptedColumn::ApiKeys => "api_keys",
            EncryptedColumn::CredentialVariables => "variables",
            EncryptedColumn::StoreKeys => "store_api_keys",
            EncryptedColumn::GatewayKey => "gateway_key",
            EncryptedColumn::TwoFactorSecrets => "two_factor_secrets",
        }
    }

    async fn page(self, db: &D1Database, after: &str) -> Result<Vec<(String, String)>, Failure> {
        match self {
            EncryptedColumn::ApiKeys => Ok(api_keys::ciphertext_page(db, after, PAGE_ROWS).await?),
            EncryptedColumn::CredentialVariables => Ok(variables::credential_page(db, after, PAGE_ROWS).await?),
            EncryptedColumn::StoreKeys => Ok(users::store_key_page(db, after, PAGE_ROWS).await?),
            EncryptedColumn::GatewayKey => Ok(app_secrets::encrypted_page(db, after, PAGE_ROWS).await?),
            EncryptedColumn::TwoFactorSecrets => Ok(two_factor::secret_page(db, after, PAGE_ROWS).await?),
        }
    }

    fn replace(self, db: &D1Database, id: &str, old: &str, new: &str) -> Result<D1PreparedStatement, Failure> {
        match self {
            EncryptedColumn::ApiKeys => Ok(api_keys::replace_ciphertext(db, id, old, new)?),
            EncryptedColumn::CredentialVariables => Ok(variables::replace_ciphertext(db, id, old, new)?),
            EncryptedColumn::StoreKeys => Ok(users::replace_store_key(db, id, old, new)?),
            EncryptedColumn::GatewayKey => Ok(app_secrets::replace_value(db, id, old, new)?),
            EncryptedColumn::TwoFactorSecrets => Ok(two_factor::replace_secret(db, id, old, new)?),
        }
    }
}

/// What a rotation call did.
pub struct RotationReport {
    /// Rows re-encrypted, per encrypted column (`api_keys`, `variables`, `store_api_keys`,
    /// `two_factor_secrets`, and `gateway_key` in gateway mode).
    pub changed: Vec<(&'static str, usize)>,
    pub total_changed: usize,
    /// Stored secrets that decrypt with no configured key.
    pub undecryptable: usize,
    /// False when the per-call budget ran out; call again to go on.
    pub complete: bool,
}

pub async fn rotate(services: &Services, call: &Call, admin: &Superuser<'_>) -> Result<RotationReport, Failure> {
    let ring = &services.state.fernet;
    let db = &services.db;
    let mut changed = Vec::new();
    let (mut total, mut undecryptable, mut rotated_here) = (0usize, 0usize, 0usize);
    let mut complete = true;
    let mut columns = vec![
        EncryptedColumn::ApiKeys,
        EncryptedColumn::CredentialVariables,
        EncryptedColumn::StoreKeys,
        EncryptedColumn::TwoFactorSecrets,
    ];
    // The gateway's stored signing key exists (and is reported) only in gateway mode.
    if services.settings().gateway.is_some() {
        columns.push(EncryptedColumn::GatewayKey);
    }
    'stores: for store in columns {
        let mut changed_here = 0;
        let mut after = String::new();
        loop {
            if rotated_here >= ROTATIONS_PER_CALL {
                complete = false;
                changed.push((store.name(), changed_here));
                break 'stores;
            }
            let page = store.page(db, &after).await?;
            let Some((last_id, _)) = page.last() else { break };
            after = last_id.clone();
            let mut updates = Vec::new();
            for (id, token) in &page {
                if ring.is_current(token) {
                    continue;
                }
                match ring.rotate(token, random_bytes::<16>()?) {
                    Ok(rotated) => updates.push(store.replace(db, id, token, &rotated)?),
                    Err(_) => undecryptable += 1,
                }
            }
            rotated_here += updates.len();
            changed_here += db::batch_changes(db, updates).await?;
        }
        total += changed_here;
        changed.push((store.name(), changed_here));
    }
    if undecryptable > 0 {
        worker::console_warn!("secret-key rotation: {undecryptable} stored secrets decrypt with no configured key");
    }
    let details = format!(r#"{{"total_changed":{total},"undecryptable":{undecryptable},"complete":{complete}}}"#);
    let record = Record::new(Event::SecretKeyRotated).by(admin).about(&admin.user);
    audit::record(services, call, record.resource("secret_key", None, None).details(details));
    Ok(RotationReport { changed, total_changed: total, undecryptable, complete })
}
