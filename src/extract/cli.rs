//! `copytrail extract` and `copytrail eval extract`.

use crate::ingest::warc::MAX_PAGE_BYTES;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use url::Url;

use super::eval::{PageScore, score_page, summarize};
use super::{charset, extract_with};

/// Arguments of `copytrail extract`.
#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    /// URL the file was fetched from (used to resolve relative links).
    #[arg(long)]
    pub url: Option<String>,
    /// `.html` or `.html.gz` files; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<std::path::PathBuf>,
    /// Select the body with our block scorer alone, never asking dom_smoothie for a second
    /// opinion (faster, lower F1); same as `--engine scored`.
    #[arg(long, conflicts_with = "engine")]
    pub fast: bool,
    /// Body engine: `auto` (default: our scorer, dom_smoothie second opinion on doubtful pages),
    /// `scored`, `agreement`, `readability` (dom_smoothie alone).
    #[arg(long, value_enum)]
    pub engine: Option<EngineArg>,
}

/// Body engines selectable on the command line (see [`super::body::BodyEngine`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// Our scorer; dom_smoothie's second opinion when its result is doubtful.
    Auto,
    /// Our scorer alone (one parse per page).
    Scored,
    /// trafilatura + dom_smoothie agreement on every page.
    Agreement,
    /// dom_smoothie (Readability) alone.
    Readability,
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
    /// Also time extraction (decode + extract, files already read) on this thread and print
    /// pages per second.
    #[arg(long)]
    pub time: bool,
    /// With `--time`: extract every page this many times (the figure is the mean; ≥ 1).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Evaluate the fast body engine (our scorer alone); same as `--engine scored`.
    #[arg(long, conflicts_with = "engine")]
    pub fast: bool,
    /// Body engine to evaluate (see `copytrail extract --engine`).
    #[arg(long, value_enum)]
    pub engine: Option<EngineArg>,
}

fn options(fast: bool, engine: Option<EngineArg>) -> super::ExtractOptions {
    use super::body::BodyEngine;
    super::ExtractOptions {
        body_engine: match (engine, fast) {
            (Some(EngineArg::Auto), _) => BodyEngine::Auto,
            (Some(EngineArg::Scored), _) | (None, true) => BodyEngine::Scored,
            (Some(EngineArg::Agreement), _) => BodyEngine::Agreement,
            (Some(EngineArg::Readability), _) => BodyEngine::Readability,
            (None, false) => BodyEngine::Auto,
        },
    }
}

/// Errors of the extract commands.
#[derive(Debug, thiserror::Error)]
pub enum ExtractCliError {
    /// A file could not be read or decompressed.
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `--url` is not an absolute URL.
    #[error("--url {url:?} is not an absolute URL: {source}")]
    BadUrl {
        url: String,
        source: url::ParseError,
    },
    /// The page (after gunzip) is larger than the page limit that `ingest` also applies.
    #[error("{path}: page larger than {limit} bytes; skipped")]
    TooLarge { path: PathBuf, limit: u64 },
    /// The file starts as gzip but its compressed data is damaged (corrupt, cut short, or a
    /// checksum that does not match): nothing of it is extracted.
    #[error(
        "{path}: damaged gzip data ({source}) after {decompressed} bytes decompressed; skipped"
    )]
    Gzip {
        path: PathBuf,
        /// Bytes decompressed before the damage was found.
        decompressed: u64,
        source: std::io::Error,
    },
    /// The ground-truth file is not the expected JSON.
    #[error("ground truth {path}: {msg}")]
    Truth { path: PathBuf, msg: String },
}

