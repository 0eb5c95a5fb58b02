//! `--inventory SRC` and `eastwest inventory`: the estate eastwest names addresses with.
//!
//! SRC is a directory (or file) of AWS CLI JSON output, or `aws` for the live API. Whatever could not be read is said on
//! standard error with its file; the run goes on with the rest.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use eastwest_ingest::FlowContext;
use eastwest_inventory::{Inventory, Resolver, load_dir, snapshot};

use crate::output::{Format, write};
use crate::query::level_word;
use crate::{EXIT_BAD_INPUT, Global};

/// Where the inventory comes from: `--inventory DIR|aws` and the live read's options.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SourceArgs {
    /// A directory of AWS CLI JSON output (`aws ec2 describe-* > DIR/x.json`), or `aws` to read
    /// the AWS API (credentials, accounts and regions from the AWS options; AWS_ENDPOINT_URL
    /// honoured).
    #[arg(long, value_name = "SRC")]
    pub inventory: Option<String>,
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
    /// Which outputs were read for each account and region, and the posture checks that cannot
    /// judge where one is missing ("not collected").
    Coverage {
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
pub async fn load(args: &SourceArgs, global: &Global) -> Result<Option<Loaded>> {
    let live_only = global.aws_args.inventory_only();
    let Some(source) = args.inventory.as_deref() else {
        if let Some(flag) = live_only {
            bail!("{flag} goes with --inventory aws");
        }
        return Ok(None);
    };
    let (inventory, report) = if source == "aws" {
        eastwest_inventory::live::load(global.aws().await).await
    } else {
        if let Some(flag) = live_only {
            bail!("{flag} goes with --inventory aws, not a directory");
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

/// The coverage matrix: one row per account, region and output (regional outputs per region
/// read, account-wide ones per account), whether it was read, and the checks that need it.
fn coverage_batch(inventory: &Inventory) -> Result<datafusion::arrow::array::RecordBatch> {
    use datafusion::arrow::array::{BooleanArray, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use eastwest_inventory::coverage::{OUTPUTS, Reach};
    use std::collections::BTreeSet;
    use std::sync::Arc;

    let coverage = &inventory.coverage;
    let mut regional: BTreeSet<(Option<String>, Option<String>)> = BTreeSet::new();
    let mut accounts: BTreeSet<Option<String>> = BTreeSet::new();
    for (origin, keys) in coverage.scopes() {
        accounts.insert(origin.account.clone());
        if keys.iter().any(|k| {
            eastwest_inventory::coverage::output(k).is_some_and(|o| o.reach == Reach::Region)
        }) {
            regional.insert((origin.account.clone(), origin.region.clone()));
        }
    }
    let mut rows: Vec<(String, String, &str, &str, bool, String)> = Vec::new();
    let checks_needing = |key: &str| -> String {
        eastwest_posture::checks::CHECKS
            .iter()
            .filter(|c| c.needs().contains(&key))
            .map(|c| c.id())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    for account in &accounts {
        for (a, region) in regional.iter().filter(|(a, _)| a == account) {
            for output in OUTPUTS.iter().filter(|o| o.reach == Reach::Region) {
                rows.push((
                    shown(a),
                    shown(region),
                    output.key,
                    output.command,
                    coverage.has(a.as_deref(), region.as_deref(), output.key),
                    checks_needing(output.key),
                ));
            }
        }
        for output in OUTPUTS.iter().filter(|o| o.reach == Reach::Account) {
            rows.push((
                shown(account),
                "(all)".to_string(),
                output.key,
                output.command,
                coverage.has(account.as_deref(), None, output.key),
                checks_needing(output.key),
            ));
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("account", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("output", DataType::Utf8, false),
        Field::new("command", DataType::Utf8, false),
        Field::new("read", DataType::Boolean, false),
        Field::new("checks", DataType::Utf8, false),
    ]));
    Ok(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.0.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.1.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.3))),
            Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.4)))),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.5.as_str()),
            )),
        ],
    )?)
}

/// Runs `eastwest inventory`.
pub async fn run(args: InventoryArgs, global: &Global) -> Result<ExitCode> {
    let (InventoryCommand::Assets { source, .. }
    | InventoryCommand::Coverage { source, .. }
    | InventoryCommand::Snapshot { source, .. }) = &args.command;
    let Some(loaded) = load(source, global).await? else {
        bail!("--inventory DIR|aws is required");
    };
    let (loaded, unreadable) = (loaded.inventory, loaded.unreadable);
    match args.command {
        InventoryCommand::Assets { format, .. } => {
            let resolver = Resolver::new(&loaded);
            let batch = eastwest_engine::assets::batch(resolver.assets())?;
            let mut text = Vec::new();
            write(&[batch], format, &mut text)?;
            if !crate::findings::print(&String::from_utf8_lossy(&text))? {
                return Ok(ExitCode::SUCCESS);
            }
        }
        InventoryCommand::Coverage { format, .. } => {
            let batch = coverage_batch(&loaded)?;
            let mut text = Vec::new();
            write(&[batch], format, &mut text)?;
            if !crate::findings::print(&String::from_utf8_lossy(&text))? {
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
