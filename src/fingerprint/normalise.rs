//! Text normalisation and tokenisation for fingerprints.
//!
//! Steps: Unicode NFKC → full Unicode case folding (`caseless`, Unicode `CaseFolding.txt`,
//! status C+F) → Turkish fix-ups (the dotted capital İ folds to `i` + U+0307, whose combining
//! dot is dropped; dotless ı is mapped to `i`, so "İstanbul", "ISTANBUL" and "ıstanbul" agree)
//! → word segmentation by Unicode word boundaries (UAX #29). Scripts written without spaces
//! (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) are split into overlapping character
//! bigrams, so Chinese and Japanese text yields features (the fault of case 22: an ASCII-only
//! word regex gives no features and every CJK text the same fingerprint).
//!
//! # Fast path (same output as the plain composition of the steps above)
//!
//! The straightforward implementation (kept as `reference` for the equivalence tests) runs
//! every character through the NFKC iterator, the case-folding iterator and the general UAX #29
//! state machine and allocates a `String` per token. [`text_tokens`] gives the same tokens:
//!
//! - **Per-character properties, cached.** For each character (cached in a lazily filled
//!   byte table below U+30000) it records: *stable* — canonical combining class 0 and
//!   `NFKC_Quick_Check = Yes` (UAX #15 §9): NFKC leaves it alone and never composes or
//!   reorders across it, so `NFKC(a + b) = NFKC(a) + NFKC(b)` when `b` starts with one;
//!   *folds to itself* under `caseless` full folding and the Turkish fix-up; and its UAX #29
//!   `Word_Break` class when it is ALetter, Other or MidNumLet, or not Extend/Format/ZWJ. The
//!   word-break classes are not read from a copy of the Unicode tables but **probed** with
//!   `unicode_segmentation` itself (e.g. ALetter ⇔ `"a"+c`, `c+"a"`, `c+":a"` and `"a:"+c`
//!   are one segment, `c+"'"` and `c+"\""` two, and `c` alone is a word), so the fast path
//!   follows the very implementation (and Unicode version) the reference uses.
//! - **Chunks.** [`Tokeniser::tokenise`] cuts the raw text only where both neighbours
//!   normalise to themselves (ASCII: lower case), the right one is stable, and UAX #29 has a
//!   word boundary whatever surrounds them: ASCII white space before a non-space (WB3a/WB3b,
//!   WB999; WB3d only joins spaces), or a `Word_Break = Other` character next to anything
//!   that is not Extend, Format or ZWJ (only WB3c and WB4 attach to Other). Normalisation,
//!   the Turkish fix-up state and segmentation then work chunk by chunk; the only state
//!   carried across chunks is the pending run of unspaced-script characters, exactly as in
//!   the reference (runs continue across spaces and punctuation).
//! - **Fast chunks** hold only ASCII and characters that normalise to themselves and are
//!   ALetter, Other or MidNumLet: normalisation is ASCII lower-casing, and words come from
//!   the rules of `unicode_segmentation`'s own ASCII word iterator (`scan_words`) with
//!   ALetter characters as letters, MidNumLet as `.` and Other as single characters (words
//!   when alphanumeric). The chunk is scanned in place (a byte-class table for ASCII, the
//!   cached flags for other characters) and each word is lower-cased while it is copied into
//!   the arena; a one-character word of an unspaced script goes straight to the bigram run.
//!   Unspaced-script characters are never treated as ALetter or MidNumLet, so a scanned word
//!   of several characters never needs splitting.
//! - **Katakana and MidNum.** A run of NFKC-stable `Word_Break = Katakana` characters is one
//!   word (WB13) whose characters all join the bigram run, unless an `_` touches it
//!   (ExtendNumLet, WB13a/b: general chunk); `Word_Break = MidNum` characters (the Arabic
//!   comma) join two digits like ASCII `,` (WB11/WB12). Both classes are probed like the
//!   others.
//! - **General chunks** (around any other character: combining marks, compatibility forms,
//!   ZWJ, …) are normalised by [`normalise_into`] — stable characters copied with
//!   table folding, each run of non-stable ones renormalised with `unicode_normalization`
//!   together with the stable starter before it — then segmented by `scan_words` when the
//!   result allows, else by `unicode_segmentation`'s general iterator.
//! - **No per-token allocation.** Tokens are appended to one byte arena, each followed by
//!   U+0020, so a shingle (tokens joined by U+0020) is a contiguous slice of the arena
//!   ([`Tokens::joined`]) hashed in place.
//!
//! The first sight of each distinct non-ASCII character costs its probes (tens of µs); every
//! later one costs a table load. Equivalence with `reference` is checked by property tests on
//! random mixed-script strings and on every bundled text
//! (`cargo test --release --lib fingerprint`).

use std::sync::atomic::{AtomicU16, Ordering};

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Characters below this code point have their properties ([`Flags`]) cached in
/// [`FLAGS`]; others are computed on every use.
const TABLE_LIMIT: u32 = 0x30000;

/// Cached per-character properties, each derived from the same libraries the reference
/// implementation calls (so they cannot disagree with it).
#[derive(Clone, Copy)]
struct Flags(u16);

