//! The simulator's output follows AWS's conventions, is reproducible, and its ground truth
//! names entities that exist.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use eastwest_sim::estate::Estate;
use eastwest_sim::{FlowFormat, SCENARIOS, SimOptions, simulate};

fn options(out: &Path, seed: u64, format: FlowFormat) -> SimOptions {
    SimOptions {
        out: out.to_path_buf(),
        scenarios: vec!["all".into()],
        hosts: 12,
        days: 1.0,
        format,
        seed,
        threads: 2,
        ..SimOptions::default()
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).expect("open"))
        .read_to_string(&mut text)
        .expect("gzip");
    text
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let short = |dir: &Path, seed| SimOptions {
        days: 0.25,
        threads: 2,
        ..options(dir, seed, FlowFormat::V5)
    };
    simulate(&short(a.path(), 7), &|_, _| {}).unwrap();
    // A different thread count must not change the output.
    simulate(
        &SimOptions {
            threads: 1,
            ..short(b.path(), 7)
        },
        &|_, _| {},
    )
    .unwrap();
    simulate(&short(c.path(), 8), &|_, _| {}).unwrap();
    let (fa, fb) = (files(a.path()), files(b.path()));
    let relative = |files: &[PathBuf], root: &Path| {
        files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().to_path_buf())
            .collect::<Vec<_>>()
    };
    assert_eq!(relative(&fa, a.path()), relative(&fb, b.path()));
    assert!(fa.len() > 50);
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(
            std::fs::read(x).unwrap(),
            std::fs::read(y).unwrap(),
            "{}",
            x.display()
        );
    }
    let truth = |dir: &Path| std::fs::read_to_string(dir.join("truth.json")).unwrap();
    assert_ne!(
        truth(a.path()),
        truth(c.path()),
        "another seed moves the attacks"
    );
}

struct Line {
    eni: String,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    pkt_dst: Ipv4Addr,
    sport: u16,
    dport: u16,
    start: i64,
    accept: bool,
    flags: u8,
    ingress: bool,
}

