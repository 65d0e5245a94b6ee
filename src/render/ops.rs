//! Pixel operations of spec §3.6 (`op_blur`, `op_brightness`, `op_contrast`,
//! `op_colorbalance`, `op_colorize`, `op_grow`, `op_hue`, `op_invert`,
//! `op_noise`, `op_saturation`, `op_sharpen`, `op_usm`/`op_usmR`), as pure
//! functions on a [`Canvas`].
//!
//! This module owns the maths of those operations and nothing else: which
//! layer, mask or composite they run on, the order they run in, the padding
//! an effect needs and the scaling of `op_usm` radii belong to the caller.
//! It must never change a canvas's size, report errors (the parser has
//! range-checked every value; functions here only clamp defensively), do
//! I/O, read clocks or global random state, or panic. The same inputs always
//! give the same bytes.
//!
//! Conventions shared by every operation:
//!
//! * Colour values are 8-bit, `c ∈ 0…255`; results are rounded half up and
//!   clamped to `0…255`.
//! * Luma is Rec. 601, `Y = 0.299 R + 0.587 G + 0.114 B`, not colour managed
//!   (the docs call `op_colorize`'s gray conversion "simple").
//! * Per-pixel colour operations keep alpha and never look at neighbours, so
//!   a fully transparent pixel's colour cannot leak anywhere.
//! * Neighbourhood operations (blur, grow, sharpen, unsharp mask) weight
//!   colour by alpha (premultiplied alpha), so a transparent pixel's colour
//!   never bleeds into its neighbours. Pixels that end fully transparent are
//!   written as `0,0,0,0`.
//! * Outside the canvas, neighbourhoods are clamped to the edge (the edge
//!   pixel repeats), so an opaque full-frame image stays opaque. Only
//!   [`blur_with_edge`] with [`BlurEdge::Transparent`] treats the outside as
//!   transparent.

use super::Canvas;
use crate::protocol::ast::{Colorize, ColorizeMode, Noise, NoiseDistribution, Usm};

/// A premultiplied pixel: `[R·a/255, G·a/255, B·a/255, a]`, all in 0…255.
type Px = [f32; 4];

/// What a blur sees outside the canvas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BlurEdge {
    /// The edge pixels repeat: an opaque canvas stays opaque.
    #[default]
    Extend,
    /// Everything outside is transparent: edges fade out, as a feathered
    /// effect does when its canvas has no padding left.
    Transparent,
}

/// `op_blur=radius`: Gaussian blur, radius `0…100` px (clamped; NaN is 0).
///
/// The Gaussian has standard deviation `σ = radius / 2`, so about 95% of the
/// weight lies within `radius` pixels. Colour and alpha are blurred together
/// in premultiplied alpha, `P = c·a/255`, and written back as `c = 255·P'/a'`;
/// a transparent neighbour adds weight to alpha but nothing to colour, so
/// edges fade without darkening. Radius 0 is a no-op. Edges extend
/// ([`BlurEdge::Extend`]).
///
/// The filter is separable (rows, then columns). For `σ < 3` each pass is
/// the exact Gaussian integrated over each pixel,
/// `w_j ∝ Φ((j+½)/σ) − Φ((j−½)/σ)` for `|j| ≤ ⌈3σ⌉`. For `σ ≥ 3` each pass
/// is three successive centred box filters whose odd widths are chosen so
/// their variances sum to `σ²` as closely as odd widths allow (Kutskir's
/// `boxesForGauss`); the cost per pixel then does not depend on the radius.
pub fn blur(canvas: &mut Canvas, radius_px: f64) {
    blur_with_edge(canvas, radius_px, BlurEdge::Extend);
}

/// [`blur`] with a choice of what lies outside the canvas.
pub fn blur_with_edge(canvas: &mut Canvas, radius_px: f64, edge: BlurEdge) {
    let radius = clamp_real(radius_px, 0.0, 100.0);
    let (w, h) = dims(canvas);
    if radius <= 0.0 || w == 0 || h == 0 {
        return;
    }
    let mut buf = premultiplied(canvas);
    blur_premultiplied(&mut buf, w, h, radius / 2.0, edge);
    store_premultiplied(canvas, &buf);
}

/// `op_brightness=adj`: additive brightness, `adj ∈ −100…100` (clamped).
///
/// `c' = c + round(2.55·adj)` for R, G and B; alpha is kept. `+100` makes
/// every pixel white, `−100` black, 0 is a no-op.
pub fn brightness(canvas: &mut Canvas, adj: i32) {
    let offset = (f64::from(adj.clamp(-100, 100)) * 2.55).round() as i32;
    if offset == 0 {
        return;
    }
    let lut = lut(|v| v + offset as f32);
    apply_lut(canvas, [&lut, &lut, &lut]);
}

