SELECT srcaddr, count(DISTINCT dstport) AS ports FROM flows WHERE action = 'REJECT' GROUP BY srcaddr ORDER BY ports DESC, srcaddr LIMIT 10
