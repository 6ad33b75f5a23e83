//! Where profiles and mandates live. Profiles share one partition per tenant, ordered by ref,
//! so a page of them is one Query. A mandate has its own partition (it is read by id, and a
//! draft may not name a customer yet); a second item per mandate ref makes refs unique within
//! the tenant. A mandate that names a customer has a link in the customer's partition, so
//! forget reaches it.

use super::registration::RegisterMandate;
use super::{CreditorProfile, Mandate, Paging};
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::{FinancialInstrumentId, MandateId, TenantScope};
use crate::refs::{CreditorProfileRef, CustomerRef};
use crate::store::{self, cancelled_by_condition, sdk_failure, Item, Table, WorkKind};
use crate::vault::{
    customer_forgotten, customer_not_forgotten, instrument_item, instrument_item_key,
    mandate_link_item, AccountDetails, FinancialInstrument,
};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};

const PROFILES: &str = "CREDITOR_PROFILES";
const PROFILE_TYPE: &str = "CreditorProfile";
const MANDATE: &str = "MANDATE";
const MANDATE_TYPE: &str = "Mandate";
const MANDATE_REF: &str = "MANDATE_REF";
const MANDATE_REF_TYPE: &str = "MandateRef";

/// Attempts at one read-modify-write of a mandate before giving up on a busy item.
pub const MAX_WRITE_ATTEMPTS: usize = 20;

#[derive(Clone)]
pub struct MandateStore {
    table: Table,
}

/// One page of the tenant's profiles and how many there are in all.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfilePage {
    pub total_count: usize,
    pub results: Vec<CreditorProfile>,
}

/// What activating a mandate does to its instrument.
pub enum InstrumentChange {
    /// A new registration: the instrument appears.
    Create(FinancialInstrument),
    /// An amendment: the instrument's details change.
    Update {
        customer: CustomerRef,
        id: FinancialInstrumentId,
        details: AccountDetails,
    },
}

fn mandate_partition(scope: &TenantScope, id: MandateId) -> String {
    store::partition(scope, MANDATE, &id.to_string())
}

fn profile_not_found(reference: &CreditorProfileRef) -> Violation {
    Violation::new(ErrorCode::CREDITOR_PROFILE_NOT_FOUND)
        .with("creditorProfileRef", reference.as_str())
        .on_property("CreditorProfileRef", Some(reference.as_str()))
}

/// 404 for GET profile; the same code as a 400 when a mandate names a missing profile.
pub fn creditor_profile_not_found(reference: &CreditorProfileRef) -> Error {
    Error::NotFound(profile_not_found(reference))
}

pub fn mandate_not_found(id: MandateId) -> Error {
    Error::NotFound(
        Violation::new(ErrorCode::MANDATE_NOT_FOUND)
            .with("mandateId", id.to_string())
            .on_property("MandateId", Some(&id.to_string())),
    )
}

fn build<T, E: std::fmt::Display>(built: Result<T, E>, what: &str) -> Result<T, Error> {
    built.map_err(|e| Error::Internal(format!("building {what}: {e}")))
}

impl MandateStore {
    pub fn new(table: Table) -> Self {
        MandateStore { table }
    }

    /// Stores a new profile; a ref already in use is CREDITOR_PROFILE_ALREADY_EXISTS and
    /// changes nothing.
    pub async fn create_profile(
        &self,
        scope: &TenantScope,
        profile: &CreditorProfile,
    ) -> Result<(), Error> {
        let reference = &profile.creditor_profile_ref;
        let item = store::to_item(
            profile,
            &store::tenant_partition(scope, PROFILES),
            reference.as_str(),
            PROFILE_TYPE,
        )?;
        let result = self
            .table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        if store::put_applied(result)? {
            return Ok(());
        }
        Err(Error::invalid(
            Violation::new(ErrorCode::CREDITOR_PROFILE_ALREADY_EXISTS)
                .with("creditorProfileRef", reference.as_str())
                .on_property("CreditorProfileRef", Some(reference.as_str())),
        ))
    }

    pub async fn load_profile(
        &self,
        scope: &TenantScope,
        reference: &CreditorProfileRef,
    ) -> Result<Option<CreditorProfile>, Error> {
        self.table
            .get(
                &store::tenant_partition(scope, PROFILES),
                reference.as_str(),
            )
            .await
    }

