//! The per-host gate every request passes, in a fixed order: robots.txt (checked by the
//! worker) → per-host semaphore (one request at a time by default) → wait out any backoff
//! (`Retry-After`, 5xx) → the host's governor limiter (`Quota::with_period(delay)` with burst 1,
//! delay = max(`--delay`, Crawl-delay)) → global concurrency permit → request. After the
//! request the worker updates the backoff through [`HostGate::pause`].
//!
//! One *direct* governor limiter per host (a keyed limiter shares one quota among keys and never
//! forgets them, which is wrong for per-host crawl-delays).

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::robots::RobotsRules;

/// Why a host's gate will not open now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateStop {
    /// The crawl is being cancelled (Ctrl-C).
    Cancelled,
    /// The host is paused for longer than the cap allows within this run.
    Deferred {
        /// Remaining pause.
        remaining: Duration,
    },
}

/// The robots.txt state of a host.
#[derive(Debug, Clone)]
pub enum RobotsSlot {
    /// Not fetched yet (or expired).
    Unknown,
    /// Valid rules until `expires`.
    Rules {
        /// The rules.
        rules: Arc<RobotsRules>,
        /// When they must be fetched again (24 h after the fetch).
        expires: Instant,
    },
    /// robots.txt was unreachable (5xx, 429, timeout): nothing is allowed before `retry_at`.
    Unreachable {
        /// When robots.txt may be fetched again.
        retry_at: Instant,
        /// Consecutive failures.
        failures: u32,
    },
}

struct Inner {
    last_turn: Option<Instant>,
    paused_until: Option<Instant>,
    limiter: Option<Arc<DefaultDirectRateLimiter>>,
    delay: Duration,
}

/// Politeness state of one host (origin).
pub struct HostGate {
    /// Politeness key (origin).
    pub key: String,
    permits: Arc<Semaphore>,
    /// robots.txt state. A tokio Mutex because it is held across the robots.txt fetch, so that
    /// several workers of one host wait for a single fetch.
    pub robots: tokio::sync::Mutex<RobotsSlot>,
    /// A std Mutex: tiny critical sections, never held across an `.await`.
    inner: Mutex<Inner>,
}

/// Permits held while one request is in flight (dropping it opens the gate again).
pub struct Turn<'a> {
    _host: OwnedSemaphorePermit,
    _global: SemaphorePermit<'a>,
}

fn limiter_for(delay: Duration) -> Option<Arc<DefaultDirectRateLimiter>> {
    Quota::with_period(delay).map(|q| Arc::new(RateLimiter::direct(q.allow_burst(NonZeroU32::MIN))))
}

impl HostGate {
    /// A gate for `key` allowing `per_host` concurrent requests, spaced by `delay`.
    pub fn new(key: String, per_host: usize, delay: Duration) -> HostGate {
        HostGate {
            key,
            permits: Arc::new(Semaphore::new(per_host.max(1))),
            robots: tokio::sync::Mutex::new(RobotsSlot::Unknown),
            inner: Mutex::new(Inner {
                last_turn: None,
                paused_until: None,
                limiter: limiter_for(delay),
                delay,
            }),
        }
    }

