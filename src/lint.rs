//! The lints of `rules check`, beyond loading:
//!
//! - **unknown field** (static): the rule's source is scanned for chains read from the
//!   profile (`profile.recalls`, `profile.defection.country`, and fields of list items
//!   such as `r.status` in `recalls.filter(|r| ...)` or in a helper called with them),
//!   and each field is checked against the profile's shape. A misspelt field is reported
//!   at its line and column even if no case ever reaches that line.
//! - **no from unknown** (dynamic): each rule runs on the 20 historical cases with the
//!   top-level facts it read removed, and on a profile of `id` and `name` alone. A `no`
//!   there answers no from silence: a warning naming the rule and the case.
//! - **runtime error**: a rule that fails on a historical case (an error), or only on
//!   one of the stripped profiles above (a warning).
//!
//! The static scan follows names bound by `let`, closure parameters, `for` loops and
//! calls to the rule's own functions. Anything it cannot follow it leaves alone: it
//! reports only what it is sure of.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;

use crate::diagnostic::{self, Diagnostic};
use crate::evaluate::{Explained, Scorer};
use crate::load::{self, Loaded};
use crate::rule::Rule;
use crate::ruleset::Entry;
use crate::shape::edit_distance as distance;
use crate::shape::{Position, Shape};
use crate::verdict::Verdict;

/// A historical case, loaded.
pub struct Case {
    pub id: String,
    pub origin: String,
    pub loaded: Loaded,
}

/// The 20 embedded historical cases, in the study's order.
pub fn historical_cases() -> Vec<Case> {
    crate::input::documents(crate::cases::sources())
        .filter_map(|doc| {
            let loaded = doc
                .text
                .ok()
                .and_then(|t| load::parse(&t, &doc.origin).ok())?;
            Some(Case {
                id: loaded.profile.id.clone(),
                origin: doc.origin,
                loaded,
            })
        })
        .collect()
}

/// Every diagnostic `rules check` gives for the scorer's rule set: load errors, the
/// samples files, and the lints above, sorted by file and position.
pub fn check(scorer: &Scorer, cases: &[Case]) -> Vec<Diagnostic> {
    let set = scorer.rules();
    let mut out = load_errors(scorer);
    for rule in set.ready() {
        out.extend(unknown_fields(rule));
    }
    out.extend(crate::ruletest::sample_diagnostics(scorer));
    // A typo the scan found also fails at run time, on that line: say it once.
    let typos: BTreeSet<(String, Option<usize>)> = out
        .iter()
        .filter(|d| d.code == "lint::unknown-field")
        .map(|d| (d.file.clone(), d.line))
        .collect();
    out.extend(dynamic(scorer, cases).into_iter().filter(|d| {
        d.code == "lint::no-from-unknown" || !typos.contains(&(d.file.clone(), d.line))
    }));
    diagnostic::sort(&mut out);
    out
}

