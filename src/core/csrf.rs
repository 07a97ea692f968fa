//! Cross-site request detection (deviation 7). Browsers mark where a request comes from; clients
//! that are not browsers send none of these headers and are let through, as are requests
//! authenticated by Bearer token or API key (the caller decides when to ask).
//!
//! The server-rendered pages add a second guard: every state-changing form carries a token bound
//! to the login session (`form_token`), checked in constant time.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

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

/// HMAC-SHA256 under a key of any length, without the crate's fallible `new_from_slice` (which
/// never fails for HMAC): RFC 2104 hashes a key longer than the 64-byte block and zero-pads the
/// rest, which is what the crate does too.
pub fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    let mut block = [0u8; 64];
    let digest;
    let key = if key.len() > block.len() {
        digest = Sha256::digest(key);
        digest.as_slice()
    } else {
        key
    };
    block.iter_mut().zip(key).for_each(|(byte, k)| *byte = *k);
    <Hmac<Sha256> as KeyInit>::new(&block.into())
}

/// The key for form tokens, derived from the secret key so that it differs from the JWT key
/// (which is the secret itself) and changes when the secret does.
pub fn form_key(secret: &str) -> [u8; 32] {
    let mut mac = hmac_sha256(secret.as_bytes());
    mac.update(b"langflow-edge page form token v1");
    mac.finalize().into_bytes().into()
}

/// A page form's token: hex HMAC-SHA256 of the login session's id. It lives and dies with the
/// session (logout revokes it), and another site cannot compute it.
pub fn form_token(key: &[u8; 32], session_id: &str) -> String {
    let mut mac = hmac_sha256(key);
    mac.update(session_id.as_bytes());
    crate::core::hex(&mac.finalize().into_bytes())
}

/// True when `presented` is this session's form token (compared in constant time).
pub fn form_token_matches(key: &[u8; 32], session_id: &str, presented: &str) -> bool {
    let expected = form_token(key, session_id);
    expected.len() == presented.len() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

/// What a pending second-factor ticket lets its holder do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingStep {
    /// The password was right; a code (or a recovery code) completes the sign-in.
    Code,
    /// The password was right, but this superuser must set up two-factor first.
    Enrol,
}

impl PendingStep {
    fn as_str(self) -> &'static str {
        match self {
            PendingStep::Code => "code",
            PendingStep::Enrol => "enrol",
        }
    }
}

fn pending_mac(key: &[u8; 32], user_id: &str, step: PendingStep, expires: i64, binding: &str) -> String {
    let mut mac = hmac_sha256(key);
    // The prefix keeps these MACs apart from form tokens under the same key (session ids never
    // contain `|`).
    for part in ["two-factor pending v1", user_id, step.as_str(), &expires.to_string(), binding] {
        mac.update(part.as_bytes());
        mac.update(b"|");
    }
    crate::core::hex(&mac.finalize().into_bytes())
}

/// The state between a right password and the second factor, as a browser cookie's value:
/// `user.step.expires.mac`. `binding` (the user's password hash) is covered by the MAC but not
/// written, so a password change voids every pending ticket.
pub fn pending_ticket(key: &[u8; 32], user_id: &str, step: PendingStep, expires: i64, binding: &str) -> String {
    format!("{user_id}.{}.{expires}.{}", step.as_str(), pending_mac(key, user_id, step, expires, binding))
}

/// The user id and step a ticket names, unchecked: the caller loads the user for `binding`,
/// then calls `pending_ticket_valid`.
pub fn pending_ticket_parts(ticket: &str) -> Option<(&str, PendingStep, i64)> {
    let mut parts = ticket.split('.');
    let (user_id, step, expires, _mac) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || user_id.is_empty() {
        return None;
    }
    let step = match step {
        "code" => PendingStep::Code,
        "enrol" => PendingStep::Enrol,
        _ => return None,
    };
    Some((user_id, step, expires.parse().ok()?))
}

