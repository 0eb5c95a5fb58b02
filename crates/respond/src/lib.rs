//! Response: contain an instance, isolate it by NACL, revoke its role's sessions; planned,
//! journaled, applied, verified and reversible.
//!
//! A response is a list of [`Call`]s made from the instance's recorded state ([`state`]) by the
//! [`actions`]. Without `apply` the plan is printed and nothing changes (only describes are
//! made). With it, the recorded state and the plan go into the [`journal`] under `--state`
//! before the first call, each step is marked before and after it runs, and every call, result
//! and error is appended to the audit log; a run that stopped (an error, a killed process) is
//! resumed where it stopped by running the same command again, and a finished one is not
//! repeated. `release` plays the inverse of what containment did, in reverse order, back to
//! the recorded state; every end state is checked by describing the instance again.
#![deny(missing_docs)]

pub mod actions;
pub mod call;
pub mod exec;
pub mod journal;
pub mod state;
pub mod user;

use std::collections::BTreeMap;
use std::path::Path;

use eastwest_aws::{AwsContext, Config};
use serde_json::json;

pub use call::{Call, GroupRef, Purpose};
use exec::Clients;
use journal::{Journal, StepStatus};
pub use state::Recorded;
pub use user::{USER_DENY_POLICY, UserRecorded, revoke_user};

/// Name of the group with every rule open, used to untrack connections.
pub const ALLOW_ALL_GROUP: &str = "eastwest-allow-all";
/// Name of the isolation group.
pub const ISOLATION_GROUP: &str = "eastwest-isolation";
/// Tag set on a contained instance (its value: when).
pub const CONTAINED_TAG: &str = "eastwest:contained";
/// Tag naming the incident of a containment.
pub const INCIDENT_TAG: &str = "eastwest:incident";
/// Tag that forbids containment without `--force`.
pub const NEVER_CONTAIN_TAG: &str = "eastwest:never-contain";
/// Name of the session-revoking inline policy.
pub const REVOKE_POLICY: &str = "eastwest-revoke-older-sessions";

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum RespondError {
    /// An AWS call failed.
    #[error("{api}: {reason}")]
    Aws {
        /// The API.
        api: &'static str,
        /// The error.
        reason: String,
    },
    /// The instance does not exist (in this account and region).
    #[error("no instance {0} in this account and region")]
    NotFound(String),
    /// A safety rule refused.
    #[error("refused: {0}")]
    Refused(String),
    /// A step failed; the run is journaled and resumes from this step when run again.
    #[error(
        "step {seq} ({call}) failed: {reason}; nothing after it ran. Run the same command again to resume"
    )]
    Step {
        /// The step's number (from 1).
        seq: usize,
        /// The call.
        call: String,
        /// The error.
        reason: String,
    },
    /// The journal could not be read or written.
    #[error("journal: {0}")]
    Journal(String),
    /// Needs the journal of an earlier run.
    #[error("{0}")]
    Usage(String),
}

/// What `contain` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct ContainOptions {
    /// Deny entries in the subnets' NACLs too.
    pub nacl: bool,
    /// Deny the role's sessions issued before now.
    pub revoke_sessions: bool,
    /// Snapshot the volumes first.
    pub snapshot: bool,
    /// The incident, for the tag.
    pub incident: Option<String>,
    /// SSH into the isolation group from this range.
    pub forensic_cidr: Option<String>,
    /// SSH into the isolation group from this group.
    pub forensic_group: Option<String>,
    /// Contain even an instance tagged `eastwest:never-contain`.
    pub force: bool,
    /// The instance eastwest runs on, which it must not cut itself off from.
    pub self_instance: Option<String>,
    /// Now, RFC 3339 (the tag's value and the revocation's cut-off).
    pub now_rfc3339: String,
    /// Now, epoch milliseconds (the journal).
    pub now_ms: i64,
    /// What started it when it is automatic (the finding, by the config's response policy);
    /// written to the audit log with the plan.
    pub trigger: Option<serde_json::Value>,
}

/// What a command did or would do, to print.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Lines for the user: the plan, each step's result, the verification.
    pub lines: Vec<String>,
    /// Whether anything was changed.
    pub changed: bool,
    /// What the end state check found wrong (empty: as expected).
    pub mismatches: Vec<String>,
}

/// The policy that denies a role's sessions issued before `cutoff` (RFC 3339).
pub fn revoke_policy(role: &str, cutoff: &str) -> Call {
    let document = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}
        }]
    });
    Call::PutRolePolicy {
        role: role.to_string(),
        name: REVOKE_POLICY.to_string(),
        document: document.to_string(),
    }
}

