//! `sg-self-all-ports`: a group lets its own members reach each other on every port.

use eastwest_model::Severity;

use crate::checks::group_origin;
use crate::{Check, Context, Failure, Peer};

/// The check.
pub struct SgSelfAllPorts;

impl Check for SgSelfAllPorts {
    fn id(&self) -> &'static str {
        "sg-self-all-ports"
    }
    fn title(&self) -> &'static str {
        "Group members reach each other on every port"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn rationale(&self) -> &'static str {
        "One compromised member of a tier reaches every other member on SSH, RDP, databases, agents: lateral movement inside the tier meets no wall."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["SecurityGroups"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let mut out: Vec<Failure> = Vec::new();
        for r in context
            .rules
            .iter()
            .filter(|r| !r.egress && r.all_tcp_ports())
        {
            let Peer::Group(peer) = &r.peer else { continue };
            // Default groups are reported by default-sg-has-rules.
            let is_default = context.group_name(&r.group).ends_with("(default)");
            if peer != &r.group || is_default || out.iter().any(|f| f.resource == r.group) {
                continue;
            }
            let members = context.members(&r.group);
            if members.is_empty() {
                continue;
            }
            let (account, region) = group_origin(context, &r.group);
            out.push(Failure {
                resource: r.group.clone(),
                resource_type: "AWS::EC2::SecurityGroup",
                account,
                region,
                why: format!("{} admits {} from its own members ({} of them)", context.group_name(&r.group), r.ports(), members.len()),
                fix: format!("narrow the self-reference to the ports members serve each other (often none): aws ec2 revoke-security-group-ingress --group-id {} --ip-permissions {}", crate::quote(&r.group), crate::quote(&format!("IpProtocol={},UserIdGroupPairs=[{{GroupId={}}}]", r.protocol, r.group))),
                severity: None,
            });
        }
        out
    }
}
