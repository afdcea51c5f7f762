//! WARC/1.1 writer (ISO 28500:2017, "WARC/1.1" specification of the IIPC): one `warcinfo`
//! record per run, then a `request` and a `response` record per exchange. The file name decides
//! the compression ([`WarcCompression::for_path`]): a name ending in `.gz` (`crawl.warc.gz`)
//! gets each record as its own gzip member (ISO 28500 Annex D, so readers can seek to any
//! record, as warcio and `copytrail ingest` expect); any other name (`crawl.warc`) gets
//! uncompressed records. An existing file is appended to only in its own compression.
//!
//! The response block is the HTTP status line, headers and body. The body is stored as
//! decoded (decompressed, de-chunked), so `Content-Encoding` and `Transfer-Encoding` are
//! renamed to `X-Crawler-Content-Encoding`/`X-Crawler-Transfer-Encoding` (warcio's convention)
//! and `Content-Length` is set to the stored body length. A body cut at the size cap is marked
//! with `WARC-Truncated: length`.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};

use super::fetch::Exchange;

/// Errors writing WARC files.
#[derive(Debug, thiserror::Error)]
pub enum WarcError {
    /// I/O on the WARC file failed.
    #[error("WARC file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The existing file's compression is not the one its name asks for (records would be
    /// appended in a second compression, which no reader expects).
    #[error(
        "WARC file {path}: the name asks for {wanted} records but the file holds {found} records; \
         name it {hint} or choose another file"
    )]
    CompressionMismatch {
        /// The file.
        path: PathBuf,
        /// What the name asks for (`gzip` or `uncompressed`).
        wanted: &'static str,
        /// What the file's first bytes are (`gzip` or `uncompressed`).
        found: &'static str,
        /// A name that matches the file's content (`….warc.gz` or `….warc`).
        hint: String,
    },
}

/// How records are written: chosen by the file name, see [`WarcCompression::for_path`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarcCompression {
    /// Each record is its own gzip member (`.warc.gz`).
    GzipPerRecord,
    /// Records are written as they are (`.warc`).
    None,
}

impl WarcCompression {
    /// `GzipPerRecord` for a file name ending in `.gz` (any case), `None` otherwise.
    pub fn for_path(path: &Path) -> WarcCompression {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if name.ends_with(".gz") {
            WarcCompression::GzipPerRecord
        } else {
            WarcCompression::None
        }
    }

    fn describe(self) -> &'static str {
        match self {
            WarcCompression::GzipPerRecord => "gzip",
            WarcCompression::None => "uncompressed",
        }
    }
}

/// Checks that an existing non-empty file at `path` is in the compression its name asks for
/// (gzip recognised by its magic bytes 1f 8b). A missing or empty file passes.
///
/// # Errors
/// [`WarcError::CompressionMismatch`] when they differ; [`WarcError::Io`] if the file exists
/// but cannot be read.
pub fn check_compression(path: &Path) -> Result<(), WarcError> {
    use std::io::Read;
    let io = |source| WarcError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut head = Vec::with_capacity(2);
    match File::open(path) {
        Ok(f) => {
            f.take(2).read_to_end(&mut head).map_err(io)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(e)),
    }
    if head.is_empty() {
        return Ok(());
    }
    let found = if head == [0x1f, 0x8b] {
        WarcCompression::GzipPerRecord
    } else {
        WarcCompression::None
    };
    let wanted = WarcCompression::for_path(path);
    if found == wanted {
        return Ok(());
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hint = match found {
        WarcCompression::GzipPerRecord => format!("{name}.gz"),
        WarcCompression::None => name
            .get(..name.len().saturating_sub(3))
            .filter(|_| name.to_ascii_lowercase().ends_with(".gz"))
            .unwrap_or(&name)
            .to_string(),
    };
    Err(WarcError::CompressionMismatch {
        path: path.to_path_buf(),
        wanted: wanted.describe(),
        found: found.describe(),
        hint,
    })
}

/// Appends records to a WARC file (created if missing; appended to on resume): gzip per record
/// for a `.warc.gz` name, uncompressed for `.warc` (see [`WarcCompression::for_path`]).
pub struct WarcWriter {
    path: PathBuf,
    out: BufWriter<File>,
    compression: WarcCompression,
}

fn record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::new_v4())
}

