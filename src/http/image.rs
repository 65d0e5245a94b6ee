//! `GET /is/image/{company}/{name}`: the image route.
//!
//! Resolves the object through the catalog (an owner image, or a derived
//! asset with its owner's file and its Modifier/PostModifier), merges those
//! strings around the raw query (order matters, so it is kept as a string),
//! and renders on the blocking pool. It never decodes or encodes pixels itself.

use axum::body::Body;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::HttpError;
use crate::cache::Outcome;
use crate::serve::{Conditional, Reply, ServeError};

/// The conditional headers of a request (§6.1).
fn conditional(headers: &HeaderMap) -> Conditional {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    Conditional {
        if_none_match: text(header::IF_NONE_MATCH),
        if_modified_since: text(header::IF_MODIFIED_SINCE)
            .and_then(|v| httpdate::parse_http_date(&v).ok()),
    }
}

/// Turns a served reply into a response.
pub(crate) fn respond(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&reply.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    response
}

/// `GET /is/image/{company}/{*name}`.
pub(crate) async fn image(
    State(state): State<AppState>,
    UrlPath((company, name)): UrlPath<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let service = state.service().clone();
    let result = service
        .image(
            company,
            name,
            query.unwrap_or_default(),
            conditional(&headers),
        )
        .await;
    let metrics = state.metrics();
    match &result {
        Ok((_, served)) => match served.outcome {
            Some(Outcome::Hit) => metrics.cache_hit(),
            Some(Outcome::Rendered) => {
                metrics.cache_miss();
                if let Some(seconds) = served.render_seconds {
                    metrics.observe_render(seconds);
                }
            }
            Some(Outcome::Joined) => {
                metrics.cache_miss();
                metrics.single_flight_joined();
            }
            None => {}
        },
        Err(ServeError::Overloaded) => metrics.queue_rejected(),
        Err(_) => {}
    }
    let stats = service.cache.stats();
    metrics.set_cache_bytes(stats.bytes);
    metrics.set_cache_entries(stats.entries);
    metrics.cache_evicted(stats.evicted);
    metrics.set_queue_depth(service.pool.depth());
    let (reply, _) = result.map_err(HttpError::from)?;
    Ok(respond(reply))
}

impl From<ServeError> for HttpError {
    fn from(e: ServeError) -> Self {
        match e {
            ServeError::NotFound(object) => HttpError::ImageNotFound(object),
            ServeError::Refused(message) => HttpError::BadRequest(message),
            ServeError::Overloaded => HttpError::Unavailable(e.to_string()),
            ServeError::Timeout(_) => HttpError::Unavailable(e.to_string()),
            ServeError::Internal(detail) => HttpError::Internal(detail),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        respond(self)
    }
}

/// `GET /is/image/{name}`: an object with no company; there is no default
/// catalog, so it is never found.
pub(crate) async fn company_only(UrlPath(name): UrlPath<String>) -> HttpError {
    HttpError::ImageNotFound(name)
}
