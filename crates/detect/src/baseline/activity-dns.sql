-- Which registered domains the estate resolves (`registered_domain`, the column the run adds:
-- events::derived_columns).
WITH q AS (
  SELECT time, source_ip,
         registered_domain AS domain
  FROM dns
  WHERE time >= to_timestamp_millis(${learn_from}) AND time < to_timestamp_millis(${learn_until})
    AND query_name IS NOT NULL
    AND coalesce(source_ip, '') NOT IN (SELECT addr FROM flagged_sources)
)
SELECT CAST('domain' AS VARCHAR) AS scope,
       CAST(domain AS VARCHAR) AS entity,
       CAST('queried' AS VARCHAR) AS item,
       CAST(count(*) AS BIGINT) AS events,
       CAST(count(DISTINCT date_trunc('day', time)) AS BIGINT) AS days,
       CAST(min(time) AS BIGINT) AS first_seen_ms,
       CAST(max(time) AS BIGINT) AS last_seen_ms
FROM q
GROUP BY domain
