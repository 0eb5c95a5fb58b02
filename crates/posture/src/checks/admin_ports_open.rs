//! `admin-ports-open`: SSH, RDP or WinRM admitted from an address range that is not a
//! configured office or management range.

use eastwest_model::Severity;

use crate::checks::group_origin;
use crate::rules::is_anywhere;
use crate::{Check, Context, Failure, Peer};

/// The check.
pub struct AdminPortsOpen;

/// SSH, RDP, WinRM over HTTP and HTTPS.
const ADMIN_PORTS: [(u16, &str); 4] =
    [(22, "SSH"), (3389, "RDP"), (5985, "WinRM"), (5986, "WinRM")];

impl Check for AdminPortsOpen {
    fn id(&self) -> &'static str {
        "admin-ports-open"
    }
    fn title(&self) -> &'static str {
        "SSH, RDP or WinRM open to a range that is not an admin source"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn rationale(&self) -> &'static str {
        "Remote administration is how an attacker moves from host to host; it should be reachable only from a bastion or management group, or an office range."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["SecurityGroups"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let mut out = Vec::new();
        for r in context.rules.iter().filter(|r| !r.egress) {
            // Group references are judged by reachability and sg-self-all-ports, not here.
            let Peer::Cidr(net) = &r.peer else { continue };
            let trusted = context.config.admin_sources.iter().any(|t| t.contains(net));
            if trusted || context.members(&r.group).is_empty() {
                continue;
            }
            let open: Vec<&str> = ADMIN_PORTS
                .iter()
                .filter(|(p, _)| r.admits_tcp(*p))
                .map(|(_, n)| *n)
                .collect();
            if open.is_empty() {
                continue;
            }
            let mut names = open.clone();
            names.dedup();
            let (account, region) = group_origin(context, &r.group);
            out.push(Failure {
                resource: r.group.clone(),
                resource_type: "AWS::EC2::SecurityGroup",
                account,
                region,
                why: format!("{} admits {} ({}) from {net}", context.group_name(&r.group), r.ports(), names.join(", ")),
                fix: format!("admit it from the bastion's group or the office range only: aws ec2 revoke-security-group-ingress --group-id {} --protocol {} --port {} --cidr {net}", crate::quote(&r.group), if r.protocol == "-1" { "all".to_string() } else { crate::quote(&r.protocol).into_owned() }, if r.from == r.to { r.from.to_string() } else { format!("{}-{}", r.from, r.to) }),
                severity: Some(if is_anywhere(net) { Severity::Critical } else { Severity::High }),
            });
        }
        out
    }
}
