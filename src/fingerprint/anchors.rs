//! Language-independent anchors: the evidence in a news story that survives translation.
//!
//! A translated copy shares almost no shingles with its original, but it keeps the story's
//! numbers (ages, amounts, years, scores), the names of people, places and organisations, and
//! the order in which they occur. Anchors, in order of occurrence:
//! - **numbers** (`n:` + decimal value): maximal digit runs in any script (ASCII, Arabic-Indic,
//!   Persian, Devanagari, full-width after NFKC) with thousands and decimal separators removed,
//!   so "1,250", "1.250" and "1 250" agree; numbers below 10 are skipped (translators spell
//!   them out: "two weeks", "两周"). A number followed by a scale word is multiplied out, so
//!   "400 million", "400 Millionen", "4亿" and "4億" all give `n:400000000` and "1,5
//!   Milliarden" / "1.5 billion" / "15亿" give `n:1500000000` (a separator followed by one or
//!   two digits is a decimal mark there). Chinese/Japanese numerals (二十, 两百, 三千五百) are
//!   read as numbers too.
//! - **names** (`p:` + phonetic key): words that start with a capital letter in a cased script
//!   (Latin, Cyrillic, Greek) but do not start a sentence; runs of katakana (Japanese writes
//!   foreign names by sound in katakana); in Chinese text, runs of two or more of the
//!   characters used to transliterate foreign names (罗, 斯, 特, 克, …, the Xinhua
//!   transliteration syllabary). A Turkish suffix after an apostrophe ("Jakarta'nın") and a
//!   French/Italian elided article before one ("l'Arizona") are cut off.
//! - **acronyms** (`a:` + lower-case letters): all-capital Latin words of two letters or more,
//!   in any text ("BBC" in a Chinese text counts).
//! - **weak names** (`w:` + phonetic key): every word of a script without letter case and with
//!   spaces (Arabic, Hebrew, Hangul, Devanagari, …), where nothing marks a name; words with
//!   the Arabic article (ال) are skipped. A weak name only counts when the other page has it
//!   as a name (`p:`), see [`crate::link::anchor_evidence`].
//!
//! The **phonetic key** ([`phonetic_key`]) of a name is its romanisation (`any_ascii`: pinyin
//! for Chinese, Hepburn for katakana, ISO-like for Cyrillic and Arabic) reduced to a skeleton
//! of six consonant classes that survive transliteration between scripts: labials
//! (p b f → `p`), dentals (t d th → `t`), velars (k g c q → `k`), sibilants and affricates
//! (s z j sh ch zh ts, pinyin j q x c → `s`), liquids (l r → `r`, which Japanese and Chinese do
//! not tell apart) and nasals (m n → `n`, "ng" before a consonant too); vowels, h, w, v and y
//! are dropped (w is written v, u or و in other scripts) and repeats merged.
//! So "Chambers", "Чемберс", "チャンバース", "钱伯斯" and "تشامبرز" give `snprs` or `snps`,
//! which [`crate::link::anchor_evidence`] accepts as one name (one edit apart). Keys shorter
//! than three classes are dropped.
//!
//! Scoring is in [`crate::link`]; this module only extracts.

use unicode_normalization::UnicodeNormalization;

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

/// How the letters of a script are read for names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// Scripts with letter case and spaces (Latin, Cyrillic, Greek, Armenian, …).
    Cased,
    /// Spaced scripts without letter case (Arabic, Hebrew, Hangul, Devanagari, …).
    Uncased,
    /// Japanese katakana (incl. the prolonged sound mark and half-width forms).
    Katakana,
    /// CJK ideographs.
    Han,
    /// Other scripts written without spaces (hiragana, Thai, Lao, Myanmar, Khmer).
    Unspaced,
}

fn script_of(c: char) -> Script {
    match c as u32 {
        0x30A1..=0x30FA | 0x30FC..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => Script::Katakana,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F => Script::Han,
        0x3040..=0x309F | 0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF => Script::Unspaced,
        _ if c.is_uppercase() || c.is_lowercase() => Script::Cased,
        _ => Script::Uncased,
    }
}

fn is_spaced(s: Script) -> bool {
    matches!(s, Script::Cased | Script::Uncased)
}

