//! Gateway mode (`LANGFLOW_ORIGIN_URL`): every request the edge does not own goes to the Langflow
//! server, streamed both ways, with the caller's identity as a short-lived signed JWT
//! (`X-Langflow-Identity`, `service::identity`) in place of the caller's own credentials, which
//! never reach the origin. A caller whose credentials fail gets the edge's own 401/403 for API
//! paths, so an inactive, deleted or signed-out user reaches nothing there.
//!
//! `POST /api/v1/run/{flow}` with an edge API key is forwarded as `/api/v1/run/session/{flow}`:
//! Langflow's `/run` takes only its own API keys, its `/run/session` the signed-in user, with the
//! same answer (docs/gateway-notes.md §6).

use super::api::error::ApiError;
use super::credentials;
use super::http::Req;
use crate::service::auth::{self, Principal, Via};
use crate::service::{identity, Services};
use crate::settings::GatewaySettings;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use worker::wasm_bindgen::JsValue;
use worker::web_sys;
use worker::{AbortController, Fetcher, Headers, Response};

/// Request headers that are the client's credentials, or concern only the hop to the edge.
const DROPPED_REQUEST_HEADERS: &[&str] = &[
    "authorization",
    "x-api-key",
    "x-langflow-identity",
    "cookie",
    "host",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    // Asked for uncompressed, so streams pass through as they are produced.
    "accept-encoding",
];

/// How often a GET or HEAD whose connection the origin dropped is sent again, and after what pause.
const RETRIES: u32 = 2;
const RETRY_PAUSE: Duration = Duration::from_millis(25);

/// Langflow's credential cookies: the origin must only ever see the edge's word.
fn is_credential_cookie(name: &str) -> bool {
    ["access_token_lf", "refresh_token_lf", "apikey_tkn_lflw"].iter().any(|c| name.starts_with(c))
}

