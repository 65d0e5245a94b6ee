//! Property tests of the command language: parsing never panics, and every
//! well-formed request survives `parse(print(request))` unchanged.

use proptest::prelude::*;
use proptest::sample::select;

use super::ast::*;
use super::diagnostic::{Diagnostics, Origin, SourceText, Span, Spanned};
use super::{Macros, Options, Sources, parse, parse_query, print};

fn real(lo: f64, hi: f64) -> BoxedStrategy<f64> {
    // Mix round values with arbitrary ones so both print styles are covered.
    prop_oneof![
        (lo.ceil() as i64..=hi.floor() as i64).prop_map(|v| v as f64),
        (lo..=hi),
    ]
    .boxed()
}

fn positive_real() -> BoxedStrategy<f64> {
    real(0.0, 10_000.0).prop_filter("> 0", |v| *v > 0.0).boxed()
}

fn opt<T: std::fmt::Debug + Clone + 'static>(s: BoxedStrategy<T>) -> BoxedStrategy<Option<T>> {
    proptest::option::of(s).boxed()
}

fn object_id() -> BoxedStrategy<String> {
    "[A-Za-z0-9_][A-Za-z0-9_/ .:-]{0,15}".boxed()
}

fn free_text() -> BoxedStrategy<String> {
    prop_oneof![".{0,24}", "[{}()\\\\a-z ]{0,24}", "[A-Za-z0-9$&=%+#]{0,12}"].boxed()
}

fn point() -> BoxedStrategy<Point> {
    (-1_000_000..=1_000_000i32, -1_000_000..=1_000_000i32)
        .prop_map(|(x, y)| Point { x, y })
        .boxed()
}

fn point_n(lo: f64, hi: f64) -> BoxedStrategy<PointN> {
    (real(lo, hi), real(lo, hi))
        .prop_map(|(x, y)| PointN { x, y })
        .boxed()
}

fn rect() -> BoxedStrategy<Rect> {
    (
        -1_000_000..=1_000_000i32,
        -1_000_000..=1_000_000i32,
        1..=1_000_000u32,
        1..=1_000_000u32,
    )
        .prop_map(|(x, y, w, h)| Rect { x, y, w, h })
        .boxed()
}

fn color() -> BoxedStrategy<Color> {
    let value = prop_oneof![
        (any::<u8>(), any::<u8>()).prop_map(|(level, alpha)| ColorValue::Gray { level, alpha }),
        any::<[u8; 4]>().prop_map(|[r, g, b, alpha]| ColorValue::Rgb { r, g, b, alpha }),
        (0..=100u8, 0..=100u8, 0..=100u8, 0..=100u8, 0..=100u8)
            .prop_map(|(c, m, y, k, alpha)| ColorValue::Cmyk { c, m, y, k, alpha }),
    ];
    (value, any::<bool>())
        .prop_map(|(value, source_space)| Color {
            value,
            source_space,
        })
        .boxed()
}

fn path() -> BoxedStrategy<Path> {
    let coord = || real(-1000.0, 1000.0);
    let step = prop_oneof![
        (any::<bool>(), coord(), coord()).prop_map(|(relative, x, y)| PathStep::Move {
            relative,
            x,
            y
        }),
        (any::<bool>(), coord(), coord()).prop_map(|(relative, x, y)| PathStep::Line {
            relative,
            x,
            y
        }),
        (any::<bool>(), proptest::array::uniform6(coord()))
            .prop_map(|(relative, points)| PathStep::Cubic { relative, points }),
        Just(PathStep::Close),
    ];
    proptest::collection::vec(step, 1..6)
        .prop_map(|steps| Path { steps })
        .boxed()
}

