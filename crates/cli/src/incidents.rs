//! `eastwest incidents list|show`: the incidents `detect --state` kept, read back from the
//! state's store; and how `detect` reports the incidents of its run. Joining findings into
//! incidents lives in `eastwest-correlate`, the OCSF Incident Finding in `eastwest-sinks`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use eastwest_correlate::Incident;
use eastwest_model::Finding;
use eastwest_sinks::printable;
use eastwest_sinks::store::{Store, StoredIncident};

use crate::EXIT_BAD_INPUT;

/// `eastwest incidents`.
#[derive(Debug, clap::Args)]
pub struct IncidentsArgs {
    #[command(subcommand)]
    command: IncidentsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum IncidentsCommand {
    /// Lists the incidents under --state, the highest score first.
    List {
        /// The state directory `detect --state` wrote.
        #[arg(long)]
        state: PathBuf,
        /// `table`, or `json` (one OCSF Incident Finding per line).
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// Lists the findings the config suppressed (authorised scanners, allowlist entries), each
    /// with why and how often: none is dropped unseen.
    Suppressed {
        /// The state directory `detect --state` wrote.
        #[arg(long)]
        state: PathBuf,
    },
    /// Tells one incident host by host: patient zero, the hops, each host's stages and
    /// findings, and the response to take.
    Show {
        /// The incident's uid, or the start of it (at least 6 characters).
        id: String,
        /// The state directory `detect --state` wrote.
        #[arg(long)]
        state: PathBuf,
        /// `text`, or `json` (its OCSF Incident Finding).
        #[arg(long, default_value = "text")]
        format: String,
    },
}

fn open(state: &Path) -> Result<Vec<StoredIncident>> {
    if !state.join(eastwest_sinks::store::FILE_NAME).exists() {
        bail!(
            "{}: no store here; `eastwest detect --state {}` makes one",
            state.display(),
            state.display()
        );
    }
    let store = Store::open(state).with_context(|| format!("--state {}", state.display()))?;
    Ok(store.incidents()?)
}

fn print_lines(lines: &[String]) -> Result<ExitCode> {
    let mut text = lines.join("\n");
    text.push('\n');
    crate::findings::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn severity_word(id: i64) -> &'static str {
    match id {
        5 => "critical",
        4 => "high",
        3 => "medium",
        2 => "low",
        _ => "info",
    }
}

/// Runs `incidents`.
pub fn run(args: IncidentsArgs) -> Result<ExitCode> {
    match args.command {
        IncidentsCommand::List { state, format } => {
            let incidents = open(&state)?;
            let lines: Vec<String> = match format.as_str() {
                "json" => incidents.iter().map(|i| i.json.clone()).collect(),
                "table" => {
                    let mut lines = vec![format!(
                        "{:<12}  {:<8}  {:>5}  {:<20}  {:>4}  title",
                        "incident", "severity", "score", "first seen", "runs"
                    )];
                    for i in &incidents {
                        lines.push(
                            printable(&format!(
                                "{:<12}  {:<8}  {:>5}  {:<20}  {:>4}  {}",
                                &i.uid[..12.min(i.uid.len())],
                                severity_word(i.severity_id),
                                i.score,
                                eastwest_model::time::Civil::from_ms(i.first_seen_ms).iso_seconds(),
                                i.times_reported,
                                i.title
                            ))
                            .into_owned(),
                        );
                    }
                    lines
                }
                other => bail!("--format {other}: table or json"),
            };
            print_lines(&lines)
        }
        IncidentsCommand::Suppressed { state } => {
            if !state.join(eastwest_sinks::store::FILE_NAME).exists() {
                bail!("{}: no store here", state.display());
            }
            let store =
                Store::open(&state).with_context(|| format!("--state {}", state.display()))?;
            let mut lines = vec![format!(
                "{:<12}  {:<28}  {:>5}  {:<20}  reason / title",
                "finding", "detector", "times", "last seen"
            )];
            for (uid, analytic, title, reason, last_seen, times) in store.suppressed()? {
                lines.push(
                    printable(&format!(
                        "{:<12}  {:<28}  {:>5}  {:<20}  {reason} / {title}",
                        &uid[..12.min(uid.len())],
                        analytic,
                        times,
                        eastwest_model::time::Civil::from_ms(last_seen).iso_seconds()
                    ))
                    .into_owned(),
                );
            }
            print_lines(&lines)
        }
        IncidentsCommand::Show { id, state, format } => {
            if id.len() < 6 {
                bail!("'{id}': give at least 6 characters of the incident's id");
            }
            let incidents = open(&state)?;
            let found: Vec<&StoredIncident> = incidents
                .iter()
                .filter(|i| i.uid.starts_with(&id))
                .collect();
            let incident = match found.as_slice() {
                [one] => *one,
                [] => {
                    diagnostic!("error: no incident {id} under {}", state.display());
                    return Ok(ExitCode::from(EXIT_BAD_INPUT));
                }
                _ => bail!(
                    "'{id}' is the start of {} incidents' ids: give more of it",
                    found.len()
                ),
            };
            if format == "json" {
                return print_lines(std::slice::from_ref(&incident.json));
            }
            let event: serde_json::Value =
                serde_json::from_str(&incident.json).context("the stored incident")?;
            let mut lines = vec![format!(
                "incident {} ({}, score {}, reported by {} run(s))",
                incident.uid,
                severity_word(incident.severity_id),
                incident.score,
                incident.times_reported
            )];
            lines.extend(
                event["desc"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .map(|l| printable(l).into_owned()),
            );
            if let Some(hops) = event["unmapped"]["hops"].as_array()
                && !hops.is_empty()
            {
                lines.push("hops:".into());
                for hop in hops {
                    lines.push(
                        printable(&format!(
                            "  {} -> {} at {}",
                            hop["from"].as_str().unwrap_or("?"),
                            hop["to"].as_str().unwrap_or("?"),
                            eastwest_model::time::Civil::from_ms(
                                hop["at_ms"].as_i64().unwrap_or(0)
                            )
                            .iso_seconds()
                        ))
                        .into_owned(),
                    );
                }
            }
            print_lines(&lines)
        }
    }
}

/// What `detect` says about its run's incidents, on standard error, and where it writes them:
/// into the store under `state` (a repeat is an update) and, with `output`, as OCSF Incident
/// Findings, one per line.
pub fn report(
    incidents: &[Incident],
    findings: &[Finding],
    state: Option<&Path>,
    output: Option<&Path>,
    now_ms: i64,
) -> Result<Vec<eastwest_model::Status>> {
    let statuses = match state {
        Some(state) => {
            let mut store =
                Store::open(state).with_context(|| format!("--state {}", state.display()))?;
            store.record_incidents(incidents, findings, now_ms)?
        }
        None => vec![eastwest_model::Status::New; incidents.len()],
    };
    if let Some(path) = output {
        let mut text = String::new();
        for (incident, status) in incidents.iter().zip(&statuses) {
            text.push_str(
                &eastwest_sinks::ocsf::incident(incident, findings, *status, now_ms).to_string(),
            );
            text.push('\n');
        }
        std::fs::write(path, text).with_context(|| format!("--incidents {}", path.display()))?;
    }
    for (incident, status) in incidents.iter().zip(&statuses) {
        diagnostic!(
            "incident {} ({}{}, score {}): {}",
            &incident.uid[..12.min(incident.uid.len())],
            incident.severity.caption().to_lowercase(),
            if *status == eastwest_model::Status::Update {
                ", update"
            } else {
                ""
            },
            incident.score,
            printable(&incident.title)
        );
        if !incident.commands.is_empty() {
            diagnostic!("  respond: {}", incident.commands.join("; "));
        }
    }
    Ok(statuses)
}
