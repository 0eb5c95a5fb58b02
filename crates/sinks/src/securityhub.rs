//! AWS Security Hub: findings and incidents imported with `BatchImportFindings` through the one
//! AWS context (its credentials, endpoint and retries), into the Security Hub of the context's
//! first region in the account its credentials belong to, as the account's default custom
//! integration. Batched to the API's limits: at most [`asff::BATCH_FINDINGS`] findings and
//! [`MAX_BATCH_BYTES`] of JSON per call; a finding Security Hub refuses is named with its reason,
//! the others still go in.

use std::collections::HashMap;

use aws_sdk_securityhub::types::{
    AwsSecurityFinding, Partition, Recommendation, RecordState, Remediation, Resource, Severity,
    SeverityLabel, Workflow, WorkflowStatus,
};
use eastwest_aws::{AwsContext, error_text};
use serde_json::Value;

use crate::asff::{self, Target};

/// Largest request sent, in bytes of findings' JSON (the API accepts 6 MB).
pub const MAX_BATCH_BYTES: usize = 5 * 1024 * 1024;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Findings Security Hub accepted.
    pub accepted: usize,
    /// Findings it refused: (id, reason).
    pub refused: Vec<(String, String)>,
    /// Calls made.
    pub calls: usize,
}

/// Where the context imports to.
pub async fn target(aws: &AwsContext) -> Result<Target, String> {
    let region = aws
        .regions()
        .into_iter()
        .next()
        .ok_or("no region: give --region or set AWS_REGION")?;
    let config = AwsContext::in_region(aws.config(), &region);
    let account = AwsContext::identify(&config).await?;
    Ok(Target {
        partition: eastwest_aws::partition(&region).to_string(),
        account,
        region,
    })
}

fn text(value: &Value, key: &str) -> Option<String> {
    value[key].as_str().map(str::to_string)
}

fn strings(value: &Value) -> HashMap<String, String> {
    value
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// An ASFF document (as [`asff::asff`] writes it) as the SDK's type.
fn finding(document: &Value) -> Result<AwsSecurityFinding, String> {
    let resources = document["Resources"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|r| {
                    Resource::builder()
                        .set_type(text(r, "Type"))
                        .set_id(text(r, "Id"))
                        .set_partition(text(r, "Partition").map(|p| Partition::from(p.as_str())))
                        .set_region(text(r, "Region"))
                        .set_tags(Some(strings(&r["Tags"])).filter(|t| !t.is_empty()))
                        .build()
                })
                .collect::<Vec<_>>()
        })
        .filter(|r| !r.is_empty())
        .ok_or("no resources: ASFF needs one")?;
    let mut builder = AwsSecurityFinding::builder()
        .set_schema_version(text(document, "SchemaVersion"))
        .set_id(text(document, "Id"))
        .set_product_arn(text(document, "ProductArn"))
        .set_product_name(text(document, "ProductName"))
        .set_company_name(text(document, "CompanyName"))
        .set_generator_id(text(document, "GeneratorId"))
        .set_aws_account_id(text(document, "AwsAccountId"))
        .set_types(document["Types"].as_array().map(|t| {
            t.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        }))
        .set_first_observed_at(text(document, "FirstObservedAt"))
        .set_last_observed_at(text(document, "LastObservedAt"))
        .set_created_at(text(document, "CreatedAt"))
        .set_updated_at(text(document, "UpdatedAt"))
        .severity(
            Severity::builder()
                .set_label(
                    document["Severity"]["Label"]
                        .as_str()
                        .map(SeverityLabel::from),
                )
                .build(),
        )
        .set_confidence(document["Confidence"].as_i64().map(|c| c as i32))
        .set_criticality(document["Criticality"].as_i64().map(|c| c as i32))
        .set_title(text(document, "Title"))
        .set_description(text(document, "Description"))
        .set_resources(Some(resources))
        .set_product_fields(Some(strings(&document["ProductFields"])).filter(|f| !f.is_empty()))
        .set_record_state(text(document, "RecordState").map(|s| RecordState::from(s.as_str())))
        .workflow(
            Workflow::builder()
                .set_status(
                    document["Workflow"]["Status"]
                        .as_str()
                        .map(WorkflowStatus::from),
                )
                .build(),
        );
    if let Some(text) = document["Remediation"]["Recommendation"]["Text"].as_str() {
        builder = builder.remediation(
            Remediation::builder()
                .recommendation(Recommendation::builder().text(text).build())
                .build(),
        );
    }
    // The SDK's builder checks nothing: what ASFF requires is checked here, so a document that
    // lacks it is named rather than refused by the service without a reason.
    for key in [
        "SchemaVersion",
        "Id",
        "ProductArn",
        "GeneratorId",
        "AwsAccountId",
        "CreatedAt",
        "UpdatedAt",
        "Title",
        "Description",
    ] {
        if document[key].as_str().is_none_or(str::is_empty) {
            return Err(format!("{key} is missing"));
        }
    }
    Ok(builder.build())
}

/// Imports ASFF documents, in batches within the API's limits.
pub async fn import(
    aws: &AwsContext,
    target: &Target,
    documents: &[Value],
) -> Result<Imported, String> {
    let config = AwsContext::in_region(aws.config(), &target.region);
    let client = aws_sdk_securityhub::Client::new(&config);
    let mut imported = Imported::default();
    let mut batch: Vec<AwsSecurityFinding> = Vec::new();
    let mut bytes = 0usize;
    let mut batches: Vec<Vec<AwsSecurityFinding>> = Vec::new();
    for document in documents {
        let size = document.to_string().len();
        match finding(document) {
            Ok(f) => {
                if !batch.is_empty()
                    && (batch.len() >= asff::BATCH_FINDINGS || bytes + size > MAX_BATCH_BYTES)
                {
                    batches.push(std::mem::take(&mut batch));
                    bytes = 0;
                }
                batch.push(f);
                bytes += size;
            }
            Err(e) => imported.refused.push((
                document["Id"].as_str().unwrap_or_default().to_string(),
                format!("not a valid finding: {e}"),
            )),
        }
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    for batch in batches {
        imported.calls += 1;
        let out = client
            .batch_import_findings()
            .set_findings(Some(batch))
            .send()
            .await
            .map_err(|e| format!("securityhub:BatchImportFindings: {}", error_text(&e)))?;
        imported.accepted += out.success_count().unwrap_or(0).max(0) as usize;
        for failed in out.failed_findings() {
            imported.refused.push((
                failed.id().unwrap_or_default().to_string(),
                format!(
                    "{}: {}",
                    failed.error_code().unwrap_or_default(),
                    failed.error_message().unwrap_or_default()
                ),
            ));
        }
    }
    Ok(imported)
}
