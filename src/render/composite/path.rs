//! `clipPath` / `clipXPath` (§3.5): interpreting the SVG-like path data and
//! rasterising it into anti-aliased coverage.
//!
//! Owns path semantics (relative commands, implicit closing), cubic
//! flattening, bounds and the coverage rasteriser. It never parses path text
//! (the protocol parser does), never decides which coordinate frame a path
//! is in (the caller passes `origin`) and never allocates a canvas whose size
//! it did not receive, except [`fill_path`], whose size the caller passes.
//!
//! **Coordinates.** Path coordinates are layer pixels: the point `(px, py)`
//! lands on `(px + origin.0, py + origin.1)` in the canvas, and canvas pixel
//! `(x, y)` is the unit square `[x, x+1) × [y, y+1)`. So with origin `0,0`,
//! `M10,10L20,10L20,20L10,20Z` covers exactly pixels 10…19 in both axes.
//! A layer with a non-zero `size` uses origin `0,0` (coordinates relative to
//! its top-left); a layer sized to its path uses the negated top-left of
//! [`path_pixel_rect`].
//!
//! **Path semantics.** `M`/`L`/`C` with upper case absolute and lower case
//! relative to the current point (for `c`, all three points are relative to
//! the segment's start). Every subpath is closed for filling, with or
//! without `Z`. After `Z` the current point returns to the subpath's start,
//! so a relative `m` starts from the previous subpath's start if it was
//! closed, else from its end, else from `0,0`. A line or curve after `Z`
//! without a moveto starts a new subpath there. Subpaths are filled together
//! with the nonzero winding rule; a hole needs opposite winding (or use
//! `clipXPath`).
//!
//! **Rasterisation.** Cubics are flattened into `n` chords, with `n` from
//! Wang's formula for a tolerance of 0.05 px (so flat or short curves get few
//! chords and tight ones many). Lines are rasterised by exact signed-area
//! accumulation (the method of font-rs and stb_truetype): each edge adds the
//! exact area it sweeps in every pixel it crosses, and a running sum along
//! each row gives the winding-weighted coverage; `min(|sum|, 1)` is the
//! pixel's coverage. This is exact area coverage for simple polygons and
//! implements nonzero winding inside; in a pixel crossed by edges of
//! opposite windings it is an approximation.

use super::Canvas;
use crate::plan::PixelRect;
use crate::protocol::ast::{Path, PathStep};

/// Flattening tolerance, in pixels.
const TOLERANCE: f64 = 0.05;
/// Most chords one cubic is split into.
const MAX_CHORDS: f64 = 1024.0;

type Pt = (f64, f64);

#[derive(Clone, Copy, Debug)]
enum Seg {
    Line(Pt),
    Cubic(Pt, Pt, Pt),
}

#[derive(Clone, Debug)]
struct Subpath {
    start: Pt,
    segs: Vec<Seg>,
}

/// Resolves relative commands and splits the path into subpaths. Steps with
/// a non-finite coordinate are skipped.
fn subpaths(path: &Path) -> Vec<Subpath> {
    let mut out = Vec::new();
    let mut current: Option<Subpath> = None;
    let mut cur: Pt = (0.0, 0.0);
    let mut start: Pt = (0.0, 0.0);
    let resolve = |relative: bool, from: Pt, x: f64, y: f64| -> Option<Pt> {
        (x.is_finite() && y.is_finite()).then_some(if relative {
            (from.0 + x, from.1 + y)
        } else {
            (x, y)
        })
    };
    for step in &path.steps {
        match *step {
            PathStep::Move { relative, x, y } => {
                let Some(p) = resolve(relative, cur, x, y) else {
                    continue;
                };
                out.extend(current.take());
                cur = p;
                start = p;
                current = Some(Subpath {
                    start: p,
                    segs: Vec::new(),
                });
            }
            PathStep::Line { relative, x, y } => {
                let Some(p) = resolve(relative, cur, x, y) else {
                    continue;
                };
                let sub = current.get_or_insert_with(|| {
                    start = cur;
                    Subpath {
                        start: cur,
                        segs: Vec::new(),
                    }
                });
                sub.segs.push(Seg::Line(p));
                cur = p;
            }
            PathStep::Cubic { relative, points } => {
                let [x1, y1, x2, y2, x3, y3] = points;
                let (Some(c1), Some(c2), Some(end)) = (
                    resolve(relative, cur, x1, y1),
                    resolve(relative, cur, x2, y2),
                    resolve(relative, cur, x3, y3),
                ) else {
                    continue;
                };
                let sub = current.get_or_insert_with(|| {
                    start = cur;
                    Subpath {
                        start: cur,
                        segs: Vec::new(),
                    }
                });
                sub.segs.push(Seg::Cubic(c1, c2, end));
                cur = end;
            }
            PathStep::Close => {
                out.extend(current.take());
                cur = start;
            }
        }
    }
    out.extend(current);
    out.retain(|s| !s.segs.is_empty());
    out
}

