//! `casematch rules list | check | test | new`: the rule author's loop.

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use comfy_table::presets::{UTF8_FULL_CONDENSED, UTF8_HORIZONTAL_ONLY};
use comfy_table::{ColumnConstraint, ContentArrangement, Table};
use serde_json::json;

use crate::app::exit;
use crate::cli::{ListFormat, RulesArgs, RulesCommand};
use crate::diagnostic::{self, Diagnostic, Style};
use crate::error::Error;
use crate::evaluate::Scorer;
use crate::lint;
use crate::ruleset::Entry;
use crate::ruletest::{self, Kind, TestRun};

pub fn run(command: RulesCommand) -> Result<u8, Error> {
    match command {
        RulesCommand::List { format, rules } => list(format, &rules),
        RulesCommand::Check { format, rules } => check(format, &rules),
        RulesCommand::Test {
            format,
            watch,
            rules,
        } => {
            if !watch {
                return test(format, &rules);
            }
            let Some(dir) = rules.rules.clone() else {
                return Err(Error::Usage(
                    "`--watch` needs `--rules DIR`: the built-in rules never change".into(),
                ));
            };
            crate::watch::watch(&[dir], &mut || {
                // Clear the screen between runs only when a person is watching.
                if io::stdout().is_terminal() {
                    let _ = write!(io::stdout(), "\x1b[2J\x1b[H");
                }
                match test(format, &rules) {
                    Ok(code) => code,
                    Err(e) => {
                        let _ = writeln!(io::stderr(), "error: {e}");
                        u8::try_from(e.code()).unwrap_or(exit::BAD_INPUT)
                    }
                }
            })
        }
        RulesCommand::New { name, rules } => new(&name, &rules),
    }
}

fn scorer(rules: &RulesArgs) -> Result<Scorer, Error> {
    Scorer::new(rules.rules.as_deref(), rules.limits())
}

/// Colour and width for diagnostics on stdout.
fn style() -> Style {
    let color = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    Style { width: 100, color }
}

fn write_out(text: &str) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)
}

fn to_json(v: &serde_json::Value) -> Result<String, Error> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| Error::Usage(e.to_string()))
}

fn list(format: ListFormat, rules: &RulesArgs) -> Result<u8, Error> {
    let scorer = scorer(rules)?;
    let set = scorer.rules();
    let broken = lint::load_errors(&scorer);
    let text = match format {
        ListFormat::Json => {
            let items: Vec<serde_json::Value> = set
                .entries
                .iter()
                .map(|e| match e {
                    Entry::Ready(r) => json!({
                        "id": r.meta.id,
                        "title": r.meta.title,
                        "weight": r.meta.weight,
                        "tags": r.meta.tags,
                        "source": r.meta.source,
                        "uses": r.meta.uses,
                        "file": r.file,
                    }),
                    Entry::Broken { id, error, .. } => json!({
                        "id": id,
                        "file": error.file,
                        "error": error.to_string(),
                    }),
                })
                .collect();
            to_json(&serde_json::Value::Array(items))?
        }
        ListFormat::Table => {
            // 80 columns, like every other table: ids stay whole; the title, then the
            // citation and tags, wrap beside them.
            let mut t = Table::new();
            t.load_preset(UTF8_HORIZONTAL_ONLY)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(80)
                .set_header(["id", "weight", "title; citation; tags"]);
            if let Some(col) = t.column_mut(0) {
                col.set_constraint(ColumnConstraint::ContentWidth);
            }
            for e in &set.entries {
                match e {
                    Entry::Ready(r) => {
                        t.add_row([
                            r.meta.id.clone(),
                            r.meta.weight.to_string(),
                            format!(
                                "{}\n{}; {}",
                                r.meta.title,
                                r.meta.source.reference,
                                r.meta.tags.join(", ")
                            ),
                        ]);
                    }
                    Entry::Broken { id, .. } => {
                        t.add_row([
                            id.clone(),
                            String::new(),
                            "(does not load: see `rules check`)".to_string(),
                        ]);
                    }
                }
            }
            format!("{t}\n")
        }
    };
    write_out(&text)?;
    for d in &broken {
        let _ = writeln!(io::stderr(), "{d}");
    }
    Ok(if broken.is_empty() {
        exit::OK
    } else {
        exit::RULE_FAILED
    })
}

