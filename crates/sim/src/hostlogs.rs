//! Host logs: sshd in `/var/log/secure` (RFC 3164 syslog) and auditd in
//! `/var/log/audit/audit.log`, as Amazon Linux writes them.

use crate::estate::Estate;
use crate::rng::Rng;
use eastwest_model::time::Civil;

/// Which host log a line goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFile {
    /// `/var/log/secure`.
    Secure,
    /// `/var/log/audit/audit.log`.
    Audit,
}

/// One line of a host log.
#[derive(Debug, Clone)]
pub struct HostLine {
    /// The host (index).
    pub host: usize,
    /// When, epoch ms.
    pub ms: i64,
    /// Which file.
    pub file: HostFile,
    /// The line, without its newline.
    pub text: String,
}

/// `ip-10-40-16-11`, the host name EC2 gives.
pub fn hostname(estate: &Estate, host: usize) -> String {
    format!("ip-{}", estate.hosts[host].ip.to_string().replace('.', "-"))
}

/// sshd lines for one authentication: `failed`, `invalid` (unknown user), `accepted-password`,
/// `accepted-key`, `accepted-eic` (EC2 Instance Connect key).
#[allow(clippy::too_many_arguments)]
pub fn sshd(
    estate: &Estate,
    host: usize,
    ms: i64,
    from: &str,
    port: u16,
    user: &str,
    outcome: &str,
    rng: &mut Rng,
) -> Vec<HostLine> {
    let stamp = Civil::from_ms(ms).syslog();
    let name = hostname(estate, host);
    let pid = rng.range(2000, 60000);
    let line = |text: String| HostLine {
        host,
        ms,
        file: HostFile::Secure,
        text: format!("{stamp} {name} {text}"),
    };
    let fingerprint = rng.chars(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        43,
    );
    match outcome {
        "invalid" => vec![
            line(format!(
                "sshd[{pid}]: Invalid user {user} from {from} port {port}"
            )),
            line(format!(
                "sshd[{pid}]: pam_unix(sshd:auth): check pass; user unknown"
            )),
            line(format!(
                "sshd[{pid}]: Failed password for invalid user {user} from {from} port {port} ssh2"
            )),
            line(format!(
                "sshd[{pid}]: Connection closed by invalid user {user} {from} port {port} [preauth]"
            )),
        ],
        "failed" => vec![
            line(format!(
                "sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={from}  user={user}"
            )),
            line(format!(
                "sshd[{pid}]: Failed password for {user} from {from} port {port} ssh2"
            )),
            line(format!(
                "sshd[{pid}]: Connection closed by authenticating user {user} {from} port {port} [preauth]"
            )),
        ],
        "accepted-password" => vec![
            line(format!(
                "sshd[{pid}]: Accepted password for {user} from {from} port {port} ssh2"
            )),
            line(format!(
                "sshd[{pid}]: pam_unix(sshd:session): session opened for user {user}(uid=1001) by (uid=0)"
            )),
        ],
        "accepted-eic" => vec![
            line(format!(
                "sshd[{pid}]: AuthorizedKeysCommand /opt/aws/bin/eic_run_authorized_keys ec2-user SHA256:{fingerprint} failed, status 22"
            )),
            line(format!(
                "sshd[{pid}]: Accepted publickey for {user} from {from} port {port} ssh2: ED25519 SHA256:{fingerprint}"
            )),
            line(format!(
                "sshd[{pid}]: pam_unix(sshd:session): session opened for user {user}(uid=1000) by (uid=0)"
            )),
        ],
        _ => vec![
            line(format!(
                "sshd[{pid}]: Accepted publickey for {user} from {from} port {port} ssh2: RSA SHA256:{fingerprint}"
            )),
            line(format!(
                "sshd[{pid}]: pam_unix(sshd:session): session opened for user {user}(uid=1000) by (uid=0)"
            )),
        ],
    }
}

fn audit_stamp(ms: i64, serial: u64) -> String {
    format!(
        "audit({}.{:03}:{serial})",
        ms.div_euclid(1000),
        ms.rem_euclid(1000)
    )
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02X}")).collect()
}

/// An argument as auditd records it: quoted, or hex when it has spaces, quotes or controls.
fn audit_arg(arg: &str) -> String {
    if arg.bytes().any(|b| b <= b' ' || b == b'"' || b >= 0x7f) {
        hex(arg)
    } else {
        format!("\"{arg}\"")
    }
}

