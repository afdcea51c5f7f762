//! Text generation shared by the benches: a made-up vocabulary with a skewed (roughly
//! Zipf-like) word choice, so generated stories share frequent words the way news text does
//! but are not near-duplicates of each other.

/// `size` distinct made-up words built from syllables, the same for the same `seed`.
#[allow(dead_code)]
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

/// Up to `size` words of real news text, most frequent first: the words of the article bodies
/// in `data/extraction/ground-truth.json` (the scrapinghub benchmark, MIT), lower-cased ASCII
/// letters only. Used with [`pick`], generated pages read like English news to language
/// detection and the extractor while staying distinct stories.
#[allow(dead_code)]
pub fn news_vocabulary(size: usize) -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/extraction/ground-truth.json"
    );
    let text = std::fs::read_to_string(path).expect("bundled ground truth");
    let truth: std::collections::HashMap<String, serde_json::Value> =
        serde_json::from_str(&text).expect("ground truth JSON");
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for v in truth.values() {
        let body = v["articleBody"].as_str().unwrap_or("");
        for w in body.split(|c: char| !c.is_ascii_alphabetic()) {
            if w.len() > 1 || w == "a" {
                *counts.entry(w.to_ascii_lowercase()).or_default() += 1;
            }
        }
    }
    let mut words: Vec<(String, usize)> = counts.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    words.into_iter().take(size).map(|w| w.0).collect()
}