/// The rules that did not load, as diagnostics.
pub fn load_errors(scorer: &Scorer) -> Vec<Diagnostic> {
    let set = scorer.rules();
    set.entries
        .iter()
        .filter_map(|e| match e {
            Entry::Broken { id, error, .. } => Some(Diagnostic::from_rule_error(
                id,
                error,
                set.texts.get(&error.file).cloned(),
            )),
            Entry::Ready(_) => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// The static scan.

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(&'static str),
    Other,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
    column: usize,
}

const PUNCT2: [&str; 9] = ["?.", "==", "!=", "<=", ">=", "=>", "||", "&&", "::"];
const PUNCT1: [&str; 12] = [".", "(", ")", "[", "]", "{", "}", ";", "=", ",", "|", "!"];

/// Splits Rhai source into the tokens the scan needs. Comments are skipped; string
/// literals are kept whole, except the `${...}` parts of backtick strings, which are
/// code and are lexed as such.
fn lex(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    // Open backtick strings: for each, the brace depth of its current `${`.
    let mut interp: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut in_template = false;
    macro_rules! bump {
        () => {{
            if chars[i] == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
            i += 1;
        }};
    }
    while i < chars.len() {
        if in_template {
            // Inside a backtick string: up to its end or the next `${`.
            match chars[i] {
                '`' => {
                    in_template = false;
                    bump!();
                }
                '\\' => {
                    bump!();
                    if i < chars.len() {
                        bump!();
                    }
                }
                '$' if chars.get(i + 1) == Some(&'{') => {
                    bump!();
                    bump!();
                    interp.push(depth);
                    depth += 1;
                    in_template = false;
                }
                _ => bump!(),
            }
            continue;
        }
        let c = chars[i];
        let (l0, c0) = (line, col);
        if c.is_whitespace() {
            bump!();
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                bump!();
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            bump!();
            bump!();
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                bump!();
            }
            if i < chars.len() {
                bump!();
                bump!();
            }
        } else if c == '"' || c == '\'' {
            let mut s = String::new();
            bump!();
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' {
                    bump!();
                }
                if i < chars.len() {
                    s.push(chars[i]);
                    bump!();
                }
            }
            if i < chars.len() {
                bump!();
            }
            out.push(Token {
                tok: Tok::Str(s),
                line: l0,
                column: c0,
            });
        } else if c == '`' {
            bump!();
            in_template = true;
            out.push(Token {
                tok: Tok::Other,
                line: l0,
                column: c0,
            });
        } else if c.is_alphabetic() || c == '_' {
            let mut s = String::new();
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                s.push(chars[i]);
                bump!();
            }
            out.push(Token {
                tok: Tok::Ident(s),
                line: l0,
                column: c0,
            });
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                bump!();
            }
            // A fraction: `2.5`, not a property.
            if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
                bump!();
                while i < chars.len() && chars[i].is_alphanumeric() {
                    bump!();
                }
            }
            out.push(Token {
                tok: Tok::Other,
                line: l0,
                column: c0,
            });
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let tok = if let Some(p) = PUNCT2.iter().find(|p| **p == two) {
                bump!();
                bump!();
                Tok::Punct(p)
            } else {
                let one = c.to_string();
                bump!();
                match PUNCT1.iter().find(|p| **p == one) {
                    Some(p) => Tok::Punct(p),
                    None => Tok::Other,
                }
            };
            match tok {
                Tok::Punct("{") => depth += 1,
                Tok::Punct("}") => {
                    depth = depth.saturating_sub(1);
                    if interp.last() == Some(&depth) {
                        // The `}` that closes a `${`: back into the string.
                        interp.pop();
                        in_template = true;
                        continue;
                    }
                }
                _ => {}
            }
            out.push(Token {
                tok,
                line: l0,
                column: c0,
            });
        }
    }
    out
}

/// A function of the rule: its parameters and the tokens of its body.
struct Func {
    params: Vec<String>,
    body: std::ops::Range<usize>,
}