    /// The delay between requests now in force.
    pub fn delay(&self) -> Duration {
        self.lock().delay
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means another worker panicked mid-update of plain values.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the delay between requests (after robots.txt gave a Crawl-delay). The new limiter
    /// starts with its one cell used, so the next request still waits a full `delay` after the
    /// request that just happened.
    pub fn set_delay(&self, delay: Duration) {
        let mut g = self.lock();
        if g.delay == delay {
            return;
        }
        g.delay = delay;
        g.limiter = limiter_for(delay);
        if let Some(l) = &g.limiter {
            let _ = l.check();
        }
    }

    /// Pauses the whole host for at least `d` from now (never shortens an existing pause).
    pub fn pause(&self, d: Duration) {
        if d.is_zero() {
            return;
        }
        let until = Instant::now() + d;
        let mut g = self.lock();
        if g.paused_until.is_none_or(|p| p < until) {
            g.paused_until = Some(until);
        }
    }

    /// Remaining pause, if any.
    pub fn remaining_pause(&self) -> Option<Duration> {
        let g = self.lock();
        g.paused_until
            .and_then(|p| p.checked_duration_since(Instant::now()))
            .filter(|d| !d.is_zero())
    }

    /// Whether forgetting this gate loses nothing: no request within the last `delay`, no
    /// pause, no request waiting, and robots.txt either unknown or successfully fetched (that
    /// answer is cached in the store). A new gate for the host then behaves the same.
    pub fn forgettable(&self) -> bool {
        let quiet = {
            let g = self.lock();
            g.last_turn.is_none_or(|t| t.elapsed() >= g.delay)
        };
        quiet
            && self.remaining_pause().is_none()
            && self.permits.available_permits() > 0
            && self
                .robots
                .try_lock()
                .is_ok_and(|r| !matches!(*r, RobotsSlot::Unreachable { .. }))
    }

    /// Waits for this host's turn: per-host permit → pause → limiter → global permit.
    /// A pause longer than `max_pause` is not waited out: the host is deferred instead.
    ///
    /// # Errors
    /// [`GateStop::Cancelled`] when `cancel` fires while waiting; [`GateStop::Deferred`] when
    /// the pause exceeds `max_pause`.
    pub async fn turn<'a>(
        &self,
        global: &'a Semaphore,
        max_pause: Duration,
        cancel: &CancellationToken,
    ) -> Result<Turn<'a>, GateStop> {
        let host = tokio::select! {
            p = self.permits.clone().acquire_owned() => p.map_err(|_| GateStop::Cancelled)?,
            _ = cancel.cancelled() => return Err(GateStop::Cancelled),
        };
        // The pause may be extended by another request of this host while we sleep.
        while let Some(remaining) = self.remaining_pause() {
            if remaining > max_pause {
                return Err(GateStop::Deferred { remaining });
            }
            tokio::select! {
                _ = tokio::time::sleep(remaining) => {}
                _ = cancel.cancelled() => return Err(GateStop::Cancelled),
            }
        }
        let limiter = self.lock().limiter.clone();
        if let Some(l) = limiter {
            tokio::select! {
                _ = l.until_ready() => {}
                _ = cancel.cancelled() => return Err(GateStop::Cancelled),
            }
        }
        let global = tokio::select! {
            p = global.acquire() => p.map_err(|_| GateStop::Cancelled)?,
            _ = cancel.cancelled() => return Err(GateStop::Cancelled),
        };
        self.lock().last_turn = Some(Instant::now());
        Ok(Turn {
            _host: host,
            _global: global,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limiter_spaces_requests_by_delay() {
        let gate = HostGate::new("http://a.example".into(), 1, Duration::from_millis(60));
        let global = Semaphore::new(8);
        let cancel = CancellationToken::new();
        let start = std::time::Instant::now();
        let mut times = Vec::new();
        for _ in 0..3 {
            let t = gate
                .turn(&global, Duration::from_secs(1), &cancel)
                .await
                .unwrap();
            times.push(start.elapsed());
            drop(t);
        }
        assert!(times[0] < Duration::from_millis(30), "{times:?}");
        assert!(times[1] >= Duration::from_millis(55), "{times:?}");
        assert!(times[2] >= Duration::from_millis(115), "{times:?}");
    }

    #[tokio::test]
    async fn raising_the_delay_keeps_the_last_request_counted() {
        let gate = HostGate::new("http://a.example".into(), 1, Duration::from_millis(1));
        let global = Semaphore::new(8);
        let cancel = CancellationToken::new();
        drop(
            gate.turn(&global, Duration::from_secs(1), &cancel)
                .await
                .unwrap(),
        );
        let t0 = std::time::Instant::now();
        gate.set_delay(Duration::from_millis(80));
        drop(
            gate.turn(&global, Duration::from_secs(1), &cancel)
                .await
                .unwrap(),
        );
        assert!(
            t0.elapsed() >= Duration::from_millis(75),
            "{:?}",
            t0.elapsed()
        );
        assert_eq!(gate.delay(), Duration::from_millis(80));
    }

    #[tokio::test]
    async fn pause_over_cap_defers_and_cancel_stops_waiting() {
        let gate = HostGate::new("http://a.example".into(), 1, Duration::ZERO);
        let global = Semaphore::new(8);
        let cancel = CancellationToken::new();
        gate.pause(Duration::from_secs(100));
        let r = gate.turn(&global, Duration::from_secs(10), &cancel).await;
        assert!(
            matches!(r, Err(GateStop::Deferred { remaining }) if remaining > Duration::from_secs(99))
        );
        // A shorter pause is waited out, unless cancelled.
        let gate = HostGate::new("http://b.example".into(), 1, Duration::ZERO);
        gate.pause(Duration::from_secs(5));
        let c2 = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            c2.cancel();
        });
        let t0 = std::time::Instant::now();
        let r = gate.turn(&global, Duration::from_secs(10), &cancel).await;
        assert!(matches!(r, Err(GateStop::Cancelled)));
        assert!(t0.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn forgettable_only_when_quiet_for_a_delay_and_not_paused() {
        let gate = HostGate::new("http://a.example".into(), 1, Duration::from_millis(40));
        let global = Semaphore::new(8);
        let cancel = CancellationToken::new();
        assert!(gate.forgettable());
        drop(
            gate.turn(&global, Duration::from_secs(1), &cancel)
                .await
                .unwrap(),
        );
        assert!(!gate.forgettable(), "a request just happened");
        tokio::time::sleep(Duration::from_millis(45)).await;
        assert!(gate.forgettable());
        gate.pause(Duration::from_secs(5));
        assert!(!gate.forgettable(), "paused");
        let g2 = HostGate::new("http://b.example".into(), 1, Duration::ZERO);
        *g2.robots.lock().await = RobotsSlot::Unreachable {
            retry_at: Instant::now() + Duration::from_secs(60),
            failures: 1,
        };
        assert!(
            !g2.forgettable(),
            "robots.txt failure is not cached elsewhere"
        );
    }

    #[tokio::test]
    async fn one_request_at_a_time_per_host() {
        let gate = Arc::new(HostGate::new("http://a.example".into(), 1, Duration::ZERO));
        let global = Semaphore::new(8);
        let cancel = CancellationToken::new();
        let t = gate
            .turn(&global, Duration::from_secs(1), &cancel)
            .await
            .unwrap();
        let second = tokio::time::timeout(
            Duration::from_millis(50),
            gate.turn(&global, Duration::from_secs(1), &cancel),
        )
        .await;
        assert!(second.is_err(), "second turn must wait for the first");
        drop(t);
        assert!(
            gate.turn(&global, Duration::from_secs(1), &cancel)
                .await
                .is_ok()
        );
    }
}
