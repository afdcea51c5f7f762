//! The polite, resumable crawler (`copytrail crawl`): frontier, politeness, robots.txt, fetch.
//!
//! Placeholder: the crawler is being built (issue 3). Pages it fetches go through
//! [`crate::ingest::PageSink`], the same path as `copytrail ingest`.

pub mod cli;
pub mod schema;
