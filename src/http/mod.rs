//! HTTP face of the service.
//!
//! This module owns the routes, the shared [`AppState`] and the server loop.
//! [`router`] is the only place routes and layers are listed; handlers are
//! thin and hand CPU work to `tokio::task::spawn_blocking`. It must never
//! hold business logic: parsing belongs to `protocol`, pixels to `render`,
//! and errors become responses only in [`error`].

mod banner;
pub mod error;
pub mod image;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::config::{Limits, ServeConfig};

/// State shared by every handler. Cloning it is cheap.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    fixtures_dir: PathBuf,
    limits: Limits,
}

impl AppState {
    /// State serving the `Demo` company from `fixtures_dir` under `limits`.
    pub fn new(fixtures_dir: PathBuf, limits: Limits) -> Self {
        AppState {
            inner: Arc::new(Inner {
                fixtures_dir,
                limits,
            }),
        }
    }

    /// State built from the server configuration.
    pub fn from_config(config: &ServeConfig) -> Self {
        AppState::new(config.fixtures_dir.clone(), config.limits.clone())
    }

    /// The directory served as the `Demo` company.
    pub fn fixtures_dir(&self) -> &std::path::Path {
        &self.inner.fixtures_dir
    }

    /// Limits applied to every request.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }
}

/// Every route of the service. `GET` routes answer `HEAD` as well.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/is/image", get(banner::banner))
        .route("/is/image/", get(banner::banner))
        .route("/is/image/{company}", get(image::company_only))
        .route("/is/image/{company}/{*name}", get(image::image))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

/// Binds `config.listen` and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: ServeConfig) -> std::io::Result<()> {
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!("listening on http://{addr}");
    for url in image::demo_urls(addr, &config.fixtures_dir) {
        println!("  {url}");
    }
    let app = router(AppState::from_config(&config));
    axum::serve(listener, app)
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
