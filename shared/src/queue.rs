//! Publishing work for the SQS workers. A message carries ids only; the worker reloads state.

use crate::error::Error;
use aws_sdk_sqs::error::DisplayErrorContext;
use serde::Serialize;

/// Where HTTP functions put slow or external work.
pub trait Queue {
    fn send<M: Serialize + Sync>(
        &self,
        message: &M,
    ) -> impl std::future::Future<Output = Result<(), Error>> + Send;
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
    async fn send<M: Serialize + Sync>(&self, message: &M) -> Result<(), Error> {
        let body = serde_json::to_string(message)
            .map_err(|e| Error::Internal(format!("serialising message: {e}")))?;
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
