//! Connections, and the flow-log records AWS writes for them.
//!
//! A connection is logged on every ENI it touches, in both directions: the initiator's ENI
//! logs its egress and the reply's ingress, the responder's ENI its ingress and the reply's
//! egress; a NAT gateway's ENI logs both of its sides. A security group that refuses a
//! connection shows as `REJECT` on the responder's ENI only (the initiator's egress was allowed);
//! a port nobody listens on answers with RST (flag 4). TCP flags are ORed over the aggregation
//! interval: SYN 2, SYN-ACK 18, FIN 1, RST 4. Traffic AWS does not log (the Amazon DNS server,
//! IMDS, time sync) is never made into connections.

use std::net::Ipv4Addr;

use crate::estate::{ACCOUNT, Estate, REGION, Role};

/// One end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// An ENI of the estate.
    Host(usize),
    /// An address outside the estate.
    External(Ipv4Addr),
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted and answered.
    Answered,
    /// Accepted by the security group, refused by the host (RST).
    Refused,
    /// Dropped by the responder's security group.
    Rejected,
}

/// A connection (or UDP exchange).
#[derive(Debug, Clone)]
pub struct Conn {
    /// Initiator.
    pub src: End,
    /// Responder.
    pub dst: End,
    /// Initiator's port.
    pub sport: u16,
    /// Responder's port.
    pub dport: u16,
    /// 6 TCP, 17 UDP, 1 ICMP.
    pub protocol: u8,
    /// First packet, epoch ms.
    pub start_ms: i64,
    /// Duration, ms.
    pub duration_ms: i64,
    /// Packets and bytes initiator → responder.
    pub forward: (u64, u64),
    /// Packets and bytes responder → initiator.
    pub reverse: (u64, u64),
    /// Outcome.
    pub outcome: Outcome,
}

/// One flow-log record, with every field a version-5 format can carry.
#[derive(Debug, Clone)]
pub struct Record {
    /// The logging ENI (host index).
    pub host: usize,
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Protocol.
    pub protocol: u8,
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
    /// Start, epoch seconds.
    pub start: i64,
    /// End, epoch seconds.
    pub end: i64,
    /// ACCEPT (true) or REJECT.
    pub accept: bool,
    /// TCP flags.
    pub flags: u8,
    /// Ingress (true) or egress.
    pub ingress: bool,
    /// Packet-level source (differs behind a NAT gateway).
    pub pkt_src: Ipv4Addr,
    /// Packet-level destination.
    pub pkt_dst: Ipv4Addr,
    /// Traffic path of egress records (1 same VPC, 4 peering, 8 internet gateway).
    pub path: Option<u8>,
}

/// An aggregation window a record falls in.
fn window(ms: i64, aggregation_s: i64) -> (i64, i64) {
    let s = ms.div_euclid(1000);
    let start = s - s.rem_euclid(aggregation_s);
    (start, start + aggregation_s)
}

impl Estate {
    /// The address an end has, and the host if it is one.
    fn addr(&self, end: End) -> (Ipv4Addr, Option<usize>) {
        match end {
            End::Host(h) => (self.hosts[h].ip, Some(h)),
            End::External(ip) => (ip, None),
        }
    }

    /// Decides the outcome of a connection from the responder's security groups and ports.
    pub fn connect(&self, src: End, dst: End, protocol: u8, dport: u16) -> Outcome {
        let End::Host(d) = dst else {
            return Outcome::Answered;
        };
        let (src_ip, src_groups) = match src {
            End::Host(s) => (self.hosts[s].ip, self.hosts[s].groups.clone()),
            End::External(ip) => (ip, Vec::new()),
        };
        if !self.admits(d, src_ip, &src_groups, protocol, dport) {
            Outcome::Rejected
        } else if self.hosts[d].role.listens(dport) || protocol != 6 {
            Outcome::Answered
        } else {
            Outcome::Refused
        }
    }

