#!/usr/bin/env python3
"""Python trafilatura on the bundled benchmark pages: F1/precision/recall with the benchmark's
metric (same definition as `copytrail eval extract`) and pages per second on one thread.

Usage: compare_trafilatura.py --truth data/extraction/ground-truth.json \
           --html-dir data/extraction/html [--repeat N]
"""
import argparse
import gzip
import json
import re
import time
from collections import Counter
from pathlib import Path

import trafilatura

TOKEN = re.compile(r"\w+")


def shingles(text):
    toks = TOKEN.findall(text or "")
    if not toks:
        return Counter()
    if len(toks) < 4:
        return Counter([tuple(toks)])
    return Counter(tuple(toks[i:i + 4]) for i in range(len(toks) - 3))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth", required=True)
    ap.add_argument("--html-dir", required=True)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    truth = json.load(open(a.truth, encoding="utf-8"))
    pages = []
    for pid in sorted(truth):
        raw = gzip.open(Path(a.html_dir) / f"{pid}.html.gz").read()
        pages.append((pid, raw.decode("utf-8", errors="replace"), truth[pid]["url"], truth[pid]["articleBody"]))
    preds = {}
    start = time.perf_counter()
    cpu_start = time.thread_time()
    for r in range(max(1, a.repeat)):
        for pid, html, url, _ in pages:
            preds[pid] = trafilatura.extract(html, url=url) or ""
    elapsed = time.perf_counter() - start
    cpu = time.thread_time() - cpu_start
    precs, recs = [], []
    for pid, _, _, body in pages:
        p, t = shingles(preds[pid]), shingles(body)
        tp = sum((p & t).values())
        fp, fn = sum(p.values()) - tp, sum(t.values()) - tp
        total = max(1, tp + fp + fn)
        tp, fp, fn = tp / total, fp / total, fn / total
        if sum(p.values()) > 0:
            precs.append(tp / (tp + fp) if tp + fp else 0.0)
        recs.append(tp / (tp + fn) if tp + fn else 0.0)
    prec = sum(precs) / max(1, len(precs))
    rec = sum(recs) / max(1, len(recs))
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    n = len(pages) * max(1, a.repeat)
    print(f"python trafilatura {trafilatura.__version__}: pages {len(pages)}  F1 {f1:.4f}  "
          f"precision {prec:.4f}  recall {rec:.4f}")
    print(f"time {elapsed:.3f} s for {n} page extractions on one thread: {n / elapsed:.1f} pages/s")
    print(f"cpu {cpu:.3f} s (this thread's CPU time): {n / cpu:.1f} pages/s per core")


if __name__ == "__main__":
    main()
