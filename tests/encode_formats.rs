//! Every output format of `render::encode`, decoded back and checked:
//! size, MIME type, alpha kept or flattened onto `bgc`, palettes, JPEG
//! sampling and progressive markers, `jpegSize`, lossless round trips.

use std::collections::HashSet;
use std::io::Cursor;

use image::{DynamicImage, GenericImageView, ImageFormat};
use rendition::protocol::ast::{FormatKind, Pscan};
use rendition::protocol::parser;
use rendition::render::Canvas;
use rendition::render::encode::{EncodeError, EncodeSpec, Encoded, encode};
use rendition::render::quantize::QuantizeError;

const W: u32 = 64;
const H: u32 = 48;
const BGC: [u8; 3] = [255, 0, 255];

/// A gradient with a fully transparent 16×16 block at the top left (its
/// hidden colour green) and a half-transparent block at the top right.
fn test_canvas() -> Canvas {
    let mut data = Vec::new();
    for y in 0..H {
        for x in 0..W {
            let px = if x < 16 && y < 16 {
                [0, 200, 0, 0]
            } else if x >= 48 && y < 16 {
                [0, 0, 255, 128]
            } else {
                [(x * 4) as u8, (y * 5) as u8, 100, 255]
            };
            data.extend_from_slice(&px);
        }
    }
    Canvas::from_rgba(W, H, data).unwrap()
}

/// A spec from `fmt=` text, with `bgc` set.
fn spec(fmt: &str) -> EncodeSpec {
    EncodeSpec {
        format: parser::format(fmt).unwrap(),
        bgc: BGC,
        ..EncodeSpec::default()
    }
}

