//! `/admin`: user administration for superusers (anyone else is sent to `/flows`). Creation and
//! changes go through `service::users` and the rules of `core::user_rules`, as the API's do.
//!
//! One difference from `POST /api/v1/users/`, which makes every new user inactive (unless
//! `LANGFLOW_NEW_USER_IS_ACTIVE`) and never a superuser, as Langflow does: here the admin
//! explicitly chooses both with the **Active** and **Superuser** boxes.

use super::layout::{self, Input, Section};
use super::messages::denied_text;
use super::{html, redirect, visitor_form, Form, PageError, PageResult, Visitor};
use crate::core::html::percent_encode;
use crate::core::ids::UserId;
use crate::core::password;
use crate::core::user_rules;
use crate::db::oidc_identities::Identity;
use crate::db::users::User;
use crate::edge::http::Params;
use crate::edge::http::Req;
use crate::service::auth::Superuser;
use crate::service::oidc;
use crate::service::sessions;
use crate::service::users::{self, NewUser, UserChanges, UserError};
use crate::service::Services;
use maud::{html, Markup};
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
        Some("sessions") => "The user's sessions were ended: they are signed out everywhere.",
        Some("unlinked") => "The single sign-on identity was unlinked.",
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
    let (total, users) = users::list(services, admin, search, (page - 1).saturating_mul(PAGE_SIZE), PAGE_SIZE).await?;
    let notice = notice_for(req.query_param("done"));
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    let identities = oidc::identities_of(services, &ids).await?;
    let listing = UserList { users: &users, identities: &identities, total, page, search };
    Ok(html(200, users_view(visitor, &listing, notice)))
}

/// One page of the user list, as `list` found it.
struct UserList<'a> {
    users: &'a [User],
    /// The single sign-on identities of these users.
    identities: &'a [Identity],
    total: i64,
    page: i64,
    search: Option<&'a str>,
}

fn users_view(visitor: &Visitor, listing: &UserList, notice: &str) -> Markup {
    let UserList { users, identities, total, page, search } = *listing;
    let query = search.map(|s| format!("&q={}", percent_encode(s))).unwrap_or_default();
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    let body = html! {
        div class="page-head" {
            h1 { "Admin Page" }
            div class="actions" {
                a class="btn" href="/admin/audit" { "Audit log" }
                a class="btn btn-primary" href="/admin/users/new" { "New User" }
            }
        }
        @if !notice.is_empty() {
            (layout::notice_ok(notice))
        }
        form class="card inline-form" method="get" action="/admin" role="search" {
            div class="field" {
                label for="q" { "Search users" }
                input id="q" name="q" type="search" value=(search.unwrap_or_default());
            }
            button type="submit" class="btn" { "Search" }
        }
        p class="muted small" { (total) " user" @if total != 1 { "s" } }
        div class="table-wrap" {
            @if users.is_empty() {
                p class="empty" { "No users match." }
            } @else {
                table class="stack" {
                    caption class="visually-hidden" { "Users" }
                    thead {
                        tr {
                            th scope="col" { "Username" }
                            th scope="col" { "Active" }
                            th scope="col" { "Superuser" }
                            th scope="col" { "Signs in with" }
                            th scope="col" { "Created" }
                            th scope="col" { "Last login" }
                            th scope="col" { span class="visually-hidden" { "Actions" } }
                        }
                    }
                    tbody {
                        @for user in users {
                            (user_row(visitor, user, identities))
                        }
                    }
                }
            }
        }
        nav class="pager" aria-label="Pages" {
            @if page > 1 {
                a href={ "/admin?page=" (page - 1) (query) } { "Previous page" }
            } @else {
                span {}
            }
            @if page < pages {
                a href={ "/admin?page=" (page + 1) (query) } { "Next page" }
            } @else {
                span {}
            }
        }
    };
    layout::page("Admin Page", Some(visitor), Section::Admin, body)
}

