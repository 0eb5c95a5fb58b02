//! The loader, assets and resolution over real AWS CLI output: CloudMapper's demo account and
//! the AWS CLI's documented examples (testdata/inventory, see PROVENANCE.md), plus hand-made
//! edge cases for what real samples do not show (bad files, reused addresses).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use eastwest_inventory::{AssetKind, Place, Resolver, load_dir, snapshot};
use eastwest_model::time::parse_rfc3339;
use eastwest_model::{Position, ProblemLevel};

fn testdata(part: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/inventory")
        .join(part)
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn cloudmapper_demo_account() {
    let (inventory, report) = load_dir(&testdata("cloudmapper-demo")).unwrap();
    assert_eq!(inventory.instances.len(), 3);
    assert_eq!(inventory.subnets.len(), 4);
    assert_eq!(inventory.vpcs.len(), 1);
    assert_eq!(inventory.security_groups.len(), 8);
    assert_eq!(inventory.load_balancers.len(), 1);
    assert_eq!(inventory.classic_load_balancers.len(), 1);
    assert_eq!(inventory.db_instances.len(), 1);
    // The region comes from CloudMapper's `us-east-1_` file-name prefix, the account from the
    // reservation's owner.
    let vpc = &inventory.vpcs[0];
    assert_eq!(vpc.origin.region.as_deref(), Some("us-east-1"));
    assert_eq!(
        inventory.instances[0].origin.account.as_deref(),
        Some("123456789012")
    );

    // Every file is either loaded or reported: the LICENSE and the outputs eastwest has no use
    // for are skipped by name, nothing is unreadable.
    assert!(!report.has_unreadable(), "{:?}", report.problems);
    let skipped: Vec<String> = report
        .problems
        .iter()
        .map(|p| {
            assert_eq!(p.level, ProblemLevel::Skipped, "{p}");
            Path::new(&p.file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for name in [
        "LICENSE",
        "describe-regions.json",
        "us-east-1_ec2-describe-availability-zones.json",
        "us-east-1_ec2-describe-snapshots.json",
        "us-east-1_redshift-describe-clusters.json",
    ] {
        assert!(
            skipped.iter().any(|s| s == name),
            "{name} not reported in {skipped:?}"
        );
    }
    assert_eq!(report.loaded.len() + report.problems.len(), 16);

    let resolver = Resolver::new(&inventory);
    let vpc = Some("vpc-12345678");
    let web1 = resolver.resolve(vpc, ip("10.0.2.1"), None);
    let web1 = web1.asset().expect("10.0.2.1 is Web1");
    assert_eq!(web1.name, "Web1");
    assert_eq!(web1.kind, AssetKind::Instance);
    assert_eq!(web1.instance.as_deref(), Some("i-00000000000000001"));
    assert_eq!(web1.subnet.as_deref(), Some("subnet-00000003"));
    assert_eq!(web1.region.as_deref(), Some("us-east-1"));
    assert!(!web1.internet_facing);
    let web2 = resolver
        .resolve(vpc, ip("10.0.3.1"), None)
        .asset()
        .unwrap()
        .clone();
    assert_eq!(web2.name, "Web2");
    // Same security group and no tier or autoscaling group: peers by security group.
    assert_eq!(web1.peer_group, "sg:sg-00000004");
    assert_eq!(web2.peer_group, web1.peer_group);

    // The bastion by its public address too.
    let bastion = resolver
        .resolve(None, ip("1.2.3.4"), None)
        .asset()
        .unwrap()
        .clone();
    assert_eq!(bastion.name, "Bastion");
    assert!(bastion.internet_facing);
    assert_eq!(
        resolver
            .resolve(vpc, ip("10.0.0.1"), None)
            .asset()
            .unwrap()
            .eni,
        bastion.eni
    );

    // The awsvpc ECS task ENI from describe-network-interfaces.
    let task = resolver
        .resolve(vpc, ip("172.31.48.168"), None)
        .asset()
        .unwrap()
        .clone();
    assert_eq!(task.kind, AssetKind::EcsTask);
    assert_eq!(task.security_groups, vec!["sg-00000008".to_string()]);

    // Addresses no ENI holds are still placed.
    assert!(matches!(
        resolver.resolve(vpc, ip("10.0.1.99"), None),
        Place::Unassigned("vpc-12345678")
    ));
    assert!(matches!(
        resolver.resolve(vpc, ip("8.8.8.8"), None),
        Place::Internet
    ));
    assert!(matches!(
        resolver.resolve(vpc, ip("192.168.7.7"), None),
        Place::Private
    ));
    assert!(matches!(
        resolver.resolve(vpc, ip("169.254.169.254"), None),
        Place::LinkLocal
    ));
    assert!(resolver.resolve(vpc, ip("10.0.1.99"), None).is_internal());
    assert!(!resolver.resolve(vpc, ip("8.8.8.8"), None).is_internal());

    // Lookup by what a user types.
    assert_eq!(resolver.find("i-00000000000000002")[0].name, "Web2");
    assert_eq!(
        resolver.find("Bastion")[0].instance.as_deref(),
        Some("i-00000000000000000")
    );
    assert_eq!(resolver.find("10.0.2.1")[0].name, "Web1");
}

#[test]
fn aws_cli_documented_examples() {
    let (inventory, report) = load_dir(&testdata("aws-cli-examples")).unwrap();
    assert_eq!(inventory.network_acls.len(), 2);
    assert_eq!(inventory.route_tables.len(), 3);
    assert_eq!(
        inventory.security_group_rules.len(),
        3,
        "rule sgr-cdef… is in two files"
    );
    assert_eq!(inventory.security_groups.len(), 1);
    assert_eq!(inventory.flow_logs.len(), 2);
    assert_eq!(inventory.peering_connections.len(), 2);
    assert_eq!(inventory.vpc_endpoints.len(), 3);
    assert_eq!(inventory.network_interfaces.len(), 3);
    assert_eq!(
        inventory.subnets.len(),
        2,
        "subnet-8EXAMPLE is in both files: one subnet"
    );
    assert_eq!(
        inventory.vpcs.len(),
        2,
        "vpc-06e4ab6c6cEXAMPLE is in both files"
    );

    // describe-transit-gateway-attachments is not read (yet): reported, not silently dropped.
    let tgw: Vec<_> = report
        .problems
        .iter()
        .filter(|p| {
            p.file
                .ends_with("describe-transit-gateway-attachments.json")
        })
        .collect();
    assert_eq!(tgw.len(), 1);
    assert!(
        tgw[0].reason.contains("TransitGatewayAttachments"),
        "{}",
        tgw[0].reason
    );

    let acl = &inventory.network_acls[0].item;
    let deny = acl
        .entries
        .iter()
        .find(|e| e.rule_number == 32767 && e.egress)
        .unwrap();
    assert_eq!(deny.rule_action, "deny");
    let nat_route = inventory.route_tables[0]
        .item
        .routes
        .iter()
        .find(|r| r.nat_gateway_id.is_some());
    assert_eq!(nat_route.unwrap().state.as_deref(), Some("blackhole"));
    let rule = inventory
        .security_group_rules
        .iter()
        .find(|r| r.item.referenced_group_info.is_some())
        .unwrap();
    assert!(!rule.item.is_egress);
    assert_eq!(rule.item.ip_protocol, "-1");

    let resolver = Resolver::new(&inventory);
    // An ENI attached as device 1 to an instance whose describe-instances is not here: still an
    // instance ENI, with its Elastic IP.
    let eni = resolver.by_eni("eni-e5aa89a3").unwrap();
    assert_eq!(eni.kind, AssetKind::Instance);
    assert_eq!(eni.instance.as_deref(), Some("i-1234567890abcdef0"));
    assert_eq!(eni.public_ips, vec![ip("203.0.113.12")]);
    assert_eq!(eni.since_ms, parse_rfc3339("2013-11-30T23:36:42.000Z"));
    assert_eq!(eni.region.as_deref(), Some("us-east-1"));
    // A secondary private address resolves to its ENI.
    let prod = resolver.by_eni("eni-b9a5ac93").unwrap();
    assert!(prod.private_ips.contains(&ip("10.0.1.117")));
    assert_eq!(
        resolver
            .resolve(Some("vpc-8941ebec"), ip("10.0.1.117"), None)
            .asset()
            .unwrap()
            .eni,
        "eni-b9a5ac93"
    );
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn bad_files_and_items_are_reported_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "broken.json",
        r#"{"SecurityGroups": [ {"GroupId": "sg-1", "#,
    );
    write(
        dir.path(),
        "groups.json",
        r#"{"SecurityGroups": [{"GroupId": 5}, {"GroupId": "sg-2", "GroupName": "ok"}], "NextToken": "x"}"#,
    );
    write(dir.path(), "odd.json", r#"{"Buckets": []}"#);
    write(dir.path(), "list.json", r#"[1, 2]"#);
    write(dir.path(), "notes.txt", "not json at all");
    write(dir.path(), "vpcs.json", r#"{"Vpcs": {"VpcId": "vpc-1"}}"#);
    let (inventory, report) = load_dir(dir.path()).unwrap();
    assert_eq!(inventory.security_groups.len(), 1);
    assert_eq!(inventory.security_groups[0].item.group_id, "sg-2");
    assert!(report.has_unreadable());
    let find = |name: &str| {
        report
            .problems
            .iter()
            .find(|p| p.file.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not reported: {:?}", report.problems))
    };
    assert_eq!(find("broken.json").level, ProblemLevel::Unreadable);
    assert!(find("broken.json").reason.contains("malformed JSON"));
    let item = find("groups.json");
    assert_eq!(
        (item.position, item.level),
        (Position::Item(1), ProblemLevel::Record)
    );
    assert!(item.reason.contains("SecurityGroups"), "{}", item.reason);
    assert!(find("odd.json").reason.contains("Buckets"));
    assert_eq!(find("list.json").level, ProblemLevel::Skipped);
    assert_eq!(find("notes.txt").level, ProblemLevel::Skipped);
    assert_eq!(find("vpcs.json").level, ProblemLevel::Unreadable);
}

/// Two VPCs with the same range, an address reused by autoscaling, accounts and regions from
/// folder names.
#[test]
fn resolution_is_per_vpc_and_per_time() {
    let dir = tempfile::tempdir().unwrap();
    let eni = |id: &str, vpc: &str, ip: &str, attach: &str, instance: &str| {
        format!(
            r#"{{"NetworkInterfaceId": "{id}", "VpcId": "{vpc}", "PrivateIpAddress": "{ip}",
                "SubnetId": "subnet-{vpc}", "Groups": [{{"GroupId": "sg-{vpc}"}}],
                "Attachment": {{"AttachTime": "{attach}", "InstanceId": "{instance}", "DeviceIndex": 0}}}}"#
        )
    };
    write(
        dir.path(),
        "111111111111/eu-west-1/enis.json",
        &format!(
            r#"{{"NetworkInterfaces": [{}, {}, {}]}}"#,
            eni(
                "eni-old",
                "vpc-a",
                "10.0.0.5",
                "2024-01-01T00:00:00Z",
                "i-old"
            ),
            eni(
                "eni-new",
                "vpc-a",
                "10.0.0.5",
                "2024-01-02T00:00:00Z",
                "i-new"
            ),
            eni("eni-b", "vpc-b", "10.0.0.5", "2023-06-01T00:00:00Z", "i-b"),
        ),
    );
    write(
        dir.path(),
        "111111111111/eu-west-1/instances.json",
        r#"{"Reservations": [{"Instances": [
            {"InstanceId": "i-old", "State": {"Name": "terminated"},
             "StateTransitionReason": "User initiated (2024-01-01 12:00:00 GMT)",
             "Tags": [{"Key": "aws:autoscaling:groupName", "Value": "web-asg"}]},
            {"InstanceId": "i-new", "State": {"Name": "running"},
             "Tags": [{"Key": "aws:autoscaling:groupName", "Value": "web-asg"}, {"Key": "Name", "Value": "web-7"}],
             "IamInstanceProfile": {"Arn": "arn:aws:iam::111111111111:instance-profile/web-profile"}},
            {"InstanceId": "i-b", "Tags": [{"Key": "tier", "Value": "app"}]}]}]}"#,
    );
    write(
        dir.path(),
        "111111111111/profiles.json",
        r#"{"InstanceProfiles": [{"InstanceProfileName": "web-profile",
             "Roles": [{"RoleName": "web-role", "Arn": "arn:aws:iam::111111111111:role/web-role"}]}]}"#,
    );
    write(
        dir.path(),
        "111111111111/eu-west-1/vpcs.json",
        r#"{"Vpcs": [{"VpcId": "vpc-a", "CidrBlock": "10.0.0.0/16"}, {"VpcId": "vpc-b", "CidrBlock": "10.0.0.0/16"}]}"#,
    );
    let (inventory, report) = load_dir(dir.path()).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(
        inventory.vpcs[0].origin.account.as_deref(),
        Some("111111111111")
    );
    assert_eq!(
        inventory.vpcs[0].origin.region.as_deref(),
        Some("eu-west-1")
    );
    let resolver = Resolver::new(&inventory);
    let at = |t: &str| parse_rfc3339(t);
    let name = |vpc: Option<&str>, t: Option<i64>| match resolver.resolve(vpc, ip("10.0.0.5"), t) {
        Place::Asset(a) => a.eni.clone(),
        other => format!("{other:?}"),
    };
    assert_eq!(name(Some("vpc-a"), at("2024-01-01T06:00:00Z")), "eni-old");
    assert_eq!(name(Some("vpc-a"), at("2024-01-03T00:00:00Z")), "eni-new");
    // Between the old instance's end and the new one's start: the last to start before then.
    assert_eq!(name(Some("vpc-a"), at("2024-01-01T18:00:00Z")), "eni-old");
    assert_eq!(name(Some("vpc-a"), None), "eni-new");
    assert_eq!(name(Some("vpc-b"), None), "eni-b");
    // Without the VPC, the same private address in two VPCs is not guessed.
    assert_eq!(name(None, None), "Ambiguous");
    assert!(matches!(
        resolver.resolve(None, ip("10.0.9.9"), None),
        Place::Ambiguous
    ));
    assert!(matches!(
        resolver.resolve(Some("vpc-b"), ip("10.0.9.9"), None),
        Place::Unassigned("vpc-b")
    ));

    let new = resolver.by_eni("eni-new").unwrap();
    assert_eq!(new.name, "web-7");
    assert_eq!(new.peer_group, "asg:web-asg");
    assert_eq!(new.role.as_deref(), Some("web-role"));
    assert_eq!(new.instance_profile.as_deref(), Some("web-profile"));
    assert_eq!(new.account.as_deref(), Some("111111111111"));
    assert_eq!(
        resolver.by_eni("eni-old").unwrap().until_ms,
        at("2024-01-01T12:00:00Z")
    );
    let b = resolver.by_eni("eni-b").unwrap();
    assert_eq!(
        (b.tier.as_deref(), b.peer_group.as_str()),
        (Some("app"), "tier:app")
    );
}

