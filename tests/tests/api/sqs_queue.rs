//! The SQS queue adapter against moto: what is sent arrives once, as JSON, one message alone
//! (SendMessage) or several together (SendMessageBatch, ten at most per call).

use payments_aws::SqsQueue;
use payments_domain::orders::ExecuteInstruction;
use payments_domain::refs::{InstructionRef, OrderRef};
use payments_domain::work::Queue;

fn message() -> ExecuteInstruction {
    numbered(1)
}

fn numbered(n: usize) -> ExecuteInstruction {
    ExecuteInstruction {
        scope: test_support::new_scope().into(),
        order_ref: OrderRef::parse("o-1").unwrap_or_else(|e| panic!("{e:?}")),
        instruction_ref: InstructionRef::parse(&format!("i-{n}"))
            .unwrap_or_else(|e| panic!("{e:?}")),
    }
}

/// Everything on the queue at `url` (received, so each once).
async fn drain(client: &aws_sdk_sqs::Client, url: &str) -> Vec<ExecuteInstruction> {
    let mut bodies = Vec::new();
    loop {
        let received = client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if received.messages().is_empty() {
            return bodies;
        }
        bodies.extend(
            received
                .messages()
                .iter()
                .filter_map(|m| m.body().and_then(|b| serde_json::from_str(b).ok())),
        );
    }
}

#[tokio::test]
async fn sent_messages_arrive_once_as_json_alone_or_in_batches() {
    let client = aws_sdk_sqs::Client::new(&test_support::sdk_config().await);
    let name = format!("queue-test-{}", uuid::Uuid::new_v4());
    let url = client
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .queue_url
        .unwrap_or_default();

    let queue = SqsQueue::new(client.clone(), &url);
    let message = message();
    queue
        .send_all(std::slice::from_ref(&message))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(drain(&client, &url).await, vec![message]);

    let many: Vec<ExecuteInstruction> = (0..23).map(numbered).collect();
    queue
        .send_all(&many)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut arrived = drain(&client, &url).await;
    arrived.sort_by(|a, b| a.instruction_ref.cmp(&b.instruction_ref));
    let mut sent = many;
    sent.sort_by(|a, b| a.instruction_ref.cmp(&b.instruction_ref));
    assert_eq!(arrived, sent);
}

#[tokio::test]
async fn a_missing_queue_is_an_internal_error_not_a_panic() {
    let client = aws_sdk_sqs::Client::new(&test_support::sdk_config().await);
    let queue = SqsQueue::<ExecuteInstruction>::new(
        client,
        format!(
            "{}/123456789012/does-not-exist",
            test_support::moto_endpoint()
        ),
    );
    for messages in [vec![message()], (0..12).map(numbered).collect()] {
        let result = queue.send_all(&messages).await;
        assert!(
            matches!(result, Err(payments_domain::Error::Internal(_))),
            "{result:?}"
        );
    }
}
