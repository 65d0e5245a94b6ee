//! Palette reduction for `png8`, `png8-alpha`, `gif` and `gif-alpha`
//! (`quantize=type[,dither[,numColors[,colorList]]]`, protocol §3.1).
//!
//! This module owns choosing a palette of at most `numColors` entries and
//! mapping every pixel to an index in it:
//!
//! * `adaptive`: the image's own colours when it has no more than the room
//!   left, otherwise a variance-minimising median cut over a 5-bit-per-channel
//!   histogram, each entry the mean of the pixels it stands for.
//! * `web`: the 216 web-safe colours (every channel one of 00, 33, …, FF).
//! * `mac`: the classic Mac OS 8-bit system palette (not allowed with alpha).
//!
//! With a fixed palette (`web`, `mac`) and fewer than its size in
//! `numColors`, the entries the image uses most (nearest colour, no dither)
//! are kept. Forced colours (`colorList`) are always in the palette and count
//! towards `numColors`, for every palette type; so does the transparent entry.
//! Dithering is Floyd–Steinberg error diffusion in serpentine order.
//!
//! Alpha, by [`AlphaMode`]:
//! * `Opaque`: alpha is ignored (the caller has flattened the image).
//! * `Key` (`gif-alpha`): a pixel with alpha below [`KEY_ALPHA_THRESHOLD`]
//!   (128) becomes the transparent key entry, every other pixel is taken as
//!   opaque with its colour unchanged.
//! * `Full` (`png8-alpha`): `adaptive` palettes carry alpha (quantised in
//!   premultiplied space, so translucent pixels match by what they show), and
//!   fully transparent pixels share one fully transparent entry; with `web`
//!   palettes alpha is keyed as with `Key`.
//!
//! It must never write a file format, change the image's size, or use a
//! colour outside the palette it returns.

use std::collections::HashSet;

use crate::protocol::ast::{Dither, Quantize, QuantizeType};

/// Pixels with alpha below this become the transparent key colour in
/// [`AlphaMode::Key`]; pixels at or above it are written opaque.
pub const KEY_ALPHA_THRESHOLD: u8 = 128;

/// The default palette size, `quantize=adaptive,diffuse,256`.
pub const DEFAULT_COLORS: u16 = 256;

/// How the quantiser treats alpha.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlphaMode {
    /// Alpha is ignored; every pixel is opaque.
    Opaque,
    /// One transparent key entry for pixels with alpha < [`KEY_ALPHA_THRESHOLD`].
    Key,
    /// Palette entries carry alpha (written as PNG `tRNS`).
    Full,
}

/// An indexed image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indexed {
    /// Straight-alpha RGBA entries; those with alpha below 255 come first.
    pub palette: Vec<[u8; 4]>,
    /// One palette index per pixel, row-major.
    pub indices: Vec<u8>,
    /// The fully transparent entry, when the image has transparent pixels.
    pub transparent: Option<u8>,
}

/// Why a palette could not be built. All are the request's fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QuantizeError {
    /// `quantize=mac` with an `-alpha` format.
    #[error("quantize=mac is not allowed with -alpha formats")]
    MacWithAlpha,
    /// `numColors` outside 2–256.
    #[error("quantize numColors must be between 2 and 256, not {0}")]
    ColorCount(u16),
    /// More forced colours than the palette has room for.
    #[error(
        "quantize lists {forced} forced colours, but numColors={colors} leaves room for {room}"
    )]
    TooManyForced {
        /// Distinct forced colours.
        forced: usize,
        /// The requested `numColors`.
        colors: u16,
        /// Entries left after the transparent one.
        room: usize,
    },
    /// The pixel buffer does not match the size.
    #[error("pixel buffer of {len} bytes is not {width}x{height} RGBA")]
    BadBuffer {
        /// Buffer length in bytes.
        len: usize,
        /// Image width.
        width: u32,
        /// Image height.
        height: u32,
    },
}

