//! Credit lines: short lines that name where a story came from ("Source: X", "Kaynak: X",
//! "Quelle: X", "Fuente: X", "来源：X", "Источник: X", "المصدر: X", "Originally published by X",
//! "This story first appeared on X", "Read the original article", …).
//!
//! Credit lines are looked for in the whole page, not only in the extracted body, so a credit
//! that a boilerplate filter (or the body extractor) dropped is still reported.

use scraper::Html;
use url::Url;

use super::CreditLine;
use super::body::{Block, blocks_from_node};

/// Labels that start a credit line when followed by ':' (ASCII or full-width), lower-cased.
const LABEL_CUES: &[&str] = &[
    "source",
    "sources",
    "kaynak",
    "kaynakça",
    "quelle",
    "quellen",
    "fuente",
    "fonte",
    "bron",
    "źródło",
    "zdroj",
    "kilde",
    "källa",
    "lähde",
    "forrás",
    "sursa",
    "izvor",
    "πηγή",
    "来源",
    "來源",
    "出典",
    "출처",
    "источник",
    "джерело",
    "المصدر",
    "مصدر",
    "מקור",
    "स्रोत",
    "nguồn",
    "sumber",
    "original source",
    "article source",
    "via",
    "credit",
    "courtesy",
];

/// Phrases that make a short line a credit line wherever they occur in it, lower-cased.
const PHRASE_CUES: &[&str] = &[
    "originally published",
    "was first published",
    "first published by",
    "first published on",
    "first published in",
    "first appeared on",
    "first appeared in",
    "first appeared at",
    "originally appeared on",
    "originally appeared in",
    "republished with permission",
    "republished from",
    "reprinted with permission",
    "reprinted from",
    "read the original",
    "view the original",
    "see the original",
    "courtesy of",
    "publicado originalmente",
    "publicada originalmente",
    "ursprünglich erschienen",
    "zuerst erschienen",
    "erstmals erschienen",
    "initialement publié",
    "publié à l'origine",
    "pubblicato originariamente",
    "originariamente pubblicato",
    "первоначально опубликовано",
    "впервые опубликовано",
    "ilk olarak",
    "ilk kez",
    "yayımlanmıştır",
    "d'abord été publié",
    "d\u{2019}abord été publié",
    "publié pour la première fois",
    "paru initialement",
    "initialement paru",
    "publié initialement",
    "erschien zuerst",
    "erschien ursprünglich",
    "ursprünglich veröffentlicht",
    "erstmals veröffentlicht",
    "fue publicado originalmente",
    "publicado por primera vez",
    "apareció originalmente",
    "впервые опубликован",
    "первоначально опубликован",
    "首发于",
    "原载于",
    "转载自",
    "原文发表于",
    "に掲載されたもの",
    "に掲載された記事",
    "より転載",
    "نشر لأول مرة",
    "نُشر لأول مرة",
    "نشر في الأصل",
];

fn has_phrase_cue(text: &str) -> bool {
    PHRASES.is_match(&text.to_lowercase())
}

/// [`PHRASE_CUES`] as one automaton (leftmost match, then list order).
static PHRASES: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .build(PHRASE_CUES)
        .expect("static patterns")
});

/// Longest line (in chars) that is still considered a credit line.
const MAX_LINE_CHARS: usize = 300;