impl Flags {
    /// The entry has been computed.
    const KNOWN: u16 = 1;
    /// Canonical combining class 0 and `NFKC_Quick_Check = Yes` (UAX #15): NFKC leaves the
    /// character alone and never composes or reorders across it.
    const STABLE: u16 = 2;
    /// Full case folding and the Turkish fix-up map the character to itself.
    const FOLD_ID: u16 = 4;
    /// UAX #29 `Word_Break = ALetter` and alphanumeric: segments exactly like ASCII `a`.
    const LETTER: u16 = 8;
    /// UAX #29 `Word_Break = Other` and alphanumeric: always a one-character word.
    const SINGLE: u16 = 16;
    /// `Word_Break` is not Extend, Format or ZWJ: the character does not attach to a
    /// preceding `Word_Break = Other` character (WB4).
    const NOT_EFZ: u16 = 32;
    /// UAX #29 `Word_Break = Other` and not alphanumeric: never part of a word.
    const PUNCT: u16 = 64;
    /// UAX #29 `Word_Break = MidNumLet` and not alphanumeric: segments exactly like ASCII `.`.
    const MIDNUMLET: u16 = 128;
    /// UAX #29 `Word_Break = MidNum` and not alphanumeric: segments exactly like ASCII `,`.
    const MIDNUM: u16 = 256;
    /// UAX #29 `Word_Break = Katakana`, alphanumeric and of an unspaced script: runs of them
    /// are words (WB13) whose characters all go into the bigram run.
    const KATAKANA: u16 = 512;
    /// NFKC-stable, folds to itself and one of [`Flags::SCANNED`]: the chunking passes over
    /// it ([`CutInfo::fast`] without the Katakana check).
    const FAST: u16 = 1024;
    /// The characters [`scan_words`] takes.
    const SCANNED: u16 = Self::LETTER | Self::SINGLE | Self::PUNCT | Self::MIDNUMLET | Self::MIDNUM;

    fn has(self, f: u16) -> bool {
        self.0 & f != 0
    }
}

/// Lazily filled cache of [`Flags`] below [`TABLE_LIMIT`] (0 = not computed yet). Racing
/// threads compute the same value, so relaxed atomics suffice.
static FLAGS: [AtomicU16; TABLE_LIMIT as usize] =
    [const { AtomicU16::new(0) }; TABLE_LIMIT as usize];

/// Number of UAX #29 segments of `s` (`unicode_segmentation`'s word bounds).
fn segments(s: &str) -> usize {
    s.split_word_bounds().count()
}

/// True when `c` segments exactly like ASCII `a`: it is a word on its own and joins letters
/// on both sides (WB5), with a MidLetter between letters (WB6/WB7), but not with a following
/// single or double quote (so it is not a Hebrew_Letter, WB7a–c). Among the UAX #29
/// `Word_Break` values only ALetter passes all these probes.
fn probe_letter(c: char) -> bool {
    let w = c.to_string();
    w.unicode_words().eq([w.as_str()])
        && segments(&format!("a{c}")) == 1
        && segments(&format!("{c}a")) == 1
        && segments(&format!("{c}:a")) == 1
        && segments(&format!("a:{c}")) == 1
        && segments(&format!("{c}'")) == 2
        && segments(&format!("{c}\"")) == 2
}

/// True when `c` breaks from letters, digits, `_`, Katakana, Hebrew letters and itself on
/// both sides, and does not join two of them either (so it is no MidLetter, MidNum, MidNumLet
/// or Double_Quote): `Word_Break = Other` (WB999), not any value with a joining rule.
fn probe_other(c: char) -> bool {
    segments(&format!("{c}{c}")) == 2
        && ["a", "1", "_", "\u{30a2}", "\u{5d0}"].iter().all(|x| {
            segments(&format!("{x}{c}")) == 2
                && segments(&format!("{c}{x}")) == 2
                && segments(&format!("{x}{c}{x}")) == 3
        })
}

/// True when `c`, put in place of every `%` of each pattern, splits it into the given number of
/// UAX #29 segments (the probes below are tables of such cases).
fn segments_as(c: char, cases: &[(&str, usize)]) -> bool {
    let c = c.to_string();
    cases
        .iter()
        .all(|(pattern, n)| segments(&pattern.replace('%', &c)) == *n)
}

/// True when `c` behaves like `.` (`Word_Break = MidNumLet`): not alphanumeric, joins two
/// letters (WB6/WB7) and two digits (WB11/WB12) but nothing else, and stands alone otherwise.
fn probe_midnumlet(c: char) -> bool {
    segments_as(
        c,
        &[
            ("a%a", 1),
            ("1%1", 1),
            ("\u{5d0}%\u{5d0}", 1),
            ("a%1", 3),
            ("1%a", 3),
            ("a%", 2),
            ("%a", 2),
            ("%%", 2),
            ("a%%a", 4),
            ("_%_", 3),
        ],
    )
}

/// True when `c` behaves like `,` (`Word_Break = MidNum`): not alphanumeric, joins two
/// digits (WB11/WB12) but not two letters, and stands alone otherwise.
fn probe_midnum(c: char) -> bool {
    segments_as(
        c,
        &[
            ("1%1", 1),
            ("a%a", 3),
            ("\u{5d0}%\u{5d0}", 3),
            ("a%1", 3),
            ("1%a", 3),
            ("1%", 2),
            ("%1", 2),
            ("%%", 2),
            ("1%%1", 4),
            ("_%_", 3),
        ],
    )
}

/// True when `c` is `Word_Break = Katakana`: it joins Katakana on both sides (WB13) and
/// itself, but not a letter or digit (so it is no ExtendNumLet, WB13a/b), and does not
/// attach to what precedes it on its own (no Extend, Format or ZWJ, WB4).
fn probe_katakana(c: char) -> bool {
    segments(&format!("\u{30a2}{c}")) == 1
        && segments(&format!("{c}\u{30a2}")) == 1
        && segments(&format!("{c}{c}")) == 1
        && ["a", "1", "\u{672c}", " "]
            .iter()
            .all(|x| segments(&format!("{x}{c}")) == 2 && segments(&format!("{c}{x}")) == 2)
}

