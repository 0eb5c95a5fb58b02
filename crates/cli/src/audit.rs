//! `eastwest audit`: the posture checks over an inventory, as a table, OCSF Compliance Findings
//! (JSON lines) or SARIF, written by `eastwest-sinks`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use eastwest_model::{Finding, Severity};
use eastwest_posture::checks::CHECKS;
use eastwest_posture::{Config, audit, to_finding};
use eastwest_sinks::{Console, ConsoleError, Rule};

use crate::inventory::{SourceArgs, load};
use crate::{EXIT_BAD_INPUT, Global};

/// Output formats of `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// A table for people.
    Table,
    /// OCSF 1.3 Compliance Findings (class 2003), one JSON object per line.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

/// Severities for `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Low and above.
    Low,
    /// Medium and above.
    Medium,
    /// High and above.
    High,
    /// Critical only.
    Critical,
}

/// Arguments of `audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The estate (`--inventory DIR|aws`).
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Write here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// An office or management range SSH/RDP/WinRM may come from (repeat).
    #[arg(long, value_name = "CIDR")]
    pub admin_source: Vec<String>,
    /// Report instances launched longer ago than this many days.
    #[arg(long, default_value_t = 180)]
    pub max_instance_age_days: i64,
    /// Run only this check (repeat); `--check list` prints them.
    #[arg(long, value_name = "ID")]
    pub check: Vec<String>,
    /// Flow logs (files, directories, s3:// prefixes) to compare the rules with: rules never
    /// used in the period, and accepted traffic today's rules would refuse.
    #[arg(long, value_name = "INPUT", num_args = 1..)]
    pub flows: Vec<String>,
    /// Exit with status 1 when a failure at or above this severity is found.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
}

/// Runs `audit`; stops quietly with status 0 when the output's reader goes away.
pub async fn run(args: AuditArgs, global: &Global) -> Result<ExitCode> {
    match audit_command(args, global).await {
        Err(e)
            if e.downcast_ref::<ConsoleError>()
                .is_some_and(ConsoleError::is_closed) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        other => other,
    }
}

async fn audit_command(args: AuditArgs, global: &Global) -> Result<ExitCode> {
    if args.check.iter().any(|c| c == "list") {
        let mut console = Console::stdout();
        for c in CHECKS {
            console.line(&format!(
                "{:<26} {:<13} {}",
                c.id(),
                c.severity().caption(),
                c.title()
            ))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    for c in &args.check {
        if !CHECKS.iter().any(|k| k.id() == c) {
            bail!("--check {c}: no such check (eastwest audit --check list)");
        }
    }
    let Some(loaded) = load(&args.source, global).await? else {
        bail!("--inventory DIR|aws is required");
    };
    let mut config = Config {
        max_instance_age_days: args.max_instance_age_days,
        ..Config::default()
    };
    for cidr in &args.admin_source {
        config.admin_sources.push(cidr.parse().with_context(|| {
            format!("--admin-source '{cidr}': expected a CIDR such as 198.51.100.0/24")
        })?);
    }
    let mut results = audit(&loaded.inventory, &config, &args.check);
    let mut flows_unreadable = false;
    if !args.flows.is_empty() {
        let (observed, unreadable) =
            observed(&loaded.inventory, &config, &args.flows, global).await?;
        results.extend(observed);
        results.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.check.cmp(b.check))
                .then(a.failure.resource.cmp(&b.failure.resource))
        });
        flows_unreadable = unreadable;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let findings: Vec<Finding> = results.iter().map(|r| to_finding(r, now)).collect();
    let mut console = Console::stdout_or(args.output.as_deref()).context("--output")?;
    match args.format {
        AuditFormat::Table => console.write_all(eastwest_sinks::table(&findings).as_bytes())?,
        AuditFormat::Json => {
            console.with(|out| eastwest_sinks::write_json_lines(&findings, now, out))?
        }
        AuditFormat::Sarif => {
            let rules: Vec<Rule> = CHECKS
                .iter()
                .map(|c| Rule::new(c.id(), c.title(), c.rationale(), c.severity()))
                .collect();
            let log = eastwest_sinks::sarif(&findings, &rules);
            console.with(|out| {
                serde_json::to_writer_pretty(&mut *out, &log)?;
                out.write_all(b"\n")
            })?
        }
    }
    console.finish()?;
    let mut counts: Vec<String> = Vec::new();
    for severity in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ] {
        let n = results
            .iter()
            .filter(|r| r.severity == severity && r.status == eastwest_model::ControlStatus::Fail)
            .count();
        if n > 0 {
            counts.push(format!("{n} {}", severity.caption().to_lowercase()));
        }
    }
    let not_collected = results
        .iter()
        .filter(|r| r.status == eastwest_model::ControlStatus::NotCollected)
        .count();
    diagnostic!(
        "audit: {} failures{}{}",
        results.len() - not_collected,
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        },
        if not_collected > 0 {
            format!(
                "; {not_collected} not collected: a check without the output it needs for an account or region (eastwest inventory coverage)"
            )
        } else {
            String::new()
        }
    );
    if loaded.unreadable || flows_unreadable {
        return Ok(ExitCode::from(EXIT_BAD_INPUT));
    }
    let threshold = args.fail_on.map(|f| match f {
        FailOn::Low => Severity::Low,
        FailOn::Medium => Severity::Medium,
        FailOn::High => Severity::High,
        FailOn::Critical => Severity::Critical,
    });
    Ok(match threshold {
        Some(t)
            if results
                .iter()
                .any(|r| r.severity >= t && r.status == eastwest_model::ControlStatus::Fail) =>
        {
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    })
}

