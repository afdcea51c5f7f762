//! `copytrail crawl` arguments and entry point: raw flags (clap) → validated [`CrawlConfig`] →
//! crawl → summary and exit code.
//!
//! Exit codes: 0 finished without errors; 1 finished, but some URLs failed or some hosts were
//! deferred or skipped (see the frontier's `note` column and the summary); 2 bad arguments or
//! seeds file; 3 fatal error (store, WARC file, HTTP client); 130 interrupted by Ctrl-C (run the
//! same command again to resume).

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::backoff::BackoffPolicy;
use super::canon::{self, HostPattern};
use super::engine::{CrawlConfig, Summary, crawl};
use super::fetch::{FetchConfig, parse_resolve};
use super::frontier::{FoundAs, NewUrl};
use super::writer::PageConsumer;

/// Arguments of `copytrail crawl`.
#[derive(Debug, Clone, clap::Args)]
pub struct CrawlArgs {
    /// File of seed URLs, one per line (`#` starts a comment): pages, RSS/Atom/JSON feeds,
    /// sitemaps or sitemap indexes (recognised by content).
    #[arg(long)]
    pub seeds: PathBuf,
    /// Everything else (boxed: keeps the CLI's command enum small).
    #[command(flatten)]
    pub opts: Box<CrawlOptions>,
}

/// Options of `copytrail crawl` besides the seeds file.
#[derive(Debug, Clone, clap::Args)]
pub struct CrawlOptions {
    /// Link hops followed from a page within the seed's host (feed and sitemap entries are
    /// always fetched).
    #[arg(long, default_value_t = 1)]
    pub max_depth: u32,
    /// Stop after this many URLs in this run (the rest stays queued; ≥ 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_pages: Option<u64>,
    /// Only crawl these hosts besides the seeds' own (`example.com` = it and sub-domains,
    /// `*.example.com` = sub-domains, `=example.com` = exactly). Repeatable.
    #[arg(long = "allow-host", value_name = "PATTERN")]
    pub allow_host: Vec<String>,
    /// Never crawl these hosts (same patterns; wins over --allow-host). Repeatable.
    #[arg(long = "deny-host", value_name = "PATTERN")]
    pub deny_host: Vec<String>,
    /// Also crawl the sitemaps named by robots.txt `Sitemap:` lines.
    #[arg(long)]
    pub discover_sitemaps: bool,
    /// Re-fetch article pages fetched longer ago than this (default: never), e.g. `7d`.
    #[arg(long, value_parser = parse_duration)]
    pub recrawl_after: Option<Duration>,
    /// Re-poll seeds, feeds and sitemaps fetched longer ago than this (conditional requests).
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    pub repoll_after: Duration,
    /// Keep running: re-poll seeds, feeds and sitemaps every --repoll-after until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
    /// Delay between two requests to one host (a larger robots.txt Crawl-delay wins).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub delay: Duration,
    /// Largest Crawl-delay honoured; hosts asking for more are skipped with a message.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub max_crawl_delay: Duration,
    /// Requests in flight per host.
    #[arg(long, default_value_t = 1)]
    pub host_concurrency: usize,
    /// Requests in flight overall.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Retries per URL after 5xx, 429, 408 or a timeout (exponential backoff with jitter;
    /// at most 100).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub max_retries: u32,
    /// Base of the exponential backoff.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub retry_base: Duration,
    /// Longest Retry-After (or backoff) waited for within a run; longer pauses defer the host
    /// to a later run.
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub max_retry_after: Duration,
    /// Connect timeout.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
    /// Total timeout of one request (body included).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Body-size cap (bytes; suffixes KiB, MiB); longer bodies are cut and marked.
    #[arg(long, default_value = "10MiB", value_parser = parse_size)]
    pub max_body: usize,
    /// Redirects followed per URL.
    #[arg(long, default_value_t = 10)]
    pub max_redirects: usize,
    /// Full User-Agent header (its product token is matched against robots.txt groups).
    #[arg(long)]
    pub user_agent: Option<String>,
    /// Contact URL added to the default User-Agent: `copytrail/VERSION (+URL)`.
    #[arg(long)]
    pub contact: Option<String>,
    /// Allow private, loopback and link-local addresses (refused by default).
    #[arg(long)]
    pub allow_private: bool,
    /// Map a host name to an address, as curl does: HOST:PORT:ADDR (repeatable; the mapping
    /// applies to the host on every port).
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// Also write every exchange as WARC/1.1 request and response records: gzip per record for
    /// a name ending in `.gz` (`FILE.warc.gz`), uncompressed otherwise (`FILE.warc`).
    #[arg(long, value_name = "FILE.warc[.gz]")]
    pub warc: Option<PathBuf>,
    /// No progress bar even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
}