/// Reads a file (`-` = stdin); gzip data (recognised by its magic bytes, whatever the name)
/// is gunzipped, every member of a multi-member file. Returns the page and a warning for
/// standard error when the file was read but not as its name says: a `.gz` name on data that
/// is not gzip (read as plain HTML), or bytes after the last gzip member that are not gzip
/// (ignored, as `gzip -d` does).
///
/// # Errors
/// [`ExtractCliError::Read`] if the file cannot be read; [`ExtractCliError::Gzip`] if its gzip
/// data is corrupt, truncated or fails its checksum; [`ExtractCliError::TooLarge`] if the page
/// (after gunzip) is larger than [`MAX_PAGE_BYTES`] (10 MiB, the limit `ingest` applies too),
/// read no further than that.
pub fn read_page(path: &Path) -> Result<(Vec<u8>, Option<String>), ExtractCliError> {
    let err = |source| ExtractCliError::Read {
        path: path.to_path_buf(),
        source,
    };
    let too_large = || ExtractCliError::TooLarge {
        path: path.to_path_buf(),
        limit: MAX_PAGE_BYTES,
    };
    let mut raw = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(MAX_PAGE_BYTES + 1)
            .read_to_end(&mut raw)
            .map_err(err)?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_PAGE_BYTES + 1).read_to_end(&mut raw))
            .map_err(err)?;
    }
    if raw.len() as u64 > MAX_PAGE_BYTES {
        return Err(too_large());
    }
    const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
    if !raw.starts_with(&GZIP_MAGIC) {
        let named_gz = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        let warning = named_gz.then(|| {
            format!(
                "{}: named .gz but not gzip data; read as plain HTML",
                path.display()
            )
        });
        return Ok((raw, warning));
    }
    let mut out = Vec::new();
    let mut rest: &[u8] = &raw;
    let mut warning = None;
    while !rest.is_empty() {
        if !rest.starts_with(&GZIP_MAGIC) {
            warning = Some(format!(
                "{}: {} bytes after the gzip data are not gzip; ignored",
                path.display(),
                rest.len()
            ));
            break;
        }
        let mut member = flate2::bufread::GzDecoder::new(rest);
        let room = MAX_PAGE_BYTES + 1 - out.len() as u64;
        if let Err(source) = (&mut member).take(room).read_to_end(&mut out) {
            return Err(ExtractCliError::Gzip {
                path: path.to_path_buf(),
                decompressed: out.len() as u64,
                source,
            });
        }
        if out.len() as u64 > MAX_PAGE_BYTES {
            return Err(too_large());
        }
        let next = member.into_inner();
        if next.len() >= rest.len() {
            break; // nothing consumed (cannot happen with the magic present; no endless loop)
        }
        rest = next;
    }
    Ok((out, warning))
}

fn page_url(args_url: Option<&str>, path: &Path) -> Result<Url, ExtractCliError> {
    if let Some(u) = args_url {
        let mut url = Url::parse(u).map_err(|source| ExtractCliError::BadUrl {
            url: u.to_string(),
            source,
        })?;
        // Credentials are never printed (nor inherited by the page's relative links).
        crate::crawl::canon::strip_userinfo(&mut url);
        return Ok(url);
    }
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(Url::from_file_path(&abs)
        .unwrap_or_else(|_| Url::parse("file:///stdin").expect("static URL")))
}

/// Runs `copytrail extract`: one JSON object per file on stdout. Exit code 0 when every file was
/// read, 1 when some could not be (reported on stderr) or stdout failed, 2 on a bad `--url`.
/// A closed stdout (broken pipe) ends the run with 0.
pub fn run_extract(args: &ExtractArgs) -> ExitCode {
    if args.files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        eprintln!("copytrail extract: `-` (standard input) given more than once");
        return ExitCode::from(2);
    }
    let mut failed = 0;
    for f in &args.files {
        let url = match page_url(args.url.as_deref(), f) {
            Ok(u) => u,
            Err(e) => {
                eprintln!("copytrail extract: {e}");
                return ExitCode::from(2);
            }
        };
        let bytes = match read_page(f) {
            Ok((b, warning)) => {
                if let Some(w) = warning {
                    eprintln!("copytrail extract: warning: {w}");
                }
                b
            }
            Err(e) => {
                eprintln!("copytrail extract: {e}");
                failed += 1;
                continue;
            }
        };
        let decoded = charset::decode(&bytes, None);
        let mut art = extract_with(&decoded.text, &url, &options(args.fast, args.engine));
        crate::pipeline::drop_credentials(&mut art);
        let mut v = serde_json::to_value(&art).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "file".into(),
                serde_json::Value::String(f.display().to_string()),
            );
        }
        crate::cli::print_line(&v.to_string());
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// One benchmark page: id, URL, expected body.
#[derive(Debug, Clone)]
pub struct TruthPage {
    pub id: String,
    pub url: String,
    pub body: String,
}

