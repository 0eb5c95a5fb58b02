//! Assets: one per network interface, whatever owns it, named the way a responder would.
//!
//! Every address in a VPC belongs to an ENI, so the ENI is the unit of resolution. An ENI is
//! an instance's (its attachment says so) or an AWS service's: AWS marks those as
//! requester-managed and says whose they are in `InterfaceType` and `Description`
//! (`ELB app/web/…`, `RDSNetworkInterface`, `ElastiCache sessions-0001-001`,
//! `AWS Lambda VPC ENI-resize-…`, `Interface for NAT Gateway nat-…`, `VPC Endpoint Interface
//! vpce-…`). When `describe-network-interfaces` is missing, the ENIs nested in
//! `describe-instances` and `describe-nat-gateways` stand in.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::net::IpAddr;

use eastwest_model::time::parse_rfc3339;
use serde::Serialize;

use crate::Inventory;
use crate::shapes::*;

/// What owns an ENI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssetKind {
    /// An EC2 instance.
    Instance,
    /// An Application, Network, Gateway or Classic load balancer node.
    LoadBalancer,
    /// An RDS database.
    Rds,
    /// An ElastiCache node.
    Elasticache,
    /// A Lambda function's VPC interface.
    Lambda,
    /// An ECS task in `awsvpc` mode.
    EcsTask,
    /// A NAT gateway.
    NatGateway,
    /// An interface VPC endpoint.
    VpcEndpoint,
    /// An EFS mount target.
    EfsMountTarget,
    /// A transit gateway attachment.
    TransitGateway,
    /// Any other ENI (unattached, or a service eastwest does not name).
    Interface,
}

impl AssetKind {
    /// The kebab-case name used in columns and output.
    pub fn name(self) -> &'static str {
        match self {
            AssetKind::Instance => "instance",
            AssetKind::LoadBalancer => "load-balancer",
            AssetKind::Rds => "rds",
            AssetKind::Elasticache => "elasticache",
            AssetKind::Lambda => "lambda",
            AssetKind::EcsTask => "ecs-task",
            AssetKind::NatGateway => "nat-gateway",
            AssetKind::VpcEndpoint => "vpc-endpoint",
            AssetKind::EfsMountTarget => "efs-mount-target",
            AssetKind::TransitGateway => "transit-gateway",
            AssetKind::Interface => "interface",
        }
    }

    /// Data stores: the tier an attacker is after.
    pub fn is_data_store(self) -> bool {
        matches!(
            self,
            AssetKind::Rds | AssetKind::Elasticache | AssetKind::EfsMountTarget
        )
    }
}

impl fmt::Display for AssetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One network interface and what is known about its owner.
#[derive(Debug, Clone, Serialize)]
pub struct Asset {
    /// `eni-...`.
    pub eni: String,
    /// What owns it.
    pub kind: AssetKind,
    /// What a responder calls it: the instance's Name tag, the load balancer's or database's
    /// name, else an id.
    pub name: String,
    /// The instance, for instance ENIs.
    pub instance: Option<String>,
    /// The AWS resource behind a managed ENI (load balancer ARN or name, DB identifier,
    /// `nat-...`, `vpce-...`, function name).
    pub service: Option<String>,
    /// VPC.
    pub vpc: Option<String>,
    /// Subnet.
    pub subnet: Option<String>,
    /// Availability zone.
    pub zone: Option<String>,
    /// Account.
    pub account: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Security groups (ids, sorted).
    pub security_groups: Vec<String>,
    /// Private addresses (IPv4 and IPv6).
    pub private_ips: Vec<IpAddr>,
    /// Public addresses (auto-assigned or Elastic IPs).
    pub public_ips: Vec<IpAddr>,
    /// Instance profile name.
    pub instance_profile: Option<String>,
    /// IAM role name.
    pub role: Option<String>,
    /// IAM role ARN.
    pub role_arn: Option<String>,
    /// Autoscaling group.
    pub auto_scaling_group: Option<String>,
    /// Tier, from a tier-like tag (`tier`, `Tier`, `layer`, `eastwest:tier`, `Role`), else
    /// `data` for databases and caches.
    pub tier: Option<String>,
    /// The group a detector compares this asset with: `asg:NAME`, else `tier:TIER`, else
    /// `KIND:SERVICE` for managed ENIs, else `sg:` and its security groups.
    pub peer_group: String,
    /// Reachable from the internet by address (a public IP, or an internet-facing load
    /// balancer).
    pub internet_facing: bool,
    /// Tags of the instance and the ENI.
    pub tags: BTreeMap<String, String>,
    /// When it started holding its addresses (attach or launch time), epoch ms.
    pub since_ms: Option<i64>,
    /// When it stopped (a terminated instance), epoch ms.
    pub until_ms: Option<i64>,
    /// Instance lifecycle state.
    pub state: Option<String>,
}

