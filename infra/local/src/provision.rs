//! Creates the template's tables and queues in the emulator, as CloudFormation would on deploy.
//!
//! Idempotent, so `make dev` can run again against a moto that already has them: an existing
//! table is kept as it is; an existing queue gets the template's attributes set again. Queues
//! are created after the dead-letter queues they redrive to, because the redrive policy needs
//! the DLQ's ARN.

use crate::template::{LocalQueue, Locals, Queue, Table, Template};
use aws_config::SdkConfig;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::operation::create_queue::CreateQueueError;
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("table {table}: {message}")]
    Table { table: String, message: String },
    #[error("queue {queue}: {message}")]
    Queue { queue: String, message: String },
    #[error("queues redrive to each other in a cycle: {0}")]
    Cycle(String),
}

/// Local names of everything provisioned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provisioned {
    /// Table logical id → table name.
    pub tables: BTreeMap<String, String>,
    /// Queue logical id → URL and ARN.
    pub queues: BTreeMap<String, LocalQueue>,
}

impl Provisioned {
    /// What the template's intrinsics resolve to, with these parameter overrides.
    pub fn locals(&self, parameters: BTreeMap<String, String>) -> Locals {
        Locals {
            parameters,
            queues: self.queues.clone(),
        }
    }
}

pub async fn provision(
    sdk: &SdkConfig,
    template: &Template,
) -> Result<Provisioned, ProvisionError> {
    let dynamodb = aws_sdk_dynamodb::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let mut provisioned = Provisioned::default();
    for table in &template.tables {
        create_table(&dynamodb, table).await?;
        provisioned
            .tables
            .insert(table.logical_id.clone(), table.logical_id.clone());
    }
    for queue in creation_order(&template.queues)? {
        let dlq_arn = queue
            .redrive
            .as_ref()
            .and_then(|r| provisioned.queues.get(&r.dead_letter_queue))
            .map(|q| q.arn.clone());
        let local = create_queue(&sqs, queue, dlq_arn).await?;
        provisioned.queues.insert(queue.logical_id.clone(), local);
    }
    Ok(provisioned)
}

/// Dead-letter queues first: a queue comes after the queue its redrive policy names.
fn creation_order(queues: &[Queue]) -> Result<Vec<&Queue>, ProvisionError> {
    let mut ordered: Vec<&Queue> = Vec::new();
    let mut pending: Vec<&Queue> = queues.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        let done: Vec<String> = ordered.iter().map(|q| q.logical_id.clone()).collect();
        let (ready, rest): (Vec<&Queue>, Vec<&Queue>) = pending.into_iter().partition(|q| {
            q.redrive
                .as_ref()
                .is_none_or(|r| done.contains(&r.dead_letter_queue))
        });
        ordered.extend(ready);
        pending = rest;
        if pending.len() == before {
            let ids: Vec<&str> = pending.iter().map(|q| q.logical_id.as_str()).collect();
            return Err(ProvisionError::Cycle(ids.join(", ")));
        }
    }
    Ok(ordered)
}