fn encode_ok(canvas: &Canvas, spec: &EncodeSpec) -> Encoded {
    encode(canvas, spec).unwrap_or_else(|e| panic!("{:?}: {e}", spec.format))
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

fn close(a: [u8; 4], b: [u8; 4], tolerance: u8) -> bool {
    a.iter().zip(&b).all(|(x, y)| x.abs_diff(*y) <= tolerance)
}

fn bgc_rgba() -> [u8; 4] {
    [BGC[0], BGC[1], BGC[2], 255]
}

/// The formats this build writes, with the image format to decode them as
/// and how far a pixel may drift.
fn supported() -> Vec<(&'static str, ImageFormat, u8)> {
    vec![
        ("jpeg", ImageFormat::Jpeg, 24),
        ("jpg", ImageFormat::Jpeg, 24),
        ("pjpeg", ImageFormat::Jpeg, 24),
        ("png", ImageFormat::Png, 0),
        ("png-alpha", ImageFormat::Png, 0),
        ("png8", ImageFormat::Png, 48),
        ("png8-alpha", ImageFormat::Png, 48),
        ("gif", ImageFormat::Gif, 48),
        ("gif-alpha", ImageFormat::Gif, 48),
        ("tif", ImageFormat::Tiff, 0),
        ("tif-alpha", ImageFormat::Tiff, 0),
        ("tif,rgb,lzw", ImageFormat::Tiff, 0),
        ("tif-alpha,rgb,zip", ImageFormat::Tiff, 0),
        ("webp", ImageFormat::WebP, 24),
        ("webp-alpha", ImageFormat::WebP, 24),
        ("webp,rgb,lossless", ImageFormat::WebP, 0),
        ("webp-alpha,rgb,lossless", ImageFormat::WebP, 0),
    ]
}

#[test]
fn every_format_round_trips_with_alpha_kept_or_flattened() {
    let canvas = test_canvas();
    for (fmt, image_format, tolerance) in supported() {
        let s = spec(fmt);
        let out = encode_ok(&canvas, &s);
        assert_eq!(out.content_type, s.format.kind.mime(), "{fmt}");
        assert_eq!(
            image::guess_format(&out.bytes).unwrap(),
            image_format,
            "{fmt}"
        );
        let img = decode(&out.bytes);
        assert_eq!(img.dimensions(), (W, H), "{fmt}");
        let rgba = img.to_rgba8();
        let at = |x, y| rgba.get_pixel(x, y).0;
        // An opaque gradient pixel.
        let expect = [160, 200, 100, 255];
        assert!(
            close(at(40, 40), expect, tolerance),
            "{fmt}: {:?}",
            at(40, 40)
        );
        if s.format.kind.has_alpha() {
            assert_eq!(at(4, 4)[3], 0, "{fmt}: transparency lost");
            let half = at(56, 8);
            if s.format.kind == FormatKind::GifAlpha {
                // Alpha 128 is at the key threshold: opaque.
                assert_eq!(half[3], 255, "{fmt}");
            } else {
                assert!(half[3].abs_diff(128) <= tolerance.max(1), "{fmt}: {half:?}");
            }
        } else {
            assert!(!img.color().has_alpha() || at(4, 4)[3] == 255, "{fmt}");
            assert!(
                close(at(4, 4), bgc_rgba(), tolerance),
                "{fmt}: not flattened onto bgc: {:?}",
                at(4, 4)
            );
            // Half-transparent blue over magenta.
            assert!(
                close(at(56, 8), [127, 0, 255, 255], tolerance.max(1)),
                "{fmt}: {:?}",
                at(56, 8)
            );
        }
    }
}

#[test]
fn lossless_formats_are_exact() {
    let canvas = test_canvas();
    for fmt in [
        "png-alpha",
        "tif-alpha",
        "tif-alpha,rgb,lzw",
        "tif-alpha,rgb,zip",
        "webp-alpha,rgb,lossless",
    ] {
        let out = encode_ok(&canvas, &spec(fmt));
        let rgba = decode(&out.bytes).to_rgba8();
        assert!(rgba.as_raw() == canvas.data(), "{fmt}: pixels differ");
    }
    let flat = decode(&encode_ok(&canvas, &spec("png")).bytes).to_rgb8();
    for fmt in ["tif", "tif,rgb,lzw", "tif,rgb,zip", "webp,rgb,lossless"] {
        let out = encode_ok(&canvas, &spec(fmt));
        assert!(decode(&out.bytes).to_rgb8() == flat, "{fmt}: pixels differ");
    }
}

#[test]
fn webp_lossy_and_lossless_use_their_bitstreams() {
    let canvas = test_canvas();
    let chunk = |bytes: &[u8], fourcc: &[u8]| bytes.windows(4).any(|w| w == fourcc);
    let lossy = encode_ok(&canvas, &spec("webp")).bytes;
    assert!(chunk(&lossy, b"VP8 ") && !chunk(&lossy, b"VP8L"));
    let lossy_alpha = encode_ok(&canvas, &spec("webp-alpha")).bytes;
    assert!(chunk(&lossy_alpha, b"VP8 ") && chunk(&lossy_alpha, b"ALPH"));
    let lossless = encode_ok(&canvas, &spec("webp,rgb,lossless")).bytes;
    assert!(chunk(&lossless, b"VP8L"));

    // Quality changes the lossy size.
    let big = noise_canvas(128, 128);
    let mut low = spec("webp");
    low.quality.quality = 10;
    let mut high = spec("webp");
    high.quality.quality = 95;
    assert!(encode_ok(&big, &low).bytes.len() < encode_ok(&big, &high).bytes.len());
}

#[test]
fn gray_pixel_type_writes_gray_files() {
    let canvas = test_canvas();
    let png = decode(&encode_ok(&canvas, &spec("png,gray")).bytes);
    assert_eq!(png.color(), image::ColorType::L8);
    let png_alpha = decode(&encode_ok(&canvas, &spec("png-alpha,gray")).bytes);
    assert_eq!(png_alpha.color(), image::ColorType::La8);
    assert_eq!(png_alpha.to_luma_alpha8().get_pixel(4, 4).0[1], 0);
    let tif = decode(&encode_ok(&canvas, &spec("tif,gray,lzw")).bytes);
    assert_eq!(tif.color(), image::ColorType::L8);
    // Gray + unassociated alpha: valid TIFF that `image` cannot read, so
    // read the samples directly.
    let tif_alpha = encode_ok(&canvas, &spec("tif-alpha,gray")).bytes;
    let mut decoder = tiff::decoder::Decoder::new(Cursor::new(&tif_alpha)).unwrap();
    let samples = decoder.get_tag_u32(tiff::tags::Tag::SamplesPerPixel);
    assert_eq!(samples.unwrap(), 2);
    let extra = decoder.get_tag_u32(tiff::tags::Tag::ExtraSamples);
    assert_eq!(extra.unwrap(), 2, "unassociated alpha");
    let tiff::decoder::DecodingResult::U8(ga) = decoder.read_image().unwrap() else {
        panic!("8-bit samples expected");
    };
    let at = |x: u32, y: u32| {
        let i = ((y * W + x) * 2) as usize;
        [ga[i], ga[i + 1]]
    };
    assert_eq!(at(4, 4)[1], 0);
    assert_eq!(at(40, 40), [177, 255]);
    let gif = decode(&encode_ok(&canvas, &spec("gif,gray")).bytes).to_rgba8();
    assert!(gif.pixels().all(|p| p.0[0] == p.0[1] && p.0[1] == p.0[2]));
    let jpeg = encode_ok(&canvas, &spec("jpeg,gray")).bytes;
    assert_eq!(jpeg_frame(&jpeg).components.len(), 1);
    assert_eq!(decode(&jpeg).color(), image::ColorType::L8);
}

/// The frame header of a JPEG: SOF marker and (id, sampling) per component.
struct Frame {
    marker: u8,
    components: Vec<(u8, u8)>,
    scans: usize,
}

fn jpeg_frame(bytes: &[u8]) -> Frame {
    assert_eq!(&bytes[..2], &[0xFF, 0xD8]);
    let mut i = 2;
    let mut frame = None;
    while i + 4 <= bytes.len() {
        assert_eq!(bytes[i], 0xFF, "marker expected at {i}");
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if matches!(marker, 0xC0..=0xC3) {
            let seg = &bytes[i + 4..i + 2 + len];
            let n = usize::from(seg[5]);
            let components = (0..n).map(|c| (seg[6 + c * 3], seg[7 + c * 3])).collect();
            frame = Some((marker, components));
        }
        if marker == 0xDA {
            break;
        }
        i += 2 + len;
    }
    let (marker, components) = frame.expect("no SOF marker");
    // 0xFF in entropy-coded data is always stuffed, so every FF DA is a scan.
    let scans = bytes.windows(2).filter(|w| w == &[0xFF, 0xDA]).count();
    Frame {
        marker,
        components,
        scans,
    }
}

#[test]
fn qlt_chroma_flag_switches_subsampling() {
    let canvas = test_canvas();
    let mut s = spec("jpeg");
    s.quality = parser::quality("95,0").unwrap();
    let subsampled = jpeg_frame(&encode_ok(&canvas, &s).bytes);
    assert_eq!(subsampled.marker, 0xC0);
    let sampling = |f: &Frame| f.components.iter().map(|c| c.1).collect::<Vec<u8>>();
    assert_eq!(sampling(&subsampled), vec![0x22, 0x11, 0x11]);
    s.quality = parser::quality("95,1").unwrap();
    let full = jpeg_frame(&encode_ok(&canvas, &s).bytes);
    assert_eq!(sampling(&full), vec![0x11, 0x11, 0x11]);
    // The default is 4:2:0, whatever the quality.
    let default = jpeg_frame(&encode_ok(&canvas, &spec("jpeg")).bytes);
    assert_eq!(sampling(&default), vec![0x22, 0x11, 0x11]);
}

#[test]
fn pjpeg_is_progressive_with_pscan_scans() {
    let canvas = test_canvas();
    let baseline = jpeg_frame(&encode_ok(&canvas, &spec("jpg")).bytes);
    assert_eq!(baseline.marker, 0xC0);
    assert_eq!(baseline.scans, 1);
    let auto = jpeg_frame(&encode_ok(&canvas, &spec("pjpeg")).bytes);
    assert_eq!(auto.marker, 0xC2);
    assert_eq!(auto.scans, 3 * 4);
    for n in [3u8, 4, 5] {
        let mut s = spec("pjpeg");
        s.pscan = Some(Pscan::Scans(n));
        let out = encode_ok(&canvas, &s);
        let f = jpeg_frame(&out.bytes);
        assert_eq!(f.marker, 0xC2);
        assert_eq!(f.scans, 3 * usize::from(n), "pscan={n}");
        assert_eq!(decode(&out.bytes).dimensions(), (W, H));
    }
    let mut gray = spec("pjpeg,gray");
    gray.pscan = Some(Pscan::Auto);
    assert_eq!(jpeg_frame(&encode_ok(&canvas, &gray).bytes).scans, 4);
}

/// Deterministic noise, which JPEG cannot compress well.
fn noise_canvas(w: u32, h: u32) -> Canvas {
    let mut state = 0x1234_5678u32;
    let mut data = Vec::new();
    for _ in 0..w * h {
        for _ in 0..3 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            data.push((state >> 24) as u8);
        }
        data.push(255);
    }
    Canvas::from_rgba(w, h, data).unwrap()
}

