//! OpenID Connect sign-in, the pure parts: PKCE (S256), the signed flow cookie that binds
//! `state`, `nonce` and the PKCE verifier to the browser, the ID token's shape and claim checks
//! (run only after its signature verified, `service::oidc`), the username a new account gets,
//! and the domain and group rules.

use super::csrf::hmac_sha256;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::Mac;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How long a browser may take at the provider between `/login/oidc` and the callback.
pub const FLOW_MAX_AGE_SECS: i64 = 600;
/// Clock skew allowed on `exp` and `iat`.
pub const CLOCK_SKEW_SECS: i64 = 60;
/// An ID token issued further back than this is refused even when `exp` is later.
pub const MAX_TOKEN_AGE_SECS: i64 = 600;

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// RFC 7636 S256: BASE64URL(SHA256(ASCII(verifier))).
pub fn pkce_challenge(verifier: &str) -> String {
    b64url(&Sha256::digest(verifier.as_bytes()))
}

/// The key that signs flow cookies, derived from the pages' form key (itself derived from the
/// secret key), so it differs from the JWT and form-token keys and changes with the secret.
pub fn flow_key(form_key: &[u8]) -> [u8; 32] {
    let mut mac = hmac_sha256(form_key);
    mac.update(b"langflow-edge oidc flow cookie v1");
    mac.finalize().into_bytes().into()
}

/// What the browser carries between the start of a sign-in and its callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// Where to go after signing in (already made safe by the caller).
    pub next: String,
    pub issued_at: i64,
}

impl Flow {
    /// `state`, `nonce` and the verifier from 32 random bytes each.
    pub fn new(random: [[u8; 32]; 3], next: &str, now_secs: i64) -> Flow {
        let [state, nonce, verifier] = random;
        Flow {
            state: b64url(&state),
            nonce: b64url(&nonce),
            verifier: b64url(&verifier),
            next: next.to_string(),
            issued_at: now_secs,
        }
    }
}

fn flow_mac(key: &[u8; 32], body: &str) -> String {
    let mut mac = hmac_sha256(key);
    mac.update(body.as_bytes());
    b64url(&mac.finalize().into_bytes())
}

/// `v1.<issued_at>.<state>.<nonce>.<verifier>.<next, base64url>.<HMAC>`: every part is
/// cookie-safe, and none but the last may be changed without the HMAC failing.
pub fn seal_flow(key: &[u8; 32], flow: &Flow) -> String {
    let body = format!(
        "v1.{}.{}.{}.{}.{}",
        flow.issued_at,
        flow.state,
        flow.nonce,
        flow.verifier,
        b64url(flow.next.as_bytes())
    );
    let mac = flow_mac(key, &body);
    format!("{body}.{mac}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowError {
    /// No flow cookie: the browser did not start this sign-in (or took too long and lost it).
    Missing,
    /// The cookie was altered or made with another key.
    Forged,
    Expired,
    /// The `state` the provider sent back is not this browser's.
    StateMismatch,
}

/// The flow in `cookie`, if it is ours, recent, and its `state` is the one returned.
pub fn open_flow(
    key: &[u8; 32],
    cookie: Option<&str>,
    returned_state: Option<&str>,
    now_secs: i64,
) -> Result<Flow, FlowError> {
    let cookie = cookie.filter(|c| !c.is_empty()).ok_or(FlowError::Missing)?;
    let (body, mac) = cookie.rsplit_once('.').ok_or(FlowError::Forged)?;
    let expected = flow_mac(key, body);
    if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) {
        return Err(FlowError::Forged);
    }
    let parts: Vec<&str> = body.split('.').collect();
    let [version, issued_at, state, nonce, verifier, next] = parts.as_slice() else {
        return Err(FlowError::Forged);
    };
    if *version != "v1" {
        return Err(FlowError::Forged);
    }
    let issued_at: i64 = issued_at.parse().map_err(|_| FlowError::Forged)?;
    if now_secs < issued_at - CLOCK_SKEW_SECS || now_secs - issued_at > FLOW_MAX_AGE_SECS {
        return Err(FlowError::Expired);
    }
    let returned = returned_state.unwrap_or_default();
    if returned.is_empty() || !bool::from(state.as_bytes().ct_eq(returned.as_bytes())) {
        return Err(FlowError::StateMismatch);
    }
    let next = URL_SAFE_NO_PAD.decode(next).ok().and_then(|b| String::from_utf8(b).ok()).ok_or(FlowError::Forged)?;
    Ok(Flow {
        state: (*state).to_string(),
        nonce: (*nonce).to_string(),
        verifier: (*verifier).to_string(),
        next,
        issued_at,
    })
}

