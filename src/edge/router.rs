//! The route table: every path the worker serves, its methods and its handler, declared once.
//! Whether a path belongs to the JSON API or the pages, and the 405 for a known path asked with
//! another method, both come from this table. Paths match with or without a trailing slash, as
//! Langflow's clients use both.

use super::api::{
    self, admin, api_keys, app_info, audits, auth,
    error::{ApiError, ApiResult},
    flows, health, projects, sessions, users, variables,
};
use super::http::{self, Params, Req};
use super::pages;
use crate::service::auth::{Principal, Superuser};
use crate::service::Services;
use worker::{Fetcher, Response};

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

/// In which mode a route is the edge's own. In gateway mode the others go to the origin.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Both,
    /// Flows, variables and their pages: the origin's in gateway mode, where the runtime reads them.
    Standalone,
    Gateway,
}

impl Mode {
    fn serves(self, gateway: bool) -> bool {
        match self {
            Mode::Both => true,
            Mode::Standalone => !gateway,
            Mode::Gateway => gateway,
        }
    }
}

/// Declares the table (`ROUTES`: mode, method, path) and the dispatch from a row to its handler,
/// from one list. Kinds: `api` answers JSON; `user_api` answers JSON to a signed-in caller, found
/// (or refused with Langflow's 401/403) before the handler runs; `page` is a public page;
/// `signed_in` and `admin` pages first find the visitor (sending anyone else to `/login`, and
/// non-superusers away from `admin`).
macro_rules! routes {
    ($($mode:ident $method:literal $path:literal => $kind:ident $handler:path),* $(,)?) => {
        const ROUTES: &[(Mode, &str, &str)] = &[$((Mode::$mode, $method, $path)),*];
        const KINDS: &[Kind] = &[$(routes!(@kind $kind)),*];

        // One dispatch per kind, for wasm size: all handlers' futures were one state machine, with
        // the caller or visitor look-up, the admin check and the API error conversion copied into
        // every arm. Here each is written once (about 3.3 KB less gzipped wasm). Boxing each
        // handler's future instead made the wasm larger.
        async fn dispatch(row: usize, req: &mut Req, services: &Services, params: &Params<'_>) -> Response {
            match KINDS.get(row) {
                Some(Kind::SignedIn) => match pages::visitor_or_login(req, services).await {
                    Ok(visitor) => {
                        let answer = signed_in(row, req, services, &visitor, params).await;
                        pages::finish(&visitor, answer)
                    }
                    Err(response) => response,
                },
                Some(Kind::Admin) => match pages::visitor_or_login(req, services).await {
                    Ok(visitor) => {
                        let principal = visitor.principal();
                        match principal.as_superuser() {
                            Ok(admin) => {
                                let answer = admin_page(row, req, services, &visitor, &admin, params).await;
                                pages::finish(&visitor, answer)
                            }
                            Err(_) => pages::finish(&visitor, Ok(pages::redirect("/flows"))),
                        }
                    }
                    Err(response) => response,
                },
                Some(Kind::Api) => api_route(row, req, services, params).await.unwrap_or_else(ApiError::into_response),
                Some(Kind::UserApi) => match api::caller(req, services).await {
                    Ok(principal) => user_api(row, req, services, &principal, params).await,
                    Err(err) => Err(err),
                }
                .unwrap_or_else(ApiError::into_response),
                _ => public_page(row, req, services, params).await,
            }
        }

        /// The JSON API: one conversion of its errors for all of its routes.
        async fn api_route(row: usize, req: &mut Req, services: &Services, params: &Params<'_>) -> ApiResult<Response> {
            let mut index = 0usize;
            $(
                routes!(@api $kind $handler, row, index, req, services, params);
                index += 1;
            )*
            let _ = index;
            Err(ApiError::not_found("Not Found"))
        }

        /// The API routes for a signed-in caller (`api::caller`, found before the handler runs).
        async fn user_api(
            row: usize,
            req: &mut Req,
            services: &Services,
            principal: &Principal,
            params: &Params<'_>,
        ) -> ApiResult<Response> {
            let mut index = 0usize;
            $(
                routes!(@user_api $kind $handler, row, index, req, services, principal, params);
                index += 1;
            )*
            let _ = index;
            Err(ApiError::not_found("Not Found"))
        }

        async fn public_page(row: usize, req: &mut Req, services: &Services, params: &Params<'_>) -> Response {
            let mut index = 0usize;
            $(
                routes!(@page $kind $handler, row, index, req, services, params);
                index += 1;
            )*
            let _ = index;
            pages::not_found(None)
        }

        async fn signed_in(
            row: usize,
            req: &mut Req,
            services: &Services,
            visitor: &pages::Visitor,
            params: &Params<'_>,
        ) -> pages::PageResult {
            let mut index = 0usize;
            $(
                routes!(@signed_in $kind $handler, row, index, req, services, visitor, params);
                index += 1;
            )*
            let _ = index;
            Ok(pages::not_found(Some(visitor)))
        }

        async fn admin_page(
            row: usize,
            req: &mut Req,
            services: &Services,
            visitor: &pages::Visitor,
            admin: &Superuser<'_>,
            params: &Params<'_>,
        ) -> pages::PageResult {
            let mut index = 0usize;
            $(
                routes!(@admin $kind $handler, row, index, req, services, visitor, admin, params);
                index += 1;
            )*
            let _ = index;
            Ok(pages::not_found(Some(visitor)))
        }
    };
    (@kind api) => { Kind::Api };
    (@kind user_api) => { Kind::UserApi };
    (@kind page) => { Kind::Page };
    (@kind signed_in) => { Kind::SignedIn };
    (@kind admin) => { Kind::Admin };
    (@api api $handler:path, $row:ident, $index:ident, $req:ident, $services:ident, $params:ident) => {
        if $row == $index {
            return $handler($req, $services, $params).await;
        }
    };
    (@api $other:ident $($rest:tt)*) => {};
    (@user_api user_api $handler:path, $row:ident, $index:ident, $req:ident, $services:ident, $principal:ident, $params:ident) => {
        if $row == $index {
            return $handler($req, $services, $principal, $params).await;
        }
    };
    (@user_api $other:ident $($rest:tt)*) => {};
    (@page page $handler:path, $row:ident, $index:ident, $req:ident, $services:ident, $params:ident) => {
        if $row == $index {
            return $handler($req, $services, $params).await;
        }
    };
    (@page $other:ident $($rest:tt)*) => {};
    (@signed_in signed_in $handler:path, $row:ident, $index:ident, $req:ident, $services:ident, $visitor:ident, $params:ident) => {
        if $row == $index {
            return $handler($req, $services, $visitor, $params).await;
        }
    };
    (@signed_in $other:ident $($rest:tt)*) => {};
    (@admin admin $handler:path, $row:ident, $index:ident, $req:ident, $services:ident, $visitor:ident, $admin:ident, $params:ident) => {
        if $row == $index {
            return $handler($req, $services, $visitor, $admin, $params).await;
        }
    };
    (@admin $other:ident $($rest:tt)*) => {};
}

