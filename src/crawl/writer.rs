//! The writer: the one thread that owns the SQLite connection (frontier tables), the page sink
//! and the WARC file. Host workers talk to it over a bounded channel (backpressure) and get
//! their answers on oneshot channels; it tells the coordinator which hosts got new work.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};

use super::fetch::Exchange;
use super::frontier::{Completion, Entry, Frontier, FrontierError, NewUrl, On};
use super::warc::WarcWriter;
use crate::page::Page;

/// A page's CPU-heavy processing done ahead of [`PageConsumer::add`] on any thread (decode →
/// extract → fingerprint), so the single writer only writes.
pub struct Prepared {
    /// [`crate::store::content_hash`] of the body.
    pub hash: String,
    /// The page's analysis.
    pub analysis: crate::pipeline::Analysis,
    /// The body, gzip-compressed by [`crate::store::compress`] (`None`: the consumer
    /// compresses it if it stores it).
    pub body_gz: Option<Vec<u8>>,
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
    /// preparer already ran. Returns whether the page was new or the same URL with the same
    /// body was already stored (a re-polled seed that did not change).
    ///
    /// # Errors
    /// A description of the failure; the URL is then recorded as failed.
    fn add(&mut self, page: Page, prepared: Option<Prepared>) -> Result<Stored, String>;
    /// Makes every page accepted by `add` so far durable (commits a group of pages). The
    /// writer calls it before it records those pages' URLs as done in the frontier, so a
    /// crash never leaves a URL marked done whose page is not stored.
    ///
    /// # Errors
    /// A description of the failure; the pages added since the last flush are then not
    /// stored (their URLs are recorded as failed).
    fn flush(&mut self) -> Result<(), String> {
        Ok(())
    }
    /// The consumer's connection to the store, if it writes to one. When it is a connection to
    /// the frontier's store file, the writer runs the frontier on it: a group's URLs are then
    /// recorded inside the transaction that stores its pages (one commit for both), and the
    /// frontier and the consumer never invalidate each other's page cache. Writes made through
    /// it while [`PageConsumer::flush`] has nothing to commit run in their own transaction.
    fn connection(&self) -> Option<&rusqlite::Connection> {
        None
    }
    /// Ends the crawl's processing (recomputes links).
    ///
    /// # Errors
    /// A description of the failure.
    fn finish(self: Box<Self>) -> Result<(), String>;
}

/// What [`PageConsumer::add`] did with a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// New content: stored (durable after the next flush).
    New,
    /// The same URL with the same body is already stored; nothing was written.
    Unchanged,
}

fn prepare_for_sink(page: &Page) -> Prepared {
    Prepared {
        hash: crate::store::content_hash(&page.body),
        analysis: crate::pipeline::analyse(page),
        body_gz: Some(crate::store::compress(&page.body)),
    }
}

