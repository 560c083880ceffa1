//! Serialising into a JSON tree that already exists, reusing its strings, lists and maps.
//!
//! Profiles in a batch have much the same shape, so the tree built for one is mostly
//! the right size for the next. Writing the next one over it copies its strings into
//! the old ones' buffers and its fields into the old maps' slots, where building a tree
//! anew allocates every node and dropping the old one walks them all again. What the
//! tree loses (list items past a shorter list's end, fields a struct no longer has) is
//! kept by where it stood ([`Spare`]) for a later tree to write over: lists and optional
//! fields are what differ most from one profile to the next.
//!
//! The result is the tree `serde_json::to_value` would build: every scalar goes through
//! serde_json's own serializer, and a node whose old shape does not fit (another kind,
//! or a map, whose keys are not known in advance) is built anew by it.

use serde::ser::{self, Serialize, SerializeSeq, SerializeStruct, Serializer};
use serde_json::{Map, Value};

use crate::keys;

type Error = serde_json::Error;

/// Writes `value` over `slot`. The same as assigning `serde_json::to_value` of it, but
/// with the old tree's allocations reused. On error (a value that cannot be JSON),
/// `slot` holds some mix of old and new and should be rebuilt.
pub fn rewrite<T: ?Sized + Serialize>(
    value: &T,
    slot: &mut Value,
    top: Option<Top<'_>>,
    spare: Option<&mut Spare>,
) -> Result<(), Error> {
    value.serialize(Over {
        slot,
        top,
        spare,
        place: None,
    })
}

/// Where a node stands: the struct whose field it is (or whose field's list it is an
/// item of), and the field. Every node at one place is of one type.
type Place = (&'static str, &'static str);

/// What the tree lost, kept for a later tree to write over rather than dropped and
/// built again: a profile's lists differ in length from the last profile's, and its
/// structs in which optional fields they have, and a node built anew allocates each of
/// its strings, lists and maps.
#[derive(Debug, Default)]
pub struct Spare {
    /// Items past the end of a shorter list, for a longer list at the same place.
    items: Pool<Value>,
    /// Fields a struct had and the next one written over it did not, with their keys,
    /// for a later struct at the same place that has them again.
    fields: Pool<(String, Value)>,
}

/// Places told apart by their names' addresses: a name is a literal of the struct's
/// derived code, so that is enough, and it costs no string comparison on every field
/// written. (Two copies of one literal would make two places, each right.)
fn same(a: Place, b: Place) -> bool {
    std::ptr::eq(a.0, b.0) && std::ptr::eq(a.1, b.1)
}

/// Spare nodes by place.
#[derive(Debug)]
struct Pool<T>(Vec<(Place, Vec<T>)>);

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool(Vec::new())
    }
}

impl<T> Pool<T> {
    /// Nodes kept per place, so that what is kept stays small whatever the input.
    const KEPT: usize = 16;

    fn take(&mut self, place: Place) -> Option<T> {
        self.0.iter_mut().find(|(p, _)| same(*p, place))?.1.pop()
    }

    fn keep(&mut self, place: Place, nodes: impl Iterator<Item = T>) {
        let at = match self.0.iter().position(|(p, _)| same(*p, place)) {
            Some(at) => at,
            None => {
                self.0.push((place, Vec::new()));
                self.0.len() - 1
            }
        };
        let kept = &mut self.0[at].1;
        let room = Self::KEPT.saturating_sub(kept.len());
        kept.extend(nodes.take(room));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.iter().map(|(_, v)| v.len()).sum()
    }
}

/// What is done at the outermost struct alone.
pub struct Top<'a> {
    /// Which of its fields to keep; those left out go to the spares like any field the
    /// struct no longer has.
    pub keep: &'a dyn Fn(&'static str) -> bool,
}

/// Serialises over one node.
struct Over<'a> {
    slot: &'a mut Value,
    /// Set only at the top.
    top: Option<Top<'a>>,
    spare: Option<&'a mut Spare>,
    /// Where the node stands, below the top.
    place: Option<Place>,
}

impl<'a> Over<'a> {
    fn set(self, value: Value) -> Result<(), Error> {
        *self.slot = value;
        Ok(())
    }

