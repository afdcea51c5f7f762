//! A fixed pool of threads for the CPU-heavy processing of fetched pages (link mining, decode →
//! extract → fingerprint → body compression), one thread per core.
//!
//! Why not tokio's blocking pool: it never queues a job while it has fewer than 512 threads,
//! it starts or wakes another thread instead, so with 64 requests in flight a crawl ran dozens
//! of CPU-bound threads on two cores, and every page paid a thread wake-up and a park
//! (futex calls, context switches). Here a thread that finishes a page takes the next queued
//! one without sleeping, and only sleeps when the queue is empty. Measured with
//! `cargo bench --bench crawl -- throughput` (line `pipeline`, 2 cores): CPU per page for the
//! whole process −40…−70 µs (~600 → ~530–550 µs). DNS lookups and other blocking work of the
//! runtime stay on tokio's pool, so they never wait behind pages.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// Stack size of the page threads, 64 MiB (reserved, not committed), as the CLI's runtime
/// threads: extraction walks the DOM recursively, so pages nested up to the extractor's limit
/// cannot overflow it.
pub const PAGE_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Threads taking jobs from one FIFO queue. Dropping the pool closes the queue; its threads
/// end once the queue is empty.
pub struct WorkPool {
    tx: Mutex<mpsc::Sender<Job>>,
}

/// Why a job gave no result.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The job panicked (the message of the panic, when it is a string).
    #[error("page processing panicked: {0}")]
    Panicked(String),
    /// The pool's threads are gone (they could not be started, or the pool was dropped).
    #[error("page processing pool is gone")]
    Gone,
}

impl WorkPool {
    /// Starts `threads` (at least 1) threads named `name`, each with a stack of `stack_bytes`
    /// (reserved address space; extraction walks the DOM recursively, see
    /// [`PAGE_STACK_BYTES`]).
    ///
    /// # Errors
    /// The OS error if no thread could be started (a pool with some threads started works).
    pub fn new(threads: usize, name: &str, stack_bytes: usize) -> std::io::Result<WorkPool> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut started = 0;
        let mut last_err = None;
        for _ in 0..threads.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(name.to_string())
                .stack_size(stack_bytes)
                .spawn(move || {
                    loop {
                        // The lock is held while waiting: one idle thread waits on the queue,
                        // the others on the lock.
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            match spawned {
                Ok(_) => started += 1,
                Err(e) => last_err = Some(e),
            }
        }
        match (started, last_err) {
            (0, Some(e)) => Err(e),
            _ => Ok(WorkPool { tx: Mutex::new(tx) }),
        }
    }

    /// A pool with one thread per core (`std::thread::available_parallelism`, 2 if unknown),
    /// stacks of [`PAGE_STACK_BYTES`].
    ///
    /// # Errors
    /// As [`WorkPool::new`].
    pub fn per_core(name: &str) -> std::io::Result<WorkPool> {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get());
        WorkPool::new(n, name, PAGE_STACK_BYTES)
    }

    /// Runs `f` on the pool (after the jobs queued before it) and waits for its result.
    ///
    /// # Errors
    /// [`PoolError::Panicked`] if `f` panicked (the pool's thread survives);
    /// [`PoolError::Gone`] if the pool has no thread left.
    pub async fn run<T, F>(&self, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let r = std::panic::catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
                p.downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default()
            });
            let _ = tx.send(r);
        });
        self.tx
            .lock()
            .map_err(|_| PoolError::Gone)?
            .send(job)
            .map_err(|_| PoolError::Gone)?;
        match rx.await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(msg)) => Err(PoolError::Panicked(msg)),
            Err(_) => Err(PoolError::Gone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_run_on_the_pools_threads_and_a_panic_is_an_error_not_a_lost_thread() {
        let pool = Arc::new(WorkPool::new(2, "test-pool", 1 << 20).unwrap());
        let name = pool
            .run(|| std::thread::current().name().map(str::to_string))
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("test-pool"));
        // Both threads panic once; the pool still answers afterwards.
        for _ in 0..2 {
            let r = pool.run(|| -> u32 { panic!("bad page") }).await;
            assert!(
                matches!(r, Err(PoolError::Panicked(ref m)) if m == "bad page"),
                "{r:?}"
            );
        }
        let mut handles = Vec::new();
        for i in 0..50u64 {
            let p = pool.clone();
            handles.push(tokio::spawn(async move { p.run(move || i * i).await }));
        }
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap().unwrap();
        }
        assert_eq!(sum, (0..50u64).map(|i| i * i).sum::<u64>());
    }

    #[tokio::test]
    async fn at_most_as_many_jobs_run_at_once_as_the_pool_has_threads() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let pool = Arc::new(WorkPool::new(2, "test-pool", 1 << 20).unwrap());
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for _ in 0..8 {
            let (p, r, m) = (pool.clone(), running.clone(), peak.clone());
            handles.push(tokio::spawn(async move {
                p.run(move || {
                    let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                    m.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    r.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        for h in handles {
            h.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
