//! Layer effects (`effect=n`, §3.8, §4.1, §4.4 step 6): rendering an effect
//! layer from its parent's mask and drawing a layer with its effects.
//!
//! Owns the shape, padding, colouring and stacking of effect layers. It never
//! parses effect commands, never computes opacities from `opac` values (the
//! caller passes them in `0…1`), and never moves the parent: effects are
//! placed relative to wherever the caller draws the parent.

use super::{Canvas, draw_layer, mask::mul255, splitmix64, unit};
use crate::protocol::ast::{BlendMode, MaskUse, Noise};
use crate::render::ops::{self, BlurEdge};

/// One effect layer attached to a parent layer, with its commands resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EffectSpec {
    /// `effect=n`: `n < 0` is an outer effect drawn under the parent, `n > 0`
    /// an inner one drawn over it and kept inside the parent's mask. Effects
    /// with index 0 are ignored.
    pub index: i32,
    /// `color=` (required in effect layers): the effect's colour; its alpha
    /// scales the effect's opacity.
    pub color: [u8; 4],
    /// The effect's final opacity in `0…1`: the parent's `opac` times the
    /// effect's own `opac × fill` (§3.5, "Effect opacity = main opacity ×
    /// effect opacity / 100"). [`draw_with_effects`] does not multiply it by
    /// the parent's content opacity, so a parent's fill opacity fades the
    /// parent alone, as in Photoshop.
    pub opacity: f64,
    /// `op_grow=`: pixels to dilate (`> 0`) or erode (`< 0`) the shape.
    pub grow: i32,
    /// `op_blur=`: feathering radius in pixels (as `ops::blur`).
    pub blur: f64,
    /// `op_noise=`, applied to the finished effect's colour last.
    pub noise: Option<Noise>,
    /// `pos=`: offset of the effect from its parent, in pixels.
    pub offset: (i64, i64),
    /// `blendMode=` used when drawing the effect.
    pub blend: BlendMode,
    /// `maskUse=`: how the inherited parent mask is used (`invert` turns it
    /// round, `off` makes it the parent's whole rect).
    pub mask_use: MaskUse,
}

/// Renders one effect layer of `parent` (already masked and clipped, in its
/// final size), returning the effect canvas and the position of its top-left
/// relative to the parent's top-left.
///
/// Let `M` be the parent's mask: its alpha under `maskUse=norm`, `255 − α`
/// under `invert`, 255 over its whole rect under `off`, and 0 outside its
/// rect.
///
/// * **Outer** (`index < 0`): the shape is `M`, on a canvas padded by the
///   growth and the blur's reach so nothing is cut; it is grown by `grow`
///   (`ops::grow`), blurred by `blur` (`ops::blur_with_edge`, transparent
///   outside), and moved by `offset` (the returned position, so an offset
///   never cuts it either).
/// * **Inner** (`index > 0`): the shape is the inverse `255 − M`, where the
///   outside of the parent's rect counts as 255; it is grown, blurred and
///   moved by `offset` the same way, then multiplied by `M`, so the effect
///   lies only inside the parent's mask (an inner shadow or glow along the
///   inside of its edges). The canvas is the parent's size, at `(0, 0)`.
///
/// Then every pixel gets `color`'s RGB and alpha
/// `shape × color.alpha / 255 × opacity`, and `noise`, if any, is added to
/// the colour last (`ops::noise` with `seed`); pixels that end transparent
/// are `0,0,0,0`.
///
/// The canvas is at most `2 × (|grow| + 1.5 × blur + 3)` pixels larger than
/// the parent in each axis.
pub fn render_effect(parent: &Canvas, spec: &EffectSpec, seed: u64) -> (Canvas, (i64, i64)) {
    let (w, h) = (parent.width() as usize, parent.height() as usize);
    if w == 0 || h == 0 {
        return (Canvas::transparent(parent.width(), parent.height()), (0, 0));
    }
    let grow = spec.grow.clamp(-100, 100);
    let blur = if spec.blur.is_finite() {
        spec.blur.clamp(0.0, 100.0)
    } else {
        0.0
    };
    // ops::blur spans about 3σ = 1.5 × radius, plus rounding of its boxes.
    let blur_pad = if blur > 0.0 {
        (1.5 * blur).ceil() as usize + 2
    } else {
        0
    };
    let mask: Vec<u8> = parent
        .data()
        .chunks_exact(4)
        .map(|p| match spec.mask_use {
            MaskUse::Norm => p[3],
            MaskUse::Invert => 255 - p[3],
            MaskUse::Off => 255,
        })
        .collect();
    let rgb = [spec.color[0], spec.color[1], spec.color[2]];
    let mut out;
    let at;
    if spec.index > 0 {
        let pad = grow.unsigned_abs() as usize + blur_pad + 1;
        let mut shape = padded(w, h, pad, [rgb[0], rgb[1], rgb[2], 255]);
        write_shape(&mut shape, &mask, w, pad, |m| 255 - m);
        ops::grow(&mut shape, grow);
        ops::blur_with_edge(&mut shape, blur, BlurEdge::Extend);
        out = Canvas::transparent(parent.width(), parent.height());
        let stride = shape.width() as usize;
        let rows = shape.height() as usize;
        // Parent pixel (x, y) shows shape pixel (x + pad − dx, y + pad − dy);
        // beyond the padded canvas the inverse shape is fully set.
        let sx0 = pad as i64 - spec.offset.0;
        let sy0 = pad as i64 - spec.offset.1;
        let data = shape.data();
        for (y, (row, mask_row)) in out
            .data_mut()
            .chunks_exact_mut(w * 4)
            .zip(mask.chunks_exact(w))
            .enumerate()
        {
            let sy = sy0.saturating_add(y as i64);
            let in_rows = (0..rows as i64).contains(&sy);
            for (x, (p, &m)) in row.chunks_exact_mut(4).zip(mask_row).enumerate() {
                if m == 0 {
                    continue;
                }
                let sx = sx0.saturating_add(x as i64);
                let s = if in_rows && (0..stride as i64).contains(&sx) {
                    data[(sy as usize * stride + sx as usize) * 4 + 3]
                } else {
                    255
                };
                p[3] = mul255(u32::from(s), u32::from(m));
            }
        }
        at = (0, 0);
    } else {
        let pad = grow.max(0) as usize + blur_pad;
        out = padded(w, h, pad, [0; 4]);
        write_shape(&mut out, &mask, w, pad, |m| m);
        ops::grow(&mut out, grow);
        ops::blur_with_edge(&mut out, blur, BlurEdge::Transparent);
        at = (
            spec.offset.0.saturating_sub(pad as i64),
            spec.offset.1.saturating_sub(pad as i64),
        );
    }
    finish(&mut out, rgb, spec, seed);
    (out, at)
}

