/*
id = "account-manipulation"
title = "Accounts or SSH keys changed on {src_name}: {changes}"
description = "On {period}, {src_name} ({src_addr}) recorded {n_changes} change(s) to local accounts or their keys: {changes}. New local users and new lines in authorized_keys or sudoers are how an intruder keeps a way back in that survives a password reset and does not depend on the hole they came through."
attack = ["T1136.001", "T1098.004"]
severity = "high"
confidence = 80
table = "audit"
remediation = "Check the change with whoever runs {src_name}; if nobody made it, remove the account and keys, isolate {src_name}, and read its auth log for how the intruder got in. Accounts and keys should come from configuration management, not by hand."

[thresholds.min_changes]
default = 1
doc = "Account or key changes before a finding: each one is worth a look."
*/
SELECT a.host_addr AS src_addr,
       a.host,
       concat(to_char(date_trunc('day', a.time), '%Y-%m-%d'), ' ', a.host) AS period,
       count(*) AS n_changes,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT
           CASE WHEN a.kind = 'FILE_WATCH' THEN concat('write to ', a.path)
                ELSE concat(lower(a.kind), ' ', coalesce(a.account, '?')) END)), 1, 6), ', ') AS changes,
       min(a.time) AS first_seen,
       max(a.time) AS last_seen,
       array_slice(array_agg(concat(a.source_file, chr(9), CAST(a.source_line AS VARCHAR), chr(9),
           a.kind, ' ', coalesce(a.account, a.path, ''), ' by ', coalesce(a.exe, '?'),
           ' (auid ', coalesce(CAST(a.auid AS VARCHAR), 'unset'), ')')
         ORDER BY a.time), 1, 5) AS evidence
FROM audit a
WHERE a.time >= to_timestamp_millis(${detect_from})
  AND (a.kind IN ('ADD_USER', 'ADD_GROUP', 'DEL_USER', 'USER_MGMT', 'GRP_MGMT')
       OR (a.kind = 'FILE_WATCH'
           AND (a.path LIKE '%/.ssh/authorized_keys%' OR a.path LIKE '/etc/sudoers%'
                OR a.path IN ('/etc/passwd', '/etc/shadow', '/etc/group'))))
GROUP BY a.host_addr, a.host, date_trunc('day', a.time)
HAVING count(*) >= ${min_changes}
