//! `s3://bucket/prefix` inputs through the AWS SDK, with the credentials, endpoint and retries
//! of the one [`AwsContext`] (so a local emulator stands in for S3 in tests, and `--profile` /
//! `--role` reach the bucket as they reach the inventory).
//!
//! Listing is async; reading happens on the reader threads, which block on the runtime for the
//! duration of one GetObject. Text and gzip objects are read as a stream of ranged GETs of
//! [`PART_BYTES`] ([`ObjectReader`]), so memory stays a part per reader whatever the object's
//! size; Parquet needs random access and is fetched whole, up to [`MAX_WHOLE_OBJECT_BYTES`].

use aws_sdk_s3::Client;
use bytes::Bytes;
use tokio::runtime::Handle;

pub use eastwest_aws::{AwsContext, AwsOptions, RetryMode};

use crate::input::{Input, InputError, Location, TimeWindow, parse_s3_url};

/// An S3 client and the runtime it runs on.
#[derive(Clone, Debug)]
pub struct S3Store {
    client: Client,
    runtime: Handle,
}

impl S3Store {
    /// A store on the context's primary configuration. Path-style addressing is used when an
    /// endpoint is set, as emulators need. Call inside the runtime.
    pub fn new(aws: &AwsContext) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(aws.config())
            .force_path_style(aws.path_style())
            .build();
        Self {
            client: Client::from_conf(s3_config),
            runtime: Handle::current(),
        }
    }

    /// The objects under an `s3://bucket/prefix` URL, in key order, with those whose key dates
    /// fall outside `window` pruned. Returns the inputs and how many were pruned.
    pub async fn list(
        &self,
        url: &str,
        window: &TimeWindow,
    ) -> Result<(Vec<Input>, u64), InputError> {
        let (bucket, prefix) = parse_s3_url(url)?;
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&bucket)
            .prefix(&prefix)
            .into_paginator()
            .send();
        let mut inputs = Vec::new();
        let mut pruned = 0;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| InputError::S3 {
                url: url.to_string(),
                message: aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
            })?;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                if key.ends_with('/') {
                    continue;
                }
                if window.prunes(key) {
                    pruned += 1;
                    continue;
                }
                inputs.push(Input {
                    name: format!("s3://{bucket}/{key}").into(),
                    location: Location::S3 {
                        bucket: bucket.clone(),
                        key: key.to_string(),
                    },
                    size: object.size().unwrap_or(0).max(0) as u64,
                    chunk: None,
                    row_groups: None,
                    kind: None,
                });
            }
        }
        Ok((inputs, pruned))
    }

    /// Fetches the first `bytes` of an object (a ranged GET), for recognition. Called from
    /// reader threads (outside the runtime).
    pub fn get_range(&self, bucket: &str, key: &str, bytes: u64) -> Result<Bytes, String> {
        self.get_span(bucket, key, 0, bytes)
    }

    /// An object as a stream of ranged GETs; `size` is its listed size.
    pub fn object(&self, bucket: &str, key: &str, size: u64) -> ObjectReader {
        ObjectReader {
            store: self.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            size,
            position: 0,
            part: Bytes::new(),
        }
    }

    /// Fetches `bytes` of an object from `start` (a ranged GET). Called from reader threads.
    pub fn get_span(
        &self,
        bucket: &str,
        key: &str,
        start: u64,
        bytes: u64,
    ) -> Result<Bytes, String> {
        let client = self.client.clone();
        let (bucket, key) = (bucket.to_string(), key.to_string());
        let range = format!(
            "bytes={start}-{}",
            start.saturating_add(bytes.saturating_sub(1))
        );
        self.runtime.block_on(async move {
            let object = client
                .get_object()
                .bucket(bucket)
                .key(key)
                .range(range)
                .send()
                .await
                .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(&e).to_string())?;
            let body = object.body.collect().await.map_err(|e| e.to_string())?;
            Ok(body.into_bytes())
        })
    }

    /// Fetches an object whole, refusing one whose listed size is past
    /// [`MAX_WHOLE_OBJECT_BYTES`]. Called from reader threads (outside the runtime).
    pub fn get(&self, bucket: &str, key: &str, size: u64) -> Result<Bytes, String> {
        if size > MAX_WHOLE_OBJECT_BYTES {
            return Err(format!(
                "{size} bytes: larger than the {MAX_WHOLE_OBJECT_BYTES} a Parquet object is read whole up to; download it and read the file"
            ));
        }
        let client = self.client.clone();
        let (bucket, key) = (bucket.to_string(), key.to_string());
        self.runtime.block_on(async move {
            let object = client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(&e).to_string())?;
            let body = object.body.collect().await.map_err(|e| e.to_string())?;
            Ok(body.into_bytes())
        })
    }
}

/// Bytes fetched per ranged GET when an object is streamed.
pub const PART_BYTES: u64 = 8 << 20;

/// Largest object fetched whole (Parquet, which needs random access). AWS writes Parquet flow
/// logs in objects of tens of megabytes.
pub const MAX_WHOLE_OBJECT_BYTES: u64 = 1 << 30;

/// An S3 object read in order, one ranged GET of [`PART_BYTES`] at a time, on the reader thread.
pub struct ObjectReader {
    store: S3Store,
    bucket: String,
    key: String,
    size: u64,
    position: u64,
    part: Bytes,
}

impl std::io::Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.part.is_empty() {
            if self.position >= self.size {
                return Ok(0);
            }
            let want = PART_BYTES.min(self.size - self.position);
            self.part = self
                .store
                .get_span(&self.bucket, &self.key, self.position, want)
                .map_err(std::io::Error::other)?;
            if self.part.is_empty() {
                // The object shrank since it was listed: what was read is all there is.
                self.size = self.position;
                return Ok(0);
            }
            // A server that ignores the range sends more than asked: keep only the span.
            if self.part.len() as u64 > want {
                self.part.truncate(want as usize);
            }
            self.position += self.part.len() as u64;
        }
        let n = buf.len().min(self.part.len());
        buf[..n].copy_from_slice(&self.part[..n]);
        bytes::Buf::advance(&mut self.part, n);
        Ok(n)
    }
}
