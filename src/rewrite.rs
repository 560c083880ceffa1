//! Serialising into a JSON tree that already exists, reusing its strings, lists and maps.
//!
//! Profiles in a batch have much the same shape, so the tree built for one is mostly
//! the right size for the next. Writing the next one over it copies its strings into
//! the old ones' buffers and its fields into the old maps' slots, where building a tree
//! anew allocates every node and dropping the old one walks them all again.
//!
//! The result is the tree `serde_json::to_value` would build: every scalar goes through
//! serde_json's own serializer, and a node whose old shape does not fit (another kind,
//! or a map, whose keys are not known in advance) is built anew by it.

use serde::ser::{self, Serialize, SerializeSeq, SerializeStruct, Serializer};
use serde_json::{Map, Value};

use crate::keys;

type Error = serde_json::Error;

/// Writes `value` over `slot`, leaving in the outermost struct only the fields `keep`
/// accepts (all of them without it). The same as assigning `serde_json::to_value` of
/// it, but with the old tree's allocations reused. On error (a value that cannot be
/// JSON), `slot` holds some mix of old and new and should be rebuilt.
pub fn rewrite<T: ?Sized + Serialize>(
    value: &T,
    slot: &mut Value,
    keep: Option<&dyn Fn(&'static str) -> bool>,
) -> Result<(), Error> {
    value.serialize(Over { slot, keep })
}

/// Serialises over one node.
struct Over<'a> {
    slot: &'a mut Value,
    /// Which fields of this node, a struct, to keep: only at the top.
    keep: Option<&'a dyn Fn(&'static str) -> bool>,
}

impl Over<'_> {
    fn set(self, value: Value) -> Result<(), Error> {
        *self.slot = value;
        Ok(())
    }
}

/// A compound node built anew by serde_json, then put in the slot.
struct Fresh<'a, S> {
    slot: &'a mut Value,
    inner: S,
}

macro_rules! scalars {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method(self, v: $ty) -> Result<(), Error> {
            let value = serde_json::value::Serializer.$method(v)?;
            self.set(value)
        }
    )*};
}

impl<'a> Serializer for Over<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Items<'a>;
    type SerializeTuple = Fresh<'a, <serde_json::value::Serializer as Serializer>::SerializeTuple>;
    type SerializeTupleStruct =
        Fresh<'a, <serde_json::value::Serializer as Serializer>::SerializeTupleStruct>;
    type SerializeTupleVariant =
        Fresh<'a, <serde_json::value::Serializer as Serializer>::SerializeTupleVariant>;
    type SerializeMap = Fresh<'a, <serde_json::value::Serializer as Serializer>::SerializeMap>;
    type SerializeStruct = Struct<'a>;
    type SerializeStructVariant =
        Fresh<'a, <serde_json::value::Serializer as Serializer>::SerializeStructVariant>;

    scalars! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_bytes(&[u8]);
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        match self.slot {
            // Growing an old string would copy its old bytes first, for nothing.
            Value::String(s) if s.capacity() >= v.len() => {
                s.clear();
                s.push_str(v);
            }
            slot => *slot = Value::String(v.to_owned()),
        }
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.set(Value::Null)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.set(Value::Null)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.set(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let value =
            serde_json::value::Serializer.serialize_newtype_variant(name, index, variant, value)?;
        self.set(value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Items<'a>, Error> {
        if !self.slot.is_array() {
            *self.slot = Value::Array(Vec::with_capacity(len.unwrap_or(0)));
        }
        let Value::Array(items) = self.slot else {
            return Err(ser::Error::custom("the slot was just made a list"));
        };
        Ok(Items { items, at: 0 })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, Error> {
        Ok(Fresh {
            inner: serde_json::value::Serializer.serialize_tuple(len)?,
            slot: self.slot,
        })
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Ok(Fresh {
            inner: serde_json::value::Serializer.serialize_tuple_struct(name, len)?,
            slot: self.slot,
        })
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Ok(Fresh {
            inner: serde_json::value::Serializer
                .serialize_tuple_variant(name, index, variant, len)?,
            slot: self.slot,
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Ok(Fresh {
            inner: serde_json::value::Serializer.serialize_map(len)?,
            slot: self.slot,
        })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Struct<'a>, Error> {
        if !self.slot.is_object() {
            *self.slot = Value::Object(Map::new());
        }
        let Value::Object(map) = self.slot else {
            return Err(ser::Error::custom("the slot was just made a map"));
        };
        Ok(Struct {
            map,
            keep: self.keep,
            written: 0,
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Ok(Fresh {
            inner: serde_json::value::Serializer
                .serialize_struct_variant(name, index, variant, len)?,
            slot: self.slot,
        })
    }
}

/// A list written over an old one: items past the new length are dropped at the end.
struct Items<'a> {
    items: &'a mut Vec<Value>,
    at: usize,
}

impl SerializeSeq for Items<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        if self.at == self.items.len() {
            self.items.push(Value::Null);
        }
        let slot = &mut self.items[self.at];
        self.at += 1;
        value.serialize(Over { slot, keep: None })
    }

    fn end(self) -> Result<(), Error> {
        self.items.truncate(self.at);
        Ok(())
    }
}

/// A struct written over an old map. Fields it skips are removed; a key no field of it
/// wrote or skipped (the old map was another struct's, which a profile never puts in
/// the same place) is an error, and the caller builds the tree anew.
struct Struct<'a> {
    map: &'a mut Map<String, Value>,
    keep: Option<&'a dyn Fn(&'static str) -> bool>,
    /// Fields written so far, all of them in the map.
    written: usize,
}

