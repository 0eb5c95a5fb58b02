//! Sigma rules in eastwest against a reference implementation: the built-in rules' matches
//! (their compiled conditions run by `eastwest query`, in DataFusion) compared, rule by rule
//! and event by event, with pySigma's (its SQLite backend, through a pipeline built from the
//! same field mappings: `tests/sigma/pysigma_reference.py`) on the same rows, which
//! `eastwest query` exports from the project's CloudTrail captures and a simulated web shell's
//! audit log. Needs pySigma (`tests/sigma/requirements.txt`, installed by `.ci/run`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// An event: file, line, event number in the file.
type Event = (String, i64, Option<i64>);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn eastwest(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .current_dir(repo())
        .arg("--quiet")
        .args(args)
        .output()
        .expect("eastwest runs");
    assert!(
        output.status.success(),
        "eastwest {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn event(file: &Value, line: &Value, number: &Value) -> Event {
    (
        file.as_str().unwrap_or("").to_string(),
        line.as_i64().unwrap_or(-1),
        number.as_i64(),
    )
}

/// pySigma's matches per rule id (rules for other log sources left out).
fn reference(events: &Path, mapping: &str, table: &str) -> BTreeMap<String, BTreeSet<Event>> {
    let python = std::env::var("EASTWEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let output = Command::new(python)
        .current_dir(repo())
        .args([
            "tests/sigma/pysigma_reference.py",
            "--rules",
            "crates/sigma/rules",
        ])
        .args(["--mapping", mapping, "--table", table, "--events"])
        .arg(events)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "the pySigma reference failed (pip install -r tests/sigma/requirements.txt): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut out = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let v: Value = serde_json::from_str(line).expect("JSON line");
        let Some(matches) = v["matches"].as_array() else {
            continue;
        };
        let set = matches.iter().map(|m| event(&m[0], &m[1], &m[2])).collect();
        out.insert(v["rule"].as_str().unwrap_or("").to_string(), set);
    }
    out
}

/// Exports `table` from `inputs`, then compares every built-in rule over it; returns how many
/// rules matched at least one event.
fn compare(table: &str, mapping: &str, inputs: &[&str], dir: &Path) -> usize {
    let mut args = vec!["query", "--format", "json"];
    let select = format!("SELECT * FROM {table}");
    args.push(&select);
    args.extend(inputs);
    let rows = eastwest(&args);
    assert!(!rows.is_empty(), "no {table} rows in {inputs:?}");
    let events = dir.join(format!("{table}.jsonl"));
    std::fs::write(&events, &rows).expect("writes the rows");
    let expected = reference(&events, mapping, table);

    let (rules, refused) = eastwest_sigma::builtin();
    assert!(refused.is_empty(), "{refused:?}");
    let mut compared = 0;
    let mut matched = 0;
    for rule in rules.iter().filter(|r| r.table == table) {
        let Some(want) = expected.get(&rule.id) else {
            panic!(
                "pySigma gave no matches for rule {} ({})",
                rule.id, rule.title
            );
        };
        let sql = format!(
            "SELECT source_file, source_line, source_event FROM {table} WHERE {}",
            rule.condition_sql
        );
        let mut args = vec!["query", "--format", "json", sql.as_str()];
        args.extend(inputs);
        let got: BTreeSet<Event> = eastwest(&args)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: Value = serde_json::from_str(l).expect("JSON row");
                event(&v["source_file"], &v["source_line"], &v["source_event"])
            })
            .collect();
        assert_eq!(&got, want, "rule {} ({}) on {table}", rule.id, rule.title);
        compared += 1;
        matched += usize::from(!got.is_empty());
    }
    assert!(compared > 0, "no built-in rule reads {table}");
    matched
}

#[test]
fn builtin_rules_match_what_pysigma_matches() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cloud = compare(
        "cloudtrail",
        "crates/sigma/mappings/cloudtrail.toml",
        &["testdata/cloudtrail"],
        dir.path(),
    );
    // Most built-in CloudTrail rules have a capture that trips them: the comparison is not one
    // of empty sets.
    assert!(cloud >= 5, "only {cloud} rules matched any capture");

    let sim = dir.path().join("sim");
    eastwest(&[
        "simulate",
        "--out",
        sim.to_str().expect("UTF-8 path"),
        "--scenario",
        "webshell",
        "--scenario",
        "persistence",
        "--hosts",
        "10",
        "--days",
        "1",
        "--seed",
        "5",
    ]);
    let logs = sim.join("logs").display().to_string();
    let host = compare(
        "process",
        "crates/sigma/mappings/auditd.toml",
        &[&logs, "testdata/audit"],
        dir.path(),
    );
    assert!(host >= 2, "only {host} process rules matched");
}
