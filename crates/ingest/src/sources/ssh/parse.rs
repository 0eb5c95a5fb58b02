//! Auth-log lines → [`SshEvent`]s: sshd (with OpenSSH 9.8+'s `sshd-session` and `sshd-auth`),
//! PAM, sudo, su, systemd-logind, the shadow-utils account tools and EC2 Instance Connect, as
//! hosts write them to `/var/log/secure`, `/var/log/auth.log` or the journal.
//!
//! A line comes in one of several framings: RFC 3164 (`Nov 23 10:43:01 host sshd[1]: …`),
//! RFC 5424 (`<38>1 2026-11-23T10:43:01Z host sshd 1 - - …`), rsyslog's high-precision ISO stamp
//! (`2026-11-23T10:43:01.123456+00:00 host sshd[1]: …`), or a journald export, which the caller
//! decodes and hands over field by field to [`parse_journal`]. The variations some syslog
//! daemons add (busybox's `auth.info`, FreeBSD's `<10.5>`, socklog's and daemontools' stamps, a
//! missing host name) are accepted too: a responder gets whatever the host happened to run.
//!
//! The parser is hand-written prefix and token matching. Each line costs time linear in its
//! length (no backtracking; every search for a field's candidates looks a bounded distance from
//! each candidate), nothing panics on any input, and lines longer than [`MAX_LINE_BYTES`] are
//! refused outright.

use std::net::IpAddr;

use eastwest_model::time::{days_from_civil, parse_rfc3339};

/// Longest line parsed, in bytes. Real auth-log lines are a few hundred bytes (a long sudo
/// command a few thousand); a line past 64 KiB is not an auth log, and the bound keeps the work
/// and memory spent on any one line small whatever a file holds.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Milliseconds in a day.
const MS_PER_DAY: i64 = 86_400_000;

/// Longest address token considered (an IPv6 address with a zone id and brackets is well under
/// this). Bounding it keeps the work per candidate `from`/`port` in a line constant, so a line
/// full of them still parses in linear time.
const MAX_ADDR_BYTES: usize = 100;

/// Longest syslog program name (TAG) accepted. RFC 3164 allows 32 characters; systemd units and
/// paths run longer, and anything past this is message text rather than a tag.
const MAX_TAG_BYTES: usize = 128;

/// Most digits of a fraction of a second in a stamp: nanoseconds, with room for daemontools'
/// TAI64N-derived stamps. A longer run of digits is no time.
const MAX_FRACTION_DIGITS: usize = 12;

/// Years an RFC 3164 stamp may be placed in: the range the calendar arithmetic is exact for.
const YEARS: std::ops::RangeInclusive<i64> = 1..=9999;

/// PAM services whose `session opened`/`session closed` lines are logins or identity changes.
/// Sessions of other services (cron, systemd-user, runuser) are opened by the system for itself
/// and would only bury the logins, so they count as [`Parsed::Other`].
const SESSION_SERVICES: [&str; 9] = [
    "sshd",
    "login",
    "remote",
    "su",
    "su-l",
    "sudo",
    "sudo-i",
    "cockpit",
    "xrdp-sesman",
];

/// What parsing a file carries from line to line: the host its path names, and the year of
/// RFC 3164 stamps, which have none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineContext {
    /// Host name from the file path (`hosts/<name>/...`), used when the line carries none
    /// (journald exports without `_HOSTNAME`, or lines whose host field is missing).
    pub path_host: Option<String>,
    /// The year RFC 3164 stamps are taken to be in; moves on when the file crosses a new year.
    year: i64,
    /// The month of the last RFC 3164 stamp, to notice a file crossing from December to January.
    last_month: Option<u32>,
    /// The month of the file's modification time, when the reader gave it: see
    /// [`LineContext::with_reference_month`].
    reference_month: Option<u32>,
}

impl LineContext {
    /// A context for one file: `path_host` from its path, `reference_year` the year to assume
    /// for RFC 3164 stamps (the year of the file's modification time, or the current year).
    /// Years outside 1-9999 are clamped into it, as no log is dated outside it.
    pub fn new(path_host: Option<String>, reference_year: i64) -> Self {
        Self {
            path_host,
            year: reference_year.clamp(*YEARS.start(), *YEARS.end()),
            last_month: None,
            reference_month: None,
        }
    }

    /// Also gives the month (1-12) of the file's modification time. A file's lines are not later
    /// than its last write, so when the first stamp's month is after this month the file began in
    /// the year before `reference_year` (a log written from December into January, read with
    /// January's year). Without it, the first line is taken to be in `reference_year`.
    pub fn with_reference_month(mut self, month: u32) -> Self {
        self.reference_month = (1..=12).contains(&month).then_some(month);
        self
    }

    /// The year the next RFC 3164 stamp will be placed in, unless it crosses a new year.
    pub fn year(&self) -> i64 {
        self.year
    }

    /// The year of an RFC 3164 stamp in `month`, noting the month for the lines that follow.
    ///
    /// Logs are written in time order, so a month more than six months before the previous one
    /// (December → January) is the next year. A month more than six months after it is a late
    /// line from the year before (a January file with a stray December line): it is placed there
    /// without moving the state, so the next January line does not count a second new year.
    fn year_for(&mut self, month: u32) -> i64 {
        match self.last_month {
            None => {
                if self
                    .reference_month
                    .is_some_and(|reference| month > reference)
                {
                    self.year = (self.year - 1).max(*YEARS.start());
                }
                self.last_month = Some(month);
                self.year
            }
            Some(last) if month + 6 < last => {
                self.year = (self.year + 1).min(*YEARS.end());
                self.last_month = Some(month);
                self.year
            }
            Some(last) if month > last + 6 => (self.year - 1).max(*YEARS.start()),
            Some(_) => {
                self.last_month = Some(month);
                self.year
            }
        }
    }
}

/// What one line of an auth log is.
// `Event` is by far the most common outcome and each is consumed at once, so boxing it would add
// an allocation per event to save a few hundred bytes of stack.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// An authentication event.
    Event(SshEvent),
    /// A syslog line, well formed, from a program or message that is not an auth event we model
    /// (cron, systemd, sshd "Server listening", ...). Counted, not a problem.
    Other,
    /// A line that cannot be read: not a syslog/journald line at all, or an auth message cut so
    /// short that the event it records cannot be told (an `Accepted` line without its address).
    /// The reason, for the problem report.
    Malformed(String),
}

/// One authentication event from an auth log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshEvent {
    /// When, epoch milliseconds UTC. RFC 3164 stamps carry no zone: their local time is taken as
    /// UTC (which is what EC2 instances use unless someone changed it).
    pub time_ms: i64,
    /// The host that wrote the line: from the line, else [`LineContext::path_host`].
    pub host: Option<String>,
    /// The program (syslog tag or journald identifier) without any directory: `sshd`,
    /// `sshd-session`, `sudo`, `su`, `useradd`, `ec2-instance-connect`, ... Empty when the line
    /// names none (socklog, daemontools); such messages are tried against every program's
    /// patterns, sshd's first, as sshd is the usual writer of those logs.
    pub program: String,
    /// The process id, when the line gives one.
    pub pid: Option<i64>,
    /// What happened.
    pub event: EventKind,
    /// The account the event is about: the login name (as the client sent it, so possibly empty
    /// for `invalid_user` events), the session's account, the user who ran sudo or su.
    pub user: Option<String>,
    /// The account acted on: sudo's `USER=`, su's target, and for the account events
    /// (`user_added`, `user_modified`, `user_deleted`, `password_changed`) the account created,
    /// changed or deleted.
    pub target_user: Option<String>,
    /// Whether sshd said the user does not exist (`invalid user`, `illegal user`).
    pub invalid_user: bool,
    /// Who opened a session, when the PAM line names them (`... by ec2-user(uid=1000)`), or who
    /// made an account change (`gpasswd`'s `added by root`).
    pub by_user: Option<String>,
    /// The group of `group_added`, and of `user_modified` when a user joins or leaves a group.
    pub group: Option<String>,
    /// The remote address, canonical text (IPv6 zone id stripped, IPv6 compressed and lower
    /// case; `::ffff:1.2.3.4` stays as it is).
    pub source_ip: Option<String>,
    /// The remote host when PAM's `rhost=` (or a PAM error) gives a name rather than an address.
    pub source_host: Option<String>,
    /// The remote port.
    pub source_port: Option<i64>,
    /// The authentication method: `password`, `publickey`, `keyboard-interactive/pam`,
    /// `hostbased`, `gssapi-with-mic`, `none`, ...
    pub method: Option<String>,
    /// The key type of a public-key login as sshd writes it: `RSA`, `ED25519`, `ECDSA`,
    /// `RSA-CERT`, ...
    pub key_type: Option<String>,
    /// The key fingerprint: `SHA256:...` (or `MD5:...` from old sshd).
    pub key_fingerprint: Option<String>,
    /// The command run through sudo (`COMMAND=`), to the end of the line.
    pub command: Option<String>,
    /// The terminal: sudo's `TTY=`, su's `on pts/0`, PAM's `tty=`, useradd's `from=`.
    pub tty: Option<String>,
    /// The EC2 Instance Connect request id of a pushed key (`request-id:`), which CloudTrail's
    /// `SendSSHPublicKey` event carries as its `requestID`.
    pub request_id: Option<String>,
    /// The IAM principal (ARN) that pushed an EC2 Instance Connect key (`for IAM principal:`).
    pub principal: Option<String>,
    /// The message text after `program[pid]: `, trimmed (for display).
    pub message: String,
}

/// The kinds of auth event the parser tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// sshd accepted a login (`Accepted publickey for ...`).
    Accepted,
    /// sshd refused one authentication attempt (`Failed password for ...`).
    Failed,
    /// A login attempt for an account that does not exist (`Invalid user ...`).
    InvalidUser,
    /// PAM reported an authentication failure (`pam_unix(sshd:auth): authentication failure`,
    /// `PAM 2 more authentication failures`, sshd's `error: PAM: ...`).
    PamAuthFailure,
    /// A connection used up its authentication attempts (`maximum authentication attempts
    /// exceeded`, `Too many authentication failures`).
    TooManyFailures,
    /// A disconnection (`Disconnected from`, `Received disconnect from`, `Disconnecting ...`).
    Disconnect,
    /// The client closed or reset the connection (`Connection closed by`, `Connection reset by`).
    ConnectionClosed,
    /// A PAM session opened (a login, sudo or su), or systemd-logind's `New session`.
    SessionOpened,
    /// A PAM session closed, or systemd-logind's `Removed session`.
    SessionClosed,
    /// sudo ran a command.
    Sudo,
    /// sudo refused (`3 incorrect password attempts`, `user NOT in sudoers`, ...).
    SudoFailure,
    /// su switched user (`(to root) ec2-user on pts/0`).
    Su,
    /// su failed (`FAILED SU (to root) ...`).
    SuFailure,
    /// A local account was created (`new user: name=...`).
    UserAdded,
    /// A local group was created (`new group: name=...`).
    GroupAdded,
    /// An account was changed: group membership, shell, home, lock, name.
    UserModified,
    /// A local account was deleted (`delete user '...'`).
    UserDeleted,
    /// An account's password was changed (`pam_unix(passwd:chauthtok): password changed`).
    PasswordChanged,
    /// EC2 Instance Connect was asked for, or provided, a pushed key (the messages are listed at
    /// [`parse_line`]).
    InstanceConnectKey,
    /// sshd refused a root login (`ROOT LOGIN REFUSED FROM ...`).
    RootLoginRefused,
    /// sshd refused a user by `AllowUsers`/`DenyUsers`/shell rules (`User x from ... not allowed`).
    NotAllowed,
    /// Key exchange failed (`Unable to negotiate with ...`, `ssh_dispatch_run_fatal`).
    NegotiationFailed,
    /// The client never sent a valid SSH banner (`Did not receive identification string`, `Bad
    /// protocol version identification`, `banner exchange: ... invalid format`): a scanner.
    BannerError,
    /// The client did not authenticate within `LoginGraceTime` (`Timeout before authentication`).
    LoginTimeout,
    /// sshd dropped a connection on arrival (`drop connection #0 from ...`: `MaxStartups` or
    /// OpenSSH 9.8+'s per-source penalties).
    ConnectionDropped,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 25] = [
        EventKind::Accepted,
        EventKind::Failed,
        EventKind::InvalidUser,
        EventKind::PamAuthFailure,
        EventKind::TooManyFailures,
        EventKind::Disconnect,
        EventKind::ConnectionClosed,
        EventKind::SessionOpened,
        EventKind::SessionClosed,
        EventKind::Sudo,
        EventKind::SudoFailure,
        EventKind::Su,
        EventKind::SuFailure,
        EventKind::UserAdded,
        EventKind::GroupAdded,
        EventKind::UserModified,
        EventKind::UserDeleted,
        EventKind::PasswordChanged,
        EventKind::InstanceConnectKey,
        EventKind::RootLoginRefused,
        EventKind::NotAllowed,
        EventKind::NegotiationFailed,
        EventKind::BannerError,
        EventKind::LoginTimeout,
        EventKind::ConnectionDropped,
    ];

    /// The kind's snake_case name, as tables and reports show it.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Accepted => "accepted",
            EventKind::Failed => "failed",
            EventKind::InvalidUser => "invalid_user",
            EventKind::PamAuthFailure => "pam_auth_failure",
            EventKind::TooManyFailures => "too_many_failures",
            EventKind::Disconnect => "disconnect",
            EventKind::ConnectionClosed => "connection_closed",
            EventKind::SessionOpened => "session_opened",
            EventKind::SessionClosed => "session_closed",
            EventKind::Sudo => "sudo",
            EventKind::SudoFailure => "sudo_failure",
            EventKind::Su => "su",
            EventKind::SuFailure => "su_failure",
            EventKind::UserAdded => "user_added",
            EventKind::GroupAdded => "group_added",
            EventKind::UserModified => "user_modified",
            EventKind::UserDeleted => "user_deleted",
            EventKind::PasswordChanged => "password_changed",
            EventKind::InstanceConnectKey => "instance_connect_key",
            EventKind::RootLoginRefused => "root_login_refused",
            EventKind::NotAllowed => "not_allowed",
            EventKind::NegotiationFailed => "negotiation_failed",
            EventKind::BannerError => "banner_error",
            EventKind::LoginTimeout => "login_timeout",
            EventKind::ConnectionDropped => "connection_dropped",
        }
    }
}