fn compute_flags(c: char) -> Flags {
    let mut f = Flags::KNOWN;
    if unicode_normalization::char::canonical_combining_class(c) == 0
        && unicode_normalization::is_nfkc_quick(std::iter::once(c))
            == unicode_normalization::IsNormalized::Yes
    {
        f |= Flags::STABLE;
    }
    let mut folded = std::iter::once(c).default_case_fold();
    // Dotless ı folds to itself but the Turkish fix-up maps it to `i`.
    if c != 'ı' && folded.next() == Some(c) && folded.next().is_none() {
        f |= Flags::FOLD_ID;
    }
    if segments(&format!("\u{672c}{c}")) == 2 {
        f |= Flags::NOT_EFZ;
    }
    let w = c.to_string();
    let is_word = w.unicode_words().eq([w.as_str()]);
    let no_word = w.unicode_words().next().is_none();
    // `char::is_alphanumeric` only skips the letter probes for characters that cannot be
    // letters.
    // Unspaced-script characters are split into bigrams: the scanners only take them as
    // one-character words (`SINGLE`) or non-words (`PUNCT`), so words made of `LETTER` and
    // `MIDNUMLET` characters never hold one.
    let unspaced = is_unspaced_script(c);
    if is_word && c.is_alphanumeric() && !unspaced && probe_letter(c) {
        f |= Flags::LETTER;
    } else if (is_word || no_word) && probe_other(c) {
        f |= if is_word { Flags::SINGLE } else { Flags::PUNCT };
    } else if no_word && !unspaced && probe_midnumlet(c) {
        f |= Flags::MIDNUMLET;
    } else if no_word && !unspaced && probe_midnum(c) {
        f |= Flags::MIDNUM;
    } else if is_word && unspaced && c.is_alphanumeric() && probe_katakana(c) {
        f |= Flags::KATAKANA;
    }
    if f & (Flags::STABLE | Flags::FOLD_ID) == Flags::STABLE | Flags::FOLD_ID
        && f & Flags::SCANNED != 0
    {
        f |= Flags::FAST;
    }
    Flags(f)
}

/// The [`Flags`] of `c`.
#[inline]
fn flags(c: char) -> Flags {
    let cp = c as u32;
    if cp < TABLE_LIMIT {
        let v = FLAGS[cp as usize].load(Ordering::Relaxed);
        if v != 0 {
            return Flags(v);
        }
        let f = compute_flags(c);
        FLAGS[cp as usize].store(f.0, Ordering::Relaxed);
        f
    } else {
        compute_flags(c)
    }
}

/// Appends the case folding of `c` (already NFKC) to `out`, with the Turkish fix-ups;
/// `prev_i` is true when the last character appended was `i`.
#[inline]
fn push_folded(c: char, fl: Flags, out: &mut String, prev_i: &mut bool) {
    let cp = c as u32;
    if cp < 0x80 {
        let l = c.to_ascii_lowercase();
        out.push(l);
        *prev_i = l == 'i';
    } else if fl.has(Flags::FOLD_ID) {
        push_turkish(c, out, prev_i);
    } else {
        for d in std::iter::once(c).default_case_fold() {
            push_turkish(d, out, prev_i);
        }
    }
}

/// The Turkish fix-up on one case-folded character.
#[inline]
fn push_turkish(c: char, out: &mut String, prev_i: &mut bool) {
    match c {
        '\u{0307}' if *prev_i => {}
        'ı' => {
            out.push('i');
            *prev_i = true;
        }
        _ => {
            out.push(c);
            *prev_i = c == 'i';
        }
    }
}

/// Appends the normalisation of `text` (NFKC, full case folding, Turkish fix-ups; see the
/// module documentation) to `out`.
pub fn normalise_into(text: &str, out: &mut String) {
    let mut prev_i = false;
    // Byte offsets (in `text` and `out`) of the last stable character and the fix-up state
    // before it: a non-stable run is renormalised from there.
    let (mut st_in, mut st_out, mut st_prev_i) = (0usize, out.len(), false);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            st_in = i;
            st_out = out.len();
            st_prev_i = prev_i;
            let l = b.to_ascii_lowercase();
            out.push(l as char);
            prev_i = l == b'i';
            i += 1;
            continue;
        }
        let c = text[i..].chars().next().expect("char boundary");
        let fl = flags(c);
        if fl.has(Flags::STABLE) {
            st_in = i;
            st_out = out.len();
            st_prev_i = prev_i;
            push_folded(c, fl, out, &mut prev_i);
            i += c.len_utf8();
            continue;
        }
        // Non-stable run: up to the next stable character (or the end).
        let mut j = i + c.len_utf8();
        while j < bytes.len() {
            let d = text[j..].chars().next().expect("char boundary");
            if flags(d).has(Flags::STABLE) {
                break;
            }
            j += d.len_utf8();
        }
        out.truncate(st_out);
        prev_i = st_prev_i;
        for d in text[st_in..j].nfkc() {
            push_folded(d, flags(d), out, &mut prev_i);
        }
        i = j;
    }
}

/// Normalises `text`: NFKC, full case folding, Turkish dotted/dotless i folded to `i`.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalise_into(text, &mut out);
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

/// A token sequence stored in one byte arena: every token's UTF-8 bytes followed by one
/// U+0020, so tokens `i..j` joined by U+0020 are the contiguous slice
/// `arena[start(i) .. start(j) - 1]`.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    arena: Vec<u8>,
    starts: Vec<usize>,
}

