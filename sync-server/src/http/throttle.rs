//! Failed guesses at credentials and enrolment codes, slowed by who guessed, never by
//! refusing what is valid.
//!
//! - A credential is looked up first: a valid one is always served, whatever others at
//!   its address have tried. Past `FAILURES_ALLOWED` failures within `WINDOW`, an
//!   address's further failures are answered `429` rather than `401`.
//! - An enrolment code costs a write to try, so an address past its limit is refused
//!   before its code is tried. Failed enrolments are also counted from all addresses
//!   together: past `ENROLMENT_FAILURES_ALLOWED` in a window, an address that has
//!   failed in it is refused before its code is tried, so guesses spread over many
//!   addresses are bounded too (by that budget and one per fresh address), while a
//!   person at an address that guessed nothing still enrols.
//!
//! The address is the client's: behind a trusted proxy, the one it names
//! (`listen::client_of`). IPv6 addresses count by their /64, which one host is given.
//! A failure is logged when an address starts failing and when it passes its limit,
//! not once per guess.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::service::ServiceError;

/// Failures one address may have within a window before it is slowed.
pub const FAILURES_ALLOWED: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Failed enrolments within a window, from all addresses together, before addresses
/// that failed are refused without trying their code.
pub const ENROLMENT_FAILURES_ALLOWED: u32 = 100;
/// Addresses remembered at once; past this, new ones are counted only together, under
/// `OVERFLOW`, and slowed together: a flood of fresh addresses gains nothing.
const REMEMBERED: usize = 10_000;
/// Where the addresses past `REMEMBERED` are counted (no client has it).
const OVERFLOW: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

/// What was tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tried {
    Credential,
    EnrolmentCode,
}

impl Tried {
    fn name(self) -> &'static str {
        match self {
            Tried::Credential => "authentication",
            Tried::EnrolmentCode => "enrolment",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    failures: u32,
    since: Instant,
}

impl Window {
    fn new(now: Instant) -> Window {
        Window {
            failures: 0,
            since: now,
        }
    }

