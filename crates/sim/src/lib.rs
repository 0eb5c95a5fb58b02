//! The simulator behind `eastwest simulate` and `eastwest demo`.
//!
//! Nobody can hand us a year of a real company's VPC logs with labelled attacks, so eastwest
//! simulates them: an estate that behaves like a real one ([`estate`], [`benign`]), named attacks
//! with known ground truth ([`scenarios`]), written exactly as AWS writes it: the inventory as AWS
//! CLI JSON, VPC Flow Logs in the S3 layout ([`flows`]), CloudTrail ([`trail`]), Route 53
//! Resolver query logs, and sshd and auditd logs per host ([`hostlogs`]). The same seed gives the
//! same bytes; time is cut into five-minute slices generated in parallel with memory bounded by
//! one slice per worker.
#![deny(missing_docs)]

pub mod benign;
pub mod estate;
pub mod eval;
pub mod flows;
pub mod hostlogs;
pub mod rng;
pub mod scenarios;
pub mod trail;
mod write;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

pub use flows::FlowFormat;
pub use scenarios::{SCENARIOS, Truth};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Output directory.
    pub out: PathBuf,
    /// Scenarios to run (names from [`SCENARIOS`]); none for a benign-only estate.
    pub scenarios: Vec<String>,
    /// EC2 instances (at least 9: five fixed, the rest web and app servers).
    pub hosts: usize,
    /// Days simulated.
    pub days: f64,
    /// Days of benign life at the start before any scenario, and before autoscaling adds its
    /// newcomer: a learning period for detection. Counted within `days`.
    pub quiet_days: f64,
    /// Flow-log format.
    pub format: FlowFormat,
    /// Seed: the same seed gives the same bytes.
    pub seed: u64,
    /// First moment, epoch ms (a whole minute).
    pub start_ms: i64,
    /// Flow-log aggregation interval in seconds (60 or 600).
    pub aggregation_s: i64,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            out: PathBuf::from("sim"),
            scenarios: Vec::new(),
            hosts: 24,
            days: 1.0,
            quiet_days: 0.0,
            format: FlowFormat::V5,
            seed: 1,
            // 2026-11-02T00:00:00Z, a Monday.
            start_ms: 1_793_577_600_000,
            aggregation_s: 60,
            threads: 0,
        }
    }
}

/// What a simulation wrote.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SimSummary {
    /// Instances in the estate.
    pub instances: usize,
    /// ENIs in the estate.
    pub interfaces: usize,
    /// Flow-log records written.
    pub flow_records: u64,
    /// Flow-log files written.
    pub flow_files: u64,
    /// CloudTrail records written.
    pub trail_records: u64,
    /// DNS queries written.
    pub dns_queries: u64,
    /// Host log lines written.
    pub host_lines: u64,
    /// Bytes written under `logs/`.
    pub bytes: u64,
    /// The ground truth, one entry per scenario.
    pub truth: Vec<Truth>,
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A scenario name that does not exist.
    #[error("unknown scenario '{0}' (known: {known})", known = SCENARIOS.join(", "))]
    UnknownScenario(String),
    /// Options out of range.
    #[error("{0}")]
    Options(String),
    /// Writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Length of a file slice (and the unit of parallel work).
pub const SLICE_MS: i64 = 5 * 60_000;

