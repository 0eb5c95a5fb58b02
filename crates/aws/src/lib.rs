//! The one AWS layer of eastwest.
//!
//! An [`AwsContext`] is built once from the command line ([`AwsOptions`]) and handed to every
//! SDK client: S3 reads, the live inventory, and whatever else calls AWS. It settles, in one
//! place, what would otherwise be decided differently by each caller:
//!
//! - **credentials**: the default chain or a named profile, optionally through one role
//!   (`--role`) for everything; further accounts through their own roles (`--assume-role`, or
//!   every account of the organisation with `--org`), each with the external id and session name
//!   the options give;
//! - **regions**: the ones asked for, else the configured one, else `us-east-1`;
//! - **endpoint**: `AWS_ENDPOINT_URL` (read by the SDK's configuration loader), with path-style
//!   S3 addressing when it is set, as emulators need;
//! - **retries**: the SDK's adaptive mode (client-side rate limiting plus exponential backoff
//!   with jitter) and [`DEFAULT_MAX_ATTEMPTS`] tries, unless the options or the environment
//!   (`AWS_RETRY_MODE`, `AWS_MAX_ATTEMPTS`) say otherwise.
//!
//! Service crates stay with their users: this crate only builds [`SdkConfig`]s, which any
//! `aws_sdk_*::Client::new` accepts.

use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use futures::StreamExt;

pub use aws_config::SdkConfig as Config;

/// Attempts per call before a throttled or failing call is given up, unless set otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// The role `--org` assumes in each member account unless told otherwise: the one AWS
/// Organizations creates in the accounts it creates.
pub const DEFAULT_ORG_ROLE: &str = "OrganizationAccountAccessRole";

/// How many accounts are assumed and read at once with `--org`, unless told otherwise: enough to
/// hide latency, few enough to stay under the APIs' per-account rate limits.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// The session name of assumed roles unless told otherwise; CloudTrail shows it as the
/// session's name, so an administrator sees who read the account.
pub const DEFAULT_SESSION_NAME: &str = "eastwest";

/// How throttled calls are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    /// Exponential backoff with jitter.
    Standard,
    /// Standard, plus a client-side rate limiter that slows down when throttled.
    Adaptive,
}

/// What the command line said about AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// A named profile of the shared config files.
    pub profile: Option<String>,
    /// Regions to read; empty: the configured one.
    pub regions: Vec<String>,
    /// A role assumed for everything: S3 reads and the inventory's first account.
    pub role: Option<String>,
    /// Roles to assume, one per further account (the live inventory).
    pub assume_roles: Vec<String>,
    /// The external id every assumed role is assumed with.
    pub external_id: Option<String>,
    /// The session name of assumed roles (default [`DEFAULT_SESSION_NAME`]).
    pub session_name: Option<String>,
    /// Read every account of the organisation (Organizations ListAccounts) through `org_role`.
    pub org: bool,
    /// The role assumed in member accounts (default [`DEFAULT_ORG_ROLE`]).
    pub org_role: Option<String>,
    /// Accounts assumed and read at once (0: [`DEFAULT_CONCURRENCY`]).
    pub concurrency: usize,
    /// Retry mode (default: the environment's, else adaptive).
    pub retry_mode: Option<RetryMode>,
    /// Attempts per call (default: the environment's, else [`DEFAULT_MAX_ATTEMPTS`]).
    pub max_attempts: Option<u32>,
}

/// The AWS configuration every client is built from. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AwsContext {
    /// The primary configuration: profile or default chain, through `--role` when given.
    primary: SdkConfig,
    /// The same before `--role`: roles of further accounts are assumed from it.
    base: SdkConfig,
    options: Arc<AwsOptions>,
}

/// An account to read, with the configuration that reaches it.
#[derive(Debug, Clone)]
pub struct Account {
    /// How the account was reached: `default credentials`, a role ARN, or `organization`.
    pub label: String,
    /// The 12-digit account id, from STS GetCallerIdentity.
    pub id: String,
    /// Its configuration (region: the first of [`AwsContext::regions`]).
    pub config: SdkConfig,
}

/// An account that could not be reached, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProblem {
    /// The account or role as the user would name it.
    pub label: String,
    /// The API that failed (`sts:AssumeRole`, `organizations:ListAccounts`, ...).
    pub api: &'static str,
    /// The error, with its causes.
    pub reason: String,
}

