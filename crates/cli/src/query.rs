//! `eastwest query SQL INPUT...`: SQL over logs. Every input is recognised from its content and
//! read into the table of its kind: `flows` (every flow record), `cloudtrail`, `dns`, `ssh`,
//! `process`, `audit`; see the README for their columns and the address functions.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use datafusion::arrow::record_batch::RecordBatch;
use eastwest_engine::FlowOptions;
use eastwest_ingest::time::parse_time;
use eastwest_ingest::{FlowContext, FlowFormat, Report, TimeWindow};
use eastwest_inventory::{Inventory, Resolver};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use crate::inventory::{SourceArgs, add_flow_formats, load};
use crate::output::{Format, write_part};
use crate::{EXIT_BAD_INPUT, Global};

/// Arguments of `query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The SQL to run, over the tables `flows` (traffic), `flow_gaps` (NODATA/SKIPDATA),
    /// `connections` (flows deduplicated, oriented client → server, per hour), `cloudtrail`,
    /// `dns` (Route 53 Resolver queries), `ssh` (sshd, PAM, sudo and account-tool events),
    /// `process` (auditd executions) and `audit` (auditd account events and file watches).
    pub sql: String,
    /// Files, directories (walked recursively) or s3://bucket/prefix URLs.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write results here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// The estate (`--inventory DIR|aws`): adds the `src_*`/`dst_*` asset columns to `flows`,
    /// the `assets` table, and the `LogFormat` of each flow log for its files.
    #[command(flatten)]
    pub inventory: SourceArgs,
    /// How to read the flow logs.
    #[command(flatten)]
    pub read: ReadArgs,
}

/// How flow logs are read, for every command that reads them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReadArgs {
    /// The flow log's format, as given to AWS (`${version} ${vpc-id} ...`), for inputs without
    /// a header line (CloudWatch Logs exports, custom formats).
    #[arg(long)]
    pub flow_format: Option<String>,
    /// Only records that end at or after this time (epoch seconds, 2024-05-01, or
    /// 2024-05-01T10:00Z); dated paths before it are not opened.
    #[arg(long)]
    pub since: Option<String>,
    /// Only records that start before this time; dated paths after it are not opened.
    #[arg(long)]
    pub until: Option<String>,
}

impl ReadArgs {
    /// The flow options these arguments give, with the inventory's formats and assets.
    pub fn options(&self, inventory: Option<&Inventory>) -> Result<FlowOptions> {
        flow_options(
            self.flow_format.as_deref(),
            inventory,
            self.since.as_deref(),
            self.until.as_deref(),
        )
    }
}

/// Builds the flow options from the arguments.
pub fn flow_options(
    flow_format: Option<&str>,
    inventory: Option<&Inventory>,
    since: Option<&str>,
    until: Option<&str>,
) -> Result<FlowOptions> {
    let mut flow = FlowContext::default();
    if let Some(text) = flow_format {
        flow.format =
            Some(FlowFormat::parse(text).with_context(|| format!("--flow-format '{text}'"))?);
    }
    if let Some(inventory) = inventory {
        add_flow_formats(inventory, &mut flow);
    }
    let time = |flag: &str, value: Option<&str>| -> Result<Option<i64>> {
        value
            .map(|v| {
                parse_time(v).with_context(|| {
                    format!(
                        "{flag} '{v}': expected epoch seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z"
                    )
                })
            })
            .transpose()
    };
    let window = TimeWindow {
        since_ms: time("--since", since)?,
        until_ms: time("--until", until)?,
    };
    if let (Some(since), Some(until)) = (window.since_ms, window.until_ms)
        && since >= until
    {
        bail!("--since must be before --until");
    }
    Ok(FlowOptions {
        flow,
        window,
        resolver: inventory.map(|inventory| Arc::new(Resolver::new(inventory))),
        already_read: None,
        aws: None,
    })
}

