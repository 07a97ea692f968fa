//! Gateway mode: who a forwarded request is, told to Langflow. Each forwarded request of a
//! signed-in user carries a short-lived RS256 JWT (`core::identity_token`) that Langflow's
//! external auth checks against the keys published at `/.well-known/jwks.json`.
//!
//! Signing uses the runtime's WebCrypto (about 1 ms a signature in workerd, and no RSA code in
//! the wasm; see docs/gateway-notes.md §9). The key is imported once per isolate: from
//! `LANGFLOW_GATEWAY_PRIVATE_KEY`, else from D1, where the first isolate to need one stores a
//! generated key, Fernet-encrypted like every stored secret.

use super::recent::Recent;
use super::{random_bytes, Failure, Services};
use crate::core::hex;
use crate::core::identity_token::{self, IdentityClaims};
use crate::db::{app_secrets, users::User};
use crate::settings::{ConfigError, GatewaySettings};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array, JSON};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

const STORED_KEY: &str = "gateway_private_key";
const VARIABLE: &str = "LANGFLOW_GATEWAY_PRIVATE_KEY";

/// The signing key and what is published about it.
pub struct IdentityKeys {
    /// A WebCrypto `CryptoKey` (RSASSA-PKCS1-v1_5, SHA-256), usable for `sign` only.
    key: JsValue,
    pub kid: String,
    /// `/.well-known/jwks.json`: this key's public part, then `LANGFLOW_GATEWAY_PUBLISHED_KEYS`.
    pub jwks: String,
}

thread_local! {
    static KEYS: RefCell<Option<Rc<IdentityKeys>>> = const { RefCell::new(None) };
    /// Tokens already signed, by user: (user id, username) → (token, exp).
    static ISSUED: RefCell<Recent<(String, String), (String, i64)>> = RefCell::new(Recent::default());
}

/// A signed token is reused while it has at least this long to live, so a busy user costs one
/// signature per half-minute, not one per request. The user is still checked on every request
/// before anything is forwarded.
const REUSE_WHILE_SECS_LEFT: i64 = 30;
/// Users whose tokens one isolate keeps; the oldest makes room.
const ISSUED_CAPACITY: usize = 256;

fn js_failure(what: &str) -> impl Fn(JsValue) -> Failure + '_ {
    move |err| Failure::Internal(format!("WebCrypto {what}: {}", err.as_string().unwrap_or_else(|| format!("{err:?}"))))
}

fn config_error(problem: &str) -> Failure {
    Failure::Config(ConfigError { variable: VARIABLE, problem: problem.to_string() })
}

/// `crypto.subtle.<method>(...args)`, awaited.
pub(super) async fn subtle(method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into())?;
    let subtle = Reflect::get(&crypto, &"subtle".into())?;
    let function: Function = Reflect::get(&subtle, &method.into())?.dyn_into()?;
    let promise: Promise = function.apply(&subtle, &args.iter().collect::<Array>())?.dyn_into()?;
    JsFuture::from(promise).await
}

pub(super) fn object(pairs: &[(&str, JsValue)]) -> Result<JsValue, JsValue> {
    let object = Object::new();
    for (name, value) in pairs {
        Reflect::set(&object, &(*name).into(), value)?;
    }
    Ok(object.into())
}

fn algorithm() -> Result<JsValue, JsValue> {
    object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", "SHA-256".into())])
}

fn usages(names: &[&str]) -> JsValue {
    names.iter().map(|n| JsValue::from_str(n)).collect::<Array>().into()
}

/// A new 2048-bit key, as private JWK text.
async fn generate() -> Result<String, JsValue> {
    let params = object(&[
        ("name", "RSASSA-PKCS1-v1_5".into()),
        ("modulusLength", 2048.into()),
        ("publicExponent", Uint8Array::from(&[1u8, 0, 1][..]).into()),
        ("hash", "SHA-256".into()),
    ])?;
    let pair = subtle("generateKey", &[params, true.into(), usages(&["sign", "verify"])]).await?;
    let private = Reflect::get(&pair, &"privateKey".into())?;
    let jwk = subtle("exportKey", &["jwk".into(), private]).await?;
    JSON::stringify(&jwk)?.as_string().ok_or_else(|| JsValue::from_str("exportKey gave no JSON"))
}

