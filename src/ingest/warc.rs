//! Reading WARC files (ISO 28500, WARC/1.0 and 1.1): plain, or gzip with one member per record
//! as WARC tools write them (detected by the gzip magic bytes, not the file name).
//!
//! Record parsing is done by the `warc` crate; this module frames records (one gzip member at a
//! time, so a broken member is skipped and reading resumes at the next member), tracks each
//! record's ordinal and byte offset for error reports, and turns `response` records into
//! [`Page`]s by parsing their HTTP header block (`httparse`), undoing chunked transfer coding and
//! gzip/deflate content coding.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;

use chrono::{DateTime, Utc};
use flate2::bufread::GzDecoder;
use warc::{WarcHeader, WarcReader};

use crate::page::{Page, PageSource};

/// Largest decompressed record accepted, in bytes (a defence against gzip bombs).
pub const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

/// Most decompressed bytes (1 GiB) read and discarded to skip the rest of an oversized gzip
/// member; beyond it the reader searches the next gzip header instead (a decompression bomb
/// must not stall ingest).
const MAX_SKIP_BYTES: u64 = 1024 * 1024 * 1024;

/// Largest page body analysed, in bytes (the crawler's default body cap is 10 MiB too): a
/// larger response is reported and skipped instead of exhausting memory in extraction.
pub const MAX_PAGE_BYTES: u64 = 10 * 1024 * 1024;

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: record {record} at byte {offset}: {reason}")]
pub struct RecordError {
    /// WARC file path.
    pub file: String,
    /// 0-based ordinal of the record in the file.
    pub record: u64,
    /// Byte offset of the record (its gzip member, for compressed files) in the file.
    pub offset: u64,
    /// What went wrong.
    pub reason: String,
}

/// One WARC record: its named fields and its block.
#[derive(Debug, Clone)]
pub struct WarcRecord {
    /// 0-based ordinal in the file.
    pub record: u64,
    /// Byte offset in the file.
    pub offset: u64,
    /// `WARC-Type` (lower-cased), e.g. `response`, `request`, `warcinfo`.
    pub warc_type: String,
    /// `WARC-Target-URI`, if present.
    pub target_uri: Option<String>,
    /// `WARC-Date`, if present and valid.
    pub date: Option<DateTime<Utc>>,
    /// `Content-Type` of the block, if present.
    pub content_type: Option<String>,
    /// The record block (for `response` records: HTTP status line, headers and body).
    pub block: Vec<u8>,
}

/// A `BufRead` that counts the bytes consumed from it.
struct Counting<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.pos += amt as u64;
        self.inner.consume(amt)
    }
}

/// Iterates over the records of a WARC file, yielding each record or the reason it is broken.
pub struct WarcFile {
    path: String,
    reader: Counting<BufReader<File>>,
    gzip: bool,
    next_record: u64,
    done: bool,
    plain: Option<PlainIter>,
    /// Further records found in the last gzip member (a member holding several records, as a
    /// whole-file gzipped WARC does).
    queued: std::collections::VecDeque<Result<WarcRecord, RecordError>>,
}

