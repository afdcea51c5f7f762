#!/usr/bin/env bash
# Extraction speed, one core: copytrail (release build) vs Python trafilatura 2.x (installed
# from PyPI into a throw-away venv) on the same 123 bundled pages, in the same run.
# Usage: scripts/bench-extract.sh [repeat]   (default repeat 3)
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT="${1:-3}"
VENV="${VENV:-target/py-trafilatura-venv}"
TRUTH=data/extraction/ground-truth.json
HTML=data/extraction/html
PIN=""
if command -v taskset >/dev/null; then PIN="taskset -c 0"; fi

if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install --quiet --upgrade 'trafilatura>=2,<3' lxml_html_clean
cargo build --release --quiet

echo "== copytrail (release, one thread)"
RUST_OUT=$($PIN target/release/copytrail eval extract --truth "$TRUTH" --html-dir "$HTML" --time --repeat "$REPEAT")
echo "$RUST_OUT"
echo "== copytrail --fast (our scorer alone, one thread)"
FAST_OUT=$($PIN target/release/copytrail eval extract --truth "$TRUTH" --html-dir "$HTML" --time --repeat "$REPEAT" --fast)
echo "$FAST_OUT"
echo "== Python trafilatura (one thread)"
PY_OUT=$($PIN "$VENV/bin/python" scripts/compare_trafilatura.py --truth "$TRUTH" --html-dir "$HTML" --repeat "$REPEAT")
echo "$PY_OUT"
# Compare CPU-time throughput (robust to other processes sharing the machine) and wall time.
RUST_OUT="$RUST_OUT" FAST_OUT="$FAST_OUT" PY_OUT="$PY_OUT" python3 - <<'PY'
import os, re
def grab(text, pat):
    m = re.search(pat, text, re.M)
    return float(m.group(1)) if m else None
for label, pat in [("CPU time", r"([0-9.]+) pages/s per core$"), ("wall time", r"([0-9.]+) pages/s$")]:
    r, f, p = (grab(os.environ[k], pat) for k in ("RUST_OUT", "FAST_OUT", "PY_OUT"))
    if r and p:
        print(f"speed-up by {label}: {r / p:.1f}x  (copytrail {r:.1f} pages/s, trafilatura {p:.1f} pages/s)")
    if f and p:
        print(f"speed-up by {label}, --fast: {f / p:.1f}x  (copytrail --fast {f:.1f} pages/s)")
PY
