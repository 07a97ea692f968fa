//! Single sign-on with an OpenID Connect provider: the authorization code flow with PKCE (S256),
//! `state` and `nonce` bound to the browser by a signed cookie (`core::oidc`), the provider's
//! discovery document and JWKS fetched and cached per isolate, the ID token's signature verified
//! with WebCrypto (RS256, ES256) before any claim is read, then the account: found by (issuer,
//! subject), linked by verified email only when allowed, else provisioned through
//! `service::users`. The result is an ordinary session (`service::sign_in`).
//!
//! Nothing is written before every check passed. The client secret goes only to the provider's
//! token endpoint: never into an error, a log line or an answer.

use super::audit::{self, Event, Record};
use super::identity::{object, subtle, usages};
use super::sign_in::{self, SignInError, SignedIn};
use super::users::{self, UserError};
use super::{failure_variant, random_bytes, session_cache, Call, Failure, Services};
use crate::core::ids::UserId;
use crate::core::oidc::{
    self, AccessRefusal, AccessRules, Algorithm, Expected, Flow, FlowError, TokenRefusal, VerifiedClaims,
};
use crate::core::{ids, time};
use crate::db::oidc_identities::{self, Identity};
use crate::db::{self, users::User};
use crate::settings::{is_loopback_host, OidcProvider};
use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys;

/// The JWKS is fetched again for an unknown `kid` at most this often.
const JWKS_REFETCH_SECS: i64 = 60;
/// Discovery documents and key sets are kept this long without a reason to refetch.
const CACHE_SECS: i64 = 3600;
/// Attempts at a unique username (`alice`, `alice-2`, ...) before giving up.
const USERNAME_ATTEMPTS: u32 = 20;

#[derive(Debug)]
pub enum OidcError {
    /// No provider is configured.
    NotConfigured,
    /// The browser's flow cookie is missing, altered, expired, or names another `state`.
    Flow(FlowError),
    /// The provider sent the browser back with an error (the person cancelled, or was refused).
    ProviderDenied,
    /// The token endpoint refused the code: used already, expired, or not this client's.
    CodeRejected,
    /// The provider could not be reached or answered nonsense; the text is for the log only.
    Unavailable(String),
    Token(TokenRefusal),
    Access(AccessRefusal),
    WaitingForApproval,
    Inactive,
    Failed(Failure),
}
failure_variant!(OidcError);

impl From<UserError> for OidcError {
    fn from(err: UserError) -> Self {
        match err {
            UserError::Failed(err) => OidcError::Failed(err),
            UserError::Username(rule) => OidcError::Failed(Failure::Internal(format!("provisioning: {rule}"))),
            _ => OidcError::Failed(Failure::Internal("provisioning failed".into())),
        }
    }
}

impl From<SignInError> for OidcError {
    fn from(err: SignInError) -> Self {
        match err {
            SignInError::WaitingForApproval => OidcError::WaitingForApproval,
            SignInError::Inactive | SignInError::AccountInactive => OidcError::Inactive,
            SignInError::Failed(err) => OidcError::Failed(err),
            _ => OidcError::Failed(Failure::Internal("single sign-on: unexpected sign-in refusal".into())),
        }
    }
}

