//! Extraction throughput on the bundled benchmark pages (`data/extraction/`, 123 pages), one
//! core: `cargo bench --bench extract`. Decoding is done once up front; each iteration runs
//! `extract::extract` over every page. Criterion reports time per iteration (123 pages) and,
//! via `Throughput::Elements`, pages per second.

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
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
