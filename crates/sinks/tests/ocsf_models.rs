//! The OCSF writer checked by a second implementation of the schema: py-ocsf-models, the
//! pydantic models Prowler writes its OCSF with (`validate_ocsf.py` beside this file says how
//! strictly). Without python3 or the package the tests say how to install it and pass, except
//! under CI (`CI` set), where a missing validator is a failure.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use eastwest_model::ControlStatus;
use eastwest_model::attack::attack;
use eastwest_model::finding::Compliance;
use eastwest_model::{Endpoint, Evidence, Finding, Resource, Severity, Status};
use eastwest_sinks::{ocsf, write_json_lines};

/// The release `.ci/run` installs.
const PACKAGE: &str = "py-ocsf-models==0.10.0";

/// Exit status of the script when the package cannot be imported.
const MISSING: i32 = 3;

/// A detection finding with every field filled.
fn detection() -> Finding {
    let endpoint = |ip: &str, name: &str, instance: &str| Endpoint {
        ip: Some(ip.into()),
        port: None,
        name: Some(name.into()),
        kind: Some("instance".into()),
        instance_uid: Some(instance.into()),
        interface_uid: Some(format!("eni-{instance}")),
        vpc_uid: Some("vpc-0a1b".into()),
        subnet_uid: Some("subnet-0a1b".into()),
        group: Some("asg:web".into()),
        role: Some("web-role".into()),
        account: Some("111122223333".into()),
    };
    Finding {
        uid: "5f0e1d2c3b4a59687766554433221100".into(),
        analytic: "ssh-password-spraying".into(),
        title: "SSH password spraying between hosts".into(),
        description: "web-1 tried 14 accounts on 6 hosts over SSH in 10 minutes.".into(),
        attacks: ["T1110.003", "T1021.004", "TA0008"]
            .iter()
            .filter_map(|id| attack(id))
            .collect(),
        severity: Severity::Critical,
        confidence: 65,
        first_seen_ms: 1_763_900_000_000,
        last_seen_ms: 1_763_900_600_000,
        source: Some(endpoint("10.0.1.5", "web-1", "i-0aaa")),
        destination: Some(Endpoint {
            port: Some(22),
            ..endpoint("10.0.2.9", "app-3", "i-0bbb")
        }),
        resources: vec![
            Resource {
                uid: "i-0aaa".into(),
                kind: "AWS::EC2::Instance".into(),
                name: Some("web-1".into()),
                account: Some("111122223333".into()),
                region: Some("eu-west-1".into()),
            },
            Resource {
                uid: "web-role".into(),
                kind: "AWS::IAM::Role".into(),
                name: None,
                account: None,
                region: None,
            },
        ],
        evidence: vec![Evidence {
            source_file: "logs/host/web-1/auth.log".into(),
            source_line: 4_211,
            summary: "Failed password for invalid user admin from 10.0.1.5".into(),
        }],
        counts: BTreeMap::from([
            ("accounts".into(), 14.0),
            ("hosts".into(), 6.0),
            ("failure_ratio".into(), 0.93),
        ]),
        baseline: Some("web-1 has never logged in to another host over SSH".into()),
        remediation: "Isolate web-1 and rotate the credentials it holds.".into(),
        status: Status::New,
        compliance: None,
        account: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
    }
}

/// A posture result, as `eastwest_posture::to_finding` makes one.
fn compliance() -> Finding {
    Finding {
        uid: "eastwest:sg-self-all-ports:sg-0c0d".into(),
        analytic: "sg-self-all-ports".into(),
        title: "Security group admits all traffic from itself".into(),
        description: "sg-0c0d (app) admits every port from its own members.\nOne compromised member reaches every other on every port.".into(),
        attacks: Vec::new(),
        severity: Severity::Medium,
        confidence: 100,
        first_seen_ms: 1_763_900_000_000,
        last_seen_ms: 1_763_900_000_000,
        source: None,
        destination: None,
        resources: vec![Resource {
            uid: "sg-0c0d".into(),
            kind: "AWS::EC2::SecurityGroup".into(),
            name: None,
            account: Some("111122223333".into()),
            region: Some("eu-west-1".into()),
        }],
        evidence: Vec::new(),
        counts: BTreeMap::new(),
        baseline: None,
        remediation: "Admit only the ports the members serve to each other.".into(),
        status: Status::New,
        compliance: Some(Compliance {
            control: "sg-self-all-ports".into(),
            standards: vec!["eastwest lateral-movement posture".into()],
            status: ControlStatus::Fail,
        }),
        account: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
    }
}

