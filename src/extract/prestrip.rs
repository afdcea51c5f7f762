//! Pre-parse reduction of an HTML document: drops what no extraction step reads before the
//! HTML5 parser (html5ever) sees it. On the bundled news pages ≈ 60% of the bytes are script,
//! style and SVG content, but the tokenizer runs through raw text cheaply: the parse costs
//! ≈ 17% fewer instructions (callgrind) and runs ≈ 1.15× faster (criterion
//! `prestrip_and_parse_123` vs `html5ever_parse_only_123`), strip included.
//!
//! Removed: the content of `<script>` elements other than JSON-LD (`type` containing
//! `ld+json`), the content of `<style>` and `<svg>` elements (the start and end tags stay, so
//! the tree keeps its shape), and comments (`<!-- … -->`). Everything else is copied byte for
//! byte. The scan is linear and allocation-free apart from the output string; the end of a
//! raw-text element is its first `</name` (case-insensitive), as in the HTML tokenizer's
//! script-data state (the rare "double-escaped" `<!--<script>` form is not modelled: at worst
//! some script text is dropped early, which no extractor reads anyway).
//!
//! [`strip_attributes`] then drops, before our own parse only, every start-tag attribute that
//! no extraction step reads (≈ 19% fewer parse instructions on the bundled pages, callgrind;
//! the fallback extractors still get all attributes). Our parse gets both reductions from one
//! pass, [`strip_for_parse`]; [`strip`] alone runs only for pages that go to the fallback
//! extractors. That pass also empties `<nav>` elements (HTML § 4.3.4: a section of
//! navigation links): on the bundled pages their menus are ≈ 22% of the tags, and no step
//! takes text from them (≈ 16% fewer instructions per extracted page, callgrind).

/// Returns `html` without non-JSON-LD script bodies, style and SVG content, and comments.
///
/// The output is valid UTF-8 (cuts happen only next to ASCII `<` / `>`); an unterminated
/// comment or raw-text element drops the rest of the document, as the HTML tokenizer would
/// treat it as comment or raw text anyway.
pub fn strip(html: &str) -> String {
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len() / 2);
    let mut copied = 0usize; // bytes of `html` before this index are handled
    let mut i = 0usize;
    while let Some(off) = memchr_lt(&b[i..]) {
        let lt = i + off;
        let rest = &b[lt + 1..];
        if rest.starts_with(b"!--") {
            out.push_str(&html[copied..lt]);
            match find(&b[lt + 4..], b"-->") {
                Some(e) => {
                    i = lt + 4 + e + 3;
                    copied = i;
                }
                None => return out,
            }
            continue;
        }
        let name = tag_name(rest);
        let kind = if name.eq_ignore_ascii_case(b"script") {
            Some(&b"</script"[..])
        } else if name.eq_ignore_ascii_case(b"style") {
            Some(&b"</style"[..])
        } else if name.eq_ignore_ascii_case(b"svg") {
            Some(&b"</svg"[..])
        } else {
            None
        };
        let Some(close) = kind else {
            i = lt + 1;
            continue;
        };
        let Some(gt) = tag_end(b, lt + 1 + name.len()) else {
            return out + &html[copied..];
        };
        let tag = &html[lt..=gt];
        if close == b"</script" && contains_ci(tag.as_bytes(), b"ld+json") {
            i = gt + 1;
            continue;
        }
        if tag.ends_with("/>") && close == b"</svg" {
            // `<svg ... />` has no content.
            i = gt + 1;
            continue;
        }
        out.push_str(&html[copied..=gt]);
        match find_ci(&b[gt + 1..], close) {
            Some(e) => {
                i = gt + 1 + e;
                copied = i;
                // Skip past `</name` so the scan does not re-enter this element.
                i += close.len();
            }
            None => return out,
        }
    }
    out.push_str(&html[copied..]);
    out
}

/// Attributes some extraction step reads (`meta.rs`, `body.rs`, `credit.rs`): every other
/// attribute is dropped by [`strip_attributes`].
const READ_ATTRIBUTES: &[&[u8]] = &[
    b"class",
    b"id",
    b"href",
    b"content",
    b"name",
    b"property",
    b"itemprop",
    b"http-equiv",
    b"rel",
    b"lang",
    b"xml:lang",
    b"datetime",
    b"pubdate",
    b"value",
    b"type",
    b"role",
    b"aria-modal",
    b"charset",
    b"hidden",
];

