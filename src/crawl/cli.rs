//! `copytrail crawl` arguments and entry point.

use std::path::Path;
use std::process::ExitCode;

/// Arguments of `copytrail crawl`.
#[derive(Debug, clap::Args)]
pub struct CrawlArgs {
    /// File of seed URLs, one per line (`#` starts a comment).
    #[arg(long)]
    pub seeds: std::path::PathBuf,
}

/// Runs `copytrail crawl` against the store at `db`.
pub fn run(_args: &CrawlArgs, _db: &Path) -> ExitCode {
    eprintln!("copytrail crawl: not implemented yet");
    ExitCode::from(2)
}
