//! Walking JSON log files: the top-level values one after another (JSON lines, one document,
//! or several), with the line each starts on, resuming after invalid JSON at the next line
//! that starts a value; and the CloudWatch Logs containers that wrap other logs (an export's
//! `events`, a Firehose delivery's `logEvents`, JSON lines with a `message`).

use serde::Deserialize;
use serde_json::value::RawValue;

/// Calls `value` with each top-level JSON value of `content` and the 1-based line it starts on,
/// until it returns false; calls `invalid` with the line and error of each stretch of invalid
/// JSON, after which reading resumes at the next line that starts an object or array.
pub fn values(
    content: &[u8],
    value: &mut dyn FnMut(&RawValue, u64) -> bool,
    invalid: &mut dyn FnMut(u64, String),
) {
    let mut lines = Lines::default();
    let mut offset = 0;
    while offset < content.len() {
        let Some(rest) = content.get(offset..) else {
            break;
        };
        let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<&RawValue>();
        let mut failed = None;
        loop {
            // serde reports the offset before the whitespace that precedes a value.
            let start = skip_space(content, offset + stream.byte_offset());
            match stream.next() {
                None => break,
                Some(Ok(raw)) => {
                    if !value(raw, lines.line_at(content, start)) {
                        return;
                    }
                }
                Some(Err(e)) => {
                    failed = Some((start, e));
                    break;
                }
            }
        }
        let Some((start, error)) = failed else {
            break;
        };
        invalid(
            lines.line_at(content, start),
            format!("invalid JSON, skipped to the next line that starts an object: {error}"),
        );
        match next_value_line(content, start + 1) {
            Some(next) => offset = next,
            None => break,
        }
    }
}

/// Line numbers of byte offsets that mostly move forward, counted incrementally: asking for
/// each event's line costs the bytes since the previous one, not since the start.
#[derive(Default)]
pub struct Lines {
    offset: usize,
    line: u64,
}

impl Lines {
    /// 1-based line of byte `offset` of `content` (the same content on every call).
    pub fn line_at(&mut self, content: &[u8], offset: usize) -> u64 {
        let target = offset.min(content.len());
        if target < self.offset {
            self.offset = 0;
            self.line = 0;
        }
        self.line += content
            .get(self.offset..target)
            .map_or(0, |s| memchr::memchr_iter(b'\n', s).count() as u64);
        self.offset = target;
        self.line + 1
    }
}

/// The offset of the first non-blank byte at or after `from`.
pub fn skip_space(content: &[u8], from: usize) -> usize {
    from + content.get(from..).map_or(0, |tail| {
        tail.iter().take_while(|b| b.is_ascii_whitespace()).count()
    })
}

/// The next line at or after `from` whose first non-blank byte starts a JSON object or array.
fn next_value_line(content: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while at < content.len() {
        let newline = memchr::memchr(b'\n', content.get(at..)?)?;
        let line_start = at + newline + 1;
        let first = skip_space(content, line_start);
        if matches!(content.get(first), Some(b'{' | b'[')) {
            return Some(first);
        }
        at = line_start;
    }
    None
}

/// What a CloudWatch Logs container holds.
#[derive(Debug, PartialEq, Eq)]
pub enum CloudWatch {
    /// A Firehose control message (a subscription's health check): no events.
    Control,
    /// One message (a JSON line of an export).
    Message(String),
    /// Log events in order; None for an event without a message.
    Events(Vec<Option<String>>),
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "logEvents")]
    log_events: Option<Vec<LogEvent>>,
    events: Option<Vec<LogEvent>>,
    message: Option<String>,
    #[serde(rename = "messageType")]
    message_type: Option<String>,
}

#[derive(Deserialize)]
struct LogEvent {
    message: Option<String>,
}

