//! A small YAML tree built from the parser's events, with this crate's limits.
//!
//! The YAML library's own loader recurses once per nesting level and expands aliases by copying,
//! so a hostile file could exhaust the stack or memory through it. Driving the event parser
//! ourselves lets us stop at [`MAX_DEPTH`](crate::MAX_DEPTH) and [`MAX_NODES`](crate::MAX_NODES)
//! and refuse aliases, which Sigma rules never need.

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

use crate::{MAX_DEPTH, MAX_NODES};

/// A YAML value as Sigma uses it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Yaml {
    /// `null`, `~` or an empty plain scalar.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A floating-point number, kept as its text so SQL prints exactly what the rule said.
    Float(String),
    /// Any other scalar.
    Str(String),
    /// A sequence.
    Seq(Vec<Yaml>),
    /// A mapping, in the file's order (Sigma's output should follow the rule's order).
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    /// The value under `key` of a mapping.
    pub(crate) fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The scalar as text, if it is a scalar other than null.
    pub(crate) fn as_text(&self) -> Option<String> {
        match self {
            Yaml::Bool(b) => Some(b.to_string()),
            Yaml::Int(i) => Some(i.to_string()),
            Yaml::Float(f) | Yaml::Str(f) => Some(f.clone()),
            _ => None,
        }
    }
}

/// A container being filled: a sequence, or a mapping with its pending key.
enum Open {
    Seq(Vec<Yaml>),
    Map(Vec<(String, Yaml)>, Option<String>),
}

/// Parses one YAML document into a [`Yaml`] tree. Errors are sentences for a person.
pub(crate) fn parse(text: &str) -> Result<Yaml, String> {
    // The library has internal assertions; a bug there must not take the caller down with it.
    std::panic::catch_unwind(|| parse_inner(text))
        .unwrap_or_else(|_| Err("the YAML parser failed on this input".to_string()))
}

fn parse_inner(text: &str) -> Result<Yaml, String> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Yaml> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;
    loop {
        let (event, mark) = parser
            .next_token()
            .map_err(|e| format!("invalid YAML: {e}"))?;
        let value = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => continue,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(
                        "multi-document YAML (rule collections, `action: global`) is not supported"
                            .to_string(),
                    );
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(format!(
                    "YAML aliases are not supported (line {})",
                    mark.line()
                ));
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!(
                        "YAML nested deeper than {MAX_DEPTH} levels (line {})",
                        mark.line()
                    ));
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(Vec::new())
                } else {
                    Open::Map(Vec::new(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(items)) => Yaml::Seq(items),
                Some(Open::Map(entries, _)) => Yaml::Map(entries),
                None => return Err("unbalanced YAML".to_string()),
            },
            Event::Scalar(text, style, _, _) => scalar(text, style),
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(format!("YAML has more than {MAX_NODES} values"));
        }
        match stack.last_mut() {
            None => root = Some(value),
            Some(Open::Seq(items)) => items.push(value),
            Some(Open::Map(entries, key)) => match key.take() {
                None => {
                    // Sigma keys are scalars; a complex key is refused rather than guessed at.
                    let k = match value {
                        Yaml::Null => String::new(),
                        other => other.as_text().ok_or_else(|| {
                            format!("a mapping key is not a scalar (line {})", mark.line())
                        })?,
                    };
                    if entries.iter().any(|(e, _)| *e == k) {
                        return Err(format!("duplicate key `{k}` (line {})", mark.line()));
                    }
                    *key = Some(k);
                }
                Some(k) => entries.push((k, value)),
            },
        }
    }
    root.ok_or_else(|| "the file holds no YAML document".to_string())
}

/// Resolves a scalar the way YAML 1.2's core schema does for the types Sigma uses.
fn scalar(text: String, style: TScalarStyle) -> Yaml {
    if style != TScalarStyle::Plain {
        return Yaml::Str(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Yaml::Null,
        "true" | "True" | "TRUE" => return Yaml::Bool(true),
        "false" | "False" | "FALSE" => return Yaml::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(&text);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(i) = text.parse::<i64>()
    {
        return Yaml::Int(i);
    }
    // Only plain decimal numbers count as floats: `.inf`, hex and the like stay text.
    if digits.bytes().any(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || b == b'-')
        && text.parse::<f64>().is_ok_and(f64::is_finite)
    {
        return Yaml::Float(text);
    }
    Yaml::Str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_and_nesting() {
        let y = parse("a: 1\nb: '1'\nc: [x, ~, true, 1.5]\nd: {e: f}\n").unwrap();
        assert_eq!(y.get("a"), Some(&Yaml::Int(1)));
        assert_eq!(y.get("b"), Some(&Yaml::Str("1".into())));
        assert_eq!(
            y.get("c"),
            Some(&Yaml::Seq(vec![
                Yaml::Str("x".into()),
                Yaml::Null,
                Yaml::Bool(true),
                Yaml::Float("1.5".into())
            ]))
        );
        assert_eq!(
            y.get("d").and_then(|d| d.get("e")),
            Some(&Yaml::Str("f".into()))
        );
    }

    #[test]
    fn refusals() {
        assert!(parse("a: &x 1\nb: *x\n").unwrap_err().contains("aliases"));
        assert!(
            parse("a: 1\n---\nb: 2\n")
                .unwrap_err()
                .contains("multi-document")
        );
        assert!(parse("a: 1\na: 2\n").unwrap_err().contains("duplicate"));
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).is_err());
        assert!(parse("a: [1, 2").is_err());
    }
}
