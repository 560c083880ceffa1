//! `cohort --format html`: one self-contained page (inline CSS and SVG, no scripts, no
//! external assets): the claims with their verdicts, a bar chart of the answers per
//! indicator, the case × indicator heatmap, and every reason.
//!
//! The heatmap never relies on colour alone: each cell carries its letter (Y, N, ?, !)
//! and unknown cells are hatched. Each cell's reason is its `title` (shown on hover)
//! and is also listed under the case in the reasons section, which the cell links to.
//! Every profile-supplied string is escaped.

use std::io::{self, Write};

use super::{claimed, letter, LEGEND};
use crate::claims::Checked;
use crate::cohort::Cohort;
use crate::verdict::Verdict;

/// Text safe in HTML content and in quoted attributes (the score report's escaping).
use crate::render::html_escape as esc;

const STYLE: &str = r#"
:root { --yes: #1d4e89; --no: #d9dde3; --unk: #ffffff; --err: #b3261e; --ink: #1b1f24; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0 auto; padding: 24px 32px 64px; max-width: 1360px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
p.lead { margin: 0 0 8px; color: #444; }
table { border-collapse: collapse; }
.claims { width: 100%; }
.claims th, .claims td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid #e3e6ea; }
.claims th { font-size: 13px; color: #555; font-weight: 600; }
.claims td.num, .claims td.sec { white-space: nowrap; font-variant-numeric: tabular-nums; }
.claims q { display: block; color: #555; font-size: 13px; font-style: italic; margin-top: 2px; }
.claims .why { font-size: 13px; color: #333; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 600; white-space: nowrap; }
.badge.ok { background: #dcf2e3; color: #0f5323; border: 1px solid #0f5323; }
.badge.bad { background: #fde2e0; color: #8a1710; border: 2px solid #8a1710; }
.legend { display: flex; gap: 18px; align-items: center; flex-wrap: wrap; margin: 6px 0 10px; font-size: 14px; }
.legend span.k { display: inline-flex; align-items: center; gap: 6px; }
.heat { font-size: 13px; }
.heat th.case { text-align: left; padding: 2px 10px 2px 0; white-space: nowrap; font-weight: 500; }
.heat th.case a { color: var(--ink); text-decoration: none; }
.heat th.case small { color: #666; }
.heat thead th.rule { height: 190px; vertical-align: bottom; padding: 0 0 4px; width: 30px; }
.heat thead th.rule div { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap;
       font-weight: 500; font-size: 12px; margin: 0 auto; }
.cell { width: 30px; height: 26px; text-align: center; border: 1px solid #fff; padding: 0; font-weight: 700; }
.cell a { display: block; line-height: 24px; text-decoration: none; color: inherit; }
.v-yes { background: var(--yes); color: #fff; }
.v-no { background: var(--no); color: #333; }
.v-unknown { background: repeating-linear-gradient(45deg, #fff 0 3px, #c9ced6 3px 4px); color: #555; }
.v-error { background: var(--err); color: #fff; outline: 2px dashed #000; outline-offset: -3px; }
.swatch { display: inline-block; width: 22px; height: 20px; line-height: 20px; text-align: center;
          font-weight: 700; font-size: 12px; border: 1px solid #aaa; }
details { margin: 4px 0; }
summary { cursor: pointer; font-weight: 600; }
dl.reasons { display: grid; grid-template-columns: max-content max-content 1fr; gap: 2px 12px; margin: 6px 0 12px 18px; font-size: 13px; }
dl.reasons dt { font-weight: 600; }
dl.reasons dd { margin: 0; }
dl.reasons .verdict { font-weight: 700; }
dl.reasons :target { background: #fff3bf; }
svg text { font: 12px system-ui, sans-serif; }
footer { margin-top: 40px; font-size: 12px; color: #666; }
"#;

pub fn write(w: &mut dyn Write, cohort: &Cohort, claims: &[Checked]) -> io::Result<()> {
    let n = cohort.rows.len();
    writeln!(w, "<!DOCTYPE html>")?;
    writeln!(w, "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        w,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(w, "<title>casematch cohort: {n} cases</title>")?;
    writeln!(w, "<style>{STYLE}</style>\n</head>\n<body>")?;
    writeln!(
        w,
        "<header>\n<h1>Cohort: {n} cases, {} indicators</h1>",
        cohort.columns.len()
    )?;
    let held = claims.iter().filter(|c| c.consistent).count();
    let mut lead = String::new();
    if !claims.is_empty() {
        lead.push_str(&format!(
            "{held} of {} claims consistent with the encoded cases. ",
            claims.len()
        ));
    }
    lead.push_str("Unknown means the profile is silent: it is never read as no.");
    writeln!(w, "<p class=\"lead\">{}</p>", esc(&lead))?;
    if !cohort.failed.is_empty() {
        writeln!(
            w,
            "<p class=\"lead\"><strong>{} profiles could not be read:</strong></p>\n<ul>",
            cohort.failed.len()
        )?;
        for f in &cohort.failed {
            writeln!(w, "<li>{}</li>", esc(&f.error.to_string()))?;
        }
        writeln!(w, "</ul>")?;
    }
    writeln!(w, "</header>")?;
    if !claims.is_empty() {
        claims_table(w, claims)?;
    }
    chart(w, cohort)?;
    heatmap(w, cohort)?;
    reasons(w, cohort)?;
    writeln!(
        w,
        "<footer>Generated by casematch. Bounds: the fewest and the most cases that could answer as claimed, \
         counting every unknown both ways.</footer>\n</body>\n</html>"
    )
}

fn claims_table(w: &mut dyn Write, claims: &[Checked]) -> io::Result<()> {
    writeln!(
        w,
        "<section id=\"claims\">\n<h2>The study's figures, checked</h2>"
    )?;
    writeln!(
        w,
        "<table class=\"claims\">\n<thead><tr><th>verdict</th><th>claim and the study's words</th>\
         <th>section</th><th>claimed</th><th>bounds</th><th>why</th></tr></thead>\n<tbody>"
    )?;
    for c in claims {
        let badge = if c.consistent {
            "<span class=\"badge ok\">&#10003; consistent</span>"
        } else {
            "<span class=\"badge bad\">&#10007; inconsistent</span>"
        };
        writeln!(
            w,
            "<tr id=\"claim-{id}\" class=\"{cls}\"><td>{badge}</td><td>{text}<q>{quote}</q></td>\
             <td class=\"sec\">{section}</td><td class=\"num\">{claimed}</td><td class=\"num\">{lo}&#8201;&#8211;&#8201;{hi}</td>\
             <td class=\"why\">{why}</td></tr>",
            id = esc(&c.id),
            cls = if c.consistent { "ok" } else { "bad" },
            text = esc(&c.text),
            quote = esc(&c.quote),
            section = esc(&c.section),
            claimed = esc(&claimed(c)),
            lo = c.lower,
            hi = c.upper,
            why = esc(&c.why),
        )?;
    }
    writeln!(w, "</tbody>\n</table>\n</section>")
}

/// Stacked horizontal bars, one per indicator: yes, no, unknown, error.
fn chart(w: &mut dyn Write, cohort: &Cohort) -> io::Result<()> {
    let tallies = cohort.tallies();
    let n = cohort.rows.len().max(1);
    let (label_w, bar_w, row_h, top) = (300.0, 760.0, 22.0, 26.0);
    let height = top + row_h * tallies.len() as f64 + 8.0;
    let width = label_w + bar_w + 20.0;
    writeln!(w, "<section id=\"counts\">\n<h2>Answers per indicator</h2>")?;
    writeln!(
        w,
        "<svg role=\"img\" aria-labelledby=\"chart-title\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">"
    )?;
    writeln!(
        w,
        "<title id=\"chart-title\">How many cases answered yes, no, unknown or error on each indicator</title>"
    )?;
    writeln!(
        w,
        "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/>\
         <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#9aa3ad\" stroke-width=\"2\"/></pattern></defs>"
    )?;
    // Legend along the top.
    let keys = [
        ("yes", "#1d4e89", "#fff"),
        ("no", "#d9dde3", "#333"),
        ("unknown", "url(#hatch)", "#333"),
        ("error", "#b3261e", "#fff"),
    ];
    let mut x = label_w;
    for (name, fill, _) in keys {
        writeln!(
            w,
            "<rect x=\"{x}\" y=\"4\" width=\"14\" height=\"14\" fill=\"{fill}\" stroke=\"#888\"/>\
             <text x=\"{}\" y=\"16\">{name}</text>",
            x + 18.0
        )?;
        x += 90.0;
    }
    for (i, t) in tallies.iter().enumerate() {
        let y = top + row_h * i as f64;
        // The title alone fits the label column; the id is in the bar's tooltip.
        let label = if t.title.is_empty() {
            t.rule.clone()
        } else {
            t.title.clone()
        };
        writeln!(
            w,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 8.0,
            y + 15.0,
            esc(&shorten(&label, 40))
        )?;
        let c = t.counts;
        let mut x = label_w;
        for ((name, fill, ink), count) in keys.iter().zip([c.yes, c.no, c.unknown, c.error]) {
            if count == 0 {
                continue;
            }
            let seg = bar_w * count as f64 / n as f64;
            writeln!(
                w,
                "<g><title>{} ({}): {count} {name}</title><rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{seg:.1}\" \
                 height=\"{:.1}\" fill=\"{fill}\" stroke=\"#fff\"/>",
                esc(&t.title),
                esc(&t.rule),
                y + 2.0,
                row_h - 4.0
            )?;
            if seg >= 18.0 {
                writeln!(
                    w,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\">{count}</text>",
                    x + seg / 2.0,
                    y + 15.0
                )?;
            }
            writeln!(w, "</g>")?;
            x += seg;
        }
    }
    writeln!(w, "</svg>\n</section>")
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max - 1).collect();
    format!("{cut}\u{2026}")
}

fn class(v: Verdict) -> &'static str {
    match v {
        Verdict::Yes => "v-yes",
        Verdict::No => "v-no",
        Verdict::Unknown => "v-unknown",
        Verdict::Error => "v-error",
    }
}

fn heatmap(w: &mut dyn Write, cohort: &Cohort) -> io::Result<()> {
    writeln!(w, "<section id=\"matrix\">\n<h2>Case &#215; indicator</h2>")?;
    write!(w, "<div class=\"legend\" aria-label=\"legend\">")?;
    for v in Verdict::ALL {
        write!(
            w,
            "<span class=\"k\"><span class=\"swatch {}\">{}</span>{}</span>",
            class(v),
            esc(&letter(v).to_string()),
            v
        )?;
    }
    writeln!(
        w,
        "<span>Hover a cell for its reason, or click it for the list below.</span></div>"
    )?;
    writeln!(
        w,
        "<table class=\"heat\" aria-describedby=\"matrix-note\">\n<thead><tr><th class=\"case\" scope=\"col\">case</th>"
    )?;
    for c in &cohort.columns {
        writeln!(
            w,
            "<th class=\"rule\" scope=\"col\" title=\"{}\"><div>{}</div></th>",
            esc(&format!("{} ({}), weight {}", c.title, c.rule, c.weight)),
            esc(&c.rule)
        )?;
    }
    writeln!(w, "</tr></thead>\n<tbody>")?;
    for (i, r) in cohort.rows.iter().enumerate() {
        write!(
            w,
            "<tr><th class=\"case\" scope=\"row\"><a href=\"#case-{i}\">{}</a> <small>{}</small></th>",
            esc(&r.name),
            esc(&r.id)
        )?;
        for (j, cell) in r.cells.iter().enumerate() {
            let tip = format!(
                "{} - {}: {}. {}",
                r.id, cell.rule, cell.verdict, cell.reason
            );
            write!(
                w,
                "<td class=\"cell {}\" title=\"{}\"><a href=\"#cell-{i}-{j}\" aria-label=\"{}\">{}</a></td>",
                class(cell.verdict),
                esc(&tip),
                esc(&format!("{} {}: {}", r.id, cell.rule, cell.verdict)),
                esc(&letter(cell.verdict).to_string())
            )?;
        }
        writeln!(w, "</tr>")?;
    }
    writeln!(
        w,
        "</tbody>\n</table>\n<p id=\"matrix-note\" class=\"lead\">{}.</p>\n</section>",
        esc(LEGEND)
    )
}

fn reasons(w: &mut dyn Write, cohort: &Cohort) -> io::Result<()> {
    writeln!(
        w,
        "<section id=\"reasons\">\n<h2>Every answer and its reason</h2>"
    )?;
    for (i, r) in cohort.rows.iter().enumerate() {
        writeln!(
            w,
            "<details id=\"case-{i}\"><summary>{} <small>({}, {})</small></summary>\n<dl class=\"reasons\">",
            esc(&r.name),
            esc(&r.id),
            esc(&r.source)
        )?;
        for (j, cell) in r.cells.iter().enumerate() {
            writeln!(
                w,
                "<dt id=\"cell-{i}-{j}\">{}</dt><dd class=\"verdict\">{} {}</dd><dd>{}</dd>",
                esc(&cell.rule),
                esc(&letter(cell.verdict).to_string()),
                cell.verdict,
                esc(&cell.reason)
            )?;
        }
        writeln!(w, "</dl></details>")?;
    }
    writeln!(w, "</section>")
}
