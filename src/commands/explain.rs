//! `casematch explain RULE PROFILE`: one rule on one profile, in full: every path it
//! read and the value found, what it printed, the rules it consulted, and its verdict
//! with the reason and evidence.

use std::io::{self, Write};
use std::sync::Arc;

use serde_json::json;

use crate::app::exit;
use crate::cli::{ExplainArgs, ListFormat};
use crate::diagnostic::{self, Diagnostic, Style};
use crate::error::Error;
use crate::evaluate::{Explained, Scorer};
use crate::finding::Evidence;
use crate::input;
use crate::load;
use crate::ruleset::Entry;
use crate::verdict::Verdict;

pub fn run(args: ExplainArgs) -> Result<u8, Error> {
    let scorer = Scorer::new(args.rules.rules.as_deref(), args.rules.limits())?;
    let set = scorer.rules();
    let Some(entry) = set.entries.iter().find(|e| e.id() == args.rule) else {
        let near = set
            .entries
            .iter()
            .map(Entry::id)
            .find(|id| crate::lint::is_near(&args.rule, id))
            .map(|id| format!(" (did you mean `{id}`?)"))
            .unwrap_or_default();
        return Err(Error::Usage(format!(
            "no rule `{}`{near}; `casematch rules list` shows them",
            args.rule
        )));
    };
    if let Entry::Broken { id, error, .. } = entry {
        let d = Diagnostic::from_rule_error(id, error, set.texts.get(&error.file).cloned());
        let _ = write!(io::stderr(), "{}", diagnostic::render(&d, Style::default()));
        return Ok(exit::RULE_FAILED);
    }

    let mut docs = input::documents(input::resolve(std::slice::from_ref(&args.profile)));
    let Some(doc) = docs.next() else {
        return Err(Error::Usage(format!("no profile in `{}`", args.profile)));
    };
    if docs.next().is_some() {
        return Err(Error::Usage(format!(
            "`{}` holds more than one profile; `explain` takes one",
            args.profile
        )));
    }
    let text = match doc.text {
        Ok(t) => t,
        Err(e) => {
            let d = Diagnostic::from_profile_error(&e, None);
            let _ = write!(io::stderr(), "{}", diagnostic::render(&d, Style::default()));
            return Ok(exit::BAD_INPUT);
        }
    };
    let loaded = match load::parse(&text, &doc.origin) {
        Ok(l) => l,
        Err(e) => {
            let d = Diagnostic::from_profile_error(&e, Some(Arc::from(text.as_str())));
            let _ = write!(io::stderr(), "{}", diagnostic::render(&d, Style::default()));
            return Ok(exit::BAD_INPUT);
        }
    };

    let all = scorer.evaluate_all(&loaded);
    let Some(this) = all.iter().find(|e| e.finding.rule == args.rule) else {
        return Err(Error::Usage(format!("rule `{}` did not run", args.rule)));
    };
    let (file, uses) = match entry {
        Entry::Ready(r) => (r.file.clone(), r.meta.uses.clone()),
        Entry::Broken { error, .. } => (error.file.clone(), Vec::new()),
    };
    let consulted: Vec<(String, Verdict)> = uses
        .iter()
        .filter_map(|u| {
            all.iter()
                .find(|e| &e.finding.rule == u)
                .map(|e| (u.clone(), e.finding.verdict))
        })
        .collect();
    let profile = (&loaded.profile.id, &loaded.profile.name, &doc.origin);
    let out = match args.format {
        ListFormat::Json => {
            let f = &this.finding;
            let v = json!({
                "rule": f.rule,
                "title": f.title,
                "file": file,
                "profile": {"id": profile.0, "name": profile.1, "source": profile.2},
                "reads": this.reads,
                "output": f.output,
                "consulted": consulted.iter().map(|(r, v)| json!({"rule": r, "verdict": v})).collect::<Vec<_>>(),
                "verdict": f.verdict,
                "reason": f.reason,
                "evidence": f.evidence,
            });
            serde_json::to_string_pretty(&v).map_err(|e| Error::Usage(e.to_string()))? + "\n"
        }
        ListFormat::Table => render(this, &file, profile, &consulted),
    };
    let mut stdout = io::stdout().lock();
    stdout.write_all(out.as_bytes()).map_err(Error::Output)?;
    stdout.flush().map_err(Error::Output)?;
    Ok(if this.finding.verdict == Verdict::Error {
        exit::RULE_FAILED
    } else {
        exit::OK
    })
}

fn value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "(nothing: unknown)".to_string(),
        other => other.to_string(),
    }
}

/// The evidence's provenance, set off by two spaces.
fn cited(e: &Evidence) -> String {
    match e.provenance() {
        p if p.is_empty() => p,
        p => format!("  {p}"),
    }
}

/// The text form: what was read, in order, then what came of it.
pub fn render(
    this: &Explained,
    file: &str,
    profile: (&String, &String, &String),
    consulted: &[(String, Verdict)],
) -> String {
    let f = &this.finding;
    let mut s = format!("rule     {} - {}  ({file})\n", f.rule, f.title);
    s.push_str(&format!(
        "profile  {} - {}  ({})\n\n",
        profile.0, profile.1, profile.2
    ));
    if this.reads.is_empty() {
        s.push_str("read: nothing from the profile directly\n");
    } else {
        s.push_str(&format!("read ({}):\n", this.reads.len()));
        let width = this.reads.iter().map(|e| e.path.len()).max().unwrap_or(0);
        for e in &this.reads {
            s.push_str(&format!(
                "  {:width$}  {}{}\n",
                e.path,
                value(&e.value),
                cited(e)
            ));
        }
    }
    if !consulted.is_empty() {
        s.push_str("consulted:\n");
        for (r, v) in consulted {
            s.push_str(&format!("  {r}: {v}\n"));
        }
    }
    if f.output.is_empty() {
        s.push_str("printed: nothing\n");
    } else {
        s.push_str("printed:\n");
        for line in &f.output {
            s.push_str(&format!("  {line}\n"));
        }
    }
    s.push_str(&format!(
        "\nverdict  {}\nreason   {}\n",
        f.verdict, f.reason
    ));
    if f.evidence.is_empty() {
        s.push_str("evidence none\n");
    } else {
        s.push_str("evidence\n");
        for e in &f.evidence {
            s.push_str(&format!("  {} = {}{}\n", e.path, value(&e.value), cited(e)));
            if let Some(c) = &e.source {
                s.push_str(&format!("      \"{}\"\n", c.quote));
            }
        }
    }
    s
}
