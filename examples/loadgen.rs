//! A bounded, closed-loop HTTP load generator for the load benchmark
//! (`benches/load/`).
//!
//! ```text
//! cargo run --release --example loadgen -- --urls urls.txt --concurrency 4 \
//!     --duration 20 --warmup 8
//! ```
//!
//! `--urls` names a file with one URL per line (blank lines and lines starting
//! with `#` are skipped). `--concurrency` workers each send one request, read
//! the whole reply, then send the next (closed loop: at most C requests are in
//! flight). Every request takes the next URL of the list, round-robin over all
//! workers. The run stops after `--requests` measured requests or after
//! `--duration` seconds, whichever is given (with both, whichever comes
//! first); `--max-requests` bounds a duration run as well. The first
//! `--warmup` requests are sent the same way but not recorded.
//!
//! A request counts as successful when its status is 200 and its body was read
//! in full; its latency is from sending to the last body byte. Anything else is
//! an error (its first few reasons go to stderr). The result is one line of
//! JSON on stdout:
//! `{requests, errors, seconds, rps, p50_ms, p90_ms, p99_ms, max_ms, mean_bytes, ...}`,
//! where `requests` counts successful requests and `rps` is those per second
//! of the measured phase.
//!
//! Only loopback targets are accepted unless `--allow-remote` is given.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Bounded closed-loop HTTP load generator")]
struct Args {
    /// File with one URL per line.
    #[arg(long)]
    urls: PathBuf,
    /// Number of concurrent workers (requests in flight).
    #[arg(short, long, default_value_t = 1)]
    concurrency: usize,
    /// Measured requests to send (after warm-up).
    #[arg(short = 'n', long)]
    requests: Option<usize>,
    /// Seconds to measure for (after warm-up).
    #[arg(short, long)]
    duration: Option<f64>,
    /// Requests sent first and not recorded.
    #[arg(long, default_value_t = 0)]
    warmup: usize,
    /// Upper bound on measured requests in a duration run.
    #[arg(long, default_value_t = 1_000_000)]
    max_requests: usize,
    /// Timeout of one request, in seconds.
    #[arg(long, default_value_t = 60.0)]
    timeout: f64,
    /// Allow targets other than loopback addresses.
    #[arg(long)]
    allow_remote: bool,
}

/// What the workers of one phase share.
struct Phase {
    urls: Arc<Vec<String>>,
    /// The next request's index into `urls` (modulo), shared across phases.
    next_url: Arc<AtomicUsize>,
    /// Requests started in this phase.
    started: AtomicUsize,
    limit: usize,
    deadline: Option<Instant>,
    stop: AtomicBool,
    results: Mutex<Results>,
}

#[derive(Default)]
struct Results {
    latencies_us: Vec<u64>,
    bytes: u64,
    errors: usize,
    error_samples: Vec<String>,
}

async fn worker(client: reqwest::Client, phase: Arc<Phase>) {
    loop {
        if phase.stop.load(Ordering::Relaxed) {
            return;
        }
        if let Some(deadline) = phase.deadline
            && Instant::now() >= deadline
        {
            return;
        }
        if phase.started.fetch_add(1, Ordering::Relaxed) >= phase.limit {
            return;
        }
        let i = phase.next_url.fetch_add(1, Ordering::Relaxed) % phase.urls.len();
        let url = &phase.urls[i];
        let t0 = Instant::now();
        let outcome = match client.get(url).send().await {
            Ok(resp) => {
                let status = resp.status();
                match resp.bytes().await {
                    Ok(body) if status == reqwest::StatusCode::OK => Ok(body.len()),
                    Ok(body) => Err(format!(
                        "{url}: HTTP {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(200)])
                    )),
                    Err(e) => Err(format!("{url}: reading body: {e}")),
                }
            }
            Err(e) => Err(format!("{url}: {e}")),
        };
        let elapsed = t0.elapsed();
        let mut r = phase.results.lock().unwrap_or_else(|e| e.into_inner());
        match outcome {
            Ok(len) => {
                r.latencies_us.push(elapsed.as_micros() as u64);
                r.bytes += len as u64;
            }
            Err(e) => {
                r.errors += 1;
                if r.error_samples.len() < 5 {
                    r.error_samples.push(e);
                }
            }
        }
    }
}