fn functions(toks: &[Token]) -> BTreeMap<String, Func> {
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i + 2 < toks.len() {
        let is_fn = toks[i].tok == Tok::Ident("fn".into())
            && matches!(toks[i + 1].tok, Tok::Ident(_))
            && toks[i + 2].tok == Tok::Punct("(");
        if !is_fn {
            i += 1;
            continue;
        }
        let Tok::Ident(name) = toks[i + 1].tok.clone() else {
            unreachable!("checked above")
        };
        let mut j = i + 3;
        let mut params = Vec::new();
        while j < toks.len() && toks[j].tok != Tok::Punct(")") {
            if let Tok::Ident(p) = &toks[j].tok {
                params.push(p.clone());
            }
            j += 1;
        }
        // The body: from the `{` after the parameters to its matching `}`.
        while j < toks.len() && toks[j].tok != Tok::Punct("{") {
            j += 1;
        }
        let start = j;
        let mut depth = 0usize;
        while j < toks.len() {
            match toks[j].tok {
                Tok::Punct("{") => depth += 1,
                Tok::Punct("}") => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        out.insert(
            name,
            Func {
                params,
                body: start..j.min(toks.len()),
            },
        );
        i = j;
    }
    out
}

/// Methods whose closure (or function) argument receives each item of the list.
const ITEM_METHODS: [&str; 9] = [
    "filter", "map", "some", "all", "find", "find_map", "for_each", "retain", "index_of",
];
/// Methods that return a list of the same items.
const LIST_METHODS: [&str; 4] = ["filter", "retain", "sort", "reverse"];

/// Is the value at `pattern` a list of items (`/recalls`, `/family`)?
fn is_list(shape: &Shape, pattern: &str) -> bool {
    shape.is_facts(pattern) || !matches!(shape.position(&format!("{pattern}/*")), Position::Unknown)
}

/// A field read the shape does not have.
struct Finding {
    line: usize,
    column: usize,
    key: String,
    at: String,
    fields: Vec<String>,
}

struct Scan<'a> {
    shape: &'a Shape,
    toks: &'a [Token],
    funcs: &'a BTreeMap<String, Func>,
    /// Parameters of the rule's functions bound by their call sites; `None` once two
    /// call sites disagree.
    param_bindings: BTreeMap<(String, usize), Option<String>>,
    /// Closures handed list items: the index of the opening `|`, the parameter, and
    /// the item's pattern.
    closures: BTreeMap<usize, (String, String)>,
    findings: BTreeMap<(usize, usize), Finding>,
}

impl Scan<'_> {
    fn bind_param(&mut self, func: &str, index: usize, pattern: &str) -> bool {
        let key = (func.to_string(), index);
        match self.param_bindings.get(&key) {
            None => {
                self.param_bindings.insert(key, Some(pattern.to_string()));
                true
            }
            Some(Some(p)) if p != pattern => {
                self.param_bindings.insert(key, None);
                true
            }
            _ => false,
        }
    }

    fn tok(&self, i: usize) -> Option<&Tok> {
        self.toks.get(i).map(|t| &t.tok)
    }

    /// Scans one function's body, token by token, with its parameters bound; returns
    /// whether another function's parameters were newly bound (so the scan must go
    /// round again). Chains are followed ahead of the scan, which still visits every
    /// token, so closures inside a chain are scanned too.
    fn function(&mut self, name: &str) -> bool {
        let Some(func) = self.funcs.get(name) else {
            return false;
        };
        let body = func.body.clone();
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        for (i, p) in func.params.iter().enumerate() {
            if let Some(Some(pattern)) = self.param_bindings.get(&(name.to_string(), i)) {
                env.insert(p.clone(), pattern.clone());
            }
        }
        // Bindings that take effect at a later token (`let x = ...;` at its `;`).
        let mut deferred: Vec<(usize, String, Option<String>)> = Vec::new();
        let mut changed = false;
        for i in body {
            for (_, var, pattern) in deferred.iter().filter(|d| d.0 == i) {
                match pattern {
                    Some(p) => env.insert(var.clone(), p.clone()),
                    None => env.remove(var),
                };
            }
            deferred.retain(|d| d.0 != i);
            let prev = i.checked_sub(1).and_then(|p| self.tok(p)).cloned();
            let after_dot = matches!(prev, Some(Tok::Punct(".")) | Some(Tok::Punct("?.")));
            let Some(tok) = self.tok(i).cloned() else {
                break;
            };
            match tok {
                Tok::Ident(kw) if kw == "let" || kw == "const" => {
                    if let (Some(Tok::Ident(var)), Some(Tok::Punct("="))) =
                        (self.tok(i + 1).cloned(), self.tok(i + 2).cloned())
                    {
                        let (end, pattern, c) = self.chain(&env, i + 3);
                        changed |= c;
                        let whole = self.tok(end) == Some(&Tok::Punct(";"));
                        deferred.push((end, var, pattern.filter(|_| whole)));
                    }
                }
                Tok::Ident(kw) if kw == "for" => {
                    if let (Some(Tok::Ident(var)), Some(Tok::Ident(kw_in))) =
                        (self.tok(i + 1).cloned(), self.tok(i + 2).cloned())
                    {
                        if kw_in == "in" {
                            let (end, pattern, c) = self.chain(&env, i + 3);
                            changed |= c;
                            let item = pattern
                                .filter(|p| is_list(self.shape, p))
                                .map(|p| format!("{p}/*"));
                            deferred.push((end, var, item));
                        }
                    }
                }
                // A closure's parameters shadow whatever had their names; a closure
                // handed list items binds its first.
                Tok::Punct("|")
                    if matches!(prev, Some(Tok::Punct("(")) | Some(Tok::Punct(","))) =>
                {
                    let mut j = i + 1;
                    while let Some(Tok::Ident(p)) = self.tok(j).cloned() {
                        env.remove(&p);
                        j += 1;
                        if self.tok(j) == Some(&Tok::Punct(",")) {
                            j += 1;
                        }
                    }
                    if let Some((param, pattern)) = self.closures.get(&i).cloned() {
                        env.insert(param, pattern);
                    }
                }
                // `x = ...`: the name now holds something else.
                Tok::Ident(var) if !after_dot && self.tok(i + 1) == Some(&Tok::Punct("=")) => {
                    env.remove(&var);
                }
                // A call of one of the rule's functions binds its parameters.
                Tok::Ident(f)
                    if !after_dot
                        && self.funcs.contains_key(&f)
                        && self.tok(i + 1) == Some(&Tok::Punct("(")) =>
                {
                    let mut j = i + 2;
                    let mut index = 0;
                    loop {
                        let (end, pattern, c) = self.chain(&env, j);
                        changed |= c;
                        let closes =
                            matches!(self.tok(end), Some(Tok::Punct(",")) | Some(Tok::Punct(")")));
                        if let (Some(p), true) = (pattern, closes) {
                            changed |= self.bind_param(&f, index, &p);
                        }
                        let k = next_argument(self.toks, end.max(j));
                        if self.tok(k) != Some(&Tok::Punct(",")) {
                            break;
                        }
                        index += 1;
                        j = k + 1;
                    }
                }
                Tok::Ident(var) if !after_dot && env.contains_key(&var) => {
                    let (_, _, c) = self.chain(&env, i);
                    changed |= c;
                }
                _ => {}
            }
        }
        changed
    }

    /// Follows a chain of reads from a bound name at `i`: checks each field, notes the
    /// item parameter of a closure or function given to a list method, and returns
    /// where the chain ends and the pattern it ends on (if it ends on a read).
    fn chain(&mut self, env: &BTreeMap<String, String>, i: usize) -> (usize, Option<String>, bool) {
        let Some(Tok::Ident(var)) = self.tok(i).cloned() else {
            return (i, None, false);
        };
        let Some(start) = env.get(&var) else {
            return (i, None, false);
        };
        let mut p = start.clone();
        let mut changed = false;
        let mut j = i + 1;
        loop {
            let (key, key_at, next) = match self.tok(j).cloned() {
                Some(Tok::Punct(".")) | Some(Tok::Punct("?.")) => match self.toks.get(j + 1) {
                    Some(Token {
                        tok: Tok::Ident(k),
                        line,
                        column,
                    }) => (k.clone(), (*line, *column), j + 2),
                    _ => return (j, Some(p), changed),
                },
                Some(Tok::Punct("[")) => match (self.toks.get(j + 1), self.tok(j + 2)) {
                    (
                        Some(Token {
                            tok: Tok::Str(k),
                            line,
                            column,
                        }),
                        Some(Tok::Punct("]")),
                    ) => (k.clone(), (*line, *column), j + 3),
                    // `list[0]`: an item.
                    _ if is_list(self.shape, &p) => {
                        j = close(self.toks, j, "[", "]");
                        p = format!("{p}/*");
                        continue;
                    }
                    _ => return (j, None, changed),
                },
                _ => return (j, Some(p), changed),
            };
            let list = is_list(self.shape, &p);
            // A method call: `.filter(...)`.
            if self.tok(next) == Some(&Tok::Punct("(")) {
                if list && ITEM_METHODS.contains(&key.as_str()) {
                    let item = format!("{p}/*");
                    match (self.tok(next + 1).cloned(), self.tok(next + 2).cloned()) {
                        (Some(Tok::Ident(f)), Some(Tok::Punct(")")))
                            if self.funcs.contains_key(&f) =>
                        {
                            changed |= self.bind_param(&f, 0, &item);
                        }
                        (Some(Tok::Punct("|")), Some(Tok::Ident(param))) => {
                            self.closures.insert(next + 1, (param, item));
                        }
                        _ => {}
                    }
                }
                let end = close(self.toks, next, "(", ")");
                // A `filter` of a list is still that list; other calls end the chain.
                if list && LIST_METHODS.contains(&key.as_str()) {
                    j = end;
                    continue;
                }
                return (end, None, changed);
            }
            if list {
                // A property of the list itself (`.len`), not a field of the profile.
                return (next, None, changed);
            }
            match self.shape.position(&p) {
                Position::Object(keys) if keys.contains(&key) => {
                    p = format!("{p}/{key}");
                }
                Position::Object(keys) => {
                    let at = if p.is_empty() {
                        "a profile".to_string()
                    } else {
                        format!("`{p}`")
                    };
                    self.findings.entry(key_at).or_insert(Finding {
                        line: key_at.0,
                        column: key_at.1,
                        key: key.clone(),
                        at,
                        fields: keys.iter().cloned().collect(),
                    });
                    return (next, None, changed);
                }
                Position::Free | Position::Unknown => return (next, None, changed),
            }
            j = next;
        }
    }
}

