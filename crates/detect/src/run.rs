//! One detection run: connections, baseline-free detectors, baselines, baseline detectors,
//! findings with evidence, suppression, and the baseline's update.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int32Array, Int64Array, StringArray,
};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use eastwest_engine::Engine;
use eastwest_inventory::{Inventory, Resolver};
use eastwest_model::time::{MS_PER_DAY, MS_PER_HOUR};
use eastwest_model::{Finding, Severity};

use crate::baseline::Baseline;
use crate::config::Config;
use crate::findings::{evidence, evidence_sql, finding, rows};
use crate::{DetectError, Detector};

/// How to run detection.
#[derive(Debug, Clone)]
pub struct DetectOptions {
    /// The learning period taken from the start of the input when the state has no baseline.
    pub learn_ms: i64,
    /// Where baselines are kept (`--state`); none: learned and forgotten.
    pub state: Option<PathBuf>,
    /// Settings.
    pub config: Config,
    /// The user's detector files (`--rules`).
    pub rules_dir: Option<PathBuf>,
    /// The `connections` window.
    pub window_ms: i64,
    /// The time findings are reported at (epoch ms).
    pub now_ms: i64,
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self {
            learn_ms: 24 * MS_PER_HOUR,
            state: None,
            config: Config::default(),
            rules_dir: None,
            window_ms: eastwest_engine::connections::DEFAULT_WINDOW_MS,
            now_ms: 0,
        }
    }
}

/// A finding not reported, and why.
#[derive(Debug, Clone)]
pub struct Suppressed {
    /// The finding.
    pub finding: Finding,
    /// Why (`authorised scanner`, an allowlist entry's reason).
    pub reason: String,
}

/// What a run found and did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Findings suppressed by the config, each with its reason.
    pub suppressed: Vec<Suppressed>,
    /// Detectors that did not run, and why (disabled; no baseline yet).
    pub not_run: Vec<(String, String)>,
    /// Detectors that ran.
    pub ran: Vec<String>,
    /// Rows of `connections`.
    pub connections: usize,
    /// Rows of the event tables the event detectors read.
    pub events: usize,
    /// The traffic's period (epoch ms), window-aligned.
    pub period: Option<(i64, i64)>,
    /// Baseline detectors report from here on.
    pub detect_from_ms: i64,
    /// Where the baseline came from, in words.
    pub baseline_source: String,
    /// Rows per baseline table after the run.
    pub baseline_rows: BTreeMap<String, usize>,
    /// Warnings for the user (a threshold set for a detector that has no such threshold).
    pub warnings: Vec<String>,
}

/// The input's first and last window (epoch ms), from `connections` and the event tables read
/// (`tables`), so that an input of events alone has a period to learn and detect in.
async fn period(
    engine: &Engine,
    window_ms: i64,
    tables: &[&str],
) -> Result<Option<(i64, i64)>, DetectError> {
    let mut sql =
        String::from("SELECT min(window_ms) AS a, max(window_ms) + {window} AS b FROM connections");
    for table in tables {
        // Event times are aligned on the window too, so that both begin on its boundary.
        sql.push_str(&format!(
            " UNION ALL SELECT CAST(min(time) AS BIGINT) AS a, CAST(max(time) AS BIGINT) + 1 AS b \
             FROM \"{}\"",
            table.replace('"', "")
        ));
    }
    let sql = format!(
        "SELECT min(a) AS a, max(b) AS b FROM ({})",
        sql.replace("{window}", &window_ms.to_string())
    );
    let batches = engine
        .sql(&sql)
        .await
        .map_err(|e| DetectError::query("period", e))?
        .collect()
        .await
        .map_err(|e| DetectError::query("period", e))?;
    let Some(batch) = batches.first() else {
        return Ok(None);
    };
    let value = |i: usize| {
        batch
            .column(i)
            .as_primitive_opt::<datafusion::arrow::datatypes::Int64Type>()
            .and_then(|a| a.is_valid(0).then(|| a.value(0)))
    };
    let window = window_ms.max(1);
    Ok(value(0).zip(value(1)).map(|(a, b)| {
        let start = a - a.rem_euclid(window);
        let end = b + (window - b.rem_euclid(window)) % window;
        (start, end)
    }))
}

