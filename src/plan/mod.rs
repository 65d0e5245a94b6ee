//! Geometry planning: pure functions from a merged [`Request`], the layer-0
//! source size, the catalog attributes and the limits to a [`Plan`] holding
//! every concrete pixel rectangle of the layer-0 transform (§4.3), the canvas
//! (§4.1), the view transform of `req=img` (§4.7) or `req=tmb` (§4.8) and the
//! `rect=` tile.
//!
//! This module owns the size arithmetic and the size checks (`MaxPix`,
//! `DefaultPix`, the canvas bound): they all happen here, before any pixel is
//! allocated. It must never touch pixels, decode or read anything, do I/O, or
//! panic: whatever the request says, the answer is a `Plan` or a
//! [`PlanError`] whose message a client can read.
//!
//! # Conventions
//!
//! * Sizes are whole pixels. A scaled size is `round(size × factor)`, never
//!   below 1; the renderer resizes to exactly that size, so the effective
//!   factor of an axis is `scaled / unscaled`.
//! * Centring and `align=` place an image at `floor((outer − inner) ×
//!   (1 + a) / 2)`: an odd pixel of padding goes to the right or bottom, an
//!   odd pixel of crop is taken from the left or top.
//! * Rotation is clockwise in degrees. The rotated rect is the bounding box of
//!   the rotated layer, rounded up; rotating about the anchor instead of the
//!   centre only translates the content, and the new rect is fitted around it
//!   either way, so the rect size and the content's place in it do not depend
//!   on the anchor.
//!
//! # Decisions on the spec's gaps
//!
//! * [GAP] `wid` and `hei` together without `fit=` scale up as well as down
//!   (the spec's suggestion, §4.7); `fit=mode` without its second argument
//!   means `upscale=0`.
//! * [GAP] `fit=hfit` and `fit=vfit` reply exactly `wid`×`hei`, cropping or
//!   padding the other dimension as `align` says.
//! * [GAP] `fit=` with only one of `wid`/`hei`: the scale comes from that
//!   dimension (at most 1 unless upscale), `constrain` and `wrap` reply the
//!   scaled image, the other modes reply `wid` (or `hei`) by the scaled other
//!   dimension, centred: `align` is ignored with a single dimension.
//! * [GAP] `rgn=` follows the `rgn` page: it chooses what is framed before
//!   scaling and fitting, and does not crop. Where the view is larger than the
//!   scaled region (letterbox, `scl` with a larger `wid`), composite pixels
//!   outside the region show; only areas outside the composite are padded.
//! * [GAP] `dpr=on,x` multiplies `wid` and `hei` before the view transform
//!   and divides `scl`; with none of them it has no effect. If the reply then
//!   exceeds `MaxPix`, the whole view is scaled down to fit (width and height
//!   alike, aspect kept), but never below what `dpr` 1 would give: `dpr` never
//!   turns a refused request into an accepted one or the reverse. There is no
//!   clamp with `rect=` (the tile is checked instead) or in nested requests.
//! * [GAP] `size=0,0` on layer 0 is "no size": full resolution. (`size=`
//!   cancels `scale=` and `res=` in the parser, whatever its values.)
//! * [GAP] An explicit layer-0 `size=w,h` fits the content inside `w`×`h`,
//!   up or down, centred (§4.1); flip, rotate and extend then act on that
//!   `w`×`h` layer rect.
//! * [GAP] `req=tmb`: `scl`, `rgn` and `align` are ignored (the thumbnail
//!   attributes align); `scale=` on layer 0 acts like `res=`; `rect=` cuts a
//!   tile of the thumbnail as it does of an image; a `0` component of
//!   `DefaultThumbPix` (or of the view rect of a nested request) is
//!   unconstrained and taken from the scaled content; `dpr` multiplies an
//!   explicit `wid`/`hei` but not `DefaultThumbPix`, and is never clamped.
//! * [GAP] `rect=x,y,w,h,s` scales the view by `s` first and cuts the tile at
//!   `x,y` of the scaled view (the `rect` page's "after scale is applied").

mod error;
mod input;
mod layer;
mod print;
#[cfg(test)]
mod tests;
mod view;

