//! `contain`, `release` and `revoke` through the real SDK against moto_server on 127.0.0.1,
//! with a logging, fault-injecting proxy where a test must see which calls were made or make
//! one fail: contain then release returns the instance to exactly its recorded state; a dry run
//! makes no call that changes anything; a failure mid-way resumes to the right end state;
//! revocation adds the dated deny policy and its undo removes it; the safety rules refuse.

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Output};

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ec2::types::{Filter, InstanceAttributeName, ResourceType, Tag, TagSpecification};
use common::{Fault, Moto, Proxy};

macro_rules! client {
    ($sdk:ident, $url:expr) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .endpoint_url($url)
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
                .build(),
        )
    };
}

fn eastwest(endpoint: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(endpoint, args, env)
        .output()
        .expect("the binary runs")
}

fn command(endpoint: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
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
        .env_remove("EASTWEST_SELF_INSTANCE_ID")
        .env("AWS_MAX_ATTEMPTS", "2")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    for (k, v) in env {
        command.env(k, v);
    }
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What containment changes and release must restore, read through the SDK.
#[derive(Debug, PartialEq)]
struct Observed {
    groups: BTreeMap<String, Vec<String>>,
    termination_protection: bool,
    tags: BTreeMap<String, String>,
    nacl: Vec<(i32, bool, String, String)>,
    role_policies: Vec<String>,
    targets: Vec<String>,
    profile: Option<String>,
}

struct Estate {
    instance: String,
    vpc: String,
    target_group: String,
}

async fn observe(url: &str, estate: &Estate) -> Observed {
    let ec2 = client!(aws_sdk_ec2, url);
    let out = ec2
        .describe_instances()
        .instance_ids(&estate.instance)
        .send()
        .await
        .expect("describe");
    let instance = &out.reservations()[0].instances()[0];
    // Groups as each interface says (moto's DescribeInstances reports the launch groups too).
    let interfaces = ec2
        .describe_network_interfaces()
        .filters(
            Filter::builder()
                .name("attachment.instance-id")
                .values(&estate.instance)
                .build(),
        )
        .send()
        .await
        .expect("interfaces");
    let groups = interfaces
        .network_interfaces()
        .iter()
        .map(|n| {
            (
                n.network_interface_id().unwrap_or_default().to_string(),
                n.groups()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string))
                    .collect(),
            )
        })
        .collect();
    let tags = instance
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let termination_protection = ec2
        .describe_instance_attribute()
        .instance_id(&estate.instance)
        .attribute(InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .expect("attribute")
        .disable_api_termination()
        .and_then(|v| v.value())
        .unwrap_or(false);
    let acls = ec2
        .describe_network_acls()
        .filters(Filter::builder().name("vpc-id").values(&estate.vpc).build())
        .send()
        .await
        .expect("acls");
    let mut nacl: Vec<(i32, bool, String, String)> = acls
        .network_acls()
        .iter()
        .flat_map(|a| a.entries())
        .map(|e| {
            (
                e.rule_number().unwrap_or_default(),
                e.egress().unwrap_or_default(),
                e.cidr_block().unwrap_or_default().to_string(),
                e.rule_action()
                    .map(|a| a.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    nacl.sort();
    let iam = client!(aws_sdk_iam, url);
    let mut role_policies = iam
        .list_role_policies()
        .role_name("app-role")
        .send()
        .await
        .expect("policies")
        .policy_names()
        .to_vec();
    role_policies.sort();
    let elb = client!(aws_sdk_elasticloadbalancingv2, url);
    let targets = elb
        .describe_target_health()
        .target_group_arn(&estate.target_group)
        .send()
        .await
        .expect("health")
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target().and_then(|t| t.id()).map(str::to_string))
        .collect();
    Observed {
        groups,
        termination_protection,
        tags,
        nacl,
        role_policies,
        targets,
        profile: instance
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(str::to_string),
    }
}

/// An instance with two groups, a role with an inline policy, a tag eastwest also sets, and a
/// target-group registration.
async fn estate(url: &str) -> Estate {
    let ec2 = client!(aws_sdk_ec2, url);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.50.0.0/16")
        .send()
        .await
        .expect("vpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("id")
        .to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.50.1.0/24")
        .send()
        .await
        .expect("subnet")
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("id")
        .to_string();
    let mut groups = Vec::new();
    for name in ["app", "monitoring"] {
        groups.push(
            ec2.create_security_group()
                .group_name(name)
                .description(name)
                .vpc_id(&vpc)
                .send()
                .await
                .expect("sg")
                .group_id()
                .expect("id")
                .to_string(),
        );
    }
    let iam = client!(aws_sdk_iam, url);
    iam.create_role()
        .role_name("app-role")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
        .send()
        .await
        .expect("role");
    iam.put_role_policy()
        .role_name("app-role")
        .policy_name("app-policy")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
        .send()
        .await
        .expect("policy");
    iam.create_instance_profile()
        .instance_profile_name("app-profile")
        .send()
        .await
        .expect("profile");
    iam.add_role_to_instance_profile()
        .instance_profile_name("app-profile")
        .role_name("app-role")
        .send()
        .await
        .expect("profile role");
    let image = ec2
        .describe_images()
        .send()
        .await
        .expect("images")
        .images()
        .iter()
        .find_map(|i| i.image_id().map(str::to_string))
        .expect("an image");
    let instance = ec2
        .run_instances()
        .image_id(&image)
        .min_count(1)
        .max_count(1)
        // Groups given on the interface, not the instance: moto reports an interface's groups
        // as the union of both sets, so groups given to the instance could never be replaced.
        .network_interfaces(
            aws_sdk_ec2::types::InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .subnet_id(&subnet)
                .set_groups(Some(groups.clone()))
                .build(),
        )
        .iam_instance_profile(
            aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                .name("app-profile")
                .build(),
        )
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Instance)
                .tags(Tag::builder().key("Name").value("app-1").build())
                .tags(
                    Tag::builder()
                        .key("eastwest:incident")
                        .value("INC-0")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("instance")
        .instances()[0]
        .instance_id()
        .expect("id")
        .to_string();
    let elb = client!(aws_sdk_elasticloadbalancingv2, url);
    let target_group = elb
        .create_target_group()
        .name("app")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(8080)
        .vpc_id(&vpc)
        .send()
        .await
        .expect("target group")
        .target_groups()[0]
        .target_group_arn()
        .expect("arn")
        .to_string();
    elb.register_targets()
        .target_group_arn(&target_group)
        .targets(
            aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                .id(&instance)
                .build(),
        )
        .send()
        .await
        .expect("register");
    Estate {
        instance,
        vpc,
        target_group,
    }
}

/// Whether an API name changes something (anything but describes, gets and lists).
fn mutating(api: &str) -> bool {
    // JSON-protocol APIs are named `Service_Version.Operation`.
    let api = if api.starts_with("GET ") {
        api
    } else {
        api.rsplit('.').next().unwrap_or(api)
    };
    !(api.starts_with("Describe")
        || api.starts_with("Get")
        || api.starts_with("List")
        || api.starts_with("GET "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contain_then_release_returns_the_exact_recorded_state() {
    let moto = Moto::start();
    let estate = estate(&moto.url).await;
    let before = observe(&moto.url, &estate).await;
    assert_eq!(before.targets, std::slice::from_ref(&estate.instance));
    let state = tempfile::tempdir().expect("dir");
    let state_dir = state.path().to_str().expect("path");
    let contain = [
        "contain",
        estate.instance.as_str(),
        "--nacl",
        "--revoke-sessions",
        "--incident",
        "INC-7",
        "--forensic-cidr",
        "203.0.113.0/24",
    ];

    // The dry run prints the calls and makes none that changes anything.
    let proxy = Proxy::start(&moto.url, Vec::new());
    let plan = eastwest(&proxy.url, &contain, &[]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(stdout.contains("nothing changed"), "{stdout}");
    assert!(
        stdout.contains("ec2:ModifyNetworkInterfaceAttribute"),
        "{stdout}"
    );
    assert!(stdout.contains("ec2:CreateNetworkAclEntry"), "{stdout}");
    assert!(stdout.contains("hosts in the same subnet"), "{stdout}");
    let seen = proxy.seen();
    assert!(!seen.is_empty());
    let changes: Vec<&str> = seen
        .iter()
        .map(|s| s.api.as_str())
        .filter(|a| mutating(a))
        .collect();
    assert!(
        changes.is_empty(),
        "the dry run changed something: {changes:?}"
    );
    assert_eq!(observe(&moto.url, &estate).await, before);

    // Applied: isolated, protected, tagged, denied by the NACL, sessions revoked, out of the
    // target group; verified.
    let mut apply = contain.to_vec();
    apply.extend(["--apply", "--state", state_dir]);
    let run = eastwest(&moto.url, &apply, &[]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}\n{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    assert!(
        text(&run.stdout).contains("verified"),
        "{}",
        text(&run.stdout)
    );
    let contained = observe(&moto.url, &estate).await;
    let ec2 = client!(aws_sdk_ec2, &moto.url);
    let isolation = ec2
        .describe_security_groups()
        .filters(
            Filter::builder()
                .name("group-name")
                .values("eastwest-isolation")
                .build(),
        )
        .send()
        .await
        .expect("groups");
    let isolation = &isolation.security_groups()[0];
    assert!(isolation.ip_permissions_egress().is_empty(), "no way out");
    assert_eq!(
        isolation.ip_permissions()[0].ip_ranges()[0].cidr_ip(),
        Some("203.0.113.0/24")
    );
    for groups in contained.groups.values() {
        assert_eq!(groups, &[isolation.group_id().expect("id").to_string()]);
    }
    assert!(contained.termination_protection);
    assert_eq!(contained.tags["eastwest:incident"], "INC-7");
    assert!(contained.tags.contains_key("eastwest:contained"));
    let address = client!(aws_sdk_ec2, &moto.url)
        .describe_instances()
        .instance_ids(&estate.instance)
        .send()
        .await
        .expect("describe")
        .reservations()[0]
        .instances()[0]
        .private_ip_address()
        .expect("address")
        .to_string();
    for egress in [false, true] {
        assert!(
            contained
                .nacl
                .contains(&(1, egress, format!("{address}/32"), "deny".to_string())),
            "{:?}",
            contained.nacl
        );
    }
    assert!(
        contained
            .role_policies
            .contains(&"eastwest-revoke-older-sessions".to_string())
    );
    let iam = client!(aws_sdk_iam, &moto.url);
    let document = iam
        .get_role_policy()
        .role_name("app-role")
        .policy_name("eastwest-revoke-older-sessions")
        .send()
        .await
        .expect("policy")
        .policy_document()
        .to_string();
    assert!(
        document.contains("aws%3ATokenIssueTime") || document.contains("aws:TokenIssueTime"),
        "{document}"
    );
    assert!(contained.targets.is_empty());
    assert_eq!(
        contained.profile, before.profile,
        "the profile stays; its sessions are revoked"
    );

    // Again: nothing to do, nothing changed.
    let proxy = Proxy::start(&moto.url, Vec::new());
    let again = eastwest(&proxy.url, &apply, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).contains("already contained"),
        "{}",
        text(&again.stdout)
    );
    assert!(proxy.seen().iter().all(|s| !mutating(&s.api)));

    // Confirmed from later flow logs: the host's records after containment are rejected; one
    // accepted record is a breach, named by file and line.
    let eni = contained
        .groups
        .keys()
        .next()
        .expect("an interface")
        .clone();
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 120;
    let logs = tempfile::tempdir().expect("logs");
    let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";
    let quiet = format!(
        "{header}\n2 123456789012 {eni} 10.50.1.99 {address} 40000 22 6 1 40 {later} {} REJECT OK\n2 123456789012 eni-0fe 10.50.1.7 10.50.1.8 40001 443 6 1 40 {later} {} ACCEPT OK\n",
        later + 60,
        later + 60
    );
    std::fs::write(logs.path().join("quiet.log"), &quiet).expect("write");
    let mut confirm = apply.clone();
    confirm.extend(["--flows", logs.path().to_str().expect("path")]);
    let quiet_run = eastwest(&moto.url, &confirm, &[]);
    let stdout = text(&quiet_run.stdout);
    assert_eq!(
        quiet_run.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&quiet_run.stderr)
    );
    assert!(
        stdout.contains("confirmed from the flow logs: 1 record(s)")
            && stdout.contains("none accepted"),
        "{stdout}"
    );
    std::fs::write(
        logs.path().join("breach.log"),
        format!(
            "{header}\n2 123456789012 {eni} {address} 10.50.1.7 51000 5432 6 9 900 {later} {} ACCEPT OK\n",
            later + 60
        ),
    )
    .expect("write");
    let breached = eastwest(&moto.url, &confirm, &[]);
    let (stdout, stderr) = (text(&breached.stdout), text(&breached.stderr));
    assert_eq!(breached.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("1 accepted flow record(s)"), "{stderr}");
    assert!(
        stdout.contains("breach.log:2") && stdout.contains("10.50.1.7:5432"),
        "{stdout}"
    );

    // Released: exactly as recorded.
    let release = eastwest(
        &moto.url,
        &["release", &estate.instance, "--apply", "--state", state_dir],
        &[],
    );
    assert_eq!(
        release.status.code(),
        Some(0),
        "{}\n{}",
        text(&release.stdout),
        text(&release.stderr)
    );
    assert_eq!(observe(&moto.url, &estate).await, before);

    // Every call is in the audit log, with its result.
    let audit =
        std::fs::read_to_string(state.path().join("respond-audit.jsonl")).expect("audit log");
    let events: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let calls = events.iter().filter(|e| e["event"] == "call").count();
    let done = events.iter().filter(|e| e["event"] == "done").count();
    assert!(calls >= 10, "{calls}");
    assert_eq!(calls, done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_mid_way_is_resumed_to_the_right_end_state() {
    let moto = Moto::start();
    let estate = estate(&moto.url).await;
    let before = observe(&moto.url, &estate).await;
    let state = tempfile::tempdir().expect("dir");
    let state_dir = state.path().to_str().expect("path");
    let apply = [
        "contain",
        estate.instance.as_str(),
        "--nacl",
        "--revoke-sessions",
        "--apply",
        "--state",
        state_dir,
    ];
    // The NACL refuses: the steps before it are done, those after it are not.
    let proxy = Proxy::start(
        &moto.url,
        vec![Fault::ec2_denied(&["Action=CreateNetworkAclEntry"])],
    );
    let failed = eastwest(&proxy.url, &apply, &[]);
    let stderr = text(&failed.stderr);
    assert_eq!(failed.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("CreateNetworkAclEntry") && stderr.contains("resume"),
        "{stderr}"
    );
    let midway = observe(&moto.url, &estate).await;
    assert!(midway.termination_protection);
    assert!(
        !midway
            .role_policies
            .contains(&"eastwest-revoke-older-sessions".to_string())
    );

    // Run again: resumed from the failed step, and verified.
    let resumed = eastwest(&moto.url, &apply, &[]);
    let stdout = text(&resumed.stdout);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&resumed.stderr)
    );
    assert!(stdout.contains("resuming run"), "{stdout}");
    assert!(stdout.contains("done before"), "{stdout}");
    assert!(stdout.contains("verified"), "{stdout}");
    let contained = observe(&moto.url, &estate).await;
    assert!(
        contained
            .role_policies
            .contains(&"eastwest-revoke-older-sessions".to_string())
    );
    assert_eq!(
        contained
            .nacl
            .iter()
            .filter(|e| e.3 == "deny" && e.0 == 1)
            .count(),
        2
    );

    let release = eastwest(
        &moto.url,
        &["release", &estate.instance, "--apply", "--state", state_dir],
        &[],
    );
    assert_eq!(release.status.code(), Some(0), "{}", text(&release.stderr));
    assert_eq!(observe(&moto.url, &estate).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_adds_the_dated_deny_and_undo_removes_it_and_safety_rules_refuse() {
    let moto = Moto::start();
    let estate = estate(&moto.url).await;
    let state = tempfile::tempdir().expect("dir");
    let state_dir = state.path().to_str().expect("path");
    let revoke = eastwest(
        &moto.url,
        &["revoke", "app-role", "--apply", "--state", state_dir],
        &[],
    );
    assert_eq!(revoke.status.code(), Some(0), "{}", text(&revoke.stderr));
    let iam = client!(aws_sdk_iam, &moto.url);
    let document = iam
        .get_role_policy()
        .role_name("app-role")
        .policy_name("eastwest-revoke-older-sessions")
        .send()
        .await
        .expect("the revocation")
        .policy_document()
        .to_string();
    let decoded = document.replace("%3A", ":").replace("%22", "\"");
    assert!(
        decoded.contains("aws:TokenIssueTime")
            && decoded.contains("DateLessThan")
            && decoded.contains("2"),
        "{decoded}"
    );
    let undo = eastwest(
        &moto.url,
        &[
            "revoke", "app-role", "--undo", "--apply", "--state", state_dir,
        ],
        &[],
    );
    assert_eq!(undo.status.code(), Some(0), "{}", text(&undo.stderr));
    let policies = iam
        .list_role_policies()
        .role_name("app-role")
        .send()
        .await
        .expect("policies");
    assert_eq!(policies.policy_names(), ["app-policy"]);

    // --apply without a journal is refused; so is the host eastwest runs on, and an instance
    // tagged never-contain (unless forced).
    let no_state = eastwest(&moto.url, &["contain", &estate.instance, "--apply"], &[]);
    assert_eq!(no_state.status.code(), Some(2));
    assert!(text(&no_state.stderr).contains("--state"));
    let own = eastwest(
        &moto.url,
        &["contain", &estate.instance],
        &[("EASTWEST_SELF_INSTANCE_ID", estate.instance.as_str())],
    );
    assert_eq!(own.status.code(), Some(2));
    assert!(
        text(&own.stderr).contains("runs on"),
        "{}",
        text(&own.stderr)
    );
    client!(aws_sdk_ec2, &moto.url)
        .create_tags()
        .resources(&estate.instance)
        .tags(
            Tag::builder()
                .key("eastwest:never-contain")
                .value("payments")
                .build(),
        )
        .send()
        .await
        .expect("tag");
    let never = eastwest(&moto.url, &["contain", &estate.instance], &[]);
    assert_eq!(never.status.code(), Some(2));
    assert!(
        text(&never.stderr).contains("never-contain"),
        "{}",
        text(&never.stderr)
    );
    let forced = eastwest(&moto.url, &["contain", &estate.instance, "--force"], &[]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    let unknown = eastwest(
        &moto.url,
        &["release", "i-0123456789abcdef0", "--state", state_dir],
        &[],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("never contained"),
        "{}",
        text(&unknown.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_call_is_resumed_without_repeating_the_change() {
    let moto = Moto::start();
    let estate = estate(&moto.url).await;
    let before = observe(&moto.url, &estate).await;
    let state = tempfile::tempdir().expect("dir");
    let state_dir = state.path().to_str().expect("path");
    let apply = [
        "contain",
        estate.instance.as_str(),
        "--nacl",
        "--apply",
        "--state",
        state_dir,
    ];
    // The first NACL entry reaches the emulator, its answer never comes back, and the process
    // is killed while it waits: the entry exists but the journal says the step only started.
    let proxy = Proxy::start(
        &moto.url,
        vec![Fault::stall_after_forward(&[
            "Action=CreateNetworkAclEntry",
        ])],
    );
    let mut child = command(&proxy.url, &apply, &[])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let entries = observe(&moto.url, &estate)
            .await
            .nacl
            .iter()
            .filter(|e| e.3 == "deny" && e.0 < 100)
            .count();
        if entries > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the NACL call never reached the emulator"
        );
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the run ended before it was killed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    child.kill().expect("kill");
    child.wait().expect("reaped");
    let midway = observe(&moto.url, &estate).await;
    assert!(midway.termination_protection, "steps before it were done");
    assert_eq!(
        midway
            .nacl
            .iter()
            .filter(|e| e.3 == "deny" && e.0 < 100)
            .count(),
        1,
        "{:?}",
        midway.nacl
    );

    // Run again: the started step is repeated without a second entry, the rest is done.
    let resumed = eastwest(&moto.url, &apply, &[]);
    let stdout = text(&resumed.stdout);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&resumed.stderr)
    );
    assert!(stdout.contains("resuming run"), "{stdout}");
    assert!(stdout.contains("verified"), "{stdout}");
    let contained = observe(&moto.url, &estate).await;
    let denies: Vec<_> = contained
        .nacl
        .iter()
        .filter(|e| e.3 == "deny" && e.0 < 100)
        .collect();
    assert_eq!(denies.len(), 2, "one per direction, none twice: {denies:?}");
    assert!(denies.iter().all(|e| e.0 == 1), "{denies:?}");

    let release = eastwest(
        &moto.url,
        &["release", &estate.instance, "--apply", "--state", state_dir],
        &[],
    );
    assert_eq!(release.status.code(), Some(0), "{}", text(&release.stderr));
    assert_eq!(observe(&moto.url, &estate).await, before);
}

/// A user's keys (with status), inline policies and console login, through the SDK.
async fn user_state(url: &str, user: &str) -> (Vec<(String, String)>, Vec<String>, bool) {
    let iam = client!(aws_sdk_iam, url);
    let mut keys: Vec<(String, String)> = iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .expect("keys")
        .access_key_metadata()
        .iter()
        .map(|k| {
            (
                k.access_key_id().unwrap_or_default().to_string(),
                k.status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    keys.sort();
    let mut policies = iam
        .list_user_policies()
        .user_name(user)
        .send()
        .await
        .expect("policies")
        .policy_names()
        .to_vec();
    policies.sort();
    let login = iam.get_login_profile().user_name(user).send().await.is_ok();
    (keys, policies, login)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_user_deactivates_its_keys_denies_it_and_undo_restores_exactly() {
    let moto = Moto::start();
    let iam = client!(aws_sdk_iam, &moto.url);
    iam.create_user()
        .user_name("alice")
        .send()
        .await
        .expect("user");
    let mut keys = Vec::new();
    for _ in 0..2 {
        let key = iam
            .create_access_key()
            .user_name("alice")
            .send()
            .await
            .expect("key");
        keys.push(
            key.access_key()
                .map(|k| k.access_key_id().to_string())
                .expect("id"),
        );
    }
    // One key was already inactive: the undo must leave it so.
    iam.update_access_key()
        .user_name("alice")
        .access_key_id(&keys[1])
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .expect("inactive");
    iam.create_login_profile()
        .user_name("alice")
        .password("Correct-Horse-9")
        .send()
        .await
        .expect("login");
    iam.put_user_policy()
        .user_name("alice")
        .policy_name("own")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#)
        .send()
        .await
        .expect("policy");
    let before = user_state(&moto.url, "alice").await;
    let state = tempfile::tempdir().expect("dir");
    let state_dir = state.path().to_str().expect("path");

    // The plan names the one active key and the policy, and changes nothing.
    let proxy = Proxy::start(&moto.url, Vec::new());
    let plan = eastwest(&proxy.url, &["revoke", "--user", "alice"], &[]);
    let stdout = text(&plan.stdout);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
    assert!(
        stdout.contains(&format!("AccessKeyId={} Status=Inactive", keys[0])),
        "{stdout}"
    );
    assert!(!stdout.contains(&keys[1]), "{stdout}");
    assert!(stdout.contains("iam:PutUserPolicy"), "{stdout}");
    assert!(proxy.seen().iter().all(|s| !mutating(&s.api)));
    assert_eq!(user_state(&moto.url, "alice").await, before);

    let revoke = ["revoke", "--user", "alice", "--apply", "--state", state_dir];
    let run = eastwest(&moto.url, &revoke, &[]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}\n{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    assert!(
        text(&run.stdout).contains("verified"),
        "{}",
        text(&run.stdout)
    );
    let (after_keys, after_policies, login) = user_state(&moto.url, "alice").await;
    assert!(
        after_keys.iter().all(|(_, s)| s == "Inactive"),
        "{after_keys:?}"
    );
    assert_eq!(after_policies, ["eastwest-deny-all", "own"]);
    assert!(login, "the password is kept, so the undo is exact");
    let document = iam
        .get_user_policy()
        .user_name("alice")
        .policy_name("eastwest-deny-all")
        .send()
        .await
        .expect("deny")
        .policy_document()
        .replace("%22", "\"")
        .replace("%2A", "*");
    assert!(document.contains("Deny"), "{document}");

    // Again: nothing to do.
    let proxy = Proxy::start(&moto.url, Vec::new());
    let again = eastwest(&proxy.url, &revoke, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("already revoked"));
    assert!(proxy.seen().iter().all(|s| !mutating(&s.api)));

    let mut undo = revoke.to_vec();
    undo.push("--undo");
    let restored = eastwest(&moto.url, &undo, &[]);
    assert_eq!(
        restored.status.code(),
        Some(0),
        "{}\n{}",
        text(&restored.stdout),
        text(&restored.stderr)
    );
    assert_eq!(user_state(&moto.url, "alice").await, before);

    let nobody = eastwest(&moto.url, &["revoke", "--user", "nobody"], &[]);
    assert_eq!(nobody.status.code(), Some(2));
    assert!(
        text(&nobody.stderr).contains("nobody"),
        "{}",
        text(&nobody.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detect_contains_automatically_only_when_the_policy_says_so() {
    let moto = Moto::start();
    let estate = estate(&moto.url).await;
    let before = observe(&moto.url, &estate).await;
    let described = client!(aws_sdk_ec2, &moto.url)
        .describe_instances()
        .instance_ids(&estate.instance)
        .send()
        .await
        .expect("describe");
    let instance = &described.reservations()[0].instances()[0];
    let address = instance.private_ip_address().expect("address").to_string();
    let eni = instance.network_interfaces()[0]
        .network_interface_id()
        .expect("eni")
        .to_string();
    // The instance sweeps its subnet: 30 host:port pairs refused in ten minutes.
    let logs = tempfile::tempdir().expect("logs");
    let mut text_log = String::from(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n",
    );
    let start = 1_795_000_000u64;
    for i in 0..30u64 {
        text_log.push_str(&format!(
            "2 123456789012 {eni} {address} 10.50.1.{} {} {} 6 1 44 {} {} REJECT OK\n",
            100 + i % 15,
            40000 + i,
            [22, 3389][(i / 15) as usize],
            start + i * 20,
            start + i * 20 + 30
        ));
    }
    std::fs::write(logs.path().join("sweep.log"), text_log).expect("write");
    let logs_dir = logs.path().to_str().expect("path").to_string();
    let state = tempfile::tempdir().expect("state");
    let state_dir = state.path().to_str().expect("path").to_string();
    let config = |mode: &str| {
        let path = state.path().join(format!("{mode}.toml"));
        std::fs::write(
            &path,
            format!(
                "[response]\nmode = \"{mode}\"\ndetectors = [\"internal-port-scan\"]\nmax_instances = 1\n"
            ),
        )
        .expect("config");
        path.to_str().expect("path").to_string()
    };
    let detect = |endpoint: &str, config: Option<&str>| {
        let mut args = vec![
            "detect",
            logs_dir.as_str(),
            "--inventory",
            "aws",
            "--state",
            state_dir.as_str(),
            "--learn",
            "0s",
        ];
        if let Some(config) = config {
            args.extend(["--config", config]);
        }
        let args: Vec<String> = args.into_iter().map(str::to_string).collect();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        eastwest(endpoint, &refs, &[])
    };

    // No policy: the scan is found and nothing is touched.
    let proxy = Proxy::start(&moto.url, Vec::new());
    let plain = detect(&proxy.url, None);
    let stdout = text(&plain.stdout);
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain.stderr));
    assert!(
        stdout.contains("internal-port-scan"),
        "{stdout}\n{}",
        text(&plain.stderr)
    );
    let changes: Vec<String> = proxy
        .seen()
        .iter()
        .map(|s| s.api.clone())
        .filter(|a| mutating(a))
        .collect();
    assert!(changes.is_empty(), "{changes:?}");
    assert!(!text(&plain.stderr).contains("response:"));

    // Plan mode: says what it would contain, changes nothing.
    let proxy = Proxy::start(&moto.url, Vec::new());
    let plan_config = config("plan");
    let planned = detect(&proxy.url, Some(&plan_config));
    let stderr = text(&planned.stderr);
    assert_eq!(planned.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("would contain {}", estate.instance)),
        "{stderr}"
    );
    let changes: Vec<String> = proxy
        .seen()
        .iter()
        .map(|s| s.api.clone())
        .filter(|a| mutating(a))
        .collect();
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(observe(&moto.url, &estate).await, before);

    // Apply: contained, verified, journaled as automatic with the finding that chose it.
    let apply_config = config("apply");
    let applied = detect(&moto.url, Some(&apply_config));
    let stderr = text(&applied.stderr);
    assert_eq!(applied.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("{} contained and verified", estate.instance)),
        "{stderr}"
    );
    let contained = observe(&moto.url, &estate).await;
    assert!(contained.termination_protection);
    assert_ne!(contained.groups, before.groups);
    let audit = std::fs::read_to_string(state.path().join("respond-audit.jsonl")).expect("audit");
    let automatic: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .filter(|e| e["event"] == "automatic")
        .collect();
    assert_eq!(automatic.len(), 1, "{audit}");
    assert_eq!(automatic[0]["trigger"]["analytic"], "internal-port-scan");
    assert!(contained.tags.contains_key("eastwest:incident"));

    // It is released like any containment.
    let release = eastwest(
        &moto.url,
        &[
            "release",
            &estate.instance,
            "--apply",
            "--state",
            &state_dir,
        ],
        &[],
    );
    assert_eq!(release.status.code(), Some(0), "{}", text(&release.stderr));
    assert_eq!(observe(&moto.url, &estate).await, before);

    // Apply without a journal is refused before anything is read.
    let no_state = eastwest(
        &moto.url,
        &["detect", &logs_dir, "--config", &apply_config],
        &[],
    );
    assert_eq!(no_state.status.code(), Some(2));
    assert!(text(&no_state.stderr).contains("--state"));
}
