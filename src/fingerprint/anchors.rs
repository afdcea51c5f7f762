//! Language-independent anchors: the evidence in a news story that survives translation.
//!
//! A translated copy shares almost no shingles with its original, but it keeps the story's
//! numbers (ages, amounts, years, scores), the names of people, places and organisations, and
//! the order in which they occur. Anchors, in order of occurrence:
//! - **numbers** (`n:` + digits): maximal digit runs in any script (ASCII, Arabic-Indic,
//!   Persian, Devanagari, full-width after NFKC) with thousands and decimal separators removed,
//!   so "1,250", "1.250" and "1 250" agree; numbers below 10 are skipped (translators spell
//!   them out: "two weeks", "两周");
//! - **names** (`p:` + phonetic key): words that start with a capital letter in a cased script
//!   (Latin, Cyrillic, Greek) but do not start a sentence, and all-capital acronyms (in any
//!   text, so "BBC" in a Chinese text counts). Each is transliterated to ASCII (`any_ascii`)
//!   and reduced to a consonant skeleton (vowels and h/w/v/y dropped, since w is written v or u in other scripts; doubled letters merged,
//!   c/k/q/x → k, z → s, ph → f, dzh/dj/zh → j), so "Chambers" and "Чемберс" meet at `p:kmbrs`; keys shorter
//!   than three letters are dropped.
//!
//! Scoring is in [`crate::link`]; this module only extracts.

use unicode_normalization::UnicodeNormalization;

use super::normalise::is_unspaced_script;

/// Value of a decimal digit in any of the common digit blocks, if `c` is one.
fn digit_value(c: char) -> Option<u32> {
    let cp = c as u32;
    for base in [0x30, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xFF10] {
        if (base..base + 10).contains(&cp) {
            return Some(cp - base);
        }
    }
    None
}

fn is_sentence_end(c: char) -> bool {
    matches!(
        c,
        '.' | '!'
            | '?'
            | ':'
            | '"'
            | '“'
            | '”'
            | '«'
            | '»'
            | '„'
            | '…'
            | '。'
            | '！'
            | '？'
            | '\n'
            | '('
            | '—'
            | '–'
            | '-'
            | '•'
            | '|'
    )
}

/// Phonetic consonant skeleton of an ASCII word (see the module docs).
pub fn phonetic_key(ascii: &str) -> String {
    let w = ascii
        .to_ascii_lowercase()
        .replace("ph", "f")
        .replace("dzh", "j")
        .replace("dj", "j")
        .replace("zh", "j");
    let mut out = String::new();
    let mut last = ' ';
    for c in w.chars() {
        let m = match c {
            'a' | 'e' | 'i' | 'o' | 'u' | 'h' | 'w' | 'v' | 'y' => continue,
            'c' | 'k' | 'q' => 'k',
            'z' => 's',
            'x' => 'k',
            c if c.is_ascii_lowercase() => c,
            _ => continue,
        };
        if m != last {
            out.push(m);
        }
        last = m;
    }
    out
}

/// True for letters of scripts with letter case used for names.
fn is_cased_letter(c: char) -> bool {
    c.is_alphabetic() && (c.is_uppercase() || c.is_lowercase())
}

/// The anchors of `text`, in order of occurrence (see the module docs).
pub fn anchors(text: &str) -> Vec<String> {
    let text: String = text.nfkc().collect();
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // Whether the next word starts a sentence.
    let mut sentence_start = true;
    while i < chars.len() {
        let c = chars[i];
        if digit_value(c).is_some() {
            let mut digits = String::new();
            let mut j = i;
            while j < chars.len() {
                if let Some(d) = digit_value(chars[j]) {
                    digits.push(char::from_digit(d, 10).unwrap_or('0'));
                    j += 1;
                } else if matches!(
                    chars[j],
                    ',' | '.' | '\'' | '\u{a0}' | '\u{202f}' | ' ' | '٫' | '٬'
                ) && j + 1 < chars.len()
                    && digit_value(chars[j + 1]).is_some()
                    && (chars[j] != ' ' || {
                        // A plain space separates thousands only before exactly three digits.
                        let run = chars[j + 1..]
                            .iter()
                            .take_while(|c| digit_value(**c).is_some())
                            .count();
                        run == 3
                    })
                {
                    j += 1;
                } else {
                    break;
                }
            }
            let trimmed = digits.trim_start_matches('0');
            if trimmed.len() >= 2 {
                out.push(format!("n:{trimmed}"));
            }
            i = j;
            sentence_start = false;
            continue;
        }
        if c.is_alphabetic() {
            let mut j = i;
            let unspaced = is_unspaced_script(c);
            while j < chars.len()
                && (chars[j].is_alphanumeric() || chars[j] == '\'')
                && is_unspaced_script(chars[j]) == unspaced
                && digit_value(chars[j]).is_none()
            {
                j += 1;
            }
            let mut word: String = chars[i..j].iter().collect();
            // English possessive: "Corbyn's" is the name "Corbyn".
            for suffix in ["'s", "’s"] {
                if let Some(w) = word.strip_suffix(suffix) {
                    word = w.to_string();
                }
            }
            let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
            let acronym = letters.len() >= 2
                && letters.iter().all(|c| c.is_uppercase())
                && letters.iter().all(|c| c.is_ascii_alphabetic());
            let capitalised = is_cased_letter(c) && c.is_uppercase() && letters.len() >= 3;
            if acronym {
                out.push(format!("p:{}", word.to_ascii_lowercase()));
            } else if capitalised && !sentence_start {
                let key = phonetic_key(&any_ascii::any_ascii(&word));
                if key.len() >= 3 {
                    out.push(format!("p:{key}"));
                }
            }
            i = j;
            sentence_start = false;
            continue;
        }
        if is_sentence_end(c) {
            sentence_start = true;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_agree_across_separator_conventions() {
        let a = anchors("Der Verein sammelte 1.250 € und 3,5 Tonnen; 400 Millionen.");
        let b = anchors("The club raised 1,250 euros and 3.5 tonnes; 400 million.");
        let nums = |v: &[String]| {
            v.iter()
                .filter(|a| a.starts_with("n:"))
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(nums(&a), vec!["n:1250", "n:35", "n:400"]);
        assert_eq!(nums(&a), nums(&b));
        assert_eq!(anchors("٢٠١٤ و 29 عامًا"), vec!["n:2014", "n:29"]);
        assert!(
            anchors("two weeks, 2 days")
                .iter()
                .all(|a| !a.starts_with("n:"))
        );
    }

    #[test]
    fn names_meet_across_scripts() {
        let en = anchors("the victim, Jessica Chambers, died");
        let ru = anchors("жертва, Джессика Чемберс, погибла");
        assert_eq!(en, ru, "{en:?} vs {ru:?}");
        // Sentence-initial capitals are not names; acronyms are, in any text.
        assert!(anchors("The court met.").is_empty());
        assert_eq!(anchors("据BBC报道"), vec!["p:bbc"]);
    }
}