impl PageConsumer for crate::ingest::PageSink {
    fn preparer(&self) -> Option<Preparer> {
        Some(prepare_for_sink)
    }
    fn add(&mut self, page: Page, prepared: Option<Prepared>) -> Result<Stored, String> {
        let r = match prepared {
            Some(p) => self.add_prepared(&page, &p.hash, &p.analysis, p.body_gz.as_deref()),
            None => crate::ingest::PageSink::add(self, page),
        };
        match r {
            Ok(crate::ingest::AddOutcome::Added(_)) => Ok(Stored::New),
            Ok(crate::ingest::AddOutcome::Unchanged(_)) => Ok(Stored::Unchanged),
            Err(e) => Err(e.to_string()),
        }
    }
    fn flush(&mut self) -> Result<(), String> {
        crate::ingest::PageSink::flush(self).map_err(|e| e.to_string())
    }
    fn connection(&self) -> Option<&rusqlite::Connection> {
        // Writes through it join the sink's open batch (see `PageSink::store`).
        Some(self.store().conn())
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
    /// The pause recorded for a host by a deferral (Unix ms), if any.
    HostPause {
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
    /// Pages the sink stored (new content, flushed).
    pub pages_stored: AtomicU64,
    /// Pages the sink already had with the same body (re-polled, unchanged; flushed).
    pub pages_unchanged: AtomicU64,
    /// Pages the sink rejected.
    pub sink_errors: AtomicU64,
    /// WARC records pairs written.
    pub warc_exchanges: AtomicU64,
}

/// Most commands taken off the channel at once; a run of `Complete` commands among them is
/// stored as one group (one commit of the page sink).
pub const MAX_GROUP: usize = 64;

/// A `Complete` whose page was handed to the consumer but whose frontier entry is not yet
/// recorded (waits for the group's flush).
struct Staged {
    completion: Completion,
    /// The page was accepted by the consumer (to be confirmed by the flush).
    added: bool,
    /// … and the consumer already had it ([`Stored::Unchanged`]).
    unchanged: bool,
    /// The WARC write failed: the URL is not completed and the error is the answer.
    warc_error: Option<String>,
    reply: oneshot::Sender<WResult<()>>,
}

/// Runs the writer loop until every sender is dropped, then finishes the sink. Returns the
/// frontier (for the summary) or the first fatal error.
///
/// Group commit: the commands already queued (up to [`MAX_GROUP`]) are taken together; the
/// pages of consecutive `Complete` commands go to the consumer, one [`PageConsumer::flush`]
/// makes them durable, and their frontier entries are recorded in the same transaction when
/// the consumer's connection is one to the frontier's store file ([`PageConsumer::connection`]),
/// else right after the flush on the frontier's own connection; only then are their senders
/// answered — so a URL is never marked done before its page is stored. Under a light load a
/// group is a single command (no waiting for a batch to fill).
pub fn run_writer(
    frontier: Frontier,
    mut consumer: Box<dyn PageConsumer>,
    mut warc: Option<WarcWriter>,
    mut rx: mpsc::Receiver<Cmd>,
    new_work: mpsc::UnboundedSender<Vec<String>>,
    stats: Arc<WriterStats>,
) -> Result<Frontier, String> {
    let fe = |e: FrontierError| e.to_string();
    // The frontier runs on the consumer's connection when both use the same store file.
    let share = consumer
        .connection()
        .is_some_and(|c| frontier.shares_file_with(c));
    if share && let Some(c) = consumer.connection() {
        // The sink's ~10 per-page statements and the frontier's share the connection's cache
        // of prepared statements (rusqlite's default holds 16): room for both, so none is
        // prepared again for every page.
        // (Stable query plans, set on every store connection by `Store::open`, keep them from
        // being prepared again at every call: the writer's instructions −22 % on the crawl
        // bench.)
        c.set_prepared_statement_cache_capacity(64);
    }
    let mut last_count = std::time::Instant::now();
    if let Ok(n) = on(&frontier, &*consumer, share).queued_count() {
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
    // Answers the senders of a recorded group and announces the hosts that got new work.
    let answer = |recorded: Vec<Staged>, hosts: Result<Vec<Vec<String>>, String>| match hosts {
        Ok(hosts) => {
            for (st, hosts) in recorded.into_iter().zip(hosts) {
                if !hosts.is_empty() {
                    let _ = new_work.send(hosts);
                }
                let _ = st.reply.send(Ok(()));
            }
        }
        Err(e) => {
            for st in recorded {
                let _ = st.reply.send(Err(e.clone()));
            }
        }
    };
    // Commits the staged group's pages and records their URLs, then answers.
    let finish_group = |group: &mut Vec<Staged>,
                        consumer: &mut Box<dyn PageConsumer>,
                        frontier: &Frontier| {
        if group.is_empty() {
            return;
        }
        let mut recorded: Vec<Staged> = Vec::with_capacity(group.len());
        for st in group.drain(..) {
            match st.warc_error {
                Some(e) => {
                    let _ = st.reply.send(Err(e));
                }
                None => recorded.push(st),
            }
        }
        let added = recorded.iter().filter(|st| st.added).count() as u64;
        let unchanged = recorded.iter().filter(|st| st.unchanged).count() as u64;
        let count_stored = || {
            stats
                .pages_stored
                .fetch_add(added - unchanged, Ordering::Relaxed);
            stats
                .pages_unchanged
                .fetch_add(unchanged, Ordering::Relaxed);
        };
        // One transaction for pages and URLs: the consumer's batch is open on the
        // frontier's store file, so the URLs are recorded inside it before its commit.
        let in_batch =
            share && added > 0 && consumer.connection().is_some_and(|c| !c.is_autocommit());
        let mut announce_too: Vec<Vec<String>> = Vec::new();
        let flushed = if in_batch {
            let completions: Vec<&Completion> = recorded.iter().map(|st| &st.completion).collect();
            let first = frontier
                .on(consumer.connection())
                .complete_many(&completions, super::engine::now_ms())
                .map_err(fe);
            match (first, consumer.flush()) {
                (Ok(hosts), Ok(())) => {
                    count_stored();
                    answer(recorded, Ok(hosts));
                    return;
                }
                (Err(e), Ok(())) => {
                    // The pages are stored, their URLs not: the crawl stops (as when a
                    // frontier transaction of its own fails).
                    count_stored();
                    answer(recorded, Err(e));
                    return;
                }
                // The commit failed: its transaction, URLs included, was rolled back; the
                // URLs are recorded below with the pages as failed. Hosts announced by the
                // first attempt are announced again (an extra announcement is harmless).
                (first, Err(e)) => {
                    if let Ok(hosts) = first {
                        announce_too = hosts;
                    }
                    Err(e)
                }
            }
        } else {
            consumer.flush()
        };
        if flushed.is_ok() {
            count_stored();
        }
        if let Err(e) = &flushed {
            for st in recorded.iter_mut().filter(|st| st.added) {
                stats.sink_errors.fetch_add(1, Ordering::Relaxed);
                st.completion.state = super::frontier::Final::Failed;
                st.completion.note = Some(format!("store: {e}"));
            }
        }
        for hosts in announce_too {
            if !hosts.is_empty() {
                let _ = new_work.send(hosts);
            }
        }
        // Every URL of the group in one frontier transaction.
        let completions: Vec<&Completion> = recorded.iter().map(|st| &st.completion).collect();
        let hosts = on(frontier, &**consumer, share)
            .complete_many(&completions, super::engine::now_ms())
            .map_err(fe);
        answer(recorded, hosts);
    };
    let mut group: Vec<Staged> = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let mut cmds = vec![first];
        while cmds.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(c) => cmds.push(c),
                Err(_) => break,
            }
        }
        for cmd in cmds {
            let cmd = match cmd {
                Cmd::Complete {
                    mut completion,
                    page,
                    exchanges,
                    reply,
                } => {
                    let (mut added, mut unchanged, mut warc_error) = (false, false, None);
                    if let Err(e) = write_warc(&mut warc, &exchanges) {
                        warc_error = Some(e);
                    } else if let Some(page) = page {
                        let (page, prepared) = *page;
                        match consumer.add(page, prepared) {
                            Ok(stored) => {
                                added = true;
                                unchanged = stored == Stored::Unchanged;
                            }
                            Err(e) => {
                                stats.sink_errors.fetch_add(1, Ordering::Relaxed);
                                completion.state = super::frontier::Final::Failed;
                                completion.note = Some(format!("store: {e}"));
                            }
                        }
                    }
                    let staged = Staged {
                        completion,
                        added,
                        unchanged,
                        warc_error,
                        reply,
                    };
                    group.push(staged);
                    continue;
                }
                other => other,
            };
            // Any other command sees the group's pages committed and recorded first.
            finish_group(&mut group, &mut consumer, &frontier);
            handle(
                cmd,
                on(&frontier, &*consumer, share),
                &mut warc,
                &write_warc,
                &new_work,
                fe,
            );
        }
        finish_group(&mut group, &mut consumer, &frontier);
        if last_count.elapsed() > std::time::Duration::from_secs(2) {
            last_count = std::time::Instant::now();
            if let Ok(n) = on(&frontier, &*consumer, share).queued_count() {
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

/// The frontier on the consumer's connection when `share`, else on its own connection.
fn on<'a>(frontier: &'a Frontier, consumer: &'a dyn PageConsumer, share: bool) -> On<'a> {
    frontier.on(if share { consumer.connection() } else { None })
}

/// Writes exchanges to the WARC file, if any.
type WriteWarc<'a> = dyn Fn(&mut Option<WarcWriter>, &[Exchange]) -> WResult<()> + 'a;

/// Serves one command other than `Complete`.
fn handle(
    cmd: Cmd,
    frontier: On<'_>,
    warc: &mut Option<WarcWriter>,
    write_warc: &WriteWarc<'_>,
    new_work: &mpsc::UnboundedSender<Vec<String>>,
    fe: fn(FrontierError) -> String,
) {
    match cmd {
        Cmd::Complete { reply, .. } => {
            // Staged by the caller; never reaches here.
            let _ = reply.send(Err("internal: Complete not staged".into()));
        }
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
        Cmd::HostPause { host, reply } => {
            let _ = reply.send(frontier.host_pause(&host).map_err(fe));
        }
        Cmd::Reschedule {
            id,
            attempts,
            not_before_ms,
            note,
            exchanges,
            reply,
        } => {
            let r = write_warc(warc, &exchanges).and_then(|()| {
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
            if let Err(e) = write_warc(warc, &exs) {
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
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::crawl::frontier::{Final, FoundAs};
    use crate::page::PageSource;

    /// Records what the writer asks of it; at each flush, notes how many frontier rows are
    /// already recorded done (read through a connection of its own, as after a crash). With a
    /// connection of its own to the store (`conn`), it behaves like the page sink: `add` opens
    /// a transaction, `flush` commits it (or rolls it back when failing) and the log also notes
    /// the rows recorded done inside that transaction.
    struct Recorder {
        log: Arc<Mutex<Vec<String>>>,
        db: std::path::PathBuf,
        fail_flush: bool,
        conn: Option<rusqlite::Connection>,
    }

    impl PageConsumer for Recorder {
        fn add(&mut self, page: Page, _prepared: Option<Prepared>) -> Result<Stored, String> {
            if let Some(c) = &self.conn
                && c.is_autocommit()
            {
                c.execute_batch("BEGIN IMMEDIATE").unwrap();
            }
            self.log.lock().unwrap().push(format!("add {}", page.url));
            Ok(Stored::New)
        }
        fn flush(&mut self) -> Result<(), String> {
            let done = Frontier::open(&self.db).unwrap().counts().unwrap().done;
            let mut line = format!("flush (done {done})");
            if let Some(c) = &self.conn {
                let inside: i64 = c
                    .query_row(
                        "SELECT COUNT(*) FROM frontier WHERE state != 'queued'",
                        [],
                        |r| r.get(0),
                    )
                    .unwrap();
                line = format!("flush (done {done}, {inside} inside the batch)");
                let end = if self.fail_flush {
                    "ROLLBACK"
                } else {
                    "COMMIT"
                };
                c.execute_batch(end).unwrap();
            }
            self.log.lock().unwrap().push(line);
            if self.fail_flush {
                Err("disk full".into())
            } else {
                Ok(())
            }
        }
        fn connection(&self) -> Option<&rusqlite::Connection> {
            self.conn.as_ref()
        }
        fn finish(self: Box<Self>) -> Result<(), String> {
            self.log.lock().unwrap().push("finish".into());
            Ok(())
        }
    }

    /// Queues four URLs, sends their `Complete` commands before the writer starts (so they
    /// form one group), runs the writer; returns the log, the frontier and the answers. With
    /// `shared`, the consumer has a connection of its own to the same store file.
    fn run_group(
        fail_flush: bool,
        shared: bool,
    ) -> (Vec<String>, Frontier, Vec<WResult<()>>, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let mut frontier = Frontier::open(&db).unwrap();
        let urls: Vec<NewUrl> = (0..4)
            .map(|i| NewUrl {
                url: url::Url::parse(&format!("https://a.example/{i}")).unwrap(),
                scope: "a.example".into(),
                depth: 0,
                found_as: FoundAs::Seed,
            })
            .collect();
        frontier.add(&urls, 0).unwrap();
        let entries = frontier.next_batch("https://a.example", 0, 10, 0).unwrap();
        assert_eq!(entries.len(), 4);
        let (tx, rx) = mpsc::channel(16);
        let mut answers = Vec::new();
        for e in &entries {
            let (reply, answer) = oneshot::channel();
            answers.push(answer);
            let page = Page {
                url: url::Url::parse(&e.url).unwrap(),
                status: 200,
                headers: vec![],
                body: b"<p>x</p>".to_vec(),
                fetched_at: None,
                source: PageSource::Crawl,
            };
            tx.try_send(Cmd::Complete {
                completion: Completion {
                    id: e.id,
                    state: Final::Done,
                    status: Some(200),
                    kind: Some("html"),
                    note: None,
                    etag: None,
                    last_modified: None,
                    attempts: 1,
                    discovered: vec![],
                    alias: None,
                },
                page: Some(Box::new((page, None))),
                exchanges: vec![],
                reply,
            })
            .unwrap();
        }
        drop(tx);
        let log = Arc::new(Mutex::new(Vec::new()));
        let consumer = Box::new(Recorder {
            log: Arc::clone(&log),
            db: db.clone(),
            fail_flush,
            conn: shared.then(|| rusqlite::Connection::open(&db).unwrap()),
        });
        let (new_work, _work_rx) = mpsc::unbounded_channel();
        let stats = Arc::new(WriterStats::default());
        let frontier = run_writer(frontier, consumer, None, rx, new_work, stats).unwrap();
        let answers = answers
            .into_iter()
            .map(|mut a| a.try_recv().unwrap())
            .collect();
        let log = log.lock().unwrap().clone();
        let notes = rusqlite::Connection::open(&db)
            .unwrap()
            .prepare("SELECT COALESCE(note, '') FROM frontier ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (log, frontier, answers, notes)
    }

    #[test]
    fn a_group_of_pages_is_flushed_once_before_its_urls_are_recorded_done() {
        let (log, frontier, answers, _) = run_group(false, false);
        assert_eq!(
            log,
            vec![
                "add https://a.example/0",
                "add https://a.example/1",
                "add https://a.example/2",
                "add https://a.example/3",
                "flush (done 0)",
                "finish"
            ]
        );
        assert!(answers.iter().all(Result::is_ok));
        assert_eq!(frontier.counts().unwrap().done, 4);
    }

    #[test]
    fn a_failed_flush_records_the_groups_urls_as_failed() {
        let (log, frontier, answers, notes) = run_group(true, false);
        assert_eq!(log.iter().filter(|l| l.starts_with("flush")).count(), 1);
        assert!(answers.iter().all(Result::is_ok));
        let c = frontier.counts().unwrap();
        assert_eq!((c.done, c.failed), (0, 4));
        assert!(
            notes.iter().all(|n| n.contains("store: disk full")),
            "{notes:?}"
        );
    }

    #[test]
    fn with_the_consumers_connection_urls_are_recorded_in_the_pages_transaction() {
        let (log, frontier, answers, _) = run_group(false, true);
        assert_eq!(
            log[4], "flush (done 0, 4 inside the batch)",
            "URLs recorded inside the consumer's open transaction, not committed before it: {log:?}"
        );
        assert_eq!(log.len(), 6, "{log:?}");
        assert!(answers.iter().all(Result::is_ok));
        assert_eq!(frontier.counts().unwrap().done, 4);
    }

    #[test]
    fn with_the_consumers_connection_a_failed_commit_records_the_urls_as_failed() {
        let (log, frontier, answers, notes) = run_group(true, true);
        assert_eq!(log[4], "flush (done 0, 4 inside the batch)", "{log:?}");
        assert!(answers.iter().all(Result::is_ok));
        let c = frontier.counts().unwrap();
        assert_eq!((c.done, c.failed, c.queued), (0, 4, 0));
        assert!(
            notes.iter().all(|n| n.contains("store: disk full")),
            "{notes:?}"
        );
    }

    #[test]
    fn a_connection_to_another_file_is_not_used_for_the_frontier() {
        let dir = tempfile::tempdir().unwrap();
        let frontier = Frontier::open(&dir.path().join("a.db")).unwrap();
        let other = rusqlite::Connection::open(dir.path().join("b.db")).unwrap();
        let same = rusqlite::Connection::open(dir.path().join("a.db")).unwrap();
        assert!(!frontier.shares_file_with(&other));
        assert!(frontier.shares_file_with(&same));
        let memory = rusqlite::Connection::open_in_memory().unwrap();
        assert!(!frontier.shares_file_with(&memory));
    }
}
