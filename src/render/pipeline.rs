//! The render pipeline: plan every layer, decode → each layer's transforms,
//! mask, operations and clip → composite in ascending order with opacity,
//! blend mode and effects → composite operations → view and tile → final
//! sharpening → encode, each step exactly as `plan` decided it.
//!
//! The caller (`job`) resolves every layer's content first — catalog images
//! as undecoded bytes, nested requests and text as canvases — so this module
//! never looks anything up.
//!
//! Before any pixel is touched, `unsupported` names every command this
//! renderer cannot honour yet, so a request is either rendered faithfully or
//! refused with a 403 that says why — never silently degraded. This module is
//! synchronous CPU work: no I/O, no catalog, no async.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::composite::{self, EffectSpec};
use super::decode::{DecodedCache, Original};
use super::encode::{self, EncodeSpec, Encoded};
use super::geometry::{self, filter_for};
use super::{Canvas, RenderError, decode, ops};
use crate::config::Limits;
use crate::plan::{self, CatalogAttributes, Layer0Plan, LayerPlan, LayerSource, Plan, PlanInput};
use crate::protocol::ast::{BlendMode, MaskUse};
use crate::protocol::ast::{Cache, Color, Command, CommandName, Quality, ReqType, ResMode};
use crate::protocol::{Request, Target};

/// The name of the first command this renderer cannot honour, with the reason.
pub fn unsupported(request: &Request) -> Option<String> {
    for spanned in request.commands.values() {
        let command = &spanned.value;
        let name = command.name();
        let supported = match command {
            Command::Src(_)
            | Command::Mask(_)
            | Command::MaskUse(_)
            | Command::Text(_)
            | Command::TextPs(_)
            | Command::TextAttr(_)
            | Command::TextAngle(_)
            | Command::SizeN(_)
            | Command::Pos(_)
            | Command::PosN(_)
            | Command::BlendMode(_)
            | Command::ClipPath(_)
            | Command::ClipXPath(_)
            | Command::Template(_) => true,
            // Named embedded paths: our originals carry none, and unknown
            // names are ignored (§3.4, §3.5).
            Command::ClipPathE(_) | Command::ClipXPathE(_) | Command::CropPathE(_) => true,
            Command::Crop(_)
            | Command::CropN(_)
            | Command::Anchor(_)
            | Command::AnchorN(_)
            | Command::Size(_)
            | Command::Scale(_)
            | Command::Res(_)
            | Command::Rotate(_)
            | Command::Extend(_)
            | Command::ExtendN(_)
            | Command::Origin(_)
            | Command::OriginN(_)
            | Command::Color(_)
            | Command::BgColor(_)
            | Command::Hide(_)
            | Command::Flip(_)
            | Command::Opac(_)
            | Command::Map(_)
            | Command::MapA(_)
            | Command::OpBlur(_)
            | Command::OpBrightness(_)
            | Command::OpContrast(_)
            | Command::OpColorbalance(_)
            | Command::OpColorize(_)
            | Command::OpGrow(_)
            | Command::OpHue(_)
            | Command::OpInvert(_)
            | Command::OpNoise(_)
            | Command::OpSaturation(_)
            | Command::OpSharpen(_)
            | Command::OpUsm(_)
            | Command::OpUsmR(_)
            | Command::Wid(_)
            | Command::Hei(_)
            | Command::Scl(_)
            | Command::Fit(_)
            | Command::Align(_)
            | Command::Bgc(_)
            | Command::Rgn(_)
            | Command::Rect(_)
            | Command::Fmt(_)
            | Command::Qlt(_)
            | Command::Quantize(_)
            | Command::ResMode(_)
            | Command::Cache(_)
            | Command::DefaultImage(_)
            | Command::Id(_)
            | Command::ImageSet(_)
            | Command::JpegSize(_)
            | Command::Pscan(_)
            | Command::Dpr(_)
            | Command::EffectMask(_)
            | Command::Type(_)
            | Command::Handler(_)
            | Command::LabelKey(_)
            | Command::Message(_)
            | Command::Name(_)
            | Command::Timeout(_) => true,
            // Embedding nothing is what we do anyway.
            Command::IccEmbed(on) | Command::PathEmbed(on) | Command::XmpEmbed(on) => !on,
            Command::Bfc(on) | Command::Network(on) => !on,
            Command::Locale(l) => l.is_empty(),
            Command::Req(r) => matches!(
                r.kind,
                ReqType::Img | ReqType::Tmb | ReqType::Mask | ReqType::Props
            ),
            _ => false,
        };
        if !supported {
            let mut text = String::new();
            command.write_value(&mut text);
            return Some(format!(
                "{}={text} is not supported by this server yet",
                name.as_str()
            ));
        }
    }
    None
}