impl Tokens {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// True when there is no token.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    fn start(&self, i: usize) -> usize {
        self.starts.get(i).copied().unwrap_or(self.arena.len())
    }

    /// Token `i` (`i < len()`).
    pub fn get(&self, i: usize) -> &str {
        std::str::from_utf8(&self.arena[self.starts[i]..self.start(i + 1) - 1])
            .expect("tokens are appended as whole UTF-8 strings")
    }

    /// UTF-8 bytes of tokens `i..i + n` joined by U+0020 (`n ≥ 1`, `i + n ≤ len()`).
    #[inline]
    pub fn joined(&self, i: usize, n: usize) -> &[u8] {
        &self.arena[self.starts[i]..self.start(i + n) - 1]
    }

    /// The tokens as owned strings.
    pub fn to_strings(&self) -> Vec<String> {
        (0..self.len()).map(|i| self.get(i).to_string()).collect()
    }

    #[inline]
    fn push_str(&mut self, s: &str) {
        self.starts.push(self.arena.len());
        self.arena.extend_from_slice(s.as_bytes());
        self.arena.push(b' ');
    }

    /// Appends the ASCII word `text[start..end]`, lower-cased. A word of at most 15 bytes
    /// with 16 bytes of `text` from `start` is copied as one fixed 16-byte block (lower-cased
    /// eight bytes at a time) and the bytes after the word are cut off again, which avoids a
    /// `memcpy` call and a second pass per word.
    #[inline]
    fn push_ascii_word(&mut self, text: &[u8], start: usize, end: usize) {
        if end - start < 16
            && let Some(block) = text.get(start..start + 16)
        {
            let at = self.arena.len();
            self.starts.push(at);
            let lo = u64::from_le_bytes(block[..8].try_into().expect("8 bytes"));
            let hi = u64::from_le_bytes(block[8..].try_into().expect("8 bytes"));
            let mut buf = [0u8; 16];
            buf[..8].copy_from_slice(&ascii_lower8(lo).to_le_bytes());
            buf[8..].copy_from_slice(&ascii_lower8(hi).to_le_bytes());
            self.arena.extend_from_slice(&buf);
            let len = end - start;
            self.arena[at + len] = b' ';
            self.arena.truncate(at + len + 1);
        } else {
            self.push_lower(&text[start..end]);
        }
    }

    /// Appends the UTF-8 bytes `s` with their ASCII letters lower-cased.
    #[inline]
    fn push_lower(&mut self, s: &[u8]) {
        let start = self.arena.len();
        self.starts.push(start);
        self.arena.extend_from_slice(s);
        self.arena[start..].make_ascii_lowercase();
        self.arena.push(b' ');
    }

    #[inline]
    fn push_chars(&mut self, a: char, b: Option<char>) {
        self.starts.push(self.arena.len());
        let mut buf = [0u8; 4];
        self.arena
            .extend_from_slice(a.encode_utf8(&mut buf).as_bytes());
        if let Some(b) = b {
            self.arena
                .extend_from_slice(b.encode_utf8(&mut buf).as_bytes());
        }
        self.arena.push(b' ');
    }
}

/// Scanner classes of characters (see [`scan_words`]).
const C_OTHER: u8 = 0;
const C_ALPHA: u8 = 1;
const C_DIGIT: u8 = 2;
const C_UNDER: u8 = 3;
const C_SINGLE: u8 = 4;
const C_MID: u8 = 5;
const C_MIDNUM: u8 = 7;

/// Scanner class of a byte `>= 0x80` (part of a non-ASCII character) in [`BYTE_CLASS`].
const C_HIGH: u8 = 6;

/// Scanner class of each byte: ASCII letters are ALetter, digits Numeric, `_` ExtendNumLet,
/// other ASCII [`C_OTHER`], and bytes of non-ASCII characters [`C_HIGH`].
const BYTE_CLASS: [u8; 256] = {
    let mut t = [C_HIGH; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphabetic() {
            C_ALPHA
        } else if c.is_ascii_digit() {
            C_DIGIT
        } else if c == b'_' {
            C_UNDER
        } else {
            C_OTHER
        };
        b += 1;
    }
    t
};

/// The first character of `s[i..]` (`i` a char boundary, `i < s.len()`).
#[inline]
fn char_at(s: &str, i: usize) -> char {
    s[i..].chars().next().expect("char boundary")
}

/// Scanner class of the character at byte `i` of a fast chunk: ASCII by [`BYTE_CLASS`],
/// [`Flags::LETTER`] characters [`C_ALPHA`], others [`C_OTHER`] (enough for the infix rules).
#[inline]
fn infix_neighbour_class(s: &str, i: usize) -> u8 {
    let cl = BYTE_CLASS[s.as_bytes()[i] as usize];
    if cl != C_HIGH {
        cl
    } else if flags(char_at(s, i)).has(Flags::LETTER) {
        C_ALPHA
    } else {
        C_OTHER
    }
}

