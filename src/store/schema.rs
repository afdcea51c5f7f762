//! Append-only migrations keyed by `PRAGMA user_version`.

use rusqlite::Connection;

use super::StoreError;

/// Core schema, version 1.
const CORE_V1: &str = "
-- One row per distinct (URL, body) seen. body is the raw response body, gzip-compressed.
CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    host TEXT NOT NULL,
    site TEXT NOT NULL,               -- registrable domain (public suffix list)
    source TEXT NOT NULL,             -- JSON PageSource
    fetched_at TEXT,                  -- RFC 3339
    status INTEGER NOT NULL,
    content_type TEXT,
    headers TEXT NOT NULL,            -- JSON [[name, value], ...]
    body BLOB NOT NULL,               -- gzip of the raw body
    body_bytes INTEGER NOT NULL,      -- uncompressed size, bytes
    content_hash TEXT NOT NULL,       -- XXH3-128 (seeded) of the raw body, hex
    encoding TEXT,
    encoding_source TEXT,
    ingested_at TEXT NOT NULL,
    UNIQUE (url, content_hash)
);
CREATE INDEX pages_url ON pages(url);
CREATE INDEX pages_site ON pages(site);

-- The extracted article of a page (JSON of extract::Article plus query columns).
CREATE TABLE articles (
    page_id INTEGER PRIMARY KEY REFERENCES pages(id) ON DELETE CASCADE,
    title TEXT,
    published TEXT,                   -- RFC 3339 with offset
    published_ts INTEGER,             -- Unix seconds
    canonical_url TEXT,
    site_name TEXT,
    language TEXT,
    n_chars INTEGER NOT NULL,
    supplied INTEGER NOT NULL,        -- 1 = full text supplied by the publisher (JSON Lines)
    article TEXT NOT NULL             -- JSON extract::Article
);

-- Fingerprints of article bodies (fingerprint module, versioned).
CREATE TABLE fingerprints (
    page_id INTEGER PRIMARY KEY REFERENCES pages(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    simhash INTEGER NOT NULL,         -- 64-bit SimHash stored as i64
    n_tokens INTEGER NOT NULL,
    shingles BLOB NOT NULL            -- sorted distinct u64 shingle hashes, little endian
);

-- Inverted index of sampled shingle hashes (containment candidates).
CREATE TABLE shingle_postings (
    hash INTEGER NOT NULL,
    page_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    PRIMARY KEY (hash, page_id)
) WITHOUT ROWID;

-- Verified near-duplicate pairs, a < b. ca = share of a's shingles found in b (0..1).
CREATE TABLE matches (
    a INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    b INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    shared INTEGER NOT NULL,
    ca REAL NOT NULL,
    cb REAL NOT NULL,
    distance INTEGER NOT NULL,        -- SimHash Hamming distance, bits
    kind TEXT NOT NULL DEFAULT 'text', -- text (shingles) | translation (anchors)
    PRIMARY KEY (a, b)
);

-- Language-independent anchors of a page (numbers, names), in order of occurrence.
CREATE TABLE anchors (
    page_id INTEGER PRIMARY KEY REFERENCES pages(id) ON DELETE CASCADE,
    language TEXT,
    anchors TEXT NOT NULL             -- JSON list of strings
);

-- Inverted index of anchors (translation candidates).
CREATE TABLE anchor_postings (
    anchor TEXT NOT NULL,
    page_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    PRIMARY KEY (anchor, page_id)
) WITHOUT ROWID;
CREATE INDEX matches_b ON matches(b);

-- Decided links copy -> original, recomputed per story cluster.
CREATE TABLE links (
    copy_id INTEGER PRIMARY KEY REFERENCES pages(id) ON DELETE CASCADE,
    original_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE, -- page it was most likely taken from
    kind TEXT NOT NULL,               -- full | partial | translation
    distance INTEGER NOT NULL,        -- bits
    containment REAL NOT NULL,        -- 0..1
    credited INTEGER NOT NULL,
    credit_evidence TEXT,             -- JSON
    decided_by TEXT NOT NULL          -- which evidence chose the original
);
CREATE INDEX links_original ON links(original_id);

-- Domains the user named as origins (--origin-domain / --origins).
CREATE TABLE origin_domains (domain TEXT PRIMARY KEY);

-- Inputs that could not be read (broken WARC records, unreadable files).
CREATE TABLE failures (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
";

/// Version 3: the sampled-shingle postings moved to memory (`crate::ingest::postings`, rebuilt
/// from `fingerprints` when the writer opens); their table is dropped. Its random B-tree
/// inserts (~150 per page) made the writer's cost per page grow with the store. The freed
/// pages are reused by later writes (the file does not shrink without `VACUUM`).
const POSTINGS_IN_MEMORY_V3: &str = "DROP TABLE IF EXISTS shingle_postings;";

/// Version 4: the relink queue on disk. A page whose story cluster (or translation matching)
/// still has to be recomputed is recorded in the same transaction that stores it, and removed
/// once its links are recomputed, so a process killed between the two leaves the work queued
/// for the next run instead of losing those links for good.
const RELINK_PENDING_V4: &str = "
CREATE TABLE IF NOT EXISTS relink_pending (
    page_id INTEGER PRIMARY KEY REFERENCES pages(id) ON DELETE CASCADE,
    anchors INTEGER NOT NULL          -- 1 = the page has anchors (translation candidate)
);
";

/// Version 5: one row per failure. Ingesting the same broken input again recorded its
/// failure again; now `(source, reason)` is unique and a repeat only updates `at` (the last
/// time it was seen). Existing duplicates keep their latest row.
const FAILURES_UNIQUE_V5: &str = "
DELETE FROM failures WHERE id NOT IN (SELECT MAX(id) FROM failures GROUP BY source, reason);
CREATE UNIQUE INDEX IF NOT EXISTS failures_source_reason ON failures (source, reason);
";

/// Version 6: the anchor postings moved to memory (`crate::ingest::postings::AnchorPostings`,
/// rebuilt from the `anchors` table when the writer opens), and two indexes no query uses are
/// dropped: `pages_url` (lookups by URL use the index of `UNIQUE (url, content_hash)`, whose
/// leading column is the URL) and `pages_site` (no query selects or sorts pages by site). Each
/// of the three was a B-tree with an insert at a random position per page (per anchor for
/// the postings): once larger than a batch's worth of leaves, every insert dirtied its own
/// 4 KB leaf, written to the WAL at commit and again at checkpoint, so the writer's cost
/// per page grew with the store.
const ANCHORS_IN_MEMORY_V6: &str = "
DROP TABLE IF EXISTS anchor_postings;
DROP INDEX IF EXISTS pages_url;
DROP INDEX IF EXISTS pages_site;
";

/// Every migration in order; migration `i` brings the schema to version `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    CORE_V1,
    crate::crawl::schema::FRONTIER_V1,
    POSTINGS_IN_MEMORY_V3,
    RELINK_PENDING_V4,
    FAILURES_UNIQUE_V5,
    ANCHORS_IN_MEMORY_V6,
];

/// Applies the migrations the file has not seen yet, each in its own transaction.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if version > supported {
        return Err(StoreError::TooNew {
            found: version,
            supported,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        // IMMEDIATE takes the write lock first, so two processes opening a new store at once
        // do not both apply the same migration: the second sees the new version and skips.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now > i as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