/// Parses one line of an auth log into an event, or says why it is not one.
///
/// Framings: RFC 3164 (`Nov 23 10:43:01 host sshd[1234]: message`, the year from `context`),
/// RFC 5424 (`<38>1 2026-11-23T10:43:01.123456+00:00 host sshd 1234 - - message`), the ISO stamp
/// of rsyslog's `RSYSLOG_FileFormat` (`2026-11-23T10:43:01.123456+00:00 host sshd[1234]:
/// message`), each with an optional `<PRI>`; also busybox (`host auth.info sshd[1]:`), FreeBSD
/// `syslogd -v` (`<10.5> host`), lines without a host (`Nov 23 10:43:01 sshd[1]:`), socklog
/// (`2015-05-27T04:31:28.10040 auth.info: ...`) and daemontools stamps. A trailing `\r` or `\n`
/// is ignored. Journald JSON lines are not read here: decode them and call [`parse_journal`].
///
/// EC2 Instance Connect shows as `ec2-instance-connect[pid]: Querying EC2 Instance Connect keys
/// for matching fingerprint: SHA256:...` (sshd asked for a pushed key) and `Providing ssh key
/// from EC2 Instance Connect with fingerprint: SHA256:..., request-id: ..., for IAM principal:
/// arn:...` (one was provided), and as sshd's `AuthorizedKeysCommand
/// /opt/aws/bin/eic_run_authorized_keys <user> SHA256:... failed, status 22` (the command ran
/// for that user and key, and — on a real host — found no pushed key).
pub fn parse_line(line: &str, context: &mut LineContext) -> Parsed {
    if line.len() > MAX_LINE_BYTES {
        return Parsed::Malformed(format!(
            "line of {} bytes, longer than the {MAX_LINE_BYTES} an auth log line can be",
            line.len()
        ));
    }
    // A BOM at the start of a file sticks to its first line.
    let text = line.strip_prefix('\u{feff}').unwrap_or(line).trim();
    if text.is_empty() {
        return Parsed::Malformed("empty line".to_string());
    }
    if text.starts_with('{') {
        return Parsed::Malformed(
            "a JSON object, not a syslog line (journal exports are read field by field)"
                .to_string(),
        );
    }
    match header(text, context) {
        Ok(header) => classify(&header, context),
        Err(reason) => Parsed::Malformed(reason.to_string()),
    }
}

/// Parses one journald entry, whose fields the caller has decoded from `journalctl -o json`
/// (this module has no JSON reader): `time_us` from `__REALTIME_TIMESTAMP` (microseconds),
/// `host` from `_HOSTNAME`, `program` from `SYSLOG_IDENTIFIER` (else `_COMM`), `pid` from `_PID`
/// and `message` from `MESSAGE` (when that is an array of bytes, decode it as UTF-8 lossily).
/// A missing host falls back to [`LineContext::path_host`]; a missing time makes the entry
/// [`Parsed::Malformed`], as an event without a time cannot be placed.
pub fn parse_journal(
    time_us: Option<i64>,
    host: Option<&str>,
    program: Option<&str>,
    pid: Option<i64>,
    message: &str,
    context: &LineContext,
) -> Parsed {
    let Some(time_us) = time_us else {
        return Parsed::Malformed("journal entry without __REALTIME_TIMESTAMP".to_string());
    };
    if message.len() > MAX_LINE_BYTES {
        return Parsed::Malformed(format!(
            "journal message of {} bytes, longer than {MAX_LINE_BYTES}",
            message.len()
        ));
    }
    let header = Header {
        time_ms: time_us.div_euclid(1000),
        host: host.map(str::trim).filter(|h| !h.is_empty()),
        program: program.map(|p| base_name(p.trim())).unwrap_or(""),
        pid,
        message,
    };
    classify(&header, context)
}

/// The syslog framing of a line, split off its message.
struct Header<'a> {
    /// Epoch milliseconds UTC.
    time_ms: i64,
    /// The host field, if the line has one.
    host: Option<&'a str>,
    /// The program (tag), empty when the line names none.
    program: &'a str,
    /// The process id, if given.
    pid: Option<i64>,
    /// The message (untrimmed).
    message: &'a str,
}

/// Splits a line into its framing and message, or says why it is no syslog line.
fn header<'a>(text: &'a str, context: &mut LineContext) -> Result<Header<'a>, &'static str> {
    let (has_pri, rest) = match strip_pri(text) {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if has_pri && let Some(rest) = rest.strip_prefix("1 ") {
        return rfc5424(rest);
    }
    if let Some((time_ms, rest)) = iso_time(rest) {
        return body(time_ms, rest);
    }
    if let Some(stamp) = bsd_time(rest) {
        let year = context.year_for(stamp.month);
        let day = days_from_civil(year, i64::from(stamp.month), stamp.day);
        return body(day * MS_PER_DAY + stamp.clock_ms, stamp.rest);
    }
    Err("no syslog time at the start of the line")
}

/// The text after a leading `<PRI>` (0-191), if the line starts with one.
fn strip_pri(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('<')?;
    let (digits, rest) = inner.split_once('>')?;
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if !all_digits || digits.len() > 3 {
        return None;
    }
    (digits.parse::<u16>().ok()? <= 191).then_some(rest)
}

/// The fields after the version of an RFC 5424 line.
fn rfc5424(text: &str) -> Result<Header<'_>, &'static str> {
    let (stamp, rest) = text.split_once(' ').unwrap_or((text, ""));
    if stamp == "-" {
        return Err("RFC 5424 line without a time");
    }
    let (time_ms, after) = iso_time(stamp).ok_or("RFC 5424 line whose time does not parse")?;
    if !after.is_empty() {
        return Err("RFC 5424 line whose time does not parse");
    }
    rfc5424_fields(time_ms, rest).ok_or("RFC 5424 header cut short")
}

/// RFC 5424's HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA and optional MSG, separated by
/// single spaces.
fn rfc5424_fields(time_ms: i64, text: &str) -> Option<Header<'_>> {
    let (host, rest) = text.split_once(' ')?;
    let (app, rest) = rest.split_once(' ')?;
    let (procid, rest) = rest.split_once(' ')?;
    let (msgid, rest) = rest.split_once(' ')?;
    if [host, app, procid, msgid]
        .iter()
        .any(|field| field.is_empty())
    {
        return None;
    }
    let after = skip_structured_data(rest)?;
    let message = if after.is_empty() {
        ""
    } else {
        after.strip_prefix(' ')?
    };
    // `-` is RFC 5424's NILVALUE: the field is not given.
    let given = |field: &str| field != "-";
    Some(Header {
        time_ms,
        host: Some(host).filter(|h| given(h)),
        program: if given(app) { base_name(app) } else { "" },
        pid: procid.parse().ok().filter(|pid| *pid >= 0),
        message: message.strip_prefix('\u{feff}').unwrap_or(message),
    })
}

/// The text after RFC 5424 STRUCTURED-DATA: `-`, or `[id name="value" ...]` blocks, where values
/// may hold `\"`, `\\` and `\]`. None when it is neither or never ends.
fn skip_structured_data(text: &str) -> Option<&str> {
    if let Some(rest) = text.strip_prefix('-') {
        return Some(rest);
    }
    let bytes = text.as_bytes();
    let mut at = 0;
    while bytes.get(at) == Some(&b'[') {
        at += 1;
        let mut quoted = false;
        loop {
            match bytes.get(at)? {
                b'\\' if quoted => at += 2,
                b'"' => {
                    quoted = !quoted;
                    at += 1;
                }
                b']' if !quoted => {
                    at += 1;
                    break;
                }
                _ => at += 1,
            }
        }
    }
    // `]` is ASCII, so `at` is on a character boundary whenever a block closed.
    (at > 0).then(|| text.get(at..)).flatten()
}

/// A `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM|±HHMM|±HH]` stamp at the start of `text`,
/// followed by a space or the end: epoch milliseconds and the text after it. A stamp without a
/// zone is UTC.
fn iso_time(text: &str) -> Option<(i64, &str)> {
    const SHAPE: &[u8; 19] = b"dddd-dd-ddXdd:dd:dd";
    let bytes = text.as_bytes();
    for (at, &want) in SHAPE.iter().enumerate() {
        let got = *bytes.get(at)?;
        let fits = match want {
            b'd' => got.is_ascii_digit(),
            b'X' => matches!(got, b'T' | b't' | b' '),
            _ => got == want,
        };
        if !fits {
            return None;
        }
    }
    let mut end = SHAPE.len();
    if bytes.get(end) == Some(&b'.') {
        let digits = count_digits(bytes.get(end + 1..)?);
        if !(1..=MAX_FRACTION_DIGITS).contains(&digits) {
            return None;
        }
        end += 1 + digits;
    }
    let zone_at = end;
    // An offset without its colon is rewritten to `±HH:MM`, the form the shared parser reads.
    let mut bare_offset = false;
    match bytes.get(end) {
        Some(b'Z' | b'z') => end += 1,
        Some(b'+' | b'-') => {
            let digits = count_digits(bytes.get(end + 1..)?);
            if digits >= 2 && bytes.get(end + 3) == Some(&b':') {
                if count_digits(bytes.get(end + 4..)?) != 2 {
                    return None;
                }
                end += 6;
            } else if digits == 4 || digits == 2 {
                end += 1 + digits;
                bare_offset = true;
            } else {
                return None;
            }
        }
        _ => {}
    }
    if !matches!(bytes.get(end), None | Some(b' ')) {
        return None;
    }
    let time_ms = if bare_offset {
        let zone = text.get(zone_at..end)?;
        let minutes = zone.get(3..5).unwrap_or("00");
        let normal = format!(
            "{}{}{}:{minutes}",
            text.get(..zone_at)?,
            zone.get(..1)?,
            zone.get(1..3)?
        );
        parse_rfc3339(&normal)?
    } else {
        parse_rfc3339(text.get(..end)?)?
    };
    Some((time_ms, text.get(end..)?))
}

/// How many ASCII digits `bytes` starts with.
fn count_digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// An RFC 3164 stamp, `Mmm dd HH:MM:SS`, split up.
struct BsdStamp<'a> {
    /// Month, 1-12.
    month: u32,
    /// Day of the month, 1-31.
    day: i64,
    /// Milliseconds since midnight.
    clock_ms: i64,
    /// The text after the stamp.
    rest: &'a str,
}

/// An RFC 3164 stamp at the start of `text`: `Nov 23 10:43:01`, the day space-padded
/// (`Nov  3`), zero-padded (`Nov 03`) or neither (`Nov 3`), with an optional fraction of a
/// second, followed by a space or the end.
fn bsd_time(text: &str) -> Option<BsdStamp<'_>> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let name = text.get(..3)?;
    let month = MONTHS.iter().position(|m| *m == name)?;
    let rest = text.get(3..)?.strip_prefix(' ')?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let (day, rest) = leading_number(rest, 2)?;
    let rest = rest.strip_prefix(' ')?;
    let (clock_ms, rest) = clock(rest)?;
    if !(1..=31).contains(&day) || !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some(BsdStamp {
        month: u32::try_from(month).ok()? + 1,
        day,
        clock_ms,
        rest,
    })
}

/// `HH:MM:SS[.fraction]` at the start of `text`: milliseconds since midnight and the rest.
fn clock(text: &str) -> Option<(i64, &str)> {
    let two = |s: &str| -> Option<i64> {
        let digits = s.get(..2)?;
        if digits.bytes().all(|b| b.is_ascii_digit()) {
            digits.parse().ok()
        } else {
            None
        }
    };
    let hour = two(text)?;
    let minute = two(text.get(3..)?)?;
    let second = two(text.get(6..)?)?;
    if text.get(2..3)? != ":" || text.get(5..6)? != ":" {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = text.get(8..)?;
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = count_digits(fraction.as_bytes());
        if !(1..=MAX_FRACTION_DIGITS).contains(&digits) {
            return None;
        }
        for (place, b) in fraction.bytes().take(digits.min(3)).enumerate() {
            let scale = [100, 10, 1].get(place).copied().unwrap_or(0);
            millis += i64::from(b - b'0') * scale;
        }
        rest = fraction.get(digits..)?;
    }
    Some(((hour * 3600 + minute * 60 + second) * 1000 + millis, rest))
}

