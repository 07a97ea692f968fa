//! `/admin`: user administration for superusers (anyone else is sent to `/flows`). Creation and
//! changes go through `service::users` and the rules of `core::user_rules`, as the API's do.
//!
//! One difference from `POST /api/v1/users/`, which makes every new user inactive (unless
//! `LANGFLOW_NEW_USER_IS_ACTIVE`) and never a superuser, as Langflow does: here the admin
//! explicitly chooses both with the **Active** and **Superuser** boxes.

use super::layout::{self, esc, Input, Section};
use super::messages::denied_text;
use super::{html, redirect, visitor_form, Form, PageError, PageResult, Visitor};
use crate::core::html::percent_encode;
use crate::core::ids::UserId;
use crate::core::password;
use crate::core::user_rules;
use crate::db::users::User;
use crate::edge::http::Params;
use crate::edge::http::Req;
use crate::service::auth::Superuser;
use crate::service::users::{self, NewUser, UserChanges, UserError};
use crate::service::Services;
use worker::Response;

const PAGE_SIZE: i64 = 50;

/// The user named by the path; anything else is 404.
async fn target(services: &Services, admin: &Superuser<'_>, params: &Params<'_>) -> Result<User, PageError> {
    let id = UserId::parse(params.get("user_id")).ok_or(UserError::NotFound)?;
    Ok(users::read(services, admin, &id).await?)
}

fn notice_for(done: Option<&str>) -> &'static str {
    match done {
        Some("created") => "The new user was created.",
        Some("updated") => "The user's settings were saved.",
        Some("password") => "The password was changed. The user's sessions have ended.",
        Some("deleted") => "The user and everything they owned were deleted.",
        _ => "",
    }
}

/// GET /admin — every user, searchable, 50 a page.
pub async fn list(
    req: &mut Req,
    services: &Services,
    visitor: &Visitor,
    admin: &Superuser<'_>,
    _: &Params<'_>,
) -> PageResult {
    let search = req.query_param("q").map(str::trim).filter(|s| !s.is_empty());
    let page = req.query_param("page").and_then(|p| p.parse::<i64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
    let (total, users) = users::list(services, admin, search, (page - 1) * PAGE_SIZE, PAGE_SIZE).await?;
    let notice = notice_for(req.query_param("done"));
    let mut rows = String::new();
    for user in &users {
        let name = esc(&user.username);
        let you = if user.id == visitor.user.id { " <span class=\"muted small\">(you)</span>" } else { "" };
        let delete = if user.id == visitor.user.id {
            String::new()
        } else {
            format!("<a class=\"link-danger\" href=\"/admin/users/{id}/delete\">Delete<span class=\"visually-hidden\"> {name}</span></a>", id = user.id)
        };
        rows.push_str(&format!(
            "<tr>\n<td data-label=\"Username\"><span>{name}{you}</span></td>\n<td data-label=\"Active\">{active}</td>\n\
             <td data-label=\"Superuser\">{superuser}</td>\n<td data-label=\"Created\">{created}</td>\n\
             <td data-label=\"Last login\">{last}</td>\n<td class=\"actions-cell\">\
             <a href=\"/admin/users/{id}\">Edit<span class=\"visually-hidden\"> {name}</span></a>{delete}</td>\n</tr>\n",
            active = layout::yes_no(user.active()),
            superuser = layout::yes_no(user.superuser()),
            created = layout::when(Some(&user.create_at)),
            last = layout::when(user.last_login_at.as_deref()),
            id = user.id,
        ));
    }
    let table = if users.is_empty() {
        "<p class=\"empty\">No users match.</p>".to_string()
    } else {
        format!(
            "<table class=\"stack\">\n<caption class=\"visually-hidden\">Users</caption>\n<thead><tr><th scope=\"col\">Username</th><th scope=\"col\">Active</th>\
             <th scope=\"col\">Superuser</th><th scope=\"col\">Created</th><th scope=\"col\">Last login</th>\
             <th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>"
        )
    };
    let query = search.map(|s| format!("&q={}", percent_encode(s))).unwrap_or_default();
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    let previous = if page > 1 {
        format!("<a href=\"/admin?page={}{query}\">Previous page</a>", page - 1)
    } else {
        "<span></span>".into()
    };
    let next = if page < pages {
        format!("<a href=\"/admin?page={}{query}\">Next page</a>", page + 1)
    } else {
        "<span></span>".into()
    };
    let body = format!(
        "<div class=\"page-head\">\n<h1>Admin Page</h1>\n<a class=\"btn btn-primary\" href=\"/admin/users/new\">New User</a>\n</div>\n\
         {notice}<form class=\"card inline-form\" method=\"get\" action=\"/admin\" role=\"search\">\n\
         <div class=\"field\"><label for=\"q\">Search users</label>\n<input id=\"q\" name=\"q\" type=\"search\" value=\"{search}\"></div>\n\
         <button type=\"submit\" class=\"btn\">Search</button>\n</form>\n\
         <p class=\"muted small\">{total} user{plural}</p>\n<div class=\"table-wrap\">{table}</div>\n\
         <nav class=\"pager\" aria-label=\"Pages\">{previous}{next}</nav>\n",
        notice = if notice.is_empty() { String::new() } else { layout::notice_ok(notice) },
        search = esc(search.unwrap_or_default()),
        plural = if total == 1 { "" } else { "s" },
    );
    Ok(html(200, layout::page("Admin Page", Some(visitor), Section::Admin, &body)))
}

#[derive(Default)]
struct NewUserView<'a> {
    username: &'a str,
    active: bool,
    superuser: bool,
    username_error: Option<String>,
    password_error: Option<&'a str>,
    confirm_error: Option<&'a str>,
}

