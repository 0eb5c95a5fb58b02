/*
id = "external-scan"
title = "Internet scan of the estate from {src_addr}: {n_probes} probes of {n_targets} public hosts on {n_ports} ports"
description = "{src_addr}, an address on the internet, probed {n_probes} host:port pairs of the estate's public addresses on {period} ({n_rejected} rejected records, {n_answered} answered). This is the internet's background scanning, kept apart from internal scans so that it neither hides nor imitates one; it matters when an answered port should not be public."
attack = ["T1595"]
severity = "low"
confidence = 60
remediation = "Check that every answered port on the targets is meant to be public; close the others in their security groups. Nothing to do about the scanning itself."
evidence = "true"

[thresholds.min_probes]
default = 10
doc = "Distinct host:port pairs one internet address must probe in a day: the web's clients reach one or two listeners; scanners try many."
*/
SELECT client_addr AS src_addr,
       max(vpc_id) AS vpc_id,
       to_char(date_trunc('day', window_start), '%Y-%m-%d') AS period,
       count(DISTINCT concat(server_addr, ':', CAST(server_port AS VARCHAR))) AS n_probes,
       count(DISTINCT server_addr) AS n_targets,
       count(DISTINCT server_port) AS n_ports,
       sum(rejected) AS n_rejected,
       sum(CASE WHEN answered THEN 1 ELSE 0 END) AS n_answered,
       min(first_seen) AS first_seen,
       max(last_seen) AS last_seen
FROM connections
WHERE client_kind = 'internet' AND server_is_internal AND protocol IN (6, 17)
  AND (failed OR attempts <= 2 AND bytes_out < 1000)
GROUP BY client_addr, date_trunc('day', window_start)
HAVING count(DISTINCT concat(server_addr, ':', CAST(server_port AS VARCHAR))) >= ${min_probes}
