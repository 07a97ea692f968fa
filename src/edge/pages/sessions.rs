//! `/settings/sessions`, "Your sessions": where the visitor is signed in (browser, address, when
//! it started and was last used), ending any one of them or all the others. The same services
//! as `/api/v1/sessions`.

use super::layout::{self, Section};
use super::{html, redirect, visitor_form, PageResult, Visitor};
use crate::core::ids::SessionId;
use crate::core::time;
use crate::edge::http::{Params, Req};
use crate::service::sessions::{self, ActiveSession, SessionError};
use crate::service::Services;
use maud::{html, Markup};

/// `2026-11-27 13:27` (UTC) from unix seconds.
pub fn when_secs(secs: Option<i64>) -> Markup {
    layout::when(secs.map(time::iso_seconds).as_deref())
}

/// GET /settings/sessions
pub async fn list(req: &mut Req, services: &Services, visitor: &Visitor, _: &Params<'_>) -> PageResult {
    let found = sessions::list(services, &req.call(), &visitor.principal()).await?;
    let notice = match req.query_param("done") {
        Some("ended") => "The session was ended: it is signed out.",
        Some("others") => "Your other sessions were ended: only this one is still signed in.",
        _ => "",
    };
    Ok(html(200, sessions_view(visitor, &found, notice)))
}

fn sessions_view(visitor: &Visitor, found: &[ActiveSession], notice: &str) -> Markup {
    let others = found.iter().filter(|s| s.id != visitor.session_id).count();
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
            "Every place you are signed in. End a session you do not recognise: it is signed out at once. "
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

fn session_row(visitor: &Visitor, session: &ActiveSession) -> Markup {
    let current = session.id == visitor.session_id;
    html! {
        tr {
            td data-label="Browser" class="wrap" {
                (session.user_agent.as_deref().unwrap_or("Unknown browser"))
            }
            td data-label="Address" { (session.client_ip.as_deref().unwrap_or("—")) }
            td data-label="Signed in" { (when_secs(Some(session.created_at))) }
            td data-label="Last used" { (when_secs(session.last_used_at)) }
            td class="actions-cell" {
                @if current {
                    span class="badge badge-yes" { "This session" }
                } @else {
                    form method="post" action={ "/settings/sessions/" (session.id) "/end" } {
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
    use crate::edge::pages::test_values::{assert_escaped, hostile, id, visitor};

    #[test]
    fn the_list_escapes_browsers_addresses_and_ids_and_marks_this_session() {
        let visitor = visitor();
        let this = ActiveSession {
            id: visitor.session_id.clone(),
            created_at: 1_796_083_200,
            last_used_at: None,
            client_ip: None,
            user_agent: None,
        };
        let other = ActiveSession {
            id: id(&hostile("session-id")),
            created_at: 1_796_083_200,
            last_used_at: Some(1_796_086_800),
            client_ip: Some(hostile("address")),
            user_agent: Some(hostile("browser")),
        };
        let html = sessions_view(&visitor, &[this, other], "").into_string();
        assert_escaped(&html, "browser", 1);
        assert_escaped(&html, "address", 1);
        assert_escaped(&html, "session-id", 1);
        assert!(html.contains("This session"));
        assert!(html.contains("Unknown browser"));
        assert!(html.contains("2026-12-01 01:00"));
        // The top bar's log-out form, "End all other sessions" and the other session's End.
        assert_escaped(&html, "form-token", 3);
        let alone = sessions_view(&visitor, &[], "").into_string();
        assert!(!alone.contains("End all other sessions"));
    }
}
