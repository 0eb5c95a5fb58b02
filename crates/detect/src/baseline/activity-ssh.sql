-- Who logs in where (`ssh-login`: the host, and the address a login was accepted from).
SELECT CAST('ssh-login' AS VARCHAR) AS scope,
       CAST(host AS VARCHAR) AS entity,
       CAST(source_ip AS VARCHAR) AS item,
       CAST(count(*) AS BIGINT) AS events,
       CAST(count(DISTINCT date_trunc('day', time)) AS BIGINT) AS days,
       CAST(min(time) AS BIGINT) AS first_seen_ms,
       CAST(max(time) AS BIGINT) AS last_seen_ms
FROM ssh
WHERE time >= to_timestamp_millis(${learn_from}) AND time < to_timestamp_millis(${learn_until})
  AND event = 'accepted' AND host IS NOT NULL AND source_ip IS NOT NULL
  AND source_ip NOT IN (SELECT addr FROM flagged_sources)
GROUP BY host, source_ip
