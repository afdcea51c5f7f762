//! Linking: near-duplicate candidates → verified matches → story clusters → which page is the
//! original → one link per copy, with whether the copy credits its original.
//!
//! **Candidates** come from the inverted index of sampled shingle hashes
//! ([`crate::ingest::postings`], in memory), never from a scan of stored pages. Shingles that occur on more than
//! [`LinkConfig::max_postings`] pages are boilerplate ("stop shingles") and are not used.
//!
//! **Verification** compares the full shingle sets: with `shared = |A ∩ B|`, the directed
//! containments are `c(A⊂B) = shared / |A|` and `c(B⊂A) = shared / |B|` (Broder 1997). A pair
//! is a near-duplicate when `shared ≥ min(min_shared, |A|, |B|)` and the larger containment is
//! at least [`LinkConfig::min_containment`]; so an excerpt of 30 % of a story (contained in
//! it) and a copy padded with the copy site's boilerplate (containing it) both match, while two
//! stories on the same topic, sharing a quoted sentence at most, do not. Pages of the same site
//! (registrable domain) are never matched: the same text on two URLs of one site is a template
//! or a second URL of the same story, not a republication.
//!
//! **The original** of a story cluster (a connected component of matches) is decided by the
//! strongest evidence available, recorded in `decided_by`:
//! 1. `origin-domain`: pages on a domain the user named are originals;
//! 2. `supplied`: an article whose full text the publisher supplied (JSON Lines ingest);
//! 3. `credit`: the page the other pages credit (credit line, link, canonical URL);
//! 4. `published`: the earliest publication time;
//! 5. `first-seen`: the page stored first.

use std::collections::{HashMap, HashSet, VecDeque};

use rusqlite::{Connection, params};
use serde::Serialize;

use crate::fingerprint::{Fingerprint, hamming, intersection_size};
use crate::ingest::postings::{AnchorPostings, PageLanguage, Posted, ShinglePostings};
use crate::store::{PageInfo, Store, StoreError, site_of};

/// Thresholds of candidate search and verification.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// Smallest larger-side containment (0..1) for a verified match.
    pub min_containment: f64,
    /// Smallest number of shared shingles (lowered to the smaller set's size for short texts).
    pub min_shared: usize,
    /// A sampled shingle on more pages than this is boilerplate and not used for candidates.
    pub max_postings: usize,
    /// Both containments at least this (0..1) → kind `full`, otherwise `partial`.
    pub full_containment: f64,
    /// At most this many candidates (most shared sampled shingles first) are verified.
    pub max_candidates: usize,
    /// SimHash candidates: every stored page within this many bits (Hamming distance) of a new
    /// page's SimHash is verified too (found with the permuted-table index, never a scan).
    pub simhash_k: u32,
    /// Translated copies: smallest number of shared distinct anchors (numbers, names).
    pub min_shared_anchors: usize,
    /// Translated copies: smallest evidence, the sum over shared distinct anchors of their
    /// inverse document frequency `ln(N / df)` divided by `ln N` (N = pages with anchors), so
    /// 1.0 is worth one anchor found on no other page, whatever the store's size.
    pub min_anchor_evidence: f64,
    /// Translated copies: the best candidate in a language must beat the next one (that is
    /// not a same-language duplicate of it) by this much evidence (same unit).
    pub min_anchor_margin: f64,
    /// Translated copies: smallest share (0..1) of the shared anchors' weight that occurs in
    /// the same order in both pages (heaviest common subsequence).
    pub min_anchor_order: f64,
    /// Translated copies: smallest [`AnchorEvidence::coverage`] (0..1), the share of the
    /// shorter page's anchor weight accounted for by the other page. Two stories about the
    /// same event share its names, but each also has many the other lacks.
    pub min_anchor_coverage: f64,
    /// Translated copies: the same for a pair where a page has weak names (Arabic, Hebrew,
    /// …: a script without letter case, where only exact phonetic keys meet).
    pub min_anchor_coverage_weak: f64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            min_containment: 0.35,
            min_shared: 8,
            max_postings: 64,
            full_containment: 0.8,
            max_candidates: 64,
            simhash_k: 6,
            min_shared_anchors: 3,
            min_anchor_evidence: 1.4,
            min_anchor_margin: 0.5,
            min_anchor_order: 0.6,
            min_anchor_coverage: 0.3,
            min_anchor_coverage_weak: 0.2,
        }
    }
}

/// Pages with fewer shingles than this post (and look up) all of them instead of the sample,
/// so short texts are still found.
pub const POST_ALL_BELOW: usize = 64;

/// Keys under which a fingerprint is posted in / looked up from the inverted index.
pub fn index_keys(fp: &Fingerprint) -> Vec<u64> {
    if fp.shingles.len() < POST_ALL_BELOW {
        fp.shingles.clone()
    } else {
        fp.sample().collect()
    }
}

/// A verified near-duplicate pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// Shared shingles.
    pub shared: usize,
    /// Share of the first page's shingles found in the second (0..1).
    pub ca: f64,
    /// Share of the second page's shingles found in the first (0..1).
    pub cb: f64,
    /// SimHash Hamming distance, bits.
    pub distance: u32,
    /// True for a cross-language match found through anchors.
    pub translation: bool,
}

/// Verifies a candidate pair on full shingle sets; `None` when it is not a near-duplicate.
pub fn verify(a: &Fingerprint, b: &Fingerprint, cfg: &LinkConfig) -> Option<Match> {
    if a.shingles.is_empty() || b.shingles.is_empty() {
        return None;
    }
    let shared = intersection_size(&a.shingles, &b.shingles);
    let need = cfg
        .min_shared
        .min(a.shingles.len())
        .min(b.shingles.len())
        .max(1);
    if shared < need {
        return None;
    }
    let ca = shared as f64 / a.shingles.len() as f64;
    let cb = shared as f64 / b.shingles.len() as f64;
    if ca.max(cb) < cfg.min_containment {
        return None;
    }
    Some(Match {
        shared,
        ca,
        cb,
        distance: hamming(a.simhash, b.simhash),
        translation: false,
    })
}

/// True when a candidate sharing `shared_keys` sampled index keys with a page cannot be a
/// near-duplicate of it, so the exact check ([`verify`], a merge of both shingle lists) is
/// skipped. `usable`: the share (0..1) of the page's index keys that were looked up (keys
/// posted by more than [`LinkConfig::max_postings`] pages are not, so they cannot count);
/// `n_a`, `n_b`: the two pages' shingle counts.
///
/// Both pages of at least [`LONG_TEXT_SHINGLES`] shingles post a content-defined 1-in-
/// [`crate::fingerprint::SAMPLE_MODULUS`] sample of them (Broder's "0 mod p" sample): a shingle
/// they share is in both samples or in neither, so the shared keys are a binomial sample of
/// the shared shingles with p = 1/SAMPLE_MODULUS. A match needs the shorter page to have at
/// least [`LinkConfig::min_containment`] of its shingles in the other, i.e. an expected
/// `usable · min_containment · min(n_a, n_b) / SAMPLE_MODULUS` shared keys; a candidate with fewer than
/// [`MIN_KEY_SHARE`] of that is skipped. At the smallest length this applies to (256
/// shingles, 0.35 containment: 22.4 keys expected, σ ≈ 4.1) the skip threshold (4.5) is 4.4 σ
/// below the mean (a true match is skipped with probability ≈ 10⁻⁵), and further away for
/// longer texts. Shorter pages are always verified.
pub fn too_few_shared_keys(
    shared_keys: usize,
    usable: f64,
    n_a: usize,
    n_b: usize,
    cfg: &LinkConfig,
) -> bool {
    let small = n_a.min(n_b);
    if small < LONG_TEXT_SHINGLES {
        return false;
    }
    let expected =
        usable * cfg.min_containment * small as f64 / crate::fingerprint::SAMPLE_MODULUS as f64;
    (shared_keys as f64) < MIN_KEY_SHARE * expected
}

