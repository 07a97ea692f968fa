//! Cross-site request detection (deviation 7). Browsers mark where a request comes from; clients
//! that are not browsers send none of these headers and are let through, as are requests
//! authenticated by Bearer token or API key (the caller decides when to ask).

/// What a browser told us about the request's origin.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserSignals<'a> {
    /// The `Host` the request was sent to (authority, with port if any).
    pub host: &'a str,
    pub origin: Option<&'a str>,
    pub referer: Option<&'a str>,
    pub sec_fetch_site: Option<&'a str>,
}

/// `scheme://authority/...` → lowercase authority.
fn authority_of(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    (!authority.is_empty()).then(|| authority.to_ascii_lowercase())
}

/// True when the request certainly comes from a page of another site.
pub fn is_cross_site(signals: &BrowserSignals) -> bool {
    if signals.sec_fetch_site.is_some_and(|v| v.trim().eq_ignore_ascii_case("cross-site")) {
        return true;
    }
    let host = signals.host.trim().to_ascii_lowercase();
    let source = match (signals.origin, signals.referer) {
        (Some(origin), _) => origin,
        (None, Some(referer)) => referer,
        (None, None) => return false,
    };
    // `Origin: null` comes from sandboxed frames, data: URLs and cross-origin redirects.
    match authority_of(source.trim()) {
        Some(authority) => authority != host,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(origin: Option<&str>, referer: Option<&str>, fetch_site: Option<&str>) -> bool {
        is_cross_site(&BrowserSignals { host: "localhost:7860", origin, referer, sec_fetch_site: fetch_site })
    }

    #[test]
    fn non_browser_requests_pass() {
        assert!(!check(None, None, None));
    }

    #[test]
    fn same_origin_passes() {
        assert!(!check(Some("http://localhost:7860"), None, Some("same-origin")));
        assert!(!check(None, Some("http://localhost:7860/login?next=/flows"), None));
        assert!(!check(Some("http://LOCALHOST:7860"), None, None));
    }

    #[test]
    fn other_sites_are_refused() {
        assert!(check(Some("https://evil.example"), None, None));
        assert!(check(Some("http://localhost:9999"), None, None));
        assert!(check(Some("null"), None, None));
        assert!(check(None, Some("https://evil.example/page"), None));
        assert!(check(None, None, Some("cross-site")));
        assert!(check(Some("http://localhost:7860"), None, Some("cross-site")));
        assert!(check(None, Some("http://localhost:7860@evil.example/"), None));
    }
}
