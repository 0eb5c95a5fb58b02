SELECT action, count(*) AS records, sum(bytes) AS bytes FROM flows GROUP BY action ORDER BY action
