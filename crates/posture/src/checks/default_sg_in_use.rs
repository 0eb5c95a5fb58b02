//! `default-sg-in-use`: an ENI carries its VPC's default security group.

use eastwest_model::Severity;

use crate::{Check, Context, Failure};

/// The check.
pub struct DefaultSgInUse;

impl Check for DefaultSgInUse {
    fn id(&self) -> &'static str {
        "default-sg-in-use"
    }
    fn title(&self) -> &'static str {
        "Default security group in use"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn rationale(&self) -> &'static str {
        "Every member of a default group may reach every other on every port: whatever lands in it shares a flat network with everything else that does."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["SecurityGroups", "NetworkInterfaces"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let mut out = Vec::new();
        for g in context
            .inventory
            .security_groups
            .iter()
            .filter(|g| g.item.group_name.as_deref() == Some("default"))
        {
            let members = context.members(&g.item.group_id);
            if members.is_empty() {
                continue;
            }
            let names: Vec<String> = members
                .iter()
                .map(|a| format!("{} ({})", a.name, a.eni))
                .collect();
            out.push(Failure {
                resource: g.item.group_id.clone(),
                resource_type: "AWS::EC2::SecurityGroup",
                account: g.origin.account.clone(),
                region: g.origin.region.clone(),
                why: format!("the default group of {} is attached to {} network interface(s): {}", g.item.vpc_id.as_deref().unwrap_or("its VPC"), members.len(), names.join(", ")),
                fix: format!("give these interfaces a purpose-built group (aws ec2 modify-network-interface-attribute --network-interface-id ENI --groups sg-...) and leave {} empty", crate::quote(&g.item.group_id)),
                severity: None,
            });
        }
        out
    }
}
