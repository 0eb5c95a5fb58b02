//! `launch-wizard-sg-in-use`: a console-made `launch-wizard-N` group is attached.

use eastwest_model::Severity;

use crate::{Check, Context, Failure};

/// The check.
pub struct LaunchWizardSgInUse;

impl Check for LaunchWizardSgInUse {
    fn id(&self) -> &'static str {
        "launch-wizard-sg-in-use"
    }
    fn title(&self) -> &'static str {
        "launch-wizard security group in use"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn rationale(&self) -> &'static str {
        "The console's launch wizard opens SSH or RDP to the world by default; its groups mark hand-made instances outside any review."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["SecurityGroups", "NetworkInterfaces"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        context
            .inventory
            .security_groups
            .iter()
            .filter(|g| g.item.group_name.as_deref().is_some_and(|n| n.starts_with("launch-wizard")))
            .filter_map(|g| {
                let members = context.members(&g.item.group_id);
                (!members.is_empty()).then(|| Failure {
                    resource: g.item.group_id.clone(),
                    resource_type: "AWS::EC2::SecurityGroup",
                    account: g.origin.account.clone(),
                    region: g.origin.region.clone(),
                    why: format!(
                        "{} is attached to {}",
                        context.group_name(&g.item.group_id),
                        members.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                    fix: "replace it with a group that admits only what the instance serves, from whom it serves it".into(),
                    severity: None,
                })
            })
            .collect()
    }
}
