//! The canonical printer: a merged `Request` back to a modifier string.
//!
//! The output is what `req=resolve` answers, and it parses back to the same
//! request. Order: the `layer=comp` segment (layer 0's commands that `comp`
//! routes to layer 0, then composite commands, then view and request
//! attributes), then each layer in ascending order with its effects. Values are
//! printed in one canonical spelling and free text is percent-encoded where
//! reading it back would change it. This module never fails.

use std::fmt::Write;

use super::ast::*;
use super::lexer::percent_encode;

/// Prints a request in canonical form.
pub fn print(request: &Request) -> String {
    let mut out = String::new();
    let sep = |out: &mut String| {
        if !out.is_empty() {
            out.push('&');
        }
    };

    let names_of = |layer: u32| -> Vec<&str> {
        request
            .layer_names
            .iter()
            .filter(|(_, n)| **n == layer)
            .map(|(name, _)| name.as_str())
            .collect()
    };
    let commands_of = |target: Target| {
        request
            .commands
            .iter()
            .filter(move |((t, _), _)| *t == target)
            .map(|(_, c)| &c.value)
    };
    let write_command = |out: &mut String, command: &Command| {
        out.push_str(command.name().as_str());
        out.push('=');
        command.write_value(out);
    };

    // The comp segment: layer 0 commands that comp routes there, the
    // composite's own commands, then the global ones.
    let mut layer0_rest = Vec::new();
    for command in commands_of(Target::Layer(0)) {
        if command.name().class() == Class::Layer0 {
            sep(&mut out);
            write_command(&mut out, command);
        } else {
            layer0_rest.push(command);
        }
    }
    for target in [Target::Composite, Target::Global] {
        for command in commands_of(target) {
            sep(&mut out);
            write_command(&mut out, command);
        }
    }
    let all_targets = request.all_targets();
    let print_effects = |out: &mut String, parent: Option<u32>| {
        for target in all_targets.iter() {
            if let Target::Effect { parent: p, index } = target {
                if *p == parent {
                    sep(out);
                    let _ = write!(out, "effect={index}");
                    for command in commands_of(*target) {
                        sep(out);
                        write_command(out, command);
                    }
                }
            }
        }
    };
    print_effects(&mut out, None);

    for layer in request.layers() {
        let names = names_of(layer);
        let rest: Vec<&Command> = if layer == 0 {
            layer0_rest.clone()
        } else {
            commands_of(Target::Layer(layer)).collect()
        };
        let has_effects = all_targets
            .iter()
            .any(|t| matches!(t, Target::Effect { parent: Some(p), .. } if *p == layer));
        let declared = request.targets.contains(&Target::Layer(layer));
        if layer == 0 && rest.is_empty() && names.is_empty() && !has_effects && !declared {
            continue;
        }
        sep(&mut out);
        match names.first() {
            Some(name) => {
                let _ = write!(out, "layer={layer},{}", percent_encode(name));
            }
            None => {
                let _ = write!(out, "layer={layer}");
            }
        }
        for name in names.iter().skip(1) {
            let _ = write!(out, "&layer={layer},{}", percent_encode(name));
        }
        for command in rest {
            sep(&mut out);
            write_command(&mut out, command);
        }
        print_effects(&mut out, Some(layer));
    }
    out
}

// ---- Value writers: one per value shape, the inverse of `parser` ----------

pub fn real(v: &f64, out: &mut String) {
    // `Display` for f64 prints the shortest text that reads back exactly,
    // without an exponent.
    let _ = write!(out, "{v}");
}

pub fn int(v: &i32, out: &mut String) {
    let _ = write!(out, "{v}");
}

pub fn uint(v: &u32, out: &mut String) {
    let _ = write!(out, "{v}");
}

pub fn flag(v: &bool, out: &mut String) {
    out.push(if *v { '1' } else { '0' });
}

pub fn on_off(v: &bool, out: &mut String) {
    out.push_str(if *v { "on" } else { "off" });
}

pub fn string(v: &str, out: &mut String) {
    out.push_str(&percent_encode(v));
}

pub fn names(v: &[String], out: &mut String) {
    for (i, name) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&percent_encode(name));
    }
}

/// Keyword values print their canonical spelling.
pub trait KeywordText {
    fn text(&self) -> &'static str;
}

macro_rules! impl_keyword_text {
    ($($t:ty),+) => {$(
        impl KeywordText for $t {
            fn text(&self) -> &'static str { self.as_str() }
        }
    )+};
}

