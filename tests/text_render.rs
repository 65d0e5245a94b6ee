//! Text layers (`render::text`): the RTF subset, layout and rasterisation.
//!
//! Set `TEXT_RENDER_DUMP=1` to write every rendered layer as a PNG under
//! `target/tmp/text_render/` for a look.

use proptest::prelude::*;
use rendition::protocol::ast::{AntiAlias, TextAttr, TextResMode, TextWrap};
use rendition::render::Canvas;
use rendition::render::text::{
    Family, FamilyHint, FontSet, TextError, TextLayer, TextLimits, TextModel, TextRequest,
    render_text, render_text_limited,
};

fn fonts() -> &'static FontSet {
    FontSet::shared()
}

fn render(req: &TextRequest<'_>) -> TextLayer {
    let layer = match render_text(req, fonts()) {
        Ok(layer) => layer,
        Err(e) => panic!("render failed for {:?}: {e}", req.rtf),
    };
    dump(req.rtf, &layer.canvas);
    layer
}

fn text(rtf: &str) -> TextLayer {
    render(&TextRequest::new(rtf))
}

fn boxed(rtf: &str, w: u32, h: u32) -> TextLayer {
    let mut req = TextRequest::new(rtf);
    req.box_size = Some((w, h));
    render(&req)
}

fn dump(name: &str, canvas: &Canvas) {
    if std::env::var_os("TEXT_RENDER_DUMP").is_none() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("text_render");
    std::fs::create_dir_all(&dir).unwrap();
    let file: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(60)
        .collect();
    image::RgbaImage::from_raw(canvas.width(), canvas.height(), canvas.data().to_vec())
        .unwrap()
        .save(dir.join(format!("{file}.png")))
        .unwrap();
}

/// The box around every pixel with some alpha: (x0, y0, x1, y1), exclusive.
fn ink(canvas: &Canvas) -> Option<(u32, u32, u32, u32)> {
    let mut b: Option<(u32, u32, u32, u32)> = None;
    for y in 0..canvas.height() {
        for x in 0..canvas.width() {
            if canvas.pixel(x, y).unwrap()[3] > 0 {
                b = Some(match b {
                    None => (x, y, x + 1, y + 1),
                    Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1)),
                });
            }
        }
    }
    b
}

/// Total coverage: the sum of alpha.
fn weight(canvas: &Canvas) -> u64 {
    canvas.data().chunks_exact(4).map(|p| u64::from(p[3])).sum()
}

#[test]
fn the_embedded_fonts_load() {
    let set = FontSet::load().expect("embedded fonts parse");
    assert!(!set.is_empty());
    assert_eq!(FontSet::face_names().count(), 8);
}

#[test]
fn plain_text_draws_black_ink_inside_the_layer() {
    let layer = text("Hello, world");
    assert_eq!(layer.model, TextModel::Point);
    let (w, h) = layer.canvas.size();
    let (x0, y0, x1, y1) = ink(&layer.canvas).expect("some ink");
    assert!(x1 <= w && y1 <= h);
    // text= keeps a top margin: nothing touches the top row.
    assert!(y0 >= 1, "ink starts at row {y0}");
    assert!(x1 - x0 > 50, "12 pt at 72 dpi is about 70 px wide");
    // 12 pt DejaVu: a line is 1.164 em ≈ 14 px, plus the 1 pt margin.
    assert!((14..=17).contains(&h), "height {h}");
    // Only black is drawn, over transparency.
    for p in layer.canvas.data().chunks_exact(4) {
        assert!(p[3] == 0 || p[..3] == [0, 0, 0], "{p:?}");
    }
    assert_eq!(layer.lines, 1);
}

#[test]
fn rendering_is_deterministic() {
    let a = text(r"{\rtf1\fs40 Det{\b ermin}{\i istic}}");
    let b = text(r"{\rtf1\fs40 Det{\b ermin}{\i istic}}");
    assert_eq!(a, b);
}

#[test]
fn bold_is_wider_and_heavier() {
    let regular = text(r"{\rtf1\fs48 Heavy weight}");
    let bold = text(r"{\rtf1\fs48\b Heavy weight}");
    assert!(bold.canvas.width() > regular.canvas.width());
    assert!(weight(&bold.canvas) as f64 > weight(&regular.canvas) as f64 * 1.2);
    // Synthesised bold (DejaVu Sans Mono has no bold face here) is heavier too.
    let mono = r"{\rtf1{\fonttbl{\f0\fmodern Courier New;}}\fs48 Heavy}";
    let mono_bold = r"{\rtf1{\fonttbl{\f0\fmodern Courier New;}}\fs48\b Heavy}";
    assert!(weight(&text(mono_bold).canvas) > weight(&text(mono).canvas));
}

