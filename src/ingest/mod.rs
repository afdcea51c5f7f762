//! Sources of pages for `copytrail ingest`: WARC files, HTML files, publisher JSON Lines, and
//! the [`PageSink`] through which every page (ingested or crawled) enters the store.

use crate::page::Page;
use crate::store::{Store, StoreError};

/// What happened to one page handed to a [`PageSink`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    /// New page stored (id in the store).
    Added(i64),
    /// The same URL with the same content was already stored; nothing changed.
    Unchanged(i64),
}

/// The single entry point of pages into the store: decode → extract → fingerprint → store →
/// index. Links are (re)computed by [`PageSink::finish`]. Owns the store while it lives.
pub struct PageSink {
    store: Store,
}

impl PageSink {
    /// Wraps a store.
    pub fn new(store: Store) -> Self {
        PageSink { store }
    }

    /// Processes and stores one page.
    ///
    /// # Errors
    /// [`StoreError`] if the database write fails; the page is then not stored.
    pub fn add(&mut self, _page: Page) -> Result<AddOutcome, StoreError> {
        Err(StoreError::Malformed("not implemented".into()))
    }

    /// Recomputes links for every story touched since the last call and returns the store.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails.
    pub fn finish(self) -> Result<Store, StoreError> {
        Ok(self.store)
    }
}
