#!/usr/bin/env python3
"""Deterministic synthetic AWS VPC Flow Logs (default format, version 2).

Writes space-separated default-format lines

    version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status

as plain text (`--out FILE`), gzip (`--out FILE --gzip`) and/or Parquet shaped like AWS's
Parquet delivery (`--parquet FILE`: `_` column names, INT32/INT64/STRING), all from the same
records. The same `--records` and `--seed` always give the same bytes (for a given Python and
pyarrow; the randomness is a seeded `random.Random`).

The mix is meant to look like one busy VPC for a day, not to be statistically faithful:

* a /16 VPC (10.20.0.0/16) with a few hundred hosts, each with its own ENI;
* internal client -> server flows on common service ports (443, 80, 22, 5432, 3306, 6379, 53,
  ...) from ephemeral source ports, plus the reverse direction of some of them;
* outbound flows to, and inbound flows from, internet addresses (inbound noise on 22/23/445/3389
  is mostly rejected);
* three internal scanners (a compromised host looks like this) hitting many distinct ports,
  mostly REJECT — about 5% of all records are REJECT;
* some ICMP, some dual-stack IPv6 traffic;
* about 0.1% NODATA / SKIPDATA records (`2 ACCOUNT eni-x - - - - - - - START END - NODATA`);
* start/end are epoch seconds within one UTC day (2026-11-22), end - start <= 600.

Speed: records are drawn from a pool of "conversations" (at most 200,000, built one by one in
Python) and per record only indices and numbers are drawn in bulk; the text and Parquet are
written by pyarrow in batches. 5,000,000 records take a few tens of seconds.

Usage:
    python3 bench/gen_flows.py --records 5000000 --out flows.log [--gzip] [--parquet flows.parquet] [--seed 1]
"""

from __future__ import annotations

import argparse
import calendar
import ipaddress
import random
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ACCOUNT = "123456789012"
DAY_START = calendar.timegm((2026, 11, 22, 0, 0, 0))
DAY_SECONDS = 86_400
CHUNK = 250_000
POOL_MAX = 200_000
GAP_SHARE = 0.001

# The AWS Parquet schema of the default-format fields.
SCHEMA = pa.schema(
    [
        ("version", pa.int32()),
        ("account_id", pa.string()),
        ("interface_id", pa.string()),
        ("srcaddr", pa.string()),
        ("dstaddr", pa.string()),
        ("srcport", pa.int32()),
        ("dstport", pa.int32()),
        ("protocol", pa.int32()),
        ("packets", pa.int64()),
        ("bytes", pa.int64()),
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("action", pa.string()),
        ("log_status", pa.string()),
    ]
)

TCP, UDP, ICMP = 6, 17, 1

# (port, protocol, weight) of the internal services clients talk to.
SERVICES = [
    (443, TCP, 30),
    (80, TCP, 10),
    (5432, TCP, 12),
    (3306, TCP, 6),
    (6379, TCP, 10),
    (53, UDP, 14),
    (22, TCP, 4),
    (8080, TCP, 5),
    (9200, TCP, 3),
    (2049, TCP, 2),
    (123, UDP, 2),
    (27017, TCP, 2),
]

# Conversation kinds and their share of the pool.
KINDS = [
    ("internal", 70),
    ("outbound", 10),
    ("inbound", 10),
    ("scan", 2),
    ("icmp", 2),
    ("ipv6", 6),
]


