//! `--inventory aws`: the live loader through the AWS SDK against moto_server on 127.0.0.1.
//! The test builds an estate with the SDK (VPCs in two regions, subnets, security groups with
//! a group reference, an instance profile and role, instances), then reads it back with the
//! `eastwest` binary, snapshots it and replays the snapshot.
//!
//! moto differs from AWS in ways that matter here: it reports an ENI's security groups as the
//! union of the instance's and the ENI's own sets (the same here, as the instances use one
//! group), and its account for the default credentials is 123456789012.

mod common;

use std::process::{Command, Output};

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ec2::types::{
    HttpTokensState, IamInstanceProfileSpecification, InstanceMetadataOptionsRequest, IpPermission,
    ResourceType, Tag, TagSpecification, UserIdGroupPair,
};
use common::Moto;

fn ec2(moto: &Moto, region: &str) -> aws_sdk_ec2::Client {
    let config = aws_sdk_ec2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(&moto.url)
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .build();
    aws_sdk_ec2::Client::from_conf(config)
}

fn iam(moto: &Moto) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(&moto.url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

fn eastwest(moto: &Moto, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .args(["--quiet"])
        .args(args)
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn name_tag(kind: ResourceType, name: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .tags(Tag::builder().key("Name").value(name).build())
        .tags(Tag::builder().key("tier").value("web").build())
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_inventory_reads_what_the_sdk_created() {
    let moto = Moto::start();
    let client = ec2(&moto, "us-east-1");
    let vpc = client
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .send()
        .await
        .expect("vpc");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string();
    let subnet = client
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.20.1.0/24")
        .availability_zone("us-east-1a")
        .send()
        .await
        .expect("subnet");
    let subnet_id = subnet
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_string();
    let web_sg = client
        .create_security_group()
        .group_name("web")
        .description("web tier")
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("sg")
        .group_id()
        .expect("sg id")
        .to_string();
    let db_sg = client
        .create_security_group()
        .group_name("db")
        .description("data tier")
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("sg")
        .group_id()
        .expect("sg id")
        .to_string();
    client
        .authorize_security_group_ingress()
        .group_id(&db_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(5432)
                .to_port(5432)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&web_sg).build())
                .build(),
        )
        .send()
        .await
        .expect("ingress");

    let iam = iam(&moto);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.create_role()
        .role_name("web-role")
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("role");
    iam.put_role_policy()
        .role_name("web-role")
        .policy_name("run-commands")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:SendCommand","Resource":"*"}]}"#)
        .send()
        .await
        .expect("inline policy");
    iam.create_instance_profile()
        .instance_profile_name("web-profile")
        .send()
        .await
        .expect("profile");
    iam.add_role_to_instance_profile()
        .instance_profile_name("web-profile")
        .role_name("web-role")
        .send()
        .await
        .expect("profile role");

    let image = client
        .describe_images()
        .send()
        .await
        .expect("images")
        .images()
        .iter()
        .find_map(|i| i.image_id().map(str::to_string))
        .expect("moto has images");
    let mut addresses = Vec::new();
    for name in ["web-1", "web-2"] {
        let run = client
            .run_instances()
            .image_id(&image)
            .min_count(1)
            .max_count(1)
            .subnet_id(&subnet_id)
            .security_group_ids(&web_sg)
            .iam_instance_profile(
                IamInstanceProfileSpecification::builder()
                    .name("web-profile")
                    .build(),
            )
            .metadata_options(
                InstanceMetadataOptionsRequest::builder()
                    .http_tokens(HttpTokensState::Optional)
                    .build(),
            )
            .tag_specifications(name_tag(ResourceType::Instance, name))
            .send()
            .await
            .expect("instance");
        let instance = &run.instances()[0];
        addresses.push((
            name,
            instance.instance_id().expect("id").to_string(),
            instance.private_ip_address().expect("ip").to_string(),
        ));
    }
    // A second region.
    let west = ec2(&moto, "eu-west-1");
    west.create_vpc()
        .cidr_block("10.99.0.0/16")
        .send()
        .await
        .expect("vpc west");

    let out = eastwest(
        &moto,
        &[
            "inventory",
            "assets",
            "--format",
            "json",
            "--inventory",
            "aws",
            "--region",
            "us-east-1,eu-west-1",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let assets: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    for (name, id, ip) in &addresses {
        let asset = assets
            .iter()
            .find(|a| a["instance"] == *id)
            .unwrap_or_else(|| panic!("{name} missing from {assets:?}"));
        assert_eq!(asset["name"], *name);
        assert_eq!(asset["kind"], "instance");
        assert_eq!(asset["private_ips"], *ip);
        assert_eq!(asset["vpc"], vpc_id);
        assert_eq!(asset["subnet"], subnet_id);
        assert_eq!(asset["security_groups"], web_sg);
        assert_eq!(asset["role"], "web-role");
        assert_eq!(asset["instance_profile"], "web-profile");
        assert_eq!(asset["tier"], "web");
        assert_eq!(asset["peer_group"], "tier:web");
        assert_eq!(asset["region"], "us-east-1");
        assert_eq!(asset["account"], "123456789012");
    }
    assert!(stderr.contains("2 instances"), "{stderr}");

    // A snapshot replays to the same assets and keeps what posture needs: the group reference,
    // the inline policy, IMDS settings, the second region's VPC.
    let dir = tempfile::tempdir().expect("dir");
    let snap = eastwest(
        &moto,
        &[
            "inventory",
            "snapshot",
            "--inventory",
            "aws",
            "--region",
            "us-east-1,eu-west-1",
            "--out",
            dir.path().to_str().expect("path"),
        ],
    );
    assert_eq!(snap.status.code(), Some(0), "{}", text(&snap.stderr));
    let replay = eastwest(
        &moto,
        &[
            "inventory",
            "assets",
            "--format",
            "json",
            "--inventory",
            dir.path().to_str().expect("path"),
        ],
    );
    assert_eq!(text(&replay.stdout), text(&out.stdout));
    let (inventory, report) = eastwest_inventory::load_dir(dir.path()).expect("snapshot loads");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let db = inventory
        .security_groups
        .iter()
        .find(|g| g.item.group_id == db_sg)
        .expect("db group");
    let rule = &db.item.ip_permissions[0];
    assert_eq!((rule.from_port, rule.to_port), (Some(5432), Some(5432)));
    assert_eq!(
        rule.user_id_group_pairs[0].group_id.as_deref(),
        Some(web_sg.as_str())
    );
    let role = inventory
        .role_details
        .iter()
        .find(|r| r.item.role_name == "web-role")
        .expect("role details");
    assert_eq!(
        role.item.role_policy_list[0]
            .policy_document
            .as_ref()
            .expect("document")["Statement"][0]["Action"],
        "ssm:SendCommand"
    );
    let imds = inventory.instances[0]
        .item
        .metadata_options
        .as_ref()
        .expect("imds");
    assert_eq!(imds.http_tokens.as_deref(), Some("optional"));
    let west_vpc = inventory
        .vpcs
        .iter()
        .find(|v| v.item.cidr_block.as_deref() == Some("10.99.0.0/16"))
        .expect("eu-west-1 VPC");
    assert_eq!(west_vpc.origin.region.as_deref(), Some("eu-west-1"));
    assert!(
        dir.path()
            .join("123456789012/eu-west-1/ec2-describe-vpcs.json")
            .exists()
    );
    assert!(
        dir.path()
            .join("123456789012/iam-get-account-authorization-details.json")
            .exists()
    );

    // A second account through an assumed role (moto keeps accounts apart; the new one has only
    // its default VPC): both accounts end up in the snapshot, each in its own folder.
    let both = tempfile::tempdir().expect("dir");
    let assumed = eastwest(
        &moto,
        &[
            "inventory",
            "snapshot",
            "--inventory",
            "aws",
            "--assume-role",
            "arn:aws:iam::111111111111:role/audit",
            "--out",
            both.path().to_str().expect("path"),
        ],
    );
    assert_eq!(assumed.status.code(), Some(0), "{}", text(&assumed.stderr));
    assert!(
        both.path()
            .join("111111111111/us-east-1/ec2-describe-vpcs.json")
            .exists()
    );
    assert!(
        both.path()
            .join("123456789012/us-east-1/ec2-describe-instances.json")
            .exists()
    );
    // The second account's instances were read and there are none: the output is kept, empty,
    // so the replay knows it was collected.
    let empty: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            both.path()
                .join("111111111111/us-east-1/ec2-describe-instances.json"),
        )
        .expect("an empty describe-instances output"),
    )
    .expect("json");
    assert_eq!(empty["Reservations"], serde_json::json!([]));

    // Flow records between the two instances are named through the live inventory.
    let logs = tempfile::tempdir().expect("dir");
    std::fs::write(
        logs.path().join("flows.log"),
        format!(
            "version vpc-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n\
             3 {vpc_id} {} {} 40000 22 6 10 840 1700000000 1700000060 ACCEPT OK\n",
            addresses[0].2, addresses[1].2
        ),
    )
    .expect("write");
    let named = eastwest(
        &moto,
        &[
            "query",
            "--format",
            "csv",
            "--inventory",
            "aws",
            "SELECT src_name, dst_name, dst_role FROM flows",
            logs.path().to_str().expect("path"),
        ],
    );
    assert_eq!(named.status.code(), Some(0), "{}", text(&named.stderr));
    assert_eq!(
        text(&named.stdout),
        "src_name,dst_name,dst_role\nweb-1,web-2,web-role\n"
    );

    // Options that only make sense for the live API are refused with a directory.
    let wrong = eastwest(
        &moto,
        &[
            "inventory",
            "assets",
            "--inventory",
            dir.path().to_str().expect("path"),
            "--region",
            "us-east-1",
        ],
    );
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong.stderr).contains("--inventory aws"));
}

#[test]
fn live_inventory_names_the_call_that_failed() {
    // Nothing listens on 127.0.0.1:9: the first call fails, the error names it, exit status 2.
    let out = Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .args([
            "--quiet",
            "inventory",
            "assets",
            "--format",
            "csv",
            "--inventory",
            "aws",
        ])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .expect("runs");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("aws:sts:GetCallerIdentity"), "{stderr}");
}
