//! Turning `LANGFLOW_SECRET_KEY` into Fernet keys exactly as Langflow 1.13 does
//! (`ensure_fernet_key`, `_ensure_legacy_fernet_key`), so a Langflow database stays readable.

use super::fernet::{FernetKey, KeyRing};
use super::mt19937::Mt19937;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Langflow's `MINIMUM_KEY_LENGTH`, in characters (Python's `len`).
const MINIMUM_KEY_LENGTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivation {
    /// Secret under 32 characters: SHA-256 of its UTF-8 bytes.
    Sha256,
    /// 32+ characters that are themselves a Fernet key (after `=` padding).
    Direct,
    /// 32+ characters that are not a Fernet key: Langflow fails at run time, we hash instead
    /// (DESIGN deviation 4); the caller should log a warning.
    Sha256Fallback,
}

pub struct DerivedKey {
    pub current: FernetKey,
    /// Pre-1.10.1 Mersenne Twister key, only for secrets under 32 characters: data encrypted by
    /// older Langflow versions must still decrypt.
    pub legacy: Option<FernetKey>,
    pub derivation: Derivation,
}

pub fn derive(secret: &str) -> DerivedKey {
    let sha = || FernetKey::from_bytes(&Sha256::digest(secret.as_bytes()).into());
    let len = secret.chars().count();
    if len < MINIMUM_KEY_LENGTH {
        let mut mt = Mt19937::from_str_seed(secret);
        let legacy: [u8; 32] = std::array::from_fn(|_| mt.getrandbits8());
        return DerivedKey {
            current: sha(),
            legacy: Some(FernetKey::from_bytes(&legacy)),
            derivation: Derivation::Sha256,
        };
    }
    // Langflow pads by the character count, then Fernet decodes the UTF-8 bytes.
    let padded = format!("{secret}{}", "=".repeat((4 - len % 4) % 4));
    match python_b64decode(padded.as_bytes()).and_then(|raw| <[u8; 32]>::try_from(raw).ok()) {
        Some(bytes) => {
            DerivedKey { current: FernetKey::from_bytes(&bytes), legacy: None, derivation: Derivation::Direct }
        }
        None => DerivedKey { current: sha(), legacy: None, derivation: Derivation::Sha256Fallback },
    }
}

/// Key ring for the current secret plus old secrets (LANGFLOW_SECRET_KEY_FALLBACKS): current key
/// first, then current legacy, then each fallback's key and legacy key, in order, without
/// duplicates. Empty fallback entries (e.g. from a trailing comma) are skipped.
pub fn key_ring(current: &str, fallbacks: &[String]) -> KeyRing {
    let mut keys: Vec<FernetKey> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let secrets = std::iter::once(current).chain(fallbacks.iter().map(String::as_str).filter(|s| !s.is_empty()));
    for secret in secrets {
        let derived = derive(secret);
        for key in std::iter::once(derived.current).chain(derived.legacy) {
            let id = key.to_base64();
            if !seen.contains(&id) {
                seen.push(id);
                keys.push(key);
            }
        }
    }
    KeyRing::new(keys)
}

