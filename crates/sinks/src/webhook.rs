//! A webhook sink: each new finding or incident POSTed as JSON to a URL (the OCSF event
//! itself, or a Slack-compatible `{"text": ...}` message), with retries and backoff, and a
//! dead-letter file so that nothing is lost while the endpoint is down.
//!
//! - A request that fails for a reason that may pass (no connection, a timeout, 408, 429, 5xx)
//!   is retried with exponential backoff (0.5 s, 1 s, 2 s, ... up to 8 s; a `Retry-After` of up
//!   to 30 s is honoured); any other answer (a 4xx) is final.
//! - An event that could not be delivered is appended to the dead-letter file (one JSON line
//!   each, the body as it would have been sent). Once the endpoint is found down (an event
//!   failed every attempt), the rest of the batch goes straight to the dead letter rather than
//!   waiting through every retry again.
//! - [`Webhook::replay`] sends the dead letter first, in order, and keeps only what still fails,
//!   so a later run delivers what an earlier one could not. Each request carries the event's uid
//!   in `Idempotency-Key`, for a receiver that must not count a retried delivery twice.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

/// How events are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The OCSF event as it is.
    Json,
    /// `{"text": "..."}`, which Slack (and Mattermost, Teams' Slack-compatible connectors)
    /// incoming webhooks accept.
    Slack,
}

/// What went wrong before anything was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// Not an http(s) URL.
    #[error("webhook URL '{0}': expected http:// or https://")]
    Url(String),
    /// The TLS roots could not be loaded.
    #[error("webhook: {0}")]
    Tls(String),
    /// The dead-letter file could not be read or written.
    #[error("webhook dead letter {path}: {source}")]
    DeadLetter {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// What a send or a replay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Events the endpoint accepted.
    pub delivered: usize,
    /// Events written to the dead letter (or kept there, by a replay).
    pub dead_lettered: usize,
}

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// A webhook endpoint.
pub struct Webhook {
    url: http::Uri,
    style: Style,
    client: Client<Https, Full<Bytes>>,
    retries: u32,
    first_backoff: Duration,
    timeout: Duration,
    dead_letter: PathBuf,
}

/// Longest `Retry-After` honoured: a longer one would hold the run; the event goes to the dead
/// letter instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

enum Outcome {
    Delivered,
    /// Failed for a reason that may pass: worth retrying (with the server's wait, if it said).
    Retry(String, Option<Duration>),
    /// Failed for good.
    Final(String),
}

