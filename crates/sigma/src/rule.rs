//! The Sigma rule model and its reading from YAML.

use std::fmt;

use crate::MAX_SEARCHES;
use crate::condition::{self, Cond};
use crate::yaml::Yaml;

/// A rule's severity (`level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `informational`.
    Informational,
    /// `low`.
    Low,
    /// `medium`: also what a rule without `level` gets, the middle of the scale.
    Medium,
    /// `high`.
    High,
    /// `critical`.
    Critical,
}

impl Level {
    /// Sigma's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    fn parse(text: &str) -> Option<Level> {
        Some(match text.to_ascii_lowercase().as_str() {
            "informational" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `logsource` section: which logs a rule is written for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logsource {
    /// `product` (aws, linux, windows, ...).
    pub product: Option<String>,
    /// `service` (cloudtrail, auditd, sshd, ...).
    pub service: Option<String>,
    /// `category` (process_creation, dns, ...).
    pub category: Option<String>,
}

impl fmt::Display for Logsource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [
            ("product", &self.product),
            ("service", &self.service),
            ("category", &self.category),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
        if parts.is_empty() {
            f.write_str("(empty)")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

/// One `field|modifier|...: value(s)` entry of a search map; `field` is `None` for keywords.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldTest {
    pub field: Option<String>,
    pub modifiers: Vec<String>,
    pub values: Vec<Yaml>,
}

/// A search identifier's body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Search {
    /// Maps OR-ed together; within a map every field test must hold.
    Maps(Vec<Vec<FieldTest>>),
    /// Plain values searched for anywhere in the event.
    Keywords(Vec<Yaml>),
}

/// A parsed Sigma rule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    pub title: String,
    pub id: Option<String>,
    pub status: Option<String>,
    pub description: String,
    pub level: Level,
    /// ATT&CK technique ids (`T1059.004`).
    pub techniques: Vec<String>,
    /// ATT&CK tactics (`execution`, `lateral-movement`).
    pub tactics: Vec<String>,
    pub logsource: Logsource,
    pub searches: Vec<(String, Search)>,
    /// Alternatives, OR-ed together.
    pub conditions: Vec<Cond>,
    pub falsepositives: Vec<String>,
    pub references: Vec<String>,
    pub author: Option<String>,
}

/// Why a rule was not read: its file is not a valid Sigma rule, or it uses something this crate
/// does not translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RuleError {
    Invalid(String),
    Unsupported(String),
}

fn text(y: &Yaml, key: &str) -> Result<Option<String>, RuleError> {
    match y.get(key) {
        None | Some(Yaml::Null) => Ok(None),
        Some(v) => v
            .as_text()
            .map(Some)
            .ok_or_else(|| RuleError::Invalid(format!("`{key}` must be text"))),
    }
}

fn texts(y: &Yaml, key: &str) -> Result<Vec<String>, RuleError> {
    match y.get(key) {
        None | Some(Yaml::Null) => Ok(Vec::new()),
        Some(Yaml::Seq(items)) => items
            .iter()
            .map(|i| {
                i.as_text()
                    .ok_or_else(|| RuleError::Invalid(format!("`{key}` must be a list of text")))
            })
            .collect(),
        Some(v) => v
            .as_text()
            .map(|t| vec![t])
            .ok_or_else(|| RuleError::Invalid(format!("`{key}` must be a list of text"))),
    }
}

/// Splits `attack.*` tags: `attack.t1059.004` is technique `T1059.004`, `attack.execution` a
/// tactic; groups and software (`attack.g0016`, `attack.s0002`) and other tags are dropped since
/// eastwest reports techniques and tactics only.
fn attack_tags(tags: &[String]) -> (Vec<String>, Vec<String>) {
    let mut techniques = Vec::new();
    let mut tactics = Vec::new();
    for tag in tags {
        let Some(rest) = tag
            .to_ascii_lowercase()
            .strip_prefix("attack.")
            .map(str::to_string)
        else {
            continue;
        };
        let b = rest.as_bytes();
        if b.len() >= 5 && b[0] == b't' && b[1..5].iter().all(u8::is_ascii_digit) {
            let id = rest.to_ascii_uppercase();
            if !techniques.contains(&id) {
                techniques.push(id);
            }
        } else {
            // Groups and software have their own id forms; they are not tactics.
            let group_or_software = b.len() == 5
                && matches!(b[0], b'g' | b's')
                && b[1..].iter().all(u8::is_ascii_digit);
            if !group_or_software && !tactics.contains(&rest) {
                tactics.push(rest);
            }
        }
    }
    (techniques, tactics)
}

fn values(v: &Yaml) -> Vec<Yaml> {
    match v {
        Yaml::Seq(items) => items.clone(),
        other => vec![other.clone()],
    }
}

fn search_map(entries: &[(String, Yaml)]) -> Result<Vec<FieldTest>, RuleError> {
    if entries.is_empty() {
        return Err(RuleError::Invalid("an empty search map".to_string()));
    }
    entries
        .iter()
        .map(|(key, value)| {
            let mut parts = key.split('|');
            let field = parts.next().unwrap_or_default().trim().to_string();
            let modifiers: Vec<String> = parts.map(|m| m.trim().to_string()).collect();
            let nested = match value {
                Yaml::Seq(items) => items
                    .iter()
                    .any(|i| matches!(i, Yaml::Seq(_) | Yaml::Map(_))),
                Yaml::Map(_) => true,
                _ => false,
            };
            if nested {
                return Err(RuleError::Invalid(format!(
                    "the value of `{key}` must be a scalar or a list of scalars"
                )));
            }
            let values = values(value);
            if values.is_empty() {
                return Err(RuleError::Invalid(format!(
                    "`{key}` has an empty value list"
                )));
            }
            Ok(FieldTest {
                field: (!field.is_empty()).then_some(field),
                modifiers,
                values,
            })
        })
        .collect()
}

fn search(name: &str, body: &Yaml) -> Result<Search, RuleError> {
    match body {
        Yaml::Map(entries) => Ok(Search::Maps(vec![search_map(entries)?])),
        Yaml::Seq(items)
            if items.iter().all(|i| matches!(i, Yaml::Map(_))) && !items.is_empty() =>
        {
            let mut maps = Vec::new();
            for item in items {
                if let Yaml::Map(entries) = item {
                    maps.push(search_map(entries)?);
                }
            }
            Ok(Search::Maps(maps))
        }
        Yaml::Seq(items)
            if items
                .iter()
                .all(|i| !matches!(i, Yaml::Map(_) | Yaml::Seq(_))) =>
        {
            if items.is_empty() {
                return Err(RuleError::Invalid(format!("search `{name}` is empty")));
            }
            Ok(Search::Keywords(items.clone()))
        }
        Yaml::Seq(_) => Err(RuleError::Unsupported(format!(
            "search `{name}` mixes maps and plain values"
        ))),
        Yaml::Null => Err(RuleError::Invalid(format!("search `{name}` is empty"))),
        scalar => Ok(Search::Keywords(vec![scalar.clone()])),
    }
}

impl Rule {
    /// Reads a rule from its YAML tree.
    pub(crate) fn from_yaml(y: &Yaml) -> Result<Rule, RuleError> {
        if !matches!(y, Yaml::Map(_)) {
            return Err(RuleError::Invalid(
                "a rule must be a YAML mapping".to_string(),
            ));
        }
        if y.get("action").is_some() {
            return Err(RuleError::Unsupported(
                "rule collections (`action:`) are not supported".to_string(),
            ));
        }
        if y.get("correlation").is_some() {
            return Err(RuleError::Unsupported(
                "correlation rules are not supported".to_string(),
            ));
        }
        let title = text(y, "title")?
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| RuleError::Invalid("no `title`".to_string()))?;
        let level = match text(y, "level")? {
            None => Level::Medium,
            Some(l) => Level::parse(&l)
                .ok_or_else(|| RuleError::Invalid(format!("unknown level `{l}`")))?,
        };
        let (techniques, tactics) = attack_tags(&texts(y, "tags")?);
        let logsource = match y.get("logsource") {
            Some(ls @ Yaml::Map(_)) => Logsource {
                product: text(ls, "product")?,
                service: text(ls, "service")?,
                category: text(ls, "category")?,
            },
            _ => return Err(RuleError::Invalid("no `logsource` mapping".to_string())),
        };
        let Some(Yaml::Map(detection)) = y.get("detection") else {
            return Err(RuleError::Invalid("no `detection` mapping".to_string()));
        };
        let mut searches = Vec::new();
        let mut condition_texts = Vec::new();
        for (key, body) in detection {
            match key.as_str() {
                "condition" => {
                    condition_texts = match body {
                        Yaml::Seq(items) => items
                            .iter()
                            .map(|i| {
                                i.as_text().ok_or_else(|| {
                                    RuleError::Invalid("`condition` must be text".to_string())
                                })
                            })
                            .collect::<Result<_, _>>()?,
                        other => vec![other.as_text().ok_or_else(|| {
                            RuleError::Invalid("`condition` must be text".to_string())
                        })?],
                    }
                }
                // A time window only matters to aggregations, which are refused anyway.
                "timeframe" => {}
                _ => {
                    if searches.len() >= MAX_SEARCHES {
                        return Err(RuleError::Unsupported(format!(
                            "more than {MAX_SEARCHES} search identifiers"
                        )));
                    }
                    searches.push((key.clone(), search(key, body)?));
                }
            }
        }
        if condition_texts.is_empty() {
            return Err(RuleError::Invalid("no `detection.condition`".to_string()));
        }
        if searches.is_empty() {
            return Err(RuleError::Invalid(
                "no search identifiers in `detection`".to_string(),
            ));
        }
        let conditions = condition_texts
            .iter()
            .map(|c| {
                condition::parse(c).map_err(|e| {
                    if e.contains("not supported") {
                        RuleError::Unsupported(e)
                    } else {
                        RuleError::Invalid(format!("condition `{c}`: {e}"))
                    }
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Rule {
            title,
            id: text(y, "id")?,
            status: text(y, "status")?,
            description: text(y, "description")?.unwrap_or_default(),
            level,
            techniques,
            tactics,
            logsource,
            searches,
            conditions,
            falsepositives: texts(y, "falsepositives")?,
            references: texts(y, "references")?,
            author: text(y, "author")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    #[test]
    fn tags_split() {
        let tags: Vec<String> = [
            "attack.t1059.004",
            "attack.execution",
            "attack.g0016",
            "cve.2021-1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            attack_tags(&tags),
            (vec!["T1059.004".to_string()], vec!["execution".to_string()])
        );
    }

    #[test]
    fn reads_a_rule() {
        let y = yaml::parse(
            "title: t\nid: x\nlevel: high\nlogsource: {product: aws, service: cloudtrail}\n\
             detection:\n  sel:\n    eventName|startswith: [Get, List]\n  kw: [a, b]\n  \
             alt:\n    - a: 1\n    - b: 2\n  condition: sel or kw\n",
        )
        .unwrap();
        let r = Rule::from_yaml(&y).unwrap();
        assert_eq!(r.level, Level::High);
        assert_eq!(r.searches.len(), 3);
        assert!(matches!(&r.searches[1].1, Search::Keywords(k) if k.len() == 2));
        assert!(matches!(&r.searches[2].1, Search::Maps(m) if m.len() == 2));
        let Search::Maps(m) = &r.searches[0].1 else {
            panic!()
        };
        assert_eq!(m[0][0].modifiers, vec!["startswith".to_string()]);
    }

    #[test]
    fn invalid_rules() {
        for (text, want) in [
            ("- a\n", "mapping"),
            ("title: t\n", "logsource"),
            ("title: t\nlogsource: {}\n", "detection"),
            (
                "title: t\nlogsource: {}\ndetection: {sel: {a: 1}}\n",
                "condition",
            ),
            (
                "title: t\nlevel: urgent\nlogsource: {}\ndetection: {sel: {a: 1}, condition: sel}\n",
                "level",
            ),
            (
                "title: t\nlogsource: {}\ndetection: {sel: {a: {b: 1}}, condition: sel}\n",
                "scalar",
            ),
        ] {
            let y = yaml::parse(text).unwrap();
            match Rule::from_yaml(&y) {
                Err(RuleError::Invalid(e)) => assert!(e.contains(want), "{text}: {e}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
