//! What sealing personal data costs in CPU (docs/decisions/0019), beside the serialisation every
//! write and read does anyway: an instrument's item (two sealed values) and a profile's
//! metadata of five entries (five), each marked and sealed, then opened and read back, against
//! the same item serialised and read in clear. Prints the median of 15 rounds of 2,000 each.
//!
//! `cargo bench -p payments-aws --bench sealing`

use payments_aws::store::sealing;
use payments_domain::bank::{AccountHolderName, SortCode, UkAccountNumber};
use payments_domain::error::Error;
use payments_domain::identity::LocalKeyWrapper;
use payments_domain::ids::{AccountId, TenantId, TenantScope};
use payments_domain::metadata::Metadata;
use payments_domain::refs::CustomerRef;
use payments_domain::shredding::{DataKey, Keyring, Subject, WrappedKeys};
use payments_domain::vault::{AccountDetails, FinancialInstrument};
use payments_domain::Secret;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const ROUNDS: usize = 15;
const PER_ROUND: u32 = 2_000;

#[derive(Default)]
struct Keys(Mutex<HashMap<String, Vec<u8>>>);

impl WrappedKeys for Keys {
    async fn wrapped_key(&self, subject: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(self
            .0
            .lock()
            .map_err(|_| Error::bug("poisoned"))?
            .get(subject)
            .cloned())
    }
    async fn insert_wrapped_key(&self, subject: &str, wrapped: &[u8]) -> Result<bool, Error> {
        let mut keys = self.0.lock().map_err(|_| Error::bug("poisoned"))?;
        Ok(keys.insert(subject.to_owned(), wrapped.to_vec()).is_none())
    }
    async fn destroy_wrapped_key(&self, subject: &str) -> Result<(), Error> {
        self.0
            .lock()
            .map_err(|_| Error::bug("poisoned"))?
            .remove(subject);
        Ok(())
    }
}

/// Median µs per iteration of `work`.
fn median_us(mut work: impl FnMut()) -> f64 {
    for _ in 0..PER_ROUND {
        work();
    }
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..PER_ROUND {
                work();
            }
            started.elapsed().as_secs_f64() * 1e6 / f64::from(PER_ROUND)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[ROUNDS / 2]
}

/// `value` written and read back in clear, then sealed and opened: µs for each.
fn measure<T: serde::Serialize + serde::de::DeserializeOwned>(
    what: &str,
    value: &T,
    key: &DataKey,
    subject: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let clear = median_us(|| {
        let item: HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
            serde_dynamo::to_item(black_box(value)).expect("serialises");
        let back: T = serde_dynamo::from_item(item).expect("reads");
        black_box(back);
    });
    let sealed = median_us(|| {
        let mut item = sealing::marked_item(black_box(value)).expect("marks");
        sealing::seal(&mut item, key, subject).expect("seals");
        sealing::open(&mut item, Some(key), subject).expect("opens");
        let back: T = serde_dynamo::from_item(item).expect("reads");
        black_box(back);
    });
    println!(
        "| {what} | {clear:.1} | {sealed:.1} | +{:.1} |",
        sealed - clear
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let wrapper = LocalKeyWrapper::from_base64(&LocalKeyWrapper::generate()?)?;
    let keyring = Keyring::new(Keys::default(), Arc::new(wrapper));
    let scope = TenantScope {
        tenant: TenantId::new_random(),
        account: AccountId::new_random(),
    };
    let jane = CustomerRef::parse("jane").map_err(|e| format!("{e:?}"))?;
    let key = runtime.block_on(keyring.writing_key(&scope, Subject::Customer(&jane)))?;
    let subject = Subject::Customer(&jane).id(&scope);

    let instrument = FinancialInstrument::new(
        jane.clone(),
        AccountDetails::Uk {
            holder_name: Secret::new(
                AccountHolderName::parse("JANE DOE").map_err(|e| format!("{e:?}"))?,
            ),
            account_number: Secret::new(
                UkAccountNumber::parse("99999911").map_err(|e| format!("{e:?}"))?,
            ),
            sort_code: SortCode::parse("111211").map_err(|e| format!("{e:?}"))?,
        },
        0,
    );
    let metadata: Metadata = serde_json::from_value(serde_json::json!({
        "policy": "P-123456", "holder": "Jane Doe", "email": "jane@example.com",
        "claim": "C-98765", "note": "water damage, kitchen",
    }))?;

    println!("| Item | in clear µs (write + read) | sealed µs (write + read) | sealing costs µs |");
    println!("|---|---|---|---|");
    measure("instrument (2 sealed values)", &instrument, &key, &subject)?;
    measure(
        "metadata of 5 entries (5 sealed values)",
        &metadata,
        &key,
        &subject,
    )?;
    Ok(())
}