/// The point at `t` of a cubic Bézier.
fn cubic_at(p0: Pt, p1: Pt, p2: Pt, p3: Pt, t: f64) -> Pt {
    let u = 1.0 - t;
    let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
    (
        a * p0.0 + b * p1.0 + c * p2.0 + d * p3.0,
        a * p0.1 + b * p1.1 + c * p2.1 + d * p3.1,
    )
}

/// Parameters in `(0, 1)` where one coordinate of a cubic has an extremum.
fn extrema(p0: f64, p1: f64, p2: f64, p3: f64) -> impl Iterator<Item = f64> {
    // B'(t)/3 = a t² + b t + c.
    let a = -p0 + 3.0 * p1 - 3.0 * p2 + p3;
    let b = 2.0 * (p0 - 2.0 * p1 + p2);
    let c = p1 - p0;
    let mut roots = [f64::NAN; 2];
    if a.abs() < 1e-12 {
        if b.abs() > 1e-12 {
            roots[0] = -c / b;
        }
    } else {
        let disc = b * b - 4.0 * a * c;
        if disc >= 0.0 {
            let sq = disc.sqrt();
            roots = [(-b + sq) / (2.0 * a), (-b - sq) / (2.0 * a)];
        }
    }
    roots.into_iter().filter(|t| *t > 0.0 && *t < 1.0)
}

/// The exact bounding box of a path's outline, as
/// `(left, top, right, bottom)` in path coordinates, or `None` when the path
/// draws nothing (no segments, or only moves).
///
/// Curves count by their true extent (the extrema of each cubic), not their
/// control points. Open subpaths count by their points; the implicit closing
/// edge adds nothing outside them.
pub fn path_bounds(path: &Path) -> Option<(f64, f64, f64, f64)> {
    let mut b: Option<(f64, f64, f64, f64)> = None;
    let mut add = |p: Pt| {
        b = Some(match b {
            None => (p.0, p.1, p.0, p.1),
            Some((l, t, r, bt)) => (l.min(p.0), t.min(p.1), r.max(p.0), bt.max(p.1)),
        });
    };
    for sub in subpaths(path) {
        add(sub.start);
        let mut p0 = sub.start;
        for seg in &sub.segs {
            match *seg {
                Seg::Line(p) => {
                    add(p);
                    p0 = p;
                }
                Seg::Cubic(c1, c2, p3) => {
                    add(p3);
                    for t in extrema(p0.0, c1.0, c2.0, p3.0).chain(extrema(p0.1, c1.1, c2.1, p3.1))
                    {
                        add(cubic_at(p0, c1, c2, p3, t));
                    }
                    p0 = p3;
                }
            }
        }
    }
    b
}

/// The smallest whole-pixel rectangle holding [`path_bounds`], in path
/// coordinates; `None` when the path draws nothing, covers no area in one
/// axis, or the rectangle does not fit the pixel types.
///
/// A solid or text layer sized to its `clipPath` (§3.5, no `size`) is
/// `w×h`, the path is drawn with origin `(−x, −y)`, and the layer's default
/// origin (the path's `0,0`) is at `(−x, −y)` from its top-left.
pub fn path_pixel_rect(path: &Path) -> Option<PixelRect> {
    let (l, t, r, b) = path_bounds(path)?;
    let (x0, y0, x1, y1) = (l.floor(), t.floor(), r.ceil(), b.ceil());
    let limit = f64::from(u32::MAX);
    if !(x1 - x0 > 0.0 && y1 - y0 > 0.0 && x1 - x0 <= limit && y1 - y0 <= limit) {
        return None;
    }
    if x0.abs() > 9.0e15 || y0.abs() > 9.0e15 {
        return None;
    }
    Some(PixelRect::new(
        x0 as i64,
        y0 as i64,
        (x1 - x0) as u32,
        (y1 - y0) as u32,
    ))
}

