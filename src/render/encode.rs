//! Encoding the reply image: `fmt=`, `qlt=`, `quantize=`, `pscan=` and
//! `jpegSize=` (protocol §3.1, §3.1.1).
//!
//! This module owns turning a finished [`Canvas`] into the bytes of one file
//! format and its MIME type. It flattens transparency onto `bgc=` for formats
//! without alpha (alpha blending), converts to gray for `,gray`, and hands
//! palette formats to [`quantize`](super::quantize). It must never resize,
//! crop, colour-manage or otherwise change what the pixels show, and never
//! does I/O beyond the bytes it returns.
//!
//! Formats and encoders:
//!
//! | `fmt=` | encoder | notes |
//! |---|---|---|
//! | `jpeg`, `jpg`, `pjpeg` | `jpeg-encoder` | 4:2:0, or 4:4:4 with `qlt=q,1`; `,gray` is 1-component; `pjpeg` is progressive |
//! | `png`, `png-alpha` | `png` | 8-bit RGB / RGBA (gray / gray+alpha with `,gray`), fast deflate |
//! | `png8`, `png8-alpha` | `png` | indexed, `PLTE` + `tRNS`, packed to 1/2/4 bits when the palette is small |
//! | `gif`, `gif-alpha` | `gif` | `-alpha` keys pixels with alpha < 128 to one transparent entry |
//! | `tif`, `tif-alpha` | `tiff` | `none`, `lzw`, `zip` (deflate), with the horizontal predictor unless `-alpha`; `jpeg` (YCbCr JPEG-in-TIFF, one strip), not with `-alpha` |
//! | `webp`, `webp-alpha` | `webp` (libwebp) | lossy at `qlt` quality, or `lossless` (exact, transparent colours kept) |
//! | `avif`, `avif-alpha` | `image` (ravif/rav1e) | with the `avif` build feature (default); lossy only, rav1e speed 8, one thread |
//!
//! `pscan=` with `pjpeg`: the encoder writes spectral-selection scans only,
//! one component per scan. `pscan=N` gives each component one DC scan and
//! N−1 AC scans that split the 63 AC coefficients into equal bands, so a
//! colour image has 3·N scans; `auto` is N = 4. Successive approximation is
//! not used.
//!
//! `jpegSize=kB` (1 kB = 1024 bytes) keeps `qlt` when the file fits, else
//! binary-searches the highest quality below it that fits; it fails when
//! even quality 1 does not.
//!
//! Everything else (`pdf`, `eps`, `jpeg2000`, `jpegxr`, `heic`, `swf*`,
//! `f4m`, `m3u8`, CMYK output) is [`EncodeError::Unsupported`] with a message
//! meant for a 403 body.

use std::borrow::Cow;
use std::io::Cursor;

use image::{ExtendedColorType, ImageEncoder};
use jpeg_encoder::{ChromaSubsamplingMethod, ColorType as JpegColor, SamplingFactor};
use tiff::encoder::colortype::{Gray8, RGB8};
use tiff::encoder::compression::DeflateLevel;
use tiff::encoder::{Compression as TiffCompression, Rational, TiffEncoder};
use tiff::tags::{CompressionMethod, ExtraSamples, PhotometricInterpretation, Predictor, Tag};

use super::canvas::{Canvas, rgb_to_rgba};
use super::quantize::{self, AlphaMode, QuantizeError};
use crate::protocol::ast::{Compression, Format, FormatKind, PixelType, Pscan, Quality, Quantize};

/// The default `qlt=` (`attribute::JpegQuality`).
pub const DEFAULT_QUALITY: u8 = 80;

/// The progressive scan count `pscan=auto` stands for.
pub const AUTO_SCANS: u8 = 4;

