//! The in-memory inverted index of sampled shingle hashes ([`crate::link::index_keys`]):
//! which stored pages post each key. It answers candidate lookups for
//! [`crate::link::match_new_page`] and replaces the SQLite table `shingle_postings` (dropped
//! by schema migration 3), whose random B-tree inserts (~150 per page, each dirtying its own
//! leaf once the tree outgrows the page cache) made the writer's cost per page grow with the
//! store.
//!
//! The index is derived data: [`ShinglePostings::build`] rebuilds it from the stored
//! fingerprints (the key set of a page is a deterministic function of its shingle hashes), as
//! [`crate::ingest::PageSink`] does when it opens.
//!
//! **Layout** (a small log-structured merge of sorted runs): a sorted *base* run and a sorted
//! *delta* run, each two parallel vectors — keys (`u64`) and page ids (`u32`), 12 bytes per
//! posting — with a radix directory on the keys' leading bits (≈ 0.5 byte per posting), plus
//! an *insert buffer* (postings chained per key from a hash map, at most [`BUFFER_CAP`]
//! postings or 1/32 of the base, whichever is more). A full buffer is sorted and
//! merged into the delta; the delta is merged into the base once it holds an eighth of it, so
//! each posting is copied O(1) times amortised per doubling of the index, and at most ~4
//! times between (a buffer proportional to the base bounds the delta rewrites per posting).
//! Merges work in place (the larger run's vectors are extended and filled from the back).
//! A lookup is one directory probe and a short binary search in each run, plus a hash lookup
//! in the buffer.
//!
//! Pages are never deleted from the store; [`ShinglePostings::remove_pages`] exists to undo
//! the postings of a batch of pages that SQLite rolled back (O(n), rare).
//!
//! The same structure holds the anchor postings ([`AnchorPostings`]: anchor string → pages,
//! for translation candidates and anchor document frequencies), which replaced the SQLite
//! table `anchor_postings` for the same reason (schema migration 6).

use std::collections::HashSet;

use crate::fingerprint::Fingerprint;
use crate::store::StoreError;

/// Postings held in the insert buffer before it is merged into the delta run, at least: the
/// buffer holds up to 1/32 of the base run when that is more.
pub const BUFFER_CAP: usize = 1 << 16;

/// The insert buffer holds up to `base / BUFFER_SHARE` postings when that is more than
/// [`BUFFER_CAP`]. Each flush rewrites the whole delta run (up to `base / DELTA_RATIO`
/// postings), so with a fixed-size buffer the copies per posting inserted grew in proportion
/// to the index (~26 at 200,000 pages of the ingest bench); with a buffer proportional to the
/// base they stay below `BUFFER_SHARE / DELTA_RATIO` (= 4; 2 on average).
const BUFFER_SHARE: usize = 32;

/// The delta run is merged into the base once it holds more than `base / DELTA_RATIO`
/// postings.
const DELTA_RATIO: usize = 8;

/// Average postings per directory bucket (the directory has a power of two ≥ len / this).
const BUCKET_TARGET: usize = 8;

/// One sorted run of postings: `(keys[i], pages[i])` sorted by key then page, with a
/// directory `dir[b]` = first index whose key's leading `bits` bits are ≥ `b`.
#[derive(Debug, Default)]
struct Run {
    keys: Vec<u64>,
    pages: Vec<u32>,
    dir: Vec<u32>,
    bits: u32,
}

impl Run {
    fn from_sorted(keys: Vec<u64>, pages: Vec<u32>) -> Run {
        let mut run = Run {
            keys,
            pages,
            dir: Vec::new(),
            bits: 0,
        };
        run.index();
        run
    }

    /// Rebuilds the directory (O(len)).
    fn index(&mut self) {
        let n = self.keys.len();
        let buckets = (n / BUCKET_TARGET).max(1).next_power_of_two();
        self.bits = buckets.trailing_zeros();
        let mut dir = Vec::with_capacity(buckets + 1);
        let mut i = 0usize;
        for b in 0..buckets as u64 {
            while i < n && self.bucket(self.keys[i]) < b {
                i += 1;
            }
            dir.push(i as u32);
        }
        dir.push(n as u32);
        self.dir = dir;
    }

    fn bucket(&self, key: u64) -> u64 {
        if self.bits == 0 {
            0
        } else {
            key >> (64 - self.bits)
        }
    }

    /// Index range of `key`'s postings.
    fn range(&self, key: u64) -> std::ops::Range<usize> {
        self.range_in(key, self.bucket_span(key))
    }

    /// The directory's index range of `key`'s bucket (one read of the directory).
    fn bucket_span(&self, key: u64) -> (usize, usize) {
        if self.keys.is_empty() {
            return (0, 0);
        }
        let b = self.bucket(key) as usize;
        (self.dir[b] as usize, self.dir[b + 1] as usize)
    }

    /// Index range of `key`'s postings within its bucket's span `(lo, hi)`.
    fn range_in(&self, key: u64, (lo, hi): (usize, usize)) -> std::ops::Range<usize> {
        let slice = &self.keys[lo..hi];
        let start = lo + slice.partition_point(|&k| k < key);
        // Usually zero or a few postings: scan rather than a second binary search.
        let end = start
            + self.keys[start..hi]
                .iter()
                .take_while(|&&k| k == key)
                .count();
        start..end
    }

    fn len(&self) -> usize {
        self.keys.len()
    }