#[test]
fn flow_logs_follow_aws_conventions() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path(), 3, FlowFormat::V5);
    let summary = simulate(&opts, &|_, _| {}).unwrap();
    let start = opts.start_ms;
    let estate = Estate::build(opts.seed, opts.hosts, start, start + 86_400_000, start);
    let header = FlowFormat::V5.header();
    let mut lines = Vec::new();
    let flow_files: Vec<PathBuf> = files(dir.path())
        .into_iter()
        .filter(|f| f.to_string_lossy().contains("/vpcflowlogs/"))
        .collect();
    assert_eq!(flow_files.len() as u64, summary.flow_files);
    for file in &flow_files {
        // S3 key: AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/<account>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("111122223333_vpcflowlogs_us-east-1_fl-") && name.ends_with(".log.gz"),
            "{name}"
        );
        assert!(
            file.to_string_lossy()
                .contains("/AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/02/"),
            "{}",
            file.display()
        );
        let text = gunzip(file);
        let mut it = text.lines();
        assert_eq!(
            it.next(),
            Some(header.as_str()),
            "every file starts with its header line"
        );
        for line in it {
            let f: Vec<&str> = line.split(' ').collect();
            assert_eq!(f.len(), 29, "{line}");
            lines.push(Line {
                eni: f[4].to_string(),
                src: f[7].parse().unwrap(),
                dst: f[8].parse().unwrap(),
                pkt_dst: f[12].parse().unwrap(),
                sport: f[9].parse().unwrap(),
                dport: f[10].parse().unwrap(),
                start: f[16].parse().unwrap(),
                accept: f[18] == "ACCEPT",
                flags: f[19].parse().unwrap(),
                ingress: f[27] == "ingress",
            });
        }
    }
    assert_eq!(lines.len() as u64, summary.flow_records);
    let eni_of: HashMap<Ipv4Addr, &str> = estate
        .hosts
        .iter()
        .map(|h| (h.ip, h.eni.as_str()))
        .collect();
    let host_of: HashMap<Ipv4Addr, usize> = estate
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.ip, i))
        .collect();
    let egress: HashSet<(String, Ipv4Addr, Ipv4Addr, u16, u16, i64)> = lines
        .iter()
        .filter(|l| !l.ingress)
        .map(|l| (l.eni.clone(), l.src, l.dst, l.sport, l.dport, l.start / 60))
        .collect();
    let mut checked = 0;
    let mut rejects = 0;
    for l in &lines {
        // Traffic AWS never logs.
        for ip in [l.src, l.dst] {
            assert!(
                !ip.is_link_local(),
                "link-local traffic is not logged: {} -> {}:{}",
                l.src,
                l.dst,
                l.dport
            );
            assert!(
                ip != Ipv4Addr::new(10, 40, 0, 2) && ip != Ipv4Addr::new(10, 50, 0, 2),
                "the Amazon DNS server is not logged"
            );
        }
        if !l.accept {
            rejects += 1;
            assert!(
                l.ingress,
                "only the responder's ENI rejects (egress is open)"
            );
            assert_eq!(l.flags, 2, "a rejected connection is a SYN");
            let dst = host_of[&l.dst];
            let groups = host_of
                .get(&l.src)
                .map(|&s| estate.hosts[s].groups.clone())
                .unwrap_or_default();
            assert!(
                !estate.admits(dst, l.src, &groups, 6, l.dport),
                "REJECT where the groups admit: {} -> {}:{}",
                l.src,
                l.dst,
                l.dport
            );
        }
        // An accepted connection between two ENIs shows on both: the responder's ingress has the
        // initiator's egress. (A NAT gateway's private side is addressed to the gateway, the real
        // destination being in pkt-dstaddr: not a connection to it.)
        if l.pkt_dst == l.dst
            && l.ingress
            && l.accept
            && l.flags & 18 == 2
            && eni_of.contains_key(&l.src)
            && eni_of.contains_key(&l.dst)
            && eni_of[&l.dst] == l.eni
        {
            let key = (
                eni_of[&l.src].to_string(),
                l.src,
                l.dst,
                l.sport,
                l.dport,
                l.start / 60,
            );
            assert!(
                egress.contains(&key),
                "no egress record on {} for {} -> {}:{}",
                key.0,
                l.src,
                l.dst,
                l.dport
            );
            let dst = host_of[&l.dst];
            let groups = estate.hosts[host_of[&l.src]].groups.clone();
            assert!(
                estate.admits(dst, l.src, &groups, 6, l.dport),
                "ACCEPT where the groups refuse"
            );
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked}");
    assert!(
        rejects > 100,
        "scanners and scenarios produce rejects: {rejects}"
    );
    // A port nobody listens on answers with RST.
    assert!(lines.iter().any(|l| l.flags == 4 && !l.ingress && l.accept));
    // The NAT gateway's private side: addressed to the gateway, the real peer in pkt-dstaddr.
    let nat = estate.hosts[estate.named("nat").unwrap()].ip;
    assert!(
        lines
            .iter()
            .any(|l| l.ingress && l.dst == nat && l.pkt_dst != nat)
    );
    // Answered connections carry SYN-ACK on the reply.
    assert!(lines.iter().any(|l| l.flags & 18 == 18));
}

