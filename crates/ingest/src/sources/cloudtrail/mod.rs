//! CloudTrail: the S3 delivery (`{"Records": [...]}`, usually gzip), one event per line
//! (CloudTrail Lake exports, EventBridge events with the event under `detail`), a JSON array of
//! events (what `lookup-events` tooling and capture tools save), and CloudWatch Logs exports of
//! a trail (each log event's message is one CloudTrail event). Digest files are recognised and
//! skipped.
//!
//! The caller is flattened into columns (identity type, ARN, account, access key, the session's
//! issuer and name: an instance id for instance-role sessions); request parameters, response
//! elements and resources are kept as JSON text for detectors to pick apart.

use std::borrow::Cow;
use std::io::Read;

use eastwest_model::{LogKind, Position};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Container, Sniff, Source, json};
use crate::table::{ColumnType, EventRead, TableDef, Value, bounded, column as col};

/// Largest CloudTrail file read, after decompression. CloudTrail delivers a file every five
/// minutes per region, rarely beyond a few tens of megabytes. The file is parsed in memory, so
/// the bound is what one reader can hold (a gzip bomb inflates to it, then stops): with one
/// reader per core, at most cores x 256 MiB. A larger file is reported unreadable, not cut.
pub const MAX_TRAIL_BYTES: u64 = 256 << 20;

/// The `cloudtrail` table's columns, in order.
pub static CLOUDTRAIL: TableDef = TableDef {
    name: "cloudtrail",
    doc: "One row per CloudTrail event (management, data and Insights events).",
    columns: &[
        col("time", ColumnType::Time, "eventTime."),
        col(
            "event_source",
            ColumnType::Text,
            "The service, e.g. ec2.amazonaws.com.",
        ),
        col(
            "event_name",
            ColumnType::Text,
            "The API call, e.g. RunInstances.",
        ),
        col(
            "event_type",
            ColumnType::Text,
            "AwsApiCall, AwsServiceEvent, AwsConsoleSignIn, ...",
        ),
        col(
            "event_category",
            ColumnType::Text,
            "Management, Data or Insight.",
        ),
        col("region", ColumnType::Text, "awsRegion."),
        col(
            "source_ip",
            ColumnType::Text,
            "sourceIPAddress: an address, or a service name for calls AWS made.",
        ),
        col("user_agent", ColumnType::Text, "userAgent."),
        col(
            "identity_type",
            ColumnType::Text,
            "userIdentity.type: IAMUser, AssumedRole, Root, AWSService, ...",
        ),
        col("principal_arn", ColumnType::Text, "userIdentity.arn."),
        col(
            "principal_id",
            ColumnType::Text,
            "userIdentity.principalId.",
        ),
        col(
            "account_id",
            ColumnType::Text,
            "userIdentity.accountId: the caller's account.",
        ),
        col(
            "user_name",
            ColumnType::Text,
            "userIdentity.userName, or the session issuer's name for roles.",
        ),
        col(
            "access_key_id",
            ColumnType::Text,
            "userIdentity.accessKeyId (ASIA... for temporary credentials).",
        ),
        col(
            "session_issuer_arn",
            ColumnType::Text,
            "The role (or user) that issued the session.",
        ),
        col(
            "session_issuer_type",
            ColumnType::Text,
            "Role, IAMUser, Root.",
        ),
        col(
            "role_session_name",
            ColumnType::Text,
            "The session name from the assumed-role ARN.",
        ),
        col(
            "session_instance_id",
            ColumnType::Text,
            "The EC2 instance whose role session this is (session name i-...), else null.",
        ),
        col(
            "mfa_authenticated",
            ColumnType::Bool,
            "sessionContext.attributes.mfaAuthenticated.",
        ),
        col(
            "invoked_by",
            ColumnType::Text,
            "userIdentity.invokedBy: the service that called on the principal's behalf.",
        ),
        col(
            "error_code",
            ColumnType::Text,
            "errorCode (AccessDenied, ...); null when the call succeeded.",
        ),
        col("error_message", ColumnType::Text, "errorMessage."),
        col(
            "request_parameters",
            ColumnType::Text,
            "requestParameters as JSON text.",
        ),
        col(
            "response_elements",
            ColumnType::Text,
            "responseElements as JSON text.",
        ),
        col("resources", ColumnType::Text, "resources as JSON text."),
        col(
            "vpc_endpoint_id",
            ColumnType::Text,
            "vpcEndpointId: the call came through this interface endpoint.",
        ),
        col("event_id", ColumnType::Text, "eventID."),
        col("request_id", ColumnType::Text, "requestID."),
        col(
            "recipient_account_id",
            ColumnType::Text,
            "The account whose trail logged the event.",
        ),
        col("read_only", ColumnType::Bool, "readOnly."),
        col("management_event", ColumnType::Bool, "managementEvent."),
    ],
};

