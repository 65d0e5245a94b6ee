//! Scaling RGBA8 buffers with `fast_image_resize`.
//!
//! Alpha is premultiplied during the convolution (the library's default for
//! `U8x4`), so transparent pixels never bleed their colour into the edges.
//! This module must never decide sizes; it scales to what it is told.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::RenderError;

/// Scales a `src_w`×`src_h` RGBA8 buffer to `dst_w`×`dst_h`.
///
/// Returns the buffer unchanged when the sizes are equal.
pub(crate) fn resize_rgba(
    source: Vec<u8>,
    src_w: u32,
    src_h: u32,
    dst_w: u32,
    dst_h: u32,
) -> Result<Vec<u8>, RenderError> {
    if (src_w, src_h) == (dst_w, dst_h) {
        return Ok(source);
    }
    let src = Image::from_vec_u8(src_w, src_h, source, PixelType::U8x4)
        .map_err(|e| RenderError::Resize(e.to_string()))?;
    let mut dst = Image::new(dst_w, dst_h, PixelType::U8x4);
    // Catmull-Rom matches the protocol's `resMode=bicub`.
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom))
        .use_alpha(true);
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| RenderError::Resize(e.to_string()))?;
    Ok(dst.into_vec())
}
