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
fn prefix_lists_are_resolved_from_their_entries() {
    // sg-b admits 5432 from a managed prefix list instead of from sg-a.
    let mut e = estate();
    e["SecurityGroups"][2]["IpPermissions"] = json!([{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "PrefixListIds": [{"PrefixListId": "pl-0abc"}]}]);
    // Entries unknown: the list is taken to name none of our hosts.
    assert_eq!(
        blocked_by(verdict(&e, "a1", "a2", 5432)),
        ("security-group-ingress", "sg-b".to_string())
    );
    // The list (as a snapshot keeps it, with its entries) holds a1's address.
    e["PrefixLists"] = json!([{"PrefixListId": "pl-0abc", "PrefixListName": "db-clients", "Entries": [{"Cidr": "10.0.1.10/32"}]}]);
    assert_eq!(verdict(&e, "a1", "a2", 5432), Verdict::Allowed);
    let mut other = e.clone();
    other["PrefixLists"][0]["Entries"] = json!([{"Cidr": "10.0.3.0/24"}]);
    assert_eq!(
        blocked_by(verdict(&other, "a1", "a2", 5432)),
        ("security-group-ingress", "sg-b".to_string())
    );
    // Rules from describe-security-group-rules resolve the same way.
    let mut rules = e.clone();
    rules["SecurityGroups"].as_array_mut().unwrap().remove(2);
    rules["SecurityGroupRules"] = json!([
        {"SecurityGroupRuleId": "sgr-1", "GroupId": "sg-b", "IsEgress": false, "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "PrefixListId": "pl-0abc"},
        {"SecurityGroupRuleId": "sgr-2", "GroupId": "sg-b", "IsEgress": true, "IpProtocol": "-1", "CidrIpv4": "0.0.0.0/0"}
    ]);
    assert_eq!(verdict(&rules, "a1", "a2", 5432), Verdict::Allowed);
}

#[test]
fn prefix_list_entries_load_from_a_file_named_for_the_list() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("describe-managed-prefix-lists.json"),
        json!({"PrefixLists": [{"PrefixListId": "pl-0abc", "PrefixListName": "admins", "OwnerId": "111122223333"}]}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path()
            .join("get-managed-prefix-list-entries-pl-0abc.json"),
        json!({"Entries": [{"Cidr": "10.0.1.0/24", "Description": "ops"}]}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("entries.json"),
        json!({"Entries": [{"Cidr": "10.9.9.0/24"}]}).to_string(),
    )
    .unwrap();
    let (inventory, report) = eastwest_inventory::load_dir(dir.path()).unwrap();
    assert_eq!(
        inventory.prefix_list_cidrs("pl-0abc"),
        Some(vec!["10.0.1.0/24"])
    );
    // Entries whose file names no list are reported, not guessed.
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].file.ends_with("entries.json"));
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
        options.start_ms,
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

mod brute_force {
    //! The same question answered by expanding every rule into explicit sets, on random small
    //! estates (one VPC, two subnets, three ENIs, three groups, random rules and NACLs).

    use std::collections::HashSet;
    use std::net::Ipv4Addr;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::inventory;
    use eastwest_posture::reach::{EPHEMERAL_PORT, Verdict};

    const IPS: [&str; 3] = ["10.0.1.10", "10.0.1.11", "10.0.2.10"];
    const CIDRS: [&str; 6] = [
        "10.0.0.0/16",
        "10.0.1.0/24",
        "10.0.2.0/24",
        "10.0.1.10/32",
        "0.0.0.0/0",
        "10.0.2.10/32",
    ];

    #[derive(Debug, Clone)]
    struct Rule {
        egress: bool,
        all: bool,
        from: u16,
        to: u16,
        peer: Result<usize, usize>, // Ok(cidr index) or Err(group index)
    }

    #[derive(Debug, Clone)]
    struct Entry {
        number: i64,
        egress: bool,
        all: bool,
        from: u16,
        to: u16,
        allow: bool,
        cidr: usize,
    }

    #[derive(Debug, Clone)]
    struct Estate {
        subnet_of: [usize; 3],
        groups_of: [Vec<usize>; 3],
        rules: [Vec<Rule>; 3],
        acls: [Vec<Entry>; 2],
    }

    fn rule() -> impl Strategy<Value = Rule> {
        (
            any::<bool>(),
            prop::bool::weighted(0.15),
            20u16..26,
            0u16..3,
            prop_oneof![(0usize..6).prop_map(Ok), (0usize..3).prop_map(Err)],
        )
            .prop_map(|(egress, all, from, span, peer)| Rule {
                egress,
                all,
                from,
                to: from + span,
                peer,
            })
    }