/// Han characters used to write foreign names by sound (the common syllables of the Xinhua
/// transliteration tables), minus those that mostly occur in ordinary words.
const HAN_NAME_CHARS: &str = "阿埃艾爱昂奥澳巴柏拜班邦鲍贝彼毕宾波伯博布查察柴达戴丹迪蒂丁杜厄恩尔\
法菲费芬丰冯佛夫弗福富盖甘戈哥格根贡古瓜哈汉豪赫亨洪胡怀霍基吉贾杰卡凯坎康考柯科克肯库夸奎昆拉莱\
赖兰朗劳勒雷蕾里利莉丽廉列林琳卢鲁伦罗洛马玛迈麦曼芒梅蒙米密敏摩莫姆穆纳娜奈尼妮涅宁纽努诺欧帕潘\
庞佩彭皮普奇齐乔琴丘萨塞赛桑瑟森沙莎尚舍圣施什史斯苏索塔泰坦汤唐特提汀图托瓦旺威韦维温沃乌伍西希\
锡谢辛休雅亚扬耶伊因尤约泽扎詹朱兹佐钱切契肖琼茨德顿羅萊賴蘭勞雷麗倫洛瑪邁諾歐龐齊喬薩賽舍聖蘇湯維溫謝亞約澤詹";

fn is_han_name_char(c: char) -> bool {
    HAN_NAME_CHARS.contains(c)
}

/// Consonant class of an ASCII letter (see the module docs); `None` for vowels, h, w, v and y.
fn consonant_class(c: char) -> Option<char> {
    Some(match c {
        'p' | 'b' | 'f' => 'p',
        't' | 'd' => 't',
        'k' | 'g' | 'c' | 'q' => 'k',
        's' | 'z' | 'j' => 's',
        'l' | 'r' => 'r',
        'm' | 'n' => 'n',
        'x' => 'x', // expanded by the caller
        _ => return None,
    })
}

fn push_class(out: &mut String, c: char) {
    if c == 'x' {
        push_class(out, 'k');
        push_class(out, 's');
        return;
    }
    if !out.ends_with(c) {
        out.push(c);
    }
}

/// Phonetic key of a romanised word (see the module docs): six consonant classes, vowels,
/// h, w and y dropped, an r before a consonant dropped (non-rhotic and Japanese/Chinese
/// renderings lose it: "Chambers" / "チャンバース"; Arabic writes no vowel before it), repeats
/// merged.
pub fn phonetic_key(ascii: &str) -> String {
    let w: Vec<char> = ascii
        .to_ascii_lowercase()
        .chars()
        .filter(char::is_ascii_lowercase)
        .collect();
    let vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'w' | 'v');
    let mut out = String::new();
    let mut i = 0;
    while i < w.len() {
        let rest = &w[i..];
        let starts = |p: &str| rest.iter().copied().take(p.len()).eq(p.chars());
        // Digraphs and trigraphs for one sound, longest first.
        let mut matched = false;
        for (pat, class) in [
            ("tsch", 's'),
            ("tch", 's'),
            ("tsh", 's'),
            ("dzh", 's'),
            ("sch", 's'),
            ("dj", 's'),
            ("sh", 's'),
            ("ch", 's'),
            ("zh", 's'),
            ("ts", 's'),
            ("kh", 'k'),
            ("ph", 'p'),
            ("th", 't'),
            ("gh", 'k'),
            ("ck", 'k'),
            ("qu", 'k'),
        ] {
            if starts(pat) {
                push_class(&mut out, class);
                i += pat.len();
                matched = true;
                break;
            }
        }
        if matched {
            continue;
        }
        let c = w[i];
        let next = w.get(i + 1).copied();
        if c == 'g' && i > 0 && w[i - 1] == 'n' && next.is_none_or(|n| !vowel(n) && n != 'h') {
            // "ng" before a consonant or at the end is one nasal ("Washington" / "ワシントン").
        } else if c == 'c' && matches!(next, Some('e' | 'i' | 'y')) {
            push_class(&mut out, 's');
        } else if c == 'r' && next.is_some_and(|n| !vowel(n) && n != 'r' && n != 'h') {
            // An r before a consonant: dropped.
        } else if let Some(k) = consonant_class(c) {
            push_class(&mut out, k);
        }
        i += 1;
    }
    out
}

