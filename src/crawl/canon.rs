//! Canonical URLs for frontier de-duplication, host keys and host patterns.
//!
//! Canonicalisation follows the usual crawler practice (RFC 3986 §6 normalisation as done by
//! the `url` crate — lower-case scheme and host, default port dropped, dot segments removed,
//! percent-encoding normalised — plus the fragment removed and tracking/session query
//! parameters dropped).

use url::Url;

/// Query parameters that never change the content of a page: analytics campaign tags, click
/// identifiers and session ids. Compared ASCII case-insensitively; a trailing `*` is a prefix.
const TRACKING_PARAMS: &[&str] = &[
    "utm_*",
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "yclid",
    "igshid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "sessionid",
    "session_id",
    "sid",
    "phpsessid",
    "jsessionid",
    "aspsessionid*",
    "cfid",
    "cftoken",
];

fn is_tracking_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    TRACKING_PARAMS.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == *p,
    })
}

/// Errors from canonicalisation.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CanonError {
    /// The text is not an absolute URL (or not relative to the given base).
    #[error("not a URL: {0:?}")]
    Parse(String),
    /// Only `http` and `https` URLs are crawled.
    #[error("unsupported scheme {scheme:?} in {url}")]
    Scheme {
        /// The scheme found.
        scheme: String,
        /// The URL.
        url: String,
    },
    /// An `http(s)` URL without a host.
    #[error("URL has no host: {0}")]
    NoHost(String),
    /// A URL longer than [`MAX_URL_BYTES`].
    #[error("URL of {len} bytes is longer than the {MAX_URL_BYTES}-byte limit: {start}…")]
    TooLong {
        /// Its length, bytes.
        len: usize,
        /// Its first 100 characters.
        start: String,
    },
}

/// Longest URL accepted, bytes (8 KiB: browsers and servers commonly stop at 2–8 KiB, the
/// sitemaps protocol at 2,048 characters). Longer ones are refused, not stored or printed whole.
pub const MAX_URL_BYTES: usize = 8192;

/// The first 100 characters of `s`, for a message.
fn start_of(s: &str) -> String {
    s.chars().take(100).collect()
}

fn check_length(s: &str) -> Result<(), CanonError> {
    if s.len() > MAX_URL_BYTES {
        return Err(CanonError::TooLong {
            len: s.len(),
            start: start_of(s),
        });
    }
    Ok(())
}

/// Parses `text` (absolute, or relative to `base`) and returns its canonical form.
///
/// The canonical URL has a lower-case scheme and host (the `url` crate does this and IDNA),
/// no default port, no fragment, no `;jsessionid=…` path parameter, no tracking or session
/// query parameters (`utm_*`, `fbclid`, `gclid`, `sessionid`, …; the order of the others is
/// kept) and no empty `?`.
///
/// # Errors
/// [`CanonError`] if the text is not an http(s) URL with a host, or is longer than
/// [`MAX_URL_BYTES`].
pub fn canonicalize(text: &str, base: Option<&Url>) -> Result<Url, CanonError> {
    let text = text.trim();
    check_length(text)?;
    let parsed = match base {
        Some(b) => b.join(text),
        None => Url::parse(text),
    };
    let mut url = parsed.map_err(|_| CanonError::Parse(start_of(text)))?;
    canonicalize_url(&mut url)?;
    Ok(url)
}

/// Canonicalises an already parsed URL in place (see [`canonicalize`]).
///
/// # Errors
/// [`CanonError`] if it is not an http(s) URL with a host, or is longer than [`MAX_URL_BYTES`].
pub fn canonicalize_url(url: &mut Url) -> Result<(), CanonError> {
    check_length(url.as_str())?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(CanonError::Scheme {
                scheme: other.to_string(),
                url: url.to_string(),
            });
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(CanonError::NoHost(url.to_string()));
    }
    url.set_fragment(None);
    // Credentials never belong in a frontier key.
    strip_userinfo(url);
    // `;jsessionid=...` path parameters (Java servlet session ids).
    let path = url.path();
    if let Some(pos) = path.to_ascii_lowercase().find(";jsessionid=") {
        let new_path = path[..pos].to_string();
        url.set_path(&new_path);
    }
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !is_tracking_param(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            // Re-serialise only when something was dropped, so untouched queries keep
            // their exact encoding.
            let before = url.query_pairs().count();
            if kept.len() != before {
                url.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
    }
    Ok(())
}