class Vpc:
    """The hosts, servers and outside addresses the conversations are drawn from."""

    def __init__(self, rng: random.Random, hosts: int = 320) -> None:
        self.hosts = []
        seen = set()
        while len(self.hosts) < hosts:
            addr = f"10.20.{rng.randrange(0, 16)}.{rng.randrange(4, 251)}"
            if addr not in seen:
                seen.add(addr)
                self.hosts.append(addr)
        self.eni = {h: "eni-%017x" % rng.getrandbits(68) for h in self.hosts}
        self.eni["10.20.0.2"] = "eni-%017x" % rng.getrandbits(68)  # the VPC resolver
        # Servers per service port: a few hosts each.
        self.servers = {}
        for port, _, _ in SERVICES:
            self.servers[port] = rng.sample(self.hosts, 3 if port != 443 else 12)
        self.servers[53] = ["10.20.0.2"]
        self.servers[123] = ["10.20.0.2"]
        self.bastion = rng.choice(self.hosts)
        self.scanners = rng.sample(self.hosts, 3)
        self.public4 = [self._public_ipv4(rng) for _ in range(400)]
        # Dual-stack hosts and internet IPv6 peers.
        prefix = int(ipaddress.IPv6Address("2600:1f18:4a3:6f00::"))
        self.v6_hosts = {}
        for h in rng.sample(self.hosts, 40):
            subnet = rng.randrange(0, 16) << 64
            self.v6_hosts[h] = str(ipaddress.IPv6Address(prefix | subnet | rng.getrandbits(64)))
        peers = ["2607:f8b0:4004:c1b::", "2a03:2880:f12f:83::", "2606:4700:3033::", "2001:4860:4802:32::"]
        self.public6 = [
            str(ipaddress.IPv6Address(int(ipaddress.IPv6Address(rng.choice(peers))) | rng.getrandbits(16)))
            for _ in range(60)
        ]

    @staticmethod
    def _public_ipv4(rng: random.Random) -> str:
        first = rng.choice([3, 13, 18, 23, 34, 35, 44, 52, 54, 99, 104, 142, 151, 157, 172, 185, 198, 203])
        second = rng.randrange(0, 256)
        if first == 172:
            second = rng.randrange(64, 256)  # not 172.16.0.0/12
        return f"{first}.{second}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"


def _ephemeral(rng: random.Random) -> int:
    return rng.randrange(32768, 61000)


def build_pool(rng: random.Random, vpc: Vpc, size: int):
    """Conversations: (eni, src, dst, srcport, dstport, protocol, action, max packets, max bytes/packet)."""
    kinds = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS], k=size)
    services = [(p, proto) for p, proto, _ in SERVICES]
    service_weights = [w for _, _, w in SERVICES]
    scanner_weights = [3, 2, 1]
    pool = []
    for kind in kinds:
        if kind == "internal":
            port, proto = rng.choices(services, weights=service_weights)[0]
            server = rng.choice(vpc.servers[port])
            client = vpc.bastion if port == 22 and rng.random() < 0.8 else rng.choice(vpc.hosts)
            if client == server:
                client = rng.choice(vpc.hosts)
            action = "REJECT" if rng.random() < 0.02 else "ACCEPT"
            sport = _ephemeral(rng)
            if action == "ACCEPT" and rng.random() < 0.3:  # the server's side of the conversation
                pool.append((vpc.eni[server], server, client, port, sport, proto, action, 5000, 1500))
            else:
                eni = vpc.eni[client] if rng.random() < 0.5 else vpc.eni[server]
                cap = 3 if action == "REJECT" else 5000
                pool.append((eni, client, server, sport, port, proto, action, cap, 1500))
        elif kind == "outbound":
            client = rng.choice(vpc.hosts)
            port, proto = rng.choices([(443, TCP), (80, TCP), (123, UDP), (53, UDP)], weights=[80, 10, 5, 5])[0]
            peer = rng.choice(vpc.public4)
            sport = _ephemeral(rng)
            if rng.random() < 0.4:
                pool.append((vpc.eni[client], peer, client, port, sport, proto, "ACCEPT", 20000, 1500))
            else:
                pool.append((vpc.eni[client], client, peer, sport, port, proto, "ACCEPT", 2000, 1500))
        elif kind == "inbound":
            peer = rng.choice(vpc.public4)
            if rng.random() < 0.8:
                port = rng.choice([443, 443, 443, 80])
                server = rng.choice(vpc.servers[port])
                pool.append((vpc.eni[server], peer, server, _ephemeral(rng), port, TCP, "ACCEPT", 3000, 1500))
            else:  # internet noise at management ports, rejected by security groups
                port = rng.choice([22, 23, 445, 3389, 1433, 8443])
                host = rng.choice(vpc.hosts)
                pool.append((vpc.eni[host], peer, host, _ephemeral(rng), port, TCP, "REJECT", 2, 60))
        elif kind == "scan":
            scanner = rng.choices(vpc.scanners, weights=scanner_weights)[0]
            target = rng.choice(vpc.hosts)
            port = rng.randrange(1, 1025) if rng.random() < 0.6 else rng.randrange(1025, 65536)
            action = "REJECT" if rng.random() < 0.9 else "ACCEPT"
            eni = vpc.eni[target] if rng.random() < 0.7 else vpc.eni[scanner]
            pool.append((eni, scanner, target, _ephemeral(rng), port, TCP, action, 2, 60))
        elif kind == "icmp":
            a, b = rng.sample(vpc.hosts, 2)
            action = "REJECT" if rng.random() < 0.1 else "ACCEPT"
            pool.append((vpc.eni[b], a, b, 0, 0, ICMP, action, 20, 84))
        else:  # ipv6
            host = rng.choice(list(vpc.v6_hosts))
            peer = rng.choice(vpc.public6)
            sport = _ephemeral(rng)
            if rng.random() < 0.5:
                pool.append((vpc.eni[host], vpc.v6_hosts[host], peer, sport, 443, TCP, "ACCEPT", 2000, 1500))
            else:
                pool.append((vpc.eni[host], peer, vpc.v6_hosts[host], 443, sport, TCP, "ACCEPT", 20000, 1500))
    columns = list(zip(*pool))
    return {
        "interface_id": pa.array(columns[0], pa.string()),
        "srcaddr": pa.array(columns[1], pa.string()),
        "dstaddr": pa.array(columns[2], pa.string()),
        "srcport": pa.array(columns[3], pa.int32()),
        "dstport": pa.array(columns[4], pa.int32()),
        "protocol": pa.array(columns[5], pa.int32()),
        "action": pa.array(columns[6], pa.string()),
        "max_packets": pa.array(columns[7], pa.int64()),
        "max_bpp": pa.array(columns[8], pa.int64()),
    }


