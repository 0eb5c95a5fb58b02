//! The simulated estate: two peered VPCs (production and shared services) in one account and
//! region, with the tiers, managed services and deliberate misconfigurations of a real one, and
//! its description as AWS CLI JSON.

use std::net::Ipv4Addr;

use eastwest_inventory::shapes::*;
use eastwest_inventory::{Inventory, Located, Origin};
use eastwest_model::time::Civil;

use crate::rng::Rng;

/// The account everything lives in.
pub const ACCOUNT: &str = "111122223333";
/// The region.
pub const REGION: &str = "us-east-1";
/// The office range admins come from.
pub const OFFICE: (Ipv4Addr, u8) = (Ipv4Addr::new(198, 51, 100, 0), 24);

/// What a host is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Behind the load balancer, serves HTTP.
    Web,
    /// Application tier, serves 8080, talks to the databases and the cache.
    App,
    /// SSH jump host with a public address.
    Bastion,
    /// Scrapes every host on 9100.
    Monitoring,
    /// Copies the databases and app hosts nightly.
    Backup,
    /// The authorised vulnerability scanner.
    Scanner,
    /// A forgotten tools box in a `launch-wizard` group.
    Legacy,
    /// An application load balancer node.
    LoadBalancer,
    /// The orders database (RDS).
    OrdersDb,
    /// The reporting database (RDS), used only by backup.
    ReportingDb,
    /// The session cache (ElastiCache).
    Cache,
    /// The NAT gateway.
    Nat,
    /// The SSM interface endpoint.
    Endpoint,
}

impl Role {
    /// Whether this is an EC2 instance (with host logs).
    pub fn is_instance(self) -> bool {
        matches!(
            self,
            Role::Web
                | Role::App
                | Role::Bastion
                | Role::Monitoring
                | Role::Backup
                | Role::Scanner
                | Role::Legacy
        )
    }

    /// Ports it listens on (others answer with RST).
    pub fn listens(self, port: u16) -> bool {
        match self {
            Role::Web => matches!(port, 22 | 80 | 9100),
            Role::App => matches!(port, 22 | 8080 | 9100),
            Role::Bastion | Role::Monitoring | Role::Backup | Role::Scanner | Role::Legacy => {
                matches!(port, 22 | 9100)
            }
            Role::LoadBalancer => matches!(port, 80 | 443),
            Role::OrdersDb | Role::ReportingDb => port == 5432,
            Role::Cache => port == 6379,
            Role::Nat => false,
            Role::Endpoint => port == 443,
        }
    }
}

/// A network interface and what owns it.
#[derive(Debug, Clone)]
pub struct Host {
    /// Name tag (or service name).
    pub name: String,
    /// What it is.
    pub role: Role,
    /// `i-...` for instances.
    pub instance_id: Option<String>,
    /// `eni-...`.
    pub eni: String,
    /// Private address.
    pub ip: Ipv4Addr,
    /// Public address, if any.
    pub public_ip: Option<Ipv4Addr>,
    /// Index into [`Estate::subnets`].
    pub subnet: usize,
    /// Indexes into [`Estate::groups`].
    pub groups: Vec<usize>,
    /// IAM role name.
    pub iam_role: Option<&'static str>,
    /// Autoscaling group.
    pub asg: Option<&'static str>,
    /// When it was launched (epoch ms).
    pub launched_ms: i64,
    /// IMDSv1 allowed.
    pub imds_v1: bool,
}

impl Host {
    /// The VPC index of the host.
    pub fn vpc(&self, estate: &Estate) -> usize {
        estate.subnets[self.subnet].vpc
    }
}

/// A subnet.
#[derive(Debug, Clone)]
pub struct SubnetDef {
    /// `subnet-...`.
    pub id: String,
    /// Name tag.
    pub name: &'static str,
    /// Index into [`Estate::vpcs`].
    pub vpc: usize,
    /// Range.
    pub cidr: (Ipv4Addr, u8),
    /// Zone.
    pub zone: &'static str,
    /// Public (routes to the internet gateway).
    pub public: bool,
}

/// A VPC.
#[derive(Debug, Clone)]
pub struct VpcDef {
    /// `vpc-...`.
    pub id: String,
    /// Name tag.
    pub name: &'static str,
    /// Range.
    pub cidr: (Ipv4Addr, u8),
    /// Its flow log, `fl-...`.
    pub flow_log: String,
}

/// Who a rule lets in (or out to).
#[derive(Debug, Clone)]
pub enum Peer {
    /// An address range.
    Cidr(Ipv4Addr, u8),
    /// Members of a security group (index).
    Group(usize),
}

/// A security group rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// 6, 17, or 0 for all.
    pub protocol: u8,
    /// First port.
    pub from: u16,
    /// Last port.
    pub to: u16,
    /// Who.
    pub peer: Peer,
}

/// A security group.
#[derive(Debug, Clone)]
pub struct Group {
    /// `sg-...`.
    pub id: String,
    /// Name.
    pub name: &'static str,
    /// VPC index.
    pub vpc: usize,
    /// Inbound rules.
    pub ingress: Vec<Rule>,
    /// Outbound rules; None: all traffic to anywhere (AWS's default).
    pub egress: Option<Vec<Rule>>,
}