/// The index of the `,` or `)` that ends the call argument containing `from`.
fn next_argument(toks: &[Token], from: usize) -> usize {
    let mut depth = 0usize;
    let mut k = from;
    while k < toks.len() {
        match toks[k].tok {
            Tok::Punct("(") | Tok::Punct("[") | Tok::Punct("{") => depth += 1,
            Tok::Punct(")") | Tok::Punct("]") | Tok::Punct("}") if depth > 0 => depth -= 1,
            Tok::Punct(",") | Tok::Punct(")") if depth == 0 => return k,
            _ => {}
        }
        k += 1;
    }
    k
}

/// The index just past the bracket that closes the one at `open`.
fn close(toks: &[Token], open: usize, o: &str, c: &str) -> usize {
    let mut depth = 0usize;
    let mut k = open;
    while k < toks.len() {
        match &toks[k].tok {
            Tok::Punct(p) if *p == o => depth += 1,
            Tok::Punct(p) if *p == c => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
        k += 1;
    }
    k
}

/// The unknown-field lint for one rule.
pub fn unknown_fields(rule: &Rule) -> Vec<Diagnostic> {
    let toks = lex(&rule.text);
    let funcs = functions(&toks);
    let mut scan = Scan {
        shape: Shape::profile(),
        toks: &toks,
        funcs: &funcs,
        param_bindings: BTreeMap::new(),
        closures: BTreeMap::new(),
        findings: BTreeMap::new(),
    };
    if let Some(eval) = funcs.get("evaluate") {
        if eval.params.len() == 1 {
            scan.param_bindings
                .insert(("evaluate".to_string(), 0), Some(String::new()));
        }
    }
    // Bindings flow from callers to helpers; a few rounds reach a fixed point.
    for _ in 0..8 {
        let mut changed = false;
        for name in funcs.keys() {
            changed |= scan.function(name);
        }
        if !changed {
            break;
        }
    }
    let text: Arc<str> = rule.text.clone();
    scan.findings
        .into_values()
        .map(|f| {
            let near = closest(&f.key, &f.fields);
            let message = format!(
                "`{}` is not a field of {}{}",
                f.key,
                f.at,
                near.map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default()
            );
            Diagnostic::error("lint::unknown-field", &rule.file, message)
                .rule(&rule.meta.id)
                .at(Some(f.line), Some(f.column))
                .label("not in the profile schema")
                .help(format!("fields there: {}", f.fields.join(", ")))
                .text(Some(text.clone()))
        })
        .collect()
}

/// The field nearest `key` by edit distance, if near enough to be a typo.
fn closest<'a>(key: &str, fields: &'a [String]) -> Option<&'a String> {
    fields
        .iter()
        .map(|f| (distance(key, f), f))
        .filter(|(d, f)| *d <= 2.max(f.len() / 4) && *d < f.len())
        .min()
        .map(|(_, f)| f)
}

