//! Password policy, hashing and verification (DESIGN deviation 3).
//!
//! New hashes are Argon2id; Langflow's bcrypt hashes still verify, so an imported Langflow
//! database keeps working, and are flagged for re-hashing on the next successful login.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

const MIN_CHARS: usize = 8;
const MAX_CHARS: usize = 4096;

/// OWASP's first Argon2id choice: ~35 ms in workerd, well under the CPU budget of a request.
const M_COST: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const OUTPUT_LEN: usize = 32;

/// Checked at compile time, so hashing never has a parameter error to handle at run time.
const CURRENT_PARAMS: Params = match Params::new(M_COST, T_COST, P_COST, Some(OUTPUT_LEN)) {
    Ok(params) => params,
    Err(_) => panic!("invalid Argon2 parameters"),
};

/// Stored hashes choose their own cost. These ceilings keep a corrupt or hostile row from
/// exhausting an isolate's 128 MB or its CPU time, and keep `p` small enough that argon2's
/// `m < 8 * p` check cannot overflow (a debug-build panic).
const MAX_M_COST: u32 = 65_536;
const MAX_T_COST: u32 = 10;
const MAX_P_COST: u32 = 16;
/// Langflow uses 12; every extra step doubles the time, and 31 would never finish.
const MAX_BCRYPT_COST: u32 = 16;

/// Python's `len()` counts code points, so limits are in `char`s, not bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordPolicyError {
    TooShort,
    TooLong,
    ContainsNul,
}

impl PasswordPolicyError {
    /// Shown to the user as the `detail` of a 400, so it says what to do.
    pub fn message(&self) -> &'static str {
        match self {
            PasswordPolicyError::TooShort => "Password must be at least 8 characters long.",
            PasswordPolicyError::TooLong => "Password must be at most 4096 characters long.",
            PasswordPolicyError::ContainsNul => "Password must not contain NUL characters.",
        }
    }
}

/// NUL is refused because C-based bcrypt implementations stop at it, and Langflow refuses it too.
pub fn check_policy(password: &str) -> Result<(), PasswordPolicyError> {
    if password.contains('\0') {
        return Err(PasswordPolicyError::ContainsNul);
    }
    // Stop counting past the limit so a huge body costs no more than a 4097-char one.
    let chars = password.chars().take(MAX_CHARS + 1).count();
    if chars < MIN_CHARS {
        return Err(PasswordPolicyError::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordPolicyError::TooLong);
    }
    Ok(())
}

fn current_argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, CURRENT_PARAMS)
}

/// New hashes: Argon2id m=19456 KiB, t=2, p=1, 32-byte output, PHC string
/// (`$argon2id$v=19$m=19456,t=2,p=1$...`). The salt is an argument because this module has no
/// randomness of its own.
///
/// Argon2 can only fail here for a password over 4 GiB, far beyond the policy; in that case the
/// result is an empty string, which never verifies (fail closed rather than panic).
pub fn hash_password(password: &str, salt: [u8; 16]) -> String {
    let Ok(salt) = SaltString::encode_b64(&salt) else {
        return String::new();
    };
    current_argon2().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// `needs_rehash`: the password is right but the stored hash is not the current scheme; the
    /// caller should store `hash_password(password, ..)` while it has the plain password.
    Valid {
        needs_rehash: bool,
    },
    Invalid,
}

/// Argon2 PHC hashes verify with the parameters written in the hash (constant-time comparison in
/// the library), and need a rehash when those differ from the current ones. Langflow's bcrypt
/// hashes (`$2a$`/`$2b$`/`$2y$`) verify on the first 72 UTF-8 bytes, as Langflow does, and always
/// need a rehash. Anything else (empty, garbage, other schemes, absurd costs) is `Invalid`.
///
/// Passwords with NUL or over 4096 chars are `Invalid` without hashing, as in Langflow: the policy
/// never let anyone set one, and refusing early reveals nothing about the account.
pub fn verify_password(password: &str, stored_hash: &str) -> Verification {
    hashed_verification(password, stored_hash).map_or(Verification::Invalid, |(verification, _)| verification)
}

