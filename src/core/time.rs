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
    let month = (p.month as usize).checked_sub(1).and_then(|i| MONTHS.get(i)).copied().unwrap_or("Jan");
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS.get(p.weekday).copied().unwrap_or("Thu"),
        p.day,
        month,
        p.year,
        p.hour,
        p.minute,
        p.second
    )
}

/// The first and last second a Python `datetime` holds (`0001-01-01T00:00:00Z` and
/// `9999-12-31T23:59:59Z`): every value `parse_datetime` returns lies between them, so its
/// `iso_seconds` has a four-digit year and reads back.
pub const MIN_UNIX_SECS: i64 = -62_135_596_800;
pub const MAX_UNIX_SECS: i64 = 253_402_300_799;

/// Why pydantic refuses a datetime string: its error `type` and the `error` it puts in `msg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatetimeError {
    kind: &'static str,
    error: &'static str,
}

impl DatetimeError {
    const fn syntax(error: &'static str) -> Self {
        DatetimeError { kind: "datetime_from_date_parsing", error }
    }

    const fn range(error: &'static str) -> Self {
        DatetimeError { kind: "datetime_parsing", error }
    }

    /// Pydantic's error type: `datetime_from_date_parsing` or `datetime_parsing`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Pydantic's `msg`, e.g. `Input should be a valid datetime or date, input is too short`.
    pub fn message(&self) -> String {
        match self.kind {
            "datetime_parsing" => format!("Input should be a valid datetime, {}", self.error),
            _ => format!("Input should be a valid datetime or date, {}", self.error),
        }
    }
}

const TOO_SHORT: DatetimeError = DatetimeError::syntax("input is too short");
const BAD_YEAR: DatetimeError = DatetimeError::syntax("invalid character in year");
const BAD_MONTH: DatetimeError = DatetimeError::syntax("invalid character in month");
const BAD_DAY: DatetimeError = DatetimeError::syntax("invalid character in day");
const BAD_DATE_SEPARATOR: DatetimeError = DatetimeError::syntax("invalid date separator, expected `-`");
const MONTH_RANGE: DatetimeError = DatetimeError::syntax("month value is outside expected range of 1-12");
const DAY_RANGE: DatetimeError = DatetimeError::syntax("day value is outside expected range");
/// What pydantic says about anything after a valid date that is not a valid time and zone.
const EXTRA: DatetimeError = DatetimeError::syntax("unexpected extra characters at the end of the input");
const YEAR_ZERO: DatetimeError = DatetimeError::range("year 0 is out of range");
/// Pydantic accepts these (e.g. `9999-12-31T23:59:59-00:01`) but Python cannot express them in
/// UTC (`astimezone` raises "date value out of range"), and neither can a stored timestamp.
const OUT_OF_RANGE: DatetimeError = DatetimeError::range("date value out of range");

