//! Extraction: decoded HTML → [`Article`] (body text, metadata, outbound links, credit lines).
//!
//! Pure and synchronous (`fn(&str, &Url) -> Article`): no I/O, so it runs on a blocking thread
//! pool and is tested with golden folders.

pub mod body;
pub mod charset;
pub mod cli;
pub mod credit;
pub mod dates;
pub mod eval;
pub mod meta;
pub mod prestrip;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use url::Url;

/// An outbound link found in the article body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyLink {
    /// Absolute URL (resolved against the page URL).
    pub href: String,
    /// Anchor text, whitespace collapsed.
    pub text: String,
}

/// A credit line such as "Source: The Valley Ledger", "Kaynak: …", "Quelle: …",
/// "Originally published by …", with its link if the line carries one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditLine {
    /// The whole line, whitespace collapsed.
    pub text: String,
    /// The credited name after the cue ("The Valley Ledger"), if one could be isolated.
    pub name: Option<String>,
    /// Absolute URL of the first link inside the line, if any.
    pub href: Option<String>,
}

/// What extraction yields for one page.
///
/// Deserialisation fills missing fields with their defaults, so articles stored by an older
/// version (fewer fields) still load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Article {
    /// The page URL the article was extracted from.
    pub url: Option<String>,
    /// Headline.
    pub title: Option<String>,
    /// Body text: paragraphs separated by a blank line (`"\n\n"`), headings and list items kept
    /// in document order.
    pub text: String,
    /// Author names, in page order, deduplicated.
    pub authors: Vec<String>,
    /// Publication time (RFC 3339 when serialised), from markup only (never from prose or the
    /// fetch time).
    pub published: Option<DateTime<FixedOffset>>,
    /// Last modification time, from markup only.
    pub modified: Option<DateTime<FixedOffset>>,
    /// `<link rel=canonical>` resolved against the page URL; bogus values (no host, non-HTTP
    /// scheme) are rejected, and then (or when none is declared) this is the page URL itself
    /// when that is http(s).
    pub canonical_url: Option<String>,
    /// `og:url`, resolved and validated like `canonical_url`, kept apart from it.
    pub og_url: Option<String>,
    /// Publisher / site name (`og:site_name`, JSON-LD publisher).
    pub site_name: Option<String>,
    /// ISO 639-1 language code of the body.
    pub language: Option<String>,
    /// Outbound links inside the body.
    pub links: Vec<BodyLink>,
    /// Credit lines found anywhere in the page (body or not).
    pub credit_lines: Vec<CreditLine>,
    /// JSON-LD `@type` values seen on the page.
    pub jsonld_types: Vec<String>,
    /// `true` when `published` carried a time of day (a bare date is midnight UTC).
    pub published_has_time: bool,
    /// Where `published` came from: `json-ld`, `json-ld-other`, `meta`, `itemprop`, `time`, `url`.
    pub published_source: Option<String>,
    /// `true` when the page declared a `<link rel=canonical>` but none was a valid absolute
    /// http(s) URL; `canonical_url` then holds the page URL.
    pub canonical_declared_invalid: bool,
    /// `og:description` / `<meta name=description>`.
    pub description: Option<String>,
    /// Set when extraction hit an internal fault (a panic inside a parser was caught); the
    /// other fields are then empty. `None` on every normal run.
    pub extract_error: Option<String>,
}

/// Extracts the article from a decoded HTML document fetched from `url`.
///
/// Never fails and never panics: a page with no recognisable article yields an empty `text`
/// (metadata is still filled in where the markup has it).
pub fn extract(html: &str, url: &Url) -> Article {
    extract_with(html, url, &ExtractOptions::default())
}

/// Extraction settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtractOptions {
    /// Which extractors select the body (see [`body::BodyEngine`]).
    pub body_engine: body::BodyEngine,
}

/// Pages whose markup nests deeper than this (estimated by [`nesting_depth`]) are not
/// extracted: tree walks over such documents overflow the stack or take quadratic time, and no
/// real article nests that deep.
pub const MAX_NESTING_DEPTH: usize = 5_000;

/// Pages with more elements than this after the pre-pass ([`prestrip::Reduced::elements`]) are
/// not extracted: the tree costs ≈ 500 bytes per node, so a 10 MiB page of bare `<p>` tags
/// would take ≈ 1.6 GB per extraction. A news page has ≈ 700–1,500 (at most 1,425 on the 123
/// bundled pages); this limit (≈ 50 MB of tree) is 70 times that.
pub const MAX_ELEMENTS: usize = 100_000;

