//! Publishing work for the SQS workers. A message carries ids only; the worker reloads state.

use crate::error::Error;
use aws_sdk_sqs::error::DisplayErrorContext;
use serde::Serialize;
use std::future::Future;

/// Where HTTP functions and the sweep put slow or external work.
pub trait Queue: Sync {
    /// Sends a message body as it is (already JSON).
    fn send_body(&self, body: String) -> impl Future<Output = Result<(), Error>> + Send;

    fn send<M: Serialize + Sync>(
        &self,
        message: &M,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        async move {
            let body = serde_json::to_string(message)
                .map_err(|e| Error::Internal(format!("serialising message: {e}")))?;
            self.send_body(body).await
        }
    }
}

#[derive(Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        SqsQueue {
            client,
            url: url.into(),
        }
    }
}

impl Queue for SqsQueue {
    async fn send_body(&self, body: String) -> Result<(), Error> {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| Error::Internal(format!("SQS send: {}", DisplayErrorContext(&e))))?;
        Ok(())
    }
}
