//! One indicator: a `.rhai` file compiled once, with the metadata it declares.
//!
//! The metadata is a literal `const RULE = #{ ... };` at the top of the file. Loading
//! runs only the file's top level (under the sandbox limits), never `evaluate`.

use std::collections::BTreeMap;
use std::sync::Arc;

use rhai::{Dynamic, Engine, Scope, AST};
use serde::{Deserialize, Serialize};

use crate::citation::Citation;
use crate::engine::{describe_error, Limits};
use crate::error::RuleError;
use crate::verdict::Verdict;

/// What a rule says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    /// Must equal the file name without `.rhai`.
    pub id: String,
    pub title: String,
    pub description: String,
    /// How much a yes counts towards the score: a whole number from 0 to 100.
    pub weight: u32,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The passage of the study the rule rests on.
    pub source: Citation,
    /// Other rules this one consults with `rule("id")` (composites).
    #[serde(default)]
    pub uses: Vec<String>,
    /// Expected verdicts on named historical cases, checked by `rules test`.
    #[serde(default)]
    pub expect: BTreeMap<String, Verdict>,
}

/// The metadata keys, with whether each is required.
const META_KEYS: [(&str, bool); 8] = [
    ("id", true),
    ("title", true),
    ("description", true),
    ("weight", true),
    ("tags", false),
    ("source", true),
    ("uses", false),
    ("expect", false),
];

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub meta: RuleMeta,
    /// Where it came from, for messages.
    pub file: String,
    pub ast: AST,
    /// The source text, for diagnostics that show the line and for lints.
    pub text: Arc<str>,
}

/// Compiles `text` (the contents of `file`, whose stem is `stem`) into a rule.
pub fn compile(
    engine: &Engine,
    limits: &Limits,
    file: &str,
    stem: &str,
    text: &str,
) -> Result<Rule, RuleError> {
    let rule = compile_any(engine, limits, file, text)?;
    check_stem(&rule, stem)?;
    Ok(rule)
}

/// The metadata id must equal the file name: other rules and reports name it so.
pub fn check_stem(rule: &Rule, stem: &str) -> Result<(), RuleError> {
    if rule.meta.id == stem {
        return Ok(());
    }
    let (line, column) = meta_value_position(&rule.text, "id").unzip();
    Err(RuleError {
        file: rule.file.clone(),
        line,
        column,
        message: format!(
            "metadata id `{}` does not match the file name `{stem}.rhai`",
            rule.meta.id
        ),
    })
}

/// Compiles a rule without checking its id against a file name.
pub fn compile_any(
    engine: &Engine,
    limits: &Limits,
    file: &str,
    text: &str,
) -> Result<Rule, RuleError> {
    let err = |at: Option<(usize, usize)>, message: String| RuleError {
        file: file.to_string(),
        line: at.map(|a| a.0),
        column: at.map(|a| a.1),
        message,
    };
    let ast = engine.compile(text).map_err(|e| {
        let pos = e.position();
        let message = match e.err_type() {
            // Rhai's "Expression exceeds maximum complexity" does not say which limit.
            rhai::ParseErrorType::ExprTooDeep => format!(
                "expressions or blocks nested deeper than the limit of {} levels",
                limits.max_expr_depth
            ),
            other => other.to_string(),
        };
        RuleError {
            file: file.to_string(),
            line: pos.line(),
            column: pos.position(),
            message: format!("syntax error: {message}"),
        }
    })?;
    let meta_at = meta_position(text);

    // Only the top level runs: the metadata constant and function definitions.
    let mut scope = Scope::new();
    engine.run_ast_with_scope(&mut scope, &ast).map_err(|e| {
        let (message, line) = describe_error(&e, limits);
        RuleError {
            file: file.to_string(),
            line,
            column: if line.is_some() {
                e.position().position()
            } else {
                None
            },
            message: format!("top level failed: {message}"),
        }
    })?;
    let Some(map) = scope.get_value::<rhai::Map>("RULE") else {
        return Err(err(
            meta_at,
            "no metadata: the file must declare `const RULE = #{ id: ..., title: ..., \
             description: ..., weight: ..., source: #{ ref: ..., quote: ... } };`"
                .to_string(),
        ));
    };
    check_keys(text, &map).map_err(|(at, message)| err(at.or(meta_at), message))?;
    let meta: RuleMeta = rhai::serde::from_dynamic(&Dynamic::from_map(map)).map_err(|e| {
        let message = clean(&e);
        // serde names the offending key in backticks when it can; point at it.
        let at = message
            .split('`')
            .nth(1)
            .and_then(|key| meta_value_position(text, key));
        err(at.or(meta_at), format!("invalid metadata: {message}"))
    })?;
    if meta.weight > 100 {
        return Err(err(
            meta_value_position(text, "weight").or(meta_at),
            format!("weight {} is out of range: 0 to 100", meta.weight),
        ));
    }
    let has_evaluate = ast
        .iter_functions()
        .any(|f| f.name == "evaluate" && f.params.len() == 1);
    if !has_evaluate {
        return Err(err(
            None,
            "no `fn evaluate(profile)`: a rule must define it with one parameter".to_string(),
        ));
    }
    Ok(Rule {
        meta,
        file: file.to_string(),
        ast,
        text: Arc::from(text),
    })
}