    /// Empties the run, keeping its vectors' capacity.
    fn clear(&mut self) {
        self.keys.clear();
        self.pages.clear();
        self.index();
    }

    fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 8 + self.pages.capacity() * 4 + self.dir.capacity() * 4
    }

    /// Merges the sorted run `other` into this one, in place (O(len + other.len)): the
    /// vectors are extended by `other`'s length and filled from the back, so the postings
    /// already held are moved within their own allocation, not copied into a fresh one — a
    /// fresh allocation of hundreds of megabytes costs a page fault and a page of zeroes per
    /// 4 KB before the copy starts (measured: as much as the merge itself).
    fn absorb(&mut self, other: &Run) {
        let (n, m) = (self.len(), other.len());
        if m == 0 {
            return;
        }
        self.keys.reserve_exact(m);
        self.pages.reserve_exact(m);
        self.keys.resize(n + m, 0);
        self.pages.resize(n + m, 0);
        // Backward merge: `w` is the next slot to fill from the end; `i`, `j` count the
        // postings of `self` and `other` not yet placed. Slots at `w` and above are free.
        let (mut i, mut j, mut w) = (n, m, n + m);
        while i > 0 && j > 0 {
            w -= 1;
            let a = (self.keys[i - 1], self.pages[i - 1]);
            let b = (other.keys[j - 1], other.pages[j - 1]);
            if a > b {
                self.keys[w] = a.0;
                self.pages[w] = a.1;
                i -= 1;
            } else {
                self.keys[w] = b.0;
                self.pages[w] = b.1;
                j -= 1;
            }
        }
        // What is left of `self` is already in place (slots 0..i); what is left of
        // `other` goes to the front.
        self.keys[..j].copy_from_slice(&other.keys[..j]);
        self.pages[..j].copy_from_slice(&other.pages[..j]);
        self.index();
    }

    fn from_pairs(mut pairs: Vec<(u64, u32)>) -> Run {
        pairs.sort_unstable();
        pairs.dedup();
        let keys = pairs.iter().map(|p| p.0).collect();
        let pages = pairs.iter().map(|p| p.1).collect();
        Run::from_sorted(keys, pages)
    }

    fn retain_pages(&mut self, gone: &HashSet<u32>) {
        let mut w = 0;
        for r in 0..self.keys.len() {
            if !gone.contains(&self.pages[r]) {
                self.keys[w] = self.keys[r];
                self.pages[w] = self.pages[r];
                w += 1;
            }
        }
        self.keys.truncate(w);
        self.pages.truncate(w);
        self.index();
    }
}

/// What a lookup of one key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// More than the cap's pages post the key (boilerplate, a "stop shingle").
    Saturated,
    /// The pages posting the key (at most the cap), in no particular order.
    Pages(Vec<i64>),
}

/// In-memory inverted index: sampled shingle hash → ids of the pages posting it (see the
/// module documentation for the layout and costs). Page ids are SQLite row ids that must fit
/// in 32 bits (4.29 billion pages).
#[derive(Debug, Default)]
pub struct ShinglePostings {
    base: Run,
    delta: Run,
    buffer: Buffer,
    /// Page → number of shingles of its fingerprint, for the pages whose fingerprint was
    /// given ([`ShinglePostings::build`], [`ShinglePostings::record_shingles`]).
    shingles: crate::inthash::IntMap<u32, u32>,
}

/// No posting: end of a chain in [`Buffer`].
const NONE: u32 = u32::MAX;

/// The insert buffer's key → latest posting map (keys are already uniform XXH3 hashes).
type KeyMap = crate::inthash::IntMap<u64, u32>;

/// The insert buffer: postings in arrival order, each key's postings chained from its latest
/// (`head[key]` → index, `next[index]` → previous posting of the same key), so an insert
/// allocates nothing per key.
#[derive(Debug, Default)]
struct Buffer {
    keys: Vec<u64>,
    pages: Vec<u32>,
    next: Vec<u32>,
    head: KeyMap,
}

impl Buffer {
    fn push(&mut self, key: u64, page: u32) {
        let i = self.keys.len() as u32;
        let prev = self.head.insert(key, i).unwrap_or(NONE);
        self.keys.push(key);
        self.pages.push(page);
        self.next.push(prev);
    }

    fn len(&self) -> usize {
        self.keys.len()
    }

    /// The pages posting `key`, latest first.
    fn pages_of(&self, key: u64) -> impl Iterator<Item = u32> + '_ {
        self.chain(self.head_of(key))
    }

    /// The latest posting of `key` ([`NONE`] if none): the start of its chain.
    fn head_of(&self, key: u64) -> u32 {
        self.head.get(&key).copied().unwrap_or(NONE)
    }

    /// The pages of the chain starting at posting `i`, latest first.
    fn chain(&self, mut i: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::from_fn(move || {
            (i != NONE).then(|| {
                let p = self.pages[i as usize];
                i = self.next[i as usize];
                p
            })
        })
    }

    fn take_pairs(&mut self) -> Vec<(u64, u32)> {
        let pairs = self
            .keys
            .iter()
            .copied()
            .zip(self.pages.iter().copied())
            .collect();
        self.keys.clear();
        self.pages.clear();
        self.next.clear();
        self.head.clear();
        pairs
    }

    fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 8
            + self.pages.capacity() * 4
            + self.next.capacity() * 4
            + self.head.capacity() * 13
    }
}

