//! Golden cases: every `tests/cases/<id>/` is run through `eastwest detect --format json` and
//! its findings compared with `expected.jsonl` (volatile fields removed). A case holds its
//! inputs (`flows.log`) or a simulator recipe (`simulate = [...]` in `case.toml`), and the
//! detect arguments (`args = [...]`). `EASTWEST_BLESS=1 cargo test --test golden` rewrites the
//! expected files; a failure prints a diff.
//!
//! Also here, because they run the same way: the same simulated traffic in v2, v5 and Parquet
//! gives the same finding uids, and so does one input read in two runs with `--state`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn eastwest() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eastwest"))
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases")
}

/// Runs a command, asserting success; returns standard output.
fn run(command: &mut Command) -> String {
    let output = command.output().expect("eastwest runs");
    assert!(
        output.status.success(),
        "{command:?} failed with {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Simulates `args` into `out`.
fn simulate(out: &Path, args: &[String]) {
    run(eastwest()
        .args(["--quiet", "simulate", "--out"])
        .arg(out)
        .args(args));
}

/// The findings of a `detect --format json` output, volatile fields removed and the temporary
/// directory written as `<sim>`.
fn normalise(output: &str, temporary: Option<&Path>) -> Vec<String> {
    let mut lines: Vec<String> = output
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let line = match temporary {
                Some(dir) => line.replace(&dir.display().to_string(), "<sim>"),
                None => line.to_string(),
            };
            let mut value: Value = serde_json::from_str(&line).expect("a JSON finding per line");
            if let Some(object) = value.as_object_mut() {
                object.remove("time");
                object.remove("metadata");
            }
            serde_json::to_string(&value).expect("serialises")
        })
        .collect();
    lines.sort();
    lines
}

/// A case's `each_input = true`: each of its inputs is run alone (captures of different
/// accounts and months, which one run would treat as one estate's history), and
/// `analytics = [...]` names, input by input, the detector its run must report.
fn case_each_input(case: &Path) -> Option<(Vec<String>, Vec<String>)> {
    let table = case_table(case);
    if table.get("each_input").and_then(|v| v.as_bool()) != Some(true) {
        return None;
    }
    Some((list(&table, "inputs"), list(&table, "analytics")))
}

/// A case's `case.toml` (empty when it has none).
fn case_table(case: &Path) -> toml::Table {
    let text = std::fs::read_to_string(case.join("case.toml")).unwrap_or_default();
    toml::from_str(&text).expect("case.toml parses")
}

