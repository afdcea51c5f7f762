//! Crawler benchmarks against a local test web on 127.0.0.1 (made-up host names mapped there).
//! A command that prints figures (not criterion: each scenario is one long run).
//!
//! ```text
//! cargo bench --bench crawl -- politeness   # ≥ 200 hosts × 50 pages, per-host delay d
//! cargo bench --bench crawl -- throughput   # no delay, 2 worker threads, extraction included
//! cargo bench --bench crawl -- frontier     # 1,000,000-URL frontier: peak resident memory
//! ```
//! Environment: `CRAWL_BENCH_HOSTS` (200), `CRAWL_BENCH_PAGES` (50), `CRAWL_BENCH_DELAY_MS`
//! (200), `CRAWL_BENCH_VOCAB` (4000 words), `CRAWL_BENCH_SINKS` (`count,analyse,pipeline`), `CRAWL_BENCH_CONCURRENCY` (64, throughput), `CRAWL_BENCH_FRONTIER` (1000000), `CRAWL_BENCH_FRONTIER_HOSTS` (10000).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::http::Response;
use copytrail::crawl::backoff::BackoffPolicy;
use copytrail::crawl::canon::canonicalize;
use copytrail::crawl::engine::{CrawlConfig, crawl};
use copytrail::crawl::fetch::FetchConfig;
use copytrail::crawl::frontier::{FoundAs, NewUrl};
use copytrail::crawl::writer::{PageConsumer, Prepared, Stored};
use copytrail::page::Page;
use tokio_util::sync::CancellationToken;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The test web's vocabulary: the `CRAWL_BENCH_VOCAB` (default 4,000) most frequent words of
/// the bundled news bodies, drawn with a skewed, roughly Zipf-like choice (see
/// `benches/common`). Until 2026-11-30 the pages used 90 fixed words, which made every page a
/// near-duplicate candidate of dozens of others (~50 candidates to verify per page, against
/// 0.1–0.5 on news text).
fn words() -> &'static [String] {
    static WORDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| common::news_vocabulary(env_or("CRAWL_BENCH_VOCAB", 4_000) as usize))
}

/// A news-like article of about 6 KB; its text is made of words drawn by a generator seeded
/// with the host and path, so pages are distinct stories (not near-duplicates of each other).
fn article_html(host: &str, path: &str) -> String {
    let seed = xxhash_rust::xxh3::xxh3_64(format!("{host}{path}").as_bytes());
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Story {path} on {host}</title>\
         <meta property=\"og:site_name\" content=\"{host}\"></head><body><header><nav><a href=\"/\">Home</a> \
         <a href=\"/world\">World</a> <a href=\"/sport\">Sport</a></nav></header><article><h1>Story {path}</h1>\
         <p class=\"byline\">By A. Reporter, 14 May 2024</p>"
    );
    for _ in 0..12 {
        body.push_str("<p>");
        for s in 0..3 {
            let n = 10 + rng.usize(..8);
            for w in 0..n {
                let word = common::pick(&mut rng, words());
                if w == 0 && s == 0 {
                    body.push_str(&word[..1].to_uppercase());
                    body.push_str(&word[1..]);
                } else {
                    body.push_str(word);
                }
                body.push(if w + 1 == n { '.' } else { ' ' });
            }
            body.push(' ');
        }
        body.push_str(&format!("{} people were there.</p>", rng.u32(2..5000)));
    }
    body.push_str("</article><footer><p>© Example News</p></footer></body></html>");
    body
}

/// Pages rendered before a run (`prerender`), so serving one costs the test web a map lookup
/// and a reference-count increment instead of generating ~6 KB of text: the web shares the
/// crawler's two cores, and the throughput figures are about copytrail, not about it.
type Rendered = std::collections::HashMap<(String, String), axum::body::Bytes>;

fn rendered() -> &'static std::sync::RwLock<Rendered> {
    static PAGES: std::sync::OnceLock<std::sync::RwLock<Rendered>> = std::sync::OnceLock::new();
    PAGES.get_or_init(Default::default)
}