/// Everything the encoder needs from the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeSpec {
    /// `fmt=`; the default is `jpeg`.
    pub format: Format,
    /// `qlt=`; the default is quality 80, chroma subsampled.
    pub quality: Quality,
    /// `quantize=`; `None` means `adaptive,diffuse,256`.
    pub quantize: Option<Quantize>,
    /// `bgc=` as RGB: what transparency is flattened onto for formats
    /// without alpha.
    pub bgc: [u8; 3],
    /// `pscan=`; `None` means `auto`.
    pub pscan: Option<Pscan>,
    /// `jpegSize=` in kB (1024 bytes); `None` or 0 means no limit.
    pub jpeg_size_kb: Option<u32>,
}

impl Default for EncodeSpec {
    fn default() -> Self {
        EncodeSpec {
            format: Format {
                kind: FormatKind::Jpeg,
                pixel_type: None,
                compression: None,
            },
            quality: Quality {
                quality: DEFAULT_QUALITY,
                no_chroma_subsampling: None,
            },
            quantize: None,
            bgc: [255, 255, 255],
            pscan: None,
            jpeg_size_kb: None,
        }
    }
}

/// An encoded reply image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// The file.
    pub bytes: Vec<u8>,
    /// Its MIME type, from [`FormatKind::mime`].
    pub content_type: &'static str,
}

/// Why encoding failed.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The request asks for output this server does not write.
    #[error("{0}")]
    Unsupported(String),
    /// The image has no pixels: a bug in the stage that made it.
    #[error("cannot encode an empty {width}x{height} image")]
    Empty {
        /// Image width.
        width: u32,
        /// Image height.
        height: u32,
    },
    /// The image is larger than the format can store.
    #[error("fmt={format} cannot store a {width}x{height} image (at most {max}x{max})")]
    Dimensions {
        /// The `fmt=` keyword.
        format: &'static str,
        /// Image width.
        width: u32,
        /// Image height.
        height: u32,
        /// The format's largest side.
        max: u32,
    },
    /// `jpegSize=` cannot be met.
    #[error("jpegSize={limit_kb}: the smallest JPEG, at quality 1, is {smallest} bytes")]
    JpegSize {
        /// The limit in kB.
        limit_kb: u32,
        /// The size at quality 1.
        smallest: usize,
    },
    /// `quantize=` cannot be honoured.
    #[error(transparent)]
    Quantize(#[from] QuantizeError),
    /// The JPEG encoder failed.
    #[error("JPEG encoding failed: {0}")]
    Jpeg(#[from] jpeg_encoder::EncodingError),
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
    /// The GIF encoder failed.
    #[error("GIF encoding failed: {0}")]
    Gif(#[from] gif::EncodingError),
    /// The TIFF encoder failed.
    #[error("TIFF encoding failed: {0}")]
    Tiff(#[from] tiff::TiffError),
    /// libwebp failed.
    #[error("WebP encoding failed: {0}")]
    Webp(String),
    /// The AVIF encoder failed.
    #[error("AVIF encoding failed: {0}")]
    Avif(#[source] image::ImageError),
}

impl EncodeError {
    /// Whether the request is at fault (a 403), rather than the server.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            EncodeError::Unsupported(_)
                | EncodeError::Dimensions { .. }
                | EncodeError::JpegSize { .. }
                | EncodeError::Quantize(_)
        )
    }
}

/// Encodes `canvas` as `spec` asks.
pub fn encode(canvas: &Canvas, spec: &EncodeSpec) -> Result<Encoded, EncodeError> {
    use FormatKind as F;
    let kind = spec.format.kind;
    check_options(&spec.format)?;
    let (width, height) = canvas.size();
    if width == 0 || height == 0 {
        return Err(EncodeError::Empty { width, height });
    }
    let gray = spec.format.pixel_type == Some(PixelType::Gray);
    let bytes = match kind {
        F::Jpeg | F::Jpg | F::Pjpeg => encode_jpeg(canvas, spec, gray)?,
        F::Png | F::PngAlpha => encode_png(canvas, spec, gray)?,
        F::Png8 | F::Png8Alpha => encode_png8(canvas, spec)?,
        F::Gif | F::GifAlpha => encode_gif(canvas, spec, gray)?,
        F::Tif | F::TifAlpha => encode_tiff(canvas, spec, gray)?,
        F::Webp | F::WebpAlpha => encode_webp(canvas, spec)?,
        F::Avif | F::AvifAlpha => encode_avif(canvas, spec)?,
        F::Pdf
        | F::Eps
        | F::Jpeg2000
        | F::Jpeg2000Alpha
        | F::JpegXr
        | F::JpegXrAlpha
        | F::Heic
        | F::Swf
        | F::SwfAlpha
        | F::Swf3
        | F::Swf3Alpha
        | F::F4m
        | F::M3u8 => {
            return Err(EncodeError::Unsupported(format!(
                "fmt={} is not supported by this server",
                kind.as_str()
            )));
        }
    };
    Ok(Encoded {
        bytes,
        content_type: kind.mime(),
    })
}

/// Refuses pixel types and compressions the format does not take, and CMYK.
fn check_options(format: &Format) -> Result<(), EncodeError> {
    use FormatKind as F;
    let kind = format.kind;
    if let Some(c) = format.compression {
        if !kind.compressions().contains(&c) {
            return Err(EncodeError::Unsupported(format!(
                "fmt={} does not take compression {}",
                kind.as_str(),
                c.as_str()
            )));
        }
    }
    match format.pixel_type {
        None | Some(PixelType::Rgb) => Ok(()),
        Some(PixelType::Cmyk) => Err(EncodeError::Unsupported(format!(
            "fmt={},cmyk is not supported",
            kind.as_str()
        ))),
        Some(PixelType::Gray) => match kind {
            F::Jpeg
            | F::Jpg
            | F::Pjpeg
            | F::Png
            | F::PngAlpha
            | F::Gif
            | F::GifAlpha
            | F::Tif
            | F::TifAlpha => Ok(()),
            _ => Err(EncodeError::Unsupported(format!(
                "fmt={},gray is not supported",
                kind.as_str()
            ))),
        },
    }
}

fn check_size(kind: FormatKind, canvas: &Canvas, max: u32) -> Result<(), EncodeError> {
    let (width, height) = canvas.size();
    if width > max || height > max {
        return Err(EncodeError::Dimensions {
            format: kind.as_str(),
            width,
            height,
            max,
        });
    }
    Ok(())
}

/// RGB8 with transparency alpha-blended onto `bgc`.
fn flatten(canvas: &Canvas, bgc: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::with_capacity(canvas.data().len() / 4 * 3);
    for p in canvas.data().chunks_exact(4) {
        let a = u32::from(p[3]);
        if a == 255 {
            out.extend_from_slice(&p[..3]);
        } else {
            for k in 0..3 {
                let v = u32::from(p[k]) * a + u32::from(bgc[k]) * (255 - a);
                out.push(((v + 127) / 255) as u8);
            }
        }
    }
    out
}

/// Rec. 601 luma of an RGB triple.
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114 + 500) / 1000) as u8
}