/// Calls `emit` with each UAX #29 word of `s` (what `s.unicode_words()` yields), for text
/// whose characters are all ASCII, `Word_Break = ALetter` letters ([`Flags::LETTER`], treated
/// as ASCII letters), `Word_Break = MidNumLet` characters ([`Flags::MIDNUMLET`], treated as
/// `.`) or `Word_Break = Other` characters ([`Flags::SINGLE`]: one-character words;
/// [`Flags::PUNCT`]: never in a word).
///
/// The rules are those of `unicode_segmentation`'s ASCII word iterator, i.e. UAX #29
/// restricted to these `Word_Break` values: a word is a maximal run of letters, digits and
/// `_` (WB5, WB8–WB10, WB13a/b) that may contain `.`, `'` or `:` between two letters
/// (WB6/WB7) and `.`, `,`, `;` or `'` between two digits (WB11/WB12); every other character
/// stands alone (WB3–WB3d, WB999), and only segments with a letter or digit are words.
fn scan_words(s: &str, mut emit: impl FnMut(&str)) {
    let b = s.as_bytes();
    let n = b.len();
    let class_at = |i: usize| -> (u8, usize) {
        if b[i] < 0x80 {
            (BYTE_CLASS[b[i] as usize], 1)
        } else {
            let c = s[i..].chars().next().expect("char boundary");
            let f = flags(c);
            let cl = if f.has(Flags::LETTER) {
                C_ALPHA
            } else if f.has(Flags::SINGLE) {
                C_SINGLE
            } else if f.has(Flags::MIDNUMLET) {
                C_MID
            } else if f.has(Flags::MIDNUM) {
                C_MIDNUM
            } else {
                C_OTHER
            };
            (cl, c.len_utf8())
        }
    };
    let mut i = 0;
    while i < n {
        let (cl, w) = class_at(i);
        match cl {
            C_ALPHA | C_DIGIT | C_UNDER => {
                let start = i;
                let mut prev = cl;
                let mut alnum = cl != C_UNDER;
                i += w;
                while i < n {
                    let (c2, w2) = class_at(i);
                    if matches!(c2, C_ALPHA | C_DIGIT | C_UNDER) {
                        prev = c2;
                        alnum |= c2 != C_UNDER;
                        i += w2;
                        continue;
                    }
                    if c2 == C_MID && i + w2 < n {
                        let (next, _) = class_at(i + w2);
                        if (prev == C_DIGIT && next == C_DIGIT)
                            || (prev == C_ALPHA && next == C_ALPHA)
                        {
                            i += w2;
                            continue;
                        }
                    }
                    if c2 == C_MIDNUM && prev == C_DIGIT && i + w2 < n {
                        let (next, _) = class_at(i + w2);
                        if next == C_DIGIT {
                            i += w2;
                            continue;
                        }
                    }
                    if i + 1 < n && matches!(b[i], b'.' | b',' | b';' | b'\'' | b':') {
                        let (next, _) = class_at(i + 1);
                        let infix = match b[i] {
                            b'.' | b',' | b';' | b'\'' if prev == C_DIGIT && next == C_DIGIT => {
                                true
                            }
                            b'\'' | b'.' | b':' if prev == C_ALPHA && next == C_ALPHA => true,
                            _ => false,
                        };
                        if infix {
                            i += 1;
                            continue;
                        }
                    }
                    break;
                }
                if alnum {
                    emit(&s[start..i]);
                }
            }
            C_SINGLE => {
                emit(&s[i..i + w]);
                i += w;
            }
            _ => i += w,
        }
    }
}

/// Lower-cases the ASCII bytes of eight bytes at once (SWAR): a byte `c < 0x80` gets 0x20
/// added when `'A' <= c <= 'Z'` (`c + 0x3f` reaches 0x80 from `'A'` on, `c + 0x25` from
/// `'['` on). Bytes `>= 0x80` may come out changed (and carry into the bytes above them);
/// callers only keep the bytes up to the first such byte.
#[inline]
fn ascii_lower8(w: u64) -> u64 {
    const H: u64 = 0x8080_8080_8080_8080;
    let ge_a = w.wrapping_add(0x3f3f_3f3f_3f3f_3f3f);
    let gt_z = w.wrapping_add(0x2525_2525_2525_2525);
    w | ((ge_a & !gt_z & !w & H) >> 2)
}

/// SWAR constants: every byte 0x01, and every byte 0x80.
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit of each byte of the ASCII bytes `x` set where the byte equals `c`.
#[inline]
fn eq8(x: u64, c: u8) -> u64 {
    let t = x ^ (ONES * c as u64);
    // `t < 0x80` per byte, so `t + 0x7f` reaches the high bit exactly when `t != 0`.
    !(t + ONES * 0x7f) & HIGHS
}

/// High bit of each byte of the ASCII bytes `x` set where `lo <= byte <= hi` (`lo >= 1`).
#[inline]
fn range8(x: u64, lo: u8, hi: u8) -> u64 {
    (x + ONES * (0x80 - lo) as u64) & !(x + ONES * (0x7f - hi) as u64) & HIGHS
}

/// The high bits of the eight bytes of `m` (only high bits set) as an 8-bit mask, byte `k`
/// to bit `k` (multiplication moves bit `8k + 7` to bit `56 + k` without collisions).
#[inline]
fn pack8(m: u64) -> u64 {
    m.wrapping_mul(0x0002_0408_1020_4081) >> 56
}

/// Bit masks (bit `k` = byte `k`) of a 64-byte window of ASCII text, for the word rules of
/// [`scan_words`]: letters, digits, `_`, the MidLetter/MidNumLet bytes `'`, `.`, `:` and the
/// MidNum/MidNumLet bytes `.`, `,`, `;`, `'`.
struct AsciiMasks {
    alpha: u64,
    digit: u64,
    under: u64,
    mid_letter: u64,
    mid_num: u64,
}

