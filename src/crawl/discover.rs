//! Recognising what a fetched document is (HTML page, RSS/Atom/JSON feed, sitemap) by its
//! content, and finding the URLs it leads to.
//!
//! Formats: Sitemaps protocol 0.9 (sitemaps.org: `<urlset>`, `<sitemapindex>`; Google News
//! sitemaps are `<urlset>` with a `news:` extension, and plain-text sitemaps one URL a line),
//! RSS 0.9x/1.0/2.0, Atom 1.0 (RFC 4287) and JSON Feed 1.x via `feed-rs`; HTML links via
//! `scraper` (`<a href>`, `<link rel=alternate type=…rss/atom/feed+json>`, `<base href>`).

use std::io::Read;

use quick_xml::events::Event;
use url::Url;

/// What a document is, judged from its content (the Content-Type only breaks ties).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// An HTML or XHTML page.
    Html,
    /// An RSS, Atom or JSON feed.
    Feed,
    /// A sitemap or sitemap index (XML or plain text).
    Sitemap,
    /// Anything else (not processed).
    Other,
}

impl DocKind {
    /// Name stored in the frontier.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Html => "html",
            DocKind::Feed => "feed",
            DocKind::Sitemap => "sitemap",
            DocKind::Other => "other",
        }
    }
}

/// Whether a Content-Type may be processed at all (HTML, XHTML, XML, feeds, JSON, gzip for
/// `.xml.gz` sitemaps, plain text for text sitemaps). A missing Content-Type is sniffed.
pub fn content_type_accepted(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return true;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        mime.as_str(),
        "" | "text/html"
            | "application/xhtml+xml"
            | "application/xml"
            | "text/xml"
            | "application/rss+xml"
            | "application/atom+xml"
            | "application/rdf+xml"
            | "application/feed+json"
            | "application/json"
            | "text/plain"
            | "application/x-gzip"
            | "application/gzip"
            | "application/octet-stream"
    ) || mime.ends_with("+xml")
}

/// Cuts a gzip wrapper (sitemaps are often `.xml.gz`) while keeping at most `limit` bytes.
/// Returns the body unchanged when it is not gzip.
pub fn gunzip_if_needed(body: &[u8], limit: usize) -> std::borrow::Cow<'_, [u8]> {
    if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let mut dec = flate2::read::MultiGzDecoder::new(body).take(limit as u64);
        if dec.read_to_end(&mut out).is_ok() && !out.is_empty() {
            return out.into();
        }
    }
    body.into()
}

fn skip_bom_ws(body: &[u8]) -> &[u8] {
    let b = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

/// The local name of the first element of an XML document, if it looks like XML.
fn xml_root(body: &[u8]) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut buf = Vec::new();
    for _ in 0..64 {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                return Some(e.local_name().as_ref().to_ascii_lowercase());
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
        buf.clear();
    }
    None
}

/// Recognises a (decompressed) document by its content.
pub fn classify(content_type: Option<&str>, body: &[u8]) -> DocKind {
    let b = skip_bom_ws(body);
    if b.starts_with(b"{") {
        return if feed_rs::parser::parse(b).is_ok() || json_feed_items(b).is_some() {
            DocKind::Feed
        } else {
            DocKind::Other
        };
    }
    if b.starts_with(b"<") {
        let head = &b[..b.len().min(1024)];
        let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
        if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
            return DocKind::Html;
        }
        return match xml_root(b).as_deref() {
            Some("urlset") | Some("sitemapindex") => DocKind::Sitemap,
            Some("rss") | Some("feed") | Some("rdf") => DocKind::Feed,
            Some("html") => DocKind::Html,
            _ => {
                if lower.contains("<html")
                    || lower.contains("<body")
                    || lower.contains("<head")
                    || content_type.is_some_and(|c| c.contains("html"))
                {
                    DocKind::Html
                } else {
                    DocKind::Other
                }
            }
        };
    }
    // A text sitemap: every non-empty line is an absolute http(s) URL.
    if let Ok(text) = std::str::from_utf8(b) {
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .peekable();
        if lines.peek().is_some()
            && lines.all(|l| {
                (l.starts_with("http://") || l.starts_with("https://"))
                    && !l.contains(char::is_whitespace)
            })
        {
            return DocKind::Sitemap;
        }
    }
    if content_type.is_some_and(|c| c.contains("html")) && !b.is_empty() {
        return DocKind::Html;
    }
    DocKind::Other
}

