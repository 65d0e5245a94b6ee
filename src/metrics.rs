//! Operational metrics in the Prometheus text exposition format (0.0.4).
//!
//! This module owns the [`Metrics`] registry: request counters and latency
//! histograms per route, render timings, the render cache's and queue's
//! counters and gauges, and a few process figures; [`Metrics::render_text`]
//! writes them all for `GET /metrics`. Recording is lock-free for the fixed
//! series and takes one short mutex for labelled ones.
//!
//! It must never know what a route, a cache or a render is beyond the numbers
//! handed to it, never panic, and never let a client create unbounded label
//! values: routes are the router's path templates, methods outside the
//! standard few are counted as `other`, and statuses are three-digit codes.
//!
//! Hand-written rather than the `prometheus` or `prometheus-client` crates:
//! a dozen series in a fixed format fit in this file, and the format is
//! stable and simple.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Upper bounds of the request latency buckets, in seconds (Prometheus'
/// default buckets).
const REQUEST_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Upper bounds of the render time buckets, in seconds: 1 ms to 10 s.
const RENDER_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The metrics registry of one server. `Send + Sync`; share it with an `Arc`.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    /// `http_requests_total` by (route, method, status).
    requests: Mutex<BTreeMap<(String, &'static str, u16), u64>>,
    /// `http_request_duration_seconds` by route.
    request_seconds: Mutex<BTreeMap<String, Histogram>>,
    render_seconds: Histogram,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    cache_bytes: AtomicU64,
    cache_entries: AtomicU64,
    cache_evictions: AtomicU64,
    coalesced: AtomicU64,
    queue_depth: AtomicU64,
    rejected: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// An empty registry; uptime counts from now.
    pub fn new() -> Metrics {
        Metrics {
            started: Instant::now(),
            requests: Mutex::new(BTreeMap::new()),
            request_seconds: Mutex::new(BTreeMap::new()),
            render_seconds: Histogram::new(RENDER_BUCKETS),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            cache_bytes: AtomicU64::new(0),
            cache_entries: AtomicU64::new(0),
            cache_evictions: AtomicU64::new(0),
            coalesced: AtomicU64::new(0),
            queue_depth: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        }
    }

    /// Counts one answered request and its latency. `route` is the matched
    /// path template (or `unmatched`), never the raw path.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let method = normalise_method(method);
        if let Ok(mut requests) = self.requests.lock() {
            match requests.get_mut(&(route.to_owned(), method, status)) {
                Some(count) => *count += 1,
                None => {
                    requests.insert((route.to_owned(), method, status), 1);
                }
            }
        }
        if let Ok(mut histograms) = self.request_seconds.lock() {
            match histograms.get(route) {
                Some(histogram) => histogram.observe(seconds),
                None => {
                    let histogram = Histogram::new(REQUEST_BUCKETS);
                    histogram.observe(seconds);
                    histograms.insert(route.to_owned(), histogram);
                }
            }
        }
    }

    /// Records the time one render took, decode to encode.
    pub fn observe_render(&self, seconds: f64) {
        self.render_seconds.observe(seconds);
    }

    /// A reply served from the render cache.
    pub fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// A reply that had to be rendered.
    pub fn cache_miss(&self) {
        self.cache_misses.fetch_add(1, Ordering::Relaxed);
    }

    /// The bytes the render cache holds now.
    pub fn set_cache_bytes(&self, bytes: u64) {
        self.cache_bytes.store(bytes, Ordering::Relaxed);
    }

    /// The entries the render cache holds now.
    pub fn set_cache_entries(&self, n: u64) {
        self.cache_entries.store(n, Ordering::Relaxed);
    }

    /// `n` entries left the render cache to make room.
    pub fn cache_evicted(&self, n: u64) {
        self.cache_evictions.fetch_add(n, Ordering::Relaxed);
    }

    /// A request waited for an identical render already in flight.
    pub fn single_flight_joined(&self) {
        self.coalesced.fetch_add(1, Ordering::Relaxed);
    }

    /// Renders waiting for a worker now.
    pub fn set_queue_depth(&self, n: usize) {
        self.queue_depth
            .store(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// A render refused because the queue was full (answered 503).
    pub fn queue_rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// Every metric in the Prometheus text exposition format 0.0.4.
    pub fn render_text(&self) -> String {
        let mut out = String::with_capacity(4096);

        header(
            &mut out,
            "http_requests_total",
            "counter",
            "HTTP requests answered, by route template, method and status.",
        );
        if let Ok(requests) = self.requests.lock() {
            for ((route, method, status), count) in requests.iter() {
                let _ = writeln!(
                    out,
                    "http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {count}",
                    escape(route)
                );
            }
        }

        header(
            &mut out,
            "http_request_duration_seconds",
            "histogram",
            "Time to answer an HTTP request, up to its response head, by route template.",
        );
        if let Ok(histograms) = self.request_seconds.lock() {
            for (route, histogram) in histograms.iter() {
                let label = format!("route=\"{}\"", escape(route));
                histogram.write(&mut out, "http_request_duration_seconds", &label);
            }
        }

        header(
            &mut out,
            "rendition_render_seconds",
            "histogram",
            "Time one render took, decode to encode.",
        );
        self.render_seconds
            .write(&mut out, "rendition_render_seconds", "");

        let counters = [
            (
                "rendition_cache_hits_total",
                "Replies served from the render cache.",
                &self.cache_hits,
            ),
            (
                "rendition_cache_misses_total",
                "Replies that had to be rendered.",
                &self.cache_misses,
            ),
            (
                "rendition_cache_evictions_total",
                "Entries evicted from the render cache to make room.",
                &self.cache_evictions,
            ),
            (
                "rendition_render_coalesced_total",
                "Requests that waited for an identical render in flight instead of rendering.",
                &self.coalesced,
            ),
            (
                "rendition_render_rejected_total",
                "Renders refused with 503 because the render queue was full.",
                &self.rejected,
            ),
        ];
        for (name, help, value) in counters {
            header(&mut out, name, "counter", help);
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }

        let gauges = [
            (
                "rendition_cache_bytes",
                "Bytes held by the render cache.",
                &self.cache_bytes,
            ),
            (
                "rendition_cache_entries",
                "Entries held by the render cache.",
                &self.cache_entries,
            ),
            (
                "rendition_render_queue_depth",
                "Renders waiting for a worker.",
                &self.queue_depth,
            ),
        ];
        for (name, help, value) in gauges {
            header(&mut out, name, "gauge", help);
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }

        header(
            &mut out,
            "rendition_uptime_seconds",
            "gauge",
            "Seconds since the server started.",
        );
        let _ = writeln!(
            out,
            "rendition_uptime_seconds {}",
            number(self.started.elapsed().as_secs_f64())
        );
        if let Some(bytes) = resident_bytes() {
            header(
                &mut out,
                "rendition_process_resident_bytes",
                "gauge",
                "Resident memory of the process, in bytes.",
            );
            let _ = writeln!(out, "rendition_process_resident_bytes {bytes}");
        }
        out
    }
}

/// A cumulative histogram with fixed bucket bounds, recorded with atomics.
#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    /// One count per bound (not cumulative); `+Inf` is `count`.
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    /// The sum of observations, as `f64` bits.
    sum: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0f64.to_bits()),
        }
    }

    fn observe(&self, seconds: f64) {
        // A clock oddity must not poison the sum.
        let seconds = if seconds.is_finite() && seconds > 0.0 {
            seconds
        } else {
            0.0
        };
        if let Some(i) = self.bounds.iter().position(|&bound| seconds <= bound) {
            if let Some(bucket) = self.buckets.get(i) {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let _ = self
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + seconds).to_bits())
            });
    }

    /// Writes `_bucket`, `_sum` and `_count` lines; `labels` is either empty
    /// or `key="value"` pairs without braces.
    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0u64;
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{}\"}} {cumulative}",
                number(*bound)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let sum = f64::from_bits(self.sum.load(Ordering::Relaxed));
        let _ = writeln!(out, "{name}_sum{braces} {}", number(sum));
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A float as Prometheus reads it: shortest round-trip form.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{value}")
    }
}

