//! `eastwest query` answers like DuckDB. The expected answers in testdata/golden/duckdb were
//! computed once by DuckDB (Python package) over the same file with the equivalent DuckDB SQL,
//! by `python3 bench/duckdb_golden.py`, which also regenerates them; DuckDB is a peer to compare
//! with, not a dependency, so the test compares with its stored answers.

use std::path::Path;
use std::process::Command;

#[test]
fn answers_match_duckdb_on_the_same_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let data = root.join("flow/synthetic-default-3000.log");
    let mut cases: Vec<_> = std::fs::read_dir(root.join("golden/duckdb"))
        .expect("golden directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 4, "golden cases: {cases:?}");
    let mut failures = Vec::new();
    for sql_path in &cases {
        let sql = std::fs::read_to_string(sql_path).expect("sql");
        let expected =
            std::fs::read_to_string(sql_path.with_extension("csv")).expect("expected csv");
        let out = Command::new(env!("CARGO_BIN_EXE_eastwest"))
            .args([
                "--quiet",
                "query",
                "--format",
                "csv",
                sql.trim(),
                data.to_str().expect("path"),
            ])
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            sql_path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let actual = String::from_utf8_lossy(&out.stdout);
        if actual.trim_end() != expected.trim_end() {
            failures.push(format!(
                "{}\n--- DuckDB\n{expected}\n--- eastwest\n{actual}",
                sql_path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
