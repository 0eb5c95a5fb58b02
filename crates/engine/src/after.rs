//! Was a host quiet after a time? The flow records to or from its addresses or through its
//! interfaces that started at or after it: what confirms a containment from the flow logs.
//!
//! A record is an aggregation interval (up to ten minutes, one by default), so one that started
//! before the time and ended after it may hold packets from either side: those are counted
//! apart ("straddling") and are not proof of a breach, while an accepted record that *started*
//! after the time is.

use datafusion::arrow::array::{Array, Int64Array, StringArray};
use datafusion::arrow::record_batch::RecordBatch;

use crate::{Engine, EngineError};

/// An accepted record after the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedRecord {
    /// The input it was read from.
    pub file: String,
    /// Its line (1-based; the row number in a Parquet file).
    pub line: i64,
    /// Source address.
    pub src: String,
    /// Destination address.
    pub dst: String,
    /// Destination port.
    pub dstport: Option<i64>,
    /// Its start, epoch ms.
    pub start_ms: i64,
}

/// What the flow logs say about a host after a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quiet {
    /// Records of any host that end after the time: whether the logs cover the period at all.
    pub records_after: i64,
    /// The host's records that started at or after the time.
    pub host_records: i64,
    /// Of those, accepted ones: traffic reached or left the host.
    pub accepted: i64,
    /// The host's accepted records that started before the time and ended after it.
    pub straddling: i64,
    /// Up to the asked number of accepted records, earliest first.
    pub samples: Vec<AcceptedRecord>,
}

/// An address, as SQL: only what parses as an IP address becomes a literal.
fn address_literal(text: &str) -> Option<String> {
    let ip: std::net::IpAddr = text.trim().parse().ok()?;
    Some(format!("ip('{ip}')"))
}

/// An interface id, as SQL: only `eni-` and hex digits.
fn interface_literal(text: &str) -> Option<String> {
    let hex = text.strip_prefix("eni-")?;
    (!hex.is_empty() && hex.len() <= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("'{text}'"))
}

fn int(batch: &RecordBatch, column: usize, row: usize) -> Option<i64> {
    let array = batch.column(column).as_any().downcast_ref::<Int64Array>()?;
    array.is_valid(row).then(|| array.value(row))
}

fn text(batch: &RecordBatch, column: usize, row: usize) -> String {
    batch
        .column(column)
        .as_any()
        .downcast_ref::<StringArray>()
        .filter(|a| a.is_valid(row))
        .map(|a| a.value(row).to_string())
        .unwrap_or_default()
}

impl Engine {
    /// The host's traffic in `flows` after `since_ms`: `addresses` (its private and public
    /// addresses) and `interfaces` (its ENIs), up to `samples` accepted records.
    pub async fn traffic_after(
        &self,
        addresses: &[String],
        interfaces: &[String],
        since_ms: i64,
        samples: usize,
    ) -> Result<Quiet, EngineError> {
        let columns: Vec<String> = self
            .context
            .table("flows")
            .await?
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let has = |name: &str| columns.iter().any(|c| c == name);
        let mut terms = Vec::new();
        let ips: Vec<String> = addresses
            .iter()
            .filter_map(|a| address_literal(a))
            .collect();
        if !ips.is_empty() {
            let list = ips.join(", ");
            terms.push(format!("src_ip IN ({list}) OR dst_ip IN ({list})"));
        }
        let enis: Vec<String> = interfaces
            .iter()
            .filter_map(|i| interface_literal(i))
            .collect();
        if !enis.is_empty() && has("interface_id") {
            terms.push(format!("interface_id IN ({})", enis.join(", ")));
        }
        if terms.is_empty() || !has("start") || !has("action") {
            return Ok(Quiet::default());
        }
        let host = terms.join(" OR ");
        let end = if has("end") {
            "CAST(\"end\" AS BIGINT)"
        } else {
            "CAST(start AS BIGINT)"
        };
        let counts = self
            .collect_table(&format!(
                "SELECT
                   CAST(count(*) AS BIGINT),
                   CAST(sum(CASE WHEN host AND s >= {since_ms} THEN 1 ELSE 0 END) AS BIGINT),
                   CAST(sum(CASE WHEN host AND s >= {since_ms} AND action = 'ACCEPT' THEN 1 ELSE 0 END) AS BIGINT),
                   CAST(sum(CASE WHEN host AND s < {since_ms} AND action = 'ACCEPT' THEN 1 ELSE 0 END) AS BIGINT)
                 FROM (SELECT ({host}) AS host, CAST(start AS BIGINT) AS s, action
                       FROM flows WHERE {end} >= {since_ms})"
            ))
            .await?;
        let mut quiet = Quiet::default();
        if let Some(batch) = counts.first().filter(|b| b.num_rows() > 0) {
            quiet.records_after = int(batch, 0, 0).unwrap_or(0);
            quiet.host_records = int(batch, 1, 0).unwrap_or(0);
            quiet.accepted = int(batch, 2, 0).unwrap_or(0);
            quiet.straddling = int(batch, 3, 0).unwrap_or(0);
        }
        if quiet.accepted > 0 && samples > 0 {
            let dstport = if has("dstport") {
                "CAST(dstport AS BIGINT)"
            } else {
                "CAST(NULL AS BIGINT)"
            };
            let rows = self
                .collect_table(&format!(
                    "SELECT arrow_cast(source_file, 'Utf8'), CAST(source_line AS BIGINT),
                            ip_text(src_ip), ip_text(dst_ip), {dstport}, CAST(start AS BIGINT) AS s
                     FROM flows
                     WHERE ({host}) AND action = 'ACCEPT' AND CAST(start AS BIGINT) >= {since_ms}
                     ORDER BY s, 1, 2 LIMIT {samples}"
                ))
                .await?;
            for batch in &rows {
                for row in 0..batch.num_rows() {
                    quiet.samples.push(AcceptedRecord {
                        file: text(batch, 0, row),
                        line: int(batch, 1, row).unwrap_or(0),
                        src: text(batch, 2, row),
                        dst: text(batch, 3, row),
                        dstport: int(batch, 4, row),
                        start_ms: int(batch, 5, row).unwrap_or(0),
                    });
                }
            }
        }
        Ok(quiet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_addresses_and_interface_ids_become_sql() {
        assert_eq!(
            address_literal("10.0.0.5").as_deref(),
            Some("ip('10.0.0.5')")
        );
        assert_eq!(address_literal("10.0.0.5') OR 1=1 --"), None);
        assert_eq!(interface_literal("eni-0abc").as_deref(), Some("'eni-0abc'"));
        assert_eq!(interface_literal("eni-x' OR '1'='1"), None);
        assert_eq!(interface_literal("eni-"), None);
    }
}