/// Anti-aliased coverage of `path` (nonzero winding) on a `w×h` grid, one
/// value in `0…1` per pixel, row-major. See the module docs for the frame.
pub(crate) fn coverage(path: &Path, w: usize, h: usize, origin: (f64, f64)) -> Vec<f32> {
    let mut raster = Raster::new(w, h);
    let shift = |p: Pt| (p.0 + origin.0, p.1 + origin.1);
    for sub in subpaths(path) {
        let start = shift(sub.start);
        let mut p0 = start;
        for seg in &sub.segs {
            match *seg {
                Seg::Line(p) => {
                    let p = shift(p);
                    raster.line(p0, p);
                    p0 = p;
                }
                Seg::Cubic(c1, c2, p3) => {
                    let (c1, c2, p3) = (shift(c1), shift(c2), shift(p3));
                    let n = chords(p0, c1, c2, p3);
                    let mut prev = p0;
                    for i in 1..n {
                        let p = cubic_at(p0, c1, c2, p3, i as f64 / n as f64);
                        raster.line(prev, p);
                        prev = p;
                    }
                    raster.line(prev, p3);
                    p0 = p3;
                }
            }
        }
        raster.line(p0, start);
    }
    raster.coverage()
}

/// Wang's formula: chords needed so no point of the cubic is further than
/// [`TOLERANCE`] from its flattening.
fn chords(p0: Pt, p1: Pt, p2: Pt, p3: Pt) -> usize {
    let dd = |a: Pt, b: Pt, c: Pt| (a.0 - 2.0 * b.0 + c.0).hypot(a.1 - 2.0 * b.1 + c.1);
    let m = dd(p0, p1, p2).max(dd(p1, p2, p3));
    let n = (0.75 * m / TOLERANCE).sqrt().ceil();
    if n.is_finite() {
        n.clamp(1.0, MAX_CHORDS) as usize
    } else {
        1
    }
}

/// Signed-area accumulation buffer.
struct Raster {
    w: usize,
    h: usize,
    /// Two spare columns per row take the edges on or past the right border.
    stride: usize,
    acc: Vec<f32>,
}

impl Raster {
    fn new(w: usize, h: usize) -> Raster {
        let stride = w + 2;
        Raster {
            w,
            h,
            stride,
            acc: vec![0.0; stride * h],
        }
    }

    /// Adds an edge in canvas coordinates. Parts left of the canvas are
    /// moved onto its left border (where they still switch whole rows on or
    /// off), parts right of it onto its right border (where they touch no
    /// visible pixel); rows outside are dropped.
    fn line(&mut self, a: Pt, b: Pt) {
        if a.1 == b.1 {
            return;
        }
        let wf = self.w as f64;
        let mut ts = [0.0, 1.0, f64::NAN, f64::NAN];
        if a.0 != b.0 {
            for (i, edge) in [0.0, wf].into_iter().enumerate() {
                let t = (edge - a.0) / (b.0 - a.0);
                if t > 0.0 && t < 1.0 {
                    ts[2 + i] = t;
                }
            }
        }
        let mut ts: Vec<f64> = ts.into_iter().filter(|t| !t.is_nan()).collect();
        ts.sort_by(f64::total_cmp);
        let at = |t: f64| {
            let x = if t == 1.0 { b.0 } else { a.0 + (b.0 - a.0) * t };
            let y = if t == 1.0 { b.1 } else { a.1 + (b.1 - a.1) * t };
            (x.clamp(0.0, wf), y)
        };
        for pair in ts.windows(2) {
            self.segment(at(pair[0]), at(pair[1]));
        }
    }

