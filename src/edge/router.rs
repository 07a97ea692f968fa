//! The route table: every path the worker serves, its methods and its handler, declared once.
//! Whether a path belongs to the JSON API or the pages, and the 405 for a known path asked with
//! another method, both come from this table. Paths match with or without a trailing slash, as
//! Langflow's clients use both.

use super::api::{self, admin, api_keys, auth, error::ApiError, flows, health, users, variables};
use super::http::{self, Params, Req};
use super::pages;
use crate::service::Services;
use worker::Response;

/// `segments` against a pattern such as `/api/v1/users/{user_id}`.
fn matches<'a>(pattern: &'static str, segments: &[&'a str]) -> Option<Params<'a>> {
    let parts: Vec<&'static str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut values = Vec::new();
    for (part, segment) in parts.iter().zip(segments) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => values.push((name, *segment)),
            None if part == segment => {}
            None => return None,
        }
    }
    Some(Params::new(values))
}

/// Declares the table (`ROUTES`) and the dispatch from a row to its handler, from one list.
/// Kinds: `api` answers JSON; `page` is a public page; `signed_in` and `admin` pages first find
/// the visitor (sending anyone else to `/login`, and non-superusers away from `admin`).
macro_rules! routes {
    ($($method:literal $path:literal => $kind:ident $handler:path),* $(,)?) => {
        const ROUTES: &[(&str, &str)] = &[$(($method, $path)),*];

        async fn dispatch(row: usize, req: &mut Req, services: &Services, params: &Params<'_>) -> Response {
            let mut index = 0usize;
            $(
                if row == index {
                    return routes!(@run $kind $handler, req, services, params);
                }
                index += 1;
            )*
            let _ = index;
            api::error::ApiError::not_found("Not Found").into_response()
        }
    };
    (@run api $handler:path, $req:ident, $services:ident, $params:ident) => {
        $handler($req, $services, $params).await.unwrap_or_else(ApiError::into_response)
    };
    (@run page $handler:path, $req:ident, $services:ident, $params:ident) => {
        $handler($req, $services, $params).await
    };
    (@run signed_in $handler:path, $req:ident, $services:ident, $params:ident) => {
        match pages::visitor_or_login($req, $services).await {
            Ok(visitor) => {
                let answer = $handler($req, $services, &visitor, $params).await;
                pages::finish(&visitor, answer)
            }
            Err(response) => response,
        }
    };
    (@run admin $handler:path, $req:ident, $services:ident, $params:ident) => {
        match pages::visitor_or_login($req, $services).await {
            Ok(visitor) => {
                let principal = visitor.principal();
                match principal.as_superuser() {
                    Ok(admin) => {
                        let answer = $handler($req, $services, &visitor, &admin, $params).await;
                        pages::finish(&visitor, answer)
                    }
                    Err(_) => pages::finish(&visitor, Ok(pages::redirect("/flows"))),
                }
            }
            Err(response) => response,
        }
    };
}

