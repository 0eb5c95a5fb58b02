/*
id = "internal-port-scan"
title = "{scan_type} port scan from {src_name}: {n_probes} failed probes of {n_targets} hosts on {n_ports} ports"
description = "{src_name} ({src_addr}) tried {n_probes} distinct host:port pairs inside the estate on {period} and failed to reach them: {n_rejected} records rejected by security groups, {n_reset} answered with a reset, {n_unanswered} attempts with no reply, {n_dark} at addresses no network interface holds. The probes spread over {n_minutes} minute(s) in {n_hours} hourly window(s) ({scan_speed}). Probing many ports or hosts from inside the VPC is how an intruder on one instance maps where to go next."
attack = ["T1046"]
severity = "high"
confidence = 80
remediation = "Find out what runs on {src_name}: if it is not an authorised scanner, isolate it (eastwest contain) and look for how it was entered. If it is an authorised scanner, name it under [scanners] in the config."
scanner_exempt = true
evidence = "failed"

[thresholds.min_probes]
default = 20
doc = "Distinct host:port pairs a source must fail to reach in a day. Benign hosts fail on a handful (a monitoring scrape a security group refuses); a sweep fails on dozens."

[thresholds.fast_probes_per_hour]
default = 60
doc = "Failed pairs per hour, over the span from the first probe to the last, from which a scan is called fast rather than low-and-slow."
*/
WITH probes AS (
  SELECT client_addr, vpc_id, server_addr, server_port, window_start, first_seen, last_seen,
         rejected, rst, syn, syn_ack, packets_in, server_kind
  FROM connections
  WHERE client_is_internal AND protocol IN (6, 17) AND failed
), per_day AS (
  SELECT client_addr AS src_addr,
         max(vpc_id) AS vpc_id,
         to_char(date_trunc('day', window_start), '%Y-%m-%d') AS period,
         count(DISTINCT concat(server_addr, ':', CAST(server_port AS VARCHAR))) AS n_probes,
         count(DISTINCT server_addr) AS n_targets,
         count(DISTINCT server_port) AS n_ports,
         sum(rejected) AS n_rejected,
         sum(CASE WHEN rst > 0 THEN 1 ELSE 0 END) AS n_reset,
         sum(CASE WHEN packets_in = 0 AND rejected = 0 THEN 1 ELSE 0 END) AS n_unanswered,
         count(DISTINCT CASE WHEN server_kind = 'unassigned' THEN server_addr END) AS n_dark,
         count(DISTINCT window_start) AS n_hours,
         (CAST(max(last_seen) AS BIGINT) - CAST(min(first_seen) AS BIGINT)) / 60000 AS n_minutes,
         min(first_seen) AS first_seen,
         max(last_seen) AS last_seen
  FROM probes
  GROUP BY client_addr, date_trunc('day', window_start)
  HAVING count(DISTINCT concat(server_addr, ':', CAST(server_port AS VARCHAR))) >= ${min_probes}
)
SELECT *,
       CASE WHEN n_targets >= 5 AND n_ports <= 2 THEN 'Horizontal'
            WHEN n_targets <= 2 AND n_ports >= 5 THEN 'Vertical'
            ELSE 'Mixed' END AS scan_type,
       CASE WHEN n_probes * 60 >= ${fast_probes_per_hour} * greatest(n_minutes, 1) THEN 'fast'
            ELSE 'low and slow' END AS scan_speed,
       CASE WHEN n_probes * 60 >= ${fast_probes_per_hour} * greatest(n_minutes, 1) THEN 85
            ELSE 75 END AS confidence
FROM per_day
