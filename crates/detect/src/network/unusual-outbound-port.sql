/*
id = "unusual-outbound-port"
title = "{src_name} connected out to the internet on port {dst_port}, which {src_group} never uses"
description = "On {period} {src_name} ({src_addr}, peer group {src_group}) opened {n_attempts} connection(s) to {n_destinations} internet address(es) on {protocol_name}/{dst_port}. In the baseline hosts of {src_group} reached the internet only on: {known_ports}. Command-and-control and tunnels often pick ports a workload never uses."
attack = ["T1571"]
severity = "medium"
confidence = 55
needs_baseline = true
baseline = "hosts of {src_group} reached the internet on: {known_ports}"
remediation = "Find the process on {src_name} that made these connections (auditd, or `ss -tnp` while it runs). If it is not expected, contain {src_name}; restrict the group's egress rules to the ports it needs."
evidence = "true"

[thresholds.min_attempts]
default = 1
doc = "Connections on the unusual port before a finding."
*/
WITH outbound AS (
  SELECT c.*, coalesce(c.client_group, c.client_addr) AS src_peer
  FROM connections c
  WHERE c.window_ms >= ${detect_from}
    AND c.client_is_internal AND c.client_kind NOT IN ('nat-gateway', 'load-balancer', 'vpc-endpoint')
    AND c.server_kind = 'internet' AND c.protocol IN (6, 17)
    AND (c.answered OR c.attempts > 0)
), known AS (
  SELECT entity, string_agg(DISTINCT CAST(port AS VARCHAR), ', ') AS ports
  FROM baseline_edges WHERE scope = 'group' AND peer = 'internet' GROUP BY entity
)
SELECT o.client_addr AS src_addr, max(o.vpc_id) AS vpc_id, o.src_peer AS src_group,
       o.server_port AS dst_port,
       CASE WHEN count(DISTINCT o.server_addr) = 1 THEN min(o.server_addr) END AS dst_addr,
       CASE max(o.protocol) WHEN 6 THEN 'tcp' ELSE 'udp' END AS protocol_name,
       concat(to_char(date_trunc('day', o.window_start), '%Y-%m-%d'), ' port ', CAST(o.server_port AS VARCHAR)) AS period,
       sum(o.attempts) AS n_attempts, count(DISTINCT o.server_addr) AS n_destinations,
       coalesce(max(k.ports), 'none') AS known_ports,
       min(o.first_seen) AS first_seen, max(o.last_seen) AS last_seen
FROM outbound o
LEFT JOIN known k ON k.entity = o.src_peer
WHERE NOT EXISTS (
  SELECT 1 FROM baseline_edges b
  WHERE b.scope = 'group' AND b.entity = o.src_peer AND b.peer = 'internet'
    AND b.port = o.server_port AND b.protocol = o.protocol
)
GROUP BY o.client_addr, o.src_peer, o.server_port, date_trunc('day', o.window_start)
HAVING sum(o.attempts) >= ${min_attempts}
