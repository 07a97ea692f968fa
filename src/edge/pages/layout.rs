//! The shared HTML shell (top bar, profile menu), form pieces and the two static assets. Markup
//! is written with maud's `html!`, which escapes every spliced value at compile time: no value
//! reaches HTML unescaped, and nothing here builds markup from strings.

use super::Visitor;
use crate::core::hex;
use maud::{html, Markup, DOCTYPE};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

pub const APP_CSS: &str = include_str!("static/app.css");
pub const APP_JS: &str = include_str!("static/app.js");

/// A short content hash: asset URLs carry it (`?v=`), so they can be cached for good.
pub fn asset_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hasher = Sha256::new();
        hasher.update(APP_CSS.as_bytes());
        hasher.update(APP_JS.as_bytes());
        hex(&hasher.finalize()[..6])
    })
}

/// Which main navigation entry is the current page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Flows,
    ApiKeys,
    Sessions,
    Admin,
    None,
}

/// A whole page: the shell around `body`. Without a visitor (login, errors) there is no menu.
pub fn page(title: &str, visitor: Option<&Visitor>, section: Section, body: Markup) -> Markup {
    let version = asset_version();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Langflow" }
                link rel="icon" href="data:,";
                link rel="stylesheet" href={ "/static/app.css?v=" (version) };
                script src={ "/static/app.js?v=" (version) } defer {}
            }
            body {
                a class="skip-link" href="#main" { "Skip to content" }
                @if let Some(visitor) = visitor {
                    (top_bar(visitor, section))
                    main id="main" { (body) }
                } @else {
                    main id="main" class="auth-main" {
                        p class="auth-brand" { span class="brand-mark" aria-hidden="true" {} "Langflow" }
                        (body)
                    }
                }
            }
        }
    }
}

fn top_bar(visitor: &Visitor, section: Section) -> Markup {
    let nav_link = |href: &str, label: &str, this: Section| {
        html! { a href=(href) aria-current=[(section == this).then_some("page")] { (label) } }
    };
    let name = &visitor.user.username;
    let initial = name.chars().next().map(String::from).unwrap_or_default();
    html! {
        header class="topbar" {
            a class="brand" href="/flows" { span class="brand-mark" aria-hidden="true" {} "Langflow" }
            nav class="nav" aria-label="Main" {
                (nav_link("/flows", "Flows", Section::Flows))
                (nav_link("/settings/api-keys", "API Keys", Section::ApiKeys))
                (nav_link("/settings/sessions", "Sessions", Section::Sessions))
            }
            details class="menu" {
                summary {
                    span class="avatar" aria-hidden="true" { (initial) }
                    span class="visually-hidden" { "Profile menu for " }
                    (name)
                }
                div class="menu-panel" {
                    p class="menu-who" { "Signed in as " strong { (name) } }
                    @if visitor.user.superuser() {
                        a href="/admin" { "Admin Page" }
                    }
                    a href="/settings/api-keys" { "API Keys" }
                    a href="/settings/sessions" { "Your sessions" }
                    a href="/settings/two-factor" { "Two-factor sign-in" }
                    form method="post" action="/logout" {
                        (token_input(visitor))
                        button type="submit" { "Log out" }
                    }
                }
            }
        }
    }
}

/// The hidden form token every state-changing form carries.
pub fn token_input(visitor: &Visitor) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(visitor.form_token); }
}

/// A labelled text or password input, with its error (if any) right under it.
pub struct Input<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub autocomplete: &'a str,
    pub required: bool,
    pub error: Option<&'a str>,
    pub hint: Option<&'a str>,
    pub autofocus: bool,
}

impl<'a> Input<'a> {
    pub fn new(id: &'a str, label: &'a str, kind: &'a str) -> Self {
        Input {
            id,
            label,
            kind,
            value: "",
            autocomplete: "off",
            required: false,
            error: None,
            hint: None,
            autofocus: false,
        }
    }

    pub fn render(&self) -> Markup {
        let hint_id = format!("{}-hint", self.id);
        let error_id = format!("{}-error", self.id);
        let mut described = Vec::new();
        if self.hint.is_some() {
            described.push(hint_id.as_str());
        }
        if self.error.is_some() {
            described.push(error_id.as_str());
        }
        let described_by = (!described.is_empty()).then(|| described.join(" "));
        html! {
            div class="field" {
                label for=(self.id) { (self.label) }
                input id=(self.id) name=(self.id) type=(self.kind) value=(self.value) autocomplete=(self.autocomplete)
                    required[self.required] aria-invalid=[self.error.is_some().then_some("true")]
                    aria-describedby=[described_by] autofocus[self.autofocus || self.error.is_some()];
                @if let Some(hint) = self.hint {
                    p class="hint" id=(hint_id) { (hint) }
                }
                @if let Some(error) = self.error {
                    p class="field-error" id=(error_id) { (error) }
                }
            }
        }
    }
}

/// A labelled checkbox (its value is `on` when ticked).
pub fn checkbox(id: &str, label: &str, checked: bool, hint: &str) -> Markup {
    let hint_id = format!("{id}-hint");
    html! {
        div class="check" {
            input id=(id) name=(id) type="checkbox" aria-describedby=(hint_id) checked[checked];
            div {
                label for=(id) { (label) }
                p class="hint" id=(hint_id) { (hint) }
            }
        }
    }
}

