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
        incident: args.incident,
        forensic_cidr: args.forensic_cidr,
        forensic_group: args.forensic_group,
        force: args.force,
        self_instance: eastwest_aws::own_instance_id().await,
        now_rfc3339,
        now_ms,
    };
    let aws = global.aws().await;
    let outcome = eastwest_respond::contain(
        aws,
        &args.instance,
        &options,
        args.state.as_deref(),
        args.apply,
    )
    .await?;
    finish(outcome)
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