/// One gray byte per RGB8 pixel.
fn rgb_to_gray(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .map(|p| luma(p[0], p[1], p[2]))
        .collect()
}

/// Gray + alpha bytes per RGBA8 pixel.
fn rgba_to_gray_alpha(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .flat_map(|p| [luma(p[0], p[1], p[2]), p[3]])
        .collect()
}

/// RGBA8 with the colour channels turned gray and alpha kept.
fn rgba_grayed(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .flat_map(|p| {
            let l = luma(p[0], p[1], p[2]);
            [l, l, l, p[3]]
        })
        .collect()
}

// --- JPEG -----------------------------------------------------------------

/// JPEG settings other than quality.
#[derive(Clone, Copy)]
struct JpegOptions {
    color: JpegColor,
    subsample: bool,
    scans: Option<u8>,
}

/// The pixels to hand the JPEG encoder and their layout: an opaque colour
/// image as it is (the encoder skips alpha), anything else flattened onto
/// `bgc` first, and gray as one luma byte per pixel.
fn jpeg_pixels(canvas: &Canvas, bgc: [u8; 3], gray: bool) -> (Cow<'_, [u8]>, JpegColor) {
    if gray {
        (
            Cow::Owned(rgb_to_gray(&flatten(canvas, bgc))),
            JpegColor::Luma,
        )
    } else if canvas.has_transparency() {
        (Cow::Owned(flatten(canvas, bgc)), JpegColor::Rgb)
    } else {
        (Cow::Borrowed(canvas.data()), JpegColor::Rgba)
    }
}