/// Whether a `style="…"` attribute (name, `=` and value as written) hides its element:
/// `display: none` or `visibility: hidden` in any ASCII case and spacing (Readability's
/// `_isProbablyVisible` test).
fn style_hides(attr: &[u8]) -> bool {
    let squeezed: Vec<u8> = attr
        .iter()
        .filter(|c| !c.is_ascii_whitespace())
        .map(u8::to_ascii_lowercase)
        .collect();
    contains_ci(&squeezed, b"display:none") || contains_ci(&squeezed, b"visibility:hidden")
}

/// Whether a `<link …>` start tag (as written) can be read by a step: `rel=canonical`, and
/// `rel=author` / `itemprop=author` for authors (`meta.rs`). Tested on the whole tag, ASCII
/// case ignored, so any tag naming one of those words anywhere is kept.
fn link_is_read(tag: &[u8]) -> bool {
    contains_ci(tag, b"canonical") || contains_ci(tag, b"author")
}

/// Whether `name` (any ASCII case) is one of [`READ_ATTRIBUTES`].
fn is_read_attribute(name: &[u8]) -> bool {
    const LONGEST: usize = 10;
    if name.len() < 2 || name.len() > LONGEST {
        return false;
    }
    let mut buf = [0u8; LONGEST];
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    READ_ATTRIBUTES.contains(&&buf[..name.len()])
}

/// Elements whose content the HTML tokenizer reads as raw text or RCDATA: their content is
/// copied unchanged by [`strip_attributes`] (a `<` inside is not a tag).
const RAW_TEXT: &[&[u8]] = &[
    b"script",
    b"style",
    b"title",
    b"textarea",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"noscript",
    b"plaintext",
];

/// Returns `html` with the attributes of start tags reduced to those some extraction step
/// reads (`READ_ATTRIBUTES`: class, id, href, `<meta>` keys and content, rel, lang,
/// datetime, itemprop, role, …); `style`, `data-*`, `srcset`, `on*`, `aria-*` and the like are
/// the bulk of a news page's attribute bytes and cost the parser time per character and one
/// interned name plus one string per attribute. Text, end tags, comments, doctypes and the
/// content of raw-text elements (`RAW_TEXT`) are copied byte for byte.
///
/// Start tags are read as the HTML tokenizer reads them (WHATWG HTML § 13.2.5, tag-open to
/// attribute-value states): a name runs to whitespace, `/` or `>`; a value is double-quoted,
/// single-quoted or runs to whitespace or `>`. Kept attributes are written back verbatim. An
/// unterminated start tag leaves the rest of the document unchanged.
pub fn strip_attributes(html: &str) -> String {
    reduce(html, false).0
}

/// [`strip`] and [`strip_attributes`] in one pass, the input of our own parse: start tags keep
/// only the attributes some step reads, comments are dropped, and so are whole elements no
/// step reads: `<script>` elements other than JSON-LD, `<style>`, `<svg>`, `<noframes>` and
/// `<noembed>` elements (tags and content) and `<link>` tags other than `rel=canonical` /
/// author links. Those elements hold no text for any step (the block walk and the metadata
/// skip them; the content of `<noframes>` / `<noembed>`, markup for browsers without frames
/// or plugins, is raw text to the tokenizer and would otherwise reach the body as literal
/// `<p>` text), and the tree builder inserts them as leaves where they stand (HTML § 13.2.6.4.4 "in head" rules, used
/// from every insertion mode), so the rest of the tree keeps its shape; their start and end
/// tags are ≈ 10% of a news page's tags. `<nav>` elements (HTML § 4.3.4, "a section with
/// navigation links") keep their start and end tags but lose their content (their menus
/// are ≈ 22% of a news page's tags; trafilatura drops them whole too); a `<nav>` that holds
/// JSON-LD, or whose end tag is missing, is kept as it is. Nested `<nav>`s are counted to
/// find the end tag. The element stays so that the tree builder closes an open `<p>` as
/// before; only an unclosed formatting element inside the menu (`<nav><b>Menu</nav>`), which
/// the tree builder would reopen around the text after the menu, no longer reaches it.
/// Runs of whitespace between tags that hold a line
/// break become one `\n` (`squeeze_whitespace`; not inside raw-text elements such as
/// `<textarea>` or JSON-LD).
/// Tags are read as in [`strip_attributes`] (a `<` inside an attribute value is not a tag);
/// an unterminated comment or dropped element drops the rest of the document, as in
/// [`strip`]. On the bundled pages the tree parsed from it is the tree parsed from
/// `strip_attributes(&strip(html))` without those elements (text nodes they separated are one
/// node, whose text the block walk reads the same), with whitespace squeezed (every step
/// collapses whitespace when it reads text) and without the raw text inside
/// `<noscript>`, which is copied unchanged here and which no step reads, and with `<nav>`
/// elements emptied (integration test
/// `attribute_prestrip_keeps_every_read_attribute_on_bundled_pages`; emptying `<nav>`
/// changes the extracted article of 1 of the 123 pages: a byline line joins its body).
pub fn strip_for_parse(html: &str) -> String {
    reduce(html, true).0
}

