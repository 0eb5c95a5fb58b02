//! Findings as OCSF 1.3 events: Detection Finding (2004), or Compliance Finding (2003) for
//! posture results.
//!
//! Where OCSF 1.3 and eastwest's own contract (DESIGN.md, "Findings") differ, both are written:
//! the endpoints go in `evidences[]` (OCSF 1.3's place for them) and also at the top of a
//! detection finding as `src_endpoint`/`dst_endpoint`, which the 1.3 class does not define (a
//! validator that rejects unknown attributes will say so); ATT&CK references go in
//! `finding_info.attacks` (OCSF's place for a product that is not a security control) and also
//! as the top-level `attacks`, with the `security_control` profile that defines it. What OCSF
//! has no attribute for (counts, the baseline, an endpoint's peer group and role) goes in
//! `unmapped`. Absent values are left out rather than written as `null`.

use std::io::{self, Write};

use eastwest_model::{Attack, ControlStatus, Endpoint, Evidence, Finding, Resource, Status};
use serde_json::{Map, Value, json};

/// The OCSF version these events follow.
pub const OCSF_VERSION: &str = "1.3.0";

/// The ATT&CK matrix version the technique ids come from (`eastwest_model::attack`).
const ATTACK_VERSION: &str = "15";

/// OCSF `category_uid` of every finding class.
const FINDINGS_CATEGORY: u32 = 2;

/// OCSF `class_uid` of Detection Finding.
const DETECTION_FINDING: u32 = 2004;

/// OCSF `class_uid` of Compliance Finding.
const COMPLIANCE_FINDING: u32 = 2003;

/// OCSF `class_uid` of Incident Finding.
const INCIDENT_FINDING: u32 = 2005;

/// OCSF network endpoint `type_id` "Other": the endpoint's `type` then carries eastwest's own
/// kind (`instance`, `rds`, `internet`), which OCSF's device-type list has no entry for.
const ENDPOINT_TYPE_OTHER: u32 = 99;

/// OCSF account `type_id` "AWS Account".
const AWS_ACCOUNT: u32 = 10;

