//! Compositing primitives for layered requests (§3.4, §3.5, §3.8, §4.1):
//! drawing one layer onto another with `opac` and `blendMode`, applying a
//! mask under `maskUse`, clipping to `clipPath`/`clipXPath`, and rendering
//! and drawing layer effects (`effect=n`, the `$shadow$` and `$glow$`
//! macros).
//!
//! This module owns the per-pixel maths of those steps and nothing else. It
//! must never decide a layer's size or position, resize or rotate a mask,
//! parse commands, choose the order of layers, check `MaxPix` limits, do I/O,
//! read clocks or global random state, or panic: the multi-layer pipeline
//! decides all of that and calls in here with canvases already in place.
//! The same inputs always give the same bytes (randomness comes from the
//! caller's `seed`).
//!
//! Conventions shared by every function:
//!
//! * Canvases hold straight (not premultiplied) 8-bit RGBA; results are
//!   rounded to nearest and clamped to `0…255`. Pixels that end fully
//!   transparent keep their colour unless a function says otherwise.
//! * Opacities are reals in `0…1` (clamped; NaN is 0).
//! * Everything drawn onto a destination is clipped to it: the destination is
//!   layer 0's rect (§4.1 "anything outside layer 0's rect is clipped").
//!
//! The submodules: [`mask`] (masks and `maskUse`), [`path`] (`clipPath`
//! rasterisation) and [`effects`] (effect layers); their public items are
//! re-exported here.

pub mod effects;
pub mod mask;
pub mod path;

pub use effects::{EffectSpec, draw_with_effects, render_effect};
pub use mask::{MaskSizeError, apply_mask, apply_mask_use};
pub use path::{clip_path, fill_path, path_bounds, path_pixel_rect};

use super::Canvas;
use crate::protocol::ast::BlendMode;

/// Recommended body of the default-catalog `$shadow$` macro (§1.4, §3.8).
///
/// Scene7 ships `$shadow$` and `$glow$` in its default catalog but does not
/// document their contents, so these follow Photoshop's layer-style defaults,
/// which Scene7 templates mirror: a black shadow at 75% (`191/255`), 5 px
/// away towards the bottom right (light from the top left) and 5 px soft.
/// The same body gives a drop shadow under `effect=-1` and an inner shadow
/// along the top and left inner edges under `effect=1`. `blendMode` is left
/// at `norm`: for black, multiply and normal give the same pixels.
pub const SHADOW_MACRO: &str = "pos=5,5&color=0,0,0,191&op_blur=5";

/// Recommended body of the default-catalog `$glow$` macro (§1.4, §3.8).
///
/// Photoshop's outer/inner glow defaults: pale yellow `255,255,190` at 75%
/// in `screen` mode. A pure blur halves the glow's strength right at the
/// edge, so it grows the shape by 2 px first and then blurs it by 8 px,
/// which gives a glow of about 10 px. Screen only lightens, so the glow is
/// invisible over white; it shows over darker backdrops and, on a
/// transparent backdrop, screen falls back to normal drawing.
pub const GLOW_MACRO: &str = "color=255,255,190,191&op_grow=2&op_blur=8&blendMode=screen";

/// Composites `layer` onto `dst` with the layer's top-left at `at` in `dst`
/// pixels; `at` may put the layer partly or wholly outside, and only the
/// overlap with `dst` is drawn (`dst` is layer 0's rect).
///
/// `opacity` (`0…1`) multiplies the layer's alpha; for a layer it is
/// `opac × fillOpacity` (§3.5). Opacity 0 or a fully transparent layer
/// leaves `dst` untouched.
///
/// All modes except `dissolve` use the W3C *Compositing and Blending Level 1*
/// formulas with straight alpha, colours `cs`, `cb` in `0…1`, source alpha
/// `αs = alpha × opacity` and backdrop alpha `αb`:
///
/// * the blended colour is mixed by the backdrop's alpha,
///   `Cs' = (1 − αb)·cs + αb·B(cb, cs)`, so over a transparent backdrop every
///   mode draws the plain source colour;
/// * then source-over: `αo = αs + αb·(1 − αs)`,
///   `co = (αs·Cs' + αb·(1 − αs)·cb) / αo`.
///
/// with the separable blend functions `norm`: `B = cs`; `mult`:
/// `B = cb·cs`; `screen`: `B = cb + cs − cb·cs`; `darken`: `B = min(cb, cs)`;
/// `lighten`: `B = max(cb, cs)`.
///
/// `dissolve` draws each pixel either fully (its colour at alpha 255, in
/// normal mode) or not at all, with probability `αs`. The choice comes from
/// a hash (SplitMix64) of `seed` and the pixel's position *in the layer*,
/// so a seed gives the same pattern however the layer is clipped or where
/// it is placed, and tiles of one render agree.
pub fn draw_layer(
    dst: &mut Canvas,
    layer: &Canvas,
    at: (i64, i64),
    opacity: f64,
    mode: BlendMode,
    seed: u64,
) {
    let opacity = unit(opacity) as f32;
    if opacity <= 0.0 {
        return;
    }
    let Some(span) = Overlap::new(dst.size(), layer.size(), at) else {
        return;
    };
    match mode {
        BlendMode::Norm => blend_rows::<true>(dst, layer, &span, opacity, |_, cs| cs),
        BlendMode::Mult => {
            blend_rows::<false>(dst, layer, &span, opacity, |cb, cs| cb * cs / 255.0);
        }
        BlendMode::Screen => blend_rows::<false>(dst, layer, &span, opacity, |cb, cs| {
            cb + cs - cb * cs / 255.0
        }),
        BlendMode::Darken => blend_rows::<false>(dst, layer, &span, opacity, f32::min),
        BlendMode::Lighten => blend_rows::<false>(dst, layer, &span, opacity, f32::max),
        BlendMode::Dissolve => dissolve_rows(dst, layer, &span, opacity, seed),
    }
}

