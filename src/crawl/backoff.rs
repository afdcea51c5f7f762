//! Backoff arithmetic: what to do with a host and a URL after a response (or a failure).
//!
//! Pure functions, no clock and no randomness of their own: the caller passes the receipt time
//! and a jitter value, so every rule is unit-tested (case 20 of the project's cases).
//!
//! Rules (RFC 9110 §10.2.3 for `Retry-After`; exponential backoff with jitter as in the AWS
//! Architecture Blog "Exponential Backoff and Jitter", "equal jitter" variant):
//! - 2xx/3xx/4xx other than 408/429: the URL is done, no pause beyond the normal delay;
//! - 429 and 503 with a valid `Retry-After` (delta-seconds, or an HTTP-date taken relative to the
//!   response's `Date` header, else to the receipt time): the host is paused for at least that
//!   long and the URL retried; a value above the cap defers the host (no retry in this run,
//!   never sooner than asked);
//! - other 5xx, 408, 429 without (or with an unparseable) `Retry-After`, timeouts and network
//!   errors: exponential backoff `min(max, base·2^(attempt−1))` with equal jitter, up to
//!   `max_retries` retries; then the URL fails.

use std::time::{Duration, SystemTime};

/// Backoff settings (from `--retry-base`, `--max-retry-after`, `--max-retries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Base of the exponential backoff (wait before the first retry, before jitter).
    pub base: Duration,
    /// Upper bound of one exponential wait.
    pub max_backoff: Duration,
    /// Longest `Retry-After` (or backoff) honoured within a run; longer waits defer the host.
    pub max_retry_after: Duration,
    /// Retries per URL after the first attempt (so at most `max_retries + 1` requests).
    pub max_retries: u32,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            base: Duration::from_secs(2),
            max_backoff: Duration::from_secs(600),
            max_retry_after: Duration::from_secs(3600),
            max_retries: 3,
        }
    }
}

/// What came back from one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// An HTTP response.
    Response {
        /// Status code.
        status: u16,
        /// The `Retry-After` header value, if any.
        retry_after: Option<&'a str>,
        /// The `Date` header value, if any.
        date: Option<&'a str>,
    },
    /// No complete response in time (connect or total timeout).
    Timeout,
    /// Connection refused/reset or another transport error that may be transient.
    NetworkError,
}

/// What to do with the URL that was requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlAction {
    /// Final answer (success or a permanent error): record it.
    Done,
    /// Request it again, not before `after` from now.
    Retry {
        /// Wait from the receipt time.
        after: Duration,
    },
    /// The host asked for a pause longer than the cap: keep the URL queued, not before
    /// `after` from now, and stop crawling the host in this run.
    DeferHost {
        /// Wait from the receipt time.
        after: Duration,
    },
    /// Retries exhausted: record the failure.
    GiveUp,
}

/// The decision after one request: how long the whole host pauses, and the URL's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Pause of every request to the host, from the receipt time (zero = only the normal delay).
    pub host_pause: Duration,
    /// What happens to the URL.
    pub action: UrlAction,
}

/// Longest deferral of a host (7 days, in seconds): a `Retry-After` beyond
/// [`BackoffPolicy::max_retry_after`] defers the host to a later run for the time asked, but for
/// at most this long, so an absurd value (years, 10^30 s) cannot block a host for ever.
pub const MAX_HOST_DEFERRAL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Parses a `Retry-After` value into a wait from the receipt time.
///
/// Delta-seconds (`"120"`) are taken as they are. An HTTP-date (IMF-fixdate, RFC 850 or asctime,
/// RFC 9110 §5.6.7) is taken relative to the response's `Date` header when that parses (so a
/// skewed local clock does not matter), else relative to `received_at`; a date in the past
/// gives zero. Returns `None` for anything else (negative, fractional or garbage values).
pub fn parse_retry_after(
    value: &str,
    date_header: Option<&str>,
    received_at: SystemTime,
) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Very long digit strings saturate instead of failing: they are "a very long time".
        return Some(Duration::from_secs(
            v.parse::<u64>().unwrap_or(u64::MAX / 4),
        ));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    let reference = date_header
        .and_then(|d| httpdate::parse_http_date(d.trim()).ok())
        .unwrap_or(received_at);
    Some(at.duration_since(reference).unwrap_or(Duration::ZERO))
}

