//! `casematch similar`: the historical cases nearest a profile by indicator pattern.

use std::io::{self, Write};

use comfy_table::{presets, Cell, ColumnConstraint, ContentArrangement, Table, Width};

use crate::app::exit;
use crate::cli::{ListFormat, SimilarArgs};
use crate::error::Error;
use crate::evaluate::Scorer;
use crate::finding::{Report, Scored};
use crate::input;
use crate::similar::{self, Match};

pub fn run(args: SimilarArgs) -> Result<u8, Error> {
    let scorer = Scorer::new(args.rules.rules.as_deref(), args.rules.limits())?;
    let code = super::report_rule_errors(&scorer);
    let mut err = io::stderr().lock();
    let mut docs = input::documents(input::resolve(std::slice::from_ref(&args.profile)));
    let profile = match docs.next().map(|d| scorer.score_document(d)) {
        None => return Err(Error::Usage(format!("`{}` holds no profile", args.profile))),
        Some(Report::Failed(f)) => return Err(Error::Profile(f.error)),
        Some(Report::Scored(s)) => s,
    };
    if docs.next().is_some() {
        return Err(Error::Usage(format!(
            "`{}` holds more than one profile: `similar` compares one",
            args.profile
        )));
    }
    let sources = super::sources_or_history(&args.against);
    let mut cases: Vec<Scored> = Vec::new();
    let mut bad_input = false;
    for doc in input::documents(sources) {
        match scorer.score_document(doc) {
            Report::Scored(s) => cases.push(s),
            Report::Failed(f) => {
                bad_input = true;
                let _ = writeln!(err, "error: {}", f.error);
            }
        }
    }
    drop(err);
    let mut ranked = similar::rank(&profile, &cases);
    ranked.truncate(args.top);
    let mut out = io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            let text = serde_json::to_string_pretty(&ranked).map_err(io::Error::other);
            writeln!(out, "{}", text.map_err(Error::Output)?).map_err(Error::Output)?;
        }
        ListFormat::Table => table(&mut out, &profile, &ranked).map_err(Error::Output)?,
    }
    out.flush().map_err(Error::Output)?;
    Ok(if bad_input { exit::BAD_INPUT } else { code })
}

fn table(w: &mut dyn Write, profile: &Scored, ranked: &[Match]) -> io::Result<()> {
    writeln!(
        w,
        "cases nearest {} - {}\n(weighted agreement on the indicators both sides could assess)",
        profile.id, profile.name
    )?;
    let mut grid = Table::new();
    grid.load_preset(presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(80)
        .set_header(vec!["#", "case", "similarity", "agree / differ"]);
    if let Some(col) = grid.column_mut(1) {
        col.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(22)));
    }
    for (i, m) in ranked.iter().enumerate() {
        let agree: Vec<String> = m
            .agree
            .iter()
            .map(|a| format!("{} ({})", a.rule, a.verdict))
            .collect();
        let differ: Vec<String> = m
            .differ
            .iter()
            .map(|d| format!("{} (here {}, there {})", d.rule, d.profile, d.case))
            .collect();
        let mut detail = format!("agree: {}", none_if_empty(&agree));
        detail.push_str(&format!("\ndiffer: {}", none_if_empty(&differ)));
        grid.add_row(vec![
            Cell::new(i + 1),
            Cell::new(format!("{}\n{}", m.id, m.name)),
            Cell::new(format!("{:.2}\n{} comparable", m.similarity, m.comparable)),
            Cell::new(detail),
        ]);
    }
    writeln!(w, "{grid}")
}

fn none_if_empty(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}