/// The messages of a CloudWatch Logs container, or None when the object is not one.
pub fn cloudwatch(object: &RawValue) -> Option<CloudWatch> {
    let envelope: Envelope = serde_json::from_str(object.get()).ok()?;
    if envelope.message_type.as_deref() == Some("CONTROL_MESSAGE") {
        return Some(CloudWatch::Control);
    }
    if let Some(message) = envelope.message {
        return Some(CloudWatch::Message(message));
    }
    envelope
        .log_events
        .or(envelope.events)
        .map(|events| CloudWatch::Events(events.into_iter().map(|e| e.message).collect()))
}

/// Finds `needle` (the text of an item of `haystack`) at or after `from`: where an item of a
/// JSON array starts, so its line can be told.
pub fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(haystack.get(from..)?, needle).map(|at| at + from)
}

/// True when `head` has the key, plain or inside an escaped message string.
pub fn has_key(head: &[u8], key: &str) -> bool {
    let plain = format!("\"{key}\"");
    let escaped = format!("\\\"{key}\\\"");
    memchr::memmem::find(head, plain.as_bytes()).is_some()
        || memchr::memmem::find(head, escaped.as_bytes()).is_some()
}

/// A time as AWS logs write it, epoch ms: RFC 3339 (`2026-11-23T09:12:00Z`), or the same
/// without the `T` and zone (`2026-11-23 09:12:00`), as tools that re-ship AWS logs (Panther,
/// Athena exports) write it; AWS log times are UTC, so a missing zone is UTC.
pub fn utc_time(text: &str) -> Option<i64> {
    if let Some(ms) = eastwest_model::time::parse_rfc3339(text) {
        return Some(ms);
    }
    let text = text.trim();
    if text.len() < 19 || !text.is_char_boundary(10) || !text.is_char_boundary(11) {
        return None;
    }
    let (date, rest) = text.split_at(10);
    let time = rest.strip_prefix(' ')?;
    let zoned = time.ends_with('Z') || time.get(8..).is_some_and(|t| t.contains(['+', '-']));
    let zone = if zoned { "" } else { "Z" };
    eastwest_model::time::parse_rfc3339(&format!("{date}T{time}{zone}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_carry_their_lines_and_resume_after_invalid_json() {
        let content = b"{\"a\":1}\n\n  {\"b\":2}\n{oops\n[1,2]\n";
        let mut seen = Vec::new();
        let mut errors = Vec::new();
        values(
            content,
            &mut |v, line| {
                seen.push((v.get().to_string(), line));
                true
            },
            &mut |line, _| errors.push(line),
        );
        assert_eq!(
            seen,
            vec![
                ("{\"a\":1}".to_string(), 1),
                ("{\"b\":2}".to_string(), 3),
                ("[1,2]".to_string(), 5)
            ]
        );
        assert_eq!(errors, vec![4]);
    }

    #[test]
    fn cloudwatch_containers_are_told_apart() {
        let raw = |t: &str| serde_json::from_str::<Box<RawValue>>(t).unwrap();
        assert_eq!(
            cloudwatch(&raw(r#"{"messageType":"CONTROL_MESSAGE","logEvents":[]}"#)),
            Some(CloudWatch::Control)
        );
        assert_eq!(
            cloudwatch(&raw(r#"{"events":[{"message":"x"},{"id":"1"}]}"#)),
            Some(CloudWatch::Events(vec![Some("x".into()), None]))
        );
        assert_eq!(cloudwatch(&raw(r#"{"eventVersion":"1.08"}"#)), None);
        let mut lines = Lines::default();
        assert_eq!(lines.line_at(b"a\nb\nc", 4), 3);
        assert_eq!(lines.line_at(b"a\nb\nc", 1), 1);
        assert_eq!(utc_time("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(utc_time("1970-01-01 00:00:01"), Some(1000));
        assert_eq!(utc_time("1970-01-01 01:00:01+01:00"), Some(1000));
        assert_eq!(utc_time("not a time"), None);
        assert_eq!(utc_time("1970-01-01 ü0:00:01"), None);
    }
}
