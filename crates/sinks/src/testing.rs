//! Findings the unit tests share: one of each class, every field filled.

use std::collections::BTreeMap;

use eastwest_model::ControlStatus;
use eastwest_model::attack::attack;
use eastwest_model::finding::Compliance;
use eastwest_model::{Endpoint, Evidence, Finding, Resource, Severity, Status};

/// A port scan from a web host, with two records, counts and a baseline.
pub fn detection_finding() -> Finding {
    Finding {
        uid: "0123456789abcdef0123456789abcdef".into(),
        analytic: "internal-port-scan".into(),
        title: "Internal port scan".into(),
        description: "web-1 tried 40 ports on 12 hosts in 5 minutes.".into(),
        attacks: ["T1046", "T1021.004"]
            .iter()
            .filter_map(|id| attack(id))
            .collect(),
        severity: Severity::High,
        confidence: 80,
        first_seen_ms: 1_700_000_000_000,
        last_seen_ms: 1_700_000_000_400,
        source: Some(Endpoint {
            ip: Some("10.0.1.5".into()),
            name: Some("web-1".into()),
            kind: Some("instance".into()),
            instance_uid: Some("i-0aaa".into()),
            interface_uid: Some("eni-0aaa".into()),
            vpc_uid: Some("vpc-1".into()),
            subnet_uid: Some("subnet-1".into()),
            group: Some("asg:web".into()),
            role: Some("web-role".into()),
            account: Some("111122223333".into()),
            ..Endpoint::default()
        }),
        destination: Some(Endpoint {
            ip: Some("10.0.2.9".into()),
            port: Some(22),
            name: Some("db-1".into()),
            ..Endpoint::default()
        }),
        resources: vec![Resource {
            uid: "i-0aaa".into(),
            kind: "AWS::EC2::Instance".into(),
            name: Some("web-1".into()),
            account: Some("111122223333".into()),
            region: Some("us-east-1".into()),
        }],
        evidence: vec![
            Evidence {
                source_file: "flows/a.log.gz".into(),
                source_line: 12,
                summary: "10.0.1.5 → 10.0.2.9:22 REJECT".into(),
            },
            Evidence {
                source_file: "flows/b.log.gz".into(),
                source_line: 3,
                summary: "10.0.1.5 → 10.0.2.10:3389 REJECT".into(),
            },
        ],
        counts: BTreeMap::from([("ports".into(), 40.0), ("ratio".into(), 0.5)]),
        baseline: Some("web-1 usually reaches 2 hosts on 1 port".into()),
        remediation: "Isolate the host.".into(),
        status: Status::New,
        compliance: None,
        account: Some("111122223333".into()),
        region: Some("us-east-1".into()),
    }
}

/// A posture result as `eastwest_posture::to_finding` makes one.
pub fn compliance_finding() -> Finding {
    Finding {
        uid: "eastwest:imdsv1-allowed:i-0bbb".into(),
        analytic: "imdsv1-allowed".into(),
        title: "Instances allow IMDSv1".into(),
        description: "i-0bbb has HttpTokens optional.\nIMDSv1 hands out role credentials.".into(),
        attacks: Vec::new(),
        severity: Severity::Medium,
        confidence: 100,
        first_seen_ms: 1_700_000_000_000,
        last_seen_ms: 1_700_000_000_000,
        source: None,
        destination: None,
        resources: vec![Resource {
            uid: "i-0bbb".into(),
            kind: "AWS::EC2::Instance".into(),
            name: None,
            account: Some("111122223333".into()),
            region: Some("us-east-1".into()),
        }],
        evidence: Vec::new(),
        counts: BTreeMap::new(),
        baseline: None,
        remediation: "aws ec2 modify-instance-metadata-options --http-tokens required".into(),
        status: Status::New,
        compliance: Some(Compliance {
            control: "imdsv1-allowed".into(),
            standards: vec!["eastwest lateral-movement posture".into()],
            status: ControlStatus::Fail,
        }),
        account: Some("111122223333".into()),
        region: Some("us-east-1".into()),
    }
}
