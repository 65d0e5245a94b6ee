//! Text layers (`text=`, `textPs=`, §3.7 and §4.6): an RTF subset rendered
//! with the embedded DejaVu fonts into a [`Canvas`].
//!
//! This module owns the way from a text value to pixels: [`rtf`] reads the
//! value into styled paragraphs, [`layout`] breaks them into lines of
//! positioned glyphs, [`raster`] draws the glyphs with `ab_glyph`, and
//! [`fonts`] holds the faces. The caller (the layer pipeline) places the
//! returned canvas, fills `color=` behind it and applies `rotate`, `extend`
//! and the rest.
//!
//! It must never panic or allocate without bound on any input: text comes
//! from untrusted URLs. Every size is checked against [`TextLimits`] before
//! a pixel is allocated, and the value is refused ([`TextError::TooLong`])
//! before it is parsed when it is too long. It never reads fonts, or any
//! file, from the machine: the fonts are compiled in from `fonts/`. It does
//! no I/O and nothing async.
//!
//! # What is supported
//!
//! *Plain text* (a value not starting with `{\`) is UTF-8 in DejaVu Sans,
//! 12 pt, black, left aligned. LF, CR and CRLF end a paragraph and TAB is a
//! tab (the protocol asks clients to remove them; we do not fail on them).
//! Other control characters are dropped.
//!
//! *RTF*: groups with state push and pop; control words with their numeric
//! parameter and delimiting space; `\\`, `\{`, `\}`, `\~` (no-break space),
//! `\_` (hyphen), `\-` (ignored), `\'hh` (Windows-1252 whatever `\ansicpg`
//! says), `\uN` (negative N wraps, surrogate pairs are joined) skipping
//! `\ucN` fallback characters (default 1), `\bin`. Characters: `\par`,
//! `\line`, `\tab`, `\emdash`, `\endash`, `\emspace`, `\enspace`,
//! `\qmspace`, `\bullet`, `\lquote`, `\rquote`, `\ldblquote`, `\rdblquote`.
//! Character formatting: `\plain`, `\f` (with `\fonttbl` and `\deff`), `\fs`
//! (half-points, 1 ..= 2000), `\b`, `\i`, `\ul` and its variants (all drawn
//! as a single underline), `\ulnone`, `\strike`, `\cf` (with `\colortbl`,
//! `\cmykcolortbl`, and for `textPs=` `\*\iscolortbl` first; index 0, "auto"
//! and missing entries are black), `\super`, `\sub`, `\nosupersub`, `\up`,
//! `\dn`, and for `textPs=` `\caps`. Paragraphs: `\pard`, `\ql`, `\qc`,
//! `\qr`, `\sb`, `\sa`, `\sl` (with `\slmult`), and for `textPs=` `\qj`,
//! `\li`, `\ri`, `\fi`. Document: `\deftab`, `\vertalt`/`c`/`b`/`j` (fixed
//! boxes), and for `textPs=` `\margl`, `\margt`, `\margr`, `\margb` (twips,
//! boxes only). Destinations skipped whole: `{\*…}` of any unknown kind,
//! `\stylesheet`, `\info`, `\pict`, headers, footers, fields' `\fldinst`
//! and the other document-level tables. Every other control word is
//! ignored, never printed: `\expndtw`, `\kerning`, `\lang`, `\scaps`,
//! `\tx`, `\copyfit*`…
//!
//! *Fonts*: `\fonttbl` names map onto DejaVu Sans, Serif or Sans Mono
//! ([`Family::for_name`]); bold and italic use the real faces where we
//! ship them and are synthesised otherwise (Serif bold italic, Mono bold and
//! italic). A character a face lacks comes from DejaVu Sans.
//!
//! # Layout
//!
//! Text is measured in points at the `textAttr` resolution, 1 pt =
//! `res / 72` layer pixels, times [`TextRequest::scale`] to output pixels.
//! Em sizes are capped at [`TextLimits::max_em_px`] (2000 px by default).
//! Lines break greedily after spaces, hyphens and dashes, around CJK
//! ideographs, and with `wrap` (not `nbWrap`) after no-break spaces; a word
//! wider than the box is broken between characters. `noWrap` never breaks.
//! A line is as tall as ascent + descent + line gap of its largest font;
//! trailing spaces do not count towards its width.
//!
//! * Point text (no `size=`, or a zero width): no wrapping; the layer is the
//!   widest line by the text height. `\ql` runs right from the origin, `\qr`
//!   left and `\qc` is centred on it; [`TextLayer::baseline_origin`] is that
//!   point on the first baseline. `text=` allows only one alignment then
//!   ([`TextError::MixedAlignment`]); `textPs=` ignores `\qj` and `\marg*`.
//! * A fixed box (`size=w,h`): glyphs may overhang and are clipped at the
//!   canvas. `textPs=` draws only the lines that fit entirely.
//! * A variable-height box (`size=w,0`): the height is the text height.
//!
//! `text=` adds a top margin of [`TEXT_TOP_MARGIN_EM`] and moves glyphs that
//! rise above the first line (or hang out of a self-sized layer) inside, so
//! nothing is cut; in a fixed box only the vertical shift applies.
//! `textPs=` puts the top of the first line's character cell at the box top.
//!
//! `textAttr` anti-aliasing `off` thresholds coverage at 50%; `norm`,
//! `crisp`, `sharp`, `strong` and `smooth` all use exact area coverage.
//! `autoRes` and `maxRes` are honoured for `text=` with a full `size=`
//! (by searching the resolution at which the text fits); `textPs=` and the
//! other models use the given resolution, as the protocol says.

