//! Fernet tokens, byte-compatible with Python's `cryptography.fernet`, so ciphertext already stored
//! by Langflow decrypts here and ours decrypts there.
//!
//! Layout: `0x80 | timestamp u64 BE | IV 16 | AES-128-CBC-PKCS7 ciphertext | HMAC-SHA256`, encoded as
//! urlsafe base64 with padding.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, InnerIvInit, KeyInit};
use aes::Aes128;
use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE as B64_URL};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

const VERSION: u8 = 0x80;
const HEADER_LEN: usize = 1 + 8 + 16;
const MAC_LEN: usize = 32;
const BLOCK: usize = 16;
/// cryptography's `_MAX_CLOCK_SKEW`.
const MAX_CLOCK_SKEW: u64 = 60;

/// Python's decoder accepts input with or without padding quirks and ignores non-zero trailing
/// bits, so keys and tokens it accepts must not be refused here for being non-canonical.
const DECODER: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FernetError {
    InvalidKey,
    InvalidToken,
}

impl fmt::Display for FernetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            // Python's wording, which Langflow surfaces to API clients.
            Self::InvalidKey => "Fernet key must be 32 url-safe base64-encoded bytes.",
            Self::InvalidToken => "invalid Fernet token",
        })
    }
}

impl std::error::Error for FernetError {}

/// A Fernet key with its HMAC state and AES key schedule prepared once, since a worker isolate
/// reuses the same key for every request.
#[derive(Clone)]
pub struct FernetKey {
    bytes: [u8; 32],
    mac: Hmac<Sha256>,
    cipher: Aes128,
}

impl FernetKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        // HMAC zero-pads short keys to the hash block size, so the padded 64-byte key is the same
        // key; it lets us use the infallible constructor.
        let mut mac_key = [0u8; 64];
        mac_key[..16].copy_from_slice(&bytes[..16]);
        let mut enc_key = [0u8; 16];
        enc_key.copy_from_slice(&bytes[16..]);
        Self {
            bytes: *bytes,
            mac: <Hmac<Sha256> as KeyInit>::new(&mac_key.into()),
            cipher: Aes128::new(&enc_key.into()),
        }
    }

    pub fn from_base64(key: &str) -> Result<Self, FernetError> {
        let raw = DECODER.decode(key).map_err(|_| FernetError::InvalidKey)?;
        let bytes: [u8; 32] = raw.try_into().map_err(|_| FernetError::InvalidKey)?;
        Ok(Self::from_bytes(&bytes))
    }

    pub fn to_base64(&self) -> String {
        B64_URL.encode(self.bytes)
    }

    fn tag(&self, data: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(data);
        mac
    }
}

pub fn encrypt(key: &FernetKey, plaintext: &[u8], now_secs: u64, iv: [u8; 16]) -> String {
    let ciphertext =
        cbc::Encryptor::<&Aes128>::inner_iv_init(&key.cipher, &iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plaintext);
    let mut token = Vec::with_capacity(HEADER_LEN + ciphertext.len() + MAC_LEN);
    token.push(VERSION);
    token.extend_from_slice(&now_secs.to_be_bytes());
    token.extend_from_slice(&iv);
    token.extend_from_slice(&ciphertext);
    let tag = key.tag(&token).finalize().into_bytes();
    token.extend_from_slice(&tag);
    B64_URL.encode(token)
}

pub fn decrypt(key: &FernetKey, token: &str, now_secs: u64, ttl_secs: Option<u64>) -> Result<Vec<u8>, FernetError> {
    let data = decode(token)?;
    let (timestamp, plaintext) = open(key, &data)?;
    if let Some(ttl) = ttl_secs {
        // Saturation is exact here: a sum past u64::MAX is beyond any `now`/timestamp anyway.
        if timestamp.saturating_add(ttl) < now_secs || now_secs.saturating_add(MAX_CLOCK_SKEW) < timestamp {
            return Err(FernetError::InvalidToken);
        }
    }
    Ok(plaintext)
}

/// The creation time of a token, read without verifying it: treat it as a hint only.
pub fn token_timestamp(token: &str) -> Result<u64, FernetError> {
    timestamp_of(&decode(token)?)
}

