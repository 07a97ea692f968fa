//! Two-factor sign-in on the pages: `/settings/two-factor` (set up, confirm, remove) and the
//! sign-in's second step, `/login/two-factor` (the code) and `/login/two-factor/setup` (a
//! superuser who must enrol first, `LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS`). Between the password
//! and the code the browser holds only a signed, short-lived ticket cookie (`Path=/login`), not a
//! session: nothing else accepts it.

use super::layout::{self, Input, Section};
use super::messages::two_factor_code_text;
use super::{error_page, error_response, html, read_form, redirect, visitor_form, PageError, PageResult, Visitor};
use crate::core::csrf::{self, PendingStep};
use crate::core::html::{percent_encode, safe_next};
use crate::core::request_body::BodyError;
use crate::edge::cookies::{self, Issued};
use crate::edge::http::{self, Params, Req};
use crate::service::sign_in::{self, SignInError, SignedIn, PENDING_SECS};
use crate::service::two_factor::{self, Enrolment, Status, TwoFactorError};
use crate::service::{Call, Services};
use maud::{html, Markup};
use worker::Response;

/// The cookie that carries a sign-in's pending ticket, for `submit` in `login.rs`.
pub fn pending_cookie(services: &Services, ticket: &str) -> String {
    cookies::two_factor_pending(&services.settings().cookies, ticket, PENDING_SECS)
}

/// Where the login form sends a visitor whose password was right but who has a step left.
pub fn next_step(next: &str) -> String {
    format!("/login/two-factor?next={}", percent_encode(next))
}

fn ticket(req: &Req) -> Option<String> {
    req.cookie(cookies::TWO_FACTOR_PENDING).filter(|t| !t.is_empty())
}

/// The step the pending ticket is for (its user is checked by the service).
fn pending_step(ticket: Option<&str>) -> PendingStep {
    ticket.and_then(csrf::pending_ticket_parts).map_or(PendingStep::Code, |(_, step, _)| step)
}

/// The sign-in is over: its session cookies, the ticket gone.
fn with_session(mut response: Response, services: &Services, signed_in: &SignedIn, now: i64) -> Response {
    for cookie in cookies::for_session(services.settings(), signed_in, now, Issued::Login) {
        http::set_cookie(&mut response, &cookie);
    }
    http::set_cookie(&mut response, &cookies::two_factor_pending_cleared(&services.settings().cookies));
    response
}

fn code_input(error: Option<&str>, hint: &'static str) -> Markup {
    Input {
        autocomplete: "one-time-code",
        required: true,
        error,
        hint: Some(hint),
        autofocus: true,
        ..Input::new("code", "Code", "text")
    }
    .render()
}

/// GET /login/two-factor — the code, or (a superuser who must enrol first) the enrolment.
pub async fn login_step(req: &mut Req, services: &Services, _: &Params<'_>) -> Response {
    let next = safe_next(req.query_param("next"));
    login_step_page(req, services, &next, 200, None).await
}

async fn login_step_page(req: &Req, services: &Services, next: &str, status: u16, error: Option<&str>) -> Response {
    let (call, ticket) = (req.call(), ticket(req));
    let step = pending_step(ticket.as_deref());
    let user = match sign_in::pending_user(services, &call, ticket.as_deref(), step).await {
        Ok(user) => user,
        Err(SignInError::PendingExpired) => {
            // Gone or stale: back to the password, saying why.
            let mut response = error_page(
                None,
                401,
                "Sign-in expired",
                "This step lasts 5 minutes. Log in again with your username and password.",
            );
            http::set_cookie(&mut response, &cookies::two_factor_pending_cleared(&services.settings().cookies));
            return response;
        }
        Err(err) => return error_response(None, err.into()),
    };
    let hidden = html! { input type="hidden" name="next" value=(next); };
    let body = match step {
        PendingStep::Code => html! {
            h1 { "Two-factor sign-in" }
            form method="post" action="/login/two-factor" novalidate {
                (hidden)
                (code_input(error, "The 6 digits your authenticator app shows, or a recovery code."))
                button type="submit" class="btn btn-primary btn-block" { "Verify" }
            }
        },
        PendingStep::Enrol => {
            // The ticket was issued PENDING_SECS before it expires: only an enrolment this
            // sign-in began is shown again (a reload or a wrong code keeps the secret).
            let issued = ticket.as_deref().and_then(csrf::pending_ticket_parts).map(|(_, _, expires)| expires);
            let since = issued.map_or(i64::MAX, |expires| expires - sign_in::PENDING_SECS);
            match two_factor::enrolment_since(services, &call, &user, since).await {
                Ok(enrolment) => html! {
                    h1 { "Set up two-factor sign-in" }
                    p { "Superusers of this server must use two-factor sign-in." }
                    (enrolment_view(&enrolment, "/login/two-factor", hidden, error))
                },
                Err(err) => return error_response(None, err.into()),
            }
        }
    };
    let body = html! { div class="card" { (body) } };
    html(status, layout::page("Two-factor sign-in", None, Section::None, body))
}

