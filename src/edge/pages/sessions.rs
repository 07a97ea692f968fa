//! `/settings/sessions`, "Your sessions": where the visitor is signed in (browser, address, when
//! it started and was last used), ending any one of them or all the others. The same services
//! as `/api/v1/sessions`.

use super::layout::{self, Section};
use super::{html, redirect, visitor_form, PageResult, Visitor};
use crate::core::ids::SessionId;
use crate::edge::http::{Params, Req};
use crate::service::sessions::{self, SessionError};
use crate::service::Services;
use maud::{html, Markup};
use serde_json::Value;

/// A text field of a JSON object the service listed (absent or null: `None`).
pub fn field<'a>(object: &'a Value, name: &str) -> Option<&'a str> {
    object.get(name).and_then(Value::as_str)
}

/// The JSON objects a service listed, as values (one that does not parse is left out).
pub fn parsed(items: &[String]) -> Vec<Value> {
    items.iter().filter_map(|item| serde_json::from_str(item).ok()).collect()
}

/// GET /settings/sessions
pub async fn list(req: &mut Req, services: &Services, visitor: &Visitor, _: &Params<'_>) -> PageResult {
    let found = parsed(&sessions::list(services, &req.call(), &visitor.principal()).await?);
    let notice = match req.query_param("done") {
        Some("ended") => "The session was ended: it is signed out.",
        Some("others") => "Your other sessions were ended: only this one is still signed in.",
        _ => "",
    };
    Ok(html(200, sessions_view(visitor, &found, notice)))
}

fn is_current(session: &Value) -> bool {
    session.get("current").and_then(Value::as_bool) == Some(true)
}

fn sessions_view(visitor: &Visitor, found: &[Value], notice: &str) -> Markup {
    let others = found.iter().filter(|s| !is_current(s)).count();
    let body = html! {
        div class="page-head" {
            h1 { "Your sessions" }
            @if others > 0 {
                form method="post" action="/settings/sessions/end-others" {
                    (layout::token_input(visitor))
                    button type="submit" class="btn btn-danger" { "End all other sessions" }
                }
            }
        }
        @if !notice.is_empty() {
            (layout::notice_ok(notice))
        }
        p class="muted" {
            "Every place you are signed in. End a session you do not recognise: it is signed out. "
            "Last used is updated at most every five minutes."
        }
        div class="table-wrap" {
            table class="stack" {
                caption class="visually-hidden" { "Sessions" }
                thead {
                    tr {
                        th scope="col" { "Browser" }
                        th scope="col" { "Address" }
                        th scope="col" { "Signed in" }
                        th scope="col" { "Last used" }
                        th scope="col" { span class="visually-hidden" { "Actions" } }
                    }
                }
                tbody {
                    @for session in found {
                        (session_row(visitor, session))
                    }
                }
            }
        }
    };
    layout::page("Your sessions", Some(visitor), Section::Sessions, body)
}

fn session_row(visitor: &Visitor, session: &Value) -> Markup {
    html! {
        tr {
            td data-label="Browser" class="wrap" { (field(session, "user_agent").unwrap_or("Unknown browser")) }
            td data-label="Address" { (field(session, "client_ip").unwrap_or("—")) }
            td data-label="Signed in" { (layout::when(field(session, "created_at"))) }
            td data-label="Last used" { (layout::when(field(session, "last_used_at"))) }
            td class="actions-cell" {
                @if is_current(session) {
                    span class="badge badge-yes" { "This session" }
                } @else {
                    form method="post" action={ "/settings/sessions/" (field(session, "id").unwrap_or_default()) "/end" } {
                        (layout::token_input(visitor))
                        button type="submit" class="btn btn-danger" { "End session" }
                    }
                }
            }
        }
    }
}

/// POST /settings/sessions/{session_id}/end — ends one of the visitor's sessions.
pub async fn end(req: &mut Req, services: &Services, visitor: &Visitor, params: &Params<'_>) -> PageResult {
    let id = SessionId::parse(params.get("session_id")).ok_or(SessionError::NotFound)?;
    if let Err(refused) = visitor_form(req, services, visitor).await {
        return Ok(refused);
    }
    sessions::end(services, &req.call(), &visitor.principal(), &id).await?;
    // Ending this very session is a logout: the login page follows.
    Ok(redirect(if id == visitor.session_id { "/login" } else { "/settings/sessions?done=ended" }))
}

/// POST /settings/sessions/end-others
pub async fn end_others(req: &mut Req, services: &Services, visitor: &Visitor, _: &Params<'_>) -> PageResult {
    if let Err(refused) = visitor_form(req, services, visitor).await {
        return Ok(refused);
    }
    sessions::end_others(services, &req.call(), &visitor.principal()).await?;
    Ok(redirect("/settings/sessions?done=others"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::pages::test_values::{assert_escaped, hostile, visitor};

    #[test]
    fn the_list_escapes_browsers_addresses_and_ids_and_marks_this_session() {
        let visitor = visitor();
        let this = serde_json::json!({ "id": "s1", "created_at": "2026-12-01T00:00:00+00:00", "last_used_at": null,
            "client_ip": null, "user_agent": null, "current": true });
        let other = serde_json::json!({ "id": hostile("session-id"), "created_at": "2026-12-01T00:00:00+00:00",
            "last_used_at": "2026-12-01T01:00:00+00:00", "client_ip": hostile("address"),
            "user_agent": hostile("browser"), "current": false });
        let html = sessions_view(&visitor, &[this.clone(), other], "").into_string();
        assert_escaped(&html, "browser", 1);
        assert_escaped(&html, "address", 1);
        assert_escaped(&html, "session-id", 1);
        assert!(html.contains("This session"));
        assert!(html.contains("Unknown browser"));
        assert!(html.contains("2026-12-01 01:00"));
        // The top bar's log-out form, "End all other sessions" and the other session's End.
        assert_escaped(&html, "form-token", 3);
        let alone = sessions_view(&visitor, &[this], "").into_string();
        assert!(!alone.contains("End all other sessions"));
        assert_eq!(parsed(&["{\"id\":\"a\"}".into(), "not json".into()]).len(), 1);
    }
}
