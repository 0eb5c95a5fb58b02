//! Audit results as a table, OCSF Compliance Findings (class 2003) and SARIF 2.1.0.

use serde_json::{Value, json};

use crate::Result;
use crate::checks::CHECKS;

/// A plain table, most severe first.
pub fn table(results: &[Result]) -> String {
    let mut out = String::new();
    let width = results
        .iter()
        .map(|r| r.check.len())
        .max()
        .unwrap_or(5)
        .max(5);
    out.push_str(&format!(
        "{:<13} {:<width$} {:<22} WHY\n",
        "SEVERITY", "CHECK", "RESOURCE"
    ));
    for r in results {
        out.push_str(&format!(
            "{:<13} {:<width$} {:<22} {}\n{:<13} {:<width$} {:<22} fix: {}\n",
            r.severity.caption(),
            r.check,
            r.failure.resource,
            r.failure.why,
            "",
            "",
            "",
            r.failure.fix
        ));
    }
    out
}

fn rationale(check: &str) -> &'static str {
    CHECKS
        .iter()
        .find(|c| c.id() == check)
        .map(|c| c.rationale())
        .unwrap_or("")
}

/// One OCSF 1.3 Compliance Finding (class_uid 2003) per failure. `time` is the audit's time
/// (epoch ms); the uid is stable for the same check and resource.
pub fn ocsf(results: &[Result], time: i64) -> Vec<Value> {
    results
        .iter()
        .map(|r| {
            json!({
                "class_uid": 2003,
                "class_name": "Compliance Finding",
                "category_uid": 2,
                "category_name": "Findings",
                "activity_id": 1,
                "activity_name": "Create",
                "type_uid": 200301,
                "time": time,
                "severity_id": r.severity.id(),
                "severity": r.severity.caption(),
                "status_id": 1,
                "status": "New",
                "metadata": {"version": "1.3.0", "product": {"name": "eastwest", "vendor_name": "eastwest", "version": env!("CARGO_PKG_VERSION")}},
                "finding_info": {
                    "uid": format!("eastwest:{}:{}", r.check, r.failure.resource),
                    "title": r.title,
                    "desc": format!("{} {}", r.failure.why, rationale(r.check)),
                    "analytic": {"uid": r.check, "name": r.title, "type_id": 1, "type": "Rule"},
                    "first_seen_time": time,
                    "last_seen_time": time,
                },
                "compliance": {"status_id": 3, "status": "Fail", "control": r.check, "standards": ["eastwest lateral-movement posture"]},
                "resources": [{"uid": r.failure.resource, "type": r.failure.resource_type, "region": r.failure.region, "cloud_partition": "aws", "owner": {"account": {"uid": r.failure.account}}}],
                "cloud": {"provider": "AWS", "region": r.failure.region, "account": {"uid": r.failure.account, "type": "AWS Account"}},
                "remediation": {"desc": r.failure.fix},
            })
        })
        .collect()
}

/// A SARIF 2.1.0 log: one rule per check, one result per failure, the resource as a logical
/// location.
pub fn sarif(results: &[Result]) -> Value {
    let rules: Vec<Value> = CHECKS
        .iter()
        .map(|c| {
            json!({
                "id": c.id(),
                "name": c.id(),
                "shortDescription": {"text": c.title()},
                "fullDescription": {"text": c.rationale()},
                "defaultConfiguration": {"level": level(c.severity())},
            })
        })
        .collect();
    let results: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "ruleId": r.check,
                "level": level(r.severity),
                "message": {"text": format!("{} Fix: {}", r.failure.why, r.failure.fix)},
                "locations": [{"logicalLocations": [{"name": r.failure.resource, "kind": "resource", "fullyQualifiedName": format!("{}/{}/{}", r.failure.account.as_deref().unwrap_or("-"), r.failure.region.as_deref().unwrap_or("-"), r.failure.resource)}]}],
                "properties": {"severity": r.severity.caption(), "resourceType": r.failure.resource_type},
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "eastwest", "version": env!("CARGO_PKG_VERSION"), "informationUri": "https://github.com/eastwest-sec/eastwest", "rules": rules}}, "results": results}],
    })
}

fn level(severity: eastwest_model::Severity) -> &'static str {
    use eastwest_model::Severity::*;
    match severity {
        Critical | High => "error",
        Medium => "warning",
        Low | Informational => "note",
    }
}