/// The provider's endpoints, from its discovery document.
struct Discovery {
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

struct KeySet {
    /// Public JWKs as the provider published them (JS objects).
    keys: Vec<JsValue>,
    fetched_at: i64,
}

thread_local! {
    static DISCOVERY: RefCell<Option<(String, Rc<Discovery>, i64)>> = const { RefCell::new(None) };
    static JWKS: RefCell<Option<(String, Rc<KeySet>)>> = const { RefCell::new(None) };
}

/// The configured provider (one for now; the settings keep a list).
pub fn provider(services: &Services) -> Option<&OidcProvider> {
    services.settings().oidc.first()
}

/// A string member of a JS object (a parsed JSON answer).
fn member(object: &JsValue, name: &str) -> Option<String> {
    Reflect::get(object, &name.into()).ok().and_then(|v| v.as_string())
}

/// One request to the provider with the runtime's `fetch`, its JSON answer read by the runtime
/// too (`Null` when it is not JSON): no HTTP or JSON code of ours in the wasm for it.
async fn send(url: &str, form_body: Option<&str>, what: &str) -> Result<(u16, JsValue), OidcError> {
    let failed = |err: JsValue| OidcError::Unavailable(format!("{what}: {}", err.as_string().unwrap_or_default()));
    let headers = web_sys::Headers::new().map_err(failed)?;
    headers.set("accept", "application/json").map_err(failed)?;
    let init = web_sys::RequestInit::new();
    // workerd knows only `follow` and `manual`; a redirect then answers 3xx, which is refused.
    init.set_redirect(web_sys::RequestRedirect::Manual);
    if let Some(body) = form_body {
        headers.set("content-type", "application/x-www-form-urlencoded").map_err(failed)?;
        init.set_method("POST");
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(failed)?;
    let global = js_sys::global();
    let fetch: Function = Reflect::get(&global, &"fetch".into()).and_then(|f| f.dyn_into()).map_err(failed)?;
    let promise: Promise = fetch.call1(&global, &request).and_then(|p| p.dyn_into()).map_err(failed)?;
    let response: web_sys::Response = JsFuture::from(promise)
        .await
        .and_then(|r| r.dyn_into())
        .map_err(|_| OidcError::Unavailable(format!("{what}: could not connect")))?;
    let body = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    Ok((response.status(), body))
}

async fn get_json(url: &str, what: &str) -> Result<JsValue, OidcError> {
    match send(url, None, what).await? {
        (200, document) if document.is_object() => Ok(document),
        (status, _) => Err(OidcError::Unavailable(format!("{what}: HTTP {status}"))),
    }
}

fn endpoint(document: &JsValue, name: &str) -> Result<String, OidcError> {
    member(document, name)
        .filter(|url| oidc::is_allowed_endpoint(url, is_loopback_host))
        .ok_or_else(|| OidcError::Unavailable(format!("discovery: {name} missing or not https")))
}

async fn discovery(provider: &OidcProvider, now: i64) -> Result<Rc<Discovery>, OidcError> {
    let cached = DISCOVERY.with(|d| {
        d.borrow()
            .as_ref()
            .filter(|(issuer, _, at)| issuer == &provider.issuer && now - at < CACHE_SECS)
            .map(|(_, found, _)| found.clone())
    });
    if let Some(found) = cached {
        return Ok(found);
    }
    let url = format!("{}/.well-known/openid-configuration", provider.issuer.trim_end_matches('/'));
    let document = get_json(&url, "discovery").await?;
    // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
    if member(&document, "issuer").as_deref() != Some(provider.issuer.as_str()) {
        return Err(OidcError::Unavailable(
            "discovery: the document names another issuer than LANGFLOW_OIDC_ISSUER (check the exact URL, trailing slash included)"
                .into(),
        ));
    }
    let found = Rc::new(Discovery {
        authorization_endpoint: endpoint(&document, "authorization_endpoint")?,
        token_endpoint: endpoint(&document, "token_endpoint")?,
        jwks_uri: endpoint(&document, "jwks_uri")?,
    });
    DISCOVERY.with(|d| *d.borrow_mut() = Some((provider.issuer.clone(), found.clone(), now)));
    Ok(found)
}

async fn fetch_keys(jwks_uri: &str, now: i64) -> Result<Rc<KeySet>, OidcError> {
    let document = get_json(jwks_uri, "jwks").await?;
    let keys = Reflect::get(&document, &"keys".into())
        .ok()
        .filter(Array::is_array)
        .map(|k| Array::from(&k).to_vec())
        .unwrap_or_default();
    let set = Rc::new(KeySet { keys, fetched_at: now });
    JWKS.with(|j| *j.borrow_mut() = Some((jwks_uri.to_string(), set.clone())));
    Ok(set)
}

/// The key for a token's `kid` and algorithm: from the cached set, else from a fresh fetch when
/// the cache is over a minute old (a provider rotating its keys), else none.
async fn key_for(jwks_uri: &str, alg: Algorithm, kid: Option<&str>, now: i64) -> Result<JsValue, OidcError> {
    let fits = |key: &&JsValue| {
        let field = |name: &str| member(key, name);
        field("kty").as_deref() == Some(alg.key_type())
            && field("alg").is_none_or(|a| a == alg.name())
            && field("use").is_none_or(|u| u == "sig")
            && (alg != Algorithm::Es256 || field("crv").as_deref() == Some("P-256"))
            && kid.is_none_or(|kid| field("kid").as_deref() == Some(kid))
    };
    let pick = |set: &KeySet| {
        let mut fitting = set.keys.iter().filter(fits);
        match (fitting.next(), fitting.next()) {
            (Some(one), None) => Some(one.clone()),
            // Without a `kid`, only an unambiguous key is used.
            (Some(first), Some(_)) if kid.is_some() => Some(first.clone()),
            _ => None,
        }
    };
    let cached = JWKS.with(|j| j.borrow().as_ref().filter(|(uri, _)| uri == jwks_uri).map(|(_, set)| set.clone()));
    let stale = |set: &KeySet| now - set.fetched_at >= CACHE_SECS;
    let set = match cached {
        Some(set) if !stale(&set) => set,
        _ => fetch_keys(jwks_uri, now).await?,
    };
    if let Some(key) = pick(&set) {
        return Ok(key);
    }
    if now - set.fetched_at >= JWKS_REFETCH_SECS {
        if let Some(key) = pick(&*fetch_keys(jwks_uri, now).await?) {
            return Ok(key);
        }
    }
    Err(OidcError::Token(TokenRefusal::UnknownKey))
}

/// WebCrypto verification of a JWS signature with a public JWK. Only the public members are
/// imported, so a JWK's `key_ops` or `ext` cannot get in the way.
async fn signature_verifies(alg: Algorithm, jwk: &JsValue, input: &[u8], signature: &[u8]) -> Result<bool, JsValue> {
    let part = |name: &str| JsValue::from_str(&member(jwk, name).unwrap_or_default());
    let (public, import, verify) = match alg {
        Algorithm::Rs256 => (
            object(&[("kty", "RSA".into()), ("n", part("n")), ("e", part("e"))])?,
            object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", "SHA-256".into())])?,
            object(&[("name", "RSASSA-PKCS1-v1_5".into())])?,
        ),
        Algorithm::Es256 => (
            object(&[("kty", "EC".into()), ("crv", "P-256".into()), ("x", part("x")), ("y", part("y"))])?,
            object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())])?,
            object(&[("name", "ECDSA".into()), ("hash", "SHA-256".into())])?,
        ),
    };
    let key = subtle("importKey", &["jwk".into(), public, import, false.into(), usages(&["verify"])]).await?;
    let result =
        subtle("verify", &[verify, key, Uint8Array::from(signature).into(), Uint8Array::from(input).into()]).await?;
    Ok(result.as_bool() == Some(true))
}