fn encode_jpeg(canvas: &Canvas, spec: &EncodeSpec, gray: bool) -> Result<Vec<u8>, EncodeError> {
    check_size(spec.format.kind, canvas, u32::from(u16::MAX))?;
    let (pixels, color) = jpeg_pixels(canvas, spec.bgc, gray);
    let scans = (spec.format.kind == FormatKind::Pjpeg).then(|| match spec.pscan {
        None | Some(Pscan::Auto) => AUTO_SCANS,
        Some(Pscan::Scans(n)) => n.clamp(2, 64),
    });
    let options = JpegOptions {
        color,
        subsample: spec.quality.no_chroma_subsampling != Some(true),
        scans,
    };
    let (width, height) = canvas.size();
    let quality = spec.quality.quality.clamp(1, 100);
    let limit = spec.jpeg_size_kb.filter(|&kb| kb > 0);
    let first = jpeg_bytes(&pixels, width, height, quality, options)?;
    let Some(limit_kb) = limit else {
        return Ok(first);
    };
    let max_bytes = limit_kb as usize * 1024;
    if first.len() <= max_bytes {
        return Ok(first);
    }
    let floor = jpeg_bytes(&pixels, width, height, 1, options)?;
    if floor.len() > max_bytes {
        return Err(EncodeError::JpegSize {
            limit_kb,
            smallest: floor.len(),
        });
    }
    // The highest quality in 2..quality that fits; quality 1 is known to.
    let mut best = floor;
    let (mut lo, mut hi) = (2u8, quality.saturating_sub(1));
    while lo <= hi {
        let mid = lo + (hi - lo) / 2;
        let bytes = jpeg_bytes(&pixels, width, height, mid, options)?;
        if bytes.len() <= max_bytes {
            best = bytes;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    Ok(best)
}

/// One JPEG of RGB8 (or gray) pixels; the size fits in u16 (checked).
fn jpeg_bytes(
    pixels: &[u8],
    width: u32,
    height: u32,
    quality: u8,
    options: JpegOptions,
) -> Result<Vec<u8>, EncodeError> {
    let (w, h) = (
        u16::try_from(width).unwrap_or(u16::MAX),
        u16::try_from(height).unwrap_or(u16::MAX),
    );
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(if options.subsample {
        SamplingFactor::F_2_2
    } else {
        SamplingFactor::F_1_1
    });
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    if let Some(scans) = options.scans {
        encoder.set_progressive_scans(scans);
        encoder.set_optimized_huffman_tables(true);
    }
    encoder.encode(pixels, w, h, options.color)?;
    Ok(out)
}

// --- PNG ------------------------------------------------------------------

fn png_encoder(
    out: &mut Vec<u8>,
    width: u32,
    height: u32,
    color: png::ColorType,
    depth: png::BitDepth,
) -> png::Encoder<'static, &mut Vec<u8>> {
    let mut encoder = png::Encoder::new(out, width, height);
    encoder.set_color(color);
    encoder.set_depth(depth);
    encoder.set_compression(png::Compression::Fast);
    encoder
}

fn encode_png(canvas: &Canvas, spec: &EncodeSpec, gray: bool) -> Result<Vec<u8>, EncodeError> {
    let (width, height) = canvas.size();
    let alpha = spec.format.kind.has_alpha();
    let (color, data) = match (alpha, gray) {
        (true, false) => (png::ColorType::Rgba, None),
        (true, true) => (
            png::ColorType::GrayscaleAlpha,
            Some(rgba_to_gray_alpha(canvas.data())),
        ),
        (false, false) => (png::ColorType::Rgb, Some(flatten(canvas, spec.bgc))),
        (false, true) => (
            png::ColorType::Grayscale,
            Some(rgb_to_gray(&flatten(canvas, spec.bgc))),
        ),
    };
    let data = data.as_deref().unwrap_or(canvas.data());
    let mut out = Vec::new();
    let mut writer =
        png_encoder(&mut out, width, height, color, png::BitDepth::Eight).write_header()?;
    writer.write_image_data(data)?;
    writer.finish()?;
    Ok(out)
}

/// Quantizes for a palette format: flattened unless `-alpha`.
fn indexed(
    canvas: &Canvas,
    spec: &EncodeSpec,
    gray: bool,
    alpha_mode: AlphaMode,
) -> Result<quantize::Indexed, EncodeError> {
    let (width, height) = canvas.size();
    let q = spec
        .quantize
        .clone()
        .unwrap_or_else(quantize::default_quantize);
    let rgba = if spec.format.kind.has_alpha() {
        if gray {
            rgba_grayed(canvas.data())
        } else {
            canvas.data().to_vec()
        }
    } else {
        let rgb = flatten(canvas, spec.bgc);
        if gray {
            rgb_to_rgba(
                &rgb_to_gray(&rgb)
                    .iter()
                    .flat_map(|&l| [l, l, l])
                    .collect::<Vec<u8>>(),
            )
        } else {
            rgb_to_rgba(&rgb)
        }
    };
    Ok(quantize::quantize(&rgba, width, height, &q, alpha_mode)?)
}

fn encode_png8(canvas: &Canvas, spec: &EncodeSpec) -> Result<Vec<u8>, EncodeError> {
    let (width, height) = canvas.size();
    let mode = if spec.format.kind.has_alpha() {
        AlphaMode::Full
    } else {
        AlphaMode::Opaque
    };
    let image = indexed(canvas, spec, false, mode)?;
    let (depth, bits) = match image.palette.len() {
        0..=2 => (png::BitDepth::One, 1),
        3..=4 => (png::BitDepth::Two, 2),
        5..=16 => (png::BitDepth::Four, 4),
        _ => (png::BitDepth::Eight, 8),
    };
    let data = pack_indices(&image.indices, width as usize, bits);
    let palette: Vec<u8> = image
        .palette
        .iter()
        .flat_map(|c| [c[0], c[1], c[2]])
        .collect();
    let trns: Vec<u8> = image
        .palette
        .iter()
        .take_while(|c| c[3] < 255)
        .map(|c| c[3])
        .collect();
    let mut out = Vec::new();
    let mut encoder = png_encoder(&mut out, width, height, png::ColorType::Indexed, depth);
    encoder.set_palette(palette);
    if !trns.is_empty() {
        encoder.set_trns(trns);
    }
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&data)?;
    writer.finish()?;
    Ok(out)
}

