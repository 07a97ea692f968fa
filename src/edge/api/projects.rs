//! `/api/v1/projects/...` (Langflow's projects, once called folders): the caller's own, strictly
//! owner-scoped. `/api/v1/folders/...` answers 307 to the same path under `projects`.

use super::error::{ApiError, ApiResult};
use super::flows::{query_flag, query_number};
use super::{json, path_id};
use crate::core::ids::{FlowId, FolderId};
use crate::core::request_body::JsonBody;
use crate::db::flows::FolderPage;
use crate::db::folders::Folder;
use crate::edge::http::{self, Params, Req, SMALL_BODY_LIMIT};
use crate::service::auth::Principal;
use crate::service::flows::langflow_json;
use crate::service::projects::{self, NewProject, ProjectChanges};
use crate::service::Services;
use serde_json::{json, Value};
use worker::Response;

/// Langflow's FolderRead.
fn folder_json(f: &Folder) -> Value {
    let auth_settings = f.auth_settings.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok());
    json!({ "name": f.name, "description": f.description, "auth_settings": auth_settings, "id": f.id, "parent_id": f.parent_id })
}

fn project_id(params: &Params) -> ApiResult<FolderId> {
    path_id(params, "project_id", FolderId::parse)
}

/// `auth_settings.auth_type`, the one MCP setting the edge keeps.
fn auth_type(body: &JsonBody) -> ApiResult<Option<String>> {
    Ok(body
        .optional_object("auth_settings")?
        .and_then(|settings| settings.get("auth_type"))
        .and_then(Value::as_str)
        .map(str::to_string))
}

/// A list of flow ids (`flows_list`, `components_list`), 422 for an entry that is not a UUID.
fn flow_ids(body: &JsonBody, field: &str, into: &mut Vec<FlowId>) -> ApiResult<()> {
    let items = match body.0.get(field) {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ApiError::unprocessable("list_type", &["body", field], "Input should be a valid list")),
    };
    for (i, item) in items.iter().enumerate() {
        let id = item.as_str().and_then(FlowId::parse).ok_or_else(|| {
            ApiError::unprocessable("uuid_parsing", &["body", field, &i.to_string()], "Input should be a valid UUID")
        })?;
        into.push(id);
    }
    Ok(())
}

/// GET /api/v1/projects/ — the caller's projects, the default one first.
pub async fn list(_: &mut Req, services: &Services, principal: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    let found = projects::list(services, principal).await?;
    let listed: Vec<Value> = found
        .iter()
        .map(|f| {
            let mut item = folder_json(f);
            item["owner_username"] = json!(principal.user.username);
            item["is_owner"] = json!(true);
            item
        })
        .collect();
    json(200, &listed)
}

/// POST /api/v1/projects/ — 201; a taken name becomes `name (1)`, `name (2)`, ...
pub async fn create(req: &mut Req, services: &Services, principal: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let name = body.required_str("name")?.to_string();
    let description = body.optional_str("description")?.map(str::to_string);
    let mut flows = Vec::new();
    flow_ids(&body, "flows_list", &mut flows)?;
    flow_ids(&body, "components_list", &mut flows)?;
    let new = NewProject { name, description, auth_type: auth_type(&body)?, flows };
    json(201, &folder_json(&projects::create(services, principal, new).await?))
}

/// GET /api/v1/projects/{id} — with its flows; paged (`{folder, flows: {items, ...}}`) when both
/// `page` and `size` are given, as in Langflow.
pub async fn read(
    req: &mut Req,
    services: &Services,
    principal: &Principal,
    params: &Params<'_>,
) -> ApiResult<Response> {
    let id = project_id(params)?;
    let page = req.query_param("page").map(|_| query_number(req, "page", 1)).transpose()?;
    let size = req.query_param("size").map(|_| query_number(req, "size", 50)).transpose()?;
    if size.is_some_and(|s| s > 100) {
        return Err(ApiError::unprocessable(
            "less_than_equal",
            &["query", "size"],
            "Input should be less than or equal to 100",
        ));
    }
    let components_only = query_flag(req, "is_component", false)?;
    let flows_only = query_flag(req, "is_flow", false)?;
    let folder = projects::get(services, principal, &id).await?;
    let (Some(page), Some(size)) = (page, size) else {
        let flows: Vec<Value> = projects::flows(services, principal, &id).await?.iter().map(langflow_json).collect();
        let mut answer = folder_json(&folder);
        answer["flows"] = Value::Array(flows);
        return json(200, &answer);
    };
    let search = req.query_param("search").unwrap_or_default();
    let wanted = FolderPage {
        folder: &id,
        components_only,
        flows_only,
        search,
        limit: size,
        offset: (page - 1).saturating_mul(size),
    };
    let (flows, total) = projects::flow_page(services, principal, &wanted).await?;
    let items: Vec<Value> = flows.iter().map(langflow_json).collect();
    let flows = json!({ "items": items, "total": total, "page": page, "size": size, "pages": total.div_ceil(size) });
    json(200, &json!({ "folder": folder_json(&folder), "flows": flows }))
}

/// PATCH /api/v1/projects/{id} — name, description, parent, MCP auth type; nulls change nothing.
pub async fn update(
    req: &mut Req,
    services: &Services,
    principal: &Principal,
    params: &Params<'_>,
) -> ApiResult<Response> {
    let id = project_id(params)?;
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let parent_id = match body.optional_str("parent_id")? {
        None => None,
        Some(text) => Some(FolderId::parse(text).ok_or_else(|| {
            ApiError::unprocessable("uuid_parsing", &["body", "parent_id"], "Input should be a valid UUID")
        })?),
    };
    let changes = ProjectChanges {
        name: body.optional_str("name")?.map(str::to_string),
        description: body.optional_str("description")?.map(str::to_string),
        parent_id,
        auth_type: auth_type(&body)?,
    };
    json(200, &folder_json(&projects::update(services, principal, &id, changes).await?))
}

/// DELETE /api/v1/projects/{id} — 204; the caller's flows in it go with it, as in Langflow.
pub async fn delete(
    _: &mut Req,
    services: &Services,
    principal: &Principal,
    params: &Params<'_>,
) -> ApiResult<Response> {
    projects::delete(services, principal, &project_id(params)?).await?;
    Ok(http::empty(204))
}

/// `/api/v1/folders/...`, Langflow's old name: 307 to the same path and query under `projects`.
pub async fn folders_redirect(req: &mut Req, _: &Services, params: &Params<'_>) -> ApiResult<Response> {
    if !params.get("folder_id").is_empty() {
        path_id(params, "folder_id", FolderId::parse)?;
    }
    let rest = req.path.trim_end_matches('/').strip_prefix("/api/v1/folders").unwrap_or_default();
    let mut location = format!("/api/v1/projects{}", if rest.is_empty() { "/" } else { rest });
    if let Some(query) = req.raw_query.as_deref().filter(|q| !q.is_empty()) {
        location.push('?');
        location.push_str(query);
    }
    let mut response = http::empty(307);
    let _ = response.headers_mut().set("location", &location);
    Ok(response)
}
