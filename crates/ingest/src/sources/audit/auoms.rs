//! AUOMS, Microsoft's audit plugin of the OMS / Azure Monitor agent: its records as auoms writes
//! them to syslog, and as a Log Analytics `Syslog` table export carries them.
//!
//! auoms reads the kernel's audit records itself and writes one record per event, named
//! `AUOMS_*`: `type=AUOMS_EXECVE audit(1652292621.990:84143): SchemaVersion="1" ... ppid=1340
//! pid=17790 audit_user=unset auid=4294967295 user=tomcat uid=1001 ... comm="bash"
//! exe="/bin/bash" ... cwd="/" ... argc=3 cmdline="bash -c ..." redactors= containerid=`.
//! An `AUOMS_EXECVE` is a whole execution in one record; its fields are auditd's SYSCALL, CWD and
//! PATH fields with their interpretations next to them (`user=` for `uid=`, `audit_user=` for
//! `auid=`), and the arguments joined into `cmdline`.
//!
//! Two values are free text, not `key=value` words: `cmdline` (the arguments, each quoted the way
//! bash would read it back, the whole wrapped in `"` that nothing escapes, so it may hold `"`
//! and blanks) and `proctitle` (the calling process's title, NUL bytes turned into spaces, not
//! quoted; written instead of `cmdline` when the execve failed). Both come after every other
//! field but `redactors=` and `containerid=`, which auoms appends last: such a value runs to the
//! last of those, not to the next blank.
//!
//! A Log Analytics `Syslog` export holds one JSON object per line, the record in `SyslogMessage`
//! and the host in `Computer` (or `HostName`); [`syslog_row`] takes the record and the host out
//! of such a line, and the record is then read as a line of text would be.

use serde::Deserialize;

use super::parse::{
    AuditEvent, Execution, MAX_ARGS, Raw, Record, decode, int, is_set, pairs, yes_no,
};

/// The prefix of the record types auoms writes (`AUOMS_EXECVE`, `AUOMS_SYSCALL`,
/// `AUOMS_PROCESS_INVENTORY`, ...). Each is a whole event on its own.
pub const KIND_PREFIX: &str = "AUOMS_";

/// The record type of an execution.
pub const EXECVE: &str = "AUOMS_EXECVE";

/// Fields whose value is free text running to [`TRAILING_FIELDS`] (see the module doc).
const FREE_TEXT_FIELDS: &[&str] = &["cmdline", "proctitle"];

/// Fields auoms writes after the free text, last of all: the free text ends before the last of
/// them (the last, because a command line may itself hold ` redactors=`).
const TRAILING_FIELDS: &[&str] = &[" redactors=", " containerid="];

/// The fields of an AUOMS record's body, in order, values decoded as auditd's are (quotes
/// removed, `(none)` and `(null)` as None); the free-text `cmdline` or `proctitle` whole, without
/// the quotes auoms wraps it in. Only the first free-text field is read as such: one record has
/// one of them.
pub fn fields(kind: &str, body: &str) -> Vec<(String, Option<String>)> {
    let (all, _) = pairs(body, false);
    let free = all
        .iter()
        .find(|(key, _)| FREE_TEXT_FIELDS.contains(key))
        .map(|(key, _)| *key);
    let decoded = |list: Vec<(&str, Raw<'_>)>| {
        list.into_iter()
            .map(|(key, value)| (key.to_string(), decode(kind, key, value)))
            .collect::<Vec<_>>()
    };
    let Some(key) = free else {
        return decoded(all);
    };
    // `key` is a slice of `body` (pairs slices, never copies): its offset is where it starts.
    let start = (key.as_ptr() as usize).saturating_sub(body.as_ptr() as usize);
    let value_start = start + key.len() + 1;
    let rest = body.get(value_start..).unwrap_or("");
    let end = TRAILING_FIELDS
        .iter()
        .find_map(|field| rest.rfind(field))
        .unwrap_or(rest.len());
    let value = rest.get(..end).unwrap_or("");
    let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner,
        None => value,
    };
    let mut out = decoded(pairs(body.get(..start).unwrap_or(""), false).0);
    out.push((key.to_string(), Some(value.to_string())));
    out.extend(decoded(pairs(rest.get(end..).unwrap_or(""), false).0));
    out
}

