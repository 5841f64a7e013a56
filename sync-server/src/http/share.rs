//! Each client's share of the server, so that no one client can take what others need.
//!
//! Connections are shared out once they are contended, when `CONTENDED` of the
//! `MAX_CONNECTIONS` are open (below that, a thousand devices may connect through one
//! address at once):
//! - A connection counts against its peer's address until a request on it proves which
//!   device sends it; an address holding `MAX_UNPROVEN_PER_PEER` such connections has
//!   its next ones closed as they are accepted.
//! - A proven connection counts against its device; a device holding
//!   `MAX_CONNECTIONS_PER_DEVICE` has a request on a further one answered `429` and that
//!   connection closed.
//!
//! Requests are shared out always: a device may have `MAX_REQUESTS_PER_DEVICE` under
//! way at once, of which `MAX_POLLS_PER_DEVICE` long polls; a further long poll answers
//! the device's oldest one at once (with what it has), so a device whose connection
//! broke is not refused.
//!
//! A trusted proxy's connections carry many clients: they count against no address or
//! device, and its clients' requests count against their devices.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lagesbild_core::DeviceId;
use tokio::sync::Notify;

use super::listen::MAX_CONNECTIONS;
use crate::service::ServiceError;

/// Open connections from which on they are shared out: half of them. An attacker at one
/// address can take at most this many; everyone else has the other half.
pub const CONTENDED: usize = MAX_CONNECTIONS / 2;

/// Connections one address may hold before a request on them proves a device: room for
/// the devices behind one office's network address connecting at once, 1.6 % of
/// `MAX_CONNECTIONS`.
pub const MAX_UNPROVEN_PER_PEER: usize = 64;
/// Connections one device may hold. The app uses two (a long poll and one other request).
pub const MAX_CONNECTIONS_PER_DEVICE: usize = 16;
/// Requests one device may have under way at once, long polls included.
pub const MAX_REQUESTS_PER_DEVICE: usize = 16;
/// Long polls one device may hold at once; a new one answers the oldest.
pub const MAX_POLLS_PER_DEVICE: usize = 2;

#[derive(Debug)]
pub struct Shares {
    counts: Mutex<Counts>,
    contended: usize,
}

impl Default for Shares {
    fn default() -> Self {
        Shares::contended_from(CONTENDED)
    }
}

#[derive(Debug, Default)]
struct Counts {
    /// Connections open.
    open: usize,
    unproven: HashMap<IpAddr, usize>,
    connections: HashMap<DeviceId, usize>,
    requests: HashMap<DeviceId, usize>,
    polls: HashMap<DeviceId, VecDeque<(u64, Arc<Notify>)>>,
    next_poll: u64,
}

fn less<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(count) = map.get_mut(key) {
        *count -= 1;
        if *count == 0 {
            map.remove(key);
        }
    }
}

