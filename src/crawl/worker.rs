//! The host worker: takes its host's queued URLs from the frontier, passes each request through
//! the host's gate, follows same-origin redirects, interprets robots.txt, handles backoff, and
//! hands results to the writer.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio::time::Instant;
use url::Url;

use super::backoff::{self, Outcome, UrlAction};
use super::canon::{self, canonicalize_url};
use super::discover::{self, DocKind};
use super::engine::{Ctx, now_ms};
use super::fetch::{Exchange, FetchError, RedirectStep, RedirectTracker};
use super::frontier::{Completion, Entry, Final, FoundAs, NewUrl};
use super::gate::{GateStop, HostGate, RobotsSlot};
use super::robots::{self, RobotsAnswer, RobotsRules};
use super::writer::Cmd;
use crate::page::{Page, PageSource};

/// How long a request in flight at Ctrl-C may take to finish before it is abandoned.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why a host worker stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostExit {
    /// No queued URL left for the host.
    Exhausted,
    /// Paused beyond the cap (Retry-After, robots.txt unreachable): resumed by a later run.
    Deferred(String),
    /// Skipped for this run (Crawl-delay over the cap).
    Skipped(String),
    /// `--max-pages` reached.
    Budget,
    /// Ctrl-C.
    Cancelled,
    /// The store failed: the crawl must stop.
    Fatal(String),
}

/// Whole seconds of `d`, rounded up: a wait just over a cap of N s reads N + 1, not N.
fn secs_up(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Internal control flow of a worker.
enum Stop {
    Exit(HostExit),
}

impl From<GateStop> for Stop {
    fn from(g: GateStop) -> Stop {
        match g {
            GateStop::Cancelled => Stop::Exit(HostExit::Cancelled),
            GateStop::Deferred { remaining } => Stop::Exit(HostExit::Deferred(format!(
                "host paused for {} s more (over the Retry-After cap)",
                secs_up(remaining)
            ))),
        }
    }
}

async fn ask<T>(
    ctx: &Ctx,
    make: impl FnOnce(oneshot::Sender<Result<T, String>>) -> Cmd,
) -> Result<T, Stop> {
    let (tx, rx) = oneshot::channel();
    if ctx.writer.send(make(tx)).await.is_err() {
        return Err(Stop::Exit(HostExit::Fatal("writer stopped".into())));
    }
    match rx.await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Stop::Exit(HostExit::Fatal(e))),
        Err(_) => Err(Stop::Exit(HostExit::Fatal("writer stopped".into()))),
    }
}

fn ms_after(d: Duration) -> i64 {
    now_ms().saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2))
}

/// How much an exit says (the strongest one wins when several URL tasks stop).
fn rank(e: &HostExit) -> u8 {
    match e {
        HostExit::Exhausted => 0,
        HostExit::Budget => 1,
        HostExit::Cancelled => 2,
        HostExit::Skipped(_) => 3,
        HostExit::Deferred(_) => 4,
        HostExit::Fatal(_) => 5,
    }
}

type UrlTasks = JoinSet<Result<(), Stop>>;

fn joined_exit(r: Result<Result<(), Stop>, tokio::task::JoinError>) -> Option<HostExit> {
    match r {
        Ok(Ok(())) => None,
        Ok(Err(Stop::Exit(e))) => Some(e),
        Err(e) => Some(HostExit::Fatal(format!("a URL task failed: {e}"))),
    }
}

/// Waits for a host's next URL at least this long are announced (a `warn` log line), so a
/// crawl that waits for a paused host does not look hung.
pub const LONG_WAIT_NOTICE: Duration = Duration::from_secs(10);

/// Runs the worker of one host until it has nothing due, is deferred, or the crawl stops.
/// Up to `--host-concurrency` URLs of the host are processed at once (each request still
/// passes the gate, whose semaphore enforces the same limit).
pub async fn run_host(ctx: Arc<Ctx>, gate: Arc<HostGate>) -> HostExit {
    let mut inflight = UrlTasks::new();
    let mut exit = host_loop(&ctx, &gate, &mut inflight).await;
    // URLs still in flight finish or stop at the gate; their row stays queued if they stop.
    while let Some(r) = inflight.join_next().await {
        if let Some(e) = joined_exit(r)
            && rank(&e) > rank(&exit)
        {
            exit = e;
        }
    }
    exit
}

