//! `eastwest contain`, `release` and `revoke`: the response commands. Planning, journaling,
//! applying and verifying live in `eastwest-respond`; this prints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use eastwest_respond::{ContainOptions, Outcome};

use crate::{EXIT_BAD_INPUT, Global};

/// `eastwest contain`.
#[derive(Debug, clap::Args)]
pub struct ContainArgs {
    /// The instance (`i-...`), in the first of --region (default: the configured region).
    pub instance: String,
    /// Make the changes (without it: print the exact calls and change nothing).
    #[arg(long)]
    pub apply: bool,
    /// Where the journal and audit log live (needed with --apply, and by release).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Also deny the host's addresses in its subnets' NACLs, both directions.
    #[arg(long)]
    pub nacl: bool,
    /// Also deny the instance role's sessions issued before now.
    #[arg(long)]
    pub revoke_sessions: bool,
    /// Snapshot its EBS volumes first (kept on release).
    #[arg(long)]
    pub snapshot: bool,
    /// The incident, tagged on the instance.
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Allow SSH into the isolation group from this range (the forensic workstation).
    #[arg(long, value_name = "CIDR")]
    pub forensic_cidr: Option<String>,
    /// Allow SSH into the isolation group from this security group.
    #[arg(long, value_name = "SG")]
    pub forensic_group: Option<String>,
    /// Contain even an instance tagged eastwest:never-contain.
    #[arg(long)]
    pub force: bool,
    /// Confirm from these flow logs (files, directories, s3:// prefixes; repeatable) that no
    /// accepted traffic reached or left the instance after its containment finished. Run it
    /// again later, when the logs of the time since have been delivered.
    #[arg(long, value_name = "INPUT")]
    pub flows: Vec<String>,
    /// The flow logs' format, for inputs without a header line.
    #[arg(long, value_name = "FORMAT")]
    pub flow_format: Option<String>,
}

/// `eastwest release`.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The contained instance.
    pub instance: String,
    /// Make the changes (without it: print the calls).
    #[arg(long)]
    pub apply: bool,
    /// The --state of the containment (its journal holds the recorded state).
    #[arg(long, value_name = "DIR")]
    pub state: PathBuf,
}

/// `eastwest revoke`.
#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    /// The role whose sessions issued before now are denied.
    #[arg(required_unless_present = "user", conflicts_with = "user")]
    pub role: Option<String>,
    /// An IAM user instead: its active access keys made inactive and every action denied to
    /// it (console session included); recorded, so --undo restores exactly what was there.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Remove the revocation instead.
    #[arg(long)]
    pub undo: bool,
    /// Make the change (without it: print the call).
    #[arg(long)]
    pub apply: bool,
    /// Where the journal and audit log live (needed with --apply).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
}

fn now() -> (String, i64) {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    (eastwest_model::time::Civil::from_ms(ms).iso_seconds(), ms)
}

fn finish(outcome: Outcome) -> Result<ExitCode> {
    let mut console = eastwest_sinks::Console::stdout();
    for line in &outcome.lines {
        if console.line(&eastwest_sinks::printable(line)).is_err() {
            return Ok(ExitCode::SUCCESS);
        }
    }
    if outcome.mismatches.is_empty() {
        if outcome.changed {
            let _ = console.line("verified: the end state is as planned");
        }
        Ok(ExitCode::SUCCESS)
    } else {
        for m in &outcome.mismatches {
            diagnostic!("not as planned: {m}");
        }
        Ok(ExitCode::from(EXIT_BAD_INPUT))
    }
}

