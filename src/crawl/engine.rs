//! The coordinator: owns the set of hosts with work, runs one worker per active host, stops on
//! cancellation, and reports progress.
//!
//! Shape: seeds → frontier (writer thread) ⇄ host workers (async, one per active host, each
//! request through its [`HostGate`]) → writer (frontier updates, page sink, WARC). The crawl
//! is finished when no host has due work, no worker runs and nothing is in flight; in `--watch`
//! mode it then sleeps until the next re-poll of seeds, feeds and sitemaps.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::backoff::BackoffPolicy;
use super::canon::HostPattern;
use super::fetch::{FetchConfig, FetchError, Fetcher};
use super::frontier::{Counts, Frontier, FrontierError, NewUrl};
use super::gate::HostGate;
use super::warc::{WarcError, WarcWriter};
use super::worker::{HostExit, run_host};
use super::writer::{Cmd, PageConsumer, Preparer, WriterStats, run_writer};

/// Number of per-host gates above which idle ones are forgotten.
const GATE_SWEEP_AT: usize = 50_000;

/// Current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Errors that stop a crawl.
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    /// The frontier/store failed.
    #[error(transparent)]
    Frontier(#[from] FrontierError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The WARC file could not be opened.
    #[error(transparent)]
    Warc(#[from] WarcError),
    /// The writer failed mid-crawl (database or sink error); everything committed before is kept.
    #[error("store writer failed: {0}")]
    Writer(String),
    /// No thread of the page-processing pool could be started.
    #[error("cannot start the page-processing threads: {0}")]
    Pool(#[source] std::io::Error),
}

/// A validated crawl configuration (built from the CLI flags by [`super::cli`]).
#[derive(Debug, Clone)]
pub struct CrawlConfig {
    /// HTTP client settings.
    pub fetch: FetchConfig,
    /// Default delay between two requests to one host.
    pub delay: Duration,
    /// Largest honoured Crawl-delay; hosts asking more are skipped.
    pub max_crawl_delay: Duration,
    /// Requests in flight per host.
    pub host_concurrency: usize,
    /// Requests in flight overall.
    pub concurrency: usize,
    /// Link hops followed from a page seed within its host.
    pub max_depth: u32,
    /// Stop after this many URLs were taken from the frontier in this run.
    pub max_pages: Option<u64>,
    /// Only these hosts (besides the seeds' own), if any.
    pub allow_hosts: Vec<HostPattern>,
    /// Never these hosts.
    pub deny_hosts: Vec<HostPattern>,
    /// Queue robots.txt `Sitemap:` URLs.
    pub discover_sitemaps: bool,
    /// Re-fetch pages older than this (None: never).
    pub recrawl_after: Option<Duration>,
    /// Re-poll seeds, feeds and sitemaps older than this.
    pub repoll_after: Duration,
    /// Keep running and re-poll.
    pub watch: bool,
    /// Backoff and Retry-After rules.
    pub backoff: BackoffPolicy,
    /// Redirect hops followed per URL.
    pub max_redirects: usize,
    /// WARC output.
    pub warc: Option<PathBuf>,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

/// Counters of a run.
#[derive(Debug, Default)]
pub struct Stats {
    /// HTTP requests sent (robots.txt and redirect hops included).
    pub requests: AtomicU64,
    /// URLs fetched to a final response.
    pub fetched: AtomicU64,
    /// HTML pages handed to the store.
    pub pages: AtomicU64,
    /// Failures (network, HTTP errors, redirect loops, retries exhausted).
    pub errors: AtomicU64,
    /// Retries scheduled.
    pub retries: AtomicU64,
    /// URLs disallowed by robots.txt.
    pub robots_blocked: AtomicU64,
    /// robots.txt files fetched.
    pub robots_fetched: AtomicU64,
    /// Body bytes received.
    pub bytes: AtomicU64,
    /// Hosts with a running worker.
    pub active_hosts: AtomicU64,
}

/// Shared state of the workers.
pub struct Ctx {
    pub(crate) cfg: CrawlConfig,
    pub(crate) fetcher: Fetcher,
    pub(crate) writer: mpsc::Sender<Cmd>,
    pub(crate) global: Semaphore,
    pub(crate) cancel: CancellationToken,
    pub(crate) stats: Arc<Stats>,
    pub(crate) agent_token: String,
    pub(crate) preparer: Option<Preparer>,
    /// Threads for link mining and the preparer (one per core).
    pub(crate) pool: super::pool::WorkPool,
    taken: AtomicU64,
}

impl Ctx {
    /// Takes one URL from the `--max-pages` budget; false when it is spent.
    pub(crate) fn take_budget(&self) -> bool {
        match self.cfg.max_pages {
            None => true,
            Some(max) => self
                .taken
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                    (t < max).then_some(t + 1)
                })
                .is_ok(),
        }
    }

    /// Whether the `--max-pages` budget is spent.
    pub(crate) fn budget_spent(&self) -> bool {
        self.cfg
            .max_pages
            .is_some_and(|m| self.taken.load(Ordering::Relaxed) >= m)
    }

    /// Whether URLs on `url`'s host may be crawled: not denied, and allowed when an allow list
    /// is given (the scope host — the seed's — is always allowed).
    pub(crate) fn host_allowed(&self, url: &Url, scope: &str) -> bool {
        let Some(host) = url.host_str() else {
            return false;
        };
        if self.cfg.deny_hosts.iter().any(|p| p.matches(host)) {
            return false;
        }
        self.cfg.allow_hosts.is_empty()
            || host == scope
            || self.cfg.allow_hosts.iter().any(|p| p.matches(host))
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// HTTP requests sent.
    pub requests: u64,
    /// URLs fetched to a final response.
    pub fetched: u64,
    /// HTML pages stored (new content; a page the store already had with the same body is
    /// counted in `unchanged` instead).
    pub pages: u64,
    /// HTML pages fetched again with the same body as stored (re-polled seeds, re-crawls):
    /// nothing written.
    pub unchanged: u64,
    /// Errors counted.
    pub errors: u64,
    /// Retries scheduled.
    pub retries: u64,
    /// URLs disallowed by robots.txt.
    pub robots_blocked: u64,
    /// Body bytes received.
    pub bytes: u64,
    /// Hosts deferred to a later run, with the reason.
    pub deferred_hosts: Vec<(String, String)>,
    /// Hosts skipped in this run, with the reason.
    pub skipped_hosts: Vec<(String, String)>,
    /// The run was interrupted (Ctrl-C); the next run resumes.
    pub interrupted: bool,
    /// `--max-pages` was reached.
    pub budget_reached: bool,
    /// Frontier counts at the end.
    pub frontier: Counts,
    /// Wall time.
    pub elapsed: Duration,
}

impl Summary {
    /// Pages per second over the run.
    pub fn pages_per_sec(&self) -> f64 {
        self.fetched as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs a crawl: adds `seeds` to the frontier at `db`, then crawls until the frontier has
/// nothing due (or `cancel` fires, or `--max-pages` is reached). Pages go to `consumer`.
///
/// # Errors
/// [`CrawlError`] when the store, the HTTP client or the WARC file fails; per-URL failures are
/// recorded in the frontier and counted in the summary instead.
pub async fn crawl(
    cfg: CrawlConfig,
    db: &Path,
    seeds: Vec<NewUrl>,
    consumer: Box<dyn PageConsumer>,
    cancel: CancellationToken,
) -> Result<Summary, CrawlError> {
    let started = std::time::Instant::now();
    let repoll_ms = cfg.repoll_after.as_millis() as i64;
    let recrawl_ms = cfg.recrawl_after.map(|d| d.as_millis() as i64);
    let db = db.to_path_buf();
    let (frontier, hosts) = tokio::task::spawn_blocking(move || -> Result<_, FrontierError> {
        let mut f = Frontier::open(&db)?;
        let now = now_ms();
        for chunk in seeds.chunks(10_000) {
            f.add(chunk, now)?;
        }
        f.requeue_due(now, repoll_ms, recrawl_ms)?;
        let hosts = f.queued_hosts()?;
        Ok((f, hosts))
    })
    .await
    .map_err(|e| CrawlError::Writer(e.to_string()))??;

    let warc = match &cfg.warc {
        Some(p) => Some(WarcWriter::open(p, "operator: copytrail crawl\r\n")?),
        None => None,
    };
    let fetcher = Fetcher::new(cfg.fetch.clone())?;
    let preparer = consumer.preparer();
    let pool = super::pool::WorkPool::per_core("copytrail-page").map_err(CrawlError::Pool)?;
    let (wtx, wrx) = mpsc::channel::<Cmd>(1024);
    let (ntx, mut nrx) = mpsc::unbounded_channel::<Vec<String>>();
    let wstats = Arc::new(WriterStats::default());
    let ws = wstats.clone();
    let writer = std::thread::Builder::new()
        .name("copytrail-writer".into())
        .spawn(move || run_writer(frontier, consumer, warc, wrx, ntx, ws))
        .map_err(|e| CrawlError::Writer(e.to_string()))?;

    let stats = Arc::new(Stats::default());
    let agent_token = super::robots::product_token(&cfg.fetch.user_agent).to_string();
    let ctx = Arc::new(Ctx {
        global: Semaphore::new(cfg.concurrency.max(1)),
        cfg: cfg.clone(),
        fetcher,
        writer: wtx,
        cancel: cancel.clone(),
        stats: stats.clone(),
        agent_token,
        preparer,
        pool,
        taken: AtomicU64::new(0),
    });

    let progress = cfg
        .progress
        .then(|| start_progress(stats.clone(), wstats.clone()));

    let mut gates: HashMap<String, Arc<HostGate>> = HashMap::new();
    let mut ready: VecDeque<String> = VecDeque::new();
    let mut in_ready: HashSet<String> = HashSet::new();
    let mut active: HashMap<String, bool> = HashMap::new();
    let mut workers: JoinSet<(String, HostExit)> = JoinSet::new();
    let mut summary = Summary::default();
    let mut fatal: Option<String> = None;
    let mut stop_spawning = false;
    // Enough workers to keep every host busy at its own pace, bounded for huge frontiers.
    let max_active = (cfg.concurrency * 16).max(1024);
    let mut next_repoll: Option<i64> = None;
    // Gates of idle hosts are forgotten once there are many (robots.txt answers are cached in
    // the store), so a long crawl over millions of hosts keeps a bounded map.
    let mut next_sweep = GATE_SWEEP_AT;

    for (h, _) in hosts {
        if in_ready.insert(h.clone()) {
            ready.push_back(h);
        }
    }

    let note_new = |hosts: Vec<String>,
                    active: &mut HashMap<String, bool>,
                    ready: &mut VecDeque<String>,
                    in_ready: &mut HashSet<String>| {
        for h in hosts {
            if let Some(recheck) = active.get_mut(&h) {
                *recheck = true;
            } else if in_ready.insert(h.clone()) {
                ready.push_back(h);
            }
        }
    };

    loop {
        if !stop_spawning && !cancel.is_cancelled() {
            while active.len() < max_active {
                let Some(h) = ready.pop_front() else { break };
                in_ready.remove(&h);
                let gate = gates
                    .entry(h.clone())
                    .or_insert_with(|| {
                        Arc::new(HostGate::new(h.clone(), cfg.host_concurrency, cfg.delay))
                    })
                    .clone();
                active.insert(h.clone(), false);
                let c = ctx.clone();
                workers.spawn(async move {
                    let key = gate.key.clone();
                    (key, run_host(c, gate).await)
                });
            }
        }
        stats
            .active_hosts
            .store(active.len() as u64, Ordering::Relaxed);
        if active.is_empty() {
            // Anything announced before the last worker finished is already in the channel.
            while let Ok(hosts) = nrx.try_recv() {
                note_new(hosts, &mut active, &mut ready, &mut in_ready);
            }
            if !ready.is_empty() && !stop_spawning && !cancel.is_cancelled() {
                continue;
            }
            if !cfg.watch || stop_spawning || cancel.is_cancelled() {
                break;
            }
            // Watch mode: sleep until the next re-poll, then re-queue.
            let wait = next_repoll
                .map(|t| Duration::from_millis(u64::try_from(t - now_ms()).unwrap_or(0)))
                .unwrap_or(cfg.repoll_after)
                .max(Duration::from_secs(1));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.cancelled() => break,
            }
            let (tx, rx) = oneshot::channel();
            if ctx
                .writer
                .send(Cmd::Requeue {
                    now_ms: now_ms(),
                    repoll_ms,
                    recrawl_ms,
                    reply: tx,
                })
                .await
                .is_err()
            {
                break;
            }
            match rx.await {
                Ok(Ok((hosts, next))) => {
                    next_repoll = next;
                    note_new(
                        hosts.into_iter().map(|(h, _)| h).collect(),
                        &mut active,
                        &mut ready,
                        &mut in_ready,
                    );
                }
                Ok(Err(e)) => {
                    fatal = Some(e);
                    break;
                }
                Err(_) => break,
            }
            continue;
        }
        tokio::select! {
            biased;
            Some(hosts) = nrx.recv() => note_new(hosts, &mut active, &mut ready, &mut in_ready),
            Some(joined) = workers.join_next() => {
                let (host, exit) = match joined {
                    Ok(v) => v,
                    Err(e) => {
                        fatal = Some(format!("a host worker panicked: {e}"));
                        cancel.cancel();
                        continue;
                    }
                };
                // Drain announcements made before this worker ended.
                while let Ok(hosts) = nrx.try_recv() {
                    note_new(hosts, &mut active, &mut ready, &mut in_ready);
                }
                let recheck = active.remove(&host).unwrap_or(false);
                if gates.len() >= next_sweep {
                    gates.retain(|h, g| {
                        active.contains_key(h) || in_ready.contains(h) || !g.forgettable()
                    });
                    next_sweep = GATE_SWEEP_AT.max(gates.len() * 2);
                }
                match exit {
                    HostExit::Exhausted => {
                        if recheck && in_ready.insert(host.clone()) {
                            ready.push_back(host);
                        }
                    }
                    HostExit::Deferred(why) => {
                        tracing::info!(%host, "deferred: {why}");
                        summary.deferred_hosts.push((host, why));
                    }
                    HostExit::Skipped(why) => {
                        tracing::warn!(%host, "skipped: {why}");
                        summary.skipped_hosts.push((host, why));
                    }
                    HostExit::Budget => {
                        summary.budget_reached = true;
                        stop_spawning = true;
                    }
                    HostExit::Cancelled => {}
                    HostExit::Fatal(e) => {
                        fatal.get_or_insert(e);
                        cancel.cancel();
                    }
                }
            }
            _ = cancel.cancelled(), if !stop_spawning => {
                stop_spawning = true;
            }
        }
    }

    summary.interrupted = cancel.is_cancelled() && fatal.is_none();
    drop(ctx);
    if let Some(p) = progress {
        p.finish();
    }
    let frontier = tokio::task::spawn_blocking(move || writer.join())
        .await
        .map_err(|e| CrawlError::Writer(e.to_string()))?
        .map_err(|_| CrawlError::Writer("writer thread panicked".into()))?
        .map_err(CrawlError::Writer)?;
    if let Some(e) = fatal {
        return Err(CrawlError::Writer(e));
    }
    summary.frontier = frontier.counts()?;
    summary.requests = stats.requests.load(Ordering::Relaxed);
    summary.fetched = stats.fetched.load(Ordering::Relaxed);
    summary.pages = wstats.pages_stored.load(Ordering::Relaxed);
    summary.unchanged = wstats.pages_unchanged.load(Ordering::Relaxed);
    summary.errors =
        stats.errors.load(Ordering::Relaxed) + wstats.sink_errors.load(Ordering::Relaxed);
    summary.retries = stats.retries.load(Ordering::Relaxed);
    summary.robots_blocked = stats.robots_blocked.load(Ordering::Relaxed);
    summary.bytes = stats.bytes.load(Ordering::Relaxed);
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// A progress bar refreshed four times a second until `finish`.
struct Progress {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Progress {
    fn finish(self) {
        self.stop.cancel();
        self.task.abort();
    }
}

fn start_progress(stats: Arc<Stats>, wstats: Arc<WriterStats>) -> Progress {
    let stop = CancellationToken::new();
    let s2 = stop.clone();
    let task = tokio::spawn(async move {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        let started = std::time::Instant::now();
        loop {
            let fetched = stats.fetched.load(Ordering::Relaxed);
            let rate = fetched as f64 / started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "fetched {fetched} ({rate:.1}/s) | frontier {} | active hosts {} | errors {}",
                wstats.queued.load(Ordering::Relaxed),
                stats.active_hosts.load(Ordering::Relaxed),
                stats.errors.load(Ordering::Relaxed),
            ));
            bar.tick();
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                _ = s2.cancelled() => break,
            }
        }
        bar.finish_and_clear();
    });
    Progress { stop, task }
}
