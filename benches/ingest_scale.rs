//! Ingest-at-scale benchmark (a plain binary that prints a table).
//!
//! Feeds `INGEST_SCALE_PAGES` (default 100,000) synthetic HTML news pages one after another
//! through [`PageSink::add_prepared`] into a file-backed [`Store`] (SQLite in a temporary
//! directory), then calls [`PageSink::finish`]. Pages are generated and analysed (decode,
//! extract, fingerprint: [`pipeline::analyse`]; gzip of the body) in order on a second thread, as `copytrail
//! ingest` does on its workers. Prints, for each window of `INGEST_SCALE_WINDOW` (default
//! 10,000) pages, the single writer's cost (`add_prepared`, µs/page and pages/s, wall clock,
//! commits included) — to see whether it stays flat as the store grows — and the analysis
//! cost on the other thread, and their ratio `st/an` (which cancels most of the machine's
//! load, since both run in the same minutes), and the writer thread's on-CPU time per page
//! (`st cpu us/pg`, Linux; leaves out waits for a core or for I/O); then the cost of `finish` (last commit and relinking), total
//! pages/s, the final database size (bytes of every file in the store's directory: DB +
//! WAL), the size of the in-memory shingle and anchor postings, and the time to reopen the store (the
//! writer rebuilds its in-memory indexes from the fingerprints). `INGEST_SCALE_BATCH` sets the pages per commit (default
//! `BatchLimits::default().max_pages`; 1 = one transaction per page, the old behaviour);
//! `INGEST_SCALE_DIR` keeps the store in that directory instead of a temporary one.
//!
//! Pages (deterministic, fixed seed): a vocabulary of 4,000 made-up words picked with a skewed
//! (roughly Zipf-like) distribution; each original has a 6–10-word title, an
//! `article:published_time`, and 300–800 words of body in paragraphs, inside a small site
//! template (nav, footer); unique URLs on 1,000 hosts `https://www.siteN.example/…`. About 5 %
//! of pages are copies of an earlier page's story on another host: 60 % full copies, 40 %
//! excerpts (the first 40–70 % of the paragraphs); half of the copies credit the original with
//! a link. Page generation is not timed.
//!
//! Run: `cargo bench --bench ingest_scale` (`INGEST_SCALE_PAGES=50000` for a shorter run).

mod common;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use copytrail::ingest::{AddOutcome, BatchLimits, PageSink};
use copytrail::page::{Page, PageSource};
use copytrail::pipeline::{self, Analysis};
use copytrail::store::{Store, compress, content_hash};

/// A generated page with its body hash, analysis, gzip body and the time the analysis took.
type Prepared = (Page, String, Box<Analysis>, Vec<u8>, Duration);

const SEED: u64 = 0x00C0_FFEE_2026;
const VOCAB: usize = 4_000;
const HOSTS: u64 = 1_000;
const COPY_SHARE: f64 = 0.05;

/// Made-up words from syllables, deterministic.
fn vocabulary() -> Vec<String> {
    common::vocabulary(VOCAB, SEED)
}

