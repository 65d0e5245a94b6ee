//! Encoding reply pixels with the `image` crate's encoders.
//!
//! This module must never change pixels; it only writes them in a format.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};

use super::RenderError;

/// Encodes RGB8 pixels as a baseline JPEG at `quality` (clamped to 1–100).
pub(crate) fn jpeg_rgb(
    pixels: &[u8],
    width: u32,
    height: u32,
    quality: u8,
) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
        .write_image(pixels, width, height, ExtendedColorType::Rgb8)
        .map_err(RenderError::Encode)?;
    Ok(out)
}

/// Encodes RGB8 pixels as a 24-bit PNG.
pub(crate) fn png_rgb(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    png(pixels, width, height, ExtendedColorType::Rgb8)
}

/// Encodes RGBA8 pixels as a 32-bit PNG.
pub(crate) fn png_rgba(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, RenderError> {
    png(pixels, width, height, ExtendedColorType::Rgba8)
}

fn png(
    pixels: &[u8],
    width: u32,
    height: u32,
    color: ExtendedColorType,
) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(pixels, width, height, color)
        .map_err(RenderError::Encode)?;
    Ok(out)
}
