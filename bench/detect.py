#!/usr/bin/env python3
"""What detection costs: `eastwest detect` against the bare read of the same flow logs, and
DuckDB doing the same one-pass aggregation (per-ENI sums of oriented connections, then the
largest per connection and hour) on the same files, in the same run.

For each size it simulates an estate with `eastwest simulate --hosts N --days 1 --format v2`
(the S3 layout: gzip, five-minute files; about 20,000 records per host and day), then measures
once each (the large sets take minutes):

- eastwest `query "SELECT count(*) FROM flows"`: the bare read, every field of every line
  parsed and checked;
- eastwest `detect --learn 12h --inventory ...`: the read, `connections`, every detector, the
  baseline learned from the first twelve hours; once over the flow logs alone and once over
  every log kind the simulator writes (CloudTrail, Resolver queries, auth and audit logs
  besides), so that the event sources' cost shows;
- DuckDB: `count(*)` and the connections aggregation over `read_csv` of the same gzip files.

Wall-clock seconds and peak resident memory (the child's own, from wait4) are recorded. The
report replaces the section between the detect markers of BENCHMARKS.md and leaves the rest
as `bench/flows.py` wrote it. Needs a release build: `cargo build --release`.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BEGIN = "<!-- bench/detect.py begins: written by it, do not edit by hand -->"
END = "<!-- bench/detect.py ends -->"

DUCKDB_CONNECTIONS = """
WITH f AS (
  SELECT * FROM read_csv('{glob}', delim=' ', header=true, nullstr='-', compression='gzip',
                         union_by_name=true, ignore_errors=true, all_varchar=true)
  WHERE "log-status" = 'OK'
), o AS (
  SELECT ("start"::BIGINT * 1000) - ("start"::BIGINT * 1000) % 3600000 AS window_ms,
         protocol, "interface-id" AS eni, "account-id" AS account,
         srcport::INT < dstport::INT AS server_is_src,
         srcaddr, dstaddr, srcport::INT AS sp, dstport::INT AS dp,
         packets::BIGINT AS packets, bytes::BIGINT AS bytes, action
  FROM f
), per_eni AS (
  SELECT window_ms, protocol, eni,
         CASE WHEN server_is_src THEN dstaddr ELSE srcaddr END AS client,
         CASE WHEN server_is_src THEN srcaddr ELSE dstaddr END AS server,
         CASE WHEN server_is_src THEN sp ELSE dp END AS port,
         count(DISTINCT CASE WHEN server_is_src THEN dp ELSE sp END) AS attempts,
         sum(CASE WHEN server_is_src THEN 0 ELSE packets END) AS packets_out,
         sum(CASE WHEN server_is_src THEN 0 ELSE bytes END) AS bytes_out,
         sum(CASE WHEN server_is_src THEN packets ELSE 0 END) AS packets_in,
         sum(CASE WHEN server_is_src THEN bytes ELSE 0 END) AS bytes_in,
         sum(CASE WHEN action = 'REJECT' THEN 1 ELSE 0 END) AS rejected
  FROM o GROUP BY ALL
)
SELECT count(*) FROM (
  SELECT window_ms, protocol, client, server, port, max(attempts), max(packets_out),
         max(bytes_out), max(packets_in), max(bytes_in), sum(rejected)
  FROM per_eni GROUP BY window_ms, protocol, client, server, port
)
"""


def measure(cmd: list[str]) -> tuple[float, float, str]:
    """Runs a command; wall seconds, its peak RSS in MiB, standard output."""
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed with {status}")
    return seconds, usage.ru_maxrss / 1024, out


def duckdb_run(sql: str, threads: int) -> float:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute(sql).fetchall()
    con.close()
    return time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eastwest", type=Path, default=Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release/eastwest")
    ap.add_argument("--hosts", default="50,500,5000", help="estate sizes (about 20,000 records a host)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--data", type=Path, default=Path("/tmp/eastwest-bench-detect"))
    ap.add_argument("--report", type=Path, default=REPO / "BENCHMARKS.md")
    ap.add_argument("--no-duckdb", action="store_true")
    ap.add_argument("--note", action="append", default=[], help="a sentence added under the table (what was not measured and why)")
    args = ap.parse_args()
    binary = str(args.eastwest)
    rows = []
    for hosts in [int(h) for h in args.hosts.split(",")]:
        out = args.data / f"hosts-{hosts}"
        if not (out / "truth.json").exists():
            print(f"simulating {hosts} hosts into {out}", file=sys.stderr)
            subprocess.run([binary, "--quiet", "simulate", "--out", str(out), "--hosts", str(hosts),
                            "--days", "1", "--format", "v2", "--scenario", "all"], check=True,
                           stdout=subprocess.DEVNULL)
        flows = out / "logs/AWSLogs"
        flow_dir = next((flows).glob("*/vpcflowlogs"))
        common = [binary, "--threads", str(args.threads), "--quiet"]
        read_s, read_mib, count = measure(common + ["query", "--format", "csv", "SELECT count(*) AS n FROM flows", str(flow_dir)])
        records = int(count.strip().splitlines()[-1])
        detect_s, detect_mib, findings = measure(common + ["detect", "--learn", "12h", "--format", "json",
                                                           "--inventory", str(out / "inventory"), str(flow_dir)])
        all_s, all_mib, all_findings = measure(common + ["detect", "--learn", "12h", "--format", "json",
                                                         "--inventory", str(out / "inventory"), str(out / "logs")])
        _, _, events = measure(common + ["query", "--format", "csv",
                                         "SELECT (SELECT count(*) FROM cloudtrail) + (SELECT count(*) FROM dns) "
                                         "+ (SELECT count(*) FROM ssh) + (SELECT count(*) FROM process) "
                                         "+ (SELECT count(*) FROM audit) AS n", str(out / "logs")])
        event_rows = int(events.strip().splitlines()[-1])
        duck_count = duck_conn = None
        if not args.no_duckdb:
            glob = f"{flow_dir}/**/*.log.gz"
            duck_count = duckdb_run(f"SELECT count(*) FROM read_csv('{glob}', delim=' ', header=true, compression='gzip', all_varchar=true)", args.threads)
            duck_conn = duckdb_run(DUCKDB_CONNECTIONS.format(glob=glob), args.threads)
        rows.append((hosts, records, read_s, read_mib, detect_s, detect_mib, len(findings.splitlines()), duck_count, duck_conn,
                     event_rows, all_s, all_mib, len(all_findings.splitlines())))
        print(f"{hosts} hosts, {records} records: read {read_s:.1f} s {read_mib:.0f} MiB; detect {detect_s:.1f} s {detect_mib:.0f} MiB; "
              f"DuckDB count {duck_count} s, connections {duck_conn} s", file=sys.stderr)

    lines = [BEGIN, "", "## Detection: `eastwest detect` against the bare read", "",
             f"Written by `python3 bench/detect.py` on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, "
             f"{args.threads} threads, `{binary}`. Simulated estates (`eastwest simulate --hosts N --days 1 --format v2 --scenario all`: "
             "gzip S3 layout); each command run once. *detect* reads the records once into `connections` (oriented, "
             "deduplicated across ENIs, per hour, both sides named through the inventory), learns the baseline from "
             "the first 12 hours and runs every detector. DuckDB runs `count(*)` and the same per-ENI then per-connection "
             "aggregation (without orientation by flags, asset names or detectors) over `read_csv` of the same files. "
             "*detect, every kind* runs the same over the simulator's CloudTrail, Resolver query, auth and audit logs "
             "as well (each event table read once, every event detector over it, the activity baseline learned).", "",
             "| hosts | records | eastwest read | eastwest detect | detect / read | peak memory read / detect | findings | DuckDB count | DuckDB connections aggregation | event rows | detect, every kind | peak memory | findings |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for (hosts, records, read_s, read_mib, detect_s, detect_mib, findings, duck_count, duck_conn,
         event_rows, all_s, all_mib, all_findings) in rows:
        duck = lambda s: f"{s:.2f} s" if s is not None else "-"
        lines.append(f"| {hosts} | {records:,} | {read_s:.2f} s | {detect_s:.2f} s | {detect_s / read_s:.2f}× | "
                     f"{read_mib:.0f} / {detect_mib:.0f} MiB | {findings} | {duck(duck_count)} | {duck(duck_conn)} | "
                     f"{event_rows:,} | {all_s:.2f} s | {all_mib:.0f} MiB | {all_findings} |")
    lines += [""] + [f"- {note}" for note in args.note] + ["", END, ""]
    section = "\n".join(lines)
    text = args.report.read_text() if args.report.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section
    args.report.write_text(text)
    print(f"wrote {args.report}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