async fn host_loop(ctx: &Arc<Ctx>, gate: &Arc<HostGate>, inflight: &mut UrlTasks) -> HostExit {
    let host: Arc<str> = Arc::from(gate.key.as_str());
    let limit = ctx.cfg.host_concurrency.max(1);
    let mut cursor = 0i64;
    loop {
        if ctx.cancel.is_cancelled() {
            return HostExit::Cancelled;
        }
        if ctx.budget_spent() {
            return HostExit::Budget;
        }
        let now = now_ms();
        let batch = match ask(ctx, |reply| Cmd::Batch {
            host: host.clone(),
            after: cursor,
            limit: 32,
            now_ms: now,
            reply,
        })
        .await
        {
            Ok(b) => b,
            Err(Stop::Exit(e)) => return e,
        };
        if batch.is_empty() {
            // URLs in flight are still queued in the store: let them finish before looking
            // at the queue from the start again.
            if !inflight.is_empty() {
                while let Some(r) = inflight.join_next().await {
                    if let Some(e) = joined_exit(r) {
                        return e;
                    }
                }
                continue;
            }
            if cursor > 0 {
                cursor = 0;
                continue;
            }
            let due = match ask(ctx, |reply| Cmd::NextDue {
                host: host.clone(),
                reply,
            })
            .await
            {
                Ok(d) => d,
                Err(Stop::Exit(e)) => return e,
            };
            let Some(due) = due else {
                return HostExit::Exhausted;
            };
            let wait = Duration::from_millis(u64::try_from(due - now_ms()).unwrap_or(0));
            if wait > ctx.cfg.backoff.max_retry_after {
                return HostExit::Deferred(format!("next URL due in {} s", wait.as_secs()));
            }
            if wait >= LONG_WAIT_NOTICE {
                // A host deferred to a later run (by this run or an earlier one: Retry-After or
                // backoff over the cap, robots.txt unreachable) stays deferred until its pause
                // ends, even when the time left has dropped under the cap: a re-run reports it
                // instead of sleeping for up to --max-retry-after.
                let paused = match ask(ctx, |reply| Cmd::HostPause {
                    host: host.clone(),
                    reply,
                })
                .await
                {
                    Ok(p) => p,
                    Err(Stop::Exit(e)) => return e,
                };
                if let Some(until) = paused.filter(|&u| u >= due) {
                    let left = Duration::from_millis(u64::try_from(until - now_ms()).unwrap_or(0));
                    return HostExit::Deferred(format!(
                        "paused by an earlier deferral for another {} s; run again after that",
                        secs_up(left)
                    ));
                }
                // A host paused by Retry-After, backoff or an unreachable robots.txt (possibly
                // by an earlier run): say so instead of waiting silently.
                tracing::warn!(
                    "{host}: waiting {} s until its next URL is due (paused by Retry-After, \
                     backoff or an unreachable robots.txt); Ctrl-C stops, the next run resumes",
                    secs_up(wait)
                );
            }
            tokio::select! {
                _ = tokio::time::sleep(wait.max(Duration::from_millis(1))) => {}
                _ = ctx.cancel.cancelled() => return HostExit::Cancelled,
            }
            continue;
        }
        for entry in batch {
            cursor = entry.id;
            if ctx.cancel.is_cancelled() {
                return HostExit::Cancelled;
            }
            while inflight.len() >= limit {
                if let Some(r) = inflight.join_next().await
                    && let Some(e) = joined_exit(r)
                {
                    return e;
                }
            }
            if !ctx.take_budget() {
                return HostExit::Budget;
            }
            let (c, g) = (ctx.clone(), gate.clone());
            inflight.spawn(async move { process(&c, &g, entry).await });
        }
    }
}