impl Shares {
    /// Shares connections out once `contended` are open.
    fn contended_from(contended: usize) -> Shares {
        Shares {
            counts: Mutex::default(),
            contended,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new connection from `peer`, or none when connections are contended and the
    /// peer (an IPv4 address, or an IPv6 /64) holds its share of unproven ones already. A trusted proxy's (`proxy`) count
    /// against no address.
    pub fn connect(self: &Arc<Self>, peer: IpAddr, proxy: bool) -> Option<Arc<Link>> {
        // An IPv6 client holds a whole /64: its addresses count as one, as in the throttle.
        let peer = super::throttle::key(peer);
        let mut counts = self.lock();
        if !proxy {
            let contended = counts.open >= self.contended;
            let unproven = counts.unproven.entry(peer).or_default();
            if contended && *unproven >= MAX_UNPROVEN_PER_PEER {
                if *unproven == 0 {
                    counts.unproven.remove(&peer);
                }
                return None;
            }
            *unproven += 1;
        }
        counts.open += 1;
        Some(Arc::new(Link {
            shares: Arc::clone(self),
            peer,
            counted: !proxy,
            device: Mutex::new(None),
        }))
    }

    /// A request of `device` under way, until the returned share is dropped.
    pub fn request(self: &Arc<Self>, device: DeviceId) -> Result<InFlight, ServiceError> {
        let mut counts = self.lock();
        let requests = counts.requests.entry(device).or_default();
        if *requests >= MAX_REQUESTS_PER_DEVICE {
            return Err(ServiceError::TooManyRequests(format!(
                "this device has {MAX_REQUESTS_PER_DEVICE} requests under way already; wait for their answers"
            )));
        }
        *requests += 1;
        Ok(InFlight {
            shares: Arc::clone(self),
            device,
        })
    }

    /// A long poll of `device`, until the returned turn is dropped. Past the device's
    /// share, its oldest long poll is told to answer now.
    pub fn poll(self: &Arc<Self>, device: DeviceId) -> Poll {
        let mut counts = self.lock();
        counts.next_poll += 1;
        let id = counts.next_poll;
        let answer_now = Arc::new(Notify::new());
        let polls = counts.polls.entry(device).or_default();
        polls.push_back((id, Arc::clone(&answer_now)));
        while polls.len() > MAX_POLLS_PER_DEVICE {
            if let Some((_, oldest)) = polls.pop_front() {
                oldest.notify_one();
            }
        }
        Poll {
            shares: Arc::clone(self),
            device,
            id,
            answer_now,
        }
    }
}

/// One connection's standing: counted against its peer until a request proves its
/// device, then against the device.
#[derive(Debug)]
pub struct Link {
    shares: Arc<Shares>,
    peer: IpAddr,
    counted: bool,
    device: Mutex<Option<DeviceId>>,
}

impl Link {
    /// The connection carries `device`'s requests: refused when the device holds its
    /// share of connections already.
    pub fn prove(&self, device: DeviceId) -> Result<(), ServiceError> {
        if !self.counted {
            return Ok(());
        }
        let mut proven = self.device.lock().unwrap_or_else(PoisonError::into_inner);
        if *proven == Some(device) {
            return Ok(());
        }
        let mut counts = self.shares.lock();
        let contended = counts.open >= self.shares.contended;
        let held = counts.connections.get(&device).copied().unwrap_or(0);
        if contended && held >= MAX_CONNECTIONS_PER_DEVICE {
            return Err(ServiceError::TooManyRequests(format!(
                "this device holds {MAX_CONNECTIONS_PER_DEVICE} connections already; use those"
            )));
        }
        *counts.connections.entry(device).or_default() += 1;
        match proven.replace(device) {
            Some(before) => less(&mut counts.connections, &before),
            None => less(&mut counts.unproven, &self.peer),
        }
        Ok(())
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let proven = *self.device.lock().unwrap_or_else(PoisonError::into_inner);
        let mut counts = self.shares.lock();
        counts.open -= 1;
        if !self.counted {
            return;
        }
        match proven {
            Some(device) => less(&mut counts.connections, &device),
            None => less(&mut counts.unproven, &self.peer),
        }
    }
}

/// A request under way, counted against its device.
#[derive(Debug)]
pub struct InFlight {
    shares: Arc<Shares>,
    device: DeviceId,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        less(&mut self.shares.lock().requests, &self.device);
    }
}

/// A long poll's place among its device's.
#[derive(Debug)]
pub struct Poll {
    shares: Arc<Shares>,
    device: DeviceId,
    id: u64,
    answer_now: Arc<Notify>,
}

impl Poll {
    /// Completes when a newer long poll of the same device took this one's place.
    pub async fn superseded(&self) {
        self.answer_now.notified().await;
    }
}

impl Drop for Poll {
    fn drop(&mut self) {
        let mut counts = self.shares.lock();
        if let Some(polls) = counts.polls.get_mut(&self.device) {
            polls.retain(|(id, _)| *id != self.id);
            if polls.is_empty() {
                counts.polls.remove(&self.device);
            }
        }
    }
}

/// What one request holds of its device's share, kept for as long as its handler runs;
/// and whether its connection is to be closed after the answer.
#[derive(Debug, Default)]
pub struct Hold {
    request: Mutex<Option<InFlight>>,
    close: AtomicBool,
}

impl Hold {
    pub fn keep(&self, request: InFlight) {
        *self.request.lock().unwrap_or_else(PoisonError::into_inner) = Some(request);
    }

    pub fn close(&self) {
        self.close.store(true, Ordering::Relaxed);
    }

