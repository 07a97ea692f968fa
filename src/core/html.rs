//! Helpers for the server-rendered pages that need no I/O: URL-component encoding and the
//! `next` path a login may return to. (HTML escaping is maud's, in the page templates.)

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Where a visitor goes when `next` is missing or not acceptable.
pub const DEFAULT_NEXT: &str = "/flows";

/// Everything but RFC 3986's unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes everything but RFC 3986's unreserved characters (a query value or a path
/// segment), with uppercase hex.
pub fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// The path a login may send the visitor back to: a same-site absolute path (one leading `/`,
/// never `//` or a backslash, which browsers read as another host), printable ASCII only (so it
/// is safe in a `Location` header), and not the login or logout page itself, however spelled.
/// Anything else is `/flows`.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next else { return DEFAULT_NEXT.to_string() };
    let printable = next.bytes().all(|b| b.is_ascii_graphic());
    let same_site = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if !printable || !same_site || next.len() > 2048 || lands_on_login_or_logout(next) {
        return DEFAULT_NEXT.to_string();
    }
    next.to_string()
}

/// True when a browser sent to `next` would ask for `/login` or `/logout`. The path (up to `?` or
/// `#`) is resolved as a browser resolves it: `.` and `..` segments, also spelled `%2e`, are
/// applied (`/logout/.` is `/logout`, `/x/../logout` too). Then, to be safe with any router,
/// escapes are decoded (`/%6Cogout`), empty segments dropped (`/.//logout` asks for `//logout`,
/// which this worker's router treats as `/logout`) and case ignored.
fn lands_on_login_or_logout(next: &str) -> bool {
    let path = next.split(['?', '#']).next().unwrap_or_default();
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/').skip(1) {
        match segment.to_ascii_lowercase().replace("%2e", ".").as_str() {
            "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    let decoded =
        segments.iter().map(|s| percent_decode_str(s).decode_utf8_lossy().to_ascii_lowercase()).collect::<Vec<_>>();
    let mut pages = decoded.iter().flat_map(|s| s.split('/')).filter(|s| !s.is_empty());
    matches!((pages.next(), pages.next()), (Some("login" | "logout"), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encodes_reserved_bytes() {
        assert_eq!(percent_encode("/admin?x=1&y=2"), "%2Fadmin%3Fx%3D1%26y%3D2");
        assert_eq!(percent_encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(percent_encode("é"), "%C3%A9");
    }

    #[test]
    fn next_accepts_same_site_paths() {
        assert_eq!(safe_next(Some("/admin")), "/admin");
        assert_eq!(
            safe_next(Some("/flows/36f88d71-8ccb-4dd7-8f56-612d70ecec07")),
            "/flows/36f88d71-8ccb-4dd7-8f56-612d70ecec07"
        );
        assert_eq!(safe_next(Some("/admin?done=created")), "/admin?done=created");
        assert_eq!(safe_next(Some("/")), "/");
    }

    #[test]
    fn next_refuses_other_sites_and_odd_input() {
        for bad in [
            "//evil.example",
            "//evil.example/admin",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/ad min",
            "/\t/evil.example",
            "/admin\r\nSet-Cookie: x=1",
            "/é",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), DEFAULT_NEXT, "{bad:?}");
        }
        assert_eq!(safe_next(None), DEFAULT_NEXT);
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(3000)))), DEFAULT_NEXT);
    }

    #[test]
    fn next_never_loops_back_to_login_or_logout() {
        for page in ["/login", "/login/", "/login?next=/admin", "/logout", "/logout/"] {
            assert_eq!(safe_next(Some(page)), DEFAULT_NEXT, "{page}");
        }
        assert_eq!(safe_next(Some("/login-help")), "/login-help");
    }

    /// A browser resolves dot segments before asking: `/logout/.` is `/logout`.
    #[test]
    fn next_sees_through_dot_segments_and_escapes() {
        for page in [
            "/logout/.",
            "/logout/./",
            "/logout/%2e",
            "/logout/%2E/",
            "/./logout",
            "/%2e/logout",
            "/x/../logout",
            "/x/y/../../login",
            "/x/%2e%2E/login?next=/admin",
            "/x/.%2e/logout#top",
            "/../logout",
            "/.//logout",
            "/logout//",
            "/%6Cogout",
            "/%6c%6F%67%6f%75%74/",
            "/LOGOUT",
            "/Login/.",
        ] {
            assert_eq!(safe_next(Some(page)), DEFAULT_NEXT, "{page}");
        }
        // These are other pages once resolved (`/login/..` is `/`), and come back as they were.
        for other in ["/login/..", "/logout/../admin", "/flows/./x", "/login/x", "/x/login", "/log%20out", "/..logout"]
        {
            assert_eq!(safe_next(Some(other)), other, "{other}");
        }
    }

    mod properties {
        use super::super::*;
        use crate::core::test_support::{apply, edits, interesting_text};
        use percent_encoding::percent_decode_str;
        use proptest::prelude::*;

        /// The page a browser on this site asks for when sent to `next` (WHATWG URL resolution,
        /// from the `url` crate), as the router sees it: non-empty segments, escapes decoded.
        fn browser_lands_on(next: &str) -> Option<Vec<String>> {
            let base = url::Url::parse("http://localhost:7860/login").ok()?;
            let target = base.join(next).ok()?;
            (target.host_str() == Some("localhost")).then(|| {
                target
                    .path()
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(|s| percent_decode_str(s).decode_utf8_lossy().to_ascii_lowercase())
                    .collect()
            })
        }

        /// Paths built from the pieces of dot-segment and escape tricks.
        fn tricky_path() -> impl Strategy<Value = String> {
            let segment = proptest::sample::select(vec![
                ".",
                "..",
                "%2e",
                "%2E",
                ".%2e",
                "%2e%2e",
                "",
                "login",
                "logout",
                "LOGIN",
                "%6Cogout",
                "%6c%6f%67%69%6e",
                "x",
                "admin",
                "flows",
                "log%69n",
                "logout%2f",
                "%2flogin",
            ]);
            (
                proptest::collection::vec(segment, 1..6),
                proptest::sample::select(vec!["", "/", "?next=/admin", "#x", "/?a"]),
            )
                .prop_map(|(segments, tail)| format!("/{}{tail}", segments.join("/")))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn next_is_a_safe_same_site_path(next in prop_oneof![tricky_path(), any::<String>(), interesting_text(30)], edits in edits()) {
                for next in [next.clone(), apply(&next, &edits)] {
                    let answer = safe_next(Some(&next));
                    prop_assert!(answer == DEFAULT_NEXT || answer == next);
                    prop_assert!(answer.starts_with('/') && !answer.starts_with("//") && !answer.contains('\\'));
                    prop_assert!(answer.bytes().all(|b| b.is_ascii_graphic()) && answer.len() <= 2048);
                    // A browser sent there stays here and never asks for the login or logout page.
                    let lands = browser_lands_on(&answer);
                    prop_assert!(lands.is_some(), "{:?} leaves the site", answer);
                    let lands = lands.unwrap_or_default();
                    prop_assert!(!matches!(lands.as_slice(), [page] if page == "login" || page == "logout"), "{:?} lands on {:?}", answer, lands);
                }
            }

            #[test]
            fn percent_encoding_round_trips(text in any::<String>()) {
                let encoded = percent_encode(&text);
                prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
                prop_assert_eq!(percent_decode_str(&encoded).decode_utf8().unwrap(), text.as_str());
            }
        }
    }
}
