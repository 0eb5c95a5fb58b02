//! `--config FILE`: thresholds, authorised scanners, management hosts and allowlists (TOML).
//!
//! ```toml
//! [detectors.internal-port-scan]
//! min_probes = 30          # any threshold the detector's header names
//! [detectors.unusual-outbound-port]
//! enabled = false
//!
//! [scanners]               # authorised scanners: exempt from scan-like detectors
//! assets = ["vuln-scanner"]            # names, instance ids, ENIs, addresses or CIDRs
//! tags = ["role=scanner"]              # key=value
//! security_groups = ["sg-0123"]
//!
//! [management]             # bastions and admin hosts, besides those derived
//! assets = ["10.50.0.0/24"]
//!
//! [[allow]]                # an allowlist entry: findings it matches are suppressed, counted
//! detector = "new-internal-edge"       # or "*"
//! source = "tag:team=data"             # a selector, as above, or tag:key=value, sg-..., group,
//!                                      # principal:ROLE (by name or ARN)
//! destination = "reporting-db"         # optional
//! reason = "ETL reads the reporting database (CHG-1234)"
//! expires = "2027-03-01"               # optional; after it the entry no longer applies
//!
//! [response]               # automatic containment: off unless set (see crate::response)
//! mode = "plan"
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use eastwest_inventory::assets::Asset;
use eastwest_model::Endpoint;
use ipnet::IpNet;
use serde::Deserialize;

/// Detection settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Per detector: `enabled` and threshold values.
    #[serde(default)]
    pub detectors: BTreeMap<String, BTreeMap<String, toml::Value>>,
    /// Authorised scanners.
    #[serde(default)]
    pub scanners: Selection,
    /// Management hosts (bastions, admin workstations).
    #[serde(default)]
    pub management: Selection,
    /// Allowlist entries.
    #[serde(default)]
    pub allow: Vec<Allow>,
    /// Automatic response (off unless set): see [`crate::response`].
    #[serde(default)]
    pub response: crate::response::Policy,
}

/// A set of hosts, by asset, tag or security group.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// Names, instance ids, ENIs, addresses or CIDR blocks.
    #[serde(default)]
    pub assets: Vec<String>,
    /// Tags as `key=value` (or `key` for any value).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Security group ids.
    #[serde(default)]
    pub security_groups: Vec<String>,
}

/// One allowlist entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    /// The detector it applies to, or `*`.
    pub detector: String,
    /// Who: a selector (name, instance, ENI, address, CIDR, `sg-...`, `tag:key=value`, peer
    /// group).
    pub source: Option<String>,
    /// To whom, same selectors.
    pub destination: Option<String>,
    /// Why: required, so that every suppression can be explained.
    pub reason: String,
    /// `YYYY-MM-DD` (or any time `--since` accepts): the entry ends then.
    pub expires: Option<String>,
}

/// Why a config file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Unreadable.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// Not valid TOML of the right shape, or a value out of range.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Largest config file read: settings are a few kilobytes; a larger file is a mistake.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

impl Config {
    /// Reads a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let name = path.display().to_string();
        let invalid = |message: String| ConfigError::Invalid {
            path: name.clone(),
            message,
        };
        let size = std::fs::metadata(path)
            .map_err(|source| ConfigError::Read {
                path: name.clone(),
                source,
            })?
            .len();
        if size > MAX_CONFIG_BYTES {
            return Err(invalid(format!(
                "larger than {MAX_CONFIG_BYTES} bytes; not a settings file"
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: name.clone(),
            source,
        })?;
        Self::parse(&text).map_err(invalid)
    }

    /// Parses config text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        for entry in &config.allow {
            if entry.reason.trim().is_empty() {
                return Err(format!(
                    "allow entry for {}: a reason is required",
                    entry.detector
                ));
            }
            if let Some(expires) = &entry.expires
                && eastwest_model::time::parse_time(expires).is_none()
            {
                return Err(format!("allow entry: expires '{expires}' is not a date"));
            }
        }
        config.response.validate()?;
        for (detector, values) in &config.detectors {
            for (name, value) in values {
                let ok = match name.as_str() {
                    "enabled" => value.is_bool(),
                    _ => value
                        .as_float()
                        .or(value.as_integer().map(|i| i as f64))
                        .is_some(),
                };
                if !ok {
                    return Err(format!(
                        "detectors.{detector}.{name}: expected {}",
                        if name == "enabled" {
                            "true or false"
                        } else {
                            "a number"
                        }
                    ));
                }
            }
        }
        Ok(config)
    }

    /// Whether a detector is switched on (default: yes).
    pub fn enabled(&self, detector: &str) -> bool {
        self.detectors
            .get(detector)
            .and_then(|v| v.get("enabled"))
            .and_then(toml::Value::as_bool)
            .unwrap_or(true)
    }

    /// The threshold values the config sets for a detector.
    pub fn thresholds(&self, detector: &str) -> BTreeMap<String, f64> {
        self.detectors
            .get(detector)
            .into_iter()
            .flatten()
            .filter(|(name, _)| name.as_str() != "enabled")
            .filter_map(|(name, value)| {
                value
                    .as_float()
                    .or(value.as_integer().map(|i| i as f64))
                    .map(|v| (name.clone(), v))
            })
            .collect()
    }

    /// Threshold names the config sets that a detector does not have (a typo, most likely).
    pub fn unknown_settings(&self, detector: &str, known: &[&str]) -> Vec<String> {
        self.detectors
            .get(detector)
            .into_iter()
            .flatten()
            .map(|(name, _)| name.clone())
            .filter(|name| name != "enabled" && !known.contains(&name.as_str()))
            .collect()
    }
}

