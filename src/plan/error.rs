//! Why a request cannot be planned. Each message is what the client reads in
//! the 403 body, so it names the numbers that broke the rule.

/// A request whose geometry breaks a limit or cannot be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The reply (the view, or the `rect=` tile) is larger than `MaxPix`.
    #[error("reply {width}x{height} exceeds MaxPix {max_width}x{max_height}")]
    TooLarge {
        width: u64,
        height: u64,
        max_width: u32,
        max_height: u32,
    },
    /// A canvas, layer or reply with more pixels than the safety bound
    /// (`CatalogAttributes::max_canvas_pixels`).
    #[error("{what} {width}x{height} exceeds the limit of {max_pixels} pixels")]
    Oversized {
        what: &'static str,
        width: f64,
        height: f64,
        max_pixels: u64,
    },
    /// The layer-0 source has no pixels.
    #[error("source image {width}x{height} has no pixels")]
    EmptySource { width: u32, height: u32 },
    /// `extend=` with negative values removed the whole layer.
    #[error("layer 0 is empty after extend: {width}x{height}")]
    EmptyLayer { width: i64, height: i64 },
    /// `res=` needs a positive `catalog::Resolution`.
    #[error("res= needs a catalog Resolution > 0, found {0}")]
    BadResolution(f64),
    /// A layer-0 command whose geometry the planner does not compute yet.
    #[error("{command}= on layer 0 is not supported yet")]
    Unsupported { command: &'static str },
}
