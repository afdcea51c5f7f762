#!/usr/bin/env python3
"""Builds data/sample/ (the bundled sample) from ../shared/data/republish/dev/.

Deterministic: every 9th original (sorted by URL) with all of its copies, the near-miss pages
written around those originals, and every 4th real unrelated page. Records keep their bytes
(one gzip member per record) and are written in a shuffled but fixed order, so copies can come
before their originals. Usage: python3 scripts/make_sample.py [SRC_DIR] [OUT_DIR] [STEP]
"""
import gzip
import json
import os
import random
import sys
import zlib

src = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/republish/dev"
out = sys.argv[2] if len(sys.argv) > 2 else "data/sample"
step = int(sys.argv[3]) if len(sys.argv) > 3 else 9

labels = [json.loads(l) for l in open(os.path.join(src, "labels.jsonl"))]
originals = sorted(l["url"] for l in labels if l["role"] == "original")
chosen = set(originals[::step])
keep = set(chosen)
for l in labels:
    if l["role"] == "copy" and l["original_url"] in chosen:
        keep.add(l["url"])
    if l["role"] == "unrelated" and l.get("near_miss_of") in chosen:
        keep.add(l["url"])
unrelated_real = sorted(
    l["url"]
    for l in labels
    if l["role"] == "unrelated" and l.get("kind") in ("real", "unrelated_translation")
)
keep.update(unrelated_real[::4])

# Split the WARC into gzip members, keeping each member's compressed bytes.
data = open(os.path.join(src, "pages.warc.gz"), "rb").read()
members = []
pos = 0
while pos < len(data):
    d = zlib.decompressobj(31)
    raw = d.decompress(data[pos:])
    end = len(data) - len(d.unused_data)
    members.append((data[pos:end], raw))
    pos = end

info = None
records = []
for comp, raw in members:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    fields = dict(
        (k.strip().lower(), v.strip())
        for k, v in (line.split(":", 1) for line in head.split("\r\n")[1:] if ":" in line)
    )
    if fields.get("warc-type") == "warcinfo":
        info = comp
    elif fields.get("warc-target-uri") in keep:
        records.append((fields["warc-target-uri"], comp))

random.Random(7).shuffle(records)
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "sample.warc.gz"), "wb") as f:
    if info:
        f.write(info)
    for _, comp in records:
        f.write(comp)
with open(os.path.join(out, "labels.jsonl"), "w") as f:
    for l in labels:
        if l["url"] in keep:
            f.write(json.dumps(l, sort_keys=True) + "\n")
with open(os.path.join(out, "origins.txt"), "w") as f:
    f.write("# Publishers of the sample's originals\n")
    copy_hosts = {l["url"].split("/")[2] for l in labels if l["role"] == "copy"}
    hosts = sorted(
        {
            l["url"].split("/")[2]
            for l in labels
            if l["url"] in keep
            and (l["role"] == "original" or not (l["url"].split("/")[2].endswith(".example") or l["url"].split("/")[2] in copy_hosts))
        }
    )
    f.write("\n".join(hosts) + "\n")
print(f"{len(records)} records, {len(chosen)} originals", file=sys.stderr)