    /// Adds an edge whose x lies within `0…w`.
    fn segment(&mut self, a: Pt, b: Pt) {
        if a.1 == b.1 || !(a.0.is_finite() && a.1.is_finite() && b.0.is_finite() && b.1.is_finite())
        {
            return;
        }
        let (dir, (x0, y0), (x1, y1)) = if a.1 < b.1 { (1.0, a, b) } else { (-1.0, b, a) };
        let hf = self.h as f64;
        if y1 <= 0.0 || y0 >= hf {
            return;
        }
        let wf = self.w as f64;
        let dxdy = (x1 - x0) / (y1 - y0);
        let (mut x, y_start) = if y0 < 0.0 {
            (x0 - y0 * dxdy, 0.0)
        } else {
            (x0, y0)
        };
        let y_end = y1.min(hf);
        let mut row = y_start.floor() as usize;
        while (row as f64) < y_end && row < self.h {
            let top = (row as f64).max(y_start);
            let bottom = ((row + 1) as f64).min(y_end);
            let dy = bottom - top;
            let x_next = x + dxdy * dy;
            let d = (dy * dir) as f32;
            let (xa, xb) = if x < x_next { (x, x_next) } else { (x_next, x) };
            let (xa, xb) = (xa.clamp(0.0, wf), xb.clamp(0.0, wf));
            let line = row * self.stride;
            let xa_floor = xa.floor();
            let xb_ceil = xb.ceil();
            let ia = xa_floor as usize;
            let ib = xb_ceil as usize;
            if ib <= ia + 1 {
                // Within one pixel column: split by the mean x.
                let xm = (0.5 * (x + x_next)).clamp(0.0, wf) - xa_floor;
                let xm = xm as f32;
                self.acc[line + ia] += d - d * xm;
                self.acc[line + ia + 1] += d * xm;
            } else {
                let s = (1.0 / (xb - xa)) as f32;
                let fa = (xa - xa_floor) as f32;
                let a0 = 0.5 * s * (1.0 - fa) * (1.0 - fa);
                let fb = (xb - xb_ceil + 1.0) as f32;
                let am = 0.5 * s * fb * fb;
                self.acc[line + ia] += d * a0;
                if ib == ia + 2 {
                    self.acc[line + ia + 1] += d * (1.0 - a0 - am);
                } else {
                    let a1 = s * (1.5 - fa);
                    self.acc[line + ia + 1] += d * (a1 - a0);
                    for i in ia + 2..ib - 1 {
                        self.acc[line + i] += d * s;
                    }
                    let a2 = a1 + (ib - ia - 3) as f32 * s;
                    self.acc[line + ib - 1] += d * (1.0 - a2 - am);
                }
                self.acc[line + ib] += d * am;
            }
            x = x_next;
            row += 1;
        }
    }

    fn coverage(self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.w * self.h);
        for row in self.acc.chunks_exact(self.stride) {
            let mut sum = 0.0f32;
            for v in &row[..self.w] {
                sum += v;
                out.push(sum.abs().min(1.0));
            }
        }
        out
    }
}

/// Clips a layer to `clipPath` and `clipXPath` (§3.5): each pixel's alpha is
/// multiplied by the include path's coverage and by one minus the exclude
/// path's coverage, so outside the include path and inside the exclude path
/// the layer becomes transparent and the edges are anti-aliased. `origin`
/// is where the path's `0,0` lies in the layer (module docs). Colours are
/// kept. The exclusion is only ever given with an include path, as the spec
/// ignores `clipXPath` without `clipPath`.
pub fn clip_path(layer: &mut Canvas, include: &Path, exclude: Option<&Path>, origin: (f64, f64)) {
    let (w, h) = (layer.width() as usize, layer.height() as usize);
    if w == 0 || h == 0 {
        return;
    }
    let mut keep = coverage(include, w, h, origin);
    if let Some(exclude) = exclude {
        for (k, e) in keep.iter_mut().zip(coverage(exclude, w, h, origin)) {
            *k *= 1.0 - e;
        }
    }
    for (p, k) in layer.data_mut().chunks_exact_mut(4).zip(keep) {
        if k < 1.0 {
            p[3] = super::to_u8(f32::from(p[3]) * k);
        }
    }
}

/// A `width×height` solid layer of `color` cut to `path`: a solid-colour
/// layer (`color=`) with `clipPath` and no `size` (§3.5, §4.2).
///
/// The path is placed so the top-left of [`path_pixel_rect`] is the canvas's
/// top-left; with that rectangle's size the canvas holds the whole path. The
/// layer's default origin (the path's `0,0`) is then `(−rect.x, −rect.y)`.
/// A path that draws nothing gives a transparent canvas.
pub fn fill_path(width: u32, height: u32, path: &Path, color: [u8; 4]) -> Canvas {
    let Some(rect) = path_pixel_rect(path) else {
        return Canvas::transparent(width, height);
    };
    let mut canvas = Canvas::filled(width, height, color);
    clip_path(&mut canvas, path, None, (-rect.x as f64, -rect.y as f64));
    canvas
}
