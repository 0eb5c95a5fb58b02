//! `revoke --user USER`: an IAM user's access keys made inactive and every action denied to it
//! (its console session included), recorded first so `--undo` puts back exactly what was there.
//!
//! The console password is left in place on purpose: deleting the login profile cannot be
//! undone (the password is gone), while a deny-all inline policy stops the console session at
//! its next request and is removed as easily as it was added.

use std::path::Path;

use eastwest_aws::{AwsContext, Config, error_text};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::call::Call;
use crate::exec::Clients;
use crate::journal::{Journal, StepStatus};
use crate::{Outcome, RespondError, execute, regional, to_value};

/// Name of the inline policy that denies a revoked user everything.
pub const USER_DENY_POLICY: &str = "eastwest-deny-all";

/// A user's state before revocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecorded {
    /// User name.
    pub user: String,
    /// Access key ids with whether each was active.
    pub keys: Vec<(String, bool)>,
    /// Inline policy names.
    pub policies: Vec<String>,
    /// Whether the user has a console password.
    pub login_profile: bool,
}

/// Reads a user's keys, inline policies and console login.
pub async fn record_user(config: &Config, user: &str) -> Result<UserRecorded, RespondError> {
    let iam = aws_sdk_iam::Client::new(config);
    let failed = |api: &'static str, reason: String| {
        if reason.contains("NoSuchEntity") && api == "iam:ListAccessKeys" {
            RespondError::NotFound(format!("IAM user {user}"))
        } else {
            RespondError::Aws { api, reason }
        }
    };
    let mut keys = Vec::new();
    let mut pages = iam
        .list_access_keys()
        .user_name(user)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| failed("iam:ListAccessKeys", error_text(&e)))?;
        for key in page.access_key_metadata() {
            if let Some(id) = key.access_key_id() {
                let active = key.status() == Some(&aws_sdk_iam::types::StatusType::Active);
                keys.push((id.to_string(), active));
            }
        }
    }
    keys.sort();
    let mut policies = Vec::new();
    let mut pages = iam
        .list_user_policies()
        .user_name(user)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| failed("iam:ListUserPolicies", error_text(&e)))?;
        policies.extend(page.policy_names().iter().cloned());
    }
    policies.sort();
    let login_profile = match iam.get_login_profile().user_name(user).send().await {
        Ok(_) => true,
        Err(e) => {
            let reason = error_text(&e);
            if reason.contains("NoSuchEntity") {
                false
            } else {
                return Err(failed("iam:GetLoginProfile", reason));
            }
        }
    };
    Ok(UserRecorded {
        user: user.to_string(),
        keys,
        policies,
        login_profile,
    })
}

/// The calls that revoke `recorded`'s user: each active key made inactive, then the deny-all
/// policy.
pub fn plan_user(recorded: &UserRecorded) -> Vec<Call> {
    let document = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "EastwestRevokedUser",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*"
        }]
    });
    recorded
        .keys
        .iter()
        .filter(|(_, active)| *active)
        .map(|(key, _)| Call::SetAccessKeyStatus {
            user: recorded.user.clone(),
            key: key.clone(),
            active: false,
        })
        .chain(std::iter::once(Call::PutUserPolicy {
            user: recorded.user.clone(),
            name: USER_DENY_POLICY.to_string(),
            document: document.to_string(),
        }))
        .collect()
}

/// The calls that undo `done`, newest first, back to `recorded`.
pub fn inverse_user(recorded: &UserRecorded, done: &[Call]) -> Vec<Call> {
    done.iter()
        .rev()
        .filter_map(|call| match call {
            Call::SetAccessKeyStatus { user, key, .. } => {
                let was = recorded.keys.iter().find(|(k, _)| k == key)?.1;
                Some(Call::SetAccessKeyStatus {
                    user: user.clone(),
                    key: key.clone(),
                    active: was,
                })
            }
            Call::PutUserPolicy { user, name, .. } if !recorded.policies.contains(name) => {
                Some(Call::DeleteUserPolicy {
                    user: user.clone(),
                    name: name.clone(),
                })
            }
            _ => None,
        })
        .collect()
}

