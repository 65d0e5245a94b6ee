//! Command macros (`$name$`, §1.4) and substitution variables (`$var=`,
//! `$var$`, §1.5).
//!
//! Macros are expanded textually, early, from a table the caller passes in:
//! the macro token is replaced by the tokens of its body, so last-one-wins then
//! works by position. Variable definitions are collected from every source
//! (PostModifier over request over Modifier, last one wins within a source)
//! before any value is substituted. Substitution is one pass: references inside
//! a variable's value are never expanded, and undefined references stay literal.
//! Nothing here parses command values.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use super::diagnostic::{Diagnostic, Diagnostics, Origin, SourceText};
use super::lexer::{self, Token, percent_decode};

/// How deep macros may invoke other macros.
pub const MAX_MACRO_DEPTH: usize = 8;

/// Named command bundles (Image Presets); names are case-insensitive.
#[derive(Clone, Debug, Default)]
pub struct Macros {
    bodies: HashMap<String, Arc<SourceText>>,
}

impl Macros {
    pub fn new() -> Macros {
        Macros::default()
    }

    /// Adds or replaces a macro; `body` is a modifier string such as `wid=200&qlt=80`.
    pub fn insert(&mut self, name: &str, body: &str) {
        let key = name.to_ascii_lowercase();
        let source = SourceText::new(Origin::Macro(name.to_owned()), body);
        self.bodies.insert(key, source);
    }

    pub fn get(&self, name: &str) -> Option<&Arc<SourceText>> {
        self.bodies.get(&name.to_ascii_lowercase())
    }

    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }
}

/// Whether a string is a valid macro or variable name.
pub fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// What a token whose name starts with `$` is.
pub enum Dollar<'a> {
    /// `$name$`: a macro reference.
    Macro(&'a str),
    /// `$name=value`: a variable definition.
    Definition(&'a str),
    /// Anything else that starts with `$`.
    Malformed,
    /// The token does not start with `$`.
    NotDollar,
}

pub fn classify(token: &Token) -> Dollar<'_> {
    let Some(rest) = token.raw_name().strip_prefix('$') else {
        return Dollar::NotDollar;
    };
    match (rest.strip_suffix('$'), token.value.is_some()) {
        (Some(name), false) if is_name(name) => Dollar::Macro(name),
        (None, true) if is_name(rest) => Dollar::Definition(rest),
        _ => Dollar::Malformed,
    }
}

/// Replaces macro tokens by the tokens of their bodies, recursively.
pub fn expand_macros(
    tokens: Vec<Token>,
    macros: &Macros,
    diagnostics: &mut Diagnostics,
) -> Vec<Token> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut stack = Vec::new();
    expand_into(tokens, macros, diagnostics, &mut stack, &mut out);
    out
}

fn expand_into(
    tokens: Vec<Token>,
    macros: &Macros,
    diagnostics: &mut Diagnostics,
    stack: &mut Vec<String>,
    out: &mut Vec<Token>,
) {
    for token in tokens {
        let Dollar::Macro(name) = classify(&token) else {
            out.push(token);
            continue;
        };
        let key = name.to_ascii_lowercase();
        match macros.get(name) {
            None => diagnostics.push(Diagnostic::error(
                token.span(),
                format!("undefined macro ${name}$"),
            )),
            Some(_) if stack.contains(&key) => diagnostics.push(Diagnostic::error(
                token.span(),
                format!("macro ${name}$ invokes itself"),
            )),
            Some(_) if stack.len() >= MAX_MACRO_DEPTH => diagnostics.push(Diagnostic::error(
                token.span(),
                format!("macros nest deeper than {MAX_MACRO_DEPTH} levels"),
            )),
            Some(body) => {
                let inner = lexer::split(body);
                stack.push(key);
                expand_into(inner, macros, diagnostics, stack, out);
                stack.pop();
            }
        }
    }
}

/// Variable definitions, by lower-case name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variables {
    values: HashMap<String, String>,
}

impl Variables {
    pub fn new() -> Variables {
        Variables::default()
    }

    /// Defines or redefines a variable; a later definition wins.
    pub fn define(&mut self, name: &str, value: &str) {
        self.values
            .insert(name.to_ascii_lowercase(), value.to_owned());
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Adds the definitions of `tokens`, in order.
    pub fn collect(&mut self, tokens: &[Token]) {
        for token in tokens {
            if let Dollar::Definition(name) = classify(token) {
                let value = percent_decode(token.raw_value().unwrap_or(""), true);
                self.define(name, &value);
            }
        }
    }

    /// All definitions, sorted by name, for forwarding to nested requests.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut all: Vec<(&str, &str)> = self
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        all.sort_unstable();
        all.into_iter()
    }

    /// Replaces `$name$` references in one pass; undefined ones stay literal.
    pub fn substitute<'v>(&self, value: &'v str) -> Cow<'v, str> {
        if !value.contains('$') || self.values.is_empty() {
            return Cow::Borrowed(value);
        }
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(start) = rest.find('$') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let replaced = after.find('$').and_then(|end| {
                let name = &after[..end];
                if !is_name(name) {
                    return None;
                }
                self.get(name).map(|v| (v, end))
            });
            match replaced {
                Some((v, end)) => {
                    out.push_str(v);
                    rest = &after[end + 1..];
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        Cow::Owned(out)
    }
}

/// Whether a value holds anything that looks like a `$var$` reference.
pub fn has_reference(value: &str) -> bool {
    value.contains('$')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Vec<Token> {
        lexer::split(&SourceText::new(Origin::Request, s))
    }

    #[test]
    fn substitution_is_one_pass_and_leaves_undefined_references() {
        let mut vars = Variables::new();
        vars.collect(&tokens("$var2=apple&$var1=my$var2$tree"));
        assert_eq!(vars.substitute("$var1$"), "my$var2$tree");
        assert_eq!(vars.substitute("my$image$file.tif"), "my$image$file.tif");
        assert_eq!(vars.substitute("$VAR2$-$var2$"), "apple-apple");
        assert_eq!(vars.substitute("a$b$var2$"), "a$bapple");
        assert_eq!(vars.substitute("$"), "$");
    }

    #[test]
    fn definitions_are_decoded() {
        let mut vars = Variables::new();
        vars.collect(&tokens(
            "$text=rate%26weight%3D85%25%2027%23&$t2=about+the+image",
        ));
        assert_eq!(vars.get("TEXT"), Some("rate&weight=85% 27#"));
        assert_eq!(vars.get("t2"), Some("about the image"));
    }

    #[test]
    fn macros_expand_in_place_and_refuse_cycles() {
        let mut macros = Macros::new();
        macros.insert("view", "wid=480&$inner$");
        macros.insert("inner", "hei=10");
        macros.insert("loop", "$loop$");
        let mut diags = Diagnostics::default();
        let out = expand_macros(tokens("qlt=1&$VIEW$&fmt=png"), &macros, &mut diags);
        let names: Vec<&str> = out.iter().map(Token::raw_name).collect();
        assert_eq!(names, ["qlt", "wid", "hei", "fmt"]);
        assert!(diags.is_empty());
        expand_macros(tokens("$loop$&$nope$"), &macros, &mut diags);
        assert_eq!(diags.errors().count(), 2);
    }
}
