//! Configuration and limits.
//!
//! This module owns the server settings ([`ServeConfig`], with the serving
//! settings in [`Serving`]), the resource limits that guard every request
//! ([`Limits`]), their documented defaults, and where each value comes from:
//! command-line flags over `RENDITION_*` environment variables over an
//! optional TOML file (`--config FILE` or `RENDITION_CONFIG`) over defaults
//! ([`ServeConfig::load`]). Every setting has one name, spelt `--kebab-case`
//! as a flag, `RENDITION_UPPER_SNAKE` in the environment and `snake_case` in
//! the file ([`Settings`]).
//!
//! It is the only module that reads the environment, and it never does
//! anything with the values beyond checking them: no other module may read
//! the environment or invent its own limits.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

/// Resource limits for untrusted requests and source images.
///
/// Every check happens before pixels are allocated. The defaults follow
/// Scene7's catalog attributes where one exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest reply image, width × height (Scene7 `attribute::MaxPix`).
    /// A reply wider or taller is an error. Default: 3000 × 3000.
    pub max_pix: (u32, u32),
    /// Size a request with no `wid`, `hei` or `scl` is scaled down to fit in
    /// (Scene7 `attribute::DefaultPix`). Default: 2000 × 2000.
    pub default_pix: (u32, u32),
    /// Largest source image we agree to decode, in pixels. Default: 100 000 000.
    pub max_source_pixels: u64,
    /// Most layers in one composite. Default: 64.
    pub max_layers: u32,
    /// Deepest nesting of `()`/`{}` and embedded requests. Default: 8.
    pub max_nesting: u32,
    /// Longest `text=` value, in bytes. Default: 8192.
    pub max_text_len: usize,
    /// Largest HTTP request body, in bytes. Default: 16 MiB.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pix: (3000, 3000),
            default_pix: (2000, 2000),
            max_source_pixels: 100_000_000,
            max_layers: 64,
            max_nesting: 8,
            max_text_len: 8192,
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, coloured only when stdout is a terminal.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("'{s}' is not a log format (text or json)")),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        })
    }
}

/// Settings of the render cache, the render pool and reply caching, read by
/// the serving layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serving {
    /// Memory budget of the render cache (encoded replies), in bytes.
    /// Default: 256 MiB.
    pub cache_bytes: u64,
    /// Memory budget of the decoded-source cache, in bytes. Default: 128 MiB.
    pub source_cache_bytes: u64,
    /// Render threads. Default: the number of CPUs.
    pub workers: usize,
    /// Renders that may wait for a worker before new ones are answered 503.
    /// Default: 64.
    pub queue: usize,
    /// Longest time one request may take before it is answered 503, in
    /// seconds. Default: 30.
    pub request_timeout_secs: u64,
    /// Render a derived asset's default view into the cache when it is
    /// registered. Default: `true`.
    pub prerender: bool,
    /// How long clients and proxies may keep an image reply (Scene7
    /// `attribute::Expiration`), in hours. Default: 10.
    pub expiration_hours: u64,
    /// How long they may keep a reply that is not an image (Scene7
    /// `attribute::NonImgExpiration`), in minutes. Default: 6.
    pub non_img_expiration_minutes: u64,
}

impl Serving {
    /// [`Serving::request_timeout_secs`] as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// [`Serving::expiration_hours`] as a duration.
    pub fn expiration(&self) -> Duration {
        Duration::from_secs(self.expiration_hours.saturating_mul(3600))
    }

    /// [`Serving::non_img_expiration_minutes`] as a duration.
    pub fn non_img_expiration(&self) -> Duration {
        Duration::from_secs(self.non_img_expiration_minutes.saturating_mul(60))
    }
}

impl Default for Serving {
    fn default() -> Self {
        Serving {
            cache_bytes: 256 << 20,
            source_cache_bytes: 128 << 20,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            queue: 64,
            request_timeout_secs: 30,
            prerender: true,
            expiration_hours: 10,
            non_img_expiration_minutes: 6,
        }
    }
}

