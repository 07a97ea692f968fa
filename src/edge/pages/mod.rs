//! Server-rendered pages (DESIGN §4): `/login`, `/logout`, `/admin`, `/flows`, `/settings/api-keys`,
//! with `/` leading to `/flows` or `/login`. No front-end build: HTML from Rust, one stylesheet
//! and one small script served from the worker.
//!
//! The pages call the same services as the JSON API (`service::*`: sign-in and its rate limits,
//! users, flows, API keys) and never the API itself; `messages` turns service errors into words.
//! They authenticate by Langflow's `access_token_lf` cookie, refreshing it with
//! `refresh_token_lf` when it has expired.
//!
//! Safety: every answer carries a strict Content-Security-Policy (no inline script or style),
//! `frame-ancestors 'none'`, `nosniff` and `Referrer-Policy: same-origin` (which keeps the
//! `Origin` header on same-origin form posts, so the cross-site check can read it). Every POST is
//! refused when a browser marks it cross-site (deviation 7), and every form of a signed-in
//! visitor carries a token bound to the login session (`core::csrf::form_token`).

pub mod admin;
pub mod api_keys;
pub mod audit;
pub mod flows;
pub mod layout;
pub mod login;
pub mod messages;
pub mod sessions;
pub mod sso;
pub mod two_factor;

use super::credentials;
use super::http::{self, Req, RequestError, SMALL_BODY_LIMIT};
use crate::core::csrf;
use crate::core::html::percent_encode;
use crate::core::ids::SessionId;
use crate::core::request_body::form_field;
use crate::db::users::User;
use crate::edge::cookies::{self, Issued};
use crate::edge::http::Params;
use crate::service::auth::{self, Principal, Via};
use crate::service::{sign_in, Services};
use layout::Section;
use maud::Markup;
pub use messages::{Message, PageError, PageResult};
use worker::{Headers, Response};

pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A signed-in visitor of the pages.
pub struct Visitor {
    pub user: User,
    pub session_id: SessionId,
    /// The token this session's forms carry.
    pub form_token: String,
    /// Set-Cookie lines for the answer, when this request refreshed or started the session.
    pub new_cookies: Vec<String>,
}

impl Visitor {
    fn new(services: &Services, user: User, session_id: SessionId, new_cookies: Vec<String>) -> Visitor {
        let form_token = csrf::form_token(&services.state.form_key, session_id.as_str());
        Visitor { user, session_id, form_token, new_cookies }
    }

    /// The visitor as the services know a caller: signed in by cookie.
    pub fn principal(&self) -> Principal {
        Principal { user: self.user.clone(), session_id: Some(self.session_id.clone()), via: Via::Cookie }
    }
}

/// Who is visiting: the access cookie's session; else, when it has expired, the refresh
/// cookie's (rotated, as `/api/v1/refresh` does); else, with auto-login on for this host and
/// `may_start`, a new session for the superuser (as `/api/v1/auto_login`).
pub async fn visitor(req: &Req, services: &Services, may_start: bool) -> Result<Option<Visitor>, PageError> {
    let call = req.call();
    if let Some(principal) = auth::token_user(services, &call, &credentials::presented(req)).await {
        if let Some(session_id) = principal.session_id {
            return Ok(Some(Visitor::new(services, principal.user, session_id, Vec::new())));
        }
    }
    let now = req.now_secs();
    if let Some(refresh) = credentials::refresh_token(req) {
        if let Ok(signed_in) = sign_in::refresh(services, &call, Some(&refresh)).await {
            let set = cookies::for_session(services.settings(), &signed_in, now, Issued::Refresh);
            return Ok(Some(Visitor::new(services, signed_in.user, signed_in.session_id, set)));
        }
    }
    if may_start && sign_in::auto_login_enabled(services, &call) {
        let signed_in = sign_in::auto_login(services, &call).await?;
        let set = cookies::for_session(services.settings(), &signed_in, now, Issued::AutoLogin);
        return Ok(Some(Visitor::new(services, signed_in.user, signed_in.session_id, set)));
    }
    Ok(None)
}

/// The visitor of a page for signed-in people, or the answer for anyone else: the login page,
/// with a way back here (`/login?next=...`).
pub async fn visitor_or_login(req: &Req, services: &Services) -> Result<Visitor, Response> {
    let is_post = req.method_name == "POST";
    match visitor(req, services, !is_post).await {
        Ok(Some(visitor)) => Ok(visitor),
        Ok(None) => {
            // After a POST the form is gone; come back to the page it was on.
            let back = if is_post {
                let segments: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
                format!("/{}", segments.iter().take(2).copied().collect::<Vec<_>>().join("/"))
            } else {
                req.target()
            };
            Err(redirect(&format!("/login?next={}", percent_encode(&back))))
        }
        Err(err) => Err(error_response(None, err)),
    }
}

