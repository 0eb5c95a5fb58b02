/*
id = "ssh-bruteforce"
title = "{src_name} failed {n_failures} SSH logins on {hosts}, at least {min_failures} on one host within {window_minutes} minutes"
description = "On {period}, {src_addr} failed {n_failures} login(s) on {n_hosts} host(s) ({hosts}) as {n_users} user name(s) ({users}){success}. Nobody mistypes a password that often: this is password guessing, from {src_kind_text}."
attack = ["T1110.001"]
severity = "medium"
confidence = 75
table = "ssh"
remediation = "Block {src_addr} at the security group or network ACL, make SSH on {hosts} key-only (PasswordAuthentication no) and reachable only from the bastion; a host where a login succeeded after the failures is compromised."

[thresholds.min_failures]
default = 10
doc = "Failed logins from one source on one host within the window: a person who forgot a password stops after a few."

[thresholds.window_minutes]
default = 10
doc = "The window, in minutes."
*/
WITH failures AS (
  SELECT s.*,
         CAST(to_unixtime(s.time) AS BIGINT) / (60 * ${window_minutes}) AS bucket
  FROM ssh s
  WHERE s.time >= to_timestamp_millis(${detect_from})
    AND s.source_ip IS NOT NULL AND s.host IS NOT NULL
    AND s.event IN ('failed', 'invalid_user', 'pam_auth_failure', 'too_many_failures')
), bursts AS (
  SELECT source_ip, host, bucket FROM failures
  GROUP BY source_ip, host, bucket
  HAVING count(*) >= ${min_failures}
), successes AS (
  SELECT source_ip, host, min(time) AS at FROM ssh
  WHERE event = 'accepted' AND source_ip IS NOT NULL
  GROUP BY source_ip, host
)
SELECT f.source_ip AS src_addr,
       CASE WHEN count(DISTINCT f.host) = 1 THEN min(f.host_addr) END AS dst_addr,
       count(DISTINCT f.host) AS n_hosts,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT coalesce(f.host_name, f.host))), 1, 8), ', ') AS hosts,
       concat(to_char(date_trunc('day', f.time), '%Y-%m-%d'), ' ', f.source_ip) AS period,
       count(*) AS n_failures,
       count(DISTINCT coalesce(f.user, '?')) AS n_users,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT coalesce(f.user, '?'))), 1, 6), ', ') AS users,
       CASE WHEN min(s.at) IS NOT NULL THEN concat(', and then logged in (first success ', to_char(min(s.at), '%Y-%m-%dT%H:%M:%SZ'), ' on ', min(s.host), ')')
            ELSE '' END AS success,
       CASE WHEN min(s.at) IS NOT NULL THEN 'high' ELSE 'medium' END AS severity,
       CASE WHEN bool_or(f.src_is_internal) THEN 'inside the network' ELSE 'outside the network' END AS src_kind_text,
       min(f.time) AS first_seen,
       max(f.time) AS last_seen,
       array_slice(array_agg(concat(f.source_file, chr(9), CAST(f.source_line AS VARCHAR), chr(9),
           f.event, ' ', coalesce(f.user, '?'), ' on ', coalesce(f.host_name, f.host), ' from ', f.source_ip)
         ORDER BY f.time), 1, 5) AS evidence
FROM failures f
JOIN bursts b ON b.source_ip = f.source_ip AND b.host = f.host AND b.bucket = f.bucket
LEFT JOIN successes s ON s.source_ip = f.source_ip AND s.host = f.host AND s.at >= f.time
GROUP BY f.source_ip, date_trunc('day', f.time)