impl AsciiMasks {
    /// Masks of `w` (64 ASCII bytes), eight bytes at a time (SWAR).
    #[inline]
    fn of(w: &[u8; 64]) -> AsciiMasks {
        let mut m = AsciiMasks {
            alpha: 0,
            digit: 0,
            under: 0,
            mid_letter: 0,
            mid_num: 0,
        };
        for (k, c) in w.chunks_exact(8).enumerate() {
            let x = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            let sh = 8 * k;
            m.alpha |= pack8(range8(x | (ONES * 0x20), b'a', b'z')) << sh;
            m.digit |= pack8(range8(x, b'0', b'9')) << sh;
            m.under |= pack8(eq8(x, b'_')) << sh;
            let (quote, dot) = (eq8(x, b'\''), eq8(x, b'.'));
            m.mid_letter |= pack8(quote | dot | eq8(x, b':')) << sh;
            m.mid_num |= pack8(quote | dot | eq8(x, b',') | eq8(x, b';')) << sh;
        }
        m
    }
}

/// True when the 65 bytes `w` are all ASCII (eight bytes at a time).
#[inline]
fn is_ascii65(w: &[u8]) -> bool {
    let high = w[..64].chunks_exact(8).fold(0u64, |acc, c| {
        acc | u64::from_le_bytes(c.try_into().expect("8 bytes"))
    });
    high & HIGHS == 0 && w[64] < 0x80
}

/// What the chunking needs to know about one raw character.
#[derive(Clone, Copy)]
struct CutInfo {
    /// ASCII, or NFKC-stable, folds to itself and is one of [`Flags::SCANNED`] or
    /// [`Flags::KATAKANA`]: normalises to itself (ASCII: lower case) and the fast-chunk
    /// scanner takes it.
    fast: bool,
    /// ASCII white space.
    ws: bool,
    /// `fast` and `Word_Break = Other` ([`Flags::SINGLE`] or [`Flags::PUNCT`]).
    single: bool,
    /// ASCII, or NFKC-stable, folds to itself and is not Extend, Format or ZWJ
    /// ([`Flags::NOT_EFZ`]).
    plain: bool,
}

impl CutInfo {
    #[inline]
    fn of(c: char) -> CutInfo {
        if c.is_ascii() {
            let ws = is_ascii_ws(c as u8);
            return CutInfo {
                fast: true,
                ws,
                single: false,
                plain: true,
            };
        }
        let f = flags(c);
        let same = f.has(Flags::STABLE) && f.has(Flags::FOLD_ID);
        let fast = same && f.has(Flags::SCANNED | Flags::KATAKANA);
        CutInfo {
            fast,
            ws: false,
            single: fast && f.has(Flags::SINGLE | Flags::PUNCT),
            plain: same && f.has(Flags::NOT_EFZ),
        }
    }
}

/// True when `text` can be cut before byte `q` (a char boundary, `0 < q < len`): the two
/// characters `x`, `y` around it normalise to themselves (ASCII: lower case), `y` is an
/// NFKC-stable starter (NFKC and case folding then work per piece, and `y` is not the U+0307
/// the Turkish fix-up drops), and UAX #29 has a word boundary between them whatever
/// surrounds them: white space followed by a letter, digit or other non-space character
/// (WB3a/WB3b after newlines, WB999 otherwise; WB3d only joins spaces), or an alphanumeric
/// `Word_Break = Other` character next to anything but Extend, Format or ZWJ (only WB3c and
/// WB4 join those).
fn is_cut(text: &str, q: usize) -> bool {
    if q == 0 || q >= text.len() {
        return false;
    }
    let x = text[..q].chars().next_back().expect("non-empty");
    let y = text[q..].chars().next().expect("non-empty");
    let (x, y) = (CutInfo::of(x), CutInfo::of(y));
    (x.ws && y.fast && !y.ws) || (x.single && y.plain) || (y.single && x.plain)
}

/// Builds the [`Tokens`] of a text: words, and character bigrams for runs of unspaced
/// scripts, with the same output as [`tokens`]`(&`[`normalise`]`(text))` (see the module
/// documentation for the fast path).
#[derive(Debug, Default)]
pub struct Tokeniser {
    tokens: Tokens,
    scratch: String,
    /// Last character of the pending run of unspaced-script characters, and the run's length.
    run_last: char,
    run_len: usize,
}

