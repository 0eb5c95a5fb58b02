//! The network cut. Security groups are stateful: a connection already tracked survives a rule
//! change. A connection is untracked when rules allow its traffic to and from anywhere, so each
//! interface first moves to an allow-all group (its flows become untracked), then to the
//! isolation group (no outbound; inbound SSH from the forensic range only), which then stops
//! every packet of them.

use super::Action;
use crate::call::{Call, GroupRef, Purpose};
use crate::state::Recorded;
use crate::{ALLOW_ALL_GROUP, ContainOptions, ISOLATION_GROUP};

/// The action.
pub struct Isolate;

impl Action for Isolate {
    fn id(&self) -> &'static str {
        "isolate"
    }
    fn summary(&self) -> &'static str {
        "every interface to an allow-all group (tracked connections become untracked), then to the isolation group"
    }
    fn plan(&self, recorded: &Recorded, options: &ContainOptions) -> Vec<Call> {
        let named = |name: &str| GroupRef::Named {
            vpc: recorded.vpc.clone(),
            name: name.to_string(),
        };
        let mut calls = vec![
            Call::EnsureGroup {
                vpc: recorded.vpc.clone(),
                name: ALLOW_ALL_GROUP.to_string(),
                purpose: Purpose::AllowAll,
            },
            Call::EnsureGroup {
                vpc: recorded.vpc.clone(),
                name: ISOLATION_GROUP.to_string(),
                purpose: Purpose::Isolation {
                    forensic_cidr: options.forensic_cidr.clone(),
                    forensic_group: options.forensic_group.clone(),
                },
            },
        ];
        for eni in &recorded.enis {
            calls.push(Call::SetEniGroups {
                eni: eni.eni.clone(),
                groups: vec![named(ALLOW_ALL_GROUP)],
            });
        }
        for eni in &recorded.enis {
            calls.push(Call::SetEniGroups {
                eni: eni.eni.clone(),
                groups: vec![named(ISOLATION_GROUP)],
            });
        }
        calls
    }
}
