//! One HTTP exchange at a time: the reqwest client (rustls; gzip, brotli, deflate), address
//! rules (no private, loopback or link-local addresses unless allowed; `--resolve` overrides),
//! the body-size cap, and the redirect tracker (at most N hops, loop detection that lets a
//! cookie-setting redirect to the same URL through).
//!
//! Redirects are not followed by reqwest: each hop is a separate request that passes the
//! per-host gate again (see [`crate::crawl::gate`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

/// Errors of one request.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The host resolves only to addresses in private, loopback, link-local or otherwise
    /// non-public ranges, and `--allow-private` is off. Permanent.
    #[error("refused: {host} resolves to a non-public address ({detail})")]
    Refused {
        /// Host name.
        host: String,
        /// Addresses found.
        detail: String,
    },
    /// The host name does not resolve. Permanent for this run.
    #[error("cannot resolve {host}: {detail}")]
    Dns {
        /// Host name.
        host: String,
        /// Resolver error.
        detail: String,
    },
    /// Connect or total timeout.
    #[error("timeout fetching {0}")]
    Timeout(String),
    /// Connection refused/reset, TLS failure, broken body: possibly transient.
    #[error("network error fetching {url}: {detail}")]
    Network {
        /// URL.
        url: String,
        /// Error chain.
        detail: String,
    },
    /// The request could not be built (bad header value etc.).
    #[error("bad request for {url}: {detail}")]
    Request {
        /// URL.
        url: String,
        /// Details.
        detail: String,
    },
}

/// Error raised by [`CrawlResolver`] for a refused address (found again in reqwest's error
/// chain by downcasting).
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to non-public addresses: {addrs}")]
pub struct RefusedAddress {
    host: String,
    addrs: String,
}

/// Whether an address is publicly routable (not private, loopback, link-local, unspecified,
/// multicast, CGNAT, documentation or benchmarking ranges; IPv4-mapped IPv6 judged as IPv4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 CGNAT
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
        }
    }
}

