//! The frontier in the SQLite store (tables in [`super::schema`]): synchronous operations used
//! by the one task that owns the connection.
//!
//! Crash safety: a URL's row only leaves `queued` in the transaction that also inserts the URLs
//! it led to, so a crash (SIGKILL included) loses nothing; a URL in flight at the crash is still
//! `queued` and is fetched by the next run.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use url::Url;

use crate::store::{Store, StoreError};

/// Errors of the frontier.
#[derive(Debug, thiserror::Error)]
pub enum FrontierError {
    /// Opening or migrating the store failed.
    #[error("opening the store: {0}")]
    Store(#[from] StoreError),
    /// A frontier query failed.
    #[error("frontier query failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// How a URL entered the frontier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundAs {
    /// Listed in the seeds file.
    Seed,
    /// A link on a page.
    Link,
    /// An entry of a feed or a sitemap.
    Entry,
    /// A child sitemap (sitemap index, robots.txt `Sitemap:`).
    Sitemap,
    /// A feed announced by a page (`<link rel=alternate>`).
    Feed,
    /// The target of a redirect to another host.
    Redirect,
}

impl FoundAs {
    /// Name stored in the `found_as` column.
    pub fn as_str(self) -> &'static str {
        match self {
            FoundAs::Seed => "seed",
            FoundAs::Link => "link",
            FoundAs::Entry => "entry",
            FoundAs::Sitemap => "sitemap",
            FoundAs::Feed => "feed",
            FoundAs::Redirect => "redirect",
        }
    }

    fn parse(s: &str) -> FoundAs {
        match s {
            "seed" => FoundAs::Seed,
            "entry" => FoundAs::Entry,
            "sitemap" => FoundAs::Sitemap,
            "feed" => FoundAs::Feed,
            "redirect" => FoundAs::Redirect,
            _ => FoundAs::Link,
        }
    }
}

/// A URL to add (already canonical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUrl {
    /// Canonical URL.
    pub url: Url,
    /// Host name whose links may be followed from it (the seed's host).
    pub scope: String,
    /// Link hops from a seed.
    pub depth: u32,
    /// How it was found.
    pub found_as: FoundAs,
}

/// A queued URL handed to a host worker.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Row id.
    pub id: i64,
    /// Canonical URL.
    pub url: String,
    /// Politeness key (origin).
    pub host: String,
    /// Scope host name.
    pub scope: String,
    /// Link hops from a seed.
    pub depth: u32,
    /// How it was found.
    pub found_as: FoundAs,
    /// What it was the last time (`feed`, `sitemap`, `html`), for re-polls.
    pub kind: Option<String>,
    /// Requests made for it so far (retries).
    pub attempts: u32,
    /// Stored validators for a conditional re-poll.
    pub etag: Option<String>,
    /// Stored `Last-Modified`.
    pub last_modified: Option<String>,
}

/// Final state of a fetched URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Final {
    /// Fetched and processed.
    Done,
    /// Permanent failure or retries exhausted.
    Failed,
    /// Not fetched or not processed (robots.txt, content type, scope).
    Skipped,
}

impl Final {
    fn as_str(self) -> &'static str {
        match self {
            Final::Done => "done",
            Final::Failed => "failed",
            Final::Skipped => "skipped",
        }
    }
}

/// The outcome of one URL, written in one transaction with the URLs it led to.
#[derive(Debug, Clone)]
pub struct Completion {
    /// Row id.
    pub id: i64,
    /// Final state.
    pub state: Final,
    /// Final HTTP status, if a response came.
    pub status: Option<u16>,
    /// Document kind (`html`, `feed`, `sitemap`, `other`).
    pub kind: Option<&'static str>,
    /// Error or skip reason.
    pub note: Option<String>,
    /// Validators for the next poll.
    pub etag: Option<String>,
    /// `Last-Modified` for the next poll.
    pub last_modified: Option<String>,
    /// Requests made (including retries and redirect hops are not counted).
    pub attempts: u32,
    /// URLs it led to.
    pub discovered: Vec<NewUrl>,
    /// Where a same-origin redirect chain ended (canonical): recorded as done with this
    /// outcome, so a link to it later is not fetched again.
    pub alias: Option<Url>,
}

