//! The shape of a profile as the rules see it, derived once from the JSON Schema: which
//! keys each object may have, and which fields are cited lists (`Facts`).
//!
//! It lets the engine tell a typo (`profile.recal`, an error) from a fact the profile is
//! silent on (`profile.recalls` absent, unknown).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::Value;

/// Allowed keys per object position, positions written as pointers with `*` for any
/// array index (`/recalls/*`).
#[derive(Debug, Default)]
pub struct Shape {
    objects: BTreeMap<String, BTreeSet<String>>,
    facts: BTreeSet<String>,
    free: BTreeSet<String>,
}

/// What is known of a position in a profile.
#[derive(Debug, PartialEq, Eq)]
pub enum Position<'a> {
    /// An object with these keys.
    Object(&'a BTreeSet<String>),
    /// Anything goes (under `extra`).
    Free,
    /// Not a position the schema has.
    Unknown,
}

impl Shape {
    /// The profile's shape (built on first use).
    pub fn profile() -> &'static Shape {
        static SHAPE: OnceLock<Shape> = OnceLock::new();
        SHAPE.get_or_init(|| Shape::from_schema(&crate::schema()))
    }

    pub fn from_schema(schema: &Value) -> Shape {
        let mut shape = Shape::default();
        let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
        shape.walk(schema, &defs, String::new(), 0);
        shape
    }

    fn walk(&mut self, s: &Value, defs: &Value, at: String, depth: usize) {
        if depth > 16 {
            return;
        }
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/$defs/");
            if let Some(def) = defs.get(name) {
                self.walk(def, defs, at, depth + 1);
            }
            return;
        }
        if let Some(variants) = s.get("anyOf").and_then(Value::as_array) {
            let is_facts = variants.iter().any(|v| v.get("minItems").is_some());
            if is_facts {
                self.facts.insert(at.clone());
            }
            for v in variants {
                self.walk(v, defs, at.clone(), depth + 1);
            }
        }
        if let Some(items) = s.get("items") {
            self.walk(items, defs, format!("{at}/*"), depth + 1);
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            let keys = self.objects.entry(at.clone()).or_default();
            keys.extend(props.keys().cloned());
            for (k, v) in props {
                self.walk(v, defs, format!("{at}/{k}"), depth + 1);
            }
        } else if is_object_type(s) {
            self.free.insert(at);
        }
    }

    /// What may be found at `pattern` (a pointer with `*` for indices).
    pub fn position(&self, pattern: &str) -> Position<'_> {
        if self.is_free(pattern) {
            return Position::Free;
        }
        match self.objects.get(pattern) {
            Some(keys) => Position::Object(keys),
            None => Position::Unknown,
        }
    }

    /// Whether the field at `pattern` is a cited list (`Facts`).
    pub fn is_facts(&self, pattern: &str) -> bool {
        self.facts.contains(pattern)
    }

    fn is_free(&self, pattern: &str) -> bool {
        self.free
            .iter()
            .any(|f| pattern == f || pattern.starts_with(&format!("{f}/")))
    }

    /// Every field path a rule may read, for documentation and lints.
    pub fn fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (at, keys) in &self.objects {
            for k in keys {
                out.push(format!("{at}/{k}"));
            }
        }
        out
    }
}

fn is_object_type(s: &Value) -> bool {
    match s.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => false,
    }
}

/// Turns a concrete pointer into its pattern: `/recalls/1/status` -> `/recalls/*/status`.
pub fn pattern_of(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|seg| {
            if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Levenshtein distance between two names, for did-you-mean suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_shape_knows_its_fields() {
        let shape = Shape::profile();
        let Position::Object(root) = shape.position("") else {
            panic!("root is an object")
        };
        assert!(root.contains("recalls") && root.contains("family"));
        assert!(!root.contains("recal"));
        let Position::Object(recall) = shape.position("/recalls/*") else {
            panic!("a recall is an object")
        };
        assert!(recall.contains("status") && recall.contains("source"));
        assert!(shape.is_facts("/recalls"));
        assert!(!shape.is_facts("/defection"));
        assert_eq!(shape.position("/extra/anything/deep"), Position::Free);
    }

    #[test]
    fn patterns_replace_indices() {
        assert_eq!(pattern_of("/recalls/1/status"), "/recalls/*/status");
        assert_eq!(pattern_of(""), "");
    }
}
