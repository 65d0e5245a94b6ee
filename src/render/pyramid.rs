//! Pyramid levels: an original JPEG decoded once, at upload, at 1/2, 1/4
//! and 1/8 of its size, and kept beside it, as Scene7 keeps an optimized
//! pyramid TIFF of every image it serves.
//!
//! A level is exactly what [`decode_jpeg_scaled`] gives for that scale,
//! stored without loss, so a render from a level is byte for byte the
//! render that decodes the original in the DCT domain, without the decode.
//! A level names the decoder that made it; a build with the other decoder
//! (the `turbojpeg` feature or not) ignores it and decodes, so its output
//! never depends on which build stored the image.
//!
//! This module owns the level format and making levels. It never chooses
//! where levels are stored: it reads them only through the [`LevelSource`]
//! it is handed, and treats any level it cannot read as absent.

use std::fmt;
use std::sync::Arc;

use super::canvas::rgb_to_rgba;
use super::decode::decode_jpeg_scaled;
use super::{Canvas, RenderError};
use crate::config::Limits;

/// The scales kept, in eighths of the original's size.
pub const EIGHTHS: [u8; 3] = [4, 2, 1];

/// The level format and the decode behind it. Bump the digit whenever
/// `decode_jpeg_scaled` or a JPEG decoder dependency changes its output:
/// levels of another version are absent, and `rendition pyramid` remakes them.
const MAGIC: &[u8; 8] = b"RNDPYR1\0";
const HEADER_LEN: usize = 20;

/// The decoder whose output the levels of this build are.
#[cfg(feature = "turbojpeg")]
const DECODER: u8 = 1;
#[cfg(not(feature = "turbojpeg"))]
const DECODER: u8 = 2;

/// Where a render reads stored levels from.
pub trait LevelSource: Send + Sync + fmt::Debug {
    /// The stored level of the original known by `key` at `eighths`/8, if
    /// there is one; the bytes are those [`encode_level`] made.
    fn level(&self, key: &str, eighths: u8) -> Option<Vec<u8>>;
}

/// A shared [`LevelSource`].
pub type Levels = Arc<dyn LevelSource>;

/// The levels of an original, as `(eighths, bytes)`; none when it is not a
/// JPEG that the scaled decoder of this build reads.
///
/// The source-pixel limit is checked before anything is decoded.
pub fn make_levels(original: &[u8], limits: &Limits) -> Result<Vec<(u8, Vec<u8>)>, RenderError> {
    if !original.starts_with(&[0xFF, 0xD8]) {
        return Ok(Vec::new());
    }
    let mut levels = Vec::with_capacity(EIGHTHS.len());
    for eighths in EIGHTHS {
        let Some(canvas) = decode_jpeg_scaled(original, limits, eighths)? else {
            return Ok(Vec::new());
        };
        levels.push((eighths, encode_level(&canvas, eighths)));
    }
    Ok(levels)
}

/// A level's bytes: a 20-byte header (magic, decoder, scale, channels,
/// width and height as little-endian `u32`), then the pixels, RGB when the
/// canvas is opaque (a JPEG always is), else RGBA.
pub fn encode_level(canvas: &Canvas, eighths: u8) -> Vec<u8> {
    let opaque = !canvas.has_transparency();
    let channels: u8 = if opaque { 3 } else { 4 };
    let (width, height) = canvas.size();
    let mut bytes = Vec::with_capacity(HEADER_LEN + canvas.data().len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&[DECODER, eighths, channels, 0]);
    bytes.extend_from_slice(&width.to_le_bytes());
    bytes.extend_from_slice(&height.to_le_bytes());
    if opaque {
        for p in canvas.data().chunks_exact(4) {
            bytes.extend_from_slice(&p[..3]);
        }
    } else {
        bytes.extend_from_slice(canvas.data());
    }
    bytes
}

/// Whether these bytes are a level that this build's decoder made (the
/// header is enough to tell).
pub fn made_by_this_build(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER_LEN && &bytes[..8] == MAGIC && bytes[8] == DECODER
}