fn source() -> BoxedStrategy<Source> {
    let nested = prop_oneof![
        ("[A-Za-z0-9/]{1,10}", proptest::option::of(1..=5000u32)).prop_map(|(obj, wid)| {
            match wid {
                Some(w) => format!("{obj}?wid={w}&fmt=png"),
                None => obj,
            }
        }),
    ];
    prop_oneof![
        object_id()
            .prop_filter("not nested", |s| !super::parser::is_nested(s))
            .prop_map(Source::Object),
        (nested, any::<bool>()).prop_map(|(body, braces)| Source::Nested(Nested {
            kind: NestedKind::Is,
            body,
            braces
        })),
        (
            "http://[a-z]{1,8}\\.example/[a-z0-9/._?=&-]{0,16}",
            any::<bool>()
        )
            .prop_map(|(body, braces)| Source::Nested(Nested {
                kind: NestedKind::Url,
                body,
                braces
            })),
    ]
    .boxed()
}

fn usm() -> BoxedStrategy<Usm> {
    (
        real(0.0, 5.0),
        opt(real(0.0, 250.0)),
        opt(any::<u8>().boxed()),
        opt(any::<bool>().boxed()),
    )
        .prop_map(|(amount, radius, threshold, mono)| Usm {
            amount,
            radius,
            threshold,
            mono,
        })
        .boxed()
}

fn format() -> BoxedStrategy<Format> {
    select(FormatKind::ALL)
        .prop_flat_map(|kind| {
            let pixel = match kind {
                FormatKind::F4m | FormatKind::M3u8 => Just(None).boxed(),
                _ => opt(select(vec![PixelType::Rgb]).boxed()),
            };
            let compression = opt(select(kind.compressions().to_vec()).boxed());
            (Just(kind), pixel, compression)
        })
        .prop_map(|(kind, pixel_type, compression)| Format {
            kind,
            pixel_type,
            compression,
        })
        .boxed()
}

