//! Failed authentication and enrolment, slowed per client address: after
//! `FAILURES_ALLOWED` failures within `WINDOW`, an address is answered `429` until the
//! window has passed, so credentials and enrolment codes cannot be guessed at speed.
//! Every failure is logged with its address. Behind a proxy every client shares the
//! proxy's address; the limit then holds for all together.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::service::ServiceError;

pub const FAILURES_ALLOWED: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at once; the oldest windows are dropped past this.
const REMEMBERED: usize = 10_000;

#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl Throttle {
    /// Refuses an address that failed too often in the current window.
    pub fn check(&self, peer: IpAddr, now: Instant) -> Result<(), ServiceError> {
        let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        match failures.get(&peer) {
            Some((count, since)) if *count >= FAILURES_ALLOWED && now < *since + WINDOW => {
                Err(ServiceError::TooManyRequests(
                    "too many failed attempts from this address; wait a minute".into(),
                ))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, peer: IpAddr, what: &str, now: Instant) {
        tracing::warn!(%peer, what, "failed attempt");
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() >= REMEMBERED {
            failures.retain(|_, (_, since)| now < *since + WINDOW);
        }
        let entry = failures.entry(peer).or_insert((0, now));
        if now >= entry.1 + WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_refused_after_ten_failures_until_the_window_passes() {
        let throttle = Throttle::default();
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let start = Instant::now();
        for _ in 0..FAILURES_ALLOWED {
            assert!(throttle.check(a, start).is_ok());
            throttle.failed(a, "test", start);
        }
        assert!(
            throttle.check(a, start).is_err(),
            "the eleventh attempt waits"
        );
        assert!(
            throttle.check(b, start).is_ok(),
            "other addresses are not affected"
        );
        assert!(
            throttle.check(a, start + WINDOW).is_ok(),
            "a minute later it may try again"
        );
    }
}
