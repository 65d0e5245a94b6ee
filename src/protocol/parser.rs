//! Value grammars (§3, §3.10): one function per value shape, built from nom 8
//! parsers for the atoms (numbers, keywords, colours, paths, nested requests).
//!
//! Each function takes a decoded value and returns the typed value or a
//! `ValueError` with the byte range of the offending argument. Ranges and
//! defaults are those of the reference tables. Nothing here panics, allocates
//! more than the input's size, or knows about scopes and layers.

use std::ops::Range;

use nom::branch::alt;
use nom::bytes::complete::{tag_no_case, take_while_m_n, take_while1};
use nom::character::complete::one_of;
use nom::combinator::{all_consuming, opt};
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};

use super::ast::*;

/// Why a value was refused, and where in the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    pub message: String,
    /// Byte range inside the decoded value.
    pub at: Range<usize>,
}

/// The error of the nom atoms: where parsing stopped.
#[derive(Debug)]
pub struct AtomError<'a> {
    pub input: &'a str,
}

impl<'a> ParseError<&'a str> for AtomError<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        AtomError { input }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

type PResult<'a, O> = IResult<&'a str, O, AtomError<'a>>;

/// The length of an optional sign followed by ASCII digits at the start of `input`.
fn sign_and_digits(input: &str) -> (usize, usize) {
    let bytes = input.as_bytes();
    let sign = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits = bytes[sign..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    (sign, digits)
}

/// A signed decimal integer literal.
fn int_literal(input: &str) -> PResult<'_, i64> {
    let (sign, digits) = sign_and_digits(input);
    if digits == 0 {
        return Err(nom::Err::Error(AtomError { input }));
    }
    let (text, rest) = input.split_at(sign + digits);
    match text.parse::<i64>() {
        Ok(v) => Ok((rest, v)),
        Err(_) => Err(nom::Err::Error(AtomError { input })),
    }
}

/// A signed decimal real literal: `1`, `-0.5`, `.5`, `2.`; no exponent, no `inf`.
fn real_literal(input: &str) -> PResult<'_, f64> {
    let (sign, whole_digits) = sign_and_digits(input);
    let mut len = sign + whole_digits;
    let mut fraction_digits = 0;
    if input.as_bytes().get(len) == Some(&b'.') {
        fraction_digits = input[len + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        len += 1 + fraction_digits;
    }
    if whole_digits + fraction_digits == 0 {
        return Err(nom::Err::Error(AtomError { input }));
    }
    let (text, rest) = input.split_at(len);
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok((rest, v)),
        _ => Err(nom::Err::Error(AtomError { input })),
    }
}

/// Runs an atom parser over a whole field.
fn whole<'a, O>(
    field: &'a str,
    parser: impl Parser<&'a str, Output = O, Error = AtomError<'a>>,
) -> Option<O> {
    all_consuming(parser).parse(field).ok().map(|(_, v)| v)
}

/// The comma-separated arguments of a value, with their offsets.
struct Fields<'a> {
    value: &'a str,
    items: Vec<(usize, &'a str)>,
}

