//! The AWS options every command shares: one [`AwsContext`] is built from them in `main` and
//! handed to whatever calls AWS (S3 inputs, `--inventory aws`).

use eastwest_ingest::s3::{AwsContext, AwsOptions};

/// How throttled calls are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RetryMode {
    /// Exponential backoff with jitter.
    Standard,
    /// Standard plus a client-side rate limiter that slows down when throttled.
    Adaptive,
}

/// AWS credentials, accounts, regions and retries.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "AWS")]
pub struct AwsArgs {
    /// A named profile of the AWS config files, for every AWS call (S3 inputs and --inventory
    /// aws).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// A role to assume for every AWS call (S3 inputs and the inventory's first account).
    #[arg(long, global = true, value_name = "ARN")]
    pub role: Option<String>,
    /// With `--inventory aws`: a role to assume in a further account; repeat per account.
    #[arg(long, global = true, value_name = "ARN")]
    pub assume_role: Vec<String>,
    /// The external id assumed roles require (`sts:ExternalId`).
    #[arg(long, global = true, value_name = "ID")]
    pub external_id: Option<String>,
    /// The session name of assumed roles, as CloudTrail shows it.
    #[arg(long, global = true, value_name = "NAME", default_value = "eastwest")]
    pub session_name: String,
    /// With `--inventory aws`: read every active account of the organisation (Organizations
    /// ListAccounts from the management or a delegated account) through --org-role.
    #[arg(long, global = true)]
    pub org: bool,
    /// With `--org`: the role assumed in each member account.
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        default_value = "OrganizationAccountAccessRole"
    )]
    pub org_role: String,
    /// With `--inventory aws`: accounts read at once.
    #[arg(long, global = true, value_name = "N", default_value_t = 4)]
    pub accounts_at_once: usize,
    /// With `--inventory aws`: regions to read, comma-separated (default: the configured one).
    #[arg(long, global = true, value_delimiter = ',', value_name = "REGION")]
    pub region: Vec<String>,
    /// How throttled calls are retried (default: AWS_RETRY_MODE, else adaptive).
    #[arg(long, global = true, value_enum)]
    pub retry_mode: Option<RetryMode>,
    /// Attempts per AWS call (default: AWS_MAX_ATTEMPTS, else 8).
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: Option<u32>,
}

impl AwsArgs {
    /// Whether an option that only the live inventory uses was given.
    pub fn inventory_only(&self) -> Option<&'static str> {
        if !self.region.is_empty() {
            Some("--region")
        } else if !self.assume_role.is_empty() {
            Some("--assume-role")
        } else if self.org {
            Some("--org")
        } else {
            None
        }
    }

    /// The context every AWS client is built from.
    pub async fn context(&self) -> AwsContext {
        AwsContext::load(AwsOptions {
            profile: self.profile.clone(),
            regions: self.region.clone(),
            role: self.role.clone(),
            assume_roles: self.assume_role.clone(),
            external_id: self.external_id.clone(),
            session_name: Some(self.session_name.clone()),
            org: self.org,
            org_role: Some(self.org_role.clone()),
            concurrency: self.accounts_at_once.max(1),
            retry_mode: self.retry_mode.map(|m| match m {
                RetryMode::Standard => eastwest_ingest::s3::RetryMode::Standard,
                RetryMode::Adaptive => eastwest_ingest::s3::RetryMode::Adaptive,
            }),
            max_attempts: self.max_attempts,
        })
        .await
    }
}
