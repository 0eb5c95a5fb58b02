//! Findings and incidents in the AWS Security Finding Format (ASFF), for Security Hub's
//! `BatchImportFindings`: the required attributes (schema version, id, product ARN of the
//! account's default custom integration, generator, account, types, times, severity, title,
//! description, at least one resource) and what a responder uses (remediation, confidence, the
//! first and last observation, the detector and ATT&CK ids as product fields), each within
//! Security Hub's length limits.

use eastwest_model::{Finding, Severity};
use serde_json::{Map, Value, json};

/// The ASFF schema version Security Hub accepts.
pub const SCHEMA_VERSION: &str = "2018-10-08";

/// Findings per `BatchImportFindings` call (the API's limit).
pub const BATCH_FINDINGS: usize = 100;

/// Largest finding Security Hub accepts, in bytes of JSON.
pub const MAX_FINDING_BYTES: usize = 240 * 1024;

/// Where findings are imported: the account and region of the Security Hub, and the partition.
#[derive(Debug, Clone)]
pub struct Target {
    /// Account id.
    pub account: String,
    /// Region.
    pub region: String,
    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub partition: String,
}

impl Target {
    /// The account's default custom-integration product ARN, which a product importing its own
    /// findings uses.
    pub fn product_arn(&self) -> String {
        format!(
            "arn:{}:securityhub:{}:{}:product/{}/default",
            self.partition, self.region, self.account, self.account
        )
    }
}