pub mod fonts;
mod layout;
mod raster;
mod rtf;

use ab_glyph_rasterizer::Rasterizer;

pub use fonts::{Family, FamilyHint, FontSet};

use crate::protocol::ast::{AntiAlias, TextAttr, TextResMode, TextWrap};
use crate::render::Canvas;
use layout::{Ctx, Laid};
use raster::{Bounds, GlyphJob, Outlines};
use rtf::VAlign;

/// The top margin `text=` adds above the first line, in ems of the first
/// line's largest font: 1 pt at 12 pt.
pub const TEXT_TOP_MARGIN_EM: f64 = 1.0 / 12.0;

/// Bounds on the work one text layer may cause. Every field is a limit on
/// untrusted input; the defaults suit a public server.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextLimits {
    /// Longest value, in bytes (the configured `max_text_len`, 8192).
    pub max_bytes: usize,
    /// Most lines after wrapping (1000).
    pub max_lines: usize,
    /// Largest em size in output pixels; larger fonts are clamped (2000).
    pub max_em_px: f32,
    /// Most pixels in the returned canvas (16 Mpx, 64 MiB of RGBA).
    pub max_pixels: u64,
    /// Longest side of the returned canvas (32768).
    pub max_side: u32,
    /// Most raster pixels spent on glyphs, summed over the glyphs that show
    /// (32 Mpx, about a quarter second): bounds the time a text of stacked
    /// huge glyphs can take. Checked before anything is drawn.
    pub max_glyph_pixels: u64,
}

impl Default for TextLimits {
    fn default() -> TextLimits {
        TextLimits {
            max_bytes: 8192,
            max_lines: 1000,
            max_em_px: 2000.0,
            max_pixels: 16 * 1024 * 1024,
            max_side: 32_768,
            max_glyph_pixels: 32 * 1024 * 1024,
        }
    }
}

