//! `/api/v1/variables/...`: the caller's variables (Langflow §8). Credential values are never
//! returned.

use super::error::{ApiError, ApiResult};
use super::{json, path_id};
use crate::core::ids::VariableId;
use crate::core::request_body::{BodyError, JsonBody};
use crate::db::variables::{Variable, CREDENTIAL, GENERIC};
use crate::edge::http::Params;
use crate::edge::http::{self, Req, SMALL_BODY_LIMIT};
use crate::service::auth::Principal;
use crate::service::variables::{self, NewVariable, VariableChanges, VariableKind};
use crate::service::Services;
use serde_json::{json, Value};
use worker::Response;

/// Langflow's VariableRead: a Credential's value is never shown.
fn variable_read(v: &Variable) -> Value {
    let default_fields =
        v.default_fields.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok()).unwrap_or_else(|| json!([]));
    json!({
        "id": v.id, "name": v.name, "type": v.kind.as_deref().unwrap_or(CREDENTIAL),
        "value": if v.is_credential() { None } else { Some(&v.value) },
        "has_value": !v.value.is_empty(), "default_fields": default_fields, "is_owner": true,
        "can_manage_shares": true, "validation_error": null, "is_valid": null,
    })
}

fn parse_type(body: &JsonBody) -> ApiResult<Option<VariableKind>> {
    match body.optional_str("type")? {
        None => Ok(None),
        Some(CREDENTIAL) => Ok(Some(VariableKind::Credential)),
        Some(GENERIC) => Ok(Some(VariableKind::Generic)),
        Some(_) => Err(ApiError::unprocessable("enum", &["body", "type"], "Input should be 'Credential' or 'Generic'")),
    }
}

fn parse_default_fields(value: Option<&Value>) -> ApiResult<Vec<String>> {
    match value {
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            Ok(items.iter().filter_map(Value::as_str).map(str::to_string).collect())
        }
        Some(Value::Null) | None => Err(BodyError::missing("body", "default_fields").into()),
        Some(_) => Err(ApiError::unprocessable(
            "list_type",
            &["body", "default_fields"],
            "Input should be a valid list of strings",
        )),
    }
}

fn variable_id(params: &Params) -> ApiResult<VariableId> {
    path_id(params, "variable_id", VariableId::parse)
}

/// POST /api/v1/variables/ — 201.
pub async fn create(req: &mut Req, services: &Services, principal: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let new = NewVariable {
        name: body.required_str("name")?.to_string(),
        value: body.required_str("value")?.to_string(),
        kind: parse_type(&body)?,
        default_fields: parse_default_fields(body.0.get("default_fields"))?,
    };
    let variable = variables::create(services, &req.call(), principal, new).await?;
    json(201, &variable_read(&variable))
}

/// GET /api/v1/variables/
pub async fn list(_: &mut Req, services: &Services, principal: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    let found = variables::list(services, principal).await?;
    json(200, &found.iter().map(variable_read).collect::<Vec<_>>())
}

/// PATCH /api/v1/variables/{id}
pub async fn update(
    req: &mut Req,
    services: &Services,
    principal: &Principal,
    params: &Params<'_>,
) -> ApiResult<Response> {
    let id = variable_id(params)?;
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let default_fields = match body.0.get("default_fields") {
        None | Some(Value::Null) => None,
        present => Some(parse_default_fields(present)?),
    };
    let changes = VariableChanges {
        name: body.optional_str("name")?.map(str::to_string),
        value: body.optional_str("value")?.map(str::to_string),
        kind: parse_type(&body)?,
        default_fields,
    };
    let variable = variables::update(services, &req.call(), principal, &id, changes).await?;
    json(200, &variable_read(&variable))
}

/// DELETE /api/v1/variables/{id} — 204.
pub async fn delete(
    _: &mut Req,
    services: &Services,
    principal: &Principal,
    params: &Params<'_>,
) -> ApiResult<Response> {
    variables::delete(services, principal, &variable_id(params)?).await?;
    Ok(http::empty(204))
}