/// Runs `contain`.
pub async fn contain(args: ContainArgs, global: &Global) -> Result<ExitCode> {
    if args.apply && args.state.is_none() {
        bail!(
            "--apply needs --state DIR: the journal that makes the containment resumable and reversible"
        );
    }
    let (now_rfc3339, now_ms) = now();
    let options = ContainOptions {
        nacl: args.nacl,
        revoke_sessions: args.revoke_sessions,
        snapshot: args.snapshot,
        incident: args.incident.clone(),
        forensic_cidr: args.forensic_cidr.clone(),
        forensic_group: args.forensic_group.clone(),
        force: args.force,
        self_instance: eastwest_aws::own_instance_id().await,
        now_rfc3339,
        now_ms,
        trigger: None,
    };
    let aws = global.aws().await;
    let mut outcome = eastwest_respond::contain(
        aws,
        &args.instance,
        &options,
        args.state.as_deref(),
        args.apply,
    )
    .await?;
    if !args.flows.is_empty() {
        confirm_from_flows(&args, global, &mut outcome).await?;
    }
    finish(outcome)
}

/// `--flows`: the instance's traffic after its containment, from the flow logs.
async fn confirm_from_flows(
    args: &ContainArgs,
    global: &Global,
    outcome: &mut Outcome,
) -> Result<()> {
    let Some(state) = &args.state else {
        bail!("--flows needs --state DIR: the journal says when the containment finished");
    };
    let Some(contained) = eastwest_respond::containment(state, &args.instance)? else {
        outcome.lines.push(format!(
            "flow logs: {} has no finished containment under {}; nothing to confirm",
            args.instance,
            state.display()
        ));
        return Ok(());
    };
    let since = eastwest_model::time::Civil::from_ms(contained.finished_ms).iso_seconds();
    let mut flow = crate::query::flow_options(args.flow_format.as_deref(), None, None, None)?;
    // Records that end before the containment cannot hold traffic after it: dated paths and
    // records before it are not read.
    flow.window.since_ms = Some(contained.finished_ms);
    flow.aws = global.aws_for(&args.flows).await;
    let engine = global.engine();
    let report = engine.register_logs(&args.flows, flow).await?;
    let quiet = engine
        .traffic_after(
            &contained.addresses,
            &contained.interfaces,
            contained.finished_ms,
            10,
        )
        .await?;
    let host = &args.instance;
    if quiet.accepted > 0 {
        outcome.mismatches.push(format!(
            "{} accepted flow record(s) reached or left {host} after its containment finished at {since}",
            quiet.accepted
        ));
        for r in &quiet.samples {
            outcome.lines.push(format!(
                "  {}:{} {} -> {}{} at {}",
                r.file,
                r.line,
                r.src,
                r.dst,
                r.dstport.map(|p| format!(":{p}")).unwrap_or_default(),
                eastwest_model::time::Civil::from_ms(r.start_ms).iso_seconds()
            ));
        }
    } else if quiet.host_records > 0 {
        outcome.lines.push(format!(
            "confirmed from the flow logs: {} record(s) of {host} after {since}, none accepted",
            quiet.host_records
        ));
    } else if quiet.records_after > 0 {
        outcome.lines.push(format!(
            "confirmed from the flow logs: no record of {host} among {} after {since}",
            quiet.records_after
        ));
    } else {
        outcome.lines.push(format!(
            "flow logs: no record after {since} in what was read; nothing confirmed yet (run again once later logs are delivered)"
        ));
    }
    if quiet.straddling > 0 {
        outcome.lines.push(format!(
            "note: {} accepted record(s) of {host} began before {since} and ended after it (an interval spans the change; not proof of traffic after it)",
            quiet.straddling
        ));
    }
    if crate::query::print_problems(&report) {
        outcome
            .mismatches
            .push("some flow-log input could not be read: the confirmation is incomplete".into());
    }
    Ok(())
}

/// Runs `release`.
pub async fn release(args: ReleaseArgs, global: &Global) -> Result<ExitCode> {
    let (_, now_ms) = now();
    let outcome = eastwest_respond::release(
        global.aws().await,
        &args.instance,
        &args.state,
        args.apply,
        now_ms,
    )
    .await?;
    finish(outcome)
}

