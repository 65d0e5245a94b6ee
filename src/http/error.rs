//! Turning errors into HTTP responses, in one place.
//!
//! Every handler error is an [`HttpError`]; [`IntoResponse`] maps each variant
//! to a status and a body in a single `match`. Image Serving errors are HTTP
//! 403 with a plain-text message, as Scene7 answers (spec §5.1), and are never
//! cached. No other module may build an error response.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::render::RenderError;

/// Why an HTTP request failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The company or image does not exist; holds `company/name`.
    #[error("Image not found: {0}")]
    ImageNotFound(String),
    /// The modifiers could not be parsed; holds the parser's message.
    #[error("{0}")]
    BadRequest(String),
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Too busy or too slow: a quick 503 the client may retry.
    #[error("{0}")]
    Unavailable(String),
    /// A JSON API error with its status.
    #[error("{1}")]
    Api(StatusCode, String),
    /// The JSON API needs HTTP Basic credentials of an IPS user.
    #[error("authentication required: send HTTP Basic credentials of an IPS user")]
    Unauthorized,
    /// A bug or a lost worker on our side; the detail is logged, not sent.
    #[error("Internal error")]
    Internal(String),
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        // The JSON API answers JSON; Image Serving answers text.
        let json_status = match &self {
            HttpError::Api(status, _) => Some(*status),
            HttpError::Unauthorized => Some(StatusCode::UNAUTHORIZED),
            _ => None,
        };
        if let Some(status) = json_status {
            let body = serde_json::json!({ "error": self.to_string() });
            let mut response = (status, axum::Json(body)).into_response();
            if status == StatusCode::UNAUTHORIZED {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"rendition\""),
                );
            }
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return response;
        }
        if let HttpError::Unavailable(message) = &self {
            let mut response = (StatusCode::SERVICE_UNAVAILABLE, message.clone()).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
        let status = match &self {
            HttpError::Api(..) | HttpError::Unauthorized | HttpError::Unavailable(_) => {
                StatusCode::FORBIDDEN
            }
            HttpError::ImageNotFound(_) | HttpError::BadRequest(_) | HttpError::Render(_) => {
                StatusCode::FORBIDDEN
            }
            HttpError::Internal(detail) => {
                tracing::error!("internal error: {detail}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut response = (status, self.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
