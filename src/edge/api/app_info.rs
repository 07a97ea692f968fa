//! The small endpoints the Langflow 1.13 UI calls around sign-in and the flow list (standalone
//! mode): version, config, store and knowledge-base status, effective permissions, and the basic
//! examples, in Langflow's shapes (docs/langflow-1.13-projects-observed.md).

use super::error::{ApiError, ApiResult};
use super::json;
use crate::core::ids::parse_uuid;
use crate::edge::credentials;
use crate::edge::http::{self, Params, Req, SMALL_BODY_LIMIT};
use crate::service::auth as authentication;
use crate::service::auth::Principal;
use crate::service::Services;
use serde_json::{json, Value};
use worker::Response;

/// GET /api/v1/version — the Langflow version this edge answers as.
pub async fn version(_: &mut Req, _: &Services, _: &Params<'_>) -> ApiResult<Response> {
    Ok(http::json_response(200, r#"{"version":"1.13.0","main_version":"1.13.0","package":"Langflow"}"#.into()))
}

/// What anyone may read of Langflow's config (its PublicConfigResponse), without the closing brace.
const PUBLIC_CONFIG: &str = r#"{"feature_flags":{"wxo_deployments":false,"mvp_components":false,"instance_migration":false,"data_subject_requests":false},"max_file_size_upload":1024,"event_delivery":"streaming","voice_mode_available":false,"frontend_timeout":0,"mcp_base_url":"","enable_extension_reload":false,"authz_enabled":false,"catalog_governance_enabled":false,"substitute_outdated_component_code":true,"allow_custom_components":true"#;

/// The rest of the full ConfigResponse a signed-in caller reads.
const FULL_CONFIG: &str = r#","type":"full","serialization_max_items_length":1000,"serialization_max_text_length":6000,"auto_saving":true,"auto_saving_interval":5000,"health_check_max_retries":5,"webhook_polling_interval":0,"public_flow_cleanup_interval":3600,"public_flow_expiration":86400,"webhook_auth_enable":true,"default_folder_name":"Starter Project","hide_getting_started_progress":false,"embedded_mode":false,"hide_logout_button":false,"hide_new_project_button":false,"hide_new_flow_button":false,"hide_starter_projects":false,"mcp_servers_locked":false,"custom_component_admin_only":false,"a2a_enabled":false,"agentic_experience":false,"assistant_max_message_length":2000,"local_vector_store_available":false,"default_vector_store_backend":"sqlite","configured_vector_store_backends":[],"blocked_component_types":[]}"#;

/// GET /api/v1/config — Langflow's short public shape anonymously, the full one signed in. The
/// values are Langflow 1.13's defaults, except what the edge does not have (no assistant, no
/// local vector store).
pub async fn config(req: &mut Req, services: &Services, _: &Params<'_>) -> ApiResult<Response> {
    let signed_in = authentication::authenticate(services, &req.call(), &credentials::presented(req)).await.is_ok();
    let rest = if signed_in { FULL_CONFIG } else { r#","type":"public"}"# };
    Ok(http::json_response(200, [PUBLIC_CONFIG, rest].concat()))
}

/// GET /api/v1/store/check/ — the edge serves no component store.
pub async fn store_check(_: &mut Req, _: &Services, _: &Params<'_>) -> ApiResult<Response> {
    Ok(http::json_response(200, r#"{"enabled":false}"#.into()))
}

/// GET /api/v1/store/check/api_key — whether the caller saved a store key; the edge cannot ask
/// the store whether it is valid, so it never says it is.
pub async fn store_check_api_key(
    _: &mut Req,
    _: &Services,
    principal: &Principal,
    _: &Params<'_>,
) -> ApiResult<Response> {
    json(200, &json!({ "has_api_key": principal.user.store_api_key.is_some(), "is_valid": false }))
}

/// GET /api/v1/flows/basic_examples/ — Langflow's starter flows; the edge has none.
pub async fn basic_examples(_: &mut Req, _: &Services, _: &Params<'_>) -> ApiResult<Response> {
    Ok(http::json_response(200, "[]".into()))
}

/// GET /api/v1/knowledge-base-storage/status — no knowledge-base stores on the edge.
pub async fn knowledge_base_status(
    _: &mut Req,
    _: &Services,
    principal: &Principal,
    _: &Params<'_>,
) -> ApiResult<Response> {
    json(
        200,
        &json!({ "stores": [], "revision": "", "running": false, "inventory": null, "is_admin": principal.user.superuser() }),
    )
}

const RESOURCE_TYPES: [&str; 7] = ["flow", "deployment", "project", "knowledge_base", "variable", "file", "component"];
const DEFAULT_ACTIONS: [&str; 5] = ["read", "write", "execute", "delete", "create"];

/// POST /api/v1/authz/me/permissions — without an authorization plugin Langflow allows every
/// asked action on every id (its OSS pass-through); so does the edge. Validation as Langflow's.
pub async fn permissions(req: &mut Req, _: &Services, _: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let mut missing = Vec::new();
    for field in ["resource_type", "resource_ids"] {
        if !body.has(field) {
            missing.push(json!({ "type": "missing", "loc": ["body", field], "msg": "Field required" }));
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::with_body(422, json!({ "detail": missing })));
    }
    let resource_type = body.required_str("resource_type")?;
    if !RESOURCE_TYPES.contains(&resource_type) {
        return Err(ApiError::unprocessable(
            "literal_error",
            &["body", "resource_type"],
            "Input should be 'flow', 'deployment', 'project', 'knowledge_base', 'variable', 'file' or 'component'",
        ));
    }
    let Some(Value::Array(given)) = body.0.get("resource_ids") else {
        return Err(ApiError::unprocessable("list_type", &["body", "resource_ids"], "Input should be a valid list"));
    };
    let mut ids = Vec::new();
    for (i, item) in given.iter().enumerate() {
        ids.push(item.as_str().and_then(parse_uuid).ok_or_else(|| {
            ApiError::unprocessable(
                "uuid_parsing",
                &["body", "resource_ids", &i.to_string()],
                "Input should be a valid UUID",
            )
        })?);
    }
    if ids.len() > 500 {
        return Err(ApiError::bad_request("resource_ids capped at 500"));
    }
    let mut actions: Vec<String> = Vec::new();
    match body.0.get("actions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let action = item.as_str().ok_or_else(|| {
                    ApiError::unprocessable("value_error", &["body", "actions"], "Value error, actions must be strings")
                })?;
                let action = action.trim().to_ascii_lowercase();
                if !action.is_empty() && !actions.contains(&action) {
                    actions.push(action);
                }
            }
        }
        Some(_) => {
            return Err(ApiError::unprocessable("list_type", &["body", "actions"], "Input should be a valid list"))
        }
    }
    if actions.len() > 10 {
        return Err(ApiError::unprocessable(
            "value_error",
            &["body", "actions"],
            "Value error, actions capped at 10 unique entries",
        ));
    }
    if actions.is_empty() {
        actions = DEFAULT_ACTIONS.iter().map(|a| a.to_string()).collect();
    }
    let permissions: serde_json::Map<String, Value> = ids.into_iter().map(|id| (id, json!(actions))).collect();
    json(200, &json!({ "resource_type": resource_type, "permissions": permissions }))
}
