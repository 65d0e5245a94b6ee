//! The golden-image suite: one named trial per line of
//! `fixtures/golden/cases.txt`, rendered through the same job as the server
//! and compared by decoded pixels (never by encoded bytes) with the PNG in
//! `fixtures/golden/expected/`.
//!
//! A line is `name source tolerance request`: the tolerance is the largest
//! mean absolute difference per channel (0–255) the case accepts, and the
//! request is a query string, or `modifier||request||post-modifier`. A
//! tolerance written `a/b` accepts `b` in builds with the `turbojpeg`
//! feature: libjpeg-turbo rounds its IDCT and upsampling differently from
//! the pure-Rust decoders the expectations were made with, by ±1 per
//! channel, which sharpening then amplifies.
//!
//! Lines `@record name kind modifier` define catalog records the cases can
//! name in `src=`, `mask=` and `template=` (kind `image:fixture.png` or
//! `template`); every fixture is also an image record named by its stem.
//!
//! On a mismatch the actual image and a difference image are written under
//! `target/golden/` and their paths printed. `UPDATE_GOLDEN=1` rewrites the
//! expectations of existing cases only (in the default build: the
//! expectations are its pixels); a new case fails until a person has looked
//! at `target/golden/{name}.png` and copied it into place.

use std::path::PathBuf;
use std::sync::Arc;

use image::RgbaImage;
use libtest_mimic::{Arguments, Failed, Trial};
use rendition::config::Limits;
use rendition::job;
use rendition::protocol::Sources;
use rendition::render::decode::Original;
use rendition::render::text::FontSet;

/// A catalog of the fixtures and the `@record` lines.
struct Fixtures {
    records: Vec<(String, String, String)>,
}

