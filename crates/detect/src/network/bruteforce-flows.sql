/*
id = "bruteforce-flows"
title = "Password {kind} over {service} from {src_name}: {n_attempts} short connections to {n_targets} host(s) in an hour"
description = "In the hour from {period} {src_name} ({src_addr}) opened {n_attempts} short connections (about {packets_per_attempt} packets each) to {service} on {n_targets} host(s), {attempts_per_target} per host. Logins are long; many short sessions to an authentication port, several per host, are guesses. Spraying many hosts is how a foothold finds its next one."
attack = ["T1110"]
severity = "high"
confidence = 70
remediation = "Read the authentication logs of the targets for the usernames tried and any success. Contain {src_name} if it is not a known tool, and require keys (not passwords) on {service}."
scanner_exempt = true
evidence = "answered"

[thresholds.min_attempts]
default = 20
doc = "Short connections from one source to authentication ports within one hour."

[thresholds.min_attempts_per_target]
default = 3
doc = "Average attempts per target host: a sweep touches each host once; guessing returns."

[thresholds.max_packets_per_attempt]
default = 40
doc = "Packets per connection below which it counts as an attempt rather than a session."
*/
WITH tries AS (
  SELECT *
  FROM connections
  WHERE protocol = 6 AND server_is_internal AND answered AND attempts > 0
    AND server_port IN (22, 3389, 5985, 5986)
    AND (packets_out + packets_in) <= ${max_packets_per_attempt} * attempts
)
SELECT client_addr AS src_addr,
       max(vpc_id) AS vpc_id,
       server_port AS dst_port,
       CASE WHEN count(DISTINCT server_addr) = 1 THEN min(server_addr) END AS dst_addr,
       CASE server_port WHEN 22 THEN 'SSH' WHEN 3389 THEN 'RDP' ELSE 'WinRM' END AS service,
       concat(to_char(window_start, '%Y-%m-%dT%H:00Z'), ' port ', CAST(server_port AS VARCHAR)) AS period,
       sum(attempts) AS n_attempts,
       count(DISTINCT server_addr) AS n_targets,
       sum(attempts) / count(DISTINCT server_addr) AS attempts_per_target,
       (sum(packets_out) + sum(packets_in)) / sum(attempts) AS packets_per_attempt,
       CASE WHEN count(DISTINCT server_addr) >= 3 THEN 'spraying' ELSE 'guessing' END AS kind,
       CASE WHEN count(DISTINCT server_addr) >= 3 THEN 'T1110.003' ELSE 'T1110.001' END AS technique,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM tries
GROUP BY client_addr, server_port, window_start
HAVING sum(attempts) >= ${min_attempts}
   AND sum(attempts) >= ${min_attempts_per_target} * count(DISTINCT server_addr)
