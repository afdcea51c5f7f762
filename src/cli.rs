//! Command-line interface: raw flags (clap) → validated config → subcommand.
//!
//! Exit codes: 0 success; 1 finished, but some inputs could not be read (each one reported on
//! standard error and recorded in the store's `failures` table); 2 usage error or fatal error
//! (bad flags, unreadable store or labels, output not writable).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::ingest::run::{IngestConfig, IngestSummary};
use crate::link::LinkConfig;
use crate::report::{self, Format};
use crate::store::{Store, StoreError};

/// copytrail: find where news stories get republished and whether the copies credit them.
#[derive(Debug, Parser)]
#[command(name = "copytrail", version, about)]
pub struct Cli {
    /// SQLite store: created if missing by `ingest` and `crawl`, read by `links`, `report`,
    /// `export` and `eval links`; `extract`, `eval extract` and `eval origins` do not use it.
    #[arg(long, global = true, default_value = "copytrail.db")]
    pub db: PathBuf,
    /// Subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read WARC files, HTML files, publisher JSON Lines or directories of them; extract,
    /// fingerprint and link every page.
    Ingest(IngestArgs),
    /// Print every linked copy as one JSON object per line.
    Links,
    /// Print, per original, its copies (uncredited first).
    Report(ReportArgs),
    /// Write the deduplicated corpus.
    Export(ExportArgs),
    /// Crawl seed sites politely and link what is found.
    Crawl(crate::crawl::cli::CrawlArgs),
    /// Extract the article from HTML files and print it as JSON Lines.
    Extract(crate::extract::cli::ExtractArgs),
    /// Evaluate against labelled data.
    #[command(subcommand)]
    Eval(EvalCommand),
}

/// Arguments of `copytrail ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// WARC (`.warc`, `.warc.gz`), HTML (`.html`, `.html.gz`), JSON Lines (`.jsonl`) files or
    /// directories.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Pages on this domain (or its subdomains) are originals. Repeatable.
    #[arg(long = "origin-domain")]
    pub origin_domains: Vec<String>,
    /// File of origin domains, one per line (`#` comments).
    #[arg(long)]
    pub origins: Option<PathBuf>,
    /// Worker threads for extraction (default: available cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `copytrail report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// Arguments of `copytrail export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write the deduplicated corpus (one JSON line per story) to this file (`-`: stdout).
    #[arg(long)]
    pub corpus: PathBuf,
}

/// `copytrail eval` subcommands.
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Precision and recall of the stored links against a labels file.
    Links(EvalLinksArgs),
    /// Print the origin domains of an evaluation run (hosts of labelled originals and
    /// publishers).
    Origins(EvalOriginsArgs),
    /// Extraction F1 on the article-extraction-benchmark.
    Extract(crate::extract::cli::EvalExtractArgs),
}

/// Arguments of `copytrail eval origins`.
#[derive(Debug, Args)]
pub struct EvalOriginsArgs {
    /// labels.jsonl of a republication benchmark.
    #[arg(long)]
    pub labels: PathBuf,
}

/// Arguments of `copytrail eval links`.
#[derive(Debug, Args)]
pub struct EvalLinksArgs {
    /// labels.jsonl of a republication benchmark.
    #[arg(long)]
    pub labels: PathBuf,
    /// Print the evaluation as JSON.
    #[arg(long)]
    pub json: bool,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("copytrail: {msg}");
    ExitCode::from(2)
}

/// Most `--threads` accepted: each worker reserves a 64 MiB stack, and far more threads
/// than cores only cost memory.
pub const MAX_THREADS: usize = 256;

/// Why `db` cannot be a store file: an existing path that is not a regular file (a
/// directory, a device such as `/dev/null`, a pipe), where SQLite's own message would be a
/// vague "disk I/O error" or "unable to open database file".
pub(crate) fn not_a_store_file(db: &Path) -> Option<String> {
    let meta = std::fs::metadata(db).ok()?;
    if meta.is_dir() {
        Some(format!(
            "{}: is a directory, not a store file",
            db.display()
        ))
    } else if !meta.is_file() {
        Some(format!(
            "{}: is not a regular file, so it cannot be a store",
            db.display()
        ))
    } else {
        None
    }
}

