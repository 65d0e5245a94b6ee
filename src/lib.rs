//! Rendition: an image rendering service that speaks the Scene7 / Dynamic Media
//! Image Serving URL protocol.
//!
//! The crate is layered as `ARCHITECTURE.md` describes: `protocol` turns command
//! strings into a typed request, `render` turns pixels into pixels, and `http`
//! wires both to the network. No layer reaches into a layer above it.

pub mod allocator;
pub mod app;
pub mod cache;
pub mod catalog;
pub mod config;
pub mod http;
pub mod ips;
pub mod job;
pub mod metrics;
pub mod plan;
pub mod protocol;
pub mod render;
pub mod serve;
