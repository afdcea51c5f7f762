//! Near-duplicate index benchmark (a plain binary: builds at 10⁷ are too slow for criterion's
//! repeated sampling). Prints build time, query latency p50/p99 at k = 3 and k = 6, bytes per
//! fingerprint, and incremental insert/remove costs, for a random-plus-clustered data set.
//!
//! Run: `cargo bench --bench index` (sizes 10⁶ and 10⁷). Environment:
//! `INDEX_BENCH_SIZES=1000000,10000000` (comma-separated), `INDEX_BENCH_TABLES=4` (default:
//! the index's own choice for max_k = 6), `INDEX_BENCH_QUERIES=20000`.
//!
//! Data: half the fingerprints uniformly random, half in clusters of 16 around a random centre
//! with 0..=8 random bits flipped. Queries: half are stored fingerprints with 0..=6 bits
//! flipped, half uniformly random.

use std::time::{Duration, Instant};

use copytrail::fingerprint::index::SimHashIndex;

const MAX_K: u32 = 6;

/// SplitMix64: a small, seeded, reproducible generator.
struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn perturb(&mut self, fp: u64, flips: u32) -> u64 {
        let mut mask = 0u64;
        while mask.count_ones() < flips {
            mask |= 1 << (self.next() % 64);
        }
        fp ^ mask
    }
}

fn dataset(n: usize, seed: u64) -> Vec<(u64, u64)> {
    let mut rng = SplitMix(seed);
    let mut out = Vec::with_capacity(n);
    let mut centre = 0;
    for id in 0..n as u64 {
        let fp = if id % 2 == 0 {
            rng.next()
        } else {
            if id % 32 == 1 {
                centre = rng.next();
            }
            let flips = (rng.next() % 9) as u32;
            rng.perturb(centre, flips)
        };
        out.push((id, fp));
    }
    out
}

fn queries(data: &[(u64, u64)], count: usize, seed: u64) -> Vec<u64> {
    let mut rng = SplitMix(seed);
    (0..count)
        .map(|i| {
            if i % 2 == 0 {
                rng.next()
            } else {
                let fp = data[(rng.next() % data.len() as u64) as usize].1;
                let flips = (rng.next() % 7) as u32;
                rng.perturb(fp, flips)
            }
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn measure_queries(index: &SimHashIndex, qs: &[u64], k: u32) -> (Duration, Duration, f64) {
    let mut out = Vec::new();
    let mut times = Vec::with_capacity(qs.len());
    let mut hits = 0usize;
    for &q in qs {
        out.clear();
        let t = Instant::now();
        index.query_into(q, k, &mut out).expect("k <= max_k");
        times.push(t.elapsed());
        hits += out.len();
    }
    times.sort_unstable();
    (
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        hits as f64 / qs.len() as f64,
    )
}

fn main() {
    let sizes: Vec<usize> = std::env::var("INDEX_BENCH_SIZES")
        .unwrap_or_else(|_| "1000000,10000000".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("INDEX_BENCH_SIZES: comma-separated counts")
        })
        .collect();
    let tables: Option<u32> = std::env::var("INDEX_BENCH_TABLES")
        .ok()
        .map(|s| s.parse().expect("INDEX_BENCH_TABLES: a number"));
    let n_queries: usize = std::env::var("INDEX_BENCH_QUERIES")
        .ok()
        .map_or(20_000, |s| {
            s.parse().expect("INDEX_BENCH_QUERIES: a number")
        });

    println!(
        "SimHash index benchmark: max_k = {MAX_K}, {} threads available",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for n in sizes {
        let data = dataset(n, 0xC0FF_EE00 ^ n as u64);
        let t = Instant::now();
        let index = match tables {
            Some(m) => SimHashIndex::build_with_tables(MAX_K, m, data.iter().copied()),
            None => SimHashIndex::build(MAX_K, data.iter().copied()),
        };
        let build = t.elapsed();
        println!(
            "\nn = {n} ({} tables): build {:.2} s, {:.1} bytes/fingerprint",
            index.tables(),
            build.as_secs_f64(),
            index.heap_bytes() as f64 / index.len() as f64
        );
        let qs = queries(&data, n_queries, 7);
        for k in [3, MAX_K] {
            let (p50, p99, hits) = measure_queries(&index, &qs, k);
            println!(
                "  query k={k}: p50 {:.1} µs, p99 {:.1} µs, {hits:.1} results/query ({} queries)",
                us(p50),
                us(p99),
                qs.len()
            );
        }

        // Incremental updates on the built index.
        let mut index = index;
        let extra = dataset(100_000, 0xBEEF ^ n as u64);
        let t = Instant::now();
        for &(id, fp) in &extra {
            index.insert(id + n as u64, fp);
        }
        let ins = t.elapsed();
        let t = Instant::now();
        let mut removed = 0;
        for &(id, fp) in data.iter().step_by(n / 10_000) {
            removed += usize::from(index.remove(id, fp));
        }
        let rem = t.elapsed();
        println!(
            "  100000 inserts: {:.2} µs/insert mean; {removed} removes: {:.2} µs/remove mean",
            us(ins) / extra.len() as f64,
            us(rem) / removed as f64
        );
        let (p50, p99, _) = measure_queries(&index, &qs, MAX_K);
        println!(
            "  query k={MAX_K} after updates (delta level + buffer populated): p50 {:.1} µs, p99 {:.1} µs",
            us(p50),
            us(p99)
        );
        // The pause when the delta level is merged into the main level (same work as compact).
        let t = Instant::now();
        index.compact();
        println!(
            "  compact (merge delta level + buffer into main, drop tombstones): {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
}
