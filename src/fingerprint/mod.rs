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
///
/// Bit `b` is set when more than half of the features have bit `b` set (the vote
/// `ones − zeros` is positive). The ones are counted eight bits at a time: byte `k` of a
/// feature indexes `SPREAD`, whose entry holds that byte's bits as eight 8-bit lanes, and
/// the lanes are added into one `u64` per byte position (a SIMD-within-a-register count);
/// lanes are widened into 32-bit totals every 255 features, before they can overflow.
pub fn simhash(features: &[u64]) -> u64 {
    let mut ones = [0u32; 64];
    for block in features.chunks(255) {
        let mut lanes = [0u64; 8];
        for &h in block {
            for (k, lane) in lanes.iter_mut().enumerate() {
                *lane += SPREAD[((h >> (8 * k)) & 0xff) as usize];
            }
        }
        for (k, lane) in lanes.iter().enumerate() {
            for j in 0..8 {
                ones[8 * k + j] += ((lane >> (8 * j)) & 0xff) as u32;
            }
        }
    }
    let n = features.len() as u64;
    ones.iter().enumerate().fold(0u64, |acc, (bit, &c)| {
        if 2 * c as u64 > n {
            acc | (1 << bit)
        } else {
            acc
        }
    })
}

/// `SPREAD[b]` has byte `j` equal to bit `j` of `b` (0 or 1).
const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut j = 0;
        while j < 8 {
            t[b] |= (((b >> j) & 1) as u64) << (8 * j);
            j += 1;
        }
        b += 1;
    }
    t
};

/// Fingerprints `text`. Returns `None` when it has fewer than [`MIN_TOKENS`] tokens: such a
/// text carries too little to be told apart from other short texts and is never linked.
///
/// Same result as hashing [`normalise::tokens`]`(&`[`normalise::normalise`]`(text))` with
/// [`shingles`] and [`simhash`]; the tokens come from [`normalise::text_tokens`], which keeps
/// them in one arena so each shingle's joined bytes are hashed in place.
pub fn fingerprint(text: &str) -> Option<Fingerprint> {
    let toks = normalise::text_tokens(text);
    let n = toks.len();
    if n < MIN_TOKENS {
        return None;
    }
    let hashes: Vec<u64> = (0..=n - SHINGLE_TOKENS)
        .map(|i| xxh3_64_with_seed(toks.joined(i, SHINGLE_TOKENS), HASH_SEED))
        .collect();
    let shingles = sorted_distinct(hashes);
    Some(Fingerprint {
        simhash: simhash(&shingles),
        n_tokens: n,
        shingles,
    })
}

