//! The golden cases and their catalog, shared by `tests/golden.rs` and
//! `benches/end_to_end.rs` (each includes this file with `#[path]`): reading
//! `fixtures/golden/cases.txt` — case lines and `@record` lines — the
//! resolver that serves the fixtures and records, and a case's sources.
//! It never renders or compares pixels.
//!
//! A case line is `name source tolerance request`: the tolerance is the
//! largest mean absolute difference per channel (0–255) the case accepts;
//! `a/b` accepts `b` in builds with the `turbojpeg` feature, whose decoder
//! rounds differently. The request is a query string, or
//! `modifier||request||post-modifier`. A source of `-` renders without a path
//! object file. `@record name kind modifier` defines a catalog record (kind
//! `image:fixture.png` or `template`); every fixture is also an image record
//! named by its stem.

// Each includer uses part of this file (the bench needs no tolerance).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use rendition::job;
use rendition::protocol::Sources;
use rendition::render::decode::Original;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const CASES_FILE: &str = "fixtures/golden/cases.txt";

fn cases_text() -> Result<String, String> {
    std::fs::read_to_string(root().join(CASES_FILE)).map_err(|e| format!("{CASES_FILE}: {e}"))
}

/// One case line.
pub struct Case {
    pub name: String,
    /// A fixture file name, or `-` for none.
    pub source: String,
    /// The tolerance of this build.
    pub tolerance: f64,
    pub request: String,
}

impl Case {
    /// The request's three parts.
    pub fn sources(&self) -> Sources<'_> {
        match self.request.split("||").collect::<Vec<_>>().as_slice() {
            [modifier, request, post_modifier] => Sources {
                modifier,
                request,
                post_modifier,
            },
            _ => Sources {
                request: &self.request,
                ..Sources::default()
            },
        }
    }

    /// The path object's bytes; `None` for a source of `-`.
    pub fn original(&self) -> Result<Option<Original>, String> {
        if self.source == "-" {
            return Ok(None);
        }
        let bytes = std::fs::read(root().join("fixtures").join(&self.source))
            .map_err(|e| format!("{}: {e}", self.source))?;
        Ok(Some(Original::new(Arc::new(bytes), None)))
    }

    /// The catalog name the case renders as.
    pub fn object(&self) -> String {
        let stem = self.source.split('.').next().unwrap_or("source");
        format!("Golden/{stem}")
    }
}

/// Every case line; a line that does not parse is an error that names it,
/// so a typo never silently drops a case.
pub fn read_cases() -> Result<Vec<Case>, String> {
    cases_text()?
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim_start();
            !l.is_empty() && !l.starts_with('#') && !l.starts_with('@')
        })
        .map(|(number, line)| {
            parse_case(line)
                .ok_or_else(|| format!("{CASES_FILE}:{}: cannot read {line:?}", number + 1))
        })
        .collect()
}

/// `name source tolerance[/turbojpeg-tolerance] [request]`.
fn parse_case(line: &str) -> Option<Case> {
    let mut parts = line.split_whitespace();
    let name = parts.next()?.to_owned();
    let source = parts.next()?.to_owned();
    let tolerance = parts.next()?;
    let (default, turbojpeg) = match tolerance.split_once('/') {
        Some((default, turbojpeg)) => (default.parse().ok()?, turbojpeg.parse().ok()?),
        None => {
            let tolerance: f64 = tolerance.parse().ok()?;
            (tolerance, tolerance)
        }
    };
    let request = parts.next().unwrap_or("").to_owned();
    if parts.next().is_some() {
        return None;
    }
    Some(Case {
        name,
        source,
        tolerance: if cfg!(feature = "turbojpeg") {
            turbojpeg
        } else {
            default
        },
        request,
    })
}

/// A catalog of the fixtures and the `@record` lines.
pub struct Fixtures {
    /// `(name, kind, modifier)` of each `@record` line.
    records: Vec<(String, String, String)>,
}

impl Fixtures {
    /// Reads the `@record` lines.
    pub fn load() -> Result<Fixtures, String> {
        let records = cases_text()?
            .lines()
            .filter_map(|l| l.strip_prefix("@record "))
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                Some((
                    parts.next()?.to_owned(),
                    parts.next()?.to_owned(),
                    parts.next().unwrap_or("").to_owned(),
                ))
            })
            .collect();
        Ok(Fixtures { records })
    }
}

impl job::Resolver for Fixtures {
    fn find(&self, id: &str) -> Result<Option<job::Record>, job::JobError> {
        let name = id.rsplit('/').next().unwrap_or(id);
        let record = |kind: job::RecordKind, bytes: Option<Original>, modifier: &str| job::Record {
            object: format!("Golden/{name}"),
            kind,
            bytes,
            modifier: modifier.to_owned(),
            post_modifier: String::new(),
            anchor: None,
            ids: Vec::new(),
            modified_ms: 0,
        };
        let file_record = |file: &str, modifier: &str| {
            let bytes = std::fs::read(root().join("fixtures").join(file)).ok()?;
            let original = Original::new(Arc::new(bytes), None);
            Some(record(job::RecordKind::Image, Some(original), modifier))
        };
        for (record_name, kind, modifier) in &self.records {
            if record_name == name {
                return Ok(match kind.strip_prefix("image:") {
                    Some(file) => file_record(file, modifier),
                    None => Some(record(job::RecordKind::Template, None, modifier)),
                });
            }
        }
        for ext in ["jpg", "png"] {
            if let Some(r) = file_record(&format!("{name}.{ext}"), "") {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }
}
