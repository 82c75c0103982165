//! The machine as a resource: shared work (references, compiles, correctness checks)
//! runs up to `jobs` at a time; exclusive work (timing a kernel or a baseline) runs
//! alone, with nothing else on the machine.
//!
//! Shared work goes first: exclusive work waits until no shared work runs, and while it
//! waits, new shared work may still start. This batches the timing calls and keeps the
//! cores busy in between (a fair queue, where one waiting timing call stops every new
//! compile, left a core idle most of the time). Exclusive work cannot wait forever:
//! shared work comes only from the tasks inside the pipeline's window, each of which
//! soon needs exclusive work itself, so shared work runs out.

use std::sync::Mutex;
use tokio::sync::Notify;

#[derive(Debug, Default)]
struct State {
    shared: usize,
    exclusive: bool,
}

/// Admits shared and exclusive work.
#[derive(Debug)]
pub struct Gate {
    jobs: usize,
    state: Mutex<State>,
    changed: Notify,
}

/// Held while shared work runs.
#[derive(Debug)]
pub struct Shared<'a>(&'a Gate);

/// Held while exclusive work runs.
#[derive(Debug)]
pub struct Exclusive<'a>(&'a Gate);

impl Gate {
    /// A gate for `jobs` concurrent shared jobs (at least one).
    pub fn new(jobs: usize) -> Self {
        Gate {
            jobs: jobs.max(1),
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut state)
    }

    async fn wait_until(&self, mut admit: impl FnMut(&mut State) -> bool) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.with_state(&mut admit) {
                return;
            }
            notified.await;
        }
    }

    /// Waits for a slot for shared work.
    pub async fn shared(&self) -> Shared<'_> {
        self.wait_until(|s| {
            let free = !s.exclusive && s.shared < self.jobs;
            if free {
                s.shared += 1;
            }
            free
        })
        .await;
        Shared(self)
    }

    /// Waits until the machine is idle and takes it.
    pub async fn exclusive(&self) -> Exclusive<'_> {
        self.wait_until(|s| {
            let idle = !s.exclusive && s.shared == 0;
            if idle {
                s.exclusive = true;
            }
            idle
        })
        .await;
        Exclusive(self)
    }
}

impl Drop for Shared<'_> {
    fn drop(&mut self) {
        self.0.with_state(|s| s.shared -= 1);
        self.0.changed.notify_waiters();
    }
}

impl Drop for Exclusive<'_> {
    fn drop(&mut self) {
        self.0.with_state(|s| s.exclusive = false);
        self.0.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn exclusive_work_never_overlaps_anything_and_everything_finishes() {
        let gate = Arc::new(Gate::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let exclusive_running = Arc::new(AtomicUsize::new(0));
        let peak_shared = Arc::new(AtomicUsize::new(0));
        let mut all = Vec::new();
        for i in 0..40 {
            let (gate, running, excl, peak) = (
                Arc::clone(&gate),
                Arc::clone(&running),
                Arc::clone(&exclusive_running),
                Arc::clone(&peak_shared),
            );
            all.push(tokio::spawn(async move {
                if i % 4 == 0 {
                    let _e = gate.exclusive().await;
                    assert_eq!(
                        running.load(Ordering::SeqCst),
                        0,
                        "shared work during timing"
                    );
                    excl.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    excl.fetch_sub(1, Ordering::SeqCst);
                } else {
                    let _s = gate.shared().await;
                    assert_eq!(excl.load(Ordering::SeqCst), 0, "timing during shared work");
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    assert!(now <= 2, "more shared jobs than slots");
                    tokio::time::sleep(Duration::from_millis(3)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                }
            }));
        }
        for h in all {
            tokio::time::timeout(Duration::from_secs(10), h)
                .await
                .expect("no starvation")
                .expect("no assertion failed");
        }
        assert_eq!(
            peak_shared.load(Ordering::SeqCst),
            2,
            "shared work ran in parallel"
        );
    }
}
