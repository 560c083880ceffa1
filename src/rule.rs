//! One indicator: a `.rhai` file compiled once, with the metadata it declares.
//!
//! The metadata is a literal `const RULE = #{ ... };` at the top of the file. Loading
//! runs only the file's top level (under the sandbox limits), never `evaluate`.

use std::collections::BTreeMap;

use rhai::{Engine, Scope, AST};
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

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub meta: RuleMeta,
    /// Where it came from, for messages.
    pub file: String,
    pub ast: AST,
}

/// Compiles `text` (the contents of `file`, whose stem is `stem`) into a rule.
pub fn compile(
    engine: &Engine,
    limits: &Limits,
    file: &str,
    stem: &str,
    text: &str,
) -> Result<Rule, RuleError> {
    let err = |line: Option<usize>, column: Option<usize>, message: String| RuleError {
        file: file.to_string(),
        line,
        column,
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
        err(
            pos.line(),
            pos.position(),
            format!("syntax error: {message}"),
        )
    })?;
    let meta_line = text
        .lines()
        .position(|l| l.trim_start().starts_with("const RULE"))
        .map(|i| i + 1);

    // Only the top level runs: the metadata constant and function definitions.
    let mut scope = Scope::new();
    engine.run_ast_with_scope(&mut scope, &ast).map_err(|e| {
        let (message, line) = describe_error(&e, limits);
        err(line, None, format!("top level failed: {message}"))
    })?;
    let Some(map) = scope.get_value::<rhai::Map>("RULE") else {
        return Err(err(
            meta_line,
            None,
            "no metadata: the file must declare `const RULE = #{ id: ..., title: ..., \
             description: ..., weight: ..., source: #{ ref: ..., quote: ... } };`"
                .to_string(),
        ));
    };
    let meta: RuleMeta = rhai::serde::from_dynamic(&rhai::Dynamic::from_map(map))
        .map_err(|e| err(meta_line, None, format!("invalid metadata: {}", clean(&e))))?;
    if meta.id != stem {
        return Err(err(
            meta_line,
            None,
            format!(
                "metadata id `{}` does not match the file name `{stem}.rhai`",
                meta.id
            ),
        ));
    }
    if meta.weight > 100 {
        return Err(err(
            meta_line,
            None,
            format!("weight {} is out of range: 0 to 100", meta.weight),
        ));
    }
    let has_evaluate = ast
        .iter_functions()
        .any(|f| f.name == "evaluate" && f.params.len() == 1);
    if !has_evaluate {
        return Err(err(
            None,
            None,
            "no `fn evaluate(profile)`: a rule must define it with one parameter".to_string(),
        ));
    }
    Ok(Rule {
        meta,
        file: file.to_string(),
        ast,
    })
}

fn clean(e: &rhai::EvalAltResult) -> String {
    let s = e.to_string();
    match s.rfind(" (line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
