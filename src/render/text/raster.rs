//! Glyph rasterisation: outlines → coverage → "over" compositing into a
//! [`Canvas`].
//!
//! It owns turning font outlines into pixels with `ab_glyph_rasterizer`
//! (through our own transform, so synthetic italic can shear and synthetic
//! bold can smear), underline and strike-through bars, and straight-alpha
//! compositing. It never lays text out and never grows the canvas: whatever
//! falls outside is clipped.

use std::collections::HashMap;

use ab_glyph::{Font, GlyphId, Outline, OutlineCurve, Point, point};
use ab_glyph_rasterizer::Rasterizer;

use super::fonts::{FaceChoice, FaceIndex, FontSet};
use super::layout::{SYNTH_BOLD_EM, SYNTH_ITALIC_SHEAR};
use crate::render::Canvas;

/// Underline: centre below the baseline and thickness, in ems (close to
/// DejaVu's `post` table).
const UNDERLINE_EM: f32 = 0.085;
const UNDERLINE_THICKNESS_EM: f32 = 0.05;
/// Strike-through centre above the baseline, in ems (DejaVu's `OS/2`).
const STRIKE_EM: f32 = 0.26;

/// A glyph to draw: which outline, where, how big and in what colour.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GlyphJob {
    pub choice: FaceChoice,
    pub id: GlyphId,
    /// Pen position on the baseline, in canvas pixels.
    pub x: f32,
    pub baseline: f32,
    pub em_px: f32,
    pub color: [u8; 4],
}

/// An axis-aligned box in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bounds {
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl Bounds {
    pub fn union(self, other: Bounds) -> Bounds {
        Bounds {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }
}

/// Glyph outlines, each read from its font once per render.
pub(crate) struct Outlines<'f> {
    fonts: &'f FontSet,
    cache: HashMap<(FaceIndex, u16), Option<Outline>>,
}