/// Whether `a` is near enough to `b` to be a typo of it.
pub fn is_near(a: &str, b: &str) -> bool {
    distance(a, b) <= 2.max(b.len() / 4) && distance(a, b) < b.len()
}

// ---------------------------------------------------------------------------------
// The dynamic check.

/// The top-level fields of a profile that `reads` touch (`/recalls/1/status` →
/// `recalls`), leaving out `id` and `name`, which every profile must have.
fn top_fields(paths: impl Iterator<Item = String>) -> BTreeSet<String> {
    paths
        .filter_map(|p| p.split('/').nth(1).map(str::to_string))
        .filter(|f| !f.is_empty() && f != "id" && f != "name")
        .collect()
}

/// The top-level fields a rule reads in its source (`profile.recalls`), which the
/// engine does not record when a list is only tested as a whole.
fn static_fields(rule: &Rule) -> BTreeSet<String> {
    let toks = lex(&rule.text);
    let funcs = functions(&toks);
    let Some(eval) = funcs.get("evaluate") else {
        return BTreeSet::new();
    };
    let Some(param) = eval.params.first() else {
        return BTreeSet::new();
    };
    let mut out = BTreeSet::new();
    for w in toks.windows(3) {
        if let (Tok::Ident(v), Tok::Punct("."), Tok::Ident(f)) = (&w[0].tok, &w[1].tok, &w[2].tok) {
            if v == param {
                out.insert(f.clone());
            }
        }
        if let (Tok::Ident(v), Tok::Punct("["), Tok::Str(f)) = (&w[0].tok, &w[1].tok, &w[2].tok) {
            if v == param {
                out.insert(f.clone());
            }
        }
    }
    out.remove("id");
    out.remove("name");
    out
}

