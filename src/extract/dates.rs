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

const MONTHS: &[(&str, u32)] = &[
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    ("januar", 1),
    ("februar", 2),
    ("märz", 3),
    ("maerz", 3),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("okt", 10),
    ("dez", 12),
    ("janv", 1),
    ("févr", 2),
    ("fevr", 2),
    ("mars", 3),
    ("avr", 4),
    ("juin", 6),
    ("juil", 7),
    ("août", 8),
    ("aout", 8),
    ("déc", 12),
    ("ene", 1),
    ("abr", 4),
    ("ago", 8),
    ("dic", 12),
    ("fev", 2),
    ("set", 9),
    ("out", 10),
    ("dez", 12),
    ("gen", 1),
    ("giu", 6),
    ("lug", 7),
    ("ott", 10),
    ("янв", 1),
    ("фев", 2),
    ("мар", 3),
    ("апр", 4),
    ("мая", 5),
    ("май", 5),
    ("июн", 6),
    ("июл", 7),
    ("авг", 8),
    ("сен", 9),
    ("окт", 10),
    ("ноя", 11),
    ("дек", 12),
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    ("maggio", 5),
    ("maio", 5),
    ("junho", 6),
    ("julho", 7),
];

/// Time-zone abbreviations → offset in minutes (November-style: EST, not EDT, for "ET").
const ZONES: &[(&str, i32)] = &[
    ("gmt", 0),
    ("utc", 0),
    ("z", 0),
    ("bst", 60),
    ("cet", 60),
    ("cest", 120),
    ("eet", 120),
    ("eest", 180),
    ("msk", 180),
    ("ist", 330),
    ("pkt", 300),
    ("ict", 420),
    ("wib", 420),
    ("hkt", 480),
    ("sgt", 480),
    ("jst", 540),
    ("kst", 540),
    ("aest", 600),
    ("aedt", 660),
    ("nzdt", 780),
    ("est", -300),
    ("edt", -240),
    ("et", -300),
    ("cst", -360),
    ("cdt", -300),
    ("ct", -360),
    ("mst", -420),
    ("mdt", -360),
    ("mt", -420),
    ("pst", -480),
    ("pdt", -420),
    ("pt", -480),
    ("akst", -540),
    ("hst", -600),
];

fn month_of(tok: &str) -> Option<u32> {
    let t = tok.trim_end_matches('.');
    if t.len() < 3 || t.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    MONTHS
        .iter()
        .filter(|(m, _)| t.starts_with(m))
        .max_by_key(|(m, _)| m.len())
        .map(|(_, n)| *n)
}