/// The ID token's signature, then its claims; the claims are not read before the signature held.
async fn verify_id_token(
    provider: &OidcProvider,
    found: &Discovery,
    id_token: &str,
    nonce: &str,
    now: i64,
) -> Result<VerifiedClaims, OidcError> {
    let token = oidc::split_token(id_token).map_err(OidcError::Token)?;
    if token.alg == Algorithm::Es256 && token.signature.len() != 64 {
        return Err(OidcError::Token(TokenRefusal::BadSignature));
    }
    let key = key_for(&found.jwks_uri, token.alg, token.kid.as_deref(), now).await?;
    let verified =
        signature_verifies(token.alg, &key, token.signing_input.as_bytes(), &token.signature).await.unwrap_or(false);
    if !verified {
        return Err(OidcError::Token(TokenRefusal::BadSignature));
    }
    let expected = Expected { issuer: &provider.issuer, client_id: &provider.client_id, nonce, now_secs: now };
    oidc::check_claims(&token, &expected).map_err(OidcError::Token)
}

/// Trades the code for tokens at the token endpoint (client_secret_post, with the PKCE verifier)
/// and returns the ID token.
async fn exchange(
    provider: &OidcProvider,
    found: &Discovery,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> Result<String, OidcError> {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("code_verifier", verifier)
        .append_pair("client_id", &provider.client_id)
        .append_pair("client_secret", &provider.client_secret)
        .finish();
    let what = "token endpoint";
    let (status, answer) = send(&found.token_endpoint, Some(&body), what).await?;
    let error = member(&answer, "error");
    if status == 400 && error.as_deref() == Some("invalid_grant") {
        return Err(OidcError::CodeRejected);
    }
    if status != 200 {
        // The provider's `error` code only: its description might echo what was sent.
        let error = error.unwrap_or_default();
        return Err(OidcError::Unavailable(format!("{what}: HTTP {status} ({error})")));
    }
    member(&answer, "id_token")
        .ok_or_else(|| OidcError::Unavailable(format!("{what}: no id_token (is `openid` in LANGFLOW_OIDC_SCOPES?)")))
}

/// A sign-in about to leave for the provider: where to send the browser, and the flow cookie.
pub struct Started {
    pub location: String,
    pub flow_cookie: String,
}

/// Begins a sign-in: a fresh `state`, `nonce` and PKCE verifier, sealed into the cookie.
pub async fn start(services: &Services, call: &Call, next: &str, redirect_uri: &str) -> Result<Started, OidcError> {
    let provider = provider(services).ok_or(OidcError::NotConfigured)?;
    let now = call.now_secs();
    let found = discovery(provider, now).await?;
    let flow = Flow::new([random_bytes::<32>()?, random_bytes::<32>()?, random_bytes::<32>()?], next, now);
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &provider.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &provider.scopes)
        .append_pair("state", &flow.state)
        .append_pair("nonce", &flow.nonce)
        .append_pair("code_challenge", &oidc::pkce_challenge(&flow.verifier))
        .append_pair("code_challenge_method", "S256")
        .finish();
    let separator = if found.authorization_endpoint.contains('?') { '&' } else { '?' };
    Ok(Started {
        location: format!("{}{separator}{query}", found.authorization_endpoint),
        flow_cookie: oidc::seal_flow(&oidc::flow_key(&services.state.form_key), &flow),
    })
}