/// The arguments of an auoms `cmdline`, at most `limit`. auoms joins the arguments with spaces
/// and quotes each one the way bash would read it back (`"..."` with `\` before `"`, `\`, `$`
/// and `` ` ``; `'...'`; `$'...'` with `\xHH` escapes for control and non-ASCII bytes), so
/// undoing that quoting gives the arguments back. That is approximate at the edges: a command
/// line auoms cut or redacted may end inside quotes (the rest is one argument), and auoms marks
/// missing arguments with placeholders (`<2...3>`, `<...>`) kept as written.
pub fn split_cmdline(text: &str, limit: usize) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut args = Vec::new();
    let mut word: Vec<u8> = Vec::new();
    let mut started = false;
    let mut at = 0;
    while let Some(&b) = bytes.get(at) {
        if args.len() >= limit {
            return args;
        }
        match b {
            b' ' | b'\t' => {
                if started {
                    args.push(String::from_utf8_lossy(&word).into_owned());
                    word.clear();
                    started = false;
                }
                at += 1;
            }
            b'\\' => {
                started = true;
                if let Some(&next) = bytes.get(at + 1) {
                    word.push(next);
                }
                at += 2;
            }
            b'\'' => {
                started = true;
                let end = find(bytes, at + 1, b'\'');
                word.extend_from_slice(bytes.get(at + 1..end).unwrap_or_default());
                at = end + 1;
            }
            b'"' => {
                started = true;
                at = double_quoted(bytes, at + 1, &mut word);
            }
            b'$' if bytes.get(at + 1) == Some(&b'\'') => {
                started = true;
                at = ansi_c_quoted(bytes, at + 2, &mut word);
            }
            _ => {
                started = true;
                word.push(b);
                at += 1;
            }
        }
    }
    if started && args.len() < limit {
        args.push(String::from_utf8_lossy(&word).into_owned());
    }
    args
}

/// The offset of the first `byte` at or after `from`, else the end.
fn find(bytes: &[u8], from: usize, byte: u8) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| memchr::memchr(byte, rest))
        .map_or(bytes.len(), |offset| from + offset)
}

/// Reads a `"..."` word part starting after the quote into `word`; returns the offset after the
/// closing quote (the end when there is none). Inside, `\` escapes only `"`, `\`, `$` and `` ` ``
/// (as in bash); before anything else it is itself.
fn double_quoted(bytes: &[u8], mut at: usize, word: &mut Vec<u8>) -> usize {
    while let Some(&b) = bytes.get(at) {
        match b {
            b'"' => return at + 1,
            b'\\' => match bytes.get(at + 1) {
                Some(&next @ (b'"' | b'\\' | b'$' | b'`')) => {
                    word.push(next);
                    at += 2;
                }
                _ => {
                    word.push(b);
                    at += 1;
                }
            },
            _ => {
                word.push(b);
                at += 1;
            }
        }
    }
    at
}

/// Reads a `$'...'` word part starting after the quote into `word`; returns the offset after the
/// closing quote. Escapes: `\xHH` (one or two hex digits), the C letters (`\n`, `\t`, ...), and
/// `\` before anything else stands for that character.
fn ansi_c_quoted(bytes: &[u8], mut at: usize, word: &mut Vec<u8>) -> usize {
    while let Some(&b) = bytes.get(at) {
        if b == b'\'' {
            return at + 1;
        }
        if b != b'\\' {
            word.push(b);
            at += 1;
            continue;
        }
        let Some(&escape) = bytes.get(at + 1) else {
            word.push(b);
            return at + 1;
        };
        at += 2;
        let byte = match escape {
            b'x' => {
                let digits = bytes
                    .get(at..)
                    .unwrap_or_default()
                    .iter()
                    .take(2)
                    .take_while(|d| d.is_ascii_hexdigit())
                    .fold((0u8, 0usize), |(value, n), &d| {
                        (value.wrapping_mul(16) | hex_value(d), n + 1)
                    });
                if digits.1 == 0 {
                    word.extend_from_slice(b"\\x");
                    continue;
                }
                at += digits.1;
                digits.0
            }
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'a' => 0x07,
            b'b' => 0x08,
            b'e' | b'E' => 0x1b,
            b'f' => 0x0c,
            b'v' => 0x0b,
            other => other,
        };
        word.push(byte);
    }
    at
}

