//! robots.txt handling per RFC 9309, parsed by `texting_robots`.
//!
//! - 2xx: the body is parsed (a leading UTF-8 BOM is stripped, §2.2 allows it; lines the parser
//!   rejects are dropped one by one instead of failing open or closed); a body without valid
//!   records (an HTML page) means no restrictions.
//! - 4xx except 429: "unavailable" (§2.3.1.3) — everything is allowed.
//! - 429, 5xx, timeouts, unreachable: "unreachable" (§2.3.1.4) — nothing is allowed for now; the
//!   caller retries robots.txt later (honouring `Retry-After`) and does not cache the failure.
//! - A successful answer is cached for 24 h (§2.4).

use std::time::Duration;

use texting_robots::Robot;

/// How long a fetched robots.txt is used before it is fetched again (RFC 9309 §2.4).
pub const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);

/// Bytes of robots.txt that are parsed; the RFC requires at least 500 KiB (§2.5).
pub const ROBOTS_MAX_BYTES: usize = 512 * 1024;

/// The product token of a User-Agent string (`"NewsLinkBot/1.2 (+https://…)"` →
/// `"NewsLinkBot"`), which is what robots.txt groups name (RFC 9309 §2.2.1).
pub fn product_token(user_agent: &str) -> &str {
    let ua = user_agent.trim();
    let end = ua
        .find(|c: char| c == '/' || c == ';' || c == '(' || c.is_whitespace())
        .unwrap_or(ua.len());
    &ua[..end]
}

/// Rules that apply to our crawler on one origin.
#[derive(Debug)]
pub struct RobotsRules {
    robot: Option<Robot>,
    /// Crawl-delay of our group (or an unscoped one before the first group), seconds.
    pub crawl_delay: Option<Duration>,
    /// `Sitemap:` URLs (not bound to any group).
    pub sitemaps: Vec<String>,
    /// Lines the parser rejected and that were dropped.
    pub dropped_lines: usize,
    /// Whether a leading BOM was stripped.
    pub bom_stripped: bool,
}

impl RobotsRules {
    /// No restrictions (robots.txt missing, 4xx, or without records).
    pub fn allow_all() -> RobotsRules {
        RobotsRules {
            robot: None,
            crawl_delay: None,
            sitemaps: Vec::new(),
            dropped_lines: 0,
            bom_stripped: false,
        }
    }

    /// Parses a robots.txt body for the crawler whose product token is `agent_token`.
    /// Never fails: unparseable lines are dropped (and counted).
    pub fn parse(agent_token: &str, body: &[u8]) -> RobotsRules {
        let body = &body[..body.len().min(ROBOTS_MAX_BYTES)];
        let (body, bom_stripped) = match body.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (rest, true),
            None => (body, false),
        };
        let (robot, dropped_lines) = match Robot::new(agent_token, body) {
            Ok(r) => (r, 0),
            Err(_) => {
                // Keep every line the parser accepts on its own (inside a neutral group).
                let mut kept = Vec::new();
                let mut dropped = 0;
                for line in body.split(|&b| b == b'\n') {
                    let mut probe = b"User-agent: *\n".to_vec();
                    probe.extend_from_slice(line);
                    if Robot::new(agent_token, &probe).is_ok() {
                        kept.extend_from_slice(line);
                        kept.push(b'\n');
                    } else {
                        dropped += 1;
                    }
                }
                match Robot::new(agent_token, &kept) {
                    Ok(r) => (r, dropped),
                    Err(_) => return RobotsRules::allow_all(),
                }
            }
        };
        let crawl_delay = robot
            .delay
            .filter(|d| d.is_finite() && *d >= 0.0)
            .map(|d| Duration::from_secs_f64(f64::from(d).min(1e9)));
        RobotsRules {
            sitemaps: robot.sitemaps.clone(),
            crawl_delay,
            robot: Some(robot),
            dropped_lines,
            bom_stripped,
        }
    }

    /// Whether `url` may be fetched.
    pub fn allowed(&self, url: &str) -> bool {
        self.robot.as_ref().is_none_or(|r| r.allowed(url))
    }
}

/// The meaning of a robots.txt fetch result.
#[derive(Debug)]
pub enum RobotsAnswer {
    /// Use these rules (cache them for [`ROBOTS_TTL`]).
    Rules(RobotsRules),
    /// Server error or unreachable: disallow everything for now, retry robots.txt later, do not
    /// cache.
    Unreachable,
}