impl WarcFile {
    /// Opens a WARC file.
    ///
    /// # Errors
    /// I/O errors opening or reading the first bytes; `InvalidInput` for a path that is not a
    /// regular file (a pipe, a device): reading resumes after a damaged record by reopening
    /// and seeking, which a pipe cannot do (it would block).
    pub fn open(path: &Path) -> std::io::Result<WarcFile> {
        if !std::fs::metadata(path)?.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file (a pipe or a device): save the WARC to a file first",
            ));
        }
        let file = File::open(path)?;
        let mut reader = Counting {
            inner: BufReader::with_capacity(256 * 1024, file),
            pos: 0,
        };
        // Gzip by content; a `.gz` file that does not start like a plain WARC is read as gzip
        // too, so damage to its first member costs that member, not the whole file.
        let head = reader.fill_buf()?;
        let gzip = head.starts_with(&[0x1f, 0x8b])
            || (path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
                && !head.starts_with(b"WARC/"));
        let mut wf = WarcFile {
            path: path.display().to_string(),
            reader,
            gzip,
            next_record: 0,
            done: false,
            plain: None,
            queued: std::collections::VecDeque::new(),
        };
        if !gzip {
            // Plain WARC: the whole file is one stream of records.
            let file = File::open(path)?;
            let counting = Counting {
                inner: BufReader::with_capacity(256 * 1024, file),
                pos: 0,
            };
            wf.plain = Some(PlainIter::new(counting));
        }
        Ok(wf)
    }

    fn next_gzip(&mut self) -> Option<Result<WarcRecord, RecordError>> {
        if let Some(r) = self.queued.pop_front() {
            return Some(r);
        }
        // Skip stray bytes between members (e.g. zero padding) up to the next gzip magic.
        let offset = self.reader.pos;
        match self.reader.fill_buf() {
            Ok([]) => return None,
            Ok(_) => {}
            Err(e) => {
                self.done = true;
                return Some(Err(self.err(offset, format!("read error: {e}"))));
            }
        }
        let record = self.next_record;
        self.next_record += 1;
        let mut block = Vec::new();
        let (res, oversized, skipped) = {
            let mut dec = GzDecoder::new(&mut self.reader);
            let res = (&mut dec)
                .take(MAX_RECORD_BYTES + 1)
                .read_to_end(&mut block);
            // An oversized record is skipped: the rest of its member is decompressed into
            // nothing (up to MAX_SKIP_BYTES, then by searching the next gzip header), so
            // reading goes on with the next record.
            let oversized = res.is_ok() && block.len() as u64 > MAX_RECORD_BYTES;
            let skipped = oversized
                && {
                    block = Vec::new();
                    let mut rest = (&mut dec).take(MAX_SKIP_BYTES);
                    matches!(std::io::copy(&mut rest, &mut std::io::sink()), Ok(n) if n < MAX_SKIP_BYTES)
                };
            (res, oversized, skipped)
        };
        match res {
            Ok(_) if oversized => {
                if !skipped && !self.resync(offset) {
                    self.done = true;
                }
                Some(Err(RecordError {
                    file: self.path.clone(),
                    record,
                    offset,
                    reason: format!("record larger than {MAX_RECORD_BYTES} bytes decompressed"),
                }))
            }
            Ok(_) => {
                let out = self.records_in_member(&block, record, offset);
                self.first_queue_rest(out)
            }
            Err(e) => {
                // A corrupt or truncated member: the records complete before the damage are
                // kept (a whole-file gzipped WARC cut short keeps all but its last record);
                // the damage is reported and reading resynchronises at the next gzip header
                // after the member's start.
                let reason = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    "truncated gzip member".to_string()
                } else {
                    format!("corrupt gzip member: {e}")
                };
                let mut out = if block.is_empty() {
                    Vec::new()
                } else {
                    self.records_in_member(&block, record, offset)
                };
                // The last record read is the one the damage cut short.
                let last = match out.pop() {
                    Some(Err(cut)) => cut.record,
                    Some(ok) => {
                        out.push(ok);
                        self.next_record += 1;
                        self.next_record - 1
                    }
                    None => record,
                };
                out.push(Err(RecordError {
                    file: self.path.clone(),
                    record: last,
                    offset,
                    reason,
                }));
                if !self.resync(offset) {
                    self.done = true;
                }
                self.first_queue_rest(out)
            }
        }
    }

    /// Returns the first of `records` and queues the rest for the following calls.
    fn first_queue_rest(
        &mut self,
        records: Vec<Result<WarcRecord, RecordError>>,
    ) -> Option<Result<WarcRecord, RecordError>> {
        let mut records = records.into_iter();
        let first = records.next();
        self.queued.extend(records);
        first
    }

    /// The records of one decompressed gzip member (see [`split_member`]), numbered from
    /// `record` on (advancing the reader's record count past the first), each parsed or
    /// reported.
    fn records_in_member(
        &mut self,
        block: &[u8],
        record: u64,
        offset: u64,
    ) -> Vec<Result<WarcRecord, RecordError>> {
        let pieces = split_member(block);
        let mut out = Vec::with_capacity(pieces.len());
        for (i, piece) in pieces.into_iter().enumerate() {
            let record = if i == 0 {
                record
            } else {
                self.next_record += 1;
                self.next_record - 1
            };
            let err = |reason: String| RecordError {
                file: self.path.clone(),
                record,
                offset,
                reason,
            };
            // A short or missing trailer is restored by `parse_record`.
            out.push(match piece {
                Ok(bytes) => parse_record(bytes, record, offset).map_err(err),
                Err(reason) => Err(err(reason)),
            });
        }
        out
    }

    /// Reopens the file after `from` and positions the reader at the next gzip magic
    /// (`1f 8b 08`). Returns false at end of file.
    fn resync(&mut self, from: u64) -> bool {
        use std::io::{Seek, SeekFrom};
        let Ok(mut file) = File::open(&self.path) else {
            return false;
        };
        let mut pos = from + 1;
        if file.seek(SeekFrom::Start(pos)).is_err() {
            return false;
        }
        let mut reader = BufReader::with_capacity(256 * 1024, file);
        loop {
            let buf = match reader.fill_buf() {
                Ok([]) | Err(_) => return false,
                Ok(b) => b,
            };
            if let Some(i) = buf.windows(3).position(|w| w == [0x1f, 0x8b, 0x08]) {
                reader.consume(i);
                pos += i as u64;
                self.reader = Counting { inner: reader, pos };
                return true;
            }
            // Keep the last two bytes in case the magic straddles the buffer boundary.
            let keep = buf.len().min(2);
            let skip = buf.len() - keep;
            if skip == 0 {
                // Fewer than three bytes left.
                return false;
            }
            reader.consume(skip);
            pos += skip as u64;
        }
    }

    fn err(&self, offset: u64, reason: String) -> RecordError {
        RecordError {
            file: self.path.clone(),
            record: self.next_record,
            offset,
            reason,
        }
    }
}

