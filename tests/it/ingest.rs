//! Integration tests: ingest → fingerprint → link → report, on the bundled sample and the
//! cases copied into tests/data/cases.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use copytrail::ingest::run::{IngestConfig, IngestSummary, run};
use copytrail::ingest::warc::{WarcFile, record_to_page};
use copytrail::link::LinkConfig;
use copytrail::page::{Page, PageSource};
use copytrail::report::{self, eval};
use copytrail::store::Store;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample() -> PathBuf {
    root().join("data/sample/sample.warc.gz")
}

fn sample_origins() -> Vec<String> {
    origins_in(&root().join("data/sample/origins.txt"))
}

/// The domains of an origins file (one per line, `#` comments).
fn origins_in(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn ingest(store: Store, paths: &[PathBuf], origins: Vec<String>) -> (Store, IngestSummary) {
    let cfg = IngestConfig {
        paths: paths.to_vec(),
        origin_domains: origins,
        threads: 2,
        progress: false,
        link: LinkConfig::default(),
        stop: None,
    };
    run(store, &cfg).expect("ingest runs")
}

#[test]
fn sample_links_match_labels() {
    let (store, summary) = ingest(
        Store::open_in_memory().unwrap(),
        &[sample()],
        sample_origins(),
    );
    assert_eq!(summary.pages_read, 63);
    assert_eq!(summary.failures, 0);
    let labels = eval::read_labels(&root().join("data/sample/labels.jsonl")).unwrap();
    let rows = report::link_rows(&store).unwrap();
    let ev = eval::evaluate(&rows, &labels);
    assert!(
        ev.precision >= 0.98,
        "precision {}: {:?}",
        ev.precision,
        ev.false_links
    );
    assert!(
        ev.recall >= 0.95,
        "recall {}: missed {:?}",
        ev.recall,
        ev.missed
    );
    assert_eq!(ev.unrelated_linked, 0);
    for (t, g) in &ev.by_transform {
        assert!(g.recall >= 0.85, "{t}: {g:?}");
    }
    // Every link's original is on an origin domain and every copy on a made-up host.
    for r in &rows {
        assert!(r.copy_url.contains(".example/"), "{r:?}");
        assert_eq!(r.decided_by, "origin-domain");
        assert!((0.0..=1.0).contains(&r.containment));
        assert!(r.distance <= 64);
    }
}

#[test]
fn ingesting_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    // A broken input beside the sample: its failure is recorded once, however often it is
    // ingested.
    let bytes = std::fs::read(sample()).unwrap();
    let cut = dir.path().join("cut.warc.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let inputs = [sample(), cut];
    let failure_rows = |s: &Store| -> i64 {
        s.conn()
            .query_row("SELECT COUNT(*) FROM failures", [], |r| r.get(0))
            .unwrap()
    };
    let (store, first) = ingest(Store::open(&db).unwrap(), &inputs, sample_origins());
    assert!(first.failures >= 1);
    let failures1 = failure_rows(&store);
    assert_eq!(failures1, first.failures as i64);
    let links1 = report::link_rows(&store).unwrap();
    let pages1: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM pages", [], |r| r.get(0))
        .unwrap();
    drop(store);
    let (store, second) = ingest(Store::open(&db).unwrap(), &inputs, sample_origins());
    assert_eq!(second.failures, first.failures);
    assert_eq!(failure_rows(&store), failures1);
    let pages2: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM pages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pages1, pages2);
    assert_eq!(second.unchanged, first.pages_read);
    assert_eq!(report::link_rows(&store).unwrap(), links1);
}

