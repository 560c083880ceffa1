//! The JSON of a profile that remembered answers read: only its top-level fields that
//! some remembered answer looks at (a rule that has to run reads the whole profile), and
//! an index of those fields.
//!
//! Building a profile's JSON tree (and dropping it) is much of the cost of scoring it,
//! and the fields no rule reads are often its largest (`history`, `aftermath`). An answer
//! taken from memory reads only the fields its questions and its evidence name, so
//! [`crate::memo`] keeps the set of fields any of them names, and the view holds those.
//! Each question checks that its field is in the view before it is asked; one that is
//! not makes the answer a miss, and a rule that runs always sees the whole profile. So
//! what is left out can never change an answer.

use std::cell::Cell;
use std::sync::{Arc, LazyLock};

use serde_json::{Map, Value};

use crate::profile::Profile;
use crate::rewrite::{rewrite, Spare, Top};

/// The top-level fields of a profile, as its JSON names them, in declaration order.
pub const FIELDS: [&str; 19] = [
    "id",
    "name",
    "born",
    "defection",
    "induced",
    "premeditated",
    "recalls",
    "troubles",
    "marital_status",
    "family",
    "contacts",
    "memberships",
    "motives",
    "fears",
    "traits",
    "concealments",
    "history",
    "aftermath",
    "extra",
];

/// A set of top-level fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fields(u32);

impl Fields {
    pub const NONE: Fields = Fields(0);
    pub const ALL: Fields = Fields((1 << FIELDS.len()) - 1);

    /// The fields reading at a pointer with these unescaped tokens needs: the field its
    /// first token names; every field for the profile itself; none for a name that is
    /// not a field, which is absent from every view alike.
    pub fn at<'a>(mut tokens: impl Iterator<Item = &'a str>) -> Fields {
        match tokens.next() {
            None => Fields::ALL,
            Some(first) => Fields::named(first),
        }
    }

    fn named(key: &str) -> Fields {
        FIELDS
            .iter()
            .position(|f| *f == key)
            .map_or(Fields::NONE, |i| Fields(1 << i))
    }

    /// The index in [`FIELDS`] of the one field in the set, if it holds just one.
    pub fn single(self) -> Option<usize> {
        (self.0.count_ones() == 1).then(|| self.0.trailing_zeros() as usize)
    }

    pub fn union(self, other: Fields) -> Fields {
        Fields(self.0 | other.0)
    }

    pub fn contains(self, other: Fields) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn bits(self) -> u32 {
        self.0
    }

    pub fn from_bits(bits: u32) -> Fields {
        Fields(bits & Fields::ALL.0)
    }

    fn has(self, key: &str) -> bool {
        self.contains(Fields::named(key))
    }
}

/// `profile`'s JSON with only `fields`: the same as the whole profile's JSON with the
/// other fields taken out, since it is the same serialisation with them skipped.
pub fn json(profile: &Profile, fields: Fields) -> Value {
    let mut root = Value::Null;
    write(profile, fields, &mut root, &mut Spare::default());
    root
}

/// Writes `profile`'s JSON with only `fields` over `root`, reusing its allocations and
/// those of the nodes in `spare` (see [`crate::rewrite`]).
fn write(profile: &Profile, fields: Fields, root: &mut Value, spare: &mut Spare) {
    let keep = |key: &'static str| fields.has(key);
    if rewrite(profile, root, Some(Top { keep: &keep }), Some(spare)).is_ok() {
        return;
    }
    // A tree of another shape: built anew. That cannot fail (every map key is a
    // string); an empty object keeps the types honest should a future field find a way.
    // Whatever did not fit may have come from the spares: they go too.
    *root = Value::Null;
    *spare = Spare::default();
    if rewrite(profile, root, Some(Top { keep: &keep }), None).is_err() {
        *root = Value::Object(Map::new());
    }
}

thread_local! {
    /// The tree of the last view dropped on this thread, for the next to be written
    /// over: profiles in a batch have much the same shape, so most of its strings,
    /// lists and maps are reused rather than allocated, and none of them dropped.
    static SPARE_TREE: Cell<Option<Arc<Value>>> = const { Cell::new(None) };
    /// What the trees written over the spare tree lost: fields (top-level ones left
    /// out of the view among them) and list items, for later trees that have them again.
    static SPARE_NODES: Cell<Option<Spare>> = const { Cell::new(None) };
}

/// What the tree reads as while its view is dropped.
static NULL: Value = Value::Null;

