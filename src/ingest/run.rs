//! `copytrail ingest`: walks the inputs, reads pages on one thread, analyses them on worker
//! threads, and stores them in input order through one [`PageSink`] (the single writer).

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{AddOutcome, PageSink, publisher, warc};
use crate::extract::Article;
use crate::link::LinkConfig;
use crate::page::{Page, PageSource};
use crate::pipeline::{self, Analysis};
use crate::store::{self, Store, StoreError};

/// Largest HTML file read, in bytes (decompressed; as [`warc::MAX_PAGE_BYTES`]): a larger one
/// is reported and skipped after reading one byte past the limit. JSON Lines files are
/// streamed (see [`MAX_JSONL_LINE_BYTES`]).
pub const MAX_HTML_BYTES: u64 = warc::MAX_PAGE_BYTES;

/// Kinds of input file, recognised by name (`.warc`, `.warc.gz`, `.html`, `.htm`,
/// `.html.gz`, `.jsonl`, `.ndjson`, `.jsonl.gz`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A WARC file.
    Warc,
    /// An HTML page.
    Html,
    /// Publisher articles as JSON Lines.
    Jsonl,
}

/// The kind of `path` by its name, or `None` if it is not an input copytrail reads.
pub fn input_kind(path: &Path) -> Option<InputKind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".warc") || name.ends_with(".arc.warc") {
        Some(InputKind::Warc)
    } else if name.ends_with(".html") || name.ends_with(".htm") || name.ends_with(".xhtml") {
        Some(InputKind::Html)
    } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        Some(InputKind::Jsonl)
    } else {
        None
    }
}

/// Validated configuration of one ingest run.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Files or directories (walked recursively, in name order).
    pub paths: Vec<PathBuf>,
    /// Domains whose pages are originals (`--origin-domain`, `--origins FILE`).
    pub origin_domains: Vec<String>,
    /// Worker threads for decode/extract/fingerprint (≥ 1).
    pub threads: usize,
    /// Show a progress bar (only on a terminal).
    pub progress: bool,
    /// Linking thresholds.
    pub link: LinkConfig,
    /// Set (by a Ctrl-C or SIGTERM handler, say) to stop early: pages not yet stored are
    /// dropped, the stored ones are committed and linked, and the summary says
    /// [`IngestSummary::interrupted`]; running the same ingest again continues (stored pages are
    /// skipped as unchanged). Checked at least every 100 ms.
    pub stop: Option<Arc<AtomicBool>>,
}

/// What an ingest run did; store-wide counts are taken after relinking.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct IngestSummary {
    /// Pages (and supplied articles) read from the inputs in this run.
    pub pages_read: u64,
    /// Of those, pages already stored with the same body (nothing changed).
    pub unchanged: u64,
    /// Articles in the store.
    pub articles: u64,
    /// Originals with at least one linked copy, in the store.
    pub originals: u64,
    /// Copies linked to an original, in the store.
    pub copies_linked: u64,
    /// Linked copies that do not credit their original, in the store.
    pub uncredited_copies: u64,
    /// Inputs (files, records, lines) that could not be read in this run.
    pub failures: u64,
    /// WARC records read in this run but not taken as pages, by reason (see
    /// [`warc::skip_reason`]: `non-HTTP target URI`, `revisit`, `resource`, `conversion`,
    /// `continuation`, `other record type`). `warcinfo`, `request` and `metadata` records,
    /// which never hold a page, are not counted.
    pub skipped_records: BTreeMap<String, u64>,
    /// Wall time of the run, seconds.
    pub seconds: f64,
    /// The run was stopped early through [`IngestConfig::stop`].
    pub interrupted: bool,
}

/// Errors that stop an ingest run (a broken input is not one: it is counted and recorded).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

