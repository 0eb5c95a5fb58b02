//! Writing the simulated logs in the S3 layouts AWS uses.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use eastwest_model::time::Civil;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

use crate::estate::{ACCOUNT, Estate, REGION};
use crate::flows::{FlowFormat, Record, az_id};
use crate::hostlogs::{HostFile, HostLine};
use crate::rng::Rng;
use crate::scenarios::DnsQuery;
use crate::{SLICE_MS, SimError, SimOptions};

/// Shared, read-only state of the writers.
pub(crate) struct Context<'a> {
    pub estate: &'a Estate,
    pub options: &'a SimOptions,
    pub logs: &'a Path,
    pub start_ms: i64,
}

/// Buffers a worker reuses from slice to slice.
#[derive(Default)]
pub(crate) struct Buffers {
    conns: Vec<crate::flows::Conn>,
    records: Vec<Record>,
    text: Vec<u8>,
}

/// What a slice wrote.
pub(crate) struct Stats {
    pub records: u64,
    pub files: u64,
    pub queries: u64,
    pub bytes: u64,
}

/// `AWSLogs/<account>/<service>/<region-or-vpc>/YYYY/MM/DD/`.
fn dated(logs: &Path, service: &str, scope: &str, ms: i64) -> PathBuf {
    let c = Civil::from_ms(ms);
    logs.join("AWSLogs")
        .join(ACCOUNT)
        .join(service)
        .join(scope)
        .join(format!("{:04}", c.year))
        .join(format!("{:02}", c.month))
        .join(format!("{:02}", c.day))
}