/// Phonetic key of pinyin syllables as `any_ascii` writes them ("LuoLaiTe"): each
/// syllable gives its initial's class and a nasal for a final -n/-ng; "er" gives r.
fn pinyin_key(pinyin: &str) -> String {
    let mut out = String::new();
    let mut syllables: Vec<String> = Vec::new();
    for c in pinyin.chars() {
        if c.is_ascii_uppercase() || syllables.is_empty() {
            syllables.push(String::new());
        }
        if let Some(s) = syllables.last_mut()
            && c.is_ascii_alphabetic()
        {
            s.push(c.to_ascii_lowercase());
        }
    }
    for s in syllables {
        if s.is_empty() {
            continue;
        }
        if s == "er" {
            push_class(&mut out, 'r');
            continue;
        }
        let initial = if ["zh", "ch", "sh"].iter().any(|p| s.starts_with(p)) {
            Some('s')
        } else {
            match s.as_bytes()[0] {
                b'b' | b'p' | b'f' => Some('p'),
                b'd' | b't' => Some('t'),
                b'g' | b'k' => Some('k'),
                b'j' | b'q' | b'x' | b'z' | b'c' | b's' => Some('s'),
                b'l' | b'r' => Some('r'),
                b'm' | b'n' => Some('n'),
                _ => None,
            }
        };
        if let Some(k) = initial {
            push_class(&mut out, k);
        }
        if s.len() > 1 && (s.ends_with('n') || s.ends_with("ng")) {
            push_class(&mut out, 'n');
        }
    }
    out
}

/// Multiplier of a scale word after a number ("million", "Milliarden", "млн", "مليون",
/// "万", "亿"), if `word` (lower-case) is one.
fn scale_word(word: &str) -> Option<u128> {
    const THOUSAND: &[&str] = &["thousand", "tausend", "mille", "bin", "тыс", "ألف", "آلاف"];
    const MILLION: &[&str] = &[
        "million",
        "millionen",
        "mio",
        "millón",
        "millones",
        "milione",
        "milioni",
        "milhão",
        "milhões",
        "milyon",
        "млн",
        "مليون",
        "ملايين",
    ];
    const BILLION: &[&str] = &[
        "billion",
        "milliarde",
        "milliarden",
        "milliard",
        "milliards",
        "mrd",
        "miliardo",
        "miliardi",
        "milyar",
        "млрд",
        "مليار",
        "مليارات",
    ];
    const TRILLION: &[&str] = &["trillion", "billionen", "billón", "billones", "trilyon"];
    let w = word.trim_end_matches('.');
    if w.starts_with("миллиард") {
        return Some(1_000_000_000);
    }
    if w.starts_with("миллион") {
        return Some(1_000_000);
    }
    if w.starts_with("тысяч") {
        return Some(1_000);
    }
    if w.starts_with("триллион") {
        return Some(1_000_000_000_000);
    }
    if THOUSAND.contains(&w) {
        Some(1_000)
    } else if MILLION.contains(&w) || w == "millions" {
        Some(1_000_000)
    } else if BILLION.contains(&w) || w == "billions" {
        Some(1_000_000_000)
    } else if TRILLION.contains(&w) || w == "trillions" {
        Some(1_000_000_000_000)
    } else {
        None
    }
}

/// Value of a CJK numeral character: digits, and units (10, 100, …) flagged `true`.
fn cjk_numeral(c: char) -> Option<(u128, bool)> {
    Some(match c {
        '〇' | '零' => (0, false),
        '一' => (1, false),
        '二' | '两' | '兩' => (2, false),
        '三' => (3, false),
        '四' => (4, false),
        '五' => (5, false),
        '六' => (6, false),
        '七' => (7, false),
        '八' => (8, false),
        '九' => (9, false),
        '十' => (10, true),
        '百' => (100, true),
        '千' => (1_000, true),
        '万' | '萬' => (10_000, true),
        '亿' | '億' => (100_000_000, true),
        '兆' => (1_000_000_000_000, true),
        _ => return None,
    })
}

/// Reads a run of CJK numerals ("二十", "两百", "三千五百", "二〇一九", "4亿" after digits):
/// units below 万 multiply the digit before them and add up within a section; 万, 亿 and 兆
/// multiply the section. A run without units is read digit by digit (years).
fn cjk_value(run: &[(u128, bool)]) -> Option<u128> {
    if !run.iter().any(|(_, unit)| *unit) {
        return run
            .iter()
            .try_fold(0u128, |acc, (d, _)| acc.checked_mul(10)?.checked_add(*d));
    }
    let (mut total, mut section, mut digit) = (0u128, 0u128, None::<u128>);
    for &(v, unit) in run {
        if !unit {
            digit = Some(v);
        } else if v < 10_000 {
            section = section.checked_add(digit.unwrap_or(1).checked_mul(v)?)?;
            digit = None;
        } else {
            let s = section.checked_add(digit.unwrap_or(0))?;
            total = total.checked_add(s.max(1).checked_mul(v)?)?;
            section = 0;
            digit = None;
        }
    }
    total.checked_add(section)?.checked_add(digit.unwrap_or(0))
}

