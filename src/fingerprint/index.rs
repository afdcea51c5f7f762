//! The near-duplicate index over 64-bit SimHash fingerprints: every stored fingerprint within
//! `k` bits (Hamming distance) of a query, found exactly and without a full scan.
//!
//! # Method
//!
//! Permuted tables (Manku, Jain, Das Sarma, "Detecting Near-Duplicates for Web Crawling",
//! WWW 2007, §3): the 64 bits are split into `m` contiguous blocks and the index keeps one table
//! per block, holding every fingerprint rotated so that the block leads. Two fingerprints within
//! `k` bits agree closely on at least one block (pigeonhole), so a query only looks, in each
//! table, at the buckets whose leading bits are within a small radius of the query's. The
//! radii follow the multi-index hashing bound of Norouzi, Punjani, Fleet (CVPR 2012, Prop. 2),
//! which generalises Manku's "`k + 1` blocks, one must match exactly" to fewer, wider tables:
//! writing `k = s·m + a`, blocks `0..=a` are probed at radius `s` and the others at `s − 1`.
//! Every candidate is checked with a popcount of the XOR, and a match is reported only by the
//! first table whose probe reaches it, so results are exact and duplicate-free.
//!
//! The number of tables is chosen from `max_k`: `m = min(max_k + 1, 4)` (16-bit blocks at
//! `max_k ≥ 3`). Each table costs 12 bytes per fingerprint (8-byte rotated key + 4-byte row
//! number) plus a directory of at most 2 bytes per fingerprint; ids cost 8 bytes. With four
//! tables that is about 56–58 bytes per fingerprint at 10⁶–10⁷ entries (measured by
//! `cargo bench --bench index`). Queries up to `max_k`
//! are exact; larger `k` is refused with [`IndexError::KTooLarge`] (never answered by a scan).
//!
//! # Updates
//!
//! Three tiers, all queried: a large *main* level and a smaller *delta* level (both permuted
//! tables, rebuilt by counting sort in O(n)), and an unsorted insert buffer scanned linearly
//! (at most [`BUFFER_CAP`] entries). When the buffer fills it is merged into the delta level;
//! when the delta level outgrows `max(MIN_DELTA, √(main × BUFFER_CAP))` entries it is merged
//! into the main level, which balances the two rebuild costs (amortised O(√(n / BUFFER_CAP))
//! work per insert). Removal marks a tombstone; a level is compacted (rebuilt without its dead
//! rows) once a quarter of its rows are dead.
//!
//! The index is a multiset of `(id, fingerprint)` pairs: inserting a pair twice stores it twice,
//! and [`SimHashIndex::remove`] removes one copy.
//!
//! # Persistence
//!
//! The index is not written to disk: the store keeps `(id, fingerprint)` and the index is
//! rebuilt on start with [`SimHashIndex::build`] (counting sort, no comparison sort).

mod layout;
mod level;
mod scan;
#[cfg(test)]
mod tests;

use layout::Layout;
pub use layout::MAX_TABLES;
use level::Level;

/// Entries held in the unsorted insert buffer before it is merged into the delta level.
pub const BUFFER_CAP: usize = 2048;
/// The delta level is merged into the main level once it holds this many entries (or
/// `√(main × BUFFER_CAP)` if larger).
pub const MIN_DELTA: usize = 1 << 15;

/// Hamming distance between two 64-bit fingerprints, in bits (0..=64).
#[inline]
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Errors of the near-duplicate index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// A query asked for a larger distance than the index was built to answer exactly.
    #[error("query distance {k} bits exceeds the index's max_k of {max_k} bits")]
    KTooLarge {
        /// Requested distance, bits.
        k: u32,
        /// Largest distance the index answers, bits.
        max_k: u32,
    },
    /// A table count outside `1..=MAX_TABLES` was requested.
    #[error("a SimHash index needs 1..={max} tables, got {tables}")]
    BadTableCount {
        /// Requested number of tables.
        tables: u32,
        /// [`MAX_TABLES`].
        max: u32,
    },
}

/// Near-duplicate index over 64-bit SimHash fingerprints with ids (`u64`), answering "every
/// stored `(id, distance)` within `k` bits of this fingerprint" for any `k ≤ max_k`, exactly
/// and without a full scan. See the module documentation for the method and costs.
#[derive(Debug)]
pub struct SimHashIndex {
    max_k: u32,
    layout: Layout,
    main: Level,
    delta: Level,
    /// Insert buffer, scanned linearly: ids and fingerprints of the same entries.
    buffer_ids: Vec<u64>,
    buffer_fps: Vec<u64>,
    buffer_cap: usize,
    min_delta: usize,
}

