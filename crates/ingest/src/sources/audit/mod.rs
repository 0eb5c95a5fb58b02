//! The Linux audit daemon's log (`/var/log/audit/audit.log`, raw or `log_format=ENRICHED`, also
//! with a `node=` prefix or forwarded through syslog), and the records of AUOMS, the audit plugin
//! of Microsoft's OMS / Azure Monitor agent, in syslog or in a Log Analytics `Syslog` export (one
//! JSON object per line, see [`auoms`]): records assembled into events by serial
//! ([`parse::Assembler`]), then one `process` row per execution and one `audit` row per
//! account event or file-watch hit.

pub mod auoms;
pub mod parse;

use std::io::Read;

use eastwest_model::{LogKind, Position};

use super::{Container, Sniff, Source, path_host};
use crate::table::{
    ColumnType, EventRead, Line, TableDef, Value, bounded, column as col, for_each_line,
};

/// The `process` table's columns, in order.
pub static PROCESS: TableDef = TableDef {
    name: "process",
    doc: "One row per process execution (execve) auditd recorded.",
    columns: &[
        col("time", ColumnType::Time, "When the execve happened."),
        col(
            "host",
            ColumnType::Text,
            "The host: auditd's node= name (a Log Analytics export's Computer), else the host folder of the file's path.",
        ),
        col("pid", ColumnType::Int, "The new process."),
        col("ppid", ColumnType::Int, "Its parent process."),
        col("uid", ColumnType::Int, "Real user id."),
        col(
            "auid",
            ColumnType::Int,
            "Login user id (who logged in, kept across sudo and su); null when unset.",
        ),
        col("euid", ColumnType::Int, "Effective user id."),
        col(
            "uid_name",
            ColumnType::Text,
            "The user name of uid (enriched format only).",
        ),
        col(
            "auid_name",
            ColumnType::Text,
            "The user name of auid (enriched format only).",
        ),
        col("exe", ColumnType::Text, "The executable run."),
        col(
            "comm",
            ColumnType::Text,
            "The command name (first 15 bytes).",
        ),
        col(
            "argv",
            ColumnType::TextList,
            "The arguments, argv[0] first (AUOMS: its cmdline split back into words).",
        ),
        col(
            "command_line",
            ColumnType::Text,
            "The arguments joined by spaces (AUOMS: its cmdline as written), for LIKE and regular expressions.",
        ),
        col("cwd", ColumnType::Text, "The working directory."),
        col(
            "key",
            ColumnType::Text,
            "The audit rule's key, when a keyed rule matched.",
        ),
        col("success", ColumnType::Bool, "Whether the execve succeeded."),
        col(
            "tty",
            ColumnType::Text,
            "The terminal; null without one (a service, a web server's child).",
        ),
        col(
            "session",
            ColumnType::Int,
            "The login session id; null when unset.",
        ),
        col("serial", ColumnType::Int, "auditd's event serial."),
    ],
};

/// The `audit` table's columns, in order.
pub static AUDIT: TableDef = TableDef {
    name: "audit",
    doc: "One row per account event (logins, authentications, users and groups added, passwords changed, credentials acquired) or file-watch hit auditd recorded.",
    columns: &[
        col("time", ColumnType::Time, "When."),
        col(
            "host",
            ColumnType::Text,
            "The host: auditd's node= name (a Log Analytics export's Computer), else the host folder of the file's path.",
        ),
        col(
            "kind",
            ColumnType::Text,
            "USER_LOGIN, USER_AUTH, ADD_USER, ADD_GROUP, USER_CHAUTHTOK, CRED_ACQ, ... or FILE_WATCH.",
        ),
        col("op", ColumnType::Text, "The operation (op=)."),
        col(
            "account",
            ColumnType::Text,
            "The account acted on (acct=, else id=).",
        ),
        col(
            "exe",
            ColumnType::Text,
            "The program that wrote the record or made the syscall.",
        ),
        col(
            "hostname",
            ColumnType::Text,
            "The remote host name the program saw.",
        ),
        col("address", ColumnType::Text, "The remote address (addr=)."),
        col("terminal", ColumnType::Text, "The terminal (ssh, pts/0)."),
        col("result", ColumnType::Text, "success or failed."),
        col(
            "uid",
            ColumnType::Int,
            "The uid of the process that wrote the record.",
        ),
        col("auid", ColumnType::Int, "Its login uid; null when unset."),
        col("pid", ColumnType::Int, "Its pid."),
        col("key", ColumnType::Text, "File watch: the rule's key."),
        col("path", ColumnType::Text, "File watch: the file."),
        col(
            "syscall",
            ColumnType::Int,
            "File watch: the syscall number.",
        ),
        col("success", ColumnType::Bool, "Whether it succeeded."),
        col("serial", ColumnType::Int, "auditd's event serial."),
    ],
};

/// The tables this kind feeds.
static AUDITD_TABLES: [&TableDef; 2] = [&PROCESS, &AUDIT];

/// Lines of the head looked at when recognising an audit log.
const SNIFF_LINES: usize = 20;

/// Longest JSON line read, in bytes. A Log Analytics `Syslog` row holds its record twice
/// (`SyslogMessage`, and `EventData` without the type and stamp), JSON escaping can double the
/// bytes of each, and the other columns add well under a kilobyte: four times a text line's
/// bound ([`parse::MAX_LINE_BYTES`]) and a little room. The record inside is held to the text
/// bound.
pub const MAX_JSON_LINE_BYTES: usize = 4 * parse::MAX_LINE_BYTES + 16 * 1024;

