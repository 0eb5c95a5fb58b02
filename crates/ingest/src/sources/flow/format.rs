//! Flow-log formats: which field each space-separated token holds.
//!
//! A format comes from one of three places, in this order of precedence: the header line at the
//! top of an S3-delivered text file (and any header repeated further down, where files were
//! concatenated), the `LogFormat` the flow log was created with (`--flow-format`, or
//! describe-flow-logs in an inventory), or AWS's default format.

use std::fmt;

use super::fields::{FIELDS, FieldId, field_id};

/// The fields of AWS's default format (version 2), in order.
pub const DEFAULT_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} \
     ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

/// Most fields a format may list. AWS's catalog has under 80; the bound keeps a hostile header
/// line from allocating without limit.
pub const MAX_FORMAT_FIELDS: usize = 256;

/// One position of a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// A field eastwest knows.
    Known(FieldId),
    /// A field this version of eastwest does not know (a field AWS added later): its tokens are
    /// read past, so the rest of the line still lines up.
    Unknown(String),
}

/// An ordered list of fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowFormat {
    slots: Vec<Slot>,
}

/// Why a format string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// No fields at all.
    #[error("the format lists no fields")]
    Empty,
    /// More fields than [`MAX_FORMAT_FIELDS`].
    #[error("the format lists {0} fields, more than the {MAX_FORMAT_FIELDS} allowed")]
    TooMany(usize),
    /// The same field twice.
    #[error("the format lists {0} twice")]
    Duplicate(String),
    /// A token that is not `${name}` or a bare field name.
    #[error("'{0}' is not a field: write ${{field-name}} as in the AWS console")]
    NotAField(String),
}

impl FlowFormat {
    /// AWS's default format.
    pub fn default_format() -> Self {
        Self::parse(DEFAULT_FORMAT).unwrap_or_else(|_| unreachable!("the default format parses"))
    }

    /// Parses a format as AWS writes it (`${version} ${srcaddr} ...`) or as an S3 header line
    /// (`version srcaddr ...`, also with `_` for `-`). Unknown field names are kept as
    /// [`Slot::Unknown`] so that newer formats still read.
    pub fn parse(text: &str) -> Result<Self, FormatError> {
        let tokens: Vec<&str> = text.split_ascii_whitespace().collect();
        if tokens.is_empty() {
            return Err(FormatError::Empty);
        }
        if tokens.len() > MAX_FORMAT_FIELDS {
            return Err(FormatError::TooMany(tokens.len()));
        }
        let mut slots = Vec::with_capacity(tokens.len());
        for token in tokens {
            let name = token
                .strip_prefix("${")
                .and_then(|n| n.strip_suffix('}'))
                .unwrap_or(token);
            if !is_field_shaped(name) {
                return Err(FormatError::NotAField(token.to_string()));
            }
            let slot = match field_id(name) {
                Some(id) => Slot::Known(id),
                None => Slot::Unknown(name.to_string()),
            };
            if slots.contains(&slot) {
                return Err(FormatError::Duplicate(name.to_string()));
            }
            slots.push(slot);
        }
        Ok(Self { slots })
    }

    /// Recognises an S3 header line: every token shaped like a field name, the first one known,
    /// and most of them known. Data lines never qualify: they carry numbers, addresses, ids with
    /// digits, or upper-case words (ACCEPT, OK, IPv4).
    pub fn from_header_line(line: &[u8]) -> Option<Self> {
        let first = line.first()?;
        if !first.is_ascii_lowercase() {
            return None;
        }
        let text = std::str::from_utf8(line).ok()?;
        let mut known = 0usize;
        let mut total = 0usize;
        for (i, token) in text.split_ascii_whitespace().enumerate() {
            if !is_field_shaped(token) {
                return None;
            }
            let is_known = field_id(token).is_some();
            if i == 0 && !is_known {
                return None;
            }
            known += usize::from(is_known);
            total += 1;
        }
        if total < 2 || known * 2 < total {
            return None;
        }
        Self::parse(text).ok()
    }

    /// The slots in order.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// Number of tokens a line of this format has.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Always false: a format has at least one field.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Position of a known field in this format.
    pub fn position(&self, id: FieldId) -> Option<usize> {
        self.slots.iter().position(|s| *s == Slot::Known(id))
    }
}

impl fmt::Display for FlowFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, slot) in self.slots.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            match slot {
                Slot::Known(id) => write!(f, "${{{}}}", FIELDS[*id].name)?,
                Slot::Unknown(name) => write!(f, "${{{name}}}")?,
            }
        }
        Ok(())
    }
}

/// Lower-case letters, digits, `-` and `_`, starting with a letter.
fn is_field_shaped(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format_has_fourteen_fields() {
        let format = FlowFormat::default_format();
        assert_eq!(format.len(), 14);
        assert_eq!(
            format.to_string(),
            DEFAULT_FORMAT
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        );
    }

    #[test]
    fn headers_are_recognised_and_data_lines_are_not() {
        let header = b"account-id bytes dstaddr dstport end instance-id packets";
        let format = FlowFormat::from_header_line(header).expect("a header");
        assert_eq!(format.len(), 7);
        for data in [
            &b"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"[..],
            b"eni-1235b8ca123456789 10.0.1.5",
            b"ingress egress",
            b"us-east-1 use1-az4",
            b"",
        ] {
            assert!(
                FlowFormat::from_header_line(data).is_none(),
                "{:?}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn unknown_fields_are_kept_in_place() {
        let format = FlowFormat::parse("${version} ${future-field} ${srcaddr}").expect("parses");
        assert_eq!(format.slots()[1], Slot::Unknown("future-field".into()));
        assert_eq!(
            format.position(field_id("srcaddr").expect("known")),
            Some(2)
        );
    }

    #[test]
    fn bad_formats_are_refused_with_a_reason() {
        assert_eq!(FlowFormat::parse("  "), Err(FormatError::Empty));
        assert!(matches!(
            FlowFormat::parse("${version} ${version}"),
            Err(FormatError::Duplicate(_))
        ));
        assert!(matches!(
            FlowFormat::parse("${version} $srcaddr"),
            Err(FormatError::NotAField(_))
        ));
    }
}