enum Item {
    Page(Page),
    Supplied(Box<(Page, Article)>),
    Failure(String, String),
    /// WARC records of one file left out, by reason.
    Skipped(BTreeMap<&'static str, u64>),
}

enum Done {
    /// A page, its body hash, its analysis and its gzip body (compressed on the worker).
    Page(Box<Page>, String, Box<Analysis>, Vec<u8>),
    Failure(String, String),
    Skipped(BTreeMap<&'static str, u64>),
}

/// What [`expand`] found at a path: an input of a known kind, or why it is not read.
type Expanded = (PathBuf, Result<InputKind, String>);

/// Why a path named as an input cannot be ingested, checked before anything is read (the
/// command line treats it as a usage error, like a missing path): it does not exist, is
/// neither a regular file nor a directory (a device such as `/dev/null`, a pipe, a socket),
/// is an empty file, or is a file whose name is not one copytrail reads (see [`input_kind`]).
/// Symbolic links are followed.
///
/// # Errors
/// The reason, without the path.
pub fn check_named_input(path: &Path) -> Result<(), String> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("no such file or directory".into());
        }
        Err(e) => return Err(format!("cannot read: {e}")),
    };
    if meta.is_dir() {
        return Ok(());
    }
    if !meta.is_file() {
        return Err(
            "not a regular file or a directory (a device, a pipe or a socket); save the input to a file first"
                .into(),
        );
    }
    if input_kind(path).is_none() {
        return Err(
            "not a WARC, HTML or JSON Lines file (by its name: .warc, .html, .htm, .xhtml, .jsonl or .ndjson, each also with .gz)"
                .into(),
        );
    }
    if meta.len() == 0 {
        return Err("empty file (0 bytes): nothing to ingest".into());
    }
    Ok(())
}

/// What [`expand`] collects besides the inputs: the canonical paths of the directories walked
/// and of the files listed (with the path each was first listed under), and notes for standard
/// error about inputs listed once although reached twice.
#[derive(Default)]
struct Seen {
    dirs: HashSet<PathBuf>,
    files: std::collections::HashMap<PathBuf, PathBuf>,
    notes: Vec<String>,
}

/// Every input file under `paths` (directories walked recursively in name order; files in
/// directories that copytrail does not read are skipped; a named file of unknown kind, an
/// unreadable directory, a broken symbolic link in a walked directory and a symbolic link
/// looping back to a directory it is in are failures). A file or directory reached twice (the
/// same path given twice as `x` and `./x`, a file also inside a directory given, a symbolic
/// link to another input) is listed once, with a note in `seen.notes`.
fn expand(paths: &[PathBuf], out: &mut Vec<Expanded>, seen: &mut Seen) {
    expand_in(paths, out, seen, &mut Vec::new());
}

/// [`expand`] below the directories `within` (canonical paths, outermost first): a directory
/// among them reached again is a symbolic-link loop (reported); one reached again elsewhere
/// (an alias, or a path given twice) is skipped (its files are already listed), with a note
/// when it was named on the command line.
fn expand_in(
    paths: &[PathBuf],
    out: &mut Vec<Expanded>,
    seen: &mut Seen,
    within: &mut Vec<PathBuf>,
) {
    for p in paths {
        if p.is_dir() {
            let canonical = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            if within.contains(&canonical) {
                out.push((
                    p.clone(),
                    Err("symbolic link loop: leads back to a directory it is in; skipped".into()),
                ));
                continue;
            }
            if !seen.dirs.insert(canonical.clone()) {
                if within.is_empty() {
                    seen.notes.push(format!(
                        "{}: directory already among the inputs; read once",
                        p.display()
                    ));
                }
                continue;
            }
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(p) {
                Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
                Err(e) => {
                    out.push((p.clone(), Err(format!("cannot read directory: {e}"))));
                    continue;
                }
            };
            entries.sort();
            within.push(canonical);
            for e in entries {
                if e.is_dir() {
                    expand_in(std::slice::from_ref(&e), out, seen, within);
                } else if !e.exists() && e.is_symlink() {
                    // Part of the input the user pointed at is missing: say so.
                    out.push((
                        e,
                        Err("broken symbolic link (its target does not exist); skipped".into()),
                    ));
                } else if let Some(k) = input_kind(&e)
                    && first_listing(&e, seen)
                {
                    out.push((e, Ok(k)));
                }
            }
            within.pop();
        } else if first_listing(p, seen) {
            out.push((
                p.clone(),
                input_kind(p)
                    .ok_or_else(|| "not a WARC, HTML or JSON Lines file (by its name)".into()),
            ));
        }
    }
}