/// Why an ID token was refused. Nothing in it is used before `check_claims` passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Malformed,
    /// `none`, HS256 or anything else than RS256 / ES256.
    Algorithm,
    /// No key in the provider's JWKS has this `kid` (or fits the algorithm).
    UnknownKey,
    BadSignature,
    Issuer,
    Audience,
    AuthorizedParty,
    Expired,
    IssuedInFuture,
    Nonce,
    NoSubject,
}

impl TokenRefusal {
    /// For the log and the refusal page, as a sentence: what was wrong, never the token.
    pub fn reason(self) -> &'static str {
        match self {
            TokenRefusal::Malformed => "The ID token is malformed.",
            TokenRefusal::Algorithm => {
                "The ID token uses a signature algorithm that is not accepted (only RS256 and ES256)."
            }
            TokenRefusal::UnknownKey => "The ID token is signed by a key the provider does not publish.",
            TokenRefusal::BadSignature => "The ID token's signature does not verify.",
            TokenRefusal::Issuer => "The ID token comes from another issuer.",
            TokenRefusal::Audience => "The ID token was issued for another application.",
            TokenRefusal::AuthorizedParty => "The ID token was issued to another party (azp).",
            TokenRefusal::Expired => "The ID token has expired.",
            TokenRefusal::IssuedInFuture => "The ID token is dated in the future.",
            TokenRefusal::Nonce => "The ID token does not belong to this sign-in (nonce).",
            TokenRefusal::NoSubject => "The ID token names no subject.",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Rs256,
    Es256,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Es256 => "ES256",
        }
    }

    pub fn key_type(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RSA",
            Algorithm::Es256 => "EC",
        }
    }
}

/// A compact JWS split and decoded, its signature not yet checked: only `alg` and `kid` may be
/// read before it is.
pub struct UnverifiedToken {
    pub alg: Algorithm,
    pub kid: Option<String>,
    pub signing_input: String,
    pub signature: Vec<u8>,
    payload: Vec<u8>,
}

/// A JSON object from bytes (through `from_str`, the one serde_json reader already in the wasm).
fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, TokenRefusal> {
    let text = std::str::from_utf8(bytes).map_err(|_| TokenRefusal::Malformed)?;
    serde_json::from_str(text).map_err(|_| TokenRefusal::Malformed)
}

fn decode_part(part: &str) -> Result<Vec<u8>, TokenRefusal> {
    URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenRefusal::Malformed)
}

pub fn split_token(token: &str) -> Result<UnverifiedToken, TokenRefusal> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else { return Err(TokenRefusal::Malformed) };
    let header: Map<String, Value> = json_object(&decode_part(header)?)?;
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some("RS256") => Algorithm::Rs256,
        Some("ES256") => Algorithm::Es256,
        _ => return Err(TokenRefusal::Algorithm),
    };
    // Headers that would tell a verifier to fetch or trust another key are not followed.
    if ["jku", "x5u", "jwk", "crit"].iter().any(|h| header.contains_key(*h)) {
        return Err(TokenRefusal::Algorithm);
    }
    let signature = decode_part(signature)?;
    if signature.is_empty() {
        return Err(TokenRefusal::BadSignature);
    }
    Ok(UnverifiedToken {
        alg,
        kid: header.get("kid").and_then(Value::as_str).map(str::to_string),
        signing_input: format!("{}.{}", parts.first().copied().unwrap_or_default(), payload),
        signature,
        payload: decode_part(payload)?,
    })
}

/// What must hold for an ID token of this sign-in.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now_secs: i64,
}

/// The claims of an ID token whose signature and claims were checked.
#[derive(Debug, Clone)]
pub struct VerifiedClaims {
    pub subject: String,
    claims: Map<String, Value>,
}

impl VerifiedClaims {
    pub fn text(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
    }

    /// `email`, when the provider says it is verified. Google and Okta send `email_verified`;
    /// Entra ID does not send it, and its `email` is then not taken as verified.
    pub fn verified_email(&self) -> Option<&str> {
        let verified = match self.claims.get("email_verified") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        };
        self.text("email").filter(|_| verified)
    }

    /// The groups claim: an array of strings, or one string.
    pub fn groups(&self, claim: &str) -> Vec<String> {
        match self.claims.get(claim) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        }
    }
}