fn summary(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    (errors, diagnostics.len() - errors)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn check(format: ListFormat, rules: &RulesArgs) -> Result<u8, Error> {
    let scorer = scorer(rules)?;
    let cases = lint::historical_cases();
    let diagnostics = lint::check(&scorer, &cases);
    let (errors, warnings) = summary(&diagnostics);
    let count = scorer.rules().entries.len();
    let text = match format {
        ListFormat::Json => to_json(&json!({
            "rules": count,
            "errors": errors,
            "warnings": warnings,
            "diagnostics": diagnostics,
        }))?,
        ListFormat::Table => {
            let style = style();
            let mut s: String = diagnostics
                .iter()
                .map(|d| diagnostic::render(d, style))
                .collect();
            s.push_str(&format!(
                "checked {}: {}, {}\n",
                plural(count, "rule", "rules"),
                plural(errors, "error", "errors"),
                plural(warnings, "warning", "warnings")
            ));
            s
        }
    };
    write_out(&text)?;
    Ok(if errors > 0 {
        exit::RULE_FAILED
    } else {
        exit::OK
    })
}

fn test(format: ListFormat, rules: &RulesArgs) -> Result<u8, Error> {
    let scorer = scorer(rules)?;
    let cases = lint::historical_cases();
    let run = ruletest::run(&scorer, &cases);
    let text = match format {
        ListFormat::Json => {
            to_json(&serde_json::to_value(&run).map_err(|e| Error::Usage(e.to_string()))?)?
        }
        ListFormat::Table => render_test(&run, style()),
    };
    write_out(&text)?;
    Ok(if run.ok() {
        exit::OK
    } else {
        exit::RULE_FAILED
    })
}

/// The table form of `rules test`: each expectation, the diagnostics (failures in full),
/// the coverage table and a summary line.
pub fn render_test(run: &TestRun, style: Style) -> String {
    let mut s = String::new();
    for r in &run.results {
        let on = match r.kind {
            Kind::Case => r.on.clone(),
            Kind::Sample => format!("sample \"{}\"", r.on),
        };
        if r.passed {
            s.push_str(&format!("pass  {} on {on}: {}\n", r.rule, r.actual));
        } else {
            s.push_str(&format!(
                "FAIL  {} on {on}: expected {}, got {}\n",
                r.rule, r.expected, r.actual
            ));
        }
    }
    if !run.diagnostics.is_empty() {
        s.push('\n');
    }
    for d in &run.diagnostics {
        s.push_str(&diagnostic::render(d, style));
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_header(["rule", "yes", "no", "unknown", "error", "note"]);
    for c in &run.coverage {
        let note = if c.error > 0 {
            "fails on some cases"
        } else if c.never_assessable {
            "never assessable"
        } else if c.never_fires {
            "never fires"
        } else {
            ""
        };
        t.add_row([
            c.rule.clone(),
            c.yes.to_string(),
            c.no.to_string(),
            c.unknown.to_string(),
            c.error.to_string(),
            note.to_string(),
        ]);
    }
    s.push_str("\ncoverage over the historical cases:\n");
    s.push_str(&format!("{t}\n"));
    let (errors, _) = summary(&run.diagnostics);
    s.push_str(&format!(
        "{} passed, {} failed{}\n",
        run.passed,
        run.failed,
        if errors > run.failed {
            format!(
                ", {}",
                plural(errors - run.failed, "other error", "other errors")
            )
        } else {
            String::new()
        }
    ));
    s
}

/// A rule id must be a Rhai-friendly name: it is a file name and is written in `uses`.
fn valid_id(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn new(name: &str, dir: &Path) -> Result<u8, Error> {
    if !valid_id(name) {
        return Err(Error::Usage(format!(
            "`{name}` is not a valid rule id: use lower-case letters, digits and `_`, \
             starting with a letter"
        )));
    }
    let path: PathBuf = dir.join(format!("{name}.rhai"));
    if path.exists() {
        return Err(Error::Usage(format!(
            "`{}` already exists; choose another name",
            path.display()
        )));
    }
    fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    fs::write(&path, skeleton(name)).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    write_out(&format!(
        "wrote `{}`; next: `casematch rules check --rules {d}` and `casematch rules test --rules {d}`\n",
        path.display(),
        d = dir.display()
    ))?;
    Ok(exit::OK)
}

/// A working rule to start from: it answers from the profile's recalls, says unknown
/// on silence, and carries one expectation that holds.
pub fn skeleton(id: &str) -> String {
    let title = {
        let words = id.replace('_', " ");
        let mut c = words.chars();
        match c.next() {
            Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
            None => String::new(),
        }
    };
    SKELETON.replace("{id}", id).replace("{title}", &title)
}

const SKELETON: &str = r#"// {id}: say in one line what this indicator detects.
//
// A rule answers yes, no or unknown for one profile, with a reason, and the facts it
// read become its evidence. The API is in docs/rules.md. Check and test it with:
//     casematch rules check --rules DIR
//     casematch rules test --rules DIR
//     casematch explain {id} PROFILE.json --rules DIR

// The metadata: a literal map, read without running the rule.
const RULE = #{
    id: "{id}",                       // must be the file name
    title: "{title}",
    description: "What counts as yes, as no and as unknown. (This skeleton answers whether he was under recall when he defected: edit it.)",
    weight: 1,                        // what a yes adds to the score, 0 to 100
    tags: ["draft"],
    // The passage of the study the rule rests on: `ref` is `preface`, `summary`,
    // `conclusions`, `section I` ... `section VI` or `appendix: Surname`; `quote` is
    // verbatim.
    source: #{ ref: "section II", quote: "In 14 of the 20 cases here studied the defection was primarily brought about by a combination of two elements:" },
    // Expected verdicts on historical cases, checked by `rules test`. Add one for each
    // case you have checked against the study (`kravchenko: "no"`, ...).
    expect: #{ petrov: "yes" },
};

fn evaluate(profile) {
    // `()` means the profile is silent: answer unknown, never no.
    let recalls = profile.recalls;
    if recalls == () {
        return unknown("the profile says nothing of a recall");
    }
    // An empty list means the source states there were none.
    if recalls.is_empty() {
        return no("the source states he was not under recall");
    }
    let standing = recalls.filter(|r| r.status == "in_force");
    if !standing.is_empty() {
        return yes(`under recall (${standing.len()} on record)`, standing);
    }
    unknown("every recall on record was cancelled before the defection", recalls)
}
"#;