#[test]
fn jpeg_size_lowers_quality_until_it_fits() {
    let canvas = noise_canvas(160, 120);
    let mut s = spec("jpeg");
    s.quality.quality = 95;
    let full = encode_ok(&canvas, &s).bytes.len();
    let limit_kb = (full / 1024 / 2) as u32;
    s.jpeg_size_kb = Some(limit_kb);
    let out = encode_ok(&canvas, &s);
    assert!(out.bytes.len() <= limit_kb as usize * 1024);
    assert!(
        out.bytes.len() > limit_kb as usize * 1024 / 2,
        "searched too low"
    );
    assert_eq!(decode(&out.bytes).dimensions(), (160, 120));

    // A limit already met keeps the requested quality.
    s.jpeg_size_kb = Some((full / 1024 + 1) as u32);
    assert_eq!(encode_ok(&canvas, &s).bytes.len(), full);
    // 0 means no limit.
    s.jpeg_size_kb = Some(0);
    assert_eq!(encode_ok(&canvas, &s).bytes.len(), full);

    // Impossible even at quality 1.
    s.jpeg_size_kb = Some(1);
    let err = encode(&noise_canvas(400, 300), &s).unwrap_err();
    assert!(
        matches!(err, EncodeError::JpegSize { limit_kb: 1, .. }),
        "{err}"
    );
    assert!(err.is_client_error());
}