/// `op_contrast=adj`: contrast about 50% gray, `adj ∈ −100…100` (clamped).
///
/// `c' = 127.5 + (c − 127.5)·f` for R, G and B, with
/// `f = 1 + adj/100` for `adj ≤ 0` (so `−100` gives flat gray 128) and
/// `f = 100 / (100 − adj)` for `0 < adj < 100` (so `+50` doubles contrast);
/// `+100` is the limit, a threshold at 50% (`c ≥ 128 → 255`, else 0).
/// Alpha is kept; 0 is a no-op.
pub fn contrast(canvas: &mut Canvas, adj: i32) {
    let adj = adj.clamp(-100, 100);
    if adj == 0 {
        return;
    }
    let lut = if adj == 100 {
        lut(|v| if v >= 128.0 { 255.0 } else { 0.0 })
    } else {
        let f = if adj < 0 {
            1.0 + adj as f32 / 100.0
        } else {
            100.0 / (100.0 - adj as f32)
        };
        lut(|v| 127.5 + (v - 127.5) * f)
    };
    apply_lut(canvas, [&lut, &lut, &lut]);
}

/// `op_colorbalance=r,g,b`: per-channel additive shift, each `−100…100`
/// (clamped).
///
/// `R' = R + round(2.55·r)`, `G' = G + round(2.55·g)`,
/// `B' = B + round(2.55·b)`, i.e. [`brightness`] per channel. Alpha is kept.
pub fn color_balance(canvas: &mut Canvas, adj: [i32; 3]) {
    if adj == [0, 0, 0] {
        return;
    }
    let luts = adj.map(|a| {
        let offset = (f64::from(a.clamp(-100, 100)) * 2.55).round() as f32;
        lut(|v| v + offset)
    });
    apply_lut(canvas, [&luts[0], &luts[1], &luts[2]]);
}

/// `op_colorize=color[,off|norm[,contrast]]`: tints the image with `color`
/// while keeping shadows and highlights. Contrast is `0…100` (clamped);
/// the colour's alpha is ignored; alpha is kept.
///
/// 1. Luma per pixel, in 8-bit steps: `L = round(Y) / 255`.
/// 2. With `norm` (the default), using the alpha-weighted histogram of `L`
///    over visible pixels (median `m`, lowest `lo`, highest `hi`):
///    * contrast 0 keeps the input contrast and shifts brightness so the
///      median lands on 50%: `L' = clamp(L − m + ½, 0, 1)`;
///    * contrast `k > 0` is the wanted output range `k%`, centred on 50%:
///      `[lo, m]` maps linearly onto `[½ − k/200, ½]` and `[m, hi]` onto
///      `[½, ½ + k/200]` (100 stretches to the full range).
///
///    With `off`, `L' = L` and contrast is ignored.
/// 3. The tint `T` (RGB) is placed at 50% and blended to black below and
///    white above: `c' = 2L'·T` for `L' ≤ ½`, else
///    `c' = T + (2L' − 1)(255 − T)`.
pub fn colorize(canvas: &mut Canvas, params: &Colorize) {
    let [tr, tg, tb, _] = params.color.to_rgba8();
    let tint = [f32::from(tr), f32::from(tg), f32::from(tb)];
    let luma_of = |p: &[u8]| -> usize {
        let y = 299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]);
        ((y + 500) / 1000) as usize
    };
    let mut histogram = [0u64; 256];
    for p in canvas.data().chunks_exact(4) {
        histogram[luma_of(p).min(255)] += u64::from(p[3]);
    }
    let total: u64 = histogram.iter().sum();
    if total == 0 {
        return;
    }
    let remap = luma_remap(params, &histogram, total);
    let mut table = [[0u8; 3]; 256];
    for (level, entry) in table.iter_mut().enumerate() {
        let l = remap(level as f32 / 255.0).clamp(0.0, 1.0);
        *entry = tint.map(|t| {
            let v = if l <= 0.5 {
                2.0 * l * t
            } else {
                t + (2.0 * l - 1.0) * (255.0 - t)
            };
            to_u8(v)
        });
    }
    for p in canvas.data_mut().chunks_exact_mut(4) {
        let rgb = table[luma_of(p).min(255)];
        p[..3].copy_from_slice(&rgb);
    }
}

