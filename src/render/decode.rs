//! Decoding originals: a header-only probe, then a decode under explicit
//! limits into a `Canvas`, with the EXIF orientation applied — in full, or
//! for JPEGs at 1/2, 1/4 or 1/8 scale in the DCT domain (shrink-on-load).
//!
//! The probe reports the *oriented* size, which is what geometry is planned
//! on, so a portrait photo stored sideways is planned and rendered upright.
//! This module never crops, resamples or encodes, and never allocates pixels
//! before the source-pixel limit has been checked on the header.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader};

use super::pyramid::Levels;
use super::{Canvas, RenderError};
use crate::config::Limits;

/// What the header says about an original.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The size after the EXIF orientation is applied.
    pub width: u32,
    pub height: u32,
    pub orientation: Orientation,
    pub has_alpha: bool,
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, RenderError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| RenderError::Unsupported(e.to_string()))?;
    if reader.format().is_none() {
        return Err(RenderError::Unsupported("unknown image format".to_owned()));
    }
    Ok(reader)
}

fn oriented(width: u32, height: u32, orientation: Orientation) -> (u32, u32) {
    match orientation {
        Orientation::Rotate90
        | Orientation::Rotate270
        | Orientation::Rotate90FlipH
        | Orientation::Rotate270FlipH => (height, width),
        _ => (width, height),
    }
}

/// Reads the header only: size, orientation, alpha.
pub fn probe(bytes: &[u8]) -> Result<Probe, RenderError> {
    let mut decoder = reader(bytes)?.into_decoder().map_err(RenderError::Decode)?;
    let (w, h) = decoder.dimensions();
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let (width, height) = oriented(w, h, orientation);
    Ok(Probe {
        width,
        height,
        orientation,
        has_alpha: decoder.color_type().has_alpha(),
    })
}

/// Decodes the whole original as RGBA8, upright.
///
/// The source-pixel limit is checked on the header before any pixel is
/// allocated, and `image`'s decoders run under matching `image::Limits`
/// (with the `turbojpeg` feature, JPEGs go to libjpeg-turbo first, after
/// the same check).
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Canvas, RenderError> {
    #[cfg(feature = "turbojpeg")]
    if bytes.starts_with(&[0xFF, 0xD8]) {
        if let Some(canvas) = decode_jpeg_scaled(bytes, limits, 8)? {
            return Ok(canvas);
        }
    }
    let mut decoder = reader(bytes)?.into_decoder().map_err(RenderError::Decode)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(RenderError::InvalidSize {
            width: w,
            height: h,
        });
    }
    check_source_pixels(w, h, limits)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(w);
    decode_limits.max_image_height = Some(h);
    // Room for the largest pixel type `image` decodes into (RGBA32F, 16 bytes).
    decode_limits.max_alloc = Some(u64::from(w) * u64::from(h) * 16 + (1 << 20));
    decoder
        .set_limits(decode_limits)
        .map_err(RenderError::Decode)?;
    let image = DynamicImage::from_decoder(decoder).map_err(RenderError::Decode)?;
    upright_canvas(image, orientation)
        .ok_or_else(|| RenderError::Resize("decoded buffer has the wrong size".to_owned()))
}

/// Refuses a source of more than `limits.max_source_pixels`, from its
/// header, before any pixel is allocated.
pub(crate) fn check_source_pixels(
    width: u32,
    height: u32,
    limits: &Limits,
) -> Result<(), RenderError> {
    if u64::from(width) * u64::from(height) > limits.max_source_pixels {
        return Err(RenderError::SourceTooLarge {
            width,
            height,
            max_pixels: limits.max_source_pixels,
        });
    }
    Ok(())
}

/// A decoded image as an RGBA canvas with its EXIF orientation applied.
fn upright_canvas(mut image: DynamicImage, orientation: Orientation) -> Option<Canvas> {
    image.apply_orientation(orientation);
    let rgba = image.into_rgba8();
    let (width, height) = rgba.dimensions();
    Canvas::from_rgba(width, height, rgba.into_raw())
}

