//! MITRE ATT&CK ids eastwest names, with their names and tactics (enterprise matrix, v15).
//!
//! Only the techniques eastwest's detectors and scenarios use are listed: a finding names its
//! technique by id, and the writers need the name and the tactic beside it.

use serde::Serialize;

/// One ATT&CK reference of a finding: its tactic, technique and sub-technique where one applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Attack {
    /// Tactic id, `TA0008`.
    pub tactic_uid: &'static str,
    /// Tactic name, `Lateral Movement`.
    pub tactic_name: &'static str,
    /// Technique id, `T1021` (absent when a finding names only a tactic).
    pub technique_uid: Option<&'static str>,
    /// Technique name.
    pub technique_name: Option<&'static str>,
    /// Sub-technique id, `T1021.004`.
    pub sub_technique_uid: Option<&'static str>,
    /// Sub-technique name.
    pub sub_technique_name: Option<&'static str>,
}

/// Tactics by id.
const TACTICS: &[(&str, &str)] = &[
    ("TA0001", "Initial Access"),
    ("TA0002", "Execution"),
    ("TA0003", "Persistence"),
    ("TA0004", "Privilege Escalation"),
    ("TA0005", "Defense Evasion"),
    ("TA0006", "Credential Access"),
    ("TA0007", "Discovery"),
    ("TA0008", "Lateral Movement"),
    ("TA0009", "Collection"),
    ("TA0010", "Exfiltration"),
    ("TA0011", "Command and Control"),
    ("TA0040", "Impact"),
    ("TA0043", "Reconnaissance"),
];

/// Techniques and sub-techniques: id, name, the tactic a finding of it is filed under.
const TECHNIQUES: &[(&str, &str, &str)] = &[
    ("T1003", "OS Credential Dumping", "TA0006"),
    ("T1003.008", "/etc/passwd and /etc/shadow", "TA0006"),
    ("T1016", "System Network Configuration Discovery", "TA0007"),
    ("T1018", "Remote System Discovery", "TA0007"),
    ("T1021", "Remote Services", "TA0008"),
    ("T1021.001", "Remote Desktop Protocol", "TA0008"),
    ("T1021.002", "SMB/Windows Admin Shares", "TA0008"),
    ("T1021.004", "SSH", "TA0008"),
    ("T1021.006", "Windows Remote Management", "TA0008"),
    ("T1030", "Data Transfer Size Limits", "TA0010"),
    ("T1033", "System Owner/User Discovery", "TA0007"),
    ("T1046", "Network Service Discovery", "TA0007"),
    ("T1048", "Exfiltration Over Alternative Protocol", "TA0010"),
    (
        "T1048.003",
        "Exfiltration Over Unencrypted Non-C2 Protocol",
        "TA0010",
    ),
    ("T1049", "System Network Connections Discovery", "TA0007"),
    ("T1059", "Command and Scripting Interpreter", "TA0002"),
    ("T1059.004", "Unix Shell", "TA0002"),
    ("T1059.009", "Cloud API", "TA0002"),
    ("T1071", "Application Layer Protocol", "TA0011"),
    ("T1071.004", "DNS", "TA0011"),
    ("T1078", "Valid Accounts", "TA0001"),
    ("T1078.004", "Cloud Accounts", "TA0001"),
    ("T1082", "System Information Discovery", "TA0007"),
    ("T1087", "Account Discovery", "TA0007"),
    ("T1087.004", "Cloud Account", "TA0007"),
    ("T1098", "Account Manipulation", "TA0003"),
    ("T1098.001", "Additional Cloud Credentials", "TA0003"),
    ("T1098.004", "SSH Authorized Keys", "TA0003"),
    ("T1110", "Brute Force", "TA0006"),
    ("T1110.001", "Password Guessing", "TA0006"),
    ("T1110.003", "Password Spraying", "TA0006"),
    ("T1136", "Create Account", "TA0003"),
    ("T1136.001", "Local Account", "TA0003"),
    ("T1136.003", "Cloud Account", "TA0003"),
    ("T1190", "Exploit Public-Facing Application", "TA0001"),
    ("T1210", "Exploitation of Remote Services", "TA0008"),
    ("T1213", "Data from Information Repositories", "TA0009"),
    ("T1496", "Resource Hijacking", "TA0040"),
    ("T1505", "Server Software Component", "TA0003"),
    ("T1505.003", "Web Shell", "TA0003"),
    ("T1552", "Unsecured Credentials", "TA0006"),
    ("T1552.001", "Credentials In Files", "TA0006"),
    ("T1552.004", "Private Keys", "TA0006"),
    ("T1552.005", "Cloud Instance Metadata API", "TA0006"),
    ("T1555", "Credentials from Password Stores", "TA0006"),
    ("T1555.006", "Cloud Secrets Management Stores", "TA0006"),
    ("T1562", "Impair Defenses", "TA0005"),
    ("T1562.007", "Disable or Modify Cloud Firewall", "TA0005"),
    ("T1562.008", "Disable or Modify Cloud Logs", "TA0005"),
    ("T1568", "Dynamic Resolution", "TA0011"),
    ("T1568.002", "Domain Generation Algorithms", "TA0011"),
    ("T1571", "Non-Standard Port", "TA0011"),
    ("T1578", "Modify Cloud Compute Infrastructure", "TA0005"),
    ("T1578.002", "Create Cloud Instance", "TA0005"),
    ("T1580", "Cloud Infrastructure Discovery", "TA0007"),
    ("T1595", "Active Scanning", "TA0043"),
    ("T1651", "Cloud Administration Command", "TA0002"),
];