    /// The records a connection produces, one aggregation window at a time.
    pub fn records(&self, conn: &Conn, aggregation_s: i64, out: &mut Vec<Record>) {
        let (src_ip, src_host) = self.addr(conn.src);
        let (dst_ip, dst_host) = self.addr(conn.dst);
        let end_ms = conn.start_ms + conn.duration_ms.max(0);
        let (first, _) = window(conn.start_ms, aggregation_s);
        let (last, _) = window(end_ms, aggregation_s);
        let windows = ((last - first) / aggregation_s + 1).max(1);
        let nat = self.named("nat");
        let src_vpc = src_host.map(|h| self.hosts[h].vpc(self));
        let dst_vpc = dst_host.map(|h| self.hosts[h].vpc(self));
        // Outbound to the internet from a private host goes through the NAT gateway.
        let via_nat = matches!(conn.dst, End::External(_))
            && src_host.is_some_and(|h| {
                self.hosts[h].public_ip.is_none() && self.hosts[h].role != Role::Nat
            });
        let path = |from: Option<usize>| -> Option<u8> {
            Some(
                match (from.map(|h| self.hosts[h].vpc(self)), src_vpc, dst_vpc) {
                    _ if dst_host.is_none() || src_host.is_none() => {
                        if via_nat {
                            1
                        } else {
                            8
                        }
                    }
                    (_, a, b) if a != b => 4,
                    _ => 1,
                },
            )
        };
        for w in 0..windows {
            let w_start = first + w * aggregation_s;
            let start = (conn.start_ms / 1000).max(w_start);
            let end = (end_ms / 1000).min(w_start + aggregation_s - 1).max(start);
            let share = |(packets, bytes): (u64, u64)| {
                let p = (packets / windows as u64).max(1);
                let b = (bytes / windows as u64).max(p * 40);
                (p, b)
            };
            let (fp, fb) = share(conn.forward);
            let (rp, rb) = share(conn.reverse);
            let first_w = w == 0;
            let last_w = w == windows - 1;
            let tcp = conn.protocol == 6;
            let (f_flags, r_flags) = match (tcp, conn.outcome) {
                (false, _) => (0, 0),
                (true, Outcome::Answered) => (
                    if first_w { 2 } else { 0 } | if last_w { 1 } else { 0 },
                    if first_w { 18 } else { 0 } | if last_w { 1 } else { 0 },
                ),
                (true, Outcome::Refused) => (2, 4),
                (true, Outcome::Rejected) => (2, 0),
            };
            let replies = conn.outcome != Outcome::Rejected;
            let record =
                |host, src, dst, sport, dport, (packets, bytes), accept, flags, ingress, path| {
                    Record {
                        host,
                        src,
                        dst,
                        sport,
                        dport,
                        protocol: conn.protocol,
                        packets,
                        bytes,
                        start,
                        end,
                        accept,
                        flags,
                        ingress,
                        pkt_src: src,
                        pkt_dst: dst,
                        path,
                    }
                };
            if let Some(h) = src_host {
                out.push(record(
                    h,
                    src_ip,
                    dst_ip,
                    conn.sport,
                    conn.dport,
                    (fp, fb),
                    true,
                    f_flags,
                    false,
                    path(Some(h)),
                ));
                if replies {
                    out.push(record(
                        h,
                        dst_ip,
                        src_ip,
                        conn.dport,
                        conn.sport,
                        (rp, rb),
                        true,
                        r_flags,
                        true,
                        None,
                    ));
                }
            }
            if via_nat && let Some(n) = nat {
                // The NAT gateway's ENI: the private side is addressed to its own private IP
                // (the real peer is in pkt-dstaddr / pkt-srcaddr), the public side leaves from
                // its private IP too (never the Elastic IP).
                let nat_ip = self.hosts[n].ip;
                let mut inbound = record(
                    n,
                    src_ip,
                    nat_ip,
                    conn.sport,
                    conn.dport,
                    (fp, fb),
                    true,
                    f_flags,
                    true,
                    None,
                );
                inbound.pkt_dst = dst_ip;
                out.push(inbound);
                out.push(record(
                    n,
                    nat_ip,
                    dst_ip,
                    conn.sport,
                    conn.dport,
                    (fp, fb),
                    true,
                    f_flags,
                    false,
                    Some(8),
                ));
                if replies {
                    out.push(record(
                        n,
                        dst_ip,
                        nat_ip,
                        conn.dport,
                        conn.sport,
                        (rp, rb),
                        true,
                        r_flags,
                        true,
                        None,
                    ));
                    let mut back = record(
                        n,
                        nat_ip,
                        src_ip,
                        conn.dport,
                        conn.sport,
                        (rp, rb),
                        true,
                        r_flags,
                        false,
                        Some(1),
                    );
                    back.pkt_src = dst_ip;
                    out.push(back);
                }
            }
            if let Some(h) = dst_host {
                let accepted = conn.outcome != Outcome::Rejected;
                let packets = if accepted {
                    (fp, fb)
                } else {
                    (fp.max(1), fp.max(1) * 60)
                };
                out.push(record(
                    h, src_ip, dst_ip, conn.sport, conn.dport, packets, accepted, f_flags, true,
                    None,
                ));
                if replies {
                    out.push(record(
                        h,
                        dst_ip,
                        src_ip,
                        conn.dport,
                        conn.sport,
                        (rp, rb),
                        true,
                        r_flags,
                        false,
                        path(Some(h)),
                    ));
                }
            }
        }
    }
}