/// Revokes `user` (keys inactive, every action denied) or, with `undo`, restores what the
/// revocation recorded.
pub async fn revoke_user(
    aws: &AwsContext,
    user: &str,
    undo: bool,
    state: Option<&Path>,
    apply: bool,
    now_ms: i64,
) -> Result<Outcome, RespondError> {
    let config = regional(aws);
    let clients = Clients::new(&config);
    let mut outcome = Outcome::default();
    let journal_exists = state.is_some_and(|s| s.join("respond.sqlite").exists());
    let mut journal = match (apply, state) {
        (true, Some(dir)) => Some(Journal::open(dir)?),
        (true, None) => {
            return Err(RespondError::Usage(
                "--apply needs --state DIR for the journal".into(),
            ));
        }
        (false, Some(dir)) if journal_exists => Some(Journal::open(dir)?),
        (false, _) => None,
    };
    let last = match &journal {
        Some(j) => j.latest(&["revoke-user", "unrevoke-user"], user)?,
        None => None,
    };
    let command = if undo { "unrevoke-user" } else { "revoke-user" };
    let (run, recorded, plan): (Option<i64>, UserRecorded, Vec<(Call, StepStatus)>) = match last {
        Some(run) if run.command == command && run.status == "done" => {
            let recorded: UserRecorded = match &journal {
                Some(j) if undo => j
                    .latest(&["revoke-user"], user)?
                    .ok_or_else(|| RespondError::Journal(format!("{user}: no revocation")))?
                    .recorded_as()?,
                _ => run.recorded_as()?,
            };
            outcome.lines.push(format!(
                "{user} is already {} (run {}); nothing to do",
                if undo { "restored" } else { "revoked" },
                run.id
            ));
            outcome.mismatches = verify_user(&config, &recorded, !undo).await?;
            return Ok(outcome);
        }
        Some(run) if run.command == command && run.status == "running" => {
            outcome
                .lines
                .push(format!("resuming run {} where it stopped", run.id));
            let recorded: UserRecorded = if undo {
                journal
                    .as_ref()
                    .and_then(|j| j.latest(&["revoke-user"], user).transpose())
                    .transpose()?
                    .ok_or_else(|| RespondError::Journal(format!("{user}: no revocation")))?
                    .recorded_as()?
            } else {
                run.recorded_as()?
            };
            (Some(run.id), recorded, run.steps)
        }
        Some(run) if run.status == "running" => {
            return Err(RespondError::Usage(format!(
                "a{} of {user} (run {}) did not finish: run it again with --apply first",
                if undo {
                    " revocation"
                } else {
                    "n undo of the revocation"
                },
                run.id
            )));
        }
        other => {
            if undo {
                let revoked = match other {
                    Some(run) if run.command == "revoke-user" => run,
                    _ => {
                        return Err(RespondError::Usage(format!(
                            "{user} was not revoked with this --state; --undo restores what `revoke --user {user} --apply --state` recorded"
                        )));
                    }
                };
                let recorded: UserRecorded = revoked.recorded_as()?;
                let done: Vec<Call> = revoked
                    .steps
                    .iter()
                    .filter(|(_, s)| *s != StepStatus::Planned)
                    .map(|(c, _)| c.clone())
                    .collect();
                let plan = inverse_user(&recorded, &done)
                    .into_iter()
                    .map(|c| (c, StepStatus::Planned))
                    .collect();
                (None, recorded, plan)
            } else {
                let recorded = record_user(&config, user).await?;
                let plan = plan_user(&recorded)
                    .into_iter()
                    .map(|c| (c, StepStatus::Planned))
                    .collect();
                (None, recorded, plan)
            }
        }
    };
    outcome.lines.push(format!(
        "{user}: {} access key(s) ({} active), inline policies [{}], console password {}",
        recorded.keys.len(),
        recorded.keys.iter().filter(|(_, a)| *a).count(),
        recorded.policies.join(", "),
        if recorded.login_profile {
            "yes (kept: the deny-all policy stops the console session, and is undone exactly)"
        } else {
            "none"
        }
    ));
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
            journal.begin(
                command,
                user,
                None,
                Some(&to_value(&recorded)?),
                &calls,
                now_ms,
            )?
        }
    };
    execute(journal, &clients, run, &plan, now_ms, &mut outcome).await?;
    journal.finish(run, "done", now_ms)?;
    if undo && let Some(revoked) = journal.latest(&["revoke-user"], user)? {
        journal.finish(revoked.id, "released", now_ms)?;
    }
    outcome.mismatches = verify_user(&config, &recorded, !undo).await?;
    Ok(outcome)
}

/// Checks a user: revoked (no active key, the deny policy on) or restored (as recorded).
async fn verify_user(
    config: &Config,
    recorded: &UserRecorded,
    revoked: bool,
) -> Result<Vec<String>, RespondError> {
    let now = record_user(config, &recorded.user).await?;
    let mut wrong = Vec::new();
    if revoked {
        for (key, _) in now.keys.iter().filter(|(_, active)| *active) {
            wrong.push(format!("access key {key} is still active"));
        }
        if !now.policies.iter().any(|p| p == USER_DENY_POLICY) {
            wrong.push(format!("{USER_DENY_POLICY} is missing"));
        }
    } else {
        if now.keys != recorded.keys {
            wrong.push(format!(
                "access keys {:?} differ from the recorded {:?}",
                now.keys, recorded.keys
            ));
        }
        if now.policies != recorded.policies {
            wrong.push(format!(
                "inline policies {:?} differ from the recorded {:?}",
                now.policies, recorded.policies
            ));
        }
    }
    Ok(wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> UserRecorded {
        UserRecorded {
            user: "alice".into(),
            keys: vec![("AKIA1".into(), true), ("AKIA2".into(), false)],
            policies: vec!["own".into()],
            login_profile: true,
        }
    }

    #[test]
    fn only_active_keys_are_deactivated_and_the_inverse_restores_them() {
        let recorded = alice();
        let plan = plan_user(&recorded);
        assert_eq!(plan.len(), 2, "{plan:?}");
        assert!(
            matches!(&plan[0], Call::SetAccessKeyStatus { key, active: false, .. } if key == "AKIA1")
        );
        assert!(matches!(&plan[1], Call::PutUserPolicy { name, .. } if name == USER_DENY_POLICY));
        let undo = inverse_user(&recorded, &plan);
        assert_eq!(
            undo,
            vec![
                Call::DeleteUserPolicy {
                    user: "alice".into(),
                    name: USER_DENY_POLICY.into()
                },
                Call::SetAccessKeyStatus {
                    user: "alice".into(),
                    key: "AKIA1".into(),
                    active: true
                },
            ]
        );
    }

    #[test]
    fn a_deny_policy_the_user_already_had_is_not_removed() {
        let mut recorded = alice();
        recorded.policies.push(USER_DENY_POLICY.into());
        let undo = inverse_user(&recorded, &plan_user(&recorded));
        assert!(
            undo.iter()
                .all(|c| !matches!(c, Call::DeleteUserPolicy { .. })),
            "{undo:?}"
        );
    }
}