/// The estate.
#[derive(Debug, Clone)]
pub struct Estate {
    /// VPCs: 0 production, 1 shared services.
    pub vpcs: Vec<VpcDef>,
    /// Subnets.
    pub subnets: Vec<SubnetDef>,
    /// Security groups.
    pub groups: Vec<Group>,
    /// Every ENI.
    pub hosts: Vec<Host>,
    /// The peering connection.
    pub peering: String,
    /// The internet gateway.
    pub igw: String,
    /// The NAT gateway.
    pub nat: String,
    /// The SSM interface endpoint.
    pub endpoint: String,
    /// The first moment simulated (epoch ms).
    pub start_ms: i64,
    /// The end of the simulated period (epoch ms).
    pub end_ms: i64,
    /// When scenarios may start and autoscaling acts: after the quiet (learning) days.
    pub active_from_ms: i64,
}

fn contains(cidr: (Ipv4Addr, u8), ip: Ipv4Addr) -> bool {
    let mask = if cidr.1 == 0 {
        0
    } else {
        u32::MAX << (32 - cidr.1)
    };
    u32::from(ip) & mask == u32::from(cidr.0) & mask
}

impl Estate {
    /// Builds the estate: `instances` instances (at least 9), ids from `seed`.
    pub fn build(
        seed: u64,
        instances: usize,
        start_ms: i64,
        end_ms: i64,
        active_from_ms: i64,
    ) -> Self {
        let mut rng = Rng::fork(seed, 0xE57A7E);
        let mut ids = Rng::fork(seed, 0x1D5);
        let mut id = |prefix: &str| format!("{prefix}-{}", ids.hex(17));
        let vpcs = vec![
            VpcDef {
                id: id("vpc"),
                name: "production",
                cidr: (Ipv4Addr::new(10, 40, 0, 0), 16),
                flow_log: id("fl"),
            },
            VpcDef {
                id: id("vpc"),
                name: "shared-services",
                cidr: (Ipv4Addr::new(10, 50, 0, 0), 16),
                flow_log: id("fl"),
            },
        ];
        let subnet = |id: String, name, vpc, a, b, c, prefix, zone, public| SubnetDef {
            id,
            name,
            vpc,
            cidr: (Ipv4Addr::new(10, a, b, c), prefix),
            zone,
            public,
        };
        let subnets = vec![
            subnet(
                id("subnet"),
                "public-a",
                0,
                40,
                0,
                0,
                24,
                "us-east-1a",
                true,
            ),
            subnet(
                id("subnet"),
                "public-b",
                0,
                40,
                1,
                0,
                24,
                "us-east-1b",
                true,
            ),
            subnet(id("subnet"), "web-a", 0, 40, 16, 0, 20, "us-east-1a", false),
            subnet(id("subnet"), "web-b", 0, 40, 32, 0, 20, "us-east-1b", false),
            subnet(id("subnet"), "app-a", 0, 40, 48, 0, 20, "us-east-1a", false),
            subnet(id("subnet"), "app-b", 0, 40, 64, 0, 20, "us-east-1b", false),
            subnet(
                id("subnet"),
                "data-a",
                0,
                40,
                80,
                0,
                24,
                "us-east-1a",
                false,
            ),
            subnet(
                id("subnet"),
                "data-b",
                0,
                40,
                81,
                0,
                24,
                "us-east-1b",
                false,
            ),
            subnet(id("subnet"), "mgmt-a", 1, 50, 0, 0, 24, "us-east-1a", false),
        ];
        const DEFAULT: usize = 0;
        const WIZARD: usize = 1;
        const ALB: usize = 2;
        const WEB: usize = 3;
        const APP: usize = 4;
        const DB: usize = 5;
        const REPORTING: usize = 6;
        const CACHE: usize = 7;
        const BASTION: usize = 8;
        const MGMT: usize = 9;
        const ENDPOINT: usize = 10;
        const SHARED_DEFAULT: usize = 11;
        let all = |peer| Rule {
            protocol: 0,
            from: 0,
            to: 65535,
            peer,
        };
        let tcp = |port, peer| Rule {
            protocol: 6,
            from: port,
            to: port,
            peer,
        };
        let mgmt = Peer::Cidr(Ipv4Addr::new(10, 50, 0, 0), 24);
        let groups = vec![
            // AWS's default group rules, plus SSH from the whole private range someone added.
            Group {
                id: id("sg"),
                name: "default",
                vpc: 0,
                ingress: vec![
                    all(Peer::Group(DEFAULT)),
                    tcp(22, Peer::Cidr(Ipv4Addr::new(10, 0, 0, 0), 8)),
                ],
                egress: None,
            },
            Group {
                id: id("sg"),
                name: "launch-wizard-1",
                vpc: 0,
                ingress: vec![tcp(22, Peer::Cidr(Ipv4Addr::UNSPECIFIED, 0))],
                egress: None,
            },
            Group {
                id: id("sg"),
                name: "web-alb",
                vpc: 0,
                ingress: vec![
                    tcp(443, Peer::Cidr(Ipv4Addr::UNSPECIFIED, 0)),
                    tcp(80, Peer::Cidr(Ipv4Addr::UNSPECIFIED, 0)),
                ],
                // The load balancer lets out only its targets' port, to their subnets.
                egress: Some(vec![
                    tcp(80, Peer::Cidr(Ipv4Addr::new(10, 40, 16, 0), 20)),
                    tcp(80, Peer::Cidr(Ipv4Addr::new(10, 40, 32, 0), 20)),
                ]),
            },
            Group {
                id: id("sg"),
                name: "web",
                vpc: 0,
                ingress: vec![
                    tcp(80, Peer::Group(ALB)),
                    tcp(22, Peer::Group(BASTION)),
                    tcp(9100, mgmt.clone()),
                    tcp(22, mgmt.clone()),
                ],
                egress: None,
            },
            // The app tier lets its own members reach each other on every port.
            Group {
                id: id("sg"),
                name: "app",
                vpc: 0,
                ingress: vec![
                    tcp(8080, Peer::Group(WEB)),
                    tcp(22, Peer::Group(BASTION)),
                    tcp(9100, mgmt.clone()),
                    tcp(22, mgmt.clone()),
                    all(Peer::Group(APP)),
                ],
                egress: None,
            },
            Group {
                id: id("sg"),
                name: "orders-db",
                vpc: 0,
                ingress: vec![tcp(5432, Peer::Group(APP)), tcp(5432, mgmt.clone())],
                egress: None,
            },
            // A database port open to the whole VPC.
            Group {
                id: id("sg"),
                name: "reporting-db",
                vpc: 0,
                ingress: vec![
                    tcp(5432, Peer::Cidr(Ipv4Addr::new(10, 40, 0, 0), 16)),
                    tcp(5432, mgmt.clone()),
                ],
                egress: None,
            },
            Group {
                id: id("sg"),
                name: "sessions-cache",
                vpc: 0,
                ingress: vec![tcp(6379, Peer::Group(APP))],
                egress: None,
            },
            Group {
                id: id("sg"),
                name: "bastion",
                vpc: 0,
                ingress: vec![tcp(22, Peer::Cidr(OFFICE.0, OFFICE.1))],
                egress: None,
            },
            Group {
                id: id("sg"),
                name: "management",
                vpc: 1,
                ingress: vec![
                    tcp(22, Peer::Cidr(OFFICE.0, OFFICE.1)),
                    tcp(9100, mgmt.clone()),
                ],
                egress: None,
            },
            Group {
                id: id("sg"),
                name: "ssm-endpoint",
                vpc: 0,
                ingress: vec![tcp(443, Peer::Cidr(Ipv4Addr::new(10, 40, 0, 0), 16))],
                egress: None,
            },
            Group {
                id: id("sg"),
                name: "default",
                vpc: 1,
                ingress: vec![all(Peer::Group(SHARED_DEFAULT))],
                egress: None,
            },
        ];

        let mut next_ip: Vec<u32> = subnets.iter().map(|s| u32::from(s.cidr.0) + 10).collect();
        let mut hosts = Vec::new();
        let mut add = |rng: &mut Rng,
                       hosts: &mut Vec<Host>,
                       name: String,
                       role: Role,
                       subnet: usize,
                       groups: Vec<usize>,
                       iam_role: Option<&'static str>,
                       asg: Option<&'static str>,
                       launched_ms: i64,
                       public: bool| {
            let ip = Ipv4Addr::from(next_ip[subnet]);
            next_ip[subnet] += 1;
            let public_ip = public.then(|| {
                Ipv4Addr::new(
                    54,
                    200 + (hosts.len() % 50) as u8,
                    rng.range(1, 254) as u8,
                    rng.range(1, 254) as u8,
                )
            });
            hosts.push(Host {
                name,
                role,
                instance_id: role.is_instance().then(|| format!("i-{}", rng.hex(17))),
                eni: format!("eni-{}", rng.hex(17)),
                ip,
                public_ip,
                subnet,
                groups,
                iam_role,
                asg,
                launched_ms,
                imds_v1: false,
            });
        };
        let long_ago = start_ms - 40 * 86_400_000;
        add(
            &mut rng,
            &mut hosts,
            "bastion".into(),
            Role::Bastion,
            0,
            vec![BASTION],
            Some("bastion-role"),
            None,
            long_ago,
            true,
        );
        add(
            &mut rng,
            &mut hosts,
            "monitoring".into(),
            Role::Monitoring,
            8,
            vec![MGMT],
            Some("monitoring-role"),
            None,
            long_ago,
            false,
        );
        add(
            &mut rng,
            &mut hosts,
            "backup".into(),
            Role::Backup,
            8,
            vec![MGMT],
            Some("backup-role"),
            None,
            long_ago,
            false,
        );
        add(
            &mut rng,
            &mut hosts,
            "vuln-scanner".into(),
            Role::Scanner,
            8,
            vec![MGMT],
            Some("scanner-role"),
            None,
            long_ago,
            false,
        );
        add(
            &mut rng,
            &mut hosts,
            "legacy-tools".into(),
            Role::Legacy,
            4,
            vec![WIZARD, DEFAULT],
            None,
            None,
            long_ago - 200 * 86_400_000,
            true,
        );
        // Five fixed instances; the rest are web and app servers.
        let workers = instances.saturating_sub(5).max(4);
        let web = (workers * 2 / 5).max(2);
        let app = workers.saturating_sub(web).max(2);
        for n in 1..=web {
            // The last web server is launched by autoscaling half-way through the period.
            let launched = if n == web {
                active_from_ms + (end_ms - active_from_ms) / 2
            } else {
                long_ago
            };
            add(
                &mut rng,
                &mut hosts,
                format!("web-{n}"),
                Role::Web,
                2 + (n % 2),
                vec![WEB],
                Some("web-role"),
                Some("web-asg"),
                launched,
                false,
            );
        }
        for n in 1..=app {
            add(
                &mut rng,
                &mut hosts,
                format!("app-{n}"),
                Role::App,
                4 + (n % 2),
                vec![APP],
                Some("app-role"),
                Some("app-asg"),
                long_ago,
                false,
            );
        }
        // web-1 still allows IMDSv1.
        if let Some(web1) = hosts.iter_mut().find(|h| h.name == "web-1") {
            web1.imds_v1 = true;
        }
        add(
            &mut rng,
            &mut hosts,
            "web-alb".into(),
            Role::LoadBalancer,
            0,
            vec![ALB],
            None,
            None,
            long_ago,
            true,
        );
        add(
            &mut rng,
            &mut hosts,
            "web-alb".into(),
            Role::LoadBalancer,
            1,
            vec![ALB],
            None,
            None,
            long_ago,
            true,
        );
        add(
            &mut rng,
            &mut hosts,
            "orders-db".into(),
            Role::OrdersDb,
            6,
            vec![DB],
            None,
            None,
            long_ago,
            false,
        );
        add(
            &mut rng,
            &mut hosts,
            "reporting-db".into(),
            Role::ReportingDb,
            7,
            vec![REPORTING],
            None,
            None,
            long_ago,
            false,
        );
        add(
            &mut rng,
            &mut hosts,
            "sessions-0001-001".into(),
            Role::Cache,
            6,
            vec![CACHE],
            None,
            None,
            long_ago,
            false,
        );
        add(
            &mut rng,
            &mut hosts,
            "nat".into(),
            Role::Nat,
            0,
            vec![],
            None,
            None,
            long_ago,
            true,
        );
        add(
            &mut rng,
            &mut hosts,
            "ssm-endpoint".into(),
            Role::Endpoint,
            4,
            vec![ENDPOINT],
            None,
            None,
            long_ago,
            false,
        );
        let (peering, igw, nat, endpoint) = (id("pcx"), id("igw"), id("nat"), id("vpce"));
        Estate {
            vpcs,
            subnets,
            groups,
            hosts,
            peering,
            igw,
            nat,
            endpoint,
            start_ms,
            end_ms,
            active_from_ms,
        }
    }
}

