//! `ami-age`: instances running an image built longer ago than the configured age.
//! Only judged where the inventory holds `describe-images` output for the image.

use eastwest_model::Severity;
use eastwest_model::time::parse_rfc3339;

use crate::{Check, Context, Failure};

/// The check.
pub struct AmiAge;

impl Check for AmiAge {
    fn id(&self) -> &'static str {
        "ami-age"
    }
    fn title(&self) -> &'static str {
        "Instance runs an old image"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn rationale(&self) -> &'static str {
        "An image built long ago carries every vulnerability fixed since; instances launched from it start out behind."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["Reservations", "Images"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let now = context.now_ms();
        let limit = context.config.max_instance_age_days;
        let inv = context.inventory;
        inv.instances
            .iter()
            .filter_map(|i| {
                let image = inv
                    .images
                    .iter()
                    .find(|m| Some(&m.item.image_id) == i.item.image_id.as_ref())?;
                let built = image
                    .item
                    .creation_date
                    .as_deref()
                    .and_then(parse_rfc3339)?;
                let days = now.saturating_sub(built) / 86_400_000;
                (days > limit).then(|| Failure {
                    resource: i.item.instance_id.clone(),
                    resource_type: "AWS::EC2::Instance",
                    account: i.origin.account.clone(),
                    region: i.origin.region.clone(),
                    why: format!(
                        "runs {} ({}), built {days} days ago (limit {limit})",
                        image.item.image_id,
                        image.item.name.as_deref().unwrap_or("unnamed")
                    ),
                    fix: "rebuild the image from current packages and roll the instances onto it"
                        .into(),
                    severity: None,
                })
            })
            .collect()
    }
}