/// Reads bytes left to right; every read is bounds-checked.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Consumes the next byte if `accept` takes it.
    fn eat(&mut self, accept: impl Fn(u8) -> bool) -> Option<u8> {
        let byte = self.peek().filter(|b| accept(*b))?;
        self.pos += 1;
        Some(byte)
    }

    fn digit(&mut self) -> Option<i64> {
        self.eat(|b| b.is_ascii_digit()).map(|b| i64::from(b - b'0'))
    }

    /// Exactly `count` ASCII digits as a number.
    fn number(&mut self, count: usize) -> Option<i64> {
        (0..count).try_fold(0, |value, _| Some(value * 10 + self.digit()?))
    }

    /// Two digits no greater than `max`.
    fn two_digits_up_to(&mut self, max: i64) -> Option<i64> {
        self.number(2).filter(|value| *value <= max)
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// After the date: `T`/`t`/`_`/space, `HH:MM`, optional `:SS`, optional `.`/`,` fraction (any
/// number of digits, ignored), optional zone `Z`/`z`/`±HH:MM`/`±HHMM` (under 24 hours), and
/// nothing else. Seconds of the day and the zone offset in seconds.
fn time_and_zone(cursor: &mut Cursor) -> Option<(i64, i64)> {
    cursor.eat(|b| matches!(b, b'T' | b't' | b'_' | b' '))?;
    let hour = cursor.two_digits_up_to(23)?;
    cursor.eat(|b| b == b':')?;
    let minute = cursor.two_digits_up_to(59)?;
    let mut second = 0;
    if cursor.eat(|b| b == b':').is_some() {
        second = cursor.two_digits_up_to(59)?;
        if cursor.eat(|b| matches!(b, b'.' | b',')).is_some() {
            cursor.digit()?;
            while cursor.digit().is_some() {}
        }
    }
    let offset = match cursor.eat(|b| matches!(b, b'Z' | b'z' | b'+' | b'-')) {
        None | Some(b'Z' | b'z') => 0,
        Some(sign) => {
            let hours = cursor.two_digits_up_to(23)?;
            cursor.eat(|b| b == b':');
            let minutes = cursor.two_digits_up_to(59)?;
            let offset = hours * 3600 + minutes * 60;
            if sign == b'-' {
                -offset
            } else {
                offset
            }
        }
    };
    cursor.at_end().then_some((hour * 3600 + minute * 60 + second, offset))
}

/// Reads a datetime as pydantic v2 (Langflow's validation) reads a string: `YYYY-MM-DD`, alone
/// (midnight) or followed by a time and an optional zone (see `time_and_zone`). Naive values are
/// UTC, as Langflow stores them. Returns unix seconds (the fraction is dropped), always within
/// `MIN_UNIX_SECS..=MAX_UNIX_SECS`, or pydantic's reason for refusing. Unlike pydantic, numbers
/// as unix timestamps (`"1700000000"`) are not accepted.
pub fn read_datetime(text: &str) -> Result<i64, DatetimeError> {
    let mut cursor = Cursor { bytes: text.as_bytes(), pos: 0 };
    if cursor.bytes.len() < 10 {
        return Err(TOO_SHORT);
    }
    let year = cursor.number(4).ok_or(BAD_YEAR)?;
    cursor.eat(|b| b == b'-').ok_or(BAD_DATE_SEPARATOR)?;
    let month = cursor.number(2).ok_or(BAD_MONTH)?;
    cursor.eat(|b| b == b'-').ok_or(BAD_DATE_SEPARATOR)?;
    let day = cursor.number(2).ok_or(BAD_DAY)?;
    if !(1..=12).contains(&month) {
        return Err(MONTH_RANGE);
    }
    if !(1..=days_in_month(year, month)).contains(&day) {
        return Err(DAY_RANGE);
    }
    let (of_day, offset) = if cursor.at_end() { (0, 0) } else { time_and_zone(&mut cursor).ok_or(EXTRA)? };
    if year == 0 {
        return Err(YEAR_ZERO);
    }
    // No overflow for any input: 4-digit years, a time of day and a zone under a day.
    let days = days_from_civil(year, month as u32, day as u32);
    let secs = days * 86_400 + of_day - offset;
    if !(MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&secs) {
        return Err(OUT_OF_RANGE);
    }
    Ok(secs)
}

/// `read_datetime` without the reason: for stored values, where a refusal only means "unreadable".
pub fn parse_datetime(text: &str) -> Option<i64> {
    read_datetime(text).ok()
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
        // Pydantic reads a date alone as midnight.
        assert_eq!(parse_datetime("2026-11-27"), Some(1_795_737_600));
        for bad in [
            "yesterday",
            "",
            "2026-13-01T00:00:00",
            "2026-11-27T13:27:14.",
            "2026-11-27T13:27:14+1",
            "２026-11-27T13:27:14",
            "2026-11-27X13:27:14",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    /// Issue 15: each of these was accepted (or panicked) before.
    #[test]
    fn refuses_what_pydantic_refuses() {
        let syntax =
            |error: &str| ("datetime_from_date_parsing", format!("Input should be a valid datetime or date, {error}"));
        let range = |error: &str| ("datetime_parsing", format!("Input should be a valid datetime, {error}"));
        let extra = syntax("unexpected extra characters at the end of the input");
        let cases = [
            // A multi-byte character inside the zone used to be sliced through (a panic).
            ("2026-11-27T13:27:14+0\u{e9}0", extra.clone()),
            ("2026-11-27T13:27:14+\u{e9}00", extra.clone()),
            // Year 0, and instants outside years 1-9999 in UTC, cannot be stored and read back.
            ("0000-01-01T00:00:00+00:01", range("year 0 is out of range")),
            ("0000-12-31T23:59:59Z", range("year 0 is out of range")),
            ("0001-01-01T00:00:00+00:01", range("date value out of range")),
            ("9999-12-31T23:59:59-00:01", range("date value out of range")),
            // Impossible dates and times, and zones of 24 hours or more.
            ("9999-12-31T23:59:60", extra.clone()),
            ("2026-02-31T00:00:00", syntax("day value is outside expected range")),
            ("2023-02-29T00:00:00", syntax("day value is outside expected range")),
            ("2026-11-27T24:00:00", extra.clone()),
            ("2026-11-27T13:27:14+99:99", extra.clone()),
            ("2026-11-27T13:27:14+24:00", extra.clone()),
            ("2026-11-27T13:27:14+23:60", extra.clone()),
            ("2026-11-27T13:27:14+01::00", extra.clone()),
            ("2026-11-27T13:27:14+0100:", extra.clone()),
            ("2026-11-27T13:27:14 ", extra.clone()),
            (" 2026-11-27T13:27:14", syntax("invalid character in year")),
            ("2026-13-01T00:00:00", syntax("month value is outside expected range of 1-12")),
            ("2026/01/01T00:00:00", syntax("invalid date separator, expected `-`")),
            ("yesterday", syntax("input is too short")),
        ];
        for (text, (kind, message)) in cases {
            let err = read_datetime(text).expect_err(text);
            assert_eq!((err.kind(), err.message()), (kind, message), "{text:?}");
        }
        assert_eq!(read_datetime("2024-02-29T00:00:00"), Ok(1_709_164_800));
        assert_eq!(read_datetime("2026-11-27T13:27:14+23:59"), Ok(1_795_786_034 - 86_340));
        assert_eq!(read_datetime("0001-01-01T00:00:00Z"), Ok(MIN_UNIX_SECS));
        assert_eq!(read_datetime("9999-12-31T23:59:59Z"), Ok(MAX_UNIX_SECS));
        assert_eq!(read_datetime("0001-01-01T00:00:00-00:01"), Ok(MIN_UNIX_SECS + 60));
        assert_eq!(read_datetime("9999-12-31T23:59:59+00:01"), Ok(MAX_UNIX_SECS - 60));
        assert_eq!(iso_seconds(MIN_UNIX_SECS), "0001-01-01T00:00:00+00:00");
        assert_eq!(iso_seconds(MAX_UNIX_SECS), "9999-12-31T23:59:59+00:00");
    }

    /// 649 strings (mutations of Langflow's formats and random valid ones) with pydantic 2.14's
    /// verdict, from `testdata/pydantic_datetimes.py`: the same instant or the same refusal.
    #[test]
    fn agrees_with_pydantic() {
        let data: serde_json::Value = serde_json::from_str(include_str!("testdata/pydantic_datetimes.json")).unwrap();
        let cases = data["cases"].as_array().unwrap();
        assert!(cases.len() > 600);
        for case in cases {
            let text = case[0].as_str().unwrap();
            let got = read_datetime(text).map_err(|e| (e.kind().to_string(), e.message()));
            let expected = match case[1].as_i64() {
                Some(secs) => Ok(secs),
                None => Err((case[1][0].as_str().unwrap().to_string(), case[1][1].as_str().unwrap().to_string())),
            };
            assert_eq!(got, expected, "{text:?}");
        }
    }

    mod properties {
        use super::super::*;
        use crate::core::test_support::{apply, edits, interesting_text};
        use proptest::prelude::*;

        /// A valid datetime in one of the layouts pydantic takes, with the instant chrono computes
        /// for it (`None` when the day does not exist).
        fn layout(
            (year, month, day): (i32, u32, u32),
            (hour, minute, second): (u32, u32, u32),
            fraction: Option<String>,
            separator: char,
            zone_minutes: Option<i32>,
            colon: bool,
        ) -> Option<(String, i64)> {
            let naive = chrono::NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, second)?;
            let fraction = fraction.map(|digits| format!(".{digits}")).unwrap_or_default();
            let zone = match zone_minutes {
                None => String::new(),
                Some(0) if colon => "Z".to_string(),
                Some(minutes) => {
                    let sign = if minutes < 0 { '-' } else { '+' };
                    let (h, m) = (minutes.abs() / 60, minutes.abs() % 60);
                    if colon {
                        format!("{sign}{h:02}:{m:02}")
                    } else {
                        format!("{sign}{h:02}{m:02}")
                    }
                }
            };
            let text =
                format!("{year:04}-{month:02}-{day:02}{separator}{hour:02}:{minute:02}:{second:02}{fraction}{zone}");
            let instant = naive.and_utc().timestamp() - i64::from(zone_minutes.unwrap_or(0)) * 60;
            Some((text, instant))
        }

        /// Almost a datetime: every field a little out of range at times, and zones made of digits,
        /// colons and multi-byte characters (issue 15's panic was a multi-byte zone).
        fn near_datetime() -> impl Strategy<Value = ((i32, u32, u32), (u32, u32, u32), String)> {
            let piece = prop_oneof![
                proptest::sample::select(vec!["0", "1", "2", "3", "5", "9", ":"]),
                proptest::sample::select(vec!["\u{e9}", "\u{80}", "\u{ff17}", "\u{1f600}"]),
            ];
            let zone = prop_oneof![
                Just(String::new()),
                Just("Z".to_string()),
                (proptest::sample::select(vec!["+", "-"]), proptest::collection::vec(piece, 1..6))
                    .prop_map(|(sign, pieces)| format!("{sign}{}", pieces.concat())),
            ];
            ((0i32..=9999, 0u32..=13, 0u32..=32), (0u32..=25, 0u32..=61, 0u32..=61), zone)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn near_datetimes_are_read_only_when_they_exist(((year, month, day), (hour, minute, second), zone) in near_datetime()) {
                let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{zone}");
                if let Ok(secs) = read_datetime(&text) {
                    let naive = chrono::NaiveDate::from_ymd_opt(year, month, day).and_then(|d| d.and_hms_opt(hour, minute, second));
                    prop_assert!(year > 0 && naive.is_some(), "{} does not exist", text);
                    let naive_secs = naive.map(|n| n.and_utc().timestamp()).unwrap_or_default();
                    prop_assert!((secs - naive_secs).abs() < 86_400, "{}: zone of a day or more", text);
                    prop_assert!((MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&secs));
                    prop_assert_eq!(read_datetime(&iso_seconds(secs)), Ok(secs));
                }
            }

            #[test]
            fn never_panics_and_what_it_accepts_reads_back(text in prop_oneof![any::<String>(), interesting_text(40)]) {
                if let Ok(secs) = read_datetime(&text) {
                    prop_assert!((MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&secs));
                    prop_assert_eq!(read_datetime(&iso_seconds(secs)), Ok(secs));
                }
            }

            #[test]
            fn edited_datetimes_never_panic(secs in MIN_UNIX_SECS..=MAX_UNIX_SECS, edits in edits()) {
                for text in [iso_seconds(secs), iso_micros(secs.saturating_mul(1000))] {
                    if let Ok(read) = read_datetime(&apply(&text, &edits)) {
                        prop_assert!((MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&read));
                        prop_assert_eq!(read_datetime(&iso_seconds(read)), Ok(read));
                    }
                }
            }

            #[test]
            fn agrees_with_chrono(
                date in (0i32..=9999, 1u32..=12, 1u32..=31),
                time in (0u32..24, 0u32..60, 0u32..60),
                fraction in proptest::option::of("[0-9]{1,12}"),
                separator in proptest::sample::select(vec!['T', 't', ' ', '_']),
                zone_minutes in proptest::option::of(-1439i32..=1439),
                colon in any::<bool>(),
            ) {
                let Some((text, instant)) = layout(date, time, fraction, separator, zone_minutes, colon) else {
                    return Ok(()); // 31 April and the like: refused, checked elsewhere
                };
                if date.0 == 0 {
                    prop_assert_eq!(read_datetime(&text).map_err(|e| e.message()), Err("Input should be a valid datetime, year 0 is out of range".to_string()));
                } else if (MIN_UNIX_SECS..=MAX_UNIX_SECS).contains(&instant) {
                    prop_assert_eq!(read_datetime(&text), Ok(instant), "{}", text);
                } else {
                    prop_assert_eq!(read_datetime(&text).map_err(|e| e.kind()), Err("datetime_parsing"), "{}", text);
                }
            }

            #[test]
            fn stored_formats_read_back(secs in MIN_UNIX_SECS..=MAX_UNIX_SECS, ms in 0i64..1000) {
                prop_assert_eq!(read_datetime(&iso_seconds(secs)), Ok(secs));
                prop_assert_eq!(read_datetime(&iso_micros(secs * 1000 + ms)), Ok(secs));
                // Langflow's own column format: naive UTC, a space, microseconds.
                let naive = chrono::DateTime::from_timestamp(secs, 0).unwrap().format("%Y-%m-%d %H:%M:%S%.6f").to_string();
                prop_assert_eq!(read_datetime(&naive), Ok(secs));
            }

            #[test]
            fn formatters_never_panic(secs in any::<i64>()) {
                let _ = (iso_seconds(secs), iso_micros(secs), http_date(secs));
            }
        }
    }
}
