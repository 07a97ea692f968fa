//! Langflow-compatible HS256 JWTs, plus our session id (DESIGN deviation 1).
//!
//! Tokens minted by Langflow (same `LANGFLOW_SECRET_KEY`) verify here and ours verify in
//! Langflow: header `{"alg":"HS256","typ":"JWT"}`, key = raw UTF-8 bytes of the secret, claims
//! `sub`, `type`, `exp`. We add `iat` and `sid`, which Langflow ignores.

use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, UntrustedToken};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    Access,
    Refresh,
}

impl TokenType {
    /// The `type` claim values Langflow writes and checks.
    fn as_claim(self) -> &'static str {
        match self {
            TokenType::Access => "access",
            TokenType::Refresh => "refresh",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub sub: String,
    pub token_type: TokenType,
    /// `None` for tokens minted by Langflow; the caller decides whether those are acceptable.
    pub sid: Option<String>,
    pub iat: Option<i64>,
    pub exp: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
    WrongType,
}

impl TokenError {
    /// Langflow's exact 401 `detail` texts, which clients match on.
    pub fn detail(&self) -> &'static str {
        match self {
            TokenError::Invalid => "Invalid token",
            TokenError::Expired => "Token has expired",
            TokenError::WrongType => "Invalid token type",
        }
    }
}

/// Built once per isolate from the settings and reused. The current secret signs; it and every
/// fallback verify, so `LANGFLOW_SECRET_KEY` can be rotated without logging everyone out.
pub struct TokenKeys {
    signing: Hs256Key,
    verifying: Vec<Hs256Key>,
}

impl TokenKeys {
    /// Empty fallbacks (e.g. from `"a,,b"`) are skipped: an empty HMAC key would let anyone
    /// forge tokens. Refusing an empty *current* secret is the settings layer's job.
    pub fn new(current_secret: &str, fallback_secrets: &[String]) -> Self {
        let mut verifying = vec![Hs256Key::new(current_secret.as_bytes())];
        verifying.extend(
            fallback_secrets
                .iter()
                .filter(|s| !s.trim().is_empty() && s.as_str() != current_secret)
                .map(|s| Hs256Key::new(s.as_bytes())),
        );
        TokenKeys { signing: Hs256Key::new(current_secret.as_bytes()), verifying }
    }
}

/// Secrets stay out of logs.
impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").field("verifying_keys", &self.verifying.len()).finish_non_exhaustive()
    }
}

/// Written in Langflow's claim order; `exp` is a plain integer, not a chrono date, so no input
/// can make the conversion fail.
#[derive(Serialize)]
struct IssuedClaims<'a> {
    sub: &'a str,
    #[serde(rename = "type")]
    token_type: &'static str,
    exp: i64,
    iat: i64,
    sid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<&'a str>,
}

/// `exp` = `now_secs + lifetime_secs` (saturating). Signing cannot fail for these claims; were it
/// to, the result is an empty string, which never verifies.
pub fn issue(
    keys: &TokenKeys,
    sub: &str,
    token_type: TokenType,
    sid: &str,
    now_secs: i64,
    lifetime_secs: i64,
) -> String {
    issue_unique(keys, sub, token_type, sid, None, now_secs, lifetime_secs)
}

/// As `issue`, with a random `jti` so that two tokens of one session issued in the same second
/// differ. Refresh tokens need it: rotation tells the current token from an old one by its hash,
/// and without `jti` a token refreshed within the second it was issued would come back unchanged.
pub fn issue_unique(
    keys: &TokenKeys,
    sub: &str,
    token_type: TokenType,
    sid: &str,
    jti: Option<&str>,
    now_secs: i64,
    lifetime_secs: i64,
) -> String {
    let claims = Claims::new(IssuedClaims {
        sub,
        token_type: token_type.as_claim(),
        exp: now_secs.saturating_add(lifetime_secs),
        iat: now_secs,
        sid,
        jti,
    });
    let header = Header::empty().with_token_type("JWT");
    Hs256.token(&header, &claims, &keys.signing).unwrap_or_default()
}

/// Loose types so a wrong `type` (e.g. `"api_key"`, a number) reaches the type check and gives
/// `WrongType`, as in Langflow, instead of failing deserialization as `Invalid`.
#[derive(Deserialize)]
struct ReceivedClaims {
    #[serde(default)]
    sub: Option<Value>,
    #[serde(rename = "type", default)]
    token_type: Option<Value>,
    #[serde(default)]
    sid: Option<Value>,
}

