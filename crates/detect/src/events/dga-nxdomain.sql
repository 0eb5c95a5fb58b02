/*
id = "dga-nxdomain"
title = "{src_name} failed to resolve {n_domains} generated-looking domains within an hour"
description = "On {period}, {src_name} ({src_addr}) got NXDOMAIN for {n_names} name(s) under {n_domains} distinct registered domains ({domains}). Malware that generates domain names tries hundreds a day until one its operator registered answers; software that works resolves a few names that exist."
attack = ["T1568.002"]
severity = "high"
confidence = 70
table = "dns"
remediation = "Find the process on {src_name} that makes the lookups (the Resolver log names the time; a packet capture or auditd network rules name the process), isolate the host, and block resolution of the domains that did answer with a Route 53 Resolver DNS Firewall rule."

[thresholds.min_domains]
default = 10
doc = "Distinct registered domains that did not resolve, from one host within an hour: a typo or a dead dependency is one or two."

[thresholds.min_label_length]
default = 8
doc = "Length of the name's first label below its registered domain, on average: generated names are long; short names that fail are usually a host's search list."
*/
WITH failed AS (
  SELECT d.*,
         d.registered_domain AS domain,
         length(split_part(d.registered_domain, '.', 1)) AS label_length,
         CAST(to_unixtime(d.time) AS BIGINT) / 3600 AS hour
  FROM dns d
  WHERE d.time >= to_timestamp_millis(${detect_from})
    AND d.source_ip IS NOT NULL AND d.rcode = 'NXDOMAIN'
    -- Names a host's search list produces (name.ec2.internal, name.local) fail by design.
    AND NOT regexp_like(lower(rtrim(d.query_name, '.')), '(\.internal|\.local|\.localdomain|\.lan|\.home|\.arpa)$')
), scored AS (
  SELECT f.* FROM failed f
  WHERE f.domain NOT IN (SELECT domain FROM popular_domains)
), bursts AS (
  SELECT source_ip, hour FROM scored
  GROUP BY source_ip, hour
  HAVING count(DISTINCT domain) >= ${min_domains} AND avg(label_length) >= ${min_label_length}
)
SELECT s.source_ip AS src_addr,
       max(s.vpc_id) AS vpc_id,
       concat(to_char(date_trunc('day', s.time), '%Y-%m-%d'), ' ', s.source_ip) AS period,
       count(DISTINCT s.domain) AS n_domains,
       count(DISTINCT s.query_name) AS n_names,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT s.domain)), 1, 6), ', ') AS domains,
       min(s.time) AS first_seen,
       max(s.time) AS last_seen,
       array_slice(array_agg(concat(s.source_file, chr(9), CAST(s.source_line AS VARCHAR), chr(9),
           s.query_type, ' ', s.query_name, ' → ', s.rcode,
           CASE WHEN s.source_event IS NULL THEN '' ELSE concat(', event ', CAST(s.source_event AS VARCHAR)) END)
         ORDER BY s.time), 1, 5) AS evidence
FROM scored s
JOIN bursts b ON b.source_ip = s.source_ip AND b.hour = s.hour
GROUP BY s.source_ip, date_trunc('day', s.time)
