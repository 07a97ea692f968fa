//! What a request presents to prove who it is, read the way Langflow reads it: a Bearer token,
//! else the `access_token_lf` cookie; an API key in the `x-api-key` query parameter, else the
//! header. The services decide what it is worth (`service::auth`).

use super::cookies;
use super::http::Req;
use crate::service::auth::{Credentials, Via};

/// `Authorization: Bearer <token>`; any other scheme, or a bare `Bearer`, counts as absent.
fn bearer_token(req: &Req) -> Option<String> {
    let header = req.header("authorization")?;
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

/// The access token and where it came from, if any.
pub fn access_token(req: &Req) -> Option<(String, Via)> {
    bearer_token(req)
        .map(|t| (t, Via::Bearer))
        .or_else(|| req.cookie(cookies::ACCESS).filter(|t| !t.is_empty()).map(|t| (t, Via::Cookie)))
}

fn api_key(req: &Req) -> Option<String> {
    // An empty `?x-api-key=` does not hide the header (Langflow: `query_param or header_param`).
    req.query_param("x-api-key")
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .or_else(|| req.header("x-api-key").filter(|k| !k.is_empty()))
}

pub fn presented(req: &Req) -> Credentials {
    Credentials { access_token: access_token(req), api_key: api_key(req) }
}

/// The refresh cookie, if any.
pub fn refresh_token(req: &Req) -> Option<String> {
    req.cookie(cookies::REFRESH).filter(|t| !t.is_empty())
}