fn gunzip_all(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn count_pages(path: &Path) -> (usize, Vec<String>) {
    let mut pages = 0;
    let mut errors = Vec::new();
    let name = path.display().to_string();
    for rec in WarcFile::open(path).unwrap() {
        match rec {
            Ok(r) => match record_to_page(&r, &name) {
                Ok(Some(_)) => pages += 1,
                Ok(None) => {}
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push(e.to_string()),
        }
    }
    (pages, errors)
}

#[test]
fn warc_plain_gzipped_and_truncated() {
    let dir = tempfile::tempdir().unwrap();
    // Gzipped, one member per record.
    let (gz_pages, gz_err) = count_pages(&sample());
    assert_eq!((gz_pages, gz_err.len()), (63, 0));
    // The same records uncompressed.
    let plain = dir.path().join("plain.warc");
    std::fs::write(&plain, gunzip_all(&sample())).unwrap();
    let (p_pages, p_err) = count_pages(&plain);
    assert_eq!((p_pages, p_err.len()), (63, 0), "{p_err:?}");
    // The same records gzipped as one member (a whole-file `gzip`, against the standard's
    // one member per record): every record is still read.
    let whole = dir.path().join("whole.warc.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&std::fs::read(&plain).unwrap()).unwrap();
    std::fs::write(&whole, gz.finish().unwrap()).unwrap();
    let (w_pages, w_err) = count_pages(&whole);
    assert_eq!((w_pages, w_err.len()), (63, 0), "{w_err:?}");

    // Truncated gzip: cut in the middle of the file. Records before the cut are read, the
    // cut one is reported with its record number and offset.
    let bytes = std::fs::read(sample()).unwrap();
    let cut = dir.path().join("cut.warc.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (c_pages, c_err) = count_pages(&cut);
    assert!(c_pages > 20 && c_pages < 63, "{c_pages}");
    assert_eq!(c_err.len(), 1, "{c_err:?}");
    assert!(c_err[0].contains("truncated gzip member"), "{}", c_err[0]);
    assert!(
        c_err[0].contains(&format!("record {}", c_pages + 1)),
        "{}",
        c_err[0]
    );

    // A corrupt member in the middle: skipped, and reading resumes at the next member.
    let mut corrupt = bytes.clone();
    let mid = bytes.len() / 2;
    for b in &mut corrupt[mid..mid + 64] {
        *b ^= 0x55;
    }
    let bad = dir.path().join("corrupt.warc.gz");
    std::fs::write(&bad, &corrupt).unwrap();
    let (b_pages, b_err) = count_pages(&bad);
    assert!(!b_err.is_empty());
    assert!((60..63).contains(&b_pages), "{b_pages} {b_err:?}");

    // Truncated plain WARC: the complete records are read, then one error.
    let plain_bytes = std::fs::read(&plain).unwrap();
    let pcut = dir.path().join("cut.warc");
    std::fs::write(&pcut, &plain_bytes[..plain_bytes.len() / 2]).unwrap();
    let (pc_pages, pc_err) = count_pages(&pcut);
    assert!(pc_pages > 20 && pc_pages < 63);
    assert_eq!(pc_err.len(), 1);
    assert!(pc_err[0].contains("truncated"), "{}", pc_err[0]);
}

/// Starts of the records of a plain WARC (offsets of `WARC/1.` version lines).
fn record_starts(bytes: &[u8]) -> Vec<usize> {
    (0..bytes.len())
        .filter(|&i| bytes[i..].starts_with(b"WARC/1.") && (i == 0 || bytes[i - 1] == b'\n'))
        .collect()
}

/// Replaces the value of the first `Content-Length:` header at or after `from`.
fn set_content_length(bytes: &[u8], from: usize, value: &str) -> Vec<u8> {
    let at = from
        + bytes[from..]
            .windows(15)
            .position(|w| w.eq_ignore_ascii_case(b"Content-Length:"))
            .unwrap();
    let end = at + bytes[at..].iter().position(|&b| b == b'\r').unwrap();
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(format!("Content-Length: {value}").as_bytes());
    out.extend_from_slice(&bytes[end..]);
    out
}

#[test]
fn a_plain_warc_goes_on_after_a_broken_record() {
    let dir = tempfile::tempdir().unwrap();
    let plain = gunzip_all(&sample());
    let starts = record_starts(&plain);
    assert!(starts.len() > 60);
    let (all_pages, _) = {
        let p = dir.path().join("ok.warc");
        std::fs::write(&p, &plain).unwrap();
        count_pages(&p)
    };
    // Which records are pages: drop one record at a time and count.
    let pages_without = |i: usize| -> usize {
        let mut b = plain[..starts[i]].to_vec();
        b.extend_from_slice(
            plain
                .get(starts.get(i + 1).copied().unwrap_or(plain.len())..)
                .unwrap(),
        );
        let p = dir.path().join("drop.warc");
        std::fs::write(&p, &b).unwrap();
        count_pages(&p).0
    };
    for (name, value) in [
        ("length too large", "99999"),
        ("length too small", "10"),
        ("length missing", "x"),
        ("length over the record cap", "999999999999"),
    ] {
        // Break the record at a third and the one at two thirds of the file.
        let (i, j) = (starts.len() / 3, 2 * starts.len() / 3);
        let broken = set_content_length(&plain, starts[j], value);
        let broken = set_content_length(&broken, starts[i], value);
        let p = dir.path().join("broken.warc");
        std::fs::write(&p, &broken).unwrap();
        let (pages, errors) = count_pages(&p);
        let lost = (all_pages - pages_without(i)) + (all_pages - pages_without(j));
        assert_eq!(pages, all_pages - lost, "{name}: {errors:?}");
        assert!(
            !errors.is_empty() && errors.len() <= 2,
            "{name}: {errors:?}"
        );
    }
    // Junk between two intact records costs nothing but a report; a missing trailer nothing.
    let i = starts.len() / 2;
    let mut junk = plain[..starts[i]].to_vec();
    junk.extend_from_slice(b"garbage line\r\n");
    junk.extend_from_slice(&plain[starts[i]..]);
    let p = dir.path().join("junk.warc");
    std::fs::write(&p, &junk).unwrap();
    let (pages, errors) = count_pages(&p);
    assert_eq!((pages, errors.len()), (all_pages, 1), "{errors:?}");
    assert!(plain[..starts[i]].ends_with(b"\r\n\r\n"));
    let mut bare = plain[..starts[i] - 4].to_vec();
    bare.extend_from_slice(&plain[starts[i]..]);
    std::fs::write(&p, &bare).unwrap();
    let (pages, errors) = count_pages(&p);
    assert_eq!((pages, errors.len()), (all_pages, 0), "{errors:?}");
    // A length 12 bytes too long swallows the next record's version line: that record is
    // still found.
    let old_len: usize = {
        let h = &plain[starts[i - 1]..starts[i]];
        let at = h.windows(15).position(|w| w == b"Content-Length:").unwrap();
        let line = &h[at + 15..];
        let end = line.iter().position(|&b| b == b'\r').unwrap();
        std::str::from_utf8(&line[..end])
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let long = set_content_length(&plain, starts[i - 1], &(old_len + 12).to_string());
    std::fs::write(&p, &long).unwrap();
    let (pages, errors) = count_pages(&p);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(pages, pages_without(i - 1), "{errors:?}");
}

#[test]
fn cli_reports_broken_inputs_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(sample()).unwrap();
    let cut = dir.path().join("cut.warc.gz");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 4]).unwrap();
    let junk = dir.path().join("junk.warc");
    std::fs::write(&junk, b"this is not a WARC file\r\n\r\n").unwrap();
    // An empty file inside a directory given as input is a read failure (named directly it is
    // a usage error: see `named_inputs_that_cannot_be_read_are_usage_errors`).
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let empty = sub.join("empty.warc.gz");
    std::fs::write(&empty, b"").unwrap();
    let db = dir.path().join("c.db");
    let out = Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .arg("--db")
        .arg(&db)
        .arg("ingest")
        .arg("--json")
        .arg(&cut)
        .arg(&junk)
        .arg(&sub)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cut.warc.gz#"), "{stderr}");
    assert!(stderr.contains("junk.warc"), "{stderr}");
    assert!(stderr.contains("no WARC records"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["failures"], 3);
    assert!(summary["pages_read"].as_u64().unwrap() > 30);
    let store = Store::open(&db).unwrap();
    let failures: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM failures", [], |r| r.get(0))
        .unwrap();
    assert_eq!(failures, 3);

    // A missing path is a usage error (exit 2) and nothing is read.
    let out = Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .arg("--db")
        .arg(&db)
        .args(["ingest", "/nonexistent/file.warc.gz"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cli_main_job_prints_report_links_and_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let bin = env!("CARGO_BIN_EXE_copytrail");
    let st = Command::new(bin)
        .arg("--db")
        .arg(&db)
        .arg("ingest")
        .arg("--origins")
        .arg(root().join("data/sample/origins.txt"))
        .arg(sample())
        .output()
        .unwrap();
    assert!(st.status.success(), "{st:?}");
    let links = Command::new(bin)
        .arg("--db")
        .arg(&db)
        .arg("links")
        .output()
        .unwrap();
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&links.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(rows.len() >= 43, "{}", rows.len());
    for r in &rows {
        for k in [
            "copy_url",
            "original_url",
            "kind",
            "distance",
            "containment",
            "credited",
        ] {
            assert!(r.get(k).is_some(), "{k} missing in {r}");
        }
        assert!(r["kind"] == "full" || r["kind"] == "partial");
    }
    let report = Command::new(bin)
        .arg("--db")
        .arg(&db)
        .arg("report")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(text.starts_with("13 originals"), "{text}");
    let csv = Command::new(bin)
        .arg("--db")
        .arg(&db)
        .args(["report", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&csv.stdout).lines().count(),
        rows.len() + 1
    );
    let corpus = dir.path().join("corpus.jsonl");
    let ex = Command::new(bin)
        .arg("--db")
        .arg(&db)
        .arg("export")
        .arg("--corpus")
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(ex.status.success());
    let stories: Vec<serde_json::Value> = std::fs::read_to_string(&corpus)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // 13 originals + 5 unrelated pages; no copy is a story of its own.
    assert_eq!(stories.len(), 18);
    let copies: usize = stories
        .iter()
        .map(|s| s["copies"].as_array().unwrap().len())
        .sum();
    assert_eq!(copies, rows.len());
    // The export never overwrites the store: given the store itself, a link to it, or another
    // SQLite file, it refuses (exit 2) and the store is intact.
    let size = std::fs::metadata(&db).unwrap().len();
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&db, &link).unwrap();
    let other = dir.path().join("other.db");
    std::fs::copy(&db, &other).unwrap();
    for target in [&db, &link, &other] {
        let ex = Command::new(bin)
            .arg("--db")
            .arg(&db)
            .args(["export", "--corpus"])
            .arg(target)
            .output()
            .unwrap();
        assert_eq!(ex.status.code(), Some(2), "{target:?}");
        assert!(
            String::from_utf8_lossy(&ex.stderr).contains("refusing to overwrite"),
            "{}",
            String::from_utf8_lossy(&ex.stderr)
        );
    }
    assert_eq!(std::fs::metadata(&db).unwrap().len(), size);
    let links = Command::new(bin)
        .arg("--db")
        .arg(&db)
        .arg("links")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&links.stdout).lines().count(),
        rows.len()
    );
    // `export --corpus - | head -0`: a closed pipe ends the export quietly with exit 0, as
    // for `links`.
    for args in [&["export", "--corpus", "-"][..], &["links"][..]] {
        let mut child = Command::new(bin)
            .arg("--db")
            .arg(&db)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?} {out:?}");
    }
    // No temporary file is left beside a completed export.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn case_dir(name: &str) -> PathBuf {
    root().join("tests/data/cases").join(name)
}

fn case_page(dir: &Path, url: &str) -> Page {
    let headers: Vec<(String, String)> = std::fs::read_to_string(dir.join("headers.txt"))
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Page {
        url: url::Url::parse(url).unwrap(),
        status: 200,
        headers,
        body: std::fs::read(dir.join("page.html")).unwrap(),
        fetched_at: None,
        source: PageSource::File {
            path: dir.display().to_string(),
        },
    }
}

fn expected(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(case_dir(name).join("expected.json")).unwrap())
        .unwrap()
}