impl_keyword_text!(MaskUse, Flip, BlendMode, ResMode);

pub fn keyword<K: KeywordText>(v: &K, out: &mut String) {
    out.push_str(v.text());
}

pub fn source(v: &Source, out: &mut String) {
    match v {
        Source::Object(id) => out.push_str(&percent_encode(id)),
        Source::Nested(nested) => {
            let (open, close) = if nested.braces {
                ('{', '}')
            } else {
                ('(', ')')
            };
            out.push_str(nested.kind.prefix());
            out.push(open);
            out.push_str(&nested.body);
            out.push(close);
        }
    }
}

pub fn point(v: &Point, out: &mut String) {
    let _ = write!(out, "{},{}", v.x, v.y);
}

pub fn point_n(v: &PointN, out: &mut String) {
    let _ = write!(out, "{},{}", v.x, v.y);
}

pub fn size(v: &Size, out: &mut String) {
    let _ = write!(out, "{},{}", v.w, v.h);
}

pub fn rect(v: &Rect, out: &mut String) {
    let _ = write!(out, "{},{},{},{}", v.x, v.y, v.w, v.h);
}

pub fn rect_n(v: &RectN, out: &mut String) {
    let _ = write!(out, "{},{},{},{}", v.x, v.y, v.w, v.h);
}

pub fn tile(v: &Tile, out: &mut String) {
    rect(&v.rect, out);
    if let Some(s) = v.scale {
        let _ = write!(out, ",{s}");
    }
}

pub fn edges(v: &Edges, out: &mut String) {
    let _ = write!(out, "{},{},{},{}", v.left, v.top, v.right, v.bottom);
}

pub fn edges_n(v: &EdgesN, out: &mut String) {
    let _ = write!(out, "{},{},{},{}", v.left, v.top, v.right, v.bottom);
}

pub fn perspective(v: &Perspective, out: &mut String) {
    for (i, q) in v.quad.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{q}");
    }
    match v.res {
        None => {}
        Some(PerspectiveRes::Nearest) => out.push_str(",R1"),
        Some(PerspectiveRes::Bilinear) => out.push_str(",R2"),
        Some(PerspectiveRes::SuperSample) => out.push_str(",R3"),
        Some(PerspectiveRes::Jitter(n)) => {
            let _ = write!(out, ",R3T{n}");
        }
    }
}

pub fn color(v: &Color, out: &mut String) {
    match v.value {
        ColorValue::Gray { level, alpha: 255 } => {
            let _ = write!(out, "0x{level:02x}g");
        }
        ColorValue::Gray { level, alpha } => {
            let _ = write!(out, "0x{level:02x}{alpha:02x}g");
        }
        ColorValue::Rgb {
            r,
            g,
            b,
            alpha: 255,
        } => {
            let _ = write!(out, "{r:02x}{g:02x}{b:02x}");
        }
        ColorValue::Rgb { r, g, b, alpha } => {
            let _ = write!(out, "{r:02x}{g:02x}{b:02x}{alpha:02x}");
        }
        ColorValue::Cmyk {
            c,
            m,
            y,
            k,
            alpha: 100,
        } => {
            let _ = write!(out, "{c},{m},{y},{k}k");
        }
        ColorValue::Cmyk { c, m, y, k, alpha } => {
            let _ = write!(out, "{c},{m},{y},{k},{alpha}k");
        }
    }
    if v.source_space {
        out.push('s');
    }
}

pub fn fit(v: &Fit, out: &mut String) {
    out.push_str(v.mode.as_str());
    if let Some(u) = v.upscale {
        out.push(',');
        flag(&u, out);
    }
}

pub fn opacity(v: &Opacity, out: &mut String) {
    let _ = write!(out, "{}", v.opacity);
    if let Some(f) = v.fill {
        let _ = write!(out, ",{f}");
    }
}

pub fn path(v: &Path, out: &mut String) {
    for step in &v.steps {
        let letter = |upper: char, relative: bool| {
            if relative {
                upper.to_ascii_lowercase()
            } else {
                upper
            }
        };
        match step {
            PathStep::Move { relative, x, y } => {
                let _ = write!(out, "{}{x},{y}", letter('M', *relative));
            }
            PathStep::Line { relative, x, y } => {
                let _ = write!(out, "{}{x},{y}", letter('L', *relative));
            }
            PathStep::Cubic { relative, points } => {
                out.push(letter('C', *relative));
                for (i, p) in points.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{p}");
                }
            }
            PathStep::Close => out.push('Z'),
        }
    }
}

