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

/// Parses a UUID the way FastAPI accepts one in a path (dashed or 32 hex digits, any case,
/// optional braces or `urn:uuid:`), and returns the canonical dashed lowercase form.
pub fn parse_uuid(text: &str) -> Option<String> {
    let text = text.trim();
    let text = text.strip_prefix("urn:uuid:").unwrap_or(text);
    let text = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')).unwrap_or(text);
    let hex: String = if text.len() == 36 {
        let dashes_ok = text.char_indices().all(|(i, c)| (c == '-') == matches!(i, 8 | 13 | 18 | 23));
        if !dashes_ok {
            return None;
        }
        text.chars().filter(|c| *c != '-').collect()
    } else if text.len() == 32 {
        text.to_string()
    } else {
        return None;
    };
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(format_uuid(&bytes))
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
        ] {
            assert_eq!(parse_uuid(bad), None, "{bad}");
        }
    }
}