impl Asset {
    /// Whether it held its addresses at `ms` (unknown bounds count as open).
    pub fn alive_at(&self, ms: i64) -> bool {
        self.since_ms.is_none_or(|s| s <= ms) && self.until_ms.is_none_or(|u| ms < u)
    }
}

/// Tag keys read as a tier, in order of preference.
const TIER_TAGS: &[&str] = &[
    "eastwest:tier",
    "tier",
    "Tier",
    "TIER",
    "layer",
    "Layer",
    "Role",
    "role",
];

/// Builds the assets of an inventory, sorted by ENI id.
pub fn build(inventory: &Inventory) -> Vec<Asset> {
    let ctx = Context::new(inventory);
    let mut by_eni: BTreeMap<String, Asset> = BTreeMap::new();
    for eni in &inventory.network_interfaces {
        let asset = ctx.asset_of(&eni.item, eni.origin.clone());
        by_eni.insert(asset.eni.clone(), asset);
    }
    // ENIs that only `describe-instances` shows.
    for instance in &inventory.instances {
        for nested in &instance.item.network_interfaces {
            // Real ENI ids are unique; anonymised samples (CloudMapper's demo) reuse one for
            // every instance. An id already taken by another instance gets its own entry so
            // no instance is lost.
            let mut key = nested.network_interface_id.clone();
            if let Some(existing) = by_eni.get(&key) {
                if existing.instance.as_deref() == Some(instance.item.instance_id.as_str()) {
                    continue;
                }
                key = format!(
                    "{}@{}",
                    nested.network_interface_id, instance.item.instance_id
                );
            }
            if by_eni.contains_key(&key) {
                continue;
            }
            let eni = NetworkInterface {
                network_interface_id: nested.network_interface_id.clone(),
                interface_type: nested.interface_type.clone(),
                attachment: Some(Attachment {
                    instance_id: Some(instance.item.instance_id.clone()),
                    ..nested.attachment.clone().unwrap_or_default()
                }),
                association: nested.association.clone(),
                availability_zone: instance
                    .item
                    .placement
                    .as_ref()
                    .and_then(|p| p.availability_zone.clone()),
                groups: nested.groups.clone(),
                owner_id: nested.owner_id.clone(),
                private_ip_address: nested.private_ip_address.clone(),
                private_ip_addresses: nested.private_ip_addresses.clone(),
                ipv6_addresses: nested.ipv6_addresses.clone(),
                subnet_id: nested.subnet_id.clone(),
                vpc_id: nested.vpc_id.clone(),
                ..Default::default()
            };
            by_eni.insert(key, ctx.asset_of(&eni, instance.origin.clone()));
        }
        // An instance listed without its ENIs still has an address.
        if instance.item.network_interfaces.is_empty() && instance.item.private_ip_address.is_some()
        {
            let id = format!("{}:primary", instance.item.instance_id);
            let eni = NetworkInterface {
                network_interface_id: id.clone(),
                attachment: Some(Attachment {
                    instance_id: Some(instance.item.instance_id.clone()),
                    ..Default::default()
                }),
                association: instance
                    .item
                    .public_ip_address
                    .clone()
                    .map(|ip| IpAssociation {
                        public_ip: Some(ip),
                        ..Default::default()
                    }),
                availability_zone: instance
                    .item
                    .placement
                    .as_ref()
                    .and_then(|p| p.availability_zone.clone()),
                groups: instance.item.security_groups.clone(),
                private_ip_address: instance.item.private_ip_address.clone(),
                subnet_id: instance.item.subnet_id.clone(),
                vpc_id: instance.item.vpc_id.clone(),
                ..Default::default()
            };
            by_eni.insert(id, ctx.asset_of(&eni, instance.origin.clone()));
        }
    }
    // NAT gateway ENIs that only `describe-nat-gateways` shows.
    for nat in &inventory.nat_gateways {
        for address in &nat.item.nat_gateway_addresses {
            let Some(id) = &address.network_interface_id else {
                continue;
            };
            if by_eni.contains_key(id) {
                continue;
            }
            let eni = NetworkInterface {
                network_interface_id: id.clone(),
                interface_type: Some("nat_gateway".into()),
                description: Some(format!(
                    "Interface for NAT Gateway {}",
                    nat.item.nat_gateway_id
                )),
                requester_managed: Some(true),
                private_ip_address: address.private_ip.clone(),
                association: address.public_ip.clone().map(|ip| IpAssociation {
                    public_ip: Some(ip),
                    ..Default::default()
                }),
                subnet_id: nat.item.subnet_id.clone(),
                vpc_id: nat.item.vpc_id.clone(),
                ..Default::default()
            };
            by_eni.insert(id.clone(), ctx.asset_of(&eni, nat.origin.clone()));
        }
    }
    by_eni.into_values().collect()
}

