//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, HMAC-SHA1, 6 digits, 30 s
//! steps, as every authenticator app defaults to), base32 secrets (RFC 4648), the `otpauth://`
//! URI authenticator apps read, and the recovery codes that stand in for a lost device.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const STEP_SECS: i64 = 30;
pub const DIGITS: u32 = 6;
/// Codes of the previous and next step are accepted too: clocks drift.
pub const SKEW_STEPS: i64 = 1;
/// 160 bits, RFC 4226's recommended secret length.
pub const SECRET_BYTES: usize = 20;
pub const RECOVERY_CODES: usize = 10;

/// The time step `unix_secs` falls in (RFC 6238's T, with T0 = 0).
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The steps whose codes are accepted at `unix_secs`, oldest first, as HOTP counters: the HMAC
/// message for each is the counter's 8 big-endian bytes. (The worker computes HMAC-SHA1 with
/// WebCrypto, which costs less wasm than a SHA-1 crate; so this module takes the digests.)
pub fn candidate_steps(unix_secs: i64) -> impl Iterator<Item = (i64, [u8; 8])> {
    let now = step_at(unix_secs);
    ((now - SKEW_STEPS)..=(now + SKEW_STEPS)).filter_map(|step| Some((step, u64::try_from(step).ok()?.to_be_bytes())))
}

/// HOTP's dynamic truncation (RFC 4226 §5.3) of an HMAC-SHA1 digest, to `DIGITS` digits.
pub fn truncate(hmac_sha1: &[u8]) -> u32 {
    truncate_digits(hmac_sha1, DIGITS)
}

fn truncate_digits(digest: &[u8], digits: u32) -> u32 {
    let offset = usize::from(digest.get(19).copied().unwrap_or(0) & 0x0f);
    let mut word = [0u8; 4];
    for (i, byte) in word.iter_mut().enumerate() {
        *byte = digest.get(offset + i).copied().unwrap_or(0);
    }
    (u32::from_be_bytes(word) & 0x7fff_ffff) % 10u32.pow(digits)
}

/// A code as the user types it: exactly `DIGITS` digits once spaces are removed.
pub fn parse_code(typed: &str) -> Option<u32> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Of the candidate steps with their expected codes, the one `code` is, if it is later than
/// `last_used_step` (a code works once). Every candidate is compared, in constant time.
pub fn matching_step(expected: &[(i64, u32)], code: u32, last_used_step: Option<i64>) -> Option<i64> {
    let mut found = None;
    for (step, expected) in expected {
        let equal: bool = expected.to_be_bytes().ct_eq(&code.to_be_bytes()).into();
        if equal && last_used_step.is_none_or(|last| *step > last) && found.is_none() {
            found = Some(*step);
        }
    }
    found
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as `otpauth://` URIs carry secrets.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32.get(((buffer >> bits) & 31) as usize).copied().unwrap_or(b'A')));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32.get(((buffer << (5 - bits)) & 31) as usize).copied().unwrap_or(b'A')));
    }
    out
}

/// Base32 as people and apps write it: any case, spaces, hyphens and `=` padding ignored.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !matches!(c, ' ' | '-' | '=')) {
        let upper = c.to_ascii_uppercase();
        let value = BASE32.iter().position(|b| char::from(*b) == upper)?;
        buffer = ((buffer << 5) | value as u32) & 0xffff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The enrolment URI (Google Authenticator's Key Uri Format): `issuer:account` as the label,
/// the issuer again as a parameter, the secret in base32.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let issuer = crate::core::html::percent_encode(issuer);
    let account = crate::core::html::percent_encode(account);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        base32_encode(secret)
    )
}

