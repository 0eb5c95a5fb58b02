//! CloudTrail records, as CloudTrail writes them to S3 (`{"Records": [...]}`).

use serde_json::{Value, json};

use crate::estate::{ACCOUNT, REGION};
use crate::rng::Rng;
use eastwest_model::time::Civil;

/// Who made a call.
#[derive(Debug, Clone)]
pub struct Identity(pub Value);

impl Identity {
    /// An instance's role session, as EC2 delivers it (`ec2RoleDelivery` 1.0 when the
    /// credentials came through IMDSv1, 2.0 through IMDSv2).
    pub fn instance_role(role: &str, instance_id: &str, imds_v1: bool) -> Self {
        let role_id = format!(
            "AROA{}",
            role.to_uppercase()
                .replace('-', "")
                .chars()
                .chain("EXAMPLEID".chars())
                .take(17)
                .collect::<String>()
        );
        Identity(json!({
            "type": "AssumedRole",
            "principalId": format!("{role_id}:{instance_id}"),
            "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{instance_id}"),
            "accountId": ACCOUNT,
            "accessKeyId": format!("ASIA{}", role_id[4..].chars().rev().collect::<String>()),
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
                    "accountId": ACCOUNT,
                    "userName": role
                },
                "attributes": {"creationDate": "", "mfaAuthenticated": "false"},
                "ec2RoleDelivery": if imds_v1 { "1.0" } else { "2.0" }
            }
        }))
    }

    /// An IAM user (an admin at the console or CLI).
    pub fn user(name: &str) -> Self {
        Identity(json!({
            "type": "IAMUser",
            "principalId": format!("AIDA{}", name.to_uppercase()),
            "arn": format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
            "accountId": ACCOUNT,
            "accessKeyId": format!("AKIA{}", name.to_uppercase()),
            "userName": name
        }))
    }

    /// An AWS service acting for the account.
    pub fn service(service: &str) -> Self {
        Identity(json!({"type": "AWSService", "invokedBy": service}))
    }
}