impl Estate {
    /// The host at a private address.
    pub fn host_at(&self, ip: Ipv4Addr) -> Option<usize> {
        self.hosts.iter().position(|h| h.ip == ip)
    }

    /// Indexes of hosts with a role.
    pub fn with_role(&self, role: Role) -> Vec<usize> {
        (0..self.hosts.len())
            .filter(|&i| self.hosts[i].role == role)
            .collect()
    }

    /// The index of the host named `name`.
    pub fn named(&self, name: &str) -> Option<usize> {
        self.hosts.iter().position(|h| h.name == name)
    }

    /// Whether host `dst`'s security groups let `src_ip` (a member of `src_groups`) in on
    /// `protocol`/`port`. Egress is open everywhere in this estate, so ingress decides.
    pub fn admits(
        &self,
        dst: usize,
        src_ip: Ipv4Addr,
        src_groups: &[usize],
        protocol: u8,
        port: u16,
    ) -> bool {
        let host = &self.hosts[dst];
        if host.role == Role::Nat {
            // A NAT gateway has no security group; it forwards what its subnet routes to it.
            return true;
        }
        host.groups.iter().any(|&g| {
            self.groups[g].ingress.iter().any(|rule| {
                (rule.protocol == 0 || rule.protocol == protocol)
                    && (rule.from..=rule.to).contains(&port)
                    && match &rule.peer {
                        Peer::Cidr(net, prefix) => contains((*net, *prefix), src_ip),
                        Peer::Group(g) => src_groups.contains(g),
                    }
            })
        })
    }

