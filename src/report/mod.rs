//! Read-only views of the store: `links` (JSON Lines), `report` (per original, table / JSON /
//! CSV), `export --corpus` (the deduplicated corpus), and `eval links` ([`eval`]).

pub mod eval;

use std::io::Write;

use rusqlite::params;
use serde::Serialize;

use crate::store::{Store, StoreError};

/// Errors while writing a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
    /// Stored JSON was unreadable.
    #[error("stored data is malformed: {0}")]
    Json(serde_json::Error),
}

impl From<serde_json::Error> for ReportError {
    /// A failed write through `serde_json` (disk full, closed pipe) is an output error, not
    /// malformed stored data.
    fn from(e: serde_json::Error) -> Self {
        if e.is_io() {
            // Keep the kind: a closed pipe (`export … | head`) must stay recognisable.
            let kind = e.io_error_kind().unwrap_or(std::io::ErrorKind::Other);
            ReportError::Io(std::io::Error::new(kind, e.to_string()))
        } else {
            ReportError::Json(e)
        }
    }
}

/// One linked copy, as printed by `copytrail links`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct LinkRow {
    /// URL of the copy.
    pub copy_url: String,
    /// URL of the story's original.
    pub original_url: String,
    /// `full` or `partial`.
    pub kind: String,
    /// SimHash Hamming distance between copy and original, bits (0..=64).
    pub distance: u32,
    /// The larger of the two directed shingle containments (0..1).
    pub containment: f64,
    /// Whether the copy credits the original.
    pub credited: bool,
    /// The page the copy was most likely taken from (the original, or another copy).
    pub source_url: String,
    /// Evidence that chose the original: origin-domain, supplied, credit, published, first-seen.
    pub decided_by: String,
    /// How the copy credits the original (canonical / link / source_line), if it does.
    pub credit: Option<serde_json::Value>,
}