/// GET /admin/users/new
pub async fn new_user(_: &mut Req, _: &Services, visitor: &Visitor, _: &Superuser<'_>, _: &Params<'_>) -> PageResult {
    Ok(new_user_page(visitor, &NewUserView::default()))
}

fn new_user_page(visitor: &Visitor, view: &NewUserView) -> Response {
    let fresh = view.username.is_empty()
        && view.username_error.is_none()
        && view.password_error.is_none()
        && view.confirm_error.is_none();
    let username = Input {
        value: view.username,
        autocomplete: "off",
        required: true,
        error: view.username_error.as_deref(),
        autofocus: fresh,
        ..Input::new("username", "Username", "text")
    };
    let (password, confirm) = new_password_inputs(view.password_error, view.confirm_error, "At least 8 characters.");
    let body = format!(
        "<p><a href=\"/admin\">← Back to users</a></p>\n<div class=\"card narrow\">\n<h1>New User</h1>\n\
         <form method=\"post\" action=\"/admin/users/new\" novalidate>{token}\n{username}{password}{confirm}\
         <fieldset>\n<legend>Access</legend>\n{active}{superuser}</fieldset>\n\
         <div class=\"actions\"><button type=\"submit\" class=\"btn btn-primary\">Save</button>\n\
         <a class=\"btn\" href=\"/admin\">Cancel</a></div>\n</form>\n</div>\n",
        token = layout::token_input(visitor),
        username = username.render(),
        password = password.render(),
        confirm = confirm.render(),
        active = layout::checkbox("is_active", "Active", view.active, "The user can log in."),
        superuser = layout::checkbox(
            "is_superuser",
            "Superuser",
            view.superuser,
            "The user can manage every account on this page."
        ),
    );
    let status = if fresh { 200 } else { 400 };
    html(status, layout::page("New User", Some(visitor), Section::Admin, &body))
}

