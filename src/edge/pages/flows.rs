//! `/flows`: the visitor's own flows (create, rename, view the JSON, delete), through the same
//! functions as `/api/v1/flows` (owner-scoped, Langflow's naming and validation).

use super::layout::{self, esc, Input, Section};
use super::messages::flow_name_text;
use super::{html, redirect, visitor_form, PageError, PageResult, Visitor};
use crate::core::ids::FlowId;
use crate::db::flows::Flow;
use crate::edge::http::Params;
use crate::edge::http::Req;
use crate::service::flows::{self, FlowChanges, FlowError};
use crate::service::Services;
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
        Some("deleted") => layout::notice_ok("The flow was deleted."),
        _ => String::new(),
    };
    let mut rows = String::new();
    for flow in &flows {
        let name = esc(&flow.name);
        rows.push_str(&format!(
            "<tr>\n<td data-label=\"Name\"><a href=\"/flows/{id}\">{name}</a></td>\n\
             <td data-label=\"Description\">{description}</td>\n<td data-label=\"Updated\">{updated}</td>\n\
             <td class=\"actions-cell\"><a class=\"link-danger\" href=\"/flows/{id}/delete\">Delete<span class=\"visually-hidden\"> {name}</span></a></td>\n</tr>\n",
            id = flow.id,
            description = flow.description.as_deref().map(esc).unwrap_or_default(),
            updated = layout::when(flow.updated_at.as_deref()),
        ));
    }
    let table = if flows.is_empty() {
        "<p class=\"empty\">No flows yet. Create one above.</p>".to_string()
    } else {
        format!(
            "<table class=\"stack\">\n<caption class=\"visually-hidden\">Your flows</caption>\n<thead><tr><th scope=\"col\">Name</th>\
             <th scope=\"col\">Description</th><th scope=\"col\">Updated</th><th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr></thead>\n\
             <tbody>\n{rows}</tbody>\n</table>"
        )
    };
    let name = Input {
        value: view.name,
        required: true,
        error: view.name_error.as_deref(),
        ..Input::new("name", "Name", "text")
    };
    let description = Input { value: view.description, ..Input::new("description", "Description", "text") };
    let body = format!(
        "<div class=\"page-head\"><h1>Flows</h1></div>\n{notice}\
         <form class=\"card\" method=\"post\" action=\"/flows\" novalidate>{token}\n<h2>New flow</h2>\n\
         <div class=\"inline-form\">{name}{description}<button type=\"submit\" class=\"btn btn-primary\">Create flow</button></div>\n</form>\n\
         <div class=\"table-wrap\">{table}</div>\n",
        token = layout::token_input(visitor),
        name = name.render(),
        description = description.render(),
    );
    let status = if view.name_error.is_some() { 400 } else { 200 };
    Ok(html(status, layout::page("Flows", Some(visitor), Section::Flows, &body)))
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
    match flows::create(services, &req.call(), &visitor.principal(), changes).await {
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
        Some("created") => layout::notice_ok("The flow was created."),
        Some("renamed") => layout::notice_ok("The flow was renamed."),
        _ => String::new(),
    };
    let json = serde_json::to_string_pretty(&flows::langflow_json(flow)).unwrap_or_default();
    let name = Input { value: name_value, required: true, error: name_error, ..Input::new("name", "Name", "text") };
    let body = format!(
        "<p><a href=\"/flows\">← Back to flows</a></p>\n<div class=\"page-head\"><h1>{title}</h1>\n\
         <div class=\"actions\"><a class=\"btn\" href=\"/flows/{id}/json\" download>Download JSON</a>\n\
         <a class=\"btn btn-danger\" href=\"/flows/{id}/delete\">Delete flow</a></div></div>\n{notice}\
         <form class=\"card\" method=\"post\" action=\"/flows/{id}\" novalidate>{token}\n<h2>Rename</h2>\n\
         <div class=\"inline-form\">{name}<button type=\"submit\" class=\"btn btn-primary\">Rename</button></div>\n</form>\n\
         <section class=\"card\" aria-labelledby=\"json-title\">\n<h2 id=\"json-title\">Flow JSON</h2>\n\
         <pre class=\"json\" tabindex=\"0\" aria-labelledby=\"json-title\">{json}</pre>\n</section>\n",
        title = esc(&flow.name),
        id = flow.id,
        token = layout::token_input(visitor),
        name = name.render(),
        json = esc(&json),
    );
    html(if name_error.is_some() { 400 } else { 200 }, layout::page(&flow.name, Some(visitor), Section::Flows, &body))
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
    let body = layout::confirm(
        visitor,
        &format!("Delete {}?", flow.name),
        "The flow is deleted at once. This cannot be undone.",
        &format!("/flows/{}/delete", flow.id),
        "Delete",
        &format!("/flows/{}", flow.id),
        None,
    );
    html(200, layout::page("Delete flow", Some(visitor), Section::Flows, &body))
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