    fn entry() -> impl Strategy<Value = Entry> {
        (
            1i64..200,
            any::<bool>(),
            prop::bool::weighted(0.3),
            prop_oneof![
                (20u16..26).prop_map(|f| (f, f + 2)),
                Just((1024u16, 65535u16))
            ],
            prop::bool::weighted(0.7),
            0usize..6,
        )
            .prop_map(|(number, egress, all, (from, to), allow, cidr)| Entry {
                number,
                egress,
                all,
                from,
                to,
                allow,
                cidr,
            })
    }

    fn estate() -> impl Strategy<Value = Estate> {
        (
            [0usize..2, 0usize..2, 1usize..2],
            [
                prop::collection::vec(0usize..3, 0..3),
                prop::collection::vec(0usize..3, 0..3),
                prop::collection::vec(0usize..3, 0..3),
            ],
            [
                prop::collection::vec(rule(), 0..5),
                prop::collection::vec(rule(), 0..5),
                prop::collection::vec(rule(), 0..5),
            ],
            [
                prop::collection::vec(entry(), 0..6),
                prop::collection::vec(entry(), 0..6),
            ],
        )
            .prop_map(|(subnet_of, mut groups_of, rules, acls)| {
                for g in &mut groups_of {
                    g.sort_unstable();
                    g.dedup();
                }
                // ENI 0 and 1 share subnet 0 or not; ENI 2 is always in subnet 1.
                Estate {
                    subnet_of,
                    groups_of,
                    rules,
                    acls,
                }
            })
    }

    fn to_json(e: &Estate) -> Value {
        let mut acl_entries: Vec<Vec<Value>> = vec![Vec::new(), Vec::new()];
        for (a, entries) in e.acls.iter().enumerate() {
            let mut used = HashSet::new();
            for x in entries {
                // Rule numbers are unique per direction in AWS.
                if !used.insert((x.number, x.egress)) {
                    continue;
                }
                let mut v = json!({"RuleNumber": x.number, "Egress": x.egress, "Protocol": if x.all { "-1" } else { "6" }, "RuleAction": if x.allow { "allow" } else { "deny" }, "CidrBlock": CIDRS[x.cidr]});
                if !x.all {
                    v["PortRange"] = json!({"From": x.from, "To": x.to});
                }
                acl_entries[a].push(v);
            }
            for egress in [false, true] {
                acl_entries[a].push(json!({"RuleNumber": 32767, "Egress": egress, "Protocol": "-1", "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"}));
            }
        }
        let groups: Vec<Value> = (0..3)
            .map(|g| {
                let perm = |r: &Rule| {
                    let mut p = if r.all { json!({"IpProtocol": "-1"}) } else { json!({"IpProtocol": "tcp", "FromPort": r.from, "ToPort": r.to}) };
                    match r.peer {
                        Ok(c) => p["IpRanges"] = json!([{"CidrIp": CIDRS[c]}]),
                        Err(other) => p["UserIdGroupPairs"] = json!([{"GroupId": format!("sg-{other}")}]),
                    }
                    p
                };
                json!({"GroupId": format!("sg-{g}"), "VpcId": "vpc-a",
                    "IpPermissions": e.rules[g].iter().filter(|r| !r.egress).map(perm).collect::<Vec<_>>(),
                    "IpPermissionsEgress": e.rules[g].iter().filter(|r| r.egress).map(perm).collect::<Vec<_>>()})
            })
            .collect();
        let enis: Vec<Value> = (0..3)
            .map(|i| json!({"NetworkInterfaceId": format!("e{i}"), "PrivateIpAddress": if i == 2 { IPS[2] } else if e.subnet_of[i] == 0 { IPS[i] } else { ["10.0.2.11", "10.0.2.12"][i] }, "SubnetId": format!("s{}", if i == 2 { 1 } else { e.subnet_of[i] }), "VpcId": "vpc-a",
                "Groups": e.groups_of[i].iter().map(|g| json!({"GroupId": format!("sg-{g}")})).collect::<Vec<_>>(), "Attachment": {"InstanceId": format!("i-{i}")}}))
            .collect();
        json!({
            "Vpcs": [{"VpcId": "vpc-a", "CidrBlock": "10.0.0.0/16"}],
            "Subnets": [{"SubnetId": "s0", "VpcId": "vpc-a", "CidrBlock": "10.0.1.0/24"}, {"SubnetId": "s1", "VpcId": "vpc-a", "CidrBlock": "10.0.2.0/24"}],
            "NetworkInterfaces": enis,
            "SecurityGroups": groups,
            "NetworkAcls": [
                {"NetworkAclId": "acl-0", "VpcId": "vpc-a", "Associations": [{"SubnetId": "s0"}], "Entries": acl_entries[0]},
                {"NetworkAclId": "acl-1", "VpcId": "vpc-a", "Associations": [{"SubnetId": "s1"}], "Entries": acl_entries[1]}
            ]
        })
    }