/// Whether the file `p` is listed for the first time (by its canonical path); if not, a note
/// naming the path it was first listed under.
fn first_listing(p: &Path, seen: &mut Seen) -> bool {
    let Ok(canonical) = std::fs::canonicalize(p) else {
        return true; // missing or unreadable: reported when it is read
    };
    match seen.files.entry(canonical) {
        std::collections::hash_map::Entry::Vacant(v) => {
            v.insert(p.to_path_buf());
            true
        }
        std::collections::hash_map::Entry::Occupied(o) => {
            seen.notes.push(if o.get() == p {
                format!("{}: given more than once; read once", p.display())
            } else {
                format!(
                    "{}: same file as {}; read once",
                    p.display(),
                    o.get().display()
                )
            });
            false
        }
    }
}

/// Longest JSON Lines line (bytes): the 10 MiB page limit for `text` plus room for the other
/// fields and JSON escapes.
pub const MAX_JSONL_LINE_BYTES: u64 = 24 * 1024 * 1024;

/// `path` as a buffered stream, gunzipped when it starts with the gzip magic.
fn open_maybe_gz(path: &Path) -> Result<Box<dyn BufRead>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut r = BufReader::new(f);
    let gz = r
        .fill_buf()
        .map(|b| b.starts_with(&[0x1f, 0x8b]))
        .unwrap_or(false);
    Ok(if gz {
        Box::new(BufReader::new(flate2::bufread::MultiGzDecoder::new(r)))
    } else {
        Box::new(r)
    })
}

/// Reads one line (with its `\n`) into `buf`, holding at most [`MAX_JSONL_LINE_BYTES`]:
/// `Some(true)` a line, `Some(false)` a longer line (read past, not kept), `None` at the end.
fn read_bounded_line(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    let n = r.take(MAX_JSONL_LINE_BYTES + 1).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.ends_with(b"\n") || (n as u64) <= MAX_JSONL_LINE_BYTES {
        return Ok(Some(true));
    }
    // Too long: skip to the end of the line without keeping it.
    loop {
        let (done, used) = {
            let chunk = r.fill_buf()?;
            if chunk.is_empty() {
                (true, 0)
            } else {
                match memchr::memchr(b'\n', chunk) {
                    Some(k) => (true, k + 1),
                    None => (false, chunk.len()),
                }
            }
        };
        r.consume(used);
        if done {
            return Ok(Some(false));
        }
    }
}

/// Reads an HTML file (gzip-compressed or not) whole, refusing one over [`MAX_HTML_BYTES`]
/// decompressed without reading more than one byte past the limit.
fn read_html(path: &Path) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let res = open_maybe_gz(path)?
        .take(MAX_HTML_BYTES + 1)
        .read_to_end(&mut out);
    res.map_err(|e| format!("cannot read: {e}"))?;
    if out.len() as u64 > MAX_HTML_BYTES {
        return Err(format!(
            "larger than the {MAX_HTML_BYTES}-byte page limit (decompressed); skipped"
        ));
    }
    Ok(out)
}

fn file_url(path: &Path) -> url::Url {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    url::Url::from_file_path(&abs)
        .unwrap_or_else(|_| url::Url::parse("file:///unknown").expect("static URL"))
}