/// Packs 8-bit indices into rows of `bits`-bit samples, MSB first.
fn pack_indices(indices: &[u8], width: usize, bits: usize) -> Vec<u8> {
    if bits == 8 || width == 0 {
        return indices.to_vec();
    }
    let per_byte = 8 / bits;
    let row_bytes = width.div_ceil(per_byte);
    let mut out = Vec::with_capacity(row_bytes * (indices.len() / width));
    for row in indices.chunks(width) {
        for group in row.chunks(per_byte) {
            let mut byte = 0u8;
            for (i, &v) in group.iter().enumerate() {
                byte |= v << (8 - bits * (i + 1));
            }
            out.push(byte);
        }
    }
    out
}

// --- GIF ------------------------------------------------------------------

fn encode_gif(canvas: &Canvas, spec: &EncodeSpec, gray: bool) -> Result<Vec<u8>, EncodeError> {
    check_size(spec.format.kind, canvas, u32::from(u16::MAX))?;
    let (width, height) = canvas.size();
    let mode = if spec.format.kind.has_alpha() {
        AlphaMode::Key
    } else {
        AlphaMode::Opaque
    };
    let image = indexed(canvas, spec, gray, mode)?;
    let palette: Vec<u8> = image
        .palette
        .iter()
        .flat_map(|c| [c[0], c[1], c[2]])
        .collect();
    let (w, h) = (width as u16, height as u16);
    let mut out = Vec::new();
    let mut encoder = gif::Encoder::new(&mut out, w, h, &palette)?;
    let frame = gif::Frame {
        width: w,
        height: h,
        buffer: std::borrow::Cow::Borrowed(&image.indices),
        transparent: image.transparent,
        ..gif::Frame::default()
    };
    encoder.write_frame(&frame)?;
    encoder.into_inner()?;
    Ok(out)
}

