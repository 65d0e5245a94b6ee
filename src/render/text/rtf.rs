//! The RTF subset: a tokenizer and interpreter that turn a `text=`/`textPs=`
//! value into styled paragraphs.
//!
//! It owns the reading of RTF and plain text only: no fonts are loaded and no
//! sizes are computed in pixels here. It never fails and never panics on any
//! input: unknown control words are ignored (never printed), unbalanced
//! braces are tolerated, numbers saturate and are clamped, and the work is
//! linear in the input length.

use super::fonts::{Family, FamilyHint};

/// Default font size in half-points: 12 pt, RTF's own default (`\fs24`).
pub(crate) const DEFAULT_HALF_POINTS: u32 = 24;
/// Largest accepted `\fs`, in half-points (1000 pt). Pixel sizes are capped
/// again by the layout limit.
const MAX_HALF_POINTS: u32 = 2000;
/// Measures in twips (margins, indents, spacing) are clamped to ±this
/// (about 100 inches) so arithmetic on them can never overflow.
const MAX_TWIPS: i32 = 144_000;
/// RTF's default tab interval: half an inch.
pub(crate) const DEFAULT_TAB_TWIPS: i32 = 720;

/// Horizontal alignment of a paragraph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Align {
    #[default]
    Left,
    Center,
    Right,
    Justify,
}

/// Vertical alignment of the text in a fixed box (`\vertal*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum VAlign {
    #[default]
    Top,
    Center,
    Bottom,
}

/// Paragraph formatting, in twips where it is a measure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ParProps {
    pub align: Align,
    /// `\li`: left indent.
    pub left: i32,
    /// `\ri`: right indent.
    pub right: i32,
    /// `\fi`: extra indent of the first line (negative hangs).
    pub first: i32,
    /// `\sb`: space before.
    pub before: i32,
    /// `\sa`: space after.
    pub after: i32,
    /// `\sl`: 0 auto, > 0 at least, < 0 exactly (or a multiple of single
    /// spacing in 240ths with `\slmult1`).
    pub line: i32,
    pub line_multiple: bool,
}

/// Superscript or subscript (`\super`, `\sub`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Script {
    #[default]
    None,
    Super,
    Sub,
}

/// The look of one character.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Style {
    pub family: Family,
    pub bold: bool,
    pub italic: bool,
    /// Font size in half-points, 1 ..= [`MAX_HALF_POINTS`].
    pub half_points: u32,
    /// Straight RGBA.
    pub color: [u8; 4],
    pub underline: bool,
    pub strike: bool,
    pub script: Script,
    /// `\up`/`\dn` baseline shift in half-points, positive up.
    pub raise: i32,
}

impl Default for Style {
    fn default() -> Style {
        Style {
            family: Family::Sans,
            bold: false,
            italic: false,
            half_points: DEFAULT_HALF_POINTS,
            color: [0, 0, 0, 255],
            underline: false,
            strike: false,
            script: Script::None,
            raise: 0,
        }
    }
}

/// What one item of a paragraph is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ItemKind {
    Char(char),
    Tab,
    /// `\line`: a line break inside the paragraph.
    LineBreak,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Item {
    pub kind: ItemKind,
    pub style: Style,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Paragraph {
    pub items: Vec<Item>,
    pub props: ParProps,
    /// The style at the paragraph mark: gives an empty line its height.
    pub end_style: Style,
}

/// A parsed text value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Document {
    pub paragraphs: Vec<Paragraph>,
    /// `\margl`, `\margt`, `\margr`, `\margb` in twips (`textPs=` only).
    pub margins: [i32; 4],
    /// `\deftab`, twips.
    pub tab_twips: i32,
    pub valign: VAlign,
}

/// Whether a value is RTF: it starts, after white space, with `{\`.
/// Anything else is plain UTF-8 text.
pub(crate) fn is_rtf(text: &str) -> bool {
    text.trim_start().starts_with("{\\")
}

