//! Incidents: one story per intrusion instead of a finding per observation.
//!
//! Findings are joined through the host each one is about and through the lateral steps
//! between hosts:
//!
//! - a finding's **host** is its source when the source is a host of the estate (an instance or
//!   an interface: the one that scanned, sprayed, ran a command), else its destination when that
//!   is (web-1, whose role credentials were used from outside); a finding about neither is about
//!   its principal (a role or user) and stands alone under it;
//! - a **lateral step** is a finding of the Lateral Movement tactic from one host to another
//!   (app-5 logged in to app-8): the two hosts are one intrusion, and the second is a hop.
//!
//! Hosts are not joined through what many hosts share (a security group, an instance role, a
//! popular database they all reach): that would make one incident of unrelated intrusions.
//! Within an incident, the hosts are ordered by when they first took part; patient zero is the
//! earliest host no step led to; each host gets the stages its findings show, in kill-chain
//! order; the score grows with severity, confidence, the number of stages and of hosts; and the
//! response names the instances to contain and the roles whose sessions to revoke, as
//! `eastwest` commands. The id is stable: the same earliest finding gives the same incident id,
//! so a later run that sees more of the same intrusion updates it instead of alerting anew.
#![deny(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};

use eastwest_model::finding::stable_uid;
use eastwest_model::{Attack, Endpoint, Finding, Severity};
use serde::Serialize;

/// The stages an incident is told in, in kill-chain order, with the ATT&CK tactics of each.
pub const STAGES: &[(&str, &[&str])] = &[
    ("initial access", &["TA0001"]),
    ("reconnaissance", &["TA0043", "TA0007"]),
    ("execution", &["TA0002"]),
    ("persistence", &["TA0003", "TA0004"]),
    ("defense evasion", &["TA0005"]),
    ("credential access", &["TA0006"]),
    ("lateral movement", &["TA0008"]),
    ("collection", &["TA0009"]),
    ("command and control", &["TA0011"]),
    ("exfiltration", &["TA0010"]),
    ("impact", &["TA0040"]),
];

/// Techniques that mean an instance role's credentials were taken or used: unsecured
/// credentials from the metadata API, cloud accounts, cloud administration commands, stolen
/// application access tokens, and application access tokens used.
pub const ROLE_CREDENTIAL_TECHNIQUES: &[&str] =
    &["T1552.005", "T1078.004", "T1651", "T1528", "T1550.001"];

/// The stage of an ATT&CK tactic.
pub fn stage_of(tactic: &str) -> Option<&'static str> {
    STAGES
        .iter()
        .find(|(_, tactics)| tactics.contains(&tactic))
        .map(|(stage, _)| *stage)
}

fn stage_rank(stage: &str) -> usize {
    STAGES
        .iter()
        .position(|(s, _)| *s == stage)
        .unwrap_or(usize::MAX)
}

/// A host (or principal) of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Host {
    /// What identifies it: instance id, else ENI id, else address, else `principal:<name>`.
    pub key: String,
    /// Its name, else its id.
    pub label: String,
    /// EC2 instance id, where it is an instance.
    pub instance: Option<String>,
    /// Its address.
    pub ip: Option<String>,
    /// When it first took part (its first finding, or the step that reached it), epoch ms.
    pub first_ms: i64,
    /// The stages its own findings show, in kill-chain order.
    pub stages: Vec<String>,
    /// Its findings' uids, earliest first.
    pub findings: Vec<String>,
}

/// A lateral step from one host to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// The host it came from (its key).
    pub from: String,
    /// The host it reached (its key).
    pub to: String,
    /// When, epoch ms.
    pub at_ms: i64,
    /// The finding that shows it.
    pub finding: String,
    /// That finding's title.
    pub how: String,
}

