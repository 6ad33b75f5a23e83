//! Where profiles and mandates live. Profiles share one partition per tenant, ordered by ref,
//! so a page of them is one Query. A mandate has its own partition (it is read by id, and a
//! draft may not name a customer yet); a second item per mandate ref makes refs unique within
//! the tenant. A mandate that names a customer is linked from the customer's partition and
//! written only while the customer is not forgotten, in the same transaction.

use super::items::{mandate_link_item, provider_link_item};
use super::keys::{
    self, CREDITOR_PROFILE_TYPE, MANDATE, MANDATE_REF, MANDATE_REF_TYPE, MANDATE_TYPE,
};
use super::outbox::Changed;
use super::work::work_attributes;
use super::{from_item, to_item, Condition, Item, Store, SEALED_FOR};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use payments_domain::clock::Now;
use payments_domain::error::Error;
use payments_domain::ids::{MandateId, TenantScope};
use payments_domain::mandates::{
    CreditorProfile, CreditorProfiles, InstrumentChange, Mandate, MandateWrite, Mandates,
    ProfilePage, RegisterMandate,
};
use payments_domain::paging::Paging;
use payments_domain::refs::CreditorProfileRef;
use payments_domain::shredding::Subject;

impl CreditorProfiles for Store {
    async fn create_profile(
        &self,
        scope: &TenantScope,
        profile: &CreditorProfile,
    ) -> Result<bool, Error> {
        let item = to_item(
            profile,
            &keys::creditor_profiles(scope),
            profile.creditor_profile_ref.as_str(),
            CREDITOR_PROFILE_TYPE,
        )?;
        self.put(item, Condition::New).await
    }

    async fn profile(
        &self,
        scope: &TenantScope,
        reference: &CreditorProfileRef,
    ) -> Result<Option<CreditorProfile>, Error> {
        self.get(&keys::creditor_profiles(scope), reference.as_str())
            .await
    }

    /// DynamoDB has no offsets, so the partition is read from its start; a profile is well
    /// under 1 KB, so a tenant's first thousand or so come back in one round trip.
    async fn profile_page(
        &self,
        scope: &TenantScope,
        paging: Paging,
    ) -> Result<ProfilePage, Error> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(keys::creditor_profiles(scope)));
        let items = self.collect(query).await?;
        let total_count = items.len();
        let results = items
            .into_iter()
            .skip(paging.from)
            .take(paging.take)
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(ProfilePage {
            total_count,
            results,
        })
    }
}

impl Store {
    /// The mandate's item, in the work index while it waits for the network; its debtor and
    /// metadata sealed under the mandate's own key.
    async fn mandate_item(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        now: Now,
    ) -> Result<Item, Error> {
        let pk = keys::mandate(scope, mandate.mandate_id);
        let mut item = self
            .sealed_item(
                scope,
                Subject::Mandate(mandate.mandate_id),
                mandate,
                &pk,
                MANDATE,
                MANDATE_TYPE,
            )
            .await?;
        if mandate.needs_registration() {
            item.extend(work_attributes(
                &pk,
                now.epoch_ms(),
                &RegisterMandate::for_mandate(scope, mandate),
            )?);
        }
        Ok(item)
    }

    /// The actions that tie a mandate to its customer: the profile must not be forgotten, and
    /// the customer's partition links to the mandate. None for a mandate without a customer or
    /// without personal data (forget's own write of it, among others).
    fn customer_actions(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        now: Now,
    ) -> Result<Vec<TransactWriteItem>, Error> {
        let Some(customer) = mandate
            .terms
            .customer_ref
            .as_ref()
            .filter(|_| mandate.carries_personal_data())
        else {
            return Ok(Vec::new());
        };
        Ok(vec![
            self.customer_not_forgotten(scope, customer, now)?,
            self.put_action(
                mandate_link_item(scope, customer, mandate.mandate_id)?,
                Condition::Always,
            )?,
        ])
    }

