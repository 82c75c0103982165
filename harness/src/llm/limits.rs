//! Bounded concurrency and requests-per-minute / tokens-per-minute limits.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};

/// Limits of one provider.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Requests in flight at once.
    pub max_concurrency: usize,
    /// Requests started per minute (0: unlimited).
    pub requests_per_minute: u32,
    /// Tokens (prompt estimate plus max output) per minute (0: unlimited).
    pub tokens_per_minute: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_concurrency: 8,
            requests_per_minute: 0,
            tokens_per_minute: 0,
        }
    }
}

/// A token bucket refilled continuously.
#[derive(Debug)]
struct Bucket {
    capacity: f64,
    level: f64,
    per_second: f64,
    last: Instant,
}

impl Bucket {
    fn new(per_minute: f64) -> Self {
        Bucket {
            capacity: per_minute,
            level: per_minute,
            per_second: per_minute / 60.0,
            last: Instant::now(),
        }
    }

    /// Takes `amount` if available; otherwise how long until it is.
    fn take(&mut self, amount: f64) -> Option<Duration> {
        let now = Instant::now();
        self.level = (self.level + now.duration_since(self.last).as_secs_f64() * self.per_second)
            .min(self.capacity);
        self.last = now;
        let amount = amount.min(self.capacity);
        if self.level >= amount {
            self.level -= amount;
            None
        } else {
            Some(Duration::from_secs_f64(
                (amount - self.level) / self.per_second,
            ))
        }
    }
}

/// Enforces [`Limits`] across tasks.
#[derive(Debug, Clone)]
pub struct Limiter {
    slots: Arc<Semaphore>,
    requests: Option<Arc<Mutex<Bucket>>>,
    tokens: Option<Arc<Mutex<Bucket>>>,
}

impl Limiter {
    /// A limiter for `limits`.
    pub fn new(limits: Limits) -> Self {
        Limiter {
            slots: Arc::new(Semaphore::new(limits.max_concurrency.max(1))),
            requests: (limits.requests_per_minute > 0).then(|| {
                Arc::new(Mutex::new(Bucket::new(f64::from(
                    limits.requests_per_minute,
                ))))
            }),
            tokens: (limits.tokens_per_minute > 0)
                .then(|| Arc::new(Mutex::new(Bucket::new(limits.tokens_per_minute as f64)))),
        }
    }

    /// Waits for a concurrency slot and for `tokens` of budget; hold the permit while
    /// the request runs.
    pub async fn acquire(&self, tokens: u64) -> OwnedSemaphorePermit {
        for (bucket, amount) in [(&self.requests, 1.0), (&self.tokens, tokens as f64)] {
            if let Some(bucket) = bucket {
                loop {
                    let wait = bucket.lock().await.take(amount);
                    match wait {
                        None => break,
                        Some(d) => tokio::time::sleep(d).await,
                    }
                }
            }
        }
        // The semaphore is never closed, so acquiring cannot fail.
        match Arc::clone(&self.slots).acquire_owned().await {
            Ok(permit) => permit,
            Err(_) => unreachable!("the limiter's semaphore is never closed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refuses_past_capacity_then_refills() {
        let mut b = Bucket::new(60.0);
        for _ in 0..60 {
            assert!(b.take(1.0).is_none());
        }
        let wait = b.take(1.0).expect("empty");
        assert!(wait <= Duration::from_millis(1001) && wait > Duration::from_millis(900));
    }
}
