//! The query string of `GET /api/v1/audits`, read as strictly as Langflow 1.13 reads its own:
//! unknown, empty, repeated or malformed parameters are refused with a `detail` saying which
//! (Langflow's words where it has them), so a filter is never silently ignored.

use super::ids::parse_uuid;
use super::time::read_datetime;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;
pub const MAX_OFFSET: i64 = 1_000_000;

/// What a listing asks for. Lists are empty when not given; times are unix milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub user_id: Option<String>,
    pub actor_id: Option<String>,
    pub actions: Vec<String>,
    pub results: Vec<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Events written before this one (`next_cursor` of the previous page).
    pub cursor: Option<i64>,
    pub offset: i64,
    pub limit: i64,
    pub include_total: bool,
}

/// Langflow's audit parameters this server does not filter by: refused by name, not ignored.
const UNSUPPORTED: &[&str] =
    &["source", "kind", "resource_type", "resource_id", "exclude_action", "operation", "actor_type", "request_id", "q"];
const REPEATABLE: &[&str] = &["action", "result"];
const RESULTS: &[&str] = &["succeeded", "failed"];

/// RFC 3339 needs a zone: `Z` or `±HH:MM` at the end.
fn has_zone(text: &str) -> bool {
    let bytes = text.as_bytes();
    match bytes.last() {
        Some(b'Z' | b'z') => true,
        _ => {
            let n = bytes.len();
            n >= 6 && matches!(bytes.get(n - 6), Some(b'+' | b'-')) && bytes.get(n - 3) == Some(&b':')
        }
    }
}

fn timestamp(name: &str, text: &str) -> Result<i64, String> {
    let refused = || format!("{name} must be an RFC 3339 timestamp with a timezone offset");
    if !has_zone(text) || !text.contains(['T', 't']) {
        return Err(refused());
    }
    read_datetime(text).map(|secs| secs.saturating_mul(1000)).map_err(|_| refused())
}

/// A decimal number of at most `digits` digits within `min..=max`.
fn whole_number(text: &str, digits: usize, min: i64, max: i64) -> Option<i64> {
    if text.is_empty() || text.len() > digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>().ok().filter(|n| (min..=max).contains(n))
}

