//! `/settings/api-keys`: the visitor's API keys. A new key is shown once, in the answer to the
//! form that created it (never in a URL), and listed masked afterwards, as Langflow does.

use super::layout::{self, Input, Section};
use super::{html, redirect, visitor_form, PageError, PageResult, Visitor};
use crate::core::ids::ApiKeyId;
use crate::edge::http::Params;
use crate::edge::http::Req;
use crate::service::api_keys::{self, ApiKey, ApiKeyError, ListedKey};
use crate::service::Services;
use maud::{html, Markup};
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
        Some("deleted") => Some("The API key was deleted. Clients using it can no longer sign in with it."),
        _ => None,
    };
    let status = if view.name_error.is_some() { 400 } else { 200 };
    Ok(html(status, keys_view(visitor, &keys, view, notice)))
}

fn keys_view(visitor: &Visitor, keys: &[ListedKey], view: &ListView, notice: Option<&str>) -> Markup {
    let name = Input {
        value: view.name,
        error: view.name_error,
        hint: Some("Optional: where the key is used."),
        ..Input::new("name", "Key name", "text")
    };
    let body = html! {
        div class="page-head" { h1 { "API Keys" } }
        p class="muted" { "Clients send an API key in the " code { "x-api-key" } " header to act as you." }
        @if let Some(notice) = notice {
            (layout::notice_ok(notice))
        }
        @if let Some((name, plaintext)) = view.created {
            section class="notice notice-key" aria-labelledby="new-key-title" {
                h2 id="new-key-title" { "API key " (name) " created" }
                p { "Copy it now and keep it somewhere safe: it will not be shown again." }
                label class="label" for="new_api_key" { "New API key" }
                div class="key-row" {
                    input id="new_api_key" type="text" readonly value=(plaintext) autocomplete="off" spellcheck="false";
                    button type="button" class="btn" data-copy="new_api_key" data-status="copy-status" hidden { "Copy" }
                }
                p class="hint" id="copy-status" role="status" {}
            }
        }
        form class="card" method="post" action="/settings/api-keys" novalidate {
            (layout::token_input(visitor))
            h2 { "New API key" }
            div class="inline-form" {
                (name.render())
                button type="submit" class="btn btn-primary" { "Create API key" }
            }
        }
        div class="table-wrap" {
            @if keys.is_empty() {
                p class="empty" { "No API keys yet." }
            } @else {
                table class="stack" {
                    caption class="visually-hidden" { "Your API keys" }
                    thead {
                        tr {
                            th scope="col" { "Name" }
                            th scope="col" { "Key" }
                            th scope="col" { "Created" }
                            th scope="col" { "Last used" }
                            th scope="col" { "Uses" }
                            th scope="col" { span class="visually-hidden" { "Actions" } }
                        }
                    }
                    tbody {
                        @for ListedKey { key, masked } in keys {
                            @let label = key_label(key);
                            tr {
                                td data-label="Name" { (label) }
                                td data-label="Key" { code { (masked) } }
                                td data-label="Created" { (layout::when(Some(&key.created_at))) }
                                td data-label="Last used" { (layout::when(key.last_used_at.as_deref())) }
                                td data-label="Uses" { (key.total_uses) }
                                td class="actions-cell" {
                                    a class="link-danger" href={ "/settings/api-keys/" (key.id) "/delete" } {
                                        "Delete" span class="visually-hidden" { " " (label) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::page("API Keys", Some(visitor), Section::ApiKeys, body)
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
    html(200, delete_view(visitor, key))
}

fn delete_view(visitor: &Visitor, key: &ApiKey) -> Markup {
    let body = layout::confirm(
        visitor,
        &format!("Delete the API key {}?", key_label(key)),
        "Clients using this key will no longer be able to sign in with it. This cannot be undone.",
        &format!("/settings/api-keys/{}/delete", key.id),
        "Delete",
        "/settings/api-keys",
        None,
    );
    layout::page("Delete API key", Some(visitor), Section::ApiKeys, body)
}

/// POST /settings/api-keys/{id}/delete
pub async fn delete(req: &mut Req, services: &Services, visitor: &Visitor, params: &Params<'_>) -> PageResult {
    let key = owned_key(req, services, visitor, params).await?;
    if let Err(refused) = visitor_form(req, services, visitor).await {
        return Ok(refused);
    }
    api_keys::delete(services, &req.call(), &visitor.principal(), &key.id).await?;
    Ok(redirect("/settings/api-keys?done=deleted"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::pages::test_values::{assert_escaped, escaped, hostile, id, visitor};

    fn key(tag: &str, name: Option<String>) -> ApiKey {
        ApiKey {
            id: id(&hostile(&format!("{tag}-id"))),
            name,
            created_at: "2026-11-27T13:27:14Z".to_string(),
            last_used_at: None,
            total_uses: 7,
            is_active: 1,
            expires_at: None,
            api_key: String::new(),
            user_id: id("owner"),
        }
    }

    #[test]
    fn the_key_list_escapes_names_ids_masks_and_the_new_key() {
        let keys = [key("named", Some(hostile("key-name"))), key("untitled", None)];
        let (typed, name_error) = (hostile("typed"), hostile("name-error"));
        let (created, plaintext) = (hostile("created-name"), hostile("plaintext"));
        let view = ListView { name: &typed, name_error: Some(&name_error), created: Some((&created, &plaintext)) };
        let keys = keys.map(|key| ListedKey { masked: hostile(&format!("mask-{}", key.total_uses)), key });
        let html = keys_view(&visitor(), &keys, &view, None).into_string();
        // The name cell and the Delete link's hidden words.
        assert_escaped(&html, "key-name", 2);
        assert_escaped(&html, "named-id", 1);
        assert_escaped(&html, "untitled-id", 1);
        assert!(html.contains(&format!("href=\"/settings/api-keys/{}/delete\"", escaped("named-id"))));
        assert!(html.contains("<td data-label=\"Name\">Untitled key</td>"));
        assert_escaped(&html, "mask-7", 2);
        assert!(html.contains(&format!("<td data-label=\"Key\"><code>{}</code></td>", escaped("mask-7"))));
        for tag in ["typed", "name-error", "created-name", "plaintext"] {
            assert_escaped(&html, tag, 1);
        }
        assert!(html.contains(&format!("<h2 id=\"new-key-title\">API key {} created</h2>", escaped("created-name"))));
    }

    #[test]
    fn the_delete_confirmation_escapes_the_name_and_id() {
        let html = delete_view(&visitor(), &key("named", Some(hostile("key-name")))).into_string();
        assert_escaped(&html, "key-name", 1);
        assert_escaped(&html, "named-id", 1);
    }
}
