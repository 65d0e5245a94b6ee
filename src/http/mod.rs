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
use std::time::Instant;

use axum::Router;
use axum::body::HttpBody as _;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use tokio::net::TcpListener;

use crate::app::App;
use crate::config::Limits;
use crate::metrics::Metrics;
use crate::serve::{Service, Settings};
use error::HttpError;

/// State shared by every handler. Cloning it is cheap.
#[derive(Clone)]
pub struct AppState {
    app: Arc<App>,
    service: Arc<Service>,
    metrics: Arc<Metrics>,
}

impl AppState {
    /// State with the default serving settings.
    pub fn new(app: Arc<App>) -> Self {
        AppState::with_settings(app, Settings::default())
    }

    pub fn with_settings(app: Arc<App>, settings: Settings) -> Self {
        let service = Arc::new(Service::new(Arc::clone(&app), settings));
        AppState {
            app,
            service,
            metrics: Arc::new(Metrics::new()),
        }
    }

    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// The serving state: render cache and worker pool.
    pub fn service(&self) -> &Arc<Service> {
        &self.service
    }

    /// The metrics registry `GET /metrics` exposes.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
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
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

/// `GET /metrics`: the Prometheus text exposition.
async fn metrics(State(state): State<AppState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; version=0.0.4"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        state.metrics.render_text(),
    )
        .into_response()
}

/// Times every request, counts it under its route template (`unmatched`
/// when no route matched, so raw paths never become labels) and writes one
/// access-log line at `info`.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let target = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics
        .observe_request(&route, method.as_str(), status, elapsed.as_secs_f64());
    tracing::info!(
        target: "rendition::access",
        method = %method,
        path = %target,
        status,
        ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3,
        bytes = response.body().size_hint().exact(),
        "request"
    );
    response
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