/// The framing after the time: host, tag, message, in the variations syslog daemons write.
fn body(time_ms: i64, text: &str) -> Result<Header<'_>, &'static str> {
    let mut rest = text.trim_start();
    if rest.is_empty() {
        return Err("nothing after the time");
    }
    let (mut first, mut after) = token(rest);
    // FreeBSD `syslogd -v` puts `<facility.priority>` before the host.
    if first.len() > 2 && first.starts_with('<') && first.ends_with('>') {
        rest = after.trim_start();
        (first, after) = token(rest);
        if rest.is_empty() {
            return Err("nothing after the priority");
        }
    }
    // socklog writes `facility.level: ` and then the message as the program sent it to
    // /dev/log: perhaps an RFC 3164 stamp of its own, perhaps a tag, then the text.
    if let Some(level) = first.strip_suffix(':')
        && is_facility_level(level)
    {
        let inner = after.trim_start();
        let inner = bsd_time(inner).map_or(inner, |stamp| stamp.rest.trim_start());
        let (candidate, message) = token(inner);
        return Ok(match tag(candidate) {
            Some((program, pid)) => Header {
                time_ms,
                host: None,
                program,
                pid,
                message,
            },
            None => Header {
                time_ms,
                host: None,
                program: "",
                pid: None,
                message: inner,
            },
        });
    }
    // No host: the tag follows the time (busybox `syslogd -S`, some containers).
    if let Some((program, pid)) = tag(first) {
        return Ok(Header {
            time_ms,
            host: None,
            program,
            pid,
            message: after,
        });
    }
    let host = first;
    let rest_after_host = after.trim_start();
    if rest_after_host.is_empty() {
        return Err("nothing after the host name");
    }
    let (second, after_second) = token(rest_after_host);
    if let Some((program, pid)) = tag(second) {
        return Ok(Header {
            time_ms,
            host: Some(host),
            program,
            pid,
            message: after_second,
        });
    }
    // busybox puts `facility.level` between the host and the tag.
    if is_facility_level(second) {
        let (third, after_third) = token(after_second.trim_start());
        if let Some((program, pid)) = tag(third) {
            return Ok(Header {
                time_ms,
                host: Some(host),
                program,
                pid,
                message: after_third,
            });
        }
    }
    // sysklogd writes RFC 5424's fields with neither PRI nor version.
    if let Some(header) = rfc5424_fields(time_ms, rest) {
        return Ok(header);
    }
    // No tag at all (daemontools' `tai64nlocal` stamps, `last message repeated`): the whole
    // text is the message.
    Ok(Header {
        time_ms,
        host: None,
        program: "",
        pid: None,
        message: rest,
    })
}

/// The text up to the first space, and the text from that space on.
fn token(text: &str) -> (&str, &str) {
    match text.find(' ') {
        Some(at) => (text.get(..at).unwrap_or(text), text.get(at..).unwrap_or("")),
        None => (text, ""),
    }
}

/// Whether `text` is a syslog `facility.level` such as `auth.info` or `authpriv.notice`.
fn is_facility_level(text: &str) -> bool {
    const FACILITIES: [&str; 25] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
        "authpriv", "ftp", "ntp", "security", "console", "local0", "local1", "local2", "local3",
        "local4", "local5", "local6", "local7", "mark", "audit",
    ];
    const LEVELS: [&str; 11] = [
        "emerg", "alert", "crit", "err", "error", "warning", "warn", "notice", "info", "debug",
        "panic",
    ];
    text.split_once('.')
        .is_some_and(|(facility, level)| FACILITIES.contains(&facility) && LEVELS.contains(&level))
}

/// A syslog tag token: `name:`, `name[pid]:`, or `name[pid]` (rsyslog sometimes drops the
/// colon). The program is the name without any directory.
fn tag(text: &str) -> Option<(&str, Option<i64>)> {
    let (name, colon) = match text.strip_suffix(':') {
        Some(name) => (name, true),
        None => (text, false),
    };
    let (name, pid) = match name.split_once('[') {
        Some((name, inner)) => {
            let digits = inner.strip_suffix(']')?;
            if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            (name, Some(digits.parse::<i64>().ok()?))
        }
        None if colon => (name, None),
        None => return None,
    };
    let plausible = !name.is_empty()
        && name.len() <= MAX_TAG_BYTES
        && !name
            .chars()
            .any(|c| c.is_control() || matches!(c, '=' | '"' | '[' | ']'))
        && !name
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'.');
    plausible.then(|| (base_name(name), pid))
}

/// A program name without its directory (`/usr/sbin/sshd` → `sshd`).
fn base_name(name: &str) -> &str {
    name.rsplit_once('/').map_or(name, |(_, base)| base)
}

/// What a message is, once matched.
// Short-lived, like [`Parsed`]: boxing the fields would cost an allocation per event.
#[allow(clippy::large_enum_variant)]
enum Match {
    /// An event of this kind with these fields.
    Event(EventKind, Fields),
    /// Not an event we model.
    Other,
    /// A message that starts like an event but is cut short.
    Broken(&'static str),
}

/// The parts of an event a message gives.
#[derive(Default)]
struct Fields {
    user: Option<String>,
    target_user: Option<String>,
    invalid_user: bool,
    by_user: Option<String>,
    group: Option<String>,
    source_ip: Option<String>,
    source_host: Option<String>,
    source_port: Option<i64>,
    method: Option<String>,
    key_type: Option<String>,
    key_fingerprint: Option<String>,
    command: Option<String>,
    tty: Option<String>,
    request_id: Option<String>,
    principal: Option<String>,
}

impl Fields {
    /// Fields naming `user`.
    fn user(user: &str) -> Self {
        Self {
            user: Some(user.to_string()),
            ..Self::default()
        }
    }

    /// Fields naming `target` as the account acted on.
    fn target(target: &str) -> Self {
        Self {
            target_user: Some(target.to_string()),
            ..Self::default()
        }
    }

    /// Adds a peer's address.
    fn at(mut self, peer: Peer) -> Self {
        self.source_ip = peer.ip;
        self.source_host = peer.name;
        self.source_port = peer.port;
        self
    }

    /// Sets whether the user is unknown to sshd.
    fn invalid(mut self, invalid: bool) -> Self {
        self.invalid_user = invalid;
        self
    }
}

/// Turns a framed message into the parse result.
fn classify(header: &Header<'_>, context: &LineContext) -> Parsed {
    let message = header.message.trim();
    let program = header.program;
    match recognise(program, message) {
        Match::Event(event, fields) => Parsed::Event(SshEvent {
            time_ms: header.time_ms,
            host: header
                .host
                .map(str::to_string)
                .or_else(|| context.path_host.clone()),
            program: program.to_string(),
            pid: header.pid,
            event,
            user: fields.user,
            target_user: fields.target_user,
            invalid_user: fields.invalid_user,
            by_user: fields.by_user,
            group: fields.group,
            source_ip: fields.source_ip,
            source_host: fields.source_host,
            source_port: fields.source_port,
            method: fields.method,
            key_type: fields.key_type,
            key_fingerprint: fields.key_fingerprint,
            command: fields.command,
            tty: fields.tty,
            request_id: fields.request_id,
            principal: fields.principal,
            message: message.to_string(),
        }),
        Match::Other => Parsed::Other,
        Match::Broken(reason) => Parsed::Malformed(reason.to_string()),
    }
}

/// Matches a message against the patterns of its program. PAM, EC2 Instance Connect and the
/// account tools are told by their text alone, as several programs write them; sshd's, sudo's,
/// su's and logind's messages only from those programs (or from a line naming no program).
fn recognise(program: &str, message: &str) -> Match {
    if let Some(found) = pam(message) {
        return found;
    }
    if let Some(found) = instance_connect(message) {
        return found;
    }
    let unnamed = program.is_empty();
    if (unnamed || program == "sshd" || program.starts_with("sshd-"))
        && let Some(found) = sshd(message)
    {
        return found;
    }
    if (unnamed || program == "sudo")
        && let Some(found) = sudo(message)
    {
        return found;
    }
    if (unnamed || program == "su")
        && let Some(found) = su(message)
    {
        return found;
    }
    if (unnamed || program == "systemd-logind")
        && let Some(found) = logind(message)
    {
        return found;
    }
    account(message).unwrap_or(Match::Other)
}

/// A peer's address as a message gives it.
#[derive(Default)]
struct Peer {
    /// Canonical IP text.
    ip: Option<String>,
    /// A host name, where names are allowed and the text is no address.
    name: Option<String>,
    /// The port.
    port: Option<i64>,
}

/// An IP address, with any IPv6 zone id (`%eth0`) dropped.
fn ip_of(text: &str) -> Option<IpAddr> {
    let text = text.split_once('%').map_or(text, |(address, _)| address);
    text.parse().ok()
}

/// A number of at most `max_digits` digits at the start of `text`, and the rest.
fn leading_number(text: &str, max_digits: usize) -> Option<(i64, &str)> {
    let digits = count_digits(text.as_bytes());
    if digits == 0 || digits > max_digits {
        return None;
    }
    Some((text.get(..digits)?.parse().ok()?, text.get(digits..)?))
}

/// A port number at the start of `text`, and the rest.
fn port_number(text: &str) -> Option<(i64, &str)> {
    leading_number(text, 5).filter(|(port, _)| *port <= 65_535)
}

/// The address at the start of `text` — `1.2.3.4`, `2001:db8::1%eth0`, `1.2.3.4:` (old sshd,
/// before `: 11: reason`), `[1.2.3.4]:22` — with an optional ` port N` after it, and the text
/// after. With `allow_name`, a token that is no address is taken as a host name.
fn peer(text: &str, allow_name: bool) -> Option<(Peer, &str)> {
    let window = text.as_bytes().get(..text.len().min(MAX_ADDR_BYTES + 1))?;
    let end = match window.iter().position(|&b| b == b' ') {
        Some(end) => end,
        None if text.len() <= MAX_ADDR_BYTES => text.len(),
        None => return None,
    };
    let (address, mut rest) = (text.get(..end)?, text.get(end..)?);
    let mut found = Peer::default();
    if let Some(inner) = address.strip_prefix('[') {
        let (ip, after) = inner.split_once(']')?;
        found.ip = Some(ip_of(ip)?.to_string());
        found.port = after
            .strip_prefix(':')
            .and_then(port_number)
            .map(|(port, _)| port);
    } else if let Some(ip) = ip_of(address).or_else(|| address.strip_suffix(':').and_then(ip_of)) {
        found.ip = Some(ip.to_string());
    } else if allow_name
        && !address.is_empty()
        && address
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':'))
    {
        found.name = Some(address.to_string());
    } else {
        return None;
    }
    if let Some((port, after)) = rest.strip_prefix(" port ").and_then(port_number) {
        found.port = Some(port);
        rest = after;
    }
    Some((found, rest))
}

/// `<who> from <address>[ port <n>]<tail>`: the text before the last ` from ` that is followed
/// by an address, the address, and the tail. The last one, because the text before it is
/// a user name the client chose, which may itself hold ` from 1.2.3.4`.
fn last_from(text: &str, allow_name: bool) -> Option<(&str, Peer, &str)> {
    let mut found = text
        .strip_prefix("from ")
        .and_then(|after| peer(after, allow_name))
        .map(|(address, tail)| ("", address, tail));
    for (at, pattern) in text.match_indices(" from ") {
        let Some(after) = text.get(at + pattern.len()..) else {
            continue;
        };
        if let Some((address, tail)) = peer(after, allow_name)
            && let Some(before) = text.get(..at)
        {
            found = Some((before, address, tail));
        }
    }
    found
}

/// `[authenticating |invalid ]user <name> <address> port <n><tail>` or `<address>[ port
/// <n>]<tail>`, as sshd's disconnection messages write the peer: the user (if named), whether
/// sshd called it invalid, the address, and the tail.
fn user_then_peer(text: &str) -> Option<(Option<&str>, bool, Peer, &str)> {
    let (invalid, rest) = if let Some(rest) = text.strip_prefix("authenticating user ") {
        (false, rest)
    } else if let Some(rest) = text.strip_prefix("invalid user ") {
        (true, rest)
    } else if let Some(rest) = text.strip_prefix("user ") {
        (false, rest)
    } else {
        let (address, tail) = peer(text, false)?;
        return Some((None, false, address, tail));
    };
    // The user name may hold spaces: the address is the token before the last ` port <n>`
    // that follows an address.
    let mut found = None;
    for (at, pattern) in rest.match_indices(" port ") {
        let (Some(before), Some(after)) = (rest.get(..at), rest.get(at + pattern.len()..)) else {
            continue;
        };
        let Some((user, address)) = split_last_token(before, MAX_ADDR_BYTES) else {
            continue;
        };
        let (Some(ip), Some((port, tail))) = (ip_of(address), port_number(after)) else {
            continue;
        };
        found = Some((user, ip, port, tail));
    }
    let (user, ip, port, tail) = found?;
    let address = Peer {
        ip: Some(ip.to_string()),
        name: None,
        port: Some(port),
    };
    Some((Some(user), invalid, address, tail))
}

/// `text` split at its last space, looking back at most `max` bytes (so that the cost does not
/// grow with the line): the text before the space and the token after it.
fn split_last_token(text: &str, max: usize) -> Option<(&str, &str)> {
    let mut start = text.len().saturating_sub(max + 1);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let window = text.get(start..)?;
    let space = window.rfind(' ')?;
    Some((text.get(..start + space)?, window.get(space + 1..)?))
}

/// An optional `invalid user ` / `illegal user ` at the start of `text`: whether it was there,
/// and the text after it.
fn strip_invalid(text: &str) -> (bool, &str) {
    match text
        .strip_prefix("invalid user ")
        .or_else(|| text.strip_prefix("illegal user "))
    {
        Some(rest) => (true, rest),
        None => (false, text),
    }
}

