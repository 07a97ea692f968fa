//! Langflow's JSON API: each handler reads the request into plain values, calls a service, and
//! answers with Langflow's shapes. Errors become JSON in one place (`error`).

pub mod admin;
pub mod api_keys;
pub mod app_info;
pub mod audits;
pub mod auth;
pub mod error;
pub mod flows;
pub mod gateway;
pub mod health;
pub mod projects;
pub mod schemas;
pub mod sessions;
pub mod users;
pub mod variables;

use super::credentials;
use super::http::Params;
use super::http::{self, Req};
use crate::service::auth::{self as authentication, Principal};
use crate::service::Services;
use error::{ApiError, ApiResult};
use serde::Serialize;
use worker::Response;

pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> ApiResult<Response> {
    let body = serde_json::to_string(value).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(http::json_response(status, body))
}

/// The caller of a protected route: an active user, or Langflow's 401/403. A state-changing
/// request authenticated by cookie that a browser marks cross-site is refused (deviation 7).
pub async fn caller(req: &Req, services: &Services) -> ApiResult<Principal> {
    let principal = authentication::authenticate(services, &req.call(), &credentials::presented(req)).await?;
    if req.is_cross_site_cookie_write(principal.via) {
        return Err(ApiError::cross_site());
    }
    Ok(principal)
}

/// A `{name}` path segment that must be a UUID, as FastAPI validates one.
pub fn path_id<T>(params: &Params, name: &str, parse: impl Fn(&str) -> Option<T>) -> ApiResult<T> {
    parse(params.get(name))
        .ok_or_else(|| ApiError::unprocessable("uuid_parsing", &["path", name], "Input should be a valid UUID"))
}
