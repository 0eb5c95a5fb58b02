/*
id = "new-internal-edge"
title = "New path: {src_name} ({src_group}) reached {dst_group} on port {dst_port}, which its peer group never used"
description = "On {period} {src_name} ({src_addr}, peer group {src_group}) opened {n_attempts} connection(s) to {n_targets} host(s) of {dst_group} on {protocol_name}/{dst_port}, and they answered. In the baseline no member of {src_group} ever reached {dst_group} on that port. A host that starts using a path its peers never use is how an intruder's next hop looks in flow logs; a new deployment looks like it too, once."
attack = ["TA0008", "T1210"]
severity = "medium"
confidence = 60
needs_baseline = true
baseline = "group {src_group} has {n_known_ports} known port(s) to {dst_group} in the baseline, none of them {dst_port}"
remediation = "Ask the owners of {src_group} whether {src_name} should reach {dst_group} on {dst_port}. If not, contain {src_name} and remove the security-group rule that allows it; if it is a new dependency, it will be learned after this run."
scanner_exempt = true
evidence = "answered"

[thresholds.min_attempts]
default = 1
doc = "Answered connections on the new path before it is reported; one is enough when the peer group never used it in the learning period."
*/
WITH candidates AS (
  SELECT c.*,
         coalesce(c.client_group, c.client_addr) AS src_peer,
         coalesce(c.server_group, c.server_addr) AS dst_peer
  FROM connections c
  WHERE c.window_ms >= ${detect_from}
    AND c.client_is_internal AND c.server_is_internal AND c.answered
    AND c.client_kind NOT IN ('nat-gateway', 'load-balancer')
    AND c.protocol IN (6, 17)
    -- Remote-access and data ports have their own detectors.
    AND c.server_port NOT IN (22, 135, 139, 445, 3389, 5985, 5986)
    AND c.server_port NOT IN (1433, 1521, 3306, 5432, 5439, 6379, 9042, 11211, 27017)
    AND coalesce(c.server_kind, '') NOT IN ('rds', 'elasticache', 'efs-mount-target')
)
SELECT c.client_addr AS src_addr,
       max(c.vpc_id) AS vpc_id,
       c.src_peer AS src_group,
       c.dst_peer AS dst_group,
       c.server_port AS dst_port,
       CASE WHEN count(DISTINCT c.server_addr) = 1 THEN min(c.server_addr) END AS dst_addr,
       CASE max(c.protocol) WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' ELSE 'ip' END AS protocol_name,
       concat(to_char(date_trunc('day', c.window_start), '%Y-%m-%d'), ' ', c.dst_peer, ':', CAST(c.server_port AS VARCHAR)) AS period,
       sum(c.attempts) AS n_attempts,
       count(DISTINCT c.server_addr) AS n_targets,
       max(coalesce(k.ports, 0)) AS n_known_ports,
       min(c.first_seen) AS first_seen,
       max(c.last_seen) AS last_seen
FROM candidates c
LEFT JOIN (
  SELECT entity, peer, count(DISTINCT port) AS ports
  FROM baseline_edges WHERE scope = 'group' GROUP BY entity, peer
) k ON k.entity = c.src_peer AND k.peer = c.dst_peer
WHERE NOT EXISTS (
  SELECT 1 FROM baseline_edges b
  WHERE b.scope = 'group' AND b.entity = c.src_peer AND b.peer = c.dst_peer
    AND b.port = c.server_port AND b.protocol = c.protocol
)
GROUP BY c.client_addr, c.src_peer, c.dst_peer, c.server_port, date_trunc('day', c.window_start)
HAVING sum(c.attempts) >= ${min_attempts}
