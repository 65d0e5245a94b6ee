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
use crate::job::{self, JobError};
use crate::protocol;
use crate::render::text::FontSet;

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
        let sources = protocol::Sources {
            modifier: &resolved.modifier,
            request: &query,
            post_modifier: &resolved.post_modifier,
        };
        let resolver = app.resolver(&company);
        let ctx = job::Context {
            resolver: &resolver,
            limits: &app.limits,
            fonts: FontSet::shared(),
        };
        job::render(resolved.bytes.clone(), sources, &resolved.object, &ctx).map_err(|e| match e {
            JobError::Request(message) | JobError::Refused(message) => {
                HttpError::BadRequest(message)
            }
            JobError::NotFound(object) => HttpError::ImageNotFound(object),
            JobError::Render(e) => HttpError::Render(e),
        })
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
