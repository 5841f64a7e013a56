//! One database read for the long polls that wake together. When a change lands, every
//! device of the workspace wakes and asks for the page after the same cursor: the first
//! reads it (and the service keeps it), the others wait for that read and are answered
//! from memory, instead of a thousand blocking reads queueing for the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use lagesbild_core::WorkspaceId;

/// A page: the workspace, the cursor after which it starts, and its length.
pub type Key = (WorkspaceId, i64, usize);

#[derive(Debug, Default)]
pub struct Flights(Mutex<HashMap<Key, Weak<tokio::sync::Mutex<()>>>>);

/// Keys kept before the finished ones are swept out.
const SWEEP_ABOVE: usize = 1024;

impl Flights {
    /// The lock that the reads of `key` take turns on.
    pub fn of(&self, key: Key) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(flight) = flights.get(&key).and_then(Weak::upgrade) {
            return flight;
        }
        if flights.len() >= SWEEP_ABOVE {
            flights.retain(|_, f| f.strong_count() > 0);
        }
        let flight = Arc::new(tokio::sync::Mutex::new(()));
        flights.insert(key, Arc::downgrade(&flight));
        flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_lock_per_page_while_in_use_and_none_kept_after() {
        let flights = Flights::default();
        let workspace = WorkspaceId::new();
        let a = flights.of((workspace, 7, 500));
        assert!(Arc::ptr_eq(&a, &flights.of((workspace, 7, 500))));
        assert!(!Arc::ptr_eq(&a, &flights.of((workspace, 8, 500))));
        drop(a);
        for since in 0..2 * SWEEP_ABOVE as i64 {
            drop(flights.of((workspace, since, 500)));
        }
        assert!(flights.0.lock().unwrap().len() <= SWEEP_ABOVE + 1);
    }
}
