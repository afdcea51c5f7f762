//! The two hot loops of a query, kept small and branch-free: prefetching a bucket and testing
//! up to 64 keys at once for Hamming distance ≤ k.
//!
//! The crate is compiled for baseline x86-64, which has no `popcnt` instruction, so
//! `u64::count_ones` becomes a ~12-instruction bit-twiddling sequence. On x86-64 the key test
//! is also compiled with AVX2 + POPCNT and chosen at run time when the CPU has them (std's
//! feature detection caches the answer); elsewhere the portable version runs.

/// Asks the CPU to start loading `keys` into cache, one request per 64-byte line (a hint: no
/// effect on results).
#[inline(always)]
pub(super) fn prefetch(keys: &[u64]) {
    #[cfg(target_arch = "x86_64")]
    for key in keys.iter().step_by(8) {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of the x86-64 baseline, and a prefetch never faults or changes
        // memory; the pointer comes from a live reference.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(key).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = keys;
}

/// Bit `i` set iff `hamming(keys[i], q) <= k`. `keys.len()` must be at most 64.
#[inline(always)]
fn match_mask_portable(keys: &[u64], q: u64, k: u32) -> u64 {
    debug_assert!(keys.len() <= 64);
    let mut flags = [0u8; 64];
    for (f, &key) in flags.iter_mut().zip(keys) {
        *f = u8::from((key ^ q).count_ones() <= k);
    }
    flags
        .iter()
        .enumerate()
        .fold(0u64, |m, (i, &f)| m | (u64::from(f) << i))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn match_mask_avx2(keys: &[u64], q: u64, k: u32) -> u64 {
    match_mask_portable(keys, q, k)
}

/// Bit `i` set iff `hamming(keys[i], q) <= k`, for `keys.len() <= 64`.
#[inline]
pub(super) fn match_mask(keys: &[u64], q: u64, k: u32) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt")
    {
        // SAFETY: the CPU supports AVX2 and POPCNT (checked just above).
        return unsafe { match_mask_avx2(keys, q, k) };
    }
    match_mask_portable(keys, q, k)
}

/// Calls `hit(i)` for every `i` with `hamming(keys[i], q) <= k`, in increasing order.
#[inline]
pub(super) fn for_each_match(keys: &[u64], q: u64, k: u32, mut hit: impl FnMut(usize)) {
    for (c, chunk) in keys.chunks(64).enumerate() {
        let mut m = match_mask(chunk, q, k);
        while m != 0 {
            hit(c * 64 + m.trailing_zeros() as usize);
            m &= m - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn for_each_match_finds_exactly_the_close_keys() {
        let q = 0xF0F0_0000_FFFF_1234u64;
        // 150 keys (crosses two chunk boundaries) at distances i % 9 from q.
        let keys: Vec<u64> = (0..150u32)
            .map(|i| q ^ ((1u64 << (i % 9)) - 1).rotate_left(i))
            .collect();
        for k in 0..=8 {
            let mut got = Vec::new();
            for_each_match(&keys, q, k, |i| got.push(i));
            let expected: Vec<usize> = (0..keys.len())
                .filter(|&i| (keys[i] ^ q).count_ones() <= k)
                .collect();
            assert!(!expected.is_empty());
            assert_eq!(got, expected, "k = {k}");
            assert_eq!(
                match_mask_portable(&keys[..64], q, k),
                match_mask(&keys[..64], q, k)
            );
        }
    }
}
