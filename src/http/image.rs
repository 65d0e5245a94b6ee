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
use crate::protocol::{self, CommandName, ast::FormatKind, ast::ReqType};
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
    let object = format!("{company}/{name}");
    let request = thin_request_from_query(query.as_deref().unwrap_or(""), &object)
        .map_err(HttpError::BadRequest)?;
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

/// Commands this first image path renders; any other known command is refused
/// with a 403 that names it, never silently dropped. `id=` only versions cache
/// keys and `req=img` is the default, so both are accepted as no-ops.
const SUPPORTED: [CommandName; 7] = [
    CommandName::Wid,
    CommandName::Hei,
    CommandName::Fmt,
    CommandName::Qlt,
    CommandName::Bgc,
    CommandName::Id,
    CommandName::Req,
];

/// Converts the raw query string into a render request with the protocol parser.
///
/// The error text is the parser's diagnostics (the query with `^^^` under the
/// offending value), or the name of a command this path does not render yet.
fn thin_request_from_query(raw: &str, object: &str) -> Result<ThinRequest, String> {
    let parsed = protocol::parse(
        protocol::Sources {
            request: raw,
            ..protocol::Sources::default()
        },
        &protocol::Options {
            object: Some(object),
            ..protocol::Options::default()
        },
    );
    if parsed.has_errors() {
        let errors: Vec<String> = parsed.diagnostics.errors().map(|d| d.to_string()).collect();
        return Err(errors.join("\n"));
    }
    let request = &parsed.request;
    if let Some((_, spanned)) = request
        .commands
        .iter()
        .find(|((_, name), _)| !SUPPORTED.contains(name))
    {
        return Err(format!(
            "{} is not supported by this server yet",
            spanned.value.name().as_str()
        ));
    }
    if let Some(req) = request.req() {
        if req.kind != ReqType::Img {
            return Err(format!(
                "req={} is not supported by this server yet",
                req.kind.as_str()
            ));
        }
    }
    let mut thin = ThinRequest {
        wid: request.wid(),
        hei: request.hei(),
        ..ThinRequest::default()
    };
    if let Some(format) = request.fmt() {
        thin.format = match format.kind {
            FormatKind::Jpeg | FormatKind::Jpg => ThinFormat::Jpeg,
            FormatKind::Png => ThinFormat::Png,
            FormatKind::PngAlpha => ThinFormat::PngAlpha,
            other => {
                return Err(format!(
                    "fmt={} is not supported by this server yet",
                    other.as_str()
                ));
            }
        };
    }
    if let Some(quality) = request.qlt() {
        thin.quality = quality.quality;
    }
    if let Some(bgc) = request.bgc() {
        let [r, g, b, _] = bgc.to_rgba8();
        thin.bgc = [r, g, b];
    }
    Ok(thin)
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
    fn query_commands_become_a_render_request() {
        let req = thin_request_from_query(
            "&wid=200&HEI=100&fmt=png-alpha&qlt=90,1&bgc=ff0080&ts=1",
            "Demo/photo",
        )
        .unwrap();
        assert_eq!(req.wid, Some(200));
        assert_eq!(req.hei, Some(100));
        assert_eq!(req.format, ThinFormat::PngAlpha);
        assert_eq!(req.quality, 90);
        assert_eq!(req.bgc, [255, 0, 128]);
        assert_eq!(
            thin_request_from_query("", "Demo/photo").unwrap(),
            ThinRequest::default()
        );
    }

    #[test]
    fn errors_point_at_the_bad_value() {
        let err = thin_request_from_query("wid=abc", "Demo/photo").unwrap_err();
        assert_eq!(
            err,
            "error: wid: expected an integer > 0, found `abc`\n  request: wid=abc\n               ^^^"
        );
        assert!(thin_request_from_query("wid=0", "Demo/photo").is_err());
        assert!(thin_request_from_query("qlt=150", "Demo/photo").is_err());
        assert!(thin_request_from_query("fmt=bmp", "Demo/photo").is_err());
    }

    #[test]
    fn commands_not_rendered_yet_are_refused_by_name() {
        let err = thin_request_from_query("wid=100&crop=0,0,10,10", "Demo/photo").unwrap_err();
        assert_eq!(err, "crop is not supported by this server yet");
        let err = thin_request_from_query("fmt=gif", "Demo/photo").unwrap_err();
        assert_eq!(err, "fmt=gif is not supported by this server yet");
        let err = thin_request_from_query("req=props", "Demo/photo").unwrap_err();
        assert_eq!(err, "req=props is not supported by this server yet");
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