/// [`strip_for_parse`] and the estimated nesting depth of its output, counted during the same
/// scan as [`super::markup_shape`] counts it (start tags of nesting elements push, their end
/// tags pop; void, implicitly closed and self-closing elements do not nest), except that the
/// content of every raw-text element (`<noscript>`, `<title>`, `<textarea>`, …) is skipped,
/// as the tokenizer reads it as text. Saves [`super::nesting_depth`]'s second scan of the page.
pub fn strip_for_parse_with_depth(html: &str) -> (String, usize) {
    let r = strip_for_parse_measured(html);
    (r.html, r.depth)
}

/// The output of [`strip_for_parse`] with two measures of it taken during the same scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reduced {
    /// The reduced document ([`strip_for_parse`]).
    pub html: String,
    /// Estimated nesting depth in levels, as [`strip_for_parse_with_depth`] counts it.
    pub depth: usize,
    /// Start tags of elements (void and self-closing ones included; those inside raw-text
    /// elements are text and not counted): the number of elements the parser will create,
    /// give or take the ones it adds itself (`<html>`, `<head>`, `<body>`, `<tbody>`).
    pub elements: usize,
}

/// [`strip_for_parse`], its nesting depth ([`strip_for_parse_with_depth`]) and its element
/// count, from one scan.
pub fn strip_for_parse_measured(html: &str) -> Reduced {
    let mut depth = Depth::default();
    let out = reduce_into(html, true, &mut depth);
    Reduced {
        html: out,
        depth: depth.max,
        elements: depth.elements,
    }
}

/// Depth count of [`strip_for_parse_with_depth`]: `name` is a tag name as [`super::TagScan`]
/// reads it (ASCII letters, digits, `!`, `-`).
#[derive(Default)]
struct Depth {
    now: usize,
    max: usize,
    /// Start tags seen (every element, nesting or not).
    elements: usize,
}

impl Depth {
    fn nests(name: &[u8]) -> bool {
        let end = name
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'!' || *c == b'-'))
            .unwrap_or(name.len());
        let name = &name[..end];
        !name.is_empty() && !super::flat_element(name) && !super::is_raw_text(name)
    }

    fn open(&mut self, name: &[u8], self_closing: bool) {
        self.elements += 1;
        if !self_closing && Self::nests(name) {
            self.now += 1;
            self.max = self.max.max(self.now);
        }
    }

    fn close(&mut self, name: &[u8]) {
        if Self::nests(name) {
            self.now = self.now.saturating_sub(1);
        }
    }
}

/// [`strip_attributes`]; with `drop_content`, also [`strip`]'s removals ([`strip_for_parse`]).
fn reduce(html: &str, drop_content: bool) -> (String, usize) {
    let mut depth = Depth::default();
    let out = reduce_into(html, drop_content, &mut depth);
    (out, depth.max)
}