    fn current(&self, now: Instant) -> bool {
        now < self.since + WINDOW
    }
}

#[derive(Debug)]
struct Failures {
    peers: HashMap<IpAddr, Window>,
    enrolments: Window,
}

impl Failures {
    /// Where `at` is counted: its own window while there is room for it, else together
    /// with every other address that found none.
    fn slot(&self, at: IpAddr) -> IpAddr {
        if self.peers.len() < REMEMBERED || self.peers.contains_key(&at) {
            at
        } else {
            OVERFLOW
        }
    }
}

#[derive(Debug)]
pub struct Throttle(Mutex<Failures>);

impl Default for Throttle {
    fn default() -> Self {
        Throttle(Mutex::new(Failures {
            peers: HashMap::new(),
            enrolments: Window::new(Instant::now()),
        }))
    }
}

/// The address failures are counted under: an IPv6 host's /64, an IPv4 address as is.
pub(super) fn key(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

fn slow_down() -> ServiceError {
    ServiceError::TooManyRequests(
        "too many failed attempts from this address; wait a minute".into(),
    )
}

impl Throttle {
    fn lock(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Before an enrolment code is tried: refuses an address past its limit, and while
    /// failed enrolments from everywhere are past theirs, one that failed in the window.
    pub fn admit_enrolment(&self, peer: Option<IpAddr>, now: Instant) -> Result<(), ServiceError> {
        let failures = self.lock();
        let Some(window) = peer.and_then(|p| failures.peers.get(&failures.slot(key(p)))) else {
            return Ok(());
        };
        if !window.current(now) {
            return Ok(());
        }
        let flooded = failures.enrolments.current(now)
            && failures.enrolments.failures >= ENROLMENT_FAILURES_ALLOWED;
        if window.failures >= FAILURES_ALLOWED || (flooded && window.failures > 0) {
            return Err(slow_down());
        }
        Ok(())
    }

    /// Counts a failed attempt. `Err` when the address is now past its limit: the
    /// answer to give instead of the failure.
    pub fn failed(
        &self,
        tried: Tried,
        peer: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), ServiceError> {
        let mut failures = self.lock();
        if tried == Tried::EnrolmentCode {
            let all = &mut failures.enrolments;
            if !all.current(now) {
                *all = Window::new(now);
            }
            all.failures += 1;
            if all.failures == ENROLMENT_FAILURES_ALLOWED {
                tracing::warn!(
                    failures = all.failures,
                    "failed enrolments from many addresses; addresses that failed wait until the window ends"
                );
            }
        }
        let Some(peer) = peer else {
            return Ok(());
        };
        let mut at = key(peer);
        if failures.peers.len() >= REMEMBERED && !failures.peers.contains_key(&at) {
            failures.peers.retain(|_, w| w.current(now));
            at = failures.slot(at);
        }
        let window = failures.peers.entry(at).or_insert_with(|| Window::new(now));
        if !window.current(now) {
            *window = Window::new(now);
        }
        window.failures += 1;
        let what = tried.name();
        match window.failures {
            1 => tracing::warn!(%peer, what, "failed attempt"),
            n if n == FAILURES_ALLOWED + 1 => {
                tracing::warn!(%peer, what, failures = n, "too many failed attempts; slowed for the window");
            }
            _ => tracing::debug!(%peer, what, "failed attempt"),
        }
        if window.failures > FAILURES_ALLOWED {
            return Err(slow_down());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_past_those_remembered_are_slowed_together() {
        let throttle = Throttle::default();
        let start = Instant::now();
        for n in 0..REMEMBERED as u32 {
            let peer = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            assert!(
                throttle
                    .failed(Tried::Credential, Some(peer), start)
                    .is_ok()
            );
        }
        // Fresh addresses now, one guess each: together they are one client.
        let fresh = |n: u32| IpAddr::from(std::net::Ipv4Addr::from(0x0b00_0000 + n));
        let answers: Vec<bool> = (0..=FAILURES_ALLOWED)
            .map(|n| {
                throttle
                    .failed(Tried::EnrolmentCode, Some(fresh(n)), start)
                    .is_ok()
            })
            .collect();
        assert!(answers[..FAILURES_ALLOWED as usize].iter().all(|ok| *ok));
        assert!(
            !answers[FAILURES_ALLOWED as usize],
            "the eleventh fresh address past the remembered ones is slowed"
        );
        assert!(
            throttle.admit_enrolment(Some(fresh(999)), start).is_err(),
            "and a further one is held back before its code is tried"
        );
        assert!(
            throttle.lock().peers.len() <= REMEMBERED + 1,
            "memory stays bounded"
        );
    }

    #[test]
    fn an_address_past_ten_failures_is_slowed_until_the_window_passes() {
        let throttle = Throttle::default();
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let start = Instant::now();
        for _ in 0..FAILURES_ALLOWED {
            assert!(throttle.failed(Tried::Credential, Some(a), start).is_ok());
        }
        let slowed = throttle
            .failed(Tried::Credential, Some(a), start)
            .unwrap_err();
        assert_eq!(
            slowed.code(),
            "too_many_requests",
            "the eleventh failure waits"
        );
        assert!(
            throttle.admit_enrolment(Some(a), start).is_err(),
            "and so do its enrolments"
        );
        assert!(
            throttle.admit_enrolment(Some(b), start).is_ok(),
            "other addresses are not affected"
        );
        assert!(
            throttle.admit_enrolment(Some(a), start + WINDOW).is_ok(),
            "a minute later it may try again"
        );
    }

    #[test]
    fn failed_enrolments_from_many_addresses_stop_the_guessers_not_the_uninvolved() {
        let throttle = Throttle::default();
        let start = Instant::now();
        let guessers: Vec<IpAddr> = (1..=50u8).map(|n| IpAddr::from([10, 0, 1, n])).collect();
        let mut tried = 0;
        for _ in 0..10 {
            for &guesser in &guessers {
                if throttle.admit_enrolment(Some(guesser), start).is_ok() {
                    tried += 1;
                    let _ = throttle.failed(Tried::EnrolmentCode, Some(guesser), start);
                }
            }
        }
        assert_eq!(
            tried, ENROLMENT_FAILURES_ALLOWED,
            "500 guesses, a window's budget tried"
        );
        assert!(
            throttle
                .admit_enrolment(Some(IpAddr::from([10, 0, 2, 1])), start)
                .is_ok(),
            "an address that guessed nothing is heard"
        );
        assert!(
            throttle
                .admit_enrolment(Some(guessers[0]), start + WINDOW)
                .is_ok(),
            "the next window starts afresh"
        );
    }

    #[test]
    fn an_ipv6_host_counts_by_its_64() {
        let throttle = Throttle::default();
        let start = Instant::now();
        for n in 0..=FAILURES_ALLOWED {
            let host: IpAddr = format!("2001:db8:1:2::{n:x}").parse().unwrap();
            let _ = throttle.failed(Tried::Credential, Some(host), start);
        }
        let same: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(throttle.admit_enrolment(Some(same), start).is_err());
        assert!(throttle.admit_enrolment(Some(other), start).is_ok());
    }
}
