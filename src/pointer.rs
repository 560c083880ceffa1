//! JSON pointers (RFC 6901) into a profile's JSON: followed as text where a rule reads
//! once, or split once into tokens where the same pointer is followed on every profile
//! (remembered answers ask the same questions of each).

use serde_json::Value;

use crate::keys;
use crate::view::{Fields, Root};

/// Something that points into a profile: a pointer's text, or a [`Pointer`].
pub trait At {
    /// The pointer as written (`/recalls/0/status`).
    fn text(&self) -> &str;

    /// Calls `f` on `root`'s tree, then on each value the pointer leads through, as far
    /// as it goes; returns whether it went all the way.
    fn walk<'a>(&self, root: &Root<'a>, f: impl FnMut(&'a Value)) -> bool;

    /// The value the pointer names in `root`.
    fn resolve<'a>(&self, root: &Root<'a>) -> Option<&'a Value> {
        let mut last = root.tree();
        self.walk(root, |v| last = v).then_some(last)
    }
}

/// Followed as written, like `Value::pointer` but allocating only for a token with an
/// escape (`~0`, `~1`) in it.
impl At for str {
    fn text(&self) -> &str {
        self
    }

    fn walk<'a>(&self, root: &Root<'a>, mut f: impl FnMut(&'a Value)) -> bool {
        let Some(tokens) = tokens(self) else {
            return false;
        };
        let mut at = root.tree();
        f(at);
        for token in tokens {
            match step(at, token) {
                Some(next) => at = next,
                None => return false,
            }
            f(at);
        }
        true
    }
}

/// The reference tokens of a JSON pointer, still escaped; `None` if it is not one.
fn tokens(pointer: &str) -> Option<impl Iterator<Item = &str>> {
    let rest = match pointer {
        "" => None,
        p => Some(p.strip_prefix('/')?),
    };
    Some(rest.into_iter().flat_map(|r| r.split('/')))
}

/// One step down a JSON pointer.
fn step<'a>(at: &'a Value, token: &str) -> Option<&'a Value> {
    let unescaped;
    let token = if token.contains('~') {
        unescaped = unescape(token);
        unescaped.as_str()
    } else {
        token
    };
    match at {
        Value::Object(m) => keys::get(m, token),
        Value::Array(a) => a.get(index(token)?),
        _ => None,
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// A token read as an array index. RFC 6901: no leading zeros, no sign.
fn index(token: &str) -> Option<usize> {
    if token.len() > 1 && token.starts_with('0') || token.starts_with('+') {
        return None;
    }
    token.parse().ok()
}

/// A pointer split into its unescaped tokens once, so that following it again is only
/// the lookups.
#[derive(Debug, Clone)]
pub struct Pointer {
    text: String,
    /// `None` when the text is not a pointer: it then leads nowhere.
    tokens: Option<Vec<Token>>,
    /// The top-level fields of a profile that following it reads.
    fields: Fields,
}

#[derive(Debug, Clone)]
struct Token {
    key: String,
    /// The same token as an array index, when it is one.
    index: Option<usize>,
}

impl Pointer {
    pub fn new(text: String) -> Pointer {
        let tokens = tokens(&text).map(|ts| {
            ts.map(|t| Token {
                key: if t.contains('~') {
                    unescape(t)
                } else {
                    t.to_string()
                },
                index: index(t),
            })
            .collect::<Vec<Token>>()
        });
        let fields = tokens.as_ref().map_or(Fields::NONE, |ts| {
            Fields::at(ts.iter().map(|t| t.key.as_str()))
        });
        Pointer {
            text,
            tokens,
            fields,
        }
    }

    /// The top-level fields of a profile that following it reads.
    pub fn fields(&self) -> Fields {
        self.fields
    }

    /// Bytes it takes, roughly: its text twice, and a token's overhead.
    pub fn size(&self) -> usize {
        2 * self.text.len() + self.tokens.as_ref().map_or(0, |t| t.len() * 40)
    }
}

impl PartialEq for Pointer {
    fn eq(&self, other: &Pointer) -> bool {
        self.text == other.text
    }
}

impl Eq for Pointer {}

/// By its text, as it is compared.
impl std::hash::Hash for Pointer {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl At for Pointer {
    fn text(&self) -> &str {
        &self.text
    }

    fn walk<'a>(&self, root: &Root<'a>, mut f: impl FnMut(&'a Value)) -> bool {
        let Some(tokens) = &self.tokens else {
            return false;
        };
        let mut at = root.tree();
        f(at);
        let field = self.fields.single();
        for (i, t) in tokens.iter().enumerate() {
            let next = match (i, field, at) {
                // A profile's field, looked up once per profile.
                (0, Some(field), _) => root.top(field),
                (_, _, Value::Object(m)) => keys::get(m, &t.key),
                (_, _, Value::Array(a)) => t.index.and_then(|i| a.get(i)),
                _ => None,
            };
            match next {
                Some(next) => at = next,
                None => return false,
            }
            f(at);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn split_and_textual_pointers_lead_to_the_same_place() {
        let tree = json!({
            "a": [{"b/c": 1, "d~e": 2, "0": 3}],
            "": {"x": 4},
            "01": 5,
            "recalls": [{"status": "recalled"}],
            "extra": {"recalls": 6},
        });
        let root = Root::new(&tree);
        for p in [
            "/recalls",
            "/recalls/0/status",
            "/extra/recalls",
            "/family",
            "/family/0",
            "",
            "/a",
            "/a/0",
            "/a/0/b~1c",
            "/a/0/d~0e",
            "/a/0/0",
            "/a/00",
            "/a/+0",
            "/a/1",
            "//x",
            "/01",
            "/nope",
            "a",
            "/a/0/b~1c/x",
        ] {
            let split = Pointer::new(p.to_string());
            assert_eq!(split.resolve(&root), tree.pointer(p), "{p}");
            assert_eq!(p.resolve(&root), tree.pointer(p), "{p}");
            let (mut a, mut b) = (Vec::new(), Vec::new());
            assert_eq!(
                split.walk(&root, |v| a.push(v)),
                p.walk(&root, |v| b.push(v))
            );
            assert_eq!(a, b, "{p}");
        }
        // A field looked up in a tree that is no profile finds nothing, as the text does.
        for tree in [json!([{"status": 1}]), json!("recalls")] {
            let root = Root::new(&tree);
            let split = Pointer::new("/recalls/0".to_string());
            assert_eq!(split.resolve(&root), None);
            assert_eq!("/recalls/0".resolve(&root), None);
        }
    }
}