/// A story: where it was first published and its text.
struct Story {
    host: u64,
    title: String,
    published: String,
    paragraphs: Vec<String>,
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The story first published as page `i` (reproducible from `i` alone).
fn story(i: u64, vocab: &[String]) -> Story {
    let mut rng = fastrand::Rng::with_seed(SEED ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let host = rng.u64(..HOSTS);
    let title_len = rng.usize(6..=10);
    let title = capitalise(
        &(0..title_len)
            .map(|_| common::pick(&mut rng, vocab))
            .collect::<Vec<_>>()
            .join(" "),
    );
    let total = rng.usize(300..=800);
    let mut paragraphs = Vec::new();
    let mut written = 0;
    while written < total {
        let mut para = String::new();
        for _ in 0..rng.usize(3..=6) {
            let n = rng.usize(8..=20).min(total - written);
            if n == 0 {
                break;
            }
            let words: Vec<&str> = (0..n).map(|_| common::pick(&mut rng, vocab)).collect();
            if !para.is_empty() {
                para.push(' ');
            }
            para.push_str(&capitalise(&words.join(" ")));
            para.push('.');
            written += n;
        }
        paragraphs.push(para);
    }
    // One page a minute from 2026-01-01.
    let published = (chrono::DateTime::from_timestamp(1_767_225_600, 0).expect("valid")
        + chrono::Duration::minutes(i as i64))
    .to_rfc3339();
    Story {
        host,
        title,
        published,
        paragraphs,
    }
}

fn story_url(i: u64, s: &Story) -> String {
    format!("https://www.site{}.example/news/{i}/story.html", s.host)
}

fn html(host: u64, s: &Story, paragraphs: &[String], credit: Option<&str>) -> String {
    let mut body = String::with_capacity(8 * 1024);
    body.push_str(&format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} | Site {host}</title>\
         <meta property=\"article:published_time\" content=\"{}\"></head><body>\
         <header><nav><a href=\"/\">Home</a> <a href=\"/world\">World</a> <a href=\"/business\">Business</a> \
         <a href=\"/sport\">Sport</a></nav></header><main><article><h1>{}</h1>",
        s.title, s.published, s.title
    ));
    for p in paragraphs {
        body.push_str("<p>");
        body.push_str(p);
        body.push_str("</p>");
    }
    if let Some(url) = credit {
        body.push_str(&format!(
            "<p>This story was originally published by <a href=\"{url}\">Site {}</a>.</p>",
            s.host
        ));
    }
    body.push_str(&format!(
        "</article></main><footer><p>Copyright 2026 Site {host}. All rights reserved.</p>\
         <a href=\"/about\">About us</a> <a href=\"/contact\">Contact</a></footer></body></html>"
    ));
    body
}

