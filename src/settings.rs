//! Settings, parsed once per isolate from the worker's environment (`.env`, `.dev.vars`,
//! `[vars]`, `wrangler secret put`). Names and defaults are Langflow's; see DESIGN.md §3.

use std::fmt;

/// Every variable this worker reads. Unknown `LANGFLOW_*` variables are ignored, as Langflow does
/// with settings outside this worker's scope.
pub const VARIABLES: &[&str] = &[
    "LANGFLOW_AUTO_LOGIN",
    "LANGFLOW_SUPERUSER",
    "LANGFLOW_SUPERUSER_PASSWORD",
    "LANGFLOW_SECRET_KEY",
    "LANGFLOW_SECRET_KEY_FALLBACKS",
    "LANGFLOW_NEW_USER_IS_ACTIVE",
    "LANGFLOW_ENABLE_SIGNUP",
    "LANGFLOW_ACCESS_TOKEN_EXPIRE_SECONDS",
    "LANGFLOW_REFRESH_TOKEN_EXPIRE_SECONDS",
    "LANGFLOW_ACCESS_SECURE",
    "LANGFLOW_REFRESH_SECURE",
    "LANGFLOW_ACCESS_SAME_SITE",
    "LANGFLOW_REFRESH_SAME_SITE",
    "LANGFLOW_COOKIE_DOMAIN",
    "LANGFLOW_RATE_LIMIT_ENABLED",
    "LANGFLOW_RATE_LIMIT_PER_MINUTE",
    "LANGFLOW_ACCOUNT_LOCKOUT_THRESHOLD",
    "LANGFLOW_ACCOUNT_LOCKOUT_SECONDS",
    "LANGFLOW_RESET_PASSWORD_PER_MINUTE",
    "LANGFLOW_DISABLE_TRACK_APIKEY_USAGE",
    "LANGFLOW_EDGE_BENCH_STATS",
    "LANGFLOW_SESSION_CACHE_SECONDS",
    "LANGFLOW_ORIGIN_URL",
    "LANGFLOW_ORIGIN_TIMEOUT_SECONDS",
    "LANGFLOW_GATEWAY_ISSUER",
    "LANGFLOW_GATEWAY_AUDIENCE",
    "LANGFLOW_GATEWAY_PRIVATE_KEY",
    "LANGFLOW_GATEWAY_PUBLISHED_KEYS",
    "LANGFLOW_AUDIT_RETENTION_DAYS",
    "LANGFLOW_OIDC_ISSUER",
    "LANGFLOW_OIDC_CLIENT_ID",
    "LANGFLOW_OIDC_CLIENT_SECRET",
    "LANGFLOW_OIDC_SCOPES",
    "LANGFLOW_OIDC_USERNAME_CLAIM",
    "LANGFLOW_OIDC_DISPLAY_NAME",
    "LANGFLOW_OIDC_ALLOWED_DOMAINS",
    "LANGFLOW_OIDC_ALLOWED_GROUPS",
    "LANGFLOW_OIDC_GROUPS_CLAIM",
    "LANGFLOW_OIDC_SUPERUSER_GROUPS",
    "LANGFLOW_OIDC_LINK_BY_EMAIL",
    "LANGFLOW_PASSWORD_LOGIN",
    "LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS",
];

/// `LANGFLOW_AUTO_LOGIN`: explicit values apply everywhere; unset means "only for requests to a
/// loopback host" (deviation 5), so a deployed worker is never open by accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoLogin {
    On,
    Off,
    LoopbackOnly,
}

impl AutoLogin {
    pub fn enabled_for_host(self, host: &str) -> bool {
        match self {
            AutoLogin::On => true,
            AutoLogin::Off => false,
            AutoLogin::LoopbackOnly => is_loopback_host(host),
        }
    }
}