/// Estimates the maximal element nesting depth of an HTML document with a linear byte scan
/// (see [`markup_shape`]).
pub fn nesting_depth(html: &str) -> usize {
    markup_shape(html).max_depth
}

/// Cheap measures of a document's markup from one linear byte scan ([`markup_shape`]): what
/// the tree walks and parsers downstream will cost, known before any parse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MarkupShape {
    /// Estimated maximal element nesting depth (levels).
    pub max_depth: usize,
    /// Start tags of elements that nest (not void, not implicitly closed).
    pub elements: usize,
    /// All start tags (any element, `<!doctype>` included): the number of elements a parser
    /// builds.
    pub tags: usize,
    /// Sum over those start tags of their estimated depth (levels): the work of every
    /// algorithm that walks an element's ancestors once per element (Readability's
    /// ancestor scoring, the HTML tree builder's scope checks), i.e. elements × mean depth.
    pub depth_work: usize,
    /// Bytes the HTML tokenizer reports a parse error for, one each: NUL bytes and `<` not
    /// followed by a tag name, `/` or `!` (HTML §13.2.5.1/6 "unexpected-null-character",
    /// "invalid-first-character-of-tag-name"). Parsers that record every parse error keep
    /// tens of bytes per such byte.
    pub stray_bytes: usize,
}

/// Whether a tag name (ASCII, any case) is a void or implicitly closed element.
pub(crate) fn flat_element(name: &[u8]) -> bool {
    if name.len() > 9 {
        return false;
    }
    let mut buf = [0u8; 9];
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    matches!(
        &buf[..name.len()],
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"p"
            | b"li"
            | b"td"
            | b"tr"
            | b"th"
            | b"option"
            | b"dt"
            | b"dd"
            | b"!doctype"
    )
}

/// Whether a tag name is `script` or `style` (raw text: their start tags do not nest here, so
/// their end tags do not pop).
pub(crate) fn is_raw_text(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"script") || name.eq_ignore_ascii_case(b"style")
}

/// What [`TagScan`] finds at a `<`.
enum Scanned {
    /// A `<` that starts no tag, comment, `/` or `!` (a parse error for the tokenizer).
    Stray,
    /// A start or end tag.
    Tag {
        /// Byte offset of its `<`.
        lt: usize,
        /// Byte offset of its `>` (or the end of the input).
        tag_end: usize,
        /// An end tag.
        close: bool,
        /// Whether the element nests (not void, not implicitly closed, not `script`/`style`).
        nests: bool,
        /// Written `<…/>`.
        self_closing: bool,
    },
}

/// The tags of an HTML byte string, in order, for the linear estimates of
/// [`markup_shape`] and [`flatten_deep_markup`]: comments and the content of
/// `<script>`/`<style>` are skipped; `tag_end` finds the `>` closing a tag from the end of its
/// name.
struct TagScan<'a> {
    b: &'a [u8],
    i: usize,
    tag_end: fn(&[u8], usize) -> Option<usize>,
}

impl<'a> Iterator for TagScan<'a> {
    type Item = Scanned;

    fn next(&mut self) -> Option<Scanned> {
        let b = self.b;
        loop {
            let lt = self.i + memchr::memchr(b'<', &b[self.i..])?;
            self.i = lt + 1;
            if b[self.i..].starts_with(b"!--") {
                self.i =
                    memchr::memmem::find(&b[self.i..], b"-->").map_or(b.len(), |e| self.i + e + 3);
                continue;
            }
            let close = b.get(self.i) == Some(&b'/');
            let start = if close { self.i + 1 } else { self.i };
            let end = b[start..]
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'!' || *c == b'-'))
                .map_or(b.len(), |p| start + p);
            if end == start {
                return Some(Scanned::Stray);
            }
            let name = &b[start..end];
            let tag_end = (self.tag_end)(b, end).unwrap_or(b.len());
            let self_closing = tag_end > 0 && b.get(tag_end - 1) == Some(&b'/');
            self.i = (tag_end + 1).min(b.len());
            if !close && is_raw_text(name) {
                let closing: &[u8] = if name.len() == 6 {
                    b"</script"
                } else {
                    b"</style"
                };
                let from = tag_end.min(b.len());
                self.i = prestrip::find_ci(&b[from..], closing).map_or(b.len(), |e| from + e);
            }
            return Some(Scanned::Tag {
                lt,
                tag_end,
                close,
                nests: !flat_element(name) && !is_raw_text(name),
                self_closing,
            });
        }
    }
}

