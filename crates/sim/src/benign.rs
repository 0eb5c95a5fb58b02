//! Benign life: what the estate does when nobody attacks it, including what trips naive
//! detectors (the monitoring host talks to everyone, backups move gigabytes at night, internet
//! scanners knock on public addresses, the authorised scanner sweeps every port, admins hop
//! through the bastion, autoscaling adds a host that talks like its peers from its first minute).

use std::net::Ipv4Addr;

use eastwest_model::time::{MS_PER_DAY, MS_PER_HOUR};

use crate::estate::{Estate, OFFICE, Role};
use crate::flows::{Conn, End};
use crate::rng::Rng;

/// Load at a time of day (UTC): low at night, a peak in the afternoon.
pub fn diurnal(ms: i64) -> f64 {
    let hour = ms.rem_euclid(MS_PER_DAY) as f64 / MS_PER_HOUR as f64;
    0.25 + 0.75 * (0.5 - 0.5 * ((hour - 3.0) / 24.0 * std::f64::consts::TAU).cos())
}

/// Ports the authorised scanner probes.
pub const SCANNER_PORTS: [u16; 14] = [
    21, 22, 23, 25, 80, 443, 445, 3306, 3389, 5432, 6379, 8080, 9100, 9200,
];

/// A public address: first octets from blocks with no private, shared or link-local ranges.
pub fn public_ip(rng: &mut Rng, first_octets: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(
        *rng.pick(first_octets),
        rng.range(0, 255) as u8,
        rng.range(0, 255) as u8,
        rng.range(1, 254) as u8,
    )
}

/// Where internet-wide scanners and attackers come from in the simulation.
pub const HOSTILE_BLOCKS: [u8; 10] = [45, 62, 77, 89, 91, 141, 162, 176, 185, 194];

/// Public addresses of clients, repositories and scanners on the internet.
fn internet(rng: &mut Rng, pool: u8) -> Ipv4Addr {
    match pool {
        // Clients of the web site.
        0 => Ipv4Addr::new(
            rng.range(60, 90) as u8,
            rng.range(0, 255) as u8,
            rng.range(0, 255) as u8,
            rng.range(1, 254) as u8,
        ),
        // Package repositories and SaaS APIs.
        1 => *rng.pick(&[
            Ipv4Addr::new(52, 94, 228, 167),
            Ipv4Addr::new(140, 82, 112, 3),
            Ipv4Addr::new(151, 101, 1, 69),
            Ipv4Addr::new(54, 231, 160, 10),
        ]),
        // Internet-wide scanners.
        _ => public_ip(rng, &HOSTILE_BLOCKS),
    }
}

/// An ephemeral port.
pub fn ephemeral(rng: &mut Rng) -> u16 {
    rng.range(32768, 60999) as u16
}

/// Adds a connection with sizes typical of `dport`.
#[allow(clippy::too_many_arguments)]
pub fn push(
    estate: &Estate,
    rng: &mut Rng,
    out: &mut Vec<Conn>,
    src: End,
    dst: End,
    dport: u16,
    protocol: u8,
    start_ms: i64,
    bytes: (u64, u64),
    duration_ms: i64,
) {
    let outcome = estate.connect(src, dst, protocol, dport);
    let forward_packets = (bytes.0 / 1200).max(2) + rng.below(4);
    let reverse_packets = (bytes.1 / 1200).max(2) + rng.below(4);
    out.push(Conn {
        src,
        dst,
        sport: ephemeral(rng),
        dport,
        protocol,
        start_ms,
        duration_ms,
        forward: (forward_packets, bytes.0),
        reverse: (reverse_packets, bytes.1),
        outcome,
    });
}

