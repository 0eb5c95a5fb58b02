//! The `connections` table: flow records deduplicated, oriented client → server, and aggregated
//! per time window, with both sides named as assets.
//!
//! AWS logs one connection up to four times: on the client's ENI (its egress and the reply's
//! ingress) and on the server's (the ingress and the reply's egress), and again on a NAT
//! gateway's ENI. Each record is first oriented ([`client_is_source`]), then summed per logging
//! ENI, and the per-ENI sums are merged by taking the largest (the same packets counted on two
//! ENIs are one set of packets). What is left is one row per window, protocol, client, server
//! and server port: orders of magnitude fewer rows than records, read in one pass over the raw
//! logs. Detectors and baselines work on this table, never on the records again.
//!
//! Columns: `window_start` (and `window_ms`, the same as epoch milliseconds), `protocol`, `client_ip`/`server_ip` (16 bytes) and
//! `client_addr`/`server_addr` (text), `server_port`, `vpc_id`, `enis` (the logging ENIs,
//! space-separated: the lowest and highest id, which is all of them but for NAT gateways; both
//! dictionary encoded), counts as 32-bit integers (saturating): `attempts` (connections opened: client SYNs, or distinct client ports
//! where the format has no TCP flags), `syn`, `syn_ack`, `rst` (records with those flags),
//! `rejected`/`accepted` (records by action), `packets_out`/`bytes_out` (client → server),
//! `packets_in`/`bytes_in` (server → client), `first_seen`/`last_seen`, `answered` (the server
//! replied with data: more than 64 bytes a packet on average, and no SYN left unanswered),
//! `failed` (a reject, a reset, a SYN without SYN-ACK, or a probe: at most three packets an
//! attempt answered by nothing or by bare handshake segments, which is all a connect scan of an
//! open port gets and all version-2 logs can show of a refused one), `sample_file` (dictionary
//! encoded) and `sample_line` (the row's earliest record, for evidence), then `client_*` and `server_*` asset
//! columns as in `flows` (name, kind, instance, eni, group, tier, subnet, vpc, role,
//! is_internal).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, FixedSizeBinaryArray, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema, TimestampMillisecondType};
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use eastwest_inventory::Resolver;

use crate::enrich::{side_columns, side_text_type, text_dictionary};

pub mod fold;
use crate::udf::address_text;

/// The default window: one hour keeps the table small and still places a scan or a transfer
/// within the hour it happened.
pub const DEFAULT_WINDOW_MS: i64 = 3_600_000;

/// Ports that are server ports whichever side's number is lower: services commonly run above
/// 1024, and a client's ephemeral port can be lower than theirs on some systems.
const SERVICE_PORTS: [i32; 40] = [
    1080, 1433, 1521, 1883, 2049, 2375, 2376, 2379, 2380, 3000, 3128, 3268, 3306, 3389, 4443, 5000,
    5044, 5432, 5439, 5601, 5672, 5900, 5984, 5985, 5986, 6379, 6443, 7001, 8000, 8080, 8443, 8888,
    9000, 9090, 9092, 9100, 9200, 9300, 10250, 27017,
];

/// [`SERVICE_PORTS`] as a bitmap over the 65,536 ports: two lookups a record instead of two
/// scans of the list.
static SERVICE_PORT_BITS: [u64; 1024] = {
    let mut bits = [0u64; 1024];
    let mut at = 0;
    while at < SERVICE_PORTS.len() {
        let port = SERVICE_PORTS[at] as usize;
        bits[port / 64] |= 1 << (port % 64);
        at += 1;
    }
    bits
};

fn is_service_port(port: i32) -> bool {
    u16::try_from(port).is_ok_and(|p| SERVICE_PORT_BITS[usize::from(p) / 64] >> (p % 64) & 1 == 1)
}