/// Shingle count from which [`too_few_shared_keys`] may skip a candidate.
pub const LONG_TEXT_SHINGLES: usize = 4 * POST_ALL_BELOW;

/// Share (0..1) of the expected shared index keys under which a candidate is skipped (see
/// [`too_few_shared_keys`]).
pub const MIN_KEY_SHARE: f64 = 0.2;

/// What [`match_new_page`] remembers between pages (owned by the single writer, e.g.
/// [`crate::ingest::PageSink`]): neither changes any result, both only save reads.
///
/// - **Saturated keys**: index keys already posted by more than [`LinkConfig::max_postings`]
///   pages. Postings only grow (pages are never deleted), so such a key stays over the cap
///   and is never used for candidates again; its postings need not be read.
/// - **Fingerprints** of stored pages (shingles and site) as loaded for verification, so a
///   page that is a candidate of many later pages is read and decoded once; capped at
///   [`MatchCache::MAX_SHINGLES`] shingles in all (then emptied).
///
/// Saturated keys learnt while a batch of pages is open are pending until
/// [`MatchCache::commit`]; [`MatchCache::rollback`] drops them and the fingerprints of the
/// batch's pages (whose ids SQLite may hand out again), so the cache never describes pages
/// that are not stored.
#[derive(Debug, Default)]
pub struct MatchCache {
    saturated: crate::inthash::IntSet<u64>,
    pending_saturated: crate::inthash::IntSet<u64>,
    fingerprints: crate::inthash::IntMap<i64, std::sync::Arc<(Fingerprint, String)>>,
    shingles: usize,
}

impl MatchCache {
    /// Largest number of shingle hashes (8 bytes each) kept in the fingerprint cache.
    pub const MAX_SHINGLES: usize = 4 << 20;

    /// Keeps what was learnt since the last commit (the writer committed its batch).
    pub fn commit(&mut self) {
        self.saturated.extend(self.pending_saturated.drain());
    }

    /// Forgets what was learnt since the last commit and the fingerprints of `batch_pages`,
    /// the pages of the batch that was rolled back.
    pub fn rollback(&mut self, batch_pages: impl IntoIterator<Item = i64>) {
        self.pending_saturated.clear();
        for id in batch_pages {
            if let Some(f) = self.fingerprints.remove(&id) {
                self.shingles -= f.0.shingles.len();
            }
        }
    }

    fn is_saturated(&self, key: u64) -> bool {
        self.saturated.contains(&key) || self.pending_saturated.contains(&key)
    }

    fn remember(&mut self, id: i64, fp: std::sync::Arc<(Fingerprint, String)>) {
        let n = fp.0.shingles.len();
        if self.shingles + n > Self::MAX_SHINGLES {
            self.fingerprints.clear();
            self.shingles = 0;
        }
        if let Some(old) = self.fingerprints.insert(id, fp) {
            self.shingles -= old.0.shingles.len();
        }
        self.shingles += n;
    }
}

/// Finds and stores the verified matches of a newly stored page `id` (whose fingerprint is
/// `fp` and site `site`) against earlier pages: candidates are the pages sharing index keys
/// (sampled shingles) in `postings` (the writer's in-memory index of the stored pages; `id`'s
/// own postings, if already there, are ignored) and `simhash_candidates` (pages within
/// [`LinkConfig::simhash_k`] bits).
/// Returns the matched page ids. Call it inside the transaction (or savepoint) that stored
/// the page; `cache` is the writer's [`MatchCache`] (see there for its commit/rollback).
///
/// # Errors
/// SQLite errors.
// The writer's state is passed piecewise (transaction, indexes, cache) so each can be
// borrowed from a different field of `PageSink`.
#[allow(clippy::too_many_arguments)]
pub fn match_new_page(
    tx: &Connection,
    id: i64,
    site: &str,
    fp: &Fingerprint,
    simhash_candidates: &[i64],
    postings: &ShinglePostings,
    cfg: &LinkConfig,
    cache: &mut MatchCache,
) -> Result<Vec<i64>, StoreError> {
    let mut counts = crate::inthash::IntMap::<i64, usize>::default();
    for c in simhash_candidates {
        if *c != id {
            // Near-identical by SimHash: verify first.
            *counts.entry(*c).or_default() += usize::MAX / 2;
        }
    }
    let keys = index_keys(fp);
    // Keys looked up (not over the postings cap): the share of a true match's shared keys
    // that can be counted.
    let mut usable = 0usize;
    let live: Vec<u64> = keys
        .iter()
        .copied()
        .filter(|&k| !cache.is_saturated(k))
        .collect();
    postings.lookup_many(&live, id, cfg.max_postings, |i, posted| match posted {
        Posted::Saturated => {
            cache.pending_saturated.insert(live[i]);
        }
        Posted::Pages(ids) => {
            usable += 1;
            for p in ids {
                *counts.entry(p).or_default() += 1;
            }
        }
    });
    let mut cands: Vec<(i64, usize)> = counts.into_iter().collect();
    cands.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    cands.truncate(cfg.max_candidates);
    let mut matched = Vec::new();
    let mut fp_st = tx.prepare_cached(
        "SELECT f.simhash, f.n_tokens, f.shingles, p.site FROM fingerprints f
         JOIN pages p ON p.id = f.page_id WHERE f.page_id = ?1",
    )?;
    let mut ins = tx.prepare_cached(
        "INSERT OR REPLACE INTO matches (a, b, shared, ca, cb, distance, kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'text')",
    )?;
    let usable_share = usable as f64 / keys.len().max(1) as f64;
    for (cand, shared_keys) in cands {
        // The size test first, from the index's shingle counts: most candidates share a key
        // or two by chance and are skipped without reading their fingerprints (the same
        // test runs below on the fingerprint read, so a page without a count loses nothing).
        if shared_keys < usize::MAX / 4
            && postings.shingles_of(cand).is_some_and(|n| {
                too_few_shared_keys(shared_keys, usable_share, n, fp.shingles.len(), cfg)
            })
        {
            continue;
        }
        let other = match cache.fingerprints.get(&cand) {
            Some(f) => std::sync::Arc::clone(f),
            None => {
                let row = fp_st.query_row(params![cand], |r| {
                    Ok((
                        Fingerprint {
                            simhash: r.get::<_, i64>(0)? as u64,
                            n_tokens: r.get::<_, i64>(1)? as usize,
                            shingles: crate::store::blob_to_shingles(
                                r.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?,
                            ),
                        },
                        r.get::<_, String>(3)?,
                    ))
                });
                let Ok(row) = row else {
                    continue;
                };
                let f = std::sync::Arc::new(row);
                cache.remember(cand, std::sync::Arc::clone(&f));
                f
            }
        };
        let (other, other_site) = (&other.0, &other.1);
        if other_site == site {
            continue;
        }
        if shared_keys < usize::MAX / 4
            && too_few_shared_keys(
                shared_keys,
                usable_share,
                other.shingles.len(),
                fp.shingles.len(),
                cfg,
            )
        {
            continue;
        }
        if let Some(m) = verify(other, fp, cfg) {
            // Store with a < b: `cand` was stored before `id`, so cand < id.
            ins.execute(params![
                cand,
                id,
                m.shared as i64,
                m.ca,
                m.cb,
                m.distance as i64
            ])?;
            matched.push(cand);
        }
    }
    Ok(matched)
}

