//! Reachability: can ENI A open PROTOCOL/PORT to ENI B, and if not, which component blocks it.
//!
//! The path is evaluated the way AWS does: the route table of A's subnet must send B's address
//! to B's VPC (local, or an active peering connection; a transit gateway is trusted to route)
//! and B's must route the reply back; A's security groups must let it out (stateful, so the
//! reply needs nothing more); A's subnet NACL outbound, B's subnet NACL inbound, and, being
//! stateless, B's outbound and A's inbound for the reply to an ephemeral port (subnets'
//! NACLs are skipped within one subnet); B's security groups must let it in (address ranges,
//! or a group A is a member of). The first component that refuses is named.

use std::net::IpAddr;

use eastwest_inventory::shapes::{NetworkAcl, RouteTable};
use eastwest_inventory::{Asset, Inventory};
use ipnet::IpNet;

use crate::rules::{SgRule, normalise};

/// The port a reply goes back to, for stateless NACL checks (Linux's ephemeral range starts at
/// 32768; 49152 is inside every OS's range).
pub const EPHEMERAL_PORT: u16 = 49152;

/// What blocked a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// `route`, `security-group-egress`, `nacl-outbound`, `nacl-inbound`, `security-group-ingress`,
    /// `nacl-return-outbound`, `nacl-return-inbound`, `no-address`.
    pub component: &'static str,
    /// The resource (route table, NACL or security group ids).
    pub resource: String,
    /// Why, in words.
    pub reason: String,
}

/// The answer for one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed end to end.
    Allowed,
    /// Blocked, by the first component that refuses.
    Blocked(Block),
}

/// The network model of an inventory.
pub struct Network<'a> {
    inventory: &'a Inventory,
    rules: Vec<SgRule>,
}

fn protocol_matches(rule_protocol: &str, protocol: u8) -> bool {
    match rule_protocol {
        "-1" | "all" => true,
        "tcp" => protocol == 6,
        "udp" => protocol == 17,
        "icmp" => protocol == 1,
        "icmpv6" | "58" => protocol == 58,
        number => number.parse::<u8>().ok() == Some(protocol),
    }
}

fn first_ip(asset: &Asset) -> Option<IpAddr> {
    asset.private_ips.first().copied()
}

impl<'a> Network<'a> {
    /// Models `inventory`.
    pub fn new(inventory: &'a Inventory) -> Self {
        Self {
            inventory,
            rules: normalise(inventory),
        }
    }

    fn sg_admits(
        &self,
        groups: &[String],
        egress: bool,
        protocol: u8,
        port: u16,
        peer_ip: IpAddr,
        peer_groups: &[String],
    ) -> bool {
        self.rules.iter().any(|r| {
            r.egress == egress
                && groups.contains(&r.group)
                && protocol_matches(&r.protocol, protocol)
                && (r.protocol == "-1" || (r.from..=r.to).contains(&port))
                && r.peer.admits(peer_ip, peer_groups)
        })
    }