#[test]
fn charset_cases_through_the_pipeline() {
    // The charset cases live with the extraction golden folders (data/golden); here they go
    // through the whole per-page pipeline (headers → decode → extract → fingerprint).
    for name in [
        "01-charset-meta-latin1-bytes",
        "02-charset-bom-beats-header",
    ] {
        let dir = root().join("data/golden").join(name);
        let exp: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let page = case_page(&dir, exp["url"].as_str().unwrap());
        let a = copytrail::pipeline::analyse(&page);
        assert_eq!(
            a.encoding.map(str::to_ascii_lowercase).as_deref(),
            exp["encoding"].as_str(),
            "{name}"
        );
        assert_eq!(a.encoding_source, exp["encoding_source"].as_str(), "{name}");
        let art = a.article.unwrap();
        let text = art.text.split_whitespace().collect::<Vec<_>>().join(" ");
        for p in exp["blocks_in_order"].as_array().unwrap() {
            assert!(
                text.contains(p.as_str().unwrap()),
                "{name}: {p} not in {text}"
            );
        }
        for bad in exp["text_must_not_contain"].as_array().unwrap() {
            assert!(
                !text.contains(bad.as_str().unwrap()),
                "{name}: {bad:?} in body"
            );
        }
        assert!(
            a.fingerprint.is_some(),
            "{name}: a real story gets a fingerprint"
        );
    }
}

#[test]
fn chinese_texts_get_distinct_fingerprints_and_link_only_the_copy() {
    use copytrail::fingerprint::{fingerprint, hamming, normalise};
    let dir = case_dir("22-simhash-cjk-no-features");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let (o, r, u) = (
        read("original_zh.txt"),
        read("republished_zh.txt"),
        read("unrelated_zh.txt"),
    );
    let fps: Vec<_> = [&o, &r, &u]
        .iter()
        .map(|t| {
            let n = normalise::tokens(&normalise::normalise(t)).len();
            assert!(n >= 50, "only {n} features");
            fingerprint(t).unwrap()
        })
        .collect();
    for f in &fps {
        assert_ne!(f.simhash, u64::MAX);
        assert_ne!(f.simhash, 0);
    }
    assert_ne!(fps[0].simhash, fps[1].simhash);
    assert_ne!(fps[0].simhash, fps[2].simhash);
    assert!(hamming(fps[0].simhash, fps[1].simhash) < hamming(fps[0].simhash, fps[2].simhash));
    let cfg = LinkConfig::default();
    assert!(copytrail::link::verify(&fps[0], &fps[1], &cfg).is_some());
    assert!(copytrail::link::verify(&fps[0], &fps[2], &cfg).is_none());
    assert!(copytrail::link::verify(&fps[1], &fps[2], &cfg).is_none());
}

