//! Lexing: a modifier string into `name[=value]` tokens (§1.1–§1.3, §1.8).
//!
//! The string is split on unencoded `&`, but never inside `(...)` or `{...}`,
//! so nested requests survive whole. Each token is split at its first `=`.
//! Empty tokens and comments (a leading `.`) are dropped. Nothing is decoded
//! here: tokens keep byte ranges into their source so diagnostics can point
//! at them; `percent_decode` runs after the split. This module never fails.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use super::diagnostic::{SourceText, Span};

/// One `name[=value]` modifier, as byte ranges into its source string.
#[derive(Clone, Debug)]
pub struct Token {
    pub source: Arc<SourceText>,
    /// The whole token.
    pub span: Range<usize>,
    /// The name, before the first `=`.
    pub name: Range<usize>,
    /// The value after the first `=`, if there is an `=`.
    pub value: Option<Range<usize>>,
}

impl Token {
    pub fn raw_name(&self) -> &str {
        self.source.text.get(self.name.clone()).unwrap_or("")
    }

    pub fn raw_value(&self) -> Option<&str> {
        self.value
            .as_ref()
            .and_then(|v| self.source.text.get(v.clone()))
    }

    pub fn span(&self) -> Span {
        Span::new(&self.source, self.span.clone())
    }

    pub fn name_span(&self) -> Span {
        Span::new(&self.source, self.name.clone())
    }

    /// The value's span, or the token's when there is no value.
    pub fn value_span(&self) -> Span {
        match &self.value {
            Some(v) => Span::new(&self.source, v.clone()),
            None => self.span(),
        }
    }
}

/// Splits a modifier string into tokens, dropping empty tokens and comments.
pub fn split(source: &Arc<SourceText>) -> Vec<Token> {
    let text = source.text.as_bytes();
    let mut tokens = Vec::new();
    let mut depth = 0usize;
    let mut start = 0usize;
    for (i, &byte) in text.iter().enumerate() {
        match byte {
            b'(' | b'{' => depth += 1,
            b')' | b'}' => depth = depth.saturating_sub(1),
            b'&' if depth == 0 => {
                push_token(source, start..i, &mut tokens);
                start = i + 1;
            }
            _ => {}
        }
    }
    push_token(source, start..text.len(), &mut tokens);
    tokens
}

fn push_token(source: &Arc<SourceText>, range: Range<usize>, tokens: &mut Vec<Token>) {
    let text = source.text.as_bytes();
    let Some(piece) = text.get(range.clone()) else {
        return;
    };
    if piece.is_empty() || piece[0] == b'.' {
        return;
    }
    let (name, value) = match piece.iter().position(|&b| b == b'=') {
        Some(eq) => (
            range.start..range.start + eq,
            Some(range.start + eq + 1..range.end),
        ),
        None => (range.clone(), None),
    };
    tokens.push(Token {
        source: Arc::clone(source),
        span: range,
        name,
        value,
    });
}

/// Decodes `%xx` escapes, and `+` as a space when `plus_as_space` is set.
///
/// Malformed escapes are kept as they are; bytes that do not form UTF-8 become
/// U+FFFD. Borrows when there is nothing to decode.
pub fn percent_decode(raw: &str, plus_as_space: bool) -> Cow<'_, str> {
    let bytes = raw.as_bytes();
    if !bytes
        .iter()
        .any(|&b| b == b'%' || (plus_as_space && b == b'+'))
    {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex_digit(bytes[i + 1]), hex_digit(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(if plus_as_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Characters that the canonical printer escapes in free-text values.
///
/// `%`, `&`, `=` and `+` would change meaning when read back; `#` would end
/// the URL; white space and controls are never legal in a request.
fn must_escape(c: char) -> bool {
    matches!(
        c,
        '%' | '&' | '+' | '=' | '#' | '"' | '<' | '>' | '\\' | '^' | '`' | '|'
    ) || c.is_ascii_whitespace()
        || c.is_ascii_control()
        || !c.is_ascii()
}

/// Percent-encodes a decoded value so that `percent_decode` gives it back.
///
/// Brackets are escaped too when they are unbalanced, because the lexer uses
/// them to find where nested requests end.
pub fn percent_encode(value: &str) -> Cow<'_, str> {
    let balanced = brackets_balanced(value);
    let escape = |c: char| must_escape(c) || (!balanced && matches!(c, '(' | ')' | '{' | '}'));
    if !value.chars().any(escape) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if escape(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// True when every `(`/`{` is closed by a later `)`/`}` and none closes early.
pub fn brackets_balanced(value: &str) -> bool {
    let mut depth = 0i64;
    for b in value.bytes() {
        match b {
            b'(' | b'{' => depth += 1,
            b')' | b'}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::diagnostic::Origin;

    fn pieces(s: &str) -> Vec<(String, Option<String>)> {
        let src = SourceText::new(Origin::Request, s);
        split(&src)
            .iter()
            .map(|t| (t.raw_name().to_owned(), t.raw_value().map(str::to_owned)))
            .collect()
    }

    #[test]
    fn splits_on_ampersand_outside_nesting() {
        assert_eq!(
            pieces("&.BG&layer=5&src=is(a/b?wid=1&hei=2)&x&&y="),
            vec![
                ("layer".into(), Some("5".into())),
                ("src".into(), Some("is(a/b?wid=1&hei=2)".into())),
                ("x".into(), None),
                ("y".into(), Some("".into())),
            ]
        );
    }

    #[test]
    fn braces_and_parentheses_both_nest() {
        assert_eq!(pieces("src=is{a?b=1&c=(2&3)}&d=4").len(), 2);
    }

    #[test]
    fn name_ends_at_first_equals() {
        assert_eq!(pieces("a=b=c"), vec![("a".into(), Some("b=c".into()))]);
    }

    #[test]
    fn decoding_follows_section_1_2() {
        assert_eq!(
            percent_decode("rate%26weight%3D85%25%2027%23", true),
            "rate&weight=85% 27#"
        );
        assert_eq!(percent_decode("layer+2+text", true), "layer 2 text");
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("100%", true), "100%");
        assert_eq!(percent_decode("%zz%4", true), "%zz%4");
        assert_eq!(percent_decode("%C3%A9", true), "é");
        assert_eq!(percent_decode("%FF", true), "\u{FFFD}");
    }

    #[test]
    fn encoding_round_trips() {
        for s in ["a b&c=d%e+f", "é(x", "{\\rtf1 x}", ")(", "plain,1,2"] {
            assert_eq!(percent_decode(&percent_encode(s), true), s, "{s}");
        }
        assert_eq!(percent_encode("{\\rtf1 x}"), "{%5Crtf1%20x}");
    }
}