/// Counts of frontier rows by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Waiting to be fetched.
    pub queued: u64,
    /// Fetched.
    pub done: u64,
    /// Failed.
    pub failed: u64,
    /// Skipped.
    pub skipped: u64,
}

/// The frontier tables of one store file.
///
/// Its own connection serves callers that have no other; the crawl writer uses
/// [`Frontier::on`] with the page sink's connection to the same file instead, so the frontier's
/// writes join the sink's open batch (one commit for a group's pages and URLs) and the two
/// connections never invalidate each other's page cache (in WAL mode, SQLite drops a
/// connection's whole cache and memory map when another connection has committed).
pub struct Frontier {
    store: Store,
}

/// Frontier operations on one connection: the frontier's own or another connection to the
/// same store file (see [`Frontier::on`]). Writes run in their own transaction when none is
/// open on that connection, else inside a savepoint of the open one (they then become durable
/// with its commit).
#[derive(Clone, Copy)]
pub struct On<'a> {
    conn: &'a Connection,
}

/// Runs `f` in a transaction of its own, or in a savepoint when a transaction is already open on
/// `conn` (e.g. the page sink's batch): all of `f`'s writes or none.
fn in_tx<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, FrontierError>,
) -> Result<T, FrontierError> {
    if conn.is_autocommit() {
        let tx = conn.unchecked_transaction()?;
        let v = f(&tx)?;
        tx.commit()?;
        Ok(v)
    } else {
        conn.execute_batch("SAVEPOINT frontier")?;
        match f(conn) {
            Ok(v) => {
                conn.execute_batch("RELEASE frontier")?;
                Ok(v)
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK TO frontier; RELEASE frontier");
                Err(e)
            }
        }
    }
}

impl Frontier {
    /// Opens (creating and migrating) the store at `path` for the frontier.
    ///
    /// # Errors
    /// [`FrontierError::Store`].
    pub fn open(path: &Path) -> Result<Frontier, FrontierError> {
        // `Store::open` gives the connection stable query plans (no statement is prepared
        // again at every call of `next_batch`/`next_due`).
        let store = Store::open(path)?;
        Ok(Frontier { store })
    }

    fn conn(&self) -> &Connection {
        self.store.conn()
    }

    /// The frontier's operations on `conn` when it is a connection to the same store file
    /// (compared by [`Connection::path`]), else on the frontier's own connection.
    pub fn on<'a>(&'a self, conn: Option<&'a Connection>) -> On<'a> {
        let own = self.conn();
        let same_file = |c: &Connection| matches!((c.path(), own.path()), (Some(a), Some(b)) if !a.is_empty() && a == b);
        On {
            conn: conn.filter(|c| same_file(c)).unwrap_or(own),
        }
    }

    /// Whether `conn` is a connection to this frontier's store file (so [`Frontier::on`] uses it).
    pub fn shares_file_with(&self, conn: &Connection) -> bool {
        std::ptr::eq(self.on(Some(conn)).conn, conn)
    }

    /// Inserts new URLs (existing ones are left alone); returns the hosts that got at least one
    /// new row. Runs in its own transaction.
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn add(&mut self, urls: &[NewUrl], now_ms: i64) -> Result<Vec<String>, FrontierError> {
        self.on(None).add(urls, now_ms)
    }

