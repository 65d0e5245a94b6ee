//! A render job: the three command strings of a request and the sources they
//! name, parsed, merged, resolved and rendered. The HTTP route, the `render`
//! command and the golden tests all go through here, so they cannot disagree.
//!
//! The job resolves every layer's content before rendering: catalog objects
//! through a [`Resolver`] (with the record's Modifier merged into its layer,
//! §2.2 rule 3), nested `is(...)` requests by rendering them (depth-limited),
//! text by laying it out, solid layers by their size, and templates by
//! re-parsing with the template's body as the Modifier (§2.2 rule 5). It joins
//! `protocol` and `render` and nothing else: no SQL, no HTTP.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::Limits;
use crate::plan::CatalogAttributes;
use crate::protocol::ast::{Command, CommandName, NestedKind, Source};
use crate::protocol::{self, Macros, Request, Sources, Target, Variables};
use crate::render::composite::{GLOW_MACRO, SHADOW_MACRO};
use crate::render::decode::{DecodedCache, Original};
use crate::render::encode::Encoded;
use crate::render::pipeline::{self, Content, LayerInput, Scene};
use crate::render::text::{self, FontSet, TextRequest};
use crate::render::{Canvas, RenderError};

/// Why a job produced no image.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The command strings have errors; the text is the parser's diagnostics.
    #[error("{0}")]
    Request(String),
    /// An object named in the request does not exist.
    #[error("Image not found: {0}")]
    NotFound(String),
    /// The request asks for more than the limits allow, or for something not
    /// supported; the text says which.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// What a record is, for the rules of §2.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// An image (or a copy): its file and modifiers.
    Image,
    /// A derived view: its owner's file and its own modifiers.
    Derived,
    /// A template: a body in its Modifier, no file of its own.
    Template,
}

/// A catalog record, as a render needs it.
#[derive(Clone, Debug)]
pub struct Record {
    /// `Company/name`.
    pub object: String,
    pub kind: RecordKind,
    /// The image file (an owner's, for derived views); none for templates.
    pub bytes: Option<Original>,
    pub modifier: String,
    pub post_modifier: String,
    /// `catalog::Anchor`.
    pub anchor: Option<(i32, i32)>,
    /// The catalog asset ids it was made from (itself and its owner), for
    /// the render cache's invalidation.
    pub ids: Vec<i64>,
    /// When it (or its owner's file) last changed, in epoch milliseconds.
    pub modified_ms: i64,
}

/// Finds the records that `src=`, `mask=` and `template=` name (§1.7).
pub trait Resolver: Sync {
    fn find(&self, id: &str) -> Result<Option<Record>, JobError>;
}

/// A resolver with no catalog: every object is missing.
pub struct NoCatalog;

impl Resolver for NoCatalog {
    fn find(&self, _id: &str) -> Result<Option<Record>, JobError> {
        Ok(None)
    }
}

/// The services and limits a job runs with.
pub struct Context<'a> {
    pub resolver: &'a dyn Resolver,
    pub limits: &'a Limits,
    pub fonts: &'a FontSet,
    /// Decoded originals shared between renders, if any.
    pub decoded: Option<&'a DecodedCache>,
}

/// The macros every request may use: the default `$shadow$` and `$glow$`.
pub fn default_macros() -> Macros {
    let mut macros = Macros::new();
    macros.insert("shadow", SHADOW_MACRO);
    macros.insert("glow", GLOW_MACRO);
    macros
}

/// 64-bit FNV-1a, a stable hash for seeds.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// How a job renders.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// `req=mask`: reply the alpha channel as a gray image (§3.9).
    pub mask: bool,
}

/// Renders a request for `object`, whose file (if any) is `source`.
pub fn render(
    source: Option<Original>,
    sources: Sources<'_>,
    object: &str,
    ctx: &Context<'_>,
) -> Result<Encoded, JobError> {
    render_with(source, sources, object, ctx, Options::default())
}

/// Renders with options.
pub fn render_with(
    source: Option<Original>,
    sources: Sources<'_>,
    object: &str,
    ctx: &Context<'_>,
    options: Options,
) -> Result<Encoded, JobError> {
    let (request, layers, seed) = prepare(source, sources, object, None, ctx, 0)?;
    let scene = scene(&request, layers, seed, ctx, false, options.mask);
    Ok(pipeline::render(scene)?)
}

