//! Configuration and limits.
//!
//! This module owns the server settings ([`ServeConfig`]) and the resource
//! limits that guard every request ([`Limits`]). It only holds values and their
//! documented defaults, and reads the `RENDITION_*` environment variables in
//! [`ServeConfig::from_env`]. No other module may read the environment or
//! invent its own limits.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Resource limits for untrusted requests and source images.
///
/// Every check happens before pixels are allocated. The defaults follow
/// Scene7's catalog attributes where one exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest reply image, width × height (Scene7 `attribute::MaxPix`).
    /// A reply wider or taller is an error. Default: 3000 × 3000.
    pub max_pix: (u32, u32),
    /// Size a request with no `wid`, `hei` or `scl` is scaled down to fit in
    /// (Scene7 `attribute::DefaultPix`). Default: 2000 × 2000.
    pub default_pix: (u32, u32),
    /// Largest source image we agree to decode, in pixels. Default: 100 000 000.
    pub max_source_pixels: u64,
    /// Most layers in one composite. Default: 64.
    pub max_layers: u32,
    /// Deepest nesting of `()`/`{}` and embedded requests. Default: 8.
    pub max_nesting: u32,
    /// Longest `text=` value, in bytes. Default: 8192.
    pub max_text_len: usize,
    /// Largest HTTP request body, in bytes. Default: 16 MiB.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pix: (3000, 3000),
            default_pix: (2000, 2000),
            max_source_pixels: 100_000_000,
            max_layers: 64,
            max_nesting: 8,
            max_text_len: 8192,
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Settings for `rendition serve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// Address to listen on. Default: `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Directory for the catalog and stored originals. Default: `./data`.
    pub data_dir: PathBuf,
    /// Images the `Demo` company is seeded from on an empty catalog. Default:
    /// the crate's `fixtures/`, so `cargo run` works from any working directory.
    pub fixtures_dir: PathBuf,
    /// Seed the `Demo` company on an empty catalog. Default: `true`.
    pub seed_demo: bool,
    /// The `IpsAdmin` to create on first start, from `RENDITION_ADMIN_USER`
    /// and `RENDITION_ADMIN_PASSWORD`. Default: none.
    pub admin: Option<(String, String)>,
    /// Resource limits applied to every request.
    pub limits: Limits,
}

impl ServeConfig {
    /// Defaults overridden by the `RENDITION_*` environment variables.
    pub fn from_env() -> ServeConfig {
        let mut config = ServeConfig::default();
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let (Some(user), Some(password)) =
            (var("RENDITION_ADMIN_USER"), var("RENDITION_ADMIN_PASSWORD"))
        {
            config.admin = Some((user, password));
        }
        if let Some(listen) = var("RENDITION_LISTEN").and_then(|v| v.parse().ok()) {
            config.listen = listen;
        }
        if let Some(data) = var("RENDITION_DATA") {
            config.data_dir = PathBuf::from(data);
        }
        config
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            data_dir: PathBuf::from("data"),
            fixtures_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
            seed_demo: true,
            admin: None,
            limits: Limits::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documentation() {
        let limits = Limits::default();
        assert_eq!(limits.max_pix, (3000, 3000));
        assert_eq!(limits.default_pix, (2000, 2000));
        assert_eq!(limits.max_body_bytes, 16 << 20);
        let config = ServeConfig::default();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(config.fixtures_dir.ends_with("fixtures"));
    }
}