/// Default number of tables for `max_k`: Manku's `k + 1` blocks with exact-match probes up to
/// `max_k = 3` (16-bit blocks), then four tables with wider probe radii, which keeps memory
/// near 60 bytes per fingerprint.
fn default_tables(max_k: u32) -> u32 {
    max_k.saturating_add(1).min(4)
}

impl SimHashIndex {
    /// An empty index answering queries up to `max_k` bits exactly. Any `max_k` is accepted;
    /// query cost grows steeply beyond 8 bits (the benchmarks cover 3 and 6).
    pub fn new(max_k: u32) -> Self {
        Self::with_params(max_k, default_tables(max_k), BUFFER_CAP, MIN_DELTA)
    }

    /// An empty index for about `n` fingerprints. Levels are sized when they are (re)built, so
    /// `n` only pre-allocates the insert buffer; use [`SimHashIndex::build`] to load many
    /// fingerprints at once.
    pub fn with_capacity(max_k: u32, n: usize) -> Self {
        let mut index = Self::new(max_k);
        let n = n.min(index.buffer_cap);
        index.buffer_ids.reserve(n);
        index.buffer_fps.reserve(n);
        index
    }

    /// An empty index with an explicit number of tables (`1..=MAX_TABLES`); each table costs
    /// about 12–14 bytes per fingerprint. Fewer, wider tables probe more buckets per query but
    /// scan fewer candidates.
    ///
    /// Errors: [`IndexError::BadTableCount`] if `tables` is 0 or above [`MAX_TABLES`].
    pub fn with_tables(max_k: u32, tables: u32) -> Result<Self, IndexError> {
        if !(1..=MAX_TABLES).contains(&tables) {
            return Err(IndexError::BadTableCount {
                tables,
                max: MAX_TABLES,
            });
        }
        Ok(Self::with_params(max_k, tables, BUFFER_CAP, MIN_DELTA))
    }

    fn with_params(max_k: u32, tables: u32, buffer_cap: usize, min_delta: usize) -> Self {
        SimHashIndex {
            max_k,
            layout: Layout::new(tables),
            main: Level::default(),
            delta: Level::default(),
            buffer_ids: Vec::new(),
            buffer_fps: Vec::new(),
            buffer_cap: buffer_cap.max(1),
            min_delta,
        }
    }

    /// Bulk build from `(id, fingerprint)` pairs in O(n) (counting sort per table, tables built
    /// on parallel threads). This is the fast path for rebuilding the index from the store on
    /// start.
    ///
    /// Panics if given more than `u32::MAX` pairs (over 200 GB of index).
    pub fn build(max_k: u32, items: impl IntoIterator<Item = (u64, u64)>) -> Self {
        Self::build_with_tables(max_k, default_tables(max_k), items)
    }

    /// [`SimHashIndex::build`] with an explicit number of tables, clamped to `1..=MAX_TABLES`.
    pub fn build_with_tables(
        max_k: u32,
        tables: u32,
        items: impl IntoIterator<Item = (u64, u64)>,
    ) -> Self {
        let mut index = Self::with_params(max_k, tables, BUFFER_CAP, MIN_DELTA);
        let entries: Vec<(u64, u64)> = items.into_iter().collect();
        index.main = Level::build(&index.layout, &entries);
        index
    }

    /// Largest query distance answered, bits.
    pub fn max_k(&self) -> u32 {
        self.max_k
    }

    /// Number of permuted tables.
    pub fn tables(&self) -> u32 {
        self.layout.blocks().len() as u32
    }

    /// Adds `(id, fp)`. Amortised O(√(n / BUFFER_CAP)) work; occasionally triggers a level
    /// rebuild.
    pub fn insert(&mut self, id: u64, fp: u64) {
        self.buffer_ids.push(id);
        self.buffer_fps.push(fp);
        if self.buffer_ids.len() >= self.buffer_cap {
            self.flush_buffer();
        }
    }