/// Measures `html`'s markup ([`MarkupShape`]) with a linear byte scan: start tags push, end
/// tags pop; void elements, self-closing tags, comments, doctypes and the content of
/// `<script>`/`<style>` are skipped, and elements the parser closes implicitly (`p`, `li`,
/// `td`, `tr`, `th`, `option`, `dt`, `dd`) neither nest nor (by their end tags) pop.
pub fn markup_shape(html: &str) -> MarkupShape {
    let b = html.as_bytes();
    let mut shape = MarkupShape {
        stray_bytes: memchr::memchr_iter(0, b).count(),
        ..Default::default()
    };
    let next_gt = |b: &[u8], from: usize| memchr::memchr(b'>', &b[from..]).map(|p| from + p);
    let mut depth = 0usize;
    for t in (TagScan {
        b,
        i: 0,
        tag_end: next_gt,
    }) {
        let Scanned::Tag {
            close,
            nests,
            self_closing,
            ..
        } = t
        else {
            shape.stray_bytes += 1;
            continue;
        };
        if close {
            // End tags of elements that never nested do not pop (`<div></p>` repeated nests).
            if nests {
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        shape.tags += 1;
        if nests && !self_closing {
            depth += 1;
            shape.max_depth = shape.max_depth.max(depth);
            shape.elements += 1;
            shape.depth_work = shape.depth_work.saturating_add(depth);
        }
    }
    shape
}

/// Estimated depth (levels, counted as in [`markup_shape`]) beyond which
/// [`flatten_deep_markup`] drops nesting tags before our parse. Below [`body`]'s walk depth
/// (256 tree levels) the walk gathers a subtree's text into one block anyway.
pub const FLATTEN_DEPTH: usize = 256;

/// `html` with the start and end tags of nesting elements deeper than `limit` (estimated as
/// in [`markup_shape`]) replaced by a space; their text, void and implicitly closed elements
/// (`<p>`, `<br>`, …) stay. The HTML tree builder checks scopes by walking its stack of open
/// elements for each `<p>`/`<div>` start tag, so 100,000 elements 5,000 levels deep cost it
/// ≈ 5·10⁸ steps (1.8 s); flattened to `limit` levels, ≈ 2.5·10⁷. Linear; the cuts are next
/// to ASCII `<`/`>`, so the output is valid UTF-8.
pub fn flatten_deep_markup(html: &str, limit: usize) -> String {
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let (mut depth, mut copied) = (0usize, 0usize);
    let scan = TagScan {
        b,
        i: 0,
        tag_end: prestrip::tag_end,
    };
    for t in scan {
        let Scanned::Tag {
            lt,
            tag_end,
            close,
            nests,
            self_closing,
        } = t
        else {
            continue;
        };
        let drop = if !nests {
            false
        } else if close {
            let deep = depth > limit;
            depth = depth.saturating_sub(1);
            deep
        } else if !self_closing {
            depth += 1;
            depth > limit
        } else {
            false
        };
        if drop {
            out.push_str(&html[copied..lt]);
            out.push(' ');
            copied = (tag_end + 1).min(b.len());
        }
    }
    out.push_str(&html[copied..]);
    out
}

/// [`extract`] with explicit settings.
pub fn extract_with(html: &str, url: &Url, opts: &ExtractOptions) -> Article {
    // Script/style/SVG content, comments and the attributes no step reads are dropped before
    // the one parse, in one pass (see [`prestrip::strip_for_parse`]); nothing downstream reads
    // them. The fallback extractors get the page with every attribute (see `select_body`).
    let prestrip::Reduced {
        html: mut for_parse,
        depth,
        elements,
    } = prestrip::strip_for_parse_measured(html);
    let refused = |why: String| Article {
        url: Some(url.to_string()),
        extract_error: Some(why),
        ..Default::default()
    };
    if depth > MAX_NESTING_DEPTH {
        return refused(format!(
            "markup nested about {depth} levels deep (limit {MAX_NESTING_DEPTH}): not extracted"
        ));
    }
    if elements > MAX_ELEMENTS {
        return refused(format!(
            "markup has {elements} elements (limit {MAX_ELEMENTS}): not extracted"
        ));
    }
    if depth > FLATTEN_DEPTH {
        // Deep markup is flattened for our parse (its text stays), so the tree builder's
        // scope checks stay bounded; no real page nests this deep.
        for_parse = flatten_deep_markup(&for_parse, FLATTEN_DEPTH);
    }
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        extract_inner(html, &for_parse, url, opts)
    }));
    match run {
        Ok(a) => a,
        Err(e) => Article {
            url: Some(url.to_string()),
            extract_error: Some(
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "internal panic".into()),
            ),
            ..Default::default()
        },
    }
}