/// The part of a layer placed at `at` that lies inside the destination.
struct Overlap {
    /// First destination column and row covered.
    dx: usize,
    dy: usize,
    /// First layer column and row drawn.
    lx: usize,
    ly: usize,
    /// Width and height of the overlap.
    w: usize,
    h: usize,
}

impl Overlap {
    fn new(dst: (u32, u32), layer: (u32, u32), at: (i64, i64)) -> Option<Overlap> {
        let (dw, dh) = (i64::from(dst.0), i64::from(dst.1));
        let (lw, lh) = (i64::from(layer.0), i64::from(layer.1));
        let left = at.0.max(0);
        let top = at.1.max(0);
        let right = at.0.saturating_add(lw).min(dw);
        let bottom = at.1.saturating_add(lh).min(dh);
        if left >= right || top >= bottom {
            return None;
        }
        Some(Overlap {
            dx: usize::try_from(left).ok()?,
            dy: usize::try_from(top).ok()?,
            lx: usize::try_from(left - at.0).ok()?,
            ly: usize::try_from(top - at.1).ok()?,
            w: usize::try_from(right - left).ok()?,
            h: usize::try_from(bottom - top).ok()?,
        })
    }

    /// For each overlapping row: the layer row index and the pixel slices.
    fn rows<'a>(
        &'a self,
        dst: &'a mut Canvas,
        layer: &'a Canvas,
    ) -> impl Iterator<Item = (usize, &'a [u8], &'a mut [u8])> + 'a {
        let dst_stride = dst.width() as usize * 4;
        let layer_stride = layer.width() as usize * 4;
        let len = self.w * 4;
        let src = layer
            .data()
            .chunks_exact(layer_stride)
            .skip(self.ly)
            .map(move |row| &row[self.lx * 4..self.lx * 4 + len]);
        let out = dst
            .data_mut()
            .chunks_exact_mut(dst_stride)
            .skip(self.dy)
            .map(move |row| &mut row[self.dx * 4..self.dx * 4 + len]);
        src.zip(out)
            .take(self.h)
            .enumerate()
            .map(move |(i, (s, d))| (self.ly + i, s, d))
    }
}

/// Source-over with a separable blend function `B(cb, cs)` on `0…255`
/// channel values; `NORMAL` when `B(cb, cs) = cs`, so an opaque source
/// pixel simply replaces the backdrop.
fn blend_rows<const NORMAL: bool>(
    dst: &mut Canvas,
    layer: &Canvas,
    span: &Overlap,
    opacity: f32,
    blend: impl Fn(f32, f32) -> f32,
) {
    for (_, src_row, dst_row) in span.rows(dst, layer) {
        for (s, d) in src_row.chunks_exact(4).zip(dst_row.chunks_exact_mut(4)) {
            if s[3] == 0 {
                continue;
            }
            if opacity >= 1.0 && (d[3] == 0 || (NORMAL && s[3] == 255)) {
                d.copy_from_slice(s);
                continue;
            }
            let sa = f32::from(s[3]) / 255.0 * opacity;
            let ba = f32::from(d[3]) / 255.0;
            let oa = sa + ba * (1.0 - sa);
            if oa <= 0.0 {
                continue;
            }
            let under = ba * (1.0 - sa);
            for c in 0..3 {
                let cs = f32::from(s[c]);
                let cb = f32::from(d[c]);
                let mixed = cs + ba * (blend(cb, cs) - cs);
                d[c] = to_u8((sa * mixed + under * cb) / oa);
            }
            d[3] = to_u8(oa * 255.0);
        }
    }
}

/// `dissolve`: every pixel is drawn opaque with probability `α × opacity`.
fn dissolve_rows(dst: &mut Canvas, layer: &Canvas, span: &Overlap, opacity: f32, seed: u64) {
    // Probability of each alpha value in 24-bit fixed point, compared with
    // the top 24 bits of the hash: alpha 255 at opacity 1 always draws.
    let mut threshold = [0u64; 256];
    for (a, t) in threshold.iter_mut().enumerate() {
        *t = (a as f64 / 255.0 * f64::from(opacity) * 16_777_216.0).round() as u64;
    }
    let lx0 = span.lx as u64;
    for (ly, src_row, dst_row) in span.rows(dst, layer) {
        let row_seed = splitmix64(seed ^ splitmix64(ly as u64));
        for (i, (s, d)) in src_row
            .chunks_exact(4)
            .zip(dst_row.chunks_exact_mut(4))
            .enumerate()
        {
            if s[3] == 0 {
                continue;
            }
            let draw = splitmix64(row_seed.wrapping_add(lx0 + i as u64)) >> 40;
            if draw < threshold[usize::from(s[3])] {
                d[..3].copy_from_slice(&s[..3]);
                d[3] = 255;
            }
        }
    }
}

/// One SplitMix64 step (Steele, Lea & Flood 2014) used as a hash.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A real clamped to `0…1`, NaN as 0.
fn unit(v: f64) -> f64 {
    if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) }
}

/// Rounds a `0…255` channel value to nearest, clamping.
fn to_u8(v: f32) -> u8 {
    (v.clamp(0.0, 255.0) + 0.5) as u8
}
