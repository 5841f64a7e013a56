//! The server's connections, accepted here rather than by `axum::serve`, which has no
//! time limit for request headers and no cap on connections. Every connection gets
//! `HEADER_TIMEOUT` to send each request's headers (so one that sends half its headers,
//! or idles between requests, is closed), at most `MAX_CONNECTIONS` are open at once
//! (the next ones wait in the kernel's backlog), and each request carries its peer's
//! address for the per-address limits. With a TLS acceptor, each connection is HTTPS,
//! and its handshake must finish within `HEADER_TIMEOUT` too.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How long a client has to send a request's headers, and the longest a connection
/// may idle between requests.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections open at once. Every device holds at most one long poll and one other
/// request, so this serves two thousand devices at once (DESIGN.md's load is 1 000);
/// excess connections wait to be accepted. An idle connection costs the server a few
/// kilobytes; the process needs a file limit above this (`LimitNOFILE`).
pub const MAX_CONNECTIONS: usize = 4096;
/// How long requests in flight may take to finish after shutdown begins.
const DRAIN: Duration = Duration::from_secs(35);

/// Accepts and serves connections until `shutdown` completes, then lets requests in
/// flight finish (up to `DRAIN`).
pub async fn accept(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (socket, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = socket.set_nodelay(true);
        let (app, watcher, tls) = (app.clone(), graceful.watcher(), tls.clone());
        tokio::spawn(async move {
            match tls {
                None => serve(socket, peer, app, watcher).await,
                Some(tls) => match tokio::time::timeout(HEADER_TIMEOUT, tls.accept(socket)).await {
                    Ok(Ok(stream)) => serve(stream, peer, app, watcher).await,
                    // A client that does not trust the certificate ends here, as does one
                    // that speaks plain HTTP or nothing at all.
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                },
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {DRAIN:?}; stopping anyway");
    }
    Ok(())
}

/// Serves one connection's requests until it closes (or the server shuts down).
async fn serve<S>(stream: S, peer: SocketAddr, app: Router, watcher: Watcher)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = app.map_request(move |mut request: axum::http::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_headers(64)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(%peer, error = %e, "connection ended");
    }
}

/// The peer address of a request served by `accept`; none when the router is called
/// directly.
pub fn peer_of(extensions: &axum::http::Extensions) -> Option<std::net::IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}