impl<'f> Outlines<'f> {
    pub fn new(fonts: &'f FontSet) -> Outlines<'f> {
        Outlines {
            fonts,
            cache: HashMap::new(),
        }
    }

    fn get(&mut self, face: FaceIndex, id: GlyphId) -> Option<&Outline> {
        let fonts = self.fonts;
        self.cache
            .entry((face, id.0))
            .or_insert_with(|| fonts.face(face).and_then(|f| f.outline(id)))
            .as_ref()
    }

    /// Pixels per font unit for a job.
    fn unit(&self, job: &GlyphJob) -> f32 {
        let upem = self
            .fonts
            .face(job.choice.face)
            .and_then(|f| f.units_per_em())
            .filter(|u| *u > 0.0)
            .unwrap_or(2048.0);
        job.em_px / upem
    }

    /// The ink box of a glyph, or `None` for glyphs without an outline.
    pub fn ink(&mut self, job: &GlyphJob) -> Option<Bounds> {
        let unit = self.unit(job);
        let outline = self.get(job.choice.face, job.id)?;
        Some(ink_bounds(outline, job, unit))
    }

    /// The raster pixels drawing a glyph costs: its whole pixel box when
    /// any of it is on a `width` × `height` canvas, else 0.
    pub fn cost(&mut self, job: &GlyphJob, width: u32, height: u32) -> u64 {
        let Some(ink) = self.ink(job) else {
            return 0;
        };
        if ink.x1 <= 0.0 || ink.y1 <= 0.0 || ink.x0 >= width as f32 || ink.y0 >= height as f32 {
            return 0;
        }
        let w = (ink.x1.ceil() - ink.x0.floor()).max(1.0);
        let h = (ink.y1.ceil() - ink.y0.floor()).max(1.0);
        (f64::from(w) * f64::from(h)).min(u64::MAX as f64) as u64
    }

    /// Rasterises a glyph into the canvas; what falls outside is clipped.
    pub fn draw(
        &mut self,
        canvas: &mut Canvas,
        job: &GlyphJob,
        aliased: bool,
        rasterizer: &mut Rasterizer,
    ) {
        let unit = self.unit(job);
        let Some(outline) = self.get(job.choice.face, job.id) else {
            return;
        };
        let ink = ink_bounds(outline, job, unit);
        let (cw, ch) = (canvas.width() as f32, canvas.height() as f32);
        if ink.x1 <= 0.0 || ink.y1 <= 0.0 || ink.x0 >= cw || ink.y0 >= ch {
            return;
        }
        let (ox, oy) = (ink.x0.floor(), ink.y0.floor());
        let w = (ink.x1.ceil() - ox).max(1.0);
        let h = (ink.y1.ceil() - oy).max(1.0);
        // Outlines are bounded by the em cap (a 2000 px em needs about
        // 7 Mpx at most); this only guards against nonsense.
        if !(w.is_finite() && h.is_finite()) || w * h > 16.0e6 {
            return;
        }
        let (w, h) = (w as usize, h as usize);
        rasterizer.reset(w, h);
        let shear = if job.choice.synth_italic {
            SYNTH_ITALIC_SHEAR
        } else {
            0.0
        };
        let bold = if job.choice.synth_bold {
            SYNTH_BOLD_EM * job.em_px
        } else {
            0.0
        };
        // Synthetic bold: the outline drawn several times side by side; the
        // rasteriser's accumulated coverage is clamped to 1, giving the union.
        let copies = if bold > 0.0 {
            ((bold / 0.75).ceil() as usize).clamp(1, 8) + 1
        } else {
            1
        };
        for k in 0..copies {
            let dx = if copies > 1 {
                bold * k as f32 / (copies - 1) as f32
            } else {
                0.0
            };
            let map = |p: &Point| {
                point(
                    job.x + dx + (p.x + shear * p.y) * unit - ox,
                    job.baseline - p.y * unit - oy,
                )
            };
            for curve in &outline.curves {
                match curve {
                    OutlineCurve::Line(a, b) => rasterizer.draw_line(map(a), map(b)),
                    OutlineCurve::Quad(a, b, c) => rasterizer.draw_quad(map(a), map(b), map(c)),
                    OutlineCurve::Cubic(a, b, c, d) => {
                        rasterizer.draw_cubic(map(a), map(b), map(c), map(d));
                    }
                }
            }
        }
        let (x_origin, y_origin) = (ox as i64, oy as i64);
        let (width, height) = (i64::from(canvas.width()), i64::from(canvas.height()));
        let data = canvas.data_mut();
        rasterizer.for_each_pixel_2d(|x, y, coverage| {
            let cx = x_origin + i64::from(x);
            let cy = y_origin + i64::from(y);
            if cx < 0 || cy < 0 || cx >= width || cy >= height {
                return;
            }
            let coverage = coverage_of(coverage, aliased);
            if coverage > 0.0 {
                let i = ((cy * width + cx) * 4) as usize;
                if let Some(px) = data.get_mut(i..i + 4) {
                    blend(px, job.color, coverage);
                }
            }
        });
    }
}

fn ink_bounds(outline: &Outline, job: &GlyphJob, unit: f32) -> Bounds {
    // `Outline::bounds` keeps `min = (x_min, y_max)` and `max = (x_max, y_min)`
    // in font units, y up.
    let b = outline.bounds;
    let shear = if job.choice.synth_italic {
        SYNTH_ITALIC_SHEAR
    } else {
        0.0
    };
    let bold = if job.choice.synth_bold {
        SYNTH_BOLD_EM * job.em_px
    } else {
        0.0
    };
    let (y_lo, y_hi) = (b.max.y.min(b.min.y), b.max.y.max(b.min.y));
    let xs = [
        b.min.x + shear * y_lo,
        b.min.x + shear * y_hi,
        b.max.x + shear * y_lo,
        b.max.x + shear * y_hi,
    ];
    let x_lo = xs.iter().copied().fold(f32::INFINITY, f32::min);
    let x_hi = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    Bounds {
        x0: job.x + x_lo * unit,
        x1: job.x + x_hi * unit + bold,
        y0: job.baseline - y_hi * unit,
        y1: job.baseline - y_lo * unit,
    }
}

/// `textAttr` anti-aliasing: `off` thresholds coverage at one half; every
/// other mode keeps the rasteriser's exact area coverage.
fn coverage_of(coverage: f32, aliased: bool) -> f32 {
    let c = coverage.clamp(0.0, 1.0);
    if aliased {
        if c >= 0.5 { 1.0 } else { 0.0 }
    } else {
        c
    }
}

/// Straight-alpha "over": `color` at `coverage` onto one RGBA8 pixel.
fn blend(px: &mut [u8], color: [u8; 4], coverage: f32) {
    let a = coverage * f32::from(color[3]) / 255.0;
    if a <= 0.0 || px.len() < 4 {
        return;
    }
    // Fast paths: onto transparency (most text), and fully opaque ink.
    if px[3] == 0 || a >= 1.0 {
        px[..3].copy_from_slice(&color[..3]);
        let alpha = (a * 255.0).round().clamp(0.0, 255.0) as u8;
        px[3] = if a >= 1.0 { 255 } else { alpha };
        return;
    }
    let da = f32::from(px[3]) / 255.0;
    let out_a = a + da * (1.0 - a);
    if out_a <= 0.0 {
        return;
    }
    for c in 0..3 {
        let v = (f32::from(color[c]) * a + f32::from(px[c]) * da * (1.0 - a)) / out_a;
        px[c] = v.round().clamp(0.0, 255.0) as u8;
    }
    px[3] = (out_a * 255.0).round().clamp(0.0, 255.0) as u8;
}

/// Fills a rectangle with area coverage at its fractional edges.
pub(crate) fn fill_rect(canvas: &mut Canvas, r: Bounds, color: [u8; 4], aliased: bool) {
    let (w, h) = (canvas.width() as f32, canvas.height() as f32);
    let (x0, x1) = (r.x0.max(0.0), r.x1.min(w));
    let (y0, y1) = (r.y0.max(0.0), r.y1.min(h));
    if !(x0 < x1 && y0 < y1) {
        return;
    }
    let width = canvas.width() as usize;
    let data = canvas.data_mut();
    let mut y = y0.floor();
    while y < y1 {
        let cy = (y1.min(y + 1.0) - y0.max(y)).clamp(0.0, 1.0);
        let mut x = x0.floor();
        while x < x1 {
            let cx = (x1.min(x + 1.0) - x0.max(x)).clamp(0.0, 1.0);
            let coverage = coverage_of(cx * cy, aliased);
            if coverage > 0.0 {
                let i = (y as usize * width + x as usize) * 4;
                if let Some(px) = data.get_mut(i..i + 4) {
                    blend(px, color, coverage);
                }
            }
            x += 1.0;
        }
        y += 1.0;
    }
}

/// The underline bar under a run from `x0` to `x1` on a baseline.
pub(crate) fn underline(x0: f32, x1: f32, baseline: f32, em_px: f32) -> Bounds {
    let thickness = (UNDERLINE_THICKNESS_EM * em_px).round().max(1.0);
    let top = (baseline + UNDERLINE_EM * em_px - thickness / 2.0).round();
    Bounds {
        x0,
        x1,
        y0: top,
        y1: top + thickness,
    }
}

/// The strike-through bar over a run.
pub(crate) fn strike(x0: f32, x1: f32, baseline: f32, em_px: f32) -> Bounds {
    let thickness = (UNDERLINE_THICKNESS_EM * em_px).round().max(1.0);
    let top = (baseline - STRIKE_EM * em_px - thickness / 2.0).round();
    Bounds {
        x0,
        x1,
        y0: top,
        y1: top + thickness,
    }
}