/// `localhost`, `127.0.0.0/8` and `[::1]`, with or without a port.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host.as_str(), |(name, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                name
            } else {
                host.as_str()
            }
        })
    };
    name == "localhost"
        || name.ends_with(".localhost")
        || name == "::1"
        || name
            .strip_prefix("127.")
            .is_some_and(|rest| rest.split('.').count() == 3 && rest.split('.').all(|p| p.parse::<u8>().is_ok()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
    None,
}

impl SameSite {
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Lax => "lax",
            SameSite::Strict => "strict",
            SameSite::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSettings {
    pub access_secure: bool,
    pub refresh_secure: bool,
    pub access_same_site: SameSite,
    pub refresh_same_site: SameSite,
    pub domain: Option<String>,
}

/// Brute-force limits (deviation 6). Failed logins are counted per client IP and per account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    pub enabled: bool,
    /// Failed logins per client IP per minute (`LANGFLOW_RATE_LIMIT_PER_MINUTE`, Langflow's name).
    pub failures_per_ip_per_minute: u32,
    /// Failed logins per account within `account_window_secs`.
    pub failures_per_account: u32,
    pub account_window_secs: u32,
    /// Password-reset attempts per user per minute (Langflow: 5).
    pub resets_per_user_per_minute: u32,
}

/// Gateway mode (`LANGFLOW_ORIGIN_URL` set): a real Langflow server behind the worker.
#[derive(Clone, PartialEq, Eq)]
pub struct GatewaySettings {
    /// `http(s)://host[:port][/prefix]`, without a trailing slash.
    pub origin: String,
    /// How long to wait for the origin's answer to begin (not for a stream to end).
    pub timeout_secs: u32,
    /// `iss` and `aud` of the identity JWT (Langflow's `EXTERNAL_AUTH_ISSUER` / `_AUDIENCE`).
    pub issuer: String,
    pub audience: String,
    /// PKCS#8 PEM or JWK of the RS256 signing key; `None`: generated once and kept in D1.
    pub private_key: Option<String>,
    /// Public JWKs (a JSON array) published besides the signing key's: the previous key during a
    /// rotation, or the next one ahead of it.
    pub published_keys: Vec<String>,
}

impl fmt::Debug for GatewaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewaySettings")
            .field("origin", &self.origin)
            .field("timeout_secs", &self.timeout_secs)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("private_key", &if self.private_key.is_some() { "<set>" } else { "<generated>" })
            .field("published_keys", &self.published_keys.len())
            .finish()
    }
}

/// One OpenID Connect provider (`LANGFLOW_OIDC_*`). Settings keep a list, so a second provider
/// is one more entry, not a rewrite.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// Exactly as the provider writes its `iss` claim; `http://` only on a loopback host.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Space-separated, always with `openid`.
    pub scopes: String,
    /// Claims tried in order for a new account's username.
    pub username_claims: Vec<String>,
    /// The login button says "Sign in with <display_name>".
    pub display_name: String,
    /// Email domains (of a verified `email`) allowed to sign in; empty: any.
    pub allowed_domains: Vec<String>,
    /// Groups allowed to sign in; empty: any.
    pub allowed_groups: Vec<String>,
    pub groups_claim: String,
    /// Members are superusers and others are not, decided at each sign-in; empty: the flag is
    /// left to the admin page.
    pub superuser_groups: Vec<String>,
    /// Sign in to an existing account whose username is the verified email.
    pub link_by_email: bool,
}

impl fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProvider")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<set>")
            .field("scopes", &self.scopes)
            .field("display_name", &self.display_name)
            .finish_non_exhaustive()
    }
}