/// One text layer to render.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextRequest<'a> {
    /// The `text=`/`textPs=` value as parsed (percent-decoded, verbatim).
    pub rtf: &'a str,
    /// `textPs=` (Photoshop-like) rather than `text=` (Wordpad-like).
    pub ps: bool,
    /// `size=w,h` in layer pixels: `h == 0` is a variable-height box,
    /// `None` (or `w == 0`) point text.
    pub box_size: Option<(u32, u32)>,
    /// `textAttr=`; missing parts take their defaults `norm`, `fixedRes`,
    /// `wrap`.
    pub attr: TextAttr,
    /// Layer pixels to output pixels (must be finite and > 0).
    pub scale: f64,
}

impl<'a> TextRequest<'a> {
    /// A `text=` request with `textAttr=72,norm,fixedRes,wrap`, scale 1 and
    /// point text.
    pub fn new(rtf: &'a str) -> TextRequest<'a> {
        TextRequest {
            rtf,
            ps: false,
            box_size: None,
            attr: TextAttr {
                resolution: 72,
                anti_alias: None,
                res_mode: None,
                wrap: None,
            },
            scale: 1.0,
        }
    }
}

/// Which §4.6 model a request uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextModel {
    /// No `size=`: sized to the text.
    Point,
    /// `size=w,h`.
    FixedBox,
    /// `size=w,0`.
    VariableHeight,
}

/// A rendered text layer.
#[derive(Clone, Debug, PartialEq)]
pub struct TextLayer {
    /// The text over transparency, in output pixels.
    pub canvas: Canvas,
    /// The alignment point of the first line on its baseline, in canvas
    /// pixels: for point text the layer's default origin (§4.6: "first line
    /// just above the origin"); for boxes the left end of the first line.
    pub baseline_origin: (f64, f64),
    pub model: TextModel,
    /// Lines drawn.
    pub lines: usize,
    /// The resolution used, in dpi: `textAttr`'s, or the one `autoRes` or
    /// `maxRes` chose.
    pub resolution: f64,
}

/// Why a text layer cannot be rendered. All are the request's fault except
/// [`TextError::Font`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TextError {
    #[error("text is {bytes} bytes long; at most {max} are allowed")]
    TooLong { bytes: usize, max: usize },
    #[error("text has {lines} lines; at most {max} are allowed")]
    TooManyLines { lines: usize, max: usize },
    #[error("text layer of {width}x{height} pixels exceeds the limit of {max_pixels} pixels")]
    TooLarge {
        width: u64,
        height: u64,
        max_pixels: u64,
    },
    #[error("text needs more than {max} pixels of glyph rasterisation")]
    TooComplex { max: u64 },
    #[error("invalid text scale or resolution: {0}")]
    InvalidScale(f64),
    #[error(
        "text= without a height in size= allows only one of \\ql, \\qc and \\qr for all paragraphs"
    )]
    MixedAlignment,
    #[error("embedded font {0} cannot be read")]
    Font(String),
}

/// Renders a text layer within the default [`TextLimits`].
pub fn render_text(req: &TextRequest<'_>, fonts: &FontSet) -> Result<TextLayer, TextError> {
    render_text_limited(req, fonts, &TextLimits::default())
}