async fn run_phase(
    client: &reqwest::Client,
    urls: &Arc<Vec<String>>,
    next_url: &Arc<AtomicUsize>,
    concurrency: usize,
    limit: usize,
    duration: Option<Duration>,
) -> (Results, Duration) {
    let start = Instant::now();
    let phase = Arc::new(Phase {
        urls: urls.clone(),
        next_url: next_url.clone(),
        started: AtomicUsize::new(0),
        limit,
        deadline: duration.map(|d| start + d),
        stop: AtomicBool::new(false),
        results: Mutex::new(Results::default()),
    });
    let handles: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(worker(client.clone(), phase.clone())))
        .collect();
    for h in handles {
        if let Err(e) = h.await {
            eprintln!("loadgen: worker failed: {e}");
        }
    }
    let seconds = start.elapsed();
    phase.stop.store(true, Ordering::Relaxed);
    let results = std::mem::take(&mut *phase.results.lock().unwrap_or_else(|e| e.into_inner()));
    (results, seconds)
}

/// The nearest-rank percentile of sorted values, in milliseconds.
fn percentile_ms(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted_us.len()) - 1;
    sorted_us[i] as f64 / 1000.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn is_loopback(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let fail = |msg: String| {
        eprintln!("loadgen: {msg}");
        std::process::ExitCode::FAILURE
    };
    if args.requests.is_none() && args.duration.is_none() {
        return fail("give --requests or --duration (or both)".into());
    }
    if args.concurrency == 0 {
        return fail("--concurrency must be at least 1".into());
    }
    let text = match std::fs::read_to_string(&args.urls) {
        Ok(t) => t,
        Err(e) => return fail(format!("cannot read {}: {e}", args.urls.display())),
    };
    let urls: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    if urls.is_empty() {
        return fail(format!("no URLs in {}", args.urls.display()));
    }
    if !args.allow_remote
        && let Some(bad) = urls.iter().find(|u| !is_loopback(u))
    {
        return fail(format!(
            "{bad} is not an http:// loopback URL (pass --allow-remote to allow it)"
        ));
    }
    let client = match reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs_f64(args.timeout))
        .build()
    {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot build the HTTP client: {e}")),
    };
    let urls = Arc::new(urls);
    let next_url = Arc::new(AtomicUsize::new(0));

    if args.warmup > 0 {
        let (warm, _) = run_phase(
            &client,
            &urls,
            &next_url,
            args.concurrency,
            args.warmup,
            None,
        )
        .await;
        for e in &warm.error_samples {
            eprintln!("loadgen: warm-up error: {e}");
        }
    }

    let limit = args.requests.unwrap_or(args.max_requests);
    let duration = args.duration.map(Duration::from_secs_f64);
    let (mut results, seconds) =
        run_phase(&client, &urls, &next_url, args.concurrency, limit, duration).await;
    for e in &results.error_samples {
        eprintln!("loadgen: error: {e}");
    }
    results.latencies_us.sort_unstable();
    let ok = results.latencies_us.len();
    let secs = seconds.as_secs_f64();
    let mean_ms = if ok == 0 {
        0.0
    } else {
        results.latencies_us.iter().sum::<u64>() as f64 / ok as f64 / 1000.0
    };
    let out = serde_json::json!({
        "requests": ok,
        "errors": results.errors,
        "seconds": round3(secs),
        "rps": round3(if secs > 0.0 { ok as f64 / secs } else { 0.0 }),
        "p50_ms": round3(percentile_ms(&results.latencies_us, 50.0)),
        "p90_ms": round3(percentile_ms(&results.latencies_us, 90.0)),
        "p99_ms": round3(percentile_ms(&results.latencies_us, 99.0)),
        "max_ms": round3(percentile_ms(&results.latencies_us, 100.0)),
        "mean_ms": round3(mean_ms),
        "mean_bytes": if ok == 0 { 0 } else { results.bytes / ok as u64 },
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "urls": urls.len(),
    });
    println!("{out}");
    std::process::ExitCode::SUCCESS
}