/// `Debug` (see below) never prints the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub auto_login: AutoLogin,
    pub superuser: String,
    pub superuser_password: Option<String>,
    /// `None`: a key is generated once and kept in D1 (deviation 4).
    pub secret_key: Option<String>,
    pub secret_key_fallbacks: Vec<String>,
    pub new_user_is_active: bool,
    pub enable_signup: bool,
    pub access_token_expire_secs: i64,
    pub refresh_token_expire_secs: i64,
    pub cookies: CookieSettings,
    pub rate_limits: RateLimits,
    pub track_api_key_usage: bool,
    /// How long an isolate may answer from a session or API key it verified, without asking D1
    /// again (0: never; every request reads D1, so a revocation holds at once everywhere).
    pub session_cache_secs: u32,
    /// Adds the isolate's D1 counters to every answer (`x-d1-stats`), for `make bench` only.
    pub expose_d1_stats: bool,
    /// `None`: standalone mode.
    pub gateway: Option<GatewaySettings>,
    /// Audit events older than this many days are deleted (now and then, after an answer).
    pub audit_retention_days: u32,
    /// Single sign-on providers (at most one for now).
    pub oidc: Vec<OidcProvider>,
    /// `LANGFLOW_PASSWORD_LOGIN`: when off, only the bootstrap superuser signs in with a password.
    pub password_login: bool,
    /// Superusers without two-factor must set it up at their next password sign-in.
    pub require_2fa_for_superusers: bool,
}

/// Secrets are shown as whether they are set, never as their value: a `{:?}` of the settings
/// can end up in a log.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |set: bool| if set { "<set>" } else { "<unset>" };
        f.debug_struct("Settings")
            .field("auto_login", &self.auto_login)
            .field("superuser", &self.superuser)
            .field("superuser_password", &redacted(self.superuser_password.is_some()))
            .field("secret_key", &redacted(self.secret_key.is_some()))
            .field("secret_key_fallbacks", &format_args!("<{} set>", self.secret_key_fallbacks.len()))
            .field("new_user_is_active", &self.new_user_is_active)
            .field("enable_signup", &self.enable_signup)
            .field("access_token_expire_secs", &self.access_token_expire_secs)
            .field("refresh_token_expire_secs", &self.refresh_token_expire_secs)
            .field("cookies", &self.cookies)
            .field("rate_limits", &self.rate_limits)
            .field("track_api_key_usage", &self.track_api_key_usage)
            .field("session_cache_secs", &self.session_cache_secs)
            .field("expose_d1_stats", &self.expose_d1_stats)
            .field("gateway", &self.gateway)
            .field("audit_retention_days", &self.audit_retention_days)
            .field("oidc", &self.oidc)
            .field("password_login", &self.password_login)
            .field("require_2fa_for_superusers", &self.require_2fa_for_superusers)
            .finish()
    }
}

/// A value that cannot be used. The message names the variable and says how to fix it; it never
/// repeats the value, which may be a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Configuration error: {} {}. Fix it in .env (local) or with `wrangler secret put {}` / [vars] in wrangler.toml (deployed).",
            self.variable, self.problem, self.variable
        )
    }
}

impl std::error::Error for ConfigError {}

/// Langflow (pydantic) boolean spellings; lives in `core` so request bodies read them too.
pub use crate::core::parse_bool;