/// A layer's content, before its transforms.
pub enum Content {
    /// An original, still encoded: decoded only after the plan is checked.
    Bytes(Original),
    /// Pixels at full resolution: a nested request's result, or text.
    Pixels(Canvas),
    /// A solid colour layer of a size.
    Solid { size: (u32, u32), color: [u8; 4] },
}

/// One layer of a scene.
pub struct LayerInput {
    pub content: Content,
    /// Whether the content is an image (crop and scale apply).
    pub sourced: bool,
    /// `mask=`, still encoded or already rendered.
    pub mask: Option<Content>,
    /// The default origin of text layers (point text sits on its baseline).
    pub origin: Option<(f64, f64)>,
    /// `catalog::Anchor` of the layer's source record.
    pub anchor: Option<(i32, i32)>,
}

/// Everything a render needs: the merged request and its layers' content.
pub struct Scene<'a> {
    pub request: &'a Request,
    /// Every layer with content, by number; a layer without content is empty.
    pub layers: BTreeMap<u32, LayerInput>,
    pub attributes: CatalogAttributes,
    pub limits: &'a Limits,
    /// A seed for `op_noise` and `dissolve`, so output is deterministic.
    pub seed: u64,
    /// A nested request: no `MaxPix`/`DefaultPix`, no encoding.
    pub nested: bool,
    /// `req=mask`: reply the alpha channel as gray.
    pub mask_only: bool,
    /// Decoded originals shared between renders, if any.
    pub decoded: Option<&'a DecodedCache>,
}

fn content_size(content: &Content) -> Result<(u32, u32), RenderError> {
    match content {
        Content::Bytes(original) => {
            let probe = decode::probe(&original.bytes)?;
            Ok((probe.width, probe.height))
        }
        Content::Pixels(canvas) => Ok(canvas.size()),
        Content::Solid { size, .. } => Ok(*size),
    }
}

/// Every layer's plan, checked before any pixel is decoded.
struct ScenePlan {
    plan: Plan,
    layers: Vec<LayerPlan>,
}

fn plan_scene(scene: &Scene<'_>) -> Result<ScenePlan, RenderError> {
    let request = scene.request;
    let (size, sourced, anchor) = match scene.layers.get(&0) {
        Some(layer) => (content_size(&layer.content)?, layer.sourced, layer.anchor),
        None => {
            return Err(RenderError::UnsupportedCommand(
                "layer 0 has no content: give it src=, text= or color= with size=".to_owned(),
            ));
        }
    };
    let mut attributes = scene.attributes.clone();
    if anchor.is_some() {
        attributes.anchor = anchor;
    }
    let input = PlanInput {
        source: size,
        attributes,
        nested: scene.nested,
        layer0_sourced: sourced,
        client_dpr: None,
    };
    let mut plan = plan::plan(request, &input)?;
    if let Some(origin) = scene.layers.get(&0).and_then(|l| l.origin) {
        if request.get(Target::Layer(0), CommandName::Origin).is_none() {
            plan.layer0.origin = origin;
        }
    }
    let mut layers = Vec::new();
    for (&index, layer) in scene.layers.range(1..) {
        if is_hidden(request, Target::Layer(index)) {
            continue;
        }
        let source = LayerSource {
            index,
            size: content_size(&layer.content)?,
            sourced: layer.sourced,
            canvas: None,
            anchor: layer.anchor,
        };
        let mut layer_plan = plan::plan_layer(request, &input, source, &plan.layer0)?;
        if let (Some(origin), None) = (
            layer.origin,
            request.get(Target::Layer(index), CommandName::Origin),
        ) {
            // Text: the default origin is where the text model puts it (§4.6).
            let (dx, dy) = (
                origin.0 - layer_plan.geometry.origin.0,
                origin.1 - layer_plan.geometry.origin.1,
            );
            layer_plan.geometry.origin = origin;
            layer_plan.position.0 -= dx.round() as i64;
            layer_plan.position.1 -= dy.round() as i64;
        }
        layers.push(layer_plan);
    }
    Ok(ScenePlan { plan, layers })
}

