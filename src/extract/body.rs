//! Body blocks: the page (or an HTML fragment) → ordered text blocks with their links; the
//! article blocks chosen by our scorer or by the agreement of two extractors; then our
//! boilerplate rules for what content farms wrap around
//! copies (share counters, "Read also" teasers, related lists, newsletter boxes, comment forms,
//! author bios, tags, cookie notices, ad labels). Credit lines are never dropped.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use ego_tree::NodeRef;
use scraper::{Html, Node};
use url::Url;

use super::BodyLink;
use super::credit::credit_cue;
use super::meta::{collapse_ws, resolve_http_url};

/// What kind of block a piece of body text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `<p>`, `<div>` text and anything else block-like.
    Para,
    /// `<h1>`–`<h6>`.
    Heading,
    /// `<li>`, `<dd>`, `<dt>`.
    Item,
    /// Table row (its cells joined by spaces).
    Cell,
}

/// One block of body text.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: Kind,
    /// Whitespace-collapsed text.
    pub text: String,
    /// Word count of `text` (see `words`: CJK runs count one word per two characters),
    /// computed once.
    pub words: usize,
    /// Links inside the block: absolute http(s) hrefs when `links_resolved`; otherwise the
    /// hrefs as written in the page, not yet resolved (see [`Block::resolve_links`]).
    pub links: Vec<BodyLink>,
    /// Whether `links` are resolved. Always `true` in blocks from [`blocks_from_node`] and
    /// [`blocks_from_fragment`]; in [`BodySelection::page`] only blocks that can reach the
    /// article are resolved (the body span and the three blocks after it, credit lines):
    /// `Url::join` for every link of a page, menus included, cost ≈ 3% of an extraction.
    pub links_resolved: bool,
    /// Characters of `text` that sit inside links.
    pub link_chars: usize,
    /// Inside a container that is never article text (cookie/consent dialog, comment section).
    pub hard_boilerplate: bool,
    /// The innermost block element the text came from, and that element's parent.
    pub elem: Option<ego_tree::NodeId>,
    pub parent: Option<ego_tree::NodeId>,
    /// The parent's parent.
    pub grand: Option<ego_tree::NodeId>,
    /// Inside a `<figure>`, `<figcaption>` or an element whose class names a caption.
    pub caption: bool,
    /// The text reads as a credit line ([`credit_cue`]), computed once.
    pub credit: bool,
    /// [`boilerplate_reason`] of this block, computed once.
    pub bp: Option<&'static str>,
    /// At least one link resolves and anchors hold ≥ 60% of the text (see `link_dense`),
    /// computed once, when the block is made.
    link_dense: bool,
}

impl Block {
    /// Resolves `links` against `base` (the page URL) if not done yet: hrefs become absolute
    /// http(s) URLs without fragment (`meta::resolve_http_url`); hrefs that do not resolve to
    /// one are dropped. Sets `links_resolved`.
    pub fn resolve_links(&mut self, base: &Url) {
        if self.links_resolved {
            return;
        }
        self.links = std::mem::take(&mut self.links)
            .into_iter()
            .filter_map(|l| {
                resolve_http_url(&l.href, base).map(|u| BodyLink {
                    href: u.to_string(),
                    text: l.text,
                })
            })
            .collect();
        self.links_resolved = true;
    }
}

/// Elements whose content is never text to extract (a `match`: cheaper than scanning a list for
/// every node).
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "head"
            | "select"
            | "option"
            | "textarea"
            | "button"
            | "iframe"
            | "object"
            | "embed"
            | "video"
            | "audio"
            | "canvas"
            | "math"
    )
}

/// Inline elements: they never split a block.
fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "a" | "abbr"
            | "b"
            | "bdi"
            | "bdo"
            | "big"
            | "cite"
            | "code"
            | "data"
            | "del"
            | "dfn"
            | "em"
            | "font"
            | "i"
            | "ins"
            | "kbd"
            | "mark"
            | "q"
            | "s"
            | "samp"
            | "small"
            | "span"
            | "strike"
            | "strong"
            | "sub"
            | "sup"
            | "time"
            | "tt"
            | "u"
            | "var"
            | "wbr"
            | "hi"
            | "ref"
            | "label"
            | "nobr"
            | "img"
            | "picture"
            | "source"
    )
}

/// Private-use marker for `<br>` while a block is being collected.
const BR: char = '\u{E000}';

struct State<'a> {
    base: &'a Url,
    /// `base` is an http(s) URL with a host, so every path-relative href resolves
    /// (see [`href_resolves`]).
    base_http: bool,
    buf: String,
    links: Vec<BodyLink>,
    link_chars: usize,
    kinds: Vec<Kind>,
    out: Vec<Block>,
    hard_depth: usize,
    caption_depth: usize,
    elems: Vec<(
        ego_tree::NodeId,
        Option<ego_tree::NodeId>,
        Option<ego_tree::NodeId>,
    )>,
}

impl State<'_> {
    fn flush(&mut self) {
        if self.buf.chars().all(|c| c.is_whitespace() || c == BR) {
            // Nothing to emit (links without text are dropped, as before).
            self.buf.clear();
            self.links.clear();
            self.link_chars = 0;
            return;
        }
        let kind = *self.kinds.last().unwrap_or(&Kind::Para);
        let buf = std::mem::take(&mut self.buf);
        let links = std::mem::take(&mut self.links);
        let link_chars = std::mem::take(&mut self.link_chars);
        // `<br><br>` ends a paragraph; a single `<br>` is a space.
        let mut parts: Vec<String> = Vec::new();
        let mut cur = String::new();
        let mut pending_br = 0;
        if !buf.contains(BR) {
            // Common case: no `<br>`, one paragraph.
            cur = buf;
        } else {
            for ch in buf.chars() {
                if ch == BR {
                    pending_br += 1;
                    cur.push(' ');
                } else if ch.is_whitespace() {
                    cur.push(' ');
                } else {
                    if pending_br >= 2 {
                        parts.push(std::mem::take(&mut cur));
                    }
                    pending_br = 0;
                    cur.push(ch);
                }
            }
        }
        parts.push(cur);
        let parts: Vec<String> = parts
            .iter()
            .map(|p| collapse_ws(p))
            .filter(|p| !p.is_empty())
            .collect();
        let n = parts.len();
        let (base, base_http) = (self.base, self.base_http);
        let mut links = if n > 1 {
            // Links are shared out by anchor text; only those that resolve count (rare:
            // `<br><br>` paragraphs), as their characters are summed per part below.
            let mut links = links;
            links.retain(|l| href_resolves(&l.href, base, base_http));
            Some(links)
        } else {
            Some(links)
        };
        for text in parts {
            // Links go with the part whose text holds their anchor.
            let block_links: Vec<BodyLink> = if n == 1 {
                links.take().unwrap_or_default()
            } else {
                links
                    .iter()
                    .flatten()
                    .filter(|l| !l.text.is_empty() && text.contains(&l.text))
                    .cloned()
                    .collect()
            };
            let lc = if n == 1 {
                link_chars
            } else {
                block_links.iter().map(|l| l.text.len()).sum()
            };
            let nw = words(&text);
            // `link_dense` needs one link that resolves; links are resolved later, and only
            // for blocks that can reach the article, so look for one only when it matters.
            let dense = lc * 10 >= text.len() * 6
                && if n > 1 {
                    !block_links.is_empty()
                } else {
                    block_links
                        .iter()
                        .any(|l| href_resolves(&l.href, base, base_http))
                };
            self.out.push(Block {
                kind,
                text,
                words: nw,
                links: block_links,
                links_resolved: false,
                link_chars: lc,
                hard_boilerplate: self.hard_depth > 0,
                elem: self.elems.last().map(|e| e.0),
                parent: self.elems.last().and_then(|e| e.1),
                grand: self.elems.last().and_then(|e| e.2),
                caption: self.caption_depth > 0,
                credit: false,
                bp: None,
                link_dense: dense,
            });
            let last = self.out.last_mut().expect("just pushed");
            last.credit = credit_cue(&last.text).is_some();
            last.bp = boilerplate_reason(last);
        }
    }
}

/// Whether `resolve_http_url(href, base)` is `Some`, without resolving when the answer
/// follows from the href's first characters (most links of a page are menu items, one per
/// block, and each needs this for `link_dense`):
///
/// - a scheme other than `http`/`https` (`mailto:`, `javascript:`, `tel:` …): never — the
///   href is an absolute URL of that scheme (WHATWG URL Standard, scheme state);
/// - no scheme and not scheme-relative (not starting with two slashes or backslashes): a
///   path-, query- or fragment-relative reference takes the base's scheme and host, so it
///   resolves exactly when `base_http` (the base is http(s) with a valid host);
/// - otherwise (`http:`/`https:` hrefs, `//host/…`): resolved to find out.
///
/// As the URL parser does, leading C0 controls and spaces are skipped and tabs and line
/// breaks are ignored.
fn href_resolves(href: &str, base: &Url, base_http: bool) -> bool {
    let raw = href.trim();
    if raw.is_empty() {
        return false;
    }
    let mut it = raw
        .bytes()
        .skip_while(|&b| b <= b' ')
        .filter(|&b| !matches!(b, b'\t' | b'\n' | b'\r'));
    let full = || resolve_http_url(href, base).is_some();
    match it.next() {
        None => full(),
        Some(b'/' | b'\\') => match it.next() {
            Some(b'/' | b'\\') => full(),
            _ => base_http,
        },
        Some(c) if c.is_ascii_alphabetic() => {
            // The scheme's first 6 bytes, lower-cased (enough to tell `http`/`https`).
            let (mut scheme, mut n) = ([c.to_ascii_lowercase(), 0, 0, 0, 0, 0], 1);
            for b in it {
                if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.') {
                    if n < scheme.len() {
                        scheme[n] = b.to_ascii_lowercase();
                    }
                    n += 1;
                } else if b == b':' {
                    if !(matches!(&scheme[..n.min(6)], b"http" | b"https") && n <= 5) {
                        return false;
                    }
                    return plain_http_host(raw).unwrap_or_else(full);
                } else {
                    break;
                }
            }
            // No scheme: a relative path.
            base_http
        }
        Some(_) => base_http,
    }
}

/// For an `http:`/`https:` href: `Some(true)` when it is `scheme://host…` with a plain host
/// the URL parser always accepts — ASCII letters, digits, `-` and `.`, non-empty labels
/// (one trailing `.` allowed), no `xn--` label (punycode is checked), the last label not
/// starting with a digit (IPv4 rules apply then), no userinfo or port; `None` otherwise
/// (the caller resolves).
fn plain_http_host(raw: &str) -> Option<bool> {
    if raw.bytes().any(|b| b <= b' ') {
        return None;
    }
    let rest = &raw[raw.find(':')? + 1..];
    let rest = rest.strip_prefix("//")?;
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let host = &rest[..end];
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return None;
    }
    let mut last = "";
    for label in host.split('.') {
        if label.is_empty() || label.len() >= 4 && label[..4].eq_ignore_ascii_case("xn--") {
            return None;
        }
        last = label;
    }
    if last.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    Some(true)
}

fn kind_of(name: &str) -> Kind {
    match name {
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => Kind::Heading,
        "li" | "dd" | "dt" => Kind::Item,
        "tr" => Kind::Cell,
        _ => Kind::Para,
    }
}

/// Deepest element nesting [`walk`] recurses into; below it a subtree's text is gathered
/// without recursion into the current block (pathological markup keeps its text and cannot
/// exhaust the stack of a 2 MiB thread).
const MAX_WALK_DEPTH: usize = 256;

/// The text of a subtree too deep for [`walk`], in document order, without recursion: skipped
/// elements (scripts, styles, …) left out, a space between elements that are not inline, `<br>`
/// kept as a line break.
fn flatten_deep(node: NodeRef<Node>, st: &mut State) {
    let mut skip = 0usize;
    for edge in node.traverse() {
        match edge {
            ego_tree::iter::Edge::Open(n) => match n.value() {
                Node::Element(e) => {
                    if skip > 0 || is_skipped(e.name()) {
                        skip += 1;
                    } else if e.name() == "br" {
                        st.buf.push(BR);
                    } else if !is_inline(e.name()) {
                        st.buf.push(' ');
                    }
                }
                Node::Text(t) if skip == 0 => st.buf.push_str(t),
                _ => {}
            },
            ego_tree::iter::Edge::Close(n) => {
                if n.value().is_element() && skip > 0 {
                    skip -= 1;
                }
            }
        }
    }
}