/// Shortest phonetic key of a name (consonant classes); short keys are common and so weigh
/// little by their inverse document frequency.
const MIN_KEY: usize = 2;
/// Shortest phonetic key of a weak name (a word of a script without case).
const MIN_WEAK_KEY: usize = 3;

/// Romanised key of a name-like word of script `script`, or `None` if too short.
fn name_key(word: &str, script: Script, min_len: usize) -> Option<String> {
    let ascii = any_ascii::any_ascii(word);
    let key = if script == Script::Han {
        pinyin_key(&ascii)
    } else {
        phonetic_key(&ascii)
    };
    (key.len() >= min_len).then_some(key)
}

/// Cuts a Turkish case suffix ("Jakarta'nın", "Corbyn's") or a French/Italian elided article
/// ("l'Arizona", "dell'Italia") off a word with an apostrophe.
fn strip_apostrophe(word: &str) -> &str {
    let Some(pos) = word.find(['\'', '’']) else {
        return word;
    };
    let (pre, post) = (
        &word[..pos],
        &word[pos + word[pos..].chars().next().map_or(1, char::len_utf8)..],
    );
    if post.is_empty() {
        return pre;
    }
    let post_upper = post.chars().next().is_some_and(char::is_uppercase);
    if post_upper && pre.chars().count() <= 4 && pre.chars().skip(1).all(char::is_lowercase) {
        return post;
    }
    if post.chars().all(char::is_lowercase) {
        return pre;
    }
    word
}

