//! `guardduty-coverage`: GuardDuty is on but not centrally managed, or without runtime
//! monitoring. Only judged from `guardduty get-administrator-account` and `get-detector`
//! outputs present in the inventory.

use eastwest_model::Severity;

use crate::{Check, Context, Failure};

/// The check.
pub struct GuarddutyCoverage;

impl Check for GuarddutyCoverage {
    fn id(&self) -> &'static str {
        "guardduty-coverage"
    }
    fn title(&self) -> &'static str {
        "GuardDuty not centrally managed or without runtime monitoring"
    }
    fn severity(&self) -> Severity {
        Severity::Low
    }
    fn rationale(&self) -> &'static str {
        "A member account can switch off a GuardDuty it manages itself; without runtime monitoring the commands run on a compromised host are not seen."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["DetectorIds", "Features"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let inv = context.inventory;
        let mut out = Vec::new();
        let place = |o: &eastwest_inventory::Origin| {
            format!(
                "{}:{}",
                o.account.as_deref().unwrap_or("?"),
                o.region.as_deref().unwrap_or("?")
            )
        };
        // Where GuardDuty is known to be off, there is no detector to judge (guardduty-disabled
        // says so); an empty features or administrator output there means nothing.
        let off = |o: &eastwest_inventory::Origin| {
            inv.guardduty_detectors
                .iter()
                .any(|d| &d.origin == o && d.item.is_empty())
        };
        for admin in inv
            .guardduty_administrators
            .iter()
            .filter(|a| a.item.is_none() && !off(&a.origin))
        {
            out.push(Failure {
                resource: format!("guardduty:{}", place(&admin.origin)),
                resource_type: "AWS::GuardDuty::Detector",
                account: admin.origin.account.clone(),
                region: admin.origin.region.clone(),
                why: "the detector has no administrator account: it is managed (and can be disabled) from inside the account".into(),
                fix: "enable GuardDuty for the organisation from a delegated administrator account (aws guardduty enable-organization-admin-account)".into(),
                severity: None,
            });
        }
        for features in inv.guardduty_features.iter().filter(|f| !off(&f.origin)) {
            let runtime = features.item.iter().any(|f| {
                f.name.ends_with("RUNTIME_MONITORING") && f.status.as_deref() == Some("ENABLED")
            });
            if !runtime {
                out.push(Failure {
                    resource: format!("guardduty:{}", place(&features.origin)),
                    resource_type: "AWS::GuardDuty::Detector",
                    account: features.origin.account.clone(),
                    region: features.origin.region.clone(),
                    why: "runtime monitoring is not enabled".into(),
                    fix: "aws guardduty update-detector --detector-id ID --features Name=RUNTIME_MONITORING,Status=ENABLED".into(),
                    severity: None,
                });
            }
        }
        out
    }
}
