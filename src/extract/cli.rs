//! `copytrail extract` and `copytrail eval extract`.

use std::process::ExitCode;

/// Arguments of `copytrail extract`.
#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    /// URL the file was fetched from (used to resolve relative links).
    #[arg(long)]
    pub url: Option<String>,
    /// `.html` or `.html.gz` files; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<std::path::PathBuf>,
}

/// Arguments of `copytrail eval extract`.
#[derive(Debug, clap::Args)]
pub struct EvalExtractArgs {
    /// ground-truth.json: id → {articleBody, url}.
    #[arg(long)]
    pub truth: std::path::PathBuf,
    /// Folder of `<id>.html.gz` pages.
    #[arg(long)]
    pub html_dir: std::path::PathBuf,
    /// Also list the N worst pages by F1.
    #[arg(long, default_value_t = 0)]
    pub worst: usize,
}

/// Runs `copytrail extract`.
pub fn run_extract(_args: &ExtractArgs) -> ExitCode {
    eprintln!("copytrail extract: not implemented yet");
    ExitCode::from(2)
}

/// Runs `copytrail eval extract`.
pub fn run_eval(_args: &EvalExtractArgs) -> ExitCode {
    eprintln!("copytrail eval extract: not implemented yet");
    ExitCode::from(2)
}