fn walk(node: NodeRef<Node>, st: &mut State, depth: usize) {
    if depth > MAX_WALK_DEPTH {
        flatten_deep(node, st);
        return;
    }
    match node.value() {
        Node::Text(t) => st.buf.push_str(t),
        Node::Element(e) => {
            let name = e.name();
            if is_skipped(name) {
                return;
            }
            // The attributes read here, in one pass over the element's attributes
            // (`Element::attr` interns its argument on every call).
            let attrs = WalkAttrs::of(e);
            // Elements the page hides (`hidden`, or an inline style that the pre-pass turned
            // into it) are not read, as Readability's `_isProbablyVisible` has it: hidden
            // forms and dialogs of a site template are not the article.
            if attrs.hidden {
                return;
            }
            if name == "br" {
                st.buf.push(BR);
                return;
            }
            if name == "hr" {
                st.flush();
                return;
            }
            if name == "td" || name == "th" {
                // Cells join their row's line ("1 Kyle Busch 5040"); blocks inside still split.
                st.buf.push(' ');
                for c in node.children() {
                    walk(c, st, depth + 1);
                }
                st.buf.push(' ');
                return;
            }
            if is_inline(name) {
                for c in node.children() {
                    walk(c, st, depth + 1);
                }
                if name == "a"
                    && let Some(href) = attrs.href
                {
                    let text = collapse_ws(&text_of(node));
                    // Same-page anchors ("#top") are not links to anything else.
                    let same_page = href.trim_start().starts_with('#');
                    st.link_chars += text.len();
                    if !same_page {
                        // Resolved later, only for blocks that can reach the article
                        // (`Block::resolve_links`).
                        st.links.push(BodyLink {
                            href: href.to_string(),
                            text,
                        });
                    }
                }
                return;
            }
            st.flush();
            let hard = is_hard_container(name, &attrs);
            if hard {
                st.hard_depth += 1;
            }
            let caption = matches!(name, "figure" | "figcaption")
                || attrs.class.is_some_and(|c| {
                    c.split_whitespace().any(|t| {
                        t.eq_ignore_ascii_case("caption")
                            || ends_with_ignore_ascii_case(t, "-caption")
                            || ends_with_ignore_ascii_case(t, "_caption")
                            || ends_with_ignore_ascii_case(t, "caption-text")
                    })
                });
            if caption {
                st.caption_depth += 1;
            }
            st.kinds.push(kind_of(name));
            st.elems.push((
                node.id(),
                node.parent().map(|p| p.id()),
                node.parent().and_then(|p| p.parent()).map(|g| g.id()),
            ));
            for c in node.children() {
                walk(c, st, depth + 1);
            }
            st.flush();
            st.kinds.pop();
            st.elems.pop();
            if hard {
                st.hard_depth -= 1;
            }
            if caption {
                st.caption_depth -= 1;
            }
        }
        _ => {
            for c in node.children() {
                walk(c, st, depth + 1);
            }
        }
    }
}

/// The attributes [`walk`] reads of one element (the first of each name, as
/// `Element::attr` finds it), gathered in one pass.
#[derive(Default)]
struct WalkAttrs<'a> {
    class: Option<&'a str>,
    id: Option<&'a str>,
    href: Option<&'a str>,
    role: Option<&'a str>,
    aria_modal: Option<&'a str>,
    hidden: bool,
}

impl<'a> WalkAttrs<'a> {
    fn of(e: &'a scraper::node::Element) -> WalkAttrs<'a> {
        let mut a = WalkAttrs::default();
        for (k, v) in e.attrs() {
            let slot = match k {
                "class" => &mut a.class,
                "id" => &mut a.id,
                "href" => &mut a.href,
                "role" => &mut a.role,
                "aria-modal" => &mut a.aria_modal,
                "hidden" => {
                    a.hidden = true;
                    continue;
                }
                _ => continue,
            };
            slot.get_or_insert(v);
        }
        a
    }
}

/// Containers whose text is never article text: cookie/consent dialogs, comment sections,
/// author boxes, share bars, newsletter boxes and related-post lists (matched on class/id
/// tokens and `role=dialog`; never `html`, `body`, `main` or `article` themselves).
fn is_hard_container(name: &str, attrs: &WalkAttrs) -> bool {
    if matches!(name, "html" | "body" | "main" | "article") {
        return false;
    }
    if attrs.role == Some("dialog") || attrs.aria_modal == Some("true") {
        return true;
    }
    // Each class token and the id are lower-cased into a stack buffer (no lower-cased copy of
    // every element's class and id on the heap); every name tested is ASCII and at most
    // `TOKEN` bytes long, so a longer token is tested by its first `TOKEN` bytes (prefixes)
    // and never equals one.
    const TOKEN: usize = 32;
    fn hard_token(t: &str) -> bool {
        let mut buf = [0u8; TOKEN];
        let n = t.len().min(TOKEN);
        for (d, s) in buf.iter_mut().zip(t.as_bytes()) {
            *d = s.to_ascii_lowercase();
        }
        let head = &buf[..n];
        [
            &b"cookie"[..],
            b"consent",
            b"gdpr",
            b"onetrust",
            b"didomi",
            b"cmp-",
            b"author-box",
            b"author-bio",
            b"authorbox",
            b"about-author",
            b"author-info",
            b"post-share",
            b"share-buttons",
            b"sharedaddy",
            b"social-share",
            b"newsletter",
            b"related-posts",
            b"related-articles",
            b"jp-relatedposts",
            b"yarpp",
        ]
        .iter()
        .any(|p| head.starts_with(p))
            || t.len() <= TOKEN
                && matches!(
                    head,
                    b"comments"
                        | b"comments-area"
                        | b"comment-respond"
                        | b"comment-list"
                        | b"commentlist"
                        | b"comments-section"
                        | b"comment-form"
                )
    }
    let id = attrs.id.unwrap_or("");
    if id.len() <= TOKEN && {
        let mut buf = [0u8; TOKEN];
        for (d, s) in buf.iter_mut().zip(id.as_bytes()) {
            *d = s.to_ascii_lowercase();
        }
        matches!(
            &buf[..id.len()],
            b"comments" | b"respond" | b"disqus_thread" | b"comment-section" | b"cookie-notice"
        )
    } {
        return true;
    }
    let class = attrs.class.unwrap_or("");
    class.split_whitespace().chain([id]).any(hard_token)
}

/// `s` ends with the ASCII string `suffix`, ASCII case ignored.
fn ends_with_ignore_ascii_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

fn text_of(node: NodeRef<Node>) -> String {
    let mut s = String::new();
    for d in node.descendants() {
        if let Node::Text(t) = d.value() {
            s.push_str(t);
        }
    }
    s
}

/// Splits an HTML fragment into text blocks in document order.
pub fn blocks_from_fragment(html: &str, base: &Url) -> Vec<Block> {
    let frag = Html::parse_fragment(html);
    blocks_from_node(frag.tree.root(), base)
}

/// Splits the subtree at `node` into text blocks in document order, links resolved against
/// `base`.
pub fn blocks_from_node(node: NodeRef<Node>, base: &Url) -> Vec<Block> {
    let mut blocks = blocks_unresolved(node, base);
    for b in &mut blocks {
        b.resolve_links(base);
    }
    blocks
}

/// [`blocks_from_node`] without resolving the links (`links_resolved` is `false`).
fn blocks_unresolved(node: NodeRef<Node>, base: &Url) -> Vec<Block> {
    let mut st = State {
        base,
        base_http: matches!(base.scheme(), "http" | "https")
            && base
                .host_str()
                .is_some_and(|h| !h.is_empty() && !h.starts_with('.')),
        buf: String::new(),
        links: Vec::new(),
        link_chars: 0,
        kinds: Vec::new(),
        out: Vec::new(),
        hard_depth: 0,
        caption_depth: 0,
        elems: Vec::new(),
    };
    walk(node, &mut st, 0);
    st.flush();
    st.out
}

/// Chinese and Japanese characters (Han, kana), written without spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// Word count: whitespace-separated words, where a run of Chinese/Japanese characters counts
/// as one word per two characters (those scripts do not separate words with spaces).
fn words(s: &str) -> usize {
    s.split_whitespace()
        .map(|w| {
            let cjk = w.chars().filter(|&c| is_cjk(c)).count();
            if cjk == 0 { 1 } else { cjk.div_ceil(2) }
        })
        .sum()
}

/// Lower-cased text with leading punctuation removed.
fn lead(s: &str) -> String {
    s.trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

const TEASER_CUES: &[&str] = &[
    "read also",
    "also read",
    "read more:",
    "read more -",
    "see also",
    "related:",
    "related article",
    "related story",
    "related stories",
    "related post",
    "related news",
    "related coverage",
    "related content",
    "recommended:",
    "more:",
    "must read:",
    "don't miss:",
    "watch:",
    "also on ",
    "also:",
    "lesen sie auch",
    "auch interessant",
    "mehr zum thema",
    "das könnte sie auch interessieren",
    "lire aussi",
    "à lire aussi",
    "a lire aussi",
    "lee también",
    "lea también",
    "leer también",
    "te puede interesar",
    "leia também",
    "leia mais",
    "veja também",
    "читайте также",
    "смотрите также",
    "читайте по теме",
    "ayrıca okuyun",
    "ayrıca bakınız",
    "ilgili haber",
    "ilginizi çekebilir",
    "leggi anche",
    "zie ook",
    "lees ook",
    "czytaj też",
    "czytaj także",
    "اقرأ أيضا",
    "اقرأ أيضاً",
    "相关阅读",
    "相关新闻",
    "延伸阅读",
    "関連記事",
];

const SECTION_CUES: &[&str] = &[
    "read more",
    "read next",
    "related",
    "related articles",
    "related stories",
    "related posts",
    "related news",
    "related content",
    "related links",
    "related coverage",
    "related topics",
    "more stories",
    "more news",
    "more from",
    "more on this",
    "more on this story",
    "you may also like",
    "you might also like",
    "you may be interested in",
    "recommended",
    "recommended for you",
    "recommended stories",
    "most popular",
    "most read",
    "popular posts",
    "popular stories",
    "trending",
    "trending now",
    "latest news",
    "latest stories",
    "what to read next",
    "don't miss",
    "also on",
    "top stories",
    "editor's picks",
    "mehr zum thema",
    "weitere artikel",
    "das könnte sie auch interessieren",
    "lire aussi",
    "à lire aussi",
    "noticias relacionadas",
    "te puede interesar",
    "notícias relacionadas",
    "leia também",
    "читайте также",
    "по теме",
    "ilgili haberler",
    "benzer haberler",
    "articoli correlati",
];

const COMMENT_CUES: &[&str] = &[
    "leave a reply",
    "leave a comment",
    "leave your comment",
    "post a comment",
    "post comment",
    "add a comment",
    "add comment",
    "join the discussion",
    "join the conversation",
    "comments are closed",
    "your email address will not be published",
    "required fields are marked",
    "save my name, email",
    "you must be logged in to post a comment",
    "cancel reply",
    "lascia un commento",
    "lascia una risposta",
    "deja un comentario",
    "deja una respuesta",
    "deixe um comentário",
    "deixe uma resposta",
    "laisser un commentaire",
    "laisser une réponse",
    "kommentar schreiben",
    "schreibe einen kommentar",
    "hinterlasse einen kommentar",
    "yorum yap",
    "yorum yazın",
    "bir yanıt yazın",
    "оставить комментарий",
    "добавить комментарий",
    "оставьте комментарий",
];

const AD_LABELS: &[&str] = &[
    "advertisement",
    "advertisements",
    "advertising",
    "sponsored",
    "sponsored content",
    "anzeige",
    "werbung",
    "publicidad",
    "publicité",
    "pubblicità",
    "reklam",
    "реклама",
    "story continues below advertisement",
    "article continues below advertisement",
    "continue reading below",
    "continue reading the main story",
    "scroll to continue with content",
    "skip advertisement",
];

const SHARE_WORDS: &[&str] = &[
    "share",
    "shares",
    "shared",
    "tweet",
    "tweets",
    "pin",
    "pins",
    "email",
    "e-mail",
    "print",
    "facebook",
    "twitter",
    "linkedin",
    "whatsapp",
    "pinterest",
    "reddit",
    "telegram",
    "messenger",
    "flipboard",
    "tumblr",
    "vk",
    "comments",
    "comment",
    "views",
    "view",
    "likes",
    "like",
    "loading",
    "this",
    "on",
    "via",
    "copy",
    "link",
    "k",
    "m",
    "reads",
    "letture",
    "sms",
    "mail",
    "save",
    "and",
    "x",
    "google",
    "gmail",
    "click",
    "to",
    "opens",
    "in",
    "new",
    "window",
    "a",
    "friend",
    "compartir",
    "teilen",
    "partager",
    "paylaş",
    "condividi",
    "compartilhe",
    "поделиться",
    "twittear",
    "nessun",
    "commento",
];

const NEWSLETTER_CUES: &[&str] = &[
    "newsletter",
    "delivered to your inbox",
    "straight to your inbox",
    "in your inbox",
    "unsubscribe at any time",
    "sign up now",
    "sign up for",
    "subscribe to our",
    "subscribe now",
    "enter your email",
    "email address subscribe",
];

const TAG_CUES: &[&str] = &[
    "tags:",
    "tags ",
    "tagged:",
    "tagged with",
    "tagged in",
    "filed under",
    "topics:",
    "schlagwörter",
    "etiquetas:",
    "etiketler:",
    "теги:",
    "tag:",
];

const BIO_CUES: &[&str] = &[
    "follow him on",
    "follow her on",
    "follow them on",
    "follow him @",
    "follow her @",
    "is a staff writer",
    "is a staff reporter",
    "is a freelance",
    "is a contributing",
    "has been writing for",
    "about the author",
    "reach him at",
    "reach her at",
];

const PROMO_STARTS: &[&str] = &[
    "subscribe to",
    "subscribe for",
    "click to subscribe",
    "click here",
    "join our",
    "join the conversation",
    "follow us",
    "like this story",
    "like us on",
    "let our news meet your inbox",
    "if you enjoyed this article",
    "do you rely on",
    "support our journalism",
    "download the",
    "get the latest",
    "write to ",
    "reach the reporter",
    "reach the writer",
    "sign up for",
    "sign up to",
    "this site is protected by recaptcha",
];

const CONTRIB_CUES: &[&str] = &[
    "contributed to this report",
    "contributed to this story",
    "contributed reporting",
    "additional reporting by",
    "contributed to this article",
];

const ROLE_WORDS: &[&str] = &[
    "reporter",
    "writer",
    "editor",
    "correspondent",
    "journalist",
    "contributor",
    "columnist",
    "producer",
    "curator",
];

/// All-capitals text (a teaser headline in caps), not ending like a sentence.
fn is_shouting(text: &str) -> bool {
    // One pass that stops at the first lower-case letter (the usual case: prose).
    let (mut letters, mut upper) = (0usize, false);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        if c.is_lowercase() {
            return false;
        }
        letters += 1;
        upper |= c.is_uppercase();
    }
    letters >= 15 && upper && !text.trim_end().ends_with('.')
}

fn starts_with_any(lower: &str, cues: &[&str]) -> bool {
    cues.iter().any(|c| lower.starts_with(c))
}

/// The long cue lists searched inside a block's lower-cased text, one bit each in the mask
/// [`cue_hits`] returns.
const CONTRIB: u8 = 1;
const ROLE: u8 = 2;
const NEWSLETTER: u8 = 4;
const BIO: u8 = 8;

/// One automaton over the four long cue lists (each distinct cue once, with the bits of the
/// lists holding it): one overlapping pass over a block's text tells which lists occur in it,
/// instead of one pass per list.
static CUES: LazyLock<(AhoCorasick, Vec<u8>)> = LazyLock::new(|| {
    let mut cues: Vec<&str> = Vec::new();
    let mut bits: Vec<u8> = Vec::new();
    for (list, bit) in [
        (CONTRIB_CUES, CONTRIB),
        (ROLE_WORDS, ROLE),
        (NEWSLETTER_CUES, NEWSLETTER),
        (BIO_CUES, BIO),
    ] {
        for c in list {
            match cues.iter().position(|x| x == c) {
                Some(k) => bits[k] |= bit,
                None => {
                    cues.push(c);
                    bits.push(bit);
                }
            }
        }
    }
    let ac = AhoCorasick::new(&cues).expect("static cue lists build");
    (ac, bits)
});

/// Which of the long cue lists (bits `CONTRIB`, `ROLE`, `NEWSLETTER`, `BIO`) have a cue
/// somewhere in `lower`.
fn cue_hits(lower: &str) -> u8 {
    let (ac, bits) = &*CUES;
    let mut mask = 0u8;
    for m in ac.find_overlapping_iter(lower) {
        mask |= bits[m.pattern().as_usize()];
        if mask == CONTRIB | ROLE | NEWSLETTER | BIO {
            break;
        }
    }
    mask
}

/// Words that a share bar / counter line must contain one of ([`is_share_counter`]), matched
/// ASCII-case-insensitively before any tokenising.
static SHARE_HINTS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build([
            "share",
            "shares",
            "tweet",
            "facebook",
            "twitter",
            "whatsapp",
            "pinterest",
            "linkedin",
            "email",
            "comments",
            "like",
            "views",
            "letture",
        ])
        .expect("static list builds")
});

