//! Unwrapped data keys, kept a few minutes per warm function ([`CachingKeyWrapper`]): a sealed
//! secret opened again (the same API key exchanged again, the same endpoint signing again) costs
//! no KMS call, so a flood of requests naming one key cannot spend the account's KMS quota. The
//! cache is bounded; a data key is only ever the key of one sealed secret and its context.

use super::envelope::KeyWrapper;
use crate::error::Error;
use crate::secret::Secret;
use crate::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long an unwrapped key is kept.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5 * 60);
/// How many unwrapped keys are kept at most.
pub const KEY_CACHE_CAPACITY: usize = 1000;

struct Cached {
    data_key: Secret<Vec<u8>>,
    unwrapped_at: Instant,
}

/// A [`KeyWrapper`] that remembers what `inner` unwrapped, by wrapped key and context.
pub struct CachingKeyWrapper {
    inner: Arc<dyn KeyWrapper>,
    ttl: Duration,
    capacity: usize,
    keys: Mutex<HashMap<(Vec<u8>, String), Cached>>,
}

impl CachingKeyWrapper {
    pub fn new(inner: Arc<dyn KeyWrapper>) -> Self {
        Self::with_limits(inner, KEY_CACHE_TTL, KEY_CACHE_CAPACITY)
    }

    pub fn with_limits(inner: Arc<dyn KeyWrapper>, ttl: Duration, capacity: usize) -> Self {
        CachingKeyWrapper {
            inner,
            ttl,
            capacity,
            keys: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, wrapped: &[u8], context: &str) -> Option<Vec<u8>> {
        let keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        keys.get(&(wrapped.to_vec(), context.to_owned()))
            .filter(|cached| cached.unwrapped_at.elapsed() < self.ttl)
            .map(|cached| cached.data_key.expose().clone())
    }

    fn remember(&self, wrapped: &[u8], context: &str, data_key: &[u8]) {
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        if keys.len() >= self.capacity {
            keys.retain(|_, cached| cached.unwrapped_at.elapsed() < self.ttl);
        }
        if keys.len() >= self.capacity {
            let oldest = keys
                .iter()
                .min_by_key(|(_, cached)| cached.unwrapped_at)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                keys.remove(&oldest);
            }
        }
        keys.insert(
            (wrapped.to_vec(), context.to_owned()),
            Cached {
                data_key: Secret::new(data_key.to_vec()),
                unwrapped_at: Instant::now(),
            },
        );
    }
}

impl KeyWrapper for CachingKeyWrapper {
    fn wrap_key<'a>(
        &'a self,
        data_key: &'a [u8],
        context: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
        self.inner.wrap_key(data_key, context)
    }

    fn unwrap_key<'a>(
        &'a self,
        wrapped: &'a [u8],
        context: &'a str,
    ) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
        Box::pin(async move {
            if let Some(data_key) = self.cached(wrapped, context) {
                return Ok(data_key);
            }
            let data_key = self.inner.unwrap_key(wrapped, context).await?;
            self.remember(wrapped, context, &data_key);
            Ok(data_key)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{open, seal, LocalKeyWrapper};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The local wrapper, counting its unwraps (what would be KMS calls).
    struct Counting {
        inner: LocalKeyWrapper,
        unwraps: AtomicUsize,
    }

    impl KeyWrapper for Counting {
        fn wrap_key<'a>(
            &'a self,
            data_key: &'a [u8],
            context: &'a str,
        ) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
            self.inner.wrap_key(data_key, context)
        }

        fn unwrap_key<'a>(
            &'a self,
            wrapped: &'a [u8],
            context: &'a str,
        ) -> BoxFuture<'a, Result<Vec<u8>, Error>> {
            self.unwraps.fetch_add(1, Ordering::SeqCst);
            self.inner.unwrap_key(wrapped, context)
        }
    }

    fn counting() -> Arc<Counting> {
        let key = LocalKeyWrapper::generate().unwrap();
        Arc::new(Counting {
            inner: LocalKeyWrapper::from_base64(&key).unwrap(),
            unwraps: AtomicUsize::new(0),
        })
    }

    #[tokio::test]
    async fn a_secret_opened_again_costs_no_unwrap_until_its_key_expires() {
        let inner = counting();
        let cache = CachingKeyWrapper::with_limits(inner.clone(), Duration::from_millis(200), 10);
        let sealed = seal(&cache, b"private", "key-1").await.unwrap();
        for _ in 0..5 {
            assert_eq!(open(&cache, &sealed, "key-1").await.unwrap(), b"private");
        }
        assert_eq!(inner.unwraps.load(Ordering::SeqCst), 1);
        assert!(
            open(&cache, &sealed, "key-2").await.is_err(),
            "the context still binds"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        open(&cache, &sealed, "key-1").await.unwrap();
        assert_eq!(inner.unwraps.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn the_cache_keeps_at_most_its_capacity() {
        let inner = counting();
        let cache = CachingKeyWrapper::with_limits(inner.clone(), Duration::from_secs(60), 3);
        let mut sealed = Vec::new();
        for i in 0..5 {
            let context = format!("key-{i}");
            let one = seal(&cache, b"s", &context).await.unwrap();
            open(&cache, &one, &context).await.unwrap();
            sealed.push((one, context));
        }
        assert_eq!(cache.keys.lock().unwrap().len(), 3);
        // The newest are kept; the oldest was let go and is unwrapped again.
        let before = inner.unwraps.load(Ordering::SeqCst);
        open(&cache, &sealed[4].0, &sealed[4].1).await.unwrap();
        assert_eq!(inner.unwraps.load(Ordering::SeqCst), before);
        open(&cache, &sealed[0].0, &sealed[0].1).await.unwrap();
        assert_eq!(inner.unwraps.load(Ordering::SeqCst), before + 1);
    }
}
