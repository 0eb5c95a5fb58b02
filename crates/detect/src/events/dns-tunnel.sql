/*
id = "dns-tunnel"
title = "{src_name} looked up {n_names} distinct names under {domain}: a DNS tunnel"
description = "On {period}, {src_name} ({src_addr}) asked the resolver for {n_names} distinct names under {domain} ({n_queries} queries, {n_txt} of them TXT/NULL), with first labels {n_label_length} characters long on average. Names that are long, unique and never asked twice are how data is encoded into DNS queries: the resolver carries them out of the VPC whatever the security groups say."
attack = ["T1071.004", "T1048.003"]
severity = "high"
confidence = 80
table = "dns"
remediation = "Block {domain} with a Route 53 Resolver DNS Firewall rule, isolate {src_name}, and find the process that made the queries (auditd on {src_name} around {period})."

[thresholds.min_names]
default = 100
doc = "Distinct names under one domain from one source in a day: software asks for a handful of names, a tunnel for one per chunk of data."

[thresholds.min_label_length]
default = 24
doc = "Average length of the first label: encoded data fills labels (up to 63 characters); ordinary names are words."
*/
WITH q AS (
  SELECT d.*,
         d.registered_domain AS domain,
         length(split_part(d.query_name, '.', 1)) AS label_length
  FROM dns d
  WHERE d.time >= to_timestamp_millis(${detect_from}) AND d.source_ip IS NOT NULL
)
SELECT q.source_ip AS src_addr,
       max(q.vpc_id) AS vpc_id,
       q.domain,
       concat(to_char(date_trunc('day', q.time), '%Y-%m-%d'), ' ', q.domain) AS period,
       count(*) AS n_queries,
       count(DISTINCT q.query_name) AS n_names,
       CAST(avg(q.label_length) AS BIGINT) AS n_label_length,
       count(*) FILTER (WHERE q.query_type IN ('TXT', 'NULL')) AS n_txt,
       min(q.time) AS first_seen,
       max(q.time) AS last_seen,
       array_slice(array_agg(concat(q.source_file, chr(9), CAST(q.source_line AS VARCHAR), chr(9),
           q.query_type, ' ', q.query_name, ' → ', q.rcode,
           CASE WHEN q.source_event IS NULL THEN '' ELSE concat(', event ', CAST(q.source_event AS VARCHAR)) END)
         ORDER BY q.time), 1, 5) AS evidence
FROM q
-- Content delivery networks, cloud services and reverse lookups use long generated labels by
-- design; they are not tunnels (the list: events/popular-domains.txt).
WHERE q.domain NOT IN (SELECT domain FROM popular_domains)
GROUP BY q.source_ip, q.domain, date_trunc('day', q.time)
HAVING count(DISTINCT q.query_name) >= ${min_names}
   AND avg(q.label_length) >= ${min_label_length}