/// A recorded state as the journal stores it.
fn to_value(recorded: &impl serde::Serialize) -> Result<serde_json::Value, RespondError> {
    serde_json::to_value(recorded).map_err(|e| RespondError::Journal(e.to_string()))
}

/// The configuration of the context's first region, where instances are looked for.
fn regional(aws: &AwsContext) -> Config {
    let region = aws.regions().swap_remove(0);
    AwsContext::in_region(aws.config(), &region)
}

/// Contains `instance`: plans, and with `apply` (which needs `state`) applies and verifies.
pub async fn contain(
    aws: &AwsContext,
    instance: &str,
    options: &ContainOptions,
    state: Option<&Path>,
    apply: bool,
) -> Result<Outcome, RespondError> {
    let config = regional(aws);
    let clients = Clients::new(&config);
    let mut outcome = Outcome::default();
    let mut journal = match (apply, state) {
        (true, Some(dir)) => Some(Journal::open(dir)?),
        (true, None) => {
            return Err(RespondError::Usage(
                "--apply needs --state DIR for the journal".into(),
            ));
        }
        (false, Some(dir)) if dir.join("respond.sqlite").exists() => Some(Journal::open(dir)?),
        (false, _) => None,
    };
    let last = match &journal {
        Some(j) => j.latest(&["contain", "release"], instance)?,
        None => None,
    };
    let (run, recorded, plan) = match last {
        Some(run) if run.command == "contain" && run.status == "done" => {
            let recorded: Recorded = run.recorded_as()?;
            outcome.lines.push(format!(
                "{instance} is already contained (run {}); nothing to do",
                run.id
            ));
            outcome.mismatches = verify_contained(&config, &clients, &recorded, &run.steps).await?;
            return Ok(outcome);
        }
        Some(run) if run.command == "contain" && run.status == "running" => {
            outcome
                .lines
                .push(format!("resuming run {} where it stopped", run.id));
            let recorded: Recorded = run.recorded_as()?;
            (Some(run.id), recorded, run.steps)
        }
        Some(run) if run.command == "release" && run.status == "running" => {
            return Err(RespondError::Usage(format!(
                "a release of {instance} (run {}) did not finish: run `eastwest release {instance} --apply` first",
                run.id
            )));
        }
        _ => {
            let recorded = state::record(&config, instance).await?;
            if recorded.tags.contains_key(NEVER_CONTAIN_TAG) && !options.force {
                return Err(RespondError::Refused(format!(
                    "{instance} is tagged {NEVER_CONTAIN_TAG}; --force contains it anyway"
                )));
            }
            if options.self_instance.as_deref() == Some(instance) {
                return Err(RespondError::Refused(format!(
                    "{instance} is the instance eastwest runs on: containing it would cut eastwest off mid-way"
                )));
            }
            let plan: Vec<(Call, StepStatus)> = actions::ACTIONS
                .iter()
                .flat_map(|a| a.plan(&recorded, options))
                .map(|c| (c, StepStatus::Planned))
                .collect();
            (None, recorded, plan)
        }
    };
    outcome.lines.push(format!(
        "{instance}: {} interface(s) in {}, groups {}, termination protection {}, role {}",
        recorded.enis.len(),
        recorded.vpc,
        recorded
            .enis
            .iter()
            .map(|e| format!("{}=[{}]", e.eni, e.groups.join(",")))
            .collect::<Vec<_>>()
            .join(" "),
        if recorded.termination_protection {
            "on"
        } else {
            "off"
        },
        recorded.role.as_deref().unwrap_or("none"),
    ));
    if options.nacl {
        outcome.lines.push(
            "note: a NACL stops traffic crossing the subnet boundary only; hosts in the same subnet still reach it (the isolation group stops them)".into(),
        );
    }
    if !apply {
        outcome.lines.push(format!(
            "plan ({} calls; nothing changed, --apply to run):",
            plan.len()
        ));
        for (i, (call, _)) in plan.iter().enumerate() {
            outcome
                .lines
                .push(format!("  {:>2}. {}", i + 1, call.describe()));
        }
        return Ok(outcome);
    }
    let journal = journal.as_mut().expect("apply has a journal");
    let run = match run {
        Some(id) => id,
        None => {
            let calls: Vec<Call> = plan.iter().map(|(c, _)| c.clone()).collect();
            let run = journal.begin(
                "contain",
                instance,
                options.incident.as_deref(),
                Some(&to_value(&recorded)?),
                &calls,
                options.now_ms,
            )?;
            if let Some(trigger) = &options.trigger {
                journal.audit(json!({"time_ms": options.now_ms, "run": run, "event": "automatic", "trigger": trigger}))?;
            }
            run
        }
    };
    execute(journal, &clients, run, &plan, options.now_ms, &mut outcome).await?;
    journal.finish(run, "done", options.now_ms)?;
    let steps: Vec<(Call, StepStatus)> = plan
        .into_iter()
        .map(|(c, _)| (c, StepStatus::Done))
        .collect();
    outcome.mismatches = verify_contained(&config, &clients, &recorded, &steps).await?;
    Ok(outcome)
}