/// Evidence that a copy credits its original.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CreditEvidence {
    /// The copy's canonical URL points to the original (or its site).
    Canonical {
        /// The canonical URL.
        url: String,
    },
    /// A link in the copy's body points to the original (or its site).
    Link {
        /// The link target.
        href: String,
    },
    /// A credit line ("Source: …", "Kaynak: …") names the original's publisher or site.
    SourceLine {
        /// The line.
        text: String,
    },
}

fn url_key(u: &str) -> Option<String> {
    let u = url::Url::parse(u).ok()?;
    let host = u
        .host_str()?
        .trim_start_matches("www.")
        .to_ascii_lowercase();
    Some(format!("{host}{}", u.path().trim_end_matches('/')))
}

fn site_of_url(u: &str) -> Option<String> {
    url::Url::parse(u)
        .ok()
        .and_then(|u| u.host_str().map(site_of))
}

/// Lower-cased alphanumerics only ("The Valley-Ledger" → "thevalleyledger").
fn compact(s: &str) -> String {
    crate::fingerprint::normalise::normalise(s)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Names under which the original's publisher may be credited: its site name (with and
/// without a leading "The"), the initials of a multi-word site name ("FT" for "Financial
/// Times"), its registrable domain ("ft.com") and the domain's first label ("ft").
fn publisher_names(orig: &PageInfo) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(sn) = &orig.article.site_name {
        let c = compact(sn);
        if c.len() >= 2 {
            names.push(c.clone());
            if let Some(rest) = c.strip_prefix("the")
                && rest.len() >= 3
            {
                names.push(rest.to_string());
            }
        }
        let words: Vec<&str> = sn
            .split_whitespace()
            .filter(|w| !w.eq_ignore_ascii_case("the"))
            .collect();
        if words.len() >= 2 {
            let initials: String = words
                .iter()
                .filter_map(|w| w.chars().next())
                .flat_map(|c| c.to_lowercase())
                .collect();
            names.push(initials);
        }
    }
    names.push(compact(&orig.site));
    if let Some(label) = orig.site.split('.').next()
        && label.len() >= 2
    {
        names.push(compact(label));
    }
    names.sort();
    names.dedup();
    names
}

/// Whether `copy` credits `orig`, and how. A mere mention of the publisher inside the copied
/// text ("told The Hill") is not a credit: only the canonical URL, a link, or a credit line
/// (a cue such as "Source:" followed by the name) count.
pub fn credit(copy: &PageInfo, orig: &PageInfo) -> Option<CreditEvidence> {
    let orig_keys: Vec<String> = [
        Some(orig.url.as_str()),
        orig.article.canonical_url.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter_map(url_key)
    .collect();
    let points_to_orig = |u: &str| -> bool {
        if url_key(u).is_some_and(|k| orig_keys.contains(&k)) {
            return true;
        }
        site_of_url(u).is_some_and(|s| s == orig.site && s != copy.site)
    };
    if let Some(c) = &copy.article.canonical_url
        && points_to_orig(c)
    {
        return Some(CreditEvidence::Canonical { url: c.clone() });
    }
    for cl in &copy.article.credit_lines {
        if let Some(h) = &cl.href
            && points_to_orig(h)
        {
            return Some(CreditEvidence::Link { href: h.clone() });
        }
    }
    for l in &copy.article.links {
        if points_to_orig(&l.href) {
            return Some(CreditEvidence::Link {
                href: l.href.clone(),
            });
        }
    }
    let names = publisher_names(orig);
    for cl in &copy.article.credit_lines {
        let named = cl
            .name
            .as_deref()
            .map(compact)
            .unwrap_or_else(|| compact(&cl.text));
        if named.is_empty() {
            continue;
        }
        let hit = names.iter().any(|n| {
            if n.len() <= 3 {
                // Short names (initials, "ft") must be the whole credited name.
                named == *n
            } else {
                named.contains(n.as_str()) || (named.len() >= 4 && n.contains(named.as_str()))
            }
        });
        if hit {
            return Some(CreditEvidence::SourceLine {
                text: cl.text.clone(),
            });
        }
    }
    None
}

/// Counts of one relinking pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelinkStats {
    /// Story clusters (re)decided.
    pub clusters: usize,
    /// Links written.
    pub links: usize,
}

/// True when `host` is `domain` or a subdomain of it.
pub fn host_in_domain(host: &str, domain: &str) -> bool {
    let host = host.trim_end_matches('.');
    host == domain || host.ends_with(&format!(".{domain}"))
}

struct Edge {
    other: i64,
    m: Match, // ca = share of this node's shingles in `other`
}

/// One story cluster: its pages and their verified matches.
struct Cluster {
    nodes: Vec<i64>,
    adj: HashMap<i64, Vec<Edge>>,
    infos: HashMap<i64, PageInfo>,
    supplied: HashSet<i64>,
}

/// Recomputes the links of every story cluster containing a page in `touched`.
///
/// Two passes: clusters whose original is settled by strong evidence (origin domain, supplied
/// text, credit, a unique publication time among the best-connected pages) are decided first;
/// their outcome, together with the links already stored, teaches which sites carry other
/// sites' stories (copy sites). Clusters left ambiguous (undated or tied pages) are then
/// decided by that copy-site prior (`decided_by` = `copy-site`) before falling back to the
/// page seen first.
///
/// # Errors
/// SQLite errors; [`StoreError::Malformed`] for unreadable stored articles.
pub fn relink(
    store: &mut Store,
    touched: &HashSet<i64>,
    cfg: &LinkConfig,
) -> Result<RelinkStats, StoreError> {
    let origins = store.origin_domains()?;
    let mut seen: HashSet<i64> = HashSet::new();
    let mut stats = RelinkStats::default();
    let mut ordered: Vec<i64> = touched.iter().copied().collect();
    ordered.sort_unstable();
    let mut clusters = Vec::new();
    for start in ordered {
        if seen.contains(&start) {
            continue;
        }
        // BFS over matches.
        let mut adj: HashMap<i64, Vec<Edge>> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        seen.insert(start);
        let mut nodes = vec![start];
        while let Some(n) = queue.pop_front() {
            let edges = edges_of(store, n)?;
            for e in &edges {
                if seen.insert(e.other) {
                    nodes.push(e.other);
                    queue.push_back(e.other);
                }
            }
            adj.insert(n, edges);
        }
        let tx = store.conn_mut().transaction()?;
        for n in &nodes {
            tx.execute("DELETE FROM links WHERE copy_id = ?1", params![n])?;
        }
        tx.commit()?;
        if nodes.len() < 2 {
            continue;
        }
        let mut infos: HashMap<i64, PageInfo> = HashMap::new();
        for n in &nodes {
            if let Some(i) = store.page_info(*n)? {
                infos.insert(*n, i);
            }
        }
        merge_url_versions(&mut nodes, &mut adj, &mut infos);
        if nodes.len() < 2 {
            continue;
        }
        let supplied = supplied_pages(store, &nodes)?;
        clusters.push(Cluster {
            nodes,
            adj,
            infos,
            supplied,
        });
    }
    // Pass 1: strong evidence.
    let mut decisions: Vec<Option<Decided>> = clusters
        .iter()
        .map(|c| decide_originals(c, &origins, None))
        .collect();
    // The copy-site prior: per site, (times decided a copy, times decided an original).
    let mut prior: HashMap<String, (u32, u32)> = stored_site_roles(store)?;
    for (c, d) in clusters.iter().zip(&decisions) {
        if let Some(d) = d {
            for n in &c.nodes {
                if let Some(i) = c.infos.get(n) {
                    let e = prior.entry(i.site.clone()).or_default();
                    if d.originals.contains(n) {
                        e.1 += 1;
                    } else {
                        e.0 += 1;
                    }
                }
            }
        }
    }
    // Pass 2: ambiguous clusters.
    for (c, d) in clusters.iter().zip(decisions.iter_mut()) {
        if d.is_none() {
            *d = decide_originals(c, &origins, Some(&prior));
        }
    }
    for (c, d) in clusters.iter().zip(decisions) {
        let Some(decided) = d else { continue };
        stats.clusters += 1;
        let links = build_links(store, &c.nodes, &c.infos, &c.adj, &decided, cfg)?;
        let tx = store.conn_mut().transaction()?;
        for l in &links {
            tx.execute(
                "INSERT OR REPLACE INTO links (copy_id, original_id, source_id, kind, distance,
                     containment, credited, credit_evidence, decided_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    l.copy,
                    l.original,
                    l.source,
                    l.kind,
                    l.distance,
                    l.containment,
                    l.credit.is_some(),
                    l.credit
                        .as_ref()
                        .and_then(|c| serde_json::to_string(c).ok()),
                    decided.by,
                ],
            )?;
        }
        tx.commit()?;
        stats.links += links.len();
    }
    Ok(stats)
}