pub use error::PlanError;
pub use input::{CatalogAttributes, PlanInput, ThumbAlign, ThumbType};
pub use layer::LayerSource;

use crate::protocol::Request;
use crate::protocol::ast::{Command, CommandName, FitMode, Flip, ReqType, Target};

/// An integer rectangle of some pixel space; it may lie partly or wholly
/// outside the image it refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelRect {
    pub x: i64,
    pub y: i64,
    pub w: u32,
    pub h: u32,
}

impl PixelRect {
    pub fn new(x: i64, y: i64, w: u32, h: u32) -> PixelRect {
        PixelRect { x, y, w, h }
    }

    /// The rectangle at the origin with the given size.
    pub fn sized((w, h): (u32, u32)) -> PixelRect {
        PixelRect { x: 0, y: 0, w, h }
    }

    pub fn size(&self) -> (u32, u32) {
        (self.w, self.h)
    }

    pub fn right(&self) -> i64 {
        self.x + i64::from(self.w)
    }

    pub fn bottom(&self) -> i64 {
        self.y + i64::from(self.h)
    }

    /// The common part of two rectangles, if they overlap.
    pub fn intersect(&self, other: &PixelRect) -> Option<PixelRect> {
        let x = self.x.max(other.x);
        let y = self.y.max(other.y);
        let right = self.right().min(other.right());
        let bottom = self.bottom().min(other.bottom());
        if right <= x || bottom <= y {
            return None;
        }
        // Both extents are at most the smaller rectangle's, so they fit in u32.
        Some(PixelRect {
            x,
            y,
            w: u32::try_from(right - x).unwrap_or(u32::MAX),
            h: u32::try_from(bottom - y).unwrap_or(u32::MAX),
        })
    }
}

/// Edge offsets in pixels (`extend`): positive adds, negative crops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sides {
    pub left: i64,
    pub top: i64,
    pub right: i64,
    pub bottom: i64,
}

/// What decided the layer-0 scale (§4.3 step 2, §4.8).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScaleBy {
    /// No scaling command: full resolution.
    None,
    /// `size=`: fitted inside `w`×`h`, or one dimension given.
    Size,
    /// `scale=`.
    Scale,
    /// `res=` over `catalog::Resolution`.
    Res,
    /// The thumbnail rule (§4.8).
    Thumb(ThumbType),
}

/// Step 2 of the layer-0 transform: the cropped source scaled, inside the
/// layer rect it defines.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleStep {
    pub by: ScaleBy,
    /// The factor asked for; the content is resized to exactly `content`.
    pub factor: f64,
    /// The scaled crop.
    pub content: (u32, u32),
    /// The layer rect after this step: `content`, or the explicit `size=`
    /// box, or the thumbnail rect.
    pub frame: (u32, u32),
    /// Where the content's top-left lies in `frame` (negative: cropped).
    pub offset: (i64, i64),
}

/// Step 4: rotation, with the rect before and after.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RotateStep {
    /// Clockwise degrees, as given.
    pub degrees: f64,
    pub from: (u32, u32),
    pub to: (u32, u32),
}

/// The layer-0 transform in the documented order (§4.3): crop, scale, flip,
/// rotate, extend. Its final rect is the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer0Plan {
    /// Step 1: the crop in full-resolution source pixels; it may extend past
    /// the source, the extension being transparent.
    pub crop: PixelRect,
    /// The part of `crop` inside the source; `None` when the crop misses it.
    pub valid: Option<PixelRect>,
    /// Step 2.
    pub scale: ScaleStep,
    /// Step 3: `flip` given on layer 0 itself (`layer=0&flip=`).
    pub flip: Option<Flip>,
    /// Step 4.
    pub rotate: Option<RotateStep>,
    /// Step 5, in pixels (`extendN` resolved).
    pub extend: Option<Sides>,
    /// The layer rect: the canvas size.
    pub size: (u32, u32),
    /// The anchor (`anchor`, `anchorN` or `catalog::Anchor`) pushed through
    /// the steps, in layer pixels; `None` when no anchor is known.
    pub anchor: Option<(f64, f64)>,
    /// The layer origin (§4.4): `origin`/`originN`, else the anchor, else the
    /// rect centre.
    pub origin: (f64, f64),
}