/// Decodes a JPEG at `eighths`/8 of its size (1, 2, 4 or 8) in the DCT
/// domain, upright: with libjpeg-turbo when the `turbojpeg` feature is on,
/// else with the pure-Rust `jpeg-decoder`. `None` when the file is not a
/// JPEG the chosen decoder handles (CMYK, 16-bit, damaged data), so the
/// caller decodes it in full through `image`, which accepts or refuses it
/// the same way in both builds.
pub fn decode_jpeg_scaled(
    bytes: &[u8],
    limits: &Limits,
    eighths: u8,
) -> Result<Option<Canvas>, RenderError> {
    let probe = probe(bytes)?;
    check_source_pixels(probe.width, probe.height, limits)?;
    #[cfg(feature = "turbojpeg")]
    let decoded = turbo::decode_rgba(bytes, eighths);
    #[cfg(not(feature = "turbojpeg"))]
    let decoded = pure::decode_rgba(bytes, eighths);
    let Some((w, h, rgba)) = decoded else {
        return Ok(None);
    };
    let Some(buffer) = image::RgbaImage::from_raw(w, h, rgba) else {
        return Ok(None);
    };
    Ok(upright_canvas(
        DynamicImage::ImageRgba8(buffer),
        probe.orientation,
    ))
}

/// The pure-Rust JPEG path of the default build.
#[cfg(not(feature = "turbojpeg"))]
mod pure {
    use std::io::Cursor;

    use crate::render::canvas::rgb_to_rgba;

    /// Decodes at `eighths`/8 into RGBA8; `None` for pixel formats other
    /// than RGB and grey and for anything `jpeg-decoder` refuses, so `image`
    /// decodes those and reports its own error.
    pub(super) fn decode_rgba(bytes: &[u8], eighths: u8) -> Option<(u32, u32, Vec<u8>)> {
        let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
        decoder.read_info().ok()?;
        let info = decoder.info()?;
        let scaled =
            |len: u16| -> u16 { ((u32::from(len) * u32::from(eighths)).div_ceil(8)).max(1) as u16 };
        let (w, h) = decoder
            .scale(scaled(info.width), scaled(info.height))
            .ok()?;
        let pixels = decoder.decode().ok()?;
        let info = decoder.info()?;
        let rgba = match info.pixel_format {
            jpeg_decoder::PixelFormat::RGB24 => rgb_to_rgba(&pixels),
            jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l, 255]).collect(),
            _ => return None,
        };
        Some((u32::from(w), u32::from(h), rgba))
    }
}

/// The libjpeg-turbo JPEG path of the `turbojpeg` feature.
#[cfg(feature = "turbojpeg")]
mod turbo {
    use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat, ScalingFactor};

    /// Progressive scans beyond this are refused, as `image`'s zune-jpeg
    /// refuses them by default: a crafted file with thousands of tiny scans
    /// would otherwise cost minutes of CPU.
    const MAX_SCANS: u32 = 100;

    /// Decodes at `eighths`/8 (1, 2, 4 or 8) straight into RGBA8. `None`
    /// for CMYK/YCCK, lossless and 12-bit files and for anything
    /// libjpeg-turbo refuses (including its warnings on damaged data), so
    /// `image` decodes those and reports its own error.
    ///
    /// A fresh decompressor per call (`tj3Init` costs microseconds): one
    /// that failed part-way through a header keeps that state and would
    /// refuse every later file.
    pub(super) fn decode_rgba(bytes: &[u8], eighths: u8) -> Option<(u32, u32, Vec<u8>)> {
        let factor = match eighths {
            1 => ScalingFactor::ONE_EIGHTH,
            2 => ScalingFactor::ONE_QUARTER,
            4 => ScalingFactor::ONE_HALF,
            _ => ScalingFactor::ONE,
        };
        let mut decompressor = Decompressor::new().ok()?;
        let header = decompressor.read_header(bytes).ok()?;
        if !matches!(
            header.colorspace,
            Colorspace::YCbCr | Colorspace::RGB | Colorspace::Gray
        ) || header.is_lossless
        {
            return None;
        }
        decompressor.set_scaling_factor(factor).ok()?;
        decompressor.set_scan_limit(MAX_SCANS).ok()?;
        let scaled = header.scaled(factor);
        let mut pixels = vec![0u8; 4 * scaled.width * scaled.height];
        let image = Image {
            pixels: &mut pixels[..],
            width: scaled.width,
            pitch: 4 * scaled.width,
            height: scaled.height,
            format: PixelFormat::RGBA,
        };
        decompressor.decompress(bytes, image).ok()?;
        Some((
            u32::try_from(scaled.width).ok()?,
            u32::try_from(scaled.height).ok()?,
            pixels,
        ))
    }
}

/// An original still encoded, with the key it is known by (its blob address).
#[derive(Clone, Debug)]
pub struct Original {
    pub bytes: Arc<Vec<u8>>,
    /// A key that names these exact bytes (a content hash), for the decoded
    /// cache and the pyramid; `None` keeps them out of both.
    pub key: Option<Arc<str>>,
    /// Where its pyramid levels are kept, if it has any.
    pub levels: Option<Levels>,
}