/// Reads every input and sends its pages (or failures) down `tx`.
fn read_inputs(files: Vec<Expanded>, tx: SyncSender<Item>) {
    for (path, kind) in files {
        let name = path.display().to_string();
        let send = |it: Item| tx.send(it).is_ok();
        match kind {
            Err(reason) => {
                if !send(Item::Failure(name.clone(), reason)) {
                    return;
                }
            }
            Ok(InputKind::Warc) => {
                let wf = match warc::WarcFile::open(&path) {
                    Ok(w) => w,
                    Err(e) => {
                        send(Item::Failure(name.clone(), format!("cannot open: {e}")));
                        continue;
                    }
                };
                let mut records = 0u64;
                let mut skipped = BTreeMap::new();
                for rec in wf {
                    records += 1;
                    let item = match rec {
                        Err(e) => {
                            Item::Failure(format!("{}#{}@{}", e.file, e.record, e.offset), e.reason)
                        }
                        Ok(r) => match warc::record_to_page(&r, &name) {
                            Ok(Some(p)) => Item::Page(p),
                            Ok(None) => {
                                if let Some(why) = warc::skip_reason(&r) {
                                    *skipped.entry(why).or_insert(0u64) += 1;
                                }
                                continue;
                            }
                            Err(reason) => {
                                Item::Failure(format!("{name}#{}@{}", r.record, r.offset), reason)
                            }
                        },
                    };
                    if !send(item) {
                        return;
                    }
                }
                if !skipped.is_empty() && !send(Item::Skipped(skipped)) {
                    return;
                }
                if records == 0
                    && !send(Item::Failure(
                        name.clone(),
                        "no WARC records in this file".into(),
                    ))
                {
                    return;
                }
            }
            Ok(InputKind::Html) => {
                let item = match read_html(&path) {
                    Err(reason) => Item::Failure(name.clone(), reason),
                    Ok(body) => Item::Page(Page {
                        url: file_url(&path),
                        status: 200,
                        headers: vec![("Content-Type".into(), "text/html".into())],
                        body,
                        fetched_at: None,
                        source: PageSource::File { path: name.clone() },
                    }),
                };
                if !send(item) {
                    return;
                }
            }
            Ok(InputKind::Jsonl) => {
                // Streamed line by line: a JSON Lines file has no size limit, a line has
                // (MAX_JSONL_LINE_BYTES).
                let mut reader = match open_maybe_gz(&path) {
                    Ok(r) => r,
                    Err(reason) => {
                        send(Item::Failure(name.clone(), reason));
                        continue;
                    }
                };
                let mut buf = Vec::new();
                for i in 0u64.. {
                    buf.clear();
                    let line = match read_bounded_line(&mut reader, &mut buf) {
                        Ok(None) => break,
                        Ok(Some(true)) => &buf[..],
                        Ok(Some(false)) => {
                            let src = PageSource::Publisher {
                                path: name.clone(),
                                line: i + 1,
                            };
                            let reason =
                                format!("line longer than {MAX_JSONL_LINE_BYTES} bytes; skipped");
                            if !send(Item::Failure(src.describe(), reason)) {
                                return;
                            }
                            continue;
                        }
                        Err(e) => {
                            send(Item::Failure(
                                format!("{name}:{}", i + 1),
                                format!("cannot read: {e}"),
                            ));
                            break;
                        }
                    };
                    let line = line.strip_suffix(b"\n").unwrap_or(line);
                    let text = String::from_utf8_lossy(line);
                    if text.trim().is_empty() {
                        continue;
                    }
                    let src = PageSource::Publisher {
                        path: name.clone(),
                        line: i + 1,
                    };
                    let item = match publisher::parse_line(&text) {
                        Err(reason) => Item::Failure(src.describe(), reason),
                        Ok((url, art, warning)) => {
                            if let Some(w) = warning
                                && !send(Item::Failure(src.describe(), w))
                            {
                                return;
                            }
                            Item::Supplied(Box::new((
                                Page {
                                    url,
                                    status: 200,
                                    headers: vec![(
                                        "Content-Type".into(),
                                        "application/x-copytrail-article+json".into(),
                                    )],
                                    body: publisher::line_without_credentials(line).into_owned(),
                                    fetched_at: None,
                                    source: src,
                                },
                                art,
                            )))
                        }
                    };
                    if !send(item) {
                        return;
                    }
                }
            }
        }
    }
}

