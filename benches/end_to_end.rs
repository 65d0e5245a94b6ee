//! End-to-end renders of a dozen golden cases: parse, resolve, plan, decode,
//! transform, composite, encode — `job::render`, the path the HTTP route and
//! `rendition render` take, with no render or decoded-source cache.
//!
//! Each case is a line of `fixtures/golden/cases.txt`, looked up by name,
//! read and resolved by the same code as `tests/golden.rs`
//! (`tests/support/golden_cases.rs`, `@record` lines included), so a bench
//! case is literally a golden case. Throughput is in renders (1 element = 1 reply).
//!
//! Run: `cargo bench --bench end_to_end` (about 40 s), or one case, for
//! example `cargo bench --bench end_to_end -- layerview-sale`.

#[path = "../tests/support/golden_cases.rs"]
mod golden_cases;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use golden_cases::{Fixtures, read_cases};
use rendition::config::Limits;
use rendition::job;
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

fn bench_end_to_end(c: &mut Criterion) {
    let cases = read_cases().unwrap_or_else(|e| panic!("{e}"));
    let fixtures = Fixtures::load().unwrap_or_else(|e| panic!("{e}"));
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
        let source = case.original().unwrap_or_else(|e| panic!("{e}"));
        let object = case.object();
        let sources = case.sources();
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