/// What the rules see of one profile while it is scored.
#[derive(Debug)]
pub struct View {
    /// Always there but while the view is dropped, when it goes to [`SPARE_TREE`].
    root: Option<Arc<Value>>,
    fields: Fields,
}

impl View {
    /// The whole profile.
    pub fn whole(root: Arc<Value>) -> View {
        View {
            root: Some(root),
            fields: Fields::ALL,
        }
    }

    /// Only `fields` of `profile`, written over this thread's spare tree if it has one.
    pub fn of(profile: &Profile, fields: Fields) -> View {
        let mut root = SPARE_TREE.take().unwrap_or_default();
        match Arc::get_mut(&mut root) {
            Some(tree) => {
                let mut spare = SPARE_NODES.take().unwrap_or_default();
                write(profile, fields, tree, &mut spare);
                SPARE_NODES.set(Some(spare));
            }
            None => root = Arc::new(json(profile, fields)),
        }
        View {
            root: Some(root),
            fields,
        }
    }

    pub fn root(&self) -> &Value {
        self.root.as_deref().unwrap_or(&NULL)
    }

    /// The fields it holds.
    pub fn fields(&self) -> Fields {
        self.fields
    }
}

impl Drop for View {
    /// Keeps the tree for the next view on this thread, unless someone else holds it
    /// (the whole profile's tree is its [`crate::load::Loaded`]'s too).
    fn drop(&mut self) {
        if let Some(mut root) = self.root.take() {
            if Arc::get_mut(&mut root).is_some() {
                SPARE_TREE.set(Some(root));
            }
        }
    }
}

/// A profile's JSON, where its top-level fields can be found at once.
///
/// Every question a remembered answer asks and every piece of evidence it shows starts
/// at one of the profile's fields, and the profile is the largest map of its tree: a
/// key search in it costs several string comparisons, and a profile's questions and
/// evidence make a hundred or more. An indexed root finds every field in one pass over
/// the map, in key order beside the names sorted once.
#[derive(Debug, Clone, Copy)]
pub struct Root<'a> {
    tree: &'a Value,
    /// What each of [`FIELDS`] holds, when indexed.
    tops: Option<[Option<&'a Value>; FIELDS.len()]>,
}

/// [`FIELDS`] in the order of a JSON map's keys, each with its index.
static SORTED: LazyLock<[(&str, usize); FIELDS.len()]> = LazyLock::new(|| {
    let mut sorted: [(&str, usize); FIELDS.len()] = std::array::from_fn(|i| (FIELDS[i], i));
    sorted.sort_unstable();
    sorted
});

impl<'a> Root<'a> {
    /// `tree`, any JSON value, its fields looked up as they are read.
    pub fn new(tree: &'a Value) -> Root<'a> {
        Root { tree, tops: None }
    }

    /// `tree` with its fields found now, for a profile read many times over.
    pub fn indexed(tree: &'a Value) -> Root<'a> {
        let Value::Object(map) = tree else {
            return Root::new(tree);
        };
        let mut tops = [None; FIELDS.len()];
        let mut names = SORTED.iter().peekable();
        for (key, value) in map {
            while names.next_if(|(name, _)| *name < key.as_str()).is_some() {}
            if let Some(&(_, i)) = names.next_if(|(name, _)| *name == key.as_str()) {
                tops[i] = Some(value);
            }
        }
        Root {
            tree,
            tops: Some(tops),
        }
    }

    pub fn tree(&self) -> &'a Value {
        self.tree
    }

    /// What the top-level field `field` (an index into [`FIELDS`]) holds.
    pub fn top(&self, field: usize) -> Option<&'a Value> {
        match &self.tops {
            Some(tops) => tops.get(field).copied().flatten(),
            None => self.tree.get(FIELDS.get(field)?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fields_are_those_of_the_schema() {
        let schema = crate::schema();
        let mut named: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut ours = FIELDS.to_vec();
        named.sort_unstable();
        ours.sort_unstable();
        assert_eq!(ours, named);
    }

    #[test]
    fn pointers_need_the_field_they_start_in() {
        let at = |p: &[&str]| Fields::at(p.iter().copied());
        assert_eq!(at(&[]), Fields::ALL);
        assert_eq!(at(&["recalls", "0", "status"]), Fields::named("recalls"));
        assert_eq!(at(&["nope"]), Fields::NONE);
        assert!(at(&["extra"]).bits().is_power_of_two());
        assert!(Fields::ALL.contains(at(&["aftermath"])));
        assert!(!Fields::named("id").contains(at(&["name"])));
    }
}
