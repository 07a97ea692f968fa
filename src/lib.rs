//! langflow-edge: Langflow's authentication, user administration and flow storage as a
//! Cloudflare Worker.
//!
//! Layers, each importing only the ones below it: `edge` (routing, cookies, the JSON API, the
//! HTML pages) → `service` (what each feature does, given plain values) → `db` (one module per
//! D1 table) → `core` (pure logic: crypto, tokens, passwords, rules; no I/O, time and randomness
//! passed in). `settings` is parsed once per isolate into a typed struct that every layer reads.

pub mod core;
pub mod db;
pub mod edge;
pub mod service;
pub mod settings;

#[worker::event(fetch)]
async fn fetch(req: worker::Request, env: worker::Env, ctx: worker::Context) -> worker::Result<worker::Response> {
    Ok(edge::handle(req, env, ctx).await)
}

#[cfg(test)]
mod layering;