#[test]
fn short_and_stub_documents_are_never_linked_through_their_sameness() {
    let dir = case_dir("23-dedup-short-and-stub-docs");
    let exp = expected("23-dedup-short-and-stub-docs");
    let (store, summary) = ingest(
        Store::open_in_memory().unwrap(),
        &[dir.join("docs.jsonl")],
        vec![],
    );
    assert_eq!(summary.failures, 0);
    let ids: HashMap<String, String> = std::fs::read_to_string(dir.join("docs.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["url"].as_str().unwrap().to_string(),
                v["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let rows = report::link_rows(&store).unwrap();
    let got: HashSet<(String, String)> = rows
        .iter()
        .map(|r| (ids[&r.copy_url].clone(), ids[&r.original_url].clone()))
        .collect();
    let want: HashSet<(String, String)> = [("brief_b", "brief_a"), ("long_a_copy", "long_a")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want);
    let pairs = exp["expected"]["duplicate_pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), want.len());
    for doc in exp["expected"]["insufficient_content"].as_array().unwrap() {
        let doc = doc.as_str().unwrap();
        let url = ids.iter().find(|(_, v)| *v == doc).unwrap().0;
        let fps: i64 = store
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM fingerprints f JOIN pages p ON p.id = f.page_id WHERE p.url = ?1",
                [url],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(fps, 0, "{doc} must get no story fingerprint");
    }
}

#[test]
fn json_lines_are_streamed_and_an_overlong_line_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    let line = |n: u32| {
        format!(
            r#"{{"url":"https://ft.example/{n}","text":"Story {n}: the council approved the harbour plan after a long debate.","published":"2024-03-0{n}"}}"#
        )
    };
    let long = format!(
        r#"{{"url":"https://ft.example/x","text":"{}"}}"#,
        "a".repeat(copytrail::ingest::run::MAX_JSONL_LINE_BYTES as usize)
    );
    // A byte order mark on line 1 is ignored (the line is kept); a line with no text (a
    // labels file, say) is a recorded failure, not an empty article.
    let labels_like = r#"{"url":"https://ft.example/3","copy_of":"https://ft.example/1"}"#;
    std::fs::write(
        &path,
        format!("\u{feff}{}\n{long}\n{}\n{labels_like}\n", line(1), line(2)),
    )
    .unwrap();
    let (store, s) = ingest(Store::open_in_memory().unwrap(), &[path], vec![]);
    assert_eq!(s.pages_read, 2);
    assert_eq!(s.failures, 2);
    let strings = |sql: &str| -> Vec<String> {
        let mut st = store.conn().prepare(sql).unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let reasons = strings("SELECT source || ' ' || reason FROM failures ORDER BY source");
    assert!(
        reasons[0].contains(":2") && reasons[0].contains("longer than"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains(":4") && reasons[1].contains("no `text`"),
        "{reasons:?}"
    );
    assert_eq!(
        strings("SELECT url FROM pages ORDER BY url"),
        ["https://ft.example/1", "https://ft.example/2"]
    );
}

#[test]
fn html_files_and_directories_are_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("pages");
    std::fs::create_dir(&sub).unwrap();
    let html = "<html><head><title>T</title></head><body><article><p>The council approved the harbour plan on Monday after a long debate about costs and the environment in the town hall.</p></article></body></html>";
    std::fs::write(sub.join("a.html"), html).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(html.as_bytes()).unwrap();
    std::fs::write(sub.join("b.html.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(sub.join("notes.txt"), "ignored").unwrap();
    let (_, s) = ingest(
        Store::open_in_memory().unwrap(),
        &[dir.path().to_path_buf()],
        vec![],
    );
    assert_eq!(s.pages_read, 2);
    assert_eq!(s.failures, 0);

    // A symbolic link back to an enclosing directory: walked once, the loop reported.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path(), sub.join("loop")).unwrap();
        let (store, s) = ingest(
            Store::open_in_memory().unwrap(),
            &[dir.path().to_path_buf()],
            vec![],
        );
        assert_eq!(s.pages_read, 2);
        assert_eq!(s.failures, 1);
        let reason: String = store
            .conn()
            .query_row("SELECT reason FROM failures", [], |r| r.get(0))
            .unwrap();
        assert!(reason.contains("symbolic link loop"), "{reason}");
        // The same directory given twice, or an alias of it: walked once, no failure.
        std::fs::remove_file(sub.join("loop")).unwrap();
        std::os::unix::fs::symlink(&sub, dir.path().join("alias")).unwrap();
        let (_, s) = ingest(
            Store::open_in_memory().unwrap(),
            &[sub.clone(), sub.clone(), dir.path().to_path_buf()],
            vec![],
        );
        assert_eq!((s.pages_read, s.failures), (2, 0));
        // A broken symbolic link inside a walked directory is reported, not skipped quietly.
        std::os::unix::fs::symlink(dir.path().join("gone"), sub.join("c.html")).unwrap();
        let (store, s) = ingest(
            Store::open_in_memory().unwrap(),
            &[dir.path().to_path_buf()],
            vec![],
        );
        assert_eq!((s.pages_read, s.failures), (2, 1));
        let (source, reason): (String, String) = store
            .conn()
            .query_row("SELECT source, reason FROM failures", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert!(
            source.ends_with("c.html") && reason.contains("broken symbolic link"),
            "{source}: {reason}"
        );
        std::fs::remove_file(sub.join("c.html")).unwrap();
    }

    // An HTML file one byte over the page limit (here gzipped, 11 KB on disk) is refused with
    // the page limit, and nothing past it is read.
    let limit = copytrail::ingest::run::MAX_HTML_BYTES as usize;
    let mut big = html.as_bytes().to_vec();
    big.resize(limit + 1, b' ');
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&big).unwrap();
    std::fs::write(sub.join("huge.html.gz"), gz.finish().unwrap()).unwrap();
    let (store, s) = ingest(
        Store::open_in_memory().unwrap(),
        &[dir.path().to_path_buf()],
        vec![],
    );
    assert_eq!((s.pages_read, s.failures), (2, 1));
    let reason: String = store
        .conn()
        .query_row("SELECT reason FROM failures", [], |r| r.get(0))
        .unwrap();
    assert!(reason.contains("page limit"), "{reason}");
    // Exactly at the limit it is read.
    big.truncate(limit);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&big).unwrap();
    std::fs::write(sub.join("huge.html.gz"), gz.finish().unwrap()).unwrap();
    let (_, s) = ingest(
        Store::open_in_memory().unwrap(),
        &[dir.path().to_path_buf()],
        vec![],
    );
    assert_eq!((s.pages_read, s.failures), (3, 0));
}

#[test]
fn translated_copies_are_linked_to_their_originals() {
    let dir = root().join("data/sample-xling");
    let origins = origins_in(&dir.join("origins.txt"));
    let (store, s) = ingest(
        Store::open_in_memory().unwrap(),
        &[dir.join("sample.warc.gz")],
        origins,
    );
    assert_eq!(s.failures, 0);
    let labels = eval::read_labels(&dir.join("labels.jsonl")).unwrap();
    let rows = report::link_rows(&store).unwrap();
    let ev = eval::evaluate(&rows, &labels);
    assert!(
        ev.recall >= 0.65,
        "recall {} missed {:?}",
        ev.recall,
        ev.missed
    );
    assert!(
        ev.precision >= 0.9,
        "precision {} {:?}",
        ev.precision,
        ev.false_links
    );
    assert!(rows.iter().all(|r| r.kind == "translation"), "{rows:?}");
    // Credit is judged on translated copies too ("Quelle:", "来源：", links).
    assert!(ev.credited_accuracy >= 0.9, "{}", ev.credited_accuracy);
}

/// Translation matches of the pages `ids`, recomputed from scratch in that order.
fn translation_matches(store: &mut Store, ids: &[i64]) -> Vec<(i64, i64)> {
    store
        .conn()
        .execute("DELETE FROM matches WHERE kind = 'translation'", [])
        .unwrap();
    let index = copytrail::ingest::postings::AnchorPostings::load(store.conn()).unwrap();
    copytrail::link::match_translations(store, &index, ids, &LinkConfig::default()).unwrap();
    let mut st = store
        .conn()
        .prepare("SELECT a, b FROM matches WHERE kind = 'translation' ORDER BY a, b")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn translation_matching_does_not_depend_on_the_order_pages_are_visited() {
    // Anchor weights (document frequencies) once depended on which pages had been looked up
    // earlier in a pass, so the same store could give different links from run to run.
    let dir = root().join("data/sample-xling");
    let origins = origins_in(&dir.join("origins.txt"));
    let (mut store, _) = ingest(
        Store::open_in_memory().unwrap(),
        &[dir.join("sample.warc.gz")],
        origins,
    );
    let ids: Vec<i64> = {
        let mut st = store
            .conn()
            .prepare("SELECT page_id FROM anchors ORDER BY page_id")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(ids.len() > 20, "pages with anchors: {}", ids.len());
    let forward = translation_matches(&mut store, &ids);
    assert!(!forward.is_empty());
    let mut reversed = ids.clone();
    reversed.reverse();
    assert_eq!(translation_matches(&mut store, &reversed), forward);
    // Interleaved: odd positions first.
    let mut mixed: Vec<i64> = ids.iter().skip(1).step_by(2).copied().collect();
    mixed.extend(ids.iter().step_by(2));
    assert_eq!(translation_matches(&mut store, &mixed), forward);
}

#[test]
fn without_origin_domains_the_original_is_inferred_from_evidence() {
    // The sample's records are shuffled, so copies often come before their originals.
    let (store, _) = ingest(Store::open_in_memory().unwrap(), &[sample()], vec![]);
    let labels = eval::read_labels(&root().join("data/sample/labels.jsonl")).unwrap();
    let rows = report::link_rows(&store).unwrap();
    let ev = eval::evaluate(&rows, &labels);
    assert!(
        ev.precision >= 0.8,
        "precision {} {:?}",
        ev.precision,
        ev.false_links
    );
    assert!(ev.recall >= 0.8, "recall {}", ev.recall);
    assert_eq!(ev.unrelated_linked, 0);
    assert!(rows.iter().all(|r| r.decided_by != "origin-domain"));
}

#[test]
fn hostile_pages_are_recorded_failures_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    // 200,000 nested unclosed inline tags and 100,000 nested divs: once a stack overflow and
    // a quadratic hang; now each is stored, reported and counted, and the good page is linked.
    std::fs::write(
        dir.path().join("deep1.html"),
        format!("<html><body>{}deep text", "<b><i>".repeat(100_000)),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("deep2.html"),
        "<div>".repeat(100_000) + "x" + &"</div>".repeat(100_000),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ok.html"),
        "<html><body><article><p>The council approved the harbour plan on Monday after a long debate about costs.</p></article></body></html>",
    )
    .unwrap();
    let (store, s) = ingest(
        Store::open_in_memory().unwrap(),
        &[dir.path().to_path_buf()],
        vec![],
    );
    assert_eq!(s.pages_read, 3);
    assert_eq!(s.failures, 2);
    let reasons: Vec<String> = store
        .conn()
        .prepare("SELECT reason FROM failures ORDER BY source")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(reasons.iter().all(|r| r.contains("nested")), "{reasons:?}");
}

#[test]
fn read_commands_say_when_links_are_still_pending() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let (store, _) = ingest(Store::open(&db).unwrap(), &[sample()], sample_origins());
    let report = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_copytrail"))
            .arg("--db")
            .arg(&db)
            .args(args)
            .output()
            .unwrap()
    };
    drop(store);
    let out = report(&["report"]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("still wait"));
    // As a run killed between storing pages and relinking leaves it.
    Store::open(&db)
        .unwrap()
        .conn()
        .execute(
            "INSERT INTO relink_pending (page_id, anchors) SELECT id, 0 FROM pages LIMIT 3",
            [],
        )
        .unwrap();
    let out = report(&["links"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("3 pages of"),
        "{out:?}"
    );
}

/// `eval links` with a labels file that holds no label is a usage error (exit 2), not a score
/// of nothing.
#[test]
fn eval_links_refuses_an_empty_labels_file() {
    let dir = tempfile::tempdir().unwrap();
    let labels = dir.path().join("labels.jsonl");
    std::fs::write(&labels, "\n  \n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .arg("--db")
        .arg(dir.path().join("none.db"))
        .args(["eval", "links", "--labels"])
        .arg(&labels)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no labels"));
}

#[test]
fn read_only_commands_refuse_a_missing_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("typo.db");
    for args in [
        vec!["links"],
        vec!["report"],
        vec!["export", "--corpus", "-"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_copytrail"))
            .arg("--db")
            .arg(&db)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("no such store"));
        assert!(!db.exists(), "{args:?} created the store");
    }
}

/// `copytrail ingest … | head -0`-like: stdout is closed before the summary is printed. The
/// command must still finish its work and exit 0 without a panic (it used `println!`).
#[test]
fn cli_ingest_with_closed_stdout_finishes_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .arg("--db")
        .arg(&db)
        .arg("ingest")
        .arg(sample())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}: {stderr}",
        out.status.code()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The work was done: the pages are in the store.
    let store = Store::open(&db).unwrap();
    let n: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM pages", [], |r| r.get(0))
        .unwrap();
    assert!(n > 50, "{n} pages stored");
}

/// A gzip member that decompresses past the record limit (64 MiB) is reported and skipped;
/// the records after it are still read (they used to be dropped silently).
#[test]
fn an_oversized_warc_record_is_skipped_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let sample_bytes = std::fs::read(sample()).unwrap();
    let mut big = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    big.write_all(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 73400320\r\n\r\n")
        .unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..70 {
        big.write_all(&chunk).unwrap();
    }
    let mut bytes = sample_bytes.clone();
    bytes.extend_from_slice(&big.finish().unwrap());
    bytes.extend_from_slice(&sample_bytes);
    let path = dir.path().join("three.warc.gz");
    std::fs::write(&path, &bytes).unwrap();
    let (pages, errors) = count_pages(&path);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("larger than"), "{}", errors[0]);
    assert_eq!(pages, 2 * 63);
}

/// Damage to the first gzip member of a `.warc.gz` (its magic bytes) costs that member only: the
/// file is still read as gzip and resynchronised at the next member (it used to be read as a
/// plain WARC and lost whole).
#[test]
fn a_warc_gz_with_a_damaged_first_member_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(sample()).unwrap();
    bytes[..4].copy_from_slice(&[0, 0, 0, 0]);
    let path = dir.path().join("hdr.warc.gz");
    std::fs::write(&path, &bytes).unwrap();
    let (pages, errors) = count_pages(&path);
    assert_eq!(errors.len(), 1, "{errors:?}");
    // The first member is the warcinfo record: every page survives.
    assert_eq!(pages, 63);
}

