//! The keys of personal data (docs/decisions/0019) as deployed: wrapped by KMS (moto's), kept in
//! the template's `DataKeysTable`, which must never be backed up, since a key forget destroys
//! has to be gone from every copy.

use payments_domain::identity::{CachingKeyWrapper, KeyWrapper};
use payments_domain::refs::CustomerRef;
use payments_domain::shredding::{Keyring, Subject};
use std::sync::Arc;

#[test]
fn the_data_keys_table_is_never_backed_up_and_outlives_the_stack() {
    let path = local_stack::template_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    let template: yaml_serde::Value = yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let table = &template["Resources"]["DataKeysTable"];
    assert_eq!(table["Type"].as_str(), Some("AWS::DynamoDB::Table"));
    let recovery = &table["Properties"]["PointInTimeRecoverySpecification"];
    assert!(
        recovery.is_null() || recovery["PointInTimeRecoveryEnabled"].as_bool() == Some(false),
        "point-in-time recovery would keep destroyed keys for 35 days"
    );
    assert!(
        table["Properties"]["StreamSpecification"].is_null(),
        "a stream would copy the keys out"
    );
    for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
        assert_eq!(table[policy].as_str(), Some("Retain"), "{policy}");
    }
}

#[tokio::test]
async fn a_customers_key_is_wrapped_by_kms_shared_by_racing_writers_and_destroyed_for_good() {
    let (kms, key_id) = test_support::kms_key().await;
    let wrapper: Arc<dyn KeyWrapper> = Arc::new(CachingKeyWrapper::new(Arc::new(
        payments_aws::kms::KmsKeyWrapper::new(kms, key_id),
    )));
    let keyring = Keyring::new(test_support::data_keys_table().await, wrapper);
    let scope = test_support::new_scope();
    let jane = CustomerRef::parse("jane").unwrap_or_else(|e| panic!("{e:?}"));
    let subject = Subject::Customer(&jane);

    let (first, second) = tokio::join!(
        keyring.writing_key(&scope, subject),
        keyring.writing_key(&scope, subject)
    );
    let first = first.unwrap_or_else(|e| panic!("{e}"));
    let sealed = first
        .seal("jane/holderName", b"JANE DOE")
        .unwrap_or_else(|e| panic!("{e}"));
    let opened = second
        .unwrap_or_else(|e| panic!("{e}"))
        .open("jane/holderName", &sealed)
        .unwrap_or_else(|e| panic!("racing writers got two keys: {e}"));
    assert_eq!(opened, b"JANE DOE");

    keyring
        .destroy(&scope, subject)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let left = keyring
        .reading_key(&scope, subject)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(left.is_none(), "the key outlived its destruction");
}
