//! Identifiers: Langflow's ids are UUIDs, shown with dashes in the API.

use std::fmt::Write;

/// A version-4 UUID from 16 random bytes, lowercase with dashes.
pub fn uuid_v4(mut random: [u8; 16]) -> String {
    random[6] = (random[6] & 0x0f) | 0x40;
    random[8] = (random[8] & 0x3f) | 0x80;
    format_uuid(&random)
}

fn format_uuid(bytes: &[u8; 16]) -> String {
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Parses a UUID the way FastAPI (pydantic, the `uuid` crate) accepts one in a path or a body:
/// 32 hex digits, or dashed 8-4-4-4-12 alone, in braces or after `urn:uuid:`; any case, nothing
/// around it. Returns the canonical dashed lowercase form.
pub fn parse_uuid(text: &str) -> Option<String> {
    let wrapped = text.strip_prefix("urn:uuid:").or_else(|| text.strip_prefix('{')?.strip_suffix('}'));
    let digits: Vec<u8> = match wrapped {
        Some(inner) => dashed_digits(inner)?,
        None if text.len() == 32 => text.bytes().collect(),
        None => dashed_digits(text)?,
    };
    if digits.len() != 32 {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *byte = hex_value(*high)? << 4 | hex_value(*low)?;
    }
    Some(format_uuid(&bytes))
}

/// The 32 digits of a dashed UUID, if its groups have 8, 4, 4, 4 and 12 characters.
fn dashed_digits(text: &str) -> Option<Vec<u8>> {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths_ok = groups.iter().map(|group| group.len()).eq([8, 4, 4, 4, 12]);
    lengths_ok.then(|| groups.concat().into_bytes())
}

/// An ASCII hex digit's value: unlike `u8::from_str_radix`, no sign is taken.
fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|value| u8::try_from(value).ok())
}

/// A UUID-named record id of one kind. Each kind is its own type, so an owner cannot be passed
/// where a flow id is expected (or the reverse) anywhere between the edge and D1. Values are
/// canonical (dashed, lowercase) when made by `parse` or `random`; rows read back from D1 are
/// taken as stored.
macro_rules! uuid_ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// FastAPI's UUID rules (see `parse_uuid`); `None` when `text` is not a UUID.
            pub fn parse(text: &str) -> Option<Self> {
                parse_uuid(text).map($name)
            }

            /// A new version-4 id from 16 random bytes.
            pub fn random(bytes: [u8; 16]) -> Self {
                $name(uuid_v4(bytes))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    )*};
}

uuid_ids! {
    /// `user.id`.
    UserId,
    /// `flow.id`.
    FlowId,
    /// `folder.id` (a Langflow project).
    FolderId,
    /// `session.id`: one login, named by the tokens' `sid` claim.
    SessionId,
    /// `apikey.id`.
    ApiKeyId,
    /// `variable.id`.
    VariableId,
}

impl FlowId {
    /// A version-5 id: Langflow keeps those for public execution histories, never a saved flow.
    pub fn is_version_5(&self) -> bool {
        self.0.as_bytes().get(14) == Some(&b'5')
    }
}

