//! Reading and writing pages, articles, fingerprints, anchors and matches (the sampled-shingle
//! and anchor postings are in memory: `crate::ingest::postings`).

use std::io::{Read, Write};

use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError};
use crate::extract::Article;
use crate::fingerprint::Fingerprint;
use crate::page::Page;
use crate::pipeline::Analysis;

/// Registrable domain of a host (public suffix list), or the host itself when it has none
/// (IP addresses, single labels).
pub fn site_of(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    psl::domain_str(&host).unwrap_or(&host).to_string()
}

/// Site key of a page URL: the registrable domain of its host; a URL without a host (a local
/// `file:` page) is its own site, so local files are never taken for one site.
pub fn site_of_url(url: &url::Url) -> String {
    match url.host_str() {
        Some(h) if !h.is_empty() => site_of(h),
        _ => url.to_string(),
    }
}

/// XXH3-128 of a page body, hex (content identity for "same page ingested twice").
pub fn content_hash(body: &[u8]) -> String {
    format!(
        "{:032x}",
        xxhash_rust::xxh3::xxh3_128_with_seed(body, crate::fingerprint::HASH_SEED)
    )
}

/// gzip level of stored page bodies. Level 1 (miniz_oxide's fast greedy mode) measured 4–5×
/// faster than level 6 on the republication benchmark's pages (176 KB of HTML on average) for
/// 33 % more compressed bytes (0.260 against 0.196 of the raw size); on 6 KB pages 2.4× faster
/// for 8.5 % more bytes (see NOTES-store.md).
pub const BODY_GZIP_LEVEL: u32 = 1;

/// gzip-compresses bytes (level `BODY_GZIP_LEVEL`). Callers may run it on any thread (the
/// ingest and crawl workers do) and hand the result to [`insert_page`].
pub fn compress(data: &[u8]) -> Vec<u8> {
    let mut enc =
        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(BODY_GZIP_LEVEL));
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// Inverse of [`compress`].
///
/// # Errors
/// [`StoreError::Malformed`] when the stored bytes are not valid gzip.
pub fn decompress(data: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .map_err(|e| StoreError::Malformed(format!("stored body: {e}")))?;
    Ok(out)
}

/// Shingle hashes ↔ little-endian blob.
pub fn shingles_to_blob(s: &[u64]) -> Vec<u8> {
    s.iter().flat_map(|h| h.to_le_bytes()).collect()
}

/// Inverse of `shingles_to_blob`.
pub fn blob_to_shingles(b: &[u8]) -> Vec<u64> {
    b.chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect()
}

/// A stored page's summary used by linking.
#[derive(Debug, Clone)]
pub struct PageInfo {
    /// Page id.
    pub id: i64,
    /// URL.
    pub url: String,
    /// Host (lower case).
    pub host: String,
    /// Registrable domain.
    pub site: String,
    /// The extracted (or supplied) article.
    pub article: Article,
    /// Publication time, Unix seconds.
    pub published_ts: Option<i64>,
    /// When the page was fetched/archived, if known (RFC 3339).
    pub fetched_at: Option<String>,
}

