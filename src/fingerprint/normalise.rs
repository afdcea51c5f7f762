//! Text normalisation and tokenisation for fingerprints.
//!
//! Steps: Unicode NFKC → full Unicode case folding (`caseless`, Unicode `CaseFolding.txt`,
//! status C+F) → Turkish fix-ups (the dotted capital İ folds to `i` + U+0307, whose combining
//! dot is dropped; dotless ı is mapped to `i`, so "İstanbul", "ISTANBUL" and "ıstanbul" agree)
//! → word segmentation by Unicode word boundaries (UAX #29). Scripts written without spaces
//! (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) are split into overlapping character
//! bigrams, so Chinese and Japanese text yields features (the fault of case 22: an ASCII-only
//! word regex gives no features and every CJK text the same fingerprint).

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Normalises `text`: NFKC, full case folding, Turkish dotted/dotless i folded to `i`.
pub fn normalise(text: &str) -> String {
    let nfkc: String = text.nfkc().collect();
    let folded = caseless::default_case_fold_str(&nfkc);
    let mut out = String::with_capacity(folded.len());
    let mut prev_i = false;
    for c in folded.chars() {
        match c {
            '\u{0307}' if prev_i => continue,
            'ı' => {
                out.push('i');
                prev_i = true;
            }
            _ => {
                out.push(c);
                prev_i = c == 'i';
            }
        }
    }
    out
}

/// True for characters of scripts written without spaces between words.
pub(crate) fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x31F0..=0x31FF    // Katakana phonetic extensions
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0x20000..=0x2FA1F  // CJK Extensions B..F, compatibility supplement
        | 0x0E00..=0x0EFF    // Thai, Lao
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0xFF66..=0xFF9F    // half-width Katakana
    )
}

/// Splits already-normalised text into tokens: words, and character bigrams for runs of
/// unspaced scripts (a run of one character yields that character).
pub fn tokens(normalised: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run: Vec<char> = Vec::new();
    let flush = |run: &mut Vec<char>, out: &mut Vec<String>| {
        match run.len() {
            0 => {}
            1 => out.push(run[0].to_string()),
            _ => {
                for w in run.windows(2) {
                    out.push(w.iter().collect());
                }
            }
        }
        run.clear();
    };
    for word in normalised.unicode_words() {
        if word.chars().any(is_unspaced_script) {
            // A UAX #29 "word" in these scripts is one ideograph or a kana/Thai run; split
            // mixed tokens so Latin/digit parts stay words.
            let mut latin = String::new();
            for c in word.chars() {
                if is_unspaced_script(c) {
                    if !latin.is_empty() {
                        flush(&mut run, &mut out);
                        out.push(std::mem::take(&mut latin));
                    }
                    run.push(c);
                } else {
                    latin.push(c);
                }
            }
            if !latin.is_empty() {
                flush(&mut run, &mut out);
                out.push(latin);
            }
        } else {
            flush(&mut run, &mut out);
            out.push(word.to_string());
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turkish_i_variants_fold_together() {
        assert_eq!(normalise("İSTANBUL"), "istanbul");
        assert_eq!(normalise("Istanbul"), "istanbul");
        assert_eq!(normalise("ıstanbul"), "istanbul");
        assert_eq!(normalise("KAYNAK"), "kaynak");
    }

    #[test]
    fn nfkc_and_full_folding() {
        // Full-width digits and the ligature ﬁ are compatibility forms; ß folds to ss.
        assert_eq!(normalise("１２ ﬁle STRAßE"), "12 file strasse");
    }

    #[test]
    fn cjk_runs_become_bigrams() {
        let t = tokens(&normalise("本市交通局 said 2024年"));
        assert_eq!(
            t,
            vec!["本市", "市交", "交通", "通局", "said", "2024", "年"]
        );
    }

    #[test]
    fn latin_words() {
        assert_eq!(
            tokens(&normalise("Don't stop — the U.S. economy, 3.5% up")),
            vec!["don't", "stop", "the", "u.s", "economy", "3.5", "up"]
        );
    }
}
