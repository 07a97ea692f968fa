//! `GET /.well-known/jwks.json` (gateway mode): the public keys Langflow's external auth checks
//! the edge's identity tokens against.

use super::error::{ApiError, ApiResult};
use crate::edge::http::{self, Params, Req};
use crate::service::{identity, Services};
use worker::Response;

pub async fn jwks(req: &mut Req, services: &Services, _: &Params<'_>) -> ApiResult<Response> {
    let gateway = services.gateway().ok_or_else(|| ApiError::not_found("Not Found"))?;
    let keys = identity::keys(services, gateway, req.now_secs()).await?;
    let mut response = http::json_response(200, keys.jwks.clone());
    // Langflow caches the set for 300 s anyway; a new key is published ahead of its use.
    let _ = response.headers_mut().set("cache-control", "public, max-age=300");
    Ok(response)
}