/// Parses `500ms`, `30s`, `15m`, `12h`, `7d` or a bare number of seconds (fractions allowed).
///
/// # Errors
/// A message for anything else.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("bad duration {s:?} (use e.g. 500ms, 30s, 15m, 12h, 7d)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "sec" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        _ => return Err(format!("bad duration unit in {s:?} (ms, s, m, h, d)")),
    };
    if !secs.is_finite() || !(0.0..=1e10).contains(&secs) {
        return Err(format!("duration out of range: {s:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses a byte size: `1048576`, `512KiB`, `10MiB` (also `k`/`K`/`KB`, `M`/`MB` as binary).
///
/// # Errors
/// A message for anything else.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let i = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: usize = t[..i].parse().map_err(|_| format!("bad size {s:?}"))?;
    let mult = match t[i..].trim() {
        "" | "B" => 1,
        "k" | "K" | "KB" | "KiB" => 1024,
        "M" | "MB" | "MiB" => 1024 * 1024,
        "G" | "GB" | "GiB" => 1024 * 1024 * 1024,
        u => return Err(format!("bad size unit {u:?} in {s:?}")),
    };
    n.checked_mul(mult)
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("size out of range: {s:?}"))
}

/// Reads a seeds file: one URL per line, `#` comments, blank lines ignored. Returns the seeds
/// and the lines that are not http(s) URLs (line number, message).
pub fn parse_seeds(text: &str) -> (Vec<NewUrl>, Vec<(usize, String)>) {
    let mut seeds = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        // A byte-order mark (editors on Windows write one) is not part of the first URL.
        let line = line.trim_start_matches('\u{feff}');
        let line = match line.find('#') {
            // `#` starts a comment at the line start or after whitespace (URLs keep fragments
            // only in the middle of a token, and fragments are dropped anyway).
            Some(0) => "",
            Some(p) if line[..p].ends_with(char::is_whitespace) => &line[..p],
            _ => line,
        }
        .trim();
        if line.is_empty() {
            continue;
        }
        match canon::canonicalize(line, None) {
            Ok(url) => seeds.push(NewUrl {
                scope: url.host_str().unwrap_or("").to_string(),
                url,
                depth: 0,
                found_as: FoundAs::Seed,
            }),
            Err(e) => bad.push((i + 1, e.to_string())),
        }
    }
    (seeds, bad)
}

/// Seeds read by [`load_seeds`] and the bad lines (1-based line number, message).
pub type SeedsLoaded = (usize, Vec<(usize, String)>);

/// Streams a seeds file into the frontier at `db` in batches of 10,000 (so a file of millions
/// of URLs never sits in memory). Returns the number of seeds read and the bad lines. The
/// store is opened (and created) only once a valid seed is found.
///
/// # Errors
/// The exit code and a message: 2 if the file cannot be read, 3 if the store fails.
pub fn load_seeds(path: &Path, db: &Path) -> Result<SeedsLoaded, (u8, String)> {
    let file = std::fs::File::open(path)
        .map_err(|e| (2, format!("cannot read seeds file {}: {e}", path.display())))?;
    // Opened at the first valid seed: a seeds file without one creates no store.
    let mut frontier: Option<super::frontier::Frontier> = None;
    let now = super::engine::now_ms();
    let mut batch = String::new();
    let mut lines_in_batch = 0usize;
    let mut first_line = 1usize;
    let mut total = 0usize;
    let mut bad = Vec::new();
    let mut flush = |batch: &mut String,
                     first_line: usize,
                     frontier: &mut Option<super::frontier::Frontier>|
     -> Result<(), (u8, String)> {
        let (seeds, b) = parse_seeds(batch);
        total += seeds.len();
        bad.extend(b.into_iter().map(|(l, e)| (l + first_line - 1, e)));
        if !seeds.is_empty() {
            let f = match frontier {
                Some(f) => f,
                None => frontier.insert(
                    super::frontier::Frontier::open(db)
                        .map_err(|e| (3, format!("{}: {e}", db.display())))?,
                ),
            };
            f.add(&seeds, now).map_err(|e| (3, e.to_string()))?;
        }
        batch.clear();
        Ok(())
    };
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| (2, format!("reading seeds file {}: {e}", path.display())))?;
        batch.push_str(&line);
        batch.push('\n');
        lines_in_batch += 1;
        if lines_in_batch == 10_000 {
            flush(&mut batch, first_line, &mut frontier)?;
            first_line = i + 2;
            lines_in_batch = 0;
        }
    }
    flush(&mut batch, first_line, &mut frontier)?;
    Ok((total, bad))
}

