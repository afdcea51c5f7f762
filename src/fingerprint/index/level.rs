//! One level of the index: an immutable set of rows (id, fingerprint) held in one permuted
//! table per block, each table bucketed by a directory over the key's leading bits. Rows can
//! be marked dead (tombstones); the owner rebuilds the level to reclaim them.

use super::layout::{Layout, for_each_within};
use super::scan::{for_each_match, prefetch};

/// One bucket to scan: `keys[start..end]` of table `table`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Probe {
    table: u32,
    start: u32,
    end: u32,
}

/// A table: every row's fingerprint rotated so that the table's block leads (`keys`), with the
/// row number (`rows`), grouped by the key's leading `dir_bits` bits. Bucket `p` is
/// `keys[dir[p]..dir[p + 1]]`.
#[derive(Debug, Default)]
struct Table {
    dir_bits: u32,
    dir: Vec<u32>,
    keys: Vec<u64>,
    rows: Vec<u32>,
}

#[derive(Debug, Default)]
pub(super) struct Level {
    /// Row → id.
    ids: Vec<u64>,
    /// Tombstones: bit `row` set when the row was removed.
    dead: Vec<u64>,
    n_dead: usize,
    tables: Vec<Table>,
}

/// Directory width for a table of `n` keys whose block is `width` bits: about two keys per
/// bucket (so the directory costs at most 2 bytes per key), never wider than the block.
fn dir_bits(n: usize, width: u32) -> u32 {
    let log2 = usize::BITS - 1 - n.max(1).leading_zeros();
    log2.saturating_sub(1).clamp(1, width)
}

impl Table {
    /// Counting sort of the rotated fingerprints by their leading `dir_bits` bits; within a
    /// bucket rows keep their order (queries scan whole buckets, so no further order is
    /// needed). (A two-pass scatter, first by the leading 8 bits, gave no measurable gain at
    /// 10⁷ and needs 12 more bytes per fingerprint while building.)
    fn build(start: u32, width: u32, fps: &[u64]) -> Table {
        let n = fps.len();
        let d = dir_bits(n, width);
        let shift = 64 - d;
        let buckets = 1usize << d;
        let mut dir = vec![0u32; buckets + 1];
        for &fp in fps {
            dir[(fp.rotate_left(start) >> shift) as usize + 1] += 1;
        }
        for p in 0..buckets {
            dir[p + 1] += dir[p];
        }
        let mut cursor = dir[..buckets].to_vec();
        let mut keys = vec![0u64; n];
        let mut rows = vec![0u32; n];
        for (row, &fp) in fps.iter().enumerate() {
            let key = fp.rotate_left(start);
            let c = &mut cursor[(key >> shift) as usize];
            keys[*c as usize] = key;
            rows[*c as usize] = row as u32;
            *c += 1;
        }
        Table {
            dir_bits: d,
            dir,
            keys,
            rows,
        }
    }

    #[inline]
    fn bucket(&self, prefix: u64) -> std::ops::Range<usize> {
        let p = prefix as usize;
        self.dir[p] as usize..self.dir[p + 1] as usize
    }

    fn heap_bytes(&self) -> usize {
        self.dir.capacity() * 4 + self.keys.capacity() * 8 + self.rows.capacity() * 4
    }
}

/// Builds one table per block. Tables are independent, so a large level spreads them over up
/// to `available_parallelism` scoped threads (falling back to the calling thread if a thread
/// cannot be started).
fn build_tables(layout: &Layout, fps: &[u64]) -> Vec<Table> {
    let blocks = layout.blocks();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(blocks.len());
    let build = |i: usize| Table::build(blocks[i].start, blocks[i].width, fps);
    if fps.len() < 1 << 16 || workers < 2 {
        return (0..blocks.len()).map(build).collect();
    }
    let share = |w: usize| (w..blocks.len()).step_by(workers);
    let mut built: Vec<(usize, Table)> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..workers)
            .map(|w| {
                std::thread::Builder::new()
                    .name(format!("simhash-index-build-{w}"))
                    .spawn_scoped(s, move || {
                        share(w).map(|i| (i, build(i))).collect::<Vec<_>>()
                    })
                    .map_err(|_| w)
            })
            .collect();
        let mut built: Vec<(usize, Table)> = share(0).map(|i| (i, build(i))).collect();
        for h in handles {
            match h {
                Ok(h) => built.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
                Err(w) => built.extend(share(w).map(|i| (i, build(i)))),
            }
        }
        built
    });
    built.sort_unstable_by_key(|&(i, _)| i);
    built.into_iter().map(|(_, t)| t).collect()
}

impl Level {
    /// Builds a level from `(id, fingerprint)` rows.
    ///
    /// Panics if there are more than `u32::MAX` rows (an index that large would need over
    /// 200 GB of memory).
    pub fn build(layout: &Layout, entries: &[(u64, u64)]) -> Level {
        assert!(
            u32::try_from(entries.len()).is_ok(),
            "a SimHash index level holds at most u32::MAX rows"
        );
        let ids: Vec<u64> = entries.iter().map(|&(id, _)| id).collect();
        let fps: Vec<u64> = entries.iter().map(|&(_, fp)| fp).collect();
        let tables = build_tables(layout, &fps);
        Level {
            dead: vec![0; ids.len().div_ceil(64)],
            ids,
            n_dead: 0,
            tables,
        }
    }