impl Settings {
    /// Parses every variable through `lookup` (the worker's env, or a map in tests). Empty values
    /// count as unset, as in a `.env` line `NAME=`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let boolean = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => parse_bool(&v)
                    .ok_or_else(|| ConfigError { variable: name, problem: "must be a boolean (True or False)".into() }),
            }
        };
        let number = |name: &'static str, default: u32, min: u32| -> Result<u32, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse::<u32>().ok().filter(|n| *n >= min).ok_or_else(|| ConfigError {
                    variable: name,
                    problem: format!("must be a whole number of at least {min}"),
                }),
            }
        };
        let same_site = |name: &'static str| -> Result<SameSite, ConfigError> {
            match get(name).map(|v| v.trim().to_ascii_lowercase()) {
                None => Ok(SameSite::Lax),
                Some(v) if v == "lax" => Ok(SameSite::Lax),
                Some(v) if v == "strict" => Ok(SameSite::Strict),
                Some(v) if v == "none" => Ok(SameSite::None),
                Some(_) => Err(ConfigError { variable: name, problem: "must be lax, strict or none".into() }),
            }
        };

        let auto_login = match get("LANGFLOW_AUTO_LOGIN") {
            None => AutoLogin::LoopbackOnly,
            Some(_) if boolean("LANGFLOW_AUTO_LOGIN", false)? => AutoLogin::On,
            Some(_) => AutoLogin::Off,
        };
        let superuser = get("LANGFLOW_SUPERUSER").map(|s| s.trim().to_string()).unwrap_or_else(|| "langflow".into());
        // Secrets are taken as written: surrounding spaces would be part of a Langflow secret too.
        let superuser_password = lookup("LANGFLOW_SUPERUSER_PASSWORD").filter(|v| !v.is_empty());
        if auto_login == AutoLogin::Off && superuser_password.is_none() {
            return Err(ConfigError {
                variable: "LANGFLOW_SUPERUSER_PASSWORD",
                problem: "must be set when LANGFLOW_AUTO_LOGIN is False (it is the superuser's password)".into(),
            });
        }
        let secret_key = lookup("LANGFLOW_SECRET_KEY").filter(|v| !v.is_empty());
        let secret_key_fallbacks = get("LANGFLOW_SECRET_KEY_FALLBACKS")
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
            .unwrap_or_default();
        let cookie_domain = get("LANGFLOW_COOKIE_DOMAIN").map(|s| s.trim().to_string());
        if let Some(domain) = &cookie_domain {
            if !domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
                return Err(ConfigError {
                    variable: "LANGFLOW_COOKIE_DOMAIN",
                    problem: "must be a host name such as example.com".into(),
                });
            }
        }

        let oidc = oidc_settings(&get, &lookup, &boolean)?;
        let password_login = boolean("LANGFLOW_PASSWORD_LOGIN", true)?;
        if !password_login && oidc.is_empty() {
            return Err(ConfigError {
                variable: "LANGFLOW_PASSWORD_LOGIN",
                problem: "is False but no single sign-on is configured (LANGFLOW_OIDC_ISSUER); nobody but the superuser could sign in"
                    .into(),
            });
        }

        Ok(Settings {
            auto_login,
            superuser,
            superuser_password,
            secret_key,
            secret_key_fallbacks,
            new_user_is_active: boolean("LANGFLOW_NEW_USER_IS_ACTIVE", false)?,
            enable_signup: boolean("LANGFLOW_ENABLE_SIGNUP", true)?,
            access_token_expire_secs: number("LANGFLOW_ACCESS_TOKEN_EXPIRE_SECONDS", 3600, 1)?.into(),
            refresh_token_expire_secs: number("LANGFLOW_REFRESH_TOKEN_EXPIRE_SECONDS", 604_800, 1)?.into(),
            cookies: CookieSettings {
                access_secure: boolean("LANGFLOW_ACCESS_SECURE", false)?,
                refresh_secure: boolean("LANGFLOW_REFRESH_SECURE", false)?,
                access_same_site: same_site("LANGFLOW_ACCESS_SAME_SITE")?,
                refresh_same_site: same_site("LANGFLOW_REFRESH_SAME_SITE")?,
                domain: cookie_domain,
            },
            rate_limits: RateLimits {
                enabled: boolean("LANGFLOW_RATE_LIMIT_ENABLED", true)?,
                failures_per_ip_per_minute: number("LANGFLOW_RATE_LIMIT_PER_MINUTE", 5, 1)?,
                failures_per_account: number("LANGFLOW_ACCOUNT_LOCKOUT_THRESHOLD", 10, 1)?,
                account_window_secs: number("LANGFLOW_ACCOUNT_LOCKOUT_SECONDS", 900, 1)?,
                resets_per_user_per_minute: number("LANGFLOW_RESET_PASSWORD_PER_MINUTE", 5, 1)?,
            },
            track_api_key_usage: !boolean("LANGFLOW_DISABLE_TRACK_APIKEY_USAGE", false)?,
            session_cache_secs: number("LANGFLOW_SESSION_CACHE_SECONDS", 0, 0)?,
            expose_d1_stats: boolean("LANGFLOW_EDGE_BENCH_STATS", false)?,
            gateway: gateway_settings(&get, &number)?,
            audit_retention_days: number("LANGFLOW_AUDIT_RETENTION_DAYS", 90, 1)?,
            oidc,
            password_login,
            require_2fa_for_superusers: boolean("LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS", false)?,
        })
    }
}