/// Checks in PyJWT's then Langflow's order, so each failure gets Langflow's `detail`:
/// malformed, bad signature under every key, or `alg` other than HS256 (incl. `none`) -> Invalid;
/// `nbf` in the future -> Invalid; missing `exp` -> Invalid (deviation 1: Langflow accepts such
/// tokens forever); `exp <= now` -> Expired (no leeway); non-string `sub` -> Invalid; `type`
/// absent or not `expected` -> WrongType; missing `sub` or non-string `sid` -> Invalid.
pub fn verify(keys: &TokenKeys, token: &str, expected: TokenType, now_secs: i64) -> Result<TokenClaims, TokenError> {
    let untrusted = UntrustedToken::new(token).map_err(|_| TokenError::Invalid)?;
    let claims = keys
        .verifying
        .iter()
        .find_map(|key| Hs256.validator::<ReceivedClaims>(key).validate(&untrusted).ok())
        .ok_or(TokenError::Invalid)?
        .into_parts()
        .1;

    if let Some(nbf) = claims.not_before {
        if nbf.timestamp() > now_secs {
            return Err(TokenError::Invalid);
        }
    }
    let exp = claims.expiration.ok_or(TokenError::Invalid)?.timestamp();
    if exp <= now_secs {
        return Err(TokenError::Expired);
    }
    let custom = claims.custom;
    let sub = match custom.sub {
        None => None,
        Some(Value::String(sub)) => Some(sub),
        Some(_) => return Err(TokenError::Invalid),
    };
    let token_type = match custom.token_type {
        Some(Value::String(t)) if t == expected.as_claim() => expected,
        _ => return Err(TokenError::WrongType),
    };
    let sub = sub.ok_or(TokenError::Invalid)?;
    let sid = match custom.sid {
        None => None,
        Some(Value::String(sid)) => Some(sid),
        Some(_) => return Err(TokenError::Invalid),
    };
    Ok(TokenClaims { sub, token_type, sid, iat: claims.issued_at.map(|iat| iat.timestamp()), exp })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    const NOW: i64 = 1_700_000_000;
    const SECRET: &str = "test-secret-key-for-unit-tests";

    fn keys() -> TokenKeys {
        TokenKeys::new(SECRET, &[])
    }

    fn vector() -> (String, String, serde_json::Value) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/langflow-compat.json");
        let text = std::fs::read_to_string(path).expect("read langflow-compat.json");
        let all: serde_json::Value = serde_json::from_str(&text).expect("parse vectors");
        let jwt = &all["jwt"];
        (jwt["secret"].as_str().unwrap().to_owned(), jwt["token"].as_str().unwrap().to_owned(), jwt["claims"].clone())
    }

    /// Builds a token by hand, as another JWT library (PyJWT) would.
    fn sign_raw(secret: &str, header: &str, payload: &str) -> String {
        let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    const HS256_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    #[test]
    fn a_jti_makes_same_second_tokens_differ_and_still_verify() {
        let keys = TokenKeys::new("secret", &[]);
        let plain = issue(&keys, "u", TokenType::Refresh, "s", 1_000, 60);
        assert_eq!(plain, issue(&keys, "u", TokenType::Refresh, "s", 1_000, 60));
        let one = issue_unique(&keys, "u", TokenType::Refresh, "s", Some("a1"), 1_000, 60);
        let two = issue_unique(&keys, "u", TokenType::Refresh, "s", Some("b2"), 1_000, 60);
        assert_ne!(one, two);
        let claims = verify(&keys, &one, TokenType::Refresh, 1_001).expect("verifies");
        assert_eq!(claims.sid.as_deref(), Some("s"));
    }
    #[test]
    fn langflow_vector_verifies_then_expires() {
        let (secret, token, expected) = vector();
        let keys = TokenKeys::new(&secret, &[]);
        let exp = expected["exp"].as_i64().unwrap();
        let claims = verify(&keys, &token, TokenType::Access, NOW).expect("valid");
        assert_eq!(claims.sub, expected["sub"].as_str().unwrap());
        assert_eq!(claims.token_type, TokenType::Access);
        assert_eq!(claims.exp, exp);
        assert_eq!(claims.sid, None);
        assert_eq!(claims.iat, None);
        assert!(verify(&keys, &token, TokenType::Access, exp - 1).is_ok());
        assert_eq!(verify(&keys, &token, TokenType::Access, exp), Err(TokenError::Expired));
        assert_eq!(verify(&keys, &token, TokenType::Access, exp + 1), Err(TokenError::Expired));
        assert_eq!(verify(&keys, &token, TokenType::Refresh, NOW), Err(TokenError::WrongType));
        assert_eq!(
            verify(&TokenKeys::new("another secret", &[]), &token, TokenType::Access, NOW),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn round_trip() {
        let keys = keys();
        let sub = "16151534-6dd4-4e63-829c-5393b285f878";
        for token_type in [TokenType::Access, TokenType::Refresh] {
            let token = issue(&keys, sub, token_type, "session-1", NOW, 3600);
            let claims = verify(&keys, &token, token_type, NOW).expect("valid");
            assert_eq!(
                claims,
                TokenClaims {
                    sub: sub.to_owned(),
                    token_type,
                    sid: Some("session-1".to_owned()),
                    iat: Some(NOW),
                    exp: NOW + 3600,
                }
            );
            assert_eq!(verify(&keys, &token, token_type, NOW + 3599).map(|c| c.exp), Ok(NOW + 3600));
            assert_eq!(verify(&keys, &token, token_type, NOW + 3600), Err(TokenError::Expired));
        }
    }

    #[test]
    fn issued_token_matches_langflow_format() {
        let token = issue(&keys(), "u", TokenType::Access, "s", NOW, 60);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = URL_SAFE_NO_PAD.decode(parts[0]).unwrap();
        assert_eq!(std::str::from_utf8(&header).unwrap(), HS256_HEADER);
        let payload: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(payload, serde_json::json!({"sub": "u", "type": "access", "exp": NOW + 60, "iat": NOW, "sid": "s"}));
        // Same bytes as an independent HS256 implementation over the same input.
        let resigned = sign_raw(
            SECRET,
            std::str::from_utf8(&header).unwrap(),
            std::str::from_utf8(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap(),
        );
        assert_eq!(resigned, token);
    }

    #[test]
    fn refresh_token_is_not_an_access_token() {
        let keys = keys();
        let refresh = issue(&keys, "u", TokenType::Refresh, "s", NOW, 60);
        assert_eq!(verify(&keys, &refresh, TokenType::Access, NOW), Err(TokenError::WrongType));
        let access = issue(&keys, "u", TokenType::Access, "s", NOW, 60);
        assert_eq!(verify(&keys, &access, TokenType::Refresh, NOW), Err(TokenError::WrongType));
    }

    #[test]
    fn other_or_missing_type_is_wrong_type() {
        let keys = keys();
        let exp = NOW + 60;
        for payload in [
            format!(r#"{{"sub":"u","type":"api_key","exp":{exp}}}"#),
            format!(r#"{{"sub":"u","exp":{exp}}}"#),
            format!(r#"{{"sub":"u","type":null,"exp":{exp}}}"#),
            format!(r#"{{"sub":"u","type":1,"exp":{exp}}}"#),
            format!(r#"{{"sub":"u","type":"ACCESS","exp":{exp}}}"#),
        ] {
            let token = sign_raw(SECRET, HS256_HEADER, &payload);
            assert_eq!(verify(&keys, &token, TokenType::Access, NOW), Err(TokenError::WrongType), "{payload}");
        }
    }

    #[test]
    fn expiry_is_checked_before_type() {
        let token = sign_raw(SECRET, HS256_HEADER, &format!(r#"{{"sub":"u","type":"refresh","exp":{}}}"#, NOW - 1));
        assert_eq!(verify(&keys(), &token, TokenType::Access, NOW), Err(TokenError::Expired));
    }

    #[test]
    fn tampered_or_foreign_tokens_are_invalid() {
        let keys = keys();
        let token = issue(&keys, "u", TokenType::Access, "s", NOW, 60);
        let (signing_input, signature) = token.rsplit_once('.').unwrap();

        // Flip a signature character (first char keeps all 6 bits significant).
        let first = if signature.starts_with('A') { 'B' } else { 'A' };
        let tampered_sig = format!("{signing_input}.{first}{}", &signature[1..]);
        // Payload swapped for another user's, old signature kept.
        let forged_payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"admin","type":"access","exp":{}}}"#, NOW + 60));
        let header_b64 = signing_input.split('.').next().unwrap();
        let tampered_payload = format!("{header_b64}.{forged_payload}.{signature}");
        let other_key = issue(&TokenKeys::new("some other secret", &[]), "u", TokenType::Access, "s", NOW, 60);
        let payload = format!(r#"{{"sub":"u","type":"access","exp":{}}}"#, NOW + 60);
        let alg_none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(&payload)
        );
        let alg_none_with_sig = format!(
            "{}.{}.{signature}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(&payload)
        );
        let hs512 = sign_raw(SECRET, r#"{"alg":"HS512","typ":"JWT"}"#, &payload);
        let no_alg = sign_raw(SECRET, r#"{"typ":"JWT"}"#, &payload);
        let array_payload = sign_raw(SECRET, HS256_HEADER, "[1,2,3]");
        let not_json = sign_raw(SECRET, HS256_HEADER, "not json");
        let exp_string = sign_raw(SECRET, HS256_HEADER, r#"{"sub":"u","type":"access","exp":"4102444800"}"#);
        let huge_exp = sign_raw(SECRET, HS256_HEADER, r#"{"sub":"u","type":"access","exp":1e300}"#);

        let cases = [
            tampered_sig,
            tampered_payload,
            other_key,
            alg_none,
            alg_none_with_sig,
            hs512,
            no_alg,
            array_payload,
            not_json,
            exp_string,
            huge_exp,
            format!("{token}."),
            format!("{signing_input}."),
            format!("{token}x"),
            format!(" {token}"),
            String::new(),
            ".".to_owned(),
            "..".to_owned(),
            "...".to_owned(),
            "garbage".to_owned(),
            "a.b.c".to_owned(),
            "eyJhbGciOiJIUzI1NiJ9.e30.".to_owned(),
            "é.é.é".to_owned(),
            "\u{0}".to_owned(),
            "Bearer x".to_owned(),
        ];
        for case in &cases {
            assert_eq!(verify(&keys, case, TokenType::Access, NOW), Err(TokenError::Invalid), "{case:?}");
        }
    }

    #[test]
    fn missing_exp_is_invalid() {
        let token = sign_raw(SECRET, HS256_HEADER, r#"{"sub":"u","type":"access"}"#);
        assert_eq!(verify(&keys(), &token, TokenType::Access, NOW), Err(TokenError::Invalid));
        let token = sign_raw(SECRET, HS256_HEADER, r#"{"sub":"u","type":"access","exp":null}"#);
        assert_eq!(verify(&keys(), &token, TokenType::Access, NOW), Err(TokenError::Invalid));
    }

    #[test]
    fn bad_sub_sid_or_nbf_is_invalid() {
        let exp = NOW + 60;
        for payload in [
            format!(r#"{{"type":"access","exp":{exp}}}"#),
            format!(r#"{{"sub":42,"type":"access","exp":{exp}}}"#),
            format!(r#"{{"sub":"u","type":"access","exp":{exp},"sid":7}}"#),
            format!(r#"{{"sub":"u","type":"access","exp":{exp},"nbf":{}}}"#, NOW + 1),
        ] {
            let token = sign_raw(SECRET, HS256_HEADER, &payload);
            assert_eq!(verify(&keys(), &token, TokenType::Access, NOW), Err(TokenError::Invalid), "{payload}");
        }
        let ok = sign_raw(
            SECRET,
            HS256_HEADER,
            &format!(r#"{{"sub":"u","type":"access","exp":{exp},"nbf":{NOW},"sid":null}}"#),
        );
        assert_eq!(verify(&keys(), &ok, TokenType::Access, NOW).map(|c| c.sid), Ok(None));
    }

    #[test]
    fn fallback_secrets_verify_but_do_not_sign() {
        let old = TokenKeys::new("old secret", &[]);
        let token = issue(&old, "u", TokenType::Access, "s", NOW, 60);

        let rotated = TokenKeys::new("new secret", &["unrelated".to_owned(), "old secret".to_owned()]);
        assert_eq!(verify(&rotated, &token, TokenType::Access, NOW).map(|c| c.sub), Ok("u".to_owned()));
        let without = TokenKeys::new("new secret", &["unrelated".to_owned()]);
        assert_eq!(verify(&without, &token, TokenType::Access, NOW), Err(TokenError::Invalid));

        // New tokens are signed with the current secret only.
        let fresh = issue(&rotated, "u", TokenType::Access, "s", NOW, 60);
        assert!(verify(&TokenKeys::new("new secret", &[]), &fresh, TokenType::Access, NOW).is_ok());
        assert_eq!(verify(&old, &fresh, TokenType::Access, NOW), Err(TokenError::Invalid));
    }

    #[test]
    fn empty_fallback_secret_is_ignored() {
        let keys = TokenKeys::new(SECRET, &[String::new(), "  ".to_owned()]);
        let forged = sign_raw("", HS256_HEADER, &format!(r#"{{"sub":"u","type":"access","exp":{}}}"#, NOW + 60));
        assert_eq!(verify(&keys, &forged, TokenType::Access, NOW), Err(TokenError::Invalid));
        assert!(!format!("{keys:?}").contains(SECRET));
    }

    #[test]
    fn extreme_times_do_not_panic() {
        let keys = keys();
        let token = issue(&keys, "u", TokenType::Access, "s", i64::MAX, i64::MAX);
        let _ = verify(&keys, &token, TokenType::Access, i64::MIN);
        let token = issue(&keys, "u", TokenType::Access, "s", i64::MIN, i64::MIN);
        assert!(verify(&keys, &token, TokenType::Access, 0).is_err());
        let token = issue(&keys, "u", TokenType::Access, "s", NOW, -1);
        assert_eq!(verify(&keys, &token, TokenType::Access, NOW), Err(TokenError::Expired));
    }

    #[test]
    fn details_are_langflow_texts() {
        assert_eq!(TokenError::Invalid.detail(), "Invalid token");
        assert_eq!(TokenError::Expired.detail(), "Token has expired");
        assert_eq!(TokenError::WrongType.detail(), "Invalid token type");
    }

    mod properties {
        use super::*;
        use crate::core::test_support::{apply, edits, interesting_text};
        use proptest::prelude::*;

        /// A claim value of any JSON type, including numbers no timestamp can hold.
        fn claim_value() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string()),
                any::<f64>().prop_map(|f| if f.is_finite() { format!("{f:e}") } else { "1e999".into() }),
                proptest::sample::select(vec![
                    "null",
                    "true",
                    "[]",
                    "{}",
                    "\"access\"",
                    "\"refresh\"",
                    "\"x\"",
                    "1e300",
                    "-1e300",
                    "1.5",
                    "9223372036854775807",
                    "9223372036854775808",
                    "-9223372036854775809",
                    "18446744073709551616",
                ])
                .prop_map(str::to_string),
            ]
        }

        fn claims() -> impl Strategy<Value = String> {
            let names = proptest::sample::subsequence(vec!["sub", "type", "exp", "nbf", "iat", "sid"], 0..=6);
            (names, proptest::collection::vec(claim_value(), 6)).prop_map(|(names, values)| {
                let fields: Vec<String> =
                    names.iter().zip(values).map(|(name, value)| format!("\"{name}\":{value}")).collect();
                format!("{{{}}}", fields.join(","))
            })
        }

        fn header() -> impl Strategy<Value = String> {
            prop_oneof![
                Just(HS256_HEADER.to_string()),
                Just(r#"{"alg":"none"}"#.to_string()),
                Just(r#"{"alg":"HS256","crit":["x"]}"#.to_string()),
                interesting_text(20),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn verify_never_panics(
                text in prop_oneof![any::<String>(), interesting_text(80), "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,43}"],
                now in any::<i64>(),
            ) {
                let _ = verify(&keys(), &text, TokenType::Access, now);
            }

            #[test]
            fn signed_claims_of_any_shape_never_panic(header in header(), payload in prop_oneof![claims(), interesting_text(40)], now in any::<i64>()) {
                let token = sign_raw(SECRET, &header, &payload);
                for expected in [TokenType::Access, TokenType::Refresh] {
                    if let Ok(claims) = verify(&keys(), &token, expected, now) {
                        prop_assert!(claims.exp > now);
                        prop_assert_eq!(claims.token_type, expected);
                    }
                }
            }

            #[test]
            fn round_trip_and_expiry(
                sub in any::<String>(),
                sid in any::<String>(),
                now in -10_000_000_000i64..10_000_000_000,
                lifetime in 1i64..100_000_000,
                edits in edits(),
            ) {
                let token = issue(&keys(), &sub, TokenType::Refresh, &sid, now, lifetime);
                let claims = verify(&keys(), &token, TokenType::Refresh, now);
                let expected = TokenClaims { sub, token_type: TokenType::Refresh, sid: Some(sid), iat: Some(now), exp: now + lifetime };
                prop_assert_eq!(claims.as_ref(), Ok(&expected));
                prop_assert_eq!(verify(&keys(), &token, TokenType::Refresh, now + lifetime), Err(TokenError::Expired));
                prop_assert_eq!(verify(&keys(), &token, TokenType::Access, now), Err(TokenError::WrongType));
                prop_assert_eq!(verify(&TokenKeys::new("another", &[]), &token, TokenType::Refresh, now), Err(TokenError::Invalid));
                // An edited token verifies only if the edit changed nothing that is signed.
                if let Ok(edited) = verify(&keys(), &apply(&token, &edits), TokenType::Refresh, now) {
                    prop_assert_eq!(edited, expected);
                }
            }
        }
    }
}