#[test]
fn centred_and_right_aligned_text_in_a_fixed_box() {
    let centred = boxed(r"{\rtf1\fs36\qc Middle}", 300, 60);
    assert_eq!(centred.canvas.size(), (300, 60));
    let (x0, _, x1, _) = ink(&centred.canvas).unwrap();
    let (left, right) = (x0 as i64, 300 - x1 as i64);
    assert!((left - right).abs() <= 2, "margins {left} and {right}");

    let right_aligned = boxed(r"{\rtf1\fs36\qr Right}", 300, 60);
    let (x0, _, x1, _) = ink(&right_aligned.canvas).unwrap();
    assert!(300 - x1 <= 3, "right margin {}", 300 - x1);
    assert!(x0 > 150);

    let left_aligned = boxed(r"{\rtf1\fs36 Left}", 300, 60);
    let (x0, _, _, _) = ink(&left_aligned.canvas).unwrap();
    assert!(x0 <= 3);
}

#[test]
fn wrapping_in_a_variable_height_box_adds_lines() {
    let words = "The quick brown fox jumps over the lazy dog";
    let one = boxed(&format!(r"{{\rtf1\fs24 {words}}}"), 1000, 0);
    let wrapped = boxed(&format!(r"{{\rtf1\fs24 {words}}}"), 120, 0);
    assert_eq!(one.model, TextModel::VariableHeight);
    assert_eq!(one.lines, 1);
    assert!(wrapped.lines >= 3, "{} lines", wrapped.lines);
    assert_eq!(wrapped.canvas.width(), 120);
    assert!(wrapped.canvas.height() >= 3 * one.canvas.height() - 4);
    // Every line fits the box.
    let (_, _, x1, _) = ink(&wrapped.canvas).unwrap();
    assert!(x1 <= 120);

    // noWrap keeps one line.
    let mut req = TextRequest::new(words);
    req.box_size = Some((120, 0));
    req.attr.wrap = Some(TextWrap::NoWrap);
    assert_eq!(render(&req).lines, 1);
}

#[test]
fn nb_wrap_does_not_break_at_no_break_spaces() {
    let value = "aaaa\u{a0}bbbb\u{a0}cccc\u{a0}dddd";
    let mut req = TextRequest::new(value);
    req.box_size = Some((50, 0));
    req.attr.wrap = Some(TextWrap::Wrap);
    let wrap = render(&req);
    req.attr.wrap = Some(TextWrap::NbWrap);
    let nb_wrap = render(&req);
    assert!(wrap.lines >= 2);
    // nbWrap breaks only inside the "word", between characters, as a last
    // resort; the lines then differ from breaking at the spaces.
    assert_ne!(wrap.canvas, nb_wrap.canvas);
}

#[test]
fn colour_table_colours_the_text() {
    let layer = text(
        r"{\rtf1{\colortbl;\red255\green0\blue0;\red0\green0\blue255;}\fs48\cf1 Red \cf2 Blue}",
    );
    let px: Vec<&[u8]> = layer.canvas.data().chunks_exact(4).collect();
    assert!(
        px.iter()
            .any(|p| p[3] == 255 && p[0] == 255 && p[1] == 0 && p[2] == 0)
    );
    assert!(
        px.iter()
            .any(|p| p[3] == 255 && p[0] == 0 && p[1] == 0 && p[2] == 255)
    );
    // \cf0 and indices beyond the table are black.
    let auto = text(r"{\rtf1{\colortbl;\red255\green0\blue0;}\fs48\cf7 X\cf0 Y}");
    assert!(
        auto.canvas
            .data()
            .chunks_exact(4)
            .all(|p| p[3] == 0 || p[..3] == [0, 0, 0])
    );
}

#[test]
fn is_colour_table_with_alpha_for_text_ps() {
    let mut req = TextRequest::new(r"{\rtf1{\*\iscolortbl;00ff0080;}\fs48\cf1 Green}");
    req.ps = true;
    let layer = render(&req);
    let max_alpha = layer.canvas.data().chunks_exact(4).map(|p| p[3]).max();
    assert_eq!(max_alpha, Some(128));
    assert!(
        layer
            .canvas
            .data()
            .chunks_exact(4)
            .any(|p| p[..3] == [0, 255, 0])
    );
}