/// [`reduce`]; with `drop_content`, the nesting depth is counted into `depth`.
fn reduce_into(html: &str, drop_content: bool, depth: &mut Depth) -> String {
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut keep: Vec<(usize, usize)> = Vec::new();
    let mut copied = 0usize;
    let mut i = 0usize;
    // Start of the text since the last tag, comment or dropped element (only while
    // `drop_content`: whitespace there is squeezed, see `squeeze_whitespace`).
    let mut text_from: Option<usize> = None;
    while let Some(off) = memchr_lt(&b[i..]) {
        let lt = i + off;
        if let Some(from) = text_from.take() {
            squeeze_whitespace(html, from, lt, &mut out, &mut copied);
        }
        i = lt + 1;
        if b[i..].starts_with(b"!--") {
            if drop_content {
                out.push_str(&html[copied..lt]);
                match find(&b[i + 3..], b"-->") {
                    Some(e) => {
                        i += 3 + e + 3;
                        copied = i;
                        text_from = Some(i);
                    }
                    None => return out,
                }
                continue;
            }
            match find(&b[i + 3..], b"-->") {
                Some(e) => i += 3 + e + 3,
                None => break,
            }
            continue;
        }
        if drop_content
            && b.get(i) == Some(&b'/')
            && b.get(i + 1).is_some_and(u8::is_ascii_alphabetic)
        {
            // An end tag: text follows it. (Its first `>`: a quoted `>` in an end tag, which
            // the tokenizer would skip, at worst squeezes whitespace inside that tag.)
            depth.close(&b[i + 1..]);
            if let Some(gt) = memchr::memchr(b'>', &b[i..]) {
                i += gt + 1;
                text_from = Some(i);
            }
            continue;
        }
        if !b.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        // Tag name: to whitespace, `/` or `>`.
        let name_end = b[i..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || *c == b'/' || *c == b'>')
            .map_or(b.len(), |p| i + p);
        let name = &b[i..name_end];
        // Attributes: (start, end) byte ranges of the ones to keep.
        keep.clear();
        let mut dropped = false;
        // An inline style that hides the element becomes the `hidden` attribute.
        let mut hidden_by_style = false;
        let mut k = name_end;
        let end = loop {
            let mut slash = false;
            while k < b.len() && (b[k].is_ascii_whitespace() || b[k] == b'/') {
                slash = b[k] == b'/';
                k += 1;
            }
            if k >= b.len() {
                break None;
            }
            if b[k] == b'>' {
                break Some((k, slash));
            }
            let a_start = k;
            // The first character of a name may be `=` (parse error, part of the name).
            k += 1;
            while k < b.len() && !(b[k].is_ascii_whitespace() || matches!(b[k], b'/' | b'>' | b'='))
            {
                k += 1;
            }
            let a_name = &b[a_start..k];
            let mut j = k;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < b.len() && b[j] == b'=' {
                j += 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                match b.get(j) {
                    Some(&q) if q == b'"' || q == b'\'' => match memchr::memchr(q, &b[j + 1..]) {
                        Some(e) => k = j + 1 + e + 1,
                        None => k = b.len(),
                    },
                    _ => {
                        while j < b.len() && !(b[j].is_ascii_whitespace() || b[j] == b'>') {
                            j += 1;
                        }
                        k = j;
                    }
                }
            }
            if is_read_attribute(a_name) {
                keep.push((a_start, k));
            } else {
                dropped = true;
                hidden_by_style |=
                    a_name.eq_ignore_ascii_case(b"style") && style_hides(&b[a_start..k]);
            }
        };
        let Some((gt, self_closing)) = end else {
            break;
        };
        if drop_content {
            // Elements no step reads go whole, tags included: they hold no text, so the tree
            // loses only leaves that every step skips (see [`strip_for_parse`]).
            let whole: Option<&[u8]> = if name.eq_ignore_ascii_case(b"script") {
                // JSON-LD (`type` containing `ld+json`, read in the original tag) is kept.
                (!contains_ci(&b[lt..=gt], b"ld+json")).then_some(b"</script")
            } else if name.eq_ignore_ascii_case(b"style") {
                Some(b"</style")
            } else if name.eq_ignore_ascii_case(b"noframes") {
                // Raw text for the tokenizer (HTML § 13.2.6.4.7): markup for browsers
                // without frames, which would reach the body as literal `<p>` text.
                Some(b"</noframes")
            } else if name.eq_ignore_ascii_case(b"noembed") {
                Some(b"</noembed")
            } else if name.eq_ignore_ascii_case(b"svg") {
                (!self_closing).then_some(b"</svg")
            } else {
                None
            };
            let void_unread = name.eq_ignore_ascii_case(b"link") && !link_is_read(&b[lt..=gt])
                || name.eq_ignore_ascii_case(b"svg") && self_closing;
            if whole.is_some() || void_unread {
                out.push_str(&html[copied..lt]);
                i = gt + 1;
                if let Some(close) = whole {
                    // Up to and including the end tag's `>`.
                    match find_ci(&b[i..], close) {
                        Some(e) => {
                            let after = i + e + close.len();
                            i = memchr::memchr(b'>', &b[after..])
                                .map_or(b.len(), |g| after + g + 1);
                        }
                        None => return out,
                    }
                }
                copied = i;
                text_from = Some(i);
                continue;
            }
        }
        if drop_content && !self_closing && name.eq_ignore_ascii_case(b"nav") {
            // A `<nav>` element is emptied: its start and end tags stay (they close an open
            // `<p>` and the like as before), its links and menus go, unless it holds JSON-LD
            // (breadcrumbs are read by `meta.rs`) or is never closed.
            let content = &b[gt + 1..];
            if let Some(close_at) =
                matching_end(content, b"nav").filter(|&c| !contains_ci(&content[..c], b"ld+json"))
            {
                push_reduced_start(
                    &mut out,
                    &html[copied..name_end],
                    html,
                    &keep,
                    hidden_by_style,
                );
                out.push_str("></nav>");
                let after = gt + 1 + close_at;
                i = memchr::memchr(b'>', &b[after..]).map_or(b.len(), |g| after + g + 1);
                copied = i;
                text_from = Some(i);
                continue;
            }
        }
        if drop_content {
            depth.open(name, self_closing);
        }
        if dropped {
            push_reduced_start(
                &mut out,
                &html[copied..name_end],
                html,
                &keep,
                hidden_by_style,
            );
            if self_closing {
                out.push('/');
            }
            out.push('>');
            copied = gt + 1;
        }
        i = gt + 1;
        if let Some(raw) = RAW_TEXT.iter().find(|r| name.eq_ignore_ascii_case(r)) {
            // Copy the content unchanged up to the matching end tag.
            let mut close = Vec::with_capacity(raw.len() + 2);
            close.extend_from_slice(b"</");
            close.extend_from_slice(raw);
            match find_ci(&b[i..], &close) {
                Some(e) => i += e,
                None => break,
            }
        } else if drop_content {
            text_from = Some(i);
        }
    }
    if let Some(from) = text_from {
        squeeze_whitespace(html, from, b.len(), &mut out, &mut copied);
    }
    out.push_str(&html[copied..]);
    out
}