/// POST /admin/users/new
pub async fn create(
    req: &mut Req,
    services: &Services,
    visitor: &Visitor,
    admin: &Superuser<'_>,
    _: &Params<'_>,
) -> PageResult {
    let form: Form = match visitor_form(req, services, visitor).await {
        Ok(form) => form,
        Err(refused) => return Ok(refused),
    };
    let (username, password, confirm) = (form.text("username"), form.text("password"), form.text("confirm_password"));
    let mut view = NewUserView {
        username,
        active: form.ticked("is_active"),
        superuser: form.ticked("is_superuser"),
        ..NewUserView::default()
    };
    // The same rules the service applies, checked first so every problem shows at once.
    view.username_error = user_rules::check_username(username).err().map(str::to_string);
    view.password_error = password::check_policy(password).err().map(|e| e.message());
    if password != confirm {
        view.confirm_error = Some("Passwords do not match.");
    }
    if view.username_error.is_some() || view.password_error.is_some() || view.confirm_error.is_some() {
        return Ok(new_user_page(visitor, &view));
    }
    let new_user = NewUser { username, password, optins: None };
    match users::create_as_admin(services, &req.call(), admin, new_user, view.active, view.superuser).await {
        Ok(_) => Ok(redirect("/admin?done=created")),
        Err(UserError::UsernameTaken) => {
            view.username_error = Some("This username is taken.".into());
            Ok(new_user_page(visitor, &view))
        }
        Err(UserError::Username(message)) => {
            view.username_error = Some(message.into());
            Ok(new_user_page(visitor, &view))
        }
        Err(UserError::Password(err)) => {
            view.password_error = Some(err.message());
            Ok(new_user_page(visitor, &view))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Default)]
struct EditView<'a> {
    flags_error: Option<&'a str>,
    password_error: Option<&'a str>,
    confirm_error: Option<&'a str>,
}

/// The **Password** and **Confirm Password** fields of the new-user and edit forms.
fn new_password_inputs<'a>(
    password_error: Option<&'a str>,
    confirm_error: Option<&'a str>,
    hint: &'a str,
) -> (Input<'a>, Input<'a>) {
    let password = Input {
        autocomplete: "new-password",
        required: true,
        error: password_error,
        hint: Some(hint),
        ..Input::new("password", "Password", "password")
    };
    let confirm = Input {
        autocomplete: "new-password",
        required: true,
        error: confirm_error,
        ..Input::new("confirm_password", "Confirm Password", "password")
    };
    (password, confirm)
}

/// GET /admin/users/{id}
pub async fn edit(
    _: &mut Req,
    services: &Services,
    visitor: &Visitor,
    admin: &Superuser<'_>,
    params: &Params<'_>,
) -> PageResult {
    let user = target(services, admin, params).await?;
    Ok(edit_page(visitor, &user, &EditView::default()))
}

fn edit_page(visitor: &Visitor, user: &User, view: &EditView) -> Response {
    let name = esc(&user.username);
    let token = layout::token_input(visitor);
    let (password, confirm) = new_password_inputs(
        view.password_error,
        view.confirm_error,
        "At least 8 characters. Every session of this user ends.",
    );
    let delete = if user.id == visitor.user.id {
        String::new()
    } else {
        format!(
            "<div class=\"card narrow\">\n<h2>Delete account</h2>\n<p>Deletes {name} with their flows, variables and API keys.</p>\n\
             <a class=\"btn btn-danger\" href=\"/admin/users/{id}/delete\">Delete {name}</a>\n</div>\n",
            id = user.id
        )
    };
    let body = format!(
        "<p><a href=\"/admin\">← Back to users</a></p>\n<h1>{name}</h1>\n\
         <div class=\"card narrow\">\n<h2>Access</h2>\n{flags_error}\
         <form method=\"post\" action=\"/admin/users/{id}\" novalidate>{token}\n{active}{superuser}\
         <div class=\"actions\"><button type=\"submit\" class=\"btn btn-primary\">Save</button></div>\n</form>\n</div>\n\
         <div class=\"card narrow\">\n<h2>Reset password</h2>\n\
         <form method=\"post\" action=\"/admin/users/{id}/password\" novalidate>{token}\n{password}{confirm}\
         <div class=\"actions\"><button type=\"submit\" class=\"btn btn-primary\">Reset password</button></div>\n</form>\n</div>\n{delete}",
        id = user.id,
        flags_error = view.flags_error.map(layout::notice_error).unwrap_or_default(),
        active = layout::checkbox("is_active", "Active", user.active(), "The user can log in."),
        superuser = layout::checkbox("is_superuser", "Superuser", user.superuser(), "The user can manage every account on this page."),
        password = password.render(),
        confirm = confirm.render(),
    );
    let status = if view.flags_error.is_some() || view.password_error.is_some() || view.confirm_error.is_some() {
        400
    } else {
        200
    };
    html(status, layout::page(&user.username, Some(visitor), Section::Admin, &body))
}