/// `bytes` as one gzip member.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A plain WARC as a `.warc.gz` with one gzip member per record.
fn gzip_per_record(plain: &[u8]) -> Vec<u8> {
    let starts = record_starts(plain);
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(plain.len());
        out.extend_from_slice(&gzip(&plain[s..end]));
    }
    out
}

/// Index (in `starts`) of the first HTML `response` record at or after `from` that is not the
/// last record.
fn html_response_after(plain: &[u8], starts: &[usize], from: usize) -> usize {
    (from..starts.len() - 1)
        .find(|&i| {
            let rec = &plain[starts[i]..starts[i + 1]];
            rec.windows(19).any(|w| w == b"WARC-Type: response")
                && rec.windows(9).any(|w| w.eq_ignore_ascii_case(b"text/html"))
        })
        .unwrap()
}

/// The sample WARC with every record's header lines and trailer ending in a bare LF.
fn with_lf_line_ends(plain: &[u8]) -> Vec<u8> {
    let starts = record_starts(plain);
    let mut out = Vec::with_capacity(plain.len());
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(plain.len());
        let rec = &plain[s..end];
        let head = rec.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert!(rec.ends_with(b"\r\n\r\n"));
        out.extend_from_slice(
            &rec[..head]
                .iter()
                .copied()
                .filter(|&b| b != b'\r')
                .collect::<Vec<_>>(),
        );
        out.extend_from_slice(&rec[head..rec.len() - 4]);
        out.extend_from_slice(b"\n\n");
    }
    out
}

#[test]
fn warc_records_with_lf_line_ends_are_read_and_unknown_versions_reported() {
    let dir = tempfile::tempdir().unwrap();
    let plain = gunzip_all(&sample());
    let p = dir.path().join("ok.warc");
    std::fs::write(&p, &plain).unwrap();
    let (all_pages, errors) = count_pages(&p);
    assert!(all_pages > 30 && errors.is_empty(), "{errors:?}");

    // Bare LF line ends: plain, one gzip member per record, and the whole file in one member.
    let lf = with_lf_line_ends(&plain);
    assert!(lf.starts_with(b"WARC/1.") && lf[8] == b'\n' && lf.len() < plain.len());
    let per_record = gzip_per_record(&lf);
    for (name, bytes) in [
        ("lf.warc", lf.clone()),
        ("lf.warc.gz", per_record),
        ("lf-whole.warc.gz", gzip(&lf)),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        let (pages, errors) = count_pages(&p);
        assert_eq!((pages, errors.len()), (all_pages, 0), "{name}: {errors:?}");
    }

    // A record claiming WARC/2.0 is reported, not read; the records around it are.
    let starts = record_starts(&plain);
    let i = html_response_after(&plain, &starts, starts.len() / 2);
    let mut v2 = plain.clone();
    v2[starts[i]..starts[i] + 8].copy_from_slice(b"WARC/2.0");
    let p = dir.path().join("v2.warc");
    std::fs::write(&p, &v2).unwrap();
    let (pages, errors) = count_pages(&p);
    assert_eq!(pages, all_pages - 1, "{errors:?}");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("WARC/2.0"), "{errors:?}");
}

#[test]
fn a_whole_file_gzip_warc_cut_short_keeps_the_records_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let plain = gunzip_all(&sample());
    let whole = gzip(&plain);
    let cut = &whole[..whole.len() / 2];
    let p = dir.path().join("cut.warc.gz");
    std::fs::write(&p, cut).unwrap();
    // What a decoder gets out of the cut file, as a plain WARC: the same pages must be read.
    let mut prefix = Vec::new();
    let _ = flate2::read::GzDecoder::new(cut).read_to_end(&mut prefix);
    assert!(prefix.len() > plain.len() / 3);
    let q = dir.path().join("prefix.warc");
    std::fs::write(&q, &prefix).unwrap();
    let (expected, _) = count_pages(&q);
    let (pages, errors) = count_pages(&p);
    assert!(expected > 10, "{expected}");
    assert_eq!(pages, expected, "{errors:?}");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("truncated gzip member"), "{errors:?}");
}

#[test]
fn a_gzip_record_whose_content_length_is_too_small_is_reported_not_stored_short() {
    let dir = tempfile::tempdir().unwrap();
    let plain = gunzip_all(&sample());
    let starts = record_starts(&plain);
    let p = dir.path().join("ok.warc");
    std::fs::write(&p, &plain).unwrap();
    let (all_pages, _) = count_pages(&p);
    // A response record in the middle, its Content-Length 100 bytes short.
    let i = html_response_after(&plain, &starts, starts.len() / 2);
    let rec = &plain[starts[i]..starts[i + 1]];
    let at = rec
        .windows(16)
        .position(|w| w == b"Content-Length: ")
        .unwrap()
        + 16;
    let end = at + rec[at..].iter().position(|&b| b == b'\r').unwrap();
    let len: usize = std::str::from_utf8(&rec[at..end]).unwrap().parse().unwrap();
    let broken = set_content_length(&plain, starts[i], &(len - 100).to_string());
    let per_record = gzip_per_record(&broken);
    for (name, bytes) in [
        ("per-record.warc.gz", per_record),
        ("whole.warc.gz", gzip(&broken)),
        ("plain.warc", broken.clone()),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        let (pages, errors) = count_pages(&p);
        assert_eq!(pages, all_pages - 1, "{name}: {errors:?}");
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        assert!(errors[0].contains("Content-Length"), "{name}: {errors:?}");
        if name != "plain.warc" {
            // Reported against the record that is wrong (its ordinal is i).
            assert!(
                errors[0].contains(&format!("record {i} ")),
                "{name}: {errors:?}"
            );
        }
    }
}