/// How the view's scale was chosen (§4.7, §4.8).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ViewRule {
    /// Used 1:1: within `DefaultPix`, or a nested request.
    Unscaled,
    /// Scaled down to fit `DefaultPix`.
    DefaultPix,
    /// `scl=`, as given (before `dpr`).
    Scl(f64),
    /// `wid` alone.
    Wid,
    /// `hei` alone.
    Hei,
    /// `wid` and `hei` without `fit=`.
    WidHei,
    /// `fit=`, with the upscale flag resolved.
    Fit { mode: FitMode, upscale: bool },
    /// `req=tmb` by the thumbnail type.
    Thumbnail(ThumbType),
}

/// The device pixel ratio applied to the view.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DprStep {
    pub factor: f64,
    /// The factor the view was scaled down by to fit `MaxPix`, if it was.
    pub clamp: Option<f64>,
}

/// The view transform: the composite, scaled, framed in the view.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewPlan {
    pub rule: ViewRule,
    /// `rgn=`, or the whole composite, in composite pixels.
    pub region: PixelRect,
    /// Where the scaled region lies in the view; it may extend past the view
    /// (cropped) or leave parts of it uncovered (padded).
    pub image: PixelRect,
    /// The scale decided, composite to view, per axis (they differ only for
    /// `fit=stretch`); the region is resized to exactly `image.w`×`image.h`.
    pub factor: (f64, f64),
    /// The view size.
    pub size: (u32, u32),
    pub dpr: Option<DprStep>,
    /// The fill of uncovered areas: `bgc` (opaque) else `BkgColor`, or
    /// `ThumbBkgColor` for thumbnails. `-alpha` formats ignore it.
    pub fill: [u8; 4],
}

impl ViewPlan {
    /// The effective composite-to-view scale per axis: `factor` up to the
    /// rounding of the image size.
    pub fn scale(&self) -> (f64, f64) {
        (
            f64::from(self.image.w) / f64::from(self.region.w),
            f64::from(self.image.h) / f64::from(self.region.h),
        )
    }

    /// Composite pixels to view pixels.
    pub fn transform(&self) -> Affine {
        let (sx, sy) = self.scale();
        Affine {
            sx,
            sy,
            dx: self.image.x as f64 - self.region.x as f64 * sx,
            dy: self.image.y as f64 - self.region.y as f64 * sy,
        }
    }
}

/// `rect=`: a tile cut from the view scaled by `scale`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TilePlan {
    /// In pixels of the scaled view; outside it the tile is padded.
    pub rect: PixelRect,
    pub scale: f64,
}

/// A scale and an offset per axis: `(x, y) ↦ (x·sx + dx, y·sy + dy)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affine {
    pub sx: f64,
    pub sy: f64,
    pub dx: f64,
    pub dy: f64,
}

impl Affine {
    pub fn apply(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (x * self.sx + self.dx, y * self.sy + self.dy)
    }
}

/// Every geometric decision of one request, before any pixel exists.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The layer-0 source size the plan was made for.
    pub source: (u32, u32),
    /// `req=tmb` (§4.8) rather than the image view (§4.7).
    pub thumbnail: bool,
    pub layer0: Layer0Plan,
    /// `flip` under `layer=comp`: flips the whole composite after the layers
    /// are drawn; the canvas size does not change.
    pub composite_flip: Option<Flip>,
    pub view: ViewPlan,
    pub tile: Option<TilePlan>,
}

impl Plan {
    /// The composite canvas: layer 0's rect.
    pub fn canvas(&self) -> (u32, u32) {
        self.layer0.size
    }

    /// The size of the reply image: the tile if `rect=` is given, else the view.
    pub fn reply_size(&self) -> (u32, u32) {
        self.tile.map_or(self.view.size, |t| t.rect.size())
    }

    /// Composite pixels to reply pixels, through the view and the tile.
    pub fn reply_transform(&self) -> Affine {
        let view = self.view.transform();
        match self.tile {
            None => view,
            Some(tile) => Affine {
                sx: view.sx * tile.scale,
                sy: view.sy * tile.scale,
                dx: view.dx * tile.scale - tile.rect.x as f64,
                dy: view.dy * tile.scale - tile.rect.y as f64,
            },
        }
    }
}