/// Every link in the store, ordered by original URL then copy URL.
///
/// # Errors
/// SQLite errors.
pub fn link_rows(store: &Store) -> Result<Vec<LinkRow>, ReportError> {
    let mut st = store.conn().prepare(
        "SELECT c.url, o.url, l.kind, l.distance, l.containment, l.credited, s.url,
                l.decided_by, l.credit_evidence
         FROM links l JOIN pages c ON c.id = l.copy_id JOIN pages o ON o.id = l.original_id
              JOIN pages s ON s.id = l.source_id
         ORDER BY o.url, c.url",
    )?;
    let rows = st.query_map([], |r| {
        Ok(LinkRow {
            copy_url: r.get(0)?,
            original_url: r.get(1)?,
            kind: r.get(2)?,
            distance: r.get::<_, i64>(3)? as u32,
            containment: (r.get::<_, f64>(4)? * 1000.0).round() / 1000.0,
            credited: r.get(5)?,
            source_url: r.get(6)?,
            decided_by: r.get(7)?,
            credit: r
                .get::<_, Option<String>>(8)?
                .and_then(|s| serde_json::from_str(&s).ok()),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Writes `copytrail links`: one JSON object per line per linked copy.
///
/// # Errors
/// SQLite or output errors.
pub fn write_links(store: &Store, out: &mut dyn Write) -> Result<usize, ReportError> {
    let rows = link_rows(store)?;
    for r in &rows {
        serde_json::to_writer(&mut *out, r)?;
        out.write_all(b"\n")?;
    }
    Ok(rows.len())
}

/// Output format of `copytrail report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable table.
    Table,
    /// One JSON document: a list of originals with their copies.
    Json,
    /// CSV, one row per copy.
    Csv,
}

/// One copy in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportCopy {
    /// Copy URL.
    pub url: String,
    /// Copy host.
    pub host: String,
    /// `full` or `partial`.
    pub kind: String,
    /// Similarity to the original: the larger directed containment (0..1).
    pub similarity: f64,
    /// SimHash distance, bits.
    pub distance: u32,
    /// Whether it credits the original.
    pub credited: bool,
}

/// One original with its copies (uncredited first).
#[derive(Debug, Clone, Serialize)]
pub struct ReportStory {
    /// Original URL.
    pub original_url: String,
    /// Its headline.
    pub title: Option<String>,
    /// Its publisher.
    pub site_name: Option<String>,
    /// Copies, uncredited first, then by host.
    pub copies: Vec<ReportCopy>,
}

/// Builds the report: originals with the most uncredited copies first.
///
/// # Errors
/// SQLite errors.
pub fn stories(store: &Store) -> Result<Vec<ReportStory>, ReportError> {
    let mut st = store.conn().prepare(
        "SELECT o.url, a.title, a.site_name, c.url, c.host, l.kind, l.containment,
                l.distance, l.credited
         FROM links l JOIN pages o ON o.id = l.original_id JOIN pages c ON c.id = l.copy_id
              LEFT JOIN articles a ON a.page_id = o.id
         ORDER BY o.url, l.credited, c.host, c.url",
    )?;
    let mut out: Vec<ReportStory> = Vec::new();
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let ourl: String = r.get(0)?;
        if out.last().is_none_or(|s| s.original_url != ourl) {
            out.push(ReportStory {
                original_url: ourl,
                title: r.get(1)?,
                site_name: r.get(2)?,
                copies: Vec::new(),
            });
        }
        if let Some(s) = out.last_mut() {
            s.copies.push(ReportCopy {
                url: r.get(3)?,
                host: r.get(4)?,
                kind: r.get(5)?,
                similarity: (r.get::<_, f64>(6)? * 1000.0).round() / 1000.0,
                distance: r.get::<_, i64>(7)? as u32,
                credited: r.get(8)?,
            });
        }
    }
    out.sort_by(|a, b| {
        let ua = a.copies.iter().filter(|c| !c.credited).count();
        let ub = b.copies.iter().filter(|c| !c.credited).count();
        ub.cmp(&ua).then(a.original_url.cmp(&b.original_url))
    });
    Ok(out)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A CSV field (RFC 4180 quoting). A cell that a spreadsheet would run as a formula (starting
/// with `=`, `+`, `-`, `@`, tab or CR: OWASP "CSV injection") gets a leading `'`, since titles
/// and URLs come from untrusted pages.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Text from a page made safe for a terminal: control characters (ESC sequences that clear the
/// screen or retitle the window, C1 controls) and bidirectional overrides/isolates (which
/// reorder what is shown) become U+FFFD.
fn terminal_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Writes `copytrail report` in the given format.
///
/// # Errors
/// SQLite or output errors.
pub fn write_report(store: &Store, format: Format, out: &mut dyn Write) -> Result<(), ReportError> {
    let stories = stories(store)?;
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &stories)?;
            out.write_all(b"\n")?;
        }
        Format::Csv => {
            writeln!(
                out,
                "original_url,original_title,copy_url,copy_host,kind,similarity,distance,credited"
            )?;
            for s in &stories {
                for c in &s.copies {
                    writeln!(
                        out,
                        "{},{},{},{},{},{:.3},{},{}",
                        csv_field(&s.original_url),
                        csv_field(s.title.as_deref().unwrap_or("")),
                        csv_field(&c.url),
                        csv_field(&c.host),
                        c.kind,
                        c.similarity,
                        c.distance,
                        c.credited
                    )?;
                }
            }
        }
        Format::Table => {
            let copies: usize = stories.iter().map(|s| s.copies.len()).sum();
            let uncredited: usize = stories
                .iter()
                .flat_map(|s| &s.copies)
                .filter(|c| !c.credited)
                .count();
            writeln!(
                out,
                "{} originals, {copies} copies, {uncredited} uncredited\n",
                stories.len()
            )?;
            for s in &stories {
                let title = terminal_safe(s.title.as_deref().unwrap_or("(untitled)"));
                writeln!(out, "{}", truncate(&title, 100))?;
                writeln!(
                    out,
                    "  original: {}{}",
                    terminal_safe(&s.original_url),
                    s.site_name
                        .as_deref()
                        .map(|n| format!("  ({})", terminal_safe(n)))
                        .unwrap_or_default()
                )?;
                writeln!(
                    out,
                    "  {:<40} {:<8} {:>10} {:>5}  credited",
                    "copy host", "kind", "similarity", "bits"
                )?;
                for c in &s.copies {
                    writeln!(
                        out,
                        "  {:<40} {:<8} {:>10.2} {:>5}  {}",
                        truncate(&terminal_safe(&c.host), 40),
                        c.kind,
                        c.similarity,
                        c.distance,
                        if c.credited { "yes" } else { "NO" }
                    )?;
                }
                writeln!(out)?;
            }
        }
    }
    Ok(())
}

/// One line of the deduplicated corpus.
#[derive(Debug, Clone, Serialize)]
pub struct CorpusStory {
    /// URL of the story's original (or of the only page carrying it).
    pub url: String,
    /// Headline.
    pub title: Option<String>,
    /// Publication time, RFC 3339.
    pub published: Option<String>,
    /// Authors.
    pub authors: Vec<String>,
    /// Publisher.
    pub site_name: Option<String>,
    /// ISO 639-1 language.
    pub language: Option<String>,
    /// The original's body text.
    pub text: String,
    /// URLs of its linked copies.
    pub copies: Vec<String>,
}

/// Writes the deduplicated corpus: one JSON line per story (every article with a body that
/// is not a linked copy), with the URLs of its copies. Returns the number of stories.
///
/// # Errors
/// SQLite, JSON or output errors.
pub fn write_corpus(store: &Store, out: &mut dyn Write) -> Result<usize, ReportError> {
    let mut copies_st = store.conn().prepare(
        "SELECT c.url FROM links l JOIN pages c ON c.id = l.copy_id
         WHERE l.original_id = ?1 ORDER BY c.url",
    )?;
    // Newest stored version first, so that of several versions of one URL the newest is
    // exported; rows are streamed, not collected.
    let mut st = store.conn().prepare(
        "SELECT p.id, p.url, a.article FROM pages p JOIN articles a ON a.page_id = p.id
         WHERE a.n_chars > 0 AND p.id NOT IN (SELECT copy_id FROM links)
         ORDER BY p.id DESC",
    )?;
    let mut rows = st.query([])?;
    let mut n = 0;
    let mut seen_urls = std::collections::HashSet::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let url: String = r.get(1)?;
        if !seen_urls.insert(url.clone()) {
            continue;
        }
        let art: crate::extract::Article = serde_json::from_str(&r.get::<_, String>(2)?)?;
        let copies = copies_st
            .query_map(params![id], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let story = CorpusStory {
            url,
            title: art.title,
            published: art.published.map(|d| d.to_rfc3339()),
            authors: art.authors,
            site_name: art.site_name,
            language: art.language,
            text: art.text,
            copies,
        };
        serde_json::to_writer(&mut *out, &story)?;
        out.write_all(b"\n")?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("plain, title"), "\"plain, title\"");
        assert_eq!(csv_field("https://a.example/x"), "https://a.example/x");
    }

    #[test]
    fn terminal_text_has_no_control_sequences() {
        let t = terminal_safe("Title\u{1b}[2J\u{7}\u{9b}31m \u{202E}txt.exe\u{2066}x");
        assert!(!t.chars().any(|c| c.is_control()), "{t:?}");
        assert!(!t.contains('\u{202E}') && !t.contains('\u{2066}'), "{t:?}");
        assert!(t.starts_with("Title\u{FFFD}[2J"), "{t:?}");
        assert_eq!(terminal_safe("Ümlaut – ok"), "Ümlaut – ok");
    }
}