/// Lookups shared while building assets.
struct Context<'a> {
    instances: HashMap<&'a str, &'a Instance>,
    /// Instance profile name → role (name, ARN).
    profile_roles: HashMap<&'a str, (&'a str, Option<&'a str>)>,
    asg_of: HashMap<&'a str, &'a str>,
    nat_of_eni: HashMap<&'a str, &'a NatGateway>,
    endpoint_of_eni: HashMap<&'a str, &'a VpcEndpoint>,
    load_balancers: &'a [crate::Located<LoadBalancer>],
    classic: &'a [crate::Located<ClassicLoadBalancer>],
    databases: &'a [crate::Located<DbInstance>],
    eips: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> Context<'a> {
    fn new(inv: &'a Inventory) -> Self {
        let mut profile_roles = HashMap::new();
        for p in &inv.instance_profiles {
            if let Some(role) = p.item.roles.first() {
                profile_roles.insert(
                    p.item.instance_profile_name.as_str(),
                    (role.role_name.as_str(), role.arn.as_deref()),
                );
            }
        }
        for r in &inv.role_details {
            for p in &r.item.instance_profile_list {
                profile_roles
                    .entry(p.instance_profile_name.as_str())
                    .or_insert((r.item.role_name.as_str(), r.item.arn.as_deref()));
            }
        }
        let mut asg_of = HashMap::new();
        for g in &inv.auto_scaling_groups {
            for i in &g.item.instances {
                asg_of.insert(
                    i.instance_id.as_str(),
                    g.item.auto_scaling_group_name.as_str(),
                );
            }
        }
        let mut nat_of_eni = HashMap::new();
        for n in &inv.nat_gateways {
            for a in &n.item.nat_gateway_addresses {
                if let Some(eni) = &a.network_interface_id {
                    nat_of_eni.insert(eni.as_str(), &n.item);
                }
            }
        }
        let mut endpoint_of_eni = HashMap::new();
        for e in &inv.vpc_endpoints {
            for eni in &e.item.network_interface_ids {
                endpoint_of_eni.insert(eni.as_str(), &e.item);
            }
        }
        let mut eips: HashMap<&str, Vec<&str>> = HashMap::new();
        for a in &inv.addresses {
            if let Some(eni) = &a.item.network_interface_id {
                eips.entry(eni.as_str())
                    .or_default()
                    .push(a.item.public_ip.as_str());
            }
        }
        Self {
            instances: inv
                .instances
                .iter()
                .map(|i| (i.item.instance_id.as_str(), &i.item))
                .collect(),
            profile_roles,
            asg_of,
            nat_of_eni,
            endpoint_of_eni,
            load_balancers: &inv.load_balancers,
            classic: &inv.classic_load_balancers,
            databases: &inv.db_instances,
            eips,
        }
    }

    fn asset_of(&self, eni: &NetworkInterface, origin: crate::Origin) -> Asset {
        let description = eni.description.as_deref().unwrap_or("");
        let interface_type = eni.interface_type.as_deref().unwrap_or("interface");
        let instance_id = eni.attachment.as_ref().and_then(|a| a.instance_id.clone());
        let instance = instance_id
            .as_deref()
            .and_then(|id| self.instances.get(id).copied());
        let mut security_groups: Vec<String> =
            eni.groups.iter().map(|g| g.group_id.clone()).collect();
        security_groups.sort();
        security_groups.dedup();

        let mut tags: BTreeMap<String, String> = BTreeMap::new();
        if let Some(i) = instance {
            tags.extend(i.tags.iter().map(|t| (t.key.clone(), t.value.clone())));
        }
        tags.extend(eni.tag_set.iter().map(|t| (t.key.clone(), t.value.clone())));

        let (kind, service) = classify(interface_type, description, instance_id.is_some());
        let service = match kind {
            AssetKind::NatGateway => self
                .nat_of_eni
                .get(eni.network_interface_id.as_str())
                .map(|n| n.nat_gateway_id.clone())
                .or(service),
            AssetKind::VpcEndpoint => self
                .endpoint_of_eni
                .get(eni.network_interface_id.as_str())
                .map(|e| e.vpc_endpoint_id.clone())
                .or(service),
            AssetKind::Rds => self.database_for(eni).or(service),
            _ => service,
        };

        let mut private_ips: Vec<IpAddr> = Vec::new();
        let mut public_ips: Vec<IpAddr> = Vec::new();
        let add = |list: &mut Vec<IpAddr>, text: Option<&str>| {
            if let Some(ip) = text.and_then(|t| t.parse().ok())
                && !list.contains(&ip)
            {
                list.push(ip);
            }
        };
        add(&mut private_ips, eni.private_ip_address.as_deref());
        for p in &eni.private_ip_addresses {
            add(&mut private_ips, p.private_ip_address.as_deref());
            add(
                &mut public_ips,
                p.association.as_ref().and_then(|a| a.public_ip.as_deref()),
            );
        }
        for v6 in &eni.ipv6_addresses {
            add(&mut private_ips, v6.ipv6_address.as_deref());
        }
        add(
            &mut public_ips,
            eni.association
                .as_ref()
                .and_then(|a| a.public_ip.as_deref()),
        );
        for eip in self
            .eips
            .get(eni.network_interface_id.as_str())
            .into_iter()
            .flatten()
        {
            add(&mut public_ips, Some(eip));
        }
        if let Some(i) = instance
            && eni
                .attachment
                .as_ref()
                .and_then(|a| a.device_index)
                .unwrap_or(0)
                == 0
        {
            add(&mut public_ips, i.public_ip_address.as_deref());
        }

        let instance_profile = instance
            .and_then(|i| i.iam_instance_profile.as_ref())
            .and_then(|p| p.arn.as_deref())
            .and_then(|arn| arn.rsplit('/').next())
            .map(str::to_string);
        let role = instance_profile
            .as_deref()
            .and_then(|p| self.profile_roles.get(p).copied());
        let auto_scaling_group = instance_id.as_deref().and_then(|id| {
            self.asg_of
                .get(id)
                .map(|s| s.to_string())
                .or_else(|| tags.get("aws:autoscaling:groupName").cloned())
        });
        let tier = TIER_TAGS
            .iter()
            .find_map(|k| tags.get(*k).cloned())
            .or_else(|| kind.is_data_store().then(|| "data".to_string()));

        let lb_internet = kind == AssetKind::LoadBalancer
            && service
                .as_deref()
                .is_some_and(|s| self.internet_facing_lb(s));
        let name = tags
            .get("Name")
            .cloned()
            .or_else(|| match kind {
                AssetKind::Instance => instance_id.clone(),
                _ => service.as_deref().map(short_service_name),
            })
            .unwrap_or_else(|| eni.network_interface_id.clone());
        let peer_group = if let Some(g) = &auto_scaling_group {
            format!("asg:{g}")
        } else if let Some(t) = &tier
            && kind == AssetKind::Instance
        {
            format!("tier:{t}")
        } else if !matches!(
            kind,
            AssetKind::Instance | AssetKind::Interface | AssetKind::EcsTask
        ) {
            format!(
                "{kind}:{}",
                service
                    .as_deref()
                    .map(short_service_name)
                    .unwrap_or_default()
            )
        } else if !security_groups.is_empty() {
            format!("sg:{}", security_groups.join("+"))
        } else {
            format!("eni:{}", eni.network_interface_id)
        };

        let since_ms = eni
            .attachment
            .as_ref()
            .and_then(|a| a.attach_time.as_deref())
            .and_then(parse_rfc3339)
            .or_else(|| {
                instance
                    .and_then(|i| i.launch_time.as_deref())
                    .and_then(parse_rfc3339)
            });
        let state = instance
            .and_then(|i| i.state.as_ref())
            .and_then(|s| s.name.clone());
        let until_ms = match state.as_deref() {
            Some("terminated") | Some("shutting-down") => instance
                .and_then(|i| i.state_transition_reason.as_deref())
                .and_then(transition_time),
            _ => None,
        };

        Asset {
            eni: eni.network_interface_id.clone(),
            kind,
            name,
            instance: instance_id,
            service,
            vpc: eni
                .vpc_id
                .clone()
                .or_else(|| instance.and_then(|i| i.vpc_id.clone())),
            subnet: eni.subnet_id.clone(),
            zone: eni.availability_zone.clone(),
            account: origin.account.or_else(|| eni.owner_id.clone()),
            region: origin.region,
            internet_facing: !public_ips.is_empty() || lb_internet,
            security_groups,
            private_ips,
            public_ips,
            instance_profile,
            role: role.map(|(name, _)| name.to_string()),
            role_arn: role.and_then(|(_, arn)| arn.map(str::to_string)),
            auto_scaling_group,
            tier,
            peer_group,
            tags,
            since_ms,
            until_ms,
            state,
        }
    }

    /// The database an RDS ENI serves: the one in its VPC with the same security groups, when
    /// exactly one matches.
    fn database_for(&self, eni: &NetworkInterface) -> Option<String> {
        let groups: BTreeSet<&str> = eni.groups.iter().map(|g| g.group_id.as_str()).collect();
        let matches: Vec<&DbInstance> = self
            .databases
            .iter()
            .map(|d| &d.item)
            .filter(|d| {
                let theirs: BTreeSet<&str> = d
                    .vpc_security_groups
                    .iter()
                    .map(|g| g.vpc_security_group_id.as_str())
                    .collect();
                let vpc = d.db_subnet_group.as_ref().and_then(|g| g.vpc_id.as_deref());
                theirs == groups && (vpc.is_none() || vpc == eni.vpc_id.as_deref())
            })
            .collect();
        match matches.as_slice() {
            [one] => Some(one.db_instance_identifier.clone()),
            _ => None,
        }
    }

    fn internet_facing_lb(&self, service: &str) -> bool {
        let name = short_service_name(service);
        self.load_balancers.iter().any(|l| {
            l.item.load_balancer_name.as_deref() == Some(name.as_str())
                && l.item.scheme.as_deref() == Some("internet-facing")
        }) || self.classic.iter().any(|l| {
            l.item.load_balancer_name == name && l.item.scheme.as_deref() == Some("internet-facing")
        })
    }
}