impl Original {
    pub fn new(bytes: Arc<Vec<u8>>, key: Option<&str>) -> Original {
        Original {
            bytes,
            key: key.map(Arc::from),
            levels: None,
        }
    }

    /// The same original, with its pyramid levels read from `levels`.
    pub fn with_levels(self, levels: Levels) -> Original {
        Original {
            levels: Some(levels),
            ..self
        }
    }

    /// The stored pyramid level at `eighths`/8 of this `source`-sized
    /// original (upright), if there is a readable one.
    pub fn level(&self, eighths: u8, source: (u32, u32)) -> Option<Canvas> {
        let key = self.key.as_deref()?;
        let bytes = self.levels.as_ref()?.level(key, eighths)?;
        super::pyramid::decode_level(&bytes, eighths, source)
    }
}

/// Decoded originals by key, bounded by bytes, least recently used first out:
/// several views of one owner decode it once.
pub struct DecodedCache {
    budget: u64,
    inner: Mutex<DecodedInner>,
    /// Originals decoded so far (cache misses).
    pub decodes: std::sync::atomic::AtomicUsize,
}

#[derive(Default)]
struct DecodedInner {
    entries: HashMap<Arc<str>, (Arc<Canvas>, u64)>,
    recency: BTreeMap<u64, Arc<str>>,
    tick: u64,
    bytes: u64,
}

