//! Sources of pages for `copytrail ingest` — WARC files ([`warc`]), HTML files, publisher
//! JSON Lines ([`publisher`]), directories of them — and the [`PageSink`] through which every
//! page (ingested or crawled) enters the store.

pub mod publisher;
pub mod run;
pub mod warc;

use std::collections::HashSet;

use crate::fingerprint::index::SimHashIndex;
use crate::link::{self, LinkConfig, RelinkStats};
use crate::page::Page;
use crate::pipeline::{self, Analysis};
use crate::store::{self, Store, StoreError};

/// What happened to one page handed to a [`PageSink`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    /// New page stored (its id in the store).
    Added(i64),
    /// The same URL with the same body was already stored; nothing changed.
    Unchanged(i64),
}

/// The single entry point of pages into the store: decode → extract → fingerprint → store →
/// match against the near-duplicate index. Links of the story clusters touched are
/// recomputed by [`PageSink::finish`]. Owns the store while it lives (one writer).
pub struct PageSink {
    store: Store,
    cfg: LinkConfig,
    touched: HashSet<i64>,
    /// SimHash index of every stored fingerprint, rebuilt from the store when the sink opens.
    simhash: SimHashIndex,
    /// Pages stored since the last relink that carry anchors (translation candidates).
    with_anchors: Vec<i64>,
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
    /// [`StoreError`] if the stored fingerprints cannot be read to rebuild the SimHash index.
    pub fn with_config(store: Store, cfg: LinkConfig) -> Result<Self, StoreError> {
        let items: Vec<(u64, u64)> = {
            let mut st = store
                .conn()
                .prepare("SELECT page_id, simhash FROM fingerprints")?;
            st.query_map([], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<Result<_, _>>()?
        };
        let simhash = SimHashIndex::build(cfg.simhash_k, items);
        Ok(PageSink {
            store,
            cfg,
            touched: HashSet::new(),
            simhash,
            with_anchors: Vec::new(),
        })
    }

    /// The store (read access, e.g. for the crawl frontier).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Mutable access to the store.
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
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
    /// fingerprint, its index postings and its verified matches are written in one
    /// transaction.
    ///
    /// # Errors
    /// [`StoreError`] if the database write fails.
    pub fn add_analysed(
        &mut self,
        page: &Page,
        hash: &str,
        analysis: &Analysis,
    ) -> Result<AddOutcome, StoreError> {
        if let Some(id) = self.store.find_page(page.url.as_str(), hash)? {
            return Ok(AddOutcome::Unchanged(id));
        }
        let site = store::site_of_url(&page.url);
        let cfg = self.cfg.clone();
        let tx = self.store.conn_mut().transaction()?;
        let id = store::insert_page(&tx, page, hash, analysis)?;
        let matched = match &analysis.fingerprint {
            Some(fp) => {
                let near: Vec<i64> = self
                    .simhash
                    .query(fp.simhash, cfg.simhash_k)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(id, _)| id as i64)
                    .collect();
                link::match_new_page(&tx, id, &site, fp, &near, &cfg)?
            }
            None => Vec::new(),
        };
        if !analysis.anchors.is_empty() {
            self.with_anchors.push(id);
        }
        tx.commit()?;
        if let Some(fp) = &analysis.fingerprint {
            self.simhash.insert(id as u64, fp.simhash);
        }
        if !matched.is_empty() {
            self.touched.insert(id);
            self.touched.extend(matched);
        }
        Ok(AddOutcome::Added(id))
    }

    /// Recomputes the links of every story cluster touched since the last call.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails.
    pub fn relink(&mut self) -> Result<RelinkStats, StoreError> {
        // Translations are matched in a batch: their evidence is weighted by how rare each
        // anchor is in the whole store.
        let fresh = std::mem::take(&mut self.with_anchors);
        let translated = link::match_translations(&mut self.store, &fresh, &self.cfg)?;
        self.touched.extend(translated);
        let touched = std::mem::take(&mut self.touched);
        link::relink(&mut self.store, &touched, &self.cfg)
    }

    /// Recomputes links (see [`PageSink::relink`]) and returns the store.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails.
    pub fn finish(mut self) -> Result<Store, StoreError> {
        self.relink()?;
        Ok(self.store)
    }
}
