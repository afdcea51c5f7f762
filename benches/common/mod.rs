//! Text generation shared by the benches: a made-up vocabulary with a skewed (roughly
//! Zipf-like) word choice, so generated stories share frequent words the way news text does
//! but are not near-duplicates of each other.

/// `size` distinct made-up words built from syllables, the same for the same `seed`.
pub fn vocabulary(size: usize, seed: u64) -> Vec<String> {
    const SYL: [&str; 40] = [
        "ba", "ce", "di", "fo", "gu", "ha", "je", "ki", "lo", "mu", "na", "pe", "ri", "so", "tu",
        "va", "we", "xi", "yo", "za", "bra", "cle", "dri", "fla", "gro", "pla", "sti", "tro",
        "ven", "mar", "lin", "sor", "tal", "ber", "kon", "ras", "mel", "dun", "pir", "gos",
    ];
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut seen = std::collections::HashSet::new();
    let mut words = Vec::with_capacity(size);
    while words.len() < size {
        let n = rng.usize(1..=4);
        let w: String = (0..n).map(|_| SYL[rng.usize(..SYL.len())]).collect();
        if seen.insert(w.clone()) {
            words.push(w);
        }
    }
    words
}

/// A word of `vocab`, low indices (frequent words) much more likely: index = ⌊u³·len⌋ for a
/// uniform u in 0..1.
pub fn pick<'a>(rng: &mut fastrand::Rng, vocab: &'a [String]) -> &'a str {
    let u = rng.f64();
    &vocab[((u * u * u) * vocab.len() as f64) as usize]
}