/// Benign connections starting in `[from_ms, to_ms)`.
pub fn generate(estate: &Estate, rng: &mut Rng, from_ms: i64, to_ms: i64, out: &mut Vec<Conn>) {
    let live = |h: usize, t: i64| estate.hosts[h].launched_ms <= t;
    let web = estate.with_role(Role::Web);
    let app = estate.with_role(Role::App);
    let albs = estate.with_role(Role::LoadBalancer);
    let instances: Vec<usize> = (0..estate.hosts.len())
        .filter(|&h| estate.hosts[h].role.is_instance())
        .collect();
    let orders = estate.named("orders-db");
    let reporting = estate.named("reporting-db");
    let cache = estate.named("sessions-0001-001");
    let endpoint = estate.named("ssm-endpoint");
    let monitoring = estate.named("monitoring");
    let backup = estate.named("backup");
    let scanner = estate.named("vuln-scanner");
    let bastion = estate.named("bastion");
    let legacy = estate.named("legacy-tools");
    let mut minute = from_ms - from_ms.rem_euclid(60_000);
    if minute < from_ms {
        minute += 60_000;
    }
    while minute < to_ms {
        let load = diurnal(minute);
        let at = |rng: &mut Rng| minute + rng.below(60_000) as i64;
        let live_web: Vec<usize> = web.iter().copied().filter(|&h| live(h, minute)).collect();
        let live_app: Vec<usize> = app.iter().copied().filter(|&h| live(h, minute)).collect();
        // Clients reach the load balancer; it keeps a few connections to each web server.
        for &alb in &albs {
            for _ in 0..rng.poisson(6.0 * load * (live_web.len() as f64).sqrt()) {
                let t = at(rng);
                let client = internet(rng, 0);
                push(
                    estate,
                    rng,
                    out,
                    End::External(client),
                    End::Host(alb),
                    443,
                    6,
                    t,
                    (1800, 24_000),
                    900,
                );
            }
            for &w in &live_web {
                for _ in 0..rng.poisson(1.5 * load) {
                    let t = at(rng);
                    push(
                        estate,
                        rng,
                        out,
                        End::Host(alb),
                        End::Host(w),
                        80,
                        6,
                        t,
                        (2400, 30_000),
                        2_000,
                    );
                }
            }
        }
        for &w in &live_web {
            if live_app.is_empty() {
                break;
            }
            for _ in 0..rng.poisson(2.0 * load) {
                let a = *rng.pick(&live_app);
                let t = at(rng);
                push(
                    estate,
                    rng,
                    out,
                    End::Host(w),
                    End::Host(a),
                    8080,
                    6,
                    t,
                    (1500, 9_000),
                    400,
                );
            }
        }
        for &a in &live_app {
            if let Some(db) = orders {
                for _ in 0..rng.poisson(1.1 * load) {
                    let t = at(rng);
                    push(
                        estate,
                        rng,
                        out,
                        End::Host(a),
                        End::Host(db),
                        5432,
                        6,
                        t,
                        (3_000, 40_000),
                        1_500,
                    );
                }
            }
            if let Some(c) = cache {
                for _ in 0..rng.poisson(1.0 * load) {
                    let t = at(rng);
                    push(
                        estate,
                        rng,
                        out,
                        End::Host(a),
                        End::Host(c),
                        6379,
                        6,
                        t,
                        (600, 2_000),
                        50,
                    );
                }
            }
        }
        for &h in &instances {
            if !live(h, minute) {
                continue;
            }
            // Prometheus scrapes every host every minute.
            if let Some(m) = monitoring
                && m != h
            {
                let t = minute + (h as i64 * 997) % 60_000;
                push(
                    estate,
                    rng,
                    out,
                    End::Host(m),
                    End::Host(h),
                    9100,
                    6,
                    t,
                    (400, 18_000),
                    120,
                );
            }
            // The SSM agent polls its endpoint.
            if let Some(e) = endpoint
                && estate.hosts[h].vpc(estate) == 0
                && (minute / 60_000 + h as i64) % 5 == 0
            {
                let t = at(rng);
                push(
                    estate,
                    rng,
                    out,
                    End::Host(h),
                    End::Host(e),
                    443,
                    6,
                    t,
                    (3_000, 5_000),
                    20_000,
                );
            }
            // Updates and outside APIs, through the NAT gateway.
            if rng.chance(0.08) {
                let t = at(rng);
                let to = internet(rng, 1);
                push(
                    estate,
                    rng,
                    out,
                    End::Host(h),
                    End::External(to),
                    443,
                    6,
                    t,
                    (2_000, 120_000),
                    3_000,
                );
            }
        }
        let hour = minute.rem_euclid(MS_PER_DAY) / MS_PER_HOUR;
        // Admins: office → bastion in working hours, then on to a host.
        if let Some(b) = bastion
            && (8..18).contains(&hour)
            && rng.chance(0.06)
        {
            let t = at(rng);
            let admin = Ipv4Addr::from(u32::from(OFFICE.0) + rng.range(10, 40) as u32);
            push(
                estate,
                rng,
                out,
                End::External(admin),
                End::Host(b),
                22,
                6,
                t,
                (40_000, 300_000),
                600_000,
            );
            let targets: Vec<usize> = live_web.iter().chain(&live_app).copied().collect();
            if !targets.is_empty() && rng.chance(0.6) {
                let target = *rng.pick(&targets);
                push(
                    estate,
                    rng,
                    out,
                    End::Host(b),
                    End::Host(target),
                    22,
                    6,
                    t + 20_000,
                    (30_000, 200_000),
                    300_000,
                );
            }
        }
        // Internet background noise on public addresses.
        for target in [bastion, legacy].into_iter().flatten() {
            for _ in 0..rng.poisson(0.7) {
                let t = at(rng);
                let port = *rng.pick(&[22, 23, 80, 443, 445, 3389, 8080, 5900, 6379, 22]);
                let scanner = internet(rng, 2);
                push(
                    estate,
                    rng,
                    out,
                    End::External(scanner),
                    End::Host(target),
                    port,
                    6,
                    t,
                    (120, 200),
                    200,
                );
            }
        }
        // Nightly backups: 01:00-02:30, gigabytes from the databases.
        if let Some(bk) = backup
            && (hour == 1 || (hour == 2 && minute.rem_euclid(MS_PER_HOUR) < 30 * 60_000))
            && minute.rem_euclid(10 * 60_000) == 0
        {
            for db in [orders, reporting].into_iter().flatten() {
                push(
                    estate,
                    rng,
                    out,
                    End::Host(bk),
                    End::Host(db),
                    5432,
                    6,
                    minute + 1_000,
                    (200_000, 1_500_000_000),
                    590_000,
                );
            }
        }
        // The authorised vulnerability scanner: 03:00-03:20 every day, every host, 14 ports.
        if let Some(sc) = scanner
            && hour == 3
            && minute.rem_euclid(MS_PER_HOUR) < 20 * 60_000
        {
            let all: Vec<usize> = (0..estate.hosts.len())
                .filter(|&h| h != sc && estate.hosts[h].role != Role::Nat)
                .collect();
            let slot = (minute.rem_euclid(MS_PER_HOUR) / 60_000) as usize;
            for &h in all.iter().skip(slot).step_by(20) {
                for port in SCANNER_PORTS {
                    let t = at(rng);
                    push(
                        estate,
                        rng,
                        out,
                        End::Host(sc),
                        End::Host(h),
                        port,
                        6,
                        t,
                        (60, 60),
                        5,
                    );
                }
            }
        }
        minute += 60_000;
    }
}
