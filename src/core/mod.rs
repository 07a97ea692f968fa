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

pub mod csrf;
pub mod fernet;
pub mod html;
pub mod ids;
pub mod mt19937;
pub mod naming;
pub mod password;
pub mod rate_limit;
pub mod request_body;
pub mod secret_key;
pub mod time;
pub mod token;
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