/// Which side of a record is the client. In order: TCP flags when they say it (SYN-ACK comes
/// from the server, a SYN without ACK from the client); a `REJECT` record without flags is an
/// attempt by its source (security groups are stateful, so replies are not rejected); a known
/// service port; the lower port; for equal ports, the lower address. The rules after the
/// flags depend only on the pair, so both directions of a connection agree.
pub fn client_is_source(
    flags: Option<i32>,
    rejected: bool,
    source_port: Option<i32>,
    destination_port: Option<i32>,
    source: &[u8],
    destination: &[u8],
) -> bool {
    if let Some(flags) = flags {
        if flags & 18 == 18 {
            return false;
        }
        if flags & 2 == 2 {
            return true;
        }
    }
    if rejected && flags.is_none_or(|f| f & 18 != 18) {
        return true;
    }
    let (sp, dp) = (source_port.unwrap_or(0), destination_port.unwrap_or(0));
    let (s_service, d_service) = (is_service_port(sp), is_service_port(dp));
    if s_service != d_service {
        return d_service;
    }
    if sp != dp {
        return dp < sp;
    }
    source >= destination
}

/// The SQL function `client_is_src(tcp_flags, action, srcport, dstport, src_ip, dst_ip)`.
pub fn orientation_function() -> ScalarUDF {
    create_udf(
        "client_is_src",
        vec![
            DataType::Int32,
            DataType::Utf8,
            DataType::Int32,
            DataType::Int32,
            DataType::FixedSizeBinary(16),
            DataType::FixedSizeBinary(16),
        ],
        DataType::Boolean,
        Volatility::Immutable,
        Arc::new(orient),
    )
}

fn orient(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let rows = args
        .iter()
        .find_map(|a| match a {
            ColumnarValue::Array(array) => Some(array.len()),
            ColumnarValue::Scalar(_) => None,
        })
        .unwrap_or(1);
    let arrays: Vec<ArrayRef> = args
        .iter()
        .map(|a| a.to_array(rows))
        .collect::<Result<_>>()?;
    let wrong = |what: &str| DataFusionError::Execution(format!("client_is_src: {what}"));
    let flags = arrays[0]
        .as_primitive_opt::<Int32Type>()
        .ok_or_else(|| wrong("tcp_flags must be INT"))?;
    let action = arrays[1]
        .as_string_opt::<i32>()
        .ok_or_else(|| wrong("action must be text"))?;
    let sport = arrays[2]
        .as_primitive_opt::<Int32Type>()
        .ok_or_else(|| wrong("srcport must be INT"))?;
    let dport = arrays[3]
        .as_primitive_opt::<Int32Type>()
        .ok_or_else(|| wrong("dstport must be INT"))?;
    let src = arrays[4]
        .as_fixed_size_binary_opt()
        .ok_or_else(|| wrong("src_ip must be a binary address"))?;
    let dst = arrays[5]
        .as_fixed_size_binary_opt()
        .ok_or_else(|| wrong("dst_ip must be a binary address"))?;
    let value = |a: &dyn Array, i: usize| a.is_valid(i);
    let result: BooleanArray = (0..rows)
        .map(|i| {
            Some(client_is_source(
                value(flags, i).then(|| flags.value(i)),
                value(action, i) && action.value(i) == "REJECT",
                value(sport, i).then(|| sport.value(i)),
                value(dport, i).then(|| dport.value(i)),
                if src.is_valid(i) { src.value(i) } else { &[] },
                if dst.is_valid(i) { dst.value(i) } else { &[] },
            ))
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(result)))
}