/// Plans a request without rendering it: the reply's size.
pub fn describe(scene: &Scene<'_>) -> Result<(u32, u32), RenderError> {
    if let Some(message) = unsupported(scene.request) {
        return Err(RenderError::UnsupportedCommand(message));
    }
    Ok(plan_scene(scene)?.plan.reply_size())
}

/// Plans and renders a request to an encoded reply.
pub fn render(mut scene: Scene<'_>) -> Result<Encoded, RenderError> {
    let request = scene.request;
    if let Some(message) = unsupported(request) {
        return Err(RenderError::UnsupportedCommand(message));
    }
    let planned = plan_scene(&scene)?;
    let mut spec = encode_spec(request, &planned.plan);
    let mut reply = match shrink_on_load(&mut scene, &planned)? {
        Some(reply) => reply,
        None => {
            let composite = compose(&mut scene, &planned)?;
            view(&composite, request, &planned.plan)?
        }
    };
    final_view_ops(&mut reply, request, &planned.plan);
    if scene.mask_only {
        // §3.9 req=mask: the alpha channel, gray by default.
        for p in reply.data_mut().chunks_exact_mut(4) {
            let a = p[3];
            p.copy_from_slice(&[a, a, a, 255]);
        }
        if spec.format.pixel_type.is_none()
            && !matches!(
                spec.format.kind,
                crate::protocol::ast::FormatKind::Png8
                    | crate::protocol::ast::FormatKind::Png8Alpha
                    | crate::protocol::ast::FormatKind::Webp
                    | crate::protocol::ast::FormatKind::WebpAlpha
                    | crate::protocol::ast::FormatKind::Avif
                    | crate::protocol::ast::FormatKind::AvifAlpha
            )
        {
            spec.format.pixel_type = Some(crate::protocol::ast::PixelType::Gray);
        }
    }
    Ok(encode::encode(&reply, &spec)?)
}

/// Plans and renders a nested request to pixels: its view, unencoded (§1.9).
pub fn render_nested(mut scene: Scene<'_>) -> Result<Canvas, RenderError> {
    let request = scene.request;
    if let Some(message) = unsupported(request) {
        return Err(RenderError::UnsupportedCommand(message));
    }
    let planned = plan_scene(&scene)?;
    let composite = compose(&mut scene, &planned)?;
    let mut reply = view(&composite, request, &planned.plan)?;
    final_view_ops(&mut reply, request, &planned.plan);
    Ok(reply)
}

/// Layer-0 and composite commands whose result does not depend on the
/// resolution they run at: the shrink-on-load path may run them on a reduced
/// composite.
fn scale_independent(request: &Request) -> bool {
    request.commands.iter().all(|((target, _), spanned)| {
        let name = spanned.value.name();
        match target {
            Target::Global => true,
            Target::Layer(0) | Target::Composite => {
                matches!(
                    name,
                    CommandName::Src
                        | CommandName::Crop
                        | CommandName::CropN
                        | CommandName::Anchor
                        | CommandName::AnchorN
                        | CommandName::Origin
                        | CommandName::OriginN
                        | CommandName::Flip
                        | CommandName::Color
                        | CommandName::BgColor
                        | CommandName::Opac
                        | CommandName::OpBrightness
                        | CommandName::OpContrast
                        | CommandName::OpColorbalance
                        | CommandName::OpColorize
                        | CommandName::OpHue
                        | CommandName::OpSaturation
                        | CommandName::OpInvert
                        | CommandName::Map
                        | CommandName::MapA
                        | CommandName::ClipPathE
                        | CommandName::ClipXPathE
                        | CommandName::CropPathE
                ) || (*target == Target::Composite
                    && matches!(
                        name,
                        CommandName::OpSharpen | CommandName::OpUsm | CommandName::OpUsmR
                    ))
            }
            _ => false,
        }
    })
}