/// Exponential backoff before retry number `attempt` (1 = first retry), with equal jitter:
/// half of `min(max, base·2^(attempt−1))` fixed, the other half scaled by `jitter` (0..1).
pub fn exponential(policy: &BackoffPolicy, attempt: u32, jitter: f64) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let raw = policy
        .base
        .saturating_mul(1u32 << exp)
        .min(policy.max_backoff);
    let half = raw / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// Decides after a request. `attempt` is the number of requests made for this URL so far,
/// including this one (1 for the first); `jitter` is a random value in 0..1.
pub fn decide(
    policy: &BackoffPolicy,
    outcome: Outcome<'_>,
    attempt: u32,
    received_at: SystemTime,
    jitter: f64,
) -> Verdict {
    let retryable_wait = |wait: Duration| {
        if wait > policy.max_retry_after {
            // A server asking for years (or 10^30 s) defers the host to a later run, not forever.
            let wait = wait.min(MAX_HOST_DEFERRAL);
            Verdict {
                host_pause: wait,
                action: UrlAction::DeferHost { after: wait },
            }
        } else if attempt > policy.max_retries {
            Verdict {
                host_pause: wait,
                action: UrlAction::GiveUp,
            }
        } else {
            Verdict {
                host_pause: wait,
                action: UrlAction::Retry { after: wait },
            }
        }
    };
    match outcome {
        Outcome::Response {
            status,
            retry_after,
            date,
        } => {
            let honours_retry_after = status == 429 || status == 503;
            if honours_retry_after
                && let Some(wait) =
                    retry_after.and_then(|v| parse_retry_after(v, date, received_at))
            {
                return retryable_wait(wait);
            }
            if status == 429 || status == 408 || (500..600).contains(&status) {
                return retryable_wait(exponential(policy, attempt, jitter));
            }
            Verdict {
                host_pause: Duration::ZERO,
                action: UrlAction::Done,
            }
        }
        Outcome::Timeout | Outcome::NetworkError => {
            retryable_wait(exponential(policy, attempt, jitter))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Status, headers and body of a raw HTTP response file (`*.http` in the cases).
    fn raw(text: &str) -> (u16, Vec<(String, String)>) {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut headers);
        let _ = resp.parse(text.as_bytes()).unwrap();
        let hs = resp
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        (resp.code.unwrap(), hs)
    }

    fn header<'a>(hs: &'a [(String, String)], name: &str) -> Option<&'a str> {
        hs.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn policy_case20() -> BackoffPolicy {
        BackoffPolicy {
            base: Duration::from_secs(1),
            max_backoff: Duration::from_secs(600),
            max_retry_after: Duration::from_secs(3600),
            max_retries: 3,
        }
    }

    fn verdict_for(file: &str, received_at: SystemTime) -> Verdict {
        let (status, hs) = raw(file);
        decide(
            &policy_case20(),
            Outcome::Response {
                status,
                retry_after: header(&hs, "retry-after"),
                date: header(&hs, "date"),
            },
            1,
            received_at,
            0.5,
        )
    }

    fn case_date() -> SystemTime {
        httpdate::parse_http_date("Tue, 14 May 2024 09:00:00 GMT").unwrap()
    }

    #[test]
    fn case20_429_seconds_pauses_host_120s_and_retries() {
        let v = verdict_for(
            include_str!("../../tests/data/crawl/20-http-429-retry-after/resp_429_seconds.http"),
            case_date(),
        );
        assert_eq!(v.host_pause, Duration::from_secs(120));
        assert_eq!(
            v.action,
            UrlAction::Retry {
                after: Duration::from_secs(120)
            }
        );
    }

    #[test]
    fn case20_503_http_date_is_relative_to_date_header() {
        // Receipt time 7 minutes late (skewed clock): the Date header is the reference.
        let late = case_date() + Duration::from_secs(420);
        let v = verdict_for(
            include_str!("../../tests/data/crawl/20-http-429-retry-after/resp_503_httpdate.http"),
            late,
        );
        assert_eq!(v.host_pause, Duration::from_secs(300));
        assert_eq!(
            v.action,
            UrlAction::Retry {
                after: Duration::from_secs(300)
            }
        );
    }

    #[test]
    fn case20_one_day_exceeds_cap_and_defers_host() {
        let v = verdict_for(
            include_str!("../../tests/data/crawl/20-http-429-retry-after/resp_429_one_day.http"),
            case_date(),
        );
        assert_eq!(v.host_pause, Duration::from_secs(86400));
        assert_eq!(
            v.action,
            UrlAction::DeferHost {
                after: Duration::from_secs(86400)
            }
        );
    }

    #[test]
    fn http_date_without_date_header_uses_receipt_time() {
        let now = case_date();
        let d = parse_retry_after("Tue, 14 May 2024 09:01:30 GMT", None, now).unwrap();
        assert_eq!(d, Duration::from_secs(90));
        // In the past: zero.
        let d = parse_retry_after("Tue, 14 May 2024 08:00:00 GMT", None, now).unwrap();
        assert_eq!(d, Duration::ZERO);
        // RFC 850 and asctime forms.
        assert_eq!(
            parse_retry_after("Tuesday, 14-May-24 09:00:10 GMT", None, now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Tue May 14 09:00:20 2024", None, now),
            Some(Duration::from_secs(20))
        );
    }

    #[test]
    fn invalid_retry_after_falls_back_to_exponential_backoff_not_immediate_retry() {
        for bad in ["-5", "soon", "1.5", ""] {
            assert_eq!(parse_retry_after(bad, None, case_date()), None, "{bad:?}");
            let v = decide(
                &policy_case20(),
                Outcome::Response {
                    status: 429,
                    retry_after: Some(bad),
                    date: None,
                },
                1,
                case_date(),
                0.0,
            );
            assert_eq!(
                v.action,
                UrlAction::Retry {
                    after: Duration::from_millis(500)
                },
                "{bad:?}"
            );
            assert!(v.host_pause > Duration::ZERO);
        }
    }

    #[test]
    fn absurd_retry_after_defers_the_host_for_at_most_a_week() {
        let day = Duration::from_secs(86_400);
        for (value, want) in [
            ("1000000000000000000000000000000", MAX_HOST_DEFERRAL),
            ("31536000", MAX_HOST_DEFERRAL),
            ("86400", day),
        ] {
            let v = decide(
                &policy_case20(),
                Outcome::Response {
                    status: 503,
                    retry_after: Some(value),
                    date: None,
                },
                1,
                case_date(),
                0.0,
            );
            assert_eq!(v.action, UrlAction::DeferHost { after: want }, "{value}");
            assert_eq!(v.host_pause, want, "{value}");
        }
    }

    #[test]
    fn exponential_doubles_with_equal_jitter_and_is_capped() {
        let p = BackoffPolicy {
            base: Duration::from_secs(2),
            max_backoff: Duration::from_secs(10),
            ..policy_case20()
        };
        assert_eq!(exponential(&p, 1, 0.0), Duration::from_secs(1));
        assert_eq!(exponential(&p, 1, 1.0), Duration::from_secs(2));
        assert_eq!(exponential(&p, 2, 1.0), Duration::from_secs(4));
        assert_eq!(exponential(&p, 3, 0.5), Duration::from_secs(6));
        assert_eq!(exponential(&p, 9, 1.0), Duration::from_secs(10));
        assert_eq!(exponential(&p, 60, 1.0), Duration::from_secs(10));
    }

    #[test]
    fn server_errors_and_timeouts_retry_until_max_retries() {
        let p = policy_case20();
        for outcome in [
            Outcome::Response {
                status: 500,
                retry_after: None,
                date: None,
            },
            Outcome::Timeout,
            Outcome::NetworkError,
        ] {
            for attempt in 1..=3 {
                assert!(
                    matches!(
                        decide(&p, outcome, attempt, case_date(), 0.3).action,
                        UrlAction::Retry { .. }
                    ),
                    "{outcome:?} attempt {attempt}"
                );
            }
            assert_eq!(
                decide(&p, outcome, 4, case_date(), 0.3).action,
                UrlAction::GiveUp
            );
        }
    }

    #[test]
    fn retry_after_is_ignored_on_other_statuses_and_success_is_done() {
        let p = policy_case20();
        for status in [200, 301, 404, 410] {
            let v = decide(
                &p,
                Outcome::Response {
                    status,
                    retry_after: Some("120"),
                    date: None,
                },
                1,
                case_date(),
                0.5,
            );
            assert_eq!(v.action, UrlAction::Done, "{status}");
            assert_eq!(v.host_pause, Duration::ZERO);
        }
    }

    #[test]
    fn retry_after_over_cap_defers_even_when_retries_are_exhausted() {
        let v = decide(
            &policy_case20(),
            Outcome::Response {
                status: 503,
                retry_after: Some("7200"),
                date: None,
            },
            10,
            case_date(),
            0.5,
        );
        assert!(matches!(v.action, UrlAction::DeferHost { .. }));
    }
}
