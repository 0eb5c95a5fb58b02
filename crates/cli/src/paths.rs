//! `eastwest paths --from X`: the blast radius of an instance, ENI or address.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Result, bail};
use eastwest_inventory::Resolver;
use eastwest_posture::paths::{Edge, blast_radius, crown_jewel};

use crate::inventory::{SourceArgs, load};
use crate::{EXIT_BAD_INPUT, Global};

/// Arguments of `paths`.
#[derive(Debug, clap::Args)]
pub struct PathsArgs {
    /// The origin: an instance id, ENI id, private address or Name.
    #[arg(long)]
    pub from: String,
    /// How many hops to follow (1-16: every asset of a real estate is within a few hops, and
    /// each hop costs a pass over every target).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub hops: u8,
    /// The estate (`--inventory DIR|aws`).
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Runs `paths`.
pub async fn run(args: PathsArgs, global: &Global) -> Result<ExitCode> {
    let Some(loaded) = load(&args.source, global).await? else {
        bail!("--inventory DIR|aws is required");
    };
    let resolver = Resolver::new(&loaded.inventory);
    let assets = resolver.assets();
    let origin: Vec<usize> = resolver
        .find(&args.from)
        .iter()
        .filter_map(|found| assets.iter().position(|a| std::ptr::eq(a, *found)))
        .collect();
    if origin.is_empty() {
        bail!(
            "--from {}: no instance, ENI, address or name of the inventory matches",
            args.from
        );
    }
    let radius = blast_radius(
        &loaded.inventory,
        &resolver,
        &origin,
        usize::from(args.hops),
    );
    let first = &assets[origin[0]];
    // Built whole, then printed through the console, which stops quietly on a closed pipe.
    let mut out = String::new();
    writeln!(
        out,
        "From {} ({}{}, group {}{})",
        first.name,
        first.instance.clone().unwrap_or_else(|| first.eni.clone()),
        first
            .private_ips
            .first()
            .map(|ip| format!(", {ip}"))
            .unwrap_or_default(),
        first.peer_group,
        first
            .role
            .as_ref()
            .map(|r| format!(", role {r}"))
            .unwrap_or_default()
    )?;
    let describe = |edges: &[Edge]| {
        edges
            .iter()
            .map(|e| match e {
                Edge::Network(ports) => format!(
                    "tcp/{}",
                    ports
                        .iter()
                        .map(u16::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                Edge::Iam(actions) => format!("IAM {}", actions.join(", ")),
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    for hop in 1..=usize::from(args.hops) {
        let at: Vec<_> = radius.reached.iter().filter(|r| r.hops == hop).collect();
        if at.is_empty() {
            continue;
        }
        writeln!(
            out,
            "\n{} reached in {hop} hop{}:",
            at.len(),
            if hop == 1 { "" } else { "s" }
        )?;
        for r in at {
            let a = &assets[r.asset];
            let via = r
                .via
                .map(|v| format!("  via {}", assets[v].name))
                .unwrap_or_default();
            writeln!(
                out,
                "  {:<20} {:<14} {:<28} {}{via}",
                a.name,
                a.kind.name(),
                a.peer_group,
                describe(&r.edges)
            )?;
        }
    }
    let jewels: Vec<_> = radius
        .reached
        .iter()
        .filter(|r| crown_jewel(&assets[r.asset]))
        .collect();
    writeln!(
        out,
        "\nCrown jewels (data tier or tagged eastwest:crown-jewel) in reach: {}",
        jewels.len()
    )?;
    for r in jewels {
        let chain: Vec<String> = std::iter::once(first.name.clone())
            .chain(
                radius
                    .path_to(r.asset)
                    .iter()
                    .map(|&i| assets[i].name.clone()),
            )
            .collect();
        writeln!(
            out,
            "  {} ({} hop{}): {}",
            assets[r.asset].name,
            r.hops,
            if r.hops == 1 { "" } else { "s" },
            chain.join(" -> ")
        )?;
    }
    // Names and groups come from the inventory: nothing in them may drive the terminal.
    let out: Vec<String> = out
        .lines()
        .map(|line| eastwest_sinks::table::printable(line).into_owned())
        .collect();
    crate::findings::print(&(out.join("\n") + "\n"))?;
    Ok(if loaded.unreadable {
        ExitCode::from(EXIT_BAD_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}
