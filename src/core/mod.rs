//! Pure logic: no I/O, no clock, no randomness of its own. Callers pass time and random bytes,
//! so everything here runs unchanged in host unit tests and in wasm32.

pub mod fernet;
pub mod mt19937;
pub mod password;
pub mod secret_key;
pub mod token;