/// Analyses one page; an HTML file without an http(s) URL takes its canonical URL (or
/// og:url) as its URL, so local copies of web pages link like the pages themselves.
fn analyse_item(item: Item) -> Done {
    match item {
        Item::Failure(s, r) => Done::Failure(s, r),
        Item::Skipped(m) => Done::Skipped(m),
        Item::Supplied(b) => {
            let (page, art) = *b;
            let hash = store::content_hash(&page.body);
            let gz = store::compress(&page.body);
            Done::Page(
                Box::new(page),
                hash,
                Box::new(pipeline::analyse_supplied(art)),
                gz,
            )
        }
        Item::Page(mut page) => {
            let mut analysis = pipeline::analyse(&page);
            if page.url.scheme() == "file" {
                let declared = analysis.article.as_ref().and_then(|a| {
                    a.canonical_url
                        .clone()
                        .or_else(|| a.og_url.clone())
                        .and_then(|u| url::Url::parse(&u).ok())
                        .filter(|u| matches!(u.scheme(), "http" | "https"))
                });
                if let Some(u) = declared {
                    page.url = u;
                    analysis = pipeline::analyse(&page);
                }
            }
            let hash = store::content_hash(&page.body);
            let gz = store::compress(&page.body);
            Done::Page(Box::new(page), hash, Box::new(analysis), gz)
        }
    }
}

