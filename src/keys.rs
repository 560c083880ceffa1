//! Looking a key up in one of a profile's JSON objects. They are small (a fact has a
//! handful of fields) and their keys short and of varied lengths: a scan that compares
//! lengths first compares the bytes of about one key, where the B-tree's ordered search
//! compares bytes at every step. A large object is searched.

use serde_json::{Map, Value};

/// Entries up to which an object is scanned.
const SCAN: usize = 12;

/// The value of `key` in `m`.
pub fn get<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if m.len() <= SCAN {
        m.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        m.get(key)
    }
}

/// The value of `key` in `m`, to change.
pub fn get_mut<'a>(m: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Value> {
    if m.len() <= SCAN {
        m.iter_mut()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v)
    } else {
        m.get_mut(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_finds_what_a_search_finds() {
        for n in [0, 1, 5, SCAN, SCAN + 1, 40] {
            let mut m = Map::new();
            for i in 0..n {
                m.insert(format!("k{i}"), Value::from(i));
            }
            for key in (0..n + 2)
                .map(|i| format!("k{i}"))
                .chain(["".into(), "k".into()])
            {
                assert_eq!(get(&m, &key), m.get(&key), "{n} {key}");
                let expected = m.get(&key).cloned();
                assert_eq!(get_mut(&mut m, &key).map(|v| v.clone()), expected);
            }
            if let Some(v) = get_mut(&mut m, "k0") {
                *v = Value::Null;
                assert_eq!(m["k0"], Value::Null);
            }
        }
    }
}
