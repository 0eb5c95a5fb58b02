//! Sigma rules (<https://sigmahq.io>) compiled into SQL conditions over eastwest's event tables.
//!
//! A rule's `logsource` picks a [`Mapping`] (a table and a field map, kept as TOML data under
//! `mappings/`), and its `detection` becomes one SQL boolean expression over that table's columns
//! (see the `sql` module notes for the matching semantics). Whatever this crate cannot translate
//! faithfully is reported as [`Unsupported`] with the reason, never approximated silently.
//!
//! ```
//! let mappings = eastwest_sigma::Mappings::builtin();
//! let rule = "title: Trail stopped\nlogsource: {product: aws, service: cloudtrail}\n\
//!             detection:\n  sel:\n    eventName: StopLogging\n  condition: sel\n";
//! let compiled = eastwest_sigma::compile("stop.yml", rule, &mappings).unwrap();
//! assert_eq!(compiled.table, "cloudtrail");
//! assert_eq!(compiled.condition_sql, "coalesce(lower(event_name) = 'stoplogging', false)");
//! ```

mod condition;
mod mapping;
mod rule;
mod sql;
mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};

pub use mapping::{FieldDef, FieldKind, Mapping, MappingError, Mappings};
pub use rule::{Level, Logsource};

/// Largest rule file read. SigmaHQ's largest rules are a few tens of kilobytes; the bound keeps a
/// stray file (a log, a binary) from being parsed at all.
pub const MAX_RULE_BYTES: usize = 256 * 1024;
/// Deepest YAML nesting accepted. A Sigma rule nests about five levels; the bound keeps the tree
/// and everything that walks it far from any stack limit.
pub const MAX_DEPTH: usize = 32;
/// Most YAML values (scalars and containers) in one rule: bounds the tree's memory.
pub const MAX_NODES: usize = 50_000;
/// Most search identifiers in one rule's `detection`.
pub const MAX_SEARCHES: usize = 256;
/// Most tokens in one condition.
pub const MAX_CONDITION_TOKENS: usize = 2_000;
/// Deepest nesting of a condition (parentheses and `not`s): the parser recurses on it.
pub const MAX_CONDITION_DEPTH: usize = 64;
/// Most LIKE prefixes one `cidr` value may expand into (a /16 split into /24s is 256).
pub const MAX_CIDR_PATTERNS: usize = 256;
/// Longest SQL produced for one rule: a condition naming a large search many times could
/// otherwise multiply its size.
pub const MAX_SQL_BYTES: usize = 1024 * 1024;
/// Most files [`load_dir`] looks at, and deepest folder it enters.
pub const MAX_DIR_FILES: usize = 100_000;
/// See [`MAX_DIR_FILES`].
pub const MAX_DIR_DEPTH: usize = 32;

/// A rule compiled to SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// The rule's `id`, else its file name without extension.
    pub id: String,
    /// `title`.
    pub title: String,
    /// `description` (empty when absent).
    pub description: String,
    /// `level` ([`Level::Medium`] when absent).
    pub level: Level,
    /// ATT&CK technique ids from the `attack.tNNNN[.NNN]` tags, e.g. `T1059.004`.
    pub attack: Vec<String>,
    /// ATT&CK tactics from the other `attack.*` tags, e.g. `lateral-movement`.
    pub tactics: Vec<String>,
    /// `status` as written, if any.
    pub status: Option<String>,
    /// `author` as written, if any.
    pub author: Option<String>,
    /// The eastwest table the condition is over.
    pub table: String,
    /// A SQL boolean expression over `table`'s columns, never NULL: a row matches when it is true.
    pub condition_sql: String,
    /// `references`.
    pub references: Vec<String>,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// The file the rule came from, as given.
    pub path: String,
}

/// A rule that was not compiled, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The file, as given.
    pub path: String,
    /// The rule's title, when it could be read.
    pub title: Option<String>,
    /// Why: a sentence naming the modifier, field, logsource or YAML problem.
    pub reason: String,
    /// True when the file is not a valid Sigma rule at all (bad YAML, a missing `detection`),
    /// false when it is valid but uses something this crate does not translate.
    pub invalid: bool,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.invalid {
            "invalid rule"
        } else {
            "unsupported"
        };
        match &self.title {
            Some(t) => write!(f, "{}: {what} ({t}): {}", self.path, self.reason),
            None => write!(f, "{}: {what}: {}", self.path, self.reason),
        }
    }
}

impl std::error::Error for Unsupported {}