/// Interprets a robots.txt response: `status` is `None` when no response arrived (timeout,
/// connection failure).
pub fn interpret(agent_token: &str, status: Option<u16>, body: &[u8]) -> RobotsAnswer {
    match status {
        Some(s) if (200..300).contains(&s) => {
            RobotsAnswer::Rules(RobotsRules::parse(agent_token, body))
        }
        Some(429) => RobotsAnswer::Unreachable,
        Some(s) if (400..500).contains(&s) => RobotsAnswer::Rules(RobotsRules::allow_all()),
        // 3xx left unfollowed (more than the allowed redirects) counts as unavailable too
        // (§2.3.1.2 after 5 hops), 5xx and no response as unreachable.
        Some(s) if (300..400).contains(&s) => RobotsAnswer::Rules(RobotsRules::allow_all()),
        _ => RobotsAnswer::Unreachable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UA: &str = "NewsLinkBot/1.2 (+https://newslink.example/bot)";

    fn rules(body: &[u8]) -> RobotsRules {
        RobotsRules::parse(product_token(UA), body)
    }

    #[test]
    fn product_token_of_user_agents() {
        assert_eq!(product_token(UA), "NewsLinkBot");
        assert_eq!(product_token("GreedyBot/3.0"), "GreedyBot");
        assert_eq!(product_token("copytrail"), "copytrail");
        assert_eq!(product_token("Mozilla/5.0 (compatible)"), "Mozilla");
    }

    #[test]
    fn case14_bom_is_stripped_and_first_group_applies() {
        let r = rules(include_bytes!(
            "../../tests/data/crawl/14-robots-bom/robots.txt"
        ));
        assert!(r.bom_stripped);
        assert!(!r.allowed("https://news.example.com/members/profile/42"));
        assert!(!r.allowed("https://news.example.com/search?q=flood"));
        assert!(!r.allowed("https://news.example.com/searchable-archive"));
        assert!(r.allowed("https://news.example.com/world/2024/05/ferry-strike"));
        assert_eq!(r.sitemaps, vec!["https://news.example.com/sitemap.xml"]);
    }

    #[test]
    fn case16_unscoped_crawl_delay_does_not_fail_closed() {
        let r = rules(include_bytes!(
            "../../tests/data/crawl/16-robots-unscoped-crawl-delay/robots.txt"
        ));
        assert!(r.allowed("https://news.example.com/2024/05/12/harbour-festival"));
        assert!(!r.allowed("https://news.example.com/internal/dashboard"));
        assert!(!r.allowed("https://news.example.com/legacy/view.jsp"));
        assert!(!r.allowed("https://news.example.com/legacy/view.jsp?id=7"));
        assert_eq!(
            r.sitemaps,
            vec!["https://news.example.com/sitemap-index.xml"]
        );
        // Recommended value (null is acceptable per the case; we apply it host-wide).
        assert_eq!(r.crawl_delay, Some(Duration::from_secs(4)));
    }

    #[test]
    fn case17_specific_group_replaces_star() {
        let body = include_bytes!(
            "../../tests/data/crawl/17-robots-specific-group-replaces-star/robots.txt"
        );
        let ours = rules(body);
        assert!(ours.allowed("https://news.example.com/world/ferry-strike"));
        assert!(!ours.allowed("https://news.example.com/drafts/tomorrow"));
        assert!(ours.allowed("https://news.example.com/admin/login"));
        assert_eq!(ours.crawl_delay, Some(Duration::from_secs(3)));

        let greedy = RobotsRules::parse(product_token("GreedyBot/3.0"), body);
        assert!(!greedy.allowed("https://news.example.com/world/ferry-strike"));

        let other = RobotsRules::parse(product_token("OtherBot/1.0"), body);
        assert!(other.allowed("https://news.example.com/world/ferry-strike"));
        assert!(!other.allowed("https://news.example.com/admin/login"));
        assert_eq!(other.crawl_delay, None);
    }

    /// Body of a raw `*.http` file and its status.
    fn raw(text: &str) -> (u16, &[u8]) {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(n) = resp.parse(text.as_bytes()).unwrap() else {
            panic!("incomplete response");
        };
        (resp.code.unwrap(), &text.as_bytes()[n..])
    }

    #[test]
    fn case19_503_disallows_404_and_html_200_allow() {
        let url = "https://news.example.com/world/ferry-strike";
        let token = product_token(UA);

        let (s, body) = raw(include_str!(
            "../../tests/data/crawl/19-robots-5xx-vs-4xx/robots_503.http"
        ));
        assert!(matches!(
            interpret(token, Some(s), body),
            RobotsAnswer::Unreachable
        ));

        let (s, body) = raw(include_str!(
            "../../tests/data/crawl/19-robots-5xx-vs-4xx/robots_404.http"
        ));
        match interpret(token, Some(s), body) {
            RobotsAnswer::Rules(r) => assert!(r.allowed(url)),
            other => panic!("404 must allow all, got {other:?}"),
        }

        let (s, body) = raw(include_str!(
            "../../tests/data/crawl/19-robots-5xx-vs-4xx/robots_200_html.http"
        ));
        match interpret(token, Some(s), body) {
            RobotsAnswer::Rules(r) => assert!(r.allowed(url)),
            other => panic!("HTML 200 must allow all, got {other:?}"),
        }

        // No response at all (timeout) is like 5xx; so is 429.
        assert!(matches!(
            interpret(token, None, b""),
            RobotsAnswer::Unreachable
        ));
        assert!(matches!(
            interpret(token, Some(429), b""),
            RobotsAnswer::Unreachable
        ));
        assert!(matches!(
            interpret(token, Some(500), b""),
            RobotsAnswer::Unreachable
        ));
    }

    #[test]
    fn disallow_all_is_respected() {
        let r = rules(b"User-agent: *\nDisallow: /\n");
        assert!(!r.allowed("https://a.example/"));
        assert!(!r.allowed("https://a.example/x"));
        // robots.txt itself stays fetchable.
        assert!(r.allowed("https://a.example/robots.txt"));
    }
}
