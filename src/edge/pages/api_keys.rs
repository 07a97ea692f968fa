//! `/settings/api-keys`: the visitor's API keys. A new key is shown once, in the answer to the
//! form that created it (never in a URL), and listed masked afterwards, as Langflow does.

use super::layout::{self, esc, Input, Section};
use super::{html, not_found, redirect, visitor_form, Visitor};
use crate::core::ids;
use crate::db::api_keys::{self as key_rows, ApiKey};
use crate::edge::http::Req;
use crate::edge::routes::api_keys as api_keys_api;
use crate::edge::App;
use crate::error::ApiResult;
use worker::Response;

pub async fn route(req: &mut Req, app: &App, visitor: &Visitor, is_post: bool, rest: &[&str]) -> ApiResult<Response> {
    match (is_post, rest) {
        (false, []) => list(req, app, visitor, &ListView::default()).await,
        (true, []) => create(req, app, visitor).await,
        (is_post, [id, "delete"]) => {
            let Some(id) = ids::parse_uuid(id) else { return Ok(not_found(Some(visitor))) };
            let keys = key_rows::list_for_user(&app.db, &visitor.user.id).await?;
            let Some(key) = keys.into_iter().find(|k| k.id == id) else { return Ok(not_found(Some(visitor))) };
            if is_post {
                delete(req, app, visitor, &key).await
            } else {
                Ok(delete_page(visitor, &key))
            }
        }
        _ => Ok(not_found(Some(visitor))),
    }
}

#[derive(Default)]
struct ListView<'a> {
    name: &'a str,
    name_error: Option<&'a str>,
    /// A key just created: (name, plaintext), shown this once.
    created: Option<(&'a str, &'a str)>,
}

fn key_label(key: &ApiKey) -> String {
    key.name.as_deref().filter(|n| !n.is_empty()).unwrap_or("Untitled key").to_string()
}

async fn list(req: &Req, app: &App, visitor: &Visitor, view: &ListView<'_>) -> ApiResult<Response> {
    let keys = key_rows::list_for_user(&app.db, &visitor.user.id).await?;
    let notice = match req.query_param("done") {
        Some("deleted") => {
            layout::notice_ok("The API key was deleted. Clients using it can no longer sign in with it.")
        }
        _ => String::new(),
    };
    let created = match view.created {
        Some((name, plaintext)) => format!(
            "<section class=\"notice notice-key\" aria-labelledby=\"new-key-title\">\n<h2 id=\"new-key-title\">API key {name} created</h2>\n\
             <p>Copy it now and keep it somewhere safe: it will not be shown again.</p>\n\
             <label class=\"label\" for=\"new_api_key\">New API key</label>\n<div class=\"key-row\">\
             <input id=\"new_api_key\" type=\"text\" readonly value=\"{plaintext}\" autocomplete=\"off\" spellcheck=\"false\">\n\
             <button type=\"button\" class=\"btn\" data-copy=\"new_api_key\" data-status=\"copy-status\" hidden>Copy</button></div>\n\
             <p class=\"hint\" id=\"copy-status\" role=\"status\"></p>\n</section>\n",
            name = esc(name),
            plaintext = esc(plaintext),
        ),
        None => String::new(),
    };
    let now = req.now_secs();
    let mut rows = String::new();
    for key in &keys {
        let label = esc(&key_label(key));
        rows.push_str(&format!(
            "<tr>\n<td data-label=\"Name\">{label}</td>\n<td data-label=\"Key\"><code>{masked}</code></td>\n\
             <td data-label=\"Created\">{created}</td>\n<td data-label=\"Last used\">{last}</td>\n<td data-label=\"Uses\">{uses}</td>\n\
             <td class=\"actions-cell\"><a class=\"link-danger\" href=\"/settings/api-keys/{id}/delete\">Delete<span class=\"visually-hidden\"> {label}</span></a></td>\n</tr>\n",
            masked = esc(&api_keys_api::masked_key(app, key, now)),
            created = layout::when(Some(&key.created_at)),
            last = layout::when(key.last_used_at.as_deref()),
            uses = key.total_uses,
            id = key.id,
        ));
    }
    let table = if keys.is_empty() {
        "<p class=\"empty\">No API keys yet.</p>".to_string()
    } else {
        format!(
            "<table class=\"stack\">\n<caption class=\"visually-hidden\">Your API keys</caption>\n<thead><tr><th scope=\"col\">Name</th>\
             <th scope=\"col\">Key</th><th scope=\"col\">Created</th><th scope=\"col\">Last used</th><th scope=\"col\">Uses</th>\
             <th scope=\"col\"><span class=\"visually-hidden\">Actions</span></th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>"
        )
    };
    let name = Input {
        value: view.name,
        error: view.name_error,
        hint: Some("Optional: where the key is used."),
        ..Input::new("name", "Key name", "text")
    };
    let body = format!(
        "<div class=\"page-head\"><h1>API Keys</h1></div>\n\
         <p class=\"muted\">Clients send an API key in the <code>x-api-key</code> header to act as you.</p>\n{notice}{created}\
         <form class=\"card\" method=\"post\" action=\"/settings/api-keys\" novalidate>{token}\n<h2>New API key</h2>\n\
         <div class=\"inline-form\">{name}<button type=\"submit\" class=\"btn btn-primary\">Create API key</button></div>\n</form>\n\
         <div class=\"table-wrap\">{table}</div>\n",
        token = layout::token_input(visitor),
        name = name.render(),
    );
    let status = if view.name_error.is_some() { 400 } else { 200 };
    Ok(html(status, layout::page("API Keys", Some(visitor), Section::ApiKeys, &body)))
}

/// POST /settings/api-keys — creates a key and shows it in this answer only.
async fn create(req: &mut Req, app: &App, visitor: &Visitor) -> ApiResult<Response> {
    let form = match visitor_form(req, app, visitor).await {
        Ok(form) => form,
        Err(refused) => return Ok(refused),
    };
    let name = form.text("name").trim();
    if api_keys_api::check_name(Some(name)).is_err() {
        let view = ListView { name, name_error: Some("Use at most 255 characters."), created: None };
        return list(req, app, visitor, &view).await;
    }
    let stored_name = (!name.is_empty()).then_some(name);
    let (_, plaintext) = api_keys_api::create_key(app, &visitor.user.id, stored_name, None, req.now_secs()).await?;
    let shown_name = stored_name.unwrap_or("Untitled key");
    list(req, app, visitor, &ListView { created: Some((shown_name, &plaintext)), ..ListView::default() }).await
}

fn delete_page(visitor: &Visitor, key: &ApiKey) -> Response {
    let body = layout::confirm(
        visitor,
        &format!("Delete the API key {}?", key_label(key)),
        "Clients using this key will no longer be able to sign in with it. This cannot be undone.",
        &format!("/settings/api-keys/{}/delete", key.id),
        "Delete",
        "/settings/api-keys",
        None,
    );
    html(200, layout::page("Delete API key", Some(visitor), Section::ApiKeys, &body))
}

/// POST /settings/api-keys/{id}/delete
async fn delete(req: &mut Req, app: &App, visitor: &Visitor, key: &ApiKey) -> ApiResult<Response> {
    if let Err(refused) = visitor_form(req, app, visitor).await {
        return Ok(refused);
    }
    key_rows::delete_for_user(&app.db, &key.id, &visitor.user.id).await?;
    Ok(redirect("/settings/api-keys?done=deleted"))
}