/// Writes `html[*copied..end]` to `out` up to the text `html[from..end]` (text between tags,
/// `from >= *copied`), where every run of two or more ASCII whitespace bytes that holds a
/// line break becomes one `\n`. Such runs are the indentation between tags; every step reads
/// text with whitespace collapsed (HTML's inter-element whitespace, § 3.2.5.1, renders as at
/// most one space), and a run keeps one whitespace byte, so a whitespace-only text node stays
/// one. The HTML tokenizer emits each line break as a token of its own, so a page's ≈ 640
/// indentation line breaks cost the tree builder ≈ 1,000 text tokens; squeezed, one per run.
/// Runs without a line break (spaces in prose) are left alone.
fn squeeze_whitespace(html: &str, from: usize, end: usize, out: &mut String, copied: &mut usize) {
    if end < from + 2 {
        return; // most text between tags: nothing or one byte
    }
    let b = html.as_bytes();
    let is_ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c');
    let mut done = from;
    while let Some(p) = memchr::memchr(b'\n', &b[done..end]) {
        let p = done + p;
        let mut l = p;
        while l > done && is_ws(b[l - 1]) {
            l -= 1;
        }
        let mut r = p + 1;
        while r < end && is_ws(b[r]) {
            r += 1;
        }
        if r - l >= 2 {
            out.push_str(&html[*copied..l]);
            out.push('\n');
            *copied = r;
        }
        done = r;
    }
}

/// Writes `head` (the text before a start tag and `<name`), then the kept attributes
/// (`keep`: byte ranges of `html`) and ` hidden` when an inline style hid the element; the
/// caller closes the tag.
fn push_reduced_start(
    out: &mut String,
    head: &str,
    html: &str,
    keep: &[(usize, usize)],
    hidden_by_style: bool,
) {
    out.push_str(head);
    for (s, e) in keep {
        out.push(' ');
        out.push_str(&html[*s..*e]);
    }
    if hidden_by_style {
        out.push_str(" hidden");
    }
}

/// Offset in `hay` of the end tag `</name` that closes an element whose start tag ends just
/// before `hay`, counting nested start tags of the same name; `None` when it is not closed.
fn matching_end(hay: &[u8], name: &[u8]) -> Option<usize> {
    let mut open = 1usize;
    let mut i = 0;
    while let Some(off) = memchr_lt(&hay[i..]) {
        let at = i + off;
        let (close, from) = if hay.get(at + 1) == Some(&b'/') {
            (true, at + 2)
        } else {
            (false, at + 1)
        };
        let end = from + name.len();
        if hay.len() > end
            && hay[from..end].eq_ignore_ascii_case(name)
            && (hay[end].is_ascii_whitespace() || matches!(hay[end], b'>' | b'/'))
        {
            if close {
                open -= 1;
                if open == 0 {
                    return Some(at);
                }
            } else {
                open += 1;
            }
        }
        i = at + 1;
    }
    None
}

