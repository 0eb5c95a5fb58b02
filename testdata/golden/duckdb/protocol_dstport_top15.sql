SELECT protocol, dstport, count(*) AS records FROM flows GROUP BY protocol, dstport ORDER BY records DESC, protocol, dstport LIMIT 15