impl Iterator for WarcFile {
    type Item = Result<WarcRecord, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Records split from the last gzip member come first, even after the end was found.
        if let Some(r) = self.queued.pop_front() {
            return Some(r);
        }
        if self.done {
            return None;
        }
        if self.gzip {
            return self.next_gzip();
        }
        let path = self.path.clone();
        let plain = self.plain.as_mut()?;
        match plain.next() {
            None => {
                self.done = true;
                None
            }
            Some((offset, Ok(mut rec))) => {
                rec.record = self.next_record;
                rec.offset = offset;
                self.next_record += 1;
                Some(Ok(rec))
            }
            Some((offset, Err(reason))) => {
                // `PlainIter` has moved to the next record start (or ended).
                let record = self.next_record;
                self.next_record += 1;
                Some(Err(RecordError {
                    file: path,
                    record,
                    offset,
                    reason,
                }))
            }
        }
    }
}

/// Records of an uncompressed WARC stream, with their start offsets.
///
/// A record whose framing is broken (no valid `Content-Length`, a header over 1 MiB, a block
/// cut short) is reported, then the stream is resynchronised at the next line that starts with
/// `WARC/1.` (the version line that opens every record, ISO 28500 §4), as warcio's and JWAT's
/// recovery modes do; a record with sound framing but bad fields is reported and reading goes
/// on right after it; a block over [`MAX_RECORD_BYTES`] is skipped by its length.
struct PlainIter {
    inner: Counting<BufReader<File>>,
    done: bool,
    /// The version line found by [`PlainIter::resync`] (with its offset): the start of the
    /// next record.
    pending: Option<(u64, Vec<u8>)>,
}

/// Largest record header (bytes) of a plain WARC; a longer one is reported and skipped
/// without being held in memory whole.
const MAX_HEADER_BYTES: usize = 1024 * 1024;

/// Longest piece of one line [`PlainIter::resync`] holds in memory while it scans.
const RESYNC_CHUNK: u64 = 64 * 1024;

impl PlainIter {
    fn new(reader: Counting<BufReader<File>>) -> Self {
        PlainIter {
            inner: reader,
            done: false,
            pending: None,
        }
    }

    /// Reports `reason` for the record at `offset` and moves to the next record start (or to
    /// the end of the stream).
    fn broken(&mut self, offset: u64, reason: String) -> Option<(u64, Result<WarcRecord, String>)> {
        if !self.resync() {
            self.done = true;
        }
        Some((offset, Err(reason)))
    }

    /// Scans forward to the next line starting with `WARC/1.`; false at the end of the stream
    /// or on a read error.
    fn resync(&mut self) -> bool {
        let mut at_line_start = true;
        loop {
            let pos = self.inner.pos;
            let mut piece = Vec::new();
            match self
                .inner
                .by_ref()
                .take(RESYNC_CHUNK)
                .read_until(b'\n', &mut piece)
            {
                Ok(0) | Err(_) => return false,
                Ok(_) => {}
            }
            if at_line_start && piece.starts_with(b"WARC/1.") {
                self.pending = Some((pos, piece));
                return true;
            }
            at_line_start = piece.ends_with(b"\n");
        }
    }
}

impl Iterator for PlainIter {
    type Item = (u64, Result<WarcRecord, String>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        // Read one record's bytes: header block up to the blank line, then Content-Length
        // bytes of block and the closing CRLF CRLF.
        let (offset, mut head) = match self.pending.take() {
            Some((offset, line)) => (offset, line),
            None => (self.inner.pos, Vec::new()),
        };
        let mut offset = offset;
        loop {
            let before = head.len();
            let line_at = self.inner.pos;
            match self
                .inner
                .by_ref()
                .take(MAX_HEADER_BYTES as u64 + 1)
                .read_until(b'\n', &mut head)
            {
                Ok(0) => {
                    self.done = true;
                    if head.iter().all(|b| b.is_ascii_whitespace()) {
                        return None;
                    }
                    return Some((offset, Err("truncated record header".into())));
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some((offset, Err(format!("read error: {e}"))));
                }
            }
            let line = &head[before..];
            if head.len() == line.len() && line.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                // Blank lines between records.
                head.clear();
                offset = self.inner.pos;
                continue;
            }
            if head.len() == line.len() && !line.starts_with(b"WARC/") {
                // Not a record start: junk between records. Report it and look for the next
                // version line from the line after it.
                return self.broken(
                    offset,
                    "bytes between records that do not start a WARC record; skipped".into(),
                );
            }
            if before > 0 && line.starts_with(b"WARC/1.") {
                // The next record's version line inside this header: this one ends without
                // its blank line (and has no block). Read on from that line.
                let line = line.to_vec();
                self.pending = Some((line_at, line));
                return Some((
                    offset,
                    Err("record header ends without a blank line; skipped".into()),
                ));
            }
            if line == b"\r\n" || line == b"\n" {
                break;
            }
            if head.len() > MAX_HEADER_BYTES {
                return self.broken(offset, "record header longer than 1 MiB".into());
            }
        }
        let Some(len) = content_length(&head) else {
            return self.broken(offset, "record has no valid Content-Length".into());
        };
        if len > MAX_RECORD_BYTES {
            let reason = format!("record block of {len} bytes is too large; skipped");
            // Skip the block by its length when a record (or the end of the file) follows it;
            // otherwise the length is wrong: scan for the next record instead.
            let start = self.inner.pos;
            let after = start.saturating_add(len).saturating_add(4);
            if self.record_or_end_at(after) {
                return Some((offset, Err(reason)));
            }
            return match self.inner.inner.seek(std::io::SeekFrom::Start(start)) {
                Ok(_) => {
                    self.inner.pos = start;
                    self.broken(offset, reason)
                }
                Err(_) => {
                    self.done = true;
                    Some((offset, Err(reason)))
                }
            };
        }
        let mut rest = Vec::with_capacity(len as usize + 4);
        if let Err(e) = self.inner.by_ref().take(len).read_to_end(&mut rest) {
            self.done = true;
            return Some((offset, Err(format!("read error: {e}"))));
        }
        if (rest.len() as u64) < len {
            // Cut short: either the end of the file, or a wrong Content-Length that ran into
            // the next records; look for the next record start inside what was read.
            let reason = format!("truncated record: block has {} of {len} bytes", rest.len());
            return self.resync_within(offset, head.len() as u64, rest, reason);
        }
        // After the block: the CRLF CRLF trailer (tolerated short or missing), then the next
        // record's version line or the end of the file. Anything else means the
        // Content-Length is wrong and the block holds part of what follows.
        if !self.at_record_boundary() {
            let reason =
                format!("record block does not end after its Content-Length ({len} bytes)");
            return self.resync_within(offset, head.len() as u64, rest, reason);
        }
        rest.extend_from_slice(b"\r\n\r\n");
        head.extend_from_slice(&rest);
        Some((offset, parse_record(&head, 0, offset)))
    }
}