/// A recovery code from 10 random bytes: 16 base32 characters in four groups (80 bits).
pub fn recovery_code(random: [u8; 10]) -> String {
    let plain = base32_encode(&random);
    let mut out = String::with_capacity(19);
    for (i, c) in plain.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// What is stored for a recovery code: hex SHA-256 of its canonical form (upper case, no spaces
/// or hyphens), so `abcd efgh ...` as typed matches. 80 random bits need no slow hash.
pub fn recovery_code_hash(typed: &str) -> Option<String> {
    let canonical: String = typed.chars().filter(|c| !matches!(c, ' ' | '-')).map(|c| c.to_ascii_uppercase()).collect();
    if canonical.len() != 16 || !canonical.bytes().all(|b| BASE32.contains(&b)) {
        return None;
    }
    Some(crate::core::hex(&Sha256::digest(canonical.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HOTP with the HMAC-SHA1 of the RustCrypto crates (test-only), as a reference for
    /// WebCrypto's, which the worker uses.
    fn hotp_digits(secret: &[u8], counter: u64, digits: u32) -> u32 {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(secret).unwrap();
        mac.update(&counter.to_be_bytes());
        truncate_digits(&mac.finalize().into_bytes(), digits)
    }

    fn expected_at(secret: &[u8], unix_secs: i64) -> Vec<(i64, u32)> {
        candidate_steps(unix_secs)
            .map(|(step, message)| (step, hotp_digits(secret, u64::from_be_bytes(message), DIGITS)))
            .collect()
    }

    /// RFC 6238 Appendix B, the SHA-1 column (8 digits, the seed "12345678901234567890").
    #[test]
    fn rfc6238_test_vectors() {
        let seed = b"12345678901234567890";
        let cases = [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ];
        for (time, expected) in cases {
            let step = u64::try_from(step_at(time)).unwrap();
            assert_eq!(hotp_digits(seed, step, 8), expected, "T = {time}");
            // Six digits are the last six of the same truncation.
            assert_eq!(hotp_digits(seed, step, DIGITS), expected % 1_000_000, "T = {time}");
            // The current step is the middle candidate, its message the counter's bytes.
            let candidates: Vec<_> = candidate_steps(time).collect();
            assert_eq!(candidates.get(1), Some(&(step as i64, step.to_be_bytes())), "T = {time}");
        }
    }

    /// RFC 4226 Appendix D.
    #[test]
    fn rfc4226_test_vectors() {
        let expected = [755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871, 520_489];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp_digits(b"12345678901234567890", counter as u64, DIGITS), *code);
        }
    }

    #[test]
    fn codes_match_within_one_step_and_only_once() {
        let secret = [7u8; SECRET_BYTES];
        let now = 1_700_000_015;
        let step = step_at(now);
        let expected = expected_at(&secret, now);
        assert_eq!(expected.len(), 3);
        let code = |s: i64| hotp_digits(&secret, s as u64, DIGITS);
        assert_eq!(matching_step(&expected, code(step), None), Some(step));
        assert_eq!(matching_step(&expected, code(step - 1), None), Some(step - 1));
        assert_eq!(matching_step(&expected, code(step + 1), None), Some(step + 1));
        assert_eq!(matching_step(&expected, code(step - 2), None), None);
        assert_eq!(matching_step(&expected, code(step + 2), None), None);
        // Replay: a code of a step already used, or of an earlier one, is refused.
        assert_eq!(matching_step(&expected, code(step), Some(step)), None);
        assert_eq!(matching_step(&expected, code(step - 1), Some(step)), None);
        assert_eq!(matching_step(&expected, code(step + 1), Some(step)), Some(step + 1));
        // Before the epoch's first steps there is nothing to count back to.
        assert_eq!(candidate_steps(0).map(|(s, _)| s).collect::<Vec<_>>(), vec![0, 1]);
    }

    #[test]
    fn typed_codes_are_six_digits() {
        assert_eq!(parse_code("123456"), Some(123_456));
        assert_eq!(parse_code(" 012 345 "), Some(12_345));
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６", "-12345", "+12345"] {
            assert_eq!(parse_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn base32_round_trips_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
            assert_eq!(base32_decode(&encoded.to_ascii_lowercase()).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("MZXW6YTBOI======").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW 6YTB-OI").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW1"), None);
    }

    #[test]
    fn the_uri_names_issuer_account_and_secret() {
        let uri = otpauth_uri("langflow-edge", "ada lovelace", b"12345678901234567890");
        assert_eq!(
            uri,
            "otpauth://totp/langflow-edge:ada%20lovelace?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=langflow-edge&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_hash_as_typed() {
        let code = recovery_code([0xA5; 10]);
        assert_eq!(code.len(), 19);
        assert_eq!(code.matches('-').count(), 3);
        let hash = recovery_code_hash(&code).unwrap();
        assert_eq!(recovery_code_hash(&code.to_ascii_lowercase().replace('-', " ")), Some(hash.clone()));
        assert_ne!(recovery_code_hash(&recovery_code([0xA4; 10])), Some(hash));
        for bad in ["", "123456", "ABCD-EFGH-IJKL-MNO", "ABCD-EFGH-IJKL-MNO1", "ABCD-EFGH-IJKL-MNOPQ"] {
            assert_eq!(recovery_code_hash(bad), None, "{bad}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn base32_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
                prop_assert_eq!(base32_decode(&base32_encode(&bytes)), Some(bytes));
            }

            #[test]
            fn parsers_never_panic(text in any::<String>()) {
                let _ = (base32_decode(&text), parse_code(&text), recovery_code_hash(&text));
            }
        }
    }
}
