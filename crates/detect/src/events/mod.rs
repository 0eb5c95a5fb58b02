//! The built-in event detectors: SQL over the event tables (`cloudtrail`, `dns`, `process`,
//! `audit`), one file each, with its header (see [`crate::rule`]; `table` names what it
//! reads). Their rows carry their own evidence: an `evidence` list of
//! `file<TAB>line<TAB>summary` texts. To add one, write `<id>.sql` here and add one line to
//! [`BUILTIN`].

use crate::rule::{Rule, RuleError};

/// Every built-in event detector: its file name and text.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "instance-credential-exfiltration.sql",
        include_str!("instance-credential-exfiltration.sql"),
    ),
    ("dns-tunnel.sql", include_str!("dns-tunnel.sql")),
    ("webserver-shell.sql", include_str!("webserver-shell.sql")),
    (
        "account-manipulation.sql",
        include_str!("account-manipulation.sql"),
    ),
    (
        "network-defense-tamper.sql",
        include_str!("network-defense-tamper.sql"),
    ),
    (
        "failed-logins-across-hosts.sql",
        include_str!("failed-logins-across-hosts.sql"),
    ),
    (
        "cloud-api-lateral.sql",
        include_str!("cloud-api-lateral.sql"),
    ),
    (
        "cloud-credential-access.sql",
        include_str!("cloud-credential-access.sql"),
    ),
    (
        "new-service-for-role.sql",
        include_str!("new-service-for-role.sql"),
    ),
    (
        "cloud-discovery-burst.sql",
        include_str!("cloud-discovery-burst.sql"),
    ),
    ("role-escalation.sql", include_str!("role-escalation.sql")),
    (
        "unusual-instance-launch.sql",
        include_str!("unusual-instance-launch.sql"),
    ),
    ("ssh-bruteforce.sql", include_str!("ssh-bruteforce.sql")),
    (
        "internal-ssh-login.sql",
        include_str!("internal-ssh-login.sql"),
    ),
    ("recon-commands.sql", include_str!("recon-commands.sql")),
    ("imds-access.sql", include_str!("imds-access.sql")),
    (
        "sensitive-file-access.sql",
        include_str!("sensitive-file-access.sql"),
    ),
    ("dga-nxdomain.sql", include_str!("dga-nxdomain.sql")),
    ("ptr-sweep.sql", include_str!("ptr-sweep.sql")),
    ("rare-domain.sql", include_str!("rare-domain.sql")),
];

/// Columns a run adds to an event table when it reads it for the detectors (a SQL select list
/// after `*`), so that every detector, Sigma rule and the activity baseline define them once.
/// `cloudtrail.principal`: who has the habits. The role for role sessions (an instance role's
/// sessions are named after instances that come and go), else the caller's ARN or id; NULL for
/// calls AWS services make on their own.
///
/// `dns.registered_domain`: the domain a name was registered under, lower-cased. The last two
/// labels, or three under a second-level label of a country-code domain (`co.uk`, `com.au`:
/// the common public suffixes, not the whole public-suffix list).
pub fn derived_columns(table: &str) -> &'static str {
    match table {
        "dns" => {
            r", CASE WHEN regexp_like(lower(rtrim(query_name, '.')), '\.(co|com|net|org|gov|edu|ac|or|ne|go)\.[a-z]{2}$')
                 THEN lower(regexp_replace(rtrim(query_name, '.'), '^.*?([^.]+\.[^.]+\.[^.]+)$', '\1'))
                 ELSE lower(regexp_replace(rtrim(query_name, '.'), '^.*?([^.]+\.[^.]+)$', '\1')) END
               AS registered_domain"
        }
        "cloudtrail" => {
            ", CASE WHEN identity_type = 'AssumedRole' THEN coalesce(session_issuer_arn, principal_arn) \
               WHEN identity_type IN ('AWSService', 'AWSAccount') THEN NULL \
               ELSE coalesce(principal_arn, principal_id) END AS principal"
        }
        _ => "",
    }
}

/// Registered domains the DNS detectors leave out (CDNs, cloud services, reverse lookups),
/// registered as the table `popular_domains(domain)`.
pub const POPULAR_DOMAINS: &str = include_str!("popular-domains.txt");

/// The domains of [`POPULAR_DOMAINS`], lower-cased, comments and blank lines left out.
pub fn popular_domains() -> Vec<String> {
    POPULAR_DOMAINS
        .lines()
        .map(|line| {
            line.split('#')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|line| !line.is_empty())
        .collect()
}

/// The built-in rules, parsed.
pub fn builtin() -> Result<Vec<Rule>, RuleError> {
    crate::rule::builtin(BUILTIN)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_parses_reads_an_event_table_and_ids_match_file_names() {
        let rules = super::builtin().expect("builtin rules parse");
        assert_eq!(rules.len(), super::BUILTIN.len());
        for (rule, (file, _)) in rules.iter().zip(super::BUILTIN) {
            assert_eq!(format!("{}.sql", rule.header.id), *file);
            assert_ne!(rule.header.table, "connections", "{file}");
            for (name, threshold) in &rule.header.thresholds {
                assert!(!threshold.doc.is_empty(), "{file}: {name} needs a doc");
            }
        }
    }

    #[test]
    fn popular_domains_are_registered_domains_without_comments() {
        let domains = super::popular_domains();
        assert!(domains.contains(&"cloudfront.net".to_string()));
        assert!(domains.contains(&"in-addr.arpa".to_string()));
        for domain in &domains {
            // The detectors compare with the last two labels of a name.
            assert_eq!(domain.split('.').count(), 2, "{domain}");
            assert!(!domain.contains('#') && !domain.contains(' '), "{domain}");
        }
    }
}
