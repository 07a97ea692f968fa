//! `/settings/api-keys`: the visitor's API keys. A new key is shown once, in the answer to the
//! form that created it (never in a URL), and listed masked afterwards, as Langflow does.

use super::layout::{self, esc, Input, Section};
use super::{html, redirect, visitor_form, PageError, PageResult, Visitor};
use crate::core::ids::ApiKeyId;
use crate::edge::http::Params;
use crate::edge::http::Req;
use crate::service::api_keys::{self, ApiKey, ApiKeyError, ListedKey};
use crate::service::Services;
use worker::Response;

/// The visitor's key named by the path; anything else is 404.
async fn owned_key(
    req: &Req,
    services: &Services,
    visitor: &Visitor,
    params: &Params<'_>,
) -> Result<ApiKey, PageError> {
    let id = ApiKeyId::parse(params.get("api_key_id")).ok_or(ApiKeyError::NotFound)?;
    let keys = api_keys::list(services, &req.call(), &visitor.principal()).await?;
    Ok(keys.into_iter().map(|listed| listed.key).find(|k| k.id == id).ok_or(ApiKeyError::NotFound)?)
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

/// GET /settings/api-keys
pub async fn list(req: &mut Req, services: &Services, visitor: &Visitor, _: &Params<'_>) -> PageResult {
    list_with(req, services, visitor, &ListView::default()).await
}

async fn list_with(req: &Req, services: &Services, visitor: &Visitor, view: &ListView<'_>) -> PageResult {
    let keys: Vec<ListedKey> = api_keys::list(services, &req.call(), &visitor.principal()).await?;
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
    let mut rows = String::new();
    for ListedKey { key, masked } in &keys {
        let label = esc(&key_label(key));
        rows.push_str(&format!(
            "<tr>\n<td data-label=\"Name\">{label}</td>\n<td data-label=\"Key\"><code>{masked}</code></td>\n\
             <td data-label=\"Created\">{created}</td>\n<td data-label=\"Last used\">{last}</td>\n<td data-label=\"Uses\">{uses}</td>\n\
             <td class=\"actions-cell\"><a class=\"link-danger\" href=\"/settings/api-keys/{id}/delete\">Delete<span class=\"visually-hidden\"> {label}</span></a></td>\n</tr>\n",
            masked = esc(masked),
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
pub async fn create(req: &mut Req, services: &Services, visitor: &Visitor, _: &Params<'_>) -> PageResult {
    let form = match visitor_form(req, services, visitor).await {
        Ok(form) => form,
        Err(refused) => return Ok(refused),
    };
    let name = form.text("name").trim();
    let stored_name = (!name.is_empty()).then_some(name);
    let created = match api_keys::create(services, &req.call(), &visitor.principal(), stored_name, None).await {
        Ok(created) => created,
        Err(ApiKeyError::NameTooLong) => {
            let view = ListView { name, name_error: Some("Use at most 255 characters."), created: None };
            return list_with(req, services, visitor, &view).await;
        }
        Err(err) => return Err(err.into()),
    };
    let shown_name = stored_name.unwrap_or("Untitled key");
    let view = ListView { created: Some((shown_name, &created.plaintext)), ..ListView::default() };
    list_with(req, services, visitor, &view).await
}

/// GET /settings/api-keys/{id}/delete
pub async fn confirm_delete(req: &mut Req, services: &Services, visitor: &Visitor, params: &Params<'_>) -> PageResult {
    let key = owned_key(req, services, visitor, params).await?;
    Ok(delete_page(visitor, &key))
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
pub async fn delete(req: &mut Req, services: &Services, visitor: &Visitor, params: &Params<'_>) -> PageResult {
    let key = owned_key(req, services, visitor, params).await?;
    if let Err(refused) = visitor_form(req, services, visitor).await {
        return Ok(refused);
    }
    api_keys::delete(services, &visitor.principal(), &key.id).await?;
    Ok(redirect("/settings/api-keys?done=deleted"))
}