fn contains_any(lower: &str, cues: &[&str]) -> bool {
    cues.iter().any(|c| lower.contains(c))
}

fn is_share_counter(text: &str) -> bool {
    // Every share counter holds one of the `has_share` words below.
    if !SHARE_HINTS.is_match(text) {
        return false;
    }
    // Cheap bound first: most blocks are prose with far more than 24 words.
    if text
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .nth(24)
        .is_some()
    {
        return false;
    }
    let ws: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    if ws.is_empty() || ws.len() > 24 {
        return false;
    }
    let hits = ws
        .iter()
        .filter(|w| {
            SHARE_WORDS.contains(&w.as_str())
                || w.chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == ',' || c == 'k')
        })
        .count();
    let has_share = ws.iter().any(|w| {
        matches!(
            w.as_str(),
            "share"
                | "shares"
                | "tweet"
                | "facebook"
                | "twitter"
                | "whatsapp"
                | "pinterest"
                | "linkedin"
                | "email"
                | "comments"
                | "like"
                | "views"
                | "letture"
        )
    });
    has_share && hits * 10 >= ws.len() * 8
}

/// Why a block is boilerplate, or `None` if it is kept.
pub fn boilerplate_reason(b: &Block) -> Option<&'static str> {
    if b.credit {
        return None;
    }
    let n = b.words;
    if b.caption {
        return Some("caption");
    }
    if n > 90 {
        // Every rule below except these two is for short blocks (≤ 90 words): no need to
        // lower-case a long paragraph.
        if is_shouting(&b.text) {
            return Some("shouting-teaser");
        }
        return is_share_counter(&b.text).then_some("share");
    }
    let lower = lead(&b.text);
    if n <= 40 && {
        let t = lower.trim_end();
        t.ends_with(')')
            && t.rfind('(').is_some_and(|i| {
                starts_with_any(
                    &t[i + 1..],
                    &[
                        "image:",
                        "photo:",
                        "picture:",
                        "credit:",
                        "image credit",
                        "photo credit",
                        "pic:",
                    ],
                )
            })
    } {
        return Some("caption");
    }
    if n <= 8
        && starts_with_any(&lower, &["updated", "published", "posted", "last updated"])
        && super::dates::parse_loose(&b.text).is_some()
        || n <= 6 && lower.starts_with("updated at")
    {
        return Some("dateline");
    }
    // Every date form with a time of day that `parse_loose` reads has a `:` (cheap test first).
    if n <= 16
        && b.text.contains(':')
        && b.text.chars().any(|c| c.is_ascii_digit())
        && super::dates::parse_loose(&b.text).is_some_and(|d| d.has_time)
    {
        return Some("dateline");
    }
    if n <= 20 && (lower.starts_with("copyright") || b.text.trim_start().starts_with('©')) {
        return Some("copyright");
    }
    if n <= 30 && starts_with_any(&lower, PROMO_STARTS) {
        return Some("promo");
    }
    // The cue-list mask, computed once on first use (not at all for blocks an earlier rule
    // settles).
    let mut hits: Option<u8> = None;
    let mut hit = |bit: u8| *hits.get_or_insert_with(|| cue_hits(&lower)) & bit != 0;
    if n <= 30 && hit(CONTRIB) {
        return Some("contributors");
    }
    if n <= 35
        && contains_any(&lower, &[" is a ", " is an ", " joined "])
        && hit(ROLE)
        && !lower.contains('"')
        && !lower.contains('\u{201c}')
    {
        return Some("bio");
    }
    if n >= 5 && is_shouting(&b.text) {
        return Some("shouting-teaser");
    }
    if n <= 30 && starts_with_any(&lower, TEASER_CUES) {
        return Some("teaser");
    }
    if n <= 12 && starts_with_any(&lower, COMMENT_CUES)
        || n <= 40 && contains_any(&lower, &COMMENT_CUES[9..14])
    {
        return Some("comment-form");
    }
    let bare = lower.trim_end_matches(|c: char| !c.is_alphanumeric());
    if n <= 8 && AD_LABELS.contains(&bare) {
        return Some("ad-label");
    }
    if is_share_counter(&b.text) {
        return Some("share");
    }
    if n <= 45 && hit(NEWSLETTER) {
        return Some("newsletter");
    }
    if n <= 30 && starts_with_any(&lower, TAG_CUES) {
        return Some("tags");
    }
    if n <= 70 && hit(BIO) {
        return Some("bio");
    }
    if n <= 90
        && lower.contains("cookie")
        && contains_any(&lower, &["consent", "accept", "we use", "privacy", "agree"])
    {
        return Some("cookie");
    }
    None
}

fn is_section_heading(b: &Block) -> bool {
    let n = b.words;
    if n > 7 {
        return false;
    }
    let lower = lead(&b.text);
    let bare = lower.trim_end_matches(|c: char| !c.is_alphanumeric());
    SECTION_CUES
        .iter()
        .any(|c| bare == *c || (bare.starts_with(c) && b.kind == Kind::Heading && c.len() >= 7))
}

fn is_comment_heading(b: &Block) -> bool {
    let lower = lead(&b.text);
    b.words <= 8 && starts_with_any(&lower, &COMMENT_CUES[..9])
}

/// At least one of the block's links resolves (an absolute http(s) URL, not a same-page
/// anchor) and anchor text is ≥ 60% of the text; computed when the block is made.
fn link_dense(b: &Block) -> bool {
    b.link_dense
}

/// Applies the boilerplate rules to blocks in document order.
///
/// - single blocks: teasers ("Read also: …"), share counters, ad labels, newsletter prompts,
///   tag lines, author bios, cookie notices, comment-form prompts;
/// - a "Related"/"Read more"/"You may also like" heading drops itself and the list items or
///   link-dense blocks after it;
/// - a "Leave a reply" / "Leave a comment" heading drops everything after it except credit lines.
pub fn filter_boilerplate(blocks: Vec<Block>) -> Vec<Block> {
    let idx: Vec<usize> = (0..blocks.len()).collect();
    filter_boilerplate_idx(&blocks, &idx)
        .into_iter()
        .map(|i| blocks[i].clone())
        .collect()
}

/// [`filter_boilerplate`] over the blocks `page[idx[..]]`; returns the kept indices.
pub fn filter_boilerplate_idx(page: &[Block], idx: &[usize]) -> Vec<usize> {
    let blocks: Vec<&Block> = idx.iter().map(|&i| &page[i]).collect();
    let mut out = Vec::with_capacity(blocks.len());
    let mut i = 0;
    let mut in_comments = false;
    while i < blocks.len() {
        let b = blocks[i];
        if in_comments {
            if b.credit {
                out.push(idx[i]);
            }
            i += 1;
            continue;
        }
        if is_comment_heading(b) {
            in_comments = true;
            i += 1;
            continue;
        }
        if is_section_heading(b) {
            i += 1;
            while i < blocks.len() {
                let nb = blocks[i];
                let teaser_like = nb.kind == Kind::Item
                    || link_dense(nb)
                    || (nb.words <= 5 && nb.kind != Kind::Heading);
                if teaser_like && !nb.credit {
                    i += 1;
                } else {
                    break;
                }
            }
            continue;
        }
        if b.bp.is_none() {
            out.push(idx[i]);
        }
        i += 1;
    }
    out
}

/// Joins blocks into body text: one block per paragraph, separated by a blank line.
pub fn join_text(blocks: &[Block]) -> String {
    let mut s = String::new();
    for b in blocks {
        if !s.is_empty() {
            s.push_str("\n\n");
        }
        s.push_str(&b.text);
    }
    s
}

/// Token hashes of a text (lower-cased `\w+` runs), for matching blocks against an
/// extractor's output.
fn token_hashes(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for t in super::eval::tokens(text) {
        if t.chars().any(is_cjk) {
            // Each Chinese/Japanese character is a token, so 4-token shingles still work.
            let mut buf = [0u8; 4];
            for c in t.chars() {
                out.push(xxhash_rust::xxh3::xxh3_64(
                    c.encode_utf8(&mut buf).as_bytes(),
                ));
            }
        } else {
            out.push(xxhash_rust::xxh3::xxh3_64(t.to_lowercase().as_bytes()));
        }
    }
    out
}

fn shingle_hashes(toks: &[u64]) -> impl Iterator<Item = u64> + '_ {
    toks.windows(4).map(|w| {
        w.iter().fold(0x9E37_79B9_7F4A_7C15u64, |h, t| {
            (h.rotate_left(23) ^ t).wrapping_mul(0x100_0000_01B3)
        })
    })
}

/// Hasher of the shingle-hash and line-hash maps (keys are already well mixed).
type PassBuild = std::hash::BuildHasherDefault<crate::inthash::IntHasher>;

/// One hash for a whole line's token hashes (order-sensitive).
fn line_key(toks: &[u64]) -> u64 {
    toks.iter().fold(0xCBF2_9CE4_8422_2325u64, |h, t| {
        (h.rotate_left(29) ^ t).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    })
}

/// The text of one extractor's output, indexed for block matching.
pub struct Reference {
    shingles: HashSet<u64, PassBuild>,
    counts: HashMap<u64, u32, PassBuild>,
    lines: HashSet<u64, PassBuild>,
    line_counts: HashMap<u64, u32, PassBuild>,
    /// Number of tokens.
    pub tokens: usize,
}

impl Reference {
    /// Indexes `text` (lines separated by newlines).
    pub fn new(text: &str) -> Reference {
        let toks = token_hashes(text);
        let mut counts: HashMap<u64, u32, PassBuild> = HashMap::default();
        for h in shingle_hashes(&toks) {
            *counts.entry(h).or_insert(0) += 1;
        }
        let shingles = counts.keys().copied().collect();
        let mut line_counts: HashMap<u64, u32, PassBuild> = HashMap::default();
        for l in text.lines().map(token_hashes).filter(|l| !l.is_empty()) {
            *line_counts.entry(line_key(&l)).or_insert(0) += 1;
        }
        Reference {
            shingles,
            counts,
            lines: line_counts.keys().copied().collect(),
            line_counts,
            tokens: toks.len(),
        }
    }

    /// Share (0..1) of the block's 4-token shingles found in the reference; for blocks of fewer
    /// than four tokens, 1 when the block is a whole line of the reference, else 0.
    pub fn coverage(&self, block_tokens: &[u64]) -> f64 {
        if block_tokens.is_empty() {
            return 0.0;
        }
        if block_tokens.len() < 4 {
            return if self.lines.contains(&line_key(block_tokens)) {
                1.0
            } else {
                0.0
            };
        }
        let total = block_tokens.len() - 3;
        let hit = shingle_hashes(block_tokens)
            .filter(|h| self.shingles.contains(h))
            .count();
        hit as f64 / total as f64
    }
}

