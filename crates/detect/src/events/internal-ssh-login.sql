/*
id = "internal-ssh-login"
title = "{src_name} logged in to {host_name} over SSH as {users}"
description = "On {period}, {src_addr}, an address inside the network that is not a management host, logged in to {host_name} {n_logins} time(s) as {users} ({methods}). It never logged in anywhere in the baseline.{failures} Administrators come through the bastion; one workload logging in to another is how an intruder moves from host to host with a key or password it found."
attack = ["T1021.004", "T1078"]
severity = "medium"
confidence = 65
table = "ssh"
needs_baseline = true
baseline_optional = true
baseline = "{src_addr} logged in to no host in the baseline and is not a management host"
remediation = "Find which process on {src_name} opened the session and with which key (the evidence names the key fingerprint where sshd logged it). If no person did it, isolate both hosts, remove the key from {host_name}'s authorized_keys and look for where it came from."

[thresholds.min_logins]
default = 1
doc = "Accepted logins from the source before a finding: one session is a foothold."
*/
WITH logins AS (
  SELECT s.*
  FROM ssh s
  WHERE s.time >= to_timestamp_millis(${detect_from})
    AND s.event = 'accepted' AND s.source_ip IS NOT NULL
    AND (s.src_is_internal
         OR regexp_like(s.source_ip, '^(10\.|192\.168\.|172\.(1[6-9]|2[0-9]|3[01])\.)'))
    AND s.source_ip NOT IN ('127.0.0.1', '::1')
    AND s.source_ip NOT IN (SELECT addr FROM management_hosts)
), fresh AS (
  SELECT l.*
  FROM logins l
  LEFT JOIN (SELECT DISTINCT item FROM baseline_activity WHERE scope = 'ssh-login') b
    ON b.item = l.source_ip
  WHERE b.item IS NULL
), failures AS (
  SELECT source_ip, count(*) AS n, count(DISTINCT host) AS hosts, min(time) AS first_failure
  FROM ssh
  WHERE event IN ('failed', 'invalid_user', 'pam_auth_failure', 'too_many_failures')
    AND source_ip IS NOT NULL
  GROUP BY source_ip
)
SELECT f.source_ip AS src_addr,
       f.host_addr AS dst_addr,
       22 AS dst_port,
       coalesce(f.host_name, f.host) AS host_name,
       concat(to_char(date_trunc('day', f.time), '%Y-%m-%d'), ' ', f.source_ip, ' ', f.host) AS period,
       count(*) AS n_logins,
       array_to_string(array_sort(array_agg(DISTINCT coalesce(f.user, '?'))), ', ') AS users,
       array_to_string(array_sort(array_agg(DISTINCT coalesce(f.method, '?'))), ', ') AS methods,
       max(coalesce(x.n, 0)) AS n_failures_before,
       -- Failures from the same source first (a spray that found a way in) weigh it up.
       CASE WHEN max(x.first_failure) <= min(f.time)
            THEN concat(' Before it, the same source failed ', CAST(max(x.n) AS VARCHAR),
                        ' login(s) on ', CAST(max(x.hosts) AS VARCHAR), ' host(s).')
            ELSE '' END AS failures,
       CASE WHEN max(x.first_failure) <= min(f.time) THEN 'high' ELSE 'medium' END AS severity,
       CASE WHEN max(x.first_failure) <= min(f.time) THEN 85 ELSE 65 END AS confidence,
       min(f.time) AS first_seen,
       max(f.time) AS last_seen,
       array_slice(array_agg(concat(f.source_file, chr(9), CAST(f.source_line AS VARCHAR), chr(9),
           'accepted ', coalesce(f.method, '?'), ' for ', coalesce(f.user, '?'), ' on ',
           coalesce(f.host_name, f.host), ' from ', f.source_ip,
           CASE WHEN f.key_fingerprint IS NULL THEN '' ELSE concat(' key ', f.key_fingerprint) END)
         ORDER BY f.time), 1, 5) AS evidence
FROM fresh f
LEFT JOIN failures x ON x.source_ip = f.source_ip
GROUP BY f.source_ip, f.host, f.host_addr, coalesce(f.host_name, f.host), date_trunc('day', f.time)
HAVING count(*) >= ${min_logins}