impl DecodedCache {
    pub fn new(budget: u64) -> DecodedCache {
        DecodedCache {
            budget,
            inner: Mutex::new(DecodedInner::default()),
            decodes: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DecodedInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The decoded original, from the cache or decoded now (and kept if it
    /// fits in a quarter of the budget).
    pub fn get_or_decode(
        &self,
        original: &Original,
        limits: &Limits,
    ) -> Result<Arc<Canvas>, RenderError> {
        let Some(key) = &original.key else {
            return decode(&original.bytes, limits).map(Arc::new);
        };
        {
            let mut inner = self.lock();
            inner.tick += 1;
            let tick = inner.tick;
            if let Some((canvas, old)) = inner.entries.get_mut(key) {
                let canvas = Arc::clone(canvas);
                let old = std::mem::replace(old, tick);
                inner.recency.remove(&old);
                inner.recency.insert(tick, Arc::clone(key));
                return Ok(canvas);
            }
        }
        let canvas = Arc::new(decode(&original.bytes, limits)?);
        self.decodes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let cost = canvas.data().len() as u64;
        if cost <= self.budget / 4 {
            let mut inner = self.lock();
            inner.tick += 1;
            let tick = inner.tick;
            if let Some((_, old)) = inner
                .entries
                .insert(Arc::clone(key), (Arc::clone(&canvas), tick))
            {
                inner.recency.remove(&old);
                inner.bytes = inner.bytes.saturating_sub(cost);
            }
            inner.recency.insert(tick, Arc::clone(key));
            inner.bytes += cost;
            while inner.bytes > self.budget {
                let Some((_, oldest)) = inner.recency.pop_first() else {
                    break;
                };
                if let Some((c, _)) = inner.entries.remove(&oldest) {
                    inner.bytes = inner.bytes.saturating_sub(c.data().len() as u64);
                }
            }
        }
        Ok(canvas)
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.lock().bytes
    }
}

#[cfg(test)]
pub(in crate::render) mod tests {
    use super::*;

    fn jpeg_with_orientation(orientation: u8) -> Vec<u8> {
        // A 4x2 JPEG with an EXIF APP1 segment carrying one orientation tag.
        let img = image::RgbImage::from_fn(4, 2, |x, _| {
            if x == 0 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
            .encode_image(&img)
            .unwrap();
        let tiff: Vec<u8> = [
            b"MM\0\x2a\0\0\0\x08".as_slice(),
            &[0, 1],
            &[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0],
            &[0, 0, 0, 0],
        ]
        .concat();
        let mut app1 = vec![0xFF, 0xE1];
        let len = (2 + 6 + tiff.len()) as u16;
        app1.extend_from_slice(&len.to_be_bytes());
        app1.extend_from_slice(b"Exif\0\0");
        app1.extend_from_slice(&tiff);
        [&jpeg[..2], &app1, &jpeg[2..]].concat()
    }

    #[test]
    fn orientation_is_applied_to_probe_and_pixels() {
        let bytes = jpeg_with_orientation(6);
        let p = probe(&bytes).unwrap();
        assert_eq!(
            (p.width, p.height, p.orientation),
            (2, 4, Orientation::Rotate90)
        );
        let canvas = decode(&bytes, &Limits::default()).unwrap();
        assert_eq!(canvas.size(), (2, 4));
        // The red column moved to the top row after a 90° clockwise turn.
        let top = canvas.pixel(0, 0).unwrap();
        let bottom = canvas.pixel(0, 3).unwrap();
        assert!(top[0] > 200 && top[2] < 80, "{top:?}");
        assert!(bottom[2] > 200 && bottom[0] < 80, "{bottom:?}");
    }

    #[test]
    fn oversized_sources_are_refused_before_decoding() {
        let bytes = jpeg_with_orientation(1);
        let limits = Limits {
            max_source_pixels: 7,
            ..Limits::default()
        };
        assert!(matches!(
            decode(&bytes, &limits),
            Err(RenderError::SourceTooLarge { .. })
        ));
    }
    /// A JPEG of a busy pattern, for the decode and pyramid tests.
    pub(in crate::render) fn noisy_jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 7 + y) as u8, (x ^ y) as u8, (y * 3) as u8])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(&img)
            .unwrap();
        jpeg
    }

    #[test]
    fn scaled_decode_gives_the_scaled_size_upright() {
        let bytes = jpeg_with_orientation(6);
        let full = decode_jpeg_scaled(&bytes, &Limits::default(), 8).unwrap();
        assert_eq!(full.map(|c| c.size()), Some((2, 4)));
        let bytes = noisy_jpeg(64, 48);
        for (eighths, size) in [(1, (8, 6)), (2, (16, 12)), (4, (32, 24)), (8, (64, 48))] {
            let canvas = decode_jpeg_scaled(&bytes, &Limits::default(), eighths).unwrap();
            assert_eq!(canvas.map(|c| c.size()), Some(size), "eighths {eighths}");
        }
    }

    #[test]
    fn damaged_jpeg_is_left_to_the_full_decoder() {
        // A damaged file must not make the fast path fail the request where
        // `image` would decode (or refuse) it by itself: libjpeg-turbo
        // refuses this one, `jpeg-decoder` decodes what it can.
        let bytes = noisy_jpeg(64, 48);
        let mut damaged = bytes[..bytes.len() * 2 / 3].to_vec();
        damaged.extend_from_slice(&[0xFF, 0xD9]);
        let scaled = decode_jpeg_scaled(&damaged, &Limits::default(), 2);
        assert!(scaled.is_ok(), "{scaled:?}");
        let full = decode(&damaged, &Limits::default());
        assert!(
            matches!(full, Ok(ref c) if c.size() == (64, 48))
                || matches!(full, Err(RenderError::Decode(_))),
            "{full:?}"
        );
    }

    #[test]
    fn a_refused_header_does_not_spoil_later_decodes() {
        // Regression: libjpeg-turbo refuses widths over 65500; a decompressor
        // kept per thread after that failure refused every later file.
        let wide = noisy_jpeg(65_535, 8);
        assert!(decode_jpeg_scaled(&wide, &Limits::default(), 1).is_ok());
        let bytes = noisy_jpeg(64, 48);
        for _ in 0..2 {
            let canvas = decode_jpeg_scaled(&bytes, &Limits::default(), 2).unwrap();
            assert_eq!(canvas.map(|c| c.size()), Some((16, 12)));
        }
    }

    #[test]
    fn grey_and_cmyk_jpegs_decode_in_both_paths() {
        let mut grey = Vec::new();
        jpeg_encoder::Encoder::new(&mut grey, 90)
            .encode(&[128u8; 32 * 16], 32, 16, jpeg_encoder::ColorType::Luma)
            .unwrap();
        let scaled = decode_jpeg_scaled(&grey, &Limits::default(), 4).unwrap();
        let scaled = scaled.expect("grey JPEGs take the fast path");
        assert_eq!(scaled.size(), (16, 8));
        let p = scaled.pixel(3, 3).unwrap();
        assert!(
            p[0].abs_diff(128) <= 2 && p[0] == p[1] && p[1] == p[2] && p[3] == 255,
            "{p:?}"
        );
        assert_eq!(decode(&grey, &Limits::default()).unwrap().size(), (32, 16));

        let mut cmyk = Vec::new();
        jpeg_encoder::Encoder::new(&mut cmyk, 90)
            .encode(
                &[0u8, 255, 255, 0].repeat(32 * 16),
                32,
                16,
                jpeg_encoder::ColorType::Cmyk,
            )
            .unwrap();
        // CMYK is left to `image`, which converts it.
        assert!(matches!(
            decode_jpeg_scaled(&cmyk, &Limits::default(), 4),
            Ok(None)
        ));
        assert_eq!(decode(&cmyk, &Limits::default()).unwrap().size(), (32, 16));
    }
}
