//! The one read-modify-write of the service. Every change to a stored record that others may
//! change at the same time goes through [`update`]: load the record, apply the change, save it
//! conditional on the version it was read at, and on a lost race wait a jittered, growing
//! moment and start again from a fresh read. Running out of attempts is an error the caller
//! sees, never a quiet success.

use crate::error::Error;
use std::future::Future;
use std::time::Duration;

/// Attempts before [`update`] gives up on a record that changes under it every time.
pub const MAX_ATTEMPTS: u32 = 12;
/// The first wait after a lost race; each further wait may be twice as long, up to
/// [`MAX_BACKOFF`]. The wait is drawn uniformly below that bound (full jitter), so racing
/// writers spread out instead of colliding again.
const FIRST_BACKOFF: Duration = Duration::from_millis(4);
const MAX_BACKOFF: Duration = Duration::from_millis(250);

/// A record saved only if it still has the version it was read at. The version of a record
/// saved together with another (a reward transaction and its instruction) is the pair.
pub trait Versioned {
    type Version: Copy + Send;

    fn version(&self) -> Self::Version;
}

/// What [`update`] did.
#[derive(Debug)]
pub enum Updated<T, R> {
    /// The change was made and saved: the record as saved, and what the change returned.
    Saved(T, R),
    /// The change found nothing to do on the current record (read fresh for the decision).
    Unchanged(T),
    /// There is no such record.
    Missing,
}

impl<T, R> Updated<T, R> {
    /// The record as saved or as found; `None` when there is none.
    pub fn record(self) -> Option<T> {
        match self {
            Updated::Saved(record, _) | Updated::Unchanged(record) => Some(record),
            Updated::Missing => None,
        }
    }
}

/// Loads with `load`, applies `change`, and saves with `save` (given the changed record and
/// the version it was read at; `false` when that version is no longer current), until a save
/// succeeds. `change` returns `Ok(None)` when there is nothing to do and an error to give up.
///
/// `known` is a copy the caller already holds (it has just read or written it): the first
/// attempt starts from it instead of reading again. A stale copy costs one failed save; a
/// "nothing to do" found on it is checked again on a fresh read.
pub async fn update<T, R, Load, Loaded, Save, Saved>(
    what: &'static str,
    known: Option<T>,
    mut load: Load,
    mut change: impl FnMut(&mut T) -> Result<Option<R>, Error>,
    mut save: Save,
) -> Result<Updated<T, R>, Error>
where
    T: Versioned + Clone,
    Load: FnMut() -> Loaded,
    Loaded: Future<Output = Result<Option<T>, Error>>,
    Save: FnMut(T, T::Version) -> Saved,
    Saved: Future<Output = Result<bool, Error>>,
{
    let mut known = known;
    let mut lost_races = 0;
    for _ in 0..MAX_ATTEMPTS {
        if lost_races > 0 {
            tokio::time::sleep(backoff(lost_races)).await;
        }
        let (mut record, fresh) = match known.take() {
            Some(record) => (record, false),
            None => match load().await? {
                Some(record) => (record, true),
                None => return Ok(Updated::Missing),
            },
        };
        let read = record.version();
        let Some(outcome) = change(&mut record)? else {
            if fresh {
                return Ok(Updated::Unchanged(record));
            }
            continue;
        };
        if save(record.clone(), read).await? {
            return Ok(Updated::Saved(record, outcome));
        }
        lost_races += 1;
    }
    Err(Error::bug(format!(
        "the {what} changed on each of {MAX_ATTEMPTS} attempts"
    )))
}