/// Parses a text value. `ps` selects the `textPs=` dialect: it alone honours
/// `\*\iscolortbl`, `\marg*`, `\li`/`\ri`/`\fi` and `\caps`.
pub(crate) fn parse(text: &str, ps: bool) -> Document {
    let mut interp = Interp::new(ps);
    if is_rtf(text) {
        interp.run_rtf(text);
    } else {
        interp.run_plain(text);
    }
    interp.finish()
}

/// Where text inside the current group goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dest {
    Normal,
    Skip,
    FontTable,
    ColorTable,
    IsColorTable,
    CmykColorTable,
}

/// Character formatting as RTF states it (indices, not resolved values).
#[derive(Clone, Copy, Debug, PartialEq)]
struct CharState {
    /// `\f` index, `None` for `\deff`.
    font: Option<i32>,
    bold: bool,
    italic: bool,
    half_points: u32,
    color: i32,
    underline: bool,
    strike: bool,
    caps: bool,
    script: Script,
    raise: i32,
}

impl Default for CharState {
    fn default() -> CharState {
        CharState {
            font: None,
            bold: false,
            italic: false,
            half_points: DEFAULT_HALF_POINTS,
            color: 0,
            underline: false,
            strike: false,
            caps: false,
            script: Script::None,
            raise: 0,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Group {
    chars: CharState,
    par: ParProps,
    dest: Dest,
    /// `\uc`: characters to skip after `\u`.
    uc: u32,
}

/// A `\fonttbl` entry being read.
#[derive(Default)]
struct FontEntry {
    index: Option<i32>,
    hint: FamilyHint,
    name: String,
}

/// A colour table entry being read; `None` components mean "auto".
#[derive(Default, Clone, Copy)]
struct ColorEntry {
    set: bool,
    c: [i32; 4],
}

/// Longest group nesting we track; deeper groups share the innermost state.
const MAX_DEPTH: usize = 256;
/// Longest font name kept.
const MAX_FONT_NAME: usize = 64;
/// Most colour and font table entries kept.
const MAX_TABLE: usize = 1024;

struct Interp {
    ps: bool,
    stack: Vec<Group>,
    /// Groups opened beyond [`MAX_DEPTH`], closed without popping.
    overflow: usize,
    cur: Group,
    /// The next control word is an ignorable destination (`\*`).
    starred: bool,
    /// Characters still to skip after `\u`.
    skip: u32,
    high_surrogate: Option<u32>,
    fonts: Vec<(i32, Family)>,
    default_font: i32,
    font_entry: FontEntry,
    colors: Vec<Option<[u8; 4]>>,
    cmyk_colors: Vec<Option<[u8; 4]>>,
    is_colors: Vec<Option<[u8; 4]>>,
    color_entry: ColorEntry,
    is_color_text: String,
    doc: Document,
    items: Vec<Item>,
    /// Paragraph properties as last seen with text in this paragraph.
    par_seen: Option<ParProps>,
}

impl Interp {
    fn new(ps: bool) -> Interp {
        Interp {
            ps,
            stack: Vec::new(),
            overflow: 0,
            cur: Group {
                chars: CharState::default(),
                par: ParProps::default(),
                dest: Dest::Normal,
                uc: 1,
            },
            starred: false,
            skip: 0,
            high_surrogate: None,
            fonts: Vec::new(),
            default_font: 0,
            font_entry: FontEntry::default(),
            colors: Vec::new(),
            cmyk_colors: Vec::new(),
            is_colors: Vec::new(),
            color_entry: ColorEntry::default(),
            is_color_text: String::new(),
            doc: Document {
                paragraphs: Vec::new(),
                margins: [0; 4],
                tab_twips: DEFAULT_TAB_TWIPS,
                valign: VAlign::Top,
            },
            items: Vec::new(),
            par_seen: None,
        }
    }

    fn run_plain(&mut self, text: &str) {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => {
                    if chars.peek() != Some(&'\n') {
                        self.end_paragraph();
                    }
                }
                '\n' => self.end_paragraph(),
                '\t' => self.push_item(ItemKind::Tab),
                c if c.is_control() => {}
                c => self.push_item(ItemKind::Char(c)),
            }
        }
    }

    fn run_rtf(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'{' => {
                    self.open_group();
                    i += 1;
                }
                b'}' => {
                    self.close_group();
                    i += 1;
                }
                b'\\' => i = self.control(text, i + 1),
                b'\r' | b'\n' => i += 1,
                b'\t' => {
                    self.symbol_char(None);
                    i += 1;
                }
                _ => {
                    // A whole UTF-8 character: the input is a str, so the
                    // slice from a byte that is not a brace or backslash
                    // starts on a character boundary.
                    let Some(c) = text.get(i..).and_then(|s| s.chars().next()) else {
                        i += 1;
                        continue;
                    };
                    i += c.len_utf8();
                    self.text_char(c);
                }
            }
        }
    }

    fn open_group(&mut self) {
        self.skip = 0;
        if self.stack.len() >= MAX_DEPTH {
            self.overflow += 1;
            return;
        }
        self.stack.push(self.cur);
    }

    fn close_group(&mut self) {
        self.skip = 0;
        self.starred = false;
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        let Some(outer) = self.stack.pop() else {
            return; // an unbalanced '}' is ignored
        };
        match self.cur.dest {
            Dest::FontTable => self.commit_font(),
            Dest::IsColorTable if outer.dest != Dest::IsColorTable => self.commit_is_colors(),
            _ => {}
        }
        self.cur = outer;
    }

    /// Reads a control word or symbol starting after the backslash at
    /// `start - 1`; returns the index after it.
    fn control(&mut self, text: &str, start: usize) -> usize {
        let bytes = text.as_bytes();
        let Some(&first) = bytes.get(start) else {
            return start; // a trailing backslash is ignored
        };
        if first.is_ascii_alphabetic() {
            let mut end = start;
            while end < bytes.len() && bytes[end].is_ascii_alphabetic() && end - start < 32 {
                end += 1;
            }
            let word = text.get(start..end).unwrap_or("");
            let mut j = end;
            let negative =
                bytes.get(j) == Some(&b'-') && bytes.get(j + 1).is_some_and(|b| b.is_ascii_digit());
            if negative {
                j += 1;
            }
            let digits = j;
            let mut value: i64 = 0;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                if j - digits < 12 {
                    value = value * 10 + i64::from(bytes[j] - b'0');
                }
                j += 1;
            }
            let param = (j > digits).then(|| {
                let v = if negative { -value } else { value };
                i32::try_from(v.clamp(i64::from(i32::MIN), i64::from(i32::MAX))).unwrap_or(0)
            });
            if bytes.get(j) == Some(&b' ') {
                j += 1;
            }
            if word == "bin" {
                // Binary data: skip its bytes (to a character boundary).
                let mut skip_to = j.saturating_add(param.unwrap_or(0).max(0) as usize);
                skip_to = skip_to.min(bytes.len());
                while skip_to < bytes.len() && !text.is_char_boundary(skip_to) {
                    skip_to += 1;
                }
                return skip_to;
            }
            self.word(word, param);
            return j;
        }
        match first {
            b'\'' => {
                let hex = text.get(start + 1..start + 3);
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        self.text_char(cp1252(byte));
                        start + 3
                    }
                    None => start + 1,
                }
            }
            b'\\' | b'{' | b'}' => {
                self.text_char(char::from(first));
                start + 1
            }
            b'~' => {
                self.text_char('\u{a0}');
                start + 1
            }
            b'_' => {
                self.text_char('-');
                start + 1
            }
            b'*' => {
                self.starred = true;
                start + 1
            }
            b'\r' | b'\n' => {
                self.word("par", None);
                start + 1
            }
            _ => {
                // `\-`, `\|`, `\:` and unknown symbols print nothing; step
                // over one whole character.
                let len = text
                    .get(start..)
                    .and_then(|s| s.chars().next())
                    .map_or(1, char::len_utf8);
                if self.skip > 0 {
                    self.skip -= 1;
                }
                start + len
            }
        }
    }

    /// A character of text in the current destination.
    fn text_char(&mut self, c: char) {
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        self.starred = false;
        match self.cur.dest {
            Dest::Normal => {
                if c == '\t' {
                    self.push_item(ItemKind::Tab);
                } else if !c.is_control() {
                    self.push_item(ItemKind::Char(c));
                }
            }
            Dest::Skip => {}
            Dest::FontTable => {
                if c == ';' {
                    self.commit_font();
                } else if self.font_entry.name.len() < MAX_FONT_NAME {
                    self.font_entry.name.push(c);
                }
            }
            Dest::ColorTable | Dest::CmykColorTable => {
                if c == ';' {
                    let entry = std::mem::take(&mut self.color_entry);
                    let cmyk = self.cur.dest == Dest::CmykColorTable;
                    let table = if cmyk {
                        &mut self.cmyk_colors
                    } else {
                        &mut self.colors
                    };
                    if table.len() < MAX_TABLE {
                        table.push(entry.set.then(|| entry.rgba(cmyk)));
                    }
                }
            }
            Dest::IsColorTable => {
                if self.is_color_text.len() < MAX_TABLE * 16 {
                    self.is_color_text.push(c);
                }
            }
        }
    }

    /// A special character from a control word (`None` for a tab).
    fn symbol_char(&mut self, c: Option<char>) {
        if self.cur.dest != Dest::Normal {
            return;
        }
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        match c {
            Some(c) => self.push_item(ItemKind::Char(c)),
            None => self.push_item(ItemKind::Tab),
        }
    }

    fn push_item(&mut self, kind: ItemKind) {
        let style = self.style();
        self.par_seen = Some(self.cur.par);
        match kind {
            ItemKind::Char(c) if self.ps && self.cur.chars.caps && c.is_lowercase() => {
                for upper in c.to_uppercase() {
                    self.items.push(Item {
                        kind: ItemKind::Char(upper),
                        style,
                    });
                }
            }
            kind => self.items.push(Item { kind, style }),
        }
    }

    fn end_paragraph(&mut self) {
        let items = std::mem::take(&mut self.items);
        self.par_seen = None;
        self.doc.paragraphs.push(Paragraph {
            items,
            props: self.effective_par(self.cur.par),
            end_style: self.style(),
        });
    }

    /// Drops paragraph features the `text=` renderer does not have.
    fn effective_par(&self, mut par: ParProps) -> ParProps {
        if !self.ps {
            if par.align == Align::Justify {
                par.align = Align::Left;
            }
            par.left = 0;
            par.right = 0;
            par.first = 0;
        }
        par
    }

    fn finish(mut self) -> Document {
        if self.cur.dest == Dest::FontTable {
            self.commit_font();
        }
        if self.cur.dest == Dest::IsColorTable {
            self.commit_is_colors();
        }
        if !self.items.is_empty() || self.doc.paragraphs.is_empty() {
            let par = self.par_seen.unwrap_or(self.cur.par);
            let items = std::mem::take(&mut self.items);
            let end_style = items.last().map_or_else(|| self.style(), |item| item.style);
            self.doc.paragraphs.push(Paragraph {
                items,
                props: self.effective_par(par),
                end_style,
            });
        }
        self.doc
    }

    /// The resolved style of the current character state.
    fn style(&self) -> Style {
        let chars = &self.cur.chars;
        let font = chars.font.unwrap_or(self.default_font);
        let family = self
            .fonts
            .iter()
            .rev()
            .find(|(index, _)| *index == font)
            .map_or(Family::Sans, |(_, family)| *family);
        Style {
            family,
            bold: chars.bold,
            italic: chars.italic,
            half_points: chars.half_points,
            color: self.color(chars.color),
            underline: chars.underline,
            strike: chars.strike,
            script: chars.script,
            raise: chars.raise,
        }
    }

    /// `\cf` lookup: `\*\iscolortbl` (textPs), then `\colortbl`, then
    /// `\cmykcolortbl`; index 0, "auto" entries and missing ones are black.
    fn color(&self, index: i32) -> [u8; 4] {
        const BLACK: [u8; 4] = [0, 0, 0, 255];
        let Ok(i) = usize::try_from(index) else {
            return BLACK;
        };
        let find = |table: &[Option<[u8; 4]>]| table.get(i).copied().flatten();
        let is = if self.ps { find(&self.is_colors) } else { None };
        is.or_else(|| find(&self.colors))
            .or_else(|| find(&self.cmyk_colors))
            .unwrap_or(BLACK)
    }

    fn commit_font(&mut self) {
        let entry = std::mem::take(&mut self.font_entry);
        let name = entry.name.trim();
        if let Some(index) = entry.index
            && self.fonts.len() < MAX_TABLE
        {
            self.fonts.push((index, Family::for_name(name, entry.hint)));
        }
    }

    fn commit_is_colors(&mut self) {
        let text = std::mem::take(&mut self.is_color_text);
        self.is_colors = text
            .split(';')
            .take(MAX_TABLE)
            .map(|value| {
                let value = value.trim();
                if value.is_empty() {
                    return None;
                }
                // Gray and CMYK convert naïvely, like the rest of the renderer.
                crate::protocol::parser::color(value)
                    .ok()
                    .map(|c| c.to_rgba8())
            })
            .collect();
    }

    /// Sets a destination for the current group.
    fn destination(&mut self, dest: Dest) {
        self.cur.dest = dest;
        self.starred = false;
        match dest {
            Dest::FontTable => self.font_entry = FontEntry::default(),
            Dest::ColorTable | Dest::CmykColorTable => self.color_entry = ColorEntry::default(),
            Dest::IsColorTable => self.is_color_text.clear(),
            Dest::Normal | Dest::Skip => {}
        }
    }

    /// Handles one control word.
    fn word(&mut self, word: &str, param: Option<i32>) {
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        let starred = std::mem::take(&mut self.starred);
        if self.cur.dest == Dest::Skip {
            return;
        }
        // Destinations.
        match word {
            "fonttbl" => return self.destination(Dest::FontTable),
            "colortbl" => return self.destination(Dest::ColorTable),
            "cmykcolortbl" => return self.destination(Dest::CmykColorTable),
            "iscolortbl" if self.ps => return self.destination(Dest::IsColorTable),
            "stylesheet" | "info" | "pict" | "header" | "headerl" | "headerr" | "headerf"
            | "footer" | "footerl" | "footerr" | "footerf" | "footnote" | "annotation"
            | "object" | "fldinst" | "datafield" | "themedata" | "colorschememapping"
            | "latentstyles" | "datastore" | "xmlnstbl" | "listtable" | "listoverridetable"
            | "rsidtbl" | "generator" | "filetbl" | "revtbl" | "pgdsctbl" | "mmathPr"
            | "nonshppict" | "shp" | "shpinst" | "shppict" | "bkmkstart" | "bkmkend" | "txe"
            | "xe" | "tc" | "rxe" | "userprops" | "docvar" | "atnid" | "atnauthor" | "comment"
            | "author" | "operator" | "title" | "subject" | "keywords" | "doccomm" | "company"
            | "template" | "pntxta" | "pntxtb" | "falt" | "panose" | "fname" | "fontemb"
            | "fontfile" | "iscolortbl" => {
                return self.destination(Dest::Skip);
            }
            _ if starred => return self.destination(Dest::Skip),
            _ => {}
        }
        match self.cur.dest {
            Dest::FontTable => return self.font_table_word(word, param),
            Dest::ColorTable | Dest::CmykColorTable => {
                let slot = match word {
                    "red" | "cyan" => 0,
                    "green" | "magenta" => 1,
                    "blue" | "yellow" => 2,
                    "black" => 3,
                    _ => return,
                };
                self.color_entry.set = true;
                self.color_entry.c[slot] = param.unwrap_or(0);
                return;
            }
            Dest::IsColorTable | Dest::Skip => return,
            Dest::Normal => {}
        }
        let on = param != Some(0);
        let twips = || param.unwrap_or(0).clamp(-MAX_TWIPS, MAX_TWIPS);
        let chars = &mut self.cur.chars;
        let par = &mut self.cur.par;
        match word {
            // Special characters.
            "par" | "sect" | "page" | "row" => self.end_paragraph(),
            "line" => self.push_item_if_normal(ItemKind::LineBreak),
            "tab" | "cell" => self.symbol_char(None),
            "emdash" => self.symbol_char(Some('\u{2014}')),
            "endash" => self.symbol_char(Some('\u{2013}')),
            "emspace" => self.symbol_char(Some('\u{2003}')),
            "enspace" => self.symbol_char(Some('\u{2002}')),
            "qmspace" => self.symbol_char(Some('\u{2005}')),
            "bullet" => self.symbol_char(Some('\u{2022}')),
            "lquote" => self.symbol_char(Some('\u{2018}')),
            "rquote" => self.symbol_char(Some('\u{2019}')),
            "ldblquote" => self.symbol_char(Some('\u{201c}')),
            "rdblquote" => self.symbol_char(Some('\u{201d}')),
            "u" => self.unicode(param.unwrap_or(0)),
            "uc" => self.cur.uc = param.unwrap_or(1).clamp(0, 16) as u32,
            // Character formatting.
            "plain" => *chars = CharState::default(),
            "b" => chars.bold = on,
            "i" => chars.italic = on,
            "ul" | "uld" | "uldash" | "uldashd" | "uldashdd" | "uldb" | "ulth" | "ulw"
            | "ulwave" => chars.underline = on,
            "ulnone" => chars.underline = false,
            "strike" | "striked" => chars.strike = on,
            "caps" => chars.caps = on,
            "fs" => {
                chars.half_points = param
                    .unwrap_or(DEFAULT_HALF_POINTS as i32)
                    .clamp(1, MAX_HALF_POINTS as i32) as u32;
            }
            "f" => chars.font = Some(param.unwrap_or(0)),
            "cf" => chars.color = param.unwrap_or(0),
            "super" => chars.script = Script::Super,
            "sub" => chars.script = Script::Sub,
            "nosupersub" => chars.script = Script::None,
            "up" => chars.raise = param.unwrap_or(6).clamp(-2 * 2000, 2 * 2000),
            "dn" => chars.raise = -param.unwrap_or(6).clamp(-2 * 2000, 2 * 2000),
            // Paragraph formatting.
            "pard" => *par = ParProps::default(),
            "ql" => par.align = Align::Left,
            "qc" => par.align = Align::Center,
            "qr" => par.align = Align::Right,
            "qj" | "qd" => par.align = Align::Justify,
            "li" => par.left = twips(),
            "ri" => par.right = twips(),
            "fi" => par.first = twips(),
            "sb" => par.before = twips().max(0),
            "sa" => par.after = twips().max(0),
            "sl" => par.line = twips(),
            "slmult" => par.line_multiple = on,
            // Document formatting.
            "deff" => self.default_font = param.unwrap_or(0),
            "deftab" => {
                let t = twips();
                self.doc.tab_twips = if t > 0 { t } else { DEFAULT_TAB_TWIPS };
            }
            "margl" | "margt" | "margr" | "margb" if self.ps => {
                let slot = match word {
                    "margl" => 0,
                    "margt" => 1,
                    "margr" => 2,
                    _ => 3,
                };
                self.doc.margins[slot] = twips().max(0);
            }
            "vertalt" | "vertalj" => self.doc.valign = VAlign::Top,
            "vertalc" => self.doc.valign = VAlign::Center,
            "vertalb" => self.doc.valign = VAlign::Bottom,
            // Everything else (\rtf, \ansi, \expndtw, \lang, \kerning, …)
            // is ignored.
            _ => {}
        }
    }

    fn push_item_if_normal(&mut self, kind: ItemKind) {
        if self.cur.dest == Dest::Normal {
            self.push_item(kind);
        }
    }

    fn font_table_word(&mut self, word: &str, param: Option<i32>) {
        match word {
            "f" => {
                if self.font_entry.index.is_some() && !self.font_entry.name.trim().is_empty() {
                    self.commit_font();
                }
                self.font_entry.index = Some(param.unwrap_or(0));
            }
            "froman" => self.font_entry.hint = FamilyHint::Roman,
            "fswiss" => self.font_entry.hint = FamilyHint::Swiss,
            "fmodern" => self.font_entry.hint = FamilyHint::Modern,
            "fnil" => self.font_entry.hint = FamilyHint::None,
            "fscript" | "fdecor" | "ftech" | "fbidi" => self.font_entry.hint = FamilyHint::Other,
            _ => {}
        }
    }

    /// `\uN`: a UTF-16 code unit (negative values wrap), then `\uc` skipped
    /// fallback characters. Surrogate pairs are joined; lone halves dropped.
    fn unicode(&mut self, n: i32) {
        let unit = if n < 0 {
            (n + 65_536).max(0) as u32
        } else {
            n as u32
        };
        let uc = self.cur.uc;
        match unit {
            0xD800..=0xDBFF => self.high_surrogate = Some(unit),
            0xDC00..=0xDFFF => {
                if let Some(high) = self.high_surrogate.take() {
                    let c = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00);
                    if let Some(c) = char::from_u32(c) {
                        self.symbol_char(Some(c));
                    }
                }
            }
            _ => {
                self.high_surrogate = None;
                if let Some(c) = char::from_u32(unit).filter(|c| !c.is_control() || *c == '\t') {
                    if c == '\t' {
                        self.symbol_char(None);
                    } else {
                        self.symbol_char(Some(c));
                    }
                }
            }
        }
        self.skip = uc;
    }
}