#[test]
fn unicode_escapes_render_the_euro_sign() {
    let escaped = text(r"{\rtf1\fs48 \u8364?}");
    assert!(ink(&escaped.canvas).is_some());
    // The same glyph as Windows-1252 \'80 and as plain UTF-8, and the
    // fallback '?' is skipped.
    assert_eq!(escaped.canvas, text(r"{\rtf1\fs48 \'80}").canvas);
    assert_eq!(escaped.canvas, text(r"{\rtf1\fs48 €}").canvas);
    assert_ne!(escaped.canvas, text(r"{\rtf1\fs48 ?}").canvas);
    // Negative values wrap around 65536: \u-3 is U+FFFD.
    assert_eq!(
        text(r"{\rtf1\fs48 \u-3?}").canvas,
        text("{\\rtf1\\fs48 \u{fffd}}").canvas
    );
}

#[test]
fn font_size_doubles_the_height() {
    let small = text(r"{\rtf1\fs24 Hg}");
    let large = text(r"{\rtf1\fs48 Hg}");
    let (_, sy0, _, sy1) = ink(&small.canvas).unwrap();
    let (_, ly0, _, ly1) = ink(&large.canvas).unwrap();
    let ratio = f64::from(ly1 - ly0) / f64::from(sy1 - sy0);
    assert!((1.8..=2.2).contains(&ratio), "ink height ratio {ratio}");
    let ratio = f64::from(large.canvas.height()) / f64::from(small.canvas.height());
    assert!((1.8..=2.2).contains(&ratio), "layer height ratio {ratio}");
}

#[test]
fn resolution_and_scale_enlarge_the_text() {
    let base = text("Scale");
    let mut req = TextRequest::new("Scale");
    req.attr.resolution = 144;
    let res = render(&req);
    req.attr.resolution = 72;
    req.scale = 2.0;
    let scaled = render(&req);
    assert_eq!(res.canvas, scaled.canvas);
    let ratio = f64::from(res.canvas.width()) / f64::from(base.canvas.width());
    assert!((1.9..=2.1).contains(&ratio), "{ratio}");
}

#[test]
fn unsupported_control_words_print_nothing() {
    let plain = text(r"{\rtf1\fs36 Hello world}");
    for value in [
        r"{\rtf1\fs36\expndtw20 Hello world}",
        r"{\rtf1\fs36 Hello\kerning1\lang1033  world}",
        r"{\rtf1\fs36 Hel{\*\unknown stuff}lo world}",
        r"{\rtf1{\*\generator Riched20;}\viewkind4\uc1\fs36 Hello world}",
        r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}{\info{\title x}}\fs36 Hello world}",
        r"{\rtf1{\stylesheet{\s0 Normal;}}\fs36 Hello world}",
    ] {
        assert_eq!(text(value).canvas, plain.canvas, "{value}");
    }
}

#[test]
fn two_font_families_differ() {
    let table =
        r"{\fonttbl{\f0\fswiss Arial;}{\f1\froman Times New Roman;}{\f2\fmodern Courier New;}}";
    let sans = text(&format!(r"{{\rtf1{table}\f0\fs36 Typeface}}"));
    let serif = text(&format!(r"{{\rtf1{table}\f1\fs36 Typeface}}"));
    let mono = text(&format!(r"{{\rtf1{table}\f2\fs36 Typeface}}"));
    assert_ne!(sans.canvas, serif.canvas);
    assert_ne!(sans.canvas, mono.canvas);
    assert_ne!(serif.canvas, mono.canvas);
    // Without a table, \f picks the default (Sans).
    assert_eq!(text(r"{\rtf1\f5\fs36 Typeface}").canvas, sans.canvas);
}

#[test]
fn font_names_map_to_families() {
    use Family::*;
    for (name, hint, family) in [
        ("Arial", FamilyHint::Swiss, Sans),
        ("Times New Roman", FamilyHint::Roman, Serif),
        ("Georgia", FamilyHint::None, Serif),
        ("DejaVu Serif", FamilyHint::None, Serif),
        ("DejaVu Sans", FamilyHint::None, Sans),
        ("DejaVu Sans Mono", FamilyHint::None, Mono),
        ("Courier New", FamilyHint::Modern, Mono),
        ("Unknown Face", FamilyHint::Roman, Serif),
        ("Unknown Face", FamilyHint::Modern, Mono),
        ("Unknown Face", FamilyHint::None, Sans),
    ] {
        assert_eq!(Family::for_name(name, hint), family, "{name}");
    }
}

