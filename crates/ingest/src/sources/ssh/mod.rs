//! Authentication logs: sshd, PAM, sudo, su and the account tools, as syslog writes them
//! (`/var/log/secure`, `/var/log/auth.log`: RFC 3164, RFC 5424 or high-precision ISO
//! timestamps) and as `journalctl -o json` exports them. Each line is parsed by
//! [`parse::parse_line`]; lines of other programs are counted, not reported.

pub mod parse;

use std::io::Read;

use eastwest_model::{LogKind, Position};
use serde::Deserialize;

use super::{Container, Sniff, Source, json, path_host};
use crate::table::{
    ColumnType, EventRead, Line, TableDef, Value, bounded, column as col, for_each_line,
};

/// The `ssh` table's columns, in order.
pub static SSH: TableDef = TableDef {
    name: "ssh",
    doc: "One row per authentication event in an auth log: sshd logins (accepted, failed, invalid users, too many failures, disconnects), PAM sessions and failures, sudo and su, users and groups added or changed, EC2 Instance Connect key lookups.",
    columns: &[
        col(
            "time",
            ColumnType::Time,
            "When (syslog times without a zone are taken as UTC; a year-less RFC 3164 time takes the file's year).",
        ),
        col(
            "host",
            ColumnType::Text,
            "The host the line names, else the host folder of the file's path.",
        ),
        col("program", ColumnType::Text, "sshd, sudo, useradd, ..."),
        col("pid", ColumnType::Int, "The program's process id."),
        col(
            "event",
            ColumnType::Text,
            "accepted, failed, invalid_user, pam_auth_failure, too_many_failures, disconnect, connection_closed, session_opened, session_closed, sudo, sudo_failure, su, user_added, group_added, user_modified, user_deleted, password_changed, instance_connect_key, ...",
        ),
        col(
            "user",
            ColumnType::Text,
            "The account the event is about (for sudo and su: who ran it).",
        ),
        col(
            "target_user",
            ColumnType::Text,
            "sudo's USER=, su's target, the account added or changed.",
        ),
        col(
            "invalid_user",
            ColumnType::Bool,
            "The user does not exist on the host.",
        ),
        col(
            "source_ip",
            ColumnType::Text,
            "The address the connection came from.",
        ),
        col("source_port", ColumnType::Int, "Its port."),
        col(
            "source_host",
            ColumnType::Text,
            "PAM's rhost when it is a name, not an address.",
        ),
        col(
            "method",
            ColumnType::Text,
            "password, publickey, keyboard-interactive/pam, ...",
        ),
        col("key_type", ColumnType::Text, "RSA, ED25519, ECDSA, ..."),
        col(
            "key_fingerprint",
            ColumnType::Text,
            "SHA256:... of the key used or looked up.",
        ),
        col("command", ColumnType::Text, "sudo's COMMAND=."),
        col("tty", ColumnType::Text, "The terminal."),
        col(
            "group",
            ColumnType::Text,
            "The group added, or a user was added to.",
        ),
        col(
            "by_user",
            ColumnType::Text,
            "Who made an account change, when the line says.",
        ),
        col(
            "request_id",
            ColumnType::Text,
            "EC2 Instance Connect: the request that pushed the key.",
        ),
        col(
            "principal",
            ColumnType::Text,
            "EC2 Instance Connect: the IAM principal that pushed the key.",
        ),
        col(
            "message",
            ColumnType::Text,
            "The message text after the program name.",
        ),
    ],
};

/// The tables this kind feeds.
static SSH_TABLES: [&TableDef; 1] = [&SSH];

/// Lines of the head looked at when recognising an auth log.
const SNIFF_LINES: usize = 20;

/// Authentication logs.
pub struct AuthLogSource;

impl Source for AuthLogSource {
    fn kind(&self) -> LogKind {
        LogKind::AuthLog
    }

    fn recognise(&self, sniff: &Sniff<'_>) -> bool {
        match sniff.container {
            Container::Parquet => false,
            Container::Json => {
                json::has_key(sniff.head, "__REALTIME_TIMESTAMP")
                    && json::has_key(sniff.head, "MESSAGE")
            }
            Container::Text => {
                // Syslog lines, most of them: any syslog file is read, its auth events kept.
                let mut context = parse::LineContext::new(None, 2000);
                let lines: Vec<&[u8]> = sniff.lines(SNIFF_LINES).collect();
                let syslog = lines
                    .iter()
                    .filter(|line| {
                        let text = String::from_utf8_lossy(line);
                        !matches!(
                            parse::parse_line(&text, &mut context),
                            parse::Parsed::Malformed(_)
                        )
                    })
                    .count();
                syslog > 0 && syslog * 2 > lines.len()
            }
        }
    }