#[test]
fn snapshot_round_trip() {
    for source in ["cloudmapper-demo", "aws-cli-examples"] {
        let (inventory, _) = load_dir(&testdata(source)).unwrap();
        let out = tempfile::tempdir().unwrap();
        let written = snapshot::write(&inventory, out.path()).unwrap();
        assert!(!written.is_empty());
        let (again, report) = load_dir(out.path()).unwrap();
        assert!(
            report.problems.is_empty(),
            "{source}: {:?}",
            report.problems
        );
        let assets = |inv| serde_json::to_string(Resolver::new(inv).assets()).unwrap();
        assert_eq!(assets(&inventory), assets(&again), "{source}");
        assert_eq!(inventory.counts(), again.counts(), "{source}");
        assert_eq!(
            serde_json::to_value(
                inventory
                    .network_acls
                    .iter()
                    .map(|a| &a.item)
                    .collect::<Vec<_>>()
            )
            .unwrap(),
            serde_json::to_value(
                again
                    .network_acls
                    .iter()
                    .map(|a| &a.item)
                    .collect::<Vec<_>>()
            )
            .unwrap(),
        );
    }
}

#[test]
fn snapshot_never_makes_a_path_of_an_account_or_region() {
    use eastwest_inventory::shapes::Vpc;
    use eastwest_inventory::{Inventory, Located, Origin};
    let mut inventory = Inventory::default();
    for (account, region) in [
        ("../../../escaped", "us-east-1"),
        ("123456789012", "../../escaped"),
        ("/tmp/absolute", "/etc"),
        ("123456789012", "eu-west-3"),
    ] {
        inventory.vpcs.push(Located::new(
            Origin {
                account: Some(account.into()),
                region: Some(region.into()),
            },
            Vpc {
                vpc_id: format!("vpc-{}", inventory.vpcs.len()),
                ..Default::default()
            },
        ));
    }
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let written = snapshot::write(&inventory, &out).unwrap();
    for path in &written {
        assert!(path.starts_with(&out), "{} escaped", path.display());
        assert!(
            !path.display().to_string().contains(".."),
            "{}",
            path.display()
        );
    }
    assert!(out.join("123456789012/eu-west-3").is_dir());
    assert!(out.join("unknown-account/us-east-1").is_dir());
    assert!(out.join("123456789012/unknown-region").is_dir());
    // Nothing was written beside the output directory.
    let beside: Vec<_> = std::fs::read_dir(parent.path()).unwrap().collect();
    assert_eq!(beside.len(), 1);
    assert!(snapshot::is_region("us-gov-west-1") && !snapshot::is_region("us-east"));
    assert!(snapshot::is_account("000011112222") && !snapshot::is_account("0000111122223"));
}

#[test]
fn a_file_larger_than_any_describe_output_is_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("vpcs.json"),
        r#"{"Vpcs": [{"VpcId": "vpc-1"}]}"#,
    )
    .unwrap();
    // A sparse file: large on paper, nothing on disk.
    let big = std::fs::File::create(dir.path().join("huge.json")).unwrap();
    big.set_len(eastwest_inventory::load::MAX_FILE_BYTES + 1)
        .unwrap();
    let (inventory, report) = load_dir(dir.path()).unwrap();
    assert_eq!(inventory.vpcs.len(), 1, "the other file is still read");
    let problem = report
        .problems
        .iter()
        .find(|p| p.file.ends_with("huge.json"))
        .expect("the large file is reported");
    assert_eq!(problem.level, ProblemLevel::Unreadable);
    assert!(problem.reason.contains("larger than"), "{}", problem.reason);
}
