//! `/flows`: the visitor's own flows (create, rename, view the JSON, delete), through the same
//! functions as `/api/v1/flows` (owner-scoped, Langflow's naming and validation).

use super::layout::{self, Input, Section};
use super::messages::flow_name_text;
use super::{html, redirect, visitor_form, PageError, PageResult, Visitor};
use crate::core::ids::FlowId;
use crate::db::flows::Flow;
use crate::edge::http::Params;
use crate::edge::http::Req;
use crate::service::flows::{self, FlowChanges, FlowError};
use crate::service::Services;
use maud::{html, Markup};
use worker::{Headers, Response};

/// The visitor's flow named by the path; anything else (not a UUID, someone else's) is 404.
async fn owned_flow(services: &Services, visitor: &Visitor, params: &Params<'_>) -> Result<Flow, PageError> {
    let id = FlowId::parse(params.get("flow_id")).ok_or(FlowError::NotFound)?;
    Ok(flows::get(services, &visitor.principal(), &id).await?)
}

#[derive(Default)]
struct CreateView<'a> {
    name: &'a str,
    description: &'a str,
    name_error: Option<String>,
}

/// GET /flows
pub async fn list(req: &mut Req, services: &Services, visitor: &Visitor, _: &Params<'_>) -> PageResult {
    list_with(req, services, visitor, &CreateView::default()).await
}

async fn list_with(req: &Req, services: &Services, visitor: &Visitor, view: &CreateView<'_>) -> PageResult {
    let flows = flows::list(services, &visitor.principal(), None, false).await?;
    let notice = match req.query_param("done") {
        Some("deleted") => Some("The flow was deleted."),
        _ => None,
    };
    let status = if view.name_error.is_some() { 400 } else { 200 };
    Ok(html(status, flows_view(visitor, &flows, view, notice)))
}

