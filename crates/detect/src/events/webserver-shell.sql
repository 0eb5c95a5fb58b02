/*
id = "webserver-shell"
title = "The web server on {src_name} ran {n_commands} command(s): {commands}"
description = "On {period}, processes of the web server on {src_name} ({src_addr}) started {n_commands} program(s) ({commands}) as uid {uid}, outside any login session. A web server serves files and runs its application; it does not start shells, network tools or reconnaissance commands. This is what a web shell, or a command injection in the application, looks like from the host."
attack = ["T1505.003", "T1059.004"]
severity = "critical"
confidence = 85
table = "process"
remediation = "Isolate {src_name}, keep its disk for forensics, look for recently written files under the web root (the commands ran in {cwd}), and rotate every credential the web server's user and the instance role could read."

[thresholds.min_commands]
default = 1
doc = "Commands a web server's process starts before a finding: even one shell is a compromise."
*/
WITH runs AS (
  SELECT p.*, parent.exe AS parent_exe
  FROM process p
  LEFT JOIN process parent
    ON parent.host = p.host AND parent.pid = p.ppid AND parent.time <= p.time
  WHERE p.time >= to_timestamp_millis(${detect_from})
    AND p.comm IN ('sh', 'bash', 'dash', 'zsh', 'ksh', 'id', 'whoami', 'uname', 'cat', 'ip',
                   'ifconfig', 'curl', 'wget', 'nc', 'ncat', 'socat', 'python', 'python3',
                   'perl', 'ps', 'netstat', 'ss', 'hostname', 'base64', 'chmod')
)
SELECT r.host_addr AS src_addr,
       r.host,
       min(r.uid) AS uid,
       min(r.cwd) AS cwd,
       concat(to_char(date_trunc('day', r.time), '%Y-%m-%d'), ' ', r.host) AS period,
       count(DISTINCT r.serial) AS n_commands,
       array_to_string(array_slice(array_sort(array_agg(DISTINCT r.comm)), 1, 8), ', ') AS commands,
       min(r.time) AS first_seen,
       max(r.time) AS last_seen,
       array_slice(array_agg(concat(r.source_file, chr(9), CAST(r.source_line AS VARCHAR), chr(9),
           r.command_line, ' (uid ', CAST(r.uid AS VARCHAR), ', parent ',
           coalesce(r.parent_exe, concat('pid ', CAST(r.ppid AS VARCHAR))), ')')
         ORDER BY r.time), 1, 5) AS evidence
FROM runs r
-- A web server's own processes: the parent is a web server or application runtime, or the
-- process runs as a web server account (33 www-data, 48 apache/nginx, or by name: tomcat...)
-- outside any login.
WHERE regexp_like(coalesce(r.parent_exe, ''),
                  '(^|/)(nginx|httpd|apache2|lighttpd|caddy|php-fpm[0-9.]*|php-cgi|uwsgi|gunicorn|tomcat[0-9]*|java|node)$')
   OR (r.auid IS NULL AND r.uid IN (33, 48))
   OR (r.auid IS NULL AND r.uid_name IN ('www-data', 'apache', 'nginx', 'httpd', 'lighttpd', 'caddy',
                                         'tomcat', 'tomcat7', 'tomcat8', 'tomcat9', 'tomcat10', 'jetty'))
GROUP BY r.host_addr, r.host, date_trunc('day', r.time)
HAVING count(DISTINCT r.serial) >= ${min_commands}
