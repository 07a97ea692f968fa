//! `/api/v1/login`, `/auto_login`, `/refresh`, `/logout`, `/session`.

use super::error::{ApiError, ApiResult};
use super::json;
use super::schemas::{TokenPair, UserRead};
use crate::core::request_body::form_field;
use crate::edge::cookies::{self, Issued};
use crate::edge::credentials;
use crate::edge::http::Params;
use crate::edge::http::{self, Req, SMALL_BODY_LIMIT};
use crate::service::auth::{self as authentication, Via};
use crate::service::sign_in::{self, SignedIn};
use crate::service::Services;
use serde_json::json;
use worker::Response;

/// The token pair as JSON plus Langflow's cookies.
fn token_answer(services: &Services, req: &Req, signed_in: &SignedIn, issued: Issued) -> ApiResult<Response> {
    let pair = TokenPair { access_token: &signed_in.access, refresh_token: &signed_in.refresh, token_type: "bearer" };
    let mut response = json(200, &pair)?;
    for cookie in cookies::for_session(services.settings(), signed_in, req.now_secs(), issued) {
        http::set_cookie(&mut response, &cookie);
    }
    Ok(response)
}

/// POST /api/v1/login — the OAuth2 password form; `totp_code` (our addition) carries the second
/// factor of an account with two-factor on, in the same request.
pub async fn login(req: &mut Req, services: &Services, _: &Params<'_>) -> ApiResult<Response> {
    if req.is_cross_site() {
        return Err(ApiError::cross_site());
    }
    // Anything but a form (JSON, no body) has no form fields: FastAPI names both as missing.
    let content_type = req.content_type();
    let is_form =
        ["application/x-www-form-urlencoded", "multipart/form-data"].iter().any(|t| content_type.starts_with(t));
    let form = if is_form { req.form_body(SMALL_BODY_LIMIT).await? } else { Vec::new() };
    let (username, password) = match (form_field(&form, "username"), form_field(&form, "password")) {
        (Some(username), Some(password)) => (username, password),
        (username, password) => {
            let missing: Vec<_> = [("username", username), ("password", password)]
                .into_iter()
                .filter(|(_, value)| value.is_none())
                .map(|(field, _)| json!({ "type": "missing", "loc": ["body", field], "msg": "Field required" }))
                .collect();
            return Err(ApiError::with_body(422, json!({ "detail": missing })));
        }
    };
    let code = form_field(&form, "totp_code");
    let signed_in = sign_in::with_password(services, &req.call(), username, password, code).await?;
    token_answer(services, req, &signed_in, Issued::Login)
}

/// GET /api/v1/auto_login — tokens for the superuser when auto-login is on (deviation 5).
pub async fn auto_login(req: &mut Req, services: &Services, _: &Params<'_>) -> ApiResult<Response> {
    let signed_in = sign_in::auto_login(services, &req.call()).await?;
    token_answer(services, req, &signed_in, Issued::AutoLogin)
}

/// POST /api/v1/refresh — rotates the refresh token; a reused one ends its session (deviation 1).
pub async fn refresh(req: &mut Req, services: &Services, _: &Params<'_>) -> ApiResult<Response> {
    if req.is_cross_site() {
        return Err(ApiError::cross_site());
    }
    let signed_in = sign_in::refresh(services, &req.call(), credentials::refresh_token(req).as_deref()).await?;
    token_answer(services, req, &signed_in, Issued::Refresh)
}

/// POST /api/v1/logout — always 200; ends the session the request's tokens belong to.
pub async fn logout(req: &mut Req, services: &Services, _: &Params<'_>) -> ApiResult<Response> {
    if req.is_cross_site() {
        return Err(ApiError::cross_site());
    }
    let access = credentials::access_token(req).map(|(token, _)| token);
    let call = req.call();
    let named = sign_in::sessions_named(services, &call, access.as_deref(), credentials::refresh_token(req).as_deref());
    sign_in::sign_out(services, &call, &named).await?;
    let mut response = json(200, &json!({ "message": "Logout successful" }))?;
    for cookie in cookies::cleared(&services.settings().cookies, req.now_secs()) {
        http::set_cookie(&mut response, &cookie);
    }
    Ok(response)
}

/// GET /api/v1/session — never fails; says whether the token or cookie is good.
pub async fn session(req: &mut Req, services: &Services, _: &Params<'_>) -> ApiResult<Response> {
    let principal = authentication::token_user(services, &req.call(), &credentials::presented(req))
        .await
        .filter(|p| p.via != Via::ApiKey);
    match principal {
        Some(p) => json(
            200,
            &json!({ "authenticated": true, "user": UserRead::from(&p.user), "store_api_key": p.user.store_api_key }),
        ),
        None => json(200, &json!({ "authenticated": false, "user": null, "store_api_key": null })),
    }
}