/// Runs the steps not done yet, journaling each before and after.
async fn execute(
    journal: &Journal,
    clients: &Clients,
    run: i64,
    plan: &[(Call, StepStatus)],
    now_ms: i64,
    outcome: &mut Outcome,
) -> Result<(), RespondError> {
    for (seq, (call, status)) in plan.iter().enumerate() {
        if *status == StepStatus::Done {
            outcome.lines.push(format!(
                "  {:>2}. done before: {}",
                seq + 1,
                call.describe()
            ));
            continue;
        }
        journal.step(run, seq, StepStatus::Started, None)?;
        journal.audit(
            json!({"time_ms": now_ms, "run": run, "seq": seq + 1, "event": "call", "call": call}),
        )?;
        match clients.run(call).await {
            Ok(result) => {
                journal.step(run, seq, StepStatus::Done, Some(&result))?;
                journal.audit(json!({"time_ms": now_ms, "run": run, "seq": seq + 1, "event": "done", "result": result}))?;
                outcome.changed = true;
                outcome
                    .lines
                    .push(format!("  {:>2}. {} -> {result}", seq + 1, call.describe()));
            }
            Err(reason) => {
                journal.audit(json!({"time_ms": now_ms, "run": run, "seq": seq + 1, "event": "error", "error": reason}))?;
                return Err(RespondError::Step {
                    seq: seq + 1,
                    call: call.describe(),
                    reason,
                });
            }
        }
    }
    Ok(())
}

/// The calls that undo `done` (steps of a containment that ran, or may have), newest first,
/// back to `recorded`.
pub fn inverse(recorded: &Recorded, done: &[Call]) -> Vec<Call> {
    let mut out: Vec<Call> = Vec::new();
    let mut enis_restored = std::collections::BTreeSet::new();
    for call in done.iter().rev() {
        let undo = match call {
            Call::SetEniGroups { eni, .. } => {
                if !enis_restored.insert(eni.clone()) {
                    continue;
                }
                let groups = recorded
                    .enis
                    .iter()
                    .find(|e| &e.eni == eni)
                    .map(|e| e.groups.iter().cloned().map(GroupRef::Id).collect())
                    .unwrap_or_default();
                Some(Call::SetEniGroups {
                    eni: eni.clone(),
                    groups,
                })
            }
            Call::CreateNaclEntry {
                acl,
                number,
                egress,
                ..
            } => Some(Call::DeleteNaclEntry {
                acl: acl.clone(),
                number: *number,
                egress: *egress,
            }),
            Call::SetTerminationProtection { instance, .. } => {
                Some(Call::SetTerminationProtection {
                    instance: instance.clone(),
                    on: recorded.termination_protection,
                })
            }
            Call::CreateTags { resource, tags } => {
                let (had, new): (Vec<&String>, Vec<&String>) =
                    tags.keys().partition(|k| recorded.tags.contains_key(*k));
                if !had.is_empty() {
                    out.push(Call::CreateTags {
                        resource: resource.clone(),
                        tags: had
                            .iter()
                            .map(|k| ((*k).clone(), recorded.tags[*k].clone()))
                            .collect::<BTreeMap<_, _>>(),
                    });
                }
                (!new.is_empty()).then(|| Call::DeleteTags {
                    resource: resource.clone(),
                    keys: new.into_iter().cloned().collect(),
                })
            }
            Call::PutRolePolicy { role, name, .. } if !recorded.role_policies.contains(name) => {
                Some(Call::DeleteRolePolicy {
                    role: role.clone(),
                    name: name.clone(),
                })
            }
            Call::DeregisterTarget { group, id, port } => Some(Call::RegisterTarget {
                group: group.clone(),
                id: id.clone(),
                port: *port,
            }),
            Call::EnterStandby { group, instance } => Some(Call::ExitStandby {
                group: group.clone(),
                instance: instance.clone(),
            }),
            // Managed groups stay for the next containment; snapshots are evidence.
            _ => None,
        };
        out.extend(undo);
    }
    out
}