/// Missing and unknown keys, and the types serde would only name vaguely.
fn check_keys(text: &str, map: &rhai::Map) -> Result<(), (Option<(usize, usize)>, String)> {
    for (key, required) in META_KEYS {
        if required && !map.contains_key(key) {
            return Err((None, format!("invalid metadata: missing field `{key}`")));
        }
    }
    for (key, value) in map {
        let key = key.as_str();
        let at = meta_value_position(text, key);
        if !META_KEYS.iter().any(|(k, _)| *k == key) {
            let known: Vec<&str> = META_KEYS.iter().map(|(k, _)| *k).collect();
            return Err((
                meta_key_position(text, key),
                format!(
                    "invalid metadata: unknown field `{key}`; the fields are {}",
                    known.join(", ")
                ),
            ));
        }
        let expected = match key {
            "weight" if !value.is_int() => Some("a whole number from 0 to 100"),
            "weight" if value.as_int().is_ok_and(|w| w < 0) => Some("a whole number from 0 to 100"),
            "id" | "title" | "description" if !value.is_string() => Some("a string"),
            "tags" | "uses" if !value.is_array() => Some("an array of strings"),
            "source" | "expect" if !value.is_map() => Some("a map `#{ ... }`"),
            _ => None,
        };
        if let Some(expected) = expected {
            return Err((
                at,
                format!(
                    "invalid metadata: `{key}` must be {expected}, not {}",
                    describe_value(value)
                ),
            ));
        }
    }
    Ok(())
}

fn describe_value(v: &Dynamic) -> String {
    if v.is_unit() {
        "`()`".to_string()
    } else if v.is_string() || v.is_int() || v.is_float() || v.is_bool() {
        format!("`{v}` ({})", v.type_name())
    } else {
        format!("a value of type `{}`", v.type_name())
    }
}

/// Line and column (both 1-based, column in characters) of `const RULE`.
pub fn meta_position(text: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let trimmed = l.trim_start();
        trimmed
            .starts_with("const RULE")
            .then(|| (i + 1, l.chars().count() - trimmed.chars().count() + 1))
    })
}

/// Where the metadata key `key` is written (`    weight: 3,` → the `w`).
pub fn meta_key_position(text: &str, key: &str) -> Option<(usize, usize)> {
    let (start, _) = meta_position(text)?;
    let below = text
        .lines()
        .enumerate()
        .skip(start)
        .take_while(|(_, l)| !l.trim_start().starts_with("fn "))
        .find_map(|(i, l)| {
            let trimmed = l.trim_start();
            let after = trimmed.strip_prefix(key)?.trim_start();
            let begins = l.chars().count() - trimmed.chars().count();
            after.starts_with(':').then_some((i + 1, begins + 1))
        });
    below.or_else(|| {
        // `const RULE = #{ id: "x", ... }` on one line.
        let line = text.lines().nth(start - 1)?;
        let byte = line.find(&format!("{key}:"))?;
        Some((start, line[..byte].chars().count() + 1))
    })
}

/// Where the value of metadata key `key` begins (`weight: 3` → the `3`).
pub fn meta_value_position(text: &str, key: &str) -> Option<(usize, usize)> {
    let (line, column) = meta_key_position(text, key)?;
    let l = text.lines().nth(line - 1)?;
    let from: usize = l.char_indices().nth(column - 1).map(|(b, _)| b)?;
    let rest = &l[from + key.len()..];
    let colon = rest.find(':')?;
    let after = &rest[colon + 1..];
    let value_byte = from + key.len() + colon + 1 + (after.len() - after.trim_start().len());
    Some((line, l[..value_byte].chars().count() + 1))
}

fn clean(e: &rhai::EvalAltResult) -> String {
    let s = e.to_string();
    match s.rfind(" (line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "// x\nconst RULE = #{\n    id: \"x\",\n    weight: 3,\n};\n";

    #[test]
    fn metadata_positions_point_at_keys_and_values() {
        assert_eq!(meta_position(TEXT), Some((2, 1)));
        assert_eq!(meta_key_position(TEXT, "weight"), Some((4, 5)));
        assert_eq!(meta_value_position(TEXT, "weight"), Some((4, 13)));
        assert_eq!(meta_value_position(TEXT, "id"), Some((3, 9)));
        assert_eq!(meta_key_position(TEXT, "uses"), None);
    }
}