impl SerializeStruct for Struct<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        if self.keep.is_some_and(|keep| !keep(key)) {
            return self.skip_field(key);
        }
        self.written += 1;
        match keys::get_mut(self.map, key) {
            Some(slot) => value.serialize(Over { slot, keep: None }),
            None => {
                let value = serde_json::to_value(value)?;
                self.map.insert(key.to_owned(), value);
                Ok(())
            }
        }
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), Error> {
        // Every key in the map is a field written so far unless it holds more: only then
        // can the old tree have this one.
        if self.map.len() > self.written {
            self.map.remove(key);
        }
        Ok(())
    }

    fn end(self) -> Result<(), Error> {
        if self.map.len() != self.written {
            return Err(ser::Error::custom("a map of other keys written over"));
        }
        Ok(())
    }
}

macro_rules! fresh {
    ($trait:ident, $method:ident $(, $key:ident: $kty:ty)?) => {
        impl ser::$trait for Fresh<'_, <serde_json::value::Serializer as Serializer>::$trait> {
            type Ok = ();
            type Error = Error;

            fn $method<T: ?Sized + Serialize>(
                &mut self,
                $($key: $kty,)?
                value: &T,
            ) -> Result<(), Error> {
                ser::$trait::$method(&mut self.inner, $($key,)? value)
            }

            fn end(self) -> Result<(), Error> {
                *self.slot = ser::$trait::end(self.inner)?;
                Ok(())
            }
        }
    };
}

fresh!(SerializeTuple, serialize_element);
fresh!(SerializeTupleStruct, serialize_field);
fresh!(SerializeTupleVariant, serialize_field);
fresh!(SerializeStructVariant, serialize_field, key: &'static str);

impl ser::SerializeMap for Fresh<'_, <serde_json::value::Serializer as Serializer>::SerializeMap> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.inner.serialize_key(key)
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.inner.serialize_value(value)
    }

    fn end(self) -> Result<(), Error> {
        *self.slot = ser::SerializeMap::end(self.inner)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn over(old: Value, new: &Value) -> Value {
        let mut slot = old;
        rewrite(new, &mut slot, None).unwrap();
        slot
    }

    #[test]
    fn writing_over_any_tree_gives_the_new_one() {
        let trees = [
            json!(null),
            json!("s"),
            json!([1, "two", {"three": 3}]),
            json!({"a": [1, 2, 3], "b": {"c": "d"}, "e": null}),
            json!({"a": "x", "z": [true]}),
            json!([[], {}, [{}]]),
            json!({"none": {"ref": "preface"}}),
            json!(1.5),
        ];
        for old in &trees {
            for new in &trees {
                assert_eq!(&over(old.clone(), new), new, "{old} overwritten by {new}");
            }
        }
    }

    #[derive(serde::Serialize)]
    struct Shape {
        a: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<u32>,
        c: Vec<Shape>,
    }

    #[test]
    fn skipped_fields_are_removed_and_other_structs_keys_refused() {
        let shape = |a: &str, b: Option<u32>, c: Vec<Shape>| Shape { a: a.into(), b, c };
        let one = shape("x", None, vec![shape("y", Some(2), vec![])]);
        let two = shape("a longer string", Some(7), vec![]);
        let three = shape(
            "",
            Some(1),
            vec![shape("z", None, vec![]), shape("w", Some(3), vec![])],
        );
        let mut slot = Value::Null;
        for new in [&one, &two, &three, &one, &three, &two] {
            rewrite(new, &mut slot, None).unwrap();
            assert_eq!(slot, serde_json::to_value(new).unwrap());
        }
        // A map with keys the struct does not have: refused, to be built anew.
        let mut slot = json!({"a": "s", "c": [], "d": 0});
        assert!(rewrite(&one, &mut slot, None).is_err());
    }

    #[test]
    fn only_the_kept_top_level_fields_stay() {
        let new = json!({"a": 1, "b": {"a": 2}});
        let mut slot = json!({"a": 0, "b": 0, "c": 0});
        let keep = |k: &'static str| k != "a";
        // A map is rebuilt whole: only a struct's fields are filtered.
        rewrite(&new, &mut slot, Some(&keep)).unwrap();
        assert_eq!(slot, new);
        let shape = Shape {
            a: "x".into(),
            b: Some(1),
            c: vec![],
        };
        let mut slot = json!({"a": "old", "b": 0, "c": [1]});
        rewrite(&shape, &mut slot, Some(&keep)).unwrap();
        assert_eq!(slot, json!({"b": 1, "c": []}));
    }
}