/// Reads the accepted inbound flows and compares them with the rules.
async fn observed(
    inventory: &eastwest_inventory::Inventory,
    config: &Config,
    inputs: &[String],
    global: &Global,
) -> Result<(Vec<eastwest_posture::Result>, bool)> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Int32Type, Int64Type};
    let resolver = std::sync::Arc::new(eastwest_inventory::Resolver::new(inventory));
    let engine = eastwest_engine::Engine::new(0);
    let mut options = eastwest_engine::FlowOptions {
        resolver: Some(resolver.clone()),
        aws: global.aws_for(inputs).await,
        ..Default::default()
    };
    crate::inventory::add_flow_formats(inventory, &mut options.flow);
    let report = engine.register_logs(inputs, options).await?;
    // Inbound connections as their responder logged them: the record on the destination's own
    // ENI, initiating (SYN without ACK; without TCP flags, from a higher port to a lower one).
    let sql = "SELECT dst_eni, srcaddr, dstport, protocol, count(*) AS records FROM flows \
               WHERE action = 'ACCEPT' AND interface_id = dst_eni AND protocol IN (6, 17) \
               AND ((tcp_flags IS NOT NULL AND protocol = 6 AND tcp_flags & 18 = 2) OR ((tcp_flags IS NULL OR protocol = 17) AND srcport > dstport)) \
               GROUP BY 1, 2, 3, 4";
    let batches = engine.sql(sql).await?.collect().await?;
    let mut used = Vec::new();
    for batch in &batches {
        let eni = batch.column(0).as_string::<i32>();
        let src = batch.column(1).as_string::<i32>();
        let port = batch.column(2).as_primitive::<Int32Type>();
        let protocol = batch.column(3).as_primitive::<Int32Type>();
        let records = batch.column(4).as_primitive::<Int64Type>();
        for row in 0..batch.num_rows() {
            if eni.is_null(row) || src.is_null(row) || port.is_null(row) {
                continue;
            }
            let Ok(ip) = src.value(row).parse() else {
                continue;
            };
            used.push(eastwest_posture::observed::UsedFlow {
                dst_eni: eni.value(row).to_string(),
                src: ip,
                port: port.value(row).clamp(0, 65535) as u16,
                protocol: protocol.value(row).clamp(0, 255) as u8,
                records: records.value(row).max(0) as u64,
            });
        }
    }
    let unreadable = crate::query::print_problems(&report);
    let context = eastwest_posture::Context::new(inventory, &resolver, config);
    diagnostic!(
        "audit: {} distinct inbound flows observed in {} records",
        used.len(),
        report.summary().records
    );
    Ok((
        eastwest_posture::observed::compare(&context, &used),
        unreadable,
    ))
}