/// sshd's messages (also `sshd-session`'s and `sshd-auth`'s).
fn sshd(message: &str) -> Option<Match> {
    // sshd marks which process logged: `[preauth]` the unprivileged pre-authentication child,
    // `[net]` OpenSSH 9.8's network child. The marks add nothing to the event.
    let mut text = message;
    for mark in [" [preauth]", " [net]", " [postauth]", " [priv]"] {
        text = text.strip_suffix(mark).unwrap_or(text);
    }
    let text = text
        .strip_prefix("error: ")
        .or_else(|| text.strip_prefix("fatal: "))
        .unwrap_or(text);
    if let Some(rest) = text.strip_prefix("Accepted ") {
        return auth_result(rest, EventKind::Accepted);
    }
    if let Some(rest) = text.strip_prefix("Failed ") {
        return auth_result(rest, EventKind::Failed);
    }
    if let Some(rest) = text
        .strip_prefix("Invalid user ")
        .or_else(|| text.strip_prefix("Illegal user "))
    {
        return Some(match last_from(rest, false) {
            Some((user, address, _)) => Match::Event(
                EventKind::InvalidUser,
                Fields::user(user).at(address).invalid(true),
            ),
            None => Match::Broken("sshd 'Invalid user' message without an address"),
        });
    }
    if let Some(rest) = text.strip_prefix("User ")
        && let Some(at) = rest.rfind(" not allowed because")
    {
        let (user, address, _) = last_from(rest.get(..at)?, false)?;
        return Some(Match::Event(
            EventKind::NotAllowed,
            Fields::user(user).at(address),
        ));
    }
    if let Some(rest) = text.strip_prefix("ROOT LOGIN REFUSED FROM ") {
        let (address, _) = peer(rest, false)?;
        return Some(Match::Event(
            EventKind::RootLoginRefused,
            Fields::user("root").at(address),
        ));
    }
    if let Some(rest) = text.strip_prefix("maximum authentication attempts exceeded for ") {
        let (invalid, rest) = strip_invalid(rest);
        let (user, address, _) = last_from(rest, false)?;
        return Some(Match::Event(
            EventKind::TooManyFailures,
            Fields::user(user).at(address).invalid(invalid),
        ));
    }
    if let Some(rest) = text.strip_prefix("Disconnecting") {
        let too_many = rest.contains("Too many authentication failures");
        let kind = if too_many {
            EventKind::TooManyFailures
        } else {
            EventKind::Disconnect
        };
        // Old sshd: `Disconnecting: Too many authentication failures`, no peer.
        if rest.starts_with(':') {
            return too_many.then(|| Match::Event(kind, Fields::default()));
        }
        return disconnection(rest.strip_prefix(' ')?, kind);
    }
    if let Some(rest) = text.strip_prefix("Disconnected from ") {
        return disconnection(rest, EventKind::Disconnect);
    }
    if let Some(rest) = text
        .strip_prefix("Connection closed by ")
        .or_else(|| text.strip_prefix("Connection reset by "))
    {
        return disconnection(rest, EventKind::ConnectionClosed);
    }
    if let Some(rest) = text.strip_prefix("ssh_dispatch_run_fatal: Connection from ") {
        return disconnection(rest, EventKind::NegotiationFailed);
    }
    let peer_after = |prefix: &str, kind: EventKind| {
        let (address, _) = peer(text.strip_prefix(prefix)?, false)?;
        Some(Match::Event(kind, Fields::default().at(address)))
    };
    for (prefix, kind) in [
        ("Received disconnect from ", EventKind::Disconnect),
        (
            "Did not receive identification string from ",
            EventKind::BannerError,
        ),
        ("banner exchange: Connection from ", EventKind::BannerError),
        ("Unable to negotiate with ", EventKind::NegotiationFailed),
        (
            "Timeout before authentication for connection from ",
            EventKind::LoginTimeout,
        ),
        (
            "Timeout before authentication for ",
            EventKind::LoginTimeout,
        ),
    ] {
        if text.starts_with(prefix) {
            return peer_after(prefix, kind);
        }
    }
    if let Some(rest) = text.strip_prefix("Bad protocol version identification ") {
        let (_, address, _) = last_from(rest, false)?;
        return Some(Match::Event(
            EventKind::BannerError,
            Fields::default().at(address),
        ));
    }
    if let Some(rest) = text.strip_prefix("drop connection #") {
        let (_, after) = rest.split_once(" from ")?;
        let (address, _) = peer(after, false)?;
        return Some(Match::Event(
            EventKind::ConnectionDropped,
            Fields::default().at(address),
        ));
    }
    if let Some(rest) = text.strip_prefix("PAM: ") {
        // `PAM: authentication failure for [illegal user ]x from host`, `PAM: unknown user for
        // illegal user x from host`: the reason, then ` for `.
        let (_, rest) = rest.split_once(" for ")?;
        let (invalid, rest) = strip_invalid(rest);
        let (user, address, _) = last_from(rest, true)?;
        return Some(Match::Event(
            EventKind::PamAuthFailure,
            Fields::user(user).at(address).invalid(invalid),
        ));
    }
    if let Some(rest) = text.strip_prefix("PAM ")
        && rest.starts_with(|c: char| c.is_ascii_digit())
        && rest.contains(" more authentication failure")
    {
        let (_, pairs) = rest.split_once("; ")?;
        return Some(Match::Event(EventKind::PamAuthFailure, pam_pairs(pairs)));
    }
    if let Some(rest) = text.strip_prefix("AuthorizedKeysCommand ") {
        return instance_connect_command(rest);
    }
    None
}

/// `<method> for [invalid user ]<user> from <address> port <n> ssh2[: <type> <fingerprint>]`
/// after `Accepted ` or `Failed `.
fn auth_result(rest: &str, kind: EventKind) -> Option<Match> {
    let (method, rest) = rest.split_once(' ')?;
    // `Failed to ...` and the like are other messages.
    let rest = rest.strip_prefix("for ")?;
    let (invalid, rest) = strip_invalid(rest);
    let Some((user, address, tail)) = last_from(rest, false) else {
        return Some(Match::Broken(if kind == EventKind::Accepted {
            "sshd 'Accepted' message without a user and address (cut short?)"
        } else {
            "sshd 'Failed' message without a user and address (cut short?)"
        }));
    };
    let mut fields = Fields::user(user).at(address).invalid(invalid);
    fields.method = Some(method.to_string());
    if let Some(key) = tail.trim_start().strip_prefix("ssh2: ") {
        let mut parts = key.split_whitespace();
        fields.key_type = parts.next().map(str::to_string);
        fields.key_fingerprint = parts.next().map(str::to_string);
    }
    Some(Match::Event(kind, fields))
}

/// The disconnection messages: `[authenticating |invalid ]user <u> <address> port <n>` or
/// `<address>[ port <n>]`, then anything.
fn disconnection(rest: &str, kind: EventKind) -> Option<Match> {
    let (user, invalid, address, _) = user_then_peer(rest)?;
    let mut fields = Fields::default().at(address).invalid(invalid);
    fields.user = user.map(str::to_string);
    Some(Match::Event(kind, fields))
}

/// PAM's `key=value` pairs (`logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root`).
fn pam_pairs(text: &str) -> Fields {
    let mut fields = Fields::default();
    for pair in text.split_whitespace() {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        match key {
            "user" => fields.user = Some(value.to_string()),
            "tty" => fields.tty = Some(value.to_string()),
            "rhost" => match ip_of(value) {
                Some(ip) => fields.source_ip = Some(ip.to_string()),
                None => fields.source_host = Some(value.to_string()),
            },
            _ => {}
        }
    }
    fields
}

/// `pam_<module>(<service>:<type>): <text>` lines, whichever program wrote them.
fn pam(message: &str) -> Option<Match> {
    let rest = message.strip_prefix("pam_")?;
    let (_module, rest) = rest.split_once('(')?;
    let (inside, text) = rest.split_once("): ")?;
    let (service, facility) = inside.split_once(':')?;
    Some(match facility {
        "auth" => match text.strip_prefix("authentication failure;") {
            Some(pairs) => Match::Event(EventKind::PamAuthFailure, pam_pairs(pairs)),
            None => Match::Other,
        },
        "session" => pam_session(service, text),
        "chauthtok" => match text.strip_prefix("password changed for ") {
            Some(user) => Match::Event(EventKind::PasswordChanged, Fields::target(user.trim())),
            None => Match::Other,
        },
        _ => Match::Other,
    })
}

/// `session opened for user <u>[(uid=N)] by [<v>](uid=M)` / `session closed for user <u>`.
fn pam_session(service: &str, text: &str) -> Match {
    let (kind, rest) = if let Some(rest) = text.strip_prefix("session opened for user ") {
        (EventKind::SessionOpened, rest)
    } else if let Some(rest) = text.strip_prefix("session closed for user ") {
        (EventKind::SessionClosed, rest)
    } else {
        return Match::Other;
    };
    if !SESSION_SERVICES.contains(&service) {
        return Match::Other;
    }
    let (user, by) = match rest.split_once(" by ") {
        Some((user, by)) => (user, Some(by)),
        None => (rest, None),
    };
    let user = without_uid(user.trim());
    if user.is_empty() {
        return Match::Other;
    }
    let mut fields = Fields::user(user);
    fields.by_user = by
        .map(|by| without_uid(by.trim()))
        .filter(|by| !by.is_empty())
        .map(str::to_string);
    Match::Event(kind, fields)
}

/// A PAM user without its `(uid=N)` suffix.
fn without_uid(text: &str) -> &str {
    match text.rfind("(uid=") {
        Some(at) if text.ends_with(')') => text.get(..at).unwrap_or(text),
        _ => text,
    }
}

/// The first token of `text`, without the punctuation that follows fingerprints in prose.
fn first_word(text: &str) -> Option<&str> {
    let word = text.split_whitespace().next()?;
    let word = word.trim_end_matches([',', '.', ';']);
    (!word.is_empty()).then_some(word)
}

/// EC2 Instance Connect's messages (logged through `logger` with the tag of the
/// `AuthorizedKeysCommandUser`, `ec2-instance-connect`, or another on other images).
fn instance_connect(message: &str) -> Option<Match> {
    if let Some(rest) =
        message.strip_prefix("Querying EC2 Instance Connect keys for matching fingerprint: ")
    {
        let fields = Fields {
            key_fingerprint: first_word(rest).map(str::to_string),
            ..Fields::default()
        };
        return Some(Match::Event(EventKind::InstanceConnectKey, fields));
    }
    let rest =
        message.strip_prefix("Providing ssh key from EC2 Instance Connect with fingerprint: ")?;
    let mut fields = Fields {
        key_fingerprint: first_word(rest).map(str::to_string),
        ..Fields::default()
    };
    if let Some((_, after)) = rest.split_once("request-id: ") {
        fields.request_id = after
            .split([',', ' '])
            .next()
            .filter(|id| !id.is_empty())
            .map(str::to_string);
    }
    if let Some((_, after)) = rest.split_once("for IAM principal: ") {
        fields.principal = first_word(after).map(str::to_string);
    }
    Some(Match::Event(EventKind::InstanceConnectKey, fields))
}

/// sshd's `AuthorizedKeysCommand <command> <user> <fingerprint> ...` about EC2 Instance Connect's
/// command (`eic_run_authorized_keys %u %f`).
fn instance_connect_command(rest: &str) -> Option<Match> {
    let (command, args) = rest.split_once(' ')?;
    if !(command.ends_with("eic_run_authorized_keys")
        || command.ends_with("eic_curl_authorized_keys"))
    {
        return None;
    }
    let mut words = args.split_whitespace();
    let mut fields = Fields {
        user: words.next().map(str::to_string),
        ..Fields::default()
    };
    fields.key_fingerprint = words
        .next()
        .filter(|word| word.starts_with("SHA256:") || word.starts_with("MD5:"))
        .map(str::to_string);
    Some(Match::Event(EventKind::InstanceConnectKey, fields))
}

/// sudo's `<user> : [<failure> ; ]TTY=... ; PWD=... ; USER=... ; COMMAND=...`.
fn sudo(message: &str) -> Option<Match> {
    let (user, rest) = message.split_once(" : ")?;
    let user = user.trim();
    if user.is_empty() || user.contains(' ') {
        return None;
    }
    let mut fields = Fields::user(user);
    let mut failure = false;
    let mut keyed = false;
    let mut rest = rest;
    loop {
        // COMMAND= comes last and runs to the end of the line: its arguments may hold ` ; `.
        if let Some(command) = rest.strip_prefix("COMMAND=") {
            fields.command = Some(command.to_string());
            keyed = true;
            break;
        }
        let (part, next) = match rest.split_once(" ; ") {
            Some((part, next)) => (part, Some(next)),
            None => (rest, None),
        };
        match part.split_once('=') {
            Some((key, value))
                if !key.is_empty() && key.bytes().all(|b| b.is_ascii_uppercase()) =>
            {
                keyed = true;
                match key {
                    "TTY" => fields.tty = Some(value.to_string()),
                    "USER" => fields.target_user = Some(value.to_string()),
                    _ => {}
                }
            }
            // Text before the keys is why sudo refused: `3 incorrect password attempts`, `user
            // NOT in sudoers`, `command not allowed`.
            _ => failure = true,
        }
        match next {
            Some(next) => rest = next,
            None => break,
        }
    }
    if !keyed {
        return None;
    }
    let kind = if failure {
        EventKind::SudoFailure
    } else {
        EventKind::Sudo
    };
    Some(Match::Event(kind, fields))
}

