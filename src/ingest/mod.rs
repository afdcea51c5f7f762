//! Sources of pages for `copytrail ingest` — WARC files ([`warc`]), HTML files, publisher
//! JSON Lines ([`publisher`]), directories of them — and the [`PageSink`] through which every
//! page (ingested or crawled) enters the store.

pub mod postings;
pub mod publisher;
pub mod run;
pub mod warc;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::fingerprint::Fingerprint;
use crate::fingerprint::index::SimHashIndex;
use crate::link::{self, LinkConfig, RelinkStats};
use crate::page::Page;
use crate::pipeline::{self, Analysis};
use crate::store::{self, Store, StoreError};

/// What happened to one page handed to a [`PageSink`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    /// New page stored (its id in the store); durable once the sink's batch is committed
    /// ([`PageSink::flush`]).
    Added(i64),
    /// The same URL with the same body was already stored; nothing changed.
    Unchanged(i64),
}

/// When a [`PageSink`] commits its open batch of pages (group commit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Commit once this many pages were added to the open batch (≥ 1; 1 = one transaction
    /// per page).
    pub max_pages: usize,
    /// Commit when a page is added this long after the batch was opened.
    pub max_age: Duration,
}

impl Default for BatchLimits {
    /// 256 pages or 1 s, whichever comes first.
    fn default() -> Self {
        BatchLimits {
            max_pages: 256,
            max_age: Duration::from_secs(1),
        }
    }
}

/// The open batch: pages written inside one SQLite transaction not yet committed, and what
/// they changed in memory (undone if the transaction is lost).
#[derive(Default)]
struct Batch {
    /// When the transaction was opened (`None`: no transaction open).
    opened: Option<Instant>,
    /// Pages added in it.
    pages: usize,
    /// `(id, simhash)` inserted into the SimHash index (and whose keys were posted in the
    /// shingle postings) by this batch.
    indexed: Vec<(u64, u64)>,
    /// Pages whose clusters need relinking once the batch is committed.
    touched: HashSet<i64>,
    /// Pages with anchors once the batch is committed.
    with_anchors: Vec<i64>,
    /// Set when SQLite rolled the whole transaction back under a failing page: the batch's
    /// pages are gone and [`PageSink::flush`] reports it.
    lost: Option<String>,
}

/// The single entry point of pages into the store: decode → extract → fingerprint → store →
/// match against the near-duplicate index. Links of the story clusters touched are
/// recomputed by [`PageSink::finish`]. Owns the store while it lives (one writer).
///
/// **Group commit.** Pages are written into one open SQLite transaction (a batch), each
/// inside its own savepoint, and the batch is committed when it holds
/// [`BatchLimits::max_pages`] pages, when a page arrives [`BatchLimits::max_age`] after it
/// opened, and by [`PageSink::flush`], [`PageSink::relink`] and [`PageSink::finish`]. A
/// failing page is rolled back to its savepoint alone (as before: that page is not
/// stored, the others are); a page counts as stored (durable) only once its batch is
/// committed, so a crash loses at most the open batch and leaves the store consistent.
/// Dropping a sink without `flush`/`finish` discards the open batch like a crash. If the
/// whole transaction is lost (commit fails, or SQLite rolls it back after an I/O error),
/// the batch's SimHash index entries, shingle and anchor postings and relink bookkeeping are
/// undone too.
///
/// **In-memory indexes.** The near-duplicate indexes live in memory and are rebuilt from the
/// `fingerprints` table when the sink opens: the SimHash index and the sampled-shingle
/// postings ([`postings::ShinglePostings`], ~12.5 bytes per posting, ~150 postings per
/// page of 600 shingles); so is the anchor index of translation matching
/// ([`postings::AnchorPostings`], rebuilt from the `anchors` table).
pub struct PageSink {
    store: Store,
    cfg: LinkConfig,
    limits: BatchLimits,
    touched: HashSet<i64>,
    /// SimHash index of every stored fingerprint (committed, plus the open batch's), rebuilt
    /// from the store when the sink opens.
    simhash: SimHashIndex,
    /// Sampled-shingle postings of every stored fingerprint (committed, plus the open
    /// batch's), rebuilt from the store when the sink opens.
    postings: postings::ShinglePostings,
    /// Anchor postings of every stored page with anchors (committed, plus the open batch's),
    /// rebuilt from the `anchors` table when the sink opens.
    anchors: postings::AnchorPostings,
    /// Pages stored since the last relink that carry anchors (translation candidates).
    with_anchors: Vec<i64>,
    /// What candidate matching remembers between pages (saturated keys, fingerprints).
    matching: link::MatchCache,
    batch: Batch,
    /// The store's writer lock ([`Store::lock_writer`]), held while the sink lives.
    _writer_lock: Option<std::fs::File>,
}

