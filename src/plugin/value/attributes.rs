//! [`Attributes`]: the attributes of a known object value, by name.
//!
//! An object has a few dozen attributes at most, and every request builds, reads and drops
//! several: a vector sorted by name costs one allocation where a `BTreeMap` costs a node per
//! eleven entries, a lookup is a binary search, and a decoder that meets the names in order
//! (cty sends them sorted) only pushes. The methods are those of a `BTreeMap<String, Value>`
//! that the provider uses, with the same meaning: iteration in name order, one value per name.

use std::cmp::Ordering;

use super::Value;

/// The attributes of a known object: each name once, iterated in name order.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Attributes {
    /// Sorted by name, no name twice.
    entries: Vec<(String, Value)>,
}

/// An attribute as iteration yields it.
type Entry<'a> = (&'a String, &'a Value);

/// The attributes in name order, by reference ([`Attributes::iter`]).
pub type Iter<'a> =
    std::iter::Map<std::slice::Iter<'a, (String, Value)>, fn(&(String, Value)) -> Entry<'_>>;

/// The attributes in name order, their values changeable ([`Attributes::iter_mut`]).
pub type IterMut<'a> = std::iter::Map<
    std::slice::IterMut<'a, (String, Value)>,
    fn(&mut (String, Value)) -> (&String, &mut Value),
>;

fn entry((name, value): &(String, Value)) -> Entry<'_> {
    (name, value)
}

fn entry_mut((name, value): &mut (String, Value)) -> (&String, &mut Value) {
    (name, value)
}

impl Attributes {
    /// No attributes.
    pub fn new() -> Attributes {
        Attributes::default()
    }

    /// No attributes, with room for `capacity`.
    pub fn with_capacity(capacity: usize) -> Attributes {
        Attributes {
            entries: Vec::with_capacity(capacity),
        }
    }

    /// How many attributes there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(candidate, _)| compare_names(candidate, name))
    }

    /// The value of attribute `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.position(name).ok().map(|i| &self.entries[i].1)
    }

    /// The value of attribute `name`, to change it.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self.position(name) {
            Ok(i) => Some(&mut self.entries[i].1),
            Err(_) => None,
        }
    }

    /// Whether attribute `name` is present.
    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_ok()
    }

    /// Sets attribute `name`; its former value, if it had one.
    pub fn insert(&mut self, name: String, value: Value) -> Option<Value> {
        if self
            .entries
            .last()
            .is_none_or(|(last, _)| last.as_str() < name.as_str())
        {
            self.entries.push((name, value));
            return None;
        }
        match self.position(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (name, value));
                None
            }
        }
    }

    /// Sets attribute `name` to `value`, copying the name only when it is new.
    pub fn set(&mut self, name: &str, value: Value) {
        match self.position(name) {
            Ok(i) => self.entries[i].1 = value,
            Err(i) => self.entries.insert(i, (name.to_owned(), value)),
        }
    }

    /// The value of attribute `name`, set to `make()` first if it is absent.
    pub fn get_or_insert_with(&mut self, name: &str, make: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.position(name) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (name.to_owned(), make()));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// Keeps only the attributes `keep` is true of.
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut Value) -> bool) {
        self.entries.retain_mut(|(name, value)| keep(name, value));
    }

    /// The attributes in name order.
    pub fn iter(&self) -> Iter<'_> {
        self.entries
            .iter()
            .map(entry as fn(&(String, Value)) -> Entry<'_>)
    }

    /// The attributes in name order, their values changeable.
    pub fn iter_mut(&mut self) -> IterMut<'_> {
        self.entries
            .iter_mut()
            .map(entry_mut as fn(&mut (String, Value)) -> (&String, &mut Value))
    }

    /// The names in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries.iter().map(|(name, _)| name)
    }

    /// The values in name order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, value)| value)
    }

    /// Builds from entries that may be in any order, a later one of a name replacing an
    /// earlier one (as collecting into a `BTreeMap` does).
    fn from_unsorted(mut entries: Vec<(String, Value)>) -> Attributes {
        let sorted = entries
            .windows(2)
            .all(|pair| pair[0].0.as_str() < pair[1].0.as_str());
        if !sorted {
            // Stable, so that of equal names the later stays after the earlier; the later's
            // value then moves into the entry that is kept.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            entries.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    std::mem::swap(&mut later.1, &mut kept.1);
                }
                same
            });
        }
        Attributes { entries }
    }
}

