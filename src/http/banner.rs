//! The banner answered by a bare `GET /is/image` (spec §3.9).
//!
//! It is a Java-properties text: `#S7Z OK`, a date line, then `copyright=`;
//! `req=catalogprops` on it answers the default attributes. This module must
//! never touch the catalog or the renderer.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::serve::props::{self, Encoding, java_date};

/// `GET /is/image`: tells a client that Image Serving is up; with
/// `req=catalogprops` it answers the default catalog's attributes (§3.9).
pub(crate) async fn banner(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let parsed = crate::protocol::parse_query(&query);
    if let Some(req) = parsed.request.req() {
        if req.kind == crate::protocol::ast::ReqType::CatalogProps {
            let handler = match parsed.request.global(crate::protocol::CommandName::Handler) {
                Some(crate::protocol::Command::Handler(h)) => Some(h.as_str()),
                _ => None,
            };
            let encoding = Encoding::from_request(req.format, handler, None);
            let (mime, body) = props::encode(
                &state.service().catalog_props(),
                &encoding,
                SystemTime::now(),
            );
            return ([(header::CONTENT_TYPE, mime)], body).into_response();
        }
    }
    banner_text().into_response()
}

fn banner_text() -> impl IntoResponse {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let body = format!(
        "#S7Z OK\n#{}\ncopyright=Copyright (c) the Rendition contributors. Rendition {} is licensed under Apache-2.0.\n",
        java_date(seconds),
        env!("CARGO_PKG_VERSION"),
    );
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
}

#[cfg(test)]
mod tests {
    use crate::serve::props::java_date;

    #[test]
    fn dates_print_like_java() {
        assert_eq!(java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(java_date(951_782_400), "Tue Feb 29 00:00:00 UTC 2000");
        assert_eq!(
            java_date(1_764_806_400 + 3661),
            "Thu Dec 04 01:01:01 UTC 2025"
        );
    }
}
