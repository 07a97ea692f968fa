//! `/api/v1/users/...`: sign-up and admin creation, listing, whoami, read, update, password
//! change and deletion (observed spec §4); the rules are `service::users`'.

use super::error::{ApiError, ApiResult};
use super::schemas::UserRead;
use super::{caller, json, path_id};
use crate::core::ids::UserId;
use crate::core::user_rules::Denied;
use crate::db::users::User;
use crate::edge::http::Params;
use crate::edge::http::{Req, SMALL_BODY_LIMIT};
use crate::service::auth;
use crate::service::auth::Principal;
use crate::service::users::{self, NewUser, UserChanges};
use crate::service::{random_bytes, Services};
use serde_json::json;
use worker::Response;

fn user_json(status: u16, user: &User) -> ApiResult<Response> {
    json(status, &UserRead::from(user))
}

fn user_id(params: &Params) -> ApiResult<UserId> {
    path_id(params, "user_id", UserId::parse)
}

/// POST /api/v1/users/ — public sign-up, or creation by a superuser.
pub async fn create(req: &mut Req, services: &Services, _: &Params<'_>) -> ApiResult<Response> {
    let call = req.call();
    let caller = caller(req, services).await.ok();
    // Refused before the body is read, as Langflow does.
    users::check_sign_up(services, &call, caller.as_ref())?;
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let optins = body.optional_object("optins")?.map(|o| serde_json::Value::Object(o.clone()).to_string());
    let new = NewUser { username: body.required_str("username")?, password: body.required_str("password")?, optins };
    let user = users::sign_up(services, &call, caller.as_ref(), new).await?;
    let mut response = user_json(201, &user)?;
    let _ = response.headers_mut().set("location", &format!("/api/v1/users/{}", user.id));
    Ok(response)
}

fn query_int(req: &Req, name: &str, default: i64, min: i64, max: Option<i64>) -> ApiResult<i64> {
    let Some(text) = req.query_param(name) else { return Ok(default) };
    let value: i64 = text.trim().parse().map_err(|_| {
        ApiError::unprocessable(
            "int_parsing",
            &["query", name],
            "Input should be a valid integer, unable to parse string as an integer",
        )
    })?;
    if value < min {
        return Err(ApiError::unprocessable(
            "greater_than_equal",
            &["query", name],
            format!("Input should be greater than or equal to {min}"),
        ));
    }
    if let Some(max) = max.filter(|m| value > *m) {
        return Err(ApiError::unprocessable(
            "less_than_equal",
            &["query", name],
            format!("Input should be less than or equal to {max}"),
        ));
    }
    Ok(value)
}

/// GET /api/v1/users/ — superusers only; ordered by username.
pub async fn list(req: &mut Req, services: &Services, principal: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    let admin = principal.as_superuser()?;
    let skip = query_int(req, "skip", 0, 0, None)?;
    let limit = query_int(req, "limit", 10, 1, Some(200))?;
    let search = req.query_param("search").or_else(|| req.query_param("username")).filter(|s| !s.is_empty());
    let (total, found) = users::list(services, &admin, search, skip, limit).await?;
    let found: Vec<UserRead> = found.iter().map(UserRead::from).collect();
    json(200, &json!({ "total_count": total, "users": found, "deletion_requests": {} }))
}

/// GET /api/v1/users/whoami
pub async fn whoami(_: &mut Req, _: &Services, principal: &Principal, _: &Params<'_>) -> ApiResult<Response> {
    user_json(200, &principal.user)
}

/// GET /api/v1/users/{id} — yourself, or anyone for a superuser.
pub async fn read(_: &mut Req, services: &Services, principal: &Principal, params: &Params<'_>) -> ApiResult<Response> {
    let user = users::read(services, principal, &user_id(params)?).await?;
    user_json(200, &user)
}

/// PATCH /api/v1/users/{id} — profile changes for yourself; everything for a superuser.
pub async fn update(
    req: &mut Req,
    services: &Services,
    principal: &Principal,
    params: &Params<'_>,
) -> ApiResult<Response> {
    let id = user_id(params)?;
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let changes = UserChanges {
        username: body.optional_str("username")?.map(str::to_string),
        profile_image: if body.has("profile_image") {
            Some(body.optional_str("profile_image")?.map(str::to_string))
        } else {
            None
        },
        optins: body.optional_object("optins")?.map(|o| serde_json::Value::Object(o.clone()).to_string()),
        password: body.optional_str("password")?.map(str::to_string),
        is_active: body.optional_bool("is_active")?,
        is_superuser: body.optional_bool("is_superuser")?,
    };
    let user = users::update(services, &req.call(), principal, &id, changes).await?;
    user_json(200, &user)
}

/// PATCH /api/v1/users/{id}/reset-password — yourself only, signed in interactively.
pub async fn reset_password(
    req: &mut Req,
    services: &Services,
    principal: &Principal,
    params: &Params<'_>,
) -> ApiResult<Response> {
    // Langflow refuses an API key before it looks at the path.
    if principal.via == auth::Via::ApiKey {
        return Err(users::UserError::NeedsInteractiveSignIn.into());
    }
    let id = user_id(params)?;
    users::check_own_password_change(principal, &id)?;
    let body = req.json_body(SMALL_BODY_LIMIT).await?;
    let (current, new_password) = (body.required_str("current_password")?, body.required_str("password")?);
    let user = users::change_own_password(services, &req.call(), principal, &id, current, new_password).await?;
    user_json(200, &user)
}

/// DELETE /api/v1/users/{id} — superusers only; erases the user and all it owns at once
/// (deviation 8), answering with Langflow's 202 shape.
pub async fn delete(
    req: &mut Req,
    services: &Services,
    principal: &Principal,
    params: &Params<'_>,
) -> ApiResult<Response> {
    let id = user_id(params)?;
    // Langflow checks deletion with its user rules, whose refusal reads "Permission denied".
    let admin = principal.as_superuser().map_err(|_| Denied::NotAdmin)?;
    users::delete(services, &req.call(), &admin, &id).await?;
    let request_id = crate::core::ids::uuid_v4(random_bytes::<16>()?);
    json(202, &json!({ "detail": "User deletion started", "request_id": request_id }))
}
