//! The Image Serving command language (§1–§3 of the protocol reference).
//!
//! `parse` reads the three strings of a request — the Modifier, the request's
//! own query and the PostModifier — and returns the merged, typed `Request`
//! together with every diagnostic, each pointing into the string it came from.
//! The pipeline is: `lexer` (split, spans) → `vars` (macros, variables) →
//! `merge` (scoping per source, then M ⊕ R ⊕ P, then cross-command rules);
//! `parser` holds the value grammars and `print` the canonical form that
//! `req=resolve` shows.
//!
//! This module is pure: no I/O, no panics, and parsing never fails — callers
//! decide what an error diagnostic means (403 for IS, fault 30001 for IPS).

pub mod ast;
pub mod diagnostic;
pub mod lexer;
pub mod lock;
pub mod merge;
pub mod parser;
pub mod print;
#[cfg(test)]
mod proptests;
pub mod vars;

use std::collections::BTreeMap;

pub use ast::{Command, CommandName, Request, Target};
pub use diagnostic::{Diagnostic, Diagnostics, Origin, Severity, SourceText, Span, Spanned};
pub use print::print;
pub use vars::{Macros, Variables};

/// How deep `is(...)` requests may nest by default.
pub const DEFAULT_NESTING_LIMIT: usize = 8;

/// The three strings whose commands make one request (§2.1).
#[derive(Clone, Copy, Debug, Default)]
pub struct Sources<'a> {
    /// `catalog::Modifier` / `urlModifier`: applied first, lowest precedence.
    pub modifier: &'a str,
    /// The request's query string, without the leading `?`.
    pub request: &'a str,
    /// `catalog::PostModifier` / `urlPostApplyModifier`: highest precedence.
    pub post_modifier: &'a str,
}

/// What the parser needs to know beyond the strings.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    /// The path object, the value of `$object$`.
    pub object: Option<&'a str>,
    /// Macro table (Image Presets) to expand `$name$` from.
    pub macros: Option<&'a Macros>,
    /// Variables inherited from an enclosing request, lowest precedence.
    pub inherited: Option<&'a Variables>,
    /// Substitute `$var$` references (off for `req=validate`).
    pub substitute: bool,
    /// How many levels of `is(...)` nesting to accept.
    pub nesting_limit: usize,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            object: None,
            macros: None,
            inherited: None,
            substitute: true,
            nesting_limit: DEFAULT_NESTING_LIMIT,
        }
    }
}

/// The outcome of a parse: always a request, plus what was wrong with it.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub request: Request,
    pub diagnostics: Diagnostics,
    /// The variable definitions in force, forwarded to nested requests.
    pub variables: Variables,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.has_errors()
    }

    /// The first error, for a one-message response.
    pub fn first_error(&self) -> Option<&Diagnostic> {
        self.diagnostics.errors().next()
    }

    /// The merged request in canonical form (`req=resolve`).
    pub fn resolved(&self) -> String {
        print(&self.request)
    }
}

/// Parses a plain query string with no catalog strings and default options.
pub fn parse_query(query: &str) -> Parsed {
    parse(
        Sources {
            request: query,
            ..Sources::default()
        },
        &Options::default(),
    )
}

/// Parses and merges Modifier, request and PostModifier.
pub fn parse(sources: Sources<'_>, options: &Options<'_>) -> Parsed {
    parse_at_depth(sources, options, 0)
}

fn parse_at_depth(sources: Sources<'_>, options: &Options<'_>, depth: usize) -> Parsed {
    let mut diagnostics = Diagnostics::default();
    let empty_macros = Macros::new();
    let macros = options.macros.unwrap_or(&empty_macros);

    let texts = [
        SourceText::new(Origin::Modifier, sources.modifier),
        SourceText::new(
            if depth == 0 {
                Origin::Request
            } else {
                Origin::Nested
            },
            sources.request,
        ),
        SourceText::new(Origin::PostModifier, sources.post_modifier),
    ];
    let token_lists: Vec<Vec<lexer::Token>> = texts
        .iter()
        .map(|text| vars::expand_macros(lexer::split(text), macros, &mut diagnostics))
        .collect();

    // Definitions from every source before any substitution (§1.5).
    let mut variables = options.inherited.cloned().unwrap_or_default();
    if let Some(object) = options.object {
        variables.define("object", object);
    }
    for tokens in &token_lists {
        variables.collect(tokens);
    }

    let mut layer_names = BTreeMap::new();
    let scoped: Vec<merge::SourceCommands> = token_lists
        .iter()
        .map(|tokens| {
            merge::scope_source(
                tokens,
                &variables,
                options.substitute,
                &mut layer_names,
                &mut diagnostics,
            )
        })
        .collect();
    let mut request = merge::merge(scoped, layer_names);
    merge::resolve(&mut request, &mut diagnostics);
    check_nested(&request, &variables, options, depth, &mut diagnostics);
    Parsed {
        request,
        diagnostics,
        variables,
    }
}

/// Parses nested `is(...)` requests for their diagnostics, depth-limited (§1.9).
fn check_nested(
    request: &Request,
    variables: &Variables,
    options: &Options<'_>,
    depth: usize,
    diagnostics: &mut Diagnostics,
) {
    for spanned in request.commands.values() {
        let (Command::Src(ast::Source::Nested(nested))
        | Command::Mask(ast::Source::Nested(nested))) = &spanned.value
        else {
            continue;
        };
        if nested.kind != ast::NestedKind::Is {
            continue;
        }
        if depth + 1 > options.nesting_limit {
            diagnostics.push(Diagnostic::error(
                spanned.span.clone(),
                format!(
                    "nested requests go deeper than {} levels",
                    options.nesting_limit
                ),
            ));
            continue;
        }
        let (object, query) = nested
            .body
            .split_once('?')
            .unwrap_or((nested.body.as_str(), ""));
        let inner = parse_at_depth(
            Sources {
                request: query,
                ..Sources::default()
            },
            &Options {
                object: Some(object),
                inherited: Some(variables),
                ..*options
            },
            depth + 1,
        );
        diagnostics.items.extend(inner.diagnostics.items);
    }
}
