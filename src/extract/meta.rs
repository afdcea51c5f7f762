//! Page metadata from markup: JSON-LD, OpenGraph, `<meta>`, `<link>`, microdata and `<time>`.
//!
//! Precedence (first value found wins):
//! - **title**: `og:title` → `twitter:title` → JSON-LD `headline` → the `<h1>` that `<title>`
//!   starts with → `<title>` minus a trailing " | Site" part → first `<h1>`.
//! - **published**: JSON-LD `datePublished` (article-like node first, then any node; `@graph`,
//!   arrays and nested nodes are searched) → `<meta>` (`article:published_time` and the other
//!   names in [`PUBLISHED_METAS`]) → microdata `itemprop=datePublished` (attribute values only) →
//!   `<time pubdate datetime>` → the first `<time datetime>` → a date stamp in a short
//!   byline-like element (class/id naming a date, time, byline, posting) or a short text node
//!   that is only a date with a time of day ("기사입력 :[ 2019-11-20 01:49 ]") → a
//!   `/yyyy/mm/dd/` URL path (date only). The first candidate wins, except that a bare date is
//!   replaced by a later candidate with a time of day on the same day (±1). Values without a
//!   zone are UTC. Never from prose sentences, inline scripts other than JSON-LD, or the fetch
//!   time.
//! - **modified**: JSON-LD `dateModified` → `<meta>` ([`MODIFIED_METAS`]) → `itemprop=dateModified`.
//! - **authors**: JSON-LD `author` (string, object, array, `@id` references resolved against
//!   every node on the page) → `<meta name=author>` → `rel=author` / `itemprop=author` text with
//!   "By" and trailing punctuation removed.
//! - **site name**: `og:site_name` → JSON-LD publisher name (with `@id` resolution) → JSON-LD
//!   `WebSite` name → `application-name`.
//! - **canonical URL**: the first `<link rel=canonical>` that resolves (RFC 3986, against the page
//!   URL) to an absolute http(s) URL with a host; otherwise the page URL itself.
//! - **og:url**: `og:url`, resolved and validated the same way, kept apart.

use std::collections::HashMap;

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

use super::dates::{ParsedDate, date_from_url_path, parse_loose};

/// `<meta>` names/properties read for the publication date, in precedence order.
pub const PUBLISHED_METAS: &[&str] = &[
    "article:published_time",
    "article:published",
    "og:published_time",
    "og:article:published_time",
    "published_time",
    "article.published",
    "article_date_original",
    "datepublished",
    "date_published",
    "publish-date",
    "publish_date",
    "publishdate",
    "pubdate",
    "original-publish-date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "dc.date",
    "dcterms.date",
    "sailthru.date",
    "parsely-pub-date",
    "cxenseparse:recs:publishtime",
    "date",
];

/// `<meta>` names/properties read for the modification date, in precedence order.
pub const MODIFIED_METAS: &[&str] = &[
    "article:modified_time",
    "article:modified",
    "og:updated_time",
    "datemodified",
    "date_modified",
    "last-modified",
    "dcterms.modified",
    "dc.date.modified",
];

const ARTICLE_TYPES: &[&str] = &[
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "reviewnewsarticle",
    "askpublicnewsarticle",
    "blogposting",
    "liveblogposting",
    "socialmediaposting",
    "report",
    "scholarlyarticle",
    "techarticle",
    "posting",
];

/// Metadata read from the page markup.
#[derive(Debug, Default, Clone)]
pub struct Meta {
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub published: Option<ParsedDate>,
    pub published_source: Option<&'static str>,
    pub modified: Option<ParsedDate>,
    pub canonical_url: Option<String>,
    pub canonical_declared_invalid: bool,
    pub og_url: Option<String>,
    pub site_name: Option<String>,
    pub declared_language: Option<String>,
    pub description: Option<String>,
    pub jsonld_types: Vec<String>,
    /// JSON-LD `articleBody` of the article node, if any.
    pub jsonld_body: Option<String>,
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("static selector")
}

