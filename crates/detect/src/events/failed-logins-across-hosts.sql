/*
id = "failed-logins-across-hosts"
title = "{src_name} failed to log in to {n_hosts} hosts within minutes"
description = "On {period}, {src_name} ({src_addr}) failed {n_failures} login(s) on {n_hosts} distinct hosts ({hosts}) as {users}, at least {min_hosts} of them within {window_minutes} minutes. One source failing on many hosts at once is password spraying or a stolen key being tried across the estate, not a user who mistyped."
attack = ["T1110.003"]
severity = "high"
confidence = 80
table = "ssh"
remediation = "Find what runs on {src_name} and why it logs in to other hosts; if nothing should, isolate it. Check the targets' auth logs for a success after the failures (that host is the next hop), and make SSH key-only."

[thresholds.min_hosts]
default = 3
doc = "Distinct hosts with failures from one source within the window: a person mistyping fails on one host."

[thresholds.window_minutes]
default = 5
doc = "The window, in minutes, in which the hosts must be reached."
*/
WITH failures AS (
  SELECT s.*,
         CAST(to_unixtime(s.time) AS BIGINT) / (60 * ${window_minutes}) AS bucket
  FROM ssh s
  WHERE s.time >= to_timestamp_millis(${detect_from})
    AND s.source_ip IS NOT NULL
    AND s.event IN ('failed', 'invalid_user', 'pam_auth_failure', 'too_many_failures')
),
sprays AS (
  SELECT source_ip, bucket
  FROM failures
  GROUP BY source_ip, bucket
  HAVING count(DISTINCT host) >= ${min_hosts}
)
SELECT f.source_ip AS src_addr,
       concat(to_char(date_trunc('day', f.time), '%Y-%m-%d'), ' ', f.source_ip) AS period,
       count(*) AS n_failures,
       count(DISTINCT f.host) AS n_hosts,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT coalesce(f.host_name, f.host))), 1, 8), ', ') AS hosts,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT coalesce(f.user, '?'))), 1, 5), ', ') AS users,
       min(f.time) AS first_seen,
       max(f.time) AS last_seen,
       array_slice(array_agg(concat(f.source_file, chr(9), CAST(f.source_line AS VARCHAR), chr(9),
           f.event, ' ', coalesce(f.user, '?'), ' on ', coalesce(f.host_name, f.host, '?'),
           ' from ', f.source_ip)
         ORDER BY f.time), 1, 5) AS evidence
FROM failures f
JOIN sprays p ON p.source_ip = f.source_ip AND p.bucket = f.bucket
GROUP BY f.source_ip, date_trunc('day', f.time)