/// POST /login/two-factor — the code (or the new enrolment's first code) completes the sign-in
/// the password began.
pub async fn login_step_submit(req: &mut Req, services: &Services, _: &Params<'_>) -> Response {
    let form = match read_form(req, services, None).await {
        Ok(form) => form,
        Err(err) => return super::form_refused(None, err),
    };
    let next = safe_next(Some(form.text("next")).filter(|n| !n.is_empty()));
    let ticket = ticket(req);
    let (status, text, retry_after) =
        match sign_in::with_second_factor(services, &req.call(), ticket.as_deref(), form.text("code")).await {
            Ok((signed_in, recovery_codes)) => {
                let response = match recovery_codes {
                    None => redirect(&next),
                    Some(codes) => {
                        let body = html! { div class="card" { (recovery_codes_view(&codes, &next)) } };
                        html(200, layout::page("Recovery codes", None, Section::None, body))
                    }
                };
                return with_session(response, services, &signed_in, req.now_secs());
            }
            Err(SignInError::SecondFactor(err)) => match (two_factor_code_text(&err), err) {
                (Some((status, text)), TwoFactorError::TooManyAttempts { retry_after }) => {
                    (status, Some(text), Some(retry_after))
                }
                (Some((status, text)), _) => (status, Some(text), None),
                (None, err) => return error_response(None, err.into()),
            },
            // The page again finds the ticket gone and says so.
            Err(SignInError::PendingExpired) => (401, None, None),
            Err(other) => return error_response(None, other.into()),
        };
    let mut response = login_step_page(req, services, &next, status, text.as_deref()).await;
    if let Some(retry_after) = retry_after {
        let _ = response.headers_mut().set("retry-after", &retry_after.to_string());
    }
    response
}

/// The secret to copy into an authenticator app and the form confirming it with a first code.
fn enrolment_view(enrolment: &Enrolment, action: &str, hidden: Markup, error: Option<&str>) -> Markup {
    html! {
        ol class="steps" {
            li {
                "Add an account to your authenticator app with this setup key, or open the link on the device that has the app:"
                div class="key-row" {
                    input id="totp_secret" type="text" readonly value=(enrolment.secret) aria-label="Setup key" autocomplete="off" spellcheck="false";
                    button type="button" class="btn" data-copy="totp_secret" data-status="secret-status" hidden { "Copy" }
                }
                p class="hint" id="secret-status" role="status" {}
                p class="small" { a id="totp_uri" href=(enrolment.uri) { (enrolment.uri) } }
            }
            li {
                "Enter the code the app shows."
                form method="post" action=(action) novalidate {
                    (hidden)
                    input type="hidden" name="action" value="confirm";
                    (code_input(error, "6 digits."))
                    button type="submit" class="btn btn-primary" { "Turn on two-factor sign-in" }
                }
            }
        }
    }
}

/// The ten recovery codes, shown this once.
fn recovery_codes_view(codes: &[String], continue_to: &str) -> Markup {
    html! {
        section class="notice notice-key" {
            h2 { "Two-factor sign-in is on: save your recovery codes" }
            p { "Each signs you in once if you lose your device. They will not be shown again." }
            ul id="recovery_codes" class="recovery-codes" {
                @for code in codes {
                    li { code { (code) } }
                }
            }
            a class="btn btn-primary" href=(continue_to) { "I saved them, continue" }
        }
    }
}

/// GET /settings/two-factor
pub async fn settings(req: &mut Req, services: &Services, visitor: &Visitor, _: &Params<'_>) -> PageResult {
    let notice = match req.query_param("done") {
        Some("removed") => Some("Two-factor sign-in is off. Your password alone signs you in now."),
        _ => None,
    };
    settings_with(&req.call(), services, visitor, 200, None, notice).await
}

async fn settings_with(
    call: &Call,
    services: &Services,
    visitor: &Visitor,
    status: u16,
    error: Option<&str>,
    notice: Option<&str>,
) -> PageResult {
    let state = two_factor::status(services, call, &visitor.user).await?;
    Ok(html(status, settings_view(visitor, &state, error, notice)))
}