/// One intrusion, told host by host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// Stable id (from its earliest finding).
    pub uid: String,
    /// One line: where it started and how far it went.
    pub title: String,
    /// Patient zero: the earliest host no lateral step led to (its key).
    pub patient_zero: Option<String>,
    /// The hosts, in the order they took part.
    pub hosts: Vec<Host>,
    /// The lateral steps, in time order.
    pub hops: Vec<Hop>,
    /// Member findings' uids, earliest first.
    pub members: Vec<String>,
    /// Earliest member's first activity, epoch ms.
    pub first_seen_ms: i64,
    /// Latest member's last activity, epoch ms.
    pub last_seen_ms: i64,
    /// The most severe member's severity.
    pub severity: Severity,
    /// The highest member confidence, 0-100.
    pub confidence: u8,
    /// 0-100, from severity, confidence, stages and hosts.
    pub score: u8,
    /// Every stage seen, in kill-chain order.
    pub stages: Vec<String>,
    /// ATT&CK references of the members, deduplicated.
    #[serde(skip)]
    pub attacks: Vec<Attack>,
    /// Instances to contain.
    pub contain: Vec<String>,
    /// Roles whose sessions to revoke (their credentials were taken or used).
    pub revoke: Vec<String>,
    /// The response as commands.
    pub commands: Vec<String>,
    /// The story in words, one line per host and step.
    pub story: Vec<String>,
}

/// The host side of an endpoint: instance, else ENI, else nothing (an outside address is not a
/// host of the estate).
fn host_key(endpoint: &Endpoint) -> Option<String> {
    endpoint
        .instance_uid
        .clone()
        .or_else(|| endpoint.interface_uid.clone())
}

/// What a finding is about: its acting host, else the host it was done to, else its principal.
fn subject(finding: &Finding) -> Option<(String, Option<&Endpoint>)> {
    if let Some(source) = &finding.source
        && let Some(key) = host_key(source)
    {
        return Some((key, Some(source)));
    }
    if let Some(destination) = &finding.destination
        && let Some(key) = host_key(destination)
    {
        return Some((key, Some(destination)));
    }
    finding
        .resources
        .iter()
        .find(|r| r.kind == "AWS::IAM::Role" || r.kind == "AWS::IAM::User")
        .map(|r| (format!("principal:{}", r.uid), None))
}

/// The lateral step a finding shows, if it does: (from, to).
fn step(finding: &Finding) -> Option<(String, String)> {
    if !finding.attacks.iter().any(|a| a.tactic_uid == "TA0008") {
        return None;
    }
    let from = host_key(finding.source.as_ref()?)?;
    let to = host_key(finding.destination.as_ref()?)?;
    (from != to).then_some((from, to))
}

/// Disjoint sets over host keys.
#[derive(Default)]
struct Sets {
    parent: BTreeMap<String, String>,
}

impl Sets {
    fn root(&mut self, key: &str) -> String {
        let mut at = key.to_string();
        loop {
            let up = self
                .parent
                .entry(at.clone())
                .or_insert_with(|| at.clone())
                .clone();
            if up == at {
                break;
            }
            at = up;
        }
        // Path compression: point the chain straight at the root.
        let mut node = key.to_string();
        while node != at {
            let up = self
                .parent
                .insert(node.clone(), at.clone())
                .unwrap_or_default();
            node = up;
        }
        at
    }

    fn join(&mut self, a: &str, b: &str) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            // The smaller key wins, so the result does not depend on the order of joins.
            let (keep, fold) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent.insert(fold, keep);
        }
    }
}

/// Joins detection findings into incidents, most important first. Posture results and
/// informational findings are not part of any incident.
pub fn correlate(findings: &[Finding]) -> Vec<Incident> {
    let members: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.compliance.is_none() && f.severity > Severity::Informational)
        .collect();
    let subjects: Vec<Option<String>> =
        members.iter().map(|f| subject(f).map(|(k, _)| k)).collect();
    // When each host first acted on its own.
    let mut first_own: BTreeMap<&str, i64> = BTreeMap::new();
    for (finding, key) in members.iter().zip(&subjects) {
        if let Some(key) = key {
            let at = first_own.entry(key).or_insert(finding.first_seen_ms);
            *at = (*at).min(finding.first_seen_ms);
        }
    }
    let mut sets = Sets::default();
    for key in subjects.iter().flatten() {
        sets.root(key);
    }
    for finding in &members {
        // A step joins the host it reached only when that host had not acted before it: one
        // already active was entered some other way, and is its own intrusion (the step is
        // still told in the incident it came from).
        if let Some((from, to)) = step(finding)
            && first_own
                .get(to.as_str())
                .is_none_or(|&own| own >= finding.first_seen_ms)
        {
            sets.join(&from, &to);
        }
    }
    // Group by the root of each finding's subject; a finding about nothing stands alone.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, key) in subjects.iter().enumerate() {
        let group = match key {
            Some(key) => sets.root(key),
            None => format!("finding:{}", members[i].uid),
        };
        groups.entry(group).or_default().push(i);
    }
    let mut incidents: Vec<Incident> = groups
        .into_values()
        .map(|indices| {
            let group: Vec<&Finding> = indices.iter().map(|&i| members[i]).collect();
            incident(&group)
        })
        .collect();
    incidents.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.first_seen_ms.cmp(&b.first_seen_ms))
            .then(a.uid.cmp(&b.uid))
    });
    incidents
}

