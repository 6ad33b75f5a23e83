//! The one-off migration to sealed personal data (docs/decisions/0019): items written before
//! sealing hold their personal fields in clear, and are read as they are until written again.
//! [`Store::seal_stored_items`] finds each such item and seals it in place, as a write today
//! would: the record read with its own type, its personal fields marked by that type, sealed
//! under its subject's key. Only the attributes that change are written, each on condition that
//! it is still what was read and that nothing sealed the item meanwhile, so a concurrent write
//! is never undone. Safe to run again: a sealed item is left alone.

use super::keys::{
    self, INSTRUCTION_TYPE, INSTRUMENT_TYPE, MANDATE_TYPE, ORDER_TYPE, PROFILE_TYPE,
    REWARD_TRANSACTION_TYPE, TENANT_EVENT_TYPE, TRANSACTION_TYPE,
};
use super::{failed, from_item, sealing, updated, Item, Store, SEALED_FOR};
use payments_domain::error::Error;
use payments_domain::ids::TenantScope;
use payments_domain::mandates::Mandate;
use payments_domain::metadata::Metadata;
use payments_domain::orders::{Instruction, Order};
use payments_domain::outbox::RecordedEvent;
use payments_domain::refs::CustomerRef;
use payments_domain::rewards::RewardTransaction;
use payments_domain::shredding::NamedSubject;
use payments_domain::vault::{FinancialInstrument, Transaction};

/// What a run of the migration did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Migrated {
    /// Items read.
    pub scanned: usize,
    /// Items whose personal data was in clear and is now sealed.
    pub sealed: usize,
    /// Items written by someone else between the read and the seal: run again for them.
    pub changed_meanwhile: usize,
    /// Items that do not read as their record (logged by key, left as they are).
    pub unreadable: usize,
}

/// A stored item's personal data, marked, and whose it is.
struct Personal {
    scope: TenantScope,
    subject: NamedSubject,
    marked: Item,
}

/// The item's personal data, marked by its record's type; `None` for an item of a kind
/// without personal data, one already sealed, or one outside a tenant.
fn personal(raw: &Item) -> Result<Option<Personal>, Error> {
    if raw.contains_key(SEALED_FOR) {
        return Ok(None);
    }
    let (Some(partition), Some(item_type)) = (keys::partition_of(raw), keys::item_type_of(raw))
    else {
        return Ok(None);
    };
    let Some(scope) = keys::scope_of(partition) else {
        return Ok(None);
    };
    fn marked<T: serde::de::DeserializeOwned + serde::Serialize>(
        raw: &Item,
    ) -> Result<(T, Item), Error> {
        let record: T = from_item(raw.clone())?;
        let marked = sealing::marked_item(&record)?;
        Ok((record, marked))
    }
    let (subject, marked) = match item_type {
        INSTRUMENT_TYPE => {
            let (record, marked) = marked::<FinancialInstrument>(raw)?;
            (NamedSubject::Customer(record.customer_ref), marked)
        }
        TRANSACTION_TYPE => {
            let (record, marked) = marked::<Transaction>(raw)?;
            (NamedSubject::Customer(record.customer_ref), marked)
        }
        INSTRUCTION_TYPE => {
            let (record, marked) = marked::<Instruction>(raw)?;
            (NamedSubject::Customer(record.customer_ref), marked)
        }
        REWARD_TRANSACTION_TYPE => {
            let (record, marked) = marked::<RewardTransaction>(raw)?;
            (NamedSubject::Customer(record.customer_ref), marked)
        }
        TENANT_EVENT_TYPE => {
            let (record, marked) = marked::<RecordedEvent>(raw)?;
            let customer = record
                .subject
                .customer_ref()
                .ok_or_else(|| Error::bug("an event about an object of no customer"))?;
            (NamedSubject::Customer(customer.clone()), marked)
        }
        ORDER_TYPE => {
            let (record, marked) = marked::<Order>(raw)?;
            (NamedSubject::Order(record.order_ref), marked)
        }
        MANDATE_TYPE => {
            let (record, marked) = marked::<Mandate>(raw)?;
            (NamedSubject::Mandate(record.mandate_id), marked)
        }
        // A profile is written attribute by attribute; its metadata is its personal data.
        PROFILE_TYPE => {
            let metadata: Metadata = match raw.get("metadata") {
                Some(value) => serde_dynamo::from_attribute_value(value.clone())
                    .map_err(|e| Error::internal("reading a stored profile's metadata", e))?,
                None => Metadata::default(),
            };
            let customer = partition
                .rsplit_once("#CUSTOMER#")
                .and_then(|(_, customer)| CustomerRef::parse(customer).ok())
                .ok_or_else(|| Error::bug("a profile outside a customer's partition"))?;
            (
                NamedSubject::Customer(customer),
                sealing::marked_attribute("metadata", &metadata)?,
            )
        }
        _ => return Ok(None),
    };
    Ok(sealing::is_marked(&marked).then_some(Personal {
        scope,
        subject,
        marked,
    }))
}