    /// The VPC index whose range holds `ip`.
    pub fn vpc_of(&self, ip: Ipv4Addr) -> Option<usize> {
        self.vpcs.iter().position(|v| contains(v.cidr, ip))
    }

    /// The estate as AWS CLI JSON shapes.
    pub fn inventory(&self) -> Inventory {
        let origin = Origin {
            account: Some(ACCOUNT.into()),
            region: Some(REGION.into()),
        };
        let at = |ms: i64| Some(Civil::from_ms(ms).iso_millis());
        let cidr = |c: (Ipv4Addr, u8)| format!("{}/{}", c.0, c.1);
        let tag = |k: &str, v: &str| Tag {
            key: k.into(),
            value: v.into(),
        };
        let mut inv = Inventory::default();
        for vpc in &self.vpcs {
            inv.vpcs.push(Located::new(
                origin.clone(),
                Vpc {
                    vpc_id: vpc.id.clone(),
                    cidr_block: Some(cidr(vpc.cidr)),
                    cidr_block_association_set: vec![CidrAssociation {
                        cidr_block: Some(cidr(vpc.cidr)),
                    }],
                    is_default: Some(false),
                    owner_id: Some(ACCOUNT.into()),
                    tags: vec![tag("Name", vpc.name)],
                    ..Default::default()
                },
            ));
            inv.flow_logs.push(here(FlowLog {
                flow_log_id: vpc.flow_log.clone(),
                resource_id: Some(vpc.id.clone()),
                traffic_type: Some("ALL".into()),
                log_destination_type: Some("s3".into()),
                log_destination: Some("arn:aws:s3:::example-flow-logs".into()),
                max_aggregation_interval: Some(60),
                flow_log_status: Some("ACTIVE".into()),
                deliver_logs_status: Some("SUCCESS".into()),
                creation_time: at(self.start_ms - 90 * 86_400_000),
                ..Default::default()
            }));
        }
        for s in &self.subnets {
            inv.subnets.push(here(Subnet {
                subnet_id: s.id.clone(),
                vpc_id: Some(self.vpcs[s.vpc].id.clone()),
                cidr_block: Some(cidr(s.cidr)),
                availability_zone: Some(s.zone.into()),
                map_public_ip_on_launch: Some(s.public),
                owner_id: Some(ACCOUNT.into()),
                default_for_az: Some(false),
                tags: vec![tag("Name", s.name)],
                ..Default::default()
            }));
        }
        for g in &self.groups {
            let permission = |rule: &Rule| IpPermission {
                ip_protocol: match rule.protocol {
                    0 => "-1".into(),
                    6 => "tcp".into(),
                    17 => "udp".into(),
                    n => n.to_string(),
                },
                from_port: (rule.protocol != 0).then_some(i64::from(rule.from)),
                to_port: (rule.protocol != 0).then_some(i64::from(rule.to)),
                ip_ranges: match &rule.peer {
                    Peer::Cidr(net, prefix) => vec![IpRange {
                        cidr_ip: cidr((*net, *prefix)),
                        description: None,
                    }],
                    Peer::Group(_) => vec![],
                },
                user_id_group_pairs: match &rule.peer {
                    Peer::Group(other) => vec![UserIdGroupPair {
                        group_id: Some(self.groups[*other].id.clone()),
                        user_id: Some(ACCOUNT.into()),
                        ..Default::default()
                    }],
                    Peer::Cidr(..) => vec![],
                },
                ..Default::default()
            };
            inv.security_groups.push(here(SecurityGroup {
                group_id: g.id.clone(),
                group_name: Some(g.name.into()),
                description: Some(if g.name == "default" {
                    "default VPC security group".into()
                } else {
                    format!("{} tier", g.name)
                }),
                vpc_id: Some(self.vpcs[g.vpc].id.clone()),
                owner_id: Some(ACCOUNT.into()),
                ip_permissions: g.ingress.iter().map(permission).collect(),
                ip_permissions_egress: match &g.egress {
                    Some(rules) => rules.iter().map(permission).collect(),
                    None => vec![IpPermission {
                        ip_protocol: "-1".into(),
                        ip_ranges: vec![IpRange {
                            cidr_ip: "0.0.0.0/0".into(),
                            description: None,
                        }],
                        ..Default::default()
                    }],
                },
                tags: vec![],
            }));
        }
        for vpc_index in 0..self.vpcs.len() {
            let vpc = &self.vpcs[vpc_index];
            let subnets: Vec<&SubnetDef> =
                self.subnets.iter().filter(|s| s.vpc == vpc_index).collect();
            inv.network_acls.push(here(NetworkAcl {
                network_acl_id: format!("acl-{}", &vpc.id[4..]),
                vpc_id: Some(vpc.id.clone()),
                is_default: Some(true),
                entries: [false, true]
                    .iter()
                    .flat_map(|&egress| {
                        [(100, "allow"), (32767, "deny")].map(|(n, action)| NetworkAclEntry {
                            rule_number: n,
                            protocol: "-1".into(),
                            rule_action: action.into(),
                            egress,
                            cidr_block: Some("0.0.0.0/0".into()),
                            ..Default::default()
                        })
                    })
                    .collect(),
                associations: subnets
                    .iter()
                    .map(|s| NetworkAclAssociation {
                        network_acl_id: Some(format!("acl-{}", &vpc.id[4..])),
                        subnet_id: Some(s.id.clone()),
                        ..Default::default()
                    })
                    .collect(),
                owner_id: Some(ACCOUNT.into()),
                tags: vec![],
            }));
            let other = &self.vpcs[1 - vpc_index];
            let route = |dest: (Ipv4Addr, u8)| Route {
                destination_cidr_block: Some(cidr(dest)),
                state: Some("active".into()),
                origin: Some("CreateRoute".into()),
                ..Default::default()
            };
            let local = Route {
                gateway_id: Some("local".into()),
                origin: Some("CreateRouteTable".into()),
                ..route(vpc.cidr)
            };
            let peer = Route {
                vpc_peering_connection_id: Some(self.peering.clone()),
                ..route(other.cidr)
            };
            let tables: Vec<(String, Vec<Route>, Vec<&SubnetDef>, bool)> = if vpc_index == 0 {
                vec![
                    (
                        format!("rtb-{}1", &vpc.id[4..20]),
                        vec![
                            local.clone(),
                            peer.clone(),
                            Route {
                                gateway_id: Some(self.igw.clone()),
                                ..route((Ipv4Addr::UNSPECIFIED, 0))
                            },
                        ],
                        subnets.iter().copied().filter(|s| s.public).collect(),
                        false,
                    ),
                    (
                        format!("rtb-{}2", &vpc.id[4..20]),
                        vec![
                            local,
                            peer,
                            Route {
                                nat_gateway_id: Some(self.nat.clone()),
                                ..route((Ipv4Addr::UNSPECIFIED, 0))
                            },
                        ],
                        subnets.iter().copied().filter(|s| !s.public).collect(),
                        true,
                    ),
                ]
            } else {
                vec![(
                    format!("rtb-{}1", &vpc.id[4..20]),
                    vec![local, peer],
                    subnets.clone(),
                    true,
                )]
            };
            for (id, routes, members, main) in tables {
                let mut associations: Vec<RouteTableAssociation> = members
                    .iter()
                    .map(|s| RouteTableAssociation {
                        main: Some(false),
                        route_table_id: Some(id.clone()),
                        subnet_id: Some(s.id.clone()),
                        ..Default::default()
                    })
                    .collect();
                if main {
                    associations.push(RouteTableAssociation {
                        main: Some(true),
                        route_table_id: Some(id.clone()),
                        ..Default::default()
                    });
                }
                inv.route_tables.push(here(RouteTable {
                    route_table_id: id,
                    vpc_id: Some(vpc.id.clone()),
                    routes,
                    associations,
                    owner_id: Some(ACCOUNT.into()),
                    tags: vec![],
                }));
            }
        }
        inv.peering_connections.push(here(VpcPeeringConnection {
            vpc_peering_connection_id: self.peering.clone(),
            requester_vpc_info: Some(PeeringVpcInfo {
                vpc_id: Some(self.vpcs[0].id.clone()),
                owner_id: Some(ACCOUNT.into()),
                region: Some(REGION.into()),
                cidr_block: Some(cidr(self.vpcs[0].cidr)),
                ..Default::default()
            }),
            accepter_vpc_info: Some(PeeringVpcInfo {
                vpc_id: Some(self.vpcs[1].id.clone()),
                owner_id: Some(ACCOUNT.into()),
                region: Some(REGION.into()),
                cidr_block: Some(cidr(self.vpcs[1].cidr)),
                ..Default::default()
            }),
            status: Some(PeeringStatus {
                code: Some("active".into()),
            }),
            tags: vec![],
        }));

        let mut reservation = Reservation {
            reservation_id: Some("r-0sim".into()),
            owner_id: Some(ACCOUNT.into()),
            instances: vec![],
        };
        let alb_arn = format!(
            "arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/web-alb/{}",
            &self.vpcs[0].id[4..20]
        );
        for h in &self.hosts {
            let subnet = &self.subnets[h.subnet];
            let vpc_id = self.vpcs[subnet.vpc].id.clone();
            let groups: Vec<GroupIdentifier> = h
                .groups
                .iter()
                .map(|&g| GroupIdentifier {
                    group_id: self.groups[g].id.clone(),
                    group_name: Some(self.groups[g].name.into()),
                })
                .collect();
            let association = h.public_ip.map(|ip| IpAssociation {
                public_ip: Some(ip.to_string()),
                ip_owner_id: Some(if h.role == Role::Nat {
                    ACCOUNT.into()
                } else {
                    "amazon".into()
                }),
                ..Default::default()
            });
            let (interface_type, description, requester) = match h.role {
                Role::LoadBalancer => (
                    "interface",
                    format!("ELB app/web-alb/{}", &self.vpcs[0].id[4..20]),
                    Some("amazon-elb"),
                ),
                Role::OrdersDb | Role::ReportingDb => (
                    "interface",
                    "RDSNetworkInterface".into(),
                    Some("amazon-rds"),
                ),
                Role::Cache => (
                    "interface",
                    format!("ElastiCache {}", h.name),
                    Some("amazon-elasticache"),
                ),
                Role::Nat => (
                    "nat_gateway",
                    format!("Interface for NAT Gateway {}", self.nat),
                    Some("amazon-nat"),
                ),
                Role::Endpoint => (
                    "vpc_endpoint",
                    format!("VPC Endpoint Interface {}", self.endpoint),
                    Some("amazon-vpce"),
                ),
                _ => ("interface", "Primary network interface".into(), None),
            };
            let mut tags = vec![tag("Name", &h.name)];
            if let Some(asg) = h.asg {
                tags.push(tag("aws:autoscaling:groupName", asg));
            }
            let tier = match h.role {
                Role::Web => Some("web"),
                Role::App => Some("app"),
                Role::Bastion | Role::Monitoring | Role::Backup | Role::Scanner => {
                    Some("management")
                }
                _ => None,
            };
            if let Some(t) = tier {
                tags.push(tag("tier", t));
            }
            if matches!(h.role, Role::OrdersDb) {
                tags.push(tag("eastwest:crown-jewel", "true"));
            }
            let attachment = Attachment {
                attachment_id: Some(format!("eni-attach-{}", &h.eni[4..])),
                attach_time: at(h.launched_ms),
                device_index: Some(0),
                instance_id: h.instance_id.clone(),
                instance_owner_id: h.instance_id.as_ref().map(|_| ACCOUNT.to_string()),
                status: Some("attached".into()),
            };
            inv.network_interfaces.push(here(NetworkInterface {
                network_interface_id: h.eni.clone(),
                interface_type: Some(interface_type.into()),
                description: Some(description),
                requester_id: requester.map(str::to_string),
                requester_managed: Some(requester.is_some()),
                attachment: Some(attachment.clone()),
                association: association.clone(),
                availability_zone: Some(subnet.zone.into()),
                groups: groups.clone(),
                owner_id: Some(ACCOUNT.into()),
                private_ip_address: Some(h.ip.to_string()),
                private_ip_addresses: vec![PrivateIp {
                    private_ip_address: Some(h.ip.to_string()),
                    primary: Some(true),
                    association: association.clone(),
                }],
                status: Some("in-use".into()),
                subnet_id: Some(subnet.id.clone()),
                vpc_id: Some(vpc_id.clone()),
                ..Default::default()
            }));
            if let Some(instance_id) = &h.instance_id {
                reservation.instances.push(Instance {
                    instance_id: instance_id.clone(),
                    image_id: Some(format!("ami-{}", &self.vpcs[0].id[4..21])),
                    instance_type: Some(
                        if h.role == Role::App {
                            "m6i.large"
                        } else {
                            "t3.medium"
                        }
                        .into(),
                    ),
                    launch_time: at(h.launched_ms),
                    placement: Some(Placement {
                        availability_zone: Some(subnet.zone.into()),
                    }),
                    private_ip_address: Some(h.ip.to_string()),
                    public_ip_address: h.public_ip.map(|ip| ip.to_string()),
                    subnet_id: Some(subnet.id.clone()),
                    vpc_id: Some(vpc_id.clone()),
                    security_groups: groups.clone(),
                    iam_instance_profile: h.iam_role.map(|role| IamInstanceProfile {
                        arn: Some(format!("arn:aws:iam::{ACCOUNT}:instance-profile/{role}")),
                        id: None,
                    }),
                    tags,
                    state: Some(InstanceState {
                        code: Some(16),
                        name: Some("running".into()),
                    }),
                    metadata_options: Some(MetadataOptions {
                        http_tokens: Some(if h.imds_v1 { "optional" } else { "required" }.into()),
                        http_endpoint: Some("enabled".into()),
                        http_put_response_hop_limit: Some(if h.imds_v1 { 1 } else { 2 }),
                        state: Some("applied".into()),
                    }),
                    network_interfaces: vec![InstanceNetworkInterface {
                        network_interface_id: h.eni.clone(),
                        association,
                        attachment: Some(Attachment {
                            instance_id: None,
                            instance_owner_id: None,
                            ..attachment
                        }),
                        groups,
                        private_ip_address: Some(h.ip.to_string()),
                        subnet_id: Some(subnet.id.clone()),
                        vpc_id: Some(vpc_id),
                        owner_id: Some(ACCOUNT.into()),
                        interface_type: Some("interface".into()),
                        ..Default::default()
                    }],
                    ..Default::default()
                });
            }
        }
        inv.instances = reservation.instances.drain(..).map(here).collect();
        let nat = &self.hosts[self.named("nat").unwrap_or(0)];
        inv.nat_gateways.push(here(NatGateway {
            nat_gateway_id: self.nat.clone(),
            vpc_id: Some(self.vpcs[0].id.clone()),
            subnet_id: Some(self.subnets[nat.subnet].id.clone()),
            state: Some("available".into()),
            connectivity_type: Some("public".into()),
            nat_gateway_addresses: vec![NatGatewayAddress {
                allocation_id: Some(format!("eipalloc-{}", &nat.eni[4..])),
                network_interface_id: Some(nat.eni.clone()),
                private_ip: Some(nat.ip.to_string()),
                public_ip: nat.public_ip.map(|ip| ip.to_string()),
            }],
            create_time: at(nat.launched_ms),
            tags: vec![],
        }));
        let endpoint = &self.hosts[self.named("ssm-endpoint").unwrap_or(0)];
        inv.vpc_endpoints.push(here(VpcEndpoint {
            vpc_endpoint_id: self.endpoint.clone(),
            vpc_endpoint_type: Some("Interface".into()),
            vpc_id: Some(self.vpcs[0].id.clone()),
            service_name: Some(format!("com.amazonaws.{REGION}.ssm")),
            state: Some("available".into()),
            subnet_ids: vec![self.subnets[endpoint.subnet].id.clone()],
            network_interface_ids: vec![endpoint.eni.clone()],
            groups: endpoint
                .groups
                .iter()
                .map(|&g| GroupIdentifier {
                    group_id: self.groups[g].id.clone(),
                    group_name: Some(self.groups[g].name.into()),
                })
                .collect(),
            owner_id: Some(ACCOUNT.into()),
            ..Default::default()
        }));
        inv.load_balancers.push(here(LoadBalancer {
            load_balancer_arn: alb_arn.clone(),
            load_balancer_name: Some("web-alb".into()),
            dns_name: Some(format!("web-alb-1234567890.{REGION}.elb.amazonaws.com")),
            scheme: Some("internet-facing".into()),
            vpc_id: Some(self.vpcs[0].id.clone()),
            kind: Some("application".into()),
            availability_zones: self
                .hosts
                .iter()
                .filter(|h| h.role == Role::LoadBalancer)
                .map(|h| LoadBalancerZone {
                    zone_name: Some(self.subnets[h.subnet].zone.into()),
                    subnet_id: Some(self.subnets[h.subnet].id.clone()),
                })
                .collect(),
            security_groups: vec![self.groups[2].id.clone()],
            created_time: at(self.start_ms - 90 * 86_400_000),
        }));
        let tg_arn = format!(
            "arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/web/{}",
            &self.vpcs[0].id[4..20]
        );
        inv.target_groups.push(here(TargetGroup {
            target_group_arn: tg_arn.clone(),
            target_group_name: Some("web".into()),
            protocol: Some("HTTP".into()),
            port: Some(80),
            vpc_id: Some(self.vpcs[0].id.clone()),
            target_type: Some("instance".into()),
            load_balancer_arns: vec![alb_arn.clone()],
            targets: Vec::new(),
        }));
        inv.listeners.push(here(Listener {
            listener_arn: format!(
                "{}/listener-443",
                alb_arn.replace(":loadbalancer/", ":listener/")
            ),
            load_balancer_arn: Some(alb_arn.clone()),
            port: Some(443),
            protocol: Some("HTTPS".into()),
            ssl_policy: Some("ELBSecurityPolicy-TLS13-1-2-2021-06".into()),
            certificates: vec![ListenerCertificate {
                certificate_arn: Some(format!(
                    "arn:aws:acm:{REGION}:{ACCOUNT}:certificate/5f0e4a3c-web"
                )),
            }],
            default_actions: vec![ListenerAction {
                kind: Some("forward".into()),
                redirect_config: None,
            }],
        }));
        inv.listeners.push(here(Listener {
            listener_arn: format!(
                "{}/listener-80",
                alb_arn.replace(":loadbalancer/", ":listener/")
            ),
            load_balancer_arn: Some(alb_arn.clone()),
            port: Some(80),
            protocol: Some("HTTP".into()),
            default_actions: vec![ListenerAction {
                kind: Some("redirect".into()),
                redirect_config: Some(RedirectConfig {
                    protocol: Some("HTTPS".into()),
                    port: Some("443".into()),
                }),
            }],
            ..Default::default()
        }));
        for (asg, role) in [("web-asg", Role::Web), ("app-asg", Role::App)] {
            inv.auto_scaling_groups.push(here(AutoScalingGroup {
                auto_scaling_group_name: asg.into(),
                instances: self
                    .hosts
                    .iter()
                    .filter(|h| h.role == role)
                    .filter_map(|h| h.instance_id.clone())
                    .map(|instance_id| InstanceRef { instance_id })
                    .collect(),
                vpc_zone_identifier: Some(
                    self.subnets
                        .iter()
                        .filter(|s| {
                            s.name
                                .starts_with(if role == Role::Web { "web" } else { "app" })
                        })
                        .map(|s| s.id.clone())
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                target_group_arns: if role == Role::Web {
                    vec![tg_arn.clone()]
                } else {
                    vec![]
                },
                tags: vec![],
            }));
        }
        for (db, group) in [("orders-db", 5), ("reporting-db", 6)] {
            inv.db_instances.push(here(DbInstance {
                db_instance_identifier: db.into(),
                engine: Some("postgres".into()),
                endpoint: Some(DbEndpoint {
                    address: Some(format!("{db}.c9akciq32.{REGION}.rds.amazonaws.com")),
                    port: Some(5432),
                }),
                vpc_security_groups: vec![VpcSecurityGroupMembership {
                    vpc_security_group_id: self.groups[group].id.clone(),
                }],
                db_subnet_group: Some(DbSubnetGroup {
                    vpc_id: Some(self.vpcs[0].id.clone()),
                }),
                publicly_accessible: Some(false),
            }));
        }
        inv.cache_clusters.push(here(CacheCluster {
            cache_cluster_id: "sessions-0001-001".into(),
            engine: Some("redis".into()),
            security_groups: vec![CacheSecurityGroup {
                security_group_id: self.groups[7].id.clone(),
            }],
        }));
        for (role, actions) in crate::estate::ROLE_POLICIES {
            let arn = format!("arn:aws:iam::{ACCOUNT}:role/{role}");
            let profile = InstanceProfile {
                instance_profile_name: role.to_string(),
                instance_profile_id: Some(format!("AIPA{}", role.len())),
                arn: Some(format!("arn:aws:iam::{ACCOUNT}:instance-profile/{role}")),
                roles: vec![Role_ {
                    role_name: role.to_string(),
                    role_id: None,
                    arn: Some(arn.clone()),
                    assume_role_policy_document: None,
                }],
            };
            inv.instance_profiles.push(Located::new(
                Origin {
                    account: Some(ACCOUNT.into()),
                    region: None,
                },
                profile.clone(),
            ));
            inv.role_details.push(Located::new(Origin { account: Some(ACCOUNT.into()), region: None }, RoleDetail {
                role_name: role.to_string(),
                arn: Some(arn),
                assume_role_policy_document: Some(serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})),
                role_policy_list: vec![InlinePolicy {
                    policy_name: format!("{role}-policy"),
                    policy_document: Some(serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})),
                }],
                instance_profile_list: vec![profile],
                ..Default::default()
            }));
        }
        // The outputs this estate models, recorded as read even where empty, so an audit of
        // it judges them and says "not collected" for the rest (trails, GuardDuty, images).
        let regional = Origin {
            account: Some(ACCOUNT.into()),
            region: Some(REGION.into()),
        };
        for key in [
            "Reservations",
            "NetworkInterfaces",
            "SecurityGroups",
            "Subnets",
            "Vpcs",
            "NetworkAcls",
            "RouteTables",
            "FlowLogs",
            "VpcPeeringConnections",
            "VpcEndpoints",
            "NatGateways",
            "LoadBalancers",
            "Listeners",
            "TargetGroups",
            "AutoScalingGroups",
            "DBInstances",
            "CacheClusters",
        ] {
            inv.coverage.record(&regional, key);
        }
        let account = Origin {
            account: Some(ACCOUNT.into()),
            region: None,
        };
        for key in ["InstanceProfiles", "RoleDetailList"] {
            inv.coverage.record(&account, key);
        }
        inv.finish();
        inv
    }
}