impl<'a> Fields<'a> {
    fn new(value: &'a str) -> Fields<'a> {
        let mut items = Vec::new();
        let mut start = 0;
        for (i, b) in value.bytes().enumerate() {
            if b == b',' {
                items.push((start, &value[start..i]));
                start = i + 1;
            }
        }
        items.push((start, &value[start..]));
        Fields { value, items }
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    fn range(&self, i: usize) -> Range<usize> {
        match self.items.get(i) {
            Some((start, text)) => *start..start + text.len(),
            None => self.value.len()..self.value.len(),
        }
    }

    fn text(&self, i: usize) -> Option<&'a str> {
        self.items.get(i).map(|(_, t)| *t)
    }

    fn error(&self, i: usize, message: impl Into<String>) -> ValueError {
        ValueError {
            message: message.into(),
            at: self.range(i),
        }
    }

    /// Fails when there are more than `max` arguments.
    fn at_most(&self, max: usize) -> Result<(), ValueError> {
        if self.len() > max {
            let start = self.range(max).start;
            let noun = if max == 1 { "argument" } else { "arguments" };
            return Err(ValueError {
                message: format!("too many arguments: expected at most {max} {noun}"),
                at: start.saturating_sub(1)..self.value.len(),
            });
        }
        Ok(())
    }

    /// Fails unless there are exactly `n` arguments.
    fn exactly(&self, n: usize, what: &str) -> Result<(), ValueError> {
        if self.len() != n {
            return Err(ValueError {
                message: format!("expected {what}"),
                at: 0..self.value.len(),
            });
        }
        Ok(())
    }

    /// Whether argument `i` is given and not empty.
    fn present(&self, i: usize) -> bool {
        self.text(i).is_some_and(|t| !t.is_empty())
    }

    fn int(&self, i: usize, lo: i64, hi: i64) -> Result<i64, ValueError> {
        let what = describe_int(lo, hi);
        let text = self.text(i).unwrap_or("");
        match whole(text, int_literal) {
            Some(v) if (lo..=hi).contains(&v) => Ok(v),
            Some(_) => Err(self.error(i, format!("`{text}` is out of range: expected {what}"))),
            None => Err(self.error(i, format!("expected {what}, found `{text}`"))),
        }
    }

    fn opt_int(&self, i: usize, lo: i64, hi: i64) -> Result<Option<i64>, ValueError> {
        if self.present(i) {
            self.int(i, lo, hi).map(Some)
        } else {
            Ok(None)
        }
    }

    fn real(&self, i: usize, range: RealRange) -> Result<f64, ValueError> {
        let text = self.text(i).unwrap_or("");
        match whole(text, real_literal) {
            Some(v) if range.contains(v) => Ok(v),
            Some(_) => Err(self.error(
                i,
                format!("`{text}` is out of range: expected {}", range.describe()),
            )),
            None => Err(self.error(i, format!("expected {}, found `{text}`", range.describe()))),
        }
    }

    fn opt_real(&self, i: usize, range: RealRange) -> Result<Option<f64>, ValueError> {
        if self.present(i) {
            self.real(i, range).map(Some)
        } else {
            Ok(None)
        }
    }

    fn flag(&self, i: usize) -> Result<bool, ValueError> {
        let text = self.text(i).unwrap_or("");
        parse_flag(text).ok_or_else(|| self.error(i, format!("expected 0 or 1, found `{text}`")))
    }

    fn opt_flag(&self, i: usize) -> Result<Option<bool>, ValueError> {
        if self.present(i) {
            self.flag(i).map(Some)
        } else {
            Ok(None)
        }
    }

    fn keyword<K>(
        &self,
        i: usize,
        lookup: fn(&str) -> Option<K>,
        expected: &str,
    ) -> Result<K, ValueError> {
        let text = self.text(i).unwrap_or("");
        whole(text, take_while1(is_word))
            .and_then(lookup)
            .ok_or_else(|| {
                self.error(
                    i,
                    format!(
                        "expected one of {}, found `{text}`",
                        expected.trim_end_matches(", ")
                    ),
                )
            })
    }

    fn opt_keyword<K>(
        &self,
        i: usize,
        lookup: fn(&str) -> Option<K>,
        expected: &str,
    ) -> Result<Option<K>, ValueError> {
        if self.present(i) {
            self.keyword(i, lookup, expected).map(Some)
        } else {
            Ok(None)
        }
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn describe_int(lo: i64, hi: i64) -> String {
    match (lo, hi) {
        (1, hi) if hi >= MAX_COORD => "an integer > 0".to_owned(),
        (0, hi) if hi >= MAX_COORD => "an integer ≥ 0".to_owned(),
        (lo, hi) if lo <= -MAX_COORD && hi >= MAX_COORD => "an integer".to_owned(),
        (lo, hi) => format!("an integer from {lo} to {hi}"),
    }
}

/// The accepted range of a real argument.
#[derive(Clone, Copy)]
struct RealRange {
    lo: f64,
    hi: f64,
    /// `lo` itself is excluded (for "> 0").
    lo_open: bool,
}

impl RealRange {
    const ANY: RealRange = RealRange {
        lo: -1e9,
        hi: 1e9,
        lo_open: false,
    };
    const POSITIVE: RealRange = RealRange {
        lo: 0.0,
        hi: 1e9,
        lo_open: true,
    };

    const fn closed(lo: f64, hi: f64) -> RealRange {
        RealRange {
            lo,
            hi,
            lo_open: false,
        }
    }

    fn contains(self, v: f64) -> bool {
        let above = if self.lo_open {
            v > self.lo
        } else {
            v >= self.lo
        };
        above && v <= self.hi
    }

    fn describe(self) -> String {
        if self.lo_open && self.hi >= 1e9 {
            format!("a number > {}", self.lo)
        } else if self.hi >= 1e9 && self.lo <= -1e9 {
            "a number".to_owned()
        } else {
            format!("a number from {} to {}", self.lo, self.hi)
        }
    }
}

fn parse_flag(text: &str) -> Option<bool> {
    match text {
        "0" => Some(false),
        "1" => Some(true),
        t if t.eq_ignore_ascii_case("false") => Some(false),
        t if t.eq_ignore_ascii_case("true") => Some(true),
        _ => None,
    }
}

fn to_u8(v: i64) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}

fn to_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

fn to_u32(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(if v < 0 { 0 } else { u32::MAX })
}

/// Largest pixel coordinate accepted anywhere; far beyond any real image.
const MAX_COORD: i64 = 1_000_000;

// ---- Numbers --------------------------------------------------------------

pub fn positive_int(v: &str) -> Result<u32, ValueError> {
    let f = Fields::new(v);
    f.exactly(1, "an integer > 0")?;
    f.int(0, 1, i64::from(i32::MAX)).map(to_u32)
}

pub fn non_negative_int(v: &str) -> Result<u32, ValueError> {
    let f = Fields::new(v);
    f.exactly(1, "an integer ≥ 0")?;
    f.int(0, 0, i64::from(i32::MAX)).map(to_u32)
}

pub fn positive_real(v: &str) -> Result<f64, ValueError> {
    let f = Fields::new(v);
    f.exactly(1, "a number > 0")?;
    f.real(0, RealRange::POSITIVE)
}

pub fn angle(v: &str) -> Result<f64, ValueError> {
    let f = Fields::new(v);
    f.exactly(1, "an angle in degrees")?;
    f.real(0, RealRange::ANY)
}

pub fn flag(v: &str) -> Result<bool, ValueError> {
    let f = Fields::new(v);
    f.exactly(1, "0 or 1")?;
    f.flag(0)
}

pub fn on_off(v: &str) -> Result<bool, ValueError> {
    let f = Fields::new(v);
    f.exactly(1, "on or off")?;
    f.keyword(
        0,
        |w| match w.to_ascii_lowercase().as_str() {
            "on" => Some(true),
            "off" => Some(false),
            _ => None,
        },
        "on, off",
    )
}

/// −100…100, the range of most pixel operations.
pub fn percent_signed(v: &str) -> Result<i32, ValueError> {
    let f = Fields::new(v);
    f.exactly(1, "an integer from -100 to 100")?;
    f.int(0, -100, 100).map(to_i32)
}

pub fn hue(v: &str) -> Result<i32, ValueError> {
    let f = Fields::new(v);
    f.exactly(1, "an integer from -180 to 180")?;
    f.int(0, -180, 180).map(to_i32)
}

pub fn blur_radius(v: &str) -> Result<f64, ValueError> {
    let f = Fields::new(v);
    f.exactly(1, "a number from 0 to 100")?;
    f.real(0, RealRange::closed(0.0, 100.0))
}

// ---- Geometry -------------------------------------------------------------

pub fn point(v: &str) -> Result<Point, ValueError> {
    let f = Fields::new(v);
    f.exactly(2, "two integers x,y")?;
    Ok(Point {
        x: to_i32(f.int(0, -MAX_COORD, MAX_COORD)?),
        y: to_i32(f.int(1, -MAX_COORD, MAX_COORD)?),
    })
}

pub fn point_n(v: &str) -> Result<PointN, ValueError> {
    let f = Fields::new(v);
    f.exactly(2, "two numbers x,y")?;
    Ok(PointN {
        x: f.real(0, RealRange::ANY)?,
        y: f.real(1, RealRange::ANY)?,
    })
}

pub fn align(v: &str) -> Result<PointN, ValueError> {
    let f = Fields::new(v);
    f.exactly(2, "two numbers h,v from -1 to 1")?;
    Ok(PointN {
        x: f.real(0, RealRange::closed(-1.0, 1.0))?,
        y: f.real(1, RealRange::closed(-1.0, 1.0))?,
    })
}

pub fn size(v: &str) -> Result<Size, ValueError> {
    let f = Fields::new(v);
    f.exactly(2, "two integers w,h ≥ 0")?;
    Ok(Size {
        w: to_u32(f.int(0, 0, MAX_COORD)?),
        h: to_u32(f.int(1, 0, MAX_COORD)?),
    })
}

/// `sizeN=w,h`: reals from 0 to 1, relative to layer 0.
pub fn size_n(v: &str) -> Result<PointN, ValueError> {
    let f = Fields::new(v);
    f.exactly(2, "two numbers w,h from 0 to 1")?;
    Ok(PointN {
        x: f.real(0, RealRange::closed(0.0, 1.0))?,
        y: f.real(1, RealRange::closed(0.0, 1.0))?,
    })
}

fn rect_fields(f: &Fields<'_>) -> Result<Rect, ValueError> {
    Ok(Rect {
        x: to_i32(f.int(0, -MAX_COORD, MAX_COORD)?),
        y: to_i32(f.int(1, -MAX_COORD, MAX_COORD)?),
        w: to_u32(f.int(2, 1, MAX_COORD)?),
        h: to_u32(f.int(3, 1, MAX_COORD)?),
    })
}

pub fn rect(v: &str) -> Result<Rect, ValueError> {
    let f = Fields::new(v);
    f.exactly(4, "four integers x,y,w,h")?;
    rect_fields(&f)
}

pub fn rect_n(v: &str) -> Result<RectN, ValueError> {
    let f = Fields::new(v);
    f.exactly(4, "four numbers x,y,w,h")?;
    Ok(RectN {
        x: f.real(0, RealRange::ANY)?,
        y: f.real(1, RealRange::ANY)?,
        w: f.real(2, RealRange::POSITIVE)?,
        h: f.real(3, RealRange::POSITIVE)?,
    })
}

pub fn tile(v: &str) -> Result<Tile, ValueError> {
    let f = Fields::new(v);
    if f.len() < 4 {
        f.exactly(4, "four integers x,y,w,h and an optional scale")?;
    }
    f.at_most(5)?;
    Ok(Tile {
        rect: rect_fields(&f)?,
        scale: f.opt_real(4, RealRange::POSITIVE)?,
    })
}

pub fn edges(v: &str) -> Result<Edges, ValueError> {
    let f = Fields::new(v);
    f.exactly(4, "four integers left,top,right,bottom")?;
    Ok(Edges {
        left: to_i32(f.int(0, -MAX_COORD, MAX_COORD)?),
        top: to_i32(f.int(1, -MAX_COORD, MAX_COORD)?),
        right: to_i32(f.int(2, -MAX_COORD, MAX_COORD)?),
        bottom: to_i32(f.int(3, -MAX_COORD, MAX_COORD)?),
    })
}

pub fn edges_n(v: &str) -> Result<EdgesN, ValueError> {
    let f = Fields::new(v);
    f.exactly(4, "four numbers left,top,right,bottom")?;
    Ok(EdgesN {
        left: f.real(0, RealRange::ANY)?,
        top: f.real(1, RealRange::ANY)?,
        right: f.real(2, RealRange::ANY)?,
        bottom: f.real(3, RealRange::ANY)?,
    })
}

pub fn perspective(v: &str) -> Result<Perspective, ValueError> {
    let f = Fields::new(v);
    if f.len() < 8 {
        f.exactly(
            8,
            "eight numbers x1,y1,…,x4,y4 and an optional resampling option",
        )?;
    }
    f.at_most(9)?;
    let mut quad = [0.0; 8];
    for (i, q) in quad.iter_mut().enumerate() {
        *q = f.real(i, RealRange::ANY)?;
    }
    let res = if f.present(8) {
        let text = f.text(8).unwrap_or("");
        Some(perspective_res(text).ok_or_else(|| {
            f.error(
                8,
                format!("expected R1, R2, R3 or R3T<0–200> (case-sensitive), found `{text}`"),
            )
        })?)
    } else {
        None
    };
    Ok(Perspective { quad, res })
}

fn perspective_res(text: &str) -> Option<PerspectiveRes> {
    match text {
        "R1" => Some(PerspectiveRes::Nearest),
        "R2" => Some(PerspectiveRes::Bilinear),
        "R3" => Some(PerspectiveRes::SuperSample),
        t => {
            let n = whole(t.strip_prefix("R3T")?, int_literal)?;
            (0..=200)
                .contains(&n)
                .then(|| PerspectiveRes::Jitter(to_u8(n)))
        }
    }
}

pub fn fit(v: &str) -> Result<Fit, ValueError> {
    let f = Fields::new(v);
    f.at_most(2)?;
    Ok(Fit {
        mode: f.keyword(0, FitMode::from_keyword, FitMode::expected())?,
        upscale: f.opt_flag(1)?,
    })
}

pub fn opacity(v: &str) -> Result<Opacity, ValueError> {
    let f = Fields::new(v);
    f.at_most(2)?;
    Ok(Opacity {
        opacity: to_u8(f.int(0, 0, 100)?),
        fill: f.opt_int(1, 0, 100)?.map(to_u8),
    })
}

// ---- Keywords -------------------------------------------------------------

/// A value that is one keyword of a closed set.
pub fn keyword<K: Keyword>(v: &str) -> Result<K, ValueError> {
    let f = Fields::new(v);
    f.exactly(
        1,
        &format!("one of {}", K::expected().trim_end_matches(", ")),
    )?;
    f.keyword(0, K::from_keyword, K::expected())
}

/// Keyword sets that `keyword` can parse.
pub trait Keyword: Sized {
    fn from_keyword(word: &str) -> Option<Self>;
    fn expected() -> &'static str;
}

macro_rules! impl_keyword {
    ($($t:ty),+) => {$(
        impl Keyword for $t {
            fn from_keyword(word: &str) -> Option<Self> { <$t>::from_keyword(word) }
            fn expected() -> &'static str { <$t>::expected() }
        }
    )+};
}

impl_keyword!(MaskUse, Flip, BlendMode, ResMode);

pub fn res_mode(v: &str) -> Result<ResMode, ValueError> {
    if v.eq_ignore_ascii_case("trilin") {
        return Err(ValueError {
            message:
                "`trilin` is not an Image Serving resMode: use bilin, bicub, sharp2 or bisharp"
                    .to_owned(),
            at: 0..v.len(),
        });
    }
    keyword(v)
}

pub fn names(v: &str) -> Result<Vec<String>, ValueError> {
    let f = Fields::new(v);
    let mut out = Vec::with_capacity(f.len());
    for i in 0..f.len() {
        match f.text(i) {
            Some(t) if !t.is_empty() => out.push(t.to_owned()),
            _ => return Err(f.error(i, "expected a path name")),
        }
    }
    Ok(out)
}

// ---- Strings and objects ----------------------------------------------------

/// Free text, kept verbatim (text layers, maps, ids, messages).
pub fn text(v: &str) -> Result<String, ValueError> {
    Ok(v.to_owned())
}

/// An object id or path: not empty, no comma (§1.2).
pub fn object(v: &str) -> Result<String, ValueError> {
    if v.is_empty() {
        return Err(ValueError {
            message: "expected an object id".to_owned(),
            at: 0..0,
        });
    }
    if let Some(i) = v.find(',') {
        return Err(ValueError {
            message: "an object id may not contain `,`".to_owned(),
            at: i..i + 1,
        });
    }
    Ok(v.to_owned())
}

/// Whether a raw value is a nested request or foreign URL (§1.9).
pub fn is_nested(v: &str) -> bool {
    nested_prefix(v).is_some()
}

/// The kind of nested value and the length of its prefix up to the bracket.
fn nested_prefix(v: &str) -> Option<(NestedKind, usize)> {
    let result: PResult<'_, (Option<&str>, char)> = (
        opt(alt((
            tag_no_case("is"),
            tag_no_case("ir"),
            tag_no_case("fxg"),
        ))),
        one_of("({"),
    )
        .parse(v);
    let (rest, (prefix, _)) = result.ok()?;
    let kind = match prefix.map(str::to_ascii_lowercase).as_deref() {
        Some("is") => NestedKind::Is,
        Some("ir") => NestedKind::Ir,
        Some("fxg") => NestedKind::Fxg,
        _ => NestedKind::Url,
    };
    Some((kind, v.len() - rest.len()))
}

/// `src=`/`mask=`: an object, or a nested request kept as text.
pub fn source(v: &str) -> Result<Source, ValueError> {
    let Some((kind, open)) = nested_prefix(v) else {
        return object(v).map(Source::Object);
    };
    let braces = v.as_bytes().get(open - 1) == Some(&b'{');
    // Find the bracket that closes the one at `open - 1`.
    let mut depth = 0usize;
    let mut close = None;
    for (i, b) in v.bytes().enumerate().skip(open - 1) {
        match b {
            b'(' | b'{' => depth += 1,
            b')' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(close) = close else {
        return Err(ValueError {
            message: format!("unclosed `{}`", if braces { '{' } else { '(' }),
            at: open - 1..v.len(),
        });
    };
    if close + 1 != v.len() {
        return Err(ValueError {
            message: "unexpected text after the nested request".to_owned(),
            at: close + 1..v.len(),
        });
    }
    let body = &v[open..close];
    if kind == NestedKind::Url && body.is_empty() {
        return Err(ValueError {
            message: "expected a URL inside the brackets".to_owned(),
            at: open - 1..v.len(),
        });
    }
    Ok(Source::Nested(Nested {
        kind,
        body: body.to_owned(),
        braces,
    }))
}

pub fn locale(v: &str) -> Result<String, ValueError> {
    match v.char_indices().find(|(_, c)| !c.is_ascii_graphic()) {
        Some((i, c)) => Err(ValueError {
            message: "a locale is printable ASCII".to_owned(),
            at: i..i + c.len_utf8(),
        }),
        None => Ok(v.to_owned()),
    }
}

pub fn handler(v: &str) -> Result<String, ValueError> {
    if whole(v, take_while1(|c: char| c.is_ascii_alphanumeric())).is_some() {
        Ok(v.to_owned())
    } else {
        Err(ValueError {
            message: "a JSONP handler name is letters and digits only".to_owned(),
            at: 0..v.len(),
        })
    }
}

// ---- Colours (§3.10) --------------------------------------------------------

fn hex_byte(input: &str) -> PResult<'_, u8> {
    let (rest, digits) = take_while_m_n(2, 2, |c: char| c.is_ascii_hexdigit()).parse(input)?;
    match u8::from_str_radix(digits, 16) {
        Ok(v) => Ok((rest, v)),
        Err(_) => Err(nom::Err::Error(AtomError { input })),
    }
}

fn percent_to_byte(p: f64) -> u8 {
    (p * 255.0 / 100.0).round().clamp(0.0, 255.0) as u8
}

pub fn color(v: &str) -> Result<Color, ValueError> {
    let error = |message: String| ValueError {
        message,
        at: 0..v.len(),
    };
    let mut body = v;
    let mut source_space = false;
    if let Some(stripped) = body.strip_suffix(['s', 'S']) {
        source_space = true;
        body = stripped;
    }
    let suffix = body
        .chars()
        .last()
        .filter(|c| matches!(c.to_ascii_lowercase(), 'g' | 'r' | 'k'))
        .map(|c| c.to_ascii_lowercase());
    if suffix.is_some() {
        body = &body[..body.len() - 1];
    }
    let (hex, prefixed) = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(h) => (Some(h), true),
        None if !body.contains(',')
            && matches!(body.len(), 6 | 8 | 10)
            && body.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            (Some(body), false)
        }
        None => (None, false),
    };
    let value = if let Some(hex) = hex {
        let bytes = whole(hex, nom::multi::many1(hex_byte))
            .filter(|b| b.len() <= 5 && hex.len() % 2 == 0)
            .ok_or_else(|| error(format!("expected a hex colour, found `{v}`")))?;
        match (bytes.as_slice(), suffix) {
            ([l], None | Some('g')) if prefixed => ColorValue::Gray {
                level: *l,
                alpha: 255,
            },
            ([l, a], None | Some('g')) if prefixed => ColorValue::Gray {
                level: *l,
                alpha: *a,
            },
            ([r, g, b], None | Some('r')) => ColorValue::Rgb {
                r: *r,
                g: *g,
                b: *b,
                alpha: 255,
            },
            ([r, g, b, a], None | Some('r')) => ColorValue::Rgb {
                r: *r,
                g: *g,
                b: *b,
                alpha: *a,
            },
            ([c, m, y, k], Some('k')) => cmyk_hex(&[*c, *m, *y, *k, 100]).map_err(error)?,
            ([c, m, y, k, a], Some('k')) => cmyk_hex(&[*c, *m, *y, *k, *a]).map_err(error)?,
            _ => {
                return Err(error(format!(
                    "`{v}` is not a colour: hex gray needs 0x and 2 or 4 digits, RGB 6 or 8, CMYK 8 or 10 with a `k` suffix"
                )));
            }
        }
    } else {
        let f = Fields::new(body);
        let mut nums = Vec::with_capacity(f.len());
        for i in 0..f.len() {
            nums.push(
                f.real(i, RealRange::closed(0.0, 255.0))
                    .map_err(|_| error(format!("expected a colour, found `{v}`")))?,
            );
        }
        let pct = |x: f64| -> Result<f64, ValueError> {
            if x <= 100.0 {
                Ok(x)
            } else {
                Err(error(format!("`{v}`: percentages go from 0 to 100")))
            }
        };
        let byte = |x: f64| -> Result<u8, ValueError> {
            if x.fract() == 0.0 {
                Ok(x as u8)
            } else {
                Err(error(format!(
                    "`{v}`: RGB components are integers from 0 to 255"
                )))
            }
        };
        match (nums.as_slice(), suffix) {
            ([g], None | Some('g')) => ColorValue::Gray {
                level: percent_to_byte(pct(*g)?),
                alpha: 255,
            },
            ([g, a], None | Some('g')) => ColorValue::Gray {
                level: percent_to_byte(pct(*g)?),
                alpha: percent_to_byte(pct(*a)?),
            },
            ([r, g, b], None | Some('r')) => ColorValue::Rgb {
                r: byte(*r)?,
                g: byte(*g)?,
                b: byte(*b)?,
                alpha: 255,
            },
            ([r, g, b, a], None | Some('r')) => ColorValue::Rgb {
                r: byte(*r)?,
                g: byte(*g)?,
                b: byte(*b)?,
                alpha: byte(*a)?,
            },
            ([c, m, y, k], Some('k')) => ColorValue::Cmyk {
                c: pct(*c)?.round() as u8,
                m: pct(*m)?.round() as u8,
                y: pct(*y)?.round() as u8,
                k: pct(*k)?.round() as u8,
                alpha: 100,
            },
            ([c, m, y, k, a], Some('k')) => ColorValue::Cmyk {
                c: pct(*c)?.round() as u8,
                m: pct(*m)?.round() as u8,
                y: pct(*y)?.round() as u8,
                k: pct(*k)?.round() as u8,
                alpha: pct(*a)?.round() as u8,
            },
            _ => {
                return Err(error(format!(
                    "`{v}` is not a colour: use g[,a], r,g,b[,a] or c,m,y,k[,a]k"
                )));
            }
        }
    };
    Ok(Color {
        value,
        source_space,
    })
}