/// A signed-in page's answer, its errors as pages, with the cookies this request set.
pub fn finish(visitor: &Visitor, answer: PageResult) -> Response {
    let mut response = answer.unwrap_or_else(|err| error_response(Some(visitor), err));
    for cookie in &visitor.new_cookies {
        http::set_cookie(&mut response, cookie);
    }
    response
}

/// A form posted from another site (deviation 7).
pub fn cross_site_refused() -> Response {
    error_page(None, 403, "Request refused", "This form was sent from another site, so it was not accepted.")
}

pub fn method_not_allowed(allow: &str) -> Response {
    let mut response = error_page(None, 405, "Not allowed", "This page cannot be used that way.");
    let _ = response.headers_mut().set("allow", allow);
    response
}

/// GET /settings
pub async fn settings_home(_: &mut Req, _: &Services, _: &Params<'_>) -> Response {
    redirect("/settings/api-keys")
}

/// A posted form whose token belongs to the visitor's session; anything else is refused.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn text(&self, name: &str) -> &str {
        form_field(&self.0, name).unwrap_or_default()
    }

    /// A checkbox: present (any value) when ticked.
    pub fn ticked(&self, name: &str) -> bool {
        form_field(&self.0, name).is_some()
    }
}

pub enum FormError {
    /// Not a form, or too large.
    Invalid(RequestError),
    /// No token, or another session's.
    Expired,
}

pub async fn read_form(req: &mut Req, services: &Services, session_id: Option<&SessionId>) -> Result<Form, FormError> {
    let fields = req.form_body(SMALL_BODY_LIMIT).await.map_err(FormError::Invalid)?;
    if let Some(session_id) = session_id {
        let presented = form_field(&fields, "csrf_token").unwrap_or_default();
        if !csrf::form_token_matches(&services.state.form_key, session_id.as_str(), presented) {
            return Err(FormError::Expired);
        }
    }
    Ok(Form(fields))
}

/// `read_form` for a signed-in visitor, with its refusals as pages.
pub async fn visitor_form(req: &mut Req, services: &Services, visitor: &Visitor) -> Result<Form, Response> {
    read_form(req, services, Some(&visitor.session_id)).await.map_err(|err| form_refused(Some(visitor), err))
}

pub fn form_refused(visitor: Option<&Visitor>, err: FormError) -> Response {
    match err {
        FormError::Invalid(err) => error_response(visitor, err.into()),
        FormError::Expired => error_page(
            visitor,
            403,
            "Form expired",
            "This form belongs to an earlier session. Go back, reload the page and try again.",
        ),
    }
}

/// The headers every page answer carries.
fn add_page_headers(headers: &Headers) {
    let _ = headers.set("content-security-policy", CONTENT_SECURITY_POLICY);
    let _ = headers.set("x-frame-options", "DENY");
    let _ = headers.set("referrer-policy", "same-origin");
    let _ = headers.set("x-content-type-options", "nosniff");
    let _ = headers.set("cross-origin-opener-policy", "same-origin");
    let _ = headers.set("permissions-policy", "camera=(), microphone=(), geolocation=()");
}

pub fn html(status: u16, page: Markup) -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", "text/html; charset=utf-8");
    let _ = headers.set("cache-control", "no-store");
    add_page_headers(&headers);
    Response::builder().with_status(status).with_headers(headers).fixed(page.into_string().into_bytes())
}

/// 303 See Other: after a form post the browser follows with a GET.
pub fn redirect(location: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("location", location);
    let _ = headers.set("cache-control", "no-store");
    add_page_headers(&headers);
    Response::builder().with_status(303).with_headers(headers).empty()
}

