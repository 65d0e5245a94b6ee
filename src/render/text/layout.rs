//! Line layout: styled paragraphs → lines of positioned glyphs, in pixels.
//!
//! It owns shaping (one glyph per character, advances and pair kerning from
//! the font's `kern` table), greedy line breaking, line heights, paragraph
//! spacing and horizontal alignment. It never touches pixels and never
//! allocates more than a small constant per input character.

use ab_glyph::{Font, GlyphId};

use super::fonts::{FaceChoice, FontSet};
use super::rtf::{Align, Document, ItemKind, Paragraph, Script, Style};

/// Synthetic bold: the outline is smeared sideways by this fraction of the
/// em, and the advance grows by as much.
pub(crate) const SYNTH_BOLD_EM: f32 = 0.04;
/// Synthetic italic: horizontal shear per unit of height (tan 12°).
pub(crate) const SYNTH_ITALIC_SHEAR: f32 = 0.2126;
/// Superscript and subscript size, relative to the run's size.
const SCRIPT_SIZE: f32 = 2.0 / 3.0;
/// Superscript rise and subscript drop, in ems of the run's size.
const SUPER_RISE_EM: f32 = 0.35;
const SUB_DROP_EM: f32 = 0.15;

/// What the layout needs to know besides the document.
pub(crate) struct Ctx<'f> {
    pub fonts: &'f FontSet,
    /// Pixels per point: `res / 72 × scale`.
    pub px_per_pt: f32,
    /// Largest em size in pixels; bigger font sizes are clamped to it.
    pub max_em_px: f32,
    /// Width available to lines (the box's inner width), or `None` for point
    /// text, which has no width and never wraps.
    pub width: Option<f32>,
    /// Whether lines break when they are too wide (`textAttr` `wrap`/`nbWrap`).
    pub wrap: bool,
    /// Whether a no-break space is a break opportunity (`wrap`, not `nbWrap`).
    pub break_at_nbsp: bool,
}

impl Ctx<'_> {
    /// Twips to pixels.
    pub fn twips(&self, twips: i32) -> f32 {
        twips as f32 / 20.0 * self.px_per_pt
    }
}

/// One laid-out item of a line.
#[derive(Clone, Debug)]
pub(crate) struct Placed {
    /// The glyph, `None` for tabs and characters without an outline.
    pub glyph: Option<(FaceChoice, GlyphId)>,
    /// Left edge from the line's left edge (before alignment), in pixels.
    pub x: f32,
    pub advance: f32,
    pub em_px: f32,
    /// Baseline shift, pixels up.
    pub rise: f32,
    pub style: Style,
    pub space: bool,
    /// After the last visible item: not drawn (no underline either).
    pub trailing: bool,
}

/// One line of text.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub items: Vec<Placed>,
    /// Advance width without trailing spaces.
    pub width: f32,
    /// Left edge: from the inner left edge of the box, or from the origin
    /// for point text.
    pub x: f32,
    /// Top, from the top of the text.
    pub top: f32,
    pub height: f32,
    /// Baseline, from the line's top.
    pub baseline: f32,
    /// The largest em size on the line, in pixels.
    pub em: f32,
}

/// A laid-out document.
#[derive(Clone, Debug)]
pub(crate) struct Laid {
    pub lines: Vec<Line>,
    /// Total height, paragraph spacing included.
    pub height: f32,
    /// Some line is wider than the box, or a word had to be broken.
    pub overflow: bool,
}

/// A character with its glyph and measures, before line breaking.
struct Shaped {
    kind: ItemKind,
    glyph: Option<(FaceChoice, GlyphId)>,
    /// The face whose metrics give the line height.
    metrics: FaceChoice,
    advance: f32,
    em_px: f32,
    /// Pixels per font unit.
    unit: f32,
    rise: f32,
    style: Style,
    space: bool,
    break_after: bool,
    break_before: bool,
}

/// Lays out every paragraph.
pub(crate) fn layout(doc: &Document, ctx: &Ctx<'_>) -> Laid {
    let mut lines = Vec::new();
    let mut y = 0.0f32;
    let mut overflow = false;
    let tab = ctx.twips(doc.tab_twips).max(1.0);
    for paragraph in &doc.paragraphs {
        y += ctx.twips(paragraph.props.before);
        let (par_lines, par_overflow) = paragraph_lines(paragraph, ctx, tab, &mut y);
        overflow |= par_overflow;
        lines.extend(par_lines);
        y += ctx.twips(paragraph.props.after);
    }
    Laid {
        lines,
        height: y,
        overflow,
    }
}

fn em_px(style: &Style, ctx: &Ctx<'_>) -> (f32, f32) {
    let full = (style.half_points as f32 / 2.0 * ctx.px_per_pt).min(ctx.max_em_px);
    let (size, script_rise) = match style.script {
        Script::None => (full, 0.0),
        Script::Super => (full * SCRIPT_SIZE, full * SUPER_RISE_EM),
        Script::Sub => (full * SCRIPT_SIZE, -full * SUB_DROP_EM),
    };
    let raise = (style.raise as f32 / 2.0 * ctx.px_per_pt).clamp(-ctx.max_em_px, ctx.max_em_px);
    (size, script_rise + raise)
}