/// How a route's handler is reached: see `routes!`.
#[derive(Clone, Copy)]
enum Kind {
    Api,
    UserApi,
    Page,
    SignedIn,
    Admin,
}

routes! {
    Standalone "GET" "/health_check" => api health::health_check,
    Both "POST" "/api/v1/login" => api auth::login,
    Both "GET" "/api/v1/auto_login" => api auth::auto_login,
    Both "POST" "/api/v1/refresh" => api auth::refresh,
    Both "POST" "/api/v1/logout" => api auth::logout,
    Both "GET" "/api/v1/session" => api auth::session,
    Both "GET" "/api/v1/users/whoami" => user_api users::whoami,
    Both "POST" "/api/v1/users" => api users::create,
    Both "GET" "/api/v1/users" => user_api users::list,
    Both "GET" "/api/v1/users/{user_id}" => user_api users::read,
    Both "PATCH" "/api/v1/users/{user_id}" => user_api users::update,
    Both "DELETE" "/api/v1/users/{user_id}" => user_api users::delete,
    Both "PATCH" "/api/v1/users/{user_id}/reset-password" => user_api users::reset_password,
    Both "POST" "/api/v1/api_key" => user_api api_keys::create,
    Both "GET" "/api/v1/api_key" => user_api api_keys::list,
    Both "POST" "/api/v1/api_key/store" => user_api api_keys::save_store_key,
    Both "DELETE" "/api/v1/api_key/{api_key_id}" => user_api api_keys::delete,
    Standalone "GET" "/api/v1/flows/basic_examples" => api app_info::basic_examples,
    Standalone "POST" "/api/v1/flows" => user_api flows::create,
    Standalone "GET" "/api/v1/flows" => user_api flows::list,
    Standalone "GET" "/api/v1/flows/{flow_id}" => user_api flows::read,
    Standalone "PATCH" "/api/v1/flows/{flow_id}" => user_api flows::update,
    Standalone "DELETE" "/api/v1/flows/{flow_id}" => user_api flows::delete,
    Standalone "GET" "/api/v1/projects" => user_api projects::list,
    Standalone "POST" "/api/v1/projects" => user_api projects::create,
    Standalone "GET" "/api/v1/projects/{project_id}" => user_api projects::read,
    Standalone "PATCH" "/api/v1/projects/{project_id}" => user_api projects::update,
    Standalone "DELETE" "/api/v1/projects/{project_id}" => user_api projects::delete,
    Standalone "GET" "/api/v1/folders" => api projects::folders_redirect,
    Standalone "POST" "/api/v1/folders" => api projects::folders_redirect,
    Standalone "GET" "/api/v1/folders/{folder_id}" => api projects::folders_redirect,
    Standalone "PATCH" "/api/v1/folders/{folder_id}" => api projects::folders_redirect,
    Standalone "DELETE" "/api/v1/folders/{folder_id}" => api projects::folders_redirect,
    Standalone "GET" "/api/v1/version" => api app_info::version,
    Standalone "GET" "/api/v1/config" => api app_info::config,
    Standalone "GET" "/api/v1/store/check" => api app_info::store_check,
    Standalone "GET" "/api/v1/store/check/api_key" => user_api app_info::store_check_api_key,
    Standalone "POST" "/api/v1/authz/me/permissions" => user_api app_info::permissions,
    Standalone "GET" "/api/v1/knowledge-base-storage/status" => user_api app_info::knowledge_base_status,
    Standalone "POST" "/api/v1/variables" => user_api variables::create,
    Standalone "GET" "/api/v1/variables" => user_api variables::list,
    Standalone "PATCH" "/api/v1/variables/{variable_id}" => user_api variables::update,
    Standalone "DELETE" "/api/v1/variables/{variable_id}" => user_api variables::delete,
    Both "POST" "/api/v1/admin/rotate-secret-key" => user_api admin::rotate_secret_key,
    // In gateway mode the path is the origin's: Langflow's own feed of flow and project changes.
    Standalone "GET" "/api/v1/audits" => user_api audits::list,
    Both "GET" "/api/v1/sessions" => user_api sessions::list,
    Both "DELETE" "/api/v1/sessions" => user_api sessions::end_others,
    Both "DELETE" "/api/v1/sessions/{session_id}" => user_api sessions::end,
    Standalone "GET" "/" => page pages::login::home,
    Both "GET" "/login" => page pages::login::show,
    Both "POST" "/login" => page pages::login::submit,
    Both "GET" "/login/oidc" => page pages::sso::start,
    Both "GET" "/login/oidc/callback" => page pages::sso::callback,
    Both "GET" "/login/two-factor" => page pages::two_factor::login_step,
    Both "POST" "/login/two-factor" => page pages::two_factor::login_step_submit,
    Both "GET" "/logout" => page pages::login::confirm_logout,
    Both "POST" "/logout" => page pages::login::logout,
    Both "GET" "/static/{file}" => page pages::static_asset,
    Both "GET" "/settings" => page pages::settings_home,
    Standalone "GET" "/flows" => signed_in pages::flows::list,
    Standalone "POST" "/flows" => signed_in pages::flows::create,
    Standalone "GET" "/flows/{flow_id}" => signed_in pages::flows::show,
    Standalone "POST" "/flows/{flow_id}" => signed_in pages::flows::rename,
    Standalone "GET" "/flows/{flow_id}/json" => signed_in pages::flows::download,
    Standalone "GET" "/flows/{flow_id}/delete" => signed_in pages::flows::confirm_delete,
    Standalone "POST" "/flows/{flow_id}/delete" => signed_in pages::flows::delete,
    Both "GET" "/settings/api-keys" => signed_in pages::api_keys::list,
    Both "POST" "/settings/api-keys" => signed_in pages::api_keys::create,
    Both "GET" "/settings/api-keys/{api_key_id}/delete" => signed_in pages::api_keys::confirm_delete,
    Both "POST" "/settings/api-keys/{api_key_id}/delete" => signed_in pages::api_keys::delete,
    Both "GET" "/settings/sessions" => signed_in pages::sessions::list,
    Both "POST" "/settings/sessions/end-others" => signed_in pages::sessions::end_others,
    Both "POST" "/settings/sessions/{session_id}/end" => signed_in pages::sessions::end,
    Both "GET" "/settings/two-factor" => signed_in pages::two_factor::settings,
    Both "POST" "/settings/two-factor" => signed_in pages::two_factor::change,
    Both "GET" "/admin" => admin pages::admin::list,
    Both "GET" "/admin/audit" => admin pages::audit::list,
    Both "GET" "/admin/users/new" => admin pages::admin::new_user,
    Both "POST" "/admin/users/new" => admin pages::admin::create,
    Both "GET" "/admin/users/{user_id}" => admin pages::admin::edit,
    Both "POST" "/admin/users/{user_id}" => admin pages::admin::update_flags,
    Both "POST" "/admin/users/{user_id}/password" => admin pages::admin::reset_password,
    Both "GET" "/admin/users/{user_id}/delete" => admin pages::admin::confirm_delete,
    Both "POST" "/admin/users/{user_id}/delete" => admin pages::admin::delete,
    Both "POST" "/admin/users/{user_id}/sessions/end" => admin pages::admin::end_sessions,
    Both "POST" "/admin/users/{user_id}/identities/{identity_id}/unlink" => admin pages::admin::unlink_identity,
    Gateway "GET" "/.well-known/jwks.json" => api api::gateway::jwks,
}

fn is_api(segments: &[&str]) -> bool {
    segments.first() == Some(&"api")
}

pub async fn route(req: &mut Req, services: &Services, origin: Option<&Fetcher>) -> Response {
    let path = req.path.clone();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let gateway = services.gateway();
    // The first pattern that fits names the resource a 405 speaks of.
    let mut known: Option<&str> = None;
    for (row, (mode, method, pattern)) in ROUTES.iter().enumerate() {
        if !mode.serves(gateway.is_some()) {
            continue;
        }
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
        if let Some(gateway) = gateway {
            return super::gateway::forward(req, services, gateway, origin).await;
        }
        return if is_api(&segments) {
            ApiError::not_found("Not Found").into_response()
        } else {
            pages::not_found(None)
        };
    };
    let allowed: Vec<&str> = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        .into_iter()
        .filter(|m| {
            ROUTES
                .iter()
                .any(|(mode, method, pattern)| mode.serves(gateway.is_some()) && method == m && *pattern == known)
        })
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
        for (i, (_, method, path)) in ROUTES.iter().enumerate() {
            assert!(!ROUTES[..i].iter().any(|(_, m, p)| (m, p) == (method, path)), "{method} {path} twice");
        }
    }
}
