//! The edge layer: the request's way from the runtime to a handler and back.

pub mod auth;
pub mod cookies;
pub mod http;
pub mod pages;
pub mod router;
pub mod routes;
pub mod schemas;
pub mod state;

use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::settings::{AutoLogin, ConfigError};
use http::Req;
use state::AppState;
use std::rc::Rc;
use worker::{Context, D1Database, Env, Method, Request, Response};

/// What every handler needs besides the request.
pub struct App {
    pub state: Rc<AppState>,
    /// Shared so deferred work (`wait_until`) can keep using it after the response.
    pub db: Rc<D1Database>,
    pub ctx: Context,
}

impl App {
    /// Deviation 5: auto-login follows the host the request was sent to when unset.
    pub fn auto_login_for(&self, req: &Req) -> bool {
        self.state.settings.auto_login.enabled_for_host(&req.host)
    }
}

pub async fn handle(request: Request, env: Env, ctx: Context) -> Response {
    let now_ms = worker::Date::now().as_millis() as i64;
    let mut response = match serve(request, env, ctx, now_ms).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    };
    http::add_common_headers(response.headers_mut());
    if state::loaded().is_some_and(|s| s.settings.expose_d1_stats) {
        let stats = db::stats();
        let value =
            format!("queries={};rows_read={};rows_written={}", stats.queries, stats.rows_read, stats.rows_written);
        let _ = response.headers_mut().set("x-d1-stats", &value);
    }
    response
}

async fn serve(request: Request, env: Env, ctx: Context, now_ms: i64) -> ApiResult<Response> {
    let mut req = Req::new(request, now_ms)?;
    if req.method == Method::Options {
        return Ok(router::preflight());
    }
    if req.method == Method::Get && req.path == "/health" {
        return routes::health::health();
    }
    let db = db::database(&env)?;
    let state = state::load(&env, &db, req.now_secs()).await?;
    let settings = &state.settings;
    if settings.auto_login == AutoLogin::LoopbackOnly
        && !settings.auto_login.enabled_for_host(&req.host)
        && settings.superuser_password.is_none()
    {
        return Err(ApiError::Config(ConfigError {
            variable: "LANGFLOW_SUPERUSER_PASSWORD",
            problem: "must be set: LANGFLOW_AUTO_LOGIN is unset, which means auto-login only for loopback hosts, \
                      and this request is for another host. Set both LANGFLOW_AUTO_LOGIN=False and LANGFLOW_SUPERUSER_PASSWORD"
                .into(),
        }));
    }
    state.ensure_superuser(&db, now_ms).await?;
    let app = App { state, db: Rc::new(db), ctx };
    router::route(&mut req, &app).await
}
