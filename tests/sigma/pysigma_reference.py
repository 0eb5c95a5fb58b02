#!/usr/bin/env python3
"""Reference matches of Sigma rules on eastwest rows, computed with pySigma, to compare with
the SQL that crates/sigma (eastwest-sigma) compiles.

Usage:
    pip install -r tests/sigma/requirements.txt
    python3 tests/sigma/pysigma_reference.py --rules DIR \
        --mapping crates/sigma/mappings/cloudtrail.toml --events events.jsonl --table cloudtrail

What it does:
  1. Reads the mapping TOML (the same file the Rust crate embeds) and takes the `[[mapping]]`
     entries whose `table` is --table.
  2. Loads events.jsonl (one JSON object per row, with eastwest's column names, as
     `eastwest query --format json "SELECT * FROM <table>" FILES` prints them) into an in-memory
     SQLite table `events`; list columns are stored as JSON text.
  3. Builds a SQLite view `sigma_view` over it: every column, plus one computed column for each
     mapped field that is not a plain text column (an SQL expression such as
     `rtrim(query_name, '.')`, a list column, a key inside JSON text). The expressions are the
     mapping's own SQL, run in SQLite with small Python stand-ins for DataFusion's
     `array_to_string`, `array_element` and `array_length`.
  4. Converts every rule under --rules (*.yml, *.yaml, recursively, sorted) with pySigma's SQLite
     backend through a processing pipeline whose only step is a FieldMappingTransformation built
     from the mapping: Sigma field -> column (or computed column) of `sigma_view`.
  5. Runs each query and prints one JSON line per rule:
       {"rule": "<id>", "matches": [[source_file, source_line, source_event], ...]}
     or {"rule": "<id>", "unsupported": "<reason>"}. The id is the rule's `id`, else its file
     name without extension, as in the Rust crate.

Known differences from eastwest-sigma's SQL (so a diff between the two is read correctly):
  - List columns (`type = "list"`: dns answers, process argv) are flattened here to their
    elements joined by single spaces and matched as text. eastwest-sigma pads the joined text
    with a space on each side and matches a value against whole elements, so here a plain value
    only matches a one-element list, while there it matches any element.
  - JSON keys (`"requestParameters.*"`): here the JSON is parsed and the first value found under
    the key (at any depth, depth-first, as text; booleans as true/false) is matched exactly as
    Sigma says. eastwest-sigma uses a regular expression over the JSON text, which also matches
    a later occurrence of the key and does not decode JSON escapes.
  - Regular expressions run with Python's `re` here and Rust's `regex` in DataFusion; their
    syntaxes differ at the edges (eastwest-sigma refuses patterns Rust cannot compile).
  - Case-insensitive equality uses SQLite's NOCASE collation (ASCII only); eastwest-sigma uses
    `lower()` and ILIKE (Unicode).
  - Modifiers or conditions that one side refuses and the other translates show up as
    "unsupported" on one side only (pySigma translates base64, windash and more; the SQLite
    backend refuses `cidr` on nothing, eastwest-sigma refuses IPv6 and prefixes under /8).
"""

import argparse
import json
import re
import sqlite3
import sys
import tomllib
from pathlib import Path

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldMappingTransformation
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule

PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def load_mappings(path, table):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    found = [m for m in data.get("mapping", []) if m.get("table") == table]
    if not found:
        sys.exit(f"{path}: no [[mapping]] with table = {table!r}")
    return found


def fit(mapping, logsource):
    """How well a mapping serves a rule's logsource: None if not, else the number of parts
    the mapping sets that the rule leaves open. The same rule as Mappings::for_logsource."""
    extra = 0
    mine = mapping.get("logsource", {})
    for key in ("product", "service", "category"):
        m, t = mine.get(key), getattr(logsource, key, None)
        if m is not None and t is not None:
            if m.lower() != t.lower():
                return None
        elif m is not None:
            extra += 1
        elif t is not None:
            return None
    return extra


def field_def(mapping, name):
    """(kind, sql) for a Sigma field: kind is text/int/bool/list/json_key; None if unmapped."""
    fields = mapping.get("fields", {})
    raw = fields.get(name)
    if raw is None:
        for k, v in fields.items():
            if not k.endswith(".*") and k.lower() == name.lower():
                raw = v
                break
    if raw is not None:
        if isinstance(raw, str):
            return ("text", raw)
        if "json" in raw:
            return ("text", raw["json"])
        return (raw.get("type", "text"), raw["sql"])
    for k, v in fields.items():
        if k.endswith("*") and name.startswith(k[:-1]) and isinstance(v, dict) and "json" in v:
            key = name[len(k) - 1 :].rsplit(".", 1)[-1]
            if key:
                return ("json_key", (v["json"], key))
    return None


def rule_fields(detection):
    for item in detection.detection_items:
        if isinstance(item, SigmaDetection):
            yield from rule_fields(item)
        elif isinstance(item, SigmaDetectionItem):
            yield item.field


# Stand-ins for DataFusion functions the mapping expressions use, over JSON-text lists.
def _list(text):
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def array_to_string(text, sep):
    items = _list(text)
    return None if items is None else sep.join("" if i is None else str(i) for i in items)


def array_element(text, index):
    items = _list(text)
    if items is None or index is None or not 1 <= index <= len(items):
        return None
    return items[index - 1]


def array_length(text):
    items = _list(text)
    return None if items is None else len(items)


def json_key(text, key):
    """The first value under `key` at any depth of the JSON text, as text."""
    if text is None:
        return None
    try:
        stack = [json.loads(text)]
    except ValueError:
        return None
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if key in node and not isinstance(node[key], (dict, list)):
                v = node[key]
                return None if v is None else (json.dumps(v) if isinstance(v, bool) else str(v))
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return None


