//! The request as the handlers see it, and response builders. Headers common to every answer
//! are added here.

use crate::core::csrf::{self, BrowserSignals};
use crate::core::request_body::{multipart_boundary, parse_form, parse_multipart, BodyError, JsonBody};
use crate::service::Call;
use worker::{Headers, Method, Request, Response};

/// Bodies of auth and user routes are small; anything larger is refused before it is parsed.
pub const SMALL_BODY_LIMIT: usize = 64 * 1024;

/// A body that cannot be used. The API answers it as FastAPI would; the pages say it in words.
#[derive(Debug)]
pub enum RequestError {
    TooLarge { limit: usize },
    Unreadable,
    Body(BodyError),
}

impl From<BodyError> for RequestError {
    fn from(err: BodyError) -> Self {
        RequestError::Body(err)
    }
}

/// The `{name}` segments of the matched path.
pub struct Params<'a> {
    values: Vec<(&'static str, &'a str)>,
}

impl<'a> Params<'a> {
    pub fn new(values: Vec<(&'static str, &'a str)>) -> Self {
        Params { values }
    }

    /// The segment named `{name}` in the route's path; empty when the route has none.
    pub fn get(&self, name: &str) -> &'a str {
        self.values.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| v)
    }
}

pub struct Req {
    pub inner: Request,
    pub method: Method,
    /// The method as sent, upper-cased: the runtime reads methods it does not know as GET.
    pub method_name: String,
    /// The path as sent (percent-encoded; the runtime has already resolved dot segments).
    pub path: String,
    /// The query string as sent, without `?`.
    pub raw_query: Option<String>,
    pub query: Vec<(String, String)>,
    pub host: String,
    pub now_ms: i64,
}

/// Host, path and query of the absolute URL the runtime gives a request
/// (`scheme://host[:port]/path?query#fragment`), read without a URL parser: the URL is already
/// in WHATWG form, and the parser with its IDNA tables costs about 10 KB of gzipped wasm.
/// A default port is left out of the host, as a URL parser would.
pub fn split_url(url: &str) -> (String, String, Option<String>) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let rest = rest.split('#').next().unwrap_or_default();
    let (authority, target) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, "/"),
    };
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let host = match (scheme, authority.rsplit_once(':')) {
        ("http", Some((name, "80"))) | ("https", Some((name, "443")))
            if !name.ends_with(']') || name.starts_with('[') =>
        {
            name.to_string()
        }
        _ => authority.to_string(),
    };
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query.to_string())),
        None => (target, None),
    };
    (host, if path.is_empty() { "/".to_string() } else { path.to_string() }, query)
}

impl Req {
    pub fn new(inner: Request, now_ms: i64) -> worker::Result<Req> {
        let (host, path, raw_query) = split_url(&inner.inner().url());
        let query = raw_query
            .as_deref()
            .map(|q| form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
            .unwrap_or_default();
        let method_name = inner.inner().method().to_ascii_uppercase();
        Ok(Req { method: inner.method(), method_name, path, raw_query, query, host, now_ms, inner })
    }

    /// The path and query as sent.
    pub fn target(&self) -> String {
        match &self.raw_query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        }
    }

    /// The plain facts the services take: when, from where, to which host, with which browser.
    pub fn call(&self) -> Call {
        let user_agent = self.header("user-agent").unwrap_or_default();
        let user_agent = crate::service::truncate_chars(user_agent.trim(), crate::service::USER_AGENT_MAX_CHARS).into();
        Call { now_ms: self.now_ms, client_ip: self.client_ip(), host: self.host.clone(), user_agent }
    }

