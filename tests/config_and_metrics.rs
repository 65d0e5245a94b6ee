//! Configuration precedence (flags > environment > file > defaults), the TOML
//! file's strictness, and the metrics exposition, alone and through a real
//! server.

mod support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use rendition::config::{
    ByteSize, ConfigError, LogFormat, Overrides, PixelSize, ServeConfig, Settings,
};
use rendition::metrics::Metrics;

/// A TOML file in the temporary directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(text: &str) -> TempFile {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("rendition-config-{}-{n}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn load(overrides: &Overrides, env: &[(&str, &str)]) -> Result<ServeConfig, ConfigError> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ServeConfig::load_from(overrides, &|name| env.get(name).cloned())
}

const FILE: &str = r#"
listen = "127.0.0.1:9001"
data = "/srv/file-data"
max_pix = "1000,1000"
default_pix = [500, 400]
max_layers = 10
cache_bytes = "64MiB"
workers = 3
queue = 5
prerender = false
log_format = "json"
expiration_hours = 2
"#;

#[test]
fn defaults_without_any_source() {
    let config = load(&Overrides::default(), &[]).unwrap();
    let defaults = ServeConfig::default();
    assert_eq!(config, defaults);
    assert_eq!(config.log_filter, "info");
    assert_eq!(config.log_format, LogFormat::Text);
    assert!(config.seed_demo);
    assert!(config.serving.prerender);
    assert_eq!(config.serving.request_timeout_secs, 30);
}

#[test]
fn file_over_defaults() {
    let file = TempFile::new(FILE);
    let overrides = Overrides {
        config_file: Some(file.0.clone()),
        ..Overrides::default()
    };
    let config = load(&overrides, &[]).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:9001");
    assert_eq!(config.data_dir, PathBuf::from("/srv/file-data"));
    assert_eq!(config.limits.max_pix, (1000, 1000));
    assert_eq!(config.limits.default_pix, (500, 400));
    assert_eq!(config.limits.max_layers, 10);
    assert_eq!(config.serving.cache_bytes, 64 << 20);
    assert_eq!(config.serving.workers, 3);
    assert_eq!(config.serving.queue, 5);
    assert!(!config.serving.prerender);
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(config.serving.expiration_hours, 2);
    // Untouched settings keep their defaults.
    assert_eq!(config.limits.max_nesting, 8);
    assert_eq!(config.serving.non_img_expiration_minutes, 6);
}

#[test]
fn file_named_by_the_environment() {
    let file = TempFile::new(FILE);
    let path = file.0.to_string_lossy().into_owned();
    let config = load(&Overrides::default(), &[("RENDITION_CONFIG", &path)]).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:9001");
}

#[test]
fn environment_over_file_and_flags_over_environment() {
    let file = TempFile::new(FILE);
    let env = [
        ("RENDITION_LISTEN", "127.0.0.1:9002"),
        ("RENDITION_DATA", "/srv/env-data"),
        ("RENDITION_MAX_PIX", "2000x1500"),
        ("RENDITION_WORKERS", "4"),
        ("RENDITION_PRERENDER", "yes"),
        ("RENDITION_NO_DEMO", "1"),
        ("RENDITION_ADMIN_USER", "env@example.com"),
        ("RENDITION_ADMIN_PASSWORD", "env-secret"),
        ("RENDITION_CACHE_BYTES", ""),
        ("RUST_LOG", "rendition=debug"),
    ];
    let mut overrides = Overrides {
        config_file: Some(file.0.clone()),
        ..Overrides::default()
    };

    let config = load(&overrides, &env).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:9002");
    assert_eq!(config.data_dir, PathBuf::from("/srv/env-data"));
    assert_eq!(config.limits.max_pix, (2000, 1500));
    assert_eq!(config.serving.workers, 4);
    assert!(config.serving.prerender);
    assert!(!config.seed_demo);
    assert_eq!(
        config.admin,
        Some(("env@example.com".to_owned(), "env-secret".to_owned()))
    );
    assert_eq!(config.log_filter, "rendition=debug");
    // An empty variable is unset: the file's value stands.
    assert_eq!(config.serving.cache_bytes, 64 << 20);
    // What the environment does not name comes from the file.
    assert_eq!(config.serving.queue, 5);

    overrides.settings = Settings {
        listen: Some("127.0.0.1:9003".parse().unwrap()),
        max_pix: Some(PixelSize {
            width: 800,
            height: 600,
        }),
        cache_bytes: Some(ByteSize(1 << 20)),
        no_demo: Some(false),
        ..Settings::default()
    };
    let config = load(&overrides, &env).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:9003");
    assert_eq!(config.limits.max_pix, (800, 600));
    assert_eq!(config.serving.cache_bytes, 1 << 20);
    assert!(config.seed_demo);
    // Below the flags, the environment and the file still count.
    assert_eq!(config.data_dir, PathBuf::from("/srv/env-data"));
    assert_eq!(config.serving.queue, 5);
}

#[test]
fn unknown_key_in_the_file_is_an_error_naming_it() {
    let file = TempFile::new("listen = \"127.0.0.1:1\"\ncache_size = 5\n");
    let overrides = Overrides {
        config_file: Some(file.0.clone()),
        ..Overrides::default()
    };
    let err = load(&overrides, &[]).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, ConfigError::File { .. }), "{message}");
    assert!(message.contains("unknown field `cache_size`"), "{message}");
    assert!(message.contains(&file.0.display().to_string()), "{message}");
}

