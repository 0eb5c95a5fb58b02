//! Which asset an address was: per VPC, at a moment.
//!
//! Private addresses repeat across VPCs (every default VPC is 172.31.0.0/16) and are reused
//! over time (autoscaling hands a terminated instance's address to the next one), so a lookup
//! takes the VPC the record was logged in and the record's time. When the address is not in
//! that VPC, a single other VPC holding it (a peer, or one behind a transit gateway) is used;
//! when several could, the answer is "ambiguous" rather than a guess. Addresses no ENI holds are
//! still placed: a VPC's own range, another private network, link-local, or the internet.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::Inventory;
use crate::assets::{Asset, build};

/// Where an address is.
#[derive(Debug, Clone, Copy)]
pub enum Place<'a> {
    /// An ENI of the inventory.
    Asset(&'a Asset),
    /// Inside a known VPC's range, but no ENI in the inventory holds it (yet, or any more).
    Unassigned(&'a str),
    /// Held by ENIs in several VPCs, and the record does not say which VPC it came from.
    Ambiguous,
    /// A private range outside every known VPC (on-premises over VPN or Direct Connect, or a
    /// VPC the inventory does not cover).
    Private,
    /// Link-local (169.254.0.0/16, fe80::/10).
    LinkLocal,
    /// Anywhere else.
    Internet,
}

impl Place<'_> {
    /// The asset, if the address is one.
    pub fn asset(&self) -> Option<&Asset> {
        match self {
            Place::Asset(a) => Some(a),
            _ => None,
        }
    }

    /// Whether the address is inside the estate (an asset or a known VPC's range).
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Place::Asset(_) | Place::Unassigned(_) | Place::Ambiguous
        )
    }

    /// `instance`, `rds`, ... for assets, else the place's class (`internet`, `private`,
    /// `unassigned`, `ambiguous`, `link-local`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Place::Asset(a) => a.kind.name(),
            Place::Unassigned(_) => "unassigned",
            Place::Ambiguous => "ambiguous",
            Place::Private => "private",
            Place::LinkLocal => "link-local",
            Place::Internet => "internet",
        }
    }
}

/// Resolves addresses to assets.
#[derive(Debug, Default, Clone)]
pub struct Resolver {
    assets: Vec<Asset>,
    /// Private address → assets that held it (any VPC).
    private: HashMap<IpAddr, Vec<usize>>,
    /// Public address → assets that held it.
    public: HashMap<IpAddr, Vec<usize>>,
    by_eni: HashMap<String, usize>,
    by_instance: HashMap<String, Vec<usize>>,
    vpc_ranges: Vec<(String, IpNet)>,
}

impl Resolver {
    /// Indexes the assets of `inventory`.
    pub fn new(inventory: &Inventory) -> Self {
        let assets = build(inventory);
        let mut resolver = Resolver::default();
        for (i, asset) in assets.iter().enumerate() {
            for ip in &asset.private_ips {
                resolver.private.entry(*ip).or_default().push(i);
            }
            for ip in &asset.public_ips {
                resolver.public.entry(*ip).or_default().push(i);
            }
            resolver.by_eni.insert(asset.eni.clone(), i);
            if let Some(instance) = &asset.instance {
                resolver
                    .by_instance
                    .entry(instance.clone())
                    .or_default()
                    .push(i);
            }
        }
        for vpc in &inventory.vpcs {
            let ranges = vpc
                .item
                .cidr_block
                .iter()
                .chain(
                    vpc.item
                        .cidr_block_association_set
                        .iter()
                        .filter_map(|c| c.cidr_block.as_ref()),
                )
                .chain(
                    vpc.item
                        .ipv6_cidr_block_association_set
                        .iter()
                        .filter_map(|c| c.ipv6_cidr_block.as_ref()),
                );
            for range in ranges {
                if let Ok(net) = range.parse::<IpNet>()
                    && !resolver
                        .vpc_ranges
                        .contains(&(vpc.item.vpc_id.clone(), net))
                {
                    resolver.vpc_ranges.push((vpc.item.vpc_id.clone(), net));
                }
            }
        }
        // Subnet ranges stand in for a VPC whose describe-vpcs is missing.
        for subnet in &inventory.subnets {
            if let (Some(vpc), Some(Ok(net))) = (
                &subnet.item.vpc_id,
                subnet.item.cidr_block.as_ref().map(|c| c.parse::<IpNet>()),
            ) && !resolver
                .vpc_ranges
                .iter()
                .any(|(v, n)| v == vpc && n.contains(&net))
            {
                resolver.vpc_ranges.push((vpc.clone(), net));
            }
        }
        resolver.assets = assets;
        resolver
    }