/// Runs detection over the `flows` registered on `engine`.
pub async fn detect(
    engine: &Engine,
    resolver: Option<&Resolver>,
    inventory: Option<&Inventory>,
    options: &DetectOptions,
) -> Result<Outcome, DetectError> {
    let mut outcome = Outcome::default();
    // Each stage's time since the start, under -v: where a long run spends it.
    let started = std::time::Instant::now();
    let elapsed_ms = || started.elapsed().as_millis() as u64;
    let (detectors, refused) = crate::load_detectors(options.rules_dir.as_deref())?;
    if !refused.is_empty() {
        // Counted by reason, not listed: a SigmaHQ checkout has thousands of rules for other
        // platforms. `eastwest detectors --rules DIR` lists each.
        let invalid = refused.iter().filter(|r| r.invalid).count();
        let no_mapping = refused
            .iter()
            .filter(|r| r.reason.starts_with("no mapping"))
            .count();
        outcome.warnings.push(format!(
            "{} Sigma rule(s) not run: {} for log sources eastwest does not read, {} invalid, {} \
             using what eastwest cannot translate (`eastwest detectors --rules DIR` lists each \
             with its reason)",
            refused.len(),
            no_mapping,
            invalid,
            refused.len() - invalid - no_mapping
        ));
    }
    for detector in &detectors {
        let header = detector.header();
        let known: Vec<&str> = header.thresholds.keys().map(String::as_str).collect();
        for name in options.config.unknown_settings(&header.id, &known) {
            outcome.warnings.push(format!(
                "config: detector {} has no threshold '{name}' (it has: {})",
                header.id,
                known.join(", ")
            ));
        }
    }
    let mut connections = engine
        .build_connections(options.window_ms, resolver)
        .await
        .map_err(|e| DetectError::query("building connections", e))?;
    // The first window this run read: baselines learn only from traffic not learned before.
    let new_from = first_window(&connections);
    if let Some(state) = &options.state
        && let Some(carried) = crate::state::load_carry(state)?
    {
        connections = crate::state::merge(engine, connections, carried).await?;
    }
    outcome.connections = connections.iter().map(|b| b.num_rows()).sum();
    tracing::info!(
        rows = outcome.connections,
        elapsed_ms = elapsed_ms(),
        "Connections built."
    );
    engine
        .register_connections(connections.clone())
        .map_err(|e| DetectError::query("registering connections", e))?;
    register_management(engine, resolver, inventory, &options.config)?;
    register_list(
        engine,
        "popular_domains",
        "domain",
        &crate::events::popular_domains(),
    )?;
    // Each event table an enabled detector reads is read once, here, and kept in memory for
    // all of them.
    let mut read_tables: Vec<&str> = Vec::new();
    for detector in &detectors {
        let header = detector.header();
        let table = header.table.as_str();
        if table == crate::rule::CONNECTIONS
            || read_tables.contains(&table)
            || !options.config.enabled(&header.id)
        {
            continue;
        }
        let context = || format!("reading the {table} table");
        let rows = engine
            .collect_table(&format!(
                "SELECT *{} FROM \"{}\"",
                crate::events::derived_columns(table),
                table.replace('"', "")
            ))
            .await
            .map_err(|e| DetectError::query(context(), e))?;
        outcome.events += rows.iter().map(|b| b.num_rows()).sum::<usize>();
        engine
            .register_batches(table, rows)
            .map_err(|e| DetectError::query(context(), e))?;
        read_tables.push(table);
    }

    tracing::info!(
        tables = read_tables.len(),
        rows = outcome.events,
        elapsed_ms = elapsed_ms(),
        "Event tables read."
    );
    outcome.period = period(engine, options.window_ms, &read_tables).await?;
    let (start, end) = outcome.period.unwrap_or((0, 0));

    // Detectors that need no baseline run over everything, the learning period included.
    let mut findings: Vec<Finding> = Vec::new();
    for detector in detectors.iter().filter(|d| !d.header().needs_baseline) {
        if !options.config.enabled(&detector.header().id) {
            outcome.not_run.push((
                detector.header().id.clone(),
                "disabled in the config".into(),
            ));
            continue;
        }
        match run_one(engine, detector.as_ref(), options, resolver, start).await {
            Ok(found) => {
                findings.extend(found);
                outcome.ran.push(detector.header().id.clone());
            }
            // A Sigma rule from a user's checkout that the engine cannot run (a function it
            // lacks, a pattern it refuses) is reported and skipped: one rule among hundreds
            // must not stop detection. The project's own detectors stop it: theirs is a bug.
            Err(error) if detector.header().id.starts_with(crate::sigma::PREFIX) => {
                outcome
                    .not_run
                    .push((detector.header().id.clone(), error.to_string()));
            }
            Err(error) => return Err(error),
        }
    }

    // The baseline: from the state, else learned from the first `learn_ms` of the input, from
    // traffic the detectors above did not flag.
    register_normal(engine, &connections, &findings)?;
    let stored = match &options.state {
        Some(state) => Baseline::load(state)?,
        None => None,
    };
    let complete = |b: &Baseline| b.meta.learned_ms >= options.learn_ms;
    let (baseline, detect_from) = match stored {
        Some(stored) if complete(&stored) => {
            outcome.baseline_source = format!(
                "loaded from the state ({} h learned over {} run(s))",
                stored.meta.learned_ms / MS_PER_HOUR,
                stored.meta.runs
            );
            (stored, start)
        }
        stored => {
            // A baseline an earlier run began goes on from where it stopped (the carried
            // connections before that point are learned already).
            let (already, from, base) = match stored {
                Some(b) => (
                    b.meta.learned_ms,
                    b.meta.learned_until_ms.unwrap_or(start).max(start),
                    Some(b),
                ),
                None => (0, start, None),
            };
            let until = from
                .saturating_add(options.learn_ms.saturating_sub(already))
                .min(end.max(from));
            let learned = crate::baseline::learn(engine, from, until, &read_tables).await?;
            let baseline = match base {
                Some(base) => base.merge(learned, engine).await?,
                None => learned,
            };
            outcome.baseline_source = format!(
                "learned from {} h of this input ({} h needed)",
                (until - from) / MS_PER_HOUR,
                options.learn_ms / MS_PER_HOUR
            );
            (baseline, until)
        }
    };
    outcome.detect_from_ms = detect_from;
    baseline.register(engine)?;
    tracing::info!(elapsed_ms = elapsed_ms(), "Baseline ready.");
    let ready = complete(&baseline) && detect_from < end;
    let mut without_baseline: Vec<&dyn Detector> = Vec::new();
    for detector in detectors.iter().filter(|d| d.header().needs_baseline) {
        let id = detector.header().id.clone();
        if !options.config.enabled(&id) {
            outcome.not_run.push((id, "disabled in the config".into()));
            continue;
        }
        if !ready && detector.header().baseline_optional {
            without_baseline.push(detector.as_ref());
            continue;
        }
        if !ready {
            outcome.not_run.push((
                id,
                format!(
                    "needs a baseline of {} h and traffic after it; this input covers {} h",
                    options.learn_ms / MS_PER_HOUR,
                    (end - start) / MS_PER_HOUR
                ),
            ));
            continue;
        }
        findings.extend(run_one(engine, detector.as_ref(), options, resolver, detect_from).await?);
        outcome.ran.push(id);
    }

    if !without_baseline.is_empty() {
        // No baseline is ready: these run over the whole input against empty baseline tables,
        // so that everything is new to them.
        baseline.empty().register(engine)?;
        for detector in without_baseline {
            findings.extend(run_one(engine, detector, options, resolver, start).await?);
            outcome.ran.push(detector.header().id.clone());
        }
        baseline.register(engine)?;
    }

    // Update the baseline with the detection period's unflagged traffic.
    register_normal(engine, &connections, &findings)?;
    let baseline = if ready {
        let from = detect_from.max(new_from.unwrap_or(detect_from));
        let learned = crate::baseline::learn(engine, from, end, &read_tables).await?;
        baseline.merge(learned, engine).await?
    } else {
        baseline
    };
    outcome.baseline_rows = baseline.rows();
    if let Some(state) = &options.state {
        baseline.save(state)?;
        // Carry yesterday (UTC) and today into the next run.
        let today = (end - 1).div_euclid(MS_PER_DAY) * MS_PER_DAY;
        crate::state::save_carry(state, &connections, today - crate::state::CARRY_MS)?;
    }

    // Suppression: authorised scanners and allowlist entries, each counted with its reason.
    let by_id: HashMap<String, &dyn Detector> = detectors
        .iter()
        .map(|d| (d.header().id.clone(), d.as_ref()))
        .collect();
    for finding in findings {
        match suppression(&finding, &by_id, resolver, &options.config, options.now_ms) {
            Some(reason) => outcome
                .suppressed
                .push(crate::run::Suppressed { finding, reason }),
            None => outcome.findings.push(finding),
        }
    }
    outcome.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.first_seen_ms.cmp(&b.first_seen_ms))
            .then(a.uid.cmp(&b.uid))
    });
    tracing::info!(
        findings = outcome.findings.len(),
        elapsed_ms = elapsed_ms(),
        "Detection done."
    );
    Ok(outcome)
}