/// The value of one hex digit (0 for anything else; callers pass hex digits only).
fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

/// The columns of a Log Analytics `Syslog` row eastwest reads.
#[derive(Deserialize)]
struct SyslogColumns {
    #[serde(rename = "SyslogMessage")]
    message: Option<String>,
    #[serde(rename = "Computer")]
    computer: Option<String>,
    #[serde(rename = "HostName")]
    host_name: Option<String>,
}

/// What one JSON line of a Log Analytics `Syslog` export holds.
#[derive(Debug, PartialEq, Eq)]
pub enum SyslogRow {
    /// An audit record (the message) and the host it came from (`Computer`, else `HostName`).
    Record {
        /// The `SyslogMessage`.
        message: String,
        /// The host, when the row names one.
        host: Option<String>,
    },
    /// Another program's syslog message: not an audit record, not a problem either.
    Other,
    /// Not a `Syslog` row: why, for the report.
    Malformed(String),
}

/// Reads one JSON line of a Log Analytics `Syslog` export.
pub fn syslog_row(bytes: &[u8]) -> SyslogRow {
    let row: SyslogColumns = match serde_json::from_slice(bytes) {
        Ok(row) => row,
        Err(e) => {
            return SyslogRow::Malformed(format!(
                "not a Log Analytics Syslog row (JSON object per line): {e}"
            ));
        }
    };
    let Some(message) = row.message else {
        return SyslogRow::Malformed(
            "JSON line without a SyslogMessage: not a Log Analytics Syslog row".to_string(),
        );
    };
    if !super::is_audit_line(message.as_bytes()) {
        return SyslogRow::Other;
    }
    let host = [row.computer, row.host_name]
        .into_iter()
        .flatten()
        .find(|host| !host.trim().is_empty());
    SyslogRow::Record { message, host }
}

/// Whether a JSON line is a Log Analytics `Syslog` row holding an audit record (recognition).
pub fn is_audit_syslog_row(bytes: &[u8]) -> bool {
    matches!(syslog_row(bytes), SyslogRow::Record { .. })
}