/// Does `text` (whitespace collapsed) read as a credit line? Returns the credited name, if one
/// can be isolated, as `Some(Some(name))`.
pub fn credit_cue(text: &str) -> Option<Option<String>> {
    // A char is at most 4 bytes: longer texts cannot be short enough (no char count needed).
    if text.len() > 4 * MAX_LINE_CHARS {
        return None;
    }
    let n = text.chars().count();
    if n == 0 || n > MAX_LINE_CHARS {
        return None;
    }
    let lower = text.to_lowercase();
    let trimmed = lower.trim_start_matches(|c: char| !c.is_alphanumeric());
    let offset = lower.len() - trimmed.len();
    for cue in LABEL_CUES {
        if let Some(rest) = trimmed.strip_prefix(cue) {
            let rest_t = rest.trim_start();
            let sep = if rest_t.starts_with(':') {
                Some(':'.len_utf8())
            } else if rest_t.starts_with('：') {
                Some('：'.len_utf8())
            } else if (*cue == "courtesy") && rest_t.starts_with("of ") {
                Some(3)
            } else {
                None
            };
            if let Some(sep) = sep {
                let start = offset + cue.len() + (rest.len() - rest_t.len()) + sep;
                let name = clean_name(text.get(start..).unwrap_or(""));
                if *cue == "via" || *cue == "credit" {
                    // Too generic on its own: require a name.
                    name.as_ref()?;
                }
                return Some(name);
            }
        }
    }
    if let Some(m) = PHRASES.find(&lower) {
        let cue = PHRASE_CUES[m.pattern().as_usize()];
        let p = m.start();
        {
            let after = &text.get(p + cue.len()..).unwrap_or("");
            let after = after.trim_start();
            let after = [
                "by ", "on ", "in ", "at ", "from ", "of ", "per ", "bei ", "von ", "auf ", "im ",
                "par ", "dans ", "sur ", "por ", "en ", "na ", "no ", "em ",
            ]
            .iter()
            .find_map(|w| after.strip_prefix(w))
            .unwrap_or(after);
            let mut name = clean_name(after);
            if cue.starts_with("に掲載") {
                // "この記事はXに掲載されたものです": the name comes before the cue.
                let before = text.get(..p).unwrap_or("");
                name = clean_name(before.rsplit('は').next().unwrap_or(before));
            }
            // "First published on Oct 15, 2018 06:07 pm" is a date stamp, not a credit.
            if super::dates::parse_loose(after).is_some() {
                return None;
            }
            if cue.contains("original") && cue.starts_with(['r', 'v', 's']) {
                // "Read the original article": the name comes from the link, if any.
                return Some(None);
            }
            return Some(name);
        }
    }
    None
}

fn clean_name(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.trim_start_matches([':', '：', ' ']);
    let end = s
        .find(['.', ',', ';', '(', '|', '\n', '。', '，'])
        .filter(|&i| {
            // Keep dots inside host names ("example.com").
            !s[i..].starts_with('.') || s[i + 1..].starts_with(' ') || i + 1 == s.len()
        })
        .unwrap_or(s.len());
    let mut name = s[..end].trim();
    for stop in [
        " and is ",
        " and was ",
        " and has ",
        " with permission",
        " under ",
    ] {
        if let Some(i) = name.find(stop) {
            name = name[..i].trim();
        }
    }
    let name = name.trim_matches(|c: char| !c.is_alphanumeric() && c != ')' && c != '.');
    let name = name.trim_end_matches('.');
    (!name.is_empty() && name.chars().count() <= 120).then(|| name.to_string())
}

/// Finds credit lines anywhere in the document: each text block of the page (paragraph,
/// list item, `<br><br>`-separated run, …) that reads as a credit line, with its first link.
pub fn find(doc: &Html, url: &Url) -> Vec<CreditLine> {
    let root = doc.root_element();
    // Cheap pre-check: no cue anywhere → nothing to do.
    let mut all = String::new();
    for t in root.text() {
        all.push_str(t);
    }
    let lower = all.to_lowercase();
    let any = LABEL_CUES.iter().any(|c| lower.contains(c))
        || PHRASE_CUES.iter().any(|c| lower.contains(c));
    if !any {
        return Vec::new();
    }
    from_blocks(&blocks_from_node(*root, url))
}

