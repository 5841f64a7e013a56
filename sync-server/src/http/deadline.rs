//! A deadline for every phase of every request, in one layer over all routes. Headers
//! have `HEADER_TIMEOUT` (the connection, `listen`); every body must have arrived
//! within `BODY_TIMEOUT` of its headers (a push's within `admission::BODY_TIMEOUT` of
//! being let in, and its whole request within `PUSH_TIMEOUT`); every request is answered
//! within `REQUEST_TIMEOUT`, a long poll within `MAX_WAIT_SECONDS` more. A request
//! whose body misses its deadline is answered `408` at once (its handler is dropped) and
//! its connection closed, so a client that promises a body and never sends it holds a
//! connection for seconds, not for ever.
//!
//! The layer also carries the request's `Hold` (its device's share, taken once the
//! credential is checked, is kept until the handler has answered).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::share::Hold;
use super::{AppError, MAX_WAIT_SECONDS, admission};

/// How long a body (other than a push's) may take to arrive after its headers. The
/// largest is 64 KiB: over a poor mobile connection, a few seconds.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request may take, all told (other than a push or a long poll).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a push may take, all told: waiting for its turn, its body, waiting to be
/// checked, and the check.
pub const PUSH_TIMEOUT: Duration = Duration::from_secs(
    2 * admission::WAIT_FOR_TURN.as_secs()
        + admission::BODY_TIMEOUT.as_secs()
        + REQUEST_TIMEOUT.as_secs(),
);
/// How long a long poll may take, all told.
pub const POLL_TIMEOUT: Duration =
    Duration::from_secs(MAX_WAIT_SECONDS + REQUEST_TIMEOUT.as_secs());

/// The deadlines of one request: for its body, and for all of it.
fn deadlines(method: &Method, path: &str) -> (Duration, Duration) {
    if *method == Method::POST && path.ends_with("/push") {
        (PUSH_TIMEOUT, PUSH_TIMEOUT)
    } else if *method == Method::GET && path.ends_with("/feed") {
        (BODY_TIMEOUT, POLL_TIMEOUT)
    } else {
        (BODY_TIMEOUT, REQUEST_TIMEOUT)
    }
}

/// The layer: `axum::middleware::from_fn(deadline::layer)`.
pub async fn layer(request: Request, next: Next) -> Response {
    let (body_within, within) = deadlines(request.method(), request.uri().path());
    let hold = Arc::new(Hold::default());
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(Arc::clone(&hold));
    let arrived = Arc::new(AtomicBool::new(body.is_end_stream()));
    let body = Body::new(Watched {
        inner: body,
        arrived: Arc::clone(&arrived),
    });
    let waits_for_body = !arrived.load(Ordering::Acquire);
    let handler = tokio::time::timeout(within, next.run(Request::from_parts(parts, body)));
    let mut handler = std::pin::pin!(handler);
    let answered = tokio::select! {
        answered = &mut handler => answered,
        () = tokio::time::sleep(body_within), if waits_for_body => {
            if !arrived.load(Ordering::Acquire) {
                // The handler waits for the rest of the body: it is dropped unanswered.
                return closing(body_late());
            }
            handler.await
        }
    };
    let response = match answered {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(?within, "a request ran out of time");
            AppError::with_status(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the request took too long; try again shortly",
            )
            .into_response()
        }
    };
    if hold.closing() {
        return closing(response);
    }
    response
}

/// The response, with the connection closed after it.
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn body_late() -> Response {
    AppError::with_status(
        StatusCode::REQUEST_TIMEOUT,
        "timeout",
        "the request's body did not arrive in time",
    )
    .into_response()
}

/// A body that says when it has all arrived.
struct Watched {
    inner: Body,
    arrived: Arc<AtomicBool>,
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let frame = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(frame, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.arrived.store(true, Ordering::Release);
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
