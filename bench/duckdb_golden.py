#!/usr/bin/env python3
"""Golden answers from DuckDB for the conformance test crates/cli/tests/duckdb_golden.rs.

Writes

* testdata/flow/synthetic-default-3000.log: 3,000 default-format records from
  bench/gen_flows.py (seed SEED below), a few of them NODATA/SKIPDATA;
* for each query below, testdata/golden/duckdb/<name>.sql (the SQL eastwest runs, DataFusion
  dialect) and testdata/golden/duckdb/<name>.csv (DuckDB's answer to the equivalent DuckDB SQL
  over the same file, CSV with a header row, as `eastwest query --format csv` prints it).

DuckDB reads the file as plain space-separated text (`-` is null) into a view `flows` without the
NODATA/SKIPDATA lines, which eastwest counts as coverage gaps and never makes rows. Answers hold
only integers and strings, so the CSV text compares exactly; every ORDER BY is total.

Then, if an eastwest binary is found (or given with --eastwest), each .sql is run with
`eastwest --quiet query --format csv "$(cat x.sql)" testdata/flow/synthetic-default-3000.log`
and its output compared byte for byte with the .csv; differences are printed and the exit
status is 1.

Usage: python3 bench/duckdb_golden.py [--eastwest PATH]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_flows  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "testdata/flow/synthetic-default-3000.log"
GOLDEN = REPO / "testdata/golden/duckdb"
RECORDS = 3000
SEED = 3000

# name -> (eastwest / DataFusion SQL, the equivalent DuckDB SQL over the view `flows`)
QUERIES = {
    "by_action": (
        "SELECT action, count(*) AS records, sum(bytes) AS bytes FROM flows GROUP BY action ORDER BY action",
        "SELECT action, count(*) AS records, sum(bytes) AS bytes FROM flows GROUP BY action ORDER BY action",
    ),
    "totals": (
        "SELECT count(*) AS records, count(DISTINCT interface_id) AS enis, count(DISTINCT srcaddr) AS sources, "
        "sum(packets) AS packets, sum(bytes) AS bytes FROM flows",
        "SELECT count(*) AS records, count(DISTINCT interface_id) AS enis, count(DISTINCT srcaddr) AS sources, "
        "sum(packets) AS packets, sum(bytes) AS bytes FROM flows",
    ),
    "top_reject_ports": (
        "SELECT srcaddr, count(DISTINCT dstport) AS ports FROM flows WHERE action = 'REJECT' "
        "GROUP BY srcaddr ORDER BY ports DESC, srcaddr LIMIT 10",
        "SELECT srcaddr, count(DISTINCT dstport) AS ports FROM flows WHERE action = 'REJECT' "
        "GROUP BY srcaddr ORDER BY ports DESC, srcaddr LIMIT 10",
    ),
    "protocol_dstport_top15": (
        "SELECT protocol, dstport, count(*) AS records FROM flows GROUP BY protocol, dstport "
        "ORDER BY records DESC, protocol, dstport LIMIT 15",
        "SELECT protocol, dstport, count(*) AS records FROM flows GROUP BY protocol, dstport "
        "ORDER BY records DESC, protocol, dstport LIMIT 15",
    ),
    "time_range": (
        # start/end are timestamps in eastwest; to_unixtime gives epoch seconds (Int64).
        'SELECT min(to_unixtime(start)) AS min_start, max(to_unixtime(start)) AS max_start, '
        'min(to_unixtime("end")) AS min_end, max(to_unixtime("end")) AS max_end FROM flows',
        # DuckDB reads them as the epoch seconds in the file.
        'SELECT min(start) AS min_start, max(start) AS max_start, min("end") AS min_end, max("end") AS max_end '
        "FROM flows",
    ),
    "src_in_10_8": (
        "SELECT count(*) AS records FROM flows WHERE ip_in_cidr(src_ip, '10.0.0.0/8')",
        # The file's addresses are canonical dotted quads or IPv6, so a prefix test is the CIDR test.
        "SELECT count(*) AS records FROM flows WHERE srcaddr LIKE '10.%'",
    ),
}


def duckdb_csv(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    cur = con.execute(sql)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([d[0] for d in cur.description])
    for row in cur.fetchall():
        for v in row:
            if isinstance(v, float):
                raise ValueError(f"float in an answer, CSV text would not compare exactly: {sql}")
        w.writerow(row)
    return buf.getvalue()


def find_eastwest() -> Path | None:
    roots = []
    if os.environ.get("CARGO_TARGET_DIR"):
        roots.append(Path(os.environ["CARGO_TARGET_DIR"]))
    roots += [REPO / "target", Path.home() / ".cache/eastwest-target"]
    for root in roots:
        for profile in ("release", "debug"):
            if (root / profile / "eastwest").is_file():
                return root / profile / "eastwest"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eastwest", type=Path, help="binary to check the answers with (default: a built one, if any)")
    args = ap.parse_args(argv)

    DATA.parent.mkdir(parents=True, exist_ok=True)
    gen_flows.write(RECORDS, SEED, text=str(DATA))
    gaps = sum(1 for line in DATA.read_text().splitlines() if line.endswith(("NODATA", "SKIPDATA")))
    print(f"wrote {DATA.relative_to(REPO)} ({RECORDS} records, {gaps} NODATA/SKIPDATA)")

    GOLDEN.mkdir(parents=True, exist_ok=True)
    for stale in list(GOLDEN.glob("*.sql")) + list(GOLDEN.glob("*.csv")):
        if stale.stem not in QUERIES:
            stale.unlink()
    con = duckdb.connect()
    con.execute(
        f"CREATE VIEW flows AS SELECT * FROM {gen_flows.duckdb_source(str(DATA))} "
        "WHERE log_status NOT IN ('NODATA', 'SKIPDATA')"
    )
    for name, (eastwest_sql, duck_sql) in QUERIES.items():
        (GOLDEN / f"{name}.sql").write_text(eastwest_sql + "\n")
        (GOLDEN / f"{name}.csv").write_text(duckdb_csv(con, duck_sql))
    print(f"wrote {len(QUERIES)} queries and DuckDB {duckdb.__version__} answers to {GOLDEN.relative_to(REPO)}")

    binary = args.eastwest or find_eastwest()
    if binary is None:
        print("no eastwest binary found; answers not checked (pass --eastwest PATH)")
        return 0
    failures = 0
    for name in QUERIES:
        sql = (GOLDEN / f"{name}.sql").read_text().strip()
        expected = (GOLDEN / f"{name}.csv").read_text()
        out = subprocess.run(
            [str(binary), "--quiet", "query", "--format", "csv", sql, str(DATA)], capture_output=True, text=True
        )
        if out.returncode != 0 or out.stdout != expected:
            failures += 1
            print(f"DIFFERS {name} (exit {out.returncode}):\n--- DuckDB\n{expected}--- eastwest\n{out.stdout}{out.stderr}")
        else:
            print(f"ok {name}")
    print(f"checked with {binary}: {len(QUERIES) - failures} of {len(QUERIES)} equal byte for byte")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
