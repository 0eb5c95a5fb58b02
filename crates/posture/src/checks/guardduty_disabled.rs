//! `guardduty-disabled`: a region with VPCs where `guardduty list-detectors` lists none.
//! Only judged where the inventory holds that output.

use eastwest_model::Severity;

use crate::{Check, Context, Failure};

/// The check.
pub struct GuarddutyDisabled;

impl Check for GuarddutyDisabled {
    fn id(&self) -> &'static str {
        "guardduty-disabled"
    }
    fn title(&self) -> &'static str {
        "GuardDuty not enabled"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn rationale(&self) -> &'static str {
        "Without GuardDuty (and its runtime monitoring) there is no second opinion on credential misuse and reconnaissance in that region."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["DetectorIds"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        context
            .inventory
            .guardduty_detectors
            .iter()
            .filter(|d| d.item.is_empty())
            .filter(|d| context.inventory.vpcs.iter().any(|v| v.origin.region == d.origin.region && v.origin.account == d.origin.account))
            .map(|d| {
                let region = d.origin.region.clone().unwrap_or_else(|| "its region".into());
                Failure {
                    resource: format!("guardduty:{}:{region}", d.origin.account.as_deref().unwrap_or("?")),
                    resource_type: "AWS::GuardDuty::Detector",
                    account: d.origin.account.clone(),
                    region: d.origin.region.clone(),
                    why: format!("no GuardDuty detector in {region}, which has VPCs"),
                    fix: format!("aws guardduty create-detector --enable --region {} (better: enable it for the organisation from a delegated administrator)", crate::quote(&region)),
                    severity: None,
                }
            })
            .collect()
    }
}