/// A finding's key for its evidence: uid, source, destination, port, from and to (epoch ms).
type FindingKey = (String, String, Option<String>, Option<i32>, i64, i64);

/// What a finding flags: destination, port, from and to (epoch ms).
type Flagged<'a> = (Option<&'a str>, Option<u16>, i64, i64);

/// The earliest `window_ms` of connection batches.
fn first_window(batches: &[RecordBatch]) -> Option<i64> {
    batches
        .iter()
        .filter_map(|b| {
            b.column_by_name("window_ms")?
                .as_primitive_opt::<datafusion::arrow::datatypes::Int64Type>()
                .and_then(|w| w.iter().flatten().min())
        })
        .min()
}

/// Runs one detector and builds its findings with their evidence.
async fn run_one(
    engine: &Engine,
    detector: &dyn Detector,
    options: &DetectOptions,
    resolver: Option<&Resolver>,
    detect_from: i64,
) -> Result<Vec<Finding>, DetectError> {
    let header = detector.header();
    let thresholds = options.config.thresholds(&header.id);
    let batches = detector.run(engine, &thresholds, detect_from).await?;
    let mut findings: Vec<Finding> = Vec::new();
    let mut keys: Vec<FindingKey> = Vec::new();
    let events = header.table != crate::rule::CONNECTIONS;
    for (row, first, last) in rows(&batches) {
        let (mut finding, _) = finding(header, &row, first, last, &thresholds, resolver);
        if findings.iter().any(|f| f.uid == finding.uid) {
            continue;
        }
        if events {
            // An event detector's row carries its evidence.
            finding.evidence = crate::findings::row_evidence(&row);
            findings.push(finding);
            continue;
        }
        keys.push((
            finding.uid.clone(),
            row.get("src_addr").cloned().unwrap_or_default(),
            row.get("dst_addr").cloned(),
            row.get("dst_port").and_then(|p| p.parse().ok()),
            // Windows start on their boundary: the first one may begin before first_seen.
            first - first.rem_euclid(options.window_ms.max(1)),
            last,
        ));
        findings.push(finding);
    }
    if findings.is_empty() || events {
        tracing::info!(detector = %header.id, findings = findings.len(), "Detector ran.");
        return Ok(findings);
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("uid", DataType::Utf8, false),
        Field::new("src_addr", DataType::Utf8, false),
        Field::new("dst_addr", DataType::Utf8, true),
        Field::new("dst_port", DataType::Int32, true),
        Field::new("from_ms", DataType::Int64, false),
        Field::new("to_ms", DataType::Int64, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(
            keys.iter()
                .map(|k| Some(k.0.as_str()))
                .collect::<StringArray>(),
        ),
        Arc::new(
            keys.iter()
                .map(|k| Some(k.1.as_str()))
                .collect::<StringArray>(),
        ),
        Arc::new(keys.iter().map(|k| k.2.as_deref()).collect::<StringArray>()),
        Arc::new(keys.iter().map(|k| k.3).collect::<Int32Array>()),
        Arc::new(keys.iter().map(|k| Some(k.4)).collect::<Int64Array>()),
        Arc::new(keys.iter().map(|k| Some(k.5)).collect::<Int64Array>()),
    ];
    let batch = RecordBatch::try_new(schema, columns).map_err(|e| DetectError::State {
        path: "finding keys".into(),
        message: e.to_string(),
    })?;
    engine
        .register_batches("finding_keys", vec![batch])
        .map_err(|e| DetectError::query("finding keys", e))?;
    let context = || format!("evidence of {} ({})", header.id, detector.origin());
    let found = engine
        .sql(&evidence_sql(&header.evidence))
        .await
        .map_err(|e| DetectError::query(context(), e))?
        .collect()
        .await
        .map_err(|e| DetectError::query(context(), e))?;
    let mut by_uid = evidence(&found);
    for finding in &mut findings {
        finding.evidence = by_uid.remove(&finding.uid).unwrap_or_default();
    }
    tracing::info!(detector = %header.id, findings = findings.len(), "Detector ran.");
    Ok(findings)
}

/// Registers `normal_connections`: the connections no finding is about (the same client, and
/// the same server and port where the finding names them, in the finding's period); and
/// `flagged_sources(addr)`, the findings' source addresses, whose events the activity baseline
/// does not learn.
fn register_normal(
    engine: &Engine,
    connections: &[RecordBatch],
    findings: &[Finding],
) -> Result<(), DetectError> {
    let mut sources: Vec<String> = findings
        .iter()
        .filter_map(|f| f.source.as_ref().and_then(|s| s.ip.clone()))
        .collect();
    sources.sort_unstable();
    sources.dedup();
    register_list(engine, "flagged_sources", "addr", &sources)?;
    let mut flagged: HashMap<&str, Vec<Flagged<'_>>> = HashMap::new();
    for f in findings {
        let Some(source) = f.source.as_ref().and_then(|s| s.ip.as_deref()) else {
            continue;
        };
        let destination = f.destination.as_ref();
        flagged.entry(source).or_default().push((
            destination.and_then(|d| d.ip.as_deref()),
            destination.and_then(|d| d.port),
            f.first_seen_ms,
            f.last_seen_ms,
        ));
    }
    let mut kept = Vec::with_capacity(connections.len());
    for batch in connections {
        // Plain text, whichever string type (the addresses are dictionaries) the table has.
        let text = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| datafusion::arrow::compute::cast(c, &DataType::Utf8).ok())
                .and_then(|c| c.as_string_opt::<i32>().cloned())
        };
        let (Some(client), Some(server)) = (text("client_addr"), text("server_addr")) else {
            kept.push(batch.clone());
            continue;
        };
        let port = batch.column_by_name("server_port").and_then(|c| {
            c.as_primitive_opt::<datafusion::arrow::datatypes::Int32Type>()
                .cloned()
        });
        let window = batch.column_by_name("window_ms").and_then(|c| {
            c.as_primitive_opt::<datafusion::arrow::datatypes::Int64Type>()
                .cloned()
        });
        let mask: BooleanArray = (0..batch.num_rows())
            .map(|i| {
                let Some(entries) = (client.is_valid(i))
                    .then(|| flagged.get(client.value(i)))
                    .flatten()
                else {
                    return Some(true);
                };
                let at = window.as_ref().map(|w| w.value(i)).unwrap_or(0);
                let hit = entries.iter().any(|(dst, p, from, to)| {
                    dst.is_none_or(|d| server.is_valid(i) && server.value(i) == d)
                        && p.is_none_or(|p| {
                            port.as_ref()
                                .is_some_and(|c| c.is_valid(i) && c.value(i) == i32::from(p))
                        })
                        && at + MS_PER_HOUR > *from
                        && at <= *to
                });
                Some(!hit)
            })
            .collect();
        // Most batches hold no flagged connection: shared, not copied (a copy of every batch
        // doubled detection's peak memory at 100 M records).
        if mask.true_count() == batch.num_rows() {
            kept.push(batch.clone());
            continue;
        }
        kept.push(
            filter_record_batch(batch, &mask).map_err(|e| DetectError::State {
                path: "normal connections".into(),
                message: e.to_string(),
            })?,
        );
    }
    engine
        .register_batches("normal_connections", kept)
        .map_err(|e| DetectError::query("normal connections", e))
}

