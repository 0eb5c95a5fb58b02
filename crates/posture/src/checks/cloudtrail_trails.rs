//! `cloudtrail-trails`: no multi-region trail, or no organisation trail. Judged for every
//! account whose `cloudtrail describe-trails` output was read (an empty one fails: no trail at
//! all); where it was not read, the audit says "not collected".

use eastwest_model::Severity;

use crate::{Check, Context, Failure};

/// The check.
pub struct CloudtrailTrails;

impl Check for CloudtrailTrails {
    fn id(&self) -> &'static str {
        "cloudtrail-trails"
    }
    fn title(&self) -> &'static str {
        "No multi-region or organisation trail"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn rationale(&self) -> &'static str {
        "SSM commands, key pushes and stolen credentials show only in CloudTrail; a region or account without a trail hides them."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["trailList"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let trails = &context.inventory.trails;
        let mut accounts: Vec<Option<String>> =
            trails.iter().map(|t| t.origin.account.clone()).collect();
        // Accounts whose trails were read and found none.
        accounts.extend(
            context
                .inventory
                .coverage
                .scopes()
                .filter(|(_, keys)| keys.contains("trailList"))
                .map(|(origin, _)| origin.account.clone()),
        );
        accounts.sort();
        accounts.dedup();
        let mut out = Vec::new();
        for account in accounts {
            let mine: Vec<_> = trails
                .iter()
                .filter(|t| t.origin.account == account)
                .map(|t| &t.item)
                .collect();
            let multi = mine.iter().any(|t| t.is_multi_region_trail == Some(true));
            let org = mine.iter().any(|t| t.is_organization_trail == Some(true));
            if multi && org {
                continue;
            }
            let missing: Vec<&str> = [
                (!multi).then_some("multi-region"),
                (!org).then_some("organisation"),
            ]
            .into_iter()
            .flatten()
            .collect();
            out.push(Failure {
                resource: format!("cloudtrail:{}", account.as_deref().unwrap_or("?")),
                resource_type: "AWS::CloudTrail::Trail",
                account: account.clone(),
                region: None,
                why: if mine.is_empty() {
                    "no trail at all: API calls in this account are not recorded".to_string()
                } else {
                    format!("no {} trail among {}", missing.join(" or "), mine.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", "))
                },
                fix: "aws cloudtrail create-trail --name org-trail --s3-bucket-name BUCKET --is-multi-region-trail --is-organization-trail (from the management account)".into(),
                severity: Some(if multi { Severity::Low } else { Severity::Medium }),
            });
        }
        out
    }
}