    /// The profile a mandate names, or CREDITOR_PROFILE_NOT_FOUND as a 400.
    pub async fn named_profile(
        &self,
        scope: &TenantScope,
        reference: &CreditorProfileRef,
    ) -> Result<CreditorProfile, Error> {
        self.load_profile(scope, reference)
            .await?
            .ok_or_else(|| Error::invalid(profile_not_found(reference)))
    }

    /// Rows `from..from + take` of the tenant's profiles in ref order. DynamoDB has no
    /// offsets, so the partition is read from its start; a profile is well under 1 KB, so a
    /// tenant's first thousand or so come back in one round trip.
    pub async fn profile_page(
        &self,
        scope: &TenantScope,
        paging: Paging,
    ) -> Result<ProfilePage, Error> {
        let items: Vec<Result<Item, _>> = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(store::tenant_partition(scope, PROFILES)),
            )
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        let total_count = items.len();
        let results = items
            .into_iter()
            .skip(paging.from)
            .take(paging.take)
            .map(|item| store::from_item(item.map_err(sdk_failure("Query"))?))
            .collect::<Result<_, _>>()?;
        Ok(ProfilePage {
            total_count,
            results,
        })
    }

    pub async fn load_mandate(
        &self,
        scope: &TenantScope,
        id: MandateId,
    ) -> Result<Option<Mandate>, Error> {
        self.table.get(&mandate_partition(scope, id), MANDATE).await
    }

    /// The mandate's item, in the work index while it waits for the network.
    fn mandate_item(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        now_ms: i64,
    ) -> Result<Item, Error> {
        let pk = mandate_partition(scope, mandate.mandate_id);
        let mut item = store::to_item(mandate, &pk, MANDATE, MANDATE_TYPE)?;
        if mandate.needs_registration() {
            let message = RegisterMandate {
                tenant_id: scope.tenant,
                account_id: scope.account,
                mandate_id: mandate.mandate_id,
            };
            let message = serde_json::to_string(&message)
                .map_err(|e| Error::Internal(format!("serialising work message: {e}")))?;
            item.extend(store::work_attributes(
                WorkKind::Mandate,
                &pk,
                now_ms,
                message,
            ));
        }
        Ok(item)
    }

    /// The actions that tie a mandate to its customer: the profile must not be forgotten, and
    /// the customer's partition links to the mandate. None for a mandate without a customer,
    /// or one already forgotten.
    fn customer_actions(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        now_ms: i64,
    ) -> Result<Vec<TransactWriteItem>, Error> {
        let Some(customer) = mandate
            .terms
            .customer_ref
            .as_ref()
            .filter(|_| !mandate.forgotten)
        else {
            return Ok(Vec::new());
        };
        let guard = customer_not_forgotten(&self.table, scope, customer, now_ms)?;
        let link = build(
            Put::builder()
                .table_name(&self.table.name)
                .set_item(Some(mandate_link_item(
                    scope,
                    customer,
                    mandate.mandate_id,
                )?))
                .build(),
            "mandate link",
        )?;
        Ok(vec![
            TransactWriteItem::builder().update(guard).build(),
            TransactWriteItem::builder().put(link).build(),
        ])
    }

    /// Stores a new mandate and claims its ref. `Ok(false)` when the ref is taken (pick
    /// another); CUSTOMER_FORGOTTEN when the customer is.
    pub async fn insert_mandate(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        now_ms: i64,
    ) -> Result<bool, Error> {
        let put = build(
            Put::builder()
                .table_name(&self.table.name)
                .set_item(Some(self.mandate_item(scope, mandate, now_ms)?))
                .condition_expression("attribute_not_exists(PK)")
                .build(),
            "mandate put",
        )?;
        let claim = Item::from([(
            "mandateId".to_owned(),
            AttributeValue::S(mandate.mandate_id.to_string()),
        )]);
        let mut claim_item = store::key(
            &store::partition(scope, MANDATE_REF, &mandate.mandate_ref),
            MANDATE_REF,
        );
        claim_item.extend(claim);
        claim_item.insert(
            store::ITEM_TYPE.to_owned(),
            AttributeValue::S(MANDATE_REF_TYPE.to_owned()),
        );
        let claim = build(
            Put::builder()
                .table_name(&self.table.name)
                .set_item(Some(claim_item))
                .condition_expression("attribute_not_exists(PK)")
                .build(),
            "mandate ref claim",
        )?;
        let mut actions = vec![TransactWriteItem::builder().put(claim).build()];
        actions.extend(self.customer_actions(scope, mandate, now_ms)?);
        actions.push(TransactWriteItem::builder().put(put).build());
        self.commit(actions, mandate).await
    }

    /// Runs a mandate's transaction: its first action is the one whose refusal means "try
    /// again" (`Ok(false)`), and, when the mandate names a customer, its second the check that
    /// the customer is not forgotten.
    async fn commit(
        &self,
        actions: Vec<TransactWriteItem>,
        mandate: &Mandate,
    ) -> Result<bool, Error> {
        let result = self
            .table
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) => match cancelled_by_condition(&e).as_deref() {
                Some([true, ..]) => Ok(false),
                Some([_, true, ..]) => Err(self.forgotten_customer(mandate)),
                _ => Err(sdk_failure("TransactWriteItems")(e)),
            },
        }
    }

    fn forgotten_customer(&self, mandate: &Mandate) -> Error {
        match &mandate.terms.customer_ref {
            Some(customer) => customer_forgotten(customer),
            None => Error::Internal("customer check failed without a customer".into()),
        }
    }

    /// Stores a changed mandate if nobody changed it since it was read at `read_version`.
    /// `Ok(false)` when someone did (reload and try again).
    pub async fn save_mandate(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        read_version: u64,
        now_ms: i64,
    ) -> Result<bool, Error> {
        self.save_with(scope, mandate, read_version, now_ms, None)
            .await
    }

    /// Stores a mandate the network accepted, and creates or updates its instrument in the
    /// same transaction.
    pub async fn save_activated(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        read_version: u64,
        now_ms: i64,
        instrument: InstrumentChange,
    ) -> Result<bool, Error> {
        let action = match instrument {
            InstrumentChange::Create(instrument) => TransactWriteItem::builder()
                .put(build(
                    Put::builder()
                        .table_name(&self.table.name)
                        .set_item(Some(instrument_item(scope, &instrument)?))
                        .condition_expression("attribute_not_exists(PK)")
                        .build(),
                    "instrument put",
                )?)
                .build(),
            InstrumentChange::Update {
                customer,
                id,
                details,
            } => {
                let details = serde_dynamo::to_attribute_value(&details)
                    .map_err(|e| Error::Internal(format!("serialising details: {e}")))?;
                TransactWriteItem::builder()
                    .update(build(
                        Update::builder()
                            .table_name(&self.table.name)
                            .set_key(Some(instrument_item_key(scope, &customer, id)))
                            .update_expression("SET details = :details")
                            .condition_expression("attribute_exists(PK)")
                            .expression_attribute_values(":details", details)
                            .build(),
                        "instrument update",
                    )?)
                    .build()
            }
        };
        self.save_with(scope, mandate, read_version, now_ms, Some(action))
            .await
    }

    async fn save_with(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        read_version: u64,
        now_ms: i64,
        instrument: Option<TransactWriteItem>,
    ) -> Result<bool, Error> {
        let put = build(
            Put::builder()
                .table_name(&self.table.name)
                .set_item(Some(self.mandate_item(scope, mandate, now_ms)?))
                .condition_expression("version = :read")
                .expression_attribute_values(":read", AttributeValue::N(read_version.to_string()))
                .build(),
            "mandate put",
        )?;
        let mut actions = vec![TransactWriteItem::builder().put(put).build()];
        actions.extend(self.customer_actions(scope, mandate, now_ms)?);
        actions.extend(instrument);
        self.commit(actions, mandate).await
    }

    /// Erases the personal data of every linked mandate that still names the customer.
    pub async fn forget_customer(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        linked: &[MandateId],
        now_ms: i64,
    ) -> Result<(), Error> {
        for id in linked {
            self.forget_mandate(scope, customer, *id, now_ms).await?;
        }
        Ok(())
    }

    async fn forget_mandate(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: MandateId,
        now_ms: i64,
    ) -> Result<(), Error> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let Some(mut mandate) = self.load_mandate(scope, id).await? else {
                return Ok(());
            };
            if mandate.terms.customer_ref.as_ref() != Some(customer) {
                return Ok(());
            }
            let read = mandate.version;
            mandate.forget_personal_data();
            if self.save_mandate(scope, &mandate, read, now_ms).await? {
                return Ok(());
            }
        }
        Err(Error::Internal(
            "the mandate changed on every attempt".into(),
        ))
    }
}
