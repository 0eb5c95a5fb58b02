/*
id = "cloud-api-lateral"
title = "{principal} ran {calls} against {n_targets} instance(s) through the AWS API"
description = "On {period}, {principal} ({src_addr}, {src_kind}) called {calls} {n_calls} time(s), reaching instance(s) {targets}. {novelty} These APIs run commands on an instance or let a key log in to it without touching its network path: SSM Run Command and Session Manager, EC2 Instance Connect and the serial console push a key for 60 seconds, and a changed user-data script runs at the next boot. Whoever holds credentials allowed to call them moves to the instance with the instance's own privileges."
attack = ["T1651", "T1021.004", "T1098.004"]
severity = "high"
confidence = 75
table = "cloudtrail"
needs_baseline = true
baseline_optional = true
baseline = "{principal} never called {calls} in the baseline (new principal: {new_principal}; new from {src_addr}: {new_source})"
remediation = "Confirm with the owner of {principal} that the calls were intended. If not: revoke its sessions and keys, look at what ran on {targets} (SSM command history, the instances' auth logs), and limit ssm:SendCommand, ssm:StartSession and ec2-instance-connect:* to the administrators' roles, by tag."

[thresholds.min_calls]
default = 1
doc = "Calls by a principal or from a source that never made them before a finding: one command on another instance is already a move."
*/
WITH remote AS (
  SELECT c.*,
         -- The instance ids the request names, separated by spaces.
         trim(regexp_replace(regexp_replace(coalesce(c.request_parameters, ''),
              '(i-[0-9a-fA-F]{8,17})|(?s:.)', '\1 ', 'g'), '\s+', ' ', 'g')) AS target_ids
  FROM cloudtrail c
  WHERE c.time >= to_timestamp_millis(${detect_from})
    AND coalesce(c.identity_type, '') NOT IN ('AWSService', 'AWSAccount')
    AND (c.event_name IN ('SendCommand', 'StartSession', 'SendSSHPublicKey',
                          'SendSerialConsoleSSHPublicKey')
         OR (c.event_name = 'ModifyInstanceAttribute'
             AND c.request_parameters LIKE '%userData%'))
    -- AWS-written maintenance documents run fixed steps (patching, agent updates, inventory);
    -- they cannot carry a caller's commands. Run by an administrator, not an instance, they are
    -- routine.
    AND NOT (c.event_name = 'SendCommand' AND c.session_instance_id IS NULL
             AND regexp_like(coalesce(c.request_parameters, ''),
                 '"documentName"\s*:\s*"(AWS-RunPatchBaseline|AWS-UpdateSSMAgent|AWS-ConfigureAWSPackage|AWS-RefreshAssociation|AWS-GatherSoftwareInventory|AWS-UpdateLinuxAmi|AWS-UpdateWindowsAmi)"'))
), judged AS (
  SELECT r.*, bp.entity IS NULL AS new_principal, bs.entity IS NULL AS new_source
  FROM remote r
  LEFT JOIN (SELECT DISTINCT entity, item FROM baseline_activity WHERE scope = 'api') bp
    ON bp.entity = r.principal AND bp.item = concat(r.event_source, ' ', r.event_name)
  LEFT JOIN (SELECT DISTINCT entity, item FROM baseline_activity WHERE scope = 'source-api') bs
    ON bs.entity = r.source_ip AND bs.item = r.event_name
)
SELECT coalesce(min(j.session_addr), j.source_ip) AS src_addr,
       j.principal,
       coalesce(min(j.src_kind), '-') AS src_kind,
       concat(to_char(date_trunc('day', j.time), '%Y-%m-%d'), ' ', j.principal, ' ', j.source_ip) AS period,
       array_to_string(array_sort(array_agg(DISTINCT j.event_name)), ', ') AS calls,
       count(*) AS n_calls,
       count(*) FILTER (WHERE j.error_code IS NOT NULL) AS n_denied,
       cardinality(array_distinct(flatten(array_agg(string_to_array(j.target_ids, ' '))))) AS n_targets,
       coalesce(nullif(array_to_string(array_slice(array_sort(array_distinct(
           flatten(array_agg(string_to_array(j.target_ids, ' '))))), 1, 10), ', '), ''), 'named by tag') AS targets,
       CASE WHEN bool_and(j.new_principal) THEN 'It never made these calls in the baseline.'
            ELSE concat('It made these calls before, but never from ', j.source_ip, '.') END AS novelty,
       CASE WHEN bool_or(j.new_principal) THEN 'yes' ELSE 'no' END AS new_principal,
       CASE WHEN bool_or(j.new_source) THEN 'yes' ELSE 'no' END AS new_source,
       -- An instance's role running commands on other instances is how an intruder spreads;
       -- a person doing it for the first time is more often an administrator.
       CASE WHEN min(j.session_instance_id) IS NOT NULL THEN 'critical' ELSE 'high' END AS severity,
       min(j.time) AS first_seen,
       max(j.time) AS last_seen,
       array_slice(array_agg(concat(j.source_file, chr(9), CAST(j.source_line AS VARCHAR), chr(9),
           j.event_name, ' (', j.event_source, ') by ', coalesce(j.principal_arn, j.principal), ' from ', j.source_ip,
           CASE WHEN j.target_ids = '' THEN '' ELSE concat(' on ', j.target_ids) END,
           CASE WHEN j.error_code IS NULL THEN '' ELSE concat(', ', j.error_code) END,
           CASE WHEN j.source_event IS NULL THEN '' ELSE concat(', event ', CAST(j.source_event AS VARCHAR)) END)
         ORDER BY j.time), 1, 5) AS evidence
FROM judged j
WHERE j.new_principal OR j.new_source
GROUP BY j.principal, j.source_ip, date_trunc('day', j.time)
HAVING count(*) >= ${min_calls}
