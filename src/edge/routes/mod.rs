//! Handlers, one module per area of the API.

pub mod auth;
pub mod health;
pub mod users;
