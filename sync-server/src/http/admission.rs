//! Admission of pushes, the one request whose body and work are large: one push at a
//! time per device (a second waits for the first; a third is told to slow down), at
//! most `BODY_BUDGET` bytes of push bodies buffered at once, and `PUSHES_AT_ONCE`
//! checked at once, so memory and CPU stay bounded whatever devices send. A push waits
//! for room before its body is read (the connection's flow control holds the sender
//! meanwhile), must send its body within `BODY_TIMEOUT`, and waits for a checking slot
//! only once its body is in, so a slow sender holds no slot. One that waits too long is
//! answered `busy`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lagesbild_core::DeviceId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::service::ServiceError;

/// Pushes checked at once across all devices. Each holds at most `MAX_BODY_BYTES` of
/// body and `MAX_PUSH_OPS` operations of documents being checked.
pub const PUSHES_AT_ONCE: usize = 2;
/// Pushes of one device under way or waiting: one checked, one waiting for it (a
/// device whose earlier push was cut off retries while the server still checks it).
const PER_DEVICE: usize = 2;
/// How long a push waits for its turn before it is answered `busy`.
pub const WAIT_FOR_TURN: Duration = Duration::from_secs(20);
/// Push bodies buffered at once, in all.
pub const BODY_BUDGET: usize = 48 * 1024 * 1024;
/// How long a client has to send a push's body once it is let in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

type Devices = Arc<Mutex<HashMap<DeviceId, (Arc<Semaphore>, usize)>>>;

#[derive(Debug)]
pub struct Admission {
    slots: Arc<Semaphore>,
    /// Kibibytes of body.
    bodies: Arc<Semaphore>,
    devices: Devices,
}

impl Default for Admission {
    fn default() -> Self {
        Admission {
            slots: Arc::new(Semaphore::new(PUSHES_AT_ONCE)),
            bodies: Arc::new(Semaphore::new(BODY_BUDGET / 1024)),
            devices: Arc::default(),
        }
    }
}

/// A push's turn; dropping it lets the next one in.
#[derive(Debug)]
pub struct Turn {
    slot: Option<OwnedSemaphorePermit>,
    _body: OwnedSemaphorePermit,
    _device_slot: OwnedSemaphorePermit,
    _entry: Entry,
    slots: Arc<Semaphore>,
}

/// A device's place in the admission map, removed with its last push.
#[derive(Debug)]
struct Entry {
    device: DeviceId,
    devices: Devices,
}

impl Drop for Entry {
    fn drop(&mut self) {
        let mut devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, count)) = devices.get_mut(&self.device) {
            *count -= 1;
            if *count == 0 {
                devices.remove(&self.device);
            }
        }
    }
}

impl Admission {
    /// Lets a push of `body_bytes` (its declared length) in to have its body read.
    pub async fn push(&self, device: DeviceId, body_bytes: u64) -> Result<Turn, ServiceError> {
        let (own, entry) = {
            let mut devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
            let (semaphore, count) = devices
                .entry(device)
                .or_insert_with(|| (Arc::new(Semaphore::new(1)), 0));
            if *count >= PER_DEVICE {
                return Err(ServiceError::TooManyRequests(
                    "this device already has pushes under way; wait for their answers".into(),
                ));
            }
            *count += 1;
            let entry = Entry {
                device,
                devices: Arc::clone(&self.devices),
            };
            (Arc::clone(semaphore), entry)
        };
        let kib = body_bytes
            .div_ceil(1024)
            .clamp(1, (BODY_BUDGET / 1024) as u64) as u32;
        let turn = tokio::time::timeout(WAIT_FOR_TURN, async {
            let device_slot = own.acquire_owned().await.map_err(|_| busy())?;
            let body = Arc::clone(&self.bodies)
                .acquire_many_owned(kib)
                .await
                .map_err(|_| busy())?;
            Ok::<_, ServiceError>(Turn {
                slot: None,
                _body: body,
                _device_slot: device_slot,
                _entry: entry,
                slots: Arc::clone(&self.slots),
            })
        })
        .await;
        turn.unwrap_or_else(|_| Err(busy()))
    }
}

impl Turn {
    /// Waits for a slot to check the push in, once its body has been read.
    pub async fn check(&mut self) -> Result<(), ServiceError> {
        let slot = tokio::time::timeout(WAIT_FOR_TURN, Arc::clone(&self.slots).acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        self.slot = Some(slot);
        Ok(())
    }
}

fn busy() -> ServiceError {
    ServiceError::Busy("the server is checking other pushes; try again shortly".into())
}
