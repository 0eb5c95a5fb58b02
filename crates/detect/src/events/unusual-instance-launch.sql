/*
id = "unusual-instance-launch"
title = "{principal} tried to launch {instance_types} instances"
description = "On {period}, {principal} (from {src_addr}) called RunInstances {n_calls} time(s) for {instance_types}, up to {n_instances} instance(s) at once{denied}. GPU and accelerator instances, or many instances in one call, are what an intruder launches to mine or to run its own tools inside the account, and what a stolen key is first tried with."
attack = ["T1578.002", "T1496"]
severity = "high"
confidence = 70
table = "cloudtrail"
remediation = "Ask {principal}'s owner whether the launch was planned. If not, terminate what started, revoke the principal's sessions and keys, and deny accelerated instance families where nobody needs them (a service control policy on ec2:InstanceType)."

[thresholds.min_instances]
default = 10
doc = "Instances asked for in one call (maxCount) that make a launch unusual whatever its type: fleets are launched by auto-scaling, not by hand."
*/
WITH launches AS (
  SELECT c.*,
         coalesce(c.principal_arn, c.principal_id) AS caller,
         regexp_replace(c.request_parameters, '(?s)^.*?"instanceType"\s*:\s*"([^"]+)".*$', '\1') AS instance_type,
         CAST(coalesce(nullif(regexp_replace(c.request_parameters, '(?s)^.*?"maxCount"\s*:\s*([0-9]{1,6}).*$', '\1'),
                              c.request_parameters), '1') AS BIGINT) AS max_count
  FROM cloudtrail c
  WHERE c.time >= to_timestamp_millis(${detect_from})
    AND c.event_name = 'RunInstances'
    AND coalesce(c.identity_type, '') NOT IN ('AWSService', 'AWSAccount')
    AND c.request_parameters LIKE '%"instanceType"%'
), unusual AS (
  SELECT * FROM launches
  -- Accelerated families: GPUs (p, g), Inferentia, Trainium, FPGAs, video transcoding, DL1.
  WHERE regexp_like(instance_type, '^(p[0-9]|g[0-9]|inf[0-9]|trn[0-9]|f[0-9]|vt[0-9]|dl[0-9])')
     OR max_count >= ${min_instances}
)
SELECT min(u.source_ip) AS src_addr,
       u.caller AS principal,
       concat(to_char(date_trunc('day', u.time), '%Y-%m-%d'), ' ', u.caller) AS period,
       array_to_string(array_sort(array_agg(DISTINCT u.instance_type)), ', ') AS instance_types,
       count(*) AS n_calls,
       max(u.max_count) AS n_instances,
       count(*) FILTER (WHERE u.error_code IS NOT NULL) AS n_denied,
       CASE WHEN count(*) FILTER (WHERE u.error_code IS NOT NULL) > 0
            THEN concat(' (', CAST(count(*) FILTER (WHERE u.error_code IS NOT NULL) AS VARCHAR), ' denied)')
            ELSE '' END AS denied,
       min(u.time) AS first_seen,
       max(u.time) AS last_seen,
       array_slice(array_agg(concat(u.source_file, chr(9), CAST(u.source_line AS VARCHAR), chr(9),
           'RunInstances ', u.instance_type, ' x', CAST(u.max_count AS VARCHAR), ' by ', u.caller,
           ' from ', coalesce(u.source_ip, '?'),
           CASE WHEN u.error_code IS NULL THEN '' ELSE concat(', ', u.error_code) END,
           CASE WHEN u.source_event IS NULL THEN '' ELSE concat(', event ', CAST(u.source_event AS VARCHAR)) END)
         ORDER BY u.time), 1, 5) AS evidence
FROM unusual u
GROUP BY u.caller, date_trunc('day', u.time)
