//! Request bodies read the way FastAPI reads them, with its 422 shapes, so clients see the same
//! errors: JSON objects with typed fields, and URL-encoded forms (OAuth2 password form).

use super::time::read_datetime;
use serde_json::{Map, Value};

/// A body FastAPI would refuse with a 422: pydantic's error `type`, where it is (`loc`) and what
/// is wrong. The edge turns it into Langflow's JSON or into words on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    /// Pydantic's error type, e.g. `missing`, `string_type`, `json_invalid`.
    pub kind: &'static str,
    /// Where: `["body"]`, `["body", "<field>"]`, ...
    pub loc: Vec<String>,
    pub msg: String,
}

pub type BodyResult<T> = Result<T, BodyError>;

impl BodyError {
    pub fn new(kind: &'static str, loc: &[&str], msg: impl Into<String>) -> Self {
        BodyError { kind, loc: loc.iter().map(|part| part.to_string()).collect(), msg: msg.into() }
    }

    pub fn missing(location: &str, field: &str) -> Self {
        Self::new("missing", &[location, field], "Field required")
    }
}

/// A parsed JSON object body with field accessors that answer FastAPI-style 422s.
#[derive(Debug, Clone)]
pub struct JsonBody(pub Map<String, Value>);

impl JsonBody {
    pub fn parse(bytes: &[u8]) -> BodyResult<JsonBody> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(BodyError::new("missing", &["body"], "Field required"));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(JsonBody(map)),
            Ok(_) => Err(BodyError::new(
                "model_attributes_type",
                &["body"],
                "Input should be a valid dictionary or object to extract fields from",
            )),
            Err(err) => Err(BodyError::new("json_invalid", &["body", &err.column().to_string()], "JSON decode error")),
        }
    }

    /// Present and not null.
    fn value(&self, field: &str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn required_str(&self, field: &str) -> BodyResult<&str> {
        match self.0.get(field) {
            None => Err(BodyError::missing("body", field)),
            Some(value) => value.as_str().ok_or_else(|| string_type(field)),
        }
    }

    pub fn optional_str(&self, field: &str) -> BodyResult<Option<&str>> {
        self.value(field).map(|v| v.as_str().ok_or_else(|| string_type(field))).transpose()
    }

    pub fn optional_bool(&self, field: &str) -> BodyResult<Option<bool>> {
        self.value(field)
            .map(|v| match v {
                Value::Bool(b) => Ok(*b),
                Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => Ok(n.as_i64() == Some(1)),
                Value::String(s) => super::parse_bool(s).ok_or_else(|| bool_type(field)),
                _ => Err(bool_type(field)),
            })
            .transpose()
    }

    /// A datetime read as pydantic reads a string (`time::read_datetime`), as unix seconds; a
    /// refusal carries pydantic's type and message.
    pub fn optional_datetime(&self, field: &str) -> BodyResult<Option<i64>> {
        self.optional_str(field)?
            .map(|text| read_datetime(text).map_err(|err| BodyError::new(err.kind(), &["body", field], err.message())))
            .transpose()
    }

    pub fn optional_object(&self, field: &str) -> BodyResult<Option<&Map<String, Value>>> {
        self.value(field)
            .map(|v| {
                v.as_object()
                    .ok_or_else(|| BodyError::new("dict_type", &["body", field], "Input should be a valid dictionary"))
            })
            .transpose()
    }
}

fn string_type(field: &str) -> BodyError {
    BodyError::new("string_type", &["body", field], "Input should be a valid string")
}

fn bool_type(field: &str) -> BodyError {
    BodyError::new("bool_type", &["body", field], "Input should be a valid boolean")
}