/// su's `(to root) ec2-user on pts/0` / `FAILED SU (to root) ec2-user on pts/0` (util-linux),
/// `Successful su for root by ec2-user` / `FAILED su for root by ec2-user` (shadow-utils).
fn su(message: &str) -> Option<Match> {
    if let Some(rest) = message.strip_prefix("Successful su for ") {
        return su_for(rest, EventKind::Su);
    }
    if let Some(rest) = message.strip_prefix("FAILED su for ") {
        return su_for(rest, EventKind::SuFailure);
    }
    let (kind, rest) = match message.strip_prefix("FAILED SU (to ") {
        Some(rest) => (EventKind::SuFailure, rest),
        None => (EventKind::Su, message.strip_prefix("(to ")?),
    };
    let (target, rest) = rest.split_once(") ")?;
    let (user, tty) = match rest.rsplit_once(" on ") {
        Some((user, tty)) => (user, Some(tty)),
        None => (rest, None),
    };
    let mut fields = Fields::user(user.trim());
    fields.target_user = Some(target.to_string());
    fields.tty = tty.map(|tty| tty.trim().to_string());
    Some(Match::Event(kind, fields))
}

/// `<target> by <user>` of shadow-utils' su.
fn su_for(rest: &str, kind: EventKind) -> Option<Match> {
    let (target, user) = rest.split_once(" by ")?;
    let mut fields = Fields::user(user.trim());
    fields.target_user = Some(target.to_string());
    Some(Match::Event(kind, fields))
}

/// systemd-logind's `New session 3 of user ec2-user.` and `Removed session 3.`.
fn logind(message: &str) -> Option<Match> {
    if let Some(rest) = message.strip_prefix("New session ") {
        let (_, user) = rest.split_once(" of user ")?;
        let user = user.trim_end_matches('.');
        return Some(Match::Event(EventKind::SessionOpened, Fields::user(user)));
    }
    message
        .strip_prefix("Removed session ")
        .map(|_| Match::Event(EventKind::SessionClosed, Fields::default()))
}

/// A name in single quotes at the start of `text` (after its opening quote): the name and the
/// text after the closing quote.
fn quoted(text: &str) -> Option<(&str, &str)> {
    text.split_once('\'')
}

/// The `key=value, key=value` lists of useradd and groupadd.
fn comma_pairs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.split(", ")
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (key.trim(), value.trim()))
}

