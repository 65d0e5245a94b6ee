//! Each render stage on its own, through the crate's own functions:
//!
//! - `decode`: JPEG in full and with shrink-on-load (`decode_jpeg_scaled` at
//!   4/8, 2/8 and 1/8), PNG opaque and with alpha (JPEGs go through
//!   libjpeg-turbo when built with `--features turbojpeg`);
//! - `resize`: `geometry::resample` (fast_image_resize) for a 1000×750 → 400×300
//!   fit in every `resMode`, an enlargement and a fractional region;
//! - `composite`: `draw_layer` in every blend mode, `apply_mask`, and a layer
//!   drawn with the `$shadow$` and `$glow$` effects;
//! - `ops`: `op_blur`, `op_sharpen`, `op_usm`;
//! - `text`: one short line, plain and RTF;
//! - `encode`: JPEG q80 (4:2:0 and 4:4:4), progressive JPEG, PNG, PNG8, GIF,
//!   WebP lossy and lossless, TIFF uncompressed and LZW, from a 1000×750
//!   photo; AVIF (with the default `avif` feature) from 400×300, since it
//!   takes about a third of a second. The encoded sizes are printed first.
//!
//! Inputs are generated in code (a deterministic photo-like image with smooth
//! shading, hard edges and grain, encoded by our own JPEG/PNG encoders) or
//! taken from `fixtures/`. Throughput is in pixels: source pixels for decode
//! and resize, layer pixels for composite, image pixels for ops and encode.
//! Stages that modify their input in place get a fresh copy per iteration,
//! made outside the timing.
//!
//! Run: `cargo bench --bench stages` (about 100 s on 2 cores), or one group,
//! for example `cargo bench --bench stages -- encode/`.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use rendition::config::Limits;
use rendition::protocol::ast::{BlendMode, MaskUse, ResMode, Usm};
use rendition::protocol::{self, Command, CommandName};
use rendition::render::composite::{self, EffectSpec, GLOW_MACRO, SHADOW_MACRO};
use rendition::render::encode::{self, EncodeSpec};
use rendition::render::text::{self, FontSet, TextRequest};
use rendition::render::{Canvas, decode, geometry, ops, pipeline};

/// A deterministic photo-like RGBA image: smooth colour shading, a few discs
/// with hard edges and per-pixel grain, so codecs see realistic entropy.
/// The picture is the same at every size (coordinates are relative).
fn photo(width: u32, height: u32) -> Canvas {
    let mut data = Vec::with_capacity(width as usize * height as usize * 4);
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let discs = [
        (0.3, 0.4, 0.18, [220.0, 60.0, 40.0]),
        (0.7, 0.6, 0.25, [40.0, 90.0, 200.0]),
        (0.55, 0.25, 0.1, [240.0, 220.0, 80.0]),
    ];
    for y in 0..height {
        let v = f64::from(y) / f64::from(height);
        for x in 0..width {
            let u = f64::from(x) / f64::from(width);
            let mut rgb = [
                120.0 + 80.0 * (u * 6.0 + v * 2.0).sin(),
                110.0 + 70.0 * (v * 5.0 - u * 3.0).cos(),
                100.0 + 60.0 * (u * v * 12.0).sin(),
            ];
            for (cx, cy, r, colour) in discs {
                let d = ((u - cx) * (u - cx) * 1.78 + (v - cy) * (v - cy)).sqrt();
                if d < r {
                    let shade = 1.0 - 0.5 * d / r;
                    rgb = colour.map(|c| c * shade);
                }
            }
            // SplitMix64 grain of ±10.
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let grain = ((z >> 40) % 21) as f64 - 10.0;
            for c in rgb {
                data.push((c + grain).clamp(0.0, 255.0) as u8);
            }
            data.push(255);
        }
    }
    Canvas::from_rgba(width, height, data).expect("width × height × 4 bytes")
}

/// The encoder settings a query's `fmt=` and `qlt=` give, as the pipeline
/// reads them.
fn spec(query: &str) -> EncodeSpec {
    let parsed = protocol::parse_query(query);
    assert!(!parsed.has_errors(), "{query}: {}", parsed.diagnostics);
    let request = parsed.request;
    let mut spec = EncodeSpec::default();
    if let Some(format) = request.fmt() {
        spec.format = format;
    }
    if let Some(quality) = request.qlt() {
        spec.quality = quality;
    }
    if let Some(Command::Quantize(q)) = request.global(CommandName::Quantize) {
        spec.quantize = Some(q.clone());
    }
    spec
}

fn encoded(canvas: &Canvas, query: &str) -> Vec<u8> {
    encode::encode(canvas, &spec(query))
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .bytes
}

