/*
id = "cloud-credential-access"
title = "{principal} read secrets through the AWS API: {calls}, {n_calls} call(s)"
description = "On {period}, {principal} (from {src_addr}) called {calls} {n_calls} time(s){denied}, asking for {n_secrets} distinct secret(s), decrypted parameter(s) or instance password(s). It never made these calls in the baseline. Secrets Manager secrets, SecureString parameters and Windows administrator passwords open databases, other accounts and other hosts: reading many at once, in bulk, or an instance's password, is how an intruder holding one set of credentials collects the next."
attack = ["T1555.006", "T1552"]
severity = "high"
confidence = 70
table = "cloudtrail"
needs_baseline = true
baseline_optional = true
baseline = "{principal} never called {calls} in the baseline"
remediation = "Ask {principal}'s owner whether it should read these secrets. If not, rotate every secret and parameter the evidence names (and the instances' passwords), revoke the principal's sessions and keys, and narrow its policy to the secrets it needs."

[thresholds.min_secrets]
default = 5
doc = "Distinct secrets or parameters read one at a time before a finding: an application reads its own one or two. Bulk reads (BatchGetSecretValue, GetParameters, GetParametersByPath) and instance passwords count at once."
*/
WITH reads AS (
  SELECT c.*,
         c.event_name IN ('BatchGetSecretValue', 'GetParameters', 'GetParametersByPath',
                          'GetPasswordData') AS bulk
  FROM cloudtrail c
  WHERE c.time >= to_timestamp_millis(${detect_from})
    AND coalesce(c.identity_type, '') NOT IN ('AWSService', 'AWSAccount')
    AND (c.event_name IN ('GetSecretValue', 'BatchGetSecretValue', 'GetPasswordData')
         -- A parameter read without decryption returns no secret.
         OR (c.event_name IN ('GetParameter', 'GetParameters', 'GetParametersByPath')
             AND regexp_like(coalesce(c.request_parameters, ''), '"withDecryption"\s*:\s*true')))
), judged AS (
  SELECT r.*
  FROM reads r
  LEFT JOIN (SELECT DISTINCT entity, item FROM baseline_activity WHERE scope = 'api') bp
    ON bp.entity = r.principal AND bp.item = concat(r.event_source, ' ', r.event_name)
  WHERE bp.entity IS NULL
)
SELECT coalesce(min(j.session_addr), j.source_ip) AS src_addr,
       j.principal,
       concat(to_char(date_trunc('day', j.time), '%Y-%m-%d'), ' ', j.principal, ' ', j.source_ip) AS period,
       array_to_string(array_sort(array_agg(DISTINCT j.event_name)), ', ') AS calls,
       count(*) AS n_calls,
       count(DISTINCT coalesce(j.request_parameters, '')) AS n_secrets,
       count(*) FILTER (WHERE j.error_code IS NOT NULL) AS n_denied,
       CASE WHEN count(*) FILTER (WHERE j.error_code IS NOT NULL) > 0
            THEN concat(' (', CAST(count(*) FILTER (WHERE j.error_code IS NOT NULL) AS VARCHAR),
                        ' denied)')
            ELSE '' END AS denied,
       min(j.time) AS first_seen,
       max(j.time) AS last_seen,
       array_slice(array_agg(concat(j.source_file, chr(9), CAST(j.source_line AS VARCHAR), chr(9),
           j.event_name, ' by ', coalesce(j.principal_arn, j.principal), ' from ', j.source_ip,
           CASE WHEN j.error_code IS NULL THEN '' ELSE concat(', ', j.error_code) END, ': ',
           substr(regexp_replace(coalesce(j.request_parameters, '{}'), '\s+', ' ', 'g'), 1, 160),
           CASE WHEN j.source_event IS NULL THEN '' ELSE concat(', event ', CAST(j.source_event AS VARCHAR)) END)
         ORDER BY j.time), 1, 5) AS evidence
FROM judged j
GROUP BY j.principal, j.source_ip, date_trunc('day', j.time)
HAVING count(DISTINCT coalesce(j.request_parameters, '')) >= ${min_secrets} OR bool_or(j.bulk)