/// A list of texts from a case's table (empty when absent).
fn list(table: &toml::Table, key: &str) -> Vec<String> {
    table
        .get(key)
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A case's simulator recipe, and its detect arguments followed by its inputs (`inputs = [...]`,
/// paths relative to the case; `flows.log` when it names none and has no recipe).
fn case_args(case: &Path) -> (Vec<String>, Vec<String>) {
    let table = case_table(case);
    (
        list(&table, "simulate"),
        [list(&table, "args"), list(&table, "inputs")].concat(),
    )
}

#[test]
fn golden_cases() {
    let bless = std::env::var_os("EASTWEST_BLESS").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 6, "golden cases missing: {cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let (recipe, args) = case_args(case);
        let temporary = tempfile::tempdir().expect("temp dir");
        if let Some((inputs, analytics)) = case_each_input(case) {
            assert_eq!(
                inputs.len(),
                analytics.len(),
                "{}: one analytic per input",
                case.display()
            );
            let options: Vec<&String> = args.iter().filter(|a| !inputs.contains(a)).collect();
            let mut got = Vec::new();
            for (input, analytic) in inputs.iter().zip(&analytics) {
                let output = run(eastwest()
                    .current_dir(case)
                    .args(["--quiet", "--threads", "1", "detect", "--format", "json"])
                    .args(&options)
                    .arg(input));
                let found = normalise(&output, None);
                assert!(
                    found
                        .iter()
                        .any(|f| f.contains(&format!("\"uid\":\"{analytic}\""))),
                    "{}: {input} yields no {analytic} finding:\n{}",
                    case.display(),
                    found.join("\n")
                );
                got.extend(found);
            }
            got.sort();
            compare_or_bless(case, got, bless, &mut failures);
            continue;
        }
        let mut command = eastwest();
        command
            .current_dir(case)
            .args(["--quiet", "--threads", "1", "detect", "--format", "json"])
            .args(&args);
        let names_inputs = case_table(case).contains_key("inputs");
        if recipe.is_empty() && !names_inputs {
            command.arg("flows.log");
        } else if !recipe.is_empty() {
            simulate(temporary.path(), &recipe);
            command
                .arg("--inventory")
                .arg(temporary.path().join("inventory"))
                .arg(temporary.path().join("logs"));
        }
        let output = run(&mut command);
        let got = normalise(&output, (!recipe.is_empty()).then(|| temporary.path()));
        compare_or_bless(case, got, bless, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "golden cases differ (EASTWEST_BLESS=1 rewrites them after review):\n{}",
        failures.join("\n")
    );
}

/// Writes `got` as the case's expected findings (`bless`), or adds the difference from them to
/// `failures`.
fn compare_or_bless(case: &Path, got: Vec<String>, bless: bool, failures: &mut Vec<String>) {
    let expected_path = case.join("expected.jsonl");
    if bless {
        let mut text = got.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        std::fs::write(&expected_path, text).expect("writes expected.jsonl");
        return;
    }
    let expected: Vec<String> = std::fs::read_to_string(&expected_path)
        .unwrap_or_else(|_| {
            panic!(
                "{} missing: run with EASTWEST_BLESS=1",
                expected_path.display()
            )
        })
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect();
    if got != expected {
        let mut diff = format!("case {}:\n", case.display());
        for line in &expected {
            if !got.contains(line) {
                diff.push_str(&format!("- {line}\n"));
            }
        }
        for line in &got {
            if !expected.contains(line) {
                diff.push_str(&format!("+ {line}\n"));
            }
        }
        failures.push(diff);
    }
}

/// The uids and analytics of a detect run's findings.
fn uids(output: &str) -> BTreeSet<(String, String)> {
    output
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("JSON");
            (
                v["finding_info"]["analytic"]["uid"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                v["finding_info"]["uid"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

const RECIPE: [&str; 10] = [
    "--scenario",
    "all",
    "--hosts",
    "16",
    "--days",
    "2",
    "--quiet-days",
    "1",
    "--seed",
    "7",
];

fn detect_args(dir: &Path) -> Vec<String> {
    vec![
        "--inventory".into(),
        dir.join("inventory").display().to_string(),
        "--config".into(),
        cases_dir()
            .join("sim-attacked/scanner.toml")
            .display()
            .to_string(),
    ]
}

#[test]
fn same_uids_from_v2_v5_and_parquet() {
    let mut sets = Vec::new();
    for format in ["v5", "v2", "parquet"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let recipe: Vec<String> = RECIPE
            .iter()
            .map(|s| s.to_string())
            .chain(["--format".to_string(), format.to_string()])
            .collect();
        simulate(dir.path(), &recipe);
        let output = run(eastwest()
            .args(["--quiet", "detect", "--format", "json"])
            .args(detect_args(dir.path()))
            .arg(dir.path().join("logs/AWSLogs")));
        sets.push((format, uids(&output)));
    }
    assert!(
        sets[0].1.len() >= 4,
        "the attacked estate gives findings: {:?}",
        sets[0].1
    );
    for (format, set) in &sets[1..] {
        assert_eq!(&sets[0].1, set, "v5 and {format} disagree");
    }
}

#[test]
fn runs_with_state_find_what_one_run_finds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let recipe: Vec<String> = RECIPE.iter().map(|s| s.to_string()).collect();
    simulate(dir.path(), &recipe);
    let flows = dir.path().join("logs/AWSLogs");
    let one = uids(&run(eastwest()
        .args(["--quiet", "detect", "--format", "json"])
        .args(detect_args(dir.path()))
        .arg(&flows)));
    // The same traffic in two runs: the learning day, then the day of the attacks.
    let state = dir.path().join("state");
    let day = |n: u32| {
        let mut files: Vec<PathBuf> = walk(&flows)
            .into_iter()
            .filter(|p| p.display().to_string().contains(&format!("/2026/11/0{n}/")))
            .collect();
        files.sort();
        files
    };
    let (first, second) = (day(2), day(3));
    assert!(!first.is_empty() && !second.is_empty(), "two days of files");
    let run_files = |files: &[PathBuf]| {
        run(eastwest()
            .args(["--quiet", "detect", "--format", "json", "--state"])
            .arg(&state)
            .args(detect_args(dir.path()))
            .args(files))
    };
    // The learning day, then the attack day in two halves: the second half's run sees the
    // first half's connections, carried in the state.
    let (morning, afternoon) = second.split_at(second.len() / 2);
    let mut split = uids(&run_files(&first));
    split.extend(uids(&run_files(morning)));
    let last = run_files(afternoon);
    split.extend(uids(&last));
    assert_eq!(one, split, "one run and three runs with --state disagree");
    // A re-run over inputs already read reads none of them again (the ledger) and reports what
    // the carried connections still show as updates, not new findings.
    let all: Vec<PathBuf> = first.iter().chain(&second).cloned().collect();
    let again = run_files(&all);
    assert!(
        !uids(&again).is_empty(),
        "the carried day still shows its findings"
    );
    assert!(uids(&again).is_subset(&one));
    assert!(
        again.lines().all(|l| l.contains("\"activity_id\":2")),
        "repeated findings are updates: {again}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}