/// The reply a request would get, without rendering it: width, height and
/// MIME type (`req=props`).
pub fn describe(
    source: Option<Original>,
    sources: Sources<'_>,
    object: &str,
    ctx: &Context<'_>,
) -> Result<(u32, u32, &'static str), JobError> {
    let (request, layers, seed) = prepare(source, sources, object, None, ctx, 0)?;
    let mime = request.fmt().map_or("image/jpeg", |f| f.kind.mime());
    let (width, height) = pipeline::describe(&scene(&request, layers, seed, ctx, false, false))?;
    Ok((width, height, mime))
}

/// The scene the pipeline renders or describes for a prepared request:
/// `nested` for an `is{…}` layer (no `MaxPix`, no encoding), `mask_only` for
/// `req=mask`.
fn scene<'a>(
    request: &'a Request,
    layers: BTreeMap<u32, LayerInput>,
    seed: u64,
    ctx: &Context<'a>,
    nested: bool,
    mask_only: bool,
) -> Scene<'a> {
    Scene {
        request,
        layers,
        attributes: CatalogAttributes::from_limits(ctx.limits),
        limits: ctx.limits,
        seed,
        nested,
        mask_only,
        decoded: ctx.decoded,
    }
}

/// Renders with no catalog: a loose file and a query (the `render --input`
/// command and tests).
pub fn render_file(
    source: &[u8],
    sources: Sources<'_>,
    object: &str,
    limits: &Limits,
) -> Result<Encoded, JobError> {
    let fonts = FontSet::shared();
    let ctx = Context {
        resolver: &NoCatalog,
        limits,
        fonts,
        decoded: None,
    };
    render(
        Some(Original::new(Arc::new(source.to_vec()), None)),
        sources,
        object,
        &ctx,
    )
}

fn parse(
    sources: Sources<'_>,
    object: &str,
    inherited: Option<&Variables>,
    macros: &Macros,
    limits: &Limits,
) -> Result<protocol::Parsed, JobError> {
    let parsed = protocol::parse(
        sources,
        &protocol::Options {
            object: Some(object),
            macros: Some(macros),
            inherited,
            substitute: true,
            nesting_limit: limits.max_nesting as usize,
        },
    );
    if parsed.has_errors() {
        let errors: Vec<String> = parsed.diagnostics.errors().map(|d| d.to_string()).collect();
        return Err(JobError::Request(errors.join("\n")));
    }
    Ok(parsed)
}

/// Parses, applies a template, checks the limits and resolves every layer.
fn prepare(
    source: Option<Original>,
    sources: Sources<'_>,
    object: &str,
    inherited: Option<&Variables>,
    ctx: &Context<'_>,
    depth: usize,
) -> Result<(Request, BTreeMap<u32, LayerInput>, u64), JobError> {
    let macros = default_macros();
    let mut parsed = parse(sources, object, inherited, &macros, ctx.limits)?;
    let mut source = source;

    // §2.2 rule 5: with template=, the template's body is the Modifier and
    // the path object is reachable only as $object$.
    if let Some(Command::Template(id)) = parsed.request.global(CommandName::Template) {
        let id = id.clone();
        let record = ctx
            .resolver
            .find(&id)?
            .ok_or_else(|| JobError::NotFound(id.clone()))?;
        if record.kind != RecordKind::Template {
            return Err(JobError::Refused(format!(
                "template={id} is not a template"
            )));
        }
        let request_text = strip_template(sources.request);
        parsed = parse(
            Sources {
                modifier: &record.modifier,
                request: &request_text,
                post_modifier: &record.post_modifier,
            },
            object,
            inherited,
            &macros,
            ctx.limits,
        )?;
        source = record.bytes.clone();
    }
    let variables = parsed.variables.clone();
    let mut request = parsed.request;
    check_limits(&request, ctx.limits)?;

    let canonical = protocol::print(&request);
    let seed = fnv1a(canonical.as_bytes()) ^ fnv1a(object.as_bytes()).rotate_left(17);

    let mut layers = BTreeMap::new();
    for index in request.layers() {
        let target = Target::Layer(index);
        let mut anchor = None;
        let (content, sourced, origin) = match request.get(target, CommandName::Src).cloned() {
            Some(Command::Src(Source::Object(id))) => {
                let record = find_source(ctx, &id)?;
                merge_record_modifier(&mut request, index, &record)?;
                anchor = record.anchor;
                let bytes = record
                    .bytes
                    .ok_or_else(|| JobError::Refused(format!("src={id} has no image file")))?;
                (Some(Content::Bytes(bytes)), true, None)
            }
            Some(Command::Src(Source::Nested(nested))) => {
                let canvas = render_nested_source(&nested, &variables, ctx, depth)?;
                (Some(Content::Pixels(canvas)), true, None)
            }
            Some(Command::Text(body)) => {
                let (canvas, origin) = layout_text(&request, index, &body, false, ctx)?;
                (Some(Content::Pixels(canvas)), false, origin)
            }
            Some(Command::TextPs(body)) => {
                let (canvas, origin) = layout_text(&request, index, &body, true, ctx)?;
                apply_text_angle(&mut request, index);
                (Some(Content::Pixels(canvas)), false, origin)
            }
            _ if index == 0 && source.is_some() => (source.clone().map(Content::Bytes), true, None),
            _ => (solid_layer(&request, index)?, false, None),
        };
        let Some(content) = content else {
            continue;
        };
        let mask = match request.get(target, CommandName::Mask).cloned() {
            Some(Command::Mask(Source::Object(id))) => {
                let record = find_source(ctx, &id)?;
                Some(Content::Bytes(record.bytes.ok_or_else(|| {
                    JobError::Refused(format!("mask={id} has no image file"))
                })?))
            }
            Some(Command::Mask(Source::Nested(nested))) => Some(Content::Pixels(
                render_nested_source(&nested, &variables, ctx, depth)?,
            )),
            _ => None,
        };
        layers.insert(
            index,
            LayerInput {
                content,
                sourced,
                mask,
                origin,
                anchor,
            },
        );
    }
    Ok((request, layers, seed))
}

