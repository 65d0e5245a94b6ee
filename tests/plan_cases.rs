//! Data-driven planner tests: every `tests/data/plan/*.txt` file is a table of
//! cases, each an input line followed by its expected plan, indented.
//!
//! An input line is `WxH query`: the layer-0 source size, a space, then the
//! request's query (which may be empty). `@set key=value …` changes the
//! attributes for the cases after it in the same file, `@reset` restores the
//! defaults; `#` starts a comment. Keys: `max_pix`, `default_pix`,
//! `default_thumb_pix` (`w,h`), `resolution`, `thumb_res` (numbers),
//! `thumb_type` (`crop`, `fit`, `texture`), `thumb_align` (`left|center|right`
//! `,` `top|center|bottom`), `anchor` (`x,y` or `none`), `nested` and
//! `client_dpr` (`none` or a number). The output is the plan's `Display`, or
//! `error: …` as the client reads it. Run with `UPDATE_EXPECT=1` to rewrite
//! the expectations from the actual output.

use std::fs;
use std::path::{Path, PathBuf};

use rendition::plan::{self, PlanInput, ThumbAlign, ThumbType};
use rendition::protocol;

struct Case {
    input: String,
    expected: Vec<String>,
    settings: PlanInput,
}

enum Line {
    Verbatim(String),
    Case(usize),
}

fn pair(value: &str) -> Result<(u32, u32), String> {
    let (a, b) = value
        .split_once(',')
        .ok_or(format!("`{value}`: want w,h"))?;
    let n = |s: &str| s.trim().parse::<u32>().map_err(|e| format!("`{s}`: {e}"));
    Ok((n(a)?, n(b)?))
}

fn apply(settings: &mut PlanInput, key: &str, value: &str) -> Result<(), String> {
    let attrs = &mut settings.attributes;
    let real = |s: &str| s.parse::<f64>().map_err(|e| format!("`{s}`: {e}"));
    match key {
        "max_pix" => attrs.max_pix = pair(value)?,
        "default_pix" => attrs.default_pix = pair(value)?,
        "default_thumb_pix" => attrs.default_thumb_pix = pair(value)?,
        "resolution" => attrs.resolution = real(value)?,
        "thumb_res" => attrs.thumb_res = real(value)?,
        "thumb_type" => {
            attrs.thumb_type = match value {
                "crop" => ThumbType::Crop,
                "fit" => ThumbType::Fit,
                "texture" => ThumbType::Texture,
                _ => return Err(format!("thumb_type `{value}`")),
            }
        }
        "thumb_align" => {
            let (h, v) = value.split_once(',').ok_or("thumb_align: want h,v")?;
            let align = |s: &str| match s {
                "left" | "top" => Ok(ThumbAlign::Start),
                "center" => Ok(ThumbAlign::Center),
                "right" | "bottom" => Ok(ThumbAlign::End),
                _ => Err(format!("thumb_align `{s}`")),
            };
            attrs.thumb_align = (align(h)?, align(v)?);
        }
        "anchor" if value == "none" => attrs.anchor = None,
        "anchor" => {
            let (x, y) = value.split_once(',').ok_or("anchor: want x,y")?;
            let n = |s: &str| s.parse::<i32>().map_err(|e| format!("`{s}`: {e}"));
            attrs.anchor = Some((n(x)?, n(y)?));
        }
        "nested" => settings.nested = value == "true",
        "client_dpr" if value == "none" => settings.client_dpr = None,
        "client_dpr" => settings.client_dpr = Some(real(value)?),
        _ => return Err(format!("unknown key `{key}`")),
    }
    Ok(())
}

fn read_cases(path: &Path) -> (Vec<Line>, Vec<Case>) {
    let text = fs::read_to_string(path).unwrap_or_default();
    let mut lines = Vec::new();
    let mut cases: Vec<Case> = Vec::new();
    let mut settings = PlanInput::new(1, 1);
    for line in text.lines() {
        if let Some(expected) = line.strip_prefix("  ") {
            if let (Some(case), Some(Line::Case(_))) = (cases.last_mut(), lines.last()) {
                case.expected.push(expected.to_owned());
                continue;
            }
            lines.push(Line::Verbatim(line.to_owned()));
        } else if line.trim().is_empty() || line.starts_with('#') {
            lines.push(Line::Verbatim(line.to_owned()));
        } else if line.trim() == "@reset" {
            settings = PlanInput::new(1, 1);
            lines.push(Line::Verbatim(line.to_owned()));
        } else if let Some(list) = line.strip_prefix("@set ") {
            for item in list.split_whitespace() {
                let (key, value) = item.split_once('=').unwrap_or((item, ""));
                if let Err(e) = apply(&mut settings, key, value) {
                    panic!("{}: `{line}`: {e}", path.display());
                }
            }
            lines.push(Line::Verbatim(line.to_owned()));
        } else {
            lines.push(Line::Case(cases.len()));
            cases.push(Case {
                input: line.to_owned(),
                expected: Vec::new(),
                settings: settings.clone(),
            });
        }
    }
    (lines, cases)
}

