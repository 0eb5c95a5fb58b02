//! The one AWS layer, through the real SDK against moto_server on 127.0.0.1 (with a logging,
//! fault-injecting proxy in front where a test must see which credentials a call used, or make
//! a call fail): the live inventory reads every output the file loader reads and replays from
//! its snapshot to the same audit; an organisation is read account by account through the
//! organisation role, and an account that refuses the role is named while the others are read;
//! S3 inputs and the inventory use the same profile and role; throttled calls are retried, and
//! a call that still fails makes its checks "not collected".

mod common;

use std::collections::BTreeSet;
use std::process::{Command, Output};

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use common::{Fault, Moto, Proxy};
use serde_json::Value;

const ACCOUNT: &str = "123456789012";

macro_rules! client {
    ($sdk:ident, $url:expr) => {
        client!(
            $sdk,
            $url,
            Credentials::new("testing", "testing", None, None, "test")
        )
    };
    ($sdk:ident, $url:expr, $credentials:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .endpoint_url($url)
                .region(Region::new("us-east-1"))
                .credentials_provider($credentials)
                .build(),
        )
    };
}

/// Runs the binary against `endpoint` with the default test credentials and no config files
/// (unless `env` says otherwise).
fn eastwest(endpoint: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eastwest"));
    command
        .args(["--quiet"])
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_MAX_ATTEMPTS")
        .env_remove("AWS_RETRY_MODE")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_lines(bytes: &[u8]) -> Vec<Value> {
    text(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// An audit's results, without the times that differ between runs: (uid, status, description).
fn audit_results(lines: &[Value]) -> BTreeSet<(String, String, String)> {
    lines
        .iter()
        .map(|l| {
            (
                l["finding_info"]["uid"].as_str().unwrap_or("").to_string(),
                l["compliance"]["status"].as_str().unwrap_or("").to_string(),
                l["finding_info"]["desc"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// An estate with one of everything the live loader reads.
async fn estate(url: &str) -> (String, String) {
    use aws_sdk_ec2::types::{AddPrefixListEntry, IpPermission, PrefixListId as PlId};
    let ec2 = client!(aws_sdk_ec2, url);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.30.0.0/16")
        .send()
        .await
        .expect("vpc");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.30.1.0/24")
        .availability_zone("us-east-1a")
        .send()
        .await
        .expect("subnet");
    let subnet_id = subnet
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_string();
    let list = ec2
        .create_managed_prefix_list()
        .prefix_list_name("db-clients")
        .address_family("IPv4")
        .max_entries(5)
        .entries(
            AddPrefixListEntry::builder()
                .cidr("10.30.1.0/24")
                .description("app subnet")
                .build(),
        )
        .send()
        .await
        .expect("prefix list");
    let list_id = list
        .prefix_list()
        .and_then(|p| p.prefix_list_id())
        .expect("prefix list id")
        .to_string();
    let db_sg = ec2
        .create_security_group()
        .group_name("db")
        .description("database")
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("sg")
        .group_id()
        .expect("sg id")
        .to_string();
    ec2.authorize_security_group_ingress()
        .group_id(&db_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(5432)
                .to_port(5432)
                .prefix_list_ids(PlId::builder().prefix_list_id(&list_id).build())
                .build(),
        )
        .send()
        .await
        .expect("ingress from the prefix list");
    let image = ec2
        .describe_images()
        .send()
        .await
        .expect("images")
        .images()
        .iter()
        .find_map(|i| i.image_id().map(str::to_string))
        .expect("moto has images");
    let instance = ec2
        .run_instances()
        .image_id(&image)
        .min_count(1)
        .max_count(1)
        .subnet_id(&subnet_id)
        .send()
        .await
        .expect("instance");
    let instance_id = instance.instances()[0]
        .instance_id()
        .expect("id")
        .to_string();

    let elb = client!(aws_sdk_elasticloadbalancingv2, url);
    let group = elb
        .create_target_group()
        .name("web")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("target group");
    let group_arn = group.target_groups()[0]
        .target_group_arn()
        .expect("arn")
        .to_string();
    elb.register_targets()
        .target_group_arn(&group_arn)
        .targets(
            aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                .id(&instance_id)
                .build(),
        )
        .send()
        .await
        .expect("register");
    let classic = client!(aws_sdk_elasticloadbalancing, url);
    classic
        .create_load_balancer()
        .load_balancer_name("legacy")
        .listeners(
            aws_sdk_elasticloadbalancing::types::Listener::builder()
                .protocol("HTTP")
                .load_balancer_port(80)
                .instance_port(80)
                .build()
                .expect("listener"),
        )
        .availability_zones("us-east-1a")
        .send()
        .await
        .expect("classic load balancer");
    let rds = client!(aws_sdk_rds, url);
    rds.create_db_instance()
        .db_instance_identifier("orders")
        .engine("postgres")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("orders")
        .master_user_password("not-a-secret-1")
        .vpc_security_group_ids(&db_sg)
        .send()
        .await
        .expect("db");
    let cache = client!(aws_sdk_elasticache, url);
    cache
        .create_cache_cluster()
        .cache_cluster_id("sessions")
        .engine("redis")
        .cache_node_type("cache.t3.micro")
        .num_cache_nodes(1)
        .send()
        .await
        .expect("cache");
    let acm = client!(aws_sdk_acm, url);
    acm.request_certificate()
        .domain_name("app.example.com")
        .send()
        .await
        .expect("certificate");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(url)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("trail-bucket")
        .send()
        .await
        .expect("bucket");
    let trails = client!(aws_sdk_cloudtrail, url);
    trails
        .create_trail()
        .name("main")
        .s3_bucket_name("trail-bucket")
        .is_multi_region_trail(true)
        .send()
        .await
        .expect("trail");
    let guardduty = client!(aws_sdk_guardduty, url);
    guardduty
        .create_detector()
        .enable(true)
        .send()
        .await
        .expect("detector");
    (list_id, instance_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_read_collects_every_output_and_its_snapshot_audits_the_same() {
    let moto = Moto::start();
    let (list_id, instance_id) = estate(&moto.url).await;

    // Every output was read for the account and region.
    let coverage = eastwest(
        &moto.url,
        &[
            "inventory",
            "coverage",
            "--inventory",
            "aws",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(
        coverage.status.code(),
        Some(0),
        "{}",
        text(&coverage.stderr)
    );
    let rows = json_lines(&coverage.stdout);
    let outputs: BTreeSet<&str> = rows.iter().filter_map(|r| r["output"].as_str()).collect();
    assert_eq!(
        outputs.len(),
        eastwest_inventory::coverage::OUTPUTS.len(),
        "{outputs:?}"
    );
    for row in &rows {
        assert_eq!(row["account"], ACCOUNT, "{row}");
        assert_eq!(row["read"], true, "not read live: {row}");
    }

    // The snapshot holds each kind, with what only the live read adds: target health and the
    // prefix list's entries.
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().to_str().expect("path");
    let snap = eastwest(
        &moto.url,
        &["inventory", "snapshot", "--inventory", "aws", "--out", out],
        &[],
    );
    assert_eq!(snap.status.code(), Some(0), "{}", text(&snap.stderr));
    let (inventory, report) = eastwest_inventory::load_dir(dir.path()).expect("snapshot loads");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(
        inventory.prefix_list_cidrs(&list_id),
        Some(vec!["10.30.1.0/24"])
    );
    let group = inventory
        .target_groups
        .iter()
        .find(|g| g.item.target_group_name.as_deref() == Some("web"))
        .expect("target group");
    assert_eq!(
        group.item.targets[0].target.as_ref().map(|t| t.id.as_str()),
        Some(instance_id.as_str())
    );
    assert!(inventory.security_group_rules.iter().any(|r| {
        r.item.prefix_list_id.as_deref() == Some(list_id.as_str()) && r.item.from_port == Some(5432)
    }));
    assert_eq!(inventory.trails[0].item.name, "main");
    assert_eq!(inventory.trails[0].item.is_multi_region_trail, Some(true));
    assert_eq!(inventory.guardduty_detectors[0].item.len(), 1);
    assert_eq!(inventory.guardduty_features.len(), 1);
    assert_eq!(inventory.guardduty_administrators.len(), 1);
    assert!(inventory.images.iter().any(|i| {
        inventory
            .instances
            .iter()
            .any(|x| x.item.image_id.as_deref() == Some(i.item.image_id.as_str()))
    }));
    assert!(
        inventory
            .certificates
            .iter()
            .any(|c| c.item.domain_name.as_deref() == Some("app.example.com"))
    );
    assert_eq!(
        inventory.db_instances[0].item.db_instance_identifier,
        "orders"
    );
    assert_eq!(
        inventory.cache_clusters[0].item.cache_cluster_id,
        "sessions"
    );
    assert_eq!(
        inventory.classic_load_balancers[0].item.load_balancer_name,
        "legacy"
    );
    assert_eq!(inventory.coverage, {
        // The replay has the coverage the live read had.
        let live = eastwest(
            &moto.url,
            &[
                "inventory",
                "coverage",
                "--inventory",
                out,
                "--format",
                "json",
            ],
            &[],
        );
        assert_eq!(json_lines(&live.stdout), rows);
        inventory.coverage.clone()
    });

    // The audit of the live read equals the audit of its snapshot, and nothing is "not
    // collected" in either.
    let live = eastwest(
        &moto.url,
        &["audit", "--inventory", "aws", "--format", "json"],
        &[],
    );
    assert_eq!(live.status.code(), Some(0), "{}", text(&live.stderr));
    let replay = eastwest(
        &moto.url,
        &["audit", "--inventory", out, "--format", "json"],
        &[],
    );
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
    let live = audit_results(&json_lines(&live.stdout));
    assert!(!live.is_empty());
    assert_eq!(live, audit_results(&json_lines(&replay.stdout)));
    assert!(
        live.iter().all(|(_, status, _)| status == "Fail"),
        "{live:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_is_read_through_its_role_and_a_refusing_account_is_named() {
    let moto = Moto::start();
    let org = client!(aws_sdk_organizations, &moto.url);
    org.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .expect("organisation");
    for name in ["prod", "dev"] {
        org.create_account()
            .account_name(name)
            .email(format!("{name}@example.com"))
            .send()
            .await
            .expect("account");
    }
    let accounts = org.list_accounts().send().await.expect("accounts");
    let id = |name: &str| {
        accounts
            .accounts()
            .iter()
            .find(|a| a.name() == Some(name))
            .and_then(|a| a.id())
            .expect("account id")
            .to_string()
    };
    let (prod, dev) = (id("prod"), id("dev"));
    // dev refuses the organisation role.
    let proxy = Proxy::start(
        &moto.url,
        vec![Fault::access_denied(&[
            "Action=AssumeRole",
            &format!("{dev}%3Arole"),
        ])],
    );
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().to_str().expect("path");
    let run = eastwest(
        &proxy.url,
        &[
            "inventory",
            "snapshot",
            "--inventory",
            "aws",
            "--org",
            "--external-id",
            "ext-42",
            "--out",
            out,
        ],
        &[],
    );
    let stderr = text(&run.stderr);
    assert_eq!(
        run.status.code(),
        Some(2),
        "an account was not read: {stderr}"
    );
    assert!(
        stderr.contains("sts:AssumeRole") && stderr.contains(&dev),
        "{stderr}"
    );
    assert!(!stderr.contains(&format!("{prod} (prod)): account not read")));
    // The management account (the caller's) and prod were read; dev was not.
    for (account, read) in [
        (ACCOUNT, true),
        (prod.as_str(), true),
        (dev.as_str(), false),
    ] {
        assert_eq!(
            dir.path()
                .join(account)
                .join("us-east-1/ec2-describe-vpcs.json")
                .exists(),
            read,
            "{account}"
        );
    }
    // Each member through OrganizationAccountAccessRole, with the session name and the
    // external id; prod's reads signed with the assumed role's key, not the caller's.
    let seen = proxy.seen();
    let assumes: Vec<&common::Seen> = seen.iter().filter(|s| s.api == "AssumeRole").collect();
    assert_eq!(
        assumes.len(),
        2,
        "{:?}",
        seen.iter().map(|s| &s.api).collect::<Vec<_>>()
    );
    for assume in &assumes {
        assert!(
            assume.raw.contains("OrganizationAccountAccessRole"),
            "{}",
            assume.raw
        );
        assert!(
            assume.raw.contains("RoleSessionName=eastwest"),
            "{}",
            assume.raw
        );
        assert!(assume.raw.contains("ExternalId=ext-42"), "{}", assume.raw);
        assert_eq!(assume.access_key, "testing");
    }
    let vpc_keys: BTreeSet<&str> = seen
        .iter()
        .filter(|s| s.api == "DescribeVpcs")
        .map(|s| s.access_key.as_str())
        .collect();
    assert_eq!(vpc_keys.len(), 2, "one key per account read: {vpc_keys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_inputs_and_the_inventory_use_the_same_profile_and_role() {
    let moto = Moto::start();
    // The bucket exists only in account 222222222222, so only the role's credentials see it.
    let sts = client!(aws_sdk_sts, &moto.url);
    let assumed = sts
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/reader")
        .role_session_name("setup")
        .send()
        .await
        .expect("assume");
    let c = assumed.credentials().expect("credentials");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&moto.url)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().to_string()),
                None,
                "setup",
            ))
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("flows-222")
        .send()
        .await
        .expect("bucket");
    let records = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n\
                   2 222222222222 eni-1 10.0.0.1 10.0.0.2 40000 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n\
                   2 222222222222 eni-1 10.0.0.1 10.0.0.3 40001 22 6 1 40 1418530010 1418530070 REJECT OK\n";
    s3.put_object()
        .bucket("flows-222")
        .key("AWSLogs/222222222222/vpcflowlogs/us-east-1/2014/12/14/flows.log")
        .body(records.as_bytes().to_vec().into())
        .send()
        .await
        .expect("put");

    // A profile with its own key, and the role on top.
    let home = tempfile::tempdir().expect("dir");
    let config = home.path().join("config");
    std::fs::write(
        &config,
        "[profile audit]\naws_access_key_id = AKIAAUDITPROFILE0001\naws_secret_access_key = profile-secret\nregion = us-east-1\n",
    )
    .expect("config");
    let proxy = Proxy::start(&moto.url, Vec::new());
    let run = eastwest(
        &proxy.url,
        &[
            "--profile",
            "audit",
            "--role",
            "arn:aws:iam::222222222222:role/reader",
            "query",
            "--inventory",
            "aws",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM flows",
            "s3://flows-222/AWSLogs/",
        ],
        &[
            ("AWS_CONFIG_FILE", config.to_str().expect("path")),
            ("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00001"),
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert_eq!(text(&run.stdout), "n\n2\n");
    let seen = proxy.seen();
    // The role is assumed with the profile's key (not the environment's), and every S3 and EC2
    // call is signed with the one session it returned.
    let assume: Vec<&common::Seen> = seen.iter().filter(|s| s.api == "AssumeRole").collect();
    assert!(!assume.is_empty());
    assert!(
        assume
            .iter()
            .all(|s| s.access_key == "AKIAAUDITPROFILE0001")
    );
    let s3_keys: BTreeSet<&str> = seen
        .iter()
        .filter(|s| s.api.starts_with("GET /flows-222"))
        .map(|s| s.access_key.as_str())
        .collect();
    let ec2_keys: BTreeSet<&str> = seen
        .iter()
        .filter(|s| s.api.starts_with("Describe"))
        .map(|s| s.access_key.as_str())
        .collect();
    assert_eq!(s3_keys.len(), 1, "{seen:?}");
    assert_eq!(s3_keys, ec2_keys);
    assert!(!s3_keys.contains("AKIAAUDITPROFILE0001") && !s3_keys.contains("AKIAENVIRONMENT00001"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_calls_are_retried_and_a_call_that_fails_is_not_collected() {
    let moto = Moto::start();
    let ec2 = client!(aws_sdk_ec2, &moto.url);
    ec2.create_vpc()
        .cidr_block("10.40.0.0/16")
        .send()
        .await
        .expect("vpc");
    // Throttled twice, then answered: the read is whole.
    let proxy = Proxy::start(
        &moto.url,
        vec![Fault::ec2_throttled(&["Action=DescribeSecurityGroups"], 2)],
    );
    let run = eastwest(
        &proxy.url,
        &[
            "inventory",
            "coverage",
            "--inventory",
            "aws",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert!(
        json_lines(&run.stdout)
            .iter()
            .any(|r| r["output"] == "SecurityGroups" && r["read"] == true)
    );
    let tries = proxy
        .seen()
        .iter()
        .filter(|s| s.api == "DescribeSecurityGroups")
        .count();
    assert_eq!(tries, 3, "two throttled, one answered");

    // With one attempt the throttled call fails: named, and the checks that need security
    // groups say "not collected" instead of passing.
    let proxy = Proxy::start(
        &moto.url,
        vec![Fault::ec2_throttled(&["Action=DescribeSecurityGroups"], 1)],
    );
    let run = eastwest(
        &proxy.url,
        &[
            "audit",
            "--inventory",
            "aws",
            "--format",
            "json",
            "--max-attempts",
            "1",
        ],
        &[],
    );
    let stderr = text(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ec2:DescribeSecurityGroups"), "{stderr}");
    let not_collected: BTreeSet<String> = json_lines(&run.stdout)
        .iter()
        .filter(|l| l["compliance"]["status"] == "Not collected")
        .filter_map(|l| l["compliance"]["control"].as_str().map(str::to_string))
        .collect();
    let expected: BTreeSet<String> = eastwest_posture::checks::CHECKS
        .iter()
        .filter(|c| c.needs().contains(&"SecurityGroups"))
        .map(|c| c.id().to_string())
        .collect();
    assert!(expected.len() >= 8);
    assert_eq!(not_collected, expected);
}
