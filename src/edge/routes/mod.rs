//! Handlers, one module per area of the API.

pub mod admin;
pub mod api_keys;
pub mod auth;
pub mod flows;
pub mod health;
pub mod users;
pub mod variables;
