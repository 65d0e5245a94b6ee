//! The layer-0 transform (§4.3) and the canvas it makes (§4.1).

use super::input::{PlanInput, ThumbType};
use super::{Layer0Plan, PixelRect, PlanError, RotateStep, ScaleBy, ScaleStep, Sides};
use crate::protocol::Request;
use crate::protocol::ast::{Command, CommandName, Flip, Target};

/// Largest width or height the plan represents; beyond it a size is
/// [`PlanError::Oversized`] whatever the pixel bound says.
pub(super) const MAX_DIM: f64 = (1u64 << 30) as f64;

/// `round(size × k)` per axis, at least 1, checked against the dimension and
/// pixel bounds.
pub(super) fn scaled(
    size: (f64, f64),
    k: (f64, f64),
    what: &'static str,
    max_pixels: u64,
) -> Result<(u32, u32), PlanError> {
    let w = (size.0 * k.0).round().max(1.0);
    let h = (size.1 * k.1).round().max(1.0);
    checked((w, h), what, max_pixels)
}

/// Checks a size against the dimension and pixel bounds.
pub(super) fn checked(
    (w, h): (f64, f64),
    what: &'static str,
    max_pixels: u64,
) -> Result<(u32, u32), PlanError> {
    let fits = |v: f64| v.is_finite() && (1.0..=MAX_DIM).contains(&v);
    if !fits(w) || !fits(h) || w * h > max_pixels as f64 {
        return Err(PlanError::Oversized {
            what,
            width: w,
            height: h,
            max_pixels,
        });
    }
    // Both are whole numbers in 1..=2^30 here.
    Ok((w as u32, h as u32))
}

/// Where an `inner` length starts inside `outer` for an alignment −1…1:
/// `floor((outer − inner) × (1 + a) / 2)`.
pub(super) fn place(outer: u32, inner: u32, align: f64) -> i64 {
    let slack = f64::from(outer) - f64::from(inner);
    // The epsilon keeps exact halves from falling to the wrong side.
    (slack * (1.0 + align) / 2.0 + 1e-9).floor() as i64
}

/// The thumbnail rule (§4.8): the factor that covers (`crop`) or fits inside
/// (`fit`) `target`; a `0` component of `target` is unconstrained. `texture`
/// gives `texture`.
pub(super) fn thumb_factor(
    content: (u32, u32),
    target: (u32, u32),
    kind: ThumbType,
    texture: f64,
) -> f64 {
    let kx = (target.0 > 0).then(|| f64::from(target.0) / f64::from(content.0));
    let ky = (target.1 > 0).then(|| f64::from(target.1) / f64::from(content.1));
    match (kind, kx, ky) {
        (ThumbType::Texture, _, _) => texture,
        (ThumbType::Crop, Some(x), Some(y)) => x.max(y),
        (ThumbType::Fit, Some(x), Some(y)) => x.min(y),
        (_, Some(k), None) | (_, None, Some(k)) => k,
        (_, None, None) => 1.0,
    }
}

/// `target` with its `0` components taken from `content`.
pub(super) fn fill_zeros(target: (u32, u32), content: (u32, u32)) -> (u32, u32) {
    (
        if target.0 > 0 { target.0 } else { content.0 },
        if target.1 > 0 { target.1 } else { content.1 },
    )
}

/// What a layer's geometry starts from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerSource {
    /// The layer number.
    pub index: u32,
    /// The content size: an image's full-resolution size (after EXIF
    /// orientation), a text layer's laid-out size or a solid layer's size.
    pub size: (u32, u32),
    /// Whether the content is an image, so `crop` and the scale step apply;
    /// text and solid layers come at their final size.
    pub sourced: bool,
    /// Layer 0's rect, for `sizeN`; `None` when planning layer 0 itself.
    pub canvas: Option<(u32, u32)>,
    /// `catalog::Anchor` of the layer's source record.
    pub anchor: Option<(i32, i32)>,
}

