//! Turning a document's text into a checked profile, or an error that says where and why.

use std::sync::{Arc, OnceLock};

use serde_path_to_error::Segment;

use crate::error::ProfileError;
use crate::input::Document;
use crate::profile::Profile;
use crate::view::{self, Fields};

use strict::Strict;

/// A profile that passed validation, with the JSON form the rules read.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub profile: Profile,
    /// The normalised JSON of `profile`, shared by every rule that reads it; built when
    /// first asked for, since scoring from memory may need only part of it (see
    /// [`crate::view`]).
    value: OnceLock<Arc<serde_json::Value>>,
}

impl Loaded {
    pub fn new(profile: Profile) -> Loaded {
        Loaded {
            profile,
            value: OnceLock::new(),
        }
    }

    /// The profile's JSON, as the rules read it: nulls left out, and `certainty` where
    /// it is not `stated`.
    pub fn value(&self) -> &Arc<serde_json::Value> {
        self.value
            .get_or_init(|| Arc::new(view::json(&self.profile, Fields::ALL)))
    }
}

/// Reads one input document into a profile, or the error that says why not; with the
/// document's origin either way.
pub fn document(doc: Document) -> (Result<Loaded, ProfileError>, String) {
    let loaded = doc.text.and_then(|text| parse(&text, &doc.origin));
    (loaded, doc.origin)
}

/// Parses and validates one profile. A leading byte-order mark is ignored.
pub fn parse(text: &str, origin: &str) -> Result<Loaded, ProfileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Only an error needs to know (and the scan for a newline is not free on every line).
    let whole = || whole_document(text, origin);
    let error = |e: Option<&serde_json::Error>, path: String, message: String| {
        error(origin, whole(), e, path, message)
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
                line: whole().then_some(line),
                column: whole().then_some(column),
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
    // serde_json's recursion limit (128) stops hostile nesting before the stack does.
    // Most profiles are valid: parse without tracking the path, and only on failure
    // parse again with serde_path_to_error to say where.
    let mut de = serde_json::Deserializer::from_str(text);
    let profile: Profile = match serde::Deserialize::deserialize(Strict(&mut de)) {
        Ok(p) => p,
        Err(_) => {
            let mut de = serde_json::Deserializer::from_str(text);
            let e = match serde_path_to_error::deserialize::<_, Profile>(Strict(&mut de)) {
                Err(e) => e,
                // Unreachable in practice: the same input failed a moment ago.
                Ok(_) => {
                    return Err(error(None, String::new(), "invalid profile".to_string()));
                }
            };
            let path = pointer(e.path());
            let inner = e.into_inner();
            return Err(error(Some(&inner), path, clean(&inner)));
        }
    };
    de.end()
        .map_err(|e| error(Some(&e), String::new(), clean(&e)))?;
    Ok(Loaded::new(profile))
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

/// serde_json as a profile needs it: strict where serde's derive is lenient.
///
/// Derived structs also take an array, field by field in declaration order, so
/// `"born": ["1919", "Kiev", {...}]` would be a birth date and place; and an enum also
/// takes `{"variant": null}`. A profile's structs are objects and its enums are names,
/// nothing else: this wrapper passes every value through unchanged except those two.
mod strict {
    use std::fmt;

    use serde::de::{
        self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
    };

    /// A deserializer whose structs take only objects and whose enums take only strings,
    /// at every depth.
    pub struct Strict<D>(pub D);

    macro_rules! forward_deserialize {
        ($($method:ident)*) => {$(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method(Wrap(visitor))
            }
        )*};
    }

    impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
        type Error = D::Error;

        forward_deserialize! {
            deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
            deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
            deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
            deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
            deserialize_option deserialize_unit deserialize_seq deserialize_map
            deserialize_identifier deserialize_ignored_any
        }

        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_unit_struct(name, Wrap(visitor))
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_newtype_struct(name, Wrap(visitor))
        }

        fn deserialize_tuple<V: Visitor<'de>>(
            self,
            len: usize,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_tuple(len, Wrap(visitor))
        }

        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            len: usize,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_tuple_struct(name, len, Wrap(visitor))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0
                .deserialize_struct(name, fields, ObjectOnly(Wrap(visitor)))
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            _variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            // Every enum of a profile is a plain name (`"in_force"`): only a string is
            // handed on, as the variant's name.
            self.0.deserialize_any(NameOnly(visitor))
        }

        fn is_human_readable(&self) -> bool {
            self.0.is_human_readable()
        }
    }

    /// The inner visitor's own words for what it expected (`struct Born`).
    struct Expecting<'a, V>(&'a V);

    impl<'de, V: Visitor<'de>> fmt::Display for Expecting<'_, V> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.expecting(f)
        }
    }

    /// Takes an object; refuses an array, which serde would read positionally.
    struct ObjectOnly<V>(V);

    impl<'de, V: Visitor<'de>> Visitor<'de> for ObjectOnly<V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.expecting(f)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
            self.0.visit_map(map)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<V::Value, A::Error> {
            Err(de::Error::custom(format_args!(
                "invalid type: array, expected an object {{...}} ({}): fields are named, \
                 never given by position",
                Expecting(&self.0)
            )))
        }
    }

    /// Takes a string as an enum variant's name, and nothing else.
    struct NameOnly<V>(V);

    impl<'de, V: Visitor<'de>> Visitor<'de> for NameOnly<V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.expecting(f)?;
            f.write_str(" (a string)")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
            self.0.visit_enum(v.into_deserializer())
        }
    }

    /// Passes everything through, wrapping whatever can hold a nested value.
    struct Wrap<V>(V);

    macro_rules! forward_visit {
        ($($method:ident($ty:ty))*) => {$(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.0.$method(v)
            }
        )*};
    }

    impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.expecting(f)
        }

        forward_visit! {
            visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64)
            visit_i128(i128) visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64)
            visit_u128(u128) visit_f32(f32) visit_f64(f64) visit_char(char)
            visit_str(&str) visit_borrowed_str(&'de str) visit_string(String)
            visit_bytes(&[u8]) visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
        }

        fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
            self.0.visit_none()
        }

        fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
            self.0.visit_unit()
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
            self.0.visit_some(Strict(d))
        }

        fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
            self.0.visit_newtype_struct(Strict(d))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
            self.0.visit_seq(Seq(seq))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
            self.0.visit_map(Map(map))
        }

        fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
            // Unreachable from JSON: `deserialize_enum` above never hands on an enum.
            self.0.visit_enum(data)
        }
    }

    struct Seq<A>(A);

    impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<A> {
        type Error = A::Error;

        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, A::Error> {
            self.0.next_element_seed(Seed(seed))
        }

        fn size_hint(&self) -> Option<usize> {
            self.0.size_hint()
        }
    }

    struct Map<A>(A);

    impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<A> {
        type Error = A::Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, A::Error> {
            self.0.next_key_seed(Seed(seed))
        }

        fn next_value_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<T::Value, A::Error> {
            self.0.next_value_seed(Seed(seed))
        }

        fn size_hint(&self) -> Option<usize> {
            self.0.size_hint()
        }
    }

    struct Seed<S>(S);

    impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
        type Value = S::Value;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
            self.0.deserialize(Strict(d))
        }
    }
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
