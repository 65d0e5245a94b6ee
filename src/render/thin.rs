//! The thin renderer: one source image, scaled and framed by `wid`/`hei`,
//! encoded as JPEG or PNG.
//!
//! It follows the view transform of the protocol (spec §4.7) for the subset it
//! knows: no `scl`, `fit`, `rgn`, `align` or `rect`. Geometry is computed and
//! checked against the limits before the source is decoded. This module must
//! never do I/O or panic on any input.

use std::io::Cursor;

use image::ImageReader;

use super::{RenderError, Rendered, compose, encode, resize};
use crate::config::Limits;

/// Output format of the thin renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThinFormat {
    /// `fmt=jpeg`: RGB JPEG, transparency flattened onto `bgc`.
    #[default]
    Jpeg,
    /// `fmt=png`: RGB PNG, transparency flattened onto `bgc`.
    Png,
    /// `fmt=png-alpha`: RGBA PNG; `bgc` is ignored and padding is transparent.
    PngAlpha,
}

impl ThinFormat {
    /// Whether the format keeps the alpha channel.
    pub fn has_alpha(self) -> bool {
        matches!(self, ThinFormat::PngAlpha)
    }

    /// The MIME type of the encoded reply.
    pub fn content_type(self) -> &'static str {
        match self {
            ThinFormat::Jpeg => "image/jpeg",
            ThinFormat::Png | ThinFormat::PngAlpha => "image/png",
        }
    }
}

/// The commands the thin renderer understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThinRequest {
    /// `wid=`: reply width in pixels.
    pub wid: Option<u32>,
    /// `hei=`: reply height in pixels.
    pub hei: Option<u32>,
    /// `fmt=`: output format. Default: JPEG.
    pub format: ThinFormat,
    /// `qlt=`: JPEG quality, 1 to 100. Default: 80.
    pub quality: u8,
    /// `bgc=`: opaque background colour. Default: white.
    pub bgc: [u8; 3],
}

impl Default for ThinRequest {
    fn default() -> Self {
        ThinRequest {
            wid: None,
            hei: None,
            format: ThinFormat::Jpeg,
            quality: 80,
            bgc: [255, 255, 255],
        }
    }
}

/// Where the scaled image sits in the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct View {
    /// Reply width.
    pub width: u32,
    /// Reply height.
    pub height: u32,
    /// Scaled image width, at most `width`.
    pub image_width: u32,
    /// Scaled image height, at most `height`.
    pub image_height: u32,
    /// Left edge of the scaled image in the reply.
    pub left: u32,
    /// Top edge of the scaled image in the reply.
    pub top: u32,
}

/// Computes the reply geometry for a source of `src_w`×`src_h` pixels.
///
/// Fails with [`RenderError::TooLarge`] when the reply exceeds `MaxPix`.
pub(crate) fn plan_view(
    src_w: u32,
    src_h: u32,
    req: &ThinRequest,
    limits: &Limits,
) -> Result<View, RenderError> {
    if src_w == 0 || src_h == 0 {
        return Err(RenderError::InvalidSize {
            width: src_w,
            height: src_h,
        });
    }
    if req.wid == Some(0) || req.hei == Some(0) {
        return Err(RenderError::InvalidSize {
            width: req.wid.unwrap_or(0),
            height: req.hei.unwrap_or(0),
        });
    }
    let (w, h) = (f64::from(src_w), f64::from(src_h));
    // Scaled size of the image, and the reply size when it differs.
    let (image, reply) = match (req.wid, req.hei) {
        (Some(wid), None) => {
            let size = (u64::from(wid), scaled(h, f64::from(wid) / w));
            (size, size)
        }
        (None, Some(hei)) => {
            let size = (scaled(w, f64::from(hei) / h), u64::from(hei));
            (size, size)
        }
        (Some(wid), Some(hei)) => {
            let scale = (f64::from(wid) / w).min(f64::from(hei) / h);
            let image = (
                scaled(w, scale).min(u64::from(wid)),
                scaled(h, scale).min(u64::from(hei)),
            );
            (image, (u64::from(wid), u64::from(hei)))
        }
        (None, None) => {
            let (dw, dh) = limits.default_pix;
            // A zero component of DefaultPix leaves that dimension unconstrained.
            let fx = if dw > 0 {
                f64::from(dw) / w
            } else {
                f64::INFINITY
            };
            let fy = if dh > 0 {
                f64::from(dh) / h
            } else {
                f64::INFINITY
            };
            let scale = fx.min(fy).min(1.0);
            let size = if scale < 1.0 {
                (scaled(w, scale), scaled(h, scale))
            } else {
                (u64::from(src_w), u64::from(src_h))
            };
            (size, size)
        }
    };
    check_max_pix(reply, limits)?;
    // After the MaxPix check every size fits in u32, unless MaxPix is unlimited.
    let to_u32 = |v: u64| u32::try_from(v).map_err(|_| too_large(reply, limits));
    let (width, height) = (to_u32(reply.0)?, to_u32(reply.1)?);
    let (image_width, image_height) = (to_u32(image.0)?, to_u32(image.1)?);
    Ok(View {
        width,
        height,
        image_width,
        image_height,
        left: (width - image_width) / 2,
        top: (height - image_height) / 2,
    })
}