impl PlainIter {
    /// True when the stream, after at most a few CR/LF bytes (which are consumed), is at its
    /// end or at a `WARC/` version line (which is not consumed).
    fn at_record_boundary(&mut self) -> bool {
        let mut look = Vec::with_capacity(16);
        if self.inner.by_ref().take(16).read_to_end(&mut look).is_err() {
            return false;
        }
        let ws = look
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        let after = &look[ws..];
        // A complete trailer ends the record whatever follows (junk after it is the next
        // read's problem); without one, only the end of the file or a version line will do.
        let ok = look.starts_with(b"\r\n\r\n")
            || after.is_empty()
            || after.starts_with(b"WARC/")
            || ws == look.len();
        // Give back what follows the trailer (within the buffer just read).
        let back = (look.len() - ws) as i64;
        if back > 0 {
            if self.inner.inner.seek_relative(-back).is_err() {
                self.done = true;
                return false;
            }
            self.inner.pos -= back as u64;
        }
        ok
    }

    /// Moves to byte `at` if the file ends there (give or take blank lines) or a record starts
    /// there; false (position unspecified) otherwise.
    fn record_or_end_at(&mut self, at: u64) -> bool {
        let Ok(size) = self.inner.inner.get_ref().metadata().map(|m| m.len()) else {
            return false;
        };
        if at > size.saturating_add(4) {
            return false;
        }
        if self.inner.inner.seek(std::io::SeekFrom::Start(at)).is_err() {
            return false;
        }
        self.inner.pos = at;
        let Ok(buf) = self.inner.fill_buf() else {
            return false;
        };
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            None => true,
            Some(i) => buf[i..].starts_with(b"WARC/1."),
        }
    }

    /// Reports a record whose block (`block`, read from `offset + head_len`) is not framed as
    /// its header says, and restarts at the first `WARC/1.` line inside that block if there is
    /// one, else after it.
    fn resync_within(
        &mut self,
        offset: u64,
        head_len: u64,
        block: Vec<u8>,
        reason: String,
    ) -> Option<(u64, Result<WarcRecord, String>)> {
        let start = offset + head_len;
        let found = memchr::memmem::find_iter(&block, b"WARC/1.")
            .find(|&i| i == 0 || block[i - 1] == b'\n');
        if let Some(i) = found {
            // Read on from there (the file is seekable; the buffer is dropped).
            let at = start + i as u64;
            match self.inner.inner.seek(std::io::SeekFrom::Start(at)) {
                Ok(_) => self.inner.pos = at,
                Err(_) => self.done = true,
            }
            return Some((offset, Err(reason)));
        }
        self.broken(offset, reason)
    }
}

/// The records in one decompressed gzip member: normally one (ISO 28500 Annex D: one record
/// per member), several when the member holds more (a whole-file gzipped WARC). Each piece
/// is a record's bytes, or why the rest of the member could not be split (it is then
/// skipped).
fn split_member(block: &[u8]) -> Vec<Result<&[u8], String>> {
    let mut out = Vec::new();
    let mut at = 0usize;
    loop {
        let rest = &block[at..];
        let start = rest
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .unwrap_or(rest.len());
        let rest = &rest[start..];
        if rest.is_empty() {
            break;
        }
        // After the first record, only a version line starts another.
        let starts_record = out.is_empty() || rest.starts_with(b"WARC/");
        let framing = header_block_len(rest)
            .and_then(|h| Some((h, content_length(&rest[..h])?)))
            .filter(|_| starts_record);
        let Some((h, len)) = framing else {
            if out.is_empty() {
                // Not splittable: the record parser reports what is wrong with it.
                out.push(Ok(rest));
                break;
            }
            // Bytes after a record that do not start one: that record's Content-Length is too
            // small, so its block is not what was recorded. It is reported instead of being
            // stored cut short, and splitting goes on at the next version line, if any.
            out.pop();
            out.push(Err(
                "record block does not end after its Content-Length: bytes follow it that do not start a WARC record; skipped".into(),
            ));
            match memchr::memmem::find(rest, b"\nWARC/1.") {
                Some(j) => {
                    at += start + j + 1;
                    continue;
                }
                None => break,
            }
        };
        let end = h.saturating_add(len as usize).min(rest.len());
        let trailer = rest[end..]
            .iter()
            .take(4)
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        out.push(Ok(&rest[..end + trailer]));
        at += start + end + trailer;
    }
    if out.is_empty() {
        out.push(Ok(block));
    }
    out
}

