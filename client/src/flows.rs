//! The device's flows that need the server — enrolment, and the coordinator's actions
//! that go to the server first — written once for the app, the command line and the
//! tests, which only map the result to their world.

use std::sync::{Mutex, MutexGuard, PoisonError};

use lagesbild_core::store::Credential;
use lagesbild_core::sync::engine::TransportError;
use lagesbild_core::sync::wire::{EnrollRequest, Me};
use lagesbild_core::{ObservationId, Store, WorkspaceId};

use crate::transport::{HttpTransport, enroll};

/// Why a flow did not complete.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("this device is not enrolled; enrol it with a code from the coordinator first")]
    NotEnrolled,
    #[error("this device is enrolled already; a new enrolment needs a new store")]
    AlreadyEnrolled,
    /// The server refused or could not be reached.
    #[error(transparent)]
    Server(#[from] TransportError),
    #[error(transparent)]
    Store(#[from] lagesbild_core::Error),
}

fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Exchanges a one-time enrolment code for this device's own credential and keeps it
/// with the memberships it brings. The store is not held while the server answers.
/// `ca` is the CA the enrolment link names, if any (see `EnrolmentLink`).
pub async fn enrol(
    store: &Mutex<Store>,
    server: &str,
    code: &str,
    ca: Option<&str>,
    device_name: &str,
) -> Result<Me, FlowError> {
    let request = {
        let store = lock(store);
        if store.credential()?.is_some() {
            return Err(FlowError::AlreadyEnrolled);
        }
        EnrollRequest {
            code: code.trim().to_string(),
            device_name: device_name.trim().to_string(),
            actor: store.actor().to_hex_string(),
        }
    };
    let response = enroll(server, ca, &request).await?;
    let credential = Credential {
        server: server.trim().trim_end_matches('/').to_string(),
        device: response.device,
        token: response.token,
        ca: ca.map(str::to_string),
    };
    lock(store).enrolled(&credential, &response.me)?;
    Ok(response.me)
}

/// The way to the server with this device's credential.
pub fn credential_transport(credential: &Credential) -> Result<HttpTransport, TransportError> {
    HttpTransport::new(
        &credential.server,
        &credential.token,
        credential.ca.as_deref(),
    )
}

/// The way to the server for an action that needs it (erasure, the register): the
/// device's credential, and the workspace it acts in.
pub fn online(store: &Store) -> Result<(HttpTransport, WorkspaceId), FlowError> {
    let credential = store.credential()?.ok_or(FlowError::NotEnrolled)?;
    let transport = credential_transport(&credential)?;
    Ok((transport, store.require_identity()?.workspace))
}

/// Erases a report everywhere (the coordinator): on the server first, which every
/// device then follows at its next sync; then on this device at once.
pub async fn erase_everywhere(store: &Mutex<Store>, id: ObservationId) -> Result<(), FlowError> {
    let (transport, workspace) = online(&lock(store))?;
    transport.erase(workspace, id).await?;
    lock(store).erase_local(id.as_uuid())?;
    Ok(())
}