/// Renders the pages of `hosts` × `pages` (as [`seeds`] names them) ahead of a run.
fn prerender(hosts: u64, pages: u64) {
    let mut map = rendered().write().unwrap();
    for h in 0..hosts {
        let host = format!("h{h}.bench");
        for p in 0..pages {
            let path = format!("/story/{p}");
            let html = article_html(&host, &path);
            map.insert((host.clone(), path), axum::body::Bytes::from(html));
        }
    }
}

async fn serve(req: Request) -> Response<Body> {
    use axum::http::HeaderValue;
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("");
    let path = req.uri().path();
    if path == "/robots.txt" {
        let mut r = Response::new(Body::from("User-agent: *\nDisallow: /private/\n"));
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static("text/plain"));
        return r;
    }
    let body = rendered()
        .read()
        .unwrap()
        .get(&(host.to_string(), path.to_string()))
        .cloned()
        .unwrap_or_else(|| axum::body::Bytes::from(article_html(host, path)));
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// Starts the test web on its own runtime thread; returns its port.
fn start_web(threads: usize) -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("test-web")
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().port()).unwrap();
            axum::serve(listener, axum::Router::new().fallback(serve))
                .await
                .unwrap();
        });
    });
    rx.recv().unwrap()
}

fn config(delay: Duration, concurrency: usize) -> CrawlConfig {
    CrawlConfig {
        fetch: FetchConfig {
            user_agent: "copytrail-bench/0.1".into(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body: 10 * 1024 * 1024,
            allow_private: true,
            // Every *.bench host resolves through the resolver override below.
            resolve: Default::default(),
        },
        delay,
        max_crawl_delay: Duration::from_secs(30),
        host_concurrency: 1,
        concurrency,
        max_depth: 0,
        max_pages: None,
        allow_hosts: vec![],
        deny_hosts: vec![],
        discover_sitemaps: false,
        recrawl_after: None,
        repoll_after: Duration::from_secs(900),
        watch: false,
        backoff: BackoffPolicy::default(),
        max_redirects: 10,
        warc: None,
        progress: false,
    }
}

fn seeds(port: u16, hosts: u64, pages: u64) -> (Vec<NewUrl>, Vec<String>) {
    let mut out = Vec::new();
    let mut names = Vec::new();
    for h in 0..hosts {
        let host = format!("h{h}.bench");
        for p in 0..pages {
            let url = canonicalize(&format!("http://{host}:{port}/story/{p}"), None).unwrap();
            out.push(NewUrl {
                url,
                scope: host.clone(),
                depth: 0,
                found_as: FoundAs::Seed,
            });
        }
        names.push(host);
    }
    (out, names)
}

#[derive(Default)]
struct Counter(Arc<AtomicU64>);

impl PageConsumer for Counter {
    fn add(&mut self, page: Page, _prepared: Option<Prepared>) -> Result<Stored, String> {
        std::hint::black_box(page.body.len());
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(Stored::New)
    }
    fn finish(self: Box<Self>) -> Result<(), String> {
        Ok(())
    }
}

/// Runs decode → extract → fingerprint → body compression on the workers like the real sink,
/// but stores nothing:
/// separates the analysis cost from the store's.
#[derive(Default)]
struct AnalyseOnly(Counter);

impl PageConsumer for AnalyseOnly {
    fn preparer(&self) -> Option<copytrail::crawl::writer::Preparer> {
        Some(|p: &Page| Prepared {
            hash: copytrail::store::content_hash(&p.body),
            analysis: copytrail::pipeline::analyse(p),
            body_gz: Some(copytrail::store::compress(&p.body)),
        })
    }
    fn add(&mut self, page: Page, prepared: Option<Prepared>) -> Result<Stored, String> {
        std::hint::black_box(prepared.map(|p| p.analysis.fingerprint.is_some()));
        self.0.add(page, None)
    }
    fn finish(self: Box<Self>) -> Result<(), String> {
        Ok(())
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap()
}

fn with_resolve(mut cfg: CrawlConfig, hosts: &[String]) -> CrawlConfig {
    for h in hosts {
        cfg.fetch
            .resolve
            .insert(h.clone(), vec!["127.0.0.1".parse().unwrap()]);
    }
    cfg
}

fn politeness() {
    let hosts = env_or("CRAWL_BENCH_HOSTS", 200);
    let pages = env_or("CRAWL_BENCH_PAGES", 50);
    let delay = Duration::from_millis(env_or("CRAWL_BENCH_DELAY_MS", 200));
    let port = start_web(1);
    prerender(hosts, pages);
    let (seeds, names) = seeds(port, hosts, pages);
    let dir = tempfile::tempdir().unwrap();
    let cfg = with_resolve(config(delay, 64), &names);
    let counter = Counter::default();
    let n = counter.0.clone();
    let t0 = Instant::now();
    let s = runtime(2)
        .block_on(crawl(
            cfg,
            &dir.path().join("b.db"),
            seeds,
            Box::new(counter),
            CancellationToken::new(),
        ))
        .unwrap();
    let secs = t0.elapsed().as_secs_f64();
    let fetched = n.load(Ordering::Relaxed);
    let rate = fetched as f64 / secs;
    let bound = hosts as f64 / delay.as_secs_f64();
    // Each host's robots.txt takes the first slot, so the pages need `pages` more slots.
    println!(
        "politeness: {hosts} hosts × {pages} pages, delay {} ms: {fetched} pages in {secs:.2} s = \
         {rate:.1} pages/s; politeness bound hosts/d = {bound:.1} pages/s → {:.1} % \
         (errors {}, requests {})",
        delay.as_millis(),
        100.0 * rate / bound,
        s.errors,
        s.requests
    );
}

fn throughput() {
    let hosts = env_or("CRAWL_BENCH_HOSTS", 200);
    let pages = env_or("CRAWL_BENCH_PAGES", 50);
    let port = start_web(1);
    prerender(hosts, pages);
    let sinks =
        std::env::var("CRAWL_BENCH_SINKS").unwrap_or_else(|_| "count,analyse,pipeline".into());
    for sink in ["count", "analyse", "pipeline"] {
        if !sinks.split(',').any(|s| s.trim() == sink) {
            continue;
        }
        let (seeds, names) = seeds(port, hosts, pages);
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("b.db");
        let cfg = with_resolve(
            config(
                Duration::ZERO,
                env_or("CRAWL_BENCH_CONCURRENCY", 64) as usize,
            ),
            &names,
        );
        let consumer: Box<dyn PageConsumer> = if sink == "count" {
            Box::new(Counter::default())
        } else if sink == "analyse" {
            Box::new(AnalyseOnly::default())
        } else {
            let store = copytrail::store::Store::open(&db).unwrap();
            Box::new(copytrail::ingest::PageSink::new(store).expect("open sink"))
        };
        let web0 = thread_cpu("test-web");
        let cpu0 = process_cpu();
        let writer = WriterWatch::start();
        let t0 = Instant::now();
        let s = runtime(2)
            .block_on(crawl(cfg, &db, seeds, consumer, CancellationToken::new()))
            .unwrap();
        let secs = t0.elapsed().as_secs_f64();
        let writer_cpu = writer.stop();
        let per_page = |d: f64| 1e6 * d / s.fetched.max(1) as f64;
        println!(
            "throughput ({sink}): {} URLs fetched in {secs:.2} s = {:.0} pages/s, {} stored, \
             {} errors (no delay, 2 crawler threads, loopback); CPU per page: process {:.0} us \
             (test web {:.0} us of it), writer thread {:.0} us",
            s.fetched,
            s.fetched as f64 / secs,
            s.pages,
            s.errors,
            per_page(process_cpu() - cpu0),
            per_page(thread_cpu("test-web") - web0),
            per_page(writer_cpu),
        );
    }
}

/// CPU time (user + system, seconds) of the whole process so far, threads that ended included
/// (`/proc/self/stat`, in 1/100 s).
fn process_cpu() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .map_or(f64::NAN, |s| stat_cpu(&s))
}

/// utime + stime (seconds) from a `/proc/.../stat` line (USER_HZ = 100 on Linux).
fn stat_cpu(stat: &str) -> f64 {
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
    (tick(11) + tick(12)) / 100.0
}

/// Summed CPU time (seconds) of the live threads whose name starts with `prefix`.
fn thread_cpu(prefix: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    dir.flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| c.trim_end().starts_with(prefix))
        })
        .filter_map(|t| std::fs::read_to_string(t.path().join("stat")).ok())
        .map(|s| stat_cpu(&s))
        .sum()
}