/// Whether a call only reads.
fn read_only(name: &str) -> bool {
    ["Get", "List", "Describe", "Lookup"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// One CloudTrail record.
#[allow(clippy::too_many_arguments)]
pub fn event(
    rng: &mut Rng,
    ms: i64,
    source: &str,
    name: &str,
    identity: &Identity,
    source_ip: &str,
    user_agent: &str,
    request: Value,
    error: Option<&str>,
) -> Value {
    let mut identity = identity.0.clone();
    if let Some(attributes) = identity.pointer_mut("/sessionContext/attributes/creationDate") {
        *attributes = Value::String(Civil::from_ms(ms - ms.rem_euclid(3_600_000)).iso_seconds());
    }
    let id = |rng: &mut Rng| {
        format!(
            "{}-{}-{}-{}-{}",
            rng.hex(8),
            rng.hex(4),
            rng.hex(4),
            rng.hex(4),
            rng.hex(12)
        )
    };
    let mut record = json!({
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": Civil::from_ms(ms).iso_seconds(),
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
        "requestParameters": if request.as_object().is_some_and(|o| o.is_empty()) { Value::Null } else { request },
        "responseElements": Value::Null,
        "requestID": id(rng),
        "eventID": id(rng),
        "readOnly": read_only(name),
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": format!("{}.{REGION}.amazonaws.com", source.trim_end_matches(".amazonaws.com"))
        }
    });
    if let Some(code) = error {
        record["errorCode"] = Value::String(code.to_string());
        record["errorMessage"] = Value::String(format!(
            "User is not authorized to perform: {}:{name}",
            source.trim_end_matches(".amazonaws.com")
        ));
    }
    record
}

/// Benign CloudTrail activity in `[from_ms, to_ms)`: instance role sessions handed out by EC2,
/// the monitoring host listing instances, autoscaling launching, an admin's working day with
/// a patching SendCommand (benign SSM use a detector must not flag).
pub fn benign(
    estate: &crate::estate::Estate,
    rng: &mut Rng,
    from_ms: i64,
    to_ms: i64,
    out: &mut Vec<(i64, Value)>,
) {
    let ec2 = Identity::service("ec2.amazonaws.com");
    let mut t = from_ms - from_ms.rem_euclid(3_600_000);
    while t < to_ms {
        for host in estate
            .hosts
            .iter()
            .filter(|h| h.role.is_instance() && h.launched_ms <= t)
        {
            let (Some(role), Some(instance)) = (host.iam_role, &host.instance_id) else {
                continue;
            };
            // Role credentials are refreshed about every six hours per instance.
            if (t / 3_600_000 + instance.len() as i64 + host.ip.octets()[3] as i64) % 6 == 0
                && t >= from_ms
            {
                let at = t + rng.below(3_600_000) as i64;
                out.push((
                    at,
                    event(
                        rng,
                        at,
                        "sts.amazonaws.com",
                        "AssumeRole",
                        &ec2,
                        "ec2.amazonaws.com",
                        "ec2.amazonaws.com",
                        json!({
                            "roleArn": format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
                            "roleSessionName": instance
                        }),
                        None,
                    ),
                ));
            }
        }
        if let Some(m) = estate.named("monitoring") {
            let who = Identity::instance_role(
                "monitoring-role",
                estate.hosts[m].instance_id.as_deref().unwrap_or(""),
                false,
            );
            let nat = estate
                .named("nat")
                .and_then(|n| estate.hosts[n].public_ip)
                .map(|ip| ip.to_string())
                .unwrap_or_default();
            for slot in 0..12 {
                let at = t + slot * 300_000 + rng.below(20_000) as i64;
                if (from_ms..to_ms).contains(&at) {
                    out.push((
                        at,
                        event(
                            rng,
                            at,
                            "ec2.amazonaws.com",
                            "DescribeInstances",
                            &who,
                            &nat,
                            "prometheus/2.51 aws-sdk-go/1.50.0",
                            json!({"instancesSet": {}, "filterSet": {}}),
                            None,
                        ),
                    ));
                }
            }
        }
        let hour = t.rem_euclid(86_400_000) / 3_600_000;
        if (9..17).contains(&hour) && rng.chance(0.5) {
            let alice = Identity::user("alice");
            let at = t + rng.below(3_600_000) as i64;
            if at < to_ms && at >= from_ms {
                out.push((
                    at,
                    event(
                        rng,
                        at,
                        "ec2.amazonaws.com",
                        "DescribeInstances",
                        &alice,
                        "198.51.100.23",
                        "aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64",
                        json!({"instancesSet": {}, "filterSet": {}}),
                        None,
                    ),
                ));
                if hour == 14 && rng.chance(0.5) {
                    let ids: Vec<String> = estate
                        .hosts
                        .iter()
                        .filter(|h| h.asg == Some("app-asg"))
                        .filter_map(|h| h.instance_id.clone())
                        .take(50)
                        .collect();
                    out.push((
                        at + 30_000,
                        event(
                            rng,
                            at + 30_000,
                            "ssm.amazonaws.com",
                            "SendCommand",
                            &alice,
                            "198.51.100.23",
                            "aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64",
                            json!({
                                "instanceIds": ids,
                                "documentName": "AWS-RunPatchBaseline",
                                "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS"
                            }),
                            None,
                        ),
                    ));
                }
            }
        }
        // Autoscaling launches the late web server.
        for host in estate.hosts.iter().filter(|h| {
            h.asg.is_some()
                && (t..t + 3_600_000).contains(&h.launched_ms)
                && (from_ms..to_ms).contains(&h.launched_ms)
        }) {
            let asg = Identity::service("autoscaling.amazonaws.com");
            out.push((
                host.launched_ms - 60_000,
                event(
                    rng,
                    host.launched_ms - 60_000,
                    "ec2.amazonaws.com",
                    "RunInstances",
                    &asg,
                    "autoscaling.amazonaws.com",
                    "autoscaling.amazonaws.com",
                    json!({
                        "instancesSet": {"items": [{"minCount": 1, "maxCount": 1}]},
                        "launchTemplate": {"launchTemplateName": host.asg.unwrap_or_default()}
                    }),
                    None,
                ),
            ));
        }
        t += 3_600_000;
    }
}
