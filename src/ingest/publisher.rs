//! Publisher-supplied articles as JSON Lines: one object per line with `url`, `title`,
//! `published` (RFC 3339 or `YYYY-MM-DD`), `text`, and optional `authors` (a list of names, or
//! one name as a string) and `site_name`. This is how a paywalled original, whose page shows only a teaser, gets its
//! full text in. `title` and `published` may be missing or null.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;

use crate::extract::Article;

/// One line of a publisher JSON Lines file.
#[derive(Debug, Clone, Deserialize)]
pub struct SuppliedArticle {
    /// Canonical URL of the article.
    pub url: String,
    /// Headline.
    #[serde(default)]
    pub title: Option<String>,
    /// Publication time: RFC 3339, or a date `YYYY-MM-DD` (taken as 00:00 UTC).
    /// Any JSON value: a string is read as a date ([`parse_time`]); anything else (a number,
    /// an object…) is reported and the article kept without a date.
    #[serde(default)]
    pub published: Option<serde_json::Value>,
    /// Full body text; paragraphs separated by blank lines. Required (it may be empty: a photo
    /// gallery); a line without it is not an article (a labels file, say) and is refused.
    #[serde(default)]
    pub text: Option<String>,
    /// Author names: a list of strings, or a string (one author). Any JSON value: another shape
    /// (a number, an object, a list holding a non-string) is reported and the article kept
    /// without authors ([`authors_from`]).
    #[serde(default)]
    pub authors: Option<serde_json::Value>,
    /// Publisher name.
    #[serde(default)]
    pub site_name: Option<String>,
}

/// `value` quoted for a message, cut to 80 characters.
fn shorten(value: &str) -> String {
    let mut q: String = value.chars().take(80).collect();
    if q.len() < value.len() {
        q.push('…');
    }
    format!("{q:?}")
}

/// A JSON value as its JSON text for a message, cut to 80 characters.
fn shorten_json(value: &serde_json::Value) -> String {
    let text = value.to_string();
    let mut q: String = text.chars().take(80).collect();
    if q.len() < text.len() {
        q.push('…');
    }
    q
}

/// Parses a publication time given as RFC 3339, RFC 2822, an ISO 8601 date and time without
/// offset (`2024-03-01T10:00:00` or with a space; read as UTC), or a bare date `YYYY-MM-DD`
/// (midnight UTC). `None` for anything else, and for years outside 1900–2100 (a year 0 date
/// would otherwise win every "which was published first" decision).
pub fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    use chrono::Datelike;
    let s = s.trim();
    parse_any_time(s).filter(|t| (1900..=2100).contains(&t.year()))
}

fn parse_any_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| DateTime::parse_from_rfc2822(s).ok())
        .or_else(|| {
            [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
            ]
            .iter()
            .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
            .map(|dt| dt.and_utc().fixed_offset())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|dt| dt.and_utc().fixed_offset())
        })
}

/// The author names in an `authors` value: a string is one author, a list of strings is one
/// author each (blank names dropped, surrounding spaces trimmed); absent or `null` is none.
///
/// # Errors
/// A reason naming the value when it has another shape (a number, a boolean, an object, a
/// list with a non-string element).
pub fn authors_from(value: Option<&serde_json::Value>) -> Result<Vec<String>, String> {
    use serde_json::Value;
    let names = |items: Vec<&str>| {
        items
            .into_iter()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect()
    };
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(names(vec![s])),
        Some(list @ Value::Array(items)) => match items.iter().map(Value::as_str).collect() {
            Some(strs) => Ok(names(strs)),
            None => Err(format!(
                "authors {} is not a list of names (strings)",
                shorten_json(list)
            )),
        },
        Some(other) => Err(format!(
            "authors {} is not a name or a list of names (strings)",
            shorten_json(other)
        )),
    }
}

/// The line as it is stored as the page body: unchanged, unless its `url` carries a user name
/// or password (`https://user:pass@host/`), which is then removed from it (the line is
/// re-serialised) so credentials never reach the store.
pub fn line_without_credentials(line: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    if !line.contains(&b'@') {
        return Cow::Borrowed(line);
    }
    let text = String::from_utf8_lossy(line);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(text) else {
        return Cow::Borrowed(line);
    };
    let clean = v
        .get("url")
        .and_then(|u| u.as_str())
        .and_then(crate::crawl::canon::without_userinfo);
    match (clean, v.as_object_mut()) {
        (Some(clean), Some(obj)) => {
            obj.insert("url".into(), serde_json::Value::String(clean));
            Cow::Owned(v.to_string().into_bytes())
        }
        _ => Cow::Borrowed(line),
    }
}