fn open_store(db: &Path) -> Result<Store, ExitCode> {
    if let Some(why) = not_a_store_file(db) {
        return Err(fail(why));
    }
    Store::open(db).map_err(|e| fail(format!("{}: {e}", db.display())))
}

/// Opens an existing store for a read-only command; a missing file is an error (a mistyped
/// `--db` must not print an empty report).
fn open_existing_store(db: &Path) -> Result<Store, ExitCode> {
    if !db.exists() {
        return Err(fail(format!(
            "{}: no such store (run `copytrail ingest` or `copytrail crawl` first, or give --db)",
            db.display()
        )));
    }
    if let Some(why) = not_a_store_file(db) {
        return Err(fail(why));
    }
    // An empty file is not a store, and a read command does not make it one.
    if std::fs::metadata(db).is_ok_and(|m| m.len() == 0) {
        return Err(fail(format!(
            "{}: is an empty file, not a copytrail store (run `copytrail ingest` or `copytrail crawl` to create one)",
            db.display()
        )));
    }
    // A store that cannot be written (read-only file, directory or medium) is read as it is.
    let store = open_readable_store(db)?;
    let pending: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM relink_pending", [], |r| r.get(0))
        .unwrap_or(0);
    if pending > 0 {
        eprintln!(
            "copytrail: note: {pending} pages of {} still wait for their links: an ingest or crawl is running, or one stopped before relinking (then run it again to finish)",
            db.display()
        );
    }
    Ok(store)
}

fn open_readable_store(db: &Path) -> Result<Store, ExitCode> {
    // A store this user cannot write is not opened for writing at all: SQLite would create
    // `-wal`/`-shm` files for the attempt that its owner could not write afterwards.
    if std::fs::OpenOptions::new().write(true).open(db).is_err() {
        return Store::open_read_only(db).map_err(|e| fail(format!("{}: {e}", db.display())));
    }
    match Store::open(db) {
        Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
            if matches!(
                e.code,
                rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen
            ) =>
        {
            Store::open_read_only(db).map_err(|e| fail(format!("{}: {e}", db.display())))
        }
        r => r.map_err(|e| fail(format!("{}: {e}", db.display()))),
    }
}

/// Reads a file of domains (one per line, `#` comments).
fn read_domains(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect())
}

/// Validates `ingest` flags into an [`IngestConfig`].
pub fn ingest_config(a: &IngestArgs) -> Result<IngestConfig, String> {
    let mut domains = a.origin_domains.clone();
    if let Some(f) = &a.origins {
        domains.extend(read_domains(f)?);
    }
    for d in &mut domains {
        // IDN domains (bücher.de) in the punycode form URLs carry.
        *d = crate::crawl::canon::ascii_domain(d).ok_or_else(|| {
            format!(
                "origin domain {d:?} is not a host name (give e.g. ft.com, without scheme or path)"
            )
        })?;
    }
    for p in &a.paths {
        crate::ingest::run::check_named_input(p)
            .map_err(|why| format!("{}: {why}", p.display()))?;
    }
    let threads = a.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    if !(1..=MAX_THREADS).contains(&threads) {
        return Err(format!("--threads must be between 1 and {MAX_THREADS}"));
    }
    Ok(IngestConfig {
        paths: a.paths.clone(),
        origin_domains: domains,
        threads,
        progress: std::io::stderr().is_terminal(),
        link: LinkConfig::default(),
        stop: None,
    })
}

/// Writes one line to standard output. A closed stdout (`copytrail … | head`) ends the process
/// quietly with exit code 0, as other command-line tools do; any other write error ends it with
/// exit code 1 and a message (`println!` would panic instead).
pub(crate) fn print_line(line: &str) {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if let Err(e) = out
        .write_all(line.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("copytrail: cannot write output: {e}");
        std::process::exit(1);
    }
}

