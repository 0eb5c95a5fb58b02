/*
id = "instance-credential-exfiltration"
title = "Role credentials of instance {session_instance_id} used from {src_name}, outside the instance"
description = "On {period}, the role session of instance {session_instance_id} ({instance_name}, role {role}) made {n_calls} AWS API call(s) ({calls}) from {src_addr} ({src_kind}), which is neither the instance, its NAT gateway, its Elastic IP nor a VPC endpoint. EC2 hands an instance's role credentials only to the instance (through IMDS): the same session used from elsewhere means they were taken, by SSRF against IMDSv1, a compromised process or a leaked file, and are in someone else's hands."
attack = ["T1552.005", "T1078.004"]
severity = "critical"
confidence = 90
table = "cloudtrail"
remediation = "Revoke the role's active sessions (deny all actions for role {role} when aws:TokenIssueTime is before now), require IMDSv2 on instance {session_instance_id}, and investigate it: the credentials were stolen from it. Search CloudTrail for every call from {src_addr}."

[thresholds.min_calls]
default = 1
doc = "API calls from outside the instance before a finding: an instance's session has no business anywhere else, so one is enough."
*/
SELECT c.source_ip AS src_addr,
       min(c.session_addr) AS dst_addr,
       c.session_instance_id,
       coalesce(min(c.session_name), 'not in the inventory') AS instance_name,
       coalesce(min(c.session_role), min(c.session_issuer_arn), '-') AS role,
       min(c.src_kind) AS src_kind,
       concat(to_char(date_trunc('day', c.time), '%Y-%m-%d'), ' ', c.session_instance_id) AS period,
       count(*) AS n_calls,
       count(DISTINCT c.event_name) AS n_apis,
       count(*) FILTER (WHERE c.error_code IS NOT NULL) AS n_denied,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT c.event_name)), 1, 8), ', ') AS calls,
       min(c.time) AS first_seen,
       max(c.time) AS last_seen,
       array_slice(array_agg(concat(c.source_file, chr(9), CAST(c.source_line AS VARCHAR), chr(9),
           c.event_name, ' (', c.event_source, ') by ', c.role_session_name, ' from ', c.source_ip,
           CASE WHEN c.error_code IS NULL THEN '' ELSE concat(', ', c.error_code) END,
           CASE WHEN c.source_event IS NULL THEN '' ELSE concat(', event ', CAST(c.source_event AS VARCHAR)) END)
         ORDER BY c.time), 1, 5) AS evidence
FROM cloudtrail c
WHERE c.session_instance_id IS NOT NULL
  AND c.time >= to_timestamp_millis(${detect_from})
  AND (c.src_kind = 'internet'
       OR (c.src_kind = 'instance' AND c.src_instance <> c.session_instance_id))
GROUP BY c.source_ip, c.session_instance_id, date_trunc('day', c.time)
HAVING count(*) >= ${min_calls}