/// Removes the user name and password (the userinfo of RFC 3986 §3.2.1,
/// `http://user:pass@host/`) from `url`; returns whether it had any. Credentials must never be
/// stored or printed: every page URL that enters the store goes through this.
pub fn strip_userinfo(url: &mut Url) -> bool {
    let had = !url.username().is_empty() || url.password().is_some();
    if had {
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    had
}

/// `text` without its userinfo (see [`strip_userinfo`]) when it is an absolute URL that carries
/// one; `None` when there is nothing to remove (no `@`, not an absolute URL, no userinfo), so
/// the text is kept exactly as it is.
pub fn without_userinfo(text: &str) -> Option<String> {
    if !text.contains('@') {
        return None;
    }
    let mut url = Url::parse(text).ok()?;
    strip_userinfo(&mut url).then(|| url.to_string())
}

/// `text` for a message, with anything that looks like a userinfo (`scheme://user:pass@…`)
/// replaced by `***`, even when the text is not a valid URL (so a malformed URL reported in a
/// failure does not carry credentials into the store or onto the terminal).
pub fn redact_userinfo(text: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = text.find("://").map(|i| i + 3) else {
        return text.into();
    };
    let authority_end = text[start..]
        .find(['/', '?', '#'])
        .map_or(text.len(), |i| start + i);
    match text[start..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &text[..start], &text[start + at..]).into(),
        None => text.into(),
    }
}

/// A host name as given on the command line (`--resolve`, `--origin-domain`, host patterns) in
/// the form URLs carry it: IDNA/UTS #46 to ASCII (punycode, lower case) through the `url`
/// crate, a trailing dot dropped. Returns `None` for anything that is not a domain name with
/// non-empty labels of letters, digits, `-` and `_` (`""`, `"."`, `"a..b"`, `"="`,
/// `"http://x/"`, `"x:80"`, IP literals).
pub fn ascii_domain(host: &str) -> Option<String> {
    let h = host.trim();
    let h = h.strip_suffix('.').unwrap_or(h);
    if h.is_empty() || h.contains(['/', ':', '@', ' ']) {
        return None;
    }
    match url::Host::parse(h).ok()? {
        url::Host::Domain(d)
            if d.split('.').all(|l| {
                !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            }) =>
        {
            Some(d)
        }
        _ => None,
    }
}