/// Credit lines among already segmented blocks (as [`blocks_from_node`] makes them: a block
/// whose `credit` flag is unset is not a credit line, so its text is not read again).
pub fn from_blocks(blocks: &[Block]) -> Vec<CreditLine> {
    let mut out: Vec<CreditLine> = Vec::new();
    for b in blocks.iter().filter(|b| b.credit) {
        let Some(name) = credit_cue(&b.text) else {
            continue;
        };
        let link = b.links.first();
        if name.is_none() && link.is_none() && !has_phrase_cue(&b.text) {
            // A bare label ("Sources:") names nobody.
            continue;
        }
        let name = match (link, name) {
            (Some(l), n) if !l.text.is_empty() && !is_generic_anchor(&l.text) => Some(
                n.filter(|n| n.contains(l.text.as_str()))
                    .unwrap_or(l.text.clone()),
            ),
            (_, n) => n,
        };
        if !out.iter().any(|c| c.text == b.text) {
            out.push(CreditLine {
                text: b.text.clone(),
                name,
                href: link.map(|l| l.href.clone()),
            });
        }
    }
    out
}

/// Anchor text that does not name anyone ("here", "Read the original article", "source").
pub fn is_generic_anchor(anchor: &str) -> bool {
    let a = anchor.to_lowercase();
    let a = a.trim();
    a.is_empty()
        || a.len() < 3
        || [
            "here",
            "this link",
            "link",
            "source",
            "original",
            "the original",
            "read more",
            "read the original",
            "read the original article",
            "original article",
            "view original",
            "click here",
            "more",
        ]
        .contains(&a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_in_many_languages() {
        for (line, name) in [
            ("Source: The New York Times", "The New York Times"),
            ("Source : Le Monde", "Le Monde"),
            ("Kaynak: Hürriyet", "Hürriyet"),
            ("Quelle: Der Spiegel", "Der Spiegel"),
            ("Fuente: El País", "El País"),
            ("来源：新华社", "新华社"),
            ("Источник: РИА Новости", "РИА Новости"),
            ("المصدر: الجزيرة", "الجزيرة"),
            ("Originally published by The Hill.", "The Hill"),
            ("This story first appeared on Vox.", "Vox"),
            (
                "Dieser Artikel erschien zuerst bei Northfield Tribune.",
                "Northfield Tribune",
            ),
            (
                "Cet article a d'abord été publié par Stonebridge Times.",
                "Stonebridge Times",
            ),
            ("本文首发于Highmoor News。", "Highmoor News"),
            (
                "この記事はClearwater Postに掲載されたものです。",
                "Clearwater Post",
            ),
            ("Впервые опубликовано: Oakridge Times.", "Oakridge Times"),
            (
                "Este artículo fue publicado originalmente por X Chronicle.",
                "X Chronicle",
            ),
            (
                "This story was first published by The Valley Ledger and is republished with permission.",
                "The Valley Ledger",
            ),
        ] {
            assert_eq!(credit_cue(line), Some(Some(name.to_string())), "{line}");
        }
    }

    #[test]
    fn non_credit_lines() {
        assert_eq!(credit_cue("First Published on Oct 15, 2018 06:07 pm"), None);
        assert_eq!(credit_cue("Read the original article"), Some(None));
        assert_eq!(credit_cue("The source of the leak was not named."), None);
        assert_eq!(credit_cue("Sources say the deal is close"), None);
        assert_eq!(credit_cue(&"x ".repeat(400)), None);
        assert_eq!(credit_cue("via"), None);
    }

    #[test]
    fn outermost_block_with_link() {
        let doc = Html::parse_document(
            r#"<div><p>Body text that is long enough.</p><p><strong>Source:</strong> <a href="https://orig.example/x">Orig News</a></p></div>
            <footer><span>Read the original</span></footer>"#,
        );
        let c = find(&doc, &Url::parse("https://copy.example/").unwrap());
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].text, "Source: Orig News");
        assert_eq!(c[0].name.as_deref(), Some("Orig News"));
        assert_eq!(c[0].href.as_deref(), Some("https://orig.example/x"));
        assert_eq!(c[1].text, "Read the original");
        assert_eq!(c[1].href, None);
    }
}