/// Which extractors' outputs select the body blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyEngine {
    /// Our own block scorer over the one shared parse ([`BodyEngine::Scored`]); when its
    /// result is doubtful (see `doubtful`), dom_smoothie (Readability) gives a second opinion:
    /// if its body has the same words (≥ 99%), the scorer's body stands; otherwise the body is
    /// the span both agree on, with the blocks either selected inside it
    /// ([`Strategy::ScoredAndReadability`]); only when the two share under 25 words does
    /// trafilatura run, and [`BodyEngine::Agreement`] decides. F1 0.9792 on the bundled 123
    /// pages (7 doubtful, 4 of them take the agreed span, none needs trafilatura).
    #[default]
    Auto,
    /// Blocks that trafilatura and dom_smoothie (Readability) agree on, extended by the rules
    /// below. F1 0.9805 on the bundled 123 pages; three parses per page (≈ 1.8× Python
    /// trafilatura per core).
    Agreement,
    /// dom_smoothie (Readability) alone, then the same rules. F1 0.967 (recall 0.991); two
    /// parses per page.
    Readability,
    /// Our own block scorer over the shared DOM only (no other parse), then the same rules.
    /// F1 0.9778 on the bundled pages; ≈ 10× Python trafilatura per core.
    Scored,
}

/// How the body was chosen (for diagnostics and the eval command).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Blocks covered by both trafilatura's and dom_smoothie's output.
    Agreement,
    /// The group of sibling paragraphs with the most prose (both extractors found next to
    /// nothing).
    DensestGroup,
    /// Blocks covered by trafilatura's output.
    Trafilatura,
    /// Blocks covered by dom_smoothie's (Readability) output.
    Readability,
    /// Our own block scorer ([`BodyEngine::Scored`]).
    Scored,
    /// [`BodyEngine::Auto`] on a doubtful page: the span where our scorer's body and
    /// dom_smoothie's (Readability) agree, with the blocks either selected inside it.
    ScoredAndReadability,
}

/// Result of body selection over the page's blocks.
pub struct BodySelection {
    /// All text blocks of the page, in document order.
    pub page: Vec<Block>,
    /// Indices (into `page`) of the body blocks, ascending, boilerplate removed.
    pub body: Vec<usize>,
    /// Which extractor's output decided.
    pub strategy: Strategy,
}

fn trafilatura_text(html: &str, url: &Url) -> String {
    let mut opts = trafilatura::Options::default().with_url(url.clone());
    opts.html_date_mode = trafilatura::HtmlDateMode::Disabled;
    trafilatura::extract(html, &opts)
        .map(|r| r.content_text)
        .unwrap_or_default()
}

fn readability_text(html: &str, url: &Url) -> String {
    let cfg = dom_smoothie::Config::default();
    let Ok(mut r) = dom_smoothie::Readability::new(html, Some(url.as_str()), Some(cfg)) else {
        return String::new();
    };
    r.parse()
        .map(|a| a.text_content.to_string())
        .unwrap_or_default()
}

const COVERED: f64 = 0.5;

/// Blocks gap (in unselected blocks) that still joins two selected blocks into one run.
const RUN_GAP: usize = 8;

/// Blocks covered by the reference. Text that a page repeats (teasers, carousels, a second
/// copy of the article) is counted once: covered blocks are grouped into runs, and runs are
/// taken largest first, each block consuming the reference shingles (a multiset) it uses; a
/// block whose shingles were already consumed is dropped.
fn select(page: &[Block], toks: &[Vec<u64>], r: &Reference) -> Vec<usize> {
    let covered: Vec<usize> = (0..page.len())
        .filter(|&i| !page[i].hard_boilerplate && r.coverage(&toks[i]) >= COVERED)
        .collect();
    let mut runs: Vec<Vec<usize>> = Vec::new();
    for &i in &covered {
        match runs.last_mut() {
            Some(run) if i - run.last().copied().unwrap_or(i) <= RUN_GAP + 1 => run.push(i),
            _ => runs.push(vec![i]),
        }
    }
    runs.sort_by_key(|run| std::cmp::Reverse(run.iter().map(|&i| toks[i].len()).sum::<usize>()));
    let mut counts = r.counts.clone();
    let mut line_counts = r.line_counts.clone();
    let mut out = Vec::new();
    for run in runs {
        for i in run {
            let t = &toks[i];
            if t.len() < 4 {
                if let Some(c) = line_counts.get_mut(&line_key(t)).filter(|c| **c > 0) {
                    *c -= 1;
                    out.push(i);
                }
                continue;
            }
            let sh: Vec<u64> = shingle_hashes(t).collect();
            let avail = sh
                .iter()
                .filter(|h| counts.get(h).is_some_and(|c| *c > 0))
                .count();
            if avail as f64 >= COVERED * sh.len() as f64 {
                for h in &sh {
                    if let Some(c) = counts.get_mut(h).filter(|c| **c > 0) {
                        *c -= 1;
                    }
                }
                out.push(i);
            }
        }
    }
    out.sort_unstable();
    out
}

fn words_of(page: &[Block], idx: &[usize]) -> usize {
    idx.iter().map(|&i| page[i].words).sum()
}

/// The nearest ancestor of `from` (below `<body>`/`<html>`) that contains at least `need` of
/// `nodes`: where an article split into sibling containers comes together.
fn ancestor_holding(
    doc: &Html,
    from: ego_tree::NodeId,
    nodes: &[ego_tree::NodeId],
    need: usize,
) -> Option<ego_tree::NodeId> {
    let mut cur = doc.tree.get(from).and_then(|n| n.parent());
    while let Some(a) = cur {
        if matches!(
            a.value().as_element().map(|e| e.name()),
            Some("body" | "html") | None
        ) {
            return None;
        }
        let held = nodes
            .iter()
            .filter(|c| {
                doc.tree
                    .get(**c)
                    .is_some_and(|n| n.ancestors().any(|x| x.id() == a.id()))
            })
            .count();
        if held >= need {
            return Some(a.id());
        }
        cur = a.parent();
    }
    None
}

/// Largest page (bytes of HTML after the pre-pass) handed to the fallback extractors; larger
/// pages keep the scorer's body.
pub const FALLBACK_MAX_HTML_BYTES: usize = 2 * 1024 * 1024;

/// Most attributes in one tag of a page handed to the fallback extractors (their parsers are
/// quadratic in it: 300,000 attributes took over a minute).
pub const FALLBACK_MAX_TAG_ATTRIBUTES: usize = 512;

/// Largest [`super::MarkupShape::depth_work`] (elements × their depth, levels) of a page
/// handed to the fallback extractors. Readability (dom_smoothie) and trafilatura walk each
/// element's ancestors, so their time grows with this product: 100,000 elements 4,990 levels
/// deep (a 2 MB page, `depth_work` ≈ 5·10⁸) took 25–43 s of CPU, 200 levels deep (≈ 2·10⁷)
/// 1.6 s. The bundled 123 news pages reach at most 14,283 (995 elements, depth ≤ 24), so
/// this is 70× their largest.
pub const FALLBACK_MAX_DEPTH_WORK: usize = 1_000_000;

/// Most start tags ([`super::MarkupShape::tags`]) of a page handed to the fallback extractors.
/// Their time and memory grow with the elements they build and query: 500,000 `<p>` tags
/// (2 MB) took 3 s of CPU and 900 MB. The bundled 123 pages have at most ≈ 1,600 (scripts,
/// styles and comments removed), so this is 30× their largest.
pub const FALLBACK_MAX_TAGS: usize = 50_000;

/// Most [`super::MarkupShape::stray_bytes`] (bytes that are each a parse error: NUL, a `<`
/// that opens no tag) in a page handed to the fallback extractors. Their parser (dom_query)
/// records every parse error, and Readability keeps more per such character: 1 MiB of NUL
/// bytes took 260 MB more than our own extraction. The bundled 123 pages have none.
pub const FALLBACK_MAX_STRAY_BYTES: usize = 10_000;

/// True when the fallback extractors can run on `html` (the page after
/// [`super::prestrip::strip`]) in bounded time and memory: [`FALLBACK_MAX_HTML_BYTES`],
/// [`FALLBACK_MAX_TAG_ATTRIBUTES`], [`FALLBACK_MAX_TAGS`], [`FALLBACK_MAX_DEPTH_WORK`] and
/// [`FALLBACK_MAX_STRAY_BYTES`] are checked with linear scans. Hostile pages must not stall
/// ingest or a crawl.
pub fn fallback_affordable(html: &str) -> bool {
    if html.len() > FALLBACK_MAX_HTML_BYTES
        || super::prestrip::widest_tag_attributes(html) > FALLBACK_MAX_TAG_ATTRIBUTES
    {
        return false;
    }
    let shape = super::markup_shape(html);
    shape.tags <= FALLBACK_MAX_TAGS
        && shape.depth_work <= FALLBACK_MAX_DEPTH_WORK
        && shape.stray_bytes <= FALLBACK_MAX_STRAY_BYTES
}

/// The scorer's body with Readability's retry: when the body has under [`RETRY_CHARS`]
/// characters, the scorer runs again without the unlikely-candidate test and the longer body
/// wins. Returns the body (indices into `page`) and the best container's score.
fn scorer_choice(page: &[Block], doc: &Html) -> (Vec<usize>, f64) {
    let (mut body, mut best_score) = scored_body(page, doc, true);
    if body_chars(page, &body) < RETRY_CHARS {
        // Readability's retry (`_grabArticle` with `FLAG_STRIP_UNLIKELYS` cleared): a
        // result this short usually means the article sits in containers whose class
        // names look like page furniture (page builders call every box a "widget").
        let (b2, s2) = scored_body(page, doc, false);
        if body_chars(page, &b2) > body_chars(page, &body) {
            (body, best_score) = (b2, s2);
        }
    }
    (one_composition(page, body, doc), best_score)
}

/// The innermost `<article>` element holding block `i` (`None` outside every `<article>`).
fn article_of(page: &[Block], i: usize, doc: &Html) -> Option<ego_tree::NodeId> {
    let node = page[i].elem.and_then(|id| doc.tree.get(id))?;
    std::iter::successors(Some(node), |n| n.parent())
        .find(|n| {
            n.value()
                .as_element()
                .is_some_and(|e| e.name() == "article")
        })
        .map(|n| n.id())
}

/// A body is one composition: when the blocks of `body` come from more than one `<article>`
/// element (their innermost `<article>` ancestors differ), only the blocks of the `<article>`
/// holding most of the body's words stay (the earlier one on a tie), together with the blocks
/// outside every `<article>` (a headline or byline above it).
///
/// Principle (HTML Living Standard §4.3.2, the `article` element): each `<article>` is a
/// self-contained composition, and `<article>`s nested in another are related to it but not
/// part of it (comments, teaser posts); sibling `<article>`s are separate compositions (a
/// listing). Our scorer adds up a container's paragraphs, so a story whose `<article>` also
/// holds teaser posts, or a story next to featured-post boxes, brings their text along.
/// On the bundled 123 pages this applies to 2 (both were sent to the fallback as doubtful
/// before session 11, where trafilatura fixed them).
fn one_composition(page: &[Block], body: Vec<usize>, doc: &Html) -> Vec<usize> {
    let arts: Vec<Option<ego_tree::NodeId>> =
        body.iter().map(|&i| article_of(page, i, doc)).collect();
    let mut words: Vec<(ego_tree::NodeId, usize)> = Vec::new();
    for (k, a) in arts.iter().enumerate() {
        let Some(a) = *a else { continue };
        match words.iter_mut().find(|(id, _)| *id == a) {
            Some((_, w)) => *w += page[body[k]].words,
            None => words.push((a, page[body[k]].words)),
        }
    }
    if words.len() < 2 {
        return body;
    }
    // Most words; on a tie the first in document order (`max_by_key` keeps the last maximum,
    // so search the reversed list).
    let best = words
        .iter()
        .rev()
        .max_by_key(|(_, w)| *w)
        .map(|(id, _)| *id)
        .expect("two or more");
    body.iter()
        .zip(&arts)
        .filter(|(_, a)| a.is_none_or(|a| a == best))
        .map(|(&i, _)| i)
        .collect()
}

/// Chooses the body blocks of a page.
///
/// The page is split into blocks in document order ([`blocks_from_node`]). With
/// [`BodyEngine::Scored`] / [`BodyEngine::Auto`], `scored` picks the article container and a
/// body spanning several `<article>` elements keeps the one with most words (for `Auto`, when
/// that is `doubtful`, dom_smoothie's selection gives a second opinion, see
/// `second_opinion`); with the other engines trafilatura's output
/// marks the blocks it covers (≥ 50% of a block's 4-token shingles, or the whole line for short
/// blocks); when that selection is thin (under 60% of the words dom_smoothie's Readability
/// selects, or under 25 words), Readability's selection is used instead. Blocks inside cookie
/// dialogs and comment sections never count; then [`filter_boilerplate`] applies.
///
/// Pages the fallback extractors cannot afford ([`fallback_affordable`]: too large, too many
/// attributes in a tag, too many elements, elements × depth too large, too many parse-error bytes) never reach
/// them, whatever the engine: they keep the scorer's body (`strategy` is then
/// [`Strategy::Scored`]).
///
/// `html` is the whole page (decoded); the fallback extractors get it through
/// [`super::prestrip::strip`], made only when they run. `doc` is our parse of the page.
///
/// Links (`Block::links`) are resolved against `url` only in the blocks that can reach the
/// article: the body span and the three blocks after it (see [`closing_links`]), and credit
/// lines; the other blocks keep their hrefs as written (`links_resolved` is `false`).
pub fn select_body(html: &str, doc: &Html, url: &Url, engine: BodyEngine) -> BodySelection {
    let mut sel = select_body_unresolved(html, doc, url, engine);
    let span = match (sel.body.first(), sel.body.last()) {
        (Some(&first), Some(&last)) => Some(first..=(last + 3)),
        _ => None,
    };
    for (i, b) in sel.page.iter_mut().enumerate() {
        if b.credit || span.as_ref().is_some_and(|s| s.contains(&i)) {
            b.resolve_links(url);
        }
    }
    sel
}

