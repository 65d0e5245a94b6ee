//! `GET /is/image/{company}/{name}`: the image route.
//!
//! Resolves the object through the catalog (an owner image, or a derived
//! asset with its owner's file and its Modifier/PostModifier), merges those
//! strings around the raw query (order matters, so it is kept as a string),
//! and renders on the blocking pool. It never decodes or encodes pixels itself.

use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::{AppState, blocking};
use crate::app::ResolveError;
use crate::protocol::{self, CommandName, ast::FormatKind, ast::ReqType};
use crate::render::{ThinFormat, ThinRequest, render_thin};

/// `GET /is/image/{company}/{*name}`.
pub(crate) async fn image(
    State(state): State<AppState>,
    UrlPath((company, name)): UrlPath<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    let app = state.app().clone();
    let query = query.unwrap_or_default();
    let rendered = blocking(move || {
        let resolved = app.resolve(&company, &name).map_err(|e| match e {
            ResolveError::NotFound(object) => HttpError::ImageNotFound(object),
            ResolveError::Unsupported(message) => HttpError::BadRequest(message),
            other => HttpError::Internal(other.to_string()),
        })?;
        let request = thin_request(
            protocol::Sources {
                modifier: &resolved.modifier,
                request: &query,
                post_modifier: &resolved.post_modifier,
            },
            &resolved.object,
        )
        .map_err(HttpError::BadRequest)?;
        render_thin(&resolved.bytes, &request, &app.limits).map_err(HttpError::from)
    })
    .await??;
    Ok((
        [(header::CONTENT_TYPE, rendered.content_type)],
        rendered.bytes,
    )
        .into_response())
}

/// `GET /is/image/{name}`: an object with no company; there is no default
/// catalog, so it is never found.
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

/// Merges the command strings into a render request with the protocol parser.
///
/// The error text is the parser's diagnostics (the string with `^^^` under the
/// offending value), or the name of a command this path does not render yet.
fn thin_request(sources: protocol::Sources<'_>, object: &str) -> Result<ThinRequest, String> {
    let parsed = protocol::parse(
        sources,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> protocol::Sources<'_> {
        protocol::Sources {
            request: q,
            ..protocol::Sources::default()
        }
    }

    #[test]
    fn query_commands_become_a_render_request() {
        let req = thin_request(
            query("&wid=200&HEI=100&fmt=png-alpha&qlt=90,1&bgc=ff0080&ts=1"),
            "Demo/photo",
        )
        .unwrap();
        assert_eq!(req.wid, Some(200));
        assert_eq!(req.hei, Some(100));
        assert_eq!(req.format, ThinFormat::PngAlpha);
        assert_eq!(req.quality, 90);
        assert_eq!(req.bgc, [255, 0, 128]);
        assert_eq!(
            thin_request(query(""), "Demo/photo").unwrap(),
            ThinRequest::default()
        );
    }

    #[test]
    fn errors_point_at_the_bad_value() {
        let err = thin_request(query("wid=abc"), "Demo/photo").unwrap_err();
        assert_eq!(
            err,
            "error: wid: expected an integer > 0, found `abc`\n  request: wid=abc\n               ^^^"
        );
        assert!(thin_request(query("wid=0"), "Demo/photo").is_err());
        assert!(thin_request(query("qlt=150"), "Demo/photo").is_err());
        assert!(thin_request(query("fmt=bmp"), "Demo/photo").is_err());
    }

    #[test]
    fn commands_not_rendered_yet_are_refused_by_name() {
        let err = thin_request(query("wid=100&crop=0,0,10,10"), "Demo/photo").unwrap_err();
        assert_eq!(err, "crop is not supported by this server yet");
        let err = thin_request(query("fmt=gif"), "Demo/photo").unwrap_err();
        assert_eq!(err, "fmt=gif is not supported by this server yet");
        let err = thin_request(query("req=props"), "Demo/photo").unwrap_err();
        assert_eq!(err, "req=props is not supported by this server yet");
    }
}
