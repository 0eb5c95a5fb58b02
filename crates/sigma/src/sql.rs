//! Compiling a rule's detection into one SQL boolean expression over a mapped table.
//!
//! The SQL targets Apache DataFusion. Choices worth knowing:
//! - Strings match case-insensitively, as Sigma specifies: `lower(col) = '<lowercased value>'`
//!   for plain values, `col ILIKE '<pattern>'` for wildcards, with `%`, `_` and `\` escaped by a
//!   backslash (DataFusion's default LIKE escape). The `cased` modifier uses `=` and `LIKE`.
//! - Every field test is wrapped in `coalesce(..., false)`, so a missing field (NULL) makes the
//!   test false rather than NULL, and `not selection` is true on a row without the field, as
//!   Sigma means.
//! - List columns (dns `answers`, process `argv`) are joined with single spaces and padded with a
//!   space on each side; a value then matches when it matches one whole element (`' a b '
//!   ILIKE '% b %'`), and `contains`, `startswith`, `endswith` apply to each element. Elements
//!   with spaces in them, and `*` spanning two elements, blur this; regular expressions see the
//!   joined text.
//! - JSON-text fields (`requestParameters.x`) compile to a regular expression over the text that
//!   finds `"x": <value>` at any depth; JSON escapes inside the value are not decoded.

use crate::condition::{Cond, Target, glob};
use crate::mapping::{FieldDef, FieldKind, Mapping};
use crate::rule::{FieldTest, Rule, Search};
use crate::yaml::Yaml;
use crate::{MAX_CIDR_PATTERNS, MAX_SQL_BYTES};

/// A SQL string literal, quotes doubled.
pub(crate) fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// One element of a Sigma string value after its escapes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Lit(char),
    /// `*`: any run of characters.
    Many,
    /// `?`: one character.
    One,
}

/// Reads Sigma's wildcards and escapes: `*` and `?` are wildcards, `\*`, `\?` and `\\` their
/// literal characters, and a backslash before anything else is itself (Sigma's rule, so Windows
/// paths need no doubling).
fn pieces(value: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push(Piece::Many),
            '?' => out.push(Piece::One),
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    chars.next();
                    out.push(Piece::Lit(n));
                }
                _ => out.push(Piece::Lit('\\')),
            },
            c => out.push(Piece::Lit(c)),
        }
    }
    out
}

fn like_pattern(p: &[Piece]) -> String {
    let mut out = String::new();
    for piece in p {
        match piece {
            Piece::Many => out.push('%'),
            Piece::One => out.push('_'),
            Piece::Lit(c @ ('%' | '_' | '\\')) => {
                out.push('\\');
                out.push(*c);
            }
            Piece::Lit(c) => out.push(*c),
        }
    }
    out
}

fn regex_escape(c: char, out: &mut String) {
    if "\\.+*?()|[]{}^$#&-~".contains(c) {
        out.push('\\');
    }
    out.push(c);
}

/// How a string value is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Exact,
    Contains,
    StartsWith,
    EndsWith,
}

/// A field test's modifiers, read.
#[derive(Debug, Default)]
struct Mods {
    shape: Option<Shape>,
    all: bool,
    cased: bool,
    re: Option<String>,
    cidr: bool,
    exists: bool,
    cmp: Option<&'static str>,
}

fn read_modifiers(names: &[String]) -> Result<Mods, String> {
    let mut m = Mods::default();
    let mut kinds = 0;
    for name in names {
        match name.as_str() {
            "contains" => m.shape = Some(Shape::Contains),
            "startswith" => m.shape = Some(Shape::StartsWith),
            "endswith" => m.shape = Some(Shape::EndsWith),
            "all" => m.all = true,
            "cased" => m.cased = true,
            "re" => m.re = Some(String::new()),
            // Regular-expression flags: Sigma's sub-modifiers of `re`.
            "i" | "ignorecase" => m.re.get_or_insert_with(String::new).push('i'),
            "m" | "multiline" => m.re.get_or_insert_with(String::new).push('m'),
            "s" | "dotall" => m.re.get_or_insert_with(String::new).push('s'),
            "cidr" => m.cidr = true,
            "exists" => m.exists = true,
            "lt" => m.cmp = Some("<"),
            "lte" => m.cmp = Some("<="),
            "gt" => m.cmp = Some(">"),
            "gte" => m.cmp = Some(">="),
            other => return Err(format!("modifier `{other}` is not supported")),
        }
        if matches!(
            name.as_str(),
            "re" | "cidr" | "exists" | "lt" | "lte" | "gt" | "gte"
        ) {
            kinds += 1;
        }
    }
    if kinds > 1 || (kinds == 1 && m.shape.is_some()) {
        return Err(format!(
            "modifiers `{}` cannot be combined",
            names.join("|")
        ));
    }
    Ok(m)
}

