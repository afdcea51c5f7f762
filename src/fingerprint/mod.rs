//! Fingerprints of article bodies: normalisation ([`normalise`]), word shingles, the 64-bit
//! SimHash, the containment signature, and the near-duplicate index ([`index`]).
//!
//! Version [`FINGERPRINT_VERSION`] = 1:
//! - tokens: [`normalise::tokens`] of [`normalise::normalise`]d text (words; character bigrams
//!   for Han, kana, Thai and other unspaced scripts);
//! - shingles: every run of [`SHINGLE_TOKENS`] consecutive tokens (a text with fewer tokens is
//!   one shingle of all of them, never an empty set), each hashed to 64 bits with XXH3-64
//!   seeded by [`HASH_SEED`] over the tokens' UTF-8 bytes joined by U+0020; the hash is
//!   specified (XXH3, Collet 2019) and does not change between builds or Rust versions;
//! - SimHash (Charikar, "Similarity estimation techniques from rounding algorithms", STOC 2002;
//!   used for web near-duplicates by Manku et al., WWW 2007): each distinct shingle hash votes
//!   +1/−1 on each of the 64 bits; a bit is set where the sum is positive;
//! - containment signature: the sorted, distinct shingle hashes (verification), and the
//!   content-defined sample of those whose hash is 0 mod [`SAMPLE_MODULUS`] (Broder's "0 mod p"
//!   sampling, Broder 1997, "On the resemblance and containment of documents"): an excerpt's
//!   sample is a subset of its original's, so candidates for partial copies are found by
//!   looking up sampled shingles in an inverted index.

pub mod anchors;
pub mod index;
pub mod normalise;

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Version of the fingerprint algorithm; stored with every fingerprint.
pub const FINGERPRINT_VERSION: u32 = 1;
/// Seed of the XXH3-64 feature hash (ASCII "copytrl1").
pub const HASH_SEED: u64 = 0x636f_7079_7472_6c31;
/// Tokens per shingle.
pub const SHINGLE_TOKENS: usize = 4;
/// A shingle hash is in the sample when `hash % SAMPLE_MODULUS == 0` (1 in 4 on average).
pub const SAMPLE_MODULUS: u64 = 4;
/// Below this many tokens a text is too short to be a story: it gets no fingerprint.
pub const MIN_TOKENS: usize = 8;

/// The fingerprints of one article body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// 64-bit SimHash of the shingle set.
    pub simhash: u64,
    /// Number of tokens in the body.
    pub n_tokens: usize,
    /// Sorted, distinct 64-bit shingle hashes (the containment signature).
    pub shingles: Vec<u64>,
}

impl Fingerprint {
    /// The content-defined sample of [`Fingerprint::shingles`] (hash ≡ 0 mod
    /// [`SAMPLE_MODULUS`]), used as index keys for containment candidates.
    pub fn sample(&self) -> impl Iterator<Item = u64> + '_ {
        self.shingles
            .iter()
            .copied()
            .filter(|h| h % SAMPLE_MODULUS == 0)
    }
}

/// Hash of one shingle (tokens joined by a space) with the versioned seed.
pub fn shingle_hash(tokens: &[String]) -> u64 {
    let mut buf = String::with_capacity(tokens.iter().map(|t| t.len() + 1).sum());
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 {
            buf.push(' ');
        }
        buf.push_str(t);
    }
    xxh3_64_with_seed(buf.as_bytes(), HASH_SEED)
}

/// Sorted, distinct shingle hashes of a token sequence; a non-empty sequence shorter than
/// [`SHINGLE_TOKENS`] yields one shingle of all its tokens; an empty one yields none.
pub fn shingles(tokens: &[String]) -> Vec<u64> {
    let mut out: Vec<u64> = if tokens.is_empty() {
        Vec::new()
    } else if tokens.len() < SHINGLE_TOKENS {
        vec![shingle_hash(tokens)]
    } else {
        tokens.windows(SHINGLE_TOKENS).map(shingle_hash).collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// 64-bit SimHash of a set of 64-bit feature hashes, each with weight 1. An empty set gives 0
/// (callers never store a fingerprint for an empty text).
pub fn simhash(features: &[u64]) -> u64 {
    let mut votes = [0i32; 64];
    for &h in features {
        for (bit, v) in votes.iter_mut().enumerate() {
            *v += if (h >> bit) & 1 == 1 { 1 } else { -1 };
        }
    }
    votes.iter().enumerate().fold(
        0u64,
        |acc, (bit, &v)| if v > 0 { acc | (1 << bit) } else { acc },
    )
}

/// Fingerprints `text`. Returns `None` when it has fewer than [`MIN_TOKENS`] tokens: such a
/// text carries too little to be told apart from other short texts and is never linked.
pub fn fingerprint(text: &str) -> Option<Fingerprint> {
    let toks = normalise::tokens(&normalise::normalise(text));
    if toks.len() < MIN_TOKENS {
        return None;
    }
    let shingles = shingles(&toks);
    Some(Fingerprint {
        simhash: simhash(&shingles),
        n_tokens: toks.len(),
        shingles,
    })
}

/// Hamming distance of two 64-bit fingerprints, in bits.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Size of the intersection of two sorted, distinct hash lists.
pub fn intersection_size(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_text_gives_stored_fingerprint() {
        // Stored values: if this test fails, the on-disk fingerprints of every existing store
        // would change; bump FINGERPRINT_VERSION instead of editing the expected values.
        let fp = fingerprint(
            "The port authority approved a dredging plan for the inner harbour on Wednesday.",
        )
        .unwrap();
        assert_eq!(fp.n_tokens, 13);
        assert_eq!(fp.shingles.len(), 10);
        assert_eq!(format!("{:016x}", fp.simhash), "9306770201880037");
    }

    #[test]
    fn feature_hash_is_the_specified_xxh3() {
        // Reference vector of XXH3-64 (xxHash test suite): empty input, seed 0.
        assert_eq!(xxh3_64_with_seed(b"", 0), 0x2D06_8005_38D3_94C2);
    }

    #[test]
    fn short_texts_are_one_shingle_not_empty() {
        let t: Vec<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        assert_eq!(shingles(&t).len(), 1);
        assert!(shingles(&[]).is_empty());
        assert!(fingerprint("Too short to be a story.").is_none());
    }

    #[test]
    fn simhash_votes() {
        assert_eq!(simhash(&[0b1011, 0b0011, 0b1000]), 0b1011);
        assert_eq!(hamming(0b1011, 0b0001), 2);
    }

    #[test]
    fn intersection() {
        assert_eq!(intersection_size(&[1, 3, 5, 7], &[2, 3, 7, 9]), 2);
    }
}
