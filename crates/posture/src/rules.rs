//! Security group rules in one shape, whichever API described them.

use eastwest_inventory::Inventory;
use eastwest_inventory::shapes::IpPermission;
use ipnet::IpNet;

/// Who a rule admits (or lets out to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// An address range.
    Cidr(IpNet),
    /// Members of a security group.
    Group(String),
    /// A managed prefix list, with its CIDR blocks where the inventory holds its entries
    /// (empty: not read, so it is taken to name none of our hosts).
    PrefixList {
        /// `pl-...`.
        id: String,
        /// Its entries.
        cidrs: Vec<IpNet>,
    },
}

impl Peer {
    /// Whether the peer is `ip` or, for a group, one of `groups` (the address's groups).
    pub fn admits(&self, ip: std::net::IpAddr, groups: &[String]) -> bool {
        match self {
            Peer::Cidr(net) => net.contains(&ip),
            Peer::Group(g) => groups.contains(g),
            Peer::PrefixList { cidrs, .. } => cidrs.iter().any(|net| net.contains(&ip)),
        }
    }
}

/// One security group rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SgRule {
    /// The group it belongs to.
    pub group: String,
    /// Outbound when true.
    pub egress: bool,
    /// `-1` (all), `tcp`, `udp`, `icmp`, `icmpv6` or a protocol number.
    pub protocol: String,
    /// First port (0 for all).
    pub from: u16,
    /// Last port (65535 for all).
    pub to: u16,
    /// Who.
    pub peer: Peer,
}

impl SgRule {
    /// Whether it covers every protocol and port.
    pub fn all_traffic(&self) -> bool {
        self.protocol == "-1"
    }

    /// Whether it covers every port of TCP (or all traffic).
    pub fn all_tcp_ports(&self) -> bool {
        self.protocol == "-1" || (self.is_tcp() && self.from == 0 && self.to == 65535)
    }

    /// Whether it is a TCP rule (or all traffic).
    pub fn is_tcp(&self) -> bool {
        matches!(self.protocol.as_str(), "-1" | "tcp" | "6")
    }

    /// Whether it admits TCP `port`.
    pub fn admits_tcp(&self, port: u16) -> bool {
        self.is_tcp() && (self.protocol == "-1" || (self.from..=self.to).contains(&port))
    }

    /// `tcp/22`, `all traffic`, `tcp/0-65535`.
    pub fn ports(&self) -> String {
        if self.protocol == "-1" {
            "all traffic".to_string()
        } else if self.from == self.to {
            format!("{}/{}", self.protocol, self.from)
        } else {
            format!("{}/{}-{}", self.protocol, self.from, self.to)
        }
    }

    /// The peer as text.
    pub fn peer_text(&self) -> String {
        match &self.peer {
            Peer::Cidr(net) => net.to_string(),
            Peer::Group(g) => g.clone(),
            Peer::PrefixList { id, .. } => id.clone(),
        }
    }
}

fn ports(protocol: &str, from: Option<i64>, to: Option<i64>) -> (u16, u16) {
    if protocol == "-1" {
        return (0, 65535);
    }
    match (from, to) {
        (Some(f), Some(t)) if f >= 0 && t >= 0 => (f.min(65535) as u16, t.min(65535) as u16),
        _ => (0, 65535),
    }
}

/// A prefix-list peer with the list's entries, where the inventory read them.
fn prefix_list(inventory: &Inventory, id: &str) -> Peer {
    let cidrs = inventory
        .prefix_list_cidrs(id)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| c.parse().ok())
        .collect();
    Peer::PrefixList {
        id: id.to_string(),
        cidrs,
    }
}

fn from_permission(
    inventory: &Inventory,
    group: &str,
    egress: bool,
    p: &IpPermission,
    out: &mut Vec<SgRule>,
) {
    let (from, to) = ports(&p.ip_protocol, p.from_port, p.to_port);
    let rule = |peer| SgRule {
        group: group.to_string(),
        egress,
        protocol: p.ip_protocol.to_lowercase(),
        from,
        to,
        peer,
    };
    for r in &p.ip_ranges {
        if let Ok(net) = r.cidr_ip.parse() {
            out.push(rule(Peer::Cidr(net)));
        }
    }
    for r in &p.ipv6_ranges {
        if let Ok(net) = r.cidr_ipv6.parse() {
            out.push(rule(Peer::Cidr(net)));
        }
    }
    for g in &p.user_id_group_pairs {
        if let Some(id) = &g.group_id {
            out.push(rule(Peer::Group(id.clone())));
        }
    }
    for l in &p.prefix_list_ids {
        out.push(rule(prefix_list(inventory, &l.prefix_list_id)));
    }
}

/// Every rule of the inventory: from `describe-security-groups`, and from
/// `describe-security-group-rules` for groups the former does not describe.
pub fn normalise(inventory: &Inventory) -> Vec<SgRule> {
    let mut out = Vec::new();
    for g in &inventory.security_groups {
        for p in &g.item.ip_permissions {
            from_permission(inventory, &g.item.group_id, false, p, &mut out);
        }
        for p in &g.item.ip_permissions_egress {
            from_permission(inventory, &g.item.group_id, true, p, &mut out);
        }
    }
    for r in &inventory.security_group_rules {
        let r = &r.item;
        if inventory
            .security_groups
            .iter()
            .any(|g| g.item.group_id == r.group_id)
        {
            continue;
        }
        let protocol = r.ip_protocol.to_lowercase();
        let (from, to) = ports(&protocol, r.from_port, r.to_port);
        let peer = if let Some(c) = r
            .cidr_ipv4
            .as_ref()
            .or(r.cidr_ipv6.as_ref())
            .and_then(|c| c.parse().ok())
        {
            Peer::Cidr(c)
        } else if let Some(g) = r
            .referenced_group_info
            .as_ref()
            .and_then(|g| g.group_id.clone())
        {
            Peer::Group(g)
        } else if let Some(p) = &r.prefix_list_id {
            prefix_list(inventory, p)
        } else {
            continue;
        };
        out.push(SgRule {
            group: r.group_id.clone(),
            egress: r.is_egress,
            protocol,
            from,
            to,
            peer,
        });
    }
    out
}

/// `0.0.0.0/0` or `::/0`.
pub fn is_anywhere(net: &IpNet) -> bool {
    net.prefix_len() == 0
}