    pub fn now_secs(&self) -> i64 {
        self.now_ms.div_euclid(1000)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.inner.headers().get(name).ok().flatten()
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A cookie's value, without the quotes Python's http.cookies adds around some values.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let header = self.header("cookie")?;
        header.split(';').find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key.trim() == name).then(|| value.trim().trim_matches('"').to_string())
        })
    }

    /// The client address Cloudflare reports; the rate limiter counts per this value.
    pub fn client_ip(&self) -> String {
        self.header("cf-connecting-ip").unwrap_or_else(|| "unknown".into())
    }

    pub fn is_state_changing(&self) -> bool {
        !matches!(self.method, Method::Get | Method::Head | Method::Options)
    }

    /// Deviation 7: a state-changing request that rode on a cookie while a browser says it comes
    /// from another site. The JSON API and the gateway refuse it; Bearer and API-key callers pass.
    pub fn is_cross_site_cookie_write(&self, via: crate::service::auth::Via) -> bool {
        via == crate::service::auth::Via::Cookie && self.is_state_changing() && self.is_cross_site()
    }

    /// Deviation 7: a browser said this request comes from another site.
    pub fn is_cross_site(&self) -> bool {
        let (origin, referer, fetch_site) =
            (self.header("origin"), self.header("referer"), self.header("sec-fetch-site"));
        csrf::is_cross_site(&BrowserSignals {
            host: &self.host,
            origin: origin.as_deref(),
            referer: referer.as_deref(),
            sec_fetch_site: fetch_site.as_deref(),
        })
    }

    pub fn content_type(&self) -> String {
        self.header("content-type").unwrap_or_default().to_ascii_lowercase()
    }

    /// The body, refused with 413 past `limit` bytes (checked on the declared length first, so a
    /// huge upload is not read at all).
    pub async fn body(&mut self, limit: usize) -> Result<Vec<u8>, RequestError> {
        if let Some(length) = self.header("content-length").and_then(|v| v.trim().parse::<u64>().ok()) {
            if length > limit as u64 {
                return Err(RequestError::TooLarge { limit });
            }
        }
        let bytes = self.inner.bytes().await.map_err(|_| RequestError::Unreadable)?;
        if bytes.len() > limit {
            return Err(RequestError::TooLarge { limit });
        }
        Ok(bytes)
    }

    /// A JSON object body. A form or other non-JSON content type is a 422, as in FastAPI.
    pub async fn json_body(&mut self, limit: usize) -> Result<JsonBody, RequestError> {
        let content_type = self.content_type();
        if !content_type.is_empty() && !content_type.contains("json") {
            return Err(RequestError::Body(BodyError::new(
                "model_attributes_type",
                &["body"],
                "Input should be a valid dictionary or object to extract fields from (send JSON with Content-Type: application/json)",
            )));
        }
        Ok(JsonBody::parse(&self.body(limit).await?)?)
    }

    /// A form body (the OAuth2 password form): URL-encoded, or multipart as FastAPI also takes.
    pub async fn form_body(&mut self, limit: usize) -> Result<Vec<(String, String)>, RequestError> {
        let content_type = self.content_type();
        if content_type.starts_with("multipart/form-data") {
            // The boundary is case-sensitive: read it from the header as sent.
            let boundary = multipart_boundary(&self.header("content-type").unwrap_or_default())
                .ok_or_else(|| BodyError::new("value_error", &["body"], "Multipart form without a boundary"))?;
            return Ok(parse_multipart(&self.body(limit).await?, &boundary)?);
        }
        if !content_type.starts_with("application/x-www-form-urlencoded") {
            let loc = if content_type.contains("json") { "a JSON body" } else { "this content type" };
            return Err(RequestError::Body(BodyError::new(
                "missing",
                &["body", "username"],
                format!("Field required (this endpoint takes a form (application/x-www-form-urlencoded or multipart/form-data), not {loc})"),
            )));
        }
        Ok(parse_form(&self.body(limit).await?)?)
    }
}

/// Headers on every answer: no sniffing, no caching of auth answers, and Langflow's open CORS
/// (`*` without credentials, so cookies never travel cross-origin).
pub fn add_common_headers(headers: &mut Headers) {
    let _ = headers.set("x-content-type-options", "nosniff");
    if !headers.has("cache-control").unwrap_or(false) {
        let _ = headers.set("cache-control", "no-store");
    }
    let _ = headers.set("access-control-allow-origin", "*");
    let _ = headers.set("vary", "Origin");
}

pub fn json_response(status: u16, body: String) -> Response {
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    Response::builder().with_status(status).with_headers(headers).fixed(body.into_bytes())
}

pub fn empty(status: u16) -> Response {
    Response::builder().with_status(status).empty()
}

/// Appends a `Set-Cookie` header (several may be set on one answer).
pub fn set_cookie(response: &mut Response, cookie: &str) {
    let _ = response.headers_mut().append("set-cookie", cookie);
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_as_a_parser_would() {
        let split = |url: &str| split_url(url);
        assert_eq!(
            split("http://127.0.0.1:7860/api/v1/users/?skip=1&x=%20"),
            ("127.0.0.1:7860".into(), "/api/v1/users/".into(), Some("skip=1&x=%20".into()))
        );
        assert_eq!(split("https://edge.example.com:443/login#top"), ("edge.example.com".into(), "/login".into(), None));
        assert_eq!(split("http://localhost:80"), ("localhost".into(), "/".into(), None));
        assert_eq!(split("http://[::1]:8787/a?"), ("[::1]:8787".into(), "/a".into(), Some(String::new())));
        assert_eq!(split("https://u:p@host:8443/x"), ("host:8443".into(), "/x".into(), None));
    }
}