/// The tables this kind feeds.
static CLOUDTRAIL_TABLES: [&TableDef; 1] = [&CLOUDTRAIL];

/// CloudTrail events.
pub struct CloudTrailSource;

/// CloudTrail digest files (`CloudTrail-Digest/`): recognised so they are skipped on purpose.
pub struct DigestSource;

impl Source for DigestSource {
    fn kind(&self) -> LogKind {
        LogKind::CloudTrailDigest
    }

    fn recognise(&self, sniff: &Sniff<'_>) -> bool {
        sniff.container == Container::Json
            && json::has_key(sniff.head, "digestPublicKeyFingerprint")
            && json::has_key(sniff.head, "digestStartTime")
    }

    fn skipped(&self) -> bool {
        true
    }
}

impl Source for CloudTrailSource {
    fn kind(&self) -> LogKind {
        LogKind::CloudTrail
    }

    fn recognise(&self, sniff: &Sniff<'_>) -> bool {
        if sniff.container != Container::Json {
            return false;
        }
        // Every CloudTrail event has these keys; in a CloudWatch Logs export they sit in an
        // escaped message string.
        (json::has_key(sniff.head, "eventVersion") || json::has_key(sniff.head, "eventTime"))
            && json::has_key(sniff.head, "eventSource")
            && json::has_key(sniff.head, "eventName")
    }

    fn tables(&self) -> &'static [&'static TableDef] {
        &CLOUDTRAIL_TABLES
    }

    fn read(&self, _table: &TableDef, stream: &mut dyn Read, read: &mut EventRead<'_>) {
        let mut content = Vec::new();
        if let Err(e) = stream.take(MAX_TRAIL_BYTES + 1).read_to_end(&mut content) {
            // What came before the error is still read.
            read.unreadable(format!("read failed: {e}"));
        }
        if content.len() as u64 > MAX_TRAIL_BYTES {
            return read.unreadable(format!(
                "CloudTrail file larger than {MAX_TRAIL_BYTES} bytes after decompression"
            ));
        }
        read_content(&content, read);
        read.flush();
    }
}

/// The top-level objects a CloudTrail file may hold besides CloudWatch Logs containers; which
/// keys are present tells them apart.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "Records", borrow)]
    records: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    detail: Option<&'a RawValue>,
    #[serde(rename = "eventVersion")]
    event_version: Option<serde::de::IgnoredAny>,
    #[serde(rename = "eventTime")]
    event_time: Option<serde::de::IgnoredAny>,
    #[serde(rename = "eventName")]
    event_name: Option<serde::de::IgnoredAny>,
}

fn read_content(content: &[u8], read: &mut EventRead<'_>) {
    let mut events = 0u64;
    let mut reader = Reader {
        read,
        events: &mut events,
    };
    let mut invalid = Vec::new();
    json::values(
        content,
        &mut |value, line| reader.top(value, line),
        &mut |line, reason| invalid.push((line, reason)),
    );
    for (line, reason) in invalid {
        read.malformed(Position::Line(line), reason);
    }
}

