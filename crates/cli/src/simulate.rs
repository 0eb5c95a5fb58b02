//! `eastwest simulate`: writes a simulated estate's inventory and logs, with ground truth.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use eastwest_sim::{FlowFormat, SimOptions, simulate};
use indicatif::{ProgressBar, ProgressStyle};

use crate::Global;

/// Arguments of `simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Output directory: `inventory/` (AWS CLI JSON), `logs/` (S3 layout and host logs),
    /// `truth.json`.
    #[arg(long)]
    pub out: PathBuf,
    /// An attack scenario to run (repeat for several, `all` for every one); none: benign only.
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    /// EC2 instances in the estate (at least 9).
    #[arg(long, default_value_t = 24)]
    pub hosts: usize,
    /// Days to simulate (fractions allowed).
    #[arg(long, default_value_t = 1.0)]
    pub days: f64,
    /// Days of benign life before any scenario (a learning period for `detect`), counted
    /// within --days.
    #[arg(long, default_value_t = 0.0)]
    pub quiet_days: f64,
    /// Flow-log format.
    #[arg(long, value_enum, default_value_t = FormatArg::V5)]
    pub format: FormatArg,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Flow-log aggregation interval in seconds (60 or 600).
    #[arg(long, default_value_t = 60)]
    pub aggregation: i64,
    /// First simulated day (YYYY-MM-DD, UTC).
    #[arg(long, default_value = "2026-11-02")]
    pub start: String,
}

/// Flow-log formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// AWS's default format.
    V2,
    /// Version 5 fields (flags, direction, packet addresses).
    V5,
    /// Version 5 fields as Parquet.
    Parquet,
}

/// Builds the simulator's options.
pub fn options(args: &SimulateArgs, threads: usize) -> Result<SimOptions> {
    let start_ms = eastwest_model::time::parse_time(&args.start)
        .ok_or_else(|| anyhow::anyhow!("--start '{}': expected YYYY-MM-DD", args.start))?;
    Ok(SimOptions {
        out: args.out.clone(),
        scenarios: args.scenarios.clone(),
        hosts: args.hosts,
        days: args.days,
        quiet_days: args.quiet_days,
        format: match args.format {
            FormatArg::V2 => FlowFormat::V2,
            FormatArg::V5 => FlowFormat::V5,
            FormatArg::Parquet => FlowFormat::Parquet,
        },
        seed: args.seed,
        start_ms,
        aggregation_s: args.aggregation,
        threads,
    })
}

/// The directory a command simulates into: the one given (kept), else a temporary one that is
/// removed when the returned guard drops.
pub fn state_dir(given: Option<&std::path::Path>) -> Result<(PathBuf, Option<tempfile::TempDir>)> {
    match given {
        Some(dir) => Ok((dir.to_path_buf(), None)),
        None => {
            let temporary = tempfile::tempdir().context("creating a temporary directory")?;
            Ok((temporary.path().to_path_buf(), Some(temporary)))
        }
    }
}

/// Runs a simulation with a progress bar on terminals.
pub fn run_simulation(options: &SimOptions, quiet: bool) -> Result<eastwest_sim::SimSummary> {
    let bar = (!quiet && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} five-minute slices {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    });
    let progress = |done: u64, total: u64| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    };
    let summary = simulate(options, &progress);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(summary?)
}

/// Runs `simulate`.
pub async fn run(args: SimulateArgs, global: &Global) -> Result<ExitCode> {
    let options = options(&args, global.threads)?;
    let summary = tokio::task::spawn_blocking({
        let quiet = global.quiet;
        move || run_simulation(&options, quiet)
    })
    .await??;
    diagnostic!(
        "simulated {} instances ({} network interfaces): {} flow records in {} files, {} CloudTrail events, {} DNS queries, {} host log lines, {:.1} MB under {}",
        summary.instances,
        summary.interfaces,
        summary.flow_records,
        summary.flow_files,
        summary.trail_records,
        summary.dns_queries,
        summary.host_lines,
        summary.bytes as f64 / 1e6,
        args.out.join("logs").display()
    );
    for truth in &summary.truth {
        diagnostic!(
            "  scenario {}: {} [{}]",
            truth.scenario,
            truth.description,
            truth.techniques.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