fn time(ms: i64) -> String {
    eastwest_model::time::Civil::from_ms(ms).iso_seconds()
}

/// One incident from its findings.
fn incident(group: &[&Finding]) -> Incident {
    let mut findings: Vec<&Finding> = group.to_vec();
    findings.sort_by(|a, b| {
        a.first_seen_ms
            .cmp(&b.first_seen_ms)
            .then(a.uid.cmp(&b.uid))
    });
    let mut hosts: BTreeMap<String, Host> = BTreeMap::new();
    let mut hops: Vec<Hop> = Vec::new();
    let mut revoke = BTreeSet::new();
    let mut attacks: Vec<Attack> = Vec::new();
    let mut stages_seen = BTreeSet::new();
    let host_entry =
        |hosts: &mut BTreeMap<String, Host>, key: &str, endpoint: Option<&Endpoint>, at: i64| {
            let host = hosts.entry(key.to_string()).or_insert_with(|| Host {
                key: key.to_string(),
                label: endpoint
                    .and_then(|e| e.name.clone())
                    .unwrap_or_else(|| key.trim_start_matches("principal:").to_string()),
                instance: endpoint.and_then(|e| e.instance_uid.clone()),
                ip: endpoint.and_then(|e| e.ip.clone()),
                first_ms: at,
                stages: Vec::new(),
                findings: Vec::new(),
            });
            host.first_ms = host.first_ms.min(at);
            if host.ip.is_none() {
                host.ip = endpoint.and_then(|e| e.ip.clone());
            }
        };
    for finding in &findings {
        for attack in &finding.attacks {
            if !attacks.contains(attack) {
                attacks.push(attack.clone());
            }
        }
        // A step is lateral movement by its source, whatever else its techniques name (valid
        // accounts, listed under initial access, is how the step was made, not a new entry).
        let stages: Vec<&str> = if step(finding).is_some() {
            vec!["lateral movement"]
        } else {
            finding
                .attacks
                .iter()
                .filter_map(|a| stage_of(a.tactic_uid))
                .collect()
        };
        if let Some((key, endpoint)) = subject(finding) {
            host_entry(&mut hosts, &key, endpoint, finding.first_seen_ms);
            let host = hosts.get_mut(&key).expect("just added");
            host.findings.push(finding.uid.clone());
            for stage in &stages {
                if !host.stages.iter().any(|s| s == stage) {
                    host.stages.push(stage.to_string());
                }
                stages_seen.insert(stage.to_string());
            }
        }
        if let Some((from, to)) = step(finding) {
            host_entry(
                &mut hosts,
                &to,
                finding.destination.as_ref(),
                finding.first_seen_ms,
            );
            hops.push(Hop {
                from,
                to,
                at_ms: finding.first_seen_ms,
                finding: finding.uid.clone(),
                how: finding.title.clone(),
            });
        }
        // A role's credentials taken or used (from the metadata service, from outside, for
        // cloud administration commands): its sessions are revoked. A password tried over SSH
        // is no role's credential.
        let credentials = finding.attacks.iter().any(|a| {
            [a.sub_technique_uid, a.technique_uid]
                .into_iter()
                .flatten()
                .any(|t| ROLE_CREDENTIAL_TECHNIQUES.contains(&t))
        });
        if credentials {
            for endpoint in finding.source.iter().chain(&finding.destination) {
                if host_key(endpoint).is_some()
                    && let Some(role) = &endpoint.role
                {
                    revoke.insert(role.clone());
                }
            }
        }
    }
    for host in hosts.values_mut() {
        host.stages.sort_by_key(|s| stage_rank(s));
    }
    let mut ordered: Vec<Host> = hosts.into_values().collect();
    ordered.sort_by(|a, b| a.first_ms.cmp(&b.first_ms).then(a.key.cmp(&b.key)));
    let reached: BTreeSet<&str> = hops.iter().map(|h| h.to.as_str()).collect();
    let patient_zero = ordered
        .iter()
        .find(|h| !reached.contains(h.key.as_str()))
        .or(ordered.first())
        .map(|h| h.key.clone());
    let severity = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Low);
    let confidence = findings.iter().map(|f| f.confidence).max().unwrap_or(0);
    let mut stages: Vec<String> = stages_seen.into_iter().collect();
    stages.sort_by_key(|s| stage_rank(s));
    let score = (severity as u32 * 12
        + stages.len() as u32 * 6
        + (ordered.len().min(5) as u32) * 3
        + u32::from(confidence) / 10)
        .min(100) as u8;
    let contain: Vec<String> = ordered.iter().filter_map(|h| h.instance.clone()).collect();
    let revoke: Vec<String> = revoke.into_iter().collect();
    let first_seen_ms = findings.first().map_or(0, |f| f.first_seen_ms);
    let last_seen_ms = findings.iter().map(|f| f.last_seen_ms).max().unwrap_or(0);
    let uid = stable_uid(&["incident", findings.first().map_or("", |f| f.uid.as_str())]);
    let label = |key: &str| {
        ordered
            .iter()
            .find(|h| h.key == key)
            .map_or_else(|| key.to_string(), |h| h.label.clone())
    };
    let short = &uid[..12.min(uid.len())];
    let mut commands: Vec<String> = contain
        .iter()
        .map(|i| format!("eastwest contain {i} --incident {short}"))
        .collect();
    commands.extend(revoke.iter().map(|r| format!("eastwest revoke {r}")));
    let zero = patient_zero.as_deref().map(label).unwrap_or_default();
    let title = if ordered.len() > 1 {
        format!(
            "Intrusion from {zero} across {} hosts: {}",
            ordered.len(),
            stages.join(", ")
        )
    } else if stages.is_empty() {
        format!(
            "{zero}: {}",
            findings.first().map_or("", |f| f.title.as_str())
        )
    } else {
        format!("{zero}: {}", stages.join(", "))
    };
    let mut story = Vec::new();
    for host in &ordered {
        let arrival = hops
            .iter()
            .find(|h| h.to == host.key)
            .map(|h| format!(", reached from {} ({})", label(&h.from), h.how))
            .unwrap_or_default();
        let zero_mark = if Some(&host.key) == patient_zero.as_ref() {
            " (patient zero)"
        } else {
            ""
        };
        story.push(format!(
            "{} {}{}{zero_mark}{arrival}: {}",
            time(host.first_ms),
            host.label,
            host.instance
                .as_deref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default(),
            if host.stages.is_empty() {
                "entered".to_string()
            } else {
                host.stages.join(", ")
            }
        ));
        for uid in &host.findings {
            if let Some(f) = findings.iter().find(|f| &f.uid == uid) {
                story.push(format!("  {} {}", time(f.first_seen_ms), f.title));
            }
        }
    }
    if ordered.is_empty() {
        // About no host of the estate (an address the inventory does not name): the findings.
        for f in &findings {
            story.push(format!("{} {}", time(f.first_seen_ms), f.title));
        }
    }
    if !commands.is_empty() {
        story.push(format!("respond: {}", commands.join("; ")));
    }
    Incident {
        uid,
        title,
        patient_zero,
        hosts: ordered,
        hops,
        members: findings.iter().map(|f| f.uid.clone()).collect(),
        first_seen_ms,
        last_seen_ms,
        severity,
        confidence,
        score,
        stages,
        attacks,
        contain,
        revoke,
        commands,
        story,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eastwest_model::attack::attack;
    use eastwest_model::finding::Resource;

    fn host(name: &str, instance: &str, ip: &str, role: &str) -> Endpoint {
        Endpoint {
            ip: Some(ip.into()),
            name: Some(name.into()),
            kind: Some("instance".into()),
            instance_uid: Some(instance.into()),
            interface_uid: Some(format!("eni-{instance}")),
            role: Some(role.into()),
            ..Endpoint::default()
        }
    }

    fn finding(
        uid: &str,
        at_min: i64,
        techniques: &[&str],
        source: Option<Endpoint>,
        destination: Option<Endpoint>,
    ) -> Finding {
        Finding {
            uid: uid.into(),
            analytic: "test".into(),
            title: format!("finding {uid}"),
            description: String::new(),
            attacks: techniques.iter().filter_map(|t| attack(t)).collect(),
            severity: Severity::High,
            confidence: 80,
            first_seen_ms: at_min * 60_000,
            last_seen_ms: at_min * 60_000 + 1,
            source,
            destination,
            resources: vec![Resource {
                uid: "web-role".into(),
                kind: "AWS::IAM::Role".into(),
                name: None,
                account: None,
                region: None,
            }],
            evidence: Vec::new(),
            counts: BTreeMap::new(),
            baseline: None,
            remediation: String::new(),
            status: Default::default(),
            compliance: None,
            account: None,
            region: None,
        }
    }

    fn outside(ip: &str) -> Endpoint {
        Endpoint {
            ip: Some(ip.into()),
            kind: Some("internet".into()),
            ..Endpoint::default()
        }
    }

    #[test]
    fn a_chain_is_one_incident_from_patient_zero_through_its_hops() {
        let web = host("web-1", "i-web", "10.0.1.5", "web-role");
        let app3 = host("app-3", "i-app3", "10.0.2.3", "app-role");
        let app6 = host("app-6", "i-app6", "10.0.2.6", "app-role");
        let findings = vec![
            // Later findings first: order of input does not matter.
            finding(
                "exfil",
                200,
                &["T1048"],
                Some(app6.clone()),
                Some(outside("198.51.100.7")),
            ),
            finding(
                "creds",
                10,
                &["T1552.005", "T1078.004"],
                Some(outside("203.0.113.9")),
                Some(web.clone()),
            ),
            finding(
                "login",
                100,
                &["T1021.004", "T1078"],
                Some(app3.clone()),
                Some(app6.clone()),
            ),
            finding("sweep", 60, &["T1046"], Some(app3.clone()), None),
            finding(
                "pivot",
                50,
                &["T1021.004"],
                Some(web.clone()),
                Some(app3.clone()),
            ),
            // Another host with the same role, unrelated: its own incident.
            finding(
                "other",
                70,
                &["T1046"],
                Some(host("web-2", "i-web2", "10.0.1.6", "web-role")),
                None,
            ),
        ];
        let incidents = correlate(&findings);
        assert_eq!(incidents.len(), 2, "{incidents:#?}");
        let chain = &incidents[0];
        assert_eq!(chain.patient_zero.as_deref(), Some("i-web"));
        assert_eq!(
            chain
                .hops
                .iter()
                .map(|h| (h.from.as_str(), h.to.as_str()))
                .collect::<Vec<_>>(),
            [("i-web", "i-app3"), ("i-app3", "i-app6")]
        );
        assert_eq!(
            chain
                .hosts
                .iter()
                .map(|h| h.label.as_str())
                .collect::<Vec<_>>(),
            ["web-1", "app-3", "app-6"]
        );
        assert_eq!(chain.contain, ["i-web", "i-app3", "i-app6"]);
        assert!(chain.revoke.contains(&"web-role".to_string()));
        assert_eq!(chain.members.first().map(String::as_str), Some("creds"));
        assert!(
            chain.stages.iter().position(|s| s == "credential access")
                < chain.stages.iter().position(|s| s == "exfiltration")
        );
        assert!(
            chain.title.contains("web-1 across 3 hosts"),
            "{}",
            chain.title
        );
        let app3_stages = &chain.hosts[1].stages;
        assert_eq!(app3_stages, &["reconnaissance", "lateral movement"]);
        assert!(
            chain
                .story
                .iter()
                .any(|l| l.contains("app-6") && l.contains("reached from app-3")),
            "{:#?}",
            chain.story
        );
        assert_eq!(incidents[1].patient_zero.as_deref(), Some("i-web2"));
        assert!(chain.score > incidents[1].score);
        // Same earliest finding, same id: a rerun updates rather than re-alerts.
        assert_eq!(correlate(&findings)[0].uid, chain.uid);
    }

    #[test]
    fn a_finding_about_no_host_is_its_own_incident_and_says_what_it_saw() {
        let mut lone = finding("lone", 5, &["T1046"], Some(outside("10.9.9.9")), None);
        lone.resources.clear();
        let incidents = correlate(&[lone]);
        assert_eq!(incidents.len(), 1);
        assert!(incidents[0].patient_zero.is_none());
        assert!(
            incidents[0]
                .story
                .iter()
                .any(|l| l.contains("finding lone"))
        );
    }

    #[test]
    fn informational_and_posture_findings_make_no_incident() {
        let mut quiet = finding("quiet", 1, &["T1046"], None, None);
        quiet.severity = Severity::Informational;
        assert!(correlate(&[quiet]).is_empty());
        assert!(correlate(&[]).is_empty());
    }
}