impl SessionId {
    /// The `sid` of a verified token, as issued (only tokens we signed carry one).
    pub fn from_claim(sid: String) -> Self {
        SessionId(sid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_has_version_and_variant_bits() {
        let id = uuid_v4([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(parse_uuid(&id).as_deref(), Some(id.as_str()));
    }

    #[test]
    fn parses_the_forms_fastapi_accepts() {
        let canonical = "36f88d71-8ccb-4dd7-8f56-612d70ecec07";
        for form in [
            canonical,
            "36F88D71-8CCB-4DD7-8F56-612D70ECEC07",
            "36f88d718ccb4dd78f56612d70ecec07",
            "{36f88d71-8ccb-4dd7-8f56-612d70ecec07}",
            "urn:uuid:36f88d71-8ccb-4dd7-8f56-612d70ecec07",
            "urn:uuid:36F88D71-8CCB-4DD7-8F56-612D70ECEC07",
        ] {
            assert_eq!(parse_uuid(form).as_deref(), Some(canonical), "{form}");
        }
        for bad in [
            "",
            "abc",
            "36f88d71-8ccb-4dd7-8f56-612d70ecec0g",
            "36f88d71x8ccb-4dd7-8f56-612d70ecec07",
            "1; DROP TABLE user",
            "é6f88d71-8ccb-4dd7-8f56-612d70ecec0",
            // Issue 15 bug 4: u8::from_str_radix took `+` as the sign of a hex pair.
            "fe3fc46e-a31f-c9+5-57db-0a8956ad957e",
            "+0000000000000000000000000000000",
            "+f+f+f+f-+f+f-+f+f-+f+f-+f+f+f+f+f+f",
            // Pydantic refuses these too: surrounding space, braces or URN around 32 digits.
            " 36f88d71-8ccb-4dd7-8f56-612d70ecec07",
            "36f88d71-8ccb-4dd7-8f56-612d70ecec07\n",
            "{36f88d718ccb4dd78f56612d70ecec07}",
            "urn:uuid:36f88d718ccb4dd78f56612d70ecec07",
            "URN:UUID:36f88d71-8ccb-4dd7-8f56-612d70ecec07",
            "{36f88d71-8ccb-4dd7-8f56-612d70ecec07",
            "36f88d71-8ccb4dd7-8f56-612d70ecec07-",
            "36f88d71-8ccb-4dd7-8f56-612d70ecec0\u{ff17}",
        ] {
            assert_eq!(parse_uuid(bad), None, "{bad}");
        }
    }

    mod properties {
        use super::super::*;
        use crate::core::test_support::{apply, edits, interesting_text};
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn never_panics_and_answers_only_canonical_uuids(text in prop_oneof![any::<String>(), interesting_text(40)], random in any::<[u8; 16]>(), edits in edits()) {
                for candidate in [text, apply(&uuid_v4(random), &edits)] {
                    if let Some(id) = parse_uuid(&candidate) {
                        prop_assert_eq!(id.len(), 36);
                        let canonical = id.bytes().enumerate().all(|(i, b)| {
                            if matches!(i, 8 | 13 | 18 | 23) {
                                b == b'-'
                            } else {
                                matches!(b, b'0'..=b'9' | b'a'..=b'f')
                            }
                        });
                        prop_assert!(canonical, "{:?}", id);
                        prop_assert_eq!(parse_uuid(&id), Some(id.clone()));
                        // Only hex digits, dashes and the wrapper may make up what was accepted.
                        prop_assert!(candidate.chars().all(|c| c.is_ascii_hexdigit() || "-{}urn:uuid".contains(c)), "{:?}", candidate);
                    }
                }
            }

            #[test]
            fn every_accepted_spelling_round_trips(random in any::<[u8; 16]>()) {
                let id = uuid_v4(random);
                let simple = id.replace('-', "");
                for form in [id.clone(), id.to_uppercase(), simple.clone(), simple.to_uppercase(), format!("{{{id}}}"), format!("urn:uuid:{id}")] {
                    prop_assert_eq!(parse_uuid(&form), Some(id.clone()), "{}", form);
                }
                for refused in [format!(" {id}"), format!("{id} "), format!("{{{simple}}}"), format!("urn:uuid:{simple}"), format!("+{}", &simple[1..])] {
                    prop_assert_eq!(parse_uuid(&refused), None, "{}", refused);
                }
            }
        }
    }

    #[test]
    fn version_5_ids_are_told_apart() {
        let v5 = FlowId::parse("05b16a01-46c6-56dd-bd6e-c6dfb4a1427a").expect("a UUID");
        assert!(v5.is_version_5());
        let v4 = FlowId::parse("4d21d1dd-bb2d-40e2-999e-3cd7ee000403").expect("a UUID");
        assert!(!v4.is_version_5());
        // Upper case and the undashed form are canonicalised first.
        assert!(FlowId::parse("05B16A0146C656DDBD6EC6DFB4A1427A").expect("a UUID").is_version_5());
    }
}
