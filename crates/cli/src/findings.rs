//! Writing findings: through the sinks crate's writers, to the console or a file, and into the
//! state's store.

use std::path::Path;

use anyhow::{Context, Result};
use eastwest_model::Finding;
use eastwest_sinks::console::Console;
use eastwest_sinks::sarif::Rule;

use crate::detect::DetectFormat;

/// The findings as text in `format`; `time_ms` is the report's time; `rules_dir` is the run's
/// `--rules`, so that SARIF describes the user's detectors and Sigma rules too.
pub fn render(
    findings: &[Finding],
    format: DetectFormat,
    time_ms: i64,
    rules_dir: Option<&Path>,
) -> Result<String> {
    Ok(match format {
        DetectFormat::Table => eastwest_sinks::table::table(findings),
        DetectFormat::Json => {
            let mut out = Vec::new();
            eastwest_sinks::ocsf::write_json_lines(findings, time_ms, &mut out)?;
            String::from_utf8(out).context("OCSF output")?
        }
        DetectFormat::Sarif => {
            let rules: Vec<Rule> = eastwest_detect::detectors(rules_dir)?
                .iter()
                .map(|d| {
                    let h = d.header();
                    Rule::new(
                        &h.id,
                        &h.title,
                        &h.description,
                        eastwest_model::Severity::parse(&h.severity)
                            .unwrap_or(eastwest_model::Severity::Medium),
                    )
                })
                .collect();
            serde_json::to_string_pretty(&eastwest_sinks::sarif::sarif(findings, &rules))? + "\n"
        }
    })
}

/// Records the findings in the state's store: a uid reported before becomes an update.
pub fn record(state: &Path, findings: &mut [Finding], now_ms: i64) -> Result<()> {
    let mut store = eastwest_sinks::store::Store::open(state)
        .with_context(|| format!("--state {}", state.display()))?;
    store.record(findings, now_ms)?;
    Ok(())
}

/// Prints text on standard output: true when it was printed, false when the reader went away
/// (`| head`: the caller stops quietly, with success); an error when writing failed otherwise
/// (a full disk), which must not pass for success.
pub fn print(text: &str) -> Result<bool> {
    let mut console = Console::stdout();
    match console
        .write_all(text.as_bytes())
        .and_then(|()| console.finish())
    {
        Ok(()) => Ok(true),
        Err(e) if e.is_closed() => Ok(false),
        Err(e) => Err(anyhow::Error::from(e).context("standard output")),
    }
}
