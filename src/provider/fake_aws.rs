//! A fake AWS JSON endpoint for unit tests: answers ECR and ECS calls (chosen by their
//! `X-Amz-Target` header) from a script of canned responses and records every call, so that a
//! test can drive a resource through failures no emulator produces (ECS refusing an update).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::config::{AwsClients, LazyClient};
use crate::plugin::{Applied, CallContext, Private, Resource, Value};

/// One canned answer: HTTP status and JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

impl Answer {
    /// A 200 answer.
    pub fn ok(body: serde_json::Value) -> Self {
        Self {
            status: 200,
            body: body.to_string(),
        }
    }

    /// An AWS error answer.
    pub fn error(code: &str, message: &str) -> Self {
        Self {
            status: 400,
            body: serde_json::json!({"__type": code, "message": message}).to_string(),
        }
    }

    /// AWS's throttling answer.
    pub fn throttled() -> Self {
        Self::error("ThrottlingException", "Rate exceeded")
    }

    /// A server failure (HTTP 500).
    pub fn server_error() -> Self {
        Self {
            status: 500,
            body: serde_json::json!({"__type": "ServerException", "message": "failed"}).to_string(),
        }
    }
}

/// A recorded call: the operation (such as `UpdateService`) and its JSON input.
#[derive(Debug, Clone)]
pub struct Call {
    /// The operation name.
    pub operation: String,
    /// The request body.
    pub input: serde_json::Value,
}

/// The fake endpoint: answers by operation name, records calls.
#[derive(Clone, Default)]
pub struct FakeAws {
    answers: Arc<Mutex<BTreeMap<String, Answer>>>,
    queued: Arc<Mutex<BTreeMap<String, Vec<Answer>>>>,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl FakeAws {
    /// Sets the answer to an operation.
    pub fn answer(&self, operation: &str, answer: Answer) {
        if let Ok(mut answers) = self.answers.lock() {
            answers.insert(operation.to_owned(), answer);
        }
    }

    /// Answers the next calls of `operation` with `answers`, in order, before the answer
    /// set with [`FakeAws::answer`].
    pub fn queue(&self, operation: &str, answers: Vec<Answer>) {
        if let Ok(mut queued) = self.queued.lock() {
            queued
                .entry(operation.to_owned())
                .or_default()
                .extend(answers);
        }
    }

    /// The calls so far.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Serves on a loopback port and returns clients pointed at it.
    pub async fn start(&self) -> std::io::Result<AwsClients> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let fake = self.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let fake = fake.clone();
                tokio::spawn(async move {
                    let _ = fake.serve_connection(stream).await;
                });
            }
        });
        let credentials = aws_sdk_ecs::config::Credentials::new("test", "test", None, None, "fake");
        let ecs = aws_sdk_ecs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(credentials.clone())
            .retry_config(RetryConfig::disabled())
            .endpoint_url(&url)
            .build();
        let ecr = aws_sdk_ecr::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(credentials)
            .retry_config(RetryConfig::disabled())
            .endpoint_url(&url)
            .build();
        Ok(AwsClients {
            ecr: LazyClient::new(move || aws_sdk_ecr::Client::from_conf(ecr.clone())),
            ecs: LazyClient::new(move || aws_sdk_ecs::Client::from_conf(ecs.clone())),
            region: "us-east-1".to_owned(),
            default_tags: BTreeMap::new(),
        })
    }

    async fn serve_connection(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let mut target = String::new();
            let mut length = 0usize;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).await?;
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    match name.trim().to_ascii_lowercase().as_str() {
                        "x-amz-target" => target = value.trim().to_owned(),
                        "content-length" => length = value.trim().parse().unwrap_or(0),
                        _ => {}
                    }
                }
            }
            let mut body = vec![0u8; length];
            reader.read_exact(&mut body).await?;
            let operation = target.rsplit('.').next().unwrap_or_default().to_owned();
            let input = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            if let Ok(mut calls) = self.calls.lock() {
                calls.push(Call {
                    operation: operation.clone(),
                    input,
                });
            }
            let queued = self.queued.lock().ok().and_then(|mut queued| {
                let answers = queued.get_mut(&operation)?;
                (!answers.is_empty()).then(|| answers.remove(0))
            });
            let answer = queued
                .or_else(|| {
                    let answers = self.answers.lock().ok()?;
                    answers.get(&operation).cloned()
                })
                .unwrap_or_else(|| Answer::error("UnknownOperationException", &operation));
            let response = format!(
                "HTTP/1.1 {} X\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{}",
                answer.status,
                answer.body.len(),
                answer.body
            );
            reader.get_mut().write_all(response.as_bytes()).await?;
        }
    }
}

/// `resource` updated in place from `prior` to `planned`, with no private state and a call
/// context that is never cancelled.
pub async fn updated<R: Resource + ?Sized>(
    resource: &R,
    prior: &Value,
    planned: &Value,
) -> Applied {
    resource
        .update(prior, planned, &Private::default(), &CallContext::default())
        .await
}