struct Reader<'r, 'a> {
    read: &'r mut EventRead<'a>,
    events: &'r mut u64,
}

impl Reader<'_, '_> {
    /// One top-level value starting on `line`: an array of events, or an object.
    fn top(&mut self, value: &RawValue, line: u64) -> bool {
        let text = value.get();
        if !text.starts_with('[') {
            return self.object(value, line, None);
        }
        let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(text) else {
            self.read.malformed(
                Position::Line(line),
                "a JSON array whose items are not values".into(),
            );
            return true;
        };
        let mut search = 0;
        let mut lines = json::Lines::default();
        for item in items {
            // Each item's line: its text after the previous one's (items are in order).
            let at = json::find(text.as_bytes(), item.get().as_bytes(), search).unwrap_or(search);
            search = at + item.get().len();
            let item_line = line + lines.line_at(text.as_bytes(), at) - 1;
            *self.events += 1;
            let number = *self.events;
            if !self.object(item, item_line, Some(number)) {
                return false;
            }
        }
        true
    }

    /// One object starting on `line`; `number` is its place in a top-level array, if it is in
    /// one.
    fn object(&mut self, value: &RawValue, line: u64, number: Option<u64>) -> bool {
        // S3 delivery, by far the most common, starts with its Records key: no need to look
        // for a CloudWatch container first (a second pass over the whole object).
        let delivery = value
            .get()
            .trim_start_matches(|c: char| c == '{' || c.is_ascii_whitespace())
            .starts_with("\"Records\"");
        if let Some(container) = (!delivery).then(|| json::cloudwatch(value)).flatten() {
            return match container {
                json::CloudWatch::Control => {
                    self.read.other();
                    true
                }
                json::CloudWatch::Message(message) => self.event(&message, line, None),
                json::CloudWatch::Events(messages) => {
                    for message in messages {
                        *self.events += 1;
                        let number = *self.events;
                        let more = match message {
                            Some(message) => self.event(&message, line, Some(number)),
                            None => {
                                self.read.malformed(
                                    Position::Event(number),
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
            };
        }
        let envelope: Envelope<'_> = match serde_json::from_str(value.get()) {
            Ok(envelope) => envelope,
            Err(e) => {
                self.read.malformed(
                    Position::Line(line),
                    format!("not a CloudTrail record or container: {e}"),
                );
                return true;
            }
        };
        if let Some(records) = envelope.records {
            let text = value.get().as_bytes();
            let mut search = 0;
            let mut lines = json::Lines::default();
            for record in records {
                let at = json::find(text, record.get().as_bytes(), search).unwrap_or(search);
                search = at + record.get().len();
                *self.events += 1;
                let number = *self.events;
                let record_line = line + lines.line_at(text, at) - 1;
                if !self.event(record.get(), record_line, Some(number)) {
                    return false;
                }
            }
            return true;
        }
        if let Some(detail) = envelope.detail {
            return self.event(detail.get(), line, number);
        }
        // Any of these keys makes an object an event (a damaged one is reported as such).
        if envelope.event_version.is_some()
            || envelope.event_time.is_some()
            || envelope.event_name.is_some()
        {
            return self.event(value.get(), line, number);
        }
        self.read.malformed(
            Position::Line(line),
            "a JSON object that is neither a CloudTrail event nor a container of events".into(),
        );
        true
    }

    /// One event's JSON text, found at `line` (and numbered `event` inside a container).
    fn event(&mut self, text: &str, line: u64, event: Option<u64>) -> bool {
        let position = event.map_or(Position::Line(line), Position::Event);
        let record: Record<'_> = match serde_json::from_str(text) {
            Ok(record) => record,
            Err(e) => {
                self.read
                    .malformed(position, format!("not a CloudTrail event: {e}"));
                return true;
            }
        };
        let values = {
            let wanted = self.read.wanted_columns();
            record.values(&|i| wanted.get(i).copied().unwrap_or(false))
        };
        match values {
            Ok(values) => self.read.row(&values, line, event),
            Err(reason) => {
                self.read.malformed(position, reason);
                true
            }
        }
    }
}

/// A flag CloudTrail writes as a boolean (S3 delivery) or a string (CloudTrail Lake, some
/// exports).
#[derive(Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Text(String),
}

impl Flag {
    fn value(&self) -> Option<bool> {
        match self {
            Flag::Bool(b) => Some(*b),
            Flag::Text(t) if t.eq_ignore_ascii_case("true") => Some(true),
            Flag::Text(t) if t.eq_ignore_ascii_case("false") => Some(false),
            Flag::Text(_) => None,
        }
    }
}

/// Text that borrows from the event's JSON unless it holds escapes: most values are copied
/// only when a query asks for their column.
type Text<'a> = Option<Cow<'a, str>>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    #[serde(borrow)]
    event_time: Text<'a>,
    /// Collectors that re-ship CloudTrail (Logstash, and so the OTRF datasets) move eventTime
    /// to their own `@timestamp`.
    #[serde(rename = "@timestamp", borrow)]
    collector_time: Text<'a>,
    #[serde(borrow)]
    event_source: Text<'a>,
    #[serde(borrow)]
    event_name: Text<'a>,
    #[serde(borrow)]
    event_type: Text<'a>,
    #[serde(borrow)]
    event_category: Text<'a>,
    #[serde(borrow)]
    aws_region: Text<'a>,
    #[serde(rename = "sourceIPAddress", borrow)]
    source_ip_address: Text<'a>,
    #[serde(borrow)]
    user_agent: Text<'a>,
    #[serde(borrow)]
    user_identity: Option<Identity<'a>>,
    #[serde(borrow)]
    error_code: Text<'a>,
    #[serde(borrow)]
    error_message: Text<'a>,
    #[serde(borrow)]
    request_parameters: Option<&'a RawValue>,
    #[serde(borrow)]
    response_elements: Option<&'a RawValue>,
    #[serde(borrow)]
    resources: Option<&'a RawValue>,
    #[serde(borrow)]
    vpc_endpoint_id: Text<'a>,
    #[serde(rename = "eventID", borrow)]
    event_id: Text<'a>,
    #[serde(rename = "requestID", borrow)]
    request_id: Text<'a>,
    #[serde(borrow)]
    recipient_account_id: Text<'a>,
    read_only: Option<Flag>,
    management_event: Option<Flag>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Identity<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    principal_id: Text<'a>,
    #[serde(borrow)]
    arn: Text<'a>,
    #[serde(borrow)]
    account_id: Text<'a>,
    #[serde(borrow)]
    access_key_id: Text<'a>,
    #[serde(borrow)]
    user_name: Text<'a>,
    #[serde(borrow)]
    invoked_by: Text<'a>,
    #[serde(borrow)]
    session_context: Option<SessionContext<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SessionContext<'a> {
    #[serde(borrow)]
    session_issuer: Option<Issuer<'a>>,
    attributes: Option<Attributes>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Issuer<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    arn: Text<'a>,
    #[serde(borrow)]
    user_name: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Attributes {
    mfa_authenticated: Option<Flag>,
}

/// A row being built: values of columns the scan does not want stay null (not copied).
struct RowValues<'w> {
    values: Vec<Value>,
    wants: &'w dyn Fn(usize) -> bool,
}

impl RowValues<'_> {
    fn text(&mut self, text: Option<&str>) {
        let wanted = (self.wants)(self.values.len());
        self.values.push(match text {
            Some(t) if wanted => Value::Text(bounded(t).to_string()),
            _ => Value::Null,
        });
    }