/// Errors of [`ShinglePostings`].
#[derive(Debug, thiserror::Error)]
pub enum PostingsError {
    /// A page id does not fit in the index's 32-bit page ids.
    #[error("page id {0} does not fit in the in-memory postings index (32-bit page ids)")]
    PageIdTooLarge(i64),
}

fn page_u32(id: i64) -> Result<u32, PostingsError> {
    u32::try_from(id).map_err(|_| PostingsError::PageIdTooLarge(id))
}

impl ShinglePostings {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bulk build from `(page id, fingerprint)` pairs: every page posts
    /// [`crate::link::index_keys`] of its fingerprint. O(n log n) in postings (one sort).
    ///
    /// # Errors
    /// [`PostingsError::PageIdTooLarge`] for a page id beyond `u32::MAX`.
    pub fn build(
        pages: impl IntoIterator<Item = (i64, Fingerprint)>,
    ) -> Result<Self, PostingsError> {
        let mut shingles = crate::inthash::IntMap::default();
        let mut idx = Self::from_keys(pages.into_iter().map(|(id, fp)| {
            if let Ok(p) = page_u32(id) {
                shingles.insert(p, u32::try_from(fp.shingles.len()).unwrap_or(u32::MAX));
            }
            (id, crate::link::index_keys(&fp))
        }))?;
        idx.shingles = shingles;
        Ok(idx)
    }

    /// Records that page `id`'s fingerprint has `n` shingles (see
    /// [`ShinglePostings::shingles_of`]); [`ShinglePostings::build`] records every page's.
    pub fn record_shingles(&mut self, id: i64, n: usize) {
        if let Ok(p) = page_u32(id) {
            self.shingles
                .insert(p, u32::try_from(n).unwrap_or(u32::MAX));
        }
    }

    /// Number of shingles of page `id`'s fingerprint, if recorded: lets candidate matching
    /// skip a candidate by its size ([`crate::link::too_few_shared_keys`]) without reading its
    /// fingerprint from the store.
    pub fn shingles_of(&self, id: i64) -> Option<usize> {
        let p = u32::try_from(id).ok()?;
        self.shingles.get(&p).map(|&n| n as usize)
    }

    /// Bulk build from `(page id, keys)` pairs (each page's keys distinct). O(n log n) in
    /// postings (one sort).
    ///
    /// # Errors
    /// [`PostingsError::PageIdTooLarge`] for a page id beyond `u32::MAX`.
    pub fn from_keys(
        pages: impl IntoIterator<Item = (i64, Vec<u64>)>,
    ) -> Result<Self, PostingsError> {
        let mut pairs = Vec::new();
        for (id, keys) in pages {
            let p = page_u32(id)?;
            pairs.extend(keys.into_iter().map(|k| (k, p)));
        }
        Ok(ShinglePostings {
            base: Run::from_pairs(pairs),
            ..Self::default()
        })
    }

    /// Posts `keys` for page `id` (a page posts each key once; `keys` are distinct).
    ///
    /// # Errors
    /// [`PostingsError::PageIdTooLarge`] for a page id beyond `u32::MAX` (nothing is posted).
    pub fn insert(&mut self, id: i64, keys: &[u64]) -> Result<(), PostingsError> {
        let p = page_u32(id)?;
        for &k in keys {
            self.buffer.push(k, p);
        }
        if self.buffer.len() >= self.buffer_cap() {
            self.flush_buffer();
        }
        Ok(())
    }

    /// Postings the insert buffer holds before it is flushed: [`BUFFER_CAP`], or
    /// `1/BUFFER_SHARE` of the base run when that is more.
    fn buffer_cap(&self) -> usize {
        BUFFER_CAP.max(self.base.len() / BUFFER_SHARE)
    }

    fn flush_buffer(&mut self) {
        let pairs = self.buffer.take_pairs();
        self.delta.absorb(&Run::from_pairs(pairs));
        if self.delta.len() * DELTA_RATIO > self.base.len() {
            self.base.absorb(&self.delta);
            // The emptied delta keeps its allocation for the next flushes.
            self.delta.clear();
        }
    }

    /// The pages other than `exclude` posting `key`, or [`Posted::Saturated`] when more than
    /// `cap` of them do (the semantics of `LinkConfig::max_postings`).
    pub fn lookup(&self, key: u64, exclude: i64, cap: usize) -> Posted {
        self.posted(
            self.buffer.head_of(key),
            self.base.range(key),
            self.delta.range(key),
            exclude,
            cap,
        )
    }

    /// The answer of [`ShinglePostings::lookup`] from a key's ranges in the two runs and the
    /// start of its chain in the insert buffer.
    fn posted(
        &self,
        head: u32,
        rb: std::ops::Range<usize>,
        rd: std::ops::Range<usize>,
        exclude: i64,
        cap: usize,
    ) -> Posted {
        let ex = u32::try_from(exclude).ok();
        // Quick reject without reading the page lists (`exclude` is posted at most once).
        if rb.len() + rd.len() > cap.saturating_add(1) {
            return Posted::Saturated;
        }
        let ids: Vec<i64> = self.base.pages[rb]
            .iter()
            .chain(&self.delta.pages[rd])
            .copied()
            .chain(self.buffer.chain(head))
            .filter(|&p| Some(p) != ex)
            .map(i64::from)
            .collect();
        if ids.len() > cap {
            Posted::Saturated
        } else {
            Posted::Pages(ids)
        }
    }

