//! Integration tests: crawl. Every test serves a made-up web on 127.0.0.1 (see `web.rs`) and
//! maps its host names there with `--resolve`; nothing touches the internet.
//!
//! Timing assertions use server-side arrival times with a stated tolerance, and short real
//! delays (tens to hundreds of milliseconds).

mod web;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use copytrail::crawl::backoff::BackoffPolicy;
use copytrail::crawl::cli::parse_seeds;
use copytrail::crawl::engine::{CrawlConfig, Summary, crawl};
use copytrail::crawl::fetch::FetchConfig;
use copytrail::crawl::writer::{PageConsumer, Prepared, Stored};
use copytrail::page::Page;
use tokio_util::sync::CancellationToken;
use web::{Resp, Web, article};

const UA: &str = "NewsLinkBot/1.2 (+https://newslink.example/bot)";

/// Tolerance of server-side timing checks: timer and scheduling jitter on a loaded 2-core box.
const TOLERANCE: Duration = Duration::from_millis(15);

fn config(hosts: &[&str]) -> CrawlConfig {
    let resolve = hosts
        .iter()
        .map(|h| (h.to_string(), vec!["127.0.0.1".parse().unwrap()]))
        .collect();
    CrawlConfig {
        fetch: FetchConfig {
            user_agent: UA.into(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            max_body: 10 * 1024 * 1024,
            allow_private: true,
            resolve,
        },
        delay: Duration::from_millis(10),
        max_crawl_delay: Duration::from_secs(30),
        host_concurrency: 1,
        concurrency: 64,
        max_depth: 1,
        max_pages: None,
        allow_hosts: vec![],
        deny_hosts: vec![],
        discover_sitemaps: false,
        recrawl_after: None,
        repoll_after: Duration::from_secs(900),
        watch: false,
        backoff: BackoffPolicy {
            base: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(30),
            max_retries: 2,
        },
        max_redirects: 10,
        warc: None,
        progress: false,
    }
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Page>>>);

impl PageConsumer for Recorder {
    /// Like the store: a page whose URL and body it already has is not kept again.
    fn add(&mut self, page: Page, _prepared: Option<Prepared>) -> Result<Stored, String> {
        let mut pages = self.0.lock().unwrap();
        if pages
            .iter()
            .any(|p| p.url == page.url && p.body == page.body)
        {
            return Ok(Stored::Unchanged);
        }
        pages.push(page);
        Ok(Stored::New)
    }
    fn finish(self: Box<Self>) -> Result<(), String> {
        Ok(())
    }
}

async fn run_crawl(cfg: CrawlConfig, db: &Path, seeds: &[String]) -> (Summary, Vec<Page>) {
    run_crawl_with(cfg, db, seeds, CancellationToken::new()).await
}

async fn run_crawl_with(
    cfg: CrawlConfig,
    db: &Path,
    seeds: &[String],
    cancel: CancellationToken,
) -> (Summary, Vec<Page>) {
    let (seeds, bad) = parse_seeds(&seeds.join("\n"));
    assert!(bad.is_empty(), "{bad:?}");
    let rec = Recorder::default();
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        crawl(cfg, db, seeds, Box::new(rec.clone()), cancel),
    )
    .await
    .expect("crawl hung")
    .expect("crawl failed");
    let pages = rec.0.lock().unwrap().clone();
    (summary, pages)
}

