/*
id = "sensitive-file-access"
title = "{src_name}: {programs} read {files}"
description = "On {period}, on {src_name}, {programs} (uid {uids}) opened or named {n_accesses} time(s) files that hold credentials: {files}. The password hashes, private SSH keys and application secrets are read by the few programs that own them (login, sshd, the application); anything else reading them is collecting credentials to crack or to use on the next host."
attack = ["T1003.008", "T1552.004", "T1552.001"]
severity = "high"
confidence = 70
table = "process"
remediation = "Find who ran {programs} (the evidence gives uid and parent pid). If no administrator did, rotate what the files hold (passwords, the SSH key pairs, the secrets), isolate {src_name} and look for where the copies went."

[thresholds.min_accesses]
default = 1
doc = "Accesses before a finding: one read of /etc/shadow or a private key by the wrong program is enough."
*/
WITH touched AS (
  SELECT p.time, p.host, p.host_addr, p.uid, p.ppid, p.source_file, p.source_line,
         regexp_replace(coalesce(p.exe, p.comm, ''), '^.*/', '') AS program,
         p.command_line AS what
  FROM process p
  WHERE p.time >= to_timestamp_millis(${detect_from})
    AND regexp_like(coalesce(p.command_line, ''),
        '(/etc/shadow|/etc/gshadow|/etc/security/opasswd|/\.ssh/id_[a-z0-9]+([^.]|$)|/etc/ssh/ssh_host_[a-z0-9]+_key([^.]|$)|/\.aws/credentials|\.pem\b|/\.git-credentials|/\.docker/config\.json|/\.kube/config)')
  UNION ALL
  SELECT a.time, a.host, a.host_addr, a.uid, NULL AS ppid, a.source_file, a.source_line,
         regexp_replace(coalesce(a.exe, ''), '^.*/', '') AS program,
         a.path AS what
  FROM audit a
  WHERE a.time >= to_timestamp_millis(${detect_from})
    AND a.path IS NOT NULL
    AND regexp_like(a.path,
        '(/etc/shadow|/etc/gshadow|/etc/security/opasswd|/\.ssh/id_[a-z0-9]+$|/etc/ssh/ssh_host_[a-z0-9]+_key$|/\.aws/credentials$|\.pem$|/\.git-credentials$|/\.docker/config\.json$|/\.kube/config$)')
)
SELECT t.host_addr AS src_addr,
       t.host,
       concat(to_char(date_trunc('day', t.time), '%Y-%m-%d'), ' ', t.host) AS period,
       count(*) AS n_accesses,
       array_to_string(array_sort(array_agg(DISTINCT t.program)), ', ') AS programs,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT
           regexp_replace(t.what, '(?s)^.*?((/[^ /]+)*/(shadow|gshadow|opasswd|id_[a-z0-9]+|ssh_host_[a-z0-9]+_key|credentials|[^ /]+\.pem|\.git-credentials|config\.json|config)).*$', '\1'))), 1, 6), ', ') AS files,
       array_to_string(array_sort(array_agg(DISTINCT coalesce(CAST(t.uid AS VARCHAR), '?'))), ', ') AS uids,
       min(t.time) AS first_seen,
       max(t.time) AS last_seen,
       array_slice(array_agg(concat(t.source_file, chr(9), CAST(t.source_line AS VARCHAR), chr(9),
           t.program, ': ', t.what, ' (uid ', coalesce(CAST(t.uid AS VARCHAR), '?'),
           CASE WHEN t.ppid IS NULL THEN '' ELSE concat(', parent pid ', CAST(t.ppid AS VARCHAR)) END, ')')
         ORDER BY t.time), 1, 5) AS evidence
FROM touched t
-- The programs that own these files: logins, account tools, sshd, package and key managers.
WHERE t.program NOT IN ('sshd', 'login', 'su', 'sudo', 'passwd', 'chpasswd', 'unix_chkpwd',
                        'useradd', 'usermod', 'userdel', 'groupadd', 'chage', 'vipw', 'pwck',
                        'grpck', 'shadowconfig', 'ssh-keygen', 'ssh-agent', 'ssh-add', 'ssh',
                        'scp', 'sftp-server', 'systemd', 'systemd-logind', 'cron', 'crond',
                        'dpkg', 'rpm', 'yum', 'dnf', 'apt', 'apt-get', 'cloud-init', 'sssd',
                        'nscd', 'aws', 'kubectl', 'docker', 'git')
GROUP BY t.host_addr, t.host, date_trunc('day', t.time)
HAVING count(*) >= ${min_accesses}