/// Turns raw flags into a validated configuration.
///
/// # Errors
/// A message naming the bad flag.
pub fn config_from_args(args: &CrawlOptions) -> Result<CrawlConfig, String> {
    let mut resolve: HashMap<String, Vec<std::net::IpAddr>> = HashMap::new();
    for spec in &args.resolve {
        let (host, _port, ips) = parse_resolve(spec)?;
        resolve.entry(host).or_default().extend(ips);
    }
    if args.concurrency == 0 || args.host_concurrency == 0 {
        return Err("--concurrency and --host-concurrency must be at least 1".into());
    }
    let user_agent = match (&args.user_agent, &args.contact) {
        (Some(ua), _) => ua.clone(),
        (None, Some(c)) => {
            // RFC 9110 §10.1.5: the contact is a URL (or mailto:) a site operator can use.
            if url::Url::parse(c).map_or(true, |u| {
                !matches!(u.scheme(), "http" | "https" | "mailto")
                    || c.contains(char::is_whitespace)
            }) {
                return Err(format!(
                    "--contact {c:?}: give an http(s) or mailto: URL where site operators reach you"
                ));
            }
            format!("copytrail/{} (+{c})", env!("CARGO_PKG_VERSION"))
        }
        (None, None) => format!("copytrail/{}", env!("CARGO_PKG_VERSION")),
    };
    if args.timeout.is_zero() || args.connect_timeout.is_zero() {
        return Err("--timeout and --connect-timeout must be longer than 0 s".into());
    }
    if user_agent.trim().is_empty() || user_agent.contains(['\r', '\n']) {
        return Err("--user-agent must be a non-empty single line".into());
    }
    Ok(CrawlConfig {
        fetch: FetchConfig {
            user_agent,
            connect_timeout: args.connect_timeout,
            timeout: args.timeout,
            max_body: args.max_body,
            allow_private: args.allow_private,
            resolve,
        },
        delay: args.delay,
        max_crawl_delay: args.max_crawl_delay,
        host_concurrency: args.host_concurrency,
        concurrency: args.concurrency,
        max_depth: args.max_depth,
        max_pages: args.max_pages,
        allow_hosts: args
            .allow_host
            .iter()
            .map(|p| HostPattern::try_parse(p).map_err(|e| format!("--allow-host: {e}")))
            .collect::<Result<_, _>>()?,
        deny_hosts: args
            .deny_host
            .iter()
            .map(|p| HostPattern::try_parse(p).map_err(|e| format!("--deny-host: {e}")))
            .collect::<Result<_, _>>()?,
        discover_sitemaps: args.discover_sitemaps,
        recrawl_after: args.recrawl_after,
        repoll_after: args.repoll_after,
        watch: args.watch,
        backoff: BackoffPolicy {
            base: args.retry_base,
            max_backoff: Duration::from_secs(600).max(args.retry_base),
            max_retry_after: args.max_retry_after,
            max_retries: args.max_retries,
        },
        max_redirects: args.max_redirects,
        warc: args.warc.clone(),
        progress: !args.no_progress && std::io::stderr().is_terminal(),
    })
}

/// Prints the end-of-run summary to standard error.
pub fn print_summary(s: &Summary) {
    eprintln!(
        "crawl {}: {} fetched ({:.1}/s), {} pages stored{}, {} requests, {} errors, {} retries, \
         {} disallowed by robots.txt, {:.1} MiB in {:.1} s",
        if s.interrupted {
            "interrupted (run again to resume)"
        } else if s.budget_reached {
            "stopped at --max-pages"
        } else {
            "finished"
        },
        s.fetched,
        s.pages_per_sec(),
        s.pages,
        if s.unchanged > 0 {
            format!(" ({} more unchanged since stored)", s.unchanged)
        } else {
            String::new()
        },
        s.requests,
        s.errors,
        s.retries,
        s.robots_blocked,
        s.bytes as f64 / 1048576.0,
        s.elapsed.as_secs_f64()
    );
    eprintln!(
        "frontier: {} queued, {} done, {} failed, {} skipped",
        s.frontier.queued, s.frontier.done, s.frontier.failed, s.frontier.skipped
    );
    for (h, why) in &s.deferred_hosts {
        eprintln!("deferred {h}: {why}");
    }
    for (h, why) in &s.skipped_hosts {
        eprintln!("skipped {h}: {why}");
    }
}

