//! Tenant payment schemes in the table: saved and found again, strongly consistent, replaced
//! by a second save, and out of reach of every other tenant.

use aws_sdk_dynamodb::types::AttributeValue;
use payments_aws::Store;
use payments_domain::country::Country;
use payments_domain::currency::Currency;
use payments_domain::payments::{Direction, Scheme, SchemeId, Schemes};

fn scheme(direction: Direction, currencies: &[&str], countries: &[&str]) -> Scheme {
    Scheme {
        scheme_id: SchemeId::new_random(),
        direction,
        app_id: "SANDBOX".to_owned(),
        currencies: currencies
            .iter()
            .filter_map(|c| Currency::parse(c).ok())
            .collect(),
        countries: countries
            .iter()
            .filter_map(|c| Country::parse(c).ok())
            .collect(),
    }
}

async fn store() -> Store {
    test_support::table().await
}

#[tokio::test]
async fn a_saved_scheme_is_found_as_saved() {
    let store = store().await;
    let scope = test_support::new_scope();
    let debit = scheme(Direction::Debit, &["EUR", "GBP"], &["GB", "DE"]);
    let credit = scheme(Direction::Credit, &[], &[]);
    store.save_scheme(&scope, &debit).await.expect("save debit");
    store
        .save_scheme(&scope, &credit)
        .await
        .expect("save credit");

    let found = store.scheme(&scope, &debit.scheme_id).await.expect("find");
    assert_eq!(found.as_ref(), Some(&debit));
    let found = store.scheme(&scope, &credit.scheme_id).await.expect("find");
    assert_eq!(found.as_ref(), Some(&credit));
    // Empty lists survive the round trip as "everything", not as missing attributes.
    let credit = found.expect("credit");
    let (jpy, fr) = (Currency::parse("JPY"), Country::parse("FR"));
    assert!(
        jpy.is_ok_and(|c| credit.accepts_currency(c))
            && fr.is_ok_and(|c| credit.accepts_country(c))
    );
}

#[tokio::test]
async fn a_scheme_id_with_a_hyphen_round_trips() {
    let store = store().await;
    let scope = test_support::new_scope();
    let mut uuid_like = scheme(Direction::Debit, &["EUR"], &[]);
    uuid_like.scheme_id =
        SchemeId::parse(&uuid::Uuid::new_v4().to_string()).expect("a UUID is a valid scheme id");
    store.save_scheme(&scope, &uuid_like).await.expect("save");
    let found = store
        .scheme(&scope, &uuid_like.scheme_id)
        .await
        .expect("find");
    assert_eq!(found, Some(uuid_like));
}

#[tokio::test]
async fn an_unknown_scheme_is_none() {
    let store = store().await;
    let scope = test_support::new_scope();
    store
        .save_scheme(&scope, &scheme(Direction::Debit, &[], &[]))
        .await
        .expect("save");
    let found = store
        .scheme(&scope, &SchemeId::new_random())
        .await
        .expect("find");
    assert_eq!(found, None);
}

#[tokio::test]
async fn another_tenant_cannot_find_a_scheme() {
    let store = store().await;
    let owner = test_support::new_scope();
    let saved = scheme(Direction::Credit, &["GBP"], &["GB"]);
    store.save_scheme(&owner, &saved).await.expect("save");

    let other_tenant = test_support::new_scope();
    let same_tenant_other_account = payments_domain::ids::TenantScope {
        tenant: owner.tenant,
        account: other_tenant.account,
    };
    let same_account_other_tenant = payments_domain::ids::TenantScope {
        tenant: other_tenant.tenant,
        account: owner.account,
    };
    for scope in [
        other_tenant,
        same_tenant_other_account,
        same_account_other_tenant,
    ] {
        let found = store.scheme(&scope, &saved.scheme_id).await.expect("find");
        assert_eq!(found, None, "{scope:?} reached another tenant's scheme");
    }
    let found = store.scheme(&owner, &saved.scheme_id).await.expect("find");
    assert_eq!(found, Some(saved));
}

#[tokio::test]
async fn saving_again_replaces_the_scheme() {
    let store = store().await;
    let scope = test_support::new_scope();
    let first = scheme(Direction::Debit, &["EUR", "GBP"], &["GB", "DE"]);
    store.save_scheme(&scope, &first).await.expect("first save");

    let replacement = Scheme {
        scheme_id: first.scheme_id.clone(),
        direction: Direction::Credit,
        app_id: "OTHER_APP".to_owned(),
        currencies: Currency::parse("USD").into_iter().collect(),
        countries: Vec::new(),
    };
    store
        .save_scheme(&scope, &replacement)
        .await
        .expect("second save");
    let found = store.scheme(&scope, &first.scheme_id).await.expect("find");
    assert_eq!(found, Some(replacement));
}

#[tokio::test]
async fn schemes_live_in_one_partition_per_tenant_keyed_by_id() {
    let store = store().await;
    let scope = test_support::new_scope();
    let saved = scheme(Direction::Debit, &["EUR"], &["DE"]);
    store.save_scheme(&scope, &saved).await.expect("save");

    let client = aws_sdk_dynamodb::Client::new(&test_support::sdk_config().await);
    let partition = format!("T#{}#A#{}#SCHEMES", scope.tenant, scope.account);
    let item = client
        .get_item()
        .table_name(test_support::TABLE_NAME)
        .key("PK", AttributeValue::S(partition))
        .key("SK", AttributeValue::S(saved.scheme_id.to_string()))
        .consistent_read(true)
        .send()
        .await
        .expect("GetItem")
        .item
        .expect("the item is where the key layout says");
    assert_eq!(
        item.get("itemType")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str),
        Some("Scheme")
    );
    assert_eq!(
        item.get("direction")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str),
        Some("DEBIT")
    );
}