fn content_length(head: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(head);
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        if k.trim().eq_ignore_ascii_case("content-length") {
            v.trim().parse().ok()
        } else {
            None
        }
    })
}

/// WARC versions this reader understands: 1.0 (ISO 28500:2009) and 1.1 (ISO 28500:2017).
/// warcio refuses other version lines too.
const KNOWN_VERSIONS: [&[u8]; 2] = [b"WARC/1.0", b"WARC/1.1"];

/// Length in bytes of a record's header block, its blank line included, or `None` when the
/// bytes hold no blank line after the version line. Lines may end in CRLF (as ISO 28500 §4
/// says) or in a bare LF (hand-made files and some older writers; warcio reads them too).
fn header_block_len(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at < bytes.len() {
        let end = at + memchr::memchr(b'\n', &bytes[at..])? + 1;
        let line = &bytes[at..end];
        if at > 0 && (line == b"\n" || line == b"\r\n") {
            return Some(end);
        }
        at = end;
    }
    None
}

/// The record in `bytes` framed as the `warc` crate requires — header lines ending in CRLF,
/// exactly Content-Length bytes of block, then CRLF CRLF — when it is not already: header
/// lines ending in a bare LF get their CR, and a short, missing or LF-only trailer is replaced.
/// `None` when the bytes are framed already or cannot be reframed (no blank line, no valid
/// Content-Length, a block shorter than its length: the parser reports those).
fn reframed(bytes: &[u8]) -> Option<Vec<u8>> {
    let head_len = header_block_len(bytes)?;
    let (head, rest) = bytes.split_at(head_len);
    let len = usize::try_from(content_length(head)?).ok()?;
    let bare_lf = head
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || head[i - 1] != b'\r'));
    let framed = rest.len() == len + 4 && rest.ends_with(b"\r\n\r\n");
    if (framed && !bare_lf) || rest.len() < len {
        return None;
    }
    let mut out = Vec::with_capacity(head_len + 16 + len + 4);
    for line in head.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
        if out.last() == Some(&b'\r') {
            out.pop();
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(&rest[..len]);
    out.extend_from_slice(b"\r\n\r\n");
    Some(out)
}

/// Parses one complete record (header block, block, trailer) with the `warc` crate, after
/// [`reframed`] has mended line ends and the trailer.
///
/// # Errors
/// A reason string for a version other than [`KNOWN_VERSIONS`], or when the `warc` crate
/// cannot parse the record.
fn parse_record(bytes: &[u8], record: u64, offset: u64) -> Result<WarcRecord, String> {
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let first_line = first_line.strip_suffix(b"\r").unwrap_or(first_line);
    if first_line.starts_with(b"WARC/") && !KNOWN_VERSIONS.contains(&first_line) {
        let shown: String = String::from_utf8_lossy(first_line)
            .chars()
            .take(40)
            .collect();
        return Err(format!(
            "unsupported WARC version line {shown:?} (WARC/1.0 and WARC/1.1 are read)"
        ));
    }
    let mended = reframed(bytes);
    let bytes = mended.as_deref().unwrap_or(bytes);
    let mut it = WarcReader::new(bytes).iter_raw_records();
    let (header, block) = match it.next() {
        None => return Err("empty record".into()),
        Some(Err(e)) => return Err(format!("malformed record: {e}")),
        Some(Ok(x)) => x,
    };
    let get = |h: WarcHeader| {
        header
            .headers
            .get(&h)
            .map(|v| String::from_utf8_lossy(v).trim().to_string())
    };
    let warc_type = get(WarcHeader::WarcType)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let target_uri = get(WarcHeader::TargetURI).map(|u| {
        // WARC/1.0 writers sometimes wrap the URI in angle brackets.
        u.trim_start_matches('<').trim_end_matches('>').to_string()
    });
    let date = get(WarcHeader::Date)
        .and_then(|d| DateTime::parse_from_rfc3339(&d).ok())
        .map(|d| d.with_timezone(&Utc));
    Ok(WarcRecord {
        record,
        offset,
        warc_type,
        target_uri,
        date,
        content_type: get(WarcHeader::ContentType),
        block,
    })
}

