//! `--revoke-sessions`: an inline policy on the instance's role that denies everything to
//! sessions issued before now (`aws:TokenIssueTime`), as the IAM console's "revoke active
//! sessions" does: credentials already taken from the instance stop working, the instance's
//! next credentials (issued later) still work.

use super::Action;
use crate::call::Call;
use crate::state::Recorded;
use crate::{ContainOptions, revoke_policy};

/// The action.
pub struct RevokeSessions;

impl Action for RevokeSessions {
    fn id(&self) -> &'static str {
        "revoke-sessions"
    }
    fn summary(&self) -> &'static str {
        "deny the instance role's sessions issued before now"
    }
    fn plan(&self, recorded: &Recorded, options: &ContainOptions) -> Vec<Call> {
        match (&recorded.role, options.revoke_sessions) {
            (Some(role), true) => vec![revoke_policy(role, &options.now_rfc3339)],
            _ => Vec::new(),
        }
    }
}