def generate(records: int, seed: int = 1):
    """Yields pyarrow Tables (schema SCHEMA) holding `records` records in all."""
    rng = random.Random(seed)
    vpc = Vpc(rng)
    pool = build_pool(rng, vpc, max(1, min(records, POOL_MAX)))
    pool_range = range(len(pool["srcaddr"]))
    # Coverage gaps: exact count, alternating NODATA / SKIPDATA, at random positions.
    gaps = round(records * GAP_SHARE)
    if records >= 20:
        gaps = max(gaps, 2)
    gap_positions = sorted(rng.sample(range(records), gaps)) if gaps else []
    gap_status = {p: ("NODATA", "SKIPDATA")[i % 2] for i, p in enumerate(gap_positions)}
    # Value tables drawn from per record with random.choices (one C-speed loop per column).
    packet_values = [max(1, min(100_000, int(rng.lognormvariate(2.0, 1.6)))) for _ in range(4096)]
    durations = list(range(0, 61)) * 8 + list(range(0, 601))  # mostly the 1-minute interval
    starts = range(DAY_START, DAY_START + DAY_SECONDS - 600)
    bpp = range(40, 1501)

    done = 0
    while done < records:
        n = min(CHUNK, records - done)
        idx = pa.array(rng.choices(pool_range, k=n), pa.int64())
        start = pa.array(rng.choices(starts, k=n), pa.int64())
        end = pc.add(start, pa.array(rng.choices(durations, k=n), pa.int64()))
        packets = pc.min_element_wise(
            pa.array(rng.choices(packet_values, k=n), pa.int64()), pc.take(pool["max_packets"], idx)
        )
        nbytes = pc.multiply(
            packets, pc.min_element_wise(pa.array(rng.choices(bpp, k=n), pa.int64()), pc.take(pool["max_bpp"], idx))
        )
        status = ["OK"] * n
        gap = [False] * n
        for p in gap_positions:  # few; fine to scan
            if done <= p < done + n:
                status[p - done] = gap_status[p]
                gap[p - done] = True
        gap_mask = pa.array(gap, pa.bool_())

        def traffic(col: pa.Array) -> pa.Array:
            """The column with nulls where the record is a coverage gap (`-` in text)."""
            if not gaps:
                return col
            return pc.if_else(gap_mask, pa.scalar(None, col.type), col)

        yield pa.table(
            [
                pa.array([2] * n, pa.int32()),
                pa.array([ACCOUNT] * n, pa.string()),
                pc.take(pool["interface_id"], idx),
                traffic(pc.take(pool["srcaddr"], idx)),
                traffic(pc.take(pool["dstaddr"], idx)),
                traffic(pc.take(pool["srcport"], idx)),
                traffic(pc.take(pool["dstport"], idx)),
                traffic(pc.take(pool["protocol"], idx)),
                traffic(packets),
                traffic(nbytes),
                start,
                end,
                traffic(pc.take(pool["action"], idx)),
                pa.array(status, pa.string()),
            ],
            schema=SCHEMA,
        )
        done += n