fn settings_view(visitor: &Visitor, state: &Status, error: Option<&str>, notice: Option<&str>) -> Markup {
    let token = layout::token_input(visitor);
    let body = html! {
        div class="page-head" { h1 { "Two-factor sign-in" } }
        @if let Some(notice) = notice {
            (layout::notice_ok(notice))
        }
        div class="card narrow" {
            @match state {
                Status::Off => {
                    p { "Two-factor sign-in is " strong { "off" } "." }
                    p class="muted" { "Signing in with your password will also ask for a code from an authenticator app. API keys are not affected." }
                    form method="post" action="/settings/two-factor" {
                        (token)
                        input type="hidden" name="action" value="setup";
                        button type="submit" class="btn btn-primary" { "Set up two-factor sign-in" }
                    }
                }
                Status::Enrolling(enrolment) => {
                    p { "Two-factor sign-in is being set up." }
                    (enrolment_view(enrolment, "/settings/two-factor", token.clone(), error))
                    form method="post" action="/settings/two-factor" {
                        (token)
                        input type="hidden" name="action" value="remove";
                        button type="submit" class="btn" { "Cancel setup" }
                    }
                }
                Status::On { recovery_codes_left } => {
                    p { "Two-factor sign-in is " strong { "on" } ". Recovery codes left: " (recovery_codes_left) "." }
                    form method="post" action="/settings/two-factor" novalidate {
                        (token)
                        input type="hidden" name="action" value="remove";
                        h2 { "Turn off" }
                        (code_input(error, "A current code from your app, or a recovery code."))
                        button type="submit" class="btn btn-danger" { "Turn off two-factor sign-in" }
                    }
                }
            }
        }
    };
    layout::page("Two-factor sign-in", Some(visitor), Section::None, body)
}

/// POST /settings/two-factor — `action`: `setup` (a new secret, replacing an unconfirmed one),
/// `confirm` (the first code turns it on; the recovery codes, once) or `remove` (with a code; none
/// needed to cancel an unconfirmed setup).
pub async fn change(req: &mut Req, services: &Services, visitor: &Visitor, _: &Params<'_>) -> PageResult {
    let form = match visitor_form(req, services, visitor).await {
        Ok(form) => form,
        Err(response) => return Ok(response),
    };
    let (call, user, code) = (req.call(), &visitor.user, form.text("code"));
    let refused = match form.text("action") {
        "setup" => match two_factor::start(services, &call, user).await {
            Ok(_) => return Ok(redirect("/settings/two-factor")),
            Err(err) => err,
        },
        "confirm" => match two_factor::confirm(services, &call, user, code).await {
            Ok(codes) => {
                let body = recovery_codes_view(&codes, "/settings/two-factor");
                return Ok(html(200, layout::page("Recovery codes", Some(visitor), Section::None, body)));
            }
            Err(err) => err,
        },
        "remove" => match two_factor::remove(services, &call, user, code).await {
            Ok(()) => return Ok(redirect("/settings/two-factor?done=removed")),
            Err(err) => err,
        },
        _ => return Err(PageError::from(BodyError::missing("body", "action"))),
    };
    match two_factor_code_text(&refused) {
        Some((status, text)) => settings_with(&call, services, visitor, status, Some(&text), None).await,
        None => Err(refused.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::pages::test_values::{assert_escaped, hostile, visitor};

    fn enrolment() -> Enrolment {
        Enrolment { secret: hostile("secret"), uri: hostile("uri") }
    }

    #[test]
    fn the_enrolment_form_escapes_what_it_shows() {
        let hidden = html! { input type="hidden" name="next" value=(hostile("next")); };
        let html = enrolment_view(&enrolment(), "/login/two-factor", hidden, Some(&hostile("error"))).into_string();
        assert_escaped(&html, "secret", 1);
        // The link's target and its text.
        assert_escaped(&html, "uri", 2);
        assert_escaped(&html, "next", 1);
        assert_escaped(&html, "error", 1);
        assert!(html.contains("autocomplete=\"one-time-code\""));
    }

    #[test]
    fn the_settings_page_carries_the_form_token_in_every_form() {
        let visitor = visitor();
        let off = settings_view(&visitor, &Status::Off, None, None).into_string();
        // The top bar's log-out form and the setup form.
        assert_escaped(&off, "form-token", 2);
        let enrolling = settings_view(&visitor, &Status::Enrolling(enrolment()), None, None).into_string();
        assert_escaped(&enrolling, "form-token", 3);
        let on = settings_view(&visitor, &Status::On { recovery_codes_left: 10 }, Some(&hostile("e")), None);
        let on = on.into_string();
        assert_escaped(&on, "form-token", 2);
        assert_escaped(&on, "e", 1);
        assert!(on.contains("Recovery codes left: 10."));
    }

    #[test]
    fn recovery_codes_are_listed_with_a_way_on() {
        let codes = vec![hostile("code-1"), "ABCD-EFGH-IJKL-MNOP".to_string()];
        let html = recovery_codes_view(&codes, &hostile("next")).into_string();
        assert_escaped(&html, "code-1", 1);
        assert_escaped(&html, "next", 1);
        assert!(html.contains("<li><code>ABCD-EFGH-IJKL-MNOP</code></li>"));
    }
}