    /// Every (ip, port) a rule set lets through, materialised.
    fn in_cidr(ip: Ipv4Addr, cidr: &str) -> bool {
        let (net, bits) = cidr.split_once('/').unwrap();
        let (net, bits): (Ipv4Addr, u32) = (net.parse().unwrap(), bits.parse().unwrap());
        (0..bits).all(|b| (u32::from(ip) >> (31 - b)) & 1 == (u32::from(net) >> (31 - b)) & 1)
    }

    fn nacl_brute(json: &Value, subnet: usize, egress: bool, port: u16, peer: Ipv4Addr) -> bool {
        let mut entries: Vec<&Value> = json["NetworkAcls"][subnet]["Entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["Egress"] == egress)
            .collect();
        entries.sort_by_key(|e| e["RuleNumber"].as_i64().unwrap());
        for e in entries {
            // All protocols cover every port; otherwise list the range's ports explicitly.
            let covered = e["Protocol"] == "-1"
                || (e["PortRange"]["From"].as_u64().unwrap() as u16
                    ..=e["PortRange"]["To"].as_u64().unwrap() as u16)
                    .collect::<HashSet<u16>>()
                    .contains(&port);
            if covered && in_cidr(peer, e["CidrBlock"].as_str().unwrap()) {
                return e["RuleAction"] == "allow";
            }
        }
        false
    }

    fn sg_brute(
        json: &Value,
        groups: &[String],
        egress: bool,
        port: u16,
        peer: Ipv4Addr,
        peer_groups: &[String],
    ) -> bool {
        let key = if egress {
            "IpPermissionsEgress"
        } else {
            "IpPermissions"
        };
        let mut allowed: HashSet<(u16, bool)> = HashSet::new(); // (port, peer matches)
        for g in json["SecurityGroups"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| groups.contains(&g["GroupId"].as_str().unwrap().to_string()))
        {
            for p in g[key].as_array().unwrap() {
                let ports: Vec<u16> = if p["IpProtocol"] == "-1" {
                    (0..=100).collect()
                } else {
                    (p["FromPort"].as_u64().unwrap() as u16..=p["ToPort"].as_u64().unwrap() as u16)
                        .collect()
                };
                let matches = p["IpRanges"].as_array().is_some_and(|r| {
                    r.iter()
                        .any(|c| in_cidr(peer, c["CidrIp"].as_str().unwrap()))
                }) || p["UserIdGroupPairs"].as_array().is_some_and(|r| {
                    r.iter()
                        .any(|c| peer_groups.contains(&c["GroupId"].as_str().unwrap().to_string()))
                });
                for port in ports {
                    allowed.insert((port, matches));
                }
            }
        }
        allowed.contains(&(port, true))
    }

    fn brute(json: &Value, from: usize, to: usize, port: u16) -> bool {
        let eni = |i: usize| &json["NetworkInterfaces"][i];
        let ip = |i: usize| {
            eni(i)["PrivateIpAddress"]
                .as_str()
                .unwrap()
                .parse::<Ipv4Addr>()
                .unwrap()
        };
        let groups = |i: usize| {
            eni(i)["Groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["GroupId"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let subnet = |i: usize| if eni(i)["SubnetId"] == "s0" { 0 } else { 1 };
        let same = subnet(from) == subnet(to);
        (groups(from).is_empty() || sg_brute(json, &groups(from), true, port, ip(to), &groups(to)))
            && (same || nacl_brute(json, subnet(from), true, port, ip(to)))
            && (same || nacl_brute(json, subnet(to), false, port, ip(from)))
            && (groups(to).is_empty()
                || sg_brute(json, &groups(to), false, port, ip(from), &groups(from)))
            && (same || nacl_brute(json, subnet(to), true, EPHEMERAL_PORT, ip(from)))
            && (same || nacl_brute(json, subnet(from), false, EPHEMERAL_PORT, ip(to)))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn agrees_with_brute_force(e in estate()) {
            let json = to_json(&e);
            let inventory = inventory(&json);
            let resolver = eastwest_inventory::Resolver::new(&inventory);
            let network = eastwest_posture::reach::Network::new(&inventory);
            for from in 0..3 {
                for to in 0..3 {
                    if from == to { continue; }
                    let (a, b) = (resolver.by_eni(&format!("e{from}")).unwrap(), resolver.by_eni(&format!("e{to}")).unwrap());
                    for port in 19..=27u16 {
                        let fast = network.can_reach(a, b, 6, port) == Verdict::Allowed;
                        prop_assert_eq!(fast, brute(&json, from, to, port), "e{} -> e{}:{} in {}", from, to, port, json);
                    }
                }
            }
        }
    }
}