    /// [`ShinglePostings::lookup`] of every key of `keys` (same results), given to `found`
    /// with the key's position in `keys`, in order. The keys are looked up in groups, one
    /// step at a time for the whole group (directory reads and insert-buffer probes, then
    /// searches in the runs, then page lists), so the cache misses of different keys overlap
    /// instead of each waiting for the previous one: a page's ~140 lookups touch ~5 cache
    /// lines each, far apart in indexes much larger than the CPU caches (the buffer's hash
    /// map too: it grows to 1/32 of the base).
    pub fn lookup_many(
        &self,
        keys: &[u64],
        exclude: i64,
        cap: usize,
        mut found: impl FnMut(usize, Posted),
    ) {
        const GROUP: usize = 32;
        let mut spans = [((0usize, 0usize), (0usize, 0usize)); GROUP];
        let mut heads = [NONE; GROUP];
        let mut ranges: [_; GROUP] = std::array::from_fn(|_| (0..0, 0..0));
        for (g, group) in keys.chunks(GROUP).enumerate() {
            for (i, &k) in group.iter().enumerate() {
                spans[i] = (self.base.bucket_span(k), self.delta.bucket_span(k));
                heads[i] = self.buffer.head_of(k);
            }
            for (i, &k) in group.iter().enumerate() {
                ranges[i] = (
                    self.base.range_in(k, spans[i].0),
                    self.delta.range_in(k, spans[i].1),
                );
            }
            for i in 0..group.len() {
                let (rb, rd) = std::mem::replace(&mut ranges[i], (0..0, 0..0));
                found(g * GROUP + i, self.posted(heads[i], rb, rd, exclude, cap));
            }
        }
    }

    /// Number of pages posting `key`, counted up to `cap` (`min(count, cap)`), without
    /// reading the page lists.
    pub fn count(&self, key: u64, cap: usize) -> usize {
        let n = self.base.range(key).len() + self.delta.range(key).len();
        if n >= cap {
            return cap;
        }
        n + self.buffer.pages_of(key).take(cap - n).count()
    }

    /// Removes every posting of the pages `ids` (a batch of pages rolled back). O(n).
    pub fn remove_pages(&mut self, ids: impl IntoIterator<Item = i64>) {
        let gone: HashSet<u32> = ids
            .into_iter()
            .filter_map(|id| u32::try_from(id).ok())
            .collect();
        if gone.is_empty() {
            return;
        }
        let kept: Vec<(u64, u32)> = self
            .buffer
            .take_pairs()
            .into_iter()
            .filter(|(_, p)| !gone.contains(p))
            .collect();
        for (k, p) in kept {
            self.buffer.push(k, p);
        }
        self.base.retain_pages(&gone);
        self.delta.retain_pages(&gone);
        self.shingles.retain(|p, _| !gone.contains(p));
    }

    /// Number of postings (key, page) held.
    pub fn len(&self) -> usize {
        self.base.len() + self.delta.len() + self.buffer.len()
    }

    /// True when no page posts anything.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held (vector capacities; the insert buffer's hash map estimated at 13 bytes
    /// per slot, the shingle counts' at 9).
    pub fn heap_bytes(&self) -> usize {
        self.base.heap_bytes()
            + self.delta.heap_bytes()
            + self.buffer.heap_bytes()
            + self.shingles.capacity() * 9
    }
}

/// Seed of [`anchor_key`]: the fingerprint seed ([`crate::fingerprint::HASH_SEED`]) with a
/// domain separator and the key scheme's version (1) in the low byte, so anchor keys never
/// coincide by construction with shingle hashes. Keys are only held in memory (rebuilt from
/// the `anchors` table on open); a new scheme changes the version byte.
pub const ANCHOR_KEY_SEED: u64 = crate::fingerprint::HASH_SEED ^ 0x616e_6368_6f72_0001;

/// Key of an anchor string in [`AnchorPostings`]: XXH3-64 of its UTF-8 bytes seeded with
/// [`ANCHOR_KEY_SEED`]. Two distinct anchors share a key with probability ~2⁻⁶⁴ per pair
/// (at 10⁷ distinct anchors, ~3·10⁻⁶ that any pair collides at all).
pub fn anchor_key(anchor: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(anchor.as_bytes(), ANCHOR_KEY_SEED)
}

