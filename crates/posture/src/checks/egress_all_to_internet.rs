//! `egress-all-to-internet`: a group lets all traffic out to 0.0.0.0/0 or ::/0.

use eastwest_model::Severity;

use crate::checks::group_origin;
use crate::rules::is_anywhere;
use crate::{Check, Context, Failure, Peer};

/// The check.
pub struct EgressAllToInternet;

impl Check for EgressAllToInternet {
    fn id(&self) -> &'static str {
        "egress-all-to-internet"
    }
    fn title(&self) -> &'static str {
        "All outbound traffic allowed to anywhere"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn rationale(&self) -> &'static str {
        "Unrestricted egress lets a foothold reach every other host on any port and send data anywhere; groups should let out only what their members call."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["SecurityGroups"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let mut groups: Vec<&str> = context
            .rules
            .iter()
            .filter(|r| {
                r.egress
                    && r.all_traffic()
                    && matches!(&r.peer, Peer::Cidr(net) if is_anywhere(net))
            })
            .map(|r| r.group.as_str())
            .collect();
        groups.dedup();
        groups
            .into_iter()
            .filter(|g| !context.members(g).is_empty())
            .map(|g| {
                let (account, region) = group_origin(context, g);
                Failure {
                    resource: g.to_string(),
                    resource_type: "AWS::EC2::SecurityGroup",
                    account,
                    region,
                    why: format!("{} allows all outbound traffic to anywhere and has {} member(s)", context.group_name(g), context.members(g).len()),
                    fix: format!("replace the rule with the destinations and ports the members use (the flow logs show which): aws ec2 revoke-security-group-egress --group-id {} --ip-permissions 'IpProtocol=-1,IpRanges=[{{CidrIp=0.0.0.0/0}}]'", crate::quote(g)),
                    severity: None,
                }
            })
            .collect()
    }
}
