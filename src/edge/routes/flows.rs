//! `/api/v1/flows/...`: the caller's flows, strictly owner-scoped (Langflow §7): another user's
//! flow is "Flow not found", superusers included.

use crate::core::naming::{next_free_endpoint, next_free_name};
use crate::core::request_body::JsonBody;
use crate::core::{ids, time};
use crate::db::flows::{self, Flow, FlowWriteError, MAX_FLOW_ROW_BYTES};
use crate::edge::auth;
use crate::edge::http::{self, random_bytes, Req};
use crate::edge::routes::users::path_uuid;
use crate::edge::App;
use crate::error::{ApiError, ApiResult};
use serde_json::{json, Value};
use worker::Response;

/// A flow body may be as large as a D1 row can hold, plus the JSON around it.
const FLOW_BODY_LIMIT: usize = MAX_FLOW_ROW_BYTES + 64 * 1024;

fn flow_not_found() -> ApiError {
    ApiError::not_found("Flow not found")
}

fn parse_json(text: &Option<String>) -> Value {
    text.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null)
}

fn flag(value: Option<i64>) -> bool {
    value.unwrap_or(0) != 0
}

/// Langflow's FlowRead.
pub fn flow_read(f: &Flow) -> Value {
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
fn flow_header(f: &Flow) -> Value {
    json!({
        "id": f.id, "name": f.name, "folder_id": f.folder_id, "is_component": flag(f.is_component),
        "endpoint_name": f.endpoint_name, "description": f.description, "data": null, "access_type": f.access_type,
        "tags": parse_json(&f.tags), "mcp_enabled": flag(f.mcp_enabled), "action_name": f.action_name,
        "action_description": f.action_description, "updated_at": f.updated_at,
    })
}

fn unprocessable(field: &str, kind: &str, msg: &str) -> ApiError {
    ApiError::unprocessable(kind, &["body", field], msg)
}

/// Copies the fields present in `body` onto `flow`, validating each. `user_id` and `id` in the
/// body are ignored: the owner is always the caller.
fn apply_fields(flow: &mut Flow, body: &JsonBody) -> ApiResult<()> {
    if body.has("name") {
        let name = body
            .optional_str("name")?
            .ok_or_else(|| unprocessable("name", "string_type", "Input should be a valid string"))?;
        if name.trim().is_empty() {
            return Err(ApiError::bad_request("Flow name cannot be empty."));
        }
        flow.name = name.to_string();
    }
    for (field, slot) in [
        ("description", &mut flow.description),
        ("icon", &mut flow.icon),
        ("icon_bg_color", &mut flow.icon_bg_color),
        ("gradient", &mut flow.gradient),
        ("action_name", &mut flow.action_name),
        ("action_description", &mut flow.action_description),
    ] {
        if body.has(field) {
            *slot = body.optional_str(field)?.map(str::to_string);
        }
    }
    for (field, slot) in [
        ("is_component", &mut flow.is_component),
        ("webhook", &mut flow.webhook),
        ("locked", &mut flow.locked),
        ("mcp_enabled", &mut flow.mcp_enabled),
        ("a2a_enabled", &mut flow.a2a_enabled),
    ] {
        if body.has(field) {
            *slot = body.optional_bool(field)?.map(i64::from);
        }
    }
    if body.has("data") {
        flow.data = match body.0.get("data") {
            Some(Value::Null) | None => None,
            Some(value @ Value::Object(_)) => Some(value.to_string()),
            Some(_) => return Err(unprocessable("data", "dict_type", "Input should be a valid dictionary")),
        };
    }
    if body.has("a2a_card_overrides") {
        flow.a2a_card_overrides =
            body.optional_object("a2a_card_overrides")?.map(|o| Value::Object(o.clone()).to_string());
    }
    if body.has("tags") {
        flow.tags = match body.0.get("tags") {
            Some(Value::Null) | None => None,
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
                Some(Value::Array(items.clone()).to_string())
            }
            Some(_) => return Err(unprocessable("tags", "list_type", "Input should be a valid list of strings")),
        };
    }
    if body.has("endpoint_name") {
        let endpoint = body.optional_str("endpoint_name")?.filter(|e| !e.is_empty());
        if let Some(e) = endpoint {
            if !e.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(unprocessable(
                    "endpoint_name",
                    "value_error",
                    "Endpoint name must contain only letters, numbers, hyphens, and underscores",
                ));
            }
        }
        flow.endpoint_name = endpoint.map(str::to_string);
    }
    if body.has("access_type") {
        match body.optional_str("access_type")? {
            None => {}
            Some(kind @ ("PRIVATE" | "PUBLIC")) => flow.access_type = kind.to_string(),
            Some(_) => return Err(unprocessable("access_type", "enum", "Input should be 'PRIVATE' or 'PUBLIC'")),
        }
    }
    if body.has("folder_id") {
        flow.folder_id = match body.optional_str("folder_id")? {
            None => None,
            Some(id) => Some(
                ids::parse_uuid(id)
                    .ok_or_else(|| unprocessable("folder_id", "uuid_parsing", "Input should be a valid UUID"))?,
            ),
        };
    }
    let size = flows::row_size(flow);
    if size > MAX_FLOW_ROW_BYTES {
        return Err(ApiError::new(
            413,
            format!("Flow too large to store: about {size} bytes, and a flow may take at most {MAX_FLOW_ROW_BYTES} bytes (one D1 row)."),
        ));
    }
    Ok(())
}