/// The distinct keys of a page's anchors (sorted).
fn anchor_keys(anchors: &[String]) -> Vec<u64> {
    let mut keys: Vec<u64> = anchors.iter().map(|a| anchor_key(a)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// In-memory inverted index of anchors (numbers, names, dates: [`crate::fingerprint::anchors`])
/// → the stored pages carrying them, for translation candidates and the anchors' document
/// frequencies ([`crate::link::match_translations`]). It replaces the SQLite table
/// `anchor_postings` (dropped by schema migration 6), whose random-position B-tree inserts
/// (~40 per page, each dirtying its own leaf once the tree outgrew the page cache) made the
/// writer's cost per page grow with the store.
///
/// Same structure as [`ShinglePostings`] (sorted runs plus an insert buffer, 12 bytes per
/// posting), keyed by [`anchor_key`]. Derived data: [`AnchorPostings::load`] rebuilds it
/// from the `anchors` table (one JSON list per page).
///
/// It also knows each page's language (the `anchors.language` column; 2 bytes per page id)
/// and how many pages carry each language, so translation matching can drop candidates in
/// the page's own language before reading them from the store, and skip a page at once when
/// no page of another language is indexed ([`AnchorPostings::other_language_possible`]).
#[derive(Debug, Default)]
pub struct AnchorPostings {
    index: ShinglePostings,
    languages: PageLanguages,
}

/// What [`AnchorPostings`] knows of a page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageLanguage {
    /// Not recorded (a page not posted, one posted by [`AnchorPostings::build`], or one
    /// beyond the number of distinct languages held): anything is possible.
    Unknown,
    /// The page's row has no language (translation matching never takes such a page).
    None,
    /// The page's language (its id among the languages seen, see
    /// [`AnchorPostings::language_id`]).
    Id(u16),
}

/// Page → language (interned) and pages per language.
#[derive(Debug, Default)]
struct PageLanguages {
    /// Per page id: [`Self::ABSENT`], [`Self::UNKNOWN`], [`Self::NONE`] or `FIRST + i` for
    /// `names[i]`.
    of_page: Vec<u16>,
    /// Interned language names.
    names: Vec<String>,
    ids: std::collections::HashMap<String, u16>,
    /// Pages per interned language.
    pages: Vec<usize>,
    /// Pages posted whose language is unknown.
    unknown: usize,
}

impl PageLanguages {
    /// Not posted.
    const ABSENT: u16 = 0;
    /// Posted, language not recorded.
    const UNKNOWN: u16 = 1;
    /// Posted, no language.
    const NONE: u16 = 2;
    /// Code of the first interned language.
    const FIRST: u16 = 3;

    fn code(&mut self, language: Option<&str>) -> u16 {
        let Some(l) = language else {
            return Self::NONE;
        };
        if let Some(&i) = self.ids.get(l) {
            return i + Self::FIRST;
        }
        match u16::try_from(self.names.len()) {
            Ok(i) if i < u16::MAX - Self::FIRST => {
                self.names.push(l.to_string());
                self.ids.insert(l.to_string(), i);
                self.pages.push(0);
                i + Self::FIRST
            }
            // More distinct values than any language list has: not recorded.
            _ => Self::UNKNOWN,
        }
    }

    fn set(&mut self, page: u32, code: u16) {
        self.unset(page);
        let i = page as usize;
        if self.of_page.len() <= i {
            self.of_page.resize(i + 1, Self::ABSENT);
        }
        self.of_page[i] = code;
        match code {
            Self::ABSENT | Self::NONE => {}
            Self::UNKNOWN => self.unknown += 1,
            c => self.pages[usize::from(c - Self::FIRST)] += 1,
        }
    }

    fn unset(&mut self, page: u32) {
        let Some(c) = self.of_page.get_mut(page as usize) else {
            return;
        };
        match std::mem::replace(c, Self::ABSENT) {
            Self::ABSENT | Self::NONE => {}
            Self::UNKNOWN => self.unknown -= 1,
            c => self.pages[usize::from(c - Self::FIRST)] -= 1,
        }
    }

    fn of(&self, page: i64) -> PageLanguage {
        let c = usize::try_from(page)
            .ok()
            .and_then(|i| self.of_page.get(i).copied())
            .unwrap_or(Self::ABSENT);
        match c {
            Self::ABSENT | Self::UNKNOWN => PageLanguage::Unknown,
            Self::NONE => PageLanguage::None,
            c => PageLanguage::Id(c - Self::FIRST),
        }
    }
}

impl AnchorPostings {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bulk build from `(page id, anchors)` pairs (each page posts its distinct anchors;
    /// their languages are not recorded: [`PageLanguage::Unknown`]).
    ///
    /// # Errors
    /// [`PostingsError::PageIdTooLarge`] for a page id beyond `u32::MAX`.
    pub fn build(
        pages: impl IntoIterator<Item = (i64, Vec<String>)>,
    ) -> Result<Self, PostingsError> {
        let mut languages = PageLanguages::default();
        let index = ShinglePostings::from_keys(pages.into_iter().map(|(id, anchors)| {
            if let Ok(p) = u32::try_from(id) {
                languages.set(p, PageLanguages::UNKNOWN);
            }
            (id, anchor_keys(&anchors))
        }))?;
        Ok(AnchorPostings { index, languages })
    }

    /// Rebuilds the index from the store's `anchors` table (streamed, one page's list
    /// decoded at a time). A row whose JSON cannot be read posts nothing (it is logged), as
    /// translation matching reads such a page as one without anchors.
    ///
    /// # Errors
    /// SQLite errors; [`StoreError::Malformed`] for a page id beyond `u32::MAX`.
    pub fn load(conn: &rusqlite::Connection) -> Result<Self, StoreError> {
        let mut st = conn.prepare("SELECT page_id, anchors, language FROM anchors")?;
        let mut rows = st.query([])?;
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        let mut languages = PageLanguages::default();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let p = page_u32(id).map_err(|e| StoreError::Malformed(e.to_string()))?;
            let language = r
                .get_ref(2)?
                .as_str_or_null()
                .map_err(rusqlite::Error::from)?;
            let code = languages.code(language);
            languages.set(p, code);
            let json = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
            match serde_json::from_str::<Vec<String>>(json) {
                Ok(anchors) => pairs.extend(anchor_keys(&anchors).into_iter().map(|k| (k, p))),
                Err(e) => tracing::warn!("anchors of page {id} unreadable ({e}): not indexed"),
            }
        }
        Ok(AnchorPostings {
            index: ShinglePostings {
                base: Run::from_pairs(pairs),
                ..ShinglePostings::default()
            },
            languages,
        })
    }

    /// Posts the distinct `anchors` of page `id`, whose language (as stored in the
    /// `anchors.language` column) is `language`.
    ///
    /// # Errors
    /// [`PostingsError::PageIdTooLarge`] for a page id beyond `u32::MAX` (nothing is posted).
    pub fn insert(
        &mut self,
        id: i64,
        language: Option<&str>,
        anchors: &[String],
    ) -> Result<(), PostingsError> {
        self.index.insert(id, &anchor_keys(anchors))?;
        let code = self.languages.code(language);
        // `insert` above checked that the id fits.
        self.languages.set(id as u32, code);
        Ok(())
    }

    /// The language of page `id` as far as the index knows it.
    pub fn language_of(&self, id: i64) -> PageLanguage {
        self.languages.of(id)
    }

    /// The id of `language` among the languages of indexed pages (`None`: no page posted so
    /// far has it).
    pub fn language_id(&self, language: &str) -> Option<u16> {
        self.languages.ids.get(language).copied()
    }

    /// False only when every indexed page is known to be in `language` or to have no
    /// language: then no page can be a translation candidate of a page in `language`.
    pub fn other_language_possible(&self, language: &str) -> bool {
        let own = self.language_id(language);
        self.languages.unknown > 0
            || self
                .languages
                .pages
                .iter()
                .enumerate()
                .any(|(i, &n)| n > 0 && own != u16::try_from(i).ok())
    }

    /// The pages other than `exclude` carrying `anchor`, or [`Posted::Saturated`] when more
    /// than `cap` of them do.
    pub fn pages(&self, anchor: &str, exclude: i64, cap: usize) -> Posted {
        self.index.lookup(anchor_key(anchor), exclude, cap)
    }

    /// Document frequency of `anchor`: the number of pages carrying it, counted up to `cap`.
    pub fn document_frequency(&self, anchor: &str, cap: usize) -> usize {
        self.index.count(anchor_key(anchor), cap)
    }

    /// Removes every posting of the pages `ids` (a batch of pages rolled back). O(n).
    pub fn remove_pages(&mut self, ids: impl IntoIterator<Item = i64>) {
        let ids: Vec<i64> = ids.into_iter().collect();
        for &id in &ids {
            if let Ok(p) = u32::try_from(id) {
                self.languages.unset(p);
            }
        }
        self.index.remove_pages(ids);
    }

    /// Number of postings (anchor, page) held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when no page posts anything.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Heap bytes held (see [`ShinglePostings::heap_bytes`]), the page languages included.
    pub fn heap_bytes(&self) -> usize {
        self.index.heap_bytes() + self.languages.of_page.capacity() * 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Reference: a plain map.
    fn reference_lookup(
        map: &HashMap<u64, Vec<u32>>,
        key: u64,
        exclude: i64,
        cap: usize,
    ) -> Posted {
        let mut ids: Vec<i64> = map
            .get(&key)
            .map(|v| v.iter().map(|&p| i64::from(p)).collect())
            .unwrap_or_default();
        ids.retain(|&p| p != exclude);
        if ids.len() > cap {
            Posted::Saturated
        } else {
            Posted::Pages(ids)
        }
    }

    fn sorted(p: Posted) -> Posted {
        match p {
            Posted::Pages(mut v) => {
                v.sort_unstable();
                Posted::Pages(v)
            }
            s => s,
        }
    }

    #[test]
    fn lookups_agree_with_a_plain_map_across_merges_and_removals() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut idx = ShinglePostings::new();
        let mut map: HashMap<u64, Vec<u32>> = HashMap::new();
        // Few distinct keys (some saturate), enough postings for several buffer flushes
        // and base merges.
        let n_pages = 2_500u32;
        for page in 1..=n_pages {
            let mut keys: Vec<u64> = (0..60).map(|_| rng.u64(..4_000) << 50).collect();
            keys.sort_unstable();
            keys.dedup();
            idx.insert(i64::from(page), &keys).unwrap();
            for k in keys {
                map.entry(k).or_default().push(page);
            }
        }
        assert!(idx.base.len() > 0 && idx.len() == map.values().map(Vec::len).sum::<usize>());
        let gone: Vec<i64> = (2_000..2_100).collect();
        idx.remove_pages(gone.iter().copied());
        for v in map.values_mut() {
            v.retain(|&p| !(2_000..2_100).contains(&p));
        }
        let all: Vec<u64> = (0..4_100u64).map(|k| k << 50).collect();
        for cap in [0, 20, 64] {
            let mut seen = 0;
            idx.lookup_many(&all, 77, cap, |i, got| {
                assert_eq!(i, seen, "keys answered in order");
                seen += 1;
                assert_eq!(
                    sorted(got),
                    sorted(reference_lookup(&map, all[i], 77, cap)),
                    "batched lookup of key {:x} cap {cap}",
                    all[i]
                );
            });
            assert_eq!(seen, all.len());
        }
        for key in (0..4_100u64).map(|k| k << 50) {
            for cap in [0, 20, 40, 64] {
                let exclude = i64::from(rng.u32(1..=n_pages));
                assert_eq!(
                    sorted(idx.lookup(key, exclude, cap)),
                    sorted(reference_lookup(&map, key, exclude, cap)),
                    "key {key:x} cap {cap}"
                );
            }
        }
    }

    #[test]
    fn in_place_merges_equal_a_sort_of_both_runs() {
        let mut rng = fastrand::Rng::with_seed(11);
        for (n, m) in [
            (0, 0),
            (0, 5),
            (5, 0),
            (1, 1),
            (300, 7),
            (7, 300),
            (1_000, 1_000),
        ] {
            // Few distinct keys, so equal keys across the runs are ordered by page.
            let pairs = |rng: &mut fastrand::Rng, len: usize| -> Vec<(u64, u32)> {
                (0..len)
                    .map(|_| (rng.u64(..50) << 58, rng.u32(..1_000)))
                    .collect()
            };
            let (a, b) = (pairs(&mut rng, n), pairs(&mut rng, m));
            let mut run = Run::from_pairs(a);
            let other = Run::from_pairs(b);
            let postings = |r: &Run| -> Vec<(u64, u32)> {
                r.keys
                    .iter()
                    .copied()
                    .zip(r.pages.iter().copied())
                    .collect()
            };
            let mut want: Vec<(u64, u32)> =
                postings(&run).into_iter().chain(postings(&other)).collect();
            want.sort_unstable();
            run.absorb(&other);
            assert_eq!(postings(&run), want, "merged run ({n}, {m})");
            // Every key's full range is found through the rebuilt directory.
            for &(k, _) in &want {
                assert_eq!(run.range(k).len(), want.iter().filter(|p| p.0 == k).count());
            }
            assert_eq!(run.range(1).len(), 0);
        }
    }

    #[test]
    fn the_insert_buffer_grows_with_the_base_and_lookups_stay_exact() {
        // Enough postings (2.6 M) for the base to pass 32 × BUFFER_CAP, so the buffer holds
        // more than BUFFER_CAP postings before it is flushed.
        let mut rng = fastrand::Rng::with_seed(13);
        let mut idx = ShinglePostings::new();
        let mut map: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut largest_buffer = 0;
        for page in 1..=20_000u32 {
            let mut keys: Vec<u64> = (0..130).map(|_| rng.u64(..1 << 20) << 40).collect();
            keys.sort_unstable();
            keys.dedup();
            idx.insert(i64::from(page), &keys).unwrap();
            largest_buffer = largest_buffer.max(idx.buffer.len());
            for k in keys {
                map.entry(k).or_default().push(page);
            }
        }
        assert!(
            largest_buffer > BUFFER_CAP + 5_000,
            "buffer reached only {largest_buffer}"
        );
        assert_eq!(idx.len(), map.values().map(Vec::len).sum::<usize>());
        assert!(idx.base.len() > 0 && idx.delta.len() > 0 && idx.buffer.len() > 0);
        let keys: Vec<u64> = (0..20_000u64).map(|_| rng.u64(..1 << 20) << 40).collect();
        idx.lookup_many(&keys, 5, 64, |i, got| {
            assert_eq!(sorted(got), sorted(reference_lookup(&map, keys[i], 5, 64)));
        });
    }

    #[test]
    fn build_posts_the_index_keys_of_each_fingerprint() {
        let fp = crate::fingerprint::fingerprint(
            "The port authority approved a dredging plan for the inner harbour on Wednesday.",
        )
        .unwrap();
        let idx = ShinglePostings::build([(3, fp.clone()), (5, fp.clone())]).unwrap();
        let keys = crate::link::index_keys(&fp);
        assert_eq!(idx.len(), 2 * keys.len());
        assert_eq!(sorted(idx.lookup(keys[0], 3, 64)), Posted::Pages(vec![5]));
        assert_eq!(sorted(idx.lookup(keys[0], 0, 1)), Posted::Saturated);
        assert_eq!(idx.lookup(keys[0] ^ 1, 0, 64), Posted::Pages(vec![]));
    }

    #[test]
    fn anchor_lookups_and_frequencies_agree_with_a_plain_map() {
        let mut rng = fastrand::Rng::with_seed(9);
        let names: Vec<String> = (0..300).map(|i| format!("n:{}", i * 37 + 5)).collect();
        let mut idx = AnchorPostings::new();
        let mut pages: Vec<(i64, Vec<String>)> = Vec::new();
        for page in 1..=3_000i64 {
            // Repeats within a page are posted once, as in the SQL table they replace.
            let list: Vec<String> = (0..rng.usize(1..30))
                .map(|_| names[rng.usize(..names.len().min(20 + page as usize / 10))].clone())
                .collect();
            idx.insert(page, Some("en"), &list).unwrap();
            pages.push((page, list));
        }
        let gone: HashSet<i64> = (1_500..1_600).collect();
        idx.remove_pages(gone.iter().copied());
        pages.retain(|(p, _)| !gone.contains(p));
        let rebuilt = AnchorPostings::build(pages.clone()).unwrap();
        let mut map: HashMap<&str, Vec<u32>> = HashMap::new();
        for (p, list) in &pages {
            let distinct: HashSet<&String> = list.iter().collect();
            for a in distinct {
                map.entry(a).or_default().push(*p as u32);
            }
        }
        assert_eq!(idx.len(), map.values().map(Vec::len).sum::<usize>());
        assert_eq!(rebuilt.len(), idx.len());
        for a in names.iter().map(String::as_str).chain(["n:unseen"]) {
            let n = map.get(a).map_or(0, Vec::len);
            let byte_map: HashMap<u64, Vec<u32>> =
                map.get(a).map(|v| (7, v.clone())).into_iter().collect();
            for cap in [0, 5, 64, 200] {
                assert_eq!(idx.document_frequency(a, cap), n.min(cap), "{a} cap {cap}");
                assert_eq!(
                    rebuilt.document_frequency(a, cap),
                    n.min(cap),
                    "{a} cap {cap}"
                );
                let exclude = i64::from(rng.u32(1..=3_000));
                let want = reference_lookup(&byte_map, 7, exclude, cap);
                assert_eq!(sorted(idx.pages(a, exclude, cap)), want, "{a} cap {cap}");
                assert_eq!(
                    sorted(rebuilt.pages(a, exclude, cap)),
                    want,
                    "{a} cap {cap}"
                );
            }
        }
    }

    #[test]
    fn page_languages_are_counted_and_undone_with_their_pages() {
        let a = vec!["n:2019".to_string(), "p:deptford".to_string()];
        let mut idx = AnchorPostings::new();
        idx.insert(1, Some("en"), &a).unwrap();
        idx.insert(2, Some("en"), &a).unwrap();
        idx.insert(3, None, &a).unwrap();
        // Only English and no-language pages: nothing for an English page to match.
        assert!(!idx.other_language_possible("en"));
        assert!(idx.other_language_possible("fr"));
        assert_eq!(
            idx.language_of(1),
            PageLanguage::Id(idx.language_id("en").unwrap())
        );
        assert_eq!(idx.language_of(3), PageLanguage::None);
        assert_eq!(idx.language_of(9), PageLanguage::Unknown);
        assert_eq!(idx.language_id("fr"), None);
        idx.insert(4, Some("fr"), &a).unwrap();
        assert!(idx.other_language_possible("en"));
        assert!(idx.other_language_possible("fr"));
        // The French page rolled back: English alone again.
        idx.remove_pages([4]);
        assert!(!idx.other_language_possible("en"));
        assert_eq!(idx.language_of(4), PageLanguage::Unknown);
        // Only a page without a language left: no candidate for anyone.
        idx.remove_pages([1, 2]);
        assert!(!idx.other_language_possible("fr") && !idx.other_language_possible("en"));
        // Pages whose language is not recorded may be in any language.
        let built = AnchorPostings::build([(5, a.clone())]).unwrap();
        assert!(built.other_language_possible("en"));
        assert_eq!(built.language_of(5), PageLanguage::Unknown);
    }

    #[test]
    fn page_languages_are_loaded_from_the_anchors_table() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE anchors (page_id INTEGER PRIMARY KEY, language TEXT, anchors TEXT NOT NULL);
             INSERT INTO anchors VALUES (1, 'en', '[\"n:1\"]'), (2, NULL, '[\"n:1\"]'),
                                        (3, 'en', 'not json');",
        )
        .unwrap();
        let idx = AnchorPostings::load(&conn).unwrap();
        assert!(!idx.other_language_possible("en"));
        assert_eq!(idx.language_of(2), PageLanguage::None);
        // An unreadable list posts nothing but its page keeps its language.
        assert_eq!(idx.language_of(3), idx.language_of(1));
        conn.execute("INSERT INTO anchors VALUES (4, 'de', '[\"n:1\"]')", [])
            .unwrap();
        assert!(
            AnchorPostings::load(&conn)
                .unwrap()
                .other_language_possible("en")
        );
    }

    #[test]
    fn anchor_keys_are_seeded_and_distinct_from_shingle_hashes() {
        assert_eq!(
            anchor_key("n:2019"),
            xxhash_rust::xxh3::xxh3_64_with_seed(b"n:2019", ANCHOR_KEY_SEED)
        );
        assert_ne!(
            anchor_key("n:2019"),
            xxhash_rust::xxh3::xxh3_64_with_seed(b"n:2019", crate::fingerprint::HASH_SEED)
        );
        assert_eq!(anchor_keys(&["b".into(), "a".into(), "b".into()]).len(), 2);
    }

    #[test]
    fn shingle_counts_are_recorded_and_undone_with_their_pages() {
        let fp = crate::fingerprint::fingerprint(
            "The port authority approved a dredging plan for the inner harbour on Wednesday.",
        )
        .unwrap();
        let mut idx = ShinglePostings::build([(3, fp.clone())]).unwrap();
        assert_eq!(idx.shingles_of(3), Some(fp.shingles.len()));
        idx.insert(4, &crate::link::index_keys(&fp)).unwrap();
        assert_eq!(idx.shingles_of(4), None);
        idx.record_shingles(4, 17);
        assert_eq!(idx.shingles_of(4), Some(17));
        idx.remove_pages([4]);
        assert_eq!(idx.shingles_of(4), None);
        assert_eq!(idx.shingles_of(3), Some(fp.shingles.len()));
    }

    #[test]
    fn page_ids_beyond_32_bits_are_an_error_not_a_wrap() {
        let mut idx = ShinglePostings::new();
        assert!(matches!(
            idx.insert(1 << 32, &[4]),
            Err(PostingsError::PageIdTooLarge(_))
        ));
        assert!(idx.is_empty());
    }
}