/// Imports a private key given as JWK text or PKCS#8 PEM.
async fn import(text: &str) -> Result<JsValue, Failure> {
    let (format, data) = if text.trim_start().starts_with('{') {
        let jwk = JSON::parse(text).map_err(|_| config_error("is not valid JWK JSON"))?;
        if !Reflect::has(&jwk, &"d".into()).unwrap_or(false) {
            return Err(config_error("is a public JWK; the private key (with \"d\") is needed to sign"));
        }
        // Only `sign` is asked for below; a JWK that lists other operations would refuse it.
        let _ = Reflect::delete_property(jwk.unchecked_ref::<Object>(), &"key_ops".into());
        ("jwk", jwk)
    } else {
        let der = identity_token::pkcs8_der(text).map_err(|e| config_error(e.message()))?;
        ("pkcs8", Uint8Array::from(der.as_slice()).into())
    };
    subtle(
        "importKey",
        &[format.into(), data, algorithm().map_err(js_failure("import"))?, true.into(), usages(&["sign"])],
    )
    .await
    .map_err(|_| config_error("is not an RSA private key WebCrypto can use for RS256"))
}

/// The key text to import: the setting's, else the one stored in D1 (made on first use).
async fn key_text(services: &Services, gateway: &GatewaySettings, now_secs: i64) -> Result<String, Failure> {
    if let Some(configured) = &gateway.private_key {
        return Ok(configured.clone());
    }
    let db = &services.db;
    let stored = match app_secrets::get(db, STORED_KEY).await? {
        Some(stored) => stored,
        None => {
            worker::console_warn!(
                "{VARIABLE} is not set: generating an identity signing key once and keeping it in D1 (table app_secret)."
            );
            let generated = generate().await.map_err(js_failure("generateKey"))?;
            let candidate = services.state.encrypt(&generated, now_secs)?;
            // Isolates that race here all end up with the first key written.
            app_secrets::get_or_insert(db, STORED_KEY, &candidate, now_secs).await?
        }
    };
    let plaintext =
        services.state.fernet.decrypt(&stored, now_secs.max(0) as u64, None).map_err(|_| {
            Failure::Internal("the stored gateway key does not decrypt with LANGFLOW_SECRET_KEY".into())
        })?;
    String::from_utf8(plaintext).map_err(|_| Failure::Internal("the stored gateway key is not text".into()))
}

/// The isolate's signing key, loaded on first use.
pub async fn keys(services: &Services, gateway: &GatewaySettings, now_secs: i64) -> Result<Rc<IdentityKeys>, Failure> {
    if let Some(keys) = KEYS.with(|k| k.borrow().clone()) {
        return Ok(keys);
    }
    let key = import(&key_text(services, gateway, now_secs).await?).await?;
    let public = subtle("exportKey", &["jwk".into(), key.clone()]).await.map_err(js_failure("exportKey"))?;
    let field = |name: &str| Reflect::get(&public, &name.into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
    let (n, e) = (field("n"), field("e"));
    let kid = identity_token::thumbprint(&n, &e);
    let mut published = vec![identity_token::public_jwk(&n, &e, &kid)];
    for extra in &gateway.published_keys {
        let mut jwk: serde_json::Value = serde_json::from_str(extra).unwrap_or_default();
        if jwk.get("kid").is_none() {
            let (n, e) = (jwk["n"].as_str().unwrap_or_default(), jwk["e"].as_str().unwrap_or("AQAB"));
            jwk["kid"] = identity_token::thumbprint(n, e).into();
        }
        published.push(jwk);
    }
    let jwks = serde_json::json!({ "keys": published }).to_string();
    let keys = Rc::new(IdentityKeys { key, kid, jwks });
    KEYS.with(|k| *k.borrow_mut() = Some(keys.clone()));
    Ok(keys)
}

/// The identity JWT for one forwarded request of `user` (a recent one of theirs, if it has at
/// least half its life left).
pub async fn token_for(
    services: &Services,
    gateway: &GatewaySettings,
    user: &User,
    now_secs: i64,
) -> Result<String, Failure> {
    let cache_key = (user.id.as_str().to_string(), user.username.clone());
    let reusable = ISSUED.with(|issued| {
        issued
            .borrow()
            .get(&cache_key)
            .filter(|(_, exp)| exp - now_secs >= REUSE_WHILE_SECS_LEFT)
            .map(|(t, _)| t.clone())
    });
    if let Some(token) = reusable {
        return Ok(token);
    }
    let keys = keys(services, gateway, now_secs).await?;
    let jti = hex(&random_bytes::<16>()?);
    let claims =
        IdentityClaims::new(&gateway.issuer, &gateway.audience, user.id.as_str(), &user.username, now_secs, &jti);
    let input = identity_token::signing_input(&keys.kid, &claims);
    let signature = subtle(
        "sign",
        &[algorithm().map_err(js_failure("sign"))?, keys.key.clone(), Uint8Array::from(input.as_bytes()).into()],
    )
    .await
    .map_err(js_failure("sign"))?;
    let token = identity_token::token(&input, &Uint8Array::new(&signature).to_vec());
    ISSUED.with(|issued| issued.borrow_mut().insert(cache_key, (token.clone(), claims.exp), ISSUED_CAPACITY));
    Ok(token)
}
