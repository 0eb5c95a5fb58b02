SELECT count(*) AS records, count(DISTINCT interface_id) AS enis, count(DISTINCT srcaddr) AS sources, sum(packets) AS packets, sum(bytes) AS bytes FROM flows
