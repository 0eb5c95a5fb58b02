//! Detection in eastwest: network detectors over `connections`, baselines, findings.
//!
//! A network detector is a SQL file with a TOML header ([`rule`]) under `src/network/`,
//! compiled into the binary and listed once in [`network::BUILTIN`]; `--rules DIR` adds the
//! user's own files in the same format, and `--config FILE` ([`config`]) overrides thresholds,
//! names authorised scanners and management hosts, and allowlists what is expected. A run
//! ([`run::detect`]) reads the flow logs once into `connections`, runs the detectors that need no
//! baseline over everything, learns or loads the baselines ([`baseline`]), runs the detectors
//! that compare with them over the period after the learning one, and turns each result row
//! into a [`Finding`](eastwest_model::Finding) with its evidence (file:line of the records),
//! the baseline it departs from, and what to do. What a run flagged is not learned as normal.
//!
//! Event detectors ([`events`]) are the same kind of file over an event table (`table =
//! "cloudtrail"` in the header, and `dns`, `process`, `audit`): each event table a detector
//! names is read once per run, and their rows carry their own evidence.
//!
//! Sigma rules ([`sigma`]) run beside them: a curated built-in set, and the user's under
//! `--rules DIR`.
//!
//! To add a detector: a `.sql` file under `src/network/` or `src/events/` with its header, one
//! line in [`network::BUILTIN`] or [`events::BUILTIN`], and a golden case under `tests/cases/`.
#![deny(missing_docs)]

pub mod baseline;
pub mod config;
pub mod events;
pub mod findings;
pub mod network;
pub mod response;
pub mod rule;
pub mod run;
pub mod sigma;
pub mod state;

use std::collections::BTreeMap;

use async_trait::async_trait;
use datafusion::arrow::record_batch::RecordBatch;
use eastwest_engine::Engine;

pub use config::Config;
pub use rule::{Header, Rule};
pub use run::{DetectOptions, Outcome, detect};

/// What went wrong in detection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DetectError {
    /// A query (a detector's, the baseline's) failed.
    #[error("{context}: {source}")]
    Query {
        /// Which query.
        context: String,
        /// The engine's error.
        source: eastwest_engine::EngineError,
    },
    /// A detector file is wrong.
    #[error(transparent)]
    Rule(#[from] rule::RuleError),
    /// The config is wrong.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The state directory could not be read or written.
    #[error("state {path}: {message}")]
    State {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

impl DetectError {
    fn query(context: impl Into<String>, source: impl Into<eastwest_engine::EngineError>) -> Self {
        DetectError::Query {
            context: context.into(),
            source: source.into(),
        }
    }
}

/// A detector: a header that says what it is, and a plan that returns one row per finding in
/// the shape [`rule`] documents.
#[async_trait]
pub trait Detector: Send + Sync {
    /// What it is: id, ATT&CK, severity, thresholds, templates.
    fn header(&self) -> &Header;

    /// Where it came from (`builtin`, or the file of a user rule).
    fn origin(&self) -> &str;

    /// Runs over the engine's `connections` and baseline tables, reporting from `detect_from_ms`
    /// on, with `thresholds` overriding the header's defaults.
    async fn run(
        &self,
        engine: &Engine,
        thresholds: &BTreeMap<String, f64>,
        detect_from_ms: i64,
    ) -> Result<Vec<RecordBatch>, DetectError>;
}

#[async_trait]
impl Detector for Rule {
    fn header(&self) -> &Header {
        &self.header
    }

    fn origin(&self) -> &str {
        &self.origin
    }

    async fn run(
        &self,
        engine: &Engine,
        thresholds: &BTreeMap<String, f64>,
        detect_from_ms: i64,
    ) -> Result<Vec<RecordBatch>, DetectError> {
        let sql = self.render(thresholds, detect_from_ms);
        // Empty batches are dropped: a detector's rows are read row by row.
        engine.collect_table(&sql).await.map_err(|e| {
            DetectError::query(format!("detector {} ({})", self.header.id, self.origin), e)
        })
    }
}

/// The built-in detectors followed by the user's (`--rules DIR`, every `*.sql` file in name
/// order), then the Sigma rules (see [`sigma`]). A user rule with a built-in's id replaces it.
pub fn detectors(
    rules_dir: Option<&std::path::Path>,
) -> Result<Vec<Box<dyn Detector>>, DetectError> {
    Ok(load_detectors(rules_dir)?.0)
}

/// Detectors, and the Sigma rules that did not become one, each with its reason.
pub type Loaded = (Vec<Box<dyn Detector>>, Vec<eastwest_sigma::Unsupported>);

/// [`detectors`], and the Sigma rules that did not become one, each with its reason.
pub fn load_detectors(rules_dir: Option<&std::path::Path>) -> Result<Loaded, DetectError> {
    let mut rules: Vec<Rule> = network::builtin()?;
    rules.extend(events::builtin()?);
    if let Some(dir) = rules_dir {
        let entries = std::fs::read_dir(dir).map_err(|e| DetectError::State {
            path: dir.display().to_string(),
            message: format!("--rules: {e}"),
        })?;
        let mut paths: Vec<std::path::PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql") && p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            let origin = path.display().to_string();
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            if size > rule::MAX_RULE_BYTES as u64 {
                return Err(rule::RuleError::Header {
                    origin,
                    message: format!("larger than {} bytes", rule::MAX_RULE_BYTES),
                }
                .into());
            }
            let text = std::fs::read_to_string(&path).map_err(|e| DetectError::State {
                path: origin.clone(),
                message: e.to_string(),
            })?;
            let rule = Rule::parse(&text, &origin)?;
            rules.retain(|r| r.header.id != rule.header.id);
            rules.push(rule);
        }
    }
    let (sigma, refused) = sigma::load(rules_dir);
    let mut detectors: Vec<Box<dyn Detector>> = rules
        .into_iter()
        .map(|r| Box::new(r) as Box<dyn Detector>)
        .collect();
    detectors.extend(sigma.into_iter().map(|d| Box::new(d) as Box<dyn Detector>));
    Ok((detectors, refused))
}