/// Compiles a test of one string value against a text expression.
fn text_test(expr: &str, value: &str, shape: Shape, cased: bool) -> String {
    let mut p = pieces(value);
    match shape {
        Shape::Exact => {}
        Shape::Contains => {
            p.insert(0, Piece::Many);
            p.push(Piece::Many);
        }
        Shape::StartsWith => p.push(Piece::Many),
        Shape::EndsWith => p.insert(0, Piece::Many),
    }
    let wild = p.iter().any(|x| !matches!(x, Piece::Lit(_)));
    if !wild {
        let lit: String = p
            .iter()
            .filter_map(|x| match x {
                Piece::Lit(c) => Some(*c),
                _ => None,
            })
            .collect();
        return if cased {
            format!("{expr} = {}", quote(&lit))
        } else {
            format!("lower({expr}) = {}", quote(&lit.to_lowercase()))
        };
    }
    let op = if cased { "LIKE" } else { "ILIKE" };
    format!("{expr} {op} {}", quote(&like_pattern(&p)))
}

/// Compiles a test of one string value against a list expression (see the module notes).
fn list_test(expr: &str, value: &str, shape: Shape, cased: bool) -> String {
    let mut p = vec![Piece::Many, Piece::Lit(' ')];
    match shape {
        Shape::Exact => p.extend(pieces(value)),
        Shape::Contains => {
            p.push(Piece::Many);
            p.extend(pieces(value));
            p.push(Piece::Many);
        }
        Shape::StartsWith => {
            p.extend(pieces(value));
            p.push(Piece::Many);
        }
        Shape::EndsWith => {
            p.push(Piece::Many);
            p.extend(pieces(value));
        }
    }
    p.extend([Piece::Lit(' '), Piece::Many]);
    let op = if cased { "LIKE" } else { "ILIKE" };
    format!(
        "(' ' || array_to_string({expr}, ' ') || ' ') {op} {}",
        quote(&like_pattern(&p))
    )
}

/// Compiles a test of one string value against a key inside JSON text.
fn json_test(column: &str, key: &str, value: &Yaml, shape: Shape, cased: bool) -> String {
    let mut re = String::from("\"");
    for c in key.chars() {
        regex_escape(c, &mut re);
    }
    re.push_str("\"\\s*:\\s*");
    let text = value.as_text().unwrap_or_default();
    let mut body = String::new();
    for piece in pieces(&text) {
        match piece {
            // A wildcard stays inside the JSON string.
            Piece::Many => body.push_str("[^\"]*"),
            Piece::One => body.push_str("[^\"]"),
            Piece::Lit(c) => regex_escape(c, &mut body),
        }
    }
    let (open, close) = match shape {
        Shape::Exact => ("", ""),
        Shape::Contains => ("[^\"]*", "[^\"]*"),
        Shape::StartsWith => ("", "[^\"]*"),
        Shape::EndsWith => ("[^\"]*", ""),
    };
    // A scoped group rather than a bare `(?i)`: the key stays case-sensitive, and engines that
    // only accept flags at the start of a pattern (Python's, for the reference) read it too.
    let flags = if cased { "" } else { "?i:" };
    match value {
        // Numbers and booleans may be written unquoted in the JSON.
        Yaml::Int(_) | Yaml::Float(_) | Yaml::Bool(_) if shape == Shape::Exact => {
            re.push_str(&format!("({flags}\"{body}\"|{body}\\b)"));
        }
        _ => re.push_str(&format!("\"({flags}{open}{body}{close})\"")),
    }
    format!("regexp_like({column}, {})", quote(&re))
}

