//! langflow-edge: Langflow's authentication, user administration and flow storage as a
//! Cloudflare Worker.
//!
//! `core` and `settings` are pure logic (no I/O; time and randomness passed in), unit-tested on
//! the host. `edge` (routing, cookies, handlers) and `db` (one module per D1 table) are the edge
//! layer. `error` is the one place where errors become HTTP responses.

pub mod core;
pub mod db;
pub mod edge;
pub mod error;
pub mod settings;

#[worker::event(fetch)]
async fn fetch(req: worker::Request, env: worker::Env, ctx: worker::Context) -> worker::Result<worker::Response> {
    Ok(edge::handle(req, env, ctx).await)
}
