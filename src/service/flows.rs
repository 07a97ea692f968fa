//! A person's flows, strictly owner-scoped (Langflow §7): another user's flow is "not found",
//! superusers included. A taken name becomes `name (1)`, `name (2)`, ... as in Langflow.

use super::auth::Principal;
use super::{failure_variant, projects, random_bytes, Call, Failure, Services};
use crate::core::ids::{FlowId, FolderId};
use crate::core::naming::{next_free_endpoint, next_free_name};
use crate::core::time;
use crate::db::flows::{self, Flow, FlowWriteError, MAX_FLOW_ROW_BYTES};
use serde_json::{json, Value};

#[derive(Debug)]
pub enum FlowError {
    NotFound,
    /// A client-chosen id of version 5 (Langflow keeps those for public execution histories).
    IdVersion5,
    /// A client-chosen id that is a user's id.
    IdIsUserId,
    /// A client-chosen id another flow has.
    IdTaken,
    NameEmpty,
    /// The endpoint name has characters other than letters, digits, `-` and `_`.
    EndpointName,
    /// On a rename: another of the owner's flows has the name (or endpoint name).
    NameTaken,
    EndpointTaken,
    /// No free `name (n)` after several tries (concurrent creations).
    NoFreeName,
    /// The flow would not fit in one D1 row; `size` is about how many bytes it has.
    TooLarge {
        size: usize,
    },
    Failed(Failure),
}
failure_variant!(FlowError);

/// Who may see a flow: everyone with the link, or only its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessType {
    Private,
    Public,
}

impl AccessType {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessType::Private => "PRIVATE",
            AccessType::Public => "PUBLIC",
        }
    }
}

/// The fields a create or change sets. `None` leaves a field alone; `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct FlowChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub icon: Option<Option<String>>,
    pub icon_bg_color: Option<Option<String>>,
    pub gradient: Option<Option<String>>,
    pub action_name: Option<Option<String>>,
    pub action_description: Option<Option<String>>,
    pub is_component: Option<Option<bool>>,
    pub webhook: Option<Option<bool>>,
    pub locked: Option<Option<bool>>,
    pub mcp_enabled: Option<Option<bool>>,
    pub a2a_enabled: Option<Option<bool>>,
    /// JSON text of an object.
    pub data: Option<Option<String>>,
    /// JSON text of an object.
    pub a2a_card_overrides: Option<Option<String>>,
    /// JSON text of a list of strings.
    pub tags: Option<Option<String>>,
    /// An empty name counts as none.
    pub endpoint_name: Option<Option<String>>,
    pub access_type: Option<AccessType>,
    pub folder_id: Option<Option<FolderId>>,
}

