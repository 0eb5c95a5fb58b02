//! `--nacl`: deny entries for the host's addresses in its subnets' NACLs, both directions, at
//! the lowest free rule numbers (evaluated before the existing allows). A NACL filters traffic
//! crossing the subnet boundary only: hosts in the same subnet still reach it, which the plan
//! says.

use super::Action;
use crate::ContainOptions;
use crate::call::Call;
use crate::state::Recorded;

/// The action.
pub struct Nacl;

/// The lowest numbers from 1 not in `used`, `count` of them (32766 is the highest a rule may
/// have).
pub fn free_numbers(used: &[i32], count: usize) -> Vec<i32> {
    (1..=32766)
        .filter(|n| !used.contains(n))
        .take(count)
        .collect()
}

impl Action for Nacl {
    fn id(&self) -> &'static str {
        "nacl"
    }
    fn summary(&self) -> &'static str {
        "deny the host's addresses in its subnets' NACLs, both directions (not between hosts of one subnet)"
    }
    fn plan(&self, recorded: &Recorded, options: &ContainOptions) -> Vec<Call> {
        if !options.nacl {
            return Vec::new();
        }
        let mut calls = Vec::new();
        for acl in &recorded.nacls {
            let addresses: Vec<&String> = recorded
                .enis
                .iter()
                .filter(|e| e.subnet == acl.subnet)
                .flat_map(|e| &e.addresses)
                .collect();
            for (egress, used) in [(false, &acl.ingress_numbers), (true, &acl.egress_numbers)] {
                for (number, address) in free_numbers(used, addresses.len())
                    .into_iter()
                    .zip(&addresses)
                {
                    calls.push(Call::CreateNaclEntry {
                        acl: acl.id.clone(),
                        number,
                        egress,
                        cidr: format!("{address}/32"),
                    });
                }
            }
        }
        calls
    }
}

#[cfg(test)]
mod tests {
    use super::free_numbers;

    #[test]
    fn the_lowest_free_numbers_are_taken() {
        assert_eq!(free_numbers(&[100, 32767], 2), vec![1, 2]);
        assert_eq!(free_numbers(&[1, 2, 4], 2), vec![3, 5]);
        assert!(free_numbers(&(1..=32766).collect::<Vec<_>>(), 1).is_empty());
    }
}
