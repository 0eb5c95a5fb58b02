//! Out of service: standby in its autoscaling group (without a replacement being launched, so
//! the group does not terminate the evidence or start a twin), and out of its target groups so
//! no load balancer sends it traffic.

use super::Action;
use crate::ContainOptions;
use crate::call::Call;
use crate::state::Recorded;

/// The action.
pub struct Serving;

impl Action for Serving {
    fn id(&self) -> &'static str {
        "serving"
    }
    fn summary(&self) -> &'static str {
        "standby in its autoscaling group and out of its target groups"
    }
    fn plan(&self, recorded: &Recorded, _options: &ContainOptions) -> Vec<Call> {
        let mut calls = Vec::new();
        if let Some((group, state)) = &recorded.auto_scaling
            && state == "InService"
        {
            calls.push(Call::EnterStandby {
                group: group.clone(),
                instance: recorded.instance.clone(),
            });
        }
        for registration in &recorded.target_groups {
            calls.push(Call::DeregisterTarget {
                group: registration.group.clone(),
                id: recorded.instance.clone(),
                port: registration.port,
            });
        }
        calls
    }
}
