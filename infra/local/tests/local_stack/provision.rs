//! Provisioning against moto: everything the template declares exists afterwards, with its
//! keys, indexes and queue attributes, and running it again changes nothing.

use super::common::{sdk, unique};
use aws_sdk_dynamodb::types::KeyType;
use aws_sdk_sqs::types::QueueAttributeName;
use local_stack::provision::provision;
use local_stack::template::Template;
use std::collections::HashMap;

fn template(id: &str, visibility: u32) -> Template {
    Template::parse(&format!(
        r#"
Resources:
  Dlq{id}:
    Type: AWS::SQS::Queue
  Work{id}:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: {visibility}
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Dlq{id}.Arn
        maxReceiveCount: 4
  Table{id}:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {{AttributeName: PK, AttributeType: S}}
        - {{AttributeName: SK, AttributeType: S}}
        - {{AttributeName: GSI1PK, AttributeType: S}}
      KeySchema:
        - {{AttributeName: PK, KeyType: HASH}}
        - {{AttributeName: SK, KeyType: RANGE}}
      GlobalSecondaryIndexes:
        - IndexName: GSI1
          KeySchema: [{{AttributeName: GSI1PK, KeyType: HASH}}]
          Projection: {{ProjectionType: ALL}}
"#
    ))
    .expect("template")
}

async fn queue_attributes(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
) -> HashMap<QueueAttributeName, String> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("attributes")
        .attributes
        .unwrap_or_default()
}

#[tokio::test]
async fn creates_tables_and_queues_idempotently() {
    let config = sdk().await;
    let id = unique();
    let first = provision(&config, &template(&id, 7))
        .await
        .expect("provision");
    let again = provision(&config, &template(&id, 7))
        .await
        .expect("provision again");
    assert_eq!(first, again);

    let table = format!("Table{id}");
    assert_eq!(first.tables.get(&table), Some(&table));
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let described = dynamodb
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .expect("describe")
        .table
        .expect("table");
    let keys: Vec<(String, KeyType)> = described
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name().to_owned(), k.key_type().clone()))
        .collect();
    assert_eq!(
        keys,
        [
            ("PK".to_owned(), KeyType::Hash),
            ("SK".to_owned(), KeyType::Range)
        ]
    );
    let indexes: Vec<&str> = described
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    assert_eq!(indexes, ["GSI1"]);

    let sqs = aws_sdk_sqs::Client::new(&config);
    let dlq = &first.queues[&format!("Dlq{id}")];
    let work = &first.queues[&format!("Work{id}")];
    assert!(work.url.ends_with(&format!("/Work{id}")), "{}", work.url);
    assert!(dlq.arn.ends_with(&format!(":Dlq{id}")), "{}", dlq.arn);
    let attributes = queue_attributes(&sqs, &work.url).await;
    assert_eq!(attributes[&QueueAttributeName::VisibilityTimeout], "7");
    let redrive: serde_json::Value =
        serde_json::from_str(&attributes[&QueueAttributeName::RedrivePolicy])
            .expect("redrive JSON");
    assert_eq!(redrive["deadLetterTargetArn"], dlq.arn.as_str());
    assert_eq!(
        redrive["maxReceiveCount"].to_string().trim_matches('"'),
        "4"
    );

    // A changed template updates the existing queue.
    let changed = provision(&config, &template(&id, 9))
        .await
        .expect("provision changed");
    assert_eq!(changed.queues[&format!("Work{id}")].url, work.url);
    assert_eq!(
        queue_attributes(&sqs, &work.url).await[&QueueAttributeName::VisibilityTimeout],
        "9"
    );
}

#[tokio::test]
async fn provisions_the_real_template() {
    let path = local_stack::template_path();
    let template = Template::load(&path).expect("template");
    let config = sdk().await;
    let provisioned = provision(&config, &template).await.expect("provision");
    assert_eq!(
        provisioned.tables.get("PaymentsTable").map(String::as_str),
        Some("PaymentsTable")
    );
    assert_eq!(provisioned.queues.len(), template.queues.len());
    provision(&config, &template).await.expect("idempotent");
}
