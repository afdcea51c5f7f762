//! Block layout of the permuted tables and the pigeonhole arithmetic that makes them exact.
//!
//! The 64 bits of a fingerprint are split into `m` contiguous blocks. Table `t` holds every
//! fingerprint rotated so that block `t` is its leading bits (Manku, Jain, Das Sarma, WWW 2007,
//! §3.1: "permuted tables"). A query at Hamming distance `k` probes, in table `t`, every block
//! value within radius `r_t` of the query's block `t`, where the radii come from the pigeonhole
//! principle as sharpened by Norouzi, Punjani, Fleet, "Fast Search in Hamming Space with
//! Multi-Index Hashing", CVPR 2012, Proposition 2: write `k = s·m + a` with `0 ≤ a < m`; if two
//! fingerprints differ in at most `k` bits, then one of blocks `0..=a` differs in at most `s`
//! bits or one of blocks `a+1..m` differs in at most `s − 1` bits. (If blocks `0..=a` all
//! differed in `s + 1` or more bits, at most `k − (a+1)(s+1) = (m−a−1)s − 1` bits would be left
//! for the other `m − a − 1` blocks, so one of them differs in at most `s − 1`.) With `m = k + 1`
//! every radius is 0 and this is exactly Manku's scheme.

/// Largest number of tables a layout may have. Each table costs 12 bytes per fingerprint.
pub const MAX_TABLES: u32 = 8;

/// One block: the bits `start..start + width` of a fingerprint, counted from the most
/// significant bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Block {
    /// First bit of the block counted from the most significant bit (0..64); also the left
    /// rotation that brings the block to the top of the key.
    pub start: u32,
    /// Width in bits (1..=64).
    pub width: u32,
    /// The block's bits in an unrotated fingerprint.
    pub mask: u64,
}

/// The blocks of all tables, in table order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Layout {
    blocks: Vec<Block>,
}

impl Layout {
    /// Splits 64 bits into `tables` contiguous blocks, wider blocks first (widths differ by at
    /// most one bit). `tables` is clamped to `1..=MAX_TABLES`.
    pub fn new(tables: u32) -> Layout {
        let m = tables.clamp(1, MAX_TABLES);
        let mut blocks = Vec::with_capacity(m as usize);
        let mut start = 0;
        for i in 0..m {
            let width = 64 / m + u32::from(i < 64 % m);
            let ones = if width == 64 {
                u64::MAX
            } else {
                (1u64 << width) - 1
            };
            let mask = ones << (64 - start - width);
            blocks.push(Block { start, width, mask });
            start += width;
        }
        debug_assert_eq!(start, 64);
        Layout { blocks }
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Probe radius per table for a query at distance `k` (bits); `-1` means the table is not
    /// probed. See the module documentation for why this is exact.
    pub fn radii(&self, k: u32) -> Vec<i32> {
        let m = self.blocks.len() as u32;
        let (s, a) = ((k / m) as i32, k % m);
        (0..m).map(|i| if i <= a { s } else { s - 1 }).collect()
    }

    /// The first table whose probe at `radii` reaches a stored fingerprint that differs from
    /// the query by `diff` (= stored XOR query), or `blocks().len()` if none does. A match is
    /// reported only by this table, so each match is reported once.
    #[inline]
    pub fn first_finder(&self, diff: u64, radii: &[i32]) -> usize {
        self.blocks
            .iter()
            .zip(radii)
            .position(|(b, &r)| (diff & b.mask).count_ones() as i32 <= r)
            .unwrap_or(self.blocks.len())
    }
}

/// Calls `f` on every `bits`-bit value within Hamming distance `r` of `v` (including `v`
/// itself), each exactly once: `Σ_{i≤r} C(bits, i)` calls.
pub(super) fn for_each_within(v: u64, bits: u32, r: u32, f: &mut impl FnMut(u64)) {
    fn go(v: u64, from: u32, bits: u32, r: u32, f: &mut impl FnMut(u64)) {
        f(v);
        if r > 0 {
            for pos in from..bits {
                go(v ^ (1u64 << pos), pos + 1, bits, r - 1, f);
            }
        }
    }
    // Radii 0 and 1 are what four tables need up to k = 7: keep them free of recursion.
    match r.min(bits) {
        0 => f(v),
        1 => {
            f(v);
            for pos in 0..bits {
                f(v ^ (1u64 << pos));
            }
        }
        r => go(v, 0, bits, r, f),
    }
}