/// ASCII white space that ends a chunk when an ASCII non-space character follows.
#[inline]
fn is_ascii_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl Tokeniser {
    /// A tokeniser with room for a text of about `bytes` bytes.
    pub fn with_capacity(bytes: usize) -> Self {
        Tokeniser {
            tokens: Tokens {
                arena: Vec::with_capacity(bytes + bytes / 4 + 16),
                starts: Vec::with_capacity(bytes / 4 + 4),
            },
            scratch: String::new(),
            run_last: '\0',
            run_len: 0,
        }
    }

    /// Normalises and tokenises a raw `text`.
    pub fn tokenise(mut self, text: &str) -> Tokens {
        let b = text.as_bytes();
        let n = b.len();
        let mut chunk_start = 0;
        let mut i = 0;
        while i < n {
            // Skip ASCII eight bytes at a time.
            while i + 8 <= n {
                let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
                if w & 0x8080_8080_8080_8080 != 0 {
                    break;
                }
                i += 8;
            }
            if i >= n {
                break;
            }
            if b[i] < 0x80 {
                i += 1;
                continue;
            }
            let c = char_at(text, i);
            if flags(c).has(Flags::FAST) {
                i += c.len_utf8();
                continue;
            }
            if CutInfo::of(c).fast {
                if !flags(c).has(Flags::KATAKANA) {
                    i += c.len_utf8();
                    continue;
                }
                // A run of Katakana is fast unless an `_` (ExtendNumLet) touches it: WB13a/b
                // would join them into one word.
                let mut j = i + c.len_utf8();
                while j < n && b[j] >= 0x80 {
                    let d = char_at(text, j);
                    if !(flags(d).has(Flags::KATAKANA) && CutInfo::of(d).fast) {
                        break;
                    }
                    j += d.len_utf8();
                }
                let touches_underscore = (i > 0 && b[i - 1] == b'_') || (j < n && b[j] == b'_');
                if !touches_underscore {
                    i = j;
                    continue;
                }
            }
            // A character the fast chunks cannot take: it goes into a general chunk from the
            // last cut before it to the first cut after it.
            let mut cut = i;
            while cut > chunk_start && !is_cut(text, cut) {
                cut -= text[..cut].chars().next_back().map_or(1, char::len_utf8);
            }
            if cut > chunk_start {
                self.fast_chunk(text, chunk_start, cut);
            }
            let mut end = i + c.len_utf8();
            while end < n && !is_cut(text, end) {
                end += text[end..].chars().next().map_or(1, char::len_utf8);
            }
            self.general_chunk(&text[cut..end]);
            chunk_start = end;
            i = end;
        }
        if chunk_start < n {
            self.fast_chunk(text, chunk_start, n);
        }
        self.flush();
        self.tokens
    }

    /// Tokenises already-normalised text (no chunking, no normalisation).
    pub fn segment(mut self, normalised: &str) -> Tokens {
        for w in normalised.unicode_words() {
            self.word(w);
        }
        self.flush();
        self.tokens
    }

    /// A chunk `text[lo..hi]` of ASCII and [`CutInfo::fast`] characters: its normalisation is
    /// ASCII lower-casing, so it is scanned in place with the rules of [`scan_words`] (ASCII
    /// bytes by [`BYTE_CLASS`], other characters by their cached [`Flags`]) and each word is
    /// copied into the arena lower-cased. A one-character word (`Flags::SINGLE`) of an
    /// unspaced script extends the pending bigram run.
    fn fast_chunk(&mut self, text: &str, lo: usize, hi: usize) {
        let all = text.as_bytes();
        let b = &all[..hi];
        let n = hi;
        let mut i = lo;
        while i < n {
            if b[i] < 0x80
                && let Some(win) = b.get(i..i + 65)
                && is_ascii65(win)
            {
                let consumed = self.ascii_window(all, i);
                if consumed > 0 {
                    i += consumed;
                    continue;
                }
            }
            let mut cl = BYTE_CLASS[b[i] as usize];
            let mut w = 1;
            if cl == C_OTHER {
                i += 1;
                continue;
            }
            if cl == C_HIGH {
                let c = char_at(text, i);
                w = c.len_utf8();
                let f = flags(c);
                if f.has(Flags::KATAKANA) {
                    // A run of Katakana is one word (WB13); the chunking made sure no `_`
                    // touches it. All its characters are unspaced: they extend the run.
                    self.run_push(c);
                    i += w;
                    while i < n && b[i] >= 0x80 {
                        let d = char_at(text, i);
                        if !flags(d).has(Flags::KATAKANA) {
                            break;
                        }
                        self.run_push(d);
                        i += d.len_utf8();
                    }
                    continue;
                }
                if !f.has(Flags::LETTER) {
                    // `Word_Break = Other`, or a MidNumLet or MidNum with no letter or digit
                    // before it: a segment of its own.
                    if f.has(Flags::SINGLE) {
                        self.single(c, &text[i..i + w]);
                    }
                    i += w;
                    continue;
                }
                cl = C_ALPHA;
            }
            let start = i;
            let mut ascii = w == 1;
            let mut prev = cl;
            let mut alnum = cl != C_UNDER;
            i += w;
            while i < n {
                let c2 = BYTE_CLASS[b[i] as usize];
                if matches!(c2, C_ALPHA | C_DIGIT | C_UNDER) {
                    prev = c2;
                    alnum |= c2 != C_UNDER;
                    i += 1;
                    continue;
                }
                if c2 == C_HIGH {
                    let c = char_at(text, i);
                    let w2 = c.len_utf8();
                    let f = flags(c);
                    if f.has(Flags::LETTER) {
                        prev = C_ALPHA;
                        alnum = true;
                        ascii = false;
                        i += w2;
                        continue;
                    }
                    if f.has(Flags::MIDNUMLET | Flags::MIDNUM) && i + w2 < n {
                        let next = infix_neighbour_class(text, i + w2);
                        if (prev == C_DIGIT && next == C_DIGIT)
                            || (prev == C_ALPHA && next == C_ALPHA && f.has(Flags::MIDNUMLET))
                        {
                            ascii = false;
                            i += w2;
                            continue;
                        }
                    }
                    break;
                }
                if i + 1 < n && matches!(b[i], b'.' | b',' | b';' | b'\'' | b':') {
                    let next = infix_neighbour_class(text, i + 1);
                    let infix = match b[i] {
                        b'.' | b',' | b';' | b'\'' if prev == C_DIGIT && next == C_DIGIT => true,
                        b'\'' | b'.' | b':' if prev == C_ALPHA && next == C_ALPHA => true,
                        _ => false,
                    };
                    if infix {
                        i += 1;
                        continue;
                    }
                }
                break;
            }
            if alnum {
                self.flush();
                if ascii {
                    self.tokens.push_ascii_word(all, start, i);
                } else {
                    self.tokens.push_lower(&b[start..i]);
                }
            }
        }
    }

    /// Emits the words of the 64-byte ASCII window `b[i..i + 64]` (with `b[i + 64]` ASCII
    /// too), where `i` is not inside a word, from bit masks: a byte is in a word when it is a
    /// letter, digit or `_`, or an infix (`'`, `.`, `:` between two letters; `.`, `,`, `;`,
    /// `'` between two digits), the rules of [`scan_words`]; words are the runs of such bytes
    /// that hold a letter or digit. Returns how many bytes were consumed: up to the start of a
    /// word that reaches the end of the window (so 0 for a word of 64 bytes or more, left to
    /// the byte loop), else 64.
    #[inline]
    fn ascii_window(&mut self, all: &[u8], i: usize) -> usize {
        let win: &[u8; 64] = all[i..i + 64].try_into().expect("64 bytes");
        let m = AsciiMasks::of(win);
        let next = BYTE_CLASS[all[i + 64] as usize];
        // Bit k of `*_next` / `*_prev`: byte k + 1 / k − 1 is a letter (digit). Byte i − 1
        // needs no bit: byte i is never an infix, as `i` is not inside a word.
        let alpha_next = (m.alpha >> 1) | (u64::from(next == C_ALPHA) << 63);
        let digit_next = (m.digit >> 1) | (u64::from(next == C_DIGIT) << 63);
        let infix = (m.mid_letter & (m.alpha << 1) & alpha_next)
            | (m.mid_num & (m.digit << 1) & digit_next);
        let alnum = m.alpha | m.digit;
        let mut words = alnum | m.under | infix;
        while words != 0 {
            let s = words.trailing_zeros();
            let len = (!(words >> s)).trailing_zeros();
            let e = s + len;
            if e >= 64 {
                return s as usize;
            }
            let span = ((1u64 << len) - 1) << s;
            if alnum & span != 0 {
                self.flush();
                self.tokens
                    .push_ascii_word(all, i + s as usize, i + e as usize);
            }
            words &= !((1u64 << e) - 1);
        }
        64
    }

    /// A one-character UAX #29 word `c` (`s` its UTF-8) of normalised text: as [`Self::word`].
    #[inline]
    fn single(&mut self, c: char, s: &str) {
        if is_unspaced_script(c) {
            self.run_push(c);
        } else {
            self.flush();
            self.tokens.push_str(s);
        }
    }

    fn general_chunk(&mut self, chunk: &str) {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        normalise_into(chunk, &mut scratch);
        let simple = scratch
            .chars()
            .all(|c| c.is_ascii() || flags(c).has(Flags::SCANNED));
        if simple {
            scan_words(&scratch, |w| self.word(w));
        } else {
            for w in scratch.unicode_words() {
                self.word(w);
            }
        }
        self.scratch = scratch;
    }

    #[inline]
    fn flush(&mut self) {
        if self.run_len == 1 {
            self.tokens.push_chars(self.run_last, None);
        }
        self.run_len = 0;
    }

    #[inline]
    fn run_push(&mut self, c: char) {
        if self.run_len > 0 {
            self.tokens.push_chars(self.run_last, Some(c));
        }
        self.run_last = c;
        self.run_len += 1;
    }

    /// One UAX #29 word of normalised text.
    fn word(&mut self, w: &str) {
        if w.is_ascii() || !w.chars().any(is_unspaced_script) {
            self.flush();
            self.tokens.push_str(w);
            return;
        }
        // A UAX #29 "word" in these scripts is one ideograph or a kana/Thai run; split mixed
        // tokens so Latin/digit parts stay words.
        let mut latin: Option<usize> = None;
        for (k, c) in w.char_indices() {
            if is_unspaced_script(c) {
                if let Some(s) = latin.take() {
                    self.flush();
                    self.tokens.push_str(&w[s..k]);
                }
                self.run_push(c);
            } else if latin.is_none() {
                latin = Some(k);
            }
        }
        if let Some(s) = latin {
            self.flush();
            self.tokens.push_str(&w[s..]);
        }
    }
}