/// `html` is the page as given, `for_parse` its [`prestrip::strip_for_parse`] reduction.
fn extract_inner(html: &str, for_parse: &str, url: &Url, opts: &ExtractOptions) -> Article {
    // Our parse sees only the attributes we read; the fallback extractors in `select_body`
    // get `html` with all attributes (they read `style`, `hidden`, `aria-*`, …).
    let doc = scraper::Html::parse_document(for_parse);
    let m = meta::read(&doc, url);
    let sel = body::select_body(html, &doc, url, opts.body_engine);
    // Credit lines are looked for in every block of the page, not only in the body.
    let credit_lines = credit::from_blocks(&sel.page);
    let kept: Vec<body::Block> = sel.body.iter().map(|&i| sel.page[i].clone()).collect();
    let text = body::join_text(&kept);
    let mut links: Vec<BodyLink> = Vec::new();
    for b in &kept {
        for l in &b.links {
            if !links.contains(l) {
                links.push(l.clone());
            }
        }
    }
    for l in body::closing_links(&sel) {
        if !links.contains(&l) {
            links.push(l);
        }
    }
    let language = detect_language(&text, m.declared_language.as_deref());
    Article {
        url: Some(url.to_string()),
        title: m.title,
        text,
        authors: m.authors,
        published: m.published.map(|d| d.at),
        modified: m.modified.map(|d| d.at),
        canonical_url: m.canonical_url,
        og_url: m.og_url,
        site_name: m.site_name,
        language,
        links,
        credit_lines,
        jsonld_types: m.jsonld_types,
        published_has_time: m.published.is_some_and(|d| d.has_time),
        published_source: m.published_source.map(str::to_string),
        canonical_declared_invalid: m.canonical_declared_invalid,
        description: m.description,
        extract_error: None,
    }
}

/// Characters of the body tried first by [`detect_language`].
const LANG_PREFIX_CHARS: usize = 500;

/// Language of the body: whatlang's guess when it is reliable on enough text (copies often sit
/// in a template whose `lang` is another language), else the declared language, else
/// whatlang's best guess. ISO 639-1.
fn detect_language(text: &str, declared: Option<&str>) -> Option<String> {
    // The first 4,000 characters decide (no copy of them needed: a slice).
    let sample = match text.char_indices().nth(4000) {
        Some((end, _)) => &text[..end],
        None => text,
    };
    // A short prefix settles most pages (whatlang's cost grows with the text): its guess is
    // taken only when whatlang calls it reliable with confidence ≥ 0.99; otherwise the whole
    // sample decides as before. Same language on all 123 bundled pages, ≈ 90 M fewer
    // instructions over them (callgrind).
    if let Some((end, _)) = sample.char_indices().nth(LANG_PREFIX_CHARS)
        && let Some(i) = whatlang::detect(&sample[..end])
        && i.is_reliable()
        && i.confidence() >= 0.99
        && let Some(c) = iso639_1_of(i.lang())
    {
        return Some(c.to_string());
    }
    let info = whatlang::detect(sample);
    if let Some(i) = &info
        && i.is_reliable()
        && sample.chars().count() >= 80
        && let Some(c) = iso639_1_of(i.lang())
    {
        return Some(c.to_string());
    }
    declared
        .map(str::to_string)
        .or_else(|| info.and_then(|i| iso639_1_of(i.lang()).map(str::to_string)))
}

/// The ISO 639-1 (two-letter) code of a language `whatlang` detects; `None` for the few it
/// knows that have no two-letter code. The one table of such codes in copytrail.
pub fn iso639_1_of(l: whatlang::Lang) -> Option<&'static str> {
    use whatlang::Lang::*;
    Some(match l {
        Eng => "en",
        Rus => "ru",
        Cmn => "zh",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Ben => "bn",
        Fra => "fr",
        Deu => "de",
        Ukr => "uk",
        Kat => "ka",
        Ara => "ar",
        Hin => "hi",
        Jpn => "ja",
        Heb => "he",
        Yid => "yi",
        Pol => "pl",
        Amh => "am",
        Jav => "jv",
        Kor => "ko",
        Nob => "nb",
        Dan => "da",
        Swe => "sv",
        Fin => "fi",
        Tur => "tr",
        Nld => "nl",
        Hun => "hu",
        Ces => "cs",
        Ell => "el",
        Bul => "bg",
        Bel => "be",
        Mar => "mr",
        Kan => "kn",
        Ron => "ro",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Tam => "ta",
        Vie => "vi",
        Urd => "ur",
        Tha => "th",
        Guj => "gu",
        Uzb => "uz",
        Pan => "pa",
        Aze => "az",
        Ind => "id",
        Tel => "te",
        Pes => "fa",
        Mal => "ml",
        Ori => "or",
        Mya => "my",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Tuk => "tk",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Slk => "sk",
        Cat => "ca",
        Tgl => "tl",
        Hye => "hy",
        Epo => "eo",
        _ => return None,
    })
}

