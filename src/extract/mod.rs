//! Extraction: decoded HTML → [`Article`] (body text, metadata, outbound links, credit lines).
//!
//! Pure and synchronous (`fn(&str, &Url) -> Article`): no I/O, so it runs on a blocking thread
//! pool and is tested with golden folders.

pub mod charset;
pub mod cli;

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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// scheme) are rejected.
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
}

/// Extracts the article from a decoded HTML document fetched from `url`.
///
/// Never fails: a page with no recognisable article yields an empty `text`.
pub fn extract(html: &str, url: &Url) -> Article {
    let opts = trafilatura::Options::default();
    let mut art = Article {
        url: Some(url.to_string()),
        ..Default::default()
    };
    if let Ok(res) = trafilatura::extract(html, &opts) {
        art.text = res.content_text.trim().to_string();
        let m = res.metadata;
        if !m.title.is_empty() {
            art.title = Some(m.title);
        }
        if !m.author.is_empty() {
            art.authors = m
                .author
                .split(';')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if !m.sitename.is_empty() {
            art.site_name = Some(m.sitename);
        }
        if !m.language.is_empty() {
            art.language = Some(m.language);
        }
    }
    art
}
