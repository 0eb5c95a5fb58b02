#!/usr/bin/env python3
"""Benchmark: how fast eastwest reads the event logs (CloudTrail, sshd, auditd), next to DuckDB.

What it measures, and why:

* CloudTrail as S3 delivers it: gzip files of `{"Records": [...]}`, here 200 files of 5,000
  events (1,000,000 events). Two questions: `count(*)`, and "API calls per event name from the
  most source addresses" (every event's name and address parsed). eastwest runs with
  `--threads 1` (events per second per core) and `--threads 2`; DuckDB's `read_json` over the
  same files with `SET threads` 1 and 2, unnesting `Records`. Answers are compared; a mismatch is
  printed and makes the exit status 1.
* sshd and auditd: 1,000,000 lines of each (an auth log of logins, failures and sudo; an audit
  log of executions, five records per event), `count(*)` of the `ssh` and `process` tables.
  Lines per second is the number; DuckDB has no parser for these formats, so there is no peer.

How: wall-clock time, best of --runs (3), eastwest as a subprocess (process start included),
DuckDB in this process with a fresh connection per run. Each input is read once untimed first
(warm page cache). Nothing asserts on timings; the numbers go to the report section
"Event logs" of BENCHMARKS.md (replaced in place; the rest of the file is kept).

Usage:
    python3 bench/events.py [--eastwest PATH] [--events N] [--lines N] [--runs 3] [--report FILE]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data"
START = "### Event logs"
END = "<!-- end of event logs -->"

NAMES = ["GetObject", "PutObject", "DescribeInstances", "AssumeRole", "ListBuckets",
         "GetCallerIdentity", "RunInstances", "SendCommand", "GetParameter", "Decrypt"]
SOURCES = ["s3.amazonaws.com", "ec2.amazonaws.com", "sts.amazonaws.com", "ssm.amazonaws.com",
           "kms.amazonaws.com"]


def trail_files(events: int, per_file: int, seed: int = 7) -> Path:
    """Writes (once) CloudTrail S3 deliveries with `events` events in total."""
    folder = DATA / f"cloudtrail-{events}"
    marker = folder / "done.json"
    if marker.exists() and json.loads(marker.read_text()) == {"events": events, "seed": seed}:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json.gz"):
        old.unlink()
    rng = random.Random(seed)
    base = 1_795_430_400  # 2026-11-23T00:00:00Z
    for f in range(0, events, per_file):
        records = []
        for i in range(f, min(events, f + per_file)):
            t = base + i // 20
            instance = f"i-{rng.getrandbits(68):017x}"
            role = rng.random() < 0.6
            identity = (
                {"type": "AssumedRole", "principalId": f"AROAEXAMPLE:{instance}",
                 "arn": f"arn:aws:sts::111122223333:assumed-role/app-role/{instance}",
                 "accountId": "111122223333", "accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
                 "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/app-role",
                                                      "userName": "app-role"},
                                    "attributes": {"creationDate": "2026-11-23T00:00:00Z", "mfaAuthenticated": "false"}}}
                if role else
                {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::111122223333:user/alice",
                 "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLE", "userName": "alice"}
            )
            records.append({
                "eventVersion": "1.08", "userIdentity": identity,
                "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
                "eventSource": rng.choice(SOURCES), "eventName": rng.choice(NAMES),
                "awsRegion": "us-east-1", "sourceIPAddress": f"10.40.{rng.randrange(4)}.{rng.randrange(1, 255)}",
                "userAgent": "aws-cli/2.15.0 Python/3.11",
                "requestParameters": {"bucketName": "reports", "key": f"k/{rng.getrandbits(48):012x}"},
                "responseElements": None, "requestID": f"{rng.getrandbits(64):016X}",
                "eventID": f"{rng.getrandbits(128):032x}", "readOnly": True, "eventType": "AwsApiCall",
                "managementEvent": False, "recipientAccountId": "111122223333", "eventCategory": "Data",
            })
        name = f"111122223333_CloudTrail_us-east-1_20261123T{(f // per_file) % 24:02d}00Z_{f:08d}.json.gz"
        with gzip.open(folder / name, "wt", compresslevel=6) as out:
            json.dump({"Records": records}, out, separators=(",", ":"))
    marker.write_text(json.dumps({"events": events, "seed": seed}))
    return folder


def host_logs(lines: int, seed: int = 8) -> tuple[Path, Path]:
    """Writes (once) an auth log and an audit log of about `lines` lines each."""
    folder = DATA / f"hostlogs-{lines}"
    secure = folder / "hosts" / "ip-10-40-0-5" / "var" / "log" / "secure"
    audit = folder / "hosts" / "ip-10-40-0-5" / "var" / "log" / "audit" / "audit.log"
    marker = folder / "done.json"
    if marker.exists() and json.loads(marker.read_text()) == {"lines": lines, "seed": seed}:
        return secure, audit
    secure.parent.mkdir(parents=True, exist_ok=True)
    audit.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    with open(secure, "w") as out:
        for i in range(lines):
            s = i // 50
            stamp = f"Nov 23 {(s // 3600) % 24:02d}:{(s // 60) % 60:02d}:{s % 60:02d}"
            ip = f"10.40.{rng.randrange(4)}.{rng.randrange(1, 255)}"
            kind = rng.random()
            if kind < 0.4:
                msg = f"sshd[{rng.randrange(2000, 60000)}]: Failed password for invalid user u{rng.randrange(999)} from {ip} port {rng.randrange(1024, 65535)} ssh2"
            elif kind < 0.7:
                msg = f"sshd[{rng.randrange(2000, 60000)}]: Accepted publickey for ec2-user from {ip} port {rng.randrange(1024, 65535)} ssh2: ED25519 SHA256:{rng.getrandbits(128):032x}"
            elif kind < 0.9:
                msg = f"sshd[{rng.randrange(2000, 60000)}]: pam_unix(sshd:session): session opened for user ec2-user(uid=1000) by (uid=0)"
            else:
                msg = f"sudo[{rng.randrange(2000, 60000)}]:  ec2-user : TTY=pts/0 ; PWD=/home/ec2-user ; USER=root ; COMMAND=/usr/bin/systemctl restart app"
            out.write(f"{stamp} ip-10-40-0-5 {msg}\n")
    with open(audit, "w") as out:
        serial = 1000
        written = 0
        while written < lines:
            serial += 1
            stamp = f"audit({1795430400 + serial // 10}.{serial % 1000:03d}:{serial})"
            comm = rng.choice(["ls", "curl", "python3", "bash", "cat"])
            out.write(f"type=SYSCALL msg={stamp}: arch=c000003e syscall=59 success=yes exit=0 a0=55 a1=56 a2=57 a3=0 items=2 ppid={rng.randrange(1, 9999)} pid={rng.randrange(1, 99999)} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"{comm}\" exe=\"/usr/bin/{comm}\" key=(null)\n")
            out.write(f"type=EXECVE msg={stamp}: argc=3 a0=\"{comm}\" a1=\"-l\" a2=\"/tmp/{rng.getrandbits(32):08x}\"\n")
            out.write(f"type=CWD msg={stamp}: cwd=\"/home/ec2-user\"\n")
            out.write(f"type=PATH msg={stamp}: item=0 name=\"/usr/bin/{comm}\" inode=123 dev=ca:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n")
            out.write(f"type=PROCTITLE msg={stamp}: proctitle=6C73002D6C\n")
            written += 5
    marker.write_text(json.dumps({"lines": lines, "seed": seed}))
    return secure, audit


def eastwest(binary: str, threads: int, sql: str, path: Path) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run([binary, "--quiet", "--threads", str(threads), "query", "--format", "csv", sql, str(path)],
                         capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"eastwest failed: {out.stderr}")
    return elapsed, out.stdout.strip().splitlines()[1:]


def duck(threads: int, sql: str) -> tuple[float, list[str]]:
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = false")
    start = time.perf_counter()
    rows = con.execute(sql).fetchall()
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed, [",".join(str(v) for v in row) for row in rows]


def best(runs: int, f):
    results = [f() for _ in range(runs)]
    return min(r[0] for r in results), results[0][1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eastwest", default=str(REPO / "target" / "release" / "eastwest"))
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--report", default=str(REPO / "BENCHMARKS.md"))
    args = parser.parse_args()

    t0 = time.perf_counter()
    trail = trail_files(args.events, 5000)
    secure, audit = host_logs(args.lines)
    print(f"data ready in {time.perf_counter() - t0:.1f} s", flush=True)
    trail_glob = str(trail / "*.json.gz")
    trail_bytes = sum(p.stat().st_size for p in trail.glob("*.json.gz"))
    # Each file is one JSON object of about 4.5 MB; DuckDB's limit is raised to 64 MB (with
    # 1 GB it tried to allocate buffers of that size per thread and ran out of memory).
    duck_from = f"(SELECT unnest(Records) AS r FROM read_json('{trail_glob}', maximum_object_size=67108864))"
    questions = [
        ("count", "SELECT count(*) AS n FROM cloudtrail",
         f"SELECT count(*) FROM {duck_from}"),
        ("names by addresses",
         "SELECT event_name, count(DISTINCT source_ip) AS ips, count(*) AS n FROM cloudtrail GROUP BY event_name ORDER BY ips DESC, n DESC, event_name LIMIT 5",
         f"SELECT r.eventName, count(DISTINCT r.sourceIPAddress) AS ips, count(*) AS n FROM {duck_from} GROUP BY 1 ORDER BY ips DESC, n DESC, 1 LIMIT 5"),
    ]
    mismatch = False
    rows = []
    # Warm the page cache.
    eastwest(args.eastwest, 2, questions[0][1], trail)
    for label, ours, theirs in questions:
        for threads in (1, 2):
            e_time, e_rows = best(args.runs, lambda: eastwest(args.eastwest, threads, ours, trail))
            d_time, d_rows = best(args.runs, lambda: duck(threads, theirs))
            if e_rows != d_rows:
                mismatch = True
                print(f"MISMATCH {label}: eastwest {e_rows} DuckDB {d_rows}", flush=True)
            rows.append((f"CloudTrail gzip, {label}", threads, e_time, d_time, args.events))
            print(f"{label:20} threads={threads}: eastwest {e_time:.3f} s, DuckDB {d_time:.3f} s", flush=True)
    host = []
    for label, sql, path in [("sshd (auth log)", "SELECT count(*) FROM ssh", secure),
                             ("auditd (5 records per execution)", "SELECT count(*) FROM process", audit)]:
        eastwest(args.eastwest, 1, sql, path)
        e_time, e_rows = best(args.runs, lambda: eastwest(args.eastwest, 1, sql, path))
        host.append((label, e_time, e_rows))
        print(f"{label}: {e_time:.3f} s, rows {e_rows}", flush=True)

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [START, "",
             f"`python3 bench/events.py` on {platform.machine()}, {os.cpu_count()} cores, load {load} at the start; "
             f"eastwest `{args.eastwest}`, DuckDB {duckdb.__version__}; best of {args.runs}, process start included.",
             "",
             f"CloudTrail: {args.events:,} events in {len(list(trail.glob('*.json.gz')))} gzip S3 deliveries "
             f"({trail_bytes / 1e6:.1f} MB compressed). DuckDB: `read_json` (schema auto-detected, "
             "`maximum_object_size` 64 MB) and `unnest(Records)`. eastwest parses every field of every event "
             "into its typed columns.",
             "",
             "| question | threads | eastwest s | events/s | DuckDB s | events/s | eastwest / DuckDB |",
             "|---|---|---|---|---|---|---|"]
    for label, threads, e, d, n in rows:
        lines.append(f"| {label} | {threads} | {e:.3f} | {n / e:,.0f} | {d:.3f} | {n / d:,.0f} | {e / d:.2f} |")
    lines += ["", "Host logs (no peer: DuckDB has no reader for these formats), one thread:", "",
              "| log | lines | seconds | lines/s | rows |", "|---|---|---|---|---|"]
    for label, e, r in host:
        lines.append(f"| {label} | {args.lines:,} | {e:.3f} | {args.lines / e:,.0f} | {r[0] if r else '?'} |")
    lines += ["", END]
    section = "\n".join(lines)
    report = Path(args.report)
    text = report.read_text() if report.exists() else ""
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    report.write_text(text)
    print(f"report: {report}")
    return 1 if mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