/// Renders a text layer within the given limits.
pub fn render_text_limited(
    req: &TextRequest<'_>,
    fonts: &FontSet,
    limits: &TextLimits,
) -> Result<TextLayer, TextError> {
    let limits = *limits;
    if fonts.is_empty() {
        return Err(TextError::Font(
            "the embedded fonts could not be loaded".to_owned(),
        ));
    }
    if req.rtf.len() > limits.max_bytes {
        return Err(TextError::TooLong {
            bytes: req.rtf.len(),
            max: limits.max_bytes,
        });
    }
    if !(req.scale.is_finite() && req.scale > 0.0) {
        return Err(TextError::InvalidScale(req.scale));
    }
    let resolution = f64::from(req.attr.resolution);
    let px_per_pt = resolution / 72.0 * req.scale;
    if !(px_per_pt.is_finite() && px_per_pt > 0.0 && px_per_pt < 1.0e6) {
        return Err(TextError::InvalidScale(px_per_pt));
    }
    let doc = rtf::parse(req.rtf, req.ps);
    if doc.paragraphs.len() > limits.max_lines {
        return Err(TextError::TooManyLines {
            lines: doc.paragraphs.len(),
            max: limits.max_lines,
        });
    }
    let model = match req.box_size {
        None | Some((0, _)) => TextModel::Point,
        Some((_, 0)) => TextModel::VariableHeight,
        Some(_) => TextModel::FixedBox,
    };
    if !req.ps && model != TextModel::FixedBox {
        let mut aligns = doc
            .paragraphs
            .iter()
            .filter(|p| !p.items.is_empty())
            .map(|p| p.props.align);
        if let Some(first) = aligns.next()
            && aligns.any(|a| a != first)
        {
            return Err(TextError::MixedAlignment);
        }
    }

    // The canvas width of boxes, and the margins (`textPs=` boxes only).
    let box_px = req.box_size.map(|(w, h)| {
        (
            (f64::from(w) * req.scale).round().max(1.0),
            (f64::from(h) * req.scale).round().max(1.0),
        )
    });
    let margins = if req.ps && model != TextModel::Point {
        doc.margins
            .map(|twips| (f64::from(twips) / 20.0 * px_per_pt) as f32)
    } else {
        [0.0; 4]
    };
    if let Some((w, h)) = box_px {
        let h = if model == TextModel::VariableHeight {
            1.0
        } else {
            h
        };
        check_size(w, h, &limits)?;
    }
    let inner_width = match model {
        TextModel::Point => None,
        _ => box_px.map(|(w, _)| (w as f32 - margins[0] - margins[2]).max(0.0)),
    };
    let wrap_mode = req.attr.wrap.unwrap_or(TextWrap::Wrap);
    let make_ctx = |px_per_pt: f64| Ctx {
        fonts,
        px_per_pt: px_per_pt as f32,
        max_em_px: limits.max_em_px,
        width: inner_width,
        wrap: wrap_mode != TextWrap::NoWrap,
        break_at_nbsp: wrap_mode == TextWrap::Wrap,
    };
    let top_margin_em = if req.ps { 0.0 } else { TEXT_TOP_MARGIN_EM };
    let top_margin = |laid: &Laid| {
        laid.lines
            .first()
            .map_or(0.0, |l| (f64::from(l.em) * top_margin_em) as f32)
    };

    // autoRes / maxRes: text= with a full size only.
    let res_mode = req.attr.res_mode.unwrap_or(TextResMode::FixedRes);
    let mut px_per_pt = px_per_pt;
    if !req.ps
        && model == TextModel::FixedBox
        && res_mode != TextResMode::FixedRes
        && let Some((_, box_h)) = box_px
    {
        let fits = |p: f64| {
            let laid = layout::layout(&doc, &make_ctx(p));
            !laid.overflow && f64::from(laid.height + top_margin(&laid)) <= box_h + 0.5
        };
        px_per_pt = fit_resolution(px_per_pt, res_mode == TextResMode::AutoRes, fits);
    }
    let ctx = make_ctx(px_per_pt);
    let laid = layout::layout(&doc, &ctx);
    if laid.lines.len() > limits.max_lines {
        return Err(TextError::TooManyLines {
            lines: laid.lines.len(),
            max: limits.max_lines,
        });
    }

    // Glyph jobs in text coordinates: x from the inner left edge (boxes) or
    // the origin (point text), y from the top of the text.
    let mut outlines = Outlines::new(fonts);
    let jobs = glyph_jobs(&laid);
    let text_height = laid.height;
    let mut ink: Option<Bounds> = None;
    if !req.ps {
        for job in &jobs {
            if let Some(b) = outlines.ink(job) {
                ink = Some(ink.map_or(b, |i| i.union(b)));
            }
        }
    }
    let top_margin = top_margin(&laid);
    // How far text= moves everything down: its margin plus whatever rises
    // above the first line.
    let lift = if req.ps {
        0.0
    } else {
        top_margin + ink.map_or(0.0, |i| (-i.y0).max(0.0))
    };
    let ink_below = ink.map_or(0.0, |i| (i.y1 - text_height).max(0.0));

    let (width, height, dx, dy) = match (model, box_px) {
        (TextModel::FixedBox, Some((w, h))) => {
            let inner_h = h as f32 - margins[1] - margins[3];
            let free = inner_h - text_height;
            let valign = match doc.valign {
                VAlign::Top => 0.0,
                VAlign::Center => free / 2.0,
                VAlign::Bottom => free,
            };
            (w, h, margins[0], margins[1] + valign.max(lift))
        }
        (TextModel::VariableHeight, Some((w, _))) => {
            let h = f64::from(margins[1] + lift + text_height + ink_below + margins[3]);
            (w, h.ceil().max(1.0), margins[0], margins[1] + lift)
        }
        _ => {
            let mut left = laid.lines.iter().map(|l| l.x).fold(f32::INFINITY, f32::min);
            let mut right = laid
                .lines
                .iter()
                .map(|l| l.x + l.width)
                .fold(f32::NEG_INFINITY, f32::max);
            if let Some(i) = ink {
                left = left.min(i.x0);
                right = right.max(i.x1);
            }
            if !left.is_finite() || !right.is_finite() {
                (left, right) = (0.0, 0.0);
            }
            let w = f64::from(right - left).ceil().max(1.0);
            let h = f64::from(lift + text_height + ink_below).ceil().max(1.0);
            (w, h, -left, lift)
        }
    };
    check_size(width, height, &limits)?;
    let mut canvas = Canvas::transparent(width as u32, height as u32);

    // textPs= in a fixed box draws only the lines that fit.
    let bottom_limit = if req.ps && model == TextModel::FixedBox {
        Some(height as f32 - margins[3] + 0.5)
    } else {
        None
    };
    let visible = laid
        .lines
        .iter()
        .take_while(|l| bottom_limit.is_none_or(|b| dy + l.top + l.height <= b))
        .count();

    // Place the glyphs and price them before drawing any.
    let placed: Vec<GlyphJob> = jobs
        .iter()
        .filter(|j| j.line < visible)
        .map(|j| GlyphJob {
            x: j.x + dx,
            baseline: j.baseline + dy,
            ..j.glyph
        })
        .collect();
    let (cw, ch) = canvas.size();
    let cost = placed
        .iter()
        .map(|g| outlines.cost(g, cw, ch))
        .fold(0u64, u64::saturating_add);
    if cost > limits.max_glyph_pixels {
        return Err(TextError::TooComplex {
            max: limits.max_glyph_pixels,
        });
    }
    let aliased = req.attr.anti_alias == Some(AntiAlias::Off);
    let mut rasterizer = Rasterizer::new(0, 0);
    for g in &placed {
        outlines.draw(&mut canvas, g, aliased, &mut rasterizer);
    }
    for line in laid.lines.iter().take(visible) {
        for bar in decorations(line) {
            let (rect, color) = bar;
            let rect = Bounds {
                x0: rect.x0 + dx,
                x1: rect.x1 + dx,
                y0: rect.y0 + dy,
                y1: rect.y1 + dy,
            };
            raster::fill_rect(&mut canvas, rect, color, aliased);
        }
    }

    let baseline_origin = laid
        .lines
        .first()
        .map_or((f64::from(dx), f64::from(dy)), |l| {
            let x = match model {
                TextModel::Point => 0.0,
                _ => l.x,
            };
            (f64::from(x + dx), f64::from(dy + l.top + l.baseline))
        });
    Ok(TextLayer {
        canvas,
        baseline_origin,
        model,
        lines: visible,
        resolution: px_per_pt * 72.0 / req.scale,
    })
}