/// Palette entries of a PNG (RGB triples) and its bit depth.
fn png_palette(bytes: &[u8]) -> (Vec<[u8; 3]>, png::BitDepth, Option<Vec<u8>>) {
    let reader = png::Decoder::new(Cursor::new(bytes)).read_info().unwrap();
    let info = reader.info();
    assert_eq!(info.color_type, png::ColorType::Indexed);
    let palette = info
        .palette
        .as_ref()
        .unwrap()
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (
        palette,
        info.bit_depth,
        info.trns.as_ref().map(|t| t.to_vec()),
    )
}

/// The global colour table of a GIF.
fn gif_palette(bytes: &[u8]) -> Vec<[u8; 3]> {
    let decoder = gif::DecodeOptions::new().read_info(bytes).unwrap();
    decoder
        .global_palette()
        .unwrap()
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect()
}

fn distinct_colours(bytes: &[u8]) -> HashSet<[u8; 4]> {
    decode(bytes).to_rgba8().pixels().map(|p| p.0).collect()
}

#[test]
fn palettes_respect_num_colors_and_forced_colours() {
    let canvas = test_canvas();
    for fmt in ["png8", "png8-alpha", "gif", "gif-alpha"] {
        for dither in ["diffuse", "off"] {
            let mut s = spec(fmt);
            s.quantize =
                Some(parser::quantize(&format!("adaptive,{dither},12,ff0000,00ff00")).unwrap());
            let out = encode_ok(&canvas, &s);
            let used = distinct_colours(&out.bytes);
            assert!(used.len() <= 12, "{fmt} {dither}: {} colours", used.len());
            let palette = if fmt.starts_with("png8") {
                let (palette, depth, _) = png_palette(&out.bytes);
                assert!(palette.len() <= 12, "{fmt}: PLTE of {}", palette.len());
                assert_eq!(depth, png::BitDepth::Four, "{fmt}");
                palette
            } else {
                gif_palette(&out.bytes)
            };
            assert!(palette.contains(&[255, 0, 0]), "{fmt}: forced red missing");
            assert!(
                palette.contains(&[0, 255, 0]),
                "{fmt}: forced green missing"
            );
        }
    }
}

#[test]
fn default_quantize_keeps_up_to_256_colours() {
    let canvas = noise_canvas(64, 64);
    for fmt in ["png8", "gif"] {
        let out = encode_ok(&canvas, &spec(fmt));
        let used = distinct_colours(&out.bytes);
        assert!(
            used.len() <= 256 && used.len() > 128,
            "{fmt}: {}",
            used.len()
        );
    }
    // Two colours pack to one bit per pixel.
    let two = Canvas::from_rgba(
        3,
        1,
        [[0, 0, 0, 255], [255, 255, 255, 255], [0, 0, 0, 255]].concat(),
    )
    .unwrap();
    let (palette, depth, trns) = png_palette(&encode_ok(&two, &spec("png8")).bytes);
    assert_eq!(palette.len(), 2);
    assert_eq!(depth, png::BitDepth::One);
    assert_eq!(trns, None);
}

