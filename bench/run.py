#!/usr/bin/env python3
"""The flow-log benchmark: eastwest next to DuckDB on the same files, in the same run.

Run it through `bench/run.sh` (which installs DuckDB and builds the release binary first).

Data. `eastwest simulate` writes an estate's flow logs as S3 delivery does (five-minute objects
per VPC): version 2 and version 5 as gzip text, version 5 as Parquet, from the same seed, so
the three hold the same records. From those this script derives one big file of each container:
plain text and gzip (one header, every record) and one Parquet file (row groups of 1,048,576
rows). Sizes: about 5 million records (`--records 5m`, the default) and, with `--full`, about
100 million. Every set is generated once into `bench/data/` (git-ignored) and reused.

Questions, each asked of eastwest (`eastwest query`, a subprocess, process start included) and
of DuckDB (the Python package, in this process, a fresh connection per run) over the same files:

* count: `count(*)` of the records (DuckDB leaves out NODATA/SKIPDATA, which eastwest counts as
  coverage gaps, not rows). Nearly no query work: the time is the reader's. With one thread it
  gives records per second per core, the parse rate;
* port scan: the ten sources with the most distinct destination ports among REJECT records;
* new edges: (source, destination, port, protocol) accepted in the second half of the day and
  never in the first, counted; the question `connections` and the new-edge detector answer.

Each with one thread and two; best of `--runs` (3) wall-clock runs; eastwest's peak resident
memory (its own, from wait4). The answers of the two must be equal, or the run fails loudly.

Detection: `eastwest detect --learn 12h` over the S3-layout flow logs against the bare read of
the same files, one run each, with peak memory. The bare read counts the values of the columns
detection reads (a `count(*)` of Parquet reads only its footers, which would make any work
look slow next to it).

Nothing asserts on timings. The report replaces the part of BENCHMARKS.md between this script's
markers and keeps the rest.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import gzip
import io
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
BEGIN = "<!-- bench/run.py begins: written by it, do not edit by hand -->"
END = "<!-- bench/run.py ends -->"
DAY = "2026-11-02"
DAY_EPOCH = int(datetime.datetime(2026, 11, 2, tzinfo=datetime.timezone.utc).timestamp())
MIDDAY = DAY_EPOCH + 12 * 3600
# GNU time, for the peak memory of a command (see measure_peak).
TIME = "/usr/bin/time"
# The bare read detection is measured against: every column the connections fold reads.
DETECTION_READ = ("SELECT count(start), count(\"end\"), count(protocol), count(interface_id), count(vpc_id), "
                  "count(action), count(tcp_flags), count(packets), count(bytes), count(srcaddr), count(dstaddr), "
                  "count(srcport), count(dstport) FROM flows")
# Records the simulator writes per host and day (about; measured, used only to pick --hosts).
RECORDS_PER_HOST = 20_400

QUESTIONS = {
    "count": (
        "SELECT count(*) AS n FROM flows",
        "SELECT count(*) AS n FROM flows WHERE log_status IS NULL OR log_status NOT IN ('NODATA', 'SKIPDATA')",
    ),
    "port scan": (
        "SELECT srcaddr, count(DISTINCT dstport) AS ports FROM flows WHERE action = 'REJECT' "
        "GROUP BY srcaddr ORDER BY ports DESC, srcaddr LIMIT 10",
        "SELECT srcaddr, count(DISTINCT dstport) AS ports FROM flows WHERE action = 'REJECT' "
        "GROUP BY srcaddr ORDER BY ports DESC, srcaddr LIMIT 10",
    ),
    "new edges": (
        "SELECT count(*) AS edges FROM (SELECT srcaddr, dstaddr, dstport, protocol, min(\"start\") AS first "
        "FROM flows WHERE action = 'ACCEPT' GROUP BY srcaddr, dstaddr, dstport, protocol) "
        f"WHERE first >= TIMESTAMP '{DAY}T12:00:00Z'",
        "SELECT count(*) AS edges FROM (SELECT srcaddr, dstaddr, dstport, protocol, min(\"start\") AS first "
        "FROM flows WHERE action = 'ACCEPT' GROUP BY srcaddr, dstaddr, dstport, protocol) "
        f"WHERE first >= {MIDDAY}",
    ),
}

# DuckDB types of the flow-log fields (the rest are text).
INTEGER_FIELDS = {"version", "srcport", "dstport", "protocol", "tcp-flags", "traffic-path"}
BIGINT_FIELDS = {"packets", "bytes", "start", "end"}


def parse_size(text: str) -> int:
    text = text.lower().replace("_", "")
    for suffix, factor in (("m", 1_000_000), ("k", 1_000)):
        if text.endswith(suffix):
            return int(float(text[:-1]) * factor)
    return int(text)


def label(records: int) -> str:
    return f"{records // 1_000_000}m" if records >= 1_000_000 else f"{records // 1000}k"


def default_eastwest() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release/eastwest"


def run_checked(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


class Input:
    """One input of the matrix: a name, the path given to eastwest, the DuckDB source."""

    def __init__(self, name: str, fmt: str, container: str, layout: str, path: Path, duck: str, size: int):
        self.name, self.fmt, self.container, self.layout = name, fmt, container, layout
        self.path, self.duck, self.size = path, duck, size


def csv_source(files: str, header: list[str], compression: str) -> str:
    columns = ", ".join(
        f"'{f.replace('-', '_')}': '"
        + ("INTEGER" if f in INTEGER_FIELDS else "BIGINT" if f in BIGINT_FIELDS else "VARCHAR")
        + "'"
        for f in header
    )
    return (
        f"read_csv({files}, delim = ' ', header = true, columns = {{{columns}}}, nullstr = '-', "
        f"quote = '', escape = '', auto_detect = false, compression = '{compression}')"
    )


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def simulate(binary: Path, out: Path, hosts: int, fmt: str) -> Path:
    """The flow-log folder of a simulated estate, simulated unless already there."""
    if not (out / "truth.json").exists():
        if out.exists():
            shutil.rmtree(out)
        print(f"simulating {hosts} hosts, {fmt}, into {out}", file=sys.stderr)
        started = time.perf_counter()
        run_checked([str(binary), "--quiet", "simulate", "--out", str(out), "--hosts", str(hosts),
                     "--days", "1", "--start", DAY, "--format", fmt, "--scenario", "all"])
        print(f"  {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return next((out / "logs/AWSLogs").glob("*/vpcflowlogs"))


def data_set(binary: Path, data: Path, records: int) -> tuple[list[Input], dict]:
    """Simulates (or reuses) the estates for `records` and derives the one-file inputs."""
    hosts = max(9, round(records / RECORDS_PER_HOST))
    base = data / f"set-{label(records)}"
    inputs: list[Input] = []
    meta: dict = {"hosts": hosts}
    # The 100-million set leaves out v5 text (tens of GB more disk for what v2 already shows).
    formats = ("v2", "v5", "parquet") if records <= 10_000_000 else ("v2", "parquet")
    for fmt in formats:
        folder = simulate(binary, base / f"sim-{fmt}", hosts, fmt)
        meta.setdefault("inventory", base / f"sim-{fmt}" / "inventory")
        if fmt == "parquet":
            parts = sorted(folder.rglob("*.parquet"))
            one = base / "flows-v5.parquet"
            if not one.exists():
                print(f"writing {one}", file=sys.stderr)
                tmp = one.with_suffix(".tmp")
                table = pyarrow.concat_tables(pq.read_table(p) for p in parts)
                pq.write_table(table, tmp, row_group_size=1 << 20, compression="snappy")
                tmp.rename(one)
            inputs.append(Input("v5 Parquet, S3 objects", "v5", "Parquet", "S3", folder,
                                f"read_parquet('{folder}/**/*.parquet')", tree_size(folder)))
            inputs.append(Input("v5 Parquet, one file", "v5", "Parquet", "one", one,
                                f"read_parquet('{one}')", tree_size(one)))
            meta["parquet_objects"] = len(parts)
            meta["sim_parquet"] = folder
            continue
        parts = sorted(folder.rglob("*.log.gz"))
        with gzip.open(parts[0], "rt") as first:
            header = first.readline().split()
        plain = base / f"flows-{fmt}.log"
        packed = base / f"flows-{fmt}.log.gz"
        if not packed.exists():
            print(f"writing {plain} and {packed}", file=sys.stderr)
            with open(plain.with_suffix(".tmp"), "wb") as out:
                out.write((" ".join(header) + "\n").encode())
                for part in parts:
                    with gzip.open(part, "rb") as source:
                        source.readline()
                        shutil.copyfileobj(source, out, 1 << 22)
            plain.with_suffix(".tmp").rename(plain)
            with open(plain, "rb") as source, gzip.open(packed.with_suffix(".tmp"), "wb", compresslevel=6) as out:
                shutil.copyfileobj(source, out, 1 << 22)
            packed.with_suffix(".tmp").rename(packed)
        glob = f"'{folder}/**/*.log.gz'"
        inputs.append(Input(f"{fmt} gzip, S3 objects", fmt, "gzip", "S3", folder,
                            csv_source(glob, header, "gzip"), tree_size(folder)))
        inputs.append(Input(f"{fmt} gzip, one file", fmt, "gzip", "one", packed,
                            csv_source(f"'{packed}'", header, "gzip"), tree_size(packed)))
        inputs.append(Input(f"{fmt} plain, one file", fmt, "plain", "one", plain,
                            csv_source(f"'{plain}'", header, "none"), tree_size(plain)))
        meta["text_objects"] = len(parts)
        meta[f"sim_{fmt}"] = folder
    return inputs, meta


def measure_peak(cmd: list[str]) -> tuple[float, float, str, str]:
    """Runs a command: wall seconds, its own peak resident memory in MiB, standard output (through
    a file, so a large output cannot fill a pipe), standard error.

    The peak comes from GNU time run around the command: a child forked from this process
    inherits its resident set (DuckDB's tables, hundreds of MiB), and Linux keeps that high-water
    mark across exec, so wait4's ru_maxrss would report this script's memory, not eastwest's.
    """
    peak_file = REPO / "bench/data/.peak"
    with io.open(tmp_out(), "w+") as sink:
        started = time.perf_counter()
        child = subprocess.Popen([TIME, "-f", "%M", "-o", str(peak_file), *cmd], stdout=sink,
                                 stderr=subprocess.PIPE, text=True)
        _, err = child.communicate()
        seconds = time.perf_counter() - started
        if child.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(cmd)} failed ({child.returncode}):\n{err}")
        sink.seek(0)
        peak_kib = int(peak_file.read_text().split()[-1])
        return seconds, peak_kib / 1024, sink.read(), err


def tmp_out() -> str:
    path = REPO / "bench/data/.stdout"
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def rows_of(text: str) -> list[tuple]:
    rows = list(csv.reader(io.StringIO(text)))[1:]
    return [tuple(int(v) if v.lstrip("-").isdigit() else v for v in r) for r in rows]


def eastwest_run(binary: Path, threads: int, sql: str, path: Path) -> tuple[float, float, list[tuple]]:
    seconds, peak, out, _ = measure_peak(
        [str(binary), "--threads", str(threads), "--quiet", "query", "--format", "csv", sql, str(path)]
    )
    return seconds, peak, rows_of(out)


def duckdb_run(threads: int, source: str, sql: str) -> tuple[float, float, list[tuple]]:
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute(f"CREATE VIEW flows AS SELECT * FROM {source}")
    rows = [tuple(r) for r in con.execute(sql).fetchall()]
    con.close()
    return time.perf_counter() - started, float("nan"), rows


def best_of(runs: int, fn, *args) -> tuple[float, float, list[tuple]]:
    best, peak, answer = None, 0.0, None
    for _ in range(runs):
        seconds, memory, rows = fn(*args)
        if answer is not None and rows != answer:
            raise RuntimeError(f"the answer changed between runs: {answer} then {rows}")
        answer = rows
        best = seconds if best is None else min(best, seconds)
        peak = max(peak, memory) if memory == memory else peak
    return best, peak, answer


def warm(path: Path) -> None:
    for file in [path] if path.is_file() else sorted(path.rglob("*")):
        if file.is_file():
            with open(file, "rb") as f:
                while f.read(1 << 24):
                    pass


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = {}
    for line in open("/proc/meminfo"):
        key, value = line.split(":", 1)
        mem[key] = int(value.split()[0]) // 1024
    return {
        "cpu": cpu,
        "nproc": str(len(os.sched_getaffinity(0))),
        "memory": f"{mem.get('MemTotal', '?')} MiB",
        "os": f"{platform.system()} {platform.release()}",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eastwest", type=Path, default=default_eastwest())
    ap.add_argument("--records", default="5m", help="records per set, about (default 5m)")
    ap.add_argument("--full", action="store_true", help="also the 100-million-record set")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data", type=Path, default=REPO / "bench/data")
    ap.add_argument("--report", type=Path, default=REPO / "BENCHMARKS.md")
    ap.add_argument("--only", default="", help="inputs whose name contains this (a quick look; no report)")
    args = ap.parse_args()
    binary = args.eastwest.resolve()
    if not binary.is_file():
        ap.error(f"no eastwest at {binary}: cargo build --release, or --eastwest PATH")
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    host = machine()
    started = datetime.datetime.now(datetime.timezone.utc)
    print(f"{version}; DuckDB {duckdb.__version__}; {host['nproc']} cores, load {host['load']}", file=sys.stderr)

    sizes = [parse_size(args.records)] + ([100_000_000] if args.full else [])
    mismatches: list[str] = []
    sections: list[dict] = []
    for records in sizes:
        inputs, meta = data_set(binary, args.data, records)
        inputs = [i for i in inputs if args.only in i.name]
        # The big set: the S3 layouts and one file each, no repeats (each read takes minutes).
        runs = args.runs if records <= 10_000_000 else 1
        table = []
        count = None
        for item in inputs:
            warm(item.path)
            for question, (east_sql, duck_sql) in QUESTIONS.items():
                for threads in (1, 2):
                    e_s, e_mib, e_rows = best_of(runs, eastwest_run, binary, threads, east_sql, item.path)
                    d_s, _, d_rows = best_of(runs, duckdb_run, threads, item.duck, duck_sql)
                    if e_rows != d_rows:
                        msg = f"{item.name}, {question}, {threads} threads:\n  eastwest {e_rows}\n  DuckDB   {d_rows}"
                        print("MISMATCH " + msg, file=sys.stderr)
                        mismatches.append(msg)
                    if question == "count":
                        count = e_rows[0][0]
                    table.append((item, question, threads, e_s, e_mib, d_s))
                    print(f"{item.name:26} {question:9} {threads}t: eastwest {e_s:7.3f} s {e_mib:6.0f} MiB, "
                          f"DuckDB {d_s:7.3f} s, ratio {e_s / d_s:5.2f}", file=sys.stderr)
        detection = []
        if not args.only:
            for fmt, folder in (("v2 gzip", meta["sim_v2"]), ("v5 Parquet", meta["sim_parquet"])):
                for threads in (1, 2):
                    common = [str(binary), "--threads", str(threads), "--quiet"]
                    r_s, r_mib, _, _ = measure_peak(common + ["query", "--format", "csv", DETECTION_READ, str(folder)])
                    d_s, d_mib, out, _ = measure_peak(common + ["detect", "--learn", "12h", "--format", "json",
                                                                "--inventory", str(meta["inventory"]), str(folder)])
                    findings = len(out.splitlines())
                    detection.append((fmt, threads, r_s, r_mib, d_s, d_mib, findings))
                    print(f"detect {fmt} {threads}t: read {r_s:.2f} s {r_mib:.0f} MiB, detect {d_s:.2f} s "
                          f"{d_mib:.0f} MiB, {findings} findings", file=sys.stderr)
        sections.append({"records": count or records, "meta": meta, "table": table, "detection": detection, "runs": runs})

    if args.only:
        return 1 if mismatches else 0
    write_report(args, binary, version, host, started, sections, mismatches)
    if mismatches:
        print(f"{len(mismatches)} MISMATCH(ES) between eastwest and DuckDB", file=sys.stderr)
        return 1
    return 0


def write_report(args, binary, version, host, started, sections, mismatches) -> None:
    def rel(p: Path) -> str:
        try:
            return str(Path(p).resolve().relative_to(REPO))
        except ValueError:
            return str(p)

    out: list[str] = [BEGIN, "", "# Benchmarks", ""]
    w = out.append
    w("eastwest next to DuckDB on the same flow logs in the same run, written by `bash bench/run.sh` "
      "(`bench/run.py`'s docstring says what is measured and why). Lower ratio is better for eastwest; "
      "nothing here is a test.\n")
    w(f"- {started:%Y-%m-%d %H:%M} UTC; {host['cpu']}, {host['nproc']} cores, {host['memory']}; "
      f"{host['os']}; load at start {host['load']}")
    w(f"- {version}, release build (`{rel(binary)}`, {binary.stat().st_size / 2**20:.0f} MiB); "
      f"DuckDB {duckdb.__version__} (Python package), pyarrow {pyarrow.__version__}, Python {platform.python_version()}")
    w(f"- command: `bash bench/run.sh{' --full' if args.full else ''}`\n")
    for section in sections:
        n = section["records"]
        meta = section["meta"]
        w(f"## {n:,} records\n")
        w(f"`eastwest simulate --hosts {meta['hosts']} --days 1 --format v2|v5|parquet --scenario all`: "
          f"{meta.get('text_objects', '?')} gzip objects per text format, {meta.get('parquet_objects', '?')} "
          "Parquet objects (Snappy, one row group each); the one-file inputs hold the same records "
          "(text with one header; Parquet row groups of 1,048,576 rows). "
          f"Best of {section['runs']} wall-clock runs; eastwest as a process (start included), DuckDB in process.\n")
        w("| input | size | question | threads | eastwest | peak memory | M records/s | DuckDB | eastwest / DuckDB |")
        w("|---|---|---|---|---|---|---|---|---|")
        for item, question, threads, e_s, e_mib, d_s in section["table"]:
            rate = n / e_s / 1e6
            w(f"| {item.name} | {item.size / 2**20:,.0f} MiB | {question} | {threads} | {e_s:.3f} s | {e_mib:,.0f} MiB "
              f"| {rate:.1f}{' per core' if threads == 1 else ''} | {d_s:.3f} s | **{e_s / d_s:.2f}** |")
        w("")
        if section["detection"]:
            w("Detection against the bare read of the same S3 flow-log objects, one run each. Detect is `detect "
              "--learn 12h --inventory ...` (`connections`, the baseline from the first 12 hours, every detector); "
              f"the read is `{DETECTION_READ}` (the columns detection reads; a bare `count(*)` of Parquet reads "
              "only footers):\n")
            w("| input | threads | read | peak memory | detect | peak memory | detect / read | findings |")
            w("|---|---|---|---|---|---|---|---|")
            for fmt, threads, r_s, r_mib, d_s, d_mib, findings in section["detection"]:
                w(f"| {fmt} | {threads} | {r_s:.2f} s | {r_mib:,.0f} MiB | {d_s:.2f} s | {d_mib:,.0f} MiB "
                  f"| **{d_s / r_s:.2f}×** | {findings} |")
            w("")
    if mismatches:
        w("**The answers differed:**\n\n```")
        out.extend(mismatches)
        w("```\n")
    else:
        w("eastwest and DuckDB gave the same answer to every question on every input.\n")
    w("The questions, as each ran (`flows` in DuckDB is a view over `read_csv` with the header's field "
      "names and AWS's types, `nullstr '-'`, or over `read_parquet`):\n")
    w("```sql")
    for question, (east_sql, duck_sql) in QUESTIONS.items():
        w(f"-- {question}, eastwest query")
        w(east_sql + ";")
        w(f"-- {question}, DuckDB")
        w(duck_sql + ";")
    w("```\n")
    w(END)
    section_text = "\n".join(out) + "\n"
    text = args.report.read_text() if args.report.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section_text + rest.split(END, 1)[1]
    else:
        text = section_text + "\n" + text
    args.report.write_text(text)
    print(f"wrote {args.report}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