/// Escapes a label value: backslash, double quote and line feed.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Standard methods keep their name; anything else is `other`, so a client
/// cannot grow the label set.
fn normalise_method(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        _ => "other",
    }
}

/// Resident memory from `/proc/self/status` (`VmRSS`, in KiB) on Linux;
/// `None` elsewhere or when it cannot be read.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::new();
        metrics.observe_render(0.0005);
        metrics.observe_render(0.003);
        metrics.observe_render(20.0);
        let text = metrics.render_text();
        assert!(text.contains("rendition_render_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(text.contains("rendition_render_seconds_bucket{le=\"0.005\"} 2\n"));
        assert!(text.contains("rendition_render_seconds_bucket{le=\"10\"} 2\n"));
        assert!(text.contains("rendition_render_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("rendition_render_seconds_count 3\n"));
        assert!(text.contains("rendition_render_seconds_sum 20.0035\n"));
    }

    #[test]
    fn labels_are_escaped_and_methods_bounded() {
        let metrics = Metrics::new();
        metrics.observe_request("/a\"b", "BREW", 418, 0.001);
        let text = metrics.render_text();
        assert!(
            text.contains(
                "http_requests_total{route=\"/a\\\"b\",method=\"other\",status=\"418\"} 1\n"
            ),
            "{text}"
        );
        assert!(text.contains("http_request_duration_seconds_count{route=\"/a\\\"b\"} 1\n"));
    }
}