/// A comma-separated list, trimmed, empty entries dropped.
fn list(value: Option<String>) -> Vec<String> {
    value.map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()).unwrap_or_default()
}

/// `LANGFLOW_OIDC_ISSUER` turns single sign-on on; the client id and secret must come with it.
fn oidc_settings(
    get: &dyn Fn(&str) -> Option<String>,
    lookup: &dyn Fn(&str) -> Option<String>,
    boolean: &dyn Fn(&'static str, bool) -> Result<bool, ConfigError>,
) -> Result<Vec<OidcProvider>, ConfigError> {
    let error = |variable: &'static str, problem: &str| ConfigError { variable, problem: problem.to_string() };
    let Some(issuer) = get("LANGFLOW_OIDC_ISSUER").map(|v| v.trim().to_string()) else {
        for variable in ["LANGFLOW_OIDC_CLIENT_ID", "LANGFLOW_OIDC_CLIENT_SECRET"] {
            if get(variable).is_some() {
                return Err(error(
                    variable,
                    "is set but LANGFLOW_OIDC_ISSUER is not; set the provider's issuer URL too",
                ));
            }
        }
        return Ok(Vec::new());
    };
    let host_ok = crate::core::oidc::is_allowed_endpoint(&issuer, is_loopback_host);
    if !host_ok || issuer.contains(['?', '#', ' ', '@']) {
        return Err(error(
            "LANGFLOW_OIDC_ISSUER",
            "must be the provider's https:// issuer URL, such as https://accounts.google.com (http:// only for 127.0.0.1 or localhost; no query, no user name)",
        ));
    }
    let client_id = get("LANGFLOW_OIDC_CLIENT_ID").map(|v| v.trim().to_string()).ok_or_else(|| {
        error(
            "LANGFLOW_OIDC_CLIENT_ID",
            "must be set with LANGFLOW_OIDC_ISSUER (the client id the provider gave this application)",
        )
    })?;
    let client_secret = lookup("LANGFLOW_OIDC_CLIENT_SECRET").filter(|v| !v.is_empty()).ok_or_else(|| {
        error(
            "LANGFLOW_OIDC_CLIENT_SECRET",
            "must be set with LANGFLOW_OIDC_ISSUER (use `wrangler secret put`, never [vars])",
        )
    })?;
    let scopes = get("LANGFLOW_OIDC_SCOPES").map_or_else(
        || "openid profile email".to_string(),
        |v| v.split_ascii_whitespace().collect::<Vec<_>>().join(" "),
    );
    if !scopes.split(' ').any(|s| s == "openid") {
        return Err(error("LANGFLOW_OIDC_SCOPES", "must include openid (for example: openid profile email)"));
    }
    let username_claims = list(get("LANGFLOW_OIDC_USERNAME_CLAIM"));
    let username_claims =
        if username_claims.is_empty() { vec!["preferred_username".into(), "email".into()] } else { username_claims };
    Ok(vec![OidcProvider {
        issuer,
        client_id,
        client_secret,
        scopes,
        username_claims,
        display_name: get("LANGFLOW_OIDC_DISPLAY_NAME")
            .map_or_else(|| "single sign-on".into(), |v| v.trim().to_string()),
        allowed_domains: list(get("LANGFLOW_OIDC_ALLOWED_DOMAINS"))
            .into_iter()
            .map(|d| d.trim_start_matches('@').to_ascii_lowercase())
            .collect(),
        allowed_groups: list(get("LANGFLOW_OIDC_ALLOWED_GROUPS")),
        groups_claim: get("LANGFLOW_OIDC_GROUPS_CLAIM").map_or_else(|| "groups".into(), |v| v.trim().to_string()),
        superuser_groups: list(get("LANGFLOW_OIDC_SUPERUSER_GROUPS")),
        link_by_email: boolean("LANGFLOW_OIDC_LINK_BY_EMAIL", false)?,
    }])
}

/// `LANGFLOW_ORIGIN_URL` turns gateway mode on; the other `LANGFLOW_GATEWAY_*` settings matter
/// only then.
fn gateway_settings(
    get: &dyn Fn(&str) -> Option<String>,
    number: &dyn Fn(&'static str, u32, u32) -> Result<u32, ConfigError>,
) -> Result<Option<GatewaySettings>, ConfigError> {
    let Some(origin) = get("LANGFLOW_ORIGIN_URL") else { return Ok(None) };
    let origin = origin.trim().trim_end_matches('/').to_string();
    let host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")).unwrap_or_default();
    let host = host.split('/').next().unwrap_or_default();
    if host.is_empty() || origin.contains(['?', '#', ' ']) || host.contains('@') {
        return Err(ConfigError {
            variable: "LANGFLOW_ORIGIN_URL",
            problem: "must be the Langflow server's http:// or https:// URL, such as https://langflow.internal.example.com (no query, no user name or password)"
                .into(),
        });
    }
    let published_keys = match get("LANGFLOW_GATEWAY_PUBLISHED_KEYS") {
        None => Vec::new(),
        Some(text) => match serde_json::from_str::<Vec<serde_json::Value>>(&text) {
            Ok(keys)
                if keys.iter().all(|k| {
                    k.get("kty").and_then(|v| v.as_str()) == Some("RSA") && k.get("n").is_some() && k.get("d").is_none()
                }) =>
            {
                keys.iter().map(|k| k.to_string()).collect()
            }
            _ => {
                return Err(ConfigError {
                    variable: "LANGFLOW_GATEWAY_PUBLISHED_KEYS",
                    problem: "must be a JSON array of public RSA JWKs (kty, n, e; never a private key)".into(),
                })
            }
        },
    };
    Ok(Some(GatewaySettings {
        origin,
        timeout_secs: number("LANGFLOW_ORIGIN_TIMEOUT_SECONDS", 100, 1)?,
        issuer: get("LANGFLOW_GATEWAY_ISSUER").map_or_else(|| "langflow-edge".into(), |v| v.trim().to_string()),
        audience: get("LANGFLOW_GATEWAY_AUDIENCE").map_or_else(|| "langflow".into(), |v| v.trim().to_string()),
        private_key: get("LANGFLOW_GATEWAY_PRIVATE_KEY"),
        published_keys,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_follow_langflow_and_deviation_5() {
        let s = parse(&[]).unwrap();
        assert_eq!(s.auto_login, AutoLogin::LoopbackOnly);
        assert_eq!(s.superuser, "langflow");
        assert!(!s.new_user_is_active);
        assert!(s.enable_signup);
        assert_eq!((s.access_token_expire_secs, s.refresh_token_expire_secs), (3600, 604_800));
        assert!(s.rate_limits.enabled);
        assert_eq!(s.rate_limits.failures_per_ip_per_minute, 5);
        assert!(s.track_api_key_usage);
        assert_eq!(s.secret_key, None);
        assert!(!s.require_2fa_for_superusers);
    }

    #[test]
    fn accepts_langflow_boolean_spellings() {
        for (text, value) in [
            ("True", true),
            ("true", true),
            ("1", true),
            ("yes", true),
            ("False", false),
            ("false", false),
            ("0", false),
            ("off", false),
        ] {
            let s = parse(&[("LANGFLOW_NEW_USER_IS_ACTIVE", text)]).unwrap();
            assert_eq!(s.new_user_is_active, value, "{text}");
        }
        let s = parse(&[("LANGFLOW_AUTO_LOGIN", "True")]).unwrap();
        assert_eq!(s.auto_login, AutoLogin::On);
    }

    #[test]
    fn unparsable_values_name_the_variable() {
        let err = parse(&[("LANGFLOW_NEW_USER_IS_ACTIVE", "maybe")]).unwrap_err();
        assert_eq!(err.variable, "LANGFLOW_NEW_USER_IS_ACTIVE");
        assert!(err.to_string().contains("LANGFLOW_NEW_USER_IS_ACTIVE"));
        assert!(!err.to_string().contains("maybe"));
        let err = parse(&[("LANGFLOW_ACCESS_TOKEN_EXPIRE_SECONDS", "1h")]).unwrap_err();
        assert_eq!(err.variable, "LANGFLOW_ACCESS_TOKEN_EXPIRE_SECONDS");
        let err = parse(&[("LANGFLOW_RATE_LIMIT_PER_MINUTE", "-3")]).unwrap_err();
        assert_eq!(err.variable, "LANGFLOW_RATE_LIMIT_PER_MINUTE");
        let err = parse(&[("LANGFLOW_ACCESS_SAME_SITE", "sometimes")]).unwrap_err();
        assert_eq!(err.variable, "LANGFLOW_ACCESS_SAME_SITE");
        for bad in ["0", "-1", "ninety", "1.5"] {
            let err = parse(&[("LANGFLOW_AUDIT_RETENTION_DAYS", bad)]).unwrap_err();
            assert_eq!(err.variable, "LANGFLOW_AUDIT_RETENTION_DAYS", "{bad}");
        }
        assert_eq!(parse(&[]).unwrap().audit_retention_days, 90);
        assert_eq!(parse(&[("LANGFLOW_AUDIT_RETENTION_DAYS", "7")]).unwrap().audit_retention_days, 7);
        let err = parse(&[("LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS", "always")]).unwrap_err();
        assert_eq!(err.variable, "LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS");
        assert!(parse(&[("LANGFLOW_REQUIRE_2FA_FOR_SUPERUSERS", "True")]).unwrap().require_2fa_for_superusers);
    }

    #[test]
    fn auto_login_off_requires_a_superuser_password() {
        let err = parse(&[("LANGFLOW_AUTO_LOGIN", "False")]).unwrap_err();
        assert_eq!(err.variable, "LANGFLOW_SUPERUSER_PASSWORD");
        assert!(err.to_string().contains("LANGFLOW_AUTO_LOGIN"));
        let s = parse(&[("LANGFLOW_AUTO_LOGIN", "false"), ("LANGFLOW_SUPERUSER_PASSWORD", "s3cret-pass")]).unwrap();
        assert_eq!(s.auto_login, AutoLogin::Off);
        assert_eq!(s.superuser_password.as_deref(), Some("s3cret-pass"));
    }

    #[test]
    fn fallbacks_are_comma_separated() {
        let s = parse(&[("LANGFLOW_SECRET_KEY_FALLBACKS", "old-one, older-two ,,")]).unwrap();
        assert_eq!(s.secret_key_fallbacks, vec!["old-one".to_string(), "older-two".to_string()]);
    }

    #[test]
    fn env_example_documents_every_variable() {
        let example = include_str!("../.env.example");
        for name in VARIABLES {
            assert!(example.contains(&format!("{name}=")), "{name} is missing from .env.example");
        }
    }

    #[test]
    fn loopback_hosts() {
        for host in
            ["localhost", "localhost:7860", "127.0.0.1", "127.0.0.1:8787", "[::1]:7860", "[::1]", "app.localhost"]
        {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["example.com", "127.0.0.1.evil.com", "10.0.0.1", "localhost.evil.com", "128.0.0.1:80", ""] {
            assert!(!is_loopback_host(host), "{host}");
        }
        assert!(AutoLogin::LoopbackOnly.enabled_for_host("localhost:7860"));
        assert!(!AutoLogin::LoopbackOnly.enabled_for_host("langflow.example.com"));
        assert!(AutoLogin::On.enabled_for_host("langflow.example.com"));
    }

    #[test]
    fn debug_never_prints_secrets() {
        let settings = Settings::from_lookup(|name| match name {
            "LANGFLOW_SECRET_KEY" => Some("super-secret-key-value".into()),
            "LANGFLOW_SECRET_KEY_FALLBACKS" => Some("old-secret-one,old-secret-two".into()),
            "LANGFLOW_SUPERUSER_PASSWORD" => Some("hunter2-password".into()),
            "LANGFLOW_AUTO_LOGIN" => Some("False".into()),
            _ => None,
        })
        .unwrap();
        let shown = format!("{settings:?}");
        for secret in ["super-secret-key-value", "old-secret-one", "old-secret-two", "hunter2-password"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("secret_key: \"<set>\"") && shown.contains("<2 set>"), "{shown}");
    }

    #[test]
    fn oidc_needs_issuer_client_and_secret_and_https_off_loopback() {
        let s = parse(&[]).unwrap();
        assert!(s.oidc.is_empty() && s.password_login);
        let base = [
            ("LANGFLOW_OIDC_ISSUER", "https://accounts.google.com"),
            ("LANGFLOW_OIDC_CLIENT_ID", "client-1"),
            ("LANGFLOW_OIDC_CLIENT_SECRET", "oidc-secret-value"),
        ];
        let s = parse(&base).unwrap();
        let provider = s.oidc.first().unwrap();
        assert_eq!(provider.scopes, "openid profile email");
        assert_eq!(provider.username_claims, vec!["preferred_username".to_string(), "email".to_string()]);
        assert!(!format!("{s:?}").contains("oidc-secret-value"));
        let err = parse(&base[..2]).unwrap_err();
        assert_eq!(err.variable, "LANGFLOW_OIDC_CLIENT_SECRET");
        let err = parse(&base[1..]).unwrap_err();
        assert_eq!(err.variable, "LANGFLOW_OIDC_CLIENT_ID");
        for bad in ["http://idp.example.com", "accounts.google.com", "https://idp?x=1"] {
            let err = parse(&[base[1], base[2], ("LANGFLOW_OIDC_ISSUER", bad)]).unwrap_err();
            assert_eq!(err.variable, "LANGFLOW_OIDC_ISSUER", "{bad}");
        }
        assert!(parse(&[base[1], base[2], ("LANGFLOW_OIDC_ISSUER", "http://127.0.0.1:9000")]).is_ok());
        let err = parse(&[base[0], base[1], base[2], ("LANGFLOW_OIDC_SCOPES", "profile email")]).unwrap_err();
        assert_eq!(err.variable, "LANGFLOW_OIDC_SCOPES");
        let err = parse(&[("LANGFLOW_PASSWORD_LOGIN", "False")]).unwrap_err();
        assert_eq!(err.variable, "LANGFLOW_PASSWORD_LOGIN");
        assert!(!parse(&[base[0], base[1], base[2], ("LANGFLOW_PASSWORD_LOGIN", "False")]).unwrap().password_login);
    }

    #[test]
    fn gateway_mode_follows_the_origin_url() {
        assert_eq!(parse(&[]).unwrap().gateway, None);
        let s = parse(&[("LANGFLOW_ORIGIN_URL", "https://langflow.internal:7860/")]).unwrap();
        let gateway = s.gateway.unwrap();
        assert_eq!(gateway.origin, "https://langflow.internal:7860");
        assert_eq!((gateway.issuer.as_str(), gateway.audience.as_str()), ("langflow-edge", "langflow"));
        assert_eq!(gateway.timeout_secs, 100);
        for bad in ["langflow.internal", "ftp://x", "https://", "https://u:p@host", "http://host/?x=1"] {
            let err = parse(&[("LANGFLOW_ORIGIN_URL", bad)]).unwrap_err();
            assert_eq!(err.variable, "LANGFLOW_ORIGIN_URL", "{bad}");
        }
        let err = parse(&[("LANGFLOW_ORIGIN_URL", "https://user:hunter2@host")]).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = parse(&[
            ("LANGFLOW_ORIGIN_URL", "http://127.0.0.1:7860"),
            ("LANGFLOW_GATEWAY_PUBLISHED_KEYS", r#"[{"kty":"RSA","n":"x","e":"AQAB","d":"secret"}]"#),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "LANGFLOW_GATEWAY_PUBLISHED_KEYS");
    }
}
