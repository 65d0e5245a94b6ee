//! The view transform: `req=img` (§4.7) and `req=tmb` (§4.8), `dpr`, and the
//! reply checks.

use super::input::PlanInput;
use super::layer::{checked, fill_zeros, place, scaled, thumb_factor};
use super::{CatalogAttributes, DprStep, PixelRect, PlanError, ViewPlan, ViewRule};
use crate::protocol::Request;
use crate::protocol::ast::{Command, CommandName, Dpr, FitMode};

/// The device pixel ratio in force, if it changes anything.
pub(super) fn dpr_factor(request: &Request, input: &PlanInput) -> Option<f64> {
    let factor = match request.global(CommandName::Dpr) {
        Some(Command::Dpr(Dpr::On(Some(v)))) => Some(*v),
        Some(Command::Dpr(Dpr::On(None))) => input.client_dpr,
        _ => None,
    };
    factor.filter(|v| v.is_finite() && *v > 0.0 && *v != 1.0)
}

/// A requested `wid`/`hei` multiplied by the DPR.
fn times(v: u32, dpr: Option<f64>) -> f64 {
    match dpr {
        Some(d) => (f64::from(v) * d).round().max(1.0),
        None => f64::from(v),
    }
}

/// The view fill: `bgc` (its alpha ignored), else the attribute.
fn fill(request: &Request, default: [u8; 4]) -> [u8; 4] {
    match request.bgc() {
        Some(color) => {
            let [r, g, b, _] = color.to_rgba8();
            [r, g, b, 255]
        }
        None => default,
    }
}

/// The `req=tmb` view rect (§4.8): `wid`/`hei` (times the DPR), else
/// `DefaultThumbPix`; a `0` component is unconstrained.
pub(super) fn thumbnail_rect(request: &Request, input: &PlanInput, dpr: Option<f64>) -> (u32, u32) {
    let default = if input.nested {
        (0, 0)
    } else {
        input.attributes.default_thumb_pix
    };
    // `times` stays within 2^30 for any sane DPR; saturate otherwise.
    let pick = |given: Option<u32>, default: u32| {
        given.map_or(default, |v| times(v, dpr).min(f64::from(u32::MAX)) as u32)
    };
    (
        pick(request.wid(), default.0),
        pick(request.hei(), default.1),
    )
}

/// The thumbnail view: the composite scaled by the thumbnail rule (texture:
/// not at all) into `rect`, aligned by the thumbnail attributes.
pub(super) fn thumbnail_view(
    request: &Request,
    canvas: (u32, u32),
    rect: (u32, u32),
    input: &PlanInput,
) -> Result<ViewPlan, PlanError> {
    let attrs = &input.attributes;
    let k = thumb_factor(canvas, rect, attrs.thumb_type, 1.0);
    let c = (f64::from(canvas.0), f64::from(canvas.1));
    let image = scaled(c, (k, k), "view", u64::MAX)?;
    let size = fill_zeros(rect, image);
    let size = checked((f64::from(size.0), f64::from(size.1)), "view", u64::MAX)?;
    Ok(ViewPlan {
        rule: ViewRule::Thumbnail(attrs.thumb_type),
        region: PixelRect::sized(canvas),
        image: PixelRect::new(
            place(size.0, image.0, attrs.thumb_align.0.as_align()),
            place(size.1, image.1, attrs.thumb_align.1.as_align()),
            image.0,
            image.1,
        ),
        factor: (k, k),
        size,
        dpr: None,
        fill: fill(request, attrs.thumb_bkg_color),
    })
}

/// How the scale and the view size follow from the requested ones.
enum Frame {
    /// The view is the scaled image.
    Image,
    /// The view has this size (zero components from the image), and the image
    /// is placed by `align=` when `aligned`, else centred.
    Sized { size: (f64, f64), aligned: bool },
}

