//! `nacl-allows-all`: a network ACL's first matching rule for any traffic is "allow all".

use eastwest_model::Severity;

use crate::{Check, Context, Failure};

/// The check.
pub struct NaclAllowsAll;

impl Check for NaclAllowsAll {
    fn id(&self) -> &'static str {
        "nacl-allows-all"
    }
    fn title(&self) -> &'static str {
        "Network ACL allows all traffic"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn rationale(&self) -> &'static str {
        "A NACL that allows everything adds no boundary between subnets: security groups are then the only wall between tiers."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["NetworkAcls"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        context
            .inventory
            .network_acls
            .iter()
            .filter(|acl| !acl.item.associations.is_empty())
            .filter_map(|acl| {
                let mut directions = Vec::new();
                for egress in [false, true] {
                    let mut entries: Vec<_> = acl.item.entries.iter().filter(|e| e.egress == egress).collect();
                    entries.sort_by_key(|e| e.rule_number);
                    // The first rule is the one all traffic meets first; an allow-all there (or
                    // before any deny) lets everything through.
                    let allow_all = entries
                        .iter()
                        .take_while(|e| e.rule_action != "deny")
                        .any(|e| e.protocol == "-1" && (e.cidr_block.as_deref() == Some("0.0.0.0/0") || e.ipv6_cidr_block.as_deref() == Some("::/0")));
                    if allow_all {
                        directions.push(if egress { "outbound" } else { "inbound" });
                    }
                }
                (!directions.is_empty()).then(|| Failure {
                    resource: acl.item.network_acl_id.clone(),
                    resource_type: "AWS::EC2::NetworkAcl",
                    account: acl.origin.account.clone(),
                    region: acl.origin.region.clone(),
                    why: format!("allows all {} traffic for {} subnet(s)", directions.join(" and "), acl.item.associations.len()),
                    fix: "deny the ports that must never cross subnet boundaries (SSH/RDP into data subnets, databases from public subnets) above the allow rule".into(),
                    severity: None,
                })
            })
            .collect()
    }
}
