//! Geometry planner (`src/plan/`) latency on representative requests, no
//! pixels: a plain fit, a crop with a scale, a rotation, a thumbnail, a
//! `rect=` tile, and a LayerView (layer 0 plus four layers placed the way
//! `render::pipeline` places them). Requests are parsed once, outside the
//! timed loop; sources are a 4000×3000 camera photo unless noted.
//!
//! Run: `cargo bench --bench plan` (about 30 s).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rendition::job;
use rendition::plan::{self, LayerSource, PlanInput};
use rendition::protocol::{self, Options, Request, Sources};

const PHOTO: (u32, u32) = (4000, 3000);

/// Single-layer requests: name, source size, query.
const SINGLE: &[(&str, (u32, u32), &str)] = &[
    ("fit", PHOTO, "wid=400&hei=400&fit=fit&fmt=jpeg&qlt=80"),
    (
        "crop_scale",
        PHOTO,
        "crop=500,300,2000,1500&wid=600&resMode=sharp2",
    ),
    ("rotate", PHOTO, "rotate=30&bgColor=ffffff&wid=800"),
    (
        "extend_align",
        (1500, 2000),
        "extend=0,100,0,100&wid=500&hei=500&align=-1,1&bgc=eeeeee",
    ),
    ("thumbnail", PHOTO, "req=tmb&wid=160&hei=160"),
    ("rect_tile", PHOTO, "wid=2000&rect=512,512,256,256"),
];

/// A LayerView: photo, logo, text with a drop shadow, a solid band and a
/// rotated, half-transparent banner.
const LAYERED: &str = "layer=1&src=logo&size=90,90&posN=0.35,-0.3\
&layer=2&text={\\rtf1\\ansi\\fs56\\b+SALE}&posN=0,0.28&effect=-1&$shadow$\
&layer=3&color=ff000080&size=400,60&posN=0,0.45\
&layer=4&src=wide&rotate=-15&opac=60&pos=-200,-120\
&wid=800&fmt=jpeg";

/// Content sizes of layers 1–4 and whether each is an image.
const LAYER_SOURCES: [((u32, u32), bool); 4] = [
    ((200, 200), true),
    ((180, 64), false),
    ((400, 60), false),
    ((480, 120), true),
];

fn parse(query: &str) -> Request {
    let macros = job::default_macros();
    let options = Options {
        object: Some("Demo/photo"),
        macros: Some(&macros),
        ..Options::default()
    };
    let parsed = protocol::parse(
        Sources {
            request: query,
            ..Sources::default()
        },
        &options,
    );
    assert!(!parsed.has_errors(), "{query}: {}", parsed.diagnostics);
    parsed.request
}

/// Plans a scene as `render::pipeline` does: layer 0, then each layer on it.
fn plan_scene(request: &Request, input: &PlanInput) -> Result<usize, plan::PlanError> {
    let plan = plan::plan(request, input)?;
    let mut planned = 1;
    for (i, &(size, sourced)) in LAYER_SOURCES.iter().enumerate() {
        let source = LayerSource {
            index: i as u32 + 1,
            size,
            sourced,
            canvas: None,
            anchor: None,
        };
        black_box(plan::plan_layer(request, input, source, &plan.layer0)?);
        planned += 1;
    }
    Ok(planned)
}

fn bench_plan(c: &mut Criterion) {
    let mut group = c.benchmark_group("plan");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for &(name, (w, h), query) in SINGLE {
        let request = parse(query);
        let input = PlanInput::new(w, h);
        plan::plan(&request, &input).unwrap_or_else(|e| panic!("{name}: {e}"));
        group.bench_function(name, |b| {
            b.iter(|| plan::plan(black_box(&request), black_box(&input)))
        });
    }

    // Throughput in layers planned, so the per-layer cost shows.
    let request = parse(LAYERED);
    let input = PlanInput::new(PHOTO.0, PHOTO.1);
    let layers = plan_scene(&request, &input).expect("the LayerView plans");
    group.throughput(Throughput::Elements(layers as u64));
    group.bench_function("layerview_5_layers", |b| {
        b.iter(|| plan_scene(black_box(&request), black_box(&input)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Plotting doubles the run time; the estimates and the comparison with
    // the previous run are still printed and kept under target/criterion/.
    config = Criterion::default().without_plots();
    targets = bench_plan
}
criterion_main!(benches);