/// The IPv4 network `a.b.c.d/n` as LIKE prefixes: rounded up to whole octets, so `/12` becomes
/// sixteen `/16` prefixes. Prefixes shorter than /8, IPv6 and expansions beyond
/// [`MAX_CIDR_PATTERNS`] are refused.
fn cidr_patterns(value: &str) -> Result<Vec<String>, String> {
    let bad = || format!("cidr value `{value}` is not a supported IPv4 network (/8 to /32)");
    let (addr, len) = value.split_once('/').unwrap_or((value, "32"));
    let len: u32 = len.parse().map_err(|_| bad())?;
    let octets: Vec<u8> = addr
        .split('.')
        .map(|o| o.parse::<u8>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    if octets.len() != 4 || !(8..=32).contains(&len) {
        return Err(bad());
    }
    let ip = u32::from_be_bytes([octets[0], octets[1], octets[2], octets[3]]);
    let whole = len.div_ceil(8) * 8;
    let count = 1u64 << (whole - len);
    if count > MAX_CIDR_PATTERNS as u64 {
        return Err(format!(
            "cidr value `{value}` needs more than {MAX_CIDR_PATTERNS} prefixes"
        ));
    }
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let base = ip & mask;
    let step = if whole == 32 { 1 } else { 1u32 << (32 - whole) };
    let mut out = Vec::new();
    for i in 0..count as u32 {
        let net = (base + i * step).to_be_bytes();
        let kept: Vec<String> = net[..(whole / 8) as usize]
            .iter()
            .map(u8::to_string)
            .collect();
        out.push(if whole == 32 {
            kept.join(".")
        } else {
            format!("{}.%", kept.join("."))
        });
    }
    Ok(out)
}

fn number_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::Int(i) => Some(i.to_string()),
        Yaml::Float(f) => Some(f.clone()),
        _ => None,
    }
}

/// Compiles one field test to a non-NULL boolean expression.
fn field_test(t: &FieldTest, mapping: &Mapping) -> Result<String, String> {
    let mods = read_modifiers(&t.modifiers)?;
    let def = match &t.field {
        Some(f) => mapping
            .field(f)
            .ok_or_else(|| format!("field `{f}` has no mapping for table `{}`", mapping.table))?,
        None => FieldDef::Sql {
            sql: mapping.keywords.clone().ok_or_else(|| {
                format!(
                    "keyword search: mapping `{}` names no keyword column",
                    mapping.name
                )
            })?,
            kind: FieldKind::Text,
        },
    };
    // Keywords match anywhere in the text unless the rule says otherwise.
    let shape = mods.shape.unwrap_or(if t.field.is_none() {
        Shape::Contains
    } else {
        Shape::Exact
    });

    if mods.exists {
        let want = match t.values.as_slice() {
            [Yaml::Bool(b)] => *b,
            _ => return Err("`exists` takes true or false".to_string()),
        };
        let expr = match &def {
            FieldDef::Sql { sql, .. } => sql.clone(),
            FieldDef::Json { .. } => return Err("`exists` on a JSON key is not supported".into()),
        };
        return Ok(format!(
            "({expr} IS {}NULL)",
            if want { "NOT " } else { "" }
        ));
    }

    let mut parts = Vec::new();
    for value in &t.values {
        parts.push(value_test(&def, value, &mods, shape)?);
    }
    let joined = balanced(&parts, if mods.all { " AND " } else { " OR " });
    Ok(format!("coalesce({joined}, false)"))
}