/// DNS resolver applying `--resolve` overrides and the private-address rule.
#[derive(Debug, Clone, Default)]
pub struct CrawlResolver {
    /// Host name (lower case) → addresses.
    pub overrides: HashMap<String, Vec<IpAddr>>,
    /// Allow non-public addresses.
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for CrawlResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().trim_end_matches('.').to_ascii_lowercase();
        let fixed = self.overrides.get(&host).cloned();
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = match fixed {
                Some(ips) => ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect(),
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            let ok: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if ok.is_empty() {
                let list: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
                return Err(Box::new(RefusedAddress {
                    host,
                    addrs: list.join(", "),
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Parses a curl-style `--resolve HOST:PORT:ADDR` (ADDR may be `[v6]`; several addresses may
/// be separated by commas). The port is checked for syntax; the mapping applies to the host on
/// every port (reqwest resolves names, not name-and-port pairs).
///
/// # Errors
/// A message naming the malformed part.
pub fn parse_resolve(spec: &str) -> Result<(String, u16, Vec<IpAddr>), String> {
    let mut parts = spec.splitn(3, ':');
    let (Some(host), Some(port), Some(addrs)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("--resolve {spec:?}: expected HOST:PORT:ADDR"));
    };
    if host.is_empty() {
        return Err(format!("--resolve {spec:?}: empty host"));
    }
    // As URLs carry it: an IDN host (bücher.example) matches its punycode form.
    let host = super::canon::ascii_domain(host)
        .ok_or_else(|| format!("--resolve {spec:?}: {host:?} is not a host name"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("--resolve {spec:?}: bad port {port:?}"))?;
    let mut ips = Vec::new();
    for a in addrs.split(',') {
        let a = a.trim().trim_start_matches('[').trim_end_matches(']');
        ips.push(
            a.parse::<IpAddr>()
                .map_err(|_| format!("--resolve {spec:?}: bad address {a:?}"))?,
        );
    }
    Ok((host, port, ips))
}

/// Settings of the fetcher.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// User-Agent header.
    pub user_agent: String,
    /// TCP+TLS connect timeout.
    pub connect_timeout: Duration,
    /// Total timeout of one request, body included.
    pub timeout: Duration,
    /// Body-size cap in bytes (after content decoding); longer bodies are cut and marked.
    pub max_body: usize,
    /// Allow non-public addresses.
    pub allow_private: bool,
    /// `--resolve` overrides: host → addresses.
    pub resolve: HashMap<String, Vec<IpAddr>>,
}

/// One HTTP request and its response, as needed for processing and for WARC records.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Requested URL.
    pub url: Url,
    /// Request headers sent (as far as we set them; Host first).
    pub request_headers: Vec<(String, String)>,
    /// When the request was sent.
    pub requested_at: DateTime<Utc>,
    /// HTTP version, e.g. `HTTP/1.1`.
    pub version: &'static str,
    /// Status code.
    pub status: u16,
    /// Reason phrase (canonical for the code).
    pub reason: String,
    /// Response headers as received (reqwest drops `Content-Encoding`/`Content-Length` when it
    /// decodes the body).
    pub headers: Vec<(String, String)>,
    /// Body after content decoding, at most the cap.
    pub body: Vec<u8>,
    /// The body was longer than the cap and was cut.
    pub truncated: bool,
    /// The body was not read because the Content-Type is not processed.
    pub body_skipped: bool,
    /// Remote address, if known.
    pub remote_ip: Option<IpAddr>,
}

impl Exchange {
    /// A copy of everything but the body (which is left empty).
    pub fn clone_head(&self) -> Exchange {
        Exchange {
            url: self.url.clone(),
            request_headers: self.request_headers.clone(),
            requested_at: self.requested_at,
            version: self.version,
            status: self.status,
            reason: self.reason.clone(),
            headers: self.headers.clone(),
            body: Vec::new(),
            truncated: self.truncated,
            body_skipped: self.body_skipped,
            remote_ip: self.remote_ip,
        }
    }

    /// First header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The HTTP client of a crawl.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    cfg: Arc<FetchConfig>,
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn find_refused<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a RefusedAddress> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(r) = c.downcast_ref::<RefusedAddress>() {
            return Some(r);
        }
        cur = c.source();
    }
    None
}

impl Fetcher {
    /// Builds the client.
    ///
    /// # Errors
    /// [`FetchError::Request`] if reqwest cannot build it (TLS backend failure).
    pub fn new(cfg: FetchConfig) -> Result<Fetcher, FetchError> {
        let resolver = CrawlResolver {
            overrides: cfg.resolve.clone(),
            allow_private: cfg.allow_private,
        };
        let client = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            .dns_resolver(Arc::new(resolver))
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(4)
            .build()
            .map_err(|e| FetchError::Request {
                url: String::new(),
                detail: error_chain(&e),
            })?;
        Ok(Fetcher {
            client,
            cfg: Arc::new(cfg),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    /// Sends one GET (no redirect following) with `extra` headers and reads the body up to the
    /// cap; bodies whose Content-Type is not processed are not read (`body_skipped`).
    ///
    /// # Errors
    /// [`FetchError`]: refused address, DNS failure, timeout, network error.
    pub async fn get(&self, url: &Url, extra: &[(String, String)]) -> Result<Exchange, FetchError> {
        self.get_with(url, extra, false).await
    }

    /// As [`Fetcher::get`]; with `any_type` the body is read whatever its Content-Type
    /// (robots.txt: its rules apply however the server labels the file).
    ///
    /// # Errors
    /// As [`Fetcher::get`].
    pub async fn get_with(
        &self,
        url: &Url,
        extra: &[(String, String)],
        any_type: bool,
    ) -> Result<Exchange, FetchError> {
        let host = url.host_str().unwrap_or("").to_string();
        // IP literals never reach the resolver.
        if !self.cfg.allow_private {
            let ip = match url.host() {
                Some(url::Host::Ipv4(a)) => Some(IpAddr::V4(a)),
                Some(url::Host::Ipv6(a)) => Some(IpAddr::V6(a)),
                _ => None,
            };
            if let Some(ip) = ip
                && !is_public(ip)
            {
                return Err(FetchError::Refused {
                    host,
                    detail: ip.to_string(),
                });
            }
        }
        let mut request_headers = vec![
            ("Host".to_string(), host_header(url)),
            ("User-Agent".to_string(), self.cfg.user_agent.clone()),
            (
                "Accept".to_string(),
                "text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml,application/atom+xml,application/feed+json,*/*;q=0.5".to_string(),
            ),
        ];
        let mut req = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, &request_headers[2].1);
        for (k, v) in extra {
            req = req.header(k.as_str(), v.as_str());
            request_headers.push((k.clone(), v.clone()));
        }
        request_headers.push((
            "Accept-Encoding".to_string(),
            "gzip, br, deflate".to_string(),
        ));
        let requested_at = Utc::now();
        let map_err = |e: reqwest::Error| -> FetchError {
            if let Some(r) = find_refused(&e) {
                return FetchError::Refused {
                    host: r.host.clone(),
                    detail: r.addrs.clone(),
                };
            }
            if e.is_timeout() {
                return FetchError::Timeout(url.to_string());
            }
            let chain = error_chain(&e);
            if e.is_connect() && (chain.contains("dns error") || chain.contains("failed to lookup"))
            {
                return FetchError::Dns {
                    host: host.clone(),
                    detail: chain,
                };
            }
            if e.is_builder() {
                return FetchError::Request {
                    url: url.to_string(),
                    detail: chain,
                };
            }
            FetchError::Network {
                url: url.to_string(),
                detail: chain,
            }
        };
        let mut resp = req.send().await.map_err(map_err)?;
        let status = resp.status();
        let version = match resp.version() {
            reqwest::Version::HTTP_09 => "HTTP/0.9",
            reqwest::Version::HTTP_10 => "HTTP/1.0",
            reqwest::Version::HTTP_2 => "HTTP/2",
            reqwest::Version::HTTP_3 => "HTTP/3",
            _ => "HTTP/1.1",
        };
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let remote_ip = resp.remote_addr().map(|a| a.ip());
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let process = status.is_success()
            && (any_type || crate::crawl::discover::content_type_accepted(content_type.as_deref()));
        let read_body = process || !status.is_success();
        let mut body = Vec::new();
        let mut truncated = false;
        if read_body {
            // Error bodies are kept small: they only go to the WARC file.
            let cap = if process {
                self.cfg.max_body
            } else {
                self.cfg.max_body.min(64 * 1024)
            };
            loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        let room = cap - body.len();
                        if chunk.len() > room {
                            body.extend_from_slice(&chunk[..room]);
                            truncated = true;
                            break;
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => return Err(map_err(e)),
                }
            }
        }
        Ok(Exchange {
            url: url.clone(),
            request_headers,
            requested_at,
            version,
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            headers,
            body,
            truncated,
            body_skipped: !read_body,
            remote_ip,
        })
    }
}

fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// The next step of a redirect chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectStep {
    /// Not a redirect (or a 3xx without a usable `Location`): process the response.
    Final,
    /// Follow to this URL (with the chain's cookies, see [`RedirectTracker::cookie_header`]).
    Follow(Url),
    /// The chain came back to a URL already requested with the same cookies.
    Loop(Url),
    /// More hops than allowed.
    TooMany,
}

/// Follows a redirect chain: counts hops, keeps the cookies set along the chain (name=value
/// only, for this chain) and detects loops. A loop is a return to a (URL, cookies) pair already
/// requested, so the common "set a cookie and redirect to the same URL" pattern is not a loop
/// while a second identical bounce is.
#[derive(Debug, Clone)]
pub struct RedirectTracker {
    max_hops: usize,
    hops: usize,
    cookies: BTreeMap<String, String>,
    seen: HashSet<(String, String)>,
}

impl RedirectTracker {
    /// A tracker for a chain starting at `start`, allowing `max_hops` redirects.
    pub fn new(start: &Url, max_hops: usize) -> RedirectTracker {
        let mut seen = HashSet::new();
        seen.insert((start.to_string(), String::new()));
        RedirectTracker {
            max_hops,
            hops: 0,
            cookies: BTreeMap::new(),
            seen,
        }
    }

    /// Redirects followed so far.
    pub fn hops(&self) -> usize {
        self.hops
    }

    /// The `Cookie` header value for the next request, if any cookie was set.
    pub fn cookie_header(&self) -> Option<String> {
        if self.cookies.is_empty() {
            return None;
        }
        Some(
            self.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    /// Looks at a response to `url` and says what to do next.
    pub fn next(&mut self, url: &Url, status: u16, headers: &[(String, String)]) -> RedirectStep {
        if !matches!(status, 301 | 302 | 303 | 307 | 308) {
            return RedirectStep::Final;
        }
        for (k, v) in headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let pair = v.split(';').next().unwrap_or("");
                if let Some((name, value)) = pair.split_once('=') {
                    let name = name.trim();
                    if !name.is_empty() {
                        self.cookies
                            .insert(name.to_string(), value.trim().to_string());
                    }
                }
            }
        }
        let Some(loc) = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("location"))
            .map(|(_, v)| v.trim())
        else {
            return RedirectStep::Final;
        };
        let Ok(mut target) = url.join(loc) else {
            return RedirectStep::Final;
        };
        target.set_fragment(None);
        if !matches!(target.scheme(), "http" | "https") {
            return RedirectStep::Final;
        }
        if self.hops >= self.max_hops {
            return RedirectStep::TooMany;
        }
        self.hops += 1;
        let key = (target.to_string(), self.cookie_header().unwrap_or_default());
        if !self.seen.insert(key) {
            return RedirectStep::Loop(target);
        }
        RedirectStep::Follow(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn public_and_private_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn resolve_specs() {
        assert_eq!(
            parse_resolve("News.Example:8080:127.0.0.1").unwrap(),
            (
                "news.example".to_string(),
                8080,
                vec!["127.0.0.1".parse().unwrap()]
            )
        );
        assert_eq!(
            parse_resolve("a.example:443:[::1]").unwrap().2,
            vec!["::1".parse::<IpAddr>().unwrap()]
        );
        assert!(parse_resolve("a.example:x:127.0.0.1").is_err());
        assert!(parse_resolve("a.example:80").is_err());
        assert!(parse_resolve("a.example:80:nope").is_err());
        // IDN hosts map to the punycode form that URLs carry; non-hosts are refused.
        assert_eq!(
            parse_resolve("Bücher.test:8765:127.0.0.1").unwrap().0,
            "xn--bcher-kva.test"
        );
        assert!(parse_resolve("a..b:80:127.0.0.1").is_err());
    }

    #[test]
    fn redirect_chain_and_loops() {
        let a = Url::parse("https://a.example/a").unwrap();
        let mut t = RedirectTracker::new(&a, 10);
        assert_eq!(t.next(&a, 200, &h(&[])), RedirectStep::Final);
        assert_eq!(
            t.next(&a, 301, &h(&[("Location", "/b")])),
            RedirectStep::Follow(Url::parse("https://a.example/b").unwrap())
        );
        let b = Url::parse("https://a.example/b").unwrap();
        assert_eq!(
            t.next(&b, 302, &h(&[("location", "/a")])),
            RedirectStep::Loop(a.clone())
        );
        // 3xx without Location is final.
        assert_eq!(t.next(&b, 302, &h(&[])), RedirectStep::Final);
    }

    #[test]
    fn cookie_setting_redirect_to_same_url_is_not_a_loop() {
        let a = Url::parse("https://a.example/story").unwrap();
        let mut t = RedirectTracker::new(&a, 10);
        let step = t.next(
            &a,
            302,
            &h(&[
                ("Set-Cookie", "consent=yes; Path=/; HttpOnly"),
                ("Location", "https://a.example/story"),
            ]),
        );
        assert_eq!(step, RedirectStep::Follow(a.clone()));
        assert_eq!(t.cookie_header().as_deref(), Some("consent=yes"));
        // The same bounce again, cookie unchanged: now it is a loop.
        let step = t.next(
            &a,
            302,
            &h(&[
                ("Set-Cookie", "consent=yes; Path=/"),
                ("Location", "https://a.example/story"),
            ]),
        );
        assert_eq!(step, RedirectStep::Loop(a));
    }

    #[test]
    fn too_many_redirects() {
        let start = Url::parse("https://a.example/0").unwrap();
        let mut t = RedirectTracker::new(&start, 3);
        let mut cur = start;
        for i in 1..=3 {
            let step = t.next(&cur, 301, &h(&[("Location", &format!("/{i}"))]));
            let RedirectStep::Follow(n) = step else {
                panic!("hop {i}: {step:?}")
            };
            cur = n;
        }
        assert_eq!(
            t.next(&cur, 301, &h(&[("Location", "/4")])),
            RedirectStep::TooMany
        );
        assert_eq!(t.hops(), 3);
    }
}