fn print_summary(s: &IngestSummary, json: bool) {
    if json {
        print_line(&serde_json::to_string(s).unwrap_or_default());
        return;
    }
    let skipped = skipped_line(s).map(|l| l + "\n").unwrap_or_default();
    print_line(&format!(
        "pages read: {} ({} unchanged)\narticles: {}\noriginals: {}\ncopies linked: {}\nuncredited copies: {}\nfailures: {}\n{skipped}time: {:.2} s ({:.0} pages/s)",
        s.pages_read,
        s.unchanged,
        s.articles,
        s.originals,
        s.copies_linked,
        s.uncredited_copies,
        s.failures,
        s.seconds,
        s.pages_read as f64 / s.seconds.max(1e-9)
    ));
}

/// `skipped: N records (non-HTTP target URI: a, revisit: b, …)`, or `None` when no WARC record
/// was left out.
fn skipped_line(s: &IngestSummary) -> Option<String> {
    let total: u64 = s.skipped_records.values().sum();
    if total == 0 {
        return None;
    }
    let parts: Vec<String> = s
        .skipped_records
        .iter()
        .map(|(why, n)| format!("{why}: {n}"))
        .collect();
    Some(format!(
        "skipped: {total} WARC record{} ({})",
        if total == 1 { "" } else { "s" },
        parts.join(", ")
    ))
}

/// Waits for the first Ctrl-C (SIGINT) or SIGTERM (a service manager, `kill`), says that
/// `command` is `doing` (e.g. "stopping"), runs `stop`, then ends the process at once (exit
/// code 130) on a second Ctrl-C. Shared by `crawl` (cancels its token) and `ingest` (sets
/// its stop flag).
pub(crate) async fn on_stop_signal(command: &str, doing: &str, stop: impl FnOnce()) {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let terminated = async {
        match term.as_mut() {
            Some(t) => t.recv().await,
            None => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminated = std::future::pending::<Option<()>>();
    let which = tokio::select! {
        r = tokio::signal::ctrl_c() => match r {
            Ok(()) => "Ctrl-C",
            Err(_) => return,
        },
        _ = terminated => "SIGTERM",
    };
    eprintln!("\ncopytrail {command}: {which}, {doing} (Ctrl-C again to quit at once)…");
    stop();
    if tokio::signal::ctrl_c().await.is_ok() {
        std::process::exit(130);
    }
}

/// A flag set by [`on_stop_signal`], watched on a thread of its own (ingest runs no runtime).
fn stop_on_signal(command: &'static str) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let spawned = std::thread::Builder::new()
        .name("copytrail-signals".into())
        .spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(on_stop_signal(
                    command,
                    "stopping after the pages in progress",
                    move || flag.store(true, Ordering::Relaxed),
                ));
            }
        });
    if let Err(e) = spawned {
        eprintln!("copytrail {command}: cannot watch for Ctrl-C: {e}");
    }
    stop
}

fn run_ingest(db: &Path, a: &IngestArgs) -> ExitCode {
    let mut cfg = match ingest_config(a) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let store = match open_store(db) {
        Ok(s) => s,
        Err(c) => return c,
    };
    cfg.stop = Some(stop_on_signal("ingest"));
    match crate::ingest::run::run(store, &cfg) {
        Ok((_, s)) => {
            print_summary(&s, a.json);
            if s.interrupted {
                eprintln!(
                    "copytrail ingest: interrupted; the pages stored so far are linked — run the same command again to continue (stored pages are skipped as unchanged)"
                );
                ExitCode::from(130)
            } else if s.failures > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => fail(e),
    }
}

/// `dir/.name.tmp-PID` for a file `dir/name`.
fn sibling_temp(p: &Path) -> std::path::PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(p.file_name().unwrap_or_default());
    name.push(format!(".tmp-{}", std::process::id()));
    p.with_file_name(name)
}