/// [`iso639_1_of`], falling back to whatlang's ISO 639-3 code (e.g. `"tuk"` stays as is).
pub fn language_code(l: whatlang::Lang) -> &'static str {
    iso639_1_of(l).unwrap_or(l.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_detected_language_gets_a_code() {
        for &l in whatlang::Lang::all() {
            let c = language_code(l);
            assert!(c.len() == 2 || c == l.code(), "{l:?} -> {c}");
        }
        // Languages that have a two-letter code get it (this once failed for Arabic: "ara").
        for (l, want) in [
            (whatlang::Lang::Ara, "ar"),
            (whatlang::Lang::Cmn, "zh"),
            (whatlang::Lang::Jpn, "ja"),
            (whatlang::Lang::Pes, "fa"),
            (whatlang::Lang::Tur, "tr"),
        ] {
            assert_eq!(language_code(l), want);
        }
    }

    #[test]
    fn nesting_depth_estimates() {
        assert_eq!(
            nesting_depth("<html><body><div><p>a<p>b</div></body></html>"),
            3
        );
        assert_eq!(nesting_depth("<div><br><img src=x><span/></div>"), 1);
        let deep = format!("<html><body>{}x", "<b><i>".repeat(3000));
        assert!(nesting_depth(&deep) > MAX_NESTING_DEPTH);
        let a = extract(&deep, &Url::parse("https://x.example/").unwrap());
        assert!(a.extract_error.unwrap().contains("nested"));
        assert_eq!(nesting_depth("<script>if (a<b) {}</script><div>"), 1);
    }

    #[test]
    fn markup_shape_measures_elements_depth_and_stray_bytes() {
        let m = markup_shape("<html><body><div><p>a<p>b</div></body></html>");
        // html 1 + body 2 + div 3; `<p>` does not nest.
        assert_eq!(
            (m.max_depth, m.elements, m.depth_work, m.tags),
            (3, 3, 6, 5)
        );
        assert_eq!(m.stray_bytes, 0);
        // End tags of elements that never nested do not pop: `<div></p>` nests.
        assert_eq!(nesting_depth(&"<div></p>".repeat(40)), 40);
        // NUL bytes and `<` opening no tag are each a parse error.
        let m = markup_shape("a\0b < c <<div>x\0</div>");
        assert_eq!((m.stray_bytes, m.elements), (4, 1));
        // Elements × depth: n nested divs cost n(n+1)/2.
        assert_eq!(markup_shape(&"<div>".repeat(100)).depth_work, 5050);
    }

    #[test]
    fn deep_markup_is_flattened_with_its_text() {
        let html = format!(
            "<html><body>{}<p>deep text</p><span title='a>b'>x</span>{}<p>after</p>",
            "<div class=a>".repeat(1000),
            "</div>".repeat(1000)
        );
        let flat = flatten_deep_markup(&html, 50);
        assert_eq!(nesting_depth(&flat), 50); // html, body, 48 divs; deeper tags dropped
        assert!(flat.contains("<p>deep text</p>") && flat.contains("<p>after</p>"));
        // A quoted `>` does not end a dropped tag early.
        assert!(!flat.contains("b'>"), "{}", &flat[flat.len() - 200..]);
        // Shallow markup is returned unchanged.
        let shallow = "<div><b>x</b><!-- <div> --><script>'<div>'</script></div>";
        assert_eq!(flatten_deep_markup(shallow, 5), shallow);
        assert_eq!(
            flatten_deep_markup(shallow, 1),
            "<div> x <!-- <div> --><script>'<div>'</script></div>"
        );
        // Extraction keeps the text of a deep page.
        let page = format!(
            "<html><body>{}{}",
            "<div>".repeat(2000),
            "<p>The council met on Tuesday, and the budget passed after a long debate.</p>"
                .repeat(30)
        );
        let a = extract(&page, &Url::parse("https://x.example/").unwrap());
        assert!(a.extract_error.is_none());
        assert_eq!(a.text.matches("budget passed").count(), 30, "{}", a.text);
    }

    #[test]
    fn old_stored_articles_still_load() {
        let a: Article = serde_json::from_str(r#"{"url":"https://x.example/","text":"t"}"#)
            .expect("missing fields default");
        assert_eq!(a.text, "t");
        assert!(!a.published_has_time && a.links.is_empty() && a.extract_error.is_none());
    }
}
