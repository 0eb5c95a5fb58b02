//! `eastwest simulate` as a user runs it: every format reads back through `query`, with the
//! simulator's inventory naming every internal address.

use std::path::Path;
use std::process::{Command, Output};

fn eastwest(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .args(["--quiet", "--threads", "2"])
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The record count the simulator reported on standard error.
fn reported_records(stderr: &str) -> u64 {
    reported(stderr, "flow")
}

fn query(dir: &Path, sql: &str) -> String {
    let flows = dir.join("logs/AWSLogs/111122223333/vpcflowlogs");
    let inventory = dir.join("inventory");
    let out = eastwest(&[
        "query",
        "--format",
        "csv",
        "--inventory",
        inventory.to_str().expect("path"),
        sql,
        flows.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn every_format_reads_back_and_every_internal_address_is_named() {
    for format in ["v2", "v5", "parquet"] {
        let dir = tempfile::tempdir().expect("dir");
        let out = eastwest(&[
            "simulate",
            "--out",
            dir.path().to_str().expect("path"),
            "--scenario",
            "recon-sweep",
            "--scenario",
            "db-exfil",
            "--hosts",
            "10",
            "--days",
            "0.25",
            "--format",
            format,
        ]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let records = reported_records(&stderr);
        assert!(records > 10_000, "{format}: {records}");
        let counts = query(
            dir.path(),
            "SELECT count(*) AS n, count(*) FILTER (WHERE src_is_internal AND src_kind IN ('unassigned', 'ambiguous')) AS unnamed, \
             count(*) FILTER (WHERE src_kind = 'instance' AND src_role IS NULL AND src_name NOT IN ('legacy-tools')) AS roleless FROM flows",
        );
        // v2 has no vpc-id: the logging ENI's VPC comes from the inventory, and still every
        // internal source is an asset.
        assert_eq!(
            counts,
            format!("n,unnamed,roleless\n{records},0,0\n"),
            "{format}"
        );
    }
}

#[test]
fn unknown_scenarios_and_bad_options_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let out = eastwest(&[
        "simulate",
        "--out",
        dir.path().to_str().expect("path"),
        "--scenario",
        "nope",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unknown scenario 'nope'") && stderr.contains("ssm-pivot"),
        "{stderr}"
    );
    let out = eastwest(&[
        "simulate",
        "--out",
        dir.path().to_str().expect("path"),
        "--hosts",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--hosts"));
}

#[test]
fn eval_writes_an_honest_report() {
    let dir = tempfile::tempdir().expect("dir");
    let report = dir.path().join("EVALUATION.md");
    let out = eastwest(&[
        "eval",
        "--report",
        report.to_str().expect("path"),
        "--hosts",
        "9",
        "--days",
        "0.5",
        "--seed",
        "4",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let text = std::fs::read_to_string(&report).expect("report");
    assert!(
        text.contains("Detectors: internal-port-scan, external-scan"),
        "{text}"
    );
    // The scans leave their mark in flow logs whatever the estate's size, the other scenarios
    // theirs in CloudTrail, DNS and the host logs.
    assert!(
        text.contains("| recon-sweep | T1046 | found | internal-port-scan |"),
        "{text}"
    );
    assert!(
        text.contains("| slow-scan | T1046 | found | internal-port-scan |"),
        "{text}"
    );
    for (scenario, detector) in [
        ("dns-tunnel", "dns-tunnel"),
        ("webshell", "webserver-shell"),
        ("persistence", "account-manipulation"),
        ("ssrf-imds", "instance-credential-exfiltration"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("| {scenario} |"))
                    && l.contains("| found |")
                    && l.contains(detector)),
            "{scenario}: {text}"
        );
    }
    // No finding on the benign estate, so no incident either.
    assert!(text.contains("0 detections in 4.5 host-days"), "{text}");
    assert!(
        text.contains("the benign-only estate yields 0 incident(s)"),
        "{text}"
    );
    // Every found scenario's finding is in an incident that names a patient zero; the spray
    // starts on a host no step led to, so its own. (Nine hosts are few: scenarios share hosts,
    // and one whose host another had entered first joins that host's incident, as the evidence
    // says; EVALUATION.md, on 24 hosts, has every patient zero right.)
    for line in text.lines().filter(|l| l.contains("| found |")) {
        assert!(
            line.contains("| right (i-") || line.contains("| wrong (i-"),
            "{line}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("| ssh-spray-pivot |") && l.contains("| right (i-")),
        "{text}"
    );
    assert!(
        text.contains("`eastwest eval --hosts 9 --days 0.5 --seed 4`"),
        "{text}"
    );
}

#[test]
fn audit_compares_rules_with_the_flows() {
    let dir = tempfile::tempdir().expect("dir");
    let out = eastwest(&[
        "simulate",
        "--out",
        dir.path().to_str().expect("path"),
        "--hosts",
        "10",
        "--days",
        "1",
        "--seed",
        "6",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let inventory = dir.path().join("inventory");
    let flows = dir.path().join("logs/AWSLogs");
    let run = |inventory: &Path| {
        let out = eastwest(&[
            "audit",
            "--format",
            "json",
            "--check",
            "nacl-allows-all",
            "--inventory",
            inventory.to_str().expect("path"),
            "--flows",
            flows.to_str().expect("path"),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
            .map(|f| {
                (
                    f["finding_info"]["analytic"]["uid"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    f["finding_info"]["desc"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let results = run(&inventory);
    let unused: Vec<&String> = results
        .iter()
        .filter(|(c, _)| c == "rule-never-used")
        .map(|(_, d)| d)
        .collect();
    // Benign life never uses the reporting database's VPC-wide rule nor the app tier's
    // all-ports self-reference; everything accepted is explained by some rule.
    assert!(
        unused
            .iter()
            .any(|d| d.contains("(reporting-db) admits tcp/5432 from 10.40.0.0/16")),
        "{unused:?}"
    );
    assert!(
        unused
            .iter()
            .any(|d| d.contains("(app) admits all traffic from sg-")),
        "{unused:?}"
    );
    assert!(
        !unused.iter().any(|d| d.contains("(sessions-cache)")),
        "the cache rule is used: {unused:?}"
    );
    assert!(
        !results.iter().any(|(c, _)| c == "flow-outside-rules"),
        "{results:?}"
    );

    // Remove the app tier's 8080-from-web rule: the web→app traffic in the logs is now drift.
    let file = inventory.join("111122223333/us-east-1/ec2-describe-security-groups.json");
    let mut groups: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    for g in groups["SecurityGroups"].as_array_mut().expect("groups") {
        if g["GroupName"] == "app" {
            g["IpPermissions"]
                .as_array_mut()
                .expect("rules")
                .retain(|p| p["FromPort"] != 8080);
        }
    }
    std::fs::write(&file, groups.to_string()).expect("write");
    let drift: Vec<(String, String)> = run(&inventory)
        .into_iter()
        .filter(|(c, _)| c == "flow-outside-rules")
        .collect();
    assert!(!drift.is_empty());
    assert!(
        drift.iter().all(|(_, d)| d.contains("accepted port 8080")),
        "{drift:?}"
    );
}

/// The count the simulator reported before `what` ("flow", "CloudTrail", "DNS", "host").
fn reported(stderr: &str, what: &str) -> u64 {
    let words: Vec<&str> = stderr.split_whitespace().collect();
    let at = words.iter().position(|w| *w == what).expect("summary line");
    words[at - 1].parse().expect("a count")
}

#[test]
fn every_log_kind_reads_back_with_no_problem_and_the_simulators_counts() {
    let dir = tempfile::tempdir().expect("dir");
    let out = eastwest(&[
        "simulate",
        "--out",
        dir.path().to_str().expect("path"),
        "--scenario",
        "all",
        "--hosts",
        "10",
        "--days",
        "0.5",
        "--seed",
        "3",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let (trail, dns, host_lines) = (
        reported(&stderr, "CloudTrail"),
        reported(&stderr, "DNS"),
        reported(&stderr, "host"),
    );
    assert!(trail > 0 && dns > 0 && host_lines > 0, "{stderr}");
    // What the host logs hold, counted from the files the simulator wrote.
    let (mut secure_lines, mut audit_lines, mut executions, mut auth_events) = (0, 0, 0, 0);
    let mut account_or_watch = 0;
    for entry in walk(&dir.path().join("logs/hosts")) {
        let content = std::fs::read_to_string(&entry).expect("read");
        let lines = content.lines().count() as u64;
        if entry.ends_with("var/log/secure") {
            secure_lines += lines;
            // PAM's "check pass; user unknown" precedes the failure line that says it all: a
            // line of the log, not an event of its own.
            auth_events += content
                .lines()
                .filter(|l| !l.ends_with("check pass; user unknown"))
                .count() as u64;
        } else {
            audit_lines += lines;
            // Every execve the simulator logs, with or without its EXECVE record (a parent's
            // execution is written as its SYSCALL record alone).
            executions += content
                .lines()
                .filter(|l| l.starts_with("type=SYSCALL") && l.contains(" syscall=59 "))
                .count() as u64;
            // Accounts added, and writes caught by a keyed file watch.
            account_or_watch += content
                .lines()
                .filter(|l| {
                    l.starts_with("type=ADD_USER")
                        || (l.starts_with("type=SYSCALL")
                            && !l.contains(" syscall=59 ")
                            && l.contains(" key=\""))
                })
                .count() as u64;
        }
    }
    assert_eq!(secure_lines + audit_lines, host_lines);
    assert!(executions > 0 && account_or_watch > 0);
    let logs = dir.path().join("logs");
    let inventory = dir.path().join("inventory");
    let sql = "SELECT \
        (SELECT count(*) FROM cloudtrail) AS trail, \
        (SELECT count(*) FROM dns) AS dns, \
        (SELECT count(*) FROM ssh) AS ssh, \
        (SELECT count(*) FROM process) AS process, \
        (SELECT count(*) FROM audit) AS audit, \
        (SELECT count(*) FROM dns WHERE src_kind <> 'instance' OR src_name IS NULL) AS dns_unnamed, \
        (SELECT count(*) FROM ssh WHERE host_kind <> 'instance' OR host_name IS NULL) AS ssh_unnamed, \
        (SELECT count(*) FROM process WHERE host_name IS NULL) AS process_unnamed, \
        (SELECT count(*) FROM cloudtrail WHERE session_instance_id IS NOT NULL AND session_name IS NULL) AS sessions_unnamed, \
        (SELECT min(answers) FROM dns WHERE query_name = 'api.github.com.') AS github";
    let out = eastwest(&[
        "query",
        "--format",
        "csv",
        "--inventory",
        inventory.to_str().expect("path"),
        sql,
        logs.to_str().expect("path"),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // Not one problem: no malformed event, no unknown file, nothing unreadable.
    assert!(
        !stderr.lines().any(|l| l.starts_with("warning:")
            || l.starts_with("error:")
            || (l.starts_with("note:") && !l.starts_with("note: read"))),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .filter(|l| l.starts_with("note: read"))
            .all(|l| l.contains("skipped 0 malformed records, 0 files of other kinds")),
        "{stderr}"
    );
    assert_eq!(
        text(&out.stdout),
        format!(
            "trail,dns,ssh,process,audit,dns_unnamed,ssh_unnamed,process_unnamed,sessions_unnamed,github\n{trail},{dns},{auth_events},{executions},{account_or_watch},0,0,0,0,[140.82.112.5]\n"
        )
    );
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn an_attack_chain_is_one_incident_with_its_patient_zero_hops_and_response() {
    let dir = tempfile::tempdir().expect("dir");
    let sim = dir.path().join("sim");
    let out = eastwest(&[
        "simulate",
        "--out",
        sim.to_str().expect("path"),
        "--scenario",
        "ssh-spray-pivot",
        "--hosts",
        "12",
        "--days",
        "2",
        "--quiet-days",
        "1",
        "--seed",
        "2",
    ]);
    // The authorised scanner is named, as in eval: its sweeps are no intrusion.
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[scanners]\nassets = [\"vuln-scanner\"]\n").expect("config");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sim.join("truth.json")).expect("truth"))
            .expect("json");
    let scenarios = truth
        .as_array()
        .or(truth["scenarios"].as_array())
        .expect("list");
    let zero = scenarios[0]["patient_zero"].as_str().expect("patient zero");
    let state = dir.path().join("state");
    let incidents = dir.path().join("incidents.json");
    let findings = dir.path().join("findings.json");
    let run = eastwest(&[
        "detect",
        sim.join("logs").to_str().expect("path"),
        "--inventory",
        sim.join("inventory").to_str().expect("path"),
        "--state",
        state.to_str().expect("path"),
        "--format",
        "json",
        "--output",
        findings.to_str().expect("path"),
        "--incidents",
        incidents.to_str().expect("path"),
        "--config",
        config.to_str().expect("path"),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let events: Vec<serde_json::Value> = std::fs::read_to_string(&incidents)
        .expect("incidents")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(events.len(), 1, "one intrusion, one incident: {events:#?}");
    let incident = &events[0];
    assert_eq!(incident["class_uid"], 2005);
    assert_eq!(incident["unmapped"]["patient_zero"], zero);
    // The spray ends in a login: patient zero to the host it got into, which is contained too.
    let hops = incident["unmapped"]["hops"].as_array().expect("hops");
    assert!(!hops.is_empty(), "{incident:#}");
    assert_eq!(hops[0]["from"], zero);
    let contain: Vec<&str> = incident["unmapped"]["contain"]
        .as_array()
        .expect("contain")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(contain.first().copied(), Some(zero));
    assert!(contain.contains(&hops[0]["to"].as_str().expect("to")));
    // Passwords were sprayed, no role's credentials taken: nothing to revoke.
    assert!(
        incident["unmapped"]["revoke"]
            .as_array()
            .is_none_or(|r| r.is_empty()),
        "{incident:#}"
    );
    let times: Vec<i64> = hops.iter().filter_map(|h| h["at_ms"].as_i64()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // Its members are the run's findings, by uid.
    let finding_uids: Vec<String> = std::fs::read_to_string(&findings)
        .expect("findings")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            v["finding_info"]["uid"].as_str().expect("uid").to_string()
        })
        .collect();
    let members = incident["finding_info_list"].as_array().expect("members");
    assert!(!members.is_empty());
    for member in members {
        assert!(finding_uids.contains(&member["uid"].as_str().expect("uid").to_string()));
    }
    // Kept under --state: listed, and told host by host.
    let uid = incident["metadata"]["uid"].as_str().expect("uid");
    let list = eastwest(&[
        "incidents",
        "list",
        "--state",
        state.to_str().expect("path"),
    ]);
    assert!(
        text(&list.stdout).contains(&uid[..12]),
        "{}",
        text(&list.stdout)
    );
    let show = eastwest(&[
        "incidents",
        "show",
        &uid[..8],
        "--state",
        state.to_str().expect("path"),
    ]);
    let story = text(&show.stdout);
    assert!(
        story.contains("(patient zero)")
            && story.contains("reached from")
            && story.contains("eastwest contain"),
        "{story}"
    );
}
