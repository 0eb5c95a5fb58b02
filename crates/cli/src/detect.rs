//! `eastwest detect`, `eastwest detectors` and `eastwest baseline show`: argument parsing and
//! printing around the detect crate.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use eastwest_detect::baseline::Baseline;
use eastwest_detect::run::any_at_least;
use eastwest_detect::{Config, DetectOptions, Outcome};
use eastwest_engine::Engine;
use eastwest_model::Severity;

use crate::inventory::{SourceArgs, load};
use crate::query::{ReadArgs, flow_options, print_problems, progress};
use crate::{EXIT_BAD_INPUT, Global};

/// Exit code when findings at or above `--fail-on` were reported.
pub const EXIT_FINDINGS: u8 = 1;

/// Output formats of `detect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DetectFormat {
    /// A table for people.
    Table,
    /// OCSF 1.3 Detection Findings (class 2004), one JSON object per line.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// Payloads of the webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WebhookFormat {
    /// The OCSF event (Detection Finding 2004, Incident Finding 2005).
    Json,
    /// `{"text": ...}`, for Slack-compatible incoming webhooks.
    Slack,
}

/// Arguments of `detect`.
#[derive(Debug, clap::Args)]
pub struct DetectArgs {
    /// Files, directories (walked recursively) or s3://bucket/prefix URLs of flow logs.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// The estate: names every address and gives peer groups to the baselines.
    #[command(flatten)]
    pub inventory: SourceArgs,
    /// Where baselines and reported findings are kept between runs. Without it, the baseline is
    /// learned from the start of the input and forgotten.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Settings (TOML): thresholds, authorised scanners, management hosts, allowlists.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// A directory of the user's own detector files (`*.sql` with a header), added to the
    /// built-in ones.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// How much of the input's start to learn the baseline from when the state holds none
    /// (`24h`, `3d`, `90m`).
    #[arg(long, default_value = "24h")]
    pub learn: String,
    /// The window connections are aggregated in (`1h`, `10m`).
    #[arg(long, default_value = "1h")]
    pub window: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
    pub format: DetectFormat,
    /// Write findings here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Also write the run's incidents here, one OCSF Incident Finding (2005) per line.
    #[arg(long, value_name = "FILE")]
    pub incidents: Option<PathBuf>,
    /// POST each new finding and incident to this URL (needs --state, which keeps the dead
    /// letter of what could not be delivered; the next run sends it first).
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// The webhook's payload: the OCSF event (`json`) or a Slack-compatible message (`slack`).
    #[arg(long, value_enum, default_value_t = WebhookFormat::Json)]
    pub webhook_format: WebhookFormat,
    /// Import the findings (above informational) and incidents into AWS Security Hub, in the
    /// account of the AWS credentials and the first --region, as ASFF (a repeat updates the
    /// finding of the same id).
    #[arg(long)]
    pub securityhub: bool,
    /// Retries of a webhook delivery that failed for a reason that may pass.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub webhook_retries: u32,
    /// Exit with status 1 when a finding at or above this severity is reported
    /// (informational, low, medium, high, critical).
    #[arg(long)]
    pub fail_on: Option<String>,
    /// How to read the flow logs.
    #[command(flatten)]
    pub read: ReadArgs,
}

/// Parses `24h`, `90m`, `3d`, `3600s`, `1w` into milliseconds.
pub fn parse_duration(text: &str) -> Result<i64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number
        .parse()
        .with_context(|| format!("'{text}': expected a number and a unit, such as 24h"))?;
    let unit_ms: i64 = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => bail!("'{text}': the unit must be s, m, h, d or w"),
    };
    // Ten years is more history than anyone keeps; past it the number is a mistake.
    number
        .checked_mul(unit_ms)
        .filter(|ms| *ms <= 3650 * 86_400_000)
        .with_context(|| format!("'{text}' is too long"))
}

/// Reads `--config`, or the defaults.
pub fn config(path: Option<&Path>) -> Result<Config> {
    match path {
        Some(path) => Ok(Config::load(path)?),
        None => Ok(Config::default()),
    }
}