/// The luma mapping of [`colorize`]'s step 2, as a function of `L ∈ 0…1`.
fn luma_remap(params: &Colorize, histogram: &[u64; 256], total: u64) -> impl Fn(f32) -> f32 {
    let norm = params.mode.unwrap_or(ColorizeMode::Norm) == ColorizeMode::Norm;
    let k = clamp_real(params.contrast.unwrap_or(0.0), 0.0, 100.0) as f32;
    let mut cumulative = 0u64;
    let mut median = 0usize;
    for (level, &weight) in histogram.iter().enumerate() {
        cumulative += weight;
        if 2 * cumulative >= total {
            median = level;
            break;
        }
    }
    let lo = histogram.iter().position(|&w| w > 0).unwrap_or(0);
    let hi = histogram.iter().rposition(|&w| w > 0).unwrap_or(255);
    let [m, lo, hi] = [median, lo, hi].map(|v| v as f32 / 255.0);
    move |l: f32| {
        if !norm {
            l
        } else if k <= 0.0 {
            l - m + 0.5
        } else {
            let half = k / 200.0;
            if l <= m {
                if m > lo {
                    0.5 - half * (m - l) / (m - lo)
                } else {
                    0.5
                }
            } else if hi > m {
                0.5 + half * (l - m) / (hi - m)
            } else {
                0.5
            }
        }
    }
}

/// `op_hue=deg`: rotates hue by `deg ∈ −180…180` degrees (clamped).
///
/// Rotation on the HSV/HSL hexcone: each pixel keeps its maximum and minimum
/// channel (so HSV value and saturation, HSL lightness and saturation), and
/// its hue `H ∈ [0, 360)` becomes `(H + deg) mod 360`. Gray pixels and
/// alpha are unchanged; 0 is a no-op; rotating by 180 twice restores the
/// input to within rounding (±1).
pub fn hue(canvas: &mut Canvas, deg: i32) {
    let deg = deg.clamp(-180, 180);
    if deg == 0 {
        return;
    }
    // In sextants: hue 0..6.
    let shift = (deg as f32 / 60.0).rem_euclid(6.0);
    for p in canvas.data_mut().chunks_exact_mut(4) {
        let [r, g, b] = [p[0], p[1], p[2]].map(f32::from);
        let max = r.max(g).max(b);
        let min = r.min(g).min(b);
        let chroma = max - min;
        if chroma <= 0.0 {
            continue;
        }
        let h = if max == r {
            ((g - b) / chroma).rem_euclid(6.0)
        } else if max == g {
            (b - r) / chroma + 2.0
        } else {
            (r - g) / chroma + 4.0
        };
        let h = (h + shift).rem_euclid(6.0);
        let x = chroma * (1.0 - ((h % 2.0) - 1.0).abs());
        let (r1, g1, b1) = match h as u32 {
            0 => (chroma, x, 0.0),
            1 => (x, chroma, 0.0),
            2 => (0.0, chroma, x),
            3 => (0.0, x, chroma),
            4 => (x, 0.0, chroma),
            _ => (chroma, 0.0, x),
        };
        p[0] = to_u8(r1 + min);
        p[1] = to_u8(g1 + min);
        p[2] = to_u8(b1 + min);
    }
}

/// `op_saturation=adj`: saturation, `adj ∈ −100…100` (clamped); `−100` is
/// fully desaturated, 0 a no-op, `+100` doubles saturation.
///
/// With `s = 1 + adj/100` and luma `Y`, each channel moves away from or
/// towards luma: `c' = Y + (c − Y)·s'`. For `s ≤ 1`, `s' = s`. For `s > 1`,
/// `s'` is `s` limited to the largest factor that keeps all three channels in
/// `0…255`, so hue and luma never shift through clipping. At `−100` every
/// pixel becomes gray `R = G = B = round(Y)`. Alpha is kept.
pub fn saturation(canvas: &mut Canvas, adj: i32) {
    let adj = adj.clamp(-100, 100);
    if adj == 0 {
        return;
    }
    let s = 1.0 + adj as f32 / 100.0;
    for p in canvas.data_mut().chunks_exact_mut(4) {
        let rgb = [p[0], p[1], p[2]].map(f32::from);
        let y = luma(rgb);
        let mut factor = s;
        if s > 1.0 {
            for c in rgb {
                let d = c - y;
                if d > 0.0 {
                    factor = factor.min((255.0 - y) / d);
                } else if d < 0.0 {
                    factor = factor.min(y / -d);
                }
            }
        }
        for (out, c) in p.iter_mut().zip(rgb) {
            *out = to_u8(y + (c - y) * factor);
        }
    }
}

