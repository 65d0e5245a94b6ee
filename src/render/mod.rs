//! CPU work on pixels: decode, resize, composite and encode.
//!
//! This module owns everything that touches pixel buffers. It is synchronous
//! and must never do async work, I/O beyond the bytes it is handed (and the
//! pyramid levels read through the [`pyramid::LevelSource`] it is handed),
//! database or network access; callers run it off the async runtime. Sizes are checked
//! against [`Limits`](crate::config::Limits) before any pixel is allocated.
//!
//! [`pipeline`] runs a [`Plan`](crate::plan::Plan): [`decode`] the original,
//! [`geometry`] and [`ops`] on [`Canvas`]es, [`encode`] the reply.

pub mod canvas;
pub mod composite;
pub mod decode;
pub mod encode;
pub mod geometry;
pub mod ops;
pub mod pipeline;
pub mod pyramid;
pub mod quantize;
pub mod text;

pub use canvas::Canvas;

/// Checks that bytes are a whole, decodable image within the source-pixel
/// limit, and returns its size. Reads the header first, so an oversized
/// image is refused before any pixel is allocated.
pub fn validate_source(
    bytes: &[u8],
    limits: &crate::config::Limits,
) -> Result<(u32, u32), RenderError> {
    let probe = decode::probe(bytes)?;
    let (width, height) = (probe.width, probe.height);
    if width == 0 || height == 0 {
        return Err(RenderError::InvalidSize { width, height });
    }
    decode::check_source_pixels(width, height, limits)?;
    if bytes.starts_with(&[0xFF, 0xD8]) && !jpeg_has_end(bytes) {
        return Err(RenderError::Unsupported(
            "truncated JPEG: no end-of-image marker after the image data".to_owned(),
        ));
    }
    decode::decode(bytes, limits)?;
    Ok((width, height))
}

/// Whether a JPEG has its end-of-image marker after the first scan.
///
/// JPEG decoders fill a truncated scan with gray instead of failing, so the
/// marker is the only reliable sign of a whole file. Markers before the first
/// scan (an EXIF thumbnail's own end marker) do not count; inside scan data a
/// 0xFF byte is always stuffed, so `FF D9` there is the real end.
fn jpeg_has_end(bytes: &[u8]) -> bool {
    let Some(sos) = bytes.windows(2).position(|w| w == [0xFF, 0xDA]) else {
        return false;
    };
    // Skip the segments before the scan by their lengths, so an embedded
    // thumbnail's markers are never mistaken for the scan.
    let mut i = 2;
    while i + 4 <= bytes.len() && bytes[i] == 0xFF && bytes[i + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        i += 2 + len;
    }
    let scan = if i + 1 < bytes.len() && bytes[i] == 0xFF && bytes[i + 1] == 0xDA {
        i
    } else {
        sos
    };
    bytes[scan..].windows(2).any(|w| w == [0xFF, 0xD9])
}

/// An encoded reply image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The encoded file.
    pub bytes: Vec<u8>,
    /// Its MIME type, for example `image/jpeg`.
    pub content_type: &'static str,
    /// Width of the reply in pixels.
    pub width: u32,
    /// Height of the reply in pixels.
    pub height: u32,
}

/// Why a render failed. Every variant is the client's or the source's fault
/// except [`RenderError::Encode`] and [`RenderError::Resize`].
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The source bytes are not a readable image.
    #[error("Unable to decode image: {0}")]
    Decode(#[source] image::ImageError),
    /// The source is in a format this build cannot read.
    #[error("Unsupported image format: {0}")]
    Unsupported(String),
    /// The requested reply is larger than `MaxPix` allows.
    #[error("Requested image size {width}x{height} exceeds the limit of {max_width}x{max_height}")]
    TooLarge {
        /// Requested reply width.
        width: u64,
        /// Requested reply height.
        height: u64,
        /// `MaxPix` width (0 means no limit).
        max_width: u32,
        /// `MaxPix` height (0 means no limit).
        max_height: u32,
    },
    /// The source image has more pixels than we agree to decode.
    #[error("Source image {width}x{height} exceeds the limit of {max_pixels} pixels")]
    SourceTooLarge {
        /// Source width.
        width: u32,
        /// Source height.
        height: u32,
        /// The configured limit on source pixels.
        max_pixels: u64,
    },
    /// A requested size is zero.
    #[error("Invalid image size {width}x{height}")]
    InvalidSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// Resizing failed; this is a bug in our buffer handling.
    #[error("Unable to resize image: {0}")]
    Resize(String),
    /// Encoding the reply failed.
    #[error("Unable to encode image: {0}")]
    Encode(#[source] image::ImageError),
    /// The request asks for something this renderer does not do yet; the
    /// message names the command.
    #[error("{0}")]
    UnsupportedCommand(String),
    /// The geometry of the request breaks a limit or cannot be computed.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// The encoder refused or failed.
    #[error(transparent)]
    Encoder(#[from] encode::EncodeError),
}