/// What the provider sent back to the callback, and what the browser carried.
pub struct Callback<'a> {
    pub flow_cookie: Option<&'a str>,
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
    pub redirect_uri: &'a str,
}

/// Finishes a sign-in: checks everything, then finds, links or provisions the account and
/// starts its session. Returns the session and where to go next.
pub async fn complete(services: &Services, call: &Call, back: &Callback<'_>) -> Result<(SignedIn, String), OidcError> {
    let result = verify_and_sign_in(services, call, back).await;
    // Refusals of the provider's answer are security events; an inactive account is recorded by
    // sign_in, an unreachable provider is not the visitor's doing.
    let reason = match &result {
        Err(OidcError::Flow(_)) => Some("SSO_STATE_MISMATCH"),
        Err(OidcError::CodeRejected) => Some("SSO_CODE_REJECTED"),
        Err(OidcError::Token(_)) => Some("SSO_ID_TOKEN_REFUSED"),
        Err(OidcError::Access(_)) => Some("SSO_ACCESS_REFUSED"),
        _ => None,
    };
    if let Some(reason) = reason {
        audit::record(services, call, Record::new(Event::SignInFailed).reason(reason));
    }
    result
}

async fn verify_and_sign_in(
    services: &Services,
    call: &Call,
    back: &Callback<'_>,
) -> Result<(SignedIn, String), OidcError> {
    let provider = provider(services).ok_or(OidcError::NotConfigured)?;
    let now = call.now_secs();
    let key = oidc::flow_key(&services.state.form_key);
    let flow = oidc::open_flow(&key, back.flow_cookie, back.state, now).map_err(OidcError::Flow)?;
    if back.error.is_some() {
        return Err(OidcError::ProviderDenied);
    }
    let code = back.code.filter(|c| !c.is_empty()).ok_or(OidcError::ProviderDenied)?;
    let found = discovery(provider, now).await?;
    let id_token = exchange(provider, &found, code, &flow.verifier, back.redirect_uri).await?;
    let claims = verify_id_token(provider, &found, &id_token, &flow.nonce, now).await?;
    let rules = AccessRules {
        allowed_domains: &provider.allowed_domains,
        allowed_groups: &provider.allowed_groups,
        superuser_groups: &provider.superuser_groups,
        groups_claim: &provider.groups_claim,
    };
    let superuser = oidc::check_access(&claims, &rules).map_err(OidcError::Access)?;
    let signed_in = account_and_session(services, call, provider, &claims, superuser).await?;
    Ok((signed_in, flow.next))
}