/// The politeness key of a URL: its origin (`scheme://host[:port]`, default port omitted).
/// robots.txt applies per origin (RFC 9309 §2.3), so the gate does too.
pub fn host_key(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// A host pattern of `--allow-host` / `--deny-host`: `example.com` matches that host and its
/// sub-domains; `*.example.com` only the sub-domains; `=example.com` only that exact host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    text: String,
    kind: PatternKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PatternKind {
    DomainAndSubdomains(String),
    SubdomainsOnly(String),
    Exact(String),
}

impl HostPattern {
    /// Parses a pattern given on the command line, checking that its domain is a host name
    /// (IDN in punycode form, see [`ascii_domain`]).
    ///
    /// # Errors
    /// A message naming the pattern when it cannot match any host (`""`, `=`, a URL, a port).
    pub fn try_parse(text: &str) -> Result<HostPattern, String> {
        let t = text.trim();
        let (prefix, domain) = if let Some(rest) = t.strip_prefix("*.") {
            ("*.", rest)
        } else if let Some(rest) = t.strip_prefix('=') {
            ("=", rest)
        } else {
            ("", t)
        };
        let domain = ascii_domain(domain).ok_or_else(|| {
            format!(
                "host pattern {text:?} is not a host name (give example.com, *.example.com or =example.com)"
            )
        })?;
        Ok(HostPattern::parse(&format!("{prefix}{domain}")))
    }

    /// Parses a pattern (see the type's documentation). Case-insensitive.
    pub fn parse(text: &str) -> HostPattern {
        let t = text.trim().trim_end_matches('.').to_ascii_lowercase();
        let kind = if let Some(rest) = t.strip_prefix("*.") {
            PatternKind::SubdomainsOnly(rest.to_string())
        } else if let Some(rest) = t.strip_prefix('=') {
            PatternKind::Exact(rest.to_string())
        } else {
            PatternKind::DomainAndSubdomains(t.clone())
        };
        HostPattern {
            text: text.to_string(),
            kind,
        }
    }

    /// Whether `host` (a host name, no port) matches.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let sub = |d: &str| {
            host.len() > d.len() + 1 && host.ends_with(d) && {
                host.as_bytes()[host.len() - d.len() - 1] == b'.'
            }
        };
        match &self.kind {
            PatternKind::DomainAndSubdomains(d) => host == *d || sub(d),
            PatternKind::SubdomainsOnly(d) => sub(d),
            PatternKind::Exact(d) => host == *d,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> String {
        canonicalize(s, None).unwrap().to_string()
    }

    #[test]
    fn overlong_urls_are_refused_with_a_short_message() {
        let long = format!("https://a.example/{}", "x".repeat(MAX_URL_BYTES));
        let e = canonicalize(&long, None).unwrap_err();
        assert!(matches!(e, CanonError::TooLong { .. }), "{e:?}");
        assert!(e.to_string().len() < 300, "{}", e.to_string().len());
        // A relative link that makes an overlong URL against its base is refused too.
        let base = Url::parse(&format!(
            "https://a.example/{}/",
            "d".repeat(MAX_URL_BYTES - 40)
        ))
        .unwrap();
        assert!(matches!(
            canonicalize(&"y".repeat(100), Some(&base)),
            Err(CanonError::TooLong { .. })
        ));
        let ok = format!("https://a.example/{}", "x".repeat(MAX_URL_BYTES - 100));
        assert!(canonicalize(&ok, None).is_ok());
        // Messages about garbage quote only its start.
        let e = canonicalize(&"not a url ".repeat(500), None).unwrap_err();
        assert!(e.to_string().len() < 300);
    }

    #[test]
    fn command_line_domains_in_ascii_form() {
        assert_eq!(ascii_domain("FT.com").as_deref(), Some("ft.com"));
        assert_eq!(ascii_domain("ÜBER.de.").as_deref(), Some("xn--ber-goa.de"));
        assert_eq!(
            ascii_domain("bücher.test").as_deref(),
            url::Url::parse("http://bücher.test/").unwrap().host_str()
        );
        for bad in [
            "",
            ".",
            "a..b",
            "http://x.test/",
            "news.test:8765",
            "=",
            "1.2.3.4",
            "a b",
        ] {
            assert_eq!(ascii_domain(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn lowercases_scheme_and_host_and_drops_default_port_and_fragment() {
        assert_eq!(
            c("HTTPS://News.Example.COM:443/World/Story?id=7#comments"),
            "https://news.example.com/World/Story?id=7"
        );
        assert_eq!(c("http://a.example:80/"), "http://a.example/");
        assert_eq!(c("http://a.example:8080/"), "http://a.example:8080/");
    }

    #[test]
    fn drops_tracking_and_session_parameters_keeping_others_in_order() {
        assert_eq!(
            c("https://a.example/x?utm_source=tw&b=2&fbclid=abc&a=1&GCLID=z&UTM_Medium=m"),
            "https://a.example/x?b=2&a=1"
        );
        assert_eq!(
            c("https://a.example/x?utm_source=tw"),
            "https://a.example/x"
        );
        assert_eq!(
            c("https://a.example/x?PHPSESSID=123&page=2"),
            "https://a.example/x?page=2"
        );
        assert_eq!(
            c("https://a.example/x;jsessionid=ABC123?p=1"),
            "https://a.example/x?p=1"
        );
        // An untouched query keeps its encoding.
        assert_eq!(
            c("https://a.example/?q=a+b%2Fc"),
            "https://a.example/?q=a+b%2Fc"
        );
    }

    #[test]
    fn userinfo_is_stripped() {
        let mut u = Url::parse("https://user:secret@a.example:8443/p?q=1#f").unwrap();
        assert!(strip_userinfo(&mut u));
        assert_eq!(u.as_str(), "https://a.example:8443/p?q=1#f");
        assert!(!strip_userinfo(&mut u));
        let mut u = Url::parse("http://user@a.example/").unwrap();
        assert!(strip_userinfo(&mut u));
        assert_eq!(u.as_str(), "http://a.example/");
        assert_eq!(
            without_userinfo("http://:pw@a.example/x").as_deref(),
            Some("http://a.example/x")
        );
        // Nothing to remove: None (the text is kept as it is).
        for t in [
            "https://a.example/@user",
            "mailto:desk@a.example",
            "/relative@x",
            "https://a.example/",
        ] {
            assert_eq!(without_userinfo(t), None, "{t}");
        }
        assert_eq!(
            canonicalize("https://u:p@a.example/x", None)
                .unwrap()
                .as_str(),
            "https://a.example/x"
        );
        // In messages about URLs that do not even parse.
        assert_eq!(
            redact_userinfo("http://user:pa ss@bad host/x@y"),
            "http://***@bad host/x@y"
        );
        assert_eq!(
            redact_userinfo("http://bad host/a@b"),
            "http://bad host/a@b"
        );
        assert_eq!(redact_userinfo("mailto:a@b"), "mailto:a@b");
    }

    #[test]
    fn relative_links_resolve_against_base() {
        let base = Url::parse("https://a.example/news/today/").unwrap();
        assert_eq!(
            canonicalize("../x.html#top", Some(&base))
                .unwrap()
                .to_string(),
            "https://a.example/news/x.html"
        );
    }

    #[test]
    fn rejects_non_http() {
        assert!(matches!(
            canonicalize("mailto:x@a.example", None),
            Err(CanonError::Scheme { .. })
        ));
        assert!(matches!(
            canonicalize("javascript:void(0)", None),
            Err(CanonError::Scheme { .. })
        ));
        assert!(matches!(
            canonicalize("not a url", None),
            Err(CanonError::Parse(_))
        ));
    }

    #[test]
    fn host_key_is_origin() {
        let u = Url::parse("https://A.example:443/x").unwrap();
        assert_eq!(host_key(&u), "https://a.example");
        let u = Url::parse("http://a.example:8080/x").unwrap();
        assert_eq!(host_key(&u), "http://a.example:8080");
    }

    #[test]
    fn host_patterns() {
        let p = HostPattern::parse("example.com");
        assert!(p.matches("example.com"));
        assert!(p.matches("news.Example.com"));
        assert!(!p.matches("badexample.com"));
        let p = HostPattern::parse("*.example.com");
        assert!(!p.matches("example.com"));
        assert!(p.matches("a.example.com"));
        let p = HostPattern::parse("=example.com");
        assert!(p.matches("example.com"));
        assert!(!p.matches("a.example.com"));
    }
}