/// Runs `detect`.
pub async fn run(args: DetectArgs, global: &Global) -> Result<ExitCode> {
    let fail_on = args
        .fail_on
        .as_deref()
        .map(|s| {
            Severity::parse(s).with_context(|| {
                format!("--fail-on '{s}': expected informational, low, medium, high or critical")
            })
        })
        .transpose()?;
    let options = DetectOptions {
        learn_ms: parse_duration(&args.learn).context("--learn")?,
        window_ms: parse_duration(&args.window)
            .context("--window")?
            .max(60_000),
        state: args.state.clone(),
        config: config(args.config.as_deref())?,
        rules_dir: args.rules.clone(),
        now_ms: now_ms(),
    };
    if options.config.response.mode == eastwest_detect::response::Mode::Apply
        && args.state.is_none()
    {
        bail!(
            "the config's [response] mode is apply: --state DIR is needed for the journal that makes each containment resumable and reversible"
        );
    }
    let webhook = match &args.webhook {
        Some(url) => {
            let Some(state) = &args.state else {
                bail!(
                    "--webhook needs --state DIR: the dead letter of what could not be delivered is kept there"
                );
            };
            let style = match args.webhook_format {
                WebhookFormat::Json => eastwest_sinks::webhook::Style::Json,
                WebhookFormat::Slack => eastwest_sinks::webhook::Style::Slack,
            };
            std::fs::create_dir_all(state)
                .with_context(|| format!("--state {}", state.display()))?;
            Some(eastwest_sinks::webhook::Webhook::new(
                url,
                style,
                args.webhook_retries,
                &state.join(WEBHOOK_DEAD_LETTER),
            )?)
        }
        None => None,
    };
    let loaded = load(&args.inventory, global).await?;
    let mut flow = args.read.options(loaded.as_ref().map(|l| &l.inventory))?;
    flow.aws = global.aws_for(&args.inputs).await;
    if let Some(state) = &args.state {
        // Inputs an earlier run read are in the state's carried connections already.
        flow.already_read = Some(Arc::new(eastwest_detect::state::read_ledger(state)?));
    }
    let resolver = flow.resolver.clone();
    let engine = global.engine();
    let report = engine.register_logs(&args.inputs, flow).await?;
    let bar = progress(&report, global.quiet);
    let result = eastwest_detect::detect(
        &engine,
        resolver.as_deref(),
        loaded.as_ref().map(|l| &l.inventory),
        &options,
    )
    .await;
    if let Some((bar, task)) = bar {
        task.abort();
        bar.finish_and_clear();
    }
    let mut outcome = result.context("detection failed")?;
    // Detection reads the flow logs: only they go to the ledger (the other kinds' files stay
    // unread by this run, so a later run that reads them must not skip them).
    let (listed, skipped) = engine.listed(&[
        eastwest_model::LogKind::FlowText,
        eastwest_model::LogKind::FlowParquet,
    ]);
    if skipped > 0 {
        diagnostic!(
            "note: {skipped} input file(s) were read by an earlier run with this --state and were not read again"
        );
    }
    if let Some(state) = &args.state {
        crate::findings::record(state, &mut outcome.findings, options.now_ms)?;
        // Suppressed findings are kept with their reasons: `eastwest incidents suppressed`.
        let suppressed: Vec<(&eastwest_model::Finding, &str)> = outcome
            .suppressed
            .iter()
            .map(|s| (&s.finding, s.reason.as_str()))
            .collect();
        eastwest_sinks::store::Store::open(state)
            .and_then(|mut store| store.record_suppressed(&suppressed, options.now_ms))
            .with_context(|| format!("--state {}", state.display()))?;
        // Files that could not be read (or not to the end) stay out of the ledger, so the
        // next run tries them again.
        let unreadable: std::collections::HashSet<String> = report
            .problems()
            .into_iter()
            .filter(|p| p.level == eastwest_model::ProblemLevel::Unreadable)
            .map(|p| p.file)
            .collect();
        let read: Vec<(String, u64)> = listed
            .into_iter()
            .filter(|(name, _)| !unreadable.contains(name))
            .collect();
        eastwest_detect::state::append_ledger(state, &read)?;
    }
    let text = crate::findings::render(
        &outcome.findings,
        args.format,
        options.now_ms,
        options.rules_dir.as_deref(),
    )?;
    match &args.output {
        Some(path) => std::fs::write(path, text.as_bytes())
            .with_context(|| format!("--output {}", path.display()))?,
        None => {
            if !crate::findings::print(&text)? {
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    summarise(&outcome);
    let incidents = eastwest_correlate::correlate(&outcome.findings);
    let statuses = crate::incidents::report(
        &incidents,
        &outcome.findings,
        args.state.as_deref(),
        args.incidents.as_deref(),
        options.now_ms,
    )?;
    if let Some(webhook) = &webhook {
        deliver(
            webhook,
            &outcome.findings,
            &incidents,
            &statuses,
            options.now_ms,
        )
        .await?;
    }
    if args.securityhub {
        import_to_security_hub(global, &outcome.findings, &incidents, options.now_ms).await?;
    }
    let responded = crate::respond::automatic(
        &options.config.response,
        &outcome.findings,
        resolver.as_deref(),
        args.state.as_deref(),
        global,
    )
    .await?;
    let unreadable = print_problems(&report) || loaded.is_some_and(|l| l.unreadable);
    Ok(if unreadable || !responded {
        ExitCode::from(EXIT_BAD_INPUT)
    } else if fail_on.is_some_and(|s| any_at_least(&outcome.findings, s)) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--securityhub`: the run's findings above informational and its incidents, as ASFF.
async fn import_to_security_hub(
    global: &Global,
    findings: &[eastwest_model::Finding],
    incidents: &[eastwest_correlate::Incident],
    now_ms: i64,
) -> Result<()> {
    let aws = global.aws().await;
    let target = eastwest_sinks::securityhub::target(aws)
        .await
        .map_err(|e| anyhow::anyhow!("--securityhub: {e}"))?;
    let mut documents: Vec<serde_json::Value> = findings
        .iter()
        .filter(|f| f.severity > Severity::Informational)
        .map(|f| eastwest_sinks::asff::asff(f, &target, now_ms))
        .collect();
    documents.extend(
        incidents
            .iter()
            .map(|i| eastwest_sinks::asff::asff_incident(i, &target, now_ms)),
    );
    let imported = eastwest_sinks::securityhub::import(aws, &target, &documents)
        .await
        .map_err(|e| anyhow::anyhow!("--securityhub: {e}"))?;
    diagnostic!(
        "securityhub: {} finding(s) imported into {} in {} ({} call(s)){}",
        imported.accepted,
        target.account,
        target.region,
        imported.calls,
        if imported.refused.is_empty() {
            String::new()
        } else {
            format!(", {} refused", imported.refused.len())
        }
    );
    for (id, reason) in &imported.refused {
        diagnostic!("securityhub: {id} refused: {reason}");
    }
    if !imported.refused.is_empty() {
        bail!(
            "--securityhub: {} finding(s) were refused",
            imported.refused.len()
        );
    }
    Ok(())
}

/// The dead letter of the webhook, under --state.
pub const WEBHOOK_DEAD_LETTER: &str = "webhook-dead-letter.jsonl";

/// Sends the dead letter of earlier runs, then this run's new findings and incidents.
async fn deliver(
    webhook: &eastwest_sinks::webhook::Webhook,
    findings: &[eastwest_model::Finding],
    incidents: &[eastwest_correlate::Incident],
    statuses: &[eastwest_model::Status],
    now_ms: i64,
) -> Result<()> {
    let replayed = webhook.replay().await?;
    // Repeats are updates of what the endpoint already has: only what is new is sent.
    let new = eastwest_model::Status::New;
    let mut events: Vec<serde_json::Value> = findings
        .iter()
        .filter(|f| f.status == new)
        .map(|f| eastwest_sinks::ocsf::ocsf(f, now_ms))
        .collect();
    events.extend(
        incidents
            .iter()
            .zip(statuses)
            .filter(|(_, s)| **s == new)
            .map(|(i, s)| eastwest_sinks::ocsf::incident(i, findings, *s, now_ms)),
    );
    let sent = webhook.send(&events).await?;
    if replayed.delivered + replayed.dead_lettered > 0 {
        diagnostic!(
            "webhook: {} earlier event(s) delivered from the dead letter, {} still kept there",
            replayed.delivered,
            replayed.dead_lettered
        );
    }
    diagnostic!(
        "webhook: {} event(s) delivered{}",
        sent.delivered,
        if sent.dead_lettered > 0 {
            format!(
                ", {} not delivered and kept in {WEBHOOK_DEAD_LETTER} for the next run",
                sent.dead_lettered
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

/// What the run did, on standard error: counts, detectors that could not run, suppressions.
fn summarise(outcome: &Outcome) {
    let new = outcome
        .findings
        .iter()
        .filter(|f| f.status == eastwest_model::Status::New)
        .count();
    diagnostic!(
        "detect: {} finding(s) ({new} new, {} update(s)), {} suppressed; {} connection rows; baseline {}",
        outcome.findings.len(),
        outcome.findings.len() - new,
        outcome.suppressed.len(),
        outcome.connections,
        outcome.baseline_source
    );
    for (id, why) in &outcome.not_run {
        diagnostic!("note: {id} did not run: {why}");
    }
    let mut reasons: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
    for s in &outcome.suppressed {
        *reasons
            .entry((s.finding.analytic.as_str(), s.reason.as_str()))
            .or_default() += 1;
    }
    for ((analytic, reason), count) in reasons {
        diagnostic!("note: {count} {analytic} finding(s) suppressed: {reason}");
    }
    for warning in &outcome.warnings {
        diagnostic!("warning: {warning}");
    }
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Arguments of `detectors`.
#[derive(Debug, clap::Args)]
pub struct DetectorsArgs {
    /// Also list the detectors of this directory.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Show the values this config sets.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs `detectors`: each detector with its ATT&CK ids, severity and thresholds.
pub fn list(args: DetectorsArgs) -> Result<ExitCode> {
    let config = config(args.config.as_deref())?;
    let (detectors, refused) = eastwest_detect::load_detectors(args.rules.as_deref())?;
    let mut text = String::new();
    for detector in &detectors {
        let h = detector.header();
        text.push_str(&format!(
            "{}  [{}] severity {} confidence {}{}{}\n  {}\n",
            h.id,
            h.attack.join(", "),
            h.severity,
            h.confidence,
            match (h.needs_baseline, h.baseline_optional) {
                (true, true) => ", compares with a baseline (all is new without one)",
                (true, false) => ", needs a baseline",
                _ => "",
            },
            if config.enabled(&h.id) {
                ""
            } else {
                ", DISABLED"
            },
            detector.origin()
        ));
        let set = config.thresholds(&h.id);
        for (name, threshold) in &h.thresholds {
            let value = set.get(name).copied().unwrap_or(threshold.default);
            text.push_str(&format!(
                "  {name} = {}{}  {}\n",
                eastwest_detect::rule::number(value),
                if set.contains_key(name) {
                    " (config)"
                } else {
                    ""
                },
                threshold.doc
            ));
        }
        text.push('\n');
    }
    if !refused.is_empty() {
        text.push_str(&format!("Sigma rules not run ({}):\n", refused.len()));
        for rule in &refused {
            text.push_str(&format!("  {rule}\n"));
        }
    }
    crate::findings::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `baseline`.
#[derive(Debug, clap::Args)]
pub struct BaselineArgs {
    #[command(subcommand)]
    command: BaselineCommand,
}

#[derive(Debug, clap::Subcommand)]
enum BaselineCommand {
    /// What the baseline under --state covers, and its rows per table (the largest first).
    Show {
        /// The state directory.
        #[arg(long)]
        state: PathBuf,
        /// Rows shown per table.
        #[arg(long, default_value_t = 20)]
        rows: usize,
    },
}

/// Runs `baseline show`.
pub async fn baseline(args: BaselineArgs, global: &Global) -> Result<ExitCode> {
    let BaselineCommand::Show { state, rows } = args.command;
    let Some(baseline) = Baseline::load(&state)? else {
        bail!(
            "{}: no baseline yet (run `eastwest detect --state {}` first)",
            state.display(),
            state.display()
        );
    };
    let meta = &baseline.meta;
    let time = |ms: Option<i64>| {
        ms.map(|ms| eastwest_model::time::Civil::from_ms(ms).iso_seconds())
            .unwrap_or_else(|| "-".into())
    };
    let mut text = format!(
        "baseline: {} h learned from {} to {}, {} run(s)\n",
        meta.learned_ms / 3_600_000,
        time(meta.learned_from_ms),
        time(meta.learned_until_ms),
        meta.runs
    );
    let engine = global.engine();
    baseline.register(&engine)?;
    for (name, sql) in [
        (
            "edges (peer group → peer on port)",
            "SELECT entity AS peer_group, peer, port, protocol, connections, days FROM baseline_edges WHERE scope = 'group' ORDER BY connections DESC, entity, peer, port",
        ),
        (
            "daily volume per host (bytes, the largest day)",
            "SELECT entity AS host, entity_group AS peer_group, destination, max(bytes_out) AS most_out, max(bytes_in) AS most_in, count(*) AS days FROM baseline_volume GROUP BY 1, 2, 3 ORDER BY most_out + most_in DESC, host, destination",
        ),
        (
            "distinct peers per hour (the most in a day)",
            "SELECT entity AS host, max(max_peers_per_hour) AS most, count(*) AS days FROM baseline_peers GROUP BY 1 ORDER BY most DESC, host",
        ),
    ] {
        let batches = engine
            .sql(&format!("{sql} LIMIT {rows}"))
            .await?
            .collect()
            .await?;
        text.push_str(&format!("\n{name}\n"));
        text.push_str(
            &datafusion::arrow::util::pretty::pretty_format_batches(&batches)?.to_string(),
        );
        text.push('\n');
    }
    for (table, count) in baseline.rows() {
        text.push_str(&format!("{table}: {count} rows\n"));
    }
    crate::findings::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs detection over a simulated estate (`<dir>/logs` with `<dir>/inventory`), as `eval` and
/// `demo` do: the authorised scanner named in the config, the first `learn_ms` learned.
pub async fn detect_simulated(
    dir: &Path,
    config: Config,
    learn_ms: i64,
    threads: usize,
) -> Result<Outcome> {
    let (inventory, _) = eastwest_inventory::load_dir(&dir.join("inventory"))
        .with_context(|| format!("{}: the simulated inventory", dir.display()))?;
    let flow = flow_options(None, Some(&inventory), None, None)?;
    let resolver = flow.resolver.clone();
    let engine = Engine::new(threads);
    // Every kind the simulator writes: flow logs, CloudTrail and DNS under AWSLogs/, host logs
    // under hosts/.
    let logs = dir.join("logs");
    engine
        .register_logs(&[logs.display().to_string()], flow)
        .await?;
    let options = DetectOptions {
        learn_ms,
        config,
        now_ms: now_ms(),
        ..DetectOptions::default()
    };
    Ok(eastwest_detect::detect(&engine, resolver.as_deref(), Some(&inventory), &options).await?)
}

/// The config eval and demo run with: the simulated estate's authorised scanner, as its
/// security team would name it.
pub const SIMULATED_CONFIG: &str =
    "# The estate's authorised vulnerability scanner: its sweeps are counted, not reported.
[scanners]
assets = [\"vuln-scanner\"]
";

/// [`SIMULATED_CONFIG`], parsed.
pub fn simulated_config() -> Result<Config> {
    Config::parse(SIMULATED_CONFIG).map_err(|e| anyhow::anyhow!("the simulated config: {e}"))
}
