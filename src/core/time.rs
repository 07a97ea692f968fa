//! Timestamps in the formats Langflow's API uses. Callers pass the time in; nothing here reads a
//! clock (`SystemTime::now()` panics on wasm32).

use chrono::{DateTime, NaiveDateTime, Utc};

fn at_millis(unix_ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(unix_ms).unwrap_or(DateTime::UNIX_EPOCH)
}

/// UserRead timestamps: `2026-11-27T13:25:08.618351Z` (microseconds, `Z`).
pub fn iso_micros(unix_ms: i64) -> String {
    at_millis(unix_ms).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// ApiKeyRead timestamps: `2026-11-27T13:26:53+00:00` (seconds).
pub fn iso_seconds(unix_secs: i64) -> String {
    at_millis(unix_secs.saturating_mul(1000)).format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// Cookie `expires=`: `Fri, 04 Dec 2026 13:25:57 GMT`.
pub fn http_date(unix_secs: i64) -> String {
    at_millis(unix_secs.saturating_mul(1000)).format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Reads the datetimes Langflow writes or accepts (`2026-11-27 14:05:12.123456`, ISO-8601 with
/// `Z`, an offset, or none) as unix seconds. Naive values are UTC, as Langflow stores them.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.timestamp());
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(text, format) {
            return Some(dt.and_utc().timestamp());
        }
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%:z"] {
        if let Ok(dt) = DateTime::parse_from_str(text, format) {
            return Some(dt.timestamp());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_langflow() {
        let ms = 1_795_786_034_618; // 2026-11-27T13:27:14.618Z
        assert_eq!(iso_micros(ms), "2026-11-27T13:27:14.618000Z");
        assert_eq!(iso_seconds(ms / 1000), "2026-11-27T13:27:14+00:00");
        assert_eq!(http_date(ms / 1000), "Fri, 27 Nov 2026 13:27:14 GMT");
    }

    #[test]
    fn parses_langflow_datetimes() {
        assert_eq!(parse_datetime("2026-11-27 13:27:14.618351"), Some(1_795_786_034));
        assert_eq!(parse_datetime("2026-11-27T13:27:14Z"), Some(1_795_786_034));
        assert_eq!(parse_datetime("2026-11-27T14:27:14+01:00"), Some(1_795_786_034));
        assert_eq!(parse_datetime("2026-11-27 13:27:14"), Some(1_795_786_034));
        assert_eq!(parse_datetime("yesterday"), None);
    }
}