/// (url, state, note) of every frontier row.
fn frontier(db: &Path) -> Vec<(String, String, Option<String>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn
        .prepare("SELECT url, state, note FROM frontier ORDER BY id")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn state_of(db: &Path, url: &str) -> (String, Option<String>) {
    frontier(db)
        .into_iter()
        .find(|(u, _, _)| u == url)
        .map(|(_, s, n)| (s, n))
        .unwrap_or_else(|| panic!("{url} not in the frontier: {:#?}", frontier(db)))
}

fn robots(web: &Web, host: &str, body: &[u8]) {
    web.page(
        host,
        "/robots.txt",
        Resp::new(200, "text/plain", body.to_vec()),
    );
}

// ---------------------------------------------------------------- robots.txt cases

#[tokio::test]
async fn case14_robots_bom_disallows_first_group_paths() {
    let web = Web::start().await;
    let h = "news.example";
    robots(
        &web,
        h,
        include_bytes!("../data/crawl/14-robots-bom/robots.txt"),
    );
    for p in [
        "/members/profile/42",
        "/search?q=flood",
        "/searchable-archive",
        "/world/2024/05/ferry-strike",
    ] {
        web.page(h, p, article(p, &[]));
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let seeds: Vec<String> = [
        "/members/profile/42",
        "/search?q=flood",
        "/searchable-archive",
        "/world/2024/05/ferry-strike",
    ]
    .iter()
    .map(|p| web.url(h, p))
    .collect();
    let (s, pages) = run_crawl(config(&[h]), &db, &seeds).await;
    assert_eq!(web.count(h, "/members/profile/42"), 0);
    assert_eq!(web.count(h, "/search?q=flood"), 0);
    assert_eq!(web.count(h, "/searchable-archive"), 0);
    assert_eq!(web.count(h, "/world/2024/05/ferry-strike"), 1);
    assert_eq!(web.count(h, "/robots.txt"), 1);
    assert_eq!(s.robots_blocked, 3);
    assert_eq!(pages.len(), 1);
    assert_eq!(
        state_of(&db, &web.url(h, "/members/profile/42")).0,
        "skipped"
    );
    // The robots user agent sent is ours.
    assert!(web.hits().iter().all(|h| h.user_agent == UA));
}

#[tokio::test]
async fn case16_unscoped_crawl_delay_is_applied_and_capped() {
    let web = Web::start().await;
    let h = "news.example";
    robots(
        &web,
        h,
        include_bytes!("../data/crawl/16-robots-unscoped-crawl-delay/robots.txt"),
    );
    web.page(h, "/2024/05/12/harbour-festival", article("festival", &[]));
    web.page(h, "/legacy/view.jsp?id=7", article("legacy", &[]));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let seeds = vec![
        web.url(h, "/legacy/view.jsp?id=7"),
        web.url(h, "/2024/05/12/harbour-festival"),
    ];
    // Crawl-delay 4 s is over a 2 s cap: the host is skipped with a message, nothing but
    // robots.txt is requested, and the URLs stay queued for a later run.
    let mut cfg = config(&[h]);
    cfg.max_crawl_delay = Duration::from_secs(2);
    let (s, _) = run_crawl(cfg, &db, &seeds).await;
    assert_eq!(web.hits().len(), 1, "{:?}", web.hits());
    assert_eq!(s.skipped_hosts.len(), 1);
    assert!(
        s.skipped_hosts[0].1.contains("Crawl-delay 4"),
        "{:?}",
        s.skipped_hosts
    );
    assert_eq!(state_of(&db, &seeds[1]).0, "queued");

    // Under the default cap, the file does not fail closed: the allowed page is fetched and
    // the `/*.jsp` one is not.
    let (s, pages) = run_crawl(config(&[h]), &db, &seeds).await;
    assert_eq!(web.count(h, "/legacy/view.jsp?id=7"), 0);
    assert_eq!(pages.len(), 1);
    assert_eq!(s.robots_blocked, 1);
    // robots.txt came from the 24 h cache in the store: still one request for it.
    assert_eq!(web.count(h, "/robots.txt"), 1);
    let _ = s;
}

#[tokio::test]
async fn case17_our_group_replaces_star_and_its_crawl_delay_spaces_requests() {
    let web = Web::start().await;
    let h = "news.example";
    robots(
        &web,
        h,
        include_bytes!("../data/crawl/17-robots-specific-group-replaces-star/robots.txt"),
    );
    web.page(h, "/admin/login", article("admin", &[]));
    web.page(h, "/drafts/tomorrow", article("drafts", &[]));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let seeds = vec![web.url(h, "/drafts/tomorrow"), web.url(h, "/admin/login")];
    let (_, pages) = run_crawl(config(&[h]), &db, &seeds).await;
    assert_eq!(web.count(h, "/drafts/tomorrow"), 0);
    assert_eq!(web.count(h, "/admin/login"), 1);
    assert_eq!(pages.len(), 1);
    // Crawl-delay: 3 of the newslinkbot group, measured on the server.
    let r = web.hits_of(h, "/robots.txt")[0].at;
    let a = web.hits_of(h, "/admin/login")[0].at;
    assert!(
        a - r + TOLERANCE >= Duration::from_secs(3),
        "gap {:?}",
        a - r
    );
}

/// A robots.txt fetched again after a 503 counts as a retry in the summary (and the 503 as an
/// error), like a page's retry.
#[tokio::test]
async fn robots_txt_retries_are_counted_in_the_summary() {
    let web = Web::start().await;
    let h = "flaky.example";
    web.route(
        h,
        "/robots.txt",
        vec![
            Resp::new(503, "text/plain", "busy").header("Retry-After", "1"),
            Resp::new(200, "text/plain", "User-agent: *\nAllow: /\n"),
        ],
    );
    web.page(h, "/a", article("a", &[]));
    let dir = tempfile::tempdir().unwrap();
    let (s, pages) = run_crawl(config(&[h]), &dir.path().join("c.db"), &[web.url(h, "/a")]).await;
    assert_eq!(web.count(h, "/robots.txt"), 2);
    assert_eq!(pages.len(), 1);
    assert_eq!((s.retries, s.errors), (1, 1), "{s:?}");
}

#[tokio::test]
async fn case19_robots_503_disallows_and_defers_404_and_html_allow() {
    let web = Web::start().await;
    let body503 = include_str!("../data/crawl/19-robots-5xx-vs-4xx/robots_503.http");
    let html503 = &body503[body503.find("<!DOCTYPE").unwrap()..];
    web.page(
        "down.example",
        "/robots.txt",
        Resp::new(503, "text/html; charset=utf-8", html503).header("Retry-After", "600"),
    );
    web.page(
        "gone.example",
        "/robots.txt",
        Resp::new(404, "text/html", "<p>Nothing here.</p>"),
    );
    web.page(
        "html.example",
        "/robots.txt",
        Resp::html("<!DOCTYPE html><html><head><title>Home</title></head><body><p>Welcome to our newsroom.</p></body></html>"),
    );
    for h in ["down.example", "gone.example", "html.example"] {
        web.page(h, "/world/ferry-strike", article(h, &[]));
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let seeds: Vec<String> = ["down.example", "gone.example", "html.example"]
        .iter()
        .map(|h| web.url(h, "/world/ferry-strike"))
        .collect();
    let mut cfg = config(&["down.example", "gone.example", "html.example"]);
    cfg.backoff.max_retry_after = Duration::from_secs(5);
    let started = chrono::Utc::now().timestamp_millis();
    let (s, pages) = run_crawl(cfg.clone(), &db, &seeds).await;
    assert_eq!(web.count("down.example", "/world/ferry-strike"), 0);
    assert_eq!(web.count("gone.example", "/world/ferry-strike"), 1);
    assert_eq!(web.count("html.example", "/world/ferry-strike"), 1);
    assert_eq!(pages.len(), 2);
    assert_eq!(s.deferred_hosts.len(), 1, "{:?}", s.deferred_hosts);
    // The 503 is not cached as allow-all and robots.txt is retried no sooner than 600 s: the
    // host's URL stays queued, not before then, and a second run does not touch the host.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let nb: i64 = conn
        .query_row(
            "SELECT not_before FROM frontier WHERE url = ?1",
            [&seeds[0]],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        nb >= started + 600_000,
        "not_before {nb} vs start {started}"
    );
    let cached: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM crawl_robots WHERE host LIKE 'http://down.example%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(cached, 0);
    web.clear_hits();
    let (_, pages) = run_crawl(cfg, &db, &seeds).await;
    assert!(pages.is_empty());
    assert_eq!(
        web.count("down.example", "/robots.txt"),
        0,
        "{:?}",
        web.hits()
    );
}

#[tokio::test]
async fn robots_txt_redirected_to_another_origin_still_applies() {
    let web = Web::start().await;
    let (h, other) = ("plain.example", "secure.example");
    web.page(
        h,
        "/robots.txt",
        Resp::new(301, "text/html", "").header("Location", &web.url(other, "/robots.txt")),
    );
    // Served with a Content-Type we would not process for pages: it is robots.txt all the same.
    web.page(
        other,
        "/robots.txt",
        Resp::new(
            200,
            "image/png",
            b"User-agent: *\nDisallow: /private/\n".to_vec(),
        ),
    );
    web.page(h, "/private/a", article("private", &[]));
    web.page(h, "/public/b", article("public", &[]));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let seeds = vec![web.url(h, "/private/a"), web.url(h, "/public/b")];
    let (s, pages) = run_crawl(config(&[h, other]), &db, &seeds).await;
    assert_eq!(web.count(other, "/robots.txt"), 1);
    assert_eq!(
        web.count(h, "/private/a"),
        0,
        "fails open if the redirect is not followed"
    );
    assert_eq!(web.count(h, "/public/b"), 1);
    assert_eq!(s.robots_blocked, 1);
    assert_eq!(pages.len(), 1);
}

// ---------------------------------------------------------------- 429 / 503 (case 20)

#[tokio::test]
async fn case20_retry_after_seconds_pauses_only_that_host() {
    let web = Web::start().await;
    let (a, b) = ("news.example", "other.example");
    web.route(
        a,
        "/world/1",
        vec![
            Resp::new(429, "text/plain", "Slow down.")
                .header("Retry-After", "1")
                .header("Date", "{date}"),
            article("world 1", &[]),
        ],
    );
    web.page(a, "/world/2", article("world 2", &[]));
    web.page(
        b,
        "/a",
        article("other a", &[]).delayed(Duration::from_millis(200)),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let seeds = vec![
        web.url(a, "/world/1"),
        web.url(a, "/world/2"),
        web.url(b, "/a"),
    ];
    let (s, pages) = run_crawl(config(&[a, b]), &db, &seeds).await;
    let w1 = web.hits_of(a, "/world/1");
    assert_eq!(w1.len(), 2, "world/1 retried once");
    let first = w1[0].at;
    assert!(
        w1[1].at - first + TOLERANCE >= Duration::from_secs(1),
        "{:?}",
        w1[1].at - first
    );
    let w2 = web.hits_of(a, "/world/2")[0].at;
    assert!(
        w2 - first + TOLERANCE >= Duration::from_secs(1),
        "host A paused: {:?}",
        w2 - first
    );
    // Host B is not held up by host A's pause.
    let ob = web.hits_of(b, "/a")[0].at;
    assert!(
        ob < first + Duration::from_millis(500),
        "host B delayed by {:?}",
        ob - first
    );
    assert_eq!(pages.len(), 3);
    assert_eq!(s.retries, 1);
}

#[tokio::test]
async fn case20_retry_after_http_date_is_honoured() {
    let web = Web::start().await;
    let a = "news.example";
    web.route(
        a,
        "/world/1",
        vec![
            Resp::new(503, "text/plain", "Maintenance.")
                .header("Date", "{date}")
                .header("Retry-After", "{date+2}"),
            article("world 1", &[]),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let (_, pages) = run_crawl(config(&[a]), &db, &[web.url(a, "/world/1")]).await;
    let w1 = web.hits_of(a, "/world/1");
    assert_eq!(w1.len(), 2);
    // HTTP-dates have 1 s resolution: at least 1 s (2 s minus the sub-second part of Date).
    assert!(
        w1[1].at - w1[0].at + TOLERANCE >= Duration::from_secs(1),
        "{:?}",
        w1[1].at - w1[0].at
    );
    assert_eq!(pages.len(), 1);
}

#[tokio::test]
async fn case20_retry_after_over_cap_defers_host_and_never_retries_early() {
    let web = Web::start().await;
    let (a, b) = ("news.example", "other.example");
    web.page(
        a,
        "/world/1",
        Resp::new(429, "text/plain", "").header("Retry-After", "86400"),
    );
    web.page(a, "/world/2", article("world 2", &[]));
    web.page(b, "/a", article("other a", &[]));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let seeds = vec![
        web.url(a, "/world/1"),
        web.url(a, "/world/2"),
        web.url(b, "/a"),
    ];
    let mut cfg = config(&[a, b]);
    cfg.backoff.max_retry_after = Duration::from_secs(3600);
    let t0 = std::time::Instant::now();
    let (s, pages) = run_crawl(cfg.clone(), &db, &seeds).await;
    assert!(t0.elapsed() < Duration::from_secs(20));
    assert_eq!(web.count(a, "/world/1"), 1);
    assert_eq!(web.count(a, "/world/2"), 0);
    assert_eq!(web.count(b, "/a"), 1);
    assert_eq!(pages.len(), 1);
    assert_eq!(s.deferred_hosts.len(), 1);
    assert_eq!(state_of(&db, &seeds[0]).0, "queued");
    assert_eq!(state_of(&db, &seeds[1]).0, "queued");
    // A second run right away does not touch host A.
    web.clear_hits();
    run_crawl(cfg.clone(), &db, &seeds).await;
    assert!(web.hits().is_empty(), "{:?}", web.hits());
    // Nor does a run whose cap is now above the time left: the host stays deferred (reported
    // at once) instead of the run sleeping until the pause ends.
    cfg.backoff.max_retry_after = Duration::from_secs(2 * 86_400);
    let t0 = std::time::Instant::now();
    let (s, _) = run_crawl(cfg, &db, &seeds).await;
    assert!(t0.elapsed() < Duration::from_secs(20));
    assert!(web.hits().is_empty(), "{:?}", web.hits());
    assert_eq!(s.deferred_hosts.len(), 1, "{:?}", s.deferred_hosts);
    assert!(
        s.deferred_hosts[0].1.contains("earlier deferral"),
        "{:?}",
        s.deferred_hosts
    );
}

#[tokio::test]
async fn server_errors_back_off_exponentially_then_give_up() {
    let web = Web::start().await;
    let a = "flaky.example";
    web.page(a, "/x", Resp::new(500, "text/plain", "boom"));
    web.route(
        a,
        "/y",
        vec![Resp::new(502, "text/plain", ""), article("y", &[])],
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let (s, pages) = run_crawl(config(&[a]), &db, &[web.url(a, "/x"), web.url(a, "/y")]).await;
    // max_retries = 2: three requests, then failed.
    let x = web.hits_of(a, "/x");
    assert_eq!(x.len(), 3);
    // Backoff base 100 ms, equal jitter: retry 1 waits ≥ 50 ms, retry 2 ≥ 100 ms.
    assert!(x[1].at - x[0].at + TOLERANCE >= Duration::from_millis(50));
    assert!(x[2].at - x[1].at + TOLERANCE >= Duration::from_millis(100));
    let (st, note) = state_of(&db, &web.url(a, "/x"));
    assert_eq!(st, "failed");
    assert!(note.unwrap().contains("gave up"));
    assert_eq!(web.count(a, "/y"), 2);
    assert_eq!(pages.len(), 1);
    assert!(s.errors >= 1);
}

// ---------------------------------------------------------------- politeness timing

#[tokio::test]
async fn per_host_delay_holds_on_the_server_and_hosts_run_in_parallel() {
    let web = Web::start().await;
    let hosts = ["a.example", "b.example", "c.example", "d.example"];
    let mut seeds = Vec::new();
    for h in hosts {
        for i in 0..5 {
            let p = format!("/p{i}");
            web.page(h, &p, article(&p, &[]));
            seeds.push(web.url(h, &p));
        }
    }
    let delay = Duration::from_millis(150);
    let mut cfg = config(&hosts);
    cfg.delay = delay;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let t0 = std::time::Instant::now();
    let (s, pages) = run_crawl(cfg, &db, &seeds).await;
    let elapsed = t0.elapsed();
    assert_eq!(pages.len(), 20);
    assert_eq!(s.fetched, 20);
    for h in hosts {
        let mut at: Vec<_> = web
            .hits()
            .into_iter()
            .filter(|x| x.host == h)
            .map(|x| x.at)
            .collect();
        at.sort();
        assert_eq!(at.len(), 6, "robots.txt + 5 pages on {h}");
        for w in at.windows(2) {
            assert!(
                w[1] - w[0] + TOLERANCE >= delay,
                "{h}: gap {:?}",
                w[1] - w[0]
            );
        }
    }
    // Serial would take 4 hosts × 5 gaps × 150 ms = 3 s; in parallel about 0.75 s.
    assert!(
        elapsed < Duration::from_millis(2000),
        "hosts not crawled in parallel: {elapsed:?}"
    );
}

#[tokio::test]
async fn one_request_at_a_time_per_host_unless_host_concurrency_is_raised() {
    let web = Web::start().await;
    let (one, two) = ("one.example", "two.example");
    let mut seeds = Vec::new();
    for h in [one, two] {
        for i in 0..6 {
            let p = format!("/p{i}");
            web.page(h, &p, article(&p, &[]).delayed(Duration::from_millis(100)));
            seeds.push(web.url(h, &p));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&[one]);
    cfg.delay = Duration::ZERO;
    let (_, pages) = run_crawl(cfg, &dir.path().join("a.db"), &seeds[..6]).await;
    assert_eq!(pages.len(), 6);
    assert_eq!(web.max_concurrent(one), 1);

    let mut cfg = config(&[two]);
    cfg.delay = Duration::ZERO;
    cfg.host_concurrency = 3;
    let t0 = std::time::Instant::now();
    let (_, pages) = run_crawl(cfg, &dir.path().join("b.db"), &seeds[6..]).await;
    assert_eq!(pages.len(), 6);
    assert_eq!(web.max_concurrent(two), 3);
    // 6 pages × 100 ms, three at a time: about 200 ms, not 600 ms.
    assert!(
        t0.elapsed() < Duration::from_millis(550),
        "{:?}",
        t0.elapsed()
    );
}

// ---------------------------------------------------------------- fetch rules

#[tokio::test]
async fn redirect_loops_cookie_redirects_and_too_many_hops() {
    let web = Web::start().await;
    let h = "r.example";
    web.page(
        h,
        "/a",
        Resp::new(301, "text/html", "").header("Location", "/b"),
    );
    web.page(
        h,
        "/b",
        Resp::new(302, "text/html", "").header("Location", "/a"),
    );
    web.route(
        h,
        "/consent",
        vec![
            Resp::new(302, "text/html", "")
                .header("Set-Cookie", "consent=yes; Path=/")
                .header("Location", "/consent"),
            article("consented", &[]),
        ],
    );
    for i in 0..15 {
        web.page(
            h,
            &format!("/r{i}"),
            Resp::new(302, "text/html", "").header("Location", &format!("/r{}", i + 1)),
        );
    }
    web.page(
        h,
        "/moved",
        Resp::new(301, "text/html", "").header("Location", &web.url("s.example", "/new")),
    );
    web.page("s.example", "/new", article("new home", &[]));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let seeds = vec![
        web.url(h, "/a"),
        web.url(h, "/consent"),
        web.url(h, "/r0"),
        web.url(h, "/moved"),
    ];
    let mut cfg = config(&[h, "s.example"]);
    cfg.delay = Duration::ZERO;
    let (_, pages) = run_crawl(cfg, &db, &seeds).await;
    // Loop: /a, /b, then the return to /a is detected without requesting it again.
    assert_eq!(web.count(h, "/a"), 1);
    assert_eq!(web.count(h, "/b"), 1);
    let (st, note) = state_of(&db, &web.url(h, "/a"));
    assert_eq!(st, "failed");
    assert!(note.unwrap().contains("redirect loop"));
    // Same URL with a new cookie is not a loop; the cookie is sent back.
    let c = web.hits_of(h, "/consent");
    assert_eq!(c.len(), 2);
    assert_eq!(c[1].cookie.as_deref(), Some("consent=yes"));
    assert_eq!(state_of(&db, &web.url(h, "/consent")).0, "done");
    // At most 10 redirects: 11 requests, then failure.
    let chain = (0..15)
        .filter(|i| web.count(h, &format!("/r{i}")) == 1)
        .count();
    assert_eq!(chain, 11);
    assert!(
        state_of(&db, &web.url(h, "/r0"))
            .1
            .unwrap()
            .contains("more than 10 redirects")
    );
    // A redirect to another host is queued there and fetched through that host's gate.
    assert_eq!(web.count("s.example", "/new"), 1);
    let urls: Vec<String> = pages.iter().map(|p| p.url.to_string()).collect();
    assert!(urls.contains(&web.url("s.example", "/new")), "{urls:?}");
    assert!(urls.contains(&web.url(h, "/consent")), "{urls:?}");
    assert_eq!(pages.len(), 2);
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let web = Web::start().await;
    let h = "intranet.example";
    web.page(h, "/x", article("x", &[]));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut cfg = config(&[h]);
    cfg.fetch.allow_private = false;
    let seeds = vec![
        web.url(h, "/x"),
        format!("http://127.0.0.1:{}/x", web.port()),
    ];
    let (s, pages) = run_crawl(cfg, &db, &seeds).await;
    assert!(web.hits().is_empty(), "{:?}", web.hits());
    assert!(pages.is_empty());
    assert_eq!(s.skipped_hosts.len(), 2, "{:?}", s.skipped_hosts);
    assert!(
        s.skipped_hosts
            .iter()
            .all(|(_, why)| why.contains("non-public"))
    );
    // With --allow-private the same crawl goes through.
    let (_, pages) = run_crawl(config(&[h]), &db, &seeds[..1]).await;
    assert_eq!(pages.len(), 1);
}

#[tokio::test]
async fn body_cap_cuts_and_marks_and_other_content_types_are_skipped() {
    let web = Web::start().await;
    let h = "big.example";
    let big = format!("<html><body><p>{}</p></body></html>", "x".repeat(100_000));
    web.page(h, "/big", Resp::html(big));
    web.page(
        h,
        "/photo.jpg",
        Resp::new(200, "image/jpeg", vec![0xffu8; 5000]),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut cfg = config(&[h]);
    cfg.fetch.max_body = 10 * 1024;
    let (_, pages) = run_crawl(cfg, &db, &[web.url(h, "/big"), web.url(h, "/photo.jpg")]).await;
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].body.len(), 10 * 1024);
    assert!(
        state_of(&db, &web.url(h, "/big"))
            .1
            .unwrap()
            .contains("body cut")
    );
    let (st, note) = state_of(&db, &web.url(h, "/photo.jpg"));
    assert_eq!(st, "skipped");
    assert!(note.unwrap().contains("image/jpeg"));
}

// ---------------------------------------------------------------- scope and discovery

#[tokio::test]
async fn links_followed_within_seed_host_to_max_depth_with_canonical_dedup() {
    let web = Web::start().await;
    let h = "front.example";
    let l1 = web.url(h, "/story-1?utm_source=home#top");
    let l1b = web.url(h, "/story-1?fbclid=zzz");
    let l2 = web.url(h, "/story-2");
    let off = web.url("elsewhere.example", "/x");
    web.page(
        h,
        "/",
        article("front", &[l1.clone(), l1b, l2.clone(), off]),
    );
    web.page(h, "/story-1", article("one", &[web.url(h, "/deeper")]));
    web.page(h, "/story-2", article("two", &[]));
    web.page(h, "/deeper", article("deeper", &[]));
    web.page("elsewhere.example", "/x", article("x", &[]));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let (_, pages) = run_crawl(config(&[h, "elsewhere.example"]), &db, &[web.url(h, "/")]).await;
    assert_eq!(web.count(h, "/story-1"), 1);
    assert_eq!(web.count(h, "/story-2"), 1);
    assert_eq!(
        web.count(h, "/deeper"),
        0,
        "depth 2 is beyond --max-depth 1"
    );
    assert_eq!(
        web.count("elsewhere.example", "/x"),
        0,
        "other hosts' links are not followed"
    );
    assert_eq!(pages.len(), 3);
}

#[tokio::test]
async fn feeds_and_sitemaps_are_recognised_by_content_and_their_entries_fetched() {
    let web = Web::start().await;
    let (n, m, f) = ("news.example", "mirror.example", "feeds.example");
    // robots.txt names a sitemap index (served as text/plain, found by content).
    robots(
        &web,
        n,
        format!(
            "User-agent: *\nAllow: /\nSitemap: {}\n",
            web.url(n, "/maps/index")
        )
        .as_bytes(),
    );
    let index = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{}</loc></sitemap></sitemapindex>"#,
        web.url(n, "/maps/news.xml.gz")
    );
    web.page(n, "/maps/index", Resp::new(200, "text/plain", index));
    let news = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>{}</loc><news:news><news:title>A</news:title></news:news></url><url><loc>{}</loc></url></urlset>"#,
        web.url(n, "/2024/a"),
        web.url(m, "/copied-a")
    );
    let gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(news.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    web.page(
        n,
        "/maps/news.xml.gz",
        Resp::new(200, "application/octet-stream", gz),
    );
    web.page(n, "/2024/a", article("A", &[]));
    web.page(m, "/copied-a", article("A copy", &[]));
    // The front page announces an Atom feed; the feed lists an article.
    web.page(
        f,
        "/",
        Resp::html(
            r#"<html><head><link rel="alternate" type="application/atom+xml" href="/atom"></head><body><p>front</p></body></html>"#,
        ),
    );
    web.page(
        f,
        "/atom",
        Resp::new(
            200,
            "application/xml",
            format!(
                r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id><updated>2024-05-14T09:00:00Z</updated><entry><title>B</title><id>urn:b</id><updated>2024-05-14T09:00:00Z</updated><link rel="alternate" href="{}"/></entry></feed>"#,
                web.url(f, "/b?utm_campaign=feed")
            ),
        )
        .header("ETag", "\"v1\""),
    );
    web.page(f, "/b", article("B", &[]));
    // A JSON feed as a seed.
    web.page(
        f,
        "/feed.json",
        Resp::new(
            200,
            "application/json",
            format!(
                r#"{{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{{"id":"1","url":"{}","content_text":"x"}}]}}"#,
                web.url(f, "/c")
            ),
        ),
    );
    web.page(f, "/c", article("C", &[]));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut cfg = config(&[n, m, f]);
    cfg.discover_sitemaps = true;
    cfg.max_depth = 0;
    let seeds = vec![
        web.url(n, "/2024/a"),
        web.url(f, "/"),
        web.url(f, "/feed.json"),
    ];
    let (_, pages) = run_crawl(cfg.clone(), &db, &seeds).await;
    for (host, path) in [
        (n, "/maps/index"),
        (n, "/maps/news.xml.gz"),
        (n, "/2024/a"),
        (m, "/copied-a"),
        (f, "/atom"),
        (f, "/b"),
        (f, "/c"),
    ] {
        assert_eq!(web.count(host, path), 1, "{host}{path}: {:?}", web.hits());
    }
    let mut urls: Vec<String> = pages.iter().map(|p| p.url.path().to_string()).collect();
    urls.sort();
    assert_eq!(urls, vec!["/", "/2024/a", "/b", "/c", "/copied-a"]);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let kinds: Vec<(String, String)> = conn
        .prepare("SELECT url, kind FROM frontier WHERE kind IN ('feed','sitemap') ORDER BY url")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kinds.len(), 4, "{kinds:?}");

    // Re-poll: seeds and feeds are fetched again (conditionally), articles are not.
    web.clear_hits();
    cfg.repoll_after = Duration::ZERO;
    run_crawl(cfg, &db, &seeds).await;
    assert_eq!(web.count(f, "/atom"), 1);
    assert_eq!(web.count(f, "/b"), 0);
    assert_eq!(web.count(n, "/2024/a"), 1, "a seed is re-polled");
    assert_eq!(web.count(m, "/copied-a"), 0);
}

// ---------------------------------------------------------------- stop and resume

#[tokio::test]
async fn cancellation_stops_cleanly_and_the_next_run_resumes() {
    let web = Web::start().await;
    let hosts = ["a.example", "b.example", "c.example"];
    let mut seeds = Vec::new();
    for h in hosts {
        for i in 0..10 {
            let p = format!("/p{i}");
            web.page(h, &p, article(&p, &[]));
            seeds.push(web.url(h, &p));
        }
    }
    let mut cfg = config(&hosts);
    cfg.delay = Duration::from_millis(60);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.cancel();
    });
    let (s1, p1) = run_crawl_with(cfg.clone(), &db, &seeds, cancel).await;
    assert!(s1.interrupted);
    assert!(!p1.is_empty() && p1.len() < 30, "{}", p1.len());
    let (s2, p2) = run_crawl(cfg, &db, &seeds).await;
    assert!(!s2.interrupted);
    assert_eq!(s2.frontier.queued, 0);
    assert_eq!(p1.len() + p2.len(), 30);
    for h in hosts {
        for i in 0..10 {
            let n = web.count(h, &format!("/p{i}"));
            assert!(n >= 1, "{h}/p{i} lost");
            // A request in flight at the cancel may be repeated (its result was never
            // recorded); anything recorded is not fetched again.
            assert!(n <= 2, "{h}/p{i} fetched {n} times");
        }
    }
    let page_hits = web
        .hits()
        .iter()
        .filter(|h| h.path != "/robots.txt")
        .count();
    let twice = page_hits - seeds.len();
    assert!(
        twice <= hosts.len(),
        "at most one in-flight request per host repeated: {twice}"
    );
}

#[tokio::test]
async fn max_pages_stops_and_leaves_the_rest_queued() {
    let web = Web::start().await;
    let h = "a.example";
    let mut seeds = Vec::new();
    for i in 0..10 {
        let p = format!("/p{i}");
        web.page(h, &p, article(&p, &[]));
        seeds.push(web.url(h, &p));
    }
    let mut cfg = config(&[h]);
    cfg.max_pages = Some(4);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let (s, pages) = run_crawl(cfg, &db, &seeds).await;
    assert!(s.budget_reached);
    assert_eq!(pages.len(), 4);
    assert_eq!(s.frontier.queued, 6);
}

// ---------------------------------------------------------------- WARC

/// The WARC records of a `.warc.gz` file, one gzip member each: (WARC headers, block).
fn warc_records(path: &Path) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let raw = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut rest: &[u8] = &raw;
    while !rest.is_empty() {
        let mut d = flate2::bufread::GzDecoder::new(rest);
        let mut member = Vec::new();
        d.read_to_end(&mut member).unwrap();
        rest = d.into_inner();
        let split = member.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(member[..split].to_vec()).unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let block = member[split + 4..split + 4 + len].to_vec();
        assert_eq!(&member[split + 4 + len..], b"\r\n\r\n", "record trailer");
        out.push((head, block));
    }
    out
}

#[tokio::test]
async fn warc_has_a_request_and_response_record_per_exchange() {
    let web = Web::start().await;
    let h = "w.example";
    robots(&web, h, b"User-agent: *\nDisallow: /private/\n");
    web.page(
        h,
        "/",
        article("front", &[web.url(h, "/story"), web.url(h, "/private/x")]),
    );
    web.page(h, "/story", article("story", &[]));
    web.page(
        h,
        "/old",
        Resp::new(301, "text/html", "").header("Location", "/story"),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let warc = dir.path().join("crawl.warc.gz");
    let mut cfg = config(&[h]);
    cfg.warc = Some(warc.clone());
    let (_, pages) = run_crawl(cfg, &db, &[web.url(h, "/old"), web.url(h, "/")]).await;
    // /old redirects to /story, which is then recorded as fetched: the link to /story on the
    // front page does not fetch it again.
    assert_eq!(pages.len(), 2, "/old (ending at /story) and the front page");
    assert_eq!(web.count(h, "/story"), 1);
    let (st, note) = state_of(&db, &web.url(h, "/story"));
    assert_eq!(st, "done");
    assert!(note.unwrap().contains("end of a redirect"));
    let recs = warc_records(&warc);
    let types: Vec<&str> = recs
        .iter()
        .map(|(h, _)| {
            h.lines()
                .find_map(|l| l.strip_prefix("WARC-Type: "))
                .unwrap()
        })
        .collect();
    // warcinfo + (robots, /old, /story, /) × (response, request)
    assert_eq!(types[0], "warcinfo");
    let responses: Vec<&(String, Vec<u8>)> = recs
        .iter()
        .filter(|(h, _)| h.contains("WARC-Type: response\r\n"))
        .collect();
    assert_eq!(
        responses.len(),
        web.hits().len(),
        "one response record per request"
    );
    assert_eq!(
        recs.iter()
            .filter(|(h, _)| h.contains("WARC-Type: request\r\n"))
            .count(),
        responses.len()
    );
    for (head, block) in &responses {
        assert!(head.starts_with("WARC/1.1\r\n"));
        assert!(head.contains("Content-Type: application/http;msgtype=response\r\n"));
        assert!(head.contains("WARC-Date: "));
        let uri = head
            .lines()
            .find_map(|l| l.strip_prefix("WARC-Target-URI: "))
            .unwrap();
        let text = String::from_utf8_lossy(block);
        assert!(text.starts_with("HTTP/1.1 "), "{uri}: {text:.40}");
        if uri.ends_with("/story") {
            assert!(text.contains("<h1>story</h1>"));
        }
    }
    // The redirect is recorded as its own 301 exchange.
    assert!(
        responses
            .iter()
            .any(|(h, b)| h.contains("/old\r\n") && b.starts_with(b"HTTP/1.1 301"))
    );

    // Cross-check with warcio (PyPI) when it is installed: `pip install warcio`.
    let ok = std::process::Command::new("python3")
        .args(["-c", "import warcio"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        let out = std::process::Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/crawl/warcio_check.py"
            ))
            .arg(&warc)
            .arg(responses.len().to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "warcio: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!("warcio not installed: WARC cross-check with warcio skipped");
    }
}

// ---------------------------------------------------------------- SIGKILL and resume

fn binary_crawl(
    web: &Web,
    db: &Path,
    seeds: &Path,
    hosts: &[&str],
    delay: &str,
) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_copytrail"));
    cmd.arg("--db")
        .arg(db)
        .arg("crawl")
        .arg("--seeds")
        .arg(seeds);
    cmd.args([
        "--delay",
        delay,
        "--allow-private",
        "--no-progress",
        "--user-agent",
        UA,
    ]);
    for h in hosts {
        cmd.arg("--resolve")
            .arg(format!("{h}:{}:127.0.0.1", web.port()));
    }
    cmd.stdout(std::process::Stdio::null());
    cmd.stderr(std::process::Stdio::piped());
    cmd
}

#[test]
fn resume_after_sigkill_loses_nothing_and_refetches_nothing_recorded() {
    let web = Web::start_in_thread();
    let hosts = ["k1.example", "k2.example", "k3.example", "k4.example"];
    let mut seeds = String::from("# kill test\n");
    let mut all = Vec::new();
    for h in hosts {
        for i in 0..25 {
            let p = format!("/p{i}");
            web.page(h, &p, article(&p, &[]));
            seeds.push_str(&web.url(h, &p));
            seeds.push('\n');
            all.push((h, p));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let seeds_path = dir.path().join("seeds.txt");
    std::fs::write(&seeds_path, seeds).unwrap();
    let page_hits = |web: &Web| {
        web.hits()
            .iter()
            .filter(|h| h.path != "/robots.txt")
            .count()
    };

    let mut child = binary_crawl(&web, &db, &seeds_path, &hosts, "40ms")
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while page_hits(&web) < 30 {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "crawl did not start"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = page_hits(&web);
    assert!(before < all.len(), "killed too late to test anything");

    // What the killed run recorded as finished.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let recorded: Vec<String> = conn
        .prepare("SELECT url FROM frontier WHERE state != 'queued'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(conn);
    assert!(!recorded.is_empty());
    web.clear_hits();

    let out = binary_crawl(&web, &db, &seeds_path, &hosts, "0s")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("crawl finished"), "{stderr}");
    for url in &recorded {
        let u = url::Url::parse(url).unwrap();
        assert_eq!(
            web.count(u.host_str().unwrap(), u.path()),
            0,
            "{url} fetched again"
        );
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let queued: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM frontier WHERE state = 'queued'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(queued, 0, "no URL is lost");
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM frontier", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, all.len() as i64);
    // Every page was requested by one of the runs; only requests in flight at the kill (at
    // most one per host) were repeated.
    let second = page_hits(&web);
    assert_eq!(second, all.len() - recorded.len());
    assert!(
        before + second <= all.len() + hosts.len(),
        "{before} + {second}"
    );
    assert!(before + second >= all.len());
}

// ---------------------------------------------------------------- end to end

/// Runs the binary with `args`, returning stdout; panics with stderr on failure.
fn copytrail(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn crawl_links_equal_ingest_of_its_own_warc() {
    // The bundled sample (real originals and their made-up copies) served on 127.0.0.1 under
    // the same host names, over plain HTTP.
    let web = Web::start_in_thread();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample/sample.warc.gz");
    let mut seeds = String::new();
    let mut hosts: Vec<String> = Vec::new();
    for (head, block) in warc_records(&sample) {
        if !head.contains("WARC-Type: response") {
            continue;
        }
        let uri = head
            .lines()
            .find_map(|l| l.strip_prefix("WARC-Target-URI: "))
            .unwrap()
            .trim();
        let u = url::Url::parse(uri).unwrap();
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(n) = resp.parse(&block).unwrap() else {
            panic!("incomplete HTTP head in {uri}")
        };
        let ctype = resp
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-type"))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
            .unwrap_or_else(|| "text/html".into());
        let host = u.host_str().unwrap().to_string();
        let path = &u[url::Position::BeforePath..url::Position::AfterQuery];
        web.page(
            &host,
            path,
            Resp::new(resp.code.unwrap(), &ctype, block[n..].to_vec()),
        );
        seeds.push_str(&web.url(&host, path));
        seeds.push('\n');
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    assert!(hosts.len() > 10);
    let dir = tempfile::tempdir().unwrap();
    let seeds_path = dir.path().join("seeds.txt");
    std::fs::write(&seeds_path, &seeds).unwrap();
    let crawl_db = dir.path().join("crawl.db");
    let ingest_db = dir.path().join("ingest.db");
    let warc = dir.path().join("crawl.warc.gz");
    let host_refs: Vec<&str> = hosts.iter().map(String::as_str).collect();
    let out = binary_crawl(&web, &crawl_db, &seeds_path, &host_refs, "0s")
        // The real pages announce feeds on https:// and port 80, which the test web does not
        // serve: give up on those hosts at once (they are deferred, which is exit code 1).
        .args(["--max-depth", "0", "--max-retries", "0", "--warc"])
        .arg(&warc)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    assert!(stderr.contains("crawl finished"), "{stderr}");
    let conn = rusqlite::Connection::open(&crawl_db).unwrap();
    let seeds_done: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM frontier WHERE found_as = 'seed' AND state = 'done'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(seeds_done as usize, seeds.lines().count(), "{stderr}");

    let (code, _, err) = copytrail(&[
        "--db".as_ref(),
        ingest_db.as_os_str(),
        "ingest".as_ref(),
        warc.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let links = |db: &Path| {
        let (code, out, err) = copytrail(&["--db".as_ref(), db.as_os_str(), "links".as_ref()]);
        assert_eq!(code, 0, "{err}");
        let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    let from_crawl = links(&crawl_db);
    let from_ingest = links(&ingest_db);
    assert!(
        from_crawl.len() >= 30,
        "the sample's copies are linked: {}",
        from_crawl.len()
    );
    assert_eq!(from_crawl, from_ingest);
}

#[tokio::test]
async fn watch_mode_repolls_feeds_conditionally_until_cancelled() {
    let web = Web::start().await;
    let h = "watch.example";
    let feed = |items: &[&str]| {
        let mut x = String::from(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>W</title><link>http://watch.example/</link>"#,
        );
        for i in items {
            x.push_str(&format!(
                "<item><title>{i}</title><link>{}</link></item>",
                web.url(h, i)
            ));
        }
        x.push_str("</channel></rss>");
        x
    };
    web.route(
        h,
        "/rss",
        vec![
            Resp::new(200, "application/rss+xml", feed(&["/one"])).header("ETag", "\"v1\""),
            Resp::new(304, "application/rss+xml", ""),
            Resp::new(200, "application/rss+xml", feed(&["/one", "/two"])).header("ETag", "\"v2\""),
        ],
    );
    web.page(h, "/one", article("one", &[]));
    web.page(h, "/two", article("two", &[]));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut cfg = config(&[h]);
    cfg.watch = true;
    cfg.repoll_after = Duration::from_millis(300);
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    let w = web.clone();
    tokio::spawn(async move {
        // Stop once the third poll has found the new item.
        for _ in 0..400 {
            if w.count(h, "/two") > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        c.cancel();
    });
    let (s, pages) = run_crawl_with(cfg, &db, &[web.url(h, "/rss")], cancel).await;
    assert!(s.interrupted);
    let polls = web.hits_of(h, "/rss");
    assert!(polls.len() >= 3, "{polls:?}");
    assert_eq!(polls[0].if_none_match, None);
    assert_eq!(polls[1].if_none_match.as_deref(), Some("\"v1\""));
    assert_eq!(web.count(h, "/one"), 1, "articles are not re-fetched");
    assert_eq!(web.count(h, "/two"), 1);
    assert_eq!(pages.len(), 2);
}

/// A re-polled seed page whose body did not change is not counted as a stored page: the
/// summary counts it as unchanged.
#[tokio::test]
async fn unchanged_repolled_pages_are_counted_apart_from_stored_ones() {
    let web = Web::start().await;
    let h = "front.example";
    web.page(h, "/front", article("front page", &[]));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut cfg = config(&[h]);
    cfg.watch = true;
    cfg.repoll_after = Duration::from_millis(200);
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    let w = web.clone();
    tokio::spawn(async move {
        for _ in 0..400 {
            if w.count(h, "/front") >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        c.cancel();
    });
    let (s, pages) = run_crawl_with(cfg, &db, &[web.url(h, "/front")], cancel).await;
    let fetches = web.count(h, "/front") as u64;
    assert!(fetches >= 3, "{fetches}");
    assert_eq!(pages.len(), 1);
    assert_eq!(s.pages, 1, "{s:?}");
    // Every later fetch that reached the store was unchanged (the last may be cut by the stop).
    assert!(s.unchanged >= 1 && s.unchanged < fetches, "{s:?}");
}

/// The end-of-run summary says why URLs failed (grouped, with an example each), and a redirect
/// that cannot be followed names its missing or unusable Location instead of a bare status.
#[test]
fn crawl_summary_lists_failure_reasons() {
    let web = Web::start_in_thread();
    let host = "fails.example";
    web.page(host, "/ok", article("fine page", &[]));
    web.page(host, "/gone1", Resp::new(404, "text/html", "no"));
    web.page(host, "/gone2", Resp::new(404, "text/html", "no"));
    web.page(host, "/r-none", Resp::new(302, "text/html", ""));
    web.page(
        host,
        "/r-bad",
        Resp::new(302, "text/html", "").header("Location", "http://[::bad/x"),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let seeds_path = dir.path().join("seeds.txt");
    let seeds: Vec<String> = ["/ok", "/gone1", "/gone2", "/r-none", "/r-bad"]
        .iter()
        .map(|p| web.url(host, p))
        .collect();
    std::fs::write(&seeds_path, seeds.join("\n")).unwrap();
    let out = binary_crawl(&web, &db, &seeds_path, &[host], "0s")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("4 failed"), "{stderr}");
    assert!(
        stderr.contains(&format!("failed 2: HTTP 404 (e.g. {})", seeds[1])),
        "{stderr}"
    );
    assert!(
        stderr.contains("failed 1: HTTP 302 redirect without a Location header"),
        "{stderr}"
    );
    assert!(
        stderr.contains("failed 1: HTTP 302 redirect to an unusable Location \"http://[::bad/x\""),
        "{stderr}"
    );
    // A second run fails nothing new: no reasons listed for earlier failures.
    let out = binary_crawl(&web, &db, &seeds_path, &[host], "0s")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("failed 2:"), "{stderr}");
}

/// SIGTERM (a service manager stopping the crawl) stops as cleanly as Ctrl-C: summary, exit
/// code 130, and the next run fetches only what was not recorded.
#[test]
fn sigterm_stops_the_crawl_cleanly_with_a_summary() {
    let stderr = interrupt_then_resume("-TERM", ["t1.example", "t2.example"]);
    assert!(stderr.contains("SIGTERM"), "{stderr}");
}

/// Why robots.txt could not be read is shown (it is recorded nowhere else), and the host is
/// deferred with that reason.
#[test]
fn robots_txt_unreachable_reason_is_shown() {
    let web = Web::start_in_thread();
    let host = "robots503.example";
    web.page(host, "/robots.txt", Resp::new(503, "text/plain", "busy"));
    web.page(host, "/a", article("a", &[]));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let seeds_path = dir.path().join("seeds.txt");
    std::fs::write(&seeds_path, web.url(host, "/a")).unwrap();
    let out = binary_crawl(&web, &db, &seeds_path, &[host], "0s")
        .args(["--max-retries", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("robots.txt unreachable (HTTP 503)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("deferred http://{host}")),
        "{stderr}"
    );
    assert_eq!(web.count(host, "/a"), 0);
}

/// A host paused by Retry-After (within --max-retry-after) makes the crawl wait: the wait is
/// announced on standard error instead of looking like a hang, and Ctrl-C ends it at once.
#[test]
fn a_long_wait_for_a_paused_host_is_announced() {
    use std::io::BufRead;
    let web = Web::start_in_thread();
    let host = "paused.example";
    web.page(
        host,
        "/p",
        Resp::new(503, "text/plain", "").header("Retry-After", "40"),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let seeds_path = dir.path().join("seeds.txt");
    std::fs::write(&seeds_path, web.url(host, "/p")).unwrap();
    let mut child = binary_crawl(&web, &db, &seeds_path, &[host], "0s")
        .args(["--max-retry-after", "5m"])
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let t0 = std::time::Instant::now();
    let announced = loop {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(l) if l.contains("waiting") => break l,
            Ok(_) => {}
            Err(e) => panic!("no announcement after {:?}: {e}", t0.elapsed()),
        }
    };
    assert!(
        announced.contains(host) && announced.contains("until its next URL is due"),
        "{announced}"
    );
    // 40 s asked: the announced wait is between 30 and 40 s.
    let secs: u64 = announced
        .split("waiting ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!((30..=40).contains(&secs), "{announced}");
    let st = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(t0.elapsed() < Duration::from_secs(25));
    assert_eq!(web.count(host, "/p"), 1);
}

#[test]
fn ctrl_c_stops_the_binary_cleanly_with_exit_code_130_and_the_next_run_resumes() {
    let stderr = interrupt_then_resume("-INT", ["i1.example", "i2.example"]);
    assert!(stderr.contains("Ctrl-C again"), "{stderr}");
}

/// Crawls 2 hosts × 40 pages with the binary, sends `signal` (a `kill` flag) once 10 requests
/// have arrived, checks the clean stop (exit 130, the summary says interrupted, not every page
/// fetched), runs again and checks that every page was fetched exactly once over both runs.
/// Returns the first run's standard error.
fn interrupt_then_resume(signal: &str, hosts: [&str; 2]) -> String {
    let web = Web::start_in_thread();
    let mut seeds = String::new();
    for h in hosts {
        for i in 0..40 {
            let p = format!("/p{i}");
            web.page(h, &p, article(&p, &[]));
            seeds.push_str(&web.url(h, &p));
            seeds.push('\n');
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.db");
    let seeds_path = dir.path().join("seeds.txt");
    std::fs::write(&seeds_path, seeds).unwrap();
    let child = binary_crawl(&web, &db, &seeds_path, &hosts, "30ms")
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while web.hits().len() < 10 {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "crawl did not start"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let st = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted (run again to resume)"),
        "{stderr}"
    );
    let pages = |web: &Web| {
        web.hits()
            .iter()
            .filter(|h| h.path != "/robots.txt")
            .count()
    };
    let first = pages(&web);
    assert!(first < 80, "stopped early");
    web.clear_hits();
    let out = binary_crawl(&web, &db, &seeds_path, &hosts, "0s")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A clean stop records every finished request: nothing is fetched twice.
    assert_eq!(first + pages(&web), 80);
    stderr
}

#[test]
fn seeds_file_without_a_valid_url_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = dir.path().join("seeds.txt");
    std::fs::write(&seeds, "not a url\nftp://x.example/\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .arg("--db")
        .arg(dir.path().join("c.db"))
        .arg("crawl")
        .arg("--seeds")
        .arg(&seeds)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no valid seed URL"));

    // A seeds file with no URL at all (only comments) and nothing in the frontier.
    std::fs::write(&seeds, "# nothing yet\n\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .arg("--db")
        .arg(dir.path().join("empty.db"))
        .arg("crawl")
        .arg("--seeds")
        .arg(&seeds)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nothing to crawl"),
        "{out:?}"
    );
    // Neither refused run created a store.
    assert!(!dir.path().join("c.db").exists());
    assert!(!dir.path().join("empty.db").exists());
}