/// The canvas in a level's bytes, if they are a level of this build's
/// decoder at `eighths`/8 of a `source`-sized original; `None` for anything
/// else (another decoder or format version, another scale, another size, a
/// truncated file).
pub fn decode_level(bytes: &[u8], eighths: u8, source: (u32, u32)) -> Option<Canvas> {
    let header = bytes.get(..HEADER_LEN)?;
    if &header[..8] != MAGIC || header[8] != DECODER || header[9] != eighths || header[11] != 0 {
        return None;
    }
    let channels = usize::from(header[10]);
    let width = u32::from_le_bytes(header[12..16].try_into().ok()?);
    let height = u32::from_le_bytes(header[16..20].try_into().ok()?);
    // DCT scaling rounds up; both decoders give exactly this size.
    let scaled = |len: u32| (u64::from(len) * u64::from(eighths)).div_ceil(8).max(1);
    if u64::from(width) != scaled(source.0) || u64::from(height) != scaled(source.1) {
        return None;
    }
    let pixels = &bytes[HEADER_LEN..];
    let count = usize::try_from(u64::from(width) * u64::from(height)).ok()?;
    if !matches!(channels, 3 | 4) || pixels.len() != count.checked_mul(channels)? {
        return None;
    }
    let rgba = if channels == 4 {
        pixels.to_vec()
    } else {
        rgb_to_rgba(pixels)
    };
    Canvas::from_rgba(width, height, rgba)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::decode::tests::noisy_jpeg;

    #[test]
    fn a_level_is_the_scaled_decode_without_loss() {
        let jpeg = noisy_jpeg(203, 117);
        let levels = make_levels(&jpeg, &Limits::default()).unwrap();
        assert_eq!(levels.iter().map(|(e, _)| *e).collect::<Vec<_>>(), EIGHTHS);
        for (eighths, bytes) in &levels {
            let level = decode_level(bytes, *eighths, (203, 117)).unwrap();
            let decoded = decode_jpeg_scaled(&jpeg, &Limits::default(), *eighths)
                .unwrap()
                .unwrap();
            assert_eq!(level.size(), decoded.size(), "eighths {eighths}");
            let scaled = |len: u32| (len * u32::from(*eighths)).div_ceil(8);
            assert_eq!(
                level.size(),
                (scaled(203), scaled(117)),
                "eighths {eighths}"
            );
            assert!(level.data() == decoded.data(), "eighths {eighths}");
        }
    }

    #[test]
    fn transparent_canvases_keep_their_alpha() {
        let canvas = Canvas::from_rgba(2, 1, vec![1, 2, 3, 4, 5, 6, 7, 255]).unwrap();
        let bytes = encode_level(&canvas, 8);
        assert_eq!(bytes.len(), HEADER_LEN + 8);
        assert_eq!(
            decode_level(&bytes, 8, (2, 1)).unwrap().data(),
            canvas.data()
        );
    }

    #[test]
    fn anything_but_a_matching_level_is_absent() {
        let jpeg = noisy_jpeg(64, 48);
        let levels = make_levels(&jpeg, &Limits::default()).unwrap();
        let (eighths, bytes) = &levels[1];
        assert_eq!(*eighths, 2);
        assert!(decode_level(bytes, 2, (64, 48)).is_some());
        // Another scale, another original size, a truncated or extended file.
        assert!(decode_level(bytes, 4, (64, 48)).is_none());
        assert!(decode_level(bytes, 2, (32, 24)).is_none());
        assert!(decode_level(bytes, 2, (72, 48)).is_none());
        assert!(decode_level(&bytes[..bytes.len() - 1], 2, (64, 48)).is_none());
        assert!(decode_level(&[bytes.as_slice(), &[0]].concat(), 2, (64, 48)).is_none());
        assert!(decode_level(&bytes[..10], 2, (64, 48)).is_none());
        // A level made by the other build's decoder.
        assert!(made_by_this_build(bytes));
        let mut other = bytes.clone();
        other[8] = 3 - DECODER;
        assert!(decode_level(&other, 2, (64, 48)).is_none());
        assert!(!made_by_this_build(&other));
        // A zero-sized level.
        let mut empty = bytes[..HEADER_LEN].to_vec();
        empty[12..20].fill(0);
        assert!(decode_level(&empty, 2, (64, 48)).is_none());
    }

    #[test]
    fn only_jpegs_get_levels() {
        let mut png = Vec::new();
        image::RgbImage::new(16, 16)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert!(make_levels(&png, &Limits::default()).unwrap().is_empty());
        let limits = Limits {
            max_source_pixels: 10,
            ..Limits::default()
        };
        assert!(matches!(
            make_levels(&noisy_jpeg(16, 16), &limits),
            Err(RenderError::SourceTooLarge { .. })
        ));
    }
}
