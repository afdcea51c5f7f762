use super::layout::{Layout, for_each_within};
use super::*;
use proptest::prelude::*;

/// Brute-force reference: every `(id, distance)` within `k` bits, sorted.
fn brute(model: &[(u64, u64)], q: u64, k: u32) -> Vec<(u64, u32)> {
    let mut out: Vec<(u64, u32)> = model
        .iter()
        .filter_map(|&(id, fp)| {
            let d = hamming(q, fp);
            (d <= k).then_some((id, d))
        })
        .collect();
    out.sort_unstable();
    out
}

fn sorted(mut v: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    v.sort_unstable();
    v
}

fn flip(fp: u64, bits: &[u32]) -> u64 {
    bits.iter().fold(fp, |acc, &b| acc ^ (1u64 << b))
}

/// Small deterministic generator for test data (SplitMix64).
struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// `fp` with `flips` distinct random bits flipped.
    fn perturb(&mut self, fp: u64, flips: u32) -> u64 {
        let mut mask = 0u64;
        while mask.count_ones() < flips {
            mask |= 1 << (self.next() % 64);
        }
        fp ^ mask
    }
}

#[test]
fn hamming_counts_differing_bits() {
    assert_eq!(hamming(0, 0), 0);
    assert_eq!(hamming(0, u64::MAX), 64);
    assert_eq!(hamming(0b1011, 0b0110), 3);
    assert_eq!(hamming(1 << 63, 1), 2);
}

#[test]
fn layout_blocks_partition_the_64_bits() {
    for m in 1..=MAX_TABLES {
        let layout = Layout::new(m);
        let blocks = layout.blocks();
        assert_eq!(blocks.len(), m as usize);
        let mut union = 0u64;
        for b in blocks {
            assert_eq!(union & b.mask, 0, "blocks overlap for m = {m}");
            assert_eq!(b.mask.count_ones(), b.width);
            // Rotating by `start` brings the block to the leading bits.
            assert_eq!(b.mask.rotate_left(b.start).leading_ones(), b.width);
            union |= b.mask;
        }
        assert_eq!(union, u64::MAX);
    }
}

#[test]
fn for_each_within_enumerates_the_hamming_ball_once() {
    for bits in 1..=10u32 {
        for r in 0..=4u32 {
            let v = 0b10_1101_0110 & ((1u64 << bits) - 1);
            let mut seen = Vec::new();
            for_each_within(v, bits, r, &mut |x| seen.push(x));
            let mut expected: Vec<u64> =
                (0..1u64 << bits).filter(|&x| hamming(x, v) <= r).collect();
            seen.sort_unstable();
            let len_before = seen.len();
            seen.dedup();
            assert_eq!(seen.len(), len_before, "duplicates for bits={bits} r={r}");
            expected.sort_unstable();
            assert_eq!(seen, expected, "bits={bits} r={r}");
        }
    }
}

proptest! {
    /// The pigeonhole bound behind the probe radii: any difference of at most `k` bits falls
    /// within radius of some table, so `first_finder` never gives up on a true match.
    #[test]
    fn radii_cover_every_difference_up_to_k(
        m in 1..=MAX_TABLES,
        k in 0u32..=12,
        bits in proptest::collection::vec(0u32..64, 0..=12),
    ) {
        let diff = flip(0, &bits[..bits.len().min(k as usize)]);
        prop_assume!(diff.count_ones() <= k);
        let layout = Layout::new(m);
        let radii = layout.radii(k);
        prop_assert!(layout.first_finder(diff, &radii) < m as usize);
    }
}

#[test]
fn query_beyond_max_k_is_an_error() {
    let index = SimHashIndex::build(3, [(1, 0u64)]);
    assert_eq!(
        index.query(0, 4),
        Err(IndexError::KTooLarge { k: 4, max_k: 3 })
    );
    assert_eq!(index.query(0, 3), Ok(vec![(1, 0)]));
}

#[test]
fn bad_table_count_is_an_error() {
    assert!(matches!(
        SimHashIndex::with_tables(3, 0),
        Err(IndexError::BadTableCount { tables: 0, .. })
    ));
    assert!(SimHashIndex::with_tables(3, MAX_TABLES + 1).is_err());
    assert_eq!(SimHashIndex::with_tables(3, 2).map(|i| i.tables()), Ok(2));
}

