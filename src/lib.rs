//! copytrail: finds where news stories get republished and whether each copy credits its
//! original.
//!
//! Pipeline (see README, "Architecture"):
//! `Page` ([`page`]) → decode ([`extract::charset`]) → extract ([`extract`]) → fingerprint
//! ([`fingerprint`]) → index → link ([`link`]) → store ([`store`]) → report ([`report`]).
//! Sources of pages: [`ingest`] (WARC, HTML files, publisher JSON Lines) and [`crawl`].

pub mod cli;
pub mod crawl;
pub mod extract;
pub mod fingerprint;
pub mod ingest;
pub(crate) mod inthash;
pub mod link;
pub mod page;
pub mod pipeline;
pub mod report;
pub mod store;