    /// Rows stored, live or dead.
    pub fn rows(&self) -> usize {
        self.ids.len()
    }

    pub fn dead(&self) -> usize {
        self.n_dead
    }

    /// Live rows.
    pub fn len(&self) -> usize {
        self.ids.len() - self.n_dead
    }

    #[inline]
    fn is_dead(&self, row: u32) -> bool {
        self.dead[row as usize / 64] >> (row % 64) & 1 == 1
    }

    /// Appends every live `(id, fingerprint)` to `out`.
    pub fn live_entries(&self, layout: &Layout, out: &mut Vec<(u64, u64)>) {
        let Some(t) = self.tables.first() else {
            return;
        };
        let start = layout.blocks()[0].start;
        out.reserve(self.len());
        for (&key, &row) in t.keys.iter().zip(&t.rows) {
            if !self.is_dead(row) {
                out.push((self.ids[row as usize], key.rotate_right(start)));
            }
        }
    }

    /// Marks one live row `(id, fp)` dead; returns whether there was one.
    pub fn remove(&mut self, layout: &Layout, id: u64, fp: u64) -> bool {
        let Some(t) = self.tables.first() else {
            return false;
        };
        let key = fp.rotate_left(layout.blocks()[0].start);
        let found = t.bucket(key >> (64 - t.dir_bits)).find(|&i| {
            let row = t.rows[i];
            t.keys[i] == key && self.ids[row as usize] == id && !self.is_dead(row)
        });
        match found {
            Some(i) => {
                let row = t.rows[i] as usize;
                self.dead[row / 64] |= 1 << (row % 64);
                self.n_dead += 1;
                true
            }
            None => false,
        }
    }

    /// Appends `(id, distance)` for every live row within `k` bits of `q` to `out`, each once.
    /// `radii` must be `layout.radii(k)`; `probes` is scratch space.
    ///
    /// Two passes: the first looks up every bucket to probe in the directories and prefetches
    /// its keys, so the cache misses overlap; the second scans the buckets.
    pub fn query(
        &self,
        layout: &Layout,
        q: u64,
        k: u32,
        radii: &[i32],
        probes: &mut Vec<Probe>,
        out: &mut Vec<(u64, u32)>,
    ) {
        if self.ids.is_empty() {
            return;
        }
        probes.clear();
        for (t, ((table, block), &r)) in self
            .tables
            .iter()
            .zip(layout.blocks())
            .zip(radii)
            .enumerate()
        {
            if r < 0 {
                continue;
            }
            let qkey = q.rotate_left(block.start);
            let d = table.dir_bits;
            for_each_within(qkey >> (64 - d), d, r as u32, &mut |prefix| {
                let range = table.bucket(prefix);
                if !range.is_empty() {
                    prefetch(&table.keys[range.clone()]);
                    probes.push(Probe {
                        table: t as u32,
                        start: range.start as u32,
                        end: range.end as u32,
                    });
                }
            });
        }
        for p in probes.iter() {
            let t = p.table as usize;
            let table = &self.tables[t];
            let start = layout.blocks()[t].start;
            let qkey = q.rotate_left(start);
            let keys = &table.keys[p.start as usize..p.end as usize];
            for_each_match(keys, qkey, k, |i| {
                let diff = keys[i] ^ qkey;
                if layout.first_finder(diff.rotate_right(start), radii) == t {
                    let row = table.rows[p.start as usize + i];
                    if !self.is_dead(row) {
                        out.push((self.ids[row as usize], diff.count_ones()));
                    }
                }
            });
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.ids.capacity() * 8
            + self.dead.capacity() * 8
            + self.tables.capacity() * std::mem::size_of::<Table>()
            + self.tables.iter().map(Table::heap_bytes).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_hold_every_row_in_the_bucket_of_its_leading_bits() {
        let mut x = 0x1234_5678_9ABC_DEF0u64;
        let fps: Vec<u64> = (0..100_000)
            .map(|i| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                // Some duplicates and a dense cluster, so buckets are uneven.
                if i % 7 == 0 {
                    x & 0xFFFF_0000_0000_00FF
                } else {
                    x
                }
            })
            .collect();
        for tables in [1, 3, 4] {
            let layout = Layout::new(tables);
            // 100 000 rows: large enough for the multi-threaded path.
            let built = build_tables(&layout, &fps);
            assert_eq!(built.len(), tables as usize);
            for (t, b) in built.iter().zip(layout.blocks()) {
                assert_eq!(t.dir.len(), (1 << t.dir_bits) + 1);
                assert_eq!(*t.dir.last().unwrap() as usize, fps.len());
                for p in 0..1u64 << t.dir_bits {
                    let bucket = t.bucket(p);
                    for i in bucket.clone() {
                        assert_eq!(t.keys[i] >> (64 - t.dir_bits), p);
                        assert_eq!(t.keys[i], fps[t.rows[i] as usize].rotate_left(b.start));
                    }
                    // Rows keep their order within a bucket.
                    assert!(t.rows[bucket].is_sorted());
                }
                let mut rows = t.rows.clone();
                rows.sort_unstable();
                assert!(rows.iter().copied().eq(0..fps.len() as u32));
            }
        }
    }
}