/// Collapses runs of whitespace to one space and trims.
pub fn collapse_ws(s: &str) -> String {
    // Already collapsed (no leading, trailing or repeated whitespace, no whitespace other
    // than ' '): a plain copy, without building the string word by word.
    let mut prev_space = true;
    let collapsed = s.chars().all(|c| {
        let ok = if c == ' ' {
            !prev_space
        } else {
            !c.is_whitespace()
        };
        prev_space = c == ' ';
        ok
    });
    if collapsed && (s.is_empty() || !prev_space) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Text of an element, whitespace collapsed.
pub fn element_text(e: &ElementRef) -> String {
    let mut s = String::new();
    for t in e.text() {
        s.push_str(t);
    }
    collapse_ws(&s)
}

/// Resolves `raw` against `base` (RFC 3986 via the WHATWG URL parser) and keeps it only if it is
/// an absolute `http`/`https` URL with a non-empty host. The fragment is dropped.
pub fn resolve_http_url(raw: &str, base: &Url) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let mut u = base.join(raw).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    match u.host_str() {
        Some(h) if !h.is_empty() && !h.starts_with('.') => {}
        _ => return None,
    }
    u.set_fragment(None);
    Some(u)
}

/// Reads the metadata of a parsed document fetched from `url`.
pub fn read(doc: &Html, url: &Url) -> Meta {
    let mut m = Meta::default();
    let head = HeadElements::of(doc);
    let metas = collect_metas(&head.metas);
    let ld = JsonLd::from_scripts(&head.scripts);
    m.jsonld_types = ld.types.clone();
    let art = ld.article_node();

    // Title.
    m.title = first_meta(&metas, &["og:title", "twitter:title"])
        .or_else(|| art.and_then(|a| str_field(a, "headline")))
        .or_else(|| title_from_title_tag(doc));

    // Dates: candidates in precedence order; the first wins, but a later candidate with a time
    // of day on the same day replaces a bare date.
    let mut cands: Vec<(ParsedDate, &'static str)> = Vec::new();
    cands.extend(ld.dates("datePublished"));
    cands.extend(
        date_metas(&metas, PUBLISHED_METAS)
            .into_iter()
            .map(|d| (d, "meta")),
    );
    // Later sources only matter while the first candidate lacks a time of day (see below), so
    // the costlier whole-document scans run only then.
    let settled = |c: &[(ParsedDate, &'static str)]| c.first().is_some_and(|(d, _)| d.has_time);
    if !settled(&cands) {
        cands.extend(itemprop_date(doc, "datePublished").map(|d| (d, "itemprop")));
    }
    if !settled(&cands) {
        cands.extend(time_element_date(doc).map(|d| (d, "time")));
    }
    if !settled(&cands) {
        cands.extend(visible_date(doc).map(|d| (d, "visible")));
    }
    if !settled(&cands) {
        cands.extend(date_from_url_path(url.path()).map(|d| (d, "url")));
    }
    if let Some(&(first, src)) = cands.first() {
        let pick = if first.has_time {
            (first, src)
        } else {
            cands
                .iter()
                .find(|(d, _)| {
                    d.has_time && (d.at.date_naive() - first.at.date_naive()).num_days().abs() <= 1
                })
                .copied()
                .unwrap_or((first, src))
        };
        m.published = Some(pick.0);
        m.published_source = Some(pick.1);
    }
    m.modified = ld
        .dates("dateModified")
        .into_iter()
        .map(|(d, _)| d)
        .next()
        .or_else(|| date_metas(&metas, MODIFIED_METAS).into_iter().next())
        .or_else(|| itemprop_date(doc, "dateModified"));

    // Authors.
    m.authors = art.map(|a| ld.names(a.get("author"))).unwrap_or_default();
    if m.authors.is_empty() {
        m.authors = ld
            .nodes
            .iter()
            .find_map(|n| {
                let v = ld.names(n.get("author"));
                (!v.is_empty()).then_some(v)
            })
            .unwrap_or_default();
    }
    if m.authors.is_empty()
        && let Some(a) = first_meta(&metas, &["author", "article:author", "sailthru.author"])
        && !a.starts_with("http")
    {
        m.authors = a
            .split([';', '|'])
            .filter_map(clean_author)
            .collect::<Vec<_>>();
    }
    if m.authors.is_empty() {
        for e in doc.select(&sel("[rel~=author], [itemprop=author]")) {
            let name = e
                .select(&sel("[itemprop=name]"))
                .next()
                .map(|n| element_text(&n))
                .unwrap_or_else(|| element_text(&e));
            if let Some(n) = clean_author(&name)
                && !m.authors.contains(&n)
            {
                m.authors.push(n);
            }
        }
    }
    dedup(&mut m.authors);

    // Site name.
    m.site_name = first_meta(&metas, &["og:site_name"])
        .or_else(|| {
            art.and_then(|a| ld.names(a.get("publisher")).into_iter().next())
                .or_else(|| {
                    ld.nodes
                        .iter()
                        .find_map(|n| ld.names(n.get("publisher")).into_iter().next())
                })
        })
        .or_else(|| {
            ld.nodes
                .iter()
                .find(|n| has_type(n, &["website"]))
                .and_then(|n| str_field(n, "name"))
        })
        .or_else(|| first_meta(&metas, &["application-name"]));

    // URLs.
    let mut declared = false;
    for e in &head.links {
        let rel = e.value().attr("rel").unwrap_or("").to_ascii_lowercase();
        if !rel.split_whitespace().any(|t| t == "canonical") {
            continue;
        }
        declared = true;
        if let Some(u) = resolve_http_url(e.value().attr("href").unwrap_or(""), url) {
            m.canonical_url = Some(u.to_string());
            break;
        }
    }
    if m.canonical_url.is_none() {
        m.canonical_declared_invalid = declared;
        if matches!(url.scheme(), "http" | "https") {
            let mut u = url.clone();
            u.set_fragment(None);
            m.canonical_url = Some(u.to_string());
        }
    }
    m.og_url = first_meta(&metas, &["og:url"])
        .and_then(|v| resolve_http_url(&v, url))
        .map(|u| u.to_string());

    // Language as declared.
    let html_lang = head
        .html
        .and_then(|e| {
            e.value()
                .attr("lang")
                .or_else(|| e.value().attr("xml:lang"))
        })
        .map(str::to_string);
    m.declared_language = html_lang
        .or_else(|| first_meta(&metas, &["content-language", "og:locale", "language"]))
        .or_else(|| art.and_then(|a| str_field(a, "inLanguage")))
        .and_then(|l| iso639_1(&l));

    m.description = first_meta(&metas, &["description", "og:description"]);
    m.jsonld_body = art.and_then(|a| str_field(a, "articleBody"));
    m
}

/// The elements [`read`] looks at on every page, gathered in one pass over the tree instead of
/// one `Html::select` per selector, in the order `select` yields them (the tree's arena order,
/// elements attached to the tree only): `meta[content]`, `script[type]`, `link[rel][href]`,
/// and the first `html[lang], html[xml:lang]`.
struct HeadElements<'a> {
    metas: Vec<ElementRef<'a>>,
    scripts: Vec<ElementRef<'a>>,
    links: Vec<ElementRef<'a>>,
    html: Option<ElementRef<'a>>,
}

impl<'a> HeadElements<'a> {
    fn of(doc: &'a Html) -> HeadElements<'a> {
        let mut h = HeadElements {
            metas: Vec::new(),
            scripts: Vec::new(),
            links: Vec::new(),
            html: None,
        };
        for node in doc.tree.nodes() {
            let Some(e) = ElementRef::wrap(node) else {
                continue;
            };
            if e.parent().is_none() {
                continue;
            }
            let v = e.value();
            match v.name() {
                "meta" if v.attr("content").is_some() => h.metas.push(e),
                "script" if v.attr("type").is_some() => h.scripts.push(e),
                "link" if v.attr("rel").is_some() && v.attr("href").is_some() => h.links.push(e),
                "html"
                    if h.html.is_none()
                        && (v.attr("lang").is_some() || v.attr("xml:lang").is_some()) =>
                {
                    h.html = Some(e)
                }
                _ => {}
            }
        }
        h
    }
}

/// Lower-cased `<meta>` key (name, property, itemprop or http-equiv) → contents, in page order.
fn collect_metas(metas: &[ElementRef]) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for e in metas {
        let v = e.value();
        let content = v.attr("content").unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        for key in ["property", "name", "itemprop", "http-equiv"] {
            if let Some(k) = v.attr(key) {
                out.entry(k.trim().to_ascii_lowercase())
                    .or_default()
                    .push(content.to_string());
            }
        }
    }
    out
}

fn first_meta(metas: &HashMap<String, Vec<String>>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| {
        metas
            .get(*k)
            .and_then(|v| v.iter().map(|s| collapse_ws(s)).find(|s| !s.is_empty()))
    })
}

fn date_metas(metas: &HashMap<String, Vec<String>>, keys: &[&str]) -> Vec<ParsedDate> {
    keys.iter()
        .filter_map(|k| {
            metas
                .get(*k)
                .and_then(|v| v.iter().find_map(|s| parse_loose(s)))
        })
        .collect()
}

/// A date written in a short byline-like element (class or id naming a date, time, byline or
/// posting), e.g. `<span class="post-date">Nov. 19, 2019 8:03 am ET</span>`; failing that, a
/// short text node (≤ 60 chars) outside scripts that is a date stamp with a time of day
/// ("기사입력 :[ 2019-11-20 01:49 ]"). A stamp with a time beats a bare date.
fn visible_date(doc: &Html) -> Option<ParsedDate> {
    const HINTS: &[&str] = &[
        "date", "time", "byline", "posted", "publish", "dateline", "meta",
    ];
    let mut date_only = None;
    let mut cls = String::new();
    for e in doc.select(&sel("[class], [id]")) {
        let v = e.value();
        cls.clear();
        cls.push_str(v.attr("class").unwrap_or(""));
        cls.push(' ');
        cls.push_str(v.attr("id").unwrap_or(""));
        cls.make_ascii_lowercase();
        if !HINTS.iter().any(|h| cls.contains(h)) || cls.contains("comment") {
            continue;
        }
        if matches!(
            v.name(),
            "script" | "style" | "body" | "html" | "head" | "meta"
        ) {
            continue;
        }
        let mut len = 0;
        let mut raw = String::new();
        for t in e.text() {
            len += t.len();
            if len > 160 {
                break;
            }
            raw.push_str(t);
        }
        if len > 160 {
            continue;
        }
        let text = collapse_ws(&raw);
        if text.len() < 8 || !text.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Some(d) = parse_loose(&text) {
            if d.has_time {
                return Some(d);
            }
            date_only.get_or_insert(d);
        }
    }
    let body = doc.select(&sel("body")).next()?;
    for n in body.descendants() {
        let Some(t) = n.value().as_text() else {
            continue;
        };
        let t: &str = t;
        if t.len() > 90 || t.trim().len() < 8 || !t.contains(':') {
            continue;
        }
        let in_script = n.ancestors().any(|a| {
            a.value()
                .as_element()
                .is_some_and(|e| matches!(e.name(), "script" | "style" | "noscript" | "template"))
        });
        if in_script {
            continue;
        }
        let text = collapse_ws(t);
        if text.chars().count() > 60 {
            continue;
        }
        if let Some(d) = parse_loose(&text).filter(|d| d.has_time) {
            return Some(d);
        }
    }
    date_only
}

fn itemprop_date(doc: &Html, prop: &str) -> Option<ParsedDate> {
    let s = sel(&format!("[itemprop={prop}]"));
    doc.select(&s).find_map(|e| {
        let v = e.value();
        v.attr("datetime")
            .and_then(parse_loose)
            .or_else(|| v.attr("content").and_then(parse_loose))
            .or_else(|| v.attr("value").and_then(parse_loose))
    })
}

fn time_element_date(doc: &Html) -> Option<ParsedDate> {
    doc.select(&sel("time[pubdate][datetime]"))
        .find_map(|e| e.value().attr("datetime").and_then(parse_loose))
        .or_else(|| {
            doc.select(&sel("time[datetime]"))
                .find_map(|e| e.value().attr("datetime").and_then(parse_loose))
        })
}

fn title_from_title_tag(doc: &Html) -> Option<String> {
    let title = doc
        .select(&sel("title"))
        .next()
        .map(|e| element_text(&e))
        .filter(|t| !t.is_empty());
    let h1s: Vec<String> = doc
        .select(&sel("h1"))
        .map(|e| element_text(&e))
        .filter(|t| !t.is_empty())
        .collect();
    let Some(title) = title else {
        return h1s.into_iter().next();
    };
    if let Some(h) = h1s.iter().find(|h| title.starts_with(h.as_str())) {
        return Some(h.clone());
    }
    for sep in [" | ", " - ", " – ", " — ", " :: ", " · "] {
        if let Some(i) = title.rfind(sep) {
            let head = title[..i].trim();
            if head.split_whitespace().count() >= 3 {
                return Some(head.to_string());
            }
        }
    }
    Some(title)
}

/// Cleans a byline fragment: drops a leading "By"/"Von"/"Por", trailing punctuation, and values
/// that are not names (URLs, empty, very long).
fn clean_author(raw: &str) -> Option<String> {
    let mut s = collapse_ws(raw);
    for p in [
        "By ", "by ", "BY ", "Von ", "von ", "Por ", "por ", "Par ", "par ",
    ] {
        if let Some(r) = s.strip_prefix(p) {
            s = r.to_string();
        }
    }
    let s = s
        .trim_matches(|c: char| c == ',' || c == ';' || c == '|' || c.is_whitespace())
        .to_string();
    if s.is_empty() || s.len() > 80 || s.contains("://") || s.contains('@') {
        return None;
    }
    Some(s)
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|s| seen.insert(s.to_lowercase()));
}