impl std::fmt::Debug for Attributes {
    /// As a map: `{"name": value, ...}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// `a.cmp(b)`, deciding by the first bytes where they differ, as they mostly do between the
/// names a search passes, before comparing the rest.
fn compare_names(a: &str, b: &str) -> Ordering {
    match (a.as_bytes().first(), b.as_bytes().first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

impl FromIterator<(String, Value)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(entries: I) -> Attributes {
        Attributes::from_unsorted(entries.into_iter().collect())
    }
}

impl<const N: usize> From<[(String, Value); N]> for Attributes {
    fn from(entries: [(String, Value); N]) -> Attributes {
        Attributes::from_unsorted(Vec::from(entries))
    }
}

impl Extend<(String, Value)> for Attributes {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, entries: I) {
        for (name, value) in entries {
            self.insert(name, value);
        }
    }
}

impl IntoIterator for Attributes {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = Entry<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Attributes {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = IterMut<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(attributes: &Attributes) -> Vec<&str> {
        attributes.keys().map(String::as_str).collect()
    }

    #[test]
    fn entries_in_any_order_are_kept_sorted_and_a_later_duplicate_wins() {
        let attributes = Attributes::from([
            ("b".to_owned(), Value::from("first b")),
            ("a".to_owned(), Value::Null),
            ("b".to_owned(), Value::from("second b")),
            ("c".to_owned(), Value::Bool(true)),
        ]);
        assert_eq!(names(&attributes), ["a", "b", "c"]);
        assert_eq!(attributes.get("b"), Some(&Value::from("second b")));
        assert_eq!(attributes.len(), 3);
    }

    #[test]
    fn insert_keeps_the_order_and_replaces_a_value() {
        let mut attributes = Attributes::new();
        assert_eq!(attributes.insert("m".to_owned(), Value::Null), None);
        assert_eq!(attributes.insert("z".to_owned(), Value::Null), None);
        assert_eq!(attributes.insert("a".to_owned(), Value::Null), None);
        assert_eq!(
            attributes.insert("m".to_owned(), Value::Bool(true)),
            Some(Value::Null)
        );
        assert_eq!(names(&attributes), ["a", "m", "z"]);
        assert_eq!(attributes.get("m"), Some(&Value::Bool(true)));
        assert!(attributes.contains_key("z"));
        assert!(!attributes.contains_key("b"));
        assert_eq!(attributes.get("b"), None);
    }

    #[test]
    fn retain_set_and_get_mut_work_by_name() {
        let mut attributes: Attributes = ["c", "a", "b"]
            .into_iter()
            .map(|name| (name.to_owned(), Value::from(name)))
            .collect();
        attributes.retain(|name, _| name != "b");
        attributes.set("a", Value::Bool(true));
        attributes.set("d", Value::Bool(false));
        assert_eq!(names(&attributes), ["a", "c", "d"]);
        assert_eq!(attributes.get("a"), Some(&Value::Bool(true)));
        if let Some(value) = attributes.get_mut("c") {
            *value = Value::Null;
        }
        assert_eq!(attributes.get("c"), Some(&Value::Null));
        attributes.retain(|name, _| name != "a");
        assert_eq!(names(&attributes), ["c", "d"]);
    }

    #[test]
    fn iteration_is_in_name_order_in_every_form() {
        let attributes = Attributes::from([
            ("b".to_owned(), Value::from("2")),
            ("a".to_owned(), Value::from("1")),
        ]);
        let by_ref: Vec<(&str, &Value)> = attributes.iter().map(|(k, v)| (k.as_str(), v)).collect();
        assert_eq!(by_ref, [("a", &Value::from("1")), ("b", &Value::from("2"))]);
        let values: Vec<&Value> = attributes.values().collect();
        assert_eq!(values, [&Value::from("1"), &Value::from("2")]);
        let owned: Vec<(String, Value)> = attributes.into_iter().collect();
        assert_eq!(owned[0].0, "a");
        assert_eq!(owned[1].0, "b");
    }

    #[test]
    fn names_compare_as_strings_do() {
        let names = ["", "a", "aa", "ab", "b", "ba", "tags", "tags_all", "\u{e9}"];
        for a in names {
            for b in names {
                assert_eq!(compare_names(a, b), a.cmp(b), "{a:?} against {b:?}");
            }
        }
    }

    #[test]
    fn debug_output_reads_as_a_map() {
        let attributes = Attributes::from([
            ("b".to_owned(), Value::Bool(true)),
            ("a".to_owned(), Value::Null),
        ]);
        assert_eq!(format!("{attributes:?}"), r#"{"a": Null, "b": Bool(true)}"#);
    }

    #[test]
    fn equality_does_not_depend_on_the_order_entries_came_in() {
        let one = Attributes::from([
            ("a".to_owned(), Value::Null),
            ("b".to_owned(), Value::Bool(false)),
        ]);
        let other = Attributes::from([
            ("b".to_owned(), Value::Bool(false)),
            ("a".to_owned(), Value::Null),
        ]);
        assert_eq!(one, other);
    }
}
