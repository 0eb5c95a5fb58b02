//! `--inventory SRC` and `eastwest inventory`: the estate eastwest names addresses with.
//!
//! SRC is a directory (or file) of AWS CLI JSON output. Whatever could not be read is said on
//! standard error with its file; the run goes on with the rest.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use eastwest_ingest::FlowContext;
use eastwest_inventory::{Inventory, Resolver, load_dir, snapshot};

use crate::output::{Format, write};
use crate::query::level_word;
use crate::{EXIT_BAD_INPUT, Global};

/// `eastwest inventory ...`.
#[derive(Debug, clap::Args)]
pub struct InventoryArgs {
    #[command(subcommand)]
    command: InventoryCommand,
}

#[derive(Debug, clap::Subcommand)]
enum InventoryCommand {
    /// Lists the assets (one per network interface) with their names, kinds, roles and peer
    /// groups.
    Assets {
        /// A directory of AWS CLI JSON output.
        #[arg(long, value_name = "SRC")]
        inventory: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Writes the inventory as AWS CLI JSON (one folder per account and region), to replay
    /// later with `--inventory DIR`.
    Snapshot {
        /// A directory of AWS CLI JSON output.
        #[arg(long, value_name = "SRC")]
        inventory: String,
        /// Where to write.
        #[arg(long)]
        out: PathBuf,
    },
}

/// An inventory as loaded, with whether some of it could not be read.
pub struct Loaded {
    /// The inventory.
    pub inventory: Inventory,
    /// Whether a file could not be read (exit status 2 after the run).
    pub unreadable: bool,
}

/// Loads `--inventory SRC`, printing what was skipped.
pub async fn load(source: &str) -> Result<Loaded> {
    let path = Path::new(source);
    if !path.exists() {
        bail!("--inventory {source}: no such file or directory");
    }
    let (inventory, report) = load_dir(path).with_context(|| format!("--inventory {source}"))?;
    for problem in &report.problems {
        eprintln!("{}: {problem}", level_word(problem.level));
    }
    let counts: Vec<String> = inventory
        .counts()
        .iter()
        .map(|(what, n)| format!("{n} {what}"))
        .collect();
    eprintln!(
        "inventory: {} files read: {}",
        report.loaded.len(),
        if counts.is_empty() {
            "nothing eastwest uses".to_string()
        } else {
            counts.join(", ")
        }
    );
    Ok(Loaded {
        inventory,
        unreadable: report.has_unreadable(),
    })
}

/// Formats of the inventory's flow logs, for files without header lines.
pub fn add_flow_formats(inventory: &Inventory, flow: &mut FlowContext) {
    for flow_log in &inventory.flow_logs {
        let flow_log = &flow_log.item;
        if let Some(format) = &flow_log.log_format
            && !flow.add_flow_log(
                Some(&flow_log.flow_log_id),
                flow_log.log_group_name.as_deref(),
                format,
            )
        {
            eprintln!(
                "warning: flow log {}: LogFormat '{format}' does not parse; its files are read with the default format unless they have header lines",
                flow_log.flow_log_id
            );
        }
    }
}

/// Runs `eastwest inventory`.
pub async fn run(args: InventoryArgs, global: &Global) -> Result<ExitCode> {
    let (loaded, unreadable) = match &args.command {
        InventoryCommand::Assets { inventory, .. }
        | InventoryCommand::Snapshot { inventory, .. } => {
            let loaded = load(inventory).await?;
            let unreadable = loaded.unreadable;
            (loaded.inventory, unreadable)
        }
    };
    match args.command {
        InventoryCommand::Assets { format, .. } => {
            let resolver = Resolver::new(&loaded);
            let batch = eastwest_engine::assets::batch(resolver.assets())?;
            write(&[batch], format, &mut std::io::stdout().lock())?;
        }
        InventoryCommand::Snapshot { out, .. } => {
            let written = snapshot::write(&loaded, &out)
                .with_context(|| format!("--out {}", out.display()))?;
            if !global.quiet {
                eprintln!(
                    "snapshot: {} files written under {}",
                    written.len(),
                    out.display()
                );
            }
        }
    }
    Ok(if unreadable {
        ExitCode::from(EXIT_BAD_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}
