//! Each check over real AWS CLI output (CloudMapper's demo account, the AWS CLI's documented
//! examples) and over the simulator's deliberate misconfigurations: each is found, nothing else.

use std::path::{Path, PathBuf};

use eastwest_inventory::{Inventory, load_dir};
use eastwest_model::{ControlStatus, Finding, Severity};
use eastwest_posture::{Config, STANDARD, audit, rationale, to_finding};
use eastwest_sim::{FlowFormat, SimOptions, simulate};

fn testdata(part: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/inventory")
        .join(part)
}

/// The checks that could not judge for lack of an output, with where, sorted.
fn not_collected(inventory: &Inventory) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = audit(inventory, &Config::default(), &[])
        .into_iter()
        .filter(|r| r.status == ControlStatus::NotCollected)
        .map(|r| (r.check.to_string(), r.failure.resource.clone()))
        .collect();
    out.sort();
    out
}

/// `(check, resource as a readable name, severity)` of the failures, sorted.
fn outcome(inventory: &Inventory, config: &Config) -> Vec<(String, String, Severity)> {
    let name = |id: &str| {
        inventory
            .security_groups
            .iter()
            .find(|g| g.item.group_id == id)
            .and_then(|g| g.item.group_name.clone())
            .map(|n| format!("sg:{n}"))
            .unwrap_or_else(|| id.to_string())
    };
    let mut out: Vec<(String, String, Severity)> = audit(inventory, config, &[])
        .into_iter()
        .filter(|r| r.status == ControlStatus::Fail)
        .map(|r| (r.check.to_string(), name(&r.failure.resource), r.severity))
        .collect();
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out
}

fn row(check: &str, resource: &str, severity: Severity) -> (String, String, Severity) {
    (check.to_string(), resource.to_string(), severity)
}

#[test]
fn simulator_misconfigurations_are_found_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let options = SimOptions {
        out: dir.path().to_path_buf(),
        hosts: 12,
        days: 0.05,
        seed: 2,
        ..SimOptions::default()
    };
    simulate(&options, &|_, _| {}).unwrap();
    let (inventory, _) = load_dir(&dir.path().join("inventory")).unwrap();
    let config = Config {
        admin_sources: vec![
            "198.51.100.0/24".parse().unwrap(),
            "10.50.0.0/24".parse().unwrap(),
        ],
        now_ms: Some(options.start_ms + 86_400_000),
        ..Config::default()
    };
    let legacy = inventory
        .instances
        .iter()
        .find(|i| i.item.tags.iter().any(|t| t.value == "legacy-tools"))
        .unwrap()
        .item
        .instance_id
        .clone();
    let web1 = inventory
        .instances
        .iter()
        .find(|i| i.item.tags.iter().any(|t| t.value == "web-1"))
        .unwrap()
        .item
        .instance_id
        .clone();
    let vpc_of = |name: &str| {
        inventory
            .vpcs
            .iter()
            .find(|v| v.item.tags.iter().any(|t| t.value == name))
            .unwrap()
            .item
            .vpc_id
            .clone()
    };
    let (prod, shared) = (vpc_of("production"), vpc_of("shared-services"));
    let acl = |vpc: &str| format!("acl-{}", &vpc[4..]);
    use Severity::*;
    let mut expected = vec![
        row("admin-ports-open", "sg:launch-wizard-1", Critical),
        row("admin-ports-open", "sg:default", High),
        row("db-ports-wide", "sg:reporting-db", High),
        row("default-sg-has-rules", "sg:default", Low),
        row("default-sg-has-rules", "sg:default", Low),
        row("default-sg-in-use", "sg:default", Medium),
        row("imdsv1-allowed", &web1, High),
        // legacy-tools was launched 240 days before the simulated period.
        row("instance-age", &legacy, Low),
        row("launch-wizard-sg-in-use", "sg:launch-wizard-1", Medium),
        row("nacl-allows-all", &acl(&prod), Low),
        row("nacl-allows-all", &acl(&shared), Low),
        row("role-can-reach-instances", "app-role", High),
        row("role-can-reach-instances", "bastion-role", High),
        row("sg-self-all-ports", "sg:app", High),
    ];
    // Every group with members lets everything out (the AWS default the simulator keeps); the
    // shared VPC's default group has no members.
    // (The load balancer's group lets out only port 80 to the web group.)
    for g in [
        "app",
        "bastion",
        "default",
        "launch-wizard-1",
        "management",
        "orders-db",
        "reporting-db",
        "sessions-cache",
        "ssm-endpoint",
        "web",
    ] {
        expected.push(row("egress-all-to-internet", &format!("sg:{g}"), Low));
    }
    expected.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    assert_eq!(outcome(&inventory, &config), expected);

    // Without the office and management ranges, SSH from them is reported too.
    let strict = outcome(
        &inventory,
        &Config {
            now_ms: config.now_ms,
            ..Config::default()
        },
    );
    assert!(strict.contains(&row("admin-ports-open", "sg:bastion", High)));
    assert!(strict.contains(&row("admin-ports-open", "sg:web", High)));

    // A version-2 flow-log format lacks the fields detection needs.
    let v2 = tempfile::tempdir().unwrap();
    simulate(
        &SimOptions {
            out: v2.path().to_path_buf(),
            format: FlowFormat::V2,
            ..options
        },
        &|_, _| {},
    )
    .unwrap();
    let (inventory, _) = load_dir(&v2.path().join("inventory")).unwrap();
    let flow: Vec<_> = outcome(&inventory, &config)
        .into_iter()
        .filter(|r| r.0 == "flow-log-coverage")
        .collect();
    assert_eq!(flow.len(), 2, "{flow:?}");
    let results = audit(&inventory, &config, &["flow-log-coverage".to_string()]);
    assert!(
        results.iter().all(|r| r
            .failure
            .why
            .contains("tcp-flags, flow-direction, pkt-srcaddr")),
        "{results:?}"
    );
}

