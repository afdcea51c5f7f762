//! Linking: near-duplicate candidates → verified matches → story clusters → which page is the
//! original → one link per copy, with whether the copy credits its original.
//!
//! **Candidates** come from the inverted index of sampled shingle hashes
//! (`shingle_postings`), never from a scan of stored pages. Shingles that occur on more than
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

use rusqlite::{Transaction, params};
use serde::Serialize;

use crate::fingerprint::{Fingerprint, hamming, intersection_size};
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
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            min_containment: 0.35,
            min_shared: 8,
            max_postings: 64,
            full_containment: 0.8,
            max_candidates: 64,
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
    })
}

/// Finds and stores the verified matches of a newly stored page `id` (whose fingerprint is
/// `fp` and site `site`) against earlier pages. Returns the matched page ids.
///
/// # Errors
/// SQLite errors.
pub fn match_new_page(
    tx: &Transaction<'_>,
    id: i64,
    site: &str,
    fp: &Fingerprint,
    cfg: &LinkConfig,
) -> Result<Vec<i64>, StoreError> {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    {
        let mut st = tx.prepare_cached(
            "SELECT page_id FROM shingle_postings WHERE hash = ?1 AND page_id != ?2 LIMIT ?3",
        )?;
        for key in index_keys(fp) {
            let ids: Vec<i64> = st
                .query_map(params![key as i64, id, cfg.max_postings as i64 + 1], |r| {
                    r.get(0)
                })?
                .collect::<Result<_, _>>()?;
            if ids.len() > cfg.max_postings {
                continue;
            }
            for p in ids {
                *counts.entry(p).or_default() += 1;
            }
        }
    }
    let mut cands: Vec<(i64, usize)> = counts.into_iter().collect();
    cands.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    cands.truncate(cfg.max_candidates);
    let mut matched = Vec::new();
    let mut fp_st = tx.prepare_cached(
        "SELECT f.simhash, f.n_tokens, f.shingles, p.site FROM fingerprints f
         JOIN pages p ON p.id = f.page_id WHERE f.page_id = ?1",
    )?;
    let mut ins = tx.prepare_cached(
        "INSERT OR REPLACE INTO matches (a, b, shared, ca, cb, distance)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (cand, _) in cands {
        let row = fp_st.query_row(params![cand], |r| {
            Ok((
                Fingerprint {
                    simhash: r.get::<_, i64>(0)? as u64,
                    n_tokens: r.get::<_, i64>(1)? as usize,
                    shingles: crate::store::blob_to_shingles(&r.get::<_, Vec<u8>>(2)?),
                },
                r.get::<_, String>(3)?,
            ))
        });
        let Ok((other, other_site)) = row else {
            continue;
        };
        if other_site == site {
            continue;
        }
        if let Some(m) = verify(&other, fp, cfg) {
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

/// Recomputes the links of every story cluster containing a page in `touched`.
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
        stats.clusters += 1;
        let mut infos: HashMap<i64, PageInfo> = HashMap::new();
        for n in &nodes {
            if let Some(i) = store.page_info(*n)? {
                infos.insert(*n, i);
            }
        }
        let supplied = supplied_pages(store, &nodes)?;
        let decided = decide_originals(&nodes, &infos, &adj, &origins, &supplied);
        let links = build_links(store, &nodes, &infos, &adj, &decided, cfg)?;
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

fn edges_of(store: &Store, n: i64) -> Result<Vec<Edge>, StoreError> {
    let mut st = store.conn().prepare_cached(
        "SELECT b, shared, ca, cb, distance FROM matches WHERE a = ?1
         UNION ALL
         SELECT a, shared, cb, ca, distance FROM matches WHERE b = ?1",
    )?;
    let rows = st.query_map(params![n], |r| {
        Ok(Edge {
            other: r.get(0)?,
            m: Match {
                shared: r.get::<_, i64>(1)? as usize,
                ca: r.get(2)?,
                cb: r.get(3)?,
                distance: r.get::<_, i64>(4)? as u32,
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

fn decide_originals(
    nodes: &[i64],
    infos: &HashMap<i64, PageInfo>,
    _adj: &HashMap<i64, Vec<Edge>>,
    origins: &[String],
    supplied: &HashSet<i64>,
) -> Decided {
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
        return Decided {
            originals: on_origin,
            by: "origin-domain",
        };
    }
    // Supplied full texts are originals, unless every page of the cluster was supplied.
    if !supplied.is_empty() && supplied.len() < nodes.len() {
        let mut v: Vec<i64> = supplied.iter().copied().collect();
        v.sort_unstable();
        return Decided {
            originals: v,
            by: "supplied",
        };
    }
    // Credit: the page most other pages credit, provided it credits none of them.
    let mut credited_by: HashMap<i64, usize> = HashMap::new();
    let mut credits_someone: HashSet<i64> = HashSet::new();
    for a in nodes {
        for b in nodes {
            if a == b {
                continue;
            }
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
        return Decided {
            originals: vec![best],
            by: "credit",
        };
    }
    let dated: Vec<(i64, i64)> = nodes
        .iter()
        .filter_map(|n| infos.get(n).and_then(|i| i.published_ts).map(|t| (t, *n)))
        .collect();
    if let Some(&(t, n)) = dated.iter().min() {
        let ties = dated.iter().filter(|(u, _)| *u == t).count();
        if ties == 1 {
            return Decided {
                originals: vec![n],
                by: "published",
            };
        }
    }
    Decided {
        originals: vec![*nodes.iter().min().unwrap_or(&0)],
        by: "first-seen",
    }
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
                Match {
                    shared,
                    ca: shared as f64 / fc.shingles.len().max(1) as f64,
                    cb: shared as f64 / fo.shingles.len().max(1) as f64,
                    distance: hamming(fc.simhash, fo.simhash),
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
        let kind = if m.ca.min(m.cb) >= cfg.full_containment {
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
