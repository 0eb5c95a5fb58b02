//! The `eastwest` binary as a user runs it: output formats, exit codes, messages that name the
//! file and line, and the demo.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn eastwest(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .args(["--quiet", "--threads", "2"])
        .args(args)
        .output()
        .expect("the binary runs")
}

fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn query_prints_json_lines_with_typed_values_and_text_addresses() {
    let demo = testdata("demo");
    let out = eastwest(&[
        "query",
        "--format",
        "json",
        "SELECT srcaddr, src_ip, dstport, bytes, start FROM flows WHERE action = 'REJECT' ORDER BY start",
        demo.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["srcaddr"], "172.31.9.69");
    assert_eq!(
        rows[0]["src_ip"], "172.31.9.69",
        "binary addresses print as text"
    );
    assert_eq!(rows[0]["dstport"], 3389);
    assert_eq!(rows[0]["bytes"], 4249);
    assert!(
        rows[0]["start"]
            .as_str()
            .expect("a time")
            .starts_with("2014-12-14T04:06:50")
    );
    // The bogus line of the v5 sample is reported on stderr with its file and line.
    let stderr = text(&out.stderr);
    assert!(stderr.contains("v5-with-header.log:4"), "{stderr}");
}

#[test]
fn query_prints_csv_and_tables() {
    let demo = testdata("demo");
    let sql = "SELECT action, count(*) AS n FROM flows WHERE action IS NOT NULL GROUP BY action ORDER BY action";
    let csv = eastwest(&[
        "query",
        "--format",
        "csv",
        sql,
        demo.to_str().expect("path"),
    ]);
    assert_eq!(text(&csv.stdout), "action,n\nACCEPT,13\nREJECT,2\n");
    let table = eastwest(&["query", sql, demo.to_str().expect("path")]);
    let table = text(&table.stdout);
    assert!(table.contains("| ACCEPT | 13 |"), "{table}");
}

#[test]
fn an_unreadable_input_exits_2_after_reading_the_others() {
    let demo = testdata("demo");
    let out = eastwest(&[
        "query",
        "--format",
        "csv",
        "SELECT count(*) AS n FROM flows",
        "/no/such/dir",
        demo.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stdout),
        "n\n17\n",
        "the readable input was still read"
    );
    assert!(
        text(&out.stderr).contains("/no/such/dir"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_usage_exits_2_with_a_message() {
    let demo = testdata("demo");
    let out = eastwest(&[
        "query",
        "--flow-format",
        "${version} $srcaddr",
        "SELECT 1",
        demo.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("$srcaddr"),
        "{}",
        text(&out.stderr)
    );
    let out = eastwest(&[
        "query",
        "SELECT nope FROM flows",
        demo.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nope"), "{}", text(&out.stderr));
    let out = eastwest(&[
        "query",
        "--since",
        "last tuesday",
        "SELECT 1",
        demo.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn flow_format_reads_custom_lines_and_address_functions_filter() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("custom.log");
    std::fs::write(&file, "10.0.1.5 10.0.2.9 5432 ACCEPT\n192.168.1.1 10.0.2.9 22 REJECT\n2001:db8::1 10.0.2.9 443 ACCEPT\n").expect("write");
    let out = eastwest(&[
        "query",
        "--format",
        "csv",
        "--flow-format",
        "${srcaddr} ${dstaddr} ${dstport} ${action}",
        "SELECT srcaddr FROM flows WHERE ip_in_cidr(src_ip, '10.0.0.0/16') OR src_ip = ip('2001:db8::1') ORDER BY srcaddr",
        file.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "srcaddr\n10.0.1.5\n2001:db8::1\n");
}

#[test]
fn output_goes_to_a_file_when_asked() {
    let dir = tempfile::tempdir().expect("dir");
    let target = dir.path().join("out.csv");
    let demo = testdata("demo");
    let out = eastwest(&[
        "query",
        "--format",
        "csv",
        "--output",
        target.to_str().expect("path"),
        "SELECT count(*) AS n FROM flows",
        demo.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&target).expect("written"),
        "n\n17\n"
    );
}

#[test]
fn demo_reads_the_bundled_samples_and_answers_its_questions() {
    let out = eastwest(&["demo"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("4 files, 17 records"), "{stdout}");
    assert!(
        stdout.contains(
            "coverage gap on eni-11111111aaaaaaaaa: 0 NODATA, 1 SKIPDATA (58 s not logged)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("| eni-1235b8ca123456789 | 172.31.9.69"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| eni-11111111aaaaaaaaa | SKIPDATA   | 2015-05-10T18:01:16Z"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "$ eastwest query 'SELECT interface_id, log_status, start, \"end\" FROM flow_gaps"
        ),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("v5-with-header.log:4"));
}

#[test]
fn inventory_log_format_reads_a_headerless_custom_format_file() {
    // The TCP-flag records AWS documents are in the custom format of flow log
    // fl-01234567890123456 in the AWS CLI's describe-flow-logs example; without a header line only
    // the inventory tells eastwest how to read them.
    let docs =
        std::fs::read_to_string(testdata("flow/documented_example_records.txt")).expect("sample");
    let records: Vec<&str> = docs.lines().filter(|l| l.starts_with("3 vpc-")).collect();
    assert_eq!(records.len(), 8);
    let dir = tempfile::tempdir().expect("dir");
    let name =
        "123456789012_vpcflowlogs_us-east-1_fl-01234567890123456_20190826T1930Z_abcd1234.log";
    let file = dir.path().join(name);
    std::fs::write(&file, records.join("\n")).expect("write");
    let sql = "SELECT count(*) AS n, sum(bytes) AS bytes, max(tcp_flags) AS flags FROM flows";
    let without = eastwest(&[
        "query",
        "--format",
        "csv",
        sql,
        file.to_str().expect("path"),
    ]);
    assert_eq!(text(&without.stdout), "n,bytes,flags\n0,,\n");
    assert!(
        text(&without.stderr).contains("not a kind eastwest reads"),
        "{}",
        text(&without.stderr)
    );
    let inventory = testdata("inventory/aws-cli-examples");
    let with = eastwest(&[
        "query",
        "--format",
        "csv",
        "--inventory",
        inventory.to_str().expect("path"),
        sql,
        file.to_str().expect("path"),
    ]);
    assert_eq!(with.status.code(), Some(0), "{}", text(&with.stderr));
    assert_eq!(text(&with.stdout), "n,bytes,flags\n8,23462480,19\n");
}
