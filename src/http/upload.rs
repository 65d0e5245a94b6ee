//! `PUT`/`DELETE /api/v1/companies/{company}/images/{name}`: storing and
//! removing owner originals over plain HTTP, since IPS's own upload is a job
//! system.
//!
//! Callers authenticate with HTTP Basic as an IPS user whose role may write.
//! The body is probed as an image before anything is stored. Answers are JSON.
//! Storage itself belongs to `app`; this module only maps requests and results.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::ips::basic_credentials;
use super::{AppState, blocking};
use crate::app::{App, IngestError};
use crate::catalog::{Company, Folder, FolderHandle, Role, User};

/// Roles that may upload or delete originals.
const WRITERS: [Role; 6] = [
    Role::IpsUser,
    Role::IpsAdmin,
    Role::IpsCompanyAdmin,
    Role::ImagePortalAdmin,
    Role::ImagePortalContrib,
    Role::ImagePortalContribUser,
];

fn api(status: StatusCode, message: impl Into<String>) -> HttpError {
    HttpError::Api(status, message.into())
}

/// The caller and the company, when the caller may write to it.
fn authorize(
    app: &App,
    credentials: Option<(String, String)>,
    company: &str,
) -> Result<(User, Company), HttpError> {
    let (email, password) = credentials.ok_or(HttpError::Unauthorized)?;
    let user = app
        .ips
        .check_credentials(&email, &password)
        .map_err(|e| HttpError::Internal(e.to_string()))?
        .ok_or(HttpError::Unauthorized)?;
    if !WRITERS.contains(&user.role) {
        return Err(api(
            StatusCode::FORBIDDEN,
            format!("role {} may not upload images", user.role),
        ));
    }
    let company = app
        .catalog
        .company_by_name(company)
        .map_err(|e| HttpError::Internal(e.to_string()))?
        .filter(|c| user.can_access(c.id))
        .ok_or_else(|| {
            api(
                StatusCode::NOT_FOUND,
                format!("company '{company}' not found"),
            )
        })?;
    Ok((user, company))
}

/// The folder named by `?folder=`, created with its parents if missing.
fn target_folder(app: &App, company: &Company, query: Option<&str>) -> Result<Folder, HttpError> {
    let requested = query
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("folder=")))
        .map(|v| crate::protocol::lexer::percent_decode(v, true).into_owned())
        .filter(|v| !v.is_empty());
    let path = match requested {
        None => company.root_path.clone(),
        Some(p) => {
            let relative = p.strip_prefix(&company.root_path).unwrap_or(&p).to_owned();
            let handle = FolderHandle::parse(&format!("{}{relative}", company.root_path))
                .ok_or_else(|| {
                    api(
                        StatusCode::BAD_REQUEST,
                        format!("'{p}' is not a folder path"),
                    )
                })?;
            handle.path
        }
    };
    let internal = |e: crate::catalog::CatalogError| HttpError::Internal(e.to_string());
    // Create each missing level, parents first.
    let mut prefix = String::new();
    for segment in path.trim_end_matches('/').split('/') {
        prefix.push_str(segment);
        prefix.push('/');
        if prefix != company.root_path
            && app
                .catalog
                .folder(company.id, &prefix)
                .map_err(internal)?
                .is_none()
        {
            match app.catalog.create_folder(company.id, &prefix) {
                Ok(_) | Err(crate::catalog::CatalogError::Duplicate { .. }) => {}
                Err(e) => return Err(internal(e)),
            }
        }
    }
    app.catalog
        .folder(company.id, &path)
        .map_err(internal)?
        .ok_or_else(|| HttpError::Internal(format!("folder {path} vanished")))
}

pub(crate) async fn put_image(
    State(state): State<AppState>,
    Path((company, name)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, HttpError> {
    let body = body.map_err(|e| api(e.status(), e.body_text()))?;
    let credentials = basic_credentials(&headers);
    let app = state.app().clone();
    let service = state.service().clone();
    blocking(move || {
        let (user, company) = authorize(&app, credentials, &company)?;
        let folder = target_folder(&app, &company, query.as_deref())?;
        let stored = app
            .store_image(&company, &folder, &name, &body, &name, &user.email)
            .map_err(|e| match e {
                IngestError::NotAnImage(_) | IngestError::BadName(_) => {
                    api(StatusCode::BAD_REQUEST, e.to_string())
                }
                IngestError::TooLarge(_) => api(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
                IngestError::Catalog(crate::catalog::CatalogError::Duplicate { .. }) => {
                    api(StatusCode::CONFLICT, e.to_string())
                }
                other => HttpError::Internal(other.to_string()),
            })?;
        let mut changed = stored.touched.clone();
        changed.push(stored.asset.id);
        service.invalidate(&changed);
        let status = if stored.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let asset = &stored.asset;
        let json = serde_json::json!({
            "assetHandle": asset.handle().to_string(),
            "name": asset.name,
            "folder": asset.folder_path,
            "width": asset.width,
            "height": asset.height,
            "version": asset.version,
        });
        Ok((status, axum::Json(json)).into_response())
    })
    .await?
}

pub(crate) async fn delete_image(
    State(state): State<AppState>,
    Path((company, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let credentials = basic_credentials(&headers);
    let app = state.app().clone();
    let service = state.service().clone();
    blocking(move || {
        let (_, company) = authorize(&app, credentials, &company)?;
        let internal = |e: crate::catalog::CatalogError| HttpError::Internal(e.to_string());
        let asset = app
            .catalog
            .asset_by_name(company.id, &name)
            .map_err(internal)?
            .ok_or_else(|| api(StatusCode::NOT_FOUND, format!("image '{name}' not found")))?;
        let deleted = app.catalog.delete_asset(asset.id).map_err(internal)?;
        service.invalidate(&deleted.ids);
        for blob in &deleted.orphaned_blobs {
            if let Err(e) = app.blobs.remove(blob) {
                tracing::warn!("could not remove blob {blob}: {e}");
            }
        }
        let json = serde_json::json!({ "deleted": deleted.ids.len() });
        Ok((StatusCode::OK, axum::Json(json)).into_response())
    })
    .await?
}
