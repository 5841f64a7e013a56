//! Admission of pushes, the one request whose body and work are large: one push at a
//! time per device (a second waits for the first; a third is told to slow down), and
//! `PUSHES_AT_ONCE` in all, so the bodies buffered and the documents being checked at
//! once stay bounded whatever devices send. A push waits for its turn before its body
//! is read (the connection's flow control holds the sender meanwhile); one that waits
//! too long is answered `busy`.

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
const WAIT_FOR_TURN: Duration = Duration::from_secs(20);

type Devices = Arc<Mutex<HashMap<DeviceId, (Arc<Semaphore>, usize)>>>;

#[derive(Debug)]
pub struct Admission {
    slots: Arc<Semaphore>,
    devices: Devices,
}

impl Default for Admission {
    fn default() -> Self {
        Admission {
            slots: Arc::new(Semaphore::new(PUSHES_AT_ONCE)),
            devices: Arc::default(),
        }
    }
}

/// A push's turn; dropping it lets the next one in.
#[derive(Debug)]
pub struct Turn {
    _slot: OwnedSemaphorePermit,
    _device_slot: OwnedSemaphorePermit,
    _entry: Entry,
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
    pub async fn push(&self, device: DeviceId) -> Result<Turn, ServiceError> {
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
        let busy =
            || ServiceError::Busy("the server is checking other pushes; try again shortly".into());
        let turn = tokio::time::timeout(WAIT_FOR_TURN, async {
            let device_slot = own.acquire_owned().await.map_err(|_| busy())?;
            let slot = Arc::clone(&self.slots)
                .acquire_owned()
                .await
                .map_err(|_| busy())?;
            Ok::<_, ServiceError>(Turn {
                _slot: slot,
                _device_slot: device_slot,
                _entry: entry,
            })
        })
        .await;
        turn.unwrap_or_else(|_| Err(busy()))
    }
}
