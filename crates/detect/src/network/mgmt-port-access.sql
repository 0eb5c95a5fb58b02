/*
id = "mgmt-port-access"
title = "{service} from {src_name} to {n_targets} internal host(s), and it is not a management host"
description = "On {period} {src_name} ({src_addr}, peer group {src_group}) opened {n_attempts} {service} connection(s) on port {dst_port} to {n_targets} internal host(s), and they answered. Remote administration inside the estate should come from bastions and admin hosts: security groups name them, and in the baseline only they use this port. Remote services between ordinary hosts are how an intruder moves with stolen credentials or keys."
attack = ["T1021"]
severity = "high"
confidence = 75
needs_baseline = true
baseline = "no host of {src_group} used port {dst_port} to an internal host in the baseline, and no security group names it as an administrator"
remediation = "Check who logged in from {src_name} (the targets' sshd/auth logs), and contain {src_name} and the targets it reached if nobody should have. Only bastions should reach {dst_port}: narrow the security-group rules that let {src_group} in."
scanner_exempt = true
evidence = "answered"

[thresholds.min_attempts]
default = 1
doc = "Answered connections before a finding: a single SSH session between two application servers is already unusual."
*/
WITH sessions AS (
  SELECT c.*, coalesce(c.client_group, c.client_addr) AS src_peer
  FROM connections c
  WHERE c.window_ms >= ${detect_from}
    AND c.client_is_internal AND c.server_is_internal AND c.answered
    AND c.protocol = 6
    AND c.server_port IN (22, 3389, 5985, 5986, 445)
    AND c.client_kind NOT IN ('nat-gateway', 'load-balancer')
    AND c.client_addr NOT IN (SELECT addr FROM management_hosts)
)
SELECT s.client_addr AS src_addr,
       max(s.vpc_id) AS vpc_id,
       s.src_peer AS src_group,
       s.server_port AS dst_port,
       CASE WHEN count(DISTINCT s.server_addr) = 1 THEN min(s.server_addr) END AS dst_addr,
       CASE s.server_port WHEN 22 THEN 'SSH' WHEN 3389 THEN 'RDP' WHEN 445 THEN 'SMB'
            ELSE 'WinRM' END AS service,
       CASE s.server_port WHEN 22 THEN 'T1021.004' WHEN 3389 THEN 'T1021.001'
            WHEN 445 THEN 'T1021.002' ELSE 'T1021.006' END AS technique,
       concat(to_char(date_trunc('day', s.window_start), '%Y-%m-%d'), ' port ', CAST(s.server_port AS VARCHAR)) AS period,
       sum(s.attempts) AS n_attempts,
       count(DISTINCT s.server_addr) AS n_targets,
       min(s.first_seen) AS first_seen,
       max(s.last_seen) AS last_seen
FROM sessions s
WHERE NOT EXISTS (
  SELECT 1 FROM baseline_edges b
  WHERE b.scope = 'group' AND b.entity = s.src_peer AND b.port = s.server_port
    AND b.protocol = 6 AND b.peer_internal
)
GROUP BY s.client_addr, s.src_peer, s.server_port, date_trunc('day', s.window_start)
HAVING sum(s.attempts) >= ${min_attempts}