/// The rules `id` consults, directly or through others.
fn components(scorer: &Scorer, id: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo = vec![id.to_string()];
    while let Some(r) = todo.pop() {
        if let Some(rule) = scorer.rules().ready().find(|x| x.meta.id == r) {
            for u in &rule.meta.uses {
                if out.insert(u.clone()) {
                    todo.push(u.clone());
                }
            }
        }
    }
    out
}

/// A finding's error reason, `file:LINE:COLUMN: message` (or `file:LINE: message`),
/// split into its parts.
fn split_reason<'a>(file: &str, reason: &'a str) -> (Option<usize>, Option<usize>, &'a str) {
    let Some(rest) = reason.strip_prefix(file) else {
        return (None, None, reason);
    };
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    if let Some((at, m)) = rest.split_once(": ") {
        let mut parts = at.split(':').map(|n| n.parse::<usize>());
        match (parts.next(), parts.next(), parts.next()) {
            (Some(Ok(line)), None, None) => return (Some(line), None, m),
            (Some(Ok(line)), Some(Ok(col)), None) => return (Some(line), Some(col), m),
            _ => {}
        }
    }
    (None, None, rest.trim_start())
}

/// A rule that failed at run time, as a diagnostic at its line.
pub fn runtime_diagnostic(rule: &Rule, reason: &str, on: &str, error: bool) -> Diagnostic {
    let (line, column, message) = split_reason(&rule.file, reason);
    let (message, help) = plain(message);
    let message = format!("fails on {on}: {message}");
    let d = if error {
        Diagnostic::error("rule::runtime", &rule.file, message)
    } else {
        Diagnostic::warning("lint::fails-without-facts", &rule.file, message)
    };
    let d = d
        .rule(&rule.meta.id)
        .at(line, column)
        .label("failed here")
        .text(Some(rule.text.clone()));
    match help {
        Some(h) => d.help(h),
        None => d,
    }
}