/// The shadow-utils account tools (useradd, groupadd, usermod, userdel, gpasswd, passwd), told
/// by their messages: the program name varies with the tool and the distribution's wrappers.
fn account(message: &str) -> Option<Match> {
    if let Some(rest) = message.strip_prefix("new user: ") {
        let mut fields = Fields::default();
        for (key, value) in comma_pairs(rest) {
            match key {
                "name" => fields.target_user = Some(value.to_string()),
                "from" => fields.tty = Some(value.to_string()),
                _ => {}
            }
        }
        fields.target_user.as_ref()?;
        return Some(Match::Event(EventKind::UserAdded, fields));
    }
    if let Some(rest) = message.strip_prefix("new group: ") {
        let (_, name) = comma_pairs(rest).find(|(key, _)| *key == "name")?;
        let fields = Fields {
            group: Some(name.to_string()),
            ..Fields::default()
        };
        return Some(Match::Event(EventKind::GroupAdded, fields));
    }
    // usermod -G / useradd -G: `add 'x' to group 'wheel'` (the `shadow group` twin repeats it).
    if let Some(rest) = message.strip_prefix("add '") {
        let (user, rest) = quoted(rest)?;
        let (group, _) = quoted(rest.strip_prefix(" to group '")?)?;
        let mut fields = Fields::target(user);
        fields.group = Some(group.to_string());
        return Some(Match::Event(EventKind::UserModified, fields));
    }
    if let Some(rest) = message.strip_prefix("delete '") {
        let (user, rest) = quoted(rest)?;
        let (group, _) = quoted(rest.strip_prefix(" from group '")?)?;
        let mut fields = Fields::target(user);
        fields.group = Some(group.to_string());
        return Some(Match::Event(EventKind::UserModified, fields));
    }
    if let Some(rest) = message.strip_prefix("delete user '") {
        let (user, _) = quoted(rest)?;
        return Some(Match::Event(EventKind::UserDeleted, Fields::target(user)));
    }
    if let Some(rest) = message.strip_prefix("change user name '") {
        let (_, rest) = quoted(rest)?;
        let (new_name, _) = quoted(rest.strip_prefix(" to '")?)?;
        return Some(Match::Event(
            EventKind::UserModified,
            Fields::target(new_name),
        ));
    }
    if let Some(rest) = message.strip_prefix("change user '") {
        let (user, rest) = quoted(rest)?;
        let kind = if rest == " password" {
            EventKind::PasswordChanged
        } else {
            EventKind::UserModified
        };
        return Some(Match::Event(kind, Fields::target(user)));
    }
    if let Some(rest) = message
        .strip_prefix("lock user '")
        .or_else(|| message.strip_prefix("unlock user '"))
    {
        let (user, _) = quoted(rest)?;
        return Some(Match::Event(EventKind::UserModified, Fields::target(user)));
    }
    // gpasswd: `user x added by root to group wheel`, `user x removed by root from group wheel`.
    if let Some(rest) = message.strip_prefix("user ") {
        let (user, rest) = rest.split_once(' ')?;
        let rest = rest
            .strip_prefix("added by ")
            .or_else(|| rest.strip_prefix("removed by "))?;
        let (by, rest) = rest.split_once(' ')?;
        let group = rest
            .strip_prefix("to group ")
            .or_else(|| rest.strip_prefix("from group "))?;
        let mut fields = Fields::target(user);
        fields.by_user = Some(by.to_string());
        fields.group = Some(group.trim().to_string());
        return Some(Match::Event(EventKind::UserModified, fields));
    }
    // passwd (shadow-utils): `password for 'x' changed by 'root'`.
    if let Some(rest) = message.strip_prefix("password for '") {
        let (user, rest) = quoted(rest)?;
        let mut fields = Fields::target(user);
        fields.by_user = rest
            .strip_prefix(" changed by '")
            .and_then(quoted)
            .map(|(by, _)| by.to_string());
        return Some(Match::Event(EventKind::PasswordChanged, fields));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-23T10:43:01Z.
    const NOV_23: i64 = 1_795_430_581_000;

    fn context() -> LineContext {
        LineContext::new(Some("path-host".to_string()), 2026)
    }

    fn event_in(line: &str, context: &mut LineContext) -> SshEvent {
        match parse_line(line, context) {
            Parsed::Event(event) => event,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    fn event(line: &str) -> SshEvent {
        event_in(line, &mut context())
    }

    /// The event of a bare sshd message, framed as RFC 3164.
    fn sshd_event(message: &str) -> SshEvent {
        event(&format!(
            "Nov 23 10:43:01 ip-10-40-16-11 sshd[1234]: {message}"
        ))
    }

    fn kind_of(line: &str) -> Option<EventKind> {
        match parse_line(line, &mut context()) {
            Parsed::Event(event) => Some(event.event),
            _ => None,
        }
    }

    fn is_malformed(line: &str) -> bool {
        matches!(parse_line(line, &mut context()), Parsed::Malformed(_))
    }

    #[test]
    fn rfc3164_accepted_publickey() {
        let e = event(
            "Nov 23 10:43:01 ip-10-40-16-11 sshd[1234]: Accepted publickey for ec2-user from 10.40.16.20 port 51234 ssh2: RSA SHA256:abcDEF+/123",
        );
        assert_eq!(e.time_ms, NOV_23);
        assert_eq!(e.host.as_deref(), Some("ip-10-40-16-11"));
        assert_eq!(e.program, "sshd");
        assert_eq!(e.pid, Some(1234));
        assert_eq!(e.event, EventKind::Accepted);
        assert_eq!(e.user.as_deref(), Some("ec2-user"));
        assert_eq!(e.source_ip.as_deref(), Some("10.40.16.20"));
        assert_eq!(e.source_port, Some(51234));
        assert_eq!(e.method.as_deref(), Some("publickey"));
        assert_eq!(e.key_type.as_deref(), Some("RSA"));
        assert_eq!(e.key_fingerprint.as_deref(), Some("SHA256:abcDEF+/123"));
        assert!(!e.invalid_user);
        assert!(e.message.starts_with("Accepted publickey for ec2-user"));
    }

    #[test]
    fn every_line_the_simulator_writes_parses() {
        // The formats of crates/sim/src/hostlogs.rs, outcome by outcome.
        let stamp = "Nov  3 05:13:14 ip-10-40-16-11";
        let fp = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE";
        let cases: Vec<(String, Option<EventKind>)> = vec![
            (
                format!("{stamp} sshd[4242]: Invalid user admin from 203.0.113.9 port 40022"),
                Some(EventKind::InvalidUser),
            ),
            (
                format!("{stamp} sshd[4242]: pam_unix(sshd:auth): check pass; user unknown"),
                None,
            ),
            (
                format!(
                    "{stamp} sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 40022 ssh2"
                ),
                Some(EventKind::Failed),
            ),
            (
                format!(
                    "{stamp} sshd[4242]: Connection closed by invalid user admin 203.0.113.9 port 40022 [preauth]"
                ),
                Some(EventKind::ConnectionClosed),
            ),
            (
                format!(
                    "{stamp} sshd[4242]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root"
                ),
                Some(EventKind::PamAuthFailure),
            ),
            (
                format!(
                    "{stamp} sshd[4242]: Failed password for root from 203.0.113.9 port 40022 ssh2"
                ),
                Some(EventKind::Failed),
            ),
            (
                format!(
                    "{stamp} sshd[4242]: Connection closed by authenticating user root 203.0.113.9 port 40022 [preauth]"
                ),
                Some(EventKind::ConnectionClosed),
            ),
            (
                format!(
                    "{stamp} sshd[4242]: Accepted password for ec2-user from 10.40.1.5 port 50000 ssh2"
                ),
                Some(EventKind::Accepted),
            ),
            (
                format!(
                    "{stamp} sshd[4242]: pam_unix(sshd:session): session opened for user ec2-user(uid=1001) by (uid=0)"
                ),
                Some(EventKind::SessionOpened),
            ),
            (
                format!(
                    "{stamp} sshd[4242]: AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys ec2-user SHA256:{fp} failed, status 22"
                ),
                Some(EventKind::InstanceConnectKey),
            ),
            (
                format!(
                    "{stamp} sshd[4242]: Accepted publickey for ec2-user from 10.40.1.5 port 50000 ssh2: ED25519 SHA256:{fp}"
                ),
                Some(EventKind::Accepted),
            ),
            (
                format!(
                    "{stamp} sshd[4242]: pam_unix(sshd:session): session opened for user ec2-user(uid=1000) by (uid=0)"
                ),
                Some(EventKind::SessionOpened),
            ),
            (
                format!(
                    "{stamp} sshd[4242]: Accepted publickey for ec2-user from 10.40.1.5 port 50000 ssh2: RSA SHA256:{fp}"
                ),
                Some(EventKind::Accepted),
            ),
        ];
        for (line, want) in &cases {
            let mut context = context();
            match (parse_line(line, &mut context), want) {
                (Parsed::Event(e), Some(kind)) => {
                    assert_eq!(e.event, *kind, "{line}");
                    assert_eq!(e.host.as_deref(), Some("ip-10-40-16-11"));
                    assert_eq!(e.pid, Some(4242));
                    assert_eq!(e.time_ms, 1_793_682_794_000, "{line}");
                }
                (Parsed::Other, None) => {}
                (got, _) => panic!("{line}: {got:?}"),
            }
        }
        let eic = event(&cases[9].0);
        assert_eq!(eic.user.as_deref(), Some("ec2-user"));
        assert_eq!(eic.key_fingerprint, Some(format!("SHA256:{fp}")));
        let accepted = event(&cases[10].0);
        assert_eq!(accepted.key_fingerprint, eic.key_fingerprint);
        assert_eq!(accepted.key_type.as_deref(), Some("ED25519"));
        let failed = event(&cases[2].0);
        assert!(failed.invalid_user);
        assert_eq!(failed.user.as_deref(), Some("admin"));
        let closed = event(&cases[3].0);
        assert!(closed.invalid_user);
        assert_eq!(closed.user.as_deref(), Some("admin"));
        assert_eq!(closed.source_port, Some(40022));
        let pam = event(&cases[4].0);
        assert_eq!(pam.user.as_deref(), Some("root"));
        assert_eq!(pam.source_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(pam.tty.as_deref(), Some("ssh"));
        let session = event(&cases[8].0);
        assert_eq!(session.user.as_deref(), Some("ec2-user"));
        assert_eq!(session.by_user, None);
    }

    #[test]
    fn rfc3164_days_padded_or_not() {
        for line in [
            "Nov 3 10:43:01 h sshd[1]: Invalid user a from 1.2.3.4",
            "Nov  3 10:43:01 h sshd[1]: Invalid user a from 1.2.3.4",
            "Nov 03 10:43:01 h sshd[1]: Invalid user a from 1.2.3.4",
        ] {
            assert_eq!(event(line).time_ms, NOV_23 - 20 * MS_PER_DAY, "{line}");
        }
        // A fraction of a second, as syslog-ng can write.
        assert_eq!(
            event("Nov 23 10:43:01.250 h sshd[1]: Invalid user a from 1.2.3.4").time_ms,
            NOV_23 + 250
        );
        assert!(is_malformed("Nov 32 10:43:01 h sshd[1]: x"));
        assert!(is_malformed("Nov 23 24:43:01 h sshd[1]: x"));
        assert!(is_malformed("Foo 23 10:43:01 h sshd[1]: x"));
    }

    #[test]
    fn a_file_crossing_new_year_moves_to_the_next_year() {
        let mut context = LineContext::new(None, 2026);
        let dec = event_in(
            "Dec 31 23:59:59 h sshd[1]: Invalid user a from 1.2.3.4",
            &mut context,
        );
        assert_eq!(dec.time_ms, 1_798_761_599_000);
        let jan = event_in(
            "Jan  1 00:00:05 h sshd[1]: Invalid user a from 1.2.3.4",
            &mut context,
        );
        assert_eq!(jan.time_ms, 1_798_761_605_000);
        assert_eq!(context.year(), 2027);
        // A late December line is put in 2026 and does not count a second new year.
        let late = event_in(
            "Dec 31 23:59:59 h sshd[1]: Invalid user a from 1.2.3.4",
            &mut context,
        );
        assert_eq!(late.time_ms, 1_798_761_599_000);
        let jan_again = event_in(
            "Jan  1 00:00:05 h sshd[1]: Invalid user a from 1.2.3.4",
            &mut context,
        );
        assert_eq!(jan_again.time_ms, 1_798_761_605_000);
        // Months moving forward within a year change nothing.
        let mut context = LineContext::new(None, 2026);
        event_in(
            "Mar  1 00:00:00 h sshd[1]: Invalid user a from 1.2.3.4",
            &mut context,
        );
        event_in(
            "Jul  1 00:00:00 h sshd[1]: Invalid user a from 1.2.3.4",
            &mut context,
        );
        assert_eq!(context.year(), 2026);
    }

    #[test]
    fn reference_month_places_a_file_begun_last_year() {
        // Modified in January 2027, first line in December: that line is 2026.
        let mut context = LineContext::new(None, 2027).with_reference_month(1);
        let dec = event_in(
            "Dec 31 23:59:59 h sshd[1]: Invalid user a from 1.2.3.4",
            &mut context,
        );
        assert_eq!(dec.time_ms, 1_798_761_599_000);
        let jan = event_in(
            "Jan  1 00:00:05 h sshd[1]: Invalid user a from 1.2.3.4",
            &mut context,
        );
        assert_eq!(jan.time_ms, 1_798_761_605_000);
        // Years far outside the calendar are clamped, not overflowed.
        let mut far = LineContext::new(None, i64::MAX);
        assert_eq!(far.year(), 9999);
        event_in(
            "Dec 31 23:59:59 h sshd[1]: Invalid user a from 1.2.3.4",
            &mut far,
        );
        event_in(
            "Jan  1 00:00:05 h sshd[1]: Invalid user a from 1.2.3.4",
            &mut far,
        );
        assert_eq!(far.year(), 9999);
    }

    #[test]
    fn rfc5424_lines() {
        let e = event(
            "<38>1 2026-11-23T10:43:01.123456+00:00 ip-10-40-16-11 sshd 1234 - - Accepted password for bob from 10.0.0.5 port 2222 ssh2",
        );
        assert_eq!(e.time_ms, NOV_23 + 123);
        assert_eq!(e.host.as_deref(), Some("ip-10-40-16-11"));
        assert_eq!((e.program.as_str(), e.pid), ("sshd", Some(1234)));
        assert_eq!(e.user.as_deref(), Some("bob"));
        // Structured data with escapes, a BOM before the message, a nil host.
        let e = event(
            "<86>1 2026-11-23T12:43:01+02:00 - sshd - auth [origin ip=\"10.0.0.1\" note=\"a \\\"quoted\\] ]\"][meta x=\"1\"] \u{feff}Invalid user eve from 192.0.2.1 port 1",
        );
        assert_eq!(e.time_ms, NOV_23);
        assert_eq!(e.host.as_deref(), Some("path-host"));
        assert_eq!(e.pid, None);
        assert_eq!(e.user.as_deref(), Some("eve"));
        assert_eq!(e.message, "Invalid user eve from 192.0.2.1 port 1");
        // RFC 5424 fields without PRI or version (sysklogd).
        assert_eq!(
            kind_of(
                "2026-11-23T10:43:01.021457+00:00 evse sshd 6052 - - Invalid user x from 1.2.3.4"
            ),
            Some(EventKind::InvalidUser)
        );
        assert!(is_malformed(
            "<38>1 - host sshd 1 - - Invalid user x from 1.2.3.4"
        ));
        assert!(is_malformed("<38>1 2026-11-23T10:43:01Z host sshd"));
        assert!(is_malformed(
            "<38>1 2026-11-23T10:43:01Z host sshd 1 - [unclosed x=\"y\""
        ));
        assert!(is_malformed("<38>1 yesterday host sshd 1 - - x"));
    }

    #[test]
    fn iso_stamped_lines_with_and_without_pri() {
        let e = event(
            "2026-11-23T10:43:01.123456+00:00 ip-10-40-16-11 sshd[1234]: Failed password for root from 198.51.100.7 port 4000 ssh2",
        );
        assert_eq!(e.time_ms, NOV_23 + 123);
        assert_eq!(e.event, EventKind::Failed);
        let e = event(
            "<38>2026-11-23T12:43:01+02:00 ip-10-40-16-11 sshd[1234]: Failed password for root from 198.51.100.7 port 4000 ssh2",
        );
        assert_eq!(e.time_ms, NOV_23);
        // macOS: a space for the T and an offset without its colon.
        let e = event(
            "2026-11-23 12:43:01.180218+0200 localhost sshd[67566]: Invalid user git from 185.52.1.9 port 35968",
        );
        assert_eq!(e.time_ms, NOV_23 + 180);
        assert_eq!(e.host.as_deref(), Some("localhost"));
        let e = event("<38>Nov 23 10:43:01 h sshd[9]: Invalid user git from 185.52.1.9");
        assert_eq!(e.time_ms, NOV_23);
        assert!(is_malformed("2026-11-23T10:43:01+99:00 h sshd[1]: x"));
        assert!(is_malformed("2026-13-23T10:43:01Z h sshd[1]: x"));
        let long_fraction = format!("2026-11-23T10:43:01.{} h sshd[1]: x", "1".repeat(13));
        assert!(is_malformed(&long_fraction));
    }

    #[test]
    fn other_framings_syslog_daemons_write() {
        // busybox: facility.level between host and tag.
        let e =
            event("Jun 20 02:18:39 vps auth.info sshd[13482]: Invalid user admin from 192.168.2.2");
        assert_eq!(
            (e.host.as_deref(), e.program.as_str()),
            (Some("vps"), "sshd")
        );
        // busybox -S: no host.
        let e = event("May 9 11:11:17 sshd[30876]: Invalid user www from 139.59.34.17 port 51066");
        assert_eq!(e.host.as_deref(), Some("path-host"));
        assert_eq!(e.pid, Some(30876));
        // FreeBSD syslogd -v.
        let e = event("Jan  1 00:00:00 <10.5> foxtrot sshd[1234]: Invalid user admin from 1.2.3.4");
        assert_eq!(e.host.as_deref(), Some("foxtrot"));
        // socklog, with and without the program's own stamp and tag.
        for line in [
            "2015-05-27T04:31:28.10040 auth.info: May 27 04:31:28 sshd[30993]: Invalid user admin from 1.2.3.4",
            "2015-05-27T04:31:28.10040 auth.info: sshd[30993]:  Invalid user admin from 1.2.3.4",
            "2015-05-27T04:31:28.10040 auth.info: Invalid user admin from 1.2.3.4",
        ] {
            let e = event(line);
            assert_eq!(e.event, EventKind::InvalidUser, "{line}");
            assert_eq!(e.source_ip.as_deref(), Some("1.2.3.4"));
            assert_eq!(e.message, "Invalid user admin from 1.2.3.4");
        }
        // rsyslog without the colon after the tag; a full path as the tag.
        let e = event(
            "2020-05-29T11:28:56.058908+02:00 bastion sshd[20974] error: PAM: Authentication error for illegal user plop from 10.11.12.13",
        );
        assert_eq!(e.event, EventKind::PamAuthFailure);
        assert!(e.invalid_user);
        let e = event("Nov 23 10:43:01 h /usr/sbin/sshd[7]: Invalid user x from 1.2.3.4");
        assert_eq!(e.program, "sshd");
        // daemontools: no host, no tag.
        let e = event(
            "2018-06-26 13:22:02.108781500 Failed password for woold from 10.10.10.76 port 34718 ssh2",
        );
        assert_eq!(e.program, "");
        assert_eq!(e.user.as_deref(), Some("woold"));
    }

    #[test]
    fn journal_entries() {
        let context = context();
        let got = parse_journal(
            Some(1_795_430_581_123_456),
            Some("ip-10-40-16-11"),
            Some("sshd-session"),
            Some(77),
            "Accepted publickey for ubuntu from 13.233.177.5 port 60412 ssh2: ED25519 SHA256:2DwI8bBRHTBQ",
            &context,
        );
        let Parsed::Event(e) = got else {
            panic!("{got:?}")
        };
        assert_eq!(e.time_ms, NOV_23 + 123);
        assert_eq!(e.program, "sshd-session");
        assert_eq!(e.pid, Some(77));
        assert_eq!(e.host.as_deref(), Some("ip-10-40-16-11"));
        let Parsed::Event(e) = parse_journal(
            Some(0),
            None,
            Some("sudo"),
            None,
            "ec2-user : TTY=pts/0 ; PWD=/home/ec2-user ; USER=root ; COMMAND=/bin/bash",
            &context,
        ) else {
            panic!("sudo")
        };
        assert_eq!(e.host.as_deref(), Some("path-host"));
        assert_eq!(e.event, EventKind::Sudo);
        assert!(matches!(
            parse_journal(
                None,
                None,
                Some("sshd"),
                None,
                "Invalid user x from 1.2.3.4",
                &context
            ),
            Parsed::Malformed(_)
        ));
        assert_eq!(
            parse_journal(
                Some(0),
                None,
                Some("systemd"),
                Some(1),
                "Started Session 1.",
                &context
            ),
            Parsed::Other
        );
        // A journald JSON line given to the line parser says where it belongs.
        assert!(is_malformed(
            r#"{"__REALTIME_TIMESTAMP":"1","MESSAGE":"x"}"#
        ));
    }

    #[test]
    fn ipv6_with_zone_id_and_mapped_ipv4() {
        let e = sshd_event(
            "Failed password for root from 2001:DB8::A11:beef:7ac0%enp3s0 port 14423 ssh2",
        );
        assert_eq!(e.source_ip.as_deref(), Some("2001:db8::a11:beef:7ac0"));
        assert_eq!(e.source_port, Some(14423));
        let e = sshd_event("Invalid user x from ::ffff:1.2.3.4 port 5");
        assert_eq!(e.source_ip.as_deref(), Some("::ffff:1.2.3.4"));
        let e =
            sshd_event("Received disconnect from 2001:db8::a11:beef:7ac0: 11: Bye Bye [preauth]");
        assert_eq!(e.source_ip.as_deref(), Some("2001:db8::a11:beef:7ac0"));
        assert_eq!(e.event, EventKind::Disconnect);
    }

    #[test]
    fn preauth_and_net_marks_are_dropped() {
        let e = sshd_event(
            "Connection closed by authenticating user root 192.168.7.7 port 42728 [preauth]",
        );
        assert_eq!(e.event, EventKind::ConnectionClosed);
        assert_eq!(e.user.as_deref(), Some("root"));
        assert_eq!(e.source_port, Some(42728));
        let e = sshd_event("Connection closed by 66.240.236.119 [preauth]");
        assert_eq!(e.source_ip.as_deref(), Some("66.240.236.119"));
        assert_eq!(e.source_port, None);
        let e = sshd_event("Disconnected from invalid user support 1.2.3.4 port 56636 [net]");
        assert!(e.invalid_user);
        assert_eq!(e.user.as_deref(), Some("support"));
        assert_eq!(
            e.message,
            "Disconnected from invalid user support 1.2.3.4 port 56636 [net]"
        );
    }

    #[test]
    fn empty_and_odd_user_names() {
        let e = sshd_event("Invalid user  from 1.2.3.4 port 22");
        assert_eq!(e.user.as_deref(), Some(""));
        assert_eq!(e.source_ip.as_deref(), Some("1.2.3.4"));
        let e = sshd_event("Failed none for invalid user  from 1.2.3.4 port 22 ssh2");
        assert_eq!(e.user.as_deref(), Some(""));
        assert!(e.invalid_user);
        // A user name holding ` from <address>`: the last address is the peer.
        let e = sshd_event(
            "Failed password for invalid user a from 9.9.9.9 port 1 from 1.2.3.4 port 22 ssh2",
        );
        assert_eq!(e.user.as_deref(), Some("a from 9.9.9.9 port 1"));
        assert_eq!(e.source_ip.as_deref(), Some("1.2.3.4"));
        let e = sshd_event(
            "Connection closed by invalid user a b 9.9.9.9 port 1 1.2.3.4 port 22 [preauth]",
        );
        assert_eq!(e.user.as_deref(), Some("a b 9.9.9.9 port 1"));
        assert_eq!(e.source_ip.as_deref(), Some("1.2.3.4"));
        let e = sshd_event("Invalid user from from 1.2.3.4");
        assert_eq!(e.user.as_deref(), Some("from"));
    }

    #[test]
    fn multibyte_text() {
        let e = sshd_event("Invalid user jürgen日本🦀 from 1.2.3.4 port 22");
        assert_eq!(e.user.as_deref(), Some("jürgen日本🦀"));
        let e = event(
            "Nov 23 10:43:01 hôte-é sshd[1]: Accepted password for ñandú from 10.0.0.1 port 2 ssh2",
        );
        assert_eq!(e.host.as_deref(), Some("hôte-é"));
        assert_eq!(e.user.as_deref(), Some("ñandú"));
        // Multibyte characters where fields are cut are no time and no panic.
        assert!(is_malformed("Nové 23 10:43:01 h sshd[1]: x"));
        assert!(is_malformed("2026-11-2é10:43:01Z h sshd[1]: x"));
        assert!(is_malformed("Nov 23 10:4é:01 h sshd[1]: x"));
        assert_eq!(
            parse_line(
                "Nov 23 10:43:01 h sshd[1]: Disconnecting invalid user é",
                &mut context()
            ),
            Parsed::Other
        );
    }

    #[test]
    fn truncated_lines() {
        assert!(is_malformed("Nov 23 10:4"));
        assert!(is_malformed("Nov 23 10:43:01"));
        assert!(is_malformed("Nov 23 10:43:01 ip-10-40-16-11"));
        assert!(is_malformed("2026-11-23T10:43:01.123456+00:00 "));
        assert!(is_malformed("<38>1 2026-11-23T10:43:01Z host sshd 1"));
        // The event cannot be told: problems for the report.
        assert!(is_malformed(
            "Nov 23 10:43:01 ip-10-40-16-11 sshd[1234]: Accepted publickey for ec2-user from 10.40"
        ));
        assert!(is_malformed(
            "Nov 23 10:43:01 ip-10-40-16-11 sshd[1234]: Invalid user x fro"
        ));
        // A message that was cut before it said anything is a well-formed line of nothing.
        assert_eq!(
            parse_line(
                "Nov 23 10:43:01 ip-10-40-16-11 sshd[1234]: Acc",
                &mut context()
            ),
            Parsed::Other
        );
        assert_eq!(
            parse_line("Nov 23 10:43:01 ip-10-40-16-11 sshd[1234]:", &mut context()),
            Parsed::Other
        );
    }

    #[test]
    fn garbage_is_malformed() {
        for line in [
            "",
            "   ",
            "hello world",
            "\u{0}\u{1}\u{2}",
            "10.42.42.54 - - [19/Apr/1943:03:14:15 +0000] \"GET / HTTP/1.1\" 301 200",
            "type=SYSCALL msg=audit(1.000:1): arch=c000003e",
            "<999>Nov 23 10:43:01 h sshd[1]: x",
            "<38>",
            "[",
            "{",
        ] {
            assert!(is_malformed(line), "{line:?}");
        }
    }

    #[test]
    fn well_formed_lines_that_are_no_auth_event_are_other() {
        for line in [
            "Nov 23 10:43:01 h CRON[123]: (root) CMD (run-parts /etc/cron.hourly)",
            "Nov 23 10:43:01 h systemd[1]: Started Session 3 of User ec2-user.",
            "Nov 23 10:43:01 h sshd[880]: Server listening on 0.0.0.0 port 22.",
            "Nov 23 10:43:01 h sshd[880]: Received signal 15; terminating.",
            "Nov 23 10:43:01 h sshd[880]: pam_unix(sshd:auth): check pass; user unknown",
            "Nov 23 10:43:01 h sshd[880]: Failed to release session: Interrupted system call",
            "Nov 23 10:43:01 h sshd[880]: Connection closed by remote host",
            "Nov 23 10:43:01 h sshd[880]: AuthorizedKeysCommand /usr/bin/other x y failed, status 1",
            "Nov 23 10:43:01 h crond[5]: pam_unix(crond:session): session opened for user root by (uid=0)",
            "Nov 23 10:43:01 h systemd[5]: pam_unix(systemd-user:session): session opened for user ec2-user(uid=1000) by ec2-user(uid=0)",
            "Nov 23 10:43:01 h dropbear[1773]: Bad password attempt for 'root' from ::ffff:1.2.3.4:55990",
            "Nov 23 10:43:01 h kernel: Linux version 6.1",
            "Nov 23 10:43:01 h last message repeated 3 times",
            "Nov 23 10:43:01 h cron[1]: ec2-user : TTY=pts/0 ; USER=root ; COMMAND=/bin/sh",
            "2026-11-23T10:43:01Z h rsyslogd: [origin software=\"rsyslogd\"] start",
        ] {
            assert_eq!(parse_line(line, &mut context()), Parsed::Other, "{line}");
        }
    }

    #[test]
    fn huge_lines() {
        let long_user = "u".repeat(MAX_LINE_BYTES);
        let line = format!("Nov 23 10:43:01 h sshd[1]: Invalid user {long_user} from 1.2.3.4");
        assert!(is_malformed(&line));
        assert!(matches!(
            parse_journal(Some(0), None, Some("sshd"), None, &line, &context()),
            Parsed::Malformed(_)
        ));
        // Just under the limit, and full of would-be addresses: still parsed, in linear time.
        let many = " from 1.2.3.4 port 22".repeat(2900);
        let line = format!("Nov 23 10:43:01 h sshd[1]: Invalid user x{many} from 5.6.7.8 port 9");
        assert!(line.len() <= MAX_LINE_BYTES);
        assert_eq!(event(&line).source_ip.as_deref(), Some("5.6.7.8"));
        let many = " 1.2.3.4 port 22".repeat(3900);
        let line = format!(
            "Nov 23 10:43:01 h sshd[1]: Connection closed by invalid user x{many} [preauth]"
        );
        assert!(line.len() <= MAX_LINE_BYTES);
        assert_eq!(event(&line).source_port, Some(22));
        // Trailing blanks are trimmed, leaving a message that is no event.
        let spaces = format!(
            "Nov 23 10:43:01 h sshd[1]: Invalid user{}",
            " ".repeat(60_000)
        );
        assert_eq!(parse_line(&spaces, &mut context()), Parsed::Other);
    }

    #[test]
    fn pam_auth_failures() {
        let e = sshd_event(
            "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=218.92.0.1  user=root",
        );
        assert_eq!(e.event, EventKind::PamAuthFailure);
        assert_eq!(e.user.as_deref(), Some("root"));
        assert_eq!(e.source_ip.as_deref(), Some("218.92.0.1"));
        let e = sshd_event(
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=scanner.example.net",
        );
        assert_eq!(e.source_host.as_deref(), Some("scanner.example.net"));
        assert_eq!(e.user, None);
        let e = event(
            "Nov 23 10:43:01 h sudo[5]: pam_unix(sudo:auth): authentication failure; logname=ec2-user uid=1000 euid=0 tty=/dev/pts/0 ruser=ec2-user rhost=  user=ec2-user",
        );
        assert_eq!(
            (e.program.as_str(), e.event),
            ("sudo", EventKind::PamAuthFailure)
        );
        assert_eq!(e.source_ip, None);
        let e = sshd_event(
            "error: PAM: authentication failure for mario from 2001:db8::a11:beef:7ac0%vbr1",
        );
        assert_eq!(e.user.as_deref(), Some("mario"));
        assert_eq!(e.source_ip.as_deref(), Some("2001:db8::a11:beef:7ac0"));
        let e = sshd_event("error: PAM: unknown user for illegal user mario from 6.6.6.6");
        assert!(e.invalid_user);
    }

    #[test]
    fn sessions() {
        let e = sshd_event("pam_unix(sshd:session): session closed for user ec2-user");
        assert_eq!(
            (e.event, e.user.as_deref()),
            (EventKind::SessionClosed, Some("ec2-user"))
        );
        let e = event(
            "Nov 23 10:43:01 h sudo[5]: pam_unix(sudo:session): session opened for user root(uid=0) by ec2-user(uid=1000)",
        );
        assert_eq!(e.event, EventKind::SessionOpened);
        assert_eq!(e.program, "sudo");
        assert_eq!(e.user.as_deref(), Some("root"));
        assert_eq!(e.by_user.as_deref(), Some("ec2-user"));
        let e = event(
            "Nov 23 10:43:01 h su[5]: pam_unix(su-l:session): session opened for user root by ec2-user(uid=1000)",
        );
        assert_eq!(
            (e.user.as_deref(), e.by_user.as_deref()),
            (Some("root"), Some("ec2-user"))
        );
        let e = sshd_event("pam_unix(sshd:session): session opened for user alice by (uid=0)");
        assert_eq!((e.user.as_deref(), e.by_user), (Some("alice"), None));
        let e = event("Nov 23 10:43:01 h systemd-logind[600]: New session 3 of user ec2-user.");
        assert_eq!(
            (e.event, e.user.as_deref()),
            (EventKind::SessionOpened, Some("ec2-user"))
        );
        assert_eq!(
            kind_of("Nov 23 10:43:01 h systemd-logind[600]: Removed session 3."),
            Some(EventKind::SessionClosed)
        );
    }

    #[test]
    fn sudo_lines() {
        let e = event(
            "Nov 23 10:43:01 h sudo[9]:  ec2-user : TTY=pts/0 ; PWD=/home/ec2-user ; USER=root ; COMMAND=/bin/bash",
        );
        assert_eq!(e.event, EventKind::Sudo);
        assert_eq!(e.user.as_deref(), Some("ec2-user"));
        assert_eq!(e.target_user.as_deref(), Some("root"));
        assert_eq!(e.tty.as_deref(), Some("pts/0"));
        assert_eq!(e.command.as_deref(), Some("/bin/bash"));
        let e = event(
            "Nov 23 10:43:01 h sudo[9]: ec2-user : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh -c echo a ; echo b",
        );
        assert_eq!(e.command.as_deref(), Some("/bin/sh -c echo a ; echo b"));
        let e = event(
            "Nov 23 10:43:01 h sudo[9]: ec2-user : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/ec2-user ; USER=root ; COMMAND=/usr/bin/id",
        );
        assert_eq!(e.event, EventKind::SudoFailure);
        assert_eq!(e.command.as_deref(), Some("/usr/bin/id"));
        let e = event(
            "Nov 23 10:43:01 h sudo[9]:      bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/ls",
        );
        assert_eq!(
            (e.event, e.user.as_deref()),
            (EventKind::SudoFailure, Some("bob"))
        );
        assert_eq!(
            parse_line(
                "Nov 23 10:43:01 h sudo[9]: ec2-user : unable to resolve host x",
                &mut context()
            ),
            Parsed::Other
        );
    }

    #[test]
    fn su_lines() {
        let e = event("Nov 23 10:43:01 h su[77]: (to root) ec2-user on pts/0");
        assert_eq!(e.event, EventKind::Su);
        assert_eq!(
            (e.user.as_deref(), e.target_user.as_deref()),
            (Some("ec2-user"), Some("root"))
        );
        assert_eq!(e.tty.as_deref(), Some("pts/0"));
        let e = event("Nov 23 10:43:01 h su[77]: FAILED SU (to root) ec2-user on pts/0");
        assert_eq!(e.event, EventKind::SuFailure);
        let e = event("Nov 23 10:43:01 h su[77]: Successful su for root by ec2-user");
        assert_eq!(
            (e.event, e.user.as_deref()),
            (EventKind::Su, Some("ec2-user"))
        );
        let e = event("Nov 23 10:43:01 h su[77]: FAILED su for root by mallory");
        assert_eq!(
            (e.event, e.target_user.as_deref()),
            (EventKind::SuFailure, Some("root"))
        );
    }

    #[test]
    fn account_changes() {
        let e = event(
            "Nov 23 10:43:01 h useradd[88]: new user: name=backup2, UID=1001, GID=1001, home=/home/backup2, shell=/bin/bash, from=/dev/pts/0",
        );
        assert_eq!(e.event, EventKind::UserAdded);
        assert_eq!(e.target_user.as_deref(), Some("backup2"));
        assert_eq!(e.tty.as_deref(), Some("/dev/pts/0"));
        let e = event("Nov 23 10:43:01 h groupadd[88]: new group: name=ops, GID=1002");
        assert_eq!(
            (e.event, e.group.as_deref()),
            (EventKind::GroupAdded, Some("ops"))
        );
        let e = event("Nov 23 10:43:01 h usermod[88]: add 'backup2' to group 'wheel'");
        assert_eq!(e.event, EventKind::UserModified);
        assert_eq!(
            (e.target_user.as_deref(), e.group.as_deref()),
            (Some("backup2"), Some("wheel"))
        );
        assert_eq!(
            parse_line(
                "Nov 23 10:43:01 h usermod[88]: add 'backup2' to shadow group 'wheel'",
                &mut context()
            ),
            Parsed::Other
        );
        let e = event("Nov 23 10:43:01 h userdel[88]: delete user 'backup2'");
        assert_eq!(
            (e.event, e.target_user.as_deref()),
            (EventKind::UserDeleted, Some("backup2"))
        );
        let e = event(
            "Nov 23 10:43:01 h passwd[88]: pam_unix(passwd:chauthtok): password changed for backup2",
        );
        assert_eq!(
            (e.event, e.target_user.as_deref()),
            (EventKind::PasswordChanged, Some("backup2"))
        );
        let e = event("Nov 23 10:43:01 h usermod[88]: change user 'backup2' password");
        assert_eq!(e.event, EventKind::PasswordChanged);
        let e = event(
            "Nov 23 10:43:01 h usermod[88]: change user 'backup2' shell from '/sbin/nologin' to '/bin/bash'",
        );
        assert_eq!(e.event, EventKind::UserModified);
        let e = event("Nov 23 10:43:01 h usermod[88]: lock user 'backup2' password");
        assert_eq!(e.event, EventKind::UserModified);
        let e = event("Nov 23 10:43:01 h gpasswd[88]: user backup2 added by root to group docker");
        assert_eq!(
            (
                e.target_user.as_deref(),
                e.by_user.as_deref(),
                e.group.as_deref()
            ),
            (Some("backup2"), Some("root"), Some("docker"))
        );
    }

    #[test]
    fn instance_connect() {
        let e = event(
            "Mar 04 08:15:38 ip-172-31-14-140 ec2-instance-connect[1172]: Querying EC2 Instance Connect keys for matching fingerprint: SHA256:0WD8o0mYXF6Wq6fY4Z74OhiqZly+SsbN9MILkMrQt5I",
        );
        assert_eq!(e.event, EventKind::InstanceConnectKey);
        assert_eq!(e.program, "ec2-instance-connect");
        assert_eq!(
            e.key_fingerprint.as_deref(),
            Some("SHA256:0WD8o0mYXF6Wq6fY4Z74OhiqZly+SsbN9MILkMrQt5I")
        );
        let e = event(
            "Mar 04 08:15:38 ip-172-31-14-140 aws-ec2-instance-connect[1204]: Providing ssh key from EC2 Instance Connect with fingerprint: SHA256:0WD8o0mYXF6Wq6fY4Z74OhiqZly+SsbN9MILkMrQt5I., request-id: cf080e47-e406-4a35-a16b-1234, for IAM principal: arn:aws:iam::123456789012:user/alice",
        );
        assert_eq!(
            e.key_fingerprint.as_deref(),
            Some("SHA256:0WD8o0mYXF6Wq6fY4Z74OhiqZly+SsbN9MILkMrQt5I")
        );
        assert_eq!(
            e.request_id.as_deref(),
            Some("cf080e47-e406-4a35-a16b-1234")
        );
        assert_eq!(
            e.principal.as_deref(),
            Some("arn:aws:iam::123456789012:user/alice")
        );
        // journalctl's cut-off display of the same line still gives the key.
        let e = event(
            "Mar 04 08:15:38 h ec2-instance-connect[1204]: Providing ssh key from EC2 Instance Connect with fingerprint: SHA256:0WD8o0mYXF6Wq6fY4Z7>",
        );
        assert_eq!(e.request_id, None);
    }

    #[test]
    fn sshguard_style_sshd_events() {
        let cases = [
            (
                "ROOT LOGIN REFUSED FROM 6.6.6.0 port 14423 [preauth]",
                EventKind::RootLoginRefused,
                "6.6.6.0",
            ),
            (
                "User mario from 2001:db8::a11:beef:7ac0%lo not allowed because XYZ",
                EventKind::NotAllowed,
                "2001:db8::a11:beef:7ac0",
            ),
            (
                "fatal: Unable to negotiate with 6.6.6.6 port 2222: no matching key exchange method found. Their offer: diffie-hellman-group14-sha1",
                EventKind::NegotiationFailed,
                "6.6.6.6",
            ),
            (
                "Unable to negotiate with 6.6.6.7 port 2222: no matching host key type found [preauth]",
                EventKind::NegotiationFailed,
                "6.6.6.7",
            ),
            (
                "ssh_dispatch_run_fatal: Connection from authenticating user root 6.6.6.8 port 2: message authentication code incorrect [preauth]",
                EventKind::NegotiationFailed,
                "6.6.6.8",
            ),
            (
                "Did not receive identification string from 5.20.95.202 port 56452",
                EventKind::BannerError,
                "5.20.95.202",
            ),
            (
                "Bad protocol version identification 'x from 9.9.9.9' from 6.6.6.0",
                EventKind::BannerError,
                "6.6.6.0",
            ),
            (
                "banner exchange: Connection from 6.6.6.0 port 65403: invalid format",
                EventKind::BannerError,
                "6.6.6.0",
            ),
            (
                "error: maximum authentication attempts exceeded for invalid user admin from 117.81.26.226 port 4919 ssh2 [preauth]",
                EventKind::TooManyFailures,
                "117.81.26.226",
            ),
            (
                "Disconnecting authenticating user root 1.2.3.4 port 5: Too many authentication failures [preauth]",
                EventKind::TooManyFailures,
                "1.2.3.4",
            ),
            (
                "Disconnecting invalid user user 10.42.42.42 port 38987: Change of username or service not allowed: (user,ssh-connection) -> (manager,ssh-connection) [preauth]",
                EventKind::Disconnect,
                "10.42.42.42",
            ),
            (
                "Received disconnect from 1.2.3.4 port 60058:11: disconnected by user",
                EventKind::Disconnect,
                "1.2.3.4",
            ),
            (
                "Disconnected from user ec2-user 10.0.0.8 port 50000",
                EventKind::Disconnect,
                "10.0.0.8",
            ),
            (
                "Connection reset by invalid user username 1.2.3.4 port 55895 [preauth]",
                EventKind::ConnectionClosed,
                "1.2.3.4",
            ),
            (
                "Timeout before authentication for connection from 1.2.3.4 to 192.168.0.2, pid = 35557",
                EventKind::LoginTimeout,
                "1.2.3.4",
            ),
            (
                "Timeout before authentication for 1.2.3.5 port 22",
                EventKind::LoginTimeout,
                "1.2.3.5",
            ),
            (
                "drop connection #0 from [1.2.3.4]:48602 on [1.1.1.1]:22 penalty: exceeded LoginGraceTime",
                EventKind::ConnectionDropped,
                "1.2.3.4",
            ),
        ];
        for (message, kind, ip) in cases {
            let e = sshd_event(message);
            assert_eq!(
                (e.event, e.source_ip.as_deref()),
                (kind, Some(ip)),
                "{message}"
            );
        }
        let e =
            sshd_event("drop connection #0 from [1.2.3.4]:48602 on [1.1.1.1]:22 past MaxStartups");
        assert_eq!(e.source_port, Some(48602));
        let e = sshd_event("Disconnecting: Too many authentication failures [preauth]");
        assert_eq!((e.event, e.source_ip), (EventKind::TooManyFailures, None));
        let e = sshd_event(
            "Accepted publickey for ci from 10.1.1.1 port 22 ssh2: RSA-CERT SHA256:abc ID ci (serial 7) CA ED25519 SHA256:def",
        );
        assert_eq!(
            (e.key_type.as_deref(), e.key_fingerprint.as_deref()),
            (Some("RSA-CERT"), Some("SHA256:abc"))
        );
    }

    #[test]
    fn event_kind_names_are_distinct_snake_case() {
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
        assert_eq!(EventKind::InstanceConnectKey.name(), "instance_connect_key");
    }

    /// A small deterministic generator, so the fuzz test needs no crate and fails reproducibly.
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
    fn arbitrary_input_never_panics() {
        const PIECES: &[&str] = &[
            "Nov",
            "Dec",
            "Jan",
            " ",
            "  ",
            "23",
            "3",
            "10:43:01",
            ".123",
            "2026-11-23T10:43:01.123456+00:00",
            "2026-11-23 10:43:01",
            "+0200",
            "+02",
            "Z",
            "<38>",
            "<38>1 ",
            "1 ",
            "-",
            "[",
            "]",
            "\"",
            "\\",
            ":",
            ": ",
            "[1234]",
            "[",
            "sshd",
            "sshd-session",
            "sudo",
            "su",
            "host",
            "ip-10-40-16-11",
            "Accepted ",
            "Failed ",
            "password ",
            "publickey ",
            "for ",
            "invalid user ",
            "from ",
            " from ",
            " port ",
            "22",
            "1.2.3.4",
            "2001:db8::1%eth0",
            "[1.2.3.4]:22",
            "::ffff:1.2.3.4",
            "1.2.3.4:",
            " ssh2",
            "ssh2: RSA SHA256:abc",
            " [preauth]",
            "pam_unix(sshd:auth): ",
            "pam_unix(sudo:session): ",
            "pam_x(",
            "):",
            "session opened for user ",
            "(uid=0)",
            "(uid=",
            " by ",
            "authentication failure; ",
            "rhost=",
            "user=",
            " ; ",
            " : ",
            "TTY=pts/0",
            "USER=root",
            "COMMAND=/bin/sh",
            "(to root) ",
            "(to ",
            ") ",
            " on ",
            "new user: ",
            "new group: ",
            "name=x, ",
            "add '",
            "' to group '",
            "'",
            "delete '",
            "change user '",
            "user x added by ",
            "Disconnecting",
            "Disconnected from ",
            "Connection closed by ",
            "authenticating user ",
            "drop connection #0 from ",
            "PAM: ",
            "PAM 2 more authentication failures; ",
            "AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys ",
            "Querying EC2 Instance Connect keys for matching fingerprint: ",
            "Providing ssh key from EC2 Instance Connect with fingerprint: ",
            "request-id: ",
            "for IAM principal: ",
            "é",
            "日本",
            "🦀",
            "\u{feff}",
            "\t",
            "\0",
            "{",
            "%",
            ".",
            ",",
            "auth.info",
            "auth.info:",
            "<10.5>",
            "ROOT LOGIN REFUSED FROM ",
            "User ",
            " not allowed because ",
            "Invalid user ",
            "Received disconnect from ",
            "Timeout before authentication for ",
            "maximum authentication attempts exceeded for ",
            "New session ",
            " of user ",
            "Removed session ",
            "\r",
            "\n",
        ];
        const CHARS: &[char] = &[
            'a', 'Z', '0', '9', ' ', ':', '[', ']', '<', '>', '.', '-', '\'', '"', 'é', 'ß', '日',
            '🦀', '\u{0}', '\u{7f}', '\u{feff}',
        ];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut events = 0;
        for round in 0..20_000 {
            let mut text = String::new();
            if round % 4 == 0 {
                // Raw bytes, made text the way a reader of an unknown file would.
                let bytes: Vec<u8> = (0..rng.below(120)).map(|_| rng.next() as u8).collect();
                text = String::from_utf8_lossy(&bytes).into_owned();
            } else {
                for _ in 0..rng.below(30) {
                    if rng.below(3) == 0 {
                        text.push(CHARS[rng.below(CHARS.len())]);
                    } else {
                        text.push_str(PIECES[rng.below(PIECES.len())]);
                    }
                }
                // Half the lines get a real stamp and tag, to reach the message matchers.
                if round % 2 == 1 {
                    text = format!("Nov 23 10:43:01 h sshd[1]: {text}");
                }
            }
            let mut context = LineContext::new(None, 2026);
            if let Parsed::Event(event) = parse_line(&text, &mut context) {
                events += 1;
                assert!(event.message.len() <= text.len());
            }
            let _ = parse_journal(
                Some(rng.next() as i64),
                None,
                Some("sshd"),
                None,
                &text,
                &context,
            );
        }
        assert!(
            events > 100,
            "the generator should reach the matchers ({events} events)"
        );
    }

    /// The cases of sshguard's test file: each a line (a whole syslog line or only an sshd
    /// message) and the expected result (`<service> <address> <family> <weight>`, `*` for no
    /// attack, or empty when the file gives none), terminated by `M`.
    fn sshguard_cases(text: &str) -> Vec<(String, String)> {
        let mut cases = Vec::new();
        let mut line: Option<&str> = None;
        let mut expected: Option<&str> = None;
        for row in text.lines() {
            if row.starts_with('#') || row.trim().is_empty() {
                continue;
            }
            if row == "M" || row.starts_with("M ") {
                if let Some(line) = line.take() {
                    cases.push((line.to_string(), expected.take().unwrap_or("").to_string()));
                }
                expected = None;
            } else if line.is_none() {
                line = Some(row);
            } else if expected.is_none() {
                expected = Some(row);
            }
        }
        cases
    }

    /// The address of the event sshguard's case line gives, read as a whole line or, failing
    /// that, as the message of an sshd line.
    fn sshguard_event(line: &str) -> Option<SshEvent> {
        if let Parsed::Event(e) = parse_line(line, &mut context()) {
            return Some(e);
        }
        match parse_line(
            &format!("Nov 23 10:43:01 testhost sshd[1234]: {line}"),
            &mut context(),
        ) {
            Parsed::Event(e) => Some(e),
            _ => None,
        }
    }

    #[test]
    fn sshguard_test_file() {
        // The project's copy (testdata/ssh, see PROVENANCE.md).
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/ssh/sshguard_tests.txt"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let cases = sshguard_cases(&text);
        let (mut sshd, mut pam, mut failures) = (0, 0, Vec::new());
        for (line, expected) in &cases {
            let mut parts = expected.split_whitespace();
            let service = parts.next();
            // 100 is sshd; 340 is cockpit, whose cases are PAM lines.
            if !matches!(service, Some("100" | "340")) {
                continue;
            }
            let want = parts.next().and_then(ip_of).map(|ip| ip.to_string());
            let got = sshguard_event(line);
            if got.as_ref().and_then(|e| e.source_ip.clone()) == want {
                if service == Some("100") {
                    sshd += 1;
                } else {
                    pam += 1;
                }
            } else {
                failures.push(format!(
                    "{line} => {:?}, want {want:?}",
                    got.map(|e| (e.event, e.source_ip))
                ));
            }
        }
        // Lines sshguard counts as no attack must still read as syslog lines.
        for (line, expected) in &cases {
            if expected == "*" && line.contains("sshd[") {
                assert!(
                    !matches!(parse_line(line, &mut context()), Parsed::Malformed(_)),
                    "{line}"
                );
            }
        }
        eprintln!(
            "sshguard: {sshd} sshd cases and {pam} PAM cases matched, {} failed",
            failures.len()
        );
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(sshd >= 50, "only {sshd} sshd cases");
    }
}
