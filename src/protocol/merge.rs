//! Layer scoping (§1.6, §3.3, §4.5) and the merge of Modifier, request and
//! PostModifier (§2).
//!
//! Each source string is read on its own, starting in `layer=comp` scope
//! ([GAP] §2.2 rule 7: a request's leading commands do not continue the
//! Modifier's last `layer=` segment). Every command lands on a `Target` by the
//! `layer=comp` mapping table; layer names resolve to numbers in source order.
//! The merge then applies the sources in order M, R, P per (target, slot), so
//! the request overrides the Modifier and the PostModifier overrides both,
//! wherever they were written. Commands that others cancel are dropped and
//! cross-command rules are checked last. This module never does I/O.

use std::collections::BTreeMap;

use super::ast::*;
use super::diagnostic::{Diagnostic, Diagnostics, Origin, Span, Spanned};
use super::lexer::{Token, percent_decode};
use super::parser::{self, ValueError};
use super::vars::{self, Dollar, Variables};

/// The current scope while reading one source string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Comp,
    Layer(u32),
    Effect { parent: Option<u32>, index: i32 },
}

/// The commands one source string contributes, in order.
#[derive(Default)]
pub struct SourceCommands {
    pub commands: Vec<(Target, Spanned<Command>)>,
    pub opened: Vec<Target>,
}

/// Reads the tokens of one source string into targeted commands.
pub fn scope_source(
    tokens: &[Token],
    variables: &Variables,
    substitute: bool,
    layer_names: &mut BTreeMap<String, u32>,
    diagnostics: &mut Diagnostics,
) -> SourceCommands {
    let mut out = SourceCommands::default();
    let mut scope = Scope::Comp;
    for token in tokens {
        match vars::classify(token) {
            Dollar::NotDollar => {}
            Dollar::Definition(_) => continue,
            Dollar::Macro(_) => continue,
            Dollar::Malformed => {
                diagnostics.push(Diagnostic::error(
                    token.name_span(),
                    "malformed variable or macro: expected `$name=value` or `$name$`",
                ));
                continue;
            }
        }
        let raw_name = percent_decode(token.raw_name(), false);
        if raw_name.eq_ignore_ascii_case("layer") {
            if let Some(s) = select_layer(token, layer_names, diagnostics) {
                scope = s;
                // Layer 0 always exists; only other layers are worth recording.
                if let Scope::Layer(n @ 1..) = s {
                    out.opened.push(Target::Layer(n));
                }
            }
            continue;
        }
        if raw_name.eq_ignore_ascii_case("effect") {
            if let Some(index) = select_effect(token, diagnostics) {
                let parent = match scope {
                    Scope::Comp => None,
                    Scope::Layer(n) => Some(n),
                    Scope::Effect { parent, .. } => parent,
                };
                scope = Scope::Effect { parent, index };
                out.opened.push(Target::Effect { parent, index });
            }
            continue;
        }
        let Some(name) = CommandName::lookup(&raw_name) else {
            diagnostics.push(Diagnostic::warning(
                token.name_span(),
                format!("unknown command `{raw_name}` ignored"),
            ));
            continue;
        };
        let Some(target) = route(name, scope, token, diagnostics) else {
            continue;
        };
        if name == CommandName::Template
            && matches!(token.source.origin, Origin::Modifier | Origin::PostModifier)
        {
            diagnostics.push(Diagnostic::error(
                token.name_span(),
                "template= may not appear in a Modifier or PostModifier outside a nested request",
            ));
            continue;
        }
        if let Some(command) = read_value(name, token, variables, substitute, diagnostics) {
            out.commands.push((
                target,
                Spanned {
                    value: command,
                    span: token.span(),
                },
            ));
        }
    }
    out
}

/// Decodes, substitutes and parses one command's value.
fn read_value(
    name: CommandName,
    token: &Token,
    variables: &Variables,
    substitute: bool,
    diagnostics: &mut Diagnostics,
) -> Option<Command> {
    let Some(raw) = token.raw_value() else {
        diagnostics.push(Diagnostic::error(
            token.span(),
            format!("{} needs a value", name.as_str()),
        ));
        return None;
    };
    // Nested requests are parsed on their own, so their text is not decoded here.
    let nested = matches!(name, CommandName::Src | CommandName::Mask) && parser::is_nested(raw);
    let decoded = if nested {
        std::borrow::Cow::Borrowed(raw)
    } else {
        percent_decode(raw, true)
    };
    let value = if substitute {
        variables.substitute(&decoded)
    } else {
        std::borrow::Cow::Borrowed(decoded.as_ref())
    };
    match name.parse_value(&value) {
        Ok(command) => Some(command),
        Err(error) => {
            // Point at the argument when the value reads the same as it was written.
            let span = value_error_span(token, raw, &value, &error);
            diagnostics.push(Diagnostic::error(
                span,
                format!("{}: {}", name.as_str(), error.message),
            ));
            None
        }
    }
}