/// Plans layer 0. `thumb` is the thumbnail view rect for `req=tmb`.
pub(super) fn plan_layer0(
    request: &Request,
    input: &PlanInput,
    thumb: Option<(u32, u32)>,
) -> Result<Layer0Plan, PlanError> {
    match request.get(Target::Layer(0), CommandName::Src) {
        Some(Command::Text(_)) if input.layer0_sourced => {
            return Err(PlanError::Unsupported { command: "text" });
        }
        Some(Command::TextPs(_)) if input.layer0_sourced => {
            return Err(PlanError::Unsupported { command: "textPs" });
        }
        _ => {}
    }
    let source = LayerSource {
        index: 0,
        size: input.source,
        sourced: input.layer0_sourced,
        canvas: None,
        anchor: input.attributes.anchor,
    };
    plan_geometry(request, input, source, thumb)
}

/// Plans one layer's transform (§4.3): crop, scale, flip, rotate, extend, and
/// the origin (§4.4 step 2). Layer 0's rect is the canvas; other layers are
/// placed on it by [`super::plan_layer`].
pub(super) fn plan_geometry(
    request: &Request,
    input: &PlanInput,
    source: LayerSource,
    thumb: Option<(u32, u32)>,
) -> Result<Layer0Plan, PlanError> {
    let l0 = Target::Layer(source.index);
    let get = |name| request.get(l0, name);
    match get(CommandName::Perspective) {
        Some(Command::Perspective(_)) => {
            return Err(PlanError::Unsupported {
                command: "perspective",
            });
        }
        Some(Command::PerspectiveN(_)) => {
            return Err(PlanError::Unsupported {
                command: "perspectiveN",
            });
        }
        _ => {}
    }
    let max_pixels = input.attributes.max_canvas_pixels;
    let (sw, sh) = (f64::from(source.size.0), f64::from(source.size.1));

    // 1. Crop, in full-resolution source pixels; layers without a source ignore it.
    let whole = PixelRect::sized(source.size);
    let crop = match get(CommandName::Crop).filter(|_| source.sourced) {
        Some(Command::Crop(r)) => PixelRect::new(i64::from(r.x), i64::from(r.y), r.w, r.h),
        Some(Command::CropN(r)) => {
            let (w, h) = checked(
                ((r.w * sw).round().max(1.0), (r.h * sh).round().max(1.0)),
                "crop",
                u64::MAX,
            )?;
            let offset = |v: f64| v.round().clamp(-MAX_DIM, MAX_DIM) as i64;
            PixelRect::new(offset(r.x * sw), offset(r.y * sh), w, h)
        }
        _ => whole,
    };
    let valid = crop.intersect(&whole);

    // The anchor, in source pixels, then relative to the crop.
    let anchor = match get(CommandName::Anchor) {
        Some(Command::Anchor(p)) => Some((f64::from(p.x), f64::from(p.y))),
        Some(Command::AnchorN(p)) => Some((sw / 2.0 + p.x * sw, sh / 2.0 + p.y * sh)),
        _ => source.anchor.map(|(x, y)| (f64::from(x), f64::from(y))),
    };
    let mut anchor = anchor.map(|(x, y)| (x - crop.x as f64, y - crop.y as f64));

    // 2. Scale.
    let scale = scale_step(request, input, &source, crop.size(), thumb)?;
    let (kx, ky) = (
        f64::from(scale.content.0) / f64::from(crop.w),
        f64::from(scale.content.1) / f64::from(crop.h),
    );
    anchor = anchor.map(|(x, y)| {
        (
            x * kx + scale.offset.0 as f64,
            y * ky + scale.offset.1 as f64,
        )
    });
    let mut size = scale.frame;

    // 3. Flip (given on layer 0 itself; under comp it flips the composite).
    let flip = match get(CommandName::Flip) {
        Some(Command::Flip(f)) => Some(*f),
        _ => None,
    };
    if let Some(flip) = flip {
        let (w, h) = (f64::from(size.0), f64::from(size.1));
        anchor = anchor.map(|(x, y)| match flip {
            Flip::Lr => (w - x, y),
            Flip::Ud => (x, h - y),
            Flip::Lrud => (w - x, h - y),
        });
    }

    // 4. Rotate: the rect grows to the rotated bounding box.
    let rotate = match get(CommandName::Rotate) {
        Some(Command::Rotate(degrees)) if *degrees != 0.0 => {
            let (sin, cos) = sin_cos(*degrees);
            let (w, h) = (f64::from(size.0), f64::from(size.1));
            let bound = |v: f64| (v - 1e-6).ceil().max(1.0);
            let to = checked(
                (
                    bound(w * cos.abs() + h * sin.abs()),
                    bound(w * sin.abs() + h * cos.abs()),
                ),
                "rotated layer",
                max_pixels,
            )?;
            let (cx, cy) = (f64::from(to.0) / 2.0, f64::from(to.1) / 2.0);
            anchor = anchor.map(|(x, y)| {
                let (dx, dy) = (x - w / 2.0, y - h / 2.0);
                (dx * cos - dy * sin + cx, dx * sin + dy * cos + cy)
            });
            let step = RotateStep {
                degrees: *degrees,
                from: size,
                to,
            };
            size = to;
            Some(step)
        }
        _ => None,
    };

    // 5. Extend, relative to the rect after the transforms.
    let (w, h) = (f64::from(size.0), f64::from(size.1));
    let extend = match get(CommandName::Extend) {
        Some(Command::Extend(e)) => Some(Sides {
            left: i64::from(e.left),
            top: i64::from(e.top),
            right: i64::from(e.right),
            bottom: i64::from(e.bottom),
        }),
        Some(Command::ExtendN(e)) => {
            let px = |v: f64| v.round().clamp(-MAX_DIM, MAX_DIM) as i64;
            Some(Sides {
                left: px(e.left * w),
                top: px(e.top * h),
                right: px(e.right * w),
                bottom: px(e.bottom * h),
            })
        }
        _ => None,
    };
    if let Some(e) = extend {
        let width = i64::from(size.0) + e.left + e.right;
        let height = i64::from(size.1) + e.top + e.bottom;
        if width < 1 || height < 1 {
            return Err(PlanError::EmptyLayer { width, height });
        }
        size = checked((width as f64, height as f64), "canvas", max_pixels)?;
        anchor = anchor.map(|(x, y)| (x + e.left as f64, y + e.top as f64));
    }
    let size = checked((f64::from(size.0), f64::from(size.1)), "canvas", max_pixels)?;

    let (w, h) = (f64::from(size.0), f64::from(size.1));
    let origin = match get(CommandName::Origin) {
        Some(Command::Origin(p)) => (f64::from(p.x), f64::from(p.y)),
        Some(Command::OriginN(p)) => (w / 2.0 + p.x * w, h / 2.0 + p.y * h),
        _ => anchor.unwrap_or((w / 2.0, h / 2.0)),
    };
    Ok(Layer0Plan {
        crop,
        valid,
        scale,
        flip,
        rotate,
        extend,
        size,
        anchor,
        origin,
    })
}