/// One finding as one OCSF 1.3 event. `time_ms` is when it is reported (epoch ms): the event's
/// `time`, not the evidence's, which is in `finding_info.first_seen_time`/`last_seen_time`.
pub fn ocsf(finding: &Finding, time_ms: i64) -> Value {
    let compliance = finding.compliance.as_ref();
    let (class_uid, class_name) = match compliance {
        Some(_) => (COMPLIANCE_FINDING, "Compliance Finding"),
        None => (DETECTION_FINDING, "Detection Finding"),
    };
    let (activity_id, activity_name) = match finding.status {
        Status::New => (1, "Create"),
        Status::Update => (2, "Update"),
    };
    let confidence = finding.confidence.min(100);
    let (confidence_id, confidence_name) = confidence_level(confidence);
    let attacks: Vec<Value> = finding.attacks.iter().map(attack).collect();
    let evidences = evidences(finding);
    let cloud = cloud(finding);
    let detection = compliance.is_none();

    let mut profiles = Vec::new();
    if cloud.is_some() {
        profiles.push("cloud");
    }
    if detection && !attacks.is_empty() {
        profiles.push("security_control");
    }

    let mut event = json!({
        "class_uid": class_uid,
        "class_name": class_name,
        "category_uid": FINDINGS_CATEGORY,
        "category_name": "Findings",
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": class_uid * 100 + activity_id,
        "type_name": format!("{class_name}: {activity_name}"),
        "time": time_ms,
        "severity_id": finding.severity.id(),
        "severity": finding.severity.caption(),
        "confidence_score": confidence,
        "confidence_id": confidence_id,
        "confidence": confidence_name,
        // Status is the reader's review state; eastwest never reviews, so every report is New
        // (whether it is a repeat is told by `activity_id`).
        "status_id": 1,
        "status": "New",
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": profiles,
            "product": {
                "name": "eastwest",
                "vendor_name": "eastwest",
                "version": env!("CARGO_PKG_VERSION"),
            },
        },
        "finding_info": {
            "uid": finding.uid,
            "title": finding.title,
            "desc": finding.description,
            "analytic": {
                "uid": finding.analytic,
                "name": finding.title,
                "type_id": 1,
                "type": "Rule",
            },
            "attacks": attacks,
            "first_seen_time": finding.first_seen_ms,
            "last_seen_time": finding.last_seen_ms,
            "types": compliance.map(|_| vec!["Posture"]),
        },
        "resources": finding.resources.iter().map(resource).collect::<Vec<_>>(),
        "cloud": cloud,
        "unmapped": unmapped(finding),
    });
    if let Some(fields) = event.as_object_mut() {
        if !finding.remediation.is_empty() {
            fields.insert("remediation".into(), json!({"desc": finding.remediation}));
        }
        match compliance {
            Some(compliance) => {
                fields.insert(
                    "compliance".into(),
                    match compliance.status {
                        ControlStatus::Fail => json!({
                            "status_id": 3,
                            "status": "Fail",
                            "control": compliance.control,
                            "standards": compliance.standards,
                        }),
                        // OCSF has no "not collected": Other, with the reason in the detail.
                        ControlStatus::NotCollected => json!({
                            "status_id": 99,
                            "status": "Not collected",
                            "status_detail": finding.description.lines().next().unwrap_or(""),
                            "control": compliance.control,
                            "standards": compliance.standards,
                        }),
                    },
                );
                // OCSF 1.3's Compliance Finding has no `evidences` attribute (1.5 adds it).
                if !evidences.is_empty()
                    && let Some(unmapped) = fields
                        .entry("unmapped")
                        .or_insert_with(|| json!({}))
                        .as_object_mut()
                {
                    unmapped.insert("evidences".into(), Value::Array(evidences));
                }
            }
            None => {
                fields.insert("evidences".into(), Value::Array(evidences));
                if !attacks.is_empty() {
                    fields.insert("attacks".into(), Value::Array(attacks));
                    // The security_control profile, which defines the top-level `attacks`,
                    // requires an action; eastwest only watches: detected, nothing done.
                    fields.insert("action_id".into(), json!(0));
                    fields.insert("action".into(), json!("Unknown"));
                    fields.insert("disposition_id".into(), json!(15));
                    fields.insert("disposition".into(), json!("Detected"));
                }
                fields.insert("src_endpoint".into(), endpoint(finding.source.as_ref()));
                fields.insert(
                    "dst_endpoint".into(),
                    endpoint(finding.destination.as_ref()),
                );
            }
        }
    }
    prune(event).unwrap_or_else(|| json!({}))
}

/// An incident as one OCSF 1.3 Incident Finding (2005): its members' `finding_info` in
/// `finding_info_list` (each with its uid, so a consumer joins them to the Detection Findings),
/// the story in `desc`, its ATT&CK references, and what OCSF has no attribute for (patient
/// zero, the hosts with their stages, the hops, the score and the response) in `unmapped`.
/// `members` are the findings the incident names; `status` says whether it was reported before.
pub fn incident(
    incident: &eastwest_correlate::Incident,
    members: &[Finding],
    status: Status,
    time_ms: i64,
) -> Value {
    let (activity_id, activity_name) = match status {
        Status::New => (1, "Create"),
        Status::Update => (2, "Update"),
    };
    let (confidence_id, confidence_name) = confidence_level(incident.confidence.min(100));
    let infos: Vec<Value> = incident
        .members
        .iter()
        .filter_map(|uid| members.iter().find(|f| &f.uid == uid))
        .map(|f| ocsf(f, time_ms)["finding_info"].clone())
        .collect();
    // OCSF priority: Low 1, Medium 2, High 3, Critical 4, from the severity.
    let priority_id = match incident.severity.id() {
        0..=2 => 1,
        3 => 2,
        4 => 3,
        _ => 4,
    };
    let priority = ["Low", "Medium", "High", "Critical"][priority_id - 1];
    let event = json!({
        "class_uid": INCIDENT_FINDING,
        "class_name": "Incident Finding",
        "category_uid": FINDINGS_CATEGORY,
        "category_name": "Findings",
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": INCIDENT_FINDING * 100 + activity_id,
        "type_name": format!("Incident Finding: {activity_name}"),
        "time": time_ms,
        "severity_id": incident.severity.id(),
        "severity": incident.severity.caption(),
        "confidence_score": incident.confidence.min(100),
        "confidence_id": confidence_id,
        "confidence": confidence_name,
        "priority_id": priority_id,
        "priority": priority,
        "status_id": 1,
        "status": "New",
        "desc": format!("{}\n{}", incident.title, incident.story.join("\n")),
        "metadata": {
            "uid": incident.uid,
            "version": OCSF_VERSION,
            "product": {
                "name": "eastwest",
                "vendor_name": "eastwest",
                "version": env!("CARGO_PKG_VERSION"),
            },
        },
        "finding_info_list": infos,
        "attacks": incident.attacks.iter().map(attack).collect::<Vec<_>>(),
        "start_time": incident.first_seen_ms,
        "end_time": incident.last_seen_ms,
        "unmapped": {
            "title": incident.title,
            "score": incident.score,
            "patient_zero": incident.patient_zero,
            "stages": incident.stages,
            "hosts": incident.hosts,
            "hops": incident.hops,
            "contain": incident.contain,
            "revoke": incident.revoke,
            "commands": incident.commands,
        },
    });
    prune(event).unwrap_or_else(|| json!({}))
}

