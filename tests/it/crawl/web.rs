//! A local test web: one axum server on 127.0.0.1 serving many made-up host names (routed by
//! the `Host` header), logging every request's arrival time on the server side.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Response, StatusCode};

/// One canned response. `{date+N}` in a header value becomes the HTTP-date N seconds from now.
#[derive(Clone, Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Resp {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Resp {
        Resp {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub fn html(body: impl Into<String>) -> Resp {
        Resp::new(200, "text/html; charset=utf-8", body.into())
    }
    pub fn header(mut self, k: &str, v: &str) -> Resp {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delayed(mut self, d: Duration) -> Resp {
        self.delay = d;
        self
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Hit {
    pub host: String,
    pub path: String,
    pub at: Instant,
    pub user_agent: String,
    pub cookie: Option<String>,
    pub if_none_match: Option<String>,
}

#[derive(Default)]
struct Inner {
    /// (host, path+query) → responses in order (the last one repeats).
    routes: HashMap<(String, String), Vec<Resp>>,
    served: HashMap<(String, String), usize>,
    hits: Vec<Hit>,
    /// Requests being answered now, and the most at once, per host.
    active: HashMap<String, usize>,
    max_active: HashMap<String, usize>,
}

/// The test web.
#[derive(Clone)]
pub struct Web {
    inner: Arc<Mutex<Inner>>,
    pub addr: SocketAddr,
}

fn http_date_in(secs: u64) -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(secs))
}

async fn handle(State(web): State<Arc<Mutex<Inner>>>, req: Request) -> Response<Body> {
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .to_string();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let ua = req
        .headers()
        .get("user-agent")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    let cookie = req
        .headers()
        .get("cookie")
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let if_none_match = req
        .headers()
        .get("if-none-match")
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let resp = {
        let mut g = web.lock().unwrap();
        g.hits.push(Hit {
            host: host.clone(),
            path: path.clone(),
            at: Instant::now(),
            user_agent: ua,
            cookie,
            if_none_match,
        });
        let now_active = {
            let a = g.active.entry(host.clone()).or_default();
            *a += 1;
            *a
        };
        let m = g.max_active.entry(host.clone()).or_default();
        *m = (*m).max(now_active);
        let key = (host.clone(), path.clone());
        let n = *g.served.get(&key).unwrap_or(&0);
        g.served.insert(key.clone(), n + 1);
        g.routes.get(&key).map(|rs| rs[n.min(rs.len() - 1)].clone())
    };
    let resp = resp.unwrap_or_else(|| Resp::new(404, "text/plain", "not found"));
    if !resp.delay.is_zero() {
        tokio::time::sleep(resp.delay).await;
    }
    if let Some(a) = web.lock().unwrap().active.get_mut(&host) {
        *a -= 1;
    }
    let mut out = Response::new(Body::from(resp.body));
    *out.status_mut() = StatusCode::from_u16(resp.status).unwrap();
    for (k, v) in resp.headers {
        let v = if let Some(n) = v.strip_prefix("{date+").and_then(|r| r.strip_suffix('}')) {
            http_date_in(n.parse().unwrap())
        } else if v == "{date}" {
            http_date_in(0)
        } else {
            v
        };
        out.headers_mut().append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(&v).unwrap(),
        );
    }
    out
}

impl Web {
    /// Starts the server on 127.0.0.1 (random port) on the current tokio runtime.
    pub async fn start() -> Web {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Web { inner, addr }
    }

    /// Starts the server on its own thread and runtime (for tests that run the binary).
    pub fn start_in_thread() -> Web {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let web = Web::start().await;
                tx.send(web).unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().unwrap()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://host:port/path`
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port())
    }

    /// Adds a route answering with `resps` in order (the last one repeats).
    pub fn route(&self, host: &str, path: &str, resps: Vec<Resp>) {
        self.inner
            .lock()
            .unwrap()
            .routes
            .insert((host.to_string(), path.to_string()), resps);
    }

    pub fn page(&self, host: &str, path: &str, resp: Resp) {
        self.route(host, path, vec![resp]);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.inner.lock().unwrap().hits.clone()
    }

    /// Requests for (host, path).
    pub fn hits_of(&self, host: &str, path: &str) -> Vec<Hit> {
        self.hits()
            .into_iter()
            .filter(|h| h.host == host && h.path == path)
            .collect()
    }

    pub fn count(&self, host: &str, path: &str) -> usize {
        self.hits_of(host, path).len()
    }

    /// The most requests to `host` the server was answering at once.
    pub fn max_concurrent(&self, host: &str) -> usize {
        *self
            .inner
            .lock()
            .unwrap()
            .max_active
            .get(host)
            .unwrap_or(&0)
    }

    pub fn clear_hits(&self) {
        self.inner.lock().unwrap().hits.clear();
    }
}

/// An article page with some text and links.
pub fn article(title: &str, links: &[String]) -> Resp {
    let mut body = format!(
        "<!DOCTYPE html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>\
         <p>{title} is a made-up story for the crawler tests. It has a few sentences so that an \
         extractor finds a body. The harbour festival opened on Sunday with boats and music.</p>"
    );
    for l in links {
        body.push_str(&format!("<p><a href=\"{l}\">{l}</a></p>"));
    }
    body.push_str("</article></body></html>");
    Resp::html(body)
}