impl Store {
    /// Id of the page with this URL and body hash, if stored.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn find_page(&self, url: &str, hash: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM pages WHERE url = ?1 AND content_hash = ?2")?
            .query_row(params![url, hash], |r| r.get(0))
            .optional()?)
    }

    /// Records an input that could not be read.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn record_failure(&self, source: &str, reason: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO failures (source, reason, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (source, reason) DO UPDATE SET at = excluded.at",
            params![source, reason, chrono::Utc::now().to_rfc3339()],
        )?;
        Ok(())
    }

    /// Adds domains to the stored origin domains. When any of them is new, every page already
    /// in a story cluster (one with a verified match) is queued for relinking
    /// (`relink_pending`), so the next page writer decides those clusters' originals again with
    /// the new origin domains — links already stored would otherwise keep an original that a
    /// named origin domain now overrules. Returns how many domains were new.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn add_origin_domains(&self, domains: &[String]) -> Result<usize, StoreError> {
        let mut added = 0;
        for d in domains {
            added += self.conn.execute(
                "INSERT OR IGNORE INTO origin_domains (domain) VALUES (?1)",
                params![d.trim().trim_start_matches('.').to_ascii_lowercase()],
            )?;
        }
        if added > 0 {
            self.conn.execute(
                "INSERT OR IGNORE INTO relink_pending (page_id, anchors)
                 SELECT a, 0 FROM matches UNION SELECT b, 0 FROM matches",
                [],
            )?;
        }
        Ok(added)
    }

    /// The stored origin domains.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn origin_domains(&self) -> Result<Vec<String>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT domain FROM origin_domains ORDER BY domain")?;
        let v = st
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(v)
    }

    /// Loads a page's linking summary.
    ///
    /// # Errors
    /// SQLite errors; [`StoreError::Malformed`] if the stored article JSON is unreadable.
    pub fn page_info(&self, id: i64) -> Result<Option<PageInfo>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT p.url, p.host, p.site, a.article, a.published_ts, p.fetched_at
                 FROM pages p JOIN articles a ON a.page_id = p.id WHERE p.id = ?1",
                params![id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((url, host, site, art, published_ts, fetched_at)) = row else {
            return Ok(None);
        };
        let article: Article = serde_json::from_str(&art)
            .map_err(|e| StoreError::Malformed(format!("article of page {id}: {e}")))?;
        Ok(Some(PageInfo {
            id,
            url,
            host,
            site,
            article,
            published_ts,
            fetched_at,
        }))
    }

    /// Loads a page's fingerprint.
    ///
    /// # Errors
    /// SQLite errors.
    pub fn fingerprint_of(&self, id: i64) -> Result<Option<Fingerprint>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT simhash, n_tokens, shingles FROM fingerprints WHERE page_id = ?1",
                params![id],
                |r| {
                    Ok(Fingerprint {
                        simhash: r.get::<_, i64>(0)? as u64,
                        n_tokens: r.get::<_, i64>(1)? as usize,
                        shingles: blob_to_shingles(&r.get::<_, Vec<u8>>(2)?),
                    })
                },
            )
            .optional()?)
    }
}

/// Inserts a page with its analysis; `body_gz` is [`compress`] of `page.body`. Returns the
/// new page id. Its sampled-shingle and anchor postings are not stored (the writer keeps them
/// in memory, rebuilt from the fingerprints and anchors: `crate::ingest::postings`). Call it inside a transaction (or savepoint) on `tx`, so the page and its rows
/// are stored as a unit.
///
/// # Errors
/// SQLite errors.
pub fn insert_page(
    tx: &Connection,
    page: &Page,
    hash: &str,
    analysis: &Analysis,
    body_gz: &[u8],
) -> Result<i64, StoreError> {
    let host = page.url.host_str().unwrap_or("").to_ascii_lowercase();
    let site = site_of_url(&page.url);
    let headers = serde_json::to_string(&page.headers).unwrap_or_else(|_| "[]".into());
    let source = serde_json::to_string(&page.source).unwrap_or_else(|_| "{}".into());
    tx.prepare_cached(
        "INSERT INTO pages (url, host, site, source, fetched_at, status, content_type, headers,
                            body, body_bytes, content_hash, encoding, encoding_source, ingested_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        page.url.as_str(),
        host,
        site,
        source,
        page.fetched_at.map(|d| d.to_rfc3339()),
        page.status,
        page.content_type(),
        headers,
        body_gz,
        page.body.len() as i64,
        hash,
        analysis.encoding,
        analysis.encoding_source,
        chrono::Utc::now().to_rfc3339(),
    ])?;
    let id = tx.last_insert_rowid();
    if let Some(art) = &analysis.article {
        tx.prepare_cached(
            "INSERT INTO articles (page_id, title, published, published_ts, canonical_url,
                                   site_name, language, n_chars, supplied, article)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            id,
            art.title,
            art.published.map(|d| d.to_rfc3339()),
            art.published.map(|d| d.timestamp()),
            art.canonical_url,
            art.site_name,
            art.language,
            art.text.chars().count() as i64,
            analysis.supplied,
            serde_json::to_string(art).unwrap_or_else(|_| "{}".into()),
        ])?;
    }
    if let Some(fp) = &analysis.fingerprint {
        tx.prepare_cached(
            "INSERT INTO fingerprints (page_id, version, simhash, n_tokens, shingles)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            id,
            crate::fingerprint::FINGERPRINT_VERSION,
            fp.simhash as i64,
            fp.n_tokens as i64,
            shingles_to_blob(&fp.shingles),
        ])?;
    }
    if !analysis.anchors.is_empty() {
        tx.prepare_cached("INSERT INTO anchors (page_id, language, anchors) VALUES (?1, ?2, ?3)")?
            .execute(params![
                id,
                analysis.text_language.clone(),
                serde_json::to_string(&analysis.anchors).unwrap_or_else(|_| "[]".into()),
            ])?;
    }
    Ok(id)
}