#[test]
fn cloudmapper_demo_account() {
    let (inventory, _) = load_dir(&testdata("cloudmapper-demo")).unwrap();
    use Severity::*;
    let expected = vec![
        // The bastion admits SSH from 1.1.1.1/32 and 2.2.2.2/28: not configured as admin sources.
        row("admin-ports-open", "sg:Bastion", High),
        row("admin-ports-open", "sg:Bastion", High),
        row("default-sg-has-rules", "sg:default", Low),
        row("egress-all-to-internet", "sg:Bastion", Low),
        row("egress-all-to-internet", "sg:Internal web", Low),
        row("egress-all-to-internet", "sg:Public", Low),
        // Web2 sits behind the internet-facing classic ELB `weblb`; Web1 does not.
        row("imdsv1-allowed", "i-00000000000000001", Medium),
        row("imdsv1-allowed", "i-00000000000000002", High),
    ];
    // The demo holds no flow-log, NACL, image, listener, target-group, GuardDuty, trail or IAM
    // output: those checks say so for its one region (or account) instead of passing.
    let missing: Vec<String> = not_collected(&inventory)
        .into_iter()
        .map(|(check, place)| format!("{check} {place}"))
        .collect();
    assert_eq!(
        missing,
        [
            "ami-age not-collected:us-east-1",
            "cloudtrail-trails not-collected:inventory",
            "flow-log-coverage not-collected:us-east-1",
            "guardduty-coverage not-collected:us-east-1",
            "guardduty-disabled not-collected:us-east-1",
            "lb-listener-without-tls not-collected:us-east-1",
            "lb-target-bypass not-collected:us-east-1",
            "nacl-allows-all not-collected:us-east-1",
            "role-can-reach-instances not-collected:inventory",
        ]
    );
    // Audited as of a month after the demo account's instances were launched (2017-12-01).
    let then = Config {
        now_ms: eastwest_model::time::parse_rfc3339("2018-01-01T00:00:00Z"),
        ..Config::default()
    };
    assert_eq!(outcome(&inventory, &then), expected);
    let later = Config {
        now_ms: eastwest_model::time::parse_rfc3339("2019-01-01T00:00:00Z"),
        ..Config::default()
    };
    assert_eq!(
        outcome(&inventory, &later)
            .iter()
            .filter(|r| r.0 == "instance-age")
            .count(),
        3
    );
    let trusted = Config {
        admin_sources: vec!["1.1.1.1/32".parse().unwrap(), "2.2.2.0/28".parse().unwrap()],
        ..then
    };
    assert!(
        !outcome(&inventory, &trusted)
            .iter()
            .any(|r| r.0 == "admin-ports-open")
    );
}