fn cmyk_hex(parts: &[u8; 5]) -> Result<ColorValue, String> {
    if parts.iter().any(|&p| p > 100) {
        return Err("hex CMYK components are percentages from 0x00 to 0x64".to_owned());
    }
    Ok(ColorValue::Cmyk {
        c: parts[0],
        m: parts[1],
        y: parts[2],
        k: parts[3],
        alpha: parts[4],
    })
}

// ---- Paths ------------------------------------------------------------------

fn path_separator(input: &str) -> PResult<'_, &str> {
    nom::bytes::complete::take_while(|c: char| c == ',' || c == ' ').parse(input)
}

fn path_number(input: &str) -> PResult<'_, f64> {
    let (rest, _) = path_separator(input)?;
    real_literal(rest)
}

/// SVG-like path data with commas: `M`, `L`, `C`, `Z` in either case (§3.5).
pub fn path(v: &str) -> Result<Path, ValueError> {
    let mut steps = Vec::new();
    let mut input = v;
    while let Ok((rest, _)) = path_separator(input) {
        input = rest;
        if input.is_empty() {
            break;
        }
        let at = v.len() - input.len();
        let mut chars = input.chars();
        let command = chars.next().unwrap_or(' ');
        let relative = command.is_ascii_lowercase();
        input = chars.as_str();
        let arity = match command.to_ascii_uppercase() {
            'M' | 'L' => 2,
            'C' => 6,
            'Z' => 0,
            _ => {
                return Err(ValueError {
                    message: format!("expected a path command M, L, C or Z, found `{command}`"),
                    at: at..at + command.len_utf8(),
                });
            }
        };
        if arity == 0 {
            steps.push(PathStep::Close);
            continue;
        }
        // A command letter may be followed by several coordinate groups.
        let mut groups = 0;
        loop {
            let mut nums = [0.0; 6];
            let mut rest = input;
            let mut ok = true;
            for n in nums.iter_mut().take(arity) {
                match path_number(rest) {
                    Ok((r, x)) => {
                        *n = x;
                        rest = r;
                    }
                    Err(_) => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                if groups == 0 {
                    let start = v.len() - input.len();
                    return Err(ValueError {
                        message: format!("`{command}` needs {arity} numbers"),
                        at: at..start.max(at + 1),
                    });
                }
                break;
            }
            input = rest;
            let implicit_line = groups > 0 && command.eq_ignore_ascii_case(&'M');
            steps.push(match (arity, implicit_line) {
                (2, false) if command.eq_ignore_ascii_case(&'M') => PathStep::Move {
                    relative,
                    x: nums[0],
                    y: nums[1],
                },
                (2, _) => PathStep::Line {
                    relative,
                    x: nums[0],
                    y: nums[1],
                },
                _ => PathStep::Cubic {
                    relative,
                    points: nums,
                },
            });
            groups += 1;
        }
    }
    if steps.is_empty() {
        return Err(ValueError {
            message: "expected path data".to_owned(),
            at: 0..v.len(),
        });
    }
    Ok(Path { steps })
}

pub fn path_attr(v: &str) -> Result<PathAttr, ValueError> {
    let f = Fields::new(v);
    f.at_most(3)?;
    let direction = f.keyword(0, PathDirection::from_keyword, PathDirection::expected())?;
    let start = f.opt_real(
        1,
        RealRange {
            lo: 0.0,
            hi: 0.999_999_999,
            lo_open: false,
        },
    )?;
    let end = f.opt_real(2, RealRange::closed(0.0, 2.0))?;
    Ok(PathAttr {
        direction,
        start,
        end,
    })
}

// ---- Request attributes -------------------------------------------------------

pub fn req(v: &str) -> Result<Req, ValueError> {
    let f = Fields::new(v);
    f.at_most(3)?;
    let kind = f.keyword(0, ReqType::from_keyword, ReqType::expected())?;
    let format = f.opt_keyword(1, ResponseFormat::from_keyword, ResponseFormat::expected())?;
    let encoding = if f.present(2) {
        if format != Some(ResponseFormat::Xml) {
            return Err(f.error(2, "a character encoding may follow `xml` only"));
        }
        Some(f.keyword(2, XmlEncoding::from_keyword, XmlEncoding::expected())?)
    } else {
        None
    };
    Ok(Req {
        kind,
        format,
        encoding,
    })
}

fn pixel_types(kind: FormatKind) -> &'static [PixelType] {
    use FormatKind::*;
    use PixelType::*;
    match kind {
        Jpeg | Jpg | Pjpeg | Tif | TifAlpha | Pdf | Eps => &[Rgb, Gray, Cmyk],
        Png | PngAlpha | Gif | GifAlpha | Jpeg2000 | Jpeg2000Alpha | Swf | SwfAlpha | Swf3
        | Swf3Alpha => &[Rgb, Gray],
        Png8 | Png8Alpha | Webp | WebpAlpha | Avif | AvifAlpha | JpegXr | JpegXrAlpha | Heic => {
            &[Rgb]
        }
        F4m | M3u8 => &[],
    }
}

