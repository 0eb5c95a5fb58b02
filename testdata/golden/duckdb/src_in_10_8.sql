SELECT count(*) AS records FROM flows WHERE ip_in_cidr(src_ip, '10.0.0.0/8')