/// A canvas `2·pad` larger than `w×h` in each axis, filled with `fill`.
fn padded(w: usize, h: usize, pad: usize, fill: [u8; 4]) -> Canvas {
    let side = |n: usize| u32::try_from(n.saturating_add(2 * pad)).unwrap_or(u32::MAX);
    Canvas::filled(side(w), side(h), fill)
}

/// Writes `f(mask)` into the alpha of the `w`-wide area at `(pad, pad)`.
fn write_shape(canvas: &mut Canvas, mask: &[u8], w: usize, pad: usize, f: impl Fn(u8) -> u8) {
    if w == 0 {
        return;
    }
    let stride = canvas.width() as usize * 4;
    for (row, mask_row) in canvas
        .data_mut()
        .chunks_exact_mut(stride)
        .skip(pad)
        .zip(mask.chunks_exact(w))
    {
        for (p, &m) in row[pad * 4..].chunks_exact_mut(4).zip(mask_row) {
            p[3] = f(m);
        }
    }
}

/// Colours the shape, applies the effect's opacity, then its noise.
fn finish(canvas: &mut Canvas, rgb: [u8; 3], spec: &EffectSpec, seed: u64) {
    let factor = f64::from(spec.color[3]) / 255.0 * unit(spec.opacity);
    let mut alpha = [0u8; 256];
    for (a, out) in alpha.iter_mut().enumerate() {
        *out = (a as f64 * factor).round().clamp(0.0, 255.0) as u8;
    }
    for p in canvas.data_mut().chunks_exact_mut(4) {
        let a = alpha[usize::from(p[3])];
        p.copy_from_slice(&[rgb[0], rgb[1], rgb[2], a]);
    }
    if let Some(noise) = &spec.noise {
        ops::noise(canvas, noise, seed);
    }
    for p in canvas.data_mut().chunks_exact_mut(4) {
        if p[3] == 0 {
            p.copy_from_slice(&[0; 4]);
        }
    }
}

/// Draws `parent` onto `dst` at `at` (as [`draw_layer`], with `opacity`
/// the parent's content opacity `opac × fill` and `mode` its blend mode)
/// together with its effects (§4.1): outer effects (`index < 0`) first, in
/// ascending index so `-1` lies directly under the parent; then the parent;
/// then inner effects (`index > 0`) in ascending index, so the highest is
/// on top. Each effect is drawn at the parent's position plus its offset,
/// with its own blend mode and its own [`EffectSpec::opacity`], clipped to
/// `dst`. Effects with index 0 are skipped.
///
/// Each effect's noise and dissolve pattern use a seed derived from `seed`
/// and its index.
pub fn draw_with_effects(
    dst: &mut Canvas,
    parent: &Canvas,
    at: (i64, i64),
    opacity: f64,
    mode: BlendMode,
    effects: &[EffectSpec],
    seed: u64,
) {
    let mut order: Vec<&EffectSpec> = effects.iter().filter(|e| e.index != 0).collect();
    order.sort_by_key(|e| e.index);
    let draw_effect = |dst: &mut Canvas, spec: &EffectSpec| {
        let effect_seed = splitmix64(seed ^ splitmix64(i64::from(spec.index) as u64));
        let (canvas, offset) = render_effect(parent, spec, effect_seed);
        let pos = (at.0.saturating_add(offset.0), at.1.saturating_add(offset.1));
        draw_layer(dst, &canvas, pos, 1.0, spec.blend, effect_seed);
    };
    for spec in order.iter().filter(|e| e.index < 0) {
        draw_effect(dst, spec);
    }
    draw_layer(dst, parent, at, opacity, mode, seed);
    for spec in order.iter().filter(|e| e.index > 0) {
        draw_effect(dst, spec);
    }
}