TEXT_OPTIONS = pacsv.WriteOptions(include_header=False, delimiter=" ", null_string="-", quoting_style="none")


def to_text(table: pa.Table) -> bytes:
    """Default-format lines for the records of `table`."""
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, write_options=TEXT_OPTIONS)
    return sink.getvalue().to_pybytes()


class GzipFile:
    """A gzip file written with zlib at level 6 (Python's gzip module defaults to the slow 9)."""

    def __init__(self, path: str) -> None:
        self.f = open(path, "wb")
        self.z = zlib.compressobj(6, zlib.DEFLATED, 31)

    def write(self, data: bytes) -> None:
        self.f.write(self.z.compress(data))

    def close(self) -> None:
        self.f.write(self.z.flush())
        self.f.close()


def write(
    records: int,
    seed: int = 1,
    text: str | None = None,
    gzip_text: str | None = None,
    parquet: str | None = None,
    parquet_compression: str = "gzip",
) -> None:
    """Writes the same records to any of: plain text, gzip text, Parquet."""
    plain = open(text, "wb") if text else None
    gz = GzipFile(gzip_text) if gzip_text else None
    pw = None
    if parquet:
        # pyarrow's gzip default level (9) is several times slower than 6 for a 0.2% smaller file.
        level = 6 if parquet_compression == "gzip" else None
        pw = pq.ParquetWriter(parquet, SCHEMA, compression=parquet_compression, compression_level=level)
    # zlib releases the GIL: compress the previous batch on a second thread while generating.
    compressor = ThreadPoolExecutor(max_workers=1) if gz else None
    pending = None
    try:
        for table in generate(records, seed):
            if plain or gz:
                data = to_text(table)
                if plain:
                    plain.write(data)
                if gz:
                    if pending:
                        pending.result()
                    pending = compressor.submit(gz.write, data)
            if pw:
                # Row groups of up to 128 Ki rows, so a 1M-record file has several to read in parallel.
                pw.write_table(table, row_group_size=131_072)
        if pending:
            pending.result()
    finally:
        if compressor:
            compressor.shutdown()
        if plain:
            plain.close()
        if gz:
            gz.close()
        if pw:
            pw.close()


# The same records as DuckDB reads them: the AWS Parquet names and types, `-` as null, no quoting.
DUCKDB_TEXT_COLUMNS = (
    "{'version': 'INTEGER', 'account_id': 'VARCHAR', 'interface_id': 'VARCHAR', "
    "'srcaddr': 'VARCHAR', 'dstaddr': 'VARCHAR', 'srcport': 'INTEGER', 'dstport': 'INTEGER', "
    "'protocol': 'INTEGER', 'packets': 'BIGINT', 'bytes': 'BIGINT', 'start': 'BIGINT', "
    "'end': 'BIGINT', 'action': 'VARCHAR', 'log_status': 'VARCHAR'}"
)


def duckdb_source(path: str) -> str:
    """A DuckDB table expression reading `path`: read_parquet for .parquet, else read_csv
    (compression from the name, so .gz is gunzipped)."""
    quoted = "'" + str(path).replace("'", "''") + "'"
    if str(path).endswith(".parquet"):
        return f"read_parquet({quoted})"
    return (
        f"read_csv({quoted}, delim = ' ', header = false, columns = {DUCKDB_TEXT_COLUMNS}, "
        "nullstr = '-', quote = '', escape = '', auto_detect = false, compression = 'auto')"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, required=True, help="number of records (lines), coverage gaps included")
    ap.add_argument("--out", help="default-format text file to write")
    ap.add_argument("--gzip", action="store_true", help="gzip the --out file")
    ap.add_argument("--parquet", help="also write the same records as AWS-shaped Parquet")
    ap.add_argument("--parquet-compression", default="gzip", choices=["gzip", "snappy"])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if not args.out and not args.parquet:
        ap.error("nothing to write: give --out and/or --parquet")
    write(
        args.records,
        args.seed,
        text=None if args.gzip else args.out,
        gzip_text=args.out if args.gzip else None,
        parquet=args.parquet,
        parquet_compression=args.parquet_compression,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