/// Rhai's words, in a rule author's: closures are named by a hash that changes with
/// the source, and a type error reads as a missing function.
fn plain(message: &str) -> (String, Option<String>) {
    let mut out = String::new();
    let mut rest = message;
    while let Some(i) = rest.find("`anon$") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('`') {
            Some(j) => {
                out.push_str("a closure");
                rest = &after[j + 1..];
            }
            None => {
                out.push('`');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    let Some(i) = out.find("Function not found: ") else {
        return (out, None);
    };
    let call = out[i + "Function not found: ".len()..].to_string();
    let (name, args) = call.split_once(" (").unwrap_or((call.as_str(), ""));
    let args: Vec<&str> = args
        .trim_end_matches(')')
        .split(", ")
        .filter(|a| !a.is_empty())
        .map(|a| {
            if a.contains("String") || a.contains("&str") {
                "a string"
            } else if a == "i64" || a == "f64" {
                "a number"
            } else if a == "()" {
                "`()` (unknown)"
            } else if a == "bool" {
                "a boolean"
            } else if a.contains("Array") {
                "an array"
            } else if a.contains("Map") {
                "a map"
            } else if a == "Fact" {
                "a fact"
            } else {
                a
            }
        })
        .collect();
    let what = if args.is_empty() {
        format!("no function `{name}`")
    } else {
        format!("`{name}` cannot take {}", args.join(" and "))
    };
    (
        format!("{}{what}", &out[..i]),
        Some(
            "a type error: check what each value is (dates and enum values are strings; \
             `()` is unknown)"
                .to_string(),
        ),
    )
}

fn by_rule(all: Vec<Explained>) -> BTreeMap<String, Explained> {
    all.into_iter()
        .map(|e| (e.finding.rule.clone(), e))
        .collect()
}

/// The runtime errors and the `no`-from-silence warnings.
fn dynamic(scorer: &Scorer, cases: &[Case]) -> Vec<Diagnostic> {
    let rules: Vec<&Rule> = scorer.rules().ready().collect();
    let mut out = Vec::new();
    // One diagnostic per rule and kind, naming every case it happened on.
    let mut failures: BTreeMap<(String, bool, String, Option<usize>), Vec<String>> =
        BTreeMap::new();
    let mut noes: BTreeMap<String, Vec<(String, BTreeSet<String>)>> = BTreeMap::new();
    let blank = load::parse(r#"{"id": "blank", "name": "Blank"}"#, "<blank>").ok();

    let results: Vec<(String, BTreeMap<String, Explained>)> = cases
        .iter()
        .map(|c| (c.id.clone(), by_rule(scorer.evaluate_all(&c.loaded))))
        .collect();
    for rule in &rules {
        let id = &rule.meta.id;
        let comps = components(scorer, id);
        let stat = static_fields(rule);
        let comp_stat: BTreeSet<String> = rules
            .iter()
            .filter(|r| comps.contains(&r.meta.id))
            .flat_map(|r| static_fields(r))
            .collect();
        for (case, (case_id, found)) in cases.iter().zip(&results) {
            let Some(mine) = found.get(id) else { continue };
            if mine.finding.verdict == Verdict::Error {
                record_failure(&mut failures, rule, &mine.finding.reason, case_id, true);
                continue;
            }
            // What it read, and what the rules it consults read.
            let mut fields = top_fields(mine.reads.iter().map(|e| e.path.clone()));
            for c in &comps {
                if let Some(e) = found.get(c) {
                    fields.extend(top_fields(e.reads.iter().map(|e| e.path.clone())));
                }
            }
            fields.extend(stat.iter().cloned());
            fields.extend(comp_stat.iter().cloned());
            let mut value: Value = (**case.loaded.value()).clone();
            let Some(obj) = value.as_object_mut() else {
                continue;
            };
            let present: BTreeSet<String> = fields
                .iter()
                .filter(|f| obj.contains_key(*f))
                .cloned()
                .collect();
            if present.is_empty() {
                continue;
            }
            for f in &present {
                obj.remove(f);
            }
            let Ok(stripped) = load::parse(&value.to_string(), &case.origin) else {
                continue;
            };
            let again = by_rule(scorer.evaluate_all(&stripped));
            if let Some(e) = again.get(id) {
                match e.finding.verdict {
                    Verdict::No => noes
                        .entry(id.clone())
                        .or_default()
                        .push((case_id.clone(), present.clone())),
                    Verdict::Error if !e.finding.reason.contains("component rule `") => {
                        let on = format!("`{case_id}` without {}", list(&present));
                        record_failure(&mut failures, rule, &e.finding.reason, &on, false);
                    }
                    _ => {}
                }
            }
        }
        if let Some(blank) = &blank {
            let found = by_rule(scorer.evaluate_all(blank));
            if let Some(e) = found.get(id) {
                match e.finding.verdict {
                    Verdict::No => noes
                        .entry(id.clone())
                        .or_default()
                        .push(("a profile of `id` and `name` alone".into(), BTreeSet::new())),
                    Verdict::Error if !e.finding.reason.contains("component rule `") => {
                        record_failure(
                            &mut failures,
                            rule,
                            &e.finding.reason,
                            "a profile of `id` and `name` alone",
                            false,
                        );
                    }
                    _ => {}
                }
            }
        }
    }
    for ((id, error, reason, _), on) in failures {
        let Some(rule) = rules.iter().find(|r| r.meta.id == id) else {
            continue;
        };
        let on = if on.len() > 3 {
            format!("{} and {} more", on[..3].join(", "), on.len() - 3)
        } else {
            on.join(", ")
        };
        out.push(runtime_diagnostic(rule, &reason, &on, error));
    }
    for (id, cases) in noes {
        let Some(rule) = rules.iter().find(|r| r.meta.id == id) else {
            continue;
        };
        let named: Vec<String> = cases
            .iter()
            .map(|(c, fields)| {
                if fields.is_empty() {
                    c.clone()
                } else {
                    format!("`{c}` without {}", list(fields))
                }
            })
            .collect();
        // The first few cases make the point; the count says how widespread it is.
        let named = if named.len() > 3 {
            let more = named.len() - 3;
            let mut first = named[..3].to_vec();
            first.push(format!("{more} more"));
            first
        } else {
            named
        };
        let at = no_call(&rule.text);
        out.push(
            Diagnostic::warning(
                "lint::no-from-unknown",
                &rule.file,
                format!(
                    "`{id}` answers `no` when the facts it read are unknown: on {}",
                    named.join("; ")
                ),
            )
            .rule(&id)
            .at(at.map(|a| a.0), at.map(|a| a.1))
            .label("a `no` reached from silence")
            .help(
                "test for `()` first and answer `unknown` (see docs/rules.md, \
                 \"Unknown is not no\")",
            )
            .text(Some(rule.text.clone())),
        );
    }
    out
}

fn record_failure(
    failures: &mut BTreeMap<(String, bool, String, Option<usize>), Vec<String>>,
    rule: &Rule,
    reason: &str,
    on: &str,
    error: bool,
) {
    let (line, _, message) = split_reason(&rule.file, reason);
    let on = if on.starts_with('`') || on.starts_with("a ") {
        on.to_string()
    } else {
        format!("`{on}`")
    };
    // Group by the message without the case, so one mistake is one diagnostic.
    failures
        .entry((rule.meta.id.clone(), error, reason.to_string(), line))
        .or_default()
        .push(on);
    let _ = message;
}

fn list(fields: &BTreeSet<String>) -> String {
    fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where the rule first calls `no(`: where a warning about its `no` points.
fn no_call(text: &str) -> Option<(usize, usize)> {
    lex(text)
        .windows(3)
        .find(|w| {
            w[0].tok != Tok::Punct(".")
                && w[1].tok == Tok::Ident("no".into())
                && w[2].tok == Tok::Punct("(")
        })
        .map(|w| (w[1].line, w[1].column))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(text: &str) -> Vec<String> {
        lex(text)
            .into_iter()
            .filter_map(|t| match t.tok {
                Tok::Ident(s) => Some(format!("{s}@{}:{}", t.line, t.column)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_lexer_skips_comments_and_strings_but_not_interpolations() {
        let got = idents("// profile.x\nlet a = \"profile.y\"; `n ${r.date} m`");
        assert_eq!(got, ["let@2:1", "a@2:5", "r@2:27", "date@2:29"]);
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("recal", "recalls"), 2);
        assert_eq!(distance("stauts", "status"), 2);
        assert_eq!(distance("", "ab"), 2);
    }
}
