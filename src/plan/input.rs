//! What the planner needs besides the request: the layer-0 source size and the
//! catalog attributes that shape the view, each with its documented default.

use crate::config::Limits;

/// Everything the planner reads besides the merged request.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanInput {
    /// Pixel size of the layer-0 source, after EXIF orientation.
    pub source: (u32, u32),
    /// Catalog attributes that shape the view.
    pub attributes: CatalogAttributes,
    /// A nested (`is(...)`) request: `MaxPix`, `DefaultPix` and
    /// `DefaultThumbPix` do not apply (§4.7 step 5, §4.8).
    pub nested: bool,
    /// Whether layer 0 is an image, so `crop` and its scale step apply; a
    /// text or solid-colour layer 0 comes at its final size. Default: `true`.
    pub layer0_sourced: bool,
    /// The device pixel ratio reported by the CDN, used by `dpr=on` without a
    /// value. `None` (the default) means no such header: `dpr=on` then has no
    /// effect.
    pub client_dpr: Option<f64>,
}

impl PlanInput {
    /// A top-level request for a source of `width`×`height` pixels with the
    /// default attributes.
    pub fn new(width: u32, height: u32) -> PlanInput {
        PlanInput {
            source: (width, height),
            attributes: CatalogAttributes::default(),
            nested: false,
            layer0_sourced: true,
            client_dpr: None,
        }
    }
}

/// `catalog::ThumbType` / `attribute::ThumbType` (§4.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThumbType {
    /// 1: the smallest scale that covers the rect, then crop.
    Crop,
    /// 2: the largest scale that fits inside, then pad.
    Fit,
    /// 3: scale by `ThumbRes / Resolution`, then crop or pad.
    Texture,
}

impl ThumbType {
    pub fn as_str(self) -> &'static str {
        match self {
            ThumbType::Crop => "crop",
            ThumbType::Fit => "fit",
            ThumbType::Texture => "texture",
        }
    }
}

/// `attribute::ThumbHorizAlign` (1 left, 2 centre, 3 right) and
/// `attribute::ThumbVertAlign` (1 top, 2 centre, 3 bottom).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThumbAlign {
    /// Left or top.
    Start,
    /// Centre.
    Center,
    /// Right or bottom.
    End,
}

impl ThumbAlign {
    /// The same position as an `align=` component, −1…1.
    pub fn as_align(self) -> f64 {
        match self {
            ThumbAlign::Start => -1.0,
            ThumbAlign::Center => 0.0,
            ThumbAlign::End => 1.0,
        }
    }
}

/// The catalog attributes the geometry depends on.
///
/// The values come from the catalog (or `default.ini`); the defaults below are
/// those of [`CatalogAttributes::from_limits`] with [`Limits::default`].
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogAttributes {
    /// `attribute::MaxPix`: largest reply, width × height; a `0` component is
    /// unlimited. Default: `Limits::max_pix` (3000 × 3000; Scene7's own default
    /// is 2000 × 2000).
    pub max_pix: (u32, u32),
    /// `attribute::DefaultPix`: a `req=img` with no `wid`, `hei` or `scl` is
    /// scaled down to fit inside it; a `0` component is unconstrained.
    /// Default: `Limits::default_pix` (2000 × 2000).
    pub default_pix: (u32, u32),
    /// `attribute::DefaultThumbPix`: the `req=tmb` view when `wid`/`hei` are
    /// missing; a `0` component is unconstrained. Default: 100 × 100.
    pub default_thumb_pix: (u32, u32),
    /// `catalog::Resolution`, the unit of `res=`. Default: 72.
    pub resolution: f64,
    /// `catalog::ThumbRes`, for `ThumbType` texture. Default: 72, so a
    /// texture thumbnail is 1:1 until the catalog says otherwise.
    pub thumb_res: f64,
    /// `catalog::ThumbType`, else `attribute::ThumbType`. Default: fit (the
    /// docs give no default; fit never loses image data).
    pub thumb_type: ThumbType,
    /// `attribute::ThumbHorizAlign` and `ThumbVertAlign`. Default: centre, centre.
    pub thumb_align: (ThumbAlign, ThumbAlign),
    /// `catalog::Anchor`, in full-resolution source pixels. Default: none
    /// (the layer origin is then the layer rect's centre).
    pub anchor: Option<(i32, i32)>,
    /// `attribute::BkgColor`, RGBA: the view fill when `bgc=` is absent.
    /// Default: opaque white.
    pub bkg_color: [u8; 4],
    /// `attribute::ThumbBkgColor`, RGBA: the thumbnail fill when `bgc=` is
    /// absent. Default: opaque white.
    pub thumb_bkg_color: [u8; 4],
    /// Largest canvas, layer content or reply the plan accepts, in pixels; a
    /// safety bound, not a Scene7 attribute, that holds for nested requests
    /// too. Default: `Limits::max_source_pixels` (100 000 000).
    pub max_canvas_pixels: u64,
}

impl CatalogAttributes {
    /// The defaults, with the limits taken from `limits`.
    pub fn from_limits(limits: &Limits) -> CatalogAttributes {
        CatalogAttributes {
            max_pix: limits.max_pix,
            default_pix: limits.default_pix,
            default_thumb_pix: (100, 100),
            resolution: 72.0,
            thumb_res: 72.0,
            thumb_type: ThumbType::Fit,
            thumb_align: (ThumbAlign::Center, ThumbAlign::Center),
            anchor: None,
            bkg_color: [255, 255, 255, 255],
            thumb_bkg_color: [255, 255, 255, 255],
            max_canvas_pixels: limits.max_source_pixels,
        }
    }
}

impl Default for CatalogAttributes {
    fn default() -> Self {
        CatalogAttributes::from_limits(&Limits::default())
    }
}