/// [`select_body`] with no link resolved.
fn select_body_unresolved(html: &str, doc: &Html, url: &Url, engine: BodyEngine) -> BodySelection {
    let root = doc
        .select(&scraper::Selector::parse("body").expect("static selector"))
        .next()
        .map(|b| *b)
        .unwrap_or_else(|| doc.tree.root());
    let page = blocks_unresolved(root, url);
    let mut scorer_body: Option<Vec<usize>> = None;
    if matches!(engine, BodyEngine::Scored | BodyEngine::Auto) {
        let (body, best_score) = scorer_choice(&page, doc);
        if engine == BodyEngine::Scored || !doubtful(&body, best_score) {
            return BodySelection {
                page,
                body,
                strategy: Strategy::Scored,
            };
        }
        scorer_body = Some(body);
    }
    // The fallback extractors read the page with every attribute, without script/style/SVG
    // content and comments (made only now: most pages never get here).
    let stripped = super::prestrip::strip(html);
    let html = stripped.as_str();
    if !fallback_affordable(html) {
        // Whatever the engine: the scorer's body (computed now for the other engines).
        let body = scorer_body.unwrap_or_else(|| scorer_choice(&page, doc).0);
        return BodySelection {
            page,
            body,
            strategy: Strategy::Scored,
        };
    }
    let toks: Vec<Vec<u64>> = page.iter().map(|b| token_hashes(&b.text)).collect();
    let r_text = readability_text(html, url);
    let r_ref = Reference::new(&r_text);
    let r_sel = select(&page, &toks, &r_ref);
    if let Some(body) = scorer_body
        && let Some((body, strategy)) = second_opinion(&page, body, &r_sel)
    {
        // `Auto` on a doubtful page: dom_smoothie (Readability) is the second opinion; no
        // trafilatura run unless the two share next to nothing.
        return BodySelection {
            page,
            body,
            strategy,
        };
    }
    let t_ref = match engine {
        BodyEngine::Readability => Reference::new(&r_text),
        _ => Reference::new(&trafilatura_text(html, url)),
    };
    let t_sel = select(&page, &toks, &t_ref);
    let (t_words, r_words) = (words_of(&page, &t_sel), words_of(&page, &r_sel));
    let inter: Vec<usize> = t_sel
        .iter()
        .copied()
        .filter(|i| r_sel.binary_search(i).is_ok())
        .collect();
    let i_words = words_of(&page, &inter);
    let (mut chosen, mut strategy) = if i_words >= 25 {
        (inter, Strategy::Agreement)
    } else if t_words >= 25 {
        (t_sel.clone(), Strategy::Trafilatura)
    } else if r_words > t_words {
        (r_sel.clone(), Strategy::Readability)
    } else {
        (t_sel.clone(), Strategy::Trafilatura)
    };
    if words_of(&page, &chosen) < 25 {
        let g = densest_group(&page);
        if words_of(&page, &g) > words_of(&page, &chosen) * 2 {
            chosen = g;
            strategy = Strategy::DensestGroup;
        }
    }
    if strategy == Strategy::Agreement {
        chosen = extend_with_vouched(&page, chosen, &t_sel, &r_sel);
    }
    let body = finish_selection(&page, chosen);
    let chosen = body.clone();
    if std::env::var_os("COPYTRAIL_DEBUG_BODY").is_some() {
        for (i, b) in page.iter().enumerate() {
            let mark = if body.contains(&i) {
                "B"
            } else if chosen.contains(&i) {
                "x"
            } else {
                " "
            };
            eprintln!(
                "{mark} {i:4} {:.2} {:.2} {:?} {}",
                t_ref.coverage(&toks[i]),
                r_ref.coverage(&toks[i]),
                b.kind,
                b.text.chars().take(100).collect::<String>()
            );
        }
    }
    BodySelection {
        page,
        body,
        strategy,
    }
}

/// Ancestor levels a paragraph's score reaches (parent, grandparent, …).
const SCORE_LEVELS: usize = 5;

/// Body length (characters of text, as Readability's `charThreshold`, 500) under which the
/// scorer is run again without the unlikely-candidate test.
const RETRY_CHARS: usize = 500;

/// Characters (bytes of UTF-8 text) of the blocks `idx`.
fn body_chars(page: &[Block], idx: &[usize]) -> usize {
    idx.iter().map(|&i| page[i].text.len()).sum()
}

/// [`scored`] finished by [`finish_selection`]; when nothing survives, the sibling group with
/// the most prose. Returns the body (indices into `page`) and the best container's score.
fn scored_body(page: &[Block], doc: &Html, strip_unlikely: bool) -> (Vec<usize>, f64) {
    let (chosen, best_score) = scored(page, doc, strip_unlikely);
    let mut body = finish_selection(page, chosen);
    if body.is_empty() {
        // No scored container survived: the sibling group with the most prose.
        body = finish_selection(page, densest_group(page));
    }
    (body, best_score)
}

