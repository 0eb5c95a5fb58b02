//! The webhook sink against a local HTTP server on 127.0.0.1 that fails, then recovers: every
//! new finding and incident arrives exactly once; while the endpoint is down, what was not
//! delivered waits in the dead letter under --state, and the next run delivers it.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request the server accepted: its Idempotency-Key and body.
type Accepted = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

/// An HTTP server on 127.0.0.1 that answers the first `failures` requests with 503.
struct Server {
    url: String,
    accepted: Accepted,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl Server {
    fn start(failures: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("addr").port();
        let accepted: Accepted = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let left = Arc::new(AtomicUsize::new(failures));
        {
            let (accepted, stop) = (accepted.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let Some((key, body)) = read_request(&mut stream) else {
                        continue;
                    };
                    let fail = left
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    let status = if fail {
                        "503 Service Unavailable"
                    } else {
                        let value =
                            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                        accepted.lock().expect("log").push((key, value));
                        "200 OK"
                    };
                    let _ = stream.write_all(
                        format!(
                            "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                }
            });
        }
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            accepted,
            stop,
            port,
        }
    }

    fn accepted(&self) -> Vec<(String, serde_json::Value)> {
        self.accepted.lock().expect("log").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Headers, then a body of Content-Length bytes: the Idempotency-Key and the body.
fn read_request(stream: &mut std::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
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
    let length: usize = header("content-length")?.parse().ok()?;
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Some((
        header("idempotency-key").unwrap_or_default(),
        buffer[head_end..head_end + length].to_vec(),
    ))
}

fn scan() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/cases/port-scan-vertical/flows.log")
        .display()
        .to_string()
}

fn detect(state: &Path, extra: &[&str]) -> (Output, PathBuf) {
    let findings = state.with_extension("findings.json");
    let out = Command::new(env!("CARGO_BIN_EXE_eastwest"))
        .args(["--quiet", "detect", &scan(), "--state"])
        .arg(state)
        .args(["--format", "json", "--output"])
        .arg(&findings)
        .args(extra)
        .output()
        .expect("runs");
    (out, findings)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn finding_uids(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("findings")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            v["finding_info"]["uid"].as_str().expect("uid").to_string()
        })
        .collect()
}

#[test]
fn every_event_arrives_once_though_the_endpoint_fails_first() {
    let server = Server::start(3);
    let dir = tempfile::tempdir().expect("dir");
    let state = dir.path().join("state");
    let (out, findings) = detect(&state, &["--webhook", &server.url]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let uids = finding_uids(&findings);
    assert!(!uids.is_empty());
    let accepted = server.accepted();
    let keys: Vec<&str> = accepted.iter().map(|(k, _)| k.as_str()).collect();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "a duplicate delivery: {keys:?}");
    for uid in &uids {
        assert!(
            keys.contains(&uid.as_str()),
            "{uid} not delivered: {keys:?}"
        );
    }
    // The findings, and the incident they make.
    let classes: Vec<u64> = accepted
        .iter()
        .filter_map(|(_, body)| body["class_uid"].as_u64())
        .collect();
    assert!(
        classes.contains(&2004) && classes.contains(&2005),
        "{classes:?}"
    );
    assert_eq!(accepted.len(), uids.len() + 1);
    assert!(!state.join("webhook-dead-letter.jsonl").exists());

    // Run again over the same state: nothing new, so nothing is sent again.
    let (again, _) = detect(&state, &["--webhook", &server.url]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(server.accepted().len(), accepted.len());

    // Slack-compatible payloads carry the text.
    let slack = Server::start(0);
    let fresh = dir.path().join("slack-state");
    let (out, _) = detect(
        &fresh,
        &["--webhook", &slack.url, "--webhook-format", "slack"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bodies = slack.accepted();
    assert!(!bodies.is_empty());
    for (_, body) in &bodies {
        let message = body["text"].as_str().expect("text");
        assert!(message.starts_with("*eastwest "), "{message}");
    }
}

#[test]
fn what_an_endpoint_that_is_down_misses_waits_in_the_dead_letter_and_is_replayed() {
    // A port nothing listens on.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("port");
        listener.local_addr().expect("addr").port()
    };
    let dir = tempfile::tempdir().expect("dir");
    let state = dir.path().join("state");
    let down = format!("http://127.0.0.1:{closed}/hook");
    let (out, findings) = detect(&state, &["--webhook", &down, "--webhook-retries", "1"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("kept in webhook-dead-letter.jsonl"),
        "{stderr}"
    );
    let dead_letter = state.join("webhook-dead-letter.jsonl");
    let waiting = std::fs::read_to_string(&dead_letter).expect("dead letter");
    let uids = finding_uids(&findings);
    assert_eq!(waiting.lines().count(), uids.len() + 1, "{waiting}");

    // The endpoint is back: the next run (with nothing new to read) delivers what waited.
    let server = Server::start(0);
    let (out, _) = detect(&state, &["--webhook", &server.url]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("delivered from the dead letter"),
        "{stderr}"
    );
    let keys: Vec<String> = server.accepted().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys.len(), uids.len() + 1, "{keys:?}");
    for uid in &uids {
        assert!(keys.contains(uid), "{uid}: {keys:?}");
    }
    assert!(!dead_letter.exists(), "the dead letter is emptied");

    // A bad URL is refused before anything is read.
    let (bad, _) = detect(&dir.path().join("bad"), &["--webhook", "ftp://example"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("http://"),
        "{}",
        text(&bad.stderr)
    );
}