fn number(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    claims.get(name).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}

/// OpenID Connect Core §3.1.3.7, for a token whose signature verified.
pub fn check_claims(token: &UnverifiedToken, expected: &Expected) -> Result<VerifiedClaims, TokenRefusal> {
    let claims = json_object(&token.payload)?;
    if claims.get("iss").and_then(Value::as_str) != Some(expected.issuer) {
        return Err(TokenRefusal::Issuer);
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err(TokenRefusal::Audience);
    }
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != expected.client_id => return Err(TokenRefusal::AuthorizedParty),
        None if audiences.len() > 1 => return Err(TokenRefusal::AuthorizedParty),
        _ => {}
    }
    let exp = number(&claims, "exp").ok_or(TokenRefusal::Malformed)?;
    if expected.now_secs > exp.saturating_add(CLOCK_SKEW_SECS) {
        return Err(TokenRefusal::Expired);
    }
    let iat = number(&claims, "iat").ok_or(TokenRefusal::Malformed)?;
    if iat > expected.now_secs.saturating_add(CLOCK_SKEW_SECS) {
        return Err(TokenRefusal::IssuedInFuture);
    }
    if expected.now_secs.saturating_sub(iat) > MAX_TOKEN_AGE_SECS {
        return Err(TokenRefusal::Expired);
    }
    let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or_default();
    if nonce.is_empty() || !bool::from(nonce.as_bytes().ct_eq(expected.nonce.as_bytes())) {
        return Err(TokenRefusal::Nonce);
    }
    let subject = claims.get("sub").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or(TokenRefusal::NoSubject)?;
    Ok(VerifiedClaims { subject: subject.to_string(), claims })
}

/// Who may sign in, and who is a superuser, by the verified claims.
pub struct AccessRules<'a> {
    pub allowed_domains: &'a [String],
    pub allowed_groups: &'a [String],
    pub superuser_groups: &'a [String],
    pub groups_claim: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessRefusal {
    Domain,
    Group,
}

/// `Ok(Some(superuser))` when superuser groups are configured, `Ok(None)` when not (the flag is
/// then left as it is).
pub fn check_access(claims: &VerifiedClaims, rules: &AccessRules) -> Result<Option<bool>, AccessRefusal> {
    if !rules.allowed_domains.is_empty() {
        let domain = claims.verified_email().and_then(|e| e.rsplit_once('@')).map(|(_, d)| d.to_ascii_lowercase());
        if !domain.is_some_and(|d| rules.allowed_domains.iter().any(|a| a.eq_ignore_ascii_case(&d))) {
            return Err(AccessRefusal::Domain);
        }
    }
    let groups = claims.groups(rules.groups_claim);
    let in_any = |wanted: &[String]| groups.iter().any(|g| wanted.contains(g));
    if !rules.allowed_groups.is_empty() && !in_any(rules.allowed_groups) && !in_any(rules.superuser_groups) {
        return Err(AccessRefusal::Group);
    }
    Ok((!rules.superuser_groups.is_empty()).then(|| in_any(rules.superuser_groups)))
}

/// The username a new account starts from: the first claim of `claims` that is set, made a
/// valid username (no control characters, no surrounding spaces, at most 150 characters);
/// the subject when none is.
pub fn base_username(verified: &VerifiedClaims, claims: &[String]) -> String {
    // An email names an account only when the provider vouches for it (linking by email may later
    // match a username).
    let claim = |c: &String| if c == "email" { verified.verified_email() } else { verified.text(c) };
    let picked = claims.iter().find_map(claim).unwrap_or(verified.subject.as_str());
    let cleaned: String = picked.chars().filter(|c| !c.is_control()).take(140).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "user".to_string()
    } else {
        cleaned.to_string()
    }
}

/// The `n`th candidate for a unique username: the base, then `base-2`, `base-3`, ...
pub fn username_candidate(base: &str, n: u32) -> String {
    if n <= 1 {
        base.to_string()
    } else {
        format!("{base}-{n}")
    }
}

