-- The most distinct peers a host reached in one hour, per day.
SELECT 'host' AS scope, entity, day_ms, CAST(max(peers) AS BIGINT) AS max_peers_per_hour
FROM (
  SELECT client_addr AS entity,
         CAST(date_trunc('day', window_start) AS BIGINT) AS day_ms,
         window_start,
         count(DISTINCT server_addr) AS peers
  FROM normal_connections
  WHERE client_is_internal
    AND window_ms >= ${learn_from} AND window_ms < ${learn_until}
  GROUP BY 1, 2, 3
)
GROUP BY 1, 2, 3