/// Why a record that [`record_to_page`] turns into no page is left out, for the ingest summary:
/// `"non-HTTP target URI"` for a `response` whose `WARC-Target-URI` is not http(s)
/// (`javascript:`, `data:`, `mailto:`, `file:`, `dns:`, …), the record type for `revisit`,
/// `resource`, `conversion` and `continuation` records (which may hold page content copytrail
/// does not read), `"other record type"` for an unknown type. `None` for records that never
/// hold a page (`warcinfo`, `request`, `metadata`) and for records that do become a page.
pub fn skip_reason(rec: &WarcRecord) -> Option<&'static str> {
    match rec.warc_type.as_str() {
        "response" => {
            let http = rec
                .target_uri
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .is_some_and(|u| matches!(u.scheme(), "http" | "https"));
            (!http).then_some("non-HTTP target URI")
        }
        "warcinfo" | "request" | "metadata" => None,
        "revisit" => Some("revisit"),
        "resource" => Some("resource"),
        "conversion" => Some("conversion"),
        "continuation" => Some("continuation"),
        _ => Some("other record type"),
    }
}

/// Turns a `response` record into a [`Page`]. Returns `Ok(None)` for other record types and
/// for responses that are not HTTP (e.g. `dns:` records).
///
/// # Errors
/// A reason string when the HTTP message in the block is malformed.
pub fn record_to_page(rec: &WarcRecord, file: &str) -> Result<Option<Page>, String> {
    if rec.warc_type != "response" {
        return Ok(None);
    }
    let Some(uri) = &rec.target_uri else {
        return Err("response record without WARC-Target-URI".into());
    };
    if uri.len() > crate::crawl::canon::MAX_URL_BYTES {
        return Err(format!(
            "WARC-Target-URI of {} bytes is longer than the {}-byte URL limit; skipped",
            uri.len(),
            crate::crawl::canon::MAX_URL_BYTES
        ));
    }
    let mut url = url::Url::parse(uri).map_err(|e| {
        format!(
            "bad WARC-Target-URI {:?}: {e}",
            crate::crawl::canon::redact_userinfo(uri)
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Ok(None);
    }
    // Credentials in the target URI are never stored or printed.
    crate::crawl::canon::strip_userinfo(&mut url);
    let (status, headers, body_start) = parse_http_response(&rec.block)?;
    let raw = &rec.block[body_start..];
    if raw.len() as u64 > MAX_PAGE_BYTES {
        return Err(format!(
            "response body of {} bytes is larger than the {MAX_PAGE_BYTES}-byte page limit; skipped",
            raw.len()
        ));
    }
    let body = decode_body(raw, &headers)?;
    Ok(Some(Page {
        url,
        status,
        headers,
        body,
        fetched_at: rec.date,
        source: PageSource::Warc {
            file: file.to_string(),
            record: rec.record,
            offset: rec.offset,
        },
    }))
}

/// An HTTP response head: status, headers (name, value), and the byte offset of the body.
pub type HttpHead = (u16, Vec<(String, String)>, usize);

/// Parses an HTTP/1.x response head (also one recorded with an `HTTP/2` or `HTTP/3` status
/// line).
pub fn parse_http_response(block: &[u8]) -> Result<HttpHead, String> {
    // Crawlers that speak HTTP/2 or HTTP/3 record the status line as `HTTP/2 200` or
    // `HTTP/2.0 200 OK`; httparse reads only HTTP/1.x, so that version is read as HTTP/1.1 (the
    // header block that follows has the same syntax) and the body offset corrected.
    let version_len = [&b"HTTP/2.0 "[..], b"HTTP/3.0 ", b"HTTP/2 ", b"HTTP/3 "]
        .iter()
        .find(|v| block.starts_with(v))
        .map(|v| v.len() - 1);
    let (block, shift): (std::borrow::Cow<[u8]>, usize) = match version_len {
        Some(len) => {
            let mut b = b"HTTP/1.1".to_vec();
            b.extend_from_slice(&block[len..]);
            (b.into(), 8 - len)
        }
        None => (block.into(), 0),
    };
    let mut hdrs = [httparse::EMPTY_HEADER; 256];
    let mut resp = httparse::Response::new(&mut hdrs);
    match resp.parse(&block) {
        Ok(httparse::Status::Complete(n)) => {
            let status = resp.code.unwrap_or(0);
            let headers = resp
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_string(),
                        String::from_utf8_lossy(h.value).trim().to_string(),
                    )
                })
                .collect();
            Ok((status, headers, n - shift))
        }
        Ok(httparse::Status::Partial) => Err("truncated HTTP response head".into()),
        Err(e) => Err(format!("malformed HTTP response head: {e}")),
    }
}