/// ISO 639-1 code from a language tag such as `en-US`, `pt_BR` or `de`.
pub fn iso639_1(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    (primary.len() == 2 && primary.chars().all(|c| c.is_ascii_lowercase())).then_some(primary)
}

fn str_field(node: &Value, key: &str) -> Option<String> {
    match node.get(key)? {
        Value::String(s) => Some(collapse_ws(s)).filter(|s| !s.is_empty()),
        Value::Array(a) => a.iter().find_map(|v| v.as_str().map(collapse_ws)),
        Value::Object(o) => o
            .get("@value")
            .or_else(|| o.get("name"))
            .and_then(|v| v.as_str())
            .map(collapse_ws),
        _ => None,
    }
}

fn type_names(node: &Value) -> Vec<String> {
    match node.get("@type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

fn has_type(node: &Value, wanted: &[&str]) -> bool {
    type_names(node).iter().any(|t| {
        let t = t
            .rsplit(['/', ':'])
            .next()
            .unwrap_or(t)
            .to_ascii_lowercase();
        wanted.contains(&t.as_str())
    })
}

/// All JSON-LD nodes of a page, flattened, with an `@id` index.
struct JsonLd {
    nodes: Vec<Value>,
    by_id: HashMap<String, usize>,
    types: Vec<String>,
}

impl JsonLd {
    /// From the page's `script[type]` elements (see [`HeadElements`]).
    fn from_scripts(scripts: &[ElementRef]) -> JsonLd {
        let mut nodes = Vec::new();
        for e in scripts {
            let t = e.value().attr("type").unwrap_or("").to_ascii_lowercase();
            if !t.contains("ld+json") {
                continue;
            }
            let raw: String = e.text().collect();
            let raw = raw.trim().trim_end_matches(';');
            let v: Value = match serde_json::from_str(raw) {
                Ok(v) => v,
                Err(_) => match serde_json::from_str(&raw.replace(['\n', '\r', '\t'], " ")) {
                    Ok(v) => v,
                    Err(_) => continue,
                },
            };
            flatten(&v, &mut nodes, 0);
        }
        let mut by_id = HashMap::new();
        let mut types = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            if let Some(id) = n.get("@id").and_then(|v| v.as_str()) {
                // A node with content beats a bare reference.
                let is_ref = n.as_object().is_some_and(|o| o.len() == 1);
                if !is_ref {
                    by_id.entry(id.to_string()).or_insert(i);
                }
            }
            for t in type_names(n) {
                if !types.contains(&t) {
                    types.push(t);
                }
            }
        }
        JsonLd {
            nodes,
            by_id,
            types,
        }
    }

    fn article_node(&self) -> Option<&Value> {
        self.nodes.iter().find(|n| has_type(n, ARTICLE_TYPES))
    }

    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        if let Some(o) = v.as_object()
            && o.len() <= 2
            && !o.contains_key("name")
            && let Some(id) = o.get("@id").and_then(|x| x.as_str())
            && let Some(&i) = self.by_id.get(id)
        {
            return &self.nodes[i];
        }
        v
    }

    /// Names in an author/publisher value: string, object with `name`, `@id` reference, or an
    /// array of those.
    fn names(&self, v: Option<&Value>) -> Vec<String> {
        let mut out = Vec::new();
        let Some(v) = v else { return out };
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for it in items {
            let it = self.resolve(it);
            let name = match it {
                Value::String(s) => Some(s.clone()),
                Value::Object(_) => str_field(it, "name").or_else(|| {
                    let g = str_field(it, "givenName")?;
                    Some(match str_field(it, "familyName") {
                        Some(f) => format!("{g} {f}"),
                        None => g,
                    })
                }),
                _ => None,
            };
            if let Some(n) = name.and_then(|n| clean_author(&n)) {
                out.push(n);
            }
        }
        out
    }

    /// Every parseable `key` date: article-like nodes first, then the other nodes.
    fn dates(&self, key: &str) -> Vec<(ParsedDate, &'static str)> {
        let from = |n: &Value| match n.get(key) {
            Some(Value::String(s)) => parse_loose(s),
            Some(Value::Array(a)) => a.iter().find_map(|v| v.as_str().and_then(parse_loose)),
            _ => None,
        };
        let mut out: Vec<(ParsedDate, &'static str)> = self
            .nodes
            .iter()
            .filter(|n| has_type(n, ARTICLE_TYPES))
            .filter_map(from)
            .map(|d| (d, "json-ld"))
            .collect();
        out.extend(
            self.nodes
                .iter()
                .filter(|n| !has_type(n, ARTICLE_TYPES))
                .filter_map(from)
                .map(|d| (d, "json-ld-other")),
        );
        out
    }
}

/// Collects every object node of a JSON-LD value (arrays, `@graph`, nested values).
fn flatten(v: &Value, out: &mut Vec<Value>, depth: usize) {
    if depth > 12 || out.len() > 2000 {
        return;
    }
    match v {
        Value::Array(a) => a.iter().for_each(|x| flatten(x, out, depth + 1)),
        Value::Object(o) => {
            if o.contains_key("@type") || o.contains_key("@id") {
                out.push(v.clone());
            }
            for (k, x) in o {
                if k == "@context" {
                    continue;
                }
                if x.is_array() || x.is_object() {
                    flatten(x, out, depth + 1);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str) -> Meta {
        read(
            &Html::parse_document(html),
            &Url::parse("https://news.example/a/b?x=1").unwrap(),
        )
    }

    #[test]
    fn one_pass_finds_what_each_selector_finds() {
        // Misnested markup (elements the tree builder moves: a <meta> and a <link> inside a
        // table are foster-parented) and a second <html> tag (its attributes merge into the
        // first), so arena order and document order differ.
        let html = r#"<html lang="de"><head><meta name="a" content="1"><meta name="b">
            <script type="application/ld+json">{"@type":"NewsArticle"}</script><script>x</script>
            <link rel="canonical" href="/c"><link rel="icon"></head><body>
            <table><tr><td>cell</td></tr><meta property="og:title" content="T">
            <link rel="author" href="/me"></table><html xml:lang="fr">
            <div><meta itemprop="x" content="2"><script type="text/plain">y</script></div>
            </body></html>"#;
        let doc = Html::parse_document(html);
        let ids = |v: Vec<ElementRef>| v.iter().map(|e| e.id()).collect::<Vec<_>>();
        let h = HeadElements::of(&doc);
        let by = |s: &str| ids(doc.select(&sel(s)).collect());
        assert_eq!(ids(h.metas.clone()), by("meta[content]"));
        assert_eq!(h.metas.len(), 3);
        assert_eq!(ids(h.scripts.clone()), by("script[type]"));
        assert_eq!(h.scripts.len(), 2);
        assert_eq!(ids(h.links.clone()), by("link[rel][href]"));
        assert_eq!(h.links.len(), 2);
        assert_eq!(
            h.html.map(|e| e.id()),
            doc.select(&sel("html[lang], html[xml\\:lang]"))
                .next()
                .map(|e| e.id())
        );
        assert!(h.html.is_some());
    }

    #[test]
    fn collapse_ws_fast_path_matches_the_general_one() {
        for (raw, want) in [
            ("a b c", "a b c"),
            ("", ""),
            (" ", ""),
            ("a  b", "a b"),
            (" a", "a"),
            ("a ", "a"),
            ("a\tb", "a b"),
            ("a\u{b}b", "a b"),
            ("a\u{a0}b", "a b"),
            ("caf\u{e9} \u{2019}x\u{2019}", "caf\u{e9} \u{2019}x\u{2019}"),
            ("x\u{3000}\u{3000}y", "x y"),
        ] {
            assert_eq!(collapse_ws(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn jsonld_graph_refs_and_arrays() {
        let m = page(
            r##"<script type="application/ld+json">{"@graph":[
            {"@type":["NewsArticle"],"datePublished":"2024-02-19T07:30:00-08:00",
             "author":[{"@id":"#p1"},{"@id":"#p2"}],"publisher":{"@id":"#o"}},
            {"@type":"Person","@id":"#p1","name":"A One"},
            {"@type":"Organization","@id":"#o","name":"The Org"},
            {"@type":"Person","@id":"#p2","name":"B Two"}]}</script>"##,
        );
        assert_eq!(m.authors, vec!["A One", "B Two"]);
        assert_eq!(m.site_name.as_deref(), Some("The Org"));
        assert_eq!(
            m.published.unwrap().at.to_rfc3339(),
            "2024-02-19T07:30:00-08:00"
        );
    }

    #[test]
    fn meta_then_time_precedence() {
        let m = page(
            r#"<meta property="article:published_time" content="2019-11-19T11:00:09+00:00">
            <time datetime="2018-01-01T00:00:00Z">x</time>"#,
        );
        assert_eq!(m.published_source, Some("meta"));
        let m = page(r#"<p>since 2019</p><time datetime="2018-01-02T03:04:00+01:00">x</time>"#);
        assert_eq!(
            m.published.unwrap().at.to_rfc3339(),
            "2018-01-02T03:04:00+01:00"
        );
        let m = page("<p>Published in 2019, on 2019-01-01.</p>");
        assert!(m.published.is_none());
    }

    #[test]
    fn canonical_resolution_and_rejection() {
        let m = page(
            r#"<link rel="canonical" href="/c/d"><meta property="og:url" content="//x.example/y">"#,
        );
        assert_eq!(m.canonical_url.as_deref(), Some("https://news.example/c/d"));
        assert_eq!(m.og_url.as_deref(), Some("https://x.example/y"));
        let m = page(r#"<link rel="canonical" href="https:///">"#);
        assert!(m.canonical_declared_invalid);
        assert_eq!(
            m.canonical_url.as_deref(),
            Some("https://news.example/a/b?x=1")
        );
        let m = page(r#"<link rel="canonical" href="javascript:alert(1)">"#);
        assert!(m.canonical_declared_invalid);
    }
}