pub fn path_attr(v: &PathAttr, out: &mut String) {
    out.push_str(v.direction.as_str());
    write_optional_tail(out, &[v.start.map(fmt_real), v.end.map(fmt_real)]);
}

fn fmt_real(v: f64) -> String {
    format!("{v}")
}

/// Writes optional trailing arguments, leaving empty ones where a later one is set.
fn write_optional_tail(out: &mut String, args: &[Option<String>]) {
    let last = args.iter().rposition(Option::is_some);
    if let Some(last) = last {
        for arg in &args[..=last] {
            out.push(',');
            if let Some(a) = arg {
                out.push_str(a);
            }
        }
    }
}

fn flag_text(v: bool) -> String {
    if v { "1" } else { "0" }.to_owned()
}

pub fn req(v: &Req, out: &mut String) {
    out.push_str(v.kind.as_str());
    write_optional_tail(
        out,
        &[
            v.format.map(|f| f.as_str().to_owned()),
            v.encoding.map(|e| e.as_str().to_owned()),
        ],
    );
}

pub fn format(v: &Format, out: &mut String) {
    out.push_str(v.kind.as_str());
    write_optional_tail(
        out,
        &[
            v.pixel_type.map(|p| p.as_str().to_owned()),
            v.compression.map(|c| c.as_str().to_owned()),
        ],
    );
}

pub fn quality(v: &Quality, out: &mut String) {
    let _ = write!(out, "{}", v.quality);
    write_optional_tail(out, &[v.no_chroma_subsampling.map(flag_text)]);
}

pub fn quantize(v: &Quantize, out: &mut String) {
    out.push_str(v.kind.as_str());
    let mut tail = vec![
        v.dither.map(|d| d.as_str().to_owned()),
        v.colors.map(|c| c.to_string()),
    ];
    tail.extend(
        v.forced
            .iter()
            .map(|[r, g, b]| Some(format!("{r:02x}{g:02x}{b:02x}"))),
    );
    write_optional_tail(out, &tail);
}

pub fn icc(v: &Icc, out: &mut String) {
    out.push_str(&percent_encode(&v.profile));
    write_optional_tail(
        out,
        &[
            v.intent.map(|i| i.as_str().to_owned()),
            v.black_point_compensation.map(flag_text),
            v.dither.map(flag_text),
        ],
    );
}

pub fn cache(v: &Cache, out: &mut String) {
    match v {
        Cache::Both(mode) => out.push_str(mode.as_str()),
        Cache::Split { client, server } => {
            on_off(client, out);
            out.push(',');
            on_off(server, out);
        }
    }
}

pub fn pscan(v: &Pscan, out: &mut String) {
    match v {
        Pscan::Auto => out.push_str("auto"),
        Pscan::Scans(n) => {
            let _ = write!(out, "{n}");
        }
    }
}

pub fn dpr(v: &Dpr, out: &mut String) {
    match v {
        Dpr::Off => out.push_str("off"),
        Dpr::On(None) => out.push_str("on"),
        Dpr::On(Some(x)) => {
            let _ = write!(out, "on,{x}");
        }
    }
}

pub fn ints3(v: &[i32; 3], out: &mut String) {
    let _ = write!(out, "{},{},{}", v[0], v[1], v[2]);
}

pub fn colorize(v: &Colorize, out: &mut String) {
    color(&v.color, out);
    write_optional_tail(
        out,
        &[
            v.mode.map(|m| m.as_str().to_owned()),
            v.contrast.map(fmt_real),
        ],
    );
}

pub fn noise(v: &Noise, out: &mut String) {
    let _ = write!(out, "{}", v.amount);
    write_optional_tail(
        out,
        &[
            v.distribution.map(|d| d.as_str().to_owned()),
            v.mono.map(flag_text),
        ],
    );
}

pub fn usm(v: &Usm, out: &mut String) {
    let _ = write!(out, "{}", v.amount);
    write_optional_tail(
        out,
        &[
            v.radius.map(fmt_real),
            v.threshold.map(|t| t.to_string()),
            v.mono.map(flag_text),
        ],
    );
}

pub fn text_attr(v: &TextAttr, out: &mut String) {
    let _ = write!(out, "{}", v.resolution);
    write_optional_tail(
        out,
        &[
            v.anti_alias.map(|a| a.as_str().to_owned()),
            v.res_mode.map(|r| r.as_str().to_owned()),
            v.wrap.map(|w| w.as_str().to_owned()),
        ],
    );
}