/// Fetches robots.txt when needed and returns the rules in force.
async fn robots_rules(ctx: &Ctx, gate: &HostGate) -> Result<Arc<RobotsRules>, Stop> {
    let host: Arc<str> = Arc::from(gate.key.as_str());
    // Held across the fetch on purpose: other workers of this host wait for the same answer.
    let mut slot = gate.robots.lock().await;
    loop {
        let now = Instant::now();
        let failures = match &*slot {
            RobotsSlot::Rules { rules, expires } if now < *expires => return Ok(rules.clone()),
            RobotsSlot::Unreachable { retry_at, .. } if now < *retry_at => {
                let wait = *retry_at - now;
                if wait > ctx.cfg.backoff.max_retry_after {
                    let until = ms_after(wait);
                    let note = format!(
                        "robots.txt unreachable; retry in {} s (over the {} s cap)",
                        secs_up(wait),
                        ctx.cfg.backoff.max_retry_after.as_secs()
                    );
                    let h = host.clone();
                    let n = note.clone();
                    ask(ctx, |reply| Cmd::DeferHost {
                        host: h,
                        until_ms: until,
                        note: n,
                        reply,
                    })
                    .await?;
                    return Err(Stop::Exit(HostExit::Deferred(note)));
                }
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = ctx.cancel.cancelled() => return Err(Stop::Exit(HostExit::Cancelled)),
                }
                continue;
            }
            RobotsSlot::Unreachable { failures, .. } => *failures,
            RobotsSlot::Unknown => {
                // A fresh cached answer from an earlier run (24 h).
                let since = now_ms() - robots::ROBOTS_TTL.as_millis() as i64;
                let h = host.clone();
                if let Some((status, body)) = ask(ctx, |reply| Cmd::GetRobots {
                    host: h,
                    since_ms: since,
                    reply,
                })
                .await?
                    && let RobotsAnswer::Rules(r) =
                        robots::interpret(&ctx.agent_token, Some(status), &body)
                {
                    let rules = Arc::new(r);
                    apply_rules(ctx, gate, &rules).await?;
                    *slot = RobotsSlot::Rules {
                        rules,
                        expires: Instant::now() + robots::ROBOTS_TTL,
                    };
                    continue;
                }
                0
            }
            RobotsSlot::Rules { .. } => 0,
        };
        if failures > 0 {
            // Another attempt after an unreachable robots.txt: a retry like any other.
            ctx.stats.retries.fetch_add(1, Ordering::Relaxed);
        }
        // Fetch robots.txt (through the gate; up to 5 redirects, RFC 9309 §2.3.1.2).
        let robots_url = Url::parse(&format!("{}/robots.txt", gate.key))
            .map_err(|e| Stop::Exit(HostExit::Fatal(format!("robots URL of {}: {e}", gate.key))))?;
        // RFC 9309 §2.3.1.2: follow at least five redirects, even to another authority
        // (http → https is common); the redirected file applies to this origin.
        let (result, exchanges, _) =
            fetch_chain(ctx, gate, &robots_url, &[], 5, None, true).await?;
        ctx.writer
            .send(Cmd::Exchanges(exchanges))
            .await
            .map_err(|_| Stop::Exit(HostExit::Fatal("writer stopped".into())))?;
        let received = SystemTime::now();
        // RFC 9309 §2.5: a parsing limit of at least 500 KiB; the rest is ignored (and not
        // stored in the robots cache).
        const ROBOTS_MAX_BYTES: usize = 500 * 1024;
        let robots_body =
            |ex: &super::fetch::Exchange| ex.body[..ex.body.len().min(ROBOTS_MAX_BYTES)].to_vec();
        let (status, answer, outcome_status) = match &result {
            Ok(ex) => (
                Some(ex.status),
                robots::interpret(&ctx.agent_token, Some(ex.status), &robots_body(ex)),
                Outcome::Response {
                    status: ex.status,
                    retry_after: ex.header("retry-after"),
                    date: ex.header("date"),
                },
            ),
            Err(FetchError::Timeout(_)) => (None, RobotsAnswer::Unreachable, Outcome::Timeout),
            Err(FetchError::Refused { .. }) | Err(FetchError::Dns { .. }) => {
                let note = format!(
                    "robots.txt: {}",
                    result
                        .as_ref()
                        .err()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                );
                return Err(Stop::Exit(HostExit::Skipped(note)));
            }
            Err(_) => (None, RobotsAnswer::Unreachable, Outcome::NetworkError),
        };
        match answer {
            RobotsAnswer::Rules(r) => {
                ctx.stats.robots_fetched.fetch_add(1, Ordering::Relaxed);
                if let (Some(s), Ok(ex)) = (status, &result) {
                    let _ = ctx
                        .writer
                        .send(Cmd::PutRobots {
                            host: host.clone(),
                            status: s,
                            body: robots_body(ex),
                            now_ms: now_ms(),
                        })
                        .await;
                }
                let rules = Arc::new(r);
                apply_rules(ctx, gate, &rules).await?;
                *slot = RobotsSlot::Rules {
                    rules,
                    expires: Instant::now() + robots::ROBOTS_TTL,
                };
            }
            RobotsAnswer::Unreachable => {
                ctx.stats.errors.fetch_add(1, Ordering::Relaxed);
                // Wait as a failed request would (Retry-After or exponential), never less than
                // the host delay; after max-retries failures the host is deferred.
                let failures = failures + 1;
                let v = backoff::decide(
                    &ctx.cfg.backoff,
                    outcome_status,
                    failures.min(ctx.cfg.backoff.max_retries),
                    received,
                    fastrand::f64(),
                );
                let mut wait = v.host_pause.max(ctx.cfg.delay);
                if failures > ctx.cfg.backoff.max_retries {
                    wait = wait.max(ctx.cfg.backoff.max_retry_after + Duration::from_secs(1));
                }
                // Shown by default: the reason (a timeout, a TLS or connection error, HTTP 5xx)
                // is recorded nowhere else.
                let why = match &result {
                    Ok(ex) => format!("HTTP {}", ex.status),
                    Err(e) => e.to_string(),
                };
                tracing::warn!(
                    "{}/robots.txt unreachable ({why}); nothing fetched from this host for {} s",
                    gate.key,
                    wait.as_secs()
                );
                *slot = RobotsSlot::Unreachable {
                    retry_at: Instant::now() + wait,
                    failures,
                };
            }
        }
    }
}