    /// See [`On::next_batch`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn next_batch(
        &self,
        host: &str,
        after_id: i64,
        limit: usize,
        now_ms: i64,
    ) -> Result<Vec<Entry>, FrontierError> {
        self.on(None).next_batch(host, after_id, limit, now_ms)
    }

    /// See [`On::next_due`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn next_due(&self, host: &str) -> Result<Option<i64>, FrontierError> {
        self.on(None).next_due(host)
    }

    /// Records a URL's outcome and inserts what it led to, in one transaction. Returns the
    /// hosts that got new rows.
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn complete(&mut self, c: &Completion, now_ms: i64) -> Result<Vec<String>, FrontierError> {
        Ok(self
            .on(None)
            .complete_many(&[c], now_ms)?
            .pop()
            .unwrap_or_default())
    }

    /// See [`On::complete_many`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`]; nothing is recorded then.
    pub fn complete_many(
        &mut self,
        cs: &[&Completion],
        now_ms: i64,
    ) -> Result<Vec<Vec<String>>, FrontierError> {
        self.on(None).complete_many(cs, now_ms)
    }

    /// See [`On::reschedule`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn reschedule(
        &mut self,
        id: i64,
        attempts: u32,
        not_before_ms: i64,
        note: &str,
    ) -> Result<(), FrontierError> {
        self.on(None).reschedule(id, attempts, not_before_ms, note)
    }

    /// See [`On::defer_host`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn defer_host(
        &mut self,
        host: &str,
        until_ms: i64,
        note: &str,
    ) -> Result<(), FrontierError> {
        self.on(None).defer_host(host, until_ms, note)
    }

    /// See [`On::host_pause`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn host_pause(&self, host: &str) -> Result<Option<i64>, FrontierError> {
        self.on(None).host_pause(host)
    }

    /// See [`On::queued_hosts`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn queued_hosts(&self) -> Result<Vec<(String, i64)>, FrontierError> {
        self.on(None).queued_hosts()
    }

    /// See [`On::requeue_due`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn requeue_due(
        &mut self,
        now_ms: i64,
        repoll_ms: i64,
        recrawl_ms: Option<i64>,
    ) -> Result<usize, FrontierError> {
        self.on(None).requeue_due(now_ms, repoll_ms, recrawl_ms)
    }

    /// See [`On::next_repoll`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn next_repoll(&self, repoll_ms: i64) -> Result<Option<i64>, FrontierError> {
        self.on(None).next_repoll(repoll_ms)
    }

    /// See [`On::queued_count`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn queued_count(&self) -> Result<u64, FrontierError> {
        self.on(None).queued_count()
    }

    /// See [`On::counts`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn counts(&self) -> Result<Counts, FrontierError> {
        self.on(None).counts()
    }

    /// URLs that failed at or after `since_ms` (Unix ms), grouped by reason (the row's note, or
    /// `HTTP <status>`): up to `limit` groups, most frequent first, each as (reason, count, one
    /// example URL).
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn failures_since(
        &self,
        since_ms: i64,
        limit: usize,
    ) -> Result<Vec<(String, u64, String)>, FrontierError> {
        let mut st = self.store.conn().prepare(
            "SELECT COALESCE(note, 'HTTP ' || status, 'no reason recorded') AS why,
                    COUNT(*), MIN(url)
             FROM frontier WHERE state = 'failed' AND fetched_at >= ?1
             GROUP BY why ORDER BY COUNT(*) DESC, why LIMIT ?2",
        )?;
        let rows = st.query_map(params![since_ms, limit as i64], |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// See [`On::robots`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn robots(
        &self,
        host: &str,
        since_ms: i64,
    ) -> Result<Option<(u16, Vec<u8>)>, FrontierError> {
        self.on(None).robots(host, since_ms)
    }

    /// See [`On::put_robots`].
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn put_robots(
        &mut self,
        host: &str,
        status: u16,
        body: &[u8],
        now_ms: i64,
    ) -> Result<(), FrontierError> {
        self.on(None).put_robots(host, status, body, now_ms)
    }
}