/// Runs a simulation. `progress(done, total)` is called as slices finish.
pub fn simulate(
    options: &SimOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<SimSummary, SimError> {
    let mut names = Vec::new();
    for name in &options.scenarios {
        if name == "all" {
            names.extend(SCENARIOS.iter().map(|s| s.to_string()));
        } else if SCENARIOS.contains(&name.as_str()) {
            names.push(name.clone());
        } else {
            return Err(SimError::UnknownScenario(name.clone()));
        }
    }
    names.dedup();
    if !(options.days > 0.0 && options.days <= 366.0) {
        return Err(SimError::Options(
            "--days must be more than 0 and at most 366".into(),
        ));
    }
    if options.hosts < 9 {
        return Err(SimError::Options(
            "--hosts must be at least 9 (five fixed instances, two web, two app)".into(),
        ));
    }
    if options.hosts > 60_000 {
        return Err(SimError::Options(
            "--hosts is at most 60000 (the web and app subnets are four /20s)".into(),
        ));
    }
    if options.aggregation_s != 60 && options.aggregation_s != 600 {
        return Err(SimError::Options(
            "the aggregation interval is 60 or 600 seconds, as AWS allows".into(),
        ));
    }
    let start_ms = options.start_ms - options.start_ms.rem_euclid(60_000);
    let end_ms = start_ms + (options.days * 86_400_000.0) as i64;
    let active_from_ms =
        (start_ms + (options.quiet_days.max(0.0) * 86_400_000.0) as i64).min(end_ms);
    let estate = estate::Estate::build(
        options.seed,
        options.hosts,
        start_ms,
        end_ms,
        active_from_ms,
    );

    let mut inventory = estate.inventory();
    for flow_log in &mut inventory.flow_logs {
        flow_log.item.log_format = Some(options.format.log_format().to_string());
        flow_log.item.max_aggregation_interval = Some(options.aggregation_s);
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SimError::Io { path, source }
    };
    let inventory_dir = options.out.join("inventory");
    eastwest_inventory::snapshot::write(&inventory, &inventory_dir).map_err(io(&inventory_dir))?;

    let mut activity = scenarios::Activity::default();
    for name in &names {
        scenarios::run(name, &estate, options.seed, &mut activity);
    }
    let mut trail_rng = rng::Rng::fork(options.seed, 0x7A11);
    trail::benign(
        &estate,
        &mut trail_rng,
        start_ms,
        end_ms,
        &mut activity.trail,
    );
    let mut host_rng = rng::Rng::fork(options.seed, 0x4057);
    hostlogs::benign(
        &estate,
        &mut host_rng,
        start_ms,
        end_ms,
        &mut activity.host_lines,
    );

    let logs = options.out.join("logs");
    let slices = ((end_ms - start_ms + SLICE_MS - 1) / SLICE_MS) as usize;
    // Scenario connections and queries, bucketed by the slice they start in.
    let mut conns_by_slice: Vec<Vec<flows::Conn>> = vec![Vec::new(); slices];
    for conn in activity.conns.drain(..) {
        let slice = ((conn.start_ms - start_ms) / SLICE_MS).clamp(0, slices as i64 - 1) as usize;
        conns_by_slice[slice].push(conn);
    }
    let mut dns_by_slice: Vec<Vec<scenarios::DnsQuery>> = vec![Vec::new(); slices];
    for query in activity.dns.drain(..) {
        let slice = ((query.ms - start_ms) / SLICE_MS).clamp(0, slices as i64 - 1) as usize;
        dns_by_slice[slice].push(query);
    }

    let threads = if options.threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    } else {
        options.threads
    };
    let next = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let records = AtomicU64::new(0);
    let files = AtomicU64::new(0);
    let queries = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let context = write::Context {
        estate: &estate,
        options,
        logs: &logs,
        start_ms,
    };
    let failure: std::sync::Mutex<Option<SimError>> = std::sync::Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                let mut buffers = write::Buffers::default();
                loop {
                    let slice = next.fetch_add(1, Ordering::Relaxed);
                    if slice >= slices || failure.lock().map(|f| f.is_some()).unwrap_or(true) {
                        break;
                    }
                    match context.slice(
                        slice,
                        &conns_by_slice[slice],
                        &dns_by_slice[slice],
                        &mut buffers,
                    ) {
                        Ok(stats) => {
                            records.fetch_add(stats.records, Ordering::Relaxed);
                            files.fetch_add(stats.files, Ordering::Relaxed);
                            queries.fetch_add(stats.queries, Ordering::Relaxed);
                            bytes.fetch_add(stats.bytes, Ordering::Relaxed);
                        }
                        Err(e) => {
                            if let Ok(mut f) = failure.lock() {
                                f.get_or_insert(e);
                            }
                            break;
                        }
                    }
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, slices as u64);
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    let trail_records = activity.trail.len() as u64;
    let host_lines = activity.host_lines.len() as u64;
    bytes.fetch_add(context.trail(&mut activity.trail)?, Ordering::Relaxed);
    bytes.fetch_add(
        context.host_logs(&mut activity.host_lines)?,
        Ordering::Relaxed,
    );

    let truth_path = options.out.join("truth.json");
    let truth = serde_json::json!({
        "seed": options.seed,
        "start_ms": start_ms,
        "end_ms": end_ms,
        "hosts": options.hosts,
        "format": format!("{:?}", options.format).to_lowercase(),
        "scenarios": activity.truth,
    });
    let text = serde_json::to_string_pretty(&truth).unwrap_or_default();
    std::fs::write(&truth_path, text + "\n").map_err(io(&truth_path))?;

    Ok(SimSummary {
        instances: estate.hosts.iter().filter(|h| h.role.is_instance()).count(),
        interfaces: estate.hosts.len(),
        flow_records: records.into_inner(),
        flow_files: files.into_inner(),
        trail_records,
        dns_queries: queries.into_inner(),
        host_lines,
        bytes: bytes.into_inner(),
        truth: activity.truth,
    })
}
