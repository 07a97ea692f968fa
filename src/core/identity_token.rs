//! The identity JWT the gateway sends to Langflow with each forwarded request (RS256, read by
//! Langflow's external auth), and the key formats around it: everything but the signature
//! itself, which WebCrypto makes (`service::identity`).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The token lives at most this long after it is made...
pub const LIFETIME_SECS: i64 = 60;
/// ...and says it was issued this much earlier than it was: Langflow (PyJWT) allows no clock
/// skew at all, so an edge clock a second ahead of the origin's would make every fresh token
/// "not yet valid".
pub const BACKDATE_SECS: i64 = 30;

#[derive(Debug, Serialize)]
pub struct IdentityClaims<'a> {
    pub iss: &'a str,
    pub aud: &'a str,
    /// The edge's user id: Langflow keys its local user by it.
    pub sub: &'a str,
    /// Langflow names the user it creates after it (on first use only).
    pub preferred_username: &'a str,
    pub iat: i64,
    pub exp: i64,
    pub jti: &'a str,
}

impl<'a> IdentityClaims<'a> {
    pub fn new(iss: &'a str, aud: &'a str, sub: &'a str, username: &'a str, now_secs: i64, jti: &'a str) -> Self {
        IdentityClaims {
            iss,
            aud,
            sub,
            preferred_username: username,
            iat: now_secs - BACKDATE_SECS,
            exp: now_secs + LIFETIME_SECS,
            jti,
        }
    }
}

/// `base64url(header) . base64url(claims)`: the bytes RS256 signs.
pub fn signing_input(kid: &str, claims: &IdentityClaims) -> String {
    let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": kid });
    let claims = serde_json::to_vec(claims).unwrap_or_default();
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims))
}

/// The whole token, once the signing input is signed.
pub fn token(signing_input: &str, signature: &[u8]) -> String {
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Why a configured private key cannot be used. The texts say how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFormatError {
    /// `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1): WebCrypto takes PKCS#8 only.
    Pkcs1,
    NotPem,
}

impl KeyFormatError {
    pub fn message(&self) -> &'static str {
        match self {
            KeyFormatError::Pkcs1 => {
                "is a PKCS#1 key (BEGIN RSA PRIVATE KEY); convert it with \
                 `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem`"
            }
            KeyFormatError::NotPem => {
                "must be an RSA private key as PKCS#8 PEM (BEGIN PRIVATE KEY) or as a JWK (a JSON object); make one with \
                 `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`"
            }
        }
    }
}

/// The DER bytes of a PKCS#8 PEM private key (what WebCrypto's `importKey("pkcs8")` takes).
pub fn pkcs8_der(pem: &str) -> Result<Vec<u8>, KeyFormatError> {
    let pem = pem.trim();
    if pem.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
        return Err(KeyFormatError::Pkcs1);
    }
    let body = pem
        .strip_prefix("-----BEGIN PRIVATE KEY-----")
        .and_then(|rest| rest.trim_end().strip_suffix("-----END PRIVATE KEY-----"))
        .ok_or(KeyFormatError::NotPem)?;
    // Secrets pasted into dashboards sometimes lose their line breaks or gain `\n` escapes.
    let base64: String = body.replace("\\n", "").chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(base64).map_err(|_| KeyFormatError::NotPem)
}

/// RFC 7638 thumbprint of an RSA public key, base64url: a `kid` that names the key itself.
pub fn thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The public JWK published for a key.
pub fn public_jwk(n: &str, e: &str, kid: &str) -> serde_json::Value {
    serde_json::json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_backdated_and_short_lived() {
        let claims = IdentityClaims::new("langflow-edge", "langflow", "u-1", "alice", 1_000, "j");
        assert_eq!((claims.iat, claims.exp), (970, 1_060));
        let input = signing_input("kid-1", &claims);
        let (header, body) = input.split_once('.').unwrap();
        let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(header, serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": "kid-1" }));
        let body: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).unwrap()).unwrap();
        assert_eq!(body["sub"], "u-1");
        assert_eq!(body["preferred_username"], "alice");
        assert_eq!(body["aud"], "langflow");
        assert_eq!(token(&input, &[0xff, 0xfe]), format!("{input}.__4"));
    }

    #[test]
    fn pem_keys_decode_and_pkcs1_is_named() {
        let pem = "-----BEGIN PRIVATE KEY-----\nAAEC\nAwQ=\n-----END PRIVATE KEY-----\n";
        assert_eq!(pkcs8_der(pem).unwrap(), vec![0, 1, 2, 3, 4]);
        let escaped = "-----BEGIN PRIVATE KEY-----\\nAAECAwQ=\\n-----END PRIVATE KEY-----";
        assert_eq!(pkcs8_der(escaped).unwrap(), vec![0, 1, 2, 3, 4]);
        assert_eq!(
            pkcs8_der("-----BEGIN RSA PRIVATE KEY-----\nAA\n-----END RSA PRIVATE KEY-----"),
            Err(KeyFormatError::Pkcs1)
        );
        assert_eq!(pkcs8_der("hello"), Err(KeyFormatError::NotPem));
        assert_eq!(
            pkcs8_der("-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----"),
            Err(KeyFormatError::NotPem)
        );
    }

    /// RFC 7638 §3.1's example key and thumbprint.
    #[test]
    fn thumbprints_match_rfc_7638() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(thumbprint(n, "AQAB"), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    mod properties {
        use super::*;
        use crate::core::test_support::interesting_text;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            #[test]
            fn configured_keys_never_panic_and_pem_round_trips(
                text in prop_oneof![any::<String>(), interesting_text(40)],
                der in proptest::collection::vec(any::<u8>(), 0..200),
            ) {
                let _ = pkcs8_der(&text);
                let _ = pkcs8_der(&format!("-----BEGIN PRIVATE KEY-----{text}-----END PRIVATE KEY-----"));
                let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(&der));
                prop_assert_eq!(pkcs8_der(&pem), Ok(der));
            }
        }
    }
}