/// The default `quantize=` value: `adaptive,diffuse,256`.
pub fn default_quantize() -> Quantize {
    Quantize {
        kind: QuantizeType::Adaptive,
        dither: Some(Dither::Diffuse),
        colors: Some(DEFAULT_COLORS),
        forced: Vec::new(),
    }
}

/// The 216 web-safe colours.
pub fn web_palette() -> Vec<[u8; 3]> {
    let mut out = Vec::with_capacity(216);
    for r in 0..6u8 {
        for g in 0..6u8 {
            for b in 0..6u8 {
                out.push([r * 51, g * 51, b * 51]);
            }
        }
    }
    out
}

/// The classic Mac OS 8-bit system palette, in its index order: white, the
/// 6×6×6 cube from light to dark without black, ten-step red, green, blue
/// and gray ramps of the levels the cube lacks, then black.
pub fn mac_palette() -> Vec<[u8; 3]> {
    const CUBE: [u8; 6] = [0xFF, 0xCC, 0x99, 0x66, 0x33, 0x00];
    const RAMP: [u8; 10] = [0xEE, 0xDD, 0xBB, 0xAA, 0x88, 0x77, 0x55, 0x44, 0x22, 0x11];
    let mut out = Vec::with_capacity(256);
    for r in CUBE {
        for g in CUBE {
            for b in CUBE {
                if [r, g, b] != [0, 0, 0] {
                    out.push([r, g, b]);
                }
            }
        }
    }
    out.extend(RAMP.iter().map(|&v| [v, 0, 0]));
    out.extend(RAMP.iter().map(|&v| [0, v, 0]));
    out.extend(RAMP.iter().map(|&v| [0, 0, v]));
    out.extend(RAMP.iter().map(|&v| [v, v, v]));
    out.push([0, 0, 0]);
    out
}

/// Reduces straight-alpha RGBA8 `pixels` to a palette image.
pub fn quantize(
    pixels: &[u8],
    width: u32,
    height: u32,
    spec: &Quantize,
    mode: AlphaMode,
) -> Result<Indexed, QuantizeError> {
    let count = width as usize * height as usize;
    if pixels.len() != count * 4 {
        return Err(QuantizeError::BadBuffer {
            len: pixels.len(),
            width,
            height,
        });
    }
    let colors = spec.colors.unwrap_or(DEFAULT_COLORS);
    if !(2..=256).contains(&colors) {
        return Err(QuantizeError::ColorCount(colors));
    }
    if spec.kind == QuantizeType::Mac && mode != AlphaMode::Opaque {
        return Err(QuantizeError::MacWithAlpha);
    }
    // Fixed palettes have no translucent entries: key their alpha instead.
    let mode = if mode == AlphaMode::Full && spec.kind != QuantizeType::Adaptive {
        AlphaMode::Key
    } else {
        mode
    };

    // Premultiplied working colours; `None` for pixels that become the
    // transparent entry.
    let work: Vec<Option<[u8; 4]>> = pixels
        .chunks_exact(4)
        .map(|p| working_colour([p[0], p[1], p[2], p[3]], mode))
        .collect();
    let has_clear = work.iter().any(Option::is_none);

    let mut forced: Vec<[u8; 4]> = Vec::new();
    for &[r, g, b] in &spec.forced {
        let c = [r, g, b, 255];
        if !forced.contains(&c) {
            forced.push(c);
        }
    }
    let room = usize::from(colors) - usize::from(has_clear);
    if forced.len() > room {
        return Err(QuantizeError::TooManyForced {
            forced: forced.len(),
            colors,
            room,
        });
    }
    let free = room - forced.len();

    let chosen: Vec<[u8; 4]> = match spec.kind {
        QuantizeType::Adaptive => adaptive(&work, free),
        QuantizeType::Web => most_used(&work, &web_palette(), free),
        QuantizeType::Mac => most_used(&work, &mac_palette(), free),
    };

    // Premultiplied entries: forced first, then the chosen ones not already in.
    let mut entries = forced;
    for c in chosen {
        if !entries.contains(&c) {
            entries.push(c);
        }
    }
    if entries.is_empty() {
        // A fully transparent image still needs an opaque entry for nothing;
        // keep the palette non-empty for encoders that insist.
        entries.push([0, 0, 0, 255]);
    }
    // Translucent entries first so a PNG tRNS chunk stays short.
    entries.sort_by_key(|c| c[3] == 255);

    let offset = usize::from(has_clear);
    let mut palette = Vec::with_capacity(entries.len() + offset);
    if has_clear {
        palette.push([0, 0, 0, 0]);
    }
    palette.extend(entries.iter().map(|&c| unpremultiply(c)));
    // Match against what is actually stored.
    let stored: Vec<[u8; 4]> = palette[offset..].iter().map(|&c| premultiply(c)).collect();

    let dither = spec.dither.unwrap_or(Dither::Diffuse) == Dither::Diffuse;
    let indices = map_pixels(&work, width as usize, &stored, offset, dither);
    Ok(Indexed {
        palette,
        indices,
        transparent: has_clear.then_some(0),
    })
}

