//! Field mappings: which eastwest table serves a Sigma logsource, and what each Sigma field is
//! in that table.
//!
//! A mapping file is TOML with one or more `[[mapping]]` tables:
//!
//! ```toml
//! [[mapping]]
//! name = "aws-cloudtrail"
//! table = "cloudtrail"
//! logsource = { product = "aws", service = "cloudtrail" }
//! # Optional: the text a keyword search (a list of plain values) looks in.
//! keywords = "message"
//! [mapping.fields]
//! eventName = "event_name"                                  # a text column
//! "userIdentity.type" = "identity_type"
//! query = { sql = "rtrim(query_name, '.')" }                # any SQL expression
//! answers = { sql = "answers", type = "list" }              # a list column
//! pid = { sql = "pid", type = "int" }                       # also "bool"
//! "requestParameters.*" = { json = "request_parameters" }   # keys inside JSON text
//! ```
//!
//! The SQL in a mapping is trusted: it is the operator's own configuration, pasted into queries
//! as written, exactly like eastwest's own detector SQL.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::rule::Logsource;

/// What kind of value a mapped field holds; it decides the SQL a test compiles to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// Text (the default).
    Text,
    /// A 64-bit integer.
    Int,
    /// A boolean.
    Bool,
    /// A list of text: a value matches when any element does.
    List,
}