/// Runs one case and renders its output lines.
fn run(case: &Case) -> Vec<String> {
    let (size, query) = case.input.split_once(' ').unwrap_or((&case.input, ""));
    let Ok(source) = size
        .split_once('x')
        .ok_or(())
        .and_then(|(w, h)| Ok((w.parse().map_err(|_| ())?, h.parse().map_err(|_| ())?)))
    else {
        return vec!["!! an input line starts with the source size, WxH".to_owned()];
    };
    let parsed = protocol::parse_query(query.trim());
    if parsed.has_errors() {
        let mut out = vec!["!! the query does not parse:".to_owned()];
        out.extend(parsed.diagnostics.to_string().lines().map(str::to_owned));
        return out;
    }
    let input = PlanInput {
        source,
        ..case.settings.clone()
    };
    let text = match plan::plan(&parsed.request, &input) {
        Ok(plan) => {
            let mut text = plan.to_string();
            for broken in invariants(&plan, &input) {
                text.push_str("\n!! ");
                text.push_str(&broken);
            }
            text
        }
        Err(error) => format!("error: {error}"),
    };
    text.lines().map(str::to_owned).collect()
}

/// Properties every plan must have, whatever its numbers.
fn invariants(plan: &plan::Plan, input: &PlanInput) -> Vec<String> {
    let mut broken = Vec::new();
    let (w, h) = plan.reply_size();
    let (mw, mh) = input.attributes.max_pix;
    if !input.nested && ((mw > 0 && w > mw) || (mh > 0 && h > mh)) {
        broken.push(format!("reply {w}x{h} is over MaxPix {mw}x{mh}"));
    }
    // The region's corners land on the image rect's corners.
    let view = &plan.view;
    let t = view.transform();
    let (x0, y0) = t.apply((view.region.x as f64, view.region.y as f64));
    let (x1, y1) = t.apply((view.region.right() as f64, view.region.bottom() as f64));
    let close = |a: f64, b: i64| (a - b as f64).abs() < 1e-6;
    if !(close(x0, view.image.x)
        && close(y0, view.image.y)
        && close(x1, view.image.right())
        && close(y1, view.image.bottom()))
    {
        broken.push("the view transform does not map the region onto the image".to_owned());
    }
    let scale = &plan.layer0.scale;
    if scale.by == plan::ScaleBy::Size
        && (scale.content.0 > scale.frame.0 || scale.content.1 > scale.frame.1)
    {
        broken.push("size= content overflows its box".to_owned());
    }
    broken
}

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plan");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn plan_expectation_tables() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let files = case_files();
    assert!(!files.is_empty(), "no case files under tests/data/plan");
    let mut failures = Vec::new();
    let mut total = 0;
    for file in files {
        let (lines, cases) = read_cases(&file);
        let mut actual = Vec::with_capacity(cases.len());
        for case in &cases {
            total += 1;
            let got = run(case);
            if got != case.expected {
                failures.push(format!(
                    "{}: {}\n--- expected\n{}\n--- actual\n{}\n",
                    file.display(),
                    case.input,
                    case.expected.join("\n"),
                    got.join("\n")
                ));
            }
            actual.push(got);
        }
        if update {
            let mut text = String::new();
            for line in &lines {
                match line {
                    Line::Verbatim(l) => {
                        text.push_str(l);
                        text.push('\n');
                    }
                    Line::Case(i) => {
                        text.push_str(&cases[*i].input);
                        text.push('\n');
                        for l in &actual[*i] {
                            text.push_str("  ");
                            text.push_str(l);
                            text.push('\n');
                        }
                    }
                }
            }
            fs::write(&file, text).expect("rewrite case file");
        }
    }
    if !update && !failures.is_empty() {
        panic!(
            "{} of {total} plan cases differ (UPDATE_EXPECT=1 rewrites them):\n\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
