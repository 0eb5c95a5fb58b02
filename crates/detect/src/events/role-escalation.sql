/*
id = "role-escalation"
title = "{principal} tried to assume {n_roles} role(s) it never assumed: {roles}"
description = "On {period}, {principal} (from {src_addr}) called AssumeRole {n_calls} time(s) for {n_roles} role(s) it never assumed in the baseline ({roles}){denied}.{admin} Credentials that start reaching for other roles, above all administrative ones, are credentials in someone else's hands, probing for a way up."
attack = ["T1098", "TA0004", "T1078.004"]
severity = "medium"
confidence = 65
table = "cloudtrail"
needs_baseline = true
baseline = "{principal} assumed {n_known_roles} other role(s) in the baseline, none of these"
remediation = "Ask {principal}'s owner why it assumes {roles}. If nobody knows, revoke its sessions and keys, and check the roles' trust policies: a role any principal of the account may assume is the hole."

[thresholds.min_roles]
default = 1
doc = "New roles attempted before a finding: a principal's roles change only when someone changes its job."
*/
WITH attempts AS (
  SELECT c.*,
         regexp_replace(c.request_parameters, '(?s)^.*?"roleArn"\s*:\s*"([^"]+)".*$', '\1') AS role_arn
  FROM cloudtrail c
  WHERE c.time >= to_timestamp_millis(${detect_from})
    AND c.event_name = 'AssumeRole'
    AND coalesce(c.identity_type, '') NOT IN ('AWSService', 'AWSAccount')
    AND c.request_parameters LIKE '%"roleArn"%'
), new_roles AS (
  SELECT a.*
  FROM attempts a
  LEFT JOIN (SELECT DISTINCT entity, item FROM baseline_activity WHERE scope = 'assume') b
    ON b.entity = a.principal AND b.item = a.role_arn
  WHERE b.entity IS NULL
)
SELECT coalesce(min(n.session_addr), min(n.source_ip)) AS src_addr,
       n.principal,
       concat(to_char(date_trunc('day', n.time), '%Y-%m-%d'), ' ', n.principal) AS period,
       count(*) AS n_calls,
       count(DISTINCT n.role_arn) AS n_roles,
       max(coalesce(k.roles, 0)) AS n_known_roles,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT regexp_replace(n.role_arn, '^.*:role/', ''))), 1, 6), ', ') AS roles,
       count(*) FILTER (WHERE n.error_code IS NOT NULL) AS n_denied,
       CASE WHEN count(*) FILTER (WHERE n.error_code IS NOT NULL) > 0
            THEN concat(', ', CAST(count(*) FILTER (WHERE n.error_code IS NOT NULL) AS VARCHAR), ' denied')
            ELSE '' END AS denied,
       CASE WHEN bool_or(regexp_like(n.role_arn, '(?i)admin|poweruser|root|OrganizationAccountAccessRole|fullaccess'))
            THEN ' At least one is an administrative role.' ELSE '' END AS admin,
       -- Administrative roles, and refusals (probing for what is allowed), weigh more.
       CASE WHEN bool_or(regexp_like(n.role_arn, '(?i)admin|poweruser|root|OrganizationAccountAccessRole|fullaccess'))
            THEN 'high' ELSE 'medium' END AS severity,
       min(n.time) AS first_seen,
       max(n.time) AS last_seen,
       array_slice(array_agg(concat(n.source_file, chr(9), CAST(n.source_line AS VARCHAR), chr(9),
           'AssumeRole ', n.role_arn, ' by ', coalesce(n.principal_arn, n.principal), ' from ', n.source_ip,
           CASE WHEN n.error_code IS NULL THEN '' ELSE concat(', ', n.error_code) END,
           CASE WHEN n.source_event IS NULL THEN '' ELSE concat(', event ', CAST(n.source_event AS VARCHAR)) END)
         ORDER BY n.time), 1, 5) AS evidence
FROM new_roles n
LEFT JOIN (SELECT entity, count(DISTINCT item) AS roles FROM baseline_activity
           WHERE scope = 'assume' GROUP BY entity) k ON k.entity = n.principal
GROUP BY n.principal, date_trunc('day', n.time)
HAVING count(DISTINCT n.role_arn) >= ${min_roles}