use eastwest_inventory::shapes::Role as Role_;

/// A resource of this estate's account and region.
fn here<T>(item: T) -> Located<T> {
    Located::new(
        Origin {
            account: Some(ACCOUNT.into()),
            region: Some(REGION.into()),
        },
        item,
    )
}

/// The instance roles and what their inline policy allows. `app-role` may run commands on any
/// instance and `bastion-role` may push SSH keys to any: the IAM paths to lateral movement.
pub const ROLE_POLICIES: [(&str, &[&str]); 6] = [
    ("web-role", &["s3:GetObject", "s3:ListBucket"]),
    (
        "app-role",
        &[
            "s3:GetObject",
            "secretsmanager:GetSecretValue",
            "ssm:SendCommand",
            "ssm:GetCommandInvocation",
        ],
    ),
    (
        "bastion-role",
        &[
            "ec2:DescribeInstances",
            "ec2-instance-connect:SendSSHPublicKey",
        ],
    ),
    (
        "monitoring-role",
        &["ec2:DescribeInstances", "cloudwatch:PutMetricData"],
    ),
    ("backup-role", &["rds:CreateDBSnapshot", "s3:PutObject"]),
    (
        "scanner-role",
        &["ec2:DescribeInstances", "inspector2:ListFindings"],
    ),
];
