//! `/`, `/login` and `/logout`. The login form signs in through the same service as
//! `POST /api/v1/login` (`service::sign_in`: rate limits, dummy-hash timing, deviation 2) and
//! sets Langflow's cookies exactly as it does.

use super::layout::{self, Input, Section};
use super::two_factor;
use super::{error_response, form_refused, html, read_form, redirect, visitor, PageResult, Visitor};
use crate::core::html::{percent_encode, safe_next};
use crate::edge::cookies::{self, Issued};
use crate::edge::credentials;
use crate::edge::http::Params;
use crate::edge::http::{self, Req};
use crate::service::sign_in::{self, SignInError};
use crate::service::Services;
use maud::{html, Markup};
use worker::Response;

/// A public page's answer, its errors as pages.
fn shown(answer: PageResult) -> Response {
    answer.unwrap_or_else(|err| error_response(None, err))
}

/// The same redirect with the visitor's new cookies, when this request signed them in.
fn redirect_with(location: &str, visitor: &Visitor) -> Response {
    let mut response = redirect(location);
    for cookie in &visitor.new_cookies {
        http::set_cookie(&mut response, cookie);
    }
    response
}

/// GET / — the flows for a signed-in visitor, else the login page.
pub async fn home(req: &mut Req, services: &Services, _: &Params<'_>) -> Response {
    shown(visitor(req, services, true).await.map(|found| match found {
        Some(visitor) => redirect_with("/flows", &visitor),
        None => redirect("/login"),
    }))
}

/// What the login form shows besides its fields.
#[derive(Default)]
struct LoginView<'a> {
    username: &'a str,
    next: &'a str,
    username_error: Option<&'a str>,
    password_error: Option<&'a str>,
    /// The single sign-on button's name, when a provider is configured.
    sso_name: Option<&'a str>,
    /// The password form (always, unless `LANGFLOW_PASSWORD_LOGIN` is off and `?password=1` was
    /// not asked for: the bootstrap superuser's way in).
    password_form: bool,
}

impl<'a> LoginView<'a> {
    fn new(services: &'a Services, req: &Req, next: &'a str) -> Self {
        let settings = services.settings();
        LoginView {
            next,
            sso_name: settings.oidc.first().map(|p| p.display_name.as_str()),
            password_form: settings.password_login || req.query_param("password") == Some("1"),
            ..LoginView::default()
        }
    }
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
            @if let Some(name) = view.sso_name {
                p {
                    a class="btn btn-primary btn-block" href={ "/login/oidc?next=" (percent_encode(view.next)) } {
                        "Sign in with " (name)
                    }
                }
            }
            @if view.password_form {
                form method="post" action="/login" novalidate {
                    input type="hidden" name="next" value=(view.next);
                    (username.render())
                    (password.render())
                    button type="submit" class="btn btn-primary btn-block" { "Log in" }
                }
            } @else {
                p class="muted small" {
                    a href={ "/login?password=1&next=" (percent_encode(view.next)) } { "Administrator: log in with a password" }
                }
            }
        }
    };
    layout::page("Log in", None, Section::None, body)
}

/// GET /login — the form; a signed-in visitor (or anyone, with auto-login on) goes on to `next`.
pub async fn show(req: &mut Req, services: &Services, _: &Params<'_>) -> Response {
    let next = safe_next(req.query_param("next"));
    shown(visitor(req, services, true).await.map(|found| match found {
        Some(visitor) => redirect_with(&next, &visitor),
        None => login_page(200, &LoginView::new(services, req, &next)),
    }))
}

fn seconds(n: i64) -> String {
    if n == 1 {
        "1 second".into()
    } else {
        format!("{n} seconds")
    }
}

/// POST /login — the same checks, limits and session as `POST /api/v1/login`.
pub async fn submit(req: &mut Req, services: &Services, _: &Params<'_>) -> Response {
    let form = match read_form(req, services, None).await {
        Ok(form) => form,
        Err(err) => return form_refused(None, err),
    };
    let (username, password) = (form.text("username"), form.text("password"));
    let next = safe_next(Some(form.text("next")).filter(|n| !n.is_empty()));
    let mut view = LoginView { username, password_form: true, ..LoginView::new(services, req, &next) };
    if username.is_empty() || password.is_empty() {
        view.username_error = username.is_empty().then_some("Enter your username.");
        view.password_error = password.is_empty().then_some("Enter your password.");
        return login_page(400, &view);
    }
    let refusal = match sign_in::with_password(services, &req.call(), username, password, None).await {
        Ok(signed_in) => {
            let mut response = redirect(&next);
            for cookie in cookies::for_session(services.settings(), &signed_in, req.now_secs(), Issued::Login) {
                http::set_cookie(&mut response, &cookie);
            }
            return response;
        }
        // The password was right; the second factor (or enrolling in it) comes next, with no
        // session until it is done.
        Err(SignInError::SecondFactorRequired { ticket } | SignInError::EnrolmentRequired { ticket }) => {
            let mut response = redirect(&two_factor::next_step(&next));
            http::set_cookie(&mut response, &two_factor::pending_cookie(services, &ticket));
            return response;
        }
        Err(refusal) => refusal,
    };
    let too_many;
    let (status, field_error) = match &refusal {
        SignInError::WrongCredentials => (401, "Incorrect username or password."),
        SignInError::TooManyAttempts { retry_after } => {
            too_many = format!("Too many attempts. Try again in {}.", seconds(*retry_after));
            (429, too_many.as_str())
        }
        SignInError::WaitingForApproval => (403, "This account is waiting for approval by an administrator."),
        SignInError::Inactive | SignInError::AccountInactive => (403, "This account is inactive."),
        _ => return error_response(None, refusal.into()),
    };
    match refusal {
        SignInError::WaitingForApproval | SignInError::Inactive | SignInError::AccountInactive => {
            view.username_error = Some(field_error)
        }
        _ => view.password_error = Some(field_error),
    }
    let mut response = login_page(status, &view);
    if let SignInError::TooManyAttempts { retry_after } = refusal {
        let _ = response.headers_mut().set("retry-after", &retry_after.to_string());
    }
    response
}

/// GET /logout — a confirmation with a button (logging out is a POST, never a link).
pub async fn confirm_logout(req: &mut Req, services: &Services, _: &Params<'_>) -> Response {
    let visitor = match visitor(req, services, false).await {
        Ok(Some(visitor)) => visitor,
        Ok(None) => return redirect("/login"),
        Err(err) => return error_response(None, err),
    };
    let mut response = html(200, logout_view(&visitor));
    for cookie in &visitor.new_cookies {
        http::set_cookie(&mut response, cookie);
    }
    response
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

/// POST /logout — ends the session as `POST /api/v1/logout` does, then the login page.
pub async fn logout(req: &mut Req, services: &Services, _: &Params<'_>) -> Response {
    let call = req.call();
    let access = credentials::access_token(req).map(|(token, _)| token);
    let refresh = credentials::refresh_token(req);
    // With a session to end, the form must carry its token.
    let named = sign_in::sessions_named(services, &call, access.as_deref(), refresh.as_deref());
    if let Err(err) = read_form(req, services, named.first().map(|(id, _)| id)).await {
        return form_refused(None, err);
    }
    if let Err(err) = sign_in::sign_out(services, &call, &named).await {
        return error_response(None, err.into());
    }
    let mut response = redirect("/login");
    for cookie in cookies::cleared(&services.settings().cookies, req.now_secs()) {
        http::set_cookie(&mut response, &cookie);
    }
    response
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
            sso_name: Some("<sso-name>"),
            password_form: true,
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