/// URLs listed in a sitemap.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SitemapEntries {
    /// Page URLs (`<urlset><url><loc>`, or the lines of a text sitemap).
    pub pages: Vec<String>,
    /// Child sitemaps (`<sitemapindex><sitemap><loc>`).
    pub sitemaps: Vec<String>,
}

/// Appends the text of an XML entity or character reference (the five predefined entities,
/// `&#…;`); other entities are dropped.
fn push_entity(text: &mut String, r: &quick_xml::events::BytesRef<'_>) {
    match r.to_string().as_str() {
        "amp" => text.push('&'),
        "lt" => text.push('<'),
        "gt" => text.push('>'),
        "quot" => text.push('"'),
        "apos" => text.push('\''),
        _ => {
            if let Ok(Some(c)) = r.resolve_char_ref() {
                text.push(c);
            }
        }
    }
}

/// Reads a sitemap, sitemap index or text sitemap (already decompressed). Malformed XML yields
/// the entries read before the error.
pub fn sitemap_entries(body: &[u8]) -> SitemapEntries {
    let b = skip_bom_ws(body);
    let mut out = SitemapEntries::default();
    if !b.starts_with(b"<") {
        if let Ok(text) = std::str::from_utf8(b) {
            out.pages = text
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
                .map(str::to_string)
                .collect();
        }
        return out;
    }
    let mut reader = quick_xml::Reader::from_reader(b);
    let mut buf = Vec::new();
    // Stack of local names: we want text of `loc` directly under `url` or `sitemap`.
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                stack.push(e.local_name().as_ref().to_ascii_lowercase());
                text.clear();
            }
            Ok(Event::Text(t)) => text.push_str(&t),
            Ok(Event::CData(t)) => text.push_str(&t),
            Ok(Event::GeneralRef(r)) => push_entity(&mut text, &r),
            Ok(Event::End(_)) => {
                let name = stack.pop();
                if name.as_deref() == Some("loc") {
                    let loc = text.trim().to_string();
                    if !loc.is_empty() {
                        match stack.last().map(String::as_str) {
                            Some("url") => out.pages.push(loc),
                            Some("sitemap") => out.sitemaps.push(loc),
                            _ => {}
                        }
                    }
                }
                text.clear();
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
        buf.clear();
    }
    out
}

/// Whether `s` is an absolute http(s) URL (as feed ids often are).
fn is_http_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// Entry links of a JSON Feed (jsonfeed.org 1.0/1.1: top-level `version` naming jsonfeed.org
/// and an `items` array), read item by item so one malformed item loses only itself: each
/// item's `url`, else an `id` that is an http(s) URL. `None` when the body is not a JSON Feed.
fn json_feed_items(b: &[u8]) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_slice(b).ok()?;
    let version = v.get("version")?.as_str()?;
    if !version.contains("jsonfeed.org") {
        return None;
    }
    let items = v.get("items")?.as_array()?;
    Some(
        items
            .iter()
            .filter_map(|item| {
                let url = item
                    .get("url")
                    .and_then(|u| u.as_str())
                    .filter(|u| is_http_url(u));
                let id = item
                    .get("id")
                    .and_then(|u| u.as_str())
                    .filter(|u| is_http_url(u));
                url.or(id).map(str::to_string)
            })
            .collect(),
    )
}

