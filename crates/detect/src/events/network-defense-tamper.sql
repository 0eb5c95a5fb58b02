/*
id = "network-defense-tamper"
title = "{principal} weakened the network's defences: {changes}"
description = "On {period}, {principal} (from {src_addr}) made {n_changes} change(s) that blind or open the network: {changes}{denied}. Deleting flow logs, Resolver query logging or the trail, or telling the trail to skip management events, removes the evidence this tool and others read; an account that leaves its organisation leaves the organisation's trail and guardrails behind; a security group or network ACL opened to the whole internet (a /0 range) removes the boundary. Intruders do both, to move unseen and to keep a way in."
attack = ["T1562.008", "T1562.007"]
severity = "high"
confidence = 80
table = "cloudtrail"
remediation = "Ask {principal}'s owner whether the change was planned; if not, restore the logging or rule (the evidence names the resources), revoke the principal's sessions and keys, and review what it did before and after."

[thresholds.min_changes]
default = 1
doc = "Changes before a finding: each removes a defence, so one is enough."
*/
WITH changes AS (
  SELECT c.*,
         CASE
           WHEN c.event_name IN ('DeleteFlowLogs', 'DeleteResolverQueryLogConfig',
                                 'DisassociateResolverQueryLogConfig', 'StopLogging', 'DeleteTrail')
             THEN concat(c.event_name, ' (logging)')
           WHEN c.event_name = 'PutEventSelectors'
             THEN concat(c.event_name, ' (management events off)')
           WHEN c.event_name = 'LeaveOrganization'
             THEN concat(c.event_name, ' (out of the organisation trail)')
           ELSE concat(c.event_name, ' (opened to /0)')
         END AS change
  FROM cloudtrail c
  WHERE c.time >= to_timestamp_millis(${detect_from})
    AND (c.event_name IN ('DeleteFlowLogs', 'DeleteResolverQueryLogConfig',
                          'DisassociateResolverQueryLogConfig', 'StopLogging', 'DeleteTrail',
                          'LeaveOrganization')
         -- Event selectors that keep data events but drop management events: the trail runs
         -- on, blind to the API calls that matter.
         OR (c.event_name = 'PutEventSelectors'
             AND regexp_like(coalesce(c.request_parameters, ''), '"includeManagementEvents"\s*:\s*false'))
         OR (c.event_name IN ('AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules')
             AND regexp_like(coalesce(c.request_parameters, ''), '/0"'))
         OR (c.event_name IN ('CreateNetworkAclEntry', 'ReplaceNetworkAclEntry')
             AND regexp_like(coalesce(c.request_parameters, ''), '"ruleAction"\s*:\s*"allow"')
             AND regexp_like(coalesce(c.request_parameters, ''), '"egress"\s*:\s*false')
             AND regexp_like(coalesce(c.request_parameters, ''), '/0"')))
)
SELECT coalesce(min(x.source_ip), '-') AS src_addr,
       coalesce(x.principal_arn, x.principal_id, min(x.source_ip), 'an unknown principal') AS principal,
       concat(to_char(date_trunc('day', x.time), '%Y-%m-%d'), ' ',
              coalesce(x.principal_arn, x.principal_id, min(x.source_ip), '-')) AS period,
       count(*) AS n_changes,
       count(*) FILTER (WHERE x.error_code IS NOT NULL) AS n_denied,
       CASE WHEN count(*) FILTER (WHERE x.error_code IS NOT NULL) > 0
            THEN concat(' (', CAST(count(*) FILTER (WHERE x.error_code IS NOT NULL) AS VARCHAR),
                        ' of them denied)')
            ELSE '' END AS denied,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT x.change)), 1, 6), ', ') AS changes,
       min(x.time) AS first_seen,
       max(x.time) AS last_seen,
       array_slice(array_agg(concat(x.source_file, chr(9), CAST(x.source_line AS VARCHAR), chr(9),
           x.event_name, ' by ', coalesce(x.principal_arn, '?'), ' from ', coalesce(x.source_ip, '?'),
           CASE WHEN x.error_code IS NULL THEN '' ELSE concat(', ', x.error_code) END,
           ': ', substr(coalesce(x.request_parameters, '{}'), 1, 200),
           CASE WHEN x.source_event IS NULL THEN '' ELSE concat(', event ', CAST(x.source_event AS VARCHAR)) END)
         ORDER BY x.time), 1, 5) AS evidence
FROM changes x
GROUP BY x.principal_arn, x.principal_id, date_trunc('day', x.time)
HAVING count(*) >= ${min_changes}
