//! The render pipeline of a single-layer request (owner images and
//! AdjustedView assets): decode → layer-0 transforms → composite operations →
//! view and tile → final sharpening → encode, each step exactly as `plan`
//! decided it.
//!
//! Before any pixel is touched, `unsupported` names every command this
//! renderer cannot honour yet, so a request is either rendered faithfully or
//! refused with a 403 that says why — never silently degraded. This module is
//! synchronous CPU work: no I/O, no catalog, no async.

use super::encode::{self, EncodeSpec, Encoded};
use super::geometry::{self, filter_for};
use super::{Canvas, RenderError, decode, ops};
use crate::config::Limits;
use crate::plan::{self, CatalogAttributes, Plan, PlanInput};
use crate::protocol::ast::{Cache, Color, Command, CommandName, Quality, ReqType, ResMode};
use crate::protocol::{Request, Target};

/// The name of the first command this renderer cannot honour, with the reason.
pub fn unsupported(request: &Request) -> Option<String> {
    for ((target, _), spanned) in &request.commands {
        let command = &spanned.value;
        let name = command.name();
        let reason = match target {
            Target::Layer(n) if *n > 0 => Some("layers other than layer 0"),
            Target::Effect { .. } => Some("layer effects"),
            _ => None,
        };
        if let Some(reason) = reason {
            return Some(format!(
                "{}= on {reason} is not supported by this server yet",
                name.as_str()
            ));
        }
        let supported = match command {
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
            Command::Req(r) => matches!(r.kind, ReqType::Img | ReqType::Tmb),
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

/// Everything a render needs besides the source bytes.
#[derive(Clone, Debug)]
pub struct RenderInput<'a> {
    pub request: &'a Request,
    pub attributes: CatalogAttributes,
    pub limits: &'a Limits,
    /// A seed for `op_noise` and `dissolve`, so output is deterministic.
    pub seed: u64,
}

/// Plans and renders one single-layer request.
pub fn render(source: &[u8], input: &RenderInput<'_>) -> Result<Encoded, RenderError> {
    let request = input.request;
    if let Some(message) = unsupported(request) {
        return Err(RenderError::UnsupportedCommand(message));
    }
    let probe = decode::probe(source)?;
    let plan = plan::plan(
        request,
        &PlanInput {
            source: (probe.width, probe.height),
            attributes: input.attributes.clone(),
            nested: false,
            layer0_sourced: true,
            client_dpr: None,
        },
    )?;
    let spec = encode_spec(request, &plan);
    let source = decode::decode(source, input.limits)?;
    let composite = composite(source, request, &plan, input.seed)?;
    let mut reply = view(&composite, request, &plan)?;
    final_view_ops(&mut reply, request, &plan);
    Ok(encode::encode(&reply, &spec)?)
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

/// Layer 0 through crop, scale, flip, rotate and extend (§4.3), then the
/// composite-level operations (§4.5).
fn composite(
    source: Canvas,
    request: &Request,
    plan: &Plan,
    seed: u64,
) -> Result<Canvas, RenderError> {
    let layer0 = &plan.layer0;
    let layer = Target::Layer(0);
    let hidden = matches!(
        request.get(layer, CommandName::Hide),
        Some(Command::Hide(true))
    );
    let mut canvas = if hidden {
        Canvas::transparent(layer0.size.0, layer0.size.1)
    } else {
        // 1. Crop (extension is transparent).
        let cropped = geometry::crop(&source, layer0.crop);
        drop(source);
        // 2. Scale into the layer rect.
        let step = layer0.scale;
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
        if let Some(how) = layer0.flip {
            geometry::flip(&mut canvas, how);
        }
        // `color=` fills transparent areas before rotation.
        if let Some(color) = color_of(request, layer, CommandName::Color) {
            geometry::fill_behind(&mut canvas, color.to_rgba8());
        }
        // 4. Rotate.
        if let Some(rotate) = layer0.rotate {
            canvas = geometry::rotate(&canvas, rotate.degrees, rotate.to);
        }
        // 5. Extend.
        if let Some(sides) = layer0.extend {
            canvas = geometry::place(&canvas, layer0.size.0, layer0.size.1, sides.left, sides.top);
        }
        canvas
    };
    // Pixel operations written on layer 0 itself, then its opacity and bgColor.
    apply_ops(&mut canvas, request, layer, seed);
    if let Some(Command::Opac(o)) = request.get(layer, CommandName::Opac) {
        multiply_alpha(&mut canvas, opacity(o.opacity, o.fill));
    }
    if let Some(color) = color_of(request, layer, CommandName::BgColor) {
        geometry::fill_behind(&mut canvas, color.to_rgba8());
    }
    // The composite: with one layer, layer 0 itself.
    apply_ops(&mut canvas, request, Target::Composite, seed);
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
    let (rw, rh) = plan.reply_size();
    let t = plan.reply_transform();
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
