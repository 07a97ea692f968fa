//! `/api/v1/flows/...`: the caller's flows, strictly owner-scoped (Langflow §7).

use super::error::{ApiError, ApiResult};
use super::{json, path_id};
use crate::core::ids::{FlowId, FolderId};
use crate::core::request_body::JsonBody;
use crate::db::flows::MAX_FLOW_ROW_BYTES;
use crate::edge::http::Params;
use crate::edge::http::Req;
use crate::service::auth::Principal;
use crate::service::flows::{self, AccessType, FlowChanges};
use crate::service::projects;
use crate::service::Services;
use serde_json::{json, Value};
use worker::Response;

/// A flow body may be as large as a D1 row can hold, plus the JSON around it.
const FLOW_BODY_LIMIT: usize = MAX_FLOW_ROW_BYTES + 64 * 1024;

fn unprocessable(field: &str, kind: &str, msg: &str) -> ApiError {
    ApiError::unprocessable(kind, &["body", field], msg)
}

/// A field that may be absent (`None`), null (`Some(None)`) or a string.
fn nullable_str(body: &JsonBody, field: &str) -> ApiResult<Option<Option<String>>> {
    Ok(if body.has(field) { Some(body.optional_str(field)?.map(str::to_string)) } else { None })
}

fn nullable_bool(body: &JsonBody, field: &str) -> ApiResult<Option<Option<bool>>> {
    Ok(if body.has(field) { Some(body.optional_bool(field)?) } else { None })
}

/// The body's fields, typed as Langflow's FlowCreate/FlowUpdate types them. `user_id` is
/// ignored: the owner is always the caller.
fn changes(body: &JsonBody) -> ApiResult<FlowChanges> {
    let name = if body.has("name") {
        Some(
            body.optional_str("name")?
                .ok_or_else(|| unprocessable("name", "string_type", "Input should be a valid string"))?
                .to_string(),
        )
    } else {
        None
    };
    let data = match body.0.get("data") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(value @ Value::Object(_)) => Some(Some(value.to_string())),
        Some(_) => return Err(unprocessable("data", "dict_type", "Input should be a valid dictionary")),
    };
    let a2a_card_overrides = if body.has("a2a_card_overrides") {
        Some(body.optional_object("a2a_card_overrides")?.map(|o| Value::Object(o.clone()).to_string()))
    } else {
        None
    };
    let tags = match body.0.get("tags") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            Some(Some(Value::Array(items.clone()).to_string()))
        }
        Some(_) => return Err(unprocessable("tags", "list_type", "Input should be a valid list of strings")),
    };
    let access_type = match body.optional_str("access_type")? {
        None => None,
        Some("PRIVATE") => Some(AccessType::Private),
        Some("PUBLIC") => Some(AccessType::Public),
        Some(_) => return Err(unprocessable("access_type", "enum", "Input should be 'PRIVATE' or 'PUBLIC'")),
    };
    let folder_id = if body.has("folder_id") {
        Some(match body.optional_str("folder_id")? {
            None => None,
            Some(id) => Some(
                FolderId::parse(id)
                    .ok_or_else(|| unprocessable("folder_id", "uuid_parsing", "Input should be a valid UUID"))?,
            ),
        })
    } else {
        None
    };
    Ok(FlowChanges {
        name,
        description: nullable_str(body, "description")?,
        icon: nullable_str(body, "icon")?,
        icon_bg_color: nullable_str(body, "icon_bg_color")?,
        gradient: nullable_str(body, "gradient")?,
        action_name: nullable_str(body, "action_name")?,
        action_description: nullable_str(body, "action_description")?,
        is_component: nullable_bool(body, "is_component")?,
        webhook: nullable_bool(body, "webhook")?,
        locked: nullable_bool(body, "locked")?,
        mcp_enabled: nullable_bool(body, "mcp_enabled")?,
        a2a_enabled: nullable_bool(body, "a2a_enabled")?,
        data,
        a2a_card_overrides,
        tags,
        endpoint_name: nullable_str(body, "endpoint_name")?,
        access_type,
        folder_id,
    })
}

fn flow_id(params: &Params) -> ApiResult<FlowId> {
    path_id(params, "flow_id", FlowId::parse)
}

/// POST /api/v1/flows/ — 201; a taken name becomes `name (1)`, `name (2)`, ...
pub async fn create(req: &mut Req, services: &Services, principal: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    let body = req.json_body(FLOW_BODY_LIMIT).await?;
    body.required_str("name")?;
    let id = match body.optional_str("id")? {
        None => None,
        Some(id) => {
            Some(FlowId::parse(id).ok_or_else(|| unprocessable("id", "uuid_parsing", "Input should be a valid UUID"))?)
        }
    };
    let flow = flows::create(services, &req.call(), principal, id, changes(&body)?).await?;
    json(201, &flows::langflow_json(&flow))
}

