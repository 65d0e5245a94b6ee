//! Checks beside the goldens: plain crops, flips and resizes compared with the
//! same operation done by another library (`image`'s own `imageops`), so the
//! golden images are not just our own output frozen.
//!
//! Crops and flips must match exactly. Resizes use the same filter family in
//! both libraries (Catmull-Rom for `resMode=bicub`, Lanczos-3 for `sharp2`,
//! bilinear for `bilin`) and must agree within a mean absolute difference of
//! 1.5 per channel; they differ only in kernel support and rounding.

use image::RgbaImage;
use image::imageops::{self, FilterType};
use rendition::config::Limits;
use rendition::job;
use rendition::protocol::Sources;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

fn ours(source: &[u8], query: &str) -> RgbaImage {
    let sources = Sources {
        request: query,
        ..Sources::default()
    };
    let encoded = job::render_file(source, sources, "Check/source", &Limits::default()).unwrap();
    image::load_from_memory(&encoded.bytes).unwrap().to_rgba8()
}

/// The source's pixels as this build decodes them, so that what is compared
/// is the operation, not the JPEG decoder (with the `turbojpeg` feature,
/// libjpeg-turbo rounds differently from `image`'s own decoder).
fn theirs(source: &[u8]) -> RgbaImage {
    let canvas = rendition::render::decode::decode(source, &Limits::default()).unwrap();
    let (width, height) = canvas.size();
    RgbaImage::from_raw(width, height, canvas.data().to_vec()).unwrap()
}

fn mean_abs_diff(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn crops_match_exactly() {
    let source = fixture("photo.jpg");
    for (x, y, w, h) in [(0, 0, 400, 300), (100, 50, 200, 150), (13, 7, 91, 33)] {
        let got = ours(&source, &format!("crop={x},{y},{w},{h}&fmt=png"));
        let want = imageops::crop_imm(&theirs(&source), x, y, w, h).to_image();
        assert_eq!(mean_abs_diff(&got, &want), 0.0, "crop {x},{y},{w},{h}");
    }
}

#[test]
fn flips_and_quarter_turns_match_exactly() {
    let source = fixture("logo.png");
    let base = theirs(&source);
    for (query, want) in [
        ("flip=lr", imageops::flip_horizontal(&base)),
        ("flip=ud", imageops::flip_vertical(&base)),
        ("rotate=90", imageops::rotate90(&base)),
        ("rotate=180", imageops::rotate180(&base)),
        ("rotate=270", imageops::rotate270(&base)),
    ] {
        let got = ours(&source, &format!("{query}&fmt=png-alpha"));
        assert_eq!(mean_abs_diff(&got, &want), 0.0, "{query}");
    }
}

#[test]
fn resizes_agree_with_image_within_tolerance() {
    for (fixture_name, query, filter, w, h) in [
        (
            "photo.jpg",
            "wid=200&fmt=png",
            FilterType::CatmullRom,
            200,
            150,
        ),
        (
            "photo.jpg",
            "wid=123&fmt=png&resMode=sharp2",
            FilterType::Lanczos3,
            123,
            92,
        ),
        (
            "photo.jpg",
            "wid=640&fmt=png&resMode=bilin",
            FilterType::Triangle,
            640,
            480,
        ),
        (
            "gray.png",
            "hei=96&fmt=png",
            FilterType::CatmullRom,
            128,
            96,
        ),
    ] {
        let source = fixture(fixture_name);
        let got = ours(&source, query);
        let want = imageops::resize(&theirs(&source), w, h, filter);
        let diff = mean_abs_diff(&got, &want);
        assert!(
            diff <= 1.5,
            "{fixture_name} {query}: mean difference {diff:.3}"
        );
    }
}