/// A layer other than 0: its transform and where its rect lands on the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerPlan {
    pub index: u32,
    /// Crop, scale, flip, rotate, extend and origin, in the layer's own pixels.
    pub geometry: Layer0Plan,
    /// The canvas position of the layer rect's top-left (§4.4 step 4):
    /// layer 0's origin plus `pos` (or `posN` × layer 0's size) minus this
    /// layer's origin, rounded to whole pixels.
    pub position: (i64, i64),
}

/// Plans layer `source.index` (≥ 1) of a request whose layer 0 is `layer0`.
pub fn plan_layer(
    request: &Request,
    input: &PlanInput,
    source: LayerSource,
    layer0: &Layer0Plan,
) -> Result<LayerPlan, PlanError> {
    let canvas = layer0.size;
    let source = LayerSource {
        canvas: Some(canvas),
        ..source
    };
    let geometry = layer::plan_geometry(request, input, source, None)?;
    let target = Target::Layer(source.index);
    let pos = match request.get(target, CommandName::Pos) {
        Some(Command::Pos(p)) => (f64::from(p.x), f64::from(p.y)),
        Some(Command::PosN(p)) => (p.x * f64::from(canvas.0), p.y * f64::from(canvas.1)),
        _ => (0.0, 0.0),
    };
    let x = layer0.origin.0 + pos.0 - geometry.origin.0;
    let y = layer0.origin.1 + pos.1 - geometry.origin.1;
    let clamp = |v: f64| v.round().clamp(-layer::MAX_DIM, layer::MAX_DIM) as i64;
    Ok(LayerPlan {
        index: source.index,
        geometry,
        position: (clamp(x), clamp(y)),
    })
}

/// Plans `request` for a layer-0 source of `input.source` pixels.
///
/// Checks every size against the limits first: a reply larger than `MaxPix`
/// is [`PlanError::TooLarge`] (the tile's size when `rect=` is given).
pub fn plan(request: &Request, input: &PlanInput) -> Result<Plan, PlanError> {
    let (width, height) = input.source;
    if width == 0 || height == 0 {
        return Err(PlanError::EmptySource { width, height });
    }
    let thumbnail = request.req().is_some_and(|r| r.kind == ReqType::Tmb);
    let dpr = view::dpr_factor(request, input);
    let thumb_rect = thumbnail.then(|| view::thumbnail_rect(request, input, dpr));

    let layer0 = layer::plan_layer0(request, input, thumb_rect)?;
    let composite_flip = match request.get(Target::Composite, CommandName::Flip) {
        Some(Command::Flip(flip)) => Some(*flip),
        _ => None,
    };
    let tile = match request.global(CommandName::Rect) {
        Some(Command::Rect(tile)) => Some(TilePlan {
            rect: PixelRect::new(
                i64::from(tile.rect.x),
                i64::from(tile.rect.y),
                tile.rect.w,
                tile.rect.h,
            ),
            scale: tile.scale.unwrap_or(1.0),
        }),
        _ => None,
    };
    let mut view = match thumb_rect {
        Some(rect) => view::thumbnail_view(request, layer0.size, rect, input)?,
        None => view::image_view(request, layer0.size, input, dpr)?,
    };
    if let (Some(factor), None, false) = (dpr, tile, input.nested) {
        match view::dpr_clamp(&view, &input.attributes, factor) {
            None => {}
            // Clamping down to `dpr` 1 or below: the view `dpr` 1 gives.
            Some(f) if f * factor <= 1.0 => {
                view = view::image_view(request, layer0.size, input, None)?;
                view.dpr = Some(DprStep {
                    factor,
                    clamp: Some(1.0 / factor),
                });
            }
            Some(f) => view::scale_view(&mut view, f, factor),
        }
    }
    let plan = Plan {
        source: input.source,
        thumbnail,
        layer0,
        composite_flip,
        view,
        tile,
    };
    view::check_reply(plan.reply_size(), input)?;
    Ok(plan)
}
