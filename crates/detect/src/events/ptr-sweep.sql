/*
id = "ptr-sweep"
title = "{src_name} looked up the names of {n_addresses} addresses within an hour"
description = "On {period}, {src_name} ({src_addr}) made reverse (PTR) lookups for {n_addresses} distinct addresses{ranges}. Software resolves the names of the few peers it talks to; walking an address range through reverse DNS is how an intruder learns which hosts exist and what they are called, without sending them a packet."
attack = ["T1018"]
severity = "medium"
confidence = 65
table = "dns"
remediation = "Find the process on {src_name} that made the lookups. If it is not a monitoring or inventory tool its owners know, isolate the host and look for what else it did in that hour (its flow logs: a scan often follows)."

[thresholds.min_addresses]
default = 20
doc = "Distinct addresses looked up by one host within an hour: logging and monitoring tools resolve a handful of peers."
*/
WITH lookups AS (
  SELECT d.*,
         CAST(to_unixtime(d.time) AS BIGINT) / 3600 AS hour,
         -- The /24 (IPv4) a reverse name stands for, to say which ranges were walked.
         regexp_replace(lower(rtrim(d.query_name, '.')), '^[0-9]+\.([0-9]+)\.([0-9]+)\.([0-9]+)\.in-addr\.arpa$', '\3.\2.\1.0/24') AS range
  FROM dns d
  WHERE d.time >= to_timestamp_millis(${detect_from})
    AND d.source_ip IS NOT NULL
    AND d.query_type = 'PTR'
), sweeps AS (
  SELECT source_ip, hour FROM lookups
  GROUP BY source_ip, hour
  HAVING count(DISTINCT query_name) >= ${min_addresses}
)
SELECT l.source_ip AS src_addr,
       max(l.vpc_id) AS vpc_id,
       concat(to_char(date_trunc('day', l.time), '%Y-%m-%d'), ' ', l.source_ip) AS period,
       count(DISTINCT l.query_name) AS n_addresses,
       count(*) FILTER (WHERE l.rcode = 'NXDOMAIN') AS n_unanswered,
       concat(' in ', array_to_string(array_slice(array_sort(array_agg(DISTINCT l.range)), 1, 4), ', ')) AS ranges,
       min(l.time) AS first_seen,
       max(l.time) AS last_seen,
       array_slice(array_agg(concat(l.source_file, chr(9), CAST(l.source_line AS VARCHAR), chr(9),
           l.query_type, ' ', l.query_name, ' → ', l.rcode,
           CASE WHEN l.source_event IS NULL THEN '' ELSE concat(', event ', CAST(l.source_event AS VARCHAR)) END)
         ORDER BY l.time), 1, 5) AS evidence
FROM lookups l
JOIN sweeps s ON s.source_ip = l.source_ip AND s.hour = l.hour
GROUP BY l.source_ip, date_trunc('day', l.time)
