//! The `copytrail` binary: a thin wrapper around [`copytrail::cli`].

fn main() -> std::process::ExitCode {
    copytrail::cli::main()
}