pub fn format(v: &str) -> Result<Format, ValueError> {
    let f = Fields::new(v);
    f.at_most(3)?;
    let kind = f.keyword(0, FormatKind::from_keyword, FormatKind::expected())?;
    let pixel_type = f.opt_keyword(1, PixelType::from_keyword, PixelType::expected())?;
    if let Some(p) = pixel_type {
        if !pixel_types(kind).contains(&p) {
            return Err(f.error(
                1,
                format!(
                    "`{}` output has no `{}` pixel type",
                    kind.as_str(),
                    p.as_str()
                ),
            ));
        }
    }
    let compression = f.opt_keyword(2, Compression::from_keyword, Compression::expected())?;
    if let Some(c) = compression {
        if !kind.compressions().contains(&c) {
            let allowed: Vec<&str> = kind.compressions().iter().map(|c| c.as_str()).collect();
            return Err(f.error(
                2,
                format!(
                    "`{}` does not take compression `{}` (allowed: {})",
                    kind.as_str(),
                    c.as_str(),
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(Format {
        kind,
        pixel_type,
        compression,
    })
}

pub fn quality(v: &str) -> Result<Quality, ValueError> {
    let f = Fields::new(v);
    f.at_most(2)?;
    Ok(Quality {
        quality: to_u8(f.int(0, 1, 100)?),
        no_chroma_subsampling: f.opt_flag(1)?,
    })
}

pub fn quantize(v: &str) -> Result<Quantize, ValueError> {
    let f = Fields::new(v);
    let kind = f.keyword(0, QuantizeType::from_keyword, QuantizeType::expected())?;
    let dither = f.opt_keyword(1, Dither::from_keyword, Dither::expected())?;
    let colors = f.opt_int(2, 2, 256)?.map(|c| c as u16);
    let mut forced = Vec::new();
    for i in 3..f.len() {
        let text = f.text(i).unwrap_or("");
        let rgb = whole(text, (hex_byte, hex_byte, hex_byte))
            .ok_or_else(|| f.error(i, format!("expected an rrggbb colour, found `{text}`")))?;
        forced.push([rgb.0, rgb.1, rgb.2]);
    }
    Ok(Quantize {
        kind,
        dither,
        colors,
        forced,
    })
}

pub fn icc(v: &str) -> Result<Icc, ValueError> {
    let f = Fields::new(v);
    f.at_most(4)?;
    let profile = f.text(0).unwrap_or("");
    if profile.is_empty() {
        return Err(f.error(0, "expected an ICC profile name or path"));
    }
    // Unsupported intent or black-point values are silently ignored (§3.1).
    Ok(Icc {
        profile: profile.to_owned(),
        intent: f.text(1).and_then(RenderIntent::from_keyword),
        black_point_compensation: f.text(2).and_then(parse_flag),
        dither: f.opt_flag(3)?,
    })
}

pub fn cache(v: &str) -> Result<Cache, ValueError> {
    let f = Fields::new(v);
    f.at_most(2)?;
    if f.len() == 2 {
        let side = |i| {
            f.keyword(
                i,
                |w| match CacheMode::from_keyword(w) {
                    Some(CacheMode::On) => Some(true),
                    Some(CacheMode::Off) => Some(false),
                    _ => None,
                },
                "on, off",
            )
        };
        return Ok(Cache::Split {
            client: side(0)?,
            server: side(1)?,
        });
    }
    Ok(Cache::Both(f.keyword(
        0,
        CacheMode::from_keyword,
        CacheMode::expected(),
    )?))
}

pub fn pscan(v: &str) -> Result<Pscan, ValueError> {
    let f = Fields::new(v);
    f.exactly(1, "auto, 3, 4 or 5")?;
    if PscanAuto::from_keyword(v).is_some() {
        return Ok(Pscan::Auto);
    }
    Ok(Pscan::Scans(to_u8(f.int(0, 3, 5)?)))
}

pub fn dpr(v: &str) -> Result<Dpr, ValueError> {
    let f = Fields::new(v);
    f.at_most(2)?;
    let on = f.keyword(
        0,
        |w| match w.to_ascii_lowercase().as_str() {
            "on" => Some(true),
            "off" => Some(false),
            _ => None,
        },
        "on, off",
    )?;
    if !on {
        f.at_most(1)?;
        return Ok(Dpr::Off);
    }
    Ok(Dpr::On(f.opt_real(1, RealRange::POSITIVE)?))
}

// ---- Pixel operations -----------------------------------------------------------

pub fn color_balance(v: &str) -> Result<[i32; 3], ValueError> {
    let f = Fields::new(v);
    f.exactly(3, "three integers r,g,b from -100 to 100")?;
    Ok([
        to_i32(f.int(0, -100, 100)?),
        to_i32(f.int(1, -100, 100)?),
        to_i32(f.int(2, -100, 100)?),
    ])
}

pub fn colorize(v: &str) -> Result<Colorize, ValueError> {
    let f = Fields::new(v);
    // The colour may hold commas itself; it runs up to the mode keyword.
    let mode_at = (0..f.len()).find(|&i| f.text(i).and_then(ColorizeMode::from_keyword).is_some());
    let color_end = mode_at.map_or(v.len(), |i| f.range(i).start.saturating_sub(1));
    let color_value = color(&v[..color_end])?;
    let (mode, contrast) = match mode_at {
        Some(i) => {
            f.at_most(i + 2)?;
            (
                f.text(i).and_then(ColorizeMode::from_keyword),
                f.opt_real(i + 1, RealRange::closed(0.0, 100.0))?,
            )
        }
        None => (None, None),
    };
    Ok(Colorize {
        color: color_value,
        mode,
        contrast,
    })
}

pub fn noise(v: &str) -> Result<Noise, ValueError> {
    let f = Fields::new(v);
    f.at_most(3)?;
    Ok(Noise {
        amount: to_u8(f.int(0, 0, 100)?),
        distribution: f.opt_keyword(
            1,
            NoiseDistribution::from_keyword,
            NoiseDistribution::expected(),
        )?,
        mono: f.opt_flag(2)?,
    })
}

pub fn usm(v: &str) -> Result<Usm, ValueError> {
    let f = Fields::new(v);
    f.at_most(4)?;
    Ok(Usm {
        amount: f.real(0, RealRange::closed(0.0, 5.0))?,
        radius: f.opt_real(1, RealRange::closed(0.0, 250.0))?,
        threshold: f.opt_int(2, 0, 255)?.map(to_u8),
        mono: f.opt_flag(3)?,
    })
}

pub fn text_attr(v: &str) -> Result<TextAttr, ValueError> {
    let f = Fields::new(v);
    f.at_most(4)?;
    Ok(TextAttr {
        resolution: to_u32(f.int(0, 1, 10_000)?),
        anti_alias: f.opt_keyword(1, AntiAlias::from_keyword, AntiAlias::expected())?,
        res_mode: f.opt_keyword(2, TextResMode::from_keyword, TextResMode::expected())?,
        wrap: f.opt_keyword(3, TextWrap::from_keyword, TextWrap::expected())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgb(r: u8, g: u8, b: u8, alpha: u8) -> ColorValue {
        ColorValue::Rgb { r, g, b, alpha }
    }

    #[test]
    fn colors_of_section_3_10() {
        let cases: &[(&str, ColorValue, bool)] = &[
            (
                "50,75g",
                ColorValue::Gray {
                    level: 128,
                    alpha: 191,
                },
                false,
            ),
            ("0,100,200", rgb(0, 100, 200, 255), false),
            ("0,100,200,10r", rgb(0, 100, 200, 10), false),
            (
                "94,11,50,33k",
                ColorValue::Cmyk {
                    c: 94,
                    m: 11,
                    y: 50,
                    k: 33,
                    alpha: 100,
                },
                false,
            ),
            (
                "0X70G",
                ColorValue::Gray {
                    level: 0x70,
                    alpha: 255,
                },
                false,
            ),
            ("a0b1c2d3R", rgb(160, 177, 194, 211), false),
            ("0xa0b1c2", rgb(160, 177, 194, 255), false),
            ("ffffff", rgb(255, 255, 255, 255), false),
            (
                "38393A3bK",
                ColorValue::Cmyk {
                    c: 56,
                    m: 57,
                    y: 58,
                    k: 59,
                    alpha: 100,
                },
                false,
            ),
            (
                "0x0a0b0C0d0eks",
                ColorValue::Cmyk {
                    c: 10,
                    m: 11,
                    y: 12,
                    k: 13,
                    alpha: 14,
                },
                true,
            ),
            (
                "100S",
                ColorValue::Gray {
                    level: 255,
                    alpha: 255,
                },
                true,
            ),
            (
                "0",
                ColorValue::Gray {
                    level: 0,
                    alpha: 255,
                },
                false,
            ),
        ];
        for (text, value, source_space) in cases {
            assert_eq!(
                color(text),
                Ok(Color {
                    value: *value,
                    source_space: *source_space
                }),
                "{text}"
            );
        }
        for bad in [
            "",
            "abc",
            "1,2,3,4,5",
            "256,0,0",
            "101",
            "0x7",
            "12345",
            "1,2,3k",
            "0x70r",
        ] {
            assert!(color(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn numbers_refuse_exponents_and_specials() {
        assert!(positive_real("1e3").is_err());
        assert!(positive_real("inf").is_err());
        assert!(positive_real("NaN").is_err());
        assert_eq!(positive_real(".5"), Ok(0.5));
        assert_eq!(positive_real("2."), Ok(2.0));
    }

    #[test]
    fn errors_point_at_the_argument() {
        let e = rect("0,0,abc,10").unwrap_err();
        assert_eq!(e.at, 4..7);
        assert_eq!(e.message, "expected an integer > 0, found `abc`");
    }

    #[test]
    fn nested_sources_keep_their_body() {
        assert_eq!(
            source("is(Co/x?wid=1&hei=2)"),
            Ok(Source::Nested(Nested {
                kind: NestedKind::Is,
                body: "Co/x?wid=1&hei=2".into(),
                braces: false
            }))
        );
        assert!(matches!(
            source("IR{a}"),
            Ok(Source::Nested(Nested {
                kind: NestedKind::Ir,
                ..
            }))
        ));
        assert!(matches!(
            source("(http://x/y.jpg)"),
            Ok(Source::Nested(Nested {
                kind: NestedKind::Url,
                ..
            }))
        ));
        assert!(source("is(Co/x").is_err());
        assert!(source("is(a)b").is_err());
        assert_eq!(source("Co/img"), Ok(Source::Object("Co/img".into())));
        assert!(source("a,b").is_err());
    }

    #[test]
    fn paths_accept_commas_and_implicit_repeats() {
        let p = path("M0,0L100,0,100,100Z").unwrap();
        assert_eq!(p.steps.len(), 4);
        let p = path("m,10,10,l,5,5,c,1,2,3,4,5,6,z").unwrap();
        assert_eq!(p.steps.len(), 4);
        assert!(path("M0").is_err());
        assert!(path("Q1,2").is_err());
    }
}