/// Applies Crawl-delay and queues robots.txt sitemaps (with `--discover-sitemaps`).
async fn apply_rules(ctx: &Ctx, gate: &HostGate, rules: &RobotsRules) -> Result<(), Stop> {
    if let Some(cd) = rules.crawl_delay {
        if cd > ctx.cfg.max_crawl_delay {
            let note = format!(
                "Crawl-delay {} s is over --max-crawl-delay {} s; host skipped",
                cd.as_secs_f64(),
                ctx.cfg.max_crawl_delay.as_secs_f64()
            );
            tracing::warn!(host = %gate.key, "{note}");
            return Err(Stop::Exit(HostExit::Skipped(note)));
        }
        gate.set_delay(cd.max(ctx.cfg.delay));
    }
    if ctx.cfg.discover_sitemaps && !rules.sitemaps.is_empty() {
        let scope = Url::parse(&gate.key)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let urls: Vec<NewUrl> = rules
            .sitemaps
            .iter()
            .filter_map(|s| canon::canonicalize(s, None).ok())
            .filter(|u| ctx.host_allowed(u, &scope))
            .map(|url| NewUrl {
                url,
                scope: scope.clone(),
                depth: 0,
                found_as: FoundAs::Sitemap,
            })
            .collect();
        if !urls.is_empty() {
            ask(ctx, |reply| Cmd::Add {
                urls,
                now_ms: now_ms(),
                reply,
            })
            .await?;
        }
    }
    Ok(())
}

/// How a redirect chain ended.
#[derive(Debug)]
enum ChainEnd {
    /// The last response is not a redirect: process it.
    Final,
    /// A redirect to another origin (queued there, through its own gate).
    OtherOrigin(Url),
    /// A redirect back to a (URL, cookies) pair already requested.
    Loop(Url),
    /// More hops than allowed.
    TooMany,
    /// A same-origin redirect to a URL robots.txt disallows.
    Disallowed(Url),
}

