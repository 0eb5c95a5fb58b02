//! Route 53 Resolver query logs: one JSON object per query, as S3 delivery writes them (JSON
//! lines, gzip) and as CloudWatch Logs holds them (each log event's message one query, in an
//! export or a Firehose delivery). A pretty-printed object (the AWS documentation's example) is
//! read too.

use std::io::Read;

use eastwest_model::{LogKind, Position};
use serde::Deserialize;

use super::{Container, Sniff, Source, json};
use crate::table::{ColumnType, EventRead, TableDef, Value, bounded, column as col};

/// Largest query-log file read, after decompression. S3 delivery rolls files every few
/// minutes. The file is parsed in memory, so the bound is what one reader can hold: with one
/// reader per core, at most cores x 256 MiB. A larger file is reported unreadable, not cut.
pub const MAX_QUERY_LOG_BYTES: u64 = 256 << 20;

/// The `dns` table's columns, in order.
pub static DNS: TableDef = TableDef {
    name: "dns",
    doc: "One row per DNS query a Route 53 Resolver answered (or a DNS Firewall rule acted on).",
    columns: &[
        col("time", ColumnType::Time, "query_timestamp."),
        col("account_id", ColumnType::Text, "The account of the VPC."),
        col("region", ColumnType::Text, "The Region."),
        col("vpc_id", ColumnType::Text, "The VPC the query came from."),
        col(
            "source_ip",
            ColumnType::Text,
            "srcaddr: the address that asked.",
        ),
        col("source_port", ColumnType::Int, "srcport."),
        col(
            "instance_id",
            ColumnType::Text,
            "srcids.instance: the instance that asked.",
        ),
        col(
            "resolver_endpoint",
            ColumnType::Text,
            "srcids.resolver_endpoint: an inbound endpoint the query came through.",
        ),
        col(
            "query_name",
            ColumnType::Text,
            "The name asked for, with its trailing dot.",
        ),
        col("query_type", ColumnType::Text, "A, AAAA, TXT, PTR, ..."),
        col("query_class", ColumnType::Text, "IN, almost always."),
        col(
            "rcode",
            ColumnType::Text,
            "NOERROR, NXDOMAIN, SERVFAIL, ...",
        ),
        col(
            "answers",
            ColumnType::TextList,
            "The answers' data (Rdata), in order.",
        ),
        col(
            "answer_types",
            ColumnType::TextList,
            "The answers' types, in the same order.",
        ),
        col("transport", ColumnType::Text, "UDP or TCP."),
        col(
            "firewall_action",
            ColumnType::Text,
            "firewall_rule_action: ALERT, BLOCK or ALLOW when a DNS Firewall rule matched.",
        ),
        col(
            "firewall_rule_group_id",
            ColumnType::Text,
            "The DNS Firewall rule group that matched.",
        ),
        col(
            "firewall_domain_list_id",
            ColumnType::Text,
            "The DNS Firewall domain list that matched.",
        ),
        col("version", ColumnType::Text, "The log format version."),
    ],
};

/// The tables this kind feeds.
static DNS_TABLES: [&TableDef; 1] = [&DNS];

/// Route 53 Resolver query logs.
pub struct ResolverQuerySource;

impl Source for ResolverQuerySource {
    fn kind(&self) -> LogKind {
        LogKind::ResolverQuery
    }

    fn recognise(&self, sniff: &Sniff<'_>) -> bool {
        if sniff.container != Container::Json {
            return false;
        }
        let has = |key| json::has_key(sniff.head, key);
        has("query_name") && has("query_timestamp") && has("srcaddr")
    }

    fn tables(&self) -> &'static [&'static TableDef] {
        &DNS_TABLES
    }

    fn read(&self, _table: &TableDef, stream: &mut dyn Read, read: &mut EventRead<'_>) {
        let mut content = Vec::new();
        if let Err(e) = stream
            .take(MAX_QUERY_LOG_BYTES + 1)
            .read_to_end(&mut content)
        {
            read.unreadable(format!("read failed: {e}"));
        }
        if content.len() as u64 > MAX_QUERY_LOG_BYTES {
            return read.unreadable(format!(
                "query log larger than {MAX_QUERY_LOG_BYTES} bytes after decompression"
            ));
        }
        read_content(&content, read);
        read.flush();
    }
}