/// Compiles one rule. `path` is only used for messages and as the id of a rule without one.
pub fn compile(path: &str, yaml: &str, mappings: &Mappings) -> Result<Compiled, Unsupported> {
    let fail = |title: Option<&str>, reason: String, invalid: bool| Unsupported {
        path: path.to_string(),
        title: title.map(str::to_string),
        reason,
        invalid,
    };
    if yaml.len() > MAX_RULE_BYTES {
        return Err(fail(
            None,
            format!("the file is larger than {MAX_RULE_BYTES} bytes"),
            true,
        ));
    }
    let tree = yaml::parse(yaml).map_err(|e| {
        let invalid = !e.contains("not supported");
        fail(None, e, invalid)
    })?;
    let rule = rule::Rule::from_yaml(&tree).map_err(|e| {
        let title = tree.get("title").and_then(yaml::Yaml::as_text);
        match e {
            rule::RuleError::Invalid(r) => fail(title.as_deref(), r, true),
            rule::RuleError::Unsupported(r) => fail(title.as_deref(), r, false),
        }
    })?;
    let title = Some(rule.title.as_str());
    let mapping = mappings.for_logsource(&rule.logsource).ok_or_else(|| {
        fail(
            title,
            format!("no mapping for logsource {}", rule.logsource),
            false,
        )
    })?;
    let condition_sql = sql::compile(&rule, mapping).map_err(|e| fail(title, e, false))?;
    let id = rule.id.clone().unwrap_or_else(|| {
        Path::new(path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    Ok(Compiled {
        id,
        title: rule.title,
        description: rule.description,
        level: rule.level,
        attack: rule.techniques,
        tactics: rule.tactics,
        status: rule.status,
        author: rule.author,
        table: mapping.table.clone(),
        condition_sql,
        references: rule.references,
        falsepositives: rule.falsepositives,
        path: path.to_string(),
    })
}

/// Every `*.yml` and `*.yaml` file under `dir`, recursively, in path order. Unreadable files and
/// folders become [`Unsupported`] entries; the walk never stops early.
fn rule_files(dir: &Path, problems: &mut Vec<Unsupported>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), 0usize)];
    while let Some((folder, depth)) = pending.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(e) => e,
            Err(e) => {
                problems.push(Unsupported {
                    path: folder.display().to_string(),
                    title: None,
                    reason: format!("cannot read folder: {e}"),
                    invalid: true,
                });
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            // file_type does not follow symbolic links, so a link cycle cannot loop the walk.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && depth < MAX_DIR_DEPTH {
                pending.push((path, depth + 1));
            } else if kind.is_file()
                && path.extension().is_some_and(|e| e == "yml" || e == "yaml")
                && files.len() < MAX_DIR_FILES
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Compiles every rule file under `dir` (recursively, `*.yml` and `*.yaml`, sorted by path).
/// A bad or unsupported file is reported and the walk goes on.
pub fn load_dir(dir: &Path, mappings: &Mappings) -> (Vec<Compiled>, Vec<Unsupported>) {
    let mut problems = Vec::new();
    let mut compiled = Vec::new();
    for path in rule_files(dir, &mut problems) {
        let name = path.display().to_string();
        let text = match std::fs::metadata(&path) {
            Ok(m) if m.len() > MAX_RULE_BYTES as u64 => {
                Err(format!("the file is larger than {MAX_RULE_BYTES} bytes"))
            }
            _ => std::fs::read_to_string(&path).map_err(|e| format!("cannot read: {e}")),
        };
        match text {
            Ok(text) => match compile(&name, &text, mappings) {
                Ok(c) => compiled.push(c),
                Err(u) => problems.push(u),
            },
            Err(reason) => problems.push(Unsupported {
                path: name,
                title: None,
                reason,
                invalid: true,
            }),
        }
    }
    (compiled, problems)
}

/// The curated rules shipped with eastwest (`rules/*.yml`), as (file name, text).
pub const BUILTIN_RULES: &[(&str, &str)] = &[
    (
        "ec2_instance_connect_key_pushed.yml",
        include_str!("../rules/ec2_instance_connect_key_pushed.yml"),
    ),
    (
        "ssm_run_shell_script.yml",
        include_str!("../rules/ssm_run_shell_script.yml"),
    ),
    (
        "ec2_get_password_data.yml",
        include_str!("../rules/ec2_get_password_data.yml"),
    ),
    (
        "cloudtrail_logging_tampered.yml",
        include_str!("../rules/cloudtrail_logging_tampered.yml"),
    ),
    (
        "secret_read_by_assumed_role.yml",
        include_str!("../rules/secret_read_by_assumed_role.yml"),
    ),
    (
        "flow_logs_deleted.yml",
        include_str!("../rules/flow_logs_deleted.yml"),
    ),
    (
        "iam_user_persistence.yml",
        include_str!("../rules/iam_user_persistence.yml"),
    ),
    (
        "organization_left.yml",
        include_str!("../rules/organization_left.yml"),
    ),
    (
        "webserver_user_discovery.yml",
        include_str!("../rules/webserver_user_discovery.yml"),
    ),
    (
        "metadata_fetch_with_http_tool.yml",
        include_str!("../rules/metadata_fetch_with_http_tool.yml"),
    ),
    (
        "shadow_file_read.yml",
        include_str!("../rules/shadow_file_read.yml"),
    ),
    (
        "auditd_ssh_key_written.yml",
        include_str!("../rules/auditd_ssh_key_written.yml"),
    ),
];

/// The curated rules compiled against [`Mappings::builtin`].
pub fn builtin() -> (Vec<Compiled>, Vec<Unsupported>) {
    let mappings = Mappings::builtin();
    let mut compiled = Vec::new();
    let mut problems = Vec::new();
    for (name, text) in BUILTIN_RULES {
        match compile(&format!("builtin:{name}"), text, &mappings) {
            Ok(c) => compiled.push(c),
            Err(u) => problems.push(u),
        }
    }
    (compiled, problems)
}