/// Runs the copytrail binary; returns its exit code and standard error.
fn run_copytrail(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_db_path_that_cannot_be_a_store_is_refused_clearly_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("a.html");
    std::fs::write(&html, "<html><body><p>Short page.</p></body></html>").unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let seeds = dir.path().join("seeds.txt");
    std::fs::write(&seeds, "https://a.example/\n").unwrap();
    let os = |s: &str| std::ffi::OsString::from(s);
    for (db, expected) in [
        (dir.path().as_os_str().to_owned(), "is a directory"),
        (os("/dev/null"), "is not a regular file"),
    ] {
        for cmd in [
            vec![os("ingest"), html.clone().into_os_string()],
            vec![os("report")],
            vec![os("links")],
            vec![os("crawl"), os("--seeds"), seeds.clone().into_os_string()],
        ] {
            let mut args = vec![os("--db"), db.clone()];
            args.extend(cmd);
            let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
            let (code, err) = run_copytrail(&args);
            assert_eq!(code, Some(2), "{args:?}: {err}");
            assert!(err.contains(expected), "{args:?}: {err}");
        }
    }
    // A read command on an empty file says so and writes nothing into it.
    let (code, err) = run_copytrail(&[
        os("--db").as_os_str(),
        empty.as_os_str(),
        os("report").as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("empty file"), "{err}");
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);
    // An absurd thread count is a usage error, not an abort.
    let db = dir.path().join("t.db");
    let (code, err) = run_copytrail(&[
        os("--db").as_os_str(),
        db.as_os_str(),
        os("ingest").as_os_str(),
        os("--threads").as_os_str(),
        os("100000").as_os_str(),
        html.as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--threads must be between 1 and"), "{err}");
}

/// An origin domain named on a later run overrules the original decided before it: the stored
/// links are decided again, not only those of pages added by that run.
#[test]
fn origin_domains_given_later_relink_the_stored_stories() {
    let dir = tempfile::tempdir().unwrap();
    let text = (0..12)
        .map(|k| {
            format!(
                "The harbour council approved plan number {k} on Monday after a long debate about \
                 the costs, the fishing fleet and the new breakwater planned for the north quay."
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    let line = |url: &str, published: &str| {
        serde_json::json!({"url": url, "title": "Harbour plan", "published": published, "text": text})
            .to_string()
    };
    let path = dir.path().join("articles.jsonl");
    std::fs::write(
        &path,
        format!(
            "{}\n{}\n",
            line(
                "https://www.realnews.com/harbour-plan",
                "2024-05-02T10:00:00Z"
            ),
            line(
                "https://www.farm.example/harbour-plan",
                "2024-05-01T10:00:00Z"
            )
        ),
    )
    .unwrap();
    let db = dir.path().join("s.db");
    let (store, _) = ingest(
        Store::open(&db).unwrap(),
        std::slice::from_ref(&path),
        vec![],
    );
    let rows = report::link_rows(&store).unwrap();
    assert_eq!(rows.len(), 1);
    // Without origin domains the earlier date decides.
    assert_eq!(
        rows[0].original_url,
        "https://www.farm.example/harbour-plan"
    );
    drop(store);
    let (store, s) = ingest(
        Store::open(&db).unwrap(),
        &[path],
        vec!["realnews.com".to_string()],
    );
    assert_eq!(s.unchanged, 2);
    let rows = report::link_rows(&store).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].original_url,
        "https://www.realnews.com/harbour-plan"
    );
    assert_eq!(rows[0].copy_url, "https://www.farm.example/harbour-plan");
}

/// One WARC `response` record for `url` with an HTML page whose article is `paragraphs`.
fn warc_response(url: &str, title: &str, paragraphs: &[String]) -> Vec<u8> {
    let html = format!(
        "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{}</article></body></html>",
        paragraphs
            .iter()
            .map(|p| format!("<p>{p}</p>"))
            .collect::<String>()
    );
    let http = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n{html}",
        html.len()
    );
    format!(
        "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nWARC-Date: 2024-05-01T10:00:00Z\r\nWARC-Record-ID: <urn:uuid:{:08x}>\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n{http}\r\n\r\n",
        url.len() * 7919 + paragraphs.len(),
        http.len()
    )
    .into_bytes()
}

/// A page stored in two versions (fetched again with a changed body) is one page for linking:
/// a copy of it does not become the original by matching both versions, and the page's URL is
/// not listed as a copy of anything.
#[test]
fn two_versions_of_one_url_are_one_page_for_linking() {
    let dir = tempfile::tempdir().unwrap();
    let story: Vec<String> = (0..30)
        .map(|k| {
            format!(
                "The old bridge over the river will close for repairs in stage {k}, the council \
                 said on Monday, after engineers found cracks in pillar number {k}."
            )
        })
        .collect();
    let mut updated = story.clone();
    updated.push("Update: the council has published the timetable for the repairs.".into());
    let files = [
        (
            "v1.warc",
            warc_response("https://www.eastnews.com/bridge", "Bridge", &story),
        ),
        (
            "v2.warc",
            warc_response("https://www.eastnews.com/bridge", "Bridge", &updated),
        ),
        (
            "v3.warc",
            warc_response("https://www.copysite.example/bridge", "Bridge", &story),
        ),
    ];
    let db = dir.path().join("s.db");
    for (name, bytes) in &files {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let (store, s) = ingest(Store::open(&db).unwrap(), &[p], vec![]);
        assert_eq!((s.pages_read, s.failures), (1, 0));
        drop(store);
    }
    let store = Store::open(&db).unwrap();
    let pages: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM pages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pages, 3);
    let rows = report::link_rows(&store).unwrap();
    let pairs: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.copy_url.as_str(), r.original_url.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![(
            "https://www.copysite.example/bridge",
            "https://www.eastnews.com/bridge"
        )]
    );
}