/// Shrink on load: when a single JPEG layer is only cropped and then scaled
/// down by 2× or more on its way to the reply, decode it at 1/2, 1/4 or 1/8
/// scale in the DCT domain and build the composite at that scale. The reply
/// is the same view, resampled from fewer pixels. Returns `None` when the
/// request does not qualify.
fn shrink_on_load(
    scene: &mut Scene<'_>,
    planned: &ScenePlan,
) -> Result<Option<Canvas>, RenderError> {
    let request = scene.request;
    let plan = &planned.plan;
    let layer0 = &plan.layer0;
    let qualifies = planned.layers.is_empty()
        && scene.layers.len() == 1
        && layer0.scale.by == crate::plan::ScaleBy::None
        && layer0.scale.frame == layer0.scale.content
        && layer0.rotate.is_none()
        && layer0.extend.is_none()
        && layer0.valid == Some(layer0.crop)
        && !is_hidden(request, Target::Layer(0))
        && effects_of(request, Some(0), 1.0).is_empty()
        && effects_of(request, None, 1.0).is_empty()
        && scale_independent(request);
    if !qualifies {
        return Ok(None);
    }
    let Some(LayerInput {
        content: Content::Bytes(original),
        mask: None,
        ..
    }) = scene.layers.get(&0)
    else {
        return Ok(None);
    };
    if !original.bytes.starts_with(&[0xFF, 0xD8]) {
        return Ok(None);
    }
    let t = plan.reply_transform();
    let needed = t.sx.max(t.sy);
    // The smallest DCT scale that still gives at least one composite pixel
    // per reply pixel.
    let Some(eighths) = [1u8, 2, 4]
        .into_iter()
        .find(|&e| f64::from(e) / 8.0 >= needed)
    else {
        return Ok(None);
    };
    // The stored pyramid level if there is one: the same pixels, undecoded,
    // under the same source-pixel limit as a decode.
    decode::check_source_pixels(plan.source.0, plan.source.1, scene.limits)?;
    let reduced = match original.level(eighths, plan.source) {
        Some(level) => level,
        None => match decode::decode_jpeg_scaled(&original.bytes, scene.limits, eighths)? {
            Some(reduced) => reduced,
            None => return Ok(None),
        },
    };
    let (sw, sh) = plan.source;
    let kx = f64::from(reduced.width()) / f64::from(sw);
    let ky = f64::from(reduced.height()) / f64::from(sh);
    let crop = layer0.crop;
    let (cw, ch) = (
        ((crop.w as f64) * kx).round().max(1.0) as u32,
        ((crop.h as f64) * ky).round().max(1.0) as u32,
    );
    let region = (
        crop.x as f64 * kx,
        crop.y as f64 * ky,
        crop.w as f64 * kx,
        crop.h as f64 * ky,
    );
    let whole = (cw, ch) == reduced.size() && crop.x == 0 && crop.y == 0;
    let mut canvas = if whole {
        reduced
    } else {
        geometry::resample(
            &reduced,
            region,
            cw,
            ch,
            filter_for(res_mode(request), true),
        )?
    };
    let l0 = Target::Layer(0);
    if let Some(how) = layer0.flip {
        geometry::flip(&mut canvas, how);
    }
    if let Some(color) = color_of(request, l0, CommandName::Color) {
        geometry::fill_behind(&mut canvas, color.to_rgba8());
    }
    apply_ops(&mut canvas, request, l0, scene.seed);
    if let Some(Command::Opac(o)) = request.get(l0, CommandName::Opac) {
        multiply_alpha(&mut canvas, opacity(o.opacity, o.fill));
    }
    if let Some(color) = color_of(request, l0, CommandName::BgColor) {
        geometry::fill_behind(&mut canvas, color.to_rgba8());
    }
    apply_ops(&mut canvas, request, Target::Composite, scene.seed);
    if let Some(Command::Opac(o)) = request.get(Target::Composite, CommandName::Opac) {
        multiply_alpha(&mut canvas, opacity(o.opacity, o.fill));
    }
    if let Some(how) = plan.composite_flip {
        geometry::flip(&mut canvas, how);
    }
    // The same transform, from the reduced composite's pixels.
    let reduced_t = crate::plan::Affine {
        sx: t.sx * crop.w as f64 / f64::from(cw),
        sy: t.sy * crop.h as f64 / f64::from(ch),
        dx: t.dx,
        dy: t.dy,
    };
    Ok(Some(view_through(
        &canvas,
        request,
        reduced_t,
        plan.reply_size(),
    )?))
}