/// Reads `pairs` (the decoded query string). `actions` are the event names the log knows.
pub fn parse(pairs: &[(String, String)], actions: &[&str]) -> Result<AuditQuery, String> {
    let mut query = AuditQuery { limit: DEFAULT_LIMIT, ..AuditQuery::default() };
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in pairs {
        let key = key.as_str();
        if key == "x-api-key" {
            continue; // authentication, not a filter
        }
        if UNSUPPORTED.contains(&key) {
            return Err(format!(
                "Unsupported query parameter: {key} (this log filters by user_id, actor_id, action, result, since and until)"
            ));
        }
        if value.is_empty() {
            return Err(format!("Empty value for query parameter: {key}"));
        }
        if seen.contains(&key) && !REPEATABLE.contains(&key) {
            return Err(format!("Query parameter may appear once: {key}"));
        }
        match key {
            "user_id" | "actor_id" => {
                let id = parse_uuid(value).ok_or_else(|| format!("{key} must be a UUID"))?;
                if key == "user_id" {
                    query.user_id = Some(id);
                } else {
                    query.actor_id = Some(id);
                }
            }
            // Langflow also takes a repeatable filter as one comma-separated value.
            "action" => {
                for action in value.split(',').map(str::trim) {
                    if !actions.contains(&action) {
                        return Err(format!("Unsupported value for action: {action} (known: {})", actions.join(", ")));
                    }
                    query.actions.push(action.to_string());
                }
            }
            "result" => {
                for result in value.split(',').map(str::trim) {
                    if !RESULTS.contains(&result) {
                        return Err("Unsupported value for result (succeeded or failed)".into());
                    }
                    query.results.push(result.to_string());
                }
            }
            "since" => query.since_ms = Some(timestamp("since", value)?),
            "until" => query.until_ms = Some(timestamp("until", value)?),
            "limit" => {
                query.limit = whole_number(value, 7, 1, MAX_LIMIT)
                    .ok_or_else(|| format!("limit must be an integer from 1 through {MAX_LIMIT}"))?;
            }
            "offset" => {
                query.offset = whole_number(value, 7, 0, MAX_OFFSET)
                    .ok_or_else(|| format!("offset must be an integer from 0 through {MAX_OFFSET}"))?;
            }
            "cursor" => {
                query.cursor = Some(
                    whole_number(value, 19, 1, i64::MAX)
                        .ok_or("cursor is not valid: pass next_cursor from the previous page as it is")?,
                );
            }
            "include_total" => {
                query.include_total = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err("include_total must be true or false".into()),
                };
            }
            _ => return Err(format!("Unknown query parameter: {key}")),
        }
        seen.push(key);
    }
    if let (Some(since), Some(until)) = (query.since_ms, query.until_ms) {
        if until <= since {
            return Err("until must be later than since".into());
        }
    }
    if query.offset > 0 && query.cursor.is_some() {
        return Err("offset and cursor cannot be combined".into());
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIONS: &[&str] = &["auth:login", "user:create"];

    fn read(query: &str) -> Result<AuditQuery, String> {
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        parse(&pairs, ACTIONS)
    }

    #[test]
    fn defaults_and_every_filter() {
        assert_eq!(read("").unwrap(), AuditQuery { limit: 50, ..AuditQuery::default() });
        let q = read(
            "user_id=0F8FAD5B-D9CB-469F-A165-70867728950E&action=auth:login,user:create&result=failed\
             &since=2026-12-01T00:00:00Z&until=2026-12-02T00:00:00%2B01:00&limit=2&include_total=true&x-api-key=sk-1",
        )
        .unwrap();
        assert_eq!(q.user_id.as_deref(), Some("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert_eq!(q.actions, ["auth:login", "user:create"]);
        assert_eq!(q.results, ["failed"]);
        assert_eq!(q.since_ms, Some(1_796_083_200_000));
        assert_eq!(q.until_ms, Some(1_796_083_200_000 + 86_400_000 - 3_600_000));
        assert_eq!((q.limit, q.include_total), (2, true));
        assert_eq!(read("action=auth:login&action=user:create").unwrap().actions.len(), 2);
        assert_eq!(read("cursor=41").unwrap().cursor, Some(41));
        // Row numbers only grow: a cursor past ten million rows still pages on.
        assert_eq!(read("cursor=12345678901").unwrap().cursor, Some(12_345_678_901));
        assert!(read("cursor=99999999999999999999").is_err());
    }

    #[test]
    fn bad_input_is_named() {
        for (query, detail) in [
            ("bogus=1", "Unknown query parameter: bogus"),
            ("q=x", "Unsupported query parameter: q"),
            ("limit=", "Empty value for query parameter: limit"),
            ("limit=0", "limit must be an integer from 1 through 200"),
            ("limit=201", "limit must be an integer from 1 through 200"),
            ("limit=abc", "limit must be an integer from 1 through 200"),
            ("limit=-1", "limit must be an integer from 1 through 200"),
            ("limit=1&limit=2", "Query parameter may appear once: limit"),
            ("offset=1000001", "offset must be an integer from 0 through 1000000"),
            ("user_id=bad", "user_id must be a UUID"),
            ("actor_id=bad", "actor_id must be a UUID"),
            ("since=yesterday", "since must be an RFC 3339 timestamp with a timezone offset"),
            ("since=2026-12-01T00:00:00", "since must be an RFC 3339 timestamp with a timezone offset"),
            ("until=2026-12-01", "until must be an RFC 3339 timestamp with a timezone offset"),
            ("since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z", "until must be later than since"),
            ("action=user.login", "Unsupported value for action: user.login"),
            ("result=allow", "Unsupported value for result"),
            ("include_total=yes", "include_total must be true or false"),
            ("cursor=abc", "cursor is not valid"),
            ("cursor=0", "cursor is not valid"),
            ("cursor=5&offset=1", "offset and cursor cannot be combined"),
        ] {
            let err = read(query).expect_err(query);
            assert!(err.starts_with(detail), "{query}: {err}");
        }
    }
}