fn value_test(def: &FieldDef, value: &Yaml, mods: &Mods, shape: Shape) -> Result<String, String> {
    let (expr, kind) = match def {
        FieldDef::Sql { sql, kind } => (sql.as_str(), *kind),
        FieldDef::Json { column, key } => {
            if mods.re.is_some() || mods.cidr || mods.cmp.is_some() {
                return Err(format!(
                    "only plain, contains, startswith and endswith tests are supported on JSON key `{key}`"
                ));
            }
            if matches!(value, Yaml::Null) {
                return Err(format!("null on JSON key `{key}` is not supported"));
            }
            return Ok(json_test(column, key, value, shape, mods.cased));
        }
    };
    // As text: the expression itself, or cast for non-text kinds.
    let as_text = || match kind {
        FieldKind::Int | FieldKind::Bool => format!("CAST({expr} AS VARCHAR)"),
        _ => expr.to_string(),
    };
    if matches!(value, Yaml::Null) {
        return Ok(format!("{expr} IS NULL"));
    }
    if let Some(flags) = &mods.re {
        let pattern = value.as_text().ok_or("`re` needs a text value")?;
        check_regex(&pattern)?;
        let prefix = if flags.is_empty() {
            String::new()
        } else {
            format!("(?{flags})")
        };
        let subject = match kind {
            FieldKind::List => format!("array_to_string({expr}, ' ')"),
            _ => as_text(),
        };
        return Ok(format!(
            "regexp_like({subject}, {})",
            quote(&format!("{prefix}{pattern}"))
        ));
    }
    if mods.cidr {
        if kind != FieldKind::Text {
            return Err("`cidr` is supported on text fields only".to_string());
        }
        let text = value.as_text().ok_or("`cidr` needs a text value")?;
        let tests: Vec<String> = cidr_patterns(&text)?
            .into_iter()
            .map(|p| {
                if p.ends_with('%') {
                    format!("{expr} LIKE {}", quote(&p))
                } else {
                    format!("{expr} = {}", quote(&p))
                }
            })
            .collect();
        return Ok(balanced(&tests, " OR "));
    }
    if let Some(op) = mods.cmp {
        let n = number_text(value).ok_or("`lt`/`lte`/`gt`/`gte` need a number")?;
        return Ok(match kind {
            FieldKind::Int => format!("{expr} {op} {n}"),
            _ => format!("TRY_CAST({expr} AS DOUBLE) {op} {n}"),
        });
    }
    match (kind, value, shape) {
        (FieldKind::Int, Yaml::Int(_) | Yaml::Float(_), Shape::Exact) => Ok(format!(
            "{expr} = {}",
            number_text(value).unwrap_or_default()
        )),
        (FieldKind::Bool, _, Shape::Exact) => {
            let b = match value {
                Yaml::Bool(b) => Some(*b),
                Yaml::Str(s) => match s.to_ascii_lowercase().as_str() {
                    "true" | "yes" => Some(true),
                    "false" | "no" => Some(false),
                    _ => None,
                },
                _ => None,
            };
            Ok(match b {
                Some(b) => format!("{expr} = {b}"),
                None => "false".to_string(),
            })
        }
        (FieldKind::List, _, _) => {
            let text = value.as_text().unwrap_or_default();
            Ok(list_test(expr, &text, shape, mods.cased))
        }
        _ => {
            let text = value.as_text().unwrap_or_default();
            Ok(text_test(&as_text(), &text, shape, mods.cased))
        }
    }
}

/// Refuses a pattern the target engine could not run, so the failure is reported when rules
/// are loaded rather than when a query runs.
fn check_regex(pattern: &str) -> Result<(), String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .nest_limit(64)
        .build()
        .map(|_| ())
        .map_err(|e| {
            let first = e.to_string().lines().last().unwrap_or_default().to_string();
            format!("regular expression not supported by Rust's regex syntax: {first}")
        })
}

fn search_sql(search: &Search, mapping: &Mapping) -> Result<String, String> {
    match search {
        Search::Keywords(values) => field_test(
            &FieldTest {
                field: None,
                modifiers: Vec::new(),
                values: values.clone(),
            },
            mapping,
        ),
        Search::Maps(maps) => {
            let mut alternatives = Vec::new();
            for map in maps {
                let tests = map
                    .iter()
                    .map(|t| field_test(t, mapping))
                    .collect::<Result<Vec<_>, _>>()?;
                alternatives.push(if tests.len() == 1 {
                    tests.into_iter().collect()
                } else {
                    format!("({})", tests.join(" AND "))
                });
            }
            Ok(balanced(&alternatives, " OR "))
        }
    }
}

struct Builder<'a> {
    searches: Vec<(&'a str, String)>,
    out: String,
}

impl Builder<'_> {
    fn push(&mut self, s: &str) -> Result<(), String> {
        if self.out.len() + s.len() > MAX_SQL_BYTES {
            return Err(format!("the SQL would exceed {MAX_SQL_BYTES} bytes"));
        }
        self.out.push_str(s);
        Ok(())
    }

    fn names(&self, target: &Target) -> Vec<usize> {
        (0..self.searches.len())
            .filter(|&i| {
                let n = self.searches[i].0;
                match target {
                    Target::Them => !n.starts_with('_'),
                    Target::Pattern(p) => glob(p, n),
                }
            })
            .collect()
    }

    fn join(&mut self, items: &[Cond], op: &str) -> Result<(), String> {
        self.push("(")?;
        for (i, c) in items.iter().enumerate() {
            if i > 0 {
                self.push(op)?;
            }
            self.cond(c)?;
        }
        self.push(")")
    }

    fn cond(&mut self, c: &Cond) -> Result<(), String> {
        match c {
            Cond::Search(name) => {
                let i = self
                    .searches
                    .iter()
                    .position(|(n, _)| n == name)
                    .ok_or_else(|| format!("condition names `{name}`, which is not defined"))?;
                let sql = self.searches[i].1.clone();
                self.push(&sql)
            }
            Cond::And(items) => self.join(items, " AND "),
            Cond::Or(items) => self.join(items, " OR "),
            Cond::Not(inner) => {
                self.push("(NOT ")?;
                self.cond(inner)?;
                self.push(")")
            }
            Cond::OneOf(t) | Cond::AllOf(t) => {
                let found = self.names(t);
                if found.is_empty() {
                    return Err(format!("`of` matches no search identifier: {t:?}"));
                }
                let op = if matches!(c, Cond::AllOf(_)) {
                    " AND "
                } else {
                    " OR "
                };
                self.push("(")?;
                for (k, i) in found.into_iter().enumerate() {
                    if k > 0 {
                        self.push(op)?;
                    }
                    let sql = self.searches[i].1.clone();
                    self.push(&sql)?;
                }
                self.push(")")
            }
        }
    }
}

