//! Named attack scenarios, each with its ground truth.
//!
//! A scenario adds connections, CloudTrail events, DNS queries and host-log lines to the benign
//! estate, and says what happened in a [`Truth`]: the ATT&CK techniques, the entities involved
//! (instance ids, ENIs, addresses, roles, all present in the inventory or named as outside
//! addresses) and the time window. Hosts, times and sizes are drawn from the seed.

use std::net::Ipv4Addr;

use serde::Serialize;
use serde_json::{Value, json};

use crate::benign::ephemeral;
use crate::estate::{Estate, Role};
use crate::flows::{Conn, End};
use crate::hostlogs::{HostLine, audit_exec, audit_user_add, audit_write, sshd};
use crate::rng::Rng;
use crate::trail::{Identity, event};

/// Every scenario, by name.
pub const SCENARIOS: [&str; 9] = [
    "ssrf-imds",
    "recon-sweep",
    "ssh-spray-pivot",
    "db-exfil",
    "dns-tunnel",
    "ssm-pivot",
    "slow-scan",
    "webshell",
    "persistence",
];

/// What a scenario did: the answer an evaluation checks detections against.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    /// Scenario name.
    pub scenario: String,
    /// One sentence of what happened.
    pub description: String,
    /// MITRE ATT&CK technique ids.
    pub techniques: Vec<String>,
    /// Entities: instance ids, ENI ids, private and outside addresses, role names, domains.
    pub entities: Vec<String>,
    /// The host where the attack started in the estate (instance id), if any.
    pub patient_zero: Option<String>,
    /// First attack activity, epoch ms.
    pub start_ms: i64,
    /// Last attack activity, epoch ms.
    pub end_ms: i64,
}