/// Why `warc` cannot take the crawl's WARC records, if it cannot: records are appended, so an
/// existing file must already be a WARC file (plain, or gzip whose first member starts with
/// `WARC/`) in the compression its name asks for (see [`super::warc::check_compression`]),
/// and it must not be the store or the seeds file (`others`). `None` when it is fine,
/// including a file that does not exist yet or is empty.
pub fn warc_target_problem(warc: &Path, others: &[&Path]) -> Option<String> {
    use std::io::Read;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    };
    if let Some(o) = others.iter().find(|o| same(warc, o)) {
        return Some(format!(
            "{}: is also the store or the seeds file ({})",
            warc.display(),
            o.display()
        ));
    }
    let meta = match std::fs::metadata(warc) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(format!("{}: {e}", warc.display())),
    };
    if !meta.is_file() {
        return Some(format!("{}: not a regular file", warc.display()));
    }
    if meta.len() == 0 {
        return None;
    }
    let mut head = Vec::with_capacity(5);
    let opened = std::fs::File::open(warc).and_then(|f| {
        let mut start = [0u8; 2];
        let mut f = f;
        f.read_exact(&mut start)?;
        let rest = std::io::Read::chain(&start[..], f);
        if start == [0x1f, 0x8b] {
            flate2::read::GzDecoder::new(rest)
                .take(5)
                .read_to_end(&mut head)
        } else {
            rest.take(5).read_to_end(&mut head)
        }
    });
    match opened {
        Ok(_) if head == b"WARC/" => super::warc::check_compression(warc)
            .err()
            .map(|e| e.to_string()),
        Ok(_) | Err(_) => Some(format!(
            "{}: exists and is not a WARC file (records are appended to an existing WARC file; \
             refusing to append to anything else)",
            warc.display()
        )),
    }
}

/// Prints why URLs failed in this run (grouped by reason, most frequent first, with one example
/// URL each), so a failure count never comes without its reasons.
fn print_failures(db: &Path, since_ms: i64, failed_total: u64) {
    if failed_total == 0 {
        return;
    }
    const GROUPS: usize = 10;
    match super::frontier::Frontier::open(db).and_then(|f| f.failures_since(since_ms, GROUPS)) {
        Ok(groups) => {
            for (why, n, url) in &groups {
                eprintln!("failed {n}: {why} (e.g. {url})");
            }
            if groups.len() == GROUPS {
                eprintln!(
                    "(more reasons: sqlite3 {} \"SELECT note, url FROM frontier WHERE state = 'failed'\")",
                    db.display()
                );
            }
        }
        Err(e) => eprintln!("copytrail crawl: cannot list failed URLs: {e}"),
    }
}