/// Requests `start` through the gate and follows same-origin redirects (each hop through the
/// gate again, and checked against robots.txt when `rules` is given); with `cross_origin`
/// (robots.txt only) redirects to other origins are followed too and bodies of any
/// Content-Type are read. Returns the last response
/// (or error), every exchange made, and how the chain ended.
async fn fetch_chain(
    ctx: &Ctx,
    gate: &HostGate,
    start: &Url,
    extra: &[(String, String)],
    max_hops: usize,
    rules: Option<&RobotsRules>,
    cross_origin: bool,
) -> Result<(Result<Exchange, FetchError>, Vec<Exchange>, ChainEnd), Stop> {
    let mut tracker = RedirectTracker::new(start, max_hops);
    let mut exchanges: Vec<Exchange> = Vec::new();
    let mut url = start.clone();
    loop {
        let mut headers: Vec<(String, String)> = extra.to_vec();
        if let Some(c) = tracker.cookie_header() {
            headers.push(("Cookie".into(), c));
        }
        let turn = gate
            .turn(&ctx.global, ctx.cfg.backoff.max_retry_after, &ctx.cancel)
            .await?;
        // On cancellation a request in flight may finish within a grace period (so its result
        // is recorded and not fetched again by the next run); after that it is abandoned.
        let res = {
            let fetch = ctx.fetcher.get_with(&url, &headers, cross_origin);
            tokio::pin!(fetch);
            tokio::select! {
                r = &mut fetch => r,
                _ = ctx.cancel.cancelled() => {
                    match tokio::time::timeout(SHUTDOWN_GRACE, &mut fetch).await {
                        Ok(r) => r,
                        Err(_) => return Err(Stop::Exit(HostExit::Cancelled)),
                    }
                }
            }
        };
        drop(turn);
        ctx.stats.requests.fetch_add(1, Ordering::Relaxed);
        let ex = match res {
            Ok(ex) => ex,
            Err(e) => return Ok((Err(e), exchanges, ChainEnd::Final)),
        };
        ctx.stats
            .bytes
            .fetch_add(ex.body.len() as u64, Ordering::Relaxed);
        let end = match tracker.next(&url, ex.status, &ex.headers) {
            RedirectStep::Final => ChainEnd::Final,
            RedirectStep::TooMany => ChainEnd::TooMany,
            RedirectStep::Loop(t) => ChainEnd::Loop(t),
            RedirectStep::Follow(t) if !cross_origin && canon::host_key(&t) != gate.key => {
                ChainEnd::OtherOrigin(t)
            }
            RedirectStep::Follow(t) if rules.is_some_and(|r| !r.allowed(t.as_str())) => {
                ChainEnd::Disallowed(t)
            }
            RedirectStep::Follow(t) => {
                exchanges.push(ex);
                url = t;
                continue;
            }
        };
        // The exchanges are for the WARC file: without one, the body is not copied.
        let record = if ctx.cfg.warc.is_some() {
            ex.clone()
        } else {
            ex.clone_head()
        };
        exchanges.push(record);
        return Ok((Ok(ex), exchanges, end));
    }
}