fn units_per_em(ctx: &Ctx<'_>, choice: FaceChoice) -> f32 {
    ctx.fonts
        .face(choice.face)
        .and_then(|f| f.units_per_em())
        .filter(|u| *u > 0.0)
        .unwrap_or(2048.0)
}

fn shape(paragraph: &Paragraph, ctx: &Ctx<'_>) -> Vec<Shaped> {
    paragraph
        .items
        .iter()
        .map(|item| {
            let style = item.style;
            let choice = FontSet::choose(style.family, style.bold, style.italic);
            let (em, rise) = em_px(&style, ctx);
            let mut shaped = Shaped {
                kind: item.kind,
                glyph: None,
                metrics: choice,
                advance: 0.0,
                em_px: em,
                unit: em / units_per_em(ctx, choice),
                rise,
                style,
                space: false,
                break_after: false,
                break_before: false,
            };
            if let ItemKind::Char(c) = item.kind {
                let (face, id) = ctx.fonts.glyph(choice, c);
                let unit = em / units_per_em(ctx, face);
                let advance = ctx
                    .fonts
                    .face(face.face)
                    .map_or(0.0, |f| f.h_advance_unscaled(id) * unit);
                let bold = if face.synth_bold {
                    SYNTH_BOLD_EM * em
                } else {
                    0.0
                };
                shaped.glyph = Some((face, id));
                shaped.unit = unit;
                shaped.advance = advance + bold;
                shaped.space = c == ' ' || c == '\u{3000}';
                shaped.break_after = shaped.space
                    || (c == '\u{a0}' && ctx.break_at_nbsp)
                    || matches!(c, '-' | '\u{2010}' | '\u{2013}' | '\u{2014}')
                    || is_cjk(c);
                shaped.break_before = is_cjk(c);
            }
            shaped
        })
        .collect()
}

/// Ideographs and syllables that may break anywhere.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2e80}'..='\u{9fff}' | '\u{ac00}'..='\u{d7af}' | '\u{f900}'..='\u{faff}'
        | '\u{ff00}'..='\u{ffef}' | '\u{20000}'..='\u{2fa1f}')
}

/// Kerning between two neighbouring glyphs of one face and size.
fn kern(ctx: &Ctx<'_>, prev: Option<&Shaped>, cur: &Shaped) -> f32 {
    let (Some(prev), Some((face, id))) = (prev, cur.glyph) else {
        return 0.0;
    };
    let Some((prev_face, prev_id)) = prev.glyph else {
        return 0.0;
    };
    if prev_face.face != face.face || prev.em_px != cur.em_px {
        return 0.0;
    }
    ctx.fonts
        .face(face.face)
        .map_or(0.0, |f| f.kern_unscaled(prev_id, id) * cur.unit)
}

/// Width of a tab at `x`: to the next multiple of the tab interval.
fn tab_advance(x: f32, tab: f32) -> f32 {
    let next = ((x / tab).floor() + 1.0) * tab;
    (next - x).max(0.0)
}

/// Breaks one paragraph into lines, placing them from `*y` down.
fn paragraph_lines(
    paragraph: &Paragraph,
    ctx: &Ctx<'_>,
    tab: f32,
    y: &mut f32,
) -> (Vec<Line>, bool) {
    let shaped = shape(paragraph, ctx);
    let props = paragraph.props;
    let left = ctx.twips(props.left);
    let right = ctx.twips(props.right);
    let first_indent = ctx.twips(props.first);
    let mut lines = Vec::new();
    let mut overflow = false;
    let mut start = 0;
    let mut first = true;
    loop {
        let indent = if first { left + first_indent } else { left };
        let avail = ctx.width.map(|w| w - indent - right);
        let limit = avail.filter(|_| ctx.wrap);
        // Find where this line ends.
        let mut x = 0.0f32;
        let mut last_break = None;
        let mut end = shaped.len();
        let mut next = shaped.len();
        let mut hard = false;
        let mut prev: Option<&Shaped> = None;
        for (i, s) in shaped.iter().enumerate().skip(start) {
            if s.kind == ItemKind::LineBreak {
                end = i;
                next = i + 1;
                hard = true;
                break;
            }
            if s.break_before && i > start {
                last_break = Some(i);
            }
            let advance = match s.kind {
                ItemKind::Tab => tab_advance(x + indent, tab),
                _ => s.advance + kern(ctx, prev, s),
            };
            if let Some(limit) = limit
                && !s.space
                && i > start
                && x + advance > limit + 0.01
            {
                match last_break.filter(|b| *b > start) {
                    Some(b) => {
                        end = b;
                        next = b;
                    }
                    None => {
                        end = i;
                        next = i;
                        overflow = true;
                    }
                }
                break;
            }
            x += advance;
            prev = Some(s);
            if s.break_after {
                last_break = Some(i + 1);
            }
        }
        let last = next >= shaped.len() && !hard;
        let mut line = place(
            &shaped[start..end],
            paragraph,
            ctx,
            tab,
            indent,
            avail,
            last || hard,
        );
        if avail.is_some_and(|avail| line.width > avail + 0.5) {
            overflow = true;
        }
        line.top = *y;
        *y += line.height;
        lines.push(line);
        first = false;
        start = next;
        if start >= shaped.len() {
            if hard {
                // A `\line` at the very end still starts an (empty) line.
                let avail = ctx.width.map(|w| w - left - right);
                let mut empty = place(&[], paragraph, ctx, tab, left, avail, true);
                empty.top = *y;
                *y += empty.height;
                lines.push(empty);
            }
            break;
        }
    }
    (lines, overflow)
}

