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
"$VENV/bin/pip" install --quiet --upgrade 'trafilatura>=2,<3'
cargo build --release --quiet

echo "== copytrail (release, one thread)"
RUST_OUT=$($PIN target/release/copytrail eval extract --truth "$TRUTH" --html-dir "$HTML" --time --repeat "$REPEAT")
echo "$RUST_OUT"
echo "== Python trafilatura (one thread)"
PY_OUT=$($PIN "$VENV/bin/python" scripts/compare_trafilatura.py --truth "$TRUTH" --html-dir "$HTML" --repeat "$REPEAT")
echo "$PY_OUT"
RUST_PPS=$(echo "$RUST_OUT" | sed -n 's/.*: \([0-9.]*\) pages\/s/\1/p')
PY_PPS=$(echo "$PY_OUT" | sed -n 's/.*: \([0-9.]*\) pages\/s/\1/p')
python3 -c "print(f'speed-up: {float($RUST_PPS)/float($PY_PPS):.1f}x  (copytrail {float($RUST_PPS):.1f} pages/s, trafilatura {float($PY_PPS):.1f} pages/s)')"
