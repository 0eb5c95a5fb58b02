#!/usr/bin/env python3
"""Benchmark: how fast eastwest reads VPC Flow Logs and answers SQL, next to DuckDB.

What it measures, and why:

* Reading throughput. `SELECT count(*) FROM flows` over 5,000,000 synthetic default-format
  records (bench/gen_flows.py) as plain text, gzip and AWS-shaped Parquet. Counting does almost no
  query work, so the time is the reader's: parsing, decompression, building Arrow batches. Run
  with `--threads 1` (records per second per core, the number that scales to a fleet of files)
  and `--threads 2`.
* A real question. "Top 10 sources by distinct destination ports among REJECT records" (what a
  port scan looks like) on the plain and gzip files: reading plus a filtered group-by with a
  distinct count.
* A peer. DuckDB (the Python package) runs the equivalent SQL over the same files with
  `SET threads` 1 and 2. It is a well-known, fast reference for "read a file, run SQL", so the
  numbers mean something on any machine. Both answers are compared; a mismatch is printed loudly
  and makes the exit status 1.

How: wall-clock time, best of --runs (3) for every cell. eastwest runs as a subprocess, process
start included, as a user runs it. DuckDB runs in this process with a fresh in-memory connection
per run that reads the file again each time (no cached tables). Each file is read once untimed
first so both see a warm page cache. Nothing here asserts on timings; the numbers go to the
report (default BENCHMARKS.md at the repository root).

Usage:
    python3 bench/flows.py [--eastwest PATH] [--records N] [--report FILE] [--runs 3]

The data files (bench/data/flows-<N>.log, .log.gz, .parquet; git-ignored) are generated on first
use and reused while their recorded record count, seed and sizes match.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_flows  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

COUNT_SQL = "SELECT count(*) FROM flows"
# DuckDB sees NODATA/SKIPDATA lines as rows; eastwest does not (they are coverage gaps).
COUNT_DUCKDB = "SELECT count(*) FROM {src} WHERE log_status NOT IN ('NODATA', 'SKIPDATA')"
TOP_SQL = (
    "SELECT srcaddr, count(DISTINCT dstport) AS ports FROM flows WHERE action = 'REJECT' "
    "GROUP BY srcaddr ORDER BY ports DESC, srcaddr LIMIT 10"
)
TOP_DUCKDB = (
    "SELECT srcaddr, count(DISTINCT dstport) AS ports FROM {src} WHERE action = 'REJECT' "
    "GROUP BY srcaddr ORDER BY ports DESC, srcaddr LIMIT 10"
)

KINDS = [("plain", ".log"), ("gzip", ".log.gz"), ("Parquet", ".parquet")]


def default_eastwest() -> Path:
    """$CARGO_TARGET_DIR/release/eastwest, else target/release/eastwest, else the target
    directory .ci/run uses ($HOME/.cache/eastwest-target)."""
    candidates = []
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(Path(os.environ["CARGO_TARGET_DIR"]) / "release/eastwest")
    candidates.append(REPO / "target/release/eastwest")
    candidates.append(Path.home() / ".cache/eastwest-target/release/eastwest")
    for c in candidates:
        if c.is_file():
            return c
    return candidates[0]


def label(records: int) -> str:
    for unit, size in (("m", 1_000_000), ("k", 1_000)):
        if records % size == 0:
            return f"{records // size}{unit}"
    return str(records)


def ensure_data(data_dir: Path, records: int, seed: int) -> dict[str, Path]:
    """The plain, gzip and Parquet files of `records` records, generated unless already there."""
    data_dir.mkdir(parents=True, exist_ok=True)
    base = data_dir / f"flows-{label(records)}"
    files = {kind: Path(str(base) + ext) for kind, ext in KINDS}
    meta_path = Path(str(base) + ".json")
    want = {"records": records, "seed": seed}
    if meta_path.is_file() and all(f.is_file() for f in files.values()):
        meta = json.loads(meta_path.read_text())
        sizes = {kind: f.stat().st_size for kind, f in files.items()}
        if {k: meta.get(k) for k in want} == want and meta.get("sizes") == sizes:
            print(f"reusing {base}.*", file=sys.stderr)
            return files
    print(f"generating {records:,} records into {base}.* ...", file=sys.stderr)
    t = time.perf_counter()
    meta_path.unlink(missing_ok=True)
    gen_flows.write(
        records,
        seed,
        text=str(files["plain"]),
        gzip_text=str(files["gzip"]),
        parquet=str(files["Parquet"]),
    )
    sizes = {kind: f.stat().st_size for kind, f in files.items()}
    meta_path.write_text(json.dumps({**want, "sizes": sizes}, indent=1) + "\n")
    print(f"generated in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return files


def warm(path: Path) -> None:
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def eastwest_cmd(binary: Path, threads: int, sql: str, path: Path) -> list[str]:
    return [str(binary), "--threads", str(threads), "--quiet", "query", "--format", "csv", sql, str(path)]


def run_eastwest(binary: Path, threads: int, sql: str, path: Path) -> tuple[float, list[tuple]]:
    cmd = eastwest_cmd(binary, threads, sql, path)
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if out.returncode != 0:
        raise RuntimeError(f"eastwest failed ({out.returncode}): {' '.join(cmd)}\n{out.stderr}")
    rows = list(csv.reader(io.StringIO(out.stdout)))[1:]  # drop the header
    return seconds, [tuple(int(v) if v.lstrip("-").isdigit() else v for v in r) for r in rows]


def run_duckdb(threads: int, sql: str) -> tuple[float, list[tuple]]:
    t = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    rows = con.execute(sql).fetchall()
    seconds = time.perf_counter() - t
    con.close()
    return seconds, [tuple(r) for r in rows]


def best_of(runs: int, fn, *args) -> tuple[float, list[tuple]]:
    """The fastest of `runs` runs, and the answer (which must be the same every run)."""
    best, answer = None, None
    for _ in range(runs):
        seconds, rows = fn(*args)
        if answer is not None and rows != answer:
            raise RuntimeError(f"answer changed between runs: {answer} then {rows}")
        answer = rows
        best = seconds if best is None else min(best, seconds)
    return best, answer


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = {}
    try:
        for line in open("/proc/meminfo"):
            key, value = line.split(":", 1)
            mem[key] = int(value.split()[0]) // 1024  # MiB
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "nproc": str(cores),
        "cpu": cpu,
        "memory": f"{mem.get('MemTotal', '?')} MiB total, {mem.get('MemAvailable', '?')} MiB available",
        "os": f"{platform.system()} {platform.release()}",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def fmt_cell(seconds: float, records: int, per: int) -> str:
    return f"{seconds:.3f} s ({records / seconds / per / 1e6:.2f} M/s)"


def mib(path: Path) -> str:
    return f"{path.stat().st_size / 2**20:.0f} MiB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eastwest", type=Path, default=None, help="the eastwest binary (default: a release build)")
    ap.add_argument("--records", type=int, default=5_000_000, help="records (lines) per file, default 5,000,000")
    ap.add_argument("--report", type=Path, default=REPO / "BENCHMARKS.md", help="where to write the report")
    ap.add_argument("--runs", type=int, default=3, help="runs per cell; the best counts (default 3)")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("--data-dir", type=Path, default=REPO / "bench/data")
    args = ap.parse_args(argv)

    binary = (args.eastwest or default_eastwest()).resolve()
    if not binary.is_file():
        ap.error(f"no eastwest binary at {binary}: build one (cargo build --release) or pass --eastwest PATH")
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    started = datetime.datetime.now(datetime.timezone.utc)
    host = machine()
    print(f"{version} ({binary}); DuckDB {duckdb.__version__}; {host['nproc']} cores, load {host['load']}", file=sys.stderr)

    files = ensure_data(args.data_dir, args.records, args.seed)
    n = args.records
    mismatches: list[str] = []

    def check(what: str, east: list[tuple], duck: list[tuple]) -> None:
        if east != duck:
            msg = f"MISMATCH {what}:\n  eastwest: {east}\n  DuckDB:   {duck}"
            print("\n" + "!" * 72 + "\n" + msg + "\n" + "!" * 72 + "\n", file=sys.stderr)
            mismatches.append(msg)

    # (b) reading throughput
    count_rows = []
    for kind, path in files.items():
        warm(path)
        src = gen_flows.duckdb_source(str(path))
        cells = {}
        answers = {}
        for threads in (1, 2):
            cells[("eastwest", threads)], answers[("eastwest", threads)] = best_of(
                args.runs, run_eastwest, binary, threads, COUNT_SQL, path
            )
            cells[("duckdb", threads)], answers[("duckdb", threads)] = best_of(
                args.runs, run_duckdb, threads, COUNT_DUCKDB.format(src=src)
            )
            print(
                f"count {kind:8} threads={threads}: eastwest {cells[('eastwest', threads)]:.3f} s, "
                f"DuckDB {cells[('duckdb', threads)]:.3f} s",
                file=sys.stderr,
            )
            check(f"count(*) {kind} threads={threads}", answers[("eastwest", threads)], answers[("duckdb", threads)])
        count_rows.append((kind, path, cells, answers[("eastwest", 1)][0][0]))

    # (c) a real question
    top_rows = []
    top_answer = None
    for kind in ("plain", "gzip"):
        path = files[kind]
        src = gen_flows.duckdb_source(str(path))
        cells = {}
        for threads in (1, 2):
            cells[("eastwest", threads)], east = best_of(args.runs, run_eastwest, binary, threads, TOP_SQL, path)
            cells[("duckdb", threads)], duck = best_of(args.runs, run_duckdb, threads, TOP_DUCKDB.format(src=src))
            print(
                f"top10 {kind:8} threads={threads}: eastwest {cells[('eastwest', threads)]:.3f} s, "
                f"DuckDB {cells[('duckdb', threads)]:.3f} s",
                file=sys.stderr,
            )
            check(f"top 10 {kind} threads={threads}", east, duck)
            top_answer = top_answer or east
        top_rows.append((kind, path, cells))

    report = render(
        args, binary, version, started, host, n, files, count_rows, top_rows, top_answer, mismatches
    )
    # Keep the sections other scripts write (bench/detect.py) below this one.
    if args.report.exists() and "<!-- bench/detect.py begins" in args.report.read_text():
        kept = args.report.read_text().split("<!-- bench/detect.py begins", 1)[1]
        report = report.rstrip("\n") + "\n\n<!-- bench/detect.py begins" + kept
    args.report.write_text(report)
    print(f"wrote {args.report}", file=sys.stderr)
    if mismatches:
        print(f"{len(mismatches)} MISMATCH(ES) between eastwest and DuckDB, see above", file=sys.stderr)
        return 1
    return 0


def render(args, binary, version, started, host, n, files, count_rows, top_rows, top_answer, mismatches) -> str:
    def rel(p: Path) -> str:
        try:
            return str(p.resolve().relative_to(REPO))
        except ValueError:
            return str(p)

    out = []
    w = out.append
    w("# Benchmarks\n")
    w(
        "How fast eastwest reads VPC Flow Logs and answers SQL, next to DuckDB on the same files. "
        "Written by `bench/flows.py` (its docstring says what is measured and why); do not edit by hand.\n"
    )
    w("## Machine and versions\n")
    w(f"- date: {started:%Y-%m-%d %H:%M} UTC")
    w(f"- CPU: {host['cpu']}, nproc {host['nproc']}")
    w(f"- memory: {host['memory']}")
    w(f"- OS: {host['os']}; load average at start: {host['load']}")
    w(f"- {version} (`{rel(binary)}`)")
    if "debug" in binary.parts:
        w("- **this eastwest is a debug build: its numbers say nothing about release speed**")
    w(f"- DuckDB {duckdb.__version__} (Python package), Python {platform.python_version()}, pyarrow {pyarrow.__version__}")
    w("")
    w("## Reading: `count(*)`\n")
    w(
        f"{n:,} records (lines; {n - count_rows[0][3]:,} of them NODATA/SKIPDATA, which are coverage gaps and "
        f"not rows, so the count is {count_rows[0][3]:,}). Best of {args.runs} wall-clock runs. In parentheses: "
        "million records per second **per core** for 1 thread, in total for 2 threads.\n"
    )
    w("| input | size | eastwest 1 thread | eastwest 2 threads | DuckDB 1 thread | DuckDB 2 threads |")
    w("|---|---|---|---|---|---|")
    for kind, path, cells, _ in count_rows:
        w(
            f"| {kind} | {mib(path)} | {fmt_cell(cells[('eastwest', 1)], n, 1)} | {fmt_cell(cells[('eastwest', 2)], n, 1)} "
            f"| {fmt_cell(cells[('duckdb', 1)], n, 1)} | {fmt_cell(cells[('duckdb', 2)], n, 1)} |"
        )
    w("")
    w(
        "DuckDB reads only the columns a query uses (here `log_status`, to leave out the coverage gaps); "
        "from Parquet that is one dictionary-encoded column. eastwest also reads `interface_id`, `start` "
        "and `end` from Parquet, to account NODATA/SKIPDATA gaps per ENI, and checks every field of every "
        "text line whatever the query asks (so a file reports the same malformed lines for every query).\n"
    )
    w(
        "For gzip, eastwest inflates on a thread of its own while the reader parses, also with "
        "`--threads 1`: its 1-thread gzip column uses up to two cores. DuckDB inflates and parses on "
        "its worker threads.\n"
    )
    w("## A question: top 10 sources by distinct REJECT destination ports\n")
    w(f"Best of {args.runs} wall-clock runs; in parentheses million records per second (per core for 1 thread).\n")
    w("| input | eastwest 1 thread | eastwest 2 threads | DuckDB 1 thread | DuckDB 2 threads |")
    w("|---|---|---|---|---|")
    for kind, _, cells in top_rows:
        w(
            f"| {kind} | {fmt_cell(cells[('eastwest', 1)], n, 1)} | {fmt_cell(cells[('eastwest', 2)], n, 1)} "
            f"| {fmt_cell(cells[('duckdb', 1)], n, 1)} | {fmt_cell(cells[('duckdb', 2)], n, 1)} |"
        )
    w("")
    if mismatches:
        w("**The answers of eastwest and DuckDB differed:**\n")
        w("```")
        out.extend(mismatches)
        w("```\n")
    else:
        w("eastwest and DuckDB gave the same answers to every query. The top 10:\n")
        w("| srcaddr | ports |")
        w("|---|---|")
        for src, ports in top_answer or []:
            w(f"| {src} | {ports} |")
        w("")
    w("## Exactly what ran\n")
    w(
        f"Data: `python3 bench/gen_flows.py`-generated, seed {args.seed}: "
        + ", ".join(f"`{rel(p)}`" for p in files.values())
        + " (the same records in each; the gzip is of the plain file, zlib level 6; Parquet with AWS's column "
        "names and types, gzip-compressed, row groups of 131,072 rows).\n"
    )
    w("eastwest (subprocess; `FILE` is one of the files above, `N` is 1 or 2):\n")
    w("```sh")
    w(f'eastwest --threads N --quiet query --format csv "{COUNT_SQL}" FILE')
    w(f'eastwest --threads N --quiet query --format csv "{TOP_SQL}" FILE')
    w("```\n")
    w("DuckDB (in process: `con = duckdb.connect(); con.execute('SET threads = N'); con.execute(SQL).fetchall()`):\n")
    w("```sql")
    w(COUNT_DUCKDB.format(src="SOURCE") + ";")
    w(TOP_DUCKDB.format(src="SOURCE") + ";")
    w("-- SOURCE for text and gzip (compression from the file name):")
    w(gen_flows.duckdb_source("FILE") + ";")
    w("-- SOURCE for Parquet:")
    w(gen_flows.duckdb_source("FILE.parquet") + ";")
    w("```\n")
    w("## Re-running\n")
    w("```sh")
    w("pip install duckdb pyarrow")
    w("cargo build --release")
    w("python3 bench/flows.py [--eastwest PATH] [--records N] [--report FILE] [--runs 3]")
    w("```\n")
    w(
        "The eastwest binary defaults to `$CARGO_TARGET_DIR/release/eastwest`, else `target/release/eastwest`. "
        "The data files are generated on the first run (about half a minute for 5,000,000 records) into the "
        "git-ignored `bench/data/` and reused afterwards. Numbers from a busy machine are not comparable; "
        "see the load average above.\n"
    )
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