/// Runs the validator over `lines`: `None` when it cannot run here (and may be skipped), else
/// its exit status, standard output and standard error.
fn validate(lines: &[u8]) -> Option<(i32, String, String)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("findings.jsonl");
    std::fs::write(&file, lines).expect("written");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_ocsf.py");
    let output = match Command::new("python3").arg(&script).arg(&file).output() {
        Ok(output) => output,
        Err(e) => return unavailable(&format!("python3 does not run ({e})")),
    };
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output.status.code().unwrap_or(-1);
    if code == MISSING {
        return unavailable(stderr.trim());
    }
    Some((
        code,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    ))
}

fn unavailable(why: &str) -> Option<(i32, String, String)> {
    assert!(
        std::env::var_os("CI").is_none(),
        "{why}: CI must have the validator (python3 -m pip install '{PACKAGE}')"
    );
    eprintln!("skipped: {why}; install {PACKAGE} (python3 -m pip install '{PACKAGE}')");
    None
}

#[test]
fn detection_update_and_compliance_findings_pass_py_ocsf_models() {
    let mut update = detection();
    update.status = Status::Update;
    let mut lines = Vec::new();
    write_json_lines(
        &[detection(), update, compliance()],
        1_763_900_700_000,
        &mut lines,
    )
    .expect("written");
    let Some((code, stdout, stderr)) = validate(&lines) else {
        return;
    };
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), "validated 3", "{stderr}");
}

#[test]
fn the_validator_rejects_a_wrong_type_and_an_unknown_attribute() {
    // A string severity, a misspelt nested attribute, and a port out of range: each alone must
    // fail, so the passing test above means something.
    let mutations: [fn(&mut serde_json::Value); 3] = [
        |event| event["severity_id"] = "5".into(),
        |event| event["finding_info"]["first_seen_tim"] = 1.into(),
        |event| event["src_endpoint"]["port"] = 70_000.into(),
    ];
    for (index, mutate) in mutations.iter().enumerate() {
        let mut event = ocsf(&detection(), 1);
        mutate(&mut event);
        let Some((code, _, stderr)) = validate(format!("{event}\n").as_bytes()) else {
            return;
        };
        assert_eq!(code, 1, "mutation {index} passed: {stderr}");
        assert!(stderr.starts_with("line 1: "), "mutation {index}: {stderr}");
    }
}

/// py-ocsf-models 0.10.0 has no Incident Finding model: the 2005 events are checked here
/// against OCSF 1.3.0's class definition (its required attributes and their types, and the
/// `finding_info` objects' required `uid`), and against the members they name.
#[test]
fn an_incident_is_an_ocsf_1_3_incident_finding_naming_its_members() {
    let first = detection();
    let mut second = detection();
    second.uid = "00112233445566778899aabbccddeeff".into();
    second.first_seen_ms += 60_000;
    let incidents = eastwest_correlate::correlate(&[first.clone(), second.clone()]);
    assert_eq!(incidents.len(), 1);
    let event = ocsf::incident(
        &incidents[0],
        &[first, second],
        Status::New,
        1_763_900_700_000,
    );
    let integer = |key: &str| {
        event[key]
            .as_i64()
            .unwrap_or_else(|| panic!("{key}: an integer is required: {event:#}"))
    };
    assert_eq!(integer("class_uid"), 2005);
    assert_eq!(integer("category_uid"), 2);
    assert_eq!(integer("activity_id"), 1);
    assert_eq!(integer("type_uid"), 200_501);
    assert_eq!(integer("severity_id"), 5);
    assert!((1..=5).contains(&integer("status_id")));
    assert!((1..=4).contains(&integer("priority_id")));
    assert_eq!(integer("time"), 1_763_900_700_000);
    assert_eq!(event["metadata"]["version"], "1.3.0");
    assert!(event["metadata"]["product"]["name"].is_string());
    let infos = event["finding_info_list"]
        .as_array()
        .expect("finding_info_list is required");
    let uids: Vec<&str> = infos.iter().filter_map(|i| i["uid"].as_str()).collect();
    assert_eq!(
        uids,
        [
            "5f0e1d2c3b4a59687766554433221100",
            "00112233445566778899aabbccddeeff"
        ]
    );
    assert!(infos.iter().all(|i| i["title"].is_string()));
    assert!(event["desc"].as_str().is_some_and(|d| d.contains("web-1")));
    assert_eq!(event["unmapped"]["patient_zero"], "i-0aaa");
    // Nothing is written as null.
    assert!(!event.to_string().contains(":null"), "{event}");
}