/// Registers `management_hosts(addr)`: the addresses of hosts that administer others. Derived
/// from security groups (a group named by another group's rule for a remote-access port,
/// other than itself and other than an all-ports rule, makes its members administrators) and
/// from the config's `[management]` selection.
fn register_management(
    engine: &Engine,
    resolver: Option<&Resolver>,
    inventory: Option<&Inventory>,
    config: &Config,
) -> Result<(), DetectError> {
    const REMOTE: [u16; 5] = [22, 3389, 5985, 5986, 445];
    let mut admin_groups: Vec<String> = Vec::new();
    if let Some(inventory) = inventory {
        for rule in eastwest_posture::rules::normalise(inventory) {
            if rule.egress || rule.all_tcp_ports() || !REMOTE.iter().any(|p| rule.admits_tcp(*p)) {
                continue;
            }
            if let eastwest_posture::rules::Peer::Group(group) = &rule.peer
                && *group != rule.group
            {
                admin_groups.push(group.clone());
            }
        }
    }
    let mut addresses: Vec<String> = Vec::new();
    if let Some(resolver) = resolver {
        for asset in resolver.assets() {
            let endpoint = eastwest_model::Endpoint {
                ip: asset.private_ips.first().map(|ip| ip.to_string()),
                name: Some(asset.name.clone()),
                instance_uid: asset.instance.clone(),
                interface_uid: Some(asset.eni.clone()),
                group: Some(asset.peer_group.clone()),
                ..Default::default()
            };
            let admin = asset
                .security_groups
                .iter()
                .any(|g| admin_groups.contains(g))
                || config.management.selects(&endpoint, Some(asset));
            if admin {
                addresses.extend(asset.private_ips.iter().map(|ip| ip.to_string()));
            }
        }
    }
    for selector in &config.management.assets {
        if selector.parse::<std::net::IpAddr>().is_ok() {
            addresses.push(selector.clone());
        }
    }
    addresses.sort();
    addresses.dedup();
    register_list(engine, "management_hosts", "addr", &addresses)
}

