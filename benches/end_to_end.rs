//! End-to-end renders of a dozen golden cases: parse, resolve, plan, decode,
//! transform, composite, encode — `job::render`, the path the HTTP route and
//! `rendition render` take, with no render or decoded-source cache.
//!
//! Each case is a line of `fixtures/golden/cases.txt`, looked up by name and
//! rendered with the same resolver, fixtures and `Context` as
//! `tests/golden.rs` (its `@record` lines included), so a bench case is
//! literally a golden case. Throughput is in renders (1 element = 1 reply).
//!
//! Run: `cargo bench --bench end_to_end` (about 40 s), or one case, for
//! example `cargo bench --bench end_to_end -- layerview-sale`.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rendition::config::Limits;
use rendition::job;
use rendition::protocol::Sources;
use rendition::render::decode::Original;
use rendition::render::text::FontSet;

/// The golden cases measured: a varied dozen.
const CASES: &[&str] = &[
    "fmt-jpeg",             // plain wid=200, JPEG q80: the common request
    "fit-fit",              // wid+hei with fit=fit, letterboxed, PNG
    "crop",                 // layer-0 crop
    "rotate-45",            // arbitrary rotation with alpha
    "op-sharpen",           // a pixel operation after the resize
    "merge-worked-example", // an AdjustedView: modifier || request || post-modifier
    "fmt-png8",             // palette quantisation
    "fmt-gif",              // GIF, adaptive 64 colours, dithered
    "text-bold",            // an RTF text layer
    "mask",                 // a layer with a mask
    "layerview-sale",       // LayerView: logo, text with a drop shadow
    "example-a",            // §4.4 Example A: 1000×1000 canvas, rotated text
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixtures and the `@record` lines as a catalog, as in `tests/golden.rs`.
struct Fixtures {
    records: Vec<(String, String, String)>,
}

impl job::Resolver for Fixtures {
    fn find(&self, id: &str) -> Result<Option<job::Record>, job::JobError> {
        let name = id.rsplit('/').next().unwrap_or(id);
        let record = |kind: job::RecordKind, bytes: Option<Original>, modifier: &str| job::Record {
            object: format!("Golden/{name}"),
            kind,
            bytes,
            modifier: modifier.to_owned(),
            post_modifier: String::new(),
            anchor: None,
            ids: Vec::new(),
            modified_ms: 0,
        };
        let file_record = |file: &str, modifier: &str| {
            let bytes = std::fs::read(root().join("fixtures").join(file)).ok()?;
            let original = Original::new(Arc::new(bytes), None);
            Some(record(job::RecordKind::Image, Some(original), modifier))
        };
        for (record_name, kind, modifier) in &self.records {
            if record_name == name {
                return Ok(match kind.strip_prefix("image:") {
                    Some(file) => file_record(file, modifier),
                    None => Some(record(job::RecordKind::Template, None, modifier)),
                });
            }
        }
        for ext in ["jpg", "png"] {
            if let Some(r) = file_record(&format!("{name}.{ext}"), "") {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }
}

/// A case line: name, source fixture (`-` for none), tolerance, request.
struct Case {
    name: String,
    source: String,
    request: String,
}

fn read_golden() -> (Vec<Case>, Fixtures) {
    let path = root().join("fixtures/golden/cases.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let records = text
        .lines()
        .filter_map(|l| l.strip_prefix("@record "))
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some((
                parts.next()?.to_owned(),
                parts.next()?.to_owned(),
                parts.next().unwrap_or("").to_owned(),
            ))
        })
        .collect();
    let cases = text
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !l.is_empty() && !l.starts_with('#') && !l.starts_with('@')
        })
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let name = parts.next()?.to_owned();
            let source = parts.next()?.to_owned();
            let _tolerance = parts.next()?;
            Some(Case {
                name,
                source,
                request: parts.next().unwrap_or("").to_owned(),
            })
        })
        .collect();
    (cases, Fixtures { records })
}

fn sources(request: &str) -> Sources<'_> {
    match request.split("||").collect::<Vec<_>>().as_slice() {
        [modifier, request, post_modifier] => Sources {
            modifier,
            request,
            post_modifier,
        },
        _ => Sources {
            request,
            ..Sources::default()
        },
    }
}

fn bench_end_to_end(c: &mut Criterion) {
    let (cases, fixtures) = read_golden();
    let limits = Limits::default();
    let ctx = job::Context {
        resolver: &fixtures,
        limits: &limits,
        fonts: FontSet::shared(),
        decoded: None,
    };
    let mut group = c.benchmark_group("end_to_end");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(1));
    for &name in CASES {
        let case = cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no golden case {name} in fixtures/golden/cases.txt"));
        // The original is read once; each render gets the same bytes.
        let source = (case.source != "-").then(|| {
            let bytes = std::fs::read(root().join("fixtures").join(&case.source))
                .unwrap_or_else(|e| panic!("{}: {e}", case.source));
            Original::new(Arc::new(bytes), None)
        });
        let stem = case.source.split('.').next().unwrap_or("source");
        let object = format!("Golden/{stem}");
        let sources = sources(&case.request);
        let reply = job::render(source.clone(), sources, &object, &ctx)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "end_to_end/{name}: {} bytes of {}",
            reply.bytes.len(),
            reply.content_type
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                job::render(source.clone(), black_box(sources), &object, &ctx).expect("renders")
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Plotting doubles the run time; the estimates and the comparison with
    // the previous run are still printed and kept under target/criterion/.
    config = Criterion::default().without_plots();
    targets = bench_end_to_end
}
criterion_main!(benches);