/// The `req=img` view transform (§4.7).
pub(super) fn image_view(
    request: &Request,
    canvas: (u32, u32),
    input: &PlanInput,
    dpr: Option<f64>,
) -> Result<ViewPlan, PlanError> {
    let attrs = &input.attributes;
    let region = match request.global(CommandName::Rgn) {
        Some(Command::Rgn(r)) => PixelRect::new(i64::from(r.x), i64::from(r.y), r.w, r.h),
        _ => PixelRect::sized(canvas),
    };
    let r = (f64::from(region.w), f64::from(region.h));
    let wid = request.wid().map(|v| times(v, dpr));
    let hei = request.hei().map(|v| times(v, dpr));
    let scl = match request.global(CommandName::Scl) {
        Some(Command::Scl(s)) => Some(*s),
        _ => None,
    };
    let fit = match request.global(CommandName::Fit) {
        Some(Command::Fit(f)) => Some(*f),
        _ => None,
    };
    let both = wid.is_some() && hei.is_some();
    let exact = |aligned| Frame::Sized {
        size: (wid.unwrap_or(0.0), hei.unwrap_or(0.0)),
        aligned,
    };

    let (rule, k, frame) = if let Some(s) = scl {
        // The image is the region over `scl` (times the DPR); `wid`/`hei`
        // crop or pad it.
        let k = dpr.unwrap_or(1.0) / s;
        let frame = if wid.is_some() || hei.is_some() {
            exact(both)
        } else {
            Frame::Image
        };
        (ViewRule::Scl(s), (k, k), frame)
    } else if wid.is_some() || hei.is_some() {
        let kx = wid.map(|w| w / r.0);
        let ky = hei.map(|h| h / r.1);
        match fit {
            None => match (kx, ky) {
                (Some(x), Some(y)) => (ViewRule::WidHei, (x.min(y), x.min(y)), exact(true)),
                (Some(x), None) => (ViewRule::Wid, (x, x), Frame::Image),
                (_, y) => {
                    let y = y.unwrap_or(1.0);
                    (ViewRule::Hei, (y, y), Frame::Image)
                }
            },
            Some(fit) => {
                let upscale = fit.upscale.unwrap_or(false);
                let clamp = |k: f64| if upscale { k } else { k.min(1.0) };
                let (kx, ky) = (kx.map(clamp), ky.map(clamp));
                let rule = ViewRule::Fit {
                    mode: fit.mode,
                    upscale,
                };
                match (kx, ky) {
                    (Some(x), Some(y)) => {
                        let (k, frame) = match fit.mode {
                            FitMode::Fit => ((x.min(y), x.min(y)), exact(true)),
                            FitMode::Constrain => ((x.min(y), x.min(y)), Frame::Image),
                            FitMode::Crop => ((x.max(y), x.max(y)), exact(true)),
                            FitMode::Wrap => ((x.max(y), x.max(y)), Frame::Image),
                            FitMode::Stretch => ((x, y), exact(false)),
                            FitMode::Hfit => ((x, x), exact(true)),
                            FitMode::Vfit => ((y, y), exact(true)),
                        };
                        (rule, k, frame)
                    }
                    (x, y) => {
                        // One dimension: its factor, the other follows.
                        let k = x.or(y).unwrap_or(1.0);
                        let frame = match fit.mode {
                            FitMode::Constrain | FitMode::Wrap => Frame::Image,
                            _ => exact(false),
                        };
                        (rule, (k, k), frame)
                    }
                }
            }
        }
    } else {
        let (dw, dh) = if input.nested {
            (0, 0)
        } else {
            attrs.default_pix
        };
        let fx = if dw > 0 { f64::from(dw) / r.0 } else { 1.0 };
        let fy = if dh > 0 { f64::from(dh) / r.1 } else { 1.0 };
        let k = fx.min(fy);
        if k < 1.0 {
            (ViewRule::DefaultPix, (k, k), Frame::Image)
        } else {
            (ViewRule::Unscaled, (1.0, 1.0), Frame::Image)
        }
    };

    let image = scaled(r, k, "view", u64::MAX)?;
    let (size, align) = match frame {
        Frame::Image => (image, (0.0, 0.0)),
        Frame::Sized { size, aligned } => {
            let size = (
                if size.0 > 0.0 {
                    size.0
                } else {
                    f64::from(image.0)
                },
                if size.1 > 0.0 {
                    size.1
                } else {
                    f64::from(image.1)
                },
            );
            let align = match request.global(CommandName::Align) {
                Some(Command::Align(a)) if aligned => (a.x, a.y),
                _ => (0.0, 0.0),
            };
            (checked(size, "view", u64::MAX)?, align)
        }
    };
    Ok(ViewPlan {
        rule,
        region,
        image: PixelRect::new(
            place(size.0, image.0, align.0),
            place(size.1, image.1, align.1),
            image.0,
            image.1,
        ),
        factor: k,
        size,
        dpr: dpr.map(|factor| DprStep {
            factor,
            clamp: None,
        }),
        fill: fill(request, attrs.bkg_color),
    })
}

/// With a DPR, the factor that scales a view wider or taller than `MaxPix`
/// down to fit, keeping the aspect; `None` when it fits.
pub(super) fn dpr_clamp(view: &ViewPlan, attrs: &CatalogAttributes, dpr: f64) -> Option<f64> {
    let (mw, mh) = attrs.max_pix;
    let (vw, vh) = (f64::from(view.size.0), f64::from(view.size.1));
    let fx = if mw > 0 { f64::from(mw) / vw } else { 1.0 };
    let fy = if mh > 0 { f64::from(mh) / vh } else { 1.0 };
    let f = fx.min(fy);
    (f < 1.0 && dpr > 1.0).then_some(f)
}

/// Scales a whole view by `f` < 1 (the `dpr` clamp).
pub(super) fn scale_view(view: &mut ViewPlan, f: f64, dpr: f64) {
    let px = |v: i64| (v as f64 * f).round() as i64;
    let dim = |v: u32| (f64::from(v) * f).round().max(1.0) as u32;
    view.size = (dim(view.size.0), dim(view.size.1));
    view.image = PixelRect::new(
        px(view.image.x),
        px(view.image.y),
        dim(view.image.w),
        dim(view.image.h),
    );
    view.factor = (view.factor.0 * f, view.factor.1 * f);
    view.dpr = Some(DprStep {
        factor: dpr,
        clamp: Some(f),
    });
}

/// The reply checks: `MaxPix` (not for nested requests), then the pixel bound.
pub(super) fn check_reply((w, h): (u32, u32), input: &PlanInput) -> Result<(), PlanError> {
    let attrs = &input.attributes;
    let (mw, mh) = attrs.max_pix;
    if !input.nested && ((mw > 0 && w > mw) || (mh > 0 && h > mh)) {
        return Err(PlanError::TooLarge {
            width: u64::from(w),
            height: u64::from(h),
            max_width: mw,
            max_height: mh,
        });
    }
    checked(
        (f64::from(w), f64::from(h)),
        "reply",
        attrs.max_canvas_pixels,
    )?;
    Ok(())
}
