/*
id = "cloud-discovery-burst"
title = "{principal} called {n_apis} read APIs it never used, within an hour"
description = "On {period}, {principal} (from {src_addr}) called {n_apis} distinct List/Describe/Get APIs it never called in the baseline, {n_calls} call(s) in all{denied}: {apis}. People and applications use the same few read APIs day after day; dozens of new ones in an hour is an intruder (or a tool such as Pacu or enumerate-iam) mapping what the credentials can reach."
attack = ["T1580", "T1087.004"]
severity = "medium"
confidence = 65
table = "cloudtrail"
needs_baseline = true
baseline = "{principal} used none of these {n_apis} APIs in the baseline"
remediation = "Ask {principal}'s owner whether a new tool or a person ran this inventory. If not, revoke its sessions and keys, and look at what it did after the reads (the next calls are where it went)."

[thresholds.min_apis]
default = 8
doc = "Distinct read APIs new to the principal within the window: a console page loads a few, a discovery tool dozens."

[thresholds.window_minutes]
default = 60
doc = "The window, in minutes, in which they must be called."
*/
WITH reads AS (
  SELECT c.*,
         CAST(to_unixtime(c.time) AS BIGINT) / (60 * ${window_minutes}) AS bucket
  FROM cloudtrail c
  WHERE c.time >= to_timestamp_millis(${detect_from})
    AND coalesce(c.identity_type, '') NOT IN ('AWSService', 'AWSAccount')
    AND regexp_like(coalesce(c.event_name, ''), '^(List|Describe|Get|Search|Lookup)')
), new_reads AS (
  SELECT r.*
  FROM reads r
  LEFT JOIN (SELECT DISTINCT entity, item FROM baseline_activity WHERE scope = 'api') bp
    ON bp.entity = r.principal AND bp.item = concat(r.event_source, ' ', r.event_name)
  WHERE bp.entity IS NULL
), bursts AS (
  SELECT principal, bucket FROM new_reads
  GROUP BY principal, bucket
  HAVING count(DISTINCT concat(event_source, ' ', event_name)) >= ${min_apis}
)
SELECT coalesce(min(n.session_addr), min(n.source_ip)) AS src_addr,
       n.principal,
       concat(to_char(date_trunc('day', n.time), '%Y-%m-%d'), ' ', n.principal) AS period,
       count(DISTINCT concat(n.event_source, ' ', n.event_name)) AS n_apis,
       count(*) AS n_calls,
       count(*) FILTER (WHERE n.error_code IS NOT NULL) AS n_denied,
       CASE WHEN count(*) FILTER (WHERE n.error_code IS NOT NULL) > 0
            THEN concat(', ', CAST(count(*) FILTER (WHERE n.error_code IS NOT NULL) AS VARCHAR), ' denied')
            ELSE '' END AS denied,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT n.event_name)), 1, 12), ', ') AS apis,
       min(n.time) AS first_seen,
       max(n.time) AS last_seen,
       array_slice(array_agg(concat(n.source_file, chr(9), CAST(n.source_line AS VARCHAR), chr(9),
           n.event_name, ' (', n.event_source, ') by ', coalesce(n.principal_arn, n.principal), ' from ', n.source_ip,
           CASE WHEN n.error_code IS NULL THEN '' ELSE concat(', ', n.error_code) END,
           CASE WHEN n.source_event IS NULL THEN '' ELSE concat(', event ', CAST(n.source_event AS VARCHAR)) END)
         ORDER BY n.time), 1, 5) AS evidence
FROM new_reads n
JOIN bursts b ON b.principal = n.principal AND b.bucket = n.bucket
GROUP BY n.principal, date_trunc('day', n.time)