/// The `stat` file of the first live thread whose name starts with `prefix`.
fn find_thread(prefix: &str) -> Option<std::path::PathBuf> {
    std::fs::read_dir("/proc/self/task")
        .ok()?
        .flatten()
        .find(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| c.trim_end().starts_with(prefix))
        })
        .map(|t| t.path().join("stat"))
}

/// Watches the crawl's writer thread (`copytrail-writer`, which ends before the crawl returns)
/// every 20 ms and keeps the last CPU time seen: the single writer is the pipeline's serial
/// part, so its CPU per page bounds the rate whatever the cores. The thread is looked up once
/// (scanning every thread's name every 20 ms cost ~10 us of CPU per page with the blocking
/// pool's dozens of threads, counted in the process figure).
struct WriterWatch {
    stop: Arc<std::sync::atomic::AtomicBool>,
    handle: std::thread::JoinHandle<f64>,
}

impl WriterWatch {
    fn start() -> WriterWatch {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut last = 0.0f64;
            let mut stat: Option<std::path::PathBuf> = None;
            while !s.load(Ordering::Relaxed) {
                if stat.is_none() {
                    stat = find_thread("copytrail-write");
                }
                // Unreadable once the thread has ended: the last figure stays.
                if let Some(c) = stat
                    .as_ref()
                    .and_then(|p| std::fs::read_to_string(p).ok())
                    .map(|s| stat_cpu(&s))
                    && c > last
                {
                    last = c;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            last
        });
        WriterWatch { stop, handle }
    }

