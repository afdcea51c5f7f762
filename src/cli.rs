//! Command-line interface: raw flags (clap) → validated config → subcommand.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// copytrail: find where news stories get republished and whether the copies credit them.
#[derive(Debug, Parser)]
#[command(name = "copytrail", version, about)]
pub struct Cli {
    /// SQLite store.
    #[arg(long, global = true, default_value = "copytrail.db")]
    pub db: PathBuf,
    /// Subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Crawl seed sites politely and link what is found.
    Crawl(crate::crawl::cli::CrawlArgs),
    /// Extract the article from HTML files and print it as JSON Lines.
    Extract(crate::extract::cli::ExtractArgs),
    /// Evaluate against labelled data.
    #[command(subcommand)]
    Eval(EvalCommand),
}

/// `copytrail eval` subcommands.
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Extraction F1 on the article-extraction-benchmark.
    Extract(crate::extract::cli::EvalExtractArgs),
}

/// Parses the process arguments and runs the subcommand.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Crawl(a) => crate::crawl::cli::run(a, &cli.db),
        Command::Extract(a) => crate::extract::cli::run_extract(a),
        Command::Eval(EvalCommand::Extract(a)) => crate::extract::cli::run_eval(a),
    }
}
