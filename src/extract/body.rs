//! Body blocks: an HTML fragment (the article container chosen by an extractor) → ordered text
//! blocks with their links, then our boilerplate rules for what content farms wrap around
//! copies (share counters, "Read also" teasers, related lists, newsletter boxes, comment forms,
//! author bios, tags, cookie notices, ad labels). Credit lines are never dropped.

use ego_tree::NodeRef;
use scraper::{Html, Node};
use url::Url;

use super::BodyLink;
use super::credit::credit_cue;
use super::meta::{Meta, collapse_ws, resolve_http_url};

/// What kind of block a piece of body text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `<p>`, `<div>` text and anything else block-like.
    Para,
    /// `<h1>`–`<h6>`.
    Heading,
    /// `<li>`, `<dd>`, `<dt>`.
    Item,
    /// Table cell.
    Cell,
}

/// One block of body text.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: Kind,
    /// Whitespace-collapsed text.
    pub text: String,
    /// Links inside the block (absolute http(s) hrefs).
    pub links: Vec<BodyLink>,
    /// Characters of `text` that sit inside links.
    pub link_chars: usize,
}

const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "head", "select", "option", "textarea",
    "button", "form", "iframe", "object", "embed", "video", "audio", "canvas", "math",
];

const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup",
    "time", "tt", "u", "var", "wbr", "hi", "ref", "label", "nobr", "img", "picture", "source",
];

/// Private-use marker for `<br>` while a block is being collected.
const BR: char = '\u{E000}';

struct State<'a> {
    base: &'a Url,
    buf: String,
    links: Vec<BodyLink>,
    link_chars: usize,
    kinds: Vec<Kind>,
    out: Vec<Block>,
}

impl State<'_> {
    fn flush(&mut self) {
        let kind = *self.kinds.last().unwrap_or(&Kind::Para);
        let buf = std::mem::take(&mut self.buf);
        let links = std::mem::take(&mut self.links);
        let link_chars = std::mem::take(&mut self.link_chars);
        // `<br><br>` ends a paragraph; a single `<br>` is a space.
        let mut parts: Vec<String> = Vec::new();
        let mut cur = String::new();
        let mut pending_br = 0;
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
        parts.push(cur);
        let parts: Vec<String> = parts
            .iter()
            .map(|p| collapse_ws(p))
            .filter(|p| !p.is_empty())
            .collect();
        let n = parts.len();
        for (i, text) in parts.into_iter().enumerate() {
            // Links go with the part whose text holds their anchor.
            let block_links: Vec<BodyLink> = if n == 1 {
                links.clone()
            } else {
                links
                    .iter()
                    .filter(|l| !l.text.is_empty() && text.contains(&l.text))
                    .cloned()
                    .collect()
            };
            let lc = if n == 1 {
                link_chars
            } else {
                block_links.iter().map(|l| l.text.len()).sum()
            };
            let _ = i;
            self.out.push(Block {
                kind,
                text,
                links: block_links,
                link_chars: lc,
            });
        }
    }
}

fn kind_of(name: &str) -> Kind {
    match name {
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => Kind::Heading,
        "li" | "dd" | "dt" => Kind::Item,
        "td" | "th" => Kind::Cell,
        _ => Kind::Para,
    }
}