// --- TIFF -----------------------------------------------------------------

fn encode_tiff(canvas: &Canvas, spec: &EncodeSpec, gray: bool) -> Result<Vec<u8>, EncodeError> {
    let (width, height) = canvas.size();
    let alpha = spec.format.kind.has_alpha();
    let compression = match spec.format.compression {
        None | Some(Compression::None) => TiffCompression::Uncompressed,
        Some(Compression::Lzw) => TiffCompression::Lzw,
        Some(Compression::Zip) => TiffCompression::Deflate(DeflateLevel::Fast),
        Some(Compression::Jpeg) => {
            if alpha {
                return Err(EncodeError::Unsupported(
                    "fmt=tif-alpha does not take compression jpeg".to_owned(),
                ));
            }
            return tiff_jpeg(canvas, spec, gray);
        }
        Some(other) => {
            return Err(EncodeError::Unsupported(format!(
                "fmt=tif does not take compression {}",
                other.as_str()
            )));
        }
    };
    let mut out = Cursor::new(Vec::new());
    // The horizontal predictor (differences along a row) makes LZW and
    // deflate effective on photographs. Not with alpha: the `tiff` crate
    // predicts over the colour samples only and would corrupt the extra one.
    let predictor = if compression == TiffCompression::Uncompressed || alpha {
        Predictor::None
    } else {
        Predictor::Horizontal
    };
    let mut encoder = TiffEncoder::new(&mut out)?
        .with_compression(compression)
        .with_predictor(predictor);
    match (alpha, gray) {
        (false, false) => {
            encoder.write_image::<RGB8>(width, height, &flatten(canvas, spec.bgc))?;
        }
        (false, true) => {
            let data = rgb_to_gray(&flatten(canvas, spec.bgc));
            encoder.write_image::<Gray8>(width, height, &data)?;
        }
        (true, false) => {
            let mut image = encoder.new_image::<RGB8>(width, height)?;
            image.extra_samples(&[ExtraSamples::UnassociatedAlpha])?;
            image.write_data(canvas.data())?;
        }
        (true, true) => {
            let mut image = encoder.new_image::<Gray8>(width, height)?;
            image.extra_samples(&[ExtraSamples::UnassociatedAlpha])?;
            image.write_data(&rgba_to_gray_alpha(canvas.data()))?;
        }
    }
    Ok(out.into_inner())
}