impl Store {
    /// Seals, in place, the personal data of every item that holds it in clear.
    pub async fn seal_stored_items(&self) -> Result<Migrated, Error> {
        let mut migrated = Migrated::default();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(failed("Scan"))?;
            for raw in page.items.unwrap_or_default() {
                migrated.scanned += 1;
                let personal = match personal(&raw) {
                    Ok(Some(personal)) => personal,
                    Ok(None) => continue,
                    Err(error) => {
                        tracing::warn!(
                            partition = keys::partition_of(&raw).unwrap_or_default(),
                            sort = keys::sort_of(&raw).unwrap_or_default(),
                            error = %payments_domain::error::Chain(&error),
                            "an item that does not read as its record is left as it is"
                        );
                        migrated.unreadable += 1;
                        continue;
                    }
                };
                if self.seal_in_place(&raw, personal).await? {
                    migrated.sealed += 1;
                } else {
                    migrated.changed_meanwhile += 1;
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(migrated);
            }
        }
    }

    /// Writes the sealed attributes of `raw`, each only if it is still as read and nothing
    /// sealed the item since; `false` when something had changed.
    async fn seal_in_place(&self, raw: &Item, personal: Personal) -> Result<bool, Error> {
        let sealed = self
            .sealed(&personal.scope, personal.subject.subject(), personal.marked)
            .await?;
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::key(
                keys::partition_of(raw).unwrap_or_default(),
                keys::sort_of(raw).unwrap_or_default(),
            )));
        let mut sets = Vec::new();
        let mut conditions = vec!["attribute_not_exists(#sealedFor)".to_owned()];
        for (i, (name, value)) in sealed.into_iter().enumerate() {
            if raw.get(&name) == Some(&value) {
                continue;
            }
            update = update
                .expression_attribute_names(format!("#a{i}"), &name)
                .expression_attribute_values(format!(":new{i}"), value);
            sets.push(format!("#a{i} = :new{i}"));
            if let Some(read) = raw.get(&name) {
                update = update.expression_attribute_values(format!(":read{i}"), read.clone());
                conditions.push(format!("#a{i} = :read{i}"));
            }
        }
        let result = update
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(conditions.join(" AND "))
            .expression_attribute_names("#sealedFor", SEALED_FOR)
            .send()
            .await;
        let written = updated(result)?;
        if written {
            tracing::info!(
                item_type = keys::item_type_of(raw).unwrap_or("item"),
                "personal data sealed in place"
            );
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_key_names_its_tenant_and_account() {
        let scope = TenantScope {
            tenant: payments_domain::ids::TenantId::new_random(),
            account: payments_domain::ids::AccountId::new_random(),
        };
        let partition = keys::customer(&scope, &CustomerRef::parse("jane").unwrap());
        assert_eq!(keys::scope_of(&partition), Some(scope));
        assert_eq!(keys::scope_of("APIKEY#abc"), None);
        assert_eq!(keys::scope_of("T#not-a-uuid#A#x#CUSTOMER#jane"), None);
    }
}
