//! Helpers shared by the CLI's integration tests.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A moto_server process, killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Moto {
    /// Starts moto_server on a free port of 127.0.0.1 and waits until it accepts connections.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("addr")
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server on PATH: pip install 'moto[server]' (bash .ci/run does)");
        // .ci/run stops what the tests started, and only that, from this list, should a test
        // process die before its Drop runs.
        if let Some(list) = std::env::var_os("EASTWEST_TEST_PIDS") {
            use std::io::Write;
            if let Ok(mut file) = std::fs::OpenOptions::new().append(true).open(list) {
                let _ = writeln!(file, "{}", child.id());
            }
        }
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, url }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request the [`Proxy`] saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The API: the query protocol's `Action`, the JSON protocol's `X-Amz-Target`, else the
    /// method and path (S3, REST APIs).
    pub api: String,
    /// The access key id that signed it (from `Authorization: ... Credential=AKID/...`).
    pub access_key: String,
    /// The whole request as received (headers and body), for finer checks.
    pub raw: String,
    /// Whether the proxy answered it with a fault instead of forwarding it.
    pub faulted: bool,
}

/// A fault the [`Proxy`] injects: requests whose raw text contains every string of `when` are
/// answered with `status` and `body` (AWS's error XML) instead of reaching the emulator, the
/// first `times` of them (None: all).
#[derive(Debug, Clone)]
pub struct Fault {
    /// Substrings a request must all contain.
    pub when: Vec<String>,
    /// HTTP status.
    pub status: u16,
    /// Response body.
    pub body: String,
    /// How many matching requests fail (None: every one).
    pub times: Option<usize>,
    /// Forward the request, then hold the answer back (for a test that kills the caller while
    /// the call is under way: its effect happened, its answer never arrived).
    pub stall: bool,
}

impl Fault {
    /// An `AccessDenied` (query-protocol error XML, status 403).
    pub fn access_denied(when: &[&str]) -> Self {
        Self {
            when: when.iter().map(|s| s.to_string()).collect(),
            status: 403,
            body: "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error><RequestId>f1</RequestId></ErrorResponse>".into(),
            times: None,
            stall: false,
        }
    }

    /// Forwards the first matching request, then never answers it.
    pub fn stall_after_forward(when: &[&str]) -> Self {
        Self {
            when: when.iter().map(|s| s.to_string()).collect(),
            status: 0,
            body: String::new(),
            times: Some(1),
            stall: true,
        }
    }

    /// EC2's `UnauthorizedOperation` (status 403, not retried), on every matching request.
    pub fn ec2_denied(when: &[&str]) -> Self {
        Self {
            when: when.iter().map(|s| s.to_string()).collect(),
            status: 403,
            body: "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>f3</RequestID></Response>".into(),
            times: None,
            stall: false,
        }
    }

    /// EC2's throttling error (`RequestLimitExceeded`, status 503), `times` times.
    pub fn ec2_throttled(when: &[&str], times: usize) -> Self {
        Self {
            when: when.iter().map(|s| s.to_string()).collect(),
            status: 503,
            body: "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>f2</RequestID></Response>".into(),
            times: Some(times),
            stall: false,
        }
    }
}

/// An HTTP proxy on 127.0.0.1 in front of moto_server: it logs every request (API and signing
/// key) and injects faults, so tests observe which credentials each AWS call used and how the
/// code under test meets refusals and throttling, through the real SDK. One request per
/// connection (it asks both sides to close), which the SDK handles as any server closing.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    port: u16,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`) with `faults`.
    pub fn start(upstream: &str, faults: Vec<Fault>) -> Self {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("addr").port();
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let faults = Arc::new(Mutex::new(
            faults.into_iter().map(|f| (f, 0usize)).collect::<Vec<_>>(),
        ));
        {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (seen, faults, upstream) = (seen.clone(), faults.clone(), upstream.clone());
                    std::thread::spawn(move || {
                        let _ = serve(stream, &upstream, &seen, &faults);
                    });
                }
            });
        }
        Self {
            url: format!("http://127.0.0.1:{port}"),
            seen,
            stop,
            port,
        }
    }

    /// Every request seen so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

type Faults = std::sync::Mutex<Vec<(Fault, usize)>>;

fn serve(
    mut client: std::net::TcpStream,
    upstream: &str,
    seen: &std::sync::Mutex<Vec<Seen>>,
    faults: &Faults,
) -> std::io::Result<()> {
    use std::io::{Read, Write};
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    // Headers, then a body of Content-Length bytes (the SDK sends no chunked requests here).
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = client.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let raw = String::from_utf8_lossy(&buffer).into_owned();
    let body = String::from_utf8_lossy(&buffer[head_end.min(buffer.len())..]).into_owned();
    let api = body
        .split('&')
        .find_map(|p| p.strip_prefix("Action=").map(str::to_string))
        .or_else(|| header("x-amz-target"))
        .unwrap_or_else(|| head.lines().next().unwrap_or("").to_string());
    let access_key = header("authorization")
        .and_then(|a| {
            let (_, rest) = a.split_once("Credential=")?;
            Some(rest.split('/').next()?.to_string())
        })
        .unwrap_or_default();
    let fault = {
        let mut faults = faults.lock().expect("faults");
        faults
            .iter_mut()
            .find(|(f, used)| {
                f.when.iter().all(|w| raw.contains(w.as_str())) && f.times.is_none_or(|t| *used < t)
            })
            .map(|(f, used)| {
                *used += 1;
                f.clone()
            })
    };
    seen.lock().expect("log").push(Seen {
        api,
        access_key,
        raw: raw.clone(),
        faulted: fault.is_some(),
    });
    let stall = fault.as_ref().is_some_and(|f| f.stall);
    if let Some(fault) = fault.filter(|f| !f.stall) {
        let response = format!(
            "HTTP/1.1 {} Fault\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            fault.status,
            fault.body.len(),
            fault.body
        );
        client.write_all(response.as_bytes())?;
        return Ok(());
    }
    // Forward with `Connection: close`, so the emulator ends the response by closing.
    let mut forwarded: Vec<u8> = Vec::with_capacity(buffer.len() + 32);
    for line in head[..head_end - 2].split("\r\n").filter(|l| !l.is_empty()) {
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        forwarded.extend_from_slice(line.as_bytes());
        forwarded.extend_from_slice(b"\r\n");
    }
    forwarded.extend_from_slice(b"Connection: close\r\n\r\n");
    forwarded.extend_from_slice(&buffer[head_end..]);
    let mut server = std::net::TcpStream::connect(upstream)?;
    server.set_read_timeout(Some(Duration::from_secs(60)))?;
    server.write_all(&forwarded)?;
    let mut response = Vec::new();
    server.read_to_end(&mut response)?;
    if stall {
        // The emulator made the change; the caller is killed before it hears so.
        std::thread::sleep(Duration::from_secs(120));
        return Ok(());
    }
    // Tell the client too, so it does not pool a connection this proxy is about to close.
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let response_head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    if !response_head.contains("\r\nconnection:")
        && let Some(first) = response.windows(2).position(|w| w == b"\r\n")
    {
        response.splice(
            first + 2..first + 2,
            b"Connection: close\r\n".iter().copied(),
        );
    }
    client.write_all(&response)?;
    client.flush()
}