/// The colour a pixel is matched by, or `None` for the transparent entry.
fn working_colour(p: [u8; 4], mode: AlphaMode) -> Option<[u8; 4]> {
    match mode {
        AlphaMode::Opaque => Some([p[0], p[1], p[2], 255]),
        AlphaMode::Key => (p[3] >= KEY_ALPHA_THRESHOLD).then_some([p[0], p[1], p[2], 255]),
        AlphaMode::Full => (p[3] > 0).then(|| premultiply(p)),
    }
}

fn premultiply(c: [u8; 4]) -> [u8; 4] {
    let a = u32::from(c[3]);
    let m = |v: u8| ((u32::from(v) * a + 127) / 255) as u8;
    [m(c[0]), m(c[1]), m(c[2]), c[3]]
}

fn unpremultiply(c: [u8; 4]) -> [u8; 4] {
    let a = u32::from(c[3]);
    if a == 0 {
        return [0, 0, 0, 0];
    }
    let u = |v: u8| ((u32::from(v) * 255 + a / 2) / a).min(255) as u8;
    [u(c[0]), u(c[1]), u(c[2]), c[3]]
}

/// An adaptive palette of at most `room` premultiplied colours.
fn adaptive(work: &[Option<[u8; 4]>], room: usize) -> Vec<[u8; 4]> {
    if room == 0 {
        return Vec::new();
    }
    if let Some(exact) = distinct_up_to(work, room) {
        return exact;
    }
    median_cut(work, room)
}

/// The image's distinct colours, when there are no more than `limit`.
fn distinct_up_to(work: &[Option<[u8; 4]>], limit: usize) -> Option<Vec<[u8; 4]>> {
    let mut seen: HashSet<[u8; 4]> = HashSet::new();
    let mut out = Vec::new();
    let mut last = None;
    for c in work.iter().flatten() {
        if last == Some(*c) {
            continue;
        }
        last = Some(*c);
        if seen.insert(*c) {
            if out.len() == limit {
                return None;
            }
            out.push(*c);
        }
    }
    Some(out)
}

/// Histogram bin: pixel count and per-channel sums and sums of squares.
#[derive(Clone, Copy, Default)]
struct Bin {
    count: u64,
    sum: [u64; 4],
    sq: [u64; 4],
}

impl Bin {
    fn add(&mut self, c: [u8; 4]) {
        self.count += 1;
        for (k, &v) in c.iter().enumerate() {
            let v = u64::from(v);
            self.sum[k] += v;
            self.sq[k] += v * v;
        }
    }

