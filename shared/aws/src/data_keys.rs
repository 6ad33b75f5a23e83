//! The wrapped data keys of personal data (docs/decisions/0019), in a table of their own
//! (`DATA_KEYS_TABLE`, the template's `DataKeysTable`) that has no point-in-time recovery and no
//! backup: a key deleted here is gone from every copy, and with it whatever it sealed.

use crate::config::{Clients, Settings, DATA_KEYS_TABLE};
use aws_sdk_dynamodb::types::AttributeValue;
use payments_domain::error::Error;
use payments_domain::shredding::WrappedKeys;

const SUBJECT: &str = "subject";
const WRAPPED_KEY: &str = "wrappedKey";

#[derive(Clone)]
pub struct DataKeysTable {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DataKeysTable {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        DataKeysTable {
            client,
            table: table.into(),
        }
    }

    pub fn from_settings(aws: &Clients, settings: &Settings) -> Result<Self, Error> {
        Ok(Self::new(
            aws.dynamodb.clone(),
            settings.required(DATA_KEYS_TABLE)?,
        ))
    }
}

fn subject_key(subject: &str) -> std::collections::HashMap<String, AttributeValue> {
    std::collections::HashMap::from([(SUBJECT.to_owned(), AttributeValue::S(subject.to_owned()))])
}

impl WrappedKeys for DataKeysTable {
    async fn wrapped_key(&self, subject: &str) -> Result<Option<Vec<u8>>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(subject_key(subject)))
            // A key made a moment ago by another function must be found, not made again.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| Error::internal("DynamoDB GetItem (data key)", e))?;
        Ok(output
            .item()
            .and_then(|item| item.get(WRAPPED_KEY))
            .and_then(|value| value.as_b().ok())
            .map(|blob| blob.as_ref().to_vec()))
    }

    async fn insert_wrapped_key(&self, subject: &str, wrapped: &[u8]) -> Result<bool, Error> {
        let mut item = subject_key(subject);
        item.insert(
            WRAPPED_KEY.to_owned(),
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(wrapped)),
        );
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#subject)")
            .expression_attribute_names("#subject", SUBJECT)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(Error::internal("DynamoDB PutItem (data key)", e)),
        }
    }

    async fn destroy_wrapped_key(&self, subject: &str) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(subject_key(subject)))
            .send()
            .await
            .map_err(|e| Error::internal("DynamoDB DeleteItem (data key)", e))?;
        Ok(())
    }
}
