//! The [`Page`]: what every source (WARC record, HTML file, crawl, publisher feed) yields.
//!
//! Every source produces the same `Page`, so decoding, extraction, fingerprinting and linking
//! are written once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a page came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PageSource {
    /// A `response` record of a WARC file: the file path, the record's ordinal (0-based, counting
    /// every record including `warcinfo`) and its byte offset in the (possibly compressed) file.
    Warc {
        /// Path of the WARC file as given on the command line.
        file: String,
        /// 0-based ordinal of the record in the file.
        record: u64,
        /// Byte offset of the record's start in the file on disk.
        offset: u64,
    },
    /// A local HTML file (`.html` or `.html.gz`).
    File {
        /// Path as given on the command line.
        path: String,
    },
    /// A JSON Lines file of articles supplied by a publisher (full text of paywalled originals).
    Publisher {
        /// Path of the JSON Lines file.
        path: String,
        /// 1-based line number.
        line: u64,
    },
    /// Fetched by `copytrail crawl`.
    Crawl,
}

impl PageSource {
    /// A short human-readable description, e.g. `pages.warc.gz#12@34567`.
    pub fn describe(&self) -> String {
        match self {
            PageSource::Warc {
                file,
                record,
                offset,
            } => format!("{file}#{record}@{offset}"),
            PageSource::File { path } => path.clone(),
            PageSource::Publisher { path, line } => format!("{path}:{line}"),
            PageSource::Crawl => "crawl".to_string(),
        }
    }
}

/// One fetched or archived web page, before decoding.
#[derive(Debug, Clone)]
pub struct Page {
    /// Final URL of the page (after redirects), absolute.
    pub url: url::Url,
    /// HTTP status code (200 for local files).
    pub status: u16,
    /// HTTP response headers, names as received (compare case-insensitively).
    pub headers: Vec<(String, String)>,
    /// Raw response body, exactly as received (after transfer/content decoding).
    pub body: Vec<u8>,
    /// When it was fetched or archived (WARC-Date), if known.
    pub fetched_at: Option<DateTime<Utc>>,
    /// Where it came from.
    pub source: PageSource,
}

impl Page {
    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }
}