/// "Password", "Single sign-on", both, or "Nothing" (an unlinked account without a password).
fn sign_in_methods(user: &User, identities: &[Identity]) -> &'static str {
    let sso = identities.iter().any(|i| i.user_id == user.id);
    match (sso, !password::is_unusable(&user.password)) {
        (true, true) => "Single sign-on, password",
        (true, false) => "Single sign-on",
        (false, true) => "Password",
        (false, false) => "Nothing (no password set)",
    }
}

fn user_row(visitor: &Visitor, user: &User, identities: &[Identity]) -> Markup {
    let you = user.id == visitor.user.id;
    html! {
        tr {
            td data-label="Username" {
                span {
                    (user.username)
                    @if you {
                        " " span class="muted small" { "(you)" }
                    }
                }
            }
            td data-label="Active" { (layout::yes_no(user.active())) }
            td data-label="Superuser" { (layout::yes_no(user.superuser())) }
            td data-label="Signs in with" { (sign_in_methods(user, identities)) }
            td data-label="Created" { (layout::when(Some(&user.create_at))) }
            td data-label="Last login" { (layout::when(user.last_login_at.as_deref())) }
            td class="actions-cell" {
                a href={ "/admin/users/" (user.id) } {
                    "Edit" span class="visually-hidden" { " " (user.username) }
                }
                @if !you {
                    a class="link-danger" href={ "/admin/users/" (user.id) "/delete" } {
                        "Delete" span class="visually-hidden" { " " (user.username) }
                    }
                }
            }
        }
    }
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
    let status = if fresh { 200 } else { 400 };
    html(status, new_user_view(visitor, view, fresh))
}

fn new_user_view(visitor: &Visitor, view: &NewUserView, fresh: bool) -> Markup {
    let username = Input {
        value: view.username,
        autocomplete: "off",
        required: true,
        error: view.username_error.as_deref(),
        autofocus: fresh,
        ..Input::new("username", "Username", "text")
    };
    let (password, confirm) = new_password_inputs(view.password_error, view.confirm_error, "At least 8 characters.");
    let body = html! {
        p { a href="/admin" { "← Back to users" } }
        div class="card narrow" {
            h1 { "New User" }
            form method="post" action="/admin/users/new" novalidate {
                (layout::token_input(visitor))
                (username.render())
                (password.render())
                (confirm.render())
                fieldset {
                    legend { "Access" }
                    (layout::checkbox("is_active", "Active", view.active, "The user can log in."))
                    (layout::checkbox(
                        "is_superuser",
                        "Superuser",
                        view.superuser,
                        "The user can manage every account on this page.",
                    ))
                }
                div class="actions" {
                    button type="submit" class="btn btn-primary" { "Save" }
                    a class="btn" href="/admin" { "Cancel" }
                }
            }
        }
    };
    layout::page("New User", Some(visitor), Section::Admin, body)
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
    /// How many sessions the user has (shown on a plain GET of the page).
    live_sessions: Option<usize>,
    /// The user's single sign-on identities (loaded by `edit`).
    identities: Vec<Identity>,
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
    req: &mut Req,
    services: &Services,
    visitor: &Visitor,
    admin: &Superuser<'_>,
    params: &Params<'_>,
) -> PageResult {
    let user = target(services, admin, params).await?;
    let live = sessions::list_of(services, &req.call(), admin, &user).await?.len();
    let identities = oidc::identities_of(services, &[user.id.as_str()]).await?;
    Ok(edit_page(visitor, &user, &EditView { live_sessions: Some(live), identities, ..EditView::default() }))
}

fn edit_page(visitor: &Visitor, user: &User, view: &EditView) -> Response {
    let status = if view.flags_error.is_some() || view.password_error.is_some() || view.confirm_error.is_some() {
        400
    } else {
        200
    };
    html(status, edit_view(visitor, user, view))
}