pub(super) fn query_flag(req: &Req, name: &str, default: bool) -> ApiResult<bool> {
    match req.query_param(name) {
        None => Ok(default),
        Some(text) => crate::settings::parse_bool(text).ok_or_else(|| {
            ApiError::unprocessable("bool_parsing", &["query", name], "Input should be a valid boolean")
        }),
    }
}

pub(super) fn query_number(req: &Req, name: &str, default: usize) -> ApiResult<usize> {
    match req.query_param(name) {
        None => Ok(default),
        // Huge values simply page past the end (clamped), rather than failing.
        Some(text) => match text.trim().parse::<i128>() {
            Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            Ok(_) => Err(ApiError::unprocessable(
                "greater_than_equal",
                &["query", name],
                "Input should be greater than or equal to 1",
            )),
            Err(_) => Err(ApiError::unprocessable(
                "int_parsing",
                &["query", name],
                "Input should be a valid integer, unable to parse string as an integer",
            )),
        },
    }
}

/// GET /api/v1/flows/ — the caller's flows only; `get_all=false` pages them (in the default
/// project unless `folder_id` names one); `components_only` keeps the components.
pub async fn list(req: &mut Req, services: &Services, principal: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    let folder = match req.query_param("folder_id").filter(|f| !f.is_empty()) {
        None => None,
        Some(id) => Some(FolderId::parse(id).ok_or_else(|| {
            ApiError::unprocessable("uuid_parsing", &["query", "folder_id"], "Input should be a valid UUID")
        })?),
    };
    let headers_only = query_flag(req, "header_flows", false)?;
    let get_all = query_flag(req, "get_all", true)?;
    let components_only = query_flag(req, "components_only", false)?;
    let flow_type = match req.query_param("flow_type") {
        None => None,
        Some(kind @ ("workflow" | "agent")) => Some(kind),
        Some(_) => {
            return Err(ApiError::unprocessable(
                "enum",
                &["query", "flow_type"],
                "Input should be 'workflow' or 'agent'",
            ))
        }
    };
    // As in Langflow: everything the caller owns (any project) with get_all; a page is of the
    // named project, else of the caller's default project.
    let folder = match folder {
        _ if get_all => None,
        None => Some(projects::default_for(services, &principal.user.id).await?),
        folder => folder,
    };
    let mut found = flows::list(services, principal, folder.as_ref(), !headers_only).await?;
    if components_only {
        found.retain(|f| f.is_component == Some(1));
    }
    if let Some(kind) = &flow_type {
        found.retain(|f| &f.flow_type == kind);
    }
    let render = |f| if headers_only { flows::langflow_header_json(f) } else { flows::langflow_json(f) };
    if get_all {
        return json(200, &found.iter().map(render).collect::<Vec<_>>());
    }
    let (page, size) = (query_number(req, "page", 1)?, query_number(req, "size", 50)?);
    let items: Vec<Value> = found.iter().skip((page - 1).saturating_mul(size)).take(size).map(render).collect();
    let pages = found.len().div_ceil(size);
    json(200, &json!({ "items": items, "total": found.len(), "page": page, "size": size, "pages": pages }))
}

/// GET /api/v1/flows/{id}
pub async fn read(_: &mut Req, services: &Services, principal: &Principal, params: &Params<'_>) -> ApiResult<Response> {
    let flow = flows::get(services, principal, &flow_id(params)?).await?;
    json(200, &flows::langflow_json(&flow))
}

/// PATCH /api/v1/flows/{id} — partial update of an owned flow.
pub async fn update(
    req: &mut Req,
    services: &Services,
    principal: &Principal,
    params: &Params<'_>,
) -> ApiResult<Response> {
    let id = flow_id(params)?;
    let body = req.json_body(FLOW_BODY_LIMIT).await?;
    let flow = flows::update(services, &req.call(), principal, &id, changes(&body)?).await?;
    json(200, &flows::langflow_json(&flow))
}

/// DELETE /api/v1/flows/{id}
pub async fn delete(
    _: &mut Req,
    services: &Services,
    principal: &Principal,
    params: &Params<'_>,
) -> ApiResult<Response> {
    flows::delete(services, principal, &flow_id(params)?).await?;
    json(200, &json!({ "message": "Flow deleted successfully" }))
}
