//! Property responses (§3.9): `req=props`, `imageprops`, `catalogprops`,
//! `exists`, `validate` in their `text`, `javascript`, `xml` and `json`
//! encodings. This module only formats an ordered list of properties; it
//! never decides their values.

use std::fmt::Write;
use std::time::SystemTime;

use crate::protocol::ast::ResponseFormat;

/// Properties in the order they are written, keys like `image.width`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Properties(pub Vec<(String, String)>);

impl Properties {
    pub fn push(&mut self, key: &str, value: impl ToString) {
        self.0.push((key.to_owned(), value.to_string()));
    }
}

/// How to encode, from `req=type,format` and `&handler=`/`&id=`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encoding {
    Text,
    Javascript,
    Xml,
    /// JSONP: `/*jsonp*/handler({...},"id");`.
    Json {
        handler: String,
        id: Option<String>,
    },
}

impl Encoding {
    pub fn from_request(
        format: Option<ResponseFormat>,
        handler: Option<&str>,
        id: Option<&str>,
    ) -> Encoding {
        match format {
            None | Some(ResponseFormat::Text) => Encoding::Text,
            Some(ResponseFormat::Javascript) => Encoding::Javascript,
            Some(ResponseFormat::Xml) => Encoding::Xml,
            Some(ResponseFormat::Json) => Encoding::Json {
                handler: handler.unwrap_or("s7jsonResponse").to_owned(),
                id: id.map(str::to_owned),
            },
        }
    }
}

/// Java properties escaping of a value: backslash, line breaks, tabs and
/// non-ASCII characters as `\uXXXX`.
fn java_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out
}

fn json_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            // Keep JSONP safe inside a script element.
            '<' => out.push_str("\\u003c"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

fn xml_escape(value: &str) -> String {
    crate::ips::xml::escape(value).into_owned()
}

/// Formats Unix seconds as Java's `Date.toString()` in UTC, as Scene7's
/// property replies do: `Thu Jan 01 00:00:00 UTC 1970`.
pub fn java_date(seconds: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let secs = seconds % 86_400;
    let (year, month, day) = crate::catalog::civil_from_days(days);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[(days % 7) as usize],
        MONTHS[(month as usize).saturating_sub(1) % 12],
        day,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        year
    )
}

/// The `#<timestamp>` line.
fn stamp(now: SystemTime) -> String {
    java_date(
        now.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}

/// Encodes properties; returns the MIME type and the body.
pub fn encode(props: &Properties, encoding: &Encoding, now: SystemTime) -> (&'static str, String) {
    match encoding {
        Encoding::Text => {
            let mut out = format!("#S7Z OK\n#{}\n", stamp(now));
            for (k, v) in &props.0 {
                let _ = writeln!(out, "{k}={}", java_escape(v));
            }
            ("text/plain; charset=utf-8", out)
        }
        Encoding::Javascript => {
            let mut out = String::new();
            for (k, v) in &props.0 {
                let _ = writeln!(
                    out,
                    "{k}='{}';",
                    v.replace('\\', "\\\\").replace('\'', "''")
                );
            }
            ("text/javascript; charset=utf-8", out)
        }
        Encoding::Json { handler, id } => {
            let mut body = String::from("{");
            for (i, (k, v)) in props.0.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                let _ = write!(body, "\"{}\":\"{}\"", json_escape(k), json_escape(v));
            }
            body.push('}');
            let id = id.as_deref().unwrap_or("");
            (
                "text/javascript; charset=utf-8",
                format!("/*jsonp*/{handler}({body},\"{}\");\n", json_escape(id)),
            )
        }
        Encoding::Xml => {
            // Properties are grouped by the part of the key before its first dot.
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prop-group>");
            let mut group: Option<&str> = None;
            for (k, v) in &props.0 {
                let (g, name) = k.split_once('.').unwrap_or(("", k));
                if group != Some(g) {
                    if group.is_some() {
                        out.push_str("</prop-group>");
                    }
                    let _ = write!(out, "<prop-group name=\"{}\">", xml_escape(g));
                    group = Some(g);
                }
                let _ = write!(
                    out,
                    "<property name=\"{}\" value=\"{}\"/>",
                    xml_escape(name),
                    xml_escape(v)
                );
            }
            if group.is_some() {
                out.push_str("</prop-group>");
            }
            out.push_str("</prop-group>\n");
            ("text/xml; charset=utf-8", out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props() -> Properties {
        let mut p = Properties::default();
        p.push("image.width", 2000);
        p.push("image.modifier", "a'b\\c é");
        p.push("metadata.version", 3);
        p
    }

    #[test]
    fn every_encoding() {
        let now = SystemTime::UNIX_EPOCH;
        let (mime, text) = encode(&props(), &Encoding::Text, now);
        assert_eq!(mime, "text/plain; charset=utf-8");
        assert_eq!(
            text,
            "#S7Z OK\n#Thu Jan 01 00:00:00 UTC 1970\nimage.width=2000\nimage.modifier=a'b\\\\c \\u00e9\nmetadata.version=3\n"
        );
        let (_, js) = encode(&props(), &Encoding::Javascript, now);
        assert!(js.contains("image.modifier='a''b\\\\c é';"), "{js}");
        let (_, json) = encode(
            &props(),
            &Encoding::Json {
                handler: "cb".into(),
                id: Some("7".into()),
            },
            now,
        );
        assert_eq!(
            json,
            "/*jsonp*/cb({\"image.width\":\"2000\",\"image.modifier\":\"a'b\\\\c é\",\"metadata.version\":\"3\"},\"7\");\n"
        );
        let (_, xml) = encode(&props(), &Encoding::Xml, now);
        assert!(
            xml.contains("<prop-group name=\"image\"><property name=\"width\" value=\"2000\"/>")
        );
        assert!(xml.contains("</prop-group><prop-group name=\"metadata\"><property name=\"version\" value=\"3\"/></prop-group></prop-group>"));
    }
}