fn page(url: String, body: String) -> Page {
    Page {
        url: url::Url::parse(&url).expect("valid synthetic URL"),
        status: 200,
        headers: vec![(
            "Content-Type".to_string(),
            "text/html; charset=utf-8".to_string(),
        )],
        body: body.into_bytes(),
        fetched_at: None,
        source: PageSource::Crawl,
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// On-CPU time of the calling thread so far (Linux: first field of
/// `/proc/thread-self/schedstat`, nanoseconds); `None` where that file does not exist. Unlike
/// wall-clock time it leaves out the time the thread waits for a core or for I/O.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace()
        .next()?
        .parse()
        .ok()
        .map(Duration::from_nanos)
}

/// The calling thread's I/O and memory counters so far (Linux): bytes passed to `write`-type
/// and `read`-type system calls (`wchar`, `rchar` of `/proc/thread-self/io`, page cache
/// included) and minor page faults (field 10 of `/proc/thread-self/stat`); `None` where
/// those files do not exist.
fn thread_io() -> Option<[u64; 3]> {
    let io = std::fs::read_to_string("/proc/thread-self/io").ok()?;
    let field = |name: &str| -> Option<u64> {
        io.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
    };
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let minflt = rest.split_whitespace().nth(7)?.parse().ok()?;
    Some([field("wchar:")?, field("rchar:")?, minflt])
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Generates the pages in order and analyses them (decode, extract, fingerprint, body
/// compression) on this thread, sending each with its analysis time; the counts of copies are returned at the end.
fn produce(n: usize, tx: std::sync::mpsc::SyncSender<Prepared>) -> (usize, usize) {
    let vocab = vocabulary();
    // origin[i] = index of the story page i carries (i itself for originals).
    let mut origin: Vec<u64> = Vec::with_capacity(n);
    let mut rng = fastrand::Rng::with_seed(SEED.rotate_left(17));
    let (mut copies, mut full_copies) = (0usize, 0usize);
    for i in 0..n as u64 {
        let p = if i > 0 && rng.f64() < COPY_SHARE {
            let j = rng.u64(..i);
            let k = origin[j as usize];
            let s = story(k, &vocab);
            let mut host = rng.u64(..HOSTS);
            if host == s.host {
                host = (host + 1) % HOSTS;
            }
            let full = rng.f64() < 0.6;
            let paras = if full {
                full_copies += 1;
                &s.paragraphs[..]
            } else {
                let keep = ((s.paragraphs.len() as f64 * (0.4 + 0.3 * rng.f64())).ceil() as usize)
                    .clamp(1, s.paragraphs.len());
                &s.paragraphs[..keep]
            };
            let credit = rng.bool().then(|| story_url(k, &s));
            copies += 1;
            origin.push(k);
            page(
                format!("https://www.site{host}.example/story/{i}.html"),
                html(host, &s, paras, credit.as_deref()),
            )
        } else {
            let s = story(i, &vocab);
            origin.push(i);
            page(story_url(i, &s), html(s.host, &s, &s.paragraphs, None))
        };
        let t = Instant::now();
        let hash = content_hash(&p.body);
        let analysis = Box::new(pipeline::analyse(&p));
        let gz = compress(&p.body);
        let el = t.elapsed();
        if tx.send((p, hash, analysis, gz, el)).is_err() {
            break;
        }
    }
    (copies, full_copies)
}

fn main() -> anyhow::Result<()> {
    let n = env_usize("INGEST_SCALE_PAGES", 100_000).max(1);
    let window = env_usize("INGEST_SCALE_WINDOW", 10_000).max(1);
    let batch = env_usize("INGEST_SCALE_BATCH", BatchLimits::default().max_pages).max(1);
    // `INGEST_SCALE_DIR`: keep the store in this (new or empty) directory for inspection
    // instead of a temporary directory that is removed at the end.
    let kept = std::env::var_os("INGEST_SCALE_DIR").map(std::path::PathBuf::from);
    let tmp = tempfile::tempdir()?;
    let dir_path = match &kept {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => tmp.path().to_path_buf(),
    };
    let db = dir_path.join("bench.db");
    let mut sink = PageSink::new(Store::open(&db)?)?;
    sink.set_batch_limits(BatchLimits {
        max_pages: batch,
        ..BatchLimits::default()
    });

    // Pages are generated and analysed on a second thread, ahead of the writer (as in
    // `copytrail ingest`), so the table's store figure is the single writer's own cost.
    let (tx, rx) = std::sync::mpsc::sync_channel(64);
    let producer = std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(move || produce(n, tx))?;

    println!(
        "ingest_scale: {n} pages through PageSink::add_prepared into a file-backed store, windows of {window}, batches of {batch} pages"
    );
    println!(
        "{:>16} {:>12} {:>12} {:>12} {:>8} {:>12} {:>12} {:>9} {:>9} {:>9}",
        "pages",
        "store us/pg",
        "store pg/s",
        "analyse us/pg",
        "st/an",
        "st cpu us/pg",
        "db bytes",
        "wr KB/pg",
        "rd KB/pg",
        "flt/pg"
    );
    let wall = Instant::now();
    let mut total_add = Duration::ZERO;
    let mut total_analyse = Duration::ZERO;
    let (mut win_time, mut win_analyse) = (Duration::ZERO, Duration::ZERO);
    let mut win_start = 0usize;
    let mut win_cpu = thread_cpu();
    let mut win_io = thread_io();
    let mut added = 0usize;
    for (i, (p, hash, analysis, gz, analyse_time)) in rx.into_iter().enumerate() {
        let t = Instant::now();
        let out = sink.add_prepared(&p, &hash, &analysis, Some(&gz))?;
        let el = t.elapsed();
        win_time += el;
        total_add += el;
        win_analyse += analyse_time;
        total_analyse += analyse_time;
        if matches!(out, AddOutcome::Added(_)) {
            added += 1;
        }
        let done = i + 1;
        if done.is_multiple_of(window) || done == n {
            let count = done - win_start;
            // The writer's on-CPU time in the window (this thread also receives and drops the
            // pages: a constant cost per page).
            let cpu = thread_cpu();
            let cpu_us = match (win_cpu, cpu) {
                (Some(a), Some(b)) => format!("{:.1}", (b - a).as_secs_f64() * 1e6 / count as f64),
                _ => "-".to_string(),
            };
            win_cpu = cpu;
            // The writer thread's bytes written and read (system calls) and minor page
            // faults per page in the window.
            let io = thread_io();
            let per_page = |k: usize, scale: f64| match (win_io, io) {
                (Some(a), Some(b)) => format!("{:.1}", (b[k] - a[k]) as f64 / scale / count as f64),
                _ => "-".to_string(),
            };
            let (wr, rd, flt) = (per_page(0, 1e3), per_page(1, 1e3), per_page(2, 1.0));
            win_io = io;
            println!(
                "{:>16} {:>12.1} {:>12.0} {:>12.1} {:>8.3} {:>12} {:>12} {:>9} {:>9} {:>9}",
                format!("{}-{}", win_start + 1, done),
                win_time.as_secs_f64() * 1e6 / count as f64,
                count as f64 / win_time.as_secs_f64(),
                win_analyse.as_secs_f64() * 1e6 / count as f64,
                win_time.as_secs_f64() / win_analyse.as_secs_f64().max(1e-9),
                cpu_us,
                dir_bytes(&dir_path),
                wr,
                rd,
                flt
            );
            std::io::stdout().flush()?;
            win_start = done;
            win_time = Duration::ZERO;
            win_analyse = Duration::ZERO;
        }
    }
    let (copies, full_copies) = producer
        .join()
        .map_err(|_| anyhow::anyhow!("page producer panicked"))?;
    let (postings, postings_bytes) = (sink.postings().len(), sink.postings().heap_bytes());
    let (anchor_postings, anchor_bytes) = (
        sink.anchor_postings().len(),
        sink.anchor_postings().heap_bytes(),
    );
    let t = Instant::now();
    let store = sink.finish()?;
    let finish = t.elapsed();
    let wall = wall.elapsed();
    let links: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM links", [], |r| r.get(0))?;
    let credited: i64 =
        store
            .conn()
            .query_row("SELECT COUNT(*) FROM links WHERE credited != 0", [], |r| {
                r.get(0)
            })?;
    drop(store);
    println!(
        "pages {n} (added {added}; copies {copies}: {full_copies} full, {} excerpts); links {links} ({credited} credited)",
        copies - full_copies
    );
    println!(
        "store (add_prepared) total {:.1} s ({:.1} us/page); finish (last commit + relink) {:.2} s; analyse total {:.1} s ({:.1} us/page, other thread)",
        total_add.as_secs_f64(),
        total_add.as_secs_f64() * 1e6 / n as f64,
        finish.as_secs_f64(),
        total_analyse.as_secs_f64(),
        total_analyse.as_secs_f64() * 1e6 / n as f64,
    );
    println!(
        "wall {:.1} s, overall {:.0} pages/s",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64()
    );
    println!(
        "final DB size {} bytes ({:.1} MB, incl. WAL; {:.0} bytes/page)",
        dir_bytes(&dir_path),
        dir_bytes(&dir_path) as f64 / 1e6,
        dir_bytes(&dir_path) as f64 / n as f64
    );
    println!(
        "shingle postings in memory: {postings} ({:.1} per page), {postings_bytes} heap bytes ({:.1} bytes/posting)",
        postings as f64 / n as f64,
        postings_bytes as f64 / postings.max(1) as f64
    );
    println!(
        "anchor postings in memory: {anchor_postings} ({:.2} per page), {anchor_bytes} heap bytes",
        anchor_postings as f64 / n as f64
    );
    // Reopening rebuilds the SimHash index and the postings from the stored fingerprints and
    // anchors.
    let t = Instant::now();
    let reopened = PageSink::new(Store::open(&db)?)?;
    let reopen = t.elapsed();
    println!(
        "reopen (rebuild SimHash index + {} shingle postings from the fingerprints + {} anchor postings from the anchors) {:.2} s; rebuilt postings {} heap bytes",
        reopened.postings().len(),
        reopened.anchor_postings().len(),
        reopen.as_secs_f64(),
        reopened.postings().heap_bytes()
    );
    Ok(())
}