/// `op_invert=1`: `c' = 255 − c` for R, G and B; alpha is kept.
pub fn invert(canvas: &mut Canvas) {
    for p in canvas.data_mut().chunks_exact_mut(4) {
        p[0] = 255 - p[0];
        p[1] = 255 - p[1];
        p[2] = 255 - p[2];
    }
}

/// `op_noise=amount[,uniform|gaussian[,mono]]`: adds noise, amount `0…100`
/// (clamped), deterministic from `seed`.
///
/// With `A = 2.55·amount`, each noise sample `n` is added to a channel,
/// `c' = c + n`:
/// * uniform (default): `n = A·u`, `u` uniform in `[−1, 1)`;
/// * gaussian: `n = (A/2)·(u₁ + u₂ + u₃ + u₄)`, four independent uniforms
///   in `[−1, 1)` (an Irwin–Hall approximation of a normal with the same
///   standard deviation `A/√3` as the uniform noise, bounded to `±2A`).
///
/// Without `mono` R, G and B get independent samples (colour noise); with
/// `mono` one sample per pixel goes to all three (gray noise). Alpha is
/// untouched. Samples come from a SplitMix64 stream seeded with `seed`,
/// drawn in pixel order (one 64-bit draw per sample, the four gaussian
/// uniforms taken from its 16-bit quarters), so a seed and a canvas size
/// always give the same pattern.
pub fn noise(canvas: &mut Canvas, params: &Noise, seed: u64) {
    let amount = params.amount.min(100);
    if amount == 0 {
        return;
    }
    let a = f32::from(amount) * 2.55;
    let gaussian = params.distribution == Some(NoiseDistribution::Gaussian);
    let mono = params.mono.unwrap_or(false);
    let mut rng = SplitMix64(seed);
    let mut sample = || {
        let bits = rng.next();
        if gaussian {
            let sum: f32 = (0..4)
                .map(|i| f32::from((bits >> (16 * i)) as u16) / 32768.0 - 1.0)
                .sum();
            sum * a / 2.0
        } else {
            // The top 24 bits, as a float in [0, 1) with no rounding.
            let u = (bits >> 40) as f32 / 16_777_216.0;
            (2.0 * u - 1.0) * a
        }
    };
    for p in canvas.data_mut().chunks_exact_mut(4) {
        if mono {
            let n = sample();
            for c in &mut p[..3] {
                *c = to_u8(f32::from(*c) + n);
            }
        } else {
            for c in &mut p[..3] {
                *c = to_u8(f32::from(*c) + sample());
            }
        }
    }
}

/// `op_grow=r`: `r > 0` dilates, `r < 0` erodes, `|r| ≤ 100` (clamped);
/// 0 is a no-op. The canvas keeps its size: growth past the edge is lost, so
/// callers that need room (effects) pad with transparency first.
///
/// A grayscale maximum (dilate) or minimum (erode) filter, like Photoshop's
/// Maximum and Minimum, over the disc `dx² + dy² ≤ r² + r` (radius
/// `r + ½`; `r = 1` is the full 3×3 square), applied to all four channels in
/// premultiplied alpha (`c·a` and `a`), then unpremultiplied:
/// `a' = max/min a`, `c' = max/min (c·a) / a'`. A transparent pixel
/// contributes 0 and so never lends its colour; a single-colour shape keeps
/// its colour exactly while its alpha grows or shrinks. A 1-pixel dot grows
/// into a disc `2r+1` pixels across and erodes away entirely. Pixels outside
/// the canvas take no part (the window is cut at the edges), so erosion
/// never eats into the image from the canvas border.
///
/// Cost: `O(r)` vectorisable slice operations per source row, using a
/// per-row sparse table of horizontal extrema (each disc row is the union of
/// two power-of-two spans).
pub fn grow(canvas: &mut Canvas, r: i32) {
    let r = r.clamp(-100, 100);
    let (w, h) = dims(canvas);
    if r == 0 || w == 0 || h == 0 {
        return;
    }
    let radius = r.unsigned_abs() as usize;
    let src: Vec<u16> = canvas
        .data()
        .chunks_exact(4)
        .flat_map(|p| {
            let a = u16::from(p[3]);
            [
                u16::from(p[0]) * a,
                u16::from(p[1]) * a,
                u16::from(p[2]) * a,
                a * 255,
            ]
        })
        .collect();
    let out = if r > 0 {
        morph::<true>(&src, w, h, radius)
    } else {
        morph::<false>(&src, w, h, radius)
    };
    for (d, s) in canvas
        .data_mut()
        .chunks_exact_mut(4)
        .zip(out.chunks_exact(4))
    {
        let a = u32::from(s[3]) / 255;
        if a == 0 {
            d.copy_from_slice(&[0; 4]);
            continue;
        }
        for i in 0..3 {
            d[i] = ((u32::from(s[i]) + a / 2) / a).min(255) as u8;
        }
        d[3] = a.min(255) as u8;
    }
}

