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
fn demo_simulates_an_attacked_estate_and_answers_its_questions() {
    let state = tempfile::tempdir().expect("dir");
    let out = eastwest(&[
        "demo",
        "--no-serve",
        "--state",
        state.path().to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for scenario in [
        "ssrf-imds",
        "recon-sweep",
        "ssh-spray-pivot",
        "db-exfil",
        "dns-tunnel",
        "ssm-pivot",
        "slow-scan",
        "webshell",
        "persistence",
    ] {
        assert!(
            stdout.contains(&format!("  {scenario} ")),
            "{scenario} not listed: {stdout}"
        );
    }
    // Ground truth is labelled as such, and set beside what detection found.
    assert!(stdout.contains("ground truth"), "{stdout}");
    assert!(
        stdout.contains("Detection (flow logs, CloudTrail, DNS and host logs"),
        "{stdout}"
    );
    let verdicts = stdout
        .split("Ground truth against the findings:")
        .nth(1)
        .expect("verdicts");
    let verdict = |scenario: &str| {
        verdicts
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{scenario} ")))
            .unwrap_or_else(|| panic!("{scenario} has no verdict: {verdicts}"))
            .to_string()
    };
    for (scenario, detector) in [
        ("recon-sweep", "internal-port-scan"),
        ("slow-scan", "internal-port-scan"),
        ("ssh-spray-pivot", "bruteforce-flows"),
        ("db-exfil", "data-tier-access"),
        ("dns-tunnel", "dns-tunnel"),
        ("ssrf-imds", "instance-credential-exfiltration"),
        ("webshell", "webserver-shell"),
        ("persistence", "account-manipulation"),
    ] {
        assert!(
            verdict(scenario).contains(detector),
            "{}",
            verdict(scenario)
        );
    }
    // Addresses are named through the simulated inventory.
    assert!(stdout.contains("| load-balancer:web-alb"), "{stdout}");
    assert!(stdout.contains("| asg:app-asg "), "{stdout}");
    // The exfiltration reads reporting-db from an app host: it shows among the database readers.
    let readers = stdout
        .split("Who read the most from a database?")
        .nth(1)
        .expect("question");
    let app_reads_reporting = readers
        .lines()
        .take(14)
        .any(|l| l.contains("asg:app-asg") && l.contains("reporting-db"));
    assert!(app_reads_reporting, "{readers}");
    assert!(state.path().join("truth.json").exists());
    assert!(
        state
            .path()
            .join("inventory/111122223333/us-east-1/ec2-describe-instances.json")
            .exists()
    );
    // The audit finds the simulator's deliberate misconfigurations.
    for check in [
        "sg-self-all-ports",
        "imdsv1-allowed",
        "launch-wizard-sg-in-use",
        "db-ports-wide",
        "role-can-reach-instances",
    ] {
        assert!(stdout.contains(check), "{check} missing: {stdout}");
    }
    assert!(
        stdout.contains("Blast radius of web-1")
            && stdout.contains("crown jewel orders-db: web-1 -> "),
        "{stdout}"
    );
    // Every command shown can be pasted.
    assert!(stdout.contains("$ eastwest query --inventory "), "{stdout}");
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

#[test]
fn inventory_names_both_sides_of_each_record() {
    // CloudMapper's demo account: Bastion 10.0.0.1 (public 1.2.3.4), Web1 10.0.2.1, Web2
    // 10.0.3.1, an ECS task ENI eni-00000001 at 172.31.48.168, all in vpc-12345678.
    let dir = tempfile::tempdir().expect("dir");
    let v3 = dir.path().join("v3.log");
    std::fs::write(
        &v3,
        "version vpc-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n\
         3 vpc-12345678 eni-00000000 10.0.0.1 10.0.2.1 50000 22 6 10 840 1700000000 1700000060 ACCEPT OK\n\
         3 vpc-12345678 eni-00000000 203.0.113.9 10.0.0.1 4444 22 6 1 40 1700000000 1700000060 REJECT OK\n\
         3 vpc-12345678 eni-00000000 10.0.2.1 10.0.1.77 40000 5432 6 3 180 1700000000 1700000060 ACCEPT OK\n",
    )
    .expect("write");
    // Version 2 has no vpc-id: the logging ENI's VPC comes from the inventory.
    let v2 = dir.path().join("v2.log");
    std::fs::write(
        &v2,
        "2 123456789012 eni-00000001 172.31.48.168 10.0.3.1 41000 443 6 5 500 1700000000 1700000060 ACCEPT OK\n",
    )
    .expect("write");
    let inventory = testdata("inventory/cloudmapper-demo");
    let out = eastwest(&[
        "query",
        "--quiet",
        "--format",
        "csv",
        "--inventory",
        inventory.to_str().expect("path"),
        "SELECT src_name, src_kind, src_group, dst_name, dst_kind, dst_instance, dst_vpc, dst_is_internal, src_is_internal \
         FROM flows ORDER BY source_file, source_line",
        dir.path().to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "src_name,src_kind,src_group,dst_name,dst_kind,dst_instance,dst_vpc,dst_is_internal,src_is_internal\n\
         ed8fed01-82d0-4bf6-86cf-fe3115c23ab8,ecs-task,sg:sg-00000008,Web2,instance,i-00000000000000002,vpc-12345678,true,true\n\
         Bastion,instance,sg:sg-00000002,Web1,instance,i-00000000000000001,vpc-12345678,true,true\n\
         ,internet,,Bastion,instance,i-00000000000000000,vpc-12345678,true,false\n\
         Web1,instance,sg:sg-00000004,,unassigned,,vpc-12345678,true,true\n"
    );
    // The assets table joins with flows.
    let joined = eastwest(&[
        "query",
        "--quiet",
        "--format",
        "csv",
        "--inventory",
        inventory.to_str().expect("path"),
        "SELECT a.name, a.public_ips, count(*) AS n FROM flows f JOIN assets a ON f.dst_eni = a.eni \
         AND f.dst_instance = a.instance WHERE f.action = 'REJECT' GROUP BY 1, 2",
        dir.path().to_str().expect("path"),
    ]);
    assert_eq!(joined.status.code(), Some(0), "{}", text(&joined.stderr));
    assert_eq!(
        text(&joined.stdout),
        "name,public_ips,n\nBastion,1.2.3.4,1\n"
    );
    // Without an inventory the asset columns do not exist, and the error says so.
    let without = eastwest(&[
        "query",
        "SELECT src_name FROM flows",
        dir.path().to_str().expect("path"),
    ]);
    assert_eq!(without.status.code(), Some(2));
    assert!(
        text(&without.stderr).contains("src_name"),
        "{}",
        text(&without.stderr)
    );
}

#[test]
fn inventory_command_lists_assets_and_snapshots_replay() {
    let inventory = testdata("inventory/cloudmapper-demo");
    let out = eastwest(&[
        "inventory",
        "assets",
        "--format",
        "csv",
        "--inventory",
        inventory.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("eni-00000000,instance,Web1,i-00000000000000001,"))
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("describe-regions.json: `Regions` output holds nothing eastwest uses"),
        "{stderr}"
    );
    assert!(stderr.contains("3 instances"), "{stderr}");

    let dir = tempfile::tempdir().expect("dir");
    let snap = eastwest(&[
        "inventory",
        "snapshot",
        "--inventory",
        inventory.to_str().expect("path"),
        "--out",
        dir.path().to_str().expect("path"),
    ]);
    assert_eq!(snap.status.code(), Some(0), "{}", text(&snap.stderr));
    assert!(
        dir.path()
            .join("123456789012/us-east-1/ec2-describe-instances.json")
            .exists()
    );
    let again = eastwest(&[
        "inventory",
        "assets",
        "--format",
        "csv",
        "--inventory",
        dir.path().to_str().expect("path"),
    ]);
    assert_eq!(text(&again.stdout), stdout);

    let missing = eastwest(&["inventory", "assets", "--inventory", "/nonexistent/inv"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("/nonexistent/inv"));
}

#[test]
fn audit_prints_table_ocsf_and_sarif_and_fails_on_request() {
    let inventory = testdata("inventory/cloudmapper-demo");
    let inv = inventory.to_str().expect("path");
    let table = eastwest(&["audit", "--inventory", inv]);
    assert_eq!(table.status.code(), Some(0), "{}", text(&table.stderr));
    let stdout = text(&table.stdout);
    assert!(
        stdout.contains("imdsv1-allowed") && stdout.contains("i-00000000000000002"),
        "{stdout}"
    );
    assert!(
        text(&table.stderr)
            .contains("audit: 11 failures (3 high, 1 medium, 7 low); 9 not collected"),
        "{}",
        text(&table.stderr)
    );
    let json = eastwest(&[
        "audit",
        "--inventory",
        inv,
        "--format",
        "json",
        "--check",
        "flow-log-coverage",
    ]);
    let lines: Vec<serde_json::Value> = text(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    // CloudMapper's demo has no `describe-flow-logs` output: its VPC is not "unlogged" (it
    // was reported so before coverage), the check says it could not judge.
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["class_uid"], 2003);
    assert_eq!(lines[0]["type_uid"], 200301);
    assert_eq!(lines[0]["compliance"]["status"], "Not collected");
    assert_eq!(lines[0]["compliance"]["status_id"], 99);
    assert_eq!(lines[0]["compliance"]["control"], "flow-log-coverage");
    assert!(
        lines[0]["compliance"]["status_detail"]
            .as_str()
            .unwrap_or("")
            .contains("ec2 describe-flow-logs"),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[0]["finding_info"]["uid"],
        "eastwest:flow-log-coverage:not-collected:us-east-1"
    );
    assert!(
        lines[0]["remediation"]["desc"]
            .as_str()
            .unwrap_or("")
            .contains("aws ec2 describe-flow-logs")
    );
    let sarif = eastwest(&["audit", "--inventory", inv, "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("sarif");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let open: std::collections::BTreeSet<&str> = results
        .iter()
        .filter(|r| r["kind"] == "open")
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    assert_eq!(
        results.len() - open.len(),
        11,
        "8 failures plus the three instances launched in 2017"
    );
    // Exactly the checks whose outputs the directory lacks: NACLs, flow logs, images,
    // listeners, target groups, GuardDuty, trails, IAM.
    assert_eq!(
        open.into_iter().collect::<Vec<_>>(),
        [
            "ami-age",
            "cloudtrail-trails",
            "flow-log-coverage",
            "guardduty-coverage",
            "guardduty-disabled",
            "lb-listener-without-tls",
            "lb-target-bypass",
            "nacl-allows-all",
            "role-can-reach-instances"
        ]
    );
    // Every result names a rule of the log (one per check), with a SARIF level.
    let rules: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(rules.contains(&"imdsv1-allowed") && rules.contains(&"role-can-reach-instances"));
    for r in results {
        assert!(rules.contains(&r["ruleId"].as_str().unwrap_or("")), "{r}");
        let levels: &[&str] = if r["kind"] == "open" {
            &["none"]
        } else {
            &["error", "warning", "note"]
        };
        assert!(levels.contains(&r["level"].as_str().unwrap_or("")), "{r}");
        assert!(
            r["partialFingerprints"]["eastwestUid/v1"].is_string(),
            "{r}"
        );
    }
    assert_eq!(
        eastwest(&["audit", "--inventory", inv, "--fail-on", "high"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        eastwest(&["audit", "--inventory", inv, "--fail-on", "critical"])
            .status
            .code(),
        Some(0)
    );
    let bad = eastwest(&["audit", "--inventory", inv, "--check", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("no such check"));
    let paths = eastwest(&[
        "paths",
        "--inventory",
        inv,
        "--from",
        "Bastion",
        "--hops",
        "2",
    ]);
    assert_eq!(paths.status.code(), Some(0), "{}", text(&paths.stderr));
    let stdout = text(&paths.stdout);
    assert!(
        stdout.starts_with("From Bastion (i-00000000000000000, 10.0.0.1"),
        "{stdout}"
    );
    let unknown = eastwest(&["paths", "--inventory", inv, "--from", "nothing-here"]);
    assert_eq!(unknown.status.code(), Some(2));
    // The number of hops is bounded: a huge one is bad usage, not hours of work.
    let far = eastwest(&[
        "paths",
        "--inventory",
        inv,
        "--from",
        "Bastion",
        "--hops",
        "1000000",
    ]);
    assert_eq!(far.status.code(), Some(2), "{}", text(&far.stderr));
    assert!(
        text(&far.stderr).contains("--hops"),
        "{}",
        text(&far.stderr)
    );
    let list = eastwest(&["audit", "--check", "list"]);
    assert!(text(&list.stdout).contains("role-can-reach-instances"));
}

#[test]
fn demo_stops_quietly_when_its_reader_goes_away() {
    use std::io::Read;
    // `eastwest demo | head -3`: the pipe closes early; no panic, exit 0.
    let mut child = Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .args(["--quiet", "demo"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let mut first = [0u8; 64];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    let out = child.wait_with_output().expect("exits");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn commands_stop_quietly_on_a_closed_pipe() {
    // `eastwest paths ... | true` and the like: the reader is gone before anything is written.
    let inventory = testdata("inventory/cloudmapper-demo");
    let scan = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/cases/port-scan-vertical/flows.log");
    for args in [
        vec![
            "paths".to_string(),
            "--inventory".into(),
            inventory.display().to_string(),
            "--from".into(),
            "Bastion".into(),
        ],
        vec!["detect".to_string(), scan.display().to_string()],
        vec![
            "query".to_string(),
            "SELECT srcaddr, dstport FROM flows".into(),
            scan.display().to_string(),
        ],
        vec![
            "inventory".to_string(),
            "assets".into(),
            "--inventory".into(),
            inventory.display().to_string(),
        ],
        vec![
            "audit".to_string(),
            "--inventory".into(),
            inventory.display().to_string(),
        ],
        vec!["audit".to_string(), "--check".into(), "list".into()],
        vec!["demo".to_string()],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_eastwest"))
            .arg("--quiet")
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("exits");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            !text(&out.stderr).contains("panicked"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn query_streams_csv_and_json_and_bounds_the_table() {
    let scan = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/cases/port-scan-vertical/flows.log");
    let scan = scan.display().to_string();
    let sql = "SELECT x FROM generate_series(1, 25000) t(x)";
    // Every row, batch by batch, with one CSV header.
    let csv = eastwest(&["query", "--format", "csv", sql, &scan]);
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    let lines: Vec<String> = text(&csv.stdout).lines().map(String::from).collect();
    assert_eq!(lines.len(), 25_001);
    assert_eq!(lines.iter().filter(|l| *l == "x").count(), 1);
    let json = eastwest(&["query", "--format", "json", sql, &scan]);
    assert_eq!(text(&json.stdout).lines().count(), 25_000);
    // The table holds a bounded number of rows and says what it left out.
    let table = eastwest(&["query", "--format", "table", sql, &scan]);
    assert!(table.status.success(), "{}", text(&table.stderr));
    assert!(
        text(&table.stderr).contains("the first 10000 rows; 15000 more were left out"),
        "{}",
        text(&table.stderr)
    );
    assert_eq!(
        text(&table.stdout)
            .lines()
            .filter(|l| l.starts_with("| ") && !l.contains(" x "))
            .count(),
        10_000
    );
    // No rows: CSV still names the columns.
    let empty = eastwest(&[
        "query",
        "--format",
        "csv",
        "SELECT srcaddr FROM flows WHERE false",
        &scan,
    ]);
    assert_eq!(text(&empty.stdout), "srcaddr\n");
}

#[test]
fn a_sort_larger_than_the_memory_limit_spills_and_a_blocked_query_says_why() {
    let scan = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/cases/port-scan-vertical/flows.log");
    let scan = scan.display().to_string();
    // About 60 MB of rows sorted within 24 MiB: the same result as without a limit.
    let sql = "SELECT x, repeat('a', 50) AS pad FROM generate_series(1, 1000000) t(x) ORDER BY (x * 7919) % 1000003";
    let bounded = eastwest(&[
        "--memory-limit",
        "24M",
        "query",
        "--format",
        "csv",
        sql,
        &scan,
    ]);
    assert!(bounded.status.success(), "{}", text(&bounded.stderr));
    let free = eastwest(&["query", "--format", "csv", sql, &scan]);
    assert!(free.status.success(), "{}", text(&free.stderr));
    assert_eq!(bounded.stdout.len(), free.stdout.len());
    assert!(bounded.stdout == free.stdout, "spilled sort differs");
    // A distinct count cannot spill: past the limit it stops with a clear error, not the OOM
    // killer.
    let blocked = eastwest(&[
        "--memory-limit",
        "1M",
        "query",
        "SELECT count(DISTINCT x) FROM generate_series(1, 3000000) t(x)",
        &scan,
    ]);
    assert_eq!(blocked.status.code(), Some(2));
    let stderr = text(&blocked.stderr);
    assert!(
        stderr.contains("Resources exhausted") && stderr.contains("--memory-limit"),
        "{stderr}"
    );
    let nonsense = eastwest(&["--memory-limit", "12 parsecs", "query", "SELECT 1", &scan]);
    assert_eq!(nonsense.status.code(), Some(2));
}

#[test]
fn a_closed_standard_error_is_no_crash() {
    // `eastwest detect ... 2>&-` or a log collector that went away: the notes and the summary
    // cannot be shown, the findings still are (eprintln! panicked here, exit 101).
    let scan = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/cases/port-scan-vertical/flows.log");
    for args in [
        vec!["detect".to_string(), scan.display().to_string()],
        // With -v the tracing log writes to standard error too (it reported its own failed
        // writes with eprintln!, which panics on a closed stream).
        vec![
            "-vv".to_string(),
            "detect".to_string(),
            scan.display().to_string(),
        ],
        // Two files of testdata/ssh are not logs: their notes go to standard error.
        vec![
            "query".to_string(),
            "SELECT count(*) AS n FROM ssh".into(),
            testdata("ssh").display().to_string(),
        ],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_eastwest"))
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        drop(child.stderr.take());
        let out = child.wait_with_output().expect("exits");
        assert_ne!(out.status.code(), Some(101), "{args:?} panicked");
        assert!(!out.stdout.is_empty(), "{args:?} printed nothing");
    }
}

#[test]
fn paths_prints_no_terminal_control_from_inventory_names() {
    // A Name tag with an escape sequence (clear screen) and a bidirectional override.
    let dir = tempfile::tempdir().expect("dir");
    let source = testdata("inventory/cloudmapper-demo");
    for entry in std::fs::read_dir(&source).expect("samples") {
        let path = entry.expect("entry").path();
        let mut content = std::fs::read_to_string(&path).expect("reads");
        if path
            .display()
            .to_string()
            .ends_with("describe-instances.json")
        {
            content = content.replace("\"Bastion\"", "\"Bas\\u001b[2J\\u202etion\"");
        }
        std::fs::write(dir.path().join(path.file_name().expect("name")), content).expect("writes");
    }
    let out = eastwest(&[
        "paths",
        "--inventory",
        dir.path().to_str().expect("path"),
        "--from",
        "i-00000000000000000",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("From Bas"), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{202e}'),
        "{stdout:?}"
    );
}
