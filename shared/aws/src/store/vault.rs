//! The vault's items. One partition per customer holds the profile (`SK = PROFILE`), each
//! instrument (`FI#…`), each transaction (`TX#…`) and the links to the customer's instructions
//! and mandates, so reading a customer with all its instruments is one Query.

use super::items::{active_profile_values, ACTIVE_PROFILE_UPDATE, PROFILE_NOT_FORGOTTEN};
use super::keys::{
    self, INSTRUCTION_LINK_PREFIX, INSTRUMENT_PREFIX, INSTRUMENT_TYPE, MANDATE_LINK_PREFIX,
    PROFILE, PROFILE_TYPE, TRANSACTION_PREFIX,
};
use super::outbox::Changed;
use super::{failed, from_item, updated, Condition, Item, Store, Transacted, SEALED_FOR};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use payments_domain::clock::Now;
use payments_domain::error::Error;
use payments_domain::ids::{FinancialInstrumentId, MandateId, TenantScope, TransactionId};
use payments_domain::metadata::Metadata;
use payments_domain::refs::CustomerRef;
use payments_domain::shredding::Subject;
use payments_domain::vault::{
    CustomerProfile, CustomerVault, Customers, FinancialInstrument, InstructionLink, MandateLink,
    PersonalWrite, Transaction, Transactions, WalletChange,
};
use std::collections::HashMap;

fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

impl Store {
    /// The customer's items whose sort key starts with `prefix`.
    async fn customer_items<T: serde::de::DeserializeOwned>(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        prefix: &str,
    ) -> Result<Vec<T>, Error> {
        self.query_prefix(&keys::customer(scope, customer), prefix)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// The profile and the instruments: the sort-key range `FI#`..=`PROFILE` less the links
    /// inside it, so transactions and reward claims, the items that grow with every payment,
    /// are never read for them.
    async fn profile_and_instruments(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> Result<Vec<Item>, Error> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK BETWEEN :first AND :last")
            .expression_attribute_values(":pk", text(&keys::customer(scope, customer)))
            .expression_attribute_values(":first", text(INSTRUMENT_PREFIX))
            .expression_attribute_values(":last", text(PROFILE))
            .filter_expression("#itemType IN (:profileType, :instrumentType)")
            .expression_attribute_names("#itemType", keys::ITEM_TYPE)
            .expression_attribute_values(":profileType", text(PROFILE_TYPE))
            .expression_attribute_values(":instrumentType", text(INSTRUMENT_TYPE))
            .consistent_read(true);
        self.collect(query).await
    }

    fn profile_key(scope: &TenantScope, customer: &CustomerRef) -> Item {
        keys::key(&keys::customer(scope, customer), PROFILE)
    }
}

impl Customers for Store {
    async fn customer(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> Result<CustomerVault, Error> {
        let mut vault = CustomerVault::default();
        for item in self.profile_and_instruments(scope, customer).await? {
            match keys::sort_of(&item) {
                Some(PROFILE) => vault.profile = Some(from_item::<CustomerProfile>(item)?),
                Some(sk) if sk.starts_with(INSTRUMENT_PREFIX) => {
                    vault.instruments.push(from_item(item)?)
                }
                _ => {}
            }
        }
        vault
            .instruments
            .sort_by_key(|i| (i.created_timestamp, i.id));
        Ok(vault)
    }

    async fn instrument(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: FinancialInstrumentId,
    ) -> Result<Option<FinancialInstrument>, Error> {
        self.get(&keys::customer(scope, customer), &keys::instrument(id))
            .await
    }

    async fn replace_metadata(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        metadata: &Metadata,
        now: Now,
    ) -> Result<PersonalWrite, Error> {
        let (metadata, sealed_for) = self
            .sealed_attribute(scope, Subject::Customer(customer), "metadata", metadata)
            .await?;
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Store::profile_key(scope, customer)))
            .condition_expression(PROFILE_NOT_FORGOTTEN)
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#sealedFor", SEALED_FOR)
            .set_expression_attribute_values(Some(active_profile_values(now)))
            .expression_attribute_values(":metadata", metadata);
        let update = match sealed_for {
            Some(subject) => update
                .update_expression(format!(
                    "{ACTIVE_PROFILE_UPDATE}, metadata = :metadata, #sealedFor = :sealedFor"
                ))
                .expression_attribute_values(":sealedFor", subject),
            None => update.update_expression(format!(
                "{ACTIVE_PROFILE_UPDATE}, metadata = :metadata REMOVE #sealedFor"
            )),
        };
        let result = update.send().await;
        Ok(match updated(result)? {
            true => PersonalWrite::Written,
            false => PersonalWrite::CustomerForgotten,
        })
    }