/// GET /static/{file}
pub async fn static_asset(req: &mut Req, _: &Services, params: &Params<'_>) -> Response {
    let file = params.get("file");
    let (body, content_type) = match file {
        "app.css" => (layout::APP_CSS, "text/css; charset=utf-8"),
        "app.js" => (layout::APP_JS, "text/javascript; charset=utf-8"),
        _ => return not_found(None),
    };
    let headers = Headers::new();
    let _ = headers.set("content-type", content_type);
    // Pages link the assets with their content hash, so those URLs never change meaning.
    let cache = if req.query_param("v") == Some(layout::asset_version()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let _ = headers.set("cache-control", cache);
    add_page_headers(&headers);
    Response::builder().with_status(200).with_headers(headers).fixed(body.as_bytes().to_vec())
}

pub fn error_page(visitor: Option<&Visitor>, status: u16, title: &str, message: &str) -> Response {
    html(status, error_view(visitor, title, message))
}

fn error_view(visitor: Option<&Visitor>, title: &str, message: &str) -> Markup {
    // `maud::html!` by path: `html` here is the function that makes the response.
    let body = maud::html! {
        div class="card narrow" {
            h1 { (title) }
            p { (message) }
            p {
                @if visitor.is_some() {
                    a href="/flows" { "Go to your flows" }
                } @else {
                    a href="/login" { "Go to the login page" }
                }
            }
        }
    };
    layout::page(title, visitor, Section::None, body)
}

pub fn not_found(visitor: Option<&Visitor>) -> Response {
    error_page(visitor, 404, "Page not found", "There is no page at this address.")
}

/// An error as a page: its status, title and words (`messages` chose them).
pub fn error_response(visitor: Option<&Visitor>, err: PageError) -> Response {
    let Message { status, title, text } = err.0;
    error_page(visitor, status, title, &text)
}

/// Values for the page tests: records and a visitor holding text that breaks out of any element
/// or attribute unless the template escapes it.
#[cfg(test)]
pub(crate) mod test_values {
    use super::Visitor;
    use crate::core::ids::SessionId;
    use crate::db::users::User;
    use serde::de::DeserializeOwned;

    /// An id of any kind holding `text`, as a row read back from D1 may (ids are taken as stored).
    pub fn id<T: DeserializeOwned>(text: &str) -> T {
        serde_json::from_value(serde_json::Value::String(text.to_string())).expect("an id from text")
    }

    /// Markup that runs a script if it reaches the page as written; `tag` tells the fields apart.
    pub fn hostile(tag: &str) -> String {
        format!("\"><script>{tag}</script>&'")
    }

    /// `hostile(tag)` as the page must show it.
    pub fn escaped(tag: &str) -> String {
        format!("&quot;&gt;&lt;script&gt;{tag}&lt;/script&gt;&amp;'")
    }

    /// `tag`'s value appears `times` times in `page`, always escaped, and the only script element
    /// is the layout's own.
    #[track_caller]
    pub fn assert_escaped(page: &str, tag: &str, times: usize) {
        assert!(!page.contains(&hostile(tag)), "{tag} unescaped in:\n{page}");
        assert!(!page.contains(&format!("<script>{tag}")), "{tag} unescaped in:\n{page}");
        assert_eq!(page.matches(&escaped(tag)).count(), times, "{tag} escaped copies in:\n{page}");
        assert!(page.matches("<script").count() <= 1, "a script element besides the layout's:\n{page}");
    }

    pub fn user(id: &str, username: &str, superuser: bool) -> User {
        User {
            id: self::id(id),
            username: username.to_string(),
            password: String::new(),
            profile_image: None,
            is_active: 1,
            is_superuser: i64::from(superuser),
            create_at: "2026-11-27T13:27:14.618351Z".to_string(),
            updated_at: "2026-11-27T13:27:14.618351Z".to_string(),
            last_login_at: None,
            store_api_key: None,
            optins: None,
        }
    }

    /// A signed-in superuser whose id, name and form token are all hostile.
    pub fn visitor() -> Visitor {
        Visitor {
            user: user(&hostile("visitor-id"), &hostile("visitor-name"), true),
            session_id: SessionId::from_claim("session".to_string()),
            form_token: hostile("form-token"),
            new_cookies: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_values::{assert_escaped, hostile, visitor};
    use super::*;

    #[test]
    fn error_pages_escape_the_title_and_message() {
        let (title, message) = (hostile("title"), hostile("message"));
        let visitor = visitor();
        let html = error_view(Some(&visitor), &title, &message).into_string();
        // The title is in <title> and <h1>.
        assert_escaped(&html, "title", 2);
        assert_escaped(&html, "message", 1);
        assert_escaped(&html, "visitor-name", 2);
        assert!(html.contains("<a href=\"/flows\">Go to your flows</a>"));
        let html = error_view(None, &title, &message).into_string();
        assert_escaped(&html, "title", 2);
        assert!(html.contains("<a href=\"/login\">Go to the login page</a>"));
    }

    #[test]
    #[should_panic(expected = "unescaped")]
    fn the_escape_check_catches_raw_markup() {
        assert_escaped(&format!("<p>{}</p>", hostile("raw")), "raw", 0);
    }

    #[test]
    #[should_panic(expected = "escaped copies")]
    fn the_escape_check_counts_the_copies() {
        assert_escaped(&format!("<p>{}</p>", test_values::escaped("shown")), "shown", 2);
    }
}
