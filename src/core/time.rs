//! Timestamps in the formats Langflow's API uses. Callers pass the time in; nothing here reads a
//! clock (`SystemTime::now()` panics on wasm32). Written by hand rather than with chrono's
//! formatter and parser, which cost about 20 KB of wasm for these four formats.

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    weekday: usize,
}

fn parts(unix_secs: i64) -> Parts {
    let days = unix_secs.div_euclid(86_400);
    let of_day = unix_secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Parts {
        year,
        month,
        day,
        hour: of_day / 3600,
        minute: of_day % 3600 / 60,
        second: of_day % 60,
        weekday: (days + 4).rem_euclid(7) as usize,
    }
}

/// UserRead timestamps: `2026-11-27T13:25:08.618000Z` (microseconds, `Z`).
pub fn iso_micros(unix_ms: i64) -> String {
    let p = parts(unix_ms.div_euclid(1000));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}000Z",
        p.year,
        p.month,
        p.day,
        p.hour,
        p.minute,
        p.second,
        unix_ms.rem_euclid(1000)
    )
}

/// ApiKeyRead timestamps: `2026-11-27T13:26:53+00:00` (seconds).
pub fn iso_seconds(unix_secs: i64) -> String {
    let p = parts(unix_secs);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00", p.year, p.month, p.day, p.hour, p.minute, p.second)
}

/// Cookie `expires=`: `Fri, 04 Dec 2026 13:25:57 GMT`.
pub fn http_date(unix_secs: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let p = parts(unix_secs);
    let month = MONTHS.get(p.month as usize - 1).copied().unwrap_or("Jan");
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[p.weekday], p.day, month, p.year, p.hour, p.minute, p.second
    )
}

/// Reads the datetimes Langflow writes or accepts (`2026-11-27 14:05:12.123456`, ISO-8601 with
/// `Z`, an offset, or none) as unix seconds. Naive values are UTC, as Langflow stores them.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = |s: &str| -> Option<i64> { s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse().ok()).flatten() };
    let field = |from: usize, to: usize| text.get(from..to).and_then(digits);
    let (year, month, day) = (field(0, 4)?, field(5, 7)?, field(8, 10)?);
    let separators_ok =
        text.get(4..5) == Some("-") && text.get(7..8) == Some("-") && matches!(text.get(10..11), Some("T" | " " | "t"));
    let (hour, minute, second) = (field(11, 13)?, field(14, 16)?, field(17, 19)?);
    if !separators_ok || text.get(13..14) != Some(":") || text.get(16..17) != Some(":") {
        return None;
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
        if end == 0 {
            return None;
        }
        rest = &fraction[end..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let zone = rest[1..].replace(':', "");
            if zone.len() != 4 {
                return None;
            }
            let (h, m) = (digits(&zone[..2])?, digits(&zone[2..])?);
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month as u32, day as u32);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
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
        assert_eq!(http_date(1_796_390_757), "Fri, 04 Dec 2026 13:25:57 GMT");
        assert_eq!(iso_seconds(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(iso_micros(-1), "1969-12-31T23:59:59.999000Z");
    }

    #[test]
    fn agrees_with_chrono_over_centuries() {
        for secs in (-5_000_000_000i64..10_000_000_000).step_by(86_399 * 97) {
            let expected = chrono::DateTime::from_timestamp(secs, 0).unwrap();
            assert_eq!(iso_seconds(secs), expected.format("%Y-%m-%dT%H:%M:%S+00:00").to_string());
            assert_eq!(http_date(secs), expected.format("%a, %d %b %Y %H:%M:%S GMT").to_string());
            assert_eq!(parse_datetime(&iso_seconds(secs)), Some(secs));
        }
    }

    #[test]
    fn parses_langflow_datetimes() {
        assert_eq!(parse_datetime("2026-11-27 13:27:14.618351"), Some(1_795_786_034));
        assert_eq!(parse_datetime("2026-11-27T13:27:14Z"), Some(1_795_786_034));
        assert_eq!(parse_datetime("2026-11-27T14:27:14+01:00"), Some(1_795_786_034));
        assert_eq!(parse_datetime("2026-11-27T12:27:14.5-01:00"), Some(1_795_786_034));
        assert_eq!(parse_datetime("2026-11-27 13:27:14"), Some(1_795_786_034));
        for bad in [
            "yesterday",
            "",
            "2026-13-01T00:00:00",
            "2026-11-27",
            "2026-11-27T13:27:14.",
            "2026-11-27T13:27:14+1",
            "２026-11-27T13:27:14",
            "2026-11-27X13:27:14",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }
}