/// Compression 7 ("new-style" JPEG, TIFF Technical Note 2): the whole image
/// as one strip holding a complete JPEG stream, YCbCr with the subsampling
/// `qlt=` asks for (or one gray component).
fn tiff_jpeg(canvas: &Canvas, spec: &EncodeSpec, gray: bool) -> Result<Vec<u8>, EncodeError> {
    check_size(spec.format.kind, canvas, u32::from(u16::MAX))?;
    let (width, height) = canvas.size();
    let (pixels, color) = jpeg_pixels(canvas, spec.bgc, gray);
    let subsample = !gray && spec.quality.no_chroma_subsampling != Some(true);
    let options = JpegOptions {
        color,
        subsample,
        scans: None,
    };
    let jpeg = jpeg_bytes(
        &pixels,
        width,
        height,
        spec.quality.quality.clamp(1, 100),
        options,
    )?;
    let strip_len = u32::try_from(jpeg.len())
        .map_err(|_| EncodeError::Unsupported("TIFF strip larger than 4 GiB".to_owned()))?;

    let mut out = Cursor::new(Vec::new());
    let mut encoder = TiffEncoder::new(&mut out)?;
    let mut dir = encoder.image_directory()?;
    let offset = dir.write_data(&jpeg[..])?;
    let offset = u32::try_from(offset)
        .map_err(|_| EncodeError::Unsupported("TIFF larger than 4 GiB".to_owned()))?;
    dir.write_tag(Tag::ImageWidth, width)?;
    dir.write_tag(Tag::ImageLength, height)?;
    dir.write_tag(Tag::Compression, CompressionMethod::ModernJPEG.to_u16())?;
    dir.write_tag(Tag::StripOffsets, offset)?;
    dir.write_tag(Tag::RowsPerStrip, height)?;
    dir.write_tag(Tag::StripByteCounts, strip_len)?;
    dir.write_tag(Tag::PlanarConfiguration, 1u16)?;
    dir.write_tag(Tag::XResolution, Rational { n: 1, d: 1 })?;
    dir.write_tag(Tag::YResolution, Rational { n: 1, d: 1 })?;
    dir.write_tag(Tag::ResolutionUnit, 1u16)?;
    if gray {
        dir.write_tag(Tag::BitsPerSample, 8u16)?;
        dir.write_tag(Tag::SamplesPerPixel, 1u16)?;
        dir.write_tag(
            Tag::PhotometricInterpretation,
            PhotometricInterpretation::BlackIsZero.to_u16(),
        )?;
    } else {
        let factor: u16 = if subsample { 2 } else { 1 };
        dir.write_tag(Tag::BitsPerSample, [8u16, 8, 8])?;
        dir.write_tag(Tag::SamplesPerPixel, 3u16)?;
        dir.write_tag(
            Tag::PhotometricInterpretation,
            PhotometricInterpretation::YCbCr.to_u16(),
        )?;
        dir.write_tag(Tag::ChromaSubsampling, [factor, factor])?;
        // ReferenceBlackWhite for full-range JFIF YCbCr.
        let r = |n: u32| Rational { n, d: 1 };
        dir.write_tag(
            Tag::Unknown(532),
            [r(0), r(255), r(128), r(255), r(128), r(255)],
        )?;
    }
    dir.finish()?;
    Ok(out.into_inner())
}

// --- WebP -----------------------------------------------------------------

fn encode_webp(canvas: &Canvas, spec: &EncodeSpec) -> Result<Vec<u8>, EncodeError> {
    // libwebp's limit, WEBP_MAX_DIMENSION.
    check_size(spec.format.kind, canvas, 16383)?;
    let (width, height) = canvas.size();
    let alpha = spec.format.kind.has_alpha();
    let lossless = spec.format.compression == Some(Compression::Lossless);
    let rgb;
    let encoder = if alpha {
        webp::Encoder::from_rgba(canvas.data(), width, height)
    } else {
        rgb = flatten(canvas, spec.bgc);
        webp::Encoder::from_rgb(&rgb, width, height)
    };
    let mut config = webp::WebPConfig::new()
        .map_err(|()| EncodeError::Webp("libwebp version mismatch".to_owned()))?;
    if lossless {
        config.lossless = 1;
        // Keep the colour of transparent pixels, so the round trip is exact.
        config.exact = 1;
        // Effort, not fidelity, for lossless: favour speed.
        config.quality = 25.0;
        config.method = 1;
    } else {
        config.lossless = 0;
        config.quality = f32::from(spec.quality.quality.clamp(1, 100));
        config.alpha_compression = 1;
        config.method = 4;
    }
    let memory = encoder
        .encode_advanced(&config)
        .map_err(|e| EncodeError::Webp(format!("{e:?}")))?;
    Ok(memory.to_vec())
}

// --- AVIF -----------------------------------------------------------------

