//! Shared setup for the integration tests: a real server on `127.0.0.1:0`
//! over a fresh data directory with the Demo company and an admin user.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rendition::app::App;
use rendition::config::{Limits, ServeConfig};
use rendition::http::{AppState, router};

pub const ADMIN: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-secret";

/// A running server and its data directory (removed on drop).
pub struct Server {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    pub state: AppState,
    pub data: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn fresh_dir() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("rendition-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Starts a server with the Demo company and an `IpsAdmin`.
pub async fn start() -> Server {
    start_with(Limits::default()).await
}

pub async fn start_with(limits: Limits) -> Server {
    start_full(limits, rendition::serve::Settings::default()).await
}

/// Starts a server with explicit limits and serving settings.
pub async fn start_full(limits: Limits, settings: rendition::serve::Settings) -> Server {
    let data = fresh_dir();
    let app = App::open(&data, limits).expect("open data dir");
    app.ensure_admin(ADMIN, ADMIN_PASSWORD).expect("admin");
    app.seed_demo(&ServeConfig::default().fixtures_dir)
        .expect("seed demo");
    let app = Arc::new(app);
    let (addr, state) = serve(Arc::clone(&app), settings).await;
    Server {
        addr,
        app,
        state,
        data,
    }
}

/// Serves an opened data directory on `127.0.0.1:0`.
pub async fn serve(app: Arc<App>, settings: rendition::serve::Settings) -> (SocketAddr, AppState) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::with_settings(app, settings);
    let routes = router(state.clone());
    tokio::spawn(async move { axum::serve(listener, routes).await });
    (addr, state)
}