/// Runs `copytrail crawl` against the store at `db`.
pub fn run(args: &CrawlArgs, db: &Path) -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let cfg = match config_from_args(&args.opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("copytrail crawl: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(why) = crate::cli::not_a_store_file(db) {
        eprintln!("copytrail crawl: {why}");
        return ExitCode::from(2);
    }
    if let Some(why) = args
        .opts
        .warc
        .as_deref()
        .and_then(|w| warc_target_problem(w, &[db, &args.seeds]))
    {
        eprintln!("copytrail crawl: --warc {why}");
        return ExitCode::from(2);
    }
    let seeds = match load_seeds(&args.seeds, db) {
        Ok((0, bad)) if !bad.is_empty() => {
            for (line, e) in &bad {
                eprintln!("{}:{line}: skipped: {e}", args.seeds.display());
            }
            eprintln!(
                "copytrail crawl: {}: no valid seed URL",
                args.seeds.display()
            );
            return ExitCode::from(2);
        }
        Ok((n, bad)) => {
            for (line, e) in &bad {
                eprintln!("{}:{line}: skipped: {e}", args.seeds.display());
            }
            if n == 0 {
                // Nothing new to add: fine when resuming a crawl, an error on an empty frontier
                // (a store that does not exist yet is not created for nothing).
                let known = if db.exists() {
                    crate::crawl::frontier::Frontier::open(db)
                        .and_then(|f| f.counts())
                        .map(|c| c.queued + c.done + c.failed + c.skipped)
                } else {
                    Ok(0)
                };
                if matches!(known, Ok(0)) {
                    eprintln!(
                        "copytrail crawl: {}: no seed URLs, and the frontier in {} is empty: nothing to crawl",
                        args.seeds.display(),
                        db.display()
                    );
                    return ExitCode::from(2);
                }
                eprintln!(
                    "copytrail crawl: {}: no seed URLs in the file; continuing with the frontier in {}",
                    args.seeds.display(),
                    db.display()
                );
            }
            Vec::new()
        }
        Err((code, e)) => {
            eprintln!("copytrail crawl: {e}");
            return ExitCode::from(code);
        }
    };
    let store = match crate::store::Store::open(db) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("copytrail crawl: {}: {e}", db.display());
            return ExitCode::from(3);
        }
    };
    let sink = match crate::ingest::PageSink::new(store) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("copytrail crawl: {}: {e}", db.display());
            return ExitCode::from(3);
        }
    };
    let consumer: Box<dyn PageConsumer> = Box::new(sink);
    // Extraction runs on the blocking pool and walks the DOM recursively: deep stacks
    // (reserved, not committed) so pages nested up to the extractor's limit cannot overflow.
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(64 * 1024 * 1024)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("copytrail crawl: cannot start the runtime: {e}");
            return ExitCode::from(3);
        }
    };
    let cancel = CancellationToken::new();
    let started_ms = super::engine::now_ms();
    let result = rt.block_on(async {
        let c = cancel.clone();
        tokio::spawn(crate::cli::on_stop_signal("crawl", "stopping", move || {
            c.cancel()
        }));
        crawl(cfg, db, seeds, consumer, cancel.clone()).await
    });
    match result {
        Ok(summary) => {
            print_summary(&summary);
            print_failures(db, started_ms, summary.frontier.failed);
            if summary.interrupted {
                ExitCode::from(130)
            } else if summary.errors > 0
                || !summary.deferred_hosts.is_empty()
                || !summary.skipped_hosts.is_empty()
            {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("copytrail crawl: {e}");
            ExitCode::from(3)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration::from_secs(7 * 86400)
        );
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(parse_size("10MiB").unwrap(), 10 * 1024 * 1024);
        assert_eq!(parse_size("512KiB").unwrap(), 512 * 1024);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert!(parse_size("0").is_err());
        assert!(parse_size("3 furlongs").is_err());
    }

    #[test]
    fn warc_target_must_be_a_warc_file_or_new() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        // Missing, empty: fine.
        assert_eq!(warc_target_problem(&p("new.warc.gz"), &[]), None);
        std::fs::write(p("empty.warc.gz"), b"").unwrap();
        assert_eq!(warc_target_problem(&p("empty.warc.gz"), &[]), None);
        // A WARC file, plain or gzip per record: fine (appended to on resume).
        std::fs::write(p("plain.warc"), b"WARC/1.1\r\nWARC-Type: warcinfo\r\n").unwrap();
        assert_eq!(warc_target_problem(&p("plain.warc"), &[]), None);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"WARC/1.1\r\nWARC-Type: warcinfo\r\n")
            .unwrap();
        std::fs::write(p("ok.warc.gz"), gz.finish().unwrap()).unwrap();
        assert_eq!(warc_target_problem(&p("ok.warc.gz"), &[]), None);
        // A WARC file in the other compression than its name asks for is refused.
        std::fs::copy(p("ok.warc.gz"), p("gz-named-plain.warc")).unwrap();
        std::fs::copy(p("plain.warc"), p("plain-named-gz.warc.gz")).unwrap();
        for (bad, found) in [
            ("gz-named-plain.warc", "holds gzip records"),
            ("plain-named-gz.warc.gz", "holds uncompressed records"),
        ] {
            let why = warc_target_problem(&p(bad), &[]).expect(bad);
            assert!(why.contains(found), "{why}");
        }
        // Anything else that exists is refused: a SQLite store, a text file, gzip of other
        // data, a directory; and the store or seeds path itself even before it exists.
        std::fs::write(p("s.db"), b"SQLite format 3\0...").unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"<html>not warc</html>").unwrap();
        std::fs::write(p("page.html.gz"), gz.finish().unwrap()).unwrap();
        std::fs::write(p("seeds.txt"), b"https://a.example/\n").unwrap();
        for bad in ["s.db", "page.html.gz", "seeds.txt"] {
            let why = warc_target_problem(&p(bad), &[]).expect(bad);
            assert!(why.contains("not a WARC file"), "{why}");
        }
        assert!(
            warc_target_problem(dir.path(), &[])
                .unwrap()
                .contains("not a regular")
        );
        let why = warc_target_problem(&p("future.db"), &[&p("future.db")]).unwrap();
        assert!(why.contains("also the store"), "{why}");
        // Bytes of a refused file are untouched.
        assert_eq!(
            std::fs::read(p("seeds.txt")).unwrap(),
            b"https://a.example/\n"
        );
    }

    #[test]
    fn zero_timeouts_and_extreme_values_are_refused() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            opts: CrawlOptions,
        }
        for flag in ["--timeout", "--connect-timeout"] {
            let t = T::try_parse_from(["t", flag, "0s"]).unwrap();
            let Err(e) = config_from_args(&t.opts) else {
                panic!("{flag} 0s accepted");
            };
            assert!(e.contains("longer than 0"), "{e}");
        }
        let t = T::try_parse_from(["t", "--timeout", "1s"]).unwrap();
        assert!(config_from_args(&t.opts).is_ok());
        // Other extreme values: refused by the parser or the validation.
        for args in [
            &["t", "--max-pages", "0"][..],
            &["t", "--max-retries", "4294967295"][..],
        ] {
            assert!(T::try_parse_from(args).is_err(), "{args:?}");
        }
        let t = T::try_parse_from(["t", "--contact", "not a url"]).unwrap();
        assert!(config_from_args(&t.opts).is_err());
        let t = T::try_parse_from(["t", "--contact", "https://example.org/bot"]).unwrap();
        assert!(config_from_args(&t.opts).is_ok());
        for bad in ["", "=", "http://x.test/", "news.test:8765", "*."] {
            for flag in ["--allow-host", "--deny-host"] {
                let t = T::try_parse_from(["t", flag, bad]).unwrap();
                let Err(e) = config_from_args(&t.opts) else {
                    panic!("{flag} {bad:?} accepted");
                };
                assert!(e.contains(flag) && e.contains("not a host name"), "{e}");
            }
        }
        let t = T::try_parse_from([
            "t",
            "--allow-host",
            "*.Bücher.test",
            "--deny-host",
            "=a.test",
        ])
        .unwrap();
        let c = config_from_args(&t.opts).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.allow_hosts[0].matches("www.xn--bcher-kva.test"));
        assert!(c.deny_hosts[0].matches("a.test") && !c.deny_hosts[0].matches("b.a.test"));
    }

    #[test]
    fn seeds_stream_into_the_frontier_with_true_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let seeds = dir.path().join("seeds.txt");
        let mut text = String::new();
        for i in 0..25_003 {
            if i == 20_000 {
                text.push_str("not a url\n");
            } else {
                text.push_str(&format!("https://h{}.example/p{i}\n", i % 7));
            }
        }
        std::fs::write(&seeds, format!("\u{feff}{text}")).unwrap();
        let db = dir.path().join("s.db");
        let (n, bad) = load_seeds(&seeds, &db).unwrap();
        // The byte-order mark does not spoil the first URL.
        assert_eq!(n, 25_002);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 20_001);
        let f = super::super::frontier::Frontier::open(&db).unwrap();
        assert_eq!(f.queued_count().unwrap(), 25_002);
        assert_eq!(f.queued_hosts().unwrap().len(), 7);
        assert!(matches!(
            load_seeds(&dir.path().join("missing"), &db),
            Err((2, _))
        ));
    }

    #[test]
    fn seeds_file_with_comments_and_bad_lines() {
        let (seeds, bad) = parse_seeds(
            "# my seeds\n\nhttps://News.Example/feed.xml?utm_source=x  # the feed\n\
             ftp://files.example/\nhttps://b.example/#top\n   \n",
        );
        let urls: Vec<String> = seeds.iter().map(|s| s.url.to_string()).collect();
        assert_eq!(
            urls,
            vec!["https://news.example/feed.xml", "https://b.example/"]
        );
        assert_eq!(seeds[0].scope, "news.example");
        assert_eq!(seeds[0].found_as, FoundAs::Seed);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 4);
    }
}