    fn merge(&mut self, o: &Bin) {
        self.count += o.count;
        for k in 0..4 {
            self.sum[k] += o.sum[k];
            self.sq[k] += o.sq[k];
        }
    }

    /// Sum of squared deviations from the mean, over all channels.
    fn sse(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let n = self.count as f64;
        (0..4)
            .map(|k| self.sq[k] as f64 - (self.sum[k] as f64).powi(2) / n)
            .sum()
    }

    fn mean(&self, k: usize) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum[k] as f64 / self.count as f64
        }
    }

    fn colour(&self) -> [u8; 4] {
        let m = |k: usize| self.mean(k).round().clamp(0.0, 255.0) as u8;
        [m(0), m(1), m(2), m(3)]
    }
}

/// A box of the median cut: a range of `order` and its totals.
struct CutBox {
    start: usize,
    end: usize,
    total: Bin,
    sse: f64,
}

/// Median cut that splits the box with the largest squared error, on its
/// widest-variance channel, where the two halves' error is least.
fn median_cut(work: &[Option<[u8; 4]>], room: usize) -> Vec<[u8; 4]> {
    // 5 bits per colour channel, 3 for alpha (constant unless `Full`).
    let key = |c: [u8; 4]| {
        (usize::from(c[0] >> 3) << 13)
            | (usize::from(c[1] >> 3) << 8)
            | (usize::from(c[2] >> 3) << 3)
            | usize::from(c[3] >> 5)
    };
    let mut slot = vec![u32::MAX; 1 << 18];
    let mut bins: Vec<Bin> = Vec::new();
    for c in work.iter().flatten() {
        let k = key(*c);
        let i = if slot[k] == u32::MAX {
            slot[k] = bins.len() as u32;
            bins.push(Bin::default());
            bins.len() - 1
        } else {
            slot[k] as usize
        };
        bins[i].add(*c);
    }
    if bins.is_empty() {
        return Vec::new();
    }

    let mut order: Vec<usize> = (0..bins.len()).collect();
    let make_box = |order: &[usize], start: usize, end: usize| {
        let mut total = Bin::default();
        for &i in &order[start..end] {
            total.merge(&bins[i]);
        }
        let sse = total.sse();
        CutBox {
            start,
            end,
            total,
            sse,
        }
    };
    let mut boxes = vec![make_box(&order, 0, bins.len())];
    while boxes.len() < room {
        let Some((bi, _)) = boxes
            .iter()
            .enumerate()
            .filter(|(_, b)| b.end - b.start > 1 && b.sse > 0.0)
            .max_by(|a, b| a.1.sse.total_cmp(&b.1.sse))
        else {
            break;
        };
        let (start, end) = (boxes[bi].start, boxes[bi].end);
        let total = boxes[bi].total;
        // The channel with the largest variance.
        let n = total.count as f64;
        let axis = (0..4)
            .map(|k| (k, total.sq[k] as f64 - (total.sum[k] as f64).powi(2) / n))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(0, |(k, _)| k);
        order[start..end].sort_by(|&a, &b| bins[a].mean(axis).total_cmp(&bins[b].mean(axis)));
        // The split point with the least total error.
        let mut left = Bin::default();
        let mut best = (start + 1, f64::INFINITY);
        for cut in start + 1..end {
            left.merge(&bins[order[cut - 1]]);
            let mut right = total;
            for k in 0..4 {
                right.sum[k] -= left.sum[k];
                right.sq[k] -= left.sq[k];
            }
            right.count -= left.count;
            let e = left.sse() + right.sse();
            if e < best.1 {
                best = (cut, e);
            }
        }
        let cut = best.0;
        boxes[bi] = make_box(&order, start, cut);
        boxes.push(make_box(&order, cut, end));
    }
    boxes.iter().map(|b| b.total.colour()).collect()
}