    fn json(&mut self, raw: Option<&RawValue>) {
        self.text(raw.map(RawValue::get).filter(|t| *t != "null"));
    }

    fn value(&mut self, value: Value) {
        let wanted = (self.wants)(self.values.len());
        self.values.push(if wanted { value } else { Value::Null });
    }
}

impl Record<'_> {
    /// The row (the columns `wants` says no to left null), or why the event cannot be one.
    fn values(self, wants: &dyn Fn(usize) -> bool) -> Result<Vec<Value>, String> {
        let Some(time_text) = self
            .event_time
            .as_deref()
            .or(self.collector_time.as_deref())
        else {
            return Err("CloudTrail event without eventTime".into());
        };
        let Some(time) = json::utc_time(time_text) else {
            return Err(format!(
                "eventTime {:?} is not an RFC 3339 time",
                crate::sources::flow::parse::quote(time_text.as_bytes())
            ));
        };
        let identity = self.user_identity.unwrap_or_default();
        let context = identity.session_context.unwrap_or_default();
        let issuer = context.session_issuer.unwrap_or_default();
        let session_name = identity.arn.as_deref().and_then(role_session_name);
        let instance = session_name.filter(|name| is_instance_id(name));
        let user_name = identity
            .user_name
            .as_deref()
            .or(issuer.user_name.as_deref());
        let mut row = RowValues {
            values: Vec::with_capacity(CLOUDTRAIL.columns.len()),
            wants,
        };
        // The time is always kept: the time window is applied to it.
        row.values.push(Value::Time(time));
        row.text(self.event_source.as_deref());
        row.text(self.event_name.as_deref());
        row.text(self.event_type.as_deref());
        row.text(self.event_category.as_deref());
        row.text(self.aws_region.as_deref());
        row.text(self.source_ip_address.as_deref());
        row.text(self.user_agent.as_deref());
        row.text(identity.kind.as_deref());
        row.text(identity.arn.as_deref());
        row.text(identity.principal_id.as_deref());
        row.text(identity.account_id.as_deref());
        row.text(user_name);
        row.text(identity.access_key_id.as_deref());
        row.text(issuer.arn.as_deref());
        row.text(issuer.kind.as_deref());
        row.text(session_name);
        row.text(instance);
        row.value(Value::bool(
            context
                .attributes
                .and_then(|a| a.mfa_authenticated)
                .and_then(|f| f.value()),
        ));
        row.text(identity.invoked_by.as_deref());
        row.text(self.error_code.as_deref());
        row.text(self.error_message.as_deref());
        row.json(self.request_parameters);
        row.json(self.response_elements);
        row.json(self.resources);
        row.text(self.vpc_endpoint_id.as_deref());
        row.text(self.event_id.as_deref());
        row.text(self.request_id.as_deref());
        row.text(self.recipient_account_id.as_deref());
        row.value(Value::bool(self.read_only.and_then(|f| f.value())));
        row.value(Value::bool(self.management_event.and_then(|f| f.value())));
        Ok(row.values)
    }
}

/// The session name of an assumed-role ARN (`arn:aws:sts::123:assumed-role/Role/i-0abc` →
/// `i-0abc`); None for other ARNs.
pub fn role_session_name(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let rest = resource.strip_prefix("assumed-role/")?;
    let (_, session) = rest.rsplit_once('/')?;
    (!session.is_empty()).then_some(session)
}

/// True for an EC2 instance id (`i-` and 8 or 17 hex digits).
pub fn is_instance_id(text: &str) -> bool {
    text.strip_prefix("i-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_come_from_assumed_role_arns_only() {
        assert_eq!(
            role_session_name(
                "arn:aws:sts::123456789012:assumed-role/web-role/i-0abc12345def67890"
            ),
            Some("i-0abc12345def67890")
        );
        assert_eq!(
            role_session_name("arn:aws:iam::123456789012:user/alice"),
            None
        );
        assert_eq!(role_session_name("arn:aws:sts::1:assumed-role/r/"), None);
        assert!(is_instance_id("i-0abc12345def67890"));
        assert!(is_instance_id("i-1234abcd"));
        assert!(!is_instance_id("i-xyz"));
        assert!(!is_instance_id("botocore-session-1"));
    }
}