impl AwsContext {
    /// Loads the configuration. Nothing is called yet: credentials (and `--role`) are resolved
    /// on the first request, so a command that never calls AWS pays nothing.
    pub async fn load(options: AwsOptions) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(retry) = retry_config(&options) {
            loader = loader.retry_config(retry);
        }
        if let Some(profile) = &options.profile {
            // An explicit profile wins over credentials in the environment, as with the AWS
            // CLI's --profile (the default chain would look at the environment first).
            let credentials = aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .build();
            loader = loader
                .profile_name(profile)
                .credentials_provider(credentials);
        }
        let base = loader.load().await;
        let mut context = Self {
            primary: base.clone(),
            base,
            options: Arc::new(options),
        };
        if let Some(role) = context.options.role.clone() {
            context.primary = context.assume_from(&context.base, &role).await;
        }
        context
    }

    /// The options it was built from.
    pub fn options(&self) -> &AwsOptions {
        &self.options
    }

    /// The primary configuration (the profile or default chain, through `--role`): what S3
    /// reads and the inventory's first account use.
    pub fn config(&self) -> &SdkConfig {
        &self.primary
    }

    /// A configuration in another region.
    pub fn in_region(config: &SdkConfig, region: &str) -> SdkConfig {
        config
            .to_builder()
            .region(Region::new(region.to_string()))
            .build()
    }

    /// The regions to read: the ones asked for, else the configured one, else `us-east-1`.
    pub fn regions(&self) -> Vec<String> {
        if !self.options.regions.is_empty() {
            return self.options.regions.clone();
        }
        vec![
            self.base
                .region()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "us-east-1".to_string()),
        ]
    }

    /// Whether S3 must be addressed path-style: an endpoint is set (an emulator or a gateway
    /// that does not resolve bucket subdomains).
    pub fn path_style(&self) -> bool {
        self.primary.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
    }

    /// Accounts assumed and read at once.
    pub fn concurrency(&self) -> usize {
        match self.options.concurrency {
            0 => DEFAULT_CONCURRENCY,
            n => n,
        }
    }

    /// A configuration that assumes `role_arn` from `from`, with the options' external id and
    /// session name.
    async fn assume_from(&self, from: &SdkConfig, role_arn: &str) -> SdkConfig {
        let session = self
            .options
            .session_name
            .as_deref()
            .unwrap_or(DEFAULT_SESSION_NAME);
        let region = self.regions().swap_remove(0);
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name(session)
            .configure(from)
            .region(Region::new(region));
        if let Some(id) = &self.options.external_id {
            builder = builder.external_id(id);
        }
        let provider = builder.build().await;
        from.to_builder()
            .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
                provider,
            ))
            .build()
    }

    /// A configuration that assumes `role_arn` from the primary one.
    pub async fn assume(&self, role_arn: &str) -> SdkConfig {
        self.assume_from(&self.primary, role_arn).await
    }

    /// The account a configuration reaches (STS GetCallerIdentity).
    pub async fn identify(config: &SdkConfig) -> Result<String, String> {
        let identity = aws_sdk_sts::Client::new(config)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| error_text(&e))?;
        identity
            .account()
            .map(str::to_string)
            .ok_or_else(|| "GetCallerIdentity named no account".to_string())
    }

    /// Every account to read, each identified: the primary one, one per `--assume-role`, and
    /// with `--org` every active account of the organisation through the organisation role
    /// (assumed [`Self::concurrency`] at a time). An account that cannot be reached is a named
    /// problem; the others are returned. An account reached twice is kept once.
    pub async fn accounts(&self) -> (Vec<Account>, Vec<AccountProblem>) {
        let region = self.regions().swap_remove(0);
        let primary = Self::in_region(&self.primary, &region);
        let mut accounts = Vec::new();
        let mut problems = Vec::new();
        let primary_label = match &self.options.role {
            Some(role) => role.clone(),
            None => "default credentials".to_string(),
        };
        let primary_id = match Self::identify(&primary).await {
            Ok(id) => {
                accounts.push(Account {
                    label: primary_label,
                    id: id.clone(),
                    config: primary.clone(),
                });
                Some(id)
            }
            Err(reason) => {
                problems.push(AccountProblem {
                    label: primary_label,
                    api: "sts:GetCallerIdentity",
                    reason,
                });
                None
            }
        };
        let mut roles: Vec<(String, String)> = self
            .options
            .assume_roles
            .iter()
            .map(|arn| (arn.clone(), arn.clone()))
            .collect();
        if self.options.org {
            match self.organization_accounts(&primary).await {
                Ok(members) => {
                    let role = self.options.org_role.as_deref().unwrap_or(DEFAULT_ORG_ROLE);
                    let partition = partition(&region);
                    for (id, name) in members {
                        // The management account is read with the primary credentials.
                        if Some(&id) == primary_id.as_ref() {
                            continue;
                        }
                        roles.push((
                            format!("{id} ({name})"),
                            format!("arn:{partition}:iam::{id}:role/{role}"),
                        ));
                    }
                }
                Err(reason) => problems.push(AccountProblem {
                    label: "organization".to_string(),
                    api: "organizations:ListAccounts",
                    reason,
                }),
            }
        }
        let reached: Vec<Result<Account, AccountProblem>> =
            futures::stream::iter(roles.into_iter().map(|(label, arn)| {
                let primary = primary.clone();
                async move {
                    let config = self.assume_from(&primary, &arn).await;
                    match Self::identify(&config).await {
                        Ok(id) => Ok(Account { label, id, config }),
                        Err(reason) => Err(AccountProblem {
                            label,
                            api: "sts:AssumeRole",
                            reason: format!("cannot assume {arn}: {reason}"),
                        }),
                    }
                }
            }))
            .buffered(self.concurrency())
            .collect()
            .await;
        for result in reached {
            match result {
                Ok(account) if accounts.iter().any(|a: &Account| a.id == account.id) => {
                    tracing::debug!(
                        "{} reaches account {} again; read once",
                        account.label,
                        account.id
                    );
                }
                Ok(account) => accounts.push(account),
                Err(problem) => problems.push(problem),
            }
        }
        (accounts, problems)
    }

    /// The organisation's active accounts (id, name), in the order Organizations lists them.
    async fn organization_accounts(
        &self,
        config: &SdkConfig,
    ) -> Result<Vec<(String, String)>, String> {
        use aws_sdk_organizations::types::AccountStatus;
        let client = aws_sdk_organizations::Client::new(config);
        let mut pages = client.list_accounts().into_paginator().send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| error_text(&e))?;
            for account in page.accounts() {
                if account.status() != Some(&AccountStatus::Active) {
                    continue;
                }
                if let Some(id) = account.id() {
                    out.push((id.to_string(), account.name().unwrap_or("").to_string()));
                }
            }
        }
        Ok(out)
    }
}