/// The `room` entries of a fixed palette that the most pixels are nearest to.
fn most_used(work: &[Option<[u8; 4]>], fixed: &[[u8; 3]], room: usize) -> Vec<[u8; 4]> {
    if room == 0 {
        return Vec::new();
    }
    let entries: Vec<[u8; 4]> = fixed.iter().map(|&[r, g, b]| [r, g, b, 255]).collect();
    let mut finder = Nearest::new(&entries);
    let mut uses = vec![0u64; entries.len()];
    let mut last: Option<([u8; 4], usize)> = None;
    for c in work.iter().flatten() {
        let i = match last {
            Some((lc, li)) if lc == *c => li,
            _ => finder.find([c[0].into(), c[1].into(), c[2].into(), c[3].into()]),
        };
        last = Some((*c, i));
        uses[i] += 1;
    }
    let mut ranked: Vec<usize> = (0..entries.len()).filter(|&i| uses[i] > 0).collect();
    ranked.sort_by(|&a, &b| uses[b].cmp(&uses[a]).then(a.cmp(&b)));
    ranked.truncate(room);
    ranked.into_iter().map(|i| entries[i]).collect()
}

/// Exact nearest-colour search (squared Euclidean distance over RGBA, ties
/// to the lower index), accelerated by a grid: colour space is cut into
/// cells of 16 levels per colour channel and 64 of alpha, and each cell
/// keeps, once first asked, the entries that can be nearest to some point in
/// it, sorted by their distance to the cell (Heckbert's locally sorted
/// search): a search stops at the first candidate that cannot beat the best
/// distance found, usually after a handful of the cell's entries.
struct Nearest {
    entries: Vec<[i32; 4]>,
    /// Per cell: the start and end of its candidates in `candidates`, or
    /// `None` before first use.
    cells: Vec<Option<(u32, u32)>>,
    /// Per candidate: the squared distance from its cell to the entry (a
    /// lower bound for every colour in the cell) and the entry's index.
    candidates: Vec<(i32, u16)>,
}

impl Nearest {
    const COLOUR_SHIFT: u32 = 4;
    const ALPHA_SHIFT: u32 = 6;

    fn new(entries: &[[u8; 4]]) -> Nearest {
        Nearest {
            entries: entries
                .iter()
                .map(|c| [c[0].into(), c[1].into(), c[2].into(), c[3].into()])
                .collect(),
            cells: vec![None; 1 << (3 * (8 - Self::COLOUR_SHIFT) + (8 - Self::ALPHA_SHIFT))],
            candidates: Vec::new(),
        }
    }

    /// The index of the entry nearest to `c`, each channel 0–255.
    fn find(&mut self, c: [i32; 4]) -> usize {
        let cell = self.cell_of(c);
        let (start, end) = match self.cells[cell] {
            Some(range) => range,
            None => self.fill(cell, c),
        };
        let mut best = (i32::MAX, 0usize);
        for &(near, i) in &self.candidates[start as usize..end as usize] {
            // No later candidate can be nearer; one exactly as near with a
            // lower index still wins the tie, so only a strictly farther
            // bound stops the search.
            if near > best.0 {
                break;
            }
            let i = usize::from(i);
            let e = &self.entries[i];
            let d: i32 = (0..4)
                .map(|k| {
                    let d = e[k] - c[k];
                    d * d
                })
                .sum();
            if d < best.0 || (d == best.0 && i < best.1) {
                best = (d, i);
            }
        }
        best.1
    }

    fn cell_of(&self, c: [i32; 4]) -> usize {
        let bits = 8 - Self::COLOUR_SHIFT;
        let q = |v: i32, shift: u32| (v.clamp(0, 255) >> shift) as usize;
        (q(c[0], Self::COLOUR_SHIFT) << (2 * bits + 8 - Self::ALPHA_SHIFT))
            | (q(c[1], Self::COLOUR_SHIFT) << (bits + 8 - Self::ALPHA_SHIFT))
            | (q(c[2], Self::COLOUR_SHIFT) << (8 - Self::ALPHA_SHIFT))
            | q(c[3], Self::ALPHA_SHIFT)
    }