fn warc_date(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Header value without CR/LF (a hostile header must not forge WARC or HTTP lines).
fn clean(v: &str) -> String {
    v.replace(['\r', '\n'], " ")
}

impl WarcWriter {
    /// Opens `path` for appending and writes a `warcinfo` record naming the software. The
    /// compression follows the name ([`WarcCompression::for_path`]).
    ///
    /// # Errors
    /// [`WarcError::CompressionMismatch`] if an existing file is in the other compression
    /// (nothing is written); [`WarcError::Io`] if the file cannot be opened or written.
    pub fn open(path: &Path, info: &str) -> Result<WarcWriter, WarcError> {
        check_compression(path)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| WarcError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let mut w = WarcWriter {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            compression: WarcCompression::for_path(path),
        };
        let filename = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let block = format!(
            "software: copytrail/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n{info}",
            env!("CARGO_PKG_VERSION")
        );
        let headers = vec![
            ("WARC-Type", "warcinfo".to_string()),
            ("WARC-Record-ID", record_id()),
            ("WARC-Date", warc_date(Utc::now())),
            ("WARC-Filename", clean(&filename)),
            ("Content-Type", "application/warc-fields".to_string()),
        ];
        w.write_record(&headers, block.as_bytes())?;
        w.flush()?;
        Ok(w)
    }

    fn write_record(&mut self, headers: &[(&str, String)], block: &[u8]) -> Result<(), WarcError> {
        let mut head = String::from("WARC/1.1\r\n");
        for (k, v) in headers {
            head.push_str(k);
            head.push_str(": ");
            head.push_str(v);
            head.push_str("\r\n");
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", block.len()));
        if self.compression == WarcCompression::None {
            let io = |source| WarcError::Io {
                path: self.path.clone(),
                source,
            };
            self.out.write_all(head.as_bytes()).map_err(io)?;
            self.out.write_all(block).map_err(io)?;
            return self.out.write_all(b"\r\n\r\n").map_err(io);
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        let io = |source| WarcError::Io {
            path: self.path.clone(),
            source,
        };
        gz.write_all(head.as_bytes()).map_err(io)?;
        gz.write_all(block).map_err(io)?;
        gz.write_all(b"\r\n\r\n").map_err(io)?;
        let member = gz.finish().map_err(io)?;
        self.out.write_all(&member).map_err(io)
    }

    /// Writes the `request` and `response` records of one exchange and flushes them to the OS
    /// (so a killed process loses no finished record).
    ///
    /// # Errors
    /// [`WarcError::Io`].
    pub fn write_exchange(&mut self, ex: &Exchange) -> Result<(), WarcError> {
        let date = warc_date(ex.requested_at);
        let uri = ex.url.to_string();
        let response_id = record_id();
        let request_id = record_id();

        // request
        let path = &ex.url[url::Position::BeforePath..url::Position::AfterQuery];
        let mut req = format!("GET {path} HTTP/1.1\r\n");
        for (k, v) in &ex.request_headers {
            req.push_str(&format!("{}: {}\r\n", clean(k), clean(v)));
        }
        req.push_str("\r\n");

        // response
        let mut resp = format!("{} {} {}\r\n", ex.version, ex.status, clean(&ex.reason));
        for (k, v) in &ex.headers {
            let name = if k.eq_ignore_ascii_case("content-encoding") {
                "X-Crawler-Content-Encoding".to_string()
            } else if k.eq_ignore_ascii_case("transfer-encoding") {
                "X-Crawler-Transfer-Encoding".to_string()
            } else if k.eq_ignore_ascii_case("content-length") {
                "X-Crawler-Content-Length".to_string()
            } else {
                clean(k)
            };
            resp.push_str(&format!("{name}: {}\r\n", clean(v)));
        }
        resp.push_str(&format!("Content-Length: {}\r\n\r\n", ex.body.len()));
        let mut block = resp.into_bytes();
        block.extend_from_slice(&ex.body);

        let mut rh = vec![
            ("WARC-Type", "response".to_string()),
            ("WARC-Record-ID", response_id.clone()),
            ("WARC-Date", date.clone()),
            ("WARC-Target-URI", clean(&uri)),
        ];
        if let Some(ip) = ex.remote_ip {
            rh.push(("WARC-IP-Address", ip.to_string()));
        }
        if ex.truncated {
            rh.push(("WARC-Truncated", "length".to_string()));
        }
        rh.push((
            "Content-Type",
            "application/http;msgtype=response".to_string(),
        ));
        self.write_record(&rh, &block)?;

        let qh = vec![
            ("WARC-Type", "request".to_string()),
            ("WARC-Record-ID", request_id),
            ("WARC-Date", date),
            ("WARC-Target-URI", clean(&uri)),
            ("WARC-Concurrent-To", response_id),
            (
                "Content-Type",
                "application/http;msgtype=request".to_string(),
            ),
        ];
        self.write_record(&qh, req.as_bytes())?;
        self.flush()
    }

    /// Flushes buffered records to the OS.
    ///
    /// # Errors
    /// [`WarcError::Io`].
    pub fn flush(&mut self) -> Result<(), WarcError> {
        self.out.flush().map_err(|source| WarcError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn page_exchange(url: &str, body: &str) -> Exchange {
        Exchange {
            url: url::Url::parse(url).unwrap(),
            request_headers: vec![("Host".into(), "a.example".into())],
            requested_at: Utc::now(),
            version: "HTTP/1.1",
            status: 200,
            reason: "OK".into(),
            headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
            truncated: false,
            body_skipped: false,
            remote_ip: None,
        }
    }

    #[test]
    fn the_file_name_chooses_the_compression_and_ingest_reads_both() {
        let dir = tempfile::tempdir().unwrap();
        for (name, gzip) in [("c.warc", false), ("c.warc.gz", true), ("C.WARC.GZ", true)] {
            let path = dir.path().join(name);
            // Two runs (the second appends, as a resumed crawl does).
            for (i, url) in ["https://a.example/one", "https://a.example/two"]
                .iter()
                .enumerate()
            {
                let mut w = WarcWriter::open(&path, "operator: test\r\n").unwrap();
                w.write_exchange(&page_exchange(url, &format!("<p>page {i}</p>")))
                    .unwrap();
            }
            let raw = std::fs::read(&path).unwrap();
            assert_eq!(raw.starts_with(&[0x1f, 0x8b]), gzip, "{name}");
            if !gzip {
                assert!(raw.starts_with(b"WARC/1.1\r\nWARC-Type: warcinfo\r\n"));
                assert!(!raw.windows(2).any(|w| w == [0x1f, 0x8b]), "{name}");
            }
            let records: Vec<_> = crate::ingest::warc::WarcFile::open(&path)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let types: Vec<&str> = records.iter().map(|r| r.warc_type.as_str()).collect();
            assert_eq!(
                types,
                [
                    "warcinfo", "response", "request", "warcinfo", "response", "request"
                ],
                "{name}"
            );
            let pages: Vec<_> = records
                .iter()
                .filter_map(|r| crate::ingest::warc::record_to_page(r, name).unwrap())
                .collect();
            assert_eq!(pages.len(), 2, "{name}");
            assert_eq!(pages[1].url.as_str(), "https://a.example/two");
            assert_eq!(pages[1].body, b"<p>page 1</p>");
        }
    }

    #[test]
    fn appending_in_the_other_compression_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("a.warc.gz");
        let plain = dir.path().join("b.warc");
        for p in [&gz, &plain] {
            WarcWriter::open(p, "").unwrap();
        }
        // Swap the names: gzip content under `.warc`, plain content under `.warc.gz`.
        let gz_as_plain = dir.path().join("gz-content.warc");
        let plain_as_gz = dir.path().join("plain-content.warc.gz");
        std::fs::rename(&gz, &gz_as_plain).unwrap();
        std::fs::rename(&plain, &plain_as_gz).unwrap();
        for (p, found, hint) in [
            (&gz_as_plain, "holds gzip records", "gz-content.warc.gz"),
            (
                &plain_as_gz,
                "holds uncompressed records",
                "plain-content.warc",
            ),
        ] {
            let before = std::fs::read(p).unwrap();
            let Err(e) = WarcWriter::open(p, "") else {
                panic!("{} accepted", p.display());
            };
            assert!(matches!(e, WarcError::CompressionMismatch { .. }), "{e}");
            let msg = e.to_string();
            assert!(msg.contains(found), "{msg}");
            assert!(msg.contains(&format!("name it {hint} ")), "{msg}");
            assert_eq!(std::fs::read(p).unwrap(), before, "file touched");
        }
    }

    #[test]
    fn records_are_separate_gzip_members_with_required_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.warc.gz");
        let mut w = WarcWriter::open(&path, "operator: test\r\n").unwrap();
        let ex = Exchange {
            url: url::Url::parse("https://a.example/x?y=1").unwrap(),
            request_headers: vec![("Host".into(), "a.example".into())],
            requested_at: Utc::now(),
            version: "HTTP/1.1",
            status: 200,
            reason: "OK".into(),
            headers: vec![
                ("content-type".into(), "text/html".into()),
                ("content-encoding".into(), "gzip".into()),
                ("transfer-encoding".into(), "chunked".into()),
                ("x-evil".into(), "a\r\nWARC-Type: bogus".into()),
            ],
            body: b"<html>hi</html>".to_vec(),
            truncated: true,
            body_skipped: false,
            remote_ip: None,
        };
        w.write_exchange(&ex).unwrap();
        drop(w);
        let raw = std::fs::read(&path).unwrap();
        // Count gzip members by decoding one at a time.
        let mut members = Vec::new();
        let mut rest: &[u8] = &raw;
        while !rest.is_empty() {
            let mut d = flate2::bufread::GzDecoder::new(rest);
            let mut s = String::new();
            d.read_to_string(&mut s).unwrap();
            rest = d.into_inner();
            members.push(s);
        }
        assert_eq!(members.len(), 3);
        assert!(members[0].starts_with("WARC/1.1\r\nWARC-Type: warcinfo\r\n"));
        let resp = &members[1];
        assert!(resp.contains("WARC-Type: response\r\n"));
        assert!(resp.contains("WARC-Target-URI: https://a.example/x?y=1\r\n"));
        assert!(resp.contains("Content-Type: application/http;msgtype=response\r\n"));
        assert!(resp.contains("WARC-Truncated: length\r\n"));
        assert!(resp.contains("\r\n\r\nHTTP/1.1 200 OK\r\n"));
        assert!(resp.contains("X-Crawler-Content-Encoding: gzip\r\n"));
        assert!(resp.contains("X-Crawler-Transfer-Encoding: chunked\r\n"));
        assert!(!resp.contains("\r\ncontent-encoding:"));
        assert!(resp.contains("Content-Length: 15\r\n\r\n<html>hi</html>\r\n\r\n"));
        assert!(!resp.contains("\r\nWARC-Type: bogus"));
        // The WARC Content-Length is the block length.
        let block_start = resp.find("\r\n\r\n").unwrap() + 4;
        let declared: usize = resp
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(declared, resp.len() - block_start - 4);
        let req = &members[2];
        assert!(req.contains("WARC-Type: request\r\n"));
        assert!(req.contains("\r\n\r\nGET /x?y=1 HTTP/1.1\r\nHost: a.example\r\n"));
    }
}