/// The kind of an ENI and the service resource named in its description.
fn classify(
    interface_type: &str,
    description: &str,
    attached_to_instance: bool,
) -> (AssetKind, Option<String>) {
    let after = |prefix: &str| {
        description
            .strip_prefix(prefix)
            .map(|s| s.trim().to_string())
    };
    if interface_type == "nat_gateway" || description.starts_with("Interface for NAT Gateway") {
        return (AssetKind::NatGateway, after("Interface for NAT Gateway"));
    }
    if matches!(
        interface_type,
        "network_load_balancer" | "gateway_load_balancer"
    ) || description.starts_with("ELB ")
    {
        return (AssetKind::LoadBalancer, after("ELB "));
    }
    if interface_type == "vpc_endpoint" || description.starts_with("VPC Endpoint Interface") {
        return (AssetKind::VpcEndpoint, after("VPC Endpoint Interface"));
    }
    if interface_type == "lambda" || description.starts_with("AWS Lambda VPC ENI") {
        let function = after("AWS Lambda VPC ENI-").map(|f| strip_uuid(&f));
        return (AssetKind::Lambda, function);
    }
    if description == "RDSNetworkInterface" {
        return (AssetKind::Rds, None);
    }
    if let Some(cache) = after("ElastiCache ") {
        return (AssetKind::Elasticache, Some(cache));
    }
    if description.starts_with("arn:aws:ecs:") {
        return (AssetKind::EcsTask, Some(description.to_string()));
    }
    if let Some(fs) = after("EFS mount target for ") {
        return (
            AssetKind::EfsMountTarget,
            Some(fs.split_whitespace().next().unwrap_or("").to_string()),
        );
    }
    if interface_type == "transit_gateway" || description.contains("Transit Gateway Attachment") {
        let attachment = description
            .split_whitespace()
            .find(|w| w.starts_with("tgw-attach-"));
        return (AssetKind::TransitGateway, attachment.map(str::to_string));
    }
    if attached_to_instance {
        return (AssetKind::Instance, None);
    }
    (AssetKind::Interface, None)
}

