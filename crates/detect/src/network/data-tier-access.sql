/*
id = "data-tier-access"
title = "{src_name} {what} {dst_group} on port {dst_port}"
description = "On {period} {src_name} ({src_addr}, peer group {src_group}) reached the data store {dst_group} on port {dst_port} in {n_attempts} connection(s) and read {n_bytes_in} bytes. {why} Databases and caches hold what an intruder is after; a new reader, or a reader taking far more than usual, is collection in progress."
attack = ["TA0009", "T1213"]
severity = "high"
confidence = 75
needs_baseline = true
baseline = "{baseline_text}"
remediation = "Confirm with the owners of {dst_group} whether {src_name} should read it. If not, contain {src_name}, rotate the database credentials it could hold, and narrow the data store's security group to the groups that use it."
scanner_exempt = true
evidence = "answered"

[thresholds.volume_factor]
default = 4
doc = "A known reader is reported when it reads more than this many times the most any host of its peer group read from that store in a day of the baseline."

[thresholds.min_bytes]
default = 100000000
doc = "Bytes a known reader must read in a day before a volume finding (100 MB): small stores vary a lot in relative terms."
*/
WITH reads AS (
  SELECT c.*,
         coalesce(c.client_group, c.client_addr) AS src_peer,
         coalesce(c.server_group, c.server_addr) AS dst_peer
  FROM connections c
  WHERE c.window_ms >= ${detect_from}
    AND c.client_is_internal AND c.server_is_internal AND c.answered AND c.protocol = 6
    AND c.client_kind NOT IN ('nat-gateway', 'load-balancer')
    AND (c.server_kind IN ('rds', 'elasticache', 'efs-mount-target')
         OR c.server_tier = 'data'
         -- A database port on a host the inventory does not call a data store counts when
         -- the server answered with data, not only a handshake.
         OR (c.server_port IN (1433, 1521, 3306, 5432, 5439, 6379, 9042, 11211, 27017)
             AND c.bytes_in > 1000))
), daily AS (
  SELECT client_addr, src_peer, dst_peer, server_port,
         date_trunc('day', window_start) AS day,
         max(vpc_id) AS vpc_id,
         min(server_addr) AS one_server, count(DISTINCT server_addr) AS servers,
         sum(attempts) AS n_attempts, sum(bytes_in) AS n_bytes_in,
         min(first_seen) AS first_seen, max(last_seen) AS last_seen
  FROM reads
  GROUP BY client_addr, src_peer, dst_peer, server_port, date_trunc('day', window_start)
), known AS (
  SELECT entity, peer, port FROM baseline_edges WHERE scope = 'group' GROUP BY entity, peer, port
), usual AS (
  SELECT entity_group, destination, max(bytes_in) AS max_bytes_in
  FROM baseline_volume WHERE scope = 'host' GROUP BY entity_group, destination
)
SELECT d.client_addr AS src_addr, d.vpc_id, d.src_peer AS src_group, d.dst_peer AS dst_group,
       d.server_port AS dst_port,
       CASE WHEN d.servers = 1 THEN d.one_server END AS dst_addr,
       concat(to_char(d.day, '%Y-%m-%d'), ' ', d.dst_peer, ':', CAST(d.server_port AS VARCHAR)) AS period,
       d.n_attempts, d.n_bytes_in, coalesce(u.max_bytes_in, 0) AS n_baseline_max_bytes_in,
       d.first_seen, d.last_seen,
       CASE WHEN k.entity IS NULL THEN 'reached, for the first time in its peer group,'
            ELSE 'read far more than usual from' END AS what,
       CASE WHEN k.entity IS NULL THEN 'No host of its peer group reached this store on this port in the baseline.'
            ELSE concat('That is more than ', CAST(${volume_factor} AS VARCHAR), ' times the most a host of its group read in a day of the baseline (', CAST(coalesce(u.max_bytes_in, 0) AS VARCHAR), ' bytes).') END AS why,
       CASE WHEN k.entity IS NULL THEN concat('group ', d.src_peer, ' never reached ', d.dst_peer, ' on ', CAST(d.server_port AS VARCHAR))
            ELSE concat('hosts of ', d.src_peer, ' read at most ', CAST(coalesce(u.max_bytes_in, 0) AS VARCHAR), ' bytes a day from ', d.dst_peer) END AS baseline_text,
       CASE WHEN k.entity IS NULL THEN 'T1213' ELSE 'TA0009' END AS technique
FROM daily d
LEFT JOIN known k ON k.entity = d.src_peer AND k.peer = d.dst_peer AND k.port = d.server_port
LEFT JOIN usual u ON u.entity_group = d.src_peer AND u.destination = d.dst_peer
WHERE k.entity IS NULL
   OR (d.n_bytes_in > ${min_bytes}
       AND d.n_bytes_in > ${volume_factor} * coalesce(u.max_bytes_in, 0))
