//! A person's variables (Langflow §8). Credential values are Fernet-encrypted at rest and never
//! shown; Generic values are plain text. Owner-scoped like flows.

use super::auth::Principal;
use super::{failure_variant, random_bytes, Call, Failure, Services};
use crate::core::ids::VariableId;
use crate::core::time;
use crate::db::variables::{self, Variable, VariableWriteError, CREDENTIAL, GENERIC};

#[derive(Debug)]
pub enum VariableError {
    NotFound,
    NameTaken,
    NameEmpty,
    NameTooLong,
    ValueEmpty,
    /// A Generic value that looks like a Fernet token (it would be shown as if decrypted).
    LooksEncrypted,
    Failed(Failure),
}
failure_variant!(VariableError);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariableKind {
    Credential,
    Generic,
}

impl VariableKind {
    fn as_str(self) -> &'static str {
        match self {
            VariableKind::Credential => CREDENTIAL,
            VariableKind::Generic => GENERIC,
        }
    }
}

pub struct NewVariable {
    pub name: String,
    pub value: String,
    /// Credential when not given, as in Langflow.
    pub kind: Option<VariableKind>,
    pub default_fields: Vec<String>,
}

/// The fields a change sets; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct VariableChanges {
    pub name: Option<String>,
    pub value: Option<String>,
    pub kind: Option<VariableKind>,
    pub default_fields: Option<Vec<String>>,
}

fn write_error(err: VariableWriteError) -> VariableError {
    match err {
        VariableWriteError::NameTaken => VariableError::NameTaken,
        VariableWriteError::Db(err) => err.into(),
    }
}

fn check_name(name: &str) -> Result<(), VariableError> {
    if name.trim().is_empty() {
        return Err(VariableError::NameEmpty);
    }
    if name.chars().count() > 255 {
        return Err(VariableError::NameTooLong);
    }
    Ok(())
}

fn fields_json(fields: &[String]) -> String {
    serde_json::Value::from(fields.to_vec()).to_string()
}

/// The stored form of a value: a Fernet token for a Credential, the text itself for a Generic.
/// Text that looks like a Fernet token is refused as Generic, so ciphertext can never be shown
/// as plain text (Langflow answers this with a 500).
fn stored_value(services: &Services, kind: VariableKind, value: &str, now_secs: i64) -> Result<String, VariableError> {
    match kind {
        VariableKind::Generic if value.starts_with("gAAAAA") => Err(VariableError::LooksEncrypted),
        VariableKind::Generic => Ok(value.to_string()),
        VariableKind::Credential => Ok(services.state.encrypt(value, now_secs)?),
    }
}

pub async fn create(
    services: &Services,
    call: &Call,
    owner: &Principal,
    new: NewVariable,
) -> Result<Variable, VariableError> {
    check_name(&new.name)?;
    if new.value.is_empty() {
        return Err(VariableError::ValueEmpty);
    }
    let kind = new.kind.unwrap_or(VariableKind::Credential);
    let now = time::iso_micros(call.now_ms);
    let variable = Variable {
        id: VariableId::random(random_bytes::<16>()?),
        value: stored_value(services, kind, &new.value, call.now_secs())?,
        name: new.name,
        kind: Some(kind.as_str().to_string()),
        default_fields: Some(fields_json(&new.default_fields)),
        created_at: Some(now.clone()),
        updated_at: Some(now),
        user_id: owner.user.id.clone(),
    };
    variables::insert(&services.db, &variable).await.map_err(write_error)?;
    Ok(variable)
}

pub async fn list(services: &Services, owner: &Principal) -> Result<Vec<Variable>, Failure> {
    Ok(variables::list_owned(&services.db, &owner.user.id).await?)
}

pub async fn update(
    services: &Services,
    call: &Call,
    owner: &Principal,
    id: &VariableId,
    changes: VariableChanges,
) -> Result<Variable, VariableError> {
    let mut variable = variables::find_owned(&services.db, id, &owner.user.id).await?.ok_or(VariableError::NotFound)?;
    let was_credential = variable.is_credential();
    let kind = changes.kind.unwrap_or(if was_credential { VariableKind::Credential } else { VariableKind::Generic });
    if let Some(name) = changes.name {
        check_name(&name)?;
        variable.name = name;
    }
    if let Some(fields) = changes.default_fields {
        variable.default_fields = Some(fields_json(&fields));
    }
    let now = call.now_secs();
    match (changes.value.as_deref(), was_credential, kind) {
        (Some(""), _, _) => return Err(VariableError::ValueEmpty),
        (Some(value), _, kind) => variable.value = stored_value(services, kind, value, now)?,
        // Langflow's answer: relabelling a Credential as Generic without a new value would show
        // the ciphertext as plain text, so it is refused.
        (None, true, VariableKind::Generic) => return Err(VariableError::NotFound),
        (None, false, VariableKind::Credential) => {
            variable.value = stored_value(services, VariableKind::Credential, &variable.value, now)?
        }
        (None, _, _) => {}
    }
    variable.kind = Some(kind.as_str().to_string());
    variable.updated_at = Some(time::iso_micros(call.now_ms));
    if !variables::update_owned(&services.db, &variable).await.map_err(write_error)? {
        return Err(VariableError::NotFound);
    }
    Ok(variable)
}

pub async fn delete(services: &Services, owner: &Principal, id: &VariableId) -> Result<(), VariableError> {
    if !variables::delete_owned(&services.db, id, &owner.user.id).await? {
        return Err(VariableError::NotFound);
    }
    Ok(())
}