/// The anchors of `text`, in order of occurrence (see the module docs).
pub fn anchors(text: &str) -> Vec<String> {
    // Most text is NFKC already: the quick check (UAX #15 §9) answers that without building a
    // normalised copy.
    let normalised: std::borrow::Cow<str> = match unicode_normalization::is_nfkc_quick(text.chars())
    {
        unicode_normalization::IsNormalized::Yes => std::borrow::Cow::Borrowed(text),
        _ => std::borrow::Cow::Owned(text.nfkc().collect()),
    };
    let chars: Vec<char> = normalised.chars().collect();
    // Han runs are read as transliterated names only in Chinese text: Japanese writes foreign
    // names in katakana and uses kanji for its own words.
    let kana = chars
        .iter()
        .filter(|c| matches!(**c as u32, 0x3041..=0x309F))
        .count();
    let chinese = kana * 50 < chars.len();
    let mut out = Vec::new();
    let mut i = 0;
    // Whether the next word starts a sentence.
    let mut sentence_start = true;
    while i < chars.len() {
        let c = chars[i];
        if digit_value(c).is_some() {
            i = read_number(&chars, i, &mut out);
            sentence_start = false;
            continue;
        }
        if cjk_numeral(c).is_some() {
            let run: Vec<(u128, bool)> = chars[i..].iter().map_while(|c| cjk_numeral(*c)).collect();
            let leads = run.first().is_some_and(|(v, unit)| !*unit || *v == 10);
            if run.len() >= 2
                && leads
                && let Some(v) = cjk_value(&run)
                && v >= 10
            {
                out.push(format!("n:{v}"));
            }
            if run.len() >= 2 && leads {
                i += run.len();
                continue;
            }
        }
        if c.is_alphabetic() {
            let script = script_of(c);
            let mut j = i;
            while j < chars.len()
                && digit_value(chars[j]).is_none()
                && (chars[j].is_alphanumeric()
                    || (script == Script::Cased
                        && matches!(chars[j], '\'' | '’')
                        && chars.get(j + 1).is_some_and(|c| c.is_alphabetic())))
            {
                let s = script_of(chars[j]);
                if !(s == script || (is_spaced(s) && is_spaced(script))) {
                    break;
                }
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            match script {
                Script::Cased => cased_word(&word, sentence_start, &mut out),
                Script::Uncased => {
                    let w = word.trim_start_matches(['و', 'ف', 'ب', 'ل', 'ك']);
                    let arabic_article =
                        word.starts_with("ال") || w.starts_with("ال") || word.starts_with("لل");
                    if !arabic_article && let Some(k) = name_key(&word, script, MIN_WEAK_KEY) {
                        out.push(format!("w:{k}"));
                    }
                }
                Script::Katakana => {
                    if word.chars().filter(|c| *c != 'ー').count() >= 2
                        && let Some(k) = name_key(&word, script, MIN_KEY)
                    {
                        out.push(format!("p:{k}"));
                    }
                }
                Script::Han if chinese => {
                    let run: Vec<char> = word.chars().collect();
                    let mut k = 0;
                    while k < run.len() {
                        let n = run[k..]
                            .iter()
                            .take_while(|c| is_han_name_char(**c))
                            .count();
                        if n >= 2 {
                            let name: String = run[k..k + n].iter().collect();
                            if let Some(key) = name_key(&name, Script::Han, MIN_KEY) {
                                out.push(format!("p:{key}"));
                            }
                        }
                        k += n.max(1);
                    }
                }
                Script::Han | Script::Unspaced => {}
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

/// Anchor of a word of a cased script: an acronym, or a name unless it starts a sentence.
fn cased_word(word: &str, sentence_start: bool, out: &mut Vec<String>) {
    let word = strip_apostrophe(word);
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    let Some(first) = letters.first() else {
        return;
    };
    if letters.len() >= 2 && letters.iter().all(|c| c.is_ascii_uppercase()) {
        out.push(format!("a:{}", word.to_ascii_lowercase()));
    } else if first.is_uppercase()
        && letters.len() >= 3
        && !sentence_start
        && let Some(k) = name_key(word, Script::Cased, MIN_KEY)
    {
        out.push(format!("p:{k}"));
    }
}

/// Reads the number starting at `chars[start]` (see the module docs), pushes its anchor and
/// returns the index after it (and after its scale word, if any).
fn read_number(chars: &[char], start: usize, out: &mut Vec<String>) -> usize {
    let mut digits = String::new();
    // Position in `digits` after which the last separator stood.
    let mut last_sep: Option<usize> = None;
    let mut j = start;
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
            if !matches!(chars[j], ' ' | '\u{a0}' | '\u{202f}' | '\'' | '٬') {
                last_sep = Some(digits.len());
            }
            j += 1;
        } else {
            break;
        }
    }
    // A scale word: CJK units right after the digits, or a word after one space.
    let mut scale: Option<u128> = None;
    let mut end = j;
    let cjk: Vec<(u128, bool)> = chars[j..]
        .iter()
        .map_while(|c| cjk_numeral(*c))
        .take_while(|(_, unit)| *unit)
        .collect();
    if !cjk.is_empty() && cjk.iter().all(|(v, _)| *v >= 100) {
        scale = cjk.iter().try_fold(1u128, |a, (v, _)| a.checked_mul(*v));
        end = j + cjk.len();
    } else {
        if matches!(chars.get(j), Some(' ' | '\u{a0}' | '\u{202f}')) {
            let k = j + 1;
            let w_end = chars[k..]
                .iter()
                .position(|c| !(c.is_alphabetic() || *c == '.'))
                .map_or(chars.len(), |p| k + p);
            let word: String = chars[k..w_end].iter().collect::<String>().to_lowercase();
            if let Some(s) = scale_word(&word) {
                scale = Some(s);
                end = w_end;
            }
        }
    }
    if let Some(scale) = scale {
        let (int, frac) = match last_sep {
            Some(p) if (1..=2).contains(&(digits.len() - p)) => (&digits[..p], &digits[p..]),
            _ => (&digits[..], ""),
        };
        let parse = |s: &str| -> Option<u128> {
            if s.is_empty() {
                Some(0)
            } else {
                s.parse::<u128>().ok()
            }
        };
        if let (Some(a), Some(b)) = (parse(int), parse(frac)) {
            let den = 10u128.pow(frac.len() as u32);
            if let Some(v) = a
                .checked_mul(scale)
                .and_then(|x| x.checked_add(b.checked_mul(scale)? / den))
            {
                out.push(format!("n:{v}"));
                return end;
            }
        }
    }
    let trimmed = digits.trim_start_matches('0');
    if trimmed.len() >= 2 {
        out.push(format!("n:{trimmed}"));
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_checked_text_gives_the_anchors_of_its_nfkc_form() {
        for t in [
            "Siemens paid 400 million euros to Alstom on 3 May 2021.",
            "Siemens zahlte ４００ Millionen Euro an Alstom (ＡＢＢ).",
            "東京の会社は２０２１年に４億ドルを支払った。",
            "Cafe\u{301} Müller sold 1,5 Mio. to ﬁrms in Zürich.",
        ] {
            let nfkc: String = t.nfkc().collect();
            assert_eq!(anchors(t), anchors(&nfkc), "{t}");
        }
        assert!(anchors("Siemens zahlte ４００ Millionen").contains(&"n:400000000".to_string()));
    }

    fn kind(v: &[String], prefix: &str) -> Vec<String> {
        v.iter()
            .filter(|a| a.starts_with(prefix))
            .cloned()
            .collect()
    }

    #[test]
    fn numbers_agree_across_separator_conventions() {
        let a = anchors("Der Verein sammelte 1.250 € und 3,5 Tonnen; 2019 waren es 400.");
        let b = anchors("The club raised 1,250 euros and 3.5 tonnes; in 2019 it was 400.");
        assert_eq!(kind(&a, "n:"), vec!["n:1250", "n:35", "n:2019", "n:400"]);
        assert_eq!(kind(&a, "n:"), kind(&b, "n:"));
        assert_eq!(anchors("٢٠١٤ و 29 عامًا"), vec!["n:2014", "n:29"]);
        assert!(kind(&anchors("two weeks, 2 days"), "n:").is_empty());
    }

    #[test]
    fn scale_words_multiply_out_in_every_language() {
        let want = vec!["n:400000000".to_string()];
        for t in [
            "400 million people",
            "400 Millionen Menschen",
            "400 millions de personnes",
            "400 млн человек",
            "4亿人",
            "4億人",
            "400 مليون شخص",
        ] {
            assert_eq!(kind(&anchors(t), "n:"), want, "{t}");
        }
        let want = vec!["n:1500000000".to_string()];
        for t in ["1.5 billion", "1,5 Milliarden", "15亿", "1,5 миллиарда"] {
            assert_eq!(kind(&anchors(t), "n:"), want, "{t}");
        }
        // Without a scale word the digits stay as they are.
        assert_eq!(kind(&anchors("1,5 Tonnen"), "n:"), vec!["n:15"]);
    }

    #[test]
    fn cjk_numerals_are_numbers() {
        assert_eq!(anchors("二十名"), vec!["n:20"]);
        assert_eq!(anchors("两百人"), vec!["n:200"]);
        assert_eq!(anchors("三千五百"), vec!["n:3500"]);
        assert_eq!(anchors("二〇一九年"), vec!["n:2019"]);
        // A lone numeral, and words that merely contain numeral characters, are not numbers.
        assert!(anchors("一个").is_empty());
        assert!(anchors("千万").is_empty());
    }

    #[test]
    fn phonetic_keys_meet_across_scripts() {
        let en = anchors("the victim, Jessica Chambers, died in Nashville");
        let ru = anchors("жертва, Джессика Чемберс, погибла в Нашвилле");
        assert_eq!(en, ru, "{en:?} vs {ru:?}");
        assert!(en.contains(&"p:snps".to_string()), "{en:?}");
        // Katakana (Japanese) and transliteration characters (Chinese) are names.
        assert!(anchors("被害者ジェシカ チャンバースが").contains(&"p:snps".to_string()));
        assert!(anchors("受害者杰西卡·钱伯斯在").contains(&"p:snps".to_string()));
        // Sanford: English, katakana, Chinese and Arabic renderings give one key.
        for t in ["with Michael Sanford", "サンフォード", "桑福德", "سانفورد"] {
            let a = anchors(t);
            assert!(a.iter().any(|x| x.ends_with(":snpt")), "{t}: {a:?}");
        }
        // Arabic words are weak names: nothing marks a name there.
        assert_eq!(anchors("تيليس"), vec!["w:trs"]);
        assert!(anchors("الولايات").is_empty());
    }

    #[test]
    fn sentence_starts_apostrophes_and_acronyms() {
        assert!(anchors("The court met.").is_empty());
        assert_eq!(anchors("据BBC报道"), vec!["a:bbc"]);
        // Turkish case suffixes and French elided articles are cut off.
        assert_eq!(
            anchors("başkenti Jakarta'nın"),
            anchors("the capital Jakarta")
        );
        assert_eq!(anchors("le sud de l'Arizona"), anchors("south of Arizona"));
        assert_eq!(anchors("the capital Jakarta"), vec!["p:skt"]);
    }
}
