//! `/api/v1/variables/...`: the caller's variables (Langflow §8). Credential values are
//! Fernet-encrypted at rest and never returned; Generic values are plain text.

use crate::core::request_body::JsonBody;
use crate::core::{ids, time};
use crate::db::variables::{self, Variable, VariableWriteError, CREDENTIAL, GENERIC};
use crate::edge::auth;
use crate::edge::http::{self, random_bytes, Req, SMALL_BODY_LIMIT};
use crate::edge::routes::users::path_uuid;
use crate::edge::App;
use crate::error::{ApiError, ApiResult};
use serde_json::{json, Value};
use worker::Response;

fn variable_not_found() -> ApiError {
    ApiError::not_found("Variable not found")
}

fn name_taken() -> ApiError {
    ApiError::bad_request("Variable name already exists")
}

fn write_error(err: VariableWriteError) -> ApiError {
    match err {
        VariableWriteError::NameTaken => name_taken(),
        VariableWriteError::Db(err) => err,
    }
}

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

fn parse_type(body: &JsonBody) -> ApiResult<Option<&'static str>> {
    match body.optional_str("type")? {
        None => Ok(None),
        Some(CREDENTIAL) => Ok(Some(CREDENTIAL)),
        Some(GENERIC) => Ok(Some(GENERIC)),
        Some(_) => Err(ApiError::unprocessable("enum", &["body", "type"], "Input should be 'Credential' or 'Generic'")),
    }
}

fn parse_default_fields(value: Option<&Value>) -> ApiResult<String> {
    match value {
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Ok(Value::Array(items.clone()).to_string()),
        Some(Value::Null) | None => Err(ApiError::missing_field("body", "default_fields")),
        Some(_) => Err(ApiError::unprocessable(
            "list_type",
            &["body", "default_fields"],
            "Input should be a valid list of strings",
        )),
    }
}

fn check_name(name: &str) -> ApiResult<()> {
    if name.trim().is_empty() {
        return Err(ApiError::bad_request("Variable name cannot be empty"));
    }
    if name.chars().count() > 255 {
        return Err(ApiError::bad_request("Variable name must be at most 255 characters long."));
    }
    Ok(())
}

/// The stored form of a value: a Fernet token for a Credential, the text itself for a Generic.
/// Text that looks like a Fernet token is refused as Generic, so ciphertext can never be shown
/// as plain text (Langflow answers this with a 500).
fn stored_value(app: &App, kind: &str, value: &str, now_secs: i64) -> ApiResult<String> {
    if kind == GENERIC {
        if value.starts_with("gAAAAA") {
            return Err(ApiError::bad_request(
                "A Generic variable's value cannot start with 'gAAAAA' (it looks like an encrypted token); store it as a Credential instead.",
            ));
        }
        return Ok(value.to_string());
    }
    app.state.encrypt(value, now_secs)
}

/// POST /api/v1/variables/ — 201.
pub async fn create(req: &mut Req, app: &App) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let name = body.required_str("name")?;
    let value = body.required_str("value")?;
    let kind = parse_type(&body)?.unwrap_or(CREDENTIAL);
    let default_fields = parse_default_fields(body.0.get("default_fields"))?;
    check_name(name)?;
    if value.is_empty() {
        return Err(ApiError::bad_request("Variable value cannot be empty"));
    }
    let now = time::iso_micros(req.now_ms);
    let variable = Variable {
        id: ids::uuid_v4(random_bytes::<16>()?),
        name: name.to_string(),
        value: stored_value(app, kind, value, req.now_secs())?,
        kind: Some(kind.to_string()),
        default_fields: Some(default_fields),
        created_at: Some(now.clone()),
        updated_at: Some(now),
        user_id: principal.user.id.clone(),
    };
    variables::insert(&app.db, &variable).await.map_err(write_error)?;
    http::json(201, &variable_read(&variable))
}

/// GET /api/v1/variables/
pub async fn list(req: &mut Req, app: &App) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let found = variables::list_owned(&app.db, &principal.user.id).await?;
    http::json(200, &found.iter().map(variable_read).collect::<Vec<_>>())
}

/// PATCH /api/v1/variables/{id}
pub async fn update(req: &mut Req, app: &App, id: &str) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let id = path_uuid(id, "variable_id")?;
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let mut variable = variables::find_owned(&app.db, &id, &principal.user.id).await?.ok_or_else(variable_not_found)?;
    let was_credential = variable.is_credential();
    let kind = parse_type(&body)?.unwrap_or(if was_credential { CREDENTIAL } else { GENERIC });
    let new_value = body.optional_str("value")?;
    if let Some(name) = body.optional_str("name")? {
        check_name(name)?;
        variable.name = name.to_string();
    }
    if body.has("default_fields") && !body.0.get("default_fields").is_some_and(Value::is_null) {
        variable.default_fields = Some(parse_default_fields(body.0.get("default_fields"))?);
    }
    let now = req.now_secs();
    match (new_value, was_credential, kind) {
        (Some(""), _, _) => return Err(ApiError::bad_request("Variable value cannot be empty")),
        (Some(value), _, kind) => variable.value = stored_value(app, kind, value, now)?,
        // Langflow's answer: relabelling a Credential as Generic without a new value would show
        // the ciphertext as plain text, so it is refused.
        (None, true, GENERIC) => return Err(variable_not_found()),
        (None, false, CREDENTIAL) => variable.value = stored_value(app, CREDENTIAL, &variable.value, now)?,
        (None, _, _) => {}
    }
    variable.kind = Some(kind.to_string());
    variable.updated_at = Some(time::iso_micros(req.now_ms));
    if !variables::update_owned(&app.db, &variable).await.map_err(write_error)? {
        return Err(variable_not_found());
    }
    http::json(200, &variable_read(&variable))
}

/// DELETE /api/v1/variables/{id} — 204.
pub async fn delete(req: &mut Req, app: &App, id: &str) -> ApiResult<Response> {
    let principal = auth::current_user(req, app).await?;
    let id = path_uuid(id, "variable_id")?;
    if !variables::delete_owned(&app.db, &id, &principal.user.id).await? {
        return Err(variable_not_found());
    }
    Ok(http::empty(204))
}
