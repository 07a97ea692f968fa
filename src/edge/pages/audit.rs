//! `/admin/audit`: the security audit log for superusers, newest first, filtered by event,
//! result, user and day, 50 a page. The same service as `GET /api/v1/audits`.

use super::layout::{self, Section};
use super::sessions::{field, parsed};
use super::{html, PageResult, Visitor};
use crate::core::audit_query::{self, AuditQuery};
use crate::core::html::percent_encode;
use crate::core::time::{self, read_datetime};
use crate::edge::http::{Params, Req};
use crate::service::audit::{self, AuditPage};
use crate::service::auth::Superuser;
use crate::service::Services;
use maud::{html, Markup};
use serde_json::Value;

/// The page's own parameters (dates, not timestamps) as the API's query; `Err` says what is wrong.
fn query_of(req: &Req) -> Result<AuditQuery, String> {
    let mut pairs = Vec::new();
    for (key, value) in &req.query {
        let value = value.trim();
        if value.is_empty() {
            continue; // a filter left at "All"
        }
        let value = match key.as_str() {
            "since" | "until" => {
                let day = read_datetime(value)
                    .ok()
                    .filter(|_| value.len() == 10)
                    .ok_or_else(|| format!("The {key} date must be a date such as 2026-12-01."))?;
                // "until" includes the whole day.
                time::iso_seconds(if key == "until" { day + 86_400 } else { day })
            }
            _ => value.to_string(),
        };
        pairs.push((key.clone(), value));
    }
    audit_query::parse(&pairs, &audit::actions())
}

/// GET /admin/audit
pub async fn list(
    req: &mut Req,
    services: &Services,
    visitor: &Visitor,
    admin: &Superuser<'_>,
    _: &Params<'_>,
) -> PageResult {
    match query_of(req) {
        Ok(query) => {
            let page = audit::list(services, admin, &query).await?;
            Ok(html(200, audit_view(visitor, req, Some(&page), None)))
        }
        Err(problem) => Ok(html(400, audit_view(visitor, req, None, Some(&problem)))),
    }
}

/// The filters as the visitor set them, for the form and the next-page link.
fn filter_value<'a>(req: &'a Req, name: &str) -> &'a str {
    req.query_param(name).unwrap_or_default()
}

fn audit_view(visitor: &Visitor, req: &Req, page: Option<&AuditPage>, problem: Option<&str>) -> Markup {
    let (action, result) = (filter_value(req, "action"), filter_value(req, "result"));
    let user_id = filter_value(req, "user_id");
    let kept: String = ["action", "result", "user_id", "since", "until"]
        .iter()
        .filter(|name| !filter_value(req, name).is_empty())
        .map(|name| format!("&{name}={}", percent_encode(filter_value(req, name))))
        .collect();
    let body = html! {
        p { a href="/admin" { "← Back to users" } }
        h1 { "Audit log" }
        @if let Some(problem) = problem {
            (layout::notice_error(problem))
        }
        form class="card inline-form" method="get" action="/admin/audit" {
            @if !user_id.is_empty() {
                input type="hidden" name="user_id" value=(user_id);
                p class="small" { "Events about one user. " a href="/admin/audit" { "Show everyone's" } }
            }
            div class="field" {
                label for="action" { "Event" }
                select id="action" name="action" {
                    option value="" { "All events" }
                    @for name in audit::actions() {
                        option value=(name) selected[name == action] { (name) }
                    }
                }
            }
            div class="field" {
                label for="result" { "Result" }
                select id="result" name="result" {
                    option value="" { "Any" }
                    option value="succeeded" selected[result == "succeeded"] { "Succeeded" }
                    option value="failed" selected[result == "failed"] { "Failed" }
                }
            }
            div class="field" {
                label for="since" { "From (UTC)" }
                input id="since" name="since" type="date" value=(filter_value(req, "since"));
            }
            div class="field" {
                label for="until" { "To (UTC)" }
                input id="until" name="until" type="date" value=(filter_value(req, "until"));
            }
            button type="submit" class="btn" { "Filter" }
        }
        @if let Some(page) = page {
            div class="table-wrap" {
                @if page.items.is_empty() {
                    p class="empty" { "No events match." }
                } @else {
                    table class="stack audit" {
                        caption class="visually-hidden" { "Audit events" }
                        thead {
                            tr {
                                th scope="col" { "Time (UTC)" }
                                th scope="col" { "Event" }
                                th scope="col" { "Account" }
                                th scope="col" { "By" }
                                th scope="col" { "Address" }
                                th scope="col" { "Browser" }
                            }
                        }
                        tbody {
                            @for event in &parsed(&page.items) {
                                (event_row(event))
                            }
                        }
                    }
                }
            }
            nav class="pager" aria-label="Pages" {
                @if req.query_param("cursor").is_some() {
                    a href={ "/admin/audit?" (kept.trim_start_matches('&')) } { "Newest events" }
                } @else {
                    span {}
                }
                @if let Some(cursor) = &page.next_cursor {
                    a href={ "/admin/audit?cursor=" (cursor) (kept) } { "Older events" }
                } @else {
                    span {}
                }
            }
        }
    };
    layout::page("Audit log", Some(visitor), Section::Admin, body)
}

