//! `/`, `/login` and `/logout`. The login form runs the API's own login
//! (`routes::auth::password_login`: rate limits, dummy-hash timing, deviation 2) and sets
//! Langflow's cookies exactly as `POST /api/v1/login` does.

use super::layout::{self, Input, Section};
use super::{form_refused, html, read_form, redirect, visitor, Visitor};
use crate::core::html::safe_next;
use crate::core::token::{self, TokenType};
use crate::edge::http::{self, Req};
use crate::edge::routes::auth::{self as api_auth, LoginError, LoginRefusal};
use crate::edge::{auth, cookies, App};
use crate::error::ApiResult;
use maud::{html, Markup};
use worker::Response;

/// The same redirect with the visitor's new cookies, when this request signed them in.
fn redirect_with(location: &str, visitor: &Visitor) -> Response {
    let mut response = redirect(location);
    for cookie in &visitor.new_cookies {
        http::set_cookie(&mut response, cookie);
    }
    response
}

/// GET / — the flows for a signed-in visitor, else the login page.
pub async fn home(req: &mut Req, app: &App) -> ApiResult<Response> {
    Ok(match visitor(req, app, true).await? {
        Some(visitor) => redirect_with("/flows", &visitor),
        None => redirect("/login"),
    })
}

/// What the login form shows besides its fields.
#[derive(Default)]
struct LoginView<'a> {
    username: &'a str,
    next: &'a str,
    username_error: Option<&'a str>,
    password_error: Option<&'a str>,
}

fn login_page(status: u16, view: &LoginView) -> Response {
    html(status, login_view(view))
}

fn login_view(view: &LoginView) -> Markup {
    let username = Input {
        value: view.username,
        autocomplete: "username",
        required: true,
        error: view.username_error,
        autofocus: view.password_error.is_none(),
        ..Input::new("username", "Username", "text")
    };
    let password = Input {
        autocomplete: "current-password",
        required: true,
        error: view.password_error,
        ..Input::new("password", "Password", "password")
    };
    let body = html! {
        div class="card" {
            h1 { "Log in" }
            form method="post" action="/login" novalidate {
                input type="hidden" name="next" value=(view.next);
                (username.render())
                (password.render())
                button type="submit" class="btn btn-primary btn-block" { "Log in" }
            }
        }
    };
    layout::page("Log in", None, Section::None, body)
}

/// GET /login — the form; a signed-in visitor (or anyone, with auto-login on) goes on to `next`.
pub async fn show(req: &mut Req, app: &App) -> ApiResult<Response> {
    let next = safe_next(req.query_param("next"));
    if let Some(visitor) = visitor(req, app, true).await? {
        return Ok(redirect_with(&next, &visitor));
    }
    Ok(login_page(200, &LoginView { next: &next, ..LoginView::default() }))
}

fn seconds(n: i64) -> String {
    if n == 1 {
        "1 second".into()
    } else {
        format!("{n} seconds")
    }
}

/// POST /login — the same checks, limits and session as `POST /api/v1/login`.
pub async fn submit(req: &mut Req, app: &App) -> ApiResult<Response> {
    let form = match read_form(req, app, None).await {
        Ok(form) => form,
        Err(err) => return Ok(form_refused(None, err)),
    };
    let (username, password) = (form.text("username"), form.text("password"));
    let next = safe_next(Some(form.text("next")).filter(|n| !n.is_empty()));
    let mut view = LoginView { username, next: &next, ..LoginView::default() };
    if username.is_empty() || password.is_empty() {
        view.username_error = username.is_empty().then_some("Enter your username.");
        view.password_error = password.is_empty().then_some("Enter your password.");
        return Ok(login_page(400, &view));
    }
    let refusal = match api_auth::password_login(req, app, username, password).await {
        Ok(signed_in) => {
            let mut response = redirect(&next);
            let set = signed_in.cookies(app, req.now_secs(), api_auth::Issued::Login);
            for cookie in set {
                http::set_cookie(&mut response, &cookie);
            }
            return Ok(response);
        }
        Err(LoginError::Refused(refusal)) => refusal,
        Err(LoginError::Failed(err)) => return Err(err),
    };
    let too_many;
    let (status, field_error) = match refusal {
        LoginRefusal::WrongCredentials => (401, "Incorrect username or password."),
        LoginRefusal::TooManyAttempts { retry_after } => {
            too_many = format!("Too many attempts. Try again in {}.", seconds(retry_after));
            (429, too_many.as_str())
        }
        LoginRefusal::WaitingForApproval => (403, "This account is waiting for approval by an administrator."),
        LoginRefusal::Inactive => (403, "This account is inactive."),
    };
    match refusal {
        LoginRefusal::WaitingForApproval | LoginRefusal::Inactive => view.username_error = Some(field_error),
        _ => view.password_error = Some(field_error),
    }
    let mut response = login_page(status, &view);
    if let LoginRefusal::TooManyAttempts { retry_after } = refusal {
        let _ = response.headers_mut().set("retry-after", &retry_after.to_string());
    }
    Ok(response)
}

