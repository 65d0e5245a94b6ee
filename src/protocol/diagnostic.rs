//! Diagnostics: what the parser found wrong, and where.
//!
//! A diagnostic points at a byte span of the string it came from (the Modifier,
//! the request, the PostModifier, a macro body or a nested request) and prints
//! that string with `^^^` under the span. This module never decides what an
//! error means for a client: the HTTP layer turns errors into 403 responses and
//! the IPS layer into faults.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// Which string a piece of text came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// `catalog::Modifier`, the derived asset's `urlModifier`.
    Modifier,
    /// The query string of the HTTP request.
    Request,
    /// `catalog::PostModifier`, the derived asset's `urlPostApplyModifier`.
    PostModifier,
    /// The body of a command macro (`$name$`).
    Macro(String),
    /// The body of a nested `is(...)` request.
    Nested,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Modifier => f.write_str("modifier"),
            Origin::Request => f.write_str("request"),
            Origin::PostModifier => f.write_str("post-modifier"),
            Origin::Macro(name) => write!(f, "macro ${name}$"),
            Origin::Nested => f.write_str("nested request"),
        }
    }
}

/// A string that commands were read from, shared by the tokens and diagnostics
/// that point into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceText {
    pub origin: Origin,
    pub text: Arc<str>,
}

impl SourceText {
    pub fn new(origin: Origin, text: &str) -> Arc<SourceText> {
        Arc::new(SourceText {
            origin,
            text: Arc::from(text),
        })
    }
}

/// A byte range in one source string.
#[derive(Clone, Debug)]
pub struct Span {
    pub source: Arc<SourceText>,
    pub range: Range<usize>,
}

impl Span {
    pub fn new(source: &Arc<SourceText>, range: Range<usize>) -> Span {
        Span {
            source: Arc::clone(source),
            range,
        }
    }

    /// The text under the span.
    pub fn text(&self) -> &str {
        self.source.text.get(self.range.clone()).unwrap_or("")
    }
}

/// A value together with the place it was read from.
///
/// Equality compares the values only, so that two requests that say the same
/// thing compare equal wherever their commands were written.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The command was ignored; the request still succeeds.
    Warning,
    /// The request must be refused.
    Error,
}

/// One finding of the parser.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Span,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
        }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            message: message.into(),
            span,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// Prints `error: message`, then the source string with carets under the span.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        writeln!(f, "{label}: {}", self.message)?;
        let prefix = format!("  {}: ", self.span.source.origin);
        let text = &self.span.source.text;
        writeln!(f, "{prefix}{text}")?;
        let start = self.span.range.start.min(text.len());
        let end = self.span.range.end.clamp(start, text.len());
        // Carets line up by characters, not bytes, so multi-byte text stays aligned.
        let lead = text.get(..start).map_or(start, |s| s.chars().count());
        let width = text.get(start..end).map_or(1, |s| s.chars().count()).max(1);
        write!(
            f,
            "{}{}",
            " ".repeat(prefix.chars().count() + lead),
            "^".repeat(width)
        )
    }
}

/// Every diagnostic of one parse, in the order they were found.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| !d.is_error())
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_sit_under_the_span() {
        let src = SourceText::new(Origin::Request, "wid=abc&hei=2");
        let d = Diagnostic::error(Span::new(&src, 4..7), "bad");
        assert_eq!(
            d.to_string(),
            "error: bad\n  request: wid=abc&hei=2\n               ^^^"
        );
    }

    #[test]
    fn carets_count_characters_not_bytes() {
        let src = SourceText::new(Origin::Request, "text=é&wid=x");
        let d = Diagnostic::error(Span::new(&src, 12..13), "bad");
        let last = d.to_string().lines().last().map(str::to_owned);
        assert_eq!(last.as_deref(), Some(&*format!("{}^", " ".repeat(11 + 11))));
    }
}