/// Settings for the `rendition` commands: `serve` reads all of them,
/// `render` and `import` the data directory, log format and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// Address to listen on. Default: `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Directory for the catalog and stored originals (setting `data`).
    /// Default: `./data`.
    pub data_dir: PathBuf,
    /// Images the `Demo` company is seeded from on an empty catalog. Default:
    /// the crate's `fixtures/`, so `cargo run` works from any working directory.
    pub fixtures_dir: PathBuf,
    /// Seed the `Demo` company on an empty catalog (setting `no_demo` turns
    /// it off). Default: `true`.
    pub seed_demo: bool,
    /// Keep pyramid levels (1/2, 1/4, 1/8) of every JPEG original stored,
    /// and render reduced views from them: Scene7's optimized pyramid, about
    /// one byte on disk per original pixel, made once at upload. Off, renders
    /// decode the original each time and levels already kept are ignored.
    /// Default: `true`.
    pub pyramid: bool,
    /// The `IpsAdmin` to create on first start (settings `admin_user` and
    /// `admin_password`, both or neither). Default: none.
    pub admin: Option<(String, String)>,
    /// How log lines are written. Default: text.
    pub log_format: LogFormat,
    /// Which log lines are written, as a `tracing` filter from `RUST_LOG`.
    /// Default: `info`.
    pub log_filter: String,
    /// Resource limits applied to every request.
    pub limits: Limits,
    /// Cache, worker pool and expiration settings.
    pub serving: Serving,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            data_dir: PathBuf::from("data"),
            fixtures_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
            seed_demo: true,
            pyramid: true,
            admin: None,
            log_format: LogFormat::Text,
            log_filter: "info".to_owned(),
            limits: Limits::default(),
            serving: Serving::default(),
        }
    }
}

/// Why the configuration could not be built. Each says where the bad value
/// came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("environment variable {name}={value:?}: {message}")]
    Env {
        name: String,
        value: String,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
}

/// What the command line says: the config file, if any, and the settings
/// given as flags. Everything left `None` falls through to the environment,
/// then the file, then the default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// `--config FILE`; else `RENDITION_CONFIG`; else no file.
    pub config_file: Option<PathBuf>,
    pub settings: Settings,
}

impl ServeConfig {
    /// Flags in `overrides` over the process environment over the config
    /// file over defaults.
    pub fn load(overrides: &Overrides) -> Result<ServeConfig, ConfigError> {
        ServeConfig::load_from(overrides, &|name| std::env::var(name).ok())
    }

    /// [`ServeConfig::load`] with the environment given as a lookup, so tests
    /// need not change the process environment. Empty values count as unset.
    pub fn load_from(
        overrides: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ServeConfig, ConfigError> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let from_env = Settings::from_env(&env)?;
        let file = overrides
            .config_file
            .clone()
            .or_else(|| env(CONFIG_ENV).map(PathBuf::from));
        let from_file = match &file {
            Some(path) => Settings::from_file(path)?,
            None => Settings::default(),
        };
        let settings = overrides.settings.clone().or(from_env).or(from_file);
        let mut config = ServeConfig::from_settings(settings)?;
        if let Some(filter) = env("RUST_LOG") {
            config.log_filter = filter;
        }
        Ok(config)
    }