/// The request string without its `template=` command.
fn strip_template(request: &str) -> String {
    request
        .split('&')
        .filter(|token| {
            let name = token.split('=').next().unwrap_or("");
            !name.eq_ignore_ascii_case("template")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Layer count and text length limits, checked before any work (§1.12).
fn check_limits(request: &Request, limits: &Limits) -> Result<(), JobError> {
    let layers = request.layers().len();
    if layers > limits.max_layers as usize {
        return Err(JobError::Refused(format!(
            "the request has {layers} layers; the limit is {}",
            limits.max_layers
        )));
    }
    for spanned in request.commands.values() {
        if let Command::Text(t) | Command::TextPs(t) = &spanned.value {
            if t.len() > limits.max_text_len {
                return Err(JobError::Refused(format!(
                    "a text layer holds {} bytes; the limit is {}",
                    t.len(),
                    limits.max_text_len
                )));
            }
        }
    }
    Ok(())
}

fn find_source(ctx: &Context<'_>, id: &str) -> Result<Record, JobError> {
    let record = ctx
        .resolver
        .find(id)?
        .ok_or_else(|| JobError::NotFound(id.to_owned()))?;
    if record.kind == RecordKind::Template {
        return Err(JobError::Refused(format!(
            "{id} is a template; templates may not be used in src= or mask= (use is(...))"
        )));
    }
    Ok(record)
}

/// §2.2 rule 3: a `src=` record's Modifier is a prefix for its layer; the
/// layer's own commands override it. Rule 4: it may not hold `src=`/`mask=`.
fn merge_record_modifier(
    request: &mut Request,
    index: u32,
    record: &Record,
) -> Result<(), JobError> {
    if record.modifier.is_empty() {
        return Ok(());
    }
    let parsed = protocol::parse(
        Sources {
            modifier: &record.modifier,
            ..Sources::default()
        },
        &protocol::Options {
            object: Some(&record.object),
            ..protocol::Options::default()
        },
    );
    let target = Target::Layer(index);
    for ((from, slot), spanned) in parsed.request.commands {
        if matches!(slot, CommandName::Src | CommandName::Mask)
            && matches!(spanned.value.name(), CommandName::Src | CommandName::Mask)
        {
            return Err(JobError::Refused(format!(
                "{} has src= or mask= in its Modifier and cannot be used in src=; nest it with is(...)",
                record.object
            )));
        }
        if matches!(from, Target::Layer(0) | Target::Composite)
            && request.get(target, slot).is_none()
        {
            request.set(target, spanned);
        }
    }
    Ok(())
}

/// Renders a nested `is(...)` request to pixels (§1.9); other kinds are refused.
fn render_nested_source(
    nested: &protocol::ast::Nested,
    variables: &Variables,
    ctx: &Context<'_>,
    depth: usize,
) -> Result<Canvas, JobError> {
    if nested.kind != NestedKind::Is {
        let what = match nested.kind {
            NestedKind::Ir => "ir(...) Image Rendering requests",
            NestedKind::Fxg => "fxg(...) requests",
            _ => "foreign URLs",
        };
        return Err(JobError::Refused(format!(
            "{what} are not supported by this server"
        )));
    }
    if depth + 1 > ctx.limits.max_nesting as usize {
        return Err(JobError::Refused(format!(
            "nested requests go deeper than {} levels",
            ctx.limits.max_nesting
        )));
    }
    let (object, query) = nested.body.split_once('?').unwrap_or((&nested.body, ""));
    let object = crate::protocol::lexer::percent_decode(object, false).into_owned();
    let record = find_source(ctx, &object).or_else(|e| match e {
        // A nested request may name a template or LayerView by path too.
        JobError::Refused(_) => ctx
            .resolver
            .find(&object)?
            .ok_or_else(|| JobError::NotFound(object.clone())),
        other => Err(other),
    })?;
    let (request, layers, seed) = prepare(
        record.bytes.clone(),
        Sources {
            modifier: &record.modifier,
            request: query,
            post_modifier: &record.post_modifier,
        },
        &record.object,
        Some(variables),
        ctx,
        depth + 1,
    )?;
    Ok(pipeline::render_nested(scene(
        &request, layers, seed, ctx, true, false,
    ))?)
}

/// Lays out a text layer (§3.7, §4.6) at its final size.
fn layout_text(
    request: &Request,
    index: u32,
    body: &str,
    ps: bool,
    ctx: &Context<'_>,
) -> Result<(Canvas, Option<(f64, f64)>), JobError> {
    let target = Target::Layer(index);
    let box_size = match request.get(target, CommandName::Size) {
        Some(Command::Size(s)) if s.w > 0 => Some((s.w, s.h)),
        _ => None,
    };
    let attr = match request.get(target, CommandName::TextAttr) {
        Some(Command::TextAttr(a)) => *a,
        _ => crate::protocol::ast::TextAttr {
            resolution: 72,
            anti_alias: None,
            res_mode: None,
            wrap: None,
        },
    };
    let laid_out = text::render_text(
        &TextRequest {
            rtf: body,
            ps,
            box_size,
            attr,
            scale: 1.0,
        },
        ctx.fonts,
    )
    .map_err(|e| JobError::Refused(e.to_string()))?;
    // textPs point text hangs its first line on the origin (§4.6); text= is
    // auto-sized and, like other layers, defaults to its centre.
    let origin = (ps && box_size.is_none()).then_some(laid_out.baseline_origin);
    Ok((laid_out.canvas, origin))
}

/// `textAngle=` turns a `textPs=` layer's text clockwise (§3.7); the layer
/// rect grows to hold it, as `rotate=` does, and the two add up. It is
/// ignored on `text=` layers.
fn apply_text_angle(request: &mut Request, index: u32) {
    let target = Target::Layer(index);
    let Some(angle) = request
        .commands
        .get(&(target, CommandName::TextAngle))
        .cloned()
    else {
        return;
    };
    let Command::TextAngle(degrees) = angle.value else {
        return;
    };
    let rotate = match request.get(target, CommandName::Rotate) {
        Some(Command::Rotate(r)) => *r,
        _ => 0.0,
    };
    request.set(
        target,
        protocol::Spanned {
            value: Command::Rotate(rotate + degrees),
            span: angle.span,
        },
    );
}

/// A solid-colour layer: `color=` with `size=` (§4.2).
fn solid_layer(request: &Request, index: u32) -> Result<Option<Content>, JobError> {
    let target = Target::Layer(index);
    let Some(Command::Color(color)) = request.get(target, CommandName::Color) else {
        return Ok(None);
    };
    match request.get(target, CommandName::Size) {
        Some(Command::Size(s)) if s.w > 0 && s.h > 0 => Ok(Some(Content::Solid {
            size: (s.w, s.h),
            color: color.to_rgba8(),
        })),
        _ => match request.get(target, CommandName::ClipPath) {
            Some(Command::ClipPath(path)) => {
                // Sized to its path: the path's coordinates are the layer's.
                let (_, _, right, bottom) = crate::render::composite::path_bounds(path)
                    .ok_or_else(|| JobError::Refused("clipPath= has no area".to_owned()))?;
                let size = (right.ceil().max(1.0) as u32, bottom.ceil().max(1.0) as u32);
                Ok(Some(Content::Solid {
                    size,
                    color: color.to_rgba8(),
                }))
            }
            _ => Err(JobError::Refused(format!(
                "the solid-colour layer {index} needs size=w,h (both above 0)"
            ))),
        },
    }
}