/// Scales a source dimension, rounding to the nearest pixel and never below 1.
fn scaled(dimension: f64, scale: f64) -> u64 {
    // The float-to-int cast saturates, so a huge product cannot wrap.
    ((dimension * scale).round() as u64).max(1)
}

fn check_max_pix(reply: (u64, u64), limits: &Limits) -> Result<(), RenderError> {
    let (mw, mh) = limits.max_pix;
    let over_w = mw > 0 && reply.0 > u64::from(mw);
    let over_h = mh > 0 && reply.1 > u64::from(mh);
    if over_w || over_h {
        return Err(too_large(reply, limits));
    }
    Ok(())
}

fn too_large(reply: (u64, u64), limits: &Limits) -> RenderError {
    RenderError::TooLarge {
        width: reply.0,
        height: reply.1,
        max_width: limits.max_pix.0,
        max_height: limits.max_pix.1,
    }
}

/// Renders `source_bytes` as `req` asks.
///
/// The header is probed first; the reply size and the source size are checked
/// against `limits` before the source is decoded.
pub fn render_thin(
    source_bytes: &[u8],
    req: &ThinRequest,
    limits: &Limits,
) -> Result<Rendered, RenderError> {
    let (src_w, src_h) = probe(source_bytes)?;
    let pixels = u64::from(src_w) * u64::from(src_h);
    if pixels > limits.max_source_pixels {
        return Err(RenderError::SourceTooLarge {
            width: src_w,
            height: src_h,
            max_pixels: limits.max_source_pixels,
        });
    }
    let view = plan_view(src_w, src_h, req, limits)?;

    let source = decode_rgba(source_bytes, src_w, src_h, limits)?;
    let scaled = resize::resize_rgba(source, src_w, src_h, view.image_width, view.image_height)?;
    let bytes = if req.format.has_alpha() {
        let canvas = compose::place_rgba(&scaled, &view);
        encode::png_rgba(&canvas, view.width, view.height)?
    } else {
        let canvas = compose::flatten_rgb(&scaled, &view, req.bgc);
        match req.format {
            ThinFormat::Jpeg => encode::jpeg_rgb(&canvas, view.width, view.height, req.quality)?,
            ThinFormat::Png | ThinFormat::PngAlpha => {
                encode::png_rgb(&canvas, view.width, view.height)?
            }
        }
    };
    Ok(Rendered {
        bytes,
        content_type: req.format.content_type(),
        width: view.width,
        height: view.height,
    })
}

/// Reads only the header of the source and returns its size.
pub(crate) fn probe(source_bytes: &[u8]) -> Result<(u32, u32), RenderError> {
    reader(source_bytes)?
        .into_dimensions()
        .map_err(RenderError::Decode)
}

