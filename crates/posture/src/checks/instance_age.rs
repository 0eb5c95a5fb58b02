//! `instance-age`: instances running longer than the configured age (patching hygiene).

use eastwest_model::Severity;
use eastwest_model::time::parse_rfc3339;

use crate::{Check, Context, Failure};

/// The check.
pub struct InstanceAge;

impl Check for InstanceAge {
    fn id(&self) -> &'static str {
        "instance-age"
    }
    fn title(&self) -> &'static str {
        "Instance older than the patching window"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn rationale(&self) -> &'static str {
        "Long-lived instances drift from their image and miss patches: the host an attacker reaches next is likely the one nobody rebuilt."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["Reservations"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let now = context.now_ms();
        let limit = context.config.max_instance_age_days;
        context
            .inventory
            .instances
            .iter()
            .filter(|i| i.item.state.as_ref().and_then(|s| s.name.as_deref()).is_none_or(|s| s == "running" || s == "stopped"))
            .filter_map(|i| {
                let launched = i.item.launch_time.as_deref().and_then(parse_rfc3339)?;
                let days = now.saturating_sub(launched) / 86_400_000;
                (days > limit).then(|| Failure {
                    resource: i.item.instance_id.clone(),
                    resource_type: "AWS::EC2::Instance",
                    account: i.origin.account.clone(),
                    region: i.origin.region.clone(),
                    why: format!("launched {days} days ago (limit {limit}) from {}", i.item.image_id.as_deref().unwrap_or("an unknown image")),
                    fix: "rebuild it from a current image (or patch it and record when), and keep instances replaceable".into(),
                    severity: None,
                })
            })
            .collect()
    }
}