fn iso(ms: i64) -> String {
    eastwest_model::time::Civil::from_ms(ms).iso_millis()
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

fn label(severity: Severity) -> &'static str {
    match severity {
        Severity::Informational => "INFORMATIONAL",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

/// ASFF finding types from ATT&CK tactics: `TTPs/<tactic>` where ASFF has the classifier,
/// `Effects/Data Exfiltration` for exfiltration.
fn types(finding: &Finding) -> Vec<String> {
    if finding.compliance.is_some() {
        return vec!["Software and Configuration Checks/AWS Security Best Practices".into()];
    }
    let mut out: Vec<String> = Vec::new();
    for attack in &finding.attacks {
        let kind = match attack.tactic_uid {
            "TA0010" => "Effects/Data Exfiltration".to_string(),
            "TA0040" => "Effects/Resource Consumption".to_string(),
            "TA0043" => "TTPs/Discovery".to_string(),
            "TA0042" | "TA0011" => "TTPs/Command and Control".to_string(),
            _ => format!("TTPs/{}", attack.tactic_name),
        };
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    if out.is_empty() {
        out.push("Unusual Behaviors/Network Flow".into());
    }
    out
}

/// An ASFF resource for one of the finding's resources.
fn resource(target: &Target, r: &eastwest_model::Resource) -> Value {
    let (kind, id) = {
        let account = r.account.as_deref().unwrap_or(&target.account);
        let region = r.region.as_deref().unwrap_or(&target.region);
        let p = &target.partition;
        match r.kind.as_str() {
            "AWS::EC2::Instance" => (
                "AwsEc2Instance",
                format!("arn:{p}:ec2:{region}:{account}:instance/{}", r.uid),
            ),
            "AWS::EC2::NetworkInterface" => (
                "AwsEc2NetworkInterface",
                format!("arn:{p}:ec2:{region}:{account}:network-interface/{}", r.uid),
            ),
            "AWS::EC2::SecurityGroup" => (
                "AwsEc2SecurityGroup",
                format!("arn:{p}:ec2:{region}:{account}:security-group/{}", r.uid),
            ),
            "AWS::EC2::VPC" => (
                "AwsEc2Vpc",
                format!("arn:{p}:ec2:{region}:{account}:vpc/{}", r.uid),
            ),
            "AWS::IAM::Role" if !r.uid.starts_with("arn:") => (
                "AwsIamRole",
                format!("arn:{p}:iam::{account}:role/{}", r.uid),
            ),
            "AWS::IAM::Role" => ("AwsIamRole", r.uid.clone()),
            _ => ("Other", r.uid.clone()),
        }
    };
    let mut out = json!({
        "Type": kind,
        "Id": cut(&id, 512),
        "Partition": target.partition,
        "Region": r.region.as_deref().unwrap_or(&target.region),
    });
    if let Some(name) = &r.name {
        out["Tags"] = json!({"Name": cut(name, 256)});
    }
    out
}

/// One finding as an ASFF finding; `now_ms` is when it is imported.
pub fn asff(finding: &Finding, target: &Target, now_ms: i64) -> Value {
    let mut resources: Vec<Value> = finding
        .resources
        .iter()
        .map(|r| resource(target, r))
        .collect();
    if resources.is_empty() {
        // ASFF requires one: the source, by what is known of it.
        let who = finding
            .source
            .as_ref()
            .map(|s| s.label())
            .unwrap_or_else(|| finding.analytic.clone());
        resources.push(json!({
            "Type": "Other",
            "Id": cut(&who, 512),
            "Partition": target.partition,
            "Region": target.region,
        }));
    }
    resources.truncate(32);
    let mut fields = Map::new();
    fields.insert(
        "eastwest/analytic".into(),
        json!(cut(&finding.analytic, 1024)),
    );
    let techniques = finding.technique_ids().join(" ");
    if !techniques.is_empty() {
        fields.insert("eastwest/attack".into(), json!(cut(&techniques, 1024)));
    }
    if let Some(source) = &finding.source {
        fields.insert("eastwest/source".into(), json!(cut(&source.label(), 1024)));
    }
    if let Some(destination) = &finding.destination {
        fields.insert(
            "eastwest/destination".into(),
            json!(cut(&destination.label(), 1024)),
        );
    }
    if let Some(evidence) = finding.evidence.first() {
        fields.insert(
            "eastwest/evidence".into(),
            json!(cut(
                &format!(
                    "{}:{} {}",
                    evidence.source_file, evidence.source_line, evidence.summary
                ),
                1024
            )),
        );
    }
    let mut out = json!({
        "SchemaVersion": SCHEMA_VERSION,
        "Id": format!("eastwest/{}", finding.uid),
        "ProductArn": target.product_arn(),
        "ProductName": "eastwest",
        "CompanyName": "eastwest",
        "GeneratorId": cut(&format!("eastwest/{}", finding.analytic), 512),
        "AwsAccountId": finding.account.as_deref().unwrap_or(&target.account),
        "Types": types(finding),
        "FirstObservedAt": iso(finding.first_seen_ms),
        "LastObservedAt": iso(finding.last_seen_ms),
        "CreatedAt": iso(finding.first_seen_ms),
        "UpdatedAt": iso(now_ms),
        "Severity": {"Label": label(finding.severity)},
        "Confidence": finding.confidence.min(100),
        "Title": cut(&finding.title, 256),
        "Description": cut(&finding.description, 1024),
        "Resources": resources,
        "ProductFields": fields,
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
    });
    if !finding.remediation.is_empty() {
        out["Remediation"] = json!({"Recommendation": {"Text": cut(&finding.remediation, 512)}});
    }
    if out.to_string().len() > MAX_FINDING_BYTES {
        // Only free text can be that long: shorten it rather than lose the finding.
        out["Description"] = json!(cut(&finding.description, 256));
        out["ProductFields"] = json!({"eastwest/analytic": cut(&finding.analytic, 256)});
    }
    out
}

/// An incident as an ASFF finding: its story as the description, its hosts as resources, its
/// member findings' ids in the product fields (the members are imported too).
pub fn asff_incident(
    incident: &eastwest_correlate::Incident,
    target: &Target,
    now_ms: i64,
) -> Value {
    let p = &target.partition;
    let mut resources: Vec<Value> = incident
        .hosts
        .iter()
        .map(|h| match &h.instance {
            Some(instance) => json!({
                "Type": "AwsEc2Instance",
                "Id": format!("arn:{p}:ec2:{}:{}:instance/{instance}", target.region, target.account),
                "Partition": p,
                "Region": target.region,
                "Tags": {"Name": cut(&h.label, 256)},
            }),
            None => json!({
                "Type": "Other",
                "Id": cut(&h.key, 512),
                "Partition": p,
                "Region": target.region,
            }),
        })
        .collect();
    if resources.is_empty() {
        resources.push(
            json!({"Type": "Other", "Id": incident.uid, "Partition": p, "Region": target.region}),
        );
    }
    resources.truncate(32);
    let mut kinds: Vec<String> = Vec::new();
    for attack in &incident.attacks {
        let kind = match attack.tactic_uid {
            "TA0010" => "Effects/Data Exfiltration".to_string(),
            "TA0043" => "TTPs/Discovery".to_string(),
            "TA0011" => "TTPs/Command and Control".to_string(),
            "TA0040" => "Effects/Resource Consumption".to_string(),
            _ => format!("TTPs/{}", attack.tactic_name),
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        kinds.push("Unusual Behaviors/Network Flow".into());
    }
    json!({
        "SchemaVersion": SCHEMA_VERSION,
        "Id": format!("eastwest/incident/{}", incident.uid),
        "ProductArn": target.product_arn(),
        "ProductName": "eastwest",
        "CompanyName": "eastwest",
        "GeneratorId": "eastwest/incident",
        "AwsAccountId": target.account,
        "Types": kinds,
        "FirstObservedAt": iso(incident.first_seen_ms),
        "LastObservedAt": iso(incident.last_seen_ms),
        "CreatedAt": iso(incident.first_seen_ms),
        "UpdatedAt": iso(now_ms),
        "Severity": {"Label": label(incident.severity)},
        "Confidence": incident.confidence.min(100),
        "Criticality": incident.score.min(100),
        "Title": cut(&incident.title, 256),
        "Description": cut(
            &if incident.story.is_empty() {
                incident.title.clone()
            } else {
                incident.story.join("\n")
            },
            1024
        ),
        "Resources": resources,
        "ProductFields": {
            "eastwest/kind": "incident",
            "eastwest/members": cut(&incident.members.iter().map(|m| format!("eastwest/{m}")).collect::<Vec<_>>().join(" "), 1024),
            "eastwest/patient_zero": incident.patient_zero.clone().unwrap_or_default(),
        },
        "Remediation": {"Recommendation": {"Text": cut(&incident.commands.join("; "), 512)}},
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "NEW"},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_at_a_character_boundary_within_the_limit() {
        let long = "é".repeat(700);
        let cut = cut(&long, 1024);
        assert!(cut.len() <= 1024, "{}", cut.len());
        assert!(cut.ends_with("..."));
        assert_eq!(super::cut("short", 10), "short");
    }
}