fn flows_view(visitor: &Visitor, flows: &[Flow], view: &CreateView, notice: Option<&str>) -> Markup {
    let name = Input {
        value: view.name,
        required: true,
        error: view.name_error.as_deref(),
        ..Input::new("name", "Name", "text")
    };
    let description = Input { value: view.description, ..Input::new("description", "Description", "text") };
    let body = html! {
        div class="page-head" { h1 { "Flows" } }
        @if let Some(notice) = notice {
            (layout::notice_ok(notice))
        }
        form class="card" method="post" action="/flows" novalidate {
            (layout::token_input(visitor))
            h2 { "New flow" }
            div class="inline-form" {
                (name.render())
                (description.render())
                button type="submit" class="btn btn-primary" { "Create flow" }
            }
        }
        div class="table-wrap" {
            @if flows.is_empty() {
                p class="empty" { "No flows yet. Create one above." }
            } @else {
                table class="stack" {
                    caption class="visually-hidden" { "Your flows" }
                    thead {
                        tr {
                            th scope="col" { "Name" }
                            th scope="col" { "Description" }
                            th scope="col" { "Updated" }
                            th scope="col" { span class="visually-hidden" { "Actions" } }
                        }
                    }
                    tbody {
                        @for flow in flows {
                            tr {
                                td data-label="Name" { a href={ "/flows/" (flow.id) } { (flow.name) } }
                                td data-label="Description" { (flow.description.as_deref().unwrap_or_default()) }
                                td data-label="Updated" { (layout::when(flow.updated_at.as_deref())) }
                                td class="actions-cell" {
                                    a class="link-danger" href={ "/flows/" (flow.id) "/delete" } {
                                        "Delete" span class="visually-hidden" { " " (flow.name) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::page("Flows", Some(visitor), Section::Flows, body)
}

/// POST /flows — a new empty flow; a taken name becomes `name (1)`, as in the API.
pub async fn create(req: &mut Req, services: &Services, visitor: &Visitor, _: &Params<'_>) -> PageResult {
    let form = match visitor_form(req, services, visitor).await {
        Ok(form) => form,
        Err(refused) => return Ok(refused),
    };
    let (name, description) = (form.text("name").trim(), form.text("description").trim());
    let mut view = CreateView { name, description, name_error: None };
    if name.is_empty() {
        view.name_error = Some("Enter a name for the flow.".into());
        return list_with(req, services, visitor, &view).await;
    }
    let changes = FlowChanges {
        name: Some(name.to_string()),
        description: (!description.is_empty()).then(|| Some(description.to_string())),
        ..FlowChanges::default()
    };
    match flows::create(services, &req.call(), &visitor.principal(), None, changes).await {
        Ok(flow) => Ok(redirect(&format!("/flows/{}?done=created", flow.id))),
        Err(err) => match flow_name_text(&err) {
            Some(message) => {
                view.name_error = Some(message);
                list_with(req, services, visitor, &view).await
            }
            None => Err(err.into()),
        },
    }
}

/// GET /flows/{id}
pub async fn show(req: &mut Req, services: &Services, visitor: &Visitor, params: &Params<'_>) -> PageResult {
    let flow = owned_flow(services, visitor, params).await?;
    Ok(flow_page(req, visitor, &flow, &flow.name, None))
}

fn flow_page(req: &Req, visitor: &Visitor, flow: &Flow, name_value: &str, name_error: Option<&str>) -> Response {
    let notice = match req.query_param("done") {
        Some("created") => Some("The flow was created."),
        Some("renamed") => Some("The flow was renamed."),
        _ => None,
    };
    let json = serde_json::to_string_pretty(&flows::langflow_json(flow)).unwrap_or_default();
    let status = if name_error.is_some() { 400 } else { 200 };
    html(status, flow_view(visitor, flow, &json, notice, name_value, name_error))
}

fn flow_view(
    visitor: &Visitor,
    flow: &Flow,
    json: &str,
    notice: Option<&str>,
    name_value: &str,
    name_error: Option<&str>,
) -> Markup {
    let name = Input { value: name_value, required: true, error: name_error, ..Input::new("name", "Name", "text") };
    let body = html! {
        p { a href="/flows" { "← Back to flows" } }
        div class="page-head" {
            h1 { (flow.name) }
            div class="actions" {
                a class="btn" href={ "/flows/" (flow.id) "/json" } download { "Download JSON" }
                a class="btn btn-danger" href={ "/flows/" (flow.id) "/delete" } { "Delete flow" }
            }
        }
        @if let Some(notice) = notice {
            (layout::notice_ok(notice))
        }
        form class="card" method="post" action={ "/flows/" (flow.id) } novalidate {
            (layout::token_input(visitor))
            h2 { "Rename" }
            div class="inline-form" {
                (name.render())
                button type="submit" class="btn btn-primary" { "Rename" }
            }
        }
        section class="card" aria-labelledby="json-title" {
            h2 id="json-title" { "Flow JSON" }
            pre class="json" tabindex="0" aria-labelledby="json-title" { (json) }
        }
    };
    layout::page(&flow.name, Some(visitor), Section::Flows, body)
}

/// POST /flows/{id} — a new name, validated as `PATCH /api/v1/flows/{id}`.
pub async fn rename(req: &mut Req, services: &Services, visitor: &Visitor, params: &Params<'_>) -> PageResult {
    let flow = owned_flow(services, visitor, params).await?;
    let form = match visitor_form(req, services, visitor).await {
        Ok(form) => form,
        Err(refused) => return Ok(refused),
    };
    let name = form.text("name").trim();
    if name.is_empty() {
        return Ok(flow_page(req, visitor, &flow, name, Some("Enter a name for the flow.")));
    }
    let changes = FlowChanges { name: Some(name.to_string()), ..FlowChanges::default() };
    match flows::update(services, &req.call(), &visitor.principal(), &flow.id, changes).await {
        Ok(updated) => Ok(redirect(&format!("/flows/{}?done=renamed", updated.id))),
        Err(err) => match flow_name_text(&err) {
            Some(message) => Ok(flow_page(req, visitor, &flow, name, Some(&message))),
            None => Err(err.into()),
        },
    }
}

/// GET /flows/{id}/json — the flow as Langflow exports it (FlowRead), as a file.
pub async fn download(_: &mut Req, services: &Services, visitor: &Visitor, params: &Params<'_>) -> PageResult {
    let flow = &owned_flow(services, visitor, params).await?;
    let json = serde_json::to_string_pretty(&flows::langflow_json(flow))
        .map_err(|e| crate::service::Failure::Internal(e.to_string()))?;
    let file: String =
        flow.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json; charset=utf-8");
    let _ = headers.set(
        "content-disposition",
        &format!("attachment; filename=\"{}.json\"", if file.is_empty() { "flow" } else { &file }),
    );
    let _ = headers.set("content-security-policy", super::CONTENT_SECURITY_POLICY);
    let _ = headers.set("cache-control", "no-store");
    Ok(Response::builder().with_status(200).with_headers(headers).fixed(json.into_bytes()))
}

/// GET /flows/{id}/delete
pub async fn confirm_delete(_: &mut Req, services: &Services, visitor: &Visitor, params: &Params<'_>) -> PageResult {
    let flow = owned_flow(services, visitor, params).await?;
    Ok(delete_page(visitor, &flow))
}

fn delete_page(visitor: &Visitor, flow: &Flow) -> Response {
    html(200, delete_view(visitor, flow))
}

fn delete_view(visitor: &Visitor, flow: &Flow) -> Markup {
    let body = layout::confirm(
        visitor,
        &format!("Delete {}?", flow.name),
        "The flow is deleted at once. This cannot be undone.",
        &format!("/flows/{}/delete", flow.id),
        "Delete",
        &format!("/flows/{}", flow.id),
        None,
    );
    layout::page("Delete flow", Some(visitor), Section::Flows, body)
}

/// POST /flows/{id}/delete
pub async fn delete(req: &mut Req, services: &Services, visitor: &Visitor, params: &Params<'_>) -> PageResult {
    let flow = owned_flow(services, visitor, params).await?;
    if let Err(refused) = visitor_form(req, services, visitor).await {
        return Ok(refused);
    }
    flows::delete(services, &visitor.principal(), &flow.id).await?;
    Ok(redirect("/flows?done=deleted"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::pages::test_values::{assert_escaped, escaped, hostile, visitor};

    fn flow(tag: &str) -> Flow {
        serde_json::from_value(serde_json::json!({
            "id": hostile(&format!("{tag}-id")),
            "name": hostile(&format!("{tag}-name")),
            "description": hostile(&format!("{tag}-description")),
            "updated_at": "2026-11-27T13:27:14Z",
            "access_type": "PRIVATE",
            "flow_type": "workflow",
        }))
        .expect("a flow row")
    }

    #[test]
    fn the_flow_list_escapes_names_descriptions_ids_and_the_form() {
        let flows = [flow("first"), flow("second")];
        let (name, description, name_error) = (hostile("new-name"), hostile("new-description"), hostile("name-error"));
        let view = CreateView { name: &name, description: &description, name_error: Some(name_error) };
        let html = flows_view(&visitor(), &flows, &view, Some("The flow was deleted.")).into_string();
        for tag in ["first", "second"] {
            // The link and the Delete link's hidden words.
            assert_escaped(&html, &format!("{tag}-name"), 2);
            assert_escaped(&html, &format!("{tag}-description"), 1);
            // The link and the Delete link.
            assert_escaped(&html, &format!("{tag}-id"), 2);
        }
        assert!(html.contains(&format!("<a href=\"/flows/{}\">{}</a>", escaped("first-id"), escaped("first-name"))));
        for tag in ["new-name", "new-description", "name-error"] {
            assert_escaped(&html, tag, 1);
        }
        assert!(html.contains("<div class=\"notice notice-ok\" role=\"status\">The flow was deleted.</div>"));
    }

    #[test]
    fn the_flow_page_escapes_the_name_id_json_and_form() {
        let flow = flow("flow");
        let json = format!("{{\"name\": \"{}\"}}", hostile("json"));
        let (typed, name_error) = (hostile("typed"), hostile("name-error"));
        let html = flow_view(&visitor(), &flow, &json, None, &typed, Some(&name_error)).into_string();
        // <title> and <h1>.
        assert_escaped(&html, "flow-name", 2);
        // Download, Delete and the form's action.
        assert_escaped(&html, "flow-id", 3);
        assert_escaped(&html, "json", 1);
        assert_escaped(&html, "typed", 1);
        assert_escaped(&html, "name-error", 1);
        let pre = format!("aria-labelledby=\"json-title\">{{&quot;name&quot;: &quot;{}&quot;}}</pre>", escaped("json"));
        assert!(html.contains(&pre));
    }

    #[test]
    fn the_delete_confirmation_escapes_the_name_and_id() {
        let html = delete_view(&visitor(), &flow("flow")).into_string();
        assert_escaped(&html, "flow-name", 1);
        // The form's action and Cancel.
        assert_escaped(&html, "flow-id", 2);
    }
}