    /// Defaults with every value in `settings` applied, then checked.
    pub fn from_settings(settings: Settings) -> Result<ServeConfig, ConfigError> {
        let mut c = ServeConfig::default();
        let s = settings;
        set(&mut c.listen, s.listen);
        set(&mut c.data_dir, s.data);
        if let Some(no_demo) = s.no_demo {
            c.seed_demo = !no_demo;
        }
        set(&mut c.pyramid, s.pyramid);
        c.admin = match (s.admin_user, s.admin_password) {
            (Some(user), Some(password)) => Some((user, password)),
            (None, None) => None,
            (Some(_), None) => {
                return Err(invalid("admin_user is set but admin_password is not"));
            }
            (None, Some(_)) => {
                return Err(invalid("admin_password is set but admin_user is not"));
            }
        };
        set(&mut c.log_format, s.log_format);

        let l = &mut c.limits;
        set(&mut l.max_pix, s.max_pix.map(|p| (p.width, p.height)));
        set(
            &mut l.default_pix,
            s.default_pix.map(|p| (p.width, p.height)),
        );
        set(&mut l.max_source_pixels, s.max_source_pixels);
        set(&mut l.max_layers, s.max_layers);
        set(&mut l.max_nesting, s.max_nesting);
        set(&mut l.max_text_len, s.max_text_len);
        if let Some(bytes) = s.max_body_bytes {
            l.max_body_bytes = usize::try_from(bytes.0)
                .map_err(|_| invalid("max_body_bytes is larger than this machine's memory"))?;
        }

        let v = &mut c.serving;
        set(&mut v.cache_bytes, s.cache_bytes.map(|b| b.0));
        set(&mut v.source_cache_bytes, s.source_cache_bytes.map(|b| b.0));
        set(&mut v.workers, s.workers);
        set(&mut v.queue, s.queue);
        set(&mut v.request_timeout_secs, s.request_timeout_secs);
        set(&mut v.prerender, s.prerender);
        set(&mut v.expiration_hours, s.expiration_hours);
        set(
            &mut v.non_img_expiration_minutes,
            s.non_img_expiration_minutes,
        );

        c.check()?;
        Ok(c)
    }

    /// Refuses values no server can run with.
    fn check(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        for (name, (w, h)) in [("max_pix", l.max_pix), ("default_pix", l.default_pix)] {
            if w == 0 || h == 0 {
                return Err(invalid(&format!("{name} must be at least 1,1")));
            }
        }
        let positive = [
            ("max_source_pixels", l.max_source_pixels),
            ("max_layers", u64::from(l.max_layers)),
            ("max_nesting", u64::from(l.max_nesting)),
            (
                "workers",
                u64::try_from(self.serving.workers).unwrap_or(u64::MAX),
            ),
            ("request_timeout_secs", self.serving.request_timeout_secs),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(invalid(&format!("{name} must be at least 1")));
            }
        }
        Ok(())
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

fn invalid(message: &str) -> ConfigError {
    ConfigError::Invalid(message.to_owned())
}

/// The environment variable naming the config file.
pub const CONFIG_ENV: &str = "RENDITION_CONFIG";

/// The prefix of every setting's environment variable.
pub const ENV_PREFIX: &str = "RENDITION_";

/// Declares [`Settings`] once: its fields are the setting names, and the
/// flag, environment and TOML spellings are derived from them.
macro_rules! settings {
    ($( $(#[doc = $doc:literal])* $field:ident : $ty:ty, )*) => {
        /// One source's view of every setting; `None` where it says nothing.
        ///
        /// This is also the shape of the TOML file: one top-level key per
        /// field, and any other key is an error.
        #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Settings {
            $( $(#[doc = $doc])* pub $field: Option<$ty>, )*
        }

        impl Settings {
            /// Every setting's name, as written in the TOML file.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The `RENDITION_*` variables `env` knows.
            fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
                Ok(Settings {
                    $( $field: from_env_var(env, stringify!($field))?, )*
                })
            }

            /// Every value set here, else the one set in `lower`.
            pub fn or(self, lower: Settings) -> Settings {
                Settings {
                    $( $field: self.$field.or(lower.$field), )*
                }
            }
        }
    };
}

settings! {
    /// Address to listen on.
    listen: SocketAddr,
    /// Data directory.
    data: PathBuf,
    /// Do not seed the Demo company.
    no_demo: bool,
    /// Keep pyramid levels of JPEG originals and render from them.
    pyramid: bool,
    /// First-start `IpsAdmin` user.
    admin_user: String,
    /// First-start `IpsAdmin` password.
    admin_password: String,
    /// `text` or `json`.
    log_format: LogFormat,
    /// Largest reply, `W,H`.
    max_pix: PixelSize,
    /// Reply size without `wid`/`hei`/`scl`, `W,H`.
    default_pix: PixelSize,
    /// Largest source image, in pixels.
    max_source_pixels: u64,
    /// Most layers in one composite.
    max_layers: u32,
    /// Deepest nesting.
    max_nesting: u32,
    /// Longest text, in bytes.
    max_text_len: usize,
    /// Largest request body.
    max_body_bytes: ByteSize,
    /// Render cache budget.
    cache_bytes: ByteSize,
    /// Decoded-source cache budget.
    source_cache_bytes: ByteSize,
    /// Render threads.
    workers: usize,
    /// Renders waiting before 503.
    queue: usize,
    /// Request timeout, in seconds.
    request_timeout_secs: u64,
    /// Prerender a derived asset's default view on registration.
    prerender: bool,
    /// Image reply expiration, in hours.
    expiration_hours: u64,
    /// Non-image reply expiration, in minutes.
    non_img_expiration_minutes: u64,
}

impl Settings {
    /// The settings of a TOML file.
    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Settings::from_toml(&text).map_err(|message| ConfigError::File {
            path: path.to_owned(),
            message,
        })
    }

    /// The settings of a TOML document; unknown keys are an error.
    pub fn from_toml(text: &str) -> Result<Settings, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())
    }
}

