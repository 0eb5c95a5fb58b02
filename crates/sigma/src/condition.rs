//! Sigma's `condition` language: search identifiers joined by `and`, `or`, `not`, parentheses
//! and the `1 of` / `all of` quantifiers.
//!
//! Precedence is Sigma's: `not` binds tighter than `and`, which binds tighter than `or`.
//! Aggregations (`| count() ...`) and `near` are refused with that reason: they need state across
//! rows, which a per-row SQL condition cannot express.

use crate::{MAX_CONDITION_DEPTH, MAX_CONDITION_TOKENS};

/// Which search identifiers a quantifier ranges over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `them`: every search identifier not starting with `_`.
    Them,
    /// A name, possibly with `*` wildcards (`selection*`).
    Pattern(String),
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cond {
    /// A search identifier.
    Search(String),
    /// Every operand holds.
    And(Vec<Cond>),
    /// At least one operand holds.
    Or(Vec<Cond>),
    /// The operand does not hold.
    Not(Box<Cond>),
    /// `1 of target`.
    OneOf(Target),
    /// `all of target`.
    AllOf(Target),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Word(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    if text.contains('|') {
        return Err("aggregations (`| count() ...`) are not supported".to_string());
    }
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if !word.is_empty() {
                tokens.push(Token::Word(std::mem::take(&mut word)));
            }
            match c {
                '(' => tokens.push(Token::Open),
                ')' => tokens.push(Token::Close),
                _ => {}
            }
        } else if c.is_alphanumeric() || matches!(c, '_' | '-' | '*' | '.') {
            word.push(c);
        } else {
            return Err(format!("unexpected character `{c}` in condition"));
        }
        if tokens.len() > MAX_CONDITION_TOKENS {
            return Err(format!(
                "condition longer than {MAX_CONDITION_TOKENS} tokens"
            ));
        }
    }
    if !word.is_empty() {
        tokens.push(Token::Word(word));
    }
    if tokens.is_empty() {
        return Err("empty condition".to_string());
    }
    Ok(tokens)
}

/// Parses one condition string.
pub(crate) fn parse(text: &str) -> Result<Cond, String> {
    let tokens = tokenize(text)?;
    let mut p = P { tokens, at: 0 };
    let cond = p.or(0)?;
    match p.tokens.get(p.at) {
        None => Ok(cond),
        Some(t) => Err(format!("unexpected {} in condition", describe(t))),
    }
}

fn describe(t: &Token) -> String {
    match t {
        Token::Open => "`(`".to_string(),
        Token::Close => "`)`".to_string(),
        Token::Word(w) => format!("`{w}`"),
    }
}

struct P {
    tokens: Vec<Token>,
    at: usize,
}

impl P {
    fn peek_word(&self) -> Option<&str> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn depth_check(depth: usize) -> Result<(), String> {
        if depth > MAX_CONDITION_DEPTH {
            Err(format!(
                "condition nested deeper than {MAX_CONDITION_DEPTH} levels"
            ))
        } else {
            Ok(())
        }
    }

    fn or(&mut self, depth: usize) -> Result<Cond, String> {
        Self::depth_check(depth)?;
        let mut items = vec![self.and(depth + 1)?];
        while self.peek_word() == Some("or") {
            self.at += 1;
            items.push(self.and(depth + 1)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Cond, String> {
        Self::depth_check(depth)?;
        let mut items = vec![self.not(depth + 1)?];
        while self.peek_word() == Some("and") {
            self.at += 1;
            items.push(self.not(depth + 1)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not(&mut self, depth: usize) -> Result<Cond, String> {
        Self::depth_check(depth)?;
        if self.peek_word() == Some("not") {
            self.at += 1;
            return Ok(Cond::Not(Box::new(self.not(depth + 1)?)));
        }
        self.atom(depth + 1)
    }

    fn atom(&mut self, depth: usize) -> Result<Cond, String> {
        Self::depth_check(depth)?;
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or("condition ends where an identifier was expected")?;
        self.at += 1;
        match token {
            Token::Open => {
                let inner = self.or(depth + 1)?;
                match self.tokens.get(self.at) {
                    Some(Token::Close) => {
                        self.at += 1;
                        Ok(inner)
                    }
                    _ => Err("unbalanced parentheses in condition".to_string()),
                }
            }
            Token::Close => Err("unexpected `)` in condition".to_string()),
            Token::Word(w) => match w.as_str() {
                "and" | "or" | "of" | "them" => Err(format!("unexpected `{w}` in condition")),
                "near" => Err("`near` is not supported".to_string()),
                "1" | "all" | "any" => {
                    if self.peek_word() != Some("of") {
                        return Err(format!("`{w}` must be followed by `of`"));
                    }
                    self.at += 1;
                    let target = match self.tokens.get(self.at) {
                        Some(Token::Word(t)) if t == "them" => Target::Them,
                        Some(Token::Word(t))
                            if !matches!(t.as_str(), "and" | "or" | "not" | "of") =>
                        {
                            Target::Pattern(t.clone())
                        }
                        _ => return Err(format!("`{w} of` needs a target")),
                    };
                    self.at += 1;
                    Ok(if w == "all" {
                        Cond::AllOf(target)
                    } else {
                        Cond::OneOf(target)
                    })
                }
                _ if w.bytes().all(|b| b.is_ascii_digit()) && self.peek_word() == Some("of") => {
                    Err(format!("`{w} of` (more than one) is not supported"))
                }
                _ if w.contains('*') => Err(format!(
                    "a wildcard identifier `{w}` needs `1 of` or `all of`"
                )),
                _ => Ok(Cond::Search(w)),
            },
        }
    }
}

/// Whether `name` matches a quantifier pattern where `*` stands for any run of characters.
pub(crate) fn glob(pattern: &str, name: &str) -> bool {
    // Iterative matching with one backtrack point: linear in practice, no recursion.
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if pi < p.len() && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: &str) -> Cond {
        Cond::Search(n.to_string())
    }

    #[test]
    fn precedence() {
        assert_eq!(
            parse("a or b and not c").unwrap(),
            Cond::Or(vec![
                s("a"),
                Cond::And(vec![s("b"), Cond::Not(Box::new(s("c")))])
            ])
        );
        assert_eq!(
            parse("(a or b) and c").unwrap(),
            Cond::And(vec![Cond::Or(vec![s("a"), s("b")]), s("c")])
        );
        assert_eq!(
            parse("1 of sel* and not all of them").unwrap(),
            Cond::And(vec![
                Cond::OneOf(Target::Pattern("sel*".into())),
                Cond::Not(Box::new(Cond::AllOf(Target::Them)))
            ])
        );
    }

    #[test]
    fn refusals() {
        assert!(
            parse("sel | count() by x > 5")
                .unwrap_err()
                .contains("aggregation")
        );
        assert!(parse("a near b").unwrap_err().contains("near"));
        assert!(parse("(a or b").is_err());
        assert!(parse("a or").is_err());
        assert!(parse("a b").is_err());
        assert!(parse("").is_err());
        assert!(parse("2 of sel*").unwrap_err().contains("not supported"));
        assert!(parse(&"(".repeat(500)).is_err());
        assert!(parse(&"not ".repeat(500)).is_err());
    }

    #[test]
    fn globbing() {
        assert!(glob("sel*", "selection_1"));
        assert!(glob("*_x", "a_x"));
        assert!(!glob("sel*", "filter"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
    }
}