fn fixture(name: &str) -> Canvas {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    decode::decode(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pixels(canvas: &Canvas) -> u64 {
    u64::from(canvas.width()) * u64::from(canvas.height())
}

/// Short runs: `samples` samples over `secs` seconds. Flat sampling (the
/// same iteration count in every sample) for stages of several
/// milliseconds, so ten samples need only ten iterations.
fn configure(
    group: &mut BenchmarkGroup<'_, WallTime>,
    samples: usize,
    secs: f64,
    mode: SamplingMode,
) {
    group
        .sample_size(samples)
        .sampling_mode(mode)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs_f64(secs));
}

fn bench_decode(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("decode");
    configure(&mut group, 10, 1.5, SamplingMode::Flat);

    // Shrink on load: a 12 Mpx camera-sized JPEG, in full and in the DCT
    // domain at each scale the pipeline uses.
    let big = encoded(&photo(4000, 3000), "fmt=jpeg&qlt=85");
    group.throughput(Throughput::Elements(4000 * 3000));
    group.bench_function("jpeg_4000x3000/full", |b| {
        b.iter(|| decode::decode(black_box(&big), &limits).expect("decodes"))
    });
    for eighths in [4u8, 2, 1] {
        group.bench_function(format!("jpeg_4000x3000/scaled_{eighths}_8"), |b| {
            b.iter(|| {
                decode::decode_jpeg_scaled(black_box(&big), &limits, eighths)
                    .expect("decodes")
                    .expect("a JPEG the scaled decoder reads")
            })
        });
    }

    let image = photo(1000, 750);
    group.throughput(Throughput::Elements(pixels(&image)));
    for (name, query) in [
        ("jpeg_1000x750", "fmt=jpeg&qlt=85"),
        ("png_1000x750", "fmt=png"),
    ] {
        let bytes = encoded(&image, query);
        group.bench_function(name, |b| {
            b.iter(|| decode::decode(black_box(&bytes), &limits).expect("decodes"))
        });
    }
    let logo = std::fs::read(format!("{}/fixtures/logo.png", env!("CARGO_MANIFEST_DIR")))
        .expect("fixtures/logo.png");
    group.throughput(Throughput::Elements(200 * 200));
    group.bench_function("png_rgba_200x200_fixture", |b| {
        b.iter(|| decode::decode(black_box(&logo), &limits).expect("decodes"))
    });
    group.finish();
}

fn bench_resize(c: &mut Criterion) {
    let src = photo(1000, 750);
    let whole = (0.0, 0.0, 1000.0, 750.0);
    let mut group = c.benchmark_group("resize");
    configure(&mut group, 20, 1.5, SamplingMode::Auto);
    group.throughput(Throughput::Elements(pixels(&src)));
    for (name, mode) in [
        ("bilin", ResMode::Bilin),
        ("bicub", ResMode::Bicub),
        ("sharp2", ResMode::Sharp2),
        ("bisharp", ResMode::Bisharp),
    ] {
        let filter = geometry::filter_for(Some(mode), true);
        group.bench_function(format!("1000x750_to_400x300/{name}"), |b| {
            b.iter(|| {
                geometry::resample(black_box(&src), whole, 400, 300, filter).expect("resizes")
            })
        });
    }
    // A fractional region (as `rgn=`, `crop=` and shrink-on-load produce).
    let filter = geometry::filter_for(None, true);
    group.throughput(Throughput::Elements(600 * 450));
    group.bench_function("region_600x450_to_400x300/bicub", |b| {
        b.iter(|| {
            geometry::resample(
                black_box(&src),
                (200.5, 150.25, 600.0, 450.0),
                400,
                300,
                filter,
            )
            .expect("resizes")
        })
    });
    let small = photo(400, 300);
    let filter = geometry::filter_for(None, false);
    group.throughput(Throughput::Elements(pixels(&small)));
    group.bench_function("400x300_to_1000x750/bicub", |b| {
        b.iter(|| {
            geometry::resample(
                black_box(&small),
                (0.0, 0.0, 400.0, 300.0),
                1000,
                750,
                filter,
            )
            .expect("resizes")
        })
    });
    group.finish();
}

/// An effect as the pipeline builds it from a macro body under `effect=-1`.
fn effect(body: &str) -> EffectSpec {
    let parsed = protocol::parse_query(&format!("layer=1&effect=-1&{body}"));
    assert!(!parsed.has_errors(), "effect body {body} does not parse");
    pipeline::effects_of(&parsed.request, Some(1), 1.0)
        .into_iter()
        .next()
        .expect("one effect under layer 1")
}

fn bench_composite(c: &mut Criterion) {
    let backdrop = photo(1000, 750);
    // The logo fixture (soft edges, transparency) enlarged to 400×400, and
    // a gray fixture as its mask.
    let logo = fixture("logo.png");
    let filter = geometry::filter_for(None, false);
    let layer =
        geometry::resample(&logo, (0.0, 0.0, 200.0, 200.0), 400, 400, filter).expect("resizes");
    let gray = fixture("gray.png");
    let mask =
        geometry::resample(&gray, (0.0, 0.0, 256.0, 192.0), 400, 400, filter).expect("resizes");
    let at = (300, 175);

    let mut group = c.benchmark_group("composite");
    configure(&mut group, 20, 1.5, SamplingMode::Auto);
    group.throughput(Throughput::Elements(pixels(&layer)));
    for (name, mode) in [
        ("norm", BlendMode::Norm),
        ("mult", BlendMode::Mult),
        ("screen", BlendMode::Screen),
        ("darken", BlendMode::Darken),
        ("lighten", BlendMode::Lighten),
        ("dissolve", BlendMode::Dissolve),
    ] {
        group.bench_function(format!("draw_layer_400x400/{name}"), |b| {
            b.iter_batched_ref(
                || backdrop.clone(),
                |dst| composite::draw_layer(dst, black_box(&layer), at, 0.8, mode, 7),
                BatchSize::LargeInput,
            )
        });
    }
    group.bench_function("apply_mask_400x400", |b| {
        b.iter_batched_ref(
            || layer.clone(),
            |l| composite::apply_mask(l, black_box(&mask), MaskUse::Norm).expect("same size"),
            BatchSize::LargeInput,
        )
    });
    for (name, body) in [("shadow", SHADOW_MACRO), ("glow", GLOW_MACRO)] {
        let effects = [effect(body)];
        group.bench_function(format!("draw_with_effects_400x400/{name}"), |b| {
            b.iter_batched_ref(
                || backdrop.clone(),
                |dst| {
                    composite::draw_with_effects(
                        dst,
                        black_box(&layer),
                        at,
                        1.0,
                        BlendMode::Norm,
                        &effects,
                        7,
                    )
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// A pixel operation that modifies its canvas.
type InPlace<'a> = dyn Fn(&mut Canvas) + 'a;

fn bench_ops(c: &mut Criterion) {
    let image = photo(1000, 750);
    let mut group = c.benchmark_group("ops");
    configure(&mut group, 10, 1.5, SamplingMode::Flat);
    group.throughput(Throughput::Elements(pixels(&image)));
    let usm = Usm {
        amount: 2.0,
        radius: Some(1.0),
        threshold: Some(0),
        mono: Some(false),
    };
    let cases: [(&str, &InPlace); 3] = [
        ("blur_r5", &|c| ops::blur(c, 5.0)),
        ("sharpen", &ops::sharpen),
        ("usm_2_1", &|c| ops::unsharp_mask(c, &usm, 1.0)),
    ];
    for (name, op) in cases {
        group.bench_function(format!("1000x750/{name}"), |b| {
            b.iter_batched_ref(|| image.clone(), |c| op(c), BatchSize::LargeInput)
        });
    }
    group.finish();
}

fn bench_text(c: &mut Criterion) {
    let fonts = FontSet::shared();
    let mut group = c.benchmark_group("text");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for (name, value) in [
        ("plain_hello_world", "Hello World"),
        (
            "rtf_sale_48pt_bold",
            "{\\rtf1\\ansi\\fs48\\b SALE \\u8722?30%}",
        ),
    ] {
        let request = TextRequest::new(value);
        text::render_text(&request, fonts).unwrap_or_else(|e| panic!("{name}: {e}"));
        group.bench_function(name, |b| {
            b.iter(|| text::render_text(black_box(&request), fonts).expect("renders"))
        });
    }
    group.finish();
}

fn bench_encode(c: &mut Criterion) {
    let image = photo(1000, 750);
    let mut group = c.benchmark_group("encode");
    configure(&mut group, 10, 2.0, SamplingMode::Flat);
    group.throughput(Throughput::Elements(pixels(&image)));
    for (name, query) in [
        ("jpeg_q80", "fmt=jpeg&qlt=80"),
        ("jpeg_q80_444", "fmt=jpeg&qlt=80,1"),
        ("pjpeg_q80", "fmt=pjpeg&qlt=80"),
        ("png", "fmt=png"),
        ("png8", "fmt=png8"),
        ("gif", "fmt=gif"),
        ("webp_q80", "fmt=webp&qlt=80"),
        ("webp_lossless", "fmt=webp,rgb,lossless"),
        ("tif", "fmt=tif"),
        ("tif_lzw", "fmt=tif,rgb,lzw"),
    ] {
        let spec = spec(query);
        let size = encode::encode(&image, &spec)
            .unwrap_or_else(|e| panic!("{query}: {e}"))
            .bytes
            .len();
        eprintln!("encode/1000x750/{name}: {size} bytes");
        group.bench_function(format!("1000x750/{name}"), |b| {
            b.iter(|| encode::encode(black_box(&image), &spec).expect("encodes"))
        });
    }

    // AVIF (rav1e) takes about a third of a second even for a thumbnail:
    // a 400×300 image, ten single-iteration samples.
    #[cfg(feature = "avif")]
    {
        let small = photo(400, 300);
        let spec = spec("fmt=avif&qlt=80");
        group.measurement_time(Duration::from_secs(4));
        group.throughput(Throughput::Elements(pixels(&small)));
        group.bench_function("400x300/avif_q80", |b| {
            b.iter(|| encode::encode(black_box(&small), &spec).expect("encodes"))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Plotting doubles the run time; the estimates and the comparison with
    // the previous run are still printed and kept under target/criterion/.
    config = Criterion::default().without_plots();
    targets = bench_decode, bench_resize, bench_composite, bench_ops, bench_text, bench_encode
}
criterion_main!(benches);
