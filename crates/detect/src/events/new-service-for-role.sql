/*
id = "new-service-for-role"
title = "Instance role {role} called {services}, which it never used"
description = "On {period}, the role {role} (session of {session_instance_id}, from {src_addr}) made {n_calls} call(s) to {n_services} service(s) it never called in the baseline, {services} ({calls}){denied}. In the baseline it called {known_services}. An instance role does what its application does, every day; a new service is what stolen credentials or a compromised process look like (the seeds' own example of a high-confidence alert)."
attack = ["T1078.004"]
severity = "medium"
confidence = 65
table = "cloudtrail"
needs_baseline = true
baseline = "role {role} called {known_services} in the baseline"
remediation = "Check what runs on {session_instance_id} and whether a deployment added {services}; if nothing did, treat the role's credentials as stolen: revoke its sessions, require IMDSv2 and look for the process that made the calls."

[thresholds.min_calls]
default = 1
doc = "Calls to new services before a finding: an instance role's services change only with its application."
*/
WITH calls AS (
  SELECT c.*, c.principal AS role_arn
  FROM cloudtrail c
  WHERE c.time >= to_timestamp_millis(${detect_from})
    AND c.identity_type = 'AssumedRole' AND c.session_instance_id IS NOT NULL
    AND c.event_source IS NOT NULL
), known AS (
  SELECT entity, split_part(item, ' ', 1) AS service
  FROM baseline_activity WHERE scope = 'api'
  GROUP BY 1, 2
), services AS (
  SELECT entity,
         array_to_string(array_slice(array_sort(array_agg(service)), 1, 8), ', ') AS list
  FROM known GROUP BY entity
)
SELECT coalesce(min(c.session_addr), min(c.source_ip)) AS src_addr,
       coalesce(min(c.session_role), regexp_replace(c.role_arn, '^.*/', '')) AS role,
       min(c.session_instance_id) AS session_instance_id,
       array_to_string(array_sort(array_agg(DISTINCT c.event_source)), ', ') AS services,
       count(DISTINCT c.event_source) AS n_services,
       coalesce(min(s.list), 'no service at all') AS known_services,
       concat(to_char(date_trunc('day', c.time), '%Y-%m-%d'), ' ', c.role_arn) AS period,
       count(*) AS n_calls,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT c.event_name)), 1, 8), ', ') AS calls,
       count(*) FILTER (WHERE c.error_code IS NOT NULL) AS n_denied,
       CASE WHEN count(*) FILTER (WHERE c.error_code IS NOT NULL) > 0
            THEN concat(', ', CAST(count(*) FILTER (WHERE c.error_code IS NOT NULL) AS VARCHAR), ' denied')
            ELSE '' END AS denied,
       min(c.time) AS first_seen,
       max(c.time) AS last_seen,
       array_slice(array_agg(concat(c.source_file, chr(9), CAST(c.source_line AS VARCHAR), chr(9),
           c.event_name, ' (', c.event_source, ') by ', coalesce(c.role_session_name, '?'), ' from ', c.source_ip,
           CASE WHEN c.error_code IS NULL THEN '' ELSE concat(', ', c.error_code) END,
           CASE WHEN c.source_event IS NULL THEN '' ELSE concat(', event ', CAST(c.source_event AS VARCHAR)) END)
         ORDER BY c.time), 1, 5) AS evidence
FROM calls c
LEFT JOIN known k ON k.entity = c.role_arn AND k.service = c.event_source
LEFT JOIN services s ON s.entity = c.role_arn
WHERE k.entity IS NULL
GROUP BY c.role_arn, date_trunc('day', c.time)
HAVING count(*) >= ${min_calls}