impl On<'_> {
    /// Inserts new URLs (existing ones are left alone); returns the hosts that got at least one
    /// new row. All or none.
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn add(self, urls: &[NewUrl], now_ms: i64) -> Result<Vec<String>, FrontierError> {
        in_tx(self.conn, |c| insert_urls(c, urls, now_ms))
    }

    /// Up to `limit` queued URLs of `host` with `id > after_id` that are due at `now_ms`, in id
    /// order.
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn next_batch(
        self,
        host: &str,
        after_id: i64,
        limit: usize,
        now_ms: i64,
    ) -> Result<Vec<Entry>, FrontierError> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, url, host, scope, depth, found_as, kind, attempts, etag, last_modified
             FROM frontier WHERE host = ?1 AND state = 'queued' AND id > ?2 AND not_before <= ?3
             ORDER BY id LIMIT ?4",
        )?;
        let rows = st.query_map(params![host, after_id, now_ms, limit as i64], |r| {
            Ok(Entry {
                id: r.get(0)?,
                url: r.get(1)?,
                host: r.get(2)?,
                scope: r.get(3)?,
                depth: r.get::<_, i64>(4)?.max(0) as u32,
                found_as: FoundAs::parse(&r.get::<_, String>(5)?),
                kind: r.get(6)?,
                attempts: r.get::<_, i64>(7)?.max(0) as u32,
                etag: r.get(8)?,
                last_modified: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The earliest `not_before` (Unix ms) of `host`'s queued URLs, if it has any.
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn next_due(self, host: &str) -> Result<Option<i64>, FrontierError> {
        let v: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT MIN(not_before) FROM frontier WHERE host = ?1 AND state = 'queued'",
            )?
            .query_row(params![host], |r| r.get(0))?;
        Ok(v)
    }

    /// Records the outcome of several URLs and inserts what they led to: all are recorded or
    /// none (the crawl writer's group commit). Returns the hosts that got new rows, per URL.
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`]; nothing is recorded then.
    pub fn complete_many(
        self,
        cs: &[&Completion],
        now_ms: i64,
    ) -> Result<Vec<Vec<String>>, FrontierError> {
        in_tx(self.conn, |tx| {
            cs.iter()
                .map(|c| complete_in(tx, c, now_ms))
                .collect::<Result<Vec<_>, _>>()
        })
    }

    /// Keeps a URL queued for a retry not before `not_before_ms`.
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn reschedule(
        self,
        id: i64,
        attempts: u32,
        not_before_ms: i64,
        note: &str,
    ) -> Result<(), FrontierError> {
        self.conn
            .prepare_cached(
                "UPDATE frontier SET attempts = ?2, not_before = ?3, note = ?4 WHERE id = ?1",
            )?
            .execute(params![id, attempts, not_before_ms, note])?;
        Ok(())
    }

    /// Pauses a host until `until_ms` (kept across runs) and keeps its queued URLs from being
    /// fetched before then.
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn defer_host(self, host: &str, until_ms: i64, note: &str) -> Result<(), FrontierError> {
        in_tx(self.conn, |tx| {
            tx.execute(
                "INSERT INTO crawl_hosts(host, paused_until, note) VALUES (?1, ?2, ?3)
                 ON CONFLICT(host) DO UPDATE SET paused_until = MAX(paused_until, ?2), note = ?3",
                params![host, until_ms, note],
            )?;
            tx.execute(
                "UPDATE frontier SET not_before = MAX(not_before, ?2)
                 WHERE host = ?1 AND state = 'queued'",
                params![host, until_ms],
            )?;
            Ok(())
        })
    }

    /// The pause of a host (Unix ms), if one is recorded.
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn host_pause(self, host: &str) -> Result<Option<i64>, FrontierError> {
        Ok(self
            .conn
            .prepare_cached("SELECT paused_until FROM crawl_hosts WHERE host = ?1")?
            .query_row(params![host], |r| r.get(0))
            .optional()?)
    }

    /// Every host with queued URLs, with the earliest time one of them is due (Unix ms).
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn queued_hosts(self) -> Result<Vec<(String, i64)>, FrontierError> {
        let mut st = self.conn.prepare(
            "SELECT host, MIN(not_before) FROM frontier WHERE state = 'queued' GROUP BY host",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Re-queues what is due for a re-poll: seeds, feeds and sitemaps fetched at least
    /// `repoll_ms` ago, and (when `recrawl_ms` is given) every other fetched page at least that
    /// old. Returns the number of re-queued rows.
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn requeue_due(
        self,
        now_ms: i64,
        repoll_ms: i64,
        recrawl_ms: Option<i64>,
    ) -> Result<usize, FrontierError> {
        let mut n = self.conn.execute(
            "UPDATE frontier SET state = 'queued', attempts = 0, not_before = 0
             WHERE state = 'done' AND fetched_at <= ?1
               AND (found_as = 'seed' OR kind IN ('feed', 'sitemap'))",
            params![now_ms - repoll_ms],
        )?;
        if let Some(r) = recrawl_ms {
            n += self.conn.execute(
                "UPDATE frontier SET state = 'queued', attempts = 0, not_before = 0
                 WHERE state = 'done' AND fetched_at <= ?1",
                params![now_ms - r],
            )?;
        }
        Ok(n)
    }

    /// The earliest time (Unix ms) a seed, feed or sitemap becomes due for a re-poll.
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn next_repoll(self, repoll_ms: i64) -> Result<Option<i64>, FrontierError> {
        Ok(self.conn.query_row(
            "SELECT MIN(fetched_at) + ?1 FROM frontier WHERE state = 'done'
               AND (found_as = 'seed' OR kind IN ('feed', 'sitemap'))",
            params![repoll_ms],
            |r| r.get(0),
        )?)
    }

    /// Number of queued URLs (counted on the queue's partial index).
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn queued_count(self) -> Result<u64, FrontierError> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM frontier INDEXED BY frontier_queue WHERE state = 'queued'",
            [],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// Row counts by state.
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn counts(self) -> Result<Counts, FrontierError> {
        let mut c = Counts::default();
        let mut st = self
            .conn
            .prepare("SELECT state, COUNT(*) FROM frontier GROUP BY state")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (s, n) = row?;
            let n = n.max(0) as u64;
            match s.as_str() {
                "queued" => c.queued = n,
                "done" => c.done = n,
                "failed" => c.failed = n,
                "skipped" => c.skipped = n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// A cached robots.txt answer of `host` fetched after `since_ms`: (status, body).
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn robots(
        self,
        host: &str,
        since_ms: i64,
    ) -> Result<Option<(u16, Vec<u8>)>, FrontierError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT status, body FROM crawl_robots WHERE host = ?1 AND fetched_at > ?2",
            )?
            .query_row(params![host, since_ms], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Caches a successful robots.txt answer (2xx or 4xx; never a failure).
    ///
    /// # Errors
    /// [`FrontierError::Sqlite`].
    pub fn put_robots(
        self,
        host: &str,
        status: u16,
        body: &[u8],
        now_ms: i64,
    ) -> Result<(), FrontierError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO crawl_robots(host, fetched_at, status, body) VALUES (?1, ?2, ?3, ?4)",
            params![host, now_ms, status, body],
        )?;
        Ok(())
    }
}

/// Records one URL's outcome inside a transaction on `tx` (see [`On::complete_many`]).
fn complete_in(tx: &Connection, c: &Completion, now_ms: i64) -> Result<Vec<String>, FrontierError> {
    {
        let hosts = insert_urls(tx, &c.discovered, now_ms)?;
        if let Some(alias) = &c.alias {
            tx.prepare_cached(
                "INSERT INTO frontier(url, host, scope, depth, found_as, discovered_at, kind, state,
                     attempts, fetched_at, status, note)
                 SELECT ?2, host, scope, depth, 'redirect', ?3, ?4, ?5, 1, ?3, ?6,
                     'end of a redirect from ' || url
                 FROM frontier WHERE id = ?1
                 ON CONFLICT(url) DO UPDATE SET state = excluded.state, kind = excluded.kind,
                     status = excluded.status, fetched_at = excluded.fetched_at,
                     note = excluded.note
                 WHERE frontier.state = 'queued'",
            )?
            .execute(params![
                c.id,
                alias.as_str(),
                now_ms,
                c.kind,
                c.state.as_str(),
                c.status
            ])?;
        }
        tx.prepare_cached(
            "UPDATE frontier SET state = ?2, status = ?3, kind = COALESCE(?4, kind), note = ?5,
                 etag = COALESCE(?6, etag), last_modified = COALESCE(?7, last_modified),
                 attempts = ?8, fetched_at = ?9
             WHERE id = ?1",
        )?
        .execute(params![
            c.id,
            c.state.as_str(),
            c.status,
            c.kind,
            c.note,
            c.etag,
            c.last_modified,
            c.attempts,
            now_ms
        ])?;
        Ok(hosts)
    }
}

fn insert_urls(
    tx: &Connection,
    urls: &[NewUrl],
    now_ms: i64,
) -> Result<Vec<String>, FrontierError> {
    let mut hosts: Vec<String> = Vec::new();
    let mut st = tx.prepare_cached(
        "INSERT OR IGNORE INTO frontier(url, host, scope, depth, found_as, discovered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for u in urls {
        let host = super::canon::host_key(&u.url);
        let n = st.execute(params![
            u.url.as_str(),
            host,
            u.scope,
            u.depth,
            u.found_as.as_str(),
            now_ms
        ])?;
        if n > 0 && !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nu(u: &str, found_as: FoundAs) -> NewUrl {
        let url = Url::parse(u).unwrap();
        NewUrl {
            scope: url.host_str().unwrap().to_string(),
            url,
            depth: 0,
            found_as,
        }
    }

    fn done(id: i64, discovered: Vec<NewUrl>) -> Completion {
        Completion {
            id,
            state: Final::Done,
            status: Some(200),
            kind: Some("html"),
            note: None,
            etag: None,
            last_modified: None,
            attempts: 1,
            discovered,
            alias: None,
        }
    }

    #[test]
    fn completing_a_group_equals_completing_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let seeds = [
            nu("https://a.example/1", FoundAs::Seed),
            nu("https://a.example/2", FoundAs::Seed),
            nu("https://b.example/1", FoundAs::Seed),
        ];
        let mut one = Frontier::open(&dir.path().join("one.db")).unwrap();
        let mut many = Frontier::open(&dir.path().join("many.db")).unwrap();
        one.add(&seeds, 0).unwrap();
        many.add(&seeds, 0).unwrap();
        let ids: Vec<i64> = one
            .next_batch("https://a.example", 0, 10, 0)
            .unwrap()
            .iter()
            .chain(&one.next_batch("https://b.example", 0, 10, 0).unwrap())
            .map(|e| e.id)
            .collect();
        assert_eq!(ids.len(), 3);
        let cs = [
            done(ids[0], vec![nu("https://c.example/x", FoundAs::Link)]),
            done(ids[1], vec![nu("https://c.example/x", FoundAs::Link)]),
            done(ids[2], vec![nu("https://d.example/y", FoundAs::Link)]),
        ];
        let single: Vec<Vec<String>> = cs.iter().map(|c| one.complete(c, 5).unwrap()).collect();
        let grouped = many
            .complete_many(&cs.iter().collect::<Vec<_>>(), 5)
            .unwrap();
        assert_eq!(grouped, single);
        assert_eq!(
            grouped[1],
            Vec::<String>::new(),
            "c.example/x is already queued"
        );
        let rows = |f: &Frontier| -> Vec<(String, String)> {
            let mut st = f
                .conn()
                .prepare("SELECT url, state FROM frontier ORDER BY url")
                .unwrap();
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert_eq!(rows(&many), rows(&one));
        assert_eq!(many.counts().unwrap().done, 3);
    }

    #[test]
    fn add_dedups_and_batches_per_host() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = Frontier::open(&dir.path().join("s.db")).unwrap();
        let hosts = f
            .add(
                &[
                    nu("https://a.example/1", FoundAs::Seed),
                    nu("https://a.example/2", FoundAs::Seed),
                    nu("https://b.example/1", FoundAs::Seed),
                ],
                0,
            )
            .unwrap();
        assert_eq!(hosts, vec!["https://a.example", "https://b.example"]);
        assert!(
            f.add(&[nu("https://a.example/1", FoundAs::Link)], 0)
                .unwrap()
                .is_empty()
        );
        let batch = f.next_batch("https://a.example", 0, 10, 0).unwrap();
        assert_eq!(batch.len(), 2);
        assert_eq!(batch[0].found_as, FoundAs::Seed);
        let after = f
            .next_batch("https://a.example", batch[0].id, 10, 0)
            .unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].url, "https://a.example/2");
    }

    #[test]
    fn complete_is_atomic_with_discoveries_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let mut f = Frontier::open(&path).unwrap();
            f.add(&[nu("https://a.example/", FoundAs::Seed)], 0)
                .unwrap();
            let e = &f.next_batch("https://a.example", 0, 1, 0).unwrap()[0];
            let hosts = f
                .complete(
                    &done(e.id, vec![nu("https://c.example/x", FoundAs::Link)]),
                    5,
                )
                .unwrap();
            assert_eq!(hosts, vec!["https://c.example"]);
        }
        let f = Frontier::open(&path).unwrap();
        let c = f.counts().unwrap();
        assert_eq!((c.queued, c.done), (1, 1));
        assert_eq!(
            f.queued_hosts().unwrap(),
            vec![("https://c.example".to_string(), 0)]
        );
    }

    #[test]
    fn reschedule_and_defer_respect_not_before() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = Frontier::open(&dir.path().join("s.db")).unwrap();
        f.add(
            &[
                nu("https://a.example/1", FoundAs::Seed),
                nu("https://a.example/2", FoundAs::Seed),
            ],
            0,
        )
        .unwrap();
        let b = f.next_batch("https://a.example", 0, 10, 0).unwrap();
        f.reschedule(b[0].id, 1, 1000, "HTTP 503").unwrap();
        assert_eq!(
            f.next_batch("https://a.example", 0, 10, 999).unwrap().len(),
            1
        );
        assert_eq!(
            f.next_batch("https://a.example", 0, 10, 1000)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(f.next_due("https://a.example").unwrap(), Some(0));
        f.defer_host("https://a.example", 50_000, "Retry-After 86400 s")
            .unwrap();
        assert!(
            f.next_batch("https://a.example", 0, 10, 49_999)
                .unwrap()
                .is_empty()
        );
        assert_eq!(f.next_due("https://a.example").unwrap(), Some(50_000));
        assert_eq!(f.host_pause("https://a.example").unwrap(), Some(50_000));
    }

    #[test]
    fn repoll_requeues_seeds_and_feeds_but_not_articles() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = Frontier::open(&dir.path().join("s.db")).unwrap();
        f.add(
            &[
                nu("https://a.example/", FoundAs::Seed),
                nu("https://a.example/feed", FoundAs::Feed),
                nu("https://a.example/story", FoundAs::Entry),
            ],
            0,
        )
        .unwrap();
        for e in f.next_batch("https://a.example", 0, 10, 0).unwrap() {
            let mut c = done(e.id, vec![]);
            if e.url.ends_with("feed") {
                c.kind = Some("feed");
            }
            f.complete(&c, 1000).unwrap();
        }
        assert_eq!(f.requeue_due(1500, 1000, None).unwrap(), 0);
        assert_eq!(f.next_repoll(1000).unwrap(), Some(2000));
        assert_eq!(f.requeue_due(2000, 1000, None).unwrap(), 2);
        let urls: Vec<String> = f
            .next_batch("https://a.example", 0, 10, 2000)
            .unwrap()
            .into_iter()
            .map(|e| e.url)
            .collect();
        assert_eq!(urls, vec!["https://a.example/", "https://a.example/feed"]);
        assert_eq!(f.requeue_due(2000, 1000, Some(500)).unwrap(), 1);
    }
}
