//! Langflow's cookies: `access_token_lf`, `refresh_token_lf`, `apikey_tkn_lflw`, with its
//! attributes (`expires=` only, HttpOnly, Path=/, SameSite from settings).

use crate::core::time::http_date;
use crate::service::sign_in::SignedIn;
use crate::settings::{CookieSettings, SameSite, Settings};

pub const ACCESS: &str = "access_token_lf";
pub const REFRESH: &str = "refresh_token_lf";
pub const STORE_KEY: &str = "apikey_tkn_lflw";

fn build(
    name: &str,
    value: &str,
    expires: Option<i64>,
    max_age_zero: bool,
    secure: bool,
    same_site: SameSite,
    domain: Option<&str>,
) -> String {
    let mut cookie = format!("{name}={value}");
    if let Some(at) = expires {
        cookie.push_str(&format!("; expires={}", http_date(at)));
    }
    cookie.push_str("; HttpOnly");
    if max_age_zero {
        cookie.push_str("; Max-Age=0");
    }
    cookie.push_str("; Path=/");
    cookie.push_str(&format!("; SameSite={}", same_site.as_str()));
    if secure || same_site == SameSite::None {
        cookie.push_str("; Secure");
    }
    if let Some(domain) = domain {
        cookie.push_str(&format!("; Domain={domain}"));
    }
    cookie
}

/// Python's http.cookies quotes values with characters outside its legal set (`=` in Fernet).
fn quoted(value: &str) -> String {
    // An empty value is quoted too (`""`), as Python writes `str(store_api_key)` after /auto_login.
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~:".contains(c)) {
        value.to_string()
    } else {
        format!("\"{value}\"")
    }
}

pub fn access(settings: &CookieSettings, token: &str, expires: Option<i64>) -> String {
    build(ACCESS, token, expires, false, settings.access_secure, settings.access_same_site, settings.domain.as_deref())
}

pub fn refresh(settings: &CookieSettings, token: &str, expires: i64) -> String {
    build(
        REFRESH,
        token,
        Some(expires),
        false,
        settings.refresh_secure,
        settings.refresh_same_site,
        settings.domain.as_deref(),
    )
}

/// Langflow writes `str(user.store_api_key)`: the literal `None` when the user has no store key.
pub fn store_key(settings: &CookieSettings, value: Option<&str>) -> String {
    let value = value.map_or_else(|| "None".to_string(), quoted);
    build(
        STORE_KEY,
        &value,
        None,
        false,
        settings.refresh_secure,
        settings.refresh_same_site,
        settings.domain.as_deref(),
    )
}

/// The three deleting cookies `/logout` sends.
pub fn cleared(settings: &CookieSettings, now_secs: i64) -> [String; 3] {
    let clear = |name| build(name, "\"\"", Some(now_secs), true, false, SameSite::Lax, settings.domain.as_deref());
    [clear(REFRESH), clear(ACCESS), clear(STORE_KEY)]
}

/// How a session got its tokens, which decides Langflow's cookies for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    /// A password sign-in: both cookies with `expires`, and the user's store key.
    Login,
    /// Auto-login: the access cookie for the browser session only, and an empty store key.
    AutoLogin,
    /// A refresh: both cookies with `expires`; the store-key cookie is left alone.
    Refresh,
}

/// Langflow's cookies for a session's token pair, in its order (refresh, access, then the store
/// key); the API's token answers and the pages set the same lines.
pub fn for_session(settings: &Settings, signed_in: &SignedIn, now_secs: i64, issued: Issued) -> Vec<String> {
    let refresh_expires = now_secs + settings.refresh_token_expire_secs;
    let access_expires = (issued != Issued::AutoLogin).then_some(now_secs + settings.access_token_expire_secs);
    let mut lines = vec![
        refresh(&settings.cookies, &signed_in.refresh, refresh_expires),
        access(&settings.cookies, &signed_in.access, access_expires),
    ];
    match issued {
        Issued::Login => lines.push(store_key(&settings.cookies, signed_in.user.store_api_key.as_deref())),
        Issued::AutoLogin => lines.push(store_key(&settings.cookies, Some(""))),
        Issued::Refresh => {}
    }
    lines
}

/// The state between a right password and the second factor (`service::sign_in::PENDING_SECS`):
/// a signed ticket, never a session. Only the `/login` pages see it; `Strict` keeps it out of
/// every request another site starts.
pub const TWO_FACTOR_PENDING: &str = "lf_two_factor_pending";

pub fn two_factor_pending(settings: &CookieSettings, ticket: &str, max_age_secs: i64) -> String {
    let secure = if settings.access_secure { "; Secure" } else { "" };
    format!("{TWO_FACTOR_PENDING}={ticket}; Max-Age={max_age_secs}; HttpOnly; Path=/login; SameSite=Strict{secure}")
}

pub fn two_factor_pending_cleared(settings: &CookieSettings) -> String {
    two_factor_pending(settings, "", 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> CookieSettings {
        CookieSettings {
            access_secure: false,
            refresh_secure: false,
            access_same_site: SameSite::Lax,
            refresh_same_site: SameSite::Lax,
            domain: None,
        }
    }

    #[test]
    fn attributes_match_langflow() {
        let cookie = refresh(&settings(), "tok", 1_796_390_757);
        assert_eq!(
            cookie,
            "refresh_token_lf=tok; expires=Fri, 04 Dec 2026 13:25:57 GMT; HttpOnly; Path=/; SameSite=lax"
        );
        assert_eq!(access(&settings(), "tok", None), "access_token_lf=tok; HttpOnly; Path=/; SameSite=lax");
        assert_eq!(store_key(&settings(), None), "apikey_tkn_lflw=None; HttpOnly; Path=/; SameSite=lax");
        assert!(store_key(&settings(), Some("gAAAA==")).starts_with("apikey_tkn_lflw=\"gAAAA==\";"));
        assert!(store_key(&settings(), Some("")).starts_with("apikey_tkn_lflw=\"\";"));
        let [first, ..] = cleared(&settings(), 1_796_390_757);
        assert_eq!(
            first,
            "refresh_token_lf=\"\"; expires=Fri, 04 Dec 2026 13:25:57 GMT; HttpOnly; Max-Age=0; Path=/; SameSite=lax"
        );
    }

    #[test]
    fn the_pending_two_factor_cookie_is_short_lived_and_for_the_login_pages_only() {
        assert_eq!(
            two_factor_pending(&settings(), "u.code.1.ab", 300),
            "lf_two_factor_pending=u.code.1.ab; Max-Age=300; HttpOnly; Path=/login; SameSite=Strict"
        );
        let secure = CookieSettings { access_secure: true, ..settings() };
        assert!(
            two_factor_pending_cleared(&secure).ends_with("Max-Age=0; HttpOnly; Path=/login; SameSite=Strict; Secure")
        );
    }

    #[test]
    fn secure_flags_follow_settings() {
        let s = CookieSettings { access_secure: true, domain: Some("example.com".into()), ..settings() };
        assert!(access(&s, "t", None).ends_with("; Secure; Domain=example.com"));
    }
}
