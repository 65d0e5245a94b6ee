//! Masks and `maskUse` (§3.4).
//!
//! Owns turning a mask image into per-pixel mask values and applying them to
//! a layer's alpha. It never resizes, crops or rotates a mask (the caller
//! brings it to the layer's size first) and never looks at the catalog.
//!
//! The §3.4 table distinguishes "associated (premultiplied) alpha" sources,
//! which Scene7 shows as the foreground over black under `maskUse=off`, and
//! fills their background area with black under `invert`. Canvases here are
//! always straight alpha (the decoder unpremultiplies), so every source is
//! treated as the "separate mask or unassociated alpha" column: `off` gives
//! an opaque rectangle of the stored colours and `invert` shows the stored
//! colours of the background area, never black.

use super::Canvas;
use crate::protocol::ast::MaskUse;
use crate::render::RenderError;

/// The mask and the layer it should apply to have different sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("mask is {mask_width}x{mask_height} but its layer is {layer_width}x{layer_height}")]
pub struct MaskSizeError {
    pub mask_width: u32,
    pub mask_height: u32,
    pub layer_width: u32,
    pub layer_height: u32,
}

impl From<MaskSizeError> for RenderError {
    /// A size mismatch means the caller did not resize the mask: a bug in
    /// buffer handling, reported like a failed resize.
    fn from(e: MaskSizeError) -> RenderError {
        RenderError::Resize(e.to_string())
    }
}

/// Applies a separate mask (`mask=`) to a layer under `maskUse` (§3.4).
///
/// The mask value `m ∈ 0…1` of a pixel is the mask's alpha when the mask has
/// any transparency, otherwise its luminance (Rec. 601,
/// `Y = (299 R + 587 G + 114 B) / 1000`, exact for gray masks), as the spec
/// says: "an alpha channel is used if present, otherwise the image is
/// converted to gray". Then, with the layer's alpha `a`:
///
/// * `norm`: `a' = a · m` (the foreground shows);
/// * `invert`: `a' = a · (1 − m)` (the background area shows);
/// * `off`: `a' = 255`, the whole layer rect is opaque and the mask is not
///   read.
///
/// Scene7 replaces the source's own alpha by the mask; multiplying gives the
/// same pixels for an opaque source (the usual JPEG + mask case) and keeps
/// the transparency a layer gained from crop extension or rotation.
/// Colours are never changed. The mask must have the layer's size; if not,
/// the layer is left untouched and a [`MaskSizeError`] is returned.
pub fn apply_mask(layer: &mut Canvas, mask: &Canvas, mode: MaskUse) -> Result<(), MaskSizeError> {
    if mask.size() != layer.size() {
        return Err(MaskSizeError {
            mask_width: mask.width(),
            mask_height: mask.height(),
            layer_width: layer.width(),
            layer_height: layer.height(),
        });
    }
    if mode == MaskUse::Off {
        set_opaque(layer);
        return Ok(());
    }
    let use_alpha = mask.has_transparency();
    let invert = mode == MaskUse::Invert;
    for (p, m) in layer
        .data_mut()
        .chunks_exact_mut(4)
        .zip(mask.data().chunks_exact(4))
    {
        let mut value = if use_alpha {
            u32::from(m[3])
        } else {
            (299 * u32::from(m[0]) + 587 * u32::from(m[1]) + 114 * u32::from(m[2]) + 500) / 1000
        };
        if invert {
            value = 255 - value.min(255);
        }
        p[3] = mul255(u32::from(p[3]), value);
    }
    Ok(())
}

/// Applies `maskUse` to a layer without a separate mask, whose own alpha is
/// its mask (§3.4 default: "the image's own alpha, else opaque").
///
/// * `norm`: no change (an opaque layer stays an opaque rectangle);
/// * `invert`: `a' = 255 − a`, so an opaque layer (no mask) is hidden and a
///   cut-out shows its background area;
/// * `off`: `a' = 255`, an opaque rectangle.
pub fn apply_mask_use(layer: &mut Canvas, mode: MaskUse) {
    match mode {
        MaskUse::Norm => {}
        MaskUse::Off => set_opaque(layer),
        MaskUse::Invert => {
            for p in layer.data_mut().chunks_exact_mut(4) {
                p[3] = 255 - p[3];
            }
        }
    }
}

fn set_opaque(layer: &mut Canvas) {
    for p in layer.data_mut().chunks_exact_mut(4) {
        p[3] = 255;
    }
}

/// `a · b / 255` rounded to nearest, for `a, b ∈ 0…255`.
pub(super) fn mul255(a: u32, b: u32) -> u8 {
    ((a * b + 127) / 255).min(255) as u8
}