/// A success message at the top of a page (announced by screen readers).
pub fn notice_ok(text: &str) -> Markup {
    html! { div class="notice notice-ok" role="status" { (text) } }
}

/// A problem with the whole form rather than one field.
pub fn notice_error(text: &str) -> Markup {
    html! { div class="notice notice-error" role="alert" { (text) } }
}

/// A "Yes"/"No" badge for a flag in a table.
pub fn yes_no(value: bool) -> Markup {
    html! {
        @if value {
            span class="badge badge-yes" { "Yes" }
        } @else {
            span class="badge" { "No" }
        }
    }
}

/// Timestamps as people read them: `2026-11-27 13:27` (UTC), or a dash.
pub fn when(timestamp: Option<&str>) -> Markup {
    html! {
        @match timestamp.and_then(crate::core::time::parse_datetime) {
            Some(secs) => (crate::core::time::iso_seconds(secs)[..16].replace('T', " ")),
            None => span class="muted" { "—" },
        }
    }
}

/// A confirmation step for a destructive action: works without script.
pub fn confirm(
    visitor: &Visitor,
    question: &str,
    detail: &str,
    action: &str,
    button: &str,
    cancel_href: &str,
    error: Option<&str>,
) -> Markup {
    html! {
        div class="card narrow" {
            h1 { (question) }
            @if let Some(error) = error {
                (notice_error(error))
            }
            p { (detail) }
            form method="post" action=(action) {
                (token_input(visitor))
                div class="actions" {
                    button type="submit" class="btn btn-danger" { (button) }
                    a class="btn" href=(cancel_href) { "Cancel" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::pages::test_values::{assert_escaped, hostile, visitor};

    #[test]
    fn inputs_are_labelled_and_escaped() {
        let html = Input {
            value: "\"><script>",
            error: Some("Passwords do not match."),
            ..Input::new("confirm_password", "Confirm Password", "password")
        }
        .render()
        .into_string();
        assert!(html.contains("<label for=\"confirm_password\">Confirm Password</label>"));
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;\""));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("aria-describedby=\"confirm_password-error\""));
        assert!(html.contains("Passwords do not match."));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn timestamps_read_as_dates() {
        assert_eq!(when(Some("2026-11-27T13:27:14.618351Z")).into_string(), "2026-11-27 13:27");
        assert!(when(None).into_string().contains('—'));
    }

    #[test]
    fn asset_version_is_stable_hex() {
        assert_eq!(asset_version().len(), 12);
        assert_eq!(asset_version(), asset_version());
    }

    #[test]
    fn the_shell_escapes_the_title_name_and_token() {
        let visitor = visitor();
        let title = hostile("title");
        let signed_in = page(&title, Some(&visitor), Section::Admin, maud::html! { p { "body" } }).into_string();
        assert_escaped(&signed_in, "title", 1);
        // The profile menu's summary and "Signed in as".
        assert_escaped(&signed_in, "visitor-name", 2);
        // The log-out form.
        assert_escaped(&signed_in, "form-token", 1);
        // The avatar shows the first character, escaped too.
        assert!(signed_in.contains("<span class=\"avatar\" aria-hidden=\"true\">&quot;</span>"));
        assert!(signed_in.contains("<a href=\"/admin\">Admin Page</a>"));
        assert!(signed_in.contains("<main id=\"main\"><p>body</p></main>"));
        assert_eq!(signed_in.matches("<script").count(), 1);

        let signed_out = page(&title, None, Section::None, maud::html! {}).into_string();
        assert_escaped(&signed_out, "title", 1);
        assert!(signed_out.contains("<main id=\"main\" class=\"auth-main\">"));
        assert!(!signed_out.contains("menu"));
    }

    #[test]
    fn the_current_section_is_marked() {
        let html = page("Flows", Some(&visitor()), Section::ApiKeys, maud::html! {}).into_string();
        assert!(html.contains("<a href=\"/flows\">Flows</a>"));
        assert!(html.contains("<a href=\"/settings/api-keys\" aria-current=\"page\">API Keys</a>"));
    }

    #[test]
    fn form_pieces_escape_every_value() {
        let (value, label, hint, error) = (hostile("value"), hostile("label"), hostile("hint"), hostile("error"));
        let input =
            Input { value: &value, hint: Some(&hint), error: Some(&error), ..Input::new("name", &label, "text") }
                .render()
                .into_string();
        for tag in ["value", "label", "hint", "error"] {
            assert_escaped(&input, tag, 1);
        }
        assert!(input.contains("aria-describedby=\"name-hint name-error\""));

        let (label, hint) = (hostile("box-label"), hostile("box-hint"));
        let checkbox = checkbox("is_active", &label, true, &hint).into_string();
        assert_escaped(&checkbox, "box-label", 1);
        assert_escaped(&checkbox, "box-hint", 1);
        assert!(checkbox.contains(" checked>"));

        assert_escaped(&notice_ok(&hostile("ok")).into_string(), "ok", 1);
        assert_escaped(&notice_error(&hostile("problem")).into_string(), "problem", 1);
    }

    #[test]
    fn confirmations_escape_every_value() {
        let values = ["question", "detail", "action", "button", "cancel", "problem"].map(hostile);
        let [question, detail, action, button, cancel, problem] = &values;
        let html = confirm(&visitor(), question, detail, action, button, cancel, Some(problem)).into_string();
        for tag in ["question", "detail", "action", "button", "cancel", "problem", "form-token"] {
            assert_escaped(&html, tag, 1);
        }
    }
}
