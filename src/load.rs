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
    let mut de = serde_json::Deserializer::from_str(text);
    // serde_json's recursion limit (128) stops hostile nesting before the stack does.
    let profile: Profile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = pointer(e.path());
        let inner = e.into_inner();
        error(origin, Some(&inner), path, clean(&inner))
    })?;
    de.end()
        .map_err(|e| error(origin, Some(&e), String::new(), clean(&e)))?;
    let value = serde_json::to_value(&profile)
        .map_err(|e| error(origin, None, String::new(), e.to_string()))?;
    Ok(Loaded {
        profile,
        value: Arc::new(value),
    })
}

fn error(
    origin: &str,
    e: Option<&serde_json::Error>,
    path: String,
    message: String,
) -> ProfileError {
    let (line, column) = match e {
        Some(e) if e.line() > 0 => (Some(e.line()), Some(e.column())),
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
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
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
