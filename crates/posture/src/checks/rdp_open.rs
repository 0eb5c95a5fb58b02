//! `rdp-open`: RDP admitted at all, from any address range.

use eastwest_model::Severity;

use crate::checks::group_origin;
use crate::{Check, Context, Failure, Peer};

/// The check.
pub struct RdpOpen;

impl Check for RdpOpen {
    fn id(&self) -> &'static str {
        "rdp-open"
    }
    fn title(&self) -> &'static str {
        "RDP open"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn rationale(&self) -> &'static str {
        "RDP is a favourite lateral-movement protocol; where SSH or SSM Session Manager would do, it should not be open."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["SecurityGroups"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let mut out: Vec<Failure> = Vec::new();
        for r in context
            .rules
            .iter()
            .filter(|r| !r.egress && r.protocol != "-1" && r.admits_tcp(3389))
        {
            if !matches!(r.peer, Peer::Cidr(_))
                || context.members(&r.group).is_empty()
                || out.iter().any(|f| f.resource == r.group)
            {
                continue;
            }
            let (account, region) = group_origin(context, &r.group);
            out.push(Failure {
                resource: r.group.clone(),
                resource_type: "AWS::EC2::SecurityGroup",
                account,
                region,
                why: format!(
                    "{} admits {} from {}",
                    context.group_name(&r.group),
                    r.ports(),
                    r.peer_text()
                ),
                fix: "use SSM Session Manager (or SSH) and remove the RDP rule".into(),
                severity: None,
            });
        }
        out
    }
}