/// Runs `revoke`.
pub async fn revoke(args: RevokeArgs, global: &Global) -> Result<ExitCode> {
    let (now_rfc3339, now_ms) = now();
    if let Some(user) = &args.user {
        let outcome = eastwest_respond::revoke_user(
            global.aws().await,
            user,
            args.undo,
            args.state.as_deref(),
            args.apply,
            now_ms,
        )
        .await?;
        return finish(outcome);
    }
    let Some(role) = &args.role else {
        bail!("name a ROLE or --user USER");
    };
    let outcome = eastwest_respond::revoke(
        global.aws().await,
        role,
        args.undo,
        args.state.as_deref(),
        args.apply,
        &now_rfc3339,
        now_ms,
    )
    .await?;
    finish(outcome)
}

/// Automatic response after `detect`: contains (or, in plan mode, plans the containment of) the
/// instances the config's `[response]` policy chooses from the run's findings, each journaled
/// under `state` like a manual containment. Says what it did on standard error; returns false
/// when a containment failed or did not verify.
pub async fn automatic(
    policy: &eastwest_detect::response::Policy,
    findings: &[eastwest_model::Finding],
    resolver: Option<&eastwest_inventory::Resolver>,
    state: Option<&std::path::Path>,
    global: &Global,
) -> Result<bool> {
    use eastwest_detect::response::{Mode, choose};
    let asset = |endpoint: &eastwest_model::Endpoint| {
        let resolver = resolver?;
        endpoint
            .interface_uid
            .as_deref()
            .and_then(|eni| resolver.by_eni(eni))
            .or_else(|| {
                endpoint
                    .instance_uid
                    .as_deref()
                    .and_then(|i| resolver.by_instance(i).into_iter().next())
            })
    };
    let already = |instance: &str| {
        state.is_some_and(|s| {
            eastwest_respond::containment(s, instance)
                .ok()
                .flatten()
                .is_some()
        })
    };
    let choice = choose(policy, findings, asset, already);
    for (candidate, why) in &choice.excluded {
        diagnostic!(
            "response: {} ({}) not contained: {why}",
            candidate.instance,
            candidate.analytic
        );
    }
    for candidate in &choice.over_limit {
        diagnostic!(
            "response: {} ({}: {}) not contained: the per-run limit of {} is reached; contain it by hand if it must be (eastwest contain {})",
            candidate.instance,
            candidate.analytic,
            eastwest_sinks::printable(&candidate.title),
            policy.max_instances,
            candidate.instance
        );
    }
    if choice.contain.is_empty() {
        return Ok(true);
    }
    let apply = policy.mode == Mode::Apply;
    let aws = global.aws().await;
    let self_instance = eastwest_aws::own_instance_id().await;
    let mut all_well = true;
    for candidate in &choice.contain {
        let (now_rfc3339, now_ms) = now();
        let options = ContainOptions {
            nacl: policy.nacl,
            revoke_sessions: policy.revoke_sessions,
            snapshot: policy.snapshot,
            incident: Some(candidate.finding_uid.clone()),
            forensic_cidr: policy.forensic_cidr.clone(),
            forensic_group: policy.forensic_group.clone(),
            force: false,
            self_instance: self_instance.clone(),
            now_rfc3339,
            now_ms,
            trigger: Some(serde_json::json!({
                "finding": candidate.finding_uid,
                "analytic": candidate.analytic,
                "severity": candidate.severity,
                "title": candidate.title,
            })),
        };
        diagnostic!(
            "response: {} {} for {} ({})",
            if apply { "containing" } else { "would contain" },
            candidate.instance,
            candidate.analytic,
            eastwest_sinks::printable(&candidate.title)
        );
        match eastwest_respond::contain(aws, &candidate.instance, &options, state, apply).await {
            Ok(outcome) => {
                for line in &outcome.lines {
                    diagnostic!("response:   {}", eastwest_sinks::printable(line));
                }
                for m in &outcome.mismatches {
                    diagnostic!("response: {}: not as planned: {m}", candidate.instance);
                    all_well = false;
                }
                if apply && outcome.mismatches.is_empty() {
                    diagnostic!("response: {} contained and verified", candidate.instance);
                }
            }
            Err(e) => {
                diagnostic!("response: {}: {e}", candidate.instance);
                all_well = false;
            }
        }
    }
    Ok(all_well)
}
