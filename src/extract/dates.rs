//! Parsing of machine-readable date values found in markup (JSON-LD, `<meta>`, `<time datetime>`).
//!
//! Only ISO 8601 / RFC 3339 style values (and RFC 2822, which some feeds-turned-metas use) are
//! accepted; free prose such as "since 2019" is never parsed. A value without a UTC offset is
//! taken as UTC; a date without a time of day becomes midnight UTC and is flagged as date-only.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// A parsed date and whether the source carried a time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedDate {
    /// The instant (midnight UTC when the value was a bare date).
    pub at: DateTime<FixedOffset>,
    /// `true` when the value had a time of day (hours and minutes at least).
    pub has_time: bool,
}

const OFFSET_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M%z",
    "%Y-%m-%d %H:%M %z",
    "%Y-%m-%dT%H:%M:%S %z",
];

const NAIVE_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
];

const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"];

/// Parses a machine-readable date value. Returns `None` for anything that is not a plausible
/// ISO 8601 / RFC 3339 / RFC 2822 date between 1990 and 2100.
pub fn parse_date(raw: &str) -> Option<ParsedDate> {
    let s = raw.trim();
    if s.len() < 8 || s.len() > 40 || !s.as_bytes()[0].is_ascii_digit() && !s.contains(',') {
        return None;
    }
    let mut found = None;
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        found = Some(ParsedDate {
            at: d,
            has_time: true,
        });
    }
    if found.is_none() {
        // "Z" suffix with formats RFC 3339 rejects (e.g. no seconds).
        let zfix;
        let s2 = if let Some(stripped) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
            zfix = format!("{stripped}+0000");
            zfix.as_str()
        } else {
            s
        };
        for f in OFFSET_FORMATS {
            if let Ok(d) = DateTime::parse_from_str(s2, f) {
                found = Some(ParsedDate {
                    at: d,
                    has_time: true,
                });
                break;
            }
        }
    }
    if found.is_none() {
        for f in NAIVE_FORMATS {
            if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
                found = Some(ParsedDate {
                    at: Utc.from_utc_datetime(&n).fixed_offset(),
                    has_time: true,
                });
                break;
            }
        }
    }
    if found.is_none()
        && s.contains(',')
        && let Ok(d) = DateTime::parse_from_rfc2822(s)
    {
        found = Some(ParsedDate {
            at: d,
            has_time: true,
        });
    }
    if found.is_none() {
        for f in DATE_FORMATS {
            if let Ok(d) = NaiveDate::parse_from_str(s, f) {
                let n = d.and_hms_opt(0, 0, 0)?;
                found = Some(ParsedDate {
                    at: Utc.from_utc_datetime(&n).fixed_offset(),
                    has_time: false,
                });
                break;
            }
        }
    }
    let p = found?;
    let y = chrono::Datelike::year(&p.at);
    (1990..=2100).contains(&y).then_some(p)
}

/// A `/yyyy/mm/dd/` date in a URL path (date only), the last-resort publication date.
pub fn date_from_url_path(path: &str) -> Option<ParsedDate> {
    let parts: Vec<&str> = path.split('/').collect();
    for w in parts.windows(3) {
        if w[0].len() == 4 && w[1].len() == 2 && w[2].len() == 2 {
            let (Ok(y), Ok(m), Ok(d)) = (w[0].parse::<i32>(), w[1].parse(), w[2].parse()) else {
                continue;
            };
            if !(1990..=2100).contains(&y) {
                continue;
            }
            let n = NaiveDate::from_ymd_opt(y, m, d)?.and_hms_opt(0, 0, 0)?;
            return Some(ParsedDate {
                at: Utc.from_utc_datetime(&n).fixed_offset(),
                has_time: false,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iso_variants_with_zone() {
        let d = parse_date("2024-02-19T07:30:00-08:00").unwrap();
        assert_eq!(d.at.to_rfc3339(), "2024-02-19T07:30:00-08:00");
        assert!(d.has_time);
        let d = parse_date("2019-11-19T13:03:00+0000").unwrap();
        assert_eq!(d.at.to_rfc3339(), "2019-11-19T13:03:00+00:00");
        let d = parse_date("2019-11-19T13:03Z").unwrap();
        assert_eq!(d.at.to_rfc3339(), "2019-11-19T13:03:00+00:00");
        let d = parse_date("2019-11-19 13:03:00").unwrap();
        assert_eq!(d.at.to_rfc3339(), "2019-11-19T13:03:00+00:00");
        let d = parse_date("2019-11-19T13:03:00.123Z").unwrap();
        assert_eq!(d.at.timestamp(), 1574168580);
    }

    #[test]
    fn date_only_is_flagged() {
        let d = parse_date("2019-11-19").unwrap();
        assert!(!d.has_time);
        assert_eq!(d.at.to_rfc3339(), "2019-11-19T00:00:00+00:00");
    }

    #[test]
    fn rejects_prose_and_implausible_values() {
        assert!(parse_date("since 2019").is_none());
        assert!(parse_date("2019").is_none());
        assert!(parse_date("Tuesday").is_none());
        assert!(parse_date("1970-01-01").is_none());
        assert!(parse_date("").is_none());
    }

    #[test]
    fn url_path_date() {
        let d = date_from_url_path("/2023/08/02/pine-ridge").unwrap();
        assert_eq!(d.at.to_rfc3339(), "2023-08-02T00:00:00+00:00");
        assert!(date_from_url_path("/2019/11/meth.html").is_none());
    }
}