fn value_error_span(token: &Token, raw: &str, value: &str, error: &ValueError) -> Span {
    let whole = token.value_span();
    if raw == value && error.at.end <= raw.len() {
        let start = whole.range.start + error.at.start;
        let end = whole.range.start + error.at.end;
        return Span::new(&token.source, start..end.max(start));
    }
    whole
}

/// Decides where a command applies in the current scope (§4.5, §3.8).
fn route(
    name: CommandName,
    scope: Scope,
    token: &Token,
    diagnostics: &mut Diagnostics,
) -> Option<Target> {
    if name.is_global() {
        return Some(Target::Global);
    }
    let class = name.class();
    match scope {
        Scope::Effect { parent, index } => {
            if name.allowed_in_effect() {
                Some(Target::Effect { parent, index })
            } else {
                diagnostics.push(Diagnostic::warning(
                    token.name_span(),
                    format!("{} is ignored in an effect layer", name.as_str()),
                ));
                None
            }
        }
        Scope::Comp => match class {
            Class::Layer0 => Some(Target::Layer(0)),
            Class::Composite | Class::FinalView => Some(Target::Composite),
            Class::LayerOnly => {
                diagnostics.push(Diagnostic::warning(
                    token.name_span(),
                    format!("{} is ignored under layer=comp", name.as_str()),
                ));
                None
            }
            Class::NotOnLayer0 => {
                diagnostics.push(Diagnostic::error(
                    token.name_span(),
                    format!(
                        "{} is not permitted on layer 0 or layer=comp",
                        name.as_str()
                    ),
                ));
                None
            }
            Class::Request | Class::View => Some(Target::Global),
        },
        Scope::Layer(0) => match class {
            Class::LayerOnly => {
                diagnostics.push(Diagnostic::warning(
                    token.name_span(),
                    format!("{} is ignored on layer 0", name.as_str()),
                ));
                None
            }
            Class::NotOnLayer0 => {
                diagnostics.push(Diagnostic::error(
                    token.name_span(),
                    format!(
                        "{} is not permitted on layer 0 or layer=comp",
                        name.as_str()
                    ),
                ));
                None
            }
            _ => Some(Target::Layer(0)),
        },
        Scope::Layer(n) => Some(Target::Layer(n)),
    }
}

/// `layer=n`, `layer=comp`, `layer=n,name`, `layer=name` (§3.3).
fn select_layer(
    token: &Token,
    layer_names: &mut BTreeMap<String, u32>,
    diagnostics: &mut Diagnostics,
) -> Option<Scope> {
    let raw = token.raw_value().unwrap_or("");
    let span = token.value_span();
    if raw.is_empty() {
        diagnostics.push(Diagnostic::error(token.span(), "layer= needs a value"));
        return None;
    }
    if vars::has_reference(raw) {
        diagnostics.push(Diagnostic::error(
            span,
            "variables are not allowed in layer=",
        ));
        return None;
    }
    let value = percent_decode(raw, true);
    if value.eq_ignore_ascii_case("comp") {
        return Some(Scope::Comp);
    }
    let looks_numeric = value
        .strip_prefix(['-', '+'])
        .unwrap_or(&value)
        .bytes()
        .all(|b| b.is_ascii_digit());
    let (number, name) = match value.split_once(',') {
        Some((n, name)) => (Some(n), Some(name)),
        None if looks_numeric => (Some(value.as_ref()), None),
        None => (None, Some(value.as_ref())),
    };
    let number = match number {
        Some(n) => match n.parse::<u32>() {
            Ok(n) if n <= i32::MAX as u32 => Some(n),
            _ => {
                diagnostics.push(Diagnostic::error(
                    span,
                    format!("layer: expected a layer number ≥ 0, found `{n}`"),
                ));
                return None;
            }
        },
        None => None,
    };
    match (number, name) {
        (Some(n), None) => Some(Scope::Layer(n)),
        (Some(n), Some(name)) => {
            if name.is_empty() {
                diagnostics.push(Diagnostic::error(span, "layer: empty layer name"));
                return None;
            }
            if name.eq_ignore_ascii_case("comp") {
                diagnostics.push(Diagnostic::error(span, "layer: `comp` cannot name a layer"));
                return None;
            }
            match layer_names.get(name) {
                Some(&existing) if existing != n => {
                    diagnostics.push(Diagnostic::error(
                        span,
                        format!("layer: the name `{name}` already names layer {existing}"),
                    ));
                    None
                }
                _ => {
                    layer_names.insert(name.to_owned(), n);
                    Some(Scope::Layer(n))
                }
            }
        }
        (None, Some(name)) => match layer_names.get(name) {
            Some(&n) => Some(Scope::Layer(n)),
            None => {
                diagnostics.push(Diagnostic::error(
                    span,
                    format!("layer: undefined layer name `{name}`"),
                ));
                None
            }
        },
        (None, None) => None,
    }
}

