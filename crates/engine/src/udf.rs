//! SQL functions for addresses: the binary address columns (`src_ip`, `dst_ip`, ...) hold 16
//! bytes, IPv4 mapped into IPv6, so these are byte compares, not text parsing per row.
//!
//! - `ip_in_cidr(src_ip, '10.0.0.0/8')`: is the address inside the block (v4 or v6)?
//! - `ip_text(src_ip)`: the address as text (`10.0.0.1`, `2001:db8::1`).
//! - `ip('10.0.0.1')`: the binary form of a text address, for equality tests.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, FixedSizeBinaryArray, FixedSizeBinaryBuilder, StringArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

/// A CIDR block over 16-byte (IPv4-mapped) addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: [u8; 16],
    prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `2001:db8::/32`, or a single address (a /32 or /128).
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (text.trim(), None),
        };
        let (bytes, prefix) = match address.parse::<IpAddr>().ok()? {
            IpAddr::V4(v4) => {
                let p = prefix.unwrap_or(32);
                if p > 32 {
                    return None;
                }
                (v4.to_ipv6_mapped().octets(), p + 96)
            }
            IpAddr::V6(v6) => {
                let p = prefix.unwrap_or(128);
                if p > 128 {
                    return None;
                }
                (v6.octets(), p)
            }
        };
        let mask = mask(prefix);
        let network = std::array::from_fn(|i| bytes[i] & mask[i]);
        Some(Self { network, prefix })
    }

    /// True when `address` (16 bytes) is inside the block.
    pub fn contains(&self, address: &[u8]) -> bool {
        let mask = mask(self.prefix);
        address.len() == 16 && (0..16).all(|i| address[i] & mask[i] == self.network[i])
    }
}

fn mask(prefix: u8) -> [u8; 16] {
    let bits = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    bits.to_be_bytes()
}

/// The address functions, to register on a session.
pub fn address_functions() -> Vec<ScalarUDF> {
    vec![
        create_udf(
            "ip_in_cidr",
            vec![DataType::FixedSizeBinary(16), DataType::Utf8],
            DataType::Boolean,
            Volatility::Immutable,
            Arc::new(ip_in_cidr),
        ),
        create_udf(
            "ip_text",
            vec![DataType::FixedSizeBinary(16)],
            DataType::Utf8,
            Volatility::Immutable,
            Arc::new(ip_text),
        ),
        create_udf(
            "ip",
            vec![DataType::Utf8],
            DataType::FixedSizeBinary(16),
            Volatility::Immutable,
            Arc::new(ip),
        ),
    ]
}

fn binary_arg(arg: &ColumnarValue, rows: usize) -> Result<FixedSizeBinaryArray> {
    let array = arg.to_array(rows)?;
    array
        .as_any()
        .downcast_ref::<FixedSizeBinaryArray>()
        .cloned()
        .ok_or_else(|| {
            DataFusionError::Execution("expected a binary address column such as src_ip".into())
        })
}

fn rows_of(args: &[ColumnarValue]) -> usize {
    args.iter()
        .find_map(|a| match a {
            ColumnarValue::Array(array) => Some(array.len()),
            ColumnarValue::Scalar(_) => None,
        })
        .unwrap_or(1)
}

fn ip_in_cidr(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let rows = rows_of(args);
    let ColumnarValue::Scalar(ScalarValue::Utf8(Some(text))) = &args[1] else {
        return exec_err!(
            "ip_in_cidr: the second argument must be a CIDR literal such as '10.0.0.0/8'"
        );
    };
    let Some(cidr) = Cidr::parse(text) else {
        return exec_err!("ip_in_cidr: '{text}' is not a CIDR block");
    };
    let addresses = binary_arg(&args[0], rows)?;
    let result: BooleanArray = (0..addresses.len())
        .map(|i| {
            addresses
                .is_valid(i)
                .then(|| cidr.contains(addresses.value(i)))
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(result) as ArrayRef))
}

/// Text form of a 16-byte address: IPv4-mapped addresses print as dotted quads.
pub fn address_text(bytes: &[u8]) -> Option<String> {
    let octets: [u8; 16] = bytes.try_into().ok()?;
    let v6 = Ipv6Addr::from(octets);
    Some(match v6.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None => v6.to_string(),
    })
}

fn ip_text(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let addresses = binary_arg(&args[0], rows_of(args))?;
    let result: StringArray = (0..addresses.len())
        .map(|i| {
            addresses
                .is_valid(i)
                .then(|| address_text(addresses.value(i)))
                .flatten()
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(result)))
}

fn ip(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let texts = args[0].to_array(rows_of(args))?;
    let Some(texts) = texts.as_any().downcast_ref::<StringArray>() else {
        return exec_err!("ip: expected text");
    };
    let mut builder = FixedSizeBinaryBuilder::with_capacity(texts.len(), 16);
    for value in texts.iter() {
        match value.and_then(|t| t.trim().parse::<IpAddr>().ok()) {
            Some(IpAddr::V4(v4)) => builder.append_value(v4.to_ipv6_mapped().octets())?,
            Some(IpAddr::V6(v6)) => builder.append_value(v6.octets())?,
            None => builder.append_null(),
        }
    }
    Ok(ColumnarValue::Array(Arc::new(builder.finish())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_membership() {
        let v4 = |s: &str| {
            s.parse::<std::net::Ipv4Addr>()
                .expect("v4")
                .to_ipv6_mapped()
                .octets()
        };
        let block = Cidr::parse("10.0.0.0/8").expect("parses");
        assert!(block.contains(&v4("10.200.1.1")));
        assert!(!block.contains(&v4("11.0.0.1")));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .expect("parses")
                .contains(&v4("8.8.8.8"))
        );
        assert!(
            !Cidr::parse("0.0.0.0/0")
                .expect("parses")
                .contains(&"2001:db8::1".parse::<Ipv6Addr>().expect("v6").octets())
        );
        let v6 = Cidr::parse("2001:db8::/32").expect("parses");
        assert!(v6.contains(&"2001:db8:1::1".parse::<Ipv6Addr>().expect("v6").octets()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("nonsense").is_none());
        assert_eq!(address_text(&v4("10.0.0.1")).as_deref(), Some("10.0.0.1"));
    }
}
