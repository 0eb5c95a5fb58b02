//! `eastwest eval`: simulates every scenario and a benign-only estate, runs detection with
//! default settings, and writes the evaluation report (EVALUATION.md). A report, not a test:
//! re-run it whenever a detector changes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use eastwest_sim::eval::{Detection, score};
use eastwest_sim::{FlowFormat, SimOptions};

use crate::Global;

/// Arguments of `eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Where to write the report.
    #[arg(long, default_value = "EVALUATION.md")]
    pub report: PathBuf,
    /// Where the simulations go (kept); default: a temporary directory.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// EC2 instances per estate.
    #[arg(long, default_value_t = 24)]
    pub hosts: usize,
    /// Days per estate after the learning day.
    #[arg(long, default_value_t = 1.0)]
    pub days: f64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Runs `eval`.
pub async fn run(args: EvalArgs, global: &Global) -> Result<ExitCode> {
    let (dir, _temporary) = crate::simulate::state_dir(args.state.as_deref())?;
    let base = SimOptions {
        hosts: args.hosts,
        // One quiet day to learn the baseline from, then the evaluated days.
        days: args.days + 1.0,
        quiet_days: 1.0,
        seed: args.seed,
        format: FlowFormat::V5,
        threads: global.threads,
        ..SimOptions::default()
    };
    let attacked = SimOptions {
        out: dir.join("attacked"),
        scenarios: vec!["all".into()],
        ..base.clone()
    };
    let benign = SimOptions {
        out: dir.join("benign"),
        scenarios: vec![],
        ..base.clone()
    };
    let quiet = global.quiet;
    let (attacked_summary, benign_summary) = tokio::task::spawn_blocking(move || -> Result<_> {
        Ok((
            crate::simulate::run_simulation(&attacked, quiet)?,
            crate::simulate::run_simulation(&benign, quiet)?,
        ))
    })
    .await??;
    let learn_ms = eastwest_model::time::MS_PER_DAY;
    let attacked_run = crate::detect::detect_simulated(
        &dir.join("attacked"),
        crate::detect::simulated_config()?,
        learn_ms,
        global.threads,
    )
    .await?;
    let benign_run = crate::detect::detect_simulated(
        &dir.join("benign"),
        crate::detect::simulated_config()?,
        learn_ms,
        global.threads,
    )
    .await?;
    let detectors: Vec<String> = attacked_run.ran.clone();
    // Informational findings are context (the internet's background), not alerts: they are
    // neither detections nor false positives.
    let alerts = |outcome: &eastwest_detect::Outcome| -> Vec<Detection> {
        let incidents = eastwest_correlate::correlate(&outcome.findings);
        let zero_of = |uid: &str| {
            incidents
                .iter()
                .find(|i| i.members.iter().any(|m| m == uid))
                .and_then(|i| i.patient_zero.clone())
        };
        outcome
            .findings
            .iter()
            .filter(|f| f.severity > eastwest_model::Severity::Informational)
            .map(|f| Detection {
                detector: f.analytic.clone(),
                techniques: f.technique_ids(),
                entities: f.entities(),
                first_seen_ms: f.first_seen_ms,
                patient_zero: zero_of(&f.uid),
            })
            .collect()
    };
    let benign_incidents = eastwest_correlate::correlate(&benign_run.findings).len();
    let found = alerts(&attacked_run);
    let false_positives = alerts(&benign_run);
    for f in benign_run.findings.iter() {
        diagnostic!("eval: benign estate finding: {} {}", f.analytic, f.title);
    }
    let host_days = benign_summary.instances as f64 * args.days;
    let evaluation = score(
        &attacked_summary.truth,
        &found,
        &false_positives,
        host_days,
        benign_incidents,
        detectors,
    );
    let setup = format!(
        "Produced by `eastwest eval --hosts {} --days {} --seed {}`: two simulated estates of {} instances over one learning day and {} evaluated day(s), one with all {} attack scenarios ({} flow-log records) and one benign only ({} flow-log records), flow logs in version 5; detection with default thresholds, the baseline learned from the first day, the authorised vulnerability scanner named in the config (`[scanners] assets = [\"vuln-scanner\"]`). False positives count every finding above informational on the benign estate.",
        args.hosts,
        args.days,
        args.seed,
        attacked_summary.instances,
        args.days,
        attacked_summary.truth.len(),
        attacked_summary.flow_records,
        benign_summary.flow_records
    );
    std::fs::write(&args.report, evaluation.markdown(&setup))
        .with_context(|| format!("--report {}", args.report.display()))?;
    let found = evaluation
        .scenarios
        .iter()
        .filter(|s| s.found_by.is_some())
        .count();
    diagnostic!(
        "eval: found {found} of {} scenarios, {:.2} false positives per 100 host-days; report written to {}",
        evaluation.scenarios.len(),
        evaluation.false_positives_per_100_host_days(),
        args.report.display()
    );
    Ok(ExitCode::SUCCESS)
}