fn edit_view(visitor: &Visitor, user: &User, view: &EditView) -> Markup {
    let (password, confirm) = new_password_inputs(
        view.password_error,
        view.confirm_error,
        "At least 8 characters. Every session of this user ends.",
    );
    let body = html! {
        p { a href="/admin" { "← Back to users" } }
        h1 { (user.username) }
        div class="card narrow" {
            h2 { "Access" }
            @if let Some(error) = view.flags_error {
                (layout::notice_error(error))
            }
            form method="post" action={ "/admin/users/" (user.id) } novalidate {
                (layout::token_input(visitor))
                (layout::checkbox("is_active", "Active", user.active(), "The user can log in."))
                (layout::checkbox(
                    "is_superuser",
                    "Superuser",
                    user.superuser(),
                    "The user can manage every account on this page.",
                ))
                div class="actions" { button type="submit" class="btn btn-primary" { "Save" } }
            }
        }
        @if !view.identities.is_empty() {
            div class="card narrow" {
                h2 { "Single sign-on" }
                @for identity in &view.identities {
                    p {
                        "Signs in through " (identity.issuer)
                        @if let Some(email) = &identity.email { " as " (email) }
                        " (subject " code { (identity.subject) } ")."
                    }
                    form method="post" action={ "/admin/users/" (user.id) "/identities/" (identity.id) "/unlink" } {
                        (layout::token_input(visitor))
                        div class="actions" { button type="submit" class="btn btn-danger" { "Unlink" } }
                    }
                }
                p class="muted small" {
                    "After unlinking, this provider account no longer signs in as " (user.username)
                    "; its next sign-in makes a new account. Set a password below to keep this account usable."
                }
            }
        }
        div class="card narrow" {
            h2 { "Reset password" }
            form method="post" action={ "/admin/users/" (user.id) "/password" } novalidate {
                (layout::token_input(visitor))
                (password.render())
                (confirm.render())
                div class="actions" { button type="submit" class="btn btn-primary" { "Reset password" } }
            }
        }
        div class="card narrow" {
            h2 { "Sessions" }
            p {
                @match view.live_sessions {
                    Some(1) => "Signed in in 1 place.",
                    Some(n) => { "Signed in in " (n) " places." }
                    None => "",
                }
                " " a href={ "/admin/audit?user_id=" (user.id) } { "Audit events" }
            }
            form method="post" action={ "/admin/users/" (user.id) "/sessions/end" } {
                (layout::token_input(visitor))
                div class="actions" {
                    button type="submit" class="btn btn-danger" {
                        @if user.id == visitor.user.id { "End my other sessions" } @else { "End all sessions" }
                    }
                }
            }
        }
        @if user.id != visitor.user.id {
            div class="card narrow" {
                h2 { "Delete account" }
                p { "Deletes " (user.username) " with their flows, variables and API keys." }
                a class="btn btn-danger" href={ "/admin/users/" (user.id) "/delete" } { "Delete " (user.username) }
            }
        }
    };
    layout::page(&user.username, Some(visitor), Section::Admin, body)
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

/// POST /admin/users/{id}/sessions/end — signs the user out everywhere (the admin's own current
/// session stays, when it is their own account).
pub async fn end_sessions(
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
    sessions::end_all_for_user(services, &req.call(), admin, &user).await?;
    Ok(redirect("/admin?done=sessions"))
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
    html(if error.is_some() { 400 } else { 200 }, delete_view(visitor, user, error))
}

fn delete_view(visitor: &Visitor, user: &User, error: Option<&str>) -> Markup {
    let body = layout::confirm(
        visitor,
        &format!("Delete {}?", user.username),
        "The account is deleted at once, with its flows, variables and API keys. This cannot be undone.",
        &format!("/admin/users/{}/delete", user.id),
        "Delete",
        "/admin",
        error,
    );
    layout::page("Delete user", Some(visitor), Section::Admin, body)
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
    match users::delete(services, &req.call(), admin, &user.id).await {
        Ok(()) => Ok(redirect("/admin?done=deleted")),
        Err(UserError::Denied(denied)) => Ok(delete_page(visitor, &user, Some(denied_text(denied)))),
        Err(err) => Err(err.into()),
    }
}

/// POST /admin/users/{id}/identities/{identity_id}/unlink
pub async fn unlink_identity(
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
    if !oidc::unlink(services, &req.call(), admin, &user.id, params.get("identity_id")).await? {
        return Err(UserError::NotFound.into());
    }
    Ok(redirect("/admin?done=unlinked"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::pages::test_values::{assert_escaped, escaped, hostile, user, visitor};

    #[test]
    fn the_user_list_escapes_names_ids_and_the_search() {
        let visitor = visitor();
        let other = user(&hostile("user-id"), &hostile("user-name"), false);
        let me = user(visitor.user.id.as_str(), &visitor.user.username, true);
        let users = [other, me];
        let search = hostile("search");
        let listing = UserList { users: &users, identities: &[], total: 120, page: 2, search: Some(&search) };
        let html = users_view(&visitor, &listing, "The new user was created.").into_string();
        // The name cell and the hidden words of the Edit and Delete links.
        assert_escaped(&html, "user-name", 3);
        // The Edit and Delete links.
        assert_escaped(&html, "user-id", 2);
        assert!(html.contains(&format!("href=\"/admin/users/{}/delete\"", escaped("user-id"))));
        // The visitor's own row has no Delete link: top bar 2, name cell 1, Edit link 1.
        assert_escaped(&html, "visitor-name", 4);
        assert_escaped(&html, "visitor-id", 1);
        assert!(html.contains("<span class=\"muted small\">(you)</span>"));
        // The search box; the pager links carry it percent-encoded.
        assert_escaped(&html, "search", 1);
        assert!(html.contains("href=\"/admin?page=1&amp;q=%22%3E%3Cscript%3Esearch%3C%2Fscript%3E%26%27\""));
        assert!(html.contains("href=\"/admin?page=3&amp;q="));
        assert!(html.contains("<p class=\"muted small\">120 users</p>"));
    }

    #[test]
    fn the_new_user_form_escapes_what_was_typed_and_its_errors() {
        let (username, username_error) = (hostile("username"), hostile("username-error"));
        let (password_error, confirm_error) = (hostile("password-error"), hostile("confirm-error"));
        let view = NewUserView {
            username: &username,
            active: true,
            superuser: false,
            username_error: Some(username_error),
            password_error: Some(&password_error),
            confirm_error: Some(&confirm_error),
        };
        let html = new_user_view(&visitor(), &view, false).into_string();
        for tag in ["username", "username-error", "password-error", "confirm-error"] {
            assert_escaped(&html, tag, 1);
        }
        // The top bar's log-out form and this form.
        assert_escaped(&html, "form-token", 2);
    }

    #[test]
    fn the_edit_page_escapes_the_name_id_and_errors() {
        let visitor = visitor();
        let other = user(&hostile("user-id"), &hostile("user-name"), false);
        let (flags_error, password_error) = (hostile("flags-error"), hostile("password-error"));
        let view = EditView {
            live_sessions: Some(2),
            identities: Vec::new(),
            flags_error: Some(&flags_error),
            password_error: Some(&password_error),
            confirm_error: None,
        };
        let html = edit_view(&visitor, &other, &view).into_string();
        // <title>, <h1>, "Deletes ... with their flows", "Delete ...".
        assert_escaped(&html, "user-name", 4);
        // The three form actions, the audit link and the Delete link.
        assert_escaped(&html, "user-id", 5);
        assert_escaped(&html, "flags-error", 1);
        assert_escaped(&html, "password-error", 1);
        // The top bar's log-out form and the three forms here.
        assert_escaped(&html, "form-token", 4);
        assert!(html.contains("Signed in in 2 places."));
        // One's own account has no Delete section.
        let own = edit_view(&visitor, &visitor.user, &EditView::default()).into_string();
        assert!(!own.contains("Delete account"));
    }

    #[test]
    fn the_delete_confirmation_escapes_the_name_and_id() {
        let other = user(&hostile("user-id"), &hostile("user-name"), false);
        let problem = hostile("problem");
        let html = delete_view(&visitor(), &other, Some(&problem)).into_string();
        assert_escaped(&html, "user-name", 1);
        assert_escaped(&html, "user-id", 1);
        assert_escaped(&html, "problem", 1);
        assert!(html.contains(&format!("<h1>Delete {}?</h1>", escaped("user-name"))));
    }
}
