//! Termination protection on (an attacker, or a well-meaning colleague, cannot destroy the
//! evidence through the API) and a tag naming the containment and its incident.

use std::collections::BTreeMap;

use super::Action;
use crate::call::Call;
use crate::state::Recorded;
use crate::{CONTAINED_TAG, ContainOptions, INCIDENT_TAG};

/// The action.
pub struct Protect;

impl Action for Protect {
    fn id(&self) -> &'static str {
        "protect"
    }
    fn summary(&self) -> &'static str {
        "termination protection on, and tags naming the containment and incident"
    }
    fn plan(&self, recorded: &Recorded, options: &ContainOptions) -> Vec<Call> {
        let mut calls = Vec::new();
        if !recorded.termination_protection {
            calls.push(Call::SetTerminationProtection {
                instance: recorded.instance.clone(),
                on: true,
            });
        }
        let mut tags = BTreeMap::new();
        tags.insert(CONTAINED_TAG.to_string(), options.now_rfc3339.clone());
        if let Some(incident) = &options.incident {
            tags.insert(INCIDENT_TAG.to_string(), incident.clone());
        }
        calls.push(Call::CreateTags {
            resource: recorded.instance.clone(),
            tags,
        });
        calls
    }
}