/// A strategy for every command, with values inside their documented ranges.
fn command(name: CommandName) -> BoxedStrategy<Command> {
    use CommandName as N;
    let pct = || (-100..=100i32).boxed();
    let flag = || any::<bool>().boxed();
    match name {
        N::Src => source().prop_map(Command::Src).boxed(),
        N::Mask => source().prop_map(Command::Mask).boxed(),
        N::Text => free_text().prop_map(Command::Text).boxed(),
        N::TextPs => free_text().prop_map(Command::TextPs).boxed(),
        N::MaskUse => select(MaskUse::ALL).prop_map(Command::MaskUse).boxed(),
        N::Crop => rect().prop_map(Command::Crop).boxed(),
        N::CropN => (
            real(-2.0, 2.0),
            real(-2.0, 2.0),
            positive_real(),
            positive_real(),
        )
            .prop_map(|(x, y, w, h)| Command::CropN(RectN { x, y, w, h }))
            .boxed(),
        N::Anchor => point().prop_map(Command::Anchor).boxed(),
        N::AnchorN => point_n(-1.0, 1.0).prop_map(Command::AnchorN).boxed(),
        N::Size => (0..=1_000_000u32, 0..=1_000_000u32)
            .prop_map(|(w, h)| Command::Size(Size { w, h }))
            .boxed(),
        N::SizeN => point_n(0.0, 1.0).prop_map(Command::SizeN).boxed(),
        N::Scale => positive_real().prop_map(Command::Scale).boxed(),
        N::Res => positive_real().prop_map(Command::Res).boxed(),
        N::Perspective | N::PerspectiveN => {
            let res = prop_oneof![
                Just(PerspectiveRes::Nearest),
                Just(PerspectiveRes::Bilinear),
                Just(PerspectiveRes::SuperSample),
                (0..=200u8).prop_map(PerspectiveRes::Jitter),
            ];
            (
                proptest::array::uniform8(real(-500.0, 500.0)),
                proptest::option::of(res),
            )
                .prop_map(move |(quad, res)| {
                    let p = Perspective { quad, res };
                    if name == N::Perspective {
                        Command::Perspective(p)
                    } else {
                        Command::PerspectiveN(p)
                    }
                })
                .boxed()
        }
        N::Rotate => real(-720.0, 720.0).prop_map(Command::Rotate).boxed(),
        N::Extend => (
            -1000..=1000i32,
            -1000..=1000i32,
            -1000..=1000i32,
            -1000..=1000i32,
        )
            .prop_map(|(left, top, right, bottom)| {
                Command::Extend(Edges {
                    left,
                    top,
                    right,
                    bottom,
                })
            })
            .boxed(),
        N::ExtendN => (
            real(-1.0, 1.0),
            real(-1.0, 1.0),
            real(-1.0, 1.0),
            real(-1.0, 1.0),
        )
            .prop_map(|(left, top, right, bottom)| {
                Command::ExtendN(EdgesN {
                    left,
                    top,
                    right,
                    bottom,
                })
            })
            .boxed(),
        N::Origin => point().prop_map(Command::Origin).boxed(),
        N::OriginN => point_n(-1.0, 1.0).prop_map(Command::OriginN).boxed(),
        N::Color => color().prop_map(Command::Color).boxed(),
        N::BgColor => color().prop_map(Command::BgColor).boxed(),
        N::Hide => flag().prop_map(Command::Hide).boxed(),
        N::TextAttr => (
            1..=10_000u32,
            opt(select(AntiAlias::ALL).boxed()),
            opt(select(TextResMode::ALL).boxed()),
            opt(select(TextWrap::ALL).boxed()),
        )
            .prop_map(|(resolution, anti_alias, res_mode, wrap)| {
                Command::TextAttr(TextAttr {
                    resolution,
                    anti_alias,
                    res_mode,
                    wrap,
                })
            })
            .boxed(),
        N::TextAngle => real(-360.0, 360.0).prop_map(Command::TextAngle).boxed(),
        N::TextPath => path().prop_map(Command::TextPath).boxed(),
        N::PathAttr => (
            select(PathDirection::ALL),
            opt(real(0.0, 0.99)),
            opt(real(0.0, 2.0)),
        )
            .prop_map(|(direction, start, end)| {
                Command::PathAttr(PathAttr {
                    direction,
                    start,
                    end,
                })
            })
            .boxed(),
        N::TextFlowPath => path().prop_map(Command::TextFlowPath).boxed(),
        N::TextFlowXPath => path().prop_map(Command::TextFlowXPath).boxed(),
        N::OpGrowMask => pct().prop_map(Command::OpGrowMask).boxed(),
        N::OpGrowMaskR => pct().prop_map(Command::OpGrowMaskR).boxed(),
        N::Pos => point().prop_map(Command::Pos).boxed(),
        N::PosN => point_n(-2.0, 2.0).prop_map(Command::PosN).boxed(),
        N::BlendMode => select(BlendMode::ALL).prop_map(Command::BlendMode).boxed(),
        N::Flip => select(Flip::ALL).prop_map(Command::Flip).boxed(),
        N::Opac => (0..=100u8, proptest::option::of(0..=100u8))
            .prop_map(|(opacity, fill)| Command::Opac(Opacity { opacity, fill }))
            .boxed(),
        N::ClipPath => path().prop_map(Command::ClipPath).boxed(),
        N::ClipXPath => path().prop_map(Command::ClipXPath).boxed(),
        N::ClipPathE | N::ClipXPathE | N::CropPathE => {
            proptest::collection::vec("[A-Za-z0-9 _-]{1,8}", 1..4)
                .prop_map(move |names| match name {
                    N::ClipPathE => Command::ClipPathE(names),
                    N::ClipXPathE => Command::ClipXPathE(names),
                    _ => Command::CropPathE(names),
                })
                .boxed()
        }
        N::Map => free_text().prop_map(Command::Map).boxed(),
        N::MapA => free_text().prop_map(Command::MapA).boxed(),
        N::OpBlur => real(0.0, 100.0).prop_map(Command::OpBlur).boxed(),
        N::OpBrightness => pct().prop_map(Command::OpBrightness).boxed(),
        N::OpContrast => pct().prop_map(Command::OpContrast).boxed(),
        N::OpColorbalance => proptest::array::uniform3(-100..=100i32)
            .prop_map(Command::OpColorbalance)
            .boxed(),
        N::OpColorize => (
            color(),
            proptest::option::of((select(ColorizeMode::ALL), opt(real(0.0, 100.0)))),
        )
            .prop_map(|(color, tail)| {
                Command::OpColorize(Colorize {
                    color,
                    mode: tail.map(|(m, _)| m),
                    contrast: tail.and_then(|(_, c)| c),
                })
            })
            .boxed(),
        N::OpGrow => pct().prop_map(Command::OpGrow).boxed(),
        N::OpHue => (-180..=180i32).prop_map(Command::OpHue).boxed(),
        N::OpInvert => flag().prop_map(Command::OpInvert).boxed(),
        N::OpNoise => (
            0..=100u8,
            opt(select(NoiseDistribution::ALL).boxed()),
            opt(flag()),
        )
            .prop_map(|(amount, distribution, mono)| {
                Command::OpNoise(Noise {
                    amount,
                    distribution,
                    mono,
                })
            })
            .boxed(),
        N::OpSaturation => pct().prop_map(Command::OpSaturation).boxed(),
        N::OpSharpen => flag().prop_map(Command::OpSharpen).boxed(),
        N::OpUsm => usm().prop_map(Command::OpUsm).boxed(),
        N::OpUsmR => usm().prop_map(Command::OpUsmR).boxed(),
        N::Wid => (1..=i32::MAX as u32).prop_map(Command::Wid).boxed(),
        N::Hei => (1..=i32::MAX as u32).prop_map(Command::Hei).boxed(),
        N::Scl => positive_real().prop_map(Command::Scl).boxed(),
        N::Fit => (select(FitMode::ALL), opt(flag()))
            .prop_map(|(mode, upscale)| Command::Fit(Fit { mode, upscale }))
            .boxed(),
        N::Align => point_n(-1.0, 1.0).prop_map(Command::Align).boxed(),
        N::Bgc => color().prop_map(Command::Bgc).boxed(),
        N::Rgn => rect().prop_map(Command::Rgn).boxed(),
        N::Rect => (rect(), opt(positive_real()))
            .prop_map(|(rect, scale)| Command::Rect(Tile { rect, scale }))
            .boxed(),
        N::Req => (
            select(ReqType::ALL),
            opt(select(ResponseFormat::ALL).boxed()),
            opt(select(XmlEncoding::ALL).boxed()),
        )
            .prop_map(|(kind, format, encoding)| {
                Command::Req(Req {
                    kind,
                    format,
                    encoding: encoding.filter(|_| format == Some(ResponseFormat::Xml)),
                })
            })
            .boxed(),
        N::Fmt => format().prop_map(Command::Fmt).boxed(),
        N::Qlt => (1..=100u8, opt(flag()))
            .prop_map(|(quality, no_chroma_subsampling)| {
                Command::Qlt(Quality {
                    quality,
                    no_chroma_subsampling,
                })
            })
            .boxed(),
        N::Quantize => (
            select(vec![QuantizeType::Adaptive, QuantizeType::Web]),
            opt(select(Dither::ALL).boxed()),
            opt((2..=256u16).boxed()),
            proptest::collection::vec(any::<[u8; 3]>(), 0..3),
        )
            .prop_map(|(kind, dither, colors, forced)| {
                Command::Quantize(Quantize {
                    kind,
                    dither,
                    colors,
                    forced,
                })
            })
            .boxed(),
        N::ResMode => select(ResMode::ALL).prop_map(Command::ResMode).boxed(),
        N::Icc => (
            "[A-Za-z0-9 ._/-]{1,12}",
            opt(select(RenderIntent::ALL).boxed()),
            opt(flag()),
            opt(flag()),
        )
            .prop_map(|(profile, intent, black_point_compensation, dither)| {
                Command::Icc(Icc {
                    profile,
                    intent,
                    black_point_compensation,
                    dither,
                })
            })
            .boxed(),
        N::IccEmbed => flag().prop_map(Command::IccEmbed).boxed(),
        N::PathEmbed => flag().prop_map(Command::PathEmbed).boxed(),
        N::XmpEmbed => flag().prop_map(Command::XmpEmbed).boxed(),
        N::PrintRes => positive_real().prop_map(Command::PrintRes).boxed(),
        N::Cache => prop_oneof![
            select(CacheMode::ALL).prop_map(Cache::Both),
            (any::<bool>(), any::<bool>())
                .prop_map(|(client, server)| Cache::Split { client, server }),
        ]
        .prop_map(Command::Cache)
        .boxed(),
        N::DefaultImage => free_text().prop_map(Command::DefaultImage).boxed(),
        N::Template => object_id()
            .prop_map(|s| s.replace(',', "_"))
            .prop_map(Command::Template)
            .boxed(),
        N::Locale => "[!-~]{0,8}".prop_map(Command::Locale).boxed(),
        N::Id => free_text().prop_map(Command::Id).boxed(),
        N::ImageSet => free_text().prop_map(Command::ImageSet).boxed(),
        N::JpegSize => (0..=i32::MAX as u32).prop_map(Command::JpegSize).boxed(),
        N::Pscan => prop_oneof![Just(Pscan::Auto), (3..=5u8).prop_map(Pscan::Scans)]
            .prop_map(Command::Pscan)
            .boxed(),
        N::Bfc => flag().prop_map(Command::Bfc).boxed(),
        N::Dpr => prop_oneof![Just(Dpr::Off), opt(positive_real()).prop_map(Dpr::On)]
            .prop_map(Command::Dpr)
            .boxed(),
        N::Network => flag().prop_map(Command::Network).boxed(),
        N::EffectMask => flag().prop_map(Command::EffectMask).boxed(),
        N::Type => free_text().prop_map(Command::Type).boxed(),
        N::Handler => "[A-Za-z0-9]{1,10}".prop_map(Command::Handler).boxed(),
        N::LabelKey => free_text().prop_map(Command::LabelKey).boxed(),
        N::Message => free_text().prop_map(Command::Message).boxed(),
        N::Name => free_text().prop_map(Command::Name).boxed(),
        N::Timeout => (0..=i32::MAX as u32).prop_map(Command::Timeout).boxed(),
    }
}

