SELECT min(to_unixtime(start)) AS min_start, max(to_unixtime(start)) AS max_start, min(to_unixtime("end")) AS min_end, max(to_unixtime("end")) AS max_end FROM flows