/// Registers a one-column table of texts.
fn register_list(
    engine: &Engine,
    table: &str,
    column: &str,
    items: &[String],
) -> Result<(), DetectError> {
    let schema = Arc::new(Schema::new(vec![Field::new(column, DataType::Utf8, false)]));
    let array: ArrayRef = Arc::new(
        items
            .iter()
            .map(|a| Some(a.as_str()))
            .collect::<StringArray>(),
    );
    let batch = RecordBatch::try_new(schema, vec![array]).map_err(|e| DetectError::State {
        path: table.to_string(),
        message: e.to_string(),
    })?;
    engine
        .register_batches(table, vec![batch])
        .map_err(|e| DetectError::query(table.to_string(), e))
}

/// Why a finding is suppressed, if it is.
fn suppression(
    finding: &Finding,
    detectors: &HashMap<String, &dyn Detector>,
    resolver: Option<&Resolver>,
    config: &Config,
    now_ms: i64,
) -> Option<String> {
    let source = finding.source.as_ref()?;
    let asset = |endpoint: &eastwest_model::Endpoint| {
        let resolver = resolver?;
        endpoint
            .interface_uid
            .as_deref()
            .and_then(|eni| resolver.by_eni(eni))
    };
    let exempt = detectors
        .get(&finding.analytic)
        .is_some_and(|d| d.header().scanner_exempt);
    if exempt && config.scanners.selects(source, asset(source)) {
        return Some("authorised scanner ([scanners] in the config)".into());
    }
    for entry in &config.allow {
        if entry.detector != "*" && entry.detector != finding.analytic {
            continue;
        }
        if !entry.in_force(now_ms) {
            continue;
        }
        let source_ok = entry
            .source
            .as_deref()
            .is_none_or(|s| crate::config::selects(s, source, asset(source)));
        let destination_ok = entry.destination.as_deref().is_none_or(|s| {
            finding
                .destination
                .as_ref()
                .is_some_and(|d| crate::config::selects(s, d, asset(d)))
        });
        if source_ok && destination_ok {
            return Some(format!("allowlisted: {}", entry.reason));
        }
    }
    None
}

/// Whether any finding is at or above `severity`.
pub fn any_at_least(findings: &[Finding], severity: Severity) -> bool {
    findings.iter().any(|f| f.severity >= severity)
}