def regexp(pattern, value):
    if value is None:
        return None
    return re.search(pattern, str(value)) is not None


def mapped_columns(mappings):
    """The plain columns the mappings name: `eastwest query --format json` leaves a null cell
    out of its row, so a column that is null in every row would otherwise be missing."""
    out = []
    for mapping in mappings:
        for value in mapping.get("fields", {}).values():
            sql = value if isinstance(value, str) else value.get("sql") or value.get("json")
            if isinstance(sql, str) and re.fullmatch(r"[a-z_][a-z0-9_]*", sql):
                out.append(sql)
    return out


def connect(events_path, extra_columns=()):
    db = sqlite3.connect(":memory:")
    db.create_function("array_to_string", 2, array_to_string, deterministic=True)
    db.create_function("array_element", 2, array_element, deterministic=True)
    db.create_function("array_length", 1, array_length, deterministic=True)
    db.create_function("json_key", 2, json_key, deterministic=True)
    db.create_function("regexp", 2, regexp, deterministic=True)
    rows = []
    with open(events_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as e:
                    sys.exit(f"{events_path}:{n}: {e}")
    columns = []
    for row in rows:
        for c in row:
            if c not in columns:
                columns.append(c)
    for needed in ("source_file", "source_line", "source_event", *extra_columns):
        if needed not in columns:
            columns.append(needed)
    quoted = ", ".join(f'"{c}"' for c in columns)
    db.execute(f"CREATE TABLE events ({quoted})")

    def cell(v):
        if isinstance(v, (list, dict)):
            return json.dumps(v)
        return v

    db.executemany(
        f"INSERT INTO events VALUES ({', '.join('?' for _ in columns)})",
        [[cell(row.get(c)) for c in columns] for row in rows],
    )
    return db


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", required=True, type=Path)
    ap.add_argument("--mapping", required=True, type=Path)
    ap.add_argument("--events", required=True, type=Path)
    ap.add_argument("--table", required=True)
    args = ap.parse_args()

    mappings = load_mappings(args.mapping, args.table)
    db = connect(args.events, mapped_columns(mappings))

    files = sorted(p for p in args.rules.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    rules = []  # (id, rule or None, mapping or None, reason)
    for path in files:
        rid = path.stem
        try:
            collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"))
            rule = collection.rules[0] if len(collection.rules) == 1 else None
            if rule is None:
                raise ValueError("not exactly one rule in the file")
            if not isinstance(rule, SigmaRule):
                raise ValueError("not a detection rule")
        except Exception as e:  # pySigma raises many types; each is a reason to report
            rules.append((rid, None, None, f"pySigma: {e}"))
            continue
        rid = str(rule.id) if rule.id else rid
        candidates = [(fit(m, rule.logsource), i, m) for i, m in enumerate(mappings)]
        candidates = [c for c in candidates if c[0] is not None]
        if not candidates:
            ls = " ".join(
                f"{k}={getattr(rule.logsource, k)}"
                for k in ("product", "service", "category")
                if getattr(rule.logsource, k, None)
            )
            rules.append((rid, None, None, f"no mapping for logsource {ls or '(empty)'}"))
            continue
        rules.append((rid, rule, min(candidates, key=lambda c: (c[0], c[1]))[2], None))

    # One computed column per (mapping, non-plain field) pair, shared by all rules.
    computed = {}  # sql expression -> column name
    def column_for(kind, sql):
        if kind == "json_key":
            col, key = sql
            expr = f"json_key({col}, '{key.replace(chr(39), chr(39) * 2)}')"
        elif kind == "list":
            expr = f"array_to_string({sql}, ' ')"
        elif PLAIN_NAME.match(sql):
            return sql
        else:
            expr = sql
        return computed.setdefault(expr, f"sigma_computed_{len(computed)}")

    plans = []
    for rid, rule, mapping, reason in rules:
        if rule is None:
            plans.append((rid, None, reason))
            continue
        field_map, missing = {}, []
        for det in rule.detection.detections.values():
            for f in rule_fields(det):
                if f is None or f in field_map:
                    continue
                d = field_def(mapping, f)
                if d is None:
                    missing.append(f)
                else:
                    field_map[f] = column_for(*d)
        if missing:
            plans.append((rid, None, f"field `{missing[0]}` has no mapping for table `{args.table}`"))
        else:
            plans.append((rid, (rule, mapping, field_map), None))

    extra = ", ".join(f"{expr} AS {name}" for expr, name in computed.items())
    db.execute(f"CREATE VIEW sigma_view AS SELECT *{', ' + extra if extra else ''} FROM events")

    for rid, plan, reason in plans:
        if plan is None:
            print(json.dumps({"rule": rid, "unsupported": reason}))
            continue
        rule, mapping, field_map = plan
        pipeline = ProcessingPipeline(
            name=f"eastwest {mapping['name']}",
            priority=20,
            items=[ProcessingItem(identifier="eastwest_fields", transformation=FieldMappingTransformation(field_map))],
        )
        options = {"table": "sigma_view", "collate_nocase": True}
        if mapping.get("keywords"):
            options["fulltext_field"] = column_for("text", mapping["keywords"])
        try:
            backend = sqliteBackend(processing_pipeline=pipeline, **options)
            queries = backend.convert(SigmaCollection([rule]))
            matches = []
            for q in queries:
                q = q.replace("SELECT *", "SELECT source_file, source_line, source_event", 1)
                matches.extend(list(r) for r in db.execute(q + " ORDER BY rowid"))
        except Exception as e:
            print(json.dumps({"rule": rid, "unsupported": f"pySigma: {e}"}))
            continue
        print(json.dumps({"rule": rid, "matches": matches}))


if __name__ == "__main__":
    main()