/// Decodes (or takes) a layer's content at full resolution.
fn materialize(
    content: Content,
    limits: &Limits,
    decoded: Option<&DecodedCache>,
) -> Result<Arc<Canvas>, RenderError> {
    match content {
        Content::Bytes(original) => match decoded {
            Some(cache) => cache.get_or_decode(&original, limits),
            None => decode::decode(&original.bytes, limits).map(Arc::new),
        },
        Content::Pixels(canvas) => Ok(Arc::new(canvas)),
        Content::Solid { size, color } => Ok(Arc::new(Canvas::filled(size.0, size.1, color))),
    }
}

fn is_hidden(request: &Request, target: Target) -> bool {
    matches!(
        request.get(target, CommandName::Hide),
        Some(Command::Hide(true))
    )
}

fn res_mode(request: &Request) -> Option<ResMode> {
    match request.global(CommandName::ResMode) {
        Some(Command::ResMode(m)) => Some(*m),
        _ => None,
    }
}

fn color_of(request: &Request, target: Target, name: CommandName) -> Option<Color> {
    match request.get(target, name) {
        Some(Command::Color(c) | Command::BgColor(c)) => Some(*c),
        _ => None,
    }
}

/// A layer's pixels through crop, scale, flip, rotate and extend (§4.3);
/// `color=` fills behind it before the rotation.
fn transform(
    source: &Canvas,
    geometry: &Layer0Plan,
    request: &Request,
    target: Target,
) -> Result<Canvas, RenderError> {
    // 1. Crop (extension is transparent).
    let cropped = geometry::crop(source, geometry.crop);
    // 2. Scale into the layer rect.
    let step = geometry.scale;
    let reducing = step.content.0 < cropped.width();
    let scaled = geometry::resample(
        &cropped,
        (
            0.0,
            0.0,
            f64::from(cropped.width()),
            f64::from(cropped.height()),
        ),
        step.content.0,
        step.content.1,
        filter_for(res_mode(request), reducing),
    )?;
    drop(cropped);
    let mut canvas = geometry::place(
        &scaled,
        step.frame.0,
        step.frame.1,
        step.offset.0,
        step.offset.1,
    );
    drop(scaled);
    // 3. Flip.
    if let Some(how) = geometry.flip {
        geometry::flip(&mut canvas, how);
    }
    // `color=` fills transparent areas before rotation (image and text layers).
    if let Some(color) = color_of(request, target, CommandName::Color) {
        geometry::fill_behind(&mut canvas, color.to_rgba8());
    }
    // 4. Rotate.
    if let Some(rotate) = geometry.rotate {
        canvas = geometry::rotate(&canvas, rotate.degrees, rotate.to);
    }
    // 5. Extend.
    if let Some(sides) = geometry.extend {
        canvas = geometry::place(
            &canvas,
            geometry.size.0,
            geometry.size.1,
            sides.left,
            sides.top,
        );
    }
    Ok(canvas)
}

/// A layer ready to draw: transformed, masked, operated on, clipped and
/// backed by `bgColor` (§3.4–§3.6).
fn prepare_layer(
    input: LayerInput,
    geometry: &Layer0Plan,
    request: &Request,
    target: Target,
    limits: &Limits,
    decoded: Option<&DecodedCache>,
    seed: u64,
) -> Result<Canvas, RenderError> {
    let solid = matches!(input.content, Content::Solid { .. });
    let source = materialize(input.content, limits, decoded)?;
    let mut canvas = if solid {
        // A solid layer is its colour at its final size; `color=` is its fill.
        let mut c = Arc::unwrap_or_clone(source);
        if let Some(rotate) = geometry.rotate {
            c = geometry::rotate(&c, rotate.degrees, rotate.to);
        }
        if let Some(sides) = geometry.extend {
            c = geometry::place(&c, geometry.size.0, geometry.size.1, sides.left, sides.top);
        }
        c
    } else {
        transform(&source, geometry, request, target)?
    };
    if let Some(mask) = input.mask {
        let mask = materialize(mask, limits, decoded)?;
        let mask = geometry::resample(
            &mask,
            (0.0, 0.0, f64::from(mask.width()), f64::from(mask.height())),
            canvas.width(),
            canvas.height(),
            filter_for(res_mode(request), true),
        )?;
        let mode = match request.get(target, CommandName::MaskUse) {
            Some(Command::MaskUse(m)) => *m,
            _ => MaskUse::Norm,
        };
        composite::apply_mask(&mut canvas, &mask, mode)?;
    } else if let Some(Command::MaskUse(mode)) = request.get(target, CommandName::MaskUse) {
        // Without a separate mask the layer's own alpha is the mask (§3.4).
        composite::apply_mask_use(&mut canvas, *mode);
    }
    apply_ops(&mut canvas, request, target, seed);
    if let Some(Command::ClipPath(path)) = request.get(target, CommandName::ClipPath) {
        let exclude = match request.get(target, CommandName::ClipXPath) {
            Some(Command::ClipXPath(x)) => Some(x),
            _ => None,
        };
        composite::clip_path(&mut canvas, path, exclude, (0.0, 0.0));
    }
    if let Some(color) = color_of(request, target, CommandName::BgColor) {
        geometry::fill_behind(&mut canvas, color.to_rgba8());
    }
    Ok(canvas)
}

