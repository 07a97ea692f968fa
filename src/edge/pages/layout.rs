//! The shared HTML shell (top bar, profile menu), form pieces and the two static assets. Every
//! value that reaches HTML goes through `esc`.

use super::Visitor;
use crate::core::hex;
pub use crate::core::html::escape_html as esc;
use sha2::{Digest, Sha256};
use std::fmt::Write;
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
    Admin,
    None,
}

/// A whole page: the shell around `body`. Without a visitor (login, errors) there is no menu.
pub fn page(title: &str, visitor: Option<&Visitor>, section: Section, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 3000);
    let version = asset_version();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · Langflow</title>\n<link rel=\"icon\" href=\"data:,\">\n\
         <link rel=\"stylesheet\" href=\"/static/app.css?v={version}\">\n\
         <script src=\"/static/app.js?v={version}\" defer></script>\n</head>\n<body>\n\
         <a class=\"skip-link\" href=\"#main\">Skip to content</a>\n",
        title = esc(title),
    );
    match visitor {
        Some(visitor) => {
            out.push_str(&top_bar(visitor, section));
            let _ = write!(out, "<main id=\"main\">\n{body}\n</main>\n");
        }
        None => {
            let _ = write!(
                out,
                "<main id=\"main\" class=\"auth-main\">\n<p class=\"auth-brand\"><span class=\"brand-mark\" aria-hidden=\"true\"></span>Langflow</p>\n{body}\n</main>\n"
            );
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn top_bar(visitor: &Visitor, section: Section) -> String {
    let nav_link = |href: &str, label: &str, this: Section| {
        let current = if section == this { " aria-current=\"page\"" } else { "" };
        format!("<a href=\"{href}\"{current}>{label}</a>")
    };
    let name = esc(&visitor.user.username);
    let initial = esc(&visitor.user.username.chars().next().map(String::from).unwrap_or_default());
    let admin = if visitor.user.superuser() { "<a href=\"/admin\">Admin Page</a>\n" } else { "" };
    format!(
        "<header class=\"topbar\">\n<a class=\"brand\" href=\"/flows\"><span class=\"brand-mark\" aria-hidden=\"true\"></span>Langflow</a>\n\
         <nav class=\"nav\" aria-label=\"Main\">{flows}{keys}</nav>\n\
         <details class=\"menu\">\n<summary><span class=\"avatar\" aria-hidden=\"true\">{initial}</span>\
         <span class=\"visually-hidden\">Profile menu for </span>{name}</summary>\n\
         <div class=\"menu-panel\">\n<p class=\"menu-who\">Signed in as <strong>{name}</strong></p>\n{admin}\
         <a href=\"/settings/api-keys\">API Keys</a>\n\
         <form method=\"post\" action=\"/logout\">{token}<button type=\"submit\">Log out</button></form>\n</div>\n</details>\n</header>\n",
        flows = nav_link("/flows", "Flows", Section::Flows),
        keys = nav_link("/settings/api-keys", "API Keys", Section::ApiKeys),
        token = token_input(visitor),
    )
}

/// The hidden form token every state-changing form carries.
pub fn token_input(visitor: &Visitor) -> String {
    format!("<input type=\"hidden\" name=\"csrf_token\" value=\"{}\">", esc(&visitor.form_token))
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

    pub fn render(&self) -> String {
        let mut described = Vec::new();
        if self.hint.is_some() {
            described.push(format!("{}-hint", self.id));
        }
        if self.error.is_some() {
            described.push(format!("{}-error", self.id));
        }
        let described_by =
            if described.is_empty() { String::new() } else { format!(" aria-describedby=\"{}\"", described.join(" ")) };
        let invalid = if self.error.is_some() { " aria-invalid=\"true\"" } else { "" };
        let required = if self.required { " required" } else { "" };
        let autofocus = if self.autofocus || self.error.is_some() { " autofocus" } else { "" };
        let hint =
            self.hint.map_or_else(String::new, |h| format!("<p class=\"hint\" id=\"{}-hint\">{}</p>", self.id, esc(h)));
        let error = self
            .error
            .map_or_else(String::new, |e| format!("<p class=\"field-error\" id=\"{}-error\">{}</p>", self.id, esc(e)));
        format!(
            "<div class=\"field\">\n<label for=\"{id}\">{label}</label>\n\
             <input id=\"{id}\" name=\"{id}\" type=\"{kind}\" value=\"{value}\" autocomplete=\"{autocomplete}\"{required}{invalid}{described_by}{autofocus}>\n\
             {hint}{error}</div>\n",
            id = self.id,
            label = esc(self.label),
            kind = self.kind,
            value = esc(self.value),
            autocomplete = self.autocomplete,
        )
    }
}

/// A labelled checkbox (its value is `on` when ticked).
pub fn checkbox(id: &str, label: &str, checked: bool, hint: &str) -> String {
    let checked = if checked { " checked" } else { "" };
    format!(
        "<div class=\"check\">\n<input id=\"{id}\" name=\"{id}\" type=\"checkbox\" aria-describedby=\"{id}-hint\"{checked}>\n\
         <div><label for=\"{id}\">{label}</label>\n<p class=\"hint\" id=\"{id}-hint\">{hint}</p></div>\n</div>\n",
        label = esc(label),
        hint = esc(hint),
    )
}

/// A success message at the top of a page (announced by screen readers).
pub fn notice_ok(text: &str) -> String {
    format!("<div class=\"notice notice-ok\" role=\"status\">{}</div>\n", esc(text))
}

/// A problem with the whole form rather than one field.
pub fn notice_error(text: &str) -> String {
    format!("<div class=\"notice notice-error\" role=\"alert\">{}</div>\n", esc(text))
}

/// A "Yes"/"No" badge for a flag in a table.
pub fn yes_no(value: bool) -> &'static str {
    if value {
        "<span class=\"badge badge-yes\">Yes</span>"
    } else {
        "<span class=\"badge\">No</span>"
    }
}

/// Timestamps as people read them: `2026-11-27 13:27` (UTC), or a dash.
pub fn when(timestamp: Option<&str>) -> String {
    match timestamp.and_then(crate::core::time::parse_datetime) {
        Some(secs) => esc(&crate::core::time::iso_seconds(secs)[..16].replace('T', " ")),
        None => "<span class=\"muted\">—</span>".to_string(),
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
) -> String {
    format!(
        "<div class=\"card narrow\">\n<h1>{question}</h1>\n{error}<p>{detail}</p>\n\
         <form method=\"post\" action=\"{action}\">{token}\n<div class=\"actions\">\
         <button type=\"submit\" class=\"btn btn-danger\">{button}</button>\n\
         <a class=\"btn\" href=\"{cancel}\">Cancel</a></div>\n</form>\n</div>\n",
        question = esc(question),
        error = error.map(notice_error).unwrap_or_default(),
        detail = esc(detail),
        action = esc(action),
        token = token_input(visitor),
        button = esc(button),
        cancel = esc(cancel_href),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_labelled_and_escaped() {
        let html = Input {
            value: "\"><script>",
            error: Some("Passwords do not match."),
            ..Input::new("confirm_password", "Confirm Password", "password")
        }
        .render();
        assert!(html.contains("<label for=\"confirm_password\">Confirm Password</label>"));
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;\""));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("aria-describedby=\"confirm_password-error\""));
        assert!(html.contains("Passwords do not match."));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn timestamps_read_as_dates() {
        assert_eq!(when(Some("2026-11-27T13:27:14.618351Z")), "2026-11-27 13:27");
        assert!(when(None).contains('—'));
    }

    #[test]
    fn asset_version_is_stable_hex() {
        assert_eq!(asset_version().len(), 12);
        assert_eq!(asset_version(), asset_version());
    }
}