/// Decodes `application/x-www-form-urlencoded`. Invalid UTF-8 or percent escapes are a 422, not a
/// silent replacement, so a password is never altered on the way in.
pub fn parse_form(bytes: &[u8]) -> BodyResult<Vec<(String, String)>> {
    let invalid = || BodyError::new("value_error", &["body"], "Invalid form body: expected URL-encoded UTF-8 fields");
    let mut fields = Vec::new();
    for pair in bytes.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let mut parts = pair.splitn(2, |b| *b == b'=');
        let name = form_decode(parts.next().unwrap_or_default()).ok_or_else(invalid)?;
        let value = form_decode(parts.next().unwrap_or_default()).ok_or_else(invalid)?;
        fields.push((name, value));
    }
    Ok(fields)
}

/// One name or value of a URL-encoded form: `+` is a space, `%XX` a byte, and the result must be
/// UTF-8. A `%` not followed by two hex digits is refused (the `percent-encoding` crate would keep
/// it as text), as is invalid UTF-8 (`form_urlencoded` would replace it), so a password is never
/// altered on the way in.
fn form_decode(input: &[u8]) -> Option<String> {
    let escapes_ok = input
        .split(|b| *b == b'%')
        .skip(1)
        .all(|after| after.get(..2).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)));
    if !escapes_ok {
        return None;
    }
    let spaced: Vec<u8> = input.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
    percent_encoding::percent_decode(&spaced).decode_utf8().ok().map(|text| text.into_owned())
}

/// The `boundary` parameter of a `multipart/form-data` content type.
pub fn multipart_boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.trim().split_once('=')?;
        let value = value.trim().trim_matches('"');
        (key.trim().eq_ignore_ascii_case("boundary") && !value.is_empty()).then(|| value.to_string())
    })
}

/// Decodes the text fields of a `multipart/form-data` body (FastAPI's forms accept it too, e.g.
/// `curl -F`). File parts are skipped; a malformed body is a 422.
pub fn parse_multipart(bytes: &[u8], boundary: &str) -> BodyResult<Vec<(String, String)>> {
    let invalid = || BodyError::new("value_error", &["body"], "Invalid multipart form body");
    let text = std::str::from_utf8(bytes).map_err(|_| invalid())?;
    let delimiter = format!("--{boundary}");
    let mut fields = Vec::new();
    let mut parts = text.split(delimiter.as_str());
    parts.next(); // the preamble
    for part in parts {
        if part.starts_with("--") {
            return Ok(fields); // the closing delimiter
        }
        let part = part.strip_prefix("\r\n").ok_or_else(invalid)?;
        let (head, body) = part.split_once("\r\n\r\n").ok_or_else(invalid)?;
        let body = body.strip_suffix("\r\n").ok_or_else(invalid)?;
        let disposition = head
            .split("\r\n")
            .find(|line| line.to_ascii_lowercase().starts_with("content-disposition:"))
            .ok_or_else(invalid)?;
        let param = |key: &str| {
            disposition.split(';').find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_string())
            })
        };
        if param("filename").is_some() {
            continue;
        }
        fields.push((param("name").ok_or_else(invalid)?, body.to_string()));
    }
    Err(invalid()) // no closing delimiter: truncated
}