/// The effects attached to a layer (§3.8), in index order. An effect's
/// opacity is its parent's main opacity times its own (§3.5 `opac`).
/// Public so that benchmarks build effects exactly as renders do.
pub fn effects_of(request: &Request, parent: Option<u32>, parent_opacity: f64) -> Vec<EffectSpec> {
    let mut effects: Vec<EffectSpec> = request
        .all_targets()
        .into_iter()
        .filter_map(|t| match t {
            Target::Effect { parent: p, index } if p == parent => Some((t, index)),
            _ => None,
        })
        .map(|(t, index)| {
            let get = |name| request.get(t, name);
            let color = match get(CommandName::Color) {
                Some(Command::Color(c)) => c.to_rgba8(),
                _ => [0, 0, 0, 255],
            };
            let opacity = parent_opacity
                * match get(CommandName::Opac) {
                    Some(Command::Opac(o)) => opacity(o.opacity, o.fill),
                    _ => 1.0,
                };
            EffectSpec {
                index,
                color,
                opacity,
                grow: match get(CommandName::OpGrow) {
                    Some(Command::OpGrow(g)) => *g,
                    _ => 0,
                },
                blur: match get(CommandName::OpBlur) {
                    Some(Command::OpBlur(b)) => *b,
                    _ => 0.0,
                },
                noise: match get(CommandName::OpNoise) {
                    Some(Command::OpNoise(n)) => Some(*n),
                    _ => None,
                },
                offset: match get(CommandName::Pos) {
                    Some(Command::Pos(p)) => (i64::from(p.x), i64::from(p.y)),
                    _ => (0, 0),
                },
                blend: match get(CommandName::BlendMode) {
                    Some(Command::BlendMode(b)) => *b,
                    _ => BlendMode::Norm,
                },
                mask_use: match get(CommandName::MaskUse) {
                    Some(Command::MaskUse(m)) => *m,
                    _ => MaskUse::Norm,
                },
            }
        })
        .collect();
    effects.sort_by_key(|e| e.index);
    effects
}

