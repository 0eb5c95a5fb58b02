//! `--snapshot`: EBS snapshots of every volume, before anything else changes. Evidence: release
//! keeps them.

use super::Action;
use crate::ContainOptions;
use crate::call::Call;
use crate::state::Recorded;

/// The action.
pub struct Snapshot;

impl Action for Snapshot {
    fn id(&self) -> &'static str {
        "snapshot"
    }
    fn summary(&self) -> &'static str {
        "snapshot every EBS volume for forensics (kept on release)"
    }
    fn plan(&self, recorded: &Recorded, options: &ContainOptions) -> Vec<Call> {
        if !options.snapshot {
            return Vec::new();
        }
        recorded
            .volumes
            .iter()
            .map(|volume| Call::CreateSnapshot {
                volume: volume.clone(),
                description: format!(
                    "eastwest containment of {}{}",
                    recorded.instance,
                    options
                        .incident
                        .as_deref()
                        .map(|i| format!(", incident {i}"))
                        .unwrap_or_default()
                ),
            })
            .collect()
    }
}