/// auditd logs.
pub struct AuditdSource;

/// True when a line looks like an audit record: `type=X msg=audit(` or `type=X audit(`
/// (possibly after `node=` or a syslog prefix).
fn is_audit_line(line: &[u8]) -> bool {
    let finder = |needle: &[u8]| memchr::memmem::find(line, needle);
    match (finder(b"type="), finder(b"audit(")) {
        (Some(t), Some(a)) => t < a,
        _ => false,
    }
}

impl Source for AuditdSource {
    fn kind(&self) -> LogKind {
        LogKind::Auditd
    }

    fn recognise(&self, sniff: &Sniff<'_>) -> bool {
        let is_record: fn(&[u8]) -> bool = match sniff.container {
            Container::Text => is_audit_line,
            // A Log Analytics Syslog export: JSON lines whose SyslogMessage is a record.
            Container::Json => auoms::is_audit_syslog_row,
            Container::Parquet => return false,
        };
        let lines: Vec<&[u8]> = sniff.lines(SNIFF_LINES).collect();
        // Most lines, not one: a syslog file may carry a forwarded audit line among others.
        let audit = lines.iter().filter(|l| is_record(l)).count();
        audit > 0 && audit * 2 >= lines.len()
    }

    fn tables(&self) -> &'static [&'static TableDef] {
        &AUDITD_TABLES
    }

    fn read(&self, table: &TableDef, stream: &mut dyn Read, read: &mut EventRead<'_>) {
        let process = table.name == PROCESS.name;
        let path_host = path_host(read.file).map(str::to_string);
        let mut assembler = parse::Assembler::new();
        let emit = |assembled: Vec<parse::Assembled>, read: &mut EventRead<'_>| -> bool {
            for item in assembled {
                let more = match item {
                    parse::Assembled::Malformed { line, reason } => {
                        read.malformed(Position::Line(line), reason);
                        true
                    }
                    parse::Assembled::Event(event) => {
                        row(&event, process, path_host.as_deref(), read)
                    }
                };
                if !more {
                    return false;
                }
            }
            true
        };
        // Text lines are held to parse::MAX_LINE_BYTES by the parser; the reader's bound is the
        // larger one of JSON lines, which are told by their first byte.
        for_each_line(
            stream,
            MAX_JSON_LINE_BYTES,
            read,
            &mut |number, line, read| match line {
                Line::TooLong => {
                    read.malformed(
                        Position::Line(number),
                        format!(
                            "line longer than {MAX_JSON_LINE_BYTES} bytes: not an audit record"
                        ),
                    );
                    true
                }
                Line::Text(bytes) if json_line(bytes) => match auoms::syslog_row(bytes) {
                    auoms::SyslogRow::Record { message, host } => {
                        let done = assembler.push_with_host(number, &message, host.as_deref());
                        emit(done, read)
                    }
                    auoms::SyslogRow::Other => {
                        read.other();
                        true
                    }
                    auoms::SyslogRow::Malformed(reason) => {
                        read.malformed(Position::Line(number), reason);
                        true
                    }
                },
                Line::Text(bytes) => {
                    let text = String::from_utf8_lossy(bytes);
                    let done = assembler.push(number, &text);
                    emit(done, read)
                }
            },
        );
        let rest = assembler.finish();
        emit(rest, read);
        read.flush();
    }
}

/// Whether a line is JSON (a Log Analytics row) rather than a record: its first non-blank byte
/// opens an object. No audit record starts so.
fn json_line(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// One event's row in the table being read, if it has one there.
fn row(
    event: &parse::AuditEvent,
    process: bool,
    path_host: Option<&str>,
    read: &mut EventRead<'_>,
) -> bool {
    let host = |node: Option<String>| node.or_else(|| path_host.map(str::to_string));
    let text = |t: Option<String>| Value::text(t.map(|t| bounded(&t).to_string()));
    let serial = Value::Int(i64::try_from(event.serial).unwrap_or(i64::MAX));
    if process {
        let Some(e) = event.execution() else {
            read.other();
            return true;
        };
        let command_line = match &e.command_line {
            Some(written) => bounded(written).to_string(),
            None => bounded(&e.argv.join(" ")).to_string(),
        };
        let values = [
            Value::Time(e.time_ms),
            text(host(e.node)),
            Value::int(e.pid),
            Value::int(e.ppid),
            Value::int(e.uid),
            Value::int(e.auid),
            Value::int(e.euid),
            text(e.uid_name),
            text(e.auid_name),
            text(e.exe),
            text(e.comm),
            Value::List(e.argv.iter().map(|a| bounded(a).to_string()).collect()),
            Value::Text(command_line),
            text(e.cwd),
            text(e.key),
            Value::bool(e.success),
            text(e.tty),
            Value::int(e.session),
            serial,
        ];
        return read.row(&values, e.line, None);
    }
    let Some(e) = event.account_or_watch() else {
        read.other();
        return true;
    };
    let values = [
        Value::Time(e.time_ms),
        text(host(e.node)),
        Value::Text(e.kind),
        text(e.op),
        text(e.account),
        text(e.exe),
        text(e.hostname),
        text(e.addr),
        text(e.terminal),
        text(e.result),
        Value::int(e.uid),
        Value::int(e.auid),
        Value::int(e.pid),
        text(e.key),
        text(e.path),
        Value::int(e.syscall),
        Value::bool(e.success),
        serial,
    ];
    read.row(&values, e.line, None)
}