/// Makes the stored versions of one URL (a page fetched again with a changed body) one node
/// of the cluster: the latest version (highest page id) takes the place of the earlier ones,
/// their matches become its matches (where it has none with that page itself), and they get
/// no link of their own. Otherwise a copy matching both versions looks better connected
/// than the page it copied, and the URL is reported as a copy of itself.
fn merge_url_versions(
    nodes: &mut Vec<i64>,
    adj: &mut HashMap<i64, Vec<Edge>>,
    infos: &mut HashMap<i64, PageInfo>,
) {
    let mut latest: HashMap<String, i64> = HashMap::new();
    for n in nodes.iter() {
        if let Some(i) = infos.get(n) {
            let e = latest.entry(i.url.clone()).or_insert(*n);
            *e = (*e).max(*n);
        }
    }
    let replaced: HashMap<i64, i64> = nodes
        .iter()
        .filter_map(|n| {
            let l = latest[infos.get(n)?.url.as_str()];
            (l != *n).then_some((*n, l))
        })
        .collect();
    if replaced.is_empty() {
        return;
    }
    let to = |n: i64| replaced.get(&n).copied().unwrap_or(n);
    nodes.retain(|n| !replaced.contains_key(n));
    let mut merged: HashMap<i64, Vec<Edge>> = HashMap::new();
    let mut old: Vec<(i64, Vec<Edge>)> = adj.drain().collect();
    // The latest versions' own edges first, so they win over an earlier version's.
    old.sort_by_key(|(n, _)| (replaced.contains_key(n), *n));
    for (n, edges) in old {
        let list = merged.entry(to(n)).or_default();
        for mut e in edges {
            e.other = to(e.other);
            if e.other != to(n) && !list.iter().any(|x| x.other == e.other) {
                list.push(e);
            }
        }
    }
    *adj = merged;
    for n in replaced.keys() {
        infos.remove(n);
    }
}

/// Per site, how often its pages are stored as copies and as originals (links already in the
/// store, decided by strong evidence).
fn stored_site_roles(store: &Store) -> Result<HashMap<String, (u32, u32)>, StoreError> {
    let mut out: HashMap<String, (u32, u32)> = HashMap::new();
    let mut st = store.conn().prepare(
        "SELECT c.site, o.site FROM links l JOIN pages c ON c.id = l.copy_id
         JOIN pages o ON o.id = l.original_id
         WHERE l.decided_by NOT IN ('copy-site', 'first-seen')",
    )?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for r in rows {
        let (c, o) = r?;
        out.entry(c).or_default().0 += 1;
        out.entry(o).or_default().1 += 1;
    }
    Ok(out)
}