#[test]
fn underline_adds_a_bar_below_the_baseline() {
    let plain = text(r"{\rtf1\fs48 under}");
    let underlined = text(r"{\rtf1\fs48\ul under\ulnone}");
    assert_eq!(plain.canvas.size(), underlined.canvas.size());
    assert!(weight(&underlined.canvas) > weight(&plain.canvas));
    let baseline = underlined.baseline_origin.1 as u32;
    let (_, _, _, y1) = ink(&underlined.canvas).unwrap();
    assert!(y1 > baseline + 2, "bar ends at {y1}, baseline {baseline}");
    // \ul0 and \ulnone turn it off.
    assert_eq!(text(r"{\rtf1\fs48\ul\ul0 under}").canvas, plain.canvas);
}

#[test]
fn point_text_origin_follows_alignment() {
    let mut req = TextRequest::new(r"{\rtf1\fs36\qc Centre}");
    req.ps = true;
    let centred = render(&req);
    let w = f64::from(centred.canvas.width());
    assert!((centred.baseline_origin.0 - w / 2.0).abs() <= 1.0);
    let h = f64::from(centred.canvas.height());
    assert!(centred.baseline_origin.1 > h * 0.5 && centred.baseline_origin.1 < h);

    req.rtf = r"{\rtf1\fs36\qr Right}";
    let right = render(&req);
    assert!((right.baseline_origin.0 - f64::from(right.canvas.width())).abs() <= 1.0);

    req.rtf = r"{\rtf1\fs36 Left}";
    assert_eq!(render(&req).baseline_origin.0, 0.0);
}

#[test]
fn text_point_layers_allow_one_alignment_only() {
    let mixed = TextRequest::new(r"{\rtf1\qc one\par\qr two}");
    assert_eq!(render_text(&mixed, fonts()), Err(TextError::MixedAlignment));
    // textPs= and fixed boxes take any mix.
    let mut ps = mixed;
    ps.ps = true;
    assert!(render_text(&ps, fonts()).is_ok());
    assert!(boxed(r"{\rtf1\qc one\par\qr two}", 200, 60).lines == 2);
}

#[test]
fn text_ps_drops_lines_that_do_not_fit_and_text_clips_them() {
    let value = r"{\rtf1 one\par two\par three\par four}";
    let mut req = TextRequest::new(value);
    req.box_size = Some((200, 30));
    let clipped = render(&req);
    assert_eq!(clipped.lines, 4);
    req.ps = true;
    let dropped = render(&req);
    assert_eq!(dropped.lines, 2, "two 14 px lines fit in 30 px");
}

#[test]
fn text_ps_margins_move_the_text() {
    let mut req = TextRequest::new(r"{\rtf1\margl400\margt200\fs36 Margin}");
    req.ps = true;
    req.box_size = Some((300, 100));
    let layer = render(&req);
    let (x0, y0, _, _) = ink(&layer.canvas).unwrap();
    assert!((19..=22).contains(&x0), "left ink at {x0}: 20 pt margin");
    assert!(y0 >= 10, "top ink at {y0}: 10 pt margin");
    // text= ignores margins.
    req.ps = false;
    let (x0, _, _, _) = ink(&render(&req).canvas).unwrap();
    assert!(x0 <= 3);
}

#[test]
fn anti_aliasing_off_draws_hard_edges() {
    let mut req = TextRequest::new(r"{\rtf1\fs36 Edges}");
    req.attr.anti_alias = Some(AntiAlias::Off);
    let hard = render(&req);
    assert!(
        hard.canvas
            .data()
            .chunks_exact(4)
            .all(|p| p[3] == 0 || p[3] == 255)
    );
    assert!(ink(&hard.canvas).is_some());
    req.attr.anti_alias = Some(AntiAlias::Smooth);
    let soft = render(&req);
    assert!(
        soft.canvas
            .data()
            .chunks_exact(4)
            .any(|p| p[3] > 0 && p[3] < 255)
    );
}