#[test]
fn aws_cli_documented_examples() {
    let (inventory, _) = load_dir(&testdata("aws-cli-examples")).unwrap();
    let launched = inventory.instances[0]
        .item
        .launch_time
        .as_deref()
        .and_then(eastwest_model::time::parse_rfc3339)
        .unwrap();
    let config = Config {
        now_ms: Some(launched + 86_400_000),
        ..Config::default()
    };
    use Severity::*;
    let expected = vec![
        row("flow-log-coverage", "vpc-06e4ab6c6cEXAMPLE", High),
        row("flow-log-coverage", "vpc-0e9801d129EXAMPLE", High),
        // The example instance has a public address and HttpTokens optional.
        row("imdsv1-allowed", "i-1234567890abcdef0", High),
        // acl-0ea1f54ca7EXAMPLE is associated with a subnet and allows all; the other example
        // NACL has no associations.
        row("nacl-allows-all", "acl-0ea1f54ca7EXAMPLE", Low),
    ];
    assert_eq!(outcome(&inventory, &config), expected);
}

#[test]
fn results_become_compliance_findings_with_stable_uids() {
    let (inventory, _) = load_dir(&testdata("cloudmapper-demo")).unwrap();
    let results = audit(&inventory, &Config::default(), &[]);
    assert!(!results.is_empty());
    let findings: Vec<Finding> = results
        .iter()
        .map(|r| to_finding(r, 1_700_000_000_000))
        .collect();
    for (r, f) in results.iter().zip(&findings) {
        assert_eq!(
            f.uid,
            format!("eastwest:{}:{}", r.check, r.failure.resource)
        );
        assert_eq!(f.analytic, r.check);
        assert_eq!(f.title, r.title);
        assert_eq!(f.severity, r.severity);
        assert_eq!(f.confidence, 100);
        assert_eq!(
            (f.first_seen_ms, f.last_seen_ms),
            (1_700_000_000_000, 1_700_000_000_000)
        );
        assert_eq!(f.remediation, r.failure.fix);
        assert!(!f.remediation.is_empty());
        // The first line is the specific reason, the next the check's rationale.
        assert_eq!(f.description.lines().next(), Some(r.failure.why.as_str()));
        assert!(
            f.description.ends_with(rationale(r.check)),
            "{}",
            f.description
        );
        assert!(!rationale(r.check).is_empty(), "{}", r.check);
        let compliance = f.compliance.as_ref().expect("a compliance finding");
        assert_eq!(compliance.control, r.check);
        assert_eq!(compliance.standards, [STANDARD]);
        assert_eq!(f.resources.len(), 1);
        assert_eq!(f.resources[0].uid, r.failure.resource);
        assert_eq!(f.resources[0].kind, r.failure.resource_type);
        assert_eq!(f.resources[0].account, r.failure.account);
        assert_eq!(
            (&f.account, &f.region),
            (&r.failure.account, &r.failure.region)
        );
    }
    // The same evidence gives the same uids, whatever the time.
    let again: Vec<String> = audit(&inventory, &Config::default(), &[])
        .iter()
        .map(|r| to_finding(r, 1).uid)
        .collect();
    let uids: Vec<String> = findings.iter().map(|f| f.uid.clone()).collect();
    assert_eq!(uids, again);
}