#[cfg(feature = "avif")]
fn encode_avif(canvas: &Canvas, spec: &EncodeSpec) -> Result<Vec<u8>, EncodeError> {
    use image::codecs::avif::AvifEncoder;
    if spec.format.compression == Some(Compression::Lossless) {
        return Err(EncodeError::Unsupported(format!(
            "fmt={},rgb,lossless is not supported: AVIF output is lossy only",
            spec.format.kind.as_str()
        )));
    }
    let (width, height) = canvas.size();
    let mut out = Vec::new();
    let encoder = AvifEncoder::new_with_speed_quality(
        &mut out,
        AVIF_SPEED,
        spec.quality.quality.clamp(1, 100),
    );
    if spec.format.kind.has_alpha() {
        encoder.write_image(canvas.data(), width, height, ExtendedColorType::Rgba8)
    } else {
        let rgb = flatten(canvas, spec.bgc);
        encoder.write_image(&rgb, width, height, ExtendedColorType::Rgb8)
    }
    .map_err(EncodeError::Avif)?;
    Ok(out)
}

/// rav1e speed 1–10; 8 keeps a thumbnail well under a second on 2 cores.
#[cfg(feature = "avif")]
const AVIF_SPEED: u8 = 8;

#[cfg(not(feature = "avif"))]
fn encode_avif(_canvas: &Canvas, spec: &EncodeSpec) -> Result<Vec<u8>, EncodeError> {
    Err(EncodeError::Unsupported(format!(
        "fmt={} needs the avif build feature",
        spec.format.kind.as_str()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opaque_canvas_encodes_as_if_flattened() {
        // The encoder reads RGBA directly for opaque canvases; the bytes must
        // be those of the flattened RGB it was given before.
        let data: Vec<u8> = (0..37u32 * 23)
            .flat_map(|i| [(i * 7) as u8, (i * 13) as u8, (i * 29) as u8, 255])
            .collect();
        let canvas = Canvas::from_rgba(37, 23, data).expect("size matches");
        let (pixels, color) = jpeg_pixels(&canvas, [255, 255, 255], false);
        assert!(matches!(pixels, Cow::Borrowed(_)));
        for scans in [None, Some(3)] {
            let options = |color| JpegOptions {
                color,
                subsample: true,
                scans,
            };
            let direct = jpeg_bytes(&pixels, 37, 23, 80, options(color)).expect("encodes");
            let rgb = flatten(&canvas, [255, 255, 255]);
            let flattened = jpeg_bytes(&rgb, 37, 23, 80, options(JpegColor::Rgb)).expect("encodes");
            assert_eq!(direct, flattened);
        }
    }

    #[test]
    fn flatten_blends_onto_the_background() {
        let c =
            Canvas::from_rgba(3, 1, vec![255, 0, 0, 255, 255, 0, 0, 0, 0, 0, 255, 128]).unwrap();
        let rgb = flatten(&c, [0, 255, 0]);
        assert_eq!(&rgb[..3], &[255, 0, 0]);
        assert_eq!(&rgb[3..6], &[0, 255, 0]);
        assert_eq!(&rgb[6..], &[0, 127, 128]);
    }

    #[test]
    fn pack_indices_pads_each_row() {
        assert_eq!(pack_indices(&[1, 0, 1, 1, 0], 5, 1), vec![0b1011_0000]);
        assert_eq!(
            pack_indices(&[3, 2, 1, 0, 3, 3], 3, 2),
            vec![0b1110_0100, 0b0011_1100]
        );
        assert_eq!(pack_indices(&[15, 1, 2], 3, 4), vec![0xF1, 0x20]);
    }

    #[test]
    fn luma_of_white_and_black() {
        assert_eq!(luma(255, 255, 255), 255);
        assert_eq!(luma(0, 0, 0), 0);
    }

    #[test]
    fn empty_canvas_is_refused() {
        let err = encode(&Canvas::transparent(0, 3), &EncodeSpec::default()).unwrap_err();
        assert!(matches!(
            err,
            EncodeError::Empty {
                width: 0,
                height: 3
            }
        ));
        assert!(!err.is_client_error());
    }
}
