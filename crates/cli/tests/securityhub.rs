//! `detect --securityhub` through the real SDK against moto_server on 127.0.0.1: the findings
//! and the incident are imported as ASFF with BatchImportFindings and read back with
//! GetFindings; a second run updates them (same ids) rather than adding more.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use aws_sdk_securityhub::config::{BehaviorVersion, Credentials, Region};
use common::Moto;

fn detect(endpoint: &str, output: &Path) -> Output {
    let scan = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/cases/port-scan-vertical/flows.log");
    Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .args(["--quiet", "detect"])
        .arg(scan)
        .args(["--securityhub", "--format", "json", "--output"])
        .arg(output)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_and_incidents_are_imported_and_read_back() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("dir");
    let output = dir.path().join("findings.json");
    let run = detect(&moto.url, &output);
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("securityhub:"), "{stderr}");
    let uids: Vec<String> = std::fs::read_to_string(&output)
        .expect("findings")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            v["finding_info"]["uid"].as_str().expect("uid").to_string()
        })
        .collect();
    assert!(!uids.is_empty());

    let client = aws_sdk_securityhub::Client::from_conf(
        aws_sdk_securityhub::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&moto.url)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .build(),
    );
    let read = client.get_findings().send().await.expect("GetFindings");
    let found = read.findings();
    let ids: Vec<&str> = found.iter().filter_map(|f| f.id()).collect();
    for uid in &uids {
        assert!(
            ids.contains(&format!("eastwest/{uid}").as_str()),
            "{uid}: {ids:?}"
        );
    }
    let incident = found
        .iter()
        .find(|f| f.id().is_some_and(|i| i.starts_with("eastwest/incident/")))
        .expect("the incident is imported");
    assert_eq!(incident.generator_id(), Some("eastwest/incident"));
    for f in found {
        assert_eq!(f.schema_version(), Some("2018-10-08"));
        assert_eq!(
            f.product_arn(),
            Some("arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default")
        );
        assert_eq!(f.aws_account_id(), Some("123456789012"));
        assert!(!f.resources().is_empty());
        assert!(!f.types().is_empty());
        assert!(f.title().is_some_and(|t| !t.is_empty() && t.len() <= 256));
        assert!(f.severity().and_then(|s| s.label()).is_some());
    }
    let first = found.len();
    assert_eq!(first, uids.len() + 1);

    // The same evidence again: the same ids, updated in place.
    let again = detect(&moto.url, &output);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let read = client.get_findings().send().await.expect("GetFindings");
    assert_eq!(read.findings().len(), first);
}