routes! {
    "GET" "/health_check" => api health::health_check,
    "POST" "/api/v1/login" => api auth::login,
    "GET" "/api/v1/auto_login" => api auth::auto_login,
    "POST" "/api/v1/refresh" => api auth::refresh,
    "POST" "/api/v1/logout" => api auth::logout,
    "GET" "/api/v1/session" => api auth::session,
    "GET" "/api/v1/users/whoami" => api users::whoami,
    "POST" "/api/v1/users" => api users::create,
    "GET" "/api/v1/users" => api users::list,
    "GET" "/api/v1/users/{user_id}" => api users::read,
    "PATCH" "/api/v1/users/{user_id}" => api users::update,
    "DELETE" "/api/v1/users/{user_id}" => api users::delete,
    "PATCH" "/api/v1/users/{user_id}/reset-password" => api users::reset_password,
    "POST" "/api/v1/api_key" => api api_keys::create,
    "GET" "/api/v1/api_key" => api api_keys::list,
    "POST" "/api/v1/api_key/store" => api api_keys::save_store_key,
    "DELETE" "/api/v1/api_key/{api_key_id}" => api api_keys::delete,
    "POST" "/api/v1/flows" => api flows::create,
    "GET" "/api/v1/flows" => api flows::list,
    "GET" "/api/v1/flows/{flow_id}" => api flows::read,
    "PATCH" "/api/v1/flows/{flow_id}" => api flows::update,
    "DELETE" "/api/v1/flows/{flow_id}" => api flows::delete,
    "POST" "/api/v1/variables" => api variables::create,
    "GET" "/api/v1/variables" => api variables::list,
    "PATCH" "/api/v1/variables/{variable_id}" => api variables::update,
    "DELETE" "/api/v1/variables/{variable_id}" => api variables::delete,
    "POST" "/api/v1/admin/rotate-secret-key" => api admin::rotate_secret_key,
    "GET" "/" => page pages::login::home,
    "GET" "/login" => page pages::login::show,
    "POST" "/login" => page pages::login::submit,
    "GET" "/logout" => page pages::login::confirm_logout,
    "POST" "/logout" => page pages::login::logout,
    "GET" "/static/{file}" => page pages::static_asset,
    "GET" "/settings" => page pages::settings_home,
    "GET" "/flows" => signed_in pages::flows::list,
    "POST" "/flows" => signed_in pages::flows::create,
    "GET" "/flows/{flow_id}" => signed_in pages::flows::show,
    "POST" "/flows/{flow_id}" => signed_in pages::flows::rename,
    "GET" "/flows/{flow_id}/json" => signed_in pages::flows::download,
    "GET" "/flows/{flow_id}/delete" => signed_in pages::flows::confirm_delete,
    "POST" "/flows/{flow_id}/delete" => signed_in pages::flows::delete,
    "GET" "/settings/api-keys" => signed_in pages::api_keys::list,
    "POST" "/settings/api-keys" => signed_in pages::api_keys::create,
    "GET" "/settings/api-keys/{api_key_id}/delete" => signed_in pages::api_keys::confirm_delete,
    "POST" "/settings/api-keys/{api_key_id}/delete" => signed_in pages::api_keys::delete,
    "GET" "/admin" => admin pages::admin::list,
    "GET" "/admin/users/new" => admin pages::admin::new_user,
    "POST" "/admin/users/new" => admin pages::admin::create,
    "GET" "/admin/users/{user_id}" => admin pages::admin::edit,
    "POST" "/admin/users/{user_id}" => admin pages::admin::update_flags,
    "POST" "/admin/users/{user_id}/password" => admin pages::admin::reset_password,
    "GET" "/admin/users/{user_id}/delete" => admin pages::admin::confirm_delete,
    "POST" "/admin/users/{user_id}/delete" => admin pages::admin::delete,
}

fn is_api(segments: &[&str]) -> bool {
    segments.first() == Some(&"api")
}

pub async fn route(req: &mut Req, services: &Services) -> Response {
    let path = req.path.clone();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // The first pattern that fits names the resource a 405 speaks of.
    let mut known: Option<&str> = None;
    for (row, (method, pattern)) in ROUTES.iter().enumerate() {
        let Some(params) = matches(pattern, &segments) else { continue };
        if *method == req.method_name {
            if !is_api(&segments) && req.method_name == "POST" && req.is_cross_site() {
                return pages::cross_site_refused();
            }
            return dispatch(row, req, services, &params).await;
        }
        known = known.or(Some(pattern));
    }
    let Some(known) = known else {
        return if is_api(&segments) {
            ApiError::not_found("Not Found").into_response()
        } else {
            pages::not_found(None)
        };
    };
    let allowed: Vec<&str> = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        .into_iter()
        .filter(|m| ROUTES.iter().any(|(method, pattern)| method == m && *pattern == known))
        .collect();
    // FastAPI answers a known path with another method 405; an API GET falls to Langflow's SPA
    // (404) there.
    if is_api(&segments) && req.method_name == "GET" {
        return ApiError::not_found("Not Found").into_response();
    }
    let allow = allowed.join(", ");
    if is_api(&segments) {
        ApiError::new(405, "Method Not Allowed").with_header("allow", allow).into_response()
    } else {
        pages::method_not_allowed(&allow)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_capture_named_segments() {
        let params = matches("/api/v1/users/{user_id}/reset-password", &["api", "v1", "users", "u1", "reset-password"]);
        assert_eq!(params.map(|p| p.get("user_id")), Some("u1"));
        assert!(matches("/api/v1/users/{user_id}", &["api", "v1", "users"]).is_none());
        assert!(matches("/api/v1/users", &["api", "v1", "flows"]).is_none());
        assert!(matches("/", &[]).is_some());
    }

    #[test]
    fn every_route_is_declared_once() {
        for (i, route) in ROUTES.iter().enumerate() {
            assert!(!ROUTES[..i].contains(route), "{route:?} twice");
        }
    }
}
