//! The server's connections, accepted here rather than by `axum::serve`, which has no
//! time limit for request headers and no cap on connections. Every connection gets
//! `HEADER_TIMEOUT` to send each request's headers (so one that sends half its headers,
//! or idles between requests, is closed), at most `MAX_CONNECTIONS` are open at once
//! (the next ones wait in the kernel's backlog), one address may hold only its share of
//! them until they prove a device (`share`), and each request carries its client's
//! address for the per-address limits: the peer's, or, when the peer is a trusted proxy,
//! the address the proxy names. With a TLS acceptor, each connection is HTTPS, and its
//! handshake must finish within `HEADER_TIMEOUT` too.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
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

use super::share::{Link, Shares};

/// How long a client has to send a request's headers, and the longest a connection
/// may idle between requests.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections open at once. Every device holds at most one long poll and one other
/// request, so this serves two thousand devices at once (the design's load is 1 000);
/// excess connections wait to be accepted. An idle connection costs the server a few
/// kilobytes; the process needs a file limit above this (`LimitNOFILE`).
pub const MAX_CONNECTIONS: usize = 4096;
/// How long requests in flight may take to finish after shutdown begins.
const DRAIN: Duration = Duration::from_secs(35);

/// What a connection refused for its address's share is told, when it speaks plain HTTP.
const REFUSED: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n\
Retry-After: 2\r\nConnection: close\r\nContent-Length: 91\r\n\r\n\
{\"code\":\"too_many_requests\",\"message\":\"this address holds too many connections; use those\"}";

/// The proxies trusted to say who their clients are.
pub type Trusted = Arc<[IpAddr]>;

/// Accepts and serves connections until `shutdown` completes, then lets requests in
/// flight finish (up to `DRAIN`).
pub async fn accept(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    trusted: Trusted,
    shares: Arc<Shares>,
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
        let proxy = is_trusted(&trusted, peer.ip());
        let Some(link) = shares.connect(peer.ip(), proxy) else {
            tracing::debug!(%peer, "refused: the address holds its share of connections");
            if tls.is_none() {
                let _ = socket.try_write(REFUSED);
            }
            continue;
        };
        let _ = socket.set_nodelay(true);
        let (app, watcher, tls) = (app.clone(), graceful.watcher(), tls.clone());
        let trusted = Arc::clone(&trusted);
        tokio::spawn(async move {
            let connection = Connection {
                peer,
                trusted,
                link,
            };
            match tls {
                None => serve(socket, connection, app, watcher).await,
                Some(tls) => match tokio::time::timeout(HEADER_TIMEOUT, tls.accept(socket)).await {
                    Ok(Ok(stream)) => serve(stream, connection, app, watcher).await,
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

/// What every request of a connection carries.
struct Connection {
    peer: SocketAddr,
    trusted: Trusted,
    link: Arc<Link>,
}

/// Serves one connection's requests until it closes (or the server shuts down).
async fn serve<S>(stream: S, connection: Connection, app: Router, watcher: Watcher)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let peer = connection.peer;
    let service = app.map_request(move |mut request: axum::http::Request<Incoming>| {
        let client = client_of(peer.ip(), &connection.trusted, request.headers());
        let extensions = request.extensions_mut();
        extensions.insert(ConnectInfo(peer));
        extensions.insert(Client(client));
        extensions.insert(Arc::clone(&connection.link));
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

/// The client's address of a request served by `accept` (behind a trusted proxy, the
/// one it names); none when the router is called directly.
pub fn peer_of(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions.get::<Client>().map(|c| c.0)
}

/// The address a request's client is counted under.
#[derive(Debug, Clone, Copy)]
struct Client(IpAddr);

fn is_trusted(trusted: &[IpAddr], address: IpAddr) -> bool {
    let address = address.to_canonical();
    trusted.iter().any(|t| t.to_canonical() == address)
}

/// The client behind `peer`: when `peer` is a trusted proxy, the last address of
/// `X-Forwarded-For` (or else `Forwarded: for=`) that is not itself a trusted proxy —
/// the one the nearest untrusted hop connected from; earlier entries are the client's
/// own say and could be anything. Otherwise `peer`.
fn client_of(peer: IpAddr, trusted: &[IpAddr], headers: &axum::http::HeaderMap) -> IpAddr {
    if !is_trusted(trusted, peer) {
        return peer;
    }
    let forwarded_for: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| parse_address(a.trim()))
        .collect();
    let hops = if forwarded_for.is_empty() {
        headers
            .get_all(axum::http::header::FORWARDED)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split([',', ';']))
            .filter_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.eq_ignore_ascii_case("for")
                    .then(|| parse_address(value.trim_matches('"')))?
            })
            .collect()
    } else {
        forwarded_for
    };
    hops.into_iter()
        .rev()
        .find(|a| !is_trusted(trusted, *a))
        .unwrap_or(peer)
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_address(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            text.strip_prefix('[')
                .and_then(|t| t.split_once(']'))
                .and_then(|(a, _)| a.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_a_trusted_proxy_says_who_the_client_is() {
        let proxy = IpAddr::from([127, 0, 0, 1]);
        let trusted = [proxy, "::1".parse().unwrap()];
        let client = IpAddr::from([198, 51, 100, 7]);
        let forwarded = headers(&[("x-forwarded-for", "10.9.9.9, 198.51.100.7")]);
        assert_eq!(client_of(proxy, &trusted, &forwarded), client);
        assert_eq!(
            client_of(IpAddr::from([192, 0, 2, 1]), &trusted, &forwarded),
            IpAddr::from([192, 0, 2, 1]),
            "an untrusted peer is itself the client, whatever it says"
        );
        assert_eq!(
            client_of(proxy, &[], &forwarded),
            proxy,
            "no proxy is trusted unless configured"
        );
        assert_eq!(
            client_of(
                proxy,
                &trusted,
                &headers(&[("x-forwarded-for", "198.51.100.7, 127.0.0.1")])
            ),
            client,
            "trusted hops are skipped from the right"
        );
        assert_eq!(
            client_of(
                "::ffff:127.0.0.1".parse().unwrap(),
                &trusted,
                &headers(&[("forwarded", "for=\"[2001:db8::7]:4711\";proto=https")])
            ),
            "2001:db8::7".parse::<IpAddr>().unwrap(),
            "Forwarded is read when X-Forwarded-For is absent"
        );
        assert_eq!(
            client_of(proxy, &trusted, &headers(&[("x-forwarded-for", "unknown")])),
            proxy,
            "nothing readable: the proxy itself"
        );
    }
}