    /// Finds the candidates of the cell holding `c`: every entry whose
    /// nearest distance to the cell is within the smallest farthest distance.
    fn fill(&mut self, cell: usize, c: [i32; 4]) -> (u32, u32) {
        let shifts = [
            Self::COLOUR_SHIFT,
            Self::COLOUR_SHIFT,
            Self::COLOUR_SHIFT,
            Self::ALPHA_SHIFT,
        ];
        let lo: [i32; 4] = std::array::from_fn(|k| (c[k].clamp(0, 255) >> shifts[k]) << shifts[k]);
        let hi: [i32; 4] = std::array::from_fn(|k| lo[k] + (1 << shifts[k]) - 1);
        let bounds: Vec<(i32, i32)> = self
            .entries
            .iter()
            .map(|e| {
                let mut near = 0;
                let mut far = 0;
                for k in 0..4 {
                    let d = if e[k] < lo[k] {
                        lo[k] - e[k]
                    } else if e[k] > hi[k] {
                        e[k] - hi[k]
                    } else {
                        0
                    };
                    near += d * d;
                    let f = (e[k] - lo[k]).abs().max((e[k] - hi[k]).abs());
                    far += f * f;
                }
                (near, far)
            })
            .collect();
        let limit = bounds.iter().map(|b| b.1).min().unwrap_or(0);
        let start = self.candidates.len();
        self.candidates.extend(
            bounds
                .iter()
                .enumerate()
                .filter(|(_, b)| b.0 <= limit)
                .map(|(i, b)| (b.0, i as u16)),
        );
        self.candidates[start..].sort_unstable();
        let range = (start as u32, self.candidates.len() as u32);
        self.cells[cell] = Some(range);
        range
    }
}

