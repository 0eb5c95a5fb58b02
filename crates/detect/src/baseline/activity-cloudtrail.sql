-- What each AWS principal does: the APIs it calls (`api`: "<service> <API>"), the roles it
-- assumes (`assume`: the role's ARN) and, per source address, the APIs called from there
-- (`source-api`). `principal` is the column the run adds (events::derived_columns): the role
-- for role sessions, else the caller; NULL (left out) for calls AWS services make on their own.
WITH e AS (
  SELECT time, event_source, event_name, source_ip, request_parameters, principal
  FROM cloudtrail
  WHERE time >= to_timestamp_millis(${learn_from}) AND time < to_timestamp_millis(${learn_until})
    AND coalesce(source_ip, '') NOT IN (SELECT addr FROM flagged_sources)
), items AS (
  SELECT 'api' AS scope, principal AS entity, concat(event_source, ' ', event_name) AS item, time
  FROM e WHERE principal IS NOT NULL AND event_name IS NOT NULL
  UNION ALL
  SELECT 'assume', principal,
         regexp_replace(request_parameters, '(?s)^.*?"roleArn"\s*:\s*"([^"]+)".*$', '\1'), time
  FROM e
  WHERE principal IS NOT NULL AND event_name = 'AssumeRole'
    AND request_parameters LIKE '%"roleArn"%'
  UNION ALL
  SELECT 'source-api', source_ip, event_name, time
  FROM e WHERE source_ip IS NOT NULL AND event_name IS NOT NULL
)
SELECT CAST(scope AS VARCHAR) AS scope,
       CAST(entity AS VARCHAR) AS entity,
       CAST(item AS VARCHAR) AS item,
       CAST(count(*) AS BIGINT) AS events,
       CAST(count(DISTINCT date_trunc('day', time)) AS BIGINT) AS days,
       CAST(min(time) AS BIGINT) AS first_seen_ms,
       CAST(max(time) AS BIGINT) AS last_seen_ms
FROM items
GROUP BY 1, 2, 3
