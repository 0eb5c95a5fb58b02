//! Blast radius: where an attacker on one asset can go, directly and in N hops, over the
//! network (what the rules permit, per [`crate::reach`]) and through IAM (what the asset's role
//! lets it do to other instances), and which crown jewels are on the way.

use std::collections::{BTreeMap, VecDeque};

use eastwest_inventory::{Asset, Inventory, Resolver};

use crate::checks::role_lateral_grants;
use crate::reach::{Network, Verdict};

/// How one asset reaches another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edge {
    /// TCP ports the rules let it open.
    Network(Vec<u16>),
    /// IAM actions its role allows on the target (`ssm:SendCommand`, ...).
    Iam(Vec<String>),
}

/// One reachable asset.
#[derive(Debug, Clone)]
pub struct Reached {
    /// Index into [`Resolver::assets`].
    pub asset: usize,
    /// Hops from the origin (1: directly).
    pub hops: usize,
    /// The asset it was reached from (None when directly from the origin).
    pub via: Option<usize>,
    /// How.
    pub edges: Vec<Edge>,
}

/// The blast radius of an origin.
#[derive(Debug, Clone)]
pub struct BlastRadius {
    /// Assets of the origin (an instance can have several ENIs).
    pub origin: Vec<usize>,
    /// Everything reachable within the hop limit, nearest first.
    pub reached: Vec<Reached>,
}

/// Whether an asset is a crown jewel: the data tier, or tagged `eastwest:crown-jewel`.
pub fn crown_jewel(asset: &Asset) -> bool {
    asset.tier.as_deref() == Some("data")
        || asset
            .tags
            .get("eastwest:crown-jewel")
            .is_some_and(|v| v != "false")
}

/// Edges out of one asset.
fn edges_from(
    network: &Network<'_>,
    inventory: &Inventory,
    assets: &[Asset],
    from: usize,
) -> BTreeMap<usize, Vec<Edge>> {
    let mut out: BTreeMap<usize, Vec<Edge>> = BTreeMap::new();
    let source = &assets[from];
    for (i, target) in assets.iter().enumerate() {
        if i == from || target.instance.is_some() && target.instance == source.instance {
            continue;
        }
        let ports: Vec<u16> = network
            .candidate_ports(target)
            .into_iter()
            .filter(|&p| network.can_reach(source, target, 6, p) == Verdict::Allowed)
            .collect();
        if !ports.is_empty() {
            out.entry(i).or_default().push(Edge::Network(ports));
        }
    }
    if let Some(role) = &source.role {
        let grants = role_lateral_grants(inventory, role);
        let on_instances: Vec<String> = grants
            .iter()
            .filter(|(action, resource)| {
                !action.starts_with("sts:")
                    && (resource.contains('*') || resource.contains(":instance/"))
            })
            .map(|(action, _)| action.clone())
            .collect();
        if !on_instances.is_empty() {
            for (i, target) in assets.iter().enumerate() {
                if i != from && target.instance.is_some() && target.instance != source.instance {
                    out.entry(i)
                        .or_default()
                        .push(Edge::Iam(on_instances.clone()));
                }
            }
        }
    }
    out
}

/// The blast radius of the assets in `origin` within `hops` hops.
pub fn blast_radius(
    inventory: &Inventory,
    resolver: &Resolver,
    origin: &[usize],
    hops: usize,
) -> BlastRadius {
    let network = Network::new(inventory);
    let assets = resolver.assets();
    let mut reached: Vec<Reached> = Vec::new();
    let mut seen: Vec<bool> = vec![false; assets.len()];
    let mut queue: VecDeque<(usize, usize)> = VecDeque::new();
    for &o in origin {
        seen[o] = true;
        queue.push_back((o, 0));
    }
    while let Some((at, depth)) = queue.pop_front() {
        if depth >= hops {
            continue;
        }
        for (target, edges) in edges_from(&network, inventory, assets, at) {
            if seen[target] {
                continue;
            }
            seen[target] = true;
            reached.push(Reached {
                asset: target,
                hops: depth + 1,
                via: (!origin.contains(&at)).then_some(at),
                edges,
            });
            queue.push_back((target, depth + 1));
        }
    }
    BlastRadius {
        origin: origin.to_vec(),
        reached,
    }
}

impl BlastRadius {
    /// The chain of assets from the origin to `asset` (origin side first, `asset` last).
    pub fn path_to(&self, asset: usize) -> Vec<usize> {
        let mut chain = vec![asset];
        let mut at = asset;
        while let Some(r) = self.reached.iter().find(|r| r.asset == at) {
            match r.via {
                Some(v) => {
                    chain.push(v);
                    at = v;
                }
                None => break,
            }
        }
        chain.reverse();
        chain
    }
}