impl job::Resolver for Fixtures {
    fn find(&self, id: &str) -> Result<Option<job::Record>, job::JobError> {
        let name = id.rsplit('/').next().unwrap_or(id);
        let file_record = |file: &str, modifier: &str| -> Option<job::Record> {
            let bytes = std::fs::read(root().join("fixtures").join(file)).ok()?;
            Some(job::Record {
                object: format!("Golden/{name}"),
                kind: job::RecordKind::Image,
                bytes: Some(Original::new(Arc::new(bytes), None)),
                modifier: modifier.to_owned(),
                post_modifier: String::new(),
                anchor: None,
                ids: Vec::new(),
                modified_ms: 0,
            })
        };
        for (record, kind, modifier) in &self.records {
            if record == name {
                return Ok(match kind.strip_prefix("image:") {
                    Some(file) => file_record(file, modifier),
                    None => Some(job::Record {
                        object: format!("Golden/{name}"),
                        kind: job::RecordKind::Template,
                        bytes: None,
                        modifier: modifier.clone(),
                        post_modifier: String::new(),
                        anchor: None,
                        ids: Vec::new(),
                        modified_ms: 0,
                    }),
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

fn read_records() -> Vec<(String, String, String)> {
    let text =
        std::fs::read_to_string(root().join("fixtures/golden/cases.txt")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("@record "))
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some((
                parts.next()?.to_owned(),
                parts.next()?.to_owned(),
                parts.next().unwrap_or("").to_owned(),
            ))
        })
        .collect()
}

struct Case {
    name: String,
    source: String,
    tolerance: f64,
    request: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every case line; a line that does not parse is an error that names it,
/// so a typo never silently drops a case.
fn read_cases() -> Result<Vec<Case>, String> {
    let text = std::fs::read_to_string(root().join("fixtures/golden/cases.txt"))
        .map_err(|e| format!("fixtures/golden/cases.txt: {e}"))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim_start();
            !l.is_empty() && !l.starts_with('#') && !l.starts_with('@')
        })
        .map(|(number, line)| {
            parse_case(line).ok_or_else(|| {
                format!(
                    "fixtures/golden/cases.txt:{}: cannot read {line:?}",
                    number + 1
                )
            })
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

/// Renders a case and decodes the reply.
fn render_case(case: &Case) -> Result<RgbaImage, String> {
    let bytes = if case.source == "-" {
        Vec::new()
    } else {
        std::fs::read(root().join("fixtures").join(&case.source))
            .map_err(|e| format!("{}: {e}", case.source))?
    };
    let parts: Vec<&str> = case.request.split("||").collect();
    let sources = match parts.as_slice() {
        [m, r, p] => Sources {
            modifier: m,
            request: r,
            post_modifier: p,
        },
        _ => Sources {
            request: &case.request,
            ..Sources::default()
        },
    };
    let stem = case.source.split('.').next().unwrap_or("source");
    let fixtures = Fixtures {
        records: read_records(),
    };
    let limits = Limits::default();
    let ctx = job::Context {
        resolver: &fixtures,
        limits: &limits,
        fonts: FontSet::shared(),
        decoded: None,
    };
    // A source of `-` renders without a path object file (templates).
    let source = (case.source != "-").then(|| Original::new(Arc::new(bytes), None));
    let encoded =
        job::render(source, sources, &format!("Golden/{stem}"), &ctx).map_err(|e| e.to_string())?;
    image::load_from_memory(&encoded.bytes)
        .map(|i| i.to_rgba8())
        .map_err(|e| format!("cannot decode the {} reply: {e}", encoded.content_type))
}

fn out_dir() -> PathBuf {
    let dir = root().join("target/golden");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Mean absolute difference per channel, and the difference image.
fn compare(actual: &RgbaImage, expected: &RgbaImage) -> (f64, RgbaImage) {
    let mut total = 0u64;
    let diff = RgbaImage::from_fn(actual.width(), actual.height(), |x, y| {
        let a = actual.get_pixel(x, y).0;
        let e = expected.get_pixel(x, y).0;
        let d: Vec<u8> = (0..4).map(|c| a[c].abs_diff(e[c])).collect();
        total += d.iter().map(|&v| u64::from(v)).sum::<u64>();
        let m = d.iter().copied().max().unwrap_or(0).saturating_mul(4);
        image::Rgba([m, m, m, 255])
    });
    let n = u64::from(actual.width()) * u64::from(actual.height()) * 4;
    (total as f64 / n.max(1) as f64, diff)
}

fn run(case: &Case) -> Result<(), Failed> {
    let actual = render_case(case)?;
    let expected_path = root()
        .join("fixtures/golden/expected")
        .join(format!("{}.png", case.name));
    if !expected_path.exists() {
        let path = out_dir().join(format!("{}.png", case.name));
        actual.save(&path).map_err(|e| e.to_string())?;
        return Err(format!(
            "no expected image: look at {} and, if it is right, copy it to {}",
            path.display(),
            expected_path.display()
        )
        .into());
    }
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if cfg!(feature = "turbojpeg") {
            return Err("UPDATE_GOLDEN rewrites expectations from the default build only".into());
        }
        actual.save(&expected_path).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let expected = image::open(&expected_path)
        .map_err(|e| format!("{}: {e}", expected_path.display()))?
        .to_rgba8();
    if actual.dimensions() != expected.dimensions() {
        let path = save_actual(case, &actual)?;
        return Err(format!(
            "size {:?}, expected {:?}; actual written to {}",
            actual.dimensions(),
            expected.dimensions(),
            path.display()
        )
        .into());
    }
    let (mae, diff) = compare(&actual, &expected);
    if mae > case.tolerance {
        let path = save_actual(case, &actual)?;
        let diff_path = out_dir().join(format!("{}.diff.png", case.name));
        diff.save(&diff_path).map_err(|e| e.to_string())?;
        return Err(format!(
            "mean difference {mae:.3} > tolerance {}; actual {}, difference {}",
            case.tolerance,
            path.display(),
            diff_path.display()
        )
        .into());
    }
    Ok(())
}

fn save_actual(case: &Case, actual: &RgbaImage) -> Result<PathBuf, Failed> {
    let path = out_dir().join(format!("{}.actual.png", case.name));
    actual.save(&path).map_err(|e| e.to_string())?;
    Ok(path)
}

fn main() {
    let args = Arguments::from_args();
    let cases = match read_cases() {
        Ok(cases) if !cases.is_empty() => cases,
        Ok(_) => {
            eprintln!("no golden cases in fixtures/golden/cases.txt");
            std::process::exit(101);
        }
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(101);
        }
    };
    let trials = cases
        .into_iter()
        .map(|case| Trial::test(case.name.clone(), move || run(&case)))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
