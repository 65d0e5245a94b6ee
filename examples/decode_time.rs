//! Times the JPEG decode alone, the floor under every cold render: each file
//! decoded at 1/4 scale (what a 2560 px photo fitted to 512 px needs) through
//! the same function the renderer calls, best of five, then the mean.
//!
//! `cargo run --release --example decode_time -- target/loadbench/photos/bench/*.jpg`
//! times the default build's decoder; add `--features turbojpeg` for
//! libjpeg-turbo. It tunes the C allocator as `rendition serve` does
//! (`src/allocator.rs`); to time glibc's defaults instead, set any glibc
//! tunable, e.g. `GLIBC_TUNABLES=glibc.rtld.nns=4` (setting
//! `MALLOC_TRIM_THRESHOLD_` would switch glibc's dynamic thresholds off and
//! time something else). It never writes anything.

use std::time::Instant;

use rendition::config::Limits;
use rendition::render::decode::decode_jpeg_scaled;

/// True when the file has a progressive frame header (SOF2).
fn is_progressive(bytes: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= bytes.len() && bytes[i] == 0xFF {
        let marker = bytes[i + 1];
        if marker == 0xC2 {
            return true;
        }
        if matches!(marker, 0xC0 | 0xC1 | 0xDA) {
            return false;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        i += 2 + len;
    }
    false
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let malloc = rendition::allocator::tune(rendition::config::environment_tunes_malloc());
    let limits = Limits::default();
    let backend = if cfg!(feature = "turbojpeg") {
        "libjpeg-turbo"
    } else {
        "jpeg-decoder"
    };
    let (mut total, mut progressive, mut files) = (0.0, 0.0, 0);
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path)?;
        let mut best = f64::MAX;
        let mut size = (0, 0);
        for _ in 0..5 {
            let start = Instant::now();
            let canvas = decode_jpeg_scaled(&bytes, &limits, 2)?.ok_or("not a JPEG it decodes")?;
            best = best.min(start.elapsed().as_secs_f64() * 1e3);
            size = canvas.size();
        }
        let kind = if is_progressive(&bytes) {
            progressive += best;
            "progressive"
        } else {
            "baseline"
        };
        println!(
            "{path}: {best:.1} ms ({kind}, {}x{} decoded)",
            size.0, size.1
        );
        total += best;
        files += 1;
    }
    if files > 0 {
        println!(
            "{backend}: {files} files, mean {:.1} ms per decode at 1/4 scale, {:.0}% of it in progressive files (malloc: {malloc:?})",
            total / f64::from(files),
            100.0 * progressive / total
        );
    }
    Ok(())
}
