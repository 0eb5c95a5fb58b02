/*
id = "recon-commands"
title = "{n_commands} reconnaissance commands on {src_name} within {window_minutes} minutes: {commands}"
description = "On {period}, {src_name} ran {n_commands} distinct discovery commands ({commands}) as uid {uids} within {window_minutes} minutes. Who am I, what is this host, what is its network, who does it talk to: an intruder's first minutes on a host, whether through a shell, a web shell or a stolen key."
attack = ["T1033", "T1082", "T1016", "T1049"]
severity = "medium"
confidence = 65
table = "process"
remediation = "Find the session or parent process that ran them (the evidence names each with its parent pid); if it was not a person at work, isolate {src_name} and look at how that process got there."

[thresholds.min_commands]
default = 4
doc = "Distinct discovery commands by one user on one host within the window: an administrator runs one or two to check something; an intruder runs the list."

[thresholds.window_minutes]
default = 10
doc = "The window, in minutes."
*/
WITH recon AS (
  SELECT p.*,
         regexp_replace(coalesce(p.exe, p.comm, ''), '^.*/', '') AS program,
         CAST(to_unixtime(p.time) AS BIGINT) / (60 * ${window_minutes}) AS bucket
  FROM process p
  WHERE p.time >= to_timestamp_millis(${detect_from})
    AND regexp_replace(coalesce(p.exe, p.comm, ''), '^.*/', '') IN
        ('whoami', 'id', 'groups', 'w', 'who', 'last', 'users', 'uname', 'hostname', 'hostnamectl',
         'lsb_release', 'ifconfig', 'ip', 'route', 'arp', 'netstat', 'ss', 'lsof', 'ps',
         'getent', 'lscpu', 'dmidecode', 'systemd-detect-virt', 'nmcli', 'iptables')
), bursts AS (
  SELECT host, coalesce(CAST(uid AS VARCHAR), '?') AS who, bucket FROM recon
  GROUP BY 1, 2, 3
  HAVING count(DISTINCT program) >= ${min_commands}
)
SELECT r.host_addr AS src_addr,
       r.host,
       concat(to_char(date_trunc('day', r.time), '%Y-%m-%d'), ' ', r.host) AS period,
       count(DISTINCT r.program) AS n_commands,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT r.program)), 1, 10), ', ') AS commands,
       array_to_string(array_sort(array_agg(DISTINCT coalesce(CAST(r.uid AS VARCHAR), '?'))), ', ') AS uids,
       min(r.time) AS first_seen,
       max(r.time) AS last_seen,
       array_slice(array_agg(concat(r.source_file, chr(9), CAST(r.source_line AS VARCHAR), chr(9),
           coalesce(r.command_line, r.program), ' (uid ', coalesce(CAST(r.uid AS VARCHAR), '?'),
           ', parent pid ', coalesce(CAST(r.ppid AS VARCHAR), '?'), ')')
         ORDER BY r.time), 1, 5) AS evidence
FROM recon r
JOIN bursts b ON b.host = r.host AND b.who = coalesce(CAST(r.uid AS VARCHAR), '?') AND b.bucket = r.bucket
GROUP BY r.host_addr, r.host, date_trunc('day', r.time)