#[test]
fn png8_alpha_writes_trns() {
    let out = encode_ok(&test_canvas(), &spec("png8-alpha"));
    let (palette, _, trns) = png_palette(&out.bytes);
    let trns = trns.expect("tRNS chunk");
    assert!(!trns.is_empty() && trns.len() <= palette.len());
    assert_eq!(trns[0], 0);
    assert!(
        trns.iter().any(|&a| a > 0 && a < 255),
        "translucent entry: {trns:?}"
    );
}

fn web_safe(c: [u8; 4]) -> bool {
    c[..3].iter().all(|v| v % 51 == 0)
}

#[test]
fn web_palette_is_web_safe() {
    let canvas = test_canvas();
    for fmt in ["png8", "png8-alpha", "gif", "gif-alpha"] {
        for colors in ["256", "8"] {
            let mut s = spec(fmt);
            s.quantize = Some(parser::quantize(&format!("web,diffuse,{colors}")).unwrap());
            let out = encode_ok(&canvas, &s);
            let used = distinct_colours(&out.bytes);
            assert!(
                used.iter().filter(|c| c[3] != 0).all(|&c| web_safe(c)),
                "{fmt}: {used:?}"
            );
            let limit: usize = colors.parse().unwrap();
            assert!(used.len() <= limit, "{fmt}: {}", used.len());
            if fmt.starts_with("png8") {
                let (palette, _, _) = png_palette(&out.bytes);
                assert!(palette.len() <= limit);
            }
        }
    }
}

#[test]
fn mac_palette_is_opaque_only() {
    let canvas = test_canvas();
    let mut s = spec("gif");
    s.quantize = Some(parser::quantize("mac,off").unwrap());
    let out = encode_ok(&canvas, &s);
    assert!(distinct_colours(&out.bytes).len() <= 256);
    for fmt in ["gif-alpha", "png8-alpha"] {
        let mut s = spec(fmt);
        s.quantize = Some(parser::quantize("mac").unwrap());
        let err = encode(&canvas, &s).unwrap_err();
        assert!(
            matches!(err, EncodeError::Quantize(QuantizeError::MacWithAlpha)),
            "{fmt}: {err}"
        );
        assert!(err.is_client_error());
    }
}

/// YCbCr (JFIF, full range) to RGB.
fn ycbcr_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (f32::from(y), f32::from(cb) - 128.0, f32::from(cr) - 128.0);
    let c = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    [
        c(y + 1.402 * cr),
        c(y - 0.344_136 * cb - 0.714_136 * cr),
        c(y + 1.772 * cb),
    ]
}

#[test]
fn tif_with_jpeg_compression_holds_a_ycbcr_jpeg() {
    use tiff::decoder::{Decoder, DecodingResult};
    use tiff::tags::Tag;
    let canvas = test_canvas();
    for (fmt, chroma, factor) in [("tif,rgb,jpeg", "0", 2u16), ("tif,rgb,jpeg", "1", 1)] {
        let mut s = spec(fmt);
        s.quality = parser::quality(&format!("90,{chroma}")).unwrap();
        let out = encode_ok(&canvas, &s);
        assert_eq!(out.content_type, "image/tiff");
        let mut decoder = Decoder::new(Cursor::new(&out.bytes)).unwrap();
        assert_eq!(decoder.dimensions().unwrap(), (W, H));
        assert_eq!(decoder.get_tag_u32(Tag::Compression).unwrap(), 7);
        assert_eq!(
            decoder.get_tag_u32(Tag::PhotometricInterpretation).unwrap(),
            6
        );
        assert_eq!(
            decoder.get_tag_u16_vec(Tag::ChromaSubsampling).unwrap(),
            vec![factor, factor]
        );
        let DecodingResult::U8(ycc) = decoder.read_image().unwrap() else {
            panic!("8-bit samples expected");
        };
        assert_eq!(ycc.len(), (W * H * 3) as usize);
        let at = |x: u32, y: u32| {
            let i = ((y * W + x) * 3) as usize;
            let [r, g, b] = ycbcr_to_rgb(ycc[i], ycc[i + 1], ycc[i + 2]);
            [r, g, b, 255]
        };
        assert!(
            close(at(40, 40), [160, 200, 100, 255], 16),
            "{:?}",
            at(40, 40)
        );
        assert!(close(at(4, 4), bgc_rgba(), 16), "{:?}", at(4, 4));
    }
    // Gray JPEG-in-TIFF is plain 8-bit gray for any reader.
    let gray = encode_ok(&canvas, &spec("tif,gray,jpeg"));
    let img = decode(&gray.bytes);
    assert_eq!(img.color(), image::ColorType::L8);
    assert_eq!(img.dimensions(), (W, H));
}