/// `verify_password`, and which kind of hashing it did; `None` when it refused before hashing.
fn hashed_verification(password: &str, stored_hash: &str) -> Option<(Verification, HashingDone)> {
    if matches!(check_policy(password), Err(PasswordPolicyError::ContainsNul | PasswordPolicyError::TooLong)) {
        return None;
    }
    if is_bcrypt(stored_hash) {
        Some((verify_bcrypt(password, stored_hash)?, HashingDone { argon2id: false, bcrypt: true }))
    } else {
        Some((verify_argon2(password, stored_hash)?, HashingDone { argon2id: true, bcrypt: false }))
    }
}

fn is_bcrypt(stored_hash: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"].iter().any(|prefix| stored_hash.starts_with(prefix))
}

/// `None`: refused before hashing.
fn verify_bcrypt(password: &str, stored_hash: &str) -> Option<Verification> {
    // `$2b$12$` + 22 salt chars + 31 hash chars. The crate splits on every `$` and skips empty
    // pieces, so the exact layout is checked here, as Python's bcrypt does.
    let cost = match stored_hash.as_bytes() {
        bytes @ [_, _, _, _, tens @ b'0'..=b'9', ones @ b'0'..=b'9', b'$', ..] if bytes.len() == 60 => {
            u32::from(tens - b'0') * 10 + u32::from(ones - b'0')
        }
        _ => return None,
    };
    if !(4..=MAX_BCRYPT_COST).contains(&cost) {
        return None;
    }
    // Langflow hashes `pw.encode()[:72]`: a byte cut that may split a character, which is fine
    // because bcrypt works on bytes. The crate then appends the NUL terminator and keeps at most
    // 72 bytes, exactly like OpenBSD's (and Python's) bcrypt.
    let pw = password.as_bytes();
    let pw = pw.get(..72).unwrap_or(pw);
    Some(match bcrypt::verify(pw, stored_hash) {
        Ok(true) => Verification::Valid { needs_rehash: true },
        _ => Verification::Invalid,
    })
}

/// `None`: refused before hashing.
fn verify_argon2(password: &str, stored_hash: &str) -> Option<Verification> {
    let Ok(hash) = PasswordHash::new(stored_hash) else {
        return None;
    };
    let algorithm = match hash.algorithm.as_str() {
        "argon2id" => Algorithm::Argon2id,
        "argon2i" => Algorithm::Argon2i,
        "argon2d" => Algorithm::Argon2d,
        _ => return None,
    };
    let within_limits = hash.params.iter().all(|(name, value)| {
        let max = match name.as_str() {
            "m" => MAX_M_COST,
            "t" => MAX_T_COST,
            "p" => MAX_P_COST,
            _ => return true,
        };
        value.decimal().is_ok_and(|v| v <= max)
    });
    if !within_limits {
        return None;
    }
    // Checked before verifying, so unsupported parameters are an error, never a panic.
    let Ok(params) = Params::try_from(&hash) else {
        return None;
    };
    if current_argon2().verify_password(password.as_bytes(), &hash).is_err() {
        return Some(Verification::Invalid);
    }
    let current = algorithm == Algorithm::Argon2id
        && hash.version.is_none_or(|v| v == u32::from(Version::V0x13))
        && params.m_cost() == M_COST
        && params.t_cost() == T_COST
        && params.p_cost() == P_COST
        && params.output_len() == Some(OUTPUT_LEN)
        && params.keyid().is_empty()
        && params.data().is_empty();
    Some(Verification::Valid { needs_rehash: !current })
}

/// Verified when the username is unknown, so that case costs the same time as a wrong password
/// (deviation 2). Same parameters as new hashes; the password behind it was random and discarded.
/// The `password` of an account that signs in only with single sign-on: not a hash format, so it
/// never verifies, whatever is typed.
pub const NO_PASSWORD: &str = "!sso-only";

/// Whether `stored_hash` is `NO_PASSWORD` (or anything else that can never verify).
pub fn is_unusable(stored_hash: &str) -> bool {
    stored_hash.starts_with('!')
}

pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$fGqAy9+7GfW+JWbHW0ypUQ$MsNpzDpWuqHt6TAMJC3cH+ad+iTKuns+bXQ1EMpUlJg";

/// A bcrypt hash at Langflow's cost 12 (made by Python's bcrypt in Langflow 1.13's venv) of a
/// random, discarded password: verified as the dummy half of a failed sign-in.
pub const DUMMY_BCRYPT_HASH: &str = "$2b$12$WI4FLOAQz2S.iEvJ7RrCLe7ZsKfCzBhnNU0IzfPdtxyn9Cf.uXCWG";