/// Processes one queued URL.
async fn process(ctx: &Ctx, gate: &HostGate, entry: Entry) -> Result<(), Stop> {
    let mut completion = Completion {
        id: entry.id,
        state: Final::Done,
        status: None,
        kind: None,
        note: None,
        etag: None,
        last_modified: None,
        attempts: entry.attempts + 1,
        discovered: Vec::new(),
        alias: None,
    };
    let Ok(url) = Url::parse(&entry.url) else {
        completion.state = Final::Failed;
        completion.note = Some("unparseable URL".into());
        return complete(ctx, completion, None, Vec::new()).await;
    };
    let rules = robots_rules(ctx, gate).await?;
    if !rules.allowed(url.as_str()) {
        ctx.stats.robots_blocked.fetch_add(1, Ordering::Relaxed);
        completion.state = Final::Skipped;
        completion.note = Some("disallowed by robots.txt".into());
        completion.attempts = entry.attempts;
        return complete(ctx, completion, None, Vec::new()).await;
    }
    let mut extra = Vec::new();
    if entry
        .kind
        .as_deref()
        .is_some_and(|k| k == "feed" || k == "sitemap")
    {
        if let Some(e) = &entry.etag {
            extra.push(("If-None-Match".to_string(), e.clone()));
        }
        if let Some(l) = &entry.last_modified {
            extra.push(("If-Modified-Since".to_string(), l.clone()));
        }
    }
    let (result, exchanges, end) = fetch_chain(
        ctx,
        gate,
        &url,
        &extra,
        ctx.cfg.max_redirects,
        Some(&rules),
        false,
    )
    .await?;
    let received = SystemTime::now();
    let attempt = entry.attempts + 1;
    let outcome = match &result {
        Ok(ex) => Outcome::Response {
            status: ex.status,
            retry_after: ex.header("retry-after"),
            date: ex.header("date"),
        },
        Err(FetchError::Timeout(_)) => Outcome::Timeout,
        Err(FetchError::Network { .. }) => Outcome::NetworkError,
        Err(e) => {
            // Refused address, DNS failure, bad request: permanent.
            ctx.stats.errors.fetch_add(1, Ordering::Relaxed);
            completion.state = Final::Failed;
            completion.note = Some(e.to_string());
            return complete(ctx, completion, None, exchanges).await;
        }
    };
    let verdict = backoff::decide(
        &ctx.cfg.backoff,
        outcome,
        attempt,
        received,
        fastrand::f64(),
    );
    gate.pause(verdict.host_pause);
    let status = result.as_ref().ok().map(|e| e.status);
    let what = match (&result, status) {
        (_, Some(s)) => format!("HTTP {s}"),
        (Err(e), None) => e.to_string(),
        _ => String::new(),
    };
    match verdict.action {
        UrlAction::Done => {}
        UrlAction::Retry { after } => {
            ctx.stats.retries.fetch_add(1, Ordering::Relaxed);
            let not_before = ms_after(after);
            let note = format!("{what}; retry {attempt} in {} ms", after.as_millis());
            let h = exchanges;
            return ask(ctx, |reply| Cmd::Reschedule {
                id: entry.id,
                attempts: attempt,
                not_before_ms: not_before,
                note,
                exchanges: h,
                reply,
            })
            .await;
        }
        UrlAction::DeferHost { after } => {
            let until = ms_after(after);
            let note = format!(
                "{what}; host paused {} s (over the {} s cap)",
                secs_up(after),
                ctx.cfg.backoff.max_retry_after.as_secs()
            );
            let h = exchanges;
            ask(ctx, |reply| Cmd::Reschedule {
                id: entry.id,
                attempts: attempt,
                not_before_ms: until,
                note: note.clone(),
                exchanges: h,
                reply,
            })
            .await?;
            let host: Arc<str> = Arc::from(gate.key.as_str());
            let n = note.clone();
            ask(ctx, |reply| Cmd::DeferHost {
                host,
                until_ms: until,
                note: n,
                reply,
            })
            .await?;
            return Err(Stop::Exit(HostExit::Deferred(note)));
        }
        UrlAction::GiveUp => {
            ctx.stats.errors.fetch_add(1, Ordering::Relaxed);
            completion.state = Final::Failed;
            completion.status = status;
            completion.note = Some(format!("{what}; gave up after {attempt} attempts"));
            return complete(ctx, completion, None, exchanges).await;
        }
    }
    let mut ex = match result {
        Ok(ex) => ex,
        Err(e) => {
            completion.state = Final::Failed;
            completion.note = Some(e.to_string());
            return complete(ctx, completion, None, exchanges).await;
        }
    };
    ctx.stats.fetched.fetch_add(1, Ordering::Relaxed);
    completion.status = Some(ex.status);
    // Redirects: a loop or too many hops fail; a redirect to another origin is queued there.
    match end {
        ChainEnd::Final => {}
        ChainEnd::OtherOrigin(mut target) => {
            if canonicalize_url(&mut target).is_ok() {
                let scope = if entry.found_as == FoundAs::Seed {
                    target.host_str().unwrap_or("").to_string()
                } else {
                    entry.scope.clone()
                };
                if ctx.host_allowed(&target, &scope) {
                    completion.note = Some(format!("redirect to {target}"));
                    completion.discovered.push(NewUrl {
                        url: target,
                        scope,
                        depth: entry.depth,
                        found_as: entry.found_as,
                    });
                } else {
                    completion.state = Final::Skipped;
                    completion.note = Some(format!("redirect to {target} (host not allowed)"));
                }
            } else {
                completion.state = Final::Failed;
                completion.note = Some(format!("redirect to an unusable URL {target}"));
            }
            return complete(ctx, completion, None, exchanges).await;
        }
        ChainEnd::Loop(t) => {
            ctx.stats.errors.fetch_add(1, Ordering::Relaxed);
            completion.state = Final::Failed;
            completion.note = Some(format!("redirect loop at {t}"));
            return complete(ctx, completion, None, exchanges).await;
        }
        ChainEnd::TooMany => {
            ctx.stats.errors.fetch_add(1, Ordering::Relaxed);
            completion.state = Final::Failed;
            completion.note = Some(format!("more than {} redirects", ctx.cfg.max_redirects));
            return complete(ctx, completion, None, exchanges).await;
        }
        ChainEnd::Disallowed(t) => {
            ctx.stats.robots_blocked.fetch_add(1, Ordering::Relaxed);
            completion.state = Final::Skipped;
            completion.note = Some(format!("redirect to {t}, disallowed by robots.txt"));
            return complete(ctx, completion, None, exchanges).await;
        }
    }
    if ex.status == 304 {
        completion.note = Some("not modified".into());
        return complete(ctx, completion, None, exchanges).await;
    }
    if !(200..300).contains(&ex.status) {
        completion.state = Final::Failed;
        completion.note = Some(if (300..400).contains(&ex.status) {
            // A redirect the chain could not follow: say why, not just the status.
            match ex.header("location") {
                Some(l) if !l.trim().is_empty() => format!(
                    "HTTP {} redirect to an unusable Location {:?}",
                    ex.status,
                    l.chars().take(200).collect::<String>()
                ),
                _ => format!("HTTP {} redirect without a Location header", ex.status),
            }
        } else {
            format!("HTTP {}", ex.status)
        });
        ctx.stats.errors.fetch_add(1, Ordering::Relaxed);
        return complete(ctx, completion, None, exchanges).await;
    }
    if ex.body_skipped {
        completion.state = Final::Skipped;
        completion.note = Some(format!(
            "content type {} not processed",
            ex.header("content-type").unwrap_or("?")
        ));
        return complete(ctx, completion, None, exchanges).await;
    }
    if exchanges.len() > 1 {
        let mut end = ex.url.clone();
        if canonicalize_url(&mut end).is_ok() && end.as_str() != entry.url {
            completion.alias = Some(end);
        }
    }
    completion.etag = ex.header("etag").map(str::to_string);
    completion.last_modified = ex.header("last-modified").map(str::to_string);
    if ex.truncated {
        completion.note = Some(format!("body cut at {} bytes", ctx.cfg.fetch.max_body));
    }
    // Classify and mine on the page pool (scraper's DOM is not Send; keep it off the
    // async threads and never across an .await).
    let ctype = ex.header("content-type").map(str::to_string);
    let base = ex.url.clone();
    let want_links = entry.depth < ctx.cfg.max_depth;
    let want_feeds = entry.found_as == FoundAs::Seed;
    let max_body = ctx.cfg.fetch.max_body;
    let page = Page {
        url: ex.url.clone(),
        status: ex.status,
        headers: ex.headers.clone(),
        // Not used below: moved, not copied.
        body: std::mem::take(&mut ex.body),
        // The WARC-Date of the response record, so `ingest` of our WARC sees the same time.
        fetched_at: Some(ex.requested_at),
        source: PageSource::Crawl,
    };
    let preparer = ctx.preparer;
    let (mined, page) = ctx
        .pool
        .run(move || {
            let mined = mine(
                &page.body,
                ctype.as_deref(),
                &base,
                want_links,
                want_feeds,
                max_body,
            );
            // Decode, extract and fingerprint here, on the page pool (one thread per core), in parallel.
            let page = (mined.kind == DocKind::Html).then(|| {
                let prepared = preparer.map(|p| p(&page));
                Box::new((page, prepared))
            });
            (mined, page)
        })
        .await
        .map_err(|e| Stop::Exit(HostExit::Fatal(e.to_string())))?;
    completion.kind = Some(mined.kind.as_str());
    let mut seen: HashSet<String> = HashSet::new();
    let mut push = |mut u: Url, scope: &str, depth: u32, found_as: FoundAs, c: &mut Completion| {
        if canonicalize_url(&mut u).is_err() || !seen.insert(u.to_string()) {
            return;
        }
        if ctx.host_allowed(&u, scope) {
            c.discovered.push(NewUrl {
                url: u,
                scope: scope.to_string(),
                depth,
                found_as,
            });
        }
    };
    let page_host = ex.url.host_str().unwrap_or("").to_string();
    match mined.kind {
        DocKind::Html => {
            for u in mined.links {
                if u.host_str() == Some(entry.scope.as_str()) {
                    push(
                        u,
                        &entry.scope,
                        entry.depth + 1,
                        FoundAs::Link,
                        &mut completion,
                    );
                }
            }
            for u in mined.feeds {
                push(
                    u,
                    &entry.scope,
                    entry.depth + 1,
                    FoundAs::Feed,
                    &mut completion,
                );
            }
        }
        DocKind::Feed | DocKind::Sitemap => {
            for u in mined.entries {
                let scope = u.host_str().unwrap_or(&page_host).to_string();
                push(u, &scope, entry.depth + 1, FoundAs::Entry, &mut completion);
            }
            for u in mined.sitemaps {
                push(
                    u,
                    &entry.scope,
                    entry.depth,
                    FoundAs::Sitemap,
                    &mut completion,
                );
            }
        }
        DocKind::Other => {
            completion.state = Final::Skipped;
            completion.note = Some("not HTML, a feed or a sitemap".into());
        }
    }
    if page.is_some() {
        ctx.stats.pages.fetch_add(1, Ordering::Relaxed);
    }
    complete(ctx, completion, page, exchanges).await
}