/// One event, as `db::audit` wrote it (Langflow's feed item fields).
fn event_row(event: &Value) -> Markup {
    let text = |name: &str| field(event, name);
    let at = text("timestamp").unwrap_or_default();
    html! {
        tr {
            td data-label="Time (UTC)" { (at.get(..19).unwrap_or(at).replace('T', " ")) }
            td data-label="Event" {
                code { (text("action").unwrap_or_default()) }
                @if text("result") == Some("failed") {
                    " " span class="badge badge-failed" { "failed" }
                    @if let Some(code) = text("error_code") {
                        " " span class="muted small" { (code) }
                    }
                }
            }
            td data-label="Account" {
                @match (text("user_id"), text("resource_type")) {
                    (Some(id), Some("user")) => a href={ "/admin/audit?user_id=" (id) } { (text("resource_name").unwrap_or(id)) },
                    (Some(id), _) => a href={ "/admin/audit?user_id=" (id) } class="muted small" { (id) },
                    _ => span class="muted" { "—" },
                }
                @if let Some(kind) = text("resource_type").filter(|k| *k != "user") {
                    br;
                    span class="muted small" { (kind) @if let Some(name) = text("resource_name") { " " (name) } }
                }
            }
            td data-label="By" {
                @match (text("actor_name"), text("actor_id")) {
                    (Some(name), _) => (name),
                    (None, Some(id)) => span class="muted small" { (id) },
                    _ => span class="muted" { "anonymous" },
                }
                @if text("actor_type") == Some("api_key") {
                    " " span class="muted small" { "(API key)" }
                }
            }
            td data-label="Address" { (text("client_ip").unwrap_or("—")) }
            td data-label="Browser" class="wrap small" { (text("user_agent").unwrap_or("—")) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::pages::test_values::{assert_escaped, hostile};

    #[test]
    fn every_stored_value_is_escaped() {
        let event = serde_json::json!({
            "timestamp": "2026-12-01T00:00:00.000000Z", "action": "auth:login", "result": "failed",
            "error_code": "WRONG_CREDENTIALS", "actor_type": "anonymous", "actor_id": null,
            "actor_name": hostile("row-actor"), "user_id": hostile("row-user-id"), "resource_type": "user",
            "resource_name": hostile("row-name"), "client_ip": hostile("row-ip"), "user_agent": hostile("row-agent"),
        });
        let html = event_row(&event).into_string();
        for tag in ["row-actor", "row-name", "row-ip", "row-agent", "row-user-id"] {
            assert_escaped(&html, tag, 1);
        }
        assert!(html.contains("2026-12-01 00:00:00"));
        assert!(html.contains("WRONG_CREDENTIALS"));
    }
}
