//! A small XML tree for SOAP messages: namespaced elements with text, read by
//! quick-xml under limits, and a writer that escapes what it writes.
//!
//! Documents with a DOCTYPE are refused (no entity tricks), and depth, element
//! count and size are bounded before anything is built. This module knows
//! nothing of SOAP or IPS semantics.

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

/// Bounds on a request document.
#[derive(Clone, Copy, Debug)]
pub struct XmlLimits {
    pub max_depth: usize,
    pub max_elements: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        XmlLimits {
            max_depth: 32,
            max_elements: 100_000,
        }
    }
}

/// Why a document was refused.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("malformed XML: {0}")]
    Malformed(String),
    #[error("XML with a DOCTYPE is not accepted")]
    DocType,
    #[error("XML nests deeper than {0} elements")]
    TooDeep(usize),
    #[error("XML has more than {0} elements")]
    TooMany(usize),
    #[error("the document has no root element")]
    Empty,
}

/// An element: namespace, local name, children and concatenated text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    /// The namespace URI, empty when unbound.
    pub ns: String,
    pub name: String,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// The first child with this local name, in any namespace.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child with this local name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// The texts of `<items>` under the first child with this name (IPS arrays).
    pub fn items(&self, name: &str) -> Vec<String> {
        self.child(name)
            .map(|array| {
                array
                    .children_named("items")
                    .map(|i| i.text.trim().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn resolve(ns: ResolveResult<'_>) -> Result<String, XmlError> {
    match ns {
        ResolveResult::Bound(n) => Ok(String::from_utf8_lossy(n.as_ref()).into_owned()),
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(p) => Err(XmlError::Malformed(format!(
            "unknown namespace prefix '{}'",
            String::from_utf8_lossy(&p)
        ))),
    }
}

/// Parses a document into its root element.
pub fn parse(bytes: &[u8], limits: XmlLimits) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let mut count = 0usize;
    let malformed = |e: quick_xml::Error| XmlError::Malformed(e.to_string());
    loop {
        let (ns, event) = reader
            .read_resolved_event_into(&mut buf)
            .map_err(malformed)?;
        let is_empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(start) | Event::Empty(start) => {
                count += 1;
                if count > limits.max_elements {
                    return Err(XmlError::TooMany(limits.max_elements));
                }
                if stack.len() >= limits.max_depth {
                    return Err(XmlError::TooDeep(limits.max_depth));
                }
                let element = Element {
                    ns: resolve(ns)?,
                    name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                    ..Element::default()
                };
                if is_empty {
                    attach(&mut stack, &mut root, element)?;
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unbalanced end tag".to_owned()))?;
                attach(&mut stack, &mut root, element)?;
            }
            Event::Text(text) => {
                let decoded = text
                    .decode()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&decoded);
                } else if !decoded.trim().is_empty() {
                    return Err(XmlError::Malformed(
                        "text outside the root element".to_owned(),
                    ));
                }
            }
            Event::CData(cdata) => {
                let decoded = cdata
                    .decode()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&decoded);
                }
            }
            Event::GeneralRef(reference) => {
                let c = if reference.is_char_ref() {
                    reference
                        .resolve_char_ref()
                        .map_err(malformed)?
                        .ok_or_else(|| XmlError::Malformed("bad character reference".to_owned()))?
                } else {
                    let name = reference
                        .decode()
                        .map_err(|e| XmlError::Malformed(e.to_string()))?;
                    match name.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => {
                            return Err(XmlError::Malformed(format!("unknown entity &{other};")));
                        }
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(c);
                }
            }
            Event::DocType(_) => return Err(XmlError::DocType),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element".to_owned()));
    }
    root.ok_or(XmlError::Empty)
}

fn attach(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err(XmlError::Malformed("more than one root element".to_owned())),
    }
    Ok(())
}

/// Escapes text for attribute values (`&`, `<`, `>`, quotes).
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(text)
}

/// Escapes text for element content (`&`, `<`, `>`).
pub fn escape_text(text: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::partial_escape(text)
}

/// Writes XML elements without a namespace prefix, escaping all text.
#[derive(Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.out.push_str(&escape_text(text));
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// A leaf, only when there is a value.
    pub fn opt_leaf(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.leaf(name, t);
        }
        self
    }

    /// `<name>` … `</name>` around what `body` writes.
    pub fn node(&mut self, name: &str, body: impl FnOnce(&mut Writer)) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        body(self);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_text_and_entities() {
        let doc = br#"<?xml version="1.0"?>
<e:Envelope xmlns:e="urn:env"><e:Body><p xmlns="urn:p"><a>x &amp;amp; &#65;</a><b/><![CDATA[<c>]]></p></e:Body></e:Envelope>"#;
        let root = parse(doc, XmlLimits::default()).unwrap();
        assert_eq!(
            (root.ns.as_str(), root.name.as_str()),
            ("urn:env", "Envelope")
        );
        let p = &root.child("Body").unwrap().children[0];
        assert_eq!(p.ns, "urn:p");
        assert_eq!(p.child_text("a"), Some("x &amp; A"));
        assert_eq!(p.child_text("b"), Some(""));
        assert_eq!(p.text, "<c>");
    }

    #[test]
    fn refuses_doctype_depth_and_garbage() {
        let bomb = br#"<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#;
        assert!(matches!(
            parse(bomb, XmlLimits::default()),
            Err(XmlError::DocType)
        ));
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert!(matches!(
            parse(deep.as_bytes(), XmlLimits::default()),
            Err(XmlError::TooDeep(_))
        ));
        assert!(parse(b"<a><b></a>", XmlLimits::default()).is_err());
        assert!(parse(b"", XmlLimits::default()).is_err());
        assert!(parse(b"<a>&bogus;</a>", XmlLimits::default()).is_err());
        assert!(parse(b"<a/><b/>", XmlLimits::default()).is_err());
        assert!(parse(b"<p:a/>", XmlLimits::default()).is_err());
    }

    #[test]
    fn writer_escapes() {
        let mut w = Writer::new();
        w.node("r", |w| {
            w.leaf("m", "crop=0,0,1,1&wid=<2>");
        });
        assert_eq!(w.finish(), "<r><m>crop=0,0,1,1&amp;wid=&lt;2&gt;</m></r>");
    }
}