    /// Every asset, sorted by ENI id.
    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }

    /// The asset of an ENI id.
    pub fn by_eni(&self, eni: &str) -> Option<&Asset> {
        self.by_eni.get(eni).map(|&i| &self.assets[i])
    }

    /// The ENIs of an instance, primary first where known.
    pub fn by_instance(&self, instance: &str) -> Vec<&Asset> {
        self.by_instance
            .get(instance)
            .map(|ids| ids.iter().map(|&i| &self.assets[i]).collect())
            .unwrap_or_default()
    }

    /// Finds an asset by what a user types: an instance id, an ENI id, an address, or a name.
    pub fn find(&self, what: &str) -> Vec<&Asset> {
        if let Some(a) = self.by_eni(what) {
            return vec![a];
        }
        let by_instance = self.by_instance(what);
        if !by_instance.is_empty() {
            return by_instance;
        }
        if let Ok(ip) = what.parse::<IpAddr>() {
            return self
                .private
                .get(&ip)
                .into_iter()
                .chain(self.public.get(&ip))
                .flatten()
                .map(|&i| &self.assets[i])
                .collect();
        }
        self.assets.iter().filter(|a| a.name == what).collect()
    }

    /// Where `ip` was at `at_ms` (epoch ms; None for "now") as seen from `vpc` (the VPC of the
    /// ENI that logged the record, when known).
    pub fn resolve(&self, vpc: Option<&str>, ip: IpAddr, at_ms: Option<i64>) -> Place<'_> {
        if let Some(candidates) = self.private.get(&ip) {
            // The common case (one ENI ever held the address) needs no filtering: it is called
            // per flow record.
            if let [only] = candidates.as_slice() {
                let asset = &self.assets[*only];
                if vpc.is_none() || asset.vpc.as_deref() == vpc || asset.vpc.is_none() {
                    return Place::Asset(asset);
                }
            }
            let in_vpc: Vec<usize> = match vpc {
                Some(v) => candidates
                    .iter()
                    .copied()
                    .filter(|&i| self.assets[i].vpc.as_deref() == Some(v))
                    .collect(),
                None => Vec::new(),
            };
            let pool = if in_vpc.is_empty() {
                candidates.clone()
            } else {
                in_vpc
            };
            let first_vpc = self.assets[pool[0]].vpc.as_deref();
            if pool
                .iter()
                .all(|&i| self.assets[i].vpc.as_deref() == first_vpc)
            {
                return Place::Asset(&self.assets[self.pick(&pool, at_ms)]);
            }
            return Place::Ambiguous;
        }
        if let Some(candidates) = self.public.get(&ip) {
            return Place::Asset(&self.assets[self.pick(candidates, at_ms)]);
        }
        let mut containing = self.vpc_ranges.iter().filter(|(_, net)| net.contains(&ip));
        if let Some((first, _)) = containing.next() {
            if vpc.is_some_and(|v| v == first) {
                return Place::Unassigned(first);
            }
            let rest: Vec<&(String, IpNet)> = containing.collect();
            if let Some(v) = vpc
                && let Some((own, _)) = rest.iter().find(|(other, _)| other == v)
            {
                return Place::Unassigned(own);
            }
            if rest.iter().all(|(other, _)| other == first) {
                return Place::Unassigned(first);
            }
            return Place::Ambiguous;
        }
        classify_unknown(ip)
    }

    /// Of several assets that held an address, the one that held it at `at_ms`: alive then and
    /// latest started; failing that the last one to start before it; failing that the first.
    fn pick(&self, candidates: &[usize], at_ms: Option<i64>) -> usize {
        if candidates.len() == 1 {
            return candidates[0];
        }
        let since = |i: usize| self.assets[i].since_ms.unwrap_or(i64::MIN);
        match at_ms {
            Some(t) => candidates
                .iter()
                .copied()
                .filter(|&i| self.assets[i].alive_at(t))
                .max_by_key(|&i| since(i))
                .or_else(|| {
                    candidates
                        .iter()
                        .copied()
                        .filter(|&i| since(i) <= t)
                        .max_by_key(|&i| since(i))
                })
                .unwrap_or(candidates[0]),
            None => candidates
                .iter()
                .copied()
                .filter(|&i| self.assets[i].until_ms.is_none())
                .max_by_key(|&i| since(i))
                .unwrap_or(candidates[0]),
        }
    }
}

/// Places an address no asset holds and no known VPC contains.
fn classify_unknown(ip: IpAddr) -> Place<'static> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_link_local() {
                Place::LinkLocal
            } else if v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) {
                // RFC 1918 and the carrier-grade NAT range (used by some on-premises networks).
                Place::Private
            } else {
                Place::Internet
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if first & 0xffc0 == 0xfe80 {
                Place::LinkLocal
            } else if first & 0xfe00 == 0xfc00 {
                Place::Private
            } else {
                Place::Internet
            }
        }
    }
}