/// POST /api/v1/flows/ — 201; a taken name becomes `name (1)`, `name (2)`, ...
pub async fn create(req: &mut Req, app: &App) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let body = req.json_body(FLOW_BODY_LIMIT).await?;
    body.required_str("name")?;
    let flow = create_owned(app, &principal.user.id, &body, req.now_ms).await?;
    http::json(201, &flow_read(&flow))
}

/// Creates a flow for `owner` from the fields in `body` (the API and the flows page); a taken
/// name becomes `name (1)`, `name (2)`, ...
pub async fn create_owned(app: &App, owner: &str, body: &JsonBody, now_ms: i64) -> ApiResult<Flow> {
    let mut flow = Flow {
        id: ids::uuid_v4(random_bytes::<16>()?),
        access_type: "PRIVATE".into(),
        flow_type: "workflow".into(),
        user_id: Some(owner.to_string()),
        updated_at: Some(time::iso_micros(now_ms)),
        is_component: Some(0),
        webhook: Some(0),
        locked: Some(0),
        mcp_enabled: Some(0),
        a2a_enabled: Some(0),
        ..Flow::default()
    };
    apply_fields(&mut flow, body)?;
    let (base_name, base_endpoint) = (flow.name.clone(), flow.endpoint_name.clone());
    // A concurrent create may take the name between the look-up and the insert: look again.
    for _ in 0..5 {
        let (names, endpoints) = flows::taken_names(&app.db, owner, &base_name, base_endpoint.as_deref()).await?;
        flow.name = next_free_name(&base_name, &names);
        flow.endpoint_name = base_endpoint.as_deref().map(|e| next_free_endpoint(e, &endpoints));
        match flows::insert(&app.db, &flow).await {
            Ok(()) => return Ok(flow),
            Err(FlowWriteError::NameTaken | FlowWriteError::EndpointTaken) => continue,
            Err(FlowWriteError::Db(err)) => return Err(err),
        }
    }
    Err(ApiError::new(409, "Could not find a free flow name; try again."))
}

fn query_flag(req: &Req, name: &str, default: bool) -> ApiResult<bool> {
    match req.query_param(name) {
        None => Ok(default),
        Some(text) => crate::settings::parse_bool(text).ok_or_else(|| {
            ApiError::unprocessable("bool_parsing", &["query", name], "Input should be a valid boolean")
        }),
    }
}

fn query_number(req: &Req, name: &str, default: usize) -> ApiResult<usize> {
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

/// GET /api/v1/flows/ — the caller's flows only; `get_all=false` pages them.
pub async fn list(req: &mut Req, app: &App) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let folder = match req.query_param("folder_id").filter(|f| !f.is_empty()) {
        None => None,
        Some(id) => Some(ids::parse_uuid(id).ok_or_else(|| {
            ApiError::unprocessable("uuid_parsing", &["query", "folder_id"], "Input should be a valid UUID")
        })?),
    };
    let headers_only = query_flag(req, "header_flows", false)?;
    let get_all = query_flag(req, "get_all", true)?;
    let found = flows::list_owned(&app.db, &principal.user.id, folder.as_deref(), !headers_only).await?;
    let render = |f: &Flow| if headers_only { flow_header(f) } else { flow_read(f) };
    if get_all {
        return http::json(200, &found.iter().map(render).collect::<Vec<_>>());
    }
    let (page, size) = (query_number(req, "page", 1)?, query_number(req, "size", 50)?);
    let items: Vec<Value> = found.iter().skip((page - 1).saturating_mul(size)).take(size).map(render).collect();
    let pages = found.len().div_ceil(size);
    http::json(200, &json!({ "items": items, "total": found.len(), "page": page, "size": size, "pages": pages }))
}

/// GET /api/v1/flows/{id}
pub async fn read(req: &mut Req, app: &App, id: &str) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let id = path_uuid(id, "flow_id")?;
    let flow = flows::find_owned(&app.db, &id, &principal.user.id).await?.ok_or_else(flow_not_found)?;
    http::json(200, &flow_read(&flow))
}

/// PATCH /api/v1/flows/{id} — partial update of an owned flow.
pub async fn update(req: &mut Req, app: &App, id: &str) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let id = path_uuid(id, "flow_id")?;
    let body = req.json_body(FLOW_BODY_LIMIT).await?;
    let flow = update_owned(app, &principal.user.id, &id, &body, req.now_ms).await?;
    http::json(200, &flow_read(&flow))
}

/// Applies the fields in `body` to `owner`'s flow `id` (the API and the flows page).
pub async fn update_owned(app: &App, owner: &str, id: &str, body: &JsonBody, now_ms: i64) -> ApiResult<Flow> {
    let mut flow = flows::find_owned(&app.db, id, owner).await?.ok_or_else(flow_not_found)?;
    apply_fields(&mut flow, body)?;
    flow.updated_at = Some(time::iso_micros(now_ms));
    match flows::update(&app.db, &flow, owner).await {
        Ok(true) => Ok(flow),
        Ok(false) => Err(flow_not_found()),
        Err(FlowWriteError::NameTaken) => Err(ApiError::bad_request("Flow name must be unique")),
        Err(FlowWriteError::EndpointTaken) => Err(ApiError::bad_request("Endpoint name must be unique")),
        Err(FlowWriteError::Db(err)) => Err(err),
    }
}

/// DELETE /api/v1/flows/{id}
pub async fn delete(req: &mut Req, app: &App, id: &str) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let id = path_uuid(id, "flow_id")?;
    if !flows::delete_owned(&app.db, &id, &principal.user.id).await? {
        return Err(flow_not_found());
    }
    http::json(200, &json!({ "message": "Flow deleted successfully" }))
}
