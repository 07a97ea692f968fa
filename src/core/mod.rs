//! Pure logic: no I/O, no clock, no randomness of its own. Callers pass time and random bytes,
//! so everything here runs unchanged in host unit tests and in wasm32.
//!
//! Request input reaches the parsers here, so outside tests nothing may panic on it: no unchecked
//! indexing or slicing (`get`, iterators and patterns instead), no `unwrap`/`expect`. The property
//! tests in each module back this up at run time.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod audit_query;
pub mod csrf;
pub mod fernet;
pub mod html;
pub mod identity_token;
pub mod ids;
pub mod mt19937;
pub mod naming;
pub mod oidc;
pub mod password;
pub mod rate_limit;
pub mod request_body;
pub mod secret_key;
pub mod time;
pub mod token;
pub mod totp;
pub mod user_rules;

/// Lowercase hex, as Python's `hexdigest()`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Langflow's (pydantic's) boolean spellings, for settings and JSON strings alike.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// Generators shared by the property tests of core/.
#[cfg(test)]
pub(crate) mod test_support {
    use proptest::prelude::*;
    use proptest::sample::{select, Index};

    /// Characters the parsers here treat specially, with any character at all mixed in.
    pub fn interesting_char() -> impl Strategy<Value = char> {
        let special = vec![
            '0',
            '1',
            '2',
            '9',
            'a',
            'f',
            'F',
            'g',
            'T',
            't',
            'Z',
            'z',
            '_',
            '-',
            ':',
            ' ',
            '+',
            '.',
            ',',
            '%',
            '=',
            '&',
            '/',
            '?',
            '#',
            '$',
            '{',
            '}',
            '(',
            ')',
            '\\',
            '\r',
            '\n',
            '\t',
            '\0',
            '"',
            '\u{e9}',
            '\u{ff17}',
            '\u{1f600}',
        ];
        prop_oneof![3 => select(special), 1 => any::<char>()]
    }

    /// Text mostly made of `interesting_char`s.
    pub fn interesting_text(max_len: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(interesting_char(), 0..max_len).prop_map(|chars| chars.into_iter().collect())
    }

    /// One edit of a text: replace, insert or delete the character at a position.
    #[derive(Debug, Clone)]
    pub enum Edit {
        Replace(Index, char),
        Insert(Index, char),
        Delete(Index),
    }

    /// One to three edits.
    pub fn edits() -> impl Strategy<Value = Vec<Edit>> {
        let edit = prop_oneof![
            (any::<Index>(), interesting_char()).prop_map(|(at, c)| Edit::Replace(at, c)),
            (any::<Index>(), interesting_char()).prop_map(|(at, c)| Edit::Insert(at, c)),
            any::<Index>().prop_map(Edit::Delete),
        ];
        prop::collection::vec(edit, 1..4)
    }

    /// `text` with `edits` applied, in order.
    pub fn apply(text: &str, edits: &[Edit]) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for edit in edits {
            match edit {
                Edit::Insert(at, c) => chars.insert(at.index(chars.len() + 1), *c),
                Edit::Replace(at, c) if !chars.is_empty() => {
                    let i = at.index(chars.len());
                    chars[i] = *c;
                }
                Edit::Delete(at) if !chars.is_empty() => {
                    chars.remove(at.index(chars.len()));
                }
                _ => {}
            }
        }
        chars.into_iter().collect()
    }

    /// `bytes` with one byte changed to another value (never the same one).
    pub fn flip_byte(bytes: &[u8], at: Index, xor: u8) -> Vec<u8> {
        let mut out = bytes.to_vec();
        if !out.is_empty() {
            let i = at.index(out.len());
            out[i] ^= xor.max(1);
        }
        out
    }
}
