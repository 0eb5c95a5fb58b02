-- Who talks to whom on which port: per peer group and per host, answered connections only
-- (a refused attempt is not a path anyone uses). `peer` is the server's peer group, its
-- address where it has none, or `internet`.
WITH used AS (
  SELECT * FROM normal_connections
  WHERE answered AND client_is_internal AND server_is_internal IS NOT NULL
    AND window_ms >= ${learn_from} AND window_ms < ${learn_until}
), scoped AS (
  SELECT 'group' AS scope, coalesce(client_group, client_addr) AS entity, * FROM used
  UNION ALL
  SELECT 'host' AS scope, client_addr AS entity, * FROM used
)
SELECT scope,
       entity,
       coalesce(server_group, server_addr) AS peer,
       server_is_internal AS peer_internal,
       CAST(server_port AS INT) AS port,
       CAST(protocol AS INT) AS protocol,
       CAST(sum(attempts) AS BIGINT) AS connections,
       CAST(count(DISTINCT date_trunc('day', window_start)) AS BIGINT) AS days,
       min(window_ms) AS first_seen_ms,
       max(window_ms) AS last_seen_ms
FROM scoped
GROUP BY 1, 2, 3, 4, 5, 6