fn decode(token: &str) -> Result<Vec<u8>, FernetError> {
    let data = DECODER.decode(token).map_err(|_| FernetError::InvalidToken)?;
    // Smallest token: header, one ciphertext block, tag. Shorter ones cannot decrypt anyway.
    let body = data.len().checked_sub(HEADER_LEN + MAC_LEN).ok_or(FernetError::InvalidToken)?;
    if data.first() != Some(&VERSION) || body == 0 || body % BLOCK != 0 {
        return Err(FernetError::InvalidToken);
    }
    Ok(data)
}

fn timestamp_of(data: &[u8]) -> Result<u64, FernetError> {
    let ts: [u8; 8] = data.get(1..9).and_then(|s| s.try_into().ok()).ok_or(FernetError::InvalidToken)?;
    Ok(u64::from_be_bytes(ts))
}

/// Authenticates (in constant time) before touching the ciphertext, so padding errors cannot
/// serve as an oracle. `data` must come from `decode`.
fn open(key: &FernetKey, data: &[u8]) -> Result<(u64, Vec<u8>), FernetError> {
    let split = data.len().checked_sub(MAC_LEN).ok_or(FernetError::InvalidToken)?;
    let (signed, tag) = data.split_at(split);
    key.tag(signed).verify_slice(tag).map_err(|_| FernetError::InvalidToken)?;
    let iv: [u8; 16] = signed.get(9..HEADER_LEN).and_then(|s| s.try_into().ok()).ok_or(FernetError::InvalidToken)?;
    let ciphertext = signed.get(HEADER_LEN..).ok_or(FernetError::InvalidToken)?;
    let plaintext = cbc::Decryptor::<&Aes128>::inner_iv_init(&key.cipher, &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
        .map_err(|_| FernetError::InvalidToken)?;
    Ok((timestamp_of(data)?, plaintext))
}

/// Several keys: the first encrypts, any decrypts (cryptography's MultiFernet).
#[derive(Clone)]
pub struct KeyRing {
    keys: Vec<FernetKey>,
}

impl KeyRing {
    pub fn new(keys: Vec<FernetKey>) -> Self {
        Self { keys }
    }

    pub fn primary(&self) -> Option<&FernetKey> {
        self.keys.first()
    }

    #[cfg(test)]
    pub(crate) fn keys(&self) -> &[FernetKey] {
        &self.keys
    }

    pub fn encrypt(&self, plaintext: &[u8], now_secs: u64, iv: [u8; 16]) -> Result<String, FernetError> {
        let key = self.primary().ok_or(FernetError::InvalidKey)?;
        Ok(encrypt(key, plaintext, now_secs, iv))
    }

    pub fn decrypt(&self, token: &str, now_secs: u64, ttl_secs: Option<u64>) -> Result<Vec<u8>, FernetError> {
        self.keys.iter().find_map(|key| decrypt(key, token, now_secs, ttl_secs).ok()).ok_or(FernetError::InvalidToken)
    }

    /// True when the token already verifies under the primary key (rotation can skip it).
    pub fn is_current(&self, token: &str) -> bool {
        match (self.primary(), decode(token)) {
            (Some(key), Ok(data)) => open(key, &data).is_ok(),
            _ => false,
        }
    }

    /// Re-encrypt under the primary key keeping the original timestamp (MultiFernet.rotate), so
    /// rotation does not make old secrets look new to TTL checks.
    pub fn rotate(&self, token: &str, iv: [u8; 16]) -> Result<String, FernetError> {
        let primary = self.primary().ok_or(FernetError::InvalidKey)?;
        let data = decode(token)?;
        let (timestamp, plaintext) =
            self.keys.iter().find_map(|key| open(key, &data).ok()).ok_or(FernetError::InvalidToken)?;
        Ok(encrypt(primary, &plaintext, timestamp, iv))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors(name: &str) -> Vec<Value> {
        let path = format!("{}/tests/vectors/fernet/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    fn now(case: &Value) -> u64 {
        let ts = chrono::DateTime::parse_from_rfc3339(case["now"].as_str().unwrap()).unwrap();
        ts.timestamp() as u64
    }

    fn key(case: &Value) -> FernetKey {
        FernetKey::from_base64(case["secret"].as_str().unwrap()).unwrap()
    }

    fn key_n(n: u8) -> FernetKey {
        FernetKey::from_bytes(&[n; 32])
    }

    #[test]
    fn generate_vectors() {
        for case in vectors("generate.json") {
            let iv: Vec<u8> = serde_json::from_value(case["iv"].clone()).unwrap();
            let iv: [u8; 16] = iv.try_into().unwrap();
            let src = case["src"].as_str().unwrap().as_bytes();
            assert_eq!(encrypt(&key(&case), src, now(&case), iv), case["token"].as_str().unwrap());
        }
    }

    #[test]
    fn verify_vectors() {
        for case in vectors("verify.json") {
            let token = case["token"].as_str().unwrap();
            let ttl = case["ttl_sec"].as_u64();
            let plain = decrypt(&key(&case), token, now(&case), ttl).unwrap();
            assert_eq!(plain, case["src"].as_str().unwrap().as_bytes());
            assert_eq!(token_timestamp(token).unwrap(), 499162800);
        }
    }

    #[test]
    fn invalid_vectors() {
        let cases = vectors("invalid.json");
        assert_eq!(cases.len(), 8);
        for case in cases {
            let token = case["token"].as_str().unwrap();
            let got = decrypt(&key(&case), token, now(&case), case["ttl_sec"].as_u64());
            assert_eq!(got, Err(FernetError::InvalidToken), "{}", case["desc"]);
        }
    }

    #[test]
    fn tampering_any_part_is_rejected() {
        let k = key_n(7);
        let token = encrypt(&k, b"secret value", 1_000, [3; 16]);
        let raw = B64_URL.decode(&token).unwrap();
        // version, timestamp, IV, ciphertext, tag
        for pos in [0, 4, 12, HEADER_LEN + 1, raw.len() - 1] {
            let mut bad = raw.clone();
            bad[pos] ^= 1;
            assert_eq!(decrypt(&k, &B64_URL.encode(&bad), 1_000, None), Err(FernetError::InvalidToken));
        }
        assert_eq!(decrypt(&k, &B64_URL.encode(&raw[..raw.len() - 1]), 1_000, None), Err(FernetError::InvalidToken));
        assert!(decrypt(&key_n(8), &token, 1_000, None).is_err());
        for junk in ["", "gA==", "not base64!", "gAAAAA"] {
            assert!(decrypt(&k, junk, 1_000, None).is_err());
            assert!(!KeyRing::new(vec![k.clone()]).is_current(junk));
        }
    }

    #[test]
    fn ttl_and_skew() {
        let k = key_n(1);
        let token = encrypt(&k, b"", 1_000, [0; 16]);
        assert_eq!(decrypt(&k, &token, 1_060, Some(60)).unwrap(), b"");
        assert!(decrypt(&k, &token, 1_061, Some(60)).is_err());
        assert!(decrypt(&k, &token, 939, Some(60)).is_err());
        // Without a TTL, time is not checked at all (as in Python).
        assert!(decrypt(&k, &token, 0, None).is_ok());
        assert!(decrypt(&k, &token, u64::MAX, None).is_ok());
        assert!(decrypt(&k, &encrypt(&k, b"x", u64::MAX, [0; 16]), u64::MAX, Some(u64::MAX)).is_ok());
    }

    #[test]
    fn key_base64() {
        let k = key_n(9);
        assert_eq!(k.to_base64().len(), 44);
        assert_eq!(FernetKey::from_base64(&k.to_base64()).unwrap().to_base64(), k.to_base64());
        assert_eq!(FernetKey::from_base64(k.to_base64().trim_end_matches('=')).unwrap().to_base64(), k.to_base64());
        for bad in ["", "short", "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJ", "a+b/"] {
            assert_eq!(FernetKey::from_base64(bad).err(), Some(FernetError::InvalidKey));
        }
    }

    #[test]
    fn key_ring_decrypts_with_any_key_and_rotates() {
        let (old, new) = (key_n(1), key_n(2));
        let old_only = KeyRing::new(vec![old.clone()]);
        let ring = KeyRing::new(vec![new.clone(), old.clone()]);
        let token = old_only.encrypt(b"api key", 500, [5; 16]).unwrap();
        assert_eq!(ring.decrypt(&token, 10_000, None).unwrap(), b"api key");
        assert!(!ring.is_current(&token));

        let rotated = ring.rotate(&token, [6; 16]).unwrap();
        assert_eq!(token_timestamp(&rotated).unwrap(), 500);
        assert!(ring.is_current(&rotated));
        assert_eq!(ring.decrypt(&rotated, 10_000, None).unwrap(), b"api key");
        assert_eq!(old_only.decrypt(&rotated, 10_000, None), Err(FernetError::InvalidToken));
        assert_eq!(KeyRing::new(vec![key_n(3)]).rotate(&token, [0; 16]), Err(FernetError::InvalidToken));

        let empty = KeyRing::new(Vec::new());
        assert!(empty.primary().is_none());
        assert_eq!(empty.encrypt(b"x", 0, [0; 16]), Err(FernetError::InvalidKey));
        assert_eq!(empty.decrypt(&token, 0, None), Err(FernetError::InvalidToken));
        assert_eq!(empty.rotate(&token, [0; 16]), Err(FernetError::InvalidKey));
        assert!(!empty.is_current(&token));
    }

    mod properties {
        use super::super::*;
        use crate::core::test_support::{flip_byte, interesting_text};
        use proptest::prelude::*;

        fn token_like() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                interesting_text(60),
                "gAAAAA[A-Za-z0-9_=-]{0,160}",
                "[A-Za-z0-9_-]{0,200}={0,3}"
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn decoding_never_panics(text in token_like(), key in any::<[u8; 32]>(), now in any::<u64>(), ttl in proptest::option::of(any::<u64>())) {
                let key = FernetKey::from_bytes(&key);
                let ring = KeyRing::new(vec![key.clone()]);
                let _ = (decrypt(&key, &text, now, ttl), token_timestamp(&text), FernetKey::from_base64(&text));
                let _ = (ring.decrypt(&text, now, ttl), ring.is_current(&text), ring.rotate(&text, [0; 16]));
            }

            #[test]
            fn round_trip(key in any::<[u8; 32]>(), plain in proptest::collection::vec(any::<u8>(), 0..100), now in any::<u64>(), iv in any::<[u8; 16]>()) {
                let key = FernetKey::from_bytes(&key);
                let token = encrypt(&key, &plain, now, iv);
                prop_assert_eq!(decrypt(&key, &token, now, None), Ok(plain.clone()));
                prop_assert_eq!(decrypt(&key, &token, now, Some(0)), Ok(plain));
                prop_assert_eq!(token_timestamp(&token), Ok(now));
                prop_assert!(KeyRing::new(vec![key.clone()]).is_current(&token));
                prop_assert_eq!(FernetKey::from_base64(&key.to_base64()).map(|k| k.to_base64()), Ok(key.to_base64()));
            }

            #[test]
            fn any_changed_byte_is_refused(
                key in any::<[u8; 32]>(),
                plain in proptest::collection::vec(any::<u8>(), 0..40),
                at in any::<proptest::sample::Index>(),
                xor in any::<u8>(),
                cut in any::<proptest::sample::Index>(),
            ) {
                let key = FernetKey::from_bytes(&key);
                let raw = B64_URL.decode(encrypt(&key, &plain, 1_000, [7; 16])).unwrap();
                let changed = B64_URL.encode(flip_byte(&raw, at, xor));
                prop_assert_eq!(decrypt(&key, &changed, 1_000, None), Err(FernetError::InvalidToken));
                let shortened = B64_URL.encode(&raw[..cut.index(raw.len())]);
                prop_assert_eq!(decrypt(&key, &shortened, 1_000, None), Err(FernetError::InvalidToken));
            }
        }
    }
}
