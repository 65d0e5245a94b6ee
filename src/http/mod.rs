//! HTTP face of the service.
//!
//! This module owns the routes, the shared [`AppState`] and the server loop.
//! [`router`] is the only place routes and layers are listed; handlers are
//! thin and hand CPU and database work to `tokio::task::spawn_blocking`. It
//! must never hold business logic: resolving and storing belong to `app`,
//! parsing to `protocol`, SOAP to `ips`, pixels to `render`, and errors become
//! responses only in [`error`].

mod banner;
pub mod error;
pub mod image;
mod ips;
mod upload;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use tokio::net::TcpListener;

use crate::app::App;
use crate::config::Limits;
use error::HttpError;

/// State shared by every handler. Cloning it is cheap.
#[derive(Clone)]
pub struct AppState {
    app: Arc<App>,
}

impl AppState {
    pub fn new(app: Arc<App>) -> Self {
        AppState { app }
    }

    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Limits applied to every request.
    pub fn limits(&self) -> &Limits {
        &self.app.limits
    }
}

/// Runs catalog or CPU work on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HttpError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| HttpError::Internal(format!("worker task failed: {e}")))
}

/// Every route of the service. `GET` routes answer `HEAD` as well.
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits().max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/is/image", get(banner::banner))
        .route("/is/image/", get(banner::banner))
        .route("/is/image/{company}", get(image::company_only))
        .route("/is/image/{company}/{*name}", get(image::image))
        .route("/scene7/services/IpsApiService", post(ips::soap))
        .route("/scene7/webservice/IpsApi-2013-02-15.wsdl", get(ips::wsdl))
        .route("/scene7/webservice/IpsApi.wsdl", get(ips::wsdl))
        .route(
            "/api/v1/companies/{company}/images/{*name}",
            put(upload::put_image).delete(upload::delete_image),
        )
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

/// Serves on `listener` until Ctrl-C or SIGTERM; in-flight requests finish.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves when the process is asked to stop.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(err) => {
                tracing::warn!("cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
