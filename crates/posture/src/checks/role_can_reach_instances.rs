//! `role-can-reach-instances`: an instance role may run commands on other instances, push SSH
//! keys to them, or assume any role.

use eastwest_model::Severity;
use serde_json::Value;

use crate::{Check, Context, Failure};

/// The check.
pub struct RoleCanReachInstances;

/// Actions that move an attacker from one instance to others without the network.
const LATERAL_ACTIONS: [&str; 6] = [
    "ssm:SendCommand",
    "ssm:StartSession",
    "ec2-instance-connect:SendSSHPublicKey",
    "ec2-instance-connect:SendSerialConsoleSSHPublicKey",
    "ec2:GetPasswordData",
    "sts:AssumeRole",
];

/// IAM's wildcard match (`*` any run, `?` one character), case-insensitive as IAM actions are.
///
/// Policies are input: a pattern of many `*` before a tail that does not match must not take
/// exponential time (as a recursive matcher does). This one keeps only the last `*` to return
/// to, which is enough because a later `*` can absorb whatever an earlier one would have:
/// O(pattern × action) time at worst, constant space.
fn matches(pattern: &str, action: &str) -> bool {
    let (p, a) = (pattern.as_bytes(), action.as_bytes());
    let (mut i, mut j) = (0, 0);
    // After the last `*` seen: the pattern position after it, and the action position it has
    // absorbed up to.
    let mut star: Option<(usize, usize)> = None;
    while j < a.len() {
        match p.get(i) {
            Some(b'*') => {
                star = Some((i + 1, j));
                i += 1;
            }
            Some(b'?') => {
                i += 1;
                j += 1;
            }
            Some(x) if x.eq_ignore_ascii_case(&a[j]) => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((after, absorbed)) => {
                    star = Some((after, absorbed + 1));
                    i = after;
                    j = absorbed + 1;
                }
                None => return false,
            },
        }
    }
    p[i..].iter().all(|&c| c == b'*')
}

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The lateral actions a policy document allows, with their resources.
pub(crate) fn allowed(document: &Value) -> Vec<(String, String)> {
    let statements = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for s in statements {
        if s.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let actions = s.get("Action").map(strings).unwrap_or_default();
        let resources = s
            .get("Resource")
            .map(strings)
            .unwrap_or_default()
            .join(", ");
        for lateral in LATERAL_ACTIONS {
            if actions.iter().any(|a| matches(a, lateral)) && !out.iter().any(|(a, _)| a == lateral)
            {
                out.push((lateral.to_string(), resources.clone()));
            }
        }
    }
    out
}

/// The lateral actions `role`'s inline and attached managed policies allow.
pub(crate) fn grants(inv: &eastwest_inventory::Inventory, role: &str) -> Vec<(String, String)> {
    let managed = |arn: &str| {
        inv.managed_policies
            .iter()
            .find(|p| p.item.arn == arn)
            .and_then(|p| {
                let default = p.item.default_version_id.as_deref();
                p.item
                    .policy_version_list
                    .iter()
                    .find(|v| {
                        v.is_default_version == Some(true) || v.version_id.as_deref() == default
                    })
                    .and_then(|v| v.document.clone())
            })
    };
    let mut grants: Vec<(String, String)> = Vec::new();
    for detail in inv.role_details.iter().filter(|r| r.item.role_name == role) {
        let documents = detail
            .item
            .role_policy_list
            .iter()
            .filter_map(|p| p.policy_document.clone())
            .chain(
                detail
                    .item
                    .attached_managed_policies
                    .iter()
                    .filter_map(|p| managed(&p.policy_arn)),
            );
        for document in documents {
            for grant in allowed(&document) {
                if !grants.contains(&grant) {
                    grants.push(grant);
                }
            }
        }
    }
    grants
}

impl Check for RoleCanReachInstances {
    fn id(&self) -> &'static str {
        "role-can-reach-instances"
    }
    fn title(&self) -> &'static str {
        "Instance role can run commands on, push keys to, or assume its way to other hosts"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn rationale(&self) -> &'static str {
        "Whoever owns an instance owns its role: ssm:SendCommand or ec2-instance-connect on other instances is lateral movement that no security group stops."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["RoleDetailList", "Reservations"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let inv = context.inventory;
        let used_roles: Vec<&str> = context
            .resolver
            .assets()
            .iter()
            .filter_map(|a| a.role.as_deref())
            .collect();
        let mut out = Vec::new();
        for role in &inv.role_details {
            if !used_roles.contains(&role.item.role_name.as_str()) {
                continue;
            }
            let grants = grants(inv, &role.item.role_name);
            if grants.is_empty() {
                continue;
            }
            let instances = context
                .resolver
                .assets()
                .iter()
                .filter(|a| a.role.as_deref() == Some(role.item.role_name.as_str()))
                .count();
            out.push(Failure {
                resource: role.item.role_name.clone(),
                resource_type: "AWS::IAM::Role",
                account: role.origin.account.clone(),
                region: None,
                why: format!(
                    "used by {instances} instance(s); allows {}",
                    grants.iter().map(|(a, r)| format!("{a} on {}", if r.is_empty() { "?" } else { r })).collect::<Vec<_>>().join("; ")
                ),
                fix: "scope these actions to the instances the role must manage (by tag condition) or remove them; use Session Manager from people's roles, not instance roles".into(),
                severity: None,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_wildcards() {
        assert!(matches("ssm:*", "ssm:SendCommand"));
        assert!(matches("*", "sts:AssumeRole"));
        assert!(matches("SSM:send*", "ssm:SendCommand"));
        assert!(matches(
            "ec2-instance-connect:Send?SHPublicKey",
            "ec2-instance-connect:SendSSHPublicKey"
        ));
        assert!(!matches("ssm:Get*", "ssm:SendCommand"));
        let doc = serde_json::json!({"Statement": {"Effect": "Allow", "Action": ["s3:GetObject", "ssm:Send*"], "Resource": "*"}});
        assert_eq!(
            allowed(&doc),
            vec![("ssm:SendCommand".to_string(), "*".to_string())]
        );
        let deny =
            serde_json::json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]});
        assert!(allowed(&deny).is_empty());
    }

    /// The recursive definition, for small inputs only.
    fn reference(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => reference(&p[1..], a) || (!a.is_empty() && reference(p, &a[1..])),
            (Some(b'?'), Some(_)) => reference(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => reference(&p[1..], &a[1..]),
            _ => false,
        }
    }

    #[test]
    fn many_stars_before_a_tail_that_fails_end_at_once() {
        // A recursive matcher explores every way to split the action among the stars: this
        // pattern would not finish. (No timing assertion: the test simply has to end.)
        let pattern = format!("{}x", "*".repeat(64));
        let action = "a".repeat(200);
        assert!(!matches(&pattern, &action));
        assert!(matches(&format!("{}a", "*a".repeat(32)), &action));
        assert!(!matches("ssm:SendCommand", "ssm:SendCommand2"));
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_recursive_definition(p in "[ab*?]{0,8}", a in "[abAB]{0,10}") {
            proptest::prop_assert_eq!(matches(&p, &a), reference(p.as_bytes(), a.as_bytes()));
        }
    }
}