    /// A compound node serde_json's own serializer builds, `inner`, put in the slot at
    /// its end.
    fn fresh<S>(self, inner: Result<S, Error>) -> Result<Fresh<'a, S>, Error> {
        Ok(Fresh {
            inner: inner?,
            slot: self.slot,
        })
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
        Ok(Items {
            items,
            at: 0,
            spare: self.spare,
            place: self.place,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, Error> {
        self.fresh(serde_json::value::Serializer.serialize_tuple(len))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        self.fresh(serde_json::value::Serializer.serialize_tuple_struct(name, len))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        self.fresh(serde_json::value::Serializer.serialize_tuple_variant(name, index, variant, len))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        self.fresh(serde_json::value::Serializer.serialize_map(len))
    }

    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Struct<'a>, Error> {
        if !self.slot.is_object() {
            *self.slot = Value::Object(Map::new());
        }
        let Value::Object(map) = self.slot else {
            return Err(ser::Error::custom("the slot was just made a map"));
        };
        Ok(Struct {
            map,
            top: self.top,
            written: 0,
            spare: self.spare,
            name,
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        self.fresh(
            serde_json::value::Serializer.serialize_struct_variant(name, index, variant, len),
        )
    }
}

/// A list written over an old one: items past the new length are taken out at the end,
/// and kept as spares if there is somewhere to keep them.
struct Items<'a> {
    items: &'a mut Vec<Value>,
    at: usize,
    spare: Option<&'a mut Spare>,
    place: Option<Place>,
}

impl SerializeSeq for Items<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        if self.at == self.items.len() {
            let spare = match (&mut self.spare, self.place) {
                (Some(spare), Some(place)) => spare.items.take(place),
                _ => None,
            };
            self.items.push(spare.unwrap_or(Value::Null));
        }
        let slot = &mut self.items[self.at];
        self.at += 1;
        value.serialize(Over {
            slot,
            top: None,
            spare: self.spare.as_deref_mut(),
            place: self.place,
        })
    }

    fn end(self) -> Result<(), Error> {
        match (self.spare, self.place) {
            (Some(spare), Some(place)) if self.items.len() > self.at => {
                spare.items.keep(place, self.items.drain(self.at..));
            }
            _ => self.items.truncate(self.at),
        }
        Ok(())
    }
}

/// A struct written over an old map. Fields it skips are removed; a key no field of it
/// wrote or skipped (the old map was another struct's, which a profile never puts in
/// the same place) is an error, and the caller builds the tree anew.
struct Struct<'a> {
    map: &'a mut Map<String, Value>,
    top: Option<Top<'a>>,
    /// Fields written so far, all of them in the map.
    written: usize,
    spare: Option<&'a mut Spare>,
    /// The struct's own name, for its fields' places.
    name: &'static str,
}