async fn account_and_session(
    services: &Services,
    call: &Call,
    provider: &OidcProvider,
    claims: &VerifiedClaims,
    superuser: Option<bool>,
) -> Result<SignedIn, OidcError> {
    let (db, now) = (&services.db, call.now_secs());
    let email = claims.text("email");
    let mut writes = Vec::new();
    let known = oidc_identities::find_user(db, &provider.issuer, &claims.subject).await?;
    let mut user = match known {
        Some(user) => {
            writes.push(oidc_identities::record_login(db, &provider.issuer, &claims.subject, email, now)?);
            user
        }
        None => {
            let linked = match claims.verified_email().filter(|_| provider.link_by_email) {
                Some(email) => linkable_by_email(services, provider, email).await?,
                None => None,
            };
            match linked {
                Some(user) => {
                    writes.push(oidc_identities::insert(db, &new_identity(provider, claims, &user.id, now)?)?);
                    user
                }
                None => provision(services, call, provider, claims, superuser.unwrap_or(false)).await?,
            }
        }
    };
    // Group-based rights are decided again at every sign-in.
    let was_superuser = user.superuser();
    if let Some(superuser) = superuser.filter(|s| *s != user.superuser()) {
        user.is_superuser = i64::from(superuser);
        user.updated_at = time::iso_micros(call.now_ms);
        writes.push(db::users::set_superuser(db, &user.id, superuser, &user.updated_at)?);
        session_cache::forget_user(&user.id);
    }
    let changed = superuser.filter(|s| *s != was_superuser);
    let signed_in = sign_in::with_identity(services, call, user, writes).await?;
    // Recorded once the change was written (an inactive account's sign-in writes nothing).
    if let Some(superuser) = changed {
        let event = if superuser { Event::SuperuserGranted } else { Event::SuperuserRevoked };
        let groups = r#"{"by":"LANGFLOW_OIDC_SUPERUSER_GROUPS"}"#;
        audit::record(services, call, Record::new(event).about(&signed_in.user).details(groups.into()));
    }
    Ok(signed_in)
}

/// The account a first sign-in with a verified `email` may be linked to: one whose username is
/// that email, and only if linking cannot hand over more than a password would: never a
/// superuser, an account with two-factor on, or one already linked to this provider (a reassigned
/// email at the provider is a new person).
async fn linkable_by_email(services: &Services, provider: &OidcProvider, email: &str) -> Result<Option<User>, Failure> {
    let db = &services.db;
    let Some(user) = db::users::find_by_username_ignoring_case(db, email).await? else { return Ok(None) };
    if user.superuser() {
        return Ok(None);
    }
    if db::two_factor::find(db, &user.id).await?.is_some_and(|row| row.confirmed()) {
        return Ok(None);
    }
    let identities = oidc_identities::for_users(db, &[user.id.as_str()]).await?;
    if identities.iter().any(|identity| identity.issuer == provider.issuer) {
        return Ok(None);
    }
    Ok(Some(user))
}

fn new_identity(
    provider: &OidcProvider,
    claims: &VerifiedClaims,
    user_id: &UserId,
    now: i64,
) -> Result<Identity, Failure> {
    Ok(Identity {
        id: ids::uuid_v4(random_bytes::<16>()?),
        user_id: user_id.clone(),
        issuer: provider.issuer.clone(),
        subject: claims.subject.clone(),
        email: claims.text("email").map(str::to_string),
        created_at: now,
        last_login_at: now,
    })
}

/// A first sign-in: a new account (as `service::users` makes every account) with its identity,
/// under the first free username from the claims.
async fn provision(
    services: &Services,
    call: &Call,
    provider: &OidcProvider,
    claims: &VerifiedClaims,
    superuser: bool,
) -> Result<User, OidcError> {
    let base = oidc::base_username(claims, &provider.username_claims);
    let active = services.settings().new_user_is_active;
    for n in 1..=USERNAME_ATTEMPTS {
        let username = oidc::username_candidate(&base, n);
        let attempt = users::provision(services, call, &username, active, superuser, |user| {
            let identity = new_identity(provider, claims, &user.id, call.now_secs())?;
            Ok(vec![oidc_identities::insert(&services.db, &identity)?])
        })
        .await;
        match attempt {
            Ok(user) => return Ok(user),
            Err(UserError::UsernameTaken) => {
                // Another sign-in of the same person may have just created the identity.
                if let Some(user) = oidc_identities::find_user(&services.db, &provider.issuer, &claims.subject).await? {
                    return Ok(user);
                }
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(Failure::Internal("no free username for a new single sign-on account".into()).into())
}

/// How each listed user signs in: their identities (for the admin page).
pub async fn identities_of(services: &Services, user_ids: &[&str]) -> Result<Vec<Identity>, Failure> {
    Ok(oidc_identities::for_users(&services.db, user_ids).await?)
}

/// Unlinks an identity: its provider account no longer signs in as this user (a next sign-in
/// would provision a new account, or link by email where allowed).
pub async fn unlink(
    services: &Services,
    call: &Call,
    admin: &super::auth::Superuser<'_>,
    user_id: &UserId,
    identity_id: &str,
) -> Result<bool, Failure> {
    let unlinked = oidc_identities::delete(&services.db, user_id, identity_id).await?;
    if unlinked {
        audit::record(services, call, Record::new(Event::IdentityUnlinked).by(admin).about_id(user_id.as_str()));
    }
    Ok(unlinked)
}
