//! `GET /is/image/{company}/{name}`: the image route.
//!
//! This module owns finding the source for a request and turning the raw query
//! string into a render request. For now the only company is `Demo`, whose
//! images are the files in the fixtures directory. The query is kept as the
//! raw string because the order of commands matters. Rendering runs on the
//! blocking pool; this module must never decode or encode pixels itself.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::HttpError;
use crate::render::{ThinFormat, ThinRequest, render_thin};

/// The company whose images are the fixtures.
const DEMO_COMPANY: &str = "Demo";

/// File extensions tried, in order, when a name is given without one.
const IMAGE_EXTENSIONS: [&str; 7] = ["jpg", "jpeg", "png", "gif", "webp", "tif", "tiff"];

/// `GET /is/image/{company}/{*name}`.
pub(crate) async fn image(
    State(state): State<AppState>,
    UrlPath((company, name)): UrlPath<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    let request =
        thin_request_from_query(query.as_deref().unwrap_or("")).map_err(HttpError::BadRequest)?;
    let not_found = || HttpError::ImageNotFound(format!("{company}/{name}"));
    if company != DEMO_COMPANY {
        return Err(not_found());
    }
    let path = find_fixture(state.fixtures_dir(), &name).ok_or_else(not_found)?;

    let limits = state.limits().clone();
    let rendered = tokio::task::spawn_blocking(move || {
        let bytes = std::fs::read(&path).map_err(|err| {
            tracing::warn!("cannot read {}: {err}", path.display());
            HttpError::ImageNotFound(format!("{DEMO_COMPANY}/{name}"))
        })?;
        render_thin(&bytes, &request, &limits).map_err(HttpError::from)
    })
    .await
    .map_err(|err| HttpError::Internal(format!("render task failed: {err}")))??;

    Ok((
        [(header::CONTENT_TYPE, rendered.content_type)],
        rendered.bytes,
    )
        .into_response())
}

/// `GET /is/image/{name}`: an object with no company; there is no default
/// catalog yet, so it is never found.
pub(crate) async fn company_only(UrlPath(name): UrlPath<String>) -> HttpError {
    HttpError::ImageNotFound(name)
}

/// Converts the raw query string into a render request.
///
/// Understands `wid`, `hei`, `fmt`, `qlt` and `bgc`; other commands are
/// ignored, as Scene7 ignores unknown ones. The error message names the bad
/// value.
fn thin_request_from_query(raw: &str) -> Result<ThinRequest, String> {
    // Replaced by the protocol parser.
    let mut request = ThinRequest::default();
    for token in raw.split('&').filter(|t| !t.is_empty()) {
        let (name, value) = token.split_once('=').unwrap_or((token, ""));
        let invalid = || format!("Invalid value for {name}: {value}");
        match name.to_ascii_lowercase().as_str() {
            "wid" => request.wid = Some(positive(value).ok_or_else(invalid)?),
            "hei" => request.hei = Some(positive(value).ok_or_else(invalid)?),
            "fmt" => {
                let format = value.split(',').next().unwrap_or("");
                request.format = match format.to_ascii_lowercase().as_str() {
                    "jpeg" | "jpg" => ThinFormat::Jpeg,
                    "png" => ThinFormat::Png,
                    "png-alpha" => ThinFormat::PngAlpha,
                    _ => return Err(format!("Unsupported value for fmt: {value}")),
                };
            }
            "qlt" => {
                let quality = value.split(',').next().unwrap_or("");
                request.quality = quality
                    .parse::<u8>()
                    .ok()
                    .filter(|q| (1..=100).contains(q))
                    .ok_or_else(invalid)?;
            }
            "bgc" => request.bgc = hex_color(value).ok_or_else(invalid)?,
            _ => {}
        }
    }
    Ok(request)
}

fn positive(value: &str) -> Option<u32> {
    value.parse::<u32>().ok().filter(|&v| v > 0)
}

/// Parses `rrggbb` (or `0xrrggbb`) into RGB.
fn hex_color(value: &str) -> Option<[u8; 3]> {
    let hex = value.strip_prefix("0x").unwrap_or(value);
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// Finds the fixture called `name`, with or without its extension.
///
/// Only plain file names inside `dir` are accepted: anything with a path
/// separator, `..` or a leading dot is refused.
fn find_fixture(dir: &Path, name: &str) -> Option<PathBuf> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && !name.contains("..");
    if !plain {
        return None;
    }
    let is_image = |path: &Path| {
        path.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            && path.is_file()
    };
    let exact = dir.join(name);
    if is_image(&exact) {
        return Some(exact);
    }
    IMAGE_EXTENSIONS
        .iter()
        .map(|ext| dir.join(format!("{name}.{ext}")))
        .find(|path| is_image(path))
}

/// Example URLs for every image in the fixtures directory, sorted by name.
pub fn demo_urls(addr: SocketAddr, fixtures_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(fixtures_dir) else {
        return Vec::new();
    };
    let mut stems: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        })
        .filter_map(|path| path.file_stem()?.to_str().map(str::to_owned))
        .collect();
    stems.sort();
    stems
        .iter()
        .map(|stem| format!("http://{addr}/is/image/{DEMO_COMPANY}/{stem}?wid=200&fmt=png"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_query_parser_reads_the_basic_commands() {
        let req =
            thin_request_from_query("&wid=200&HEI=100&fmt=png-alpha&qlt=90,1&bgc=ff0080&ts=1")
                .unwrap();
        assert_eq!(req.wid, Some(200));
        assert_eq!(req.hei, Some(100));
        assert_eq!(req.format, ThinFormat::PngAlpha);
        assert_eq!(req.quality, 90);
        assert_eq!(req.bgc, [255, 0, 128]);
        assert_eq!(thin_request_from_query("").unwrap(), ThinRequest::default());
    }

    #[test]
    fn temporary_query_parser_names_the_bad_value() {
        let err = thin_request_from_query("wid=abc").unwrap_err();
        assert!(err.contains("abc"), "{err}");
        assert!(thin_request_from_query("wid=0").is_err());
        assert!(thin_request_from_query("qlt=150").is_err());
        assert!(thin_request_from_query("fmt=bmp").is_err());
    }

    #[test]
    fn fixtures_are_found_by_plain_name_only() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        assert!(find_fixture(&dir, "photo").is_some());
        assert!(find_fixture(&dir, "photo.jpg").is_some());
        assert!(find_fixture(&dir, "logo").is_some());
        assert!(find_fixture(&dir, "README.md").is_none());
        assert!(find_fixture(&dir, "README").is_none());
        assert!(find_fixture(&dir, "../fixtures/photo").is_none());
        assert!(find_fixture(&dir, "..").is_none());
        assert!(find_fixture(&dir, "").is_none());
        assert!(find_fixture(&dir, "missing").is_none());
    }
}
