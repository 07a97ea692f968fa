//! A person's projects (Langflow's folders), strictly owner-scoped like flows: another user's
//! project is "not found". Every user has a default project ("Starter Project"); flows that name
//! no project of their owner's go there. Users created before projects existed (or imported
//! without any) get theirs on first need (`default_for`).

use super::auth::Principal;
use super::{failure_variant, random_bytes, Failure, Services};
use crate::core::ids::{FlowId, FolderId, UserId};
use crate::core::naming::{next_free_name, project_name_problem};
use crate::db::flows::{self as flow_rows, Flow, FolderPage};
use crate::db::folders::{self, Folder, FolderWriteError};

#[derive(Debug)]
pub enum ProjectError {
    NotFound,
    /// Langflow's name rule (`project_name_problem`), in its words.
    NameInvalid(&'static str),
    /// On a rename: another of the owner's projects has the name.
    NameTaken,
    ParentNotFound,
    /// No free `name (n)` after several tries (concurrent creations).
    NoFreeName,
    Failed(Failure),
}
failure_variant!(ProjectError);

/// A new project: `auth_type` is Langflow's MCP auth setting (`None`: Langflow's default).
pub struct NewProject {
    pub name: String,
    pub description: Option<String>,
    pub auth_type: Option<String>,
    /// The owner's flows and components to move into it (others' ids are ignored).
    pub flows: Vec<FlowId>,
}

/// What a change sets; `None` leaves a field alone (Langflow ignores nulls here too).
#[derive(Default)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub parent_id: Option<FolderId>,
    pub auth_type: Option<String>,
}

fn check_name(name: &str) -> Result<(), ProjectError> {
    project_name_problem(name).map_or(Ok(()), |problem| Err(ProjectError::NameInvalid(problem)))
}

fn auth_settings(auth_type: &str) -> String {
    serde_json::json!({ "auth_type": auth_type }).to_string()
}

/// The owner's default project, created (with their project-less flows moved into it) when they
/// have no project at all.
pub async fn default_for(services: &Services, owner: &UserId) -> Result<FolderId, Failure> {
    if let Some(id) = folders::default_id(&services.db, owner).await? {
        return Ok(id);
    }
    let id = FolderId::random(random_bytes::<16>()?);
    folders::insert_default_if_none(&services.db, &id, owner).await?;
    // A concurrent request may have made another: read back whichever exists.
    folders::default_id(&services.db, owner)
        .await?
        .ok_or_else(|| Failure::Internal("the default project vanished right after it was made".into()))
}

/// Where a flow goes: `requested` when it is one of the owner's projects, else (missing, another
/// user's, or none asked for) the owner's default project, as Langflow resolves it.
pub async fn destination(
    services: &Services,
    owner: &UserId,
    requested: Option<&FolderId>,
) -> Result<FolderId, Failure> {
    if let Some(id) = requested {
        if let Some(found) = folders::find_owned(&services.db, id, owner).await? {
            return Ok(found.id);
        }
    }
    default_for(services, owner).await
}

/// The owner's projects, the default first.
pub async fn list(services: &Services, owner: &Principal) -> Result<Vec<Folder>, Failure> {
    let found = folders::list_owned(&services.db, &owner.user.id).await?;
    if !found.is_empty() {
        return Ok(found);
    }
    default_for(services, &owner.user.id).await?;
    Ok(folders::list_owned(&services.db, &owner.user.id).await?)
}

pub async fn create(services: &Services, owner: &Principal, new: NewProject) -> Result<Folder, ProjectError> {
    check_name(&new.name)?;
    let owner_id = &owner.user.id;
    // Langflow turns MCP API-key auth on for new projects when auto-login is off.
    let auto_login_off = services.settings().auto_login == crate::settings::AutoLogin::Off;
    let auth_type = new.auth_type.or_else(|| auto_login_off.then(|| "apikey".to_string()));
    let mut folder = Folder {
        id: FolderId::random(random_bytes::<16>()?),
        name: new.name.clone(),
        description: new.description,
        auth_settings: auth_type.as_deref().map(auth_settings),
        parent_id: None,
        user_id: Some(owner_id.clone()),
    };
    for _ in 0..5 {
        let taken = folders::taken_names(&services.db, owner_id, &new.name).await?;
        folder.name = next_free_name(&new.name, &taken);
        match folders::insert(&services.db, &folder, owner_id, &new.flows).await {
            Ok(()) => return Ok(folder),
            Err(FolderWriteError::NameTaken) => continue,
            Err(FolderWriteError::Db(err)) => return Err(err.into()),
        }
    }
    Err(ProjectError::NoFreeName)
}

pub async fn get(services: &Services, owner: &Principal, id: &FolderId) -> Result<Folder, ProjectError> {
    folders::find_owned(&services.db, id, &owner.user.id).await?.ok_or(ProjectError::NotFound)
}

/// Every one of the owner's flows in an owned project (Langflow's unpaginated project read).
pub async fn flows(services: &Services, owner: &Principal, id: &FolderId) -> Result<Vec<Flow>, Failure> {
    Ok(flow_rows::list_owned(&services.db, &owner.user.id, Some(id), true).await?)
}

/// One page of the owner's flows in a project, and how many match.
pub async fn flow_page(
    services: &Services,
    owner: &Principal,
    page: &FolderPage<'_>,
) -> Result<(Vec<Flow>, usize), Failure> {
    Ok(flow_rows::page_in_folder(&services.db, &owner.user.id, page).await?)
}

pub async fn update(
    services: &Services,
    owner: &Principal,
    id: &FolderId,
    changes: ProjectChanges,
) -> Result<Folder, ProjectError> {
    let owner_id = &owner.user.id;
    let mut folder = get(services, owner, id).await?;
    if let Some(name) = changes.name {
        check_name(&name)?;
        folder.name = name;
    }
    if let Some(description) = changes.description {
        folder.description = Some(description);
    }
    if let Some(parent) = changes.parent_id {
        folders::find_owned(&services.db, &parent, owner_id).await?.ok_or(ProjectError::ParentNotFound)?;
        folder.parent_id = Some(parent);
    }
    if let Some(auth_type) = changes.auth_type {
        folder.auth_settings = Some(auth_settings(&auth_type));
    }
    match folders::update(&services.db, &folder, owner_id).await {
        Ok(true) => Ok(folder),
        Ok(false) => Err(ProjectError::NotFound),
        Err(FolderWriteError::NameTaken) => Err(ProjectError::NameTaken),
        Err(FolderWriteError::Db(err)) => Err(err.into()),
    }
}

/// Deletes an owned project with the owner's flows in it, as Langflow does.
pub async fn delete(services: &Services, owner: &Principal, id: &FolderId) -> Result<(), ProjectError> {
    if !folders::delete_owned(&services.db, id, &owner.user.id).await? {
        return Err(ProjectError::NotFound);
    }
    Ok(())
}