/// Where a command of a given class may be written so that parsing puts it there.
fn targets_for(name: CommandName) -> Vec<Target> {
    let layers = [Target::Layer(1), Target::Layer(2), Target::Layer(7)];
    let mut out = Vec::new();
    match name.class() {
        Class::Request | Class::View => out.push(Target::Global),
        Class::Layer0 => {
            out.push(Target::Layer(0));
            out.extend(layers);
        }
        Class::Composite | Class::FinalView => {
            out.push(Target::Composite);
            out.push(Target::Layer(0));
            out.extend(layers);
        }
        Class::LayerOnly | Class::NotOnLayer0 => out.extend(layers),
    }
    if name.allowed_in_effect() {
        out.push(Target::Effect {
            parent: None,
            index: -1,
        });
        out.push(Target::Effect {
            parent: Some(1),
            index: 2,
        });
        out.push(Target::Effect {
            parent: Some(0),
            index: -3,
        });
    }
    out
}

fn entry() -> BoxedStrategy<(Target, Command)> {
    select(CommandName::ALL)
        .prop_flat_map(|name| (select(targets_for(name)), command(name)))
        .boxed()
}

fn span() -> Span {
    Span::new(&SourceText::new(Origin::Request, ""), 0..0)
}

/// Builds a request the way parsing would: slots replace each other, the
/// layers and effects written are opened, and cross-command rules hold.
fn build(entries: Vec<(Target, Command)>, named: Vec<(String, usize)>) -> Request {
    let mut request = Request::default();
    for (target, command) in entries {
        request.set(
            target,
            Spanned {
                value: command,
                span: span(),
            },
        );
    }
    if request.get(Target::Global, CommandName::Fit).is_some() {
        request.set(
            Target::Global,
            Spanned {
                value: Command::Wid(100),
                span: span(),
            },
        );
        if request.req().map(|r| r.kind) == Some(ReqType::Tmb) {
            request.remove(Target::Global, CommandName::Fit);
        }
    }
    let opened: Vec<Target> = request.all_targets().into_iter().collect();
    for target in opened {
        match target {
            Target::Layer(n @ 1..) => {
                request.targets.insert(Target::Layer(n));
            }
            Target::Effect { parent, .. } => {
                request.targets.insert(target);
                if let Some(n @ 1..) = parent {
                    request.targets.insert(Target::Layer(n));
                }
            }
            _ => {}
        }
        if request.get(target, CommandName::TextPath).is_some() {
            request.remove(target, CommandName::TextFlowPath);
        }
        if let Some(Command::Text(t)) = request.get(target, CommandName::Text) {
            if t.contains("\\q") {
                request.remove(target, CommandName::Text);
            }
        }
    }
    let layers: Vec<u32> = request.layers().into_iter().filter(|n| *n > 0).collect();
    for (name, index) in named {
        if let Some(&layer) = layers.get(index % layers.len().max(1)) {
            request.layer_names.insert(name, layer);
        }
    }
    let mut diagnostics = Diagnostics::default();
    super::merge::resolve(&mut request, &mut diagnostics);
    request
}