/// Splits already-normalised text into tokens: words, and character bigrams for runs of
/// unspaced scripts (a run of one character yields that character). Runs continue across
/// the spaces and punctuation between UAX #29 words.
pub fn tokens(normalised: &str) -> Vec<String> {
    Tokeniser::with_capacity(normalised.len())
        .segment(normalised)
        .to_strings()
}

/// Normalised tokens of a raw text, as [`tokens`]`(&`[`normalise`]`(text))` but faster.
pub fn text_tokens(text: &str) -> Tokens {
    Tokeniser::with_capacity(text.len()).tokenise(text)
}

/// The straightforward implementation the fast path must match (used by the equivalence
/// tests).
#[cfg(test)]
pub(crate) mod reference {
    use super::is_unspaced_script;
    use unicode_normalization::UnicodeNormalization;
    use unicode_segmentation::UnicodeSegmentation;

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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scanner takes Katakana (WB13) and MidNum characters itself; characters that only
    /// look alike keep the general path.
    #[test]
    fn katakana_and_midnum_are_recognised() {
        for c in ['\u{30ab}', '\u{30fc}', '\u{30f7}', '\u{31f0}'] {
            assert!(flags(c).has(Flags::KATAKANA), "{c:?}");
            assert!(CutInfo::of(c).fast, "{c:?}");
        }
        // Middle dot (Other), double hyphen (Katakana, not alphanumeric), Hiragana (Other),
        // Han (Other), ExtendNumLet, half-width (NFKC changes it).
        for c in ['\u{30fb}', '\u{30a0}', '\u{3072}', '\u{672c}', '\u{203f}'] {
            assert!(!flags(c).has(Flags::KATAKANA), "{c:?}");
        }
        assert!(!CutInfo::of('\u{ff76}').fast);
        assert!(flags('\u{60c}').has(Flags::MIDNUM));
        assert!(!flags(',').has(Flags::MIDNUMLET));
        assert!(flags('\u{2019}').has(Flags::MIDNUMLET) && !flags('\u{2019}').has(Flags::MIDNUM));
    }

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
