//! Turning a document's text into a checked profile, or an error that says where and why.

use std::sync::Arc;

use serde_path_to_error::Segment;

use crate::error::ProfileError;
use crate::profile::Profile;

/// A profile that passed validation, with the JSON form the rules read.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub profile: Profile,
    /// The normalised JSON of `profile`, shared by every rule that reads it.
    pub value: Arc<serde_json::Value>,
}

/// Parses and validates one profile. A leading byte-order mark is ignored.
pub fn parse(text: &str, origin: &str) -> Result<Loaded, ProfileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let whole = whole_document(text, origin);
    let error = |e: Option<&serde_json::Error>, path: String, message: String| {
        error(origin, whole, e, path, message)
    };
    // serde would take an array for a struct, field by field in order (`["x", "X"]` would
    // be a profile): a profile is an object, and anything else is said so plainly.
    match text.trim_start().chars().next() {
        None => {
            return Err(error(
                None,
                String::new(),
                "empty: no profile here".to_string(),
            ))
        }
        Some('[') => {
            let (line, column) = position_of(text, text.len() - text.trim_start().len());
            return Err(ProfileError {
                line: whole.then_some(line),
                column: whole.then_some(column),
                ..error(
                    None,
                    String::new(),
                    "a profile is a JSON object `{...}`, not an array (for several \
                     profiles, put one object per line in an .ndjson file)"
                        .to_string(),
                )
            });
        }
        Some(_) => {}
    }
    let mut de = serde_json::Deserializer::from_str(text);
    // serde_json's recursion limit (128) stops hostile nesting before the stack does.
    let profile: Profile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = pointer(e.path());
        let inner = e.into_inner();
        error(Some(&inner), path, clean(&inner))
    })?;
    de.end()
        .map_err(|e| error(Some(&e), String::new(), clean(&e)))?;
    let value =
        serde_json::to_value(&profile).map_err(|e| error(None, String::new(), e.to_string()))?;
    Ok(Loaded {
        profile,
        value: Arc::new(value),
    })
}

/// Whether `text` is a whole document rather than one line of an NDJSON file, whose
/// origin already ends in `:LINE` (`file.ndjson:3`): there, the parser's "line 1" would
/// read as a second line number, so only the column is given, in the message.
fn whole_document(text: &str, origin: &str) -> bool {
    let ndjson_line = !text.contains('\n')
        && origin
            .rsplit_once(':')
            .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    !ndjson_line
}

/// 1-based line and column of byte `at` in `text`.
fn position_of(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(at, |i| at - i - 1) + 1;
    (line, column)
}

fn error(
    origin: &str,
    whole: bool,
    e: Option<&serde_json::Error>,
    path: String,
    mut message: String,
) -> ProfileError {
    let (line, column) = match e {
        Some(e) if e.line() > 0 && whole => (Some(e.line()), Some(e.column())),
        Some(e) if e.line() > 0 => {
            message = format!("{message} (column {})", e.column());
            (None, None)
        }
        _ => (None, None),
    };
    ProfileError {
        origin: origin.to_string(),
        line,
        column,
        path,
        message,
    }
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn clean(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let s = match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    };
    // serde_json's word for a bare word that is not `true`, `false` or `null`.
    if s == "expected ident" {
        "expected a JSON value (the only bare words are `true`, `false` and `null`)".to_string()
    } else {
        s
    }
}

/// Renders serde_path_to_error's path as a JSON pointer (RFC 6901).
fn pointer(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            // Where the parser lost track (at end of input) there is no key to name.
            Segment::Unknown => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_named_with_its_position() {
        let e = parse(
            "{\"id\": \"x\", \"name\": \"X\",\n \"recal\": []}",
            "p.json",
        )
        .unwrap_err();
        assert!(e.message.contains("unknown field `recal`"), "{e}");
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn nested_errors_carry_a_pointer() {
        let text = r#"{"id": "x", "name": "X", "recalls": [
            {"status": "maybe", "source": {"ref": "section II", "quote": "q"}}]}"#;
        let e = parse(text, "p.json").unwrap_err();
        assert_eq!(e.path, "/recalls/0/status");
        assert!(e.message.contains("unknown variant `maybe`"), "{e}");
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        let e = parse(r#"{"id": "x", "name": "X"} {"#, "p.json").unwrap_err();
        assert!(e.message.contains("trailing"), "{e}");
    }
}