fn memchr_lt(b: &[u8]) -> Option<usize> {
    memchr::memchr(b'<', b)
}

/// The ASCII tag name at the start of `b` (letters and digits), possibly empty.
fn tag_name(b: &[u8]) -> &[u8] {
    let n = b
        .iter()
        .position(|c| !c.is_ascii_alphanumeric())
        .unwrap_or(b.len());
    // A name must be followed by whitespace, `>` or `/` to be that element.
    match b.get(n) {
        Some(c) if c.is_ascii_whitespace() || *c == b'>' || *c == b'/' => &b[..n],
        None => &b[..n],
        _ => &[],
    }
}

/// The most `=` signs between a `<` and the next `>` anywhere in `html`: roughly the most
/// attributes one tag has. Linear (two `memchr` scans). The parsers of the fallback extractors
/// check each attribute of a tag against the ones before it, quadratic in this number.
pub fn widest_tag_attributes(html: &str) -> usize {
    let b = html.as_bytes();
    let mut widest = 0;
    let mut at = 0;
    while let Some(lt) = memchr::memchr(b'<', &b[at..]) {
        let start = at + lt + 1;
        let end = memchr::memchr(b'>', &b[start..]).map_or(b.len(), |e| start + e);
        widest = widest.max(memchr::memchr_iter(b'=', &b[start..end]).count());
        at = end;
        if at >= b.len() {
            break;
        }
    }
    widest
}