#[test]
fn max_res_shrinks_text_to_fit_its_box() {
    let attr = |mode| TextAttr {
        resolution: 72,
        anti_alias: None,
        res_mode: Some(mode),
        wrap: None,
    };
    let value = r"{\rtf1\fs48 A long line of text that cannot fit}";
    let mut req = TextRequest::new(value);
    req.box_size = Some((200, 40));
    req.attr = attr(TextResMode::MaxRes);
    let fitted = render(&req);
    assert!(fitted.resolution < 72.0, "{}", fitted.resolution);
    let (_, _, _, y1) = ink(&fitted.canvas).unwrap();
    assert!(y1 < 40);
    // autoRes may grow small text.
    req.rtf = r"{\rtf1\fs12 Hi}";
    req.attr = attr(TextResMode::AutoRes);
    assert!(render(&req).resolution > 72.0);
    // fixedRes keeps it.
    req.attr = attr(TextResMode::FixedRes);
    assert_eq!(render(&req).resolution, 72.0);
}

#[test]
fn limits_refuse_oversized_requests() {
    let long = "x".repeat(8193);
    assert!(matches!(
        render_text(&TextRequest::new(&long), fonts()),
        Err(TextError::TooLong { bytes: 8193, .. })
    ));
    let limits = TextLimits {
        max_bytes: 10,
        ..TextLimits::default()
    };
    assert!(matches!(
        render_text_limited(&TextRequest::new("eleven char"), fonts(), &limits),
        Err(TextError::TooLong { .. })
    ));
    let many = "a\n".repeat(1200);
    assert!(matches!(
        render_text(&TextRequest::new(&many), fonts()),
        Err(TextError::TooManyLines { .. })
    ));
    let mut huge_box = TextRequest::new("x");
    huge_box.box_size = Some((100_000, 100_000));
    assert!(matches!(
        render_text(&huge_box, fonts()),
        Err(TextError::TooLarge { .. })
    ));
    let mut bad_scale = TextRequest::new("x");
    bad_scale.scale = f64::NAN;
    assert!(matches!(
        render_text(&bad_scale, fonts()),
        Err(TextError::InvalidScale(_))
    ));
}

#[test]
fn malformed_rtf_never_panics_and_font_sizes_are_clamped() {
    for value in [
        r"{\rtf1 unbalanced {{{ braces",
        r"{\rtf1 too many }}}}} closing",
        "{\\rtf1 trailing backslash \\",
        r"{\rtf1\'",
        r"{\rtf1\'4",
        r"{\rtf1\u",
        r"{\rtf1\u-",
        r"{\rtf1\uc99999\u65 abc}",
        r"{\rtf1\fs-5 neg}",
        r"{\rtf1\fs0 zero}",
        r"{\rtf1\f99999999999999999999 x}",
        r"{\rtf1\bin999999999 x}",
        r"{\rtf1\li-99999999\fi99999999\sl-99999999 x}",
        r"{\rtf1\deftab1 \tab\tab\tab x}",
        r"{\rtf1{\colortbl;\red999\green-5\blue;}\cf1 x}",
        r"{\rtf1{\fonttbl{\f0",
        r"{\*",
        "{\\rtf1\u{0}\u{7}\u{1b} control}",
        "",
        "{\\",
        "}",
    ] {
        for ps in [false, true] {
            for box_size in [None, Some((100, 0)), Some((100, 50))] {
                let mut req = TextRequest::new(value);
                req.ps = ps;
                req.box_size = box_size;
                if let Ok(layer) = render_text(&req, fonts()) {
                    assert!(layer.canvas.width() >= 1 && layer.canvas.height() >= 1);
                }
            }
        }
    }
    // \fs99999 is clamped: 1000 pt at 72 dpi, then 2000 px at most.
    let huge = text(r"{\rtf1\fs99999 x}");
    let (_, y0, _, y1) = ink(&huge.canvas).unwrap();
    assert!(y1 - y0 < 2000, "x-height {}", y1 - y0);
    assert!(huge.canvas.height() <= 2 * 1200);
    let mut req = TextRequest::new(r"{\rtf1\fs2000 x}");
    req.attr.resolution = 1_000_000;
    let capped = render(&req);
    // 2000 px em: a 1.164 em line plus the 1/12 em top margin.
    assert!(capped.canvas.height() <= 2500, "{}", capped.canvas.height());
}

#[test]
fn empty_text_is_a_small_transparent_layer() {
    for value in ["", r"{\rtf1}", r"{\rtf1\par}"] {
        let layer = text(value);
        assert!(ink(&layer.canvas).is_none());
        assert!(layer.canvas.width() >= 1 && layer.canvas.height() >= 1);
    }
}