/// POST /admin/users/{id} — the Active and Superuser flags.
pub async fn update_flags(
    req: &mut Req,
    services: &Services,
    visitor: &Visitor,
    admin: &Superuser<'_>,
    params: &Params<'_>,
) -> PageResult {
    let user = target(services, admin, params).await?;
    let form = match visitor_form(req, services, visitor).await {
        Ok(form) => form,
        Err(refused) => return Ok(refused),
    };
    let (is_active, is_superuser) = (form.ticked("is_active"), form.ticked("is_superuser"));
    // The page's own guard: an admin cannot take away their own rights by a stray click. (A
    // self-deactivation is refused by the service's rules, with its own message.)
    if user.id == visitor.user.id && is_active && !is_superuser {
        let message = "You can't remove your own superuser rights.";
        return Ok(edit_page(visitor, &user, &EditView { flags_error: Some(message), ..EditView::default() }));
    }
    let changes =
        UserChanges { is_active: Some(is_active), is_superuser: Some(is_superuser), ..UserChanges::default() };
    match users::update(services, &req.call(), admin, &user.id, changes).await {
        Ok(_) => Ok(redirect("/admin?done=updated")),
        Err(UserError::Denied(denied)) => {
            Ok(edit_page(visitor, &user, &EditView { flags_error: Some(denied_text(denied)), ..EditView::default() }))
        }
        Err(err) => Err(err.into()),
    }
}

/// POST /admin/users/{id}/password — a new password chosen by the admin.
pub async fn reset_password(
    req: &mut Req,
    services: &Services,
    visitor: &Visitor,
    admin: &Superuser<'_>,
    params: &Params<'_>,
) -> PageResult {
    let user = target(services, admin, params).await?;
    let form = match visitor_form(req, services, visitor).await {
        Ok(form) => form,
        Err(refused) => return Ok(refused),
    };
    let (password, confirm) = (form.text("password"), form.text("confirm_password"));
    let view = EditView {
        password_error: password::check_policy(password).err().map(|e| e.message()),
        confirm_error: (password != confirm).then_some("Passwords do not match."),
        ..EditView::default()
    };
    if view.password_error.is_some() || view.confirm_error.is_some() {
        return Ok(edit_page(visitor, &user, &view));
    }
    let changes = UserChanges { password: Some(password.to_string()), ..UserChanges::default() };
    match users::update(services, &req.call(), admin, &user.id, changes).await {
        Ok(_) => Ok(redirect("/admin?done=password")),
        Err(UserError::Denied(denied)) => Ok(edit_page(
            visitor,
            &user,
            &EditView { password_error: Some(denied_text(denied)), ..EditView::default() },
        )),
        Err(err) => Err(err.into()),
    }
}

/// GET /admin/users/{id}/delete
pub async fn confirm_delete(
    _: &mut Req,
    services: &Services,
    visitor: &Visitor,
    admin: &Superuser<'_>,
    params: &Params<'_>,
) -> PageResult {
    let user = target(services, admin, params).await?;
    Ok(delete_page(visitor, &user, None))
}

fn delete_page(visitor: &Visitor, user: &User, error: Option<&str>) -> Response {
    let body = layout::confirm(
        visitor,
        &format!("Delete {}?", user.username),
        "The account is deleted at once, with its flows, variables and API keys. This cannot be undone.",
        &format!("/admin/users/{}/delete", user.id),
        "Delete",
        "/admin",
        error,
    );
    html(if error.is_some() { 400 } else { 200 }, layout::page("Delete user", Some(visitor), Section::Admin, &body))
}

/// POST /admin/users/{id}/delete — erases the user and all it owns (deviation 8).
pub async fn delete(
    req: &mut Req,
    services: &Services,
    visitor: &Visitor,
    admin: &Superuser<'_>,
    params: &Params<'_>,
) -> PageResult {
    let user = target(services, admin, params).await?;
    if let Err(refused) = visitor_form(req, services, visitor).await {
        return Ok(refused);
    }
    match users::delete(services, admin, &user.id).await {
        Ok(()) => Ok(redirect("/admin?done=deleted")),
        Err(UserError::Denied(denied)) => Ok(delete_page(visitor, &user, Some(denied_text(denied)))),
        Err(err) => Err(err.into()),
    }
}
