//! The posture checks, one file each. Adding one: a file here, an impl of [`crate::Check`],
//! one line in [`CHECKS`], and expectations in the tests.

mod admin_ports_open;
mod ami_age;
mod cloudtrail_trails;
mod db_ports_wide;
mod default_sg_has_rules;
mod default_sg_in_use;
mod egress_all_to_internet;
mod egress_all_to_vpc;
mod flow_log_coverage;
mod guardduty_coverage;
mod guardduty_disabled;
mod imdsv1_allowed;
mod instance_age;
mod launch_wizard_sg_in_use;
mod lb_listener_without_tls;
mod lb_sg_too_open;
mod lb_target_bypass;
mod nacl_allows_all;
mod rdp_open;
mod role_can_reach_instances;
mod sg_egress_group_reference;
mod sg_self_all_ports;

use crate::Check;

/// Every check, in report order.
pub static CHECKS: &[&dyn Check] = &[
    &default_sg_in_use::DefaultSgInUse,
    &default_sg_has_rules::DefaultSgHasRules,
    &launch_wizard_sg_in_use::LaunchWizardSgInUse,
    &egress_all_to_internet::EgressAllToInternet,
    &egress_all_to_vpc::EgressAllToVpc,
    &sg_egress_group_reference::SgEgressGroupReference,
    &sg_self_all_ports::SgSelfAllPorts,
    &admin_ports_open::AdminPortsOpen,
    &rdp_open::RdpOpen,
    &db_ports_wide::DbPortsWide,
    &nacl_allows_all::NaclAllowsAll,
    &imdsv1_allowed::Imdsv1Allowed,
    &role_can_reach_instances::RoleCanReachInstances,
    &flow_log_coverage::FlowLogCoverage,
    &lb_listener_without_tls::LbListenerWithoutTls,
    &lb_sg_too_open::LbSgTooOpen,
    &lb_target_bypass::LbTargetBypass,
    &instance_age::InstanceAge,
    &ami_age::AmiAge,
    &guardduty_disabled::GuarddutyDisabled,
    &guardduty_coverage::GuarddutyCoverage,
    &cloudtrail_trails::CloudtrailTrails,
];

/// The `(account, region)` of a security group.
pub(crate) fn group_origin(
    context: &crate::Context<'_>,
    group: &str,
) -> (Option<String>, Option<String>) {
    context
        .inventory
        .security_groups
        .iter()
        .find(|g| g.item.group_id == group)
        .map(|g| (g.origin.account.clone(), g.origin.region.clone()))
        .unwrap_or_default()
}

/// The lateral-movement actions (`ssm:SendCommand`, ...) a role's policies allow, with their
/// resources.
pub fn role_lateral_grants(
    inventory: &eastwest_inventory::Inventory,
    role: &str,
) -> Vec<(String, String)> {
    role_can_reach_instances::grants(inventory, role)
}
