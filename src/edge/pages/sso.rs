//! Single sign-on pages: `GET /login/oidc` sends the browser to the provider with a fresh
//! `state`, `nonce` and PKCE challenge, sealed into a short-lived HttpOnly cookie scoped to
//! `/login/oidc`; `GET /login/oidc/callback` (the redirect URI to register at the provider)
//! checks everything in `service::oidc` and sets the same session cookies as a password login.

use super::{error_response, redirect, PageError};
use crate::core::html::safe_next;
use crate::core::oidc::FLOW_MAX_AGE_SECS;
use crate::edge::cookies::{self, Issued};
use crate::edge::http::{self, Params, Req};
use crate::service::oidc::{self, Callback};
use crate::service::Services;
use worker::Response;

const FLOW_COOKIE: &str = "lf_oidc_flow";
pub const CALLBACK_PATH: &str = "/login/oidc/callback";

fn is_https(req: &Req) -> bool {
    req.inner.inner().url().starts_with("https://")
}

/// The redirect URI: this worker's own callback, on the host the browser used.
fn redirect_uri(req: &Req) -> String {
    format!("{}://{}{CALLBACK_PATH}", if is_https(req) { "https" } else { "http" }, req.host)
}

fn flow_cookie(req: &Req, value: &str, max_age: i64) -> String {
    // Lax: the provider's redirect back is a top-level GET from its site, which Lax lets through.
    let secure = if is_https(req) { "; Secure" } else { "" };
    format!("{FLOW_COOKIE}={value}; Max-Age={max_age}; Path=/login/oidc; HttpOnly; SameSite=Lax{secure}")
}

fn refused(req: &Req, err: PageError) -> Response {
    let mut response = error_response(None, err);
    http::set_cookie(&mut response, &flow_cookie(req, "", 0));
    response
}

/// GET /login/oidc — off to the provider.
pub async fn start(req: &mut Req, services: &Services, _: &Params<'_>) -> Response {
    let next = safe_next(req.query_param("next"));
    match oidc::start(services, &req.call(), &next, &redirect_uri(req)).await {
        Ok(started) => {
            let mut response = redirect(&started.location);
            http::set_cookie(&mut response, &flow_cookie(req, &started.flow_cookie, FLOW_MAX_AGE_SECS));
            response
        }
        Err(err) => refused(req, err.into()),
    }
}

/// GET /login/oidc/callback — back from the provider.
pub async fn callback(req: &mut Req, services: &Services, _: &Params<'_>) -> Response {
    let flow = req.cookie(FLOW_COOKIE);
    let back = Callback {
        flow_cookie: flow.as_deref(),
        state: req.query_param("state"),
        code: req.query_param("code"),
        error: req.query_param("error"),
        redirect_uri: &redirect_uri(req),
    };
    match oidc::complete(services, &req.call(), &back).await {
        Ok((signed_in, next)) => {
            let mut response = redirect(&safe_next(Some(&next)));
            http::set_cookie(&mut response, &flow_cookie(req, "", 0));
            for cookie in cookies::for_session(services.settings(), &signed_in, req.now_secs(), Issued::Login) {
                http::set_cookie(&mut response, &cookie);
            }
            response
        }
        Err(err) => refused(req, err.into()),
    }
}