/// Maps working colours to palette indices, with optional Floyd–Steinberg
/// dithering. `stored` are the premultiplied non-transparent entries, at
/// palette index `offset + i`; `None` pixels get index 0 (transparent).
fn map_pixels(
    work: &[Option<[u8; 4]>],
    width: usize,
    stored: &[[u8; 4]],
    offset: usize,
    dither: bool,
) -> Vec<u8> {
    let mut finder = Nearest::new(stored);
    let mut indices = vec![0u8; work.len()];
    if width == 0 || stored.is_empty() {
        return indices;
    }
    let index_of = |i: usize| (i + offset) as u8;
    if !dither {
        let mut last: Option<([u8; 4], usize)> = None;
        for (out, c) in indices.iter_mut().zip(work) {
            let Some(c) = c else { continue };
            let i = match last {
                Some((lc, li)) if lc == *c => li,
                _ => finder.find([c[0].into(), c[1].into(), c[2].into(), c[3].into()]),
            };
            last = Some((*c, i));
            *out = index_of(i);
        }
        return indices;
    }

    // Errors in 1/16 units, with one column of padding on each side.
    let mut this_row = vec![[0i32; 4]; width + 2];
    let mut next_row = vec![[0i32; 4]; width + 2];
    for (y, row) in work.chunks(width).enumerate() {
        let forward = y % 2 == 0;
        for step in 0..row.len() {
            let x = if forward { step } else { row.len() - 1 - step };
            let Some(c) = row[x] else { continue };
            let e = this_row[x + 1];
            let target: [i32; 4] =
                std::array::from_fn(|k| (i32::from(c[k]) + e[k] / 16).clamp(0, 255));
            let i = finder.find(target);
            indices[y * width + x] = index_of(i);
            let chosen = stored[i];
            let err: [i32; 4] = std::array::from_fn(|k| target[k] - i32::from(chosen[k]));
            // Ahead in scan order, then below-behind, below, below-ahead.
            let (ahead, behind) = if forward { (x + 2, x) } else { (x, x + 2) };
            for k in 0..4 {
                this_row[ahead][k] += err[k] * 7;
                next_row[behind][k] += err[k] * 3;
                next_row[x + 1][k] += err[k] * 5;
                next_row[ahead][k] += err[k];
            }
        }
        std::mem::swap(&mut this_row, &mut next_row);
        next_row.iter_mut().for_each(|e| *e = [0; 4]);
    }
    indices
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: QuantizeType, dither: Dither, colors: u16, forced: Vec<[u8; 3]>) -> Quantize {
        Quantize {
            kind,
            dither: Some(dither),
            colors: Some(colors),
            forced,
        }
    }

    fn gradient(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        for y in 0..h {
            for x in 0..w {
                out.extend_from_slice(&[(x * 255 / w) as u8, (y * 255 / h) as u8, 128, 255]);
            }
        }
        out
    }

    /// The nearest entry by brute force: the definition `Nearest` must match.
    fn nearest_by_brute_force(entries: &[[u8; 4]], c: [i32; 4]) -> usize {
        let mut best = (i32::MAX, 0);
        for (i, e) in entries.iter().enumerate() {
            let d: i32 = (0..4).map(|k| (i32::from(e[k]) - c[k]).pow(2)).sum();
            if d < best.0 {
                best = (d, i);
            }
        }
        best.1
    }

    proptest::proptest! {
        /// The grid and its early stop change the speed, never the answer,
        /// ties included (repeated entries and a coarse palette make many).
        #[test]
        fn nearest_matches_brute_force(
            entries in proptest::collection::vec(
                proptest::array::uniform4(proptest::sample::select(vec![0u8, 1, 17, 64, 128, 200, 255])),
                1..256,
            ),
            colours in proptest::collection::vec(proptest::array::uniform4(0i32..256), 1..64),
        ) {
            let mut finder = Nearest::new(&entries);
            for c in colours {
                proptest::prop_assert_eq!(finder.find(c), nearest_by_brute_force(&entries, c));
            }
        }
    }

    #[test]
    fn fixed_palettes_have_their_documented_sizes() {
        let web = web_palette();
        assert_eq!(web.len(), 216);
        assert!(web.iter().flatten().all(|v| v % 51 == 0));
        let mac = mac_palette();
        assert_eq!(mac.len(), 256);
        assert_eq!(mac[0], [255, 255, 255]);
        assert_eq!(mac[255], [0, 0, 0]);
        let distinct: HashSet<_> = mac.iter().collect();
        assert_eq!(distinct.len(), 256);
    }

    #[test]
    fn few_colours_are_kept_exactly() {
        let px = [[10, 20, 30, 255], [200, 100, 0, 255], [10, 20, 30, 255]].concat();
        let q = quantize(&px, 3, 1, &default_quantize(), AlphaMode::Opaque).unwrap();
        assert_eq!(q.palette.len(), 2);
        assert_eq!(q.indices[0], q.indices[2]);
        assert_eq!(q.palette[usize::from(q.indices[1])], [200, 100, 0, 255]);
        assert_eq!(q.transparent, None);
    }

    #[test]
    fn adaptive_respects_num_colors_and_forced_colours() {
        let px = gradient(64, 48);
        for dither in [Dither::Diffuse, Dither::Off] {
            let forced = vec![[255, 0, 255], [0, 255, 0]];
            let s = spec(QuantizeType::Adaptive, dither, 16, forced);
            let q = quantize(&px, 64, 48, &s, AlphaMode::Opaque).unwrap();
            assert!(q.palette.len() <= 16, "{}", q.palette.len());
            assert!(q.palette.contains(&[255, 0, 255, 255]));
            assert!(q.palette.contains(&[0, 255, 0, 255]));
            assert!(q.indices.iter().all(|&i| usize::from(i) < q.palette.len()));
        }
    }

    #[test]
    fn median_cut_error_is_small_for_a_gradient() {
        let px = gradient(128, 96);
        let s = spec(QuantizeType::Adaptive, Dither::Off, 64, vec![]);
        let q = quantize(&px, 128, 96, &s, AlphaMode::Opaque).unwrap();
        let worst = px
            .chunks_exact(4)
            .zip(&q.indices)
            .map(|(p, &i)| {
                let e = q.palette[usize::from(i)];
                (0..3)
                    .map(|k| (i32::from(p[k]) - i32::from(e[k])).abs())
                    .max()
                    .unwrap_or(0)
            })
            .max()
            .unwrap();
        assert!(worst <= 24, "worst channel error {worst}");
    }

    #[test]
    fn web_palette_with_few_colours_keeps_the_most_used() {
        let px = gradient(32, 32);
        let s = spec(QuantizeType::Web, Dither::Diffuse, 8, vec![]);
        let q = quantize(&px, 32, 32, &s, AlphaMode::Opaque).unwrap();
        assert!(q.palette.len() <= 8);
        assert!(q.palette.iter().all(|c| c[..3].iter().all(|v| v % 51 == 0)));
    }

    #[test]
    fn key_alpha_uses_the_threshold() {
        let px = [[1, 2, 3, 127], [4, 5, 6, 128], [7, 8, 9, 0]].concat();
        let q = quantize(&px, 3, 1, &default_quantize(), AlphaMode::Key).unwrap();
        assert_eq!(q.transparent, Some(0));
        assert_eq!(q.indices[0], 0);
        assert_eq!(q.indices[2], 0);
        assert_eq!(q.palette[usize::from(q.indices[1])], [4, 5, 6, 255]);
    }

    #[test]
    fn full_alpha_keeps_translucent_entries_first() {
        let px = [[255, 0, 0, 255], [0, 0, 255, 100], [9, 9, 9, 0]].concat();
        let q = quantize(&px, 3, 1, &default_quantize(), AlphaMode::Full).unwrap();
        assert_eq!(q.palette[0], [0, 0, 0, 0]);
        assert_eq!(q.indices[2], 0);
        let translucent = q.palette[usize::from(q.indices[1])];
        assert_eq!(translucent[3], 100);
        assert_eq!(translucent[2], 255);
        assert_eq!(q.palette.last(), Some(&[255, 0, 0, 255]));
    }

    #[test]
    fn errors_name_the_problem() {
        let px = gradient(4, 4);
        let mac = spec(QuantizeType::Mac, Dither::Off, 256, vec![]);
        assert_eq!(
            quantize(&px, 4, 4, &mac, AlphaMode::Key),
            Err(QuantizeError::MacWithAlpha)
        );
        let few = spec(
            QuantizeType::Adaptive,
            Dither::Off,
            2,
            vec![[1, 1, 1], [2, 2, 2], [3, 3, 3]],
        );
        assert!(matches!(
            quantize(&px, 4, 4, &few, AlphaMode::Opaque),
            Err(QuantizeError::TooManyForced { .. })
        ));
        let one = spec(QuantizeType::Adaptive, Dither::Off, 1, vec![]);
        assert_eq!(
            quantize(&px, 4, 4, &one, AlphaMode::Opaque),
            Err(QuantizeError::ColorCount(1))
        );
        assert!(matches!(
            quantize(&px[..8], 4, 4, &one, AlphaMode::Opaque),
            Err(QuantizeError::BadBuffer { .. })
        ));
    }

    #[test]
    fn mac_palette_maps_opaque_images() {
        let px = gradient(16, 16);
        let s = spec(QuantizeType::Mac, Dither::Diffuse, 256, vec![]);
        let q = quantize(&px, 16, 16, &s, AlphaMode::Opaque).unwrap();
        let mac: HashSet<[u8; 3]> = mac_palette().into_iter().collect();
        assert!(q.palette.iter().all(|c| mac.contains(&[c[0], c[1], c[2]])));
    }
}
