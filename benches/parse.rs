//! Parser throughput (bytes/s) over realistic command strings: plain resizes,
//! presets from production URLs, a derived asset's three strings, and a
//! multi-layer template with text and nesting.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rendition::protocol::{self, Macros, Options, Sources};

const SIMPLE: &str = "wid=400&hei=300&fmt=jpeg&qlt=80";
const PRESET: &str =
    "wid=1200&hei=1200&fmt=jpeg&qlt=75,0&op_sharpen=0&resMode=bicub&op_usm=1.1,1.0,5,0&iccEmbed=0";
const MODIFIER: &str = "crop=120,80,1600,1200&op_sharpen=1&bgc=255,255,255";
const POST: &str = "qlt=90,1&fmt=pjpeg";
const LAYERED: &str = "size=1000,1000&originN=0,0&bgc=ffffff\
&layer=1&src=$object$&size=800,800&originN=-0.5,0&posN=-0.5,0\
&layer=2&$text=SALE+-30%25&text={\\rtf1\\ansi{\\fonttbl{\\f0+DejaVu+Sans;}}\\f0\\fs48\\cf1\\qc+$text$}\
&rotate=-90&originN=0.5,0&posN=0.5,0&effect=-1&$shadow$\
&layer=3&src=is(Demo/logo?wid=120&fmt=png-alpha)&pos=10,10&opac=80\
&wid=600&fmt=png-alpha";

fn bench_parse(c: &mut Criterion) {
    let mut macros = Macros::new();
    macros.insert("shadow", "pos=4,4&color=0,0,0,128&op_blur=4");
    let options = Options {
        object: Some("Demo/photo"),
        macros: Some(&macros),
        ..Options::default()
    };
    let mut group = c.benchmark_group("parse");
    for (name, sources) in [
        (
            "simple",
            Sources {
                request: SIMPLE,
                ..Sources::default()
            },
        ),
        (
            "preset",
            Sources {
                request: PRESET,
                ..Sources::default()
            },
        ),
        (
            "derived_asset",
            Sources {
                modifier: MODIFIER,
                request: SIMPLE,
                post_modifier: POST,
            },
        ),
        (
            "layered_template",
            Sources {
                request: LAYERED,
                ..Sources::default()
            },
        ),
    ] {
        let bytes = sources.modifier.len() + sources.request.len() + sources.post_modifier.len();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| {
            b.iter(|| protocol::parse(black_box(sources), black_box(&options)))
        });
    }
    group.finish();

    let parsed = protocol::parse(
        Sources {
            request: LAYERED,
            ..Sources::default()
        },
        &options,
    );
    c.bench_function("print/layered_template", |b| {
        b.iter(|| protocol::print(black_box(&parsed.request)))
    });
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