    pub fn closing(&self) -> bool {
        self.close.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_its_share_of_unproven_connections_and_proving_frees_one() {
        let shares = Arc::new(Shares::contended_from(0));
        let peer = IpAddr::from([10, 0, 0, 1]);
        let links: Vec<_> = (0..MAX_UNPROVEN_PER_PEER)
            .map(|_| shares.connect(peer, false).unwrap())
            .collect();
        assert!(shares.connect(peer, false).is_none(), "one more is closed");
        assert!(
            shares.connect(IpAddr::from([10, 0, 0, 2]), false).is_some(),
            "other addresses are not affected"
        );
        assert!(
            shares.connect(peer, true).is_some(),
            "a trusted proxy is not counted"
        );
        links[0].prove(DeviceId::new()).unwrap();
        assert!(
            shares.connect(peer, false).is_some(),
            "a connection that proved its device no longer counts against the address"
        );
        drop(links);
        assert!(shares.lock().unproven.len() <= 1);
    }

    #[test]
    fn the_addresses_of_one_ipv6_network_share_one_share() {
        let shares = Arc::new(Shares::contended_from(0));
        let base = u128::from(std::net::Ipv6Addr::new(0x2001, 0xdb8, 7, 9, 0, 0, 0, 0));
        // Every connection from an address of its own in the same /64.
        let links: Vec<_> = (0..MAX_UNPROVEN_PER_PEER as u128)
            .map(|i| {
                let peer = IpAddr::V6((base + i + 1).into());
                shares.connect(peer, false).unwrap()
            })
            .collect();
        let fresh = IpAddr::V6((base + 0xffff).into());
        assert!(
            shares.connect(fresh, false).is_none(),
            "a new address of the same /64 is the same client"
        );
        let other = IpAddr::V6((base + (1u128 << 64)).into());
        assert!(
            shares.connect(other, false).is_some(),
            "the next /64 is another client"
        );
        drop(links);
    }

    #[test]
    fn connections_are_shared_out_only_once_they_are_contended() {
        let shares = Arc::new(Shares::contended_from(100));
        let peer = IpAddr::from([127, 0, 0, 1]);
        let links: Vec<_> = (0..100)
            .map(|_| shares.connect(peer, false))
            .collect::<Option<_>>()
            .expect("a hundred devices connect through one address at once");
        assert!(
            shares.connect(peer, false).is_none(),
            "then it holds its share"
        );
        assert!(shares.connect(IpAddr::from([10, 0, 0, 2]), false).is_some());
        drop(links);
        assert_eq!(shares.lock().open, 0);
    }

    #[test]
    fn a_device_holds_its_share_of_connections_and_requests() {
        let shares = Arc::new(Shares::contended_from(0));
        let device = DeviceId::new();
        let links: Vec<_> = (0..=MAX_CONNECTIONS_PER_DEVICE)
            .map(|_| shares.connect(IpAddr::from([10, 0, 0, 1]), true).unwrap())
            .collect();
        // Through a trusted proxy connections are not the device's.
        assert!(links.iter().all(|l| l.prove(device).is_ok()));
        let direct: Vec<_> = (0..=MAX_CONNECTIONS_PER_DEVICE)
            .map(|n| {
                shares
                    .connect(IpAddr::from([10, 0, 1, n as u8]), false)
                    .unwrap()
            })
            .collect();
        let proven = direct.iter().filter(|l| l.prove(device).is_ok()).count();
        assert_eq!(proven, MAX_CONNECTIONS_PER_DEVICE);
        let requests: Vec<_> = (0..MAX_REQUESTS_PER_DEVICE)
            .map(|_| shares.request(device).unwrap())
            .collect();
        let refused = shares.request(device).unwrap_err();
        assert_eq!(refused.code(), "too_many_requests");
        assert!(shares.request(DeviceId::new()).is_ok(), "others are served");
        drop(requests);
        assert!(
            shares.request(device).is_ok(),
            "answered requests free their share"
        );
        drop(direct);
        assert!(shares.lock().connections.is_empty());
    }

    #[tokio::test]
    async fn a_new_long_poll_past_the_share_answers_the_oldest() {
        let shares = Arc::new(Shares::default());
        let device = DeviceId::new();
        let oldest = shares.poll(device);
        let _others: Vec<_> = (0..MAX_POLLS_PER_DEVICE)
            .map(|_| shares.poll(device))
            .collect();
        tokio::time::timeout(std::time::Duration::from_secs(1), oldest.superseded())
            .await
            .expect("the oldest long poll is told to answer");
        assert_eq!(shares.lock().polls[&device].len(), MAX_POLLS_PER_DEVICE);
    }
}