/// The environment variable of a setting: `RENDITION_` and the name in
/// upper case.
pub fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.to_ascii_uppercase())
}

/// The environment variables through which an operator tunes glibc malloc
/// itself; when one is set, `allocator::tune` changes nothing.
pub const MALLOC_ENV_VARS: [&str; 3] = [
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_MMAP_THRESHOLD_",
    "GLIBC_TUNABLES",
];

/// True when the environment tunes glibc malloc (any of `MALLOC_ENV_VARS`).
pub fn environment_tunes_malloc() -> bool {
    MALLOC_ENV_VARS
        .iter()
        .any(|name| std::env::var_os(name).is_some())
}

/// The flag of a setting: `--` and the name in kebab case.
pub fn flag_name(key: &str) -> String {
    format!("--{}", key.replace('_', "-"))
}

fn from_env_var<T: Value>(
    env: &dyn Fn(&str) -> Option<String>,
    key: &str,
) -> Result<Option<T>, ConfigError> {
    let name = env_name(key);
    match env(&name) {
        None => Ok(None),
        Some(value) => T::parse(&value)
            .map(Some)
            .map_err(|message| ConfigError::Env {
                name,
                value,
                message,
            }),
    }
}

/// A setting's value as written in a flag or an environment variable.
pub trait Value: Sized {
    fn parse(text: &str) -> Result<Self, String>;
}

/// The flag parser for any [`Value`] (`value_parser = parse::<T>`).
pub fn parse<T: Value>(text: &str) -> Result<T, String> {
    T::parse(text)
}

macro_rules! value_from_str {
    ($($ty:ty),*) => {$(
        impl Value for $ty {
            fn parse(text: &str) -> Result<Self, String> {
                text.trim().parse::<$ty>().map_err(|e| e.to_string())
            }
        }
    )*};
}

value_from_str!(SocketAddr, u32, u64, usize, LogFormat, PixelSize, ByteSize);

impl Value for String {
    fn parse(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
}

impl Value for PathBuf {
    fn parse(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text))
    }
}

impl Value for bool {
    fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(format!("'{text}' is not a boolean (true or false)")),
        }
    }
}

/// A width and height in pixels: `W,H` (as Scene7 writes `MaxPix`) or `WxH`;
/// in TOML also `[W, H]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelSize {
    pub width: u32,
    pub height: u32,
}

impl FromStr for PixelSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not a size (W,H)");
        let (w, h) = s
            .split_once(',')
            .or_else(|| s.split_once(['x', 'X']))
            .ok_or_else(bad)?;
        Ok(PixelSize {
            width: w.trim().parse().map_err(|_| bad())?,
            height: h.trim().parse().map_err(|_| bad())?,
        })
    }
}

impl<'de> Deserialize<'de> for PixelSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Pair([u32; 2]),
        }
        match Raw::deserialize(d)? {
            Raw::Text(text) => text.parse().map_err(serde::de::Error::custom),
            Raw::Pair([width, height]) => Ok(PixelSize { width, height }),
        }
    }
}

