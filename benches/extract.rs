//! Extraction throughput on the bundled benchmark pages (`data/extraction/`, 123 pages), one
//! core: `cargo bench --bench extract`. Decoding is done once up front; each iteration runs
//! `extract::extract` over every page. Criterion reports time per iteration (123 pages) and,
//! via `Throughput::Elements`, pages per second. Groups: the default engine (`auto`), our
//! scorer alone, the trafilatura + dom_smoothie agreement on every page, the pre-parse strip +
//! one html5ever parse, and each foreign extractor alone.

use std::io::Read;
use std::path::PathBuf;

use copytrail::extract::{self, charset};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use url::Url;

fn pages() -> Vec<(String, Url)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/extraction");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("ground-truth.json")).unwrap()).unwrap();
    let mut out = Vec::new();
    let mut ids: Vec<&String> = truth.as_object().unwrap().keys().collect();
    ids.sort();
    for id in ids {
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(root.join(format!("html/{id}.html.gz"))).unwrap(),
        )
        .read_to_end(&mut raw)
        .unwrap();
        let html = charset::decode(&raw, None).text;
        let url = Url::parse(truth[id]["url"].as_str().unwrap()).unwrap();
        out.push((html, url));
    }
    out
}

fn bench(c: &mut Criterion) {
    let pages = pages();
    let mut g = c.benchmark_group("extract");
    g.sample_size(10);
    g.throughput(Throughput::Elements(pages.len() as u64));
    g.bench_function("benchmark_pages_123", |b| {
        b.iter(|| {
            for (html, url) in &pages {
                std::hint::black_box(extract::extract(html, url));
            }
        })
    });
    for (name, engine) in [
        ("scored_engine_123", extract::body::BodyEngine::Scored),
        ("agreement_engine_123", extract::body::BodyEngine::Agreement),
    ] {
        let opts = extract::ExtractOptions {
            body_engine: engine,
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                for (html, url) in &pages {
                    std::hint::black_box(extract::extract_with(html, url, &opts));
                }
            })
        });
    }
    g.bench_function("prestrip_and_parse_123", |b| {
        b.iter(|| {
            for (html, _) in &pages {
                let s = extract::prestrip::strip(html);
                std::hint::black_box(scraper::Html::parse_document(&s));
            }
        })
    });
    // Where the time goes: the parses that every extraction pays for.
    g.bench_function("html5ever_parse_only_123", |b| {
        b.iter(|| {
            for (html, _) in &pages {
                std::hint::black_box(scraper::Html::parse_document(html));
            }
        })
    });
    g.bench_function("trafilatura_rs_only_123", |b| {
        b.iter(|| {
            for (html, url) in &pages {
                let opts = trafilatura::Options::default().with_url(url.clone());
                std::hint::black_box(trafilatura::extract(html, &opts).ok());
            }
        })
    });
    g.bench_function("dom_smoothie_only_123", |b| {
        b.iter(|| {
            for (html, url) in &pages {
                if let Ok(mut r) =
                    dom_smoothie::Readability::new(html.as_str(), Some(url.as_str()), None)
                {
                    std::hint::black_box(r.parse().ok());
                }
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
