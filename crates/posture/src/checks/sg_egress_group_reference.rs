//! `sg-egress-group-reference`: an egress rule names another security group.

use eastwest_model::Severity;

use crate::checks::group_origin;
use crate::{Check, Context, Failure, Peer};

/// The check.
pub struct SgEgressGroupReference;

impl Check for SgEgressGroupReference {
    fn id(&self) -> &'static str {
        "sg-egress-group-reference"
    }
    fn title(&self) -> &'static str {
        "Egress rule references a security group"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn rationale(&self) -> &'static str {
        "Groups that reference each other in both directions form circular dependencies that nobody dares to change, so the rules only ever grow."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["SecurityGroups"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        context
            .rules
            .iter()
            .filter(|r| r.egress)
            .filter_map(|r| {
                let Peer::Group(peer) = &r.peer else { return None };
                let (account, region) = group_origin(context, &r.group);
                let mutual = context.rules.iter().any(|back| !back.egress && &back.group == peer && back.peer == Peer::Group(r.group.clone()));
                Some(Failure {
                    resource: r.group.clone(),
                    resource_type: "AWS::EC2::SecurityGroup",
                    account,
                    region,
                    why: format!("{} lets {} out to {}{}", context.group_name(&r.group), r.ports(), context.group_name(peer), if mutual { ", which references it back" } else { "" }),
                    fix: "let egress name destinations by address range or prefix list and keep group references for ingress".into(),
                    severity: None,
                })
            })
            .collect()
    }
}