fn reader(source_bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, RenderError> {
    let reader = ImageReader::new(Cursor::new(source_bytes))
        .with_guessed_format()
        .map_err(|e| RenderError::Unsupported(e.to_string()))?;
    if reader.format().is_none() {
        return Err(RenderError::Unsupported("unknown format".to_owned()));
    }
    Ok(reader)
}

/// Decodes the whole source as RGBA8, under limits fitted to its known size.
pub(crate) fn decode_rgba(
    source_bytes: &[u8],
    src_w: u32,
    src_h: u32,
    limits: &Limits,
) -> Result<Vec<u8>, RenderError> {
    let mut reader = reader(source_bytes)?;
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(src_w);
    decode_limits.max_image_height = Some(src_h);
    // Room for the largest pixel type `image` decodes into (RGBA32F, 16 bytes).
    decode_limits.max_alloc = Some(limits.max_source_pixels.saturating_mul(16));
    reader.limits(decode_limits);
    let image = reader.decode().map_err(RenderError::Decode)?;
    Ok(image.into_rgba8().into_raw())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(wid: Option<u32>, hei: Option<u32>) -> ThinRequest {
        ThinRequest {
            wid,
            hei,
            ..ThinRequest::default()
        }
    }

    fn view(src: (u32, u32), wid: Option<u32>, hei: Option<u32>) -> View {
        plan_view(src.0, src.1, &req(wid, hei), &Limits::default()).unwrap()
    }

    #[test]
    fn wid_only_keeps_the_aspect() {
        let v = view((400, 300), Some(200), None);
        assert_eq!((v.width, v.height), (200, 150));
        assert_eq!(
            (v.image_width, v.image_height, v.left, v.top),
            (200, 150, 0, 0)
        );
    }

    #[test]
    fn hei_only_keeps_the_aspect() {
        let v = view((400, 300), None, Some(60));
        assert_eq!((v.width, v.height), (80, 60));
    }

    #[test]
    fn wid_and_hei_frame_the_image_centred() {
        let v = view((400, 300), Some(100), Some(100));
        assert_eq!((v.width, v.height), (100, 100));
        assert_eq!((v.image_width, v.image_height), (100, 75));
        assert_eq!((v.left, v.top), (0, 12));

        let v = view((150, 400), Some(300), Some(200));
        assert_eq!((v.image_width, v.image_height), (75, 200));
        assert_eq!((v.left, v.top), (112, 0));
    }

    #[test]
    fn wid_and_hei_may_upscale() {
        let v = view((40, 30), Some(400), Some(400));
        assert_eq!((v.image_width, v.image_height), (400, 300));
    }

    #[test]
    fn neither_keeps_small_images_and_shrinks_into_default_pix() {
        let v = view((400, 300), None, None);
        assert_eq!((v.width, v.height), (400, 300));
        let v = view((8000, 2000), None, None);
        assert_eq!((v.width, v.height), (2000, 500));
    }

    #[test]
    fn a_tiny_dimension_never_rounds_to_zero() {
        let v = view((1000, 1), Some(10), None);
        assert_eq!((v.width, v.height), (10, 1));
    }

    #[test]
    fn max_pix_is_checked() {
        let err = plan_view(400, 300, &req(Some(3001), None), &Limits::default());
        assert!(matches!(
            err,
            Err(RenderError::TooLarge { width: 3001, .. })
        ));
        // A tall source makes the derived height exceed MaxPix.
        let err = plan_view(10, 1000, &req(Some(100), None), &Limits::default());
        assert!(matches!(
            err,
            Err(RenderError::TooLarge { height: 10000, .. })
        ));
        let err = plan_view(400, 300, &req(Some(0), None), &Limits::default());
        assert!(matches!(err, Err(RenderError::InvalidSize { .. })));
    }

    /// Standard CRC-32, for building PNG chunks by hand.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A PNG whose header claims `w`×`h` pixels but whose data is one byte.
    fn png_header_only(w: u32, h: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |kind: &[u8], data: &[u8]| {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut body = kind.to_vec();
            body.extend_from_slice(data);
            out.extend_from_slice(&body);
            out.extend_from_slice(&crc32(&body).to_be_bytes());
        };
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        chunk(b"IHDR", &ihdr);
        chunk(b"IDAT", &[0]);
        chunk(b"IEND", &[]);
        out
    }

    #[test]
    fn too_large_is_rejected_before_decoding() {
        let limits = Limits::default();
        let bytes = png_header_only(5000, 5000);
        // The header alone is readable; decoding it would fail.
        assert_eq!(probe(&bytes).unwrap(), (5000, 5000));
        let err = render_thin(&bytes, &req(Some(4000), None), &limits);
        assert!(matches!(err, Err(RenderError::TooLarge { .. })), "{err:?}");
        let err = render_thin(&bytes, &req(None, None), &limits);
        assert!(matches!(err, Err(RenderError::Decode(_))), "{err:?}");

        let huge = png_header_only(20_000, 20_000);
        let err = render_thin(&huge, &req(Some(100), None), &limits);
        assert!(
            matches!(err, Err(RenderError::SourceTooLarge { .. })),
            "{err:?}"
        );
    }

    #[test]
    fn garbage_is_unsupported() {
        let err = render_thin(b"not an image", &ThinRequest::default(), &Limits::default());
        assert!(matches!(err, Err(RenderError::Unsupported(_))), "{err:?}");
    }

    /// A 4×2 RGBA PNG: left half opaque red, right half fully transparent.
    fn half_transparent_png() -> Vec<u8> {
        let mut img = image::RgbaImage::new(4, 2);
        for (x, _, p) in img.enumerate_pixels_mut() {
            *p = if x < 2 {
                image::Rgba([255, 0, 0, 255])
            } else {
                image::Rgba([0, 0, 0, 0])
            };
        }
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    fn decode(bytes: &[u8]) -> image::DynamicImage {
        image::load_from_memory(bytes).unwrap()
    }

    #[test]
    fn opaque_formats_flatten_onto_bgc() {
        let src = half_transparent_png();
        let request = ThinRequest {
            format: ThinFormat::Png,
            bgc: [0, 0, 255],
            ..ThinRequest::default()
        };
        let out = render_thin(&src, &request, &Limits::default()).unwrap();
        assert_eq!(out.content_type, "image/png");
        let img = decode(&out.bytes);
        assert_eq!(img.color(), image::ColorType::Rgb8);
        let rgb = img.to_rgb8();
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 0, 0]);
        assert_eq!(rgb.get_pixel(3, 1).0, [0, 0, 255]);
    }

    #[test]
    fn png_alpha_keeps_transparency_and_pads_transparently() {
        let src = half_transparent_png();
        let request = ThinRequest {
            wid: Some(8),
            hei: Some(8),
            format: ThinFormat::PngAlpha,
            ..ThinRequest::default()
        };
        let out = render_thin(&src, &request, &Limits::default()).unwrap();
        let img = decode(&out.bytes);
        assert_eq!(img.color(), image::ColorType::Rgba8);
        let rgba = img.to_rgba8();
        assert_eq!((rgba.width(), rgba.height()), (8, 8));
        // Padding above the image, and the transparent half, stay transparent.
        assert_eq!(rgba.get_pixel(4, 0).0[3], 0);
        assert_eq!(rgba.get_pixel(7, 4).0[3], 0);
        assert_eq!(rgba.get_pixel(0, 4).0, [255, 0, 0, 255]);
    }

    #[test]
    fn jpeg_frame_is_padded_with_bgc() {
        let src = half_transparent_png();
        let request = ThinRequest {
            wid: Some(16),
            hei: Some(32),
            bgc: [0, 0, 0],
            quality: 95,
            ..ThinRequest::default()
        };
        let out = render_thin(&src, &request, &Limits::default()).unwrap();
        assert_eq!((out.width, out.height), (16, 32));
        assert_eq!(out.content_type, "image/jpeg");
        let rgb = decode(&out.bytes).to_rgb8();
        assert_eq!((rgb.width(), rgb.height()), (16, 32));
        let top = rgb.get_pixel(8, 1).0;
        assert!(top.iter().all(|&c| c < 16), "{top:?}");
        let red = rgb.get_pixel(2, 16).0;
        assert!(red[0] > 200 && red[1] < 60, "{red:?}");
    }
}