/// The execution an `AUOMS_EXECVE` record describes: one row of the `process` table.
///
/// The host is the event's (a `node=` prefix, or the export's `Computer`), else the record's own
/// `node=`. As with auditd, a failed execve is the caller's: its `exe` and `comm` are the
/// program that tried, and auoms writes the caller's `proctitle` instead of a `cmdline`, whose
/// words (the kernel's NUL separators became spaces, its first 128 bytes only) stand in for the
/// arguments.
pub fn execution(event: &AuditEvent, record: &Record) -> Execution {
    // auoms writes a field it has no value for as `key=` (an unkeyed rule's key): no value.
    let text = |name: &str| {
        record
            .get(name)
            .filter(|value| !value.is_empty())
            .map(str::to_string)
    };
    let number = |name: &str| record.get(name).and_then(int);
    let (argv, command_line) = match (record.get("cmdline"), record.get("proctitle")) {
        (Some(cmdline), _) => (split_cmdline(cmdline, MAX_ARGS), Some(cmdline)),
        (None, Some(title)) => (
            title
                .split_ascii_whitespace()
                .take(MAX_ARGS)
                .map(str::to_string)
                .collect(),
            Some(title),
        ),
        (None, None) => (Vec::new(), None),
    };
    Execution {
        time_ms: event.time_ms,
        serial: event.serial,
        line: event.line,
        node: event.node.clone().or_else(|| text("node")),
        pid: number("pid"),
        ppid: number("ppid"),
        uid: number("uid"),
        auid: number("auid").filter(|&id| is_set(id)),
        euid: number("euid"),
        uid_name: text("user"),
        auid_name: text("audit_user").filter(|name| name != "unset"),
        exe: text("exe"),
        comm: text("comm"),
        argv,
        command_line: command_line.map(str::to_string),
        cwd: text("cwd"),
        key: text("key"),
        success: record.get("success").and_then(yes_no),
        tty: text("tty"),
        session: number("ses").filter(|&id| is_set(id)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::{Assembled, Assembler, MAX_LINE_BYTES};
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    /// The executions of `lines` (numbered from 1).
    fn executions(lines: &[&str]) -> Vec<Execution> {
        let mut assembler = Assembler::new();
        let mut out = Vec::new();
        for (number, line) in (1..).zip(lines) {
            out.extend(assembler.push(number, line));
        }
        out.extend(assembler.finish());
        out.iter()
            .filter_map(|item| match item {
                Assembled::Event(event) => event.execution(),
                Assembled::Malformed { .. } => None,
            })
            .collect()
    }

    #[test]
    fn cmdline_quoting_is_undone() {
        let split = |text: &str| split_cmdline(text, MAX_ARGS);
        assert_eq!(split("ls -la /tmp"), strings(&["ls", "-la", "/tmp"]));
        assert_eq!(split("  a   b  "), strings(&["a", "b"]));
        assert_eq!(split(""), Vec::<String>::new());
        assert_eq!(
            split(r#"sh -c "echo \"hi\" \$HOME \\ \x" 'it''s' ''"#),
            strings(&["sh", "-c", r#"echo "hi" $HOME \ \x"#, "its", ""])
        );
        assert_eq!(
            split(r"printf $'a\x41\tb\'c\\\q' $'\xZ' $'\xe6\x97\xa5'"),
            strings(&["printf", "aA\tb'c\\q", "\\xZ", "日"])
        );
        assert_eq!(split(r"a\ b c"), strings(&["a b", "c"]));
        assert_eq!(split(r#"x"y z"w"#), strings(&["xy zw"]));
        // Cut short inside quotes (a cut or redacted command line): the rest is one argument.
        assert_eq!(split(r#"a "b c"#), strings(&["a", "b c"]));
        assert_eq!(split("a 'b c"), strings(&["a", "b c"]));
        assert_eq!(split(r"a $'b\"), strings(&["a", "b\\"]));
        assert_eq!(split(r"a \"), strings(&["a", ""]));
        // auoms's placeholders for arguments it did not see are kept as written.
        assert_eq!(split("cp <1...2> /x"), strings(&["cp", "<1...2>", "/x"]));
        assert_eq!(split_cmdline("a b c d", 2), strings(&["a", "b"]));
    }

    #[test]
    fn free_text_runs_to_the_trailing_fields() {
        let body = r#" SchemaVersion="1" pid=5 comm="sh" cwd="/a b" argc=3 cmdline="sh -c "id; w"" redactors= containerid=abc"#;
        let fields = fields(EXECVE, body);
        let get = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| key == name)
                .and_then(|(_, value)| value.as_deref())
        };
        assert_eq!(get("cmdline"), Some(r#"sh -c "id; w""#));
        assert_eq!(get("cwd"), Some("/a b"));
        assert_eq!(get("pid"), Some("5"));
        assert_eq!(get("redactors"), Some(""));
        assert_eq!(get("containerid"), Some("abc"));
        // No trailing fields: to the end. An unquoted proctitle keeps its blanks.
        let fields = super::fields(EXECVE, " pid=6 proctitle=/usr/bin/dpkg -S /bin/bash");
        assert_eq!(
            fields.last(),
            Some(&(
                "proctitle".to_string(),
                Some("/usr/bin/dpkg -S /bin/bash".to_string())
            ))
        );
        // A `cmdline=` inside a quoted value before it is not the field.
        let fields = super::fields(EXECVE, r#" cwd="/x cmdline=y" cmdline="id" containerid="#);
        assert_eq!(fields[0].1.as_deref(), Some("/x cmdline=y"));
        assert_eq!(fields[1].1.as_deref(), Some("id"));
    }

    #[test]
    fn execution_of_a_record_and_its_bounds() {
        let line = r#"type=AUOMS_EXECVE audit(1652292633.146:84192): SchemaVersion="1" node=UBUNTU5 syscall=execve success=yes exit=0 ppid=17806 pid=17832 audit_user=unset auid=4294967295 user=tomcat uid=1001 euid=1001 tty=(none) ses="-1" comm="whoami" exe="/usr/bin/whoami" key=auoms,delete cwd="/" argc=1 cmdline="whoami" redactors= containerid="#;
        let found = executions(&[line]);
        assert_eq!(found.len(), 1);
        let e = &found[0];
        assert_eq!((e.time_ms, e.serial, e.line), (1_652_292_633_146, 84192, 1));
        assert_eq!(e.node.as_deref(), Some("UBUNTU5"));
        assert_eq!(
            (e.pid, e.ppid, e.uid, e.euid),
            (Some(17832), Some(17806), Some(1001), Some(1001))
        );
        assert_eq!((e.auid, e.session, e.tty.as_deref()), (None, None, None));
        assert_eq!(
            (e.uid_name.as_deref(), e.auid_name.as_deref()),
            (Some("tomcat"), None)
        );
        assert_eq!(e.argv, strings(&["whoami"]));
        assert_eq!(e.command_line.as_deref(), Some("whoami"));
        assert_eq!(e.key.as_deref(), Some("auoms,delete"));
        assert_eq!(e.success, Some(true));
        // A `node=` prefix or the export's host comes first.
        let mut assembler = Assembler::new();
        let out = assembler.push_with_host(7, line, Some("web-1"));
        let [Assembled::Event(event)] = out.as_slice() else {
            panic!("{out:#?}");
        };
        assert_eq!(
            event.execution().and_then(|e| e.node).as_deref(),
            Some("web-1")
        );
        // A huge command line: arguments capped, the line still bounded by the parser.
        let many = format!(
            "type=AUOMS_EXECVE audit(1.000:1): pid=1 cmdline=\"{}\" redactors=",
            "a ".repeat(MAX_LINE_BYTES / 2 - 40)
        );
        let found = executions(&[&many]);
        assert_eq!(found[0].argv.len(), MAX_ARGS);
        let too_long = format!("{many}{}", "b".repeat(64));
        assert!(executions(&[&too_long]).is_empty());
        // Other AUOMS records are events of their own, not executions.
        let syscall = "type=AUOMS_SYSCALL audit(1.000:2): syscall=connect success=yes pid=1";
        assert!(executions(&[syscall]).is_empty());
    }

    #[test]
    fn syslog_rows_told_apart() {
        let row = |text: &str| syslog_row(text.as_bytes());
        assert_eq!(
            row(
                r#"{"Computer":"UBUNTU5","HostName":"u5","SyslogMessage":"type=AUOMS_EXECVE audit(1.000:1): pid=1"}"#
            ),
            SyslogRow::Record {
                message: "type=AUOMS_EXECVE audit(1.000:1): pid=1".to_string(),
                host: Some("UBUNTU5".to_string())
            }
        );
        let SyslogRow::Record { host, .. } =
            row(r#"{"Computer":" ","HostName":"u5","SyslogMessage":"type=X audit(1.000:1):"}"#)
        else {
            panic!("a record");
        };
        assert_eq!(host.as_deref(), Some("u5"));
        assert_eq!(
            row(r#"{"SyslogMessage":"sshd[1]: hello"}"#),
            SyslogRow::Other
        );
        assert!(matches!(
            row(r#"{"Computer":"x"}"#),
            SyslogRow::Malformed(_)
        ));
        assert!(matches!(row("{oops"), SyslogRow::Malformed(_)));
        assert!(matches!(
            row(r#"{"SyslogMessage":7}"#),
            SyslogRow::Malformed(_)
        ));
        assert!(!is_audit_syslog_row(b"[1,2]"));
    }
}
