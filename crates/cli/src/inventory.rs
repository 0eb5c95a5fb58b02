//! `--inventory SRC` and `eastwest inventory`: the estate eastwest names addresses with.
//!
//! SRC is a directory (or file) of AWS CLI JSON output, or `aws` for the live API. Whatever could not be read is said on
//! standard error with its file; the run goes on with the rest.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use eastwest_ingest::FlowContext;
use eastwest_inventory::live::LiveOptions;
use eastwest_inventory::{Inventory, Resolver, load_dir, snapshot};

use crate::output::{Format, write};
use crate::query::level_word;
use crate::{EXIT_BAD_INPUT, Global};

/// Where the inventory comes from: `--inventory DIR|aws` and the live read's options.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SourceArgs {
    /// A directory of AWS CLI JSON output (`aws ec2 describe-* > DIR/x.json`), or `aws` to read
    /// the AWS API with the default credential chain (AWS_ENDPOINT_URL honoured).
    #[arg(long, value_name = "SRC")]
    pub inventory: Option<String>,
    /// With `--inventory aws`: regions to read, comma-separated (default: the configured one).
    #[arg(long, value_delimiter = ',', value_name = "REGION")]
    pub region: Vec<String>,
    /// With `--inventory aws`: a role to assume in a further account; repeat per account.
    #[arg(long, value_name = "ARN")]
    pub assume_role: Vec<String>,
    /// With `--inventory aws`: a named profile of the AWS config files.
    #[arg(long)]
    pub profile: Option<String>,
}

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
        #[command(flatten)]
        source: SourceArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Writes the inventory as AWS CLI JSON (one folder per account and region), to replay
    /// later with `--inventory DIR`.
    Snapshot {
        #[command(flatten)]
        source: SourceArgs,
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

/// Loads `--inventory SRC`, printing what was skipped. None when no inventory was asked for.
pub async fn load(args: &SourceArgs) -> Result<Option<Loaded>> {
    let live_only =
        !args.region.is_empty() || !args.assume_role.is_empty() || args.profile.is_some();
    let Some(source) = args.inventory.as_deref() else {
        if live_only {
            bail!("--region, --assume-role and --profile go with --inventory aws");
        }
        return Ok(None);
    };
    let (inventory, report) = if source == "aws" {
        let options = LiveOptions {
            regions: args.region.clone(),
            assume_roles: args.assume_role.clone(),
            only_assumed: false,
            profile: args.profile.clone(),
        };
        eastwest_inventory::live::load(&options).await
    } else {
        if live_only {
            bail!("--region, --assume-role and --profile go with --inventory aws, not a directory");
        }
        let path = Path::new(source);
        if !path.exists() {
            bail!("--inventory {source}: no such file or directory");
        }
        load_dir(path).with_context(|| format!("--inventory {source}"))?
    };
    for problem in &report.problems {
        diagnostic!("{}: {problem}", level_word(problem.level));
    }
    let counts: Vec<String> = inventory
        .counts()
        .iter()
        .map(|(what, n)| format!("{n} {what}"))
        .collect();
    let from = if source == "aws" {
        "read from the AWS API".to_string()
    } else {
        format!("{} files read", report.loaded.len())
    };
    diagnostic!(
        "inventory: {from}: {}",
        if counts.is_empty() {
            "nothing eastwest uses".to_string()
        } else {
            counts.join(", ")
        }
    );
    Ok(Some(Loaded {
        inventory,
        unreadable: report.has_unreadable(),
    }))
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
            diagnostic!(
                "warning: flow log {}: LogFormat '{format}' does not parse; its files are read with the default format unless they have header lines",
                flow_log.flow_log_id
            );
        }
    }
}

/// Runs `eastwest inventory`.
pub async fn run(args: InventoryArgs, global: &Global) -> Result<ExitCode> {
    let (InventoryCommand::Assets { source, .. } | InventoryCommand::Snapshot { source, .. }) =
        &args.command;
    let Some(loaded) = load(source).await? else {
        bail!("--inventory DIR|aws is required");
    };
    let (loaded, unreadable) = (loaded.inventory, loaded.unreadable);
    match args.command {
        InventoryCommand::Assets { format, .. } => {
            let resolver = Resolver::new(&loaded);
            let batch = eastwest_engine::assets::batch(resolver.assets())?;
            let mut text = Vec::new();
            write(&[batch], format, &mut text)?;
            if crate::findings::print(&String::from_utf8_lossy(&text)).is_err() {
                return Ok(ExitCode::SUCCESS);
            }
        }
        InventoryCommand::Snapshot { out, .. } => {
            let written = snapshot::write(&loaded, &out)
                .with_context(|| format!("--out {}", out.display()))?;
            if !global.quiet {
                diagnostic!(
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