/// Releases `instance` back to the state its containment recorded.
pub async fn release(
    aws: &AwsContext,
    instance: &str,
    state: &Path,
    apply: bool,
    now_ms: i64,
) -> Result<Outcome, RespondError> {
    let config = regional(aws);
    let clients = Clients::new(&config);
    let mut outcome = Outcome::default();
    if !state.join("respond.sqlite").exists() {
        return Err(RespondError::Usage(format!(
            "{}: no journal here; release restores what `contain --apply --state` recorded",
            state.display()
        )));
    }
    let mut journal = Journal::open(state)?;
    let Some(last) = journal.latest(&["contain", "release"], instance)? else {
        return Err(RespondError::Usage(format!(
            "{instance} was never contained with this --state"
        )));
    };
    let contained = journal.latest(&["contain"], instance)?.ok_or_else(|| {
        RespondError::Usage(format!("{instance} was never contained with this --state"))
    })?;
    let recorded: Recorded = contained.recorded_as()?;
    let (run, plan) = match last.command.as_str() {
        "release" if last.status == "done" => {
            outcome.lines.push(format!(
                "{instance} was released (run {}); nothing to do",
                last.id
            ));
            outcome.mismatches = verify_released(&config, &recorded).await?;
            return Ok(outcome);
        }
        "release" => {
            outcome
                .lines
                .push(format!("resuming release run {} where it stopped", last.id));
            (Some(last.id), last.steps)
        }
        _ => {
            let done: Vec<Call> = contained
                .steps
                .iter()
                .filter(|(_, s)| *s != StepStatus::Planned)
                .map(|(c, _)| c.clone())
                .collect();
            let plan = inverse(&recorded, &done)
                .into_iter()
                .map(|c| (c, StepStatus::Planned))
                .collect();
            (None, plan)
        }
    };
    if !apply {
        outcome.lines.push(format!(
            "plan ({} calls; nothing changed, --apply to run):",
            plan.len()
        ));
        for (i, (call, _)) in plan.iter().enumerate() {
            outcome
                .lines
                .push(format!("  {:>2}. {}", i + 1, call.describe()));
        }
        return Ok(outcome);
    }
    let run = match run {
        Some(id) => id,
        None => {
            let calls: Vec<Call> = plan.iter().map(|(c, _)| c.clone()).collect();
            journal.begin(
                "release",
                instance,
                None,
                Some(&to_value(&recorded)?),
                &calls,
                now_ms,
            )?
        }
    };
    execute(&journal, &clients, run, &plan, now_ms, &mut outcome).await?;
    journal.finish(run, "done", now_ms)?;
    journal.finish(contained.id, "released", now_ms)?;
    outcome.mismatches = verify_released(&config, &recorded).await?;
    Ok(outcome)
}

/// A finished containment: when it ended and what identifies the host in flow logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Containment {
    /// The run.
    pub run: i64,
    /// When it finished, epoch ms.
    pub finished_ms: i64,
    /// The host's private addresses, as recorded.
    pub addresses: Vec<String>,
    /// Its network interfaces.
    pub interfaces: Vec<String>,
}

/// The containment of `instance` in force under `state` (finished and not released), if any.
pub fn containment(state: &Path, instance: &str) -> Result<Option<Containment>, RespondError> {
    if !state.join("respond.sqlite").exists() {
        return Ok(None);
    }
    let journal = Journal::open(state)?;
    let Some(run) = journal.latest(&["contain"], instance)? else {
        return Ok(None);
    };
    let (true, Some(finished_ms)) = (run.status == "done", run.finished_ms) else {
        return Ok(None);
    };
    let recorded: Recorded = run.recorded_as()?;
    Ok(Some(Containment {
        run: run.id,
        finished_ms,
        addresses: recorded
            .enis
            .iter()
            .flat_map(|e| e.addresses.iter().cloned())
            .collect(),
        interfaces: recorded.enis.iter().map(|e| e.eni.clone()).collect(),
    }))
}

