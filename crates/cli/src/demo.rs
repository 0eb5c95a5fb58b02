//! `eastwest demo`: the bundled sample flow logs (AWS's documented examples and public test
//! files, see testdata/PROVENANCE.md) written to a temporary folder and read like any input:
//! what was read, what was skipped and why, and a few questions answered in SQL.
//!
//! The simulator will replace these samples with a whole simulated VPC under attack; until then
//! the demo shows only what exists: reading and SQL.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use eastwest_engine::{Engine, FlowOptions};

use crate::Global;
use crate::output::{Format, write};
use crate::query::print_problems;

/// The bundled samples: (file name, content).
const SAMPLES: &[(&str, &str)] = &[
    (
        "default-format.log",
        include_str!("../../../testdata/demo/default-format.log"),
    ),
    (
        "tcp-flags.log",
        include_str!("../../../testdata/demo/tcp-flags.log"),
    ),
    (
        "v3-with-header.log",
        include_str!("../../../testdata/demo/v3-with-header.log"),
    ),
    (
        "v5-with-header.log",
        include_str!("../../../testdata/demo/v5-with-header.log"),
    ),
];

/// The questions the demo asks, with the SQL that answers each.
const QUESTIONS: &[(&str, &str)] = &[
    (
        "What did the flow logs record, by action?",
        "SELECT action, count(*) AS records, sum(packets) AS packets, sum(bytes) AS bytes \
         FROM flows GROUP BY action ORDER BY records DESC",
    ),
    (
        "Which connections were rejected?",
        "SELECT interface_id, srcaddr, dstaddr, dstport, protocol, start \
         FROM flows WHERE action = 'REJECT' ORDER BY start",
    ),
    (
        "Which private addresses (RFC 1918) talked, to where, on which ports?",
        "SELECT srcaddr, dstaddr, dstport, count(*) AS records, sum(bytes) AS bytes FROM flows \
         WHERE ip_in_cidr(src_ip, '10.0.0.0/8') OR ip_in_cidr(src_ip, '172.16.0.0/12') \
            OR ip_in_cidr(src_ip, '192.168.0.0/16') \
         GROUP BY 1, 2, 3 ORDER BY bytes DESC LIMIT 10",
    ),
    (
        "Where did logging leave gaps (NODATA: nothing to log; SKIPDATA: records dropped)?",
        "SELECT interface_id, log_status, start, \"end\" FROM flow_gaps ORDER BY interface_id",
    ),
    (
        "Which flows involved an AWS service (flow-log v5 fields)?",
        "SELECT srcaddr, dstaddr, pkt_src_aws_service, pkt_dst_aws_service, flow_direction \
         FROM flows WHERE pkt_src_aws_service IS NOT NULL OR pkt_dst_aws_service IS NOT NULL",
    ),
];

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Keep the sample files in this directory instead of a temporary one.
    #[arg(long)]
    pub keep: Option<std::path::PathBuf>,
}

/// Writes the samples into `dir`.
fn write_samples(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, content) in SAMPLES {
        let path = dir.join(name);
        std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Runs `demo`.
pub async fn run(args: DemoArgs, global: &Global) -> Result<ExitCode> {
    let temporary;
    let dir = match &args.keep {
        Some(dir) => dir.clone(),
        None => {
            temporary = tempfile::tempdir().context("creating a temporary directory")?;
            temporary.path().to_path_buf()
        }
    };
    write_samples(&dir)?;
    println!(
        "eastwest demo: {} sample flow-log files in {}\n",
        SAMPLES.len(),
        dir.display()
    );
    let input = [dir.display().to_string()];
    // A first pass reads everything once, for the account of what was read.
    let engine = Engine::new(global.threads);
    let report = engine
        .register_flows(&input, FlowOptions::default())
        .await?;
    engine
        .sql("SELECT count(*) FROM flows")
        .await?
        .collect()
        .await?;
    let summary = report.summary();
    println!("What was read:");
    println!(
        "  {} files, {} records, {} header lines, {} NODATA and {} SKIPDATA intervals, {} malformed lines",
        summary.files_read,
        summary.records,
        summary.headers,
        summary.nodata,
        summary.skipdata,
        summary.malformed
    );
    for (interface, gap) in report.gaps() {
        println!(
            "  coverage gap on {interface}: {} NODATA, {} SKIPDATA ({} s not logged)",
            gap.nodata,
            gap.skipdata,
            gap.skipped_ms / 1000
        );
    }
    print_problems(&report);
    println!();
    let mut out = std::io::stdout().lock();
    for (question, sql) in QUESTIONS {
        let batches = engine.sql(sql).await?.collect().await?;
        let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        // Quoted so that the line can be pasted into a shell as it is.
        let quote = if one_line.contains('\'') { '"' } else { '\'' };
        println!(
            "{question}\n  $ eastwest query {quote}{one_line}{quote} {}",
            dir.display()
        );
        write(&batches, Format::Table, &mut out)?;
        println!();
    }
    Ok(ExitCode::SUCCESS)
}