/// Undoes chunked transfer coding and gzip/deflate/brotli content coding as recorded in
/// `headers` (RFC 9112 §7.1, RFC 9110 §8.4). A body that is not in the coding its header names
/// is kept as it is (archives often store the decoded body and keep the header).
///
/// # Errors
/// A reason string when the decoded body is larger than [`MAX_PAGE_BYTES`] (a decompression
/// bomb is not stored cut short as if it were the page), or when a body with the gzip magic
/// bytes yields nothing.
fn decode_body(raw: &[u8], headers: &[(String, String)]) -> Result<Vec<u8>, String> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let mut body = raw.to_vec();
    if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        // Some archives store the de-chunked body but keep the header: only de-chunk when the
        // body really looks chunked.
        if let Some(d) = dechunk(&body) {
            body = d;
        }
    }
    let coding = header("content-encoding").unwrap_or_default();
    // Codings are listed in the order they were applied (RFC 9110 §8.4): undo the last first.
    let codings: Vec<&str> = coding
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && *c != "identity")
        .collect();
    for (i, c) in codings.iter().enumerate().rev() {
        // Only the last step must give text: inner layers of `gzip, gzip` are binary.
        body = undo_coding(body, c, i == 0)?;
    }
    Ok(body)
}

/// Whether `b` looks like text (markup in any ASCII-compatible charset, or UTF-16 with a BOM)
/// rather than compressed or binary data: no NUL and at most 1 % other C0 controls (besides
/// tab, CR, LF, FF) in its first 4 KiB.
fn looks_like_text(b: &[u8]) -> bool {
    if b.starts_with(&[0xff, 0xfe]) || b.starts_with(&[0xfe, 0xff]) {
        return true;
    }
    let head = &b[..b.len().min(4096)];
    let controls = head
        .iter()
        .filter(|&&c| c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    !head.contains(&0) && controls * 100 <= head.len()
}

/// Undoes one content coding of `body` (`c`: lower case, trimmed). A body that is not in that
/// coding but is text is kept as it is (archives often store the decoded body and keep the
/// header); one that is neither is an error, so compressed bytes never become article text.
fn undo_coding(body: Vec<u8>, c: &str, last: bool) -> Result<Vec<u8>, String> {
    let text = |b: &[u8]| !last || looks_like_text(b);
    let decoder: Box<dyn Read + '_> = match c {
        "gzip" | "x-gzip" if body.starts_with(&[0x1f, 0x8b]) => {
            Box::new(flate2::read::MultiGzDecoder::new(&body[..]))
        }
        "gzip" | "x-gzip" => Box::new(std::io::empty()),
        // "deflate" is zlib-wrapped by the spec; some servers send raw deflate (RFC 1951).
        "deflate"
            if body.len() >= 2 && u16::from_be_bytes([body[0], body[1]]).is_multiple_of(31) =>
        {
            Box::new(flate2::read::ZlibDecoder::new(&body[..]))
        }
        // Raw deflate has no header to check: text is taken as stored decoded.
        "deflate" if last && looks_like_text(&body) => return Ok(body),
        "deflate" => Box::new(flate2::read::DeflateDecoder::new(&body[..])),
        "br" => Box::new(brotli_decompressor::Decompressor::new(&body[..], 64 * 1024)),
        other => {
            return if last && looks_like_text(&body) {
                Ok(body)
            } else {
                Err(format!(
                    "content coding {other:?} is not supported and the body is not text; skipped"
                ))
            };
        }
    };
    let mut out = Vec::new();
    let res = decoder.take(MAX_PAGE_BYTES + 1).read_to_end(&mut out);
    if out.len() as u64 > MAX_PAGE_BYTES {
        return Err(format!(
            "response body decodes ({c}) to more than the {MAX_PAGE_BYTES}-byte page limit; skipped"
        ));
    }
    match res {
        // Decoded to text (HTML, a feed): done. Binary out of a permissive decoder (brotli
        // reads many byte strings) is not taken as the page.
        Ok(_) if body.is_empty() || (!out.is_empty() && text(&out)) => Ok(out),
        // Not in the named coding after all: the archive stored it decoded.
        _ if last && looks_like_text(&body) => Ok(body),
        // A body cut short in transfer still gives what was decoded before the cut.
        Err(_) if !out.is_empty() && text(&out) => Ok(out),
        Err(e) if body.starts_with(&[0x1f, 0x8b]) => {
            Err(format!("corrupt gzip content coding: {e}"))
        }
        _ => Err(format!(
            "body is neither in its content coding {c:?} nor text; skipped"
        )),
    }
}