/// What a Sigma field is in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldDef {
    /// A column or SQL expression of the given kind.
    Sql {
        /// The column name or expression.
        sql: String,
        /// Its kind.
        kind: FieldKind,
    },
    /// A key inside a column holding JSON text (CloudTrail's `requestParameters`): matched with a
    /// regular expression over the text, see the SQL generator.
    Json {
        /// The column holding JSON text.
        column: String,
        /// The key looked for: the last component of the Sigma field's dotted name.
        key: String,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawField {
    Column(String),
    Expr {
        sql: String,
        #[serde(rename = "type", default)]
        kind: Option<FieldKind>,
    },
    Json {
        json: String,
    },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLogsource {
    product: Option<String>,
    service: Option<String>,
    category: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    name: String,
    table: String,
    logsource: RawLogsource,
    keywords: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, RawField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    mapping: Vec<RawMapping>,
}

/// One logsource's mapping onto a table.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// A name for messages.
    pub name: String,
    /// The eastwest table.
    pub table: String,
    /// The logsource served: each set part must equal the rule's (case-insensitively).
    pub logsource: Logsource,
    /// What keyword searches look in, if anything.
    pub keywords: Option<String>,
    fields: BTreeMap<String, RawFieldDef>,
}

#[derive(Debug, Clone)]
enum RawFieldDef {
    Sql(String, FieldKind),
    Json(String),
}

impl Mapping {
    /// What the Sigma field `name` is in this table, if the mapping knows it. Sigma field names
    /// are matched exactly first, then case-insensitively, then against `prefix.*` entries.
    pub fn field(&self, name: &str) -> Option<FieldDef> {
        let found = self.fields.get(name).map(|d| (name, d)).or_else(|| {
            self.fields
                .iter()
                .find(|(k, _)| !k.ends_with(".*") && k.eq_ignore_ascii_case(name))
                .map(|(k, d)| (k.as_str(), d))
        });
        if let Some((_, def)) = found {
            return match def {
                RawFieldDef::Sql(sql, kind) => Some(FieldDef::Sql {
                    sql: sql.clone(),
                    kind: *kind,
                }),
                // A JSON column named without a key means the whole text; treat it as text.
                RawFieldDef::Json(column) => Some(FieldDef::Sql {
                    sql: column.clone(),
                    kind: FieldKind::Text,
                }),
            };
        }
        self.fields.iter().find_map(|(k, def)| {
            let prefix = k.strip_suffix('*')?;
            let rest = name.strip_prefix(prefix)?;
            let key = rest.rsplit('.').next().filter(|k| !k.is_empty())?;
            match def {
                RawFieldDef::Json(column) => Some(FieldDef::Json {
                    column: column.clone(),
                    key: key.to_string(),
                }),
                RawFieldDef::Sql(..) => None,
            }
        })
    }

    /// How well this mapping serves `ls`: `None` if not at all, else how many parts the mapping
    /// sets that the rule leaves open (fewer is more specific).
    fn fit(&self, ls: &Logsource) -> Option<usize> {
        let mut extra = 0;
        for (mine, theirs) in [
            (&self.logsource.product, &ls.product),
            (&self.logsource.service, &ls.service),
            (&self.logsource.category, &ls.category),
        ] {
            match (mine, theirs) {
                (Some(m), Some(t)) if m.eq_ignore_ascii_case(t) => {}
                (Some(_), None) => extra += 1,
                (None, None) => {}
                _ => return None,
            }
        }
        Some(extra)
    }
}

/// Problems reading a mapping file.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// The text is not a valid mapping file.
    #[error("invalid mapping file: {0}")]
    Toml(#[from] toml::de::Error),
    /// A mapping is unusable.
    #[error("mapping `{0}`: {1}")]
    Invalid(String, String),
}

/// A set of mappings; a rule uses the most specific one that serves its logsource.
#[derive(Debug, Clone, Default)]
pub struct Mappings {
    mappings: Vec<Mapping>,
}

/// The mapping files shipped with the crate, in the order they are tried.
const BUILTIN: [&str; 4] = [
    include_str!("../mappings/cloudtrail.toml"),
    include_str!("../mappings/dns.toml"),
    include_str!("../mappings/ssh.toml"),
    include_str!("../mappings/auditd.toml"),
];

impl Mappings {
    /// The mappings shipped with eastwest, for its `cloudtrail`, `dns`, `ssh`, `process` and
    /// `audit` tables.
    pub fn builtin() -> Mappings {
        let mut all = Mappings::default();
        for text in BUILTIN {
            match Mappings::from_toml(text) {
                Ok(m) => all.mappings.extend(m.mappings),
                // Guarded by a unit test; an empty set only makes every rule unsupported.
                Err(_) => continue,
            }
        }
        all
    }

    /// Reads mappings from a TOML text (see the module documentation for the format).
    pub fn from_toml(text: &str) -> Result<Mappings, MappingError> {
        let raw: RawFile = toml::from_str(text)?;
        let mut mappings = Vec::new();
        for m in raw.mapping {
            if m.table.trim().is_empty() {
                return Err(MappingError::Invalid(m.name, "empty `table`".to_string()));
            }
            let fields = m
                .fields
                .into_iter()
                .map(|(k, f)| {
                    let def = match f {
                        RawField::Column(c) => RawFieldDef::Sql(c, FieldKind::Text),
                        RawField::Expr { sql, kind } => {
                            RawFieldDef::Sql(sql, kind.unwrap_or(FieldKind::Text))
                        }
                        RawField::Json { json } => RawFieldDef::Json(json),
                    };
                    (k, def)
                })
                .collect();
            mappings.push(Mapping {
                name: m.name,
                table: m.table,
                logsource: Logsource {
                    product: m.logsource.product,
                    service: m.logsource.service,
                    category: m.logsource.category,
                },
                keywords: m.keywords,
                fields,
            });
        }
        Ok(Mappings { mappings })
    }

    /// Adds another set's mappings after these (tried after them on equal specificity).
    pub fn extend(&mut self, other: Mappings) {
        self.mappings.extend(other.mappings);
    }

    /// The mappings, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Mapping> {
        self.mappings.iter()
    }

    /// The most specific mapping serving `ls`; on a tie, the first.
    pub fn for_logsource(&self, ls: &Logsource) -> Option<&Mapping> {
        self.mappings
            .iter()
            .filter_map(|m| m.fit(ls).map(|f| (f, m)))
            .min_by_key(|(f, _)| *f)
            .map(|(_, m)| m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_files_parse() {
        for text in BUILTIN {
            Mappings::from_toml(text).unwrap();
        }
        assert!(Mappings::builtin().iter().count() >= 6);
    }

    #[test]
    fn lookup_and_fit() {
        let m = Mappings::builtin();
        let ct = m
            .for_logsource(&Logsource {
                product: Some("AWS".into()),
                service: Some("cloudtrail".into()),
                category: None,
            })
            .unwrap();
        assert_eq!(ct.table, "cloudtrail");
        assert_eq!(
            ct.field("eventname"),
            Some(FieldDef::Sql {
                sql: "event_name".into(),
                kind: FieldKind::Text
            })
        );
        assert_eq!(
            ct.field("requestParameters.filter.documentName"),
            Some(FieldDef::Json {
                column: "request_parameters".into(),
                key: "documentName".into()
            })
        );
        let win = Logsource {
            product: Some("windows".into()),
            ..Logsource::default()
        };
        assert!(m.for_logsource(&win).is_none());
    }
}