fn request() -> BoxedStrategy<Request> {
    (
        proptest::collection::vec(entry(), 0..12),
        proptest::collection::vec(("[a-z][a-z0-9_]{0,5}", 0..4usize), 0..3),
    )
        .prop_filter_map("names", |(entries, names)| {
            let names = names
                .into_iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case("comp"))
                .collect();
            Some(build(entries, names))
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn printed_requests_parse_back_to_themselves(request in request()) {
        let text = print(&request);
        let parsed = parse_query(&text);
        prop_assert!(!parsed.has_errors(), "{text}\n{}", parsed.diagnostics);
        prop_assert_eq!(&parsed.request, &request, "{}", text);
    }

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let text = String::from_utf8_lossy(&bytes);
        let parsed = parse_query(&text);
        let _ = print(&parsed.request);
        for d in &parsed.diagnostics.items {
            let _ = d.to_string();
        }
    }

    #[test]
    fn parsing_command_like_text_never_panics(
        modifier in "[a-zA-Z0-9=&,$%(){}.+_ -]{0,300}",
        query in "([a-zA-Z_]{1,12}=[a-zA-Z0-9,.$%(){}+-]{0,30}&){0,40}",
        post in "[a-zA-Z0-9=&,$%(){}.+_-]{0,100}",
    ) {
        let mut macros = Macros::new();
        macros.insert("m", &modifier);
        macros.insert("self", "$self$&wid=1");
        let options = Options { object: Some("Co/obj"), macros: Some(&macros), ..Options::default() };
        let parsed = parse(Sources { modifier: &modifier, request: &query, post_modifier: &post }, &options);
        let text = print(&parsed.request);
        // The canonical form of whatever was accepted reads back the same.
        let again = parse_query(&text);
        if !parsed.has_errors() && !again.has_errors() {
            prop_assert_eq!(&again.request, &parsed.request, "{}", text);
        }
    }

    #[test]
    fn long_commands_near_four_kib_never_panic(text in "[a-z=&,()0-9$%{}]{3000,4096}") {
        let _ = parse_query(&text);
    }
}
