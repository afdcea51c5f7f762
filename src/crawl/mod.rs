//! The polite, resumable crawler (`copytrail crawl`): frontier, politeness, robots.txt, fetch.
//!
//! Stages (see the README's architecture section): seeds → [`frontier`] (SQLite, resumable) →
//! per-host workers, each request passing the per-host gate ([`gate`]: robots.txt → per-host
//! semaphore → backoff ([`backoff`]) → governor limiter → request) → [`fetch`] → documents
//! recognised and mined for URLs ([`discover`]) → pages handed to the store writer, which feeds
//! them to [`crate::ingest::PageSink`] (the same path as `copytrail ingest`) and optionally to a
//! WARC file ([`warc`]).

pub mod backoff;
pub mod canon;
pub mod cli;
pub mod discover;
pub mod engine;
pub mod fetch;
pub mod frontier;
pub mod gate;
pub mod pool;
pub mod robots;
pub mod schema;
pub mod warc;
pub mod worker;
pub mod writer;