/// Reads `ground-truth.json` (`{ id: { articleBody, url } }`), sorted by id.
pub fn read_truth(path: &Path) -> Result<Vec<TruthPage>, ExtractCliError> {
    let terr = |msg: String| ExtractCliError::Truth {
        path: path.to_path_buf(),
        msg,
    };
    let raw = std::fs::read(path).map_err(|source| ExtractCliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let v: serde_json::Value = serde_json::from_slice(&raw).map_err(|e| terr(e.to_string()))?;
    let obj = v
        .as_object()
        .ok_or_else(|| terr("top level is not an object".into()))?;
    let mut pages: Vec<TruthPage> = obj
        .iter()
        .map(|(id, p)| TruthPage {
            id: id.clone(),
            url: p
                .get("url")
                .and_then(|u| u.as_str())
                .unwrap_or("")
                .to_string(),
            body: p
                .get("articleBody")
                .and_then(|u| u.as_str())
                .unwrap_or("")
                .to_string(),
        })
        .collect();
    if pages.is_empty() {
        return Err(terr("it lists no pages (nothing to evaluate)".into()));
    }
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(pages)
}

/// Extracts one page (raw bytes fetched from `url`) and returns the predicted body.
pub fn extract_body(bytes: &[u8], url: &str, opts: &super::ExtractOptions) -> String {
    let decoded = charset::decode(bytes, None);
    let url = Url::parse(url)
        .unwrap_or_else(|_| Url::parse("http://unknown.invalid/").expect("static URL"));
    extract_with(&decoded.text, &url, opts).text
}

/// CPU time (user + system, seconds) of the calling thread, from `/proc/thread-self/stat`
/// (Linux; clock ticks of 1/100 s). `None` elsewhere. Used so that speed figures are not skewed
/// by other processes competing for the CPU.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Runs `copytrail eval extract`: prints F1, precision, recall, exact-match accuracy (and the
/// worst pages with `--worst N`). Exit code 2 when the truth file cannot be read, 1 when a page
/// cannot be read (it is scored as empty).
pub fn run_eval(args: &EvalExtractArgs) -> ExitCode {
    if !args.html_dir.is_dir() {
        eprintln!(
            "copytrail eval extract: --html-dir {}: not a directory",
            args.html_dir.display()
        );
        return ExitCode::from(2);
    }
    let pages = match read_truth(&args.truth) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("copytrail eval extract: {e}");
            return ExitCode::from(2);
        }
    };
    let mut scores: Vec<(String, String, PageScore)> = Vec::new();
    let mut failed = 0;
    let mut loaded: Vec<(&TruthPage, Vec<u8>)> = Vec::new();
    for p in &pages {
        match read_page(&args.html_dir.join(format!("{}.html.gz", p.id))) {
            Ok((bytes, warning)) => {
                if let Some(w) = warning {
                    eprintln!("copytrail eval extract: warning: {w}");
                }
                loaded.push((p, bytes))
            }
            Err(e) => {
                eprintln!("copytrail eval extract: {e}");
                failed += 1;
                scores.push((p.id.clone(), p.url.clone(), score_page("", &p.body)));
            }
        }
    }
    let opts = options(args.fast, args.engine);
    let start = std::time::Instant::now();
    let cpu_start = thread_cpu_seconds();
    for (p, bytes) in &loaded {
        let text = extract_body(bytes, &p.url, &opts);
        scores.push((p.id.clone(), p.url.clone(), score_page(&text, &p.body)));
    }
    let mut elapsed = start.elapsed().as_secs_f64();
    if args.time {
        for _ in 1..args.repeat.max(1) {
            for (p, bytes) in &loaded {
                std::hint::black_box(extract_body(bytes, &p.url, &opts));
            }
        }
        elapsed = start.elapsed().as_secs_f64();
    }
    let cpu = match (cpu_start, thread_cpu_seconds()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let s = summarize(&scores.iter().map(|x| x.2).collect::<Vec<_>>());
    crate::cli::print_line(&format!(
        "pages {}  F1 {:.4}  precision {:.4}  recall {:.4}  accuracy {:.4}  empty {}",
        s.pages, s.f1, s.precision, s.recall, s.accuracy, s.empty
    ));
    if args.time {
        let n = loaded.len() as f64 * f64::from(args.repeat.max(1));
        crate::cli::print_line(&format!(
            "time {:.3} s for {} page extractions on one thread: {:.1} pages/s",
            elapsed,
            n,
            n / elapsed.max(1e-9)
        ));
        if let Some(cpu) = cpu {
            crate::cli::print_line(&format!(
                "cpu {:.3} s (this thread's CPU time): {:.1} pages/s per core",
                cpu,
                n / cpu.max(1e-9)
            ));
        }
    }
    if args.worst > 0 {
        scores.sort_by(|a, b| a.2.f1().total_cmp(&b.2.f1()));
        for (id, url, sc) in scores.iter().take(args.worst) {
            crate::cli::print_line(&format!(
                "{:.3}  P {:.3}  R {:.3}  {}  {}",
                sc.f1(),
                sc.precision(),
                sc.recall(),
                &id[..id.len().min(12)],
                url
            ));
        }
    }
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