/// Revokes a role's sessions issued before now (or, with `undo`, removes that revocation).
pub async fn revoke(
    aws: &AwsContext,
    role: &str,
    undo: bool,
    state: Option<&Path>,
    apply: bool,
    now_rfc3339: &str,
    now_ms: i64,
) -> Result<Outcome, RespondError> {
    let config = regional(aws);
    let clients = Clients::new(&config);
    let mut outcome = Outcome::default();
    let call = if undo {
        Call::DeleteRolePolicy {
            role: role.to_string(),
            name: REVOKE_POLICY.to_string(),
        }
    } else {
        revoke_policy(role, now_rfc3339)
    };
    if !apply {
        outcome
            .lines
            .push("plan (1 call; nothing changed, --apply to run):".into());
        outcome.lines.push(format!("   1. {}", call.describe()));
        return Ok(outcome);
    }
    let state = state
        .ok_or_else(|| RespondError::Usage("--apply needs --state DIR for the journal".into()))?;
    let mut journal = Journal::open(state)?;
    let command = if undo { "unrevoke" } else { "revoke" };
    let run = journal.begin(
        command,
        role,
        None,
        None,
        std::slice::from_ref(&call),
        now_ms,
    )?;
    execute(
        &journal,
        &clients,
        run,
        &[(call, StepStatus::Planned)],
        now_ms,
        &mut outcome,
    )
    .await?;
    journal.finish(run, "done", now_ms)?;
    let policies = state::role_policies(&config, role).await?;
    if policies.iter().any(|p| p == REVOKE_POLICY) == undo {
        outcome.mismatches.push(format!(
            "{role}: {REVOKE_POLICY} is {} after the call",
            if undo { "still there" } else { "missing" }
        ));
    }
    Ok(outcome)
}

/// Checks a contained instance: every interface in the isolation group only, termination
/// protection on, the tags set, the NACL entries and the revocation in place.
async fn verify_contained(
    config: &Config,
    clients: &Clients,
    recorded: &Recorded,
    steps: &[(Call, StepStatus)],
) -> Result<Vec<String>, RespondError> {
    let now = state::record(config, &recorded.instance).await?;
    let mut wrong = Vec::new();
    let isolation = clients
        .find_group(&recorded.vpc, ISOLATION_GROUP)
        .await
        .map_err(|reason| RespondError::Aws {
            api: "ec2:DescribeSecurityGroups",
            reason,
        })?;
    for eni in &now.enis {
        if isolation.as_ref().is_none_or(|g| eni.groups != [g.clone()]) {
            wrong.push(format!(
                "{} is in [{}], not only in {ISOLATION_GROUP}",
                eni.eni,
                eni.groups.join(", ")
            ));
        }
    }
    if !now.termination_protection {
        wrong.push("termination protection is off".into());
    }
    if !now.tags.contains_key(CONTAINED_TAG) {
        wrong.push(format!("the {CONTAINED_TAG} tag is missing"));
    }
    for (call, _) in steps {
        match call {
            Call::CreateNaclEntry {
                acl,
                number,
                egress,
                ..
            } => {
                let used = now.nacls.iter().find(|n| &n.id == acl).map(|n| {
                    if *egress {
                        &n.egress_numbers
                    } else {
                        &n.ingress_numbers
                    }
                });
                if used.is_none_or(|u| !u.contains(number)) {
                    wrong.push(format!("{acl} has no rule {number} (egress {egress})"));
                }
            }
            Call::PutRolePolicy { role, name, .. } if !now.role_policies.contains(name) => {
                wrong.push(format!("{role} has no {name}"));
            }
            _ => {}
        }
    }
    Ok(wrong)
}

/// Checks a released instance against what was recorded before containment.
async fn verify_released(
    config: &Config,
    recorded: &Recorded,
) -> Result<Vec<String>, RespondError> {
    let now = state::record(config, &recorded.instance).await?;
    let mut wrong = Vec::new();
    if now.enis != recorded.enis {
        wrong.push(format!(
            "interfaces and groups differ: {:?} (recorded {:?})",
            now.enis, recorded.enis
        ));
    }
    if now.termination_protection != recorded.termination_protection {
        wrong.push("termination protection differs from the recorded state".into());
    }
    if now.tags != recorded.tags {
        wrong.push(format!(
            "tags differ: {:?} (recorded {:?})",
            now.tags, recorded.tags
        ));
    }
    if now.nacls != recorded.nacls {
        wrong.push("NACL entries differ from the recorded state".into());
    }
    if now.role_policies != recorded.role_policies {
        wrong.push(format!(
            "role policies differ: {:?} (recorded {:?})",
            now.role_policies, recorded.role_policies
        ));
    }
    if now.auto_scaling != recorded.auto_scaling {
        wrong.push("autoscaling state differs from the recorded state".into());
    }
    if now.target_groups != recorded.target_groups {
        wrong.push("target-group registrations differ from the recorded state".into());
    }
    Ok(wrong)
}
