//! The writer: the one thread that owns the SQLite connection (frontier tables), the page sink
//! and the WARC file. Host workers talk to it over a bounded channel (backpressure) and get
//! their answers on oneshot channels; it tells the coordinator which hosts got new work.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};

use super::fetch::Exchange;
use super::frontier::{Completion, Entry, Frontier, FrontierError, NewUrl};
use super::warc::WarcWriter;
use crate::page::Page;

/// A page's CPU-heavy processing done ahead of [`PageConsumer::add`] on any thread (decode →
/// extract → fingerprint), so the single writer only writes.
pub struct Prepared {
    /// [`crate::store::content_hash`] of the body.
    pub hash: String,
    /// The page's analysis.
    pub analysis: crate::pipeline::Analysis,
}

/// A function preparing pages on worker threads.
pub type Preparer = fn(&Page) -> Prepared;

/// Where fetched pages go: [`crate::ingest::PageSink`] in the CLI, a recorder in tests.
pub trait PageConsumer: Send {
    /// The work that may run on worker threads before `add`, if any.
    fn preparer(&self) -> Option<Preparer> {
        None
    }
    /// Processes one page (decode → extract → fingerprint → store), using `prepared` when the
    /// preparer already ran.
    ///
    /// # Errors
    /// A description of the failure; the URL is then recorded as failed.
    fn add(&mut self, page: Page, prepared: Option<Prepared>) -> Result<(), String>;
    /// Ends the crawl's processing (recomputes links).
    ///
    /// # Errors
    /// A description of the failure.
    fn finish(self: Box<Self>) -> Result<(), String>;
}

fn prepare_for_sink(page: &Page) -> Prepared {
    Prepared {
        hash: crate::store::content_hash(&page.body),
        analysis: crate::pipeline::analyse(page),
    }
}