/// The aggregation that builds `connections` from `flows`, for a window in milliseconds.
pub fn aggregation_sql(window_ms: i64) -> String {
    let window_ms = window_ms.max(1_000);
    format!(
        "WITH oriented AS (
  SELECT CAST(start AS BIGINT) - (CAST(start AS BIGINT) % {window_ms}) AS window_ms,
         protocol, interface_id, vpc_id, action, tcp_flags, packets, bytes, start, \"end\",
         source_file, source_line, src_ip, dst_ip, srcport, dstport,
         client_is_src(tcp_flags, action, srcport, dstport, src_ip, dst_ip) AS fwd
  FROM flows
  WHERE src_ip IS NOT NULL AND dst_ip IS NOT NULL AND start IS NOT NULL
), per_eni AS (
  SELECT window_ms, protocol,
         CASE WHEN fwd THEN src_ip ELSE dst_ip END AS client_ip,
         CASE WHEN fwd THEN dst_ip ELSE src_ip END AS server_ip,
         CASE WHEN fwd THEN dstport ELSE srcport END AS server_port,
         interface_id,
         max(vpc_id) AS vpc_id,
         sum(CASE WHEN fwd THEN 1 ELSE 0 END) AS records_out,
         sum(CASE WHEN tcp_flags IS NULL THEN 0 ELSE 1 END) AS flagged,
         -- Without TCP flags a connection is known by its client port; with them, by its SYN.
         count(DISTINCT CASE WHEN tcp_flags IS NULL OR protocol <> 6
                             THEN CASE WHEN fwd THEN srcport ELSE dstport END END) AS client_ports,
         sum(CASE WHEN fwd AND tcp_flags & 2 = 2 THEN 1 ELSE 0 END) AS syn,
         sum(CASE WHEN NOT fwd AND tcp_flags & 18 = 18 THEN 1 ELSE 0 END) AS syn_ack,
         sum(CASE WHEN NOT fwd AND tcp_flags & 4 = 4 THEN 1 ELSE 0 END) AS rst,
         sum(CASE WHEN action = 'REJECT' THEN 1 ELSE 0 END) AS rejected,
         sum(CASE WHEN action = 'ACCEPT' THEN 1 ELSE 0 END) AS accepted,
         sum(CASE WHEN fwd THEN packets ELSE 0 END) AS packets_out,
         sum(CASE WHEN fwd THEN bytes ELSE 0 END) AS bytes_out,
         sum(CASE WHEN fwd THEN 0 ELSE packets END) AS packets_in,
         sum(CASE WHEN fwd THEN 0 ELSE bytes END) AS bytes_in,
         min(start) AS first_seen,
         max(\"end\") AS last_seen,
         first_value(arrow_cast(source_file, 'Utf8') ORDER BY start, source_line, arrow_cast(source_file, 'Utf8')) AS sample_file,
         first_value(source_line ORDER BY start, source_line, arrow_cast(source_file, 'Utf8')) AS sample_line
  FROM oriented
  GROUP BY 1, 2, 3, 4, 5, 6
)
SELECT arrow_cast(window_ms, 'Timestamp(Millisecond, Some(\"UTC\"))') AS window_start,
       window_ms, protocol, client_ip, server_ip,
       server_port, arrow_cast(max(vpc_id), 'Dictionary(Int32, Utf8)') AS vpc_id,
       -- The lowest and highest logging ENI ids (a NAT gateway's third ENI is left out): an
       -- ordered string_agg cost 40% of this query's time at 10 M records.
       arrow_cast(CASE WHEN min(interface_id) IS NULL THEN NULL
                       WHEN min(interface_id) = max(interface_id) THEN min(interface_id)
                       ELSE concat(min(interface_id), ' ', max(interface_id)) END,
                  'Dictionary(Int32, Utf8)') AS enis,
       -- Counts are 32-bit (saturating): 4 bytes less a count on each of millions of rows.
       CAST(least(CASE WHEN protocol = 6 AND max(flagged) > 0 THEN max(syn)
                       ELSE max(client_ports) END, 2147483647) AS INT) AS attempts,
       CAST(least(max(syn), 2147483647) AS INT) AS syn,
       CAST(least(max(syn_ack), 2147483647) AS INT) AS syn_ack,
       CAST(least(max(rst), 2147483647) AS INT) AS rst,
       CAST(least(sum(rejected), 2147483647) AS INT) AS rejected,
       CAST(least(max(accepted), 2147483647) AS INT) AS accepted,
       max(packets_out) AS packets_out, max(bytes_out) AS bytes_out,
       max(packets_in) AS packets_in, max(bytes_in) AS bytes_in,
       min(first_seen) AS first_seen, max(last_seen) AS last_seen,
       (max(packets_in) > 0 AND max(bytes_in) > 64 * max(packets_in)
        AND (max(syn_ack) > 0 OR max(syn) = 0)) AS answered,
       (sum(rejected) > 0 OR max(rst) > 0 OR (max(syn) > 0 AND max(syn_ack) = 0)
        OR ((max(packets_in) = 0 OR max(bytes_in) <= 64 * max(packets_in))
            AND max(packets_out) <= 3 * greatest(max(syn), max(client_ports), 1))) AS failed,
       -- A dictionary: S3 object names are long, and thousands of rows share one.
       arrow_cast(first_value(sample_file ORDER BY first_seen, sample_line, sample_file),
                  'Dictionary(Int32, Utf8)') AS sample_file,
       first_value(sample_line ORDER BY first_seen, sample_line, sample_file) AS sample_line
FROM per_eni
GROUP BY window_ms, protocol, client_ip, server_ip, server_port
ORDER BY window_ms, client_ip, server_ip, server_port, protocol"
    )
}

/// A text column of `batch` as plain UTF-8, whichever string type (views, dictionaries) the
/// plan produced.
fn utf8_column(batch: &RecordBatch, name: &str) -> Result<StringArray> {
    let wrong =
        || DataFusionError::Execution(format!("connections: column {name} is missing or not text"));
    let column = batch.column_by_name(name).ok_or_else(wrong)?;
    datafusion::arrow::compute::cast(column, &DataType::Utf8)?
        .as_string_opt::<i32>()
        .cloned()
        .ok_or_else(wrong)
}

/// Adds the text addresses and the asset columns of both sides to the aggregated batches, on
/// up to `threads` threads (each takes the next batch not yet taken; the order is kept). Naming
/// both sides of every row is most of the work after the fold: 4.9 M rows took 6.4 s on one.
pub fn enrich(
    batches: &[RecordBatch],
    resolver: Option<&Resolver>,
    threads: usize,
) -> Result<Vec<RecordBatch>> {
    // At most `ENRICH_ROWS` rows a batch, for the batches' own dictionaries' 16-bit keys.
    let pieces: Vec<RecordBatch> = batches
        .iter()
        .flat_map(|batch| {
            (0..batch.num_rows().max(1))
                .step_by(ENRICH_ROWS)
                .map(|at| batch.slice(at, ENRICH_ROWS.min(batch.num_rows() - at)))
        })
        .collect();
    crate::map_on_threads(
        &pieces,
        threads,
        "connections: an enrichment thread",
        |batch| enrich_batch(batch, resolver),
    )?
    .into_iter()
    .collect()
}

/// The most rows of a batch enrichment names at once (the fold's batches have 8192).
const ENRICH_ROWS: usize = 8192;

fn enrich_batch(batch: &RecordBatch, resolver: Option<&Resolver>) -> Result<RecordBatch> {
    let column = |name: &str| {
        batch.column_by_name(name).ok_or_else(|| {
            DataFusionError::Execution(format!("connections: column {name} missing"))
        })
    };
    let binary = |name: &str| -> Result<FixedSizeBinaryArray> {
        column(name)?
            .as_fixed_size_binary_opt()
            .cloned()
            .ok_or_else(|| DataFusionError::Execution(format!("connections: {name} type")))
    };
    let client = binary("client_ip")?;
    let server = binary("server_ip")?;
    // Text columns as plain UTF-8, whichever string type the aggregation produced.
    let vpc_ids = utf8_column(batch, "vpc_id")?;
    let enis = utf8_column(batch, "enis")?;
    let first_column = column("first_seen")?;
    let first = first_column
        .as_primitive_opt::<TimestampMillisecondType>()
        .ok_or_else(|| DataFusionError::Execution("connections: first_seen type".into()))?;
    let rows = batch.num_rows();
    // The VPC a row was logged in: the record's vpc-id, else a logging ENI's VPC.
    let vpcs: Vec<Option<&str>> = (0..rows)
        .map(|i| {
            if vpc_ids.is_valid(i) {
                return Some(vpc_ids.value(i));
            }
            let resolver = resolver?;
            (enis.is_valid(i))
                .then(|| enis.value(i).split(' '))
                .into_iter()
                .flatten()
                .find_map(|eni| resolver.by_eni(eni).and_then(|a| a.vpc.as_deref()))
        })
        .collect();
    let times: Vec<Option<i64>> = (0..rows)
        .map(|i| first.is_valid(i).then(|| first.value(i)))
        .collect();
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    // The dictionaries below are the batch's own (at most one value a row, and a batch has at
    // most `ENRICH_ROWS`): 16-bit keys, half the memory of 32-bit ones over millions of rows.
    let narrow = DataType::Dictionary(Box::new(DataType::Int16), Box::new(DataType::Utf8));
    // Formats without vpc-id (version 2) get the logging ENI's VPC, so that a finding's
    // identity does not depend on the format.
    if let Some(at) = fields.iter().position(|f| f.name() == "vpc_id") {
        fields[at] = Field::new("vpc_id", narrow.clone(), true);
        columns[at] =
            datafusion::arrow::compute::cast(&text_dictionary(vpcs.iter().copied())?, &narrow)?;
    }
    let mut named: Vec<(Field, ArrayRef)> = vec![(
        Field::new("client_addr", side_text_type(), true),
        address_texts(&client)?,
    )];
    named.push((
        Field::new("server_addr", side_text_type(), true),
        address_texts(&server)?,
    ));
    for (prefix, addresses) in [("client", &client), ("server", &server)] {
        named.extend(side_columns(resolver, prefix, addresses, &vpcs, &times)?);
    }
    for (field, array) in named {
        if matches!(field.data_type(), DataType::Dictionary(_, _)) {
            columns.push(datafusion::arrow::compute::cast(&array, &narrow)?);
            fields.push(field.with_data_type(narrow.clone()));
        } else {
            columns.push(array);
            fields.push(field);
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// Addresses as text, a dictionary: rows in the table's order repeat their client, and a
/// client talks to few servers.
fn address_texts(addresses: &FixedSizeBinaryArray) -> Result<ArrayRef> {
    let mut keys: Vec<Option<i32>> = Vec::with_capacity(addresses.len());
    let mut ids: std::collections::HashMap<&[u8], i32, foldhash::fast::RandomState> =
        std::collections::HashMap::default();
    let mut values = datafusion::arrow::array::StringBuilder::new();
    let mut last: Option<(&[u8], Option<i32>)> = None;
    for i in 0..addresses.len() {
        if addresses.is_null(i) {
            keys.push(None);
            continue;
        }
        let bytes = addresses.value(i);
        if let Some((previous, key)) = last
            && previous == bytes
        {
            keys.push(key);
            continue;
        }
        let key = match ids.get(bytes) {
            Some(key) => Some(*key),
            None => address_text(bytes).map(|text| {
                let key = ids.len() as i32;
                values.append_value(text);
                ids.insert(bytes, key);
                key
            }),
        };
        last = Some((bytes, key));
        keys.push(key);
    }
    Ok(Arc::new(datafusion::arrow::array::DictionaryArray::<
        datafusion::arrow::datatypes::Int32Type,
    >::try_new(
        datafusion::arrow::array::Int32Array::from(keys),
        Arc::new(values.finish()),
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_port_bitmap_holds_the_list_and_nothing_else() {
        for port in -1..=70_000 {
            assert_eq!(
                is_service_port(port),
                SERVICE_PORTS.contains(&port),
                "port {port}"
            );
        }
    }

    #[test]
    fn orientation_follows_flags_then_rejects_then_ports() {
        let (a, b) = ([1u8; 16], [2u8; 16]);
        // SYN from the source: it is the client, whatever the ports.
        assert!(client_is_source(
            Some(2),
            false,
            Some(80),
            Some(50_000),
            &a,
            &b
        ));
        // SYN-ACK: the source is the server.
        assert!(!client_is_source(
            Some(18),
            false,
            Some(50_000),
            Some(80),
            &a,
            &b
        ));
        // No flags, rejected: an attempt by the source, even to a high port.
        assert!(client_is_source(
            None,
            true,
            Some(40_000),
            Some(50_000),
            &a,
            &b
        ));
        // Known service port beats the lower-port rule.
        assert!(client_is_source(
            None,
            false,
            Some(1030),
            Some(5432),
            &a,
            &b
        ));
        assert!(!client_is_source(
            Some(0),
            false,
            Some(5432),
            Some(1030),
            &a,
            &b
        ));
        // Lower port.
        assert!(client_is_source(
            None,
            false,
            Some(45_000),
            Some(443),
            &a,
            &b
        ));
        assert!(!client_is_source(
            None,
            false,
            Some(443),
            Some(45_000),
            &a,
            &b
        ));
        // Both directions of a flagless exchange on equal ports agree.
        assert_ne!(
            client_is_source(None, false, Some(123), Some(123), &a, &b),
            client_is_source(None, false, Some(123), Some(123), &b, &a)
        );
    }
}