/// Ctrl-C during an ingest stops it cleanly: a message, the pages stored so far committed and
/// linked, exit code 130; the same command again continues (stored pages skipped as unchanged)
/// and ends with every page stored.
#[test]
fn ctrl_c_stops_an_ingest_cleanly_and_the_next_run_continues() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    std::fs::create_dir(&pages).unwrap();
    const N: usize = 2500;
    let words = [
        "harbour", "council", "budget", "river", "school", "station", "market", "bridge",
        "festival", "library", "museum", "hospital", "airport", "stadium", "factory", "garden",
    ];
    for i in 0..N {
        let body: Vec<String> = (0..4)
            .map(|p| {
                let w: Vec<&str> = (0..40)
                    .map(|k| words[(i * 7 + p * 3 + k * k) % 16])
                    .collect();
                format!("<p>Story {i} part {p}: {}.</p>", w.join(" "))
            })
            .collect();
        std::fs::write(
            pages.join(format!("{i:05}.html")),
            format!(
                "<html><head><title>Story {i}</title><link rel=canonical href=\"https://n{}.example/s/{i}\"></head><body><article>{}</article></body></html>",
                i % 50,
                body.concat()
            ),
        )
        .unwrap();
    }
    let db = dir.path().join("i.db");
    let run = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_copytrail"));
        c.arg("--db")
            .arg(&db)
            .args(["ingest", "--json"])
            .arg(&pages);
        c.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        c
    };
    let child = run().spawn().unwrap();
    let t0 = std::time::Instant::now();
    while !db.exists() {
        assert!(t0.elapsed() < std::time::Duration::from_secs(60));
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(400));
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("stopping after the pages in progress"),
        "{stderr}"
    );
    assert!(stderr.contains("run the same command again"), "{stderr}");
    let first: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(first["interrupted"], true);
    let stored_first = first["pages_read"].as_u64().unwrap();
    assert!(stored_first < N as u64, "{first}");
    let count = || -> i64 {
        let store = Store::open(&db).unwrap();
        store
            .conn()
            .query_row("SELECT COUNT(*) FROM pages", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count() as u64, stored_first);
    let out = run().output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let second: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(second["interrupted"], false);
    assert_eq!(second["unchanged"].as_u64().unwrap(), stored_first);
    assert_eq!(second["pages_read"].as_u64().unwrap(), N as u64);
    assert_eq!(count(), N as i64);
}

/// A WARC record whose target URI is longer than the URL limit is reported and skipped (not
/// stored, its URI not printed whole); the records around it are ingested.
#[test]
fn overlong_warc_target_uri_is_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let paras: Vec<String> = (0..6)
        .map(|k| format!("Paragraph {k} of a story about the harbour plan and its costs."))
        .collect();
    let long = format!("https://a.example/{}", "x".repeat(100 * 1024));
    let mut warc = warc_response("https://a.example/one", "One", &paras);
    warc.extend(warc_response(&long, "Long", &paras));
    warc.extend(warc_response("https://a.example/two", "Two", &paras));
    let path = dir.path().join("p.warc");
    std::fs::write(&path, warc).unwrap();
    let (store, s) = ingest(Store::open_in_memory().unwrap(), &[path], vec![]);
    assert_eq!((s.pages_read, s.failures), (2, 1));
    let reason: String = store
        .conn()
        .query_row("SELECT reason FROM failures", [], |r| r.get(0))
        .unwrap();
    assert!(
        reason.contains("URL limit") && reason.len() < 300,
        "{reason}"
    );
}

/// A WARC "file" that is a pipe (a FIFO) is refused with a message instead of hanging when
/// reading would have to resume after a damaged record (it reopens and seeks the file).
#[test]
fn a_warc_pipe_is_refused_not_hung_on() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("ff.warc.gz");
    let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    let db = dir.path().join("f.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .arg("--db")
        .arg(&db)
        .arg("ingest")
        .arg(&fifo)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("ingest of a FIFO hung");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    // Named on the command line: a usage error, like a missing path (nothing is read).
    assert_eq!(status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a regular file"), "{err}");
}

/// One WARC record of `warc_type` for `uri` with `block` (uncompressed).
fn warc_record(warc_type: &str, uri: &str, content_type: &str, block: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "WARC/1.1\r\nWARC-Type: {warc_type}\r\nWARC-Target-URI: {uri}\r\nWARC-Date: 2024-05-01T10:00:00Z\r\nWARC-Record-ID: <urn:uuid:{:08x}>\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        uri.len() * 31 + warc_type.len() * 7 + block.len(),
        block.len()
    )
    .into_bytes();
    r.extend_from_slice(block);
    r.extend_from_slice(b"\r\n\r\n");
    r
}

/// WARC records that hold no page copytrail reads are counted by reason in the summary
/// (library and CLI, text and JSON); request/warcinfo/metadata records are not counted.
#[test]
fn skipped_warc_records_are_counted_by_reason() {
    let dir = tempfile::tempdir().unwrap();
    let paras: Vec<String> = (0..6)
        .map(|k| format!("Paragraph {k} of a story about the harbour plan and its costs."))
        .collect();
    let http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>hi</p>";
    let mut warc = warc_record(
        "warcinfo",
        "",
        "application/warc-fields",
        b"software: t\r\n",
    );
    warc.extend(warc_response("https://a.example/one", "One", &paras));
    warc.extend(warc_record(
        "request",
        "https://a.example/one",
        "application/http; msgtype=request",
        b"GET /one HTTP/1.1\r\n\r\n",
    ));
    for uri in [
        "javascript:void(0)",
        "data:text/html,<p>hi</p>",
        "mailto:desk@a.example",
        "file:///etc/hosts",
        "dns:a.example",
    ] {
        warc.extend(warc_record(
            "response",
            uri,
            "application/http; msgtype=response",
            http,
        ));
    }
    warc.extend(warc_record(
        "revisit",
        "https://a.example/one",
        "application/http; msgtype=response",
        b"HTTP/1.1 304 Not Modified\r\n\r\n",
    ));
    warc.extend(warc_record(
        "revisit",
        "https://a.example/two",
        "application/http; msgtype=response",
        b"HTTP/1.1 200 OK\r\n\r\n",
    ));
    warc.extend(warc_record(
        "resource",
        "https://a.example/doc.html",
        "text/html",
        b"<p>hi</p>",
    ));
    warc.extend(warc_record(
        "conversion",
        "https://a.example/doc.txt",
        "text/plain",
        b"hi",
    ));
    warc.extend(warc_record(
        "metadata",
        "https://a.example/one",
        "application/warc-fields",
        b"via: x\r\n",
    ));
    warc.extend(warc_response("https://a.example/two", "Two", &paras));
    let path = dir.path().join("mixed.warc");
    std::fs::write(&path, &warc).unwrap();

    let (_, s) = ingest(
        Store::open_in_memory().unwrap(),
        std::slice::from_ref(&path),
        vec![],
    );
    assert_eq!((s.pages_read, s.failures), (2, 0));
    let want: std::collections::BTreeMap<String, u64> = [
        ("non-HTTP target URI", 5),
        ("revisit", 2),
        ("resource", 1),
        ("conversion", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(s.skipped_records, want);

    let db = dir.path().join("m.db");
    let out = Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .arg("--db")
        .arg(&db)
        .arg("ingest")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "skipped: 9 WARC records (conversion: 1, non-HTTP target URI: 5, resource: 1, revisit: 2)\n"
        ),
        "{stdout}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .arg("--db")
        .arg(dir.path().join("j.db"))
        .arg("ingest")
        .arg("--json")
        .arg(&path)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["skipped_records"]["revisit"], 2, "{v}");
    assert_eq!(v["skipped_records"]["non-HTTP target URI"], 5, "{v}");
    // Nothing skipped: no line.
    let plain = dir.path().join("plain.warc");
    std::fs::write(
        &plain,
        warc_response("https://a.example/three", "Three", &paras),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .arg("--db")
        .arg(dir.path().join("p.db"))
        .arg("ingest")
        .arg(&plain)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("skipped:"));
}

