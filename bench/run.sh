#!/usr/bin/env bash
# The benchmark, one command: installs DuckDB and pyarrow (pinned, in a virtual environment of
# their own), builds the release binary unless EASTWEST names one, generates the data with
# `eastwest simulate` on first use (bench/data/, git-ignored), measures eastwest and DuckDB side
# by side and writes the table into BENCHMARKS.md.
#
#   bash bench/run.sh            about 5 million records (minutes, once the build is done)
#   bash bench/run.sh --full     also about 100 million (tens of GB of disk, an hour or more)
#   bash bench/run.sh --only "Parquet"   a quick look at some inputs, no report
#
# Further options go to bench/run.py (--runs N, --records 5m, --data DIR, --report FILE).
set -euo pipefail
cd "$(dirname "$0")/.."

# GNU time measures each command's own peak memory.
if [ ! -x /usr/bin/time ]; then
  $(command -v sudo) apt-get install -y -qq time >/dev/null
fi
venv="$HOME/.cache/eastwest-bench-venv"
pinned='import importlib.metadata as m
assert m.version("duckdb") == "2.0.0" and m.version("pyarrow") == "26.0.1"'
if ! "$venv/bin/python" -c "$pinned" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'duckdb==2.0.0' 'pyarrow==26.0.1'
fi

if [ -z "${EASTWEST:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/eastwest-target}"
  # A release build: the debug build's numbers say nothing about speed. A cold one takes about
  # half an hour on two cores; never run it beside another build.
  cargo build --release --quiet -p eastwest
  EASTWEST="$CARGO_TARGET_DIR/release/eastwest"
fi

exec "$venv/bin/python" bench/run.py --eastwest "$EASTWEST" "$@"
