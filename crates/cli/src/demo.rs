//! `eastwest demo`: a simulated VPC under attack, then every analysis that exists run on it.
//!
//! It simulates two days of a 24-instance estate (a quiet day, then every attack scenario) into a state
//! directory (the same as `eastwest simulate --scenario all`), loads the inventory it wrote,
//! reads the flow logs with every address named as an asset, and asks the questions a
//! responder would. It runs the network detectors over the flow logs (the first day learned as
//! the baseline) and sets their findings beside the attacks the simulator injected (ground
//! truth, from `truth.json`), saying which were found and which were not.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use eastwest_engine::FlowOptions;
use eastwest_inventory::{Resolver, load_dir};
use eastwest_sim::{FlowFormat, SimOptions};

use crate::Global;
use crate::output::{Format, write};
use crate::query::print_problems;

/// Prints a line; when standard output has gone away (`eastwest demo | head`), stops quietly
/// instead of panicking as `println!` would.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        match writeln!(std::io::stdout(), $($arg)*) {
            Ok(()) => {}
            // The reader went away (`eastwest demo | head`): stop quietly.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
            Err(e) => return Err(anyhow::Error::from(e).context("standard output")),
        }
    }};
}

/// The questions the demo asks, with the SQL that answers each.
const QUESTIONS: &[(&str, &str)] = &[
    (
        "Which groups of hosts talk to which, on which ports? (accepted, inside the estate)",
        "SELECT src_group, dst_group, dstport, count(*) AS records, sum(bytes) AS bytes FROM flows \
         WHERE flow_direction = 'ingress' AND action = 'ACCEPT' AND src_is_internal AND dst_is_internal \
         AND srcport > dstport GROUP BY 1, 2, 3 ORDER BY records DESC LIMIT 12",
    ),
    (
        "Which internal hosts did security groups refuse, on how many ports and hosts?",
        "SELECT src_name, src_group, count(DISTINCT dstport) AS ports, count(DISTINCT dst_name) AS hosts, \
         count(*) AS rejects FROM flows WHERE action = 'REJECT' AND src_is_internal \
         GROUP BY 1, 2 ORDER BY ports DESC LIMIT 8",
    ),
    (
        "Who read the most from a database?",
        "SELECT dst_name AS reader, dst_group AS reader_group, src_name AS db, count(*) AS records, \
         sum(bytes) AS bytes FROM flows WHERE src_kind = 'rds' AND flow_direction = 'egress' \
         GROUP BY 1, 2, 3 ORDER BY bytes DESC LIMIT 8",
    ),
    (
        "Who logged in over SSH to whom inside the estate?",
        "SELECT src_name, src_group, dst_name, count(*) AS sessions FROM flows \
         WHERE dstport = 22 AND action = 'ACCEPT' AND flow_direction = 'ingress' AND src_is_internal \
         AND dst_kind = 'instance' AND tcp_flags & 2 = 2 GROUP BY 1, 2, 3 ORDER BY sessions DESC LIMIT 10",
    ),
    (
        "Which instances sent the most to the internet?",
        "SELECT src_name, src_group, count(DISTINCT dstaddr) AS destinations, sum(bytes) AS bytes FROM flows \
         WHERE src_kind = 'instance' AND dst_kind = 'internet' AND flow_direction = 'egress' \
         GROUP BY 1, 2 ORDER BY bytes DESC LIMIT 5",
    ),
];

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the simulated estate and its logs are written (kept); default: a temporary
    /// directory, removed at the end.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Do not serve the dashboard afterwards. The dashboard is not built yet, so the demo does
    /// not serve either way; the flag is accepted so scripts can say what they mean.
    #[arg(long)]
    pub no_serve: bool,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Runs `demo`.
