#!/usr/bin/env python3
"""Runs eastwest-sigma's compiled SQL on the same events.jsonl as pysigma_reference.py, in
SQLite, and prints the same JSON lines, so the two outputs can be diffed.

    cargo run -q -p eastwest-sigma --example sigma_sql -- --json crates/sigma/rules > sql.jsonl
    python3 tests/sigma/run_eastwest_sql.py --sql sql.jsonl --events events.jsonl --table cloudtrail

The SQL is written for DataFusion; this runs it in SQLite after a textual translation: `ILIKE`
becomes `LIKE ... ESCAPE '\\'` (SQLite's LIKE is ASCII case-insensitive, DataFusion's ILIKE is
Unicode), `regexp_like` and DataFusion's list functions are Python functions (Python's `re`, not
Rust's `regex`), and `CAST(x AS VARCHAR)` keeps SQLite's meaning. Case-sensitive `LIKE` (the
`cased` modifier) is not translated and stays case-insensitive here. It is a cross-check of the
logic, not of DataFusion.
"""

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pysigma_reference import connect  # noqa: E402  (same table loading and functions)

LIKE = re.compile(r" ILIKE ('(?:[^']|'')*')")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sql", required=True, type=Path)
    ap.add_argument("--events", required=True, type=Path)
    ap.add_argument("--table", required=True)
    args = ap.parse_args()
    db = connect(args.events)
    db.create_function("regexp_like", 2, lambda v, p: None if v is None else re.search(p, str(v)) is not None)
    for line in args.sql.read_text().splitlines():
        item = json.loads(line)
        if "unsupported" in item:
            print(json.dumps({"rule": item["rule"], "unsupported": item["unsupported"]}))
            continue
        if item["table"] != args.table:
            continue
        cond = LIKE.sub(lambda m: f" LIKE {m.group(1)} ESCAPE '\\'", item["sql"])
        rows = db.execute(
            f"SELECT source_file, source_line, source_event FROM events WHERE {cond} ORDER BY rowid"
        )
        print(json.dumps({"rule": item["rule"], "matches": [list(r) for r in rows]}))


if __name__ == "__main__":
    main()