fn read_content(content: &[u8], read: &mut EventRead<'_>) {
    let mut events = 0u64;
    let mut invalid = Vec::new();
    json::values(
        content,
        &mut |value, line| {
            // A query object names the key plainly; a container holds it escaped in messages.
            if value.get().contains("\"query_timestamp\"") {
                return query(value.get(), line, None, read);
            }
            match json::cloudwatch(value) {
                Some(json::CloudWatch::Control) => {
                    read.other();
                    true
                }
                Some(json::CloudWatch::Message(message)) => query(&message, line, None, read),
                Some(json::CloudWatch::Events(messages)) => {
                    for message in messages {
                        events += 1;
                        let more = match message {
                            Some(message) => query(&message, line, Some(events), read),
                            None => {
                                read.malformed(
                                    Position::Event(events),
                                    "log event without a message".into(),
                                );
                                true
                            }
                        };
                        if !more {
                            return false;
                        }
                    }
                    true
                }
                None => {
                    read.malformed(
                        Position::Line(line),
                        "a JSON value that is neither a Resolver query nor a container of them"
                            .into(),
                    );
                    true
                }
            }
        },
        &mut |line, reason| invalid.push((line, reason)),
    );
    for (line, reason) in invalid {
        read.malformed(Position::Line(line), reason);
    }
}

/// A port written as a string (what Resolver writes) or a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Port {
    Number(i64),
    Text(String),
}

#[derive(Deserialize)]
struct Query {
    version: Option<String>,
    account_id: Option<String>,
    region: Option<String>,
    vpc_id: Option<String>,
    query_timestamp: Option<String>,
    query_name: Option<String>,
    query_type: Option<String>,
    query_class: Option<String>,
    rcode: Option<String>,
    answers: Option<Answers>,
    srcaddr: Option<String>,
    srcport: Option<Port>,
    transport: Option<String>,
    srcids: Option<SourceIds>,
    firewall_rule_action: Option<String>,
    firewall_rule_group_id: Option<String>,
    firewall_domain_list_id: Option<String>,
}

/// Resolver writes a list; tools that re-ship the logs (Panther) write a lone answer as an
/// object.
#[derive(Deserialize)]
#[serde(untagged)]
enum Answers {
    Many(Vec<Answer>),
    One(Answer),
}

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "Rdata")]
    rdata: Option<String>,
    #[serde(rename = "Type")]
    kind: Option<String>,
}

#[derive(Deserialize, Default)]
struct SourceIds {
    instance: Option<String>,
    resolver_endpoint: Option<String>,
}

/// One query's JSON text; returns false when the consumer wants no more rows.
fn query(text: &str, line: u64, event: Option<u64>, read: &mut EventRead<'_>) -> bool {
    let position = event.map_or(Position::Line(line), Position::Event);
    let query: Query = match serde_json::from_str(text) {
        Ok(query) => query,
        Err(e) => {
            read.malformed(position, format!("not a Resolver query record: {e}"));
            return true;
        }
    };
    let Some(time) = query.query_timestamp.as_deref().and_then(json::utc_time) else {
        read.malformed(
            position,
            "Resolver query without a readable query_timestamp".into(),
        );
        return true;
    };
    let port = match query.srcport {
        Some(Port::Number(n)) => Some(n),
        Some(Port::Text(t)) => t.parse().ok(),
        None => None,
    };
    let ids = query.srcids.unwrap_or_default();
    let answers = match query.answers {
        Some(Answers::Many(answers)) => answers,
        Some(Answers::One(answer)) => vec![answer],
        None => Vec::new(),
    };
    let text = |t: Option<String>| Value::text(t.map(|t| bounded(&t).to_string()));
    let values = [
        Value::Time(time),
        text(query.account_id),
        text(query.region),
        text(query.vpc_id),
        text(query.srcaddr),
        Value::int(port),
        text(ids.instance.filter(|i| !i.is_empty())),
        text(ids.resolver_endpoint),
        text(query.query_name),
        text(query.query_type),
        text(query.query_class),
        text(query.rcode),
        Value::List(
            answers
                .iter()
                .map(|a| bounded(a.rdata.as_deref().unwrap_or("")).to_string())
                .collect(),
        ),
        Value::List(
            answers
                .iter()
                .map(|a| a.kind.clone().unwrap_or_default())
                .collect(),
        ),
        text(query.transport),
        text(query.firewall_rule_action),
        text(query.firewall_rule_group_id),
        text(query.firewall_domain_list_id),
        text(query.version),
    ];
    read.row(&values, line, event)
}
