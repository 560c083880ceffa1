//! Looking a key up in one of a profile's JSON objects. They are small (a fact has a
//! handful of fields) and their keys short and of varied lengths: a scan that compares
//! lengths first compares the bytes of about one key, where the B-tree's ordered search
//! compares bytes at every step. A large object is searched.
//!
//! Keys are compared by [`eq`], which tells two short strings apart with a few word
//! loads instead of a call to `memcmp`: the scans here and in the remembered answers'
//! tries make about 200 compares a profile, nearly all of strings of 16 bytes or less,
//! and a `memcmp` call on them cost twice its instructions in time.

use serde_json::{Map, Value};

/// Entries up to which an object is scanned.
const SCAN: usize = 12;

/// Whether `a` and `b` are the same bytes: for up to 16 bytes, by loads of the first
/// and last bytes that overlap in the middle, so that together they cover every byte.
#[inline]
pub fn eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    fn word<const W: usize>(s: &[u8], at: usize) -> [u8; W] {
        let mut w = [0; W];
        w.copy_from_slice(&s[at..at + W]);
        w
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4),
        8..=16 => word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, n - 8) == word::<8>(b, n - 8),
        _ => a == b,
    }
}

/// The value of `key` in `m`.
pub fn get<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if m.len() <= SCAN {
        m.iter().find(|(k, _)| eq(k, key)).map(|(_, v)| v)
    } else {
        m.get(key)
    }
}

/// The value of `key` in `m`, to change.
pub fn get_mut<'a>(m: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Value> {
    if m.len() <= SCAN {
        m.iter_mut().find(|(k, _)| eq(k, key)).map(|(_, v)| v)
    } else {
        m.get_mut(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eq_is_byte_equality_at_every_length() {
        // Strings that differ in one byte only, at every position, and at every length
        // across the switches between ways of comparing.
        for n in 0..40 {
            let a: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            assert!(eq(&a, &a.clone()), "{n}");
            for at in 0..n {
                let mut b = a.clone().into_bytes();
                b[at] = b'Z';
                let b = String::from_utf8(b).unwrap();
                assert!(!eq(&a, &b), "{n} {at}");
            }
            assert!(!eq(&a, &format!("{a}a")), "{n}");
        }
        assert!(eq("é", "é") && !eq("é", "è"));
    }

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
