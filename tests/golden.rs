//! The golden-image suite: one named trial per line of
//! `fixtures/golden/cases.txt`, rendered through the same job as the server
//! and compared by decoded pixels (never by encoded bytes) with the PNG in
//! `fixtures/golden/expected/`.
//!
//! The line format (tolerances per build, `@record` lines) is described,
//! and read, in `tests/support/golden_cases.rs`.
//!
//! On a mismatch the actual image and a difference image are written under
//! `target/golden/` and their paths printed. `UPDATE_GOLDEN=1` rewrites the
//! expectations of existing cases only (in the default build: the
//! expectations are its pixels); a new case fails until a person has looked
//! at `target/golden/{name}.png` and copied it into place.

#[path = "support/golden_cases.rs"]
mod golden_cases;

use std::path::PathBuf;

use golden_cases::{Case, Fixtures, read_cases, root};
use image::RgbaImage;
use libtest_mimic::{Arguments, Failed, Trial};
use rendition::config::Limits;
use rendition::job;
use rendition::render::text::FontSet;

/// Renders a case and decodes the reply.
fn render_case(case: &Case) -> Result<RgbaImage, String> {
    let fixtures = Fixtures::load()?;
    let limits = Limits::default();
    let ctx = job::Context {
        resolver: &fixtures,
        limits: &limits,
        fonts: FontSet::shared(),
        decoded: None,
    };
    let encoded = job::render(case.original()?, case.sources(), &case.object(), &ctx)
        .map_err(|e| e.to_string())?;
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
