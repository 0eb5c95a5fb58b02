/*
id = "rare-domain"
title = "{src_name} resolved {domain}, a domain no host resolved before"
description = "On {period}, {src_name} ({src_addr}) resolved {n_names} name(s) under {domain} {n_queries} time(s) ({names}); only {n_hosts} host(s) of the estate asked for it, and none in the baseline. Servers resolve the same few domains every day (their dependencies, the cloud's endpoints); a domain new to the whole estate, asked for by one host, is where a download or a command-and-control channel begins."
attack = ["T1071.004"]
severity = "low"
confidence = 50
table = "dns"
needs_baseline = true
baseline = "no host resolved {domain} in the baseline"
remediation = "Look up who owns {domain} and when it was registered; find the process on {src_name} that asked (the evidence gives the times). If nothing there should reach it, block it with a Route 53 Resolver DNS Firewall rule and look at the host's outbound flows to the addresses it resolved to."

[thresholds.max_hosts]
default = 2
doc = "Hosts that resolved the domain in the detection period, at most: a domain many hosts start resolving at once is a new dependency rolled out, not one host's secret."
*/
WITH q AS (
  SELECT d.*,
         d.registered_domain AS domain
  FROM dns d
  WHERE d.time >= to_timestamp_millis(${detect_from})
    AND d.source_ip IS NOT NULL AND d.query_name IS NOT NULL
    AND coalesce(d.rcode, '') = 'NOERROR'
    AND NOT regexp_like(lower(rtrim(d.query_name, '.')), '(\.internal|\.local|\.localdomain|\.lan|\.home|\.arpa)$')
), new_domains AS (
  SELECT q.domain
  FROM q
  LEFT JOIN (SELECT DISTINCT entity FROM baseline_activity WHERE scope = 'domain') b
    ON b.entity = q.domain
  WHERE b.entity IS NULL AND q.domain NOT IN (SELECT domain FROM popular_domains)
  GROUP BY q.domain
  HAVING count(DISTINCT q.source_ip) <= ${max_hosts}
)
SELECT q.source_ip AS src_addr,
       max(q.vpc_id) AS vpc_id,
       q.domain,
       concat(to_char(date_trunc('day', q.time), '%Y-%m-%d'), ' ', q.domain) AS period,
       count(*) AS n_queries,
       count(DISTINCT q.query_name) AS n_names,
       max(h.hosts) AS n_hosts,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT rtrim(q.query_name, '.'))), 1, 3), ', ') AS names,
       min(q.time) AS first_seen,
       max(q.time) AS last_seen,
       array_slice(array_agg(concat(q.source_file, chr(9), CAST(q.source_line AS VARCHAR), chr(9),
           q.query_type, ' ', q.query_name, ' → ', q.rcode,
           CASE WHEN q.source_event IS NULL THEN '' ELSE concat(', event ', CAST(q.source_event AS VARCHAR)) END)
         ORDER BY q.time), 1, 5) AS evidence
FROM q
JOIN new_domains n ON n.domain = q.domain
JOIN (SELECT domain, count(DISTINCT source_ip) AS hosts FROM q GROUP BY domain) h ON h.domain = q.domain
GROUP BY q.source_ip, q.domain, date_trunc('day', q.time)