impl PageConsumer for crate::ingest::PageSink {
    fn preparer(&self) -> Option<Preparer> {
        Some(prepare_for_sink)
    }
    fn add(&mut self, page: Page, prepared: Option<Prepared>) -> Result<(), String> {
        let r = match prepared {
            Some(p) => self.add_analysed(&page, &p.hash, &p.analysis),
            None => crate::ingest::PageSink::add(self, page),
        };
        r.map(|_| ()).map_err(|e| e.to_string())
    }
    fn finish(self: Box<Self>) -> Result<(), String> {
        crate::ingest::PageSink::finish(*self)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Result type of writer requests (errors as text: they end the crawl).
pub type WResult<T> = Result<T, String>;

/// Where a writer answer goes.
pub type Reply<T> = oneshot::Sender<WResult<T>>;

/// A cached robots.txt answer: status and body.
pub type CachedRobots = Option<(u16, Vec<u8>)>;

/// Hosts with queued URLs (with their earliest due time, Unix ms) and the next re-poll time.
pub type RequeueAnswer = (Vec<(String, i64)>, Option<i64>);

/// A request to the writer.
pub enum Cmd {
    /// Queued, due URLs of a host after a cursor.
    Batch {
        /// Host key.
        host: Arc<str>,
        /// Cursor (row id).
        after: i64,
        /// Batch size.
        limit: usize,
        /// Now, Unix ms.
        now_ms: i64,
        /// Answer.
        reply: oneshot::Sender<WResult<Vec<Entry>>>,
    },
    /// Earliest `not_before` of a host's queued URLs.
    NextDue {
        /// Host key.
        host: Arc<str>,
        /// Answer.
        reply: oneshot::Sender<WResult<Option<i64>>>,
    },
    /// A URL is finished: write its exchanges, hand its page to the sink, record it.
    Complete {
        /// Frontier update and discoveries.
        completion: Completion,
        /// The page for the sink (HTML pages only), prepared when the sink has a preparer.
        page: Option<Box<(Page, Option<Prepared>)>>,
        /// HTTP exchanges for the WARC file.
        exchanges: Vec<Exchange>,
        /// Answer (after the commit).
        reply: oneshot::Sender<WResult<()>>,
    },
    /// A URL is retried later.
    Reschedule {
        /// Row id.
        id: i64,
        /// Attempts so far.
        attempts: u32,
        /// Not before (Unix ms).
        not_before_ms: i64,
        /// Why.
        note: String,
        /// Exchanges for the WARC file.
        exchanges: Vec<Exchange>,
        /// Answer.
        reply: oneshot::Sender<WResult<()>>,
    },
    /// A host is paused beyond this run's cap.
    DeferHost {
        /// Host key.
        host: Arc<str>,
        /// Until (Unix ms).
        until_ms: i64,
        /// Why.
        note: String,
        /// Answer.
        reply: oneshot::Sender<WResult<()>>,
    },
    /// Exchanges not tied to a frontier row (robots.txt).
    Exchanges(Vec<Exchange>),
    /// Cached robots.txt answer newer than `since_ms`.
    GetRobots {
        /// Host key.
        host: Arc<str>,
        /// Oldest acceptable fetch time.
        since_ms: i64,
        /// Answer.
        reply: Reply<CachedRobots>,
    },
    /// Cache a robots.txt answer.
    PutRobots {
        /// Host key.
        host: Arc<str>,
        /// Status.
        status: u16,
        /// Body.
        body: Vec<u8>,
        /// Now (Unix ms).
        now_ms: i64,
    },
    /// Add URLs (robots.txt `Sitemap:` lines).
    Add {
        /// URLs.
        urls: Vec<NewUrl>,
        /// Now (Unix ms).
        now_ms: i64,
        /// Answer.
        reply: oneshot::Sender<WResult<()>>,
    },
    /// Re-queue what is due for a re-poll and list hosts with queued URLs (watch mode).
    Requeue {
        /// Now (Unix ms).
        now_ms: i64,
        /// Re-poll interval (ms).
        repoll_ms: i64,
        /// Re-crawl interval for pages (ms).
        recrawl_ms: Option<i64>,
        /// Answer: hosts with queued URLs and the next re-poll time.
        reply: Reply<RequeueAnswer>,
    },
}

/// Counters shared with the progress display.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Queued URLs in the frontier (refreshed about every 2 s).
    pub queued: AtomicU64,
    /// Pages handed to the sink.
    pub pages_stored: AtomicU64,
    /// Pages the sink rejected.
    pub sink_errors: AtomicU64,
    /// WARC records pairs written.
    pub warc_exchanges: AtomicU64,
}

/// Runs the writer loop until every sender is dropped, then finishes the sink. Returns the
/// frontier (for the summary) or the first fatal error.
pub fn run_writer(
    mut frontier: Frontier,
    mut consumer: Box<dyn PageConsumer>,
    mut warc: Option<WarcWriter>,
    mut rx: mpsc::Receiver<Cmd>,
    new_work: mpsc::UnboundedSender<Vec<String>>,
    stats: Arc<WriterStats>,
) -> Result<Frontier, String> {
    let fe = |e: FrontierError| e.to_string();
    let mut last_count = std::time::Instant::now();
    if let Ok(n) = frontier.queued_count() {
        stats.queued.store(n, Ordering::Relaxed);
    }
    let write_warc = |warc: &mut Option<WarcWriter>, exs: &[Exchange]| -> WResult<()> {
        if let Some(w) = warc.as_mut() {
            for ex in exs {
                w.write_exchange(ex).map_err(|e| e.to_string())?;
                stats.warc_exchanges.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(())
    };
    while let Some(cmd) = rx.blocking_recv() {
        match cmd {
            Cmd::Batch {
                host,
                after,
                limit,
                now_ms,
                reply,
            } => {
                let _ = reply.send(frontier.next_batch(&host, after, limit, now_ms).map_err(fe));
            }
            Cmd::NextDue { host, reply } => {
                let _ = reply.send(frontier.next_due(&host).map_err(fe));
            }
            Cmd::Complete {
                mut completion,
                page,
                exchanges,
                reply,
            } => {
                let r = (|| {
                    write_warc(&mut warc, &exchanges)?;
                    if let Some(page) = page {
                        let (page, prepared) = *page;
                        match consumer.add(page, prepared) {
                            Ok(()) => {
                                stats.pages_stored.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => {
                                stats.sink_errors.fetch_add(1, Ordering::Relaxed);
                                completion.state = super::frontier::Final::Failed;
                                completion.note = Some(format!("store: {e}"));
                            }
                        }
                    }
                    let hosts = frontier
                        .complete(&completion, super::engine::now_ms())
                        .map_err(fe)?;
                    if !hosts.is_empty() {
                        let _ = new_work.send(hosts);
                    }
                    Ok(())
                })();
                let _ = reply.send(r);
            }
            Cmd::Reschedule {
                id,
                attempts,
                not_before_ms,
                note,
                exchanges,
                reply,
            } => {
                let r = write_warc(&mut warc, &exchanges).and_then(|()| {
                    frontier
                        .reschedule(id, attempts, not_before_ms, &note)
                        .map_err(fe)
                });
                let _ = reply.send(r);
            }
            Cmd::DeferHost {
                host,
                until_ms,
                note,
                reply,
            } => {
                let _ = reply.send(frontier.defer_host(&host, until_ms, &note).map_err(fe));
            }
            Cmd::Exchanges(exs) => {
                if let Err(e) = write_warc(&mut warc, &exs) {
                    tracing::error!("{e}");
                }
            }
            Cmd::GetRobots {
                host,
                since_ms,
                reply,
            } => {
                let _ = reply.send(frontier.robots(&host, since_ms).map_err(fe));
            }
            Cmd::PutRobots {
                host,
                status,
                body,
                now_ms,
            } => {
                if let Err(e) = frontier.put_robots(&host, status, &body, now_ms) {
                    tracing::warn!("caching robots.txt of {host}: {e}");
                }
            }
            Cmd::Add {
                urls,
                now_ms,
                reply,
            } => {
                let r = frontier.add(&urls, now_ms).map_err(fe).map(|hosts| {
                    if !hosts.is_empty() {
                        let _ = new_work.send(hosts);
                    }
                });
                let _ = reply.send(r);
            }
            Cmd::Requeue {
                now_ms,
                repoll_ms,
                recrawl_ms,
                reply,
            } => {
                let r = (|| {
                    frontier
                        .requeue_due(now_ms, repoll_ms, recrawl_ms)
                        .map_err(fe)?;
                    let hosts = frontier.queued_hosts().map_err(fe)?;
                    let next = frontier.next_repoll(repoll_ms).map_err(fe)?;
                    Ok((hosts, next))
                })();
                let _ = reply.send(r);
            }
        }
        if last_count.elapsed() > std::time::Duration::from_secs(2) {
            last_count = std::time::Instant::now();
            if let Ok(n) = frontier.queued_count() {
                stats.queued.store(n, Ordering::Relaxed);
            }
        }
    }
    if let Some(w) = warc.as_mut() {
        w.flush().map_err(|e| e.to_string())?;
    }
    consumer.finish()?;
    Ok(frontier)
}
