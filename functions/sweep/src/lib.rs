//! The scheduled sweep (`payments_domain::sweep`): queues work that has waited longer than the
//! re-queue delay, and measures how long work has waited on its providers.

use payments_aws::config::REQUEUE_AFTER_SECONDS;
use payments_aws::{Clients, Settings, SqsWorkQueues, Store};
use payments_domain::error::Error;
use payments_domain::sweep::{sweep, Swept};
use payments_domain::Now;

pub struct Sweep {
    store: Store,
    queues: SqsWorkQueues,
    /// How long queued work may wait before it is queued again.
    requeue_after_ms: i64,
}

impl Sweep {
    /// The sweep as deployed, from its settings: `main` and the tests both build it here.
    pub fn new(settings: &Settings, aws: &Clients) -> Result<Self, Error> {
        Ok(Sweep {
            store: Store::from_settings(aws, settings)?,
            queues: SqsWorkQueues::from_settings(aws, settings)?,
            requeue_after_ms: settings.seconds_as_ms(REQUEUE_AFTER_SECONDS)?,
        })
    }

    /// One run, at `now`, reporting how long work has waited on its providers.
    pub async fn run(&self, now: Now) -> Result<Swept, Error> {
        let swept = sweep(&self.store, &self.queues, self.requeue_after_ms, now).await?;
        for (kind, waited_ms) in &swept.longest_provider_waits {
            payments_aws::metrics::provider_wait_seen(kind.as_str(), *waited_ms);
        }
        Ok(swept)
    }
}