/// What a document leads to.
struct Mined {
    kind: DocKind,
    links: Vec<Url>,
    feeds: Vec<Url>,
    entries: Vec<Url>,
    sitemaps: Vec<Url>,
}

fn mine(
    body: &[u8],
    ctype: Option<&str>,
    base: &Url,
    want_links: bool,
    want_feeds: bool,
    max_body: usize,
) -> Mined {
    let plain = discover::gunzip_if_needed(body, max_body);
    let kind = discover::classify(ctype, &plain);
    let mut m = Mined {
        kind,
        links: Vec::new(),
        feeds: Vec::new(),
        entries: Vec::new(),
        sitemaps: Vec::new(),
    };
    let abs = |s: &str| base.join(s.trim()).ok();
    match kind {
        DocKind::Html if want_links || want_feeds => {
            let l = discover::html_links_for(&plain, ctype, base, want_links);
            if want_links {
                m.links = l.links;
            }
            if want_feeds {
                m.feeds = l.feeds;
            }
        }
        DocKind::Feed => {
            m.entries = discover::feed_entries(&plain)
                .unwrap_or_default()
                .iter()
                .filter_map(|s| abs(s))
                .collect();
        }
        DocKind::Sitemap => {
            let s = discover::sitemap_entries(&plain);
            m.entries = s.pages.iter().filter_map(|u| abs(u)).collect();
            m.sitemaps = s.sitemaps.iter().filter_map(|u| abs(u)).collect();
        }
        _ => {}
    }
    m
}

async fn complete(
    ctx: &Ctx,
    completion: Completion,
    page: Option<Box<(Page, Option<super::writer::Prepared>)>>,
    exchanges: Vec<Exchange>,
) -> Result<(), Stop> {
    ask(ctx, |reply| Cmd::Complete {
        completion,
        page,
        exchanges,
        reply,
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_over_a_cap_never_print_as_the_cap() {
        let cap = Duration::from_secs(3600);
        let over = cap + Duration::from_millis(1);
        assert!(secs_up(over) > cap.as_secs());
        assert_eq!(secs_up(cap), 3600);
        assert_eq!(secs_up(Duration::from_millis(1500)), 2);
        assert_eq!(secs_up(Duration::ZERO), 0);
    }
}