/// The name of a tactic id.
pub fn tactic_name(uid: &str) -> Option<&'static str> {
    TACTICS.iter().find(|(id, _)| *id == uid).map(|(_, n)| *n)
}

/// Whether `id` is a technique, sub-technique or tactic this table knows.
pub fn is_known(id: &str) -> bool {
    TECHNIQUES.iter().any(|(t, _, _)| *t == id) || tactic_name(id).is_some()
}

/// The reference for an id: a tactic (`TA0008`), a technique (`T1046`) or a sub-technique
/// (`T1021.004`, which brings its parent technique). `None` for an id this table does not know.
pub fn attack(id: &str) -> Option<Attack> {
    if let Some((uid, name)) = TACTICS.iter().find(|(t, _)| *t == id) {
        return Some(Attack {
            tactic_uid: uid,
            tactic_name: name,
            technique_uid: None,
            technique_name: None,
            sub_technique_uid: None,
            sub_technique_name: None,
        });
    }
    let (uid, name, tactic) = TECHNIQUES.iter().find(|(t, _, _)| *t == id)?;
    let tactic_name = tactic_name(tactic)?;
    let (technique, sub) = match uid.split_once('.') {
        Some((parent, _)) => {
            let (parent_uid, parent_name, _) = TECHNIQUES.iter().find(|(t, _, _)| *t == parent)?;
            ((*parent_uid, *parent_name), Some((*uid, *name)))
        }
        None => ((*uid, *name), None),
    };
    Some(Attack {
        tactic_uid: tactic,
        tactic_name,
        technique_uid: Some(technique.0),
        technique_name: Some(technique.1),
        sub_technique_uid: sub.map(|s| s.0),
        sub_technique_name: sub.map(|s| s.1),
    })
}

impl Attack {
    /// The most specific id: the sub-technique, else the technique, else the tactic.
    pub fn id(&self) -> &'static str {
        self.sub_technique_uid
            .or(self.technique_uid)
            .unwrap_or(self.tactic_uid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_techniques_bring_their_parent_and_tactic() {
        let a = attack("T1021.004").expect("known");
        assert_eq!(a.technique_uid, Some("T1021"));
        assert_eq!(a.sub_technique_uid, Some("T1021.004"));
        assert_eq!(a.tactic_name, "Lateral Movement");
        assert_eq!(a.id(), "T1021.004");
        let t = attack("TA0008").expect("tactic");
        assert_eq!(t.technique_uid, None);
        assert_eq!(t.id(), "TA0008");
        assert!(attack("T9999").is_none());
    }

    #[test]
    fn every_sub_technique_has_its_parent_and_every_tactic_exists() {
        for (id, _, tactic) in TECHNIQUES {
            assert!(tactic_name(tactic).is_some(), "{id}: tactic {tactic}");
            if let Some((parent, _)) = id.split_once('.') {
                assert!(TECHNIQUES.iter().any(|(t, _, _)| *t == parent), "{id}");
            }
        }
    }
}
