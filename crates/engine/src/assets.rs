//! The `assets` table: the inventory's network interfaces as rows, to join with `flows`.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::error::Result;
use eastwest_inventory::Asset;

/// One row per asset. Lists (security groups, addresses) are comma-separated text.
pub fn batch(assets: &[Asset]) -> Result<RecordBatch> {
    let text = |f: &dyn Fn(&Asset) -> Option<String>| -> ArrayRef {
        Arc::new(assets.iter().map(f).collect::<StringArray>())
    };
    let join = |items: Vec<String>| (!items.is_empty()).then(|| items.join(","));
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("eni", text(&|a| Some(a.eni.clone()))),
        ("kind", text(&|a| Some(a.kind.name().to_string()))),
        ("name", text(&|a| Some(a.name.clone()))),
        ("instance", text(&|a| a.instance.clone())),
        ("service", text(&|a| a.service.clone())),
        ("vpc", text(&|a| a.vpc.clone())),
        ("subnet", text(&|a| a.subnet.clone())),
        ("zone", text(&|a| a.zone.clone())),
        ("account", text(&|a| a.account.clone())),
        ("region", text(&|a| a.region.clone())),
        (
            "security_groups",
            text(&|a| join(a.security_groups.clone())),
        ),
        (
            "private_ips",
            text(&|a| join(a.private_ips.iter().map(|ip| ip.to_string()).collect())),
        ),
        (
            "public_ips",
            text(&|a| join(a.public_ips.iter().map(|ip| ip.to_string()).collect())),
        ),
        ("instance_profile", text(&|a| a.instance_profile.clone())),
        ("role", text(&|a| a.role.clone())),
        (
            "auto_scaling_group",
            text(&|a| a.auto_scaling_group.clone()),
        ),
        ("tier", text(&|a| a.tier.clone())),
        ("peer_group", text(&|a| Some(a.peer_group.clone()))),
        ("state", text(&|a| a.state.clone())),
        (
            "internet_facing",
            Arc::new(
                assets
                    .iter()
                    .map(|a| Some(a.internet_facing))
                    .collect::<BooleanArray>(),
            ),
        ),
        (
            "since",
            Arc::new(
                assets
                    .iter()
                    .map(|a| a.since_ms)
                    .collect::<TimestampMillisecondArray>()
                    .with_timezone("UTC"),
            ),
        ),
        (
            "until",
            Arc::new(
                assets
                    .iter()
                    .map(|a| a.until_ms)
                    .collect::<TimestampMillisecondArray>()
                    .with_timezone("UTC"),
            ),
        ),
    ];
    let schema = Schema::new(
        columns
            .iter()
            .map(|(name, array)| {
                let kind = match array.data_type() {
                    DataType::Timestamp(_, _) => {
                        DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
                    }
                    other => other.clone(),
                };
                Field::new(
                    *name,
                    kind,
                    !matches!(*name, "eni" | "kind" | "name" | "peer_group"),
                )
            })
            .collect::<Vec<_>>(),
    );
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        columns.into_iter().map(|(_, a)| a).collect(),
    )?)
}