/// The retry configuration the options ask for; None leaves the SDK's loader to read the
/// environment (`AWS_RETRY_MODE`, `AWS_MAX_ATTEMPTS`), which wins over our default.
fn retry_config(options: &AwsOptions) -> Option<RetryConfig> {
    let from_env = std::env::var_os("AWS_MAX_ATTEMPTS").is_some()
        || std::env::var_os("AWS_RETRY_MODE").is_some();
    if from_env && options.retry_mode.is_none() && options.max_attempts.is_none() {
        return None;
    }
    let config = match options.retry_mode.unwrap_or(RetryMode::Adaptive) {
        RetryMode::Standard => RetryConfig::standard(),
        RetryMode::Adaptive => RetryConfig::adaptive(),
    };
    Some(config.with_max_attempts(options.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS).max(1)))
}

/// The id of the EC2 instance this process runs on: `EASTWEST_SELF_INSTANCE_ID` where set (a
/// host whose metadata service is off or blocked), else the metadata service (one try, one
/// second), else None (not on EC2, or `AWS_EC2_METADATA_DISABLED`). Response uses it to refuse
/// to contain the host it runs on.
pub async fn own_instance_id() -> Option<String> {
    if let Ok(id) = std::env::var("EASTWEST_SELF_INSTANCE_ID") {
        return Some(id);
    }
    if std::env::var("AWS_EC2_METADATA_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true")) {
        return None;
    }
    let client = aws_config::imds::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(1))
        .read_timeout(std::time::Duration::from_secs(1))
        .max_attempts(1)
        .build();
    client
        .get("/latest/meta-data/instance-id")
        .await
        .ok()
        .map(|id| id.as_ref().to_string())
}

/// The partition of a region, for ARNs.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// An SDK error with its causes, on one line: the SDK's own `Display` says only "service
/// error".
pub fn error_text<E: std::error::Error>(error: &E) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }

    #[test]
    fn options_set_the_retry_policy() {
        let options = AwsOptions {
            retry_mode: Some(RetryMode::Standard),
            max_attempts: Some(3),
            ..AwsOptions::default()
        };
        let retry = retry_config(&options).expect("set by the options");
        assert_eq!(retry.max_attempts(), 3);
        assert_eq!(retry.mode(), aws_config::retry::RetryMode::Standard);
        let options = AwsOptions {
            max_attempts: Some(0),
            ..AwsOptions::default()
        };
        assert_eq!(retry_config(&options).expect("set").max_attempts(), 1);
    }
}
