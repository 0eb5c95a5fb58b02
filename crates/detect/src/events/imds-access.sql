/*
id = "imds-access"
title = "{src_name}: {programs} asked the instance metadata service for {what}"
description = "On {period}, {n_commands} command(s) on {src_name} ({programs}, as uid {uids}) fetched {what} from the instance metadata service (169.254.169.254). The AWS SDKs and agents read it from inside their own processes; a command line that names the address is a person or a script reaching for the instance role's credentials or the user data, the step before using them elsewhere."
attack = ["T1552.005"]
severity = "high"
confidence = 75
table = "process"
remediation = "Find what started the command (the evidence gives its parent pid). If it was not a person at work, assume the role's credentials were taken: revoke the role's sessions, require IMDSv2 with a hop limit of 1 on {src_name}, and isolate it."

[thresholds.min_commands]
default = 1
doc = "Commands naming the metadata service before a finding: one credentials request is enough."
*/
WITH asks AS (
  SELECT p.*,
         regexp_replace(coalesce(p.exe, p.comm, ''), '^.*/', '') AS program,
         CASE WHEN p.command_line LIKE '%security-credentials%' THEN 'role credentials'
              WHEN p.command_line LIKE '%user-data%' THEN 'user data'
              WHEN p.command_line LIKE '%/api/token%' THEN 'a session token'
              ELSE 'metadata' END AS what
  FROM process p
  WHERE p.time >= to_timestamp_millis(${detect_from})
    AND (p.command_line LIKE '%169.254.169.254%' OR p.command_line LIKE '%fd00:ec2::254%'
         OR p.command_line LIKE '%instance-data.ec2.internal%')
)
SELECT a.host_addr AS src_addr,
       a.host,
       concat(to_char(date_trunc('day', a.time), '%Y-%m-%d'), ' ', a.host) AS period,
       count(*) AS n_commands,
       array_to_string(array_sort(array_agg(DISTINCT a.program)), ', ') AS programs,
       array_to_string(array_sort(array_agg(DISTINCT a.what)), ', ') AS what,
       array_to_string(array_sort(array_agg(DISTINCT coalesce(CAST(a.uid AS VARCHAR), '?'))), ', ') AS uids,
       CASE WHEN bool_or(a.what = 'role credentials') THEN 'high' ELSE 'medium' END AS severity,
       min(a.time) AS first_seen,
       max(a.time) AS last_seen,
       array_slice(array_agg(concat(a.source_file, chr(9), CAST(a.source_line AS VARCHAR), chr(9),
           a.command_line, ' (uid ', coalesce(CAST(a.uid AS VARCHAR), '?'),
           ', parent pid ', coalesce(CAST(a.ppid AS VARCHAR), '?'), ')')
         ORDER BY a.time), 1, 5) AS evidence
FROM asks a
GROUP BY a.host_addr, a.host, date_trunc('day', a.time)
HAVING count(*) >= ${min_commands}