/// The hashing a sign-in check did, for the test that every failure does the same work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashingDone {
    pub argon2id: bool,
    pub bcrypt: bool,
}

/// A sign-in's password check, costing the same for every failure (the timing side of
/// deviation 2): an unknown user, a wrong password for an Argon2id hash and one for a bcrypt hash
/// (about 280 ms against 35 ms) must not be told apart by time. So every failure verifies both
/// an Argon2id hash and a bcrypt hash at Langflow's cost, one real and one dummy (or both dummy).
/// Workers' clock does not advance during CPU work, so equal work, not padding to a measured
/// time, is what makes them equal. A right Argon2id password costs only its own verification.
pub fn verify_sign_in(password: &str, stored_hash: Option<&str>) -> (Verification, HashingDone) {
    let checked = stored_hash.and_then(|stored| hashed_verification(password, stored));
    let (verification, mut done) = checked.unwrap_or((Verification::Invalid, HashingDone::default()));
    if verification == Verification::Invalid {
        equalise_failure(password, &mut done);
    }
    (verification, done)
}

/// Verifies the dummy hashes of the kinds `done` lacks, so a failure has done both.
pub fn equalise_failure(password: &str, done: &mut HashingDone) {
    if !done.argon2id {
        let _ = verify_argon2(password, DUMMY_HASH);
        done.argon2id = true;
    }
    if !done.bcrypt {
        let _ = verify_bcrypt(password, DUMMY_BCRYPT_HASH);
        done.bcrypt = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors() -> serde_json::Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/langflow-compat.json");
        let text = std::fs::read_to_string(path).expect("read langflow-compat.json");
        serde_json::from_str(&text).expect("parse langflow-compat.json")
    }

    fn bcrypt_vectors() -> Vec<(String, String)> {
        vectors()["bcrypt"]
            .as_array()
            .expect("bcrypt array")
            .iter()
            .map(|v| {
                (v["password"].as_str().expect("password").to_owned(), v["hash"].as_str().expect("hash").to_owned())
            })
            .collect()
    }

    const REHASH: Verification = Verification::Valid { needs_rehash: true };
    const OK: Verification = Verification::Valid { needs_rehash: false };

    #[test]
    fn langflow_bcrypt_vectors_verify_and_need_rehash() {
        let vectors = bcrypt_vectors();
        assert_eq!(vectors.len(), 2);
        for (password, hash) in &vectors {
            assert_eq!(verify_password(password, hash), REHASH, "{hash}");
            assert_eq!(verify_password("wrong password", hash), Verification::Invalid);
        }
    }

    #[test]
    fn bcrypt_counts_only_the_first_72_bytes() {
        let (password, hash) =
            bcrypt_vectors().into_iter().find(|(p, _)| p.len() > 72).expect("a vector longer than 72 bytes");
        assert_eq!(verify_password(&password[..72], &hash), REHASH);
        let mut other = password[..71].to_owned();
        other.push('q');
        assert_eq!(other.len(), 72);
        assert_eq!(verify_password(&other, &hash), Verification::Invalid);
        // A multibyte character straddling byte 72 is cut, not an error.
        let mut straddling = password[..71].to_owned();
        straddling.push('é');
        assert_eq!(verify_password(&straddling, &hash), Verification::Invalid);
    }

    #[test]
    fn malformed_bcrypt_hashes_are_invalid() {
        let (password, hash) = bcrypt_vectors().remove(0);
        let cases = [
            hash.replacen("$2b$", "$2x$", 1),
            hash.replacen("$12$", "$99$", 1),
            hash.replacen("$12$", "$31$", 1),
            hash.replacen("$12$", "$03$", 1),
            hash.replacen("$12$", "$1a$", 1),
            hash[..59].to_owned(),
            format!("{hash}A"),
            format!("{}é", &hash[..58]),
            format!("{}$$", &hash[..58]),
            "$2b$12$".to_owned(),
            "$2b$".to_owned(),
        ];
        for case in &cases {
            assert_eq!(verify_password(&password, case), Verification::Invalid, "{case}");
        }
        // NUL in the password is refused before bcrypt sees it.
        assert_eq!(verify_password(&format!("{password}\0"), &hash), Verification::Invalid);
    }

    #[test]
    fn argon2_round_trip() {
        let hash = hash_password("correct horse battery", [7u8; 16]);
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert_eq!(verify_password("correct horse battery", &hash), OK);
        assert_eq!(verify_password("correct horse batterY", &hash), Verification::Invalid);
        assert_eq!(verify_password("", &hash), Verification::Invalid);
    }

    #[test]
    fn argon2_with_other_params_verifies_and_needs_rehash() {
        let salt = SaltString::encode_b64(&[9u8; 16]).unwrap();
        let cases = [
            (Algorithm::Argon2id, Params::new(8192, 1, 1, Some(32)).unwrap()),
            (Algorithm::Argon2id, Params::new(19_456, 2, 1, Some(16)).unwrap()),
            (Algorithm::Argon2i, Params::new(19_456, 2, 1, Some(32)).unwrap()),
        ];
        for (algorithm, params) in cases {
            let hash = Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(b"old password", &salt)
                .unwrap()
                .to_string();
            assert_eq!(verify_password("old password", &hash), REHASH, "{hash}");
            assert_eq!(verify_password("old passwore", &hash), Verification::Invalid);
        }
    }

    #[test]
    fn dummy_hash_is_current_and_rejects() {
        let hash = PasswordHash::new(DUMMY_HASH).expect("DUMMY_HASH parses");
        assert_eq!(hash.algorithm.as_str(), "argon2id");
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(verify_password("langflow", DUMMY_HASH), Verification::Invalid);
    }

    #[test]
    fn the_single_sign_on_marker_never_verifies() {
        assert!(is_unusable(NO_PASSWORD));
        assert!(!is_unusable(DUMMY_HASH));
        for typed in ["", "!sso-only", "sso-only", "password123"] {
            assert_eq!(verify_password(typed, NO_PASSWORD), Verification::Invalid, "{typed}");
        }
    }

    #[test]
    fn every_failed_sign_in_verifies_both_kinds_and_a_right_argon2id_one_only_its_own() {
        const BOTH: HashingDone = HashingDone { argon2id: true, bcrypt: true };
        let (bcrypt_password, bcrypt_hash) = bcrypt_vectors().remove(0);
        let argon2_hash = hash_password("correct horse battery", [3u8; 16]);
        // Unknown user, wrong password for Argon2id, for bcrypt, and a stored hash refused unread.
        assert_eq!(verify_sign_in("correct horse battery", None), (Verification::Invalid, BOTH));
        assert_eq!(verify_sign_in("wrong password", Some(&argon2_hash)), (Verification::Invalid, BOTH));
        assert_eq!(verify_sign_in("wrong password", Some(&bcrypt_hash)), (Verification::Invalid, BOTH));
        assert_eq!(verify_sign_in("wrong password", Some("garbage")), (Verification::Invalid, BOTH));
        // Successes do only the real verification.
        let argon2_only = HashingDone { argon2id: true, bcrypt: false };
        assert_eq!(verify_sign_in("correct horse battery", Some(&argon2_hash)), (OK, argon2_only));
        let bcrypt_only = HashingDone { argon2id: false, bcrypt: true };
        assert_eq!(verify_sign_in(&bcrypt_password, Some(&bcrypt_hash)), (REHASH, bcrypt_only));
        // The unknown user's dummy never verifies, whatever the password.
        assert_eq!(verify_sign_in("langflow", None).0, Verification::Invalid);
    }

    #[test]
    fn the_dummy_bcrypt_hash_is_well_formed_at_langflows_cost() {
        assert!(DUMMY_BCRYPT_HASH.starts_with("$2b$12$"));
        assert_eq!(DUMMY_BCRYPT_HASH.len(), 60);
        // Valid bcrypt that rejects: it did the full cost-12 work (a malformed hash would not).
        assert!(bcrypt::verify("langflow", DUMMY_BCRYPT_HASH).is_ok_and(|ok| !ok));
    }

    #[test]
    fn garbage_hashes_are_invalid() {
        let cases = [
            "",
            "$",
            "$$$$",
            "plaintext",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$!!!!",
            "$argon2id$v=99$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=19456,t=2,p=4294967295$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=19456,t=4294967295,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=1,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=19456,t=0,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=19456,t=2,p=1,x=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
            "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$scrypt$ln=1,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "\u{0}\u{ffff}é",
        ];
        for case in cases {
            assert_eq!(verify_password("password123", case), Verification::Invalid, "{case:?}");
            assert_eq!(verify_password("", case), Verification::Invalid, "{case:?}");
        }
    }

    #[test]
    fn policy_boundaries() {
        assert_eq!(check_policy(""), Err(PasswordPolicyError::TooShort));
        assert_eq!(check_policy("1234567"), Err(PasswordPolicyError::TooShort));
        assert_eq!(check_policy("12345678"), Ok(()));
        assert_eq!(check_policy(&"a".repeat(4096)), Ok(()));
        assert_eq!(check_policy(&"a".repeat(4097)), Err(PasswordPolicyError::TooLong));
        assert_eq!(check_policy("1234\u{0}5678"), Err(PasswordPolicyError::ContainsNul));
        // Characters, not bytes: 7 two-byte chars are 14 bytes but still too short.
        assert_eq!(check_policy(&"é".repeat(7)), Err(PasswordPolicyError::TooShort));
        assert_eq!(check_policy(&"é".repeat(8)), Ok(()));
        assert_eq!(check_policy(&"😀".repeat(4096)), Ok(()));
        assert_eq!(check_policy(&"😀".repeat(4097)), Err(PasswordPolicyError::TooLong));
        for err in [PasswordPolicyError::TooShort, PasswordPolicyError::TooLong, PasswordPolicyError::ContainsNul] {
            assert!(err.message().starts_with("Password must"));
        }
        assert_eq!(PasswordPolicyError::TooShort.message(), "Password must be at least 8 characters long.");
    }

    #[test]
    fn verify_refuses_what_the_policy_forbids_without_hashing() {
        let long = "a".repeat(4097);
        let hash = hash_password(&long, [1u8; 16]);
        assert_eq!(verify_password(&long, &hash), Verification::Invalid);
        let with_nul = "abcd\u{0}efgh";
        let hash = hash_password(with_nul, [1u8; 16]);
        assert_eq!(verify_password(with_nul, &hash), Verification::Invalid);
    }

    mod properties {
        use super::*;
        use crate::core::test_support::{apply, edits, interesting_text};
        use proptest::prelude::*;

        /// Stored hashes of every shape, costs kept cheap or beyond the ceilings (which are
        /// refused before any hashing), so the test stays fast.
        fn stored_hash() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                interesting_text(80),
                "\\$2[abxy]\\$(0[0-5]|[2-9][0-9])\\$[./A-Za-z0-9]{50,56}",
                "\\$argon2(id|i|d)\\$(v=(16|19|[0-9]{1,3})\\$)?m=([0-9]{1,2}|[0-9]{7,12}),t=[0-9]{1,2},p=[0-9]{1,2}(,keyid=[A-Za-z0-9+/]{0,8})?\\$[A-Za-z0-9+/]{0,30}\\$[A-Za-z0-9+/]{0,50}",
            ]
        }

        /// Argon2id at the smallest parameters, so that verifying takes microseconds.
        fn cheap_argon2(password: &str) -> String {
            let salt = SaltString::encode_b64(&[5u8; 16]).unwrap();
            Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8, 1, 1, Some(32)).unwrap())
                .hash_password(password.as_bytes(), &salt)
                .unwrap()
                .to_string()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn verify_never_panics(password in prop_oneof![any::<String>(), interesting_text(20)], hash in stored_hash()) {
                let _ = (verify_password(&password, &hash), check_policy(&password));
            }

            #[test]
            fn edited_hashes_never_panic_and_never_take_another_password(password in "[a-z]{8,12}", other in "[A-Z]{8,12}", edits in edits()) {
                let hash = cheap_argon2(&password);
                prop_assert_eq!(verify_password(&password, &hash), Verification::Valid { needs_rehash: true });
                let edited = apply(&hash, &edits);
                let _ = verify_password(&password, &edited);
                prop_assert_eq!(verify_password(&other, &edited), Verification::Invalid);
            }

        }

        proptest! {
            // bcrypt at cost 4 takes milliseconds unoptimised: fewer cases.
            #![proptest_config(ProptestConfig::with_cases(16))]

            #[test]
            fn edited_bcrypt_hashes_never_panic(password in "[a-z]{8,12}", edits in edits()) {
                let hash = bcrypt::hash(&password, 4).unwrap();
                prop_assert_eq!(verify_password(&password, &hash), Verification::Valid { needs_rehash: true });
                // Edit after `$2b$04$`: a changed cost could make the test slow, not wrong.
                let edited = format!("{}{}", &hash[..7], apply(&hash[7..], &edits));
                let _ = verify_password(&password, &edited);
            }
        }
    }
}
