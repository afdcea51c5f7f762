//! Per-page processing, pure and CPU-bound: decode → extract → fingerprint.
//!
//! Runs on worker threads; the results go to the single writer ([`crate::ingest::PageSink`]).

use crate::extract::{self, Article, charset};
use crate::fingerprint::{self, Fingerprint};
use crate::page::Page;

/// Removes user names and passwords (`http://user:pass@host/`) from every URL of `article` —
/// its URL, canonical URL, `og:url`, body links and credit-line links — so credentials in a
/// page URL (inherited by relative links) or written into the page never reach the store,
/// `links`, `report` or `export` ([`crate::crawl::canon::strip_userinfo`]).
pub fn drop_credentials(article: &mut Article) {
    use crate::crawl::canon::without_userinfo;
    let fix = |s: &mut String| {
        if let Some(clean) = without_userinfo(s) {
            *s = clean;
        }
    };
    for s in [
        article.url.as_mut(),
        article.canonical_url.as_mut(),
        article.og_url.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        fix(s);
    }
    for l in &mut article.links {
        fix(&mut l.href);
    }
    for c in &mut article.credit_lines {
        if let Some(h) = c.href.as_mut() {
            fix(h);
        }
    }
}

/// Content types treated as HTML pages.
pub fn is_html(content_type: Option<&str>) -> bool {
    match content_type {
        None => true,
        Some(ct) => {
            let ct = ct.to_ascii_lowercase();
            ct.contains("html") || ct.is_empty()
        }
    }
}

/// What processing one page yields.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// WHATWG name of the encoding used to decode the body (`None` for supplied articles).
    pub encoding: Option<&'static str>,
    /// Which rule chose the encoding (`bom`, `header`, `meta`, `guess`).
    pub encoding_source: Option<&'static str>,
    /// The extracted article (`None` when the page is not HTML or not a success).
    pub article: Option<Article>,
    /// Fingerprints of the body (`None` when the body is too short or boilerplate only).
    pub fingerprint: Option<Fingerprint>,
    /// True when the article text was supplied by the publisher rather than extracted.
    pub supplied: bool,
    /// ISO 639-1 language of the body text as detected by `whatlang` (when reliable), else the
    /// page's declared language: a copy pasted into another site's template keeps that
    /// template's `<html lang>`, so the declared language can be wrong.
    pub text_language: Option<String>,
    /// Language-independent anchors of the body ([`crate::fingerprint::anchors`]); empty when
    /// the body has no story fingerprint.
    pub anchors: Vec<String>,
}

/// Decodes, extracts and fingerprints an HTML page. Non-HTML content and non-2xx statuses
/// yield no article.
pub fn analyse(page: &Page) -> Analysis {
    if !(200..300).contains(&page.status) || !is_html(page.content_type()) {
        return Analysis {
            encoding: None,
            encoding_source: None,
            article: None,
            fingerprint: None,
            supplied: false,
            text_language: None,
            anchors: Vec::new(),
        };
    }
    let decoded = charset::decode(&page.body, page.content_type());
    let mut article = extract::extract(&decoded.text, &page.url);
    drop_credentials(&mut article);
    let source = match decoded.source {
        charset::EncodingSource::Bom => "bom",
        charset::EncodingSource::Header => "header",
        charset::EncodingSource::Meta => "meta",
        charset::EncodingSource::Guess => "guess",
    };
    let fingerprint = story_fingerprint(&article.text);
    let anchors = story_anchors(&article, fingerprint.is_some());
    let text_language = extracted_text_language(&article);
    Analysis {
        encoding: Some(decoded.encoding.name()),
        encoding_source: Some(source),
        article: Some(article),
        fingerprint,
        supplied: false,
        text_language,
        anchors,
    }
}

/// Analysis of an article whose text the publisher supplied (JSON Lines ingest).
pub fn analyse_supplied(mut article: Article) -> Analysis {
    drop_credentials(&mut article);
    detect_language(&mut article);
    let fingerprint = story_fingerprint(&article.text);
    let anchors = story_anchors(&article, fingerprint.is_some());
    let text_language = text_language(&article);
    Analysis {
        encoding: None,
        encoding_source: None,
        article: Some(article),
        fingerprint,
        supplied: true,
        text_language,
        anchors,
    }
}

/// Fills `article.language` (ISO 639-1) from the body with `whatlang` when extraction found
/// none and the detection is reliable.
fn detect_language(article: &mut Article) {
    if article.language.is_some() {
        return;
    }
    if let Some(info) = whatlang::detect(&article.text)
        && info.is_reliable()
    {
        article.language = Some(crate::extract::language_code(info.lang()).to_string());
    }
}

/// The body's language detected from its text (reliable detections only), else the declared
/// one.
fn text_language(article: &Article) -> Option<String> {
    whatlang::detect(&article.text)
        .filter(|i| i.is_reliable())
        .map(|i| crate::extract::language_code(i.lang()).to_string())
        .or_else(|| article.language.clone())
}

/// [`text_language`] of an article that came out of [`extract::extract`]: extraction already
/// ran whatlang over the body (its first 4,000 characters) and kept a reliable detection ahead
/// of the declared language, so that answer is reused instead of detecting a second time
/// (language detection was a quarter of the crawl workers' CPU). Bodies under 80 characters,
/// where extraction prefers the declared language, are detected again.
fn extracted_text_language(article: &Article) -> Option<String> {
    if article.text.len() >= 4 * MIN_DETECT_CHARS
        || article.text.chars().nth(MIN_DETECT_CHARS - 1).is_some()
    {
        article.language.clone()
    } else {
        text_language(article)
    }
}

/// The body length (characters) from which extraction trusts a reliable whatlang detection over
/// the page's declared language.
const MIN_DETECT_CHARS: usize = 80;

/// Anchors of a story body (none for pages without a story fingerprint).
fn story_anchors(article: &Article, is_story: bool) -> Vec<String> {
    if is_story {
        crate::fingerprint::anchors::anchors(&article.text)
    } else {
        Vec::new()
    }
}

/// Phrases of paywall, login and consent stubs in several languages (normalised form).
const STUB_CUES: &[&str] = &[
    "subscribe",
    "subscriber",
    "subscription",
    "log in",
    "sign in",
    "sign up",
    "continue reading",
    "register",
    "cookies",
    "enable javascript",
    "already a member",
    "premium",
    "abonnieren",
    "anmelden",
    "abonné",
    "connectez",
    "suscríbete",
    "abone ol",
    "giriş yap",
    "подпиш",
    "войти",
];

/// Fingerprint of a body, or `None` when it is too short ([`fingerprint::MIN_TOKENS`]) or is a
/// stub: a short text (under 40 tokens) made of paywall/login/consent phrases ("Subscribe to
/// continue reading. Already a subscriber? Log in."). Such texts recur across unrelated
/// stories, so linking through them would join stories that share nothing (case 23).
pub fn story_fingerprint(text: &str) -> Option<Fingerprint> {
    let fp = fingerprint::fingerprint(text)?;
    if fp.n_tokens < 40 {
        let norm = fingerprint::normalise::normalise(text);
        let cues = STUB_CUES.iter().filter(|c| norm.contains(*c)).count();
        if cues >= 2 {
            return None;
        }
    }
    Some(fp)
}