/// `true` for `http://` URLs on a loopback host, and for `https://` URLs.
pub fn is_allowed_endpoint(url: &str, loopback: impl Fn(&str) -> bool) -> bool {
    if let Some(rest) = url.strip_prefix("https://") {
        return !rest.is_empty();
    }
    url.strip_prefix("http://").map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default()).is_some_and(loopback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> [u8; 32] {
        flow_key(b"fuJFQ-X9JYDDBYxZ6PnhRRG1gzVVanOX3RWXEVsKtuU")
    }

    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_sealed_flow_opens_only_with_its_state_key_and_in_time() {
        let flow = Flow::new([[1; 32], [2; 32], [3; 32]], "/flows?x=1", 1000);
        let sealed = seal_flow(&key(), &flow);
        assert_eq!(open_flow(&key(), Some(&sealed), Some(&flow.state), 1100), Ok(flow.clone()));
        assert_eq!(open_flow(&key(), Some(&sealed), Some("other"), 1100), Err(FlowError::StateMismatch));
        assert_eq!(open_flow(&key(), Some(&sealed), None, 1100), Err(FlowError::StateMismatch));
        assert_eq!(open_flow(&key(), None, Some(&flow.state), 1100), Err(FlowError::Missing));
        assert_eq!(open_flow(&key(), Some(&sealed), Some(&flow.state), 1000 + 601), Err(FlowError::Expired));
        let other_key = flow_key(b"another secret");
        assert_eq!(open_flow(&other_key, Some(&sealed), Some(&flow.state), 1100), Err(FlowError::Forged));
        // Changing any part (here the issue time, to outlive the limit) breaks the HMAC.
        let tampered = sealed.replacen("v1.1000.", "v1.1500.", 1);
        assert_eq!(open_flow(&key(), Some(&tampered), Some(&flow.state), 1600), Err(FlowError::Forged));
        assert_eq!(open_flow(&key(), Some("garbage"), Some("x"), 1100), Err(FlowError::Forged));
    }

    fn token(header: Value, claims: Value) -> String {
        format!(
            "{}.{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes()),
            b64url(b"signature")
        )
    }

    fn good_claims() -> Value {
        json!({"iss": "https://idp.example", "aud": "client-1", "sub": "abc", "exp": 2000, "iat": 1000, "nonce": "n-1"})
    }

    fn check(claims: Value) -> Result<VerifiedClaims, TokenRefusal> {
        let token = split_token(&token(json!({"alg": "RS256", "kid": "k1"}), claims))?;
        check_claims(
            &token,
            &Expected { issuer: "https://idp.example", client_id: "client-1", nonce: "n-1", now_secs: 1010 },
        )
    }

    fn with(field: &str, value: Value) -> Value {
        let mut claims = good_claims();
        claims[field] = value;
        claims
    }

    #[test]
    fn only_rs256_and_es256_pass_the_header() {
        let claims = good_claims();
        for alg in ["none", "HS256", "RS512", "PS256"] {
            let t = token(json!({ "alg": alg }), claims.clone());
            assert_eq!(split_token(&t).err(), Some(TokenRefusal::Algorithm), "{alg}");
        }
        let t = token(json!({"alg": "RS256", "jku": "https://evil.example/keys"}), claims.clone());
        assert_eq!(split_token(&t).err(), Some(TokenRefusal::Algorithm));
        let unsigned = format!("{}.{}.", b64url(br#"{"alg":"RS256"}"#), b64url(claims.to_string().as_bytes()));
        assert_eq!(split_token(&unsigned).err(), Some(TokenRefusal::BadSignature));
        assert_eq!(split_token("a.b").err(), Some(TokenRefusal::Malformed));
        let es = split_token(&token(json!({"alg": "ES256", "kid": "e"}), claims)).unwrap();
        assert_eq!((es.alg, es.kid.as_deref()), (Algorithm::Es256, Some("e")));
    }

    #[test]
    fn claims_are_checked_as_openid_connect_core_says() {
        assert_eq!(check(good_claims()).unwrap().subject, "abc");
        assert_eq!(check(with("iss", json!("https://evil.example"))).err(), Some(TokenRefusal::Issuer));
        assert_eq!(check(with("aud", json!("client-2"))).err(), Some(TokenRefusal::Audience));
        assert!(check(with("aud", json!(["client-1"]))).is_ok());
        assert_eq!(check(with("aud", json!(["client-1", "other"]))).err(), Some(TokenRefusal::AuthorizedParty));
        let mut both = with("aud", json!(["client-1", "other"]));
        both["azp"] = json!("client-1");
        assert!(check(both).is_ok());
        assert_eq!(check(with("azp", json!("other"))).err(), Some(TokenRefusal::AuthorizedParty));
        assert_eq!(check(with("exp", json!(900))).err(), Some(TokenRefusal::Expired));
        assert!(check(with("exp", json!(1000))).is_ok(), "within the skew");
        assert_eq!(check(with("iat", json!(1200))).err(), Some(TokenRefusal::IssuedInFuture));
        assert_eq!(check(with("iat", json!(100))).err(), Some(TokenRefusal::Expired));
        assert_eq!(check(with("nonce", json!("n-2"))).err(), Some(TokenRefusal::Nonce));
        assert_eq!(check(with("nonce", json!(null))).err(), Some(TokenRefusal::Nonce));
        assert_eq!(check(with("sub", json!(""))).err(), Some(TokenRefusal::NoSubject));
        assert_eq!(check(with("exp", json!("soon"))).err(), Some(TokenRefusal::Malformed));
    }

    fn claims(extra: Value) -> VerifiedClaims {
        let mut all = good_claims();
        if let (Some(all), Some(extra)) = (all.as_object_mut(), extra.as_object()) {
            all.extend(extra.clone());
        }
        check(all).unwrap()
    }

    #[test]
    fn domains_need_a_verified_email_and_groups_a_match() {
        let (domains, groups, admins) =
            (vec!["example.com".to_string()], vec!["staff".to_string()], vec!["admins".to_string()]);
        let rules = AccessRules {
            allowed_domains: &domains,
            allowed_groups: &groups,
            superuser_groups: &admins,
            groups_claim: "groups",
        };
        let ok = claims(json!({"email": "a@Example.com", "email_verified": true, "groups": ["staff"]}));
        assert_eq!(check_access(&ok, &rules), Ok(Some(false)));
        let admin = claims(json!({"email": "a@example.com", "email_verified": true, "groups": ["admins"]}));
        assert_eq!(check_access(&admin, &rules), Ok(Some(true)));
        let unverified = claims(json!({"email": "a@example.com", "groups": ["staff"]}));
        assert_eq!(check_access(&unverified, &rules), Err(AccessRefusal::Domain));
        let other = claims(json!({"email": "a@example.com.evil.org", "email_verified": true, "groups": ["staff"]}));
        assert_eq!(check_access(&other, &rules), Err(AccessRefusal::Domain));
        let outsider = claims(json!({"email": "a@example.com", "email_verified": true, "groups": "visitors"}));
        assert_eq!(check_access(&outsider, &rules), Err(AccessRefusal::Group));
        let open =
            AccessRules { allowed_domains: &[], allowed_groups: &[], superuser_groups: &[], groups_claim: "groups" };
        assert_eq!(check_access(&outsider, &open), Ok(None));
    }

    #[test]
    fn usernames_come_from_the_first_claim_that_is_set() {
        let names = vec!["preferred_username".to_string(), "email".to_string()];
        assert_eq!(base_username(&claims(json!({"preferred_username": " ann ", "email": "a@x"})), &names), "ann");
        assert_eq!(base_username(&claims(json!({"email": "a@x", "email_verified": true})), &names), "a@x");
        assert_eq!(base_username(&claims(json!({"email": "a@x"})), &names), "abc", "an unverified email is not a name");
        assert_eq!(base_username(&claims(json!({})), &names), "abc");
        assert_eq!(base_username(&claims(json!({"preferred_username": "a\u{0}b"})), &names), "ab");
        let long = "x".repeat(400);
        assert_eq!(base_username(&claims(json!({ "preferred_username": long })), &names).len(), 140);
        assert_eq!(username_candidate("ann", 1), "ann");
        assert_eq!(username_candidate("ann", 3), "ann-3");
    }

    #[test]
    fn plain_http_endpoints_only_on_loopback() {
        let loopback = |h: &str| h == "127.0.0.1:9000" || h == "localhost:9000";
        assert!(is_allowed_endpoint("https://accounts.google.com", loopback));
        assert!(is_allowed_endpoint("http://127.0.0.1:9000/oidc", loopback));
        assert!(is_allowed_endpoint("http://localhost:9000", loopback));
        assert!(!is_allowed_endpoint("http://idp.example.com", loopback));
        assert!(!is_allowed_endpoint("http://127.0.0.1.evil.com/", loopback));
        assert!(!is_allowed_endpoint("ftp://127.0.0.1", loopback));
    }
}
