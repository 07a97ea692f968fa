//! langflow-edge: Langflow's authentication, user administration and flow storage as a
//! Cloudflare Worker.
//!
//! `core` is pure logic (no I/O, time and randomness passed in) and is unit-tested on the host.
//! Everything else is the edge layer: routing, D1, cookies and pages.

pub mod core;