/// A process execution (SYSCALL execve, EXECVE, CWD, PROCTITLE) by `uid` under `parent`.
#[allow(clippy::too_many_arguments)]
pub fn audit_exec(
    host: usize,
    ms: i64,
    uid: u32,
    parent: &str,
    parent_exe: &str,
    argv: &[&str],
    cwd: &str,
    rng: &mut Rng,
) -> Vec<HostLine> {
    let serial = rng.range(1000, 900_000) as u64;
    let stamp = audit_stamp(ms, serial);
    let (ppid, pid) = (rng.range(900, 4000), rng.range(4001, 60000));
    let comm = argv.first().copied().unwrap_or("sh");
    let exe = match comm {
        "ip" | "useradd" => format!("/usr/sbin/{comm}"),
        "sh" | "bash" => "/usr/bin/bash".to_string(),
        _ => format!("/usr/bin/{comm}"),
    };
    let auid = if uid == 0 { 1000 } else { 4294967295u32 };
    let ses = if uid == 0 { 3 } else { 4294967295u32 };
    let line = |text: String| HostLine {
        host,
        ms,
        file: HostFile::Audit,
        text,
    };
    let args: Vec<String> = argv
        .iter()
        .enumerate()
        .map(|(i, a)| format!("a{i}={}", audit_arg(a)))
        .collect();
    vec![
        line(format!(
            "type=SYSCALL msg={stamp}: arch=c000003e syscall=59 success=yes exit=0 a0=55d0c1e0 a1=55d0c200 a2=55d0c220 a3=0 items=2 ppid={ppid} pid={pid} auid={auid} uid={uid} gid={uid} euid={uid} suid={uid} fsuid={uid} egid={uid} sgid={uid} fsgid={uid} tty=(none) ses={ses} comm=\"{}\" exe=\"{exe}\" key=\"exec\"",
            &comm[..comm.len().min(15)]
        )),
        line(format!("type=EXECVE msg={stamp}: argc={} {}", argv.len(), args.join(" "))),
        line(format!("type=CWD msg={stamp}: cwd=\"{cwd}\"")),
        line(format!("type=PATH msg={stamp}: item=0 name=\"{exe}\" inode={} dev=ca:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL", rng.range(10_000, 900_000))),
        line(format!("type=PROCTITLE msg={stamp}: proctitle={}", hex(&argv.join("\0")))),
    ]
    .into_iter()
    .chain(std::iter::once(line(format!("type=SYSCALL msg={}: arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid={ppid} auid={auid} uid={uid} comm=\"{}\" exe=\"{parent_exe}\" key=(null)", audit_stamp(ms - 1, serial - 1), &parent[..parent.len().min(15)]))))
    .collect()
}

/// `useradd` adding a local account (ADD_USER).
pub fn audit_user_add(
    estate: &Estate,
    host: usize,
    ms: i64,
    user: &str,
    rng: &mut Rng,
) -> Vec<HostLine> {
    let stamp = audit_stamp(ms, rng.range(1000, 900_000) as u64);
    let name = hostname(estate, host);
    vec![HostLine {
        host,
        ms,
        file: HostFile::Audit,
        text: format!(
            "type=ADD_USER msg={stamp}: pid={} uid=0 auid=1000 ses=3 msg='op=add-user acct=\"{user}\" exe=\"/usr/sbin/useradd\" hostname={name} addr=? terminal=pts/0 res=success'",
            rng.range(4001, 60000)
        ),
    }]
}

/// A write to a watched file (an `openat` for writing, with its PATH record).
pub fn audit_write(host: usize, ms: i64, path: &str, rng: &mut Rng) -> Vec<HostLine> {
    let stamp = audit_stamp(ms, rng.range(1000, 900_000) as u64);
    let pid = rng.range(4001, 60000);
    vec![
        HostLine {
            host,
            ms,
            file: HostFile::Audit,
            text: format!(
                "type=SYSCALL msg={stamp}: arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd2a10 a2=441 a3=1b6 items=2 ppid={} pid={pid} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"tee\" exe=\"/usr/bin/tee\" key=\"ssh_keys\"",
                pid - 3
            ),
        },
        HostLine {
            host,
            ms,
            file: HostFile::Audit,
            text: format!(
                "type=PATH msg={stamp}: item=1 name=\"{path}\" inode={} dev=ca:01 mode=0100600 ouid=0 ogid=0 rdev=00:00 nametype=CREATE",
                rng.range(10_000, 900_000)
            ),
        },
    ]
}

/// Benign host activity in `[from_ms, to_ms)`: admins logging in from the bastion, cron,
/// internet scanners failing on the publicly reachable legacy box.
pub fn benign(estate: &Estate, rng: &mut Rng, from_ms: i64, to_ms: i64, out: &mut Vec<HostLine>) {
    let bastion = estate.named("bastion");
    let mut t = from_ms;
    while t < to_ms {
        let hour = t.rem_euclid(86_400_000) / 3_600_000;
        if let Some(b) = bastion
            && (8..18).contains(&hour)
            && rng.chance(0.5)
        {
            let targets: Vec<usize> = (0..estate.hosts.len())
                .filter(|&h| {
                    matches!(
                        estate.hosts[h].role,
                        crate::estate::Role::Web | crate::estate::Role::App
                    )
                })
                .collect();
            let target = *rng.pick(&targets);
            let at = t + rng.below(3_600_000) as i64;
            out.extend(sshd(
                estate,
                b,
                at,
                "198.51.100.23",
                rng.range(40000, 60000) as u16,
                "ec2-user",
                "accepted-key",
                rng,
            ));
            out.extend(sshd(
                estate,
                target,
                at + 20_000,
                &estate.hosts[b].ip.to_string(),
                rng.range(40000, 60000) as u16,
                "ec2-user",
                "accepted-key",
                rng,
            ));
            out.extend(audit_exec(
                target,
                at + 60_000,
                0,
                "sudo",
                "/usr/bin/sudo",
                &["systemctl", "restart", "app"],
                "/home/ec2-user",
                rng,
            ));
        }
        if let Some(legacy) = estate.named("legacy-tools") {
            for _ in 0..rng.poisson(2.0) {
                let at = t + rng.below(3_600_000) as i64;
                let from =
                    crate::benign::public_ip(rng, &crate::benign::HOSTILE_BLOCKS).to_string();
                let user = *rng.pick(&["root", "admin", "ubnt", "pi", "test"]);
                out.extend(sshd(
                    estate,
                    legacy,
                    at,
                    &from,
                    rng.range(30000, 60000) as u16,
                    user,
                    if user == "root" { "failed" } else { "invalid" },
                    rng,
                ));
            }
        }
        t += 3_600_000;
    }
}