/// JSON Lines `authors`: a string is one author, a list of strings one each; another shape is
/// a recorded failure naming the field, and the article is still stored (without authors).
#[test]
fn jsonl_authors_as_a_string_are_one_author_and_other_shapes_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pub.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"url":"https://ft.example/a","text":"Story A body text.","authors":"Jane Doe"}"#,
            "\n",
            r#"{"url":"https://ft.example/b","text":"Story B body text.","authors":["Jane Doe","John Roe"]}"#,
            "\n",
            r#"{"url":"https://ft.example/c","text":"Story C body text.","authors":{"name":"Jane Doe"}}"#,
            "\n",
        ),
    )
    .unwrap();
    let (store, s) = ingest(Store::open_in_memory().unwrap(), &[path], vec![]);
    assert_eq!((s.pages_read, s.failures), (3, 1));
    let authors = |url: &str| -> Vec<String> {
        let json: String = store
            .conn()
            .query_row(
                "SELECT a.article FROM articles a JOIN pages p ON p.id = a.page_id WHERE p.url = ?1",
                [url],
                |r| r.get(0),
            )
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        serde_json::from_value(v["authors"].clone()).unwrap()
    };
    assert_eq!(authors("https://ft.example/a"), ["Jane Doe"]);
    assert_eq!(authors("https://ft.example/b"), ["Jane Doe", "John Roe"]);
    assert!(authors("https://ft.example/c").is_empty());
    let (source, reason): (String, String) = store
        .conn()
        .query_row("SELECT source, reason FROM failures", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(source.ends_with("pub.jsonl:3"), "{source}");
    assert!(
        reason.contains(r#"authors {"name":"Jane Doe"} is not a name or a list of names"#),
        "{reason}"
    );
}

/// User names and passwords in page URLs (`http://user:pass@host/`) never reach the store or
/// the reports: not from a WARC target URI (nor the links and canonical URL that inherit them),
/// not from a JSON Lines `url`, not from links written into the page.
#[test]
fn credentials_in_page_urls_are_not_stored_or_reported() {
    let dir = tempfile::tempdir().unwrap();
    let paras: Vec<String> = (0..8)
        .map(|k| {
            format!(
                "Paragraph {k}: the harbour authority approved the new quay, with costs of {} million, after a long debate in the council chamber.",
                k * 7 + 3
            )
        })
        .collect();
    let html = format!(
        "<html><head><title>Quay</title><link rel=canonical href=\"/quay\"></head><body><article><h1>Quay</h1>{}<p>See <a href=\"/more\">more</a> and <a href=\"https://bob:hunter2@b.example/x\">this</a>, says the report.</p></article></body></html>",
        paras
            .iter()
            .map(|p| format!("<p>{p}</p>"))
            .collect::<String>()
    );
    let http = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n{html}",
        html.len()
    );
    let warc = warc_record(
        "response",
        "http://alice:s3cret@copy.example/quay",
        "application/http; msgtype=response",
        http.as_bytes(),
    );
    let warc_path = dir.path().join("creds.warc");
    std::fs::write(&warc_path, warc).unwrap();
    let jsonl_path = dir.path().join("creds.jsonl");
    let line = serde_json::json!({
        "url": "https://carol:pa55@news.example/quay",
        "title": "Quay",
        "published": "2024-01-01",
        "text": paras.join("\n\n"),
    });
    // A url that does not parse is reported without its credentials.
    let bad = r#"{"url":"https://dave:letmein@bad host/x","text":"x"}"#;
    std::fs::write(&jsonl_path, format!("{line}\n{bad}\n")).unwrap();
    let db = dir.path().join("c.db");
    let (store, s) = ingest(
        Store::open(&db).unwrap(),
        &[jsonl_path, warc_path],
        vec!["news.example".into()],
    );
    assert_eq!((s.pages_read, s.failures), (2, 1));
    let reason: String = store
        .conn()
        .query_row("SELECT reason FROM failures", [], |r| r.get(0))
        .unwrap();
    assert!(reason.contains("https://***@bad host/x"), "{reason}");
    let urls: Vec<String> = store
        .conn()
        .prepare("SELECT url FROM pages ORDER BY url")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        urls,
        ["http://copy.example/quay", "https://news.example/quay"]
    );
    let articles: Vec<String> = store
        .conn()
        .prepare("SELECT article FROM articles")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let all = articles.join("\n");
    assert!(all.contains("http://copy.example/more"), "{all}");
    assert!(all.contains("\"http://copy.example/quay\""), "{all}");
    assert!(all.contains("https://b.example/x"), "{all}");
    // The stored JSON Lines line (the supplied article's body) has its url cleaned too.
    let line: Vec<u8> = store
        .conn()
        .query_row(
            "SELECT body FROM pages WHERE url = 'https://news.example/quay'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let line = String::from_utf8(copytrail::store::decompress(&line).unwrap()).unwrap();
    assert!(
        line.contains(r#""url":"https://news.example/quay""#) && !line.contains("pa55"),
        "{line}"
    );
    drop(store);
    // Nothing of the credentials anywhere in the store file or in what the commands print.
    let bin = env!("CARGO_BIN_EXE_copytrail");
    let mut printed = String::new();
    for args in [
        vec!["links"],
        vec!["report"],
        vec!["report", "--format", "json"],
        vec!["export", "--corpus", "-"],
    ] {
        let out = Command::new(bin)
            .arg("--db")
            .arg(&db)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        printed.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    assert!(printed.contains("copy.example"), "{printed}");
    // The store file (page bodies are gzip: the archived HTML keeps the link written into it).
    let mut stored = Vec::new();
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let f = f.unwrap().path();
        if f.to_string_lossy().contains("c.db") {
            stored.extend(std::fs::read(&f).unwrap());
        }
    }
    for secret in [
        "s3cret", "pa55", "hunter2", "alice", "carol", "bob:", "letmein", "dave",
    ] {
        assert!(!printed.contains(secret), "{secret} printed: {printed}");
        assert!(
            !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} in the store"
        );
    }
}

/// A path named as an input that cannot be ingested — a device (`/dev/null`), an empty file, a
/// file whose name copytrail does not read — is a usage error with exit code 2, like a missing
/// path, and nothing is read or stored.
#[test]
fn named_inputs_that_cannot_be_read_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.warc");
    std::fs::write(&empty, b"").unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, b"hello").unwrap();
    let db = dir.path().join("u.db");
    for (path, why) in [
        (
            PathBuf::from("/dev/null"),
            "not a regular file or a directory",
        ),
        (dir.path().join("missing.warc"), "no such file or directory"),
        (empty.clone(), "empty file"),
        (notes.clone(), "not a WARC, HTML or JSON Lines file"),
    ] {
        // Given with a good input: still refused before anything is read.
        let (code, err) = run_copytrail(&[
            "--db".as_ref(),
            db.as_os_str(),
            "ingest".as_ref(),
            sample().as_os_str(),
            path.as_os_str(),
        ]);
        assert_eq!(code, Some(2), "{}: {err}", path.display());
        assert!(
            err.contains(&format!("{}: {why}", path.display())),
            "{}: {err}",
            path.display()
        );
    }
    let pages: i64 = Store::open(&db)
        .unwrap()
        .conn()
        .query_row("SELECT COUNT(*) FROM pages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pages, 0);
}

/// The same file given twice (`x` and `./x`, or named and inside a directory given too) is
/// read once, with a note on standard error.
#[test]
fn an_input_given_twice_is_read_once_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let paras: Vec<String> = (0..6)
        .map(|k| format!("Paragraph {k} of a story about the harbour plan and its costs."))
        .collect();
    let sub = dir.path().join("in");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        sub.join("a.warc"),
        warc_response("https://a.example/one", "One", &paras),
    )
    .unwrap();
    let db = dir.path().join("d.db");
    let out = Command::new(env!("CARGO_BIN_EXE_copytrail"))
        .current_dir(dir.path())
        .arg("--db")
        .arg(&db)
        .args(["ingest", "--json", "in/a.warc", "./in/a.warc", "in", "in/"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["pages_read"], 1, "{err}");
    assert_eq!(summary["unchanged"], 0, "{err}");
    assert!(
        err.contains("note: ./in/a.warc: same file as in/a.warc; read once"),
        "{err}"
    );
    assert!(
        err.contains("note: in/a.warc: given more than once; read once"),
        "{err}"
    );
    assert!(
        err.contains("note: in/: directory already among the inputs; read once"),
        "{err}"
    );
}
