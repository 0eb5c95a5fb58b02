//! `db-ports-wide`: a database or cache port admitted from a wide range (wider than a /24).

use eastwest_model::Severity;

use crate::checks::group_origin;
use crate::rules::is_anywhere;
use crate::{Check, Context, Failure, Peer};

/// The check.
pub struct DbPortsWide;

const DB_PORTS: [(u16, &str); 10] = [
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (6379, "Redis"),
    (9042, "Cassandra"),
    (9200, "Elasticsearch"),
    (11211, "Memcached"),
    (27017, "MongoDB"),
    (5439, "Redshift"),
];

impl Check for DbPortsWide {
    fn id(&self) -> &'static str {
        "db-ports-wide"
    }
    fn title(&self) -> &'static str {
        "Database port open to a wide range"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn rationale(&self) -> &'static str {
        "A data store should admit its clients' group, not a whole network: any foothold in the range can then reach the data directly."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["SecurityGroups"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let mut out = Vec::new();
        for r in context
            .rules
            .iter()
            .filter(|r| !r.egress && !r.all_traffic())
        {
            let Peer::Cidr(net) = &r.peer else { continue };
            let wide = match net {
                ipnet::IpNet::V4(v4) => v4.prefix_len() < 24,
                ipnet::IpNet::V6(v6) => v6.prefix_len() < 64,
            };
            let open: Vec<&str> = DB_PORTS
                .iter()
                .filter(|(p, _)| r.admits_tcp(*p))
                .map(|(_, n)| *n)
                .collect();
            if !wide || open.is_empty() || context.members(&r.group).is_empty() {
                continue;
            }
            let (account, region) = group_origin(context, &r.group);
            out.push(Failure {
                resource: r.group.clone(),
                resource_type: "AWS::EC2::SecurityGroup",
                account,
                region,
                why: format!("{} admits {} ({}) from {net}", context.group_name(&r.group), r.ports(), open.join(", ")),
                fix: format!("admit the clients' security group instead of {net}: aws ec2 revoke-security-group-ingress --group-id {} --protocol tcp --port {} --cidr {net}", crate::quote(&r.group), r.from),
                severity: Some(if is_anywhere(net) { Severity::Critical } else { Severity::High }),
            });
        }
        out
    }
}