/// Runs an ingest into `store`.
///
/// # Errors
/// [`IngestError::Store`] when the database fails; broken inputs are counted in
/// [`IngestSummary::failures`] and recorded in the store's `failures` table instead.
pub fn run(store: Store, cfg: &IngestConfig) -> Result<(Store, IngestSummary), IngestError> {
    let start = Instant::now();
    store.add_origin_domains(&cfg.origin_domains)?;
    let mut files = Vec::new();
    let mut seen = Seen::default();
    expand(&cfg.paths, &mut files, &mut seen);
    for note in &seen.notes {
        eprintln!("copytrail: note: {note}");
    }
    let total_bytes: u64 = files
        .iter()
        .filter_map(|(p, _)| std::fs::metadata(p).ok().map(|m| m.len()))
        .sum();

    let threads = cfg.threads.max(1);
    let (in_tx, in_rx) = sync_channel::<(u64, Item)>(threads * 4);
    let (out_tx, out_rx) = sync_channel::<(u64, Done)>(threads * 4);
    let (raw_tx, raw_rx) = sync_channel::<Item>(threads * 4);

    let reader = std::thread::spawn(move || read_inputs(files, raw_tx));
    // Number items so the writer can store them in input order whatever the worker timing.
    let numberer = std::thread::spawn(move || {
        for (i, it) in raw_rx.into_iter().enumerate() {
            if in_tx.send((i as u64, it)).is_err() {
                return;
            }
        }
    });
    let in_rx: Arc<Mutex<Receiver<(u64, Item)>>> = Arc::new(Mutex::new(in_rx));
    let mut workers = Vec::new();
    for _ in 0..threads {
        let rx = Arc::clone(&in_rx);
        let tx = out_tx.clone();
        // Extraction walks the DOM recursively: give workers a deep stack (64 MiB, reserved
        // not committed) so pages nested up to the extractor's limit cannot overflow it.
        let spawned = std::thread::Builder::new()
            .name("copytrail-extract".into())
            .stack_size(64 * 1024 * 1024)
            .spawn(move || {
                loop {
                    // A std Mutex: the lock is held only while taking the next item.
                    let next = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, item)) = next else { return };
                    if tx.send((seq, analyse_item(item))).is_err() {
                        return;
                    }
                }
            });
        match spawned {
            Ok(h) => workers.push(h),
            Err(e) => eprintln!("copytrail: cannot start a worker thread: {e}"),
        }
    }
    drop(out_tx);
    drop(in_rx);

    let bar = if cfg.progress {
        let b = indicatif::ProgressBar::new(total_bytes.max(1));
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg} [{elapsed_precise}] {wide_bar} {pos}/{len} pages",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_length(0);
        b.enable_steady_tick(Duration::from_millis(200));
        Some(b)
    } else {
        None
    };

    let mut sink = PageSink::with_config(store, cfg.link.clone())?;
    let mut summary = IngestSummary::default();
    let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
    let mut next = 0u64;
    let mut result: Result<(), StoreError> = Ok(());
    let stopped = || {
        cfg.stop
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
    };
    loop {
        if stopped() {
            summary.interrupted = true;
            break;
        }
        let (seq, done) = match out_rx.recv_timeout(Duration::from_millis(100)) {
            Ok(x) => x,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        pending.insert(seq, done);
        while let Some(done) = pending.remove(&next) {
            next += 1;
            if result.is_err() {
                continue;
            }
            let r = match done {
                Done::Failure(source, reason) => {
                    summary.failures += 1;
                    eprintln!("copytrail: {source}: {reason}");
                    sink.store().record_failure(&source, &reason)
                }
                Done::Skipped(m) => {
                    for (why, n) in m {
                        *summary.skipped_records.entry(why.to_string()).or_insert(0) += n;
                    }
                    continue;
                }
                Done::Page(page, hash, analysis, gz) => {
                    summary.pages_read += 1;
                    if let Some(err) = analysis
                        .article
                        .as_ref()
                        .and_then(|a| a.extract_error.as_ref())
                    {
                        // Stored, but its body could not be extracted: say so.
                        summary.failures += 1;
                        let source = page.source.describe();
                        eprintln!("copytrail: {source}: {err}");
                        let _ = sink.store().record_failure(&source, err);
                    }
                    match sink.add_prepared(&page, &hash, &analysis, Some(&gz)) {
                        Ok(AddOutcome::Unchanged(_)) => {
                            summary.unchanged += 1;
                            Ok(())
                        }
                        Ok(AddOutcome::Added(_)) => Ok(()),
                        Err(e) => Err(e),
                    }
                }
            };
            if let Some(b) = &bar {
                b.inc_length(1);
                b.inc(1);
                b.set_message(format!("{} failures", summary.failures));
            }
            result = r;
        }
    }
    // After a stop the threads are not waited for (one may be blocked reading a slow input):
    // with the receiver gone, each worker stops at its next page, then the numberer and the
    // reader fail to send and stop too.
    drop(out_rx);
    if !summary.interrupted {
        let _ = reader.join();
        let _ = numberer.join();
        for w in workers {
            let _ = w.join();
        }
    }
    if result.is_err() {
        // Keep what was stored before the failure (the pages of the open batch).
        let _ = sink.flush();
    }
    result?;
    if let Some(b) = &bar {
        b.set_message("linking");
    }
    let store = sink.finish()?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let count = |sql: &str| -> Result<u64, StoreError> {
        Ok(store.conn().query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
    };
    summary.articles = count("SELECT COUNT(*) FROM articles")?;
    summary.originals = count("SELECT COUNT(DISTINCT original_id) FROM links")?;
    summary.copies_linked = count("SELECT COUNT(*) FROM links")?;
    summary.uncredited_copies = count("SELECT COUNT(*) FROM links WHERE credited = 0")?;
    summary.seconds = start.elapsed().as_secs_f64();
    Ok((store, summary))
}