/// `effect=n` with n a non-zero integer (§3.3).
fn select_effect(token: &Token, diagnostics: &mut Diagnostics) -> Option<i32> {
    let raw = token.raw_value().unwrap_or("");
    let span = token.value_span();
    if vars::has_reference(raw) {
        diagnostics.push(Diagnostic::error(
            span,
            "variables are not allowed in effect=",
        ));
        return None;
    }
    let value = percent_decode(raw, true);
    match value.parse::<i32>() {
        Ok(0) => {
            diagnostics.push(Diagnostic::error(span, "effect: effect=0 is not allowed"));
            None
        }
        Ok(n) => Some(n),
        Err(_) => {
            diagnostics.push(Diagnostic::error(
                span,
                format!("effect: expected a non-zero integer, found `{value}`"),
            ));
            None
        }
    }
}

/// Applies the sources in order: later sources override earlier ones per slot.
pub fn merge(sources: Vec<SourceCommands>, layer_names: BTreeMap<String, u32>) -> Request {
    let mut request = Request {
        layer_names,
        ..Request::default()
    };
    for source in sources {
        request.targets.extend(source.opened);
        for (target, command) in source.commands {
            request.set(target, command);
        }
    }
    request
}

/// Drops commands that others cancel and checks rules that span commands.
pub fn resolve(request: &mut Request, diagnostics: &mut Diagnostics) {
    let targets: Vec<Target> = request.all_targets().into_iter().collect();
    for target in targets {
        cancel(request, target, diagnostics);
        check_text_layer(request, target, diagnostics);
    }
    check_view(request, diagnostics);
}

/// `size` cancels `scale` and `res`; `scale` cancels `res`; `map` cancels `mapA` (§1.6).
fn cancel(request: &mut Request, target: Target, diagnostics: &mut Diagnostics) {
    let rules = [
        (CommandName::Size, CommandName::Scale),
        (CommandName::Size, CommandName::Res),
        (CommandName::Scale, CommandName::Res),
        (CommandName::Map, CommandName::MapA),
    ];
    for (winner, loser) in rules {
        if request.get(target, winner).is_some() {
            if let Some(dropped) = request.remove(target, loser) {
                diagnostics.push(Diagnostic::warning(
                    dropped.span,
                    format!(
                        "{} is ignored because {} is given",
                        loser.as_str(),
                        winner.as_str()
                    ),
                ));
            }
        }
    }
}

/// Text layer rules: `textPath` excludes `textFlowPath`; an auto-sized `text=`
/// layer allows only one of `\ql`, `\qr`, `\qc` (§3.7).
fn check_text_layer(request: &Request, target: Target, diagnostics: &mut Diagnostics) {
    let span_of = |name| request.commands.get(&(target, CommandName::slot(name)));
    if let (Some(_), Some(flow)) = (
        request.get(target, CommandName::TextPath),
        span_of(CommandName::TextFlowPath),
    ) {
        diagnostics.push(Diagnostic::error(
            flow.span.clone(),
            "textPath and textFlowPath cannot be used in the same layer",
        ));
    }
    let Some(text) = span_of(CommandName::Text) else {
        return;
    };
    let Command::Text(body) = &text.value else {
        return;
    };
    let auto_sized = match request.get(target, CommandName::Size) {
        Some(Command::Size(size)) => size.h == 0,
        Some(_) => false,
        None => true,
    };
    if auto_sized {
        let used: Vec<&str> = ["\\ql", "\\qr", "\\qc"]
            .into_iter()
            .filter(|word| has_control_word(body, word))
            .collect();
        if used.len() > 1 {
            diagnostics.push(Diagnostic::error(
                text.span.clone(),
                format!(
                    "an auto-sized text= layer allows only one of \\ql, \\qr, \\qc; found {}",
                    used.join(", ")
                ),
            ));
        }
    }
}

/// Whether RTF text contains a control word (not followed by another letter).
fn has_control_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        !text[i + word.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
    })
}

/// View rules: `fit=` needs `wid` or `hei` and is refused with `req=tmb`;
/// `quantize=mac` is refused with `-alpha` formats.
fn check_view(request: &Request, diagnostics: &mut Diagnostics) {
    if let Some(fit) = request.commands.get(&(Target::Global, CommandName::Fit)) {
        if request.wid().is_none() && request.hei().is_none() {
            diagnostics.push(Diagnostic::error(
                fit.span.clone(),
                "fit= needs wid= or hei=",
            ));
        }
        if request.req().map(|r| r.kind) == Some(ReqType::Tmb) {
            diagnostics.push(Diagnostic::error(
                fit.span.clone(),
                "fit= cannot be used with req=tmb",
            ));
        }
    }
    if let (Some(q), Some(fmt)) = (
        request
            .commands
            .get(&(Target::Global, CommandName::Quantize)),
        request.fmt(),
    ) {
        if let Command::Quantize(quantize) = &q.value {
            if quantize.kind == QuantizeType::Mac && fmt.kind.has_alpha() {
                diagnostics.push(Diagnostic::error(
                    q.span.clone(),
                    "quantize=mac cannot be used with an -alpha format",
                ));
            }
        }
    }
}
