//! Serving Image Serving requests: resolve the object, merge its command
//! strings, answer by `req=` type, and render images through the render cache
//! on a bounded worker pool, with the cache headers of §6.
//!
//! This module decides *what* to answer; `http` only turns a [`Reply`] into a
//! response. Rendering never runs on the async runtime: it goes through
//! [`Pool`], which answers `Overloaded` at once when too many renders wait.
//! Catalog writes reach [`Service::invalidate`], so a changed record is never
//! served from the cache.

pub mod props;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use tokio::sync::Semaphore;

use crate::app::{App, ResolveError, Resolved};
use crate::cache::{CachedReply, Outcome, RenderCache};
use crate::job::{self, JobError};
use crate::protocol::ast::{Cache, CacheMode, Command, CommandName, ReqType};
use crate::protocol::{self, Request, Sources};
use crate::render::decode::DecodedCache;
use crate::render::text::FontSet;
use props::{Encoding, Properties};

/// Serving settings, with their documented defaults.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Render cache budget in bytes. Default: 256 MiB.
    pub cache_bytes: u64,
    /// Decoded-source cache budget in bytes. Default: 128 MiB.
    pub source_cache_bytes: u64,
    /// Renders running at once. Default: the number of CPUs.
    pub workers: usize,
    /// Renders allowed to wait for a worker before 503. Default: 64.
    pub queue: usize,
    /// Image TTL (`attribute::Expiration`). Default: 10 hours.
    pub expiration: Duration,
    /// TTL of property responses (`attribute::NonImgExpiration`). Default: 6 minutes.
    pub non_img_expiration: Duration,
    /// TTL of default-image replies (`attribute::DefaultExpiration`). Default: 1 hour.
    pub default_expiration: Duration,
    /// How long a request may take before a 503. Default: 30 s.
    pub request_timeout: Duration,
    /// Render a derived asset's default view when it is registered. Default: on.
    pub prerender: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            cache_bytes: 256 << 20,
            source_cache_bytes: 128 << 20,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            queue: 64,
            expiration: Duration::from_secs(10 * 3600),
            non_img_expiration: Duration::from_secs(6 * 60),
            default_expiration: Duration::from_secs(3600),
            request_timeout: Duration::from_secs(30),
            prerender: true,
        }
    }
}

/// Why a request was not answered with an image or properties.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ServeError {
    #[error("Image not found: {0}")]
    NotFound(String),
    /// Bad commands, limits, unsupported features: a 403 with this text.
    #[error("{0}")]
    Refused(String),
    /// Too many renders waiting: a quick 503.
    #[error("the server is busy: too many renders are waiting")]
    Overloaded,
    #[error("the request took longer than {0:?}")]
    Timeout(Duration),
    /// A bug or storage failure; the detail is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<JobError> for ServeError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::NotFound(object) => ServeError::NotFound(object),
            other => ServeError::Refused(other.to_string()),
        }
    }
}

impl From<ResolveError> for ServeError {
    fn from(e: ResolveError) -> Self {
        match e {
            ResolveError::NotFound(object) => ServeError::NotFound(object),
            ResolveError::Unsupported(m) => ServeError::Refused(m),
            other => ServeError::Internal(other.to_string()),
        }
    }
}

/// A ready answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
    /// Extra headers: caching, validators.
    pub headers: Vec<(&'static str, String)>,
}

/// What happened while serving, for metrics.
#[derive(Clone, Copy, Debug, Default)]
pub struct Served {
    pub outcome: Option<Outcome>,
    /// Seconds spent rendering, when this request rendered.
    pub render_seconds: Option<f64>,
}

/// The conditional headers of a request.
#[derive(Clone, Debug, Default)]
pub struct Conditional {
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<SystemTime>,
}

/// A bounded pool of render workers: `workers` run, `queue` wait, and any
/// more are refused at once.
pub struct Pool {
    permits: Arc<Semaphore>,
    in_flight: Arc<AtomicUsize>,
    limit: usize,
}

struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Pool {
    pub fn new(workers: usize, queue: usize) -> Pool {
        let workers = workers.max(1);
        Pool {
            permits: Arc::new(Semaphore::new(workers)),
            in_flight: Arc::new(AtomicUsize::new(0)),
            limit: workers + queue,
        }
    }

    /// Renders running or waiting.
    pub fn depth(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Runs CPU work on a worker thread, or refuses when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ServeError> {
        if self.in_flight.fetch_add(1, Ordering::SeqCst) >= self.limit {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return Err(ServeError::Overloaded);
        }
        let in_flight = InFlight(Arc::clone(&self.in_flight));
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|e| ServeError::Internal(e.to_string()))?;
        let result = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _in_flight = in_flight;
            work()
        })
        .await;
        result.map_err(|e| ServeError::Internal(format!("render worker failed: {e}")))
    }
}

/// The serving state: the app, the render cache and the pool.
pub struct Service {
    pub app: Arc<App>,
    pub cache: RenderCache<ServeError>,
    pub pool: Pool,
    pub settings: Settings,
    /// Renders run so far (cache misses that rendered).
    pub renders: AtomicUsize,
    /// Decoded originals, so several views of one owner decode it once.
    pub decoded: DecodedCache,
}

fn system_time(ms: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// The commands a default image keeps from the original request (§5.3, mode 0).
fn default_image_query(query: &str) -> String {
    query
        .split('&')
        .filter(|t| {
            let name = t.split('=').next().unwrap_or("").to_ascii_lowercase();
            matches!(name.as_str(), "wid" | "hei" | "fmt" | "qlt")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `defaultImage=` from a raw query; `Some("")` when it disables the fallback.
fn default_image_of(query: &str) -> Option<String> {
    query.split('&').find_map(|t| {
        let (name, value) = t.split_once('=')?;
        name.eq_ignore_ascii_case("defaultImage")
            .then(|| protocol::lexer::percent_decode(value, true).into_owned())
    })
}

fn parse(
    resolved: &Resolved,
    query: &str,
    substitute: bool,
) -> Result<protocol::Parsed, ServeError> {
    let macros = job::default_macros();
    let parsed = protocol::parse(
        Sources {
            modifier: &resolved.modifier,
            request: query,
            post_modifier: &resolved.post_modifier,
        },
        &protocol::Options {
            object: Some(&resolved.object),
            macros: Some(&macros),
            substitute,
            ..protocol::Options::default()
        },
    );
    if parsed.has_errors() {
        let errors: Vec<String> = parsed.diagnostics.errors().map(|d| d.to_string()).collect();
        return Err(ServeError::Refused(errors.join("\n")));
    }
    Ok(parsed)
}

/// `cache=`: (client caching, server caching, force a new render).
fn cache_mode(request: &Request) -> (bool, bool, bool) {
    match request.global(CommandName::Cache) {
        Some(Command::Cache(Cache::Both(CacheMode::Off))) => (false, false, false),
        Some(Command::Cache(Cache::Both(CacheMode::Update))) => (true, true, true),
        Some(Command::Cache(Cache::Split { client, server })) => (*client, *server, false),
        _ => (true, true, false),
    }
}

fn no_store() -> Vec<(&'static str, String)> {
    vec![("cache-control", "no-store".to_owned())]
}

fn cacheable(ttl: Duration) -> Vec<(&'static str, String)> {
    vec![
        (
            "cache-control",
            format!("public, max-age={}", ttl.as_secs()),
        ),
        ("expires", httpdate::fmt_http_date(SystemTime::now() + ttl)),
    ]
}

impl Service {
    pub fn new(app: Arc<App>, settings: Settings) -> Service {
        let settings_decoded_budget = settings.source_cache_bytes;
        Service {
            cache: RenderCache::new(settings.cache_bytes),
            pool: Pool::new(settings.workers, settings.queue),
            app,
            settings,
            renders: AtomicUsize::new(0),
            decoded: DecodedCache::new(settings_decoded_budget),
        }
    }

    /// Forgets every render made from these assets (a catalog write).
    pub fn invalidate(&self, ids: &[i64]) -> usize {
        if ids.is_empty() {
            return 0;
        }
        self.cache.invalidate(ids)
    }

    /// Answers `GET /is/image/{company}/{name}?{query}`.
    pub async fn image(
        self: &Arc<Self>,
        company: String,
        name: String,
        query: String,
        conditional: Conditional,
    ) -> Result<(Reply, Served), ServeError> {
        let timeout = self.settings.request_timeout;
        match tokio::time::timeout(timeout, self.image_inner(company, name, query, conditional))
            .await
        {
            Ok(result) => result,
            Err(_) => Err(ServeError::Timeout(timeout)),
        }
    }

    async fn image_inner(
        self: &Arc<Self>,
        company: String,
        name: String,
        query: String,
        conditional: Conditional,
    ) -> Result<(Reply, Served), ServeError> {
        let app = Arc::clone(&self.app);
        let (c, n) = (company.clone(), name.clone());
        let resolved = self.pool.run(move || app.resolve(&c, &n)).await?;
        let (resolved, query, fallback) = match resolved {
            Ok(r) => (r, query, false),
            Err(ResolveError::NotFound(object)) => {
                // `req=exists` answers for missing records too.
                if query_req(&query) == Some(ReqType::Exists) {
                    return Ok((self.exists(false, &query), Served::default()));
                }
                // §5.3: defaultImage= replaces the whole request (mode 0).
                match default_image_of(&query).filter(|d| !d.is_empty()) {
                    Some(default) => {
                        let (dc, dn) = match default.split_once('/') {
                            Some((c, n)) => (c.to_owned(), n.to_owned()),
                            None => (company.clone(), default.clone()),
                        };
                        let app = Arc::clone(&self.app);
                        let r = self.pool.run(move || app.resolve(&dc, &dn)).await??;
                        (r, default_image_query(&query), true)
                    }
                    None => return Err(ServeError::NotFound(object)),
                }
            }
            Err(other) => return Err(other.into()),
        };
        let kind = query_req(&query);
        if kind == Some(ReqType::Validate) {
            parse(&resolved, &query, false)?;
            let mut p = Properties::default();
            p.push("request.isValid", 1);
            let (mime, body) = props::encode(&p, &Encoding::Text, SystemTime::now());
            return Ok((text_reply(mime, body, no_store()), Served::default()));
        }
        let parsed = parse(&resolved, &query, true)?;
        let request = &parsed.request;
        let req = request.req();
        let encoding = Encoding::from_request(
            req.and_then(|r| r.format),
            match request.global(CommandName::Handler) {
                Some(Command::Handler(h)) => Some(h.as_str()),
                _ => None,
            },
            match request.global(CommandName::Id) {
                Some(Command::Id(id)) => Some(id.as_str()),
                _ => None,
            },
        );
        match req.map(|r| r.kind) {
            None | Some(ReqType::Img | ReqType::Tmb | ReqType::Mask) => {
                self.render_image(&company, resolved, query, &parsed, conditional, fallback)
                    .await
            }
            Some(ReqType::Resolve) => Ok((
                text_reply(
                    "text/plain; charset=utf-8",
                    protocol::print(request),
                    no_store(),
                ),
                Served::default(),
            )),
            Some(ReqType::Exists) => Ok((self.exists(true, &query), Served::default())),
            Some(ReqType::ImageProps) => {
                let p = self.image_props(&resolved, request);
                let (mime, body) = props::encode(&p, &encoding, SystemTime::now());
                Ok((
                    text_reply(mime, body, cacheable(self.settings.non_img_expiration)),
                    Served::default(),
                ))
            }
            Some(ReqType::Props) => {
                let p = self.props(&company, &resolved, &query, &parsed).await?;
                let (mime, body) = props::encode(&p, &encoding, SystemTime::now());
                Ok((
                    text_reply(mime, body, cacheable(self.settings.non_img_expiration)),
                    Served::default(),
                ))
            }
            Some(ReqType::CatalogProps) => {
                let p = self.catalog_props();
                let (mime, body) = props::encode(&p, &encoding, SystemTime::now());
                Ok((
                    text_reply(mime, body, cacheable(self.settings.non_img_expiration)),
                    Served::default(),
                ))
            }
            Some(other) => Err(ServeError::Refused(format!(
                "req={} is not supported by this server",
                other.as_str()
            ))),
        }
    }

    fn exists(&self, exists: bool, query: &str) -> Reply {
        let mut p = Properties::default();
        p.push("catalogRecord.exists", u8::from(exists));
        let encoding = query_encoding(query);
        let (mime, body) = props::encode(&p, &encoding, SystemTime::now());
        text_reply(mime, body, cacheable(self.settings.non_img_expiration))
    }

    /// `req=catalogprops`: the catalog attributes this server uses.
    pub fn catalog_props(&self) -> Properties {
        let limits = &self.app.limits;
        let mut p = Properties::default();
        p.push("catalog.bkgColor", "0xffffff");
        p.push("catalog.defaultExt", "");
        p.push(
            "catalog.defaultPix",
            format!("{},{}", limits.default_pix.0, limits.default_pix.1),
        );
        p.push("catalog.defaultThumbPix", "100,100");
        p.push(
            "catalog.expiration",
            self.settings.expiration.as_secs_f64() / 3600.0,
        );
        p.push(
            "catalog.defaultExpiration",
            self.settings.default_expiration.as_secs_f64() / 3600.0,
        );
        p.push(
            "catalog.nonImgExpiration",
            self.settings.non_img_expiration.as_secs_f64() / 3600.0,
        );
        p.push("catalog.jpegQuality", "80,0");
        p.push(
            "catalog.maxPix",
            format!("{},{}", limits.max_pix.0, limits.max_pix.1),
        );
        p.push("catalog.resMode", "bicub");
        p.push("catalog.resolution", 72);
        p.push("catalog.thumbBkgColor", "0xffffff");
        p.push("catalog.thumbType", "fit");
        p
    }

    /// `req=imageprops`: the source record's properties.
    fn image_props(&self, resolved: &Resolved, request: &Request) -> Properties {
        let _ = request;
        let mut p = Properties::default();
        p.push(
            "image.anchor",
            format!("{},{}", resolved.width / 2, resolved.height / 2),
        );
        p.push(
            "image.expiration",
            self.settings.expiration.as_secs_f64() / 3600.0,
        );
        p.push("image.height", resolved.height);
        p.push("image.iccProfile", "");
        p.push("image.embeddedIccProfile", 0);
        p.push("image.embeddedPhotoshopPaths", 0);
        p.push("image.embeddedXmpData", 0);
        p.push("image.modifier", &resolved.modifier);
        p.push("image.postModifier", &resolved.post_modifier);
        p.push("image.photoshopPathNames", "");
        p.push("image.pixTyp", "RGB");
        p.push("image.printRes", 72);
        p.push("image.resolution", 72);
        p.push("image.timeStamp", resolved.modified_ms);
        p.push("image.thumbRes", 72);
        p.push("image.thumbType", "fit");
        p.push("image.translatedId", &resolved.object);
        p.push("image.width", resolved.width);
        p
    }

    /// `req=props`: properties of the reply the request would get.
    async fn props(
        self: &Arc<Self>,
        company: &str,
        resolved: &Resolved,
        query: &str,
        parsed: &protocol::Parsed,
    ) -> Result<Properties, ServeError> {
        let app = Arc::clone(&self.app);
        let (company_name, resolved_c, query_c) =
            (company.to_owned(), resolved.clone(), query.to_owned());
        let (width, height, mime) = self
            .pool
            .run(move || -> Result<(u32, u32, &'static str), ServeError> {
                let bytes = app.load(&resolved_c)?;
                let resolver = app.resolver(&company_name);
                let ctx = job::Context {
                    resolver: &resolver,
                    limits: &app.limits,
                    fonts: FontSet::shared(),
                    decoded: None,
                };
                let sources = Sources {
                    modifier: &resolved_c.modifier,
                    request: &query_c,
                    post_modifier: &resolved_c.post_modifier,
                };
                Ok(job::describe(bytes, sources, &resolved_c.object, &ctx)?)
            })
            .await??;
        let request = &parsed.request;
        let key = self.cache_key(resolved, request, false);
        let length = self.cache.get(&key).map_or(0, |r| r.body.len());
        let quality = request.qlt().map_or("80,0".to_owned(), |q| {
            format!(
                "{},{}",
                q.quality,
                u8::from(q.no_chroma_subsampling.unwrap_or(false))
            )
        });
        let fmt = request.fmt();
        let mut p = Properties::default();
        p.push(
            "image.bgc",
            request.bgc().map_or("0xffffff".to_owned(), |c| {
                let [r, g, b, _] = c.to_rgba8();
                format!("0x{r:02x}{g:02x}{b:02x}")
            }),
        );
        p.push("image.height", height);
        p.push("image.iccEmbed", 0);
        p.push("image.iccProfile", "");
        p.push("image.length", length);
        p.push(
            "image.mask",
            u8::from(fmt.is_some_and(|f| f.kind.has_alpha())),
        );
        p.push("image.pathEmbed", 0);
        p.push(
            "image.pixTyp",
            match fmt.and_then(|f| f.pixel_type) {
                Some(crate::protocol::ast::PixelType::Gray) => "BW",
                Some(crate::protocol::ast::PixelType::Cmyk) => "CMYK",
                _ => "RGB",
            },
        );
        p.push("image.printRes", 72);
        p.push("image.quality", quality);
        p.push("image.type", mime);
        p.push("image.version", resolved.version);
        p.push("image.width", width);
        p.push("image.xmpEmbed", 0);
        p.push("metadata.version", resolved.version);
        Ok(p)
    }

    fn cache_key(&self, resolved: &Resolved, request: &Request, mask: bool) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            resolved.object,
            resolved.version,
            u8::from(mask),
            protocol::print(request)
        )
    }

    async fn render_image(
        self: &Arc<Self>,
        company: &str,
        resolved: Resolved,
        query: String,
        parsed: &protocol::Parsed,
        conditional: Conditional,
        fallback: bool,
    ) -> Result<(Reply, Served), ServeError> {
        let request = &parsed.request;
        let mask = request.req().is_some_and(|r| r.kind == ReqType::Mask);
        let (client, server, refresh) = cache_mode(request);
        let key = self.cache_key(&resolved, request, mask);
        let started = Instant::now();
        let service = Arc::clone(self);
        let company = company.to_owned();
        let (reply, outcome) = self
            .cache
            .get_or_render(&key, server, refresh, || async move {
                let pool_service = Arc::clone(&service);
                service
                    .pool
                    .run(move || pool_service.render_now(&company, &resolved, &query, mask))
                    .await?
            })
            .await?;
        let served = Served {
            outcome: Some(outcome),
            render_seconds: (outcome == Outcome::Rendered).then(|| started.elapsed().as_secs_f64()),
        };
        let ttl = if fallback {
            self.settings.default_expiration
        } else {
            self.settings.expiration
        };
        let mut headers = if client { cacheable(ttl) } else { no_store() };
        headers.push(("etag", reply.etag.clone()));
        headers.push((
            "last-modified",
            httpdate::fmt_http_date(reply.last_modified),
        ));
        if client && not_modified(&conditional, &reply) {
            return Ok((
                Reply {
                    status: 304,
                    content_type: reply.content_type.to_owned(),
                    body: Bytes::new(),
                    headers,
                },
                served,
            ));
        }
        Ok((
            Reply {
                status: 200,
                content_type: reply.content_type.to_owned(),
                body: reply.body.clone(),
                headers,
            },
            served,
        ))
    }

    /// Renders on the calling (worker) thread.
    fn render_now(
        &self,
        company: &str,
        resolved: &Resolved,
        query: &str,
        mask: bool,
    ) -> Result<CachedReply, ServeError> {
        self.renders.fetch_add(1, Ordering::Relaxed);
        let bytes = self.app.load(resolved)?;
        let resolver = self.app.resolver(company);
        let ctx = job::Context {
            resolver: &resolver,
            limits: &self.app.limits,
            fonts: FontSet::shared(),
            decoded: Some(&self.decoded),
        };
        let sources = Sources {
            modifier: &resolved.modifier,
            request: query,
            post_modifier: &resolved.post_modifier,
        };
        let encoded = job::render_with(
            bytes,
            sources,
            &resolved.object,
            &ctx,
            job::Options { mask },
        )?;
        let (mut deps, newest) = resolver.dependencies();
        deps.extend(&resolved.ids);
        Ok(CachedReply::new(
            Bytes::from(encoded.bytes),
            encoded.content_type,
            system_time(newest.max(resolved.modified_ms)),
            deps,
        ))
    }

    /// Renders a record's default view into the cache (after registration).
    pub async fn prerender(self: &Arc<Self>, company: String, name: String) {
        let result = self
            .image(
                company.clone(),
                name.clone(),
                String::new(),
                Conditional::default(),
            )
            .await;
        if let Err(e) = result {
            tracing::debug!("prerender of {company}/{name} failed: {e}");
        }
    }
}

fn query_req(query: &str) -> Option<ReqType> {
    query.split('&').find_map(|t| {
        let (name, value) = t.split_once('=')?;
        if !name.eq_ignore_ascii_case("req") {
            return None;
        }
        ReqType::from_keyword(value.split(',').next().unwrap_or(""))
    })
}

fn query_encoding(query: &str) -> Encoding {
    let parsed = protocol::parse_query(query);
    Encoding::from_request(
        parsed.request.req().and_then(|r| r.format),
        match parsed.request.global(CommandName::Handler) {
            Some(Command::Handler(h)) => Some(h.as_str()),
            _ => None,
        },
        match parsed.request.global(CommandName::Id) {
            Some(Command::Id(id)) => Some(id.as_str()),
            _ => None,
        },
    )
}

fn text_reply(mime: &str, body: String, headers: Vec<(&'static str, String)>) -> Reply {
    Reply {
        status: 200,
        content_type: mime.to_owned(),
        body: Bytes::from(body),
        headers,
    }
}

/// §6.1: a matching `If-None-Match`, else an `If-Modified-Since` not older
/// than the reply.
fn not_modified(conditional: &Conditional, reply: &CachedReply) -> bool {
    if let Some(tags) = &conditional.if_none_match {
        return tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == reply.etag);
    }
    if let Some(since) = conditional.if_modified_since {
        let modified = reply
            .last_modified
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let since = since
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        return modified <= since;
    }
    false
}

/// Catalog writes that change renders, for the cache and prerendering.
pub fn changed_ids(changes: &crate::ips::Changes) -> &[i64] {
    &changes.assets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_image_keeps_only_size_and_format() {
        assert_eq!(
            default_image_query("wid=100&crop=0,0,1,1&FMT=png&defaultImage=x&qlt=80"),
            "wid=100&FMT=png&qlt=80"
        );
        assert_eq!(
            default_image_of("a=1&defaultImage=Co%2Fx"),
            Some("Co/x".to_owned())
        );
        assert_eq!(default_image_of("defaultImage="), Some(String::new()));
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let pool = Arc::new(Pool::new(1, 1));
        let gate = Arc::new(std::sync::Barrier::new(2));
        let (p1, g1) = (Arc::clone(&pool), Arc::clone(&gate));
        let running = tokio::spawn(async move { p1.run(move || g1.wait()).await });
        // Wait until the first job holds the only worker.
        while pool.depth() < 1 {
            tokio::task::yield_now().await;
        }
        let p2 = Arc::clone(&pool);
        let queued = tokio::spawn(async move { p2.run(|| ()).await });
        while pool.depth() < 2 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(pool.run(|| ()).await, Err(ServeError::Overloaded)));
        gate.wait();
        assert!(running.await.unwrap().is_ok());
        assert!(queued.await.unwrap().is_ok());
        assert_eq!(pool.depth(), 0);
    }
}