/// GET /logout — a confirmation with a button (logging out is a POST, never a link).
pub async fn confirm_logout(req: &mut Req, app: &App) -> ApiResult<Response> {
    let Some(visitor) = visitor(req, app, false).await? else {
        return Ok(redirect("/login"));
    };
    let mut response = html(200, logout_view(&visitor));
    for cookie in &visitor.new_cookies {
        http::set_cookie(&mut response, cookie);
    }
    Ok(response)
}

fn logout_view(visitor: &Visitor) -> Markup {
    let body = html! {
        div class="card narrow" {
            h1 { "Log out?" }
            p { "You are signed in as " strong { (visitor.user.username) } "." }
            form method="post" action="/logout" {
                (layout::token_input(visitor))
                div class="actions" {
                    button type="submit" class="btn btn-primary" { "Log out" }
                    a class="btn" href="/flows" { "Cancel" }
                }
            }
        }
    };
    layout::page("Log out", Some(visitor), Section::None, body)
}

/// The session the request's tokens name (either one; the access token may have expired).
fn token_session(req: &Req, app: &App) -> Option<String> {
    let now = req.now_secs();
    let tokens = &app.state.tokens;
    let from_access = auth::access_token(req).and_then(|(t, _)| token::verify(tokens, &t, TokenType::Access, now).ok());
    let from_refresh =
        || req.cookie(cookies::REFRESH).and_then(|t| token::verify(tokens, &t, TokenType::Refresh, now).ok());
    from_access.or_else(from_refresh).and_then(|claims| claims.sid)
}

/// POST /logout — ends the session as `POST /api/v1/logout` does, then the login page.
pub async fn logout(req: &mut Req, app: &App) -> ApiResult<Response> {
    // With a session to end, the form must carry its token.
    let session = token_session(req, app);
    if let Err(err) = read_form(req, app, session.as_deref()).await {
        return Ok(form_refused(None, err));
    }
    api_auth::end_sessions(req, app).await?;
    let mut response = redirect("/login");
    for cookie in cookies::cleared(&app.state.settings.cookies, req.now_secs()) {
        http::set_cookie(&mut response, &cookie);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::pages::test_values::{assert_escaped, hostile, visitor};

    #[test]
    fn the_login_form_escapes_what_was_typed_and_its_errors() {
        let (username, next) = (hostile("username"), hostile("next"));
        let (username_error, password_error) = (hostile("username-error"), hostile("password-error"));
        let view = LoginView {
            username: &username,
            next: &next,
            username_error: Some(&username_error),
            password_error: Some(&password_error),
        };
        let html = login_view(&view).into_string();
        for tag in ["username", "next", "username-error", "password-error"] {
            assert_escaped(&html, tag, 1);
        }
        assert!(html.contains("<form method=\"post\" action=\"/login\" novalidate>"));
    }

    #[test]
    fn the_logout_confirmation_escapes_the_name_and_token() {
        let html = logout_view(&visitor()).into_string();
        // The top bar's two, and "You are signed in as".
        assert_escaped(&html, "visitor-name", 3);
        // The top bar's log-out form and this page's.
        assert_escaped(&html, "form-token", 2);
    }
}
