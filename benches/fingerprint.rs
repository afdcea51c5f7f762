//! Fingerprinting throughput benchmark (a plain binary that prints a table).
//!
//! Measures MB/s of input text (UTF-8 bytes of the article body, 1 MB = 10⁶ bytes) on one core
//! for `copytrail::fingerprint::fingerprint` (NFKC + case folding + UAX #29 words / CJK bigrams +
//! 4-token shingles hashed with seeded XXH3 + 64-bit SimHash) and, on the same texts, for the
//! `simhash` 0.3 crate (`simhash::simhash`: whitespace split, SipHash per word, SimHash).
//!
//! Texts: the article bodies the library extracts from the bundled samples
//! (`data/sample/sample.warc.gz`, `data/sample-xling/sample.warc.gz`), computed once before
//! timing. "English" = bodies whose detected text language is `en`; "all" = every body.
//!
//! Method: one measurement runs the whole text set repeatedly until ≥ 2 s have elapsed
//! (`FP_BENCH_MIN_SECS` overrides); the figure is the median of `FP_BENCH_RUNS` (default 5)
//! measurements. The measurements of the two sides alternate, so that a change of load on
//! a shared machine affects both; the ratio is the ratio of the two medians.
//!
//! Knobs for profiling: `FP_BENCH_ONLY=copytrail` (or `simhash`) times only that side;
//! `FP_BENCH_SET=english` (or `all`) runs only that row; `FP_BENCH_LANG=ja` keeps only the
//! bodies detected as that language (both rows); `FP_BENCH_DUMP=DIR` writes the texts to
//! `DIR/NNN-LANG.txt`.
//!
//! Run: `cargo bench --bench fingerprint`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use copytrail::ingest::warc::{WarcFile, record_to_page};

/// Article bodies and their detected language, from one WARC file.
fn bodies(path: &str) -> Vec<(String, Option<String>)> {
    let file = WarcFile::open(Path::new(path)).unwrap_or_else(|e| panic!("open {path}: {e}"));
    let mut out = Vec::new();
    for rec in file {
        let Ok(rec) = rec else { continue };
        let Ok(Some(page)) = record_to_page(&rec, path) else {
            continue;
        };
        let analysis = copytrail::pipeline::analyse(&page);
        if let Some(article) = analysis.article
            && !article.text.is_empty()
        {
            out.push((article.text, analysis.text_language));
        }
    }
    out
}

/// Seconds per pass over `texts`, measured over ≥ `min` of repeated passes.
fn measure(texts: &[&str], min: Duration, f: &dyn Fn(&str) -> u64) -> f64 {
    let start = Instant::now();
    let mut passes = 0u64;
    loop {
        for t in texts {
            black_box(f(black_box(t)));
        }
        passes += 1;
        let el = start.elapsed();
        if el >= min {
            return el.as_secs_f64() / passes as f64;
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ours(t: &str) -> u64 {
    copytrail::fingerprint::fingerprint(t).map_or(0, |fp| fp.simhash)
}

fn crate_simhash(t: &str) -> u64 {
    simhash::simhash(t)
}

fn main() {
    let runs: usize = std::env::var("FP_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    let min = Duration::from_secs_f64(
        std::env::var("FP_BENCH_MIN_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2.0),
    );
    let root = env!("CARGO_MANIFEST_DIR");
    let mut all = bodies(&format!("{root}/data/sample/sample.warc.gz"));
    all.extend(bodies(&format!("{root}/data/sample-xling/sample.warc.gz")));
    if let Ok(dir) = std::env::var("FP_BENCH_DUMP") {
        for (i, (t, l)) in all.iter().enumerate() {
            let lang = l.as_deref().unwrap_or("und");
            std::fs::write(format!("{dir}/{i:03}-{lang}.txt"), t).expect("dump text");
        }
    }
    if let Ok(lang) = std::env::var("FP_BENCH_LANG")
        && !lang.is_empty()
    {
        all.retain(|(_, l)| l.as_deref() == Some(lang.as_str()));
    }
    let all_texts: Vec<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
    let en_texts: Vec<&str> = all
        .iter()
        .filter(|(_, l)| l.as_deref() == Some("en"))
        .map(|(t, _)| t.as_str())
        .collect();

    println!(
        "fingerprint throughput, one core, median of {runs} runs of >= {:.1} s each (1 MB = 10^6 bytes of UTF-8 text)",
        min.as_secs_f64()
    );
    println!(
        "{:<8} {:>6} {:>10} {:>16} {:>16} {:>8}",
        "texts", "count", "bytes", "copytrail MB/s", "simhash MB/s", "ratio"
    );
    // Warm-up outside the timed and profiled `fingerprint` calls: builds the normaliser's
    // per-character tables (once per process).
    black_box(copytrail::fingerprint::normalise::normalise("\u{e9}"));
    let only = std::env::var("FP_BENCH_ONLY").unwrap_or_default();
    let set = std::env::var("FP_BENCH_SET").unwrap_or_default();
    let timed = |side: &str| only.is_empty() || only == side;
    for (name, texts) in [("english", &en_texts), ("all", &all_texts)] {
        if !set.is_empty() && set != name {
            continue;
        }
        let bytes: usize = texts.iter().map(|t| t.len()).sum();
        // The two sides' runs alternate (copytrail first in even runs, simhash first in odd
        // ones), so a change in the machine's load hits both about equally.
        let (mut ours_runs, mut theirs_runs) = (Vec::new(), Vec::new());
        for run in 0..runs {
            for k in 0..2 {
                if (run + k) % 2 == 0 {
                    if timed("copytrail") {
                        ours_runs.push(measure(texts, min, &ours));
                    }
                } else if timed("simhash") {
                    theirs_runs.push(measure(texts, min, &crate_simhash));
                }
            }
        }
        let med = |v: Vec<f64>| if v.is_empty() { f64::NAN } else { median(v) };
        let ours_s = med(ours_runs);
        let theirs_s = med(theirs_runs);
        let ours_mbs = bytes as f64 / ours_s / 1e6;
        let theirs_mbs = bytes as f64 / theirs_s / 1e6;
        println!(
            "{:<8} {:>6} {:>10} {:>16.1} {:>16.1} {:>7.2}x",
            name,
            texts.len(),
            bytes,
            ours_mbs,
            theirs_mbs,
            ours_mbs / theirs_mbs
        );
    }
}