#[test]
fn trails_guardduty_and_egress_shapes() {
    use eastwest_inventory::load::{LoadReport, add_json};
    use eastwest_inventory::{Inventory, Origin};
    let mut inventory = Inventory::default();
    let mut report = LoadReport::default();
    let origin = Origin {
        account: Some("111111111111".into()),
        region: Some("eu-west-1".into()),
    };
    let mut add = |json: serde_json::Value, origin: &Origin| {
        add_json(
            &mut inventory,
            &mut report,
            Path::new("x.json"),
            json.to_string().as_bytes(),
            origin,
        )
    };
    add(
        serde_json::json!({"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.9.0.0/16"}]}),
        &origin,
    );
    add(serde_json::json!({"DetectorIds": []}), &origin);
    add(
        serde_json::json!({"DetectorIds": ["d-1"]}),
        &Origin {
            region: Some("us-east-1".into()),
            ..origin.clone()
        },
    );
    add(
        serde_json::json!({"trailList": [{"Name": "main", "IsMultiRegionTrail": true, "IsOrganizationTrail": false}]}),
        &origin,
    );
    add(
        serde_json::json!({
            "SecurityGroups": [
                {"GroupId": "sg-1", "VpcId": "vpc-1", "IpPermissionsEgress": [
                    {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
                    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": "sg-2"}]}]},
                {"GroupId": "sg-2", "VpcId": "vpc-1", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": "sg-1"}]}]}],
            "NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "VpcId": "vpc-1", "PrivateIpAddress": "10.9.0.5", "Groups": [{"GroupId": "sg-1"}]}]
        }),
        &origin,
    );
    add(
        serde_json::json!({
            "LoadBalancers": [{"LoadBalancerArn": "arn:lb", "LoadBalancerName": "front", "Scheme": "internet-facing", "VpcId": "vpc-1", "SecurityGroups": ["sg-lb"]}],
            "Listeners": [{"ListenerArn": "arn:l443", "LoadBalancerArn": "arn:lb", "Port": 443, "Protocol": "HTTPS", "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "Certificates": [{"CertificateArn": "arn:cert"}]},
                          {"ListenerArn": "arn:l80", "LoadBalancerArn": "arn:lb", "Port": 80, "Protocol": "HTTP", "DefaultActions": [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS"}}]}],
            "TargetGroups": [{"TargetGroupArn": "arn:tg", "Port": 8080, "TargetType": "instance", "LoadBalancerArns": ["arn:lb"]}],
            "AutoScalingGroups": [{"AutoScalingGroupName": "web", "Instances": [{"InstanceId": "i-web"}], "TargetGroupARNs": ["arn:tg"]}],
            "SecurityGroups": [
                {"GroupId": "sg-lb", "VpcId": "vpc-1",
                 "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
                 "IpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}]},
                {"GroupId": "sg-web", "VpcId": "vpc-1",
                 "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": "sg-lb"}]}, {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}]}],
            "NetworkInterfaces": [{"NetworkInterfaceId": "eni-web", "VpcId": "vpc-1", "PrivateIpAddress": "10.9.0.6", "Groups": [{"GroupId": "sg-web"}], "Attachment": {"InstanceId": "i-web"}}]
        }),
        &origin,
    );
    add(
        serde_json::json!({"CertificateSummaryList": [{"CertificateArn": "arn:cert", "Type": "IMPORTED", "NotAfter": "2026-01-10T00:00:00+00:00", "RenewalEligibility": "INELIGIBLE"}]}),
        &origin,
    );
    add(
        serde_json::json!({"Images": [{"ImageId": "ami-old", "Name": "base-2024", "CreationDate": "2024-01-01T00:00:00.000Z"}]}),
        &origin,
    );
    add(
        serde_json::json!({"Reservations": [{"Instances": [{"InstanceId": "i-web", "ImageId": "ami-old", "LaunchTime": "2025-12-20T00:00:00+00:00"}]}]}),
        &origin,
    );
    add(
        serde_json::json!({"Features": [{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}, {"Name": "RUNTIME_MONITORING", "Status": "DISABLED"}], "Status": "ENABLED"}),
        &Origin {
            region: Some("us-east-1".into()),
            ..origin.clone()
        },
    );
    add(
        serde_json::json!({"Administrator": {}}),
        &Origin {
            region: Some("us-east-1".into()),
            ..origin.clone()
        },
    );
    inventory.finish();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let now = eastwest_model::time::parse_rfc3339("2026-01-01T00:00:00Z");
    let config = Config {
        now_ms: now,
        ..Config::default()
    };
    let with_cert = audit(
        &inventory,
        &config,
        &[
            "lb-listener-without-tls".to_string(),
            "ami-age".to_string(),
            "instance-age".to_string(),
            "guardduty-coverage".to_string(),
        ],
    );
    let results: Vec<_> = audit(&inventory, &Config::default(), &[])
        .into_iter()
        .filter(|r| r.status == ControlStatus::Fail)
        .collect();
    // The redirect on 80 is not clear text; port 22 on the load balancer's group is not a
    // listener; the targets admit 8080 from the whole VPC besides the load balancer.
    // As of 2026-01-01: the imported certificate expires within 30 days; the image is two years
    // old though the instance is twelve days old; GuardDuty in us-east-1 has no administrator
    // and no runtime monitoring.
    let by = |check: &str| {
        with_cert
            .iter()
            .filter(|r| r.check == check && r.status == ControlStatus::Fail)
            .map(|r| r.failure.why.clone())
            .collect::<Vec<_>>()
    };
    let tls = by("lb-listener-without-tls");
    assert_eq!(tls.len(), 1, "{tls:?}");
    assert!(
        tls[0].contains("imported certificate") && tls[0].contains("expires on 2026-01-10"),
        "{tls:?}"
    );
    assert_eq!(by("ami-age").len(), 1);
    assert!(by("instance-age").is_empty());
    assert_eq!(by("guardduty-coverage").len(), 2);
    // The HTTP listener redirects: only the certificate is a problem.
    assert!(
        results
            .iter()
            .filter(|r| r.check == "lb-listener-without-tls")
            .all(|r| !r.failure.why.contains("clear text")),
        "{results:?}"
    );
    let too_open: Vec<_> = results
        .iter()
        .filter(|r| r.check == "lb-sg-too-open")
        .collect();
    assert_eq!(too_open.len(), 1);
    assert!(
        too_open[0].failure.why.contains("admits tcp/22"),
        "{}",
        too_open[0].failure.why
    );
    assert!(
        !too_open[0].failure.why.contains("lets"),
        "egress to the targets' port is fine: {}",
        too_open[0].failure.why
    );
    let bypass: Vec<_> = results
        .iter()
        .filter(|r| r.check == "lb-target-bypass")
        .collect();
    assert_eq!(bypass.len(), 1);
    assert!(
        bypass[0].failure.why.contains("from 10.9.0.0/16"),
        "{}",
        bypass[0].failure.why
    );
    let find = |check: &str| {
        results
            .iter()
            .filter(|r| r.check == check)
            .collect::<Vec<_>>()
    };
    let gd = find("guardduty-disabled");
    assert_eq!(gd.len(), 1, "only eu-west-1 has VPCs and no detector");
    assert_eq!(gd[0].failure.region.as_deref(), Some("eu-west-1"));
    let trail = find("cloudtrail-trails");
    assert_eq!(
        (trail.len(), trail[0].severity),
        (1, Severity::Low),
        "multi-region but no organisation trail"
    );
    assert_eq!(find("egress-all-to-vpc")[0].failure.resource, "sg-1");
    let reference = find("sg-egress-group-reference");
    assert!(
        reference[0].failure.why.contains("references it back"),
        "{:?}",
        reference[0].failure.why
    );
}