/// A number of bytes: a plain integer, or one with a `KiB`, `MiB` or `GiB`
/// suffix (`256MiB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl FromStr for ByteSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not a byte count (e.g. 268435456 or 256MiB)");
        let t = s.trim();
        let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (number, unit) = t.split_at(digits);
        let number: u64 = number.parse().map_err(|_| bad())?;
        let shift = match unit.trim() {
            "" | "B" => 0,
            "KiB" => 10,
            "MiB" => 20,
            "GiB" => 30,
            _ => return Err(bad()),
        };
        number.checked_mul(1 << shift).map(ByteSize).ok_or_else(bad)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(ByteSize(n)),
            Raw::Text(text) => text.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Flags every command reads: the config file, the data directory, the log
/// format and the limits.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CommonFlags {
    /// TOML configuration file [env: RENDITION_CONFIG].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory, created if missing [default: ./data].
    #[arg(long, value_name = "DIR", value_parser = parse::<PathBuf>)]
    pub data: Option<PathBuf>,
    /// Log lines as `text` or `json` [default: text].
    #[arg(long, value_name = "FORMAT", value_parser = parse::<LogFormat>)]
    pub log_format: Option<LogFormat>,
    /// Keep pyramid levels of JPEG originals and render from them [default: true].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true",
          value_parser = parse::<bool>)]
    pub pyramid: Option<bool>,
    #[command(flatten, next_help_heading = "Limits")]
    pub limits: LimitFlags,
}

/// The limit flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LimitFlags {
    /// Largest reply image, W,H [default: 3000,3000].
    #[arg(long, value_name = "W,H", value_parser = parse::<PixelSize>)]
    pub max_pix: Option<PixelSize>,
    /// Reply size without wid, hei or scl, W,H [default: 2000,2000].
    #[arg(long, value_name = "W,H", value_parser = parse::<PixelSize>)]
    pub default_pix: Option<PixelSize>,
    /// Largest source image to decode, in pixels [default: 100000000].
    #[arg(long, value_name = "N", value_parser = parse::<u64>)]
    pub max_source_pixels: Option<u64>,
    /// Most layers in one composite [default: 64].
    #[arg(long, value_name = "N", value_parser = parse::<u32>)]
    pub max_layers: Option<u32>,
    /// Deepest nesting of () / {} and embedded requests [default: 8].
    #[arg(long, value_name = "N", value_parser = parse::<u32>)]
    pub max_nesting: Option<u32>,
    /// Longest text= value, in bytes [default: 8192].
    #[arg(long, value_name = "N", value_parser = parse::<usize>)]
    pub max_text_len: Option<usize>,
    /// Largest request body [default: 16MiB].
    #[arg(long, value_name = "BYTES", value_parser = parse::<ByteSize>)]
    pub max_body_bytes: Option<ByteSize>,
}

/// Flags of `rendition serve`: the common ones and the server's own.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeFlags {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR", value_parser = parse::<SocketAddr>)]
    pub listen: Option<SocketAddr>,
    /// Do not seed the Demo company into an empty catalog.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true",
          value_parser = parse::<bool>)]
    pub no_demo: Option<bool>,
    /// IpsAdmin to create on first start (with --admin-password).
    #[arg(long, value_name = "EMAIL", value_parser = parse::<String>)]
    pub admin_user: Option<String>,
    /// Its password (flags are visible to other users: prefer the environment).
    #[arg(long, value_name = "PASSWORD", value_parser = parse::<String>)]
    pub admin_password: Option<String>,
    #[command(flatten)]
    pub common: CommonFlags,
    #[command(flatten, next_help_heading = "Serving")]
    pub serving: ServingFlags,
}

/// The serving flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServingFlags {
    /// Render cache budget [default: 256MiB].
    #[arg(long, value_name = "BYTES", value_parser = parse::<ByteSize>)]
    pub cache_bytes: Option<ByteSize>,
    /// Decoded-source cache budget [default: 128MiB].
    #[arg(long, value_name = "BYTES", value_parser = parse::<ByteSize>)]
    pub source_cache_bytes: Option<ByteSize>,
    /// Render threads [default: the number of CPUs].
    #[arg(long, value_name = "N", value_parser = parse::<usize>)]
    pub workers: Option<usize>,
    /// Renders that may wait for a worker before 503 [default: 64].
    #[arg(long, value_name = "N", value_parser = parse::<usize>)]
    pub queue: Option<usize>,
    /// Longest time for one request, in seconds [default: 30].
    #[arg(long, value_name = "SECS", value_parser = parse::<u64>)]
    pub request_timeout_secs: Option<u64>,
    /// Render a derived asset's default view when it is registered [default: true].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true",
          value_parser = parse::<bool>)]
    pub prerender: Option<bool>,
    /// How long an image reply may be cached, in hours [default: 10].
    #[arg(long, value_name = "HOURS", value_parser = parse::<u64>)]
    pub expiration_hours: Option<u64>,
    /// How long a non-image reply may be cached, in minutes [default: 6].
    #[arg(long, value_name = "MINUTES", value_parser = parse::<u64>)]
    pub non_img_expiration_minutes: Option<u64>,
}

