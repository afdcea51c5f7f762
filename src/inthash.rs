//! One cheap hasher for in-memory maps keyed by integers (page ids, shingle hashes).
//!
//! Never used for anything stored on disk (those use seeded XXH3, see
//! [`crate::fingerprint`]); map iteration order is not relied on anywhere it is used.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Fibonacci-style multiplicative hasher (Knuth, TAOCP vol. 3, §6.4) for integer keys: one
/// multiply by 2^64/φ and a 32-bit rotation, so both the high bits (hashbrown's control
/// bytes) and the low bits (its bucket index) depend on every input bit. Not DoS-resistant:
/// only for keys that are our own ids or already-uniform hashes.
#[derive(Debug, Default, Clone, Copy)]
pub struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = (k ^ self.0)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(32);
    }
    fn write_i64(&mut self, k: i64) {
        self.write_u64(k as u64);
    }
    fn write_u32(&mut self, k: u32) {
        self.write_u64(u64::from(k));
    }
    fn write_usize(&mut self, k: usize) {
        self.write_u64(k as u64);
    }
}

/// A `HashMap` keyed by integers, hashed with [`IntHasher`].
pub type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;
/// A `HashSet` of integers, hashed with [`IntHasher`].
pub type IntSet<K> = HashSet<K, BuildHasherDefault<IntHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_ids_spread_over_buckets() {
        // 4,096 consecutive ids must land in many distinct low-bit buckets and high-bit tags.
        let mut low = IntSet::<u64>::default();
        let mut high = IntSet::<u64>::default();
        for id in 0..4096i64 {
            let mut h = IntHasher::default();
            h.write_i64(id);
            let v = h.finish();
            low.insert(v & 0xfff);
            high.insert(v >> 57);
        }
        assert!(low.len() > 2500, "low-bit buckets used: {}", low.len());
        assert_eq!(high.len(), 128, "all 7-bit tags should occur");
    }

    #[test]
    fn maps_work_as_maps() {
        let mut m = IntMap::<i64, usize>::default();
        for i in 0..1000 {
            *m.entry(i % 100).or_default() += 1;
        }
        assert_eq!(m.len(), 100);
        assert!(m.values().all(|&v| v == 10));
    }
}