/// `20261102T0005Z`.
fn stamp(ms: i64) -> String {
    let c = Civil::from_ms(ms);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute
    )
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` gzip-compressed (multi-GB runs: the fast level, as Firehose-era tools do;
/// the gzip header carries no time, so output is reproducible).
fn write_gz(path: &Path, bytes: &[u8]) -> Result<u64, SimError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let file = std::fs::File::create(path).map_err(io(path))?;
    let mut encoder = GzEncoder::new(
        std::io::BufWriter::with_capacity(1 << 20, file),
        Compression::fast(),
    );
    encoder.write_all(bytes).map_err(io(path))?;
    let mut inner = encoder.finish().map_err(io(path))?;
    inner.flush().map_err(io(path))?;
    Ok(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0))
}

impl Context<'_> {
    /// Generates and writes one five-minute slice: flow logs and DNS query logs per VPC.
    pub fn slice(
        &self,
        slice: usize,
        scenario_conns: &[crate::flows::Conn],
        scenario_dns: &[DnsQuery],
        buffers: &mut Buffers,
    ) -> Result<Stats, SimError> {
        let from = self.start_ms + slice as i64 * SLICE_MS;
        let to = (from + SLICE_MS).min(self.estate.end_ms);
        let mut rng = Rng::fork(self.options.seed, 1_000_000 + slice as u64);
        buffers.conns.clear();
        crate::benign::generate(self.estate, &mut rng, from, to, &mut buffers.conns);
        buffers.conns.extend_from_slice(scenario_conns);
        buffers.records.clear();
        for conn in &buffers.conns {
            self.estate
                .records(conn, self.options.aggregation_s, &mut buffers.records);
        }
        let mut stats = Stats {
            records: 0,
            files: 0,
            queries: 0,
            bytes: 0,
        };
        let format = self.options.format;
        for (vpc_index, vpc) in self.estate.vpcs.iter().enumerate() {
            let mine = |r: &&Record| self.estate.hosts[r.host].vpc(self.estate) == vpc_index;
            let count = buffers.records.iter().filter(mine).count();
            if count == 0 {
                continue;
            }
            let dir = dated(self.logs, "vpcflowlogs", REGION, from);
            let base = format!(
                "{ACCOUNT}_vpcflowlogs_{REGION}_{}_{}_{}",
                vpc.flow_log,
                stamp(from),
                rng.hex(8)
            );
            let size = match format {
                FlowFormat::V2 | FlowFormat::V5 => {
                    buffers.text.clear();
                    buffers.text.extend_from_slice(format.header().as_bytes());
                    buffers.text.push(b'\n');
                    for record in buffers.records.iter().filter(mine) {
                        self.estate.write_line(record, format, &mut buffers.text);
                    }
                    write_gz(&dir.join(format!("{base}.log.gz")), &buffers.text)?
                }
                FlowFormat::Parquet => {
                    let rows: Vec<&Record> = buffers.records.iter().filter(mine).collect();
                    self.parquet(&dir.join(format!("{base}.log.parquet")), &rows)?
                }
            };
            stats.records += count as u64;
            stats.files += 1;
            stats.bytes += size;
        }
        // Route 53 Resolver query logs, per VPC.
        let mut queries: Vec<DnsQuery> = crate_benign_dns(self.estate, &mut rng, from, to);
        queries.extend_from_slice(scenario_dns);
        for (vpc_index, vpc) in self.estate.vpcs.iter().enumerate() {
            let mut text = Vec::new();
            let mut n = 0;
            for q in queries
                .iter()
                .filter(|q| self.estate.hosts[q.host].vpc(self.estate) == vpc_index)
            {
                let host = &self.estate.hosts[q.host];
                let line = json!({
                    "version": "1.100000",
                    "account_id": ACCOUNT,
                    "region": REGION,
                    "vpc_id": vpc.id,
                    "query_timestamp": Civil::from_ms(q.ms).iso_seconds(),
                    "query_name": q.name,
                    "query_type": q.kind,
                    "query_class": "IN",
                    "rcode": q.rcode,
                    "answers": q.answers.iter().map(|(rdata, kind)| json!({"Rdata": rdata, "Type": kind, "Class": "IN"})).collect::<Vec<Value>>(),
                    "srcaddr": host.ip.to_string(),
                    "srcport": (32768 + (q.ms % 28000)).to_string(),
                    "transport": "UDP",
                    "srcids": {"instance": host.instance_id.clone().unwrap_or_default()}
                });
                text.extend_from_slice(line.to_string().as_bytes());
                text.push(b'\n');
                n += 1;
            }
            if n == 0 {
                continue;
            }
            let path = dated(self.logs, "vpcdnsquerylogs", &vpc.id, from).join(format!(
                "{}_vpcdnsquerylogs_{ACCOUNT}_{}_{}.log.gz",
                vpc.id,
                stamp(from),
                rng.hex(8)
            ));
            stats.bytes += write_gz(&path, &text)?;
            stats.queries += n;
        }
        Ok(stats)
    }

    /// Version-5 fields as AWS's Parquet delivery types them.
    fn parquet(&self, path: &Path, rows: &[&Record]) -> Result<u64, SimError> {
        let text = |f: &dyn Fn(&Record) -> Option<String>| -> ArrayRef {
            Arc::new(rows.iter().map(|r| f(r)).collect::<StringArray>())
        };
        let int = |f: &dyn Fn(&Record) -> i32| -> ArrayRef {
            Arc::new(rows.iter().map(|r| f(r)).collect::<Int32Array>())
        };
        let long = |f: &dyn Fn(&Record) -> i64| -> ArrayRef {
            Arc::new(rows.iter().map(|r| f(r)).collect::<Int64Array>())
        };
        let e = self.estate;
        let subnet = |r: &Record| &e.subnets[e.hosts[r.host].subnet];
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("version", int(&|_| 5)),
            ("vpc_id", text(&|r| Some(e.vpcs[subnet(r).vpc].id.clone()))),
            ("subnet_id", text(&|r| Some(subnet(r).id.clone()))),
            (
                "instance_id",
                text(&|r| e.hosts[r.host].instance_id.clone()),
            ),
            ("interface_id", text(&|r| Some(e.hosts[r.host].eni.clone()))),
            ("account_id", text(&|_| Some(ACCOUNT.into()))),
            ("type", text(&|_| Some("IPv4".into()))),
            ("srcaddr", text(&|r| Some(r.src.to_string()))),
            ("dstaddr", text(&|r| Some(r.dst.to_string()))),
            ("srcport", int(&|r| i32::from(r.sport))),
            ("dstport", int(&|r| i32::from(r.dport))),
            ("pkt_srcaddr", text(&|r| Some(r.pkt_src.to_string()))),
            ("pkt_dstaddr", text(&|r| Some(r.pkt_dst.to_string()))),
            ("protocol", int(&|r| i32::from(r.protocol))),
            ("bytes", long(&|r| r.bytes as i64)),
            ("packets", long(&|r| r.packets as i64)),
            ("start", long(&|r| r.start)),
            ("end", long(&|r| r.end)),
            (
                "action",
                text(&|r| Some(if r.accept { "ACCEPT" } else { "REJECT" }.into())),
            ),
            ("tcp_flags", int(&|r| i32::from(r.flags))),
            ("log_status", text(&|_| Some("OK".into()))),
            ("region", text(&|_| Some(REGION.into()))),
            ("az_id", text(&|r| Some(az_id(subnet(r).zone).into()))),
            (
                "flow_direction",
                text(&|r| Some(if r.ingress { "ingress" } else { "egress" }.into())),
            ),
            (
                "traffic_path",
                Arc::new(
                    rows.iter()
                        .map(|r| r.path.map(i32::from))
                        .collect::<Int32Array>(),
                ),
            ),
        ];
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
                .collect::<Vec<_>>(),
        ));
        let _ = DataType::Utf8;
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            columns.into_iter().map(|(_, a)| a).collect(),
        )
        .map_err(|e| SimError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let file = std::fs::File::create(path).map_err(io(path))?;
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let parquet_error = |e: parquet::errors::ParquetError| SimError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        };
        let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, Some(properties))
            .map_err(parquet_error)?;
        writer.write(&batch).map_err(parquet_error)?;
        writer.close().map_err(parquet_error)?;
        Ok(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0))
    }

    /// CloudTrail, one file per five minutes with events, `{"Records": [...]}`.
    pub fn trail(&self, events: &mut [(i64, Value)]) -> Result<u64, SimError> {
        events.sort_by_key(|(ms, _)| *ms);
        let mut rng = Rng::fork(self.options.seed, 0xC7);
        let mut bytes = 0;
        for group in events.chunk_by(|a, b| {
            (a.0 - self.start_ms).div_euclid(SLICE_MS) == (b.0 - self.start_ms).div_euclid(SLICE_MS)
        }) {
            let slice_start =
                self.start_ms + (group[0].0 - self.start_ms).div_euclid(SLICE_MS) * SLICE_MS;
            let records: Vec<&Value> = group.iter().map(|(_, v)| v).collect();
            let body = json!({"Records": records}).to_string();
            let name = format!(
                "{ACCOUNT}_CloudTrail_{REGION}_{}_{}.json.gz",
                stamp(slice_start + SLICE_MS),
                rng.chars(
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                    16
                )
            );
            bytes += write_gz(
                &dated(self.logs, "CloudTrail", REGION, slice_start).join(name),
                body.as_bytes(),
            )?;
        }
        Ok(bytes)
    }

    /// Host logs: `hosts/<instance-id>/var/log/secure` and `.../audit/audit.log`, in time order.
    pub fn host_logs(&self, lines: &mut [HostLine]) -> Result<u64, SimError> {
        lines.sort_by_key(|l| (l.host, l.file == HostFile::Audit, l.ms));
        let mut bytes = 0;
        for group in lines.chunk_by(|a, b| a.host == b.host && a.file == b.file) {
            let host = &self.estate.hosts[group[0].host];
            let Some(instance) = &host.instance_id else {
                continue;
            };
            let relative = match group[0].file {
                HostFile::Secure => "var/log/secure",
                HostFile::Audit => "var/log/audit/audit.log",
            };
            let path = self.logs.join("hosts").join(instance).join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let mut text = String::new();
            for line in group {
                text.push_str(&line.text);
                text.push('\n');
            }
            std::fs::write(&path, &text).map_err(io(&path))?;
            bytes += text.len() as u64;
        }
        Ok(bytes)
    }
}

/// Everyday lookups: AWS endpoints, the databases, package mirrors.
fn crate_benign_dns(estate: &Estate, rng: &mut Rng, from: i64, to: i64) -> Vec<DnsQuery> {
    const NAMES: [(&str, &str); 6] = [
        ("ssm.us-east-1.amazonaws.com.", "52.46.141.158"),
        ("s3.us-east-1.amazonaws.com.", "52.216.8.0"),
        (
            "orders-db.c9akciq32.us-east-1.rds.amazonaws.com.",
            "10.40.80.12",
        ),
        (
            "sessions.x1ppxm.0001.use1.cache.amazonaws.com.",
            "10.40.80.14",
        ),
        ("api.github.com.", "140.82.112.5"),
        (
            "amazonlinux-2-repos-us-east-1.s3.dualstack.us-east-1.amazonaws.com.",
            "52.216.8.1",
        ),
    ];
    let mut out = Vec::new();
    for (h, host) in estate.hosts.iter().enumerate() {
        if !host.role.is_instance() || host.launched_ms > from {
            continue;
        }
        for _ in 0..rng.poisson(0.3 * (to - from) as f64 / 60_000.0) {
            let (name, answer) = *rng.pick(&NAMES);
            out.push(DnsQuery {
                ms: from + rng.below((to - from).max(1) as u64) as i64,
                host: h,
                name: name.into(),
                kind: "A",
                rcode: "NOERROR",
                answers: vec![(answer.into(), "A")],
            });
        }
    }
    out
}