/// Positions one line's items and measures it.
#[allow(clippy::too_many_arguments)]
fn place(
    items: &[Shaped],
    paragraph: &Paragraph,
    ctx: &Ctx<'_>,
    tab: f32,
    indent: f32,
    avail: Option<f32>,
    last: bool,
) -> Line {
    let mut placed = Vec::with_capacity(items.len());
    let mut x = 0.0f32;
    let mut prev: Option<&Shaped> = None;
    let (mut ascent, mut descent, mut gap) = (0.0f32, 0.0f32, 0.0f32);
    let mut em = items.iter().map(|s| s.em_px).fold(0.0f32, f32::max);
    let mut measure = |choice: FaceChoice, unit: f32, rise: f32| {
        if let Some(face) = ctx.fonts.face(choice.face) {
            ascent = ascent.max(face.ascent_unscaled() * unit + rise);
            descent = descent.max(-face.descent_unscaled() * unit - rise);
            gap = gap.max(face.line_gap_unscaled() * unit);
        }
    };
    for s in items {
        let advance = match s.kind {
            ItemKind::Tab => tab_advance(x + indent, tab),
            _ => s.advance,
        };
        x += kern(ctx, prev, s);
        measure(s.metrics, s.unit, s.rise);
        placed.push(Placed {
            glyph: s.glyph,
            x,
            advance,
            em_px: s.em_px,
            rise: s.rise,
            style: s.style,
            space: s.space,
            trailing: false,
        });
        x += advance;
        prev = Some(s);
    }
    if items.is_empty() {
        let style = paragraph.end_style;
        let choice = FontSet::choose(style.family, style.bold, style.italic);
        let (end_em, rise) = em_px(&style, ctx);
        measure(choice, end_em / units_per_em(ctx, choice), rise);
        em = end_em;
    }
    // Trailing spaces neither count nor show.
    let mut width = x;
    for p in placed.iter_mut().rev() {
        if !p.space {
            break;
        }
        p.trailing = true;
        width = p.x;
    }
    // Line height and baseline, with `\sl`.
    let natural = ascent + descent + gap;
    let props = paragraph.props;
    let height = if props.line == 0 {
        natural
    } else if props.line_multiple {
        if props.line > 0 {
            natural * props.line as f32 / 240.0
        } else {
            natural
        }
    } else if props.line > 0 {
        natural.max(ctx.twips(props.line))
    } else {
        ctx.twips(-props.line)
    };
    let baseline = height - descent - gap;
    let right = ctx.twips(props.right);
    let align = props.align;
    let line_x = match avail {
        Some(avail) => {
            let extra = avail - width;
            match align {
                Align::Left => indent,
                Align::Center => indent + extra / 2.0,
                Align::Right => indent + extra,
                Align::Justify => {
                    justify(&mut placed, extra, last);
                    if !last {
                        width = width.max(avail);
                    }
                    indent
                }
            }
        }
        // Point text: `\ql` runs right from the origin, `\qr` left, `\qc`
        // is centred on it.
        None => match align {
            Align::Left | Align::Justify => indent,
            Align::Center => -width / 2.0,
            Align::Right => -width - right,
        },
    };
    Line {
        items: placed,
        width,
        x: line_x,
        top: 0.0,
        height,
        baseline,
        em,
    }
}

/// Spreads `extra` pixels over the interior spaces of a line that does not
/// end its paragraph.
fn justify(placed: &mut [Placed], extra: f32, last: bool) {
    if last || extra <= 0.0 {
        return;
    }
    let spaces = placed.iter().filter(|p| p.space && !p.trailing).count();
    if spaces == 0 {
        return;
    }
    let each = extra / spaces as f32;
    let mut shift = 0.0;
    for p in placed.iter_mut() {
        p.x += shift;
        if p.space && !p.trailing {
            p.advance += each;
            shift += each;
        }
    }
}