/// Whether one selector names an endpoint (and its asset, where the inventory knows it).
pub fn selects(selector: &str, endpoint: &Endpoint, asset: Option<&Asset>) -> bool {
    let selector = selector.trim();
    if let Some(tag) = selector.strip_prefix("tag:") {
        return asset.is_some_and(|a| tag_matches(tag, a));
    }
    // A principal: the role (or user) acting, by name or ARN.
    if let Some(principal) = selector
        .strip_prefix("principal:")
        .or_else(|| selector.strip_prefix("role:"))
    {
        return endpoint.role.as_deref().is_some_and(|role| {
            role == principal
                || role.rsplit('/').next() == Some(principal)
                || principal.rsplit('/').next() == Some(role)
        });
    }
    if selector.starts_with("sg-") {
        return asset.is_some_and(|a| a.security_groups.iter().any(|g| g == selector));
    }
    if let Ok(net) = selector.parse::<IpNet>()
        && let Some(ip) = endpoint
            .ip
            .as_deref()
            .and_then(|ip| ip.parse::<std::net::IpAddr>().ok())
    {
        return net.contains(&ip);
    }
    let same = |value: &Option<String>| value.as_deref() == Some(selector);
    same(&endpoint.ip)
        || same(&endpoint.name)
        || same(&endpoint.instance_uid)
        || same(&endpoint.interface_uid)
        || same(&endpoint.group)
}

fn tag_matches(tag: &str, asset: &Asset) -> bool {
    match tag.split_once('=') {
        Some((key, value)) => asset.tags.get(key).is_some_and(|v| v == value),
        None => asset.tags.contains_key(tag),
    }
}

impl Selection {
    /// Whether the selection names an endpoint.
    pub fn selects(&self, endpoint: &Endpoint, asset: Option<&Asset>) -> bool {
        self.assets.iter().any(|s| selects(s, endpoint, asset))
            || self
                .tags
                .iter()
                .any(|t| asset.is_some_and(|a| tag_matches(t, a)))
            || self
                .security_groups
                .iter()
                .any(|g| asset.is_some_and(|a| a.security_groups.iter().any(|own| own == g)))
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.assets.is_empty() && self.tags.is_empty() && self.security_groups.is_empty()
    }
}

impl Allow {
    /// Whether the entry is in force at `now_ms`.
    pub fn in_force(&self, now_ms: i64) -> bool {
        self.expires
            .as_deref()
            .and_then(eastwest_model::time::parse_time)
            .is_none_or(|until| now_ms < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_settings_and_refuses_bad_values() {
        let config = Config::parse(
            r#"
[detectors.internal-port-scan]
min_probes = 30
[detectors.unusual-outbound-port]
enabled = false
[scanners]
assets = ["vuln-scanner", "10.50.8.0/24"]
[[allow]]
detector = "*"
source = "tag:team=data"
reason = "ETL"
expires = "2027-03-01"
"#,
        )
        .expect("parses");
        assert_eq!(
            config.thresholds("internal-port-scan").get("min_probes"),
            Some(&30.0)
        );
        assert!(!config.enabled("unusual-outbound-port"));
        assert!(config.enabled("internal-port-scan"));
        assert!(config.allow[0].in_force(0));
        assert!(!config.allow[0].in_force(i64::MAX));
        assert!(Config::parse("[detectors.x]\nmin = \"ten\"").is_err());
        assert!(Config::parse("[[allow]]\ndetector = \"*\"\nreason = \" \"").is_err());
        assert!(Config::parse("[nonsense]").is_err());
        let endpoint = Endpoint {
            ip: Some("10.50.8.12".into()),
            name: Some("other".into()),
            ..Endpoint::default()
        };
        assert!(config.scanners.selects(&endpoint, None), "CIDR selects");
        let acting = Endpoint {
            role: Some("etl-role".into()),
            ..Endpoint::default()
        };
        assert!(selects("principal:etl-role", &acting, None));
        assert!(selects(
            "principal:arn:aws:iam::111122223333:role/etl-role",
            &acting,
            None
        ));
        assert!(!selects("principal:web-role", &acting, None));
        let elsewhere = Endpoint {
            ip: Some("10.40.1.1".into()),
            ..Endpoint::default()
        };
        assert!(!config.scanners.selects(&elsewhere, None));
    }
}