impl Webhook {
    /// An endpoint at `url`, shaping events as `style`, retrying each `retries` times, writing
    /// what it cannot deliver to `dead_letter`. Call inside the runtime.
    pub fn new(
        url: &str,
        style: Style,
        retries: u32,
        dead_letter: &Path,
    ) -> Result<Self, WebhookError> {
        let uri: http::Uri = url.parse().map_err(|_| WebhookError::Url(url.into()))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(WebhookError::Url(url.into()));
        }
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| WebhookError::Tls(e.to_string()))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            url: uri,
            style,
            client: Client::builder(TokioExecutor::new()).build(connector),
            retries,
            first_backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(10),
            dead_letter: dead_letter.to_path_buf(),
        })
    }

    /// The body sent for an OCSF event.
    pub fn body(&self, event: &Value) -> Value {
        match self.style {
            Style::Json => event.clone(),
            Style::Slack => {
                let severity = event["severity"].as_str().unwrap_or("");
                let title = event["finding_info"]["title"]
                    .as_str()
                    .or(event["unmapped"]["title"].as_str())
                    .unwrap_or("eastwest");
                let what = match event["class_uid"].as_u64() {
                    Some(2005) => "incident",
                    _ => "finding",
                };
                let detail = event["desc"]
                    .as_str()
                    .or(event["finding_info"]["desc"].as_str())
                    .unwrap_or("");
                json!({"text": format!("*eastwest {what}* ({severity}): {title}\n{detail}")})
            }
        }
    }

    /// POSTs each event (OCSF events: findings or incidents), retrying, and writes those that
    /// could not be delivered to the dead letter.
    pub async fn send(&self, events: &[Value]) -> Result<Delivery, WebhookError> {
        let bodies: Vec<(String, Value)> =
            events.iter().map(|e| (uid_of(e), self.body(e))).collect();
        let (delivery, failed) = self.deliver(bodies).await;
        self.append_dead_letter(&failed)?;
        Ok(delivery)
    }

    /// Sends what the dead letter holds, in order, and keeps in it only what still fails.
    pub async fn replay(&self) -> Result<Delivery, WebhookError> {
        let fail = |source| WebhookError::DeadLetter {
            path: self.dead_letter.clone(),
            source,
        };
        let text = match std::fs::read_to_string(&self.dead_letter) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Delivery::default()),
            Err(e) => return Err(fail(e)),
        };
        let mut bodies = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<Value>(line) {
                Ok(entry) => bodies.push((
                    entry["uid"].as_str().unwrap_or_default().to_string(),
                    entry["body"].clone(),
                )),
                // A damaged line is kept as it is, never dropped.
                Err(_) => bodies.push((String::new(), Value::String(line.to_string()))),
            }
        }
        let (delivery, failed) = self.deliver(bodies).await;
        // Rewrite through a temporary file, so a crash leaves the old or the new list whole.
        let temporary = self.dead_letter.with_extension("jsonl.tmp");
        let mut out = String::new();
        for (uid, body) in &failed {
            out.push_str(&json!({"uid": uid, "body": body}).to_string());
            out.push('\n');
        }
        std::fs::write(&temporary, out).map_err(fail)?;
        std::fs::rename(&temporary, &self.dead_letter).map_err(fail)?;
        if failed.is_empty() {
            std::fs::remove_file(&self.dead_letter).map_err(fail)?;
        }
        Ok(delivery)
    }

    /// Delivers in order; returns what failed. After an event fails every attempt for a reason
    /// that may pass (the endpoint is down), the rest are not tried.
    async fn deliver(&self, bodies: Vec<(String, Value)>) -> (Delivery, Vec<(String, Value)>) {
        let mut delivery = Delivery::default();
        let mut failed = Vec::new();
        let mut down = false;
        for (uid, body) in bodies {
            if down {
                failed.push((uid, body));
                continue;
            }
            match self.post_with_retries(&uid, &body).await {
                Ok(()) => delivery.delivered += 1,
                Err((reason, may_pass)) => {
                    tracing::warn!("webhook: {uid}: {reason}");
                    down = may_pass;
                    failed.push((uid, body));
                }
            }
        }
        delivery.dead_lettered = failed.len();
        (delivery, failed)
    }

    async fn post_with_retries(&self, uid: &str, body: &Value) -> Result<(), (String, bool)> {
        let mut wait = self.first_backoff;
        let mut attempt = 0;
        loop {
            match self.post(uid, body).await {
                Outcome::Delivered => return Ok(()),
                Outcome::Final(reason) => return Err((reason, false)),
                Outcome::Retry(reason, asked) => {
                    if attempt >= self.retries {
                        return Err((reason, true));
                    }
                    let pause = match asked {
                        Some(asked) if asked <= MAX_RETRY_AFTER => asked,
                        Some(_) => return Err((reason, true)),
                        None => wait,
                    };
                    tokio::time::sleep(pause).await;
                    wait = (wait * 2).min(MAX_BACKOFF);
                    attempt += 1;
                }
            }
        }
    }

    async fn post(&self, uid: &str, body: &Value) -> Outcome {
        let request = http::Request::post(self.url.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(
                http::header::USER_AGENT,
                concat!("eastwest/", env!("CARGO_PKG_VERSION")),
            )
            .header("Idempotency-Key", uid)
            .body(Full::new(Bytes::from(body.to_string())));
        let request = match request {
            Ok(r) => r,
            Err(e) => return Outcome::Final(format!("cannot build the request: {e}")),
        };
        let response = match tokio::time::timeout(self.timeout, self.client.request(request)).await
        {
            Err(_) => return Outcome::Retry("no answer within 10 s".into(), None),
            Ok(Err(e)) => return Outcome::Retry(format!("cannot reach the endpoint: {e}"), None),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        // The body is read (and bounded) so the connection can be reused.
        let _ = tokio::time::timeout(self.timeout, response.into_body().collect()).await;
        if status.is_success() {
            Outcome::Delivered
        } else if status.is_server_error()
            || status == http::StatusCode::TOO_MANY_REQUESTS
            || status == http::StatusCode::REQUEST_TIMEOUT
        {
            Outcome::Retry(format!("HTTP {status}"), retry_after)
        } else {
            Outcome::Final(format!("HTTP {status}: the endpoint refused it"))
        }
    }

    fn append_dead_letter(&self, failed: &[(String, Value)]) -> Result<(), WebhookError> {
        if failed.is_empty() {
            return Ok(());
        }
        let fail = |source| WebhookError::DeadLetter {
            path: self.dead_letter.clone(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.dead_letter)
            .map_err(fail)?;
        let mut out = String::new();
        for (uid, body) in failed {
            out.push_str(&json!({"uid": uid, "body": body}).to_string());
            out.push('\n');
        }
        file.write_all(out.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(fail)
    }
}

/// An OCSF event's uid: the finding's, or the incident's.
fn uid_of(event: &Value) -> String {
    event["finding_info"]["uid"]
        .as_str()
        .or(event["metadata"]["uid"].as_str())
        .unwrap_or_default()
        .to_string()
}