/// Decodes an HTTP/1.1 chunked body (RFC 9112 §7.1); `None` if it does not start as chunked
/// data (a first line that is not a hexadecimal chunk size followed by CRLF). Once the first
/// chunk is read, damage later on (a cut-off last chunk, a garbled size line, no final `0`
/// chunk) ends the body there: the chunks read so far — the cut-off one included — are the
/// body, never the raw bytes with chunk-size lines inside the text.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut first = true;
    loop {
        let size = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .filter(|&eol| eol <= 1024)
            .and_then(|eol| {
                let line = std::str::from_utf8(&data[..eol]).ok()?;
                let size_str = line.split(';').next()?.trim();
                let size = usize::from_str_radix(size_str, 16).ok()?;
                Some((eol, size))
            });
        let Some((eol, size)) = size else {
            return (!first).then_some(out);
        };
        first = false;
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        if data.len() < size {
            out.extend_from_slice(data);
            return Some(out);
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size..];
        data = data.strip_prefix(b"\r\n").unwrap_or(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunks() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n").unwrap(),
            b"hello world"
        );
        assert!(dechunk(b"<html>").is_none());
        assert!(dechunk(b"").is_none());
        // Damaged after the first chunk: what was read (the cut-off chunk included) is the
        // body; no chunk-size line ends up in the text.
        assert_eq!(dechunk(b"5\r\nhello\r\n20\r\n wor").unwrap(), b"hello wor");
        assert_eq!(dechunk(b"5\r\nhello\r\nzz\r\nmore").unwrap(), b"hello");
        assert_eq!(dechunk(b"5\r\nhello\r\n").unwrap(), b"hello");
    }

    #[test]
    fn http_head() {
        let (s, h, n) =
            parse_http_response(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\nx")
                .unwrap();
        assert_eq!(s, 404);
        assert_eq!(h[0].1, "text/html");
        assert_eq!(n, 51);
        assert!(parse_http_response(b"HTTP/1.1 200 OK\r\nX: y").is_err());
        // HTTP/2 and HTTP/3 status lines as crawlers record them; the body offset is right.
        for head in [
            &b"HTTP/2 200\r\n"[..],
            b"HTTP/2.0 200 OK\r\n",
            b"HTTP/3 200\r\n",
        ] {
            let mut rec = head.to_vec();
            rec.extend_from_slice(b"content-type: text/html\r\n\r\n<p>x");
            let (s, h, n) = parse_http_response(&rec).unwrap();
            assert_eq!((s, h[0].1.as_str()), (200, "text/html"));
            assert_eq!(&rec[n..], b"<p>x");
        }
        assert!(parse_http_response(b"HTTP/2x 200\r\n\r\n").is_err());
    }

    #[test]
    fn content_codings_are_undone_within_the_page_limit() {
        use std::io::Write;
        let coded = |name: &str| vec![("Content-Encoding".to_string(), name.to_string())];
        let gzip = |data: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        };
        let page = b"<html><body><p>Hello</p></body></html>";
        assert_eq!(decode_body(&gzip(page), &coded("gzip")).unwrap(), page);
        // Brotli: "hello" as one uncompressed meta-block (RFC 7932 section 9.2).
        assert_eq!(
            decode_body(b"\x0b\x02\x80hello\x03", &coded("br")).unwrap(),
            b"hello"
        );
        // A body stored decoded under a coding header is kept as it is.
        assert_eq!(decode_body(page, &coded("gzip")).unwrap(), page);
        assert_eq!(decode_body(page, &coded("br")).unwrap(), page);
        // A decompression bomb is refused, not stored cut at the limit.
        let bomb = gzip(&vec![0u8; MAX_PAGE_BYTES as usize + 1]);
        let e = decode_body(&bomb, &coded("gzip")).unwrap_err();
        assert!(e.contains("page limit"), "{e}");
        let exact = gzip(&vec![b' '; MAX_PAGE_BYTES as usize]);
        assert_eq!(
            decode_body(&exact, &coded("gzip")).unwrap().len() as u64,
            MAX_PAGE_BYTES
        );
        // The gzip magic with nothing decodable after it is an error.
        assert!(decode_body(b"\x1f\x8bjunkjunkjunk", &coded("gzip")).is_err());
        // Codings applied twice are undone in reverse order; raw deflate (no zlib header, as
        // some servers send it) is read too.
        assert_eq!(
            decode_body(&gzip(&gzip(page)), &coded("gzip, gzip")).unwrap(),
            page
        );
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(page).unwrap();
        let raw = raw.finish().unwrap();
        assert_eq!(decode_body(&raw, &coded("deflate")).unwrap(), page);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(page).unwrap();
        assert_eq!(
            decode_body(&z.finish().unwrap(), &coded("deflate")).unwrap(),
            page
        );
        assert_eq!(decode_body(page, &coded("deflate")).unwrap(), page);
        // Binary that is in no coding we read never becomes the page's text.
        let junk: Vec<u8> = (0..600u32).map(|i| (i * 7919 % 251) as u8).collect();
        for c in ["br", "zstd", "compress", "gzip"] {
            let e = decode_body(&junk, &coded(c)).unwrap_err();
            assert!(e.contains("text; skipped"), "{c}: {e}");
        }
        // Text under an unknown coding is kept (stored decoded), identity is no coding.
        assert_eq!(decode_body(page, &coded("zstd")).unwrap(), page);
        assert_eq!(decode_body(page, &coded("identity")).unwrap(), page);
    }

    #[test]
    fn a_record_followed_by_bytes_that_are_no_record_is_reported_and_splitting_goes_on() {
        let rec = |body: &str, len: usize| {
            format!(
                "WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: {len}\r\n\r\n{body}\r\n\r\n"
            )
        };
        // The second record says 5 bytes but holds 11: reported; the third is still found.
        let member = [rec("first", 5), rec("hello world", 5), rec("third", 5)].concat();
        let pieces = split_member(member.as_bytes());
        assert_eq!(pieces.len(), 3, "{pieces:?}");
        assert!(pieces[0].is_ok() && pieces[2].is_ok());
        assert!(
            pieces[1]
                .as_ref()
                .is_err_and(|e| e.contains("does not end after its Content-Length")),
            "{pieces:?}"
        );
        assert!(pieces[2].as_ref().unwrap().ends_with(b"third\r\n\r\n"));
    }
}