/// The first value of a form field.
pub fn form_field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_are_422_with_a_location() {
        let err = JsonBody::parse(b"{not json").unwrap_err();
        assert_eq!((err.kind, err.loc.as_slice()), ("json_invalid", &["body".to_string(), "2".to_string()][..]));
        assert_eq!(err.msg, "JSON decode error");
        let err = JsonBody::parse(b"[1,2]").unwrap_err();
        assert_eq!((err.kind, err.loc.as_slice()), ("model_attributes_type", &["body".to_string()][..]));
        assert_eq!(JsonBody::parse(b"").unwrap_err(), BodyError::new("missing", &["body"], "Field required"));
    }

    #[test]
    fn typed_fields() {
        let body =
            JsonBody::parse(br#"{"username":"a","password":5,"is_active":true,"flag":"False","image":null}"#).unwrap();
        assert_eq!(body.required_str("username").unwrap(), "a");
        let err = body.required_str("password").unwrap_err();
        assert_eq!(err, BodyError::new("string_type", &["body", "password"], "Input should be a valid string"));
        let err = body.required_str("missing").unwrap_err();
        assert_eq!(err, BodyError::new("missing", &["body", "missing"], "Field required"));
        assert_eq!(body.optional_bool("is_active").unwrap(), Some(true));
        assert_eq!(body.optional_bool("flag").unwrap(), Some(false));
        assert_eq!(body.optional_str("image").unwrap(), None);
        assert!(body.has("image"));
        assert!(body.optional_bool("username").is_err());
    }

    #[test]
    fn datetime_fields_answer_pydantic_errors() {
        let body = JsonBody::parse(
            br#"{"a":"2026-11-27T14:27:14+01:00","b":"2026-02-31T00:00:00","c":"0000-01-01","d":12,"e":null}"#,
        )
        .unwrap();
        assert_eq!(body.optional_datetime("a"), Ok(Some(1_795_786_034)));
        let err = BodyError::new(
            "datetime_from_date_parsing",
            &["body", "b"],
            "Input should be a valid datetime or date, day value is outside expected range",
        );
        assert_eq!(body.optional_datetime("b"), Err(err));
        let err = BodyError::new(
            "datetime_parsing",
            &["body", "c"],
            "Input should be a valid datetime, year 0 is out of range",
        );
        assert_eq!(body.optional_datetime("c"), Err(err));
        assert_eq!(body.optional_datetime("d").map_err(|e| e.kind), Err("string_type"));
        assert_eq!(body.optional_datetime("e"), Ok(None));
        assert_eq!(body.optional_datetime("missing"), Ok(None));
    }

    #[test]
    fn forms_decode_like_html_forms() {
        let fields = parse_form(b"username=al%C3%AFce&password=p%26ss+word%3D&empty=&x").unwrap();
        assert_eq!(form_field(&fields, "username"), Some("alïce"));
        assert_eq!(form_field(&fields, "password"), Some("p&ss word="));
        assert_eq!(form_field(&fields, "empty"), Some(""));
        assert_eq!(form_field(&fields, "x"), Some(""));
        assert_eq!(form_field(&fields, "nope"), None);
        assert!(parse_form(b"username=%zz").is_err());
        assert!(parse_form(b"username=%C3").is_err());
        assert!(parse_form(b"username=%").is_err());
        // Issue 15 bug 3: u8::from_str_radix took a sign, so `%+f` was byte 0x0F.
        for bad in
            [&b"username=%+f"[..], b"username=%-1", b"username=% f", b"username=%f", b"%zz=x", b"a=%%41", b"a=\xff"]
        {
            assert!(parse_form(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let fields = parse_form(b"a=%2B+%2b&b=%e2%82%AC&c=%25").unwrap();
        assert_eq!(fields, [("a".into(), "+ +".into()), ("b".into(), "\u{20ac}".into()), ("c".into(), "%".into())]);
    }

    #[test]
    fn multipart_forms_decode_like_fastapi() {
        let ct = "multipart/form-data; boundary=\"XyZ\"";
        let boundary = multipart_boundary(ct).unwrap();
        assert_eq!(boundary, "XyZ");
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalïce\r\n--XyZ\r\n\
                    Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nignored\r\n--XyZ\r\n\
                    content-disposition: form-data; name=password\r\n\r\np&ss\r\nword\r\n--XyZ--\r\n";
        let fields = parse_multipart(body.as_bytes(), &boundary).unwrap();
        assert_eq!(
            fields,
            vec![("username".to_string(), "alïce".to_string()), ("password".to_string(), "p&ss\r\nword".to_string())]
        );
        assert!(parse_multipart(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue", "XyZ").is_err());
        assert!(parse_multipart(b"--XyZ\r\nno headers\r\n--XyZ--", "XyZ").is_err());
        assert_eq!(multipart_boundary("multipart/form-data"), None);
    }

    mod properties {
        use super::super::*;
        use crate::core::test_support::{apply, edits, interesting_text};
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        use proptest::prelude::*;

        /// How a browser or curl encodes a form field, spaces as `+` or `%20`.
        fn encode(text: &str, plus_for_space: bool) -> String {
            let encoded = utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
            if plus_for_space {
                encoded.replace("%20", "+")
            } else {
                encoded
            }
        }

        fn fields() -> impl Strategy<Value = Vec<(String, String)>> {
            proptest::collection::vec((interesting_text(12), prop_oneof![any::<String>(), interesting_text(20)]), 0..6)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn forms_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64), text in interesting_text(40)) {
                let _ = parse_form(&bytes);
                let _ = parse_form(text.as_bytes());
            }

            #[test]
            fn forms_round_trip(fields in fields(), plus in any::<bool>()) {
                let body = fields.iter().map(|(k, v)| format!("{}={}", encode(k, plus), encode(v, plus))).collect::<Vec<_>>().join("&");
                prop_assert_eq!(parse_form(body.as_bytes()), Ok(fields));
            }

            #[test]
            fn a_bad_escape_anywhere_is_refused(
                fields in fields(),
                at in any::<proptest::sample::Index>(),
                junk in "%([^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|[0-9A-Fa-f]?)",
            ) {
                // The junk ends a value, so the next character is `&` or the end: never an escape.
                let mut fields = fields;
                fields.push(("last".into(), String::new()));
                let target = at.index(fields.len());
                let body = fields
                    .iter()
                    .enumerate()
                    .map(|(i, (k, v))| format!("{}={}{}", encode(k, true), encode(v, true), if i == target { junk.as_str() } else { "" }))
                    .collect::<Vec<_>>()
                    .join("&");
                prop_assert!(parse_form(body.as_bytes()).is_err(), "{:?}", body);
            }

            #[test]
            fn multipart_never_panics(body in proptest::collection::vec(any::<u8>(), 0..128), text in interesting_text(60), boundary in interesting_text(8), content_type in interesting_text(40)) {
                let _ = parse_multipart(&body, &boundary);
                let _ = parse_multipart(text.as_bytes(), &boundary);
                let _ = multipart_boundary(&content_type);
                let _ = multipart_boundary(&format!("multipart/form-data; {content_type}"));
            }

            #[test]
            fn multipart_round_trips(
                boundary in "[A-Za-z0-9'()+_,./:=?]{1,40}",
                fields in proptest::collection::vec(("[A-Za-z0-9_]{1,12}", "[^-]{0,40}"), 0..5),
                edits in edits(),
            ) {
                let mut body = String::new();
                for (name, value) in &fields {
                    body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
                }
                body.push_str(&format!("--{boundary}--\r\n"));
                prop_assert_eq!(multipart_boundary(&format!("multipart/form-data; boundary=\"{boundary}\"")), Some(boundary.clone()));
                prop_assert_eq!(parse_multipart(body.as_bytes(), &boundary), Ok(fields));
                let _ = parse_multipart(apply(&body, &edits).as_bytes(), &boundary);
            }

            #[test]
            fn json_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64), text in interesting_text(40), depth in 0usize..2000) {
                let _ = JsonBody::parse(&bytes);
                let _ = JsonBody::parse(text.as_bytes());
                let nested = format!("{{\"a\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
                let _ = JsonBody::parse(nested.as_bytes());
            }

            #[test]
            fn json_fields_round_trip(
                strings in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..5),
                flag in any::<bool>(),
                edits in edits(),
            ) {
                let mut map: Map<String, Value> = strings.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
                map.insert("flag-field".into(), Value::Bool(flag));
                let text = serde_json::to_string(&Value::Object(map.clone())).unwrap();
                let body = JsonBody::parse(text.as_bytes()).unwrap();
                for (key, value) in &map {
                    match value {
                        Value::String(v) => prop_assert_eq!(body.required_str(key).unwrap(), v.as_str()),
                        Value::Bool(b) => prop_assert_eq!(body.optional_bool(key).unwrap(), Some(*b)),
                        _ => {}
                    }
                    let _ = (body.optional_str(key), body.optional_bool(key), body.optional_object(key));
                }
                let _ = JsonBody::parse(apply(&text, &edits).as_bytes());
            }
        }
    }
}