/// Why `out` must not be written by an export from the store at `db`: it is the store itself
/// or one of its side files (also through a link), or an existing SQLite database, or not a
/// regular file (`-` for standard output is fine).
pub(crate) fn export_target_problem(out: &Path, db: &Path) -> Option<String> {
    if out.as_os_str() == "-" {
        return None;
    }
    let canon = |p: &Path| p.canonicalize().ok();
    let target = canon(out);
    for side in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(side);
        let other = std::path::PathBuf::from(name);
        if target.is_some() && target == canon(&other) {
            return Some(format!(
                "{}: is the store {} (refusing to overwrite it)",
                out.display(),
                other.display()
            ));
        }
    }
    match std::fs::metadata(out) {
        Ok(m) if !m.is_file() => Some(format!("{}: not a regular file", out.display())),
        Ok(_) => {
            let mut head = [0u8; 16];
            let is_sqlite = std::fs::File::open(out)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
                .is_ok()
                && &head == b"SQLite format 3\0";
            is_sqlite.then(|| {
                format!(
                    "{}: is a SQLite database (a copytrail store?); refusing to overwrite it",
                    out.display()
                )
            })
        }
        Err(_) => None,
    }
}

fn with_output(
    path: Option<&Path>,
    f: impl FnOnce(&mut dyn Write) -> Result<(), report::ReportError>,
) -> ExitCode {
    let res = match path {
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            f(&mut lock).and_then(|_| lock.flush().map_err(Into::into))
        }
        Some(p) => {
            // Written to a temporary file beside the target, renamed over it when complete:
            // a failed export never leaves a half-written file or destroys the old one.
            let tmp = sibling_temp(p);
            match std::fs::File::create(&tmp) {
                Err(e) => return fail(format!("{}: {e}", p.display())),
                Ok(file) => {
                    let mut w = std::io::BufWriter::new(file);
                    let r = f(&mut w)
                        .and_then(|_| w.flush().map_err(Into::into))
                        .and_then(|_| std::fs::rename(&tmp, p).map_err(Into::into));
                    if r.is_err() {
                        let _ = std::fs::remove_file(&tmp);
                    }
                    r
                }
            }
        }
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`copytrail links | head`) is not an error.
        Err(report::ReportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(report::ReportError::Json(e))
            if e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn run_eval_origins(a: &EvalOriginsArgs) -> ExitCode {
    match report::eval::read_labels(&a.labels) {
        Ok(labels) => {
            for h in report::eval::origin_hosts(&labels) {
                print_line(&h);
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn run_eval_links(db: &Path, a: &EvalLinksArgs) -> ExitCode {
    let labels = match report::eval::read_labels(&a.labels) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let store = match open_existing_store(db) {
        Ok(s) => s,
        Err(c) => return c,
    };
    with_output(None, |out| {
        let rows = report::link_rows(&store)?;
        let ev = report::eval::evaluate(&rows, &labels);
        if a.json {
            serde_json::to_writer_pretty(&mut *out, &ev)?;
            writeln!(out)?;
            Ok(())
        } else {
            report::eval::write_eval(&ev, out)
        }
    })
}

/// Parses the process arguments and runs the subcommand.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let db = cli.db.as_path();
    match &cli.command {
        Command::Ingest(a) => run_ingest(db, a),
        Command::Links => match open_existing_store(db) {
            Ok(store) => with_output(None, |out| report::write_links(&store, out).map(|_| ())),
            Err(c) => c,
        },
        Command::Report(a) => match open_existing_store(db) {
            Ok(store) => with_output(None, |out| report::write_report(&store, a.format, out)),
            Err(c) => c,
        },
        Command::Export(a) => match export_target_problem(&a.corpus, db) {
            Some(why) => fail(format!("export --corpus {why}")),
            None => match open_existing_store(db) {
                Ok(store) => {
                    let path = (a.corpus.as_os_str() != "-").then_some(a.corpus.as_path());
                    with_output(path, |out| report::write_corpus(&store, out).map(|_| ()))
                }
                Err(c) => c,
            },
        },
        Command::Crawl(a) => crate::crawl::cli::run(a, db),
        Command::Extract(a) => crate::extract::cli::run_extract(a),
        Command::Eval(EvalCommand::Links(a)) => run_eval_links(db, a),
        Command::Eval(EvalCommand::Origins(a)) => run_eval_origins(a),
        Command::Eval(EvalCommand::Extract(a)) => crate::extract::cli::run_eval(a),
    }
}