    /// Merges the insert buffer into the delta level, and the delta level into the main level
    /// once it is large enough.
    fn flush_buffer(&mut self) {
        let mut entries = Vec::with_capacity(self.delta.len() + self.buffer_ids.len());
        self.delta.live_entries(&self.layout, &mut entries);
        self.drain_buffer(&mut entries);
        let limit = self
            .min_delta
            .max(((self.main.len() as f64) * (self.buffer_cap as f64)).sqrt() as usize);
        if entries.len() >= limit {
            self.main.live_entries(&self.layout, &mut entries);
            self.main = Level::build(&self.layout, &entries);
            self.delta = Level::default();
        } else {
            self.delta = Level::build(&self.layout, &entries);
        }
    }

    /// Merges everything (buffer, delta level, tombstones) into one main level, leaving the
    /// index in its fastest and smallest state. O(n).
    pub fn compact(&mut self) {
        let mut entries = Vec::with_capacity(self.len());
        self.main.live_entries(&self.layout, &mut entries);
        self.delta.live_entries(&self.layout, &mut entries);
        self.drain_buffer(&mut entries);
        self.main = Level::build(&self.layout, &entries);
        self.delta = Level::default();
    }

    /// Moves the insert buffer's entries to `entries`.
    fn drain_buffer(&mut self, entries: &mut Vec<(u64, u64)>) {
        entries.extend(self.buffer_ids.drain(..).zip(self.buffer_fps.drain(..)));
    }

    /// Removes one copy of the entry `(id, fp)`; returns whether it was present.
    pub fn remove(&mut self, id: u64, fp: u64) -> bool {
        if let Some(i) = (0..self.buffer_ids.len())
            .find(|&i| self.buffer_fps[i] == fp && self.buffer_ids[i] == id)
        {
            self.buffer_ids.swap_remove(i);
            self.buffer_fps.swap_remove(i);
            return true;
        }
        if self.delta.remove(&self.layout, id, fp) {
            if self.delta.dead() * 4 > self.delta.rows() {
                let mut entries = Vec::with_capacity(self.delta.len());
                self.delta.live_entries(&self.layout, &mut entries);
                self.delta = Level::build(&self.layout, &entries);
            }
            return true;
        }
        if self.main.remove(&self.layout, id, fp) {
            if self.main.dead() * 4 > self.main.rows() {
                let mut entries = Vec::with_capacity(self.main.len());
                self.main.live_entries(&self.layout, &mut entries);
                self.main = Level::build(&self.layout, &entries);
            }
            return true;
        }
        false
    }

    /// Every stored `(id, distance_in_bits)` with `hamming(fp, stored) <= k`, in no particular
    /// order, each stored entry once.
    ///
    /// Errors: [`IndexError::KTooLarge`] if `k > max_k` (the index never falls back to a scan).
    pub fn query(&self, fp: u64, k: u32) -> Result<Vec<(u64, u32)>, IndexError> {
        let mut out = Vec::new();
        self.query_into(fp, k, &mut out)?;
        Ok(out)
    }

    /// [`SimHashIndex::query`] appending to `out` (reuses its allocation).
    ///
    /// Errors: [`IndexError::KTooLarge`] if `k > max_k`; `out` is then unchanged.
    pub fn query_into(&self, fp: u64, k: u32, out: &mut Vec<(u64, u32)>) -> Result<(), IndexError> {
        if k > self.max_k {
            return Err(IndexError::KTooLarge {
                k,
                max_k: self.max_k,
            });
        }
        let radii = self.layout.radii(k);
        let mut probes = Vec::new();
        self.main
            .query(&self.layout, fp, k, &radii, &mut probes, out);
        self.delta
            .query(&self.layout, fp, k, &radii, &mut probes, out);
        scan::for_each_match(&self.buffer_fps, fp, k, |i| {
            out.push((self.buffer_ids[i], hamming(fp, self.buffer_fps[i])));
        });
        Ok(())
    }

    /// Every stored `(id, fingerprint)`, in no particular order.
    pub fn entries(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::with_capacity(self.len());
        self.main.live_entries(&self.layout, &mut out);
        self.delta.live_entries(&self.layout, &mut out);
        out.extend(
            self.buffer_ids
                .iter()
                .copied()
                .zip(self.buffer_fps.iter().copied()),
        );
        out
    }

    /// Number of stored entries.
    pub fn len(&self) -> usize {
        self.main.len() + self.delta.len() + self.buffer_ids.len()
    }

    /// Whether no entry is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate heap bytes used (allocated capacity of all tables, directories, ids,
    /// tombstones and the insert buffer).
    pub fn heap_bytes(&self) -> usize {
        self.main.heap_bytes()
            + self.delta.heap_bytes()
            + (self.buffer_ids.capacity() + self.buffer_fps.capacity()) * 8
    }
}