/// The client's cookies minus Langflow's credential cookies.
fn forwarded_cookies(header: &str) -> String {
    header
        .split(';')
        .map(str::trim)
        .filter(|pair| !pair.is_empty() && !is_credential_cookie(pair.split('=').next().unwrap_or_default().trim()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The origin URL for this request: the path (rewritten for `/run` with an API key) and the
/// query without `x-api-key`.
fn target_url(gateway: &GatewaySettings, req: &Req, principal: Option<&Principal>) -> String {
    let segments: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let path = match (req.method_name.as_str(), segments.as_slice(), principal.map(|p| p.via)) {
        ("POST", ["api", "v1", "run", flow], Some(Via::ApiKey)) => format!("/api/v1/run/session/{flow}"),
        _ => req.path.clone(),
    };
    let query: Vec<(String, String)> = req.query.iter().filter(|(k, _)| k != "x-api-key").cloned().collect();
    let query = match &req.raw_query {
        // Kept byte for byte unless a key has to come out.
        Some(raw) if query.len() == req.query.len() => format!("?{raw}"),
        _ if query.is_empty() => String::new(),
        _ => format!("?{}", form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish()),
    };
    format!("{}{path}{query}", gateway.origin)
}

fn unreachable() -> Response {
    ApiError::new(502, "The Langflow server behind this gateway could not be reached (LANGFLOW_ORIGIN_URL).")
        .into_response()
}

fn too_slow(gateway: &GatewaySettings) -> Response {
    ApiError::new(
        504,
        format!(
            "The Langflow server behind this gateway did not answer within {} seconds (LANGFLOW_ORIGIN_TIMEOUT_SECONDS).",
            gateway.timeout_secs
        ),
    )
    .into_response()
}

/// Forwards the request to the origin and streams its answer back.
pub async fn forward(
    req: &mut Req,
    services: &Services,
    gateway: &GatewaySettings,
    origin: Option<&Fetcher>,
) -> Response {
    let presented = credentials::presented(req);
    let principal = if presented.access_token.is_some() || presented.api_key.is_some() {
        match auth::authenticate(services, &req.call(), &presented).await {
            Ok(principal) => {
                if req.is_cross_site_cookie_write(principal.via) {
                    return ApiError::cross_site().into_response();
                }
                Some(principal)
            }
            // The web UI's files are no one's data: a stale cookie still loads them. Anything
            // under /api is refused here, never forwarded without the identity it asked for.
            Err(err) if req.path.starts_with("/api/") || req.path == "/api" => {
                return ApiError::from(err).into_response();
            }
            Err(_) => None,
        }
    } else {
        None
    };
    match send(req, services, gateway, origin, principal.as_ref()).await {
        Ok(response) => response,
        Err(answer) => answer,
    }
}

async fn send(
    req: &mut Req,
    services: &Services,
    gateway: &GatewaySettings,
    origin: Option<&Fetcher>,
    principal: Option<&Principal>,
) -> Result<Response, Response> {
    let headers = web_sys::Headers::new().map_err(|_| unreachable())?;
    for (name, value) in req.inner.headers().entries() {
        if !DROPPED_REQUEST_HEADERS.contains(&name.as_str()) {
            let _ = headers.append(&name, &value);
        }
    }
    if let Some(cookies) = req.header("cookie").map(|c| forwarded_cookies(&c)).filter(|c| !c.is_empty()) {
        let _ = headers.set("cookie", &cookies);
    }
    let _ = headers.set("x-forwarded-for", &req.client_ip());
    let _ = headers.set("x-forwarded-host", &req.host);
    if let Some(principal) = principal {
        let token = identity::token_for(services, gateway, &principal.user, req.now_secs())
            .await
            .map_err(|err| ApiError::from(err).into_response())?;
        let _ = headers.set("x-langflow-identity", &token);
    }

    let init = web_sys::RequestInit::new();
    init.set_method(&req.method_name);
    init.set_headers(&headers);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    if !matches!(req.method_name.as_str(), "GET" | "HEAD") {
        // The body streams through; an upload is never held whole in the isolate.
        if let Some(body) = req.inner.inner().body() {
            init.set_body(&JsValue::from(body));
        }
    }
    let controller = AbortController::default();
    init.set_signal(Some(&controller.signal()));
    let url = target_url(gateway, req, principal);

    // The timeout covers the wait for the answer to begin; a stream may then run as long as the
    // origin keeps it open.
    let (begun, timed_out) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
    {
        let (begun, timed_out, seconds) = (begun.clone(), timed_out.clone(), u64::from(gateway.timeout_secs));
        worker::wasm_bindgen_futures::spawn_local(async move {
            worker::Delay::from(Duration::from_secs(seconds)).await;
            if !begun.get() {
                timed_out.set(true);
                controller.abort();
            }
        });
    }
    // A connection the origin closes just as the edge reuses it from the pool (Langflow's Gunicorn
    // closes idle ones after 2 s) fails the request before any answer. A GET or HEAD carries no
    // body and changes nothing, so it is sent again, after a pause that lets the pool notice the
    // other connections the origin closed at the same moment; anything else may already have run
    // at the origin and gets the 502.
    let mut retries = if matches!(req.method_name.as_str(), "GET" | "HEAD") { RETRIES } else { 0 };
    let answer = loop {
        let request = web_sys::Request::new_with_str_and_init(&url, &init).map_err(|_| unreachable())?;
        let answer = match origin {
            Some(binding) => binding.fetch_request(worker::Request::from(request)).await,
            None => worker::Fetch::Request(worker::Request::from(request)).send().await,
        };
        match answer {
            Err(err) if retries > 0 && !timed_out.get() => {
                worker::console_warn!(
                    "gateway: the origin dropped {} {}, sending it again: {err}",
                    req.method_name,
                    req.path
                );
                retries -= 1;
                worker::Delay::from(RETRY_PAUSE).await;
            }
            answer => break answer,
        }
    };
    begun.set(true);
    let answer = match answer {
        Ok(answer) => answer,
        Err(_) if timed_out.get() => return Err(too_slow(gateway)),
        Err(err) => {
            worker::console_warn!("gateway: the origin could not be reached: {err}");
            return Err(unreachable());
        }
    };
    Ok(passed_back(answer))
}

/// The origin's answer with its body as a stream, minus cookies that would shadow the edge's.
fn passed_back(answer: Response) -> Response {
    let status = answer.status_code();
    let headers = Headers::new();
    for (name, value) in answer.headers().entries() {
        let credential =
            name == "set-cookie" && is_credential_cookie(value.split('=').next().unwrap_or_default().trim());
        if !credential && name != "content-length" {
            let _ = headers.append(&name, &value);
        }
    }
    let (_, body) = answer.into_parts();
    Response::builder().with_status(status).with_headers(headers).body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_cookies_never_travel() {
        assert_eq!(
            forwarded_cookies(
                "access_token_lf=a; theme=dark; refresh_token_lf=b; apikey_tkn_lflw=c; auto_login_lf=auto"
            ),
            "theme=dark; auto_login_lf=auto"
        );
        assert_eq!(forwarded_cookies("access_token_lf_langflow=x"), "");
    }
}
