//! `default-sg-has-rules`: a default security group has any inbound or outbound rule.

use eastwest_model::Severity;

use crate::{Check, Context, Failure};

/// The check.
pub struct DefaultSgHasRules;

impl Check for DefaultSgHasRules {
    fn id(&self) -> &'static str {
        "default-sg-has-rules"
    }
    fn title(&self) -> &'static str {
        "Default security group has rules"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn rationale(&self) -> &'static str {
        "Anything launched without a group lands in the default one; with rules, it is reachable (and can reach) at once."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["SecurityGroups"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        context
            .inventory
            .security_groups
            .iter()
            .filter(|g| g.item.group_name.as_deref() == Some("default"))
            .filter_map(|g| {
                let rules: Vec<String> = context
                    .rules
                    .iter()
                    .filter(|r| r.group == g.item.group_id)
                    .map(|r| format!("{} {} {}", if r.egress { "out" } else { "in" }, r.ports(), r.peer_text()))
                    .collect();
                (!rules.is_empty()).then(|| Failure {
                    resource: g.item.group_id.clone(),
                    resource_type: "AWS::EC2::SecurityGroup",
                    account: g.origin.account.clone(),
                    region: g.origin.region.clone(),
                    why: format!("{} rule(s): {}", rules.len(), rules.join("; ")),
                    fix: format!("remove every rule: aws ec2 revoke-security-group-ingress / revoke-security-group-egress --group-id {} --ip-permissions ...", crate::quote(&g.item.group_id)),
                    severity: None,
                })
            })
            .collect()
    }
}