/// How long to wait after the `lost_races`-th lost race.
fn backoff(lost_races: u32) -> Duration {
    let bound = FIRST_BACKOFF
        .saturating_mul(1 << lost_races.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    bound.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Debug, Clone, PartialEq)]
    struct Counter {
        version: u64,
        value: u32,
    }

    impl Versioned for Counter {
        type Version = u64;

        fn version(&self) -> u64 {
            self.version
        }
    }

    /// A store whose record another writer bumps before each of the first `races` saves.
    struct Contended {
        record: Mutex<Option<Counter>>,
        races: Mutex<u32>,
        loads: Mutex<u32>,
    }

    impl Contended {
        fn new(record: Option<Counter>, races: u32) -> Self {
            Contended {
                record: Mutex::new(record),
                races: Mutex::new(races),
                loads: Mutex::new(0),
            }
        }

        async fn load(&self) -> Result<Option<Counter>, Error> {
            *self.loads.lock().unwrap() += 1;
            Ok(self.record.lock().unwrap().clone())
        }

        async fn save(&self, changed: Counter, read: u64) -> Result<bool, Error> {
            let mut stored = self.record.lock().unwrap();
            let mut races = self.races.lock().unwrap();
            if *races > 0 {
                *races -= 1;
                if let Some(record) = stored.as_mut() {
                    record.version += 1;
                }
            }
            match stored.as_mut() {
                Some(record) if record.version == read => {
                    *record = changed;
                    Ok(true)
                }
                _ => Ok(false),
            }
        }

        async fn increment(&self, known: Option<Counter>) -> Result<Updated<Counter, u32>, Error> {
            update(
                "counter",
                known,
                || self.load(),
                |counter| {
                    counter.value += 1;
                    counter.version += 1;
                    Ok(Some(counter.value))
                },
                |counter, read| self.save(counter, read),
            )
            .await
        }
    }

    fn counter(version: u64) -> Counter {
        Counter { version, value: 0 }
    }

    #[tokio::test]
    async fn a_lost_race_is_retried_from_a_fresh_read() {
        let store = Contended::new(Some(counter(1)), 3);
        let updated = store.increment(None).await;
        assert!(matches!(updated, Ok(Updated::Saved(_, 1))), "{updated:?}");
        assert_eq!(*store.loads.lock().unwrap(), 4);
        assert_eq!(
            store.record.lock().unwrap().as_ref().map(|c| c.value),
            Some(1)
        );
    }

    #[tokio::test]
    async fn running_out_of_attempts_is_an_error() {
        let store = Contended::new(Some(counter(1)), MAX_ATTEMPTS);
        match store.increment(None).await {
            Err(Error::Internal(e)) => assert!(e.to_string().contains("counter"), "{e}"),
            other => panic!("expected an error, got {other:?}"),
        }
        assert_eq!(
            store.record.lock().unwrap().as_ref().map(|c| c.value),
            Some(0)
        );
    }

    #[tokio::test]
    async fn a_known_copy_saves_a_read_and_a_missing_record_is_missing() {
        let store = Contended::new(Some(counter(5)), 0);
        let updated = store.increment(Some(counter(5))).await;
        assert!(matches!(updated, Ok(Updated::Saved(_, 1))));
        assert_eq!(*store.loads.lock().unwrap(), 0);
        let empty = Contended::new(None, 0);
        assert!(matches!(empty.increment(None).await, Ok(Updated::Missing)));
    }

    #[tokio::test]
    async fn nothing_to_do_on_a_stale_copy_is_checked_again_on_a_fresh_read() {
        let store = Contended::new(Some(counter(2)), 0);
        let mut seen = Vec::new();
        let updated = update(
            "counter",
            Some(counter(1)),
            || store.load(),
            |counter| {
                seen.push(counter.version);
                Ok((counter.version > 1).then_some(()))
            },
            |_, _| async { Ok(true) },
        )
        .await;
        assert!(matches!(updated, Ok(Updated::Saved(_, ()))));
        assert_eq!(seen, vec![1, 2]);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..40 {
            let wait = backoff(attempt);
            assert!(wait <= MAX_BACKOFF, "{attempt}: {wait:?}");
        }
        assert!(backoff(1) <= FIRST_BACKOFF);
    }
}
