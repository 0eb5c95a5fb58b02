//! `eastwest`: finds and stops lateral movement inside AWS VPCs.
//!
//! This binary turns the command line into a pipeline: configuration, inputs, the engine, and
//! output. Errors carry context for the user (`anyhow`); exit codes follow the contract in the
//! README: 0 success, 2 bad usage or unreadable input.

/// Writes a line to standard error like `eprintln!`, without panicking when standard error is
/// closed (see `eastwest_sinks::console::diagnostic`).
macro_rules! diagnostic {
    ($($arg:tt)*) => {
        eastwest_sinks::console::diagnostic(&format!($($arg)*))
    };
}

mod audit;
mod aws;
mod demo;
mod detect;
mod eval;
mod findings;
mod incidents;
mod inventory;
mod output;
mod paths;
mod query;
mod respond;
mod simulate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Finds and stops lateral movement inside AWS VPCs.
#[derive(Debug, Parser)]
#[command(name = "eastwest", version, about, long_about = None)]
struct Cli {
    /// Worker threads for reading and queries (0: one per core).
    #[arg(long, global = true, default_value_t = 0, env = "EASTWEST_THREADS")]
    threads: usize,
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// No progress bars.
    #[arg(long, global = true)]
    quiet: bool,
    /// Memory the query engine may hold (`512M`, `4G`); sorts and aggregations spill to the
    /// temporary directory past it. Default: half the machine's memory.
    #[arg(long, global = true, value_name = "SIZE", env = "EASTWEST_MEMORY_LIMIT", value_parser = parse_size)]
    memory_limit: Option<usize>,
    #[command(flatten)]
    aws: aws::AwsArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs eastwest on the bundled sample logs: what it reads and what SQL over them answers.
    Demo(demo::DemoArgs),
    /// Posture checks over an inventory: what makes lateral movement easy, and how to fix it.
    Audit(audit::AuditArgs),
    /// The blast radius of an instance: what it reaches directly and in N hops, over the network
    /// and through its role, and the crown jewels on the way.
    Paths(paths::PathsArgs),
    /// Reads an inventory: lists its assets, or writes it as a replayable snapshot.
    Inventory(inventory::InventoryArgs),
    /// Simulates an estate with attacks: inventory, flow logs, CloudTrail, DNS and host logs,
    /// written as AWS writes them, with the ground truth.
    Simulate(simulate::SimulateArgs),
    /// Simulates every scenario and a benign estate, runs detection and writes EVALUATION.md.
    Eval(eval::EvalArgs),
    /// Detects lateral movement in flow logs: findings with evidence, baselines under --state.
    Detect(detect::DetectArgs),
    /// Lists the detectors with their ATT&CK ids, severities and thresholds.
    Detectors(detect::DetectorsArgs),
    /// Shows the baselines kept under --state.
    Baseline(detect::BaselineArgs),
    /// The incidents `detect --state` kept: list them, or tell one host by host.
    Incidents(incidents::IncidentsArgs),
    /// Contains an instance: isolation group (after untracking its connections), termination
    /// protection, tag, optional NACL deny, session revocation and snapshots; out of its
    /// autoscaling and target groups. Plans without --apply.
    Contain(respond::ContainArgs),
    /// Returns a contained instance to the state its containment recorded.
    Release(respond::ReleaseArgs),
    /// Denies a role's sessions issued before now (aws:TokenIssueTime), or with --undo lifts it.
    Revoke(respond::RevokeArgs),
    /// Runs SQL over logs: `eastwest query "SELECT action, count(*) FROM flows GROUP BY 1" logs/`.
    Query(query::QueryArgs),
}

/// Exit code for bad usage or unreadable input.
pub const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            diagnostic!("error: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let result = runtime.block_on(async {
        let global = Global {
            threads: cli.threads,
            memory_limit: cli.memory_limit,
            quiet: cli.quiet,
            aws: std::sync::Arc::default(),
            aws_args: cli.aws,
        };
        let global = &global;
        match cli.command {
            Command::Demo(args) => demo::run(args, global).await,
            Command::Query(args) => query::run(args, global).await,
            Command::Inventory(args) => inventory::run(args, global).await,
            Command::Simulate(args) => simulate::run(args, global).await,
            Command::Eval(args) => eval::run(args, global).await,
            Command::Audit(args) => audit::run(args, global).await,
            Command::Paths(args) => paths::run(args, global).await,
            Command::Detect(args) => detect::run(args, global).await,
            Command::Detectors(args) => detect::list(args),
            Command::Baseline(args) => detect::baseline(args, global).await,
            Command::Incidents(args) => incidents::run(args),
            Command::Contain(args) => respond::contain(args, global).await,
            Command::Release(args) => respond::release(args, global).await,
            Command::Revoke(args) => respond::revoke(args, global).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            diagnostic!("error: {e:#}");
            if format!("{e:#}").contains("Resources exhausted") {
                diagnostic!(
                    "note: the query engine's memory limit was reached; --memory-limit raises it (now {} MiB)",
                    cli.memory_limit
                        .unwrap_or_else(eastwest_engine::default_memory_limit)
                        >> 20
                );
            }
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

/// Options every command shares.
#[derive(Debug, Clone)]
pub struct Global {
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// The query engine's memory limit in bytes (None: the default).
    pub memory_limit: Option<usize>,
    /// No progress bars.
    pub quiet: bool,
    /// The AWS layer every SDK client is built from, made on first use (loading it looks for
    /// a region, which can mean a network call): see [`Global::aws`].
    aws: std::sync::Arc<tokio::sync::OnceCell<eastwest_ingest::s3::AwsContext>>,
    /// The AWS options as given.
    pub aws_args: aws::AwsArgs,
}

/// `512M`, `4G`, `65536` (bytes): a memory size, from 1 MiB to 1 TiB.
fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let number: u64 = number
        .parse()
        .map_err(|_| format!("'{text}': expected a size such as 512M or 4G"))?;
    let unit: u64 = match unit
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("'{text}': the unit must be K, M, G or T")),
    };
    let bytes = number
        .checked_mul(unit)
        .filter(|b| (1 << 20..=1 << 40).contains(b))
        .ok_or_else(|| format!("'{text}': between 1M and 1T"))?;
    usize::try_from(bytes).map_err(|_| format!("'{text}': too large for this machine"))
}

impl Global {
    /// A query engine with this run's threads and memory limit.
    pub fn engine(&self) -> eastwest_engine::Engine {
        eastwest_engine::Engine::with_memory_limit(self.threads, self.memory_limit)
    }

    /// The one AWS context of this run.
    pub async fn aws(&self) -> &eastwest_ingest::s3::AwsContext {
        self.aws.get_or_init(|| self.aws_args.context()).await
    }

    /// The AWS context when one of `inputs` is in S3, for the engine's reads.
    pub async fn aws_for(&self, inputs: &[String]) -> Option<eastwest_ingest::s3::AwsContext> {
        if inputs.iter().any(|i| i.starts_with("s3://")) {
            Some(self.aws().await.clone())
        } else {
            None
        }
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,eastwest=debug",
        _ => "debug,eastwest=trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // A closed standard error must not panic: tracing would report its own failed write
        // with eprintln!, which panics on a closed stream.
        .log_internal_errors(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