/// Entry links of a malformed RSS (0.9x/1.0/2.0) or Atom feed that `feed-rs` refuses (missing
/// closing tags, a cut-off body, a bad entity): an event scan that tolerates mismatched end tags
/// and keeps the entries read before a fatal error. Per entry: RSS `<item><link>` text, else an
/// Atom `<entry><link href>` with no `rel` or `rel="alternate"`.
fn lenient_xml_feed_items(b: &[u8]) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_reader(b);
    reader.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut out = Vec::new();
    // Inside an item/entry; its link once found; inside an RSS `<link>` element.
    let mut in_entry = false;
    let mut found: Option<String> = None;
    let mut in_link = false;
    let mut text = String::new();
    let finish = |found: &mut Option<String>, out: &mut Vec<String>| {
        if let Some(l) = found.take() {
            out.push(l);
        }
    };
    loop {
        let ev = reader.read_event_into(&mut buf);
        match ev {
            Ok(Event::Start(ref e)) | Ok(Event::Empty(ref e)) => {
                let name = e.local_name().as_ref().to_ascii_lowercase();
                match name.as_str() {
                    "item" | "entry" => {
                        finish(&mut found, &mut out);
                        in_entry = true;
                    }
                    "link" if in_entry && found.is_none() => {
                        let attr = |k: &str| {
                            e.attributes()
                                .flatten()
                                .find(|a| a.key.local_name().as_ref().eq_ignore_ascii_case(k))
                                .and_then(|a| {
                                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                        .ok()
                                        .map(|v| v.into_owned())
                                })
                        };
                        match attr("href") {
                            Some(href) => {
                                if attr("rel").is_none_or(|r| r == "alternate")
                                    && is_http_url(href.trim())
                                {
                                    found = Some(href.trim().to_string());
                                }
                            }
                            None => {
                                in_link = matches!(ev, Ok(Event::Start(_)));
                                text.clear();
                            }
                        }
                    }
                    _ => {}
                }
            }
            Ok(Event::Text(t)) if in_link => text.push_str(&t),
            Ok(Event::CData(t)) if in_link => text.push_str(&t),
            Ok(Event::GeneralRef(r)) if in_link => push_entity(&mut text, &r),
            Ok(Event::End(e)) => {
                let name = e.local_name().as_ref().to_ascii_lowercase();
                match name.as_str() {
                    "link" if in_link => {
                        in_link = false;
                        if is_http_url(text.trim()) {
                            found = Some(text.trim().to_string());
                        }
                    }
                    "item" | "entry" => {
                        finish(&mut found, &mut out);
                        in_entry = false;
                    }
                    _ => {}
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
        buf.clear();
    }
    if in_link && is_http_url(text.trim()) && found.is_none() {
        found = Some(text.trim().to_string());
    }
    finish(&mut found, &mut out);
    out
}

/// Entry links of a feed (each entry's `alternate` link, else its first link, else an id that
/// is an http(s) URL), in feed order. Parsed with `feed-rs`; a feed it refuses is read leniently
/// so one bad entry or a missing closing tag does not lose the others: a JSON Feed item by item
/// (`json_feed_items`), RSS/Atom by an event scan (`lenient_xml_feed_items`).
///
/// # Errors
/// The `feed-rs` parse error as text when the body is not a feed and no entry could be read
/// leniently either.
pub fn feed_entries(body: &[u8]) -> Result<Vec<String>, String> {
    let b = skip_bom_ws(body);
    let feed = match feed_rs::parser::parse(b) {
        Ok(f) => f,
        Err(e) => {
            let lenient = if b.starts_with(b"{") {
                json_feed_items(b)
            } else if matches!(xml_root(b).as_deref(), Some("rss" | "feed" | "rdf")) {
                Some(lenient_xml_feed_items(b))
            } else {
                None
            };
            return match lenient {
                Some(items) if !items.is_empty() => Ok(items),
                _ => Err(e.to_string()),
            };
        }
    };
    let mut out = Vec::new();
    for entry in feed.entries {
        let link = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or_else(|| entry.links.first())
            .map(|l| l.href.clone())
            .or_else(|| is_http_url(&entry.id).then(|| entry.id.clone()));
        if let Some(l) = link {
            out.push(l);
        }
    }
    Ok(out)
}

/// Links found in an HTML page.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HtmlLinks {
    /// `<a href>` targets, absolute, in document order (not yet canonicalised or de-duplicated).
    pub links: Vec<Url>,
    /// Feeds announced by `<link rel="alternate" type="application/rss+xml|atom+xml|feed+json">`.
    pub feeds: Vec<Url>,
}

/// Extracts links from an HTML page (decoded as [`crate::extract::charset::decode`] does),
/// resolving them against `<base href>` or `url`. `rel=nofollow` links are skipped.
pub fn html_links(body: &[u8], content_type: Option<&str>, url: &Url) -> HtmlLinks {
    html_links_for(body, content_type, url, true)
}

/// Whether a decoded HTML text may hold a `<link>` element: the parser makes one only from a
/// start tag spelt `<link` (any ASCII case; a tag name never contains character references),
/// so a text without that string has none.
fn may_have_link_element(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr_iter(b'<', b).any(|i| {
        b.get(i + 1..i + 5)
            .is_some_and(|n| n.eq_ignore_ascii_case(b"link"))
    })
}

/// [`html_links`]; without `want_links`, only the feeds are wanted, and a page that cannot
/// announce one (no `<link` start tag, see `may_have_link_element`) is not parsed at all.
/// `links` is then empty.
pub fn html_links_for(
    body: &[u8],
    content_type: Option<&str>,
    url: &Url,
    want_links: bool,
) -> HtmlLinks {
    let text = crate::extract::charset::decode(body, content_type).text;
    if !want_links && !may_have_link_element(&text) {
        return HtmlLinks::default();
    }
    let doc = scraper::Html::parse_document(&text);
    let mut base = url.clone();
    if let Ok(sel) = scraper::Selector::parse("base[href]")
        && let Some(b) = doc.select(&sel).next()
        && let Some(h) = b.value().attr("href")
        && let Ok(u) = url.join(h.trim())
    {
        base = u;
    }
    let mut out = HtmlLinks::default();
    if want_links && let Ok(sel) = scraper::Selector::parse("a[href]") {
        for a in doc.select(&sel) {
            let v = a.value();
            if v.attr("rel").is_some_and(|r| {
                r.split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("nofollow"))
            }) {
                continue;
            }
            if let Some(h) = v.attr("href")
                && let Ok(u) = base.join(h.trim())
            {
                out.links.push(u);
            }
        }
    }
    if let Ok(sel) = scraper::Selector::parse("link[rel][href][type]") {
        for l in doc.select(&sel) {
            let v = l.value();
            let rel_alt = v.attr("rel").is_some_and(|r| {
                r.split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("alternate"))
            });
            let ty = v.attr("type").unwrap_or("").to_ascii_lowercase();
            let is_feed = ty.contains("rss") || ty.contains("atom") || ty.contains("feed+json");
            if rel_alt
                && is_feed
                && let Some(h) = v.attr("href")
                && let Ok(u) = base.join(h.trim())
            {
                out.feeds.push(u);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>T</title><link>https://a.example/</link>
<item><title>One</title><link>https://a.example/one?utm_source=rss</link></item>
<item><title>Two</title><link>https://a.example/two</link></item>
</channel></rss>"#;

    const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:x</id><updated>2024-05-14T09:00:00Z</updated>
<entry><title>A</title><id>urn:a</id><updated>2024-05-14T09:00:00Z</updated>
<link rel="alternate" href="https://b.example/a"/><link rel="replies" href="https://b.example/a#c"/></entry>
</feed>"#;

    const JSON_FEED: &str = r#"{"version":"https://jsonfeed.org/version/1.1","title":"T",
"items":[{"id":"1","url":"https://c.example/1","content_text":"x"}]}"#;

    const NEWS_SITEMAP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://d.example/story?a=1&amp;b=2</loc>
    <news:news><news:title>S</news:title></news:news></url>
  <url><loc> https://d.example/other </loc></url>
</urlset>"#;

    const INDEX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://d.example/sitemap-1.xml</loc></sitemap>
  <sitemap><loc><![CDATA[https://d.example/sitemap-2.xml.gz]]></loc></sitemap>
</sitemapindex>"#;

    #[test]
    fn classifies_by_content_not_by_name_or_type() {
        assert_eq!(classify(Some("text/html"), RSS.as_bytes()), DocKind::Feed);
        assert_eq!(
            classify(Some("application/xml"), ATOM.as_bytes()),
            DocKind::Feed
        );
        assert_eq!(classify(None, JSON_FEED.as_bytes()), DocKind::Feed);
        assert_eq!(
            classify(Some("text/xml"), NEWS_SITEMAP.as_bytes()),
            DocKind::Sitemap
        );
        assert_eq!(classify(None, INDEX.as_bytes()), DocKind::Sitemap);
        assert_eq!(
            classify(
                Some("text/plain"),
                b"https://a.example/1\nhttps://a.example/2\n"
            ),
            DocKind::Sitemap
        );
        assert_eq!(
            classify(
                Some("application/xml"),
                b"<!DOCTYPE html><html><p>x</p></html>"
            ),
            DocKind::Html
        );
        assert_eq!(
            classify(None, b"\xEF\xBB\xBF  <html><body>x</body></html>"),
            DocKind::Html
        );
        assert_eq!(
            classify(Some("application/json"), b"{\"a\":1}"),
            DocKind::Other
        );
        assert_eq!(classify(None, b"plain words"), DocKind::Other);
    }

    #[test]
    fn feeds_yield_entry_links() {
        assert_eq!(
            feed_entries(RSS.as_bytes()).unwrap(),
            vec![
                "https://a.example/one?utm_source=rss",
                "https://a.example/two"
            ]
        );
        assert_eq!(
            feed_entries(ATOM.as_bytes()).unwrap(),
            vec!["https://b.example/a"]
        );
        assert_eq!(
            feed_entries(JSON_FEED.as_bytes()).unwrap(),
            vec!["https://c.example/1"]
        );
        assert!(feed_entries(b"<html></html>").is_err());
    }

    #[test]
    fn malformed_feeds_lose_only_their_bad_parts() {
        // JSON Feed: one item with a wrongly typed field (feed-rs refuses the whole feed).
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[
            {"id":"1","url":"https://c.example/1"},
            {"id":2,"url":["not","a","string"],"date_published":"yesterday"},
            {"id":"https://c.example/3"}]}"#;
        assert!(feed_rs::parser::parse(json.as_bytes()).is_err());
        assert_eq!(classify(None, json.as_bytes()), DocKind::Feed);
        assert_eq!(
            feed_entries(json.as_bytes()).unwrap(),
            ["https://c.example/1", "https://c.example/3"]
        );
        // JSON that is not a JSON Feed stays an error.
        assert!(
            feed_entries(br#"{"version":"1","items":[{"url":"https://x.example/"}]}"#).is_err()
        );
        // RSS with missing closing tags and a cut-off end.
        let rss = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>
            <item><title>One</title><link>https://a.example/one?x=1&amp;y=2</link>
            <item><title>Two <b>bold</title><link>https://a.example/two</link></item>
            <item><title>Three</title><link> https://a.example/three </link>";
        assert!(feed_rs::parser::parse(rss.as_bytes()).is_err());
        assert_eq!(
            feed_entries(rss.as_bytes()).unwrap(),
            [
                "https://a.example/one?x=1&y=2",
                "https://a.example/two",
                "https://a.example/three"
            ]
        );
        // Atom without closing tags: rel=alternate (or no rel) links only.
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
            <entry><link rel="replies" href="https://b.example/a#c"/><link href="https://b.example/a"/>
            <entry><link rel="alternate" href="https://b.example/b">"#;
        assert_eq!(
            feed_entries(atom.as_bytes()).unwrap(),
            ["https://b.example/a", "https://b.example/b"]
        );
        // A broken feed with no readable entry stays an error.
        assert!(feed_entries(b"<rss><channel><item><title>x").is_err());
    }

    #[test]
    fn sitemaps_and_indexes() {
        let s = sitemap_entries(NEWS_SITEMAP.as_bytes());
        assert_eq!(
            s.pages,
            vec!["https://d.example/story?a=1&b=2", "https://d.example/other"]
        );
        assert!(s.sitemaps.is_empty());
        let s = sitemap_entries(INDEX.as_bytes());
        assert!(s.pages.is_empty());
        assert_eq!(
            s.sitemaps,
            vec![
                "https://d.example/sitemap-1.xml",
                "https://d.example/sitemap-2.xml.gz"
            ]
        );
        // Truncated XML: what was read before the error is kept.
        let cut = &NEWS_SITEMAP.as_bytes()[..NEWS_SITEMAP.find("<url><loc> https").unwrap()];
        assert_eq!(
            sitemap_entries(cut).pages,
            vec!["https://d.example/story?a=1&b=2"]
        );
    }

    #[test]
    fn gzip_sitemaps_are_decompressed() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(INDEX.as_bytes()).unwrap();
        let gz = enc.finish().unwrap();
        let plain = gunzip_if_needed(&gz, 1 << 20);
        assert_eq!(&*plain, INDEX.as_bytes());
        assert_eq!(&*gunzip_if_needed(b"abc", 10), b"abc");
        assert_eq!(gunzip_if_needed(&gz, 10).len(), 10);
    }

    #[test]
    fn html_links_and_feed_alternates() {
        let html = br#"<html><head><base href="https://e.example/news/">
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="stylesheet" type="text/css" href="/x.css"></head>
<body><a href="story-1.html">1</a> <a href="https://f.example/x" rel="nofollow">no</a>
<a href=" /abs#frag ">abs</a></body></html>"#;
        let url = Url::parse("https://e.example/").unwrap();
        let l = html_links(html, Some("text/html"), &url);
        let links: Vec<String> = l.links.iter().map(Url::to_string).collect();
        assert_eq!(
            links,
            vec![
                "https://e.example/news/story-1.html",
                "https://e.example/abs#frag"
            ]
        );
        assert_eq!(
            l.feeds,
            vec![Url::parse("https://e.example/feed.xml").unwrap()]
        );
    }

    #[test]
    fn feeds_alone_are_found_as_by_a_full_parse() {
        let url = Url::parse("https://e.example/").unwrap();
        let feed_pages: [&[u8]; 3] = [
            br#"<html><head><LINK REL="Alternate" TYPE="application/atom+xml" HREF="/a"></head><body><a href="/x">x</a></body></html>"#,
            br#"<html><head><link
rel="alternate" type="application/feed+json" href="/f.json"></head></html>"#,
            br#"<html><body><a href="/x">x</a></body></html>"#,
        ];
        for body in feed_pages {
            let full = html_links(body, Some("text/html"), &url);
            let feeds_only = html_links_for(body, Some("text/html"), &url, false);
            assert_eq!(feeds_only.feeds, full.feeds);
            assert!(feeds_only.links.is_empty());
        }
        assert_eq!(
            html_links_for(feed_pages[0], None, &url, false).feeds,
            vec![Url::parse("https://e.example/a").unwrap()]
        );
        // UTF-16 (BOM): `<link` is not in the raw bytes, but the decoded text is searched.
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                r#"<html><head><link rel="alternate" type="application/rss+xml" href="/r"></head></html>"#
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        assert_eq!(
            html_links_for(&utf16, Some("text/html"), &url, false).feeds,
            vec![Url::parse("https://e.example/r").unwrap()]
        );
        assert!(!may_have_link_element("<html><a href=x>link</a> <lin k>"));
        assert!(may_have_link_element("x <LiNk rel=alternate>"));
    }

    #[test]
    fn content_types() {
        assert!(content_type_accepted(Some("text/html; charset=utf-8")));
        assert!(content_type_accepted(Some("application/xhtml+xml")));
        assert!(content_type_accepted(Some("application/rss+xml")));
        assert!(content_type_accepted(None));
        assert!(!content_type_accepted(Some("image/jpeg")));
        assert!(!content_type_accepted(Some("application/pdf")));
        assert!(!content_type_accepted(Some("video/mp4")));
    }
}