/// Dilation (`MAX`) or erosion over the disc of [`grow`], on interleaved
/// 4-channel premultiplied `u16` pixels.
fn morph<const MAX: bool>(src: &[u16], w: usize, h: usize, r: usize) -> Vec<u16> {
    let identity = if MAX { 0 } else { u16::MAX };
    let pick = |a: u16, b: u16| if MAX { a.max(b) } else { a.min(b) };
    // Half-width of the disc on the row `|dy|` away from the centre.
    let half: Vec<usize> = (0..=r)
        .map(|dy| isqrt(r * r + r - dy * dy).min(r))
        .collect();
    let row_len = w * 4;
    let padded_len = (w + 2 * r) * 4;
    let levels = floor_log2(2 * r + 1) + 1;
    // table[k][4·i + c] is the extremum of channel c over padded pixels
    // i .. i + 2^k; pixels outside the canvas hold the identity.
    let mut table: Vec<Vec<u16>> = vec![vec![identity; padded_len]; levels];
    let mut out = vec![identity; w * h * 4];
    for (s, row) in src.chunks_exact(row_len).enumerate() {
        if let Some(level0) = table.first_mut() {
            level0[r * 4..r * 4 + row_len].copy_from_slice(row);
        }
        for k in 1..levels {
            let step = (1usize << (k - 1)) * 4;
            let valid = padded_len - ((1usize << k) - 1) * 4;
            let (lower, upper) = table.split_at_mut(k);
            let (Some(prev), Some(cur)) = (lower.last(), upper.first_mut()) else {
                continue;
            };
            for ((c, a), b) in cur[..valid]
                .iter_mut()
                .zip(&prev[..valid])
                .zip(&prev[step..step + valid])
            {
                *c = pick(*a, *b);
            }
        }
        // Source row s lands on output rows y = s − dy for every disc row dy.
        for (dy, &wd) in half.iter().enumerate() {
            let span = 1usize << floor_log2(2 * wd + 1);
            let Some(level) = table.get(floor_log2(2 * wd + 1)) else {
                continue;
            };
            let left = &level[(r - wd) * 4..][..row_len];
            let right = &level[(r + wd + 1 - span) * 4..][..row_len];
            let targets = [s.checked_sub(dy), (dy > 0).then_some(s + dy)];
            for y in targets.into_iter().flatten().filter(|&y| y < h) {
                let dst = &mut out[y * row_len..][..row_len];
                for ((o, a), b) in dst.iter_mut().zip(left).zip(right) {
                    *o = pick(*o, pick(*a, *b));
                }
            }
        }
    }
    out
}

/// `op_sharpen=1`: the classic 3×3 sharpen
/// `[0 −1 0; −1 5 −1; 0 −1 0]`, written as
/// `c' = c + 4·(c − M)` where `M` is the alpha-weighted mean of the four
/// edge neighbours, `M = Σ aₙcₙ / Σ aₙ` (outside the canvas the centre pixel
/// stands in). On opaque pixels this is exactly the kernel; transparent
/// neighbours have no say, and if all four are transparent the pixel is
/// left alone. Alpha is kept (callers sharpen a mask by running this on a
/// gray canvas of it).
pub fn sharpen(canvas: &mut Canvas) {
    let (w, h) = dims(canvas);
    if w == 0 || h == 0 {
        return;
    }
    let src = canvas.data().to_vec();
    let at = |x: usize, y: usize| -> &[u8] { &src[(y * w + x) * 4..][..4] };
    for (i, p) in canvas.data_mut().chunks_exact_mut(4).enumerate() {
        if p[3] == 0 {
            continue;
        }
        let (x, y) = (i % w, i / w);
        let neighbours = [
            at(x, y.saturating_sub(1)),
            at(x.saturating_sub(1), y),
            at((x + 1).min(w - 1), y),
            at(x, (y + 1).min(h - 1)),
        ];
        let weight: u32 = neighbours.iter().map(|n| u32::from(n[3])).sum();
        if weight == 0 {
            continue;
        }
        for c in 0..3 {
            let sum: u32 = neighbours
                .iter()
                .map(|n| u32::from(n[c]) * u32::from(n[3]))
                .sum();
            let mean = sum as f32 / weight as f32;
            let v = f32::from(p[c]);
            p[c] = to_u8(v + 4.0 * (v - mean));
        }
    }
}