fn edges_of(store: &Store, n: i64) -> Result<Vec<Edge>, StoreError> {
    let mut st = store.conn().prepare_cached(
        "SELECT b, shared, ca, cb, distance, kind FROM matches WHERE a = ?1
         UNION ALL
         SELECT a, shared, cb, ca, distance, kind FROM matches WHERE b = ?1",
    )?;
    let rows = st.query_map(params![n], |r| {
        Ok(Edge {
            other: r.get(0)?,
            m: Match {
                shared: r.get::<_, i64>(1)? as usize,
                ca: r.get(2)?,
                cb: r.get(3)?,
                distance: r.get::<_, i64>(4)? as u32,
                translation: r.get::<_, String>(5)? == "translation",
            },
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn supplied_pages(store: &Store, nodes: &[i64]) -> Result<HashSet<i64>, StoreError> {
    let mut out = HashSet::new();
    let mut st = store
        .conn()
        .prepare_cached("SELECT supplied FROM articles WHERE page_id = ?1")?;
    for n in nodes {
        let s: Option<bool> = st.query_row(params![n], |r| r.get(0)).ok();
        if s == Some(true) {
            out.insert(*n);
        }
    }
    Ok(out)
}

struct Decided {
    originals: Vec<i64>,
    by: &'static str,
}

/// A publication time rounded to what it can tell: a time of exactly 00:00:00 is taken as a
/// bare date (day precision), so it ties with any time on the same day.
fn comparable_time(ts: i64) -> (i64, bool) {
    if ts.rem_euclid(86_400) == 0 {
        (ts.div_euclid(86_400), true)
    } else {
        (ts.div_euclid(86_400), false)
    }
}

/// Whether page time `a` is strictly earlier than `b`, honouring day precision.
fn earlier(a: i64, b: i64) -> bool {
    let ((da, a_day), (db, b_day)) = (comparable_time(a), comparable_time(b));
    if a_day || b_day { da < db } else { a < b }
}

/// Decides the originals of a cluster; `None` when only weak evidence is left and no
/// `prior` is given yet.
fn decide_originals(
    c: &Cluster,
    origins: &[String],
    prior: Option<&HashMap<String, (u32, u32)>>,
) -> Option<Decided> {
    let (nodes, infos) = (&c.nodes, &c.infos);
    let on_origin: Vec<i64> = nodes
        .iter()
        .copied()
        .filter(|n| {
            infos
                .get(n)
                .is_some_and(|i| origins.iter().any(|d| host_in_domain(&i.host, d)))
        })
        .collect();
    if !on_origin.is_empty() {
        return Some(Decided {
            originals: on_origin,
            by: "origin-domain",
        });
    }
    // Supplied full texts are originals, unless every page of the cluster was supplied.
    if !c.supplied.is_empty() && c.supplied.len() < nodes.len() {
        let mut v: Vec<i64> = c.supplied.iter().copied().collect();
        v.sort_unstable();
        return Some(Decided {
            originals: v,
            by: "supplied",
        });
    }
    // Credit: the page most other pages credit, provided it credits none of them.
    let mut credited_by: HashMap<i64, usize> = HashMap::new();
    let mut credits_someone: HashSet<i64> = HashSet::new();
    // Only matched pairs are checked (linear in the matches, not quadratic in the cluster).
    for a in nodes {
        for e in c.adj.get(a).map(Vec::as_slice).unwrap_or(&[]) {
            let b = &e.other;
            if let (Some(ia), Some(ib)) = (infos.get(a), infos.get(b))
                && credit(ia, ib).is_some()
            {
                *credited_by.entry(*b).or_default() += 1;
                credits_someone.insert(*a);
            }
        }
    }
    if let Some((&best, _)) = credited_by
        .iter()
        .filter(|(n, _)| !credits_someone.contains(n))
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
    {
        return Some(Decided {
            originals: vec![best],
            by: "credit",
        });
    }
    // The original is matched by every copy of it, so it is among the best-connected pages
    // (two excerpts of one story need not match each other, but both match the original).
    let degree = |n: &i64| {
        c.adj
            .get(n)
            .map_or(0, |es| es.iter().filter(|e| !e.m.translation).count())
    };
    let max_degree = nodes.iter().map(degree).max().unwrap_or(0);
    let hubs: Vec<i64> = nodes
        .iter()
        .copied()
        .filter(|n| degree(n) == max_degree)
        .collect();
    if hubs.len() == 1 {
        return Some(Decided {
            originals: hubs,
            by: "connections",
        });
    }
    let ts = |n: &i64| infos.get(n).and_then(|i| i.published_ts);
    if hubs.iter().all(|n| ts(n).is_some()) {
        let first = hubs.iter().copied().find(|a| {
            hubs.iter()
                .all(|b| a == b || earlier(ts(a).unwrap_or(0), ts(b).unwrap_or(0)))
        });
        if let Some(n) = first {
            return Some(Decided {
                originals: vec![n],
                by: "published",
            });
        }
    }
    let prior = prior?;
    // Copy-site prior: the hub whose site is least often a copy elsewhere.
    let copy_ratio = |n: &i64| -> f64 {
        let (cp, or) = infos
            .get(n)
            .and_then(|i| prior.get(&i.site))
            .copied()
            .unwrap_or((0, 0));
        (cp as f64 + 0.5) / (cp as f64 + or as f64 + 1.0)
    };
    let mut ranked: Vec<(f64, i64)> = hubs.iter().map(|n| (copy_ratio(n), *n)).collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    if ranked.len() >= 2 && ranked[1].0 - ranked[0].0 >= 0.25 {
        return Some(Decided {
            originals: vec![ranked[0].1],
            by: "copy-site",
        });
    }
    // Dated hubs before undated ones, earliest first, then the page stored first.
    let mut order: Vec<i64> = hubs.clone();
    order.sort_by(|a, b| match (ts(a), ts(b)) {
        (Some(x), Some(y)) => x.cmp(&y).then(a.cmp(b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    });
    Some(Decided {
        originals: vec![order[0]],
        by: if ts(&order[0]).is_some() {
            "published"
        } else {
            "first-seen"
        },
    })
}

struct NewLink {
    copy: i64,
    original: i64,
    source: i64,
    kind: &'static str,
    distance: i64,
    containment: f64,
    credit: Option<CreditEvidence>,
}

fn build_links(
    store: &Store,
    nodes: &[i64],
    infos: &HashMap<i64, PageInfo>,
    adj: &HashMap<i64, Vec<Edge>>,
    decided: &Decided,
    cfg: &LinkConfig,
) -> Result<Vec<NewLink>, StoreError> {
    let originals: HashSet<i64> = decided.originals.iter().copied().collect();
    let mut out = Vec::new();
    for &c in nodes {
        if originals.contains(&c) {
            continue;
        }
        let edges = adj.get(&c).map(Vec::as_slice).unwrap_or(&[]);
        // Direct match with an original: the one holding most of the copy.
        let direct = edges
            .iter()
            .filter(|e| originals.contains(&e.other))
            .max_by(|a, b| {
                a.m.ca
                    .max(a.m.cb)
                    .total_cmp(&b.m.ca.max(b.m.cb))
                    .then(b.other.cmp(&a.other))
            });
        let (original, m) = match direct {
            Some(e) => (e.other, Some(e.m)),
            None => match nearest_original(c, adj, &originals) {
                Some(o) => (o, None),
                None => continue,
            },
        };
        let m = match m {
            Some(m) => m,
            None => {
                let (Some(fc), Some(fo)) =
                    (store.fingerprint_of(c)?, store.fingerprint_of(original)?)
                else {
                    continue;
                };
                let shared = intersection_size(&fc.shingles, &fo.shingles);
                let text = Match {
                    shared,
                    ca: shared as f64 / fc.shingles.len().max(1) as f64,
                    cb: shared as f64 / fo.shingles.len().max(1) as f64,
                    distance: hamming(fc.simhash, fo.simhash),
                    translation: false,
                };
                // Reached only through other copies and sharing little text with the
                // original: a translation of it (or a copy of a translation).
                match edges.iter().find(|e| e.m.translation) {
                    Some(e) if text.ca.max(text.cb) < cfg.min_containment => e.m,
                    _ => text,
                }
            }
        };
        // The page it was most likely taken from: the neighbour sharing most of its text.
        let source = edges
            .iter()
            .max_by(|a, b| {
                a.m.ca.max(a.m.cb).total_cmp(&b.m.ca.max(b.m.cb)).then(
                    originals
                        .contains(&a.other)
                        .cmp(&originals.contains(&b.other)),
                )
            })
            .map(|e| {
                let best = e.m.ca.max(e.m.cb);
                if best <= m.ca.max(m.cb) + 0.05 {
                    original
                } else {
                    e.other
                }
            })
            .unwrap_or(original);
        let kind = if m.translation {
            "translation"
        } else if m.ca.min(m.cb) >= cfg.full_containment {
            "full"
        } else {
            "partial"
        };
        let credit = match (infos.get(&c), infos.get(&original)) {
            (Some(ic), Some(io)) => credit(ic, io),
            _ => None,
        };
        out.push(NewLink {
            copy: c,
            original,
            source,
            kind,
            distance: m.distance as i64,
            containment: m.ca.max(m.cb),
            credit,
        });
    }
    Ok(out)
}

fn nearest_original(
    start: i64,
    adj: &HashMap<i64, Vec<Edge>>,
    originals: &HashSet<i64>,
) -> Option<i64> {
    let mut seen = HashSet::from([start]);
    let mut q = VecDeque::from([start]);
    while let Some(n) = q.pop_front() {
        for e in adj.get(&n).map(Vec::as_slice).unwrap_or(&[]) {
            if originals.contains(&e.other) {
                return Some(e.other);
            }
            if seen.insert(e.other) {
                q.push_back(e.other);
            }
        }
    }
    None
}

/// True when `a` and `b` (ASCII) differ by at most one insertion, deletion or substitution.
fn edit_distance_at_most_one(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (s, l) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if l.len() - s.len() > 1 {
        return false;
    }
    let p = s.iter().zip(l).take_while(|(x, y)| x == y).count();
    if s.len() == l.len() {
        s[p + 1.min(s.len() - p)..] == l[p + 1.min(l.len() - p)..]
    } else {
        s[p..] == l[p + 1..]
    }
}

/// Evidence that two pages in different languages carry the same story, from their anchors
/// (see [`crate::fingerprint::anchors`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnchorEvidence {
    /// Shared distinct anchors.
    pub shared: usize,
    /// Sum of the weights (`idf`) of the shared anchors that occur in the same order in both
    /// pages: the heaviest common subsequence of their first occurrences.
    pub evidence: f64,
    /// Share (0..1) of the shared anchors' weight that is in that common order.
    pub order: f64,
    /// Share (0..1) of the weight of all distinct anchors of the page with fewer of them
    /// (weak names excluded) that is in `evidence`: how much of the shorter story the other
    /// one accounts for.
    pub coverage: f64,
    /// The same share for the page with more distinct anchors (0..1): a translation retells
    /// the whole story, so it is about as long as its original.
    pub coverage_larger: f64,
    /// True when a page has weak names (a script without letter case): its names cannot be
    /// told from ordinary words, so fewer of them meet and coverage is lower.
    pub weak_names: bool,
}

/// The key of a name anchor (`p:` or `w:`), if `x` is one.
fn name_key(x: &str) -> Option<&str> {
    x.strip_prefix("p:").or_else(|| x.strip_prefix("w:"))
}

/// Maps each anchor of `own` to the form under which it is compared with `other`
/// (`other_set` its distinct anchors, `other_names` its name keys of four classes or more):
/// a weak name (`w:`) becomes the name (`p:`) the other page has; a name one edit away from
/// one of the other page's names (keys of four classes or more) becomes that name, since
/// transliterations of one name differ by a letter ("Deptford" / "Депфорд"). Two weak names
/// never meet: nothing says that either is a name.
fn canonical_anchors<'s>(
    own: &'s [String],
    other_set: &HashSet<&'s str>,
    other_names: &[&'s str],
) -> Vec<(String, &'s str)> {
    own.iter()
        .map(|x| {
            let x = x.as_str();
            if let Some(k) = x.strip_prefix("w:") {
                let p = format!("p:{k}");
                return if other_set.contains(p.as_str()) {
                    (p, x)
                } else {
                    (x.to_string(), x)
                };
            }
            if let Some(k) = x.strip_prefix("p:") {
                if other_set.contains(x) || other_set.contains(format!("w:{k}").as_str()) {
                    return (x.to_string(), x);
                }
                if k.len() >= 4
                    && let Some(y) = other_names
                        .iter()
                        .find(|y| edit_distance_at_most_one(k, &y[2..]))
                {
                    return ((*y).to_string(), x);
                }
            }
            (x.to_string(), x)
        })
        .collect()
}

/// Scores two anchor sequences (see `canonical_anchors` for how names meet). A shared
/// anchor weighs the smaller `idf` of its forms on the two pages (a weak name that is a
/// common word on one side weighs little however rare the name is on the other); the
/// evidence is the heaviest set of shared anchors whose first occurrences are in the same
/// order on both pages (a weighted longest common subsequence), so coincidences scattered
/// over two unrelated texts count for less than a story retold in order.
pub fn anchor_evidence(a: &[String], b: &[String], idf: &dyn Fn(&str) -> f64) -> AnchorEvidence {
    let names = |v: &[String]| -> Vec<String> {
        let mut n: Vec<String> = v
            .iter()
            .filter(|x| x.starts_with("p:") && x.len() >= 6)
            .cloned()
            .collect();
        n.sort();
        n.dedup();
        n
    };
    let a_names = names(a);
    let a_set: HashSet<&str> = a.iter().map(String::as_str).collect();
    let b_set: HashSet<&str> = b.iter().map(String::as_str).collect();
    let a_names: Vec<&str> = a_names
        .iter()
        .filter_map(|x| a_set.get(x.as_str()).copied())
        .collect();
    // b's anchors in a's terms (names one edit away become a's names); a's weak names in
    // b's terms (a's names stay as they are, or the two would swap forms).
    let cb = canonical_anchors(b, &a_set, &a_names);
    let ca = canonical_anchors(a, &b_set, &[]);
    let cb_set: HashSet<&str> = cb.iter().map(|(c, _)| c.as_str()).collect();
    let ca_set: HashSet<&str> = ca.iter().map(|(c, _)| c.as_str()).collect();
    // Weight of each shared canonical anchor: the smaller idf of its forms.
    let mut weight: HashMap<&str, f64> = HashMap::new();
    for (c, orig) in ca.iter().chain(&cb) {
        let c = c.as_str();
        let both = ca_set.contains(c) && cb_set.contains(c);
        // Weak names only count when the other side has the name.
        if !both || c.starts_with("w:") {
            continue;
        }
        let w = idf(orig).min(idf(c));
        weight.entry(c).and_modify(|x| *x = x.min(w)).or_insert(w);
    }
    let first = |v: &[(String, &str)]| -> Vec<String> {
        let mut seen = HashSet::new();
        v.iter()
            .filter(|(c, _)| weight.contains_key(c.as_str()) && seen.insert(c.clone()))
            .map(|(c, _)| c.clone())
            .collect()
    };
    let (sa, sb) = (first(&ca), first(&cb));
    // Sums in a fixed order (by anchor), so the same pages always give the same figures.
    let sorted_sum = |mut v: Vec<(&str, f64)>| -> f64 {
        v.sort_by(|x, y| x.0.cmp(y.0));
        v.iter().map(|x| x.1).sum()
    };
    let total: f64 = sorted_sum(weight.iter().map(|(k, w)| (*k, *w)).collect());
    let evidence = heaviest_common_subsequence(&sa, &sb, &|x| weight[x]);
    // Coverage is measured on the page with fewer distinct anchors, unless a page has weak
    // names (most of them are ordinary words): then on the other one.
    let own_weight = |v: &[String]| -> (bool, usize, f64) {
        let d: HashSet<&str> = v
            .iter()
            .map(String::as_str)
            .filter(|x| !x.starts_with("w:"))
            .collect();
        let weak = v.iter().any(|x| x.starts_with("w:"));
        (
            weak,
            d.len(),
            sorted_sum(d.iter().map(|x| (*x, idf(x))).collect()),
        )
    };
    let (wa, wb) = (own_weight(a), own_weight(b));
    let (smaller, larger) = match (wa.0, wb.0) {
        (true, false) => (wb.2, wb.2),
        (false, true) => (wa.2, wa.2),
        _ if wa.1 <= wb.1 => (wa.2, wb.2),
        _ => (wb.2, wa.2),
    };
    AnchorEvidence {
        shared: weight.len(),
        evidence,
        order: if total > 0.0 { evidence / total } else { 0.0 },
        coverage: if smaller > 0.0 {
            (evidence / smaller).min(1.0)
        } else {
            0.0
        },
        coverage_larger: if larger > 0.0 {
            (evidence / larger).min(1.0)
        } else {
            0.0
        },
        weak_names: wa.0 || wb.0,
    }
}

/// Heaviest common subsequence of two sequences of distinct items (weighted longest common
/// subsequence; O(n·m) time, O(m) memory).
fn heaviest_common_subsequence(a: &[String], b: &[String], w: &dyn Fn(&str) -> f64) -> f64 {
    let mut prev = vec![0f64; b.len() + 1];
    let mut cur = vec![0f64; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + w(x)
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

struct AnchorPage {
    id: i64,
    site: String,
    language: String,
    anchors: Vec<String>,
}

fn load_anchor_page(store: &Store, id: i64) -> Result<Option<AnchorPage>, StoreError> {
    let row = store
        .conn()
        .prepare_cached(
            "SELECT an.anchors, an.language, p.site FROM anchors an
             JOIN pages p ON p.id = an.page_id WHERE an.page_id = ?1",
        )?
        .query_row(params![id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
            ))
        });
    let Ok((json, lang, site)) = row else {
        return Ok(None);
    };
    let Some(language) = lang else {
        return Ok(None);
    };
    Ok(Some(AnchorPage {
        id,
        site,
        language,
        anchors: serde_json::from_str(&json).unwrap_or_default(),
    }))
}

/// Fills `df` with the document frequency of every anchor in `anchors` it lacks: the number
/// of pages in the store carrying it (from the anchor index), counted up to
/// `max_postings + 2` (above the cap the exact count does not matter: such an anchor is never
/// a candidate key and weighs almost nothing).
fn document_frequencies(
    index: &AnchorPostings,
    anchors: &[String],
    cfg: &LinkConfig,
    df: &mut HashMap<String, i64>,
) {
    for a in anchors {
        if df.contains_key(a) {
            continue;
        }
        let n = index.document_frequency(a, cfg.max_postings.saturating_add(2));
        df.insert(a.clone(), (n as i64).max(1));
    }
}

/// Caches of one translation-matching pass.
struct AnchorContext {
    /// Pages with anchors in the store.
    n: f64,
    /// Anchor → pages carrying it (capped at `max_postings + 1`).
    df: HashMap<String, i64>,
    /// Page → its best candidate per language.
    best: HashMap<i64, HashMap<String, (i64, AnchorEvidence)>>,
}

/// The best cross-language candidate of page `p` in each other language (see
/// [`match_translations`]), after thresholds and the margin over the runner-up.
fn best_per_language(
    store: &Store,
    index: &AnchorPostings,
    p: &AnchorPage,
    cfg: &LinkConfig,
    ctx: &mut AnchorContext,
) -> Result<HashMap<String, (i64, AnchorEvidence)>, StoreError> {
    if let Some(b) = ctx.best.get(&p.id) {
        return Ok(b.clone());
    }
    // Every indexed page is in P's language or has none: no candidate (this holds for every
    // page of the pass, so no document frequency the pass caches is ever used either).
    if !index.other_language_possible(&p.language) {
        ctx.best.insert(p.id, HashMap::new());
        return Ok(HashMap::new());
    }
    // Candidates in P's language, or without one, are dropped below without being read.
    let own_language = index.language_id(&p.language).map(PageLanguage::Id);
    let mut counts: HashMap<i64, usize> = HashMap::new();
    {
        let distinct: HashSet<&String> = p.anchors.iter().collect();
        // A name is looked up as a name and as a weak name (a word of a script without
        // case); a weak name only as a name.
        let mut lookups: HashSet<String> = HashSet::new();
        for a in &distinct {
            match (a.strip_prefix("p:"), a.strip_prefix("w:")) {
                (Some(k), _) => {
                    lookups.insert(a.to_string());
                    lookups.insert(format!("w:{k}"));
                }
                (_, Some(k)) => {
                    lookups.insert(format!("p:{k}"));
                    // Its own document frequency, for its weight.
                    lookups.insert(a.to_string());
                }
                _ => {
                    lookups.insert(a.to_string());
                }
            }
        }
        let mut lookups: Vec<String> = lookups.into_iter().collect();
        lookups.sort();
        let mut per_page: HashMap<i64, HashSet<String>> = HashMap::new();
        for a in lookups {
            let own = usize::from(distinct.contains(&a));
            // The pages other than P carrying `a`; above the cap only their number counts,
            // as `max_postings + 1` (the document frequency of a saturated anchor).
            let posted = match index.pages(&a, p.id, cfg.max_postings) {
                Posted::Pages(v) => v,
                Posted::Saturated => {
                    let n = cfg.max_postings.saturating_add(1).saturating_add(own);
                    ctx.df.insert(a.clone(), n.max(1) as i64);
                    continue;
                }
            };
            ctx.df.insert(a.clone(), (posted.len() + own).max(1) as i64);
            // Weak names on both pages do not meet.
            if a.starts_with("w:") && own == 1 {
                continue;
            }
            let key = name_key(&a).map_or_else(|| a.clone(), str::to_string);
            for q in posted {
                let lang = index.language_of(q);
                if lang == PageLanguage::None || Some(lang) == own_language {
                    continue;
                }
                per_page.entry(q).or_default().insert(key.clone());
            }
        }
        for (q, keys) in per_page {
            counts.insert(q, keys.len());
        }
    }
    let mut by_lang: HashMap<String, Vec<(f64, i64, AnchorEvidence)>> = HashMap::new();
    for (q, c) in counts {
        if c < cfg.min_shared_anchors {
            continue;
        }
        let Some(qp) = load_anchor_page(store, q)? else {
            continue;
        };
        if qp.language == p.language || qp.site == p.site {
            continue;
        }
        // The candidate's own anchors weigh into its coverage: their document frequencies
        // come from the index of the whole store too, so the evidence does not depend on which pages
        // happened to be looked up earlier in this pass.
        document_frequencies(index, &qp.anchors, cfg, &mut ctx.df);
        let (n, df) = (ctx.n, &ctx.df);
        // IDF in units of ln N: an anchor on no other page weighs 1.
        let idf = |x: &str| -> f64 {
            let d = df.get(x).copied().unwrap_or(1).max(1) as f64;
            ((n / d).ln() / n.ln().max(1.0)).max(0.0)
        };
        let ev = anchor_evidence(&p.anchors, &qp.anchors, &idf);
        by_lang
            .entry(qp.language)
            .or_default()
            .push((ev.evidence, q, ev));
    }
    let mut out = HashMap::new();
    for (lang, mut cands) in by_lang {
        cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let (best_ev, best, ev) = cands[0];
        if ev.shared < cfg.min_shared_anchors
            || best_ev < cfg.min_anchor_evidence
            || ev.order < cfg.min_anchor_order
            || ev.coverage
                < if ev.weak_names {
                    cfg.min_anchor_coverage_weak
                } else {
                    cfg.min_anchor_coverage
                }
        {
            continue;
        }
        let dups: HashSet<i64> = edges_of(store, best)?
            .into_iter()
            .filter(|e| !e.m.translation)
            .map(|e| e.other)
            .collect();
        let runner_up = cands
            .iter()
            .skip(1)
            .find(|c| !dups.contains(&c.1))
            .map_or(0.0, |c| c.0);
        if best_ev - runner_up < cfg.min_anchor_margin {
            continue;
        }
        out.insert(lang, (best, ev));
    }
    ctx.best.insert(p.id, out.clone());
    Ok(out)
}

/// Finds cross-language matches (translated copies) for the pages `ids` and stores them in
/// `matches` with kind `translation`; returns the pages matched (both ends).
///
/// For a page P, candidates are pages of other sites in another language sharing at least
/// [`LinkConfig::min_shared_anchors`] distinct anchors through the anchor index `index` (the
/// in-memory [`AnchorPostings`] of every stored page's anchors, e.g. [`AnchorPostings::load`]
/// of the store; anchors on more than [`LinkConfig::max_postings`] pages are ignored). Per language, the candidate with
/// the most evidence ([`anchor_evidence`], IDF-weighted over the whole store) is matched if
/// its evidence and order pass the thresholds and it beats the runner-up — ignoring pages
/// already matched to it by text, its same-language duplicates — by
/// [`LinkConfig::min_anchor_margin`]: a story's translation shares rare numbers and names
/// with it that other stories do not. The match is kept only when it is mutual: P is also
/// the best candidate of its partner in P's language.
///
/// # Errors
/// SQLite errors.
pub fn match_translations(
    store: &mut Store,
    index: &AnchorPostings,
    ids: &[i64],
    cfg: &LinkConfig,
) -> Result<HashSet<i64>, StoreError> {
    let n_pages: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM anchors", [], |r| r.get(0))?;
    let mut ctx = AnchorContext {
        n: n_pages.max(1) as f64,
        df: HashMap::new(),
        best: HashMap::new(),
    };
    let mut touched = HashSet::new();
    let mut new_matches: Vec<(i64, i64, AnchorEvidence)> = Vec::new();
    for &id in ids {
        let Some(p) = load_anchor_page(store, id)? else {
            continue;
        };
        for (q, ev) in best_per_language(store, index, &p, cfg, &mut ctx)?.into_values() {
            // Mutual best: P is also Q's best candidate in P's language.
            let Some(qp) = load_anchor_page(store, q)? else {
                continue;
            };
            let back = best_per_language(store, index, &qp, cfg, &mut ctx)?;
            if back.get(&p.language).map(|(x, _)| *x) == Some(id) {
                new_matches.push((id, q, ev));
            }
        }
    }
    // The per-language maps above are unordered: fix the order before anything depends on it.
    new_matches.sort_by_key(|m| (m.0, m.1));
    keep_anchored_to_origins(store, &mut new_matches)?;
    let tx = store.conn_mut().transaction()?;
    {
        let mut ins = tx.prepare_cached(
            "INSERT OR IGNORE INTO matches (a, b, shared, ca, cb, distance, kind)
             VALUES (?1, ?2, ?3, ?4, ?5, 64, 'translation')",
        )?;
        for (p, q, ev) in new_matches {
            let (a, b) = (p.min(q), p.max(q));
            // ca/cb hold the order agreement for translations (no shingle containment).
            ins.execute(params![a, b, ev.shared as i64, ev.order, ev.order])?;
            touched.insert(a);
            touched.insert(b);
        }
    }
    tx.commit()?;
    Ok(touched)
}

/// With origin domains named, drops translation matches between two pages off those domains
/// unless one of them is also matched (by text, or by a translation match of this batch) to a
/// page on them. Translations of one story that match each other but not its original would
/// otherwise form a cluster whose "original" is one of the translations; when the user has
/// said where originals are, such a cluster can only name the wrong page.
fn keep_anchored_to_origins(
    store: &Store,
    new_matches: &mut Vec<(i64, i64, AnchorEvidence)>,
) -> Result<(), StoreError> {
    let origins = store.origin_domains()?;
    if origins.is_empty() || new_matches.is_empty() {
        return Ok(());
    }
    let mut on_origin: HashMap<i64, bool> = HashMap::new();
    let mut is_origin = |id: i64| -> Result<bool, StoreError> {
        if let Some(v) = on_origin.get(&id) {
            return Ok(*v);
        }
        let host: Option<String> = store
            .conn()
            .prepare_cached("SELECT host FROM pages WHERE id = ?1")?
            .query_row(params![id], |r| r.get(0))
            .ok();
        let v = host.is_some_and(|h| origins.iter().any(|d| host_in_domain(&h, d)));
        on_origin.insert(id, v);
        Ok(v)
    };
    let mut anchored: HashSet<i64> = HashSet::new();
    for &(p, q, _) in new_matches.iter() {
        if is_origin(p)? {
            anchored.insert(q);
        }
        if is_origin(q)? {
            anchored.insert(p);
        }
    }
    let mut keep = Vec::with_capacity(new_matches.len());
    for m in new_matches.drain(..) {
        let (p, q, _) = m;
        let mut ok =
            is_origin(p)? || is_origin(q)? || anchored.contains(&p) || anchored.contains(&q);
        if !ok {
            for n in [p, q] {
                for e in edges_of(store, n)? {
                    if is_origin(e.other)? {
                        ok = true;
                    }
                }
            }
        }
        if ok {
            keep.push(m);
        }
    }
    *new_matches = keep;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_context(store: &Store) -> AnchorContext {
        let n: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM anchors", [], |r| r.get(0))
            .unwrap();
        AnchorContext {
            n: n.max(1) as f64,
            df: HashMap::new(),
            best: HashMap::new(),
        }
    }

    /// Two sorted shingle lists: `n_a` and `n_b` hashes sharing `shared` of them.
    fn pair(
        rng: &mut fastrand::Rng,
        n_a: usize,
        n_b: usize,
        shared: usize,
    ) -> (Fingerprint, Fingerprint) {
        let common: Vec<u64> = (0..shared).map(|_| rng.u64(..)).collect();
        let mk = |rng: &mut fastrand::Rng, n: usize| {
            let mut v = common.clone();
            v.extend((shared..n).map(|_| rng.u64(..)));
            v.sort_unstable();
            v.dedup();
            Fingerprint {
                simhash: 0,
                n_tokens: n + 3,
                shingles: v,
            }
        };
        (mk(rng, n_a), mk(rng, n_b))
    }

    fn shared_sample(a: &Fingerprint, b: &Fingerprint) -> usize {
        let bs: HashSet<u64> = b.sample().collect();
        a.sample().filter(|h| bs.contains(h)).count()
    }

    /// The key-count prefilter never skips a pair that [`verify`] accepts (checked on 20,000
    /// random pairs at and just above the containment threshold, all lengths), and does
    /// skip long pages that share almost nothing.
    #[test]
    fn too_few_shared_keys_never_drops_a_verified_match() {
        let cfg = LinkConfig::default();
        let mut rng = fastrand::Rng::with_seed(11);
        let mut skipped_unrelated = 0;
        for i in 0..20_000 {
            let n_a = rng.usize(20..3_000);
            let n_b = rng.usize(20..3_000);
            let small = n_a.min(n_b);
            let c = cfg.min_containment + rng.f64() * 0.1;
            let shared = ((c * small as f64).ceil() as usize).min(small);
            let (a, b) = pair(&mut rng, n_a, n_b, shared);
            let keys = shared_sample(&a, &b);
            if verify(&a, &b, &cfg).is_some() {
                assert!(
                    !too_few_shared_keys(keys, 1.0, a.shingles.len(), b.shingles.len(), &cfg),
                    "case {i}: {n_a}/{n_b} shingles, {shared} shared, {keys} shared keys"
                );
            }
            // An unrelated long pair sharing one sampled key (a boilerplate sentence).
            if small >= LONG_TEXT_SHINGLES {
                let (a, b) = pair(&mut rng, n_a, n_b, 4);
                if !too_few_shared_keys(1, 1.0, a.shingles.len(), b.shingles.len(), &cfg) {
                    panic!("case {i}: one shared key of {small} shingles not skipped");
                }
                skipped_unrelated += 1;
            }
        }
        assert!(skipped_unrelated > 1_000);
        // Short pages are always verified; so is a page whose keys were mostly over the cap.
        assert!(!too_few_shared_keys(0, 1.0, 100, 5_000, &cfg));
        assert!(!too_few_shared_keys(3, 0.05, 2_000, 2_000, &cfg));
        assert!(too_few_shared_keys(3, 1.0, 2_000, 2_000, &cfg));
    }

    /// A page's best cross-language candidates (and their evidence, coverage included) are
    /// a function of the store: looking other pages up first in the same pass — which fills
    /// the document-frequency cache — must not change them.
    #[test]
    fn anchor_evidence_does_not_depend_on_earlier_lookups() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample-xling");
        let cfg = crate::ingest::run::IngestConfig {
            paths: vec![dir.join("sample.warc.gz")],
            origin_domains: Vec::new(),
            threads: 1,
            progress: false,
            link: LinkConfig::default(),
            stop: None,
        };
        let (store, _) = crate::ingest::run::run(Store::open_in_memory().unwrap(), &cfg).unwrap();
        let ids: Vec<i64> = {
            let mut st = store
                .conn()
                .prepare("SELECT page_id FROM anchors ORDER BY page_id")
                .unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert!(ids.len() > 20);
        let link = LinkConfig::default();
        let index = AnchorPostings::load(store.conn()).unwrap();
        let mut warm = fresh_context(&store);
        let mut compared = 0;
        for &id in ids.iter().rev() {
            let p = load_anchor_page(&store, id).unwrap().unwrap();
            let warmed = best_per_language(&store, &index, &p, &link, &mut warm).unwrap();
            let cold =
                best_per_language(&store, &index, &p, &link, &mut fresh_context(&store)).unwrap();
            assert_eq!(warmed, cold, "page {id}");
            compared += cold.len();
        }
        assert!(compared > 10, "pages with a best candidate: {compared}");
    }
}