/// A new secret like Python's `secrets.token_urlsafe(32)`, which is also a valid Fernet key.
pub fn generate_secret(random: [u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// `base64.urlsafe_b64decode` on bytes (CPython's non-strict `a2b_base64`): both alphabets are
/// accepted, other bytes are skipped, decoding stops at the first complete padding, and trailing
/// bits are ignored. Which secrets count as Fernet keys, and their bytes, depend on these quirks.
fn python_b64decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let (mut quad_pos, mut left, mut pads) = (0u8, 0u32, 0u8);
    for &c in input {
        if c == b'=' {
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    return Some(out);
                }
            }
            continue;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => continue,
        };
        pads = 0;
        left = (left << 6) | u32::from(v);
        quad_pos = (quad_pos + 1) % 4;
        match quad_pos {
            2 => out.push((left >> 4) as u8),
            3 => out.push((left >> 2) as u8),
            0 => out.push(left as u8),
            _ => {}
        }
    }
    (quad_pos == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fernet::{decrypt, encrypt};
    use serde_json::Value;

    fn compat() -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/langflow-compat.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn s(v: &Value) -> &str {
        v.as_str().unwrap()
    }

    #[test]
    fn langflow_compat_cases() {
        let data = compat();
        let cases = data["cases"].as_array().unwrap();
        assert!(cases.len() >= 5);
        for case in cases {
            let (name, secret) = (s(&case["name"]), s(&case["secret"]));
            assert_eq!(secret.chars().count() as u64, case["secret_len"].as_u64().unwrap(), "{name}");
            let derived = derive(secret);
            assert_eq!(derived.current.to_base64(), s(&case["fernet_key"]), "{name}");
            let expected = if secret.chars().count() < 32 { Derivation::Sha256 } else { Derivation::Direct };
            assert_eq!(derived.derivation, expected, "{name}");
            assert_eq!(
                derived.legacy.as_ref().map(FernetKey::to_base64).as_deref(),
                case.get("legacy_fernet_key").map(s),
                "{name}"
            );
            let ring = key_ring(secret, &[]);
            let plaintext = s(&case["plaintext"]).as_bytes();
            assert_eq!(ring.decrypt(s(&case["token_current"]), 0, None).unwrap(), plaintext, "{name}");
            assert!(ring.is_current(s(&case["token_current"])), "{name}");
            if let Some(token) = case.get("token_legacy") {
                assert_eq!(ring.decrypt(s(token), 0, None).unwrap(), plaintext, "{name}");
                assert!(!ring.is_current(s(token)), "{name}");
            }
        }
    }

    #[test]
    fn invalid_secrets_fall_back_to_sha256() {
        let data = compat();
        for case in data["invalid_secrets"].as_array().unwrap() {
            let secret = s(&case["secret"]);
            let derived = derive(secret);
            assert_eq!(derived.derivation, Derivation::Sha256Fallback, "{}", s(&case["name"]));
            assert!(derived.legacy.is_none());
            let expected = FernetKey::from_bytes(&Sha256::digest(secret.as_bytes()).into());
            assert_eq!(derived.current.to_base64(), expected.to_base64());
            let token = encrypt(&derived.current, b"value", 1, [1; 16]);
            assert_eq!(key_ring(secret, &[]).decrypt(&token, 1, None).unwrap(), b"value");
        }
    }

    #[test]
    fn python_decoder_quirks() {
        // Results checked against CPython 3.11's base64.urlsafe_b64decode.
        assert_eq!(python_b64decode(b"ab=c="), Some(vec![0x69, 0xb7]));
        assert_eq!(python_b64decode(b"YQ"), None);
        assert_eq!(python_b64decode(b"YR=="), Some(b"a".to_vec()));
        assert_eq!(python_b64decode(b"Y Q = = xx"), Some(b"a".to_vec()));
        assert_eq!(python_b64decode(b"=YQ=="), Some(b"a".to_vec()));
        assert_eq!(python_b64decode(b"YQ=x="), Some(vec![b'a', 0x0c]));
        assert_eq!(python_b64decode(b"Y"), None);
        // Which secrets Langflow takes as Fernet keys (checked with Python `cryptography`): stray
        // bytes are skipped, padding is counted in characters, trailing bits are ignored.
        let key = "Ez6088KlAg3uDQKvuRToWf42B0thtesS-ptSxO6iLC4=";
        for (secret, direct) in [
            ("Ez6088KlAg3uDQKvuRToWf42B0thtesS-ptSxO6iLC4=!", true),
            ("Ez6088KlAg3uDQKvuRToWf42B0thtesS-ptSxO6iLC5", true),
            ("Ez6088KlAg3uDQKvuRToWf42B0thtesS+ptSxO6iLC4", true),
            ("Ez6088KlAg3uDQKvuRToWf42B0thtesS-ptSxO6iLC4\u{e9}\u{e9}", true),
            ("Ez6088KlAg3uDQKvuRToWf42B0thtesS-ptSxO6iLC4!", false),
            ("Ez6088KlAg3uDQKvuRToWf42B0thtesS-ptSxO6iLC4\u{e9}", false),
        ] {
            let d = derive(secret);
            if direct {
                assert_eq!((d.derivation, d.current.to_base64().as_str()), (Derivation::Direct, key), "{secret}");
            } else {
                assert_eq!(d.derivation, Derivation::Sha256Fallback, "{secret}");
            }
        }
    }

    #[test]
    fn fallback_secrets_decrypt_old_tokens() {
        let old = "dev-secret";
        let new = generate_secret([42; 32]);
        let old_ring = key_ring(old, &[]);
        let token = old_ring.encrypt(b"kept", 10, [7; 16]).unwrap();
        let legacy_token = encrypt(derive(old).legacy.as_ref().unwrap(), b"older", 10, [8; 16]);

        let ring = key_ring(&new, &[String::new(), old.to_owned(), old.to_owned()]);
        assert_eq!(ring.decrypt(&token, 10, None).unwrap(), b"kept");
        assert_eq!(ring.decrypt(&legacy_token, 10, None).unwrap(), b"older");
        assert_eq!(ring.primary().unwrap().to_base64(), derive(&new).current.to_base64());
        let rotated = ring.rotate(&token, [9; 16]).unwrap();
        assert!(ring.is_current(&rotated));
        assert!(decrypt(&derive(&new).current, &rotated, 10, None).is_ok());
        assert!(key_ring(&new, &[]).decrypt(&token, 10, None).is_err());
    }

    #[test]
    fn key_ring_order_without_duplicates() {
        let ring = key_ring("a", &["b".to_owned(), "a".to_owned(), String::new()]);
        let (a, b) = (derive("a"), derive("b"));
        let expected =
            [&a.current, a.legacy.as_ref().unwrap(), &b.current, b.legacy.as_ref().unwrap()].map(FernetKey::to_base64);
        let got: Vec<String> = ring.keys().iter().map(FernetKey::to_base64).collect();
        assert_eq!(got, expected);
        // Long secrets have no legacy key.
        assert_eq!(key_ring(&generate_secret([1; 32]), &[]).keys().len(), 1);
    }

    #[test]
    fn generated_secret_is_a_direct_key() {
        let secret = generate_secret([0xfb; 32]);
        assert_eq!(secret.len(), 43);
        assert!(secret.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        let derived = derive(&secret);
        assert_eq!(derived.derivation, Derivation::Direct);
        assert!(derived.legacy.is_none());
        assert_eq!(derived.current.to_base64(), FernetKey::from_bytes(&[0xfb; 32]).to_base64());
    }

    mod properties {
        use super::*;
        use crate::core::test_support::interesting_text;
        use base64::engine::general_purpose::{STANDARD, URL_SAFE};
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn any_secret_derives_keys(
                secret in prop_oneof![any::<String>(), interesting_text(50), "[A-Za-z0-9_=+/-]{28,48}"],
                fallback in any::<String>(),
            ) {
                let derived = derive(&secret);
                prop_assert_eq!(derived.legacy.is_some(), secret.chars().count() < 32);
                let ring = key_ring(&secret, &[fallback, String::new()]);
                let token = ring.encrypt(b"x", 0, [1; 16]).unwrap();
                prop_assert_eq!(ring.decrypt(&token, 0, None), Ok(b"x".to_vec()));
            }

            #[test]
            fn generated_secrets_are_their_own_keys(random in any::<[u8; 32]>()) {
                let derived = derive(&generate_secret(random));
                prop_assert_eq!(derived.derivation, Derivation::Direct);
                prop_assert_eq!(derived.current.to_base64(), FernetKey::from_bytes(&random).to_base64());
            }

            #[test]
            fn python_base64_never_panics_and_reads_canonical_base64(junk in proptest::collection::vec(any::<u8>(), 0..80), bytes in proptest::collection::vec(any::<u8>(), 0..60)) {
                let _ = python_b64decode(&junk);
                prop_assert_eq!(python_b64decode(URL_SAFE.encode(&bytes).as_bytes()), Some(bytes.clone()));
                prop_assert_eq!(python_b64decode(STANDARD.encode(&bytes).as_bytes()), Some(bytes));
            }
        }
    }
}