    fn tables(&self) -> &'static [&'static TableDef] {
        &SSH_TABLES
    }

    fn read(&self, _table: &TableDef, stream: &mut dyn Read, read: &mut EventRead<'_>) {
        let host = path_host(read.file).map(str::to_string);
        let (year, month) = file_year_month(read.file);
        let mut context = parse::LineContext::new(host, year).with_reference_month(month);
        for_each_line(
            stream,
            parse::MAX_LINE_BYTES,
            read,
            &mut |number, line, read| {
                let parsed = match line {
                    Line::TooLong => parse::Parsed::Malformed(format!(
                        "line longer than {} bytes: not an auth log line",
                        parse::MAX_LINE_BYTES
                    )),
                    Line::Text(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {
                        return true;
                    }
                    Line::Text(bytes) if bytes.first() == Some(&b'{') => journal(bytes, &context),
                    Line::Text(bytes) => {
                        parse::parse_line(&String::from_utf8_lossy(bytes), &mut context)
                    }
                };
                match parsed {
                    parse::Parsed::Event(event) => row(event, number, read),
                    parse::Parsed::Other => {
                        read.other();
                        true
                    }
                    parse::Parsed::Malformed(reason) => {
                        read.malformed(Position::Line(number), reason);
                        true
                    }
                }
            },
        );
        read.flush();
    }
}

/// The year (and month) year-less syslog times are placed in: the file's modification time for
/// a local file (a log is written up to its last line), else now.
fn file_year_month(name: &str) -> (i64, u32) {
    let modified = std::fs::metadata(name)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| std::time::SystemTime::now());
    let ms = modified
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let civil = eastwest_model::time::Civil::from_ms(ms);
    (civil.year, u32::try_from(civil.month).unwrap_or(1))
}

/// A journald export entry's fields eastwest reads.
#[derive(Deserialize)]
struct JournalEntry {
    #[serde(rename = "__REALTIME_TIMESTAMP")]
    realtime: Option<String>,
    #[serde(rename = "_HOSTNAME")]
    hostname: Option<String>,
    #[serde(rename = "SYSLOG_IDENTIFIER")]
    identifier: Option<String>,
    #[serde(rename = "_COMM")]
    comm: Option<String>,
    #[serde(rename = "_PID")]
    pid: Option<String>,
    #[serde(rename = "MESSAGE")]
    message: Option<JournalMessage>,
}

/// journald writes a message that is not valid UTF-8 as an array of bytes.
#[derive(Deserialize)]
#[serde(untagged)]
enum JournalMessage {
    Text(String),
    Bytes(Vec<u8>),
}

fn journal(bytes: &[u8], context: &parse::LineContext) -> parse::Parsed {
    let entry: JournalEntry = match serde_json::from_slice(bytes) {
        Ok(entry) => entry,
        Err(e) => return parse::Parsed::Malformed(format!("not a journald JSON entry: {e}")),
    };
    let message = match entry.message {
        Some(JournalMessage::Text(text)) => text,
        Some(JournalMessage::Bytes(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        None => return parse::Parsed::Other,
    };
    parse::parse_journal(
        entry.realtime.and_then(|t| t.parse().ok()),
        entry.hostname.as_deref(),
        entry.identifier.as_deref().or(entry.comm.as_deref()),
        entry.pid.and_then(|p| p.parse().ok()),
        &message,
        context,
    )
}

fn row(event: parse::SshEvent, line: u64, read: &mut EventRead<'_>) -> bool {
    let text = |t: Option<String>| Value::text(t.map(|t| bounded(&t).to_string()));
    let values = [
        Value::Time(event.time_ms),
        text(event.host),
        Value::Text(event.program),
        Value::int(event.pid),
        Value::Text(event.event.name().to_string()),
        text(event.user),
        text(event.target_user),
        Value::Bool(event.invalid_user),
        text(event.source_ip),
        Value::int(event.source_port),
        text(event.source_host),
        text(event.method),
        text(event.key_type),
        text(event.key_fingerprint),
        text(event.command),
        text(event.tty),
        text(event.group),
        text(event.by_user),
        text(event.request_id),
        text(event.principal),
        Value::Text(bounded(&event.message).to_string()),
    ];
    read.row(&values, line, None)
}