#[test]
fn remove_reports_presence_and_removes_one_copy() {
    let mut index = SimHashIndex::new(6);
    index.insert(7, 42);
    index.insert(7, 42);
    assert!(!index.remove(7, 43));
    assert!(!index.remove(8, 42));
    assert!(index.remove(7, 42));
    assert_eq!(index.query(42, 0), Ok(vec![(7, 0)]));
    assert!(index.remove(7, 42));
    assert!(!index.remove(7, 42));
    assert!(index.is_empty());
}

/// Bulk build and incremental inserts hold the same entries and give the same answers.
#[test]
fn build_and_incremental_inserts_agree_with_brute_force() {
    let mut rng = SplitMix(5);
    let mut model = Vec::new();
    for id in 0..20_000u64 {
        let fp = if id % 2 == 0 {
            rng.next()
        } else {
            let (_, c): (u64, u64) = model[(rng.next() % id) as usize];
            let flips = (rng.next() % 9) as u32;
            rng.perturb(c, flips)
        };
        model.push((id, fp));
    }
    let built = SimHashIndex::build(6, model.iter().copied());
    let mut incremental = SimHashIndex::with_capacity(6, model.len());
    for &(id, fp) in &model {
        incremental.insert(id, fp);
    }
    assert_eq!(built.len(), model.len());
    assert_eq!(incremental.len(), model.len());
    let mut entries = incremental.entries();
    entries.sort_unstable();
    assert_eq!(entries, model);
    for i in 0..300 {
        let (_, fp) = model[(rng.next() % model.len() as u64) as usize];
        let q = if i % 3 == 0 {
            rng.next()
        } else {
            rng.perturb(fp, i % 8)
        };
        for k in [0, 3, 6] {
            let expected = brute(&model, q, k);
            assert_eq!(sorted(built.query(q, k).unwrap()), expected, "built k={k}");
            assert_eq!(
                sorted(incremental.query(q, k).unwrap()),
                expected,
                "incr k={k}"
            );
        }
    }
}

/// At 2¹⁸ fingerprints the index stays within the 64 bytes per fingerprint budget.
#[test]
fn memory_per_fingerprint_is_within_budget() {
    let mut rng = SplitMix(9);
    let index = SimHashIndex::build(6, (0..1u64 << 18).map(|id| (id, rng.next())));
    let per_fp = index.heap_bytes() as f64 / index.len() as f64;
    assert!(per_fp <= 64.0, "{per_fp} bytes per fingerprint");
    // Four tables of 12 bytes plus 8-byte ids is a lower bound on the layout.
    assert!(
        per_fp >= 56.0,
        "{per_fp} bytes per fingerprint is implausibly small"
    );
}

#[derive(Debug, Clone)]
enum Op {
    /// Insert a uniformly random fingerprint.
    InsertRandom(u64),
    /// Insert a cluster member: centre `c` with the listed bits flipped.
    InsertClustered(usize, Vec<u32>),
    /// Remove the model's entry at this position.
    Remove(prop::sample::Index),
    /// Remove an entry that may not be there (an existing fingerprint under another id).
    RemoveOther(prop::sample::Index, u64),
    /// Query near a cluster centre (listed bits flipped) at distance `k % (max_k + 1)`.
    QueryNear(usize, Vec<u32>, u32),
    /// Query a random fingerprint.
    QueryRandom(u64, u32),
}

fn op() -> impl Strategy<Value = Op> {
    let flips = || proptest::collection::vec(0u32..64, 0..=10);
    prop_oneof![
        3 => any::<u64>().prop_map(Op::InsertRandom),
        6 => (0usize..4, flips()).prop_map(|(c, f)| Op::InsertClustered(c, f)),
        2 => any::<prop::sample::Index>().prop_map(Op::Remove),
        1 => (any::<prop::sample::Index>(), any::<u64>()).prop_map(|(i, id)| Op::RemoveOther(i, id)),
        4 => (0usize..4, flips(), any::<u32>()).prop_map(|(c, f, k)| Op::QueryNear(c, f, k)),
        1 => (any::<u64>(), any::<u32>()).prop_map(|(q, k)| Op::QueryRandom(q, k)),
    ]
}

