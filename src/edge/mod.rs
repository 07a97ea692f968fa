//! The edge: the request's way from the runtime to a service and back. `router` holds the one
//! route table; `api` answers Langflow's JSON and `pages` the HTML pages, both over the same
//! services and never over each other; `http`, `cookies` and `credentials` are what both share.

pub mod api;
pub mod cookies;
pub mod credentials;
pub mod gateway;
pub mod http;
pub mod pages;
pub mod router;

use crate::db;
use crate::service::{self, state, Failure, Services};
use crate::settings::{AutoLogin, ConfigError};
use api::error::ApiError;
use http::Req;
use worker::{Context, Env, Method, Request, Response};

pub async fn handle(request: Request, env: Env, ctx: Context) -> Response {
    let now_ms = worker::Date::now().as_millis() as i64;
    let mut response = serve(request, env, ctx, now_ms).await.unwrap_or_else(ApiError::into_response);
    http::add_common_headers(response.headers_mut());
    if state::loaded().is_some_and(|s| s.settings.expose_d1_stats) {
        let stats = db::stats();
        let value =
            format!("queries={};rows_read={};rows_written={}", stats.queries, stats.rows_read, stats.rows_written);
        let _ = response.headers_mut().set("x-d1-stats", &value);
    }
    response
}

/// Everything before the route: the isolate's state, the configuration check that depends on
/// the host, and the bootstrap superuser. A failure here is answered as JSON.
async fn serve(request: Request, env: Env, ctx: Context, now_ms: i64) -> Result<Response, ApiError> {
    let mut req = Req::new(request, now_ms)?;
    if req.method == Method::Options {
        return Ok(router::preflight());
    }
    if req.method_name == "GET" && req.path == "/health" {
        return api::health::health();
    }
    let db = db::database(&env)?;
    let state = state::load(&env, &db, req.now_secs()).await?;
    let settings = &state.settings;
    if settings.auto_login == AutoLogin::LoopbackOnly
        && !settings.auto_login.enabled_for_host(&req.host)
        && settings.superuser_password.is_none()
    {
        return Err(Failure::Config(ConfigError {
            variable: "LANGFLOW_SUPERUSER_PASSWORD",
            problem: "must be set: LANGFLOW_AUTO_LOGIN is unset, which means auto-login only for loopback hosts, \
                      and this request is for another host. Set both LANGFLOW_AUTO_LOGIN=False and LANGFLOW_SUPERUSER_PASSWORD"
                .into(),
        })
        .into());
    }
    let services = Services::new(state, db, ctx);
    service::users::ensure_bootstrap_superuser(&services, now_ms).await?;
    // A service binding to the Langflow server, when there is one, instead of a public URL.
    let origin = services.gateway().and_then(|_| env.service("LANGFLOW_ORIGIN").ok());
    Ok(router::route(&mut req, &services, origin.as_ref()).await)
}