    async fn add_instrument(
        &self,
        scope: &TenantScope,
        instrument: &FinancialInstrument,
    ) -> Result<PersonalWrite, Error> {
        let now = Now::at(instrument.created_timestamp);
        let actions = vec![
            self.customer_not_forgotten(scope, &instrument.customer_ref, now)?,
            self.put_action(
                self.instrument_item(scope, instrument).await?,
                Condition::New,
            )?,
        ];
        match self.transact(actions).await?.first_refused() {
            None => Ok(PersonalWrite::Written),
            Some(0) => Ok(PersonalWrite::CustomerForgotten),
            Some(_) => Err(Error::bug("a new instrument's id was taken")),
        }
    }

    async fn close_instrument(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: FinancialInstrumentId,
        now: Now,
    ) -> Result<bool, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key(&keys::customer(scope, customer), &keys::instrument(id))))
            .update_expression(
                "SET #status = :inactive, walletEnabled = :false, closedTimestamp = if_not_exists(closedTimestamp, :now)",
            )
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":inactive", text("INACTIVE"))
            .expression_attribute_values(":false", AttributeValue::Bool(false))
            .expression_attribute_values(":now", AttributeValue::N(now.epoch_ms().to_string()))
            .send()
            .await;
        updated(result)
    }

    /// The condition makes a concurrent close win over an add.
    async fn set_in_wallet(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: FinancialInstrumentId,
        enabled: bool,
    ) -> Result<WalletChange, Error> {
        let condition = if enabled {
            "attribute_exists(PK) AND #status = :active"
        } else {
            "attribute_exists(PK)"
        };
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key(
                &keys::customer(scope, customer),
                &keys::instrument(id),
            )))
            .update_expression("SET walletEnabled = :enabled")
            .condition_expression(condition)
            .expression_attribute_values(":enabled", AttributeValue::Bool(enabled));
        if enabled {
            request = request
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":active", text("ACTIVE"));
        }
        if updated(request.send().await)? {
            return Ok(WalletChange::Changed);
        }
        Ok(match self.instrument(scope, customer, id).await? {
            None => WalletChange::NoSuchInstrument,
            Some(_) => WalletChange::Inactive,
        })
    }

    async fn destroy_personal_data_key(
        &self,
        scope: &TenantScope,
        subject: Subject<'_>,
    ) -> Result<(), Error> {
        self.keyring()?.destroy(scope, subject).await
    }

    async fn mark_forgotten(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        now: Now,
    ) -> Result<(), Error> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Store::profile_key(scope, customer)))
            .update_expression(
                "SET #status = :forgotten, metadata = :noMetadata, itemType = :profileType, \
                 createdTimestamp = if_not_exists(createdTimestamp, :now), \
                 forgottenTimestamp = if_not_exists(forgottenTimestamp, :now) \
                 REMOVE #sealedFor",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#sealedFor", SEALED_FOR)
            .expression_attribute_values(":forgotten", text("FORGOTTEN"))
            .expression_attribute_values(":noMetadata", AttributeValue::M(HashMap::new()))
            .expression_attribute_values(":profileType", text(PROFILE_TYPE))
            .expression_attribute_values(":now", AttributeValue::N(now.epoch_ms().to_string()))
            .send()
            .await
            .map_err(failed("UpdateItem"))?;
        Ok(())
    }

    async fn erase_instrument_details(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> Result<(), Error> {
        let pk = keys::customer(scope, customer);
        // Their keys only: the details, sealed with a key forget has destroyed, are not read.
        let instruments = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", text(&pk))
            .expression_attribute_values(":prefix", text(INSTRUMENT_PREFIX))
            .projection_expression("PK, SK")
            .consistent_read(true);
        for item in self.collect(instruments).await? {
            let Some(sort) = keys::sort_of(&item) else {
                continue;
            };
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(keys::key(&pk, sort)))
                .update_expression("REMOVE details, #sealedFor")
                .expression_attribute_names("#sealedFor", SEALED_FOR)
                .send()
                .await
                .map_err(failed("UpdateItem"))?;
        }
        Ok(())
    }

    async fn instruction_links(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> Result<Vec<InstructionLink>, Error> {
        self.customer_items(scope, customer, INSTRUCTION_LINK_PREFIX)
            .await
    }

    async fn mandate_links(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> Result<Vec<MandateId>, Error> {
        let links: Vec<MandateLink> = self
            .customer_items(scope, customer, MANDATE_LINK_PREFIX)
            .await?;
        Ok(links.into_iter().map(|link| link.mandate_id).collect())
    }
}

impl Transactions for Store {
    async fn transaction(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        id: TransactionId,
    ) -> Result<Option<Transaction>, Error> {
        self.get(&keys::customer(scope, customer), &keys::transaction(id))
            .await
    }

    /// One transaction with the instruction's copy of it (`transaction`): the copy is only
    /// ever written here, beside the transaction, so it never falls behind.
    async fn save_transaction(
        &self,
        scope: &TenantScope,
        transaction: &Transaction,
        read_version: u64,
    ) -> Result<bool, Error> {
        let put = self.put_action(
            self.transaction_item(scope, transaction).await?,
            Condition::Version(read_version),
        )?;
        // Sealed as the instruction's own personal data is: under the same customer's key.
        let (copy, sealed_for) = self
            .sealed_attribute(
                scope,
                Subject::Customer(&transaction.customer_ref),
                "transaction",
                transaction,
            )
            .await?;
        let mirror = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::key(
                &keys::order(scope, &transaction.order_ref),
                &keys::instruction(&transaction.instruction_ref),
            )))
            // A new version too: a save of the instruction read before this change must
            // fail rather than bring the old copy back.
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#transaction", "transaction")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":transaction", copy)
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()));
        // Whether the copy holds personal data or not, the instruction's own may: `sealedFor`
        // is set when the copy needs it and never removed here.
        let mirror = match sealed_for {
            Some(subject) => mirror
                .update_expression(
                    "SET #transaction = :transaction, #version = #version + :one, \
                     #sealedFor = :sealedFor",
                )
                .expression_attribute_names("#sealedFor", SEALED_FOR)
                .expression_attribute_values(":sealedFor", subject),
            None => mirror
                .update_expression("SET #transaction = :transaction, #version = #version + :one"),
        }
        .build()
        .map_err(|e| Error::internal("building the instruction's copy", e))?;
        let mut actions = vec![put, TransactWriteItem::builder().update(mirror).build()];
        actions.extend(
            self.event_actions(scope, Changed::Transaction(transaction))
                .await?,
        );
        let personal = transaction
            .carries_personal_data()
            .then_some(&transaction.customer_ref);
        let guards = self.guard_personal_data(scope, personal, &mut actions)?;
        let transacted = self.transact(actions).await?;
        guards.check(&transacted)?;
        match transacted {
            Transacted::Committed => {
                self.relay(scope, Changed::Transaction(transaction)).await;
                Ok(true)
            }
            Transacted::Refused(failed) if failed.first() == Some(&true) => Ok(false),
            Transacted::Refused(_) => Err(Error::bug("a transaction's instruction is missing")),
        }
    }

    async fn transactions_of(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
    ) -> Result<Vec<Transaction>, Error> {
        self.customer_items(scope, customer, TRANSACTION_PREFIX)
            .await
    }
}