impl From<CommonFlags> for Overrides {
    fn from(f: CommonFlags) -> Overrides {
        let l = f.limits;
        Overrides {
            config_file: f.config,
            settings: Settings {
                data: f.data,
                log_format: f.log_format,
                pyramid: f.pyramid,
                max_pix: l.max_pix,
                default_pix: l.default_pix,
                max_source_pixels: l.max_source_pixels,
                max_layers: l.max_layers,
                max_nesting: l.max_nesting,
                max_text_len: l.max_text_len,
                max_body_bytes: l.max_body_bytes,
                ..Settings::default()
            },
        }
    }
}

impl From<ServeFlags> for Overrides {
    fn from(f: ServeFlags) -> Overrides {
        let mut overrides = Overrides::from(f.common);
        let v = f.serving;
        overrides.settings = Settings {
            listen: f.listen,
            no_demo: f.no_demo,
            admin_user: f.admin_user,
            admin_password: f.admin_password,
            cache_bytes: v.cache_bytes,
            source_cache_bytes: v.source_cache_bytes,
            workers: v.workers,
            queue: v.queue,
            request_timeout_secs: v.request_timeout_secs,
            prerender: v.prerender,
            expiration_hours: v.expiration_hours,
            non_img_expiration_minutes: v.non_img_expiration_minutes,
            ..overrides.settings
        };
        overrides
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Args, Command};

    #[test]
    fn defaults_match_the_documentation() {
        let limits = Limits::default();
        assert_eq!(limits.max_pix, (3000, 3000));
        assert_eq!(limits.default_pix, (2000, 2000));
        assert_eq!(limits.max_body_bytes, 16 << 20);
        let config = ServeConfig::default();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(config.fixtures_dir.ends_with("fixtures"));
        assert_eq!(config.serving.cache_bytes, 256 << 20);
        assert_eq!(config.serving.source_cache_bytes, 128 << 20);
        assert_eq!(config.serving.queue, 64);
        assert_eq!(config.serving.expiration(), Duration::from_secs(36_000));
        assert_eq!(
            config.serving.non_img_expiration(),
            Duration::from_secs(360)
        );
        assert!(config.serving.workers >= 1);
    }

    /// Every setting has exactly one flag of its own name in `serve`.
    #[test]
    fn every_setting_is_a_serve_flag() {
        let command = ServeFlags::augment_args(Command::new("serve"));
        let mut flags: Vec<String> = command
            .get_arguments()
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .filter(|f| f != "--config")
            .collect();
        let mut keys: Vec<String> = Settings::KEYS.iter().map(|k| flag_name(k)).collect();
        flags.sort();
        keys.sort();
        assert_eq!(flags, keys);
    }

    #[test]
    fn values_parse() {
        assert_eq!(
            "3000x2000".parse::<PixelSize>(),
            Ok(PixelSize {
                width: 3000,
                height: 2000
            })
        );
        assert_eq!("256MiB".parse::<ByteSize>(), Ok(ByteSize(256 << 20)));
        assert_eq!("1024".parse::<ByteSize>(), Ok(ByteSize(1024)));
        assert!("1MB".parse::<ByteSize>().is_err());
        assert!("99999999999999GiB".parse::<ByteSize>().is_err());
        assert_eq!(bool::parse("on"), Ok(true));
        assert_eq!(env_name("max_pix"), "RENDITION_MAX_PIX");
        assert_eq!(flag_name("max_pix"), "--max-pix");
    }
}