/// Our own block scorer over the shared DOM (no second parse), after Readability's
/// content-score idea (Mozilla Readability.js `_grabArticle`): every prose block (≥ 5 words, not
/// boilerplate, not in a caption or hard-boilerplate container) scores `1 + commas + min(chars /
/// 100, 3)` times `(1 − its link density)`; the score goes to its container (full), the
/// container's parent (half) and further ancestors (÷ 3·level). Text and link characters are
/// summed bottom-up once per ancestor; a container's score is scaled by `1 − link density` of
/// all its text. The best container's blocks are selected, together with the blocks of sibling
/// containers scoring ≥ 20% of the best (articles split by ad slots). Link-dense and
/// hard-boilerplate blocks are left out here; the usual extension and boilerplate rules follow.
/// With `strip_unlikely`, blocks whose nearest three containers look like page furniture
/// ([`unlikely_candidate`]) do not score (Readability's `FLAG_STRIP_UNLIKELYS`).
fn scored(page: &[Block], doc: &Html, strip_unlikely: bool) -> (Vec<usize>, f64) {
    type Acc = HashMap<ego_tree::NodeId, (f64, usize, usize), PassNodeBuild>;
    let mut acc: Acc = HashMap::default();
    // Ancestor chain per block (container first), computed once.
    let mut chains: Vec<[Option<ego_tree::NodeId>; SCORE_LEVELS + 3]> =
        Vec::with_capacity(page.len());
    let mut unlikely_cache: HashMap<ego_tree::NodeId, bool, PassNodeBuild> = HashMap::default();
    let mut unlikely_block: Vec<bool> = Vec::with_capacity(page.len());
    for b in page {
        let mut chain = [None; SCORE_LEVELS + 3];
        if let Some(node) = b.elem.and_then(|id| doc.tree.get(id)) {
            let own_container = node.value().as_element().is_some_and(|e| {
                !matches!(
                    e.name(),
                    "p" | "h1"
                        | "h2"
                        | "h3"
                        | "h4"
                        | "h5"
                        | "h6"
                        | "li"
                        | "dd"
                        | "dt"
                        | "tr"
                        | "blockquote"
                        | "pre"
                )
            });
            let start = if own_container {
                Some(node)
            } else {
                node.parent()
            };
            let mut k = 0;
            let mut cur = start;
            while let Some(n) = cur {
                if k >= chain.len() {
                    break;
                }
                if n.value().is_element() {
                    chain[k] = Some(n.id());
                    k += 1;
                }
                cur = n.parent();
            }
        }
        // Only the nearest containers: layout wrappers high up often carry "sidebar" classes
        // ("has-sidebar", "right-sidebar") around the article itself.
        let unlikely = strip_unlikely
            && chain.iter().take(3).flatten().any(|id| {
                *unlikely_cache.entry(*id).or_insert_with(|| {
                    doc.tree
                        .get(*id)
                        .and_then(|n| n.value().as_element().map(unlikely_candidate))
                        .unwrap_or(false)
                })
            });
        unlikely_block.push(unlikely);
        chains.push(chain);
    }
    for ((b, chain), unlikely) in page.iter().zip(&chains).zip(&unlikely_block) {
        let len = b.text.len();
        let n = b.words;
        let content = !b.hard_boilerplate && !b.caption && b.bp.is_none() && n >= 5 && !unlikely;
        let ld = if len == 0 {
            0.0
        } else {
            (b.link_chars as f64 / len as f64).min(1.0)
        };
        let scorable = match b.kind {
            Kind::Para | Kind::Heading => true,
            Kind::Item => false,
            // Table rows count only when they hold prose (layout tables), not data.
            Kind::Cell => len >= 120,
        };
        let s = if content && scorable && !is_truncated_teaser(&b.text) {
            let commas = b
                .text
                .matches([',', '\u{3001}', '\u{ff0c}', '\u{060c}'])
                .count() as f64;
            (1.0 + commas + (b.text.chars().count() as f64 / 100.0).min(3.0)) * (1.0 - ld)
        } else {
            0.0
        };
        for (level, id) in chain.iter().enumerate() {
            let Some(id) = id else { break };
            let e = acc.entry(*id).or_insert((0.0, 0, 0));
            if level < SCORE_LEVELS {
                let div = match level {
                    0 => 1.0,
                    1 => 2.0,
                    l => l as f64 * 3.0,
                };
                e.0 += s / div;
            }
            e.1 += len;
            e.2 += b.link_chars;
        }
    }
    let final_score = |id: ego_tree::NodeId, (s, len, links): (f64, usize, usize)| {
        if len == 0 || s <= 0.0 {
            0.0
        } else {
            let w = doc
                .tree
                .get(id)
                .and_then(|n| n.value().as_element().map(class_weight))
                .unwrap_or(0.0);
            // The class weight may at most double a container's own score (a tiny
            // "content-title" box must not beat the article).
            (s + w.min(s)).max(0.0) * (1.0 - (links as f64 / len as f64).min(1.0))
        }
    };
    let mut ranked: Vec<(ego_tree::NodeId, f64)> = acc
        .iter()
        .map(|(id, v)| (*id, final_score(*id, *v)))
        .filter(|(_, s)| *s > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let Some(&(mut best, mut best_score)) = ranked.first() else {
        return (Vec::new(), 0.0);
    };
    // Readability's climb: when at least three other top candidates score within 75% of the
    // best, the article is split over sibling containers; their closest common ancestor that
    // holds three of them becomes the candidate.
    let close: Vec<ego_tree::NodeId> = ranked
        .iter()
        .skip(1)
        .take(4)
        .filter(|(_, s)| *s >= best_score * 0.75)
        .map(|(id, _)| *id)
        .collect();
    // Same for a container of the same class as the best one scoring at least half as much
    // (an article body split into `<div class="article__body">` chunks by ad rails).
    let best_class = doc
        .tree
        .get(best)
        .and_then(|n| n.value().as_element().and_then(|e| e.attr("class")))
        .filter(|c| !c.trim().is_empty());
    let twins: Vec<ego_tree::NodeId> = ranked
        .iter()
        .skip(1)
        .take(8)
        .filter(|(id, s)| {
            *s >= best_score * 0.5
                && best_class.is_some()
                && doc
                    .tree
                    .get(*id)
                    .and_then(|n| n.value().as_element().and_then(|e| e.attr("class")))
                    == best_class
        })
        .map(|(id, _)| *id)
        .collect();
    let common = if !twins.is_empty() {
        ancestor_holding(doc, best, &twins, twins.len())
    } else if close.len() >= 3 {
        ancestor_holding(doc, best, &close, 3)
    } else {
        None
    };
    if let Some(a) = common {
        best = a;
        best_score = acc.get(&best).map_or(best_score, |v| final_score(best, *v));
    }
    // Climb while the parent scores higher (the content spreads over the parent's children).
    while let Some(p) = doc.tree.get(best).and_then(|n| n.parent()) {
        let Some(v) = acc.get(&p.id()) else { break };
        if matches!(
            p.value().as_element().map(|e| e.name()),
            Some("body" | "html") | None
        ) {
            break;
        }
        let ps = final_score(p.id(), *v);
        if ps > best_score {
            best = p.id();
            best_score = ps;
        } else {
            break;
        }
    }
    if std::env::var_os("COPYTRAIL_DEBUG_SCORE").is_some() {
        let mut all: Vec<(ego_tree::NodeId, f64)> = acc
            .iter()
            .map(|(id, v)| (*id, final_score(*id, *v)))
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (id, sc) in all.iter().take(6) {
            let n = doc.tree.get(*id).expect("node");
            let e = n.value().as_element().expect("element");
            eprintln!(
                "cand {sc:.1} <{} class={:?} id={:?}> len {} links {}",
                e.name(),
                e.attr("class").unwrap_or(""),
                e.attr("id").unwrap_or(""),
                acc[id].1,
                acc[id].2
            );
        }
    }
    if std::env::var_os("COPYTRAIL_DEBUG_SCORE").is_some()
        && let Some(e) = doc.tree.get(best).and_then(|n| n.value().as_element())
    {
        eprintln!(
            "best {best_score:.1} <{} class={:?}>",
            e.name(),
            e.attr("class").unwrap_or("")
        );
    }
    // Sibling containers of the best one that score well join it.
    let mut roots: Vec<ego_tree::NodeId> = vec![best];
    if let Some(parent) = doc.tree.get(best).and_then(|n| n.parent()) {
        for c in parent.children() {
            if c.id() != best
                && let Some(v) = acc.get(&c.id())
                && final_score(c.id(), *v) >= (best_score * SIBLING_SHARE).max(10.0)
            {
                roots.push(c.id());
            }
        }
    }
    let mut out = Vec::new();
    let debug = std::env::var_os("COPYTRAIL_DEBUG_SCORE").is_some();
    for (i, (b, chain)) in page.iter().zip(&chains).enumerate() {
        if debug {
            let under = b.elem.is_some_and(|e| roots.contains(&e))
                || chain.iter().flatten().any(|id| roots.contains(id));
            eprintln!(
                "{} {i} hb={} cap={} lc={} bp={:?} {}",
                if under { "U" } else { " " },
                b.hard_boilerplate,
                b.caption,
                b.link_chars,
                b.bp,
                b.text.chars().take(80).collect::<String>()
            );
        }
        let under = b.elem.is_some_and(|e| roots.contains(&e))
            || chain.iter().flatten().any(|id| roots.contains(id));
        if under && !b.hard_boilerplate && !b.caption && b.link_chars * 2 < b.text.len() {
            out.push(i);
        }
    }
    (out, best_score)
}

/// Whether a block is a truncated teaser: text cut off with an ellipsis (`…`, `...`, `[…]`,
/// `[...]`, `(…)`), as "You may also like" / "Related posts" lists show the first lines of other
/// stories. Such blocks never add to a container's content score, so a list of teasers does
/// not outscore the article it sits under (a content farm's template around a copy).
fn is_truncated_teaser(text: &str) -> bool {
    const ELLIPSES: &[&str] = &["[…]", "[...]", "(…)", "…", "..."];
    let t = text.trim_end();
    // A word must precede the ellipsis ("…" alone, or "?!..." is not a teaser cut).
    ELLIPSES
        .iter()
        .find_map(|e| t.strip_suffix(e))
        .is_some_and(|rest| {
            rest.trim_end()
                .chars()
                .last()
                .is_some_and(char::is_alphanumeric)
        })
}

/// Minimum score of the best container for [`scored`]'s result to be trusted.
const TRUST_SCORE: f64 = 20.0;

/// Whether [`scored`]'s body is doubtful, from signals that cost nothing extra: the best
/// container scored under [`TRUST_SCORE`] (no clear article container: thin or unusual
/// markup), or the body is empty.
///
/// (Until session 9 a body with more than 1.3× the words of all prose-like paragraphs of the
/// page was doubtful too; with [`scored_body`]'s retry that rule sent 17 pages to the fallback
/// for a net F1 gain on one of them, so it went. Until session 11 a body spanning several
/// `<article>` elements was doubtful; [`one_composition`] now keeps one of them.)
fn doubtful(body: &[usize], best_score: f64) -> bool {
    best_score < TRUST_SCORE || body.is_empty()
}

/// Share (0..1) of words two body selections must have in common for
/// [`second_opinion_agrees`].
const SECOND_OPINION_AGREEMENT: f64 = 0.99;

/// Whether dom_smoothie's (Readability) selection `r_sel`, finished by the same rules, agrees
/// with the doubtful scorer body `body`: the words of the blocks both hold are at least
/// [`SECOND_OPINION_AGREEMENT`] of the larger body's words. Two independent extractors
/// agreeing settle the page; otherwise [`second_opinion`] takes the span they agree on. (On
/// the bundled pages 3 of the 7 doubtful ones are settled so.)
fn second_opinion_agrees(page: &[Block], body: &[usize], r_sel: &[usize]) -> bool {
    let r_body = finish_selection(page, r_sel.to_vec());
    let common: usize = body
        .iter()
        .filter(|i| r_body.binary_search(i).is_ok())
        .map(|&i| page[i].words)
        .sum();
    let larger = words_of(page, body).max(words_of(page, &r_body));
    larger > 0 && common as f64 >= SECOND_OPINION_AGREEMENT * larger as f64
}

/// `Auto`'s body for a doubtful page, from the scorer's body `body` and dom_smoothie's
/// (Readability) selection `r_sel`, finished by the same rules:
///
/// - they agree ([`second_opinion_agrees`]): the scorer's body ([`Strategy::Scored`]);
/// - otherwise the span they agree on ([`Strategy::ScoredAndReadability`]): from the first to
///   the last block both selected, every block that either selected. Two independent
///   extractors agreeing on where the article starts and ends bound it; inside that span a
///   block only one of them took is a miss of the other (a link-heavy list item the scorer
///   left out, a subheading), outside it a block only one took is where they disagree about
///   the page furniture around the article (a repeated headline, a byline, a share bar), and
///   it stays out;
/// - `None` when the blocks both selected hold under 25 words: two opinions that share next
///   to nothing cannot settle the page, and a third decides (`select_body` goes on with the
///   trafilatura ∩ dom_smoothie agreement, as [`BodyEngine::Agreement`]). A republished
///   excerpt whose scorer body was a photo caption and whose dom_smoothie body was the story
///   needs it (linking eval, republish set); none of the bundled 123 pages does.
///
/// This replaced (session 11) the trafilatura ∩ dom_smoothie agreement on every doubtful
/// page that dom_smoothie did not confirm: on the bundled pages F1 0.9797 → 0.9792 without
/// trafilatura-rs, which cost ≈ 43 M instructions per page it ran on (dom_smoothie ≈ 17 M).
fn second_opinion(
    page: &[Block],
    body: Vec<usize>,
    r_sel: &[usize],
) -> Option<(Vec<usize>, Strategy)> {
    if second_opinion_agrees(page, &body, r_sel) {
        return Some((body, Strategy::Scored));
    }
    let r_body = finish_selection(page, r_sel.to_vec());
    let both: Vec<usize> = body
        .iter()
        .copied()
        .filter(|i| r_body.binary_search(i).is_ok())
        .collect();
    if words_of(page, &both) < 25 {
        return None;
    }
    let (first, last) = (both[0], both[both.len() - 1]);
    let span = (first..=last)
        .filter(|i| body.binary_search(i).is_ok() || r_body.binary_search(i).is_ok())
        .collect();
    Some((span, Strategy::ScoredAndReadability))
}

/// Share of the best container's score a sibling container needs to join the body.
const SIBLING_SHARE: f64 = 0.45;

/// A subset of Readability's "unlikely candidate" test (`REGEXPS.unlikelyCandidates` minus
/// `okMaybeItsACandidate`): class or id names page furniture (sidebar, widget, footer,
/// comments, menus, related posts) and nothing that suggests content.
fn unlikely_candidate(e: &scraper::node::Element) -> bool {
    const UNLIKELY: &[&str] = &[
        "breadcrumbs",
        "comment",
        "disqus",
        "footer",
        "menu",
        "related",
        "shoutbox",
        "sidebar",
        "skyscraper",
        "agegate",
        "popup",
        "widget",
    ];
    const MAYBE: &[&str] = &[
        "and", "article", "body", "column", "content", "main", "mathjax", "shadow",
    ];
    if matches!(e.name(), "body" | "html" | "main" | "article") {
        return false;
    }
    let mut hay = String::new();
    for a in [e.attr("class"), e.attr("id")].into_iter().flatten() {
        hay.push_str(a);
        hay.push(' ');
    }
    if hay.len() < 3 {
        return false;
    }
    let hay = hay.to_ascii_lowercase();
    UNLIKELY.iter().any(|u| hay.contains(u)) && !MAYBE.iter().any(|m| hay.contains(m))
}

/// Readability's class/id weight (`_getClassWeight`): +25 when the class or id names article
/// content, −25 when it names page furniture; plus its tag weight (`_initializeNode`).
fn class_weight(e: &scraper::node::Element) -> f64 {
    const POSITIVE: &[&str] = &[
        "article",
        "body",
        "content",
        "entry",
        "hentry",
        "h-entry",
        "main",
        "page",
        "pagination",
        "post",
        "text",
        "blog",
        "story",
    ];
    const NEGATIVE: &[&str] = &[
        "-ad-",
        "hidden",
        "hid",
        "banner",
        "combx",
        "comment",
        "com-",
        "contact",
        "footer",
        "gdpr",
        "masthead",
        "media",
        "meta",
        "outbrain",
        "promo",
        "related",
        "scroll",
        "share",
        "shoutbox",
        "sidebar",
        "skyscraper",
        "sponsor",
        "shopping",
        "tags",
        "widget",
    ];
    let mut w = match e.name() {
        "div" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    // One ASCII-case-insensitive automaton per list: the same hits as a substring search of
    // the lower-cased value for every word, without the copy and the per-word searches.
    static NEGATIVE_SET: LazyLock<AhoCorasick> = LazyLock::new(|| {
        aho_corasick::AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(NEGATIVE)
            .expect("static list builds")
    });
    static POSITIVE_SET: LazyLock<AhoCorasick> = LazyLock::new(|| {
        aho_corasick::AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(POSITIVE)
            .expect("static list builds")
    });
    for attr in [e.attr("class"), e.attr("id")].into_iter().flatten() {
        if attr.is_empty() {
            continue;
        }
        if NEGATIVE_SET.is_match(attr) {
            w -= 25.0;
        }
        if POSITIVE_SET.is_match(attr) {
            w += 25.0;
        }
    }
    w
}

/// Hasher of the maps keyed by [`ego_tree::NodeId`] (small integers).
type PassNodeBuild = std::hash::BuildHasherDefault<crate::inthash::IntHasher>;

/// The rules applied after the first selection, whatever chose it: prose-like siblings, short
/// gaps, the rest of mostly-body containers, credit lines in or just after the body, then
/// [`filter_boilerplate_idx`].
fn finish_selection(page: &[Block], chosen: Vec<usize>) -> Vec<usize> {
    let chosen = extend_with_siblings(page, chosen);
    let chosen = fill_gaps(page, chosen);
    let mut chosen = complete_containers(page, chosen);
    // Credit lines inside the body span or just after it are body text ("This story was first
    // published by …", "Source: …"), even when link-dense.
    if let (Some(&first), Some(&last)) = (chosen.first(), chosen.last()) {
        let end = (last + 3).min(page.len().saturating_sub(1));
        for (i, b) in page.iter().enumerate().take(end + 1).skip(first) {
            if !b.hard_boilerplate && b.credit && !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        chosen.sort_unstable();
    }
    filter_boilerplate_idx(page, &chosen)
}

fn siblings(a: &Block, b: &Block) -> bool {
    (a.parent.is_some() && a.parent == b.parent)
        || (a.grand.is_some() && a.grand == b.grand)
        || (a.elem.is_some() && a.elem == b.elem)
        || (a.elem.is_some() && a.elem == b.parent)
        || (b.elem.is_some() && b.elem == a.parent)
}

fn prose_like(b: &Block) -> bool {
    let n = b.words;
    b.kind == Kind::Para
        && !b.hard_boilerplate
        && n >= 8
        && b.link_chars * 10 < b.text.len() * 3
        && b.text.trim_end().ends_with([
            '.', '!', '?', '"', '\u{201d}', '\u{2026}', ')', '\u{3002}', '\u{ff01}', '\u{ff1f}',
            '\u{300d}',
        ])
        && b.bp.is_none()
}

/// How many blocks away a selected sibling may be for [`extend_with_siblings`].
const SIBLING_REACH: usize = 3;

/// Adds prose-like blocks (≥ 8 words, sentence-final punctuation, few links) that sit next to a
/// selected block under the same parent: extractors sometimes drop the first sentence of a
/// `<br>`-separated text or a bare `<div>` between paragraphs.
fn extend_with_siblings(page: &[Block], chosen: Vec<usize>) -> Vec<usize> {
    if chosen.is_empty() {
        return chosen;
    }
    let mut sel = vec![false; page.len()];
    for &i in &chosen {
        sel[i] = true;
    }
    for _ in 0..page.len().min(200) {
        let mut changed = false;
        for i in 0..page.len() {
            if sel[i] || !prose_like(&page[i]) {
                continue;
            }
            let lo = i.saturating_sub(SIBLING_REACH);
            let hi = (i + SIBLING_REACH).min(page.len() - 1);
            let near = (lo..=hi).any(|j| j != i && sel[j] && siblings(&page[j], &page[i]));
            if near {
                sel[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    (0..page.len()).filter(|&i| sel[i]).collect()
}

/// A block that may join the body when an extractor or its position vouches for it: not in a
/// hard-boilerplate container, not a caption, not link-dense, not boilerplate.
fn acceptable(b: &Block) -> bool {
    !b.hard_boilerplate
        && !b.caption
        && b.link_chars * 2 < b.text.len()
        && b.bp.is_none()
        && !is_section_heading(b)
}

/// Adds blocks that only one extractor selected when they are acceptable and within
/// [`SIBLING_REACH`] blocks of the agreed body (an extractor that stopped early at an ad slot
/// should not cut the article short).
fn extend_with_vouched(page: &[Block], chosen: Vec<usize>, a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut sel = vec![false; page.len()];
    for &i in &chosen {
        sel[i] = true;
    }
    let mut vouched = vec![false; page.len()];
    for &i in a.iter().chain(b) {
        vouched[i] = true;
    }
    for _ in 0..page.len().min(500) {
        let mut changed = false;
        for i in 0..page.len() {
            if sel[i] || !vouched[i] || !acceptable(&page[i]) {
                continue;
            }
            let prose = prose_like(&page[i]);
            let lo = i.saturating_sub(SIBLING_REACH);
            let hi = (i + SIBLING_REACH).min(page.len() - 1);
            if (lo..=hi).any(|j| {
                j != i
                    && sel[j]
                    && (prose || (page[j].parent.is_some() && page[j].parent == page[i].parent))
            }) {
                sel[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    (0..page.len()).filter(|&i| sel[i]).collect()
}

/// Blocks inside a gap of at most this many blocks between two body blocks are candidates for
/// [`fill_gaps`].
const GAP_REACH: usize = 6;

/// Adds blocks that sit between two body blocks (gap ≤ [`GAP_REACH`]) when they are not
/// link-dense and not boilerplate: list items and subheadings inside the article that both
/// extractors dropped.
fn fill_gaps(page: &[Block], chosen: Vec<usize>) -> Vec<usize> {
    let mut out = Vec::with_capacity(chosen.len());
    for w in chosen.windows(2) {
        out.push(w[0]);
        let (a, b) = (w[0], w[1]);
        if b - a > 1 && b - a <= GAP_REACH + 1 {
            for (k, blk) in page.iter().enumerate().take(b).skip(a + 1) {
                if !blk.hard_boilerplate
                    && !blk.caption
                    && blk.link_chars * 2 < blk.text.len()
                    && blk.bp.is_none()
                    && !is_section_heading(blk)
                {
                    out.push(k);
                }
            }
        }
    }
    if let Some(&l) = chosen.last() {
        out.push(l);
    }
    out
}

/// When most (≥ 70%, at least 3) of the paragraphs directly under one element are body, the
/// rest of that element's paragraphs are too, unless they are boilerplate or link-dense: a
/// copied article pasted as a run of `<p>` keeps its short closing lines.
fn complete_containers(page: &[Block], chosen: Vec<usize>) -> Vec<usize> {
    let mut sel = vec![false; page.len()];
    for &i in &chosen {
        sel[i] = true;
    }
    let mut total: HashMap<ego_tree::NodeId, (usize, usize)> = HashMap::new();
    for (i, b) in page.iter().enumerate() {
        if let (Some(p), Kind::Para) = (b.parent, b.kind) {
            let e = total.entry(p).or_insert((0, 0));
            e.0 += 1;
            if sel[i] {
                e.1 += 1;
            }
        }
    }
    for (i, b) in page.iter().enumerate() {
        if sel[i] || b.kind != Kind::Para {
            continue;
        }
        let Some(&(all, picked)) = b.parent.as_ref().and_then(|p| total.get(p)) else {
            continue;
        };
        if picked >= 3
            && picked * 10 >= all * 7
            && !b.hard_boilerplate
            && !b.caption
            && b.link_chars * 2 < b.text.len()
            && b.bp.is_none()
        {
            sel[i] = true;
        }
    }
    (0..page.len()).filter(|&i| sel[i]).collect()
}

/// Fallback when the extractors select next to nothing: the group of sibling blocks (same
/// parent) with the most words in prose-like paragraphs, plus headings in that group.
fn densest_group(page: &[Block]) -> Vec<usize> {
    let mut score: HashMap<ego_tree::NodeId, usize> = HashMap::new();
    for b in page {
        if let (Some(p), true) = (b.parent, prose_like(b)) {
            *score.entry(p).or_insert(0) += b.words;
        }
    }
    let Some((&best, _)) = score.iter().max_by_key(|(_, w)| **w) else {
        return Vec::new();
    };
    (0..page.len())
        .filter(|&i| {
            let b = &page[i];
            b.parent == Some(best) && (prose_like(b) || b.kind == Kind::Heading)
        })
        .collect()
}

/// Links of the (up to three) non-empty blocks that follow the last body block in the page,
/// whether or not they were selected: republished copies often close with a credit paragraph
/// that is only a link ("Read the original", a bare host, the publisher's name).
pub fn closing_links(sel: &BodySelection) -> Vec<BodyLink> {
    let mut out = Vec::new();
    let (Some(&first), Some(&last)) = (sel.body.first(), sel.body.last()) else {
        return out;
    };
    let short_ok = |b: &Block| {
        !b.hard_boilerplate
            && b.kind != Kind::Item
            && b.text.chars().count() <= 300
            && b.bp.is_none()
            && !is_section_heading(b)
    };
    // Unselected short paragraphs inside the body span (a link-only credit paragraph that the
    // body rules left out because it is link-dense).
    for i in first..last {
        let b = &sel.page[i];
        if sel.body.binary_search(&i).is_err() && short_ok(b) {
            for l in &b.links {
                if !out.contains(l) {
                    out.push(l.clone());
                }
            }
        }
    }
    for b in sel.page.iter().skip(last + 1).take(3) {
        if is_section_heading(b) || b.hard_boilerplate {
            break;
        }
        if !short_ok(b) {
            continue;
        }
        for l in &b.links {
            if !out.contains(l) {
                out.push(l.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://copy.example/2024/01/x.html").unwrap()
    }

    #[test]
    fn blocks_keep_order_links_and_br_paragraphs() {
        let b = blocks_from_fragment(
            r#"<div><h2>Head</h2><p>One <a href="/a">link</a> here.</p>Bare text
            <ul><li>Item</li></ul>First<br>same<br><br>second</div>"#,
            &base(),
        );
        let texts: Vec<&str> = b.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Head",
                "One link here.",
                "Bare text",
                "Item",
                "First same",
                "second"
            ]
        );
        assert_eq!(b[0].kind, Kind::Heading);
        assert_eq!(b[3].kind, Kind::Item);
        assert_eq!(b[1].links[0].href, "https://copy.example/a");
    }

    #[test]
    fn boilerplate_rules() {
        let b = blocks_from_fragment(
            r#"<p>Share 87 Tweet 7</p><p>Real paragraph with enough words to be a paragraph of the story.</p>
            <p><strong>Read also:</strong> <a href="/t">Some teaser</a></p>
            <h4>Subscribe to our newsletter</h4><p>Get the top stories delivered to your inbox every morning.</p>
            <p>Advertisement</p><p>TAGS Editor's Pick Latest World</p>
            <p>Source: The Times</p>
            <h4>Read more</h4><ul><li><a href="/r1">Teaser one</a></li><li><a href="/r2">Teaser two</a></li></ul>
            <p>Closing paragraph of the story that must stay in the body text.</p>
            <h3>LEAVE A REPLY</h3><p>Your comment here, which is long enough to look like prose text.</p>"#,
            &base(),
        );
        let kept = filter_boilerplate(b);
        let texts: Vec<&str> = kept.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "Real paragraph with enough words to be a paragraph of the story.",
                "Source: The Times",
                "Closing paragraph of the story that must stay in the body text."
            ]
        );
    }

    #[test]
    fn one_pass_over_the_cue_lists_finds_each_list() {
        for (list, bit) in [
            (CONTRIB_CUES, CONTRIB),
            (ROLE_WORDS, ROLE),
            (NEWSLETTER_CUES, NEWSLETTER),
            (BIO_CUES, BIO),
        ] {
            for c in list {
                let text = format!("xx {c} yy");
                assert_ne!(cue_hits(&text) & bit, 0, "{c}");
                // Each list is found the same as a plain substring search would.
                for (other, obit) in [
                    (CONTRIB_CUES, CONTRIB),
                    (ROLE_WORDS, ROLE),
                    (NEWSLETTER_CUES, NEWSLETTER),
                    (BIO_CUES, BIO),
                ] {
                    let want = other.iter().any(|o| text.contains(o));
                    assert_eq!(cue_hits(&text) & obit != 0, want, "{c} / {obit}");
                }
            }
        }
        assert_eq!(cue_hits("the council met on tuesday and voted."), 0);
    }

    #[test]
    fn class_weight_matches_a_lower_cased_substring_search() {
        let html = scraper::Html::parse_fragment(
            r#"<div class="Post-Body ARTICLE">a</div><div id="SideBar-Widget">b</div>
               <div class="entry sharebar" id="x">c</div><p class="plain">d</p>
               <div class="">e</div><pre class="ÉTIQUETTE-contenT">f</pre>"#,
        );
        let got: Vec<f64> = html
            .tree
            .root()
            .descendants()
            .filter_map(|n| n.value().as_element().map(class_weight))
            .collect();
        // html wrapper (0), then: div +5 +25; div +5 −25; div +5 +25 −25; p 0; div +5;
        // pre +3 +25 ("content" in any ASCII case; non-ASCII bytes compared as they are).
        assert_eq!(got, vec![0.0, 30.0, -20.0, 5.0, 0.0, 5.0, 28.0]);
    }

    #[test]
    fn share_counter_detection() {
        assert!(is_share_counter("Share 87 Tweet 7"));
        assert!(is_share_counter("Facebook 0 Twitter Pinterest 0 email"));
        assert!(!is_share_counter(
            "He shared the news on Twitter with 2 million followers."
        ));
    }

    #[test]
    fn scorer_picks_the_article_container_not_the_sidebar() {
        let para = "The council voted on Tuesday, after a long debate, to rebuild the old bridge, \
                    which has been closed since the spring floods damaged its pillars.";
        let teaser = "Read our guide to the best hiking trails, campsites, and picnic spots, \
                      with maps, photos, and tips from local rangers, updated every week.";
        let html = format!(
            "<html><body><nav><a href=/a>Home</a> <a href=/b>News</a></nav>\
             <div class=\"entry-content\"><p>{para}</p><p>{para} Again.</p><p>{para} Third.</p></div>\
             <aside class=\"sidebar widget\"><p>{teaser}</p><p>{teaser} More.</p></aside>\
             </body></html>"
        );
        let doc = Html::parse_document(&html);
        let page = blocks_from_node(*doc.root_element(), &base());
        // The scorer's own pick (before the shared extension rules).
        let (chosen, best) = scored(&page, &doc, true);
        let texts: Vec<&str> = chosen.iter().map(|&i| page[i].text.as_str()).collect();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert!(texts.iter().all(|t| t.starts_with("The council")));
        assert!(best >= TRUST_SCORE, "best {best}");
        // A clear article container is trusted: the default engine does not fall back.
        let auto = select_body(&html, &doc, &base(), BodyEngine::Auto);
        assert_eq!(auto.strategy, Strategy::Scored);
    }

    #[test]
    fn truncated_teasers_do_not_outscore_the_article() {
        // A content farm's template: the copied story in one <article>, then a "you may also
        // like" list (in the site's own language, no class naming it) of long teasers cut off
        // with an ellipsis, in another.
        let para = "Lynn said after the game that the team saw winning as the most important step.";
        let teaser = "A vida requer da gente otimismo e coragem, para esperar o melhor, fazer o \
                      melhor acontecer, levantar, partir para a luta novamente, sem perder o \
                      entusiasmo, a adrenalina, a esperança de que o bem está logo ali";
        let mut html = format!(
            "<html><body><article class=\"fundo\"><h1>Title</h1><div><p>{para}</p>\
             <p>{para} Again.</p><p>{para} Third.</p></div></article>\
             <article class=\"fundo postbox\"><h3>Você pode gostar...</h3>"
        );
        for (i, end) in ["…", " …", "...", " [...]", " […]"].iter().enumerate() {
            html.push_str(&format!(
                "<article class=\"fundo postbox\"><p>{teaser} {i}{end}</p></article>"
            ));
        }
        html.push_str("</article></body></html>");
        let doc = Html::parse_document(&html);
        let page = blocks_from_node(*doc.root_element(), &base());
        let (chosen, _) = scored(&page, &doc, true);
        let texts: Vec<&str> = chosen.iter().map(|&i| page[i].text.as_str()).collect();
        assert!(
            !texts.is_empty() && texts.iter().all(|t| t.starts_with("Lynn said")),
            "{texts:?}"
        );
        let body = select_body(&html, &doc, &base(), BodyEngine::Auto);
        let text = join_text(
            &body
                .body
                .iter()
                .map(|&i| body.page[i].clone())
                .collect::<Vec<_>>(),
        );
        assert!(text.contains("Lynn said"), "{text}");
        assert!(!text.contains("A vida requer"), "{text}");
    }

    #[test]
    fn truncated_teaser_endings() {
        for t in [
            "cut off here…",
            "cut off here …",
            "cut off here...",
            "cut off [...]",
            "cut (…)",
        ] {
            assert!(is_truncated_teaser(t), "{t}");
        }
        for t in [
            "A full sentence.",
            "Really?!...",
            "…",
            "Wait for it: \u{2026}!",
        ] {
            assert!(!is_truncated_teaser(t), "{t}");
        }
    }

    #[test]
    fn text_below_the_walk_depth_is_kept() {
        let para = "The river rose two metres overnight, and the town council closed the bridge \
                    while engineers checked its pillars for damage.";
        for depth in [MAX_WALK_DEPTH - 5, MAX_WALK_DEPTH + 5, 1000] {
            let mut html = String::from("<html><body>");
            html.push_str(&"<div>".repeat(depth));
            for i in 0..6 {
                html.push_str(&format!("<p>{para} {i}</p><script>var x{i} = 1;</script>"));
            }
            html.push_str(&"</div>".repeat(depth));
            html.push_str("</body></html>");
            let a = crate::extract::extract(&html, &base());
            assert!(
                a.text.contains("closed the bridge"),
                "depth {depth}: {:?}",
                a.text
            );
            assert!(a.text.contains(" 5"), "depth {depth}: {:?}", a.text);
            assert!(!a.text.contains("var x"), "depth {depth}");
        }
    }

    #[test]
    fn second_opinion_needs_nearly_the_same_words() {
        let para = |k: usize| {
            format!("<p>Paragraph {k} of the story says something long enough, with a comma.</p>")
        };
        let html = format!(
            "<html><body><div>{}</div><aside><p>Another thing entirely, said at length here.</p></aside></body></html>",
            (0..4).map(para).collect::<String>()
        );
        let doc = Html::parse_document(&html);
        let page = blocks_from_node(*doc.root_element(), &base());
        assert_eq!(page.len(), 5);
        let body = vec![0, 1, 2, 3];
        assert!(second_opinion_agrees(&page, &body, &[0, 1, 2, 3]));
        // Readability's selection extended by the same rules still matches.
        assert!(second_opinion_agrees(&page, &body, &[1, 2]));
        // A different block, or one fifth more words, is disagreement.
        assert!(!second_opinion_agrees(&page, &body, &[4]));
        assert!(!second_opinion_agrees(&page, &[0, 1], &[0, 1, 4]));
        assert!(!second_opinion_agrees(&page, &[], &[]));
    }

    #[test]
    fn second_opinion_takes_the_span_both_agree_on() {
        let para = |k: usize| {
            format!(
                "<section><div><p>Paragraph {k} of the story says something long enough, with a comma.</p></div></section>"
            )
        };
        // Block 4: prose whose anchors are over half of its text (the scorer's gap filling
        // leaves it out) but not link-dense.
        let linked = "<section><div><p>Prices rose again, <a href=\"/a\">as the central bank \
                      had warned in its October report</a>, said the minister.</p></div></section>";
        let html = format!(
            "<html><body>{}{}{linked}{}{}</body></html>",
            para(0),
            (1..4).map(para).collect::<String>(),
            para(5),
            para(6)
        );
        let doc = Html::parse_document(&html);
        let page = blocks_from_node(*doc.root_element(), &base());
        assert_eq!(page.len(), 7);
        assert!(page[4].link_chars * 2 >= page[4].text.len() && !link_dense(&page[4]));
        let r_sel = vec![1, 2, 3, 4, 5, 6];
        // Precondition: dom_smoothie's selection is its finished body here.
        assert_eq!(finish_selection(&page, r_sel.clone()), r_sel);
        let scorer = vec![0, 1, 2, 3, 5];
        assert_eq!(finish_selection(&page, scorer.clone()), scorer);
        let (body, strategy) = second_opinion(&page, scorer.clone(), &r_sel).unwrap();
        // Inside the agreed span 1..=5 either one's blocks; outside it neither's alone.
        assert_eq!(body, vec![1, 2, 3, 4, 5]);
        assert_eq!(strategy, Strategy::ScoredAndReadability);
        // Agreement settles the page with the scorer's body.
        let settled = second_opinion(&page, r_sel.clone(), &r_sel);
        assert_eq!(settled, Some((r_sel.clone(), Strategy::Scored)));
        // Under 25 words in common: a third opinion is needed.
        assert_eq!(second_opinion(&page, vec![0], &[2, 3, 5, 6]), None);
        assert_eq!(second_opinion(&page, vec![0, 1, 2], &[6]), None);
        assert!(second_opinion(&page, vec![0, 1, 2, 3], &[1, 2, 3, 5, 6]).is_some());
    }

    #[test]
    fn href_resolves_agrees_with_resolving() {
        let hrefs = [
            "/news/a",
            "news/a.html",
            "../up",
            "?page=2",
            "#top",
            "",
            "   ",
            "x",
            "1abc:x",
            "a+b:x",
            "javascript:void(0)",
            " JavaScript:share()",
            "\u{1}javascript:x",
            "java\tscript:x",
            "java\nscript:x",
            "mailto:desk@news.example",
            "tel:+441234",
            "data:text/html,hi",
            "ftp://files.example/x",
            "httpx://a.example/",
            "https://news.example/a#frag",
            "HTTP://Example.COM/x",
            "http://",
            "https://.bad/",
            "http:relative/path",
            "https:",
            "//cdn.example/x",
            "//",
            "/\\evil.example/x",
            "\\\\host.example/x",
            "/\t/host.example/x",
            "\\x",
            "http://exa mple.com/",
            "http://[::1/",
            "ñ/x",
            "\u{a0}/x",
            "https://例え.jp/",
            "https://www.news.example/a/b?c=d#e",
            "https://www.news.example./a",
            "https://www.news.example..",
            "https://a..b/",
            "https://-a-.example/",
            "https://xn--abc.example/",
            "https://xn--bcher-kva.example/",
            "https://1.2.3.4/",
            "https://1.2.3.999/",
            "https://a.2b/",
            "https://a.b2/",
            "https://user@a.example/",
            "https://a.example:8080/",
            "https://a.example:99999/",
            "https:///a.example/",
            "https:\\\\a.example/",
            "https://a.example\\x",
            "https://a_b.example/",
            "https://a%41.example/",
            "https://.example/",
        ];
        for base in [
            "https://copy.example/2024/01/x.html",
            "http://127.0.0.1:8080/",
            "file:///tmp/page.html",
            "data:text/plain,x",
        ] {
            let base = Url::parse(base).unwrap();
            let base_http = matches!(base.scheme(), "http" | "https")
                && base
                    .host_str()
                    .is_some_and(|h| !h.is_empty() && !h.starts_with('.'));
            for h in hrefs {
                assert_eq!(
                    href_resolves(h, &base, base_http),
                    resolve_http_url(h, &base).is_some(),
                    "{h:?} against {base}"
                );
            }
        }
    }

    #[test]
    fn href_resolves_agrees_with_resolving_on_bundled_pages() {
        use std::io::Read;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/extraction/html");
        let base = Url::parse("https://news.example/2019/11/story.html").unwrap();
        let a = scraper::Selector::parse("a[href]").unwrap();
        let (mut hrefs, mut quick) = (0usize, 0usize);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let mut html = String::new();
            let file = std::fs::File::open(entry.unwrap().path()).unwrap();
            let mut bytes = Vec::new();
            flate2::read::GzDecoder::new(file)
                .read_to_end(&mut bytes)
                .unwrap();
            html.push_str(&String::from_utf8_lossy(&bytes));
            let doc = Html::parse_document(&html);
            for e in doc.select(&a) {
                let h = e.value().attr("href").unwrap();
                assert_eq!(
                    href_resolves(h, &base, true),
                    resolve_http_url(h, &base).is_some(),
                    "{h:?}"
                );
                hrefs += 1;
                quick += usize::from(
                    plain_http_host(h.trim()).is_some() || !h.trim_start().starts_with("http"),
                );
            }
        }
        // Nearly every href is decided without resolving.
        assert!(
            hrefs > 10_000 && quick * 100 >= hrefs * 95,
            "{quick} of {hrefs}"
        );
    }

    #[test]
    fn link_density_counts_only_links_that_resolve() {
        // The rule as it was with links resolved during the walk: at least one resolved link
        // and anchors ≥ 60% of the text.
        let html = "<div><p><a href=\"mailto:desk@news.example\">Write to the desk</a> now</p>\
                    <p><a href=\"javascript:void(0)\">Share this</a> <a href=\"/x\">and that</a></p>\
                    <p><a href=\"#top\">Back to the top of this page</a></p>\
                    <p><a href=\"/a\">Home</a> <a href=\"/b\">World</a> <a href=\"/c\">Sport</a></p>\
                    <p>First part <a href=\"mailto:a@b.example\">mail us here</a><br><br>\
                    <a href=\"/d\">Second part link</a> x</p>\
                    <p>A sentence of plain prose with <a href=\"/e\">one link</a> in it.</p></div>";
        let blocks = blocks_from_fragment(html, &base());
        let old_rule = |b: &Block| !b.links.is_empty() && b.link_chars * 10 >= b.text.len() * 6;
        let dense: Vec<bool> = blocks.iter().map(link_dense).collect();
        assert_eq!(dense, blocks.iter().map(old_rule).collect::<Vec<_>>());
        assert_eq!(dense, [false, true, false, true, false, true, false]);
        assert!(blocks.iter().all(|b| b.links_resolved));
        assert_eq!(blocks[1].links.len(), 1);
        assert_eq!(blocks[1].links[0].href, "https://copy.example/x");
    }

    #[test]
    fn article_in_widget_boxes_is_found_by_the_retry() {
        // Page builders (Elementor, …) put every box, the article too, in "widget" containers;
        // the only container that scores with the unlikely test on is a short box beside it.
        let para = "Online business owners tend to be introverts, and the work suits them well, \
                    because you can do it all by yourself without meeting a single person.";
        let html = format!(
            "<html><body><div class=\"box\"><div class=\"box__text\"><p>The weather in the \
             valley stays mild this week, with light winds, some clouds, and rain.</p></div></div>\
             <div class=\"elementor-widget\"><div class=\"elementor-widget-container\">{}</div></div>\
             </body></html>",
            (0..10)
                .map(|k| format!("<p>{para} {k}.</p>"))
                .collect::<String>()
        );
        let doc = Html::parse_document(&html);
        let page = blocks_from_node(*doc.root_element(), &base());
        let (strict, _) = scored_body(&page, &doc, true);
        assert!(body_chars(&page, &strict) < RETRY_CHARS, "{strict:?}");
        let sel = select_body(&html, &doc, &base(), BodyEngine::Scored);
        let texts: Vec<&str> = sel.body.iter().map(|&i| page[i].text.as_str()).collect();
        assert_eq!(texts.len(), 10, "{texts:?}");
        assert!(texts.iter().all(|t| t.starts_with("Online business")));
    }

    #[test]
    fn body_spanning_several_articles_keeps_one() {
        let para = "The council voted on Tuesday, after a long debate, to rebuild the old bridge, \
                    which has been closed since the spring floods damaged its pillars.";
        let one = format!(
            "<html><body><h1>Bridge to be rebuilt</h1><article><div><p>{para}</p>\
             <p>{para} Again.</p><p>{para} Third.</p><p>{para} Fourth.</p></div></article>\
             </body></html>"
        );
        let doc = Html::parse_document(&one);
        let page = blocks_from_node(*doc.root_element(), &base());
        let (body, best) = scorer_choice(&page, &doc);
        assert!(best >= TRUST_SCORE, "best {best}");
        assert!(!doubtful(&body, best));
        let story_words = words_of(&page, &body);
        // The same story with two teaser posts nested in its <article>: the scorer's container
        // holds them, the body keeps only the story's own blocks.
        let nested = one.replace(
            "</div></article>",
            &format!(
                "<article><p>{para} Teaser one.</p></article>\
                 <article><p>{para} Teaser two.</p></article></div></article>"
            ),
        );
        let doc = Html::parse_document(&nested);
        let page = blocks_from_node(*doc.root_element(), &base());
        let (raw, best) = scored_body(&page, &doc, true);
        assert!(best >= TRUST_SCORE, "best {best}");
        assert!(
            raw.iter().any(|&i| page[i].text.contains("Teaser")),
            "{raw:?}"
        );
        let (body, _) = scorer_choice(&page, &doc);
        assert!(!doubtful(&body, best));
        assert!(body.iter().all(|&i| !page[i].text.contains("Teaser")));
        assert_eq!(words_of(&page, &body), story_words);
        // Sibling <article>s: the one with most words wins, blocks outside any stay.
        let blocks = |n: usize, tag: &str| {
            (0..n)
                .map(|k| format!("<p>{para} {tag} {k}.</p>"))
                .collect::<String>()
        };
        let html = format!(
            "<html><body><div><p>{para} Lead outside.</p><article>{}</article>\
             <article>{}</article></div></body></html>",
            blocks(2, "Small"),
            blocks(3, "Large")
        );
        let doc = Html::parse_document(&html);
        let page = blocks_from_node(*doc.root_element(), &base());
        let all: Vec<usize> = (0..page.len()).collect();
        let kept: Vec<&str> = one_composition(&page, all, &doc)
            .iter()
            .map(|&i| page[i].text.as_str())
            .collect();
        assert_eq!(kept.len(), 4, "{kept:?}");
        assert!(kept[0].ends_with("Lead outside."));
        assert!(kept[1..].iter().all(|t| t.contains("Large")), "{kept:?}");
        // A tie goes to the first <article>.
        let html = html.replace(&blocks(3, "Large"), &blocks(2, "Large"));
        let doc = Html::parse_document(&html);
        let page = blocks_from_node(*doc.root_element(), &base());
        let all: Vec<usize> = (0..page.len()).collect();
        let kept = one_composition(&page, all, &doc);
        assert!(kept.iter().skip(1).all(|&i| page[i].text.contains("Small")));
    }

    #[test]
    fn thin_pages_are_doubtful() {
        let html = "<html><body><div><p>Short note.</p></div></body></html>";
        let doc = Html::parse_document(html);
        let page = blocks_from_node(*doc.root_element(), &base());
        let (chosen, best) = scored(&page, &doc, true);
        assert!(doubtful(&chosen, best));
    }

    #[test]
    fn hostile_pages_do_not_reach_the_fallback_extractors() {
        let normal = format!(
            "<html><body>{}</body></html>",
            "<p class=a>text</p>".repeat(1000)
        );
        assert!(fallback_affordable(&normal));
        let attrs = format!(
            "<p {}>x</p>",
            "a=1 ".repeat(FALLBACK_MAX_TAG_ATTRIBUTES + 1)
        );
        assert!(!fallback_affordable(&attrs));
        let big = "&amp;".repeat(FALLBACK_MAX_HTML_BYTES / 5 + 1);
        assert!(!fallback_affordable(&big));
        // Elements × depth: 1,000 nested divs (≈ 500,000) pass, 2,000 siblings 1,000 deep not.
        let deep = "<div>".repeat(1000);
        assert!(fallback_affordable(&deep));
        assert!(!fallback_affordable(&format!(
            "{deep}{}",
            "<div>x</div>".repeat(2000)
        )));
        // Elements: many flat ones are costly too.
        assert!(fallback_affordable(&"<p>w".repeat(FALLBACK_MAX_TAGS)));
        assert!(!fallback_affordable(&"<p>w".repeat(FALLBACK_MAX_TAGS + 1)));
        // Parse-error bytes: NUL and `<` opening no tag.
        let noise = "\0".repeat(FALLBACK_MAX_STRAY_BYTES / 2);
        assert!(fallback_affordable(&format!("<p>{noise}</p>")));
        assert!(!fallback_affordable(&format!("<p>{noise}{noise}a < b</p>")));
        assert!(!fallback_affordable(
            &"<".repeat(FALLBACK_MAX_STRAY_BYTES + 1)
        ));
    }
}
