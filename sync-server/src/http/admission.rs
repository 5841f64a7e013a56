//! Admission of pushes, the one request whose body and work are large: one push at a
//! time per device, and `PUSHES_AT_ONCE` in all, so the bodies buffered and the
//! documents being checked at once stay bounded whatever devices send. A push waits
//! for its turn before its body is read (the connection's flow control holds the
//! sender meanwhile); one that waits too long is answered `busy`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lagesbild_core::DeviceId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::service::ServiceError;

/// Pushes checked at once across all devices. Each holds at most `MAX_BODY_BYTES` of
/// body and `MAX_PUSH_OPS` operations of documents being checked.
pub const PUSHES_AT_ONCE: usize = 2;
/// How long a push waits for its turn before it is answered `busy`.
const WAIT_FOR_TURN: Duration = Duration::from_secs(20);

#[derive(Debug)]
pub struct Admission {
    slots: Arc<Semaphore>,
    pushing: Arc<Mutex<HashSet<DeviceId>>>,
}

impl Default for Admission {
    fn default() -> Self {
        Admission {
            slots: Arc::new(Semaphore::new(PUSHES_AT_ONCE)),
            pushing: Arc::new(Mutex::new(HashSet::new())),
        }
    }
}

/// A push's turn; dropping it lets the next one in.
#[derive(Debug)]
pub struct Turn {
    _slot: OwnedSemaphorePermit,
    device: DeviceId,
    pushing: Arc<Mutex<HashSet<DeviceId>>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.pushing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.device);
    }
}

impl Admission {
    pub async fn push(&self, device: DeviceId) -> Result<Turn, ServiceError> {
        if !self
            .pushing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(device)
        {
            return Err(ServiceError::TooManyRequests(
                "this device already has a push under way; wait for its answer".into(),
            ));
        }
        // From here on the device's mark is removed by the turn, or below.
        let slot =
            tokio::time::timeout(WAIT_FOR_TURN, Arc::clone(&self.slots).acquire_owned()).await;
        match slot {
            Ok(Ok(slot)) => Ok(Turn {
                _slot: slot,
                device,
                pushing: Arc::clone(&self.pushing),
            }),
            _ => {
                self.pushing
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&device);
                Err(ServiceError::Busy(
                    "the server is checking other pushes; try again shortly".into(),
                ))
            }
        }
    }
}
