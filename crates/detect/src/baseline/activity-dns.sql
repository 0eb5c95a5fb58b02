-- Which registered domains the estate resolves (`domain`: the last two labels, the name's
-- registered domain for most names; no public-suffix list yet).
WITH q AS (
  SELECT time, source_ip,
         lower(regexp_replace(rtrim(query_name, '.'), '^.*?([^.]+\.[^.]+)$', '\1')) AS domain
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