#[test]
fn unsupported_formats_say_so() {
    let canvas = test_canvas();
    for fmt in [
        "pdf",
        "eps",
        "jpeg2000",
        "jpeg2000-alpha",
        "jpegxr",
        "jpegxr-alpha",
        "heic",
        "swf",
        "swf-alpha",
        "swf3",
        "swf3-alpha",
        "f4m",
        "m3u8",
    ] {
        let err = encode(&canvas, &spec(fmt)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("fmt={fmt} is not supported by this server")
        );
        assert!(err.is_client_error());
    }
    let err = encode(&canvas, &spec("jpeg,cmyk")).unwrap_err();
    assert_eq!(err.to_string(), "fmt=jpeg,cmyk is not supported");
    assert!(matches!(err, EncodeError::Unsupported(_)));
    let err = encode(&canvas, &spec("tif,cmyk")).unwrap_err();
    assert_eq!(err.to_string(), "fmt=tif,cmyk is not supported");
}

#[cfg(not(feature = "avif"))]
#[test]
fn avif_needs_its_build_feature() {
    for fmt in ["avif", "avif-alpha"] {
        let err = encode(&test_canvas(), &spec(fmt)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("fmt={fmt} needs the avif build feature")
        );
    }
}

/// The width and height in an AVIF's `ispe` (image spatial extents) box.
#[cfg(feature = "avif")]
fn avif_extents(bytes: &[u8]) -> (u32, u32) {
    let at = bytes
        .windows(4)
        .position(|w| w == b"ispe")
        .expect("no ispe box");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    // Box type, then version and flags, then width and height.
    (be(at + 8), be(at + 12))
}

#[cfg(feature = "avif")]
#[test]
fn avif_writes_an_avif_container() {
    let alpha_aux = b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha";
    let has = |bytes: &[u8], needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    for fmt in ["avif", "avif-alpha"] {
        let out = encode_ok(&test_canvas(), &spec(fmt));
        assert_eq!(out.content_type, "image/avif");
        assert_eq!(&out.bytes[4..12], b"ftypavif", "{fmt}");
        assert_eq!(avif_extents(&out.bytes), (W, H), "{fmt}");
        assert_eq!(has(&out.bytes, alpha_aux), fmt == "avif-alpha", "{fmt}");
    }
    let err = encode(&test_canvas(), &spec("avif,rgb,lossless")).unwrap_err();
    assert!(matches!(err, EncodeError::Unsupported(_)));
}

#[test]
fn oversized_images_are_refused_by_format_limits() {
    let wide = Canvas::filled(16_384, 1, [0, 0, 0, 255]);
    let err = encode(&wide, &spec("webp")).unwrap_err();
    assert!(
        matches!(err, EncodeError::Dimensions { max: 16383, .. }),
        "{err}"
    );
    let wider = Canvas::filled(65_536, 1, [0, 0, 0, 255]);
    for fmt in ["jpeg", "gif"] {
        let err = encode(&wider, &spec(fmt)).unwrap_err();
        assert!(
            matches!(err, EncodeError::Dimensions { max: 65535, .. }),
            "{fmt}: {err}"
        );
    }
}

#[test]
fn default_spec_is_jpeg_quality_80() {
    let s = EncodeSpec::default();
    assert_eq!(s.format.kind, FormatKind::Jpeg);
    assert_eq!(s.quality.quality, 80);
    let out = encode_ok(&test_canvas(), &s);
    assert_eq!(out.content_type, "image/jpeg");
    // White background by default.
    let rgba = decode(&out.bytes).to_rgba8();
    assert!(close(rgba.get_pixel(4, 4).0, [255, 255, 255, 255], 8));
}