pub async fn run(args: DemoArgs, global: &Global) -> Result<ExitCode> {
    let (dir, _temporary) = crate::simulate::state_dir(args.state.as_deref())?;
    let options = SimOptions {
        out: dir.clone(),
        scenarios: vec!["all".to_string()],
        hosts: 24,
        // A quiet day to learn what is normal, then a day with every attack.
        days: 2.0,
        quiet_days: 1.0,
        format: FlowFormat::V5,
        seed: args.seed,
        threads: global.threads,
        ..SimOptions::default()
    };
    say!(
        "eastwest demo: simulating two days of a 24-instance estate into {}: a quiet day to learn from, then a day with every attack scenario\n",
        dir.display()
    );
    let summary = tokio::task::spawn_blocking({
        let (options, quiet) = (options.clone(), global.quiet);
        move || crate::simulate::run_simulation(&options, quiet)
    })
    .await??;
    say!(
        "Simulated: {} instances, {} network interfaces; {} flow-log records in {} files (version 5, S3 layout), {} CloudTrail events, {} DNS queries, {} host log lines.",
        summary.instances,
        summary.interfaces,
        summary.flow_records,
        summary.flow_files,
        summary.trail_records,
        summary.dns_queries,
        summary.host_lines
    );
    say!(
        "Injected attacks (ground truth from {}, not detections):",
        dir.join("truth.json").display()
    );
    for truth in &summary.truth {
        say!(
            "  {:<16} {} [{}]",
            truth.scenario,
            truth.description,
            truth.techniques.join(", ")
        );
    }
    say!("");

    // Detection over the flow logs, the first day learned as the baseline.
    // The config a security team would write for this estate: its authorised scanner named.
    let config_path = dir.join("eastwest.toml");
    std::fs::write(&config_path, crate::detect::SIMULATED_CONFIG)
        .with_context(|| format!("writing {}", config_path.display()))?;
    let outcome = crate::detect::detect_simulated(
        &dir,
        crate::detect::config(Some(&config_path))?,
        eastwest_model::time::MS_PER_DAY,
        global.threads,
    )
    .await?;
    say!(
        "Detection (flow logs, CloudTrail, DNS and host logs; the first day learned as the baseline, the authorised scanner named in the config): {} findings, {} suppressed.",
        outcome.findings.len(),
        outcome.suppressed.len()
    );
    say!(
        "{}",
        eastwest_sinks::table::table(&outcome.findings).trim_end()
    );
    say!("Ground truth against the findings:");
    for truth in &summary.truth {
        let found: Vec<&str> = outcome
            .findings
            .iter()
            .filter(|f| {
                eastwest_sim::eval::matches(
                    truth,
                    &eastwest_sim::eval::Detection {
                        detector: f.analytic.clone(),
                        techniques: f.technique_ids(),
                        entities: f.entities(),
                        first_seen_ms: f.first_seen_ms,
                        patient_zero: None,
                    },
                )
            })
            .map(|f| f.analytic.as_str())
            .fold(Vec::new(), |mut names, name| {
                if !names.contains(&name) {
                    names.push(name);
                }
                names
            });
        say!(
            "  {:<16} {}",
            truth.scenario,
            if found.is_empty() {
                "not found".to_string()
            } else {
                format!("found by {}", found.join(", "))
            }
        );
    }
    say!(
        "  $ eastwest detect --inventory {} --config {} {}\n",
        dir.join("inventory").display(),
        config_path.display(),
        flow_dir(&dir).display()
    );
    // The findings joined into incidents: one story per intrusion, with what to do.
    let incidents = eastwest_correlate::correlate(&outcome.findings);
    say!(
        "Incidents: {} finding(s) joined into {} incident(s) through the hosts they share and the steps between them:",
        outcome.findings.len(),
        incidents.len()
    );
    for incident in &incidents {
        say!(
            "  {} (score {}): {}",
            &incident.uid[..12],
            incident.score,
            eastwest_sinks::printable(&incident.title)
        );
        // Hosts and the response; each host's findings are in the table above.
        for line in incident.story.iter().filter(|l| !l.starts_with("  ")) {
            say!("    {}", eastwest_sinks::printable(line));
        }
    }
    say!("");

    let inventory_dir = dir.join("inventory");
    let (inventory, load) =
        load_dir(&inventory_dir).with_context(|| format!("reading {}", inventory_dir.display()))?;
    for problem in &load.problems {
        diagnostic!("note: {problem}");
    }
    let resolver = Arc::new(Resolver::new(&inventory));
    say!("Inventory ({}):", inventory_dir.display());
    let counts: Vec<String> = inventory
        .counts()
        .iter()
        .map(|(what, n)| format!("{n} {what}"))
        .collect();
    say!("  {}", counts.join(", "));
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    for asset in resolver.assets() {
        match kinds.iter_mut().find(|(k, _)| *k == asset.kind.name()) {
            Some((_, n)) => *n += 1,
            None => kinds.push((asset.kind.name(), 1)),
        }
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    say!("  assets by kind: {}\n", kinds.join(", "));

    // The posture audit, with the estate's office and management ranges as admin sources.
    let config = eastwest_posture::Config {
        admin_sources: vec!["198.51.100.0/24".parse()?, "10.50.0.0/24".parse()?],
        // Ages as of the end of the simulated days, so the demo says the same thing every day.
        now_ms: Some(options.start_ms + 2 * 86_400_000),
        ..eastwest_posture::Config::default()
    };
    let results = eastwest_posture::audit(&inventory, &config, &[]);
    let serious: Vec<eastwest_posture::Result> = results
        .iter()
        .filter(|r| r.severity >= eastwest_model::Severity::Medium)
        .cloned()
        .collect();
    say!(
        "Posture audit: {} failures, {} of them medium or worse (the low ones: `eastwest audit --inventory {} --admin-source 198.51.100.0/24 --admin-source 10.50.0.0/24`):",
        results.len(),
        serious.len(),
        inventory_dir.display()
    );
    let serious: Vec<eastwest_model::Finding> = serious
        .iter()
        .map(|r| eastwest_posture::to_finding(r, options.start_ms + 2 * 86_400_000))
        .collect();
    say!("{}", eastwest_sinks::table::table(&serious).trim_end());
    say!("");

    // The blast radius of the instance the SSRF scenario lands on.
    if let Some(origin) = resolver.assets().iter().position(|a| a.name == "web-1") {
        let radius = eastwest_posture::paths::blast_radius(&inventory, &resolver, &[origin], 2);
        let assets = resolver.assets();
        let in_hops = |n: usize| radius.reached.iter().filter(|r| r.hops == n).count();
        say!(
            "Blast radius of web-1 (IMDSv1, behind the internet-facing load balancer): {} assets directly, {} more in two hops.",
            in_hops(1),
            in_hops(2)
        );
        for r in radius
            .reached
            .iter()
            .filter(|r| eastwest_posture::paths::crown_jewel(&assets[r.asset]))
        {
            let chain: Vec<&str> = std::iter::once("web-1")
                .chain(
                    radius
                        .path_to(r.asset)
                        .iter()
                        .map(|&i| assets[i].name.as_str()),
                )
                .collect();
            say!(
                "  crown jewel {}: {}",
                assets[r.asset].name,
                chain.join(" -> ")
            );
        }
        say!(
            "  $ eastwest paths --inventory {} --from web-1 --hops 2\n",
            inventory_dir.display()
        );
    }

    let flows = flow_dir(&dir);
    let engine = global.engine();
    let mut flow_options = FlowOptions {
        resolver: Some(resolver),
        ..FlowOptions::default()
    };
    crate::inventory::add_flow_formats(&inventory, &mut flow_options.flow);
    let input = [flows.display().to_string()];
    let report = engine.register_logs(&input, flow_options).await?;
    for (question, sql) in QUESTIONS {
        let batches = engine.sql(sql).await?.collect().await?;
        let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        let quote = if one_line.contains('\'') { '"' } else { '\'' };
        say!(
            "{question}\n  $ eastwest query --inventory {} {quote}{one_line}{quote} {}",
            inventory_dir.display(),
            flows.display()
        );
        let mut table = Vec::new();
        write(&batches, Format::Table, &mut table)?;
        say!("{}", String::from_utf8_lossy(&table));
    }
    let read = report.summary();
    say!(
        "The {} queries read {} records in all ({} malformed) from the {} flow-log files; the logs, the inventory and truth.json are in {}{}.",
        QUESTIONS.len(),
        read.records,
        read.malformed,
        summary.flow_files,
        dir.display(),
        if args.state.is_some() {
            ""
        } else {
            " (a temporary directory, removed now: keep it with --state DIR)"
        }
    );
    print_problems(&report);
    Ok(ExitCode::SUCCESS)
}

/// The flow-log folder of a simulation.
fn flow_dir(dir: &Path) -> PathBuf {
    dir.join("logs/AWSLogs")
        .join(eastwest_sim::estate::ACCOUNT)
        .join("vpcflowlogs")
}