async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    table: &Table,
) -> Result<(), ProvisionError> {
    let name = &table.logical_id;
    let fail = |message: String| ProvisionError::Table {
        table: name.clone(),
        message,
    };
    let build = |e: aws_sdk_dynamodb::error::BuildError| fail(e.to_string());
    let keys = |schema: &[crate::template::KeyElement]| {
        schema
            .iter()
            .map(|k| {
                KeySchemaElement::builder()
                    .attribute_name(&k.attribute)
                    .key_type(KeyType::from(k.key_type.as_str()))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(keys(&table.key_schema).map_err(build)?));
    for (attribute, kind) in &table.attribute_definitions {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
                .map_err(build)?,
        );
    }
    for index in &table.global_secondary_indexes {
        let projection = Projection::builder()
            .projection_type(ProjectionType::from(index.projection_type.as_str()))
            .set_non_key_attributes(
                (!index.non_key_attributes.is_empty()).then(|| index.non_key_attributes.clone()),
            )
            .build();
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .set_key_schema(Some(keys(&index.key_schema).map_err(build)?))
                .projection(projection)
                .build()
                .map_err(build)?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), CreateTableError::ResourceInUseException(_)) => {}
        Err(e) => return Err(fail(DisplayErrorContext(&e).to_string())),
    }
    if let Some(attribute) = &table.ttl_attribute {
        let spec = TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(true)
            .build()
            .map_err(build)?;
        // Setting it again on an existing table fails with "already enabled": that is the goal.
        if let Err(e) = client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(spec)
            .send()
            .await
        {
            tracing::debug!(table = %name, error = %DisplayErrorContext(&e), "time to live not updated");
        }
    }
    Ok(())
}

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    queue: &Queue,
    dlq_arn: Option<String>,
) -> Result<LocalQueue, ProvisionError> {
    let name = queue.local_name();
    let fail = |message: String| ProvisionError::Queue {
        queue: queue.logical_id.clone(),
        message,
    };
    let mut attributes = HashMap::new();
    if let Some(seconds) = queue.visibility_timeout {
        attributes.insert(QueueAttributeName::VisibilityTimeout, seconds.to_string());
    }
    if queue.fifo {
        attributes.insert(QueueAttributeName::FifoQueue, "true".to_owned());
    }
    if let (Some(redrive), Some(arn)) = (&queue.redrive, dlq_arn) {
        let policy = serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": redrive.max_receive_count});
        attributes.insert(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    let created = client
        .create_queue()
        .queue_name(&name)
        .set_attributes(Some(attributes.clone()))
        .send()
        .await;
    let url = match created {
        Ok(out) => out
            .queue_url
            .ok_or_else(|| fail("CreateQueue returned no URL".to_owned()))?,
        Err(aws_sdk_sqs::error::SdkError::ServiceError(e))
            if matches!(e.err(), CreateQueueError::QueueNameExists(_)) =>
        {
            // It exists with other attributes (an older template): bring it up to date.
            let url = client
                .get_queue_url()
                .queue_name(&name)
                .send()
                .await
                .map_err(|e| fail(DisplayErrorContext(&e).to_string()))?
                .queue_url
                .ok_or_else(|| fail("GetQueueUrl returned no URL".to_owned()))?;
            attributes.remove(&QueueAttributeName::FifoQueue);
            client
                .set_queue_attributes()
                .queue_url(&url)
                .set_attributes(Some(attributes))
                .send()
                .await
                .map_err(|e| fail(DisplayErrorContext(&e).to_string()))?;
            url
        }
        Err(e) => return Err(fail(DisplayErrorContext(&e).to_string())),
    };
    let arn = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| fail(DisplayErrorContext(&e).to_string()))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| fail("GetQueueAttributes returned no QueueArn".to_owned()))?;
    Ok(LocalQueue { url, arn })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Redrive;

    fn queue(id: &str, dlq: Option<&str>) -> Queue {
        Queue {
            logical_id: id.to_owned(),
            visibility_timeout: None,
            redrive: dlq.map(|d| Redrive {
                dead_letter_queue: d.to_owned(),
                max_receive_count: 3,
            }),
            fifo: false,
        }
    }

    #[test]
    fn dead_letter_queues_come_first() {
        let queues = [
            queue("A", Some("B")),
            queue("B", Some("C")),
            queue("C", None),
            queue("D", None),
        ];
        let order: Vec<&str> = creation_order(&queues)
            .expect("no cycle")
            .iter()
            .map(|q| q.logical_id.as_str())
            .collect();
        assert_eq!(order, ["C", "D", "B", "A"]);
    }

    #[test]
    fn redrive_cycles_are_refused() {
        let queues = [
            queue("A", Some("B")),
            queue("B", Some("A")),
            queue("C", None),
        ];
        assert!(
            matches!(creation_order(&queues), Err(ProvisionError::Cycle(ids)) if ids == "A, B")
        );
    }
}