/// Parses one line into a URL and an [`Article`].
///
/// # Errors
/// A reason when the line is not a JSON object with a valid absolute `url` and a `text` field
/// (possibly empty; a leading byte order mark is ignored), or when its `text` is larger than the page limit ([`super::warc::MAX_PAGE_BYTES`], 10 MiB) that WARC and HTML
/// pages get too.
/// The third value is a warning when a field was present but could not be used (an
/// unparseable `published`, `authors` of another shape than a string or a list of strings):
/// the article is kept without it, and the caller reports it (several such fields: one
/// warning, the reasons joined by `; `).
pub fn parse_line(line: &str) -> Result<(url::Url, Article, Option<String>), String> {
    // A byte order mark (editors put one on the first line) is not part of the JSON.
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    let a: SuppliedArticle = serde_json::from_str(line).map_err(|e| format!("bad JSON: {e}"))?;
    let Some(text) = a.text else {
        return Err(
            "no `text` field: a publisher article needs its body text (is this a JSON Lines file of articles?); skipped"
                .into(),
        );
    };
    if text.len() as u64 > super::warc::MAX_PAGE_BYTES {
        return Err(format!(
            "text of {} bytes is larger than the {}-byte page limit; skipped",
            text.len(),
            super::warc::MAX_PAGE_BYTES
        ));
    }
    let mut url = url::Url::parse(&a.url).map_err(|e| {
        format!(
            "bad url {:?}: {e}",
            crate::crawl::canon::redact_userinfo(&a.url)
        )
    })?;
    // Credentials in the URL are never stored or printed.
    crate::crawl::canon::strip_userinfo(&mut url);
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("url {:?} is not an http(s) URL", url.as_str()));
    }
    let (published, warning) = match &a.published {
        None | Some(serde_json::Value::Null) => (None, None),
        Some(serde_json::Value::String(p)) if p.trim().is_empty() => (None, None),
        Some(serde_json::Value::String(p)) => match parse_time(p) {
            Some(t) => (Some(t), None),
            None => (None, Some(shorten(p))),
        },
        Some(other) => (None, Some(shorten(&other.to_string()))),
    };
    let mut warnings: Vec<String> = warning
        .map(|p| {
            format!(
                "published {p} is not a date (RFC 3339, RFC 2822 or YYYY-MM-DD, years 1900–2100); the article is stored without it"
            )
        })
        .into_iter()
        .collect();
    let authors = authors_from(a.authors.as_ref()).unwrap_or_else(|why| {
        warnings.push(format!("{why}; the article is stored without authors"));
        Vec::new()
    });
    let warning = (!warnings.is_empty()).then(|| warnings.join("; "));
    let language =
        whatlang::detect_lang(&text).map(|l| crate::extract::language_code(l).to_string());
    let art = Article {
        url: Some(url.to_string()),
        title: a.title.filter(|t| !t.trim().is_empty()),
        text: text.trim().to_string(),
        authors,
        published,
        canonical_url: Some(url.to_string()),
        site_name: a.site_name,
        language,
        ..Default::default()
    };
    Ok((url, art, warning))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_line_with_optional_fields_missing() {
        let (u, a, w) = parse_line(
            r#"{"url":"https://ft.example/a","text":"Hello world","published":"2024-03-01"}"#,
        )
        .unwrap();
        assert_eq!(w, None);
        assert_eq!(u.as_str(), "https://ft.example/a");
        assert_eq!(a.title, None);
        assert_eq!(
            a.published.unwrap().to_rfc3339(),
            "2024-03-01T00:00:00+00:00"
        );
        assert!(parse_line(r#"{"url":"ftp://x/y","text":""}"#).is_err());
        assert!(parse_line("not json").is_err());
        let huge = format!(
            r#"{{"url":"https://ft.example/b","text":"{}"}}"#,
            "a ".repeat(6 * 1024 * 1024)
        );
        let e = parse_line(&huge).unwrap_err();
        assert!(e.contains("page limit"), "{e}");
    }

    #[test]
    fn bom_is_ignored_and_lines_without_text_are_refused() {
        let (u, a, _) =
            parse_line("\u{feff}{\"url\":\"https://ft.example/a\",\"text\":\"Body here\"}")
                .unwrap();
        assert_eq!(
            (u.as_str(), a.text.as_str()),
            ("https://ft.example/a", "Body here")
        );
        // A labels file (url, no text field) is not a file of articles; an empty text is an
        // article without a body (a photo gallery): stored, never linked.
        for line in [
            r#"{"url":"https://ft.example/a","copy_of":"https://b.example/"}"#,
            r#"{"url":"https://ft.example/a","title":"T","text":null}"#,
        ] {
            let e = parse_line(line).unwrap_err();
            assert!(e.contains("no `text`"), "{line}: {e}");
        }
        let (_, a, _) = parse_line(r#"{"url":"https://ft.example/g","text":"  "}"#).unwrap();
        assert_eq!(a.text, "");
    }

    #[test]
    fn authors_as_a_string_or_a_list_and_other_shapes_reported() {
        let line = |authors: &str| {
            format!(r#"{{"url":"https://ft.example/a","text":"Body","authors":{authors}}}"#)
        };
        for (authors, want) in [
            (r#""Jane Doe""#, vec!["Jane Doe"]),
            (r#"" Jane Doe ""#, vec!["Jane Doe"]),
            (r#"["Jane Doe", "John Roe"]"#, vec!["Jane Doe", "John Roe"]),
            (r#"["Jane Doe", " "]"#, vec!["Jane Doe"]),
            (r#""""#, vec![]),
            ("[]", vec![]),
            ("null", vec![]),
        ] {
            let (_, a, w) = parse_line(&line(authors)).unwrap_or_else(|e| panic!("{authors}: {e}"));
            assert_eq!(a.authors, want, "{authors}");
            assert_eq!(w, None, "{authors}");
        }
        // Other shapes: the article is kept without authors and the field is reported.
        for authors in ["42", "true", r#"{"name":"Jane Doe"}"#, r#"["Jane Doe", 7]"#] {
            let (_, a, w) = parse_line(&line(authors)).unwrap_or_else(|e| panic!("{authors}: {e}"));
            assert!(a.authors.is_empty(), "{authors}");
            assert_eq!(a.text, "Body");
            let w = w.unwrap_or_else(|| panic!("{authors}: no warning"));
            assert!(w.starts_with("authors "), "{w}");
            assert!(w.contains("stored without authors"), "{w}");
        }
        // Two bad fields: one warning naming both.
        let (_, _, w) = parse_line(
            r#"{"url":"https://ft.example/a","text":"x","published":"soon","authors":3}"#,
        )
        .unwrap();
        let w = w.unwrap();
        assert!(
            w.contains("published \"soon\"") && w.contains("authors 3"),
            "{w}"
        );
    }

    #[test]
    fn dates_in_common_forms_are_read_and_others_are_reported() {
        for (given, want) in [
            ("2024-03-01T10:20:30+02:00", "2024-03-01T08:20:30+00:00"),
            ("Fri, 01 Mar 2024 10:20:30 GMT", "2024-03-01T10:20:30+00:00"),
            ("2024-03-01T10:20:30", "2024-03-01T10:20:30+00:00"),
            ("2024-03-01 10:20", "2024-03-01T10:20:00+00:00"),
            (" 2024-03-01 ", "2024-03-01T00:00:00+00:00"),
        ] {
            let t = parse_time(given).unwrap_or_else(|| panic!("{given}"));
            assert_eq!(t.with_timezone(&chrono::Utc).to_rfc3339(), want, "{given}");
        }
        let (_, a, w) = parse_line(
            r#"{"url":"https://ft.example/a","text":"Hello world","published":"last Tuesday"}"#,
        )
        .unwrap();
        assert_eq!(a.published, None);
        assert!(w.unwrap().contains("last Tuesday"));
        let (_, _, w) =
            parse_line(r#"{"url":"https://ft.example/a","text":"x","published":null}"#).unwrap();
        assert_eq!(w, None);
        // Other JSON types and absurd years: kept without a date, reported.
        for p in [
            "1704164645",
            "true",
            "[\"2024-01-02\"]",
            "{\"y\":1}",
            "\"0000-01-01\"",
        ] {
            let line = format!(r#"{{"url":"https://ft.example/a","text":"x","published":{p}}}"#);
            let (_, a, w) = parse_line(&line).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert_eq!(a.published, None, "{p}");
            assert!(w.is_some(), "{p}");
        }
        let long = format!(
            r#"{{"url":"https://ft.example/a","text":"x","published":"{}"}}"#,
            "9".repeat(100_000)
        );
        assert!(parse_line(&long).unwrap().2.unwrap().len() < 300);
    }
}