/// `app/web/50dc6c495c0c9188` → `web`; an ARN → its last path part; other names unchanged.
fn short_service_name(service: &str) -> String {
    let parts: Vec<&str> = service.split('/').collect();
    match parts.as_slice() {
        [kind, name, _id] if matches!(*kind, "app" | "net" | "gwy") => name.to_string(),
        [.., last] if service.starts_with("arn:") => last.to_string(),
        _ => service.to_string(),
    }
}

/// Drops a trailing `-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` UUID from a Lambda ENI name.
fn strip_uuid(text: &str) -> String {
    // A description is free text: the cut must fall on a character boundary, or it is no UUID.
    if text.len() > 37 && text.is_char_boundary(text.len() - 37) {
        let (head, tail) = text.split_at(text.len() - 37);
        // `tail` may start with a multibyte character: never slice it before knowing it is '-'.
        if let Some(uuid) = tail.strip_prefix('-')
            && uuid.len() == 36
            && uuid.bytes().enumerate().all(|(i, b)| {
                if matches!(i, 8 | 13 | 18 | 23) {
                    b == b'-'
                } else {
                    b.is_ascii_hexdigit()
                }
            })
        {
            return head.to_string();
        }
    }
    text.to_string()
}

/// The time in a `StateTransitionReason` such as `User initiated (2016-05-30 21:48:38 GMT)`.
fn transition_time(reason: &str) -> Option<i64> {
    let open = reason.find('(')?;
    let close = reason[open..].find(')')? + open;
    let inside = reason[open + 1..close].trim_end_matches(" GMT");
    parse_rfc3339(inside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_eni_descriptions() {
        assert_eq!(
            classify("interface", "ELB app/web/50dc6c495c0c9188", false),
            (
                AssetKind::LoadBalancer,
                Some("app/web/50dc6c495c0c9188".into())
            )
        );
        assert_eq!(
            classify("interface", "RDSNetworkInterface", false).0,
            AssetKind::Rds
        );
        assert_eq!(
            classify(
                "lambda",
                "AWS Lambda VPC ENI-resize-2b3c4d5e-1a2b-3c4d-5e6f-1234567890ab",
                false
            ),
            (AssetKind::Lambda, Some("resize".into()))
        );
        assert_eq!(
            classify("interface", "ElastiCache sessions-0001-001", false),
            (AssetKind::Elasticache, Some("sessions-0001-001".into()))
        );
        assert_eq!(
            classify("nat_gateway", "Interface for NAT Gateway nat-0a1", false)
                .1
                .as_deref(),
            Some("nat-0a1")
        );
        assert_eq!(classify("interface", "", true).0, AssetKind::Instance);
        assert_eq!(classify("interface", "", false).0, AssetKind::Interface);
        assert_eq!(short_service_name("app/web/50dc6c495c0c9188"), "web");
        assert_eq!(
            transition_time("User initiated (2016-05-30 21:48:38 GMT)"),
            parse_rfc3339("2016-05-30T21:48:38Z")
        );
    }

    #[test]
    fn a_multibyte_description_near_the_uuid_does_not_panic() {
        // 38 bytes whose cut 37 bytes from the end falls inside "é".
        let text = format!("é{}", "x".repeat(36));
        assert_eq!(text.len(), 38);
        assert_eq!(strip_uuid(&text), text);
        // The cut falls exactly at the start of "é": a boundary, but not a '-'.
        let text = format!("aé{}", "x".repeat(35));
        assert_eq!(text.len(), 38);
        assert_eq!(strip_uuid(&text), text);
        let lambda = "AWS Lambda VPC ENI-fn-1234abcd-aaaa-bbbb-cccc-1234567890ab";
        assert_eq!(strip_uuid(lambda), "AWS Lambda VPC ENI-fn");
    }
}