fn walk(node: NodeRef<Node>, st: &mut State, depth: usize) {
    if depth > 256 {
        return;
    }
    match node.value() {
        Node::Text(t) => st.buf.push_str(t),
        Node::Element(e) => {
            let name = e.name();
            if SKIP.contains(&name) {
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
            if INLINE.contains(&name) {
                for c in node.children() {
                    walk(c, st, depth + 1);
                }
                if name == "a"
                    && let Some(href) = e.attr("href")
                {
                    let text = collapse_ws(&text_of(node));
                    if let Some(u) = resolve_http_url(href, st.base) {
                        st.link_chars += text.len();
                        st.links.push(BodyLink {
                            href: u.to_string(),
                            text,
                        });
                    } else {
                        st.link_chars += text.len();
                    }
                }
                return;
            }
            st.flush();
            st.kinds.push(kind_of(name));
            for c in node.children() {
                walk(c, st, depth + 1);
            }
            st.flush();
            st.kinds.pop();
        }
        _ => {
            for c in node.children() {
                walk(c, st, depth + 1);
            }
        }
    }
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

/// Splits the subtree at `node` into text blocks in document order.
pub fn blocks_from_node(node: NodeRef<Node>, base: &Url) -> Vec<Block> {
    let mut st = State {
        base,
        buf: String::new(),
        links: Vec::new(),
        link_chars: 0,
        kinds: Vec::new(),
        out: Vec::new(),
    };
    walk(node, &mut st, 0);
    st.flush();
    st.out
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
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

fn starts_with_any(lower: &str, cues: &[&str]) -> bool {
    cues.iter().any(|c| lower.starts_with(c))
}

fn contains_any(lower: &str, cues: &[&str]) -> bool {
    cues.iter().any(|c| lower.contains(c))
}

fn is_share_counter(text: &str) -> bool {
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
    let lower = lead(&b.text);
    let n = words(&b.text);
    if credit_cue(&b.text).is_some() {
        return None;
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
    if n <= 45 && contains_any(&lower, NEWSLETTER_CUES) {
        return Some("newsletter");
    }
    if n <= 30 && starts_with_any(&lower, TAG_CUES) {
        return Some("tags");
    }
    if n <= 70 && contains_any(&lower, BIO_CUES) {
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
    let n = words(&b.text);
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
    words(&b.text) <= 8 && starts_with_any(&lower, &COMMENT_CUES[..9])
}

fn link_dense(b: &Block) -> bool {
    !b.links.is_empty() && b.link_chars * 10 >= b.text.len() * 6
}

/// Applies the boilerplate rules to blocks in document order.
///
/// - single blocks: teasers ("Read also: …"), share counters, ad labels, newsletter prompts,
///   tag lines, author bios, cookie notices, comment-form prompts;
/// - a "Related"/"Read more"/"You may also like" heading drops itself and the list items or
///   link-dense blocks after it;
/// - a "Leave a reply" / "Leave a comment" heading drops everything after it except credit lines.
pub fn filter_boilerplate(blocks: Vec<Block>) -> Vec<Block> {
    let mut out = Vec::with_capacity(blocks.len());
    let mut i = 0;
    let mut in_comments = false;
    while i < blocks.len() {
        let b = &blocks[i];
        if in_comments {
            if credit_cue(&b.text).is_some() {
                out.push(b.clone());
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
                let nb = &blocks[i];
                let teaser_like = nb.kind == Kind::Item
                    || link_dense(nb)
                    || (words(&nb.text) <= 5 && nb.kind != Kind::Heading);
                if teaser_like && credit_cue(&nb.text).is_none() {
                    i += 1;
                } else {
                    break;
                }
            }
            continue;
        }
        if boilerplate_reason(b).is_none() {
            out.push(b.clone());
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

/// The body blocks of a page: trafilatura's main-content container (with links kept), split
/// into blocks; dom_smoothie (a Readability port) when trafilatura finds nothing.
pub fn body_blocks(html: &str, _doc: &Html, url: &Url, _m: &Meta) -> Vec<Block> {
    let opts = trafilatura::Options::default()
        .with_links(true)
        .with_url(url.clone());
    let mut blocks = match trafilatura::extract(html, &opts) {
        Ok(res) => blocks_from_fragment(&res.content_html, url),
        Err(_) => Vec::new(),
    };
    if blocks.iter().map(|b| b.text.len()).sum::<usize>() < 20 {
        blocks = readability_blocks(html, url);
    }
    blocks
}

/// Body blocks from dom_smoothie (Mozilla Readability port).
pub fn readability_blocks(html: &str, url: &Url) -> Vec<Block> {
    let cfg = dom_smoothie::Config::default();
    let Ok(mut r) = dom_smoothie::Readability::new(html, Some(url.as_str()), Some(cfg)) else {
        return Vec::new();
    };
    match r.parse() {
        Ok(a) => blocks_from_fragment(&a.content, url),
        Err(_) => Vec::new(),
    }
}

/// Links of the (up to three) short paragraphs that follow the last body paragraph in the page,
/// whether or not the body extractor kept them: republished copies often close with a
/// credit paragraph that is only a link ("Read the original", a bare host, the publisher).
pub fn closing_links(doc: &Html, kept: &[Block], url: &Url) -> Vec<BodyLink> {
    let mut out = Vec::new();
    let Some(last) = kept
        .iter()
        .rev()
        .find(|b| b.kind == Kind::Para && words(&b.text) >= 8)
    else {
        return out;
    };
    let psel = scraper::Selector::parse("p, div").expect("static selector");
    let mut found = false;
    let mut taken = 0;
    for e in doc.select(&psel) {
        if taken >= 3 {
            break;
        }
        let name = e.value().name();
        let text = super::meta::element_text(&e);
        if !found {
            if name == "p" && text == last.text {
                found = true;
            }
            continue;
        }
        if name == "div" {
            // Only paragraph-like divs (no block children) count.
            if e.children().any(|c| {
                c.value()
                    .as_element()
                    .is_some_and(|el| !INLINE.contains(&el.name()))
            }) {
                continue;
            }
        }
        if text.is_empty() {
            continue;
        }
        taken += 1;
        if text.chars().count() > 300 {
            continue;
        }
        let bs = blocks_from_node(*e, url);
        for b in bs {
            if boilerplate_reason(&b).is_some() || is_section_heading(&b) {
                continue;
            }
            for l in b.links {
                if !out.contains(&l) {
                    out.push(l);
                }
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
    fn share_counter_detection() {
        assert!(is_share_counter("Share 87 Tweet 7"));
        assert!(is_share_counter("Facebook 0 Twitter Pinterest 0 email"));
        assert!(!is_share_counter(
            "He shared the news on Twitter with 2 million followers."
        ));
    }
}
