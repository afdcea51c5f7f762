//! SQLite schema of the crawl frontier (appended to the store's migrations).
//!
//! - `frontier`: one row per canonical URL ever discovered. `state` is `queued` (to fetch, not
//!   before `not_before`), `done` (fetched; `status` and `kind` say what came back), `failed`
//!   (retries exhausted or a permanent error, `note` says why) or `skipped` (robots.txt,
//!   content type, scope). `host` is the politeness key (origin), `scope` the host name whose
//!   links may be followed (the seed's host), `depth` the link hops from a seed. `etag` and
//!   `last_modified` make re-polls of feeds and sitemaps conditional.
//! - `crawl_hosts`: per-origin pauses that outlive a run (a `Retry-After` over the cap, robots.txt
//!   unreachable), in Unix milliseconds.
//! - `crawl_robots`: the last successful robots.txt answer per origin (cached for 24 h).

/// Migration that creates the frontier tables. Appended after the core schema in
/// [`crate::store::MIGRATIONS`].
pub const FRONTIER_V1: &str = "
CREATE TABLE frontier (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    host TEXT NOT NULL,
    scope TEXT NOT NULL,
    depth INTEGER NOT NULL,
    found_as TEXT NOT NULL,
    kind TEXT,
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before INTEGER NOT NULL DEFAULT 0,
    discovered_at INTEGER NOT NULL,
    fetched_at INTEGER,
    status INTEGER,
    etag TEXT,
    last_modified TEXT,
    note TEXT
);
CREATE INDEX frontier_queue ON frontier(host, id) WHERE state = 'queued';
CREATE INDEX frontier_repoll ON frontier(state, fetched_at);
CREATE TABLE crawl_hosts (
    host TEXT PRIMARY KEY,
    paused_until INTEGER NOT NULL DEFAULT 0,
    note TEXT
);
CREATE TABLE crawl_robots (
    host TEXT PRIMARY KEY,
    fetched_at INTEGER NOT NULL,
    status INTEGER NOT NULL,
    body BLOB NOT NULL
);
";
