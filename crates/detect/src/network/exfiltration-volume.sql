/*
id = "exfiltration-volume"
title = "{src_name} sent {n_bytes_out} bytes to {dst_addr} on the internet in a day"
description = "On {period} {src_name} ({src_addr}, peer group {src_group}) sent {n_bytes_out} bytes to {dst_addr} (port {dst_port}) in {n_attempts} connection(s). In the baseline it sent at most {n_host_max} bytes a day to the whole internet, and the hosts of its group at most {n_group_max}. Data leaving for one outside address in a volume far above what the host and its peers ever send is exfiltration until shown otherwise."
attack = ["T1048", "T1030"]
severity = "critical"
confidence = 70
needs_baseline = true
baseline = "{src_name} sent at most {n_host_max} bytes a day to the internet; hosts of {src_group} at most {n_group_max}"
remediation = "Block {dst_addr} at the network firewall or NAT, contain {src_name}, and find what it read before the transfer (data-tier findings, its process and shell history)."
evidence = "true"

[thresholds.factor]
default = 5
doc = "How many times the host's and its group's largest daily total to the internet one address must exceed."

[thresholds.min_bytes]
default = 500000000
doc = "Bytes to one address in a day before a finding (500 MB), so small hosts with tiny baselines do not alert on a software update."
*/
WITH sent AS (
  SELECT client_addr, coalesce(client_group, client_addr) AS src_peer, server_addr,
         date_trunc('day', window_start) AS day, max(vpc_id) AS vpc_id,
         min(server_port) AS dst_port,
         sum(bytes_out) AS n_bytes_out, sum(attempts) AS n_attempts,
         min(first_seen) AS first_seen, max(last_seen) AS last_seen
  FROM connections
  WHERE window_ms >= ${detect_from}
    AND client_is_internal AND client_kind NOT IN ('nat-gateway', 'load-balancer')
    AND server_kind = 'internet'
  GROUP BY client_addr, coalesce(client_group, client_addr), server_addr, date_trunc('day', window_start)
  HAVING sum(bytes_out) > ${min_bytes}
), host AS (
  SELECT entity, max(bytes_out) AS most FROM baseline_volume
  WHERE scope = 'host' AND destination = 'internet' GROUP BY entity
), peers AS (
  SELECT entity_group, max(bytes_out) AS most FROM baseline_volume
  WHERE scope = 'host' AND destination = 'internet' GROUP BY entity_group
)
SELECT s.client_addr AS src_addr, s.vpc_id, s.src_peer AS src_group, s.server_addr AS dst_addr,
       s.dst_port, to_char(s.day, '%Y-%m-%d') AS period,
       s.n_bytes_out, s.n_attempts,
       coalesce(h.most, 0) AS n_host_max, coalesce(p.most, 0) AS n_group_max,
       s.first_seen, s.last_seen
FROM sent s
LEFT JOIN host h ON h.entity = s.client_addr
LEFT JOIN peers p ON p.entity_group = s.src_peer
WHERE s.n_bytes_out > ${factor} * coalesce(h.most, 0)
  AND s.n_bytes_out > ${factor} * coalesce(p.most, 0)
