//! The SQS queue adapter against moto: what is sent arrives once, as JSON.

use payments_aws::SqsQueue;
use payments_domain::orders::ExecuteInstruction;
use payments_domain::refs::{InstructionRef, OrderRef};
use payments_domain::work::Queue;

fn message() -> ExecuteInstruction {
    ExecuteInstruction {
        scope: test_support::new_scope().into(),
        order_ref: OrderRef::parse("o-1").unwrap_or_else(|e| panic!("{e:?}")),
        instruction_ref: InstructionRef::parse("i-1").unwrap_or_else(|e| panic!("{e:?}")),
    }
}

#[tokio::test]
async fn a_sent_message_arrives_as_json() {
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
    queue.send(&message).await.unwrap_or_else(|e| panic!("{e}"));

    let received = client
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let bodies: Vec<ExecuteInstruction> = received
        .messages()
        .iter()
        .filter_map(|m| m.body().and_then(|b| serde_json::from_str(b).ok()))
        .collect();
    assert_eq!(bodies, vec![message]);
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
    let result = queue.send(&message()).await;
    assert!(
        matches!(result, Err(payments_domain::Error::Internal(_))),
        "{result:?}"
    );
}
