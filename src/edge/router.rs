//! Method and path to handler. Paths match with or without a trailing slash, as Langflow's
//! clients use both.

use super::http::{self, Req};
use super::routes::{admin, api_keys, auth, flows, health, users, variables};
use super::App;
use crate::error::{ApiError, ApiResult};
use worker::{Method, Response};

pub async fn route(req: &mut Req, app: &App) -> ApiResult<Response> {
    let path = req.path.clone();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let method = req.method.clone();
    match (method, segments.as_slice()) {
        (Method::Get, ["health_check"]) => health::health_check(&app.db).await,
        (Method::Post, ["api", "v1", "login"]) => auth::login(req, app).await,
        (Method::Get, ["api", "v1", "auto_login"]) => auth::auto_login(req, app).await,
        (Method::Post, ["api", "v1", "refresh"]) => auth::refresh(req, app).await,
        (Method::Post, ["api", "v1", "logout"]) => auth::logout(req, app).await,
        (Method::Get, ["api", "v1", "session"]) => auth::session(req, app).await,
        (Method::Get, ["api", "v1", "users", "whoami"]) => users::whoami(req, app).await,
        (Method::Post, ["api", "v1", "users"]) => users::create(req, app).await,
        (Method::Get, ["api", "v1", "users"]) => users::list(req, app).await,
        (Method::Get, ["api", "v1", "users", id]) => users::read(req, app, id).await,
        (Method::Patch, ["api", "v1", "users", id]) => users::update(req, app, id).await,
        (Method::Delete, ["api", "v1", "users", id]) => users::delete(req, app, id).await,
        (Method::Patch, ["api", "v1", "users", id, "reset-password"]) => users::reset_password(req, app, id).await,
        (Method::Post, ["api", "v1", "api_key"]) => api_keys::create(req, app).await,
        (Method::Get, ["api", "v1", "api_key"]) => api_keys::list(req, app).await,
        (Method::Post, ["api", "v1", "api_key", "store"]) => api_keys::save_store_key(req, app).await,
        (Method::Delete, ["api", "v1", "api_key", id]) => api_keys::delete(req, app, id).await,
        (Method::Post, ["api", "v1", "flows"]) => flows::create(req, app).await,
        (Method::Get, ["api", "v1", "flows"]) => flows::list(req, app).await,
        (Method::Get, ["api", "v1", "flows", id]) => flows::read(req, app, id).await,
        (Method::Patch, ["api", "v1", "flows", id]) => flows::update(req, app, id).await,
        (Method::Delete, ["api", "v1", "flows", id]) => flows::delete(req, app, id).await,
        (Method::Post, ["api", "v1", "variables"]) => variables::create(req, app).await,
        (Method::Get, ["api", "v1", "variables"]) => variables::list(req, app).await,
        (Method::Patch, ["api", "v1", "variables", id]) => variables::update(req, app, id).await,
        (Method::Delete, ["api", "v1", "variables", id]) => variables::delete(req, app, id).await,
        (Method::Post, ["api", "v1", "admin", "rotate-secret-key"]) => admin::rotate_secret_key(req, app).await,
        // Everything outside /api is a server-rendered page (404 HTML for unknown ones).
        (Method::Get | Method::Post, segments) if segments.first() != Some(&"api") => {
            super::pages::route(req, app).await
        }
        // FastAPI answers a known path with another method 405; GETs fall to Langflow's SPA (404).
        (method, segments) if method != Method::Get && is_api_path(segments) => {
            Err(ApiError::new(405, "Method Not Allowed").with_header("allow", allowed_methods(segments)))
        }
        _ => Err(ApiError::not_found("Not Found")),
    }
}

/// Paths the API serves with some method.
fn is_api_path(segments: &[&str]) -> bool {
    matches!(
        segments,
        [
            "api",
            "v1",
            "login" | "auto_login" | "refresh" | "logout" | "session" | "users" | "api_key" | "flows" | "variables"
        ] | ["api", "v1", "users" | "api_key" | "flows" | "variables", _]
            | ["api", "v1", "users", _, "reset-password"]
            | ["api", "v1", "admin", "rotate-secret-key"]
    )
}

fn allowed_methods(segments: &[&str]) -> &'static str {
    match segments {
        ["api", "v1", "auto_login" | "session"] | ["api", "v1", "users", "whoami"] => "GET",
        ["api", "v1", "login" | "refresh" | "logout"]
        | ["api", "v1", "admin", _]
        | ["api", "v1", "api_key", "store"] => "POST",
        ["api", "v1", _] => "GET, POST",
        ["api", "v1", "users", _, _] => "PATCH",
        ["api", "v1", "users" | "flows", _] => "GET, PATCH, DELETE",
        ["api", "v1", "variables", _] => "PATCH, DELETE",
        _ => "DELETE",
    }
}

/// CORS preflight, as Langflow answers it: any origin, no credentials.
pub fn preflight() -> Response {
    let mut response = http::empty(200);
    let headers = response.headers_mut();
    let _ = headers.set("access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    let _ = headers.set("access-control-allow-headers", "authorization, content-type, x-api-key");
    let _ = headers.set("access-control-max-age", "600");
    response
}