/// A DNS query for the Route 53 Resolver query log.
#[derive(Debug, Clone)]
pub struct DnsQuery {
    /// When.
    pub ms: i64,
    /// Asking host.
    pub host: usize,
    /// Name, with the trailing dot.
    pub name: String,
    /// `A`, `AAAA`, `TXT`, ...
    pub kind: &'static str,
    /// `NOERROR`, `NXDOMAIN`.
    pub rcode: &'static str,
    /// Answers (rdata, type).
    pub answers: Vec<(String, &'static str)>,
}

/// What scenarios (or benign life outside the flow logs) add.
#[derive(Debug, Default)]
pub struct Activity {
    /// Connections.
    pub conns: Vec<Conn>,
    /// CloudTrail records.
    pub trail: Vec<(i64, Value)>,
    /// DNS queries.
    pub dns: Vec<DnsQuery>,
    /// Host log lines.
    pub host_lines: Vec<HostLine>,
    /// Ground truth.
    pub truth: Vec<Truth>,
}

fn instance(estate: &Estate, h: usize) -> String {
    estate.hosts[h].instance_id.clone().unwrap_or_default()
}

fn entities(estate: &Estate, hosts: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    for &h in hosts {
        let host = &estate.hosts[h];
        out.extend(host.instance_id.clone());
        out.push(host.eni.clone());
        out.push(host.ip.to_string());
    }
    out
}

/// An address on the internet the attacker uses.
fn attacker(rng: &mut Rng) -> Ipv4Addr {
    crate::benign::public_ip(rng, &[185, 193, 194, 195, 45])
}

/// Runs scenario `name` (a member of [`SCENARIOS`]) into `out`.
pub fn run(name: &str, estate: &Estate, seed: u64, out: &mut Activity) {
    let index = SCENARIOS.iter().position(|s| *s == name).unwrap_or(0) as u64;
    let mut rng = Rng::fork(seed, 0x5CE4_0000 + index);
    let span = estate.end_ms - estate.active_from_ms;
    // Attacks start between 10% and 70% into the period after the quiet days, on the minute.
    let start = estate.active_from_ms + span / 10 + rng.below((span * 6 / 10).max(1) as u64) as i64;
    let start = start - start.rem_euclid(60_000) + rng.below(60) as i64 * 1000;
    let web: Vec<usize> = estate
        .with_role(Role::Web)
        .into_iter()
        .filter(|&h| estate.hosts[h].launched_ms < estate.active_from_ms)
        .collect();
    let app = estate.with_role(Role::App);
    let pick_distinct = |rng: &mut Rng, from: &[usize], n: usize| -> Vec<usize> {
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < n.min(from.len()) {
            let h = *rng.pick(from);
            if !chosen.contains(&h) {
                chosen.push(h);
            }
        }
        chosen
    };
    let conn = |src: End,
                dst: End,
                sport: u16,
                dport: u16,
                start_ms: i64,
                duration_ms: i64,
                forward: (u64, u64),
                reverse: (u64, u64)| Conn {
        src,
        dst,
        sport,
        dport,
        protocol: 6,
        start_ms,
        duration_ms,
        forward,
        reverse,
        outcome: estate.connect(src, dst, 6, dport),
    };
    let truth = |description: String,
                 techniques: &[&str],
                 entities: Vec<String>,
                 patient_zero: Option<String>,
                 start_ms: i64,
                 end_ms: i64| Truth {
        scenario: name.to_string(),
        description,
        techniques: techniques.iter().map(|t| t.to_string()).collect(),
        entities,
        patient_zero,
        start_ms,
        end_ms,
    };
    match name {
        "ssrf-imds" => {
            let victim = estate.named("web-1").unwrap_or(web[0]);
            let alb = estate.with_role(Role::LoadBalancer)[0];
            let ip = attacker(&mut rng);
            let mut t = start;
            for _ in 0..rng.range(15, 40) {
                out.conns.push(conn(
                    End::External(ip),
                    End::Host(alb),
                    ephemeral(&mut rng),
                    443,
                    t,
                    800,
                    (6, 1_400),
                    (5, 2_200),
                ));
                out.conns.push(conn(
                    End::Host(alb),
                    End::Host(victim),
                    ephemeral(&mut rng),
                    80,
                    t + 5,
                    700,
                    (5, 1_300),
                    (4, 2_000),
                ));
                t += rng.range(2_000, 20_000);
            }
            let role = estate.hosts[victim].iam_role.unwrap_or("web-role");
            let who = Identity::instance_role(role, &instance(estate, victim), true);
            let use_at = t + rng.range(60_000, 600_000);
            let calls: [(&str, &str, Option<&str>); 6] = [
                ("sts.amazonaws.com", "GetCallerIdentity", None),
                ("s3.amazonaws.com", "ListBuckets", None),
                (
                    "ec2.amazonaws.com",
                    "DescribeInstances",
                    Some("Client.UnauthorizedOperation"),
                ),
                ("iam.amazonaws.com", "ListRoles", Some("AccessDenied")),
                ("s3.amazonaws.com", "ListObjects", None),
                (
                    "secretsmanager.amazonaws.com",
                    "ListSecrets",
                    Some("AccessDenied"),
                ),
            ];
            let mut last = use_at;
            for (i, (source, call, error)) in calls.iter().enumerate() {
                last = use_at + i as i64 * rng.range(5_000, 40_000);
                out.trail.push((
                    last,
                    event(
                        &mut rng,
                        last,
                        source,
                        call,
                        &who,
                        &ip.to_string(),
                        "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.kali",
                        json!({}),
                        *error,
                    ),
                ));
            }
            out.truth.push(truth(
                format!("SSRF through the load balancer into {} (IMDSv1), its role {role}'s credentials then used from {ip}", estate.hosts[victim].name),
                &["T1190", "T1552.005", "T1078.004"],
                [entities(estate, &[victim]), vec![ip.to_string(), role.to_string()]].concat(),
                estate.hosts[victim].instance_id.clone(),
                start,
                last,
            ));
        }
        "recon-sweep" => {
            let source = *rng.pick(&app);
            let ports = [22, 80, 443, 3306, 5432, 6379, 8080];
            let mut t = start;
            let mut targets = 0;
            for subnet in 2..8 {
                let base = u32::from(estate.subnets[subnet].cidr.0) + 10;
                for offset in 0..rng.range(12, 30) as u32 {
                    let ip = Ipv4Addr::from(base + offset);
                    if ip == estate.hosts[source].ip {
                        continue;
                    }
                    let dst = match estate.host_at(ip) {
                        Some(h) => End::Host(h),
                        None => continue,
                    };
                    targets += 1;
                    for port in ports {
                        out.conns.push(Conn {
                            protocol: 6,
                            ..conn(
                                End::Host(source),
                                dst,
                                ephemeral(&mut rng),
                                port,
                                t,
                                5,
                                (1, 60),
                                (1, 40),
                            )
                        });
                        t += rng.range(20, 400);
                    }
                }
            }
            out.truth.push(truth(
                format!(
                    "{} swept {targets} hosts on {} ports from inside the VPC",
                    estate.hosts[source].name,
                    ports.len()
                ),
                &["T1046"],
                entities(estate, &[source]),
                estate.hosts[source].instance_id.clone(),
                start,
                t,
            ));
        }
        "ssh-spray-pivot" => {
            let chosen = pick_distinct(&mut rng, &app, 9.min(app.len()));
            let (source, targets) = (chosen[0], &chosen[1..]);
            let users = ["admin", "ubuntu", "deploy", "test", "oracle", "postgres"];
            let mut t = start;
            let winner = *targets.last().unwrap_or(&source);
            for &target in targets {
                for user in users {
                    let sport = ephemeral(&mut rng);
                    out.conns.push(conn(
                        End::Host(source),
                        End::Host(target),
                        sport,
                        22,
                        t,
                        3_000,
                        (12, 2_400),
                        (10, 2_800),
                    ));
                    let success = target == winner && user == "deploy";
                    let invalid = matches!(user, "admin" | "test" | "oracle");
                    out.host_lines.extend(sshd(
                        estate,
                        target,
                        t + 2_000,
                        &estate.hosts[source].ip.to_string(),
                        sport,
                        user,
                        if success {
                            "accepted-password"
                        } else if invalid {
                            "invalid"
                        } else {
                            "failed"
                        },
                        &mut rng,
                    ));
                    t += rng.range(1_500, 6_000);
                }
            }
            // From the new foothold, straight to the database.
            let db = estate.named("orders-db").unwrap_or(winner);
            let pivot = t + rng.range(60_000, 300_000);
            out.conns.push(conn(
                End::Host(winner),
                End::Host(db),
                ephemeral(&mut rng),
                5432,
                pivot,
                120_000,
                (400, 60_000),
                (9_000, 12_000_000),
            ));
            out.truth.push(truth(
                format!("{} sprayed SSH passwords across {} app hosts, logged in to {} as deploy and went on to orders-db", estate.hosts[source].name, targets.len(), estate.hosts[winner].name),
                &["T1110.003", "T1021.004"],
                [entities(estate, &chosen), entities(estate, &[db])].concat(),
                estate.hosts[source].instance_id.clone(),
                start,
                pivot + 120_000,
            ));
        }
        "db-exfil" => {
            let source = *rng.pick(&app);
            let db = estate.named("reporting-db").unwrap_or(source);
            let gigabytes = rng.range(2, 6) as u64;
            let bytes = gigabytes * 1_000_000_000;
            out.conns.push(conn(
                End::Host(source),
                End::Host(db),
                ephemeral(&mut rng),
                5432,
                start,
                25 * 60_000,
                (20_000, 1_500_000),
                (bytes / 1400, bytes),
            ));
            let drop = attacker(&mut rng);
            let out_at = start + 30 * 60_000;
            out.conns.push(conn(
                End::Host(source),
                End::External(drop),
                ephemeral(&mut rng),
                443,
                out_at,
                40 * 60_000,
                (bytes / 1400, bytes + bytes / 50),
                (30_000, 2_000_000),
            ));
            out.truth.push(truth(
                format!("{} read {gigabytes} GB from reporting-db, which the app tier never uses, and sent it to {drop}", estate.hosts[source].name),
                &["T1213", "T1048"],
                [entities(estate, &[source, db]), vec![drop.to_string()]].concat(),
                estate.hosts[source].instance_id.clone(),
                start,
                out_at + 40 * 60_000,
            ));
        }
        "dns-tunnel" => {
            let source = *rng.pick(&web);
            let domain = format!(
                "{}.cdn-telemetry.net.",
                rng.chars(b"abcdefghijklmnopqrstuvwxyz", 6)
            );
            let mut t = start;
            let queries = rng.range(600, 1500);
            for _ in 0..queries {
                let label = rng.chars(b"abcdefghijklmnopqrstuvwxyz234567", 58);
                let name = format!("{label}.{}.{domain}", rng.hex(4));
                out.dns.push(DnsQuery {
                    ms: t,
                    host: source,
                    name,
                    kind: "TXT",
                    rcode: "NOERROR",
                    answers: vec![(
                        format!(
                            "\"{}\"",
                            rng.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=", 40)
                        ),
                        "TXT",
                    )],
                });
                t += rng.range(1_000, 6_000);
            }
            out.truth.push(truth(
                format!(
                    "{} tunnelled data through {queries} TXT lookups under {domain}",
                    estate.hosts[source].name
                ),
                &["T1071.004", "T1048.003"],
                [
                    entities(estate, &[source]),
                    vec![domain.trim_end_matches('.').to_string()],
                ]
                .concat(),
                estate.hosts[source].instance_id.clone(),
                start,
                t,
            ));
        }
        "ssm-pivot" => {
            let chosen = pick_distinct(&mut rng, &app, 4.min(app.len()));
            let (source, targets) = (chosen[0], &chosen[1..]);
            let role = estate.hosts[source].iam_role.unwrap_or("app-role");
            let who = Identity::instance_role(role, &instance(estate, source), false);
            let nat_ip = estate
                .named("nat")
                .and_then(|n| estate.hosts[n].public_ip)
                .map(|ip| ip.to_string())
                .unwrap_or_default();
            let mut t = start;
            let ids: Vec<String> = targets.iter().map(|&h| instance(estate, h)).collect();
            out.trail.push((
                t,
                event(
                    &mut rng,
                    t,
                    "ec2.amazonaws.com",
                    "DescribeInstances",
                    &who,
                    &nat_ip,
                    "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 lang/python#3.9",
                    json!({"instancesSet": {}, "filterSet": {}}),
                    None,
                ),
            ));
            t += rng.range(20_000, 90_000);
            out.trail.push((
                t,
                event(
                    &mut rng,
                    t,
                    "ssm.amazonaws.com",
                    "SendCommand",
                    &who,
                    &nat_ip,
                    "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 lang/python#3.9",
                    json!({
                        "instanceIds": ids,
                        "documentName": "AWS-RunShellScript",
                        "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS",
                        "interactive": false
                    }),
                    None,
                ),
            ));
            let eic_target = targets[0];
            t += rng.range(60_000, 300_000);
            out.trail.push((
                t,
                event(
                    &mut rng,
                    t,
                    "ec2-instance-connect.amazonaws.com",
                    "SendSSHPublicKey",
                    &who,
                    &nat_ip,
                    "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 lang/python#3.9",
                    json!({
                        "instanceId": instance(estate, eic_target),
                        "instanceOSUser": "ec2-user",
                        "sSHPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBsim eastwest"
                    }),
                    None,
                ),
            ));
            let sport = ephemeral(&mut rng);
            out.conns.push(conn(
                End::Host(source),
                End::Host(eic_target),
                sport,
                22,
                t + 8_000,
                240_000,
                (300, 40_000),
                (280, 90_000),
            ));
            out.host_lines.extend(sshd(
                estate,
                eic_target,
                t + 9_000,
                &estate.hosts[source].ip.to_string(),
                sport,
                "ec2-user",
                "accepted-eic",
                &mut rng,
            ));
            out.truth.push(truth(
                format!("{}'s role {role} ran commands on {} instances through SSM and pushed an SSH key to {} with EC2 Instance Connect, then logged in", estate.hosts[source].name, ids.len(), estate.hosts[eic_target].name),
                &["T1651", "T1098.004", "T1021.004"],
                [entities(estate, &chosen), vec![role.to_string()]].concat(),
                estate.hosts[source].instance_id.clone(),
                start,
                t + 250_000,
            ));
        }
        "slow-scan" => {
            let source = *rng.pick(&web);
            let targets: Vec<usize> = app
                .iter()
                .copied()
                .take(6)
                .chain(estate.named("orders-db"))
                .chain(estate.named("sessions-0001-001"))
                .collect();
            let mut t = start;
            let hours = rng.range(4, 8);
            let end = start + hours * 3_600_000;
            let mut probes = 0;
            while t < end {
                let target = *rng.pick(&targets);
                let port = rng.range(1, 10_000) as u16;
                out.conns.push(conn(
                    End::Host(source),
                    End::Host(target),
                    ephemeral(&mut rng),
                    port,
                    t,
                    5,
                    (1, 60),
                    (1, 40),
                ));
                probes += 1;
                t += rng.range(120_000, 420_000);
            }
            out.truth.push(truth(
                format!(
                    "{} probed {probes} ports on {} hosts, one every few minutes for {hours} hours",
                    estate.hosts[source].name,
                    targets.len()
                ),
                &["T1046"],
                entities(estate, &[source]),
                estate.hosts[source].instance_id.clone(),
                start,
                t,
            ));
        }
        "webshell" => {
            let victim = *rng.pick(&web);
            let alb = estate.with_role(Role::LoadBalancer)
                [1 % estate.with_role(Role::LoadBalancer).len()];
            let ip = attacker(&mut rng);
            let commands: [&[&str]; 7] = [
                &["id"],
                &["whoami"],
                &["uname", "-a"],
                &["cat", "/etc/passwd"],
                &["ip", "addr"],
                &[
                    "curl",
                    "-s",
                    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
                ],
                &["ps", "aux"],
            ];
            let mut t = start;
            for argv in commands {
                out.conns.push(conn(
                    End::External(ip),
                    End::Host(alb),
                    ephemeral(&mut rng),
                    443,
                    t,
                    900,
                    (7, 1_600),
                    (6, 3_800),
                ));
                out.conns.push(conn(
                    End::Host(alb),
                    End::Host(victim),
                    ephemeral(&mut rng),
                    80,
                    t + 4,
                    800,
                    (6, 1_500),
                    (5, 3_600),
                ));
                out.host_lines.extend(audit_exec(
                    victim,
                    t + 300,
                    48,
                    "nginx",
                    "/usr/sbin/nginx",
                    argv,
                    "/usr/share/nginx/html",
                    &mut rng,
                ));
                t += rng.range(20_000, 120_000);
            }
            out.truth.push(truth(
                format!(
                    "A web shell on {} ran reconnaissance commands as nginx for {ip}",
                    estate.hosts[victim].name
                ),
                &["T1505.003", "T1059.004", "T1082", "T1033"],
                [entities(estate, &[victim]), vec![ip.to_string()]].concat(),
                estate.hosts[victim].instance_id.clone(),
                start,
                t,
            ));
        }
        "persistence" => {
            let victim = *rng.pick(&app);
            let user = *rng.pick(&["support", "svc-backup", "sysadm"]);
            let mut t = start;
            out.host_lines.extend(audit_exec(
                victim,
                t,
                0,
                "bash",
                "/usr/bin/bash",
                &["useradd", "-m", "-s", "/bin/bash", user],
                "/root",
                &mut rng,
            ));
            t += 400;
            out.host_lines
                .extend(audit_user_add(estate, victim, t, user, &mut rng));
            t += rng.range(5_000, 30_000);
            let home = format!("/home/{user}/.ssh/authorized_keys");
            for path in [home.as_str(), "/root/.ssh/authorized_keys"] {
                out.host_lines.extend(audit_exec(
                    victim,
                    t,
                    0,
                    "bash",
                    "/usr/bin/bash",
                    &["tee", "-a", path],
                    "/root",
                    &mut rng,
                ));
                out.host_lines
                    .extend(audit_write(victim, t + 50, path, &mut rng));
                t += rng.range(3_000, 20_000);
            }
            out.truth.push(truth(
                format!(
                    "A new local account {user} and two authorized_keys changes on {}",
                    estate.hosts[victim].name
                ),
                &["T1136.001", "T1098.004"],
                [entities(estate, &[victim]), vec![user.to_string()]].concat(),
                estate.hosts[victim].instance_id.clone(),
                start,
                t,
            ));
        }
        _ => {}
    }
}
