//! Findings as a table for people reading a terminal, most severe first.
//!
//! Names, tags and log fields come from inventories and logs an attacker may have written to:
//! every value is passed through [`printable`] so that none can move the cursor, retitle the
//! window, hide text or fake a line of output.

use std::borrow::Cow;
use std::fmt::Write as _;

use eastwest_model::{Endpoint, Finding};

/// Width of the severity column: the longest caption, `Informational`.
const SEVERITY_WIDTH: usize = 13;

/// Width of the posture table's resource column (most AWS ids fit; longer ones push the row).
const RESOURCE_WIDTH: usize = 22;

/// Widest a `source → destination` cell grows before it is cut, so that one long name does not
/// push every title off the screen.
const ENDPOINTS_MAX: usize = 48;

/// `text` without anything a terminal would act on rather than print: C0 controls, DEL, C1
/// controls, escape sequences whole (CSI `ESC [ ... final`, OSC/DCS/APC/PM/SOS strings up to
/// their terminator, and two-character escapes), and the Unicode bidirectional overrides that
/// reorder what is shown. Tabs and line breaks become a space, so words stay apart and a value
/// stays on its row. Borrowed when nothing had to go.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_care) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            '\u{1b}' => match chars.peek().copied() {
                Some('[') => {
                    chars.next();
                    skip_control_sequence(&mut chars);
                }
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    chars.next();
                    skip_control_string(&mut chars);
                }
                // nF escapes: intermediates, then one final character.
                Some(' '..='/') => {
                    while chars.next_if(|c| matches!(c, ' '..='/')).is_some() {}
                    chars.next_if(|c| matches!(c, '0'..='~'));
                }
                // Two-character escapes (`ESC 7`, `ESC c`, ...).
                Some('0'..='~') => {
                    chars.next();
                }
                _ => {}
            },
            '\u{9b}' => skip_control_sequence(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_control_string(&mut chars),
            c if needs_care(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether `c` is a control character or a bidirectional override.
fn needs_care(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Skips the rest of a CSI sequence: parameters, intermediates, one final character.
fn skip_control_sequence(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while chars
        .next_if(|c| matches!(c, '0'..='?' | ' '..='/'))
        .is_some()
    {}
    chars.next_if(|c| matches!(c, '@'..='~'));
}

/// Skips the rest of a control string up to its terminator: BEL, `ESC \` or ST (U+009C), or
/// the end of the text when it has none.
fn skip_control_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

/// `text` made printable and cut to `max` characters (the last one an ellipsis).
fn cell(text: &str, max: usize) -> String {
    let text = printable(text);
    if text.chars().count() <= max {
        return text.into_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The findings as a table, most severe first (in their given order within one severity).
/// Detection findings come first: severity, analytic, `source → destination`, title, then the
/// remediation and the first record behind it on indented lines. Compliance findings (posture)
/// follow in the audit's layout: severity, check, resource, why (the first line of the
/// description), then a `fix:` line. Empty input gives an empty string.
pub fn table(findings: &[Finding]) -> String {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let (compliance, detection): (Vec<&Finding>, Vec<&Finding>) =
        sorted.into_iter().partition(|f| f.compliance.is_some());
    let mut out = String::new();
    if !detection.is_empty() {
        detection_table(&detection, &mut out);
    }
    if !compliance.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        compliance_table(&compliance, &mut out);
    }
    out
}

/// `name → name:port`.
fn endpoints(finding: &Finding) -> String {
    let label = |e: &Endpoint| match e.port {
        Some(port) => format!("{}:{port}", e.label()),
        None => e.label(),
    };
    let source = finding.source.as_ref().map_or("-".to_string(), label);
    let destination = finding.destination.as_ref().map_or("-".to_string(), label);
    cell(&format!("{source} → {destination}"), ENDPOINTS_MAX)
}

fn detection_table(findings: &[&Finding], out: &mut String) {
    let analytics: Vec<String> = findings.iter().map(|f| cell(&f.analytic, 40)).collect();
    let pairs: Vec<String> = findings.iter().map(|f| endpoints(f)).collect();
    let analytic_width = analytics
        .iter()
        .map(|a| a.chars().count())
        .max()
        .unwrap_or(0);
    let analytic_width = analytic_width.max("ANALYTIC".len());
    let pair_width = pairs.iter().map(|p| p.chars().count()).max().unwrap_or(0);
    let pair_width = pair_width.max("SOURCE → DESTINATION".chars().count());
    let indent = " ".repeat(SEVERITY_WIDTH + 1);
    // Writing to a String cannot fail; the results are ignored for that reason.
    let _ = writeln!(
        out,
        "{:<SEVERITY_WIDTH$} {:<analytic_width$} {:<pair_width$} TITLE",
        "SEVERITY", "ANALYTIC", "SOURCE → DESTINATION"
    );
    for ((finding, analytic), pair) in findings.iter().zip(&analytics).zip(&pairs) {
        let _ = writeln!(
            out,
            "{:<SEVERITY_WIDTH$} {analytic:<analytic_width$} {pair:<pair_width$} {}",
            finding.severity.caption(),
            printable(&finding.title)
        );
        if !finding.remediation.is_empty() {
            let _ = writeln!(out, "{indent}fix: {}", printable(&finding.remediation));
        }
        if let Some(evidence) = finding.evidence.first() {
            let _ = writeln!(
                out,
                "{indent}evidence: {}:{} {}",
                printable(&evidence.source_file),
                evidence.source_line,
                printable(&evidence.summary)
            );
        }
    }
}

fn compliance_table(findings: &[&Finding], out: &mut String) {
    let checks: Vec<String> = findings.iter().map(|f| cell(&f.analytic, 40)).collect();
    let width = checks.iter().map(|c| c.chars().count()).max().unwrap_or(0);
    let width = width.max("CHECK".len());
    let _ = writeln!(
        out,
        "{:<SEVERITY_WIDTH$} {:<width$} {:<RESOURCE_WIDTH$} WHY",
        "SEVERITY", "CHECK", "RESOURCE"
    );
    for (finding, check) in findings.iter().zip(&checks) {
        let resource = finding.resources.first().map_or("-", |r| r.uid.as_str());
        // The description's first line is the specific reason; the rest, the check's general
        // rationale, would repeat on every row.
        let why = finding.description.lines().next().unwrap_or("");
        // A check that could not judge says so where a severity would be.
        let status = match finding.compliance.as_ref().map(|c| c.status) {
            Some(eastwest_model::ControlStatus::NotCollected) => "Not collected",
            _ => finding.severity.caption(),
        };
        let _ = writeln!(
            out,
            "{:<SEVERITY_WIDTH$} {check:<width$} {:<RESOURCE_WIDTH$} {}\n{:<SEVERITY_WIDTH$} {:<width$} {:<RESOURCE_WIDTH$} fix: {}",
            status,
            printable(resource),
            printable(why),
            "",
            "",
            "",
            printable(&finding.remediation)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{compliance_finding, detection_finding};
    use eastwest_model::Severity;

    #[test]
    fn printable_removes_what_a_terminal_would_act_on() {
        assert!(matches!(printable("web-1 (i-0aaa)"), Cow::Borrowed(_)));
        assert_eq!(printable("ünïcode → ok"), "ünïcode → ok");
        assert_eq!(printable("a\u{1b}[31mred\u{1b}[0m"), "ared");
        assert_eq!(
            printable("x\u{1b}[2J\u{1b}[1;1Hy"),
            "xy",
            "clear screen, move cursor"
        );
        assert_eq!(
            printable("\u{1b}]0;owned\u{7}title"),
            "title",
            "OSC ended by BEL"
        );
        assert_eq!(
            printable("\u{1b}]8;;http://e\u{1b}\\link"),
            "link",
            "OSC ended by ST"
        );
        assert_eq!(
            printable("a\u{1b}]0;never ends"),
            "a",
            "unterminated string"
        );
        assert_eq!(printable("a\u{9b}31mb"), "ab", "C1 CSI");
        assert_eq!(printable("a\u{9d}0;t\u{9c}b"), "ab", "C1 OSC and ST");
        assert_eq!(
            printable("a\u{1b}7b\u{1b}(Bc"),
            "abc",
            "two-character and nF escapes"
        );
        assert_eq!(printable("a\u{0}b\u{7f}c\u{85}d\u{8}e"), "abcde");
        assert_eq!(printable("line\nbreak\rand\ttab"), "line break and tab");
        assert_eq!(printable("evil\u{202e}txt.exe"), "eviltxt.exe");
        assert_eq!(printable("trailing\u{1b}"), "trailing");
        assert_eq!(printable("\u{1b}["), "");
    }

    #[test]
    fn detection_rows_show_who_what_fix_and_evidence() {
        let mut low = detection_finding();
        low.severity = Severity::Low;
        low.analytic = "later".into();
        let mut hostile = detection_finding();
        hostile.title = "scan\u{1b}[2J\nFAKE LINE".into();
        let text = table(&[low, hostile]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("SEVERITY") && lines[0].ends_with("TITLE"),
            "{text}"
        );
        assert!(lines[1].starts_with("High "), "most severe first: {text}");
        assert!(lines[1].contains("web-1 → db-1:22"), "{text}");
        assert!(lines[1].ends_with("scan FAKE LINE"), "{text}");
        assert_eq!(lines[2].trim_start(), "fix: Isolate the host.");
        assert!(
            lines[3]
                .trim_start()
                .starts_with("evidence: flows/a.log.gz:12 "),
            "{text}"
        );
        assert!(lines[4].starts_with("Low "), "{text}");
        assert_eq!(lines.len(), 7);
        assert!(!text.contains('\u{1b}'));
    }

    #[test]
    fn compliance_rows_read_like_the_audit() {
        let text = table(&[compliance_finding()]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            format!("{:<13} {:<14} {:<22} WHY", "SEVERITY", "CHECK", "RESOURCE")
        );
        assert_eq!(
            lines[1],
            format!(
                "{:<13} {:<14} {:<22} i-0bbb has HttpTokens optional.",
                "Medium", "imdsv1-allowed", "i-0bbb"
            )
        );
        assert!(
            lines[2]
                .trim_start()
                .starts_with("fix: aws ec2 modify-instance"),
            "{text}"
        );
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn both_kinds_and_nothing() {
        assert_eq!(table(&[]), "");
        let text = table(&[compliance_finding(), detection_finding()]);
        let detection = text.find("ANALYTIC").expect("detection header");
        let posture = text.find("CHECK").expect("compliance header");
        assert!(detection < posture, "{text}");
        let mut long = detection_finding();
        long.source = Some(Endpoint {
            name: Some("x".repeat(200)),
            ..Endpoint::default()
        });
        long.destination = None;
        let text = table(&[long]);
        assert!(text.contains("…"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() < 150), "{text}");
    }
}