    fn stop(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or(f64::NAN)
    }
}

fn frontier() {
    let total = env_or("CRAWL_BENCH_FRONTIER", 1_000_000);
    let nhosts = env_or("CRAWL_BENCH_FRONTIER_HOSTS", 10_000);
    let port = start_web(1);
    let dir = tempfile::tempdir().unwrap();
    let seeds_path = dir.path().join("seeds.txt");
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&seeds_path).unwrap());
        for i in 0..total {
            writeln!(w, "http://h{}.bench:{port}/story/{i}", i % nhosts).unwrap();
        }
    }
    let db = dir.path().join("f.db");
    let t0 = Instant::now();
    let (n, bad) = copytrail::crawl::cli::load_seeds(&seeds_path, &db).unwrap();
    assert!(bad.is_empty());
    let load = t0.elapsed().as_secs_f64();
    let names: Vec<String> = (0..nhosts).map(|h| format!("h{h}.bench")).collect();
    let mut cfg = with_resolve(config(Duration::ZERO, 64), &names);
    cfg.max_pages = Some(20_000);
    let t1 = Instant::now();
    let s = runtime(2)
        .block_on(crawl(
            cfg,
            &db,
            Vec::new(),
            Box::new(Counter::default()),
            CancellationToken::new(),
        ))
        .unwrap();
    println!(
        "frontier: {n} URLs on {nhosts} hosts loaded in {load:.1} s; crawled {} of them in {:.1} s; \
         {} still queued; peak resident memory of the whole process (crawler + test web) \
         {:.0} MiB",
        s.fetched,
        t1.elapsed().as_secs_f64(),
        s.frontier.queued,
        peak_rss_mib()
    );
}

fn main() {
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let all = which.is_empty() || which.iter().any(|w| w == "all");
    let want = |name: &str| all || which.iter().any(|w| w == name);
    if want("politeness") {
        politeness();
    }
    if want("throughput") {
        throughput();
    }
    if want("frontier") {
        frontier();
    }
}