#[test]
fn line_breaks_in_plain_text_and_rtf() {
    assert_eq!(text("one\ntwo\r\nthree").lines, 3);
    assert_eq!(text(r"{\rtf1 one\line two\par three}").lines, 3);
    assert_eq!(
        text(r"{\rtf1 one\par}").lines,
        1,
        "a final \\par adds no line"
    );
}

fn rtf_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("\\".to_owned()),
        Just("\\*".to_owned()),
        Just("\\par ".to_owned()),
        Just("\\line ".to_owned()),
        Just("\\tab ".to_owned()),
        "\\\\(b|i|ul|ulnone|fs|f|cf|qc|qr|qj|li|ri|fi|sl|sa|sb|u|uc|up|dn|super|sub|plain|pard|caps|margl|margt|deftab|bin|fonttbl|colortbl|iscolortbl|red|green|blue|expndtw)-?[0-9]{0,7} ?",
        "\\\\'[0-9a-fA-Fz]{0,2}",
        "[a-zA-Z €\u{a0}ü;-]{1,8}",
        any::<char>().prop_map(String::from),
    ]
}

fn small_limits() -> TextLimits {
    TextLimits {
        max_em_px: 120.0,
        max_pixels: 1 << 20,
        max_glyph_pixels: 4 << 20,
        ..TextLimits::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(value in "(?s).{0,512}", ps: bool, w in 0u32..300, h in 0u32..200) {
        prop_assume!(value.len() <= 2048);
        let mut req = TextRequest::new(&value);
        req.ps = ps;
        req.box_size = (w > 0).then_some((w, h));
        let _ = render_text_limited(&req, fonts(), &small_limits());
    }

    #[test]
    fn arbitrary_rtf_never_panics(tokens in prop::collection::vec(rtf_token(), 0..200), ps: bool, w in 0u32..300, h in 0u32..200) {
        let value = format!("{{\\rtf1 {}", tokens.concat());
        prop_assume!(value.len() <= 2048);
        let mut req = TextRequest::new(&value);
        req.ps = ps;
        req.box_size = (w > 0).then_some((w, h));
        if let Ok(layer) = render_text_limited(&req, fonts(), &small_limits()) {
            prop_assert!(u64::from(layer.canvas.width()) * u64::from(layer.canvas.height()) <= 1 << 20);
        }
    }
}

/// Timing, not a check: `cargo test --release --test text_render -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing() {
    let time = |label: &str, req: &TextRequest<'_>, runs: u32| {
        let start = std::time::Instant::now();
        let mut result = Ok((0, 0));
        for _ in 0..runs {
            result = render_text(req, fonts()).map(|l| l.canvas.size());
        }
        let each = start.elapsed() / runs;
        println!("{label}: {each:?} per render → {result:?}");
    };
    let mut req = TextRequest::new(r"{\rtf1\fs96 SALE \u8722?30%}");
    time("SALE −30% at 48 pt, point text", &req, 2000);
    req.rtf = "SALE −30%";
    time("plain SALE −30% at 12 pt", &req, 2000);
    let paragraph = "The quick brown fox jumps over the lazy dog. ".repeat(20);
    let value = format!(r"{{\rtf1\fs28\qj {paragraph}}}");
    req.rtf = &value;
    req.ps = true;
    req.box_size = Some((600, 0));
    time("900 characters, 14 pt, justified in 600 px", &req, 200);
    let worst = format!(r"{{\rtf1\fs2000 {}}}", "W".repeat(8000));
    req.rtf = &worst;
    req.ps = false;
    req.box_size = Some((2000, 2000));
    time("8000 W at 1000 pt in a 2000 px box", &req, 3);
    let filler = "Wide words fill the page ".repeat(300);
    let page = format!(r"{{\rtf1\fs160 {filler}}}");
    req.rtf = &page;
    req.box_size = Some((4000, 4000));
    time("7500 characters at 80 pt filling a 4000x4000 box", &req, 3);
    let stacked = format!(r"{{\rtf1\fs2000 {}}}", "\u{301}".repeat(2700));
    req.rtf = &stacked;
    req.box_size = None;
    let start = std::time::Instant::now();
    let result = render_text(&req, fonts());
    println!(
        "2700 stacked combining accents at 1000 pt: {:?} → {:?}",
        start.elapsed(),
        result.map(|l| l.canvas.size())
    );
}
