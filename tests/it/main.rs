//! The one integration-test binary: `cargo test` runs every module below.

mod crawl;
mod extract;
mod ingest;
mod links_xling;