impl PageSink {
    /// Wraps a store with the default [`LinkConfig`].
    ///
    /// # Errors
    /// As [`PageSink::with_config`].
    pub fn new(store: Store) -> Result<Self, StoreError> {
        Self::with_config(store, LinkConfig::default())
    }

    /// Wraps a store with explicit linking thresholds.
    ///
    /// # Errors
    /// [`StoreError::Busy`] if another process is writing pages to the same store (its
    /// in-memory indexes would not see this one's pages, nor this one its); [`StoreError`] if
    /// the stored fingerprints cannot be read to rebuild the in-memory indexes;
    /// [`StoreError::Malformed`] if a page id does not fit the postings index.
    pub fn with_config(store: Store, cfg: LinkConfig) -> Result<Self, StoreError> {
        let writer_lock = store.lock_writer()?;
        let mut items: Vec<(u64, u64)> = Vec::new();
        let mut failed = None;
        let postings = {
            let mut st = store
                .conn()
                .prepare("SELECT page_id, simhash, shingles FROM fingerprints")?;
            let mut rows = st.query([])?;
            // Streamed into the postings builder: one fingerprint decoded at a time.
            let fps = std::iter::from_fn(|| match rows.next() {
                Ok(Some(r)) => {
                    let row = (|| {
                        let id: i64 = r.get(0)?;
                        let simhash = r.get::<_, i64>(1)? as u64;
                        let blob = r.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
                        Ok::<_, rusqlite::Error>((id, simhash, store::blob_to_shingles(blob)))
                    })();
                    match row {
                        Ok((id, simhash, shingles)) => {
                            items.push((id as u64, simhash));
                            let fp = Fingerprint {
                                simhash,
                                n_tokens: 0,
                                shingles,
                            };
                            Some((id, fp))
                        }
                        Err(e) => {
                            failed = Some(e);
                            None
                        }
                    }
                }
                Ok(None) => None,
                Err(e) => {
                    failed = Some(e);
                    None
                }
            });
            postings::ShinglePostings::build(fps)
        };
        if let Some(e) = failed {
            return Err(e.into());
        }
        let postings = postings.map_err(|e| StoreError::Malformed(e.to_string()))?;
        let anchors = postings::AnchorPostings::load(store.conn())?;
        let simhash = SimHashIndex::build(cfg.simhash_k, items);
        // Relinking left over by a run that stopped before it (killed, crashed).
        let (touched, with_anchors) = {
            let mut st = store
                .conn()
                .prepare("SELECT page_id, anchors FROM relink_pending ORDER BY page_id")?;
            let rows: Vec<(i64, bool)> = st
                .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)))?
                .collect::<Result<_, _>>()?;
            let with_anchors = rows.iter().filter(|r| r.1).map(|r| r.0).collect();
            (rows.into_iter().map(|r| r.0).collect(), with_anchors)
        };
        Ok(PageSink {
            store,
            cfg,
            limits: BatchLimits::default(),
            touched,
            simhash,
            postings,
            anchors,
            with_anchors,
            matching: link::MatchCache::default(),
            batch: Batch::default(),
            _writer_lock: writer_lock,
        })
    }

    /// Sets when batches are committed (see [`BatchLimits`]); `max_pages` below 1 counts as 1.
    pub fn set_batch_limits(&mut self, limits: BatchLimits) {
        self.limits = BatchLimits {
            max_pages: limits.max_pages.max(1),
            ..limits
        };
    }

    /// The in-memory sampled-shingle postings (sizes, for benchmarks and diagnostics).
    pub fn postings(&self) -> &postings::ShinglePostings {
        &self.postings
    }

    /// The in-memory anchor postings (sizes, for benchmarks and diagnostics).
    pub fn anchor_postings(&self) -> &postings::AnchorPostings {
        &self.anchors
    }

    /// Pages in the open (uncommitted) batch.
    pub fn pending(&self) -> usize {
        self.batch.pages
    }

    /// The store (read access, e.g. for the crawl frontier). Reads through it see the open
    /// batch; writes through it (e.g. [`Store::record_failure`]) join the open batch.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Mutable access to the store; the open batch is committed first, so the caller may
    /// start its own transactions.
    ///
    /// # Errors
    /// As [`PageSink::flush`].
    pub fn store_mut(&mut self) -> Result<&mut Store, StoreError> {
        self.flush()?;
        Ok(&mut self.store)
    }

    /// Processes (decode, extract, fingerprint) and stores one page.
    ///
    /// # Errors
    /// [`StoreError`] if the database write fails; the page is then not stored.
    pub fn add(&mut self, page: Page) -> Result<AddOutcome, StoreError> {
        let hash = store::content_hash(&page.body);
        if let Some(id) = self.store.find_page(page.url.as_str(), &hash)? {
            return Ok(AddOutcome::Unchanged(id));
        }
        let analysis = pipeline::analyse(&page);
        self.add_analysed(&page, &hash, &analysis)
    }

    /// Stores a page already analysed by [`pipeline::analyse`] (so analysis can run on worker
    /// threads); `hash` is [`store::content_hash`] of its body. The page, its article, its
    /// fingerprint, its index postings and its verified matches are written as a unit (one
    /// savepoint in the open batch), committed with the batch (see [`PageSink`]).
    ///
    /// # Errors
    /// [`StoreError`] if the database write fails: the page is not stored. If SQLite lost
    /// the whole open batch with it, the batch's other pages are not stored either and the
    /// next [`PageSink::flush`] fails too.
    pub fn add_analysed(
        &mut self,
        page: &Page,
        hash: &str,
        analysis: &Analysis,
    ) -> Result<AddOutcome, StoreError> {
        self.add_prepared(page, hash, analysis, None)
    }

    /// As [`PageSink::add_analysed`], with the body already compressed by
    /// [`store::compress`] on another thread (`None`: compressed here, if the page is new).
    ///
    /// # Errors
    /// As [`PageSink::add_analysed`].
    pub fn add_prepared(
        &mut self,
        page: &Page,
        hash: &str,
        analysis: &Analysis,
        body_gz: Option<&[u8]>,
    ) -> Result<AddOutcome, StoreError> {
        if self.batch.lost.is_some() {
            return Err(StoreError::BatchLost(self.batch_lost_message()));
        }
        self.begin()?;
        let r = self.add_in_batch(page, hash, analysis, body_gz);
        if r.is_err() && self.batch.opened.is_some() && self.store.conn().is_autocommit() {
            // SQLite rolled the whole transaction back (I/O error, disk full, ...).
            self.abandon_batch("the open batch was rolled back by SQLite after a failed write");
        }
        let outcome = r?;
        let age = self.batch.opened.map_or(Duration::ZERO, |t| t.elapsed());
        if self.batch.pages >= self.limits.max_pages || age >= self.limits.max_age {
            self.flush()?;
        }
        Ok(outcome)
    }

    fn add_in_batch(
        &mut self,
        page: &Page,
        hash: &str,
        analysis: &Analysis,
        body_gz: Option<&[u8]>,
    ) -> Result<AddOutcome, StoreError> {
        if let Some(id) = self.store.find_page(page.url.as_str(), hash)? {
            return Ok(AddOutcome::Unchanged(id));
        }
        let site = store::site_of_url(&page.url);
        let near: Vec<i64> = match &analysis.fingerprint {
            Some(fp) => self
                .simhash
                .query(fp.simhash, self.cfg.simhash_k)
                .unwrap_or_default()
                .into_iter()
                .map(|(id, _)| id as i64)
                .collect(),
            None => Vec::new(),
        };
        // A savepoint per page: a failing page is rolled back alone, the batch goes on.
        let sp = self.store.conn_mut().savepoint()?;
        let compressed;
        let body_gz = match body_gz {
            Some(b) => b,
            None => {
                compressed = store::compress(&page.body);
                &compressed
            }
        };
        let id = store::insert_page(&sp, page, hash, analysis, body_gz)?;
        let matched = match &analysis.fingerprint {
            Some(fp) => link::match_new_page(
                &sp,
                id,
                &site,
                fp,
                &near,
                &self.postings,
                &self.cfg,
                &mut self.matching,
            )?,
            None => Vec::new(),
        };
        let keys = analysis.fingerprint.as_ref().map(link::index_keys);
        if keys.is_some() && u32::try_from(id).is_err() {
            // Checked before the savepoint commits, so the page is not stored.
            return Err(StoreError::Malformed(
                postings::PostingsError::PageIdTooLarge(id).to_string(),
            ));
        }
        if !analysis.anchors.is_empty() && u32::try_from(id).is_err() {
            return Err(StoreError::Malformed(
                postings::PostingsError::PageIdTooLarge(id).to_string(),
            ));
        }
        if !matched.is_empty() || !analysis.anchors.is_empty() {
            // Queued on disk with the page: a run killed before the relink leaves it to the next.
            sp.prepare_cached(
                "INSERT OR REPLACE INTO relink_pending (page_id, anchors) VALUES (?1, ?2)",
            )?
            .execute(rusqlite::params![
                id,
                i64::from(!analysis.anchors.is_empty())
            ])?;
        }
        sp.commit()?;
        self.batch.pages += 1;
        if !analysis.anchors.is_empty() {
            self.batch.with_anchors.push(id);
            self.anchors
                .insert(id, analysis.text_language.as_deref(), &analysis.anchors)
                .map_err(|e| StoreError::Malformed(e.to_string()))?;
        }
        if let (Some(fp), Some(keys)) = (&analysis.fingerprint, keys) {
            // Pages later in the same batch must find this one.
            self.simhash.insert(id as u64, fp.simhash);
            self.batch.indexed.push((id as u64, fp.simhash));
            self.postings
                .insert(id, &keys)
                .map_err(|e| StoreError::Malformed(e.to_string()))?;
            self.postings.record_shingles(id, fp.shingles.len());
        }
        if !matched.is_empty() {
            self.batch.touched.insert(id);
            self.batch.touched.extend(matched);
        }
        Ok(AddOutcome::Added(id))
    }

    /// Opens the batch's transaction if none is open.
    fn begin(&mut self) -> Result<(), StoreError> {
        if self.batch.opened.is_none() {
            // IMMEDIATE: take the write lock now (waiting out the busy timeout), so the
            // batch never fails later to upgrade a read snapshot another connection outdated.
            self.store.conn().execute_batch("BEGIN IMMEDIATE")?;
            self.batch.opened = Some(Instant::now());
        }
        Ok(())
    }

    fn batch_lost_message(&self) -> String {
        self.batch.lost.clone().unwrap_or_default()
    }

    /// Forgets the open batch after its transaction was rolled back: removes its SimHash
    /// index entries, its shingle and anchor postings, what candidate matching learnt from it
    /// and its relink bookkeeping, so memory matches the store again.
    fn abandon_batch(&mut self, why: &str) {
        let batch = std::mem::take(&mut self.batch);
        self.matching
            .rollback(batch.indexed.iter().map(|(id, _)| *id as i64));
        self.postings
            .remove_pages(batch.indexed.iter().map(|(id, _)| *id as i64));
        self.anchors
            .remove_pages(batch.with_anchors.iter().copied());
        for (id, fp) in batch.indexed {
            self.simhash.remove(id, fp);
        }
        if batch.pages > 0 {
            self.batch.lost = Some(format!("{} page(s) not stored: {why}", batch.pages));
        }
    }

    /// Commits the open batch, if any: its pages are then durable.
    ///
    /// # Errors
    /// [`StoreError`] if the commit fails (the batch is rolled back, and its pages are not
    /// stored) or if the batch was already lost (see [`PageSink::add_analysed`]); either way
    /// the in-memory index matches the store afterwards and the sink can be used again.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        if let Some(why) = self.batch.lost.take() {
            return Err(StoreError::BatchLost(why));
        }
        if self.batch.opened.is_none() {
            return Ok(());
        }
        if let Err(e) = self.store.conn().execute_batch("COMMIT") {
            if !self.store.conn().is_autocommit() {
                let _ = self.store.conn().execute_batch("ROLLBACK");
            }
            self.abandon_batch(&format!("commit failed: {e}"));
            self.batch.lost = None;
            return Err(e.into());
        }
        let batch = std::mem::take(&mut self.batch);
        self.matching.commit();
        self.touched.extend(batch.touched);
        self.with_anchors.extend(batch.with_anchors);
        Ok(())
    }

    /// Commits the open batch, then recomputes the links of every story cluster touched
    /// since the last call.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails.
    pub fn relink(&mut self) -> Result<RelinkStats, StoreError> {
        self.flush()?;
        // Translations are matched in a batch: their evidence is weighted by how rare each
        // anchor is in the whole store.
        let fresh = std::mem::take(&mut self.with_anchors);
        let queued: Vec<i64> = fresh.iter().chain(self.touched.iter()).copied().collect();
        // On an error the pages stay in `relink_pending` and the next sink opened retries them.
        let translated =
            link::match_translations(&mut self.store, &self.anchors, &fresh, &self.cfg)?;
        self.touched.extend(translated);
        let touched = std::mem::take(&mut self.touched);
        let stats = link::relink(&mut self.store, &touched, &self.cfg)?;
        // Done: take the pages off the on-disk queue (kept there if anything above failed).
        let tx = self.store.conn_mut().transaction()?;
        {
            let mut del = tx.prepare_cached("DELETE FROM relink_pending WHERE page_id = ?1")?;
            for id in queued {
                del.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(stats)
    }

    /// Commits the open batch, recomputes links (see [`PageSink::relink`]) and returns the
    /// store.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails.
    pub fn finish(mut self) -> Result<Store, StoreError> {
        self.relink()?;
        Ok(self.store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::PageSource;

    /// A news-like page whose body is `story` (distinct sentences per story number), on `host`.
    fn page(host: &str, path: &str, story: u32) -> Page {
        page_paras(host, path, story, 6)
    }

    /// As [`page`], with only the first `n` of the story's paragraphs (an excerpt for n < 6).
    fn page_paras(host: &str, path: &str, story: u32, n: u32) -> Page {
        let paras: String = (0..n)
            .map(|p| {
                let words: Vec<String> = (0..40)
                    .map(|w| format!("w{}x{}", (story * 7919 + p * 131 + w * 17) % 9973, w % 5))
                    .collect();
                format!("<p>{}.</p>", words.join(" "))
            })
            .collect();
        let body = format!(
            "<!doctype html><html lang=en><head><title>Story {story}</title></head><body>\
             <article><h1>Story {story}</h1>{paras}</article></body></html>"
        );
        Page {
            url: url::Url::parse(&format!("https://{host}{path}")).unwrap(),
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.into_bytes(),
            fetched_at: None,
            source: PageSource::Crawl,
        }
    }

    /// As [`page`], with a paragraph of numbers particular to the story (anchors).
    fn anchor_page(host: &str, path: &str, story: u32) -> Page {
        let mut p = page(host, path, story);
        let body = String::from_utf8(p.body).unwrap().replace(
            "</article>",
            &format!(
                "<p>In {} the fund paid {} euros to {} families over {} years.</p></article>",
                1900 + story,
                story * 37 + 1011,
                story * 101 + 2007,
                story % 9 + 12
            ),
        );
        p.body = body.into_bytes();
        p
    }

    fn count(store: &Store, table: &str) -> i64 {
        store
            .conn()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    fn sink_at(path: &std::path::Path, max_pages: usize) -> PageSink {
        let mut sink = PageSink::new(Store::open(path).unwrap()).unwrap();
        sink.set_batch_limits(BatchLimits {
            max_pages,
            max_age: Duration::from_secs(3600),
        });
        sink
    }

    /// The in-memory SimHash index holds exactly the stored fingerprints, and the shingle
    /// postings exactly their index keys.
    fn assert_index_matches_store(sink: &PageSink) {
        assert_eq!(
            sink.simhash.len() as i64,
            count(&sink.store, "fingerprints"),
            "SimHash index and fingerprints table disagree"
        );
        let mut st = sink
            .store
            .conn()
            .prepare("SELECT page_id, shingles FROM fingerprints")
            .unwrap();
        let stored: Vec<(i64, Vec<u64>)> = st
            .query_map([], |r| {
                Ok((r.get(0)?, store::blob_to_shingles(&r.get::<_, Vec<u8>>(1)?)))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut expected = 0;
        for (id, shingles) in stored {
            let fp = Fingerprint {
                simhash: 0,
                n_tokens: 0,
                shingles,
            };
            let keys = link::index_keys(&fp);
            expected += keys.len();
            for k in keys {
                // The page itself posts every one of its keys.
                match sink.postings.lookup(k, -1, usize::MAX - 1) {
                    postings::Posted::Pages(ids) => assert!(ids.contains(&id), "key {k:x}"),
                    postings::Posted::Saturated => panic!("uncapped lookup saturated"),
                }
            }
        }
        assert_eq!(
            sink.postings.len(),
            expected,
            "shingle postings and fingerprints table disagree"
        );
        // The anchor postings hold exactly the distinct anchors of every `anchors` row.
        let mut st = sink
            .store
            .conn()
            .prepare("SELECT page_id, anchors FROM anchors")
            .unwrap();
        let stored: Vec<(i64, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut expected = 0;
        for (id, json) in stored {
            let list: Vec<String> = serde_json::from_str(&json).unwrap();
            let distinct: HashSet<&String> = list.iter().collect();
            expected += distinct.len();
            for a in distinct {
                match sink.anchors.pages(a, -1, usize::MAX - 1) {
                    postings::Posted::Pages(ids) => assert!(ids.contains(&id), "anchor {a}"),
                    postings::Posted::Saturated => panic!("uncapped lookup saturated"),
                }
            }
        }
        assert_eq!(
            sink.anchors.len(),
            expected,
            "anchor postings and anchors table disagree"
        );
    }

    #[test]
    fn one_page_writer_per_store_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let first = sink_at(&path, 3);
        let second = PageSink::new(Store::open(&path).unwrap());
        assert!(
            matches!(second, Err(StoreError::Busy(ref p)) if p.ends_with("s.db")),
            "{:?}",
            second.err()
        );
        // Readers are not locked out.
        assert_eq!(count(&Store::open(&path).unwrap(), "pages"), 0);
        drop(first.finish().unwrap());
        let mut again = sink_at(&path, 3);
        again.add(page("www.orig.example", "/a", 1)).unwrap();
        again.flush().unwrap();
        // In-memory stores have no lock file.
        let _a = PageSink::new(Store::open_in_memory().unwrap()).unwrap();
        let _b = PageSink::new(Store::open_in_memory().unwrap()).unwrap();
    }

    #[test]
    fn pages_are_committed_in_batches_and_match_within_a_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut sink = sink_at(&path, 3);
        let other = Store::open(&path).unwrap();
        sink.add(page("www.orig.example", "/a", 1)).unwrap();
        // A copy of story 1 on another site, in the same (open) batch.
        sink.add(page("www.copy.example", "/a", 1)).unwrap();
        assert_eq!(sink.pending(), 2);
        assert_eq!(
            count(&other, "pages"),
            0,
            "open batch visible before commit"
        );
        sink.add(page("www.orig.example", "/b", 2)).unwrap();
        assert_eq!(sink.pending(), 0, "third page should commit the batch");
        assert_eq!(count(&other, "pages"), 3);
        assert_eq!(
            count(&other, "matches"),
            1,
            "copy in the same batch not matched"
        );
        // Same URL and body again: unchanged, nothing written.
        let again = sink.add(page("www.orig.example", "/a", 1)).unwrap();
        assert!(matches!(again, AddOutcome::Unchanged(_)));
        assert_eq!(sink.pending(), 0);
        let store = sink.finish().unwrap();
        assert_eq!(count(&store, "links"), 1);
    }

    #[test]
    fn a_crash_mid_batch_loses_only_the_open_batch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut sink = sink_at(&path, 100);
        for i in 0..3 {
            sink.add(page("www.orig.example", &format!("/{i}"), i))
                .unwrap();
        }
        sink.flush().unwrap(); // acknowledged
        for i in 3..5 {
            sink.add(page("www.orig.example", &format!("/{i}"), i))
                .unwrap();
        }
        assert_eq!(sink.pending(), 2);
        // The process dies: the connection goes away without a commit.
        drop(sink);
        let reopened = sink_at(&path, 100);
        for table in ["pages", "articles", "fingerprints"] {
            assert_eq!(count(&reopened.store, table), 3, "{table}");
        }
        let check: String = reopened
            .store
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        assert_index_matches_store(&reopened);
    }

    #[test]
    fn a_run_killed_before_its_relink_leaves_the_relink_to_the_next_run() {
        fn links(store: &Store) -> Vec<(String, String)> {
            let mut st = store
                .conn()
                .prepare(
                    "SELECT c.url, o.url FROM links l JOIN pages c ON c.id = l.copy_id
                     JOIN pages o ON o.id = l.original_id ORDER BY c.url",
                )
                .unwrap();
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        }
        let pages = || {
            vec![
                page("www.orig.example", "/a", 1),
                page("www.copy.example", "/b", 1),
                page("www.other.example", "/c", 2),
                page_paras("www.farm.example", "/d", 1, 3),
            ]
        };
        // Reference: one uninterrupted run.
        let dir = tempfile::tempdir().unwrap();
        let mut whole = sink_at(&dir.path().join("whole.db"), 100);
        for p in pages() {
            whole.add(p).unwrap();
        }
        let whole = whole.finish().unwrap();
        let want = links(&whole);
        assert_eq!(want.len(), 2, "{want:?}");

        // The pages are committed, then the process dies before the relink.
        let path = dir.path().join("killed.db");
        let mut sink = sink_at(&path, 100);
        for p in pages() {
            sink.add(p).unwrap();
        }
        sink.flush().unwrap();
        drop(sink);
        let store = Store::open(&path).unwrap();
        assert!(links(&store).is_empty());
        assert!(count(&store, "relink_pending") >= 2);
        drop(store);

        // The next run (with nothing new to add) does the relink that was left over.
        let sink = sink_at(&path, 100);
        let store = sink.finish().unwrap();
        assert_eq!(links(&store), want);
        assert_eq!(count(&store, "relink_pending"), 0);
    }

    #[test]
    fn a_failing_page_is_rolled_back_alone_and_the_batch_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut sink = sink_at(&path, 100);
        // Any fingerprint of a page under /boom fails (statement aborted, transaction kept).
        sink.store
            .conn()
            .execute_batch(
                "CREATE TEMP TRIGGER boom BEFORE INSERT ON fingerprints
                 WHEN (SELECT url FROM pages WHERE id = NEW.page_id) LIKE '%/boom%'
                 BEGIN SELECT RAISE(ABORT, 'boom'); END;",
            )
            .unwrap();
        sink.add(page("www.orig.example", "/a", 1)).unwrap();
        assert!(sink.add(page("www.orig.example", "/boom", 2)).is_err());
        // A copy of the failed page's story must not be matched to it.
        sink.add(page("www.copy.example", "/b", 2)).unwrap();
        sink.flush().unwrap();
        assert_eq!(count(&sink.store, "pages"), 2);
        assert_eq!(count(&sink.store, "matches"), 0);
        assert_index_matches_store(&sink);
    }

    #[test]
    fn a_lost_batch_is_undone_in_memory_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut sink = sink_at(&path, 100);
        sink.add(page("www.orig.example", "/a", 1)).unwrap();
        sink.flush().unwrap();
        // A failure that makes SQLite roll back the whole transaction.
        sink.store
            .conn()
            .execute_batch(
                "CREATE TEMP TRIGGER boom BEFORE INSERT ON fingerprints
                 WHEN (SELECT url FROM pages WHERE id = NEW.page_id) LIKE '%/boom%'
                 BEGIN SELECT RAISE(ROLLBACK, 'boom'); END;",
            )
            .unwrap();
        // Batch: a copy of story 1 (matched, so its cluster is touched), story 3 (id 3) and a
        // copy of it (which loads page 3's fingerprint as a candidate).
        sink.add(page("www.copy.example", "/a", 1)).unwrap();
        assert_eq!(
            sink.add(page("www.orig.example", "/c", 3)).unwrap(),
            AddOutcome::Added(3)
        );
        sink.add(page("www.copy.example", "/c", 3)).unwrap();
        assert_eq!(sink.batch.touched.len(), 4);
        assert!(sink.add(page("www.orig.example", "/boom", 2)).is_err());
        // Everything in the batch is gone: the store, the index and the relink set agree.
        assert!(matches!(
            sink.add(page("www.orig.example", "/d", 4)),
            Err(StoreError::BatchLost(_))
        ));
        assert!(matches!(sink.flush(), Err(StoreError::BatchLost(_))));
        assert_eq!(count(&sink.store, "pages"), 1);
        assert_eq!(count(&sink.store, "matches"), 0);
        assert_index_matches_store(&sink);
        assert!(sink.touched.is_empty() && sink.batch.touched.is_empty());
        // The sink works again afterwards. Id 3 is handed out again, to story 7: a copy of
        // story 7 must be verified against story 7, not against the lost story 3.
        sink.store
            .conn()
            .execute_batch("DROP TRIGGER boom")
            .unwrap();
        sink.add(page("www.orig.example", "/x", 8)).unwrap();
        assert_eq!(
            sink.add(page("www.orig.example", "/y", 7)).unwrap(),
            AddOutcome::Added(3)
        );
        sink.add(page("www.copy.example", "/y", 7)).unwrap();
        let store = sink.finish().unwrap();
        assert_eq!(count(&store, "pages"), 4);
        assert_eq!(count(&store, "matches"), 1);
        assert_eq!(count(&store, "links"), 1);
    }

    /// Originals of stories 0..8 then their excerpts (first 2 of 6 paragraphs, so their
    /// SimHash is far from the original's: only the shingle postings find them) on another
    /// site, interleaved with unrelated stories.
    fn corpus() -> Vec<Page> {
        let mut v = Vec::new();
        for s in 0..8 {
            v.push(page("www.orig.example", &format!("/o{s}"), s));
            v.push(page("www.other.example", &format!("/u{s}"), 100 + s));
        }
        for s in 0..8 {
            v.push(page_paras("www.copy.example", &format!("/c{s}"), s, 2));
            v.push(page("www.other.example", &format!("/v{s}"), 200 + s));
        }
        v
    }

    /// Links and matches of a store, as comparable text.
    fn links_and_matches(store: &Store) -> (Vec<String>, Vec<String>) {
        let rows = |sql: &str| -> Vec<String> {
            let mut st = store.conn().prepare(sql).unwrap();
            st.query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        (
            rows(
                "SELECT copy_id || ' ' || original_id || ' ' || source_id || ' ' || kind || ' ' \
                 || distance || ' ' || containment || ' ' || credited || ' ' || decided_by \
                 FROM links ORDER BY copy_id",
            ),
            rows(
                "SELECT a || ' ' || b || ' ' || shared || ' ' || ca || ' ' || cb || ' ' || kind \
                 FROM matches ORDER BY a, b",
            ),
        )
    }

    #[test]
    fn reopening_rebuilds_the_shingle_postings_and_gives_the_same_links() {
        let dir = tempfile::tempdir().unwrap();
        let pages = corpus();
        // One run.
        let mut sink = sink_at(&dir.path().join("one.db"), 5);
        for p in pages.clone() {
            sink.add(p).unwrap();
        }
        let one = links_and_matches(&sink.finish().unwrap());
        let partial = one.0.iter().filter(|l| l.contains(" partial ")).count();
        assert_eq!(partial, 8, "every excerpt linked as partial: {:?}", one.0);
        // Half, close, reopen (postings rebuilt from the fingerprints), the rest.
        let path = dir.path().join("two.db");
        let mut sink = sink_at(&path, 5);
        for p in pages[..16].iter().cloned() {
            sink.add(p).unwrap();
        }
        drop(sink.finish().unwrap());
        let mut sink = sink_at(&path, 5);
        assert_index_matches_store(&sink);
        for p in pages[16..].iter().cloned() {
            sink.add(p).unwrap();
        }
        sink.flush().unwrap();
        assert_index_matches_store(&sink);
        let two = links_and_matches(&sink.finish().unwrap());
        assert_eq!(one, two);
    }

    #[test]
    fn a_lost_batch_takes_its_anchor_postings_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = sink_at(&dir.path().join("s.db"), 100);
        sink.add(anchor_page("www.orig.example", "/a", 1)).unwrap();
        sink.flush().unwrap();
        assert_eq!(
            count(&sink.store, "anchors"),
            1,
            "test page without anchors"
        );
        let before = sink.anchors.len();
        assert!(before >= 4, "{before} anchor postings");
        sink.store
            .conn()
            .execute_batch(
                "CREATE TEMP TRIGGER boom BEFORE INSERT ON fingerprints
                 WHEN (SELECT url FROM pages WHERE id = NEW.page_id) LIKE '%/boom%'
                 BEGIN SELECT RAISE(ROLLBACK, 'boom'); END;",
            )
            .unwrap();
        sink.add(anchor_page("www.orig.example", "/b", 2)).unwrap();
        sink.add(anchor_page("www.copy.example", "/a", 1)).unwrap();
        assert!(sink.anchors.len() > before);
        assert!(
            sink.add(anchor_page("www.orig.example", "/boom", 3))
                .is_err()
        );
        assert!(matches!(sink.flush(), Err(StoreError::BatchLost(_))));
        assert_eq!(count(&sink.store, "anchors"), 1);
        assert_eq!(sink.anchors.len(), before);
        assert_index_matches_store(&sink);
    }

    #[test]
    fn an_old_store_with_an_anchor_postings_table_opens_and_drops_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let mut sink = sink_at(&path, 5);
        for s in 0..6 {
            sink.add(anchor_page("www.orig.example", &format!("/o{s}"), s))
                .unwrap();
        }
        drop(sink.finish().unwrap());
        // Make it a version-5 store: anchor postings in SQLite, the two dropped indexes.
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE anchor_postings (
                    anchor TEXT NOT NULL,
                    page_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
                    PRIMARY KEY (anchor, page_id)
                 ) WITHOUT ROWID;
                 INSERT OR IGNORE INTO anchor_postings
                     SELECT j.value, a.page_id FROM anchors a, json_each(a.anchors) j;
                 CREATE INDEX pages_url ON pages(url);
                 CREATE INDEX pages_site ON pages(site);
                 PRAGMA user_version = 5;",
            )
            .unwrap();
        }
        let sink = sink_at(&path, 5);
        let left: i64 = sink
            .store
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master
                 WHERE name IN ('anchor_postings', 'pages_url', 'pages_site')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0, "old anchor postings table or indexes not dropped");
        assert_eq!(count(&sink.store, "anchors"), 6);
        assert_index_matches_store(&sink);
        // Lookups by URL still go through an index (that of UNIQUE (url, content_hash)).
        let plan: String = sink
            .store
            .conn()
            .query_row(
                "EXPLAIN QUERY PLAN SELECT id FROM pages WHERE url = 'x' AND content_hash = 'y'",
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("INDEX sqlite_autoindex_pages_1"), "{plan}");
    }

    #[test]
    fn an_old_store_with_a_postings_table_opens_and_keeps_matching() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let pages = corpus();
        let mut sink = sink_at(&path, 5);
        for p in pages[..16].iter().cloned() {
            sink.add(p).unwrap();
        }
        drop(sink.finish().unwrap());
        // Make it a version-2 store, as written before the postings moved to memory.
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE shingle_postings (
                    hash INTEGER NOT NULL,
                    page_id INTEGER NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
                    PRIMARY KEY (hash, page_id)
                 ) WITHOUT ROWID;
                 INSERT INTO shingle_postings SELECT 42, id FROM pages;
                 PRAGMA user_version = 2;",
            )
            .unwrap();
        }
        let mut sink = sink_at(&path, 5);
        let version: i64 = sink
            .store
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, store::MIGRATIONS.len() as i64);
        let tables: i64 = sink
            .store
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'shingle_postings'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0, "old postings table not dropped");
        assert_index_matches_store(&sink);
        for p in pages[16..].iter().cloned() {
            sink.add(p).unwrap();
        }
        let store = sink.finish().unwrap();
        let (links, _) = links_and_matches(&store);
        assert_eq!(
            links.iter().filter(|l| l.contains(" partial ")).count(),
            8,
            "{links:?}"
        );
    }
}
