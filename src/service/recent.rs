//! A small bounded map for per-isolate caches: a vector searched from the newest end. At the
//! sizes kept here (hundreds) a scan costs microseconds, and it avoids a hash map's code in the
//! wasm, which every byte of is downloaded to every isolate.

pub struct Recent<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent { entries: Vec::new() }
    }
}

impl<K: PartialEq, V> Recent<K, V> {
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: PartialEq + ?Sized,
    {
        self.entries.iter().rev().find(|(k, _)| k.borrow() == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.entries.iter_mut().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Adds or replaces `key`; past `capacity` entries the oldest goes.
    pub fn insert(&mut self, key: K, value: V, capacity: usize) {
        self.entries.retain(|(k, _)| k != &key);
        if self.entries.len() >= capacity.max(1) {
            self.entries.remove(0);
        }
        self.entries.push((key, value));
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.entries.retain(|(k, v)| keep(k, v));
    }
}

#[cfg(test)]
mod tests {
    use super::Recent;

    #[test]
    fn keeps_the_newest_within_capacity() {
        let mut recent = Recent::default();
        recent.insert("a", 1, 2);
        recent.insert("b", 2, 2);
        recent.insert("a", 3, 2);
        assert_eq!(recent.get(&"a"), Some(&3));
        recent.insert("c", 4, 2);
        assert_eq!((recent.get(&"b"), recent.get(&"a"), recent.get(&"c")), (None, Some(&3), Some(&4)));
        recent.retain(|k, _| *k != "a");
        assert_eq!(recent.get(&"a"), None);
    }
}