/// Langflow's rule for endpoint names.
fn valid_endpoint(name: &str) -> bool {
    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn apply(flow: &mut Flow, changes: FlowChanges) -> Result<(), FlowError> {
    if let Some(name) = changes.name {
        if name.trim().is_empty() {
            return Err(FlowError::NameEmpty);
        }
        flow.name = name;
    }
    for (change, slot) in [
        (changes.description, &mut flow.description),
        (changes.icon, &mut flow.icon),
        (changes.icon_bg_color, &mut flow.icon_bg_color),
        (changes.gradient, &mut flow.gradient),
        (changes.action_name, &mut flow.action_name),
        (changes.action_description, &mut flow.action_description),
        (changes.data, &mut flow.data),
        (changes.a2a_card_overrides, &mut flow.a2a_card_overrides),
        (changes.tags, &mut flow.tags),
    ] {
        if let Some(value) = change {
            *slot = value;
        }
    }
    for (change, slot) in [
        (changes.is_component, &mut flow.is_component),
        (changes.webhook, &mut flow.webhook),
        (changes.locked, &mut flow.locked),
        (changes.mcp_enabled, &mut flow.mcp_enabled),
        (changes.a2a_enabled, &mut flow.a2a_enabled),
    ] {
        if let Some(value) = change {
            *slot = value.map(i64::from);
        }
    }
    if let Some(endpoint) = changes.endpoint_name {
        let endpoint = endpoint.filter(|e| !e.is_empty());
        if endpoint.as_deref().is_some_and(|e| !valid_endpoint(e)) {
            return Err(FlowError::EndpointName);
        }
        flow.endpoint_name = endpoint;
    }
    if let Some(access) = changes.access_type {
        flow.access_type = access.as_str().to_string();
    }
    if let Some(folder) = changes.folder_id {
        flow.folder_id = folder;
    }
    let size = flows::row_size(flow);
    if size > MAX_FLOW_ROW_BYTES {
        return Err(FlowError::TooLarge { size });
    }
    Ok(())
}

/// A new flow of `owner`'s; `changes.name` is required (the edge checks it is present). `id`
/// is the client's choice, if any (Langflow keeps it, for stable imports). The flow goes to the
/// project `changes.folder_id` names if it is one of the owner's, else to their default project.
pub async fn create(
    services: &Services,
    call: &Call,
    owner: &Principal,
    id: Option<FlowId>,
    mut changes: FlowChanges,
) -> Result<Flow, FlowError> {
    let owner_id = &owner.user.id;
    if let Some(id) = &id {
        if id.is_version_5() {
            return Err(FlowError::IdVersion5);
        }
        if flows::is_user_id(&services.db, id).await? {
            return Err(FlowError::IdIsUserId);
        }
    }
    let requested = changes.folder_id.take().flatten();
    let folder = projects::destination(services, owner_id, requested.as_ref()).await?;
    let mut flow = Flow {
        id: match id {
            Some(id) => id,
            None => FlowId::random(random_bytes::<16>()?),
        },
        name: String::new(),
        description: None,
        icon: None,
        icon_bg_color: None,
        gradient: None,
        data: None,
        is_component: Some(0),
        updated_at: Some(time::iso_micros(call.now_ms)),
        webhook: Some(0),
        endpoint_name: None,
        tags: None,
        locked: Some(0),
        mcp_enabled: Some(0),
        action_name: None,
        action_description: None,
        access_type: AccessType::Private.as_str().into(),
        flow_type: "workflow".into(),
        a2a_enabled: Some(0),
        a2a_card_overrides: None,
        user_id: Some(owner_id.clone()),
        folder_id: Some(folder),
        workspace_id: None,
        version_token: None,
    };
    apply(&mut flow, changes)?;
    let (base_name, base_endpoint) = (flow.name.clone(), flow.endpoint_name.clone());
    // A concurrent create may take the name between the look-up and the insert: look again.
    for _ in 0..5 {
        let (names, endpoints) =
            flows::taken_names(&services.db, owner_id, &base_name, base_endpoint.as_deref()).await?;
        flow.name = next_free_name(&base_name, &names);
        flow.endpoint_name = base_endpoint.as_deref().map(|e| next_free_endpoint(e, &endpoints));
        match flows::insert(&services.db, &flow).await {
            Ok(()) => return Ok(flow),
            Err(FlowWriteError::NameTaken | FlowWriteError::EndpointTaken) => continue,
            Err(FlowWriteError::IdTaken) => return Err(FlowError::IdTaken),
            Err(FlowWriteError::Db(err)) => return Err(err.into()),
        }
    }
    Err(FlowError::NoFreeName)
}

/// The owner's flows by name, optionally in one folder; without `data` unless asked for.
pub async fn list(
    services: &Services,
    owner: &Principal,
    folder: Option<&FolderId>,
    with_data: bool,
) -> Result<Vec<Flow>, Failure> {
    Ok(flows::list_owned(&services.db, &owner.user.id, folder, with_data).await?)
}

pub async fn get(services: &Services, owner: &Principal, id: &FlowId) -> Result<Flow, FlowError> {
    flows::find_owned(&services.db, id, &owner.user.id).await?.ok_or(FlowError::NotFound)
}

/// Applies `changes` to one of the owner's flows. A move names one of the owner's projects, else
/// the flow goes to their default project (Langflow's rule); a null project changes nothing.
pub async fn update(
    services: &Services,
    call: &Call,
    owner: &Principal,
    id: &FlowId,
    mut changes: FlowChanges,
) -> Result<Flow, FlowError> {
    let mut flow = get(services, owner, id).await?;
    changes.folder_id = match changes.folder_id.take().flatten() {
        Some(requested) => Some(Some(projects::destination(services, &owner.user.id, Some(&requested)).await?)),
        None => None,
    };
    apply(&mut flow, changes)?;
    flow.updated_at = Some(time::iso_micros(call.now_ms));
    match flows::update(&services.db, &flow, &owner.user.id).await {
        Ok(true) => Ok(flow),
        Ok(false) => Err(FlowError::NotFound),
        Err(FlowWriteError::NameTaken) => Err(FlowError::NameTaken),
        Err(FlowWriteError::EndpointTaken) => Err(FlowError::EndpointTaken),
        Err(FlowWriteError::IdTaken) => Err(FlowError::IdTaken),
        Err(FlowWriteError::Db(err)) => Err(err.into()),
    }
}

pub async fn delete(services: &Services, owner: &Principal, id: &FlowId) -> Result<(), FlowError> {
    if !flows::delete_owned(&services.db, id, &owner.user.id).await? {
        return Err(FlowError::NotFound);
    }
    Ok(())
}

fn parse_json(text: &Option<String>) -> Value {
    text.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null)
}

fn flag(value: Option<i64>) -> bool {
    value.unwrap_or(0) != 0
}

/// The flow as Langflow shows and exports it (its FlowRead): the API's answers and the pages'
/// "Download JSON" alike.
pub fn langflow_json(f: &Flow) -> Value {
    json!({
        "name": f.name, "description": f.description, "icon": f.icon, "icon_bg_color": f.icon_bg_color,
        "gradient": f.gradient, "data": parse_json(&f.data), "is_component": flag(f.is_component),
        "updated_at": f.updated_at, "webhook": flag(f.webhook), "endpoint_name": f.endpoint_name,
        "tags": parse_json(&f.tags), "locked": flag(f.locked), "mcp_enabled": flag(f.mcp_enabled),
        "action_name": f.action_name, "action_description": f.action_description, "access_type": f.access_type,
        "flow_type": f.flow_type, "a2a_enabled": flag(f.a2a_enabled), "a2a_card_overrides": parse_json(&f.a2a_card_overrides),
        "id": f.id, "user_id": f.user_id, "folder_id": f.folder_id, "workspace_id": f.workspace_id,
        "name_key": null, "version_token": f.version_token,
    })
}

/// Langflow's FlowHeader (`header_flows=true`): what a list view needs, without `data`.
pub fn langflow_header_json(f: &Flow) -> Value {
    // A component's data is in its header, a flow's is not (Langflow's FlowHeader validator).
    let data = if f.is_component == Some(1) { parse_json(&f.data) } else { Value::Null };
    json!({
        "id": f.id, "name": f.name, "folder_id": f.folder_id, "is_component": flag(f.is_component),
        "endpoint_name": f.endpoint_name, "description": f.description, "data": data, "access_type": f.access_type,
        "tags": parse_json(&f.tags), "mcp_enabled": flag(f.mcp_enabled), "flow_type": f.flow_type,
        "a2a_enabled": flag(f.a2a_enabled), "a2a_card_overrides": parse_json(&f.a2a_card_overrides),
        "action_name": f.action_name, "action_description": f.action_description, "updated_at": f.updated_at,
    })
}
