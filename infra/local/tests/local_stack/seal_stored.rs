//! `local-stack seal-stored` (`make migrate-seal`) against moto: personal data stored in clear
//! before sealing (a profile's metadata, an instrument's account details) is sealed in place
//! under the customer's key, reads back the same through the store, and a second run leaves it
//! as it is.

use super::common::{self, moto_endpoint};
use aws_sdk_dynamodb::types::AttributeValue;
use local_stack::state::StateDir;
use payments_aws::Store;
use payments_domain::bank::{AccountHolderName, SortCode, UkAccountNumber};
use payments_domain::ids::{AccountId, TenantId, TenantScope};
use payments_domain::metadata::Metadata;
use payments_domain::refs::CustomerRef;
use payments_domain::shredding::Keyring;
use payments_domain::vault::{AccountDetails, Customers, FinancialInstrument};
use payments_domain::{Now, Secret};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

type Item = HashMap<String, AttributeValue>;

async fn seal_stored(state: &Path) -> String {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_local-stack"))
        .arg("seal-stored")
        .arg("--state-dir")
        .arg(state)
        .args(["--endpoint", &moto_endpoint()])
        .env("LOCAL_STACK_LOG", "error")
        .output()
        .await
        .expect("local-stack runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{}: {stdout} {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The customer's items as the table holds them.
async fn partition(store: &Store, scope: &TenantScope, customer: &str) -> Vec<Item> {
    store
        .client()
        .query()
        .table_name(store.table_name())
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(format!(
                "T#{}#A#{}#CUSTOMER#{customer}",
                scope.tenant, scope.account
            )),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("query")
        .items
        .unwrap_or_default()
}

#[tokio::test]
async fn personal_data_stored_in_clear_is_sealed_in_place() {
    let state = common::temp_state_dir("seal-stored");
    let plain = common::provisioned_store().await;
    let template =
        local_stack::template::Template::load(&local_stack::template_path()).expect("template");
    let keys = Arc::new(Keyring::new(
        payments_aws::data_keys::DataKeysTable::new(
            plain.client().clone(),
            local_stack::scheme::data_keys_table_name(&template).expect("keys table"),
        ),
        Arc::new(StateDir::new(&state).api_key_kek().expect("the local key")),
    ));
    let store = plain.clone().with_keyring(keys.clone());
    let scope = TenantScope {
        tenant: TenantId::new_random(),
        account: AccountId::new_random(),
    };
    let jane = CustomerRef::parse("jane").expect("ref");
    let note = format!("note-{}", common::unique());
    let holder = format!("H {}", &common::unique()[..12].to_uppercase());

    // Written as today, then put back in clear: what an item written before sealing holds.
    let metadata: Metadata =
        serde_json::from_value(serde_json::json!({ "note": note })).expect("metadata");
    store
        .replace_metadata(&scope, &jane, &metadata, Now::read())
        .await
        .expect("metadata");
    let details = AccountDetails::Uk {
        holder_name: Secret::new(AccountHolderName::parse(&holder).expect("holder")),
        account_number: Secret::new(UkAccountNumber::parse("99999911").expect("number")),
        sort_code: SortCode::parse("111211").expect("sort code"),
    };
    let instrument = FinancialInstrument::new(jane.clone(), details, Now::read().epoch_ms());
    store
        .add_instrument(&scope, &instrument)
        .await
        .expect("instrument");
    for mut item in partition(&plain, &scope, "jane").await {
        let erased = payments_aws::store::open_sealed(&keys, &mut item)
            .await
            .expect("opens");
        assert_eq!(erased, 0, "nothing of jane's is erased");
        plain
            .client()
            .put_item()
            .table_name(plain.table_name())
            .set_item(Some(item))
            .send()
            .await
            .expect("put in clear");
    }
    let in_clear = format!("{:?}", partition(&plain, &scope, "jane").await);
    assert!(in_clear.contains(&note) && in_clear.contains(&holder));

    let printed = seal_stored(&state).await;
    let sealed: usize = printed
        .lines()
        .find_map(|line| line.strip_prefix("SEALED="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no SEALED= line: {printed}"));
    assert!(sealed >= 2, "{printed}");
    let stored = partition(&plain, &scope, "jane").await;
    let text = format!("{stored:?}");
    assert!(!text.contains(&note) && !text.contains(&holder), "{text}");
    let read = store.customer(&scope, &jane).await.expect("read");
    let read = serde_json::to_string(&(&read.profile, &read.instruments)).expect("json");
    assert!(read.contains(&note) && read.contains(&holder), "{read}");

    seal_stored(&state).await;
    assert_eq!(
        partition(&plain, &scope, "jane").await,
        stored,
        "a sealed item is left as it is"
    );
    let _ = std::fs::remove_dir_all(&state);
}