impl SerializeStruct for Struct<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        if self.top.as_ref().is_some_and(|top| !(top.keep)(key)) {
            return self.skip_field(key);
        }
        self.written += 1;
        let place = Some((self.name, key));
        if let Some(slot) = keys::get_mut(self.map, key) {
            return value.serialize(Over {
                slot,
                top: None,
                spare: self.spare.as_deref_mut(),
                place,
            });
        }
        let spare = self
            .spare
            .as_mut()
            .and_then(|spare| spare.fields.take((self.name, key)));
        match spare {
            Some((key, mut slot)) => {
                let written = value.serialize(Over {
                    slot: &mut slot,
                    top: None,
                    spare: self.spare.as_deref_mut(),
                    place,
                });
                self.map.insert(key, slot);
                written
            }
            None => {
                // Built by serde_json: no old node to write over, so no place matters.
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
            let removed = self.map.remove_entry(key);
            if let (Some(field), Some(spare)) = (removed, &mut self.spare) {
                spare.fields.keep((self.name, key), std::iter::once(field));
            }
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
        rewrite(new, &mut slot, None, None).unwrap();
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

    #[derive(Clone, serde::Serialize)]
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
            rewrite(new, &mut slot, None, None).unwrap();
            assert_eq!(slot, serde_json::to_value(new).unwrap());
        }
        // A map with keys the struct does not have: refused, to be built anew.
        let mut slot = json!({"a": "s", "c": [], "d": 0});
        assert!(rewrite(&one, &mut slot, None, None).is_err());
    }

    #[test]
    fn items_a_shorter_list_leaves_are_kept_for_a_longer_one() {
        let shape = |a: &str, b: Option<u32>, c: Vec<Shape>| Shape { a: a.into(), b, c };
        let items = |n: u32| (0..n).map(|i| shape("i", Some(i), vec![])).collect();
        let three = shape("x", None, items(3));
        let one = shape("y", Some(1), items(1));
        let forty = shape("z", None, items(40));
        let none = shape("w", None, vec![]);
        let mut spare = Spare::default();
        let mut slot = Value::Null;
        let mut write = |new: &Shape, spare: &mut Spare| {
            rewrite(new, &mut slot, None, Some(spare)).unwrap();
            assert_eq!(slot, serde_json::to_value(new).unwrap());
        };
        write(&three, &mut spare);
        write(&one, &mut spare);
        assert_eq!(spare.items.0.len(), 1);
        assert_eq!(spare.items.0[0].0, ("Shape", "c"));
        assert_eq!(spare.items.len(), 2);
        // Taken back by the next longer list.
        write(&three, &mut spare);
        assert_eq!(spare.items.len(), 0);
        // However long the list that went, only a few of its items are kept.
        write(&forty, &mut spare);
        write(&none, &mut spare);
        assert_eq!(spare.items.len(), Pool::<Value>::KEPT);
        for new in [&three, &forty, &one, &none, &three] {
            write(new, &mut spare);
        }
    }

    #[test]
    fn only_the_kept_top_level_fields_stay() {
        let new = json!({"a": 1, "b": {"a": 2}});
        let mut slot = json!({"a": 0, "b": 0, "c": 0});
        let keep = |k: &'static str| k != "a";
        let top = || Top { keep: &keep };
        let mut spare = Spare::default();
        // A map is rebuilt whole: only a struct's fields are filtered.
        rewrite(&new, &mut slot, Some(top()), Some(&mut spare)).unwrap();
        assert_eq!(slot, new);
        let shape = Shape {
            a: "x".into(),
            b: Some(1),
            c: vec![],
        };
        let mut slot = json!({"a": "old", "b": 0, "c": [1]});
        rewrite(&shape, &mut slot, Some(top()), Some(&mut spare)).unwrap();
        assert_eq!(slot, json!({"b": 1, "c": []}));
        // What is left out is kept, not lost.
        assert_eq!(
            spare.fields.0,
            [(("Shape", "a"), vec![("a".to_string(), json!("old"))])]
        );
    }

    #[test]
    fn a_field_written_without_at_any_depth_is_kept() {
        let shape = |a: &str, b: Option<u32>, c: Vec<Shape>| Shape { a: a.into(), b, c };
        let without = shape("x", None, vec![shape("y", None, vec![])]);
        let mut slot = json!({"a": "old", "b": 3, "c": [{"a": "z", "b": 4, "c": []}]});
        let mut spare = Spare::default();
        rewrite(&without, &mut slot, None, Some(&mut spare)).unwrap();
        assert_eq!(slot, serde_json::to_value(&without).unwrap());
        assert_eq!(
            spare.fields.0,
            [(
                ("Shape", "b"),
                vec![("b".to_string(), json!(3)), ("b".to_string(), json!(4))]
            )]
        );
    }

    #[test]
    fn a_field_that_goes_is_kept_and_written_over_when_it_comes_back() {
        let shape = |a: &str, b: Option<u32>, c: Vec<Shape>| Shape { a: a.into(), b, c };
        let nested = vec![shape("y", Some(2), vec![]), shape("z", None, vec![])];
        let with = shape("x", Some(1), nested.clone());
        let without = shape("x", None, vec![]);
        let keep = |_: &'static str| true;
        let mut slot = Value::Null;
        let mut spare = Spare::default();
        let mut write = |new: &Shape, slot: &mut Value| {
            let top = Top { keep: &keep };
            rewrite(new, slot, Some(top), Some(&mut spare)).unwrap();
            assert_eq!(*slot, serde_json::to_value(new).unwrap());
        };
        write(&with, &mut slot);
        write(&without, &mut slot);
        write(&with, &mut slot);
        let again = shape(
            "q",
            Some(5),
            vec![shape("a much longer string", None, nested)],
        );
        write(&again, &mut slot);
        write(&without, &mut slot);
        write(&with, &mut slot);
        // `b` went and came back each time: no field is left spare.
        assert_eq!(spare.fields.len(), 0, "{:?}", spare.fields);
    }
}
