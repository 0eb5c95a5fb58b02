//! Reachability, rule kind by rule kind, and the blast radius of a simulated app server
//! against the simulator's own rule evaluation.

use std::collections::BTreeSet;
use std::path::Path;

use eastwest_inventory::load::{LoadReport, add_json};
use eastwest_inventory::{Inventory, Origin, Resolver};
use eastwest_posture::paths::{Edge, blast_radius};
use eastwest_posture::reach::{Network, Verdict};
use serde_json::{Value, json};

/// Two VPCs (A: two subnets, B: one) peered by pcx-1; ENIs a1 (sg-a), a2 (sg-b), b1 (sg-c).
fn estate() -> Value {
    let eni = |id: &str, ip: &str, subnet: &str, vpc: &str, sg: &str| json!({"NetworkInterfaceId": id, "PrivateIpAddress": ip, "SubnetId": subnet, "VpcId": vpc, "Groups": [{"GroupId": sg}], "Attachment": {"InstanceId": format!("i-{id}")}});
    let all_out = json!([{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]);
    let entry = |n: i64,
                 egress: bool,
                 protocol: &str,
                 action: &str,
                 cidr: &str,
                 ports: Option<(i64, i64)>| {
        let mut e = json!({"RuleNumber": n, "Egress": egress, "Protocol": protocol, "RuleAction": action, "CidrBlock": cidr});
        if let Some((f, t)) = ports {
            e["PortRange"] = json!({"From": f, "To": t});
        }
        e
    };
    json!({
        "Vpcs": [{"VpcId": "vpc-a", "CidrBlock": "10.0.0.0/16"}, {"VpcId": "vpc-b", "CidrBlock": "10.1.0.0/16"}],
        "Subnets": [
            {"SubnetId": "s-a1", "VpcId": "vpc-a", "CidrBlock": "10.0.1.0/24"},
            {"SubnetId": "s-a2", "VpcId": "vpc-a", "CidrBlock": "10.0.2.0/24"},
            {"SubnetId": "s-b", "VpcId": "vpc-b", "CidrBlock": "10.1.1.0/24"}
        ],
        "NetworkInterfaces": [
            eni("a1", "10.0.1.10", "s-a1", "vpc-a", "sg-a"),
            eni("a2", "10.0.2.10", "s-a2", "vpc-a", "sg-b"),
            eni("b1", "10.1.1.10", "s-b", "vpc-b", "sg-c"),
            eni("x1", "10.0.1.11", "s-a1", "vpc-a", "sg-x")
        ],
        "SecurityGroups": [
            {"GroupId": "sg-a", "VpcId": "vpc-a", "IpPermissionsEgress": all_out},
            {"GroupId": "sg-x", "VpcId": "vpc-a", "IpPermissionsEgress": all_out},
            {"GroupId": "sg-b", "VpcId": "vpc-a", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": "sg-a"}]}], "IpPermissionsEgress": all_out},
            {"GroupId": "sg-c", "VpcId": "vpc-b", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}], "IpPermissionsEgress": all_out}
        ],
        "NetworkAcls": [
            {"NetworkAclId": "acl-1", "VpcId": "vpc-a", "Associations": [{"SubnetId": "s-a1"}, {"SubnetId": "s-b"}],
             "Entries": [entry(100, false, "-1", "allow", "0.0.0.0/0", None), entry(100, true, "-1", "allow", "0.0.0.0/0", None), entry(32767, false, "-1", "deny", "0.0.0.0/0", None), entry(32767, true, "-1", "deny", "0.0.0.0/0", None)]},
            {"NetworkAclId": "acl-2", "VpcId": "vpc-a", "Associations": [{"SubnetId": "s-a2"}],
             "Entries": [entry(50, false, "6", "deny", "10.0.1.11/32", Some((5432, 5432))), entry(100, false, "6", "allow", "10.0.0.0/16", Some((5432, 5432))), entry(100, true, "6", "allow", "10.0.0.0/16", Some((1024, 65535))), entry(32767, false, "-1", "deny", "0.0.0.0/0", None), entry(32767, true, "-1", "deny", "0.0.0.0/0", None)]}
        ],
        "RouteTables": [
            {"RouteTableId": "rtb-a", "VpcId": "vpc-a", "Associations": [{"Main": true}], "Routes": [
                {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
                {"DestinationCidrBlock": "10.1.0.0/16", "VpcPeeringConnectionId": "pcx-1", "State": "active"}]},
            {"RouteTableId": "rtb-b", "VpcId": "vpc-b", "Associations": [{"Main": true}], "Routes": [
                {"DestinationCidrBlock": "10.1.0.0/16", "GatewayId": "local", "State": "active"}]}
        ],
        "VpcPeeringConnections": [{"VpcPeeringConnectionId": "pcx-1", "Status": {"Code": "active"},
            "RequesterVpcInfo": {"VpcId": "vpc-a"}, "AccepterVpcInfo": {"VpcId": "vpc-b"}}]
    })
}

fn inventory(value: &Value) -> Inventory {
    let mut inventory = Inventory::default();
    let mut report = LoadReport::default();
    add_json(
        &mut inventory,
        &mut report,
        Path::new("estate.json"),
        value.to_string().as_bytes(),
        &Origin::default(),
    );
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    inventory.finish();
    inventory
}

fn verdict(value: &Value, from: &str, to: &str, port: u16) -> Verdict {
    let inventory = inventory(value);
    let resolver = Resolver::new(&inventory);
    let network = Network::new(&inventory);
    network.can_reach(
        resolver.by_eni(from).unwrap(),
        resolver.by_eni(to).unwrap(),
        6,
        port,
    )
}

fn blocked_by(v: Verdict) -> (&'static str, String) {
    match v {
        Verdict::Blocked(b) => (b.component, b.resource),
        Verdict::Allowed => ("allowed", String::new()),
    }
}

#[test]
fn security_group_references() {
    let e = estate();
    // a1 is in sg-a, which sg-b admits on 5432; x1 (sg-x) is not.
    assert_eq!(verdict(&e, "a1", "a2", 5432), Verdict::Allowed);
    assert_eq!(
        blocked_by(verdict(&e, "a1", "a2", 5433)).0,
        "nacl-inbound",
        "acl-2 only allows 5432 in"
    );
    // x1 is denied by rule 50 before the allow at 100 is reached.
    assert_eq!(
        blocked_by(verdict(&e, "x1", "a2", 5432)),
        ("nacl-inbound", "acl-2".to_string())
    );
    let mut open = e.clone();
    open["NetworkAcls"][1]["Entries"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    assert_eq!(
        blocked_by(verdict(&open, "x1", "a2", 5432)),
        ("security-group-ingress", "sg-b".to_string())
    );
    // No egress rule on a1's group: blocked on the way out.
    let mut no_egress = e.clone();
    no_egress["SecurityGroups"][0]["IpPermissionsEgress"] = json!([]);
    assert_eq!(
        blocked_by(verdict(&no_egress, "a1", "a2", 5432)).0,
        "security-group-egress"
    );
}

#[test]
fn nacls_are_ordered_and_stateless() {
    let e = estate();
    // The reply from a2 leaves s-a2 to an ephemeral port: acl-2 allows 1024-65535 out.
    assert_eq!(verdict(&e, "a1", "a2", 5432), Verdict::Allowed);
    let mut no_return = e.clone();
    no_return["NetworkAcls"][1]["Entries"][2]["PortRange"] = json!({"From": 5432, "To": 5432});
    assert_eq!(
        blocked_by(verdict(&no_return, "a1", "a2", 5432)),
        ("nacl-return-outbound", "acl-2".to_string())
    );
    // Order: an allow numbered below the deny wins.
    let mut reordered = e.clone();
    reordered["NetworkAcls"][1]["Entries"][0]["RuleNumber"] = json!(150);
    let mut opened = reordered.clone();
    opened["NetworkInterfaces"][3]["Groups"] = json!([{"GroupId": "sg-a"}]);
    assert_eq!(verdict(&opened, "x1", "a2", 5432), Verdict::Allowed);
}

#[test]
fn peering_routes_both_ways() {
    let e = estate();
    // vpc-b has no route back to vpc-a.
    assert_eq!(
        blocked_by(verdict(&e, "a1", "b1", 22)),
        ("route", "rtb-b".to_string())
    );
    let mut routed = e.clone();
    routed["RouteTables"][1]["Routes"].as_array_mut().unwrap().push(json!({"DestinationCidrBlock": "10.0.0.0/16", "VpcPeeringConnectionId": "pcx-1", "State": "active"}));
    assert_eq!(verdict(&routed, "a1", "b1", 22), Verdict::Allowed);
    assert_eq!(
        blocked_by(verdict(&routed, "a1", "b1", 23)).0,
        "security-group-ingress"
    );
    let mut deleted = routed.clone();
    deleted["VpcPeeringConnections"][0]["Status"]["Code"] = json!("deleted");
    assert_eq!(
        blocked_by(verdict(&deleted, "a1", "b1", 22)),
        ("route", "rtb-a".to_string())
    );
    let mut blackhole = routed.clone();
    blackhole["RouteTables"][0]["Routes"][1]["State"] = json!("blackhole");
    assert_eq!(
        blocked_by(verdict(&blackhole, "a1", "b1", 22)),
        ("route", "rtb-a".to_string())
    );
}

#[test]
fn blast_radius_of_a_simulated_app_server_matches_the_simulators_rules() {
    use eastwest_sim::estate::Estate;
    use eastwest_sim::{SimOptions, simulate};
    let dir = tempfile::tempdir().unwrap();
    let options = SimOptions {
        out: dir.path().to_path_buf(),
        hosts: 14,
        days: 0.02,
        seed: 9,
        ..SimOptions::default()
    };
    simulate(&options, &|_, _| {}).unwrap();
    let estate = Estate::build(
        options.seed,
        options.hosts,
        options.start_ms,
        options.start_ms + (0.02 * 86_400_000.0) as i64,
    );
    let (inventory, _) = eastwest_inventory::load_dir(&dir.path().join("inventory")).unwrap();
    let resolver = Resolver::new(&inventory);
    let source = estate.named("app-2").unwrap();
    let origin = resolver
        .assets()
        .iter()
        .position(|a| a.eni == estate.hosts[source].eni)
        .unwrap();
    let radius = blast_radius(&inventory, &resolver, &[origin], 1);
    let mut network: BTreeSet<String> = BTreeSet::new();
    for r in &radius.reached {
        for edge in &r.edges {
            if let Edge::Network(ports) = edge {
                let eni = &resolver.assets()[r.asset].eni;
                let target = estate.hosts.iter().position(|h| &h.eni == eni).unwrap();
                for &p in ports {
                    assert!(
                        estate.admits(
                            target,
                            estate.hosts[source].ip,
                            &estate.hosts[source].groups,
                            6,
                            p
                        ),
                        "{eni}:{p} reported but the simulator refuses it"
                    );
                }
                network.insert(eni.clone());
            }
        }
    }
    // What the simulator's own evaluator admits from app-2 on any TCP port (its NACLs allow all,
    // egress is open and the peering routes both ways, so security groups decide).
    let expected: BTreeSet<String> = (0..estate.hosts.len())
        .filter(|&h| h != source && estate.hosts[h].role != eastwest_sim::estate::Role::Nat)
        .filter(|&h| {
            (1..=10_000u16).any(|p| {
                estate.admits(
                    h,
                    estate.hosts[source].ip,
                    &estate.hosts[source].groups,
                    6,
                    p,
                )
            })
        })
        .map(|h| estate.hosts[h].eni.clone())
        .collect();
    assert_eq!(network, expected);
    // app-role can run commands on every other instance: IAM edges to all of them.
    let iam = radius
        .reached
        .iter()
        .filter(|r| {
            r.edges
                .iter()
                .any(|e| matches!(e, Edge::Iam(a) if a.contains(&"ssm:SendCommand".to_string())))
        })
        .count();
    assert_eq!(
        iam,
        estate.hosts.iter().filter(|h| h.role.is_instance()).count() - 1
    );
}