#[test]
fn cloudtrail_dns_and_host_logs_have_aws_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let summary = simulate(&options(dir.path(), 5, FlowFormat::V2), &|_, _| {}).unwrap();
    let all = files(dir.path());
    let trail: Vec<&PathBuf> = all
        .iter()
        .filter(|f| f.to_string_lossy().contains("/CloudTrail/"))
        .collect();
    assert!(!trail.is_empty());
    let mut events = 0;
    let mut names = HashSet::new();
    for file in &trail {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("111122223333_CloudTrail_us-east-1_") && name.ends_with(".json.gz"),
            "{name}"
        );
        let json: serde_json::Value = serde_json::from_str(&gunzip(file)).unwrap();
        for record in json["Records"].as_array().expect("Records") {
            for key in [
                "eventVersion",
                "eventTime",
                "eventSource",
                "eventName",
                "awsRegion",
                "sourceIPAddress",
                "eventID",
                "recipientAccountId",
            ] {
                assert!(record[key].is_string(), "{key} in {record}");
            }
            assert!(record["userIdentity"]["type"].is_string());
            names.insert(record["eventName"].as_str().unwrap().to_string());
            events += 1;
        }
    }
    assert_eq!(events, summary.trail_records);
    for expected in [
        "SendCommand",
        "SendSSHPublicKey",
        "GetCallerIdentity",
        "AssumeRole",
        "DescribeInstances",
        "RunInstances",
    ] {
        assert!(
            names.contains(expected),
            "{expected} missing from {names:?}"
        );
    }
    // Stolen web-role credentials: IMDSv1 delivery, used from outside AWS.
    let stolen = trail
        .iter()
        .flat_map(|f| {
            let json: serde_json::Value = serde_json::from_str(&gunzip(f)).unwrap();
            json["Records"].as_array().unwrap().clone()
        })
        .find(|r| r["eventName"] == "GetCallerIdentity")
        .unwrap();
    assert_eq!(
        stolen["userIdentity"]["sessionContext"]["ec2RoleDelivery"],
        "1.0"
    );

    let dns: Vec<&PathBuf> = all
        .iter()
        .filter(|f| f.to_string_lossy().contains("/vpcdnsquerylogs/"))
        .collect();
    let mut queries = 0;
    for file in &dns {
        for line in gunzip(file).lines() {
            let q: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(q["query_name"].as_str().unwrap().ends_with('.'));
            assert!(q["vpc_id"].as_str().unwrap().starts_with("vpc-"));
            assert!(q["srcids"]["instance"].as_str().unwrap().starts_with("i-"));
            queries += 1;
        }
    }
    assert_eq!(queries, summary.dns_queries);

    let secure: Vec<&PathBuf> = all
        .iter()
        .filter(|f| f.ends_with("var/log/secure"))
        .collect();
    assert!(!secure.is_empty());
    let text: String = secure
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert!(text.contains("Failed password for invalid user"));
    assert!(text.contains("Accepted password for deploy from"));
    let audit: String = all
        .iter()
        .filter(|f| f.ends_with("audit.log"))
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    assert!(audit.contains("type=ADD_USER"));
    assert!(audit.contains("authorized_keys"));
    assert!(
        audit
            .lines()
            .all(|l| l.starts_with("type=") && l.contains("msg=audit("))
    );
}

#[test]
fn truth_entities_exist_in_the_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let summary = simulate(&options(dir.path(), 11, FlowFormat::V2), &|_, _| {}).unwrap();
    assert_eq!(summary.truth.len(), SCENARIOS.len());
    let (inventory, report) = eastwest_inventory::load_dir(&dir.path().join("inventory")).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let resolver = eastwest_inventory::Resolver::new(&inventory);
    let roles: HashSet<&str> = inventory
        .role_details
        .iter()
        .map(|r| r.item.role_name.as_str())
        .collect();
    for truth in &summary.truth {
        assert!(truth.start_ms < truth.end_ms, "{}", truth.scenario);
        assert!(!truth.techniques.is_empty());
        for entity in &truth.entities {
            if entity.starts_with("i-") || entity.starts_with("eni-") {
                assert!(
                    !resolver.find(entity).is_empty(),
                    "{}: {entity} not in the inventory",
                    truth.scenario
                );
            } else if let Ok(ip) = entity.parse::<Ipv4Addr>() {
                if ip.is_private() {
                    assert!(
                        !resolver.find(entity).is_empty(),
                        "{}: {entity} is no asset",
                        truth.scenario
                    );
                }
            } else if entity.ends_with("-role") {
                assert!(roles.contains(entity.as_str()), "{entity}");
            }
        }
        if let Some(p0) = &truth.patient_zero {
            assert_eq!(resolver.find(p0)[0].kind.name(), "instance");
        }
    }
    // The deliberate misconfigurations are in the inventory for posture to find.
    let groups: Vec<&str> = inventory
        .security_groups
        .iter()
        .filter_map(|g| g.item.group_name.as_deref())
        .collect();
    assert!(groups.contains(&"launch-wizard-1"));
    let imds_v1 = inventory
        .instances
        .iter()
        .filter(|i| {
            i.item
                .metadata_options
                .as_ref()
                .and_then(|m| m.http_tokens.as_deref())
                == Some("optional")
        })
        .count();
    assert_eq!(imds_v1, 1);
    let assets = resolver.assets();
    for kind in [
        "instance",
        "load-balancer",
        "rds",
        "elasticache",
        "nat-gateway",
        "vpc-endpoint",
    ] {
        assert!(assets.iter().any(|a| a.kind.name() == kind), "no {kind}");
    }
    let web = assets.iter().find(|a| a.name == "web-1").unwrap();
    assert_eq!(
        (
            web.peer_group.as_str(),
            web.role.as_deref(),
            web.tier.as_deref()
        ),
        ("asg:web-asg", Some("web-role"), Some("web"))
    );
    assert_eq!(
        assets
            .iter()
            .find(|a| a.name == "orders-db")
            .unwrap()
            .tier
            .as_deref(),
        Some("data")
    );
}
