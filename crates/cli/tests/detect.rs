//! `eastwest detect`'s settings through the binary: --fail-on, --config thresholds, scanners and
//! allowlists, --rules, SARIF, --state with `baseline show`, `detectors`, and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn eastwest(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .arg("--quiet")
        .args(args)
        .output()
        .expect("eastwest runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The hand-made vertical scan of the golden cases.
fn scan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases/port-scan-vertical/flows.log")
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("writes");
    path.display().to_string()
}

fn analytics(stdout: &[u8]) -> Vec<String> {
    text(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("JSON line");
            v["finding_info"]["analytic"]["uid"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[test]
fn fail_on_sets_the_exit_code() {
    let input = scan().display().to_string();
    let high = eastwest(&["detect", "--fail-on", "high", &input]);
    assert_eq!(high.status.code(), Some(1), "{}", text(&high.stderr));
    assert!(text(&high.stdout).contains("internal-port-scan"));
    let critical = eastwest(&["detect", "--fail-on", "critical", &input]);
    assert_eq!(critical.status.code(), Some(0));
    let wrong = eastwest(&["detect", "--fail-on", "dire", &input]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong.stderr).contains("--fail-on 'dire'"));
}

#[test]
fn config_sets_thresholds_scanners_and_allowlists() {
    let dir = tempfile::tempdir().expect("dir");
    let input = scan().display().to_string();
    let run = |config: &str| {
        let path = write(dir.path(), "eastwest.toml", config);
        eastwest(&["detect", "--format", "json", "--config", &path, &input])
    };
    // 41 failed probes: reported at the default of 20, not at 50.
    let raised = run("[detectors.internal-port-scan]\nmin_probes = 50\n");
    assert!(
        analytics(&raised.stdout).is_empty(),
        "{}",
        text(&raised.stdout)
    );
    let off = run("[detectors.internal-port-scan]\nenabled = false\n");
    assert!(analytics(&off.stdout).is_empty());
    assert!(text(&off.stderr).contains("internal-port-scan did not run: disabled"));
    // An authorised scanner: suppressed, and counted.
    let scanner = run("[scanners]\nassets = [\"10.0.1.0/24\"]\n");
    assert!(analytics(&scanner.stdout).is_empty());
    assert!(
        text(&scanner.stderr)
            .contains("1 internal-port-scan finding(s) suppressed: authorised scanner"),
        "{}",
        text(&scanner.stderr)
    );
    // Allowlist entries apply until they expire.
    let allowed = run(
        "[[allow]]\ndetector = \"internal-port-scan\"\nsource = \"10.0.1.5\"\nreason = \"pentest CHG-42\"\nexpires = \"2999-01-01\"\n",
    );
    assert!(analytics(&allowed.stdout).is_empty());
    assert!(text(&allowed.stderr).contains("allowlisted: pentest CHG-42"));
    // With --state, what was suppressed is kept and listable, with why.
    let state = dir.path().join("state");
    let path = write(
        dir.path(),
        "allow.toml",
        "[[allow]]\ndetector = \"internal-port-scan\"\nsource = \"10.0.1.0/24\"\nreason = \"pentest CHG-42\"\n",
    );
    let kept = eastwest(&[
        "detect",
        "--config",
        &path,
        "--state",
        state.to_str().expect("path"),
        &input,
    ]);
    assert_eq!(kept.status.code(), Some(0), "{}", text(&kept.stderr));
    let listed = eastwest(&[
        "incidents",
        "suppressed",
        "--state",
        state.to_str().expect("path"),
    ]);
    let listed = text(&listed.stdout);
    assert!(
        listed.contains("internal-port-scan") && listed.contains("allowlisted: pentest CHG-42"),
        "{listed}"
    );
    let expired = run(
        "[[allow]]\ndetector = \"*\"\nsource = \"10.0.1.5\"\nreason = \"old\"\nexpires = \"2001-01-01\"\n",
    );
    assert_eq!(analytics(&expired.stdout), ["internal-port-scan"]);
    // A typo is said, and a wrong value refused.
    let typo = run("[detectors.internal-port-scan]\nmin_probs = 5\n");
    assert!(text(&typo.stderr).contains("has no threshold 'min_probs'"));
    let bad = run("[detectors.internal-port-scan]\nmin_probes = \"many\"\n");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("expected a number"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn user_rules_run_beside_the_builtin_ones() {
    let dir = tempfile::tempdir().expect("dir");
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).expect("dir");
    write(
        &rules,
        "ssh-rejected.sql",
        r#"/*
id = "ssh-rejected"
title = "{src_addr} was refused on SSH {n_refused} time(s)"
description = "Refused SSH from {src_addr} on {period}."
attack = ["T1021.004"]
severity = "low"
remediation = "Look at {src_addr}."
evidence = "rejected > 0"
[thresholds.min_refused]
default = 1
doc = "Refused SSH attempts."
*/
SELECT client_addr AS src_addr, to_char(date_trunc('day', window_start), '%Y-%m-%d') AS period,
       sum(rejected) AS n_refused, min(first_seen) AS first_seen, max(last_seen) AS last_seen
FROM connections WHERE server_port = 22 AND rejected > 0
GROUP BY 1, 2 HAVING sum(rejected) >= ${min_refused}
"#,
    );
    let rules_arg = rules.display().to_string();
    let input = scan().display().to_string();
    let out = eastwest(&["detect", "--format", "json", "--rules", &rules_arg, &input]);
    let mut found = analytics(&out.stdout);
    found.sort();
    assert_eq!(
        found,
        ["internal-port-scan", "ssh-rejected"],
        "{}",
        text(&out.stderr)
    );
    let listed = eastwest(&["detectors", "--rules", &rules_arg]);
    let listing = text(&listed.stdout);
    assert!(listing.contains("ssh-rejected") && listing.contains("min_refused = 1"));
    assert!(listing.contains("internal-port-scan") && listing.contains("min_probes = 20"));
    // A rule whose query names a threshold it does not declare is refused, by file.
    write(
        &rules,
        "broken.sql",
        "/*\nid = \"broken\"\ntitle = \"t\"\ndescription = \"d\"\nattack = [\"T1046\"]\nseverity = \"low\"\nremediation = \"r\"\n*/\nSELECT ${nothing}\n",
    );
    let broken = eastwest(&["detect", "--rules", &rules_arg, &input]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(
        text(&broken.stderr).contains("broken.sql") && text(&broken.stderr).contains("${nothing}"),
        "{}",
        text(&broken.stderr)
    );
}

#[test]
fn sarif_points_at_the_evidence() {
    let input = scan().display().to_string();
    let out = eastwest(&["detect", "--format", "sarif", &input]);
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "internal-port-scan");
    let location = &result["locations"][0]["physicalLocation"];
    assert!(
        location["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|u| u.ends_with("flows.log")),
        "{result}"
    );
    assert_eq!(location["region"]["startLine"], 6, "{result}");
}

#[test]
fn a_users_sigma_rule_runs_and_sarif_describes_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "ssm.yml",
        "title: SSM command by a person\nid: user-ssm\nlevel: high\n\
         tags: [attack.execution, attack.t1651]\n\
         logsource: {product: aws, service: cloudtrail}\n\
         detection:\n  sel:\n    eventName: SendCommand\n    userIdentity.type: IAMUser\n  \
         condition: sel\n",
    );
    // A rule for a log source eastwest does not read is listed, not dropped.
    write(
        dir.path(),
        "windows.yml",
        "title: Windows thing\nlogsource: {product: windows, category: process_creation}\n\
         detection:\n  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n",
    );
    let capture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/cloudtrail/stratus-red-team/aws.execution.ssm-send-command.json");
    let rules = dir.path().display().to_string();
    let out = eastwest(&[
        "detect",
        "--format",
        "sarif",
        "--rules",
        &rules,
        capture.to_str().expect("UTF-8 path"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("1 Sigma rule(s) not run: 1 for log sources eastwest does not read"),
        "{}",
        text(&out.stderr)
    );
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let run = &sarif["runs"][0];
    let described = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .any(|r| r["id"] == "sigma:user-ssm");
    assert!(described, "{}", run["tool"]["driver"]["rules"]);
    let result = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "sigma:user-ssm")
        .unwrap_or_else(|| panic!("no result of the user's rule: {}", run["results"]));
    assert_eq!(result["level"], "error", "{result}");

    let listed = eastwest(&["detectors", "--rules", &rules]);
    let listed = text(&listed.stdout);
    assert!(listed.contains("sigma:user-ssm"), "{listed}");
    assert!(
        listed.contains("windows.yml")
            && listed.contains("no mapping for logsource product=windows"),
        "{listed}"
    );
}

#[test]
fn state_keeps_the_baseline_and_reports_repeats_as_updates() {
    let dir = tempfile::tempdir().expect("dir");
    let state = dir.path().join("state").display().to_string();
    let input = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/cases/baseline-departures/flows.log")
        .display()
        .to_string();
    let first = eastwest(&[
        "detect", "--format", "json", "--learn", "2h", "--state", &state, &input,
    ]);
    assert_eq!(analytics(&first.stdout).len(), 4, "{}", text(&first.stderr));
    assert!(
        text(&first.stdout)
            .lines()
            .all(|l| l.contains("\"activity_id\":1"))
    );
    let shown = eastwest(&["baseline", "show", "--state", &state]);
    let shown_text = text(&shown.stdout);
    assert!(shown_text.contains("baseline: 3 h learned"), "{shown_text}");
    assert!(
        shown_text.contains("10.0.9.9") && shown_text.contains("10.0.3.4"),
        "{shown_text}"
    );
    // The same input again: the baseline now comes from the state, and what was flagged was
    // not learned as normal, so the same findings come back, as updates.
    let second = eastwest(&[
        "detect", "--format", "json", "--learn", "2h", "--state", &state, &input,
    ]);
    assert!(
        text(&second.stderr).contains("loaded from the state"),
        "{}",
        text(&second.stderr)
    );
    // The file itself is not read twice: its connections come from the state.
    assert!(
        text(&second.stderr).contains("1 input file(s) were read by an earlier run"),
        "{}",
        text(&second.stderr)
    );
    let mut a = analytics(&first.stdout);
    let mut b = analytics(&second.stdout);
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert!(
        text(&second.stdout)
            .lines()
            .all(|l| l.contains("\"activity_id\":2"))
    );
    let none = eastwest(&[
        "baseline",
        "show",
        "--state",
        &dir.path().join("nothing").display().to_string(),
    ]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("no baseline yet"));
}

#[test]
fn malformed_records_are_counted_and_detection_goes_on() {
    let dir = tempfile::tempdir().expect("dir");
    let mut content = std::fs::read_to_string(scan()).expect("reads");
    content.push_str("this is not a flow record\n");
    let input = write(dir.path(), "flows.log", &content);
    let out = eastwest(&["detect", "--format", "json", &input]);
    assert_eq!(analytics(&out.stdout), ["internal-port-scan"]);
    let lines = content.lines().count();
    assert!(
        text(&out.stderr).contains(&format!("flows.log:{lines}")),
        "{}",
        text(&out.stderr)
    );
    let missing = eastwest(&[
        "detect",
        &dir.path().join("absent.log").display().to_string(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn a_learning_period_spread_over_two_runs_goes_on_where_it_stopped() {
    let dir = tempfile::tempdir().expect("dir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/cases/baseline-departures/flows.log");
    let content = std::fs::read_to_string(&source).expect("reads");
    let mut lines = content.lines();
    let header = lines.next().expect("header");
    let start = |line: &str| -> i64 {
        line.split(' ')
            .nth(11)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    };
    let records: Vec<&str> = lines.collect();
    let first_hour = records.iter().map(|l| start(l)).min().expect("records") / 3600 * 3600;
    let (early, late): (Vec<&str>, Vec<&str>) =
        records.iter().partition(|l| start(l) < first_hour + 3600);
    let a = write(
        dir.path(),
        "a.log",
        &format!("{header}\n{}\n", early.join("\n")),
    );
    let b = write(
        dir.path(),
        "b.log",
        &format!("{header}\n{}\n", late.join("\n")),
    );
    let state = dir.path().join("state").display().to_string();
    let run = |input: &str| {
        eastwest(&[
            "detect", "--format", "json", "--learn", "2h", "--state", &state, input,
        ])
    };
    // One hour of the two to learn: nothing that needs a baseline can run yet.
    let first = run(&a);
    assert!(
        analytics(&first.stdout).is_empty(),
        "{}",
        text(&first.stdout)
    );
    assert!(
        text(&first.stderr).contains("did not run"),
        "{}",
        text(&first.stderr)
    );
    // The second run learns the remaining hour, then finds what one run over both finds.
    let second = run(&b);
    let mut found = analytics(&second.stdout);
    found.sort();
    let whole = eastwest(&[
        "detect",
        "--format",
        "json",
        "--learn",
        "2h",
        &source.display().to_string(),
    ]);
    let mut expected = analytics(&whole.stdout);
    expected.sort();
    assert_eq!(found, expected, "{}", text(&second.stderr));
    assert_eq!(found.len(), 4);
}

/// A CloudTrail record (JSON lines, as CloudTrail Lake exports them) of `user` calling `api`.
fn trail_event(time: &str, user: &str, source: &str, api: &str, parameters: &str) -> String {
    serde_json::json!({
        "eventVersion": "1.09",
        "eventTime": time,
        "eventSource": source,
        "eventName": api,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.15.30",
        "userIdentity": {
            "type": "IAMUser",
            "arn": format!("arn:aws:iam::111122223333:user/{user}"),
            "principalId": format!("AIDA{}", user.to_uppercase()),
            "accountId": "111122223333",
            "userName": user
        },
        "requestParameters": serde_json::from_str::<Value>(parameters).expect("JSON"),
        "eventID": format!("{time}-{user}-{api}"),
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333"
    })
    .to_string()
}

#[test]
fn the_activity_baseline_learns_who_runs_remote_commands() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The team's own deployment document: no built-in Sigma rule matches it (one that did would
    // be a finding on the learning day, and what a run flags is not learned as normal).
    let shell = r#"{"instanceIds": ["i-0123456789abcdef0"], "documentName": "Acme-DeployApp"}"#;
    let lines = [
        // Day 1, the learning day: alice runs commands through SSM, as she does every day.
        trail_event(
            "2024-03-04T10:00:00Z",
            "alice",
            "ssm.amazonaws.com",
            "SendCommand",
            shell,
        ),
        trail_event(
            "2024-03-04T23:59:00Z",
            "alice",
            "ec2.amazonaws.com",
            "DescribeInstances",
            "{}",
        ),
        // Day 2: alice again (known), and bob, who never did.
        trail_event(
            "2024-03-05T10:00:00Z",
            "alice",
            "ssm.amazonaws.com",
            "SendCommand",
            shell,
        ),
        trail_event(
            "2024-03-05T11:00:00Z",
            "bob",
            "ssm.amazonaws.com",
            "SendCommand",
            shell,
        ),
    ];
    let input = write(dir.path(), "trail.json", &(lines.join("\n") + "\n"));
    let output = eastwest(&["detect", "--format", "json", "--learn", "24h", &input]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let found = text(&output.stdout);
    let lateral: Vec<&str> = found
        .lines()
        .filter(|l| l.contains("\"uid\":\"cloud-api-lateral\""))
        .collect();
    assert_eq!(lateral.len(), 1, "{found}");
    assert!(lateral[0].contains("user/bob"), "{}", lateral[0]);
    assert!(
        lateral[0].contains("never called SendCommand in the baseline"),
        "{}",
        lateral[0]
    );

    // The same day 2 alone, with no baseline: everything is new, and alice is reported too.
    let day2 = write(dir.path(), "day2.json", &(lines[2..].join("\n") + "\n"));
    let output = eastwest(&["detect", "--format", "json", &day2]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let found = analytics(&output.stdout);
    assert_eq!(
        found.iter().filter(|a| *a == "cloud-api-lateral").count(),
        2,
        "{found:?}"
    );
}
