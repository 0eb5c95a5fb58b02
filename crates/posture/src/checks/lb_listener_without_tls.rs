//! `lb-listener-without-tls`: load-balancer listeners in clear text (internal ones too), with
//! outdated TLS policies, or with certificates ACM does not manage.

use eastwest_model::Severity;

use crate::{Check, Context, Failure};

/// The check.
pub struct LbListenerWithoutTls;

/// Policies that still allow TLS 1.0 or 1.1.
const OUTDATED: [&str; 6] = [
    "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-TLS-1-0-2015-04",
    "ELBSecurityPolicy-TLS-1-1-2017-01",
    "ELBSecurityPolicy-FS-2018-06",
    "ELBSecurityPolicy-FS-1-1-2019-08",
];

impl Check for LbListenerWithoutTls {
    fn id(&self) -> &'static str {
        "lb-listener-without-tls"
    }
    fn title(&self) -> &'static str {
        "Load-balancer listener without current TLS"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn rationale(&self) -> &'static str {
        "Clear-text listeners, internal ones included, let a foothold in the VPC read and alter the sessions and credentials crossing them; an expired or unrenewable certificate ends in someone turning TLS off."
    }
    fn needs(&self) -> &'static [&'static str] {
        &["LoadBalancers", "Listeners"]
    }
    fn run(&self, context: &Context<'_>) -> Vec<Failure> {
        let inv = context.inventory;
        let mut out = Vec::new();
        for l in &inv.listeners {
            let l_item = &l.item;
            let lb = inv
                .load_balancers
                .iter()
                .find(|b| Some(&b.item.load_balancer_arn) == l_item.load_balancer_arn.as_ref());
            let lb_name = lb
                .and_then(|b| b.item.load_balancer_name.clone())
                .unwrap_or_default();
            let mut problems = Vec::new();
            // A redirect to HTTPS is what a port-80 listener is for.
            let redirects_to_https = l_item.default_actions.iter().any(|a| {
                a.kind.as_deref() == Some("redirect")
                    && a.redirect_config
                        .as_ref()
                        .and_then(|r| r.protocol.as_deref())
                        == Some("HTTPS")
            });
            match l_item.protocol.as_deref() {
                Some("HTTP") if redirects_to_https => {}
                Some("HTTP") | Some("TCP") | Some("UDP") | Some("TCP_UDP") => {
                    problems.push(format!(
                        "listens in clear text ({} {})",
                        l_item.protocol.as_deref().unwrap_or(""),
                        l_item.port.unwrap_or(0)
                    ))
                }
                _ => {}
            }
            if let Some(policy) = l_item
                .ssl_policy
                .as_deref()
                .filter(|p| OUTDATED.contains(p))
            {
                problems.push(format!("uses {policy}, which still allows TLS 1.0/1.1"));
            }
            let now = context.now_ms();
            for c in &l_item.certificates {
                let known = inv
                    .certificates
                    .iter()
                    .map(|k| &k.item)
                    .find(|k| Some(&k.certificate_arn) == c.certificate_arn.as_ref());
                if let Some(cert) = known {
                    if cert.kind.as_deref() == Some("IMPORTED") {
                        problems.push(format!(
                            "serves an imported certificate ({}), which ACM does not renew",
                            cert.certificate_arn
                        ));
                    } else if cert.renewal_eligibility.as_deref() == Some("INELIGIBLE") {
                        problems.push(format!(
                            "serves {}, not eligible for managed renewal",
                            cert.certificate_arn
                        ));
                    }
                    if let Some(expiry) = cert
                        .not_after
                        .as_deref()
                        .and_then(eastwest_model::time::parse_rfc3339)
                        && expiry - now < 30 * 86_400_000
                    {
                        problems.push(format!(
                            "serves {}, which expires on {}",
                            cert.certificate_arn,
                            cert.not_after.as_deref().unwrap_or("")
                        ));
                    }
                }
                if let Some(arn) = c
                    .certificate_arn
                    .as_deref()
                    .filter(|a| a.contains(":iam::"))
                {
                    problems.push(format!(
                        "serves an IAM server certificate ({arn}), not renewed by ACM"
                    ));
                }
            }
            if problems.is_empty() {
                continue;
            }
            out.push(Failure {
                resource: l_item.listener_arn.clone(),
                resource_type: "AWS::ElasticLoadBalancingV2::Listener",
                account: l.origin.account.clone(),
                region: l.origin.region.clone(),
                why: format!("listener of {lb_name} {}", problems.join("; ")),
                fix: format!("aws elbv2 modify-listener --listener-arn {} --protocol HTTPS --ssl-policy ELBSecurityPolicy-TLS13-1-2-2021-06 --certificates CertificateArn=ACM_ARN (or a redirect to HTTPS)", crate::quote(&l_item.listener_arn)),
                severity: None,
            });
        }
        out
    }
}
