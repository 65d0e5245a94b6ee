//! `POST /scene7/services/IpsApiService` and the WSDL.
//!
//! Hands the body and any HTTP Basic credentials to the IPS service on the
//! blocking pool and returns its status, content type and envelope. It never
//! reads the XML itself.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::{AppState, blocking};
use crate::ips::WSDL;

/// The service address written in our WSDL, replaced by the caller's view of us.
const WSDL_ADDRESS: &str = "http://localhost:8080/scene7/services/IpsApiService";

/// Decodes `Authorization: Basic …` into (user, password).
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

pub(crate) async fn soap(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let basic = basic_credentials(&headers);
    let app = state.app().clone();
    let reply = blocking(move || app.ips.handle(&body, basic)).await?;
    // A catalog write makes every render made from the changed assets
    // unreachable at once; derived views may be rendered ahead of time.
    let service = state.service().clone();
    service.invalidate(&reply.changes.assets);
    if service.settings.prerender && !reply.changes.assets.is_empty() {
        let ids = reply.changes.assets.clone();
        let app = state.app().clone();
        tokio::spawn(async move {
            let views = blocking(move || app.derived_views(&ids))
                .await
                .unwrap_or_default();
            for (company, name) in views {
                service.prerender(company, name).await;
            }
        });
    }
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok((
        status,
        [(header::CONTENT_TYPE, reply.content_type)],
        reply.body,
    )
        .into_response())
}

/// Our WSDL, with the service address of this server (or `?serviceUrl=`).
pub(crate) async fn wsdl(headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let service_url = query
        .as_deref()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("serviceUrl=")))
        .map(|v| crate::protocol::lexer::percent_decode(v, false).into_owned())
        .filter(|v| v.starts_with("http://") || v.starts_with("https://"));
    let address = service_url.unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| h.bytes().all(|b| b.is_ascii_graphic()))
            .unwrap_or("localhost:8080");
        format!("http://{host}/scene7/services/IpsApiService")
    });
    let body = WSDL.replace(WSDL_ADDRESS, &crate::ips::xml::escape(&address));
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}