/// A progress bar over bytes read, on a terminal only.
pub fn progress(
    report: &Arc<Report>,
    quiet: bool,
) -> Option<(ProgressBar, tokio::task::JoinHandle<()>)> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(report.bytes_total());
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let (tick, report) = (bar.clone(), Arc::clone(report));
    let task = tokio::spawn(async move {
        loop {
            // Compressed inputs count compressed bytes, so the bar ends where the files end.
            tick.set_position(report.bytes_read().min(report.bytes_total()));
            tick.set_message(format!(
                "{} records",
                indicatif::HumanCount(report.records())
            ));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    Some((bar, task))
}

/// Prints what the read skipped or could not read, on standard error. Returns true when an input
/// was unreadable.
pub fn print_problems(report: &Report) -> bool {
    let summary = report.summary();
    let per_file = report.problems_per_file();
    let problems = report.problems();
    for problem in &problems {
        diagnostic!("{}: {problem}", level_word(problem.level));
    }
    for (file, count) in &per_file {
        let shown = problems.iter().filter(|p| &p.file == file).count() as u64;
        if *count > shown {
            diagnostic!("note: {file}: {} more problems not shown", count - shown);
        }
    }
    if summary.malformed > 0 || summary.files_skipped > 0 || summary.skipdata > 0 {
        diagnostic!(
            "note: read {} records from {} files; skipped {} malformed records, {} files of other kinds; {} NODATA and {} SKIPDATA intervals (coverage gaps, not traffic)",
            summary.records,
            summary.files_read,
            summary.malformed,
            summary.files_skipped,
            summary.nodata,
            summary.skipdata
        );
    }
    summary.files_unreadable > 0
}

/// The word a problem is printed with.
pub fn level_word(level: eastwest_model::ProblemLevel) -> &'static str {
    match level {
        eastwest_model::ProblemLevel::Record => "warning",
        eastwest_model::ProblemLevel::Skipped => "note",
        eastwest_model::ProblemLevel::Unreadable => "error",
    }
}

/// Rows the table format holds before printing: it aligns its columns over all of them, so it
/// cannot stream; a person reads far fewer, and CSV or JSON stream any number.
const TABLE_MAX_ROWS: usize = 10_000;

/// Runs `query`.
pub async fn run(args: QueryArgs, global: &Global) -> Result<ExitCode> {
    let loaded = load(&args.inventory, global).await?;
    let mut options = args.read.options(loaded.as_ref().map(|l| &l.inventory))?;
    options.aws = global.aws_for(&args.inputs).await;
    let engine = global.engine();
    let resolver = options.resolver.clone();
    let report = engine.register_logs(&args.inputs, options).await?;
    let bar = progress(&report, global.quiet);
    let result = async {
        // `connections` costs a pass over the flow logs: built only when the query names it.
        if args.sql.to_ascii_lowercase().contains("connections") {
            let rows = engine
                .build_connections(
                    eastwest_engine::connections::DEFAULT_WINDOW_MS,
                    resolver.as_deref(),
                )
                .await?;
            engine.register_connections(rows)?;
        }
        engine
            .sql(&args.sql)
            .await?
            .execute_stream()
            .await
            .map_err(anyhow::Error::from)
    }
    .await;
    let stop_bar = |bar: Option<(ProgressBar, tokio::task::JoinHandle<()>)>| {
        if let Some((bar, task)) = bar {
            task.abort();
            bar.finish_and_clear();
        }
    };
    let mut stream = match result.context("query failed") {
        Ok(stream) => stream,
        Err(error) => {
            stop_bar(bar);
            return Err(error);
        }
    };
    // CSV and JSON are written batch by batch as the engine produces them, so a result larger
    // than memory still prints; the table aligns its columns over all its rows, so it holds at
    // most TABLE_MAX_ROWS of them.
    let mut console = eastwest_sinks::console::Console::stdout_or(args.output.as_deref())
        .map_err(anyhow::Error::from)
        .context("--output")?;
    let mut bar = bar;
    let mut held: Vec<RecordBatch> = Vec::new();
    let (mut held_rows, mut more_rows, mut first) = (0usize, 0usize, true);
    let mut closed = false;
    while let Some(batch) = stream.next().await {
        let batch = match batch.context("query failed") {
            Ok(batch) => batch,
            Err(error) => {
                stop_bar(bar.take());
                return Err(error);
            }
        };
        if batch.num_rows() == 0 {
            continue;
        }
        stop_bar(bar.take());
        if args.format == Format::Table {
            let room = TABLE_MAX_ROWS - held_rows;
            if room == 0 {
                more_rows += batch.num_rows();
                continue;
            }
            let kept = batch.slice(0, batch.num_rows().min(room));
            more_rows += batch.num_rows() - kept.num_rows();
            held_rows += kept.num_rows();
            held.push(kept);
            continue;
        }
        let mut text = Vec::new();
        write_part(&[batch], args.format, first, &mut text)?;
        first = false;
        match console.write_all(&text) {
            Ok(()) => {}
            Err(e) if e.is_closed() => {
                closed = true;
                break;
            }
            Err(e) => return Err(anyhow::Error::from(e)),
        }
    }
    stop_bar(bar.take());
    if !closed {
        if args.format == Format::Table || first {
            // A table, or CSV/JSON of no rows (the CSV header still says the columns).
            if held.is_empty() {
                held.push(RecordBatch::new_empty(stream.schema()));
            }
            let mut text = Vec::new();
            write_part(&held, args.format, true, &mut text)?;
            if let Err(e) = console.write_all(&text) {
                if !e.is_closed() {
                    return Err(anyhow::Error::from(e));
                }
                closed = true;
            }
        }
        if let Err(e) = console.finish()
            && !e.is_closed()
        {
            return Err(anyhow::Error::from(e));
        }
    }
    if closed {
        return Ok(ExitCode::SUCCESS);
    }
    if more_rows > 0 {
        diagnostic!(
            "note: the table shows the first {TABLE_MAX_ROWS} rows; {more_rows} more were left out (--format csv or json prints every row)"
        );
    }
    let summary = report.summary();
    tracing::info!(
        files = summary.files_read,
        records = summary.records,
        malformed = summary.malformed,
        skipped_files = summary.files_skipped,
        unreadable_files = summary.files_unreadable,
        pruned_files = summary.files_pruned,
        "Read finished."
    );
    for (kind, counts) in report.per_kind() {
        tracing::info!(
            kind = kind.name(),
            files = counts.files_read,
            records = counts.records,
            malformed = counts.malformed,
            skipped_files = counts.files_skipped,
            unreadable_files = counts.files_unreadable,
            "Read of one log kind."
        );
    }
    let unreadable = print_problems(&report) || loaded.is_some_and(|l| l.unreadable);
    Ok(if unreadable {
        ExitCode::from(EXIT_BAD_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}