/// Writes each finding as one OCSF event per line (JSON lines), in order.
pub fn write_json_lines(findings: &[Finding], time_ms: i64, out: &mut dyn Write) -> io::Result<()> {
    for finding in findings {
        serde_json::to_writer(&mut *out, &ocsf(finding, time_ms))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// OCSF `confidence_id` and caption for a 0-100 score.
fn confidence_level(score: u8) -> (u8, &'static str) {
    match score {
        0..40 => (1, "Low"),
        40..75 => (2, "Medium"),
        _ => (3, "High"),
    }
}

/// One ATT&CK reference as an OCSF `attack` object.
fn attack(attack: &Attack) -> Value {
    let named =
        |uid: Option<&str>, name: Option<&str>| uid.map(|uid| json!({"uid": uid, "name": name}));
    json!({
        "tactic": {"uid": attack.tactic_uid, "name": attack.tactic_name},
        "technique": named(attack.technique_uid, attack.technique_name),
        "sub_technique": named(attack.sub_technique_uid, attack.sub_technique_name),
        "version": ATTACK_VERSION,
    })
}

/// An endpoint as an OCSF Network Endpoint. Its peer group, role and account have no attribute
/// there; [`unmapped`] carries them.
fn endpoint(endpoint: Option<&Endpoint>) -> Value {
    let Some(e) = endpoint else {
        return Value::Null;
    };
    json!({
        "ip": e.ip,
        "port": e.port,
        "name": e.name,
        "instance_uid": e.instance_uid,
        "interface_uid": e.interface_uid,
        "vpc_uid": e.vpc_uid,
        "subnet_uid": e.subnet_uid,
        "type": e.kind,
        "type_id": e.kind.as_ref().map(|_| ENDPOINT_TYPE_OTHER),
    })
}

/// An AWS account as an OCSF `account` object.
fn account(uid: Option<&String>) -> Value {
    match uid {
        Some(uid) => json!({"uid": uid, "type_id": AWS_ACCOUNT, "type": "AWS Account"}),
        None => Value::Null,
    }
}

/// A resource as OCSF Resource Details, its account as the owner's (as Security Hub writes it).
fn resource(resource: &Resource) -> Value {
    json!({
        "uid": resource.uid,
        "type": resource.kind,
        "name": resource.name,
        "region": resource.region,
        "cloud_partition": "aws",
        "owner": {"account": account(resource.account.as_ref())},
    })
}

/// One evidence object per record, then one for the aggregate: the endpoints, the counts and
/// the baseline.
fn evidences(finding: &Finding) -> Vec<Value> {
    let mut out: Vec<Value> = finding.evidence.iter().map(record).collect();
    let aggregate = json!({
        "src_endpoint": endpoint(finding.source.as_ref()),
        "dst_endpoint": endpoint(finding.destination.as_ref()),
        "data": {
            "counts": counts(finding),
            "baseline": finding.baseline,
        },
    });
    out.extend(prune(aggregate));
    out
}

/// One record behind a finding.
fn record(evidence: &Evidence) -> Value {
    json!({
        "data": {
            "source_file": evidence.source_file,
            "source_line": evidence.source_line,
            "summary": evidence.summary,
        },
    })
}

/// The counts, whole numbers written as integers (`3`, not `3.0`) and non-finite ones left out
/// (JSON has no NaN).
fn counts(finding: &Finding) -> Value {
    /// Past 2^53 an f64 no longer holds every integer; such counts stay floats.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    let map: Map<String, Value> = finding
        .counts
        .iter()
        .filter(|(_, value)| value.is_finite())
        .map(|(name, value)| {
            let number = if value.fract() == 0.0 && value.abs() < EXACT {
                json!(*value as i64)
            } else {
                json!(value)
            };
            (name.clone(), number)
        })
        .collect();
    Value::Object(map)
}

/// The cloud the finding is in, when its account or region is known.
fn cloud(finding: &Finding) -> Option<Value> {
    if finding.account.is_none() && finding.region.is_none() {
        return None;
    }
    Some(json!({
        "provider": "AWS",
        "region": finding.region,
        "account": account(finding.account.as_ref()),
    }))
}

/// What OCSF has no attribute for.
fn unmapped(finding: &Finding) -> Value {
    let beyond = |e: Option<&Endpoint>| {
        e.map(|e| json!({"group": e.group, "role": e.role, "account": e.account}))
    };
    json!({
        "counts": counts(finding),
        "baseline": finding.baseline,
        "src_endpoint": beyond(finding.source.as_ref()),
        "dst_endpoint": beyond(finding.destination.as_ref()),
    })
}

/// Leaves out nulls, and the objects and lists that are empty once their nulls are gone, so
/// that a reader sees only what is known. `None` when nothing is left.
fn prune(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Object(fields) => {
            let kept: Map<String, Value> = fields
                .into_iter()
                .filter_map(|(name, value)| prune(value).map(|value| (name, value)))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let kept: Vec<Value> = items.into_iter().filter_map(prune).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{compliance_finding, detection_finding};

    #[test]
    fn detection_finding_carries_the_contract() {
        let f = ocsf(&detection_finding(), 1_700_000_000_500);
        assert_eq!(f["class_uid"], 2004);
        assert_eq!(f["category_uid"], 2);
        assert_eq!(f["type_uid"], 200401);
        assert_eq!(f["activity_id"], 1);
        assert_eq!(f["time"], 1_700_000_000_500i64);
        assert_eq!(f["severity_id"], 4);
        assert_eq!(f["severity"], "High");
        assert_eq!(f["confidence_score"], 80);
        assert_eq!(f["confidence_id"], 3);
        assert_eq!(f["status_id"], 1);
        assert_eq!(f["metadata"]["version"], "1.3.0");
        assert_eq!(
            f["metadata"]["profiles"],
            json!(["cloud", "security_control"])
        );
        assert_eq!(f["action_id"], 0);
        assert_eq!(f["disposition_id"], 15);
        assert_eq!(f["metadata"]["product"]["vendor_name"], "eastwest");
        let info = &f["finding_info"];
        assert_eq!(info["uid"], "0123456789abcdef0123456789abcdef");
        assert_eq!(info["analytic"]["uid"], "internal-port-scan");
        assert_eq!(info["analytic"]["type_id"], 1);
        assert_eq!(info["first_seen_time"], 1_700_000_000_000i64);
        assert_eq!(info["last_seen_time"], 1_700_000_000_400i64);
        assert!(info.get("types").is_none(), "{info}");
        for attacks in [&f["attacks"], &info["attacks"]] {
            assert_eq!(attacks[0]["technique"]["uid"], "T1046");
            assert_eq!(attacks[0]["tactic"]["uid"], "TA0007");
            assert!(attacks[0].get("sub_technique").is_none());
            assert_eq!(attacks[1]["sub_technique"]["uid"], "T1021.004");
            assert_eq!(attacks[1]["technique"]["uid"], "T1021");
            assert_eq!(attacks[1]["version"], "15");
        }
        let src = &f["src_endpoint"];
        assert_eq!(src["ip"], "10.0.1.5");
        assert_eq!(src["instance_uid"], "i-0aaa");
        assert_eq!(src["type"], "instance");
        assert_eq!(src["type_id"], 99);
        assert!(
            src.get("port").is_none(),
            "absent values are left out: {src}"
        );
        assert_eq!(f["dst_endpoint"]["port"], 22);
        assert_eq!(f["resources"][0]["uid"], "i-0aaa");
        assert_eq!(f["resources"][0]["owner"]["account"]["uid"], "111122223333");
        assert_eq!(f["resources"][0]["cloud_partition"], "aws");
        let evidences = f["evidences"].as_array().expect("evidences");
        assert_eq!(evidences.len(), 3, "two records and the aggregate");
        assert_eq!(evidences[0]["data"]["source_file"], "flows/a.log.gz");
        assert_eq!(evidences[0]["data"]["source_line"], 12);
        assert_eq!(evidences[2]["data"]["counts"]["ports"], 40);
        assert_eq!(evidences[2]["data"]["counts"]["ratio"], 0.5);
        assert_eq!(evidences[2]["src_endpoint"]["ip"], "10.0.1.5");
        assert!(evidences[2]["data"]["baseline"].is_string());
        assert_eq!(f["remediation"]["desc"], "Isolate the host.");
        assert_eq!(f["cloud"]["account"]["uid"], "111122223333");
        assert_eq!(f["unmapped"]["counts"]["ports"], 40);
        assert_eq!(f["unmapped"]["src_endpoint"]["group"], "asg:web");
        assert!(f.get("compliance").is_none());
        assert!(!f.to_string().contains("null"), "{f}");
    }

    #[test]
    fn an_update_is_activity_two() {
        let mut finding = detection_finding();
        finding.status = Status::Update;
        let f = ocsf(&finding, 1);
        assert_eq!(f["type_uid"], 200402);
        assert_eq!(f["activity_id"], 2);
        assert_eq!(f["activity_name"], "Update");
    }

    #[test]
    fn compliance_finding_has_the_posture_shape() {
        let f = ocsf(&compliance_finding(), 1_700_000_000_000);
        assert_eq!(f["class_uid"], 2003);
        assert_eq!(f["type_uid"], 200301);
        assert_eq!(f["compliance"]["status_id"], 3);
        assert_eq!(f["compliance"]["status"], "Fail");
        assert_eq!(f["compliance"]["control"], "imdsv1-allowed");
        assert_eq!(
            f["compliance"]["standards"][0],
            "eastwest lateral-movement posture"
        );
        assert_eq!(f["resources"][0]["type"], "AWS::EC2::Instance");
        assert_eq!(f["cloud"]["region"], "us-east-1");
        assert_eq!(f["confidence_id"], 3);
        assert!(f.get("attacks").is_none() && f.get("src_endpoint").is_none());
        assert!(
            f.get("evidences").is_none(),
            "not an attribute of 2003 in 1.3"
        );
    }

    #[test]
    fn confidence_levels_and_bounds() {
        assert_eq!(confidence_level(0), (1, "Low"));
        assert_eq!(confidence_level(39), (1, "Low"));
        assert_eq!(confidence_level(40), (2, "Medium"));
        assert_eq!(confidence_level(74), (2, "Medium"));
        assert_eq!(confidence_level(75), (3, "High"));
        let mut finding = detection_finding();
        finding.confidence = 250;
        assert_eq!(ocsf(&finding, 0)["confidence_score"], 100);
    }

    #[test]
    fn a_bare_finding_and_odd_counts_write_without_nulls() {
        let mut finding = detection_finding();
        finding.source = None;
        finding.destination = None;
        finding.resources.clear();
        finding.evidence.clear();
        finding.attacks.clear();
        finding.baseline = None;
        finding.account = None;
        finding.region = None;
        finding.remediation.clear();
        finding.counts.clear();
        finding.counts.insert("nan".into(), f64::NAN);
        finding.counts.insert("huge".into(), 1e300);
        let f = ocsf(&finding, 0);
        assert!(!f.to_string().contains("null"), "{f}");
        assert!(f.get("remediation").is_none());
        assert!(f.get("cloud").is_none());
        assert!(
            f.get("action_id").is_none(),
            "no attacks, no security_control profile"
        );
        assert!(f["metadata"].get("profiles").is_none(), "{f}");
        assert_eq!(f["unmapped"]["counts"]["huge"], 1e300);
        assert!(f["unmapped"]["counts"].get("nan").is_none());
    }

    #[test]
    fn json_lines_are_one_event_per_line() {
        let mut out = Vec::new();
        write_json_lines(&[detection_finding(), compliance_finding()], 5, &mut out)
            .expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        let classes: Vec<u64> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).expect("json")["class_uid"]
                    .as_u64()
                    .unwrap_or(0)
            })
            .collect();
        assert_eq!(classes, [2004, 2003]);
    }
}
