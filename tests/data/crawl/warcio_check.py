#!/usr/bin/env python3
"""Checks a WARC file written by `copytrail crawl --warc` with warcio (pip install warcio).

Usage: warcio_check.py FILE.warc.gz [EXPECTED_RESPONSES]

Reads every record with warcio's ArchiveIterator (which insists on one gzip member per record
when the file is compressed), checks the WARC version, that each response has a target URI, a
date, the application/http response content type and a parseable HTTP status line, that every
request is concurrent to a response, and prints a JSON summary. Exits 1 on any problem.
"""
import json
import sys

from warcio.archiveiterator import ArchiveIterator


def main():
    path = sys.argv[1]
    expected = int(sys.argv[2]) if len(sys.argv) > 2 else None
    counts = {}
    problems = []
    response_ids = set()
    concurrent = []
    uris = []
    with open(path, "rb") as f:
        it = ArchiveIterator(f, check_digests=True)
        for rec in it:
            t = rec.rec_type
            counts[t] = counts.get(t, 0) + 1
            if rec.rec_headers.protocol != "WARC/1.1":
                problems.append(f"{t}: version {rec.rec_headers.protocol}")
            if t == "response":
                response_ids.add(rec.rec_headers.get_header("WARC-Record-ID"))
                uri = rec.rec_headers.get_header("WARC-Target-URI")
                if not uri or not rec.rec_headers.get_header("WARC-Date"):
                    problems.append("response without URI or date")
                if rec.rec_headers.get_header("Content-Type") != "application/http;msgtype=response":
                    problems.append(f"{uri}: content type")
                if rec.http_headers is None or not rec.http_headers.get_statuscode():
                    problems.append(f"{uri}: no HTTP status")
                body = rec.content_stream().read()
                declared = rec.http_headers.get_header("Content-Length")
                if declared is not None and int(declared) != len(body):
                    problems.append(f"{uri}: Content-Length {declared} != {len(body)}")
                uris.append(uri)
            elif t == "request":
                concurrent.append(rec.rec_headers.get_header("WARC-Concurrent-To"))
    for c in concurrent:
        if c not in response_ids:
            problems.append(f"request concurrent to unknown record {c}")
    if expected is not None and counts.get("response", 0) != expected:
        problems.append(f"expected {expected} responses, found {counts.get('response', 0)}")
    print(json.dumps({"counts": counts, "uris": sorted(uris), "problems": problems}))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