fn offset_of(tok: &str) -> Option<i32> {
    let t = tok.trim_matches(|c: char| c == '(' || c == ')' || c == '.');
    if let Some((_, m)) = ZONES.iter().find(|(z, _)| *z == t) {
        return Some(*m);
    }
    let t = t
        .strip_prefix("gmt")
        .or_else(|| t.strip_prefix("utc"))
        .unwrap_or(t);
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() != rest.len() - rest.matches(':').count() || digits.is_empty() {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

/// Parses a human-readable date as written in bylines and some metas: "20 Nov 2019 08:02 GMT",
/// "November 19, 2019, 07:47 PM EST", "Tue Nov 19 2019 03:05:46 GMT+0000", "19.11.2019 10:30",
/// "01:38:07 PM IST Nov 20, 2019". Needs a year and a month and a day; a time and a zone are
/// used when present (no zone = UTC). Only used on short strings (≤ 80 chars).
pub fn parse_loose(raw: &str) -> Option<ParsedDate> {
    if let Some(p) = parse_date(raw) {
        return Some(p);
    }
    if raw.chars().count() > 80 {
        return None;
    }
    let lower = raw.to_lowercase();
    let cleaned: String = lower
        .chars()
        .map(|c| {
            if matches!(c, ',' | '|' | '[' | ']' | '·' | '•') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let toks: Vec<&str> = cleaned.split_whitespace().collect();
    let (mut year, mut month, mut day) = (None, None, None);
    let (mut hour, mut minute, mut second) = (None, None, 0u32);
    let mut offset: Option<i32> = None;
    let mut pm: Option<bool> = None;
    let mut loose_nums: Vec<u32> = Vec::new();
    for (i, tok) in toks.iter().enumerate() {
        let t = tok.trim_end_matches('.');
        // Numeric dates: 19.11.2019, 2019-11-20, 2019/11/20.
        let parts: Vec<&str> = t.split(['.', '-', '/']).collect();
        if parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            let n: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
            if n.len() == 3 {
                if parts[0].len() == 4 {
                    (year, month, day) = (Some(n[0] as i32), Some(n[1]), Some(n[2]));
                } else if parts[2].len() == 4 && t.contains('.') {
                    (year, month, day) = (Some(n[2] as i32), Some(n[1]), Some(n[0]));
                } else if parts[2].len() == 4 && n[1] > 12 {
                    (year, month, day) = (Some(n[2] as i32), Some(n[0]), Some(n[1]));
                }
                continue;
            }
        }
        if t.contains(':') && hour.is_none() {
            let tp: Vec<&str> = t.split(':').collect();
            let nums: Vec<Option<u32>> = tp
                .iter()
                .map(|p| {
                    let d: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
                    d.parse().ok()
                })
                .collect();
            if (2..=3).contains(&tp.len()) && nums[0].is_some() && nums[1].is_some() {
                hour = nums[0];
                minute = nums[1];
                second = nums.get(2).copied().flatten().unwrap_or(0);
                let tail = tp
                    .last()
                    .unwrap_or(&"")
                    .trim_start_matches(|c: char| c.is_ascii_digit());
                if tail.starts_with("pm") || tail.starts_with("p.m") {
                    pm = Some(true);
                } else if tail.starts_with("am") || tail.starts_with("a.m") {
                    pm = Some(false);
                }
                continue;
            }
        }
        if matches!(t, "pm" | "p.m" | "p. m") {
            pm = Some(true);
            continue;
        }
        if matches!(t, "am" | "a.m" | "a. m") {
            pm = Some(false);
            continue;
        }
        if let Some(o) = offset_of(t)
            && (hour.is_some() || i > 0)
        {
            offset = Some(o);
            continue;
        }
        if let Some(m) = month_of(t) {
            if month.is_none() {
                month = Some(m);
            }
            continue;
        }
        let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() {
            let suffix = &t[digits.len()..];
            if !matches!(suffix, "" | "st" | "nd" | "rd" | "th" | "e" | "er" | "º") {
                continue;
            }
            if let Ok(n) = digits.parse::<u32>() {
                if digits.len() == 4 && (1990..=2100).contains(&n) {
                    year.get_or_insert(n as i32);
                } else if digits.len() <= 2 {
                    loose_nums.push(n);
                }
            }
        }
    }
    if day.is_none() && month.is_some() {
        day = loose_nums.iter().copied().find(|d| (1..=31).contains(d));
    }
    let (y, m, d) = (year?, month?, day?);
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    let (naive, has_time) = match (hour, minute) {
        (Some(mut h), Some(mi)) => {
            match pm {
                Some(true) if h < 12 => h += 12,
                Some(false) if h == 12 => h = 0,
                _ => {}
            }
            (date.and_hms_opt(h, mi, second.min(59))?, true)
        }
        _ => (date.and_hms_opt(0, 0, 0)?, false),
    };
    let off = FixedOffset::east_opt(offset.unwrap_or(0) * 60)?;
    let at = off.from_local_datetime(&naive).single()?;
    (1990..=2100)
        .contains(&y)
        .then_some(ParsedDate { at, has_time })
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
    fn a_time_of_day_needs_a_colon() {
        // `body::boilerplate_reason` skips `parse_loose` for texts without `:` when it only
        // wants dates with a time of day.
        for s in [
            "20 Nov 2019 0802 GMT",
            "19.11.2019 10h30",
            "2019-11-20T0830Z",
            "November 19, 2019 7 PM",
            "Tue Nov 19 2019",
        ] {
            assert!(!parse_loose(s).is_some_and(|d| d.has_time), "{s}");
        }
        assert!(parse_loose("November 19, 2019, 07:47 PM EST").is_some_and(|d| d.has_time));
    }

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
    fn loose_formats() {
        for (raw, want) in [
            ("20 Nov 2019 08:02 GMT", "2019-11-20T08:02:00+00:00"),
            (
                "November 19, 2019, 07:47 PM EST",
                "2019-11-19T19:47:00-05:00",
            ),
            (
                "Tue Nov 19 2019 03:05:46 GMT+0000",
                "2019-11-19T03:05:46+00:00",
            ),
            ("01:38:07 PM IST Nov 20, 2019", "2019-11-20T13:38:07+05:30"),
            ("2019-11-18 17:19:53 GMT", "2019-11-18T17:19:53+00:00"),
            ("19.11.2019 10:30", "2019-11-19T10:30:00+00:00"),
            ("Nov. 19, 2019 8:03 am ET", "2019-11-19T08:03:00-05:00"),
            ("2019/11/19", "2019-11-19T00:00:00+00:00"),
            ("19 ноября 2019, 14:05", "2019-11-19T14:05:00+00:00"),
        ] {
            let got = parse_loose(raw).map(|d| d.at.to_rfc3339());
            assert_eq!(got.as_deref(), Some(want), "{raw}");
        }
        assert!(parse_loose("Updated 3 hours ago").is_none());
        assert!(parse_loose("since 2019").is_none());
    }

    #[test]
    fn url_path_date() {
        let d = date_from_url_path("/2023/08/02/pine-ridge").unwrap();
        assert_eq!(d.at.to_rfc3339(), "2023-08-02T00:00:00+00:00");
        assert!(date_from_url_path("/2019/11/meth.html").is_none());
    }
}