/// `op_usm=amount,radius,threshold,mono` and `op_usmR`: unsharp mask.
/// Amount `0…5`, radius `0…250` px, threshold `0…255`; missing values are
/// 0 and `mono` defaults to off. The radius is multiplied by `radius_scale`
/// (the caller's downscale factor for `op_usm`, 1.0 for `op_usmR`) and the
/// result clamped to `0…250`.
///
/// `B` is the canvas blurred as by [`blur`] but with `σ = radius` (the
/// Photoshop convention for unsharp-mask radii), unpremultiplied, so
/// transparent pixels never bleed into it. Per channel, with `d = c − B`:
/// `c' = c + amount·d` where `|d| > threshold`, else `c' = c`. With `mono`
/// the test and the change use luma only: `d = Y(c) − Y(B)`, and where
/// `|d| > threshold` each of R, G and B gets `+ amount·d` (luma changes,
/// chroma does not). Amount 0 or radius 0 is a no-op; threshold 255 turns
/// the filter off. Alpha is kept (callers sharpen a mask as a gray canvas).
pub fn unsharp_mask(canvas: &mut Canvas, params: &Usm, radius_scale: f64) {
    let amount = clamp_real(params.amount, 0.0, 5.0) as f32;
    let scale = clamp_real(radius_scale, 0.0, f64::MAX);
    let sigma = clamp_real(
        clamp_real(params.radius.unwrap_or(0.0), 0.0, 250.0) * scale,
        0.0,
        250.0,
    );
    let threshold = f32::from(params.threshold.unwrap_or(0));
    let mono = params.mono.unwrap_or(false);
    let (w, h) = dims(canvas);
    if amount <= 0.0 || sigma <= 0.0 || w == 0 || h == 0 {
        return;
    }
    let mut blurred = premultiplied(canvas);
    blur_premultiplied(&mut blurred, w, h, sigma, BlurEdge::Extend);
    for (p, b) in canvas.data_mut().chunks_exact_mut(4).zip(&blurred) {
        if p[3] == 0 || b[3] <= 1e-6 {
            continue;
        }
        let k = 255.0 / b[3];
        let smooth = [b[0] * k, b[1] * k, b[2] * k];
        let rgb = [p[0], p[1], p[2]].map(f32::from);
        if mono {
            let d = luma(rgb) - luma(smooth);
            if d.abs() > threshold {
                for (out, c) in p.iter_mut().zip(rgb) {
                    *out = to_u8(c + amount * d);
                }
            }
        } else {
            for ((out, c), s) in p.iter_mut().zip(rgb).zip(smooth) {
                let d = c - s;
                if d.abs() > threshold {
                    *out = to_u8(c + amount * d);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Blur machinery.

/// One separable blur pass's kernel.
enum Kernel {
    /// Exact weights for offsets `−h..=h`, `h = len / 2`.
    Gauss(Vec<f32>),
    /// Radii of three successive centred box filters.
    Boxes([usize; 3]),
}

impl Kernel {
    fn for_sigma(sigma: f64) -> Kernel {
        if sigma < 3.0 {
            let h = (3.0 * sigma).ceil().max(1.0) as usize;
            let cdf = |x: f64| 0.5 * (1.0 + erf(x / (sigma * std::f64::consts::SQRT_2)));
            let side: Vec<f64> = (0..=h)
                .map(|j| cdf(j as f64 + 0.5) - cdf(j as f64 - 0.5))
                .collect();
            let total: f64 = side.iter().sum::<f64>() * 2.0 - side[0];
            // Mirror one side so the kernel is exactly symmetric.
            let weights = side
                .iter()
                .rev()
                .chain(side.iter().skip(1))
                .map(|&v| (v / total) as f32)
                .collect();
            Kernel::Gauss(weights)
        } else {
            // boxesForGauss with n = 3: widths wl (m times) and wl + 2.
            let n = 3.0;
            let ideal = (12.0 * sigma * sigma / n + 1.0).sqrt();
            let mut wl = ideal.floor() as usize;
            if wl % 2 == 0 {
                wl -= 1;
            }
            let wl_f = wl as f64;
            let m = ((12.0 * sigma * sigma - n * wl_f * wl_f - 4.0 * n * wl_f - 3.0 * n)
                / (-4.0 * wl_f - 4.0))
                .round()
                .clamp(0.0, 3.0) as usize;
            // A box of odd width wl has radius (wl − 1) / 2; wl + 2 one more.
            let rl = (wl - 1) / 2;
            let radii = [0, 1, 2].map(|i| if i < m { rl } else { rl + 1 });
            Kernel::Boxes(radii)
        }
    }
}

/// Blurs premultiplied pixels in place: rows, transpose, rows, transpose.
fn blur_premultiplied(buf: &mut [Px], w: usize, h: usize, sigma: f64, edge: BlurEdge) {
    if sigma <= 0.0 || w == 0 || h == 0 {
        return;
    }
    let kernel = Kernel::for_sigma(sigma);
    let mut scratch = Vec::new();
    filter_lines(buf, w, &kernel, edge, &mut scratch);
    let mut transposed = vec![[0.0; 4]; w * h];
    transpose(buf, w, h, &mut transposed);
    filter_lines(&mut transposed, h, &kernel, edge, &mut scratch);
    transpose(&transposed, h, w, buf);
}

/// Filters every line of `len` pixels in place.
fn filter_lines(
    buf: &mut [Px],
    len: usize,
    kernel: &Kernel,
    edge: BlurEdge,
    scratch: &mut Vec<Px>,
) {
    for line in buf.chunks_exact_mut(len) {
        match kernel {
            Kernel::Gauss(weights) => {
                let half = weights.len() / 2;
                pad(line, half, edge, scratch);
                for (i, out) in line.iter_mut().enumerate() {
                    let mut acc = [0.0f32; 4];
                    for (wgt, px) in weights.iter().zip(&scratch[i..]) {
                        for c in 0..4 {
                            acc[c] += wgt * px[c];
                        }
                    }
                    *out = acc;
                }
            }
            Kernel::Boxes(radii) => {
                for &r in radii {
                    pad(line, r, edge, scratch);
                    box_line(scratch, line, r);
                }
            }
        }
    }
}

/// `line[i]` = mean of `padded[i ..= i + 2r]`, by a running sum.
fn box_line(padded: &[Px], line: &mut [Px], r: usize) {
    let width = 2 * r + 1;
    let inv = 1.0 / width as f64;
    let mut acc = [0.0f64; 4];
    for px in &padded[..width] {
        for c in 0..4 {
            acc[c] += f64::from(px[c]);
        }
    }
    for (i, out) in line.iter_mut().enumerate() {
        if i > 0 {
            let (add, sub) = (padded[i + width - 1], padded[i - 1]);
            for c in 0..4 {
                acc[c] += f64::from(add[c]) - f64::from(sub[c]);
            }
        }
        *out = acc.map(|v| (v * inv) as f32);
    }
}

/// Copies `line` into `out` with `r` pixels of edge padding on each side.
fn pad(line: &[Px], r: usize, edge: BlurEdge, out: &mut Vec<Px>) {
    let (first, last) = match edge {
        BlurEdge::Extend => (
            line.first().copied().unwrap_or_default(),
            line.last().copied().unwrap_or_default(),
        ),
        BlurEdge::Transparent => ([0.0; 4], [0.0; 4]),
    };
    out.clear();
    out.extend(std::iter::repeat_n(first, r));
    out.extend_from_slice(line);
    out.extend(std::iter::repeat_n(last, r));
}

/// Writes the `w`×`h` image `src` transposed (`h`×`w`) into `dst`.
fn transpose(src: &[Px], w: usize, h: usize, dst: &mut [Px]) {
    const BLOCK: usize = 32;
    for by in (0..h).step_by(BLOCK) {
        for bx in (0..w).step_by(BLOCK) {
            for y in by..(by + BLOCK).min(h) {
                for x in bx..(bx + BLOCK).min(w) {
                    dst[x * h + y] = src[y * w + x];
                }
            }
        }
    }
}

/// The canvas as premultiplied float pixels.
fn premultiplied(canvas: &Canvas) -> Vec<Px> {
    canvas
        .data()
        .chunks_exact(4)
        .map(|p| {
            let a = f32::from(p[3]);
            let k = a / 255.0;
            [
                f32::from(p[0]) * k,
                f32::from(p[1]) * k,
                f32::from(p[2]) * k,
                a,
            ]
        })
        .collect()
}

/// Writes premultiplied float pixels back as straight RGBA8.
fn store_premultiplied(canvas: &mut Canvas, buf: &[Px]) {
    for (d, s) in canvas.data_mut().chunks_exact_mut(4).zip(buf) {
        let a = to_u8(s[3]);
        if a == 0 {
            d.copy_from_slice(&[0; 4]);
            continue;
        }
        let k = 255.0 / s[3];
        d[0] = to_u8(s[0] * k);
        d[1] = to_u8(s[1] * k);
        d[2] = to_u8(s[2] * k);
        d[3] = a;
    }
}

// ---------------------------------------------------------------------------
// Small helpers.

/// The canvas size as `usize`.
fn dims(canvas: &Canvas) -> (usize, usize) {
    (canvas.width() as usize, canvas.height() as usize)
}

/// Rounds half up and clamps to a byte; NaN becomes 0.
fn to_u8(v: f32) -> u8 {
    // `as` saturates and maps NaN to 0.
    (v + 0.5) as u8
}

/// Clamps a real parameter; NaN becomes `lo`.
fn clamp_real(v: f64, lo: f64, hi: f64) -> f64 {
    if v.is_nan() { lo } else { v.clamp(lo, hi) }
}

/// Rec. 601 luma of straight RGB.
fn luma([r, g, b]: [f32; 3]) -> f32 {
    0.299 * r + 0.587 * g + 0.114 * b
}

/// A 256-entry table of `to_u8(f(v))`.
fn lut(f: impl Fn(f32) -> f32) -> [u8; 256] {
    let mut table = [0u8; 256];
    for (v, out) in table.iter_mut().enumerate() {
        *out = to_u8(f(v as f32));
    }
    table
}

/// Maps R, G and B through their tables; alpha is kept.
fn apply_lut(canvas: &mut Canvas, luts: [&[u8; 256]; 3]) {
    for p in canvas.data_mut().chunks_exact_mut(4) {
        for (c, table) in p.iter_mut().zip(luts) {
            *c = table[usize::from(*c)];
        }
    }
}

/// `⌊√x⌋` for small integers.
fn isqrt(x: usize) -> usize {
    let mut s = (x as f64).sqrt() as usize;
    while s * s > x {
        s -= 1;
    }
    while (s + 1) * (s + 1) <= x {
        s += 1;
    }
    s
}

/// `⌊log₂ x⌋` for `x ≥ 1` (0 for 0).
fn floor_log2(x: usize) -> usize {
    (usize::BITS - 1).saturating_sub(x.leading_zeros()) as usize
}

/// The error function (Abramowitz & Stegun 7.1.26, |error| < 1.5·10⁻⁷).
fn erf(x: f64) -> f64 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = ((((1.061_405_429 * t - 1.453_152_027) * t + 1.421_413_741) * t - 0.284_496_736)
        * t
        + 0.254_829_592)
        * t;
    sign * (1.0 - poly * (-x * x).exp())
}

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and fully
/// determined by its seed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_widths_match_sigma() {
        for sigma in [3.0, 5.0, 12.5, 25.0, 50.0, 250.0] {
            let Kernel::Boxes(radii) = Kernel::for_sigma(sigma) else {
                panic!("σ = {sigma} should use boxes");
            };
            // A centred box of radius r has variance ((2r+1)² − 1) / 12.
            let variance: f64 = radii
                .iter()
                .map(|&r| ((2 * r + 1) as f64).powi(2) - 1.0)
                .sum::<f64>()
                / 12.0;
            let got = variance.sqrt();
            assert!((got - sigma).abs() / sigma < 0.1, "σ {sigma} → {got}");
        }
    }

    #[test]
    fn gauss_kernel_is_normalised_and_symmetric() {
        for sigma in [0.1, 0.5, 1.0, 2.5, 2.99] {
            let Kernel::Gauss(w) = Kernel::for_sigma(sigma) else {
                panic!("σ = {sigma} should be exact");
            };
            let sum: f32 = w.iter().sum();
            assert!((sum - 1.0).abs() < 1e-5);
            assert!(w.iter().eq(w.iter().rev()));
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(isqrt(0), 0);
        assert_eq!(isqrt(15), 3);
        assert_eq!(isqrt(16), 4);
        assert_eq!(floor_log2(1), 0);
        assert_eq!(floor_log2(201), 7);
        assert!((erf(1.0) - 0.842_700_79).abs() < 1e-6);
        assert_eq!(to_u8(-3.0), 0);
        assert_eq!(to_u8(300.0), 255);
        assert_eq!(to_u8(f32::NAN), 0);
        assert_eq!(to_u8(127.5), 128);
    }
}