fn check_size(width: f64, height: f64, limits: &TextLimits) -> Result<(), TextError> {
    let too_large = || TextError::TooLarge {
        width: width.clamp(0.0, u64::MAX as f64) as u64,
        height: height.clamp(0.0, u64::MAX as f64) as u64,
        max_pixels: limits.max_pixels,
    };
    if !(width.is_finite() && height.is_finite()) {
        return Err(too_large());
    }
    let side = f64::from(limits.max_side);
    if width > side || height > side || width * height > limits.max_pixels as f64 {
        return Err(too_large());
    }
    Ok(())
}

/// The largest pixels-per-point at which `fits` holds: below `start` for
/// `maxRes`, anywhere for `autoRes`. Falls back to the smallest tried.
fn fit_resolution(start: f64, grow: bool, fits: impl Fn(f64) -> bool) -> f64 {
    const STEPS: usize = 20;
    let (mut lo, mut hi);
    if fits(start) {
        if !grow {
            return start;
        }
        lo = start;
        hi = start * 2.0;
        let mut doublings = 0;
        while fits(hi) {
            lo = hi;
            hi *= 2.0;
            doublings += 1;
            if doublings >= STEPS || hi > 1.0e5 {
                return lo;
            }
        }
    } else {
        hi = start;
        lo = start / 2.0;
        let mut halvings = 0;
        while !fits(lo) {
            hi = lo;
            lo /= 2.0;
            halvings += 1;
            if halvings >= STEPS {
                return lo;
            }
        }
    }
    // fits(lo) and !fits(hi): bisect.
    for _ in 0..STEPS {
        let mid = (lo + hi) / 2.0;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// A glyph job tagged with its line.
struct LineGlyph {
    line: usize,
    glyph: GlyphJob,
}

impl std::ops::Deref for LineGlyph {
    type Target = GlyphJob;
    fn deref(&self) -> &GlyphJob {
        &self.glyph
    }
}

fn glyph_jobs(laid: &Laid) -> Vec<LineGlyph> {
    let mut jobs = Vec::new();
    for (n, line) in laid.lines.iter().enumerate() {
        for item in &line.items {
            let Some((choice, id)) = item.glyph else {
                continue;
            };
            if item.space || item.trailing {
                continue;
            }
            jobs.push(LineGlyph {
                line: n,
                glyph: GlyphJob {
                    choice,
                    id,
                    x: line.x + item.x,
                    baseline: line.top + line.baseline - item.rise,
                    em_px: item.em_px,
                    color: item.style.color,
                },
            });
        }
    }
    jobs
}

/// Underline and strike-through bars of a line, in text coordinates.
/// Neighbouring items with the same look share one bar, so no seams show.
fn decorations(line: &layout::Line) -> Vec<(Bounds, [u8; 4])> {
    let mut bars: Vec<(Bounds, [u8; 4])> = Vec::new();
    let baseline = line.top + line.baseline;
    for strike in [false, true] {
        let mut open: Option<(Bounds, [u8; 4], f32, f32)> = None;
        for item in line.items.iter().filter(|i| !i.trailing) {
            let on = if strike {
                item.style.strike
            } else {
                item.style.underline
            };
            let x0 = line.x + item.x;
            let x1 = x0 + item.advance;
            if let Some((bar, color, em, rise)) = open.as_mut()
                && on
                && *color == item.style.color
                && *em == item.em_px
                && *rise == item.rise
                && (x0 - bar.x1).abs() < 0.5
            {
                bar.x1 = x1;
                continue;
            }
            if let Some((bar, color, _, _)) = open.take() {
                bars.push((bar, color));
            }
            if on {
                let y = baseline - item.rise;
                let bar = if strike {
                    raster::strike(x0, x1, y, item.em_px)
                } else {
                    raster::underline(x0, x1, y, item.em_px)
                };
                open = Some((bar, item.style.color, item.em_px, item.rise));
            }
        }
        if let Some((bar, color, _, _)) = open {
            bars.push((bar, color));
        }
    }
    bars
}