    fn nacl_of(&self, subnet: &str) -> Option<&'a NetworkAcl> {
        self.inventory
            .network_acls
            .iter()
            .map(|a| &a.item)
            .find(|a| {
                a.associations
                    .iter()
                    .any(|s| s.subnet_id.as_deref() == Some(subnet))
            })
    }

    /// Whether a NACL lets `protocol/port` with peer `peer_ip` through in one direction; the
    /// lowest-numbered matching rule decides, no match is a deny. Without a known NACL, allowed.
    fn nacl_allows(
        &self,
        subnet: &str,
        egress: bool,
        protocol: u8,
        port: u16,
        peer_ip: IpAddr,
    ) -> Result<(), Block> {
        let Some(acl) = self.nacl_of(subnet) else {
            return Ok(());
        };
        let mut entries: Vec<_> = acl.entries.iter().filter(|e| e.egress == egress).collect();
        entries.sort_by_key(|e| e.rule_number);
        let component = if egress {
            "nacl-outbound"
        } else {
            "nacl-inbound"
        };
        for e in entries {
            let net = e
                .cidr_block
                .as_deref()
                .or(e.ipv6_cidr_block.as_deref())
                .and_then(|c| c.parse::<IpNet>().ok());
            let Some(net) = net else { continue };
            let ports_ok = match &e.port_range {
                Some(r) if matches!(protocol, 6 | 17) => {
                    (r.from.unwrap_or(0)..=r.to.unwrap_or(65535)).contains(&i64::from(port))
                }
                _ => true,
            };
            if protocol_matches(&e.protocol, protocol) && net.contains(&peer_ip) && ports_ok {
                return if e.rule_action == "allow" {
                    Ok(())
                } else {
                    Err(Block {
                        component,
                        resource: acl.network_acl_id.clone(),
                        reason: format!("rule {} denies {}", e.rule_number, peer_ip),
                    })
                };
            }
        }
        Err(Block {
            component,
            resource: acl.network_acl_id.clone(),
            reason: format!("no rule allows {peer_ip}; the final * rule denies"),
        })
    }

    fn route_table_of(&self, subnet: &str, vpc: &str) -> Option<&'a RouteTable> {
        let tables = || {
            self.inventory
                .route_tables
                .iter()
                .map(|t| &t.item)
                .filter(|t| t.vpc_id.as_deref() == Some(vpc))
        };
        tables()
            .find(|t| {
                t.associations
                    .iter()
                    .any(|a| a.subnet_id.as_deref() == Some(subnet))
            })
            .or_else(|| tables().find(|t| t.associations.iter().any(|a| a.main == Some(true))))
    }

    /// Whether traffic from `from` (subnet, VPC) to `to_ip` in VPC `to_vpc` is routed there.
    fn routed(&self, subnet: &str, vpc: &str, to_ip: IpAddr, to_vpc: &str) -> Result<(), Block> {
        if vpc == to_vpc {
            return Ok(());
        }
        let Some(table) = self.route_table_of(subnet, vpc) else {
            return Err(Block {
                component: "route",
                resource: subnet.to_string(),
                reason: format!("no route table known for {subnet}"),
            });
        };
        let best = table
            .routes
            .iter()
            .filter(|r| r.state.as_deref() != Some("blackhole"))
            .filter_map(|r| {
                r.destination_cidr_block
                    .as_deref()
                    .or(r.destination_ipv6_cidr_block.as_deref())
                    .and_then(|c| c.parse::<IpNet>().ok())
                    .map(|n| (n, r))
            })
            .filter(|(n, _)| n.contains(&to_ip))
            .max_by_key(|(n, _)| n.prefix_len());
        let reason = |what: String| {
            Err(Block {
                component: "route",
                resource: table.route_table_id.clone(),
                reason: what,
            })
        };
        match best {
            None => reason(format!("no route to {to_ip}")),
            Some((_, r)) if r.transit_gateway_id.is_some() => Ok(()),
            Some((net, r)) => match &r.vpc_peering_connection_id {
                Some(pcx) => {
                    let connects = self
                        .inventory
                        .peering_connections
                        .iter()
                        .map(|p| &p.item)
                        .any(|p| {
                            &p.vpc_peering_connection_id == pcx
                                && p.status
                                    .as_ref()
                                    .and_then(|s| s.code.as_deref())
                                    .is_none_or(|c| c == "active")
                                && [&p.requester_vpc_info, &p.accepter_vpc_info].iter().any(
                                    |side| {
                                        side.as_ref().and_then(|s| s.vpc_id.as_deref())
                                            == Some(to_vpc)
                                    },
                                )
                        });
                    if connects {
                        Ok(())
                    } else {
                        reason(format!(
                            "route {net} goes to {pcx}, which does not connect to {to_vpc}"
                        ))
                    }
                }
                None => reason(format!(
                    "route {net} for {to_ip} leads out of the VPC, not to {to_vpc}"
                )),
            },
        }
    }

    /// Can `from` open `protocol/port` to `to`?
    pub fn can_reach(&self, from: &Asset, to: &Asset, protocol: u8, port: u16) -> Verdict {
        match self.check(from, to, protocol, port) {
            Ok(()) => Verdict::Allowed,
            Err(block) => Verdict::Blocked(block),
        }
    }

    fn check(&self, from: &Asset, to: &Asset, protocol: u8, port: u16) -> Result<(), Block> {
        let (Some(a_ip), Some(b_ip)) = (first_ip(from), first_ip(to)) else {
            return Err(Block {
                component: "no-address",
                resource: to.eni.clone(),
                reason: "an end has no private address".into(),
            });
        };
        let (a_subnet, b_subnet) = (
            from.subnet.clone().unwrap_or_default(),
            to.subnet.clone().unwrap_or_default(),
        );
        let (a_vpc, b_vpc) = (
            from.vpc.clone().unwrap_or_default(),
            to.vpc.clone().unwrap_or_default(),
        );
        self.routed(&a_subnet, &a_vpc, b_ip, &b_vpc)?;
        self.routed(&b_subnet, &b_vpc, a_ip, &a_vpc)?;
        if !from.security_groups.is_empty()
            && !self.sg_admits(
                &from.security_groups,
                true,
                protocol,
                port,
                b_ip,
                &to.security_groups,
            )
        {
            return Err(Block {
                component: "security-group-egress",
                resource: from.security_groups.join(","),
                reason: format!("no egress rule lets {protocol}/{port} out to {b_ip}"),
            });
        }
        if a_subnet != b_subnet {
            self.nacl_allows(&a_subnet, true, protocol, port, b_ip)?;
            self.nacl_allows(&b_subnet, false, protocol, port, a_ip)?;
        }
        // A NAT gateway (no groups) forwards whatever its subnet lets in.
        if !to.security_groups.is_empty()
            && !self.sg_admits(
                &to.security_groups,
                false,
                protocol,
                port,
                a_ip,
                &from.security_groups,
            )
        {
            return Err(Block {
                component: "security-group-ingress",
                resource: to.security_groups.join(","),
                reason: format!("no ingress rule admits {protocol}/{port} from {a_ip}"),
            });
        }
        if a_subnet != b_subnet {
            self.nacl_allows(&b_subnet, true, protocol, EPHEMERAL_PORT, a_ip)
                .map_err(|b| Block {
                    component: "nacl-return-outbound",
                    ..b
                })?;
            self.nacl_allows(&a_subnet, false, protocol, EPHEMERAL_PORT, b_ip)
                .map_err(|b| Block {
                    component: "nacl-return-inbound",
                    ..b
                })?;
        }
        Ok(())
    }

    /// The TCP ports worth probing on `to`: every port its ingress rules name (the first of each
    /// range), plus common service ports when a rule admits everything.
    pub fn candidate_ports(&self, to: &Asset) -> Vec<u16> {
        const COMMON: [u16; 12] = [
            22, 80, 443, 3306, 3389, 5432, 5985, 6379, 8080, 9100, 9200, 27017,
        ];
        let mut ports: Vec<u16> = Vec::new();
        for r in self
            .rules
            .iter()
            .filter(|r| !r.egress && to.security_groups.contains(&r.group))
        {
            if r.protocol == "-1" || (r.is_tcp() && r.from == 0 && r.to == 65535) {
                ports.extend(COMMON);
            } else if r.is_tcp() {
                ports.push(r.from);
            }
        }
        ports.sort_unstable();
        ports.dedup();
        ports
    }
}