#[test]
fn bad_values_say_where_they_came_from() {
    let err = load(&Overrides::default(), &[("RENDITION_MAX_PIX", "big")]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("environment variable RENDITION_MAX_PIX=\"big\""),
        "{err}"
    );

    let file = TempFile::new("workers = \"many\"\n");
    let overrides = Overrides {
        config_file: Some(file.0.clone()),
        ..Overrides::default()
    };
    assert!(matches!(
        load(&overrides, &[]),
        Err(ConfigError::File { .. })
    ));

    let missing = Overrides {
        config_file: Some(PathBuf::from("/nonexistent/rendition.toml")),
        ..Overrides::default()
    };
    assert!(matches!(load(&missing, &[]), Err(ConfigError::Read { .. })));

    let err = load(&Overrides::default(), &[("RENDITION_WORKERS", "0")]).unwrap_err();
    assert_eq!(err.to_string(), "workers must be at least 1");

    let err = load(&Overrides::default(), &[("RENDITION_ADMIN_USER", "a@b.c")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "admin_user is set but admin_password is not"
    );
}

#[test]
fn every_key_is_accepted_in_the_file() {
    let text = Settings::KEYS
        .iter()
        .map(|key| {
            let value = match *key {
                "listen" => "\"127.0.0.1:1\"",
                "data" | "admin_user" | "admin_password" => "\"x\"",
                "log_format" => "\"json\"",
                "max_pix" | "default_pix" => "\"10,10\"",
                "no_demo" | "prerender" => "true",
                "pyramid" => "false",
                _ => "7",
            };
            format!("{key} = {value}\n")
        })
        .collect::<String>();
    let settings = Settings::from_toml(&text).unwrap();
    let config = ServeConfig::from_settings(settings).unwrap();
    assert_eq!(config.serving.non_img_expiration_minutes, 7);
    assert_eq!(config.limits.max_body_bytes, 7);
    assert!(!config.pyramid);
}

/// The README's example file loads.
#[test]
fn readme_example_loads() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let (_, rest) = readme.split_once("```toml\n").expect("a TOML example");
    let (example, _) = rest.split_once("```").unwrap();
    let settings = Settings::from_toml(example).unwrap();
    let config = ServeConfig::from_settings(settings).unwrap();
    assert_eq!(config.serving.cache_bytes, 1 << 30);
    assert_eq!(config.limits.max_pix, (4000, 4000));
}

#[test]
fn exposition_holds_every_series_after_use() {
    let metrics = Metrics::new();
    metrics.observe_request("/is/image/{company}/{*name}", "GET", 200, 0.012);
    metrics.observe_request("/is/image/{company}/{*name}", "GET", 200, 0.2);
    metrics.observe_request("unmatched", "GET", 404, 0.0001);
    metrics.observe_render(0.05);
    metrics.cache_hit();
    metrics.cache_miss();
    metrics.cache_miss();
    metrics.set_cache_bytes(12345);
    metrics.set_cache_entries(3);
    metrics.cache_evicted(2);
    metrics.single_flight_joined();
    metrics.set_queue_depth(7);
    metrics.queue_rejected();
    let text = metrics.render_text();
    for line in [
        "# TYPE http_requests_total counter",
        "http_requests_total{route=\"/is/image/{company}/{*name}\",method=\"GET\",status=\"200\"} 2",
        "http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1",
        "# TYPE http_request_duration_seconds histogram",
        "http_request_duration_seconds_bucket{route=\"/is/image/{company}/{*name}\",le=\"0.025\"} 1",
        "http_request_duration_seconds_bucket{route=\"/is/image/{company}/{*name}\",le=\"+Inf\"} 2",
        "http_request_duration_seconds_count{route=\"/is/image/{company}/{*name}\"} 2",
        "# TYPE rendition_render_seconds histogram",
        "rendition_render_seconds_bucket{le=\"0.05\"} 1",
        "rendition_render_seconds_count 1",
        "rendition_cache_hits_total 1",
        "rendition_cache_misses_total 2",
        "rendition_cache_bytes 12345",
        "rendition_cache_entries 3",
        "rendition_cache_evictions_total 2",
        "rendition_render_coalesced_total 1",
        "rendition_render_queue_depth 7",
        "rendition_render_rejected_total 1",
        "# TYPE rendition_uptime_seconds gauge",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    #[cfg(target_os = "linux")]
    assert!(
        text.contains("\nrendition_process_resident_bytes "),
        "{text}"
    );
    // Every sample line is `name{labels} value` or `name value`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(
            value.parse::<f64>().is_ok() || value == "+Inf",
            "bad sample {line:?}"
        );
    }
}

#[tokio::test]
async fn server_counts_requests_by_route_template() {
    let server = support::start().await;
    let image = reqwest::get(server.url("/is/image/Demo/photo?wid=100&fmt=png"))
        .await
        .unwrap();
    assert_eq!(image.status(), 200);
    image.bytes().await.unwrap();
    let missing = reqwest::get(server.url("/no/such/path")).await.unwrap();
    assert_eq!(missing.status(), 404);

    let response = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[reqwest::header::CONTENT_TYPE],
        "text/plain; version=0.0.4"
    );
    let text = response.text().await.unwrap();
    for line in [
        "http_requests_total{route=\"/is/image/{company}/{*name}\",method=\"GET\",status=\"200\"} 1",
        "http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1",
        "http_request_duration_seconds_count{route=\"/is/image/{company}/{*name}\"} 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    // The raw path never becomes a label.
    assert!(!text.contains("/no/such/path"), "{text}");
}