/// `parts` joined by `op` as a balanced tree of parentheses: `((a OR b) OR (c OR d))`. A rule
/// that lists a thousand values (SigmaHQ has such lists of tool names) would otherwise be a
/// chain a thousand operators deep, which the query planner walks recursively until the stack
/// runs out; balanced, it is ten deep.
fn balanced(parts: &[String], op: &str) -> String {
    match parts {
        [] => "false".to_string(),
        [one] => one.clone(),
        _ => {
            let (left, right) = parts.split_at(parts.len() / 2);
            format!("({}{op}{})", balanced(left, op), balanced(right, op))
        }
    }
}

/// The rule's condition as SQL over `mapping`'s table, or why it cannot be.
pub(crate) fn compile(rule: &Rule, mapping: &Mapping) -> Result<String, String> {
    let mut b = Builder {
        searches: Vec::new(),
        out: String::new(),
    };
    for (name, search) in &rule.searches {
        let sql = search_sql(search, mapping)?;
        if sql.len() > MAX_SQL_BYTES {
            return Err(format!("the SQL would exceed {MAX_SQL_BYTES} bytes"));
        }
        b.searches.push((name.as_str(), sql));
    }
    if rule.conditions.len() == 1 {
        b.cond(&rule.conditions[0])?;
    } else {
        b.join(&rule.conditions, " OR ")?;
    }
    Ok(b.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(quote("it's"), "'it''s'");
        assert_eq!(
            like_pattern(&pieces(r"a%b_c\d*e?\*\?\\")),
            r"a\%b\_c\\d%e_*?\\"
        );
        assert_eq!(
            text_test("c", "O'Brien", Shape::Exact, false),
            "lower(c) = 'o''brien'"
        );
        assert_eq!(
            text_test("c", "a*", Shape::EndsWith, false),
            "c ILIKE '%a%'"
        );
        assert_eq!(
            text_test("c", "Ab", Shape::StartsWith, true),
            "c LIKE 'Ab%'"
        );
    }

    #[test]
    fn lists() {
        assert_eq!(
            list_test("argv", "-c", Shape::Exact, false),
            "(' ' || array_to_string(argv, ' ') || ' ') ILIKE '% -c %'"
        );
    }

    #[test]
    fn cidr() {
        assert_eq!(cidr_patterns("10.0.0.0/8").unwrap(), vec!["10.%"]);
        assert_eq!(cidr_patterns("10.1.2.3/32").unwrap(), vec!["10.1.2.3"]);
        let p = cidr_patterns("172.16.0.0/12").unwrap();
        assert_eq!(p.len(), 16);
        assert_eq!(p[0], "172.16.%");
        assert_eq!(p[15], "172.31.%");
        assert_eq!(cidr_patterns("169.254.169.254/31").unwrap().len(), 2);
        assert!(cidr_patterns("::1/128").is_err());
        assert!(cidr_patterns("10.0.0.0/4").is_err());
        assert!(cidr_patterns("10.0.0.0/9").is_ok());
        assert!(cidr_patterns("1.2.3.4/x").is_err());
    }

    #[test]
    fn json_keys() {
        assert_eq!(
            json_test(
                "request_parameters",
                "documentName",
                &Yaml::Str("AWS-RunShellScript".into()),
                Shape::Exact,
                false
            ),
            r#"regexp_like(request_parameters, '"documentName"\s*:\s*"(?i:AWS\-RunShellScript)"')"#
        );
    }
}