/// The values of `v` sorted ascending, each once (what `sort_unstable` + `dedup` give).
///
/// Shingle hashes are uniformly distributed, so a bucket sort on the top bits is used: a
/// counting pass over the top `b` bits (2^b ≥ `v.len()` buckets, about one value each), a
/// stable scatter into bucket order, then one insertion-sort pass, which only moves values
/// within their (tiny) bucket. Any input gets the exact result; on skewed input (more than
/// 8·n moves) the pass gives up and finishes with `sort_unstable`. Short lists use `sort_unstable`.
fn sorted_distinct(mut v: Vec<u64>) -> Vec<u64> {
    let n = v.len();
    if n < 64 {
        v.sort_unstable();
        v.dedup();
        return v;
    }
    let bits = (usize::BITS - (n - 1).leading_zeros()).min(16);
    let shift = 64 - bits;
    let mut starts = vec![0u32; (1usize << bits) + 1];
    for &h in &v {
        starts[(h >> shift) as usize + 1] += 1;
    }
    for k in 1..starts.len() {
        starts[k] += starts[k - 1];
    }
    let mut out = vec![0u64; n];
    for &h in &v {
        let slot = &mut starts[(h >> shift) as usize];
        out[*slot as usize] = h;
        *slot += 1;
    }
    // Moves allowed before giving up on a skewed input (crafted hashes): `sort_unstable`.
    let mut budget = 8 * n;
    for i in 1..n {
        let x = out[i];
        if out[i - 1] <= x {
            continue;
        }
        let mut j = i;
        while j > 0 && out[j - 1] > x {
            out[j] = out[j - 1];
            j -= 1;
        }
        out[j] = x;
        budget = budget.saturating_sub(i - j);
        if budget == 0 {
            out.sort_unstable();
            break;
        }
    }
    out.dedup();
    out
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
    use proptest::prelude::*;

    /// The straightforward implementation (before the fast path): normalise to a `String`,
    /// a `String` per token, a `String` per shingle, one vote counter per bit and feature.
    mod reference {
        use super::super::{HASH_SEED, MIN_TOKENS, SHINGLE_TOKENS, normalise::reference};
        use xxhash_rust::xxh3::xxh3_64_with_seed;

        pub fn shingle_hash(tokens: &[String]) -> u64 {
            xxh3_64_with_seed(tokens.join(" ").as_bytes(), HASH_SEED)
        }

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

        /// SimHash, token count and sorted distinct shingle hashes.
        pub type Fp = (u64, usize, Vec<u64>);

        /// (tokens, fingerprint) of `text`.
        pub fn fingerprint(text: &str) -> (Vec<String>, Option<Fp>) {
            let toks = reference::tokens(&reference::normalise(text));
            if toks.len() < MIN_TOKENS {
                return (toks, None);
            }
            let sh = shingles(&toks);
            let fp = (simhash(&sh), toks.len(), sh);
            (toks, Some(fp))
        }
    }

    /// Asserts that every stage of the fast path equals the reference on `text`.
    fn assert_same_as_reference(text: &str) {
        let ref_norm = normalise::reference::normalise(text);
        assert_eq!(normalise::normalise(text), ref_norm, "normalise {text:?}");
        let (ref_toks, ref_fp) = reference::fingerprint(text);
        assert_eq!(normalise::tokens(&ref_norm), ref_toks, "tokens {text:?}");
        assert_eq!(
            normalise::text_tokens(text).to_strings(),
            ref_toks,
            "text_tokens {text:?}"
        );
        assert_eq!(shingles(&ref_toks), reference::shingles(&ref_toks));
        let fp = fingerprint(text);
        match (&fp, &ref_fp) {
            (None, None) => {}
            (Some(fp), Some((sim, n, sh))) => {
                assert_eq!(fp.shingles, *sh, "shingles {text:?}");
                assert_eq!(fp.n_tokens, *n, "n_tokens {text:?}");
                assert_eq!(fp.simhash, *sim, "simhash {text:?}");
                assert_eq!(
                    fp.sample().collect::<Vec<_>>(),
                    sh.iter()
                        .copied()
                        .filter(|h| h % SAMPLE_MODULUS == 0)
                        .collect::<Vec<_>>()
                );
            }
            _ => panic!("fingerprint presence differs on {text:?}: {fp:?} vs {ref_fp:?}"),
        }
    }

    /// Pieces the random texts are built from: ASCII words, digits, punctuation and white
    /// space; Latin accents (precomposed and combining); Turkish İ/ı; ß/ẞ; ligatures,
    /// full-width, half-width and other compatibility forms (NFKC changes them); Hangul
    /// syllables and conjoining jamo; CJK, kana, Thai; Arabic with harakat; Cyrillic, Greek,
    /// Hebrew, Devanagari; emoji with modifiers, ZWJ sequences and flags; format characters.
    const PIECES: &[&str] = &[
        "a",
        "B",
        "z",
        "Q",
        "i",
        "I",
        "the",
        "Port",
        "DON'T",
        "u.s.",
        "e.g",
        "x_y",
        "_",
        "0",
        "7",
        "3.5",
        "1,000",
        "2024",
        "1'000",
        "a1",
        "http://x.y",
        "12:30",
        "4;5",
        " ",
        " ",
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "\u{b}",
        "\u{c}",
        ".",
        ",",
        ";",
        ":",
        "'",
        "\"",
        "-",
        "!",
        "?",
        "(",
        ")",
        "/",
        "#",
        "%",
        "&",
        "@",
        "é",
        "É",
        "à",
        "ç",
        "ñ",
        "Ü",
        "ö",
        "e\u{301}",
        "E\u{301}",
        "a\u{308}",
        "\u{301}",
        "\u{308}",
        "\u{327}",
        "\u{307}",
        "\u{323}\u{302}",
        "İ",
        "ı",
        "İSTANBUL",
        "ıi",
        "I\u{307}",
        "i\u{307}",
        "ß",
        "ẞ",
        "STRAẞE",
        "ﬁ",
        "ﬂ",
        "ﬀ",
        "ﬆ",
        "ſt",
        "Ａ",
        "ｚ",
        "１２",
        "！",
        "\u{3000}",
        "ｶﾀｶﾅ",
        "ﾞ",
        "㈜",
        "½",
        "²",
        "Ⅻ",
        "ﷺ",
        "ǅ",
        "\u{212a}",
        "\u{2126}",
        "ᾳ",
        "\u{345}",
        "ΐ",
        "Σσς",
        "ПРИВЕТ",
        "привет",
        "שָׁלוֹם",
        "हिन्दी",
        "한국어",
        "\u{1100}",
        "\u{1161}",
        "\u{11a8}",
        "本市交通局",
        "年",
        "東京",
        "𠀋",
        "ひらがな",
        "カタカナ",
        "カタカナabc",
        "ー",
        "ภาษาไทย",
        "ລາວ",
        "မြန်မာ",
        "ខ្មែរ",
        "العربية",
        "مُحَمَّد",
        "\u{64b}",
        "\u{670}",
        "ﻻ",
        "😀",
        "👍🏽",
        "👨\u{200d}👩\u{200d}👧",
        "🇩🇪",
        "🇫",
        "\u{200d}",
        "\u{200c}",
        "\u{ad}",
        "\u{2019}",
        "\u{201c}",
        "\u{201d}",
        "\u{2014}",
        "\u{2026}",
        "\u{a0}",
        "\u{2009}",
        "\u{feff}",
        "\u{2060}",
        "℃",
        "\u{fe0f}",
        "\u{e0041}",
        "\u{10ffff}",
    ];

    fn mixed_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            12 => proptest::sample::select(PIECES).prop_map(str::to_string),
            1 => any::<char>().prop_map(|c| c.to_string()),
            1 => "[a-zA-Z0-9 .,'_:;-]{1,12}",
        ];
        proptest::collection::vec(piece, 0..80).prop_map(|v| v.concat())
    }

    /// Long mostly-ASCII texts (the 64-byte mask windows of the ASCII scanner need 65 ASCII
    /// bytes): words, digits, the infix bytes `'` `.` `:` `,` `;` between letters or digits,
    /// `_`, white space and other punctuation, with a rare non-ASCII letter, apostrophe,
    /// quote, dash, Han character or combining mark.
    fn ascii_heavy_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            40 => "[a-zA-Z0-9_ .,'`:;!?()-]{1,40}",
            10 => "[a-z]{1,20}[.':][a-z]{1,20}",
            10 => "[0-9]{1,8}[.,;'][0-9]{1,8}",
            4 => "[a-zA-Z]{60,90}",
            1 => proptest::sample::select(&["\u{2019}", "\u{e9}", "\u{201c}", "\u{2014}", "\u{672c}", "e\u{301}", "\u{30ab}"][..]).prop_map(str::to_string),
        ];
        proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
    }

    /// Japanese and Arabic around the Katakana (WB13) and MidNum paths of the scanner:
    /// Katakana runs with the prolonged sound mark and the middle dot, `_` (ExtendNumLet) and
    /// other ExtendNumLet next to them, combining and half-width voiced marks, compatibility
    /// Katakana, Han, Hiragana, ASCII; Arabic letters with harakat, the Arabic comma (MidNum)
    /// and Arabic-Indic digits with their separators.
    const CJK_ARABIC_PIECES: &[&str] = &[
        "\u{30ab}\u{30bf}\u{30ab}\u{30ca}",
        "\u{30b3}\u{30fc}\u{30d2}\u{30fc}",
        "\u{30fc}",
        "\u{30fb}",
        "\u{30a2}",
        "\u{30f7}",
        "\u{30ff}",
        "\u{30a0}",
        "\u{31f0}",
        "\u{3099}",
        "\u{309b}",
        "\u{ff76}\u{ff9e}",
        "\u{32d0}",
        "\u{3300}",
        "\u{672c}\u{5e02}",
        "\u{3072}\u{3089}",
        "\u{3002}",
        "\u{3001}",
        "_",
        "\u{203f}",
        "\u{ff3f}",
        "\u{200d}",
        "\u{200b}",
        "a",
        "Zb",
        "1",
        "42",
        " ",
        "\n",
        ".",
        ",",
        "'",
        "\u{2019}",
        "\u{627}\u{644}\u{639}\u{631}\u{628}\u{64a}\u{629}",
        "\u{645}\u{64f}\u{62d}\u{64e}\u{645}\u{651}\u{64e}\u{62f}",
        "\u{628}\u{64b}",
        "\u{651}\u{64e}",
        "\u{627}\u{653}",
        "\u{60c}",
        "\u{61b}",
        "\u{66b}",
        "\u{66c}",
        "\u{661}\u{662}",
        "\u{6f3}",
    ];

    fn cjk_arabic_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(CJK_ARABIC_PIECES), 0..60)
            .prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn fast_path_equals_reference_cjk_arabic(text in cjk_arabic_text()) {
            assert_same_as_reference(&text);
        }

        #[test]
        fn fast_path_equals_reference_ascii_heavy(text in ascii_heavy_text()) {
            assert_same_as_reference(&text);
        }

        #[test]
        fn fast_path_equals_reference(text in mixed_text()) {
            assert_same_as_reference(&text);
        }

        #[test]
        fn fast_path_equals_reference_any_chars(text in any::<String>()) {
            assert_same_as_reference(&text);
        }

        #[test]
        fn simhash_equals_reference(features in proptest::collection::vec(any::<u64>(), 0..700)) {
            prop_assert_eq!(simhash(&features), reference::simhash(&features));
        }
    }

    /// Inputs that broke earlier drafts of the fast path or sit on its chunk rules: dotless ı
    /// next to a letter (it folds to itself but the Turkish fix-up changes it), combining marks
    /// after ASCII, spaces with an alphabetic Extend mark (a UAX #29 "word" holding a space),
    /// curly apostrophes (MidNumLet), unspaced runs across spaces, Katakana after Han, ZWJ
    /// before an emoji, and compatibility forms.
    #[test]
    fn edge_cases_equal_reference() {
        for t in [
            "ıa",
            "İa",
            "Iı\u{307}",
            "e\u{301} b",
            "a \u{301}b",
            " \u{64b}",
            "x  \u{64b}y",
            "don\u{2019}t 3\u{2019}5 a\u{2019}1",
            "本 市、交通",
            "カタカナ本市ア",
            "x\u{200d}\u{1f600} \u{1f600}\u{200d}x",
            "\u{fb01}le １２ ＡＢ ｶﾞ",
            "a_\u{30a2} \u{5d0}'\u{5d0} \u{5d0}\"\u{5d0}",
            "\u{1100}\u{1161}\u{11a8} 한",
            "\u{30b3}\u{30fc}\u{30d2}\u{30fc}\u{30fb}\u{30c6}\u{30a3}\u{30fc} \u{672c}\u{30ab}a1\u{30ab}",
            "\u{30ab}_ \u{30ab}_\u{30ab} _\u{30ab} a_\u{30ab} \u{30ab}\u{203f}a",
            "\u{30ab}\u{3099} \u{30ab}\u{ff9e} \u{30ab}\u{30ff}\u{30ab} \u{30a0}\u{30ab}\u{30a0} \u{30a0}",
            "\u{645}\u{64f}\u{62d}\u{64e}\u{645}\u{651}\u{64e}\u{62f}\u{60c} 1\u{60c}2 \u{628}\u{60c}\u{628} \u{661}\u{66b}\u{662}",
        ] {
            assert_same_as_reference(t);
        }
    }

    /// Every bundled text: the article bodies the library extracts from the sample WARC files,
    /// their raw HTML, and the HTML of the extraction benchmark and golden cases.
    #[test]
    fn fast_path_equals_reference_on_bundled_texts() {
        use crate::ingest::warc::{WarcFile, record_to_page};
        use std::io::Read;
        let root = env!("CARGO_MANIFEST_DIR");
        let mut texts: Vec<String> = Vec::new();
        for w in [
            "data/sample/sample.warc.gz",
            "data/sample-xling/sample.warc.gz",
        ] {
            let path = format!("{root}/{w}");
            let file = WarcFile::open(std::path::Path::new(&path)).expect("open sample WARC");
            for rec in file {
                let Ok(rec) = rec else { continue };
                let Ok(Some(page)) = record_to_page(&rec, &path) else {
                    continue;
                };
                texts.push(String::from_utf8_lossy(&page.body).into_owned());
                if let Some(a) = crate::pipeline::analyse(&page).article {
                    texts.push(a.text);
                }
            }
        }
        let n_warc = texts.len();
        for dir in ["data/extraction/html", "data/golden"] {
            let mut paths = Vec::new();
            let mut stack = vec![std::path::PathBuf::from(format!("{root}/{dir}"))];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).expect("read bundled dir") {
                    let p = e.expect("dir entry").path();
                    if p.is_dir() {
                        stack.push(p);
                    } else {
                        paths.push(p);
                    }
                }
            }
            paths.sort();
            for p in paths {
                let raw = std::fs::read(&p).expect("read bundled file");
                let bytes = if p.extension().is_some_and(|e| e == "gz") {
                    let mut out = Vec::new();
                    flate2::read::GzDecoder::new(&raw[..])
                        .read_to_end(&mut out)
                        .expect("gunzip");
                    out
                } else {
                    raw
                };
                texts.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        assert!(n_warc > 200, "sample WARC texts: {n_warc}");
        assert!(texts.len() > n_warc + 123, "bundled texts: {}", texts.len());
        let mut non_ascii = 0;
        for t in &texts {
            non_ascii += usize::from(!t.is_ascii());
            assert_same_as_reference(t);
        }
        assert!(
            non_ascii > 50,
            "texts with non-ASCII characters: {non_ascii}"
        );
    }

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

    proptest! {
        #[test]
        fn sorted_distinct_equals_sort_dedup(
            mut v in proptest::collection::vec(any::<u64>(), 0..3000),
            small in proptest::collection::vec(0u64..50, 0..500),
            shift in 0u32..64,
        ) {
            // Random, heavily duplicated, and skewed (all in a few buckets) inputs.
            v.extend(small.iter().map(|x| x << shift));
            let mut want = v.clone();
            want.sort_unstable();
            want.dedup();
            prop_assert_eq!(sorted_distinct(v), want);
        }
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