/// Layer 0 is the canvas; every other layer is drawn on it in ascending
/// order with its opacity, blend mode and effects, clipped to the canvas;
/// then the composite operations run (§4.1, §4.5).
fn compose(scene: &mut Scene<'_>, planned: &ScenePlan) -> Result<Canvas, RenderError> {
    let request = scene.request;
    let plan = &planned.plan;
    let layer0 = &plan.layer0;
    let l0 = Target::Layer(0);
    let input0 = scene.layers.remove(&0);
    let mut layer0_pixels = match input0 {
        Some(input) if !is_hidden(request, l0) => prepare_layer(
            input,
            layer0,
            request,
            l0,
            scene.limits,
            scene.decoded,
            scene.seed,
        )?,
        _ => Canvas::transparent(layer0.size.0, layer0.size.1),
    };
    if let Some(Command::Opac(o)) = request.get(l0, CommandName::Opac) {
        multiply_alpha(&mut layer0_pixels, opacity(o.opacity, o.fill));
    }
    let mut effects0 = effects_of(request, Some(0), 1.0);
    effects0.extend(effects_of(request, None, 1.0));
    let mut canvas = if effects0.is_empty() {
        layer0_pixels
    } else {
        let mut canvas = Canvas::transparent(layer0.size.0, layer0.size.1);
        composite::draw_with_effects(
            &mut canvas,
            &layer0_pixels,
            (0, 0),
            1.0,
            BlendMode::Norm,
            &effects0,
            scene.seed,
        );
        canvas
    };
    for layer_plan in &planned.layers {
        let target = Target::Layer(layer_plan.index);
        let Some(input) = scene.layers.remove(&layer_plan.index) else {
            continue;
        };
        let pixels = prepare_layer(
            input,
            &layer_plan.geometry,
            request,
            target,
            scene.limits,
            scene.decoded,
            scene.seed,
        )?;
        let (alpha, main) = match request.get(target, CommandName::Opac) {
            Some(Command::Opac(o)) => (opacity(o.opacity, o.fill), f64::from(o.opacity) / 100.0),
            _ => (1.0, 1.0),
        };
        let mode = match request.get(target, CommandName::BlendMode) {
            Some(Command::BlendMode(b)) => *b,
            _ => BlendMode::Norm,
        };
        let effects = effects_of(request, Some(layer_plan.index), main);
        composite::draw_with_effects(
            &mut canvas,
            &pixels,
            layer_plan.position,
            alpha,
            mode,
            &effects,
            scene.seed ^ u64::from(layer_plan.index).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
    }
    // The composite.
    apply_ops(&mut canvas, request, Target::Composite, scene.seed);
    if let Some(Command::ClipPath(path)) = request.get(Target::Composite, CommandName::ClipPath) {
        let exclude = match request.get(Target::Composite, CommandName::ClipXPath) {
            Some(Command::ClipXPath(x)) => Some(x),
            _ => None,
        };
        composite::clip_path(&mut canvas, path, exclude, (0.0, 0.0));
    }
    if let Some(Command::Opac(o)) = request.get(Target::Composite, CommandName::Opac) {
        multiply_alpha(&mut canvas, opacity(o.opacity, o.fill));
    }
    if let Some(how) = plan.composite_flip {
        geometry::flip(&mut canvas, how);
    }
    Ok(canvas)
}

fn opacity(main: u8, fill: Option<u8>) -> f64 {
    f64::from(main) / 100.0 * f64::from(fill.unwrap_or(100)) / 100.0
}

fn multiply_alpha(canvas: &mut Canvas, factor: f64) {
    if factor >= 1.0 {
        return;
    }
    for p in canvas.data_mut().chunks_exact_mut(4) {
        p[3] = (f64::from(p[3]) * factor).round() as u8;
    }
}

/// The `op_*` colour and filter operations of one target, in a fixed order:
/// colour adjustments, then grow, blur and noise.
fn apply_ops(canvas: &mut Canvas, request: &Request, target: Target, seed: u64) {
    let get = |name| request.get(target, name);
    if let Some(Command::OpBrightness(v)) = get(CommandName::OpBrightness) {
        ops::brightness(canvas, *v);
    }
    if let Some(Command::OpContrast(v)) = get(CommandName::OpContrast) {
        ops::contrast(canvas, *v);
    }
    if let Some(Command::OpColorbalance(v)) = get(CommandName::OpColorbalance) {
        ops::color_balance(canvas, *v);
    }
    if let Some(Command::OpColorize(v)) = get(CommandName::OpColorize) {
        ops::colorize(canvas, v);
    }
    if let Some(Command::OpHue(v)) = get(CommandName::OpHue) {
        ops::hue(canvas, *v);
    }
    if let Some(Command::OpSaturation(v)) = get(CommandName::OpSaturation) {
        ops::saturation(canvas, *v);
    }
    if let Some(Command::OpInvert(true)) = get(CommandName::OpInvert) {
        ops::invert(canvas);
    }
    if let Some(Command::OpGrow(v)) = get(CommandName::OpGrow) {
        ops::grow(canvas, *v);
    }
    if let Some(Command::OpBlur(v)) = get(CommandName::OpBlur) {
        ops::blur(canvas, *v);
    }
    if let Some(Command::OpNoise(v)) = get(CommandName::OpNoise) {
        ops::noise(canvas, v, seed);
    }
    // On a layer (not under comp) sharpening acts on the layer itself.
    if target != Target::Composite {
        sharpen(canvas, request, target, 1.0);
    }
}

/// `op_sharpen`, `op_usm` and `op_usmR` of a target; `radius_scale` converts
/// `op_usm`'s full-resolution radius to the pixels it runs on.
fn sharpen(canvas: &mut Canvas, request: &Request, target: Target, radius_scale: f64) {
    if let Some(Command::OpSharpen(true)) = request.get(target, CommandName::OpSharpen) {
        ops::sharpen(canvas);
    }
    match request.get(target, CommandName::OpUsm) {
        Some(Command::OpUsm(usm)) => ops::unsharp_mask(canvas, usm, radius_scale),
        Some(Command::OpUsmR(usm)) => ops::unsharp_mask(canvas, usm, 1.0),
        _ => {}
    }
}

/// Under `comp`, sharpening runs on the final view after all scaling (§4.5).
fn final_view_ops(reply: &mut Canvas, request: &Request, plan: &Plan) {
    let view_x = plan.reply_transform().sx;
    let layer_scale = plan.layer0.scale.factor;
    sharpen(reply, request, Target::Composite, view_x * layer_scale);
}

/// The view (§4.7) and the `rect=` tile, rendered straight from the composite
/// through the composite-to-reply transform: only the reply's pixels are
/// computed, however large the view the tile is cut from.
fn view(composite: &Canvas, request: &Request, plan: &Plan) -> Result<Canvas, RenderError> {
    view_through(
        composite,
        request,
        plan.reply_transform(),
        plan.reply_size(),
    )
}

/// The reply from a composite through a composite-to-reply transform.
fn view_through(
    composite: &Canvas,
    request: &Request,
    t: crate::plan::Affine,
    (rw, rh): (u32, u32),
) -> Result<Canvas, RenderError> {
    let (cw, ch) = (f64::from(composite.width()), f64::from(composite.height()));
    // Where the composite lands in the reply, clipped to the reply.
    let left = t.dx.max(0.0);
    let top = t.dy.max(0.0);
    let right = (cw * t.sx + t.dx).min(f64::from(rw));
    let bottom = (ch * t.sy + t.dy).min(f64::from(rh));
    let (x0, y0) = (left.round() as i64, top.round() as i64);
    let (x1, y1) = (right.round() as i64, bottom.round() as i64);
    let mut reply = Canvas::transparent(rw, rh);
    if x1 <= x0 || y1 <= y0 {
        return Ok(reply);
    }
    let (dw, dh) = ((x1 - x0) as u32, (y1 - y0) as u32);
    // The composite region that maps exactly onto those whole reply pixels.
    let sx0 = ((x0 as f64 - t.dx) / t.sx).clamp(0.0, cw);
    let sy0 = ((y0 as f64 - t.dy) / t.sy).clamp(0.0, ch);
    let sx1 = ((x1 as f64 - t.dx) / t.sx).clamp(0.0, cw);
    let sy1 = ((y1 as f64 - t.dy) / t.sy).clamp(0.0, ch);
    if sx1 <= sx0 || sy1 <= sy0 {
        return Ok(reply);
    }
    let reducing = t.sx < 1.0;
    let image = geometry::resample(
        composite,
        (sx0, sy0, sx1 - sx0, sy1 - sy0),
        dw,
        dh,
        filter_for(res_mode(request), reducing),
    )?;
    if (dw, dh) == (rw, rh) {
        return Ok(image);
    }
    geometry::blit(&image, &mut reply, x0, y0);
    Ok(reply)
}

/// The encoder settings: format, quality, palette and the view fill.
fn encode_spec(request: &Request, plan: &Plan) -> EncodeSpec {
    let mut spec = EncodeSpec::default();
    if let Some(format) = request.fmt() {
        spec.format = format;
    }
    spec.quality = request.qlt().unwrap_or(Quality {
        quality: 80,
        no_chroma_subsampling: None,
    });
    if let Some(Command::Quantize(q)) = request.global(CommandName::Quantize) {
        spec.quantize = Some(q.clone());
    }
    if let Some(Command::Pscan(p)) = request.global(CommandName::Pscan) {
        spec.pscan = Some(*p);
    }
    if let Some(Command::JpegSize(kb)) = request.global(CommandName::JpegSize) {
        spec.jpeg_size_kb = (*kb > 0).then_some(*kb);
    }
    let fill = plan.view.fill;
    spec.bgc = [fill[0], fill[1], fill[2]];
    spec
}

/// Whether a request asks not to be cached on the server (`cache=off`).
pub fn server_cache_off(request: &Request) -> bool {
    matches!(
        request.global(CommandName::Cache),
        Some(Command::Cache(Cache::Both(
            crate::protocol::ast::CacheMode::Off
        ))) | Some(Command::Cache(Cache::Split { server: false, .. }))
    )
}