impl ColorEntry {
    fn rgba(&self, cmyk: bool) -> [u8; 4] {
        let byte = |v: i32| v.clamp(0, 255) as u8;
        if cmyk {
            let pct = |v: i32| f64::from(v.clamp(0, 100)) / 100.0;
            let k = pct(self.c[3]);
            let ch = |v: i32| ((1.0 - pct(v)) * (1.0 - k) * 255.0).round() as u8;
            [ch(self.c[0]), ch(self.c[1]), ch(self.c[2]), 255]
        } else {
            [byte(self.c[0]), byte(self.c[1]), byte(self.c[2]), 255]
        }
    }
}

/// Windows-1252 byte → character (`\'hh`). Undefined bytes map to U+FFFD.
fn cp1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20ac}', '\u{fffd}', '\u{201a}', '\u{0192}', '\u{201e}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{02c6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{fffd}',
        '\u{017d}', '\u{fffd}', '\u{fffd}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}',
        '\u{2022}', '\u{2013}', '\u{2014}', '\u{02dc}', '\u{2122}', '\u{0161}', '\u{203a}',
        '\u{0153}', '\u{fffd}', '\u{017e}', '\u{0178}',
    ];
    match byte {
        0x80..=0x9f => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(doc: &Document) -> Vec<String> {
        doc.paragraphs
            .iter()
            .map(|p| {
                p.items
                    .iter()
                    .map(|i| match i.kind {
                        ItemKind::Char(c) => c,
                        ItemKind::Tab => '→',
                        ItemKind::LineBreak => '⏎',
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn plain_text_and_line_feeds() {
        let doc = parse("Hello\r\nworld\tx", false);
        assert_eq!(text_of(&doc), ["Hello", "world→x"]);
        assert_eq!(doc.paragraphs[0].items[0].style, Style::default());
        // A backslash in plain text is just a character.
        assert_eq!(text_of(&parse("C:\\dir", false)), ["C:\\dir"]);
    }

    #[test]
    fn escapes_and_unicode() {
        let doc = parse(r"{\rtf1 a\'80b\u8364?c\uc2\u-3999xyd\\\{\}}", false);
        assert_eq!(text_of(&doc), ["a€b€c\u{f061}d\\{}"]);
        let pair = parse(r"{\rtf1\u55357?\u56832?}", false);
        assert_eq!(text_of(&pair), ["\u{1f600}"]);
    }

    #[test]
    fn destinations_are_skipped_and_unknown_words_ignored() {
        let doc = parse(
            r"{\rtf1\ansi{\fonttbl{\f0\fswiss Arial;}{\f1\froman Times New Roman;}}{\colortbl;\red255\green0\blue0;}{\*\generator Foo;}{\info{\title T}}\expndtw20 Hi {\*\unknown stuff}there\par}",
            false,
        );
        assert_eq!(text_of(&doc), ["Hi there"]);
    }

    #[test]
    fn formatting_state_follows_groups() {
        let doc = parse(
            r"{\rtf1{\fonttbl{\f0 Arial;}{\f1 Georgia;}}{\colortbl;\red0\green128\blue255;}a{\b\i\ul\f1\fs48\cf1 b}c\par}",
            false,
        );
        let items = &doc.paragraphs[0].items;
        assert_eq!(items[0].style, Style::default());
        let b = items[1].style;
        assert!(b.bold && b.italic && b.underline);
        assert_eq!(b.family, Family::Serif);
        assert_eq!(b.half_points, 48);
        assert_eq!(b.color, [0, 128, 255, 255]);
        assert_eq!(items[2].style, Style::default());
    }

    #[test]
    fn paragraph_alignment_is_taken_at_the_paragraph_end() {
        let doc = parse(r"{\rtf1\qc one\par\pard two\par{\qr three}}", false);
        let aligns: Vec<Align> = doc.paragraphs.iter().map(|p| p.props.align).collect();
        assert_eq!(aligns, [Align::Center, Align::Left, Align::Right]);
    }

    #[test]
    fn is_color_table_only_for_text_ps() {
        let rtf = r"{\rtf1{\*\iscolortbl;00ff00;}{\colortbl;\red255\green0\blue0;}\cf1 x}";
        assert_eq!(
            parse(rtf, true).paragraphs[0].items[0].style.color,
            [0, 255, 0, 255]
        );
        assert_eq!(
            parse(rtf, false).paragraphs[0].items[0].style.color,
            [255, 0, 0, 255]
        );
    }

    #[test]
    fn malformed_input_is_tolerated() {
        for s in [
            "{\\rtf1 }}}}{{{ a \\",
            "{\\rtf1\\fs99999999999999 x",
            "{\\rtf1\\'zz\\'4",
            "{\\rtf1\\bin99999 abc}",
            "{\\rtf1\\u-99999999\\u99999999 x}",
            "{\\",
        ] {
            let doc = parse(s, true);
            for p in &doc.paragraphs {
                for i in &p.items {
                    assert!(i.style.half_points <= MAX_HALF_POINTS);
                }
            }
        }
        let deep = format!("{{\\rtf1{}x{}", "{".repeat(10_000), "}".repeat(10_000));
        assert_eq!(text_of(&parse(&deep, false)), ["x"]);
    }
}
