-- Bytes per day from each host to each destination group (`internet` for all of the
-- internet), both ways: the quantiles detectors compare a day with.
SELECT 'host' AS scope,
       client_addr AS entity,
       coalesce(client_group, client_addr) AS entity_group,
       coalesce(server_group, server_addr) AS destination,
       CAST(date_trunc('day', window_start) AS BIGINT) AS day_ms,
       CAST(sum(bytes_out) AS BIGINT) AS bytes_out,
       CAST(sum(bytes_in) AS BIGINT) AS bytes_in,
       CAST(sum(attempts) AS BIGINT) AS connections
FROM normal_connections
WHERE client_is_internal
  AND window_ms >= ${learn_from} AND window_ms < ${learn_until}
GROUP BY 1, 2, 3, 4, 5