/// The flow-log formats the simulator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowFormat {
    /// AWS's default format (version 2), text.
    V2,
    /// A version-5 custom format with TCP flags, direction, packet addresses, text.
    V5,
    /// The version-5 fields as Parquet.
    Parquet,
}

impl FlowFormat {
    /// The `${...}` format string given to AWS.
    pub fn log_format(self) -> &'static str {
        match self {
            FlowFormat::V2 => {
                "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
            }
            FlowFormat::V5 | FlowFormat::Parquet => V5_FORMAT,
        }
    }

    /// The header line S3 delivery writes (field names).
    pub fn header(self) -> String {
        self.log_format().replace("${", "").replace('}', "")
    }
}

const V5_FORMAT: &str = "${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${tcp-flags} ${log-status} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${flow-direction} ${traffic-path}";

/// The zone id of a zone name in this estate.
pub fn az_id(zone: &str) -> &'static str {
    match zone.as_bytes().last() {
        Some(b'a') => "use1-az1",
        Some(b'b') => "use1-az2",
        _ => "use1-az3",
    }
}

impl Estate {
    /// Appends a record as a text line in `format` (V2 or V5).
    pub fn write_line(&self, r: &Record, format: FlowFormat, out: &mut Vec<u8>) {
        use std::io::Write;
        let host = &self.hosts[r.host];
        let action = if r.accept { "ACCEPT" } else { "REJECT" };
        let _ = match format {
            FlowFormat::V2 => writeln!(
                out,
                "2 {ACCOUNT} {} {} {} {} {} {} {} {} {} {} {action} OK",
                host.eni,
                r.src,
                r.dst,
                r.sport,
                r.dport,
                r.protocol,
                r.packets,
                r.bytes,
                r.start,
                r.end
            ),
            FlowFormat::V5 | FlowFormat::Parquet => {
                let subnet = &self.subnets[host.subnet];
                writeln!(
                    out,
                    "5 {} {} {} {} {ACCOUNT} IPv4 {} {} {} {} {} {} {} {} {} {} {} {action} {} OK {REGION} {} - - - - {} {}",
                    self.vpcs[subnet.vpc].id,
                    subnet.id,
                    host.instance_id.as_deref().unwrap_or("-"),
                    host.eni,
                    r.src,
                    r.dst,
                    r.sport,
                    r.dport,
                    r.pkt_src,
                    r.pkt_dst,
                    r.protocol,
                    r.bytes,
                    r.packets,
                    r.start,
                    r.end,
                    r.flags,
                    az_id(subnet.zone),
                    if r.ingress { "ingress" } else { "egress" },
                    r.path.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
                )
            }
        };
    }
}
