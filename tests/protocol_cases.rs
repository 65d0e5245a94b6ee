//! Data-driven parser tests: every `tests/data/protocol/*.txt` file is a table
//! of cases, each an input line followed by its expected output, indented.
//!
//! An input line is a request query, or `modifier || request || post-modifier`
//! (parts trimmed; an empty part is an empty string).
//! Lines starting with `@macro name=body` add a macro and `@object id` sets
//! `$object$` for the cases after them; `#` starts a comment. The output is
//! the canonical string (`= …`), every merged command with its target, and
//! every diagnostic as a client would see it. Run with `UPDATE_EXPECT=1` to
//! rewrite the expectations of existing cases from the actual output.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use rendition::protocol::{self, Macros, Options, Sources};

struct Case {
    /// The input line as written.
    input: String,
    /// The expected output lines, without their indentation.
    expected: Vec<String>,
    /// Macros and object in force for this case.
    macros: Vec<(String, String)>,
    object: Option<String>,
}

/// One line of a case file, kept for rewriting.
enum Line {
    Verbatim(String),
    Case(usize),
}

fn read_cases(path: &Path) -> (Vec<Line>, Vec<Case>) {
    let text = fs::read_to_string(path).unwrap_or_default();
    let mut lines = Vec::new();
    let mut cases: Vec<Case> = Vec::new();
    let mut macros = Vec::new();
    let mut object = None;
    for line in text.lines() {
        if let Some(expected) = line.strip_prefix("  ") {
            if let Some(case) = cases.last_mut() {
                if matches!(lines.last(), Some(Line::Case(_))) {
                    case.expected.push(expected.to_owned());
                    continue;
                }
            }
            lines.push(Line::Verbatim(line.to_owned()));
        } else if line.trim().is_empty() || line.starts_with('#') {
            lines.push(Line::Verbatim(line.to_owned()));
        } else if let Some(def) = line.strip_prefix("@macro ") {
            let (name, body) = def.split_once('=').unwrap_or((def, ""));
            macros.push((name.trim().to_owned(), body.to_owned()));
            lines.push(Line::Verbatim(line.to_owned()));
        } else if let Some(id) = line.strip_prefix("@object ") {
            object = Some(id.trim().to_owned());
            lines.push(Line::Verbatim(line.to_owned()));
        } else {
            lines.push(Line::Case(cases.len()));
            cases.push(Case {
                input: line.to_owned(),
                expected: Vec::new(),
                macros: macros.clone(),
                object: object.clone(),
            });
        }
    }
    (lines, cases)
}

/// Runs one case and renders its output lines.
fn run(case: &Case) -> Vec<String> {
    let parts: Vec<&str> = case.input.split("||").map(str::trim).collect();
    let sources = match parts.as_slice() {
        [request] => Sources {
            request,
            ..Sources::default()
        },
        [modifier, request, post_modifier] => Sources {
            modifier,
            request,
            post_modifier,
        },
        _ => return vec!["!! an input is a request or `M || R || P`".to_owned()],
    };
    let mut macros = Macros::new();
    for (name, body) in &case.macros {
        macros.insert(name, body);
    }
    let options = Options {
        object: case.object.as_deref(),
        macros: Some(&macros),
        ..Options::default()
    };
    let parsed = protocol::parse(sources, &options);
    let mut out = String::new();
    let _ = writeln!(out, "= {}", parsed.resolved());
    for (target, command) in parsed.request.entries() {
        let _ = writeln!(out, "{target:?} {command:?}");
    }
    for (name, layer) in &parsed.request.layer_names {
        let _ = writeln!(out, "name {name} = layer {layer}");
    }
    for diagnostic in &parsed.diagnostics.items {
        let _ = writeln!(out, "{diagnostic}");
    }
    // The canonical form must read back to the same request.
    if !parsed.has_errors() {
        let again = protocol::parse_query(&parsed.resolved());
        if again.request != parsed.request || again.has_errors() {
            let _ = writeln!(
                out,
                "!! canonical form does not round-trip:\n{}",
                again.diagnostics
            );
        }
    }
    out.lines().map(str::to_owned).collect()
}

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/protocol");
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
fn protocol_expectation_tables() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let files = case_files();
    assert!(!files.is_empty(), "no case files under tests/data/protocol");
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
            "{} of {total} protocol cases differ (UPDATE_EXPECT=1 rewrites them):\n\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