/// Index of the `>` that ends the tag whose attributes start at `from` (quotes respected).
pub(crate) fn tag_end(b: &[u8], from: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (k, &c) in b.iter().enumerate().skip(from) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => {
                // Quotes only open an attribute value right after `=` (possibly spaced).
                let prev = b[from..k].iter().rev().find(|c| !c.is_ascii_whitespace());
                if prev == Some(&b'=') {
                    quote = Some(c);
                }
            }
            None if c == b'>' => return Some(k),
            None => {}
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// Index of the first case-insensitive occurrence of `needle` (which starts with `<`) in `hay`.
pub(crate) fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    // `needle` starts with `</`: jump between `<` bytes.
    let mut i = 0;
    while let Some(off) = memchr_lt(&hay[i..]) {
        let at = i + off;
        if hay.len() - at >= needle.len() && hay[at..at + needle.len()].eq_ignore_ascii_case(needle)
        {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::{
        strip, strip_attributes, strip_for_parse, strip_for_parse_with_depth, widest_tag_attributes,
    };

    #[test]
    fn strip_attributes_keeps_read_ones_verbatim() {
        let h = r#"<div class="a b" data-x='1' style="color:red" id=main onclick="f('>')">t</div>"#;
        assert_eq!(strip_attributes(h), r#"<div class="a b" id=main>t</div>"#);
        // Unquoted href ending in '/' is kept whole; a real self-closing slash stays.
        assert_eq!(
            strip_attributes(r#"<a href=/x/ target=_blank>y</a><img src=a.png alt="p"/>"#),
            r#"<a href=/x/>y</a><img/>"#
        );
        // Tags with nothing to drop are copied as they are; end tags, text, comments too.
        let same = "<p>x &amp; y</p ><!doctype html><!-- <b style=1> --><meta name=a content=b>";
        assert_eq!(strip_attributes(same), same);
        // Case-insensitive names; `=` with spaces.
        assert_eq!(
            strip_attributes("<META Property = \"og:title\" DATA-A=b CONTENT='T'>"),
            "<META Property = \"og:title\" CONTENT='T'>"
        );
    }

    #[test]
    fn strip_attributes_leaves_raw_text_alone() {
        let h = r#"<title>a <b style=x> c</title><script type="application/ld+json">{"articleBody":"<p style='x'>t</p>"}</script><textarea><i data-a=1></i></textarea><p style=z>k</p>"#;
        let s = strip_attributes(h);
        assert!(s.contains("<title>a <b style=x> c</title>"), "{s}");
        assert!(s.contains(r#"<p style='x'>t</p>"#), "{s}");
        assert!(s.contains("<textarea><i data-a=1></i></textarea>"), "{s}");
        assert!(s.ends_with("<p>k</p>"), "{s}");
    }

    #[test]
    fn strip_attributes_odd_input_does_not_panic() {
        for h in [
            "<div style=\"never ends",
            "<div class=a",
            "<",
            "a < b",
            "<a\u{e9}=1>",
            "<p data-é='日本'>語</p>",
            "<title>open",
            "<div =x class=y>",
            "<br/ >",
        ] {
            let s = strip_attributes(h);
            assert!(s.len() <= h.len() + 1, "{h} -> {s}");
        }
        assert_eq!(strip_attributes("<p data-é='日本'>語</p>"), "<p>語</p>");
        assert_eq!(strip_attributes("<div =x class=y>"), "<div class=y>");
    }

    #[test]
    fn drops_scripts_styles_svg_comments_keeps_jsonld() {
        let h = r#"<html><head><script src=x>var a = "<p>no</p>";</script><STYLE>p{}</Style>
<script type="application/ld+json">{"headline":"H"}</script></head><body><!-- c <p>x</p> -->
<p>Keep <b>this</b></p><svg viewBox="0 0 1 1"><title>icon</title><svg></svg></svg><p>and this</p>
<scripts>odd</scripts><img alt="a>b" src=y></body></html>"#;
        let s = strip(h);
        assert!(!s.contains("var a") && !s.contains("p{}") && !s.contains(" c "));
        assert!(s.contains(r#"{"headline":"H"}"#));
        assert!(s.contains("<p>Keep <b>this</b></p>") && s.contains("<p>and this</p>"));
        assert!(s.contains("<scripts>odd</scripts>"));
        assert!(s.contains("</script>") && s.contains("</Style>"));
        assert!(!s.contains("icon"));
        assert!(s.contains(r#"<img alt="a>b" src=y>"#));
    }

    #[test]
    fn unterminated_parts_and_odd_input_do_not_panic() {
        for h in [
            "<script>never ends",
            "<!-- open",
            "<style",
            "<",
            "a < b",
            "<svg/><p>é</p>",
            "<script type='x>",
            "日本<script>語</script>語",
        ] {
            let s = strip(h);
            assert!(s.len() <= h.len());
        }
        assert_eq!(
            strip("日本<script>語</script>語"),
            "日本<script></script>語"
        );
        assert_eq!(strip("<svg/><p>é</p>"), "<svg/><p>é</p>");
    }

    #[test]
    fn one_pass_equals_the_two_passes() {
        let h = r#"<html><head><script src=x defer>var a = "<p>no</p>";</script><STYLE media=x>p{}</Style>
<script type="application/ld+json" id=ld>{"headline":"H"}</script></head><body data-a=1><!-- c <p>x</p> -->
<p style="a" class=k>Keep <b>this</b></p><svg viewBox="0 0 1 1"><title>icon</title></svg><svg/>
<p>and this</p><title>t <b style=x></b></title><img alt="a>b" src=y><a href=/z rel=author>z</a></body></html>"#;
        let one = strip_for_parse(h);
        // The two passes, then the unread elements (script, style, svg) removed whole.
        let two = strip_attributes(&strip(h))
            .replace("<script></script>", "")
            .replace("<STYLE></Style>", "")
            .replace("<svg></svg><svg/>", "");
        assert_eq!(one, two);
        assert!(!one.contains("var a") && !one.contains("p{}") && !one.contains("icon"));
        assert!(one.contains(r#"{"headline":"H"}"#) && one.contains("<p class=k>Keep"));
        assert!(!one.contains("<script>") && !one.contains("<svg") && !one.contains("<STYLE"));
        // Unterminated parts drop the rest, as `strip` does; odd input does not panic.
        assert_eq!(strip_for_parse("<p>a</p><!-- open <p>b"), "<p>a</p>");
        assert_eq!(strip_for_parse("<p>a</p><script>x"), "<p>a</p>");
        for h in [
            "<",
            "<svg",
            "<script type='x>",
            "日本<style>語</style>語",
            "<div class=a",
        ] {
            assert!(strip_for_parse(h).len() <= h.len(), "{h}");
        }
    }

    #[test]
    fn indentation_between_tags_is_squeezed() {
        let h = "<body>\n  <div class=a>\n    <p>One  two\r\n\n   three</p>\t\n</div> \n\
                 <!-- c -->\n\n<textarea>\n\n  t</textarea>\n  <pre>\n\n x</pre></body>\n\n";
        assert_eq!(
            strip_for_parse(h),
            "<body>\n<div class=a>\n<p>One  two\nthree</p>\n</div>\n\n\
             <textarea>\n\n  t</textarea>\n<pre>\nx</pre></body>\n"
        );
        // Only the reduction for our parse squeezes; `strip_attributes` keeps text as is.
        assert_eq!(strip_attributes(h), h);
        // A single whitespace byte and spaces without a line break stay.
        assert_eq!(
            strip_for_parse("<p>a</p>\n<p>b  c</p> "),
            "<p>a</p>\n<p>b  c</p> "
        );
    }

    #[test]
    fn nav_elements_are_emptied() {
        // Content goes, tags (with read attributes) stay; nested navs are counted.
        assert_eq!(
            strip_for_parse(
                "<p>a<nav class=menu data-x=1><ul><li><a href=/x>X</a><nav>in</nav>y</ul></nav>b"
            ),
            "<p>a<nav class=menu></nav>b"
        );
        assert_eq!(strip_for_parse("<NAV><b>m</NAV >t"), "<NAV></nav>t");
        // `<navbar>` is another element; a self-closing nav has no content.
        let other = "<navbar>m</navbar><nav/>t";
        assert_eq!(strip_for_parse(other), other);
        // Kept as they are: a nav with JSON-LD (breadcrumbs) and a nav never closed.
        let ld = r#"<nav><script type="application/ld+json">{}</script><a href=/>H</a></nav>"#;
        assert_eq!(strip_for_parse(ld), ld);
        let open = "<nav><a href=/>H</a><p>rest of the page";
        assert_eq!(strip_for_parse(open), open);
        // The emptied element still closes an open paragraph for the tree builder.
        let doc = scraper::Html::parse_document(&strip_for_parse("<p>a<nav><i>m</i></nav>b"));
        let p = doc
            .select(&scraper::Selector::parse("p").unwrap())
            .next()
            .unwrap();
        assert_eq!(p.text().collect::<String>(), "a");
    }

    #[test]
    fn depth_is_counted_in_the_same_scan() {
        for h in [
            "<html><body><div><p>a<p>b</div></body></html>".to_string(),
            "<div><br><img src=x><span/></div>".to_string(),
            "<script>if (a<b) {}</script><div>".to_string(),
            format!("<html><body>{}x", "<b><i>".repeat(3000)),
            "<div></p>".repeat(40),
            "<div class='a>b'><svg><g><g></g></g></svg><!-- <div> --></div><div>".to_string(),
        ] {
            let (out, depth) = strip_for_parse_with_depth(&h);
            assert_eq!(out, strip_for_parse(&h));
            assert_eq!(depth, crate::extract::nesting_depth(&out), "{h:.80}");
        }
        // Tags inside raw text are text for the tokenizer: they do not nest.
        assert_eq!(
            strip_for_parse_with_depth("<noscript><div><div></noscript><p>x").1,
            1
        );
    }

    #[test]
    fn unread_elements_go_whole_read_links_stay() {
        let h = "<head><link rel=stylesheet href=a.css><LINK REL=Canonical href=/c>\
                 <link rel=author href=/me><link itemprop=author href=/p><link rel=icon href=i>\
                 </head><body><p>a<script src=x></script >b<style>p{}</style>c\
                 <svg viewBox=0><path/></svg><svg/>d</p></body>";
        let one = strip_for_parse(h);
        assert_eq!(
            one,
            "<head><LINK REL=Canonical href=/c><link rel=author href=/me>\
             <link itemprop=author href=/p></head><body><p>abcd</p></body>"
        );
    }

    #[test]
    fn fallback_markup_for_old_browsers_goes_whole() {
        let h = "<body><NOFRAMES><p>Get a browser</p></NOFRAMES><p>a</p>\
                 <noembed><b>No plugin</b></noembed><p>b</p><noframes>never closed";
        assert_eq!(strip_for_parse(h), "<body><p>a</p><p>b</p>");
    }

    #[test]
    fn widest_tag_attributes_counts_the_busiest_tag() {
        assert_eq!(widest_tag_attributes("<p a=1 b=2>x</p><div c='3'>"), 2);
        assert_eq!(widest_tag_attributes("no tags = here"), 0);
        let bomb = format!("<p {}>x", "a=1 ".repeat(5000));
        assert_eq!(widest_tag_attributes(&bomb), 5000);
        assert_eq!(widest_tag_attributes("<p a=1 b=2"), 2);
    }
}