/// True when `ticket` is unexpired and was made by `pending_ticket` for this binding.
pub fn pending_ticket_valid(key: &[u8; 32], ticket: &str, binding: &str, now_secs: i64) -> bool {
    let Some((user_id, step, expires)) = pending_ticket_parts(ticket) else { return false };
    if expires <= now_secs {
        return false;
    }
    let expected = pending_ticket(key, user_id, step, expires, binding);
    expected.len() == ticket.len() && bool::from(expected.as_bytes().ct_eq(ticket.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_are_bound_to_the_session_and_the_secret() {
        let key = form_key("fuJFQ-X9JYDDBYxZ6PnhRRG1gzVVanOX3RWXEVsKtuU");
        let token = form_token(&key, "session-a");
        assert_eq!(token.len(), 64);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(token, form_token(&key, "session-a"));
        assert!(form_token_matches(&key, "session-a", &token));
        assert!(!form_token_matches(&key, "session-b", &token));
        assert!(!form_token_matches(&form_key("another secret"), "session-a", &token));
        assert!(!form_token_matches(&key, "session-a", ""));
        assert!(!form_token_matches(&key, "session-a", &token[..63]));
        assert!(!form_token_matches(&key, "session-a", &token.to_uppercase()));
        assert_ne!(key.to_vec(), b"fuJFQ-X9JYDDBYxZ6PnhRRG1gzVVanOX3RWXEVsKtuU"[..32].to_vec());
    }

    #[test]
    fn hmac_keys_of_any_length_match_the_crate() {
        for len in 0..200 {
            let key: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            let expected =
                <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap().chain_update(b"m").finalize().into_bytes();
            assert_eq!(hmac_sha256(&key).chain_update(b"m").finalize().into_bytes(), expected, "key of {len} bytes");
        }
    }

    #[test]
    fn pending_tickets_are_bound_to_user_step_time_and_password() {
        let key = form_key("secret");
        let ticket = pending_ticket(&key, "user-1", PendingStep::Code, 1_000, "hash-a");
        assert_eq!(pending_ticket_parts(&ticket), Some(("user-1", PendingStep::Code, 1_000)));
        assert!(pending_ticket_valid(&key, &ticket, "hash-a", 999));
        assert!(!pending_ticket_valid(&key, &ticket, "hash-a", 1_000), "expired");
        assert!(!pending_ticket_valid(&key, &ticket, "hash-b", 999), "password changed");
        assert!(!pending_ticket_valid(&form_key("other"), &ticket, "hash-a", 999));
        let forged = ticket.replacen("user-1", "user-2", 1);
        assert!(!pending_ticket_valid(&key, &forged, "hash-a", 999));
        let enrol = ticket.replacen(".code.", ".enrol.", 1);
        assert!(!pending_ticket_valid(&key, &enrol, "hash-a", 999));
        let later = ticket.replacen(".1000.", ".9000.", 1);
        assert!(!pending_ticket_valid(&key, &later, "hash-a", 999));
        for bad in ["", "a.b.c", "u.code.1.x.y", ".code.5.x", "u.other.5.x", "u.code.x.y"] {
            assert!(!pending_ticket_valid(&key, bad, "hash-a", 0), "{bad}");
        }
    }

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

    mod properties {
        use super::*;
        use crate::core::test_support::interesting_text;
        use proptest::prelude::*;

        fn header() -> impl Strategy<Value = Option<String>> {
            proptest::option::of(prop_oneof![
                any::<String>(),
                interesting_text(30),
                "(https?|null)://[a-z@:0-9.]{0,20}(/[a-z?#]{0,10})?",
            ])
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            #[test]
            fn signals_never_panic(host in interesting_text(20), origin in header(), referer in header(), site in header()) {
                let _ = is_cross_site(&BrowserSignals {
                    host: &host,
                    origin: origin.as_deref(),
                    referer: referer.as_deref(),
                    sec_fetch_site: site.as_deref(),
                });
            }

            #[test]
            fn only_the_sessions_own_token_matches(secret in any::<String>(), session in any::<String>(), presented in any::<String>()) {
                let key = form_key(&secret);
                let token = form_token(&key, &session);
                prop_assert!(form_token_matches(&key, &session, &token));
                prop_assert_eq!(form_token_matches(&key, &session, &presented), presented == token);
            }
        }
    }
}