/// Sine and cosine of a clockwise angle, exact at multiples of 90°.
fn sin_cos(degrees: f64) -> (f64, f64) {
    let a = degrees.rem_euclid(360.0);
    if a == 0.0 {
        (0.0, 1.0)
    } else if a == 90.0 {
        (1.0, 0.0)
    } else if a == 180.0 {
        (0.0, -1.0)
    } else if a == 270.0 {
        (-1.0, 0.0)
    } else {
        a.to_radians().sin_cos()
    }
}

/// Step 2: the scale of the cropped source, and the layer rect it defines.
fn scale_step(
    request: &Request,
    input: &PlanInput,
    source: &LayerSource,
    crop: (u32, u32),
    thumb: Option<(u32, u32)>,
) -> Result<ScaleStep, PlanError> {
    let l0 = Target::Layer(source.index);
    let attrs = &input.attributes;
    let max_pixels = attrs.max_canvas_pixels;
    let c = (f64::from(crop.0), f64::from(crop.1));
    let size = match (request.get(l0, CommandName::Size), source.canvas) {
        (Some(Command::Size(s)), _) if s.w > 0 || s.h > 0 => Some(*s),
        // `sizeN` is relative to layer 0's rect (§3.4).
        (Some(Command::SizeN(n)), Some(canvas)) => {
            let px = |v: f64, of: u32| (v * f64::from(of)).round().clamp(0.0, MAX_DIM) as u32;
            let s = crate::protocol::ast::Size {
                w: px(n.x, canvas.0),
                h: px(n.y, canvas.1),
            };
            (s.w > 0 || s.h > 0).then_some(s)
        }
        _ => None,
    };
    let scale = match request.get(l0, CommandName::Scale) {
        Some(Command::Scale(f)) => Some(*f),
        _ => None,
    };
    let res = match request.get(l0, CommandName::Res) {
        Some(Command::Res(r)) => Some(*r),
        _ => None,
    };
    let resolution = || {
        if attrs.resolution > 0.0 && attrs.resolution.is_finite() {
            Ok(attrs.resolution)
        } else {
            Err(PlanError::BadResolution(attrs.resolution))
        }
    };
    // Scales uniformly by `k` and frames the result in `frame` (its zero
    // components from the content), placed by `align`.
    let framed = |by: ScaleBy, k: f64, frame: (u32, u32), align: (f64, f64)| {
        let content = scaled(c, (k, k), "layer", max_pixels)?;
        let frame = fill_zeros(frame, content);
        Ok(ScaleStep {
            by,
            factor: k,
            content,
            frame,
            offset: (
                place(frame.0, content.0, align.0),
                place(frame.1, content.1, align.1),
            ),
        })
    };

    // Text and solid layers come at their final size.
    if !source.sourced {
        return framed(ScaleBy::None, 1.0, (0, 0), (0.0, 0.0));
    }

    if let Some(view) = thumb {
        // §4.8: the thumbnail rule into `size=`, else `res=` (or `scale=`),
        // else the thumbnail rule into the view rect.
        let align = (
            attrs.thumb_align.0.as_align(),
            attrs.thumb_align.1.as_align(),
        );
        let texture = || Ok::<f64, PlanError>(attrs.thumb_res / resolution()?);
        match (size, scale, res) {
            (Some(s), _, _) if s.w > 0 && s.h > 0 => {
                let k = thumb_factor(crop, (s.w, s.h), attrs.thumb_type, texture()?);
                return framed(ScaleBy::Thumb(attrs.thumb_type), k, (s.w, s.h), align);
            }
            (Some(_), _, _) => {}
            (None, Some(k), _) => return framed(ScaleBy::Scale, k, view, align),
            (None, None, Some(r)) => {
                return framed(ScaleBy::Res, r / resolution()?, view, align);
            }
            (None, None, None) => {
                let k = thumb_factor(crop, view, attrs.thumb_type, texture()?);
                return framed(ScaleBy::Thumb(attrs.thumb_type), k, view, align);
            }
        }
    }

    match (size, scale, res) {
        (Some(s), _, _) => {
            let k = match (s.w, s.h) {
                (w, 0) => f64::from(w) / c.0,
                (0, h) => f64::from(h) / c.1,
                (w, h) => (f64::from(w) / c.0).min(f64::from(h) / c.1),
            };
            // Other layers are the fitted content itself; layer 0's explicit
            // size is the canvas, with the content centred in it (§4.1).
            let frame = if source.index == 0 {
                (s.w, s.h)
            } else {
                (0, 0)
            };
            let mut step = framed(ScaleBy::Size, k, frame, (0.0, 0.0))?;
            // Rounding must not make the fitted content overflow its box.
            step.content = (
                step.content.0.min(step.frame.0),
                step.content.1.min(step.frame.1),
            );
            step.offset = (
                place(step.frame.0, step.content.0, 0.0),
                place(step.frame.1, step.content.1, 0.0),
            );
            Ok(step)
        }
        (None, Some(k), _) => framed(ScaleBy::Scale, k, (0, 0), (0.0, 0.0)),
        (None, None, Some(r)) => framed(ScaleBy::Res, r / resolution()?, (0, 0), (0.0, 0.0)),
        (None, None, None) => framed(ScaleBy::None, 1.0, (0, 0), (0.0, 0.0)),
    }
}