    /// Runs a mandate's transaction: its first action is the one whose refusal means "try
    /// again", and, when the mandate names a customer, its second the check that the customer
    /// is not forgotten.
    async fn commit(&self, actions: Vec<TransactWriteItem>) -> Result<MandateWrite, Error> {
        Ok(match self.transact(actions).await?.first_refused() {
            None => MandateWrite::Written,
            Some(0) => MandateWrite::Stale,
            Some(1) => MandateWrite::CustomerForgotten,
            Some(_) => return Err(Error::bug("a mandate's instrument write was refused")),
        })
    }

    async fn save_with(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        read_version: u64,
        now: Now,
        instrument: Option<TransactWriteItem>,
    ) -> Result<MandateWrite, Error> {
        let mut actions = vec![self.put_action(
            self.mandate_item(scope, mandate, now).await?,
            Condition::Version(read_version),
        )?];
        actions.extend(self.customer_actions(scope, mandate, now)?);
        actions.extend(instrument);
        actions.extend(self.event_actions(scope, Changed::Mandate(mandate)).await?);
        let written = self.commit(actions).await?;
        if written == MandateWrite::Written {
            self.relay(scope, Changed::Mandate(mandate)).await;
        }
        Ok(written)
    }
}

impl Mandates for Store {
    async fn mandate(&self, scope: &TenantScope, id: MandateId) -> Result<Option<Mandate>, Error> {
        self.get(&keys::mandate(scope, id), MANDATE).await
    }

    async fn insert_mandate(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        now: Now,
    ) -> Result<MandateWrite, Error> {
        let mut claim = keys::key(&keys::mandate_ref(scope, &mandate.mandate_ref), MANDATE_REF);
        claim.insert(
            "mandateId".to_owned(),
            AttributeValue::S(mandate.mandate_id.to_string()),
        );
        claim.insert(
            keys::ITEM_TYPE.to_owned(),
            AttributeValue::S(MANDATE_REF_TYPE.to_owned()),
        );
        let mut actions = vec![self.put_action(claim, Condition::New)?];
        actions.extend(self.customer_actions(scope, mandate, now)?);
        actions.push(self.put_action(
            self.mandate_item(scope, mandate, now).await?,
            Condition::New,
        )?);
        let link = mandate.provider_link(scope);
        actions.push(self.put_action(provider_link_item(&link)?, Condition::Always)?);
        self.commit(actions).await
    }

    async fn save_mandate(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        read_version: u64,
        now: Now,
    ) -> Result<MandateWrite, Error> {
        self.save_with(scope, mandate, read_version, now, None)
            .await
    }

    async fn save_activated(
        &self,
        scope: &TenantScope,
        mandate: &Mandate,
        read_version: u64,
        now: Now,
        instrument: &InstrumentChange,
    ) -> Result<MandateWrite, Error> {
        let action = match instrument {
            InstrumentChange::Create(instrument) => self.put_action(
                self.instrument_item(scope, instrument).await?,
                Condition::New,
            )?,
            InstrumentChange::Update {
                customer,
                id,
                details,
            } => {
                let (details, sealed_for) = self
                    .sealed_attribute(scope, Subject::Customer(customer), "details", details)
                    .await?;
                let update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(keys::key(
                        &keys::customer(scope, customer),
                        &keys::instrument(*id),
                    )))
                    .condition_expression("attribute_exists(PK)")
                    .expression_attribute_values(":details", details);
                let update = match sealed_for {
                    Some(subject) => update
                        .update_expression("SET details = :details, #sealedFor = :sealedFor")
                        .expression_attribute_names("#sealedFor", SEALED_FOR)
                        .expression_attribute_values(":sealedFor", subject),
                    None => update.update_expression("SET details = :details"),
                };
                let update = update
                    .build()
                    .map_err(|e| Error::internal("building the instrument update", e))?;
                TransactWriteItem::builder().update(update).build()
            }
        };
        self.save_with(scope, mandate, read_version, now, Some(action))
            .await
    }
}