/// Runs `ops` against `index` and a brute-force model, checking every answer and the length.
fn check_against_brute_force(
    mut index: SimHashIndex,
    mut model: Vec<(u64, u64)>,
    centres: [u64; 4],
    ops: Vec<Op>,
) -> Result<(), TestCaseError> {
    let max_k = index.max_k();
    let mut next_id = model.len() as u64;
    for op in ops {
        match op {
            Op::InsertRandom(fp) => {
                index.insert(next_id, fp);
                model.push((next_id, fp));
                next_id += 1;
            }
            Op::InsertClustered(c, bits) => {
                // Cluster members share ids now and then, so equal ids with different
                // fingerprints are covered too.
                let fp = flip(centres[c], &bits[..bits.len().min(max_k as usize + 2)]);
                let id = if next_id.is_multiple_of(5) {
                    next_id / 2
                } else {
                    next_id
                };
                index.insert(id, fp);
                model.push((id, fp));
                next_id += 1;
            }
            Op::Remove(i) => {
                if !model.is_empty() {
                    let (id, fp) = model.swap_remove(i.index(model.len()));
                    prop_assert!(index.remove(id, fp), "failed to remove ({id}, {fp:#x})");
                }
            }
            Op::RemoveOther(i, id) => {
                if !model.is_empty() {
                    let fp = model[i.index(model.len())].1;
                    let present = model.iter().position(|&e| e == (id, fp));
                    prop_assert_eq!(index.remove(id, fp), present.is_some());
                    if let Some(p) = present {
                        model.swap_remove(p);
                    }
                }
            }
            Op::QueryNear(c, bits, k) => {
                let q = flip(centres[c], &bits);
                let k = k % (max_k + 1);
                prop_assert_eq!(sorted(index.query(q, k).unwrap()), brute(&model, q, k));
            }
            Op::QueryRandom(q, k) => {
                let k = k % (max_k + 1);
                prop_assert_eq!(sorted(index.query(q, k).unwrap()), brute(&model, q, k));
            }
        }
        prop_assert_eq!(index.len(), model.len());
    }
    // Final sweep: every stored fingerprint and every centre, at every k.
    let mut probes: Vec<u64> = model.iter().map(|&(_, fp)| fp).take(50).collect();
    probes.extend(centres);
    for q in probes {
        for k in 0..=max_k {
            prop_assert_eq!(sorted(index.query(q, k).unwrap()), brute(&model, q, k));
        }
    }
    let mut entries = index.entries();
    entries.sort_unstable();
    model.sort_unstable();
    prop_assert_eq!(entries, model);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// Random and clustered data with inserts, deletes and queries interleaved; tiny buffer
    /// and delta thresholds so every tier, merge and compaction is exercised.
    #[test]
    fn index_matches_brute_force(
        max_k in 0u32..=8,
        tables in proptest::option::of(1u32..=MAX_TABLES),
        centres in any::<[u64; 4]>(),
        buffer_cap in 1usize..=16,
        min_delta in 1usize..=64,
        ops in proptest::collection::vec(op(), 1..300),
    ) {
        let tables = tables.unwrap_or(default_tables(max_k));
        // One table with a large k would probe whole 64-bit balls: keep the test fast.
        prop_assume!(max_k / tables <= 2);
        let index = SimHashIndex::with_params(max_k, tables, buffer_cap, min_delta);
        check_against_brute_force(index, Vec::new(), centres, ops)?;
    }

    /// Same, starting from a bulk-built index.
    #[test]
    fn built_index_matches_brute_force(
        max_k in 0u32..=8,
        centres in any::<[u64; 4]>(),
        seed in any::<u64>(),
        n in 0usize..2000,
        ops in proptest::collection::vec(op(), 1..200),
    ) {
        let mut rng = SplitMix(seed);
        let model: Vec<(u64, u64)> = (0..n as u64)
            .map(|id| {
                let fp = if id % 3 == 0 {
                    rng.next()
                } else {
                    let c = centres[(rng.next() % 4) as usize];
                    let flips = (rng.next() % u64::from(max_k + 3)) as u32;
                    rng.perturb(c, flips)
                };
                (id, fp)
            })
            .collect();
        let mut index = SimHashIndex::build(max_k, model.iter().copied());
        index.buffer_cap = 4;
        index.min_delta = 16;
        check_against_brute_force(index, model, centres, ops)?;
    }
}
